/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Bus policy engine: ordered rules, first match wins, default deny.  Pure
// logic and the policy.conf format; the buffer process calls policy_decide()
// for every message, the daemon edits the rules and loads and saves the file.
//
// Rule text (one per line in policy.conf, and what policy_rule_format prints):
//
//	allow from=host/* to=work/inbox category=sensor.* secret=tok
//	deny from=guest to=** category=*
//
// The action comes first; the keys follow in any order, each at most once;
// from, to and category default to '*', secret to none.  In policy.conf,
// blank lines and lines whose first non-blank character is '#' are ignored.
//
// Patterns (at most POLICY_PATTERN_MAX characters):
//   - '*' matches any run of characters, possibly empty, within one segment;
//     '**' matches any run including separators; '?' matches exactly one
//     character that is not a separator; every other character matches
//     itself.  Three '*' in a row are refused.
//   - Addresses are "container/endpoint", segments separated by '/'.
//     Allowed characters: letters, digits, '_', '-', '.', '*', '?' and at most
//     one '/', with something on both sides of it.
//       guest/*      every endpoint of container guest
//       */inbox      endpoint inbox of every container
//       host/admin?  host/admin1, host/admin2, ... (not host/admin)
//   - An address pattern without '/' names containers: "work" means
//     "work/*" and "w*" means "w*/*"; the rule is stored and printed in that
//     expanded form, which must fit in POLICY_PATTERN_MAX too.  The
//     exceptions are '*' and '**' alone, which match every address.
//   - Categories are dotted names, segments separated by '.'.  Allowed
//     characters: letters, digits, '_', '-', '*', '?' and '.', with no empty
//     segment (no leading, trailing or doubled '.').
//       sensor.*     sensor.temperature, not sensor.temp.max, not sensor
//       sensor.**    sensor.temperature and sensor.temp.max
//       *            every category ('*' alone matches everything)
//
// Secrets: a rule may name a secret ([A-Za-z0-9_.-], 1 to 63 characters);
// only allow rules may (a deny rule needs no proof, so policy_add refuses a
// secret on one).  An allow rule with a secret matches a message only when
// the message's authorization data equals the secret's value (constant-time
// compare).  When from, to and category match but the data does not (wrong,
// absent, or the secret is not set), the rule does not allow and the scan
// goes on: a later rule may still allow the message.  If none does, the
// denial is attributed to the first such rule, whatever later deny rule or
// the default would have said, because "the token was wrong" is the useful
// answer.  Secret values are never printed and never stored in policy.conf.
//
// Counting: each decision adds one to the hits of the rule it is attributed
// to (the allowing rule, the matching deny rule, or the secret rule above),
// or to default_denied; auth_failures counts the subset of a rule's hits that
// were denials for authorization data.
//
// Rules have a position (1-based, changes as rules are inserted and removed)
// and a stable ID (assigned by policy_add, monotonic, never reused within a
// struct policy, not saved in policy.conf) for "policy rm ID".
//
// Functions that can fail return 0 or -errno and, when @err is given, write
// a sentence saying what was wrong into it.  Nothing here is thread-safe:
// policy_decide updates counters.
#ifndef CTRIPC_POLICY_H
#define CTRIPC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_PATTERN_MAX	128  // characters, without the NUL
#define POLICY_SECRET_NAME_MAX	63   // characters, without the NUL
#define POLICY_SECRET_VALUE_MAX 4096 // bytes
#define POLICY_SECRETS_MAX	256
#define POLICY_RULES_MAX	4096
#define POLICY_LINE_MAX		1024 // one line of policy.conf, without the newline

enum policy_action {
	POLICY_DENY,
	POLICY_ALLOW,
};

struct policy_rule {
	enum policy_action action;
	char from[POLICY_PATTERN_MAX + 1];
	char to[POLICY_PATTERN_MAX + 1];
	char category[POLICY_PATTERN_MAX + 1];
	char secret[POLICY_SECRET_NAME_MAX + 1]; // "" for none
	// Kept by the policy; ignored by policy_add.
	unsigned int id;
	uint64_t hits;
	uint64_t auth_failures;
};

struct policy {
	struct policy_rule *rules; // in order; rules[0] is position 1
	size_t n, cap;
	unsigned int next_id;
	uint64_t default_denied;
};

struct policy_secret {
	char name[POLICY_SECRET_NAME_MAX + 1];
	unsigned char *value;
	size_t len;
};

struct policy_secrets {
	struct policy_secret *v;
	size_t n, cap;
};

// --- rules ----------------------------------------------------------------

// Build and validate a rule into @ret (written only on success).  NULL @from,
// @to or @category mean '*'; NULL or "" @secret means none.  Bare container
// names are expanded ("work" -> "work/*").  -EINVAL on a bad pattern, secret
// name or a secret on a deny rule; -ENAMETOOLONG on a pattern too long.
int policy_rule_make(struct policy_rule *ret, enum policy_action action, const char *from,
		     const char *to, const char *category, const char *secret, char *err,
		     size_t errlen);

// Parse one rule in the text form above into @ret (written only on success).
int policy_rule_parse(const char *text, struct policy_rule *ret, char *err, size_t errlen);

// "allow from=... to=... category=... [secret=NAME]" into @buf; returns the
// length the full text needs, like snprintf.
int policy_rule_format(const struct policy_rule *rule, char *buf, size_t len);

// "allow"/"deny" and back; -EINVAL when unknown.
const char *policy_action_name(enum policy_action action);
int policy_action_from_name(const char *name);

// Whether @pattern matches @subject: @sep is '/' for addresses, '.' for
// categories.  @pattern must already be validated (and, for addresses,
// expanded), as in a rule.
bool policy_pattern_match(const char *pattern, const char *subject, char sep);

// An address filter (msg ls --from, --to): a bare container name means all
// its endpoints; NULL or "" matches every address.
bool policy_addr_filter_match(const char *pattern, const char *addr);

// --- the ordered list -----------------------------------------------------

void policy_init(struct policy *p);
void policy_free(struct policy *p);

// Insert a copy of @rule (validated again) at 1-based @position, 0 meaning
// the end; later rules move down one position.  Counters start at zero; the
// new rule's ID goes to @ret_id when not NULL.  -ERANGE when @position is
// past the end, -ENOSPC at POLICY_RULES_MAX rules.
int policy_add(struct policy *p, const struct policy_rule *rule, unsigned int position,
	       unsigned int *ret_id, char *err, size_t errlen);

// Remove the rule with ID @id; -ENOENT when there is none.
int policy_remove(struct policy *p, unsigned int id);

// 1-based position of the rule with ID @id, or -ENOENT.
int policy_position(const struct policy *p, unsigned int id);

// Zero every hit counter and default_denied.
void policy_reset_counters(struct policy *p);

// Decide one message: true to allow.  @auth/@authlen is the message's
// authorization data (NULL/0 when it carries none); @secrets may be NULL.
// Counts the decision.  @reason (may be NULL) receives
//   "allowed by rule 1 (allow from=... to=... category=...)"
//   "denied by rule 3 (deny from=guest/* to=work/* category=*)"
//   "denied by rule 2 (allow ... secret=tok): the authorization data does not match"
//     (or ": the message carries no authorization data", ": secret 'tok' is not set")
//   "denied by the default rule (no rule allows from=a/x to=b/y category=c.d)"
// where characters outside printable ASCII in the message's own fields are
// shown as '?'.
bool policy_decide(struct policy *p, const char *from, const char *to, const char *category,
		   const void *auth, size_t authlen, const struct policy_secrets *secrets,
		   char *reason, size_t reasonlen);
// The decision and sentence policy_decide() would give, without counting
// it: for a hot path that decides with @reason NULL and explains only
// refusals, and for a dry run.
bool policy_explain(const struct policy *p, const char *from, const char *to, const char *category,
		    const void *auth, size_t authlen, const struct policy_secrets *secrets,
		    char *reason, size_t reasonlen);

// --- policy.conf ----------------------------------------------------------

// Replace the rules of @p with those of the file @path, all or nothing: on
// any error @p is unchanged and @err says "PATH:LINE: what".  New rules get
// new IDs; their counters start at zero (default_denied is kept).  -ENOENT
// when the file does not exist: the caller decides whether that means empty.
int policy_load_file(struct policy *p, const char *path, char *err, size_t errlen);

// Write the rules to @path atomically (temporary file, fsync, rename), mode 0644.
int policy_save_file(const struct policy *p, const char *path, char *err, size_t errlen);

// --- secrets --------------------------------------------------------------

void policy_secrets_init(struct policy_secrets *s);
// Wipes every value before freeing it.
void policy_secrets_free(struct policy_secrets *s);

bool policy_secret_name_valid(const char *name);

// Set secret @name to the @len bytes at @value (1 to POLICY_SECRET_VALUE_MAX),
// replacing and wiping any previous value.  -EINVAL on a bad name or length,
// -ENOSPC at POLICY_SECRETS_MAX secrets.
int policy_secret_set(struct policy_secrets *s, const char *name, const void *value, size_t len,
		      char *err, size_t errlen);

// Remove and wipe secret @name; -ENOENT when it is not set.
int policy_secret_remove(struct policy_secrets *s, const char *name);

const struct policy_secret *policy_secret_find(const struct policy_secrets *s, const char *name);

// Whether the @alen bytes at @a equal the @blen bytes at @b.  The time taken
// depends on the lengths only, never on the contents: every byte of @b is
// read.  Pass the secret as @b and the untrusted data as @a.
bool policy_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif

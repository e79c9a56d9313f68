// SPDX-License-Identifier: LGPL-2.1-or-later
// Bus policy engine: rule validation, glob matching, first-match decisions
// with counters, the policy.conf format, and the secret store.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr-ipc/policy.h"

static int errf(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return r;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

// --- patterns ------------------------------------------------------------------

enum tok_type { TOK_CHAR, TOK_ONE, TOK_STAR, TOK_ANY };

struct tok {
	enum tok_type type;
	char c;
};

// Split a validated pattern into tokens; a pattern has at most POLICY_PATTERN_MAX.
static size_t tokenize(const char *pattern, struct tok *t)
{
	size_t n = 0;

	for (const char *s = pattern; *s && n < POLICY_PATTERN_MAX; s++) {
		if (s[0] == '*' && s[1] == '*') {
			t[n++] = (struct tok){ TOK_ANY, 0 };
			s++;
		} else if (s[0] == '*') {
			t[n++] = (struct tok){ TOK_STAR, 0 };
		} else if (s[0] == '?') {
			t[n++] = (struct tok){ TOK_ONE, 0 };
		} else {
			t[n++] = (struct tok){ TOK_CHAR, s[0] };
		}
	}
	return n;
}

// Dynamic programming over (subject prefix, pattern prefix): time
// O(strlen(subject) * tokens), no backtracking, so no pattern is slow.
bool policy_pattern_match(const char *pattern, const char *subject, char sep)
{
	struct tok t[POLICY_PATTERN_MAX];
	bool prev[POLICY_PATTERN_MAX + 1], cur[POLICY_PATTERN_MAX + 1];
	size_t n, j;

	if (!pattern || !subject)
		return false;
	// Never match on a prefix of a pattern too long to be valid.
	if (strnlen(pattern, POLICY_PATTERN_MAX + 1) > POLICY_PATTERN_MAX)
		return false;
	if (!strcmp(pattern, "*") || !strcmp(pattern, "**"))
		return true;
	n = tokenize(pattern, t);

	// prev[j]: the first j tokens match the subject consumed so far.
	prev[0] = true;
	for (j = 1; j <= n; j++)
		prev[j] = prev[j - 1] && (t[j - 1].type == TOK_STAR || t[j - 1].type == TOK_ANY);

	for (const char *s = subject; *s; s++) {
		bool any = false;

		cur[0] = false;
		for (j = 1; j <= n; j++) {
			switch (t[j - 1].type) {
			case TOK_CHAR:
				cur[j] = prev[j - 1] && *s == t[j - 1].c;
				break;
			case TOK_ONE:
				cur[j] = prev[j - 1] && *s != sep;
				break;
			case TOK_STAR:
				cur[j] = cur[j - 1] || (prev[j] && *s != sep);
				break;
			case TOK_ANY:
				cur[j] = cur[j - 1] || prev[j];
				break;
			}
			any |= cur[j];
		}
		if (!any)
			return false;
		memcpy(prev, cur, (n + 1) * sizeof(*prev));
	}
	return prev[n];
}

bool policy_addr_filter_match(const char *pattern, const char *addr)
{
	char full[POLICY_PATTERN_MAX + 8];

	if (!pattern || !*pattern)
		return true;
	if (!strchr(pattern, '/')) {
		snprintf(full, sizeof(full), "%s/*", pattern);
		pattern = full;
	}
	return policy_pattern_match(pattern, addr, '/');
}

static bool pattern_char_ok(char c, bool address)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	if (c == '_' || c == '-' || c == '*' || c == '?' || c == '.')
		return true;
	return address && c == '/';
}

// Validate @in as the pattern for key @what and write its stored form to @out.
static int pattern_check(const char *what, const char *in, char *out, char *err, size_t errlen)
{
	bool address = strcmp(what, "category") != 0;
	size_t len = strlen(in);
	const char *slash;

	if (!len)
		return errf(err, errlen, -EINVAL,
			    "the %s pattern is empty (use '*' to match anything)", what);
	if (len > POLICY_PATTERN_MAX)
		return errf(err, errlen, -ENAMETOOLONG,
			    "the %s pattern is longer than %d characters", what,
			    POLICY_PATTERN_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!pattern_char_ok((char)c, address)) {
			if (c < 0x20 || c > 0x7e)
				return errf(err, errlen, -EINVAL,
					    "the %s pattern has a bad character (byte 0x%02x)",
					    what, c);
			return errf(err, errlen, -EINVAL,
				    "the %s pattern '%s' has a bad character '%c' (allowed: "
				    "letters, digits, '_', '-', '.', '*', '?'%s)",
				    what, in, c, address ? " and one '/'" : "");
		}
	}
	if (strstr(in, "***"))
		return errf(err, errlen, -EINVAL,
			    "the %s pattern '%s' has '***' (use '*' within a segment, '**' across)",
			    what, in);

	if (!address) {
		if (in[0] == '.' || in[len - 1] == '.' || strstr(in, ".."))
			return errf(err, errlen, -EINVAL,
				    "the category pattern '%s' has an empty segment (a stray '.')",
				    in);
		memcpy(out, in, len + 1);
		return 0;
	}

	slash = strchr(in, '/');
	if (slash && strchr(slash + 1, '/'))
		return errf(err, errlen, -EINVAL,
			    "the %s pattern '%s' has more than one '/' (an address is "
			    "container/endpoint)",
			    what, in);
	if (slash && (slash == in || !slash[1]))
		return errf(
			err, errlen, -EINVAL,
			"the %s pattern '%s' has an empty %s (an address is container/endpoint)",
			what, in, slash == in ? "container" : "endpoint");
	if (!slash && strcmp(in, "*") && strcmp(in, "**")) {
		// A bare container pattern: every endpoint of it.
		if (len + 2 > POLICY_PATTERN_MAX)
			return errf(err, errlen, -ENAMETOOLONG,
				    "the %s pattern is longer than %d characters once "
				    "expanded to '%.20s.../*'",
				    what, POLICY_PATTERN_MAX, in);
		memcpy(out, in, len);
		memcpy(out + len, "/*", 3);
		return 0;
	}
	memcpy(out, in, len + 1);
	return 0;
}

// --- rules ---------------------------------------------------------------------

const char *policy_action_name(enum policy_action action)
{
	return action == POLICY_ALLOW ? "allow" : "deny";
}

int policy_action_from_name(const char *name)
{
	if (!strcmp(name, "allow"))
		return POLICY_ALLOW;
	if (!strcmp(name, "deny"))
		return POLICY_DENY;
	return -EINVAL;
}

bool policy_secret_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len < 1 || len > POLICY_SECRET_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int policy_rule_make(struct policy_rule *ret, enum policy_action action, const char *from,
		     const char *to, const char *category, const char *secret, char *err,
		     size_t errlen)
{
	struct policy_rule r = { 0 };
	int e;

	if (action != POLICY_ALLOW && action != POLICY_DENY)
		return errf(err, errlen, -EINVAL, "unknown action %d (use allow or deny)",
			    (int)action);
	r.action = action;
	e = pattern_check("from", from ? from : "*", r.from, err, errlen);
	if (e < 0)
		return e;
	e = pattern_check("to", to ? to : "*", r.to, err, errlen);
	if (e < 0)
		return e;
	e = pattern_check("category", category ? category : "*", r.category, err, errlen);
	if (e < 0)
		return e;
	if (secret && secret[0]) {
		if (action == POLICY_DENY)
			return errf(err, errlen, -EINVAL,
				    "a deny rule takes no secret (a secret lets the senders who "
				    "know it through: put it on an allow rule)");
		if (!policy_secret_name_valid(secret))
			return errf(err, errlen, -EINVAL,
				    "bad secret name '%.80s' (1 to %d of A-Z a-z 0-9 _ . -)",
				    secret, POLICY_SECRET_NAME_MAX);
		strcpy(r.secret, secret);
	}
	*ret = r;
	return 0;
}

int policy_rule_format(const struct policy_rule *rule, char *buf, size_t len)
{
	return snprintf(buf, len, "%s from=%s to=%s category=%s%s%s",
			policy_action_name(rule->action), rule->from, rule->to, rule->category,
			rule->secret[0] ? " secret=" : "", rule->secret);
}

static const char *const rule_keys[] = { "from", "to", "category", "secret" };
#define RULE_KEYS_HELP "(keys: from, to, category, secret)"

int policy_rule_parse(const char *text, struct policy_rule *ret, char *err, size_t errlen)
{
	static const char blanks[] = " \t\r\n";
	const char *val[4] = { NULL };
	char *copy, *tok, *save = NULL;
	int action, r;

	if (strlen(text) > POLICY_LINE_MAX)
		return errf(err, errlen, -EINVAL, "the rule is longer than %d characters",
			    POLICY_LINE_MAX);
	copy = strdup(text);
	if (!copy)
		return errf(err, errlen, -ENOMEM, "out of memory");

	tok = strtok_r(copy, blanks, &save);
	if (!tok) {
		r = errf(err, errlen, -EINVAL, "the rule is empty (it starts with allow or deny)");
		goto out_free;
	}
	action = policy_action_from_name(tok);
	if (action < 0) {
		r = errf(err, errlen, -EINVAL, "unknown action '%.40s' (use allow or deny)", tok);
		goto out_free;
	}
	while ((tok = strtok_r(NULL, blanks, &save))) {
		char *eq = strchr(tok, '=');
		size_t k;

		if (!eq) {
			r = errf(err, errlen, -EINVAL, "'%.40s' is not key=value " RULE_KEYS_HELP,
				 tok);
			goto out_free;
		}
		*eq = '\0';
		for (k = 0; k < 4; k++)
			if (!strcmp(tok, rule_keys[k]))
				break;
		if (k == 4) {
			r = errf(err, errlen, -EINVAL, "unknown key '%.40s' " RULE_KEYS_HELP, tok);
			goto out_free;
		}
		if (val[k]) {
			r = errf(err, errlen, -EINVAL, "'%s' is given twice", rule_keys[k]);
			goto out_free;
		}
		val[k] = eq + 1;
	}
	if (val[3] && !val[3][0]) {
		r = errf(err, errlen, -EINVAL, "secret= is empty (name a secret, or leave it out)");
		goto out_free;
	}
	r = policy_rule_make(ret, (enum policy_action)action, val[0], val[1], val[2], val[3], err,
			     errlen);
out_free:
	free(copy);
	return r;
}

// --- the ordered list ------------------------------------------------------------

void policy_init(struct policy *p)
{
	*p = (struct policy){ .next_id = 1 };
}

void policy_free(struct policy *p)
{
	free(p->rules);
	*p = (struct policy){ .next_id = p->next_id };
}

int policy_add(struct policy *p, const struct policy_rule *rule, unsigned int position,
	       unsigned int *ret_id, char *err, size_t errlen)
{
	struct policy_rule r;
	size_t at;
	int e;

	// The caller may have filled the struct by hand: check it like text.
	if (strnlen(rule->from, sizeof(rule->from)) == sizeof(rule->from) ||
	    strnlen(rule->to, sizeof(rule->to)) == sizeof(rule->to) ||
	    strnlen(rule->category, sizeof(rule->category)) == sizeof(rule->category) ||
	    strnlen(rule->secret, sizeof(rule->secret)) == sizeof(rule->secret))
		return errf(err, errlen, -EINVAL, "the rule has an unterminated field");
	e = policy_rule_make(&r, rule->action, rule->from, rule->to, rule->category, rule->secret,
			     err, errlen);
	if (e < 0)
		return e;

	if (position > p->n + 1)
		return errf(err, errlen, -ERANGE,
			    "position %u is past the end (the policy has %zu rule%s; 0 adds at "
			    "the end)",
			    position, p->n, p->n == 1 ? "" : "s");
	if (p->n >= POLICY_RULES_MAX)
		return errf(err, errlen, -ENOSPC,
			    "the policy already has %d rules, the most it takes", POLICY_RULES_MAX);
	if (p->next_id == 0 || p->next_id == UINT_MAX)
		return errf(err, errlen, -EOVERFLOW, "rule IDs are exhausted");
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct policy_rule *v = realloc(p->rules, cap * sizeof(*v));

		if (!v)
			return errf(err, errlen, -ENOMEM, "out of memory");
		p->rules = v;
		p->cap = cap;
	}
	at = position ? position - 1 : p->n;
	memmove(&p->rules[at + 1], &p->rules[at], (p->n - at) * sizeof(*p->rules));
	r.id = p->next_id++;
	p->rules[at] = r;
	p->n++;
	if (ret_id)
		*ret_id = r.id;
	return 0;
}

int policy_position(const struct policy *p, unsigned int id)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->rules[i].id == id)
			return (int)i + 1;
	return -ENOENT;
}

int policy_remove(struct policy *p, unsigned int id)
{
	int pos = policy_position(p, id);
	size_t i;

	if (pos < 0)
		return pos;
	i = (size_t)pos - 1;
	memmove(&p->rules[i], &p->rules[i + 1], (p->n - i - 1) * sizeof(*p->rules));
	p->n--;
	return 0;
}

void policy_reset_counters(struct policy *p)
{
	for (size_t i = 0; i < p->n; i++)
		p->rules[i].hits = p->rules[i].auth_failures = 0;
	p->default_denied = 0;
}

// --- decisions -------------------------------------------------------------------

// A message field, shown in a reason: printable ASCII only, bounded.
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static void rule_reason(char *reason, size_t reasonlen, const char *verdict, size_t pos,
			const struct policy_rule *r, const char *why)
{
	char text[POLICY_LINE_MAX];

	if (!reason || !reasonlen)
		return;
	policy_rule_format(r, text, sizeof(text));
	snprintf(reason, reasonlen, "%s by rule %zu (%s)%s%s", verdict, pos, text, why ? ": " : "",
		 why ? why : "");
}

/* Which rule decides, without counting it or saying why. */
struct verdict {
	const char *from, *to, *category;   /* the message's, "" for NULL */
	struct policy_rule *decided, *miss; /* miss: a secret rule that matched but for its data */
	size_t decided_pos, miss_pos;
	char why[POLICY_SECRET_NAME_MAX + 64];
};

static void judge(const struct policy *p, const char *from, const char *to, const char *category,
		  const void *auth, size_t authlen, const struct policy_secrets *secrets,
		  struct verdict *v)
{
	v->from = from = from ? from : "";
	v->to = to = to ? to : "";
	v->category = category = category ? category : "";
	if (!auth)
		authlen = 0;
	v->decided = v->miss = NULL;
	v->decided_pos = v->miss_pos = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct policy_rule *r = &p->rules[i];
		const struct policy_secret *s;

		if (!policy_pattern_match(r->from, from, '/') ||
		    !policy_pattern_match(r->to, to, '/') ||
		    !policy_pattern_match(r->category, category, '.'))
			continue;
		if (r->action == POLICY_DENY || !r->secret[0]) {
			v->decided = r;
			v->decided_pos = i + 1;
			return;
		}
		s = secrets ? policy_secret_find(secrets, r->secret) : NULL;
		if (s && policy_ct_equal(auth, authlen, s->value, s->len)) {
			v->decided = r;
			v->decided_pos = i + 1;
			return;
		}
		// Not this rule; a later one may still allow, else this one explains.
		if (!v->miss) {
			v->miss = r;
			v->miss_pos = i + 1;
			if (!s)
				snprintf(v->why, sizeof(v->why), "secret '%s' is not set",
					 r->secret);
			else
				snprintf(v->why, sizeof(v->why), "%s",
					 authlen ? "the authorization data does not match"
						 : "the message carries no authorization data");
		}
	}
}

static bool allowed(const struct verdict *v)
{
	return v->decided && v->decided->action == POLICY_ALLOW;
}

/* The sentence for @v into @reason. */
static void explain(const struct verdict *v, char *reason, size_t reasonlen)
{
	char f[POLICY_PATTERN_MAX * 2], t[POLICY_PATTERN_MAX * 2], c[POLICY_PATTERN_MAX * 2];

	if (!reason || !reasonlen)
		return;
	if (allowed(v))
		rule_reason(reason, reasonlen, "allowed", v->decided_pos, v->decided, NULL);
	else if (v->miss)
		rule_reason(reason, reasonlen, "denied", v->miss_pos, v->miss, v->why);
	else if (v->decided)
		rule_reason(reason, reasonlen, "denied", v->decided_pos, v->decided, NULL);
	else
		snprintf(reason, reasonlen,
			 "denied by the default rule (no rule allows from=%s to=%s category=%s)",
			 shown(v->from, f, sizeof(f)), shown(v->to, t, sizeof(t)),
			 shown(v->category, c, sizeof(c)));
}

bool policy_decide(struct policy *p, const char *from, const char *to, const char *category,
		   const void *auth, size_t authlen, const struct policy_secrets *secrets,
		   char *reason, size_t reasonlen)
{
	struct verdict v;

	judge(p, from, to, category, auth, authlen, secrets, &v);
	if (allowed(&v)) {
		v.decided->hits++;
	} else if (v.miss) {
		v.miss->hits++;
		v.miss->auth_failures++;
	} else if (v.decided) {
		v.decided->hits++;
	} else {
		p->default_denied++;
	}
	explain(&v, reason, reasonlen);
	return allowed(&v);
}

bool policy_explain(const struct policy *p, const char *from, const char *to, const char *category,
		    const void *auth, size_t authlen, const struct policy_secrets *secrets,
		    char *reason, size_t reasonlen)
{
	struct verdict v;

	judge(p, from, to, category, auth, authlen, secrets, &v);
	explain(&v, reason, reasonlen);
	return allowed(&v);
}

// --- policy.conf -----------------------------------------------------------------

int policy_load_file(struct policy *p, const char *path, char *err, size_t errlen)
{
	struct policy np;
	char *line = NULL, *s;
	size_t cap = 0;
	unsigned int lineno = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return errf(err, errlen, -errno, "cannot open %s: %s", path, strerror(errno));

	policy_init(&np);
	np.next_id = p->next_id;
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct policy_rule rule;
		char why[512];

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((size_t)len > POLICY_LINE_MAX) {
			r = errf(err, errlen, -EINVAL,
				 "%s:%u: the line is longer than %d characters", path, lineno,
				 POLICY_LINE_MAX);
			goto out_free;
		}
		if (strlen(line) != (size_t)len) {
			r = errf(err, errlen, -EINVAL, "%s:%u: the line has a NUL byte", path,
				 lineno);
			goto out_free;
		}
		s = line + strspn(line, " \t\r");
		if (!*s || *s == '#')
			continue;
		r = policy_rule_parse(s, &rule, why, sizeof(why));
		if (r == 0)
			r = policy_add(&np, &rule, 0, NULL, why, sizeof(why));
		if (r < 0) {
			errf(err, errlen, r, "%s:%u: %s", path, lineno, why);
			goto out_free;
		}
	}
	if (ferror(f)) {
		r = errf(err, errlen, -EIO, "cannot read %s", path);
		goto out_free;
	}

	free(p->rules);
	p->rules = np.rules;
	p->n = np.n;
	p->cap = np.cap;
	p->next_id = np.next_id;
	np.rules = NULL;
out_free:
	free(np.rules);
	free(line);
	fclose(f);
	return r;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int policy_save_file(const struct policy *p, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	char text[POLICY_LINE_MAX];
	FILE *f;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return errf(err, errlen, -ENAMETOOLONG, "the path %s is too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return errf(err, errlen, -errno, "cannot create a temporary file beside %s: %s",
			    path, strerror(errno));
	// No secrets in here: readable like the rest of /etc/ctr-ipc.
	if (fchmod(fd, 0644) < 0) {
		r = -errno;
		close(fd);
		goto out_unlink;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out_unlink;
	}
	fputs("# ctr-ipc bus policy: ordered rules, first match wins, default deny.\n", f);
	for (size_t i = 0; i < p->n; i++) {
		policy_rule_format(&p->rules[i], text, sizeof(text));
		fprintf(f, "%s\n", text);
	}
	r = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (r < 0)
		goto out_unlink;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto out_unlink;
	}
	r = fsync_dir_of(path);
	if (r < 0)
		return errf(err, errlen, r, "cannot sync the directory of %s: %s", path,
			    strerror(-r));
	return 0;

out_unlink:
	unlink(tmp);
	return errf(err, errlen, r ? r : -EIO, "cannot write %s: %s", path, strerror(r ? -r : EIO));
}

// --- secrets ---------------------------------------------------------------------

void policy_secrets_init(struct policy_secrets *s)
{
	*s = (struct policy_secrets){ 0 };
}

static void secret_wipe(struct policy_secret *sec)
{
	if (sec->value) {
		explicit_bzero(sec->value, sec->len);
		free(sec->value);
	}
	sec->value = NULL;
	sec->len = 0;
}

void policy_secrets_free(struct policy_secrets *s)
{
	for (size_t i = 0; i < s->n; i++)
		secret_wipe(&s->v[i]);
	free(s->v);
	*s = (struct policy_secrets){ 0 };
}

const struct policy_secret *policy_secret_find(const struct policy_secrets *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

int policy_secret_set(struct policy_secrets *s, const char *name, const void *value, size_t len,
		      char *err, size_t errlen)
{
	struct policy_secret *sec = (struct policy_secret *)policy_secret_find(s, name);
	unsigned char *copy;

	if (!policy_secret_name_valid(name))
		return errf(err, errlen, -EINVAL,
			    "bad secret name '%.80s' (1 to %d of A-Z a-z 0-9 _ . -)", name,
			    POLICY_SECRET_NAME_MAX);
	if (len < 1 || len > POLICY_SECRET_VALUE_MAX || !value)
		return errf(err, errlen, -EINVAL, "secret '%s' must be 1 to %d bytes, not %zu",
			    name, POLICY_SECRET_VALUE_MAX, value ? len : 0);
	if (!sec && s->n >= POLICY_SECRETS_MAX)
		return errf(err, errlen, -ENOSPC, "there are already %d secrets, the most allowed",
			    POLICY_SECRETS_MAX);
	copy = malloc(len);
	if (!copy)
		return errf(err, errlen, -ENOMEM, "out of memory");
	memcpy(copy, value, len);

	if (!sec) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 8;
			struct policy_secret *v = realloc(s->v, cap * sizeof(*v));

			if (!v) {
				explicit_bzero(copy, len);
				free(copy);
				return errf(err, errlen, -ENOMEM, "out of memory");
			}
			s->v = v;
			s->cap = cap;
		}
		sec = &s->v[s->n++];
		*sec = (struct policy_secret){ 0 };
		strcpy(sec->name, name);
	}
	secret_wipe(sec);
	sec->value = copy;
	sec->len = len;
	return 0;
}

int policy_secret_remove(struct policy_secrets *s, const char *name)
{
	struct policy_secret *sec = (struct policy_secret *)policy_secret_find(s, name);
	size_t i;

	if (!sec)
		return -ENOENT;
	secret_wipe(sec);
	i = (size_t)(sec - s->v);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
	return 0;
}

bool policy_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *pa = a, *pb = b;
	volatile unsigned char diff = alen != blen;

	// Every byte of @b is read whatever the contents; bytes of @a past its end read as 0.
	for (size_t i = 0; i < blen; i++) {
		unsigned char x = i < alen ? pa[i] : 0;

		diff |= x ^ pb[i];
	}
	return diff == 0;
}

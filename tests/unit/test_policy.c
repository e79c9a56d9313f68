// SPDX-License-Identifier: GPL-2.0-or-later
// Bus policy engine: patterns, first match, reasons, counters, secrets, policy.conf.
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-ipc/policy.h"

static char err[1024];
static char reason[1024];

// Add the rule in text form at the end; the test fails if it is refused.
static unsigned int add(struct policy *p, const char *text)
{
	struct policy_rule r;
	unsigned int id = 0;

	if (policy_rule_parse(text, &r, err, sizeof(err)) < 0)
		fail_msg("'%s' refused: %s", text, err);
	if (policy_add(p, &r, 0, &id, err, sizeof(err)) < 0)
		fail_msg("'%s' not added: %s", text, err);
	return id;
}

static bool decide(struct policy *p, const char *from, const char *to, const char *category)
{
	reason[0] = '\0';
	return policy_decide(p, from, to, category, NULL, 0, NULL, reason, sizeof(reason));
}

static void assert_contains(const char *s, const char *what)
{
	if (!strstr(s, what))
		fail_msg("'%s' lacks '%s'", s, what);
}

// --- patterns ------------------------------------------------------------------

static void test_pattern_match(void **state)
{
	static const struct {
		const char *pattern, *subject;
		char sep;
		bool match;
	} cases[] = {
		// addresses
		{ "guest/*", "guest/inbox", '/', true },
		{ "guest/*", "guest/", '/', true },
		{ "guest/*", "guests/inbox", '/', false },
		{ "guest/*", "guest", '/', false },
		{ "guest/*", "other/inbox", '/', false },
		{ "*/inbox", "work/inbox", '/', true },
		{ "*/inbox", "work/inbox2", '/', false },
		{ "*/inbox", "a/b/inbox", '/', false },
		{ "**/inbox", "a/b/inbox", '/', true },
		{ "*", "anything/at.all", '/', true },
		{ "**", "a/b/c", '/', true },
		{ "*", "", '/', true },
		{ "host/admin?", "host/admin1", '/', true },
		{ "host/admin?", "host/admin", '/', false },
		{ "host/admin?", "host/admin12", '/', false },
		{ "?/x", "//x", '/', false },
		{ "w*/*", "work/inbox", '/', true },
		{ "w*/*", "w/inbox", '/', true },
		{ "w*/*", "x/inbox", '/', false },
		{ "w*/*", "work/a/b", '/', false },
		{ "host/in*box", "host/inbox", '/', true },
		{ "host/in*box", "host/in-the-box", '/', true },
		{ "host/in*box", "host/inbox2", '/', false },
		{ "a.b/c", "a.b/c", '/', true },
		{ "a.b/c", "aXb/c", '/', false },
		{ "web-1/x_y", "web-1/x_y", '/', true },
		{ "Host/x", "host/x", '/', false },
		// categories
		{ "sensor.*", "sensor.temperature", '.', true },
		{ "sensor.*", "sensor.temp.max", '.', false },
		{ "sensor.*", "sensor", '.', false },
		{ "sensor.*", "sensors.temperature", '.', false },
		{ "sensor.**", "sensor.temp.max", '.', true },
		{ "sensor.**", "sensor.temperature", '.', true },
		{ "*", "sensor.temp.max", '.', true },
		{ "*.max", "temp.max", '.', true },
		{ "*.max", "sensor.temp.max", '.', false },
		{ "**.max", "sensor.temp.max", '.', true },
		{ "sensor.t?mp", "sensor.temp", '.', true },
		{ "sensor.t?mp", "sensor.t.mp", '.', false },
		{ "a*b*c", "abc", '.', true },
		{ "a*b*c", "axxbyyc", '.', true },
		{ "a*b*c", "axxbyy", '.', false },
		{ "log", "log", '.', true },
		{ "log", "logs", '.', false },
		{ "log", "", '.', false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool m = policy_pattern_match(cases[i].pattern, cases[i].subject, cases[i].sep);

		if (m != cases[i].match)
			fail_msg("case %zu: '%s' on '%s' (sep '%c'): got %s", i, cases[i].pattern,
				 cases[i].subject, cases[i].sep, m ? "match" : "no match");
	}
}

// No backtracking blow-up: a hostile pattern against a long subject is quick.
static void test_pattern_no_backtracking(void **state)
{
	char subject[8192];

	memset(subject, 'a', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	assert_false(policy_pattern_match("**a**a**a**a**a**a**a**a**a**a**a**a**b", subject, '/'));
	assert_true(policy_pattern_match("**a**a**a**a**a**a**a**a**a**a**a**a", subject, '/'));
	// A pattern too long to be valid matches nothing, not even by its prefix.
	subject[POLICY_PATTERN_MAX + 1] = '\0';
	assert_false(policy_pattern_match(subject, subject, '/'));
	subject[POLICY_PATTERN_MAX] = '\0';
	assert_true(policy_pattern_match(subject, subject, '/'));
}

// --- rules ---------------------------------------------------------------------

static void test_bare_container_names(void **state)
{
	static const struct {
		const char *in, *stored;
	} cases[] = {
		{ "work", "work/*" }, { "w*", "w*/*" }, { "*", "*" },
		{ "**", "**" },	      { "a/b", "a/b" }, { "*/inbox", "*/inbox" },
	};
	struct policy_rule r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(policy_rule_make(&r, POLICY_ALLOW, cases[i].in, cases[i].in, NULL,
						  NULL, err, sizeof(err)),
				 0);
		assert_string_equal(r.from, cases[i].stored);
		assert_string_equal(r.to, cases[i].stored);
		assert_string_equal(r.category, "*");
	}
	// The expanded form is what matches and what is printed.
	assert_int_equal(policy_rule_parse("deny from=guest to=work", &r, err, sizeof(err)), 0);
	assert_true(policy_pattern_match(r.from, "guest/x", '/'));
	assert_false(policy_pattern_match(r.from, "guest2/x", '/'));
	policy_rule_format(&r, reason, sizeof(reason));
	assert_string_equal(reason, "deny from=guest/* to=work/* category=*");
}

static void test_validation(void **state)
{
	char long_pat[POLICY_PATTERN_MAX + 2];
	char long_name[POLICY_PATTERN_MAX];
	static const struct {
		enum policy_action action;
		const char *from, *to, *category, *secret;
		int r;
		const char *what;
	} cases[] = {
		{ POLICY_ALLOW, "", NULL, NULL, NULL, -EINVAL, "the from pattern is empty" },
		{ POLICY_ALLOW, NULL, "", NULL, NULL, -EINVAL, "the to pattern is empty" },
		{ POLICY_ALLOW, NULL, NULL, "", NULL, -EINVAL, "the category pattern is empty" },
		{ POLICY_ALLOW, "gu est", NULL, NULL, NULL, -EINVAL, "bad character ' '" },
		{ POLICY_ALLOW, "a/b/c", NULL, NULL, NULL, -EINVAL, "more than one '/'" },
		{ POLICY_ALLOW, "/b", NULL, NULL, NULL, -EINVAL, "empty container" },
		{ POLICY_ALLOW, "a/", NULL, NULL, NULL, -EINVAL, "empty endpoint" },
		{ POLICY_ALLOW, "a/***", NULL, NULL, NULL, -EINVAL, "'***'" },
		{ POLICY_ALLOW, NULL, "x\ny", NULL, NULL, -EINVAL, "byte 0x0a" },
		{ POLICY_ALLOW, NULL, NULL, "a/b", NULL, -EINVAL, "bad character '/'" },
		{ POLICY_ALLOW, NULL, NULL, ".a", NULL, -EINVAL, "empty segment" },
		{ POLICY_ALLOW, NULL, NULL, "a.", NULL, -EINVAL, "empty segment" },
		{ POLICY_ALLOW, NULL, NULL, "a..b", NULL, -EINVAL, "empty segment" },
		{ POLICY_ALLOW, NULL, NULL, NULL, "bad name", -EINVAL, "bad secret name" },
		{ POLICY_ALLOW, NULL, NULL, NULL,
		  "a234567890123456789012345678901234567890123456789012345678901234", -EINVAL,
		  "bad secret name" },
		{ POLICY_DENY, NULL, NULL, NULL, "tok", -EINVAL, "a deny rule takes no secret" },
		{ (enum policy_action)7, NULL, NULL, NULL, NULL, -EINVAL, "unknown action" },
	};
	struct policy_rule r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		err[0] = '\0';
		got = policy_rule_make(&r, cases[i].action, cases[i].from, cases[i].to,
				       cases[i].category, cases[i].secret, err, sizeof(err));
		if (got != cases[i].r || !strstr(err, cases[i].what))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, got, err, cases[i].r,
				 cases[i].what);
	}

	// 128 characters is the limit, for the expanded form of a bare name too.
	memset(long_pat, 'a', sizeof(long_pat));
	long_pat[POLICY_PATTERN_MAX + 1] = '\0';
	assert_int_equal(
		policy_rule_make(&r, POLICY_ALLOW, long_pat, NULL, NULL, NULL, err, sizeof(err)),
		-ENAMETOOLONG);
	assert_contains(err, "longer than 128 characters");
	long_pat[POLICY_PATTERN_MAX] = '\0';
	long_pat[3] = '/';
	assert_int_equal(policy_rule_make(&r, POLICY_ALLOW, long_pat, NULL, long_pat + 4, NULL, err,
					  sizeof(err)),
			 0);
	memset(long_name, 'c', sizeof(long_name));
	long_name[POLICY_PATTERN_MAX - 1] = '\0'; // 127 + "/*" is 129
	assert_int_equal(
		policy_rule_make(&r, POLICY_ALLOW, NULL, long_name, NULL, NULL, err, sizeof(err)),
		-ENAMETOOLONG);
	assert_contains(err, "once expanded");
	long_name[POLICY_PATTERN_MAX - 2] = '\0';
	assert_int_equal(
		policy_rule_make(&r, POLICY_ALLOW, NULL, long_name, NULL, NULL, err, sizeof(err)),
		0);
	assert_int_equal(strlen(r.to), POLICY_PATTERN_MAX);

	// A valid 63-character secret name.
	assert_int_equal(
		policy_rule_make(&r, POLICY_ALLOW, NULL, NULL, NULL,
				 "a23456789012345678901234567890123456789012345678901234567"
				 "890123",
				 err, sizeof(err)),
		0);
}

static void test_parse(void **state)
{
	static const struct {
		const char *text, *formatted;
	} good[] = {
		{ "allow", "allow from=* to=* category=*" },
		{ "  deny\tfrom=guest/*   to=work/*  ", "deny from=guest/* to=work/* category=*" },
		{ "allow category=sensor.* secret=tok to=work/inbox from=host/*",
		  "allow from=host/* to=work/inbox category=sensor.* secret=tok" },
		{ "allow from=host to=**", "allow from=host/* to=** category=*" },
	};
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "", "the rule is empty" },
		{ "permit from=a", "unknown action 'permit' (use allow or deny)" },
		{ "allow from", "'from' is not key=value (keys: from, to, category, secret)" },
		{ "allow src=a/b", "unknown key 'src' (keys: from, to, category, secret)" },
		{ "allow from=a from=b", "'from' is given twice" },
		{ "allow from=", "the from pattern is empty" },
		{ "allow secret=", "secret= is empty" },
		{ "deny secret=tok", "a deny rule takes no secret" },
		{ "allow to=a=b", "bad character '='" },
	};
	struct policy_rule r;
	char text[POLICY_LINE_MAX];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (policy_rule_parse(good[i].text, &r, err, sizeof(err)) < 0)
			fail_msg("'%s' refused: %s", good[i].text, err);
		assert_int_equal(policy_rule_format(&r, text, sizeof(text)),
				 strlen(good[i].formatted));
		assert_string_equal(text, good[i].formatted);
		// The formatted text parses back to the same rule.
		assert_int_equal(policy_rule_parse(text, &r, err, sizeof(err)), 0);
		policy_rule_format(&r, reason, sizeof(reason));
		assert_string_equal(reason, text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (policy_rule_parse(bad[i].text, &r, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, bad[i].what))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].text, err, bad[i].what);
	}
}

// --- decisions -----------------------------------------------------------------

static void test_first_match_wins(void **state)
{
	struct policy p;

	policy_init(&p);
	add(&p, "allow from=host/* to=work/inbox category=sensor.*");
	add(&p, "deny from=host/* to=work/*");
	add(&p, "allow from=host/* to=**");

	assert_true(decide(&p, "host/admin", "work/inbox", "sensor.temp"));
	assert_string_equal(reason, "allowed by rule 1 (allow from=host/* to=work/inbox "
				    "category=sensor.*)");
	// Rule 3 would allow, but rule 2 comes first.
	assert_false(decide(&p, "host/admin", "work/inbox", "log.line"));
	assert_string_equal(reason, "denied by rule 2 (deny from=host/* to=work/* category=*)");
	assert_true(decide(&p, "host/admin", "db/query", "log.line"));
	assert_string_equal(reason, "allowed by rule 3 (allow from=host/* to=** category=*)");
	assert_false(decide(&p, "guest/x", "db/query", "log.line"));
	policy_free(&p);
}

static void test_reason_texts(void **state)
{
	struct policy p;

	policy_init(&p);
	add(&p, "allow from=host/* to=work/*");
	add(&p, "allow from=host/* to=db/*");
	add(&p, "deny from=guest/* to=work/*");
	assert_false(decide(&p, "guest/x", "work/inbox", "sensor.temp"));
	assert_string_equal(reason, "denied by rule 3 (deny from=guest/* to=work/* category=*)");
	assert_false(decide(&p, "a/x", "b/y", "c.d"));
	assert_string_equal(reason, "denied by the default rule (no rule allows from=a/x to=b/y "
				    "category=c.d)");

	// An empty policy denies everything by the default rule.
	policy_free(&p);
	policy_init(&p);
	assert_false(decide(&p, "host/a", "host/b", "x"));
	assert_string_equal(reason,
			    "denied by the default rule (no rule allows from=host/a to=host/b "
			    "category=x)");
	assert_int_equal(p.default_denied, 1);

	// The message's own fields never put control characters into a log line.
	assert_false(decide(&p, "a/x\nFAKE", "b/\033[1m", "c"));
	assert_string_equal(reason, "denied by the default rule (no rule allows from=a/x?FAKE "
				    "to=b/?[1m category=c)");

	// A short buffer truncates, and NULL is accepted.
	assert_false(policy_decide(&p, "a/x", "b/y", "c", NULL, 0, NULL, reason, 10));
	assert_string_equal(reason, "denied by");
	assert_false(policy_decide(&p, "a/x", "b/y", "c", NULL, 0, NULL, NULL, 0));
	policy_free(&p);
}

static void test_hit_counts(void **state)
{
	struct policy p;

	policy_init(&p);
	add(&p, "allow from=host/* category=sensor.*");
	add(&p, "deny from=guest/*");
	add(&p, "allow to=public/*");
	for (int i = 0; i < 5; i++)
		decide(&p, "host/a", "work/b", "sensor.x");
	for (int i = 0; i < 3; i++)
		decide(&p, "guest/a", "public/b", "log");
	decide(&p, "other/a", "public/b", "log");
	decide(&p, "other/a", "work/b", "log");
	decide(&p, "other/a", "work/b", "log");

	assert_int_equal(p.rules[0].hits, 5);
	assert_int_equal(p.rules[1].hits, 3); // first match: rule 3 never sees guest
	assert_int_equal(p.rules[2].hits, 1);
	assert_int_equal(p.default_denied, 2);
	for (size_t i = 0; i < p.n; i++)
		assert_int_equal(p.rules[i].auth_failures, 0);

	policy_reset_counters(&p);
	assert_int_equal(p.rules[0].hits + p.rules[1].hits + p.rules[2].hits, 0);
	assert_int_equal(p.default_denied, 0);
	policy_free(&p);
}

static void test_secrets_in_decisions(void **state)
{
	static const char rule1[] = "allowed by rule 1 (allow from=host/* to=work/inbox "
				    "category=sensor.* secret=tok)";
	static const char deny1[] = "denied by rule 1 (allow from=host/* to=work/inbox "
				    "category=sensor.* secret=tok): ";
	struct policy_secrets s;
	struct policy p;
	char want[512];

	policy_init(&p);
	policy_secrets_init(&s);
	add(&p, "allow from=host/* to=work/inbox category=sensor.* secret=tok");
	assert_int_equal(policy_secret_set(&s, "tok", "s3cr3t-value", 12, err, sizeof(err)), 0);

	// Right data.
	assert_true(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "s3cr3t-value", 12, &s,
				  reason, sizeof(reason)));
	assert_string_equal(reason, rule1);

	// Wrong data, a prefix, a longer value: the rule names itself, never the value.
	snprintf(want, sizeof(want), "%sthe authorization data does not match", deny1);
	assert_false(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "s3cr3t-valuX", 12, &s,
				   reason, sizeof(reason)));
	assert_string_equal(reason, want);
	assert_false(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "s3cr3t", 6, &s, reason,
				   sizeof(reason)));
	assert_string_equal(reason, want);
	assert_false(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "s3cr3t-value!", 13, &s,
				   reason, sizeof(reason)));
	assert_null(strstr(reason, "s3cr3t"));

	// Absent data.
	snprintf(want, sizeof(want), "%sthe message carries no authorization data", deny1);
	assert_false(policy_decide(&p, "host/a", "work/inbox", "sensor.t", NULL, 0, &s, reason,
				   sizeof(reason)));
	assert_string_equal(reason, want);

	// The secret is not set (or no store at all).
	snprintf(want, sizeof(want), "%ssecret 'tok' is not set", deny1);
	assert_false(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "s3cr3t-value", 12, NULL,
				   reason, sizeof(reason)));
	assert_string_equal(reason, want);

	assert_int_equal(p.rules[0].hits, 6);
	assert_int_equal(p.rules[0].auth_failures, 5);
	assert_int_equal(p.default_denied, 0);

	// Outside the rule's addresses the secret plays no part.
	assert_false(policy_decide(&p, "guest/a", "work/inbox", "sensor.t", "s3cr3t-value", 12, &s,
				   reason, sizeof(reason)));
	assert_contains(reason, "denied by the default rule");

	// A later rule may still allow what the secret rule did not...
	add(&p, "allow from=host/admin");
	assert_true(policy_decide(&p, "host/admin", "work/inbox", "sensor.t", NULL, 0, &s, reason,
				  sizeof(reason)));
	assert_string_equal(reason, "allowed by rule 2 (allow from=host/admin to=* category=*)");
	// ...but a later deny rule does not hide that the data was wrong.
	add(&p, "deny from=host/b");
	assert_false(policy_decide(&p, "host/b", "work/inbox", "sensor.t", "nope", 4, &s, reason,
				   sizeof(reason)));
	snprintf(want, sizeof(want), "%sthe authorization data does not match", deny1);
	assert_string_equal(reason, want);
	assert_int_equal(p.rules[2].hits, 0);
	assert_int_equal(p.rules[0].auth_failures, 6);

	// Two secret rules fail: the first one explains.
	add(&p, "allow from=host/c secret=other");
	assert_int_equal(policy_position(&p, p.rules[3].id), 4);
	assert_false(policy_decide(&p, "host/c", "work/inbox", "sensor.t", "nope", 4, &s, reason,
				   sizeof(reason)));
	assert_string_equal(reason, want);
	assert_false(
		policy_decide(&p, "host/c", "x/y", "z", "nope", 4, &s, reason, sizeof(reason)));
	assert_string_equal(reason, "denied by rule 4 (allow from=host/c to=* category=* "
				    "secret=other): secret 'other' is not set");

	// Replacing the value takes effect at once.
	assert_int_equal(policy_secret_set(&s, "tok", "new", 3, err, sizeof(err)), 0);
	assert_false(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "s3cr3t-value", 12, &s,
				   NULL, 0));
	assert_true(policy_decide(&p, "host/a", "work/inbox", "sensor.t", "new", 3, &s, NULL, 0));

	policy_secrets_free(&s);
	policy_free(&p);
}

static void test_ct_equal(void **state)
{
	static const unsigned char zeros[4] = { 0 };

	assert_true(policy_ct_equal("abc", 3, "abc", 3));
	assert_false(policy_ct_equal("abd", 3, "abc", 3));
	assert_false(policy_ct_equal("xbc", 3, "abc", 3));
	assert_false(policy_ct_equal("ab", 2, "abc", 3));
	assert_false(policy_ct_equal("abcd", 4, "abc", 3));
	assert_false(policy_ct_equal(NULL, 0, "abc", 3));
	assert_true(policy_ct_equal(NULL, 0, NULL, 0));
	// Bytes past the end of a short @a read as 0, yet the lengths still differ.
	assert_false(policy_ct_equal(zeros, 2, zeros, 4));
	assert_true(policy_ct_equal(zeros, 4, zeros, 4));
	// Binary data with NULs compares by bytes, not as a string.
	assert_true(policy_ct_equal("a\0b", 3, "a\0b", 3));
	assert_false(policy_ct_equal("a\0b", 3, "a\0c", 3));
	// Every bit counts.
	for (int bit = 0; bit < 8; bit++) {
		unsigned char a[2] = { 0x5a, 0xa5 }, b[2] = { 0x5a, 0xa5 };

		b[1] ^= (unsigned char)(1u << bit);
		assert_false(policy_ct_equal(a, 2, b, 2));
	}
}

// Replaces the C library's, to see what the store wipes before freeing it.
static char wiped[64];
static size_t wiped_calls;

void explicit_bzero(void *s, size_t n)
{
	snprintf(wiped, sizeof(wiped), "%.*s", (int)n, (const char *)s);
	wiped_calls++;
	memset(s, 0, n);
	__asm__ __volatile__("" : : "r"(s) : "memory");
}

static void test_secret_values_wiped(void **state)
{
	struct policy_secrets s;

	policy_secrets_init(&s);
	assert_int_equal(policy_secret_set(&s, "tok", "first", 5, err, sizeof(err)), 0);
	wiped_calls = 0;
	assert_int_equal(policy_secret_set(&s, "tok", "second", 6, err, sizeof(err)), 0);
	assert_int_equal(wiped_calls, 1);
	assert_string_equal(wiped, "first");
	assert_int_equal(policy_secret_set(&s, "other", "third", 5, err, sizeof(err)), 0);
	assert_int_equal(policy_secret_remove(&s, "tok"), 0);
	assert_int_equal(wiped_calls, 2);
	assert_string_equal(wiped, "second");
	policy_secrets_free(&s);
	assert_int_equal(wiped_calls, 3);
	assert_string_equal(wiped, "third");
}

static void test_secret_store(void **state)
{
	unsigned char big[POLICY_SECRET_VALUE_MAX + 1];
	struct policy_secrets s;
	const struct policy_secret *sec;
	char name[16];

	memset(big, 'x', sizeof(big));
	policy_secrets_init(&s);
	assert_null(policy_secret_find(&s, "a"));
	assert_int_equal(policy_secret_set(&s, "a", "1", 1, err, sizeof(err)), 0);
	assert_int_equal(policy_secret_set(&s, "b.c-d_E9", "22", 2, err, sizeof(err)), 0);
	assert_int_equal(policy_secret_set(&s, "a", "333", 3, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	sec = policy_secret_find(&s, "a");
	assert_non_null(sec);
	assert_int_equal(sec->len, 3);
	assert_memory_equal(sec->value, "333", 3);

	assert_int_equal(policy_secret_set(&s, "bad name", "1", 1, err, sizeof(err)), -EINVAL);
	assert_contains(err, "bad secret name");
	assert_int_equal(policy_secret_set(&s, "", "1", 1, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_secret_set(&s, "e", "", 0, err, sizeof(err)), -EINVAL);
	assert_contains(err, "must be 1 to 4096 bytes, not 0");
	assert_int_equal(policy_secret_set(&s, "e", big, sizeof(big), err, sizeof(err)), -EINVAL);
	assert_contains(err, "not 4097");
	assert_int_equal(policy_secret_set(&s, "e", big, POLICY_SECRET_VALUE_MAX, err, sizeof(err)),
			 0);

	assert_int_equal(policy_secret_remove(&s, "a"), 0);
	assert_null(policy_secret_find(&s, "a"));
	assert_non_null(policy_secret_find(&s, "b.c-d_E9"));
	assert_int_equal(policy_secret_remove(&s, "a"), -ENOENT);

	for (int i = (int)s.n; i < POLICY_SECRETS_MAX; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(policy_secret_set(&s, name, "v", 1, err, sizeof(err)), 0);
	}
	assert_int_equal(policy_secret_set(&s, "one-more", "v", 1, err, sizeof(err)), -ENOSPC);
	// Replacing at the limit is still fine.
	assert_int_equal(policy_secret_set(&s, "e", "v", 1, err, sizeof(err)), 0);
	policy_secrets_free(&s);
	assert_int_equal(s.n, 0);
}

// --- positions and IDs ---------------------------------------------------------

static void assert_order(const struct policy *p, const char *const *from, size_t n)
{
	assert_int_equal(p->n, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(p->rules[i].from, from[i]))
			fail_msg("position %zu: from=%s, want %s", i + 1, p->rules[i].from,
				 from[i]);
}

static void test_positions_and_ids(void **state)
{
	struct policy_rule r;
	struct policy p;
	unsigned int a, b, c, d, e;

	policy_init(&p);
	a = add(&p, "allow from=a/x");
	b = add(&p, "allow from=b/x");
	assert_int_equal(policy_rule_parse("deny from=c/x", &r, err, sizeof(err)), 0);
	assert_int_equal(policy_add(&p, &r, 1, &c, err, sizeof(err)), 0);
	assert_int_equal(policy_rule_parse("deny from=d/x", &r, err, sizeof(err)), 0);
	assert_int_equal(policy_add(&p, &r, 3, &d, err, sizeof(err)), 0);
	// n + 1 is the end too.
	assert_int_equal(policy_rule_parse("deny from=e/x", &r, err, sizeof(err)), 0);
	assert_int_equal(policy_add(&p, &r, 5, &e, err, sizeof(err)), 0);
	assert_order(&p, (const char *const[]){ "c/x", "a/x", "d/x", "b/x", "e/x" }, 5);

	// IDs follow creation, not position.
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 3);
	assert_int_equal(d, 4);
	assert_int_equal(e, 5);
	assert_int_equal(policy_position(&p, c), 1);
	assert_int_equal(policy_position(&p, b), 4);

	assert_int_equal(policy_add(&p, &r, 7, NULL, err, sizeof(err)), -ERANGE);
	assert_contains(err, "position 7 is past the end (the policy has 5 rules");
	assert_int_equal(p.n, 5);

	// Removing by ID renumbers positions and keeps the other IDs.
	assert_int_equal(policy_remove(&p, a), 0);
	assert_order(&p, (const char *const[]){ "c/x", "d/x", "b/x", "e/x" }, 4);
	assert_int_equal(policy_position(&p, d), 2);
	assert_int_equal(policy_position(&p, a), -ENOENT);
	assert_int_equal(policy_remove(&p, a), -ENOENT);
	assert_int_equal(policy_remove(&p, 999), -ENOENT);

	// The rule at position 2 now is rule 2 in reasons.
	assert_false(decide(&p, "d/x", "z/z", "q"));
	assert_string_equal(reason, "denied by rule 2 (deny from=d/x to=* category=*)");

	// IDs are never reused.
	assert_int_equal(policy_remove(&p, e), 0);
	assert_int_equal(add(&p, "allow from=f/x"), 6);

	// A hand-filled rule is checked like text.
	memset(&r, 0, sizeof(r));
	r.action = POLICY_ALLOW;
	strcpy(r.from, "bad pattern");
	strcpy(r.to, "*");
	strcpy(r.category, "*");
	assert_int_equal(policy_add(&p, &r, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_contains(err, "bad character ' '");
	memset(r.from, 'a', sizeof(r.from));
	assert_int_equal(policy_add(&p, &r, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_contains(err, "unterminated");
	// Its counters and ID are the policy's to set.
	assert_int_equal(policy_rule_parse("allow from=g", &r, err, sizeof(err)), 0);
	r.hits = 42;
	r.id = 1;
	assert_int_equal(policy_add(&p, &r, 0, &a, err, sizeof(err)), 0);
	assert_int_equal(a, 7);
	assert_int_equal(p.rules[p.n - 1].hits, 0);
	policy_free(&p);
}

static void test_rule_limit(void **state)
{
	struct policy_rule r;
	struct policy p;

	policy_init(&p);
	assert_int_equal(policy_rule_parse("deny", &r, err, sizeof(err)), 0);
	for (int i = 0; i < POLICY_RULES_MAX; i++)
		assert_int_equal(policy_add(&p, &r, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(policy_add(&p, &r, 0, NULL, err, sizeof(err)), -ENOSPC);
	assert_contains(err, "4096 rules");
	policy_free(&p);
}

// --- policy.conf ---------------------------------------------------------------

static char dir[64];
static char path[128];

static int setup_dir(void **state)
{
	strcpy(dir, "/tmp/ctr-ipc-test-policy.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	return 0;
}

static int teardown_dir(void **state)
{
	char p[sizeof(dir) + 256];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t count_files(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_load_file(void **state)
{
	struct policy p;

	write_file("# bus policy\n"
		   "\n"
		   "   # indented comment\n"
		   "allow from=host/* to=work/inbox category=sensor.* secret=tok\n"
		   "\tdeny from=guest to=work\r\n"
		   "allow from=*/x\n");
	policy_init(&p);
	assert_int_equal(policy_load_file(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.rules[0].secret, "tok");
	assert_string_equal(p.rules[1].from, "guest/*");
	assert_string_equal(p.rules[1].to, "work/*");
	assert_int_equal(p.rules[2].action, POLICY_ALLOW);
	assert_int_equal(p.rules[0].id, 1);
	assert_int_equal(p.rules[2].id, 3);
	policy_free(&p);
}

// Errors name file:line, and a failed load leaves the policy as it was.
static void test_load_file_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *what;
	} cases[] = {
		{ "allow\npermit from=a\n", 2, "unknown action 'permit'" },
		{ "# c\n\nallow from=a/b/c\n", 3, "more than one '/'" },
		{ "allow\nallow\nallow\ndeny secret=x\n", 4, "a deny rule takes no secret" },
		{ "allow colour=red\n", 1, "unknown key 'colour'" },
		{ "allow category=a..b", 1, "empty segment" },
	};
	char prefix[192];
	struct policy p;
	unsigned int id;

	policy_init(&p);
	id = add(&p, "deny from=keep/me");
	p.rules[0].hits = 7;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].text);
		err[0] = '\0';
		assert_int_equal(policy_load_file(&p, path, err, sizeof(err)), -EINVAL);
		snprintf(prefix, sizeof(prefix), "%s:%u: ", path, cases[i].line);
		if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, cases[i].what))
			fail_msg("case %zu: error '%s' lacks '%s' or '%s'", i, err, prefix,
				 cases[i].what);
		assert_int_equal(p.n, 1);
		assert_int_equal(p.rules[0].id, id);
		assert_int_equal(p.rules[0].hits, 7);
	}

	// A line too long.
	{
		char big[POLICY_LINE_MAX + 64];

		memset(big, ' ', sizeof(big));
		memcpy(big, "allow", 5);
		strcpy(big + sizeof(big) - 2, "\n");
		write_file(big);
		assert_int_equal(policy_load_file(&p, path, err, sizeof(err)), -EINVAL);
		snprintf(prefix, sizeof(prefix), "%s:1: the line is longer than 1024 characters",
			 path);
		assert_string_equal(err, prefix);
	}

	unlink(path);
	assert_int_equal(policy_load_file(&p, path, err, sizeof(err)), -ENOENT);
	assert_contains(err, "cannot open");
	assert_contains(err, path);
	assert_int_equal(p.n, 1);
	policy_free(&p);
}

static void test_save_load_round_trip(void **state)
{
	static const char *const rules[] = {
		"allow from=host/* to=work/inbox category=sensor.* secret=tok",
		"deny from=guest/* to=work/* category=*",
		"allow from=* to=**/x category=log.**",
		"allow from=w*/a?c to=host/admin category=*.max secret=other.key-1",
	};
	struct policy p, q;
	char text[POLICY_LINE_MAX];
	struct stat st;
	FILE *f;
	char line[256];
	unsigned int first_id;

	policy_init(&p);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		add(&p, rules[i]);
	assert_int_equal(policy_save_file(&p, path, err, sizeof(err)), 0);
	// Only the file itself: no temporary left behind.
	assert_int_equal(count_files(), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	// The file is exactly the rule texts, one per line, after a comment.
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(line[0], '#');
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		line[strcspn(line, "\n")] = '\0';
		assert_string_equal(line, rules[i]);
	}
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);

	policy_init(&q);
	add(&q, "deny from=old/rule");
	first_id = q.next_id;
	assert_int_equal(policy_load_file(&q, path, err, sizeof(err)), 0);
	assert_int_equal(q.n, p.n);
	for (size_t i = 0; i < q.n; i++) {
		policy_rule_format(&q.rules[i], text, sizeof(text));
		assert_string_equal(text, rules[i]);
		// New IDs, after those already handed out.
		assert_int_equal(q.rules[i].id, first_id + i);
	}

	// Saving over an existing file replaces it.
	assert_int_equal(policy_remove(&q, q.rules[0].id), 0);
	assert_int_equal(policy_save_file(&q, path, err, sizeof(err)), 0);
	assert_int_equal(count_files(), 1);
	policy_free(&p);
	policy_init(&p);
	assert_int_equal(policy_load_file(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p.n, 3);

	// A directory that does not exist is an error naming the path.
	assert_int_equal(policy_save_file(&p, "/nonexistent-ctr-ipc/policy.conf", err, sizeof(err)),
			 -ENOENT);
	assert_contains(err, "/nonexistent-ctr-ipc/policy.conf");
	policy_free(&p);
	policy_free(&q);
}

/* Deciding without a sentence, then explaining: the same sentence, counted once. */
static void test_explain_without_counting(void **state)
{
	char quiet[512];
	struct policy p;

	policy_init(&p);
	add(&p, "deny from=guest/* to=work/*");
	add(&p, "allow from=* to=*");
	assert_false(policy_decide(&p, "guest/a", "work/b", "x.y", NULL, 0, NULL, NULL, 0));
	assert_false(policy_explain(&p, "guest/a", "work/b", "x.y", NULL, 0, NULL, quiet,
				    sizeof(quiet)));
	assert_false(decide(&p, "guest/a", "work/b", "x.y"));
	assert_string_equal(quiet, reason);
	assert_string_equal(quiet, "denied by rule 1 (deny from=guest/* to=work/* category=*)");
	assert_int_equal(p.rules[0].hits, 2); /* the two decisions, not the explanation */
	assert_true(policy_decide(&p, "host/a", "work/b", "x.y", NULL, 0, NULL, NULL, 0));
	assert_int_equal(p.rules[1].hits, 1);
	assert_true(
		policy_explain(&p, "nobody/x", "x/y", "z", NULL, 0, NULL, quiet, sizeof(quiet)));
	assert_string_equal(quiet, "allowed by rule 2 (allow from=* to=* category=*)");
	assert_int_equal(p.rules[1].hits, 1);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_pattern_no_backtracking),
		cmocka_unit_test(test_bare_container_names),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_reason_texts),
		cmocka_unit_test(test_hit_counts),
		cmocka_unit_test(test_secrets_in_decisions),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_secret_values_wiped),
		cmocka_unit_test(test_secret_store),
		cmocka_unit_test(test_positions_and_ids),
		cmocka_unit_test(test_rule_limit),
		cmocka_unit_test(test_explain_without_counting),
		cmocka_unit_test_setup_teardown(test_load_file, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_file_errors, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_load_round_trip, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

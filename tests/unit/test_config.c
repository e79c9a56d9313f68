// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipcd.conf parser: values, defaults, and errors that name file:line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-ipc/proto.h"
#include "ctr-ipc/util.h"
#include "../../daemon/config.h"

static char path[64];
static char err[512];

static const char *write_file(const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/ctr-ipc-test-conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load @text into a fresh config; returns the result, keeps @c for inspection. */
static int load(struct config *c, const char *text)
{
	int r;

	assert_int_equal(config_init(c), 0);
	err[0] = '\0';
	r = config_load(c, write_file(text), true, err, sizeof(err));
	unlink(path);
	return r;
}

/* The error must start with "FILE:LINE: " and contain @what. */
static void assert_error_at(unsigned int line, const char *what)
{
	char prefix[96];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what))
		fail_msg("error '%s' lacks '%s' or '%s'", err, prefix, what);
}

static void test_defaults(void **state)
{
	struct config c;

	assert_int_equal(config_init(&c), 0);
	assert_int_equal(c.port_id, CTRIPC_DEFAULT_PORT_ID);
	assert_string_equal(c.state_dir, "/var/lib/ctr-ipc");
	assert_string_equal(c.run_dir, "/run/ctr-ipc");
	assert_int_equal(c.log_level, LOG_LVL_INFO);
	assert_null(c.admin_group);
	assert_false(c.read_open);
	assert_int_equal(c.vdev_backend, VDEV_BACKEND_AUTO);
	config_free(&c);
}

static void test_all_keys(void **state)
{
	struct config c;

	assert_int_equal(load(&c, "# a comment\n"
				  "\n"
				  "   ; another comment\n"
				  "port_id = 4242\n"
				  "state_dir=/srv/state\n"
				  "run_dir = \"/srv/run dir\"\n"
				  "log_level = debug\n"
				  "log_target = syslog\n"
				  "admin_group = root\n"
				  "read_access = all\n"
				  "vdev_backend = kmod\n"),
			 0);
	assert_int_equal(c.port_id, 4242);
	assert_string_equal(c.state_dir, "/srv/state");
	assert_string_equal(c.run_dir, "/srv/run dir");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.log_target, LOG_TARGET_SYSLOG);
	assert_string_equal(c.admin_group, "root");
	assert_int_equal(c.admin_gid, 0);
	assert_true(c.read_open);
	assert_int_equal(c.vdev_backend, VDEV_BACKEND_KMOD);
	config_free(&c);
}

/* The journal's keys: defaults, and values with their suffixes. */
static void test_journal_keys(void **state)
{
	struct config c;

	assert_int_equal(config_init(&c), 0);
	assert_int_equal(c.journal.durability, 0); /* sync */
	assert_int_equal(c.journal.segment_size, 64u << 20);
	assert_int_equal(c.journal.retain_age, 7 * 86400);
	config_free(&c);
	assert_int_equal(load(&c, "durability = async\n"
				  "journal_segment_size = 256K\n"
				  "journal_sync_interval_ms = 50\n"
				  "journal_retain_size = 2G\n"
				  "journal_retain_age = 36h\n"),
			 0);
	assert_int_equal(c.journal.durability, 1);
	assert_int_equal(c.journal.segment_size, 256u << 10);
	assert_int_equal(c.journal.sync_interval_ms, 50);
	assert_int_equal(c.journal.retain_size, 2ull << 30);
	assert_int_equal(c.journal.retain_age, 36 * 3600);
	config_free(&c);
	assert_int_equal(load(&c, "durability = memory\njournal_retain_age = 90\n"), 0);
	assert_int_equal(c.journal.durability, 2);
	assert_int_equal(c.journal.retain_age, 90);
	config_free(&c);
}

static void test_hex_port_and_numeric_group(void **state)
{
	struct config c;

	assert_int_equal(load(&c, "port_id = 0x43495043\nadmin_group = 0\n"), 0);
	assert_int_equal(c.port_id, 0x43495043u);
	assert_int_equal(c.admin_gid, 0);
	config_free(&c);
}

/* Numbers are decimal unless written 0x...: a leading zero is not octal. */
static void test_number_syntax(void **state)
{
	struct config c;

	assert_int_equal(load(&c, "port_id = 010\n"), 0);
	assert_int_equal(c.port_id, 10);
	config_free(&c);
	assert_int_equal(load(&c, "port_id = 0XfF\n"), 0);
	assert_int_equal(c.port_id, 255);
	config_free(&c);
	assert_true(load(&c, "port_id = 0x\n") < 0);
	config_free(&c);
	assert_true(load(&c, "port_id = 0x-5\n") < 0);
	config_free(&c);
	assert_true(load(&c, "port_id = 1e3\n") < 0);
	config_free(&c);
}

static void test_unknown_key(void **state)
{
	struct config c;

	assert_int_equal(load(&c, "log_level = info\n\nbogus = 1\n"), -EINVAL);
	assert_error_at(3, "unknown key 'bogus' (known keys: port_id");
	config_free(&c);
}

static void test_bad_values(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *what;
	} cases[] = {
		{ "port_id = 0\n", 1, "port_id must be a number from 1" },
		{ "port_id = -3\n", 1, "port_id must be a number" },
		{ "port_id = 4294967296\n", 1, "port_id must be a number" },
		{ "port_id = 12abc\n", 1, "not '12abc'" },
		{ "\nlog_level = loud\n", 2, "log_level must be debug, info" },
		{ "log_target = file\n", 1, "log_target must be auto, stderr or syslog" },
		{ "read_access = some\n", 1, "read_access must be admin or all" },
		{ "vdev_backend = module\n", 1, "vdev_backend must be auto, kmod or user" },
		{ "state_dir = relative/path\n", 1, "state_dir must be an absolute path" },
		{ "admin_group = no-such-group-ctripc\n", 1, "is not a group on this system" },
		{ "admin_group = 4242424\n", 1, "admin_group 4242424 is not a group" },
		{ "#\nlog_level\n", 2, "expected 'key = value'" },
		{ "= value\n", 1, "missing key before '='" },
		{ "run_dir = \"/x\n", 1, "unterminated quote" },
		{ "log_level =\n", 1, "'log_level' has an empty value" },
		{ "durability = always\n", 1, "durability must be sync, async or memory" },
		{ "journal_segment_size = 1K\n", 1, "journal_segment_size must be from 65536" },
		{ "journal_sync_interval_ms = 0\n", 1, "journal_sync_interval_ms must be from 1" },
		{ "journal_retain_age = 7w\n", 1,
		  "journal_retain_age must be a number of seconds" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;

		assert_true(load(&c, cases[i].text) < 0);
		assert_error_at(cases[i].line, cases[i].what);
		config_free(&c);
	}
}

static void test_duplicate_key(void **state)
{
	struct config c;

	assert_int_equal(load(&c, "log_level = info\nport_id = 5\nlog_level = debug\n"), -EINVAL);
	assert_error_at(3, "'log_level' is already set on line 1");
	config_free(&c);
}

static void test_missing_file(void **state)
{
	struct config c;

	assert_int_equal(config_init(&c), 0);
	assert_int_equal(config_load(&c, "/nonexistent/ctr-ipcd.conf", false, err, sizeof(err)), 0);
	assert_int_equal(config_load(&c, "/nonexistent/ctr-ipcd.conf", true, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/ctr-ipcd.conf: cannot open"));
	config_free(&c);
}

static void test_set_and_copy(void **state)
{
	struct config a, b;

	assert_int_equal(config_init(&a), 0);
	assert_int_equal(config_init(&b), 0);
	assert_int_equal(config_set(&a, "run_dir", "/a/run", err, sizeof(err)), 0);
	assert_int_equal(config_set(&a, "admin_group", "root", err, sizeof(err)), 0);
	assert_int_equal(config_copy_key(&b, &a, CFG_RUN_DIR), 0);
	assert_int_equal(config_copy_key(&b, &a, CFG_ADMIN_GROUP), 0);
	assert_string_equal(b.run_dir, "/a/run");
	assert_string_equal(b.admin_group, "root");
	assert_int_equal(config_set(&a, "nope", "1", err, sizeof(err)), -EINVAL);
	config_free(&a);
	config_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_journal_keys),
		cmocka_unit_test(test_hex_port_and_numeric_group),
		cmocka_unit_test(test_number_syntax),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_set_and_copy),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

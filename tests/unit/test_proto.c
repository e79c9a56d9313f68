// SPDX-License-Identifier: GPL-2.0-or-later
/* Control protocol codec: round trips and every kind of malformed message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>

#include "ctr-ipc/proto.h"

static char err[512];

static int parse(struct nl_msg *m, bool request, struct nlattr **tb, uint8_t *cmd)
{
	err[0] = '\0';
	return ctripc_msg_parse(nlmsg_hdr(m), request, tb, cmd, err, sizeof(err));
}

static void test_request_round_trip(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m =
		ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST | NLM_F_ACK, 7, 0);
	uint8_t cmd = 0;

	assert_non_null(m);
	assert_int_equal(nla_put_string(m, CTRIPC_A_LOG_LEVEL, "debug"), 0);
	assert_int_equal(parse(m, true, tb, &cmd), 0);
	assert_int_equal(cmd, CTRIPC_CMD_DAEMON_LOG_LEVEL);
	assert_int_equal(nlmsg_hdr(m)->nlmsg_type, CTRIPC_NLMSG_TYPE);
	assert_int_equal(nlmsg_hdr(m)->nlmsg_seq, 7);
	assert_int_equal(((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(m)))->version,
			 CTRIPC_PROTO_VERSION);
	assert_non_null(tb[CTRIPC_A_LOG_LEVEL]);
	assert_string_equal(nla_get_string(tb[CTRIPC_A_LOG_LEVEL]), "debug");
	nlmsg_free(m);
}

static void test_reply_round_trip(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, 0, 1, 42);

	assert_int_equal(nla_put_string(m, CTRIPC_A_VERSION, "9.9.9"), 0);
	assert_int_equal(nla_put_u32(m, CTRIPC_A_PID, 1234), 0);
	assert_int_equal(nla_put_u64(m, CTRIPC_A_UPTIME_MS, UINT64_C(1) << 40), 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_RUN_DIR, "/run/x"), 0);
	/* A reply may carry attributes a request for the same command may not. */
	assert_int_equal(parse(m, false, tb, NULL), 0);
	assert_string_equal(nla_get_string(tb[CTRIPC_A_VERSION]), "9.9.9");
	assert_int_equal(nla_get_u32(tb[CTRIPC_A_PID]), 1234);
	assert_true(nla_get_u64(tb[CTRIPC_A_UPTIME_MS]) == UINT64_C(1) << 40);
	assert_null(tb[CTRIPC_A_STATE_DIR]);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "not valid for 'daemon.status'"));
	nlmsg_free(m);
}

static void test_unknown_command(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(99, NLM_F_REQUEST, 1, 0);

	assert_int_equal(parse(m, true, tb, NULL), -EOPNOTSUPP);
	assert_non_null(strstr(err, "unknown ctr-ipc command 99"));
	nlmsg_free(m);
	m = ctripc_msg_new(CTRIPC_CMD_UNSPEC, NLM_F_REQUEST, 1, 0);
	assert_int_equal(parse(m, true, tb, NULL), -EOPNOTSUPP);
	nlmsg_free(m);
}

static void test_wrong_version(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, NLM_F_REQUEST, 1, 0);

	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(m)))->version = CTRIPC_PROTO_VERSION + 1;
	assert_int_equal(parse(m, true, tb, NULL), -EPROTO);
	assert_non_null(strstr(err, "protocol version 2 is not supported"));
	nlmsg_free(m);
}

static void test_wrong_attribute_size(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, 0, 1, 0);

	/* pid is a u32: two bytes and eight bytes are both wrong. */
	assert_int_equal(nla_put_u16(m, CTRIPC_A_PID, 5), 0);
	assert_int_equal(parse(m, false, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "attribute 'pid' has 2 bytes, expected 4"));
	nlmsg_free(m);

	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, 0, 1, 0);
	assert_int_equal(nla_put_u64(m, CTRIPC_A_PID, 5), 0);
	assert_int_equal(parse(m, false, tb, NULL), -EINVAL);
	nlmsg_free(m);

	/* A string attribute without its NUL terminator. */
	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST, 1, 0);
	assert_int_equal(nla_put(m, CTRIPC_A_LOG_LEVEL, 4, "info"), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'log_level' is not a NUL-terminated string"));
	nlmsg_free(m);

	/* A NUL inside a string is refused too. */
	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST, 1, 0);
	assert_int_equal(nla_put(m, CTRIPC_A_LOG_LEVEL, 5, "in\0f"), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	nlmsg_free(m);
}

static void test_overlong_string(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	char name[CTRIPC_NAME_MAX + 2];
	struct nl_msg *m =
		ctripc_msg_new(CTRIPC_CMD_DAEMON_STATS, NLM_F_REQUEST | NLM_F_DUMP, 1, 0);

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(nla_put_string(m, CTRIPC_A_CMD_NAME, name), 0);
	assert_int_equal(parse(m, true, tb, NULL), -ENAMETOOLONG);
	assert_non_null(strstr(err, "'command' is 65 bytes long, the limit is 64"));
	nlmsg_free(m);

	/* Exactly at the limit is fine. */
	name[CTRIPC_NAME_MAX] = '\0';
	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATS, NLM_F_REQUEST | NLM_F_DUMP, 1, 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_CMD_NAME, name), 0);
	assert_int_equal(parse(m, true, tb, NULL), 0);
	nlmsg_free(m);
}

static void test_missing_required(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST, 1, 0);

	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'daemon.log-level' needs attribute 'log_level'"));
	nlmsg_free(m);
}

static void test_unknown_attribute(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, NLM_F_REQUEST, 1, 0);

	assert_int_equal(nla_put_u32(m, 200, 1), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown attribute 200"));
	nlmsg_free(m);

	/* In an answer, which a newer side may extend, it is skipped and the rest read. */
	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, 0, 1, 0);
	assert_int_equal(nla_put_u32(m, 200, 1), 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_LOG_LEVEL, "info"), 0);
	assert_int_equal(parse(m, false, tb, NULL), 0);
	assert_non_null(tb[CTRIPC_A_LOG_LEVEL]);
	assert_string_equal(nla_get_string(tb[CTRIPC_A_LOG_LEVEL]), "info");
	nlmsg_free(m);
}

static void test_duplicate_and_flagged_attributes(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST, 1, 0);

	assert_int_equal(nla_put_string(m, CTRIPC_A_LOG_LEVEL, "info"), 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_LOG_LEVEL, "debug"), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "attribute 'log_level' is given twice"));
	nlmsg_free(m);

	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST, 1, 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_LOG_LEVEL | NLA_F_NESTED, "info"), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "nested or byte-order flags"));
	nlmsg_free(m);
}

static void test_truncated(void **state)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, NLM_F_REQUEST, 1, 0);
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	/* Header claims less than nlmsghdr + genlmsghdr. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(parse(m, true, tb, NULL), -EBADMSG);
	assert_non_null(strstr(err, "shorter than its header"));
	nlmsg_free(m);

	/* An attribute whose length runs past the end of the message. */
	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_LOG_LEVEL, NLM_F_REQUEST, 1, 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_LOG_LEVEL, "info"), 0);
	nlh = nlmsg_hdr(m);
	nlh->nlmsg_len -= 4;
	assert_true(parse(m, true, tb, NULL) < 0);
	nlmsg_free(m);

	/* Not a ctr-ipc message type at all. */
	m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, NLM_F_REQUEST, 1, 0);
	nlmsg_hdr(m)->nlmsg_type = NLMSG_MIN_TYPE;
	assert_int_equal(parse(m, true, tb, NULL), -EBADMSG);
	nlmsg_free(m);
}

static void test_error_round_trip(void **state)
{
	struct nl_msg *req =
		ctripc_msg_new(CTRIPC_CMD_DAEMON_RELOAD, NLM_F_REQUEST | NLM_F_ACK, 33, 0);
	struct nl_msg *e = ctripc_msg_error(nlmsg_hdr(req), -EPERM, "permission denied: because");
	char text[256];
	int error = 0;

	assert_non_null(e);
	assert_int_equal(nlmsg_hdr(e)->nlmsg_type, NLMSG_ERROR);
	assert_int_equal(nlmsg_hdr(e)->nlmsg_seq, 33);
	assert_true(nlmsg_hdr(e)->nlmsg_flags & NLM_F_ACK_TLVS);
	assert_int_equal(ctripc_msg_error_parse(nlmsg_hdr(e), &error, text, sizeof(text)), 0);
	assert_int_equal(error, -EPERM);
	assert_string_equal(text, "permission denied: because");
	nlmsg_free(e);

	/* An ACK carries error 0 and no text. */
	e = ctripc_msg_error(nlmsg_hdr(req), 0, NULL);
	assert_int_equal(ctripc_msg_error_parse(nlmsg_hdr(e), &error, text, sizeof(text)), 0);
	assert_int_equal(error, 0);
	assert_string_equal(text, "");
	assert_false(nlmsg_hdr(e)->nlmsg_flags & NLM_F_ACK_TLVS);
	nlmsg_free(e);

	/* A truncated error is refused. */
	e = ctripc_msg_error(nlmsg_hdr(req), -EIO, "x");
	nlmsg_hdr(e)->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(ctripc_msg_error_parse(nlmsg_hdr(e), &error, text, sizeof(text)),
			 -EBADMSG);
	nlmsg_free(e);
	nlmsg_free(req);
}

static void test_tables_consistent(void **state)
{
	/* Every attribute has a name and a policy; every command a key. */
	for (int a = 1; a <= CTRIPC_A_MAX; a++) {
		assert_non_null(ctripc_attr_names[a]);
		assert_int_not_equal(ctripc_policy[a].type, NLA_UNSPEC);
	}
	for (unsigned int c = 1; c <= CTRIPC_CMD_MAX; c++) {
		assert_non_null(ctripc_cmds[c].name);
		assert_int_equal(ctripc_cmd_by_name(ctripc_cmds[c].name), c);
		assert_non_null(ctripc_cmds[c].required);
		assert_non_null(ctripc_cmds[c].allowed);
	}
	assert_int_equal(ctripc_cmd_by_name("no.such"), 0);
}

static void test_string_lists(void **state)
{
	static const char *const argv[] = { "/bin/sh", "-c", "", "echo hi" };
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_CONTAINER_CREATE, NLM_F_REQUEST, 1, 0);
	const char *got[8];

	assert_int_equal(nla_put_string(m, CTRIPC_A_NAME, "web"), 0);
	assert_int_equal(ctripc_strv_put(m, CTRIPC_A_ARGV, argv, 4), 0);
	assert_int_equal(nla_put_flag(m, CTRIPC_A_USERNS), 0);
	assert_int_equal(parse(m, true, tb, NULL), 0);
	assert_int_equal(ctripc_strv_get(tb[CTRIPC_A_ARGV], got, 8), 4);
	assert_string_equal(got[0], "/bin/sh");
	assert_string_equal(got[2], "");
	assert_string_equal(got[3], "echo hi");
	assert_int_equal(ctripc_strv_get(tb[CTRIPC_A_ARGV], got, 3), -E2BIG);
	assert_non_null(tb[CTRIPC_A_USERNS]);
	nlmsg_free(m);

	/* A list whose last string is not terminated is refused. */
	m = ctripc_msg_new(CTRIPC_CMD_CONTAINER_CREATE, NLM_F_REQUEST, 1, 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_NAME, "web"), 0);
	assert_int_equal(nla_put(m, CTRIPC_A_ENV, 5, "A=1\0B"), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'env' is not a list of NUL-terminated strings"));
	nlmsg_free(m);

	/* A flag with a payload is refused. */
	m = ctripc_msg_new(CTRIPC_CMD_CONTAINER_RM, NLM_F_REQUEST, 1, 0);
	assert_int_equal(nla_put_string(m, CTRIPC_A_NAME, "web"), 0);
	assert_int_equal(nla_put_u32(m, CTRIPC_A_FORCE, 1), 0);
	assert_int_equal(parse(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'force' has 4 bytes, expected 0"));
	nlmsg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_wrong_attribute_size),
		cmocka_unit_test(test_overlong_string),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_unknown_attribute),
		cmocka_unit_test(test_duplicate_and_flagged_attributes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_error_round_trip),
		cmocka_unit_test(test_tables_consistent),
		cmocka_unit_test(test_string_lists),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Bus frames: round trips over a real SOCK_SEQPACKET pair, fd passing, malformed frames. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>

#include "ctr-ipc/bus.h"

static char err[512];
static unsigned char buf[CTRIPC_BUS_FRAME_MAX];
static int sv[2];

static int setup(void **state)
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

static int teardown(void **state)
{
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Send raw bytes as one datagram and receive them as a frame. */
static ssize_t round_trip_raw(const void *data, size_t len, bool request, struct nlattr **tb,
			      uint8_t *cmd)
{
	assert_int_equal(send(sv[0], data, len, 0), (ssize_t)len);
	err[0] = '\0';
	return ctripc_bus_recv(sv[1], buf, sizeof(buf), request, tb, cmd, NULL, err, sizeof(err));
}

static ssize_t round_trip(struct nl_msg *m, bool request, struct nlattr **tb, uint8_t *cmd)
{
	ssize_t n = round_trip_raw(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, request, tb, cmd);

	nlmsg_free(m);
	return n;
}

static struct nl_msg *send_frame(void)
{
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_SEND, 5);

	assert_non_null(m);
	assert_int_equal(nla_put_string(m, CTRIPC_BUS_A_DEST, "work/inbox"), 0);
	assert_int_equal(nla_put_string(m, CTRIPC_BUS_A_CATEGORY, "sensor.temperature"), 0);
	return m;
}

static void test_send_round_trip(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = send_frame();
	uint8_t cmd = 0;
	char payload[100];

	memset(payload, 0xab, sizeof(payload));
	assert_int_equal(nla_put(m, CTRIPC_BUS_A_PAYLOAD, sizeof(payload), payload), 0);
	assert_int_equal(nla_put(m, CTRIPC_BUS_A_AUTH, 3, "key"), 0);
	assert_int_equal(nla_put_u32(m, CTRIPC_BUS_A_TTL_MS, 1500), 0);
	assert_true(round_trip(m, true, tb, &cmd) > 0);
	assert_int_equal(cmd, CTRIPC_BUS_CMD_SEND);
	assert_string_equal(nla_get_string(tb[CTRIPC_BUS_A_DEST]), "work/inbox");
	assert_int_equal(nla_len(tb[CTRIPC_BUS_A_PAYLOAD]), sizeof(payload));
	assert_memory_equal(nla_data(tb[CTRIPC_BUS_A_PAYLOAD]), payload, sizeof(payload));
	assert_int_equal(nla_get_u32(tb[CTRIPC_BUS_A_TTL_MS]), 1500);
	assert_null(tb[CTRIPC_BUS_A_MORE]);
}

static void test_empty_payload(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = send_frame();

	assert_int_equal(nla_put(m, CTRIPC_BUS_A_PAYLOAD, 0, NULL), 0);
	assert_true(round_trip(m, true, tb, NULL) > 0);
	assert_int_equal(nla_len(tb[CTRIPC_BUS_A_PAYLOAD]), 0);
}

static void test_fd_passing(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_REGISTER, 1);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got = -1;

	assert_true(fd >= 0);
	assert_int_equal(nla_put_string(m, CTRIPC_BUS_A_ENDPOINT, "inbox"), 0);
	assert_int_equal(ctripc_bus_send(sv[0], m, fd), 0);
	nlmsg_free(m);
	assert_true(ctripc_bus_recv(sv[1], buf, sizeof(buf), true, tb, NULL, &got, err,
				    sizeof(err)) > 0);
	assert_true(got >= 0 && got != fd);
	assert_int_equal(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(got);
	close(fd);
}

static void test_fd_refused_is_closed(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), probe;

	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 9), 0);
	assert_int_equal(ctripc_bus_send(sv[0], m, fd), 0);
	nlmsg_free(m);
	close(fd);
	/* Not wanted: closed by the receiver, so the lowest free fd is the same again. */
	assert_true(ctripc_bus_recv(sv[1], buf, sizeof(buf), true, tb, NULL, NULL, err,
				    sizeof(err)) > 0);
	probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(probe, fd);
	close(probe);
}

static void test_missing_required(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = send_frame(); /* no payload */

	assert_int_equal(round_trip(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'send' needs attribute 'payload'"));
}

static void test_attribute_not_for_command(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);

	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	assert_int_equal(nla_put_string(m, CTRIPC_BUS_A_SOURCE, "a/b"), 0);
	assert_int_equal(round_trip(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'source' is not valid for 'ack'"));
}

static void test_duplicate_attribute(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);

	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 2), 0);
	assert_int_equal(round_trip(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'id' is given twice"));
}

static void test_wrong_integer_size(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);

	assert_int_equal(nla_put_u32(m, CTRIPC_BUS_A_ID, 1), 0);
	assert_int_equal(round_trip(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'id' has 4 bytes, expected 8"));
}

static void test_unterminated_string(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_REGISTER, 1);

	assert_int_equal(nla_put(m, CTRIPC_BUS_A_ENDPOINT, 5, "inbox"), 0);
	assert_int_equal(round_trip(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "'endpoint' is not a NUL-terminated string"));
}

static void test_oversize_chunk(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = nlmsg_alloc_size(CTRIPC_BUS_FRAME_MAX + 4096);
	char *big = calloc(1, CTRIPC_BUS_CHUNK + 1);

	assert_non_null(genlmsg_put(m, 0, 1, CTRIPC_BUS_NLMSG_TYPE, 0, 0, CTRIPC_BUS_CMD_DATA,
				    CTRIPC_BUS_VERSION));
	assert_int_equal(nla_put(m, CTRIPC_BUS_A_PAYLOAD, CTRIPC_BUS_CHUNK + 1, big), 0);
	assert_int_equal(round_trip(m, true, tb, NULL), -E2BIG);
	assert_non_null(strstr(err, "'payload' is 32769 bytes long, the limit is 32768"));
	free(big);
}

static void test_unknown_command_and_attribute(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(77, 1);

	assert_int_equal(round_trip(m, true, tb, NULL), -EOPNOTSUPP);
	assert_non_null(strstr(err, "unknown bus command 77"));
	m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);
	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	assert_int_equal(nla_put_u32(m, 99, 1), 0);
	assert_int_equal(round_trip(m, true, tb, NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown attribute 99"));
}

static void test_wrong_type_and_version(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);

	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	nlmsg_hdr(m)->nlmsg_type = CTRIPC_NLMSG_TYPE; /* a control message on the bus */
	assert_int_equal(round_trip(m, true, tb, NULL), -EBADMSG);
	assert_non_null(strstr(err, "is not a bus message"));
	m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);
	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(m)))->version = 9;
	assert_int_equal(round_trip(m, true, tb, NULL), -EPROTO);
	assert_non_null(strstr(err, "bus protocol version 9 is not supported"));
}

static void test_truncated_and_lying_lengths(void **state)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);
	struct nlmsghdr *nlh;

	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	nlh = nlmsg_hdr(m);
	/* A datagram shorter than the header. */
	assert_int_equal(round_trip_raw(nlh, 10, true, tb, NULL), -EBADMSG);
	/* A header claiming more than the datagram holds, and less. */
	nlh->nlmsg_len += 8;
	assert_int_equal(round_trip_raw(nlh, nlh->nlmsg_len - 8, true, tb, NULL), -EBADMSG);
	nlh->nlmsg_len -= 16;
	assert_int_equal(round_trip_raw(nlh, nlh->nlmsg_len + 8, true, tb, NULL), -EBADMSG);
	assert_non_null(strstr(err, "not its datagram's"));
	nlmsg_free(m);
	/* An attribute running past the end. */
	m = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, 1);
	assert_int_equal(nla_put_u64(m, CTRIPC_BUS_A_ID, 1), 0);
	nlh = nlmsg_hdr(m);
	((struct nlattr *)((char *)nlmsg_data(nlh) + GENL_HDRLEN))->nla_len = 200;
	assert_true(round_trip(m, true, tb, NULL) < 0);
}

static void test_names(void **state)
{
	assert_true(ctripc_bus_name_valid("inbox"));
	assert_true(ctripc_bus_name_valid("a.b-c_d9"));
	assert_false(ctripc_bus_name_valid(""));
	assert_false(ctripc_bus_name_valid(".hidden"));
	assert_false(ctripc_bus_name_valid("a/b"));
	assert_false(ctripc_bus_name_valid("sp ace"));
	assert_true(ctripc_bus_addr_valid("work/inbox"));
	assert_true(ctripc_bus_addr_valid("host/admin"));
	assert_false(ctripc_bus_addr_valid("work"));
	assert_false(ctripc_bus_addr_valid("/inbox"));
	assert_false(ctripc_bus_addr_valid("work/"));
	assert_false(ctripc_bus_addr_valid("a/b/c"));
	assert_true(ctripc_bus_category_valid("sensor.temperature"));
	assert_true(ctripc_bus_category_valid("x"));
	assert_false(ctripc_bus_category_valid(""));
	assert_false(ctripc_bus_category_valid("a..b"));
	assert_false(ctripc_bus_category_valid(".a"));
	assert_false(ctripc_bus_category_valid("a."));
	assert_false(ctripc_bus_category_valid("a/b"));
}

/* --- frames built in place, several per datagram ----------------------------------- */

static void put_ack(struct ctripc_bus_out *o, uint32_t seq, uint64_t id)
{
	ctripc_bus_begin(o, CTRIPC_BUS_CMD_ACK, seq);
	ctripc_bus_put_u64(o, CTRIPC_BUS_A_ID, id);
	assert_int_equal(ctripc_bus_end(o), 0);
}

/* Many small frames go as few datagrams, each frame whole and in order. */
static void test_coalesced_frames(void **state)
{
	struct ctripc_bus_out o = { 0 };
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nlmsghdr *nlh;
	uint64_t next = 1;
	int datagrams = 0;
	uint8_t cmd;

	for (uint64_t id = 1; id <= 3000; id++)
		put_ack(&o, (uint32_t)id, id);
	assert_int_equal(ctripc_bus_flush(sv[0], &o), 0);
	assert_false(ctripc_bus_pending(&o));
	while (next <= 3000) {
		ssize_t n =
			ctripc_bus_read(sv[1], buf, sizeof(buf), MSG_DONTWAIT, err, sizeof(err));
		size_t off = 0;

		assert_true(n > 0 && n <= CTRIPC_BUS_FRAME_MAX);
		datagrams++;
		while (ctripc_bus_next(buf, (size_t)n, &off, true, &nlh, tb, &cmd, err,
				       sizeof(err)) == 1) {
			assert_int_equal(cmd, CTRIPC_BUS_CMD_ACK);
			assert_int_equal(nlh->nlmsg_seq, next);
			assert_int_equal(nla_get_u64(tb[CTRIPC_BUS_A_ID]), next);
			next++;
		}
	}
	/* 3000 frames of 32 bytes: three datagrams, not 3000. */
	assert_int_equal(datagrams, 3);
	assert_int_equal(ctripc_bus_read(sv[1], buf, sizeof(buf), MSG_DONTWAIT, err, sizeof(err)),
			 -EAGAIN);
	ctripc_bus_out_free(&o);
}

/* A frame over the maximum is dropped whole; the ones around it stay. */
static void test_oversize_frame_dropped(void **state)
{
	static unsigned char big[CTRIPC_BUS_FRAME_MAX];
	struct ctripc_bus_out o = { 0 };
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nlmsghdr *nlh;
	size_t off = 0;
	uint8_t cmd;
	ssize_t n;

	put_ack(&o, 1, 1);
	ctripc_bus_begin(&o, CTRIPC_BUS_CMD_SEND, 2);
	ctripc_bus_put(&o, CTRIPC_BUS_A_PAYLOAD, big, sizeof(big));
	assert_int_equal(ctripc_bus_end(&o), -EMSGSIZE);
	put_ack(&o, 3, 3);
	assert_int_equal(ctripc_bus_flush(sv[0], &o), 0);
	n = ctripc_bus_read(sv[1], buf, sizeof(buf), 0, err, sizeof(err));
	assert_true(n > 0);
	assert_int_equal(
		ctripc_bus_next(buf, (size_t)n, &off, true, &nlh, tb, &cmd, err, sizeof(err)), 1);
	assert_int_equal(nlh->nlmsg_seq, 1);
	assert_int_equal(
		ctripc_bus_next(buf, (size_t)n, &off, true, &nlh, tb, &cmd, err, sizeof(err)), 1);
	assert_int_equal(nlh->nlmsg_seq, 3);
	assert_int_equal(
		ctripc_bus_next(buf, (size_t)n, &off, true, &nlh, tb, &cmd, err, sizeof(err)), 0);
	ctripc_bus_out_free(&o);
}

/* A datagram whose second frame lies about its length: the first is read, then the error. */
static void test_batch_with_lying_frame(void **state)
{
	struct ctripc_bus_out o = { 0 };
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nlmsghdr *nlh;
	size_t off = 0;
	uint8_t cmd;

	put_ack(&o, 1, 1);
	put_ack(&o, 2, 2);
	((struct nlmsghdr *)(o.data + NLMSG_ALIGN(((struct nlmsghdr *)o.data)->nlmsg_len)))
		->nlmsg_len = 4000;
	assert_int_equal(
		ctripc_bus_next(o.data, o.len, &off, true, &nlh, tb, &cmd, err, sizeof(err)), 1);
	assert_int_equal(
		ctripc_bus_next(o.data, o.len, &off, true, &nlh, tb, &cmd, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, "overruns its datagram"));
	/* And one with a frame that is not the bus's: refused by the codec. */
	off = 0;
	((struct nlmsghdr *)o.data)->nlmsg_type = NLMSG_MIN_TYPE;
	assert_true(ctripc_bus_next(o.data, o.len, &off, true, &nlh, tb, &cmd, err, sizeof(err)) <
		    0);
	ctripc_bus_out_free(&o);
}

/* A full socket: the flush stops, what did not go waits, and goes once there is room. */
static void test_flush_on_full_socket(void **state)
{
	struct ctripc_bus_out o = { 0 };
	uint64_t frames = 0, got = 0;
	int r;

	/* 1.6 MB of frames: more than the socket's default buffer takes. */
	for (uint64_t id = 1; id <= 50000; id++, frames++)
		put_ack(&o, (uint32_t)id, id);
	r = ctripc_bus_flush(sv[0], &o);
	assert_int_equal(r, -EAGAIN);
	assert_true(ctripc_bus_pending(&o));
	for (;;) {
		ssize_t n =
			ctripc_bus_read(sv[1], buf, sizeof(buf), MSG_DONTWAIT, err, sizeof(err));
		struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
		struct nlmsghdr *nlh;
		size_t off = 0;
		uint8_t cmd;

		if (n == -EAGAIN) {
			if (!ctripc_bus_pending(&o))
				break;
			r = ctripc_bus_flush(sv[0], &o);
			assert_true(r == 0 || r == -EAGAIN);
			continue;
		}
		assert_true(n > 0);
		while (ctripc_bus_next(buf, (size_t)n, &off, true, &nlh, tb, &cmd, err,
				       sizeof(err)) == 1)
			assert_int_equal(nla_get_u64(tb[CTRIPC_BUS_A_ID]), ++got);
	}
	assert_int_equal(got, frames);
	ctripc_bus_out_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_refused_is_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribute_not_for_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_integer_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unterminated_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command_and_attribute, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_type_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_lying_lengths, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_coalesced_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_frame_dropped, setup, teardown),
		cmocka_unit_test(test_batch_with_lying_frame),
		cmocka_unit_test_setup_teardown(test_flush_on_full_socket, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

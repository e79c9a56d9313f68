// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The buffer's router in one process: it runs in a thread on a socket pair
 * (as ctr-ipcd would feed it) and a listening socket in a temporary
 * directory; the test is its clients, through libctripc.  Queue and quota
 * accounting, time to live, redelivery and the refusal reasons.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>

#include "../../daemon/buffer.h"
#include "ctripc.h"

static struct buffer b;
static pthread_t runner;
static int ctl[2];
static char dir[32], path[80];

static void control(struct nl_msg *f, int fd)
{
	assert_int_equal(ctripc_bus_send(ctl[0], f, fd), 0);
	nlmsg_free(f);
}

static void limits(uint32_t queue, uint32_t quota, uint32_t ttl_ms)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LIMITS, 0);

	assert_int_equal(nla_put_u32(f, CTRIPC_BUS_A_PAYLOAD_LEN, 1024), 0);
	assert_int_equal(nla_put_u32(f, CTRIPC_BUS_A_QUEUE_MSGS, queue), 0);
	assert_int_equal(nla_put_u64(f, CTRIPC_BUS_A_QUEUE_BYTES, 1 << 20), 0);
	assert_int_equal(nla_put_u32(f, CTRIPC_BUS_A_QUOTA, quota), 0);
	assert_int_equal(nla_put_u32(f, CTRIPC_BUS_A_TTL_MS, ttl_ms), 0);
	control(f, -1);
}

static void *run(void *arg)
{
	buffer_run(&b);
	return NULL;
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *rules = "allow from=* to=* category=*\n";
	struct nl_msg *f;
	int l;

	snprintf(dir, sizeof(dir), "/tmp/test_buffer.XXXXXX");
	if (!mkdtemp(dir) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bus.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 16) < 0)
		return -1;
	if (buffer_init(&b, ctl[1]) < 0 || pthread_create(&runner, NULL, run, NULL) != 0)
		return -1;
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_LISTEN, 0);
	nla_put_string(f, CTRIPC_BUS_A_CONTAINER, "t");
	control(f, l);
	close(l);
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_POLICY, 0);
	nla_put(f, CTRIPC_BUS_A_RULES, (int)strlen(rules), rules);
	control(f, -1);
	return 0;
}

static int teardown(void **state)
{
	close(ctl[0]); /* the daemon goes: so does the buffer */
	pthread_join(runner, NULL);
	buffer_free(&b);
	close(ctl[1]);
	unlink(path);
	rmdir(dir);
	return 0;
}

static struct ctripc *client(const char *endpoint)
{
	int err = 0;
	struct ctripc *h = ctripc_open(path, &err);

	assert_non_null(h);
	if (endpoint)
		assert_int_equal(ctripc_register(h, endpoint), 0);
	return h;
}

static int send_to(struct ctripc *h, const char *dest, uint32_t ttl_ms)
{
	struct ctripc_send_opts o = { .ttl_ms = ttl_ms };

	return ctripc_send(h, dest, "t.x", "hi", 2, &o, NULL);
}

static void test_queue_limit(void **state)
{
	struct ctripc *h = client(NULL);

	limits(2, 100, 60000);
	assert_int_equal(send_to(h, "t/q", 0), 0);
	assert_int_equal(send_to(h, "t/q", 0), 0);
	assert_int_equal(send_to(h, "t/q", 0), -ENOBUFS);
	assert_non_null(strstr(ctripc_error(h), "the queue of t/q is full (2 messages"));
	/* Another destination has its own queue. */
	assert_int_equal(send_to(h, "t/other", 0), 0);
	/* Taking one makes room for one. */
	{
		struct ctripc *r = client("q");
		struct ctripc_msg *m;

		assert_int_equal(ctripc_recv(r, &m, 2000), 0);
		assert_int_equal(ctripc_ack(r, m->id), 0);
		ctripc_msg_free(m);
		assert_int_equal(ctripc_recv(r, &m, 2000), 0); /* the second one, not ACKed */
		ctripc_msg_free(m);
		usleep(100000);
		assert_int_equal(send_to(h, "t/q", 0), 0);
		assert_int_equal(send_to(h, "t/q", 0), -ENOBUFS);
		ctripc_close(r);
	}
	ctripc_close(h);
}

static void test_container_quota(void **state)
{
	struct ctripc *h = client(NULL);
	char dest[32];

	limits(100, 3, 60000);
	for (int i = 0; i < 3; i++) {
		snprintf(dest, sizeof(dest), "t/d%d", i);
		assert_int_equal(send_to(h, dest, 0), 0);
	}
	assert_int_equal(send_to(h, "t/d9", 0), -EDQUOT);
	assert_non_null(strstr(ctripc_error(h), "container t has 3 messages held, its quota"));
	ctripc_close(h);
}

static void test_ttl_and_redelivery(void **state)
{
	struct ctripc *h = client(NULL), *r;
	struct ctripc_msg *m;
	uint64_t id;

	limits(100, 100, 60000);
	assert_int_equal(send_to(h, "t/late", 150), 0);
	assert_int_equal(ctripc_send(h, "t/late", "t.x", "kept", 4, NULL, &id), 0);
	usleep(400000); /* past the first one's time to live (ticks of 100 ms) */
	r = client("late");
	assert_int_equal(ctripc_recv(r, &m, 2000), 0);
	assert_int_equal(m->id, id);
	assert_memory_equal(m->data, "kept", 4);
	assert_int_equal(m->attempt, 1);
	ctripc_msg_free(m);
	assert_int_equal(ctripc_recv(r, &m, 300), -ETIMEDOUT); /* the expired one is gone */
	/* Not ACKed: it comes again to the endpoint's next connection, same ID. */
	ctripc_close(r);
	usleep(100000);
	r = client("late");
	assert_int_equal(ctripc_recv(r, &m, 2000), 0);
	assert_int_equal(m->id, id);
	assert_int_equal(m->attempt, 2);
	assert_int_equal(ctripc_ack(r, m->id), 0);
	ctripc_msg_free(m);
	ctripc_close(r);
	ctripc_close(h);
	assert_true(b.expired >= 1);
}

static void test_endpoint_taken(void **state)
{
	struct ctripc *a = client("one"), *h = client(NULL);

	assert_int_equal(ctripc_register(h, "one"), -EADDRINUSE);
	assert_non_null(strstr(ctripc_error(h), "endpoint t/one is taken"));
	assert_int_equal(ctripc_register(h, "anon-1"), -EINVAL);
	ctripc_close(a);
	ctripc_close(h);
}

struct outcomes {
	unsigned accepted, refused;
	uint64_t last_id;
	bool in_order;
	char reason[256];
};

static void on_sent(void *data, uint64_t token, int error, uint64_t id, const char *reason)
{
	struct outcomes *o = data;

	if (error == 0) {
		o->in_order &= id > o->last_id;
		o->last_id = id;
		o->accepted++;
		return;
	}
	assert_int_equal(error, -ENOBUFS);
	o->refused++;
	snprintf(o->reason, sizeof(o->reason), "%s", reason);
}

/*
 * Pipelined sends: 5000 queued at once against a queue of 3000.  Every one
 * gets its answer (3000 held, in order; 2000 refused with the reason), and
 * the receiver gets the 3000, in order, payloads intact.
 */
static void test_pipelined_sends(void **state)
{
	struct ctripc *h = client(NULL), *r;
	struct outcomes o = { .in_order = true };
	char text[32];

	limits(3000, 100000, 60000);
	ctripc_on_sent(h, on_sent, &o);
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		assert_int_equal(ctripc_send_async(h, "t/p", "t.x", text, strlen(text), NULL, NULL),
				 0);
	}
	assert_int_equal(ctripc_flush(h, 10000), 2000);
	assert_non_null(strstr(ctripc_error(h), "the queue of t/p is full"));
	assert_int_equal(o.accepted, 3000);
	assert_int_equal(o.refused, 2000);
	assert_true(o.in_order);
	assert_non_null(strstr(o.reason, "the queue of t/p is full (3000 messages"));
	assert_int_equal(ctripc_flush(h, 0), 0); /* counted once */
	r = client("p");
	for (int i = 0; i < 3000; i++) {
		struct ctripc_msg *m;

		assert_int_equal(ctripc_recv(r, &m, 5000), 0);
		snprintf(text, sizeof(text), "m%d", i);
		assert_int_equal(m->len, strlen(text));
		assert_memory_equal(m->data, text, m->len);
		assert_int_equal(ctripc_ack(r, m->id), 0);
		ctripc_msg_free(m);
	}
	ctripc_close(r);
	ctripc_close(h);
}

static struct ctripc *reentered;
static int reentry;

/* A callback that tries to use its handle: refused, and nothing of the handle's state breaks. */
static void on_sent_reentering(void *data, uint64_t token, int error, uint64_t id,
			       const char *reason)
{
	reentry = ctripc_send_async(reentered, "t/p", "t.x", "again", 5, NULL, NULL);
}

static void test_callback_cannot_reenter(void **state)
{
	struct ctripc *h = client(NULL);

	limits(100, 1000, 60000);
	reentered = h;
	ctripc_on_sent(h, on_sent_reentering, NULL);
	assert_int_equal(ctripc_send_async(h, "t/p", "t.x", "hi", 2, NULL, NULL), 0);
	assert_int_equal(ctripc_flush(h, 5000), 0);
	assert_int_equal(reentry, -EDEADLK);
	/* The handle goes on working once the callback has returned. */
	ctripc_on_sent(h, NULL, NULL);
	assert_int_equal(send_to(h, "t/p", 0), 0);
	ctripc_close(h);
}

/*
 * A client that sends and never reads its answers: once 8 MiB of answers
 * wait for it, the buffer stops reading it, so its sends block instead of
 * the buffer's memory growing.
 */
static void test_client_that_does_not_read(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctripc_bus_out o = { 0 };
	size_t sent = 0;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), full = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* ACKs of IDs it was never given: each one answered with a sentence. */
	for (int i = 0; i < 1000; i++) {
		ctripc_bus_begin(&o, CTRIPC_BUS_CMD_ACK, 1);
		ctripc_bus_put_u64(&o, CTRIPC_BUS_A_ID, 999999);
		assert_int_equal(ctripc_bus_end(&o), 0);
	}
	while (sent < (64u << 20) && full < 100) {
		ssize_t n = send(fd, o.data, o.len, MSG_DONTWAIT);

		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			full++;
			usleep(10000);
			continue;
		}
		full = 0;
		sent += (size_t)n;
	}
	/* About 70 bytes of answer per 28-byte ACK: 8 MiB of answers is some 3.3 MB of ACKs. */
	assert_true(full >= 100);
	assert_true(sent < (16u << 20));
	close(fd);
	ctripc_bus_out_free(&o);
}

/* Open a journal in dir/journal (the JOURNAL frame); the buffer's answer in @tb's frame. */
static uint64_t open_journal(void)
{
	static unsigned char buf[CTRIPC_BUS_FRAME_MAX];
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_JOURNAL, 0);
	char jdir[64], err[256];
	uint8_t cmd = 0;
	int fd;

	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	mkdir(jdir, 0700);
	fd = open(jdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	nla_put_u32(f, CTRIPC_BUS_A_DURABILITY, JOURNAL_SYNC);
	nla_put_u64(f, CTRIPC_BUS_A_SEGMENT_SIZE, 1 << 16);
	control(f, fd);
	close(fd);
	while (cmd != CTRIPC_BUS_CMD_JOURNAL)
		assert_true(ctripc_bus_recv(ctl[0], buf, sizeof(buf), false, tb, &cmd, NULL, err,
					    sizeof(err)) > 0);
	assert_string_equal(nla_get_string(tb[CTRIPC_BUS_A_REPORT]), "");
	return nla_get_u64(tb[CTRIPC_BUS_A_COUNT_QUEUED]);
}

/* The buffer ends (its daemon went) and a new one starts on the same journal. */
static void restart_buffer(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct nl_msg *f;
	int l;

	close(ctl[0]);
	pthread_join(runner, NULL);
	buffer_free(&b);
	close(ctl[1]);
	unlink(path);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 16), 0);
	assert_int_equal(buffer_init(&b, ctl[1]), 0);
	assert_int_equal(pthread_create(&runner, NULL, run, NULL), 0);
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_LISTEN, 0);
	nla_put_string(f, CTRIPC_BUS_A_CONTAINER, "t");
	control(f, l);
	close(l);
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_POLICY, 0);
	nla_put(f, CTRIPC_BUS_A_RULES, 29, "allow from=* to=* category=*\n");
	control(f, -1);
}

/*
 * A query from "the daemon" on the control socket: the IDs its ENTRYs name
 * (@attr: ID, or REPLAYS for a replay's) into @ids, END's CURSOR returned;
 * END's COUNT_QUEUED in *@count when given.
 */
static uint64_t query(struct nl_msg *f, int attr, uint64_t *ids, int *n, uint64_t *count)
{
	static unsigned char buf[CTRIPC_BUS_FRAME_MAX];

	nlmsg_hdr(f)->nlmsg_seq = 77;
	control(f, -1);
	*n = 0;
	for (;;) {
		struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
		char err[256];
		uint8_t cmd;
		ssize_t len = ctripc_bus_recv(ctl[0], buf, sizeof(buf), false, tb, &cmd, NULL, err,
					      sizeof(err));

		assert_true(len > 0);
		if (((struct nlmsghdr *)buf)->nlmsg_seq != 77)
			continue; /* its HELLO */
		if (cmd == CTRIPC_BUS_CMD_END) {
			if (count)
				*count = tb[CTRIPC_BUS_A_COUNT_QUEUED]
						 ? nla_get_u64(tb[CTRIPC_BUS_A_COUNT_QUEUED])
						 : 0;
			return tb[CTRIPC_BUS_A_CURSOR] ? nla_get_u64(tb[CTRIPC_BUS_A_CURSOR]) : 0;
		}
		assert_true(*n < 64);
		ids[(*n)++] = tb[attr] ? nla_get_u64(tb[attr]) : 0;
	}
}

/* LIST with one filter (a string or a u64), all of it: the IDs as "1 3 5". */
static const char *list_ids(int attr, const char *s, uint64_t v)
{
	static char out[256];
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LIST, 0);
	uint64_t ids[64];
	size_t off = 0;
	int n;

	if (s)
		assert_int_equal(nla_put_string(f, attr, s), 0);
	else if (attr)
		assert_int_equal(nla_put_u64(f, attr, v), 0);
	assert_int_equal(query(f, CTRIPC_BUS_A_ID, ids, &n, NULL), 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%llu", i ? " " : "",
					(unsigned long long)ids[i]);
	return out;
}

static void test_filters_pages_purge_replay(void **state)
{
	struct ctripc *h = client(NULL);
	struct nl_msg *f;
	uint64_t ids[64], id, cursor = 0, count, before;
	int n, pages = 0;
	char seen[256] = "";

	for (int i = 1; i <= 10; i++) {
		assert_int_equal(ctripc_send(h, i % 2 ? "t/a" : "t/b", i % 2 ? "t.x" : "t.y.z",
					     "hi", 2, NULL, &id),
				 0);
		assert_int_equal(id, i);
	}
	assert_string_equal(list_ids(0, NULL, 0), "1 2 3 4 5 6 7 8 9 10");
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_TO, "t/a", 0), "1 3 5 7 9");
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_TO, "t", 0), "1 2 3 4 5 6 7 8 9 10");
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_CATEGORY, "t.y.*", 0), "2 4 6 8 10");
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_CATEGORY, "t.*", 0), "1 3 5 7 9");
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_FROM, "t/anon-*", 0),
			    "1 2 3 4 5 6 7 8 9 10");
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_FROM, "other", 0), "");
	assert_string_equal(list_ids(CTRIPC_BUS_A_STATE, "queued", 0), "1 2 3 4 5 6 7 8 9 10");
	assert_string_equal(list_ids(CTRIPC_BUS_A_STATE, "delivered", 0), "");
	assert_string_equal(list_ids(CTRIPC_BUS_A_ID_MIN, NULL, 8), "8 9 10");
	assert_string_equal(list_ids(CTRIPC_BUS_A_ID_MAX, NULL, 2), "1 2");
	assert_string_equal(list_ids(CTRIPC_BUS_A_SINCE, NULL, UINT64_MAX / 2), "");
	assert_string_equal(list_ids(CTRIPC_BUS_A_UNTIL, NULL, 1), "");
	/* Pages of 3, by cursor: each ID once, in order. */
	do {
		f = ctripc_bus_frame(CTRIPC_BUS_CMD_LIST, 0);
		assert_int_equal(nla_put_u32(f, CTRIPC_BUS_A_LIMIT, 3), 0);
		if (cursor)
			assert_int_equal(nla_put_u64(f, CTRIPC_BUS_A_CURSOR, cursor), 0);
		cursor = query(f, CTRIPC_BUS_A_ID, ids, &n, NULL);
		assert_true(n <= 3);
		for (int i = 0; i < n; i++)
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%llu ",
				 (unsigned long long)ids[i]);
		pages++;
	} while (cursor);
	assert_string_equal(seen, "1 2 3 4 5 6 7 8 9 10 ");
	assert_int_equal(pages, 4);
	/* Purge what goes to t/b: gone from the held, listed as purged. */
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_PURGE, 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_FILTER_TO, "t/b"), 0);
	query(f, CTRIPC_BUS_A_ID, ids, &n, &count);
	assert_int_equal(count, 5);
	assert_string_equal(list_ids(CTRIPC_BUS_A_STATE, "queued", 0), "1 3 5 7 9");
	assert_string_equal(list_ids(CTRIPC_BUS_A_STATE, "purged", 0), "2 4 6 8 10");
	/* Replay 2 (purged: its payload is not kept without a journal) and 3 to t/c. */
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_REPLAY, 0);
	id = 3;
	assert_int_equal(nla_put(f, CTRIPC_BUS_A_IDS, sizeof(id), &id), 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_DEST, "t/c"), 0);
	query(f, CTRIPC_BUS_A_ID, ids, &n, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 11);
	assert_string_equal(list_ids(CTRIPC_BUS_A_FILTER_TO, "t/c", 0), "11");
	/* A filter replay takes what was there when it began: not its own replays. */
	before = b.next_id;
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_REPLAY, 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_FILTER_CATEGORY, "t.x"), 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_STATE, "queued"), 0);
	query(f, CTRIPC_BUS_A_REPLAYS, ids, &n, NULL);
	assert_int_equal(n, 6); /* 1 3 5 7 9 11 */
	assert_int_equal(ids[5], 11);
	assert_int_equal(b.next_id, before + 6);
	ctripc_close(h);
}

static void test_journal_recovery(void **state)
{
	struct ctripc *h, *r;
	struct ctripc_msg *m;
	uint64_t id;
	char cmd[128];

	assert_int_equal(open_journal(), 0);
	h = client(NULL);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(ctripc_send(h, "t/late", "t.x", "hi", 2, NULL, &id), 0);
		assert_int_equal(id, i);
	}
	ctripc_close(h);
	/* Two taken; the other three delivered (the buffer sends what the window holds), not ACKed. */
	r = client("late");
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(ctripc_recv(r, &m, 2000), 0);
		assert_int_equal(m->id, i);
		if (i < 3)
			assert_int_equal(ctripc_ack(r, m->id), 0);
		ctripc_msg_free(m);
	}
	ctripc_close(r);
	usleep(100000);
	restart_buffer();
	assert_int_equal(open_journal(), 3);
	r = client("late");
	for (int i = 3; i <= 5; i++) {
		assert_int_equal(ctripc_recv(r, &m, 2000), 0);
		assert_int_equal(m->id, i);
		/* Delivered before the restart: this is its second attempt. */
		assert_int_equal(m->attempt, 2);
		assert_memory_equal(m->data, "hi", 2);
		assert_int_equal(ctripc_ack(r, m->id), 0);
		ctripc_msg_free(m);
	}
	h = client(NULL);
	assert_int_equal(ctripc_send(h, "t/late", "t.x", "hi", 2, NULL, &id), 0);
	assert_int_equal(id, 6); /* IDs go on after the highest journaled */
	ctripc_close(h);
	ctripc_close(r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/journal'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_and_redelivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_cannot_reenter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_that_does_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_pages_purge_replay, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

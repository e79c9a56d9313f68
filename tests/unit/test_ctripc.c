// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctripc against a scripted peer: a listening socket in a temporary
 * directory that plays the buffer, frame by frame, so that the library's
 * waits can be driven into the corners a real buffer reaches only by
 * chance: its socket full while answers and deliveries come in.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>

#include "ctr-ipc/bus.h"
#include "ctripc.h"

static char dir[] = "/tmp/ctripc-test.XXXXXX";
static char path[sizeof(dir) + 16];
static int lsock = -1;

/* The client's side, in a thread: what it did, and whether it ended. */
struct client {
	pthread_t thread;
	unsigned n;		/* messages to take, or to send */
	volatile unsigned done; /* taken, or sent */
	int error;		/* of the last call */
	bool first_answered;	/* the sender waits for its first send's answer */
	volatile bool finished; /* the thread ended */
};

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/bus.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lsock, 4) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(lsock);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Until the client has done @want (taken, sent), for 10 s at most. */
static void wait_done(const struct client *c, unsigned want)
{
	for (int i = 0; i < 1000 && c->done < want; i++)
		usleep(10000);
	assert_int_equal(c->done, want);
}

static void put_frame(int sock, struct nl_msg *f)
{
	assert_non_null(f);
	assert_int_equal(ctripc_bus_send(sock, f, -1), 0);
	nlmsg_free(f);
}

static void deliver(int sock, uint64_t id)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_DELIVER, 0);

	assert_non_null(f);
	assert_int_equal(nla_put_u64(f, CTRIPC_BUS_A_ID, id), 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_SOURCE, "host/peer"), 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_DEST, "host/me"), 0);
	assert_int_equal(nla_put_string(f, CTRIPC_BUS_A_CATEGORY, "t.x"), 0);
	assert_int_equal(nla_put(f, CTRIPC_BUS_A_PAYLOAD, 2, "hi"), 0);
	put_frame(sock, f);
}

/* ACCEPTED for @seq, with a WINDOW if @window is not 0. */
static void accepted(int sock, uint32_t seq, uint32_t window)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_ACCEPTED, seq);

	assert_non_null(f);
	assert_int_equal(nla_put_u64(f, CTRIPC_BUS_A_ID, seq), 0);
	if (window)
		assert_int_equal(nla_put_u32(f, CTRIPC_BUS_A_WINDOW, window), 0);
	put_frame(sock, f);
}

/*
 * Read the client's frames for up to @ms without one: each frame's command
 * and sequence number to @fn.  The number of frames read.
 */
static unsigned drain(int sock, int ms, void (*fn)(int sock, uint8_t cmd, uint32_t seq))
{
	static unsigned char buf[CTRIPC_BUS_FRAME_MAX];
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	unsigned frames = 0;

	while (poll(&p, 1, ms) > 0) {
		char err[256];
		ssize_t len = ctripc_bus_read(sock, buf, sizeof(buf), 0, err, sizeof(err));
		struct nlmsghdr *nlh;
		size_t off = 0;
		uint8_t cmd;

		if (len <= 0)
			break;
		while (ctripc_bus_next(buf, (size_t)len, &off, true, &nlh, tb, &cmd, err,
				       sizeof(err)) > 0) {
			frames++;
			if (fn)
				fn(sock, cmd, nlh->nlmsg_seq);
		}
	}
	return frames;
}

static void *taker(void *arg)
{
	struct client *c = arg;
	int err = 0;
	struct ctripc *h = ctripc_open(path, &err);
	int sndbuf = 4096; /* the least: a dozen ACKs fill it */

	c->error = err;
	if (h)
		setsockopt(ctripc_fd(h), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (h && c->done < c->n) {
		struct ctripc_msg *m;

		c->error = ctripc_recv(h, &m, -1); /* no deadline: the wait that reads */
		if (c->error < 0)
			break;
		c->error = ctripc_ack(h, m->id);
		ctripc_msg_free(m);
		c->done++;
	}
	if (h)
		ctripc_close(h);
	c->finished = true;
	return NULL;
}

/*
 * A receiver whose ACKs fill its socket while deliveries keep coming: the
 * deliveries it reads while it waits to send are handed out, and it does
 * not go on to wait for more (there are none).
 */
static void test_recv_takes_what_came_while_it_flushed(void **state)
{
	struct client c = { .n = 200 };
	int sock;

	(void)state;
	assert_int_equal(pthread_create(&c.thread, NULL, taker, &c), 0);
	sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sock >= 0);
	/*
	 * Every delivery, while none of its ACKs is read: its socket fills with
	 * them, and it reads the rest of the deliveries while it waits to send.
	 */
	for (uint64_t id = 1; id <= c.n; id++)
		deliver(sock, id);
	usleep(300000);
	assert_false(c.finished);
	/* Then its ACKs are read: all of them come, and it takes the last message. */
	assert_int_equal(drain(sock, 2000, NULL), c.n);
	for (int i = 0; i < 100 && !c.finished; i++)
		usleep(20000);
	assert_true(c.finished);
	assert_int_equal(c.done, c.n);
	close(sock);
	pthread_join(c.thread, NULL);
}

static void *sender(void *arg)
{
	struct client *c = arg;
	int err = 0;
	struct ctripc *h = ctripc_open(path, &err);
	static char payload[130];
	int sndbuf = 24576; /* 48 KiB, a datagram: most of its window of sends waits in it */

	c->error = err;
	if (h)
		setsockopt(ctripc_fd(h), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (h && c->done < c->n) {
		c->error = ctripc_send_async(h, "host/peer", "t.x", payload, sizeof(payload), NULL,
					     NULL);
		if (c->error < 0)
			break;
		if (++c->done == 1 && c->first_answered)
			c->error = ctripc_flush(h, 5000);
	}
	if (h && c->error == 0)
		c->error = ctripc_flush(h, 5000);
	if (h)
		ctripc_close(h);
	c->finished = true;
	return NULL;
}

static uint32_t answered; /* the highest SEND answered */

static void answer_sends(int sock, uint8_t cmd, uint32_t seq)
{
	if (cmd == CTRIPC_BUS_CMD_SEND && seq > answered) {
		accepted(sock, seq, 0);
		answered = seq;
	}
}

/*
 * A sender at its window of unanswered sends, its socket full, hears every
 * answer while it waits to send: it goes on sending rather than wait for
 * an answer that will not come.
 */
static void test_send_goes_on_once_answered_while_it_flushed(void **state)
{
	struct client c = { .n = 3000 };
	int sock;

	(void)state;
	assert_int_equal(pthread_create(&c.thread, NULL, sender, &c), 0);
	sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sock >= 0);
	/* Its socket full, the rest of its window's sends queued in it: it waits to send. */
	wait_done(&c, CTRIPC_BUS_WINDOW);
	usleep(100000);
	assert_int_equal(c.done, CTRIPC_BUS_WINDOW);
	/* Every send it has made or will make up to its window, answered before it is read. */
	for (uint32_t seq = 1; seq <= CTRIPC_BUS_WINDOW; seq++)
		accepted(sock, seq, 0);
	answered = CTRIPC_BUS_WINDOW;
	usleep(300000); /* it reads them all, still waiting to send */
	assert_int_equal(c.done, CTRIPC_BUS_WINDOW);
	drain(sock, 2000, answer_sends);
	for (int i = 0; i < 100 && !c.finished; i++)
		usleep(20000);
	assert_true(c.finished);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.done, c.n);
	assert_int_equal(answered, c.n);
	close(sock);
	pthread_join(c.thread, NULL);
}

/* The window the buffer tells in its first ACCEPTED is the one the client keeps to. */
static void test_send_keeps_to_the_window_told(void **state)
{
	struct client c = { .n = 200, .first_answered = true };
	int sock;

	(void)state;
	answered = 0;
	assert_int_equal(pthread_create(&c.thread, NULL, sender, &c), 0);
	sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true(sock >= 0);
	/* Its first send answered with a window of 64, the others read and not answered. */
	wait_done(&c, 1);
	drain(sock, 1000, NULL);
	accepted(sock, 1, CTRIPC_BUS_WINDOW_MIN);
	answered = 1;
	drain(sock, 1000, NULL);
	assert_int_equal(c.done, 1 + CTRIPC_BUS_WINDOW_MIN); /* the next one waits */
	for (uint32_t seq = 2; seq <= 1 + CTRIPC_BUS_WINDOW_MIN; seq++)
		accepted(sock, seq, 0);
	answered = 1 + CTRIPC_BUS_WINDOW_MIN;
	drain(sock, 1000, answer_sends);
	for (int i = 0; i < 100 && !c.finished; i++)
		usleep(20000);
	assert_true(c.finished);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.done, c.n);
	close(sock);
	pthread_join(c.thread, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recv_takes_what_came_while_it_flushed),
		cmocka_unit_test(test_send_goes_on_once_answered_while_it_flushed),
		cmocka_unit_test(test_send_keeps_to_the_window_told),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

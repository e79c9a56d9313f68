// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * busbench: one side of a bus benchmark, or a whole baseline.
 *
 *   busbench direct pingpong|stream SIZE N     two processes on a socket pair (one hop)
 *   busbench relay  pingpong|stream SIZE N     through one relay process (two hops)
 *   busbench epoll  pingpong|stream SIZE N     through one relay process that uses epoll
 *   busbench echo ENDPOINT N                   bus: answer N messages to their sender
 *   busbench ping DEST SIZE N                  bus: N round trips through the buffer
 *   busbench sink ENDPOINT N                   bus: take (and ACK) N messages; end_ns=
 *   busbench send DEST SIZE N                  bus: N messages, pipelined; start_ns=
 *
 * Prints one line of key=value results: latencies in microseconds (p50, p99,
 * p999) for ping-pong, messages and megabytes per second for streams (for
 * the bus, the sender's start and the sink's end, on CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctripc.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report_latency(const char *what, uint64_t *lat, size_t n)
{
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%s p50_us=%.2f p99_us=%.2f p999_us=%.2f\n", what, lat[n / 2] / 1000.0,
	       lat[n * 99 / 100] / 1000.0, lat[n * 999 / 1000] / 1000.0);
}

static void report_stream(const char *what, size_t size, size_t n, uint64_t ns)
{
	double s = ns / 1e9;

	printf("%s msgs_per_s=%.0f mb_per_s=%.2f\n", what, n / s, n * (double)size / s / 1e6);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* --- baselines on socket pairs ----------------------------------------------------- */

/*
 * The relay: one process between the two, as a broker is, doing nothing
 * but pass each datagram on with blocking calls.  A ping-pong alternates
 * (@a to @b, then back); a stream goes @a to @b, then its end comes back.
 */
static void relay(int a, int b, bool ping, size_t size, size_t n)
{
	char *buf = malloc(size + 1);

	for (size_t i = 0; i <= n; i++) {
		ssize_t got;

		if (i < n) {
			got = recv(a, buf, size + 1, 0);
			if (got <= 0 || send(b, buf, (size_t)got, 0) < 0)
				break;
		}
		if (ping ? i < n : i == n) {
			got = recv(b, buf, size + 1, 0);
			if (got <= 0 || send(a, buf, (size_t)got, 0) < 0)
				break;
		}
	}
	free(buf);
	_exit(0);
}

/*
 * The same relay multiplexing its two sockets with epoll, as a broker that
 * serves many connections must: each datagram costs an epoll_wait more.
 */
static void relay_epoll(int a, int b, size_t size)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char *buf = malloc(size + 1);
	int ep = epoll_create1(0);

	ev.data.fd = a;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev) < 0)
		_exit(1);
	ev.data.fd = b;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev) < 0)
		_exit(1);
	for (;;) {
		struct epoll_event evs[2];
		int k = epoll_wait(ep, evs, 2, -1);

		for (int i = 0; i < k; i++) {
			int from = evs[i].data.fd;
			ssize_t got = recv(from, buf, size + 1, MSG_DONTWAIT);

			if (got == 0 || (got < 0 && errno != EAGAIN))
				_exit(0);
			if (got > 0 && send(from == a ? b : a, buf, (size_t)got, 0) < 0)
				_exit(0);
		}
	}
}

enum hops { DIRECT, RELAY, RELAY_EPOLL };
static const char *const hop_names[] = { "direct", "relay", "epoll" };

/* A ping-pong or a stream to an echoing (or sinking) child, directly or through a relay. */
static void baseline(const char *kind, enum hops hops, size_t size, size_t n)
{
	bool two_hops = hops != DIRECT;

	int ab[2], cd[2], me, peer;
	char *buf = calloc(1, size + 1);
	uint64_t *lat = calloc(n, sizeof(*lat));
	bool ping = strcmp(kind, "pingpong") == 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ab) < 0)
		die("socketpair");
	me = ab[0];
	peer = ab[1];
	if (two_hops) {
		/* me <-> relay <-> peer */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, cd) < 0)
			die("socketpair");
		if (fork() == 0) {
			/* Only its own ends: it sees the end of the stream when the others go. */
			close(ab[0]);
			close(cd[1]);
			if (hops == RELAY_EPOLL)
				relay_epoll(ab[1], cd[0], size);
			relay(ab[1], cd[0], ping, size, n);
		}
		peer = cd[1];
	}
	if (fork() == 0) {
		for (size_t i = 0; i < n; i++) {
			ssize_t got = recv(peer, buf, size + 1, 0);

			if (got <= 0)
				_exit(1);
			if (ping && send(peer, buf, (size_t)got, 0) < 0)
				_exit(1);
		}
		if (!ping)
			send(peer, buf, 1, 0); /* the end of the stream */
		_exit(0);
	}
	{
		uint64_t t0 = now_ns();

		for (size_t i = 0; i < n; i++) {
			uint64_t s = now_ns();

			if (send(me, buf, size, 0) < 0)
				die("send");
			if (ping) {
				if (recv(me, buf, size + 1, 0) <= 0)
					die("recv");
				lat[i] = now_ns() - s;
			}
		}
		if (!ping && recv(me, buf, size + 1, 0) <= 0)
			die("recv");
		if (ping)
			report_latency(hop_names[hops], lat, n);
		else
			report_stream(hop_names[hops], size, n, now_ns() - t0);
	}
	close(ab[0]);
	close(ab[1]);
	if (two_hops) {
		close(cd[0]);
		close(cd[1]);
	}
	while (wait(NULL) > 0)
		;
	free(buf);
	free(lat);
}

/* --- the bus ----------------------------------------------------------------------- */

static struct ctripc *bus(const char *endpoint)
{
	int err = 0;
	struct ctripc *h = ctripc_open(NULL, &err);

	if (!h) {
		fprintf(stderr, "busbench: cannot reach the bus: %s\n", strerror(-err));
		exit(1);
	}
	if (endpoint && ctripc_register(h, endpoint) < 0) {
		fprintf(stderr, "busbench: %s\n", ctripc_error(h));
		exit(1);
	}
	return h;
}

static struct ctripc_msg *take(struct ctripc *h)
{
	struct ctripc_msg *m;

	if (ctripc_recv(h, &m, -1) < 0) { /* blocking, as the baselines' recv() (alarm: a stall) */
		fprintf(stderr, "busbench: receive: %s\n", ctripc_error(h));
		exit(1);
	}
	ctripc_ack(h, m->id);
	return m;
}

/* Pipelined: the buffer's answers are counted by ctripc_flush() at the end. */
static void put(struct ctripc *h, const char *dest, const void *data, size_t size)
{
	if (ctripc_send_async(h, dest, "bench.x", data, size, NULL, NULL) < 0) {
		fprintf(stderr, "busbench: send: %s\n", ctripc_error(h));
		exit(1);
	}
}

/* Every send answered, none refused. */
static void settle(struct ctripc *h)
{
	int r = ctripc_flush(h, 30000);

	if (r != 0) {
		fprintf(stderr, "busbench: %s: %s\n", r > 0 ? "refused" : "flush", ctripc_error(h));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	alarm(120); /* a stalled run ends, and says so by its signal */
	for (int h = DIRECT; argc == 5 && h <= RELAY_EPOLL; h++)
		if (strcmp(argv[1], hop_names[h]) == 0) {
			baseline(argv[2], (enum hops)h, strtoul(argv[3], NULL, 10),
				 strtoul(argv[4], NULL, 10));
			return 0;
		}
	if (argc == 4 && (strcmp(argv[1], "echo") == 0 || strcmp(argv[1], "sink") == 0)) {
		struct ctripc *h = bus(argv[2]);
		size_t n = strtoul(argv[3], NULL, 10);
		bool echo = strcmp(argv[1], "echo") == 0;

		printf("ready\n");
		fflush(stdout);
		for (size_t i = 0; i < n; i++) {
			struct ctripc_msg *m = take(h);

			if (echo)
				put(h, m->source, m->data, m->len);
			ctripc_msg_free(m);
		}
		/* A stream ends when the last message was taken (CLOCK_MONOTONIC is the host's). */
		if (!echo)
			printf("end_ns=%llu\n", (unsigned long long)now_ns());
		settle(h);
		ctripc_close(h);
		return 0;
	}
	if (argc == 5 && (strcmp(argv[1], "ping") == 0 || strcmp(argv[1], "send") == 0)) {
		size_t size = strtoul(argv[3], NULL, 10), n = strtoul(argv[4], NULL, 10);
		struct ctripc *h = bus(strcmp(argv[1], "ping") == 0 ? "pinger" : NULL);
		uint64_t *lat = calloc(n, sizeof(*lat)), t0 = now_ns();
		char *buf = calloc(1, size + 1);

		for (size_t i = 0; i < n; i++) {
			uint64_t s = now_ns();

			put(h, argv[2], buf, size);
			if (strcmp(argv[1], "ping") == 0) {
				ctripc_msg_free(take(h));
				lat[i] = now_ns() - s;
			}
		}
		settle(h);
		if (strcmp(argv[1], "ping") == 0)
			report_latency("bus", lat, n);
		else
			printf("start_ns=%llu\n", (unsigned long long)t0);
		ctripc_close(h);
		free(lat);
		free(buf);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of bench/bus/busbench.c\n");
	return 2;
}

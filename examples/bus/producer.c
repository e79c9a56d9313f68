// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * producer: send N readings to an endpoint of the ctr-ipc bus.  See README.md.
 *
 *   producer [-n N] [-c CATEGORY] [-i MS] [-a ENDPOINT] [-t SECONDS] DEST
 *
 * Sends N messages (default 10) to DEST, an address CONTAINER/ENDPOINT such
 * as consumer/inbox, under CATEGORY (default sensor.temperature), MS
 * milliseconds apart (default 0), and prints each message's ID as the
 * buffer gives it.  The payload is text: "reading I of N: T C".  With -a the
 * producer registers ENDPOINT first and sends as CONTAINER/ENDPOINT;
 * without it, as CONTAINER/anon-K, the name the buffer gives the
 * connection.  -t sets the messages' time to live (default: the buffer's,
 * 60 s unless configured).
 *
 * A message is accepted once the buffer holds it, whether the consumer runs
 * or not.  A refusal by the policy ends the producer with the buffer's
 * reason and status 1; a full queue (ENOBUFS) or quota (EDQUOT) makes it
 * wait and try again, for up to 10 s, as a producer that must not drop a
 * reading would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ctripc.h>

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The bus socket is placed right after the container starts: try for 5 s. */
static struct ctripc *connect_bus(void)
{
	struct ctripc *h = NULL;
	int err = 0;

	for (int i = 0; i < 50 && !h; i++) {
		h = ctripc_open(NULL, &err);
		if (!h && (err == -ENOENT || err == -ECONNREFUSED))
			sleep_ms(100);
		else if (!h)
			break;
	}
	if (!h)
		fprintf(stderr, "producer: cannot reach the bus: %s\n", strerror(-err));
	return h;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: producer [-n N] [-c CATEGORY] [-i MS] [-a ENDPOINT] [-t SECONDS] DEST\n");
	return 2;
}

static int number(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return *s && !*end && !errno && *ret <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *category = "sensor.temperature", *as = NULL, *dest;
	unsigned long n = 10, interval_ms = 0, ttl_s = 0;
	struct ctripc_send_opts opts = { 0 };
	struct ctripc *h;
	int opt, r = 0;

	while ((opt = getopt(argc, argv, "n:c:i:a:t:")) != -1) {
		switch (opt) {
		case 'n':
			if (number(optarg, 1000000, &n) < 0)
				return usage();
			break;
		case 'c':
			category = optarg;
			break;
		case 'i':
			if (number(optarg, 3600000, &interval_ms) < 0)
				return usage();
			break;
		case 'a':
			as = optarg;
			break;
		case 't':
			if (number(optarg, 4294967, &ttl_s) < 0)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 1)
		return usage();
	dest = argv[optind];
	opts.ttl_ms = (uint32_t)(ttl_s * 1000);

	h = connect_bus();
	if (!h)
		return 1;
	if (as && ctripc_register(h, as) < 0) {
		fprintf(stderr, "producer: cannot register %s: %s\n", as, ctripc_error(h));
		ctripc_close(h);
		return 1;
	}
	for (unsigned long i = 1; i <= n; i++) {
		char payload[64];
		uint64_t id;
		int len;

		len = snprintf(payload, sizeof(payload), "reading %lu of %lu: %.1f C", i, n,
			       20.0 + (double)(i % 10) / 4);
		for (int tries = 0; tries < 100; tries++) {
			r = ctripc_send(h, dest, category, payload, (size_t)len, &opts, &id);
			if (r != -ENOBUFS && r != -EDQUOT)
				break;
			/* The consumer is behind: wait for it to take some. */
			sleep_ms(100);
		}
		if (r < 0) {
			fprintf(stderr, "producer: message %lu: %s\n", i, ctripc_error(h));
			break;
		}
		printf("%llu\n", (unsigned long long)id);
		fflush(stdout);
		if (interval_ms && i < n)
			sleep_ms(interval_ms);
	}
	ctripc_close(h);
	return r < 0 ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * consumer: take the messages for one endpoint of the ctr-ipc bus, print
 * them and acknowledge each once it is printed.  See README.md.
 *
 *   consumer [-n COUNT] [-t SECONDS] [ENDPOINT]
 *
 * Registers ENDPOINT (default "inbox") in its container, so that it receives
 * what is sent to CONTAINER/ENDPOINT, those that waited for it first.  Each
 * message is printed as
 *
 *   ID SOURCE CATEGORY attempt=N PAYLOAD
 *
 * (the payload as "(N bytes)" when it is not printable text), then ACKed:
 * until then the buffer holds it, and a consumer killed in between gets it
 * again, with a higher attempt, when it comes back.  Stops after COUNT
 * messages (default: no limit) or after SECONDS without one (default 10; 0
 * waits for ever).  Exit status 0 once COUNT messages came (without -n: when
 * the silence came), 1 when they did not, or on an error.
 *
 * When the buffer is restarted the connection ends: the consumer connects
 * and registers again, and the messages it had not ACKed come again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctripc.h>

/* The bus socket is placed right after the container starts: try for 5 s. */
static struct ctripc *connect_bus(void)
{
	struct ctripc *h = NULL;
	int err = 0;

	for (int i = 0; i < 50 && !h; i++) {
		h = ctripc_open(NULL, &err);
		if (!h && (err == -ENOENT || err == -ECONNREFUSED))
			usleep(100 * 1000);
		else if (!h)
			break;
	}
	if (!h)
		fprintf(stderr, "consumer: cannot reach the bus: %s\n", strerror(-err));
	return h;
}

/* A connection that holds @endpoint, or NULL. */
static struct ctripc *open_endpoint(const char *endpoint)
{
	struct ctripc *h = connect_bus();
	int r;

	if (!h)
		return NULL;
	/* A consumer that was just killed may hold the name for a moment still. */
	for (int i = 0; i < 20; i++) {
		r = ctripc_register(h, endpoint);
		if (r != -EADDRINUSE)
			break;
		usleep(100 * 1000);
	}
	if (r < 0) {
		fprintf(stderr, "consumer: cannot register %s: %s\n", endpoint, ctripc_error(h));
		ctripc_close(h);
		return NULL;
	}
	return h;
}

static bool printable(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

static int usage(void)
{
	fprintf(stderr, "usage: consumer [-n COUNT] [-t SECONDS] [ENDPOINT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *endpoint = "inbox";
	unsigned long count = 0, got = 0;
	long timeout_s = 10;
	struct ctripc *h;
	int opt, r;

	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		char *end;

		switch (opt) {
		case 'n':
			count = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return usage();
			break;
		case 't':
			timeout_s = strtol(optarg, &end, 10);
			if (*end || !*optarg || timeout_s < 0 || timeout_s > 2000000)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (argc - optind > 1)
		return usage();
	if (optind < argc)
		endpoint = argv[optind];

	h = open_endpoint(endpoint);
	if (!h)
		return 1;
	while (!count || got < count) {
		struct ctripc_msg *m;

		r = ctripc_recv(h, &m, timeout_s ? (int)(timeout_s * 1000) : -1);
		if (r == -ETIMEDOUT)
			break;
		if (r == -ECONNRESET || r == -EPIPE) {
			/* The buffer was restarted: what was not ACKed comes again. */
			fprintf(stderr, "consumer: %s; connecting again\n", ctripc_error(h));
			ctripc_close(h);
			h = open_endpoint(endpoint);
			if (!h)
				return 1;
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "consumer: %s\n", ctripc_error(h));
			ctripc_close(h);
			return 1;
		}
		if (printable(m->data, m->len))
			printf("%llu %s %s attempt=%u %s\n", (unsigned long long)m->id, m->source,
			       m->category, m->attempt, (const char *)m->data);
		else
			printf("%llu %s %s attempt=%u (%zu bytes)\n", (unsigned long long)m->id,
			       m->source, m->category, m->attempt, m->len);
		if (fflush(stdout) != 0) {
			/* Not written: not ACKed either, so it comes again to the next consumer. */
			perror("consumer: standard output");
			ctripc_msg_free(m);
			ctripc_close(h);
			return 1;
		}
		/* Printed and flushed: only now may the buffer forget it. */
		ctripc_ack(h, m->id);
		ctripc_msg_free(m);
		got++;
	}
	ctripc_close(h);
	if (count && got < count) {
		fprintf(stderr, "consumer: %lu of %lu messages within %ld s\n", got, count,
			timeout_s);
		return 1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A sender and a receiver that go on through crashes of the buffer and of
 * ctr-ipcd, for the journal's crash tests (t_journal.sh).  Each reconnects
 * when its connection breaks.
 *
 *   crashclient send DEST N RATE LOG   message K (0..N-1) carries "K"; RATE
 *                                      per second.  Sent again until the
 *                                      buffer accepts it; LOG gets "A K ID"
 *                                      for each ACCEPTED heard.
 *   crashclient recv ENDPOINT N LOG    LOG gets "R K ID ATTEMPT" for each
 *                                      delivery, written before its ACK;
 *                                      ends once every K came, LOG.done
 *                                      exists (the sender is done, nothing
 *                                      is killed any more) and nothing more
 *                                      came for a second.
 * The bus socket is $CTRIPC_BUS.  Exit 0 when done, 1 after two minutes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctripc.h"

#define RING 65536 /* tokens outstanding (at most 1024) to their K */

static uint64_t *accepted; /* K's ID once the buffer said ACCEPTED */
static uint64_t ring[RING];
static uint64_t n_accepted;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ctripc *connect_bus(double deadline)
{
	while (now_s() < deadline) {
		int err;
		struct ctripc *h = ctripc_open(NULL, &err);

		if (h)
			return h;
		usleep(20000);
	}
	fprintf(stderr, "crashclient: no bus for two minutes\n");
	exit(1);
}

static void on_sent(void *userdata, uint64_t token, int error, uint64_t id, const char *reason)
{
	uint64_t k = ring[token % RING];

	if (error == 0 && !accepted[k]) {
		accepted[k] = id;
		n_accepted++;
	}
}

static int do_send(const char *dest, uint64_t n, double rate, const char *logpath)
{
	double deadline = now_s() + 120, t0 = now_s();
	uint64_t sent = 0; /* for pacing: sends made, resends too */
	FILE *log;

	accepted = calloc(n, sizeof(*accepted));
	if (!accepted)
		return 1;
	while (n_accepted < n) {
		struct ctripc *h = connect_bus(deadline);
		int r = 0;

		ctripc_on_sent(h, on_sent, NULL);
		for (uint64_t k = 0; k < n && r >= 0; k++) {
			char data[32];
			uint64_t token;
			int len = snprintf(data, sizeof(data), "%" PRIu64, k);

			if (accepted[k])
				continue;
			r = ctripc_send_async(h, dest, "crash.test", data, (size_t)len, NULL,
					      &token);
			if (r < 0)
				break;
			ring[token % RING] = k;
			if (++sent % 16 == 0) {
				double due = t0 + (double)sent / rate;

				r = ctripc_flush(h, 0);
				if (r == -EAGAIN)
					r = 0;
				if (now_s() < due)
					usleep((useconds_t)((due - now_s()) * 1e6));
			}
		}
		if (r >= 0)
			r = ctripc_flush(h, 10000);
		ctripc_close(h);
		if (now_s() > deadline) {
			fprintf(stderr,
				"crashclient: %" PRIu64 " of %" PRIu64
				" accepted after two minutes\n",
				n_accepted, n);
			return 1;
		}
		if (r != 0 && n_accepted < n)
			usleep(20000); /* broken, or refused while the journal was away: again */
	}
	log = fopen(logpath, "w");
	if (!log)
		return 1;
	for (uint64_t k = 0; k < n; k++)
		fprintf(log, "A %" PRIu64 " %" PRIu64 "\n", k, accepted[k]);
	free(accepted);
	return fclose(log) == 0 ? 0 : 1;
}

static int do_recv(const char *endpoint, uint64_t n, const char *logpath)
{
	double deadline = now_s() + 120;
	unsigned char *seen = calloc(n, 1);
	uint64_t distinct = 0;
	FILE *log = fopen(logpath, "w");
	char done[4096];

	if (!seen || !log)
		return 1;
	snprintf(done, sizeof(done), "%s.done", logpath);
	while (now_s() < deadline) {
		struct ctripc *h = connect_bus(deadline);
		int r = ctripc_register(h, endpoint);

		while (r == 0) {
			struct ctripc_msg *m;
			uint64_t k;

			r = ctripc_recv(h, &m, 1000);
			if (r == -ETIMEDOUT && distinct == n && access(done, F_OK) == 0) {
				ctripc_close(h);
				free(seen);
				return fclose(log) == 0 ? 0 : 1;
			}
			if (r == -ETIMEDOUT) {
				r = 0;
				continue;
			}
			if (r < 0)
				break;
			k = strtoull((const char *)m->data, NULL, 10);
			fprintf(log, "R %" PRIu64 " %" PRIu64 " %u\n", k, m->id, m->attempt);
			fflush(log);
			if (k < n && !seen[k]) {
				seen[k] = 1;
				distinct++;
			}
			r = ctripc_ack(h, m->id);
			ctripc_msg_free(m);
		}
		ctripc_close(h);
		usleep(20000);
	}
	fprintf(stderr, "crashclient: %" PRIu64 " of %" PRIu64 " received after two minutes\n",
		distinct, n);
	free(seen);
	fclose(log);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], strtoull(argv[3], NULL, 10), strtod(argv[4], NULL),
			       argv[5]);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv[2], strtoull(argv[3], NULL, 10), argv[4]);
	fprintf(stderr, "usage: crashclient send DEST N RATE LOG | recv ENDPOINT N LOG\n");
	return 2;
}

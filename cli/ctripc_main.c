// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctripc: the bus from shell scripts inside a container.
 *
 *   ctripc send [--as ENDPOINT] [--auth-file F] [--ttl SECONDS] DEST CATEGORY [DATA | -]
 *   ctripc listen [--count N] [--timeout SECONDS] [--json] ENDPOINT
 *
 * Exit status: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctripc.h"

#define AUTH_MAX 4096

static const char usage_text[] =
	"usage: ctripc send [--as ENDPOINT] [--auth-file F] [--ttl SECONDS] DEST CATEGORY [DATA | "
	"-]\n"
	"       ctripc listen [--count N] [--timeout SECONDS] [--json] ENDPOINT\n"
	"DEST is CONTAINER/ENDPOINT (host/NAME for the host's); DATA '-' or none: standard "
	"input.\n";

static int __attribute__((format(printf, 1, 2))) usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ctripc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return !errno && *s && !*end && *s != '-' && *ret <= max;
}

/* All of @f into a malloc'd buffer; NULL (errno EFBIG past @max). */
static unsigned char *slurp(FILE *f, size_t *ret_len, size_t max)
{
	size_t len = 0, cap = 4096, n;
	unsigned char *buf = malloc(cap), *p;

	while (buf) {
		if (len == cap) {
			p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0) {
			if (ferror(f))
				break;
			*ret_len = len;
			return buf;
		}
		len += n;
		if (len > max) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
	}
	free(buf);
	return NULL;
}

static struct ctripc *connect_bus(const char *what)
{
	int err = 0;
	struct ctripc *h = ctripc_open(NULL, &err);

	if (!h)
		fprintf(stderr, "ctripc: %s: cannot reach the bus at %s: %s%s\n", what,
			getenv("CTRIPC_BUS") ? getenv("CTRIPC_BUS") : CTRIPC_BUS_PATH,
			strerror(-err),
			err == -ENOENT
				? " (is this a ctr-ipc container? on the host, set CTRIPC_BUS)"
				: "");
	return h;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "auth-file", required_argument, NULL, 'f' },
		{ "ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctripc_send_opts so = { 0 };
	const char *as = NULL, *authfile = NULL;
	unsigned char *data = NULL, *auth = NULL;
	size_t len = 0;
	unsigned long v;
	uint64_t id;
	struct ctripc *h;
	int c, r;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			as = optarg;
			break;
		case 'f':
			authfile = optarg;
			break;
		case 't':
			if (!parse_uint(optarg, UINT32_MAX / 1000, &v))
				return usage("--ttl takes whole seconds, not '%s'", optarg);
			so.ttl_ms = (uint32_t)(v * 1000);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage("%s", "bad option");
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return usage("%s", "send takes DEST CATEGORY [DATA | -]");
	if (authfile) {
		FILE *f = fopen(authfile, "re");

		if (!f || !(auth = slurp(f, &so.auth_len, AUTH_MAX))) {
			fprintf(stderr, "ctripc: send: cannot read %s: %s\n", authfile,
				errno == EFBIG ? "over 4096 bytes" : strerror(errno));
			if (f)
				fclose(f);
			return 1;
		}
		fclose(f);
		so.auth = auth;
	}
	if (argc - optind == 3 && strcmp(argv[optind + 2], "-") != 0) {
		data = (unsigned char *)strdup(argv[optind + 2]);
		len = strlen(argv[optind + 2]);
	} else if (!(data = slurp(stdin, &len, 64u << 20))) {
		fprintf(stderr, "ctripc: send: cannot read standard input: %s\n", strerror(errno));
		free(auth);
		return 1;
	}
	h = connect_bus("send");
	r = h ? 0 : -1;
	if (h && as && (r = ctripc_register(h, as)) < 0)
		fprintf(stderr, "ctripc: send: cannot be %s: %s\n", as, ctripc_error(h));
	if (h && r == 0) {
		r = ctripc_send(h, argv[optind], argv[optind + 1], data, len, &so, &id);
		if (r < 0)
			fprintf(stderr, "ctripc: send: %s\n", ctripc_error(h));
		else
			printf("%llu\n", (unsigned long long)id);
	}
	ctripc_close(h);
	free(data);
	if (auth) {
		explicit_bzero(auth, so.auth_len);
		free(auth);
	}
	return r < 0 ? 1 : 0;
}

static bool printable(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

static void json_str(const char *key, const unsigned char *s, size_t len, bool last)
{
	printf("\"%s\":\"", key);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	printf("\"%s", last ? "" : ",");
}

static void print_msg(const struct ctripc_msg *m, bool json)
{
	if (json) {
		putchar('{');
		printf("\"id\":%llu,", (unsigned long long)m->id);
		json_str("source", (const unsigned char *)m->source, strlen(m->source), false);
		json_str("dest", (const unsigned char *)m->dest, strlen(m->dest), false);
		json_str("category", (const unsigned char *)m->category, strlen(m->category),
			 false);
		printf("\"attempt\":%u,\"size\":%zu,", m->attempt, m->len);
		if (m->replay_of)
			printf("\"replays\":%llu,", (unsigned long long)m->replay_of);
		/* Bytes 0x80-0xff as \u00XX: the payload comes back byte for byte from latin-1. */
		json_str("payload", m->data, m->len, true);
		puts("}");
	} else if (printable(m->data, m->len)) {
		printf("%llu %s %s %s\n", (unsigned long long)m->id, m->source, m->category,
		       (const char *)m->data);
	} else {
		printf("%llu %s %s (%zu bytes, binary)\n", (unsigned long long)m->id, m->source,
		       m->category, m->len);
	}
	fflush(stdout);
}

static int cmd_listen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long count = 0, timeout = 0, got = 0;
	bool json = false;
	struct ctripc *h;
	int c, r;

	while ((c = getopt_long(argc, argv, "+n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_uint(optarg, ULONG_MAX, &count) || count == 0)
				return usage("--count takes a number from 1 on, not '%s'", optarg);
			break;
		case 't':
			if (!parse_uint(optarg, INT_MAX / 1000, &timeout))
				return usage("--timeout takes whole seconds, not '%s'", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage("%s", "bad option");
		}
	}
	if (argc - optind != 1)
		return usage("%s", "listen takes one ENDPOINT");
	h = connect_bus("listen");
	if (!h)
		return 1;
	r = ctripc_register(h, argv[optind]);
	if (r < 0) {
		fprintf(stderr, "ctripc: listen: %s\n", ctripc_error(h));
		ctripc_close(h);
		return 1;
	}
	while (!count || got < count) {
		struct ctripc_msg *m;

		r = ctripc_recv(h, &m, timeout ? (int)(timeout * 1000) : -1);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0) {
			fprintf(stderr, "ctripc: listen: %s\n", ctripc_error(h));
			break;
		}
		print_msg(m, json);
		r = ctripc_ack(h, m->id);
		ctripc_msg_free(m);
		if (r < 0)
			break;
		got++;
	}
	ctripc_close(h);
	if (r == -ETIMEDOUT && (count ? got < count : got == 0)) {
		fprintf(stderr, "ctripc: listen: %lu of %lu messages within %lu s\n", got,
			count ? count : 1, timeout);
		return 1;
	}
	return r < 0 && r != -ETIMEDOUT ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "listen") == 0)
		return cmd_listen(argc - 1, argv + 1);
	return usage("unknown command '%s'", argv[1]);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipc msg: send as the host, and look at what the buffer holds and did. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmdtab.h"
#include "ctr-ipc/util.h"
#include "ctripc.h"
#include "ipc.h"
#include "objects.h"
#include "output.h"
#include "pcapng.h"

#define PAYLOAD_MAX (64u << 20)

/* --- send: a client of the host's bus socket, as root ---------------------------- */

static unsigned char *read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	unsigned char *buf = malloc(cap), *p;
	ssize_t got;

	while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n > PAYLOAD_MAX) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		if (n == cap) {
			p = realloc(buf, cap *= 2);
			if (!p) {
				free(buf);
				return NULL;
			}
			buf = p;
		}
	}
	if (buf && got < 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int msg_send(struct cli *cli, const struct cmd_args *a)
{
	const char *as = args_get(a, "as"), *data = args_get(a, "data"),
		   *file = args_get(a, "file");
	char path[4200];
	unsigned char *payload = NULL;
	struct ctripc *h;
	size_t len = 0;
	uint64_t id;
	int err = 0, r;

	if (!as) {
		cmd_usage_error(a->path,
				"--as host/NAME is required: the host endpoint it comes from");
		return EXIT_USAGE;
	}
	if (strncmp(as, "host/", 5) != 0 || !as[5] || strchr(as + 5, '/')) {
		cmd_usage_error(a->path, "--as takes host/NAME (the host's endpoints), not '%s'",
				as);
		return EXIT_USAGE;
	}
	if (data && file) {
		cmd_usage_error(a->path, "--data and --file exclude each other; choose one");
		return EXIT_USAGE;
	}
	if (data) {
		payload = (unsigned char *)strdup(data);
		len = strlen(data);
	} else if (file || !isatty(STDIN_FILENO)) {
		int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;

		payload = fd >= 0 ? read_all(fd, &len) : NULL;
		if (fd > STDIN_FILENO)
			close(fd);
		if (!payload) {
			cli_error("msg send: cannot read %s: %s", file ? file : "standard input",
				  errno == EFBIG ? "over 64 MiB" : strerror(errno));
			return EXIT_FAIL;
		}
	}
	snprintf(path, sizeof(path), "%s/bus.sock", cli->run_dir);
	h = ctripc_open(path, &err);
	if (!h) {
		free(payload);
		cli_error("msg send: cannot reach the bus at %s: %s%s", path, strerror(-err),
			  err == -EACCES   ? " (the host's endpoints are root's)"
			  : err == -ENOENT ? " (is ctr-ipcd running with this run dir?)"
					   : "");
		return err == -EACCES ? EXIT_UNREACHABLE : EXIT_FAIL;
	}
	r = ctripc_register(h, as + 5);
	if (r == 0)
		r = ctripc_send(h, a->pos[0], a->pos[1], payload ? payload : (unsigned char *)"",
				len, NULL, &id);
	if (r < 0)
		cli_error("msg send: %s", ctripc_error(h));
	else if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_u64(&j, "id", id);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet) {
		printf("%llu\n", (unsigned long long)id);
	}
	ctripc_close(h);
	free(payload);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* --- lists ------------------------------------------------------------------------ */

struct mlist {
	struct cli *cli;
	struct list_out out;
	int kind;	    /* 0 message IDs (completion), 1 endpoints, 2 stats */
	struct table rules; /* stats: the second table */
	bool rules_on;
	struct strv *names; /* completion */
};

static void when(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);

	if (!ns) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%H:%M:%S", localtime(&t));
}

static int mlist_row(struct nlattr **tb, void *arg)
{
	static const int ep_attrs[] = { CTRIPC_A_ADDRESS, CTRIPC_A_QUEUED, CTRIPC_A_DELIVERED,
					CTRIPC_A_REFUSED, 0 };
	static const int rule_attrs[] = { CTRIPC_A_POSITION, CTRIPC_A_RULE, CTRIPC_A_HITS, 0 };
	struct mlist *l = arg;
	bool is_rule = tb[CTRIPC_A_RULE] != NULL;
	char n[5][32];

	if (l->names) {
		if (tb[CTRIPC_A_ADDRESS])
			return strv_push(l->names, attr_str(tb, CTRIPC_A_ADDRESS));
		if (tb[CTRIPC_A_MSG_ID]) {
			snprintf(n[0], sizeof(n[0]), "%llu", attr_u64(tb, CTRIPC_A_MSG_ID));
			return strv_push(l->names, n[0]);
		}
		return 0;
	}
	if (l->cli->opts.json) {
		const int *attrs = is_rule ? rule_attrs : ep_attrs;

		json_begin_object(&l->out.json, NULL);
		for (; *attrs; attrs++)
			json_attr(&l->out.json, tb, *attrs);
		if (l->kind == 1 || (l->kind == 2 && !is_rule))
			json_bool(&l->out.json, "connected", tb[CTRIPC_A_CONNECTED] != NULL);
		json_end_object(&l->out.json);
		return 0;
	}
	if (is_rule) {
		uint32_t pos = nla_get_u32(tb[CTRIPC_A_POSITION]);

		snprintf(n[0], sizeof(n[0]), pos ? "%u" : "-", pos);
		snprintf(n[1], sizeof(n[1]), "%llu", attr_u64(tb, CTRIPC_A_HITS));
		return table_add(&l->rules, n[0], attr_str(tb, CTRIPC_A_RULE), n[1]);
	}
	snprintf(n[0], sizeof(n[0]), "%llu", attr_u64(tb, CTRIPC_A_QUEUED));
	snprintf(n[1], sizeof(n[1]), "%llu", attr_u64(tb, CTRIPC_A_DELIVERED));
	snprintf(n[2], sizeof(n[2]), "%llu", attr_u64(tb, CTRIPC_A_REFUSED));
	return table_add(&l->out.table, attr_str(tb, CTRIPC_A_ADDRESS),
			 tb[CTRIPC_A_CONNECTED] ? "yes" : "no", n[0], n[1], n[2]);
}

static int mlist_run(struct mlist *l, struct nl_msg *req, struct ipc *ipc, const char *what,
		     int ncols, const char *const *header)
{
	static const char *const rule_header[] = { "#", "RULE", "HITS" };
	int r;

	if (!l->names && list_out_begin(&l->out, l->cli, ncols, header) < 0) {
		nlmsg_free(req);
		return EXIT_FAIL;
	}
	if (l->kind == 2 && !l->names && !l->cli->opts.json) {
		table_init(&l->rules, 3, rule_header);
		l->rules_on = true;
	}
	r = ipc_call(ipc, req, mlist_row, l);
	if (!l->names)
		list_out_end(&l->out, r);
	if (l->rules_on) {
		if (r == 0) {
			putchar('\n');
			table_print(l->cli, &l->rules);
		}
		table_free(&l->rules);
	}
	if (r < 0)
		return l->names ? EXIT_FAIL : cli_fail_request(l->cli, what, r);
	return EXIT_OK;
}

static struct nl_msg *request(struct cli *cli, uint8_t cmd, struct ipc **ipc)
{
	return cli_ipc(cli, ipc) < 0 ? NULL : ipc_request(*ipc, cmd, true);
}

/* --- filters ------------------------------------------------------------------------ */

/* A message's headers, as JSON gives them (ls, show, watch). */
static const int msg_attrs[] = { CTRIPC_A_MSG_ID,  CTRIPC_A_STATE,	 CTRIPC_A_FROM,
				 CTRIPC_A_TO,	   CTRIPC_A_CATEGORY,	 CTRIPC_A_SIZE,
				 CTRIPC_A_SENT_AT, CTRIPC_A_ACCEPTED_AT, CTRIPC_A_ATTEMPTS,
				 CTRIPC_A_REPLAYS, CTRIPC_A_REASON,	 0 };

static void json_message(struct json *j, struct nlattr **tb)
{
	for (const int *attr = msg_attrs; *attr; attr++)
		json_attr(j, tb, *attr);
}

/*
 * A time: "@SECONDS" since the epoch, "now", a time ago ("90s", "15m",
 * "2h", "3d"), a local date and time ("2026-11-24 10:00[:05]", with a T
 * as well), a date, or a time of today ("10:00").  In ns since the epoch.
 */
static int parse_time(const char *s, uint64_t *ns)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
		"%Y-%m-%d",	     "%H:%M:%S",	  "%H:%M"
	};
	time_t now = time(NULL);
	uint64_t v;
	char *end;

	if (s[0] == '@')
		return parse_u64(s + 1, &v) < 0 || v > UINT64_MAX / 1000000000ull
			       ? -EINVAL
			       : (*ns = v * 1000000000ull, 0);
	if (strcmp(s, "now") == 0) {
		*ns = (uint64_t)now * 1000000000ull;
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '9' && !strchr(s, ':') && !strchr(s, '-')) {
		unsigned long long n = strtoull(s, &end, 10);
		uint64_t unit = *end == 's'   ? 1
				: *end == 'm' ? 60
				: *end == 'h' ? 3600
				: *end == 'd' ? 86400
					      : 0;

		if (!unit || (end[1] && strcmp(end + 1, " ago") != 0) || n > (uint64_t)now / unit)
			return -EINVAL;
		*ns = ((uint64_t)now - n * unit) * 1000000000ull;
		return 0;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		time_t t;

		localtime_r(&now, &tm); /* a time alone is today's */
		tm.tm_sec = 0;
		end = strptime(s, formats[i], &tm);
		if (!end || *end)
			continue;
		if (i == 4)
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t < 0)
			return -EINVAL;
		*ns = (uint64_t)t * 1000000000ull;
		return 0;
	}
	return -EINVAL;
}

/* "N", "N-M", "N-" or "-M". */
static int parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(s, '-');
	char first[32];

	*lo = 0;
	*hi = 0;
	if (!dash)
		return parse_u64(s, lo) < 0 || !*lo ? -EINVAL : (*hi = *lo, 0);
	if ((size_t)(dash - s) >= sizeof(first))
		return -EINVAL;
	snprintf(first, sizeof(first), "%.*s", (int)(dash - s), s);
	if ((first[0] && parse_u64(first, lo) < 0) || (dash[1] && parse_u64(dash + 1, hi) < 0) ||
	    (!first[0] && !dash[1]) || (*hi && *lo > *hi))
		return -EINVAL;
	return 0;
}

static const char *const filter_keys[] = { "from",  "to",    "category", "state",
					   "since", "until", "id",	 NULL };

/* Filter @key = @val into @req: EXIT_OK, or EXIT_USAGE (said) or EXIT_FAIL. */
static int put_filter(const char *path, struct nl_msg *req, const char *key, const char *val)
{
	static const struct {
		const char *key;
		int attr;
	} strs[] = { { "from", CTRIPC_A_FROM },
		     { "to", CTRIPC_A_TO },
		     { "category", CTRIPC_A_CATEGORY },
		     { "state", CTRIPC_A_STATE } };
	uint64_t a, b;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(key, strs[i].key) == 0)
			return nla_put_string(req, strs[i].attr, val) < 0 ? EXIT_FAIL : EXIT_OK;
	if (strcmp(key, "since") == 0 || strcmp(key, "until") == 0) {
		if (parse_time(val, &a) < 0) {
			cmd_usage_error(path,
					"--%s takes a time: '2026-11-24 10:00', '10:00', '15m' "
					"(ago), '@SECONDS' or 'now'; not '%s'",
					key, val);
			return EXIT_USAGE;
		}
		return nla_put_u64(req, key[0] == 's' ? CTRIPC_A_SINCE : CTRIPC_A_UNTIL, a) < 0
			       ? EXIT_FAIL
			       : EXIT_OK;
	}
	if (strcmp(key, "id") == 0) {
		if (parse_range(val, &a, &b) < 0) {
			cmd_usage_error(path, "--id takes N, N-M, N- or -M (message IDs), not '%s'",
					val);
			return EXIT_USAGE;
		}
		return (a && nla_put_u64(req, CTRIPC_A_ID_MIN, a) < 0) ||
				       (b && nla_put_u64(req, CTRIPC_A_ID_MAX, b) < 0)
			       ? EXIT_FAIL
			       : EXIT_OK;
	}
	cmd_usage_error(path, "unknown filter '%s': from, to, category, state, since, until or id",
			key);
	return EXIT_USAGE;
}

/* The filter options given (@skip_to: --to means something else here); *@n how many. */
static int put_filter_opts(const struct cmd_args *a, struct nl_msg *req, bool skip_to, int *n)
{
	int r = EXIT_OK;

	*n = 0;
	for (int i = 0; r == EXIT_OK && filter_keys[i]; i++) {
		const char *v = args_get(a, filter_keys[i]);

		if (!v || (skip_to && strcmp(filter_keys[i], "to") == 0))
			continue;
		r = put_filter(a->path, req, filter_keys[i], v);
		(*n)++;
	}
	return r;
}

/* --- ls: streamed, a line (or a JSON object) per message as it comes ------------------- */

struct ls_ctx {
	struct cli *cli;
	struct json j;
	uint64_t n;
};

static int ls_row(struct nlattr **tb, void *arg)
{
	struct ls_ctx *l = arg;
	char id[24], t[32];

	if (l->cli->opts.json) {
		json_begin_object(&l->j, NULL);
		json_message(&l->j, tb);
		json_end_object(&l->j);
	} else {
		if (l->n == 0 && !l->cli->opts.quiet)
			printf("%-8s %-9s %-22s %-22s %-20s %8s %-8s %s\n", "ID", "STATE", "FROM",
			       "TO", "CATEGORY", "SIZE", "SENT", "REASON");
		snprintf(id, sizeof(id), tb[CTRIPC_A_MSG_ID] ? "%llu" : "-",
			 attr_u64(tb, CTRIPC_A_MSG_ID));
		when(attr_u64(tb, CTRIPC_A_SENT_AT), t, sizeof(t));
		printf("%-8s %-9s %-22s %-22s %-20s %8llu %-8s %s\n", id,
		       attr_str(tb, CTRIPC_A_STATE), attr_str(tb, CTRIPC_A_FROM),
		       attr_str(tb, CTRIPC_A_TO), attr_str(tb, CTRIPC_A_CATEGORY),
		       attr_u64(tb, CTRIPC_A_SIZE), t, attr_str(tb, CTRIPC_A_REASON));
	}
	l->n++;
	return 0;
}

static int msg_ls(struct cli *cli, const struct cmd_args *a)
{
	struct ls_ctx l = { .cli = cli };
	const char *limit = args_get(a, "limit");
	struct nl_msg *req;
	struct ipc *ipc;
	uint32_t n = 0;
	int nf, r;

	if (limit && (parse_u32(limit, &n) < 0 || n == 0)) {
		cmd_usage_error(a->path, "--limit takes a number from 1 on, not '%s'", limit);
		return EXIT_USAGE;
	}
	req = request(cli, CTRIPC_CMD_MSG_LIST, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	r = put_filter_opts(a, req, false, &nf);
	if (r == EXIT_OK && n && nla_put_u32(req, CTRIPC_A_LIMIT, n) < 0)
		r = EXIT_FAIL;
	if (r != EXIT_OK) {
		nlmsg_free(req);
		if (r == EXIT_FAIL)
			cli_error("msg ls: a pattern is too long");
		return r;
	}
	if (cli->opts.json) {
		json_init(&l.j, stdout, cli->opts.pretty);
		json_begin_array(&l.j, NULL);
	}
	r = ipc_call(ipc, req, ls_row, &l);
	if (cli->opts.json) {
		json_end_array(&l.j);
		json_finish(&l.j);
	}
	return r < 0 ? cli_fail_request(cli, "msg ls", r) : EXIT_OK;
}

/* --- replay ------------------------------------------------------------------------- */

struct replay_ctx {
	struct cli *cli;
	struct json j;
	bool progress; /* a line on the terminal that counts, instead of a line each */
	uint64_t done, refused;
};

static int replay_row(struct nlattr **tb, void *arg)
{
	struct replay_ctx *r = arg;
	bool ok = tb[CTRIPC_A_MSG_ID] || tb[CTRIPC_A_DRY_RUN];

	r->done++;
	r->refused += !ok;
	if (r->cli->opts.json) {
		json_begin_object(&r->j, NULL);
		json_attr(&r->j, tb, CTRIPC_A_REPLAYS);
		json_attr(&r->j, tb, CTRIPC_A_MSG_ID);
		json_attr(&r->j, tb, CTRIPC_A_DEST);
		json_bool(&r->j, "replayed", tb[CTRIPC_A_MSG_ID] != NULL);
		json_attr(&r->j, tb, CTRIPC_A_REASON);
		json_end_object(&r->j);
		return 0;
	}
	if (!ok || !r->progress) {
		if (r->progress)
			fputs("\r\033[K", stdout);
		if (tb[CTRIPC_A_MSG_ID])
			printf("%llu replayed as %llu to %s\n", attr_u64(tb, CTRIPC_A_REPLAYS),
			       attr_u64(tb, CTRIPC_A_MSG_ID), attr_str(tb, CTRIPC_A_DEST));
		else if (ok)
			printf("%llu would be replayed to %s\n", attr_u64(tb, CTRIPC_A_REPLAYS),
			       attr_str(tb, CTRIPC_A_DEST));
		else
			printf("%llu not replayed: %s\n", attr_u64(tb, CTRIPC_A_REPLAYS),
			       attr_str(tb, CTRIPC_A_REASON));
	}
	if (r->progress && (r->done % 256 == 0 || !ok)) {
		printf("\r\033[Kreplaying: %llu done, %llu refused", (unsigned long long)r->done,
		       (unsigned long long)r->refused);
		fflush(stdout);
	}
	return 0;
}

/* The filters of msg replay --filter: KEY=VALUE words, as "from=web category=sensor.**". */
static int put_filter_words(const char *path, struct nl_msg *req, const char *words)
{
	char *copy = strdup(words), *save = NULL;
	int r = copy ? EXIT_OK : EXIT_FAIL, n = 0;

	for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w && r == EXIT_OK;
	     w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');

		if (!eq || eq == w || !eq[1]) {
			cmd_usage_error(path,
					"--filter takes KEY=VALUE words (from, to, category, "
					"state, since, until, id), not '%s'",
					w);
			r = EXIT_USAGE;
			break;
		}
		*eq = '\0';
		r = put_filter(path, req, w, eq + 1);
		n++;
	}
	if (r == EXIT_OK && n == 0) {
		cmd_usage_error(path, "--filter is empty: give KEY=VALUE words, as from=web/*");
		r = EXIT_USAGE;
	}
	free(copy);
	return r;
}

static int msg_replay(struct cli *cli, const struct cmd_args *a)
{
	const char *filter = args_get(a, "filter"), *to = args_get(a, "to"),
		   *secret = args_get(a, "secret");
	struct replay_ctx r = { .cli = cli };
	uint64_t ids[CMD_MAX_ARGS];
	struct nl_msg *req;
	struct ipc *ipc;
	int rc = EXIT_OK, e;

	if (!a->npos == !filter) {
		cmd_usage_error(a->path, a->npos ? "give message IDs or --filter, not both"
						 : "say what to replay: message IDs, or --filter "
						   "'KEY=VALUE ...'");
		return EXIT_USAGE;
	}
	for (int i = 0; i < a->npos; i++)
		if (parse_u64(a->pos[i], &ids[i]) < 0 || !ids[i]) {
			cmd_usage_error(a->path, "'%s' is not a message ID (see 'ctr-ipc msg ls')",
					a->pos[i]);
			return EXIT_USAGE;
		}
	req = request(cli, CTRIPC_CMD_MSG_REPLAY, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	if (a->npos && nla_put(req, CTRIPC_A_IDS, (int)(a->npos * sizeof(ids[0])), ids) < 0)
		rc = EXIT_FAIL;
	if (rc == EXIT_OK && filter)
		rc = put_filter_words(a->path, req, filter);
	if (rc == EXIT_OK && ((to && nla_put_string(req, CTRIPC_A_DEST, to) < 0) ||
			      (secret && nla_put_string(req, CTRIPC_A_SECRET, secret) < 0) ||
			      (args_has(a, "dry-run") && nla_put_flag(req, CTRIPC_A_DRY_RUN) < 0)))
		rc = EXIT_FAIL;
	if (rc != EXIT_OK) {
		nlmsg_free(req);
		if (rc == EXIT_FAIL)
			cli_error("msg replay: the request is too long");
		return rc;
	}
	r.progress = filter && !cli->opts.json && isatty(STDOUT_FILENO);
	if (cli->opts.json) {
		json_init(&r.j, stdout, cli->opts.pretty);
		json_begin_array(&r.j, NULL);
	}
	e = ipc_call(ipc, req, replay_row, &r);
	if (cli->opts.json) {
		json_end_array(&r.j);
		json_finish(&r.j);
	} else if (r.progress || (filter && !cli->opts.quiet)) {
		printf("%s%s%llu %s, %llu refused\n", r.progress ? "\r\033[K" : "",
		       args_has(a, "dry-run") ? "dry run: " : "",
		       (unsigned long long)(r.done - r.refused),
		       args_has(a, "dry-run") ? "would be replayed" : "replayed",
		       (unsigned long long)r.refused);
	}
	if (e < 0)
		return cli_fail_request(cli, "msg replay", e);
	if (filter && r.done == 0 && !cli->opts.json)
		fprintf(stderr, "ctr-ipc: msg replay: no message matches the filter\n");
	return r.refused ? EXIT_FAIL : EXIT_OK;
}

/* --- purge ---------------------------------------------------------------------------- */

static int count_reply(struct nlattr **tb, void *arg)
{
	*(uint64_t *)arg = attr_u64(tb, CTRIPC_A_COUNT);
	return 0;
}

static bool confirmed(const char *question)
{
	char line[16];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int msg_purge(struct cli *cli, const struct cmd_args *a)
{
	struct nl_msg *req;
	struct ipc *ipc;
	uint64_t n = 0;
	int nf, r;

	if (cli_ipc(cli, &ipc) < 0)
		return EXIT_UNREACHABLE;
	req = ipc_request(ipc, CTRIPC_CMD_MSG_PURGE, false);
	if (!req)
		return EXIT_FAIL;
	r = put_filter_opts(a, req, false, &nf);
	if (r == EXIT_OK && nf == 0 && !args_has(a, "all")) {
		cmd_usage_error(a->path, "say which held messages go: filters (--from, --to, "
					 "--category, --state, --since, --until, --id) or --all");
		r = EXIT_USAGE;
	}
	if (r == EXIT_OK && !args_has(a, "yes") && isatty(STDIN_FILENO) &&
	    !confirmed(nf ? "Remove the held messages that match, for good?"
			  : "Remove every held message, for good?")) {
		fprintf(stderr, "ctr-ipc: msg purge: not confirmed; nothing removed\n");
		r = EXIT_FAIL;
		nlmsg_free(req);
		return r;
	}
	if (r != EXIT_OK) {
		nlmsg_free(req);
		return r;
	}
	r = ipc_call(ipc, req, count_reply, &n);
	if (r < 0)
		return cli_fail_request(cli, "msg purge", r);
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_u64(&j, "purged", n);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet) {
		printf("%llu message%s removed\n", (unsigned long long)n, n == 1 ? "" : "s");
	}
	return EXIT_OK;
}

/* --- watch and capture ---------------------------------------------------------------- */

static const char *const event_names[] = { "accepted", "refused", "delivered",
					   "acked",    "expired", "purged" };

struct watch_ctx {
	struct cli *cli;
	uint32_t left; /* --count: events (watch) or messages (capture) still wanted; 0: no end */
	FILE *pcap;    /* capture: the file */
	bool journal;  /* capture --from-journal: entries of msg ls */
	uint64_t written, lost;
	int error;
};

static int watch_row(struct nlattr **tb, void *arg)
{
	struct watch_ctx *w = arg;
	uint64_t ns = attr_u64(tb, CTRIPC_A_SENT_AT);
	char hms[16], id[24];

	if (tb[CTRIPC_A_DROPPED] && attr_u64(tb, CTRIPC_A_DROPPED) > w->lost) {
		fprintf(stderr, "ctr-ipc: msg watch: %llu events missed (the daemon was busy)\n",
			attr_u64(tb, CTRIPC_A_DROPPED) - w->lost);
		w->lost = attr_u64(tb, CTRIPC_A_DROPPED);
	}
	if (w->cli->opts.json) {
		struct json j;

		json_init(&j, stdout, false); /* a line per event */
		json_begin_object(&j, NULL);
		json_attr(&j, tb, CTRIPC_A_EVENT);
		json_message(&j, tb);
		json_end_object(&j);
		json_finish(&j);
	} else {
		when(ns, hms, sizeof(hms));
		snprintf(id, sizeof(id), tb[CTRIPC_A_MSG_ID] ? "%llu" : "-",
			 attr_u64(tb, CTRIPC_A_MSG_ID));
		printf("%s.%03llu %-9s %-6s %s -> %s %s %llu bytes%s%s\n", hms,
		       (unsigned long long)(ns / 1000000 % 1000), attr_str(tb, CTRIPC_A_EVENT), id,
		       attr_str(tb, CTRIPC_A_FROM), attr_str(tb, CTRIPC_A_TO),
		       attr_str(tb, CTRIPC_A_CATEGORY), attr_u64(tb, CTRIPC_A_SIZE),
		       tb[CTRIPC_A_REASON] ? ": " : "", attr_str(tb, CTRIPC_A_REASON));
	}
	fflush(stdout);
	if (w->left && --w->left == 0)
		return -ECANCELED; /* enough: the daemon drops the watch at its next event */
	return 0;
}

/* One message into the capture: the live ones as accepted or refused, the journal's all. */
static int capture_row(struct nlattr **tb, void *arg)
{
	struct watch_ctx *w = arg;
	const char *ev = w->journal ? NULL : attr_str(tb, CTRIPC_A_EVENT);
	struct capture_rec rec = { 0 };
	int r;

	if (ev && strcmp(ev, "accepted") != 0 && strcmp(ev, "refused") != 0)
		return 0; /* a message's later events: it is in the capture already */
	for (size_t i = 0; ev && i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (strcmp(ev, event_names[i]) == 0)
			rec.event = (uint8_t)i;
	if (!ev)
		rec.event = strcmp(attr_str(tb, CTRIPC_A_STATE), "rejected") == 0 ? 1 : 0;
	rec.id = attr_u64(tb, CTRIPC_A_MSG_ID);
	rec.replays = attr_u64(tb, CTRIPC_A_REPLAYS);
	rec.sent_at = attr_u64(tb, CTRIPC_A_SENT_AT);
	rec.payload_len = (uint32_t)attr_u64(tb, CTRIPC_A_SIZE);
	rec.attempts = attr_u32(tb, CTRIPC_A_ATTEMPTS);
	rec.source = attr_str(tb, CTRIPC_A_FROM);
	rec.dest = attr_str(tb, CTRIPC_A_TO);
	rec.category = attr_str(tb, CTRIPC_A_CATEGORY);
	rec.reason = attr_str(tb, CTRIPC_A_REASON);
	if (tb[CTRIPC_A_DATA]) {
		rec.payload = nla_data(tb[CTRIPC_A_DATA]);
		rec.kept = (size_t)nla_len(tb[CTRIPC_A_DATA]);
	}
	r = pcapng_message(w->pcap, rec.sent_at, &rec);
	if (r == 0 && fflush(w->pcap) != 0)
		r = -errno;
	if (r < 0) {
		w->error = r;
		return r;
	}
	w->written++;
	if (w->left && --w->left == 0)
		return -ECANCELED;
	return 0;
}

static int watch_or_capture(struct cli *cli, const struct cmd_args *a, struct watch_ctx *w,
			    const char *what)
{
	const char *count = args_get(a, "count");
	struct nl_msg *req;
	struct ipc *ipc;
	int nf, r;

	if (count && (parse_u32(count, &w->left) < 0 || w->left == 0)) {
		cmd_usage_error(a->path, "--count takes a number from 1 on, not '%s'", count);
		return EXIT_USAGE;
	}
	if (cli_ipc(cli, &ipc) < 0)
		return EXIT_UNREACHABLE;
	req = ipc_request(ipc, w->journal ? CTRIPC_CMD_MSG_LIST : CTRIPC_CMD_MSG_WATCH, w->journal);
	if (!req)
		return EXIT_FAIL;
	r = put_filter_opts(a, req, false, &nf);
	if (r == EXIT_OK && w->pcap && nla_put_flag(req, CTRIPC_A_PAYLOAD) < 0)
		r = EXIT_FAIL;
	if (r == EXIT_OK && w->journal && w->left && nla_put_u32(req, CTRIPC_A_LIMIT, w->left) < 0)
		r = EXIT_FAIL;
	if (r != EXIT_OK) {
		nlmsg_free(req);
		return r;
	}
	if (!w->journal)
		ipc->timeout_ms = INT_MAX; /* until Ctrl-C, --count or the daemon's end */
	r = ipc_call(ipc, req, w->pcap ? capture_row : watch_row, w);
	if (r == -ECANCELED || (r == 0 && w->journal))
		return EXIT_OK;
	if (w->error < 0) {
		cli_error("%s: cannot write the capture: %s", what, strerror(-w->error));
		return EXIT_FAIL;
	}
	return cli_fail_request(cli, what, r < 0 ? r : -ECONNRESET);
}

static int msg_watch(struct cli *cli, const struct cmd_args *a)
{
	struct watch_ctx w = { .cli = cli };

	return watch_or_capture(cli, a, &w, "msg watch");
}

static int msg_capture(struct cli *cli, const struct cmd_args *a)
{
	const char *file = args_get(a, "write");
	struct watch_ctx w = { .cli = cli, .journal = args_has(a, "from-journal") };
	char app[64];
	int r;

	if (!file) {
		cmd_usage_error(a->path, "-w FILE is required: the pcapng file to write ('-': "
					 "standard output)");
		return EXIT_USAGE;
	}
	w.pcap = strcmp(file, "-") == 0 ? stdout : fopen(file, "wbe");
	if (!w.pcap) {
		cli_error("msg capture: cannot create %s: %s", file, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(app, sizeof(app), "ctr-ipc %s", CTRIPC_VERSION);
	r = pcapng_begin(w.pcap, app) < 0 || fflush(w.pcap) != 0 ? EXIT_FAIL : EXIT_OK;
	if (r != EXIT_OK)
		cli_error("msg capture: cannot write %s: %s", file, strerror(errno));
	else
		r = watch_or_capture(cli, a, &w, "msg capture");
	if (w.pcap != stdout && fclose(w.pcap) != 0 && r == EXIT_OK) {
		cli_error("msg capture: cannot write %s: %s", file, strerror(errno));
		r = EXIT_FAIL;
	}
	if (!cli->opts.quiet && w.pcap != stdout)
		fprintf(stderr, "%llu message%s captured to %s\n", (unsigned long long)w.written,
			w.written == 1 ? "" : "s", file);
	return r;
}

struct show_ctx {
	struct cli *cli;
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	bool have_headers;
	unsigned char *payload;
	size_t len, cap;
	unsigned char msgbuf[CTRIPC_MSG_MAX];
};

static int show_part(struct nlattr **tb, void *arg)
{
	struct show_ctx *s = arg;

	if (tb[CTRIPC_A_DATA]) {
		size_t n = (size_t)nla_len(tb[CTRIPC_A_DATA]);

		if (s->len + n > s->cap) {
			unsigned char *p = realloc(s->payload, (s->cap = (s->len + n) * 2));

			if (!p)
				return -ENOMEM;
			s->payload = p;
		}
		memcpy(s->payload + s->len, nla_data(tb[CTRIPC_A_DATA]), n);
		s->len += n;
		return 0;
	}
	/* The headers: copied, the message buffer is reused for the next datagram. */
	if (!s->have_headers) {
		size_t off = 0;

		for (int a = 1; a <= CTRIPC_A_MAX; a++) {
			if (!tb[a] ||
			    off + (size_t)nla_total_size(nla_len(tb[a])) > sizeof(s->msgbuf))
				continue;
			memcpy(s->msgbuf + off, tb[a], (size_t)tb[a]->nla_len);
			s->tb[a] = (struct nlattr *)(s->msgbuf + off);
			off += (size_t)nla_total_size(nla_len(tb[a]));
		}
		s->have_headers = true;
	}
	return 0;
}

static bool printable(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
			return false;
	return true;
}

static int msg_show(struct cli *cli, const struct cmd_args *a)
{
	struct show_ctx *s = calloc(1, sizeof(*s));
	struct nl_msg *req;
	struct ipc *ipc;
	uint64_t id;
	char t[64];
	int r;

	if (!s)
		return EXIT_FAIL;
	s->cli = cli;
	if (args_has(a, "hex") && args_has(a, "raw")) {
		free(s);
		cmd_usage_error(a->path, "--hex and --raw exclude each other; choose one");
		return EXIT_USAGE;
	}
	if (args_has(a, "raw") && isatty(STDOUT_FILENO)) {
		free(s);
		cmd_usage_error(a->path, "--raw writes the payload's bytes: redirect them to a "
					 "file (> FILE)");
		return EXIT_USAGE;
	}
	if (parse_u64(a->pos[0], &id) < 0 || id == 0) {
		free(s);
		cmd_usage_error(a->path,
				"ID is a message's number (see 'ctr-ipc msg ls'), not '%s'",
				a->pos[0]);
		return EXIT_USAGE;
	}
	req = request(cli, CTRIPC_CMD_MSG_SHOW, &ipc);
	if (!req || nla_put_u64(req, CTRIPC_A_MSG_ID, id) < 0) {
		nlmsg_free(req);
		free(s);
		return req ? EXIT_FAIL : EXIT_UNREACHABLE;
	}
	r = ipc_call(ipc, req, show_part, s);
	if (r < 0) {
		free(s->payload);
		free(s);
		return cli_fail_request(cli, "msg show", r);
	}
	if (args_has(a, "raw")) {
		if (s->len && fwrite(s->payload, s->len, 1, stdout) != 1) {
			cli_error("msg show: cannot write the payload: %s", strerror(errno));
			r = -EIO;
		}
		if (!s->payload && attr_u64(s->tb, CTRIPC_A_SIZE)) {
			cli_error("msg show: the payload of %llu is no longer kept",
				  (unsigned long long)id);
			r = -ENODATA;
		}
	} else if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_message(&j, s->tb);
		if (s->payload && printable(s->payload, s->len)) {
			s->payload[s->len < s->cap ? s->len : s->len - 1] = '\0';
			json_string(&j, "payload", (const char *)s->payload);
		}
		json_end_object(&j);
		json_finish(&j);
	} else {
		out_field(cli, "ID", "%llu", attr_u64(s->tb, CTRIPC_A_MSG_ID));
		out_field(cli, "State", "%s", attr_str(s->tb, CTRIPC_A_STATE));
		out_field(cli, "From", "%s", attr_str(s->tb, CTRIPC_A_FROM));
		out_field(cli, "To", "%s", attr_str(s->tb, CTRIPC_A_TO));
		out_field(cli, "Category", "%s", attr_str(s->tb, CTRIPC_A_CATEGORY));
		when(attr_u64(s->tb, CTRIPC_A_SENT_AT), t, sizeof(t));
		out_field(cli, "Sent", "%s", t);
		out_field(cli, "Deliveries", "%u",
			  s->tb[CTRIPC_A_ATTEMPTS] ? nla_get_u32(s->tb[CTRIPC_A_ATTEMPTS]) : 0);
		if (s->tb[CTRIPC_A_REPLAYS])
			out_field(cli, "Replays", "%llu", attr_u64(s->tb, CTRIPC_A_REPLAYS));
		if (s->tb[CTRIPC_A_REASON])
			out_field(cli, "Reason", "%s", attr_str(s->tb, CTRIPC_A_REASON));
		out_field(cli, "Size", "%llu bytes%s", attr_u64(s->tb, CTRIPC_A_SIZE),
			  s->payload || !attr_u64(s->tb, CTRIPC_A_SIZE)
				  ? ""
				  : " (no longer kept: the journal has let it go)");
		if (s->payload && printable(s->payload, s->len) && !args_has(a, "hex")) {
			printf("\n%.*s%s", (int)s->len, (const char *)s->payload,
			       s->len && s->payload[s->len - 1] == '\n' ? "" : "\n");
		} else if (s->payload) {
			putchar('\n');
			for (size_t off = 0; off < s->len; off += 16) {
				printf("%08zx ", off);
				for (size_t i = off; i < off + 16; i++)
					printf(i < s->len ? " %02x" : "   ",
					       s->payload[i < s->len ? i : 0]);
				printf("  |");
				for (size_t i = off; i < off + 16 && i < s->len; i++)
					putchar(s->payload[i] >= 0x20 && s->payload[i] < 0x7f
							? s->payload[i]
							: '.');
				printf("|\n");
			}
		}
	}
	free(s->payload);
	free(s);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

static int msg_endpoints(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "ENDPOINT", "CONNECTED", "QUEUED", "DELIVERED",
					      "REFUSED" };
	struct mlist l = { .cli = cli, .kind = 1 };
	struct ipc *ipc;
	struct nl_msg *req = request(cli, CTRIPC_CMD_MSG_ENDPOINTS, &ipc);

	return req ? mlist_run(&l, req, ipc, "msg endpoints", 5, header) : EXIT_UNREACHABLE;
}

static int msg_stats(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "ENDPOINT", "CONNECTED", "QUEUED", "DELIVERED",
					      "REFUSED" };
	struct mlist l = { .cli = cli, .kind = 2 };
	struct ipc *ipc;
	struct nl_msg *req = request(cli, CTRIPC_CMD_MSG_STATS, &ipc);

	return req ? mlist_run(&l, req, ipc, "msg stats", 5, header) : EXIT_UNREACHABLE;
}

static void complete_endpoints(struct cli *cli, struct strv *out)
{
	struct mlist l = { .cli = cli, .kind = 1, .names = out };
	struct ipc *ipc;
	struct nl_msg *req = request(cli, CTRIPC_CMD_MSG_ENDPOINTS, &ipc);

	if (req)
		mlist_run(&l, req, ipc, "msg endpoints", 0, NULL);
}

static void complete_ids(struct cli *cli, struct strv *out)
{
	struct mlist l = { .cli = cli, .kind = 0, .names = out };
	struct ipc *ipc;
	struct nl_msg *req = request(cli, CTRIPC_CMD_MSG_LIST, &ipc);

	if (req)
		mlist_run(&l, req, ipc, "msg ls", 0, NULL);
}

/* --- the command tree ----------------------------------------------------------- */

static const char *const states[] = {
	"queued", "delivered", "rejected", "expired", "purged", NULL
};

static const struct cmd_opt send_opts[] = {
	{ "as", 0, "host/NAME", "the host's endpoint it comes from (required)" },
	{ "data", 0, "STR", "the payload" },
	{ "file", 'f', "F", "the payload: F's bytes (default: standard input)", { COMPL_FILE } },
	{ NULL },
};
static const struct cmd_arg send_args[] = {
	{ "DEST", "CONTAINER/ENDPOINT", { COMPL_LIVE, .live = complete_endpoints } },
	{ "CATEGORY", "dotted, as sensor.temperature" },
	{ NULL },
};
#define FILTER_OPTS                                                                                \
	{ "from", 0, "PAT", "sender pattern (a container alone: all its endpoints)" },             \
		{ "to",                                                                            \
		  0,                                                                               \
		  "PAT",                                                                           \
		  "destination pattern",                                                           \
		  { COMPL_LIVE, .live = complete_endpoints } },                                    \
		{ "category", 0, "PAT", "category pattern" },                                      \
		{ "state",                                                                         \
		  0,                                                                               \
		  "STATE",                                                                         \
		  "queued, delivered, rejected, expired or purged",                                \
		  { COMPL_WORDS, states } },                                                       \
		{ "since", 0, "TIME",                                                              \
		  "sent at or after TIME ('2026-11-24 10:00', '10:00', '15m')" },                  \
		{ "until", 0, "TIME", "sent before TIME" },                                        \
	{                                                                                          \
		"id", 0, "RANGE", "IDs N, N-M, N- or -M"                                           \
	}

static const struct cmd_opt ls_opts[] = {
	FILTER_OPTS,
	{ "limit", 'n', "N", "at most N messages" },
	{ NULL },
};
static const struct cmd_arg id_arg[] = {
	{ "ID", "a message's ID (msg ls)", { COMPL_LIVE, .live = complete_ids } },
	{ NULL },
};
static const struct cmd_arg ids_arg[] = {
	{ "ID",
	  "a message's ID (msg ls)",
	  { COMPL_LIVE, .live = complete_ids },
	  .optional = true,
	  .repeat = true },
	{ NULL },
};
static const struct cmd_opt show_opts[] = {
	{ "hex", 'x', NULL, "the payload as a hex dump, even when it is text" },
	{ "raw", 0, NULL, "the payload's bytes alone, to standard output (> FILE)" },
	{ NULL },
};
static const struct cmd_opt replay_opts[] = {
	{ "filter", 0, "'KEY=VALUE ...'",
	  "the messages: from, to, category, state, since, until, id" },
	{ "to",
	  0,
	  "ADDR",
	  "send to CONTAINER/ENDPOINT instead of the original destination",
	  { COMPL_LIVE, .live = complete_endpoints } },
	{ "secret", 0, "NAME", "carry secret NAME's value as authorization data" },
	{ "dry-run", 'n', NULL, "decide each one (policy, queue), send nothing" },
	{ NULL },
};
static const struct cmd_opt purge_opts[] = {
	FILTER_OPTS,
	{ "all", 0, NULL, "every held message" },
	{ "yes", 'y', NULL, "do not ask for confirmation on a terminal" },
	{ NULL },
};
static const struct cmd_opt watch_opts[] = {
	FILTER_OPTS,
	{ "count", 'c', "N", "stop after N events" },
	{ NULL },
};
static const struct cmd_opt capture_opts[] = {
	{ "write", 'w', "FILE", "the pcapng file ('-': standard output)", { COMPL_FILE } },
	FILTER_OPTS,
	{ "count", 'c', "N", "stop after N messages" },
	{ "from-journal", 0, NULL, "what the buffer holds and finished, instead of live traffic" },
	{ NULL },
};

static const struct cmd_node send_node = {
	.name = "send",
	.summary = "send a message as a host endpoint (through the host's bus socket)",
	.opts = send_opts,
	.args = send_args,
	.run = msg_send,
};
static const struct cmd_node ls_node = {
	.name = "ls",
	.summary = "list the messages held, and the last ones delivered, refused or expired",
	.opts = ls_opts,
	.run = msg_ls,
};
static const struct cmd_node show_node = {
	.name = "show",
	.summary = "one message: its headers and its payload (while the journal keeps it)",
	.opts = show_opts,
	.args = id_arg,
	.run = msg_show,
};
static const struct cmd_node replay_node = {
	.name = "replay",
	.summary = "send messages again, as new ones that record what they replay",
	.opts = replay_opts,
	.args = ids_arg,
	.run = msg_replay,
};
static const struct cmd_node purge_node = {
	.name = "purge",
	.summary = "remove held messages (asks first on a terminal)",
	.opts = purge_opts,
	.run = msg_purge,
};
static const struct cmd_node watch_node = {
	.name = "watch",
	.summary = "messages accepted, refused, delivered, acked, expired, as it happens",
	.opts = watch_opts,
	.run = msg_watch,
};
static const struct cmd_node capture_node = {
	.name = "capture",
	.summary = "write messages to a pcapng file (tshark, Wireshark)",
	.opts = capture_opts,
	.run = msg_capture,
};
static const struct cmd_node endpoints_node = {
	.name = "endpoints",
	.summary = "the endpoints known to the buffer, with their counters",
	.run = msg_endpoints,
};
static const struct cmd_node stats_node = {
	.name = "stats",
	.summary = "counters per endpoint, and decisions per rule",
	.run = msg_stats,
};
static const struct cmd_node *const msg_children[] = {
	&send_node,  &ls_node,	    &show_node,	     &replay_node, &purge_node,
	&watch_node, &capture_node, &endpoints_node, &stats_node,  NULL,
};

const struct cmd_node cmd_msg = {
	.name = "msg",
	.summary = "messages on the bus: send, list, show, replay, purge, watch, capture",
	.children = msg_children,
};

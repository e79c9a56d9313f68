// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipc msg: send as the host, and look at what the buffer holds and did. */
#include <errno.h>
#include <fcntl.h>
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
	int kind;	    /* 0 messages, 1 endpoints, 2 stats */
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
	static const int msg_attrs[] = { CTRIPC_A_MSG_ID,
					 CTRIPC_A_STATE,
					 CTRIPC_A_FROM,
					 CTRIPC_A_TO,
					 CTRIPC_A_CATEGORY,
					 CTRIPC_A_SIZE,
					 CTRIPC_A_SENT_AT,
					 CTRIPC_A_ACCEPTED_AT,
					 CTRIPC_A_ATTEMPTS,
					 CTRIPC_A_REASON,
					 0 };
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
		const int *attrs = l->kind == 0 ? msg_attrs : is_rule ? rule_attrs : ep_attrs;

		json_begin_object(&l->out.json, NULL);
		for (; *attrs; attrs++)
			json_attr(&l->out.json, tb, *attrs);
		if (l->kind == 1 || (l->kind == 2 && !is_rule))
			json_bool(&l->out.json, "connected", tb[CTRIPC_A_CONNECTED] != NULL);
		json_end_object(&l->out.json);
		return 0;
	}
	if (l->kind == 0) {
		snprintf(n[0], sizeof(n[0]), tb[CTRIPC_A_MSG_ID] ? "%llu" : "-",
			 attr_u64(tb, CTRIPC_A_MSG_ID));
		snprintf(n[1], sizeof(n[1]), "%llu", attr_u64(tb, CTRIPC_A_SIZE));
		when(attr_u64(tb, CTRIPC_A_SENT_AT), n[2], sizeof(n[2]));
		return table_add(&l->out.table, n[0], attr_str(tb, CTRIPC_A_STATE),
				 attr_str(tb, CTRIPC_A_FROM), attr_str(tb, CTRIPC_A_TO),
				 attr_str(tb, CTRIPC_A_CATEGORY), n[1], n[2],
				 tb[CTRIPC_A_REASON] ? attr_str(tb, CTRIPC_A_REASON) : "");
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

static int msg_ls(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "ID",	  "STATE", "FROM", "TO",
					      "CATEGORY", "SIZE",  "SENT", "REASON" };
	static const struct {
		const char *opt;
		int attr;
	} filters[] = { { "from", CTRIPC_A_FROM },
			{ "to", CTRIPC_A_TO },
			{ "category", CTRIPC_A_CATEGORY },
			{ "state", CTRIPC_A_STATE } };
	struct mlist l = { .cli = cli, .kind = 0 };
	const char *limit = args_get(a, "limit");
	struct nl_msg *req;
	struct ipc *ipc;
	uint32_t n = 0;
	int r = 0;

	if (limit && (parse_u32(limit, &n) < 0 || n == 0)) {
		cmd_usage_error(a->path, "--limit takes a number from 1 on, not '%s'", limit);
		return EXIT_USAGE;
	}
	req = request(cli, CTRIPC_CMD_MSG_LIST, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	for (size_t i = 0; r == 0 && i < sizeof(filters) / sizeof(filters[0]); i++)
		if (args_get(a, filters[i].opt))
			r = nla_put_string(req, filters[i].attr, args_get(a, filters[i].opt));
	if (r == 0 && n)
		r = nla_put_u32(req, CTRIPC_A_LIMIT, n);
	if (r < 0) {
		nlmsg_free(req);
		cli_error("msg ls: a pattern is too long");
		return EXIT_FAIL;
	}
	return mlist_run(&l, req, ipc, "msg ls", 8, header);
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
	if (cli->opts.json) {
		static const int attrs[] = { CTRIPC_A_MSG_ID,	CTRIPC_A_STATE,
					     CTRIPC_A_FROM,	CTRIPC_A_TO,
					     CTRIPC_A_CATEGORY, CTRIPC_A_SIZE,
					     CTRIPC_A_SENT_AT,	CTRIPC_A_ACCEPTED_AT,
					     CTRIPC_A_ATTEMPTS, CTRIPC_A_REASON };
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
			json_attr(&j, s->tb, attrs[i]);
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
		if (s->tb[CTRIPC_A_REASON])
			out_field(cli, "Reason", "%s", attr_str(s->tb, CTRIPC_A_REASON));
		out_field(cli, "Size", "%llu bytes%s", attr_u64(s->tb, CTRIPC_A_SIZE),
			  s->payload || !attr_u64(s->tb, CTRIPC_A_SIZE)
				  ? ""
				  : " (not kept: the buffer holds payloads until delivery)");
		if (s->payload && printable(s->payload, s->len)) {
			printf("\n%.*s%s", (int)s->len, (const char *)s->payload,
			       s->len && s->payload[s->len - 1] == '\n' ? "" : "\n");
		} else if (s->payload) {
			for (size_t off = 0; off < s->len; off += 16) {
				printf("%08zx ", off);
				for (size_t i = off; i < off + 16 && i < s->len; i++)
					printf(" %02x", s->payload[i]);
				putchar('\n');
			}
		}
	}
	free(s->payload);
	free(s);
	return EXIT_OK;
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

static const char *const states[] = { "queued", "delivered", "rejected", "expired", NULL };

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
static const struct cmd_opt ls_opts[] = {
	{ "from", 0, "PAT", "sender pattern" },
	{ "to", 0, "PAT", "destination pattern", { COMPL_LIVE, .live = complete_endpoints } },
	{ "category", 0, "PAT", "category pattern" },
	{ "state", 0, "STATE", "queued, delivered, rejected or expired", { COMPL_WORDS, states } },
	{ "limit", 'n', "N", "at most N messages" },
	{ NULL },
};
static const struct cmd_arg id_arg[] = {
	{ "ID", "a message's ID (msg ls)", { COMPL_LIVE, .live = complete_ids } },
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
	.summary = "one message: its headers and, while it is held, its payload",
	.args = id_arg,
	.run = msg_show,
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
static const struct cmd_node *const msg_children[] = { &send_node,	&ls_node,    &show_node,
						       &endpoints_node, &stats_node, NULL };

const struct cmd_node cmd_msg = {
	.name = "msg",
	.summary = "messages on the bus: send, list, show, endpoints, counters",
	.children = msg_children,
};

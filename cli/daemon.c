// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipc daemon status|version|stats|reload|log-level */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "objects.h"
#include "output.h"

struct reply {
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	unsigned char copy[CTRIPC_MSG_MAX];
};

/* Keep a do-reply's attributes (the receive buffer is reused). */
static int keep_reply(struct nlattr **tb, void *arg)
{
	struct reply *rep = arg;
	unsigned char *p = rep->copy;

	for (int a = 1; a <= CTRIPC_A_MAX; a++) {
		rep->tb[a] = NULL;
		if (!tb[a])
			continue;
		memcpy(p, tb[a], nla_total_size(nla_len(tb[a])));
		rep->tb[a] = (struct nlattr *)p;
		p += nla_total_size(nla_len(tb[a]));
	}
	return 0;
}

/* Send a request without attributes and keep its reply. */
static int call_simple(struct cli *cli, uint8_t cmd, const char *what, struct reply *rep)
{
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, cmd, false);
	if (!req)
		return EXIT_FAIL;
	memset(rep->tb, 0, sizeof(rep->tb));
	r = ipc_call(ipc, req, keep_reply, rep);
	if (r < 0)
		return cli_fail_request(cli, what, r);
	return EXIT_OK;
}

static int daemon_status(struct cli *cli, const struct cmd_args *a)
{
	static struct reply rep;
	struct nlattr **tb = rep.tb;
	char buf[64];
	time_t started;
	int r;

	r = call_simple(cli, CTRIPC_CMD_DAEMON_STATUS, "daemon status", &rep);
	if (r)
		return r;
	if (cli->opts.json) {
		static const int top[] = {
			CTRIPC_A_VERSION,     CTRIPC_A_PROTO_VERSION, CTRIPC_A_PID,
			CTRIPC_A_UPTIME_MS,   CTRIPC_A_STARTED_AT,    CTRIPC_A_PORT_ID,
			CTRIPC_A_CONFIG_PATH, CTRIPC_A_STATE_DIR,     CTRIPC_A_RUN_DIR,
			CTRIPC_A_LOG_LEVEL,   CTRIPC_A_BACKEND,	      CTRIPC_A_BUFFER_PID,
			CTRIPC_A_DURABILITY,  CTRIPC_A_RECOVERY,      CTRIPC_A_RECOVERY_REPORT
		};
		static const int counters[] = { CTRIPC_A_REQUESTS,	CTRIPC_A_ERRORS,
						CTRIPC_A_DENIED,	CTRIPC_A_RELOADS,
						CTRIPC_A_BUFFER_STARTS, CTRIPC_A_BUFFER_CRASHES };
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		for (size_t i = 0; i < ARRAY_SIZE(top); i++)
			json_attr(&j, tb, top[i]);
		json_begin_object(&j, "counters");
		for (size_t i = 0; i < ARRAY_SIZE(counters); i++)
			json_attr(&j, tb, counters[i]);
		json_end_object(&j);
		json_end_object(&j);
		json_finish(&j);
		return EXIT_OK;
	}
	out_field(cli, "Version", "%s (protocol %u)", attr_str(tb, CTRIPC_A_VERSION),
		  attr_u32(tb, CTRIPC_A_PROTO_VERSION));
	out_field(cli, "PID", "%u", attr_u32(tb, CTRIPC_A_PID));
	format_duration(buf, sizeof(buf), attr_u64(tb, CTRIPC_A_UPTIME_MS));
	out_field(cli, "Uptime", "%s", buf);
	started = (time_t)attr_u64(tb, CTRIPC_A_STARTED_AT);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", localtime(&started));
	out_field(cli, "Started", "%s", buf);
	out_field(cli, "Port ID", "%u", attr_u32(tb, CTRIPC_A_PORT_ID));
	out_field(cli, "Config", "%s", attr_str(tb, CTRIPC_A_CONFIG_PATH));
	out_field(cli, "State dir", "%s", attr_str(tb, CTRIPC_A_STATE_DIR));
	out_field(cli, "Run dir", "%s", attr_str(tb, CTRIPC_A_RUN_DIR));
	out_field(cli, "Log level", "%s", attr_str(tb, CTRIPC_A_LOG_LEVEL));
	if (tb[CTRIPC_A_BACKEND])
		out_field(cli, "Vdev backend", "%s",
			  strcmp(attr_str(tb, CTRIPC_A_BACKEND), "kmod") == 0
				  ? "kmod (ctr_vdev kernel module)"
				  : "user (user-space routing)");
	if (attr_u32(tb, CTRIPC_A_BUFFER_PID))
		out_field(cli, "Buffer", "pid %u, started %llu times, %llu crashes",
			  attr_u32(tb, CTRIPC_A_BUFFER_PID),
			  (unsigned long long)attr_u64(tb, CTRIPC_A_BUFFER_STARTS),
			  (unsigned long long)attr_u64(tb, CTRIPC_A_BUFFER_CRASHES));
	else
		out_field(cli, "Buffer", "down (started %llu times, %llu crashes)",
			  (unsigned long long)attr_u64(tb, CTRIPC_A_BUFFER_STARTS),
			  (unsigned long long)attr_u64(tb, CTRIPC_A_BUFFER_CRASHES));
	if (tb[CTRIPC_A_DURABILITY])
		out_field(cli, "Durability", "%s", attr_str(tb, CTRIPC_A_DURABILITY));
	if (tb[CTRIPC_A_RECOVERY])
		out_field(cli, "Recovery", "%s", attr_str(tb, CTRIPC_A_RECOVERY));
	for (const char *p = tb[CTRIPC_A_RECOVERY_REPORT] ? attr_str(tb, CTRIPC_A_RECOVERY_REPORT)
							  : "";
	     *p;) {
		size_t n = strcspn(p, "\n");

		out_field(cli, "  problem", "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	out_field(cli, "Requests", "%llu (%llu failed, %llu denied)",
		  (unsigned long long)attr_u64(tb, CTRIPC_A_REQUESTS),
		  (unsigned long long)attr_u64(tb, CTRIPC_A_ERRORS),
		  (unsigned long long)attr_u64(tb, CTRIPC_A_DENIED));
	out_field(cli, "Reloads", "%llu", (unsigned long long)attr_u64(tb, CTRIPC_A_RELOADS));
	return EXIT_OK;
}

static int daemon_version(struct cli *cli, const struct cmd_args *a)
{
	static struct reply rep;
	int r;

	r = call_simple(cli, CTRIPC_CMD_DAEMON_VERSION, "daemon version", &rep);
	if (r)
		return r;
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_begin_object(&j, "client");
		json_string(&j, "version", CTRIPC_VERSION);
		json_u64(&j, "protocol_version", CTRIPC_PROTO_VERSION);
		json_end_object(&j);
		json_begin_object(&j, "daemon");
		json_attr(&j, rep.tb, CTRIPC_A_VERSION);
		json_attr(&j, rep.tb, CTRIPC_A_PROTO_VERSION);
		json_end_object(&j);
		json_end_object(&j);
		json_finish(&j);
		return EXIT_OK;
	}
	printf("ctr-ipc  %s (protocol %d)\n", CTRIPC_VERSION, CTRIPC_PROTO_VERSION);
	printf("ctr-ipcd %s (protocol %u)\n", attr_str(rep.tb, CTRIPC_A_VERSION),
	       attr_u32(rep.tb, CTRIPC_A_PROTO_VERSION));
	return EXIT_OK;
}

struct stats_ctx {
	struct cli *cli;
	struct list_out out;
	struct strv *names; /* completion: collect names only */
};

static int stats_row(struct nlattr **tb, void *arg)
{
	struct stats_ctx *s = arg;
	char req[24], err[24], den[24];

	if (s->names)
		return strv_push(s->names, attr_str(tb, CTRIPC_A_CMD_NAME));
	if (s->cli->opts.json) {
		json_begin_object(&s->out.json, NULL);
		json_attr(&s->out.json, tb, CTRIPC_A_CMD_NAME);
		json_attr(&s->out.json, tb, CTRIPC_A_REQUESTS);
		json_attr(&s->out.json, tb, CTRIPC_A_ERRORS);
		json_attr(&s->out.json, tb, CTRIPC_A_DENIED);
		json_end_object(&s->out.json);
		return 0;
	}
	snprintf(req, sizeof(req), "%llu", (unsigned long long)attr_u64(tb, CTRIPC_A_REQUESTS));
	snprintf(err, sizeof(err), "%llu", (unsigned long long)attr_u64(tb, CTRIPC_A_ERRORS));
	snprintf(den, sizeof(den), "%llu", (unsigned long long)attr_u64(tb, CTRIPC_A_DENIED));
	return table_add(&s->out.table, attr_str(tb, CTRIPC_A_CMD_NAME), req, err, den);
}

static int stats_dump(struct ipc *ipc, const char *only, struct stats_ctx *s)
{
	struct nl_msg *req;

	req = ipc_request(ipc, CTRIPC_CMD_DAEMON_STATS, true);
	if (!req)
		return -ENOMEM;
	if (only && nla_put_string(req, CTRIPC_A_CMD_NAME, only) < 0) {
		nlmsg_free(req);
		return -ENOMEM;
	}
	return ipc_call(ipc, req, stats_row, s);
}

static int daemon_stats(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "COMMAND", "REQUESTS", "FAILED", "DENIED" };
	struct stats_ctx s = { .cli = cli };
	struct ipc *ipc;
	int r;

	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	if (list_out_begin(&s.out, cli, 4, header) < 0)
		return EXIT_FAIL;
	s.out.table.right[1] = s.out.table.right[2] = s.out.table.right[3] = true;
	r = stats_dump(ipc, a->pos[0], &s);
	list_out_end(&s.out, r);
	return r < 0 ? cli_fail_request(cli, "daemon stats", r) : EXIT_OK;
}

static void complete_command_names(struct cli *cli, struct strv *out)
{
	struct stats_ctx s = { .cli = cli, .names = out };
	struct ipc *ipc;

	if (cli_ipc(cli, &ipc) == 0)
		stats_dump(ipc, NULL, &s);
}

static int daemon_reload(struct cli *cli, const struct cmd_args *a)
{
	static struct reply rep;
	int r;

	r = call_simple(cli, CTRIPC_CMD_DAEMON_RELOAD, "daemon reload", &rep);
	if (r)
		return r;
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_attr(&j, rep.tb, CTRIPC_A_RELOADS);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet) {
		printf("configuration reloaded (reload %llu since start)\n",
		       (unsigned long long)attr_u64(rep.tb, CTRIPC_A_RELOADS));
	}
	return EXIT_OK;
}

static int daemon_log_level(struct cli *cli, const struct cmd_args *a)
{
	static struct reply rep;
	const char *level = a->pos[0];
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	if (log_level_from_name(level) < 0) {
		cmd_usage_error(
			a->path,
			"unknown log level '%s' (use debug, info, notice, warning or error)",
			level);
		return EXIT_USAGE;
	}
	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, CTRIPC_CMD_DAEMON_LOG_LEVEL, false);
	if (!req || nla_put_string(req, CTRIPC_A_LOG_LEVEL, level) < 0)
		return EXIT_FAIL;
	r = ipc_call(ipc, req, keep_reply, &rep);
	if (r < 0)
		return cli_fail_request(cli, "daemon log-level", r);
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_attr(&j, rep.tb, CTRIPC_A_LOG_LEVEL);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet) {
		printf("log level set to %s\n", attr_str(rep.tb, CTRIPC_A_LOG_LEVEL));
	}
	return EXIT_OK;
}

static const struct cmd_node daemon_status_node = {
	.name = "status",
	.summary = "show the daemon's version, pid, uptime and counters",
	.run = daemon_status,
};

static const struct cmd_node daemon_version_node = {
	.name = "version",
	.summary = "show the versions of ctr-ipc and ctr-ipcd",
	.run = daemon_version,
};

static const struct cmd_arg daemon_stats_args[] = {
	{ "COMMAND",
	  "only this protocol command (for example daemon.status)",
	  { COMPL_LIVE, .live = complete_command_names },
	  .optional = true },
	{ NULL },
};

static const struct cmd_node daemon_stats_node = {
	.name = "stats",
	.summary = "show requests, failures and denials per protocol command",
	.args = daemon_stats_args,
	.run = daemon_stats,
};

static const struct cmd_node daemon_reload_node = {
	.name = "reload",
	.summary = "re-read the configuration file (as SIGHUP does)",
	.description = "Re-read the configuration file, as SIGHUP does. On an error the running\n"
		       "configuration is kept and the error names file:line. Needs root or the\n"
		       "admin group.",
	.run = daemon_reload,
};

static const struct cmd_arg daemon_log_level_args[] = {
	{ "LEVEL", "debug, info, notice, warning or error", { COMPL_WORDS, log_level_names } },
	{ NULL },
};

static const struct cmd_node daemon_log_level_node = {
	.name = "log-level",
	.summary = "change the daemon's log level until the next reload",
	.args = daemon_log_level_args,
	.run = daemon_log_level,
};

static const struct cmd_node *const daemon_children[] = {
	&daemon_status_node, &daemon_version_node,   &daemon_stats_node,
	&daemon_reload_node, &daemon_log_level_node, NULL,
};

const struct cmd_node cmd_daemon = {
	.name = "daemon",
	.summary = "the control daemon: status, version, counters, reload",
	.children = daemon_children,
};

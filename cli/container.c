// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipc container create|start|stop|kill|rm|ls|inspect */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "objects.h"
#include "output.h"

#define ARGV_MAX     256
#define LOGS_POLL_US 200000

/* Interim replies: a download's progress, as a bar on a terminal (nothing otherwise). */
static bool bar_shown;

static int show_progress(struct nlattr **tb, void *arg)
{
	uint64_t done, total;
	char line[96];

	if (!tb[CTRIPC_A_BYTES_DONE] || !isatty(STDERR_FILENO))
		return 0;
	done = nla_get_u64(tb[CTRIPC_A_BYTES_DONE]);
	total = tb[CTRIPC_A_BYTES_TOTAL] ? nla_get_u64(tb[CTRIPC_A_BYTES_TOTAL]) : 0;
	if (total) {
		int width = 30, fill = (int)(done * (uint64_t)width / total);

		snprintf(line, sizeof(line), "\rfetching image [%.*s%*s] %3d%% %.1f/%.1f MiB", fill,
			 "==============================", width - fill, "",
			 (int)(done * 100 / total), (double)done / 1048576,
			 (double)total / 1048576);
	} else {
		snprintf(line, sizeof(line), "\rfetching image: %.1f MiB", (double)done / 1048576);
	}
	fputs(line, stderr);
	bar_shown = true;
	return 0;
}

/* Send a request about one container, built by @fill; print nothing. */
static int call(struct cli *cli, uint8_t cmd, const char *what, const char *name,
		int (*fill)(struct nl_msg *m, const struct cmd_args *a), const struct cmd_args *a,
		int timeout_ms)
{
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, cmd, false);
	if (!req || nla_put_string(req, CTRIPC_A_NAME, name) < 0 || (fill && fill(req, a) < 0)) {
		nlmsg_free(req);
		cli_error("%s: the request is too large", what);
		return EXIT_FAIL;
	}
	if (timeout_ms)
		ipc->timeout_ms = timeout_ms;
	bar_shown = false;
	r = ipc_call(ipc, req, show_progress, NULL);
	if (bar_shown)
		fputs("\r\033[K", stderr); /* the bar goes when the answer comes */
	return r < 0 ? cli_fail_request(cli, what, r) : EXIT_OK;
}

static void done(struct cli *cli, const char *verb, const char *name)
{
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_string(&j, "name", name);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet) {
		printf("%s container %s\n", verb, name);
	}
}

/* --- create ---------------------------------------------------------------- */

static uint64_t create_memory, create_pids;

/* "64M", "1G", "1048576": bytes, binary suffixes K, M, G. */
static int parse_size(const char *s, uint64_t *ret)
{
	char num[32];
	size_t len = strlen(s);
	unsigned int shift = 0;
	uint64_t v;

	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift)
		num[len - 1] = '\0';
	if (parse_u64(num, &v) < 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*ret = v << shift;
	return 0;
}

static int fill_create(struct nl_msg *m, const struct cmd_args *a)
{
	if (args_get(a, "hostname") &&
	    nla_put_string(m, CTRIPC_A_HOSTNAME, args_get(a, "hostname")))
		return -EMSGSIZE;
	if (args_get(a, "net") && nla_put_string(m, CTRIPC_A_NET, args_get(a, "net")))
		return -EMSGSIZE;
	if (args_has(a, "userns") && nla_put_flag(m, CTRIPC_A_USERNS) < 0)
		return -EMSGSIZE;
	const char *const *binds;
	int nbinds = args_list(a, "bind", &binds);

	if (nbinds && ctripc_strv_put(m, CTRIPC_A_BINDS, binds, nbinds) < 0)
		return -EMSGSIZE;
	if (args_get(a, "rootfs") && nla_put_string(m, CTRIPC_A_ROOTFS, args_get(a, "rootfs")))
		return -EMSGSIZE;
	if (args_get(a, "image") && nla_put_string(m, CTRIPC_A_IMAGE, args_get(a, "image")))
		return -EMSGSIZE;
	if (args_get(a, "sha256") && nla_put_string(m, CTRIPC_A_SHA256, args_get(a, "sha256")))
		return -EMSGSIZE;
	if (create_memory && nla_put_u64(m, CTRIPC_A_MEMORY, create_memory) < 0)
		return -EMSGSIZE;
	if (create_pids && nla_put_u64(m, CTRIPC_A_PIDS_MAX, create_pids) < 0)
		return -EMSGSIZE;
	const char *const *env;
	int nenv = args_list(a, "env", &env);

	if (nenv && ctripc_strv_put(m, CTRIPC_A_ENV, env, nenv) < 0)
		return -EMSGSIZE;
	if (a->nrest > 0 &&
	    ctripc_strv_put(m, CTRIPC_A_ARGV, (const char *const *)a->rest, a->nrest))
		return -EMSGSIZE;
	return 0;
}

static int container_create(struct cli *cli, const struct cmd_args *a)
{
	const char *net = args_get(a, "net");
	const char *host = args_get(a, "hostname");
	int r;

	if (net && strcmp(net, "none") != 0 && strcmp(net, "host") != 0) {
		cmd_usage_error(a->path, "--net takes none or host, not '%s'", net);
		return EXIT_USAGE;
	}
	if (host && (!*host || strlen(host) > 64)) {
		cmd_usage_error(a->path, "--hostname takes 1 to 64 characters");
		return EXIT_USAGE;
	}
	if (a->nrest > ARGV_MAX) {
		cmd_usage_error(a->path, "the command has more than %d arguments", ARGV_MAX);
		return EXIT_USAGE;
	}
	create_memory = create_pids = 0;
	if (args_get(a, "memory") &&
	    (parse_size(args_get(a, "memory"), &create_memory) < 0 || create_memory == 0)) {
		cmd_usage_error(a->path,
				"--memory takes bytes, optionally with K, M or G (64M), not '%s'",
				args_get(a, "memory"));
		return EXIT_USAGE;
	}
	if (args_get(a, "pids") &&
	    (parse_u64(args_get(a, "pids"), &create_pids) < 0 || create_pids == 0)) {
		cmd_usage_error(a->path, "--pids takes a number from 1, not '%s'",
				args_get(a, "pids"));
		return EXIT_USAGE;
	}
	if (args_get(a, "sha256") &&
	    (strlen(args_get(a, "sha256")) != 64 ||
	     strspn(args_get(a, "sha256"), "0123456789abcdefABCDEF") != 64)) {
		cmd_usage_error(a->path, "--sha256 takes 64 hexadecimal digits");
		return EXIT_USAGE;
	}
	/* An image download may take a while; the daemon answers once it is ready. */
	r = call(cli, CTRIPC_CMD_CONTAINER_CREATE, "container create", a->pos[0], fill_create, a,
		 args_get(a, "image") ? 600000 : 0);
	if (r == EXIT_OK)
		done(cli, "created", a->pos[0]);
	return r;
}

/* --- start, stop, kill, rm ------------------------------------------------- */

static int container_start(struct cli *cli, const struct cmd_args *a)
{
	/* The daemon gives a start up to 10 s: wait past that for its answer. */
	int r = call(cli, CTRIPC_CMD_CONTAINER_START, "container start", a->pos[0], NULL, a, 20000);

	if (r == EXIT_OK)
		done(cli, "started", a->pos[0]);
	return r;
}

static unsigned int stop_timeout;

static int fill_stop(struct nl_msg *m, const struct cmd_args *a)
{
	return nla_put_u32(m, CTRIPC_A_TIMEOUT, stop_timeout) < 0 ? -EMSGSIZE : 0;
}

static int container_stop(struct cli *cli, const struct cmd_args *a)
{
	const char *t = args_get(a, "timeout");
	uint32_t timeout = 10;
	int r;

	if (t && (parse_u32(t, &timeout) < 0 || timeout > 3600)) {
		cmd_usage_error(a->path, "--timeout takes 0 to 3600 seconds, not '%s'", t);
		return EXIT_USAGE;
	}
	stop_timeout = timeout;
	/* The daemon answers once the container has stopped: wait a little past the timeout. */
	r = call(cli, CTRIPC_CMD_CONTAINER_STOP, "container stop", a->pos[0], fill_stop, a,
		 (int)(timeout + 10) * 1000);
	if (r == EXIT_OK)
		done(cli, "stopped", a->pos[0]);
	return r;
}

/* "TERM", "SIGTERM", "15": every signal the C library has a name for. */
static int parse_signal(const char *s)
{
	uint32_t n;

	if (parse_u32(s, &n) == 0)
		return n >= 1 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *name = sigabbrev_np(sig);

		if (name && strcasecmp(s, name) == 0)
			return sig;
	}
	return -1;
}

static int kill_signal;

static int fill_kill(struct nl_msg *m, const struct cmd_args *a)
{
	return nla_put_u32(m, CTRIPC_A_SIGNAL, (uint32_t)kill_signal) < 0 ? -EMSGSIZE : 0;
}

static int container_kill(struct cli *cli, const struct cmd_args *a)
{
	const char *s = args_get(a, "signal");
	int r;

	kill_signal = s ? parse_signal(s) : SIGKILL;
	if (kill_signal < 0) {
		cmd_usage_error(a->path, "unknown signal '%s' (a number, or a name such as TERM)",
				s);
		return EXIT_USAGE;
	}
	r = call(cli, CTRIPC_CMD_CONTAINER_KILL, "container kill", a->pos[0], fill_kill, a, 0);
	if (r == EXIT_OK)
		done(cli, "signalled", a->pos[0]);
	return r;
}

static int fill_rm(struct nl_msg *m, const struct cmd_args *a)
{
	return args_has(a, "force") && nla_put_flag(m, CTRIPC_A_FORCE) < 0 ? -EMSGSIZE : 0;
}

static int container_rm(struct cli *cli, const struct cmd_args *a)
{
	int r = call(cli, CTRIPC_CMD_CONTAINER_RM, "container rm", a->pos[0], fill_rm, a, 20000);

	if (r == EXIT_OK)
		done(cli, "removed", a->pos[0]);
	return r;
}

/* --- ls, inspect ------------------------------------------------------------ */

struct list_ctx {
	struct cli *cli;
	struct list_out out;
	struct strv *names; /* completion */
};

static void json_container(struct json *j, struct nlattr **tb)
{
	static const int scalars[] = {
		CTRIPC_A_NAME,	    CTRIPC_A_STATE,	  CTRIPC_A_PID,	       CTRIPC_A_HOSTNAME,
		CTRIPC_A_NET,	    CTRIPC_A_IMAGE,	  CTRIPC_A_ROOTFS,     CTRIPC_A_MEMORY,
		CTRIPC_A_PIDS_MAX,  CTRIPC_A_CREATED_AT,  CTRIPC_A_STARTED_AT, CTRIPC_A_FINISHED_AT,
		CTRIPC_A_EXIT_CODE, CTRIPC_A_EXIT_SIGNAL, CTRIPC_A_UID_BASE,
	};
	static const int lists[] = { CTRIPC_A_ARGV, CTRIPC_A_ENV, CTRIPC_A_BINDS };

	json_begin_object(j, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
		json_attr(j, tb, scalars[i]);
	json_bool(j, "oom_killed", tb[CTRIPC_A_OOM_KILLED] != NULL);
	json_bool(j, "userns", tb[CTRIPC_A_USERNS] != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		const char *v[ARGV_MAX];
		int n = tb[lists[i]] ? ctripc_strv_get(tb[lists[i]], v, ARGV_MAX) : 0;

		json_begin_array(j, ctripc_attr_names[lists[i]]);
		for (int k = 0; k < n; k++)
			json_string(j, NULL, v[k]);
		json_end_array(j);
	}
	json_end_object(j);
}

/* "sh -c 'sleep 1'" for people: the command, joined by blanks. */
static void join_argv(struct nlattr *nla, char *buf, size_t len)
{
	const char *v[ARGV_MAX];
	int n = nla ? ctripc_strv_get(nla, v, ARGV_MAX) : 0;
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", v[i]);
	if (n <= 0)
		snprintf(buf, len, "(init only)");
}

static void format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;

	strftime(buf, len, "%Y-%m-%d %H:%M:%S", localtime(&tt));
}

static int list_row(struct nlattr **tb, void *arg)
{
	struct list_ctx *s = arg;
	char pid[16] = "-", created[32], cmd[256];

	if (s->names)
		return strv_push(s->names, nla_get_string(tb[CTRIPC_A_NAME]));
	if (s->cli->opts.json) {
		json_container(&s->out.json, tb);
		return 0;
	}
	if (tb[CTRIPC_A_PID])
		snprintf(pid, sizeof(pid), "%u", nla_get_u32(tb[CTRIPC_A_PID]));
	format_time(tb[CTRIPC_A_CREATED_AT] ? nla_get_u64(tb[CTRIPC_A_CREATED_AT]) : 0, created,
		    sizeof(created));
	join_argv(tb[CTRIPC_A_ARGV], cmd, sizeof(cmd));
	return table_add(&s->out.table, nla_get_string(tb[CTRIPC_A_NAME]),
			 nla_get_string(tb[CTRIPC_A_STATE]), pid, created, cmd);
}

static int list_dump(struct ipc *ipc, const char *state, struct list_ctx *s)
{
	struct nl_msg *req = ipc_request(ipc, CTRIPC_CMD_CONTAINER_LIST, true);

	if (!req)
		return -ENOMEM;
	if (state && nla_put_string(req, CTRIPC_A_STATE, state) < 0) {
		nlmsg_free(req);
		return -ENOMEM;
	}
	return ipc_call(ipc, req, list_row, s);
}

static int container_ls(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "NAME", "STATE", "PID", "CREATED", "COMMAND" };
	const char *state = args_get(a, "state");
	struct list_ctx s = { .cli = cli };
	struct ipc *ipc;
	int r;

	if (state && strcmp(state, "created") && strcmp(state, "running") &&
	    strcmp(state, "stopped")) {
		cmd_usage_error(a->path, "--state takes created, running or stopped, not '%s'",
				state);
		return EXIT_USAGE;
	}
	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	if (list_out_begin(&s.out, cli, 5, header) < 0)
		return EXIT_FAIL;
	r = list_dump(ipc, state, &s);
	list_out_end(&s.out, r);
	return r < 0 ? cli_fail_request(cli, "container ls", r) : EXIT_OK;
}

void complete_container_names(struct cli *cli, struct strv *out)
{
	struct list_ctx s = { .cli = cli, .names = out };
	struct ipc *ipc;

	if (cli_ipc(cli, &ipc) == 0)
		list_dump(ipc, NULL, &s);
}

struct inspect_ctx {
	struct cli *cli;
};

static int inspect_reply(struct nlattr **tb, void *arg)
{
	struct inspect_ctx *s = arg;
	struct cli *cli = s->cli;
	char buf[512];

	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_container(&j, tb);
		json_finish(&j);
		return 0;
	}
	out_field(cli, "Name", "%s", nla_get_string(tb[CTRIPC_A_NAME]));
	out_field(cli, "State", "%s", nla_get_string(tb[CTRIPC_A_STATE]));
	if (tb[CTRIPC_A_PID])
		out_field(cli, "PID", "%u", nla_get_u32(tb[CTRIPC_A_PID]));
	if (tb[CTRIPC_A_HOSTNAME])
		out_field(cli, "Hostname", "%s", nla_get_string(tb[CTRIPC_A_HOSTNAME]));
	if (tb[CTRIPC_A_NET])
		out_field(cli, "Network", "%s", nla_get_string(tb[CTRIPC_A_NET]));
	if (tb[CTRIPC_A_UID_BASE])
		out_field(cli, "User namespace", "root is host uid/gid %u (ids %u-%u)",
			  nla_get_u32(tb[CTRIPC_A_UID_BASE]), nla_get_u32(tb[CTRIPC_A_UID_BASE]),
			  nla_get_u32(tb[CTRIPC_A_UID_BASE]) + 65535);
	if (tb[CTRIPC_A_IMAGE])
		out_field(cli, "Image", "%s", nla_get_string(tb[CTRIPC_A_IMAGE]));
	if (tb[CTRIPC_A_ROOTFS])
		out_field(cli, "Root", "%s (under its own writable layer)",
			  nla_get_string(tb[CTRIPC_A_ROOTFS]));
	if (tb[CTRIPC_A_BINDS]) {
		const char *v[ARGV_MAX];
		int n = ctripc_strv_get(tb[CTRIPC_A_BINDS], v, ARGV_MAX);

		for (int i = 0; i < n; i++)
			out_field(cli, i == 0 ? "Binds" : "", "%s", v[i]);
	}
	if (tb[CTRIPC_A_MEMORY])
		out_field(cli, "Memory limit", "%llu bytes (%llu MiB)",
			  (unsigned long long)nla_get_u64(tb[CTRIPC_A_MEMORY]),
			  (unsigned long long)(nla_get_u64(tb[CTRIPC_A_MEMORY]) >> 20));
	if (tb[CTRIPC_A_PIDS_MAX])
		out_field(cli, "PIDs limit", "%llu",
			  (unsigned long long)nla_get_u64(tb[CTRIPC_A_PIDS_MAX]));
	join_argv(tb[CTRIPC_A_ARGV], buf, sizeof(buf));
	out_field(cli, "Command", "%s", buf);
	if (tb[CTRIPC_A_ENV]) {
		const char *v[ARGV_MAX];
		int n = ctripc_strv_get(tb[CTRIPC_A_ENV], v, ARGV_MAX);

		for (int i = 0; i < n; i++)
			out_field(cli, i == 0 ? "Environment" : "", "%s", v[i]);
	}
	if (tb[CTRIPC_A_CREATED_AT]) {
		format_time(nla_get_u64(tb[CTRIPC_A_CREATED_AT]), buf, sizeof(buf));
		out_field(cli, "Created", "%s", buf);
	}
	if (tb[CTRIPC_A_STARTED_AT]) {
		format_time(nla_get_u64(tb[CTRIPC_A_STARTED_AT]), buf, sizeof(buf));
		out_field(cli, "Started", "%s", buf);
	}
	if (tb[CTRIPC_A_FINISHED_AT]) {
		format_time(nla_get_u64(tb[CTRIPC_A_FINISHED_AT]), buf, sizeof(buf));
		out_field(cli, "Finished", "%s", buf);
	}
	if (tb[CTRIPC_A_EXIT_CODE]) {
		uint32_t sig = tb[CTRIPC_A_EXIT_SIGNAL] ? nla_get_u32(tb[CTRIPC_A_EXIT_SIGNAL]) : 0;

		if (sig)
			out_field(cli, "Exit", "killed by signal %u (%s)", sig,
				  strsignal((int)sig));
		else
			out_field(cli, "Exit", "status %u", nla_get_u32(tb[CTRIPC_A_EXIT_CODE]));
	}
	if (tb[CTRIPC_A_OOM_KILLED])
		out_field(cli, "Out of memory",
			  "a process was killed for exceeding its --memory limit");
	return 0;
}

static int container_inspect(struct cli *cli, const struct cmd_args *a)
{
	struct inspect_ctx s = { .cli = cli };
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, CTRIPC_CMD_CONTAINER_INSPECT, false);
	if (!req || nla_put_string(req, CTRIPC_A_NAME, a->pos[0]) < 0)
		return EXIT_FAIL;
	r = ipc_call(ipc, req, inspect_reply, &s);
	return r < 0 ? cli_fail_request(cli, "container inspect", r) : EXIT_OK;
}

/* --- logs ------------------------------------------------------------------- */

struct logs_ctx {
	uint64_t next; /* offset after the last byte printed */
};

static int logs_chunk(struct nlattr **tb, void *arg)
{
	struct logs_ctx *s = arg;
	const char *data = nla_data(tb[CTRIPC_A_DATA]);
	size_t len = (size_t)nla_len(tb[CTRIPC_A_DATA]);

	if (fwrite(data, 1, len, stdout) != len)
		return -EIO;
	s->next = nla_get_u64(tb[CTRIPC_A_OFFSET]) + len;
	return 0;
}

static int logs_from(struct ipc *ipc, const char *name, struct logs_ctx *s)
{
	struct nl_msg *req = ipc_request(ipc, CTRIPC_CMD_CONTAINER_LOGS, true);

	if (!req || nla_put_string(req, CTRIPC_A_NAME, name) < 0 ||
	    nla_put_u64(req, CTRIPC_A_OFFSET, s->next) < 0) {
		nlmsg_free(req);
		return -ENOMEM;
	}
	return ipc_call(ipc, req, logs_chunk, s);
}

/* Is the container still running?  (For --follow: when to stop.) */
static int state_is_running(struct nlattr **tb, void *arg)
{
	*(bool *)arg = strcmp(nla_get_string(tb[CTRIPC_A_STATE]), "running") == 0;
	return 0;
}

static int container_logs(struct cli *cli, const struct cmd_args *a)
{
	struct logs_ctx s = { 0 };
	bool follow = args_has(a, "follow");
	struct ipc *ipc;
	int r;

	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	for (;;) {
		bool running = false;
		struct nl_msg *req;

		r = logs_from(ipc, a->pos[0], &s);
		fflush(stdout);
		if (r < 0 || !follow)
			break;
		req = ipc_request(ipc, CTRIPC_CMD_CONTAINER_INSPECT, false);
		if (!req || nla_put_string(req, CTRIPC_A_NAME, a->pos[0]) < 0)
			return EXIT_FAIL;
		r = ipc_call(ipc, req, state_is_running, &running);
		if (r < 0)
			break;
		if (!running) {
			/* What it wrote before it stopped. */
			r = logs_from(ipc, a->pos[0], &s);
			fflush(stdout);
			break;
		}
		/* Interruptible: Ctrl-C ends --follow. */
		if (usleep(LOGS_POLL_US) < 0 || cli_interrupted)
			break;
	}
	return r < 0 ? cli_fail_request(cli, "container logs", r) : EXIT_OK;
}

/* --- the table -------------------------------------------------------------- */

static const char *const net_words[] = { "none", "host", NULL };
static const char *const state_words[] = { "created", "running", "stopped", NULL };
static const char *const signal_words[] = { "TERM", "KILL", "INT",  "HUP",  "QUIT",
					    "USR1", "USR2", "STOP", "CONT", NULL };

#define NAME_ARG                                                                                   \
	{                                                                                          \
		"NAME", "the container",                                                           \
		{                                                                                  \
			COMPL_LIVE, .live = complete_container_names                               \
		}                                                                                  \
	}

static const struct cmd_arg name_arg[] = { NAME_ARG, { NULL } };
static const struct cmd_arg new_name_arg[] = {
	{ "NAME", "1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit" },
	{ NULL },
};

static const struct cmd_opt create_opts[] = {
	{ "hostname", 0, "NAME", "the container's host name (default: its name)" },
	{ "env", 'e', "KEY=VALUE", "set a variable for the command", .multi = true },
	{ "net",
	  0,
	  "none|host",
	  "none: its own loopback only (default); host: the host's network",
	  { COMPL_WORDS, net_words } },
	{ "image", 0, "URL", "fetch a tar image (http, https, file); unpacked once, used as root" },
	{ "sha256", 0, "HEX", "with --image: the image must have this sha256" },
	{ "rootfs",
	  0,
	  "DIR",
	  "this directory as the root, under the container's own writable layer",
	  { COMPL_FILE } },
	{ "bind",
	  'v',
	  "SRC:DST[:ro|rw]",
	  "mount host path SRC at DST in the container",
	  { COMPL_FILE },
	  .multi = true },
	{ "userns", 0, NULL, "its own user namespace: root inside is an unprivileged host uid" },
	{ "memory", 'm', "BYTES", "memory limit (K, M, G suffixes); over it, the kernel kills" },
	{ "pids", 0, "N", "at most N processes and threads" },
	{ NULL },
};

static const struct cmd_node create_node = {
	.name = "create",
	.summary = "create a container (run it with start)",
	.description =
		"Create a container on the default root file system: the host's /usr, /bin,\n"
		"/sbin, /lib* and /etc read-only, private /tmp, /run, /proc, /sys and a minimal\n"
		"/dev; its own mount, pid, uts, ipc, net and cgroup namespaces. Without a\n"
		"command it runs an init that waits; with one, init runs it and forwards\n"
		"signals to it.",
	.opts = create_opts,
	.args = new_name_arg,
	.run = container_create,
	.flags = CMD_REST,
};

static const struct cmd_node start_node = {
	.name = "start",
	.summary = "start a created or stopped container",
	.args = name_arg,
	.run = container_start,
};

static const struct cmd_opt stop_opts[] = {
	{ "timeout", 't', "SECONDS", "SIGKILL after this long (default 10; 0 kills at once)" },
	{ NULL },
};

static const struct cmd_node stop_node = {
	.name = "stop",
	.summary = "stop a container: SIGTERM, then SIGKILL after the timeout",
	.opts = stop_opts,
	.args = name_arg,
	.run = container_stop,
};

static const struct cmd_opt kill_opts[] = {
	{ "signal",
	  's',
	  "SIG",
	  "the signal, by name or number (default KILL)",
	  { COMPL_WORDS, signal_words } },
	{ NULL },
};

static const struct cmd_node kill_node = {
	.name = "kill",
	.summary = "send a signal to a container's init",
	.opts = kill_opts,
	.args = name_arg,
	.run = container_kill,
};

static const struct cmd_opt rm_opts[] = {
	{ "force", 'f', NULL, "kill a running container first" },
	{ NULL },
};

static const struct cmd_node rm_node = {
	.name = "rm",
	.summary = "remove a container and everything it left",
	.opts = rm_opts,
	.args = name_arg,
	.run = container_rm,
};

static const struct cmd_opt ls_opts[] = {
	{ "state",
	  0,
	  "STATE",
	  "only containers in this state (created, running, stopped)",
	  { COMPL_WORDS, state_words } },
	{ NULL },
};

static const struct cmd_node ls_node = {
	.name = "ls",
	.summary = "list containers",
	.opts = ls_opts,
	.run = container_ls,
};

static const struct cmd_node inspect_node = {
	.name = "inspect",
	.summary = "show everything about one container",
	.args = name_arg,
	.run = container_inspect,
};

static const struct cmd_opt exec_opts[] = {
	{ "tty", 't', NULL, "run the command on a pseudo-terminal (window size follows)" },
	{ "env", 'e', "KEY=VALUE", "set a variable for the command", .multi = true },
	{ NULL },
};

static const struct cmd_node exec_node = {
	.name = "exec",
	.summary = "run a command in a running container",
	.description = "Run CMD in the container's namespaces with its root, capabilities and\n"
		       "environment. Standard input, output and error are this terminal's (or,\n"
		       "with -t, a pseudo-terminal in the container). Exits with the command's\n"
		       "status (128+N when killed by signal N, 127 when it cannot be found).",
	.opts = exec_opts,
	.args = name_arg,
	.run = container_exec_run,
	.flags = CMD_REST | CMD_REST_REQUIRED,
};

static const struct cmd_opt logs_opts[] = {
	{ "follow", 'f', NULL, "keep printing what it writes until it stops" },
	{ NULL },
};

static const struct cmd_node logs_node = {
	.name = "logs",
	.summary = "print what a container's command wrote (stdout and stderr)",
	.opts = logs_opts,
	.args = name_arg,
	.run = container_logs,
};

static const struct cmd_node *const container_children[] = {
	&create_node, &start_node, &stop_node, &kill_node,    &rm_node,
	&exec_node,   &logs_node,  &ls_node,   &inspect_node, NULL,
};

const struct cmd_node cmd_container = {
	.name = "container",
	.summary = "create, run and remove isolated containers",
	.children = container_children,
};

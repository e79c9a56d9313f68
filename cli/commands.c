// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The root of the command table (objects and global options) and the helpers
 * every object's commands share: connecting to the daemon, errors, exit codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "objects.h"

volatile sig_atomic_t cli_interrupted;

static const char *const color_words[] = { "auto", "always", "never", NULL };

static const struct cmd_opt global_opts[] = {
	{ "json", 'j', NULL, "print JSON with stable keys" },
	{ "pretty", 'p', NULL, "indent JSON output" },
	{ "quiet", 'q', NULL, "print nothing on success for commands that change something" },
	{ "color",
	  0,
	  "WHEN",
	  "colour: auto (on a terminal), always or never",
	  { COMPL_WORDS, color_words } },
	{ "batch",
	  'b',
	  "FILE",
	  "run the commands in FILE (- for stdin), one per line",
	  { COMPL_FILE },
	  .toplevel = true },
	{ "force", 0, NULL, "with -b: go on after a failing command", .toplevel = true },
	{ "run-dir",
	  0,
	  "DIR",
	  "the daemon's run directory (default /run/ctr-ipc)",
	  { COMPL_FILE },
	  .toplevel = true },
	{ "version", 'V', NULL, "print the version and exit", .toplevel = true },
	{ "help", 'h', NULL, "show help (also after any command)" },
	{ NULL },
};

static const struct cmd_node *const root_children[] = {
	&cmd_container, &cmd_daemon, &cmd_msg, &cmd_policy, &cmd_vdev, NULL,
};

const struct cmd_node cmd_root = {
	.name = "ctr-ipc",
	.summary = "administer ctr-ipc containers, messages and virtual devices",
	.description = "Administer ctr-ipc through the control daemon ctr-ipcd.\n"
		       "Without arguments on a terminal, starts an interactive shell.",
	.children = root_children,
	.opts = global_opts,
};

int cli_apply_global(struct cli *cli, const struct cmd_opt *o, const char *val, bool toplevel,
		     const char *path)
{
	const char *n = o->name;

	if (strcmp(n, "json") == 0) {
		cli->opts.json = true;
	} else if (strcmp(n, "pretty") == 0) {
		cli->opts.pretty = true;
	} else if (strcmp(n, "quiet") == 0) {
		cli->opts.quiet = true;
	} else if (strcmp(n, "color") == 0) {
		if (strcmp(val, "auto") == 0)
			cli->opts.color = COLOR_AUTO;
		else if (strcmp(val, "always") == 0)
			cli->opts.color = COLOR_ALWAYS;
		else if (strcmp(val, "never") == 0)
			cli->opts.color = COLOR_NEVER;
		else
			return cmd_usage_error(
				path, "--color takes auto, always or never, not '%s'", val);
	} else if (!toplevel) {
		return cmd_usage_error(
			path, "option --%s goes before the object, when starting ctr-ipc", n);
	} else if (strcmp(n, "batch") == 0) {
		cli->start.batch = val;
	} else if (strcmp(n, "force") == 0) {
		cli->start.force = true;
	} else if (strcmp(n, "run-dir") == 0) {
		if (!*val)
			return cmd_usage_error(path, "--run-dir needs a directory");
		cli->run_dir = val;
	} else if (strcmp(n, "version") == 0) {
		printf("ctr-ipc %s (protocol %d)\n", CTRIPC_VERSION, CTRIPC_PROTO_VERSION);
		exit(EXIT_OK);
	}
	return 0;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ctr-ipc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_code(int error)
{
	switch (error) {
	case 0:
		return EXIT_OK;
	case -ENOTCONN:
	case -ETIMEDOUT:
	case -EPERM:
	case -EACCES:
		return EXIT_UNREACHABLE;
	default:
		return EXIT_FAIL;
	}
}

int cli_ipc(struct cli *cli, struct ipc **ret)
{
	int r;

	if (!cli->ipc_open) {
		r = ipc_open(&cli->ipc, cli->run_dir);
		if (r < 0) {
			if (!cli->completing)
				cli_error("%s", cli->ipc.err);
			return r;
		}
		cli->ipc_open = true;
	}
	cli->ipc.timeout_ms = cli->completing ? 1000 : IPC_TIMEOUT_MS;
	*ret = &cli->ipc;
	return 0;
}

void cli_close(struct cli *cli)
{
	if (cli->ipc_open)
		ipc_close(&cli->ipc);
	cli->ipc_open = false;
}

int cli_fail_request(struct cli *cli, const char *what, int error)
{
	const char *text = cli->ipc.err[0] ? cli->ipc.err : strerror(-error);

	if (error == -EINTR)
		cli_error("%s: interrupted", what);
	else
		cli_error("%s: %s", what, text);
	/* A timed-out or interrupted exchange may still deliver late replies: start afresh. */
	if (error == -ETIMEDOUT || error == -EINTR || error == -ENOTCONN)
		cli_close(cli);
	return cli_exit_code(error);
}

bool cli_use_color(const struct cli *cli)
{
	const char *term, *no_color;

	switch (cli->opts.color) {
	case COLOR_ALWAYS:
		return true;
	case COLOR_NEVER:
		return false;
	case COLOR_AUTO:
		break;
	}
	term = getenv("TERM");
	no_color = getenv("NO_COLOR");
	/* NO_COLOR counts when set to anything but the empty string. */
	return isatty(STDOUT_FILENO) && !(no_color && *no_color) && term &&
	       strcmp(term, "dumb") != 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State of one ctr-ipc invocation (or shell session). */
#ifndef CTRIPC_CLI_H
#define CTRIPC_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmdtab.h"
#include "ipc.h"

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli_opts {
	bool json, pretty, quiet;
	enum color_mode color;
};

struct cli {
	struct cli_opts opts;	 /* for the command being run */
	struct cli_opts session; /* what the command line set; each shell line starts from it */
	struct {
		const char *batch; /* -b FILE */
		bool force;	   /* --force */
	} start;		   /* options of the program itself, not of a line */
	const char *run_dir;
	bool interactive; /* inside the readline shell */
	bool completing;  /* computing completions: no output, short timeouts */
	struct ipc ipc;	  /* opened on first use */
	bool ipc_open;
};

/* Set by SIGINT in the shell: abandon the request in progress. */
extern volatile sig_atomic_t cli_interrupted;

/* Apply a global option; program-only ones are refused unless @toplevel. */
int cli_apply_global(struct cli *cli, const struct cmd_opt *o, const char *val, bool toplevel,
		     const char *path);

/* Connect on first use; prints the reason and returns -errno on failure. */
int cli_ipc(struct cli *cli, struct ipc **ret);
void cli_close(struct cli *cli);

/* Exit code for a failed request: 3 when the daemon is unreachable or refused. */
int cli_exit_code(int error);

/* Print "ctr-ipc: <text>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a failed request (its text, else strerror) and return its exit code. */
int cli_fail_request(struct cli *cli, const char *what, int error);

/* Whether to colour stdout. */
bool cli_use_color(const struct cli *cli);

int shell_run(struct cli *cli);
/* Live completion: the daemon's container names. */
void complete_container_names(struct cli *cli, struct strv *out);
int complete_main(struct cli *cli, int argc, char **argv);
int batch_run(struct cli *cli, FILE *f, const char *name, bool force);

#endif

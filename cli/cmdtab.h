/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command table: one tree of objects and commands with their options,
 * arguments and completers.  Dispatch, help, the interactive shell's
 * completion and "ctr-ipc __complete" (bash, zsh) all read it.
 */
#ifndef CTRIPC_CLI_CMDTAB_H
#define CTRIPC_CLI_CMDTAB_H

#include <stdbool.h>
#include <stdio.h>

#include "ctr-ipc/util.h"

struct cli;

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	      /* the operation failed */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_UNREACHABLE = 3, /* daemon unreachable or refused */
};

enum compl_kind { COMPL_NONE, COMPL_WORDS, COMPL_FILE, COMPL_LIVE };

/* Live completer: append candidate names asked from the daemon; errors are silent. */
typedef void (*compl_live_fn)(struct cli *cli, struct strv *out);

struct completer {
	enum compl_kind kind;
	const char *const *words; /* COMPL_WORDS, NULL-terminated */
	compl_live_fn live;	  /* COMPL_LIVE */
};

struct cmd_opt {
	const char *name;    /* long name, without "--" */
	char short_name;     /* 0 when none */
	const char *metavar; /* NULL for a flag */
	const char *help;
	struct completer comp;
	bool multi;    /* may be repeated */
	bool toplevel; /* global option valid only before the object, on the command line */
};

struct cmd_arg {
	const char *name; /* metavar, "COMMAND" */
	const char *help;
	struct completer comp;
	bool optional;
	bool repeat; /* the last one: may come again, as ID... */
};

#define CMD_HIDDEN	  (1u << 0) /* not listed, not completed, not prefix-matched */
#define CMD_REST	  (1u << 1) /* takes "-- CMD [ARG...]" */
#define CMD_REST_REQUIRED (1u << 2) /* ... and must have it */

#define CMD_MAX_OPTS  16
#define CMD_MAX_ARGS  64
#define CMD_MAX_MULTI 64

struct cmd_node;

struct cmd_args {
	const struct cmd_node *node;
	const char *path; /* "daemon status" */
	struct {
		const char *vals[CMD_MAX_MULTI];
		int n;
	} opt[CMD_MAX_OPTS];
	const char *pos[CMD_MAX_ARGS];
	int npos;
	char **rest;
	int nrest;
};

struct cmd_node {
	const char *name;
	const char *summary;
	const char *description;		/* longer help, may be NULL */
	const struct cmd_node *const *children; /* NULL-terminated, or NULL for a leaf */
	const struct cmd_opt *opts;		/* NULL-name terminated, or NULL */
	const struct cmd_arg *args;		/* NULL-name terminated, or NULL */
	int (*run)(struct cli *cli, const struct cmd_args *a);
	unsigned int flags;
};

/* The root: objects as children, global options as options. */
extern const struct cmd_node cmd_root;

/* Value of option @name (the last one given), or NULL. */
const char *args_get(const struct cmd_args *a, const char *name);
bool args_has(const struct cmd_args *a, const char *name);
/* All values of a repeatable option; returns how many. */
int args_list(const struct cmd_args *a, const char *name, const char *const **ret_vals);

/*
 * Child of @node named @word: an exact match, else the unique child whose
 * name starts with @word.  Returns NULL and fills @ambiguous (when
 * non-NULL) with the candidates if several match.
 */
const struct cmd_node *cmd_find_child(const struct cmd_node *node, const char *word,
				      struct strv *ambiguous);

/* Option by long name (or, when @name is NULL, by short name) in a NULL-name terminated table. */
const struct cmd_opt *cmd_find_opt(const struct cmd_opt *opts, const char *name, char short_name);

/* Print help for @node, reached by @path ("" for the root). */
void cmd_print_help(FILE *f, const struct cmd_node *node, const char *path);

/* Returned by option handlers after printing a usage error. */
#define CMD_USAGE_ERROR (-1000)

/* Print "ctr-ipc: <what>" and a pointer to help; returns CMD_USAGE_ERROR. */
int cmd_usage_error(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run one shell or batch line (global options may lead). Returns an exit code. */
int cmd_run(struct cli *cli, int argc, char **argv);

/*
 * Run the program's own arguments.  When they hold only global options,
 * sets *ret_no_object and returns 0: the caller starts the shell or batch.
 */
int cmd_run_toplevel(struct cli *cli, int argc, char **argv, bool *ret_no_object);

/*
 * Candidates for the last of @argc words (which may be empty), filtered by
 * it as a prefix, sorted and unique.
 */
int cmd_complete(struct cli *cli, int argc, char **argv, struct strv *out);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The interactive shell (readline, callback interface so that Ctrl-C can drop
 * the current line without leaving) and batch mode (-b FILE, or stdin when
 * it is not a terminal).  Both run each line through cmd_run().
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"
#include "tokenize.h"

#define SHELL_PROMPT "ctr-ipc> "
#define HISTORY_MAX  1000

static struct cli *shell_cli;
static bool shell_done;
static struct strv shell_matches;

/* Run one line; returns its exit code, or -1 for "exit". */
static int run_line(struct cli *cli, const char *line, const char *where)
{
	struct strv words = { 0 };
	char err[128];
	int r;

	if (tokenize(line, false, &words, err, sizeof(err)) < 0) {
		cli_error("%s%s", where, err);
		strv_free(&words);
		return EXIT_USAGE;
	}
	if (words.n == 0) {
		r = EXIT_OK;
	} else if (cli->interactive &&
		   (strcmp(words.v[0], "exit") == 0 || strcmp(words.v[0], "quit") == 0)) {
		r = -1;
	} else {
		r = cmd_run(cli, (int)words.n, words.v);
		fflush(stdout);
		/*
		 * The daemon may stop or restart between lines; a connection kept
		 * from before would name a pid and port that are gone, or drop the
		 * new daemon's replies.  Each line connects afresh, as a separate
		 * ctr-ipc would.
		 */
		cli_close(cli);
	}
	strv_free(&words);
	return r;
}

int batch_run(struct cli *cli, FILE *f, const char *name, bool force)
{
	char *line = NULL, where[PATH_MAX + 32];
	size_t cap = 0;
	unsigned int lineno = 0;
	int first_failure = EXIT_OK;

	while (getline(&line, &cap, f) >= 0) {
		int r;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u: ", name, lineno);
		r = run_line(cli, line, where);
		if (r == EXIT_OK)
			continue;
		if (first_failure == EXIT_OK)
			first_failure = r;
		if (!force) {
			cli_error("%s:%u: stopped after a failing command (--force goes on)", name,
				  lineno);
			break;
		}
	}
	if (ferror(f)) {
		cli_error("cannot read %s: %s", name, strerror(errno));
		if (first_failure == EXIT_OK)
			first_failure = EXIT_FAIL;
	}
	free(line);
	return first_failure;
}

static char *match_generator(const char *text, int state)
{
	static size_t next;

	if (state == 0)
		next = 0;
	return next < shell_matches.n ? strdup(shell_matches.v[next++]) : NULL;
}

static char **shell_complete(const char *text, int start, int end)
{
	struct strv words = { 0 };
	char *upto = strndup(rl_line_buffer, (size_t)end);
	char err[64];

	rl_attempted_completion_over = 1; /* never fall back to file names */
	strv_free(&shell_matches);
	if (!upto)
		return NULL;
	if (tokenize(upto, true, &words, err, sizeof(err)) == 0) {
		/*
		 * The word being completed is the last one.  In partial mode
		 * tokenize() already adds the empty word after a trailing
		 * blank; only an empty line (or cursor at 0) has none yet.
		 * Adding another "" here made "daemon <Tab>" complete nothing.
		 */
		if (words.n == 0)
			strv_push(&words, "");
		shell_cli->completing = true;
		cmd_complete(shell_cli, (int)words.n, words.v, &shell_matches);
		shell_cli->completing = false;
		cli_close(shell_cli); /* see on_line() */
	}
	strv_free(&words);
	free(upto);
	if (shell_matches.n == 1 && shell_matches.v[0][strlen(shell_matches.v[0]) - 1] == '/')
		rl_completion_suppress_append = 1;
	return shell_matches.n ? rl_completion_matches(text, match_generator) : NULL;
}

static void on_line(char *line)
{
	int r;

	if (!line) {
		shell_done = true;
		putchar('\n');
	} else {
		if (*line)
			add_history(line);
		r = run_line(shell_cli, line, "");
		if (r < 0)
			shell_done = true;
		cli_interrupted = 0;
		free(line);
	}
	/* Leaving: remove the handler now, or readline draws one more prompt. */
	if (shell_done)
		rl_callback_handler_remove();
}

static void on_sigint(int sig)
{
	cli_interrupted = 1;
}

static void history_path(char *buf, size_t len)
{
	const char *home = getenv("HOME");

	if (getenv("CTR_IPC_HISTFILE"))
		snprintf(buf, len, "%s", getenv("CTR_IPC_HISTFILE"));
	else if (home && *home)
		snprintf(buf, len, "%s/.ctr_ipc_history", home);
	else
		buf[0] = '\0';
}

int shell_run(struct cli *cli)
{
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	sigset_t block, orig;
	char hist[PATH_MAX];

	shell_cli = cli;
	cli->interactive = true;
	history_path(hist, sizeof(hist));
	using_history();
	stifle_history(HISTORY_MAX);
	if (*hist)
		read_history(hist);

	rl_readline_name = "ctr-ipc";
	rl_catch_signals = 0;
	rl_completer_word_break_characters = " \t\n";
	rl_attempted_completion_function = shell_complete;
	/* No SA_RESTART: Ctrl-C must interrupt poll() and a pending request. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);

	printf("ctr-ipc %s shell. Type 'help' for commands, 'exit' or Ctrl-D to leave.\n",
	       CTRIPC_VERSION);
	/*
	 * SIGINT is blocked but inside ppoll(): a Ctrl-C that comes while a
	 * key is being handled is seen at the next turn, not lost until the
	 * next key.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	rl_callback_handler_install(SHELL_PROMPT, on_line);
	while (!shell_done) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int r;

		if (cli_interrupted) {
			/* Drop the line being edited, start a fresh prompt. */
			cli_interrupted = 0;
			rl_callback_sigcleanup();
			rl_replace_line("", 0);
			rl_crlf();
			rl_on_new_line();
			rl_redisplay();
		}
		r = ppoll(&pfd, 1, NULL, &orig);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		rl_callback_read_char();
	}
	rl_callback_handler_remove();
	sigprocmask(SIG_SETMASK, &orig, NULL);
	sigaction(SIGINT, &old, NULL);
	if (*hist && write_history(hist) != 0)
		cli_error("cannot save the history to %s", hist);
	strv_free(&shell_matches);
	cli->interactive = false;
	return EXIT_OK;
}

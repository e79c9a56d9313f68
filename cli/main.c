// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctr-ipc: the command line.  One command from the arguments, commands from
 * a batch file (-b), from stdin when it is not a terminal, or an interactive
 * shell on a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const char *env = getenv("CTR_IPC_RUN_DIR");
	bool no_object;
	int r;

	cli.run_dir = env && *env ? env : IPC_DEFAULT_RUN_DIR;
	if (argc >= 2 && strcmp(argv[1], "__complete") == 0)
		return complete_main(&cli, argc - 2, argv + 2);

	r = cmd_run_toplevel(&cli, argc - 1, argv + 1, &no_object);
	if (!no_object)
		goto out;
	cli.session = cli.opts;
	if (cli.start.force && !cli.start.batch) {
		cli_error("--force only makes sense with -b FILE");
		r = EXIT_USAGE;
	} else if (cli.start.batch) {
		bool from_stdin = strcmp(cli.start.batch, "-") == 0;
		FILE *f = from_stdin ? stdin : fopen(cli.start.batch, "re");

		if (!f) {
			cli_error("cannot open batch file %s: %s", cli.start.batch,
				  strerror(errno));
			r = EXIT_FAIL;
			goto out;
		}
		r = batch_run(&cli, f, from_stdin ? "stdin" : cli.start.batch, cli.start.force);
		if (!from_stdin)
			fclose(f);
	} else if (isatty(STDIN_FILENO)) {
		r = shell_run(&cli);
	} else {
		r = batch_run(&cli, stdin, "stdin", false);
	}
out:
	cli_close(&cli);
	fflush(stdout);
	if (ferror(stdout)) {
		cli_error("error writing to standard output");
		return EXIT_FAIL;
	}
	return r;
}

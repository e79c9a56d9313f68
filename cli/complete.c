// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "ctr-ipc __complete WORD...": the candidates for the last word, one per
 * line, for the bash and zsh completions.  The words are the user's line
 * after the program name; a --run-dir among them is honoured so live names
 * come from the daemon the line is about.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int complete_main(struct cli *cli, int argc, char **argv)
{
	struct strv out = { 0 };

	for (int i = 0; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--run-dir") == 0 && i + 2 < argc)
			cli->run_dir = argv[i + 1];
		else if (strncmp(argv[i], "--run-dir=", 10) == 0)
			cli->run_dir = argv[i] + 10;
	}
	cli->completing = true;
	if (cmd_complete(cli, argc, argv, &out) < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < out.n; i++)
		puts(out.v[i]);
	strv_free(&out);
	return EXIT_OK;
}

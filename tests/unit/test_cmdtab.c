// SPDX-License-Identifier: GPL-2.0-or-later
/* The command table: prefixes, ambiguity, completion candidates, tokenizer, usage errors. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../cli/cli.h"
#include "../../cli/objects.h"
#include "../../cli/tokenize.h"

static struct cli cli = { .run_dir = "/nonexistent/ctr-ipc-test-run", .completing = true };

/* Candidates for the words of @line (split on spaces; a trailing space adds ""). */
static char *complete(const char *line)
{
	static char joined[4096];
	struct strv words = { 0 }, out = { 0 };
	char err[64];

	assert_int_equal(tokenize(line, true, &words, err, sizeof(err)), 0);
	if (words.n == 0)
		strv_push(&words, "");
	assert_int_equal(cmd_complete(&cli, (int)words.n, words.v, &out), 0);
	joined[0] = '\0';
	for (size_t i = 0; i < out.n; i++) {
		strcat(joined, i ? " " : "");
		strcat(joined, out.v[i]);
	}
	strv_free(&words);
	strv_free(&out);
	return joined;
}

static void test_find_child(void **state)
{
	struct strv amb = { 0 };

	assert_ptr_equal(cmd_find_child(&cmd_root, "daemon", NULL), &cmd_daemon);
	assert_ptr_equal(cmd_find_child(&cmd_root, "d", NULL), &cmd_daemon);
	assert_ptr_equal(cmd_find_child(&cmd_root, "c", NULL), &cmd_container);
	assert_ptr_equal(cmd_find_child(&cmd_root, "dae", NULL), &cmd_daemon);
	assert_null(cmd_find_child(&cmd_root, "x", NULL));
	assert_null(cmd_find_child(&cmd_root, "daemons", NULL));
	assert_string_equal(cmd_find_child(&cmd_root, "he", NULL)->name, "help");

	/* "st" could be status or stats: ambiguous, both named. */
	assert_null(cmd_find_child(&cmd_daemon, "st", &amb));
	assert_int_equal(amb.n, 2);
	assert_string_equal(amb.v[0], "status");
	assert_string_equal(amb.v[1], "stats");
	strv_free(&amb);

	/* An exact name wins over being a prefix of another. */
	assert_string_equal(cmd_find_child(&cmd_daemon, "stat", NULL) ? "match" : "none", "none");
	assert_string_equal(cmd_find_child(&cmd_daemon, "statu", NULL)->name, "status");
	assert_string_equal(cmd_find_child(&cmd_daemon, "statS", NULL) ? "match" : "none", "none");
	assert_string_equal(cmd_find_child(&cmd_daemon, "r", NULL)->name, "reload");
	assert_string_equal(cmd_find_child(&cmd_daemon, "l", NULL)->name, "log-level");
}

static void test_find_opt(void **state)
{
	assert_string_equal(cmd_find_opt(cmd_root.opts, "json", 0)->name, "json");
	assert_string_equal(cmd_find_opt(cmd_root.opts, NULL, 'j')->name, "json");
	assert_string_equal(cmd_find_opt(cmd_root.opts, NULL, 'b')->name, "batch");
	assert_null(cmd_find_opt(cmd_root.opts, "jso", 0));
	assert_null(cmd_find_opt(cmd_root.opts, NULL, 'z'));
}

static void test_complete_objects_and_commands(void **state)
{
	assert_string_equal(complete(""), "container daemon help msg policy vdev");
	assert_string_equal(complete("dae"), "daemon");
	assert_string_equal(complete("d"), "daemon");
	assert_string_equal(complete("x"), "");
	assert_string_equal(complete("daemon "), "help log-level reload stats status version");
	assert_string_equal(complete("daemon st"), "stats status");
	assert_string_equal(complete("d st"), "stats status");
	/* After help, the same names, without help itself. */
	assert_string_equal(complete("help "), "container daemon msg policy vdev");
	assert_string_equal(complete("vdev sim "), "add help rm");
	assert_string_equal(complete("v f"), "focus");
	assert_string_equal(complete("daemon help "), "log-level reload stats status version");
	/* Nothing after an unknown object. */
	assert_string_equal(complete("nosuch "), "");
	/* The hidden command is never offered. */
	assert_string_equal(complete("__"), "");
}

static void test_complete_options(void **state)
{
	assert_string_equal(complete("--j"), "--json");
	assert_string_equal(complete("--col"), "--color");
	assert_string_equal(complete("--color="), "--color=always --color=auto --color=never");
	assert_string_equal(complete("--color=a"), "--color=always --color=auto");
	assert_string_equal(complete("--color a"), "always auto");
	/* After the object only the output options (and help) apply. */
	assert_string_equal(complete("daemon status --"), "--color --help --json --pretty --quiet");
	assert_string_equal(
		complete("--"),
		"--batch --color --force --help --json --pretty --quiet --run-dir --version");
	/* A global option's value is skipped when walking. */
	assert_string_equal(complete("--run-dir /x dae"), "daemon");
	assert_string_equal(complete("-j daemon v"), "version");
}

static void test_complete_arguments(void **state)
{
	assert_string_equal(complete("daemon log-level "), "debug error info notice warning");
	assert_string_equal(complete("daemon log-level w"), "warning");
	assert_string_equal(complete("daemon log-level debug "), "");
	/* Live names need a daemon; none is reachable here, so nothing (and no error). */
	assert_string_equal(complete("daemon stats "), "");
}

static void test_complete_files(void **state)
{
	char dir[] = "/tmp/ctr-ipc-test-files.XXXXXX", line[128], want[256];
	char file[160], sub[160];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/batch.txt", dir);
	snprintf(sub, sizeof(sub), "%s/bdir", dir);
	f = fopen(file, "w");
	fclose(f);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(line, sizeof(line), "-b %s/b", dir);
	snprintf(want, sizeof(want), "%s/batch.txt %s/bdir/", dir, dir);
	assert_string_equal(complete(line), want);
	/* The same in --opt=VALUE form. */
	snprintf(line, sizeof(line), "--batch=%s/b", dir);
	snprintf(want, sizeof(want), "--batch=%s/batch.txt --batch=%s/bdir/", dir, dir);
	assert_string_equal(complete(line), want);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

static void test_tokenize(void **state)
{
	struct strv w = { 0 };
	char err[64];

	assert_int_equal(tokenize("  daemon   status ", false, &w, err, sizeof(err)), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.v[1], "status");
	strv_free(&w);

	assert_int_equal(
		tokenize("a 'b c' \"d \\\"e\\\"\" f\\ g # comment", false, &w, err, sizeof(err)),
		0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.v[1], "b c");
	assert_string_equal(w.v[2], "d \"e\"");
	assert_string_equal(w.v[3], "f g");
	strv_free(&w);

	assert_int_equal(tokenize("# only a comment", false, &w, err, sizeof(err)), 0);
	assert_int_equal(w.n, 0);
	strv_free(&w);

	assert_int_equal(tokenize("a ''", false, &w, err, sizeof(err)), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.v[1], "");
	strv_free(&w);

	assert_int_equal(tokenize("a 'open", false, &w, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unterminated single quote");
	strv_free(&w);

	/* For completion, an open quote ends the word and a trailing blank adds "". */
	assert_int_equal(tokenize("a 'open", true, &w, err, sizeof(err)), 0);
	assert_string_equal(w.v[1], "open");
	strv_free(&w);
	assert_int_equal(tokenize("a ", true, &w, err, sizeof(err)), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.v[1], "");
	strv_free(&w);
}

static int run(const char *line)
{
	struct strv w = { 0 };
	char err[64];
	int r;

	assert_int_equal(tokenize(line, false, &w, err, sizeof(err)), 0);
	r = cmd_run(&cli, (int)w.n, w.v);
	strv_free(&w);
	return r;
}

static void test_usage_errors(void **state)
{
	/* Help text goes to stdout; keep the test log readable. */
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);

	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	close(null);
	cli.completing = false;
	assert_int_equal(run("nosuch"), EXIT_USAGE);
	assert_int_equal(run("daemon st"), EXIT_USAGE); /* ambiguous */
	assert_int_equal(run("daemon"), EXIT_USAGE);	/* missing command */
	assert_int_equal(run("daemon status extra"), EXIT_USAGE);
	assert_int_equal(run("daemon status --bogus"), EXIT_USAGE);
	assert_int_equal(run("daemon status --json=yes"), EXIT_USAGE);
	assert_int_equal(run("daemon log-level"), EXIT_USAGE); /* missing LEVEL */
	assert_int_equal(run("daemon log-level loud"), EXIT_USAGE);
	assert_int_equal(run("daemon status -- x"), EXIT_USAGE); /* takes no command */
	assert_int_equal(run("--color=sometimes daemon status"), EXIT_USAGE);
	/* Program-only options are refused inside a line. */
	assert_int_equal(run("-b file daemon status"), EXIT_USAGE);
	assert_int_equal(run("daemon status --run-dir /x"), EXIT_USAGE);
	/* Help at every level succeeds without a daemon. */
	assert_int_equal(run("help"), EXIT_OK);
	assert_int_equal(run("help daemon"), EXIT_OK);
	assert_int_equal(run("help daemon status"), EXIT_OK);
	assert_int_equal(run("daemon help"), EXIT_OK);
	assert_int_equal(run("daemon -h"), EXIT_OK);
	assert_int_equal(run("daemon status -h"), EXIT_OK);
	assert_int_equal(run("d stats --help"), EXIT_OK);
	assert_int_equal(run("help nosuch"), EXIT_USAGE);
	/* A well-formed command without a daemon: unreachable. */
	assert_int_equal(run("daemon status"), EXIT_UNREACHABLE);
	assert_int_equal(run("-j d statu"), EXIT_UNREACHABLE);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_child),
		cmocka_unit_test(test_find_opt),
		cmocka_unit_test(test_complete_objects_and_commands),
		cmocka_unit_test(test_complete_options),
		cmocka_unit_test(test_complete_arguments),
		cmocka_unit_test(test_complete_files),
		cmocka_unit_test(test_tokenize),
		cmocka_unit_test(test_usage_errors),
	};

	return cmocka_run_group_tests_name("cmdtab", tests, NULL, NULL);
}

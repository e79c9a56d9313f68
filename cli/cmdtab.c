// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Table-driven dispatch: walks the command tree with unique-prefix matching,
 * parses options and arguments as the table declares them, prints help at
 * any level and computes completion candidates from the same table.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmdtab.h"

/* "help" is accepted (and completed) wherever a command name is expected. */
static const struct cmd_node help_node = { .name = "help", .summary = "show help" };

int cmd_usage_error(const char *path, const char *fmt, ...)
{
	va_list ap;

	fputs("ctr-ipc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (*path)
		fprintf(stderr, "\nTry 'ctr-ipc %s -h'.\n", path);
	else
		fprintf(stderr, "\nTry 'ctr-ipc help'.\n");
	return CMD_USAGE_ERROR;
}

/* The argument at position @k: declared there, or the last one if it repeats; NULL if none. */
static const struct cmd_arg *arg_spec(const struct cmd_node *node, int k)
{
	int i;

	for (i = 0; node->args && node->args[i].name; i++)
		if (i == k)
			return &node->args[i];
	return i > 0 && node->args[i - 1].repeat ? &node->args[i - 1] : NULL;
}

const char *args_get(const struct cmd_args *a, const char *name)
{
	const struct cmd_opt *opts = a->node->opts;

	for (int i = 0; opts && opts[i].name; i++)
		if (strcmp(opts[i].name, name) == 0)
			return a->opt[i].n ? a->opt[i].vals[a->opt[i].n - 1] : NULL;
	return NULL;
}

int args_list(const struct cmd_args *a, const char *name, const char *const **ret_vals)
{
	const struct cmd_opt *opts = a->node->opts;

	for (int i = 0; opts && opts[i].name; i++)
		if (strcmp(opts[i].name, name) == 0) {
			*ret_vals = a->opt[i].vals;
			return a->opt[i].n;
		}
	*ret_vals = NULL;
	return 0;
}

bool args_has(const struct cmd_args *a, const char *name)
{
	const struct cmd_opt *opts = a->node->opts;

	for (int i = 0; opts && opts[i].name; i++)
		if (strcmp(opts[i].name, name) == 0)
			return a->opt[i].n > 0;
	return false;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const struct cmd_node *cmd_find_child(const struct cmd_node *node, const char *word,
				      struct strv *ambiguous)
{
	const struct cmd_node *found = NULL;
	int matches = 0;

	if (!node->children || !*word)
		return NULL;
	for (int i = 0; node->children[i]; i++)
		if (strcmp(node->children[i]->name, word) == 0)
			return node->children[i];
	if (strcmp(word, "help") == 0)
		return &help_node;
	for (int i = 0; node->children[i]; i++) {
		const struct cmd_node *c = node->children[i];

		if ((c->flags & CMD_HIDDEN) || !starts_with(c->name, word))
			continue;
		found = c;
		matches++;
		if (ambiguous)
			strv_push(ambiguous, c->name);
	}
	if (starts_with("help", word)) {
		found = &help_node;
		matches++;
		if (ambiguous)
			strv_push(ambiguous, "help");
	}
	return matches == 1 ? found : NULL;
}

const struct cmd_opt *cmd_find_opt(const struct cmd_opt *opts, const char *name, char short_name)
{
	for (int i = 0; opts && opts[i].name; i++) {
		if (name && strcmp(opts[i].name, name) == 0)
			return &opts[i];
		if (!name && short_name && opts[i].short_name == short_name)
			return &opts[i];
	}
	return NULL;
}

/* --- help ------------------------------------------------------------------ */

static void print_opts(FILE *f, const struct cmd_opt *opts)
{
	for (int i = 0; opts && opts[i].name; i++) {
		char shrt[8] = "    ", left[64];

		if (opts[i].short_name)
			snprintf(shrt, sizeof(shrt), "-%c, ", opts[i].short_name);
		snprintf(left, sizeof(left), "%s--%s%s%s%s", shrt, opts[i].name,
			 opts[i].metavar ? " " : "", opts[i].metavar ? opts[i].metavar : "",
			 opts[i].multi ? "..." : "");
		fprintf(f, "  %-26s %s\n", left, opts[i].help);
	}
}

void cmd_print_help(FILE *f, const struct cmd_node *node, const char *path)
{
	const char *sp = *path ? " " : "";

	if (node->children) {
		fprintf(f, "Usage: ctr-ipc %s%s%s\n\n", node == &cmd_root ? "[OPTIONS] " : "", path,
			node == &cmd_root ? "OBJECT COMMAND [ARGS]" : " COMMAND [ARGS]");
		fprintf(f, "%s\n", node->description ? node->description : node->summary);
		fprintf(f, "\n%s:\n", node == &cmd_root ? "Objects" : "Commands");
		for (int i = 0; node->children[i]; i++)
			if (!(node->children[i]->flags & CMD_HIDDEN))
				fprintf(f, "  %-14s %s\n", node->children[i]->name,
					node->children[i]->summary);
		if (node->opts) {
			fprintf(f, "\nOptions:\n");
			print_opts(f, node->opts);
		}
		fprintf(f,
			"\nAny unique prefix of a name works. 'ctr-ipc %s%shelp NAME' "
			"or 'ctr-ipc %s%sNAME -h' shows more.\n",
			path, sp, path, sp);
		return;
	}
	fprintf(f, "Usage: ctr-ipc %s%s", path, node->opts ? " [OPTIONS]" : "");
	for (int i = 0; node->args && node->args[i].name; i++)
		fprintf(f, node->args[i].optional ? " [%s%s]" : " %s%s", node->args[i].name,
			node->args[i].repeat ? "..." : "");
	if (node->flags & CMD_REST_REQUIRED)
		fprintf(f, " -- CMD [ARG...]");
	else if (node->flags & CMD_REST)
		fprintf(f, " [-- CMD [ARG...]]");
	fprintf(f, "\n\n%s\n", node->description ? node->description : node->summary);
	if (node->args && node->args[0].name) {
		fprintf(f, "\nArguments:\n");
		for (int i = 0; node->args[i].name; i++)
			fprintf(f, "  %-26s %s\n", node->args[i].name, node->args[i].help);
	}
	if (node->opts) {
		fprintf(f, "\nOptions:\n");
		print_opts(f, node->opts);
	}
	fprintf(f, "\nGlobal options -j, -p, -q and --color work here too.\n");
}

/* --- dispatch ---------------------------------------------------------------- */

/* The global options a line may carry after the object: the output options and help. */
static bool global_ok_anywhere(const struct cmd_opt *o)
{
	return !o->toplevel;
}

struct opt_target {
	struct cli *cli;
	struct cmd_args *args; /* NULL at branch levels */
	bool toplevel;
	bool at_root;
	bool help;
};

static int store_option(struct opt_target *t, const struct cmd_opt *o, bool own, const char *val,
			const char *path)
{
	if (strcmp(o->name, "help") == 0) {
		t->help = true;
		return 0;
	}
	if (own) {
		int idx = (int)(o - t->args->node->opts);

		if (t->args->opt[idx].n > 0 && !o->multi)
			return cmd_usage_error(path, "option --%s given twice", o->name);
		if (t->args->opt[idx].n == CMD_MAX_MULTI)
			return cmd_usage_error(path, "option --%s given more than %d times",
					       o->name, CMD_MAX_MULTI);
		t->args->opt[idx].vals[t->args->opt[idx].n++] = val ? val : "";
		return 0;
	}
	/* Program options are refused, with the reason, after the object or on a line. */
	return cli_apply_global(t->cli, o, val, t->toplevel && t->at_root, path);
}

/* Look an option up: the command's own first, then the global ones allowed here. */
static const struct cmd_opt *lookup_opt(struct opt_target *t, const char *name, char short_name,
					bool *own)
{
	const struct cmd_opt *o = NULL;

	if (t->args)
		o = cmd_find_opt(t->args->node->opts, name, short_name);
	*own = o != NULL;
	if (!o)
		o = cmd_find_opt(cmd_root.opts, name, short_name);
	return o;
}

/* Consume argv[*i] (an option word) and its value, if any. */
static int take_option(struct opt_target *t, int argc, char **argv, int *i, const char *path)
{
	const char *w = argv[*i];
	bool own;
	int r;

	if (w[1] == '-') {
		const char *eq = strchr(w + 2, '=');
		char name[64];
		const struct cmd_opt *o;
		const char *val = NULL;

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - w - 2) : (int)strlen(w + 2),
			 w + 2);
		o = lookup_opt(t, name, 0, &own);
		if (!o)
			return cmd_usage_error(path, "unknown option '--%s' for 'ctr-ipc%s%s'",
					       name, *path ? " " : "", path);
		if (o->metavar) {
			if (eq)
				val = eq + 1;
			else if (*i + 1 < argc)
				val = argv[++*i];
			else
				return cmd_usage_error(path, "option --%s needs a value (%s)", name,
						       o->metavar);
		} else if (eq) {
			return cmd_usage_error(path, "option --%s takes no value", name);
		}
		r = store_option(t, o, own, val, path);
		(*i)++;
		return r;
	}
	for (const char *p = w + 1; *p; p++) {
		const struct cmd_opt *o = lookup_opt(t, NULL, *p, &own);
		const char *val = NULL;

		if (!o)
			return cmd_usage_error(path, "unknown option '-%c' for 'ctr-ipc%s%s'", *p,
					       *path ? " " : "", path);
		if (o->metavar) {
			if (p[1])
				val = p + 1;
			else if (*i + 1 < argc)
				val = argv[++*i];
			else
				return cmd_usage_error(path, "option -%c needs a value (%s)", *p,
						       o->metavar);
			r = store_option(t, o, own, val, path);
			if (r < 0)
				return r;
			break;
		}
		r = store_option(t, o, own, NULL, path);
		if (r < 0)
			return r;
	}
	(*i)++;
	return 0;
}

static bool is_option_word(const char *w)
{
	/* "-5" is a negative number (vdev inject VALUE), never an option: none is a digit. */
	return w[0] == '-' && w[1] != '\0' && !(w[1] >= '0' && w[1] <= '9') && strcmp(w, "--") != 0;
}

static void path_append(char *path, size_t len, const char *name)
{
	size_t n = strlen(path);

	snprintf(path + n, len - n, "%s%s", n ? " " : "", name);
}

/* "help [PATH...]" from @node: print help for the node PATH leads to. */
static int run_help(const struct cmd_node *node, char *path, size_t pathlen, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct strv amb = { 0 };
		const struct cmd_node *c = cmd_find_child(node, argv[i], &amb);

		if (!c || c == &help_node) {
			int r = cmd_usage_error(
				path, amb.n > 1 ? "'%s' is ambiguous" : "no command '%s'", argv[i]);

			strv_free(&amb);
			return r;
		}
		strv_free(&amb);
		node = c;
		path_append(path, pathlen, c->name);
	}
	cmd_print_help(stdout, node, path);
	return EXIT_OK;
}

static int walk_and_run(struct cli *cli, int argc, char **argv, bool toplevel, bool *ret_no_object)
{
	const struct cmd_node *node = &cmd_root;
	struct opt_target t = { .cli = cli, .toplevel = toplevel, .at_root = true };
	struct cmd_args args = { 0 };
	char path[256] = "";
	int i = 0, r;

	/* Objects and commands, with global options between them. */
	while (node->children) {
		struct strv amb = { 0 };
		const struct cmd_node *c;

		if (i < argc && is_option_word(argv[i])) {
			r = take_option(&t, argc, argv, &i, path);
			if (r < 0)
				return r;
			if (t.help) {
				cmd_print_help(stdout, node, path);
				return EXIT_OK;
			}
			continue;
		}
		if (i == argc) {
			if (node == &cmd_root && ret_no_object) {
				*ret_no_object = true; /* the caller decides: shell or batch */
				return EXIT_OK;
			}
			cmd_print_help(stderr, node, path);
			return CMD_USAGE_ERROR;
		}
		if (toplevel && t.at_root && cli->start.batch)
			return cmd_usage_error(path,
					       "-b runs the commands of a file; give no command "
					       "on the command line as well");
		if (toplevel && t.at_root && cli->start.force)
			return cmd_usage_error(path,
					       "--force goes with -b FILE, not with a command");
		t.at_root = false;
		c = cmd_find_child(node, argv[i], &amb);
		if (!c) {
			if (amb.n > 1) {
				char list[512] = "";

				for (size_t k = 0; k < amb.n; k++)
					path_append(list, sizeof(list), amb.v[k]);
				r = cmd_usage_error(path, "'%s' is ambiguous: it could be %s",
						    argv[i], list);
			} else {
				r = cmd_usage_error(path, "no %s '%s'",
						    node == &cmd_root ? "object" : "command",
						    argv[i]);
			}
			strv_free(&amb);
			return r;
		}
		strv_free(&amb);
		i++;
		if (c == &help_node)
			return run_help(node, path, sizeof(path), argc - i, argv + i);
		node = c;
		path_append(path, sizeof(path), node->name);
	}

	/* A command: its options and positional arguments. */
	args.node = node;
	args.path = path;
	t.args = &args;
	while (i < argc) {
		if (strcmp(argv[i], "--") == 0) {
			if (!(node->flags & CMD_REST))
				return cmd_usage_error(
					path, "'ctr-ipc %s' takes no command after '--'", path);
			args.rest = argv + i + 1;
			args.nrest = argc - i - 1;
			break;
		}
		if (is_option_word(argv[i])) {
			r = take_option(&t, argc, argv, &i, path);
			if (r < 0)
				return r;
			continue;
		}
		if (args.npos == CMD_MAX_ARGS || !arg_spec(node, args.npos))
			return cmd_usage_error(path, "unexpected argument '%s'", argv[i]);
		args.pos[args.npos++] = argv[i++];
	}
	if (t.help) {
		cmd_print_help(stdout, node, path);
		return EXIT_OK;
	}
	/* Declared arguments not given (a repeated last one may go past them). */
	for (int k = 0; node->args && node->args[k].name; k++)
		if (k >= args.npos && !node->args[k].optional)
			return cmd_usage_error(path, "'ctr-ipc %s' needs %s", path,
					       node->args[k].name);
	return node->run(cli, &args);
}

int cmd_run_toplevel(struct cli *cli, int argc, char **argv, bool *ret_no_object)
{
	int r;

	*ret_no_object = false;
	r = walk_and_run(cli, argc, argv, true, ret_no_object);
	return r == CMD_USAGE_ERROR ? EXIT_USAGE : r;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	int r;

	cli->opts = cli->session;
	r = walk_and_run(cli, argc, argv, false, NULL);
	return r == CMD_USAGE_ERROR ? EXIT_USAGE : r;
}

/* --- completion ------------------------------------------------------------ */

static void complete_files(const char *prefix, struct strv *out)
{
	char dir[4096];
	const char *base = strrchr(prefix, '/');
	struct dirent *de;
	DIR *d;

	if (base)
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - prefix + 1), prefix);
	else
		dir[0] = '\0';
	base = base ? base + 1 : prefix;
	d = opendir(*dir ? dir : ".");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char cand[4096 + 256];

		if (!starts_with(de->d_name, base) || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || (de->d_name[0] == '.' && base[0] != '.'))
			continue;
		snprintf(cand, sizeof(cand), "%s%s%s", dir, de->d_name,
			 de->d_type == DT_DIR ? "/" : "");
		strv_push(out, cand);
	}
	closedir(d);
}

static void complete_with(struct cli *cli, const struct completer *c, struct strv *out)
{
	switch (c->kind) {
	case COMPL_WORDS:
		for (int i = 0; c->words[i]; i++)
			strv_push(out, c->words[i]);
		break;
	case COMPL_LIVE:
		c->live(cli, out);
		break;
	case COMPL_FILE:
	case COMPL_NONE:
		break;
	}
}

static void complete_opts(const struct cmd_opt *opts, bool only_anywhere, struct strv *out)
{
	char buf[80];

	for (int i = 0; opts && opts[i].name; i++) {
		if (only_anywhere && !global_ok_anywhere(&opts[i]))
			continue;
		snprintf(buf, sizeof(buf), "--%s", opts[i].name);
		strv_push(out, buf);
	}
}

/* Keep the candidates that start with @prefix; prepend @lead to each. */
static int filter_into(struct strv *all, const char *prefix, const char *lead, struct strv *out)
{
	char buf[4096 + 128];
	int r = 0;

	strv_sort_unique(all);
	for (size_t k = 0; k < all->n && r == 0; k++) {
		if (!starts_with(all->v[k], prefix))
			continue;
		snprintf(buf, sizeof(buf), "%s%s", lead, all->v[k]);
		r = strv_push(out, buf);
	}
	strv_free(all);
	return r;
}

int cmd_complete(struct cli *cli, int argc, char **argv, struct strv *out)
{
	static char *empty[] = { "" };
	const struct cmd_node *node = &cmd_root;
	const struct cmd_opt *pending = NULL;
	struct strv all = { 0 };
	bool rest = false, help_mode = false;
	const char *cur;
	int npos = 0;

	if (argc == 0) {
		argc = 1;
		argv = empty;
	}
	cur = argv[argc - 1];
	for (int i = 0; i < argc - 1; i++) {
		const char *w = argv[i];

		if (pending) {
			pending = NULL;
			continue;
		}
		if (rest)
			continue;
		if (strcmp(w, "--") == 0 && !node->children) {
			rest = true;
			continue;
		}
		if (is_option_word(w)) {
			const struct cmd_opt *o = NULL;

			if (w[1] == '-' && !strchr(w, '=')) {
				if (!node->children)
					o = cmd_find_opt(node->opts, w + 2, 0);
				if (!o)
					o = cmd_find_opt(cmd_root.opts, w + 2, 0);
			} else if (w[1] != '-' && w[2] == '\0') {
				if (!node->children)
					o = cmd_find_opt(node->opts, NULL, w[1]);
				if (!o)
					o = cmd_find_opt(cmd_root.opts, NULL, w[1]);
			}
			if (o && o->metavar)
				pending = o;
			continue;
		}
		if (node->children) {
			const struct cmd_node *c = cmd_find_child(node, w, NULL);

			if (!c)
				return 0;
			if (c == &help_node) {
				help_mode = true;
				continue;
			}
			node = c;
			continue;
		}
		npos++;
	}

	if (rest)
		return 0;
	if (pending) {
		if (pending->comp.kind == COMPL_FILE) {
			complete_files(cur, out);
			strv_sort_unique(out);
			return 0;
		}
		complete_with(cli, &pending->comp, &all);
		return filter_into(&all, cur, "", out);
	}
	if (starts_with(cur, "--") && strchr(cur, '=')) {
		char name[64];
		const char *eq = strchr(cur, '=');
		const struct cmd_opt *o;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - cur - 2), cur + 2);
		o = node->children ? NULL : cmd_find_opt(node->opts, name, 0);
		if (!o)
			o = cmd_find_opt(cmd_root.opts, name, 0);
		if (!o || !o->metavar)
			return 0;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - cur + 1), cur);
		if (o->comp.kind == COMPL_FILE) {
			complete_files(eq + 1, &all);
			return filter_into(&all, "", name, out);
		}
		complete_with(cli, &o->comp, &all);
		return filter_into(&all, eq + 1, name, out);
	}
	if (cur[0] == '-') {
		if (!node->children)
			complete_opts(node->opts, false, &all);
		complete_opts(cmd_root.opts, node != &cmd_root, &all);
		return filter_into(&all, cur, "", out);
	}
	if (node->children) {
		for (int i = 0; node->children[i]; i++)
			if (!(node->children[i]->flags & CMD_HIDDEN))
				strv_push(&all, node->children[i]->name);
		if (!help_mode)
			strv_push(&all, "help");
		return filter_into(&all, cur, "", out);
	}
	if (help_mode || !node->args)
		return 0;
	if (!arg_spec(node, npos))
		return 0;
	if (arg_spec(node, npos)->comp.kind == COMPL_FILE) {
		complete_files(cur, out);
		strv_sort_unique(out);
		return 0;
	}
	complete_with(cli, &arg_spec(node, npos)->comp, &all);
	return filter_into(&all, cur, "", out);
}

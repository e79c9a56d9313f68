// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipc policy: the bus's rules and secrets. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmdtab.h"
#include "ctr-ipc/util.h"
#include "ipc.h"
#include "objects.h"
#include "output.h"

#define SECRET_MAX 4096

struct answer {
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	char rule[1100];
	uint32_t id, position;
};

static int keep_answer(struct nlattr **tb, void *arg)
{
	struct answer *a = arg;

	a->id = tb[CTRIPC_A_RULE_ID] ? nla_get_u32(tb[CTRIPC_A_RULE_ID]) : 0;
	a->position = tb[CTRIPC_A_POSITION] ? nla_get_u32(tb[CTRIPC_A_POSITION]) : 0;
	snprintf(a->rule, sizeof(a->rule), "%s", attr_str(tb, CTRIPC_A_RULE));
	return 0;
}

/* Send @req (freed), with @what for errors; the answer in @ans (may be NULL). */
static int call(struct cli *cli, struct ipc *ipc, struct nl_msg *req, const char *what,
		struct answer *ans)
{
	int r = ipc_call(ipc, req, ans ? keep_answer : NULL, ans);

	return r < 0 ? cli_fail_request(cli, what, r) : EXIT_OK;
}

static struct nl_msg *request(struct cli *cli, uint8_t cmd, bool dump, struct ipc **ipc)
{
	int r = cli_ipc(cli, ipc);

	return r < 0 ? NULL : ipc_request(*ipc, cmd, dump);
}

static int policy_add(struct cli *cli, const struct cmd_args *a)
{
	static const struct {
		const char *opt;
		int attr;
	} pats[] = { { "from", CTRIPC_A_FROM },
		     { "to", CTRIPC_A_TO },
		     { "category", CTRIPC_A_CATEGORY },
		     { "secret", CTRIPC_A_SECRET } };
	const char *pos = args_get(a, "position");
	struct answer ans = { 0 };
	struct nl_msg *req;
	struct ipc *ipc;
	uint32_t position = 0;
	int r;

	if (strcmp(a->pos[0], "allow") != 0 && strcmp(a->pos[0], "deny") != 0) {
		cmd_usage_error(a->path, "the action is allow or deny, not '%s'", a->pos[0]);
		return EXIT_USAGE;
	}
	if (pos && (parse_u32(pos, &position) < 0 || position == 0)) {
		cmd_usage_error(a->path, "--position takes a number from 1 on, not '%s'", pos);
		return EXIT_USAGE;
	}
	req = request(cli, CTRIPC_CMD_POLICY_ADD, false, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	r = nla_put_string(req, CTRIPC_A_ACTION, a->pos[0]);
	for (size_t i = 0; r == 0 && i < sizeof(pats) / sizeof(pats[0]); i++)
		if (args_get(a, pats[i].opt))
			r = nla_put_string(req, pats[i].attr, args_get(a, pats[i].opt));
	if (r == 0 && position)
		r = nla_put_u32(req, CTRIPC_A_POSITION, position);
	if (r < 0) {
		nlmsg_free(req);
		cli_error("policy add: a pattern is too long");
		return EXIT_FAIL;
	}
	r = call(cli, ipc, req, "policy add", &ans);
	if (r != EXIT_OK)
		return r;
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		json_u64(&j, "id", ans.id);
		json_u64(&j, "position", ans.position);
		json_string(&j, "rule", ans.rule);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet) {
		printf("rule %u at position %u: %s\n", ans.id, ans.position, ans.rule);
	}
	return EXIT_OK;
}

struct ls_ctx {
	struct cli *cli;
	struct list_out out;
	bool secrets;
};

static int ls_row(struct nlattr **tb, void *arg)
{
	struct ls_ctx *l = arg;
	char id[16], pos[16], hits[24];

	if (l->cli->opts.json) {
		static const int rule_attrs[] = { CTRIPC_A_RULE_ID, CTRIPC_A_POSITION,
						  CTRIPC_A_ACTION,  CTRIPC_A_FROM,
						  CTRIPC_A_TO,	    CTRIPC_A_CATEGORY,
						  CTRIPC_A_SECRET,  CTRIPC_A_HITS };

		json_begin_object(&l->out.json, NULL);
		if (l->secrets)
			json_attr(&l->out.json, tb, CTRIPC_A_SECRET);
		else
			for (size_t i = 0; i < sizeof(rule_attrs) / sizeof(rule_attrs[0]); i++)
				json_attr(&l->out.json, tb, rule_attrs[i]);
		json_end_object(&l->out.json);
		return 0;
	}
	if (l->secrets)
		return table_add(&l->out.table, attr_str(tb, CTRIPC_A_SECRET));
	snprintf(id, sizeof(id), "%u",
		 tb[CTRIPC_A_RULE_ID] ? nla_get_u32(tb[CTRIPC_A_RULE_ID]) : 0);
	snprintf(pos, sizeof(pos), "%u",
		 tb[CTRIPC_A_POSITION] ? nla_get_u32(tb[CTRIPC_A_POSITION]) : 0);
	snprintf(hits, sizeof(hits), tb[CTRIPC_A_HITS] ? "%llu" : "-",
		 tb[CTRIPC_A_HITS] ? (unsigned long long)nla_get_u64(tb[CTRIPC_A_HITS]) : 0ULL);
	return table_add(&l->out.table, pos, id, attr_str(tb, CTRIPC_A_ACTION),
			 attr_str(tb, CTRIPC_A_FROM), attr_str(tb, CTRIPC_A_TO),
			 attr_str(tb, CTRIPC_A_CATEGORY),
			 tb[CTRIPC_A_SECRET] ? attr_str(tb, CTRIPC_A_SECRET) : "-", hits);
}

static int list(struct cli *cli, uint8_t cmd, bool secrets, const char *what, int ncols,
		const char *const *header)
{
	struct ls_ctx l = { .cli = cli, .secrets = secrets };
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	req = request(cli, cmd, true, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	if (list_out_begin(&l.out, cli, ncols, header) < 0) {
		nlmsg_free(req);
		return EXIT_FAIL;
	}
	r = ipc_call(ipc, req, ls_row, &l);
	list_out_end(&l.out, r);
	return r < 0 ? cli_fail_request(cli, what, r) : EXIT_OK;
}

static int policy_ls(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "#",  "ID",	"ACTION", "FROM",
					      "TO", "CATEGORY", "SECRET", "HITS" };

	return list(cli, CTRIPC_CMD_POLICY_LIST, false, "policy ls", 8, header);
}

static int policy_rm(struct cli *cli, const struct cmd_args *a)
{
	struct nl_msg *req;
	struct ipc *ipc;
	uint32_t id;
	int r;

	if (parse_u32(a->pos[0], &id) < 0 || id == 0) {
		cmd_usage_error(a->path,
				"ID is a rule's number (see 'ctr-ipc policy ls'), not '%s'",
				a->pos[0]);
		return EXIT_USAGE;
	}
	req = request(cli, CTRIPC_CMD_POLICY_RM, false, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	if (nla_put_u32(req, CTRIPC_A_RULE_ID, id) < 0) {
		nlmsg_free(req);
		return EXIT_FAIL;
	}
	r = call(cli, ipc, req, "policy rm", NULL);
	if (r == EXIT_OK && !cli->opts.quiet && !cli->opts.json)
		printf("removed rule %u\n", id);
	return r;
}

/* The value: all of --file F, or of standard input; never the command line. */
static int read_secret(const char *file, unsigned char *buf, size_t *len)
{
	int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t n = 0;
	ssize_t got;

	if (fd < 0)
		return -errno;
	while ((got = read(fd, buf + n, SECRET_MAX + 1 - n)) > 0 && n + (size_t)got <= SECRET_MAX)
		n += (size_t)got;
	if (fd != STDIN_FILENO)
		close(fd);
	if (got < 0)
		return -errno;
	if (got > 0)
		return -EFBIG;
	*len = n;
	return 0;
}

static int secret_set(struct cli *cli, const struct cmd_args *a)
{
	unsigned char value[SECRET_MAX + 1];
	const char *file = args_get(a, "file");
	struct nl_msg *req;
	struct ipc *ipc;
	size_t len = 0;
	int r;

	if (!file && isatty(STDIN_FILENO)) {
		cmd_usage_error(a->path, "give the value on standard input or with --file F, "
					 "never on the command line");
		return EXIT_USAGE;
	}
	r = read_secret(file, value, &len);
	if (r < 0 || len == 0) {
		cli_error("policy secret set: cannot read the value from %s: %s",
			  file ? file : "standard input",
			  r == -EFBIG ? "over 4096 bytes"
			  : r < 0     ? strerror(-r)
				      : "it is empty");
		explicit_bzero(value, sizeof(value));
		return EXIT_FAIL;
	}
	req = request(cli, CTRIPC_CMD_SECRET_SET, false, &ipc);
	if (!req || nla_put_string(req, CTRIPC_A_SECRET, a->pos[0]) < 0 ||
	    nla_put(req, CTRIPC_A_VALUE, (int)len, value) < 0) {
		explicit_bzero(value, sizeof(value));
		nlmsg_free(req);
		return req ? EXIT_FAIL : EXIT_UNREACHABLE;
	}
	explicit_bzero(value, sizeof(value));
	r = call(cli, ipc, req, "policy secret set", NULL);
	if (r == EXIT_OK && !cli->opts.quiet && !cli->opts.json)
		printf("secret %s set (%zu bytes)\n", a->pos[0], len);
	return r;
}

static int secret_ls(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "NAME" };

	return list(cli, CTRIPC_CMD_SECRET_LIST, true, "policy secret ls", 1, header);
}

static int secret_rm(struct cli *cli, const struct cmd_args *a)
{
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	req = request(cli, CTRIPC_CMD_SECRET_RM, false, &ipc);
	if (!req)
		return EXIT_UNREACHABLE;
	if (nla_put_string(req, CTRIPC_A_SECRET, a->pos[0]) < 0) {
		nlmsg_free(req);
		return EXIT_FAIL;
	}
	r = call(cli, ipc, req, "policy secret rm", NULL);
	if (r == EXIT_OK && !cli->opts.quiet && !cli->opts.json)
		printf("removed secret %s\n", a->pos[0]);
	return r;
}

/* --- the command tree ----------------------------------------------------------- */

static const char *const actions[] = { "allow", "deny", NULL };

static const struct cmd_arg add_args[] = {
	{ "allow|deny", "what the rule decides", { COMPL_WORDS, actions } },
	{ NULL },
};
static const struct cmd_opt add_opts[] = {
	{ "from", 0, "PAT", "sender pattern, CONTAINER[/ENDPOINT] (default *)" },
	{ "to", 0, "PAT", "destination pattern (default *)" },
	{ "category", 0, "PAT", "category pattern, dotted (default *)" },
	{ "secret", 0, "NAME", "allow only with this secret as authorization data" },
	{ "position", 0, "N", "insert as rule N (default: last)" },
	{ NULL },
};
static const struct cmd_arg id_arg[] = { { "ID", "a rule's ID (policy ls)" }, { NULL } };
static const struct cmd_arg secret_name[] = {
	{ "NAME", "1 to 63 letters, digits, '_', '.' or '-'" },
	{ NULL },
};
static const struct cmd_opt set_opts[] = {
	{ "file", 'f', "F", "read the value from F (default: standard input)", { COMPL_FILE } },
	{ NULL },
};

static const struct cmd_node add_node = {
	.name = "add",
	.summary = "add a rule (first match wins; no match: denied)",
	.description = "Patterns: '*' matches within one segment ('/' in addresses, '.' in\n"
		       "categories), '**' across segments, '?' one character; a bare\n"
		       "container name means all its endpoints.",
	.opts = add_opts,
	.args = add_args,
	.run = policy_add,
};
static const struct cmd_node ls_node = {
	.name = "ls",
	.summary = "list the rules in order",
	.run = policy_ls,
};
static const struct cmd_node rm_node = {
	.name = "rm",
	.summary = "remove a rule",
	.args = id_arg,
	.run = policy_rm,
};
static const struct cmd_node secret_set_node = {
	.name = "set",
	.summary = "set a secret (its value from standard input or --file, never the command line)",
	.opts = set_opts,
	.args = secret_name,
	.run = secret_set,
};
static const struct cmd_node secret_ls_node = {
	.name = "ls",
	.summary = "list the secrets' names (never their values)",
	.run = secret_ls,
};
static const struct cmd_node secret_rm_node = {
	.name = "rm",
	.summary = "remove a secret",
	.args = secret_name,
	.run = secret_rm,
};
static const struct cmd_node *const secret_children[] = { &secret_set_node, &secret_ls_node,
							  &secret_rm_node, NULL };
static const struct cmd_node secret_node = {
	.name = "secret",
	.summary = "named secrets that rules may require",
	.children = secret_children,
};
static const struct cmd_node *const policy_children[] = { &add_node, &ls_node, &rm_node,
							  &secret_node, NULL };

const struct cmd_node cmd_policy = {
	.name = "policy",
	.summary = "the bus's rules: who may send what to whom",
	.children = policy_children,
};

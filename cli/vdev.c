// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipc vdev: resources, virtual devices of containers, focus, bar and redirect. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <time.h>

#include "cli.h"
#include "cmdtab.h"
#include "ctr-ipc/util.h"
#include "ipc.h"
#include "objects.h"
#include "output.h"

/*
 * One request: positional arguments and options into attributes, in order.
 * @attrs pairs each positional argument with its attribute.
 */
struct vreq {
	uint8_t cmd;
	const char *what;
	int attrs[4];
};

static int send_vreq(struct cli *cli, const struct cmd_args *a, const struct vreq *v,
		     const char *opt, int opt_attr, const char *said)
{
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, v->cmd, false);
	if (!req)
		return EXIT_FAIL;
	for (int i = 0; i < a->npos && v->attrs[i]; i++)
		if (nla_put_string(req, v->attrs[i], a->pos[i]) < 0)
			goto too_big;
	if (opt && args_get(a, opt) && nla_put_string(req, opt_attr, args_get(a, opt)) < 0)
		goto too_big;
	r = ipc_call(ipc, req, NULL, NULL);
	if (r < 0)
		return cli_fail_request(cli, v->what, r);
	if (cli->opts.json) {
		struct json j;

		json_init(&j, stdout, cli->opts.pretty);
		json_begin_object(&j, NULL);
		for (int i = 0; i < a->npos && v->attrs[i]; i++)
			json_string(&j, ctripc_attr_names[v->attrs[i]], a->pos[i]);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->opts.quiet && said) {
		puts(said);
	}
	return EXIT_OK;
too_big:
	nlmsg_free(req);
	cli_error("%s: the request is too large", v->what);
	return EXIT_FAIL;
}

static int vdev_attach(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_ATTACH,
				       "vdev attach",
				       { CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE } };
	char said[256];

	snprintf(said, sizeof(said), "attached %s to resource %s%s%s", a->pos[0], a->pos[1],
		 args_get(a, "name") ? " as /dev/vdev/" : "",
		 args_get(a, "name") ? args_get(a, "name") : "");
	return send_vreq(cli, a, &v, "name", CTRIPC_A_DEVICE, said);
}

static int vdev_detach(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_DETACH,
				       "vdev detach",
				       { CTRIPC_A_CONTAINER, CTRIPC_A_DEVICE } };
	char said[256];

	snprintf(said, sizeof(said), "detached /dev/vdev/%s from %s", a->pos[1], a->pos[0]);
	return send_vreq(cli, a, &v, NULL, 0, said);
}

static int vdev_focus(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_FOCUS,
				       "vdev focus",
				       { CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE } };
	char said[256];

	snprintf(said, sizeof(said), "%s now has the focus of %s", a->pos[0], a->pos[1]);
	return send_vreq(cli, a, &v, NULL, 0, said);
}

static int vdev_block(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_BLOCK,
				       "vdev block",
				       { CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE } };
	char said[256];

	snprintf(said, sizeof(said), "%s barred from %s%s%s", a->pos[0], a->pos[1],
		 args_get(a, "redirect") ? "; its events go to " : "",
		 args_get(a, "redirect") ? args_get(a, "redirect") : "");
	return send_vreq(cli, a, &v, "redirect", CTRIPC_A_REDIRECT, said);
}

static int vdev_unblock(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_UNBLOCK,
				       "vdev unblock",
				       { CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE } };
	char said[256];

	snprintf(said, sizeof(said), "%s no longer barred from %s", a->pos[0], a->pos[1]);
	return send_vreq(cli, a, &v, NULL, 0, said);
}

static int vdev_sim_add(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_SIM_ADD,
				       "vdev sim add",
				       { CTRIPC_A_RESOURCE } };
	char said[128];

	snprintf(said, sizeof(said), "added simulated resource %s", a->pos[0]);
	return send_vreq(cli, a, &v, NULL, 0, said);
}

static int vdev_sim_rm(struct cli *cli, const struct cmd_args *a)
{
	static const struct vreq v = { CTRIPC_CMD_VDEV_SIM_RM,
				       "vdev sim rm",
				       { CTRIPC_A_RESOURCE } };
	char said[128];

	snprintf(said, sizeof(said), "removed simulated resource %s", a->pos[0]);
	return send_vreq(cli, a, &v, NULL, 0, said);
}

/* Event types by name (as in linux/input-event-codes.h, without EV_), else a number. */
static int parse_type(const char *s, uint32_t *ret)
{
	static const char *const names[] = { "syn", "key", "rel", "abs", "msc", "sw" };
	static const uint32_t values[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05 };
	static const char *const more[][2] = { { "led", "17" }, { "snd", "18" }, { "rep", "20" } };

	if (strncasecmp(s, "EV_", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return *ret = values[i], 0;
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (strcasecmp(s, more[i][0]) == 0)
			return parse_u32(more[i][1], ret);
	return parse_u32(s, ret);
}

static int vdev_inject(struct cli *cli, const struct cmd_args *a)
{
	uint32_t type, code;
	struct nl_msg *req;
	struct ipc *ipc;
	char *end;
	long value;
	int r;

	if (parse_type(a->pos[1], &type) < 0) {
		cmd_usage_error(
			a->path,
			"TYPE is a number or syn, key, rel, abs, msc, sw, led, snd, rep; not '%s'",
			a->pos[1]);
		return EXIT_USAGE;
	}
	if (parse_u32(a->pos[2], &code) < 0) {
		cmd_usage_error(a->path, "CODE is a number (KEY_A is 30), not '%s'", a->pos[2]);
		return EXIT_USAGE;
	}
	errno = 0;
	value = strtol(a->pos[3], &end, 10);
	if (errno || *end || end == a->pos[3] || value < INT32_MIN || value > INT32_MAX) {
		cmd_usage_error(a->path, "VALUE is a 32-bit signed number, not '%s'", a->pos[3]);
		return EXIT_USAGE;
	}
	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, CTRIPC_CMD_VDEV_INJECT, false);
	if (!req || nla_put_string(req, CTRIPC_A_RESOURCE, a->pos[0]) < 0 ||
	    nla_put_u32(req, CTRIPC_A_EV_TYPE, type) < 0 ||
	    nla_put_u32(req, CTRIPC_A_EV_CODE, code) < 0 ||
	    nla_put_u32(req, CTRIPC_A_EV_VALUE, (uint32_t)(int32_t)value) < 0) {
		nlmsg_free(req);
		return EXIT_FAIL;
	}
	r = ipc_call(ipc, req, NULL, NULL);
	return r < 0 ? cli_fail_request(cli, "vdev inject", r) : EXIT_OK;
}

/* --- lists -------------------------------------------------------------------- */

struct vlist {
	struct cli *cli;
	struct list_out out;
	const int *json_attrs; /* 0-terminated */
	int (*row)(struct vlist *l, struct nlattr **tb);
	struct strv *names; /* completion: resource names only */
};

static int vlist_entry(struct nlattr **tb, void *arg)
{
	struct vlist *l = arg;

	if (l->names)
		return tb[CTRIPC_A_RESOURCE] ? strv_push(l->names, attr_str(tb, CTRIPC_A_RESOURCE))
					     : 0;
	if (l->cli->opts.json) {
		json_begin_object(&l->out.json, NULL);
		for (const int *a = l->json_attrs; *a; a++)
			json_attr(&l->out.json, tb, *a);
		json_end_object(&l->out.json);
		return 0;
	}
	return l->row(l, tb);
}

static int vlist_run(struct vlist *l, uint8_t cmd, int filter_attr, const char *filter,
		     const char *what, int ncols, const char *const *header)
{
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	r = cli_ipc(l->cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	if (!l->names && list_out_begin(&l->out, l->cli, ncols, header) < 0)
		return EXIT_FAIL;
	req = ipc_request(ipc, cmd, true);
	if (!req || (filter && nla_put_string(req, filter_attr, filter) < 0)) {
		nlmsg_free(req);
		r = -ENOMEM;
	} else {
		r = ipc_call(ipc, req, vlist_entry, l);
	}
	if (!l->names)
		list_out_end(&l->out, r);
	if (r < 0)
		return l->names ? EXIT_FAIL : cli_fail_request(l->cli, what, r);
	return EXIT_OK;
}

static int res_row(struct vlist *l, struct nlattr **tb)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", tb[CTRIPC_A_RES_ID] ? nla_get_u32(tb[CTRIPC_A_RES_ID]) : 0);
	return table_add(&l->out.table, id, attr_str(tb, CTRIPC_A_RESOURCE),
			 tb[CTRIPC_A_SIMULATED] ? "simulated" : "input",
			 attr_str(tb, CTRIPC_A_RES_PHYS),
			 tb[CTRIPC_A_FOCUS] ? attr_str(tb, CTRIPC_A_FOCUS) : "-",
			 tb[CTRIPC_A_TARGET] ? attr_str(tb, CTRIPC_A_TARGET) : "-");
}

static int vdev_resources(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "ID", "NAME", "KIND", "PHYS", "FOCUS", "EVENTS TO" };
	static const int attrs[] = { CTRIPC_A_RES_ID,	CTRIPC_A_RESOURCE,
				     CTRIPC_A_RES_PHYS, CTRIPC_A_SIMULATED,
				     CTRIPC_A_BACKEND,	CTRIPC_A_FOCUS,
				     CTRIPC_A_TARGET,	0 };
	struct vlist l = { .cli = cli, .json_attrs = attrs, .row = res_row };

	return vlist_run(&l, CTRIPC_CMD_VDEV_RESOURCES, 0, NULL, "vdev resources", 6, header);
}

static void complete_resources(struct cli *cli, struct strv *out)
{
	struct vlist l = { .cli = cli, .names = out };

	vlist_run(&l, CTRIPC_CMD_VDEV_RESOURCES, 0, NULL, "vdev resources", 0, NULL);
}

static int dev_row(struct vlist *l, struct nlattr **tb)
{
	char state[96];
	const char *c = attr_str(tb, CTRIPC_A_CONTAINER);

	if (tb[CTRIPC_A_BARRED])
		snprintf(state, sizeof(state), "barred%s%s", tb[CTRIPC_A_REDIRECT] ? ", to " : "",
			 attr_str(tb, CTRIPC_A_REDIRECT));
	else
		snprintf(state, sizeof(state), "%s",
			 strcmp(attr_str(tb, CTRIPC_A_TARGET), c) == 0 ? "receiving" : "idle");
	return table_add(&l->out.table, c, attr_str(tb, CTRIPC_A_DEVICE),
			 attr_str(tb, CTRIPC_A_RESOURCE), state);
}

static int vdev_ls(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "CONTAINER", "DEVICE", "RESOURCE", "STATE" };
	static const int attrs[] = { CTRIPC_A_CONTAINER, CTRIPC_A_DEVICE,
				     CTRIPC_A_RES_ID,	 CTRIPC_A_RESOURCE,
				     CTRIPC_A_BARRED,	 CTRIPC_A_REDIRECT,
				     CTRIPC_A_TARGET,	 0 };
	struct vlist l = { .cli = cli, .json_attrs = attrs, .row = dev_row };

	return vlist_run(&l, CTRIPC_CMD_VDEV_LIST, CTRIPC_A_CONTAINER, a->pos[0], "vdev ls", 4,
			 header);
}

static int stats_row(struct vlist *l, struct nlattr **tb)
{
	char n[5][24];
	const int cols[] = { CTRIPC_A_EVENTS_IN, CTRIPC_A_DELIVERED, CTRIPC_A_DROPPED,
			     CTRIPC_A_REDIRECTED, CTRIPC_A_REFUSED_WRITES };

	for (int i = 0; i < 5; i++)
		snprintf(n[i], sizeof(n[i]), tb[cols[i]] ? "%llu" : "-", attr_u64(tb, cols[i]));
	return table_add(&l->out.table, attr_str(tb, CTRIPC_A_RESOURCE),
			 tb[CTRIPC_A_CONTAINER] ? attr_str(tb, CTRIPC_A_CONTAINER) : "(all)",
			 tb[CTRIPC_A_DEVICE] ? attr_str(tb, CTRIPC_A_DEVICE) : "-", n[0], n[1],
			 n[2], n[3], n[4]);
}

static int vdev_stats(struct cli *cli, const struct cmd_args *a)
{
	static const char *const header[] = { "RESOURCE",  "CONTAINER", "DEVICE",     "IN",
					      "DELIVERED", "DROPPED",	"REDIRECTED", "REFUSED" };
	static const int attrs[] = { CTRIPC_A_RES_ID,	      CTRIPC_A_RESOURCE,
				     CTRIPC_A_CONTAINER,      CTRIPC_A_DEVICE,
				     CTRIPC_A_EVENTS_IN,      CTRIPC_A_DELIVERED,
				     CTRIPC_A_DROPPED,	      CTRIPC_A_REDIRECTED,
				     CTRIPC_A_REFUSED_WRITES, 0 };
	struct vlist l = { .cli = cli, .json_attrs = attrs, .row = stats_row };
	int r;

	r = vlist_run(&l, CTRIPC_CMD_VDEV_STATS, CTRIPC_A_RESOURCE, a->pos[0], "vdev stats", 8,
		      header);
	return r;
}

struct watch_ctx {
	struct cli *cli;
	uint32_t left; /* events still to print, 0: no limit */
};

/* One line per change; with -j, one JSON object per line. */
static int watch_event(struct nlattr **tb, void *arg)
{
	static const int attrs[] = { CTRIPC_A_EVENT,	 CTRIPC_A_RES_ID, CTRIPC_A_RESOURCE,
				     CTRIPC_A_CONTAINER, CTRIPC_A_FOCUS,  CTRIPC_A_TARGET };
	struct watch_ctx *w = arg;
	char when[32];
	struct timespec ts;

	if (!tb[CTRIPC_A_EVENT])
		return 0;
	if (w->cli->opts.json) {
		struct json j;

		json_init(&j, stdout, false);
		json_begin_object(&j, NULL);
		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
			json_attr(&j, tb, attrs[i]);
		json_end_object(&j);
		json_finish(&j);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&ts.tv_sec));
		printf("%s.%03ld %-9s resource %u (%s)", when, ts.tv_nsec / 1000000,
		       attr_str(tb, CTRIPC_A_EVENT), nla_get_u32(tb[CTRIPC_A_RES_ID]),
		       attr_str(tb, CTRIPC_A_RESOURCE));
		if (tb[CTRIPC_A_CONTAINER])
			printf(" container %s", attr_str(tb, CTRIPC_A_CONTAINER));
		printf(" focus %s events to %s\n",
		       tb[CTRIPC_A_FOCUS] ? attr_str(tb, CTRIPC_A_FOCUS) : "-",
		       tb[CTRIPC_A_TARGET] ? attr_str(tb, CTRIPC_A_TARGET) : "nobody");
	}
	fflush(stdout);
	if (w->left && --w->left == 0)
		return -ECANCELED; /* enough: the daemon drops the watch at its next event */
	return 0;
}

static int vdev_watch(struct cli *cli, const struct cmd_args *a)
{
	struct watch_ctx w = { .cli = cli };
	const char *count = args_get(a, "count");
	struct nl_msg *req;
	struct ipc *ipc;
	int r;

	if (count && (parse_u32(count, &w.left) < 0 || w.left == 0)) {
		cmd_usage_error(a->path, "--count takes a number from 1 on, not '%s'", count);
		return EXIT_USAGE;
	}
	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, CTRIPC_CMD_VDEV_WATCH, false);
	if (!req)
		return EXIT_FAIL;
	ipc->timeout_ms = INT_MAX; /* a watch lasts until Ctrl-C, --count or the daemon's end */
	r = ipc_call(ipc, req, watch_event, &w);
	if (r == -ECANCELED)
		return EXIT_OK;
	return cli_fail_request(cli, "vdev watch", r < 0 ? r : -ECONNRESET);
}

/* --- the command tree ----------------------------------------------------------- */

#define CONTAINER_ARG                                                                              \
	{                                                                                          \
		"CONTAINER", "the container",                                                      \
		{                                                                                  \
			COMPL_LIVE, .live = complete_container_names                               \
		}                                                                                  \
	}
#define RESOURCE_ARG                                                                               \
	{                                                                                          \
		"RESOURCE", "a resource, by ID or name",                                           \
		{                                                                                  \
			COMPL_LIVE, .live = complete_resources                                     \
		}                                                                                  \
	}

static const struct cmd_arg container_resource[] = { CONTAINER_ARG, RESOURCE_ARG, { NULL } };
static const struct cmd_arg container_device[] = {
	CONTAINER_ARG,
	{ "NAME", "the device's name (/dev/vdev/NAME)" },
	{ NULL },
};
static const struct cmd_arg opt_container[] = {
	{ "CONTAINER",
	  "only this container's devices",
	  { COMPL_LIVE, .live = complete_container_names },
	  .optional = true },
	{ NULL },
};
static const struct cmd_arg opt_resource[] = {
	{ "RESOURCE",
	  "only this resource",
	  { COMPL_LIVE, .live = complete_resources },
	  .optional = true },
	{ NULL },
};
static const struct cmd_arg new_resource[] = {
	{ "NAME", "1 to 31 letters, digits, '_', '.' or '-', not all digits" },
	{ NULL },
};
static const struct cmd_arg sim_resource[] = { RESOURCE_ARG, { NULL } };
static const struct cmd_arg inject_args[] = {
	RESOURCE_ARG,
	{ "TYPE", "event type: syn, key, rel, abs, msc, sw, led, snd, rep or a number" },
	{ "CODE", "event code, a number (KEY_A is 30)" },
	{ "VALUE", "event value (keys: 1 down, 0 up, 2 repeat)" },
	{ NULL },
};

static const struct cmd_opt attach_opts[] = {
	{ "name", 0, "NAME", "the device's name in /dev/vdev (default: the resource's name)" },
	{ NULL },
};
static const struct cmd_opt block_opts[] = {
	{ "redirect",
	  0,
	  "CONTAINER",
	  "its events go to this container meanwhile",
	  { COMPL_LIVE, .live = complete_container_names } },
	{ NULL },
};

static const struct cmd_node resources_node = {
	.name = "resources",
	.summary = "list the resources: input devices and simulated ones",
	.run = vdev_resources,
};
static const struct cmd_node ls_node = {
	.name = "ls",
	.summary = "list the virtual devices of containers",
	.args = opt_container,
	.run = vdev_ls,
};
static const struct cmd_node attach_node = {
	.name = "attach",
	.summary = "give a container a virtual device on a resource",
	.description = "The container reads the resource's events from /dev/vdev/NAME while it\n"
		       "is in the foreground (see focus): 16-byte records, as ctr_vdev(4).",
	.opts = attach_opts,
	.args = container_resource,
	.run = vdev_attach,
};
static const struct cmd_node detach_node = {
	.name = "detach",
	.summary = "take a virtual device away from a container",
	.args = container_device,
	.run = vdev_detach,
};
static const struct cmd_node focus_node = {
	.name = "focus",
	.summary = "put a container in the foreground of a resource",
	.description = "Keys the previous container still holds get their key-up records;\n"
		       "the new one gets events from now on, nothing older.",
	.args = container_resource,
	.run = vdev_focus,
};
static const struct cmd_node block_node = {
	.name = "block",
	.summary = "bar a container from a resource",
	.description = "A barred container receives nothing from the resource. While it is in the\n"
		       "foreground, its events go to the --redirect container, else to the most\n"
		       "recently focused container that is not barred.",
	.opts = block_opts,
	.args = container_resource,
	.run = vdev_block,
};
static const struct cmd_node unblock_node = {
	.name = "unblock",
	.summary = "lift a container's bar from a resource",
	.args = container_resource,
	.run = vdev_unblock,
};
static const struct cmd_node stats_node = {
	.name = "stats",
	.summary = "counters per resource and per virtual device",
	.args = opt_resource,
	.run = vdev_stats,
};
static const struct cmd_opt watch_opts[] = {
	{ "count", 'n', "N", "stop after N events" },
	{ NULL },
};
static const struct cmd_node watch_node = {
	.name = "watch",
	.summary = "show hot-plug, attachment, focus and bar changes as they happen",
	.description = "One line per change (with -j, one JSON object per line) until Ctrl-C,\n"
		       "--count, or the daemon's end.",
	.opts = watch_opts,
	.run = vdev_watch,
};
static const struct cmd_node inject_node = {
	.name = "inject",
	.summary = "send an event into a simulated resource",
	.args = inject_args,
	.run = vdev_inject,
};
static const struct cmd_node sim_add_node = {
	.name = "add",
	.summary = "add a simulated resource",
	.args = new_resource,
	.run = vdev_sim_add,
};
static const struct cmd_node sim_rm_node = {
	.name = "rm",
	.summary = "remove a simulated resource and its devices",
	.args = sim_resource,
	.run = vdev_sim_rm,
};
static const struct cmd_node *const sim_children[] = { &sim_add_node, &sim_rm_node, NULL };
static const struct cmd_node sim_node = {
	.name = "sim",
	.summary = "simulated resources (the user-space backend)",
	.children = sim_children,
};

static const struct cmd_node *const vdev_children[] = {
	&resources_node, &ls_node,    &attach_node, &detach_node, &focus_node, &block_node,
	&unblock_node,	 &stats_node, &inject_node, &watch_node,  &sim_node,   NULL,
};

const struct cmd_node cmd_vdev = {
	.name = "vdev",
	.summary = "virtual devices: hardware events for the container in the foreground",
	.children = vdev_children,
};

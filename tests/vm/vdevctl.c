/* vdevctl: test client for the ctr_vdev generic netlink family (what ctr-ipcd will do). */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/ctr_vdev.h>

static const struct nla_policy reply_policy[CTR_VDEV_A_MAX + 1] = {
	[CTR_VDEV_A_CONTAINER] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_RESOURCE] = { .type = NLA_U32 },
	[CTR_VDEV_A_NAME] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_REDIRECT] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_RES_NAME] = { .type = NLA_NUL_STRING },
	[CTR_VDEV_A_RES_PHYS] = { .type = NLA_NUL_STRING },
	[CTR_VDEV_A_RES_EVBITS] = { .type = NLA_U32 },
	[CTR_VDEV_A_FOCUS] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_TARGET] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_BARRED] = { .type = NLA_FLAG },
	[CTR_VDEV_A_DEV_MAJOR] = { .type = NLA_U32 },
	[CTR_VDEV_A_DEV_MINOR] = { .type = NLA_U32 },
	[CTR_VDEV_A_OPENERS] = { .type = NLA_U32 },
	[CTR_VDEV_A_QUEUED] = { .type = NLA_U32 },
	[CTR_VDEV_A_EVENTS_IN] = { .type = NLA_U64 },
	[CTR_VDEV_A_DELIVERED] = { .type = NLA_U64 },
	[CTR_VDEV_A_DROPPED] = { .type = NLA_U64 },
	[CTR_VDEV_A_REDIRECTED] = { .type = NLA_U64 },
	[CTR_VDEV_A_REFUSED_WRITES] = { .type = NLA_U64 },
};

struct request {
	int done;
	int error;
	char msg[256];
	int printed;
};

static const char *str_attr(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_string(tb[attr]) : "-";
}

static unsigned long long u64_attr(struct nlattr **tb, int attr)
{
	return tb[attr] ? (unsigned long long)nla_get_u64(tb[attr]) : 0;
}

static unsigned int u32_attr(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

static void print_counters(struct nlattr **tb)
{
	if (tb[CTR_VDEV_A_EVENTS_IN])
		printf(" in=%llu", u64_attr(tb, CTR_VDEV_A_EVENTS_IN));
	printf(" delivered=%llu dropped=%llu redirected=%llu refused=%llu",
	       u64_attr(tb, CTR_VDEV_A_DELIVERED), u64_attr(tb, CTR_VDEV_A_DROPPED),
	       u64_attr(tb, CTR_VDEV_A_REDIRECTED), u64_attr(tb, CTR_VDEV_A_REFUSED_WRITES));
}

static int on_message(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[CTR_VDEV_A_MAX + 1];
	struct request *req = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTR_VDEV_A_MAX,
			  (struct nla_policy *)reply_policy)) {
		fprintf(stderr, "vdevctl: malformed message from the kernel\n");
		return NL_SKIP;
	}
	switch (gh->cmd) {
	case CTR_VDEV_CMD_RESOURCES:
		printf("res %u focus=%s target=%s evbits=0x%x", u32_attr(tb, CTR_VDEV_A_RESOURCE),
		       str_attr(tb, CTR_VDEV_A_FOCUS), str_attr(tb, CTR_VDEV_A_TARGET),
		       u32_attr(tb, CTR_VDEV_A_RES_EVBITS));
		print_counters(tb);
		printf(" phys=%s name=%s\n", str_attr(tb, CTR_VDEV_A_RES_PHYS),
		       str_attr(tb, CTR_VDEV_A_RES_NAME));
		break;
	case CTR_VDEV_CMD_CREATE:
		printf("created /dev/ctr_vdev/%s/%s dev=%u:%u\n",
		       str_attr(tb, CTR_VDEV_A_CONTAINER), str_attr(tb, CTR_VDEV_A_NAME),
		       u32_attr(tb, CTR_VDEV_A_DEV_MAJOR), u32_attr(tb, CTR_VDEV_A_DEV_MINOR));
		break;
	case CTR_VDEV_CMD_STATS:
		printf("vdev %s/%s res=%u dev=%u:%u barred=%d redirect=%s focus=%s target=%s "
		       "openers=%u queued=%u",
		       str_attr(tb, CTR_VDEV_A_CONTAINER), str_attr(tb, CTR_VDEV_A_NAME),
		       u32_attr(tb, CTR_VDEV_A_RESOURCE), u32_attr(tb, CTR_VDEV_A_DEV_MAJOR),
		       u32_attr(tb, CTR_VDEV_A_DEV_MINOR), tb[CTR_VDEV_A_BARRED] != NULL,
		       str_attr(tb, CTR_VDEV_A_REDIRECT), str_attr(tb, CTR_VDEV_A_FOCUS),
		       str_attr(tb, CTR_VDEV_A_TARGET), u32_attr(tb, CTR_VDEV_A_OPENERS),
		       u32_attr(tb, CTR_VDEV_A_QUEUED));
		print_counters(tb);
		printf("\n");
		break;
	case CTR_VDEV_CMD_RESOURCE_ADDED:
	case CTR_VDEV_CMD_RESOURCE_REMOVED:
		printf("event %s res=%u name=%s\n",
		       gh->cmd == CTR_VDEV_CMD_RESOURCE_ADDED ? "resource-added"
							      : "resource-removed",
		       u32_attr(tb, CTR_VDEV_A_RESOURCE), str_attr(tb, CTR_VDEV_A_RES_NAME));
		break;
	case CTR_VDEV_CMD_FOCUS_CHANGED:
		printf("event focus res=%u focus=%s target=%s\n", u32_attr(tb, CTR_VDEV_A_RESOURCE),
		       str_attr(tb, CTR_VDEV_A_FOCUS), str_attr(tb, CTR_VDEV_A_TARGET));
		break;
	default:
		printf("unknown command %u\n", gh->cmd);
	}
	req->printed++;
	fflush(stdout);
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	req->done = 1;
	return NL_STOP;
}

/* The kernel's extended ack carries a sentence saying why; keep it for the error message. */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct request *req = arg;
	size_t off = sizeof(*err);

	req->done = 1;
	req->error = err->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && nlh->nlmsg_len >= NLMSG_HDRLEN + off &&
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)err + off),
		      nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(req->msg, sizeof(req->msg), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	req->done = 1;
	return NL_STOP;
}

static struct nl_sock *open_family(int *ret_family)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1, family;

	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "vdevctl: cannot open a generic netlink socket\n");
		exit(1);
	}
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	family = genl_ctrl_resolve(sk, CTR_VDEV_GENL_NAME);
	if (family < 0) {
		fprintf(stderr, "vdevctl: family %s not found (is ctr_vdev.ko loaded?)\n",
			CTR_VDEV_GENL_NAME);
		exit(1);
	}
	*ret_family = family;
	return sk;
}

struct cmd_args {
	const char *container;
	const char *name;
	const char *redirect;
	long resource;
	long pid;
};

static int run_request(const char *what, uint8_t cmd, int flags, const struct cmd_args *a)
{
	struct request req = { 0 };
	struct nl_sock *sk;
	struct nl_msg *msg;
	int family, err;

	sk = open_family(&family);
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
				 CTR_VDEV_GENL_VERSION))
		goto out_nomem;
	if ((a->container && nla_put_string(msg, CTR_VDEV_A_CONTAINER, a->container)) ||
	    (a->name && nla_put_string(msg, CTR_VDEV_A_NAME, a->name)) ||
	    (a->redirect && nla_put_string(msg, CTR_VDEV_A_REDIRECT, a->redirect)) ||
	    (a->resource >= 0 && nla_put_u32(msg, CTR_VDEV_A_RESOURCE, a->resource)) ||
	    (a->pid >= 0 && nla_put_u32(msg, CTR_VDEV_A_PID, a->pid)))
		goto out_nomem;

	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, &req);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &req);
	nl_socket_modify_cb(sk, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &req);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_error, &req);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		fprintf(stderr, "vdevctl: %s: send: %s\n", what, nl_geterror(err));
		return 1;
	}
	while (!req.done) {
		err = nl_recvmsgs_default(sk);
		if (err < 0 && !req.done) {
			fprintf(stderr, "vdevctl: %s: receive: %s\n", what, nl_geterror(err));
			return 1;
		}
	}
	nl_socket_free(sk);
	if (req.error) {
		fprintf(stderr, "vdevctl: %s: %s%s%s\n", what, strerror(-req.error),
			req.msg[0] ? ": " : "", req.msg);
		return 1;
	}
	return 0;

out_nomem:
	fprintf(stderr, "vdevctl: %s: out of memory\n", what);
	return 1;
}

/* listen [COUNT [TIMEOUT_MS]]: print notifications from the events group. */
static int run_listen(long count, long timeout_ms)
{
	struct request req = { 0 };
	struct nl_sock *sk;
	int family, grp, err;
	struct timespec start, now;

	sk = open_family(&family);
	grp = genl_ctrl_resolve_grp(sk, CTR_VDEV_GENL_NAME, CTR_VDEV_MCGRP_EVENTS);
	if (grp < 0) {
		fprintf(stderr, "vdevctl: listen: no group %s: %s\n", CTR_VDEV_MCGRP_EVENTS,
			nl_geterror(grp));
		return 1;
	}
	err = nl_socket_add_membership(sk, grp);
	if (err < 0) {
		fprintf(stderr, "vdevctl: listen: join group %s: %s\n", CTR_VDEV_MCGRP_EVENTS,
			nl_geterror(err));
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, &req);
	printf("listening\n");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (count <= 0 || req.printed < count) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
		long left = -1;

		if (timeout_ms > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
					     (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				break;
		}
		if (poll(&pfd, 1, left) > 0)
			nl_recvmsgs_default(sk);
	}
	nl_socket_free(sk);
	return 0;
}

/* -U: become nobody with no capabilities, to check that the module refuses us. */
static void drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		perror("vdevctl: drop privileges");
		exit(1);
	}
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0) {
		fprintf(stderr, "vdevctl: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: vdevctl [-U] COMMAND\n"
			"  resources | stats\n"
			"  register CONTAINER PID | unregister CONTAINER\n"
			"  create CONTAINER RESOURCE NAME | destroy CONTAINER RESOURCE\n"
			"  focus RESOURCE [CONTAINER]\n"
			"  block RESOURCE CONTAINER [REDIRECT] | unblock RESOURCE CONTAINER\n"
			"  listen [COUNT [TIMEOUT_MS]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct cmd_args a = { .resource = -1, .pid = -1 };
	const char *cmd;
	int n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argv++;
	argc--;
	if (argc > 0 && !strcmp(argv[0], "-U")) {
		drop_privileges();
		argv++;
		argc--;
	}
	if (argc < 1)
		return usage();
	cmd = argv[0];
	n = argc - 1;

	if (!strcmp(cmd, "resources") && n == 0)
		return run_request(cmd, CTR_VDEV_CMD_RESOURCES, NLM_F_DUMP, &a);
	if (!strcmp(cmd, "stats") && n == 0)
		return run_request(cmd, CTR_VDEV_CMD_STATS, NLM_F_DUMP, &a);
	if (!strcmp(cmd, "register") && n == 2) {
		a.container = argv[1];
		a.pid = number(argv[2]);
		return run_request(cmd, CTR_VDEV_CMD_REGISTER, 0, &a);
	}
	if (!strcmp(cmd, "unregister") && n == 1) {
		a.container = argv[1];
		return run_request(cmd, CTR_VDEV_CMD_UNREGISTER, 0, &a);
	}
	if (!strcmp(cmd, "create") && n == 3) {
		a.container = argv[1];
		a.resource = number(argv[2]);
		a.name = argv[3];
		return run_request(cmd, CTR_VDEV_CMD_CREATE, 0, &a);
	}
	if (!strcmp(cmd, "destroy") && n == 2) {
		a.container = argv[1];
		a.resource = number(argv[2]);
		return run_request(cmd, CTR_VDEV_CMD_DESTROY, 0, &a);
	}
	if (!strcmp(cmd, "focus") && (n == 1 || n == 2)) {
		a.resource = number(argv[1]);
		a.container = n == 2 ? argv[2] : NULL;
		return run_request(cmd, CTR_VDEV_CMD_SET_FOCUS, 0, &a);
	}
	if (!strcmp(cmd, "block") && (n == 2 || n == 3)) {
		a.resource = number(argv[1]);
		a.container = argv[2];
		a.redirect = n == 3 ? argv[3] : NULL;
		return run_request(cmd, CTR_VDEV_CMD_BLOCK, 0, &a);
	}
	if (!strcmp(cmd, "unblock") && n == 2) {
		a.resource = number(argv[1]);
		a.container = argv[2];
		return run_request(cmd, CTR_VDEV_CMD_UNBLOCK, 0, &a);
	}
	if (!strcmp(cmd, "listen") && n <= 2)
		return run_listen(n >= 1 ? number(argv[1]) : 0, n >= 2 ? number(argv[2]) : 0);
	return usage();
}

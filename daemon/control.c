// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control socket of ctr-ipcd: NETLINK_USERSOCK, one datagram may hold several
 * requests.  Identity comes from SCM_CREDENTIALS only.  Replies are unicast
 * to the sender's port; dumps are packed several messages per datagram and,
 * when the client's receive buffer is full, parked and retried from a timer
 * so one slow reader never stalls the daemon.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "ctr-ipc/util.h"
#include "daemon.h"
#include "log.h"

#define DUMP_BATCH_TARGET (CTRIPC_MSG_MAX / 2)
#define DUMP_RETRY_NS	  (5 * 1000 * 1000)
#define DUMP_STALL_MS	  (30 * 1000)
#define DUMPS_PARKED_MAX  64
/* Datagrams handled per wakeup, so signals and timers are never starved. */
#define DISPATCH_BUDGET 64
/* Refusals logged per second; the rest are counted and summarised. */
#define REFUSAL_LOG_PER_SEC 20

struct pending_dump {
	struct pending_dump *next;
	struct nlmsghdr *req_copy;
	struct ctl_req req;
	char errbuf[CTRIPC_ERRMSG_MAX];
	uint64_t cursor;
	struct nl_msg *carry; /* rendered, not yet in the batch */
	bool finished;	      /* NLMSG_DONE (or the error) is in the batch */
	size_t batch_len;
	uint64_t last_progress_ms;
	unsigned char batch[CTRIPC_MSG_MAX];
};

int ctl_fail(struct ctl_req *req, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->err, req->errlen, fmt, ap);
	va_end(ap);
	return error;
}

int control_open(struct control *c, uint32_t port_id)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_pid = port_id };
	int one = 1, bufsize = 4 * 1024 * 1024;

	*c = (struct control){ .fd = -1, .retry_fd = -1, .port_id = port_id };
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_USERSOCK);
	if (c->fd < 0)
		return -errno;
	if (setsockopt(c->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto out_close;
	/* A larger receive buffer absorbs bursts of requests from many clients. */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	if (bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto out_close;
	c->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->retry_fd < 0)
		goto out_close;
	return 0;

out_close : {
	int r = -errno;

	close(c->fd);
	c->fd = -1;
	return r;
}
}

static void pending_free(struct pending_dump *pd)
{
	if (pd->carry)
		nlmsg_free(pd->carry);
	free(pd->req_copy);
	free(pd);
}

void control_close(struct control *c)
{
	while (c->pending) {
		struct pending_dump *pd = c->pending;

		c->pending = pd->next;
		pending_free(pd);
	}
	if (c->retry_fd >= 0)
		close(c->retry_fd);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = c->retry_fd = -1;
}

static int send_to(struct control *c, uint32_t portid, const void *buf, size_t len)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_pid = portid };

	if (sendto(c->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	return 0;
}

/*
 * Is @gid among the groups of user @uid in the group database?  Never read
 * by pid: a pid in SCM_CREDENTIALS is not translated between pid
 * namespaces, so /proc/PID could name someone else's process.
 */
static bool user_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	gid_t groups[256];
	char buf[4096];
	int n = (int)ARRAY_SIZE(groups);

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static bool cred_is_admin(const struct config *cfg, const struct ucred *cred)
{
	/* Root, and the user the daemon runs as (a private, unprivileged daemon). */
	if (cred->uid == 0 || cred->uid == geteuid())
		return true;
	if (!cfg->admin_group)
		return false;
	return cred->gid == cfg->admin_gid || user_in_group(cred->uid, cfg->admin_gid);
}

/* One notice per refusal, at most REFUSAL_LOG_PER_SEC a second; the rest are counted. */
static void log_refusal(struct control *c, const char *what, const struct ucred *cred)
{
	uint64_t sec = now_ms() / 1000;

	if (sec != c->refusal_log_sec) {
		if (c->refusals_suppressed)
			log_notice("%llu more refused requests were not logged",
				   (unsigned long long)c->refusals_suppressed);
		c->refusal_log_sec = sec;
		c->refusals_logged = 0;
		c->refusals_suppressed = 0;
	}
	if (c->refusals_logged++ < REFUSAL_LOG_PER_SEC)
		log_notice("refused '%s' from pid %d uid %u", what, (int)cred->pid,
			   (unsigned int)cred->uid);
	else
		c->refusals_suppressed++;
}

/*
 * Is the sender in our pid namespace?  A container shares the host's network
 * namespace with --net host, and so this socket: its root must not become the
 * daemon's administrator.  Requests from any other pid namespace are refused.
 */
static bool same_pid_namespace(pid_t pid)
{
	struct stat mine, theirs;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (stat("/proc/self/ns/pid", &mine) < 0)
		return false;
	if (stat(path, &theirs) < 0)
		/*
		 * An unprivileged daemon may not look at another user's process; it
		 * runs no containers either, so there is nothing to protect.
		 */
		return (errno == EACCES || errno == EPERM) && geteuid() != 0;
	return mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev;
}

static int check_permission(struct daemon *d, struct ctl_req *req)
{
	const struct ctripc_cmd_desc *desc = ctripc_cmd_lookup(req->cmd);
	bool admin = cred_is_admin(&d->cfg, &req->cred);
	char who[96];

	if (!same_pid_namespace(req->cred.pid))
		return ctl_fail(req, -EPERM,
				"permission denied: requests from inside a container (pid %d is in "
				"another pid namespace) are refused",
				(int)req->cred.pid);
	if (admin || (!(desc->flags & CTRIPC_CMDF_ADMIN) && d->cfg.read_open))
		return 0;
	if (d->cfg.admin_group)
		snprintf(who, sizeof(who), "root or a member of group '%s'", d->cfg.admin_group);
	else
		snprintf(who, sizeof(who),
			 "root or the daemon's user (no admin_group is configured)");
	if (desc->flags & CTRIPC_CMDF_ADMIN)
		return ctl_fail(req, -EPERM,
				"permission denied: '%s' needs an administrator, %s; "
				"the request came from uid %u",
				desc->name, who, (unsigned int)req->cred.uid);
	return ctl_fail(
		req, -EPERM,
		"permission denied: '%s' is open to %s (uid %u asked); "
		"set 'read_access = all' in ctr-ipcd.conf to open read-only commands to every user",
		desc->name, who, (unsigned int)req->cred.uid);
}

static void send_error(struct control *c, struct ctl_req *req, int error)
{
	struct nl_msg *msg;
	int r;

	if (error < 0 && !req->err[0])
		snprintf(req->err, req->errlen, "%s", strerror(-error));
	msg = ctripc_msg_error(req->nlh, error, error < 0 ? req->err : NULL);
	if (!msg)
		return;
	r = send_to(c, req->portid, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	if (r < 0)
		log_debug("cannot send the answer to port %u: %s", req->portid, strerror(-r));
	nlmsg_free(msg);
}

static void count_error(struct control *c, uint8_t cmd)
{
	c->total.errors++;
	if (cmd)
		c->per_cmd[cmd].errors++;
}

/* Count a failed request and answer it with its error. */
static void fail_request(struct control *c, struct ctl_req *req, int error)
{
	count_error(c, req->cmd);
	send_error(c, req, error);
}

struct ctl_deferred *ctl_defer(const struct ctl_req *req)
{
	struct ctl_deferred *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->portid = req->portid;
	w->cmd = req->cmd;
	w->hdr = *req->nlh;
	return w;
}

struct nl_msg *ctl_interim_new(struct control *c, const struct ctl_deferred *w)
{
	return ctripc_msg_new(w->cmd, 0, w->hdr.nlmsg_seq, c->port_id);
}

int ctl_interim_send(struct control *c, const struct ctl_deferred *w, struct nl_msg *msg)
{
	int r = send_to(c, w->portid, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);

	nlmsg_free(msg);
	return r;
}

int ctl_progress(struct control *c, const struct ctl_deferred *w, uint64_t done, uint64_t total)
{
	struct nl_msg *msg = ctl_interim_new(c, w);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, CTRIPC_A_BYTES_DONE, done) < 0 ||
	    nla_put_u64(msg, CTRIPC_A_BYTES_TOTAL, total) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	/* Best effort: a client too slow to take it misses one update. */
	return ctl_interim_send(c, w, msg);
}

void ctl_complete(struct control *c, struct ctl_deferred *w, int error, const char *text)
{
	char err[CTRIPC_ERRMSG_MAX];
	struct ctl_req req = {
		.nlh = &w->hdr,
		.cmd = w->cmd,
		.portid = w->portid,
		.err = err,
		.errlen = sizeof(err),
	};

	snprintf(err, sizeof(err), "%s", text ? text : "");
	if (error < 0)
		fail_request(c, &req, error);
	else if (w->hdr.nlmsg_flags & NLM_F_ACK)
		send_error(c, &req, 0);
	free(w);
}

static void run_doit(struct control *c, struct daemon *d, struct ctl_req *req)
{
	const struct ctl_handler *h = &ctl_handlers[req->cmd];
	unsigned char buf[CTRIPC_MSG_MAX];
	struct nl_msg *reply, *ack = NULL;
	size_t len = 0;
	int r;

	reply = ctripc_msg_new(req->cmd, 0, req->nlh->nlmsg_seq, c->port_id);
	if (!reply) {
		send_error(c, req, -ENOMEM);
		return;
	}
	r = h->doit(d, req, reply);
	if (r < 0) {
		fail_request(c, req, r);
		goto out;
	}
	if (r == CTL_DEFERRED)
		goto out;
	/* Reply and ACK travel in one datagram. */
	if (genlmsg_attrlen(nlmsg_data(nlmsg_hdr(reply)), 0) > 0) {
		len = nlmsg_hdr(reply)->nlmsg_len;
		memcpy(buf, nlmsg_hdr(reply), len);
	}
	if (req->nlh->nlmsg_flags & NLM_F_ACK) {
		ack = ctripc_msg_error(req->nlh, 0, NULL);
		if (ack && len + nlmsg_hdr(ack)->nlmsg_len <= sizeof(buf)) {
			memcpy(buf + len, nlmsg_hdr(ack), nlmsg_hdr(ack)->nlmsg_len);
			len += nlmsg_hdr(ack)->nlmsg_len;
		}
	}
	if (len) {
		r = send_to(c, req->portid, buf, len);
		if (r < 0)
			log_warn("cannot answer '%s' to port %u: %s", ctripc_cmds[req->cmd].name,
				 req->portid, strerror(-r));
	}
out:
	if (ack)
		nlmsg_free(ack);
	nlmsg_free(reply);
}

/* Render the next dump message (entry, DONE or error) into pd->carry. */
static int dump_render(struct control *c, struct daemon *d, struct pending_dump *pd)
{
	const struct ctl_handler *h = &ctl_handlers[pd->req.cmd];
	uint32_t seq = pd->req.nlh->nlmsg_seq;
	struct nl_msg *entry;
	int r;

	entry = ctripc_msg_new(pd->req.cmd, NLM_F_MULTI, seq, c->port_id);
	if (!entry)
		return -ENOMEM;
	r = h->dumpit(d, &pd->req, &pd->cursor, entry);
	if (r > 0) {
		pd->carry = entry;
		return 0;
	}
	nlmsg_free(entry);
	if (r < 0) {
		if (!pd->errbuf[0])
			snprintf(pd->errbuf, sizeof(pd->errbuf), "%s", strerror(-r));
		count_error(c, pd->req.cmd);
		pd->carry = ctripc_msg_error(pd->req.nlh, r, pd->errbuf);
	} else {
		pd->carry = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
		if (pd->carry) {
			int zero = 0;

			nlmsg_hdr(pd->carry)->nlmsg_seq = seq;
			nlmsg_append(pd->carry, &zero, sizeof(zero), NLMSG_ALIGNTO);
		}
	}
	if (!pd->carry)
		return -ENOMEM;
	nlmsg_hdr(pd->carry)->nlmsg_flags |= NLM_F_MULTI;
	pd->finished = true;
	return 0;
}

/* Fill the batch; 1 when it should be sent, 0 when the dump is complete and sent. */
static int dump_fill(struct control *c, struct daemon *d, struct pending_dump *pd)
{
	for (;;) {
		size_t len;

		if (!pd->carry) {
			if (pd->finished)
				return pd->batch_len ? 1 : 0;
			if (dump_render(c, d, pd) < 0)
				return -ENOMEM;
		}
		len = nlmsg_hdr(pd->carry)->nlmsg_len;
		if (pd->batch_len + len > sizeof(pd->batch)) {
			if (pd->batch_len == 0)
				return -EMSGSIZE;
			return 1;
		}
		memcpy(pd->batch + pd->batch_len, nlmsg_hdr(pd->carry), len);
		pd->batch_len += len;
		nlmsg_free(pd->carry);
		pd->carry = NULL;
		if (pd->batch_len >= DUMP_BATCH_TARGET)
			return 1;
	}
}

/* Advance a dump as far as the client takes it: 0 complete, 1 parked, <0 dropped. */
static int dump_run(struct control *c, struct daemon *d, struct pending_dump *pd)
{
	for (;;) {
		int r;

		if (pd->batch_len) {
			r = send_to(c, pd->req.portid, pd->batch, pd->batch_len);
			if (r == -EAGAIN || r == -ENOBUFS)
				return 1;
			if (r < 0)
				return r;
			pd->batch_len = 0;
			pd->last_progress_ms = now_ms();
		}
		r = dump_fill(c, d, pd);
		if (r <= 0)
			return r;
	}
}

static void arm_retry(struct control *c)
{
	struct itimerspec its = { .it_value = { .tv_nsec = DUMP_RETRY_NS } };

	timerfd_settime(c->retry_fd, 0, &its, NULL);
}

static void start_dump(struct control *c, struct daemon *d, struct ctl_req *req)
{
	struct pending_dump *pd;
	char err[CTRIPC_ERRMSG_MAX];
	int parked = 0, r;

	for (pd = c->pending; pd; pd = pd->next) {
		parked++;
		if (pd->req.portid == req->portid) {
			fail_request(c, req,
				     ctl_fail(req, -EBUSY,
					      "a list for this client is still being sent; "
					      "read it before asking for another"));
			return;
		}
	}
	if (parked >= DUMPS_PARKED_MAX) {
		fail_request(c, req,
			     ctl_fail(req, -EBUSY,
				      "%d lists are waiting for slow readers; try again shortly",
				      parked));
		return;
	}

	pd = calloc(1, sizeof(*pd));
	if (!pd || !(pd->req_copy = malloc(req->nlh->nlmsg_len))) {
		free(pd);
		send_error(c, req, -ENOMEM);
		return;
	}
	/* The dump may outlive the receive buffer: keep its own copy of the request. */
	memcpy(pd->req_copy, req->nlh, req->nlh->nlmsg_len);
	pd->req = *req;
	pd->req.nlh = pd->req_copy;
	pd->req.err = pd->errbuf;
	pd->req.errlen = sizeof(pd->errbuf);
	ctripc_msg_parse(pd->req_copy, true, pd->req.tb, NULL, err, sizeof(err));
	pd->last_progress_ms = now_ms();

	r = dump_run(c, d, pd);
	if (r == 1) {
		log_debug("dump '%s' to port %u parked: the client's receive buffer is full",
			  ctripc_cmds[req->cmd].name, req->portid);
		pd->next = c->pending;
		c->pending = pd;
		arm_retry(c);
		return;
	}
	if (r < 0)
		log_warn("dump '%s' to port %u dropped: %s", ctripc_cmds[req->cmd].name,
			 req->portid, strerror(-r));
	pending_free(pd);
}

void control_retry(struct control *c, struct daemon *d)
{
	struct pending_dump **pp = &c->pending;
	uint64_t expirations;

	if (read(c->retry_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("retry timer: %s", strerror(errno));
	while (*pp) {
		struct pending_dump *pd = *pp;
		int r = dump_run(c, d, pd);

		if (r == 1 && now_ms() - pd->last_progress_ms < DUMP_STALL_MS) {
			pp = &pd->next;
			continue;
		}
		if (r == 1 || r < 0)
			log_warn("dump '%s' to port %u dropped: %s", ctripc_cmds[pd->req.cmd].name,
				 pd->req.portid,
				 r == 1 ? "the client took nothing for 30 s" : strerror(-r));
		*pp = pd->next;
		pending_free(pd);
	}
	if (c->pending)
		arm_retry(c);
}

static void handle_one(struct control *c, struct daemon *d, const struct nlmsghdr *nlh,
		       const struct ucred *cred, uint32_t portid)
{
	char err[CTRIPC_ERRMSG_MAX] = "";
	struct ctl_req req = {
		.nlh = nlh,
		.cred = *cred,
		.portid = portid,
		.err = err,
		.errlen = sizeof(err),
	};
	const struct ctripc_cmd_desc *desc;
	int r;

	if (!(nlh->nlmsg_flags & NLM_F_REQUEST) || nlh->nlmsg_type < NLMSG_MIN_TYPE) {
		log_debug("ignoring non-request message type %u from port %u", nlh->nlmsg_type,
			  portid);
		return;
	}
	c->total.requests++;
	r = ctripc_msg_parse(nlh, true, req.tb, &req.cmd, err, sizeof(err));
	if (r < 0) {
		log_debug("bad request from pid %d: %s", (int)cred->pid, err);
		fail_request(c, &req, r);
		return;
	}
	desc = ctripc_cmd_lookup(req.cmd);
	c->per_cmd[req.cmd].requests++;
	if ((desc->flags & CTRIPC_CMDF_DUMP) ? !ctl_handlers[req.cmd].dumpit
					     : !ctl_handlers[req.cmd].doit) {
		fail_request(c, &req,
			     ctl_fail(&req, -EOPNOTSUPP, "'%s' is not implemented by this ctr-ipcd",
				      desc->name));
		return;
	}
	r = check_permission(d, &req);
	if (r < 0) {
		c->total.denied++;
		c->per_cmd[req.cmd].denied++;
		log_refusal(c, desc->name, cred);
		send_error(c, &req, r);
		return;
	}
	if (desc->flags & CTRIPC_CMDF_DUMP) {
		if (!(nlh->nlmsg_flags & NLM_F_DUMP)) {
			fail_request(c, &req,
				     ctl_fail(&req, -EINVAL, "'%s' is a list: ask for it as a dump",
					      desc->name));
			return;
		}
		start_dump(c, d, &req);
		return;
	}
	if ((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		/* Its one answer would leave the asker waiting for the NLMSG_DONE of a dump. */
		fail_request(c, &req,
			     ctl_fail(&req, -EINVAL,
				      "'%s' is not a list: ask for it without NLM_F_DUMP",
				      desc->name));
		return;
	}
	run_doit(c, d, &req);
}

void control_dispatch(struct control *c, struct daemon *d)
{
	static unsigned char buf[CTRIPC_MSG_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cbuf;

	for (int budget = DISPATCH_BUDGET; budget > 0; budget--) {
		struct sockaddr_nl addr;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &addr,
			.msg_namelen = sizeof(addr),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		const struct ucred *cred = NULL;
		struct cmsghdr *cm;
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				log_warn("control socket overran: some requests were lost");
				continue;
			}
			if (errno != EAGAIN)
				log_error("control socket: %s", strerror(errno));
			return;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			log_warn("dropped a request of more than %d bytes", CTRIPC_MSG_MAX);
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
				cred = (const struct ucred *)CMSG_DATA(cm);
		if (!cred || addr.nl_pid == 0) {
			log_warn("dropped a datagram without sender credentials");
			continue;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len))
			handle_one(c, d, nlh, cred, addr.nl_pid);
	}
}

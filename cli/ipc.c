// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Client side of the control protocol.  The daemon is found through
 * RUN_DIR/ctr-ipcd.pid (pid, and its owner as the daemon's uid) and
 * RUN_DIR/ctr-ipcd.port; a datagram is accepted only when the kernel says it
 * came from that port, that pid and that uid.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "ctr-ipc/util.h"
#include "cli.h"
#include "ipc.h"

static int ipc_fail(struct ipc *ipc, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ipc_fail(struct ipc *ipc, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ipc->err, sizeof(ipc->err), fmt, ap);
	va_end(ap);
	return error;
}

static int read_number_file(const char *path, uint32_t *ret, struct stat *st)
{
	char buf[32];
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (st && fstat(fd, st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	return parse_u32(strstrip(buf), ret) < 0 ? -EBADMSG : 0;
}

static int check_run_dir(struct ipc *ipc, const char *run_dir, uid_t owner)
{
	struct stat st;

	if (stat(run_dir, &st) < 0)
		return ipc_fail(ipc, -ENOTCONN, "cannot use the run dir %s: %s", run_dir,
				strerror(errno));
	if ((st.st_uid != owner && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return ipc_fail(
			ipc, -EPERM,
			"the run dir %s (uid %u, mode %04o) could be written by others than "
			"the daemon's user: refusing to trust the daemon found there",
			run_dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
	return 0;
}

int ipc_open(struct ipc *ipc, const char *run_dir)
{
	static const char start_hint[] =
		"start it with 'ctr-ipcd', or point --run-dir "
		"(or CTR_IPC_RUN_DIR) at the run directory of a running one";
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct sockaddr_nl remote = { .nl_family = AF_NETLINK };
	char path[PATH_MAX];
	struct stat st;
	uint32_t pid, port = CTRIPC_DEFAULT_PORT_ID;
	int one = 1, bufsize = 1024 * 1024, r;

	*ipc = (struct ipc){ .fd = -1, .timeout_ms = IPC_TIMEOUT_MS };
	if (path_join(path, sizeof(path), run_dir, "ctr-ipcd.pid", NULL) < 0)
		return ipc_fail(ipc, -ENAMETOOLONG, "run directory name too long: %s", run_dir);
	r = read_number_file(path, &pid, &st);
	if (r == -ENOENT)
		return ipc_fail(ipc, -ENOTCONN, "ctr-ipcd is not running (no pidfile %s); %s", path,
				start_hint);
	if (r == -EACCES)
		return ipc_fail(ipc, -EACCES, "cannot read %s: permission denied", path);
	if (r < 0 || pid == 0 || pid > INT_MAX)
		return ipc_fail(ipc, -ENOTCONN,
				"ctr-ipcd is not running (pidfile %s is empty or unreadable); %s",
				path, start_hint);
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return ipc_fail(
			ipc, -ENOTCONN,
			"ctr-ipcd is not running (pidfile %s names pid %u, which is gone); %s",
			path, pid, start_hint);
	ipc->daemon_pid = (pid_t)pid;
	ipc->daemon_uid = st.st_uid;
	/* Whoever may write the run dir could forge both files: trust it only if it is safe. */
	r = check_run_dir(ipc, run_dir, st.st_uid);
	if (r < 0)
		return r;

	path_join(path, sizeof(path), run_dir, "ctr-ipcd.port", NULL);
	r = read_number_file(path, &port, &st);
	if (r == 0 && st.st_uid != ipc->daemon_uid)
		return ipc_fail(
			ipc, -EPERM,
			"%s belongs to uid %u, not to the daemon's uid %u: refusing to trust it",
			path, (unsigned int)st.st_uid, (unsigned int)ipc->daemon_uid);
	if (r < 0 && r != -ENOENT)
		return ipc_fail(ipc, -ENOTCONN, "cannot read the daemon's port ID from %s: %s",
				path, strerror(-r));
	ipc->daemon_port = port;

	ipc->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_USERSOCK);
	if (ipc->fd < 0)
		return ipc_fail(ipc, -errno, "cannot open a netlink socket: %s", strerror(errno));
	if (setsockopt(ipc->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(ipc->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		r = -errno;
		ipc_close(ipc);
		return ipc_fail(ipc, r, "cannot set up the netlink socket: %s", strerror(-r));
	}
	setsockopt(ipc->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	/* Connected: the kernel drops datagrams from any other port. */
	remote.nl_pid = ipc->daemon_port;
	if (connect(ipc->fd, (struct sockaddr *)&remote, sizeof(remote)) < 0) {
		r = -errno;
		ipc_close(ipc);
		return ipc_fail(ipc, r, "cannot connect the netlink socket: %s", strerror(-r));
	}
	return 0;
}

void ipc_close(struct ipc *ipc)
{
	if (ipc->fd >= 0)
		close(ipc->fd);
	ipc->fd = -1;
}

struct nl_msg *ipc_request(struct ipc *ipc, uint8_t cmd, bool dump)
{
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);

	return ctripc_msg_new(cmd, flags, ++ipc->seq, 0);
}

static int ipc_send(struct ipc *ipc, struct nl_msg *req)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK, .nl_pid = ipc->daemon_port };
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	int err;

	if (sendto(ipc->fd, nlh, nlh->nlmsg_len, MSG_DONTWAIT, (struct sockaddr *)&dst,
		   sizeof(dst)) >= 0)
		return 0;
	err = errno;
	if (err == EAGAIN)
		return ipc_fail(ipc, -ETIMEDOUT,
				"ctr-ipcd (pid %d) is not taking requests: its queue is full",
				(int)ipc->daemon_pid);
	if (err == ECONNREFUSED && kill(ipc->daemon_pid, 0) < 0 && errno == ESRCH)
		return ipc_fail(
			ipc, -ENOTCONN,
			"ctr-ipcd is not running (pid %d is gone); start it with 'ctr-ipcd'",
			(int)ipc->daemon_pid);
	if (err == ECONNREFUSED)
		return ipc_fail(ipc, -ENOTCONN,
				"ctr-ipcd (pid %d) is not listening on netlink port ID %u; "
				"is it still starting, or was it started with another --port-id?",
				(int)ipc->daemon_pid, ipc->daemon_port);
	return ipc_fail(ipc, -err, "cannot send to ctr-ipcd: %s", strerror(err));
}

/* Has @pid ended (gone, or a zombie nobody reaped yet)? */
static bool daemon_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

/*
 * Wait for a datagram; -ETIMEDOUT or -EINTR (Ctrl-C in the shell).  SIGINT
 * is blocked while the flag is tested and unblocked only inside ppoll(), so
 * a Ctrl-C just before the wait is not lost.
 */
static int ipc_wait(struct ipc *ipc, uint64_t deadline)
{
	struct pollfd pfd = { .fd = ipc->fd, .events = POLLIN };
	sigset_t block, orig, waitmask;
	int r;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	/* Open to SIGINT while polling, even if the caller (the shell) blocks it. */
	waitmask = orig;
	sigdelset(&waitmask, SIGINT);
	for (;;) {
		uint64_t now = now_ms(), left;
		struct timespec ts;

		if (cli_interrupted) {
			r = ipc_fail(ipc, -EINTR, "interrupted");
			break;
		}
		if (now >= deadline) {
			r = ipc_fail(ipc, -ETIMEDOUT,
				     "ctr-ipcd (pid %d) did not answer within %d ms",
				     (int)ipc->daemon_pid, ipc->timeout_ms);
			break;
		}
		if (daemon_gone(ipc->daemon_pid)) {
			r = ipc_fail(ipc, -ENOTCONN,
				     "ctr-ipcd (pid %d) ended before it answered; see its log",
				     (int)ipc->daemon_pid);
			break;
		}
		/* In slices of a second at most: a daemon that died is noticed (long waits). */
		left = deadline - now < 1000 ? deadline - now : 1000;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		r = ppoll(&pfd, 1, &ts, &waitmask);
		if (r > 0) {
			r = 0;
			break;
		}
		if (r < 0 && errno != EINTR) {
			r = ipc_fail(ipc, -errno, "poll: %s", strerror(errno));
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return r;
}

/* Receive one datagram from the daemon; 0 when it is from someone else. */
static ssize_t ipc_recv(struct ipc *ipc, unsigned char *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cbuf;
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	const struct ucred *cred = NULL;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(ipc->fd, &mh, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return ipc_fail(ipc, -errno, "receiving from ctr-ipcd: %s", strerror(errno));
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
			cred = (const struct ucred *)CMSG_DATA(cm);
	if (!cred || from.nl_pid != ipc->daemon_port || cred->pid != ipc->daemon_pid ||
	    cred->uid != ipc->daemon_uid)
		return 0; /* not the daemon: ignore */
	if (mh.msg_flags & MSG_TRUNC)
		return ipc_fail(ipc, -EMSGSIZE, "a reply from ctr-ipcd was larger than %zu bytes",
				len);
	return n;
}

int ipc_call(struct ipc *ipc, struct nl_msg *req, ipc_reply_fn cb, void *arg)
{
	static unsigned char buf[CTRIPC_MSG_MAX];
	uint32_t seq = nlmsg_hdr(req)->nlmsg_seq;
	bool dump = nlmsg_hdr(req)->nlmsg_flags & NLM_F_DUMP;
	uint64_t deadline = now_ms() + (uint64_t)ipc->timeout_ms;
	int r;

	ipc->err[0] = '\0';
	r = ipc_send(ipc, req);
	nlmsg_free(req);
	if (r < 0)
		return r;

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		r = ipc_wait(ipc, deadline);
		if (r < 0)
			return r;
		n = ipc_recv(ipc, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			struct nlattr *tb[CTRIPC_A_MAX + 1];
			char why[256];
			int error;

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (ctripc_msg_error_parse(nlh, &error, ipc->err,
							   sizeof(ipc->err)) < 0)
					return ipc_fail(ipc, -EBADMSG,
							"malformed error from ctr-ipcd");
				if (error > 0)
					error = -error;
				if (error < 0 && !ipc->err[0])
					snprintf(ipc->err, sizeof(ipc->err), "%s",
						 strerror(-error));
				if (error < 0 || !dump)
					return error;
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (ctripc_msg_parse(nlh, false, tb, NULL, why, sizeof(why)) < 0)
				return ipc_fail(ipc, -EBADMSG, "malformed reply from ctr-ipcd: %s",
						why);
			if (cb && (r = cb(tb, arg)) < 0)
				return r;
		}
	}
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `container exec`: the daemon answers with the path of a one-shot socket;
 * a detached helper accepts the requesting process there, takes its stdin,
 * stdout and stderr (or makes a pty inside the container), joins the
 * container's namespaces, runs the command and reports its wait status.
 * The daemon never blocks on the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container.h"
#include "daemon.h"
#include "log.h"

#define ACCEPT_TIMEOUT_MS 10000

struct exec_job {
	const struct container *c;
	struct ucred cred;
	const char *const *argv;
	const char *const *env;
	int envc;
	bool tty;
	const char *path;
};

/* Receive the client's opening message: its three fds, or a window size. */
static int recv_open(int sock, int fds[3], struct winsize *ws, bool *is_tty)
{
	char buf[1 + sizeof(*ws)];
	int nfds;
	ssize_t n = ctripc_exec_recv(sock, buf, sizeof(buf), fds, 3, &nfds);

	if (n < 1)
		return -EPROTO;
	*is_tty = buf[0] == CTRIPC_EXEC_TTY;
	if (*is_tty) {
		if ((size_t)n != 1 + sizeof(*ws) || nfds != 0)
			return -EPROTO;
		memcpy(ws, buf + 1, sizeof(*ws));
		return 0;
	}
	return buf[0] == CTRIPC_EXEC_FDS && nfds == 3 ? 0 : -EPROTO;
}

static int accept_requester(const struct exec_job *job, int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	struct ucred peer;
	socklen_t len = sizeof(peer);
	int sock;

	if (poll(&pfd, 1, ACCEPT_TIMEOUT_MS) <= 0)
		return -ETIMEDOUT;
	sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sock < 0)
		return -errno;
	/* Only the process that asked (same pid and uid) may take this exec. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 ||
	    peer.uid != job->cred.uid || peer.pid != job->cred.pid) {
		close(sock);
		return -EPERM;
	}
	return sock;
}

static void __attribute__((noreturn))
exec_child(const struct exec_job *job, const int fds[3], const char *slave, int err_fd)
{
	char **env;

	container_reset_signals();
	if (slave) {
		int fd;

		setsid();
		fd = open(slave, O_RDWR);
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
			container_die(err_fd, "cannot open the terminal %s: %s", slave,
				      strerror(errno));
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	} else {
		for (int i = 0; i < 3; i++)
			if (dup2(fds[i], i) < 0)
				container_die(err_fd, "cannot set up fd %d: %s", i,
					      strerror(errno));
	}
	container_drop_privileges(err_fd);
	if (chdir("/") < 0)
		container_die(err_fd, "cannot change to /: %s", strerror(errno));
	env = container_build_env(job->c, job->env, job->envc);
	if (!env)
		container_die(err_fd, "out of memory");
	execvpe(job->argv[0], (char *const *)job->argv, env);
	if (errno == ENOENT)
		container_die(err_fd, "cannot run '%s': %s", job->argv[0], strerror(errno));
	dprintf(err_fd, "cannot run '%s': %s", job->argv[0], strerror(errno));
	_exit(126);
}

/* Enter init's namespaces: by pidfd, else (no pidfd support) one /proc/PID/ns file at a time. */
static int join_namespaces(pid_t init, bool userns)
{
	static const char *const names[] = { "user", "cgroup", "ipc", "uts", "net", "pid", "mnt" };
	int fd = (int)syscall(SYS_pidfd_open, init, 0);

	if (fd >= 0) {
		int r = setns(fd, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
					  CLONE_NEWNET | CLONE_NEWCGROUP |
					  (userns ? CLONE_NEWUSER : 0));

		close(fd);
		/* setns on a pidfd needs Linux 5.8; before that, the files below. */
		if (r == 0 || errno != EINVAL)
			return r < 0 ? -errno : 0;
	}
	for (size_t i = userns ? 0 : 1; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, 0) < 0) {
			int r = -errno;

			if (fd >= 0)
				close(fd);
			return r;
		}
		close(fd);
	}
	return 0;
}

/* Copy what is readable on *@from to @to; false (and *@from closed) at its end. */
static bool relay(int *from, int to)
{
	char buf[16384];
	ssize_t n = read(*from, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR))
		return true;
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return false;
		close(*from);
		*from = -1;
		return false;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return true; /* the caller's side is gone: drop the output */
		off += w;
	}
	return true;
}

static void __attribute__((noreturn)) helper_main(const struct exec_job *job, int lfd)
{
	int fds[3] = { -1, -1, -1 }, errp[2], master = -1, sock, pidfd, status = 0;
	char slave[64] = "", msg[512];
	struct winsize ws;
	bool tty = false, child_reaped = false;
	int io[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, child_fds[3];
	char in_buf[16384];
	size_t in_len = 0, in_off = 0;
	sigset_t none;
	pid_t child;
	ssize_t n;

	if (dup3(lfd, 3, O_CLOEXEC) < 0)
		_exit(1);
	syscall(SYS_close_range, 4, ~0U, 0);
	lfd = 3;
	setsid();
	prctl(PR_SET_NAME, "ctr-ipc-exec");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);

	sock = accept_requester(job, lfd);
	unlink(job->path);
	close(lfd);
	if (sock < 0)
		_exit(1);
	if (recv_open(sock, fds, &ws, &tty) < 0 || tty != job->tty)
		_exit(1);

	/* Into the container's groups first: /sys/fs/cgroup is out of sight once inside. */
	if (job->c->cg.n && cgroup_enter(&job->c->cg, getpid()) < 0) {
		snprintf(msg, sizeof(msg), "cannot join the cgroups of '%s': %s", job->c->name,
			 strerror(errno));
		ctripc_exec_send(sock, CTRIPC_EXEC_ERROR, msg, strlen(msg), NULL, 0);
		_exit(1);
	}
	if (join_namespaces(job->c->init_pid, job->c->userns) < 0) {
		snprintf(msg, sizeof(msg), "cannot enter container '%s': %s", job->c->name,
			 strerror(errno));
		ctripc_exec_send(sock, CTRIPC_EXEC_ERROR, msg, strlen(msg), NULL, 0);
		_exit(1);
	}
	/* The container's root, not host root mapped to nobody: its files and its pty are its. */
	if (job->c->userns &&
	    (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)) {
		snprintf(msg, sizeof(msg), "cannot become root in container '%s': %s", job->c->name,
			 strerror(errno));
		ctripc_exec_send(sock, CTRIPC_EXEC_ERROR, msg, strlen(msg), NULL, 0);
		_exit(1);
	}
	if (tty) {
		/* The pty is the container's own: its /dev/ptmx, its devpts. */
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
		    ptsname_r(master, slave, sizeof(slave)) != 0) {
			snprintf(msg, sizeof(msg), "cannot make a terminal in '%s': %s",
				 job->c->name, strerror(errno));
			ctripc_exec_send(sock, CTRIPC_EXEC_ERROR, msg, strlen(msg), NULL, 0);
			_exit(1);
		}
		ioctl(master, TIOCSWINSZ, &ws);
	}
	if (pipe2(errp, O_CLOEXEC) < 0)
		_exit(1);
	/*
	 * Without a tty the command gets pipes, not the caller's own fds: a
	 * process in the container could otherwise reopen the caller's files
	 * through /proc/self/fd or keep its terminal.  This helper, outside the
	 * container's pid namespace, relays.
	 */
	if (!tty && (pipe2(io[0], O_CLOEXEC) < 0 || pipe2(io[1], O_CLOEXEC) < 0 ||
		     pipe2(io[2], O_CLOEXEC) < 0))
		_exit(1);
	child_fds[0] = io[0][0];
	child_fds[1] = io[1][1];
	child_fds[2] = io[2][1];
	child = fork();
	if (child < 0) {
		snprintf(msg, sizeof(msg), "cannot start the command in '%s': %s%s", job->c->name,
			 strerror(errno),
			 errno == EAGAIN ? " (the container is at its --pids limit)" : "");
		ctripc_exec_send(sock, CTRIPC_EXEC_ERROR, msg, strlen(msg), NULL, 0);
		_exit(1);
	}
	if (child == 0)
		exec_child(job, child_fds, tty ? slave : NULL, errp[1]);
	close(errp[1]);
	if (!tty) {
		close(io[0][0]);
		close(io[1][1]);
		close(io[2][1]);
		fcntl(io[0][1], F_SETFL, O_NONBLOCK);
	}
	n = read(errp[0], msg, sizeof(msg) - 1);
	close(errp[0]);
	if (n > 0)
		ctripc_exec_send(sock, CTRIPC_EXEC_ERROR, msg, (size_t)n, NULL, 0);
	else if (tty)
		ctripc_exec_send(sock, CTRIPC_EXEC_MASTER, "", 0, &master, 1);

	/* Until the command ends: pass on signals and window sizes. */
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	for (;;) {
		struct pollfd pfds[6] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sock, .events = POLLIN },
			/* The caller's stdin, while the command's pipe takes more. */
			{ .fd = !tty && in_len == 0 && io[0][1] >= 0 ? fds[0] : -1,
			  .events = POLLIN },
			{ .fd = !tty && in_len > 0 ? io[0][1] : -1, .events = POLLOUT },
			{ .fd = !tty ? io[1][0] : -1, .events = POLLIN },
			{ .fd = !tty ? io[2][0] : -1, .events = POLLIN },
		};

		/* Without a pidfd, look for the command's end every 100 ms. */
		if (poll(pfds, 6, pidfd >= 0 ? -1 : 100) < 0 && errno != EINTR)
			break;
		if (pfds[2].revents) {
			n = read(fds[0], in_buf, sizeof(in_buf));
			if (n > 0) {
				in_len = (size_t)n;
				in_off = 0;
			} else if (n == 0 || errno != EINTR) {
				close(io[0][1]); /* end of input for the command */
				io[0][1] = -1;
			}
		}
		if (pfds[3].revents || (in_len && io[0][1] >= 0)) {
			n = write(io[0][1], in_buf + in_off, in_len);
			if (n > 0) {
				in_off += (size_t)n;
				in_len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				close(io[0][1]); /* the command stopped reading */
				io[0][1] = -1;
				in_len = 0;
			}
		}
		for (int k = 1; k <= 2; k++)
			if (pfds[3 + k].revents && !relay(&io[k][0], fds[k]))
				break;
		if (pfds[0].revents)
			break;
		if (pidfd < 0 && waitpid(child, &status, WNOHANG) == child) {
			child_reaped = true;
			break;
		}
		if (pfds[1].revents & POLLIN) {
			char in[1 + sizeof(ws)];
			int sig;

			n = recv(sock, in, sizeof(in), 0);
			if (n == 1 + (ssize_t)sizeof(int) && in[0] == CTRIPC_EXEC_SIGNAL) {
				memcpy(&sig, in + 1, sizeof(sig));
				if (sig > 0 && sig < NSIG)
					kill(child, sig);
			} else if (n == 1 + (ssize_t)sizeof(ws) && in[0] == CTRIPC_EXEC_WINSIZE &&
				   master >= 0) {
				memcpy(&ws, in + 1, sizeof(ws));
				ioctl(master, TIOCSWINSZ, &ws);
			} else if (n <= 0) {
				/* The client went away: the command loses its terminal too. */
				kill(child, SIGHUP);
				pfds[1].fd = -1;
				sock = -1;
				break;
			}
		} else if (pfds[1].revents) {
			kill(child, SIGHUP);
			break;
		}
	}
	while (!child_reaped && waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* What the command wrote last (not waiting for processes it left behind). */
	for (int k = 1; !tty && k <= 2; k++) {
		if (io[k][0] < 0)
			continue;
		fcntl(io[k][0], F_SETFL, O_NONBLOCK);
		while (relay(&io[k][0], fds[k]) && io[k][0] >= 0)
			;
	}
	if (sock >= 0)
		ctripc_exec_send(sock, CTRIPC_EXEC_STATUS, &status, sizeof(status), NULL, 0);
	_exit(0);
}

int container_exec_prepare(struct daemon *d, const struct container *c, const struct ucred *cred,
			   const char *const *argv, int argc, const char *const *env, int envc,
			   bool tty, char *ret_path, size_t pathlen, char *err, size_t errlen)
{
	static unsigned int counter;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct exec_job job = {
		.c = c,
		.cred = *cred,
		.argv = argv,
		.env = env,
		.envc = envc,
		.tty = tty,
	};
	char dir[PATH_MAX];
	pid_t mid;
	int lfd, r;

	if (path_join(dir, sizeof(dir), d->cfg.run_dir, "exec", NULL) < 0)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return -errno;
	r = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s.%d.%u", dir, c->name,
		     (int)getpid(), ++counter);
	if (r < 0 || (size_t)r >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "the run dir %s is too long for a socket path",
			 d->cfg.run_dir);
		return -ENAMETOOLONG;
	}
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	unlink(addr.sun_path);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chown(addr.sun_path, cred->uid, (gid_t)-1) < 0 || chmod(addr.sun_path, 0600) < 0 ||
	    listen(lfd, 1) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create the exec socket %s: %s", addr.sun_path,
			 strerror(-r));
		goto out_close;
	}
	job.argv = argv;
	job.path = addr.sun_path;
	(void)argc;
	mid = fork();
	if (mid < 0) {
		r = -errno;
		unlink(addr.sun_path);
		goto out_close;
	}
	if (mid == 0) {
		/* Double fork: the helper is nobody's child but init's, like the shim. */
		if (fork() == 0)
			helper_main(&job, lfd);
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	snprintf(ret_path, pathlen, "%s", addr.sun_path);
	r = 0;
out_close:
	close(lfd);
	return r;
}

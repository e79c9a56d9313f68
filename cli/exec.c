// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctr-ipc container exec: ask the daemon for an exec socket, hand the
 * helper our stdin, stdout and stderr (or relay a pty, -t), pass signals
 * and window sizes on, and end with the command's exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "objects.h"

struct exec_reply {
	char path[CTRIPC_PATH_MAX + 1];
};

static int keep_socket(struct nlattr **tb, void *arg)
{
	struct exec_reply *rep = arg;

	if (tb[CTRIPC_A_SOCKET])
		snprintf(rep->path, sizeof(rep->path), "%s", nla_get_string(tb[CTRIPC_A_SOCKET]));
	return 0;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAIL;
}

/* Copy what is readable on @from to @to; false at end of input. */
static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		off += w;
	}
	return true;
}

/* The exchange with the helper until the command ends; returns our exit code. */
static int session(int sock, bool tty)
{
	struct termios saved, raw;
	bool raw_on = false, stdin_open = tty, reported = false;
	int master = -1, status = -1, sfd, code;
	struct sigaction saved_act[NSIG];
	sigset_t mask, saved_mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGWINCH);
	/*
	 * Inherited SIG_IGN (a background job of a script) would discard them
	 * before signalfd.  What was there (the shell's handlers, its mask)
	 * comes back at the end.
	 */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&mask, sig))
			sigaction(sig, &(struct sigaction){ .sa_handler = SIG_DFL },
				  &saved_act[sig]);
	sigprocmask(SIG_BLOCK, &mask, &saved_mask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	for (;;) {
		struct pollfd pfds[4] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = master, .events = POLLIN },
			{ .fd = master >= 0 && stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};

		if (poll(pfds, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfds[2].revents && !pump(master, STDOUT_FILENO)) {
			/* The command closed its terminal; its status follows on the socket. */
			close(master);
			master = -1;
		}
		if (pfds[3].revents && !pump(STDIN_FILENO, master))
			stdin_open = false;
		if (pfds[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				int sig = (int)si.ssi_signo;

				if (sig == SIGWINCH) {
					struct winsize ws;

					if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
						ctripc_exec_send(sock, CTRIPC_EXEC_WINSIZE, &ws,
								 sizeof(ws), NULL, 0);
				} else {
					ctripc_exec_send(sock, CTRIPC_EXEC_SIGNAL, &sig,
							 sizeof(sig), NULL, 0);
				}
			}
		}
		if (pfds[0].revents) {
			char msg[600];
			int fd;
			int nfd;
			ssize_t n = ctripc_exec_recv(sock, msg, sizeof(msg) - 1, &fd, 1, &nfd);

			if (nfd == 0)
				fd = -1;

			if (n <= 0)
				break;
			msg[n] = '\0';
			if (msg[0] == CTRIPC_EXEC_MASTER && fd >= 0) {
				master = fd;
				if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
					raw = saved;
					cfmakeraw(&raw);
					raw_on = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
				}
			} else if (msg[0] == CTRIPC_EXEC_ERROR) {
				cli_error("%s", msg + 1);
				reported = true;
			} else if (msg[0] == CTRIPC_EXEC_STATUS &&
				   (size_t)n == 1 + sizeof(status)) {
				memcpy(&status, msg + 1, sizeof(status));
				break;
			}
		}
	}
	/* Whatever the command wrote last is still in the pty. */
	if (master >= 0) {
		char buf[16384];
		ssize_t n;

		fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
		while ((n = read(master, buf, sizeof(buf))) > 0)
			if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
		close(master);
	}
	if (raw_on)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	close(sfd);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&mask, sig))
			sigaction(sig, &saved_act[sig], NULL);
	sigprocmask(SIG_SETMASK, &saved_mask, NULL);
	if (status < 0) {
		/* After an error the helper says no more; otherwise say what happened. */
		if (!reported)
			cli_error("container exec: the connection to the command was lost");
		return EXIT_FAIL;
	}
	code = exit_code_of(status);
	return code;
}

int container_exec_run(struct cli *cli, const struct cmd_args *a)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	bool tty = args_has(a, "tty");
	static struct exec_reply rep;
	const char *const *env;
	int nenv = args_list(a, "env", &env);
	struct nl_msg *req;
	struct ipc *ipc;
	int sock, r, code;

	if (a->nrest == 0) {
		cmd_usage_error(a->path, "'ctr-ipc %s' needs a command after '--'", a->path);
		return EXIT_USAGE;
	}
	if (tty && !isatty(STDIN_FILENO)) {
		cmd_usage_error(a->path, "-t needs a terminal on standard input");
		return EXIT_USAGE;
	}
	r = cli_ipc(cli, &ipc);
	if (r < 0)
		return cli_exit_code(r);
	req = ipc_request(ipc, CTRIPC_CMD_CONTAINER_EXEC, false);
	if (!req || nla_put_string(req, CTRIPC_A_NAME, a->pos[0]) < 0 ||
	    ctripc_strv_put(req, CTRIPC_A_ARGV, (const char *const *)a->rest, a->nrest) < 0 ||
	    (nenv && ctripc_strv_put(req, CTRIPC_A_ENV, env, nenv) < 0) ||
	    (tty && nla_put_flag(req, CTRIPC_A_TTY) < 0)) {
		nlmsg_free(req);
		cli_error("container exec: the command is too long");
		return EXIT_USAGE;
	}
	rep.path[0] = '\0';
	r = ipc_call(ipc, req, keep_socket, &rep);
	if (r < 0)
		return cli_fail_request(cli, "container exec", r);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", rep.path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		cli_error("container exec: cannot connect to %s: %s", rep.path, strerror(errno));
		return EXIT_FAIL;
	}
	if (tty) {
		struct winsize ws = { .ws_row = 24, .ws_col = 80 };

		ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
		r = ctripc_exec_send(sock, CTRIPC_EXEC_TTY, &ws, sizeof(ws), NULL, 0);
	} else {
		static const int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };

		r = ctripc_exec_send(sock, CTRIPC_EXEC_FDS, NULL, 0, fds, 3);
	}
	if (r < 0) {
		cli_error("container exec: cannot hand over the terminal: %s", strerror(-r));
		close(sock);
		return EXIT_FAIL;
	}
	fflush(stdout);
	code = session(sock, tty);
	close(sock);
	return code;
}

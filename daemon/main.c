// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctr-ipcd: the control daemon.  Start-up (config, run dir, pidfile lock,
 * control socket, detaching) and the epoll loop with signalfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr-ipc/util.h"
#include "daemon.h"
#include "log.h"
#include "pidfile.h"

enum { EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ctr-ipcd [OPTIONS]\n"
		"The ctr-ipc control daemon.\n\n"
		"  -f, --foreground       stay in the foreground (log to stderr unless\n"
		"                         log_target = syslog)\n"
		"  -c, --config FILE      configuration file (default %s)\n"
		"      --state-dir DIR    persistent state (default %s)\n"
		"      --run-dir DIR      pidfile and sockets (default %s)\n"
		"      --port-id N        netlink port ID to bind (default %u)\n"
		"      --log-level LEVEL  debug, info, notice, warning or error\n"
		"  -h, --help             show this help\n"
		"  -V, --version          show the version\n\n"
		"See ctr-ipcd(8) and ctr-ipc.conf(5).\n",
		CONFIG_DEFAULT_PATH, CONFIG_DEFAULT_STATE_DIR, CONFIG_DEFAULT_RUN_DIR,
		CTRIPC_DEFAULT_PORT_ID);
}

/* A directory others could write to would let them forge the daemon's files. */
static int check_dir_trusted(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		log_error("cannot use the %s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_error(
			"the %s %s is owned by uid %u with mode %04o; it must belong to uid %u and "
			"not be writable by group or others (fix it with chown/chmod, or use "
			"another directory)",
			what, path, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			(unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[CTRIPC_PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int parse_args(struct daemon *d, int argc, char **argv, bool *foreground)
{
	enum { OPT_STATE_DIR = 256, OPT_RUN_DIR, OPT_PORT_ID, OPT_LOG_LEVEL };
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "port-id", required_argument, NULL, OPT_PORT_ID },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	char err[384];
	int c;

	while ((c = getopt_long(argc, argv, "fc:hV", opts, NULL)) != -1) {
		enum config_key_id id;
		const char *key;

		switch (c) {
		case 'f':
			*foreground = true;
			continue;
		case 'c':
			free(d->config_path);
			d->config_path = strdup(optarg);
			d->config_explicit = true;
			continue;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ctr-ipcd %s (protocol %d)\n", CTRIPC_VERSION, CTRIPC_PROTO_VERSION);
			exit(0);
		case OPT_STATE_DIR:
			id = CFG_STATE_DIR;
			break;
		case OPT_RUN_DIR:
			id = CFG_RUN_DIR;
			break;
		case OPT_PORT_ID:
			id = CFG_PORT_ID;
			break;
		case OPT_LOG_LEVEL:
			id = CFG_LOG_LEVEL;
			break;
		default:
			fprintf(stderr, "Try 'ctr-ipcd --help'.\n");
			return -EINVAL;
		}
		key = config_key_name(id);
		if (config_set(&d->overrides, key, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctr-ipcd: --%s: %s\n", opts[c - OPT_STATE_DIR + 2].name,
				err);
			return -EINVAL;
		}
		d->override_mask |= UINT64_C(1) << id;
	}
	if (optind < argc) {
		fprintf(stderr, "ctr-ipcd: unexpected argument '%s'\nTry 'ctr-ipcd --help'.\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!d->config_path)
		d->config_path = strdup(CONFIG_DEFAULT_PATH);
	if (d->config_path && d->config_path[0] != '/') {
		/* Reloads happen after the detached daemon has left this directory. */
		char cwd[CTRIPC_PATH_MAX], *abs;

		if (!getcwd(cwd, sizeof(cwd)) || asprintf(&abs, "%s/%s", cwd, d->config_path) < 0)
			return -ENOMEM;
		free(d->config_path);
		d->config_path = abs;
	}
	return d->config_path ? 0 : -ENOMEM;
}

/*
 * Fork into the background.  The parent waits until the child reports that
 * it is ready (pidfile written), so "ctr-ipcd && ctr-ipc daemon status" works.
 */
static int detach(int *ret_ready_fd)
{
	int pfd[2];
	pid_t pid;
	char status;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &status, 1) != 1)
			_exit(1);
		_exit(status == 0 ? 0 : 1);
	}
	close(pfd[0]);
	if (setsid() < 0)
		return -errno;
	*ret_ready_fd = pfd[1];
	return 0;
}

/* Detached: drop the terminal (stderr stays when it is the log target). */
static void detach_done(int ready_fd, bool keep_stderr)
{
	char ok = 0;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(null, STDERR_FILENO);
		close(null);
	}
	if (chdir("/") < 0)
		log_warn("cannot change to /: %s", strerror(errno));
	if (write(ready_fd, &ok, 1) != 1)
		log_warn("cannot tell the parent that start-up is complete");
	close(ready_fd);
}

static int setup_signals(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void handle_signals(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;
	char err[512];

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("received %s, shutting down", strsignal((int)si.ssi_signo));
			d->quit = true;
			break;
		case SIGHUP:
			daemon_reload(d, err, sizeof(err));
			break;
		}
	}
}

static int run_loop(struct daemon *d, int sfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = d->epfd;

	int fds[] = { sfd, d->ctl.fd, d->ctl.retry_fd, d->vdev.event_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (fds[i] < 0)
			continue;
		ev.data.fd = fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			log_error("cannot watch fd %d: %s", fds[i], strerror(errno));
			return -errno;
		}
	}

	while (!d->quit) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, ARRAY_SIZE(evs), -1);

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd)
				handle_signals(d, sfd);
			else if (evs[i].data.fd == d->ctl.fd)
				control_dispatch(&d->ctl, d);
			else if (evs[i].data.fd == d->ctl.retry_fd)
				control_retry(&d->ctl, d);
			else if (evs[i].data.fd == d->vdev.event_fd)
				vdev_on_event(d);
			else if (!bus_on_event(d, evs[i].data.fd))
				container_on_event(d, evs[i].data.fd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .pidfile_fd = -1, .epfd = -1, .poll_fd = -1 };
	bool foreground = false, to_syslog;
	int ready_fd = -1, sfd, r, ret = 1;
	pid_t holder = 0;
	char err[512];

	bus_init(&d);
	/* The pidfile and port file must be readable by every client. */
	umask(022);
	if (config_init(&d.cfg) < 0 || config_init(&d.overrides) < 0)
		return 1;
	if (parse_args(&d, argc, argv, &foreground) < 0) {
		ret = EXIT_USAGE;
		goto out_config;
	}
	r = config_load(&d.cfg, d.config_path, d.config_explicit, err, sizeof(err));
	if (r == 0)
		r = daemon_apply_overrides(&d, &d.cfg);
	if (r < 0) {
		log_error("%s", err);
		goto out_config;
	}
	to_syslog = d.cfg.log_target == LOG_TARGET_SYSLOG ||
		    (d.cfg.log_target == LOG_TARGET_AUTO && !foreground);
	/* Until detached, start-up errors go to the terminal that started us. */
	log_open(false, d.cfg.log_level);

	r = mkdir_p(d.cfg.run_dir, 0755);
	if (r < 0) {
		log_error("cannot create the run dir %s: %s", d.cfg.run_dir, strerror(-r));
		goto out_config;
	}
	r = mkdir_p(d.cfg.state_dir, 0700);
	if (r < 0) {
		log_error("cannot create the state dir %s: %s", d.cfg.state_dir, strerror(-r));
		goto out_config;
	}
	if (check_dir_trusted("run dir", d.cfg.run_dir) < 0 ||
	    check_dir_trusted("state dir", d.cfg.state_dir) < 0)
		goto out_config;
	r = pidfile_lock(d.cfg.run_dir, &d.pidfile_fd, &holder);
	if (r == -EBUSY) {
		log_error("another ctr-ipcd (pid %d) is already running with run dir %s; "
			  "stop it first (kill %d) or give this one its own --run-dir",
			  (int)holder, d.cfg.run_dir, (int)holder);
		goto out_config;
	}
	if (r < 0) {
		log_error("cannot lock %s/%s: %s%s", d.cfg.run_dir, PIDFILE_NAME, strerror(-r),
			  r == -EACCES ? " (a file left by another user? remove it, or use another "
					 "--run-dir)"
				       : "");
		goto out_config;
	}
	r = control_open(&d.ctl, d.cfg.port_id);
	if (r == -EADDRINUSE) {
		log_error("netlink port ID %u (NETLINK_USERSOCK) is taken by another process; "
			  "choose another with --port-id or port_id in %s",
			  d.cfg.port_id, d.config_path);
		goto out_pidfile;
	}
	if (r < 0) {
		log_error("cannot open the control socket on port ID %u: %s", d.cfg.port_id,
			  strerror(-r));
		goto out_pidfile;
	}
	sfd = setup_signals();
	if (sfd < 0) {
		log_error("cannot set up signal handling: %s", strerror(-sfd));
		goto out_control;
	}
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.epfd < 0) {
		log_error("cannot create the event loop: %s", strerror(errno));
		goto out_signals;
	}
	/* Before detaching, so that a module that cannot be used is reported to the caller. */
	r = vdev_init(&d, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		goto out_signals;
	}
	if (!foreground && (r = detach(&ready_fd)) < 0) {
		log_error("cannot detach: %s", strerror(-r));
		goto out_signals;
	}
	r = pidfile_write(d.pidfile_fd, d.cfg.run_dir, getpid(), d.cfg.port_id);
	if (r < 0) {
		log_error("cannot write the pidfile in %s: %s", d.cfg.run_dir, strerror(-r));
		goto out_signals;
	}
	d.started_mono_ms = now_ms();
	d.started_at = time(NULL);
	if (ready_fd >= 0)
		detach_done(ready_fd, d.cfg.log_target == LOG_TARGET_STDERR);
	if (to_syslog) {
		log_close();
		log_open(true, d.cfg.log_level);
	}
	r = containers_load(&d);
	if (r < 0)
		log_error("cannot load the containers of %s: %s", d.cfg.state_dir, strerror(-r));
	r = bus_start(&d);
	if (r < 0)
		goto out_signals;
	for (struct container *c = d.containers; c; c = c->next)
		if (c->state == CTR_RUNNING)
			bus_container_started(&d, c);
	log_info("ctr-ipcd %s started: pid %d, port ID %u, run dir %s, state dir %s",
		 CTRIPC_VERSION, (int)getpid(), d.cfg.port_id, d.cfg.run_dir, d.cfg.state_dir);

	ret = run_loop(&d, sfd) < 0 ? 1 : 0;
	log_info("stopped");

out_signals:
	bus_stop(&d);
	vdev_free(&d);
	containers_free(&d);
	if (d.poll_fd >= 0)
		close(d.poll_fd);
	if (d.epfd >= 0)
		close(d.epfd);
	close(sfd);
out_control:
	control_close(&d.ctl);
out_pidfile : {
	/* The exec area is empty once no exec is pending (rmdir refuses otherwise). */
	char exec_dir[CTRIPC_PATH_MAX];

	if (path_join(exec_dir, sizeof(exec_dir), d.cfg.run_dir, "exec", NULL) == 0)
		rmdir(exec_dir);
}
	pidfile_remove(d.cfg.run_dir, d.pidfile_fd);
out_config:
	log_close();
	config_free(&d.cfg);
	config_free(&d.overrides);
	free(d.config_path);
	return ret;
}

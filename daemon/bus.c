// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The buffer process, seen from ctr-ipcd: started in its own mount, pid,
 * ipc, uts and net namespaces with a socket pair as its only way in,
 * supervised (restarted with a backoff from 100 ms to 5 s; crashes
 * counted), and fed the listening sockets, the policy and its journal's
 * directory.  Like dbus-broker's broker it opens no path of the host: the
 * daemon passes what it needs.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "bus.h"
#include "container.h"
#include "ctr-ipc/bus.h"
#include "daemon.h"
#include "handlers.h"
#include "journal.h"
#include "log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define HEALTHY_MS     1000 /* running this long resets the backoff: not a crash loop */

/* The mid process's status when it may not make the buffer's namespaces (not root). */
#define MID_NOT_PERMITTED 120

static void snapshot_clear(struct bus_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		free(snap->frames[i]);
	free(snap->frames);
	snap->frames = NULL;
	snap->n = 0;
	snap->base = snap->next = snap->id_max = snap->count = 0;
}

void bus_snapshot_release(struct bus_snapshot *snap)
{
	snapshot_clear(snap);
	*snap = (struct bus_snapshot){ 0 };
}

struct bus_snapshot *bus_snapshot_of(struct daemon *d, uint32_t portid, uint32_t seq)
{
	for (int i = 0; i < BUS_SNAPSHOTS; i++) {
		struct bus_snapshot *s = &d->bus.snaps[i];

		if (s->used && s->portid == portid && s->seq == seq) {
			s->last_use = ++d->bus.snap_clock;
			return s;
		}
	}
	return NULL;
}

/* Request @portid/@seq's snapshot, or a free one, or the least recently used. */
static struct bus_snapshot *snapshot_take(struct daemon *d, uint32_t portid, uint32_t seq)
{
	struct bus_snapshot *s = bus_snapshot_of(d, portid, seq), *lru = &d->bus.snaps[0];

	if (s)
		return s;
	for (int i = 0; i < BUS_SNAPSHOTS; i++) {
		if (!d->bus.snaps[i].used) {
			lru = &d->bus.snaps[i];
			break;
		}
		if (d->bus.snaps[i].last_use < lru->last_use)
			lru = &d->bus.snaps[i];
	}
	bus_snapshot_release(lru);
	*lru = (struct bus_snapshot){
		.used = true, .portid = portid, .seq = seq, .last_use = ++d->bus.snap_clock
	};
	return lru;
}

static int watch_fd(struct daemon *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void unwatch_close(struct daemon *d, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* A listening SOCK_SEQPACKET socket at @path, for @mode. */
static int listen_at(const char *path, mode_t mode, uid_t owner)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, mode) < 0 ||
	    (owner && chown(path, owner, owner) < 0) || listen(fd, 128) < 0) {
		int r = -errno;

		close(fd);
		unlink(path);
		return r;
	}
	return fd;
}

static int send_frame(struct daemon *d, struct nl_msg *f, int fd)
{
	int r = d->bus.ctl >= 0 ? ctripc_bus_send(d->bus.ctl, f, fd) : -ENOTCONN;

	nlmsg_free(f);
	return r;
}

void bus_set_watch(struct daemon *d)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_WATCH, 0);

	if (f && !d->bus.watchers && nla_put_flag(f, CTRIPC_BUS_A_DRY_RUN) < 0) {
		nlmsg_free(f);
		return;
	}
	if (f)
		send_frame(d, f, -1);
}

static void send_listener(struct daemon *d, const char *container, int fd)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LISTEN, 0);

	if (f && nla_put_string(f, CTRIPC_BUS_A_CONTAINER, container) == 0)
		send_frame(d, f, fd);
	else
		nlmsg_free(f);
}

/* The rules, one per line, in POLICY frames of up to 30000 bytes (MORE on all but the last). */
static void send_policy(struct daemon *d)
{
	char *text = NULL;
	size_t len = 0, off = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	for (size_t i = 0; i < d->bus.policy.n; i++) {
		char line[POLICY_LINE_MAX + 1];

		policy_rule_format(&d->bus.policy.rules[i], line, sizeof(line));
		fprintf(mem, "%s\n", line);
	}
	fclose(mem);
	do {
		size_t n = len - off;
		struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_POLICY, 0);

		if (n > 30000) { /* cut after a whole line */
			n = 30000;
			while (n > 0 && text[off + n - 1] != '\n')
				n--;
		}
		if (!f || nla_put(f, CTRIPC_BUS_A_RULES, (int)n, text + off) < 0 ||
		    (off + n < len && nla_put_flag(f, CTRIPC_BUS_A_MORE) < 0)) {
			nlmsg_free(f);
			break;
		}
		send_frame(d, f, -1);
		off += n;
	} while (off < len);
	free(text);
}

static void send_limits(struct daemon *d)
{
	const struct bus_limits *l = &d->cfg.bus;
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LIMITS, 0);

	if (f && nla_put_u32(f, CTRIPC_BUS_A_PAYLOAD_LEN, l->payload_max) == 0 &&
	    nla_put_u32(f, CTRIPC_BUS_A_QUEUE_MSGS, l->queue_messages) == 0 &&
	    nla_put_u64(f, CTRIPC_BUS_A_QUEUE_BYTES, l->queue_bytes) == 0 &&
	    nla_put_u32(f, CTRIPC_BUS_A_QUOTA, l->container_quota) == 0 &&
	    nla_put_u32(f, CTRIPC_BUS_A_TTL_MS, l->default_ttl * 1000) == 0)
		send_frame(d, f, -1);
	else
		nlmsg_free(f);
}

void bus_limits_changed(struct daemon *d)
{
	send_limits(d);
}

void bus_policy_reload(struct daemon *d)
{
	char err[512];
	int r = policy_load_file(&d->bus.policy, d->cfg.policy_file, err, sizeof(err));

	if (r == -ENOENT) {
		log_warn("%s is gone: keeping the rules in force", d->cfg.policy_file);
		return;
	}
	if (r < 0) {
		log_error("policy not reloaded, the rules in force stay: %s", err);
		return;
	}
	log_info("policy reloaded from %s: %zu rules", d->cfg.policy_file, d->bus.policy.n);
	send_policy(d);
}

static void send_secret(struct daemon *d, const char *name, const void *value, size_t len)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_SECRET, 0);

	if (f && nla_put_string(f, CTRIPC_BUS_A_TEXT, name) == 0 &&
	    (!value || nla_put(f, CTRIPC_BUS_A_AUTH, (int)len, value) == 0))
		send_frame(d, f, -1);
	else
		nlmsg_free(f);
}

/*
 * The journal's directory, STATE/journal, the buffer's user's and no one
 * else's: opened here, passed in the JOURNAL frame (the buffer sees no file
 * system of the host).  "memory" passes none.
 */
static void send_journal(struct daemon *d)
{
	const struct journal_config *jc = &d->cfg.journal;
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_JOURNAL, 0);
	char path[PATH_MAX];
	int fd = -1;

	if (jc->durability != JOURNAL_MEMORY) {
		if (path_join(path, sizeof(path), d->cfg.state_dir, "journal", NULL) < 0 ||
		    (mkdir(path, 0700) < 0 && errno != EEXIST) ||
		    (fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    fchown(fd, CTRIPC_BUFFER_UID, CTRIPC_BUFFER_UID) < 0 || fchmod(fd, 0700) < 0) {
			/* The buffer refuses messages rather than lose them: it says why. */
			log_error("cannot prepare the journal directory %s: %s", path,
				  strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
	}
	if (f && nla_put_u32(f, CTRIPC_BUS_A_DURABILITY, jc->durability) == 0 &&
	    nla_put_u64(f, CTRIPC_BUS_A_SEGMENT_SIZE, jc->segment_size) == 0 &&
	    nla_put_u32(f, CTRIPC_BUS_A_SYNC_MS, jc->sync_interval_ms) == 0 &&
	    nla_put_u64(f, CTRIPC_BUS_A_RETAIN_BYTES, jc->retain_size) == 0 &&
	    nla_put_u64(f, CTRIPC_BUS_A_RETAIN_AGE, jc->retain_age) == 0)
		send_frame(d, f, fd);
	else
		nlmsg_free(f);
	if (fd >= 0)
		close(fd);
}

/* The ctr-ipc-buffer program: next to ctr-ipcd, or in ../libexec/ctr-ipc, or LIBEXECDIR. */
static int buffer_program(char *buf, size_t len)
{
	return daemon_helper_path("ctr-ipc-buffer", buf, len);
}

static int spawn(struct daemon *d)
{
	char prog[PATH_MAX];
	int sv[2], pp[2];
	pid_t mid, buffer = 0;

	if (buffer_program(prog, sizeof(prog)) < 0) {
		log_error("the buffer process ctr-ipc-buffer is missing: neither next to ctr-ipcd "
			  "nor in %s/ctr-ipc (reinstall ctr-ipc); the bus is down",
			  CTRIPC_LIBEXECDIR);
		return -ENOENT;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (pipe2(pp, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	mid = fork();
	if (mid < 0) {
		close(sv[0]);
		close(sv[1]);
		close(pp[0]);
		close(pp[1]);
		return -errno;
	}
	if (mid == 0) {
		int status;
		pid_t p;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Nothing of the daemon's (its pidfile lock above all) but the two ends. */
		if (dup2(sv[1], 3) < 0 || dup2(pp[1], 4) < 0)
			_exit(126);
		syscall(SYS_close_range, 5, ~0U, 0);
		sv[1] = 3;
		pp[1] = 4;
		if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
			    CLONE_NEWNET) < 0)
			_exit(errno == EPERM ? MID_NOT_PERMITTED : 126);
		p = fork();
		if (p == 0) {
			char *argv[] = { "ctr-ipc-buffer", NULL };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			syscall(SYS_close_range, 4, ~0U, 0);
			fcntl(3, F_SETFD, 0); /* the socket pair stays open across exec */
			container_reset_signals();
			execv(prog, argv);
			_exit(127);
		}
		if (write(pp[1], &p, sizeof(p)) != sizeof(p))
			_exit(125);
		while (waitpid(p, &status, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	close(sv[1]);
	close(pp[1]);
	if (read(pp[0], &buffer, sizeof(buffer)) != sizeof(buffer))
		buffer = 0;
	close(pp[0]);
	d->bus.mid = mid;
	d->bus.buffer_pid = buffer;
	d->bus.ctl = sv[0];
	d->bus.hello = false;
	d->bus.mid_fd = (int)syscall(SYS_pidfd_open, mid, 0);
	d->bus.started_ms = now_ms();
	d->bus.starts++;
	if (d->bus.mid_fd >= 0)
		watch_fd(d, d->bus.mid_fd);
	watch_fd(d, d->bus.ctl);
	/* Everything it needs, at once: the frames wait in the socket until it reads. */
	d->bus.recovery[0] = d->bus.recovery_report[0] = '\0';
	send_journal(d);
	send_limits(d);
	send_policy(d);
	if (d->bus.watchers)
		bus_set_watch(d);
	for (size_t i = 0; i < d->bus.secrets.n; i++)
		send_secret(d, d->bus.secrets.v[i].name, d->bus.secrets.v[i].value,
			    d->bus.secrets.v[i].len);
	if (d->bus.host_listener >= 0)
		send_listener(d, "host", d->bus.host_listener);
	for (struct container *c = d->containers; c; c = c->next)
		if (c->bus_listener >= 0)
			send_listener(d, c->name, c->bus_listener);
	if (buffer > 0) /* else the mid process ended first, and its end says why */
		log_info("buffer process started (pid %d)", (int)buffer);
	return 0;
}

void bus_init(struct daemon *d)
{
	d->bus.mid_fd = d->bus.ctl = d->bus.restart_timer = d->bus.host_listener = -1;
	d->bus.backoff_ms = BACKOFF_MIN_MS;
	policy_init(&d->bus.policy);
	policy_secrets_init(&d->bus.secrets);
}

/* RUN_DIR/bus in @dir, and a container's socket in it, RUN_DIR/bus/NAME.sock, in @path. */
static int socket_path(const struct daemon *d, const char *name, char dir[PATH_MAX],
		       char path[PATH_MAX])
{
	int r = path_join(dir, PATH_MAX, d->cfg.run_dir, "bus", NULL);

	return r < 0 ? r : path_join(path, PATH_MAX, dir, name, ".sock");
}

/* A container's listening socket closes and its file goes (the buffer is told apart). */
static void close_listener(struct daemon *d, struct container *c)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (c->bus_listener < 0)
		return;
	close(c->bus_listener);
	c->bus_listener = -1;
	if (socket_path(d, c->name, dir, path) == 0)
		unlink(path);
}

int bus_start(struct daemon *d)
{
	char path[PATH_MAX], err[512];
	int r;

	r = policy_load_file(&d->bus.policy, d->cfg.policy_file, err, sizeof(err));
	if (r < 0 && r != -ENOENT) {
		log_error("%s", err);
		return r;
	}
	r = secrets_load(d);
	if (r < 0)
		log_warn("cannot read the secrets: %s", strerror(-r));
	if (path_join(path, sizeof(path), d->cfg.run_dir, "bus.sock", NULL) < 0)
		return -ENAMETOOLONG;
	/* The host's administrator's: root (the daemon's user) only. */
	d->bus.host_listener = listen_at(path, 0600, 0);
	if (d->bus.host_listener < 0) {
		log_error("cannot listen on %s: %s", path, strerror(-d->bus.host_listener));
		return d->bus.host_listener;
	}
	d->bus.restart_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->bus.restart_timer < 0 || watch_fd(d, d->bus.restart_timer) < 0)
		return -errno;
	r = spawn(d);
	return r == -ENOENT ? 0 : r;
}

void bus_stop(struct daemon *d)
{
	char path[PATH_MAX];

	unwatch_close(d, &d->bus.ctl); /* the buffer sees the end and exits */
	if (d->bus.mid > 0) {
		kill(d->bus.mid, SIGKILL); /* its death signal takes the buffer along */
		waitpid(d->bus.mid, NULL, 0);
		d->bus.mid = 0;
	}
	unwatch_close(d, &d->bus.mid_fd);
	unwatch_close(d, &d->bus.restart_timer);
	if (d->bus.host_listener >= 0) {
		close(d->bus.host_listener);
		d->bus.host_listener = -1;
		if (path_join(path, sizeof(path), d->cfg.run_dir, "bus.sock", NULL) == 0)
			unlink(path);
	}
	/* Running containers keep running; their sockets come back with the next daemon. */
	for (struct container *c = d->containers; c; c = c->next)
		close_listener(d, c);
	if (path_join(path, sizeof(path), d->cfg.run_dir, "bus", NULL) == 0)
		rmdir(path);
	for (int i = 0; i < BUS_SNAPSHOTS; i++)
		bus_snapshot_release(&d->bus.snaps[i]);
	msg_watch_free(d);
	policy_free(&d->bus.policy);
	policy_secrets_free(&d->bus.secrets);
}

/* The buffer (its mid process) ended: start it again after the backoff. */
static void on_exit_of_buffer(struct daemon *d)
{
	struct itimerspec its = { 0 };
	int status = 0;
	uint64_t ran = now_ms() - d->bus.started_ms;

	waitpid(d->bus.mid, &status, 0);
	d->bus.mid = 0;
	unwatch_close(d, &d->bus.mid_fd);
	unwatch_close(d, &d->bus.ctl);
	if (WIFEXITED(status) && WEXITSTATUS(status) == MID_NOT_PERMITTED) {
		/* Not a crash, and no restart would do better. */
		log_error("the buffer process cannot have its own namespaces (unshare: %s): "
			  "the bus is off; run ctr-ipcd as root",
			  strerror(EPERM));
		d->bus.buffer_pid = 0;
		return;
	}
	d->bus.crashes++;
	if (ran > HEALTHY_MS)
		d->bus.backoff_ms = BACKOFF_MIN_MS;
	log_warn("buffer process (pid %d) ended (%s %d) after %llu ms; restarting in %u ms",
		 (int)d->bus.buffer_pid, WIFEXITED(status) ? "status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		 (unsigned long long)ran, d->bus.backoff_ms);
	d->bus.buffer_pid = 0;
	its.it_value.tv_sec = d->bus.backoff_ms / 1000;
	its.it_value.tv_nsec = (long)(d->bus.backoff_ms % 1000) * 1000000L;
	timerfd_settime(d->bus.restart_timer, 0, &its, NULL);
	d->bus.backoff_ms =
		d->bus.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->bus.backoff_ms * 2;
}

/* What the buffer's recovery found: kept for "daemon status", and logged. */
static void on_journal(struct daemon *d, struct nlattr **tb)
{
	uint32_t dur = tb[CTRIPC_BUS_A_DURABILITY] ? nla_get_u32(tb[CTRIPC_BUS_A_DURABILITY])
						   : JOURNAL_MEMORY;
	uint64_t v[5] = { 0 };
	static const int attrs[5] = { CTRIPC_BUS_A_RECORDS, CTRIPC_BUS_A_BYTES,
				      CTRIPC_BUS_A_COUNT_QUEUED, CTRIPC_BUS_A_DROPPED,
				      CTRIPC_BUS_A_USEC };
	const char *report = tb[CTRIPC_BUS_A_REPORT] ? nla_get_string(tb[CTRIPC_BUS_A_REPORT]) : "";

	for (int i = 0; i < 5; i++)
		v[i] = tb[attrs[i]] ? nla_get_u64(tb[attrs[i]]) : 0;
	if (!journal_durability_name(dur))
		dur = JOURNAL_MEMORY;
	snprintf(d->bus.durability, sizeof(d->bus.durability), "%s", journal_durability_name(dur));
	snprintf(d->bus.recovery_report, sizeof(d->bus.recovery_report), "%s", report);
	if (dur == JOURNAL_MEMORY && d->cfg.journal.durability != JOURNAL_MEMORY) {
		snprintf(d->bus.recovery, sizeof(d->bus.recovery), "no journal: %s", report);
		log_error("buffer process: %s", report);
		return;
	}
	if (dur == JOURNAL_MEMORY) {
		d->bus.recovery[0] = '\0';
		return;
	}
	snprintf(d->bus.recovery, sizeof(d->bus.recovery),
		 "%llu records (%llu bytes), %llu messages held again, %llu bytes dropped, "
		 "%llu.%03llu ms",
		 (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
		 (unsigned long long)v[3], (unsigned long long)(v[4] / 1000),
		 (unsigned long long)(v[4] % 1000));
	log_info("journal recovered: %s", d->bus.recovery);
	for (const char *p = report; *p;) {
		size_t n = strcspn(p, "\n");

		log_warn("journal: %.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* A frame the buffer sends on its own: its HELLO, a line for the log, its recovery. */
static void on_unsolicited(struct daemon *d, uint8_t cmd, struct nlattr **tb)
{
	if (cmd == CTRIPC_BUS_CMD_HELLO) {
		d->bus.hello = true;
		log_debug("buffer process %s ready", nla_get_string(tb[CTRIPC_BUS_A_TEXT]));
	} else if (cmd == CTRIPC_BUS_CMD_LOG) {
		if (tb[CTRIPC_BUS_A_LEVEL] && nla_get_u32(tb[CTRIPC_BUS_A_LEVEL]) >= LOG_NOTICE)
			log_info("buffer process: %s", nla_get_string(tb[CTRIPC_BUS_A_TEXT]));
		else
			log_warn("buffer process: %s", nla_get_string(tb[CTRIPC_BUS_A_TEXT]));
	} else if (cmd == CTRIPC_BUS_CMD_JOURNAL) {
		on_journal(d, tb);
	} else if (cmd == CTRIPC_BUS_CMD_EVENT) {
		msg_watch_event(d, tb);
	}
}

static void on_buffer_frame(struct daemon *d)
{
	static unsigned char buf[CTRIPC_BUS_FRAME_MAX];
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	char err[CTRIPC_ERRMSG_MAX];
	uint8_t cmd;
	ssize_t n;

	n = ctripc_bus_recv(d->bus.ctl, buf, sizeof(buf), false, tb, &cmd, NULL, err, sizeof(err));
	if (n <= 0) {
		/* Its end of the pair closed: its exit is handled through the pidfd. */
		if (n < 0)
			log_warn("from the buffer process: %s", err);
		unwatch_close(d, &d->bus.ctl);
		return;
	}
	on_unsolicited(d, cmd, tb);
}

bool bus_on_event(struct daemon *d, int fd)
{
	if (fd < 0)
		return false;
	if (fd == d->bus.mid_fd) {
		on_exit_of_buffer(d);
		return true;
	}
	if (fd == d->bus.ctl) {
		on_buffer_frame(d);
		return true;
	}
	if (fd == d->bus.restart_timer) {
		uint64_t ticks;

		if (read(fd, &ticks, sizeof(ticks)) > 0 && d->bus.mid == 0)
			spawn(d);
		return true;
	}
	return false;
}

void bus_container_started(struct daemon *d, struct container *c)
{
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	int r;

	if (socket_path(d, c->name, dir, path) < 0)
		return;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (c->bus_listener >= 0)
		close(c->bus_listener);
	/* Anyone in the container may connect; only it can reach the socket. */
	c->bus_listener = listen_at(path, 0666, 0);
	if (c->bus_listener < 0) {
		log_warn("container '%s': cannot listen on %s: %s", c->name, path,
			 strerror(-c->bus_listener));
		return;
	}
	r = container_place(c->init_pid, c->uid_base, path, "/run/ctr-ipc", "bus.sock", false, err,
			    sizeof(err));
	if (r < 0)
		log_warn("container '%s': cannot place its bus socket: %s", c->name, err);
	/* The shell tool, static: it runs on any root file system. */
	if (daemon_helper_path("ctripc-static", path, sizeof(path)) == 0) {
		r = container_place(c->init_pid, c->uid_base, path, "/run/ctr-ipc/bin", "ctripc",
				    true, err, sizeof(err));
		if (r < 0)
			log_warn("container '%s': cannot place ctripc: %s", c->name, err);
	}
	send_listener(d, c->name, c->bus_listener);
}

void bus_container_stopped(struct daemon *d, struct container *c)
{
	struct nl_msg *f;

	if (c->bus_listener < 0)
		return;
	close_listener(d, c);
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_UNLISTEN, 0);
	if (f && nla_put_string(f, CTRIPC_BUS_A_CONTAINER, c->name) == 0)
		send_frame(d, f, -1);
	else
		nlmsg_free(f);
}

int bus_policy_changed(struct daemon *d, char *err, size_t errlen)
{
	int r = policy_save_file(&d->bus.policy, d->cfg.policy_file, err, errlen);

	send_policy(d);
	return r;
}

void bus_secret_changed(struct daemon *d, const char *name, const void *value, size_t len)
{
	send_secret(d, name, value, len);
}

int bus_query(struct daemon *d, struct nl_msg *frame, uint32_t portid, uint32_t seq,
	      struct bus_snapshot **ret)
{
	static unsigned char buf[CTRIPC_BUS_FRAME_MAX];
	struct bus_snapshot *snap = snapshot_take(d, portid, seq);
	uint32_t qseq = ++d->bus.query_seq;
	uint64_t deadline = now_ms() + 1000;
	int r;

	*ret = snap;
	snapshot_clear(snap);
	nlmsg_hdr(frame)->nlmsg_seq = qseq;
	r = send_frame(d, frame, -1);
	if (r < 0)
		return -ENOTCONN;
	for (;;) {
		struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
		struct pollfd pfd = { .fd = d->bus.ctl, .events = POLLIN };
		uint64_t now = now_ms();
		char err[CTRIPC_ERRMSG_MAX];
		uint8_t cmd;
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
			return -ETIMEDOUT;
		n = ctripc_bus_recv(d->bus.ctl, buf, sizeof(buf), false, tb, &cmd, NULL, err,
				    sizeof(err));
		if (n <= 0)
			return -ENOTCONN;
		if (((struct nlmsghdr *)buf)->nlmsg_seq != qseq) {
			on_unsolicited(d, cmd, tb);
			continue;
		}
		if (cmd == CTRIPC_BUS_CMD_END) {
			if (tb[CTRIPC_BUS_A_CURSOR])
				snap->next = nla_get_u64(tb[CTRIPC_BUS_A_CURSOR]);
			if (tb[CTRIPC_BUS_A_ID_MAX])
				snap->id_max = nla_get_u64(tb[CTRIPC_BUS_A_ID_MAX]);
			if (tb[CTRIPC_BUS_A_COUNT_QUEUED])
				snap->count = nla_get_u64(tb[CTRIPC_BUS_A_COUNT_QUEUED]);
			return 0;
		}
		if (cmd != CTRIPC_BUS_CMD_ENTRY)
			continue;
		if (snap->n % 64 == 0) {
			unsigned char **p = realloc(snap->frames, (snap->n + 64) * sizeof(*p));

			if (!p)
				return -ENOMEM;
			snap->frames = p;
		}
		snap->frames[snap->n] = malloc((size_t)n);
		if (!snap->frames[snap->n])
			return -ENOMEM;
		memcpy(snap->frames[snap->n++], buf, (size_t)n);
	}
}

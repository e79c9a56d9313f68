// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Containers in the daemon: the registry, their files under
 * STATE/containers/NAME (config, state, exit, log), watching their shims
 * through pidfds, and adopting running ones after a restart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "daemon.h"
#include "log.h"

const char *const ctr_state_names[] = { "created", "running", "stopped", NULL };

bool container_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

struct container *container_find(struct daemon *d, const char *name)
{
	for (struct container *c = d->containers; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int container_dir(const struct daemon *d, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/containers/%s", d->cfg.state_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* --- files ------------------------------------------------------------------ */

/* Values are written with \n and \\ escaped, one "key=value" per line. */
static void put_value(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (; *v; v++) {
		if (*v == '\n')
			fputs("\\n", f);
		else if (*v == '\\')
			fputs("\\\\", f);
		else
			fputc(*v, f);
	}
	fputc('\n', f);
}

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int write_atomic(const char *dir, const char *name, void (*fill)(FILE *, const void *),
			const void *arg)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int r = 0;

	if (path_join(path, sizeof(path), dir, name, NULL) < 0 ||
	    path_join(tmp, sizeof(tmp), dir, name, ".tmp") < 0)
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fill(f, arg);
	if (fflush(f) != 0)
		r = -errno;
	fclose(f);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static void fill_config(FILE *f, const void *arg)
{
	const struct container *c = arg;

	put_value(f, "name", c->name);
	put_value(f, "hostname", c->hostname);
	fprintf(f, "net=%s\n", c->net_host ? "host" : "none");
	if (c->uid_base)
		fprintf(f, "userns=%u\n", c->uid_base);
	fprintf(f, "created_at=%lld\n", (long long)c->created_at);
	fprintf(f, "memory=%llu\npids_max=%llu\n", (unsigned long long)c->memory,
		(unsigned long long)c->pids_max);
	for (size_t i = 0; i < c->argv.n; i++)
		put_value(f, "argv", c->argv.v[i]);
	for (size_t i = 0; i < c->env.n; i++)
		put_value(f, "env", c->env.v[i]);
	for (size_t i = 0; i < c->binds.n; i++)
		put_value(f, "bind", c->binds.v[i]);
	if (c->rootfs)
		put_value(f, "rootfs", c->rootfs);
	if (c->image)
		put_value(f, "image", c->image);
}

static void fill_state(FILE *f, const void *arg)
{
	const struct container *c = arg;

	fprintf(f, "state=%s\n", ctr_state_names[c->state]);
	fprintf(f, "shim_pid=%d\nshim_start=%llu\ninit_pid=%d\n", (int)c->shim_pid, c->shim_start,
		(int)c->init_pid);
	fprintf(f, "started_at=%lld\nfinished_at=%lld\n", (long long)c->started_at,
		(long long)c->finished_at);
	if (c->has_exit)
		fprintf(f, "exit_code=%d\nexit_signal=%d\n", c->exit_code, c->exit_signal);
	fprintf(f, "oom_killed=%d\n", c->oom_killed ? 1 : 0);
	for (int i = 0; i < c->cg.n; i++)
		put_value(f, "cgroup", c->cg.path[i]);
}

static int save(const struct daemon *d, const struct container *c, bool config)
{
	char dir[PATH_MAX];
	int r = container_dir(d, c->name, dir, sizeof(dir));

	if (r == 0 && config)
		r = write_atomic(dir, "config", fill_config, c);
	if (r == 0)
		r = write_atomic(dir, "state", fill_state, c);
	if (r < 0)
		log_error("cannot save container '%s' in %s: %s", c->name, dir, strerror(-r));
	return r;
}

/* Call @fn for each "key=value" line of DIR/NAME; -ENOENT when there is no file. */
static int read_kv(const char *dir, const char *name,
		   int (*fn)(struct container *c, const char *key, char *value),
		   struct container *c)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	if (path_join(path, sizeof(path), dir, name, NULL) < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (!eq)
			continue;
		*eq = '\0';
		unescape(eq + 1);
		r = fn(c, line, eq + 1);
	}
	free(line);
	fclose(f);
	return r;
}

static long long num(const char *v)
{
	return strtoll(v, NULL, 10);
}

static int load_key(struct container *c, const char *key, char *v)
{
	if (strcmp(key, "name") == 0)
		snprintf(c->name, sizeof(c->name), "%s", v);
	else if (strcmp(key, "hostname") == 0)
		snprintf(c->hostname, sizeof(c->hostname), "%s", v);
	else if (strcmp(key, "net") == 0)
		c->net_host = strcmp(v, "host") == 0;
	else if (strcmp(key, "userns") == 0)
		c->userns = (c->uid_base = (uint32_t)strtoul(v, NULL, 10)) != 0;
	else if (strcmp(key, "created_at") == 0)
		c->created_at = (time_t)num(v);
	else if (strcmp(key, "argv") == 0)
		return strv_push(&c->argv, v);
	else if (strcmp(key, "env") == 0)
		return strv_push(&c->env, v);
	else if (strcmp(key, "bind") == 0)
		return strv_push(&c->binds, v);
	else if (strcmp(key, "rootfs") == 0)
		return (c->rootfs = strdup(v)) ? 0 : -ENOMEM;
	else if (strcmp(key, "image") == 0)
		return (c->image = strdup(v)) ? 0 : -ENOMEM;
	else if (strcmp(key, "state") == 0)
		c->state = strcmp(v, "running") == 0   ? CTR_RUNNING
			   : strcmp(v, "stopped") == 0 ? CTR_STOPPED
						       : CTR_CREATED;
	else if (strcmp(key, "shim_pid") == 0)
		c->shim_pid = (pid_t)num(v);
	else if (strcmp(key, "shim_start") == 0)
		c->shim_start = strtoull(v, NULL, 10);
	else if (strcmp(key, "init_pid") == 0)
		c->init_pid = (pid_t)num(v);
	else if (strcmp(key, "started_at") == 0)
		c->started_at = (time_t)num(v);
	else if (strcmp(key, "finished_at") == 0)
		c->finished_at = (time_t)num(v);
	else if (strcmp(key, "exit_code") == 0)
		c->exit_code = (int)num(v), c->has_exit = true;
	else if (strcmp(key, "exit_signal") == 0)
		c->exit_signal = (int)num(v);
	else if (strcmp(key, "memory") == 0)
		c->memory = strtoull(v, NULL, 10);
	else if (strcmp(key, "pids_max") == 0)
		c->pids_max = strtoull(v, NULL, 10);
	else if (strcmp(key, "oom_killed") == 0)
		c->oom_killed = num(v) != 0;
	return 0;
}

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
static unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

/* --- watching ---------------------------------------------------------------- */

static int watch_fd(struct daemon *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void close_watched(struct daemon *d, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static void container_stopped(struct daemon *d, struct container *c);

/*
 * Without pidfds (kernels before 5.3, or under valgrind), shims are checked
 * every POLL_MS by pid and start time instead.
 */
#define POLL_MS 100

static int start_polling(struct daemon *d, struct container *c)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = POLL_MS * 1000000L },
		.it_value = { .tv_nsec = POLL_MS * 1000000L },
	};

	c->shim_polled = true;
	if (d->poll_fd >= 0)
		return 0;
	d->poll_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->poll_fd < 0 || watch_fd(d, d->poll_fd) < 0)
		return -errno;
	timerfd_settime(d->poll_fd, 0, &its, NULL);
	log_info("no pidfd support: watching containers every %d ms", POLL_MS);
	return 0;
}

static void poll_shims(struct daemon *d)
{
	uint64_t ticks;
	bool any = false;

	if (read(d->poll_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("poll timer: %s", strerror(errno));
	for (struct container *c = d->containers, *next; c; c = next) {
		next = c->next;
		if (!c->shim_polled)
			continue;
		if (proc_start_time(c->shim_pid) == c->shim_start) {
			any = true;
			continue;
		}
		c->shim_polled = false;
		container_stopped(d, c);
	}
	if (!any)
		close_watched(d, &d->poll_fd);
}

/* Watch the shim of a running container: its pidfd becomes readable when it exits. */
static int watch_shim(struct daemon *d, struct container *c)
{
	int fd = (int)syscall(SYS_pidfd_open, c->shim_pid, 0);

	if (fd < 0 && errno == ENOSYS)
		return start_polling(d, c);
	if (fd < 0)
		return -errno;
	if (watch_fd(d, fd) < 0) {
		close(fd);
		return -errno;
	}
	c->shim_fd = fd;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Delete a container's files (never crossing into a mount). */
static int remove_files(struct daemon *d, const char *name)
{
	char dir[PATH_MAX];

	if (container_dir(d, name, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void container_free(struct container *c)
{
	strv_free(&c->argv);
	strv_free(&c->env);
	strv_free(&c->binds);
	free(c->rootfs);
	free(c->image);
	free(c);
}

static void unlink_container(struct daemon *d, struct container *c)
{
	for (struct container **pp = &d->containers; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

/* The shim has gone: take its exit record, answer whoever waited for the stop. */
static void container_stopped(struct daemon *d, struct container *c)
{
	char dir[PATH_MAX];
	int r;

	close_watched(d, &c->shim_fd);
	close_watched(d, &c->stop_timer_fd);
	bus_container_stopped(d, c);
	c->state = CTR_STOPPED;
	c->has_exit = false;
	if (container_dir(d, c->name, dir, sizeof(dir)) == 0 &&
	    read_kv(dir, "exit", load_key, c) < 0)
		log_warn("container '%s' ended without an exit record", c->name);
	if (!c->finished_at || c->finished_at < c->started_at)
		c->finished_at = time(NULL);
	/* The groups tell whether the memory limit struck; then they go. */
	cgroup_paths(&c->cg, cgroup_instance_id(d->cfg.state_dir), c->name);
	c->oom_killed = cgroup_oom_killed(&c->cg);
	cgroup_remove(&c->cg);
	c->cg.n = 0;
	log_info("container '%s' stopped (exit code %d%s)", c->name, c->exit_code,
		 c->exit_signal ? ", killed by a signal" : "");
	vdev_container_stopped(d, c);
	if (c->remove_when_stopped)
		vdev_container_removed(d, c->name);
	r = c->remove_when_stopped ? remove_files(d, c->name) : save(d, c, false);
	while (c->waiters) {
		struct ctl_deferred *w = c->waiters;

		c->waiters = w->next;
		ctl_complete(&d->ctl, w, r < 0 ? -EIO : 0,
			     r < 0 ? "it stopped, but its files could not be updated" : NULL);
	}
	if (c->remove_when_stopped) {
		unlink_container(d, c);
		container_free(c);
	}
}

static void pull_done(struct daemon *d, struct pull *p)
{
	char err[CTRIPC_ERRMSG_MAX] = "";
	int r = -EIO;

	close_watched(d, &p->fd);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	p->buf[p->len] = '\0';
	p->buf[strcspn(p->buf, "\n")] = '\0';
	if (strncmp(p->buf, "OK ", 3) == 0) {
		free(p->c->rootfs);
		p->c->rootfs = strdup(p->buf + 3);
		r = p->c->rootfs ? container_create(d, p->c, err, sizeof(err)) : -ENOMEM;
	} else {
		snprintf(err, sizeof(err), "%s",
			 strncmp(p->buf, "ERR ", 4) == 0 ? p->buf + 4 : "the image worker failed");
	}
	if (r == 0)
		log_info("container '%s' created from %s", p->c->name, p->c->image);
	else
		container_free(p->c);
	ctl_complete(&d->ctl, p->w, r, r < 0 ? err : NULL);
	for (struct pull **pp = &d->pulls; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

bool container_pulling(struct daemon *d, const char *name)
{
	for (struct pull *p = d->pulls; p; p = p->next)
		if (strcmp(p->c->name, name) == 0)
			return true;
	return false;
}

int container_pull(struct daemon *d, struct container *c, const char *url, const char *sha256,
		   struct ctl_deferred *w, char *err, size_t errlen)
{
	char images[PATH_MAX], helper[PATH_MAX];
	pid_t daemon_pid;
	struct pull *p;
	int pfd[2];

	if (path_join(images, sizeof(images), d->cfg.state_dir, "images", NULL) < 0)
		return -ENAMETOOLONG;
	if (daemon_helper_path("ctr-ipc-fetch", helper, sizeof(helper)) < 0) {
		snprintf(err, errlen,
			 "the image worker ctr-ipc-fetch is missing: neither next to ctr-ipcd nor "
			 "in "
			 "%s/ctr-ipc (reinstall ctr-ipc)",
			 CTRIPC_LIBEXECDIR);
		return -ENOENT;
	}
	p = calloc(1, sizeof(*p));
	if (!p || pipe2(pfd, O_CLOEXEC) < 0) {
		free(p);
		return -ENOMEM;
	}
	daemon_pid = getpid();
	p->pid = fork();
	if (p->pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		free(p);
		return -errno;
	}
	if (p->pid == 0) {
		/* The worker: nothing of the daemon's but its answer pipe, on fd 3. */
		char *argv[] = { helper, images, (char *)url, (char *)sha256, NULL };

		if (dup2(pfd[1], 3) < 0)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != daemon_pid) /* it died before the line above */
			_exit(1);
		syscall(SYS_close_range, 4, ~0U, 0);
		container_reset_signals();
		execv(helper, argv);
		dprintf(3, "ERR cannot run the image worker %s: %s\n", helper, strerror(errno));
		_exit(1);
	}
	close(pfd[1]);
	p->fd = pfd[0];
	p->c = c;
	p->w = w;
	if (watch_fd(d, p->fd) < 0) {
		snprintf(err, errlen, "cannot watch the image worker");
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		close(p->fd);
		free(p);
		return -EIO;
	}
	p->next = d->pulls;
	d->pulls = p;
	return 0;
}

void container_on_event(struct daemon *d, int fd)
{
	if (fd == d->poll_fd) {
		poll_shims(d);
		return;
	}
	for (struct pull *p = d->pulls; p; p = p->next) {
		ssize_t n;

		if (fd != p->fd)
			continue;
		n = read(fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n > 0)
			p->len += (size_t)n;
		/* Progress lines go on to the client; the last line is the result. */
		while (p->len > 2 && p->buf[0] == 'P') {
			char *nl = memchr(p->buf, '\n', p->len);
			unsigned long long done, total;

			if (!nl)
				break;
			*nl = '\0';
			if (sscanf(p->buf, "P %llu %llu", &done, &total) == 2)
				ctl_progress(&d->ctl, p->w, done, total);
			p->len -= (size_t)(nl + 1 - p->buf);
			memmove(p->buf, nl + 1, p->len);
		}
		if (n > 0 && p->len < sizeof(p->buf) - 1)
			return;
		if (n > 0)
			p->len += (size_t)n;
		pull_done(d, p);
		return;
	}
	for (struct container *c = d->containers; c; c = c->next) {
		if (fd == c->shim_fd) {
			container_stopped(d, c);
			return;
		}
		if (fd == c->stop_timer_fd) {
			log_notice("container '%s' did not stop in time: SIGKILL", c->name);
			close_watched(d, &c->stop_timer_fd);
			kill(c->init_pid, SIGKILL);
			return;
		}
	}
}

/* --- loading and adoption ---------------------------------------------------- */

static int load_one(struct daemon *d, const char *name)
{
	struct container *c = calloc(1, sizeof(*c));
	char dir[PATH_MAX];
	int r;

	if (!c)
		return -ENOMEM;
	c->shim_fd = c->stop_timer_fd = c->bus_listener = -1;
	r = container_dir(d, name, dir, sizeof(dir));
	if (r == 0)
		r = read_kv(dir, "config", load_key, c);
	if (r == 0)
		r = read_kv(dir, "state", load_key, c);
	if (r < 0 || strcmp(c->name, name) != 0) {
		log_error("skipping %s: unreadable container files (%s)", dir,
			  r < 0 ? strerror(-r) : "name mismatch");
		container_free(c);
		return 0;
	}
	if (c->state == CTR_RUNNING && (c->memory || c->pids_max))
		/* Its groups, so that exec helpers join them after a restart too. */
		cgroup_paths(&c->cg, cgroup_instance_id(d->cfg.state_dir), c->name);
	if (c->state == CTR_RUNNING) {
		/* Adopt it if its shim still runs (same pid, same start time). */
		if (c->shim_start && proc_start_time(c->shim_pid) == c->shim_start &&
		    watch_shim(d, c) == 0)
			log_info("adopted running container '%s' (pid %d)", c->name,
				 (int)c->init_pid);
		else
			container_stopped(d, c);
	}
	c->next = d->containers;
	d->containers = c;
	return 0;
}

/*
 * What pulls of an earlier daemon left half done (a download, an unpacking):
 * workers die with their daemon, so none is still at work on these.
 */
static void images_clean_partial(struct daemon *d)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *dh;

	if (path_join(dir, sizeof(dir), d->cfg.state_dir, "images", NULL) < 0)
		return;
	dh = opendir(dir);
	if (!dh)
		return;
	while ((de = readdir(dh))) {
		if (strncmp(de->d_name, ".download.", 10) != 0 &&
		    strncmp(de->d_name, ".unpack.", 8) != 0)
			continue;
		if (path_join(path, sizeof(path), dir, de->d_name, NULL) == 0 &&
		    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == 0)
			log_info("removed %s, left by an interrupted image pull", path);
	}
	closedir(dh);
}

int containers_load(struct daemon *d)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *dh;
	int r = 0;

	if (path_join(dir, sizeof(dir), d->cfg.state_dir, "containers", NULL) < 0)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	images_clean_partial(d);
	dh = opendir(dir);
	if (!dh)
		return -errno;
	while (r == 0 && (de = readdir(dh)))
		if (container_name_valid(de->d_name))
			r = load_one(d, de->d_name);
	closedir(dh);
	return r;
}

void containers_free(struct daemon *d)
{
	while (d->pulls) {
		struct pull *p = d->pulls;

		d->pulls = p->next;
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		close(p->fd);
		container_free(p->c);
		free(p->w);
		free(p);
	}
	while (d->containers) {
		struct container *c = d->containers;

		d->containers = c->next;
		if (c->shim_fd >= 0)
			close(c->shim_fd);
		if (c->stop_timer_fd >= 0)
			close(c->stop_timer_fd);
		while (c->waiters) {
			struct ctl_deferred *w = c->waiters;

			c->waiters = w->next;
			free(w);
		}
		container_free(c);
	}
}

/* --- operations used by the command handlers --------------------------------- */

/* The lowest USERNS_RANGE block from userns_base on that no container holds. */
static uint32_t userns_allocate(const struct daemon *d)
{
	for (uint32_t base = d->cfg.userns_base;; base += USERNS_RANGE) {
		bool used = false;

		for (const struct container *o = d->containers; o && !used; o = o->next)
			used = o->uid_base && o->uid_base < base + USERNS_RANGE &&
			       base < o->uid_base + USERNS_RANGE;
		if (!used)
			return base;
		if (base > UINT32_MAX - 2 * USERNS_RANGE)
			return 0;
	}
}

/* The container's root owns its writable layer (and its mount point) on the host. */
static int userns_chown(const char *dir, const char *name, uint32_t base)
{
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), dir, name, NULL) < 0)
		return -ENAMETOOLONG;
	return lchown(path, base, base) < 0 && errno != ENOENT ? -errno : 0;
}

int container_create(struct daemon *d, struct container *c, char *err, size_t errlen)
{
	char dir[PATH_MAX], root[PATH_MAX];
	int r;

	r = container_dir(d, c->name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (c->userns && !c->uid_base) {
		c->uid_base = userns_allocate(d);
		if (!c->uid_base) {
			snprintf(err, errlen,
				 "no free block of %u host ids from userns_base %u on; remove "
				 "containers made with --userns or lower userns_base",
				 USERNS_RANGE, d->cfg.userns_base);
			return -ENOSPC;
		}
	}
	if (mkdir(dir, 0700) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	r = path_join(root, sizeof(root), dir, "root", NULL);
	if (r == 0 && mkdir(root, 0755) < 0)
		r = -errno;
	/* The writable layer over --rootfs: it lives as long as the container. */
	if (r == 0 && c->rootfs) {
		char layer[PATH_MAX];

		r = path_join(layer, sizeof(layer), dir, "upper", NULL);
		if (r == 0 && mkdir(layer, 0755) < 0)
			r = -errno;
		if (r == 0)
			r = path_join(layer, sizeof(layer), dir, "work", NULL);
		if (r == 0 && mkdir(layer, 0700) < 0)
			r = -errno;
		/* --userns: where init attaches the lower layer, idmapped. */
		if (r == 0 && c->userns)
			r = path_join(layer, sizeof(layer), dir, "lower", NULL);
		if (r == 0 && c->userns && mkdir(layer, 0700) < 0)
			r = -errno;
	}
	for (size_t i = 0; r == 0 && c->uid_base && i < 3; i++)
		r = userns_chown(dir, (const char *[]){ "root", "upper", "work" }[i], c->uid_base);
	c->shim_fd = c->stop_timer_fd = c->bus_listener = -1;
	c->state = CTR_CREATED;
	c->created_at = time(NULL);
	if (r == 0)
		r = save(d, c, true);
	if (r < 0) {
		remove_files(d, c->name);
		snprintf(err, errlen, "cannot write the container's files in %s: %s", dir,
			 strerror(-r));
		return r;
	}
	c->next = d->containers;
	d->containers = c;
	return 0;
}

int container_start(struct daemon *d, struct container *c, char *err, size_t errlen)
{
	char dir[PATH_MAX], exitfile[PATH_MAX];
	int r;

	r = container_dir(d, c->name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (path_join(exitfile, sizeof(exitfile), dir, "exit", NULL) == 0)
		unlink(exitfile);
	r = cgroup_create(&c->cg, cgroup_instance_id(d->cfg.state_dir), c->name, c->memory,
			  c->pids_max, err, errlen);
	if (r < 0)
		return r;
	r = container_spawn(c, dir, &c->shim_pid, &c->init_pid, err, errlen);
	if (r < 0) {
		cgroup_remove(&c->cg);
		return r;
	}
	c->oom_killed = false;
	c->shim_start = proc_start_time(c->shim_pid);
	c->state = CTR_RUNNING;
	c->started_at = time(NULL);
	c->finished_at = 0;
	c->has_exit = false;
	c->exit_code = c->exit_signal = 0;
	r = watch_shim(d, c);
	if (r < 0) {
		/* The shim already ended (a command that exits at once): collect it now. */
		container_stopped(d, c);
		return 0;
	}
	save(d, c, false);
	log_info("container '%s' started (pid %d)", c->name, (int)c->init_pid);
	vdev_container_started(d, c);
	bus_container_started(d, c);
	return 0;
}

/* SIGTERM now, SIGKILL after @timeout seconds; @w is answered once it stopped. */
int container_stop(struct daemon *d, struct container *c, unsigned int timeout,
		   struct ctl_deferred *w)
{
	struct itimerspec its = { .it_value = { .tv_sec = timeout } };

	if (timeout == 0) {
		kill(c->init_pid, SIGKILL);
		goto out_wait;
	}
	if (kill(c->init_pid, SIGTERM) < 0 && errno != ESRCH)
		return -errno;
	if (c->stop_timer_fd < 0) {
		c->stop_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->stop_timer_fd < 0)
			return -errno;
		if (watch_fd(d, c->stop_timer_fd) < 0) {
			close(c->stop_timer_fd);
			c->stop_timer_fd = -1;
			return -errno;
		}
	}
	timerfd_settime(c->stop_timer_fd, 0, &its, NULL);
out_wait:
	/* Queued only once nothing can fail: the caller answers errors itself. */
	if (w) {
		w->next = c->waiters;
		c->waiters = w;
	}
	return 0;
}

int container_remove(struct daemon *d, struct container *c)
{
	struct cgroup cg;
	int r;

	cgroup_paths(&cg, cgroup_instance_id(d->cfg.state_dir), c->name);
	cgroup_remove(&cg);
	vdev_container_removed(d, c->name);
	r = remove_files(d, c->name);

	if (r < 0)
		return r;
	unlink_container(d, c);
	container_free(c);
	return 0;
}

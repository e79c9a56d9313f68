// SPDX-License-Identifier: GPL-2.0-or-later
/* Handlers of the "container" object: create, start, stop, kill, rm, ls, inspect. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"

#define STOP_TIMEOUT_DEFAULT 10
#define STOP_TIMEOUT_MAX     3600
#define ARGV_MAX	     256
#define MEMORY_MIN	     (4 << 20)
#define PIDS_MAX	     4194304

static const char name_rule[] =
	"a name is 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit";

/* The named container, or an error sentence naming it. */
static struct container *lookup(struct daemon *d, struct ctl_req *req, int *ret)
{
	const char *name = nla_get_string(req->tb[CTRIPC_A_NAME]);
	struct container *c = container_find(d, name);

	if (!c)
		*ret = ctl_fail(req, -ENOENT,
				"no container '%s' (see 'ctr-ipc container ls' for the list)",
				name);
	return c;
}

static int copy_strv(struct ctl_req *req, int attr, struct strv *out, const char *what)
{
	const char *v[ARGV_MAX];
	int n;

	if (!req->tb[attr])
		return 0;
	n = ctripc_strv_get(req->tb[attr], v, ARGV_MAX);
	if (n < 0)
		return ctl_fail(req, -E2BIG, "more than %d %s", ARGV_MAX, what);
	for (int i = 0; i < n; i++)
		if (strv_push(out, v[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* --image URL [--sha256 HEX]: a scheme the fetcher takes and a well-formed digest. */
static int check_image(struct ctl_req *req, const char *url, const char *sha256)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8) && strncmp(url, "file://", 7))
		return ctl_fail(req, -EINVAL,
				"--image takes an http://, https:// or file:// URL, not '%s'", url);
	if (sha256 && (strlen(sha256) != 64 || strspn(sha256, "0123456789abcdefABCDEF") != 64))
		return ctl_fail(req, -EINVAL, "--sha256 takes 64 hexadecimal digits, not '%s'",
				sha256);
	return 0;
}

/* --rootfs DIR: an absolute, existing directory that overlayfs options can name. */
static int check_rootfs(struct ctl_req *req, const char *dir)
{
	struct stat st;

	if (dir[0] != '/')
		return ctl_fail(req, -EINVAL, "--rootfs must be an absolute path, not '%s'", dir);
	if (strpbrk(dir, ",:\\"))
		return ctl_fail(req, -EINVAL,
				"--rootfs %s: the path may not contain ',', ':' or '\\'", dir);
	if (stat(dir, &st) < 0)
		return ctl_fail(req, -ENOENT, "--rootfs %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ctl_fail(req, -ENOTDIR, "--rootfs %s is not a directory", dir);
	return 0;
}

/* --bind SRC:DST[:ro|rw]: SRC exists on the host, DST is absolute and stays inside. */
static int check_bind(struct ctl_req *req, const char *spec)
{
	char buf[CTRIPC_PATH_MAX * 2], *dst, *mode;
	struct stat st;
	size_t len;

	snprintf(buf, sizeof(buf), "%s", spec);
	dst = strchr(buf, ':');
	if (!dst)
		return ctl_fail(req, -EINVAL, "--bind '%s' is not SRC:DST[:ro]", spec);
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (buf[0] != '/' || dst[0] != '/')
		return ctl_fail(req, -EINVAL, "--bind '%s': both paths must be absolute", spec);
	len = strlen(dst);
	if (strcmp(dst, "/") == 0 || strstr(dst, "/../") ||
	    (len >= 3 && strcmp(dst + len - 3, "/..") == 0))
		return ctl_fail(req, -EINVAL, "--bind '%s': the target must be a path below /",
				spec);
	if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return ctl_fail(req, -EINVAL, "--bind '%s': the mode is ro or rw, not '%s'", spec,
				mode);
	if (stat(buf, &st) < 0)
		return ctl_fail(req, -ENOENT, "--bind %s: %s", buf, strerror(errno));
	return 0;
}

int cmd_container_create(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *name = nla_get_string(req->tb[CTRIPC_A_NAME]);
	struct container *c;
	int r;

	if (!container_name_valid(name))
		return ctl_fail(req, -EINVAL, "invalid container name '%s': %s", name, name_rule);
	if (strcmp(name, "host") == 0)
		return ctl_fail(
			req, -EINVAL,
			"the container name 'host' is reserved: host/NAME are the host's bus "
			"endpoints; choose another name");
	if (container_find(d, name) || container_pulling(d, name))
		return ctl_fail(
			req, -EEXIST,
			"container '%s' already exists (use 'ctr-ipc container rm %s' first)", name,
			name);
	if (req->tb[CTRIPC_A_HOSTNAME]) {
		const char *h = nla_get_string(req->tb[CTRIPC_A_HOSTNAME]);

		if (!*h || strchr(h, '/') || strlen(h) > 64)
			return ctl_fail(req, -EINVAL,
					"invalid hostname '%s': 1 to 64 characters, no '/'", h);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->hostname, sizeof(c->hostname), "%s",
		 req->tb[CTRIPC_A_HOSTNAME] ? nla_get_string(req->tb[CTRIPC_A_HOSTNAME]) : name);
	if (req->tb[CTRIPC_A_NET]) {
		const char *net = nla_get_string(req->tb[CTRIPC_A_NET]);

		if (strcmp(net, "host") != 0 && strcmp(net, "none") != 0) {
			r = ctl_fail(req, -EINVAL, "--net takes none or host, not '%s'", net);
			goto out_free;
		}
		c->net_host = strcmp(net, "host") == 0;
	}
	c->userns = req->tb[CTRIPC_A_USERNS] != NULL;
	if (req->tb[CTRIPC_A_MEMORY]) {
		c->memory = nla_get_u64(req->tb[CTRIPC_A_MEMORY]);
		if (c->memory < MEMORY_MIN) {
			r = ctl_fail(req, -ERANGE, "--memory must be at least %d MiB",
				     MEMORY_MIN >> 20);
			goto out_free;
		}
	}
	if (req->tb[CTRIPC_A_PIDS_MAX]) {
		c->pids_max = nla_get_u64(req->tb[CTRIPC_A_PIDS_MAX]);
		if (c->pids_max < 1 || c->pids_max > PIDS_MAX) {
			r = ctl_fail(req, -ERANGE, "--pids must be from 1 to %d", PIDS_MAX);
			goto out_free;
		}
	}
	if (req->tb[CTRIPC_A_SHA256] && !req->tb[CTRIPC_A_IMAGE]) {
		r = ctl_fail(req, -EINVAL, "--sha256 checks an --image; give the image too");
		goto out_free;
	}
	if (req->tb[CTRIPC_A_IMAGE] && req->tb[CTRIPC_A_ROOTFS]) {
		r = ctl_fail(req, -EINVAL, "--rootfs and --image exclude each other; choose one");
		goto out_free;
	}
	if (req->tb[CTRIPC_A_IMAGE]) {
		r = check_image(req, nla_get_string(req->tb[CTRIPC_A_IMAGE]),
				req->tb[CTRIPC_A_SHA256] ? nla_get_string(req->tb[CTRIPC_A_SHA256])
							 : NULL);
		if (r < 0)
			goto out_free;
		c->image = strdup(nla_get_string(req->tb[CTRIPC_A_IMAGE]));
		if (!c->image) {
			r = -ENOMEM;
			goto out_free;
		}
	}
	if (req->tb[CTRIPC_A_ROOTFS]) {
		r = check_rootfs(req, nla_get_string(req->tb[CTRIPC_A_ROOTFS]));
		if (r < 0)
			goto out_free;
		c->rootfs = strdup(nla_get_string(req->tb[CTRIPC_A_ROOTFS]));
		if (!c->rootfs) {
			r = -ENOMEM;
			goto out_free;
		}
	}
	r = copy_strv(req, CTRIPC_A_BINDS, &c->binds, "--bind options");
	for (size_t i = 0; r == 0 && i < c->binds.n; i++)
		r = check_bind(req, c->binds.v[i]);
	if (r < 0)
		goto out_free;
	r = copy_strv(req, CTRIPC_A_ARGV, &c->argv, "command arguments");
	if (r == 0)
		r = copy_strv(req, CTRIPC_A_ENV, &c->env, "environment variables");
	for (size_t i = 0; r == 0 && i < c->env.n; i++) {
		const char *eq = strchr(c->env.v[i], '=');

		if (!eq || eq == c->env.v[i])
			r = ctl_fail(req, -EINVAL, "environment entry '%s' is not KEY=VALUE",
				     c->env.v[i]);
	}
	if (r == 0 && c->image) {
		struct ctl_deferred *w = ctl_defer(req);

		if (!w) {
			r = -ENOMEM;
			goto out_free;
		}
		r = container_pull(
			d, c, c->image,
			req->tb[CTRIPC_A_SHA256] ? nla_get_string(req->tb[CTRIPC_A_SHA256]) : NULL,
			w, req->err, req->errlen);
		if (r < 0) {
			free(w);
			goto out_free;
		}
		return CTL_DEFERRED; /* answered once the image is ready */
	}
	if (r == 0)
		r = container_create(d, c, req->err, req->errlen);
	if (r < 0)
		goto out_free;
	log_info("container '%s' created by uid %u", c->name, (unsigned int)req->cred.uid);
	PUT(nla_put_string(m, CTRIPC_A_NAME, c->name));
	return 0;

out_free:
	container_free(c);
	return r;
}

int cmd_container_start(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct container *c;
	int r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	if (c->state == CTR_RUNNING)
		return ctl_fail(req, -EBUSY, "container '%s' is already running (pid %d)", c->name,
				(int)c->init_pid);
	r = container_start(d, c, req->err, req->errlen);
	if (r < 0) {
		char why[CTRIPC_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", req->err);
		return ctl_fail(req, r, "cannot start container '%s': %s", c->name, why);
	}
	PUT(nla_put_string(m, CTRIPC_A_NAME, c->name));
	PUT(nla_put_u32(m, CTRIPC_A_PID, (uint32_t)c->init_pid));
	return 0;
}

int cmd_container_stop(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	unsigned int timeout = STOP_TIMEOUT_DEFAULT;
	struct ctl_deferred *w;
	struct container *c;
	int r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	if (req->tb[CTRIPC_A_TIMEOUT])
		timeout = nla_get_u32(req->tb[CTRIPC_A_TIMEOUT]);
	if (timeout > STOP_TIMEOUT_MAX)
		return ctl_fail(req, -ERANGE, "--timeout is at most %d seconds", STOP_TIMEOUT_MAX);
	if (c->state != CTR_RUNNING)
		return ctl_fail(req, -EALREADY, "container '%s' is not running (it is %s)", c->name,
				ctr_state_names[c->state]);
	w = ctl_defer(req);
	if (!w)
		return -ENOMEM;
	r = container_stop(d, c, timeout, w);
	if (r < 0)
		return ctl_fail(req, r, "cannot stop container '%s': %s", c->name, strerror(-r));
	return CTL_DEFERRED;
}

int cmd_container_kill(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	int sig = SIGKILL;
	struct container *c;
	int r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	if (req->tb[CTRIPC_A_SIGNAL])
		sig = (int)nla_get_u32(req->tb[CTRIPC_A_SIGNAL]);
	if (sig < 1 || sig >= NSIG)
		return ctl_fail(req, -EINVAL, "signal %d is out of range (1 to %d)", sig, NSIG - 1);
	if (c->state != CTR_RUNNING)
		return ctl_fail(req, -EALREADY, "container '%s' is not running (it is %s)", c->name,
				ctr_state_names[c->state]);
	if (kill(c->init_pid, sig) < 0)
		return ctl_fail(req, -errno, "cannot signal container '%s': %s", c->name,
				strerror(errno));
	log_info("container '%s' sent signal %d by uid %u", c->name, sig,
		 (unsigned int)req->cred.uid);
	return 0;
}

int cmd_container_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct ctl_deferred *w;
	struct container *c;
	int r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	if (c->state == CTR_RUNNING) {
		if (!req->tb[CTRIPC_A_FORCE])
			return ctl_fail(req, -EBUSY,
					"container '%s' is running; stop it first or use --force",
					c->name);
		w = ctl_defer(req);
		if (!w)
			return -ENOMEM;
		c->remove_when_stopped = true;
		r = container_stop(d, c, 0, w);
		return r < 0 ? ctl_fail(req, r, "cannot kill container '%s'", c->name)
			     : CTL_DEFERRED;
	}
	r = container_remove(d, c);
	if (r < 0)
		return ctl_fail(req, r, "cannot remove the files of container '%s': %s",
				nla_get_string(req->tb[CTRIPC_A_NAME]), strerror(-r));
	return 0;
}

static int put_container(struct nl_msg *m, const struct container *c)
{
	const char *argv[ARGV_MAX], *env[ARGV_MAX];

	PUT(nla_put_string(m, CTRIPC_A_NAME, c->name));
	PUT(nla_put_string(m, CTRIPC_A_STATE, ctr_state_names[c->state]));
	PUT(nla_put_string(m, CTRIPC_A_HOSTNAME, c->hostname));
	PUT(nla_put_string(m, CTRIPC_A_NET, c->net_host ? "host" : "none"));
	if (c->uid_base) {
		PUT(nla_put_flag(m, CTRIPC_A_USERNS));
		PUT(nla_put_u32(m, CTRIPC_A_UID_BASE, c->uid_base));
	}
	if (c->rootfs)
		PUT(nla_put_string(m, CTRIPC_A_ROOTFS, c->rootfs));
	if (c->image)
		PUT(nla_put_string(m, CTRIPC_A_IMAGE, c->image));
	if (c->binds.n) {
		const char *b[ARGV_MAX];

		for (size_t i = 0; i < c->binds.n && i < ARGV_MAX; i++)
			b[i] = c->binds.v[i];
		PUT(ctripc_strv_put(m, CTRIPC_A_BINDS, b, (int)c->binds.n));
	}
	PUT(nla_put_u64(m, CTRIPC_A_CREATED_AT, (uint64_t)c->created_at));
	for (size_t i = 0; i < c->argv.n && i < ARGV_MAX; i++)
		argv[i] = c->argv.v[i];
	for (size_t i = 0; i < c->env.n && i < ARGV_MAX; i++)
		env[i] = c->env.v[i];
	PUT(ctripc_strv_put(m, CTRIPC_A_ARGV, argv, (int)c->argv.n));
	PUT(ctripc_strv_put(m, CTRIPC_A_ENV, env, (int)c->env.n));
	if (c->memory)
		PUT(nla_put_u64(m, CTRIPC_A_MEMORY, c->memory));
	if (c->pids_max)
		PUT(nla_put_u64(m, CTRIPC_A_PIDS_MAX, c->pids_max));
	if (c->oom_killed)
		PUT(nla_put_flag(m, CTRIPC_A_OOM_KILLED));
	if (c->state == CTR_RUNNING)
		PUT(nla_put_u32(m, CTRIPC_A_PID, (uint32_t)c->init_pid));
	if (c->state != CTR_CREATED)
		PUT(nla_put_u64(m, CTRIPC_A_STARTED_AT, (uint64_t)c->started_at));
	if (c->state == CTR_STOPPED) {
		PUT(nla_put_u64(m, CTRIPC_A_FINISHED_AT, (uint64_t)c->finished_at));
		if (c->has_exit) {
			PUT(nla_put_u32(m, CTRIPC_A_EXIT_CODE, (uint32_t)c->exit_code));
			PUT(nla_put_u32(m, CTRIPC_A_EXIT_SIGNAL, (uint32_t)c->exit_signal));
		}
	}
	return 0;
}

int cmd_container_inspect(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct container *c;
	int r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	return put_container(m, c);
}

/* The cursor counts containers in name order. */
int cmd_container_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	const char *want = req->tb[CTRIPC_A_STATE] ? nla_get_string(req->tb[CTRIPC_A_STATE]) : NULL;
	const struct container *next = NULL;
	uint64_t index = 0;

	if (want && strcmp(want, "created") && strcmp(want, "running") && strcmp(want, "stopped"))
		return ctl_fail(req, -EINVAL, "--state takes created, running or stopped, not '%s'",
				want);
	/* The cursor-th container in name order (lists are short; no index needed). */
	for (;; index++) {
		const struct container *best = NULL;

		for (const struct container *c = d->containers; c; c = c->next) {
			if (next && strcmp(c->name, next->name) <= 0)
				continue;
			if (!best || strcmp(c->name, best->name) < 0)
				best = c;
		}
		if (!best)
			return 0;
		next = best;
		if (index < *cursor)
			continue;
		*cursor = index + 1;
		if (want && strcmp(want, ctr_state_names[best->state]) != 0)
			continue;
		PUT(put_container(m, best));
		return 1;
	}
}

int cmd_container_exec(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *argv[ARGV_MAX + 1], *env[ARGV_MAX];
	char path[CTRIPC_PATH_MAX], why[CTRIPC_ERRMSG_MAX] = "";
	struct container *c;
	int argc, envc = 0, r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	if (c->state != CTR_RUNNING)
		return ctl_fail(req, -EALREADY,
				"container '%s' is not running (it is %s); start it first", c->name,
				ctr_state_names[c->state]);
	argc = ctripc_strv_get(req->tb[CTRIPC_A_ARGV], argv, ARGV_MAX);
	if (argc <= 0)
		return ctl_fail(req, -EINVAL, "exec needs a command (at most %d arguments)",
				ARGV_MAX);
	argv[argc] = NULL;
	if (req->tb[CTRIPC_A_ENV]) {
		envc = ctripc_strv_get(req->tb[CTRIPC_A_ENV], env, ARGV_MAX);
		if (envc < 0)
			return ctl_fail(req, -E2BIG, "more than %d environment variables",
					ARGV_MAX);
		for (int i = 0; i < envc; i++)
			if (!strchr(env[i], '=') || env[i][0] == '=')
				return ctl_fail(req, -EINVAL,
						"environment entry '%s' is not KEY=VALUE", env[i]);
	}
	r = container_exec_prepare(d, c, &req->cred, argv, argc, env, envc,
				   req->tb[CTRIPC_A_TTY] != NULL, path, sizeof(path), why,
				   sizeof(why));
	if (r < 0)
		return ctl_fail(req, r, "cannot exec in container '%s': %s", c->name,
				why[0] ? why : strerror(-r));
	PUT(nla_put_string(m, CTRIPC_A_SOCKET, path));
	return 0;
}

/* Chunks of STATE/containers/NAME/log from the requested offset; the cursor is the offset. */
int cmd_container_logs(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	char dir[CTRIPC_PATH_MAX], path[CTRIPC_PATH_MAX + 8], buf[CTRIPC_LOG_CHUNK];
	struct container *c;
	ssize_t n;
	int fd, r = 0;

	c = lookup(d, req, &r);
	if (!c)
		return r;
	if (*cursor == 0 && req->tb[CTRIPC_A_OFFSET])
		*cursor = nla_get_u64(req->tb[CTRIPC_A_OFFSET]);
	if (container_dir(d, c->name, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : ctl_fail(req, -errno, "cannot read %s: %s", path, strerror(errno));
	n = pread(fd, buf, sizeof(buf), (off_t)*cursor);
	close(fd);
	if (n < 0)
		return ctl_fail(req, -EIO, "cannot read %s: %s", path, strerror(errno));
	if (n == 0)
		return 0;
	PUT(nla_put_u64(m, CTRIPC_A_OFFSET, *cursor));
	PUT(nla_put(m, CTRIPC_A_DATA, (int)n, buf));
	*cursor += (uint64_t)n;
	return 1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Virtual hardware in user space: the resources, the devices of containers
 * on them, and the rules of who gets an event.
 *
 * The target of a resource's events is its focus container; if that one is
 * barred, the container its bar redirects to; else the most recently
 * focused container that is not barred.  Whenever the target changes, the
 * old one gets key-up records for the keys it still holds, so that nothing
 * sticks, and the new one starts from the next event: nothing stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ctr_vdev.h>
#include <linux/input-event-codes.h>

#include "container.h"
#include "daemon.h"
#include "log.h"
#include "vdev.h"

/* 256 records queued per device, as the module's ring. */
#define VDEV_PIPE_SIZE (CTR_VDEV_RING_LEN * (int)sizeof(struct ctr_vdev_event))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vdev_path(const struct daemon *d, const char *container, const char *name, char *buf,
	      size_t len)
{
	int n = snprintf(buf, len, "%s/vdev/%s/%s", d->cfg.run_dir, container, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

struct vdev_res *vdev_res_find(struct daemon *d, const char *what)
{
	char *end;
	unsigned long id = strtoul(what, &end, 10);

	for (struct vdev_res *r = d->vdev.res; r; r = r->next)
		if ((*what && !*end && r->id == id) || strcmp(r->name, what) == 0)
			return r;
	return NULL;
}

struct vdev_dev *vdev_dev_find(struct daemon *d, const char *container, const char *name)
{
	for (struct vdev_res *r = d->vdev.res; r; r = r->next)
		for (struct vdev_dev *v = r->devs; v; v = v->next)
			if (strcmp(v->container, container) == 0 && strcmp(v->name, name) == 0)
				return v;
	return NULL;
}

struct vdev_dev *vdev_dev_of(struct vdev_res *r, const char *container)
{
	for (struct vdev_dev *v = r->devs; v; v = v->next)
		if (strcmp(v->container, container) == 0)
			return v;
	return NULL;
}

const char *vdev_res_focus(const struct vdev_res *r)
{
	if (r->mirrored)
		return r->focus[0] ? r->focus : NULL;
	return r->nhistory ? r->history[0] : NULL;
}

/* Queue one record; a full queue counts a loss and marks it before the next record. */
static bool put_record(struct vdev_dev *v, uint64_t time_ns, uint16_t type, uint16_t code,
		       int32_t value)
{
	struct ctr_vdev_event rec[2];
	int n = 0, queued = 0;

	if (v->lost) {
		rec[n++] = (struct ctr_vdev_event){ .time_ns = time_ns,
						    .type = CTR_VDEV_EV_SYN,
						    .code = CTR_VDEV_SYN_DROPPED,
						    .value = (int32_t)v->lost };
	}
	rec[n++] = (struct ctr_vdev_event){
		.time_ns = time_ns, .type = type, .code = code, .value = value
	};
	/* 256 records queued at most, as the module's ring; within PIPE_BUF, all or nothing. */
	if (ioctl(v->fd, FIONREAD, &queued) < 0 ||
	    (size_t)queued + (size_t)n * sizeof(rec[0]) > VDEV_PIPE_SIZE ||
	    write(v->fd, rec, (size_t)n * sizeof(rec[0])) < 0) {
		v->lost++;
		v->dropped++;
		return false;
	}
	v->lost = 0;
	v->delivered++;
	return true;
}

/* Key-up for every key @v still holds, then a SYN_REPORT. */
static void release_keys(struct vdev_dev *v)
{
	uint64_t t = now_ns();
	bool any = false;

	for (int code = 0; code < VDEV_KEY_BITS; code++) {
		if (!(v->keys[code / 8] & (1u << (code % 8))))
			continue;
		put_record(v, t, EV_KEY, (uint16_t)code, 0);
		any = true;
	}
	memset(v->keys, 0, sizeof(v->keys));
	if (any)
		put_record(v, t, EV_SYN, SYN_REPORT, 0);
}

/* A device that may get events: its container runs, and it is not barred. */
static bool takes(const struct vdev_dev *v)
{
	return v && v->active && !v->barred;
}

static struct vdev_dev *pick_target(struct vdev_res *r)
{
	struct vdev_dev *focus = r->nhistory ? vdev_dev_of(r, r->history[0]) : NULL;

	if (!focus)
		return NULL;
	if (takes(focus))
		return focus;
	if (focus->barred && focus->redirect[0] && takes(vdev_dev_of(r, focus->redirect)))
		return vdev_dev_of(r, focus->redirect);
	for (int i = 1; i < r->nhistory; i++)
		if (takes(vdev_dev_of(r, r->history[i])))
			return vdev_dev_of(r, r->history[i]);
	return NULL;
}

/* A watcher whose client is gone is dropped. */
void vdev_notify(struct daemon *d, const char *event, const struct vdev_res *r,
		 const char *container)
{
	for (struct ctl_deferred **pp = &d->vdev.watchers; *pp;) {
		struct ctl_deferred *w = *pp;
		struct nl_msg *m = ctl_interim_new(&d->ctl, w);
		int e = -ENOMEM;

		if (m && nla_put_string(m, CTRIPC_A_EVENT, event) == 0 &&
		    nla_put_u32(m, CTRIPC_A_RES_ID, r->id) == 0 &&
		    nla_put_string(m, CTRIPC_A_RESOURCE, r->name) == 0 &&
		    (!*container || nla_put_string(m, CTRIPC_A_CONTAINER, container) == 0) &&
		    (!vdev_res_focus(r) ||
		     nla_put_string(m, CTRIPC_A_FOCUS, vdev_res_focus(r)) == 0) &&
		    (!r->target || nla_put_string(m, CTRIPC_A_TARGET, r->target->container) == 0))
			e = ctl_interim_send(&d->ctl, w, m);
		else if (m)
			nlmsg_free(m);
		if (e == -ECONNREFUSED) {
			*pp = w->next;
			free(w);
			continue;
		}
		pp = &w->next;
	}
}

void vdev_watch(struct daemon *d, struct ctl_deferred *w)
{
	w->next = d->vdev.watchers;
	d->vdev.watchers = w;
}

/* After any change of focus, bar or devices: who gets the events now. */
static void user_routing(struct daemon *d, struct vdev_res *r)
{
	struct vdev_dev *next = pick_target(r);

	vdev_evdev_grab(r);
	if (next == r->target)
		return;
	if (r->target)
		release_keys(r->target);
	r->target = next;
	log_info("vdev: events of resource %u (%s) now go to %s", r->id, r->name,
		 next ? next->container : "nobody");
	vdev_notify(d, "target", r, next ? next->container : "");
}

static void history_remove(struct vdev_res *r, const char *container)
{
	for (int i = 0; i < r->nhistory; i++) {
		if (strcmp(r->history[i], container) != 0)
			continue;
		memmove(r->history[i], r->history[i + 1],
			(size_t)(r->nhistory - i - 1) * sizeof(r->history[0]));
		r->nhistory--;
		return;
	}
}

static bool key_down(const struct vdev_dev *v, uint16_t code)
{
	return v->keys[code / 8] & (1u << (code % 8));
}

/* A key-up or repeat for a key @v never got down is stale: not delivered. */
static bool key_stale(const struct vdev_dev *v, const struct vdev_event *ev)
{
	return ev->type == EV_KEY && ev->code < VDEV_KEY_BITS && ev->value != 1 &&
	       !key_down(v, ev->code);
}

/*
 * One packet (events up to a SYN_REPORT), as the module routes them: a
 * packet whose only key events are stale (a key released after a focus
 * switch) is dropped whole, its MSC_SCAN and SYN_REPORT too; otherwise the
 * stale key events alone are left out.
 */
void vdev_deliver_packet(struct vdev_res *r, const struct vdev_event *evs, size_t n)
{
	struct vdev_dev *v = r->target;
	size_t kept = 0, stale = 0;

	r->events_in += n;
	if (!v) {
		r->dropped += n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (evs[i].type == EV_KEY)
			key_stale(v, &evs[i]) ? stale++ : kept++;
		else if (evs[i].type != EV_SYN && evs[i].type != EV_MSC)
			kept++;
	}
	if (stale && !kept) {
		r->dropped += n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vdev_event *ev = &evs[i];

		if (key_stale(v, ev)) {
			r->dropped++;
			continue;
		}
		if (!put_record(v, ev->time_ns, ev->type, ev->code, ev->value))
			continue; /* counted by the device: its queue is full */
		r->delivered++;
		if (r->nhistory && strcmp(v->container, r->history[0]) != 0)
			r->redirected++;
		if (ev->type == EV_KEY && ev->code < VDEV_KEY_BITS) {
			if (ev->value == 1)
				v->keys[ev->code / 8] |= (uint8_t)(1u << (ev->code % 8));
			else if (ev->value == 0)
				v->keys[ev->code / 8] &= (uint8_t) ~(1u << (ev->code % 8));
		}
	}
}

void vdev_feed(struct vdev_res *r, const struct vdev_event *ev)
{
	r->pkt[r->npkt++] = *ev;
	if ((ev->type == EV_SYN && ev->code == SYN_REPORT) || r->npkt == VDEV_PACKET_MAX) {
		vdev_deliver_packet(r, r->pkt, r->npkt);
		r->npkt = 0;
	}
}

static int user_focus(struct daemon *d, struct vdev_res *r, const char *container, char *err,
		      size_t errlen)
{
	return 0;
}

int vdev_focus(struct daemon *d, struct vdev_res *r, const char *container, char *err,
	       size_t errlen)
{
	int e;

	if (!vdev_dev_of(r, container))
		return -ENOENT;
	e = d->vdev.ops->focus(d, r, container, err, errlen);
	if (e < 0)
		return e;
	/* Most recently focused first: where the events go when the focus holder is barred. */
	history_remove(r, container);
	if (r->nhistory == VDEV_HISTORY)
		r->nhistory--;
	memmove(r->history[1], r->history[0], (size_t)r->nhistory * sizeof(r->history[0]));
	snprintf(r->history[0], sizeof(r->history[0]), "%s", container);
	r->nhistory++;
	vdev_notify(d, "focus", r, container);
	d->vdev.ops->routing(d, r);
	return 0;
}

static int set_bar(struct daemon *d, struct vdev_dev *v, bool barred, const char *redirect,
		   char *err, size_t errlen)
{
	bool was = v->barred;
	char before[sizeof(v->redirect)];
	int e;

	memcpy(before, v->redirect, sizeof(before));
	v->barred = barred;
	snprintf(v->redirect, sizeof(v->redirect), "%s", redirect ? redirect : "");
	e = d->vdev.ops->bar(d, v, err, errlen);
	if (e < 0) {
		v->barred = was;
		memcpy(v->redirect, before, sizeof(before));
		return e;
	}
	vdev_notify(d, barred ? "blocked" : "unblocked", v->res, v->container);
	d->vdev.ops->routing(d, v->res);
	return 0;
}

int vdev_block(struct daemon *d, struct vdev_dev *v, const char *redirect, char *err, size_t errlen)
{
	return set_bar(d, v, true, redirect, err, errlen);
}

int vdev_unblock(struct daemon *d, struct vdev_dev *v, char *err, size_t errlen)
{
	return set_bar(d, v, false, NULL, err, errlen);
}

struct vdev_res *vdev_res_add(struct daemon *d, uint32_t id, const char *name, const char *phys)
{
	struct vdev_res *r, **tail;

	r = calloc(1, sizeof(*r));
	if (!r || !(r->pkt = calloc(VDEV_PACKET_MAX, sizeof(*r->pkt)))) {
		free(r);
		return NULL;
	}
	r->id = id ? id : ++d->vdev.next_id;
	r->src_fd = -1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->phys, sizeof(r->phys), "%s", phys);
	for (tail = &d->vdev.res; *tail; tail = &(*tail)->next)
		;
	*tail = r;
	return r;
}

int vdev_sim_add(struct daemon *d, const char *name, char *err, size_t errlen)
{
	char phys[64];
	struct vdev_res *r;

	if (vdev_res_find(d, name)) {
		snprintf(err, errlen, "a resource named '%s' exists already", name);
		return -EEXIST;
	}
	snprintf(phys, sizeof(phys), "sim/%s", name);
	r = vdev_res_add(d, 0, name, phys);
	if (!r)
		return -ENOMEM;
	r->simulated = true;
	log_info("vdev: simulated resource %u (%s) added", r->id, r->name);
	vdev_notify(d, "added", r, "");
	return 0;
}

/*
 * @v goes (detached, its resource gone, the daemon stopping): its device
 * file, and its node in the container if that runs (a stopped one lost its
 * mounts with its namespace).
 */
static void dev_free(struct daemon *d, struct vdev_dev *v)
{
	struct container *c = container_find(d, v->container);
	char err[256];

	if (c && c->state == CTR_RUNNING &&
	    container_unplace(c->init_pid, c->uid_base, "/dev/vdev", v->name, err, sizeof(err)) < 0)
		log_warn("vdev: cannot remove /dev/vdev/%s from container '%s': %s", v->name,
			 v->container, err);
	d->vdev.ops->dev_close(d, v);
	free(v);
}

void vdev_res_remove(struct daemon *d, struct vdev_res *r)
{
	for (struct vdev_res **pp = &d->vdev.res; *pp; pp = &(*pp)->next) {
		if (*pp != r)
			continue;
		*pp = r->next;
		r->target = NULL; /* its devices go with it */
		r->nhistory = 0;
		while (r->devs) {
			struct vdev_dev *v = r->devs;

			r->devs = v->next;
			dev_free(d, v);
		}
		if (r->src_fd >= 0)
			close(r->src_fd); /* which ends its grab */
		free(r->pkt);
		log_info("vdev: resource %u (%s) removed", r->id, r->name);
		vdev_notify(d, "removed", r, "");
		free(r);
		return;
	}
}

int vdev_sim_remove(struct daemon *d, struct vdev_res *r)
{
	vdev_res_remove(d, r);
	return 0;
}

/*
 * Place @path at /dev/vdev/@name in the mount namespace of @init: a child
 * clones it as a detached mount here, enters that namespace and attaches it.
 */
int vdev_place_node(pid_t init, uint32_t uid_base, const char *path, const char *name, char *err,
		    size_t errlen)
{
	return container_place(init, uid_base, path, "/dev/vdev", name, false, err, errlen);
}

static int make_fifo(struct daemon *d, const struct container *c, const char *name, char *path,
		     size_t len)
{
	char top[PATH_MAX], dir[PATH_MAX];
	int fd, r;

	r = path_join(top, sizeof(top), d->cfg.run_dir, "vdev", NULL);
	if (r < 0)
		return r;
	if (mkdir(top, 0700) < 0 && errno != EEXIST)
		return -errno;
	r = path_join(dir, sizeof(dir), top, c->name, NULL);
	if (r < 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	r = vdev_path(d, c->name, name, path, len);
	if (r < 0)
		return r;
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		return -errno;
	/* The container's root opens it: in a user namespace, that is the block's first uid. */
	if (c->uid_base && chown(path, c->uid_base, c->uid_base) < 0)
		return -errno;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

/* User backend: a FIFO in RUN_DIR/vdev/CONTAINER, placed in the container when it runs. */
static int user_dev_open(struct daemon *d, struct container *c, struct vdev_dev *v, char *err,
			 size_t errlen)
{
	char path[PATH_MAX];
	int e;

	v->fd = make_fifo(d, c, v->name, path, sizeof(path));
	if (v->fd < 0) {
		e = v->fd;
		snprintf(err, errlen, "cannot make the device file %s: %s", path, strerror(-e));
		return e;
	}
	if (c->state == CTR_RUNNING) {
		e = vdev_place_node(c->init_pid, c->uid_base, path, v->name, err, errlen);
		if (e < 0) {
			close(v->fd);
			unlink(path);
			return e;
		}
	}
	return 0;
}

static void user_dev_close(struct daemon *d, struct vdev_dev *v)
{
	char path[PATH_MAX];

	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	if (vdev_path(d, v->container, v->name, path, sizeof(path)) == 0)
		unlink(path);
}

int vdev_attach(struct daemon *d, struct container *c, struct vdev_res *r, const char *name,
		char *err, size_t errlen)
{
	struct vdev_dev *v, **tail;
	int e;

	char fallback[VDEV_NAME_MAX];

	if (!name) {
		/* The resource's name, as a file name: "AT Translated Set 2 keyboard" gives
		 * "AT-Translated-Set-2-keyboard". */
		snprintf(fallback, sizeof(fallback), "%s", r->name);
		for (char *p = fallback; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "_.-",
				    *p) ||
			    (p == fallback &&
			     !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9'))))
				*p = '-';
		name = fallback;
	}
	if (vdev_dev_of(r, c->name)) {
		snprintf(err, errlen, "container '%s' has a device on resource %u (%s) already",
			 c->name, r->id, r->name);
		return -EEXIST;
	}
	if (vdev_dev_find(d, c->name, name)) {
		snprintf(err, errlen, "container '%s' has a device named '%s' already", c->name,
			 name);
		return -EEXIST;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fd = -1;
	v->res = r;
	v->active = c->state == CTR_RUNNING;
	snprintf(v->container, sizeof(v->container), "%s", c->name);
	snprintf(v->name, sizeof(v->name), "%s", name);
	e = d->vdev.ops->dev_open(d, c, v, err, errlen);
	if (e < 0) {
		free(v);
		return e;
	}
	for (tail = &r->devs; *tail; tail = &(*tail)->next)
		;
	*tail = v;
	vdev_notify(d, "attached", r, c->name);
	d->vdev.ops->routing(d, r);
	log_info("vdev: container '%s' attached to resource %u (%s) as /dev/vdev/%s", c->name,
		 r->id, r->name, name);
	return 0;
}

void vdev_detach(struct daemon *d, struct vdev_dev *v)
{
	struct vdev_res *r = v->res;

	for (struct vdev_dev **pp = &r->devs; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	if (r->target == v)
		r->target = NULL; /* it goes: nothing to release to */
	history_remove(r, v->container);
	log_info("vdev: container '%s' detached from resource %u (%s)", v->container, r->id,
		 r->name);
	vdev_notify(d, "detached", r, v->container);
	dev_free(d, v);
	d->vdev.ops->routing(d, r);
}

static void user_container_started(struct daemon *d, struct container *c)
{
	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		struct vdev_dev *v = vdev_dev_of(r, c->name);
		char path[PATH_MAX], err[256];

		if (!v || vdev_path(d, c->name, v->name, path, sizeof(path)) < 0)
			continue;
		if (vdev_place_node(c->init_pid, c->uid_base, path, v->name, err, sizeof(err)) < 0)
			log_warn("vdev: cannot place /dev/vdev/%s in container '%s': %s", v->name,
				 c->name, err);
		v->active = true;
		d->vdev.ops->routing(d, r);
	}
}

static void user_container_stopped(struct daemon *d, struct container *c)
{
	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		struct vdev_dev *v = vdev_dev_of(r, c->name);
		char buf[4096];

		if (!v)
			continue;
		v->active = false;
		if (r->target == v)
			r->target = NULL; /* its keys are nobody's now: nothing to release */
		/* What it did not read is stale for its next run. */
		while (read(v->fd, buf, sizeof(buf)) > 0)
			;
		memset(v->keys, 0, sizeof(v->keys));
		v->lost = 0;
		d->vdev.ops->routing(d, r);
	}
}

static int user_refresh(struct daemon *d, char *err, size_t errlen)
{
	return 0;
}

static int user_bar(struct daemon *d, struct vdev_dev *v, char *err, size_t errlen)
{
	return 0;
}

static void user_free(struct daemon *d)
{
	vdev_evdev_stop(d);
}

const struct vdev_ops vdev_user_ops = {
	.name = "user",
	.simulated = true,
	.dev_open = user_dev_open,
	.dev_close = user_dev_close,
	.focus = user_focus,
	.bar = user_bar,
	.routing = user_routing,
	.refresh = user_refresh,
	.container_started = user_container_started,
	.container_stopped = user_container_stopped,
	.free = user_free,
};

void vdev_container_started(struct daemon *d, struct container *c)
{
	d->vdev.ops->container_started(d, c);
}

void vdev_container_stopped(struct daemon *d, struct container *c)
{
	d->vdev.ops->container_stopped(d, c);
}

int vdev_refresh(struct daemon *d, char *err, size_t errlen)
{
	return d->vdev.ops->refresh(d, err, errlen);
}

int vdev_init(struct daemon *d, char *err, size_t errlen)
{
	int r;

	d->vdev.ops = &vdev_user_ops;
	d->vdev.event_fd = d->vdev.inotify_fd = -1;
	if (d->cfg.vdev_backend == VDEV_BACKEND_USER) {
		log_info("vdev: user-space backend (vdev_backend = user)");
	} else {
		r = vdev_kmod_open(d, err, errlen);
		if (r == 0)
			return 0;
		if (d->cfg.vdev_backend == VDEV_BACKEND_KMOD)
			return r;
		log_info("vdev: user-space backend (%s)", err);
	}
	r = vdev_evdev_start(d);
	if (r < 0) /* simulated resources still work */
		log_warn("vdev: input devices cannot be watched: %s", strerror(-r));
	return 0;
}

void vdev_on_event(struct daemon *d)
{
	if (d->vdev.kmod)
		vdev_kmod_on_event(d);
	else
		vdev_evdev_on_event(d);
}

/* A device that can receive now: the FIFO (user), or the module's device (kmod, running). */
static bool dev_usable(const struct vdev_dev *v)
{
	return v->fd >= 0 || v->created;
}

void vdev_focus_fallback(struct daemon *d, struct vdev_res *r, const char *gone)
{
	struct vdev_dev *next = NULL;
	char err[256];

	for (int i = 0; !next && i < r->nhistory; i++) {
		struct vdev_dev *v = vdev_dev_of(r, r->history[i]);

		if (v && dev_usable(v) && strcmp(v->container, gone) != 0)
			next = v;
	}
	for (struct vdev_dev *v = r->devs; !next && v; v = v->next)
		if (dev_usable(v) && strcmp(v->container, gone) != 0)
			next = v;
	if (!next)
		return;
	if (vdev_focus(d, r, next->container, err, sizeof(err)) < 0)
		log_warn("vdev: cannot give the focus of resource %u (%s) to '%s': %s", r->id,
			 r->name, next->container, err);
	else
		log_info("vdev: focus of resource %u (%s) falls back to '%s'", r->id, r->name,
			 next->container);
}

void vdev_container_removed(struct daemon *d, const char *name)
{
	char top[PATH_MAX], dir[PATH_MAX];

	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		struct vdev_dev *v = vdev_dev_of(r, name);
		bool had_focus;

		if (!v)
			continue;
		had_focus = vdev_res_focus(r) && strcmp(vdev_res_focus(r), name) == 0;
		vdev_detach(d, v);
		if (had_focus)
			vdev_focus_fallback(d, r, name);
	}
	if (path_join(top, sizeof(top), d->cfg.run_dir, "vdev", NULL) == 0 &&
	    path_join(dir, sizeof(dir), top, name, NULL) == 0)
		rmdir(dir);
}

void vdev_free(struct daemon *d)
{
	while (d->vdev.watchers) {
		struct ctl_deferred *w = d->vdev.watchers;

		d->vdev.watchers = w->next;
		ctl_complete(&d->ctl, w, -ESHUTDOWN, "ctr-ipcd is stopping");
	}
	if (!d->vdev.ops)
		return; /* never started */
	while (d->vdev.res) {
		struct vdev_res *r = d->vdev.res;

		d->vdev.res = r->next;
		while (r->devs) {
			struct vdev_dev *v = r->devs;

			r->devs = v->next;
			dev_free(d, v);
		}
		if (r->src_fd >= 0)
			close(r->src_fd);
		free(r->pkt);
		free(r);
	}
	d->vdev.ops->free(d);
}

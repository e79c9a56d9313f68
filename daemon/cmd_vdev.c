// SPDX-License-Identifier: GPL-2.0-or-later
/* vdev commands: resources, devices of containers, focus, bar and redirect. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/input-event-codes.h>

#include "daemon.h"
#include "handlers.h"
#include "log.h"
#include "vdev.h"

static const char name_rule[] =
	"1 to 31 letters, digits, '_', '.' or '-', starting with a letter or digit";

static bool vdev_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VDEV_NAME_MAX ||
	    !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static const char *str(const struct ctl_req *req, int attr)
{
	return req->tb[attr] ? nla_get_string(req->tb[attr]) : NULL;
}

/* The backend offers simulated resources, or a sentence saying it does not. */
static bool need_simulation(struct daemon *d, struct ctl_req *req, const char *what)
{
	if (d->vdev.ops->simulated)
		return true;
	ctl_fail(req, -EOPNOTSUPP,
		 "%s works with simulated resources, which only the user-space backend has; this "
		 "ctr-ipcd uses the ctr_vdev kernel module (set vdev_backend = user in "
		 "ctr-ipcd.conf and restart it to simulate)",
		 what);
	return false;
}

static struct vdev_res *need_res(struct daemon *d, struct ctl_req *req)
{
	const char *what = str(req, CTRIPC_A_RESOURCE);
	struct vdev_res *r;

	if (vdev_refresh(d, req->err, req->errlen) < 0)
		return NULL;
	r = vdev_res_find(d, what);

	if (!r)
		ctl_fail(req, -ENOENT, "no resource '%s' (see 'ctr-ipc vdev resources')", what);
	return r;
}

static struct container *need_container(struct daemon *d, struct ctl_req *req, int attr)
{
	const char *name = str(req, attr);
	struct container *c = container_find(d, name);

	if (!c)
		ctl_fail(req, -ENOENT, "no container '%s' (see 'ctr-ipc container ls')", name);
	return c;
}

/* @container's device on @r, or a sentence saying to attach one. */
static struct vdev_dev *need_dev_on(struct ctl_req *req, struct vdev_res *r, const char *container)
{
	for (struct vdev_dev *v = r->devs; v; v = v->next)
		if (strcmp(v->container, container) == 0)
			return v;
	ctl_fail(req, -ENOENT,
		 "container '%s' has no device on resource %u (%s); attach one first: "
		 "ctr-ipc vdev attach %s %s",
		 container, r->id, r->name, container, r->name);
	return NULL;
}

static int put_res(struct nl_msg *m, const struct vdev_res *r, const char *backend)
{
	PUT(nla_put_u32(m, CTRIPC_A_RES_ID, r->id));
	PUT(nla_put_string(m, CTRIPC_A_RESOURCE, r->name));
	PUT(nla_put_string(m, CTRIPC_A_RES_PHYS, r->phys));
	PUT(nla_put_string(m, CTRIPC_A_BACKEND, backend));
	if (r->simulated)
		PUT(nla_put_flag(m, CTRIPC_A_SIMULATED));
	if (vdev_res_focus(r))
		PUT(nla_put_string(m, CTRIPC_A_FOCUS, vdev_res_focus(r)));
	if (r->target)
		PUT(nla_put_string(m, CTRIPC_A_TARGET, r->target->container));
	return 0;
}

static int put_dev(struct nl_msg *m, const struct vdev_dev *v)
{
	PUT(nla_put_string(m, CTRIPC_A_CONTAINER, v->container));
	PUT(nla_put_string(m, CTRIPC_A_DEVICE, v->name));
	PUT(nla_put_u32(m, CTRIPC_A_RES_ID, v->res->id));
	PUT(nla_put_string(m, CTRIPC_A_RESOURCE, v->res->name));
	if (v->barred)
		PUT(nla_put_flag(m, CTRIPC_A_BARRED));
	if (v->redirect[0])
		PUT(nla_put_string(m, CTRIPC_A_REDIRECT, v->redirect));
	if (v->res->target)
		PUT(nla_put_string(m, CTRIPC_A_TARGET, v->res->target->container));
	return 0;
}

int cmd_vdev_resources(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	uint64_t i = 0;
	int e;

	if (*cursor == 0 && (e = vdev_refresh(d, req->err, req->errlen)) < 0)
		return e;
	for (struct vdev_res *r = d->vdev.res; r; r = r->next, i++) {
		if (i < *cursor)
			continue;
		*cursor = i + 1;
		PUT(put_res(m, r, d->vdev.ops->name));
		return 1;
	}
	return 0;
}

int cmd_vdev_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	const char *only = str(req, CTRIPC_A_CONTAINER);
	uint64_t i = 0;
	int e;

	if (only && *cursor == 0 && !container_find(d, only))
		return ctl_fail(req, -ENOENT, "no container '%s' (see 'ctr-ipc container ls')",
				only);
	if (*cursor == 0 && (e = vdev_refresh(d, req->err, req->errlen)) < 0)
		return e;
	for (struct vdev_res *r = d->vdev.res; r; r = r->next)
		for (struct vdev_dev *v = r->devs; v; v = v->next, i++) {
			if (i < *cursor)
				continue;
			*cursor = i + 1;
			if (only && strcmp(v->container, only) != 0)
				continue;
			PUT(put_dev(m, v));
			return 1;
		}
	return 0;
}

/* One entry per resource, each followed by one per device on it. */
int cmd_vdev_stats(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	const char *only = str(req, CTRIPC_A_RESOURCE);
	struct vdev_res *want;
	uint64_t i = 0;
	int e;

	if (*cursor == 0 && (e = vdev_refresh(d, req->err, req->errlen)) < 0)
		return e;
	want = only ? vdev_res_find(d, only) : NULL;
	if (only && !want)
		return ctl_fail(req, -ENOENT, "no resource '%s' (see 'ctr-ipc vdev resources')",
				only);
	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		if (want && r != want)
			continue;
		if (i++ >= *cursor) {
			*cursor = i;
			PUT(nla_put_u32(m, CTRIPC_A_RES_ID, r->id));
			PUT(nla_put_string(m, CTRIPC_A_RESOURCE, r->name));
			PUT(nla_put_u64(m, CTRIPC_A_EVENTS_IN, r->events_in));
			PUT(nla_put_u64(m, CTRIPC_A_DELIVERED, r->delivered));
			PUT(nla_put_u64(m, CTRIPC_A_DROPPED, r->dropped));
			PUT(nla_put_u64(m, CTRIPC_A_REDIRECTED, r->redirected));
			return 1;
		}
		for (struct vdev_dev *v = r->devs; v; v = v->next) {
			if (i++ < *cursor)
				continue;
			*cursor = i;
			PUT(nla_put_u32(m, CTRIPC_A_RES_ID, r->id));
			PUT(nla_put_string(m, CTRIPC_A_RESOURCE, r->name));
			PUT(nla_put_string(m, CTRIPC_A_CONTAINER, v->container));
			PUT(nla_put_string(m, CTRIPC_A_DEVICE, v->name));
			PUT(nla_put_u64(m, CTRIPC_A_DELIVERED, v->delivered));
			PUT(nla_put_u64(m, CTRIPC_A_DROPPED, v->dropped));
			PUT(nla_put_u64(m, CTRIPC_A_REFUSED_WRITES, v->refused_writes));
			return 1;
		}
	}
	return 0;
}

int cmd_vdev_attach(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *name = str(req, CTRIPC_A_DEVICE);
	struct container *c = need_container(d, req, CTRIPC_A_CONTAINER);
	struct vdev_res *r = c ? need_res(d, req) : NULL;

	if (!r)
		return -ENOENT;
	if (name && !vdev_name_valid(name))
		return ctl_fail(req, -EINVAL, "invalid device name '%s': %s", name, name_rule);
	return vdev_attach(d, c, r, name, req->err, req->errlen);
}

int cmd_vdev_detach(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *container = str(req, CTRIPC_A_CONTAINER), *name = str(req, CTRIPC_A_DEVICE);
	struct vdev_dev *v = vdev_dev_find(d, container, name);

	if (!v)
		return ctl_fail(req, -ENOENT,
				"container '%s' has no device '%s' (see 'ctr-ipc vdev ls %s')",
				container, name, container);
	vdev_detach(d, v);
	return 0;
}

int cmd_vdev_focus(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct container *c = need_container(d, req, CTRIPC_A_CONTAINER);
	struct vdev_res *r = c ? need_res(d, req) : NULL;
	int e;

	if (!r || !need_dev_on(req, r, c->name))
		return -ENOENT;
	e = vdev_focus(d, r, c->name, req->err, req->errlen);
	if (e < 0)
		return e;
	log_info("vdev: focus of resource %u (%s) on '%s'", r->id, r->name, c->name);
	return 0;
}

int cmd_vdev_block(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *redirect = str(req, CTRIPC_A_REDIRECT);
	struct container *c = need_container(d, req, CTRIPC_A_CONTAINER);
	struct vdev_res *r = c ? need_res(d, req) : NULL;
	struct vdev_dev *v = r ? need_dev_on(req, r, c->name) : NULL;
	int e;

	if (!v)
		return -ENOENT;
	if (redirect) {
		if (strcmp(redirect, c->name) == 0)
			return ctl_fail(
				req, -EINVAL,
				"--redirect names the barred container itself; name another");
		if (!container_find(d, redirect))
			return ctl_fail(
				req, -ENOENT,
				"--redirect: no container '%s' (see 'ctr-ipc container ls')",
				redirect);
		if (!need_dev_on(req, r, redirect))
			return -ENOENT;
	}
	e = vdev_block(d, v, redirect, req->err, req->errlen);
	if (e < 0)
		return e;
	log_info("vdev: '%s' barred from resource %u (%s)%s%s", c->name, r->id, r->name,
		 redirect ? ", its events to " : "", redirect ? redirect : "");
	return 0;
}

int cmd_vdev_unblock(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct container *c = need_container(d, req, CTRIPC_A_CONTAINER);
	struct vdev_res *r = c ? need_res(d, req) : NULL;
	struct vdev_dev *v = r ? need_dev_on(req, r, c->name) : NULL;

	if (!v)
		return -ENOENT;
	return vdev_unblock(d, v, req->err, req->errlen);
}

int cmd_vdev_sim_add(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *name = str(req, CTRIPC_A_RESOURCE);

	if (!need_simulation(d, req, "vdev sim add"))
		return -EOPNOTSUPP;
	if (!vdev_name_valid(name) || strspn(name, "0123456789") == strlen(name))
		return ctl_fail(req, -EINVAL, "invalid resource name '%s': %s, not all digits",
				name, name_rule);
	return vdev_sim_add(d, name, req->err, req->errlen);
}

int cmd_vdev_sim_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct vdev_res *r;

	if (!need_simulation(d, req, "vdev sim rm"))
		return -EOPNOTSUPP;
	r = need_res(d, req);
	if (!r)
		return -ENOENT;
	if (!r->simulated)
		return ctl_fail(req, -EPERM,
				"resource %u (%s) is a real device, not a simulated one", r->id,
				r->name);
	return vdev_sim_remove(d, r);
}

int cmd_vdev_inject(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct vdev_res *r;
	struct vdev_event ev = {
		.type = (uint16_t)nla_get_u32(req->tb[CTRIPC_A_EV_TYPE]),
		.code = (uint16_t)nla_get_u32(req->tb[CTRIPC_A_EV_CODE]),
		.value = (int32_t)nla_get_u32(req->tb[CTRIPC_A_EV_VALUE]),
	};
	struct timespec ts;

	if (!need_simulation(d, req, "vdev inject"))
		return -EOPNOTSUPP;
	r = need_res(d, req);
	if (!r)
		return -ENOENT;
	if (!r->simulated)
		return ctl_fail(req, -EOPNOTSUPP,
				"resource %u (%s) is a real device; inject works on simulated ones",
				r->id, r->name);
	if (nla_get_u32(req->tb[CTRIPC_A_EV_TYPE]) > EV_MAX ||
	    nla_get_u32(req->tb[CTRIPC_A_EV_CODE]) > KEY_MAX)
		return ctl_fail(req, -ERANGE, "the event type must be 0 to %d and the code 0 to %d",
				EV_MAX, KEY_MAX);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	vdev_feed(r, &ev);
	return 0;
}

int cmd_vdev_watch(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct ctl_deferred *w = ctl_defer(req);

	if (!w)
		return -ENOMEM;
	vdev_watch(d, w);
	return CTL_DEFERRED;
}

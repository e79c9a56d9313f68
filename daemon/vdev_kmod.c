// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Virtual hardware through the ctr_vdev kernel module (ctr_vdev(4)): the
 * module routes the events; the daemon configures it over the generic
 * netlink family "ctr_vdev" and places the module's device nodes in the
 * containers.
 *
 * Two sockets: one for requests, used synchronously (the module answers at
 * once), and one in the event loop for the "events" multicast group
 * (hot-plug, focus and bar changes), whose news reach the vdev watchers.
 * The resources and the routing state the daemon shows mirror the module's,
 * refreshed from its dumps before they are listed.
 *
 * A container is registered with the module (by its init's pid namespace)
 * while it runs and has devices: attach or start registers it and creates
 * its devices, stop unregisters it (which destroys them in the module); the
 * daemon keeps the attachments for the next start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/ctr_vdev.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "container.h"
#include "daemon.h"
#include "log.h"
#include "vdev.h"

/* A request the module does not answer within this time is given up (it answers at once). */
#define KMOD_TIMEOUT_MS 3000

struct vdev_kmod {
	struct nl_sock *req; /* requests and their answers */
	struct nl_sock *ev;  /* the events group */
	int family;
	char (*registered)[CTR_VDEV_NAME_MAX]; /* containers the module knows */
	size_t nregistered;
};

static const struct nla_policy reply_policy[CTR_VDEV_A_MAX + 1] = {
	[CTR_VDEV_A_CONTAINER] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_RESOURCE] = { .type = NLA_U32 },
	[CTR_VDEV_A_NAME] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_REDIRECT] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_RES_NAME] = { .type = NLA_NUL_STRING },
	[CTR_VDEV_A_RES_PHYS] = { .type = NLA_NUL_STRING },
	[CTR_VDEV_A_RES_EVBITS] = { .type = NLA_U32 },
	[CTR_VDEV_A_FOCUS] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_TARGET] = { .type = NLA_NUL_STRING, .maxlen = CTR_VDEV_NAME_MAX },
	[CTR_VDEV_A_BARRED] = { .type = NLA_FLAG },
	[CTR_VDEV_A_DEV_MAJOR] = { .type = NLA_U32 },
	[CTR_VDEV_A_DEV_MINOR] = { .type = NLA_U32 },
	[CTR_VDEV_A_OPENERS] = { .type = NLA_U32 },
	[CTR_VDEV_A_QUEUED] = { .type = NLA_U32 },
	[CTR_VDEV_A_EVENTS_IN] = { .type = NLA_U64 },
	[CTR_VDEV_A_DELIVERED] = { .type = NLA_U64 },
	[CTR_VDEV_A_DROPPED] = { .type = NLA_U64 },
	[CTR_VDEV_A_REDIRECTED] = { .type = NLA_U64 },
	[CTR_VDEV_A_REFUSED_WRITES] = { .type = NLA_U64 },
};

/* The attributes of a request; NULL and 0 are left out (resource IDs and pids start at 1). */
struct kattrs {
	const char *container, *name, *redirect;
	uint32_t resource, pid;
};
#define KATTRS(...) ((struct kattrs){ __VA_ARGS__ })

/* Each message of an answer, parsed. */
typedef void (*kmsg_fn)(struct daemon *d, uint8_t cmd, struct nlattr **tb, void *arg);

struct kcall {
	struct daemon *d;
	kmsg_fn fn;
	void *arg;
	bool done;
	int error;
	char msg[256];
};

static const char *kstr(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_string(tb[a]) : "";
}

static uint64_t ku64(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u64(tb[a]) : 0;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct kcall *k = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[CTR_VDEV_A_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, CTR_VDEV_A_MAX, (struct nla_policy *)reply_policy) < 0) {
		log_warn("vdev: a malformed message from the ctr_vdev module");
		return NL_SKIP;
	}
	if (k->fn)
		k->fn(k->d, ((struct genlmsghdr *)nlmsg_data(nlh))->cmd, tb, k->arg);
	return NL_OK;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	((struct kcall *)arg)->done = true;
	return NL_STOP;
}

/* The module says why in the extended acknowledgement; keep the sentence. */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct kcall *k = arg;
	size_t off = sizeof(*e);

	k->done = true;
	k->error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && nlh->nlmsg_len >= NLMSG_HDRLEN + off &&
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off), NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(k->msg, sizeof(k->msg), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

/*
 * One request and its answer.  @what names it in the error sentence
 * ("cannot WHAT: the ctr_vdev module says: ...").
 */
static int kcall(struct daemon *d, uint8_t cmd, bool dump, const struct kattrs *a, kmsg_fn fn,
		 void *arg, const char *what, char *err, size_t errlen)
{
	struct vdev_kmod *k = d->vdev.kmod;
	struct kcall c = { .d = d, .fn = fn, .arg = arg };
	struct nl_msg *msg = nlmsg_alloc();
	int r;

	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, k->family, 0,
			 dump ? NLM_F_DUMP : NLM_F_ACK, cmd, CTR_VDEV_GENL_VERSION) ||
	    (a->container && nla_put_string(msg, CTR_VDEV_A_CONTAINER, a->container) < 0) ||
	    (a->name && nla_put_string(msg, CTR_VDEV_A_NAME, a->name) < 0) ||
	    (a->redirect && nla_put_string(msg, CTR_VDEV_A_REDIRECT, a->redirect) < 0) ||
	    (a->resource && nla_put_u32(msg, CTR_VDEV_A_RESOURCE, a->resource) < 0) ||
	    (a->pid && nla_put_u32(msg, CTR_VDEV_A_PID, a->pid) < 0)) {
		nlmsg_free(msg);
		snprintf(err, errlen, "cannot %s: out of memory", what);
		return -ENOMEM;
	}
	nl_socket_modify_cb(k->req, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &c);
	nl_socket_modify_cb(k->req, NL_CB_ACK, NL_CB_CUSTOM, on_done, &c);
	nl_socket_modify_cb(k->req, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &c);
	nl_socket_modify_err_cb(k->req, NL_CB_CUSTOM, on_error, &c);
	r = nl_send_auto(k->req, msg);
	nlmsg_free(msg);
	while (r >= 0 && !c.done) {
		r = nl_recvmsgs_report(k->req, nl_socket_get_cb(k->req));
		if (r == 0 && !c.done)
			r = -NLE_AGAIN; /* the receive timeout: the module did not answer */
	}
	if (!c.done) {
		snprintf(err, errlen, "cannot %s: no answer from the ctr_vdev module (%s)", what,
			 nl_geterror(r));
		return -EIO;
	}
	if (c.error < 0) {
		snprintf(err, errlen, "cannot %s: the ctr_vdev module says: %s", what,
			 c.msg[0] ? c.msg : strerror(-c.error));
		return c.error;
	}
	return 0;
}

/* --- the mirror of the module's state -------------------------------------------------- */

static struct vdev_res *res_by_id(struct daemon *d, uint32_t id)
{
	for (struct vdev_res *r = d->vdev.res; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

/* Focus and target as the module reports them; the watchers hear of a new target. */
static void set_routing(struct daemon *d, struct vdev_res *r, struct nlattr **tb)
{
	const char *target = tb[CTR_VDEV_A_TARGET] ? kstr(tb, CTR_VDEV_A_TARGET) : NULL;
	struct vdev_dev *t = target ? vdev_dev_of(r, target) : NULL;

	snprintf(r->focus, sizeof(r->focus), "%s", kstr(tb, CTR_VDEV_A_FOCUS));
	if (t == r->target)
		return;
	r->target = t;
	log_info("vdev: events of resource %u (%s) now go to %s", r->id, r->name,
		 t ? t->container : "nobody");
	vdev_notify(d, "target", r, t ? t->container : "");
}

/* A resource the module reports (RESOURCES dump or RESOURCE_ADDED). */
static struct vdev_res *res_seen(struct daemon *d, struct nlattr **tb)
{
	uint32_t id = tb[CTR_VDEV_A_RESOURCE] ? nla_get_u32(tb[CTR_VDEV_A_RESOURCE]) : 0;
	struct vdev_res *r;

	if (!id)
		return NULL;
	r = res_by_id(d, id);
	if (!r) {
		r = vdev_res_add(d, id, kstr(tb, CTR_VDEV_A_RES_NAME),
				 kstr(tb, CTR_VDEV_A_RES_PHYS));
		if (!r)
			return NULL;
		r->mirrored = true;
		log_info("vdev: resource %u (%s) added", r->id, r->name);
		vdev_notify(d, "added", r, "");
	}
	r->seen = true;
	return r;
}

/* The module destroyed a resource's devices with it; the daemon forgets them too. */
static void res_gone(struct daemon *d, struct vdev_res *r)
{
	for (struct vdev_dev *v = r->devs; v; v = v->next)
		v->created = false;
	vdev_res_remove(d, r);
}

static void on_resource(struct daemon *d, uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vdev_res *r = res_seen(d, tb);

	if (!r)
		return;
	r->events_in = ku64(tb, CTR_VDEV_A_EVENTS_IN);
	r->delivered = ku64(tb, CTR_VDEV_A_DELIVERED);
	r->dropped = ku64(tb, CTR_VDEV_A_DROPPED);
	r->redirected = ku64(tb, CTR_VDEV_A_REDIRECTED);
	set_routing(d, r, tb);
}

static void on_device(struct daemon *d, uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vdev_res *r =
		tb[CTR_VDEV_A_RESOURCE] ? res_by_id(d, nla_get_u32(tb[CTR_VDEV_A_RESOURCE])) : NULL;
	struct vdev_dev *v = r ? vdev_dev_of(r, kstr(tb, CTR_VDEV_A_CONTAINER)) : NULL;

	if (!v || strcmp(v->name, kstr(tb, CTR_VDEV_A_NAME)) != 0)
		return;
	v->delivered = ku64(tb, CTR_VDEV_A_DELIVERED);
	v->dropped = ku64(tb, CTR_VDEV_A_DROPPED);
	v->refused_writes = ku64(tb, CTR_VDEV_A_REFUSED_WRITES);
}

static int kmod_refresh(struct daemon *d, char *err, size_t errlen)
{
	int r;

	for (struct vdev_res *res = d->vdev.res; res; res = res->next)
		res->seen = false;
	r = kcall(d, CTR_VDEV_CMD_RESOURCES, true, &KATTRS(), on_resource, NULL,
		  "list the resources", err, errlen);
	if (r < 0)
		return r;
	for (struct vdev_res *res = d->vdev.res, *next; res; res = next) {
		next = res->next;
		if (!res->seen)
			res_gone(d, res);
	}
	return kcall(d, CTR_VDEV_CMD_STATS, true, &KATTRS(), on_device, NULL, "read the counters",
		     err, errlen);
}

/* --- the events group ------------------------------------------------------------------- */

static void on_event(struct daemon *d, uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct vdev_res *r;

	switch (cmd) {
	case CTR_VDEV_CMD_RESOURCE_ADDED:
		r = res_seen(d, tb);
		if (r)
			set_routing(d, r, tb);
		break;
	case CTR_VDEV_CMD_RESOURCE_REMOVED:
		r = tb[CTR_VDEV_A_RESOURCE] ? res_by_id(d, nla_get_u32(tb[CTR_VDEV_A_RESOURCE]))
					    : NULL;
		if (r)
			res_gone(d, r);
		break;
	case CTR_VDEV_CMD_FOCUS_CHANGED:
		r = tb[CTR_VDEV_A_RESOURCE] ? res_by_id(d, nla_get_u32(tb[CTR_VDEV_A_RESOURCE]))
					    : NULL;
		if (r)
			set_routing(d, r, tb);
		break;
	}
}

void vdev_kmod_on_event(struct daemon *d)
{
	struct vdev_kmod *k = d->vdev.kmod;
	struct kcall c = { .d = d, .fn = on_event };
	char err[256];
	int r;

	nl_socket_modify_cb(k->ev, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &c);
	while ((r = nl_recvmsgs_report(k->ev, nl_socket_get_cb(k->ev))) > 0)
		;
	if (r == -NLE_NOMEM) {
		/* ENOBUFS: events were lost; the dumps say where things stand. */
		log_warn("vdev: missed events of the ctr_vdev module; reading its state again");
		if (kmod_refresh(d, err, sizeof(err)) < 0)
			log_warn("vdev: %s", err);
	} else if (r < 0 && r != -NLE_AGAIN) {
		log_warn("vdev: reading the events of the ctr_vdev module: %s", nl_geterror(r));
	}
}

/* --- containers and devices ------------------------------------------------------------- */

static bool is_registered(struct vdev_kmod *k, const char *name)
{
	for (size_t i = 0; i < k->nregistered; i++)
		if (strcmp(k->registered[i], name) == 0)
			return true;
	return false;
}

static void forget_registered(struct vdev_kmod *k, const char *name)
{
	for (size_t i = 0; i < k->nregistered; i++)
		if (strcmp(k->registered[i], name) == 0) {
			memmove(k->registered[i], k->registered[i + 1],
				(k->nregistered - i - 1) * sizeof(k->registered[0]));
			k->nregistered--;
			return;
		}
}

static int kmod_register(struct daemon *d, struct container *c, char *err, size_t errlen)
{
	struct vdev_kmod *k = d->vdev.kmod;
	char tmp[256];
	void *grown;
	int r;

	if (is_registered(k, c->name))
		return 0;
	if (strlen(c->name) >= CTR_VDEV_NAME_MAX) {
		snprintf(err, errlen,
			 "container '%s' has a name of more than %d characters, too long for the "
			 "ctr_vdev module",
			 c->name, CTR_VDEV_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	r = kcall(d, CTR_VDEV_CMD_REGISTER, false,
		  &KATTRS(.container = c->name, .pid = (uint32_t)c->init_pid), NULL, NULL,
		  "register the container with the module", err, errlen);
	if (r == -EEXIST) {
		/* Left by an earlier ctr-ipcd that did not stop cleanly: start afresh. */
		log_warn("vdev: the ctr_vdev module knew container '%s' already; registering it "
			 "again",
			 c->name);
		kcall(d, CTR_VDEV_CMD_UNREGISTER, false, &KATTRS(.container = c->name), NULL, NULL,
		      "unregister", tmp, sizeof(tmp));
		r = kcall(d, CTR_VDEV_CMD_REGISTER, false,
			  &KATTRS(.container = c->name, .pid = (uint32_t)c->init_pid), NULL, NULL,
			  "register the container with the module", err, errlen);
	}
	if (r < 0)
		return r;
	grown = realloc(k->registered, (k->nregistered + 1) * sizeof(k->registered[0]));
	if (!grown) {
		kcall(d, CTR_VDEV_CMD_UNREGISTER, false, &KATTRS(.container = c->name), NULL, NULL,
		      "unregister", tmp, sizeof(tmp));
		return -ENOMEM;
	}
	k->registered = grown;
	snprintf(k->registered[k->nregistered++], CTR_VDEV_NAME_MAX, "%s", c->name);
	return 0;
}

static void kmod_unregister(struct daemon *d, const char *name)
{
	char err[256];

	if (!is_registered(d->vdev.kmod, name))
		return;
	if (kcall(d, CTR_VDEV_CMD_UNREGISTER, false, &KATTRS(.container = name), NULL, NULL,
		  "unregister the container", err, sizeof(err)) < 0 &&
	    !strstr(err, "no such container"))
		log_warn("vdev: container '%s': %s", name, err);
	forget_registered(d->vdev.kmod, name);
}

struct created {
	unsigned int major, minor;
	bool got;
};

static void on_created(struct daemon *d, uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct created *cr = arg;

	if (cmd != CTR_VDEV_CMD_CREATE || !tb[CTR_VDEV_A_DEV_MAJOR] || !tb[CTR_VDEV_A_DEV_MINOR])
		return;
	cr->major = nla_get_u32(tb[CTR_VDEV_A_DEV_MAJOR]);
	cr->minor = nla_get_u32(tb[CTR_VDEV_A_DEV_MINOR]);
	cr->got = true;
}

static void kmod_destroy(struct daemon *d, struct vdev_dev *v)
{
	char err[256];

	if (!v->created)
		return;
	v->created = false;
	if (kcall(d, CTR_VDEV_CMD_DESTROY, false,
		  &KATTRS(.container = v->container, .resource = v->res->id), NULL, NULL,
		  "destroy the device", err, sizeof(err)) < 0)
		log_warn("vdev: /dev/vdev/%s of container '%s': %s", v->name, v->container, err);
}

/*
 * The module's device for @v in running @c: register @c, create the device,
 * then bind its node (devtmpfs: /dev/ctr_vdev/CONTAINER/NAME) at /dev/vdev/NAME.
 */
static int kmod_create(struct daemon *d, struct container *c, struct vdev_dev *v, char *err,
		       size_t errlen)
{
	struct created cr = { 0 };
	char path[PATH_MAX];
	struct stat st;
	int r;

	r = kmod_register(d, c, err, errlen);
	if (r < 0)
		return r;
	r = kcall(d, CTR_VDEV_CMD_CREATE, false,
		  &KATTRS(.container = c->name, .resource = v->res->id, .name = v->name),
		  on_created, &cr, "create the device", err, errlen);
	if (r < 0)
		return r;
	v->created = true;
	snprintf(path, sizeof(path), "/dev/ctr_vdev/%s/%s", c->name, v->name);
	if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    (cr.got && st.st_rdev != makedev(cr.major, cr.minor))) {
		snprintf(err, errlen,
			 "the module made device %u:%u, but %s is not that node (is devtmpfs "
			 "mounted on /dev?)",
			 cr.major, cr.minor, path);
		r = -ENODEV;
		goto out_destroy;
	}
	/* The container's root opens it: in a user namespace, that is the block's first uid. */
	if (c->uid_base && chown(path, c->uid_base, c->uid_base) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot hand %s to the container's root: %s", path,
			 strerror(errno));
		goto out_destroy;
	}
	r = vdev_place_node(c->init_pid, c->uid_base, path, v->name, err, errlen);
	if (r < 0)
		goto out_destroy;
	return 0;

out_destroy:
	kmod_destroy(d, v);
	return r;
}

static int kmod_dev_open(struct daemon *d, struct container *c, struct vdev_dev *v, char *err,
			 size_t errlen)
{
	v->created = false;
	if (c->state != CTR_RUNNING)
		return 0; /* made when it starts */
	return kmod_create(d, c, v, err, errlen);
}

static void kmod_dev_close(struct daemon *d, struct vdev_dev *v)
{
	kmod_destroy(d, v);
}

/* Focus and bars act on the module's devices: the container must be running. */
static int need_created(struct vdev_dev *v, const char *what, char *err, size_t errlen)
{
	if (v && v->created)
		return 0;
	snprintf(err, errlen,
		 "container '%s' is not running; with the ctr_vdev module only a running "
		 "container's device can %s",
		 v ? v->container : "?", what);
	return -ESRCH;
}

static int kmod_focus(struct daemon *d, struct vdev_res *r, const char *container, char *err,
		      size_t errlen)
{
	int e = need_created(vdev_dev_of(r, container), "take the focus", err, errlen);

	if (e < 0)
		return e;
	e = kcall(d, CTR_VDEV_CMD_SET_FOCUS, false,
		  &KATTRS(.container = container, .resource = r->id), NULL, NULL, "set the focus",
		  err, errlen);
	if (e == 0)
		snprintf(r->focus, sizeof(r->focus), "%s", container);
	return e;
}

static int kmod_bar(struct daemon *d, struct vdev_dev *v, char *err, size_t errlen)
{
	int e = need_created(v, v->barred ? "be barred" : "be unbarred", err, errlen);

	if (e < 0)
		return e;
	if (v->barred && v->redirect[0] &&
	    (e = need_created(vdev_dev_of(v->res, v->redirect), "take redirected events", err,
			      errlen)) < 0)
		return e;
	return kcall(d, v->barred ? CTR_VDEV_CMD_BLOCK : CTR_VDEV_CMD_UNBLOCK, false,
		     &KATTRS(.container = v->container, .resource = v->res->id,
			     .redirect = v->barred && v->redirect[0] ? v->redirect : NULL),
		     NULL, NULL, v->barred ? "bar the container" : "lift the bar", err, errlen);
}

/* The module multicasts focus changes before it acknowledges: read them now, in order. */
static void kmod_routing(struct daemon *d, struct vdev_res *r)
{
	vdev_kmod_on_event(d);
}

static void kmod_container_started(struct daemon *d, struct container *c)
{
	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		struct vdev_dev *v = vdev_dev_of(r, c->name);
		char err[256];

		if (!v)
			continue;
		if (kmod_create(d, c, v, err, sizeof(err)) < 0)
			log_warn("vdev: cannot give container '%s' its /dev/vdev/%s: %s", c->name,
				 v->name, err);
		else
			d->vdev.ops->routing(d, r);
	}
	/* Bars set while it was stopped reach the module with its devices. */
	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		struct vdev_dev *v = vdev_dev_of(r, c->name);
		char err[256];

		if (v && v->created && v->barred && kmod_bar(d, v, err, sizeof(err)) < 0)
			log_warn("vdev: container '%s': %s", c->name, err);
	}
}

/* Unregistering destroys its devices in the module; focus moves on to a running container. */
static void kmod_container_stopped(struct daemon *d, struct container *c)
{
	struct vdev_res *had_focus[64];
	size_t n = 0;

	if (!is_registered(d->vdev.kmod, c->name))
		return;
	for (struct vdev_res *r = d->vdev.res; r; r = r->next) {
		struct vdev_dev *v = vdev_dev_of(r, c->name);

		if (v)
			v->created = false;
		if (v && n < sizeof(had_focus) / sizeof(had_focus[0]) && vdev_res_focus(r) &&
		    strcmp(vdev_res_focus(r), c->name) == 0)
			had_focus[n++] = r;
	}
	kmod_unregister(d, c->name);
	vdev_kmod_on_event(d);
	for (size_t i = 0; i < n; i++)
		vdev_focus_fallback(d, had_focus[i], c->name);
}

static void kmod_free(struct daemon *d)
{
	struct vdev_kmod *k = d->vdev.kmod;

	if (!k)
		return;
	while (k->nregistered) {
		char name[CTR_VDEV_NAME_MAX];

		snprintf(name, sizeof(name), "%s", k->registered[0]);
		kmod_unregister(d, name);
	}
	free(k->registered);
	nl_socket_free(k->ev);
	nl_socket_free(k->req);
	free(k);
	d->vdev.kmod = NULL;
	d->vdev.event_fd = -1;
}

static const struct vdev_ops kmod_ops = {
	.name = "kmod",
	.simulated = false,
	.dev_open = kmod_dev_open,
	.dev_close = kmod_dev_close,
	.focus = kmod_focus,
	.bar = kmod_bar,
	.routing = kmod_routing,
	.refresh = kmod_refresh,
	.container_started = kmod_container_started,
	.container_stopped = kmod_container_stopped,
	.free = kmod_free,
};

static struct nl_sock *kmod_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk)
		return NULL;
	if (genl_connect(sk) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	fcntl(nl_socket_get_fd(sk), F_SETFD, FD_CLOEXEC);
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return sk;
}

int vdev_kmod_open(struct daemon *d, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = KMOD_TIMEOUT_MS / 1000,
			      .tv_usec = (KMOD_TIMEOUT_MS % 1000) * 1000 };
	struct vdev_kmod *k = calloc(1, sizeof(*k));
	int grp, r, nres = 0;

	if (!k)
		return -ENOMEM;
	k->req = kmod_socket();
	k->ev = kmod_socket();
	if (!k->req || !k->ev) {
		snprintf(err, errlen, "cannot open a generic netlink socket");
		r = -EIO;
		goto out_free;
	}
	k->family = genl_ctrl_resolve(k->req, CTR_VDEV_GENL_NAME);
	if (k->family < 0) {
		snprintf(err, errlen,
			 "the ctr_vdev kernel module is not loaded (its generic netlink family "
			 "'%s' does not resolve; modprobe ctr_vdev)",
			 CTR_VDEV_GENL_NAME);
		r = -ENOENT;
		goto out_free;
	}
	grp = genl_ctrl_resolve_grp(k->req, CTR_VDEV_GENL_NAME, CTR_VDEV_MCGRP_EVENTS);
	if (grp < 0 || (r = nl_socket_add_membership(k->ev, grp)) < 0) {
		snprintf(err, errlen,
			 "cannot join the events group of the ctr_vdev module (needs "
			 "CAP_NET_ADMIN): %s",
			 nl_geterror(grp < 0 ? grp : r));
		r = -EPERM;
		goto out_free;
	}
	nl_socket_disable_seq_check(k->ev);
	nl_socket_set_nonblocking(k->ev);
	nl_socket_disable_auto_ack(k->req);
	setsockopt(nl_socket_get_fd(k->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	d->vdev.kmod = k;
	d->vdev.ops = &kmod_ops;
	d->vdev.event_fd = nl_socket_get_fd(k->ev);
	r = kmod_refresh(d, err, errlen);
	if (r < 0) {
		d->vdev.kmod = NULL;
		d->vdev.ops = &vdev_user_ops;
		d->vdev.event_fd = -1;
		while (d->vdev.res)
			vdev_res_remove(d, d->vdev.res);
		goto out_free;
	}
	for (struct vdev_res *res = d->vdev.res; res; res = res->next)
		nres++;
	log_info("vdev: ctr_vdev kernel module backend (family %d, %d resources)", k->family, nres);
	return 0;

out_free:
	if (k->ev)
		nl_socket_free(k->ev);
	if (k->req)
		nl_socket_free(k->req);
	free(k);
	return r;
}

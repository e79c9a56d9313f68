/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Virtual hardware: resources (input devices, real or simulated), one
 * virtual device per (container, resource), focus, bar and redirect.
 *
 * Two backends behind one model (DESIGN §5):
 *  - user (vdev.c): the daemon routes each event itself and a container's
 *    /dev/vdev/NAME is a FIFO it feeds with struct ctr_vdev_event records;
 *  - kmod (vdev_kmod.c): the ctr_vdev kernel module routes, configured over
 *    its generic netlink family; /dev/vdev/NAME is the module's device node.
 * The daemon keeps the resources and the attachments either way (with the
 * module, the resources and the routing state mirror the module's), so the
 * command handlers do not care which backend runs.
 */
#ifndef CTRIPCD_VDEV_H
#define CTRIPCD_VDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr-ipc/util.h"

struct daemon;
struct container;
struct ctl_deferred;

#define VDEV_NAME_MAX 32 /* device and resource names, with the NUL */
#define VDEV_KEY_BITS 768
#define VDEV_HISTORY  16

/* An event as it reaches a resource: input subsystem's type, code, value. */
struct vdev_event {
	uint64_t time_ns;
	uint16_t type, code;
	int32_t value;
};

#define VDEV_PACKET_MAX 64 /* events of one source's packet kept before it is routed anyway */

struct vdev_dev {
	struct vdev_dev *next; /* the resource's devices, in attach order */
	struct vdev_res *res;
	char container[64];
	char name[VDEV_NAME_MAX];
	int fd;	      /* user: the FIFO, held open read-write (never blocks, never EOF) */
	bool active;  /* its container runs */
	bool created; /* kmod: the module has the device (its container is running) */
	bool barred;
	char redirect[64];		 /* where its events go while barred, or "" */
	uint8_t keys[VDEV_KEY_BITS / 8]; /* keys down that it was given */
	uint32_t lost;			 /* since the last dropped marker */
	uint64_t delivered, dropped, refused_writes;
};

struct vdev_res {
	struct vdev_res *next;
	uint32_t id;
	char name[VDEV_NAME_MAX];
	char phys[64];
	bool simulated;
	int src_fd;		/* user: the /dev/input/eventN it is read from, or -1 */
	char node[32];		/* user: that node's path */
	bool grabbed;		/* user: EVIOCGRAB held (it has devices) */
	struct vdev_event *pkt; /* user: events since the last SYN_REPORT (VDEV_PACKET_MAX) */
	size_t npkt;
	struct vdev_dev *devs;
	char history[VDEV_HISTORY][64]; /* containers that held focus, most recent first */
	int nhistory;
	struct vdev_dev *target; /* who gets the events now, or NULL */
	uint64_t events_in, delivered, dropped, redirected;
	bool mirrored;	/* kmod: the module routes; focus and target mirror its state */
	bool seen;	/* kmod: listed by the module's last dump */
	char focus[64]; /* kmod: the module's focus holder, "" for none */
};

/*
 * What differs between the backends.  The common code (vdev.c) keeps the
 * lists, checks the requests and tells the watchers; these do the rest.
 */
struct vdev_ops {
	const char *name; /* CTRIPC_A_BACKEND: "user" or "kmod" */
	bool simulated;	  /* offers simulated resources (sim add/rm, inject) */
	/* Give @v (not yet listed) its device file; in @c's /dev/vdev when it runs. */
	int (*dev_open)(struct daemon *d, struct container *c, struct vdev_dev *v, char *err,
			size_t errlen);
	/* @v is off its resource's list: its device goes. */
	void (*dev_close)(struct daemon *d, struct vdev_dev *v);
	/* @container (with a device on @r) takes the focus. */
	int (*focus)(struct daemon *d, struct vdev_res *r, const char *container, char *err,
		     size_t errlen);
	/* @v->barred and @v->redirect changed. */
	int (*bar)(struct daemon *d, struct vdev_dev *v, char *err, size_t errlen);
	/* After any change of devices, focus or bars on @r: who gets the events now. */
	void (*routing)(struct daemon *d, struct vdev_res *r);
	/* Bring resources, routing and counters up to date (before listing them). */
	int (*refresh)(struct daemon *d, char *err, size_t errlen);
	void (*container_started)(struct daemon *d, struct container *c);
	void (*container_stopped)(struct daemon *d, struct container *c);
	void (*free)(struct daemon *d);
};

struct vdev_kmod;

struct vdev {
	const struct vdev_ops *ops;
	struct vdev_res *res;
	uint32_t next_id;
	struct ctl_deferred *watchers; /* vdev watch: told of every change */
	struct vdev_kmod *kmod;	       /* the module's sockets and registry, or NULL */
	int event_fd;		       /* readable when the backend has news, or -1 */
	int inotify_fd;		       /* user: /dev/input (or /dev until it exists), or -1 */
	int input_wd, dev_wd;
};

extern const struct vdev_ops vdev_user_ops;

/*
 * Choose the backend (cfg.vdev_backend): the module when its family
 * resolves (auto, kmod), else the user-space one (auto, user).  Fails only
 * when kmod is required and the module cannot be used.
 */
int vdev_init(struct daemon *d, char *err, size_t errlen);
void vdev_free(struct daemon *d);
/* d->vdev.event_fd is readable. */
void vdev_on_event(struct daemon *d);
/* Resources, routing and counters up to date (the module's, with kmod). */
int vdev_refresh(struct daemon *d, char *err, size_t errlen);

/* Tell every watcher: @event about resource @r and @container ("" for none). */
void vdev_notify(struct daemon *d, const char *event, const struct vdev_res *r,
		 const char *container);

/* A new resource at the end of the list (its ID is @id, or the next one when 0). */
struct vdev_res *vdev_res_add(struct daemon *d, uint32_t id, const char *name, const char *phys);
/* A resource goes, with its devices. */
void vdev_res_remove(struct daemon *d, struct vdev_res *r);

/* The container holding @r's focus, or NULL. */
const char *vdev_res_focus(const struct vdev_res *r);

/* @container's device on @r, or NULL. */
struct vdev_dev *vdev_dev_of(struct vdev_res *r, const char *container);

/*
 * Place @path at /dev/vdev/@name in the mount namespace of @init (a forked
 * helper: open_tree, setns, move_mount); made as @uid_base when non-zero.
 */
int vdev_place_node(pid_t init, uint32_t uid_base, const char *path, const char *name, char *err,
		    size_t errlen);

/*
 * The user-space backend's real sources (vdev_evdev.c): every input device
 * under /dev/input becomes a resource, d->vdev.event_fd the set of their
 * descriptors.
 */
int vdev_evdev_start(struct daemon *d);
void vdev_evdev_stop(struct daemon *d);
void vdev_evdev_on_event(struct daemon *d);
/* Hold the grab of @r's device while it has devices of containers; let it go otherwise. */
void vdev_evdev_grab(struct vdev_res *r);

/* The kmod backend: open the module's family; -ENOENT when it does not resolve. */
int vdev_kmod_open(struct daemon *d, char *err, size_t errlen);
/* The module's multicast events and replies waiting on d->vdev.event_fd. */
void vdev_kmod_on_event(struct daemon *d);

/* vdev watch: @w hears of every hot-plug, attachment, focus and bar change from now on. */
void vdev_watch(struct daemon *d, struct ctl_deferred *w);

/* A resource by ID ("3") or name; NULL if none. */
struct vdev_res *vdev_res_find(struct daemon *d, const char *what);
struct vdev_dev *vdev_dev_find(struct daemon *d, const char *container, const char *name);

int vdev_sim_add(struct daemon *d, const char *name, char *err, size_t errlen);
int vdev_sim_remove(struct daemon *d, struct vdev_res *r);

/* A device for @c on @r named @name (NULL: the resource's name). */
int vdev_attach(struct daemon *d, struct container *c, struct vdev_res *r, const char *name,
		char *err, size_t errlen);
void vdev_detach(struct daemon *d, struct vdev_dev *v);

/* @container gets the resource's events (it must have a device on it). */
int vdev_focus(struct daemon *d, struct vdev_res *r, const char *container, char *err,
	       size_t errlen);
/* Bar @v's container; its events go to @redirect ("" or NULL: the foreground among the rest). */
int vdev_block(struct daemon *d, struct vdev_dev *v, const char *redirect, char *err,
	       size_t errlen);
int vdev_unblock(struct daemon *d, struct vdev_dev *v, char *err, size_t errlen);

/*
 * One event of @r's source: kept with the rest of its packet, which goes to
 * the container in the foreground at its SYN_REPORT (as the input core
 * hands events to its handlers).
 */
void vdev_feed(struct vdev_res *r, const struct vdev_event *ev);
/* Route a packet of @r's events (up to a SYN_REPORT); stale key events are left out. */
void vdev_deliver_packet(struct vdev_res *r, const struct vdev_event *evs, size_t n);

/* The container started: its devices appear in its /dev/vdev. */
void vdev_container_started(struct daemon *d, struct container *c);
/* @gone lost its device on @r while holding the focus: the next container attached takes it. */
void vdev_focus_fallback(struct daemon *d, struct vdev_res *r, const char *gone);
/* The container stopped: its devices stay attached, get nothing until it runs again. */
void vdev_container_stopped(struct daemon *d, struct container *c);
/* The container is being removed: its devices go. */
void vdev_container_removed(struct daemon *d, const char *name);

/* The device file of @v on the host: RUN_DIR/vdev/CONTAINER/NAME. */
int vdev_path(const struct daemon *d, const char *container, const char *name, char *buf,
	      size_t len);

#endif

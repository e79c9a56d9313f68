/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Virtual hardware: resources (input devices, real or simulated), one
 * virtual device per (container, resource), focus, bar and redirect.
 *
 * This is the user-space backend (DESIGN §5): the daemon routes each event
 * itself and a container's /dev/vdev/NAME is a FIFO it feeds with
 * struct ctr_vdev_event records, the module's record format.
 */
#ifndef CTRIPCD_VDEV_H
#define CTRIPCD_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "ctr-ipc/util.h"

struct daemon;
struct container;
struct ctl_deferred;

#define VDEV_NAME_MAX 32 /* device and resource names, with the NUL */
#define VDEV_KEY_BITS 768
#define VDEV_HISTORY  16

struct vdev_dev {
	struct vdev_dev *next; /* the resource's devices, in attach order */
	struct vdev_res *res;
	char container[64];
	char name[VDEV_NAME_MAX];
	int fd;	     /* the FIFO, held open read-write (never blocks, never EOF) */
	bool active; /* its container runs */
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
	struct vdev_dev *devs;
	char history[VDEV_HISTORY][64]; /* containers that held focus, most recent first */
	int nhistory;
	struct vdev_dev *target; /* who gets the events now, or NULL */
	uint64_t events_in, delivered, dropped, redirected;
};

struct vdev {
	struct vdev_res *res;
	uint32_t next_id;
	struct ctl_deferred *watchers; /* vdev watch: told of every change */
};

/* An event as it reaches a resource: input subsystem's type, code, value. */
struct vdev_event {
	uint64_t time_ns;
	uint16_t type, code;
	int32_t value;
};

void vdev_free(struct daemon *d);

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
int vdev_focus(struct daemon *d, struct vdev_res *r, const char *container);
/* Bar @v's container; its events go to @redirect ("" or NULL: the foreground among the rest). */
void vdev_block(struct daemon *d, struct vdev_dev *v, const char *redirect);
void vdev_unblock(struct daemon *d, struct vdev_dev *v);

/* Route one event of @r to the container in the foreground. */
void vdev_deliver(struct vdev_res *r, const struct vdev_event *ev);

/* The container started: its devices appear in its /dev/vdev. */
void vdev_container_started(struct daemon *d, struct container *c);
/* The container stopped: its devices get nothing until it runs again. */
void vdev_container_stopped(struct daemon *d, struct container *c);
/* The container is being removed: its devices go. */
void vdev_container_removed(struct daemon *d, const char *name);

/* The device file of @v on the host: RUN_DIR/vdev/CONTAINER/NAME. */
int vdev_path(const struct daemon *d, const char *container, const char *name, char *buf,
	      size_t len);

#endif

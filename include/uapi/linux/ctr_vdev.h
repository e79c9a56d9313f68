/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ctr_vdev: virtual input devices for containers.
 *
 * Interface shared by the ctr_vdev kernel module and its user-space clients (ctr-ipcd, tests):
 * the generic netlink family that configures the module and the record format read from and
 * written to the per-container character devices.  See ctr_vdev(4).
 */
#ifndef _UAPI_LINUX_CTR_VDEV_H
#define _UAPI_LINUX_CTR_VDEV_H

#include <linux/types.h>

#define CTR_VDEV_GENL_NAME    "ctr_vdev"
#define CTR_VDEV_GENL_VERSION 1
/* Multicast group: resource hot-plug and focus/bar changes (needs CAP_NET_ADMIN). */
#define CTR_VDEV_MCGRP_EVENTS "events"

/* Limits, counting the terminating NUL. */
#define CTR_VDEV_NAME_MAX 32  /* container and device names: [A-Za-z0-9_.-], not "." or ".." */
#define CTR_VDEV_RING_LEN 256 /* records queued per device before overflow */

/*
 * Commands.  Every command that changes state requires CAP_NET_ADMIN; the two dumps are open to
 * everyone.  Requests carry attributes from enum ctr_vdev_attr; unknown attributes are rejected.
 */
enum ctr_vdev_cmd {
	CTR_VDEV_CMD_UNSPEC,
	CTR_VDEV_CMD_RESOURCES,	 /* dump: one message per resource */
	CTR_VDEV_CMD_REGISTER,	 /* CONTAINER, PID: record the namespaces of that process */
	CTR_VDEV_CMD_UNREGISTER, /* CONTAINER: destroys its devices too */
	CTR_VDEV_CMD_CREATE,	 /* CONTAINER, RESOURCE, NAME: reply carries DEV_MAJOR/MINOR */
	CTR_VDEV_CMD_DESTROY,	 /* CONTAINER, RESOURCE */
	CTR_VDEV_CMD_SET_FOCUS,	 /* RESOURCE, [CONTAINER]: absent container = nobody */
	CTR_VDEV_CMD_BLOCK,	 /* RESOURCE, CONTAINER, [REDIRECT] */
	CTR_VDEV_CMD_UNBLOCK,	 /* RESOURCE, CONTAINER */
	CTR_VDEV_CMD_STATS,	 /* dump: one message per virtual device */

	/* Notifications sent on CTR_VDEV_MCGRP_EVENTS only. */
	CTR_VDEV_CMD_RESOURCE_ADDED,   /* resource attributes as in RESOURCES */
	CTR_VDEV_CMD_RESOURCE_REMOVED, /* RES_ID, RES_NAME */
	CTR_VDEV_CMD_FOCUS_CHANGED,    /* RES_ID, [FOCUS], [TARGET] after any focus/bar change */

	__CTR_VDEV_CMD_MAX,
};
#define CTR_VDEV_CMD_MAX (__CTR_VDEV_CMD_MAX - 1)

enum ctr_vdev_attr {
	CTR_VDEV_A_UNSPEC,
	CTR_VDEV_A_CONTAINER,  /* string: container name */
	CTR_VDEV_A_PID,	       /* u32: pid of the container's init, in the caller's pid namespace */
	CTR_VDEV_A_RESOURCE,   /* u32: resource ID (monotonic, never reused while loaded) */
	CTR_VDEV_A_NAME,       /* string: device name, node is /dev/ctr_vdev/CONTAINER/NAME */
	CTR_VDEV_A_REDIRECT,   /* string: container that receives a barred container's events */
	CTR_VDEV_A_RES_NAME,   /* string: input device name */
	CTR_VDEV_A_RES_PHYS,   /* string: input device physical path (may be empty) */
	CTR_VDEV_A_RES_EVBITS, /* u32: bit mask of the EV_* types the device reports */
	CTR_VDEV_A_FOCUS,      /* string: container holding focus on the resource */
	CTR_VDEV_A_TARGET,     /* string: container that currently receives the events */
	CTR_VDEV_A_BARRED,     /* flag: the device's container is barred on this resource */
	CTR_VDEV_A_DEV_MAJOR,  /* u32 */
	CTR_VDEV_A_DEV_MINOR,  /* u32 */
	CTR_VDEV_A_OPENERS,    /* u32: open file descriptions of the device */
	CTR_VDEV_A_QUEUED,     /* u32: records waiting in the device's ring */
	CTR_VDEV_A_EVENTS_IN,  /* u64: events received from the input device */
	CTR_VDEV_A_DELIVERED,  /* u64: records queued for a container */
	CTR_VDEV_A_DROPPED,    /* u64: resource: nobody to deliver to; device: ring overflow */
	CTR_VDEV_A_REDIRECTED, /* u64: events delivered away from a barred focus */
	CTR_VDEV_A_REFUSED_WRITES, /* u64: write() records refused (no focus) */
	CTR_VDEV_A_PAD,

	__CTR_VDEV_A_MAX,
};
#define CTR_VDEV_A_MAX (__CTR_VDEV_A_MAX - 1)

/*
 * One record, as read() from and write() to /dev/ctr_vdev/CONTAINER/NAME.  type, code and value
 * are the input subsystem's (EV_KEY, KEY_A, 1...).  time_ns is CLOCK_MONOTONIC when the input
 * core saw the event; records the module makes itself (releases on a focus change, the dropped
 * marker) carry the time they were made.
 */
struct ctr_vdev_event {
	__u64 time_ns;
	__u16 type;
	__u16 code;
	__s32 value;
};

/*
 * Dropped marker, as evdev's SYN_DROPPED: type EV_SYN (0), code SYN_DROPPED (3), value = number
 * of records lost to a full ring since the previous marker.  Everything after the marker is
 * consistent again from the next SYN_REPORT.
 */
#define CTR_VDEV_EV_SYN	     0x00
#define CTR_VDEV_SYN_REPORT  0
#define CTR_VDEV_SYN_DROPPED 3

#endif /* _UAPI_LINUX_CTR_VDEV_H */

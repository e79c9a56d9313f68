/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctr-ipcd's side of the bus: it starts the buffer process in its own
 * namespaces, restarts it with backoff when it dies, owns the listening
 * sockets (the host's, one per running container) and the policy, and
 * hands both to the buffer over their socket pair.
 */
#ifndef CTRIPCD_BUS_H
#define CTRIPCD_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr-ipc/policy.h"

struct daemon;
struct container;
struct msg_watch;

/* The answers of one query to the buffer, kept while a dump of them is read out. */
/*
 * A page of the buffer's answers to one control request (a dump), read out
 * entry by entry as the client takes them; the next page is asked for when
 * this one is done.  A few dumps may run at once.
 */
struct bus_snapshot {
	bool used;
	uint32_t portid, seq; /* the control request it serves */
	uint64_t last_use;    /* the least recently used goes first */
	size_t n;
	unsigned char **frames; /* each one ENTRY frame, as received */
	uint64_t base;		/* the dump's entry number of frames[0] */
	uint64_t next;		/* END's CURSOR: where the next page starts; 0: none */
	uint64_t id_max, count; /* END's ID_MAX and COUNT_QUEUED */
};

#define BUS_SNAPSHOTS 8

struct bus {
	pid_t mid;	   /* our child, parent of the buffer (PID 1 of its namespaces) */
	pid_t buffer_pid;  /* the buffer, as the host sees it */
	int mid_fd;	   /* pidfd of mid, watched */
	int ctl;	   /* socket pair to the buffer */
	int restart_timer; /* timerfd: start again after a crash */
	int host_listener; /* RUN_DIR/bus.sock */
	unsigned int backoff_ms;
	uint64_t started_ms;
	uint64_t starts, crashes;
	bool hello; /* the buffer said it runs */
	struct policy policy;
	struct policy_secrets secrets;
	char policy_path[4096];
	uint32_t query_seq;
	struct bus_snapshot snaps[BUS_SNAPSHOTS];
	uint64_t snap_clock;
	struct msg_watch *watchers; /* msg watch: told of each EVENT (cmd_msg.c) */
	char durability[8];	    /* as the buffer runs it */
	char recovery[256];	    /* what its last recovery found, "" before one */
	char recovery_report[2048]; /* the problems it found, a line each */
};

/*
 * Ask the buffer (@frame: a query; freed) and keep its answers, a page, in
 * the snapshot of the control request @portid/@seq (*@ret): its own from
 * before, or a free one, or the least recently used.  Waits at most a
 * second.  0, or -errno (-ENOTCONN: the buffer is down).
 */
int bus_query(struct daemon *d, struct nl_msg *frame, uint32_t portid, uint32_t seq,
	      struct bus_snapshot **ret);
/* The snapshot of request @portid/@seq, or NULL (none, or taken by other dumps since). */
struct bus_snapshot *bus_snapshot_of(struct daemon *d, uint32_t portid, uint32_t seq);
/* Its dump is done: the snapshot is free. */
void bus_snapshot_release(struct bus_snapshot *snap);
/* Whether the buffer sends EVENT frames (msg watch); said again to each new buffer. */
void bus_set_watch(struct daemon *d);

/* Before anything else: nothing started, nothing to stop. */
void bus_init(struct daemon *d);
/* Load the policy, listen on the host's socket, start the buffer. */
int bus_start(struct daemon *d);
void bus_stop(struct daemon *d);
/* An fd of the bus became readable; false if it is not one of ours. */
bool bus_on_event(struct daemon *d, int fd);

/* A container started (or was adopted): its socket, bound at /run/ctr-ipc/bus.sock inside. */
void bus_container_started(struct daemon *d, struct container *c);
void bus_container_stopped(struct daemon *d, struct container *c);

/* The policy changed: save it and give it to the buffer. */
int bus_policy_changed(struct daemon *d, char *err, size_t errlen);
/* The bus_* keys of the configuration changed (a reload). */
void bus_limits_changed(struct daemon *d);
/* SIGHUP: the rules again from policy_file (on an error the old ones stay). */
void bus_policy_reload(struct daemon *d);
/* A secret changed (@value NULL: removed). */
void bus_secret_changed(struct daemon *d, const char *name, const void *value, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: NETLINK_USERSOCK bound at the configured port ID.
 * Receives requests with SCM_CREDENTIALS, checks permission, dispatches to
 * the command handlers and streams dumps in batches.
 */
#ifndef CTRIPCD_CONTROL_H
#define CTRIPCD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ctr-ipc/proto.h"

struct daemon;

/* One request, as a handler sees it. */
struct ctl_req {
	const struct nlmsghdr *nlh;
	uint8_t cmd;
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	struct ucred cred;
	uint32_t portid;
	char *err; /* handler writes its error sentence here */
	size_t errlen;
};

/* Write the error sentence and return @error (negative errno). */
int ctl_fail(struct ctl_req *req, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A "do" handler fills @reply (already carrying the header) and returns 0,
 * or returns -errno after ctl_fail().  A reply without attributes is not
 * sent; the ACK alone answers.
 */
typedef int (*ctl_doit_fn)(struct daemon *d, struct ctl_req *req, struct nl_msg *reply);

/*
 * A dump handler writes the entry at *cursor into @entry, advances *cursor
 * and returns 1; returns 0 when there are no more entries, -errno on error.
 */
typedef int (*ctl_dumpit_fn)(struct daemon *d, struct ctl_req *req, uint64_t *cursor,
			     struct nl_msg *entry);

/*
 * An answer given later (a stop that completes when the container has
 * stopped).  A doit handler takes one with ctl_defer() and returns
 * CTL_DEFERRED; ctl_complete() sends the ACK or the error and frees it.
 */
#define CTL_DEFERRED 1

struct ctl_deferred {
	struct ctl_deferred *next; /* for the owner's list */
	uint32_t portid;
	uint8_t cmd;
	struct nlmsghdr hdr;
};

struct ctl_deferred *ctl_defer(const struct ctl_req *req);

struct ctl_handler {
	ctl_doit_fn doit;
	ctl_dumpit_fn dumpit;
};

struct ctl_counters {
	uint64_t requests, errors, denied;
};

struct pending_dump;

struct control {
	int fd;
	int retry_fd; /* timerfd: retry dumps a slow reader could not take */
	uint32_t port_id;
	struct pending_dump *pending;
	struct ctl_counters total;
	uint64_t refusal_log_sec, refusals_logged, refusals_suppressed;
	struct ctl_counters per_cmd[CTRIPC_CMD_MAX + 1];
};

/* Bind the control socket.  -EADDRINUSE when the port ID is taken. */
int control_open(struct control *c, uint32_t port_id);
void control_close(struct control *c);

/* Drain the socket (EPOLLIN on c->fd). */
void control_dispatch(struct control *c, struct daemon *d);

/*
 * A message for the client of a deferred request before its answer (a
 * watch's events): ctl_interim_new() makes it, ctl_interim_send() sends
 * and frees it; -ECONNREFUSED when the client is gone.
 */
struct nl_msg *ctl_interim_new(struct control *c, const struct ctl_deferred *w);
int ctl_interim_send(struct control *c, const struct ctl_deferred *w, struct nl_msg *msg);
/* Tell the client of a deferred request how far it got (before ctl_complete()). */
int ctl_progress(struct control *c, const struct ctl_deferred *w, uint64_t done, uint64_t total);

/* Answer a deferred request (0 for success); frees @w. */
void ctl_complete(struct control *c, struct ctl_deferred *w, int error, const char *text);

/* Resume dumps parked by a full client receive buffer (EPOLLIN on c->retry_fd). */
void control_retry(struct control *c, struct daemon *d);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client side of the control protocol: finds the daemon through its pidfile,
 * sends requests and accepts replies only from the daemon's pid, uid and
 * port (any local process can send on NETLINK_USERSOCK).
 */
#ifndef CTRIPC_CLI_IPC_H
#define CTRIPC_CLI_IPC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr-ipc/proto.h"

#define IPC_DEFAULT_RUN_DIR "/run/ctr-ipc"
#define IPC_TIMEOUT_MS	    10000

struct ipc {
	int fd;
	uint32_t daemon_port;
	pid_t daemon_pid;
	uid_t daemon_uid;
	uint32_t seq;
	int timeout_ms;
	char err[CTRIPC_ERRMSG_MAX + 256]; /* why the last call failed */
};

/* Called for each reply message (a do's single reply, or each dump entry). */
typedef int (*ipc_reply_fn)(struct nlattr **tb, void *arg);

int ipc_open(struct ipc *ipc, const char *run_dir);
void ipc_close(struct ipc *ipc);

/* A request for @cmd (a dump when @dump); the caller adds attributes. */
struct nl_msg *ipc_request(struct ipc *ipc, uint8_t cmd, bool dump);

/*
 * Send @req (consumed) and wait for its reply, ACK or dump end.  Returns 0,
 * or -errno with ipc->err set; the daemon's extended-ack text is kept.
 */
int ipc_call(struct ipc *ipc, struct nl_msg *req, ipc_reply_fn cb, void *arg);

#endif

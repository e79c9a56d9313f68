/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command handlers of every object, gathered into ctl_handlers[] by handlers.c. */
#ifndef CTRIPCD_HANDLERS_H
#define CTRIPCD_HANDLERS_H

#include "control.h"

struct daemon;

/* In a handler: an attribute that does not fit ends the reply with -EMSGSIZE. */
#define PUT(x)                                                                                     \
	do {                                                                                       \
		if ((x) < 0)                                                                       \
			return -EMSGSIZE;                                                          \
	} while (0)

int cmd_daemon_status(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_daemon_version(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_daemon_stats(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_daemon_reload(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_daemon_log_level(struct daemon *d, struct ctl_req *req, struct nl_msg *m);

int cmd_container_create(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_start(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_stop(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_kill(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_inspect(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_exec(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_container_logs(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_container_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);

int cmd_vdev_resources(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_vdev_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_vdev_stats(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_vdev_attach(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_detach(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_focus(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_block(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_unblock(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_sim_add(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_sim_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_inject(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_vdev_watch(struct daemon *d, struct ctl_req *req, struct nl_msg *m);

int cmd_policy_add(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_policy_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_policy_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_secret_set(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_secret_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_secret_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_msg_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_msg_show(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_msg_endpoints(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_msg_stats(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_msg_replay(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m);
int cmd_msg_purge(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
int cmd_msg_watch(struct daemon *d, struct ctl_req *req, struct nl_msg *m);
/* An EVENT frame from the buffer, for the msg watchers. */
void msg_watch_event(struct daemon *d, struct nlattr **tb);
/* The watchers are told ctr-ipcd stops. */
void msg_watch_free(struct daemon *d);
/* The secrets kept in STATE/secrets, at start. */
int secrets_load(struct daemon *d);

#endif

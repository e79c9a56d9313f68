/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command handlers of every object, gathered into ctl_handlers[] by handlers.c. */
#ifndef CTRIPCD_HANDLERS_H
#define CTRIPCD_HANDLERS_H

#include "control.h"

struct daemon;

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

#endif

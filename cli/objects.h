/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The objects of the command table, one file each. */
#ifndef CTRIPC_CLI_OBJECTS_H
#define CTRIPC_CLI_OBJECTS_H

#include "cmdtab.h"

extern const struct cmd_node cmd_container;
extern const struct cmd_node cmd_daemon;
extern const struct cmd_node cmd_vdev;
extern const struct cmd_node cmd_policy;
extern const struct cmd_node cmd_msg;

/* container exec, in cli/exec.c */
int container_exec_run(struct cli *cli, const struct cmd_args *a);

#endif

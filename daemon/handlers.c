// SPDX-License-Identifier: GPL-2.0-or-later
/* The one table from protocol command to handler. */
#include "daemon.h"
#include "handlers.h"

const struct ctl_handler ctl_handlers[CTRIPC_CMD_MAX + 1] = {
	[CTRIPC_CMD_DAEMON_STATUS] = { .doit = cmd_daemon_status },
	[CTRIPC_CMD_DAEMON_VERSION] = { .doit = cmd_daemon_version },
	[CTRIPC_CMD_DAEMON_STATS] = { .dumpit = cmd_daemon_stats },
	[CTRIPC_CMD_DAEMON_RELOAD] = { .doit = cmd_daemon_reload },
	[CTRIPC_CMD_DAEMON_LOG_LEVEL] = { .doit = cmd_daemon_log_level },
	[CTRIPC_CMD_CONTAINER_CREATE] = { .doit = cmd_container_create },
	[CTRIPC_CMD_CONTAINER_START] = { .doit = cmd_container_start },
	[CTRIPC_CMD_CONTAINER_STOP] = { .doit = cmd_container_stop },
	[CTRIPC_CMD_CONTAINER_KILL] = { .doit = cmd_container_kill },
	[CTRIPC_CMD_CONTAINER_RM] = { .doit = cmd_container_rm },
	[CTRIPC_CMD_CONTAINER_LIST] = { .dumpit = cmd_container_ls },
	[CTRIPC_CMD_CONTAINER_INSPECT] = { .doit = cmd_container_inspect },
	[CTRIPC_CMD_CONTAINER_EXEC] = { .doit = cmd_container_exec },
	[CTRIPC_CMD_CONTAINER_LOGS] = { .dumpit = cmd_container_logs },
	[CTRIPC_CMD_VDEV_RESOURCES] = { .dumpit = cmd_vdev_resources },
	[CTRIPC_CMD_VDEV_LIST] = { .dumpit = cmd_vdev_ls },
	[CTRIPC_CMD_VDEV_STATS] = { .dumpit = cmd_vdev_stats },
	[CTRIPC_CMD_VDEV_ATTACH] = { .doit = cmd_vdev_attach },
	[CTRIPC_CMD_VDEV_DETACH] = { .doit = cmd_vdev_detach },
	[CTRIPC_CMD_VDEV_FOCUS] = { .doit = cmd_vdev_focus },
	[CTRIPC_CMD_VDEV_BLOCK] = { .doit = cmd_vdev_block },
	[CTRIPC_CMD_VDEV_UNBLOCK] = { .doit = cmd_vdev_unblock },
	[CTRIPC_CMD_VDEV_SIM_ADD] = { .doit = cmd_vdev_sim_add },
	[CTRIPC_CMD_VDEV_SIM_RM] = { .doit = cmd_vdev_sim_rm },
	[CTRIPC_CMD_VDEV_INJECT] = { .doit = cmd_vdev_inject },
	[CTRIPC_CMD_VDEV_WATCH] = { .doit = cmd_vdev_watch },
	[CTRIPC_CMD_POLICY_ADD] = { .doit = cmd_policy_add },
	[CTRIPC_CMD_POLICY_LIST] = { .dumpit = cmd_policy_ls },
	[CTRIPC_CMD_POLICY_RM] = { .doit = cmd_policy_rm },
	[CTRIPC_CMD_SECRET_SET] = { .doit = cmd_secret_set },
	[CTRIPC_CMD_SECRET_LIST] = { .dumpit = cmd_secret_ls },
	[CTRIPC_CMD_SECRET_RM] = { .doit = cmd_secret_rm },
};

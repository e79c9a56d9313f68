// SPDX-License-Identifier: GPL-2.0-or-later
/* Handlers of the "daemon" object: status, version, stats, reload, log-level. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctr-ipc/util.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"

int cmd_daemon_status(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const struct ctl_counters *t = &d->ctl.total;

	PUT(nla_put_string(m, CTRIPC_A_VERSION, CTRIPC_VERSION));
	PUT(nla_put_u32(m, CTRIPC_A_PROTO_VERSION, CTRIPC_PROTO_VERSION));
	PUT(nla_put_u32(m, CTRIPC_A_PID, (uint32_t)getpid()));
	PUT(nla_put_u64(m, CTRIPC_A_UPTIME_MS, now_ms() - d->started_mono_ms));
	PUT(nla_put_u64(m, CTRIPC_A_STARTED_AT, (uint64_t)d->started_at));
	PUT(nla_put_u32(m, CTRIPC_A_PORT_ID, d->ctl.port_id));
	PUT(nla_put_string(m, CTRIPC_A_CONFIG_PATH, d->config_path));
	PUT(nla_put_string(m, CTRIPC_A_STATE_DIR, d->cfg.state_dir));
	PUT(nla_put_string(m, CTRIPC_A_RUN_DIR, d->cfg.run_dir));
	PUT(nla_put_string(m, CTRIPC_A_LOG_LEVEL, log_level_names[log_get_level()]));
	PUT(nla_put_u64(m, CTRIPC_A_REQUESTS, t->requests));
	PUT(nla_put_u64(m, CTRIPC_A_ERRORS, t->errors));
	PUT(nla_put_u64(m, CTRIPC_A_DENIED, t->denied));
	PUT(nla_put_u64(m, CTRIPC_A_RELOADS, d->reloads));
	if (d->vdev.ops)
		PUT(nla_put_string(m, CTRIPC_A_BACKEND, d->vdev.ops->name));
	PUT(nla_put_u32(m, CTRIPC_A_BUFFER_PID, (uint32_t)d->bus.buffer_pid));
	PUT(nla_put_u64(m, CTRIPC_A_BUFFER_STARTS, d->bus.starts));
	PUT(nla_put_u64(m, CTRIPC_A_BUFFER_CRASHES, d->bus.crashes));
	if (d->bus.durability[0])
		PUT(nla_put_string(m, CTRIPC_A_DURABILITY, d->bus.durability));
	if (d->bus.recovery[0])
		PUT(nla_put_string(m, CTRIPC_A_RECOVERY, d->bus.recovery));
	if (d->bus.recovery_report[0])
		PUT(nla_put_string(m, CTRIPC_A_RECOVERY_REPORT, d->bus.recovery_report));
	return 0;
}

int cmd_daemon_version(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	PUT(nla_put_string(m, CTRIPC_A_VERSION, CTRIPC_VERSION));
	PUT(nla_put_u32(m, CTRIPC_A_PROTO_VERSION, CTRIPC_PROTO_VERSION));
	return 0;
}

/* One entry per protocol command; cursor is the next command number. */
int cmd_daemon_stats(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	const char *only =
		req->tb[CTRIPC_A_CMD_NAME] ? nla_get_string(req->tb[CTRIPC_A_CMD_NAME]) : NULL;
	unsigned int cmd;

	if (*cursor == 0) {
		if (only && !ctripc_cmd_by_name(only))
			return ctl_fail(req, -ENOENT,
					"no command '%s' (see 'ctr-ipc daemon stats' for the list)",
					only);
		*cursor = 1;
	}
	for (cmd = (unsigned int)*cursor; cmd <= CTRIPC_CMD_MAX; cmd++) {
		const struct ctl_counters *k = &d->ctl.per_cmd[cmd];

		if (!ctripc_cmds[cmd].name || (only && strcmp(only, ctripc_cmds[cmd].name) != 0))
			continue;
		PUT(nla_put_string(m, CTRIPC_A_CMD_NAME, ctripc_cmds[cmd].name));
		PUT(nla_put_u64(m, CTRIPC_A_REQUESTS, k->requests));
		PUT(nla_put_u64(m, CTRIPC_A_ERRORS, k->errors));
		PUT(nla_put_u64(m, CTRIPC_A_DENIED, k->denied));
		*cursor = cmd + 1;
		return 1;
	}
	*cursor = cmd;
	return 0;
}

int cmd_daemon_reload(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	int r = daemon_reload(d, req->err, req->errlen);

	if (r < 0)
		return r;
	PUT(nla_put_u64(m, CTRIPC_A_RELOADS, d->reloads));
	return 0;
}

int cmd_daemon_log_level(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *name = nla_get_string(req->tb[CTRIPC_A_LOG_LEVEL]);
	int lvl = log_level_from_name(name);

	if (lvl < 0)
		return ctl_fail(
			req, -EINVAL,
			"unknown log level '%s' (use debug, info, notice, warning or error)", name);
	log_set_level(lvl);
	d->cfg.log_level = lvl;
	log_notice("log level set to %s by uid %u", name, (unsigned int)req->cred.uid);
	PUT(nla_put_string(m, CTRIPC_A_LOG_LEVEL, name));
	return 0;
}

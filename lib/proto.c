// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Control protocol tables and codec helpers shared by ctr-ipcd and ctr-ipc.
 * Parsing is strict: unknown attributes, wrong integer sizes and
 * unterminated or over-long strings are refused, with a sentence naming the
 * attribute.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "ctr-ipc/proto.h"

/* libnl counts the NUL in maxlen; (max) is the longest string without it. */
// clang-format off
#define STR(max) { .type = NLA_STRING, .maxlen = (max) + 1 }
// clang-format on

const struct nla_policy ctripc_policy[CTRIPC_A_MAX + 1] = {
	[CTRIPC_A_VERSION] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_PROTO_VERSION] = { .type = NLA_U32 },
	[CTRIPC_A_PID] = { .type = NLA_U32 },
	[CTRIPC_A_UPTIME_MS] = { .type = NLA_U64 },
	[CTRIPC_A_STARTED_AT] = { .type = NLA_U64 },
	[CTRIPC_A_PORT_ID] = { .type = NLA_U32 },
	[CTRIPC_A_CONFIG_PATH] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_STATE_DIR] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_RUN_DIR] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_LOG_LEVEL] = STR(16),
	[CTRIPC_A_REQUESTS] = { .type = NLA_U64 },
	[CTRIPC_A_ERRORS] = { .type = NLA_U64 },
	[CTRIPC_A_DENIED] = { .type = NLA_U64 },
	[CTRIPC_A_RELOADS] = { .type = NLA_U64 },
	[CTRIPC_A_CMD_NAME] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_NAME] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_STATE] = STR(16),
	[CTRIPC_A_HOSTNAME] = STR(64),
	[CTRIPC_A_ROOTFS] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_IMAGE] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_SHA256] = STR(64),
	[CTRIPC_A_MEMORY] = { .type = NLA_U64 },
	[CTRIPC_A_PIDS_MAX] = { .type = NLA_U64 },
	[CTRIPC_A_ENV] = { .type = NLA_BINARY, .maxlen = CTRIPC_STRV_MAX },
	[CTRIPC_A_BINDS] = { .type = NLA_BINARY, .maxlen = CTRIPC_STRV_MAX },
	[CTRIPC_A_NET] = STR(8),
	[CTRIPC_A_USERNS] = { .type = NLA_FLAG },
	[CTRIPC_A_ARGV] = { .type = NLA_BINARY, .maxlen = CTRIPC_STRV_MAX },
	[CTRIPC_A_TIMEOUT] = { .type = NLA_U32 },
	[CTRIPC_A_SIGNAL] = { .type = NLA_U32 },
	[CTRIPC_A_FORCE] = { .type = NLA_FLAG },
	[CTRIPC_A_EXIT_CODE] = { .type = NLA_U32 },
	[CTRIPC_A_EXIT_SIGNAL] = { .type = NLA_U32 },
	[CTRIPC_A_CREATED_AT] = { .type = NLA_U64 },
	[CTRIPC_A_FINISHED_AT] = { .type = NLA_U64 },
	[CTRIPC_A_OOM_KILLED] = { .type = NLA_FLAG },
	[CTRIPC_A_TTY] = { .type = NLA_FLAG },
	[CTRIPC_A_SOCKET] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_OFFSET] = { .type = NLA_U64 },
	[CTRIPC_A_DATA] = { .type = NLA_BINARY, .maxlen = CTRIPC_LOG_CHUNK },
	[CTRIPC_A_BYTES_DONE] = { .type = NLA_U64 },
	[CTRIPC_A_BYTES_TOTAL] = { .type = NLA_U64 },
	[CTRIPC_A_UID_BASE] = { .type = NLA_U32 },
	[CTRIPC_A_RESOURCE] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_RES_ID] = { .type = NLA_U32 },
	[CTRIPC_A_RES_PHYS] = STR(CTRIPC_PATH_MAX),
	[CTRIPC_A_SIMULATED] = { .type = NLA_FLAG },
	[CTRIPC_A_DEVICE] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_REDIRECT] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_FOCUS] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_TARGET] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_BARRED] = { .type = NLA_FLAG },
	[CTRIPC_A_EV_TYPE] = { .type = NLA_U32 },
	[CTRIPC_A_EV_CODE] = { .type = NLA_U32 },
	[CTRIPC_A_EV_VALUE] = { .type = NLA_U32 },
	[CTRIPC_A_EVENTS_IN] = { .type = NLA_U64 },
	[CTRIPC_A_DELIVERED] = { .type = NLA_U64 },
	[CTRIPC_A_DROPPED] = { .type = NLA_U64 },
	[CTRIPC_A_REDIRECTED] = { .type = NLA_U64 },
	[CTRIPC_A_REFUSED_WRITES] = { .type = NLA_U64 },
	[CTRIPC_A_BACKEND] = STR(16),
	[CTRIPC_A_CONTAINER] = STR(CTRIPC_NAME_MAX),
	[CTRIPC_A_EVENT] = STR(32),
	[CTRIPC_A_ACTION] = STR(8),
	[CTRIPC_A_FROM] = STR(128),
	[CTRIPC_A_TO] = STR(128),
	[CTRIPC_A_CATEGORY] = STR(128),
	[CTRIPC_A_SECRET] = STR(63),
	[CTRIPC_A_POSITION] = { .type = NLA_U32 },
	[CTRIPC_A_RULE_ID] = { .type = NLA_U32 },
	[CTRIPC_A_HITS] = { .type = NLA_U64 },
	[CTRIPC_A_VALUE] = { .type = NLA_BINARY, .maxlen = 4096 },
	[CTRIPC_A_RULE] = STR(1024),
	[CTRIPC_A_BUFFER_PID] = { .type = NLA_U32 },
	[CTRIPC_A_BUFFER_STARTS] = { .type = NLA_U64 },
	[CTRIPC_A_BUFFER_CRASHES] = { .type = NLA_U64 },
	[CTRIPC_A_DURABILITY] = STR(16),
	[CTRIPC_A_RECOVERY] = STR(256),
	[CTRIPC_A_RECOVERY_REPORT] = STR(2048),
	[CTRIPC_A_MSG_ID] = { .type = NLA_U64 },
	[CTRIPC_A_LIMIT] = { .type = NLA_U32 },
	[CTRIPC_A_SENT_AT] = { .type = NLA_U64 },
	[CTRIPC_A_ACCEPTED_AT] = { .type = NLA_U64 },
	[CTRIPC_A_SIZE] = { .type = NLA_U64 },
	[CTRIPC_A_ATTEMPTS] = { .type = NLA_U32 },
	[CTRIPC_A_REASON] = STR(CTRIPC_ERRMSG_MAX),
	[CTRIPC_A_ADDRESS] = STR(127),
	[CTRIPC_A_QUEUED] = { .type = NLA_U64 },
	[CTRIPC_A_REFUSED] = { .type = NLA_U64 },
	[CTRIPC_A_CONNECTED] = { .type = NLA_FLAG },
	[CTRIPC_A_SINCE] = { .type = NLA_U64 },
	[CTRIPC_A_UNTIL] = { .type = NLA_U64 },
	[CTRIPC_A_ID_MIN] = { .type = NLA_U64 },
	[CTRIPC_A_ID_MAX] = { .type = NLA_U64 },
	[CTRIPC_A_IDS] = { .type = NLA_BINARY, .maxlen = 4096 * 8 },
	[CTRIPC_A_REPLAYS] = { .type = NLA_U64 },
	[CTRIPC_A_DEST] = STR(127),
	[CTRIPC_A_DRY_RUN] = { .type = NLA_FLAG },
	[CTRIPC_A_COUNT] = { .type = NLA_U64 },
	[CTRIPC_A_PAYLOAD] = { .type = NLA_FLAG },
};

const char *const ctripc_attr_names[CTRIPC_A_MAX + 1] = {
	[CTRIPC_A_UNSPEC] = "unspec",
	[CTRIPC_A_VERSION] = "version",
	[CTRIPC_A_PROTO_VERSION] = "protocol_version",
	[CTRIPC_A_PID] = "pid",
	[CTRIPC_A_UPTIME_MS] = "uptime_ms",
	[CTRIPC_A_STARTED_AT] = "started_at",
	[CTRIPC_A_PORT_ID] = "port_id",
	[CTRIPC_A_CONFIG_PATH] = "config_path",
	[CTRIPC_A_STATE_DIR] = "state_dir",
	[CTRIPC_A_RUN_DIR] = "run_dir",
	[CTRIPC_A_LOG_LEVEL] = "log_level",
	[CTRIPC_A_REQUESTS] = "requests",
	[CTRIPC_A_ERRORS] = "errors",
	[CTRIPC_A_DENIED] = "denied",
	[CTRIPC_A_RELOADS] = "reloads",
	[CTRIPC_A_CMD_NAME] = "command",
	[CTRIPC_A_NAME] = "name",
	[CTRIPC_A_STATE] = "state",
	[CTRIPC_A_HOSTNAME] = "hostname",
	[CTRIPC_A_ROOTFS] = "rootfs",
	[CTRIPC_A_IMAGE] = "image",
	[CTRIPC_A_SHA256] = "sha256",
	[CTRIPC_A_MEMORY] = "memory",
	[CTRIPC_A_PIDS_MAX] = "pids_max",
	[CTRIPC_A_ENV] = "env",
	[CTRIPC_A_BINDS] = "binds",
	[CTRIPC_A_NET] = "net",
	[CTRIPC_A_USERNS] = "userns",
	[CTRIPC_A_ARGV] = "argv",
	[CTRIPC_A_TIMEOUT] = "timeout",
	[CTRIPC_A_SIGNAL] = "signal",
	[CTRIPC_A_FORCE] = "force",
	[CTRIPC_A_EXIT_CODE] = "exit_code",
	[CTRIPC_A_EXIT_SIGNAL] = "exit_signal",
	[CTRIPC_A_CREATED_AT] = "created_at",
	[CTRIPC_A_FINISHED_AT] = "finished_at",
	[CTRIPC_A_OOM_KILLED] = "oom_killed",
	[CTRIPC_A_TTY] = "tty",
	[CTRIPC_A_SOCKET] = "socket",
	[CTRIPC_A_OFFSET] = "offset",
	[CTRIPC_A_DATA] = "data",
	[CTRIPC_A_BYTES_DONE] = "bytes_done",
	[CTRIPC_A_BYTES_TOTAL] = "bytes_total",
	[CTRIPC_A_UID_BASE] = "uid_base",
	[CTRIPC_A_RESOURCE] = "resource",
	[CTRIPC_A_RES_ID] = "id",
	[CTRIPC_A_RES_PHYS] = "phys",
	[CTRIPC_A_SIMULATED] = "simulated",
	[CTRIPC_A_DEVICE] = "device",
	[CTRIPC_A_REDIRECT] = "redirect",
	[CTRIPC_A_FOCUS] = "focus",
	[CTRIPC_A_TARGET] = "target",
	[CTRIPC_A_BARRED] = "barred",
	[CTRIPC_A_EV_TYPE] = "type",
	[CTRIPC_A_EV_CODE] = "code",
	[CTRIPC_A_EV_VALUE] = "value",
	[CTRIPC_A_EVENTS_IN] = "events_in",
	[CTRIPC_A_DELIVERED] = "delivered",
	[CTRIPC_A_DROPPED] = "dropped",
	[CTRIPC_A_REDIRECTED] = "redirected",
	[CTRIPC_A_REFUSED_WRITES] = "refused_writes",
	[CTRIPC_A_BACKEND] = "backend",
	[CTRIPC_A_CONTAINER] = "container",
	[CTRIPC_A_EVENT] = "event",
	[CTRIPC_A_ACTION] = "action",
	[CTRIPC_A_FROM] = "from",
	[CTRIPC_A_TO] = "to",
	[CTRIPC_A_CATEGORY] = "category",
	[CTRIPC_A_SECRET] = "secret",
	[CTRIPC_A_POSITION] = "position",
	[CTRIPC_A_RULE_ID] = "id",
	[CTRIPC_A_HITS] = "hits",
	[CTRIPC_A_VALUE] = "value",
	[CTRIPC_A_RULE] = "rule",
	[CTRIPC_A_BUFFER_PID] = "buffer_pid",
	[CTRIPC_A_BUFFER_STARTS] = "buffer_starts",
	[CTRIPC_A_BUFFER_CRASHES] = "buffer_crashes",
	[CTRIPC_A_DURABILITY] = "durability",
	[CTRIPC_A_RECOVERY] = "recovery",
	[CTRIPC_A_RECOVERY_REPORT] = "recovery_report",
	[CTRIPC_A_MSG_ID] = "id",
	[CTRIPC_A_LIMIT] = "limit",
	[CTRIPC_A_SENT_AT] = "sent_at",
	[CTRIPC_A_ACCEPTED_AT] = "accepted_at",
	[CTRIPC_A_SIZE] = "size",
	[CTRIPC_A_ATTEMPTS] = "attempts",
	[CTRIPC_A_REASON] = "reason",
	[CTRIPC_A_ADDRESS] = "address",
	[CTRIPC_A_QUEUED] = "queued",
	[CTRIPC_A_REFUSED] = "refused",
	[CTRIPC_A_CONNECTED] = "connected",
	[CTRIPC_A_SINCE] = "since",
	[CTRIPC_A_UNTIL] = "until",
	[CTRIPC_A_ID_MIN] = "id_min",
	[CTRIPC_A_ID_MAX] = "id_max",
	[CTRIPC_A_IDS] = "ids",
	[CTRIPC_A_REPLAYS] = "replays",
	[CTRIPC_A_DEST] = "dest",
	[CTRIPC_A_DRY_RUN] = "dry_run",
	[CTRIPC_A_COUNT] = "count",
	[CTRIPC_A_PAYLOAD] = "payload",
};

#define ATTRS(...) ((const uint16_t[]){ __VA_ARGS__, 0 })
#define NONE	   ATTRS(0)
/* What selects messages: msg ls, replay, purge, watch. */
#define MSG_FILTERS                                                                                \
	CTRIPC_A_FROM, CTRIPC_A_TO, CTRIPC_A_CATEGORY, CTRIPC_A_STATE, CTRIPC_A_LIMIT,             \
		CTRIPC_A_SINCE, CTRIPC_A_UNTIL, CTRIPC_A_ID_MIN, CTRIPC_A_ID_MAX

const struct ctripc_cmd_desc ctripc_cmds[CTRIPC_CMD_MAX + 1] = {
	[CTRIPC_CMD_DAEMON_STATUS] = { "daemon.status", 0, NONE, NONE },
	[CTRIPC_CMD_DAEMON_VERSION] = { "daemon.version", 0, NONE, NONE },
	[CTRIPC_CMD_DAEMON_STATS] = { "daemon.stats", CTRIPC_CMDF_DUMP, NONE,
				      ATTRS(CTRIPC_A_CMD_NAME) },
	[CTRIPC_CMD_DAEMON_RELOAD] = { "daemon.reload", CTRIPC_CMDF_ADMIN, NONE, NONE },
	[CTRIPC_CMD_DAEMON_LOG_LEVEL] = { "daemon.log-level", CTRIPC_CMDF_ADMIN,
					  ATTRS(CTRIPC_A_LOG_LEVEL), NONE },
	[CTRIPC_CMD_CONTAINER_CREATE] = { "container.create", CTRIPC_CMDF_ADMIN,
					  ATTRS(CTRIPC_A_NAME),
					  ATTRS(CTRIPC_A_HOSTNAME, CTRIPC_A_ROOTFS, CTRIPC_A_IMAGE,
						CTRIPC_A_SHA256, CTRIPC_A_MEMORY, CTRIPC_A_PIDS_MAX,
						CTRIPC_A_ENV, CTRIPC_A_BINDS, CTRIPC_A_NET,
						CTRIPC_A_USERNS, CTRIPC_A_ARGV) },
	[CTRIPC_CMD_CONTAINER_START] = { "container.start", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_NAME),
					 NONE },
	[CTRIPC_CMD_CONTAINER_STOP] = { "container.stop", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_NAME),
					ATTRS(CTRIPC_A_TIMEOUT) },
	[CTRIPC_CMD_CONTAINER_KILL] = { "container.kill", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_NAME),
					ATTRS(CTRIPC_A_SIGNAL) },
	[CTRIPC_CMD_CONTAINER_RM] = { "container.rm", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_NAME),
				      ATTRS(CTRIPC_A_FORCE) },
	[CTRIPC_CMD_CONTAINER_LIST] = { "container.ls", CTRIPC_CMDF_DUMP, NONE,
					ATTRS(CTRIPC_A_STATE) },
	[CTRIPC_CMD_CONTAINER_INSPECT] = { "container.inspect", 0, ATTRS(CTRIPC_A_NAME), NONE },
	[CTRIPC_CMD_CONTAINER_LOGS] = { "container.logs", CTRIPC_CMDF_DUMP, ATTRS(CTRIPC_A_NAME),
					ATTRS(CTRIPC_A_OFFSET) },
	[CTRIPC_CMD_CONTAINER_EXEC] = { "container.exec", CTRIPC_CMDF_ADMIN,
					ATTRS(CTRIPC_A_NAME, CTRIPC_A_ARGV),
					ATTRS(CTRIPC_A_ENV, CTRIPC_A_TTY) },
	[CTRIPC_CMD_VDEV_RESOURCES] = { "vdev.resources", CTRIPC_CMDF_DUMP, NONE, NONE },
	[CTRIPC_CMD_VDEV_LIST] = { "vdev.ls", CTRIPC_CMDF_DUMP, NONE, ATTRS(CTRIPC_A_CONTAINER) },
	[CTRIPC_CMD_VDEV_ATTACH] = { "vdev.attach", CTRIPC_CMDF_ADMIN,
				     ATTRS(CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE),
				     ATTRS(CTRIPC_A_DEVICE) },
	[CTRIPC_CMD_VDEV_DETACH] = { "vdev.detach", CTRIPC_CMDF_ADMIN,
				     ATTRS(CTRIPC_A_CONTAINER, CTRIPC_A_DEVICE), NONE },
	[CTRIPC_CMD_VDEV_FOCUS] = { "vdev.focus", CTRIPC_CMDF_ADMIN,
				    ATTRS(CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE), NONE },
	[CTRIPC_CMD_VDEV_BLOCK] = { "vdev.block", CTRIPC_CMDF_ADMIN,
				    ATTRS(CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE),
				    ATTRS(CTRIPC_A_REDIRECT) },
	[CTRIPC_CMD_VDEV_UNBLOCK] = { "vdev.unblock", CTRIPC_CMDF_ADMIN,
				      ATTRS(CTRIPC_A_CONTAINER, CTRIPC_A_RESOURCE), NONE },
	[CTRIPC_CMD_VDEV_STATS] = { "vdev.stats", CTRIPC_CMDF_DUMP, NONE,
				    ATTRS(CTRIPC_A_RESOURCE) },
	[CTRIPC_CMD_VDEV_SIM_ADD] = { "vdev.sim.add", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_RESOURCE),
				      NONE },
	[CTRIPC_CMD_VDEV_SIM_RM] = { "vdev.sim.rm", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_RESOURCE),
				     NONE },
	[CTRIPC_CMD_VDEV_INJECT] = { "vdev.inject", CTRIPC_CMDF_ADMIN,
				     ATTRS(CTRIPC_A_RESOURCE, CTRIPC_A_EV_TYPE, CTRIPC_A_EV_CODE,
					   CTRIPC_A_EV_VALUE),
				     NONE },
	[CTRIPC_CMD_VDEV_WATCH] = { "vdev.watch", CTRIPC_CMDF_ADMIN, NONE, NONE },
	[CTRIPC_CMD_POLICY_ADD] = { "policy.add", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_ACTION),
				    ATTRS(CTRIPC_A_FROM, CTRIPC_A_TO, CTRIPC_A_CATEGORY,
					  CTRIPC_A_SECRET, CTRIPC_A_POSITION) },
	[CTRIPC_CMD_POLICY_LIST] = { "policy.ls", CTRIPC_CMDF_DUMP, NONE, NONE },
	[CTRIPC_CMD_POLICY_RM] = { "policy.rm", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_RULE_ID), NONE },
	[CTRIPC_CMD_SECRET_SET] = { "policy.secret.set", CTRIPC_CMDF_ADMIN,
				    ATTRS(CTRIPC_A_SECRET, CTRIPC_A_VALUE), NONE },
	[CTRIPC_CMD_SECRET_LIST] = { "policy.secret.ls", CTRIPC_CMDF_DUMP, NONE, NONE },
	[CTRIPC_CMD_SECRET_RM] = { "policy.secret.rm", CTRIPC_CMDF_ADMIN, ATTRS(CTRIPC_A_SECRET),
				   NONE },
	[CTRIPC_CMD_MSG_LIST] = { "msg.ls", CTRIPC_CMDF_DUMP, NONE,
				  ATTRS(MSG_FILTERS, CTRIPC_A_PAYLOAD) },
	[CTRIPC_CMD_MSG_SHOW] = { "msg.show", CTRIPC_CMDF_DUMP, ATTRS(CTRIPC_A_MSG_ID), NONE },
	[CTRIPC_CMD_MSG_ENDPOINTS] = { "msg.endpoints", CTRIPC_CMDF_DUMP, NONE, NONE },
	[CTRIPC_CMD_MSG_STATS] = { "msg.stats", CTRIPC_CMDF_DUMP, NONE, NONE },
	[CTRIPC_CMD_MSG_REPLAY] = { "msg.replay", CTRIPC_CMDF_DUMP | CTRIPC_CMDF_ADMIN, NONE,
				    ATTRS(MSG_FILTERS, CTRIPC_A_IDS, CTRIPC_A_DEST, CTRIPC_A_SECRET,
					  CTRIPC_A_DRY_RUN) },
	[CTRIPC_CMD_MSG_PURGE] = { "msg.purge", CTRIPC_CMDF_ADMIN, NONE,
				   ATTRS(MSG_FILTERS, CTRIPC_A_IDS) },
	[CTRIPC_CMD_MSG_WATCH] = { "msg.watch", CTRIPC_CMDF_ADMIN, NONE,
				   ATTRS(MSG_FILTERS, CTRIPC_A_PAYLOAD) },
};

static bool attr_listed(const uint16_t *list, int attr)
{
	for (; *list; list++)
		if (*list == attr)
			return true;
	return false;
}

bool ctripc_attr_is_strv(int attr)
{
	return attr == CTRIPC_A_ENV || attr == CTRIPC_A_BINDS || attr == CTRIPC_A_ARGV;
}

int ctripc_strv_get(const struct nlattr *nla, const char **ret_v, int max)
{
	const char *p = nla_data(nla), *end = p + nla_len(nla);
	int n = 0;

	while (p < end) {
		if (n == max)
			return -E2BIG;
		ret_v[n++] = p;
		p += strlen(p) + 1;
	}
	return n;
}

int ctripc_strv_put(struct nl_msg *msg, int attr, const char *const *v, int n)
{
	size_t len = 0, off = 0;
	char *buf;
	int r;

	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if (len > CTRIPC_STRV_MAX)
		return -E2BIG;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(buf + off, v[i], l);
		off += l;
	}
	r = nla_put(msg, attr, (int)len, buf);
	free(buf);
	return r < 0 ? -EMSGSIZE : 0;
}

const struct ctripc_cmd_desc *ctripc_cmd_lookup(unsigned int cmd)
{
	if (cmd == CTRIPC_CMD_UNSPEC || cmd > CTRIPC_CMD_MAX || !ctripc_cmds[cmd].name)
		return NULL;
	return &ctripc_cmds[cmd];
}

unsigned int ctripc_cmd_by_name(const char *name)
{
	for (unsigned int i = 1; i <= CTRIPC_CMD_MAX; i++)
		if (ctripc_cmds[i].name && strcmp(ctripc_cmds[i].name, name) == 0)
			return i;
	return 0;
}

struct nl_msg *ctripc_msg_new(uint8_t cmd, uint16_t nlflags, uint32_t seq, uint32_t portid)
{
	struct nl_msg *msg = nlmsg_alloc_size(CTRIPC_MSG_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, portid, seq, CTRIPC_NLMSG_TYPE, 0, nlflags, cmd,
			 CTRIPC_PROTO_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int fail(char *err, size_t errlen, int error, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return error;
}

/* Exact size for fixed-width types; libnl's policy only enforces a minimum. */
static int attr_fixed_size(uint16_t type)
{
	switch (type) {
	case NLA_U8:
		return 1;
	case NLA_U16:
		return 2;
	case NLA_U32:
		return 4;
	case NLA_U64:
		return 8;
	case NLA_FLAG:
		return 0;
	default:
		return -1;
	}
}

static int check_attr(const struct ctripc_tlv_proto *proto, const struct nlattr *nla, char *err,
		      size_t errlen)
{
	int type = nla->nla_type & NLA_TYPE_MASK;
	int len = nla->nla_len - NLA_HDRLEN;
	const struct nla_policy *p;
	const char *name;
	int fixed;

	if (type <= 0 || type > proto->attr_max)
		return fail(err, errlen, -EINVAL, "unknown attribute %d", type);
	p = &proto->policy[type];
	name = proto->attr_names[type];
	fixed = attr_fixed_size(p->type);
	if (fixed >= 0 && len != fixed)
		return fail(err, errlen, -EINVAL, "attribute '%s' has %d bytes, expected %d", name,
			    len, fixed);
	if (proto->is_strv && proto->is_strv(type) && len > 0 &&
	    ((const char *)nla_data(nla))[len - 1] != '\0')
		return fail(err, errlen, -EINVAL,
			    "attribute '%s' is not a list of NUL-terminated strings", name);
	if (p->type == NLA_BINARY && p->maxlen && len > p->maxlen)
		return fail(err, errlen, -E2BIG, "attribute '%s' is %d bytes long, the limit is %u",
			    name, len, p->maxlen);
	if (p->type == NLA_STRING) {
		const char *s = (const char *)nla + NLA_HDRLEN;

		if (len < 1 || s[len - 1] != '\0' || memchr(s, '\0', len) != s + len - 1)
			return fail(err, errlen, -EINVAL,
				    "attribute '%s' is not a NUL-terminated string", name);
		if (p->maxlen && len > p->maxlen)
			return fail(err, errlen, -ENAMETOOLONG,
				    "attribute '%s' is %d bytes long, the limit is %u", name,
				    len - 1, p->maxlen - 1);
	}
	return 0;
}

int ctripc_tlv_parse(const struct ctripc_tlv_proto *proto, const struct nlmsghdr *nlh, bool request,
		     struct nlattr **tb, uint8_t *ret_cmd, char *err, size_t errlen)
{
	const struct ctripc_cmd_desc *desc;
	const struct genlmsghdr *gnl;
	struct nlattr *pos;
	int rem, r;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return fail(err, errlen, -EBADMSG, "message of %u bytes is shorter than its header",
			    nlh->nlmsg_len);
	if (nlh->nlmsg_type != proto->nlmsg_type)
		return fail(err, errlen, -EBADMSG, "message type %u is not a %s message",
			    nlh->nlmsg_type, proto->name);
	gnl = nlmsg_data(nlh);
	if (gnl->version != proto->version)
		return fail(err, errlen, -EPROTO,
			    "%s protocol version %u is not supported (this side speaks %u); "
			    "use programs from the same release",
			    proto->name, gnl->version, proto->version);
	desc = gnl->cmd > 0 && gnl->cmd <= proto->cmd_max && proto->cmds[gnl->cmd].name
		       ? &proto->cmds[gnl->cmd]
		       : NULL;
	if (!desc)
		return fail(err, errlen, -EOPNOTSUPP,
			    "unknown %s command %u (protocol %u); is the other side newer?",
			    proto->name, gnl->cmd, proto->version);

	/*
	 * One pass, with the header's fields read directly (this runs for every
	 * frame of the bus): each attribute checked against the policy, then
	 * indexed.
	 */
	memset(tb, 0, sizeof(*tb) * (size_t)(proto->attr_max + 1));
	rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	for (pos = (struct nlattr *)((unsigned char *)gnl + GENL_HDRLEN);
	     rem >= NLA_HDRLEN && pos->nla_len >= NLA_HDRLEN && pos->nla_len <= rem;
	     rem -= NLA_ALIGN(pos->nla_len),
	    pos = (struct nlattr *)((unsigned char *)pos + NLA_ALIGN(pos->nla_len))) {
		int type = pos->nla_type & NLA_TYPE_MASK;

		if (pos->nla_type & ~NLA_TYPE_MASK)
			return fail(err, errlen, -EINVAL,
				    "attribute %d carries nested or byte-order flags", type);
		/* An answer from a newer side may carry more: what this side does not know, it skips. */
		if (!request && type > proto->attr_max)
			continue;
		r = check_attr(proto, pos, err, errlen);
		if (r < 0)
			return r;
		if (tb[type])
			return fail(err, errlen, -EINVAL, "attribute '%s' is given twice",
				    proto->attr_names[type]);
		if (request && !attr_listed(desc->required, type) &&
		    !attr_listed(desc->allowed, type))
			return fail(err, errlen, -EINVAL, "attribute '%s' is not valid for '%s'",
				    proto->attr_names[type], desc->name);
		tb[type] = pos;
	}
	if (rem > 0)
		return fail(err, errlen, -EBADMSG, "%d trailing bytes after the last attribute",
			    rem);
	for (const uint16_t *a = desc->required; request && *a; a++)
		if (!tb[*a])
			return fail(err, errlen, -EINVAL,
				    "'%s' needs attribute '%s', which is missing", desc->name,
				    proto->attr_names[*a]);
	if (ret_cmd)
		*ret_cmd = gnl->cmd;
	return 0;
}

_Static_assert(CTRIPC_A_MAX < CTRIPC_TLV_ATTR_LIMIT, "attributes over the codec's limit");

const struct ctripc_tlv_proto ctripc_control_proto = {
	.name = "ctr-ipc",
	.nlmsg_type = CTRIPC_NLMSG_TYPE,
	.version = CTRIPC_PROTO_VERSION,
	.cmds = ctripc_cmds,
	.cmd_max = CTRIPC_CMD_MAX,
	.policy = ctripc_policy,
	.attr_names = ctripc_attr_names,
	.attr_max = CTRIPC_A_MAX,
	.is_strv = ctripc_attr_is_strv,
};

int ctripc_msg_parse(const struct nlmsghdr *nlh, bool request, struct nlattr **tb, uint8_t *ret_cmd,
		     char *err, size_t errlen)
{
	return ctripc_tlv_parse(&ctripc_control_proto, nlh, request, tb, ret_cmd, err, errlen);
}

struct nl_msg *ctripc_msg_error(const struct nlmsghdr *req, int error, const char *text)
{
	struct nlmsgerr *e;
	struct nl_msg *msg;
	uint16_t flags = NLM_F_CAPPED;

	if (text && *text)
		flags |= NLM_F_ACK_TLVS;
	msg = nlmsg_alloc_simple(NLMSG_ERROR, flags);
	if (!msg)
		return NULL;
	nlmsg_hdr(msg)->nlmsg_seq = req->nlmsg_seq;
	e = nlmsg_reserve(msg, sizeof(*e), NLMSG_ALIGNTO);
	if (!e)
		goto out_free;
	e->error = error;
	e->msg = *req;
	e->msg.nlmsg_len = sizeof(*req);
	if ((flags & NLM_F_ACK_TLVS) && nla_put_string(msg, NLMSGERR_ATTR_MSG, text) < 0)
		goto out_free;
	return msg;

out_free:
	nlmsg_free(msg);
	return NULL;
}

int ctripc_msg_error_parse(const struct nlmsghdr *nlh, int *ret_error, char *text, size_t textlen)
{
	static const struct nla_policy ext_policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING, .maxlen = CTRIPC_ERRMSG_MAX },
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const struct nlmsgerr *e;
	size_t hdr;

	if (text && textlen)
		text[0] = '\0';
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	e = nlmsg_data(nlh);
	*ret_error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* Without NLM_F_CAPPED the whole request is echoed before the TLVs. */
	hdr = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hdr += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	if (NLMSG_HDRLEN + hdr > nlh->nlmsg_len)
		return -EBADMSG;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + hdr),
		      nlh->nlmsg_len - NLMSG_HDRLEN - hdr, (struct nla_policy *)ext_policy) < 0)
		return -EBADMSG;
	if (tb[NLMSGERR_ATTR_MSG] && text && textlen)
		snprintf(text, textlen, "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return 0;
}

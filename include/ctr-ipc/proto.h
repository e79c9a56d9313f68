/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctr-ipc control protocol: the one definition of commands, attributes and
 * their policies, shared by ctr-ipcd and every client.
 *
 * Transport: NETLINK_USERSOCK.  The daemon binds CTRIPC_DEFAULT_PORT_ID (or
 * the configured port).  Every message is nlmsghdr (type CTRIPC_NLMSG_TYPE) +
 * genlmsghdr (cmd, version = CTRIPC_PROTO_VERSION) + attributes.  Requests
 * carry NLM_F_REQUEST|NLM_F_ACK; lists are dumps (NLM_F_DUMP, NLM_F_MULTI
 * replies, NLMSG_DONE).  Errors are NLMSG_ERROR with NLMSGERR_ATTR_MSG.
 */
#ifndef CTRIPC_PROTO_H
#define CTRIPC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#define CTRIPC_PROTO_VERSION 1

/* 0x43495043 is "CIPC": above any pid_max, so never a process's autobound port. */
#define CTRIPC_DEFAULT_PORT_ID 0x43495043u

/* nlmsg_type of every ctr-ipc message (first value above the netlink control types). */
#define CTRIPC_NLMSG_TYPE (NLMSG_MIN_TYPE + 0x10)

/* Largest datagram either side sends; the receive buffer is at least this big. */
#define CTRIPC_MSG_MAX 65536

/* Longest extended-ack sentence the daemon sends. */
#define CTRIPC_ERRMSG_MAX 512

enum ctripc_cmd {
	CTRIPC_CMD_UNSPEC,
	CTRIPC_CMD_DAEMON_STATUS,    /* do: version, pid, uptime, counters */
	CTRIPC_CMD_DAEMON_VERSION,   /* do: daemon and protocol version */
	CTRIPC_CMD_DAEMON_STATS,     /* dump: per-command counters */
	CTRIPC_CMD_DAEMON_RELOAD,    /* do, admin: re-read the config file */
	CTRIPC_CMD_DAEMON_LOG_LEVEL, /* do, admin: change the log level */
	CTRIPC_CMD_CONTAINER_CREATE, /* do, admin */
	CTRIPC_CMD_CONTAINER_START,  /* do, admin */
	CTRIPC_CMD_CONTAINER_STOP, /* do, admin: TERM, KILL after the timeout; answers once stopped */
	CTRIPC_CMD_CONTAINER_KILL,    /* do, admin */
	CTRIPC_CMD_CONTAINER_RM,      /* do, admin */
	CTRIPC_CMD_CONTAINER_LIST,    /* dump */
	CTRIPC_CMD_CONTAINER_INSPECT, /* do */
	CTRIPC_CMD_CONTAINER_EXEC,    /* do, admin: answers with a one-shot exec socket */
	CTRIPC_CMD_CONTAINER_LOGS,    /* dump: the log from an offset, in chunks */
	CTRIPC_CMD_VDEV_RESOURCES,    /* dump: hardware and simulated resources */
	CTRIPC_CMD_VDEV_LIST,	      /* dump: virtual devices, of one container or all */
	CTRIPC_CMD_VDEV_ATTACH,	      /* do, admin: a device for (container, resource) */
	CTRIPC_CMD_VDEV_DETACH,	      /* do, admin */
	CTRIPC_CMD_VDEV_FOCUS,	      /* do, admin: the container in the foreground */
	CTRIPC_CMD_VDEV_BLOCK,	      /* do, admin: bar a container, optionally redirect */
	CTRIPC_CMD_VDEV_UNBLOCK,      /* do, admin */
	CTRIPC_CMD_VDEV_STATS,	      /* dump: counters per resource and per device */
	CTRIPC_CMD_VDEV_SIM_ADD,      /* do, admin: a simulated resource */
	CTRIPC_CMD_VDEV_SIM_RM,	      /* do, admin */
	CTRIPC_CMD_VDEV_INJECT,	      /* do, admin: an event into a simulated resource */
	CTRIPC_CMD_VDEV_WATCH,	      /* do, admin: hot-plug and focus changes as they happen */
	CTRIPC_CMD_POLICY_ADD,	      /* do, admin: a rule, at a position */
	CTRIPC_CMD_POLICY_LIST,	      /* dump: the rules in order, with their hits */
	CTRIPC_CMD_POLICY_RM,	      /* do, admin: a rule by ID */
	CTRIPC_CMD_SECRET_SET,	      /* do, admin */
	CTRIPC_CMD_SECRET_LIST,	      /* dump: names only */
	CTRIPC_CMD_SECRET_RM,	      /* do, admin */
	CTRIPC_CMD_MSG_LIST,	      /* dump: messages held and recently finished */
	CTRIPC_CMD_MSG_SHOW,	      /* dump: one message, headers then payload chunks */
	CTRIPC_CMD_MSG_ENDPOINTS,     /* dump: endpoints with their counters */
	CTRIPC_CMD_MSG_STATS,	      /* dump: the buffer's totals, then decisions per rule */
	CTRIPC_CMD_MSG_REPLAY,	      /* dump, admin: a result per message replayed */
	CTRIPC_CMD_MSG_PURGE,	      /* do, admin: held messages removed; COUNT */
	CTRIPC_CMD_MSG_WATCH,	      /* do, admin: what happens to messages, as it happens */
	__CTRIPC_CMD_MAX,
	CTRIPC_CMD_MAX = __CTRIPC_CMD_MAX - 1,
};

enum ctripc_attr {
	CTRIPC_A_UNSPEC,
	CTRIPC_A_VERSION,	  /* string: software version, "0.1.0" */
	CTRIPC_A_PROTO_VERSION,	  /* u32 */
	CTRIPC_A_PID,		  /* u32 */
	CTRIPC_A_UPTIME_MS,	  /* u64 */
	CTRIPC_A_STARTED_AT,	  /* u64: unix time, seconds */
	CTRIPC_A_PORT_ID,	  /* u32 */
	CTRIPC_A_CONFIG_PATH,	  /* string */
	CTRIPC_A_STATE_DIR,	  /* string */
	CTRIPC_A_RUN_DIR,	  /* string */
	CTRIPC_A_LOG_LEVEL,	  /* string: debug|info|notice|warning|error */
	CTRIPC_A_REQUESTS,	  /* u64 */
	CTRIPC_A_ERRORS,	  /* u64 */
	CTRIPC_A_DENIED,	  /* u64 */
	CTRIPC_A_RELOADS,	  /* u64 */
	CTRIPC_A_CMD_NAME,	  /* string: "daemon.status" */
	CTRIPC_A_NAME,		  /* string: a container's name */
	CTRIPC_A_STATE,		  /* string: created|running|stopped */
	CTRIPC_A_HOSTNAME,	  /* string */
	CTRIPC_A_ROOTFS,	  /* string: absolute path */
	CTRIPC_A_IMAGE,		  /* string: URL */
	CTRIPC_A_SHA256,	  /* string: 64 hex digits */
	CTRIPC_A_MEMORY,	  /* u64: bytes */
	CTRIPC_A_PIDS_MAX,	  /* u64 */
	CTRIPC_A_ENV,		  /* string list: KEY=VALUE */
	CTRIPC_A_BINDS,		  /* string list: SRC:DST[:ro] */
	CTRIPC_A_NET,		  /* string: none|host */
	CTRIPC_A_USERNS,	  /* flag */
	CTRIPC_A_ARGV,		  /* string list: the command */
	CTRIPC_A_TIMEOUT,	  /* u32: seconds */
	CTRIPC_A_SIGNAL,	  /* u32 */
	CTRIPC_A_FORCE,		  /* flag */
	CTRIPC_A_EXIT_CODE,	  /* u32 */
	CTRIPC_A_EXIT_SIGNAL,	  /* u32: the signal that ended it, 0 if none */
	CTRIPC_A_CREATED_AT,	  /* u64: unix time, seconds */
	CTRIPC_A_FINISHED_AT,	  /* u64: unix time, seconds */
	CTRIPC_A_OOM_KILLED,	  /* flag */
	CTRIPC_A_TTY,		  /* flag: exec on a pseudo-terminal */
	CTRIPC_A_SOCKET,	  /* string: path of the exec socket */
	CTRIPC_A_OFFSET,	  /* u64: byte offset in a log */
	CTRIPC_A_DATA,		  /* binary: bytes of a log */
	CTRIPC_A_BYTES_DONE,	  /* u64: progress of a download */
	CTRIPC_A_BYTES_TOTAL,	  /* u64: its size, 0 when unknown */
	CTRIPC_A_UID_BASE,	  /* u32: host uid and gid of a user namespace's root */
	CTRIPC_A_RESOURCE,	  /* string: a resource, by ID or name */
	CTRIPC_A_RES_ID,	  /* u32: a resource's ID */
	CTRIPC_A_RES_PHYS,	  /* string: its physical path */
	CTRIPC_A_SIMULATED,	  /* flag: a simulated resource */
	CTRIPC_A_DEVICE,	  /* string: a virtual device's name (/dev/vdev/NAME) */
	CTRIPC_A_REDIRECT,	  /* string: container that takes a barred one's events */
	CTRIPC_A_FOCUS,		  /* string: container in the foreground */
	CTRIPC_A_TARGET,	  /* string: container the events go to now */
	CTRIPC_A_BARRED,	  /* flag */
	CTRIPC_A_EV_TYPE,	  /* u32: input event type (EV_KEY...) */
	CTRIPC_A_EV_CODE,	  /* u32 */
	CTRIPC_A_EV_VALUE,	  /* u32: the s32 value, two's complement */
	CTRIPC_A_EVENTS_IN,	  /* u64 */
	CTRIPC_A_DELIVERED,	  /* u64 */
	CTRIPC_A_DROPPED,	  /* u64 */
	CTRIPC_A_REDIRECTED,	  /* u64 */
	CTRIPC_A_REFUSED_WRITES,  /* u64 */
	CTRIPC_A_BACKEND,	  /* string: kmod|user */
	CTRIPC_A_CONTAINER,	  /* string: a container's name, beside another name */
	CTRIPC_A_EVENT,		  /* string: what happened (vdev watch) */
	CTRIPC_A_ACTION,	  /* string: allow|deny */
	CTRIPC_A_FROM,		  /* string: a pattern */
	CTRIPC_A_TO,		  /* string: a pattern */
	CTRIPC_A_CATEGORY,	  /* string: a pattern */
	CTRIPC_A_SECRET,	  /* string: a secret's name */
	CTRIPC_A_POSITION,	  /* u32: 1-based place in the rules */
	CTRIPC_A_RULE_ID,	  /* u32 */
	CTRIPC_A_HITS,		  /* u64: decisions a rule made */
	CTRIPC_A_VALUE,		  /* binary: a secret's value */
	CTRIPC_A_RULE,		  /* string: a rule as policy.conf writes it */
	CTRIPC_A_BUFFER_PID,	  /* u32: the buffer process, 0 while it is down */
	CTRIPC_A_BUFFER_STARTS,	  /* u64 */
	CTRIPC_A_BUFFER_CRASHES,  /* u64: times it ended without being asked */
	CTRIPC_A_MSG_ID,	  /* u64: a bus message's ID */
	CTRIPC_A_LIMIT,		  /* u32: at most this many entries */
	CTRIPC_A_SENT_AT,	  /* u64: ns since the epoch */
	CTRIPC_A_ACCEPTED_AT,	  /* u64: ns since the epoch */
	CTRIPC_A_SIZE,		  /* u64: payload bytes */
	CTRIPC_A_ATTEMPTS,	  /* u32: deliveries */
	CTRIPC_A_REASON,	  /* string: why it was refused or expired */
	CTRIPC_A_ADDRESS,	  /* string: container/endpoint */
	CTRIPC_A_QUEUED,	  /* u64 */
	CTRIPC_A_REFUSED,	  /* u64 */
	CTRIPC_A_CONNECTED,	  /* flag */
	CTRIPC_A_DURABILITY,	  /* string: sync, async, memory */
	CTRIPC_A_RECOVERY,	  /* string: what the buffer's last recovery found */
	CTRIPC_A_RECOVERY_REPORT, /* string: its problems, a line each */
	CTRIPC_A_SINCE,		  /* u64: ns since the epoch, sent at or after */
	CTRIPC_A_UNTIL,		  /* u64: ns since the epoch, sent before */
	CTRIPC_A_ID_MIN,	  /* u64: message IDs from */
	CTRIPC_A_ID_MAX,	  /* u64: message IDs up to */
	CTRIPC_A_IDS,		  /* binary: u64 message IDs */
	CTRIPC_A_REPLAYS,	  /* u64: the ID a message replays */
	CTRIPC_A_DEST,		  /* string: container/endpoint a replay goes to */
	CTRIPC_A_DRY_RUN,	  /* flag: decide, change nothing */
	CTRIPC_A_COUNT,		  /* u64: messages a command took */
	CTRIPC_A_PAYLOAD,	  /* flag: events with payloads (msg watch) */
	__CTRIPC_A_MAX,
	CTRIPC_A_MAX = __CTRIPC_A_MAX - 1,
};

/* Limits on strings the daemon accepts. */
#define CTRIPC_PATH_MAX 4096
#define CTRIPC_NAME_MAX 64

/* Command flags. */
#define CTRIPC_CMDF_ADMIN (1u << 0) /* changes state: uid 0 or the admin group */
#define CTRIPC_CMDF_DUMP  (1u << 1) /* answered as a dump */

struct ctripc_cmd_desc {
	const char *name;	  /* stable key, "daemon.status" */
	unsigned int flags;	  /* CTRIPC_CMDF_* */
	const uint16_t *required; /* attributes the request must carry, 0-terminated */
	const uint16_t *allowed;  /* further attributes it may carry, 0-terminated */
};

/*
 * The exec socket (AF_UNIX, SOCK_SEQPACKET), after CTRIPC_CMD_CONTAINER_EXEC.
 * The client connects once and sends EXEC_FDS with its stdin, stdout and
 * stderr (SCM_RIGHTS), or EXEC_TTY with a struct winsize.  The daemon's
 * helper answers EXEC_MASTER with the pty master (SCM_RIGHTS) when asked
 * for a tty, EXEC_ERROR with a sentence when the command cannot run, and
 * EXEC_STATUS with the command's wait status (int) when it ends.  The
 * client may send EXEC_SIGNAL (int) and EXEC_WINSIZE (struct winsize).
 */
enum ctripc_exec_msg {
	CTRIPC_EXEC_FDS = 'F',
	CTRIPC_EXEC_TTY = 'T',
	CTRIPC_EXEC_MASTER = 'M',
	CTRIPC_EXEC_ERROR = 'E',
	CTRIPC_EXEC_STATUS = 'S',
	CTRIPC_EXEC_SIGNAL = 'K',
	CTRIPC_EXEC_WINSIZE = 'W',
};

#define CTRIPC_EXEC_MAXFDS	3
#define CTRIPC_EXEC_PAYLOAD_MAX 600

/* One exec-socket message: @type, @len bytes of @data, @nfds fds.  0 or -errno. */
int ctripc_exec_send(int sock, char type, const void *data, size_t len, const int *fds, int nfds);

/*
 * Receive one exec-socket message into @buf (type byte first); up to @maxfds
 * passed fds (CLOEXEC) into @fds, their count in *@ret_nfds (extra ones are
 * closed).  Returns its length, 0 at the end of the stream, or -errno.
 */
ssize_t ctripc_exec_recv(int sock, void *buf, size_t len, int *fds, int maxfds, int *ret_nfds);

#define CTRIPC_LOG_CHUNK 16384

/* A string list: NUL-terminated strings back to back (argv, env). */
#define CTRIPC_STRV_MAX 32768

extern const struct nla_policy ctripc_policy[CTRIPC_A_MAX + 1];
/* Attributes whose NLA_BINARY payload is a string list (CTRIPC_STRV_MAX). */
bool ctripc_attr_is_strv(int attr);
/* Count the strings of a string-list attribute and point @ret_v (size @max) at them. */
int ctripc_strv_get(const struct nlattr *nla, const char **ret_v, int max);
/* Append @n strings as one string-list attribute. */
int ctripc_strv_put(struct nl_msg *msg, int attr, const char *const *v, int n);
extern const char *const ctripc_attr_names[CTRIPC_A_MAX + 1];
extern const struct ctripc_cmd_desc ctripc_cmds[CTRIPC_CMD_MAX + 1];

/*
 * One TLV protocol: nlmsghdr + genlmsghdr + attributes, parsed strictly.
 * The control protocol is one; the bus frames (ctr-ipc/bus.h) are another,
 * with the same codec.
 */
#define CTRIPC_TLV_ATTR_LIMIT 128 /* attr_max of every protocol stays below */
struct ctripc_tlv_proto {
	const char *name; /* for errors: "ctr-ipc", "bus" */
	uint16_t nlmsg_type;
	uint8_t version;
	const struct ctripc_cmd_desc *cmds; /* indexed by command, cmd_max + 1 entries */
	int cmd_max;
	const struct nla_policy *policy; /* attr_max + 1 entries */
	const char *const *attr_names;
	int attr_max;
	bool (*is_strv)(int attr); /* NLA_BINARY attributes holding string lists, or NULL */
};

extern const struct ctripc_tlv_proto ctripc_control_proto;

/*
 * Parse @nlh strictly against @proto: right type and version, known command
 * and attributes, right sizes, NUL-terminated strings within their limits,
 * no attribute twice; for a request (@request), only the command's
 * attributes and all of its required ones.  Fills @tb (attr_max + 1) and
 * *@ret_cmd; or -errno with a sentence in @err.
 */
int ctripc_tlv_parse(const struct ctripc_tlv_proto *proto, const struct nlmsghdr *nlh, bool request,
		     struct nlattr **tb, uint8_t *ret_cmd, char *err, size_t errlen);

/* Command descriptor, or NULL for an unknown command. */
const struct ctripc_cmd_desc *ctripc_cmd_lookup(unsigned int cmd);

/* Command by its key ("daemon.status"); 0 when unknown. */
unsigned int ctripc_cmd_by_name(const char *name);

/*
 * Start a ctr-ipc message: nlmsghdr + genlmsghdr.  Returns NULL on ENOMEM.
 * The caller adds attributes with nla_put_*().
 */
struct nl_msg *ctripc_msg_new(uint8_t cmd, uint16_t nlflags, uint32_t seq, uint32_t portid);

/*
 * Validate one received message against the shared policy and fill tb[].
 * Checks, in order: length and header, protocol version, known command,
 * every attribute (known, exact size for integers, NUL-terminated strings
 * within their maximum), and, when @request is true, the command's required
 * and allowed attribute sets.  On failure returns -errno and writes a
 * sentence naming the problem to @err (size @errlen).
 */
int ctripc_msg_parse(const struct nlmsghdr *nlh, bool request, struct nlattr **tb, uint8_t *ret_cmd,
		     char *err, size_t errlen);

/*
 * Build an NLMSG_ERROR for @req (header only, NLM_F_CAPPED) carrying @error
 * (0 for an ACK) and, when @text is non-NULL, NLMSGERR_ATTR_MSG.
 */
struct nl_msg *ctripc_msg_error(const struct nlmsghdr *req, int error, const char *text);

/*
 * Read an NLMSG_ERROR: returns its (negative or zero) errno and copies the
 * extended-ack text, if any, into @text.  -EBADMSG when malformed.
 */
int ctripc_msg_error_parse(const struct nlmsghdr *nlh, int *ret_error, char *text, size_t textlen);

#endif

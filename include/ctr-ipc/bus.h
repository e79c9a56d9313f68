/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bus: frames between programs in containers and the buffer process
 * (DESIGN §3.3), and between ctr-ipcd and the buffer.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, whole frames in each datagram.  A frame is
 * nlmsghdr (type CTRIPC_BUS_NLMSG_TYPE) + genlmsghdr (command, version
 * CTRIPC_BUS_VERSION) + attributes: the control protocol's TLV codec
 * (ctripc_tlv_parse with ctripc_bus_proto).  Answers carry the request's
 * sequence number; a refusal is an NLMSG_ERROR whose extended-ack text is
 * the reason the sender can print.
 *
 * A datagram carries one frame or several back to back (NLMSG_ALIGNed, as
 * netlink batches them), CTRIPC_BUS_FRAME_MAX bytes at most: a side that has
 * several frames for the other coalesces them, so a stream of small
 * messages costs a system call per batch, not per message.
 *
 * A payload larger than one frame's share (CTRIPC_BUS_CHUNK) travels as a
 * SEND (or DELIVER) with the first chunk, PAYLOAD_LEN and MORE, then DATA
 * frames with the rest, the last without MORE: a SOCK_SEQPACKET datagram
 * must fit the socket's send buffer, which an unprivileged process cannot
 * raise past net.core.wmem_max.
 *
 * A SEND with NLM_F_ACK is answered at once.  One without it (pipelined)
 * may have its ACCEPTED held back to travel with the next frames for that
 * client: a delivery, an answer given at once, the 256th answer held, or
 * the answer to a SYNC, which a client sends before it waits for answers.
 * Refusals are never held back.  No timer is involved.
 *
 * Client to buffer                      Buffer to client
 *   REGISTER  ENDPOINT                    (ack)
 *   SEND      DEST CATEGORY [AUTH] [TTL_MS] [FLAGS] PAYLOAD [PAYLOAD_LEN MORE]
 *   DATA      PAYLOAD [MORE]              ACCEPTED ID, or an error: the reason
 *   SYNC                                  (ack, after every answer held back)
 *   ACK       ID                          DELIVER ID SOURCE DEST CATEGORY FLAGS
 *                                                 SENT_AT ACCEPTED_AT ATTEMPT [REPLAYS]
 *                                                 PAYLOAD [PAYLOAD_LEN MORE]
 *                                         DATA    PAYLOAD [MORE]
 */
#ifndef CTRIPC_BUS_H
#define CTRIPC_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr-ipc/proto.h"

#define CTRIPC_BUS_VERSION	1
#define CTRIPC_BUS_NLMSG_TYPE	(NLMSG_MIN_TYPE + 0x11)
#define CTRIPC_BUS_CHUNK	(32 * 1024) /* payload bytes per frame */
#define CTRIPC_BUS_FRAME_MAX	(CTRIPC_BUS_CHUNK + 8192)
#define CTRIPC_BUS_PAYLOAD_MAX	(64u << 20) /* hard ceiling; the configured maximum is lower */
#define CTRIPC_BUS_AUTH_MAX	4096
#define CTRIPC_BUS_NAME_MAX	63  /* an endpoint, a container */
#define CTRIPC_BUS_ADDR_MAX	127 /* container/endpoint */
#define CTRIPC_BUS_CATEGORY_MAX 127

/* The buffer process runs as nobody; its journal directory is that user's. */
#define CTRIPC_BUFFER_UID 65534

/* Path of the bus socket inside a container. */
#define CTRIPC_BUS_SOCKET "/run/ctr-ipc/bus.sock"

enum ctripc_bus_cmd {
	CTRIPC_BUS_CMD_UNSPEC,
	CTRIPC_BUS_CMD_REGISTER, /* client: take an endpoint name */
	CTRIPC_BUS_CMD_SEND,	 /* client: a message (its first chunk) */
	CTRIPC_BUS_CMD_DATA,	 /* either way: the next chunk of a payload */
	CTRIPC_BUS_CMD_ACCEPTED, /* buffer: the message is held, with its ID */
	CTRIPC_BUS_CMD_DELIVER,	 /* buffer: a message for the client (its first chunk) */
	CTRIPC_BUS_CMD_ACK,	 /* client: the message with ID was taken */
	/* Between ctr-ipcd and the buffer only (the socket pair it was started with): */
	CTRIPC_BUS_CMD_HELLO,	  /* buffer: it runs, TEXT its version */
	CTRIPC_BUS_CMD_LISTEN,	  /* daemon: a listening socket (passed) for CONTAINER */
	CTRIPC_BUS_CMD_UNLISTEN,  /* daemon: CONTAINER's socket goes, and its connections */
	CTRIPC_BUS_CMD_POLICY,	  /* daemon: the rules, TEXT one per line (policy.conf's form) */
	CTRIPC_BUS_CMD_SECRET,	  /* daemon: secret TEXT is AUTH; without AUTH, it goes */
	CTRIPC_BUS_CMD_LIMITS,	  /* daemon: PAYLOAD_LEN max, QUEUE_*, QUOTA, TTL_MS default */
	CTRIPC_BUS_CMD_LIST,	  /* daemon: messages held and finished, FILTER_* [STATE] [LIMIT] */
	CTRIPC_BUS_CMD_SHOW,	  /* daemon: one message, ID, with its payload */
	CTRIPC_BUS_CMD_ENDPOINTS, /* daemon: endpoints known, with their counters */
	CTRIPC_BUS_CMD_RULE_HITS, /* daemon: decisions per rule */
	CTRIPC_BUS_CMD_ENTRY,	  /* buffer: one answer to a query (more may follow) */
	CTRIPC_BUS_CMD_END,	  /* buffer: the query's answers are complete */
	CTRIPC_BUS_CMD_LOG,	  /* buffer: TEXT, a line for the daemon's log */
	CTRIPC_BUS_CMD_SYNC,	  /* client: answers held back go now (NLM_F_ACK: and say so) */
	/*
	 * daemon: open the journal, its directory passed (none: durability
	 * memory), DURABILITY SEGMENT_SIZE SYNC_MS RETAIN_BYTES RETAIN_AGE;
	 * buffer: what recovery found, RECORDS BYTES DROPPED USEC
	 * COUNT_QUEUED (messages held again) REPORT (the problems, or why
	 * there is no journal)
	 */
	CTRIPC_BUS_CMD_JOURNAL,
	/*
	 * daemon: send again, as new messages that record what they replay,
	 * the messages of IDS or those the FILTER_* match, a page at a time
	 * (CURSOR, LIMIT, ID_MAX as LIST); [DEST] a new destination, [AUTH]
	 * the authorization data, [DRY_RUN] decide only.  An ENTRY per
	 * message: REPLAYS (its ID) and ID (the new one) or TEXT (why not).
	 */
	CTRIPC_BUS_CMD_REPLAY,
	/* daemon: remove the held messages of IDS or FILTER_*; END carries COUNT_QUEUED removed */
	CTRIPC_BUS_CMD_PURGE,
	/* daemon: EVENT frames from now on (or, with DRY_RUN, no more) */
	CTRIPC_BUS_CMD_WATCH,
	/*
	 * buffer: EVENT what happened (enum ctripc_bus_event) to a message,
	 * its headers as LIST gives them and its payload's first
	 * CTRIPC_BUS_EVENT_SNAP bytes
	 */
	CTRIPC_BUS_CMD_EVENT,
	__CTRIPC_BUS_CMD_MAX,
	CTRIPC_BUS_CMD_MAX = __CTRIPC_BUS_CMD_MAX - 1,
};

enum ctripc_bus_attr {
	CTRIPC_BUS_A_UNSPEC,
	CTRIPC_BUS_A_ENDPOINT,	      /* string: an endpoint name in the sender's container */
	CTRIPC_BUS_A_SOURCE,	      /* string: container/endpoint */
	CTRIPC_BUS_A_DEST,	      /* string: container/endpoint (host/NAME for the host's) */
	CTRIPC_BUS_A_CATEGORY,	      /* string: dotted, "sensor.temperature" */
	CTRIPC_BUS_A_AUTH,	      /* binary: authorization data */
	CTRIPC_BUS_A_PAYLOAD,	      /* binary: (a chunk of) the payload */
	CTRIPC_BUS_A_PAYLOAD_LEN,     /* u32: the whole payload, when it comes in chunks */
	CTRIPC_BUS_A_MORE,	      /* flag: another DATA frame follows */
	CTRIPC_BUS_A_TTL_MS,	      /* u32: how long to wait for the destination */
	CTRIPC_BUS_A_ID,	      /* u64: the message's ID, assigned by the buffer */
	CTRIPC_BUS_A_FLAGS,	      /* u32: CTRIPC_BUS_F_* (SEND: CTRIPC_BUS_SEND_F_*) */
	CTRIPC_BUS_A_SENT_AT,	      /* u64: ns since the epoch, when SEND arrived */
	CTRIPC_BUS_A_ACCEPTED_AT,     /* u64: ns since the epoch, when it was held */
	CTRIPC_BUS_A_ATTEMPT,	      /* u32: 1 for the first delivery, more for redeliveries */
	CTRIPC_BUS_A_REPLAYS,	      /* u64: the ID of the message this one replays */
	CTRIPC_BUS_A_TEXT,	      /* string: a version, a sentence */
	CTRIPC_BUS_A_CONTAINER,	      /* string: a container's name ("host": the host's socket) */
	CTRIPC_BUS_A_RULES,	      /* binary: rules, one per line */
	CTRIPC_BUS_A_QUEUE_MSGS,      /* u32 */
	CTRIPC_BUS_A_QUEUE_BYTES,     /* u64 */
	CTRIPC_BUS_A_QUOTA,	      /* u32: messages held from one container */
	CTRIPC_BUS_A_FILTER_FROM,     /* string: a pattern */
	CTRIPC_BUS_A_FILTER_TO,	      /* string: a pattern */
	CTRIPC_BUS_A_FILTER_CATEGORY, /* string: a pattern */
	CTRIPC_BUS_A_STATE,	      /* string: queued|delivered|rejected|expired */
	CTRIPC_BUS_A_COUNT_QUEUED,    /* u64 */
	CTRIPC_BUS_A_COUNT_DELIVERED, /* u64 */
	CTRIPC_BUS_A_COUNT_REFUSED,   /* u64 */
	CTRIPC_BUS_A_CONNECTED,	      /* flag: a live connection holds the endpoint */
	CTRIPC_BUS_A_DURABILITY,      /* u32: enum journal_durability */
	CTRIPC_BUS_A_SEGMENT_SIZE,    /* u64: bytes */
	CTRIPC_BUS_A_SYNC_MS,	      /* u32: async's interval */
	CTRIPC_BUS_A_RETAIN_BYTES,    /* u64 */
	CTRIPC_BUS_A_RETAIN_AGE,      /* u64: seconds */
	CTRIPC_BUS_A_RECORDS,	      /* u64 */
	CTRIPC_BUS_A_BYTES,	      /* u64 */
	CTRIPC_BUS_A_DROPPED,	      /* u64: bytes */
	CTRIPC_BUS_A_USEC,	      /* u64 */
	CTRIPC_BUS_A_REPORT,	      /* string: lines */
	CTRIPC_BUS_A_LIMIT,	      /* u32: at most this many entries */
	CTRIPC_BUS_A_CURSOR,	   /* u64: where a query's next page starts (END: there is one) */
	CTRIPC_BUS_A_SINCE,	   /* u64: ns since the epoch, sent at or after */
	CTRIPC_BUS_A_UNTIL,	   /* u64: ns since the epoch, sent before */
	CTRIPC_BUS_A_ID_MIN,	   /* u64: IDs from */
	CTRIPC_BUS_A_ID_MAX,	   /* u64: IDs up to (END of a REPLAY: the last one it takes) */
	CTRIPC_BUS_A_IDS,	   /* binary: u64 IDs */
	CTRIPC_BUS_A_DRY_RUN,	   /* flag */
	CTRIPC_BUS_A_EVENT,	   /* u32: enum ctripc_bus_event */
	CTRIPC_BUS_A_WANT_PAYLOAD, /* flag: LIST entries carry the payload's first 16 KiB */
	CTRIPC_BUS_A_LEVEL, /* u32: a LOG's syslog level (LOG_INFO, ...); none: LOG_WARNING */
	CTRIPC_BUS_A_WINDOW, /* u32: pipelined sends a client may leave unanswered (first ACCEPTED) */
	__CTRIPC_BUS_A_MAX,
	CTRIPC_BUS_A_MAX = __CTRIPC_BUS_A_MAX - 1,
};

/* What happened to a message, for the watchers. */
enum ctripc_bus_event {
	CTRIPC_BUS_EV_ACCEPTED,
	CTRIPC_BUS_EV_REFUSED,
	CTRIPC_BUS_EV_DELIVERED,
	CTRIPC_BUS_EV_ACKED,
	CTRIPC_BUS_EV_EXPIRED,
	CTRIPC_BUS_EV_PURGED,
	CTRIPC_BUS_EV_MAX = CTRIPC_BUS_EV_PURGED,
};
#define CTRIPC_BUS_EVENT_SNAP 16384 /* payload bytes an EVENT carries */
#define CTRIPC_BUS_IDS_MAX    4096  /* IDs in one IDS */

/*
 * Pipelined sends a client leaves unanswered before it waits: until the
 * buffer says otherwise in an ACCEPTED (the first on a connection to a
 * SEND with CTRIPC_BUS_SEND_F_WINDOW), and what it says when each answer
 * waits for a sync of the journal (it covers the sends that come during
 * one), within the bounds.
 */
#define CTRIPC_BUS_WINDOW      1024
#define CTRIPC_BUS_WINDOW_SYNC 4096
#define CTRIPC_BUS_WINDOW_MIN  64
#define CTRIPC_BUS_WINDOW_MAX  65536

/* Message flags. */
#define CTRIPC_BUS_F_REPLAY (1u << 0) /* a replay made by the administrator */

/*
 * SEND's FLAGS, from the client (a buffer that knows none ignores them):
 * it reads WINDOW in ACCEPTED, which the buffer sends only to those that do.
 */
#define CTRIPC_BUS_SEND_F_WINDOW (1u << 0)

extern const struct ctripc_tlv_proto ctripc_bus_proto;

/* A new frame with its headers. */
struct nl_msg *ctripc_bus_frame(uint8_t cmd, uint32_t seq);

/* Send one frame (and @fd, if >= 0, with SCM_RIGHTS) on a SOCK_SEQPACKET socket.  0 or -errno. */
int ctripc_bus_send(int sock, struct nl_msg *frame, int fd);

/*
 * Receive one frame into @buf (CTRIPC_BUS_FRAME_MAX bytes) and parse it
 * strictly; a passed fd goes to *@ret_fd (-1 when none; pass NULL to refuse
 * any).  Returns its length, 0 at the end of the stream, -errno (and a
 * sentence in @err) for a malformed frame.
 */
ssize_t ctripc_bus_recv(int sock, void *buf, size_t len, bool request, struct nlattr **tb,
			uint8_t *ret_cmd, int *ret_fd, char *err, size_t errlen);

/*
 * Frames built in place, back to back, for a peer that gets many: what a
 * connection has to say waits here and goes as datagrams of as many whole
 * frames as fit (ctripc_bus_flush).  No frame is half built or half sent:
 * ctripc_bus_end() drops a frame that failed, a flush sends whole ones.
 */
struct ctripc_bus_out {
	unsigned char *data;
	size_t head; /* sent up to here */
	size_t len;  /* whole frames up to here */
	size_t cap;
	size_t start; /* the frame being built; len until ctripc_bus_end() */
	int failed;   /* 0, or why the frame being built is dropped: -EMSGSIZE, -ENOMEM */
};

/* Start a frame: headers for @cmd and @seq. */
void ctripc_bus_begin(struct ctripc_bus_out *o, uint8_t cmd, uint32_t seq);
void ctripc_bus_put(struct ctripc_bus_out *o, uint16_t type, const void *data, size_t len);
void ctripc_bus_put_u32(struct ctripc_bus_out *o, uint16_t type, uint32_t v);
void ctripc_bus_put_u64(struct ctripc_bus_out *o, uint16_t type, uint64_t v);
void ctripc_bus_put_str(struct ctripc_bus_out *o, uint16_t type, const char *s);
/* Add nlmsg_flags (NLM_F_ACK) to the frame being built. */
static inline void ctripc_bus_flags(struct ctripc_bus_out *o, uint16_t flags)
{
	if (!o->failed)
		((struct nlmsghdr *)(o->data + o->start))->nlmsg_flags |= flags;
}
/* Finish the frame: 0, or -EMSGSIZE / -ENOMEM and it is dropped. */
int ctripc_bus_end(struct ctripc_bus_out *o);
/* A whole frame built elsewhere (an answer from ctripc_msg_error()). */
int ctripc_bus_append(struct ctripc_bus_out *o, const struct nlmsghdr *nlh);
/* Frames waiting. */
static inline bool ctripc_bus_pending(const struct ctripc_bus_out *o)
{
	return o->head < o->len;
}
/*
 * Send what waits, without blocking, as few datagrams as possible (several
 * per system call).  0 when all went, -EAGAIN when the socket is full (the
 * rest waits), another -errno when the connection failed.
 */
int ctripc_bus_flush(int sock, struct ctripc_bus_out *o);
void ctripc_bus_out_free(struct ctripc_bus_out *o);

/*
 * Receive one datagram (one or more frames) into @buf (CTRIPC_BUS_FRAME_MAX
 * bytes; passed fds are closed).  Its length, 0 at the end of the stream,
 * -EAGAIN, or -errno with a sentence in @err.
 */
ssize_t ctripc_bus_read(int sock, void *buf, size_t len, int flags, char *err, size_t errlen);
/*
 * The frame at *@off of a datagram of @len bytes, parsed strictly (an
 * NLMSG_ERROR answer is returned unparsed, *@ret_cmd 0); *@off moves past
 * it, its header in *@ret.  1: a frame, 0: the datagram has no more, -errno and a sentence in
 * @err: malformed (the rest of the datagram cannot be trusted).
 */
int ctripc_bus_next(void *buf, size_t len, size_t *off, bool request, struct nlmsghdr **ret,
		    struct nlattr **tb, uint8_t *ret_cmd, char *err, size_t errlen);

/* Is @s a valid endpoint or container name: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}? */
bool ctripc_bus_name_valid(const char *s);
/* container/endpoint, both valid names. */
bool ctripc_bus_addr_valid(const char *s);
/* Dotted segments of [A-Za-z0-9_-], 1 to 127 characters. */
bool ctripc_bus_category_valid(const char *s);

#endif

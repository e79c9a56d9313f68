// SPDX-License-Identifier: LGPL-2.1-or-later
/* Bus frames: the protocol's tables, and sending and receiving one frame. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "ctr-ipc/bus.h"

// clang-format off
#define STR(max) { .type = NLA_STRING, .maxlen = (max) + 1 }
// clang-format on

static const struct nla_policy bus_policy[CTRIPC_BUS_A_MAX + 1] = {
	[CTRIPC_BUS_A_ENDPOINT] = STR(CTRIPC_BUS_NAME_MAX),
	[CTRIPC_BUS_A_SOURCE] = STR(CTRIPC_BUS_ADDR_MAX),
	[CTRIPC_BUS_A_DEST] = STR(CTRIPC_BUS_ADDR_MAX),
	[CTRIPC_BUS_A_CATEGORY] = STR(CTRIPC_BUS_CATEGORY_MAX),
	[CTRIPC_BUS_A_AUTH] = { .type = NLA_BINARY, .maxlen = CTRIPC_BUS_AUTH_MAX },
	[CTRIPC_BUS_A_PAYLOAD] = { .type = NLA_BINARY, .maxlen = CTRIPC_BUS_CHUNK },
	[CTRIPC_BUS_A_PAYLOAD_LEN] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_MORE] = { .type = NLA_FLAG },
	[CTRIPC_BUS_A_TTL_MS] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_ID] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_FLAGS] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_SENT_AT] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_ACCEPTED_AT] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_ATTEMPT] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_REPLAYS] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_TEXT] = STR(CTRIPC_ERRMSG_MAX),
	[CTRIPC_BUS_A_CONTAINER] = STR(CTRIPC_BUS_NAME_MAX),
	[CTRIPC_BUS_A_RULES] = { .type = NLA_BINARY, .maxlen = CTRIPC_BUS_CHUNK },
	[CTRIPC_BUS_A_QUEUE_MSGS] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_QUEUE_BYTES] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_QUOTA] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_FILTER_FROM] = STR(128), /* as the control protocol's patterns */
	[CTRIPC_BUS_A_FILTER_TO] = STR(128),
	[CTRIPC_BUS_A_FILTER_CATEGORY] = STR(128),
	[CTRIPC_BUS_A_STATE] = STR(16),
	[CTRIPC_BUS_A_COUNT_QUEUED] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_COUNT_DELIVERED] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_COUNT_REFUSED] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_CONNECTED] = { .type = NLA_FLAG },
	[CTRIPC_BUS_A_DURABILITY] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_SEGMENT_SIZE] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_SYNC_MS] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_RETAIN_BYTES] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_RETAIN_AGE] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_RECORDS] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_BYTES] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_DROPPED] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_USEC] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_REPORT] = STR(2048),
	[CTRIPC_BUS_A_LIMIT] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_CURSOR] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_SINCE] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_UNTIL] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_ID_MIN] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_ID_MAX] = { .type = NLA_U64 },
	[CTRIPC_BUS_A_IDS] = { .type = NLA_BINARY, .maxlen = CTRIPC_BUS_IDS_MAX * 8 },
	[CTRIPC_BUS_A_DRY_RUN] = { .type = NLA_FLAG },
	[CTRIPC_BUS_A_EVENT] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_WANT_PAYLOAD] = { .type = NLA_FLAG },
	[CTRIPC_BUS_A_LEVEL] = { .type = NLA_U32 },
	[CTRIPC_BUS_A_WINDOW] = { .type = NLA_U32 },
};

static const char *const bus_attr_names[CTRIPC_BUS_A_MAX + 1] = {
	[CTRIPC_BUS_A_UNSPEC] = "unspec",
	[CTRIPC_BUS_A_ENDPOINT] = "endpoint",
	[CTRIPC_BUS_A_SOURCE] = "source",
	[CTRIPC_BUS_A_DEST] = "dest",
	[CTRIPC_BUS_A_CATEGORY] = "category",
	[CTRIPC_BUS_A_AUTH] = "auth",
	[CTRIPC_BUS_A_PAYLOAD] = "payload",
	[CTRIPC_BUS_A_PAYLOAD_LEN] = "payload_len",
	[CTRIPC_BUS_A_MORE] = "more",
	[CTRIPC_BUS_A_TTL_MS] = "ttl_ms",
	[CTRIPC_BUS_A_ID] = "id",
	[CTRIPC_BUS_A_FLAGS] = "flags",
	[CTRIPC_BUS_A_SENT_AT] = "sent_at",
	[CTRIPC_BUS_A_ACCEPTED_AT] = "accepted_at",
	[CTRIPC_BUS_A_ATTEMPT] = "attempt",
	[CTRIPC_BUS_A_REPLAYS] = "replays",
	[CTRIPC_BUS_A_TEXT] = "text",
	[CTRIPC_BUS_A_CONTAINER] = "container",
	[CTRIPC_BUS_A_RULES] = "rules",
	[CTRIPC_BUS_A_QUEUE_MSGS] = "queue_msgs",
	[CTRIPC_BUS_A_QUEUE_BYTES] = "queue_bytes",
	[CTRIPC_BUS_A_QUOTA] = "quota",
	[CTRIPC_BUS_A_FILTER_FROM] = "filter_from",
	[CTRIPC_BUS_A_FILTER_TO] = "filter_to",
	[CTRIPC_BUS_A_FILTER_CATEGORY] = "filter_category",
	[CTRIPC_BUS_A_STATE] = "state",
	[CTRIPC_BUS_A_COUNT_QUEUED] = "queued",
	[CTRIPC_BUS_A_COUNT_DELIVERED] = "delivered",
	[CTRIPC_BUS_A_COUNT_REFUSED] = "refused",
	[CTRIPC_BUS_A_CONNECTED] = "connected",
	[CTRIPC_BUS_A_DURABILITY] = "durability",
	[CTRIPC_BUS_A_SEGMENT_SIZE] = "segment_size",
	[CTRIPC_BUS_A_SYNC_MS] = "sync_ms",
	[CTRIPC_BUS_A_RETAIN_BYTES] = "retain_bytes",
	[CTRIPC_BUS_A_RETAIN_AGE] = "retain_age",
	[CTRIPC_BUS_A_RECORDS] = "records",
	[CTRIPC_BUS_A_BYTES] = "bytes",
	[CTRIPC_BUS_A_DROPPED] = "dropped",
	[CTRIPC_BUS_A_USEC] = "usec",
	[CTRIPC_BUS_A_REPORT] = "report",
	[CTRIPC_BUS_A_LIMIT] = "limit",
	[CTRIPC_BUS_A_CURSOR] = "cursor",
	[CTRIPC_BUS_A_SINCE] = "since",
	[CTRIPC_BUS_A_UNTIL] = "until",
	[CTRIPC_BUS_A_ID_MIN] = "id_min",
	[CTRIPC_BUS_A_ID_MAX] = "id_max",
	[CTRIPC_BUS_A_IDS] = "ids",
	[CTRIPC_BUS_A_DRY_RUN] = "dry_run",
	[CTRIPC_BUS_A_EVENT] = "event",
	[CTRIPC_BUS_A_WANT_PAYLOAD] = "want_payload",
	[CTRIPC_BUS_A_LEVEL] = "level",
	[CTRIPC_BUS_A_WINDOW] = "window",
};

#define ATTRS(...) ((const uint16_t[]){ __VA_ARGS__, 0 })
/* What selects messages, in LIST, REPLAY and PURGE. */
#define BUS_FILTERS                                                                                \
	CTRIPC_BUS_A_FILTER_FROM, CTRIPC_BUS_A_FILTER_TO, CTRIPC_BUS_A_FILTER_CATEGORY,            \
		CTRIPC_BUS_A_STATE, CTRIPC_BUS_A_SINCE, CTRIPC_BUS_A_UNTIL, CTRIPC_BUS_A_ID_MIN,   \
		CTRIPC_BUS_A_ID_MAX, CTRIPC_BUS_A_LIMIT
#define NONE ATTRS(0)

static const struct ctripc_cmd_desc bus_cmds[CTRIPC_BUS_CMD_MAX + 1] = {
	[CTRIPC_BUS_CMD_REGISTER] = { "register", 0, ATTRS(CTRIPC_BUS_A_ENDPOINT), NONE },
	[CTRIPC_BUS_CMD_SEND] = { "send", 0,
				  ATTRS(CTRIPC_BUS_A_DEST, CTRIPC_BUS_A_CATEGORY,
					CTRIPC_BUS_A_PAYLOAD),
				  ATTRS(CTRIPC_BUS_A_AUTH, CTRIPC_BUS_A_TTL_MS, CTRIPC_BUS_A_FLAGS,
					CTRIPC_BUS_A_PAYLOAD_LEN, CTRIPC_BUS_A_MORE) },
	[CTRIPC_BUS_CMD_DATA] = { "data", 0, ATTRS(CTRIPC_BUS_A_PAYLOAD),
				  ATTRS(CTRIPC_BUS_A_MORE) },
	[CTRIPC_BUS_CMD_ACCEPTED] = { "accepted", 0, ATTRS(CTRIPC_BUS_A_ID),
				      ATTRS(CTRIPC_BUS_A_WINDOW) },
	[CTRIPC_BUS_CMD_DELIVER] = { "deliver", 0,
				     ATTRS(CTRIPC_BUS_A_ID, CTRIPC_BUS_A_SOURCE, CTRIPC_BUS_A_DEST,
					   CTRIPC_BUS_A_CATEGORY, CTRIPC_BUS_A_PAYLOAD),
				     ATTRS(CTRIPC_BUS_A_FLAGS, CTRIPC_BUS_A_SENT_AT,
					   CTRIPC_BUS_A_ACCEPTED_AT, CTRIPC_BUS_A_ATTEMPT,
					   CTRIPC_BUS_A_REPLAYS, CTRIPC_BUS_A_PAYLOAD_LEN,
					   CTRIPC_BUS_A_MORE) },
	[CTRIPC_BUS_CMD_ACK] = { "ack", 0, ATTRS(CTRIPC_BUS_A_ID), NONE },
	[CTRIPC_BUS_CMD_HELLO] = { "hello", 0, ATTRS(CTRIPC_BUS_A_TEXT), NONE },
	[CTRIPC_BUS_CMD_LISTEN] = { "listen", 0, ATTRS(CTRIPC_BUS_A_CONTAINER), NONE },
	[CTRIPC_BUS_CMD_UNLISTEN] = { "unlisten", 0, ATTRS(CTRIPC_BUS_A_CONTAINER), NONE },
	[CTRIPC_BUS_CMD_POLICY] = { "policy", 0, NONE,
				    ATTRS(CTRIPC_BUS_A_RULES, CTRIPC_BUS_A_MORE) },
	[CTRIPC_BUS_CMD_SECRET] = { "secret", 0, ATTRS(CTRIPC_BUS_A_TEXT),
				    ATTRS(CTRIPC_BUS_A_AUTH) },
	[CTRIPC_BUS_CMD_LIMITS] = { "limits", 0,
				    ATTRS(CTRIPC_BUS_A_PAYLOAD_LEN, CTRIPC_BUS_A_QUEUE_MSGS,
					  CTRIPC_BUS_A_QUEUE_BYTES, CTRIPC_BUS_A_QUOTA,
					  CTRIPC_BUS_A_TTL_MS),
				    NONE },
	[CTRIPC_BUS_CMD_LIST] = { "list", 0, NONE,
				  ATTRS(BUS_FILTERS, CTRIPC_BUS_A_CURSOR,
					CTRIPC_BUS_A_WANT_PAYLOAD) },
	[CTRIPC_BUS_CMD_SHOW] = { "show", 0, ATTRS(CTRIPC_BUS_A_ID), NONE },
	[CTRIPC_BUS_CMD_ENDPOINTS] = { "endpoints", 0, NONE, NONE },
	[CTRIPC_BUS_CMD_RULE_HITS] = { "rule-hits", 0, NONE, NONE },
	[CTRIPC_BUS_CMD_ENTRY] = { "entry", 0, NONE, NONE },
	[CTRIPC_BUS_CMD_END] = { "end", 0, NONE, NONE },
	[CTRIPC_BUS_CMD_LOG] = { "log", 0, ATTRS(CTRIPC_BUS_A_TEXT), ATTRS(CTRIPC_BUS_A_LEVEL) },
	[CTRIPC_BUS_CMD_SYNC] = { "sync", 0, NONE, NONE },
	[CTRIPC_BUS_CMD_JOURNAL] = { "journal", 0, NONE,
				     ATTRS(CTRIPC_BUS_A_DURABILITY, CTRIPC_BUS_A_SEGMENT_SIZE,
					   CTRIPC_BUS_A_SYNC_MS, CTRIPC_BUS_A_RETAIN_BYTES,
					   CTRIPC_BUS_A_RETAIN_AGE, CTRIPC_BUS_A_RECORDS,
					   CTRIPC_BUS_A_BYTES, CTRIPC_BUS_A_DROPPED,
					   CTRIPC_BUS_A_USEC, CTRIPC_BUS_A_COUNT_QUEUED,
					   CTRIPC_BUS_A_REPORT) },
	[CTRIPC_BUS_CMD_REPLAY] = { "replay", 0, NONE,
				    ATTRS(BUS_FILTERS, CTRIPC_BUS_A_CURSOR, CTRIPC_BUS_A_IDS,
					  CTRIPC_BUS_A_DEST, CTRIPC_BUS_A_AUTH,
					  CTRIPC_BUS_A_DRY_RUN) },
	[CTRIPC_BUS_CMD_PURGE] = { "purge", 0, NONE, ATTRS(BUS_FILTERS, CTRIPC_BUS_A_IDS) },
	[CTRIPC_BUS_CMD_WATCH] = { "watch", 0, NONE, ATTRS(CTRIPC_BUS_A_DRY_RUN) },
	[CTRIPC_BUS_CMD_EVENT] = { "event", 0, ATTRS(CTRIPC_BUS_A_EVENT), NONE },
};

_Static_assert(CTRIPC_BUS_A_MAX < CTRIPC_TLV_ATTR_LIMIT, "bus attributes over the codec's limit");

const struct ctripc_tlv_proto ctripc_bus_proto = {
	.name = "bus",
	.nlmsg_type = CTRIPC_BUS_NLMSG_TYPE,
	.version = CTRIPC_BUS_VERSION,
	.cmds = bus_cmds,
	.cmd_max = CTRIPC_BUS_CMD_MAX,
	.policy = bus_policy,
	.attr_names = bus_attr_names,
	.attr_max = CTRIPC_BUS_A_MAX,
};

struct nl_msg *ctripc_bus_frame(uint8_t cmd, uint32_t seq)
{
	struct nl_msg *msg = nlmsg_alloc_size(CTRIPC_BUS_FRAME_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, 0, seq, CTRIPC_BUS_NLMSG_TYPE, 0, NLM_F_REQUEST, cmd,
			 CTRIPC_BUS_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ctripc_bus_send(int sock, struct nl_msg *frame, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf = { 0 };
	struct nlmsghdr *nlh = nlmsg_hdr(frame);
	struct iovec iov = { .iov_base = nlh, .iov_len = nlh->nlmsg_len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int fail(char *err, size_t errlen, int error, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return error;
}

/* One datagram; a passed fd goes to *@ret_fd (or is closed), truncation is an error. */
static ssize_t recv_datagram(int sock, void *buf, size_t len, int flags, int *ret_fd, char *err,
			     size_t errlen)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	int fd = -1;
	ssize_t n;

	if (ret_fd)
		*ret_fd = -1;
	do
		n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : fail(err, errlen, -errno, strerror(errno));
	/* Passed fds are taken (and closed unless wanted) whatever the frame. */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int got;

			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fd < 0 && ret_fd)
				fd = got;
			else
				close(got);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return fail(err, errlen, -EMSGSIZE, "a frame larger than the receiver takes");
	}
	if (ret_fd)
		*ret_fd = fd;
	return n;
}

ssize_t ctripc_bus_recv(int sock, void *buf, size_t len, bool request, struct nlattr **tb,
			uint8_t *ret_cmd, int *ret_fd, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = buf;
	int fd = -1, r;
	ssize_t n = recv_datagram(sock, buf, len, 0, ret_fd ? &fd : NULL, err, errlen);

	if (ret_fd)
		*ret_fd = fd;
	if (n <= 0)
		return n;
	if ((size_t)n < NLMSG_HDRLEN || nlh->nlmsg_len != (size_t)n)
		r = fail(err, errlen, -EBADMSG, "a frame whose length is not its datagram's");
	else if (nlh->nlmsg_type == NLMSG_ERROR)
		r = 0; /* an answer: ctripc_msg_error_parse() reads it */
	else
		r = ctripc_tlv_parse(&ctripc_bus_proto, nlh, request, tb, ret_cmd, err, errlen);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		if (ret_fd)
			*ret_fd = -1;
		return r;
	}
	return n;
}

/* --- frames built in place, datagrams of several --------------------------------- */

static bool out_grow(struct ctripc_bus_out *o, size_t more)
{
	size_t cap = o->cap ? o->cap : 16384;
	unsigned char *p;

	while (cap < o->len + more)
		cap *= 2;
	p = realloc(o->data, cap);
	if (!p) {
		o->failed = -ENOMEM;
		return false;
	}
	o->data = p;
	o->cap = cap;
	return true;
}

/* Room for @more bytes (the common case inline: this runs for every attribute). */
static inline bool out_reserve(struct ctripc_bus_out *o, size_t more)
{
	if (o->failed)
		return false;
	return o->len + more <= o->cap || out_grow(o, more);
}

void ctripc_bus_begin(struct ctripc_bus_out *o, uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *gnl;

	if (o->head == o->len) /* all sent: start again at the front */
		o->head = o->len = 0;
	o->start = o->len;
	o->failed = 0;
	if (!out_reserve(o, NLMSG_HDRLEN + GENL_HDRLEN))
		return;
	nlh = (struct nlmsghdr *)(o->data + o->len);
	*nlh = (struct nlmsghdr){ .nlmsg_type = CTRIPC_BUS_NLMSG_TYPE,
				  .nlmsg_flags = NLM_F_REQUEST,
				  .nlmsg_seq = seq };
	gnl = (struct genlmsghdr *)(o->data + o->len + NLMSG_HDRLEN);
	*gnl = (struct genlmsghdr){ .cmd = cmd, .version = CTRIPC_BUS_VERSION };
	o->len += NLMSG_HDRLEN + GENL_HDRLEN;
}

void ctripc_bus_put(struct ctripc_bus_out *o, uint16_t type, const void *data, size_t len)
{
	struct nlattr *nla;
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (len > CTRIPC_BUS_FRAME_MAX || o->len - o->start + total > CTRIPC_BUS_FRAME_MAX) {
		o->failed = -EMSGSIZE;
		return;
	}
	if (!out_reserve(o, total))
		return;
	nla = (struct nlattr *)(o->data + o->len);
	nla->nla_len = (uint16_t)(NLA_HDRLEN + len);
	nla->nla_type = type;
	if (len)
		memcpy((unsigned char *)nla + NLA_HDRLEN, data, len);
	for (size_t i = NLA_HDRLEN + len; i < total; i++) /* at most 3 bytes of padding */
		((unsigned char *)nla)[i] = 0;
	o->len += total;
}

void ctripc_bus_put_u32(struct ctripc_bus_out *o, uint16_t type, uint32_t v)
{
	ctripc_bus_put(o, type, &v, sizeof(v));
}

void ctripc_bus_put_u64(struct ctripc_bus_out *o, uint16_t type, uint64_t v)
{
	ctripc_bus_put(o, type, &v, sizeof(v));
}

void ctripc_bus_put_str(struct ctripc_bus_out *o, uint16_t type, const char *s)
{
	ctripc_bus_put(o, type, s, strlen(s) + 1);
}

int ctripc_bus_end(struct ctripc_bus_out *o)
{
	int r = o->failed;

	if (r) {
		o->len = o->start;
		o->failed = 0;
		return r;
	}
	((struct nlmsghdr *)(o->data + o->start))->nlmsg_len = (uint32_t)(o->len - o->start);
	o->start = o->len;
	return 0;
}

int ctripc_bus_append(struct ctripc_bus_out *o, const struct nlmsghdr *nlh)
{
	size_t n = NLMSG_ALIGN(nlh->nlmsg_len);

	if (o->head == o->len)
		o->head = o->len = 0;
	o->failed = 0;
	if (n > CTRIPC_BUS_FRAME_MAX)
		return -EMSGSIZE;
	if (!out_reserve(o, n)) {
		o->failed = 0;
		return -ENOMEM;
	}
	memcpy(o->data + o->len, nlh, nlh->nlmsg_len);
	memset(o->data + o->len + nlh->nlmsg_len, 0, n - nlh->nlmsg_len);
	o->len += n;
	o->start = o->len;
	return 0;
}

int ctripc_bus_flush(int sock, struct ctripc_bus_out *o)
{
	enum { BATCH = 16 };

	while (o->head < o->len) {
		struct mmsghdr mm[BATCH];
		struct iovec iov[BATCH];
		size_t pos = o->head;
		unsigned int n = 0;
		int sent;

		/* Consecutive whole frames, up to CTRIPC_BUS_FRAME_MAX per datagram. */
		while (pos < o->len && n < BATCH) {
			size_t first = pos;

			do
				pos += NLMSG_ALIGN(((struct nlmsghdr *)(o->data + pos))->nlmsg_len);
			while (pos < o->len &&
			       pos - first +
					       NLMSG_ALIGN(((struct nlmsghdr *)(o->data + pos))
								   ->nlmsg_len) <=
				       CTRIPC_BUS_FRAME_MAX);
			iov[n] = (struct iovec){ .iov_base = o->data + first,
						 .iov_len = pos - first };
			mm[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[n],
							       .msg_iovlen = 1 } };
			n++;
		}
		sent = sendmmsg(sock, mm, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		for (int i = 0; i < sent; i++)
			o->head += iov[i].iov_len;
		if ((unsigned int)sent < n)
			return -EAGAIN;
	}
	if (o->start == o->len)
		o->head = o->len = o->start = 0;
	return 0;
}

void ctripc_bus_out_free(struct ctripc_bus_out *o)
{
	free(o->data);
	*o = (struct ctripc_bus_out){ 0 };
}

ssize_t ctripc_bus_read(int sock, void *buf, size_t len, int flags, char *err, size_t errlen)
{
	return recv_datagram(sock, buf, len, flags, NULL, err, errlen);
}

int ctripc_bus_next(void *buf, size_t len, size_t *off, bool request, struct nlmsghdr **ret,
		    struct nlattr **tb, uint8_t *ret_cmd, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((unsigned char *)buf + *off);
	size_t rem = len - *off;
	int r;

	if (*off >= len)
		return 0;
	if (rem < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > rem)
		return fail(err, errlen, -EBADMSG, "a frame whose length overruns its datagram");
	*off += NLMSG_ALIGN(nlh->nlmsg_len) < rem ? NLMSG_ALIGN(nlh->nlmsg_len) : rem;
	*ret = nlh;
	*ret_cmd = 0;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return 1; /* an answer: ctripc_msg_error_parse() reads it */
	r = ctripc_tlv_parse(&ctripc_bus_proto, nlh, request, tb, ret_cmd, err, errlen);
	return r < 0 ? r : 1;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool name_valid(const char *s, size_t len)
{
	if (len == 0 || len > CTRIPC_BUS_NAME_MAX || !name_char(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!name_char(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool ctripc_bus_name_valid(const char *s)
{
	return name_valid(s, strlen(s));
}

bool ctripc_bus_addr_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash && name_valid(s, (size_t)(slash - s)) && ctripc_bus_name_valid(slash + 1);
}

bool ctripc_bus_category_valid(const char *s)
{
	size_t len = strlen(s), seg = 0;

	if (len == 0 || len > CTRIPC_BUS_CATEGORY_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!name_char(c) && c != '_' && c != '-')
			return false;
		seg++;
	}
	return true;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* libctripc: a connection to the bus, its frames, and the messages it receives. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "ctr-ipc/bus.h"
#include "ctripc.h"

struct pending {
	struct pending *next;
	struct ctripc_msg *msg;
};

struct ctripc {
	int fd;
	uint32_t seq;
	struct pending *head, **tail; /* delivered, not yet returned by ctripc_recv() */
	struct ctripc_msg *partial;   /* a DELIVER whose chunks still come */
	size_t have;
	unsigned char buf[CTRIPC_BUS_FRAME_MAX];
	char err[CTRIPC_ERRMSG_MAX];
};

static int fail(struct ctripc *h, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return error;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctripc_msg_free(struct ctripc_msg *m)
{
	if (!m)
		return;
	free(m->data);
	free(m);
}

static void queue_msg(struct ctripc *h, struct ctripc_msg *m)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p) {
		ctripc_msg_free(m); /* not ACKed: it comes again on the next connection */
		return;
	}
	p->msg = m;
	*h->tail = p;
	h->tail = &p->next;
}

/* A DELIVER or DATA frame: into h->partial, queued once whole. */
static int take_delivery(struct ctripc *h, uint8_t cmd, struct nlattr **tb)
{
	size_t n = (size_t)nla_len(tb[CTRIPC_BUS_A_PAYLOAD]);
	struct ctripc_msg *m = h->partial;

	if (cmd == CTRIPC_BUS_CMD_DELIVER) {
		size_t total = tb[CTRIPC_BUS_A_PAYLOAD_LEN]
				       ? nla_get_u32(tb[CTRIPC_BUS_A_PAYLOAD_LEN])
				       : n;

		ctripc_msg_free(h->partial);
		m = calloc(1, sizeof(*m));
		if (!m || !(m->data = malloc(total + 1))) {
			free(m);
			h->partial = NULL;
			return -ENOMEM;
		}
		m->id = nla_get_u64(tb[CTRIPC_BUS_A_ID]);
		snprintf(m->source, sizeof(m->source), "%s",
			 nla_get_string(tb[CTRIPC_BUS_A_SOURCE]));
		snprintf(m->dest, sizeof(m->dest), "%s", nla_get_string(tb[CTRIPC_BUS_A_DEST]));
		snprintf(m->category, sizeof(m->category), "%s",
			 nla_get_string(tb[CTRIPC_BUS_A_CATEGORY]));
		m->flags = tb[CTRIPC_BUS_A_FLAGS] ? nla_get_u32(tb[CTRIPC_BUS_A_FLAGS]) : 0;
		m->attempt = tb[CTRIPC_BUS_A_ATTEMPT] ? nla_get_u32(tb[CTRIPC_BUS_A_ATTEMPT]) : 1;
		m->sent_at = tb[CTRIPC_BUS_A_SENT_AT] ? nla_get_u64(tb[CTRIPC_BUS_A_SENT_AT]) : 0;
		m->accepted_at = tb[CTRIPC_BUS_A_ACCEPTED_AT]
					 ? nla_get_u64(tb[CTRIPC_BUS_A_ACCEPTED_AT])
					 : 0;
		m->len = total;
		h->partial = m;
		h->have = 0;
	} else if (!m) {
		return fail(h, -EPROTO, "the buffer sent a DATA frame without a DELIVER");
	}
	if (h->have + n > m->len)
		return fail(h, -EPROTO, "the buffer sent more payload than announced");
	memcpy(m->data + h->have, nla_data(tb[CTRIPC_BUS_A_PAYLOAD]), n);
	h->have += n;
	if (tb[CTRIPC_BUS_A_MORE])
		return 0;
	if (h->have != m->len)
		return fail(h, -EPROTO, "the buffer sent less payload than announced");
	m->data[m->len] = '\0';
	h->partial = NULL;
	queue_msg(h, m);
	return 0;
}

/*
 * Wait for and read one frame.  Deliveries are queued; an answer to @seq
 * (ACCEPTED or an error) returns 1 with *@ret_id, or the error.  0: some
 * other frame was handled.  -ETIMEDOUT after @deadline (0: none).
 */
static int read_frame(struct ctripc *h, uint32_t seq, uint64_t deadline, uint64_t *ret_id)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	struct nlmsghdr *nlh = (struct nlmsghdr *)h->buf;
	uint8_t cmd;
	ssize_t n;
	int r;

	for (;;) {
		int wait = -1;

		if (deadline) {
			uint64_t now = now_ms();

			if (now >= deadline)
				return -ETIMEDOUT;
			wait = (int)(deadline - now);
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(h, -errno, "poll: %s", strerror(errno));
		if (r > 0)
			break;
	}
	n = ctripc_bus_recv(h->fd, h->buf, sizeof(h->buf), false, tb, &cmd, NULL, h->err,
			    sizeof(h->err));
	if (n == 0)
		return fail(h, -ECONNRESET, "the buffer closed the connection");
	if (n < 0)
		return (int)n;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		int error = 0;

		if (ctripc_msg_error_parse(nlh, &error, h->err, sizeof(h->err)) < 0)
			return fail(h, -EBADMSG, "a malformed answer from the buffer");
		if (error > 0)
			error = -error;
		if (nlh->nlmsg_seq != seq)
			return 0; /* an answer to something given up on */
		if (error < 0 && !h->err[0])
			snprintf(h->err, sizeof(h->err), "%s", strerror(-error));
		return error < 0 ? error : 1;
	}
	switch (cmd) {
	case CTRIPC_BUS_CMD_DELIVER:
	case CTRIPC_BUS_CMD_DATA:
		r = take_delivery(h, cmd, tb);
		return r < 0 ? r : 0;
	case CTRIPC_BUS_CMD_ACCEPTED:
		if (nlh->nlmsg_seq != seq)
			return 0;
		if (ret_id)
			*ret_id = nla_get_u64(tb[CTRIPC_BUS_A_ID]);
		return 1;
	default:
		return 0;
	}
}

static int send_frame(struct ctripc *h, struct nl_msg *f)
{
	int r = ctripc_bus_send(h->fd, f, -1);

	nlmsg_free(f);
	return r < 0 ? fail(h, r, "cannot send to the buffer: %s", strerror(-r)) : 0;
}

/* Send @f and wait for its answer. */
static int call(struct ctripc *h, struct nl_msg *f, uint64_t *ret_id)
{
	uint32_t seq = nlmsg_hdr(f)->nlmsg_seq;
	int r = send_frame(h, f);

	while (r == 0)
		r = read_frame(h, seq, 0, ret_id);
	return r < 0 ? r : 0;
}

struct ctripc *ctripc_open(const char *path, int *ret_error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctripc *h = calloc(1, sizeof(*h));

	if (!h) {
		*ret_error = -ENOMEM;
		return NULL;
	}
	h->tail = &h->head;
	if (!path)
		path = getenv("CTRIPC_BUS") ? getenv("CTRIPC_BUS") : CTRIPC_BUS_PATH;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		free(h);
		*ret_error = -ENAMETOOLONG;
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	h->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*ret_error = -errno;
		if (h->fd >= 0)
			close(h->fd);
		free(h);
		return NULL;
	}
	return h;
}

int ctripc_register(struct ctripc *h, const char *endpoint)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_REGISTER, ++h->seq);

	h->err[0] = '\0';
	if (!f || nla_put_string(f, CTRIPC_BUS_A_ENDPOINT, endpoint) < 0) {
		nlmsg_free(f);
		return fail(h, -EINVAL, "endpoint name too long");
	}
	return call(h, f, NULL);
}

void ctripc_close(struct ctripc *h)
{
	if (!h)
		return;
	while (h->head) {
		struct pending *p = h->head;

		h->head = p->next;
		ctripc_msg_free(p->msg);
		free(p);
	}
	ctripc_msg_free(h->partial);
	close(h->fd);
	free(h);
}

int ctripc_fd(const struct ctripc *h)
{
	return h->fd;
}

const char *ctripc_error(const struct ctripc *h)
{
	return h->err;
}

int ctripc_send(struct ctripc *h, const char *dest, const char *category, const void *data,
		size_t len, const struct ctripc_send_opts *opts, uint64_t *ret_id)
{
	const unsigned char *p = data;
	size_t off = 0;
	uint32_t seq = ++h->seq;
	uint64_t id = 0;
	int r;

	h->err[0] = '\0';
	if (len > CTRIPC_BUS_PAYLOAD_MAX)
		return fail(h, -EMSGSIZE, "%zu bytes is over the bus's ceiling of %u", len,
			    CTRIPC_BUS_PAYLOAD_MAX);
	if (opts && opts->auth_len > CTRIPC_BUS_AUTH_MAX)
		return fail(h, -EMSGSIZE, "authorization data is at most %d bytes",
			    CTRIPC_BUS_AUTH_MAX);
	do {
		size_t n = len - off > CTRIPC_BUS_CHUNK ? CTRIPC_BUS_CHUNK : len - off;
		bool first = off == 0, more = off + n < len;
		struct nl_msg *f =
			ctripc_bus_frame(first ? CTRIPC_BUS_CMD_SEND : CTRIPC_BUS_CMD_DATA, seq);

		if (!f)
			return fail(h, -ENOMEM, "out of memory");
		if ((first &&
		     (nla_put_string(f, CTRIPC_BUS_A_DEST, dest) < 0 ||
		      nla_put_string(f, CTRIPC_BUS_A_CATEGORY, category) < 0 ||
		      (opts && opts->auth &&
		       nla_put(f, CTRIPC_BUS_A_AUTH, (int)opts->auth_len, opts->auth) < 0) ||
		      (opts && opts->ttl_ms &&
		       nla_put_u32(f, CTRIPC_BUS_A_TTL_MS, opts->ttl_ms) < 0) ||
		      (more && nla_put_u32(f, CTRIPC_BUS_A_PAYLOAD_LEN, (uint32_t)len) < 0))) ||
		    nla_put(f, CTRIPC_BUS_A_PAYLOAD, (int)n, p + off) < 0 ||
		    (more && nla_put_flag(f, CTRIPC_BUS_A_MORE) < 0)) {
			nlmsg_free(f);
			return fail(h, -EINVAL, "destination or category too long");
		}
		r = send_frame(h, f);
		if (r < 0)
			return r;
		off += n;
	} while (off < len);
	do
		r = read_frame(h, seq, 0, &id);
	while (r == 0);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = id;
	return 0;
}

int ctripc_recv(struct ctripc *h, struct ctripc_msg **ret, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
	int r;

	h->err[0] = '\0';
	for (;;) {
		if (h->head) {
			struct pending *p = h->head;

			h->head = p->next;
			if (!h->head)
				h->tail = &h->head;
			*ret = p->msg;
			free(p);
			return 0;
		}
		if (timeout_ms == 0) {
			struct pollfd pfd = { .fd = h->fd, .events = POLLIN };

			if (poll(&pfd, 1, 0) <= 0)
				return -EAGAIN;
		}
		r = read_frame(h, 0, deadline, NULL);
		if (r < 0)
			return r;
	}
}

int ctripc_ack(struct ctripc *h, uint64_t id)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_ACK, ++h->seq);

	if (!f || nla_put_u64(f, CTRIPC_BUS_A_ID, id) < 0) {
		nlmsg_free(f);
		return fail(h, -ENOMEM, "out of memory");
	}
	/* Unanswered unless it was wrong: the answer, if any, is read later and dropped. */
	return send_frame(h, f);
}

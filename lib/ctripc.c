// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libctripc: a connection to the bus, its frames, and the messages it
 * receives.  What the program sends (SENDs, ACKs) waits in h->out and goes
 * as few datagrams as possible when the program waits for something or the
 * queue fills; what the buffer sends comes as datagrams of one or more
 * frames, parsed all at once.  Sends never block: a flush that finds the
 * socket full reads meanwhile, so neither side can block the other.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
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

#define OUT_HIGH      (CTRIPC_BUS_FRAME_MAX * 4) /* queued bytes that make a send flush and wait */
#define MSG_OF(p)     ((struct held *)((char *)(p)-offsetof(struct held, msg)))
#define SEQ_NO_ANSWER 0 /* ACKs: answered only when wrong, and such answers are dropped */

/* A received message: one allocation, queued until ctripc_recv() returns it. */
struct held {
	struct held *next;
	struct ctripc_msg msg;
	unsigned char data[];
};

struct ctripc {
	int fd;
	uint32_t seq;
	struct held *head, **tail; /* delivered, not yet returned by ctripc_recv() */
	struct held *partial;	   /* a DELIVER whose chunks still come */
	size_t have;
	struct ctripc_bus_out out; /* frames not sent yet */
	bool broken;		   /* the connection failed: every call says so */
	int broken_error;
	/* The one call waiting for its answer. */
	uint32_t wait_seq;
	bool wait_done;
	int wait_error;
	uint64_t wait_id;
	/* ctripc_send_async(): sends not answered yet, refusals since the last flush. */
	uint32_t in_flight, refused;
	uint32_t window;  /* async sends unanswered before a send waits: the buffer says */
	bool window_told; /* it said: SENDs no longer ask */
	bool in_callback; /* ctripc_on_sent()'s function runs: calls on the handle are refused */
	ctripc_sent_fn *sent_fn;
	void *sent_data;
	char async_err[CTRIPC_ERRMSG_MAX];
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

/* The connection cannot be used any more: this and every later call fail with @error. */
static int broke(struct ctripc *h, int error)
{
	if (!h->broken) {
		h->broken = true;
		h->broken_error = error;
	}
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
	if (m)
		free(MSG_OF(m));
}

/* A string attribute (the parser checked: one NUL, at its end) into a field of @size. */
static void copy_str(char *dst, size_t size, const struct nlattr *nla)
{
	size_t n = (size_t)(nla->nla_len - NLA_HDRLEN - 1);

	if (n >= size)
		n = size - 1;
	memcpy(dst, (const char *)nla + NLA_HDRLEN, n);
	dst[n] = '\0';
}

/* A DELIVER or DATA frame: into h->partial, queued once whole. */
static int take_delivery(struct ctripc *h, uint8_t cmd, struct nlattr **tb)
{
	size_t n = (size_t)nla_len(tb[CTRIPC_BUS_A_PAYLOAD]);
	struct held *p = h->partial;
	struct ctripc_msg *m;

	if (!tb[CTRIPC_BUS_A_PAYLOAD] || (cmd == CTRIPC_BUS_CMD_DELIVER &&
					  (!tb[CTRIPC_BUS_A_ID] || !tb[CTRIPC_BUS_A_SOURCE] ||
					   !tb[CTRIPC_BUS_A_DEST] || !tb[CTRIPC_BUS_A_CATEGORY])))
		return broke(h, fail(h, -EPROTO, "the buffer sent a delivery without its headers"));
	if (cmd == CTRIPC_BUS_CMD_DELIVER) {
		size_t total = tb[CTRIPC_BUS_A_PAYLOAD_LEN]
				       ? nla_get_u32(tb[CTRIPC_BUS_A_PAYLOAD_LEN])
				       : n;

		free(h->partial);
		h->partial = NULL;
		if (total > CTRIPC_BUS_PAYLOAD_MAX)
			return broke(h, fail(h, -EPROTO, "the buffer announced %zu bytes", total));
		p = malloc(sizeof(*p) + total + 1);
		if (!p) /* the rest of the datagram is lost: this connection cannot go on */
			return broke(h, fail(h, -ENOMEM, "out of memory for a message of %zu bytes",
					     total));
		p->next = NULL;
		m = &p->msg;
		m->id = nla_get_u64(tb[CTRIPC_BUS_A_ID]);
		copy_str(m->source, sizeof(m->source), tb[CTRIPC_BUS_A_SOURCE]);
		copy_str(m->dest, sizeof(m->dest), tb[CTRIPC_BUS_A_DEST]);
		copy_str(m->category, sizeof(m->category), tb[CTRIPC_BUS_A_CATEGORY]);
		m->flags = tb[CTRIPC_BUS_A_FLAGS] ? nla_get_u32(tb[CTRIPC_BUS_A_FLAGS]) : 0;
		m->attempt = tb[CTRIPC_BUS_A_ATTEMPT] ? nla_get_u32(tb[CTRIPC_BUS_A_ATTEMPT]) : 1;
		m->sent_at = tb[CTRIPC_BUS_A_SENT_AT] ? nla_get_u64(tb[CTRIPC_BUS_A_SENT_AT]) : 0;
		m->accepted_at = tb[CTRIPC_BUS_A_ACCEPTED_AT]
					 ? nla_get_u64(tb[CTRIPC_BUS_A_ACCEPTED_AT])
					 : 0;
		m->replay_of = tb[CTRIPC_BUS_A_REPLAYS] ? nla_get_u64(tb[CTRIPC_BUS_A_REPLAYS]) : 0;
		m->len = total;
		m->data = p->data;
		h->partial = p;
		h->have = 0;
	} else if (!p) {
		return broke(h, fail(h, -EPROTO, "the buffer sent a DATA frame without a DELIVER"));
	}
	m = &p->msg;
	if (h->have + n > m->len)
		return broke(h, fail(h, -EPROTO, "the buffer sent more payload than announced"));
	memcpy(m->data + h->have, nla_data(tb[CTRIPC_BUS_A_PAYLOAD]), n);
	h->have += n;
	if (tb[CTRIPC_BUS_A_MORE])
		return 0;
	if (h->have != m->len)
		return broke(h, fail(h, -EPROTO, "the buffer sent less payload than announced"));
	m->data[m->len] = '\0';
	h->partial = NULL;
	*h->tail = p;
	h->tail = &p->next;
	return 0;
}

/* The answer to the request with @seq: a waiting call's, or an async send's. */
static void take_answer(struct ctripc *h, uint32_t seq, int error, uint64_t id, const char *reason)
{
	if (seq == SEQ_NO_ANSWER)
		return;
	if (h->wait_seq && seq == h->wait_seq) {
		if (h->wait_done)
			return; /* the first answer is the one */
		h->wait_done = true;
		h->wait_error = error;
		h->wait_id = id;
		if (error < 0)
			snprintf(h->err, sizeof(h->err), "%s",
				 reason[0] ? reason : strerror(-error));
		return;
	}
	if (!h->in_flight)
		return; /* an answer to nothing this side waits for */
	h->in_flight--;
	if (error < 0) {
		h->refused++;
		snprintf(h->async_err, sizeof(h->async_err), "%s",
			 reason[0] ? reason : strerror(-error));
	}
	if (h->sent_fn) {
		h->in_callback = true;
		h->sent_fn(h->sent_data, seq, error, id, error < 0 ? h->async_err : "");
		h->in_callback = false;
	}
}

/* Every frame of one datagram in h->buf. */
static int take_datagram(struct ctripc *h, size_t len)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct nlmsghdr *nlh;
	size_t off = 0;
	uint8_t cmd;
	int r;

	while ((r = ctripc_bus_next(h->buf, len, &off, false, &nlh, tb, &cmd, h->err,
				    sizeof(h->err))) > 0) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			char reason[CTRIPC_ERRMSG_MAX] = "";
			int error = 0;

			if (ctripc_msg_error_parse(nlh, &error, reason, sizeof(reason)) < 0)
				return broke(
					h, fail(h, -EBADMSG, "a malformed answer from the buffer"));
			take_answer(h, nlh->nlmsg_seq, error > 0 ? -error : error, 0, reason);
			continue;
		}
		switch (cmd) {
		case CTRIPC_BUS_CMD_DELIVER:
		case CTRIPC_BUS_CMD_DATA:
			r = take_delivery(h, cmd, tb);
			if (r < 0)
				return r;
			break;
		case CTRIPC_BUS_CMD_ACCEPTED:
			if (!tb[CTRIPC_BUS_A_ID])
				return broke(h, fail(h, -EPROTO,
						     "the buffer sent ACCEPTED without an ID"));
			if (tb[CTRIPC_BUS_A_WINDOW]) {
				uint32_t w = nla_get_u32(tb[CTRIPC_BUS_A_WINDOW]);

				h->window = w < CTRIPC_BUS_WINDOW_MIN	? CTRIPC_BUS_WINDOW_MIN
					    : w > CTRIPC_BUS_WINDOW_MAX ? CTRIPC_BUS_WINDOW_MAX
									: w;
				h->window_told = true;
			}
			take_answer(h, nlh->nlmsg_seq, 0, nla_get_u64(tb[CTRIPC_BUS_A_ID]), "");
			break;
		default:
			break;
		}
	}
	return r < 0 ? broke(h, r) : 0;
}

/* Read a datagram (waiting for one, with @wait): 1 when one was read, 0 when none, or -errno. */
static int read_some(struct ctripc *h, bool wait)
{
	ssize_t n = ctripc_bus_read(h->fd, h->buf, sizeof(h->buf), wait ? 0 : MSG_DONTWAIT, h->err,
				    sizeof(h->err));

	if (n == -EAGAIN)
		return 0;
	if (n == 0)
		return broke(h, fail(h, -ECONNRESET, "the buffer closed the connection"));
	if (n < 0)
		return broke(h, (int)n);
	n = take_datagram(h, (size_t)n);
	return n < 0 ? (int)n : 1;
}

/*
 * Wait until the socket is readable (and, with @out, writable) or @deadline
 * (ms, 0: none) passes, then read what came.  -ETIMEDOUT after the deadline.
 */
static int wait_io(struct ctripc *h, bool out, uint64_t deadline)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN | (out ? POLLOUT : 0) };
	int r, wait = -1;

	if (!out && !deadline) {
		/* Only a datagram can end this wait: read it (one system call, not two). */
		r = read_some(h, true);
		return r < 0 ? r : 0;
	}
	if (deadline) {
		uint64_t now = now_ms();

		if (now >= deadline)
			return -ETIMEDOUT;
		wait = (int)(deadline - now);
	}
	r = poll(&pfd, 1, wait);
	if (r < 0 && errno != EINTR)
		return fail(h, -errno, "poll: %s", strerror(errno));
	if (r > 0 && pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		r = read_some(h, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Send what waits; with @wait, until all went (reading meanwhile), else what the socket takes. */
static int flush_out(struct ctripc *h, bool wait, uint64_t deadline)
{
	for (;;) {
		int r = ctripc_bus_flush(h->fd, &h->out);

		if (r == 0 || (r == -EAGAIN && !wait))
			return 0;
		if (r != -EAGAIN)
			return broke(h, fail(h, r, "cannot send to the buffer: %s", strerror(-r)));
		r = wait_io(h, true, deadline);
		if (r < 0)
			return r;
	}
}

/* Ask the buffer for the answers it holds back (they travel with the next frames otherwise). */
static void queue_sync(struct ctripc *h)
{
	ctripc_bus_begin(&h->out, CTRIPC_BUS_CMD_SYNC, SEQ_NO_ANSWER);
	if (ctripc_bus_end(&h->out) < 0)
		broke(h, fail(h, -ENOMEM, "out of memory"));
}

/* Send everything, then read until the answer to @seq came. */
static int call_wait(struct ctripc *h, uint32_t seq, uint64_t *ret_id)
{
	int r = flush_out(h, true, 0);

	while (r == 0 && !h->wait_done)
		r = wait_io(h, false, 0);
	h->wait_seq = 0;
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = h->wait_id;
	return h->wait_error;
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
	h->window = CTRIPC_BUS_WINDOW;
	if (!path)
		path = getenv("CTRIPC_BUS") ? getenv("CTRIPC_BUS") : CTRIPC_BUS_PATH;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		free(h);
		*ret_error = -ENAMETOOLONG;
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/*
	 * A blocking socket (a buffer that restarts makes connect() wait, and a
	 * wait for a frame is one recvmsg()); everything that must not block
	 * says so with MSG_DONTWAIT.
	 */
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

/* Nothing goes on a connection that failed. */
static int check(struct ctripc *h)
{
	/* The callback runs in the middle of reading a datagram: the handle is not to be used. */
	if (h->in_callback)
		return fail(h, -EDEADLK, "called from inside the ctripc_on_sent() function");
	h->err[0] = '\0';
	if (!h->broken)
		return 0;
	return fail(h, h->broken_error, "the connection to the buffer failed (%s); open a new one",
		    strerror(-h->broken_error));
}

int ctripc_register(struct ctripc *h, const char *endpoint)
{
	uint32_t seq = ++h->seq ? h->seq : ++h->seq;
	int r = check(h);

	if (r < 0)
		return r;
	if (strlen(endpoint) > CTRIPC_BUS_NAME_MAX)
		return fail(h, -EINVAL, "endpoint name too long");
	h->wait_seq = seq;
	h->wait_done = false;
	ctripc_bus_begin(&h->out, CTRIPC_BUS_CMD_REGISTER, seq);
	ctripc_bus_flags(&h->out, NLM_F_ACK);
	ctripc_bus_put_str(&h->out, CTRIPC_BUS_A_ENDPOINT, endpoint);
	r = ctripc_bus_end(&h->out);
	if (r < 0) {
		h->wait_seq = 0;
		return fail(h, r, "cannot build the request: %s", strerror(-r));
	}
	return call_wait(h, seq, NULL);
}

void ctripc_close(struct ctripc *h)
{
	if (!h)
		return;
	if (!h->broken)
		flush_out(h, true, now_ms() + 5000); /* ACKs and sends still queued */
	while (h->head) {
		struct held *p = h->head;

		h->head = p->next;
		free(p);
	}
	free(h->partial);
	ctripc_bus_out_free(&h->out);
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

void ctripc_on_sent(struct ctripc *h, ctripc_sent_fn *fn, void *userdata)
{
	h->sent_fn = fn;
	h->sent_data = userdata;
}

/* Queue the frames of one SEND with @seq. */
static int queue_send(struct ctripc *h, uint32_t seq, bool prompt, const char *dest,
		      const char *category, const void *data, size_t len,
		      const struct ctripc_send_opts *opts)
{
	const unsigned char *p = data;
	size_t off = 0;

	if (len > CTRIPC_BUS_PAYLOAD_MAX)
		return fail(h, -EMSGSIZE, "%zu bytes is over the bus's ceiling of %u", len,
			    CTRIPC_BUS_PAYLOAD_MAX);
	if (opts && opts->auth_len > CTRIPC_BUS_AUTH_MAX)
		return fail(h, -EMSGSIZE, "authorization data is at most %d bytes",
			    CTRIPC_BUS_AUTH_MAX);
	if (strlen(dest) > CTRIPC_BUS_ADDR_MAX || strlen(category) > CTRIPC_BUS_CATEGORY_MAX)
		return fail(h, -EINVAL, "destination or category too long");
	do {
		size_t n = len - off > CTRIPC_BUS_CHUNK ? CTRIPC_BUS_CHUNK : len - off;
		bool more = off + n < len;
		int r;

		ctripc_bus_begin(&h->out, off ? CTRIPC_BUS_CMD_DATA : CTRIPC_BUS_CMD_SEND, seq);
		if (off == 0) {
			if (prompt)
				ctripc_bus_flags(&h->out, NLM_F_ACK);
			ctripc_bus_put_str(&h->out, CTRIPC_BUS_A_DEST, dest);
			ctripc_bus_put_str(&h->out, CTRIPC_BUS_A_CATEGORY, category);
			if (opts && opts->auth)
				ctripc_bus_put(&h->out, CTRIPC_BUS_A_AUTH, opts->auth,
					       opts->auth_len);
			if (opts && opts->ttl_ms)
				ctripc_bus_put_u32(&h->out, CTRIPC_BUS_A_TTL_MS, opts->ttl_ms);
			if (!h->window_told) /* until an ACCEPTED says it */
				ctripc_bus_put_u32(&h->out, CTRIPC_BUS_A_FLAGS,
						   CTRIPC_BUS_SEND_F_WINDOW);
			if (more)
				ctripc_bus_put_u32(&h->out, CTRIPC_BUS_A_PAYLOAD_LEN,
						   (uint32_t)len);
		}
		ctripc_bus_put(&h->out, CTRIPC_BUS_A_PAYLOAD, p + off, n);
		if (more)
			ctripc_bus_put(&h->out, CTRIPC_BUS_A_MORE, NULL, 0);
		r = ctripc_bus_end(&h->out);
		if (r < 0)
			/* Chunks already queued end the connection's framing: start over. */
			return off ? broke(h, fail(h, r, "cannot build a frame: %s", strerror(-r)))
				   : fail(h, r, "cannot build a frame: %s", strerror(-r));
		off += n;
		/* A big payload goes as it is cut, not all in memory twice. */
		if (h->out.len - h->out.head >= OUT_HIGH && (r = flush_out(h, true, 0)) < 0)
			return broke(h, r); /* chunks went and others will not: framing is lost */
	} while (off < len);
	return 0;
}

int ctripc_send(struct ctripc *h, const char *dest, const char *category, const void *data,
		size_t len, const struct ctripc_send_opts *opts, uint64_t *ret_id)
{
	uint32_t seq = ++h->seq ? h->seq : ++h->seq;
	int r = check(h);

	if (r < 0)
		return r;
	/* Waited for from the first chunk on: a refusal may come while the rest is sent. */
	h->wait_seq = seq;
	h->wait_done = false;
	r = queue_send(h, seq, true, dest, category, data, len, opts);
	if (r < 0) {
		h->wait_seq = 0;
		return r;
	}
	return call_wait(h, seq, ret_id);
}

int ctripc_send_async(struct ctripc *h, const char *dest, const char *category, const void *data,
		      size_t len, const struct ctripc_send_opts *opts, uint64_t *ret_token)
{
	uint32_t seq = ++h->seq ? h->seq : ++h->seq;
	int r = check(h);

	if (r < 0)
		return r;
	/* A window of answers outstanding: the buffer's answers cannot pile up unread. */
	if (h->in_flight >= h->window)
		queue_sync(h);
	while (h->in_flight >= h->window) {
		r = flush_out(h, true, 0);
		/* Answers read while it flushed may have opened the window: no wait for more. */
		if (r == 0 && h->in_flight >= h->window)
			r = wait_io(h, false, 0);
		if (r < 0)
			return r;
	}
	h->in_flight++; /* before its chunks go: a refusal may come while they do */
	r = queue_send(h, seq, false, dest, category, data, len, opts);
	if (r < 0) {
		h->in_flight--;
		return r;
	}
	if (ret_token)
		*ret_token = seq;
	/* A datagram's worth waiting: it goes now, if the socket takes it. */
	if (h->out.len - h->out.head >= CTRIPC_BUS_FRAME_MAX)
		return flush_out(h, h->out.len - h->out.head >= OUT_HIGH, 0);
	return 0;
}

int ctripc_flush(struct ctripc *h, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
	uint32_t refused;
	int r = check(h);

	if (r == 0 && h->in_flight)
		queue_sync(h);
	if (r == 0)
		r = flush_out(h, timeout_ms != 0, deadline);
	while (r == 0 && h->in_flight) {
		if (timeout_ms == 0) {
			r = read_some(h, false);
			if (r == 0)
				return -EAGAIN;
		} else {
			r = wait_io(h, ctripc_bus_pending(&h->out), deadline);
			if (r == 0 && ctripc_bus_pending(&h->out))
				r = flush_out(h, false, 0);
		}
	}
	if (r < 0)
		return r == -ETIMEDOUT ? fail(h, r, "%u sends not answered yet", h->in_flight) : r;
	refused = h->refused;
	h->refused = 0;
	if (refused)
		snprintf(h->err, sizeof(h->err), "%s", h->async_err);
	return (int)refused;
}

int ctripc_recv(struct ctripc *h, struct ctripc_msg **ret, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
	int r = h->in_callback || !h->head ? check(h) : 0;

	while (r == 0) {
		if (h->head) {
			struct held *p = h->head;

			h->head = p->next;
			if (!h->head) {
				h->tail = &h->head;
				/* All taken: the ACKs of the batch go now. */
				flush_out(h, false, 0);
			}
			*ret = &p->msg;
			return 0;
		}
		if (timeout_ms == 0) {
			r = flush_out(h, false, 0);
			if (r == 0 && (r = read_some(h, false)) == 0)
				return -EAGAIN;
			r = r < 0 ? r : 0;
			continue;
		}
		/*
		 * Nothing here: what this side queued (ACKs, sends) goes before it
		 * waits, and a delivery read while it flushed ends the wait.
		 */
		r = flush_out(h, true, deadline);
		if (r == 0 && !h->head)
			r = wait_io(h, false, deadline);
	}
	return r;
}

int ctripc_ack(struct ctripc *h, uint64_t id)
{
	int r = check(h);

	if (r < 0)
		return r;
	ctripc_bus_begin(&h->out, CTRIPC_BUS_CMD_ACK, SEQ_NO_ANSWER);
	ctripc_bus_put_u64(&h->out, CTRIPC_BUS_A_ID, id);
	r = ctripc_bus_end(&h->out);
	if (r < 0)
		return fail(h, r, "out of memory");
	/*
	 * Batched: it goes with the next call that waits (an answer sent
	 * meanwhile travels in the same datagram), or when ctripc_recv() hands
	 * out the last message received, or once a datagram's worth waits.
	 */
	if (h->out.len - h->out.head >= CTRIPC_BUS_FRAME_MAX)
		return flush_out(h, false, 0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The buffer process's router.  Each connection arrived on a listening
 * socket that names its container; SO_PEERCRED names the process.  A SEND
 * is authorized, held in its destination's queue and answered ACCEPTED (or
 * refused with the reason); held messages go out as DELIVER to the
 * endpoint registered under the destination's name, in order, and leave
 * when it ACKs them.  Un-ACKed ones go again when the endpoint comes back.
 * Nothing is dropped silently: a message leaves only by ACK or by its time
 * to live running out before delivery (counted as expired).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "buffer.h"
#include "ctr-ipc/policy.h"

enum { EV_CONTROL = 1, EV_TIMER, EV_LISTENER, EV_CONN, EV_SYNCER };

/* What an epoll event points to: the first member of each watched object. */
struct watched {
	int kind;
};

#define OUT_MAX	      (4u << 20) /* frames queued for one slow reader before deliveries wait */
#define IN_PAUSE      (8u << 20) /* queued for a client that does not read: its frames wait */
#define LAZY_MAX      256	 /* answers waiting that make a connection's frames go now */
#define TICK_MS	      100
#define NS_PER_MS     1000000ull
#define FRAME_BUFS    CTRIPC_BUS_FRAME_MAX
#define PAYLOAD_CACHE (64u << 20) /* journaled payloads kept in memory for receivers there */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A name into a fixed-size field (the hot path's snprintf("%s")). */
static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void __attribute__((format(printf, 2, 3))) blog(struct buffer *b, const char *fmt, ...);
static void __attribute__((format(printf, 2, 3))) binfo(struct buffer *b, const char *fmt, ...);

/*
 * The time, read once for a batch of events: every message the batch
 * brings is stamped with it (reading the clock for each was a tenth of
 * the buffer's time in a stream).
 */
static void clock_now(struct buffer *b)
{
	b->clock_real = real_ns();
	b->clock_mono = mono_ns();
	b->journal.now = b->clock_real;
}

static int watch(struct buffer *b, int fd, void *obj, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = obj };

	return epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* --- sending frames ------------------------------------------------------------ */

/*
 * What a connection is sent waits in c->out and goes at the end of the
 * batch of events (buffer_run), coalesced: a stream of messages costs the
 * receiver one datagram per batch.  A socket that is full gets EPOLLOUT
 * watched until it drains.
 */
static void mark_dirty(struct buffer *b, struct conn *c)
{
	if (c->dirty || c->fd < 0)
		return;
	c->dirty = true;
	c->dirty_next = b->dirty;
	b->dirty = c;
}

static void conn_close(struct buffer *b, struct conn *c);

/* Bytes queued for @c and not taken by its socket yet. */
static size_t conn_queued(const struct conn *c)
{
	return c->out.len - c->out.head;
}

static void deliver_queue(struct buffer *b, struct queue *q);

static bool journal_point(struct buffer *b, bool all);

static bool waits_for_sync(struct buffer *b, struct conn *c);

static void conn_flush(struct buffer *b, struct conn *c)
{
	int r;
	bool want;

	if (!journal_point(b, false))
		return;
	if (waits_for_sync(b, c))
		return; /* on_synced() marks it dirty again */
	r = ctripc_bus_flush(c->fd, &c->out);
	want = r == -EAGAIN;
	/* A client that does not read its answers is not read either, until it does. */
	bool paused = conn_queued(c) >= IN_PAUSE;

	if (r < 0 && r != -EAGAIN) {
		conn_close(b, c);
		return;
	}
	if (want != c->want_out || paused != c->paused) {
		struct epoll_event ev = { .events = (paused ? 0 : EPOLLIN) | (want ? EPOLLOUT : 0),
					  .data.ptr = c };

		epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = want;
		c->paused = paused;
	}
	/* Deliveries held back while OUT_MAX waited go on as the reader takes them. */
	if (c->inbox && c->inbox->cursor && conn_queued(c) < OUT_MAX / 2)
		deliver_queue(b, c->inbox);
}

static void flush_dirty(struct buffer *b)
{
	while (b->dirty) {
		struct conn *c = b->dirty;

		b->dirty = c->dirty_next;
		c->dirty = false;
		c->lazy = 0;
		if (c->fd >= 0)
			conn_flush(b, c);
	}
}

/*
 * An ACCEPTED for a SEND without NLM_F_ACK (a pipelined one) need not go at
 * once: it travels with the next frames to that client (a delivery, an
 * answer given at once, the answer to its SYNC), or once LAZY_MAX are held.
 * A sender that pipelines is not woken for each answer, and a ping-pong's
 * reply carries the answer to the ping.  No timer: a client that wants its
 * answers sends SYNC.
 */
static void answer_later(struct buffer *b, struct conn *c)
{
	if (++c->lazy >= LAZY_MAX)
		mark_dirty(b, c);
}

/* An answer to the frame with @seq: 0 acknowledges, else the reason. */
static void conn_answer(struct buffer *b, struct conn *c, uint32_t seq, int error,
			const char *reason)
{
	struct nlmsghdr req = { .nlmsg_len = NLMSG_HDRLEN,
				.nlmsg_type = CTRIPC_BUS_NLMSG_TYPE,
				.nlmsg_seq = seq };
	struct nl_msg *m = ctripc_msg_error(&req, error, reason);

	if (m && ctripc_bus_append(&c->out, nlmsg_hdr(m)) == 0)
		mark_dirty(b, c);
	else /* out of memory: an answer lost would leave the client waiting for it */
		conn_close(b, c);
	nlmsg_free(m);
}

/* --- queues and messages ---------------------------------------------------------- */

static struct conn *endpoint_conn(struct buffer *b, const char *addr);

static struct queue *queue_of(struct buffer *b, const char *dest, bool create)
{
	struct queue *q;

	for (q = b->queues; q; q = q->next)
		if (strcmp(q->dest, dest) == 0)
			return q;
	if (!create)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	snprintf(q->dest, sizeof(q->dest), "%s", dest);
	q->tail = &q->head;
	q->ep = endpoint_conn(b, dest);
	q->next = b->queues;
	b->queues = q;
	return q;
}

/* --- the journal ------------------------------------------------------------------- */

static int id_list_grow(struct id_list *l)
{
	size_t cap = l->cap ? l->cap * 2 : 256;
	uint64_t *v = realloc(l->v, cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

/* The bytes of @m's JR_ACCEPT record, as its segment's live_bytes counts them. */
static uint64_t record_bytes(const struct bus_msg *m)
{
	return JOURNAL_ALIGN(JOURNAL_HDR_SIZE + sizeof(struct journal_accept) + strlen(m->source) +
			     strlen(m->dest) + strlen(m->category) + m->len);
}

/* @m's record is in @s, which keeps it while @m is held (seg_drop when it leaves). */
static void seg_take(struct journal_seg *s, const struct bus_msg *m)
{
	s->live++;
	s->live_bytes += record_bytes(m);
}

static void seg_drop(struct journal_seg *s, const struct bus_msg *m)
{
	s->live--;
	s->live_bytes -= record_bytes(m);
}

/* What happened to @m, in the journal (if it has one); a record lost costs a redelivery. */
static void journal_note(struct buffer *b, uint16_t type, const struct bus_msg *m)
{
	struct id_list *l = type == JR_DELIVER ? &b->notes[0]
			    : type == JR_ACK   ? &b->notes[1]
					       : NULL;

	if (!m->seg)
		return;
	/* Deliveries and ACKs of a batch: one record each, at its end (notes_out). */
	if (l && (l->n < l->cap || id_list_grow(l) == 0))
		l->v[l->n++] = m->id;
	else
		journal_append_id(&b->journal, type, m->id);
}

/* The deliveries and ACKs noted, in a record each. */
static void notes_out(struct buffer *b)
{
	static const uint16_t types[2] = { JR_DELIVER, JR_ACK };

	for (int i = 0; i < 2; i++) {
		struct id_list *l = &b->notes[i];
		struct iovec iov = { l->v, l->n * sizeof(*l->v) };

		if (!l->n)
			continue;
		journal_append(&b->journal, types[i], &iov, 1, NULL, NULL);
		l->n = 0;
	}
}

/*
 * @m (its ID given) appended whole: 0 and in *@gen the journal write that
 * carries it, or -errno and why in @reason.
 */
static int journal_message(struct buffer *b, struct bus_msg *m, uint64_t *gen, char *reason,
			   size_t len)
{
	uint64_t now = b->clock_mono;
	struct journal_accept a = {
		.id = m->id,
		.sent_at = m->sent_at,
		.accepted_at = m->accepted_at,
		.expires_at = !m->expires_at	    ? 0
			      : m->expires_at > now ? m->accepted_at + (m->expires_at - now)
						    : m->accepted_at,
		.replay_of = m->replay_of,
		.flags = m->flags,
		.payload_len = (uint32_t)m->len,
		.source_len = (uint16_t)strlen(m->source),
		.dest_len = (uint16_t)strlen(m->dest),
		.category_len = (uint16_t)strlen(m->category),
	};
	struct iovec iov[] = {
		{ &a, sizeof(a) },
		{ (char *)m->source, a.source_len },
		{ (char *)m->dest, a.dest_len },
		{ (char *)m->category, a.category_len },
		{ m->payload, m->len },
	};
	uint64_t joff;
	int r = journal_append(&b->journal, JR_ACCEPT, iov, 5, &m->seg, &joff);

	if (r < 0) {
		m->seg = NULL;
		snprintf(reason, len,
			 r == -ENOSPC ? "the journal has no room for it: the disk of ctr-ipcd's "
					"state directory is full (messages held are kept); free "
					"space there, or lower journal_retain_size"
				      : "the journal cannot take it: %s",
			 strerror(-r));
		return r;
	}
	m->joff = (uint32_t)joff;
	seg_take(m->seg, m);
	b->journal.id_floor = b->next_id + 1;
	b->accepts_pending++;
	*gen = journal_generation(&b->journal);
	return 0;
}

static void journal_failed(struct buffer *b, int error)
{
	fprintf(stderr, "ctr-ipc-buffer: the journal cannot be written: %s\n", strerror(-error));
	b->quit = true;
	b->status = error;
}

/*
 * Before any frame leaves: what was accepted is written to the journal
 * (which a killed buffer does not lose), and with durability sync, the
 * syncer thread is asked to fdatasync it: one sync covers everything
 * accepted meanwhile (group commit), and the buffer goes on routing while
 * it runs.  A connection whose frames hold an ACCEPTED waits for the sync
 * that covers it (conn_flush).  A journal that cannot be written stops the
 * buffer before an answer goes: ctr-ipcd restarts it, and its recovery
 * keeps what was written.
 */
static bool journal_point(struct buffer *b, bool all)
{
	int r = 0;

	if (!b->journaled)
		return true;
	if (all)
		notes_out(b);
	if (b->accepts_pending)
		r = journal_commit_start(&b->journal);
	else if (all)
		r = journal_write(&b->journal);
	b->accepts_pending = 0;
	if (r < 0) {
		journal_failed(b, r);
		return false;
	}
	return true;
}

/* Whether @c's frames must wait for a sync still running. */
static bool waits_for_sync(struct buffer *b, struct conn *c)
{
	int64_t synced;

	if (!c->wait_gen)
		return false;
	synced = journal_synced(&b->journal);
	if (synced < 0) {
		journal_failed(b, (int)synced);
		return true;
	}
	if ((uint64_t)synced < c->wait_gen)
		return true;
	c->wait_gen = 0;
	return false;
}

/* A sync ended (or was waited for): the connections it covers send what they hold. */
static void wake_synced(struct buffer *b)
{
	for (struct conn *c = b->conns; c; c = c->next)
		if (c->wait_gen && !waits_for_sync(b, c))
			mark_dirty(b, c);
}

/* The syncer's eventfd says a sync ended. */
static void on_synced(struct buffer *b)
{
	uint64_t n;

	if (read(journal_syncer_fd(&b->journal), &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	wake_synced(b);
}

static struct ep_stat *ep_stat(struct buffer *b, const char *addr)
{
	struct ep_stat *e;

	for (e = b->ep_stats; e; e = e->next)
		if (strcmp(e->addr, addr) == 0)
			return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->next = b->ep_stats;
	b->ep_stats = e;
	return e;
}

/* The headers of @m in @state, as the ring keeps them and queries show them. */
static void describe(const struct bus_msg *m, enum bus_msg_state state, const char *reason,
		     struct bus_done *d)
{
	d->id = state == MSG_REJECTED ? 0 : m->id;
	copy_name(d->source, sizeof(d->source), m->source);
	copy_name(d->dest, sizeof(d->dest), m->dest);
	copy_name(d->category, sizeof(d->category), m->category);
	d->state = state;
	d->attempts = m->attempts;
	d->sent_at = m->sent_at;
	d->accepted_at = m->accepted_at;
	d->len = m->len;
	d->replay_of = m->replay_of;
	d->seg_seq = m->seg ? m->seg->first_seq : 0;
	d->joff = m->seg ? m->joff : 0;
	copy_name(d->reason, sizeof(d->reason), reason ? reason : "");
}

static const char *const state_names[] = {
	[MSG_QUEUED] = "queued",   [MSG_DELIVERED] = "delivered", [MSG_ACKED] = "delivered",
	[MSG_EXPIRED] = "expired", [MSG_REJECTED] = "rejected",	  [MSG_PURGED] = "purged",
};

/* A frame (ENTRY, EVENT) with a message's headers; NULL when out of memory. */
static struct nl_msg *headers_frame(uint8_t cmd, uint32_t seq, const struct bus_done *d)
{
	struct nl_msg *f = ctripc_bus_frame(cmd, seq);

	if (f &&
	    ((d->id && nla_put_u64(f, CTRIPC_BUS_A_ID, d->id) < 0) ||
	     nla_put_string(f, CTRIPC_BUS_A_SOURCE, d->source) < 0 ||
	     nla_put_string(f, CTRIPC_BUS_A_DEST, d->dest) < 0 ||
	     nla_put_string(f, CTRIPC_BUS_A_CATEGORY, d->category) < 0 ||
	     nla_put_string(f, CTRIPC_BUS_A_STATE, state_names[d->state]) < 0 ||
	     nla_put_u32(f, CTRIPC_BUS_A_PAYLOAD_LEN, (uint32_t)d->len) < 0 ||
	     nla_put_u64(f, CTRIPC_BUS_A_SENT_AT, d->sent_at) < 0 ||
	     (d->accepted_at && nla_put_u64(f, CTRIPC_BUS_A_ACCEPTED_AT, d->accepted_at) < 0) ||
	     nla_put_u32(f, CTRIPC_BUS_A_ATTEMPT, d->attempts) < 0 ||
	     (d->replay_of && nla_put_u64(f, CTRIPC_BUS_A_REPLAYS, d->replay_of) < 0) ||
	     (d->reason[0] && nla_put_string(f, CTRIPC_BUS_A_TEXT, d->reason) < 0))) {
		nlmsg_free(f);
		f = NULL;
	}
	return f;
}

/*
 * What happened to @m, for ctr-ipcd's watchers: its headers and the first
 * CTRIPC_BUS_EVENT_SNAP bytes of its payload, when in memory (always for
 * accepted and refused: a payload goes to the journal only after).  Never waits: an EVENT the
 * control socket cannot take now is counted as lost, and the next says so.
 */
static void event(struct buffer *b, enum ctripc_bus_event ev, const struct bus_msg *m,
		  enum bus_msg_state state, const char *reason)
{
	size_t snap = m->len < CTRIPC_BUS_EVENT_SNAP ? m->len : CTRIPC_BUS_EVENT_SNAP;
	struct bus_done v;
	struct nl_msg *f;

	if (!b->watched)
		return;
	describe(m, state, reason, &v);
	f = headers_frame(CTRIPC_BUS_CMD_EVENT, 0, &v);
	if (!f || nla_put_u32(f, CTRIPC_BUS_A_EVENT, ev) < 0 ||
	    (m->payload && nla_put(f, CTRIPC_BUS_A_PAYLOAD, (int)snap, m->payload) < 0) ||
	    (b->events_lost && nla_put_u64(f, CTRIPC_BUS_A_DROPPED, b->events_lost) < 0) ||
	    send(b->control, nlmsg_hdr(f), nlmsg_hdr(f)->nlmsg_len, MSG_DONTWAIT | MSG_NOSIGNAL) <
		    0)
		b->events_lost++;
	nlmsg_free(f);
}

static const char why_ttl[] = "its time to live ran out before delivery";
static const char why_purged[] = "purged by the administrator";
static const char why_unreadable[] = "its payload cannot be read back from journal segment";

/*
 * The ring's next slot.  The entry it held goes on in the history while
 * the journal keeps its record; without room for it there, it is gone.
 */
static struct bus_done *ring_next(struct buffer *b)
{
	struct bus_done *d = &b->done[b->done_count++ % BUS_DONE_KEEP];
	struct history_entry e;

	if (b->done_count <= BUS_DONE_KEEP || !d->id || !d->joff || d->seg_seq < b->history.floor)
		return d;
	e = (struct history_entry){
		.id = d->id,
		.seg_seq = d->seg_seq,
		.joff = (uint32_t)d->joff,
		.attempts = d->attempts > UINT16_MAX ? UINT16_MAX : (uint16_t)d->attempts,
		.state = (uint8_t)d->state,
		.why = strcmp(d->reason, why_ttl) == 0	    ? HISTORY_WHY_TTL
		       : strcmp(d->reason, why_purged) == 0 ? HISTORY_WHY_PURGED
		       : strncmp(d->reason, why_unreadable, sizeof(why_unreadable) - 1) == 0
			       ? HISTORY_WHY_UNREADABLE
			       : HISTORY_WHY_NONE,
	};
	history_push(&b->history, &e);
	return d;
}

/* @m's end (or its refusal) in the counters and the ring. */
static void record(struct buffer *b, struct queue *q, const struct bus_msg *m,
		   enum bus_msg_state state, const char *reason)
{
	struct ep_stat *e;

	if (q && !q->stat)
		q->stat = ep_stat(b, q->dest);
	e = q ? q->stat : ep_stat(b, state == MSG_REJECTED ? m->source : m->dest);
	if (e && state == MSG_REJECTED)
		e->refused++;
	else if (e && state == MSG_ACKED)
		e->delivered++;
	if (b->done)
		describe(m, state, reason, ring_next(b));
}

static void finish(struct buffer *b, struct queue *q, struct bus_msg *m, enum bus_msg_state state,
		   const char *reason)
{
	record(b, q, m, state, reason);
	held_remove(&b->store.held, m);
	if (state != MSG_REJECTED) /* held: counted against its sender's container */
		name_of(m->source)->holder->held--;
	if (m->seg)
		seg_drop(m->seg, m);
	msg_free(&b->store, m);
}

/* The quota counter of @container. */
static struct holder *holder_of(struct buffer *b, const char *container)
{
	struct holder *h;

	for (h = b->holders; h; h = h->next)
		if (strcmp(h->container, container) == 0)
			return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	snprintf(h->container, sizeof(h->container), "%s", container);
	h->next = b->holders;
	b->holders = h;
	return h;
}

/*
 * @m (its ID given, room in the index asked for) held: at the end of @q,
 * in the index, counted against its sender's container (@from).
 */
static void hold(struct buffer *b, struct queue *q, struct holder *from, struct bus_msg *m)
{
	m->state = MSG_QUEUED;
	name_of(m->source)->holder = from;
	from->held++;
	*q->tail = m;
	q->tail = &m->next;
	if (!q->cursor)
		q->cursor = m;
	q->count++;
	q->bytes += m->len;
	held_add(&b->store.held, m);
}

static struct conn *endpoint_conn(struct buffer *b, const char *addr)
{
	for (struct conn *c = b->conns; c; c = c->next) {
		size_t n = strlen(c->via->container);

		if (c->endpoint[0] && strncmp(addr, c->via->container, n) == 0 && addr[n] == '/' &&
		    strcmp(addr + n + 1, c->endpoint) == 0)
			return c;
	}
	return NULL;
}

/* DELIVER @m (its payload @p) to @c: its first chunk, then DATA frames with the rest. */
static int deliver_one(struct buffer *b, struct conn *c, const struct bus_msg *m,
		       const unsigned char *p)
{
	struct ctripc_bus_out *o = &c->out;
	size_t off = 0;

	do {
		size_t n = m->len - off > CTRIPC_BUS_CHUNK ? CTRIPC_BUS_CHUNK : m->len - off;
		bool more = off + n < m->len;
		int r;

		ctripc_bus_begin(o, off ? CTRIPC_BUS_CMD_DATA : CTRIPC_BUS_CMD_DELIVER, 0);
		if (off == 0) {
			ctripc_bus_put_u64(o, CTRIPC_BUS_A_ID, m->id);
			ctripc_bus_put_str(o, CTRIPC_BUS_A_SOURCE, m->source);
			ctripc_bus_put_str(o, CTRIPC_BUS_A_DEST, m->dest);
			ctripc_bus_put_str(o, CTRIPC_BUS_A_CATEGORY, m->category);
			ctripc_bus_put_u32(o, CTRIPC_BUS_A_FLAGS, m->flags);
			ctripc_bus_put_u64(o, CTRIPC_BUS_A_SENT_AT, m->sent_at);
			ctripc_bus_put_u64(o, CTRIPC_BUS_A_ACCEPTED_AT, m->accepted_at);
			ctripc_bus_put_u32(o, CTRIPC_BUS_A_ATTEMPT, m->attempts);
			if (m->replay_of)
				ctripc_bus_put_u64(o, CTRIPC_BUS_A_REPLAYS, m->replay_of);
			if (more)
				ctripc_bus_put_u32(o, CTRIPC_BUS_A_PAYLOAD_LEN, (uint32_t)m->len);
		}
		ctripc_bus_put(o, CTRIPC_BUS_A_PAYLOAD, n ? p + off : NULL, n);
		if (more)
			ctripc_bus_put(o, CTRIPC_BUS_A_MORE, NULL, 0);
		r = ctripc_bus_end(o);
		if (r < 0)
			return r; /* chunks queued before stay: the receiver's framing is lost */
		off += n;
	} while (off < m->len);
	mark_dirty(b, c);
	return 0;
}

static struct bus_msg *queue_unlink(struct queue *q, struct bus_msg **pp);
static void finish(struct buffer *b, struct queue *q, struct bus_msg *m, enum bus_msg_state state,
		   const char *reason);

/*
 * @m's payload cannot be read back from the journal (a disk error, a
 * record damaged since): it cannot be delivered, and leaves as expired,
 * with the reason in the log and in what the administrator sees.
 */
static void unreadable(struct buffer *b, struct queue *q, struct bus_msg *m, int error)
{
	char reason[256];
	struct bus_msg **pp = &q->head;

	while (*pp != m)
		pp = &(*pp)->next;
	snprintf(reason, sizeof(reason), "%s %016llx at offset %u: %s", why_unreadable,
		 (unsigned long long)m->seg->first_seq, m->joff, strerror(-error));
	blog(b, "message %llu: %s", (unsigned long long)m->id, reason);
	queue_unlink(q, pp);
	b->expired++;
	journal_note(b, JR_EXPIRE, m);
	event(b, CTRIPC_BUS_EV_EXPIRED, m, MSG_EXPIRED, reason);
	finish(b, q, m, MSG_EXPIRED, reason);
}

/* Everything queued for @q's destination that its endpoint can take now. */
static void deliver_queue(struct buffer *b, struct queue *q)
{
	struct conn *c = q->ep;

	if (!c)
		return;
	while (q->cursor && conn_queued(c) < OUT_MAX) {
		struct bus_msg *m = q->cursor;
		const unsigned char *p;
		int err = 0;

		p = store_payload(&b->store, &b->journal, m, &err);
		if (err == -ENOMEM)
			return; /* it goes with the next delivery to this queue */
		if (err < 0) {
			unreadable(b, q, m, err);
			continue;
		}
		m->attempts++;
		m->state = MSG_DELIVERED;
		q->cursor = m->next;
		journal_note(b, JR_DELIVER, m);
		event(b, CTRIPC_BUS_EV_DELIVERED, m, MSG_DELIVERED, NULL);
		if (deliver_one(b, c, m, p) < 0) {
			conn_close(b, c); /* out of memory: it gets them again when it reconnects */
			return;
		}
		b->delivered++;
	}
}

/* Take the message *@pp out of @q. */
static struct bus_msg *queue_unlink(struct queue *q, struct bus_msg **pp)
{
	struct bus_msg *m = *pp;

	*pp = m->next;
	if (q->tail == &m->next)
		q->tail = pp;
	if (q->cursor == m)
		q->cursor = m->next;
	q->count--;
	q->bytes -= m->len;
	return m;
}

/* Time to live: a message not delivered in time leaves, counted. */
static void expire(struct buffer *b)
{
	uint64_t now = mono_ns();

	for (struct queue *q = b->queues; q; q = q->next)
		for (struct bus_msg **pp = &q->head, *m; (m = *pp);) {
			if (m->state != MSG_QUEUED || !m->expires_at || m->expires_at > now) {
				pp = &m->next;
				continue;
			}
			queue_unlink(q, pp);
			b->expired++;
			journal_note(b, JR_EXPIRE, m);
			event(b, CTRIPC_BUS_EV_EXPIRED, m, MSG_EXPIRED, why_ttl);
			finish(b, q, m, MSG_EXPIRED, why_ttl);
		}
}

/* --- one message, once whole -------------------------------------------------------- */

/* SEND refused: the sender hears why, the ring keeps it. */
static void refuse(struct buffer *b, struct conn *c, uint32_t seq, struct bus_msg *m, int error,
		   const char *reason)
{
	b->rejected++;
	conn_answer(b, c, seq, error, reason);
	event(b, CTRIPC_BUS_EV_REFUSED, m, MSG_REJECTED, reason);
	finish(b, NULL, m, MSG_REJECTED, reason);
}

/*
 * Authorize @m (from @container) and hold it: 0, its ID given and the
 * journal write that carries it in *@gen; or -errno and why in @reason,
 * the caller refusing it.  With @dry, decide only (nothing counted).
 */
static int admit(struct buffer *b, struct bus_msg *m, const char *container, struct queue **hint,
		 const void *auth, size_t authlen, bool dry, uint64_t *gen, char *reason,
		 size_t len)
{
	struct holder *from;
	struct queue *q;

	if (b->journal_error[0]) {
		snprintf(reason, len, "%s", b->journal_error);
		return -EIO;
	}
	/* Decided without a sentence (an allow needs none); a refusal is explained. */
	if (dry) {
		if (!policy_explain(&b->policy, m->source, m->dest, m->category, auth, authlen,
				    &b->secrets, reason, len))
			return -EACCES;
	} else if (!policy_decide(&b->policy, m->source, m->dest, m->category, auth, authlen,
				  &b->secrets, NULL, 0)) {
		policy_explain(&b->policy, m->source, m->dest, m->category, auth, authlen,
			       &b->secrets, reason, len);
		return -EACCES;
	}
	/* A sender's messages mostly go where its last one went. */
	q = hint && *hint && strcmp((*hint)->dest, m->dest) == 0 ? *hint
								 : queue_of(b, m->dest, !dry);
	if (hint && q)
		*hint = q;
	from = holder_of(b, container);
	if ((!q && !dry) || !from || held_room(&b->store.held) < 0) {
		snprintf(reason, len, "the buffer is out of memory");
		return -ENOMEM;
	}
	if (q && (q->count >= b->limits.queue_msgs || q->bytes + m->len > b->limits.queue_bytes)) {
		snprintf(reason, len,
			 "the queue of %s is full (%u messages, %llu bytes held; at most %u and "
			 "%llu); try again once it takes some",
			 m->dest, q->count, (unsigned long long)q->bytes, b->limits.queue_msgs,
			 (unsigned long long)b->limits.queue_bytes);
		return -ENOBUFS;
	}
	if (from->held >= b->limits.container_msgs) {
		snprintf(reason, len,
			 "container %s has %u messages held, its quota; wait until they are "
			 "taken",
			 container, b->limits.container_msgs);
		return -EDQUOT;
	}
	if (dry)
		return 0;
	m->id = ++b->next_id;
	m->accepted_at = b->clock_real;
	if (b->journaled) {
		int r = journal_message(b, m, gen, reason, len);

		if (r < 0) {
			/* Refused, it never had an ID: the next message takes this one. */
			m->id = 0;
			b->next_id--;
			return r;
		}
	}
	hold(b, q, from, m);
	b->accepted++;
	event(b, CTRIPC_BUS_EV_ACCEPTED, m, MSG_QUEUED, NULL);
	/* Its receiver is there: it takes it soon, from memory.  Else it waits on disk. */
	store_settle(&b->store, m, q->ep != NULL);
	return 0;
}

static void accept_message(struct buffer *b, struct conn *c, uint32_t seq, bool prompt,
			   struct bus_msg *m, const void *auth, size_t authlen)
{
	char reason[CTRIPC_ERRMSG_MAX];
	uint64_t gen = 0;
	int r = admit(b, m, c->via->container, &c->last_q, auth, authlen, false, &gen, reason,
		      sizeof(reason));

	if (r < 0) {
		refuse(b, c, seq, m, r, reason);
		return;
	}
	if (b->journaled)
		c->wait_gen = gen;
	ctripc_bus_begin(&c->out, CTRIPC_BUS_CMD_ACCEPTED, seq);
	ctripc_bus_put_u64(&c->out, CTRIPC_BUS_A_ID, m->id);
	if (c->window_asked && !c->windowed) {
		/* Answers that wait for a sync: the sends of one more sync cycle may go meanwhile. */
		ctripc_bus_put_u32(&c->out, CTRIPC_BUS_A_WINDOW,
				   b->journaled && b->journal.o.durability == JOURNAL_SYNC
					   ? CTRIPC_BUS_WINDOW_SYNC
					   : CTRIPC_BUS_WINDOW);
		c->windowed = true;
	}
	if (ctripc_bus_end(&c->out) < 0)
		conn_close(b, c); /* out of memory: it is held, but the sender cannot hear it */
	else if (prompt)
		mark_dirty(b, c);
	else
		answer_later(b, c);
	deliver_queue(b, c->last_q);
}

/* --- frames from a client -------------------------------------------------------- */

static void on_register(struct buffer *b, struct conn *c, uint32_t seq, struct nlattr **tb)
{
	const char *name = nla_get_string(tb[CTRIPC_BUS_A_ENDPOINT]);
	char addr[CTRIPC_BUS_ADDR_MAX + 1], reason[CTRIPC_ERRMSG_MAX];
	struct conn *other;
	struct queue *q;

	if (!ctripc_bus_name_valid(name) || strncmp(name, "anon-", 5) == 0) {
		snprintf(reason, sizeof(reason),
			 "invalid endpoint name '%s': 1 to 63 letters, digits, '_', '.' or '-', "
			 "starting with a letter or digit, not anon-* (names of unregistered "
			 "senders)",
			 name);
		conn_answer(b, c, seq, -EINVAL, reason);
		return;
	}
	if (c->endpoint[0]) {
		snprintf(reason, sizeof(reason), "this connection is endpoint %s already",
			 c->endpoint);
		conn_answer(b, c, seq, -EBUSY, reason);
		return;
	}
	snprintf(addr, sizeof(addr), "%s/%s", c->via->container, name);
	other = endpoint_conn(b, addr);
	if (other) {
		snprintf(reason, sizeof(reason),
			 "endpoint %s is taken by a live connection; choose another name", addr);
		conn_answer(b, c, seq, -EADDRINUSE, reason);
		return;
	}
	q = queue_of(b, addr, true);
	if (!q) {
		conn_answer(b, c, seq, -ENOMEM, "the buffer is out of memory");
		return;
	}
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", name);
	c->addr_len = (size_t)snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->inbox = q;
	q->ep = c;
	conn_answer(b, c, seq, 0, NULL);
	deliver_queue(b, q);
}

/* A SEND refused before it became a message: answered, counted and kept in the ring all the same. */
static void refuse_send(struct buffer *b, struct conn *c, uint32_t seq, const char *dest,
			const char *category, size_t len, int error, const char *reason)
{
	struct bus_msg h;

	memset(&h, 0, sizeof(h));
	h.source = c->addr; /* not interned: h is never freed */
	h.dest = dest;
	h.category = category;
	h.len = (uint32_t)len;
	h.sent_at = b->clock_real;
	b->rejected++;
	conn_answer(b, c, seq, error, reason);
	event(b, CTRIPC_BUS_EV_REFUSED, &h, MSG_REJECTED, reason);
	record(b, NULL, &h, MSG_REJECTED, reason);
}

/* @prompt: the SEND has NLM_F_ACK, its answer goes at once. */
static void on_send(struct buffer *b, struct conn *c, uint32_t seq, bool prompt, struct nlattr **tb)
{
	const char *dest = nla_get_string(tb[CTRIPC_BUS_A_DEST]);
	const char *category = nla_get_string(tb[CTRIPC_BUS_A_CATEGORY]);
	size_t chunk = (size_t)nla_len(tb[CTRIPC_BUS_A_PAYLOAD]);
	size_t total =
		tb[CTRIPC_BUS_A_PAYLOAD_LEN] ? nla_get_u32(tb[CTRIPC_BUS_A_PAYLOAD_LEN]) : chunk;
	uint32_t ttl = tb[CTRIPC_BUS_A_TTL_MS] ? nla_get_u32(tb[CTRIPC_BUS_A_TTL_MS])
					       : b->limits.default_ttl_ms;
	char reason[CTRIPC_ERRMSG_MAX];
	struct bus_msg *m;

	if (tb[CTRIPC_BUS_A_FLAGS] &&
	    nla_get_u32(tb[CTRIPC_BUS_A_FLAGS]) & CTRIPC_BUS_SEND_F_WINDOW)
		c->window_asked = true;
	if (c->in.msg) {
		conn_answer(b, c, seq, -EPROTO, "a SEND came before the previous payload ended");
		return;
	}
	if (!ctripc_bus_addr_valid(dest)) {
		snprintf(reason, sizeof(reason),
			 "invalid destination '%s': CONTAINER/ENDPOINT (host/NAME for the host)",
			 dest);
		refuse_send(b, c, seq, dest, category, total, -EINVAL, reason);
		return;
	}
	if (!ctripc_bus_category_valid(category)) {
		snprintf(reason, sizeof(reason),
			 "invalid category '%s': dotted names of letters, digits, '_' and '-'",
			 category);
		refuse_send(b, c, seq, dest, category, total, -EINVAL, reason);
		return;
	}
	if (total > b->limits.payload_max) {
		snprintf(reason, sizeof(reason), "the payload is %zu bytes, over the maximum of %u",
			 total, b->limits.payload_max);
		refuse_send(b, c, seq, dest, category, total, -EMSGSIZE, reason);
		return;
	}
	if (chunk > total || (!tb[CTRIPC_BUS_A_MORE] && chunk != total) ||
	    (tb[CTRIPC_BUS_A_MORE] && chunk == total)) {
		conn_answer(b, c, seq, -EPROTO, "the payload's chunks do not add up to its length");
		return;
	}
	m = msg_alloc(&b->store);
	if (m) {
		m->payload = total ? malloc(total) : NULL;
		m->source = name_get(&b->store.names, c->addr, c->addr_len);
		m->dest = name_get(&b->store.names, dest, strlen(dest));
		m->category = name_get(&b->store.names, category, strlen(category));
	}
	if (!m || (total && !m->payload) || !m->source || !m->dest || !m->category) {
		msg_free(&b->store, m);
		conn_answer(b, c, seq, -ENOMEM, "the buffer is out of memory");
		return;
	}
	/* No flag is a sender's to set (REPLAY is the administrator's): ignored, as a source. */
	m->flags = 0;
	m->sent_at = b->clock_real;
	m->expires_at = ttl ? b->clock_mono + (uint64_t)ttl * NS_PER_MS : 0;
	m->len = (uint32_t)total;
	if (chunk)
		memcpy(m->payload, nla_data(tb[CTRIPC_BUS_A_PAYLOAD]), chunk);
	if (chunk < total) {
		/* The authorization data waits with the message for its last chunk. */
		c->in.msg = m;
		c->in.seq = seq;
		c->in.prompt = prompt;
		c->in.have = chunk;
		c->in.authlen = 0;
		if (tb[CTRIPC_BUS_A_AUTH]) {
			c->in.authlen = (size_t)nla_len(tb[CTRIPC_BUS_A_AUTH]);
			memcpy(c->in.auth, nla_data(tb[CTRIPC_BUS_A_AUTH]), c->in.authlen);
		}
		return;
	}
	accept_message(b, c, seq, prompt, m,
		       tb[CTRIPC_BUS_A_AUTH] ? nla_data(tb[CTRIPC_BUS_A_AUTH]) : NULL,
		       tb[CTRIPC_BUS_A_AUTH] ? (size_t)nla_len(tb[CTRIPC_BUS_A_AUTH]) : 0);
}

static void on_data(struct buffer *b, struct conn *c, uint32_t seq, struct nlattr **tb)
{
	struct bus_msg *m = c->in.msg;
	size_t n = (size_t)nla_len(tb[CTRIPC_BUS_A_PAYLOAD]);
	bool more = tb[CTRIPC_BUS_A_MORE] != NULL;

	if (!m) {
		conn_answer(b, c, seq, -EPROTO, "a DATA frame without a SEND before it");
		return;
	}
	if (c->in.have + n > m->len || (!more && c->in.have + n != m->len)) {
		c->in.msg = NULL;
		c->in.skipping = more; /* one answer per SEND: the rest of its chunks are dropped */
		conn_answer(b, c, c->in.seq, -EPROTO,
			    "the payload's chunks do not add up to its length");
		msg_free(&b->store, m);
		return;
	}
	memcpy(m->payload + c->in.have, nla_data(tb[CTRIPC_BUS_A_PAYLOAD]), n);
	c->in.have += n;
	if (more)
		return;
	c->in.msg = NULL;
	accept_message(b, c, c->in.seq, c->in.prompt, m, c->in.authlen ? c->in.auth : NULL,
		       c->in.authlen);
}

static void on_ack(struct buffer *b, struct conn *c, uint32_t seq, struct nlattr **tb)
{
	uint64_t id = nla_get_u64(tb[CTRIPC_BUS_A_ID]);
	struct queue *q = c->inbox;
	/* ACKs come in order, as deliveries went: the first delivered is the usual one. */
	for (struct bus_msg **pp = q ? &q->head : NULL, *m; pp && (m = *pp); pp = &m->next) {
		if (m->id != id || m->state != MSG_DELIVERED)
			continue;
		queue_unlink(q, pp);
		b->acked++;
		journal_note(b, JR_ACK, m);
		event(b, CTRIPC_BUS_EV_ACKED, m, MSG_ACKED, NULL);
		finish(b, q, m, MSG_ACKED, NULL);
		deliver_queue(b, q); /* room in its window again */
		return;
	}
	/* An ID it was not given, or one ACKed before: harmless, and said. */
	conn_answer(b, c, seq, -ENOENT, "no message with that ID waits for this endpoint's ACK");
}

static void conn_close(struct buffer *b, struct conn *c)
{
	struct queue *q;

	if (c->fd < 0)
		return; /* closed already, during this batch */
	for (struct conn **pp = &b->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	/*
	 * Delivered but not ACKed: they go again when the endpoint comes back.
	 * Till then they wait on disk, as those that come meanwhile do.
	 */
	q = c->inbox;
	for (struct bus_msg *m = q ? q->head : NULL; m; m = m->next) {
		m->state = MSG_QUEUED;
		store_evict(&b->store, m);
	}
	if (q) {
		q->cursor = q->head;
		if (q->ep == c)
			q->ep = NULL;
	}
	msg_free(&b->store, c->in.msg);
	c->in.msg = NULL;
	/*
	 * Out of epoll before the close: a copy of the fd elsewhere (a fork's
	 * child that has not exec'd yet) would keep its events coming after
	 * the connection is freed.
	 */
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	/* Other events of this batch may still point to it: freed after the batch. */
	c->next = b->dead;
	b->dead = c;
}

/* One frame from a client. */
static void on_frame(struct buffer *b, struct conn *c, const struct nlmsghdr *nlh, uint8_t cmd,
		     struct nlattr **tb)
{
	switch (cmd) {
	case CTRIPC_BUS_CMD_REGISTER:
		on_register(b, c, nlh->nlmsg_seq, tb);
		break;
	case CTRIPC_BUS_CMD_SEND:
		c->in.skipping = false;
		on_send(b, c, nlh->nlmsg_seq, nlh->nlmsg_flags & NLM_F_ACK, tb);
		/* Refused at its first chunk: the sender heard why once, the rest is dropped. */
		if (tb[CTRIPC_BUS_A_MORE] && !c->in.msg)
			c->in.skipping = true;
		break;
	case CTRIPC_BUS_CMD_DATA:
		if (!c->in.skipping)
			on_data(b, c, nlh->nlmsg_seq, tb);
		else if (!tb[CTRIPC_BUS_A_MORE])
			c->in.skipping = false;
		break;
	case CTRIPC_BUS_CMD_ACK:
		on_ack(b, c, nlh->nlmsg_seq, tb);
		break;
	case CTRIPC_BUS_CMD_SYNC:
		/* Answered at once, and with it every answer held back. */
		if (nlh->nlmsg_flags & NLM_F_ACK)
			conn_answer(b, c, nlh->nlmsg_seq, 0, NULL);
		mark_dirty(b, c);
		break;
	default:
		conn_answer(b, c, nlh->nlmsg_seq, -EOPNOTSUPP, "a client cannot send that frame");
		break;
	}
}

static void on_conn(struct buffer *b, struct conn *c, uint32_t events)
{
	enum { BATCH = 8 };
	static unsigned char bufs[BATCH][FRAME_BUFS];
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	char err[CTRIPC_ERRMSG_MAX];
	int got;

	if (events & EPOLLOUT)
		conn_flush(b, c); /* which goes on with deliveries held back meanwhile */
	if (c->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/*
	 * Up to BATCH datagrams in one system call, and none more to learn that
	 * nothing else waits; what is left wakes epoll again, so one busy client
	 * cannot starve the others.
	 */
	for (int k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){ .iov_base = bufs[k], .iov_len = FRAME_BUFS };
		mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
	}
	do
		got = recvmmsg(c->fd, mm, BATCH, MSG_DONTWAIT, NULL);
	while (got < 0 && errno == EINTR);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	for (int i = 0; i < got; i++) {
		size_t off = 0, at = 0, n = mm[i].msg_len;
		struct nlmsghdr *nlh;
		uint8_t cmd;
		int r = 0;

		if (n == 0) {
			conn_close(b, c); /* the end of the stream */
			return;
		}
		if (mm[i].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			/* Too large, or carrying fds (which the kernel dropped): not the protocol. */
			snprintf(err, sizeof(err),
				 "a frame larger than the buffer takes, or with fds");
			r = -EMSGSIZE;
		}
		while (r == 0 && (r = ctripc_bus_next(bufs[i], n, &off, true, &nlh, tb, &cmd, err,
						      sizeof(err))) > 0) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				on_frame(b, c, nlh, cmd, tb);
			if (c->fd < 0)
				return;
			at = off;
			r = 0;
		}
		if (r < 0) {
			uint32_t seq = n - at >= NLMSG_HDRLEN
					       ? ((struct nlmsghdr *)(bufs[i] + at))->nlmsg_seq
					       : 0;

			/* Malformed: say why, and end the connection (framing is lost). */
			conn_answer(b, c, seq, r, err);
			conn_flush(b, c);
			conn_close(b, c);
			return;
		}
	}
	if (got <= 0)
		conn_close(b, c); /* reset */
}

static void on_listener(struct buffer *b, struct listener *l)
{
	for (int i = 0; i < 16; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    watch(b, fd, c, EPOLLIN) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->kind = EV_CONN;
		c->serial = ++b->conn_serial;
		/* Unregistered: a name for this connection (pids do not cross namespaces). */
		c->addr_len = (size_t)snprintf(c->addr, sizeof(c->addr), "%s/anon-%llu",
					       l->container, (unsigned long long)c->serial);
		c->fd = fd;
		c->via = l;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->next = b->conns;
		b->conns = c;
	}
}

/* --- the control channel ---------------------------------------------------------- */

static void remove_listener(struct buffer *b, const char *container)
{
	for (struct listener **pp = &b->listeners; *pp;) {
		struct listener *l = *pp;

		if (strcmp(l->container, container) != 0) {
			pp = &l->next;
			continue;
		}
		for (struct conn *c = b->conns, *next; c; c = next) {
			next = c->next;
			if (c->via == l)
				conn_close(b, c);
		}
		*pp = l->next;
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, l->fd, NULL); /* as conn_close() */
		close(l->fd);
		l->fd = -1;
		l->next = b->dead_listeners;
		b->dead_listeners = l;
	}
}

/* --- the daemon's queries ------------------------------------------------------ */

static const char *str_attr(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_string(tb[attr]) : NULL;
}

static uint64_t u64_attr(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u64(tb[attr]) : 0;
}

static void filter_from(struct nlattr **tb, struct msg_filter *f)
{
	*f = (struct msg_filter){
		.from = str_attr(tb, CTRIPC_BUS_A_FILTER_FROM),
		.to = str_attr(tb, CTRIPC_BUS_A_FILTER_TO),
		.category = str_attr(tb, CTRIPC_BUS_A_FILTER_CATEGORY),
		.state = str_attr(tb, CTRIPC_BUS_A_STATE),
		.since = u64_attr(tb, CTRIPC_BUS_A_SINCE),
		.until = u64_attr(tb, CTRIPC_BUS_A_UNTIL),
		.id_min = u64_attr(tb, CTRIPC_BUS_A_ID_MIN),
		.id_max = u64_attr(tb, CTRIPC_BUS_A_ID_MAX),
	};
	if (tb[CTRIPC_BUS_A_IDS]) {
		f->ids = nla_data(tb[CTRIPC_BUS_A_IDS]);
		f->n_ids = (size_t)nla_len(tb[CTRIPC_BUS_A_IDS]) / sizeof(uint64_t);
	}
}

static bool matches(const struct msg_filter *f, uint64_t id, const char *source, const char *dest,
		    const char *category, enum bus_msg_state state, uint64_t sent_at)
{
	if (id < f->id_min || (f->id_max && id > f->id_max) || sent_at < f->since ||
	    (f->until && sent_at >= f->until))
		return false;
	if (f->state && strcmp(state_names[state], f->state) != 0)
		return false;
	if (f->category && !policy_pattern_match(f->category, category, '.'))
		return false;
	return policy_addr_filter_match(f->from, source) && policy_addr_filter_match(f->to, dest);
}

static bool held_matches(const struct msg_filter *f, const struct bus_msg *m)
{
	return matches(f, m->id, m->source, m->dest, m->category, m->state, m->sent_at);
}

static bool done_matches(const struct msg_filter *f, const struct bus_done *d)
{
	return matches(f, d->id, d->source, d->dest, d->category, d->state, d->sent_at);
}

/* The ring's entries, oldest first: from done_first() up to done_count. */
static uint64_t done_first(const struct buffer *b)
{
	return b->done_count > BUS_DONE_KEEP ? b->done_count - BUS_DONE_KEEP : 0;
}

/* The newest entry of the ring with @id. */
static const struct bus_done *done_find(const struct buffer *b, uint64_t id)
{
	for (uint64_t i = b->done ? b->done_count : 0; id && i > done_first(b); i--)
		if (b->done[(i - 1) % BUS_DONE_KEEP].id == id)
			return &b->done[(i - 1) % BUS_DONE_KEEP];
	return NULL;
}

static const char *accept_parse(const struct journal_hdr *h, const unsigned char *body,
				size_t avail, struct journal_accept *a);

/* The kept segment whose first record is @seq, or NULL. */
static struct journal_seg *seg_of(struct buffer *b, uint64_t seq)
{
	struct journal_seg *s = b->journaled ? b->journal.segs : NULL;

	while (s && s->first_seq != seq)
		s = s->next;
	return s;
}

/*
 * History entry @e as the ring keeps its entries, its headers read from
 * its JR_ACCEPT record (not the payload): false if they cannot be.
 */
static bool history_headers(struct buffer *b, const struct history_entry *e, struct bus_done *d)
{
	static const char *const why[] = {
		[HISTORY_WHY_NONE] = "",
		[HISTORY_WHY_TTL] = why_ttl,
		[HISTORY_WHY_PURGED] = why_purged,
		[HISTORY_WHY_UNREADABLE] = "its payload could not be read back from the journal",
	};
	unsigned char buf[JOURNAL_HDR_SIZE + sizeof(struct journal_accept) +
			  2 * CTRIPC_BUS_ADDR_MAX + CTRIPC_BUS_CATEGORY_MAX];
	struct journal_seg *seg = seg_of(b, e->seg_seq);
	struct journal_accept a;
	struct journal_hdr h;
	size_t len;
	const char *p;

	if (!seg || e->joff >= seg->size)
		return false;
	len = seg->size - e->joff < sizeof(buf) ? (size_t)(seg->size - e->joff) : sizeof(buf);
	if (len < JOURNAL_HDR_SIZE || journal_read(&b->journal, seg, e->joff, buf, len) < 0)
		return false;
	memcpy(&h, buf, sizeof(h));
	len -= JOURNAL_HDR_SIZE;
	if (h.magic != JOURNAL_MAGIC || h.type != JR_ACCEPT ||
	    !(p = accept_parse(&h, buf + JOURNAL_HDR_SIZE, h.len < len ? h.len : len, &a)) ||
	    a.id != e->id)
		return false;
	*d = (struct bus_done){
		.id = e->id,
		.state = e->state,
		.attempts = e->attempts,
		.sent_at = a.sent_at,
		.accepted_at = a.accepted_at,
		.len = a.payload_len,
		.replay_of = a.replay_of,
		.seg_seq = e->seg_seq,
		.joff = e->joff,
	};
	snprintf(d->source, sizeof(d->source), "%.*s", (int)a.source_len, p);
	p += a.source_len;
	snprintf(d->dest, sizeof(d->dest), "%.*s", (int)a.dest_len, p);
	p += a.dest_len;
	snprintf(d->category, sizeof(d->category), "%.*s", (int)a.category_len, p);
	snprintf(d->reason, sizeof(d->reason), "%s",
		 e->why < sizeof(why) / sizeof(why[0]) ? why[e->why] : "");
	return true;
}

/*
 * A finished message: the ring's entry, or the history's read into @buf;
 * NULL when neither has @id.
 */
static const struct bus_done *finished_find(struct buffer *b, uint64_t id, struct bus_done *buf)
{
	const struct bus_done *d = done_find(b, id);
	const struct history_entry *e = d ? NULL : history_find(&b->history, id);

	return d ? d : e && history_headers(b, e, buf) ? buf : NULL;
}

static void reply(struct buffer *b, struct nl_msg *f)
{
	if (f) {
		ctripc_bus_send(b->control, f, -1);
		nlmsg_free(f);
	}
}

/*
 * A message a query selected: held (@m) or finished (@d, the ring's); both
 * NULL for an ID of IDS that is neither.  The others' answers are ENTRY frames.
 */
typedef void match_fn(struct buffer *b, uint64_t id, struct bus_msg *m, const struct bus_done *d,
		      void *arg);

#define RING_CURSOR  (1ull << 63) /* a cursor in the ring */
#define HIST_CURSOR  (1ull << 62) /* a cursor in the history */
#define HISTORY_LOOK 4096 /* history entries a page reads at most: a read of the disk each */

/* What of @f an entry of the history says without its record. */
static bool history_may_match(const struct msg_filter *f, const struct history_entry *e)
{
	return e->id >= f->id_min && (!f->id_max || e->id <= f->id_max) &&
	       (!f->state || strcmp(state_names[e->state], f->state) == 0);
}

/*
 * Call @fn for the messages @f selects: those of its IDs, or the held ones
 * in ID order then (with @finished) the finished ones, the history's then
 * the ring's, in the order they finished, from @cursor (0: the start), at
 * most @limit.  Returns where the next page starts, or 0 when none is
 * left; a page stops early after reading HISTORY_LOOK records.
 * @fn may hold new messages (a replay), and finish some: the index keeps
 * its holes, and the ring's new entries are not visited in this call.
 */
static uint64_t scan(struct buffer *b, const struct msg_filter *f, uint64_t cursor, uint32_t limit,
		     bool finished, match_fn *fn, void *arg)
{
	struct bus_done v;

	if (f->n_ids) {
		/* The history's entries of them by number: a replay's refusals may grow it. */
		uint64_t *hist = finished ? malloc(f->n_ids * sizeof(*hist)) : NULL;

		if (hist && history_find_many(&b->history, f->ids, f->n_ids, hist) < 0) {
			free(hist);
			hist = NULL;
		}
		for (size_t i = 0; i < f->n_ids; i++) {
			uint64_t id;
			struct bus_msg *m;
			const struct bus_done *d = NULL;
			const struct history_entry *e;

			memcpy(&id, (const unsigned char *)f->ids + i * sizeof(id), sizeof(id));
			m = held_find(&b->store.held, id);
			if (!m && finished)
				d = done_find(b, id);
			if (!m && !d && hist && (e = history_at(&b->history, hist[i])) &&
			    e->id == id && history_headers(b, e, &v))
				d = &v;
			if ((m && held_matches(f, m)) || (d && done_matches(f, d)) || (!m && !d))
				fn(b, id, m, d, arg);
		}
		free(hist);
		return 0;
	}
	if (!(cursor & (RING_CURSOR | HIST_CURSOR))) {
		for (size_t i = held_lower(&b->store.held, cursor + 1); i < b->store.held.n; i++) {
			struct bus_msg *m = b->store.held.v[i];

			if (!m || !held_matches(f, m))
				continue;
			if (!limit)
				return m->id - 1;
			limit--;
			fn(b, m->id, m, NULL, arg);
		}
		if (!finished)
			return 0;
		cursor = HIST_CURSOR;
	}
	if (cursor & HIST_CURSOR) {
		uint32_t looked = 0;

		/* Its end is read each time: entries the ring lets go meanwhile are seen here. */
		uint64_t i = cursor & ~HIST_CURSOR;

		for (i = i < b->history.base ? b->history.base : i; i < history_end(&b->history);
		     i++) {
			const struct history_entry *e = history_at(&b->history, i);

			if (!e || !history_may_match(f, e))
				continue;
			if (!limit || looked++ == HISTORY_LOOK)
				return HIST_CURSOR | i;
			if (!history_headers(b, e, &v) || !done_matches(f, &v))
				continue;
			limit--;
			fn(b, v.id, NULL, &v, arg);
		}
		cursor = RING_CURSOR | done_first(b);
	}
	for (uint64_t i = cursor & ~RING_CURSOR, end = b->done ? b->done_count : 0; i < end; i++) {
		const struct bus_done *d;

		if (i < done_first(b))
			i = done_first(b);
		d = &b->done[i % BUS_DONE_KEEP];
		if (!done_matches(f, d))
			continue;
		if (!limit)
			return RING_CURSOR | i;
		limit--;
		fn(b, d->id, NULL, d, arg);
	}
	return 0;
}

/* The END of a query's page: where the next starts, if one does. */
static void reply_end(struct buffer *b, uint32_t seq, uint64_t cursor, int extra,
		      uint64_t extra_value)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_END, seq);

	if (f && ((cursor && nla_put_u64(f, CTRIPC_BUS_A_CURSOR, cursor) < 0) ||
		  (extra && nla_put_u64(f, extra, extra_value) < 0))) {
		nlmsg_free(f);
		f = NULL;
	}
	reply(b, f);
}

static struct bus_msg *journal_recall(struct buffer *b, const struct bus_done *d);
static struct bus_msg *accepted_from(struct buffer *b, const struct journal_hdr *h,
				     const unsigned char *body, bool payload);

struct listing {
	uint32_t seq;
	bool payload; /* the first CTRIPC_BUS_EVENT_SNAP bytes too */
};

static void list_match(struct buffer *b, uint64_t id, struct bus_msg *m, const struct bus_done *d,
		       void *arg)
{
	const struct listing *l = arg;
	struct bus_msg *recalled = NULL;
	const unsigned char *p = NULL;
	struct bus_done v;
	struct nl_msg *f;
	int err;

	if (m) {
		describe(m, m->state, NULL, &v);
		d = &v;
	}
	if (!d)
		return;
	f = headers_frame(CTRIPC_BUS_CMD_ENTRY, l->seq, d);
	if (l->payload && !m && d->id)
		m = recalled = journal_recall(b, d);
	if (l->payload && m)
		p = store_payload(&b->store, &b->journal, m, &err);
	if (f && p &&
	    nla_put(f, CTRIPC_BUS_A_PAYLOAD,
		    (int)(m->len < CTRIPC_BUS_EVENT_SNAP ? m->len : CTRIPC_BUS_EVENT_SNAP),
		    p) < 0) {
		nlmsg_free(f);
		f = NULL;
	}
	msg_free(&b->store, recalled);
	reply(b, f);
}

/* A page of messages: LIMIT (or all) from CURSOR. */
static void query_list(struct buffer *b, uint32_t seq, struct nlattr **tb)
{
	uint32_t limit = tb[CTRIPC_BUS_A_LIMIT] ? nla_get_u32(tb[CTRIPC_BUS_A_LIMIT]) : UINT32_MAX;
	struct listing l = { seq, tb[CTRIPC_BUS_A_WANT_PAYLOAD] != NULL };
	struct msg_filter f;

	filter_from(tb, &f);
	reply_end(b, seq,
		  scan(b, &f, u64_attr(tb, CTRIPC_BUS_A_CURSOR), limit, true, list_match, &l), 0,
		  0);
}

/*
 * A finished message read back from its JR_ACCEPT record while the journal
 * keeps it, with its payload (msg_free() it), or NULL.
 */
static struct bus_msg *journal_recall(struct buffer *b, const struct bus_done *d)
{
	struct journal_seg *s = d->joff ? seg_of(b, d->seg_seq) : NULL;
	struct bus_msg *m = NULL;
	struct journal_hdr h;
	unsigned char *body;

	if (!s || journal_read(&b->journal, s, d->joff, &h, sizeof(h)) < 0 || h.type != JR_ACCEPT)
		return NULL;
	body = malloc(h.len);
	if (body && journal_read(&b->journal, s, d->joff + JOURNAL_HDR_SIZE, body, h.len) == 0)
		m = accepted_from(b, &h, body, true);
	free(body);
	if (m && m->id != d->id) {
		msg_free(&b->store, m);
		m = NULL;
	}
	return m;
}

/* A payload in ENTRY frames of up to 16 KiB. */
static void reply_payload(struct buffer *b, uint32_t seq, const unsigned char *p, size_t len)
{
	for (size_t off = 0; off < len; off += 16384) {
		size_t n = len - off > 16384 ? 16384 : len - off;
		struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_ENTRY, seq);

		if (f && nla_put(f, CTRIPC_BUS_A_PAYLOAD, (int)n, p + off) < 0) {
			nlmsg_free(f);
			f = NULL;
		}
		reply(b, f);
	}
}

/*
 * One message: its headers, then its payload (held, or still in the
 * journal) in ENTRY frames.
 */
static void query_show(struct buffer *b, uint32_t seq, uint64_t id)
{
	struct bus_msg *m = held_find(&b->store.held, id), *recalled = NULL;
	struct bus_done v;
	const struct bus_done *d = m ? NULL : finished_find(b, id, &v);
	const unsigned char *p = NULL;
	int err;

	if (m) {
		describe(m, m->state, NULL, &v);
		d = &v;
	} else if (d) {
		m = recalled = journal_recall(b, d);
	}
	if (!d)
		return;
	reply(b, headers_frame(CTRIPC_BUS_CMD_ENTRY, seq, d));
	if (m)
		p = store_payload(&b->store, &b->journal, m, &err);
	if (p)
		reply_payload(b, seq, p, m->len);
	msg_free(&b->store, recalled);
}

/* --- replay and purge -------------------------------------------------------------- */

/*
 * What the administrator changed is written (and with durability sync,
 * synced) before the answer says so: a replay's new ID is as durable as
 * a sender's.
 */
static bool journal_settle(struct buffer *b)
{
	uint64_t gen = journal_generation(&b->journal);
	bool done = false;

	if (!b->journaled)
		return false;
	b->accepts_pending++; /* a sync, for records other than ACCEPTs too */
	if (!journal_point(b, true))
		return false;
	for (int waits = 0; waits < 30; waits++) {
		int64_t synced = journal_synced(&b->journal);
		struct pollfd p = { .fd = journal_syncer_fd(&b->journal), .events = POLLIN };
		uint64_t n;

		if (synced < 0) {
			journal_failed(b, (int)synced);
			return false;
		}
		done = (uint64_t)synced >= gen || p.fd < 0; /* no syncer: written is all there is */
		if (done)
			break;
		if (poll(&p, 1, 1000) > 0 && read(p.fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			break;
	}
	wake_synced(b);
	return done;
}

struct replay {
	uint32_t seq;
	const char *dest; /* NULL: the original's */
	const void *auth;
	size_t authlen;
	bool dry;
};

/* One replay: a new message, from the original's sender, that records what it replays. */
static void replay_match(struct buffer *b, uint64_t id, struct bus_msg *held,
			 const struct bus_done *d, void *arg)
{
	struct replay *r = arg;
	char reason[CTRIPC_ERRMSG_MAX] = "", container[CTRIPC_BUS_NAME_MAX + 1];
	struct bus_msg *recalled = !held && d && d->id ? journal_recall(b, d) : NULL;
	const struct bus_msg *o = held ? held : recalled; /* the original */
	const char *dest = r->dest ? r->dest : o ? o->dest : d ? d->dest : "";
	const unsigned char *p = NULL;
	struct bus_msg *m = NULL;
	struct nl_msg *f;
	uint64_t gen;
	int err = 0;

	if (o && o->len && !(p = store_payload(&b->store, &b->journal, o, &err)))
		snprintf(reason, sizeof(reason),
			 "the payload of message %llu cannot be read back from the journal: %s",
			 (unsigned long long)id, strerror(-err));
	else if (!o && d && d->id) {
		err = -ENODATA;
		snprintf(reason, sizeof(reason),
			 "the payload of message %llu is no longer kept: %s",
			 (unsigned long long)id,
			 b->journaled ? "the journal has let its segment go"
				      : "with durability memory, only held ones are kept");
	} else if (!o) {
		err = -ENOENT;
		snprintf(reason, sizeof(reason),
			 d ? "message was refused: it never was held, there is nothing to replay"
			   : "no message %llu: neither held nor kept by the journal",
			 (unsigned long long)id);
	} else if (!(m = msg_alloc(&b->store)) || (o->len && !(m->payload = malloc(o->len))) ||
		   !(m->dest = name_get(&b->store.names, dest, strlen(dest)))) {
		msg_free(&b->store, m);
		m = NULL;
		err = -ENOMEM;
		snprintf(reason, sizeof(reason), "the buffer is out of memory");
	} else {
		if (o->len)
			memcpy(m->payload, p, o->len);
		m->len = o->len;
		m->source = name_ref(o->source);
		m->category = name_ref(o->category);
		m->flags = CTRIPC_BUS_F_REPLAY;
		m->replay_of = id;
		m->sent_at = b->clock_real;
		m->expires_at =
			b->limits.default_ttl_ms
				? b->clock_mono + (uint64_t)b->limits.default_ttl_ms * NS_PER_MS
				: 0;
		snprintf(container, sizeof(container), "%.*s", (int)strcspn(o->source, "/"),
			 o->source);
		err = admit(b, m, container, NULL, r->auth, r->authlen, r->dry, &gen, reason,
			    sizeof(reason));
		if (err < 0 && !r->dry) {
			b->rejected++;
			event(b, CTRIPC_BUS_EV_REFUSED, m, MSG_REJECTED, reason);
			finish(b, NULL, m, MSG_REJECTED, reason);
			m = NULL;
		}
	}
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_ENTRY, r->seq);
	if (f && (nla_put_u64(f, CTRIPC_BUS_A_REPLAYS, id) < 0 ||
		  nla_put_string(f, CTRIPC_BUS_A_DEST, dest) < 0 ||
		  (err == 0 && !r->dry && nla_put_u64(f, CTRIPC_BUS_A_ID, m->id) < 0) ||
		  (err < 0 && nla_put_string(f, CTRIPC_BUS_A_TEXT, reason) < 0))) {
		nlmsg_free(f);
		f = NULL;
	}
	reply(b, f);
	msg_free(&b->store, recalled); /* after the answer: dest may be its */
	if (err == 0 && !r->dry)
		deliver_queue(b, queue_of(b, m->dest, false));
	else
		msg_free(&b->store, m);
}

/*
 * REPLAY, a page at a time: the first page fixes the last ID it takes
 * (ID_MAX in its END), so that replays are not replayed in turn.
 */
static void query_replay(struct buffer *b, uint32_t seq, struct nlattr **tb)
{
	uint32_t limit = tb[CTRIPC_BUS_A_LIMIT] ? nla_get_u32(tb[CTRIPC_BUS_A_LIMIT]) : UINT32_MAX;
	struct replay r = {
		.seq = seq,
		.dest = str_attr(tb, CTRIPC_BUS_A_DEST),
		.auth = tb[CTRIPC_BUS_A_AUTH] ? nla_data(tb[CTRIPC_BUS_A_AUTH]) : NULL,
		.authlen = tb[CTRIPC_BUS_A_AUTH] ? (size_t)nla_len(tb[CTRIPC_BUS_A_AUTH]) : 0,
		.dry = tb[CTRIPC_BUS_A_DRY_RUN] != NULL,
	};
	struct msg_filter f;
	uint64_t cursor;

	filter_from(tb, &f);
	if (!f.id_max || f.id_max > b->next_id)
		f.id_max = b->next_id;
	if (f.id_min < 1)
		f.id_min = 1; /* refused ones have no ID, and nothing to replay */
	cursor = scan(b, &f, u64_attr(tb, CTRIPC_BUS_A_CURSOR), limit, true, replay_match, &r);
	journal_settle(b);
	reply_end(b, seq, cursor, CTRIPC_BUS_A_ID_MAX, f.id_max);
}

static void purge_match(struct buffer *b, uint64_t id, struct bus_msg *m, const struct bus_done *d,
			void *arg)
{
	struct queue *q = m ? queue_of(b, m->dest, false) : NULL;

	for (struct bus_msg **pp = q ? &q->head : NULL; pp && *pp; pp = &(*pp)->next) {
		if (*pp != m)
			continue;
		queue_unlink(q, pp);
		if (m->seg)
			journal_append_id(&b->journal, JR_PURGE, m->id);
		event(b, CTRIPC_BUS_EV_PURGED, m, MSG_PURGED, why_purged);
		finish(b, q, m, MSG_PURGED, why_purged);
		(*(uint64_t *)arg)++;
		return;
	}
}

/* PURGE: the held messages selected leave, each with a JR_PURGE record. */
static void query_purge(struct buffer *b, uint32_t seq, struct nlattr **tb)
{
	struct msg_filter f;
	uint64_t n = 0;

	filter_from(tb, &f);
	scan(b, &f, 0, UINT32_MAX, false, purge_match, &n);
	journal_settle(b);
	reply_end(b, seq, 0, CTRIPC_BUS_A_COUNT_QUEUED, n);
}

static void put_endpoint(struct buffer *b, uint32_t seq, const char *addr)
{
	struct ep_stat *e = NULL;
	struct queue *q = queue_of(b, addr, false);
	struct nl_msg *f;

	for (struct ep_stat *s = b->ep_stats; s && !e; s = s->next)
		if (strcmp(s->addr, addr) == 0)
			e = s;
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_ENTRY, seq);
	if (f && (nla_put_string(f, CTRIPC_BUS_A_SOURCE, addr) < 0 ||
		  (endpoint_conn(b, addr) && nla_put_flag(f, CTRIPC_BUS_A_CONNECTED) < 0) ||
		  nla_put_u64(f, CTRIPC_BUS_A_COUNT_QUEUED, q ? q->count : 0) < 0 ||
		  nla_put_u64(f, CTRIPC_BUS_A_COUNT_DELIVERED, e ? e->delivered : 0) < 0 ||
		  nla_put_u64(f, CTRIPC_BUS_A_COUNT_REFUSED, e ? e->refused : 0) < 0)) {
		nlmsg_free(f);
		f = NULL;
	}
	reply(b, f);
}

/* Every address known: registered, held for, or counted. */
static void query_endpoints(struct buffer *b, uint32_t seq)
{
	char addr[CTRIPC_BUS_ADDR_MAX + 1];

	for (struct conn *c = b->conns; c; c = c->next) {
		if (!c->endpoint[0])
			continue;
		snprintf(addr, sizeof(addr), "%s/%s", c->via->container, c->endpoint);
		put_endpoint(b, seq, addr);
	}
	for (struct queue *q = b->queues; q; q = q->next)
		if (!endpoint_conn(b, q->dest))
			put_endpoint(b, seq, q->dest);
	for (struct ep_stat *e = b->ep_stats; e; e = e->next)
		if (!endpoint_conn(b, e->addr) && !queue_of(b, e->addr, false))
			put_endpoint(b, seq, e->addr);
}

static void query_rule_hits(struct buffer *b, uint32_t seq)
{
	char text[POLICY_LINE_MAX + 1];

	for (size_t i = 0; i <= b->policy.n; i++) {
		struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_ENTRY, seq);

		if (i < b->policy.n)
			policy_rule_format(&b->policy.rules[i], text, sizeof(text));
		else
			snprintf(text, sizeof(text), "default");
		if (f && (nla_put_u64(f, CTRIPC_BUS_A_ID, i < b->policy.n ? i + 1 : 0) < 0 ||
			  nla_put_string(f, CTRIPC_BUS_A_TEXT, text) < 0 ||
			  nla_put_u64(f, CTRIPC_BUS_A_COUNT_DELIVERED,
				      i < b->policy.n ? b->policy.rules[i].hits
						      : b->policy.default_denied) < 0)) {
			nlmsg_free(f);
			f = NULL;
		}
		reply(b, f);
	}
}

/* A line for the daemon's log (the buffer has no file, and no terminal once detached). */
static void vblog(struct buffer *b, int level, const char *fmt, va_list ap)
{
	char text[CTRIPC_ERRMSG_MAX];
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LOG, 0);

	vsnprintf(text, sizeof(text), fmt, ap);
	if (f && nla_put_string(f, CTRIPC_BUS_A_TEXT, text) == 0 &&
	    nla_put_u32(f, CTRIPC_BUS_A_LEVEL, (uint32_t)level) == 0)
		ctripc_bus_send(b->control, f, -1);
	else
		fprintf(stderr, "ctr-ipc-buffer: %s\n", text);
	nlmsg_free(f);
}

/* A warning in ctr-ipcd's log. */
static void __attribute__((format(printf, 2, 3))) blog(struct buffer *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vblog(b, LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Information in ctr-ipcd's log. */
static void __attribute__((format(printf, 2, 3))) binfo(struct buffer *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vblog(b, LOG_INFO, fmt, ap);
	va_end(ap);
}

/*
 * The whole rule set, one rule per line, replaces the one in force; it may
 * come in several POLICY frames (MORE on all but the last), applied with
 * the last.  The daemon checked every rule; one that does not parse here is
 * skipped and said, never half applied.
 */
static void set_policy(struct buffer *b, const struct nlattr *rules, bool more)
{
	char line[POLICY_LINE_MAX + 1], err[256];
	size_t add = rules ? (size_t)nla_len(rules) : 0;
	const char *p, *end;
	struct policy next;
	char *text;

	text = realloc(b->policy_text, b->policy_len + add + 1);
	if (!text) {
		blog(b, "out of memory: the rules in force stay");
		free(b->policy_text);
		b->policy_text = NULL;
		b->policy_len = 0;
		return;
	}
	b->policy_text = text;
	if (add)
		memcpy(text + b->policy_len, nla_data(rules), add);
	b->policy_len += add;
	if (more)
		return;
	policy_init(&next);
	next.default_denied = b->policy.default_denied;
	for (p = text, end = text + b->policy_len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		struct policy_rule r;

		if (n < sizeof(line) && n) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (policy_rule_parse(line, &r, err, sizeof(err)) < 0 ||
			    policy_add(&next, &r, 0, NULL, err, sizeof(err)) < 0)
				blog(b, "rule '%s' skipped: %s", line, err);
		}
		p += n + 1;
	}
	free(b->policy_text);
	b->policy_text = NULL;
	b->policy_len = 0;
	policy_free(&b->policy);
	b->policy = next;
}

/* --- recovery -------------------------------------------------------------------- */

/* Messages a recovery found, in ID order, while the journal is read. */
struct recovered_set {
	struct recovered {
		uint64_t id;
		struct bus_msg *m; /* NULL once it left */
	} * v;
	size_t n, cap;
};

struct recovery {
	struct buffer *b;
	/*
	 * Records come in ID order, but for compaction's copies, which come
	 * after newer IDs: those go to @late (few, and in ID order among
	 * themselves mostly), merged with @v at the end.
	 */
	struct recovered_set v, late;
	uint64_t ignored; /* records that check but make no sense */
};

/* The first slot of @s whose ID is @id or more. */
static size_t recovered_at(const struct recovered_set *s, uint64_t id)
{
	size_t lo = 0, hi = s->n;

	if (!s->n || s->v[s->n - 1].id < id) /* the last slot first: the common case */
		return s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The slot of @id, held or not, or NULL. */
static struct recovered *recovered_slot(struct recovery *r, uint64_t id)
{
	struct recovered_set *sets[] = { &r->v, &r->late };

	for (size_t i = 0; i < 2; i++) {
		size_t at = recovered_at(sets[i], id);

		if (at < sets[i]->n && sets[i]->v[at].id == id)
			return &sets[i]->v[at];
	}
	return NULL;
}

/* The message with @id, if it is held still. */
static struct recovered *recovered(struct recovery *r, uint64_t id)
{
	struct recovered *slot = recovered_slot(r, id);

	return slot && slot->m ? slot : NULL;
}

/* @m (@id) in @s, in ID order; -ENOMEM. */
static int recovered_add(struct recovered_set *s, uint64_t id, struct bus_msg *m)
{
	size_t at = recovered_at(s, id);

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct recovered *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
	s->v[at] = (struct recovered){ id, m };
	s->n++;
	return 0;
}

/*
 * The fixed part of a JR_ACCEPT body (into @a) and its names, where they
 * start: NULL when the body makes no sense for @h.  Only the fixed part
 * and the names need be at hand (@avail bytes of the body).
 */
static const char *accept_parse(const struct journal_hdr *h, const unsigned char *body,
				size_t avail, struct journal_accept *a)
{
	const char *p = (const char *)body + sizeof(*a);
	size_t names;

	if (h->len < sizeof(*a) || avail < sizeof(*a))
		return NULL;
	memcpy(a, body, sizeof(*a));
	names = (size_t)a->source_len + a->dest_len + a->category_len;
	if (!a->id || a->source_len > CTRIPC_BUS_ADDR_MAX || a->dest_len > CTRIPC_BUS_ADDR_MAX ||
	    a->category_len > CTRIPC_BUS_CATEGORY_MAX || a->payload_len > CTRIPC_BUS_PAYLOAD_MAX ||
	    (uint64_t)sizeof(*a) + names + a->payload_len != h->len || sizeof(*a) + names > avail ||
	    memchr(p, '\0', names))
		return NULL;
	return p;
}

/*
 * A JR_ACCEPT body as a message (its payload too if @payload), or NULL if
 * it makes no sense or memory is out.
 */
static struct bus_msg *accepted_from(struct buffer *b, const struct journal_hdr *h,
				     const unsigned char *body, bool payload)
{
	struct journal_accept a;
	struct bus_msg *m;
	const char *p = accept_parse(h, body, h->len, &a);
	uint64_t now_real = b->clock_real, now_mono = b->clock_mono;

	if (!p)
		return NULL;
	m = msg_alloc(&b->store);
	if (!m)
		return NULL;
	m->source = name_get(&b->store.names, p, a.source_len);
	p += a.source_len;
	m->dest = name_get(&b->store.names, p, a.dest_len);
	p += a.dest_len;
	m->category = name_get(&b->store.names, p, a.category_len);
	p += a.category_len;
	if (payload && a.payload_len && (m->payload = malloc(a.payload_len)))
		memcpy(m->payload, p, a.payload_len);
	m->len = a.payload_len;
	m->id = a.id;
	m->sent_at = a.sent_at;
	m->accepted_at = a.accepted_at;
	m->replay_of = a.replay_of;
	m->flags = (uint16_t)a.flags;
	/* Its deadline, on this boot's monotonic clock: one passed expires at the next tick. */
	m->expires_at = !a.expires_at		   ? 0
			: a.expires_at <= now_real ? now_mono
						   : now_mono + (a.expires_at - now_real);
	if (!m->source || !m->dest || !m->category || (payload && a.payload_len && !m->payload) ||
	    !ctripc_bus_addr_valid(m->source) || !ctripc_bus_addr_valid(m->dest)) {
		msg_free(&b->store, m);
		return NULL;
	}
	return m;
}

/* A delivery, ACK, expiry or purge of the message in @slot. */
static void recovered_event(struct buffer *b, uint16_t type, struct recovered *slot)
{
	struct bus_msg *m = slot->m;

	switch (type) {
	case JR_DELIVER:
		m->attempts++;
		break;
	case JR_ACK:
	case JR_EXPIRE:
	case JR_PURGE:
		if (b->done)
			describe(m,
				 type == JR_ACK	    ? MSG_ACKED
				 : type == JR_PURGE ? MSG_PURGED
						    : MSG_EXPIRED,
				 type == JR_PURGE ? why_purged : NULL, ring_next(b));
		seg_drop(m->seg, m);
		msg_free(&b->store, m);
		slot->m = NULL;
		break;
	}
}

static int recover_record(void *arg, const struct journal_hdr *h, const void *body,
			  struct journal_seg *seg, uint64_t off)
{
	struct recovery *r = arg;
	struct buffer *b = r->b;
	struct recovered *slot;
	struct recovered_set *set;
	struct bus_msg *m;
	uint64_t id;

	if (h->len < sizeof(id)) {
		r->ignored++;
		return 0;
	}
	memcpy(&id, body, sizeof(id));
	if (h->type == JR_SEGMENT) {
		if (id > b->next_id + 1)
			b->next_id = id - 1;
		return 0;
	}
	if (h->type == JR_ACCEPT) {
		if (id > b->next_id)
			b->next_id = id; /* IDs go on after the highest seen */
		if (recovered_slot(r, id)) {
			r->ignored++; /* seen before: compaction's copy while the original stays */
			return 0;
		}
		m = accepted_from(b, h, body, false); /* its payload stays on disk */
		if (!m) {
			r->ignored++;
			return 0;
		}
		/* A copy compaction made comes after newer IDs. */
		set = !r->v.n || r->v.v[r->v.n - 1].id < id ? &r->v : &r->late;
		if (recovered_add(set, id, m) < 0) {
			msg_free(&b->store, m);
			return -ENOMEM;
		}
		m->seg = seg;
		m->joff = (uint32_t)off;
		seg_take(seg, m);
		return 0;
	}
	/* The others: one ID or more (deliveries and ACKs of a batch go in one record). */
	for (uint32_t i = 0; i < h->len / sizeof(id); i++) {
		memcpy(&id, (const unsigned char *)body + i * sizeof(id), sizeof(id));
		if (id > b->next_id)
			b->next_id = id;
		slot = recovered(r, id);
		if (slot)
			recovered_event(b, h->type, slot);
	}
	return 0;
}

/* @m, recovered, back in its queue. */
static void requeue(struct buffer *b, struct bus_msg *m)
{
	char container[CTRIPC_BUS_NAME_MAX + 1];
	struct holder *from;
	struct queue *q;

	snprintf(container, sizeof(container), "%.*s", (int)strcspn(m->source, "/"), m->source);
	q = queue_of(b, m->dest, true);
	from = holder_of(b, container);
	if (!q || !from || held_room(&b->store.held) < 0) {
		/* Out of memory: it stays in the journal, for the next start. */
		seg_drop(m->seg, m);
		msg_free(&b->store, m);
		return;
	}
	hold(b, q, from, m);
	b->restored++;
}

/*
 * What recovery kept goes back to its queues in ID order, the order it
 * was accepted (@keep), or is let go.
 */
static void recovery_end(struct buffer *b, struct recovery *r, bool keep)
{
	size_t i = 0, j = 0;

	while (i < r->v.n || j < r->late.n) {
		bool from_v = j == r->late.n || (i < r->v.n && r->v.v[i].id < r->late.v[j].id);
		struct bus_msg *m = from_v ? r->v.v[i++].m : r->late.v[j++].m;

		if (m && keep)
			requeue(b, m);
		else if (m)
			msg_free(&b->store, m);
	}
	free(r->v.v);
	free(r->late.v);
}

/* The JOURNAL frame: open it (the directory on @dirfd) and recover, then say what was found. */
static void open_journal(struct buffer *b, int dirfd, struct nlattr **tb)
{
	static struct watched syncer = { EV_SYNCER };
	struct recovery rec = { .b = b };
	struct journal_opts o = {
		.durability = tb[CTRIPC_BUS_A_DURABILITY] ? nla_get_u32(tb[CTRIPC_BUS_A_DURABILITY])
							  : JOURNAL_MEMORY,
		.segment_size = tb[CTRIPC_BUS_A_SEGMENT_SIZE]
					? nla_get_u64(tb[CTRIPC_BUS_A_SEGMENT_SIZE])
					: 64u << 20,
		.sync_interval_ms =
			tb[CTRIPC_BUS_A_SYNC_MS] ? nla_get_u32(tb[CTRIPC_BUS_A_SYNC_MS]) : 1000,
		.retain_bytes = tb[CTRIPC_BUS_A_RETAIN_BYTES]
					? nla_get_u64(tb[CTRIPC_BUS_A_RETAIN_BYTES])
					: UINT64_MAX,
		.retain_age_s = tb[CTRIPC_BUS_A_RETAIN_AGE]
					? nla_get_u64(tb[CTRIPC_BUS_A_RETAIN_AGE])
					: UINT64_MAX / 1000000000u,
	};
	struct nl_msg *f;
	int r = 0;

	if (b->journaled || b->journal_error[0]) {
		blog(b, "the journal is open already: a second JOURNAL frame is ignored");
		if (dirfd >= 0)
			close(dirfd);
		return;
	}
	if (o.durability != JOURNAL_MEMORY && dirfd >= 0) {
		clock_now(b); /* the recovery's now */
		r = journal_open(&b->journal, dirfd, &o, recover_record, &rec, &b->recovery);
		/* The syncer thread from the start, its eventfd watched. */
		if (r == 0 && o.durability == JOURNAL_SYNC &&
		    ((r = journal_commit_start(&b->journal)) < 0 ||
		     (r = watch(b, journal_syncer_fd(&b->journal), &syncer, EPOLLIN)) < 0))
			journal_close(&b->journal);
		if (r == 0) {
			b->journaled = true;
			b->journal.id_floor = b->next_id + 1;
		}
		recovery_end(b, &rec, r == 0);
		if (r < 0) {
			history_free(&b->history);
			snprintf(
				b->journal_error, sizeof(b->journal_error),
				"the journal cannot be opened (%s): the bus refuses messages until "
				"ctr-ipcd is restarted with it repaired; see ctr-ipcd's log",
				strerror(-r));
			blog(b, "%s", b->journal_error);
		}
	} else if (o.durability != JOURNAL_MEMORY) {
		/* Asked for a journal, given no directory: refuse rather than lose. */
		snprintf(b->journal_error, sizeof(b->journal_error),
			 "the journal directory could not be prepared: the bus refuses messages "
			 "until ctr-ipcd is restarted with it fixed; see ctr-ipcd's log");
		blog(b, "%s", b->journal_error);
	} else if (dirfd >= 0) {
		close(dirfd);
	}
	if (rec.ignored)
		blog(b, "journal: %llu records that check but make no sense were ignored",
		     (unsigned long long)rec.ignored);
	f = ctripc_bus_frame(CTRIPC_BUS_CMD_JOURNAL, 0);
	if (f &&
	    (nla_put_u32(f, CTRIPC_BUS_A_DURABILITY, b->journaled ? o.durability : JOURNAL_MEMORY) <
		     0 ||
	     nla_put_u64(f, CTRIPC_BUS_A_RECORDS, b->recovery.records) < 0 ||
	     nla_put_u64(f, CTRIPC_BUS_A_BYTES, b->recovery.bytes) < 0 ||
	     nla_put_u64(f, CTRIPC_BUS_A_DROPPED, b->recovery.dropped_bytes) < 0 ||
	     nla_put_u64(f, CTRIPC_BUS_A_USEC, b->recovery.usec) < 0 ||
	     nla_put_u64(f, CTRIPC_BUS_A_COUNT_QUEUED, b->restored) < 0 ||
	     nla_put_string(f, CTRIPC_BUS_A_REPORT,
			    b->journal_error[0] ? b->journal_error : b->recovery.report) < 0)) {
		nlmsg_free(f);
		f = NULL;
	}
	reply(b, f);
}

/* The timer's tick: async's sync, and segments past retention go. */
#define COMPACT_MOVE	1024  /* records copied in one step at most */
#define COMPACT_LOOK	65536 /* held messages looked at in one step at most */
#define COMPACT_RETRY_S 10    /* after a copy or its sync failed */

/* The copies of a step are on disk: synced (sync), or written and synced now (async). */
static bool compact_durable(struct buffer *b)
{
	if (!journal_settle(b))
		return false;
	return b->journal.o.durability != JOURNAL_ASYNC || fdatasync(b->journal.cur->fd) == 0;
}

/*
 * Compaction: the oldest segment, due to go but for messages still held in
 * it, has their JR_ACCEPT records copied to the newest segment, a bounded
 * step each tick, so that senders wait for one step at most (each step's
 * length is measured, the longest logged).  The copies are synced before
 * the old segment can go; once nothing is left in it, the tick removes it.
 * A crash meanwhile leaves two copies of a record, or the copy alone out
 * of ID order: the recovery takes either (recover_record).
 */
static void compact(struct buffer *b)
{
	struct compaction *c = &b->compaction;
	struct journal_seg *s = b->journal.segs;
	uint64_t t0 = mono_ns(), moved = 0, took;
	struct bus_msg *v[COMPACT_MOVE];
	size_t i, looked = 0;

	if (!s || !s->live || !journal_due(&b->journal, s, b->clock_real) || t0 < c->retry_at)
		return;
	if (c->seg_seq != s->first_seq) {
		/* Worth it only if it frees half of the segment at least: else copies are copied again. */
		if (s->live_bytes * 2 > s->size)
			return;
		*c = (struct compaction){ .seg_seq = s->first_seq };
	}
	for (i = held_lower(&b->store.held, c->next_id);
	     i < b->store.held.n && moved < COMPACT_MOVE && looked < COMPACT_LOOK; i++, looked++) {
		struct bus_msg *m = b->store.held.v[i];
		struct journal_seg *to;
		uint64_t off;
		int r;

		if (!m || m->seg != s)
			continue;
		r = journal_copy(&b->journal, s, m->joff, &to, &off);
		if (r == -EBADMSG && m->payload) {
			/* Damaged since, whole in memory: written again from there. */
			uint64_t gen;
			char why[CTRIPC_ERRMSG_MAX];

			r = journal_message(b, m, &gen, why, sizeof(why));
			if (r == 0) {
				v[moved++] = m; /* s counts it still, as a copy's */
				continue;
			}
			m->seg = s;
		} else if (r == -EBADMSG && m->state == MSG_DELIVERED) {
			continue; /* its receiver has it: its ACK lets it go */
		} else if (r == -EBADMSG) {
			/* It could not be delivered, and would keep s, and every later one, for ever. */
			unreadable(b, queue_of(b, m->dest, false), m, r);
			continue;
		}
		if (r < 0) {
			blog(b,
			     "compaction of journal segment %016llx stops: message %llu: %s; "
			     "it tries again in %d s",
			     (unsigned long long)s->first_seq, (unsigned long long)m->id,
			     strerror(-r), COMPACT_RETRY_S);
			c->retry_at = t0 + COMPACT_RETRY_S * 1000000000ull;
			break;
		}
		/* s counts it still: it may go only once the copy is durable. */
		seg_take(to, m);
		m->seg = to;
		m->joff = (uint32_t)off;
		v[moved++] = m;
	}
	c->next_id = i < b->store.held.n ? b->store.held.ids[i] : 0; /* from the start again */
	if (moved && !compact_durable(b)) {
		/* Not durable: s keeps counting them, so it stays (its count too high till restart). */
		blog(b,
		     "compaction of journal segment %016llx: its copies could not be synced; "
		     "the segment stays",
		     (unsigned long long)s->first_seq);
		c->retry_at = t0 + COMPACT_RETRY_S * 1000000000ull;
		return;
	}
	for (uint64_t k = 0; k < moved; k++)
		seg_drop(s, v[k]);
	c->moved += moved;
	c->steps++;
	took = mono_ns() - t0;
	if (took > c->step_max_ns)
		c->step_max_ns = took;
	if (!s->live)
		binfo(b,
		      "journal segment %016llx compacted: %llu held messages moved in %llu "
		      "step%s, the longest %.3f ms",
		      (unsigned long long)s->first_seq, (unsigned long long)c->moved,
		      (unsigned long long)c->steps, c->steps == 1 ? "" : "s",
		      (double)c->step_max_ns / 1e6);
}

static void journal_tick_now(struct buffer *b)
{
	int r;

	if (!b->journaled)
		return;
	compact(b);
	notes_out(b);
	r = journal_tick(&b->journal, mono_ns(), real_ns());
	if (r < 0)
		journal_failed(b, r);
	history_trim(&b->history, b->journal.segs->first_seq);
}

static void on_control(struct buffer *b)
{
	static unsigned char buf[FRAME_BUFS];
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	char err[CTRIPC_ERRMSG_MAX];
	uint8_t cmd;
	int fd = -1;
	ssize_t n;

	n = ctripc_bus_recv(b->control, buf, sizeof(buf), true, tb, &cmd, &fd, err, sizeof(err));
	if (n == -EAGAIN)
		return;
	if (n == 0 || n == -ECONNRESET) {
		b->quit = true; /* the daemon is gone: so is the buffer */
		return;
	}
	if (n < 0) {
		/* One bad frame: said, and skipped (datagrams keep their bounds). */
		blog(b, "a frame from ctr-ipcd refused: %s", err);
		if (((struct nlmsghdr *)buf)->nlmsg_seq)
			reply(b, ctripc_bus_frame(CTRIPC_BUS_CMD_END,
						  ((struct nlmsghdr *)buf)->nlmsg_seq));
		return;
	}
	switch (cmd) {
	case CTRIPC_BUS_CMD_LISTEN: {
		struct listener *l = calloc(1, sizeof(*l));

		if (fd < 0 || !l) {
			free(l);
			break;
		}
		remove_listener(b, nla_get_string(tb[CTRIPC_BUS_A_CONTAINER]));
		l->kind = EV_LISTENER;
		l->fd = fd;
		fd = -1;
		snprintf(l->container, sizeof(l->container), "%s",
			 nla_get_string(tb[CTRIPC_BUS_A_CONTAINER]));
		if (watch(b, l->fd, l, EPOLLIN) < 0) {
			close(l->fd);
			free(l);
			break;
		}
		l->next = b->listeners;
		b->listeners = l;
		break;
	}
	case CTRIPC_BUS_CMD_UNLISTEN:
		remove_listener(b, nla_get_string(tb[CTRIPC_BUS_A_CONTAINER]));
		break;
	case CTRIPC_BUS_CMD_POLICY:
		set_policy(b, tb[CTRIPC_BUS_A_RULES], tb[CTRIPC_BUS_A_MORE] != NULL);
		break;
	case CTRIPC_BUS_CMD_LIST:
		query_list(b, ((struct nlmsghdr *)buf)->nlmsg_seq, tb);
		break;
	case CTRIPC_BUS_CMD_REPLAY:
		query_replay(b, ((struct nlmsghdr *)buf)->nlmsg_seq, tb);
		break;
	case CTRIPC_BUS_CMD_PURGE:
		query_purge(b, ((struct nlmsghdr *)buf)->nlmsg_seq, tb);
		break;
	case CTRIPC_BUS_CMD_WATCH:
		b->watched = !tb[CTRIPC_BUS_A_DRY_RUN];
		break;
	case CTRIPC_BUS_CMD_SHOW:
	case CTRIPC_BUS_CMD_ENDPOINTS:
	case CTRIPC_BUS_CMD_RULE_HITS: {
		uint32_t seq = ((struct nlmsghdr *)buf)->nlmsg_seq;

		if (cmd == CTRIPC_BUS_CMD_SHOW)
			query_show(b, seq, nla_get_u64(tb[CTRIPC_BUS_A_ID]));
		else if (cmd == CTRIPC_BUS_CMD_ENDPOINTS)
			query_endpoints(b, seq);
		else
			query_rule_hits(b, seq);
		reply(b, ctripc_bus_frame(CTRIPC_BUS_CMD_END, seq));
		break;
	}
	case CTRIPC_BUS_CMD_JOURNAL:
		open_journal(b, fd, tb);
		fd = -1;
		break;
	case CTRIPC_BUS_CMD_LIMITS:
		b->limits = (struct buffer_limits){
			.payload_max = nla_get_u32(tb[CTRIPC_BUS_A_PAYLOAD_LEN]),
			.queue_msgs = nla_get_u32(tb[CTRIPC_BUS_A_QUEUE_MSGS]),
			.queue_bytes = nla_get_u64(tb[CTRIPC_BUS_A_QUEUE_BYTES]),
			.container_msgs = nla_get_u32(tb[CTRIPC_BUS_A_QUOTA]),
			.default_ttl_ms = nla_get_u32(tb[CTRIPC_BUS_A_TTL_MS]),
		};
		break;
	case CTRIPC_BUS_CMD_SECRET: {
		const char *name = nla_get_string(tb[CTRIPC_BUS_A_TEXT]);

		if (tb[CTRIPC_BUS_A_AUTH])
			policy_secret_set(&b->secrets, name, nla_data(tb[CTRIPC_BUS_A_AUTH]),
					  (size_t)nla_len(tb[CTRIPC_BUS_A_AUTH]), err, sizeof(err));
		else
			policy_secret_remove(&b->secrets, name);
		break;
	}
	default:
		break;
	}
	if (fd >= 0)
		close(fd);
}

int buffer_init(struct buffer *b, int control_fd)
{
	static struct watched control = { EV_CONTROL }, timer = { EV_TIMER };
	struct itimerspec its = { .it_interval = { .tv_nsec = TICK_MS * NS_PER_MS },
				  .it_value = { .tv_nsec = TICK_MS * NS_PER_MS } };
	struct nl_msg *hello;

	*b = (struct buffer){
		.control = control_fd,
		.store = { .cache_max = PAYLOAD_CACHE },
		.limits = { .payload_max = 1u << 20,
			    .queue_msgs = 1000,
			    .queue_bytes = 64u << 20,
			    .container_msgs = 10000,
			    .default_ttl_ms = 60000 },
	};
	policy_init(&b->policy);
	policy_secrets_init(&b->secrets);
	b->done = calloc(BUS_DONE_KEEP, sizeof(*b->done));
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	b->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->epfd < 0 || b->timer < 0 || timerfd_settime(b->timer, 0, &its, NULL) < 0 ||
	    watch(b, b->control, &control, EPOLLIN) < 0 || watch(b, b->timer, &timer, EPOLLIN) < 0)
		return -errno;
	hello = ctripc_bus_frame(CTRIPC_BUS_CMD_HELLO, 0);
	if (!hello || nla_put_string(hello, CTRIPC_BUS_A_TEXT, CTRIPC_VERSION) < 0)
		return -ENOMEM;
	ctripc_bus_send(b->control, hello, -1);
	nlmsg_free(hello);
	clock_now(b);
	return 0;
}

/* Connections and listeners closed during a batch of events: no event points to them now. */
static void reap_dead(struct buffer *b)
{
	while (b->dead) {
		struct conn *c = b->dead;

		b->dead = c->next;
		ctripc_bus_out_free(&c->out);
		free(c);
	}
	while (b->dead_listeners) {
		struct listener *l = b->dead_listeners;

		b->dead_listeners = l->next;
		free(l);
	}
}

int buffer_run(struct buffer *b)
{
	while (!b->quit) {
		struct epoll_event evs[32];
		int n = epoll_wait(b->epfd, evs, 32, -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		clock_now(b);
		for (int i = 0; i < n && !b->quit; i++) {
			struct watched *w = evs[i].data.ptr;

			switch (w->kind) {
			case EV_CONTROL:
				on_control(b);
				break;
			case EV_TIMER: {
				uint64_t ticks;

				if (read(b->timer, &ticks, sizeof(ticks)) > 0) {
					expire(b);
					journal_tick_now(b);
				}
				break;
			}
			case EV_LISTENER:
				if (((struct listener *)w)->fd >= 0)
					on_listener(b, (struct listener *)w);
				break;
			case EV_CONN:
				if (((struct conn *)w)->fd >= 0)
					on_conn(b, (struct conn *)w, evs[i].events);
				break;
			case EV_SYNCER:
				on_synced(b);
				break;
			}
		}
		if (journal_point(b, true))
			flush_dirty(b);
		reap_dead(b);
		held_compact(&b->store.held);
	}
	return b->status;
}

void buffer_free(struct buffer *b)
{
	while (b->conns)
		conn_close(b, b->conns);
	b->dirty = NULL;
	reap_dead(b);
	while (b->holders) {
		struct holder *h = b->holders;

		b->holders = h->next;
		free(h);
	}
	while (b->listeners) {
		struct listener *l = b->listeners;

		b->listeners = l->next;
		close(l->fd);
		free(l);
	}
	while (b->queues) {
		struct queue *q = b->queues;

		b->queues = q->next;
		while (q->head) {
			struct bus_msg *m = q->head;

			q->head = m->next;
			msg_free(&b->store, m);
		}
		free(q);
	}
	while (b->ep_stats) {
		struct ep_stat *e = b->ep_stats;

		b->ep_stats = e->next;
		free(e);
	}
	if (b->journaled) {
		notes_out(b);
		journal_close(&b->journal);
	}
	store_free(&b->store);
	free(b->notes[0].v);
	free(b->notes[1].v);
	free(b->done);
	history_free(&b->history);
	free(b->policy_text);
	policy_free(&b->policy);
	policy_secrets_free(&b->secrets);
	if (b->timer >= 0)
		close(b->timer);
	if (b->epfd >= 0)
		close(b->epfd);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The buffer process's router: listening sockets (one per container, one
 * for the host), connections, endpoints, held messages and their delivery.
 */
#ifndef CTRIPC_BUFFER_H
#define CTRIPC_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr-ipc/bus.h"
#include "ctr-ipc/policy.h"
#include "journal.h"
#include "store.h"

struct queue;

struct listener {
	int kind; /* first: what an epoll event points to */
	struct listener *next;
	int fd; /* -1 once closed (freed after the current batch of events) */
	char container[CTRIPC_BUS_NAME_MAX + 1];
};

/* A payload being received or sent in chunks. */
struct partial {
	struct bus_msg *msg; /* being filled (receiving) */
	uint32_t seq;	     /* of the SEND it continues */
	size_t have;
	unsigned char auth[CTRIPC_BUS_AUTH_MAX]; /* the SEND's, checked with the last chunk */
	size_t authlen;
	bool skipping; /* the SEND was refused: its DATA frames are dropped */
	bool prompt;   /* the SEND asked for its answer at once (NLM_F_ACK) */
};

struct conn {
	int kind; /* first: what an epoll event points to */
	struct conn *next;
	int fd;		      /* -1 once closed (freed after the current batch of events) */
	struct listener *via; /* names the container */
	uint64_t serial;      /* names an unregistered sender: CONTAINER/anon-SERIAL */
	pid_t pid;	      /* SO_PEERCRED: 0 when not in the buffer's pid namespace */
	uid_t uid;
	char endpoint[CTRIPC_BUS_NAME_MAX + 1]; /* registered, or "" */
	char addr[CTRIPC_BUS_ADDR_MAX + 1];	/* CONTAINER/ENDPOINT, or CONTAINER/anon-SERIAL */
	size_t addr_len;
	struct partial in;	   /* a SEND whose payload still comes */
	struct ctripc_bus_out out; /* frames not yet taken by the socket */
	struct conn *dirty_next;   /* in b->dirty: out has frames to flush */
	bool dirty, want_out;	   /* want_out: EPOLLOUT watched */
	bool paused;		   /* too much queued for it: EPOLLIN not watched */
	bool window_asked;	   /* a SEND had CTRIPC_BUS_SEND_F_WINDOW */
	bool windowed;		   /* its window told (in the ACCEPTED after that) */
	uint32_t lazy;		   /* answers in out held back (LAZY_MAX) */
	uint64_t wait_gen; /* out holds ACCEPTEDs: not sent before this journal write is synced */
	struct queue *last_q; /* where its last SEND went */
	struct queue *inbox;  /* its endpoint's queue, once registered */
};

/* A message that left the buffer (ACKed, expired) or was refused: kept for inspection. */
struct bus_done {
	uint64_t id; /* 0 for a refused one: it never got an ID */
	char source[CTRIPC_BUS_ADDR_MAX + 1], dest[CTRIPC_BUS_ADDR_MAX + 1];
	char category[CTRIPC_BUS_CATEGORY_MAX + 1];
	enum bus_msg_state state;
	uint32_t attempts;
	uint64_t sent_at, accepted_at, len;
	uint64_t replay_of;
	uint64_t seg_seq, joff; /* its JR_ACCEPT record: segment (first_seq), offset; 0, 0: none */
	char reason[256];
};

#define BUS_DONE_KEEP 4096 /* the last ones, in a ring */

/* Counters of one address, as a destination and as a sender. */
struct ep_stat {
	struct ep_stat *next;
	char addr[CTRIPC_BUS_ADDR_MAX + 1];
	uint64_t delivered, refused;
};

/* Messages held from one sending container, against its quota. */
struct holder {
	struct holder *next;
	uint32_t held;
	char container[CTRIPC_BUS_NAME_MAX + 1];
};

/* Messages held for one destination address. */
struct queue {
	struct queue *next;
	char dest[CTRIPC_BUS_ADDR_MAX + 1];
	struct bus_msg *head, **tail;
	struct bus_msg *cursor; /* the first not delivered: all before it are, none after */
	uint32_t count;
	uint64_t bytes;
	struct conn *ep;      /* the connection registered as dest, or NULL */
	struct ep_stat *stat; /* dest's counters */
};

struct buffer_limits {
	uint32_t payload_max;	 /* bytes per message */
	uint32_t queue_msgs;	 /* per destination */
	uint64_t queue_bytes;	 /* per destination */
	uint32_t container_msgs; /* held from one sending container */
	uint32_t default_ttl_ms; /* when the sender gives none */
};

/* What a query selects (LIST, REPLAY, PURGE): each field unset matches all. */
struct msg_filter {
	const char *from, *to, *category; /* patterns */
	const char *state;		  /* its name: queued, delivered, ...; NULL: any */
	uint64_t since, until;		  /* sent_at, ns since the epoch; until 0: no end */
	uint64_t id_min, id_max;	  /* id_max 0: no end */
	const void *ids;		  /* these u64 IDs only, when n_ids */
	size_t n_ids;
};

/* IDs noted during a batch of events. */
struct id_list {
	uint64_t *v;
	size_t n, cap;
};

struct buffer {
	int control; /* the socket pair to ctr-ipcd */
	int epfd;
	int timer; /* TTL expiry */
	struct listener *listeners;
	struct conn *conns;
	struct conn *dead;  /* closed during this batch of events */
	struct conn *dirty; /* frames to flush at the end of this batch */
	struct holder *holders;
	struct listener *dead_listeners; /* likewise */
	struct queue *queues;
	struct buffer_limits limits;
	struct policy policy;
	char *policy_text; /* rules of POLICY frames still to come */
	size_t policy_len;
	struct policy_secrets secrets;
	uint64_t next_id;
	uint64_t conn_serial;
	uint64_t clock_real, clock_mono; /* ns, read once per batch of events (clock_now) */
	uint64_t accepted, rejected, delivered, acked, expired;
	struct bus_done *done;	/* BUS_DONE_KEEP entries */
	uint64_t done_count;	/* ever recorded; the ring holds the last BUS_DONE_KEEP */
	struct history history; /* those out of the ring whose records the journal keeps */
	struct ep_stat *ep_stats;
	struct store store;   /* held messages, their names and payloads */
	bool watched;	      /* ctr-ipcd wants EVENT frames */
	uint64_t events_lost; /* EVENT frames the control socket could not take */
	struct journal journal;
	bool journaled;			       /* durability sync or async: journal is open */
	char journal_error[CTRIPC_ERRMSG_MAX]; /* why sends are refused, or "" */
	struct journal_recovery recovery;
	uint64_t restored;	  /* messages held again by the recovery */
	uint64_t accepts_pending; /* appended since the last commit */
	struct id_list notes[2];  /* IDs delivered, ACKed in this batch: a record each */
	struct compaction {
		uint64_t seg_seq;      /* the segment being emptied (its first_seq); 0: none */
		uint64_t next_id;      /* where its next step looks among the held */
		uint64_t moved, steps; /* of that segment */
		uint64_t step_max_ns;  /* its longest step: how long the buffer stopped */
		uint64_t retry_at;     /* monotonic ns: after a failure, no step before */
	} compaction;
	bool quit;
	int status; /* buffer_run's result when it quits: 0 or -errno */
};

int buffer_init(struct buffer *b, int control_fd);
int buffer_run(struct buffer *b);
void buffer_free(struct buffer *b);

#endif

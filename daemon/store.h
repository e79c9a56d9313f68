/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The buffer's message store: what a held message costs (DESIGN §3.5).
 *
 * A held message is a fixed record of 104 bytes, taken from a pool of
 * blocks.  Its names (source, destination, category) are interned: one
 * counted copy of each name however many messages carry it.  With a
 * journal its payload need not stay in memory: it is in the message's
 * JR_ACCEPT record, and store_payload() reads it back (CRC checked) when
 * it is delivered or asked for.  The buffer keeps in memory the payloads
 * of messages whose receiver is connected, up to a budget, so that a
 * stream read as it comes never goes to the disk for them.
 *
 * The index by ID (struct held_index) serves the administrator's queries.
 */
#ifndef CTRIPC_STORE_H
#define CTRIPC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

struct holder;

enum bus_msg_state { MSG_QUEUED, MSG_DELIVERED, MSG_ACKED, MSG_EXPIRED, MSG_REJECTED, MSG_PURGED };

struct bus_msg {
	struct bus_msg *next; /* in its destination's queue, in order; in the pool's free list */
	const char *source, *dest, *category; /* interned (name_get) */
	struct journal_seg *seg; /* holds its JR_ACCEPT record; NULL without a journal */
	uint32_t joff;		 /* the record's offset in seg (a segment is < 4 GiB) */
	uint32_t len;		 /* of the payload */
	uint64_t id;
	uint64_t replay_of;
	uint64_t sent_at, accepted_at; /* ns since the epoch */
	uint64_t expires_at;	       /* monotonic ns; 0: never */
	unsigned char *payload;	       /* NULL with len > 0: in the journal only */
	uint32_t attempts;
	uint16_t flags; /* CTRIPC_BUS_F_* */
	uint8_t state;	/* enum bus_msg_state */
	bool cached;	/* payload is in memory and in the journal: counted in store.cached */
};

/* --- interned names --------------------------------------------------------------- */

struct bus_name {
	struct bus_name *next; /* in its hash bucket */
	struct holder *holder; /* a source's: its container's quota counter (set by the buffer) */
	uint32_t refs, hash;
	char s[];
};

struct name_table {
	struct bus_name **v; /* buckets: a power of two */
	size_t cap, n;
};

/* @s (@len bytes, no NUL needed) interned, with one more reference; NULL when out of memory. */
const char *name_get(struct name_table *t, const char *s, size_t len);
/* One more reference to the interned @s. */
const char *name_ref(const char *s);
/* One reference less to the interned @s (NULL: nothing); the last frees it. */
void name_put(struct name_table *t, const char *s);
/* The bus_name an interned string is in. */
struct bus_name *name_of(const char *s);
void name_table_free(struct name_table *t);

/* --- held messages by ID ---------------------------------------------------------------- */

/*
 * Held messages in ID order, for queries: IDs only grow, so appending keeps
 * it sorted.  A message that leaves leaves a hole (its ID stays, for the
 * search) until held_compact() fills the holes, which it does only when
 * they are half of it, and never during a scan.
 */
struct held_index {
	uint64_t *ids;
	struct bus_msg **v; /* NULL: it left */
	size_t n, cap, holes;
};

/* Room for one more: asked before a message is given its ID, so that adding cannot fail. */
int held_room(struct held_index *h);
void held_add(struct held_index *h, struct bus_msg *m);
/* The first slot whose ID is @id or more. */
size_t held_lower(const struct held_index *h, uint64_t id);
struct bus_msg *held_find(const struct held_index *h, uint64_t id);
void held_remove(struct held_index *h, const struct bus_msg *m);
void held_compact(struct held_index *h);

/* --- finished messages the journal keeps ------------------------------------------ */

/*
 * A message that finished (taken, expired, purged) while the journal still
 * keeps its JR_ACCEPT record: 24 bytes, its headers and payload being in
 * the record.  Entries are in the order their messages finished, numbered
 * from 0 for the first ever; those of removed segments go from the front
 * (history_trim()), and in the middle are skipped until they reach it.
 */
struct history_entry {
	uint64_t id;
	uint64_t seg_seq;  /* first_seq of the segment holding its record */
	uint32_t joff;	   /* the record's offset there */
	uint16_t attempts; /* deliveries, at most UINT16_MAX */
	uint8_t state;	   /* enum bus_msg_state */
	uint8_t why;	   /* enum history_why */
};

/* Why it finished, beyond its state: the reason shown. */
enum history_why { HISTORY_WHY_NONE, HISTORY_WHY_TTL, HISTORY_WHY_UNREADABLE, HISTORY_WHY_PURGED };

struct history {
	struct history_entry *v; /* entries v[head] .. v[head + n - 1] */
	size_t head, n, cap;
	uint64_t base;	/* the number of v[head]: entries ever dropped */
	uint64_t floor; /* the oldest kept segment's first_seq: those before are gone */
};

/* Appended; -ENOMEM (the entry is not kept). */
int history_push(struct history *h, const struct history_entry *e);
/* The segments before @floor are gone: their entries are not seen again. */
void history_trim(struct history *h, uint64_t floor);
/* The entry numbered @n, or NULL when it is gone (or not yet). */
const struct history_entry *history_at(const struct history *h, uint64_t n);
/* The number the next entry will have. */
static inline uint64_t history_end(const struct history *h)
{
	return h->base + h->n;
}
/* The newest entry with @id, or NULL. */
const struct history_entry *history_find(const struct history *h, uint64_t id);
/*
 * The numbers of the newest entries of @ids (@n IDs, as given: unaligned)
 * into @ret (UINT64_MAX: none), in one pass over the history; -ENOMEM.
 */
int history_find_many(const struct history *h, const void *ids, size_t n, uint64_t *ret);
void history_free(struct history *h);

/* --- the store ------------------------------------------------------------------------ */

#define STORE_BLOCK_MSGS 4096 /* messages per block of the pool */

struct store {
	struct name_table names;
	struct held_index held;
	struct bus_msg *free; /* the pool's free records */
	void **blocks;	      /* the pool's blocks of STORE_BLOCK_MSGS records */
	size_t n_blocks;
	uint64_t in_use;	/* records given out */
	uint64_t cached;	/* bytes of payloads kept in memory that the journal has too */
	uint64_t cache_max;	/* at most this many */
	uint64_t reads;		/* payloads read back from the journal */
	unsigned char *scratch; /* what store_payload() read last */
	size_t scratch_cap;
};

/* A zeroed message; NULL when out of memory. */
struct bus_msg *msg_alloc(struct store *s);
/* Its names and payload released, the record back in the pool (NULL: nothing). */
void msg_free(struct store *s, struct bus_msg *m);

/*
 * @m (journaled: m->seg set) keeps its payload in memory if @keep and the
 * budget allows, else lets it go: the journal has it.
 */
void store_settle(struct store *s, struct bus_msg *m, bool keep);
/* @m's payload leaves memory (its journal copy stays). */
void store_evict(struct store *s, struct bus_msg *m);

/*
 * @m's payload: in memory, or read back from its JR_ACCEPT record in @j
 * into the store's scratch buffer (valid until the next call), its CRC
 * and its ID checked.  NULL and -errno in *@err when it cannot be read.
 */
const unsigned char *store_payload(struct store *s, struct journal *j, const struct bus_msg *m,
				   int *err);

void store_free(struct store *s);

#endif

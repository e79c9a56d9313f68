/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The buffer's journal (DESIGN §3.5): an append-only log of records in
 * segment files, each record checked by a CRC32C and numbered.
 *
 * A segment is STATE/journal/SEQ.jnl, SEQ the first record's sequence
 * number in 16 hex digits.  It is created with its room reserved
 * (fallocate), so that a write into it cannot fail for space: a full disk
 * shows when a segment cannot be created, and the caller refuses what it
 * would have written.  Its first record is JR_SEGMENT, with the next
 * message ID at the time, so IDs continue even when every older segment
 * has been removed.
 *
 * On disk, little-endian, 8-byte aligned:
 *   struct journal_hdr (32 bytes), then the body, then zeros to 8 bytes.
 * The CRC covers the header after its own field, and the body.  Records
 * follow each other; zeros (the reserved room) follow the last one.
 *
 * Appends collect in memory; journal_commit() writes them with one system
 * call and, with durability "sync", makes them durable with one fdatasync:
 * the group commit that covers every message accepted meanwhile.
 */
#ifndef CTRIPC_JOURNAL_H
#define CTRIPC_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>

#define JOURNAL_MAGIC	 0x314a5443u /* "CTJ1" */
#define JOURNAL_HDR_SIZE 32u
#define JOURNAL_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)

enum journal_durability { JOURNAL_SYNC, JOURNAL_ASYNC, JOURNAL_MEMORY };

enum journal_type {
	JR_SEGMENT = 1, /* u64 next message ID: the first record of a segment */
	JR_ACCEPT,	/* struct journal_accept, source, dest, category, payload */
	JR_DELIVER,	/* u64 IDs (one or more): handed to their receiver */
	JR_ACK,		/* u64 IDs (one or more): taken by their receiver */
	JR_EXPIRE,	/* u64 IDs: their time to live ran out */
	JR_PURGE,	/* u64 IDs: removed by the administrator */
	JR_TYPE_MAX = JR_PURGE,
};

struct journal_hdr {
	uint32_t magic;
	uint32_t crc;
	uint32_t len; /* of the body */
	uint16_t type;
	uint16_t reserved;
	uint64_t seq;
	uint64_t time; /* when written: ns since the epoch */
};

/* The fixed part of a JR_ACCEPT body; the strings (no NUL) and the payload follow. */
struct journal_accept {
	uint64_t id, sent_at, accepted_at;
	uint64_t expires_at; /* ns since the epoch; 0: never */
	uint64_t replay_of;  /* the ID it replays, or 0 */
	uint32_t flags;
	uint32_t payload_len;
	uint16_t source_len, dest_len, category_len, reserved;
};

struct journal_seg {
	struct journal_seg *next; /* the next newer */
	int fd;
	uint64_t first_seq;
	uint64_t size;	     /* bytes of records, with those not yet written */
	uint64_t written;    /* of which in the file */
	uint64_t room;	     /* reserved in the file */
	uint64_t live;	     /* messages accepted here and not yet gone: kept by the caller */
	uint64_t live_bytes; /* their records' bytes: kept by the caller, for compaction */
	uint64_t last_time;  /* of its newest record */
};

struct journal_opts {
	enum journal_durability durability;
	uint64_t segment_size;
	uint32_t sync_interval_ms; /* async: how often */
	uint64_t retain_bytes;	   /* segments holding nothing live go beyond these */
	uint64_t retain_age_s;
};

/* What journal_open() found. */
struct journal_recovery {
	uint64_t segments, records, bytes;
	uint64_t dropped_bytes; /* torn tail, corrupt records */
	uint32_t torn, corrupt;
	uint64_t usec;
	char report[1024]; /* each problem: segment, offset, bytes; "" when none */
};

struct journal {
	int dirfd;
	struct journal_opts o;
	struct journal_seg *segs, *cur; /* oldest first; cur the newest, written to */
	uint64_t next_seq;
	uint64_t id_floor;  /* kept by the caller: the next message ID, for JR_SEGMENT */
	unsigned char *buf; /* records of cur not yet written */
	size_t len, cap;
	bool unsynced;
	uint64_t last_sync; /* monotonic ns */
	uint64_t total;	    /* bytes in every segment */
	uint64_t now; /* a record's time (ns since the epoch), kept by the caller; 0: the clock's */
	uint64_t syncs, commits, removed;
	uint64_t writes; /* write_out()s done: an append goes with the (writes + 1)th */
	/* The syncer thread of journal_commit_start(), started with its first call. */
	struct journal_syncer {
		bool running, stop;
		pthread_t thread;
		pthread_mutex_t lock;
		pthread_cond_t cond;
		int efd;       /* eventfd: a sync ended */
		int fd;	       /* the segment to sync */
		uint64_t want; /* writes the next sync covers */
		uint64_t done; /* writes synced */
		int error;     /* of the last fdatasync: -errno, 0 */
	} syncer;
};

/*
 * A record found by journal_open(), in order.  @seg and @off say where it
 * is, for journal_read().  A nonzero return stops the recovery with it.
 */
typedef int journal_record_fn(void *arg, const struct journal_hdr *h, const void *body,
			      struct journal_seg *seg, uint64_t off);

/*
 * Open the journal in the directory @dirfd (which it takes), replay its
 * records to @fn, cut a torn tail, skip corrupt records (said in @rec),
 * and make the newest segment the one written to.  -errno on failure.
 */
int journal_open(struct journal *j, int dirfd, const struct journal_opts *o, journal_record_fn *fn,
		 void *arg, struct journal_recovery *rec);
void journal_close(struct journal *j);

/*
 * Append a record made of @iov; *@ret_seg (if given) is the segment it is
 * in.  -ENOSPC: no room for a new segment (nothing appended); the journal
 * stays usable and the next append tries again.
 */
int journal_append(struct journal *j, uint16_t type, const struct iovec *iov, int iovcnt,
		   struct journal_seg **ret_seg, uint64_t *ret_off);
int journal_append_id(struct journal *j, uint16_t type, uint64_t id);

/* Write what was appended; with durability "sync", fdatasync it too. */
int journal_commit(struct journal *j);
/* Write what was appended, without a sync: a killed process loses none of it. */
int journal_write(struct journal *j);

/*
 * Group commit without waiting: write what was appended and have the
 * syncer thread fdatasync it while the caller goes on (with durability
 * async or memory, only the write).  What an append made durable is known
 * by journal_synced() reaching the generation journal_generation() gave
 * right after it (the write that carries it); journal_syncer_fd() becomes readable when a sync ends.
 */
int journal_commit_start(struct journal *j);
static inline uint64_t journal_generation(const struct journal *j)
{
	return j->len ? j->writes + 1 : j->writes; /* the next write, or the last one */
}
/* Writes synced (every write, without a syncer running); -errno if a sync failed. */
int64_t journal_synced(struct journal *j);
/* The syncer's eventfd (-1 before the first journal_commit_start()); read it to clear. */
int journal_syncer_fd(const struct journal *j);

/*
 * Now and then (@mono_ns, @real_ns: now): with "async", fdatasync what
 * was written since the last interval; remove the oldest segments that
 * hold nothing live and are beyond the retention limits.
 */
int journal_tick(struct journal *j, uint64_t mono_ns, uint64_t real_ns);

/*
 * Whether @s is past the retention limits at @now (ns since the epoch):
 * it goes at the next tick once nothing live is left in it.
 */
bool journal_due(const struct journal *j, const struct journal_seg *s, uint64_t now);

/*
 * Compaction: the record at @off of @from appended again (its CRC checked
 * first), in the segment written to; where it went in *@ret_seg, *@ret_off.
 */
int journal_copy(struct journal *j, const struct journal_seg *from, uint64_t off,
		 struct journal_seg **ret_seg, uint64_t *ret_off);

/* @len bytes at @off of @seg (written or not), into @buf. */
int journal_read(struct journal *j, const struct journal_seg *seg, uint64_t off, void *buf,
		 size_t len);

/*
 * Check the record at @p (@avail bytes from there): 0 and its body's
 * length, or -EBADMSG.  The journal's reader and the fuzzer use it.
 */
int journal_check(const unsigned char *p, uint64_t avail, uint32_t *ret_len);

/* "sync", "async", "memory" (as ctr-ipcd.conf writes them), or NULL. */
static inline const char *journal_durability_name(uint32_t d)
{
	static const char *const names[] = { "sync", "async", "memory" };

	return d <= JOURNAL_MEMORY ? names[d] : NULL;
}

#endif

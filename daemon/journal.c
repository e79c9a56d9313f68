// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The journal: segments of CRC-checked records (see journal.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctr-ipc/crc32c.h"
#include "journal.h"

_Static_assert(sizeof(struct journal_hdr) == JOURNAL_HDR_SIZE, "journal header size");
_Static_assert(sizeof(struct journal_accept) == 56, "JR_ACCEPT header size");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the journal is little-endian");

#define WRITE_AHEAD  (1u << 20) /* appended bytes written out before the commit */
#define SEG_NAME_LEN 21		/* 16 hex digits, ".jnl", NUL */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void seg_name(char buf[SEG_NAME_LEN], uint64_t first_seq)
{
	snprintf(buf, SEG_NAME_LEN, "%016" PRIx64 ".jnl", first_seq);
}

/* The CRC of a record: the header after its crc field, then the body. */
static uint32_t record_crc(const struct journal_hdr *h, const struct iovec *iov, int iovcnt)
{
	uint32_t crc = ctripc_crc32c(0, &h->len, JOURNAL_HDR_SIZE - 8);

	for (int i = 0; i < iovcnt; i++)
		crc = ctripc_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
	return crc;
}

int journal_check(const unsigned char *p, uint64_t avail, uint32_t *ret_len)
{
	struct journal_hdr h;
	struct iovec body;

	if (avail < JOURNAL_HDR_SIZE)
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (h.magic != JOURNAL_MAGIC || h.type < JR_SEGMENT || h.type > JR_TYPE_MAX ||
	    h.len > avail - JOURNAL_HDR_SIZE)
		return -EBADMSG;
	body = (struct iovec){ .iov_base = (void *)(p + JOURNAL_HDR_SIZE), .iov_len = h.len };
	if (record_crc(&h, &body, 1) != h.crc)
		return -EBADMSG;
	*ret_len = h.len;
	return 0;
}

/* --- segments ------------------------------------------------------------------- */

static void seg_free(struct journal_seg *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void report(struct journal_recovery *rec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct journal_recovery *rec, const char *fmt, ...)
{
	size_t n = strlen(rec->report);
	va_list ap;

	if (n + 2 >= sizeof(rec->report))
		return;
	if (n)
		rec->report[n++] = '\n';
	va_start(ap, fmt);
	vsnprintf(rec->report + n, sizeof(rec->report) - n, fmt, ap);
	va_end(ap);
}

/* The next offset from @off at which a whole, valid record starts, or @size. */
static uint64_t next_valid(const unsigned char *p, uint64_t off, uint64_t size)
{
	uint32_t len;

	for (off = JOURNAL_ALIGN(off + 1); off + JOURNAL_HDR_SIZE <= size; off += 8) {
		uint32_t magic;

		memcpy(&magic, p + off, sizeof(magic));
		if (magic == JOURNAL_MAGIC && journal_check(p + off, size - off, &len) == 0)
			return off;
	}
	return size;
}

/* Whether any byte of [@from, @to) is not zero. */
static bool any_nonzero(const unsigned char *p, uint64_t from, uint64_t to)
{
	for (; from < to && from % 8; from++)
		if (p[from])
			return true;
	for (; from + 8 <= to; from += 8) {
		uint64_t v;

		memcpy(&v, p + from, sizeof(v));
		if (v)
			return true;
	}
	for (; from < to; from++)
		if (p[from])
			return true;
	return false;
}

/*
 * Replay the records of @s to @fn; *@ret_end: where its valid records
 * end.  A record that does not check is skipped to the next one that does
 * (said in @rec); bad bytes after the last good record are a torn tail.
 */
static int seg_replay(struct journal *j, struct journal_seg *s, bool newest, journal_record_fn *fn,
		      void *arg, struct journal_recovery *rec, uint64_t *ret_end)
{
	char name[SEG_NAME_LEN];
	struct stat st;
	unsigned char *p;
	uint64_t off = 0, end = 0;
	int r = 0;

	seg_name(name, s->first_seq);
	if (fstat(s->fd, &st) < 0)
		return -errno;
	s->room = (uint64_t)st.st_size;
	*ret_end = 0;
	if (!st.st_size)
		return 0;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, s->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	while (off < s->room) {
		struct journal_hdr h;
		uint32_t len;
		uint64_t next;

		if (journal_check(p + off, s->room - off, &len) == 0) {
			memcpy(&h, p + off, sizeof(h));
			if (h.seq >= j->next_seq) {
				r = fn ? fn(arg, &h, p + off + JOURNAL_HDR_SIZE, s, off) : 0;
				if (r)
					break;
				j->next_seq = h.seq + 1;
				s->last_time = h.time;
				rec->records++;
				rec->bytes += JOURNAL_HDR_SIZE + len;
			}
			off += JOURNAL_ALIGN(JOURNAL_HDR_SIZE + len);
			end = off;
			continue;
		}
		/* Zeros where a header would be: the room reserved after the last record. */
		if (!any_nonzero(p, off,
				 off + JOURNAL_HDR_SIZE < s->room ? off + JOURNAL_HDR_SIZE
								  : s->room))
			break;
		next = next_valid(p, off, s->room);
		if (next < s->room) {
			rec->corrupt++;
			rec->dropped_bytes += next - off;
			report(rec,
			       "%s: %" PRIu64 " bytes at offset %" PRIu64
			       " do not check (CRC or length); skipped",
			       name, next - off, off);
			off = next;
			continue;
		}
		/* Nothing valid after @off: the room left, or a torn tail. */
		if (any_nonzero(p, off, s->room)) {
			uint64_t last = s->room;

			while (last > off && !p[last - 1])
				last--;
			rec->dropped_bytes += last - off;
			if (newest) {
				rec->torn++;
				report(rec,
				       "%s: a torn tail of %" PRIu64 " bytes at offset %" PRIu64
				       " cut off",
				       name, last - off, off);
			} else {
				rec->corrupt++;
				report(rec,
				       "%s: %" PRIu64 " bytes at offset %" PRIu64
				       " do not check (CRC or length); skipped",
				       name, last - off, off);
			}
		}
		break;
	}
	munmap(p, (size_t)st.st_size);
	*ret_end = end;
	return r;
}

/* Reserve @room bytes for the records of @s, written from s->written. */
static int seg_reserve(struct journal_seg *s, uint64_t room)
{
	int r;

	if (ftruncate(s->fd, (off_t)s->written) < 0)
		return -errno;
	r = posix_fallocate(s->fd, 0, (off_t)room);
	if (r == EOPNOTSUPP || r == EINVAL)
		r = ftruncate(s->fd, (off_t)room) < 0 ? errno : 0; /* no reservation here */
	if (r)
		return -r;
	s->room = room;
	return 0;
}

static int sync_dir(struct journal *j)
{
	return j->o.durability == JOURNAL_SYNC && fsync(j->dirfd) < 0 ? -errno : 0;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf = (const unsigned char *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Write what was appended to cur. */
static int write_out(struct journal *j)
{
	int r;

	if (!j->len)
		return 0;
	r = write_all(j->cur->fd, j->buf, j->len, j->cur->written);
	if (r < 0)
		return r;
	j->cur->written += j->len;
	j->len = 0;
	j->unsynced = true;
	j->writes++;
	return 0;
}

static int do_sync(struct journal *j)
{
	if (!j->unsynced)
		return 0;
	if (fdatasync(j->cur->fd) < 0)
		return -errno;
	j->unsynced = false;
	j->syncs++;
	j->last_sync = mono_ns();
	return 0;
}

static int append_raw(struct journal *j, uint16_t type, const struct iovec *iov, int iovcnt,
		      uint64_t *ret_off);

/* --- the syncer ------------------------------------------------------------------- */

static void *syncer_main(void *arg)
{
	struct journal_syncer *y = arg;

	pthread_mutex_lock(&y->lock);
	for (;;) {
		uint64_t want, one = 1;
		int fd, r;

		while (!y->stop && y->want <= y->done)
			pthread_cond_wait(&y->cond, &y->lock);
		if (y->want <= y->done)
			break; /* stopping, and nothing more to sync */
		want = y->want;
		fd = y->fd;
		pthread_mutex_unlock(&y->lock);
		r = fdatasync(fd) < 0 ? -errno : 0;
		pthread_mutex_lock(&y->lock);
		y->done = want;
		if (r < 0 && !y->error)
			y->error = r;
		pthread_cond_broadcast(&y->cond); /* syncer_drain() waits on it too */
		if (write(y->efd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow here: the loop reads it each time. */
		}
	}
	pthread_mutex_unlock(&y->lock);
	return NULL;
}

/* Until the syncer is idle: nothing of it in flight (before a roll, a close). */
static void syncer_drain(struct journal *j)
{
	struct journal_syncer *y = &j->syncer;

	if (!y->running)
		return;
	pthread_mutex_lock(&y->lock);
	while (y->want > y->done)
		pthread_cond_wait(&y->cond, &y->lock);
	pthread_mutex_unlock(&y->lock);
}

static int syncer_start(struct journal *j)
{
	struct journal_syncer *y = &j->syncer;
	int r;

	y->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (y->efd < 0)
		return -errno;
	pthread_mutex_init(&y->lock, NULL);
	pthread_cond_init(&y->cond, NULL);
	y->done = y->want = j->writes;
	r = pthread_create(&y->thread, NULL, syncer_main, y);
	if (r) {
		close(y->efd);
		y->efd = -1;
		return -r;
	}
	y->running = true;
	return 0;
}

static void syncer_stop(struct journal *j)
{
	struct journal_syncer *y = &j->syncer;

	if (!y->running)
		return;
	pthread_mutex_lock(&y->lock);
	y->stop = true;
	pthread_cond_signal(&y->cond);
	pthread_mutex_unlock(&y->lock);
	pthread_join(y->thread, NULL);
	pthread_mutex_destroy(&y->lock);
	pthread_cond_destroy(&y->cond);
	close(y->efd);
	y->efd = -1;
	y->running = false;
}

int journal_commit_start(struct journal *j)
{
	struct journal_syncer *y = &j->syncer;
	int r = write_out(j);

	j->commits++;
	if (r < 0 || j->o.durability != JOURNAL_SYNC)
		return r;
	if (!y->running && (r = syncer_start(j)) < 0)
		return r;
	pthread_mutex_lock(&y->lock);
	if (j->writes > y->want) {
		y->want = j->writes;
		y->fd = j->cur->fd;
		j->syncs++;
		j->unsynced = false;
		pthread_cond_signal(&y->cond);
	}
	pthread_mutex_unlock(&y->lock);
	return 0;
}

int64_t journal_synced(struct journal *j)
{
	struct journal_syncer *y = &j->syncer;
	int64_t done;

	if (!y->running) /* not sync, or no commit started yet: what is written counts */
		return (int64_t)j->writes;
	pthread_mutex_lock(&y->lock);
	done = y->error ? y->error : (int64_t)y->done;
	pthread_mutex_unlock(&y->lock);
	return done;
}

int journal_syncer_fd(const struct journal *j)
{
	return j->syncer.running ? j->syncer.efd : -1;
}

/* A new segment, at least @need bytes, becomes cur; the old one is written and synced. */
static int roll(struct journal *j, uint64_t need)
{
	uint64_t room = need > j->o.segment_size ? JOURNAL_ALIGN(need) : j->o.segment_size;
	char name[SEG_NAME_LEN];
	struct journal_seg *s;
	uint64_t id_floor = j->id_floor;
	struct iovec iov = { &id_floor, sizeof(id_floor) };
	int r;

	syncer_drain(j); /* it may be syncing the segment that stops being written */
	if (j->cur && ((r = write_out(j)) < 0 || (r = do_sync(j)) < 0))
		return r;
	if (j->syncer.running) {
		/* Everything written is synced now: so the syncer's count says. */
		pthread_mutex_lock(&j->syncer.lock);
		j->syncer.want = j->syncer.done = j->writes;
		pthread_mutex_unlock(&j->syncer.lock);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->first_seq = j->next_seq;
	seg_name(name, s->first_seq);
	s->fd = openat(j->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		r = -errno;
		free(s);
		return r;
	}
	r = seg_reserve(s, room);
	if (r == 0)
		r = sync_dir(j);
	if (r < 0) {
		unlinkat(j->dirfd, name, 0);
		seg_free(s);
		return r;
	}
	if (j->cur) {
		/* The old one keeps its records only: its room goes back. */
		if (ftruncate(j->cur->fd, (off_t)j->cur->written) == 0)
			j->cur->room = j->cur->written;
		j->cur->next = s;
	} else {
		j->segs = s;
	}
	j->cur = s;
	return append_raw(j, JR_SEGMENT, &iov, 1, NULL);
}

static int append_raw(struct journal *j, uint16_t type, const struct iovec *iov, int iovcnt,
		      uint64_t *ret_off)
{
	struct journal_hdr h = { .magic = JOURNAL_MAGIC, .type = type, .seq = j->next_seq };
	size_t len = 0, whole;
	unsigned char *p;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > UINT32_MAX - JOURNAL_HDR_SIZE - 8)
		return -EFBIG;
	whole = JOURNAL_ALIGN(JOURNAL_HDR_SIZE + len);
	if (j->len + whole > j->cap) {
		size_t cap = j->cap ? j->cap : 64u << 10;

		while (cap < j->len + whole)
			cap *= 2;
		p = realloc(j->buf, cap);
		if (!p)
			return -ENOMEM;
		j->buf = p;
		j->cap = cap;
	}
	h.len = (uint32_t)len;
	h.time = j->now ? j->now : real_ns();
	h.crc = record_crc(&h, iov, iovcnt);
	p = j->buf + j->len;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len) /* an empty part may have no base */
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	memset(p, 0, whole - JOURNAL_HDR_SIZE - len);
	if (ret_off)
		*ret_off = j->cur->size;
	j->len += whole;
	j->cur->size += whole;
	j->cur->last_time = h.time;
	j->total += whole;
	j->next_seq++;
	return 0;
}

int journal_append(struct journal *j, uint16_t type, const struct iovec *iov, int iovcnt,
		   struct journal_seg **ret_seg, uint64_t *ret_off)
{
	uint64_t whole = JOURNAL_HDR_SIZE;
	int r;

	for (int i = 0; i < iovcnt; i++)
		whole += iov[i].iov_len;
	whole = JOURNAL_ALIGN(whole);
	/* Room for it and the segment record of the next: else the next segment. */
	if (j->cur->size + whole > j->cur->room) {
		r = roll(j, whole + JOURNAL_ALIGN(JOURNAL_HDR_SIZE + 8));
		if (r < 0)
			return r;
	}
	r = append_raw(j, type, iov, iovcnt, ret_off);
	if (r < 0)
		return r;
	if (ret_seg)
		*ret_seg = j->cur;
	/* Appended: a failure to write ahead shows at the commit, which does not go on. */
	if (j->len >= WRITE_AHEAD)
		write_out(j);
	return 0;
}

int journal_append_id(struct journal *j, uint16_t type, uint64_t id)
{
	struct iovec iov = { &id, sizeof(id) };

	return journal_append(j, type, &iov, 1, NULL, NULL);
}

int journal_write(struct journal *j)
{
	return write_out(j);
}

int journal_commit(struct journal *j)
{
	int r = write_out(j);

	if (r == 0 && j->o.durability == JOURNAL_SYNC)
		r = do_sync(j);
	j->commits++;
	return r;
}

int journal_read(struct journal *j, const struct journal_seg *seg, uint64_t off, void *buf,
		 size_t len)
{
	if (off + len > seg->size)
		return -ERANGE;
	if (seg == j->cur && off + len > seg->written) {
		size_t from_buf;

		if (off >= seg->written) {
			memcpy(buf, j->buf + (off - seg->written), len);
			return 0;
		}
		from_buf = (size_t)(off + len - seg->written);
		memcpy((unsigned char *)buf + len - from_buf, j->buf, from_buf);
		len -= from_buf;
	}
	while (len) {
		ssize_t n = pread(seg->fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (unsigned char *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

bool journal_due(const struct journal *j, const struct journal_seg *s, uint64_t now)
{
	/* An age past what 64 bits of ns hold is no limit. */
	uint64_t age_ns = j->o.retain_age_s < UINT64_MAX / 1000000000u
				  ? j->o.retain_age_s * 1000000000u
				  : UINT64_MAX;

	return s != j->cur && (j->total > j->o.retain_bytes ||
			       (now > s->last_time && now - s->last_time > age_ns));
}

int journal_copy(struct journal *j, const struct journal_seg *from, uint64_t off,
		 struct journal_seg **ret_seg, uint64_t *ret_off)
{
	struct journal_hdr h;
	struct iovec iov;
	uint32_t len;
	int r;

	r = journal_read(j, from, off, &h, sizeof(h));
	if (r < 0)
		return r;
	if (h.magic != JOURNAL_MAGIC || h.len > from->size - off - JOURNAL_HDR_SIZE)
		return -EBADMSG;
	iov.iov_len = JOURNAL_HDR_SIZE + h.len;
	iov.iov_base = malloc(iov.iov_len);
	if (!iov.iov_base)
		return -ENOMEM;
	r = journal_read(j, from, off, iov.iov_base, iov.iov_len);
	if (r == 0 && journal_check(iov.iov_base, iov.iov_len, &len) < 0)
		r = -EBADMSG;
	if (r == 0) {
		iov.iov_base = (unsigned char *)iov.iov_base + JOURNAL_HDR_SIZE;
		iov.iov_len = h.len;
		r = journal_append(j, h.type, &iov, 1, ret_seg, ret_off);
		iov.iov_base = (unsigned char *)iov.iov_base - JOURNAL_HDR_SIZE;
	}
	free(iov.iov_base);
	return r;
}

/* The oldest segments that hold nothing live and are past the limits go. */
static void retire(struct journal *j, uint64_t now)
{
	while (j->segs && !j->segs->live && journal_due(j, j->segs, now)) {
		struct journal_seg *s = j->segs;
		char name[SEG_NAME_LEN];

		seg_name(name, s->first_seq);
		if (unlinkat(j->dirfd, name, 0) < 0 && errno != ENOENT)
			break;
		j->segs = s->next;
		j->total -= s->size;
		j->removed++;
		seg_free(s);
	}
}

int journal_tick(struct journal *j, uint64_t mono, uint64_t real)
{
	int r = write_out(j);

	if (r == 0 && j->o.durability == JOURNAL_ASYNC && j->unsynced &&
	    mono - j->last_sync >= (uint64_t)j->o.sync_interval_ms * 1000000u)
		r = do_sync(j);
	retire(j, real);
	return r;
}

/* --- opening ------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The segments in @dirfd, oldest first, in *@ret (malloc'd), their count returned. */
static int list_segments(int dirfd, uint64_t **ret)
{
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		char *end;
		uint64_t seq;

		if (strlen(e->d_name) != SEG_NAME_LEN - 1 || strcmp(e->d_name + 16, ".jnl"))
			continue;
		errno = 0;
		seq = strtoull(e->d_name, &end, 16);
		if (errno || end != e->d_name + 16)
			continue;
		if (n == cap) {
			uint64_t *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = seq;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*ret = v;
	return (int)n;
}

/* The newest segment, without a valid record: replaced by a new one. */
static int drop_newest(struct journal *j)
{
	struct journal_seg *s = j->cur, **pp = &j->segs;
	char name[SEG_NAME_LEN];

	seg_name(name, s->first_seq);
	if (unlinkat(j->dirfd, name, 0) < 0)
		return -errno;
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = NULL;
	seg_free(s);
	j->cur = NULL;
	for (struct journal_seg *o = j->segs; o; o = o->next)
		j->cur = o;
	return 0;
}

int journal_open(struct journal *j, int dirfd, const struct journal_opts *o, journal_record_fn *fn,
		 void *arg, struct journal_recovery *rec)
{
	uint64_t t0 = mono_ns(), *seqs = NULL, end = 0;
	struct journal_seg **tail;
	int n, r = 0;

	*j = (struct journal){ .dirfd = dirfd, .o = *o, .next_seq = 1, .last_sync = t0 };
	j->syncer.efd = -1;
	*rec = (struct journal_recovery){ 0 };
	if (j->o.segment_size < 4096)
		j->o.segment_size = 4096;
	n = list_segments(dirfd, &seqs);
	if (n < 0) {
		close(dirfd);
		return n;
	}
	tail = &j->segs;
	for (int i = 0; i < n; i++) {
		char name[SEG_NAME_LEN];
		struct journal_seg *s = calloc(1, sizeof(*s));

		if (!s) {
			r = -ENOMEM;
			break;
		}
		seg_name(name, seqs[i]);
		s->first_seq = seqs[i];
		s->fd = openat(dirfd, name, O_RDWR | O_CLOEXEC);
		if (s->fd < 0) {
			r = -errno;
			free(s);
			break;
		}
		*tail = s;
		tail = &s->next;
		j->cur = s;
		if (j->next_seq < s->first_seq)
			j->next_seq = s->first_seq;
		r = seg_replay(j, s, i == n - 1, fn, arg, rec, &end);
		if (r)
			break;
		s->size = s->written = end;
		j->total += end;
		rec->segments++;
	}
	free(seqs);
	if (r == 0 && j->cur) {
		/* Written from the end of its valid records: what follows is cleared. */
		uint64_t room = j->cur->room > j->o.segment_size ? j->cur->room : j->o.segment_size;

		r = j->cur->size ? seg_reserve(j->cur, room) : drop_newest(j);
		if (r == 0 && !j->cur)
			r = roll(j, 0);
	} else if (r == 0) {
		r = roll(j, 0);
	}
	if (r == 0)
		r = journal_commit(j);
	rec->usec = (mono_ns() - t0) / 1000;
	if (r) {
		journal_close(j);
		return r < 0 ? r : -ECANCELED;
	}
	return 0;
}

void journal_close(struct journal *j)
{
	if (j->cur && j->len)
		write_out(j);
	syncer_stop(j);
	while (j->segs) {
		struct journal_seg *s = j->segs;

		j->segs = s->next;
		seg_free(s);
	}
	j->cur = NULL;
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
	if (j->dirfd >= 0)
		close(j->dirfd);
	j->dirfd = -1;
}

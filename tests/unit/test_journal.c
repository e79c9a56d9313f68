// SPDX-License-Identifier: GPL-2.0-or-later
// The journal: append and recover, torn tails, corrupt records, segment roll, retention.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-ipc/crc32c.h"
#include "../../daemon/journal.h"

static char dir[64];

static int setup_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ctr-ipc-test-journal.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int dirfd_of(void)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* What a recovery saw: the types and IDs of its records, the segments of the last. */
struct seen {
	uint64_t n, ids[4096];
	uint16_t types[4096];
	uint64_t last_id_floor;
};

static int collect(void *arg, const struct journal_hdr *h, const void *body,
		   struct journal_seg *seg, uint64_t off)
{
	struct seen *s = arg;
	uint64_t id;

	assert_true(s->n < 4096);
	memcpy(&id, body, sizeof(id)); /* every body here starts with a u64 */
	if (h->type == JR_SEGMENT)
		s->last_id_floor = id;
	else {
		s->types[s->n] = h->type;
		s->ids[s->n++] = id;
	}
	return 0;
}

static const struct journal_opts opts = {
	.durability = JOURNAL_SYNC,
	.segment_size = 1u << 20,
	.retain_bytes = UINT64_MAX,
	.retain_age_s = 1000000,
};

/* Open the journal in dir with @o, replaying into @s (reset first). */
static void open_j(struct journal *j, const struct journal_opts *o, struct seen *s,
		   struct journal_recovery *rec)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(journal_open(j, dirfd_of(), o, collect, s, rec), 0);
}

/* A message record whose body starts with its ID, @extra bytes of payload after. */
static void put(struct journal *j, uint16_t type, uint64_t id, size_t extra)
{
	static unsigned char pad[65536];
	struct iovec iov[2] = { { &id, sizeof(id) }, { pad, extra } };

	memset(pad, (int)id, extra);
	assert_int_equal(journal_append(j, type, iov, 2, NULL, NULL), 0);
}

static void test_crc32c(void **state)
{
	/* The check value of CRC-32C (RFC 3720, appendix B.4). */
	assert_int_equal(ctripc_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(ctripc_crc32c(ctripc_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	assert_int_equal(ctripc_crc32c(0, "", 0), 0);
}

static void test_append_and_recover(void **state)
{
	struct journal j;
	struct journal_recovery rec;
	struct seen s;

	open_j(&j, &opts, &s, &rec);
	assert_int_equal(s.n, 0);
	assert_int_equal(rec.records, 0);
	for (uint64_t id = 1; id <= 100; id++)
		put(&j, JR_ACCEPT, id, id % 7);
	assert_int_equal(journal_append_id(&j, JR_ACK, 5), 0);
	j.id_floor = 101;
	assert_int_equal(journal_commit(&j), 0);
	assert_true(j.syncs >= 1);
	journal_close(&j);

	open_j(&j, &opts, &s, &rec);
	assert_int_equal(s.n, 101);
	for (uint64_t i = 0; i < 100; i++) {
		assert_int_equal(s.types[i], JR_ACCEPT);
		assert_int_equal(s.ids[i], i + 1);
	}
	assert_int_equal(s.types[100], JR_ACK);
	assert_int_equal(rec.records, 102); /* and the segment record */
	assert_int_equal(rec.corrupt + rec.torn + rec.dropped_bytes, 0);
	assert_string_equal(rec.report, "");
	/* Appends go on after the recovered ones, numbered on. */
	put(&j, JR_ACCEPT, 200, 3);
	assert_int_equal(journal_commit(&j), 0);
	journal_close(&j);
	open_j(&j, &opts, &s, &rec);
	assert_int_equal(s.n, 102);
	assert_int_equal(s.ids[101], 200);
	journal_close(&j);
}

/* Uncommitted appends are written by journal_read's reader, and by close. */
static void test_read_back(void **state)
{
	struct journal j;
	struct journal_recovery rec;
	struct journal_seg *seg;
	struct seen s;
	uint64_t off, id = 42;
	unsigned char body[8 + 5] = { 0 }, back[JOURNAL_HDR_SIZE + sizeof(body)];
	struct iovec iov = { body, sizeof(body) };
	struct journal_hdr h;

	open_j(&j, &opts, &s, &rec);
	memcpy(body, &id, sizeof(id));
	memcpy(body + 8, "hello", 5);
	assert_int_equal(journal_append(&j, JR_ACCEPT, &iov, 1, &seg, &off), 0);
	/* Not written yet: read from memory. */
	assert_int_equal(journal_read(&j, seg, off, back, sizeof(back)), 0);
	memcpy(&h, back, sizeof(h));
	assert_int_equal(h.type, JR_ACCEPT);
	assert_memory_equal(back + JOURNAL_HDR_SIZE + 8, "hello", 5);
	assert_int_equal(journal_commit(&j), 0);
	memset(back, 0, sizeof(back));
	assert_int_equal(journal_read(&j, seg, off, back, sizeof(back)), 0);
	assert_memory_equal(back + JOURNAL_HDR_SIZE + 8, "hello", 5);
	assert_int_equal(journal_read(&j, seg, seg->size, back, 1), -ERANGE);
	journal_close(&j);
}

/* The newest segment's file (there is one here). */
static void newest_path(char *buf, size_t len)
{
	char cmd[160];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls '%s'/*.jnl | tail -n 1", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	buf[strcspn(buf, "\n")] = '\0';
	pclose(f);
}

static void test_torn_tail_every_offset(void **state)
{
	struct journal j;
	struct journal_recovery rec;
	struct seen s;
	struct stat st;
	char path[256];
	unsigned char *whole;
	uint64_t last_off, data_end;
	int fd;

	open_j(&j, &opts, &s, &rec);
	for (uint64_t id = 1; id <= 9; id++)
		put(&j, JR_ACCEPT, id, 20);
	last_off = j.cur->size;
	put(&j, JR_ACCEPT, 10, 20);
	data_end = j.cur->size;
	assert_int_equal(journal_commit(&j), 0);
	journal_close(&j);
	newest_path(path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	whole = malloc(data_end);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, whole, data_end, 0), (ssize_t)data_end);
	close(fd);

	/* The last record cut at each byte (its padding is not read): the nine before are whole. */
	for (uint64_t cut = last_off; cut < last_off + JOURNAL_HDR_SIZE + 8 + 20; cut++) {
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, whole, cut), (ssize_t)cut);
		close(fd);
		open_j(&j, &opts, &s, &rec);
		assert_int_equal(s.n, 9);
		assert_int_equal(s.ids[8], 9);
		assert_int_equal(rec.corrupt, 0);
		if (cut > last_off) {
			assert_int_equal(rec.torn, 1);
			assert_true(rec.dropped_bytes > 0 && rec.dropped_bytes <= cut - last_off);
			assert_non_null(strstr(rec.report, "torn tail"));
		} else {
			assert_int_equal(rec.torn, 0);
		}
		/* Cut off for good: an append now is found whole, and no garbage after it. */
		put(&j, JR_ACCEPT, 11, 3);
		assert_int_equal(journal_commit(&j), 0);
		journal_close(&j);
		open_j(&j, &opts, &s, &rec);
		assert_int_equal(s.n, 10);
		assert_int_equal(s.ids[9], 11);
		assert_int_equal(rec.torn + rec.corrupt, 0);
		journal_close(&j);
	}
	free(whole);
}

static void test_flipped_byte_in_the_middle(void **state)
{
	struct journal j;
	struct journal_recovery rec;
	struct seen s;
	char path[256];
	uint64_t offs[11];
	size_t recsize = JOURNAL_ALIGN(JOURNAL_HDR_SIZE + 8 + 40);

	/* Every byte of the fifth record, in turn: header (magic, CRC, length...) and body. */
	for (size_t at = 0; at < recsize; at++) {
		unsigned char c;
		int fd;

		teardown_dir(state);
		setup_dir(state);
		open_j(&j, &opts, &s, &rec);
		for (uint64_t id = 1; id <= 10; id++) {
			offs[id] = j.cur->size;
			put(&j, JR_ACCEPT, id, 40);
		}
		assert_int_equal(journal_commit(&j), 0);
		journal_close(&j);
		newest_path(path, sizeof(path));
		fd = open(path, O_RDWR);
		assert_int_equal(pread(fd, &c, 1, (off_t)(offs[5] + at)), 1);
		c ^= 0x5a;
		assert_int_equal(pwrite(fd, &c, 1, (off_t)(offs[5] + at)), 1);
		close(fd);

		open_j(&j, &opts, &s, &rec);
		if (at >= JOURNAL_HDR_SIZE + 8 + 40) {
			/* The padding is not covered, nor read. */
			assert_int_equal(s.n, 10);
			journal_close(&j);
			continue;
		}
		assert_int_equal(s.n, 9);
		for (uint64_t i = 0; i < 9; i++)
			assert_int_equal(s.ids[i], i < 4 ? i + 1 : i + 2);
		assert_int_equal(rec.corrupt, 1);
		assert_int_equal(rec.torn, 0);
		assert_int_equal(rec.dropped_bytes, recsize);
		{
			char want[64];

			snprintf(want, sizeof(want), "at offset %llu", (unsigned long long)offs[5]);
			assert_non_null(strstr(rec.report, want));
			assert_non_null(strstr(rec.report, strrchr(path, '/') + 1));
		}
		journal_close(&j);
	}
}

static void test_segment_roll(void **state)
{
	struct journal_opts o = opts;
	struct journal j;
	struct journal_recovery rec;
	struct seen s;
	int segs = 0;

	o.segment_size = 8192;
	open_j(&j, &o, &s, &rec);
	for (uint64_t id = 1; id <= 500; id++) {
		put(&j, JR_ACCEPT, id, 100);
		j.id_floor = id + 1;
	}
	/* A record larger than a segment gets one of its own. */
	put(&j, JR_ACCEPT, 501, 20000);
	j.id_floor = 502;
	put(&j, JR_ACCEPT, 502, 10);
	assert_int_equal(journal_commit(&j), 0);
	for (struct journal_seg *g = j.segs; g; g = g->next) {
		segs++;
		assert_true(g->size <= 8192 || g->size > 20000);
	}
	assert_true(segs >= 500 * 144 / 8192);
	journal_close(&j);
	open_j(&j, &o, &s, &rec);
	assert_int_equal(s.n, 502);
	for (uint64_t i = 0; i < 502; i++)
		assert_int_equal(s.ids[i], i + 1);
	assert_int_equal(rec.segments, segs);
	assert_int_equal(rec.torn + rec.corrupt, 0);
	/* Each segment's first record holds the next ID at its start. */
	assert_int_equal(s.last_id_floor, 502);
	journal_close(&j);
}

/* Compaction's copy: the record again in the newest segment; the old one can go. */
static void test_copy_for_compaction(void **state)
{
	struct journal_opts o = opts;
	struct journal j;
	struct journal_recovery rec;
	struct journal_seg *old, *to;
	uint64_t off, off1, id;
	unsigned char body[8 + 100];
	struct seen s;
	struct iovec iov = { body, sizeof(body) };

	o.segment_size = 4096;
	o.retain_bytes = 0;
	open_j(&j, &o, &s, &rec);
	id = 1;
	memcpy(body, &id, sizeof(id));
	memset(body + 8, 0x5a, 100);
	assert_int_equal(journal_append(&j, JR_ACCEPT, &iov, 1, &old, &off1), 0);
	old->live = 1;
	for (id = 2; id <= 100; id++)
		put(&j, JR_ACCEPT, id, 100);
	assert_int_equal(journal_commit(&j), 0);
	assert_ptr_not_equal(j.cur, old);
	assert_true(journal_due(&j, old, j.cur->last_time));
	assert_false(journal_due(&j, j.cur, j.cur->last_time));
	/* Copied: the same body, in the segment written to. */
	assert_int_equal(journal_copy(&j, old, off1, &to, &off), 0);
	assert_ptr_equal(to, j.cur);
	{
		unsigned char back[sizeof(body)];
		struct journal_hdr h;

		assert_int_equal(journal_read(&j, to, off, &h, sizeof(h)), 0);
		assert_int_equal(h.type, JR_ACCEPT);
		assert_int_equal(h.len, sizeof(body));
		assert_int_equal(journal_read(&j, to, off + JOURNAL_HDR_SIZE, back, sizeof(back)),
				 0);
		assert_memory_equal(back, body, sizeof(body));
	}
	old->live = 0;
	to->live = 1;
	assert_int_equal(journal_commit(&j), 0);
	assert_int_equal(journal_tick(&j, 0, j.cur->last_time), 0);
	assert_ptr_not_equal(j.segs, old); /* gone */
	journal_close(&j);
	/* The recovery finds the copy, after the newer IDs. */
	open_j(&j, &o, &s, &rec);
	assert_int_equal(s.types[s.n - 1], JR_ACCEPT);
	assert_int_equal(s.ids[s.n - 1], 1);
	assert_int_equal(rec.torn + rec.corrupt, 0);
	journal_close(&j);
}

static int count_segments(void)
{
	char cmd[160];
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c 'jnl$'", dir);
	f = popen(cmd, "r");
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

static void test_retention_by_size(void **state)
{
	struct journal_opts o = opts;
	struct journal j;
	struct journal_recovery rec;
	struct journal_seg *held;
	struct seen s;
	uint64_t now;

	o.segment_size = 4096;
	o.retain_bytes = 16384;
	open_j(&j, &o, &s, &rec);
	put(&j, JR_ACCEPT, 1, 100);
	held = j.cur;
	held->live = 1; /* message 1 is still held */
	for (uint64_t id = 2; id <= 400; id++)
		put(&j, JR_ACCEPT, id, 100);
	assert_int_equal(journal_commit(&j), 0);
	now = j.cur->last_time;
	/* Nothing goes while the oldest holds a live message. */
	assert_int_equal(journal_tick(&j, 0, now), 0);
	assert_ptr_equal(j.segs, held);
	assert_int_equal(j.removed, 0);
	/* Once it is gone, the oldest go until what is kept fits the limit. */
	held->live = 0;
	assert_int_equal(journal_tick(&j, 0, now), 0);
	assert_true(j.removed > 0);
	assert_true(j.total <= 16384);
	{
		int n = 0;

		for (struct journal_seg *g = j.segs; g; g = g->next)
			n++;
		assert_int_equal(count_segments(), n);
	}
	journal_close(&j);
	/* What is left recovers, and IDs continue past every removed one. */
	open_j(&j, &o, &s, &rec);
	assert_true(s.n > 0 && s.n < 400);
	assert_int_equal(s.ids[s.n - 1], 400);
	journal_close(&j);
}

static void test_retention_by_age(void **state)
{
	struct journal_opts o = opts;
	struct journal j;
	struct journal_recovery rec;
	struct seen s;
	uint64_t newest;

	o.segment_size = 4096;
	o.retain_age_s = 60;
	open_j(&j, &o, &s, &rec);
	for (uint64_t id = 1; id <= 100; id++)
		put(&j, JR_ACCEPT, id, 100);
	assert_int_equal(journal_commit(&j), 0);
	newest = j.cur->last_time;
	/* Young enough: all kept. */
	assert_int_equal(journal_tick(&j, 0, newest + 59ull * 1000000000u), 0);
	assert_int_equal(j.removed, 0);
	/* A minute on, every full segment goes; the one written to stays. */
	assert_int_equal(journal_tick(&j, 0, newest + 61ull * 1000000000u), 0);
	assert_true(j.removed > 0);
	assert_ptr_equal(j.segs, j.cur);
	assert_int_equal(count_segments(), 1);
	journal_close(&j);
}

/* Async: written at once (a killed process loses nothing), synced at the interval. */
static void test_async_interval(void **state)
{
	struct journal_opts o = opts;
	struct journal j;
	struct journal_recovery rec;
	struct seen s;

	o.durability = JOURNAL_ASYNC;
	o.sync_interval_ms = 100;
	open_j(&j, &o, &s, &rec);
	put(&j, JR_ACCEPT, 1, 10);
	assert_int_equal(journal_commit(&j), 0);
	assert_true(j.unsynced);
	assert_int_equal(j.len, 0);
	assert_int_equal(journal_tick(&j, j.last_sync + 50000000u, 0), 0);
	assert_true(j.unsynced);
	assert_int_equal(journal_tick(&j, j.last_sync + 100000000u, 0), 0);
	assert_false(j.unsynced);
	journal_close(&j);
}

/* A disk with no room for the next segment: refused, nothing lost, usable once there is. */
static void test_no_room_for_a_segment(void **state)
{
	struct journal_opts o = opts;
	struct journal j;
	struct journal_recovery rec;
	struct seen s;
	char cmd[256];
	uint64_t id = 0;
	int r = 0;

	if (geteuid() != 0) {
		/* Mounting a small tmpfs needs root: say so, and count it as not run. */
		skip();
	}
	snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=64k tmpfs '%s'", dir);
	assert_int_equal(system(cmd), 0);
	o.segment_size = 16384;
	open_j(&j, &o, &s, &rec);
	while (r == 0 && id < 10000) {
		struct iovec iov[2];
		static unsigned char pad[1000];

		id++;
		iov[0] = (struct iovec){ &id, sizeof(id) };
		iov[1] = (struct iovec){ pad, sizeof(pad) };
		r = journal_append(&j, JR_ACCEPT, iov, 2, NULL, NULL);
		if (r == 0)
			assert_int_equal(journal_commit(&j), 0);
	}
	assert_int_equal(r, -ENOSPC);
	journal_close(&j);
	open_j(&j, &o, &s, &rec);
	assert_int_equal(s.n, id - 1); /* every one appended before is there */
	assert_int_equal(rec.torn + rec.corrupt, 0);
	journal_close(&j);
	snprintf(cmd, sizeof(cmd), "umount '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_append_and_recover, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_back, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_torn_tail_every_offset, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_flipped_byte_in_the_middle, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_segment_roll, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_copy_for_compaction, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_retention_by_size, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_retention_by_age, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_async_interval, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_no_room_for_a_segment, setup_dir,
						teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

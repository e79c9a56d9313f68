// SPDX-License-Identifier: GPL-2.0-or-later
// The buffer's message store: interned names, the pool, the index by ID, payloads read back.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/store.h"

static void test_names_interned_and_counted(void **state)
{
	struct name_table t = { 0 };
	const char *a = name_get(&t, "box/a", 5), *b = name_get(&t, "box/ab", 6);
	const char *a2 = name_get(&t, "box/a-and-more", 5); /* only its first 5 bytes */
	char names[2000][16];

	assert_non_null(a);
	assert_string_equal(a, "box/a");
	assert_string_equal(b, "box/ab");
	assert_ptr_equal(a, a2);
	assert_ptr_not_equal(a, b);
	assert_int_equal(name_of(a)->refs, 2);
	assert_ptr_equal(name_ref(a), a);
	assert_int_equal(name_of(a)->refs, 3);
	/* Many: the table grows, every one is found again. */
	for (int i = 0; i < 2000; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d/ep", i);
		assert_non_null(name_get(&t, names[i], strlen(names[i])));
	}
	assert_int_equal(t.n, 2002);
	assert_true(t.cap >= t.n);
	for (int i = 0; i < 2000; i++) {
		const char *p = name_get(&t, names[i], strlen(names[i]));

		assert_string_equal(p, names[i]);
		assert_int_equal(name_of(p)->refs, 2);
		name_put(&t, p);
		name_put(&t, p);
	}
	assert_int_equal(t.n, 2);
	/* The last reference frees it; a new get makes a new one. */
	name_put(&t, a);
	name_put(&t, a);
	assert_int_equal(t.n, 2);
	name_put(&t, a);
	assert_int_equal(t.n, 1);
	name_put(&t, NULL);
	a = name_get(&t, "box/a", 5);
	assert_int_equal(name_of(a)->refs, 1);
	assert_int_equal(t.n, 2);
	name_table_free(&t);
	assert_null(t.v);
}

static void test_pool_gives_zeroed_records_and_takes_them_back(void **state)
{
	struct store s = { 0 };
	static struct bus_msg *v[3 * STORE_BLOCK_MSGS];
	size_t n = sizeof(v) / sizeof(v[0]);

	for (size_t i = 0; i < n; i++) {
		v[i] = msg_alloc(&s);
		assert_non_null(v[i]);
		assert_int_equal(v[i]->id, 0);
		assert_null(v[i]->payload);
		v[i]->id = i + 1;
		v[i]->source = name_get(&s.names, "a/b", 3);
		v[i]->payload = malloc(8); /* freed with it */
		v[i]->len = 8;
	}
	assert_int_equal(s.in_use, n);
	assert_int_equal(name_of(v[0]->source)->refs, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i]->id, i + 1); /* no two share a record */
	for (size_t i = 0; i < n; i++)
		msg_free(&s, v[i]);
	assert_int_equal(s.in_use, 0);
	assert_int_equal(s.names.n, 0);
	/* Taken again: zeroed. */
	v[0] = msg_alloc(&s);
	assert_int_equal(v[0]->id, 0);
	assert_null(v[0]->source);
	msg_free(&s, v[0]);
	msg_free(&s, NULL);
	store_free(&s);
}

static void test_held_index(void **state)
{
	struct held_index h = { 0 };
	static struct bus_msg m[5000];

	for (size_t i = 0; i < 5000; i++) {
		m[i].id = 10 + 2 * i; /* 10, 12, ... */
		assert_int_equal(held_room(&h), 0);
		held_add(&h, &m[i]);
	}
	assert_ptr_equal(held_find(&h, 10), &m[0]);
	assert_ptr_equal(held_find(&h, 10 + 2 * 4999), &m[4999]);
	assert_null(held_find(&h, 11));
	assert_null(held_find(&h, 9));
	assert_int_equal(held_lower(&h, 11), 1);
	assert_int_equal(held_lower(&h, 100000), 5000);
	/* A message that leaves leaves a hole; few holes are not compacted. */
	held_remove(&h, &m[1]);
	assert_null(held_find(&h, 12));
	held_compact(&h);
	assert_int_equal(h.n, 5000);
	/* Past half of it, they are: the order stays. */
	for (size_t i = 0; i < 5000; i += 3)
		held_remove(&h, &m[i]);
	for (size_t i = 2; i < 5000; i += 3)
		held_remove(&h, &m[i]);
	held_compact(&h);
	assert_int_equal(h.holes, 0);
	assert_int_equal(h.n, 1666); /* those at i % 3 == 1 (1667), but m[1] */
	for (size_t i = 1; i < h.n; i++)
		assert_true(h.ids[i - 1] < h.ids[i] && h.v[i]->id == h.ids[i]);
	assert_ptr_equal(held_find(&h, m[4].id), &m[4]);
	assert_null(held_find(&h, m[3].id));
	free(h.ids);
	free(h.v);
}

/* A JR_ACCEPT record for @m, as the buffer writes it. */
static void append_accept(struct journal *j, struct bus_msg *m, const char *payload)
{
	struct journal_accept a = {
		.id = m->id,
		.payload_len = m->len,
		.source_len = (uint16_t)strlen(m->source),
		.dest_len = (uint16_t)strlen(m->dest),
		.category_len = (uint16_t)strlen(m->category),
	};
	struct iovec iov[] = {
		{ &a, sizeof(a) },
		{ (char *)m->source, a.source_len },
		{ (char *)m->dest, a.dest_len },
		{ (char *)m->category, a.category_len },
		{ (char *)payload, m->len },
	};
	uint64_t off;

	assert_int_equal(journal_append(j, JR_ACCEPT, iov, 5, &m->seg, &off), 0);
	m->joff = (uint32_t)off;
}

static int nothing(void *arg, const struct journal_hdr *h, const void *body,
		   struct journal_seg *seg, uint64_t off)
{
	return 0;
}

/*
 * The history: entries in the order they finished, numbered for ever; a
 * removed segment's entries go from the front, are skipped in the middle,
 * and the memory of those gone is given back.
 */
static void test_history_follows_the_segments(void **state)
{
	struct history h = { 0 };
	const struct history_entry *e;
	uint64_t n;

	(void)state;
	/* 10,000 messages in segments 100, 200, ... of 1000 each; those of 500 finish late. */
	for (uint64_t id = 1; id <= 10000; id++) {
		uint64_t seg = ((id - 1) / 1000 + 1) * 100;
		struct history_entry in = {
			.id = id, .seg_seq = seg, .joff = (uint32_t)id * 64, .state = MSG_ACKED
		};

		if (seg == 500)
			continue;
		assert_int_equal(history_push(&h, &in), 0);
		if (id == 7500)
			for (uint64_t late = 4001; late <= 5000; late++) {
				in = (struct history_entry){ .id = late,
							     .seg_seq = 500,
							     .joff = (uint32_t)late * 64,
							     .state = MSG_EXPIRED,
							     .why = HISTORY_WHY_TTL };
				assert_int_equal(history_push(&h, &in), 0);
			}
	}
	assert_int_equal(history_end(&h), 10000);
	e = history_find(&h, 4500);
	assert_non_null(e);
	assert_int_equal(e->seg_seq, 500);
	assert_int_equal(e->state, MSG_EXPIRED);
	assert_int_equal(history_at(&h, 0)->id, 1);
	assert_null(history_at(&h, 10000));
	assert_null(history_find(&h, 10001));
	{
		/* Many at once, by number; an ID twice, one not there. */
		const uint64_t ids[] = { 4500, 1, 7501, 4500, 10001 };
		uint64_t at[5];

		assert_int_equal(history_find_many(&h, ids, 5, at), 0);
		assert_int_equal(at[0], 6500 + 499); /* 500's came after 7500 */
		assert_int_equal(at[1], 0);
		assert_int_equal(at[2], 7500);
		assert_int_equal(at[3], at[0]);
		assert_int_equal(at[4], UINT64_MAX);
		assert_int_equal(history_at(&h, at[0])->id, 4500);
	}

	/* Segments 100 to 300 go: 3000 entries from the front. */
	history_trim(&h, 400);
	assert_int_equal(h.base, 3000);
	assert_null(history_at(&h, 2999));
	assert_int_equal(history_at(&h, 3000)->id, 3001);
	assert_null(history_find(&h, 2000));

	/* Segments 400 to 600 go: 400's from the front; 500's, in the middle, are skipped. */
	history_trim(&h, 700);
	assert_int_equal(h.base, 5000); /* 400's and 600's; 700's first (ID 6001) stops it */
	assert_int_equal(history_at(&h, 5000)->id, 6001);
	n = 0;
	for (uint64_t i = h.base; i < history_end(&h); i++)
		if ((e = history_at(&h, i)))
			n++;
		else
			assert_true(h.v[h.head + (i - h.base)].seg_seq < 700);
	assert_int_equal(n, 4000); /* 6001 to 7500 and 7501 to 10000; 500's 1000 skipped */
	assert_null(history_find(&h, 4500));

	/* All gone: memory back to a small array. */
	history_trim(&h, UINT64_MAX);
	assert_int_equal(h.n, 0);
	assert_true(h.cap < 16384);
	assert_int_equal(history_end(&h), 10000);
	history_free(&h);
}

static void test_payload_on_disk_read_back_and_checked(void **state)
{
	char dir[] = "/tmp/ctr-ipc-test-store.XXXXXX", path[128], cmd[160];
	struct journal_opts o = { .durability = JOURNAL_ASYNC,
				  .segment_size = 1u << 20,
				  .sync_interval_ms = 1000,
				  .retain_bytes = UINT64_MAX,
				  .retain_age_s = 1000000 };
	struct store s = { .cache_max = 100 };
	struct journal_recovery rec;
	struct journal j;
	struct bus_msg *m[3];
	const unsigned char *p;
	const char *texts[3] = { "the first payload", "a second one, longer than the first",
				 "third" };
	unsigned char byte;
	int fd, err = 0;

	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(journal_open(&j, fd, &o, nothing, NULL, &rec), 0);
	for (int i = 0; i < 3; i++) {
		m[i] = msg_alloc(&s);
		m[i]->id = 100 + i;
		m[i]->source = name_get(&s.names, "alpha/tx", 8);
		m[i]->dest = name_get(&s.names, "beta/rx", 7);
		m[i]->category = name_get(&s.names, "t.x", 3);
		m[i]->len = (uint32_t)strlen(texts[i]);
		m[i]->payload = (unsigned char *)strdup(texts[i]);
		append_accept(&j, m[i], texts[i]);
	}
	/* Kept within the budget (17 + 35 bytes of 100); the third goes to disk. */
	store_settle(&s, m[0], true);
	store_settle(&s, m[1], true);
	store_settle(&s, m[2], false);
	assert_true(m[0]->cached && m[1]->cached);
	assert_int_equal(s.cached, 17 + 35);
	assert_null(m[2]->payload);
	/* Read back while the record is still in the journal's memory, then from the file. */
	p = store_payload(&s, &j, m[2], &err);
	assert_non_null(p);
	assert_memory_equal(p, "third", 5);
	assert_int_equal(journal_write(&j), 0);
	store_evict(&s, m[1]);
	assert_int_equal(s.cached, 17);
	p = store_payload(&s, &j, m[1], &err);
	assert_non_null(p);
	assert_memory_equal(p, texts[1], m[1]->len);
	assert_int_equal(s.reads, 2);
	/* Over the budget: not kept. */
	s.cache_max = 20;
	m[1]->payload = (unsigned char *)strdup(texts[1]);
	store_settle(&s, m[1], true);
	assert_null(m[1]->payload);
	/* A byte flipped on disk: refused, not handed on. */
	snprintf(path, sizeof(path), "%s/%016llx.jnl", dir,
		 (unsigned long long)m[1]->seg->first_seq);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, m[1]->joff + 60), 1);
	byte ^= 0x20;
	assert_int_equal(pwrite(fd, &byte, 1, m[1]->joff + 60), 1);
	close(fd);
	assert_null(store_payload(&s, &j, m[1], &err));
	assert_int_equal(err, -EBADMSG);
	/* A record that is another message's: refused too. */
	m[2]->id = 999;
	assert_null(store_payload(&s, &j, m[2], &err));
	assert_int_equal(err, -EBADMSG);
	/* In memory: given as it is, no read. */
	assert_ptr_equal(store_payload(&s, &j, m[0], &err), m[0]->payload);
	for (int i = 0; i < 3; i++)
		msg_free(&s, m[i]);
	assert_int_equal(s.cached, 0);
	assert_int_equal(s.names.n, 0);
	store_free(&s);
	journal_close(&j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_interned_and_counted),
		cmocka_unit_test(test_pool_gives_zeroed_records_and_takes_them_back),
		cmocka_unit_test(test_held_index),
		cmocka_unit_test(test_history_follows_the_segments),
		cmocka_unit_test(test_payload_on_disk_read_back_and_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

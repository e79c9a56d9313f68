// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The buffer's message store: a pool of fixed message records, interned
 * names, the index by ID, and payloads read back from the journal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

_Static_assert(sizeof(struct bus_msg) == 104, "a held message is 104 bytes: keep it so");

/* --- interned names --------------------------------------------------------------- */

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct bus_name *name_of(const char *s)
{
	return (struct bus_name *)(s - offsetof(struct bus_name, s));
}

static int names_grow(struct name_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct bus_name **v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		while (t->v[i]) {
			struct bus_name *n = t->v[i];

			t->v[i] = n->next;
			n->next = v[n->hash & (cap - 1)];
			v[n->hash & (cap - 1)] = n;
		}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

const char *name_get(struct name_table *t, const char *s, size_t len)
{
	uint32_t h = name_hash(s, len);
	struct bus_name *n;

	for (n = t->cap ? t->v[h & (t->cap - 1)] : NULL; n; n = n->next)
		if (n->hash == h && strncmp(n->s, s, len) == 0 && n->s[len] == '\0') {
			n->refs++;
			return n->s;
		}
	if (t->n >= t->cap && names_grow(t) < 0)
		return NULL;
	n = malloc(sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	n->holder = NULL;
	n->refs = 1;
	n->hash = h;
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	n->next = t->v[h & (t->cap - 1)];
	t->v[h & (t->cap - 1)] = n;
	t->n++;
	return n->s;
}

const char *name_ref(const char *s)
{
	name_of(s)->refs++;
	return s;
}

void name_put(struct name_table *t, const char *s)
{
	struct bus_name *n, **pp;

	if (!s)
		return;
	n = name_of(s);
	if (--n->refs)
		return;
	for (pp = &t->v[n->hash & (t->cap - 1)]; *pp != n; pp = &(*pp)->next)
		;
	*pp = n->next;
	t->n--;
	free(n);
}

void name_table_free(struct name_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		while (t->v[i]) {
			struct bus_name *n = t->v[i];

			t->v[i] = n->next;
			free(n);
		}
	free(t->v);
	*t = (struct name_table){ 0 };
}

/* --- held messages by ID ---------------------------------------------------------------- */

int held_room(struct held_index *h)
{
	size_t cap = h->cap ? h->cap * 2 : 1024;
	struct bus_msg **v;
	uint64_t *ids;

	if (h->n < h->cap)
		return 0;
	ids = realloc(h->ids, cap * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	h->ids = ids;
	v = realloc(h->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

void held_add(struct held_index *h, struct bus_msg *m)
{
	h->ids[h->n] = m->id;
	h->v[h->n++] = m;
}

size_t held_lower(const struct held_index *h, uint64_t id)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct bus_msg *held_find(const struct held_index *h, uint64_t id)
{
	size_t i = held_lower(h, id);

	return i < h->n && h->ids[i] == id ? h->v[i] : NULL;
}

void held_remove(struct held_index *h, const struct bus_msg *m)
{
	size_t i = m->id ? held_lower(h, m->id) : h->n;

	if (i < h->n && h->v[i] == m) {
		h->v[i] = NULL;
		h->holes++;
	}
}

void held_compact(struct held_index *h)
{
	size_t to = 0;

	if (h->holes < 1024 || h->holes < h->n / 2)
		return;
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i]) {
			h->ids[to] = h->ids[i];
			h->v[to++] = h->v[i];
		}
	h->n = to;
	h->holes = 0;
}

/* --- the pool ------------------------------------------------------------------------ */

/*
 * Records come from blocks, with no allocator's header each: 104 bytes a
 * message, not 112.  Under AddressSanitizer each is its own allocation,
 * so that a use after free is caught.
 */
#if defined(__SANITIZE_ADDRESS__)
#define STORE_POOL 0
#else
#define STORE_POOL 1
#endif

struct bus_msg *msg_alloc(struct store *s)
{
	struct bus_msg *m;

	if (!STORE_POOL) {
		m = calloc(1, sizeof(*m));
	} else {
		if (!s->free) {
			void **blocks = realloc(s->blocks, (s->n_blocks + 1) * sizeof(*blocks));
			struct bus_msg *v;

			if (!blocks)
				return NULL;
			s->blocks = blocks;
			v = malloc(STORE_BLOCK_MSGS * sizeof(*v));
			if (!v)
				return NULL;
			s->blocks[s->n_blocks++] = v;
			for (size_t i = STORE_BLOCK_MSGS; i-- > 0;) {
				v[i].next = s->free;
				s->free = &v[i];
			}
		}
		m = s->free;
		s->free = m->next;
		memset(m, 0, sizeof(*m));
	}
	if (m)
		s->in_use++;
	return m;
}

void msg_free(struct store *s, struct bus_msg *m)
{
	if (!m)
		return;
	name_put(&s->names, m->source);
	name_put(&s->names, m->dest);
	name_put(&s->names, m->category);
	if (m->cached)
		s->cached -= m->len;
	free(m->payload);
	s->in_use--;
	if (!STORE_POOL) {
		free(m);
		return;
	}
	m->next = s->free;
	s->free = m;
}

/* --- payloads ------------------------------------------------------------------------- */

void store_evict(struct store *s, struct bus_msg *m)
{
	if (!m->seg || !m->payload)
		return;
	if (m->cached)
		s->cached -= m->len;
	m->cached = false;
	free(m->payload);
	m->payload = NULL;
}

void store_settle(struct store *s, struct bus_msg *m, bool keep)
{
	if (!m->seg || !m->payload || m->cached)
		return;
	if (keep && s->cached + m->len <= s->cache_max) {
		s->cached += m->len;
		m->cached = true;
		return;
	}
	store_evict(s, m);
}

const unsigned char *store_payload(struct store *s, struct journal *j, const struct bus_msg *m,
				   int *err)
{
	size_t names = strlen(m->source) + strlen(m->dest) + strlen(m->category);
	size_t body = sizeof(struct journal_accept) + names + m->len;
	size_t total = JOURNAL_HDR_SIZE + body;
	struct journal_accept a;
	struct journal_hdr h;
	uint32_t len;
	int r;

	if (m->payload || !m->len)
		return m->payload;
	if (!m->seg) {
		*err = -ENODATA;
		return NULL;
	}
	if (total > s->scratch_cap) {
		unsigned char *p = realloc(s->scratch, total);

		if (!p) {
			*err = -ENOMEM;
			return NULL;
		}
		s->scratch = p;
		s->scratch_cap = total;
	}
	r = journal_read(j, m->seg, m->joff, s->scratch, total);
	if (r < 0) {
		*err = r;
		return NULL;
	}
	memcpy(&h, s->scratch, sizeof(h));
	memcpy(&a, s->scratch + JOURNAL_HDR_SIZE, sizeof(a));
	if (journal_check(s->scratch, total, &len) < 0 || len != body || h.type != JR_ACCEPT ||
	    a.id != m->id || a.payload_len != m->len) {
		*err = -EBADMSG;
		return NULL;
	}
	s->reads++;
	return s->scratch + JOURNAL_HDR_SIZE + sizeof(a) + names;
}

/* --- finished messages the journal keeps ------------------------------------------ */

int history_push(struct history *h, const struct history_entry *e)
{
	if (h->head + h->n == h->cap) {
		if (h->head >= h->cap / 2 && h->head) { /* the front's room, taken back */
			memmove(h->v, h->v + h->head, h->n * sizeof(*h->v));
			h->head = 0;
		} else {
			size_t cap = h->cap ? h->cap * 2 : 1024;
			struct history_entry *v = realloc(h->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			h->v = v;
			h->cap = cap;
		}
	}
	h->v[h->head + h->n++] = *e;
	return 0;
}

void history_trim(struct history *h, uint64_t floor)
{
	h->floor = floor;
	while (h->n && h->v[h->head].seg_seq < floor) {
		h->head++;
		h->n--;
		h->base++;
	}
	if (!h->n)
		h->head = 0;
	if (h->cap > 1024 && h->n < h->cap / 4) { /* most of it gone: give memory back */
		size_t cap = h->cap / 2;
		struct history_entry *v;

		memmove(h->v, h->v + h->head, h->n * sizeof(*h->v));
		h->head = 0;
		v = realloc(h->v, cap * sizeof(*v));
		if (v) {
			h->v = v;
			h->cap = cap;
		}
	}
}

const struct history_entry *history_at(const struct history *h, uint64_t n)
{
	const struct history_entry *e;

	if (n < h->base || n - h->base >= h->n)
		return NULL;
	e = &h->v[h->head + (n - h->base)];
	return e->seg_seq < h->floor ? NULL : e;
}

struct wanted {
	uint64_t id;
	size_t at; /* in the caller's list */
};

static int cmp_wanted(const void *a, const void *b)
{
	const struct wanted *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int history_find_many(const struct history *h, const void *ids, size_t n, uint64_t *ret)
{
	struct wanted *w = n ? malloc(n * sizeof(*w)) : NULL;
	size_t left = n;

	if (n && !w)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(&w[i].id, (const unsigned char *)ids + i * sizeof(uint64_t),
		       sizeof(uint64_t));
		w[i].at = i;
		ret[i] = UINT64_MAX;
	}
	qsort(w, n, sizeof(*w), cmp_wanted);
	/* From the newest: the first entry met for an ID is its newest. */
	for (size_t i = h->n; left && i > 0; i--) {
		const struct history_entry *e = &h->v[h->head + i - 1];
		size_t lo = 0, hi = n;

		if (e->seg_seq < h->floor)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (w[mid].id < e->id)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && w[lo].id == e->id; lo++)
			if (ret[w[lo].at] == UINT64_MAX) {
				ret[w[lo].at] = h->base + i - 1;
				left--;
			}
	}
	free(w);
	return 0;
}

const struct history_entry *history_find(const struct history *h, uint64_t id)
{
	uint64_t n;

	return history_find_many(h, &id, 1, &n) == 0 ? history_at(h, n) : NULL;
}

void history_free(struct history *h)
{
	free(h->v);
	*h = (struct history){ 0 };
}

void store_free(struct store *s)
{
	free(s->held.ids);
	free(s->held.v);
	for (size_t i = 0; i < s->n_blocks; i++)
		free(s->blocks[i]);
	free(s->blocks);
	free(s->scratch);
	name_table_free(&s->names);
	*s = (struct store){ 0 };
}

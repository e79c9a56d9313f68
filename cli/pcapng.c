// SPDX-License-Identifier: GPL-2.0-or-later
/* msg capture's pcapng writer: see pcapng.h for the layout. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u

#define PAD4(n) (((n) + 3u) & ~(size_t)3u)

/* A block's body in host order (pcapng files are written in the writer's order). */
struct block {
	unsigned char *p;
	size_t len, cap;
};

static int put(struct block *b, const void *data, size_t len)
{
	if (b->len + PAD4(len) > b->cap) {
		size_t cap = (b->len + PAD4(len)) * 2;
		unsigned char *p = realloc(b->p, cap);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	memset(b->p + b->len + len, 0, PAD4(len) - len);
	b->len += PAD4(len);
	return 0;
}

static int put_u32(struct block *b, uint32_t v)
{
	return put(b, &v, sizeof(v));
}

static int put_option(struct block *b, uint16_t code, const void *data, uint16_t len)
{
	uint16_t h[2] = { code, len };

	return put(b, h, sizeof(h)) ?: put(b, data, len);
}

/* type, total length, body, total length again. */
static int write_block(FILE *f, uint32_t type, struct block *b)
{
	uint32_t total = (uint32_t)b->len + 12;
	int r = 0;

	if (fwrite(&type, 4, 1, f) != 1 || fwrite(&total, 4, 1, f) != 1 ||
	    (b->len && fwrite(b->p, b->len, 1, f) != 1) || fwrite(&total, 4, 1, f) != 1)
		r = -EIO;
	free(b->p);
	*b = (struct block){ 0 };
	return r;
}

int pcapng_begin(FILE *f, const char *application)
{
	static const char ifname[] = "ctr-ipc-bus";
	struct block b = { 0 };
	uint16_t v[2] = { 1, 0 };
	uint64_t section_len = UINT64_MAX; /* not given */
	uint16_t link[2] = { PCAPNG_LINKTYPE_USER0, 0 };
	uint8_t tsresol = 9; /* 10^-9 s */
	int r;

	r = put_u32(&b, 0x1A2B3C4Du) ?: put(&b, v, sizeof(v)) ?: put(&b, &section_len, 8)
					?: put_option(&b, 4, application, (uint16_t)strlen(application))
					?: put_option(&b, 0, NULL, 0);
	if (r == 0)
		r = write_block(f, BT_SHB, &b);
	if (r < 0) {
		free(b.p);
		return r;
	}
	r = put(&b, link, sizeof(link)) ?: put_u32(&b, 0) /* no snap length */
	    ?: put_option(&b, 2, ifname, sizeof(ifname) - 1) ?: put_option(&b, 9, &tsresol, 1)
	    ?: put_option(&b, 0, NULL, 0);
	if (r == 0)
		r = write_block(f, BT_IDB, &b);
	free(b.p);
	return r;
}

int pcapng_message(FILE *f, uint64_t ts_ns, const struct capture_rec *m)
{
	size_t sl = strlen(m->source), dl = strlen(m->dest), cl = strlen(m->category),
	       rl = m->reason ? strlen(m->reason) : 0;
	size_t caplen = CAPTURE_HDR_LEN + sl + dl + cl + rl + m->kept;
	unsigned char hdr[CAPTURE_HDR_LEN];
	struct block b = { 0 };
	uint32_t u32;
	uint64_t u64;
	uint16_t u16;
	int r;

	if (sl > 0xffff || dl > 0xffff || cl > 0xffff || rl > 0xffff)
		return -EINVAL;
	memcpy(hdr, "CTRB", 4);
	hdr[4] = 1;
	hdr[5] = m->event;
	u16 = htobe16((uint16_t)(CAPTURE_HDR_LEN + sl + dl + cl + rl));
	memcpy(hdr + 6, &u16, 2);
	u64 = htobe64(m->id);
	memcpy(hdr + 8, &u64, 8);
	u64 = htobe64(m->replays);
	memcpy(hdr + 16, &u64, 8);
	u64 = htobe64(m->sent_at);
	memcpy(hdr + 24, &u64, 8);
	u32 = htobe32(m->payload_len);
	memcpy(hdr + 32, &u32, 4);
	u32 = htobe32(m->attempts);
	memcpy(hdr + 36, &u32, 4);
	u16 = htobe16((uint16_t)sl);
	memcpy(hdr + 40, &u16, 2);
	u16 = htobe16((uint16_t)dl);
	memcpy(hdr + 42, &u16, 2);
	u16 = htobe16((uint16_t)cl);
	memcpy(hdr + 44, &u16, 2);
	u16 = htobe16((uint16_t)rl);
	memcpy(hdr + 46, &u16, 2);

	r = put_u32(&b, 0) /* interface 0 */
	    ?: put_u32(&b, (uint32_t)(ts_ns >> 32)) ?: put_u32(&b, (uint32_t)ts_ns)
	    ?: put_u32(&b, (uint32_t)caplen)
	    ?: put_u32(&b, (uint32_t)(caplen - m->kept + m->payload_len));
	/* The record: its parts back to back, padded once at the end. */
	if (r == 0 && b.len + PAD4(caplen) + 64 > b.cap) {
		unsigned char *p = realloc(b.p, b.len + PAD4(caplen) + 64);

		if (!p)
			r = -ENOMEM;
		else {
			b.p = p;
			b.cap = b.len + PAD4(caplen) + 64;
		}
	}
	if (r == 0) {
		unsigned char *p = b.p + b.len;

		memcpy(p, hdr, CAPTURE_HDR_LEN);
		p += CAPTURE_HDR_LEN;
		memcpy(p, m->source, sl);
		memcpy(p += sl, m->dest, dl);
		memcpy(p += dl, m->category, cl);
		if (rl)
			memcpy(p + cl, m->reason, rl);
		p += cl + rl;
		if (m->kept)
			memcpy(p, m->payload, m->kept);
		memset(b.p + b.len + caplen, 0, PAD4(caplen) - caplen);
		b.len += PAD4(caplen);
		r = write_block(f, BT_EPB, &b);
	}
	free(b.p);
	return r;
}

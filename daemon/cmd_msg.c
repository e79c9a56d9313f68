// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * msg commands: what the buffer holds and held, its endpoints and counters.
 * Each dump asks the buffer once (bus_query) and reads the answers out of
 * the snapshot, entry by entry, as the client takes them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctr-ipc/bus.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"
#include "ctr-ipc/policy.h"

static const char *str(const struct ctl_req *req, int attr)
{
	return req->tb[attr] ? nla_get_string(req->tb[attr]) : NULL;
}

#define PAGE 512 /* entries asked of the buffer at a time */

/* Builds the query for the page after @prev (NULL: the first). */
typedef struct nl_msg *query_fn(struct daemon *d, struct ctl_req *req,
				const struct bus_snapshot *prev);

static int query_failed(struct ctl_req *req, int r)
{
	if (r == -ENOTCONN || r == -ETIMEDOUT)
		return ctl_fail(req, r,
				"the buffer process does not answer (see 'ctr-ipc daemon "
				"status'); try again shortly");
	return ctl_fail(req, r, "cannot ask the buffer process: %s", strerror(-r));
}

/*
 * The entry at *@cursor of @req's answers, asking the buffer for the
 * first page at the start and for the next one when a page is read out.
 */
static int snapshot_entry(struct daemon *d, struct ctl_req *req, uint64_t *cursor, query_fn *query,
			  struct nlattr **tb)
{
	struct bus_snapshot *snap = bus_snapshot_of(d, req->portid, req->nlh->nlmsg_seq);
	char err[CTRIPC_ERRMSG_MAX];
	int r;

	if (*cursor == 0 || !snap) {
		struct nl_msg *f;

		if (*cursor)
			return ctl_fail(req, -EAGAIN,
					"the listing was cut off: more than %d listings ran at "
					"once; run it again",
					BUS_SNAPSHOTS);
		f = query(d, req, NULL);
		if (!f)
			return -ENOMEM;
		r = bus_query(d, f, req->portid, req->nlh->nlmsg_seq, &snap);
		if (r < 0)
			return query_failed(req, r);
	}
	while (*cursor >= snap->base + snap->n) {
		uint64_t base = snap->base + snap->n;
		struct nl_msg *f;

		if (!snap->next) {
			bus_snapshot_release(snap);
			return 0;
		}
		f = query(d, req, snap);
		if (!f)
			return -ENOMEM;
		r = bus_query(d, f, req->portid, req->nlh->nlmsg_seq, &snap);
		if (r < 0)
			return query_failed(req, r);
		snap->base = base;
	}
	r = ctripc_tlv_parse(&ctripc_bus_proto,
			     (struct nlmsghdr *)snap->frames[*cursor - snap->base], false, tb, NULL,
			     err, sizeof(err));
	if (r < 0)
		return ctl_fail(req, r, "a malformed answer from the buffer: %s", err);
	(*cursor)++;
	return 1;
}

/* A query of one page only (SHOW, ENDPOINTS, RULE_HITS). */
static struct nl_msg *frame_of(uint8_t cmd, const struct bus_snapshot *prev)
{
	return prev ? NULL : ctripc_bus_frame(cmd, 0);
}

/* The filters of @req (msg ls, replay, purge), in @f. */
static int put_filters(struct ctl_req *req, struct nl_msg *f, const struct bus_snapshot *prev)
{
	static const int strs[][2] = { { CTRIPC_A_FROM, CTRIPC_BUS_A_FILTER_FROM },
				       { CTRIPC_A_TO, CTRIPC_BUS_A_FILTER_TO },
				       { CTRIPC_A_CATEGORY, CTRIPC_BUS_A_FILTER_CATEGORY },
				       { CTRIPC_A_STATE, CTRIPC_BUS_A_STATE } };
	static const int u64s[][2] = { { CTRIPC_A_SINCE, CTRIPC_BUS_A_SINCE },
				       { CTRIPC_A_UNTIL, CTRIPC_BUS_A_UNTIL },
				       { CTRIPC_A_ID_MIN, CTRIPC_BUS_A_ID_MIN },
				       { CTRIPC_A_ID_MAX, CTRIPC_BUS_A_ID_MAX } };
	uint64_t done = prev ? prev->base + prev->n : 0;
	uint32_t limit = req->tb[CTRIPC_A_LIMIT] ? nla_get_u32(req->tb[CTRIPC_A_LIMIT]) : 0;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (str(req, strs[i][0]) && nla_put_string(f, strs[i][1], str(req, strs[i][0])) < 0)
			return -EMSGSIZE;
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++)
		if (req->tb[u64s[i][0]] &&
		    nla_put_u64(f, u64s[i][1], nla_get_u64(req->tb[u64s[i][0]])) < 0)
			return -EMSGSIZE;
	if (req->tb[CTRIPC_A_IDS] && nla_put(f, CTRIPC_BUS_A_IDS, nla_len(req->tb[CTRIPC_A_IDS]),
					     nla_data(req->tb[CTRIPC_A_IDS])) < 0)
		return -EMSGSIZE;
	/* A page at a time from the cursor; --limit over a million messages held asks for few. */
	if (prev && nla_put_u64(f, CTRIPC_BUS_A_CURSOR, prev->next) < 0)
		return -EMSGSIZE;
	return nla_put_u32(f, CTRIPC_BUS_A_LIMIT,
			   limit && limit - done < PAGE ? (uint32_t)(limit - done) : PAGE);
}

static int check_filters(struct ctl_req *req)
{
	static const char *const states[] = { "queued", "delivered", "rejected", "expired",
					      "purged" };
	const char *state = str(req, CTRIPC_A_STATE);
	bool known = !state;

	for (size_t i = 0; !known && i < sizeof(states) / sizeof(states[0]); i++)
		known = strcmp(state, states[i]) == 0;
	if (!known)
		return ctl_fail(req, -EINVAL,
				"--state takes queued, delivered, rejected, expired or purged, "
				"not '%s'",
				state);
	if (req->tb[CTRIPC_A_IDS] && nla_len(req->tb[CTRIPC_A_IDS]) % 8)
		return ctl_fail(req, -EINVAL, "IDs come as 8-byte numbers");
	return 0;
}

static int put_message(struct nl_msg *m, struct nlattr **tb)
{
	if (tb[CTRIPC_BUS_A_ID])
		PUT(nla_put_u64(m, CTRIPC_A_MSG_ID, nla_get_u64(tb[CTRIPC_BUS_A_ID])));
	PUT(nla_put_string(m, CTRIPC_A_FROM, nla_get_string(tb[CTRIPC_BUS_A_SOURCE])));
	PUT(nla_put_string(m, CTRIPC_A_TO, nla_get_string(tb[CTRIPC_BUS_A_DEST])));
	PUT(nla_put_string(m, CTRIPC_A_CATEGORY, nla_get_string(tb[CTRIPC_BUS_A_CATEGORY])));
	PUT(nla_put_string(m, CTRIPC_A_STATE, nla_get_string(tb[CTRIPC_BUS_A_STATE])));
	PUT(nla_put_u64(m, CTRIPC_A_SIZE, nla_get_u32(tb[CTRIPC_BUS_A_PAYLOAD_LEN])));
	PUT(nla_put_u64(m, CTRIPC_A_SENT_AT, nla_get_u64(tb[CTRIPC_BUS_A_SENT_AT])));
	if (tb[CTRIPC_BUS_A_ACCEPTED_AT])
		PUT(nla_put_u64(m, CTRIPC_A_ACCEPTED_AT,
				nla_get_u64(tb[CTRIPC_BUS_A_ACCEPTED_AT])));
	PUT(nla_put_u32(m, CTRIPC_A_ATTEMPTS, nla_get_u32(tb[CTRIPC_BUS_A_ATTEMPT])));
	if (tb[CTRIPC_BUS_A_REPLAYS])
		PUT(nla_put_u64(m, CTRIPC_A_REPLAYS, nla_get_u64(tb[CTRIPC_BUS_A_REPLAYS])));
	if (tb[CTRIPC_BUS_A_TEXT])
		PUT(nla_put_string(m, CTRIPC_A_REASON, nla_get_string(tb[CTRIPC_BUS_A_TEXT])));
	return 0;
}

static struct nl_msg *list_query(struct daemon *d, struct ctl_req *req,
				 const struct bus_snapshot *prev)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LIST, 0);

	if (f && (put_filters(req, f, prev) < 0 ||
		  (req->tb[CTRIPC_A_PAYLOAD] && nla_put_flag(f, CTRIPC_BUS_A_WANT_PAYLOAD) < 0))) {
		nlmsg_free(f);
		return NULL;
	}
	return f;
}

int cmd_msg_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	uint32_t limit = req->tb[CTRIPC_A_LIMIT] ? nla_get_u32(req->tb[CTRIPC_A_LIMIT]) : 0;
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	int r = check_filters(req);

	if (r < 0)
		return r;
	if (limit && *cursor >= limit) {
		struct bus_snapshot *snap = bus_snapshot_of(d, req->portid, req->nlh->nlmsg_seq);

		if (snap)
			bus_snapshot_release(snap);
		return 0;
	}
	r = snapshot_entry(d, req, cursor, list_query, tb);
	if (r <= 0)
		return r;
	PUT(put_message(m, tb));
	if (tb[CTRIPC_BUS_A_PAYLOAD])
		PUT(nla_put(m, CTRIPC_A_DATA, nla_len(tb[CTRIPC_BUS_A_PAYLOAD]),
			    nla_data(tb[CTRIPC_BUS_A_PAYLOAD])));
	return 1;
}

static struct nl_msg *show_query(struct daemon *d, struct ctl_req *req,
				 const struct bus_snapshot *prev)
{
	struct nl_msg *f = frame_of(CTRIPC_BUS_CMD_SHOW, prev);

	if (f && nla_put_u64(f, CTRIPC_BUS_A_ID, nla_get_u64(req->tb[CTRIPC_A_MSG_ID])) < 0) {
		nlmsg_free(f);
		return NULL;
	}
	return f;
}

/* The headers first, then the payload, in chunks. */
int cmd_msg_show(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	uint64_t at = *cursor;
	int r;

	r = snapshot_entry(d, req, cursor, show_query, tb);
	if (r == 0 && at == 0)
		return ctl_fail(req, -ENOENT,
				"no message %llu: neither held nor kept by the journal "
				"(see 'ctr-ipc msg ls')",
				(unsigned long long)nla_get_u64(req->tb[CTRIPC_A_MSG_ID]));
	if (r <= 0)
		return r;
	if (tb[CTRIPC_BUS_A_PAYLOAD])
		PUT(nla_put(m, CTRIPC_A_DATA, nla_len(tb[CTRIPC_BUS_A_PAYLOAD]),
			    nla_data(tb[CTRIPC_BUS_A_PAYLOAD])));
	else
		PUT(put_message(m, tb));
	return 1;
}

static struct nl_msg *endpoints_query(struct daemon *d, struct ctl_req *req,
				      const struct bus_snapshot *prev)
{
	return frame_of(CTRIPC_BUS_CMD_ENDPOINTS, prev);
}

int cmd_msg_endpoints(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	int r = snapshot_entry(d, req, cursor, endpoints_query, tb);

	if (r <= 0)
		return r;
	PUT(nla_put_string(m, CTRIPC_A_ADDRESS, nla_get_string(tb[CTRIPC_BUS_A_SOURCE])));
	if (tb[CTRIPC_BUS_A_CONNECTED])
		PUT(nla_put_flag(m, CTRIPC_A_CONNECTED));
	PUT(nla_put_u64(m, CTRIPC_A_QUEUED, nla_get_u64(tb[CTRIPC_BUS_A_COUNT_QUEUED])));
	PUT(nla_put_u64(m, CTRIPC_A_DELIVERED, nla_get_u64(tb[CTRIPC_BUS_A_COUNT_DELIVERED])));
	PUT(nla_put_u64(m, CTRIPC_A_REFUSED, nla_get_u64(tb[CTRIPC_BUS_A_COUNT_REFUSED])));
	return 1;
}

static struct nl_msg *hits_query(struct daemon *d, struct ctl_req *req,
				 const struct bus_snapshot *prev)
{
	return frame_of(CTRIPC_BUS_CMD_RULE_HITS, prev);
}

/* Per endpoint, then per rule (position, rule, hits; position 0: the default rule). */
int cmd_msg_stats(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	int r;

	if (*cursor < (1ull << 32)) {
		r = cmd_msg_endpoints(d, req, cursor, m);
		if (r != 0)
			return r;
		*cursor = 1ull << 32; /* the endpoints are done: the rules next */
	}
	{
		uint64_t sub = *cursor - (1ull << 32);

		r = snapshot_entry(d, req, &sub, hits_query, tb);
		*cursor = (1ull << 32) + sub;
		if (r <= 0)
			return r;
	}
	PUT(nla_put_u32(m, CTRIPC_A_POSITION, (uint32_t)nla_get_u64(tb[CTRIPC_BUS_A_ID])));
	PUT(nla_put_string(m, CTRIPC_A_RULE, nla_get_string(tb[CTRIPC_BUS_A_TEXT])));
	PUT(nla_put_u64(m, CTRIPC_A_HITS, nla_get_u64(tb[CTRIPC_BUS_A_COUNT_DELIVERED])));
	return 1;
}

/* --- replay, purge, watch ------------------------------------------------------------ */

static struct nl_msg *replay_query(struct daemon *d, struct ctl_req *req,
				   const struct bus_snapshot *prev)
{
	const char *secret = str(req, CTRIPC_A_SECRET);
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_REPLAY, 0);
	int r = f ? put_filters(req, f, prev) : -ENOMEM;

	/* The pages after the first stop where it did: replays are not replayed again. */
	if (r == 0 && prev && prev->id_max &&
	    (!req->tb[CTRIPC_A_ID_MAX] || prev->id_max < nla_get_u64(req->tb[CTRIPC_A_ID_MAX])))
		r = nla_put_u64(f, CTRIPC_BUS_A_ID_MAX, prev->id_max);
	if (r == 0 && str(req, CTRIPC_A_DEST))
		r = nla_put_string(f, CTRIPC_BUS_A_DEST, str(req, CTRIPC_A_DEST));
	if (r == 0 && req->tb[CTRIPC_A_DRY_RUN])
		r = nla_put_flag(f, CTRIPC_BUS_A_DRY_RUN);
	for (size_t i = 0; r == 0 && secret && i < d->bus.secrets.n; i++)
		if (strcmp(d->bus.secrets.v[i].name, secret) == 0)
			r = nla_put(f, CTRIPC_BUS_A_AUTH, (int)d->bus.secrets.v[i].len,
				    d->bus.secrets.v[i].value);
	if (r < 0) {
		nlmsg_free(f);
		return NULL;
	}
	return f;
}

/* A result per message: the ID it replays, where it goes, and its new ID or why not. */
int cmd_msg_replay(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	const char *dest = str(req, CTRIPC_A_DEST), *secret = str(req, CTRIPC_A_SECRET);
	bool known = !secret;
	int r = check_filters(req);

	if (r < 0)
		return r;
	if (*cursor == 0) {
		if (dest && !ctripc_bus_addr_valid(dest))
			return ctl_fail(req, -EINVAL,
					"--to takes CONTAINER/ENDPOINT (host/NAME for the host), "
					"not '%s'",
					dest);
		for (size_t i = 0; !known && i < d->bus.secrets.n; i++)
			known = strcmp(d->bus.secrets.v[i].name, secret) == 0;
		if (!known)
			return ctl_fail(req, -ENOENT,
					"no secret '%s' is set (see 'ctr-ipc policy secret ls')",
					secret);
		if (!req->tb[CTRIPC_A_IDS] && !req->tb[CTRIPC_A_FROM] && !req->tb[CTRIPC_A_TO] &&
		    !req->tb[CTRIPC_A_CATEGORY] && !req->tb[CTRIPC_A_STATE] &&
		    !req->tb[CTRIPC_A_SINCE] && !req->tb[CTRIPC_A_UNTIL] &&
		    !req->tb[CTRIPC_A_ID_MIN] && !req->tb[CTRIPC_A_ID_MAX])
			return ctl_fail(req, -EINVAL,
					"say which messages to replay: IDs, or at least one "
					"filter");
	}
	r = snapshot_entry(d, req, cursor, replay_query, tb);
	if (r <= 0)
		return r;
	PUT(nla_put_u64(m, CTRIPC_A_REPLAYS, nla_get_u64(tb[CTRIPC_BUS_A_REPLAYS])));
	PUT(nla_put_string(m, CTRIPC_A_DEST, nla_get_string(tb[CTRIPC_BUS_A_DEST])));
	if (tb[CTRIPC_BUS_A_ID])
		PUT(nla_put_u64(m, CTRIPC_A_MSG_ID, nla_get_u64(tb[CTRIPC_BUS_A_ID])));
	if (tb[CTRIPC_BUS_A_TEXT])
		PUT(nla_put_string(m, CTRIPC_A_REASON, nla_get_string(tb[CTRIPC_BUS_A_TEXT])));
	if (!tb[CTRIPC_BUS_A_ID] && !tb[CTRIPC_BUS_A_TEXT])
		PUT(nla_put_flag(m, CTRIPC_A_DRY_RUN)); /* it would go */
	return 1;
}

int cmd_msg_purge(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_PURGE, 0);
	struct bus_snapshot *snap;
	uint64_t n;
	int r = check_filters(req);

	if (r < 0 || !f || put_filters(req, f, NULL) < 0) {
		nlmsg_free(f);
		return r < 0 ? r : -ENOMEM;
	}
	r = bus_query(d, f, req->portid, req->nlh->nlmsg_seq, &snap);
	n = snap->count;
	bus_snapshot_release(snap);
	if (r < 0)
		return query_failed(req, r);
	log_info("msg purge: %llu messages removed by uid %u", (unsigned long long)n,
		 (unsigned)req->cred.uid);
	PUT(nla_put_u64(m, CTRIPC_A_COUNT, n));
	return 0;
}

/* A msg watch: its client, and what it wants to see. */
struct msg_watch {
	struct msg_watch *next;
	struct ctl_deferred *w;
	char from[129], to[129], category[129], state[17];
	uint64_t id_min, id_max;
	uint64_t since, until; /* sent_at, ns since the epoch; until 0: no end */
	bool payload;
};

static const char *const event_names[] = {
	[CTRIPC_BUS_EV_ACCEPTED] = "accepted",	 [CTRIPC_BUS_EV_REFUSED] = "refused",
	[CTRIPC_BUS_EV_DELIVERED] = "delivered", [CTRIPC_BUS_EV_ACKED] = "acked",
	[CTRIPC_BUS_EV_EXPIRED] = "expired",	 [CTRIPC_BUS_EV_PURGED] = "purged",
};

int cmd_msg_watch(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	struct msg_watch *w;
	int r = check_filters(req);

	if (r < 0)
		return r;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->w = ctl_defer(req))) {
		free(w);
		return -ENOMEM;
	}
	snprintf(w->from, sizeof(w->from), "%s", str(req, CTRIPC_A_FROM) ?: "");
	snprintf(w->to, sizeof(w->to), "%s", str(req, CTRIPC_A_TO) ?: "");
	snprintf(w->category, sizeof(w->category), "%s", str(req, CTRIPC_A_CATEGORY) ?: "");
	snprintf(w->state, sizeof(w->state), "%s", str(req, CTRIPC_A_STATE) ?: "");
	w->id_min = req->tb[CTRIPC_A_ID_MIN] ? nla_get_u64(req->tb[CTRIPC_A_ID_MIN]) : 0;
	w->id_max = req->tb[CTRIPC_A_ID_MAX] ? nla_get_u64(req->tb[CTRIPC_A_ID_MAX]) : 0;
	w->since = req->tb[CTRIPC_A_SINCE] ? nla_get_u64(req->tb[CTRIPC_A_SINCE]) : 0;
	w->until = req->tb[CTRIPC_A_UNTIL] ? nla_get_u64(req->tb[CTRIPC_A_UNTIL]) : 0;
	w->payload = req->tb[CTRIPC_A_PAYLOAD] != NULL;
	w->next = d->bus.watchers;
	d->bus.watchers = w;
	if (!w->next)
		bus_set_watch(d);
	return CTL_DEFERRED;
}

static bool watch_wants(const struct msg_watch *w, struct nlattr **tb)
{
	uint64_t id = tb[CTRIPC_BUS_A_ID] ? nla_get_u64(tb[CTRIPC_BUS_A_ID]) : 0;
	uint64_t sent_at = nla_get_u64(tb[CTRIPC_BUS_A_SENT_AT]);

	if (id < w->id_min || (w->id_max && id > w->id_max))
		return false;
	if (sent_at < w->since || (w->until && sent_at >= w->until))
		return false; /* its events, whenever they come, are of a message sent out of range */
	if (w->state[0] && strcmp(w->state, nla_get_string(tb[CTRIPC_BUS_A_STATE])) != 0)
		return false;
	if (w->category[0] &&
	    !policy_pattern_match(w->category, nla_get_string(tb[CTRIPC_BUS_A_CATEGORY]), '.'))
		return false;
	return policy_addr_filter_match(w->from, nla_get_string(tb[CTRIPC_BUS_A_SOURCE])) &&
	       policy_addr_filter_match(w->to, nla_get_string(tb[CTRIPC_BUS_A_DEST]));
}

static int put_event(struct nl_msg *m, struct nlattr **tb, uint32_t ev, bool payload)
{
	PUT(nla_put_string(m, CTRIPC_A_EVENT, event_names[ev]));
	PUT(put_message(m, tb));
	if (tb[CTRIPC_BUS_A_DROPPED])
		PUT(nla_put_u64(m, CTRIPC_A_DROPPED, nla_get_u64(tb[CTRIPC_BUS_A_DROPPED])));
	if (payload && tb[CTRIPC_BUS_A_PAYLOAD])
		PUT(nla_put(m, CTRIPC_A_DATA, nla_len(tb[CTRIPC_BUS_A_PAYLOAD]),
			    nla_data(tb[CTRIPC_BUS_A_PAYLOAD])));
	return 0;
}

void msg_watch_event(struct daemon *d, struct nlattr **tb)
{
	uint32_t ev = nla_get_u32(tb[CTRIPC_BUS_A_EVENT]);

	if (ev > CTRIPC_BUS_EV_MAX || !tb[CTRIPC_BUS_A_SOURCE] || !tb[CTRIPC_BUS_A_DEST] ||
	    !tb[CTRIPC_BUS_A_CATEGORY] || !tb[CTRIPC_BUS_A_STATE] ||
	    !tb[CTRIPC_BUS_A_PAYLOAD_LEN] || !tb[CTRIPC_BUS_A_SENT_AT] || !tb[CTRIPC_BUS_A_ATTEMPT])
		return;
	for (struct msg_watch **pp = &d->bus.watchers; *pp;) {
		struct msg_watch *w = *pp;
		struct nl_msg *m;
		int e = 0;

		if (!watch_wants(w, tb)) {
			pp = &w->next;
			continue;
		}
		m = ctl_interim_new(&d->ctl, w->w);
		if (m && put_event(m, tb, ev, w->payload) == 0)
			e = ctl_interim_send(&d->ctl, w->w, m);
		else
			nlmsg_free(m);
		if (e == -ECONNREFUSED) { /* its client is gone */
			*pp = w->next;
			free(w->w);
			free(w);
			continue;
		}
		pp = &w->next;
	}
	if (!d->bus.watchers)
		bus_set_watch(d);
}

void msg_watch_free(struct daemon *d)
{
	while (d->bus.watchers) {
		struct msg_watch *w = d->bus.watchers;

		d->bus.watchers = w->next;
		ctl_complete(&d->ctl, w->w, -ESHUTDOWN, "ctr-ipcd is stopping");
		free(w);
	}
}

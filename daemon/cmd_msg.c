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

static const char *str(const struct ctl_req *req, int attr)
{
	return req->tb[attr] ? nla_get_string(req->tb[attr]) : NULL;
}

/* The entry at *@cursor of the snapshot for @req (asking the buffer at the start). */
static int snapshot_entry(struct daemon *d, struct ctl_req *req, uint64_t *cursor,
			  struct nl_msg *(*query)(struct ctl_req *req), struct nlattr **tb)
{
	struct bus_snapshot *snap = &d->bus.snap;
	char err[CTRIPC_ERRMSG_MAX];
	int r;

	if (*cursor == 0 || snap->portid != req->portid || snap->seq != req->nlh->nlmsg_seq) {
		struct nl_msg *f = query(req);

		if (!f)
			return -ENOMEM;
		r = bus_query(d, f, req->portid, req->nlh->nlmsg_seq);
		if (r == -ENOTCONN || r == -ETIMEDOUT)
			return ctl_fail(req, r,
					"the buffer process does not answer (see 'ctr-ipc daemon "
					"status'); try again shortly");
		if (r < 0)
			return ctl_fail(req, r, "cannot ask the buffer process: %s", strerror(-r));
	}
	if (*cursor >= snap->n)
		return 0;
	r = ctripc_tlv_parse(&ctripc_bus_proto, (struct nlmsghdr *)snap->frames[*cursor], false, tb,
			     NULL, err, sizeof(err));
	if (r < 0)
		return ctl_fail(req, r, "a malformed answer from the buffer: %s", err);
	(*cursor)++;
	return 1;
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
	if (tb[CTRIPC_BUS_A_TEXT])
		PUT(nla_put_string(m, CTRIPC_A_REASON, nla_get_string(tb[CTRIPC_BUS_A_TEXT])));
	return 0;
}

static struct nl_msg *list_query(struct ctl_req *req)
{
	static const int map[][2] = { { CTRIPC_A_FROM, CTRIPC_BUS_A_FILTER_FROM },
				      { CTRIPC_A_TO, CTRIPC_BUS_A_FILTER_TO },
				      { CTRIPC_A_CATEGORY, CTRIPC_BUS_A_FILTER_CATEGORY },
				      { CTRIPC_A_STATE, CTRIPC_BUS_A_STATE } };
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_LIST, 0);

	for (size_t i = 0; f && i < sizeof(map) / sizeof(map[0]); i++)
		if (str(req, map[i][0]) && nla_put_string(f, map[i][1], str(req, map[i][0])) < 0) {
			nlmsg_free(f);
			return NULL;
		}
	/* The buffer stops there: --limit over a million messages held asks for few. */
	if (f && req->tb[CTRIPC_A_LIMIT] &&
	    nla_put_u32(f, CTRIPC_BUS_A_LIMIT, nla_get_u32(req->tb[CTRIPC_A_LIMIT])) < 0) {
		nlmsg_free(f);
		return NULL;
	}
	return f;
}

int cmd_msg_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	static const char *const states[] = { "queued", "delivered", "rejected", "expired" };
	uint32_t limit = req->tb[CTRIPC_A_LIMIT] ? nla_get_u32(req->tb[CTRIPC_A_LIMIT]) : 0;
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	const char *state = str(req, CTRIPC_A_STATE);
	bool known = !state;
	int r;

	for (size_t i = 0; !known && i < sizeof(states) / sizeof(states[0]); i++)
		known = strcmp(state, states[i]) == 0;
	if (!known)
		return ctl_fail(req, -EINVAL,
				"--state takes queued, delivered, rejected or expired, not '%s'",
				state);
	if (limit && *cursor >= limit)
		return 0;
	r = snapshot_entry(d, req, cursor, list_query, tb);
	if (r <= 0)
		return r;
	PUT(put_message(m, tb));
	return 1;
}

static uint64_t show_id;

static struct nl_msg *show_query(struct ctl_req *req)
{
	struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_SHOW, 0);

	if (f && nla_put_u64(f, CTRIPC_BUS_A_ID, show_id) < 0) {
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

	show_id = nla_get_u64(req->tb[CTRIPC_A_MSG_ID]);
	r = snapshot_entry(d, req, cursor, show_query, tb);
	if (r == 0 && at == 0)
		return ctl_fail(req, -ENOENT,
				"no message %llu: neither held nor among the last ones finished "
				"(see 'ctr-ipc msg ls')",
				(unsigned long long)show_id);
	if (r <= 0)
		return r;
	if (tb[CTRIPC_BUS_A_PAYLOAD])
		PUT(nla_put(m, CTRIPC_A_DATA, nla_len(tb[CTRIPC_BUS_A_PAYLOAD]),
			    nla_data(tb[CTRIPC_BUS_A_PAYLOAD])));
	else
		PUT(put_message(m, tb));
	return 1;
}

static struct nl_msg *endpoints_query(struct ctl_req *req)
{
	return ctripc_bus_frame(CTRIPC_BUS_CMD_ENDPOINTS, 0);
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

static struct nl_msg *hits_query(struct ctl_req *req)
{
	return ctripc_bus_frame(CTRIPC_BUS_CMD_RULE_HITS, 0);
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

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy commands: the bus's rules (saved to policy_file) and its secrets
 * (values kept in STATE/secrets, mode 0600, never shown).  Every change goes
 * to the buffer at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr-ipc/bus.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"

static const char *str(const struct ctl_req *req, int attr)
{
	return req->tb[attr] ? nla_get_string(req->tb[attr]) : NULL;
}

int cmd_policy_add(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *action = str(req, CTRIPC_A_ACTION);
	unsigned int position =
		req->tb[CTRIPC_A_POSITION] ? nla_get_u32(req->tb[CTRIPC_A_POSITION]) : 0;
	char text[POLICY_LINE_MAX + 1], err[CTRIPC_ERRMSG_MAX];
	struct policy_rule rule;
	unsigned int id;
	int a = policy_action_from_name(action), r;

	if (a < 0)
		return ctl_fail(req, -EINVAL, "the action is allow or deny, not '%s'", action);
	r = policy_rule_make(&rule, (enum policy_action)a, str(req, CTRIPC_A_FROM),
			     str(req, CTRIPC_A_TO), str(req, CTRIPC_A_CATEGORY),
			     str(req, CTRIPC_A_SECRET), err, sizeof(err));
	if (r == 0)
		r = policy_add(&d->bus.policy, &rule, position, &id, err, sizeof(err));
	if (r < 0)
		return ctl_fail(req, r, "%s", err);
	if (bus_policy_changed(d, err, sizeof(err)) < 0)
		log_warn("the rule is in force but not saved: %s", err);
	policy_rule_format(&rule, text, sizeof(text));
	log_info("policy: rule %u added at position %d by uid %u: %s", id,
		 policy_position(&d->bus.policy, id), (unsigned)req->cred.uid, text);
	PUT(nla_put_u32(m, CTRIPC_A_RULE_ID, id));
	PUT(nla_put_u32(m, CTRIPC_A_POSITION, (uint32_t)policy_position(&d->bus.policy, id)));
	PUT(nla_put_string(m, CTRIPC_A_RULE, text));
	return 0;
}

/* Hits of the rule at @position, from the buffer's last answer; -1 if unknown. */
static int64_t rule_hits(struct daemon *d, const struct ctl_req *req, uint64_t position)
{
	const struct bus_snapshot *snap = bus_snapshot_of(d, req->portid, req->nlh->nlmsg_seq);

	if (!snap)
		return -1;
	for (size_t i = 0; i < snap->n; i++) {
		struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
		char err[64];

		if (ctripc_tlv_parse(&ctripc_bus_proto, (struct nlmsghdr *)snap->frames[i], false,
				     tb, NULL, err, sizeof(err)) == 0 &&
		    tb[CTRIPC_BUS_A_ID] && nla_get_u64(tb[CTRIPC_BUS_A_ID]) == position &&
		    tb[CTRIPC_BUS_A_COUNT_DELIVERED])
			return (int64_t)nla_get_u64(tb[CTRIPC_BUS_A_COUNT_DELIVERED]);
	}
	return -1;
}

int cmd_policy_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	const struct policy_rule *rule;
	char text[POLICY_LINE_MAX + 1];
	int64_t hits;

	struct bus_snapshot *snap = bus_snapshot_of(d, req->portid, req->nlh->nlmsg_seq);

	if (*cursor >= d->bus.policy.n) {
		if (snap)
			bus_snapshot_release(snap);
		return 0;
	}
	/* The decisions are the buffer's: asked once per listing (none while it is down). */
	if (*cursor == 0 || !snap) {
		struct nl_msg *f = ctripc_bus_frame(CTRIPC_BUS_CMD_RULE_HITS, 0);

		if (f)
			bus_query(d, f, req->portid, req->nlh->nlmsg_seq, &snap);
	}
	rule = &d->bus.policy.rules[*cursor];
	hits = rule_hits(d, req, *cursor + 1);
	if (hits >= 0)
		PUT(nla_put_u64(m, CTRIPC_A_HITS, (uint64_t)hits));
	policy_rule_format(rule, text, sizeof(text));
	PUT(nla_put_u32(m, CTRIPC_A_RULE_ID, rule->id));
	PUT(nla_put_u32(m, CTRIPC_A_POSITION, (uint32_t)*cursor + 1));
	PUT(nla_put_string(m, CTRIPC_A_ACTION, policy_action_name(rule->action)));
	PUT(nla_put_string(m, CTRIPC_A_FROM, rule->from));
	PUT(nla_put_string(m, CTRIPC_A_TO, rule->to));
	PUT(nla_put_string(m, CTRIPC_A_CATEGORY, rule->category));
	if (rule->secret[0])
		PUT(nla_put_string(m, CTRIPC_A_SECRET, rule->secret));
	PUT(nla_put_string(m, CTRIPC_A_RULE, text));
	(*cursor)++;
	return 1;
}

int cmd_policy_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	unsigned int id = nla_get_u32(req->tb[CTRIPC_A_RULE_ID]);
	char err[CTRIPC_ERRMSG_MAX];

	if (policy_remove(&d->bus.policy, id) < 0)
		return ctl_fail(req, -ENOENT, "no rule with ID %u (see 'ctr-ipc policy ls')", id);
	if (bus_policy_changed(d, err, sizeof(err)) < 0)
		log_warn("the rule is gone but the file is not saved: %s", err);
	log_info("policy: rule %u removed by uid %u", id, (unsigned)req->cred.uid);
	return 0;
}

/* STATE/secrets, or the path of one secret in it. */
static int secret_path(const struct daemon *d, const char *name, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int r = path_join(dir, sizeof(dir), d->cfg.state_dir, "secrets", NULL);

	if (r < 0 || !name) {
		if (r == 0)
			snprintf(buf, len, "%s", dir);
		return r;
	}
	return path_join(buf, len, dir, name, NULL);
}

int secrets_load(struct daemon *d)
{
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	unsigned char value[POLICY_SECRET_VALUE_MAX + 1];
	struct dirent *de;
	DIR *dh;

	if (secret_path(d, NULL, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	dh = opendir(dir);
	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dh))) {
		ssize_t n;
		int fd;

		if (!policy_secret_name_valid(de->d_name) ||
		    path_join(path, sizeof(path), dir, de->d_name, NULL) < 0)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		n = fd >= 0 ? read(fd, value, sizeof(value)) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && n <= POLICY_SECRET_VALUE_MAX &&
		    policy_secret_set(&d->bus.secrets, de->d_name, value, (size_t)n, err,
				      sizeof(err)) == 0)
			continue;
		log_warn("secret %s: cannot load it from %s", de->d_name, path);
	}
	explicit_bzero(value, sizeof(value));
	closedir(dh);
	return 0;
}

int cmd_secret_set(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *name = str(req, CTRIPC_A_SECRET);
	const void *value = nla_data(req->tb[CTRIPC_A_VALUE]);
	size_t len = (size_t)nla_len(req->tb[CTRIPC_A_VALUE]);
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8], err[256];
	int fd, r;

	if (!policy_secret_name_valid(name))
		return ctl_fail(
			req, -EINVAL,
			"invalid secret name '%s': 1 to 63 letters, digits, '_', '.' or '-'", name);
	if (len == 0)
		return ctl_fail(req, -EINVAL, "secret %s: the value is empty", name);
	if (!policy_secret_find(&d->bus.secrets, name) && d->bus.secrets.n >= POLICY_SECRETS_MAX)
		return ctl_fail(req, -ENOSPC, "there are %d secrets, the most there may be",
				POLICY_SECRETS_MAX);
	if (secret_path(d, NULL, dir, sizeof(dir)) < 0 ||
	    secret_path(d, name, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ctl_fail(req, -errno, "cannot create %s: %s", dir, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len || fsync(fd) < 0 ||
	    rename(tmp, path) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return ctl_fail(req, r, "cannot store secret %s in %s: %s", name, dir,
				strerror(-r));
	}
	close(fd);
	r = policy_secret_set(&d->bus.secrets, name, value, len, err, sizeof(err));
	if (r < 0)
		return ctl_fail(req, r, "%s", err);
	bus_secret_changed(d, name, value, len);
	log_info("policy: secret %s set by uid %u", name, (unsigned)req->cred.uid);
	return 0;
}

int cmd_secret_ls(struct daemon *d, struct ctl_req *req, uint64_t *cursor, struct nl_msg *m)
{
	if (*cursor >= d->bus.secrets.n)
		return 0;
	PUT(nla_put_string(m, CTRIPC_A_SECRET, d->bus.secrets.v[*cursor].name));
	(*cursor)++;
	return 1;
}

int cmd_secret_rm(struct daemon *d, struct ctl_req *req, struct nl_msg *m)
{
	const char *name = str(req, CTRIPC_A_SECRET);
	char path[PATH_MAX];

	if (policy_secret_remove(&d->bus.secrets, name) < 0)
		return ctl_fail(req, -ENOENT, "no secret '%s' (see 'ctr-ipc policy secret ls')",
				name);
	if (secret_path(d, name, path, sizeof(path)) == 0)
		unlink(path);
	bus_secret_changed(d, name, NULL, 0);
	log_info("policy: secret %s removed by uid %u", name, (unsigned)req->cred.uid);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctr-ipcd.conf parser.  Syntax: one "key = value" per line; blank lines and
 * lines whose first non-blank character is '#' or ';' are ignored; a value
 * may be wrapped in double quotes.  A key given twice, an unknown key or a
 * bad value is an error naming file:line.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr-ipc/proto.h"
#include "ctr-ipc/util.h"
#include "config.h"
#include "journal.h"

typedef int (*config_setter)(struct config *c, const char *v, char *err, size_t errlen);

static int errf(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int set_string(char **dst, const char *v, char *err, size_t errlen, const char *what)
{
	char *copy;

	if (v[0] != '/')
		return errf(err, errlen, -EINVAL, "%s must be an absolute path, not '%s'", what, v);
	if (strlen(v) >= CTRIPC_PATH_MAX)
		return errf(err, errlen, -ENAMETOOLONG, "%s is longer than %d bytes", what,
			    CTRIPC_PATH_MAX - 1);
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_port_id(struct config *c, const char *v, char *err, size_t errlen)
{
	uint32_t port;

	if (parse_u32(v, &port) < 0 || port == 0)
		return errf(err, errlen, -EINVAL,
			    "port_id must be a number from 1 to 4294967295, not '%s'", v);
	c->port_id = port;
	return 0;
}

static int set_userns_base(struct config *c, const char *v, char *err, size_t errlen)
{
	uint32_t base;

	if (parse_u32(v, &base) < 0 || base == 0 || base > UINT32_MAX - 64 * USERNS_RANGE)
		return errf(err, errlen, -EINVAL,
			    "userns_base must be a number from 1 to %u, not '%s'",
			    UINT32_MAX - 64 * USERNS_RANGE, v);
	c->userns_base = base;
	return 0;
}

/* A bus limit: a number from @min to @max (K, M, G suffixes when @size). */
static int set_limit(const char *key, const char *v, uint64_t min, uint64_t max, bool size,
		     uint64_t *ret, char *err, size_t errlen)
{
	char num[32];
	size_t len = strlen(v);
	unsigned int shift = 0;
	uint64_t n;

	if (size && len > 1 && len < sizeof(num) && strchr("KkMmGg", v[len - 1])) {
		shift = strchr("Kk", v[len - 1]) ? 10 : strchr("Mm", v[len - 1]) ? 20 : 30;
		memcpy(num, v, len - 1);
		num[len - 1] = '\0';
		v = num;
	}
	if (parse_u64(v, &n) < 0 || n > (max >> shift) || (n << shift) < min)
		return errf(err, errlen, -EINVAL, "%s must be from %llu to %llu%s, not '%s'", key,
			    (unsigned long long)min, (unsigned long long)max,
			    size ? " bytes (K, M, G suffixes)" : "", v);
	*ret = n << shift;
	return 0;
}

static int set_bus_payload_max(struct config *c, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	int r = set_limit("bus_payload_max", v, 0, 64u << 20, true, &n, err, errlen);

	if (r == 0)
		c->bus.payload_max = (uint32_t)n;
	return r;
}

static int set_bus_queue_messages(struct config *c, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	int r = set_limit("bus_queue_messages", v, 1, 1000000, false, &n, err, errlen);

	if (r == 0)
		c->bus.queue_messages = (uint32_t)n;
	return r;
}

static int set_bus_queue_bytes(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_limit("bus_queue_bytes", v, 1, UINT64_C(1) << 40, true, &c->bus.queue_bytes, err,
			 errlen);
}

static int set_bus_container_quota(struct config *c, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	int r = set_limit("bus_container_quota", v, 1, 10000000, false, &n, err, errlen);

	if (r == 0)
		c->bus.container_quota = (uint32_t)n;
	return r;
}

static int set_bus_default_ttl(struct config *c, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	/* In milliseconds on the bus, 32 bits: at most 49 days. */
	int r = set_limit("bus_default_ttl", v, 0, UINT32_MAX / 1000, false, &n, err, errlen);

	if (r == 0)
		c->bus.default_ttl = (uint32_t)n;
	return r;
}

static int set_policy_file(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_string(&c->policy_file, v, err, errlen, "policy_file");
}

static int set_state_dir(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_string(&c->state_dir, v, err, errlen, "state_dir");
}

static int set_run_dir(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_string(&c->run_dir, v, err, errlen, "run_dir");
}

static int set_log_level(struct config *c, const char *v, char *err, size_t errlen)
{
	int lvl = log_level_from_name(v);

	if (lvl < 0)
		return errf(err, errlen, -EINVAL,
			    "log_level must be debug, info, notice, warning or error, not '%s'", v);
	c->log_level = lvl;
	return 0;
}

static int set_log_target(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "auto") == 0)
		c->log_target = LOG_TARGET_AUTO;
	else if (strcmp(v, "stderr") == 0)
		c->log_target = LOG_TARGET_STDERR;
	else if (strcmp(v, "syslog") == 0)
		c->log_target = LOG_TARGET_SYSLOG;
	else
		return errf(err, errlen, -EINVAL,
			    "log_target must be auto, stderr or syslog, not '%s'", v);
	return 0;
}

static int set_admin_group(struct config *c, const char *v, char *err, size_t errlen)
{
	struct group *gr;
	uint32_t gid;
	char *copy;

	if (parse_u32(v, &gid) == 0) {
		gr = getgrgid(gid);
		if (!gr)
			return errf(
				err, errlen, -ENOENT,
				"admin_group %u is not a group on this system (see getent group)",
				gid);
	} else {
		gr = getgrnam(v);
		if (!gr)
			return errf(
				err, errlen, -ENOENT,
				"admin_group '%s' is not a group on this system (see getent group)",
				v);
		gid = gr->gr_gid;
	}
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	free(c->admin_group);
	c->admin_group = copy;
	c->admin_gid = gid;
	return 0;
}

static int set_read_access(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "admin") == 0)
		c->read_open = false;
	else if (strcmp(v, "all") == 0)
		c->read_open = true;
	else
		return errf(err, errlen, -EINVAL, "read_access must be admin or all, not '%s'", v);
	return 0;
}

static int set_vdev_backend(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "auto") == 0)
		c->vdev_backend = VDEV_BACKEND_AUTO;
	else if (strcmp(v, "kmod") == 0)
		c->vdev_backend = VDEV_BACKEND_KMOD;
	else if (strcmp(v, "user") == 0)
		c->vdev_backend = VDEV_BACKEND_USER;
	else
		return errf(err, errlen, -EINVAL,
			    "vdev_backend must be auto, kmod or user, not '%s'", v);
	return 0;
}

static int set_durability(struct config *c, const char *v, char *err, size_t errlen)
{
	for (uint32_t i = 0; journal_durability_name(i); i++)
		if (strcmp(v, journal_durability_name(i)) == 0) {
			c->journal.durability = i;
			return 0;
		}
	return errf(err, errlen, -EINVAL, "durability must be sync, async or memory, not '%s'", v);
}

static int set_journal_segment_size(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_limit("journal_segment_size", v, 64u << 10, UINT64_C(1) << 32, true,
			 &c->journal.segment_size, err, errlen);
}

static int set_journal_sync_interval(struct config *c, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	int r = set_limit("journal_sync_interval_ms", v, 1, 3600000, false, &n, err, errlen);

	if (r == 0)
		c->journal.sync_interval_ms = (uint32_t)n;
	return r;
}

static int set_journal_retain_size(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_limit("journal_retain_size", v, 0, UINT64_C(1) << 50, true,
			 &c->journal.retain_size, err, errlen);
}

/* Seconds, or a number with s, m, h or d. */
static int set_journal_retain_age(struct config *c, const char *v, char *err, size_t errlen)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	char num[32];
	size_t len = strlen(v);
	uint64_t n, mult = 1;

	if (len > 1 && len < sizeof(num))
		for (size_t i = 0; i < 4; i++)
			if (v[len - 1] == units[i].unit) {
				mult = units[i].secs;
				memcpy(num, v, len - 1);
				num[len - 1] = '\0';
				v = num;
			}
	if (parse_u64(v, &n) < 0 || n > (UINT64_C(1) << 40) / mult)
		return errf(err, errlen, -EINVAL,
			    "journal_retain_age must be a number of seconds, or with s, m, h or d "
			    "(7d), not '%s'",
			    v);
	c->journal.retain_age = n * mult;
	return 0;
}

static const struct {
	const char *name;
	config_setter set;
} config_keys[CFG_KEY_COUNT] = {
	[CFG_PORT_ID] = { "port_id", set_port_id },
	[CFG_STATE_DIR] = { "state_dir", set_state_dir },
	[CFG_RUN_DIR] = { "run_dir", set_run_dir },
	[CFG_LOG_LEVEL] = { "log_level", set_log_level },
	[CFG_LOG_TARGET] = { "log_target", set_log_target },
	[CFG_ADMIN_GROUP] = { "admin_group", set_admin_group },
	[CFG_READ_ACCESS] = { "read_access", set_read_access },
	[CFG_USERNS_BASE] = { "userns_base", set_userns_base },
	[CFG_POLICY_FILE] = { "policy_file", set_policy_file },
	[CFG_BUS_PAYLOAD_MAX] = { "bus_payload_max", set_bus_payload_max },
	[CFG_BUS_QUEUE_MESSAGES] = { "bus_queue_messages", set_bus_queue_messages },
	[CFG_BUS_QUEUE_BYTES] = { "bus_queue_bytes", set_bus_queue_bytes },
	[CFG_BUS_CONTAINER_QUOTA] = { "bus_container_quota", set_bus_container_quota },
	[CFG_BUS_DEFAULT_TTL] = { "bus_default_ttl", set_bus_default_ttl },
	[CFG_VDEV_BACKEND] = { "vdev_backend", set_vdev_backend },
	[CFG_DURABILITY] = { "durability", set_durability },
	[CFG_JOURNAL_SEGMENT_SIZE] = { "journal_segment_size", set_journal_segment_size },
	[CFG_JOURNAL_SYNC_INTERVAL] = { "journal_sync_interval_ms", set_journal_sync_interval },
	[CFG_JOURNAL_RETAIN_SIZE] = { "journal_retain_size", set_journal_retain_size },
	[CFG_JOURNAL_RETAIN_AGE] = { "journal_retain_age", set_journal_retain_age },
};

const char *config_key_name(enum config_key_id id)
{
	return config_keys[id].name;
}

int config_init(struct config *c)
{
	*c = (struct config){
		.port_id = CTRIPC_DEFAULT_PORT_ID,
		.log_level = LOG_LVL_INFO,
		.log_target = LOG_TARGET_AUTO,
		.userns_base = CONFIG_DEFAULT_USERNS_BASE,
		.bus = { .payload_max = 1u << 20,
			 .queue_messages = 1000,
			 .queue_bytes = 64u << 20,
			 .container_quota = 10000,
			 .default_ttl = 60 },
		.journal = { .durability = 0 /* sync */,
			     .segment_size = 64u << 20,
			     .sync_interval_ms = 200,
			     .retain_size = 1u << 30,
			     .retain_age = 7 * 86400 },
	};
	c->state_dir = strdup(CONFIG_DEFAULT_STATE_DIR);
	c->run_dir = strdup(CONFIG_DEFAULT_RUN_DIR);
	c->policy_file = strdup(CONFIG_DEFAULT_POLICY_FILE);
	if (!c->state_dir || !c->run_dir || !c->policy_file) {
		config_free(c);
		return -ENOMEM;
	}
	return 0;
}

void config_free(struct config *c)
{
	free(c->state_dir);
	free(c->run_dir);
	free(c->admin_group);
	free(c->policy_file);
	c->state_dir = c->run_dir = c->admin_group = c->policy_file = NULL;
}

static int key_lookup(const char *key)
{
	for (int i = 0; i < CFG_KEY_COUNT; i++)
		if (strcmp(config_keys[i].name, key) == 0)
			return i;
	return -1;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	int id = key_lookup(key);

	if (id < 0) {
		size_t off = (size_t)snprintf(err, errlen, "unknown key '%s' (known keys:", key);

		for (int i = 0; i < CFG_KEY_COUNT && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off, " %s",
						config_keys[i].name);
		if (off < errlen)
			snprintf(err + off, errlen - off, ")");
		return -EINVAL;
	}
	return config_keys[id].set(c, value, err, errlen);
}

int config_copy_key(struct config *dst, const struct config *src, enum config_key_id id)
{
	char err[256];

	switch (id) {
	case CFG_PORT_ID:
		dst->port_id = src->port_id;
		return 0;
	case CFG_STATE_DIR:
		return set_state_dir(dst, src->state_dir, err, sizeof(err));
	case CFG_RUN_DIR:
		return set_run_dir(dst, src->run_dir, err, sizeof(err));
	case CFG_LOG_LEVEL:
		dst->log_level = src->log_level;
		return 0;
	case CFG_LOG_TARGET:
		dst->log_target = src->log_target;
		return 0;
	case CFG_ADMIN_GROUP:
		free(dst->admin_group);
		dst->admin_group = src->admin_group ? strdup(src->admin_group) : NULL;
		dst->admin_gid = src->admin_gid;
		return (src->admin_group && !dst->admin_group) ? -ENOMEM : 0;
	case CFG_READ_ACCESS:
		dst->read_open = src->read_open;
		return 0;
	case CFG_USERNS_BASE:
		dst->userns_base = src->userns_base;
		return 0;
	case CFG_BUS_PAYLOAD_MAX:
	case CFG_BUS_QUEUE_MESSAGES:
	case CFG_BUS_QUEUE_BYTES:
	case CFG_BUS_CONTAINER_QUOTA:
	case CFG_BUS_DEFAULT_TTL:
		dst->bus = src->bus; /* all of them together: one struct */
		return 0;
	case CFG_POLICY_FILE:
		return set_policy_file(dst, src->policy_file, err, sizeof(err));
	case CFG_VDEV_BACKEND:
		dst->vdev_backend = src->vdev_backend;
		return 0;
	case CFG_DURABILITY:
	case CFG_JOURNAL_SEGMENT_SIZE:
	case CFG_JOURNAL_SYNC_INTERVAL:
	case CFG_JOURNAL_RETAIN_SIZE:
	case CFG_JOURNAL_RETAIN_AGE:
		dst->journal = src->journal;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Split one line into key and value; 0 for a blank or comment line, 1 for a pair. */
static int split_line(char *line, char **ret_key, char **ret_value, char *err, size_t errlen)
{
	char *s = strstrip(line), *eq, *key, *value;
	size_t vlen;

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return errf(err, errlen, -EINVAL, "expected 'key = value', got '%s'", s);
	*eq = '\0';
	key = strstrip(s);
	value = strstrip(eq + 1);
	if (!*key)
		return errf(err, errlen, -EINVAL, "missing key before '='");
	vlen = strlen(value);
	if (vlen > 0 && value[0] == '"') {
		if (vlen < 2 || value[vlen - 1] != '"')
			return errf(err, errlen, -EINVAL, "unterminated quote in the value of '%s'",
				    key);
		value[vlen - 1] = '\0';
		value++;
	}
	if (!*value)
		return errf(err, errlen, -EINVAL, "'%s' has an empty value", key);
	*ret_key = key;
	*ret_value = value;
	return 1;
}

int config_load(struct config *c, const char *path, bool must_exist, char *err, size_t errlen)
{
	unsigned int line_of[CFG_KEY_COUNT] = { 0 };
	char msg[384] = "out of memory";
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return errf(err, errlen, -errno, "%s: cannot open: %s", path, strerror(errno));
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *key = NULL, *value = NULL;
		int id;

		lineno++;
		if ((size_t)len != strlen(line)) {
			r = errf(err, errlen, -EINVAL, "%s:%u: line contains a NUL byte", path,
				 lineno);
			break;
		}
		r = split_line(line, &key, &value, msg, sizeof(msg));
		if (r == 0)
			continue;
		if (r < 0) {
			errf(err, errlen, r, "%s:%u: %s", path, lineno, msg);
			break;
		}
		id = key_lookup(key);
		if (id >= 0 && line_of[id]) {
			r = errf(err, errlen, -EINVAL, "%s:%u: '%s' is already set on line %u",
				 path, lineno, key, line_of[id]);
			break;
		}
		r = config_set(c, key, value, msg, sizeof(msg));
		if (r < 0) {
			errf(err, errlen, r, "%s:%u: %s", path, lineno, msg);
			break;
		}
		line_of[id] = lineno;
		c->set_mask |= UINT64_C(1) << id;
		r = 0;
	}
	if (r == 0 && ferror(f))
		r = errf(err, errlen, -EIO, "%s: read error", path);
	free(line);
	fclose(f);
	return r;
}

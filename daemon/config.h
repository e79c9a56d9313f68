/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctr-ipcd.conf: "key = value" lines; every error names file:line. */
#ifndef CTRIPCD_CONFIG_H
#define CTRIPCD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONFIG_DEFAULT_PATH	   CTRIPC_SYSCONFDIR "/ctr-ipc/ctr-ipcd.conf"
#define CONFIG_DEFAULT_STATE_DIR   "/var/lib/ctr-ipc"
#define CONFIG_DEFAULT_RUN_DIR	   "/run/ctr-ipc"
#define CONFIG_DEFAULT_POLICY_FILE CTRIPC_SYSCONFDIR "/ctr-ipc/policy.conf"
/* --userns: each container gets USERNS_RANGE host ids from userns_base on. */
#define CONFIG_DEFAULT_USERNS_BASE 1000000u
#define USERNS_RANGE		   65536u

enum log_target { LOG_TARGET_AUTO, LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

/* Virtual hardware: the ctr_vdev kernel module, the user-space backend, or the first that works. */
enum vdev_backend { VDEV_BACKEND_AUTO, VDEV_BACKEND_KMOD, VDEV_BACKEND_USER };

struct config {
	uint32_t port_id;
	char *state_dir;
	char *run_dir;
	int log_level; /* enum log_level */
	enum log_target log_target;
	char *admin_group; /* as written, NULL when unset */
	gid_t admin_gid;
	bool read_open;	      /* read_access = all */
	uint32_t userns_base; /* first host uid/gid handed to user namespaces */
	char *policy_file;    /* the bus's rules */
	struct bus_limits {
		uint32_t payload_max;	 /* bytes of one message */
		uint32_t queue_messages; /* held for one destination */
		uint64_t queue_bytes;
		uint32_t container_quota; /* held from one sending container */
		uint32_t default_ttl;	  /* seconds, when the sender gives none */
	} bus;
	struct journal_config {
		uint32_t durability; /* enum journal_durability */
		uint64_t segment_size;
		uint32_t sync_interval_ms; /* async */
		uint64_t retain_size;
		uint64_t retain_age; /* seconds */
	} journal;
	enum vdev_backend vdev_backend;
	uint64_t set_mask; /* bit per config key: given in the file */
};

/* Bits of set_mask, also used for command-line overrides. */
enum config_key_id {
	CFG_PORT_ID,
	CFG_STATE_DIR,
	CFG_RUN_DIR,
	CFG_LOG_LEVEL,
	CFG_LOG_TARGET,
	CFG_ADMIN_GROUP,
	CFG_READ_ACCESS,
	CFG_USERNS_BASE,
	CFG_POLICY_FILE,
	CFG_BUS_PAYLOAD_MAX,
	CFG_BUS_QUEUE_MESSAGES,
	CFG_BUS_QUEUE_BYTES,
	CFG_BUS_CONTAINER_QUOTA,
	CFG_BUS_DEFAULT_TTL,
	CFG_VDEV_BACKEND,
	CFG_DURABILITY,
	CFG_JOURNAL_SEGMENT_SIZE,
	CFG_JOURNAL_SYNC_INTERVAL,
	CFG_JOURNAL_RETAIN_SIZE,
	CFG_JOURNAL_RETAIN_AGE,
	CFG_KEY_COUNT,
};

int config_init(struct config *c);
void config_free(struct config *c);

/* Set one key from its text value (as the file or a command-line option would). */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);

/*
 * Parse @path into @c (which holds defaults).  A missing file is not an
 * error unless @must_exist.  On error, returns -errno and @err reads
 * "FILE:LINE: what is wrong".
 */
int config_load(struct config *c, const char *path, bool must_exist, char *err, size_t errlen);

/* Copy key @id from @src to @dst (used to re-apply command-line overrides). */
int config_copy_key(struct config *dst, const struct config *src, enum config_key_id id);

const char *config_key_name(enum config_key_id id);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's configuration in force: file plus command-line overrides, and reload. */
#include <errno.h>
#include <string.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

int daemon_apply_overrides(struct daemon *d, struct config *cfg)
{
	for (int id = 0; id < CFG_KEY_COUNT; id++) {
		if (!(d->override_mask & (UINT64_C(1) << id)))
			continue;
		if (config_copy_key(cfg, &d->overrides, id) < 0)
			return -ENOMEM;
	}
	return 0;
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	static const enum config_key_id fixed[] = { CFG_PORT_ID, CFG_STATE_DIR, CFG_RUN_DIR,
						    CFG_LOG_TARGET, CFG_VDEV_BACKEND };
	struct config next;
	int r;

	r = config_init(&next);
	if (r < 0)
		return r;
	r = config_load(&next, d->config_path, d->config_explicit, err, errlen);
	if (r == 0)
		r = daemon_apply_overrides(d, &next);
	if (r < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
		config_free(&next);
		return r;
	}
	/* These are bound at start: say so rather than half-apply them. */
	if (next.port_id != d->cfg.port_id)
		log_warn("'port_id' changed in %s; it takes effect at the next start",
			 d->config_path);
	if (strcmp(next.state_dir, d->cfg.state_dir) != 0)
		log_warn("'state_dir' changed in %s; it takes effect at the next start",
			 d->config_path);
	if (strcmp(next.run_dir, d->cfg.run_dir) != 0)
		log_warn("'run_dir' changed in %s; it takes effect at the next start",
			 d->config_path);
	if (next.log_target != d->cfg.log_target)
		log_warn("'log_target' changed in %s; it takes effect at the next start",
			 d->config_path);
	if (next.vdev_backend != d->cfg.vdev_backend)
		log_warn("'vdev_backend' changed in %s; it takes effect at the next start",
			 d->config_path);
	/* The journal is the buffer's from its start: the next buffer takes these. */
	{
		const struct journal_config *a = &d->cfg.journal, *b = &next.journal;
		const struct {
			enum config_key_id id;
			bool changed;
		} journal_keys[] = {
			{ CFG_DURABILITY, a->durability != b->durability },
			{ CFG_JOURNAL_SEGMENT_SIZE, a->segment_size != b->segment_size },
			{ CFG_JOURNAL_SYNC_INTERVAL, a->sync_interval_ms != b->sync_interval_ms },
			{ CFG_JOURNAL_RETAIN_SIZE, a->retain_size != b->retain_size },
			{ CFG_JOURNAL_RETAIN_AGE, a->retain_age != b->retain_age },
		};

		for (size_t i = 0; i < ARRAY_SIZE(journal_keys); i++)
			if (journal_keys[i].changed)
				log_warn("'%s' changed in %s; the buffer process takes it when it "
					 "next starts (restart ctr-ipcd to apply it now)",
					 config_key_name(journal_keys[i].id), d->config_path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		config_copy_key(&next, &d->cfg, fixed[i]);
	config_free(&d->cfg);
	d->cfg = next;
	log_set_level(d->cfg.log_level);
	bus_limits_changed(d);
	bus_policy_reload(d);
	d->reloads++;
	log_info("configuration reloaded from %s", d->config_path);
	return 0;
}

/*
 * A program of ctr-ipc's own (ctr-ipc-fetch, ctr-ipc-buffer): next to
 * ctr-ipcd (a build tree), in ../libexec/ctr-ipc from it (an install under
 * any prefix), else in LIBEXECDIR/ctr-ipc.
 */
int daemon_helper_path(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX], sub[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	snprintf(sub, sizeof(sub), "ctr-ipc/%s", name);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		if (path_join(buf, len, self, name, NULL) == 0 && access(buf, X_OK) == 0)
			return 0;
		if (path_join(buf, len, self, "../libexec/", sub) == 0 && access(buf, X_OK) == 0)
			return 0;
	}
	if (path_join(buf, len, CTRIPC_LIBEXECDIR, sub, NULL) == 0 && access(buf, X_OK) == 0)
		return 0;
	return -ENOENT;
}

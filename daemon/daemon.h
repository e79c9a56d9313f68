/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by its subsystems. */
#ifndef CTRIPCD_DAEMON_H
#define CTRIPCD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "container.h"
#include "control.h"
#include "vdev.h"
#include "bus.h"

struct daemon {
	struct config cfg;	 /* in force: file + command-line overrides */
	struct config overrides; /* values given on the command line */
	uint64_t override_mask;	 /* bit per enum config_key_id */
	char *config_path;
	bool config_explicit; /* --config given: the file must exist */

	uint64_t started_mono_ms;
	time_t started_at;
	uint64_t reloads;

	struct control ctl;
	int epfd;
	int poll_fd; /* timerfd checking shims where pidfds are missing, or -1 */
	struct container *containers;
	struct pull *pulls; /* create --image waiting for its image */
	struct vdev vdev;
	struct bus bus;
	int pidfile_fd;
	bool quit;
};

/* Apply the command-line overrides to @cfg (they win over the file). */
int daemon_apply_overrides(struct daemon *d, struct config *cfg);

/* Re-read the config file; on error keep the old one and describe why. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

/* Path of a program of ctr-ipc's own, @name ("ctr-ipc-buffer"); -ENOENT if missing. */
int daemon_helper_path(const char *name, char *buf, size_t len);

/* Handlers, one table indexed by command. */
extern const struct ctl_handler ctl_handlers[CTRIPC_CMD_MAX + 1];

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resource limits of a container: cgroup v2 where its memory and pids
 * controllers are available, else the cgroup v1 memory and pids hierarchies
 * (hybrid hosts).
 */
#ifndef CTRIPCD_CGROUP_H
#define CTRIPCD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_PATHS 2

struct cgroup {
	int n;			      /* directories in use (0: no limits) */
	char path[CGROUP_PATHS][256]; /* v2: one; v1: memory, pids */
	bool v2;
};

/*
 * Create the groups for @name (unique per @instance, a hash of the state dir)
 * and write the limits (0: none).  Fills @cg; -errno with @err on failure.
 */
int cgroup_create(struct cgroup *cg, uint64_t instance, const char *name, uint64_t memory,
		  uint64_t pids_max, char *err, size_t errlen);

/* Move @pid into every group of @cg. */
int cgroup_enter(const struct cgroup *cg, pid_t pid);

/* Did the memory limit kill a process of the group? */
bool cgroup_oom_killed(const struct cgroup *cg);

/* Remove the groups (they must be empty). */
void cgroup_remove(const struct cgroup *cg);

/* The groups of @name, whether they exist or not (for clean-up after a restart). */
void cgroup_paths(struct cgroup *cg, uint64_t instance, const char *name);

/* FNV-1a of a string: a short stable id of a daemon instance. */
uint64_t cgroup_instance_id(const char *state_dir);

#endif

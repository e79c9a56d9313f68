// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Container limits through cgroups.  cgroup v2 is used when a v2 hierarchy
 * (at /sys/fs/cgroup or /sys/fs/cgroup/unified) offers both the memory and
 * pids controllers; otherwise the v1 memory and pids hierarchies.  Groups
 * live under "ctr-ipc/" and are named INSTANCE-NAME so several daemons can
 * run side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

#define CGROOT "/sys/fs/cgroup"

static int write_str(const char *dir, const char *file, const char *value)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -errno;
}

static bool file_has_word(const char *path, const char *word)
{
	char buf[512], *tok, *save;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, word) == 0)
			return true;
	return false;
}

/* The v2 mount whose root offers memory and pids, or NULL. */
static const char *v2_root(void)
{
	static const char *const roots[] = { CGROOT, CGROOT "/unified" };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", roots[i]);
		if (file_has_word(path, "memory") && file_has_word(path, "pids"))
			return roots[i];
	}
	return NULL;
}

uint64_t cgroup_instance_id(const char *state_dir)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)state_dir; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

void cgroup_paths(struct cgroup *cg, uint64_t instance, const char *name)
{
	const char *v2 = v2_root();
	unsigned int id = (unsigned int)(instance ^ (instance >> 32));

	*cg = (struct cgroup){ .v2 = v2 != NULL };
	if (v2) {
		snprintf(cg->path[0], sizeof(cg->path[0]), "%s/ctr-ipc/%08x-%s", v2, id, name);
		cg->n = 1;
	} else {
		snprintf(cg->path[0], sizeof(cg->path[0]), CGROOT "/memory/ctr-ipc/%08x-%s", id,
			 name);
		snprintf(cg->path[1], sizeof(cg->path[1]), CGROOT "/pids/ctr-ipc/%08x-%s", id,
			 name);
		cg->n = 2;
	}
}

static int mkdir_parent_and(const char *path)
{
	char parent[256];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int cgroup_create(struct cgroup *cg, uint64_t instance, const char *name, uint64_t memory,
		  uint64_t pids_max, char *err, size_t errlen)
{
	char value[32];
	int r = 0;

	cgroup_paths(cg, instance, name);
	if (!memory && !pids_max) {
		cg->n = 0;
		return 0;
	}
	if (cg->v2) {
		char parent[256];

		/* The parent must hand memory and pids down to its children. */
		snprintf(parent, sizeof(parent), "%s", cg->path[0]);
		*strrchr(parent, '/') = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (r == 0) {
			char root_ctl[256];

			snprintf(root_ctl, sizeof(root_ctl), "%s", parent);
			*strrchr(root_ctl, '/') = '\0';
			write_str(root_ctl, "cgroup.subtree_control", "+memory +pids");
			r = write_str(parent, "cgroup.subtree_control", "+memory +pids");
		}
	}
	for (int i = 0; r == 0 && i < cg->n; i++)
		r = mkdir_parent_and(cg->path[i]);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the cgroup %s: %s", cg->path[0], strerror(-r));
		goto out_remove;
	}
	if (memory) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)memory);
		if (cg->v2) {
			r = write_str(cg->path[0], "memory.max", value);
			write_str(cg->path[0], "memory.swap.max", "0");
		} else {
			r = write_str(cg->path[0], "memory.limit_in_bytes", value);
			/* No swap beyond the limit either, where swap accounting exists. */
			write_str(cg->path[0], "memory.memsw.limit_in_bytes", value);
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot set the memory limit in %s: %s", cg->path[0],
				 strerror(-r));
			goto out_remove;
		}
	}
	if (pids_max) {
		const char *dir = cg->v2 ? cg->path[0] : cg->path[1];

		snprintf(value, sizeof(value), "%llu", (unsigned long long)pids_max);
		r = write_str(dir, "pids.max", value);
		if (r < 0) {
			snprintf(err, errlen, "cannot set the pids limit in %s: %s", dir,
				 strerror(-r));
			goto out_remove;
		}
	}
	return 0;

out_remove:
	cgroup_remove(cg);
	return r;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (int i = 0; i < cg->n; i++) {
		int r = write_str(cg->path[i], "cgroup.procs", value);

		if (r < 0)
			return r;
	}
	return 0;
}

bool cgroup_oom_killed(const struct cgroup *cg)
{
	char path[300], line[128];
	bool killed = false;
	FILE *f;

	if (cg->n == 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s", cg->path[0],
		 cg->v2 ? "memory.events" : "memory.oom_control");
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long n;

		if (sscanf(line, "oom_kill %llu", &n) == 1 && n > 0)
			killed = true;
	}
	fclose(f);
	return killed;
}

void cgroup_remove(const struct cgroup *cg)
{
	for (int i = 0; i < cg->n; i++) {
		char parent[256];
		char *slash;

		/* Killed processes may take a moment to leave the group: EBUSY until then. */
		for (int tries = 0; rmdir(cg->path[i]) < 0 && errno == EBUSY && tries < 50; tries++)
			usleep(10000);
		/* The shared "ctr-ipc" parent goes with its last child (rmdir refuses otherwise). */
		snprintf(parent, sizeof(parent), "%s", cg->path[i]);
		slash = strrchr(parent, '/');
		if (slash) {
			*slash = '\0';
			rmdir(parent);
		}
	}
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers: the registry, their state on disk, and their processes. */
#ifndef CTRIPCD_CONTAINER_H
#define CTRIPCD_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "cgroup.h"
#include "config.h"
#include "ctr-ipc/util.h"

struct daemon;
struct ctl_deferred;

enum ctr_state { CTR_CREATED, CTR_RUNNING, CTR_STOPPED };

struct container {
	struct container *next;
	char name[64];
	char hostname[65];
	bool net_host;
	bool userns;		   /* its own user namespace */
	uint32_t uid_base;	   /* then: root inside is this host uid/gid (chosen at creation) */
	uint64_t memory, pids_max; /* limits, 0: none */
	struct cgroup cg;	   /* the groups while running with limits */
	bool oom_killed;	   /* the memory limit killed a process of its last run */
	struct strv argv, env;
	char *rootfs;	   /* --rootfs DIR, the overlay's lower layer, or NULL */
	char *image;	   /* --image URL it was made from, or NULL */
	struct strv binds; /* SRC:DST[:ro] */
	enum ctr_state state;
	time_t created_at, started_at, finished_at;
	pid_t shim_pid, init_pid;
	unsigned long long shim_start; /* start time of the shim, to tell a reused pid */
	int exit_code, exit_signal;
	bool has_exit;		      /* exit_code/exit_signal are known */
	int shim_fd;		      /* pidfd of the shim while running, else -1 */
	int bus_listener;	      /* its bus socket while running, else -1 */
	bool shim_polled;	      /* no pidfd: checked by the daemon's poll timer */
	int stop_timer_fd;	      /* SIGKILL when it fires, else -1 */
	struct ctl_deferred *waiters; /* answered once it has stopped */
	bool remove_when_stopped;     /* rm --force in progress */
};

extern const char *const ctr_state_names[];

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,62} */
bool container_name_valid(const char *name);

/* Load every container of STATE/containers; running ones are adopted. */
int containers_load(struct daemon *d);
void containers_free(struct daemon *d);
struct container *container_find(struct daemon *d, const char *name);

/* Fork the shim that runs @c; fills the shim's and init's pids or says why not. */
int container_spawn(const struct container *c, const char *dir, pid_t *ret_shim, pid_t *ret_init,
		    char *err, size_t errlen);

/* Inside a container (init, exec): the reduced capability set and no_new_privs. */
void container_drop_privileges(int err_fd);
/* In a user namespace: uid and gid 0 there, no supplementary groups. */
void container_become_root(int err_fd);
void container_reset_signals(void);
char **container_build_env(const struct container *c, const char *const *extra, int nextra);
/* Write the sentence to @fd and _exit(127). */
void container_die(int fd, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/*
 * Prepare `container exec`: a one-shot socket under RUN_DIR/exec for the
 * process @cred, and a detached helper that runs @argv in @c's namespaces
 * for whoever connects to it first (it must be @cred's process).
 */
int container_exec_prepare(struct daemon *d, const struct container *c, const struct ucred *cred,
			   const char *const *argv, int argc, const char *const *env, int envc,
			   bool tty, char *ret_path, size_t pathlen, char *err, size_t errlen);

/*
 * create --image: a worker fetches and unpacks the image; once it is ready
 * @c (filled, not registered) is created with the image as its root and @w
 * is answered.  The daemon does not wait meanwhile.
 */
int container_pull(struct daemon *d, struct container *c, const char *url, const char *sha256,
		   struct ctl_deferred *w, char *err, size_t errlen);
/* Is a container of this name waiting for its image? */
bool container_pulling(struct daemon *d, const char *name);

struct pull {
	struct pull *next;
	int fd;
	pid_t pid;
	struct container *c;
	struct ctl_deferred *w;
	size_t len;
	char buf[4096 + 600];
};

/* An fd of ours became readable: a shim ended or a stop timed out. */
void container_on_event(struct daemon *d, int fd);

/*
 * Bind the host's @path at DIR/NAME in the running container of @init
 * (directories made as needed, owned by its root with a user namespace);
 * read-only if @readonly.  0, or -errno and a sentence in @err.
 */
int container_place(pid_t init, uint32_t uid_base, const char *path, const char *dir,
		    const char *name, bool readonly, char *err, size_t errlen);
/* Take back what container_place() put at @dir/@name in the container of @init. */
int container_unplace(pid_t init, uint32_t uid_base, const char *dir, const char *name, char *err,
		      size_t errlen);

/* STATE/containers/NAME */
int container_dir(const struct daemon *d, const char *name, char *buf, size_t len);

/* Free a container that is not (or no longer) registered. */
void container_free(struct container *c);

/* Register @c (filled by the caller) and write its files. */
int container_create(struct daemon *d, struct container *c, char *err, size_t errlen);
int container_start(struct daemon *d, struct container *c, char *err, size_t errlen);
/* SIGTERM, SIGKILL after @timeout s (0: at once); @w (may be NULL) is answered when stopped. */
int container_stop(struct daemon *d, struct container *c, unsigned int timeout,
		   struct ctl_deferred *w);
/* Delete a stopped or created container and its files. */
int container_remove(struct daemon *d, struct container *c);

#endif

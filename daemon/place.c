// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Put a file of the host (a device node, a socket, a program) into a running
 * container: a forked child clones it as a detached mount while still in the
 * daemon's mount namespace, enters the container's, and attaches it at
 * DIR/NAME there.  Nothing else of the host becomes visible.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"

#define PLACE_TIMEOUT_S 5

/* What the child does: @prepare in the daemon's mount namespace, @act in the container's. */
struct place_job {
	void (*prepare)(struct place_job *job, int report);
	void (*act)(struct place_job *job, int report);
	uint32_t uid_base;
	const char *path, *dir, *name;
	bool readonly;
	int tree;
};

/*
 * Run @job in a forked child that enters the mount namespace of @init: it
 * keeps nothing of the daemon's but the pipe it reports a failure on, and
 * dies by alarm after PLACE_TIMEOUT_S.  0, or -EIO with its sentence.
 */
static int run_in(pid_t init, struct place_job *job, char *err, size_t errlen)
{
	int st[2], status;
	char why[256] = "";
	pid_t pid;
	ssize_t n;

	if (pipe2(st, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(st[0]);
		close(st[1]);
		return -errno;
	}
	if (pid == 0) {
		char ns[64];
		int nsfd;

		/* Nothing of the daemon's but the answer pipe (its pidfile lock above all). */
		if (dup2(st[1], 3) < 0)
			_exit(126);
		syscall(SYS_close_range, 4, ~0U, 0);
		container_reset_signals(); /* not the daemon's blocked signals: killable */
		alarm(PLACE_TIMEOUT_S);
		if (job->prepare)
			job->prepare(job, 3);
		snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)init);
		nsfd = open(ns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0)
			container_die(3, "cannot enter the container: %s", strerror(errno));
		/* In a user namespace, what is made in its directories must be its root's. */
		if (job->uid_base) {
			setfsgid(job->uid_base);
			setfsuid(job->uid_base);
		}
		job->act(job, 3);
		_exit(0);
	}
	close(st[1]);
	/* The child ends by itself (alarm); the daemon never waits longer than that. */
	n = read(st[0], why, sizeof(why) - 1);
	close(st[0]);
	waitpid(pid, &status, 0);
	if (n > 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		why[n > 0 ? n : 0] = '\0';
		snprintf(err, errlen, "%s", why[0] ? why : "the helper in the container died");
		return -EIO;
	}
	return 0;
}

/* Binds of @dst, one over the other, all go. */
static void unmount_all(const char *dst)
{
	while (umount2(dst, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
}

/* In the host's namespace: the file, as a detached mount (read-only if asked). */
static void clone_file(struct place_job *job, int report)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };

	job->tree = open_tree(AT_FDCWD, job->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (job->tree < 0)
		container_die(report, "cannot clone %s: %s", job->path, strerror(errno));
	if (job->readonly) {
		attr.attr_set |= MOUNT_ATTR_RDONLY;
		if (mount_setattr(job->tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			container_die(report, "cannot make %s read-only: %s", job->path,
				      strerror(errno));
	}
}

/* In the container's: DIR made, an older bind of NAME gone, the clone attached there. */
static void attach_file(struct place_job *job, int report)
{
	char dst[PATH_MAX];
	int fd;

	snprintf(dst, sizeof(dst), "%s", job->dir);
	for (char *p = dst + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			container_die(report, "cannot create %s: %s", dst, strerror(errno));
		*p = c;
		if (!c)
			break;
	}
	snprintf(dst, sizeof(dst), "%s/%s", job->dir, job->name);
	/* An older bind of the same name (a file deleted since) goes first. */
	unmount_all(dst);
	/*
	 * A mount point: made empty, or whatever is there already (an older
	 * bind of the same name, a FIFO) as long as it is no directory and no
	 * link.  Never opened: a FIFO would block.
	 */
	fd = open(dst, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		close(fd);
	} else {
		struct stat st_dst;

		if (errno != EEXIST || lstat(dst, &st_dst) < 0 || S_ISDIR(st_dst.st_mode) ||
		    S_ISLNK(st_dst.st_mode))
			container_die(report, "cannot create %s: %s", dst,
				      errno == EEXIST ? "a directory or link is in the way"
						      : strerror(errno));
	}
	if (move_mount(job->tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		container_die(report, "cannot mount %s: %s", dst, strerror(errno));
}

int container_place(pid_t init, uint32_t uid_base, const char *path, const char *dir,
		    const char *name, bool readonly, char *err, size_t errlen)
{
	struct place_job job = { .prepare = clone_file,
				 .act = attach_file,
				 .uid_base = uid_base,
				 .path = path,
				 .dir = dir,
				 .name = name,
				 .readonly = readonly,
				 .tree = -1 };

	return run_in(init, &job, err, errlen);
}

/* In the container's: the binds at DIR/NAME go, and the mount point with them. */
static void detach_file(struct place_job *job, int report)
{
	char dst[PATH_MAX];
	struct stat st_dst;

	snprintf(dst, sizeof(dst), "%s/%s", job->dir, job->name);
	unmount_all(dst);
	/* The empty file attach_file() made; never a directory or anything else. */
	if (lstat(dst, &st_dst) == 0 && S_ISREG(st_dst.st_mode) && st_dst.st_size == 0 &&
	    unlink(dst) < 0)
		container_die(report, "cannot remove %s: %s", dst, strerror(errno));
}

int container_unplace(pid_t init, uint32_t uid_base, const char *dir, const char *name, char *err,
		      size_t errlen)
{
	struct place_job job = {
		.act = detach_file, .uid_base = uid_base, .dir = dir, .name = name, .tree = -1
	};

	return run_in(init, &job, err, errlen);
}

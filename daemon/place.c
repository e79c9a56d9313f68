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

int container_place(pid_t init, uint32_t uid_base, const char *path, const char *dir,
		    const char *name, bool readonly, char *err, size_t errlen)
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
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
		char ns[64], dst[PATH_MAX];
		int tree, nsfd, fd;

		/* Nothing of the daemon's but the answer pipe (its pidfile lock above all). */
		if (dup2(st[1], 3) < 0)
			_exit(126);
		st[1] = 3;
		syscall(SYS_close_range, 4, ~0U, 0);
		container_reset_signals(); /* not the daemon's blocked signals: killable */
		alarm(PLACE_TIMEOUT_S);
		snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)init);
		tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		nsfd = open(ns, O_RDONLY | O_CLOEXEC);
		if (tree < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0)
			container_die(st[1], "cannot enter the container: %s", strerror(errno));
		if (readonly) {
			attr.attr_set |= MOUNT_ATTR_RDONLY;
			if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
				container_die(st[1], "cannot make %s read-only: %s", path,
					      strerror(errno));
		}
		/* In a user namespace, what is made in its directories must be its root's. */
		if (uid_base) {
			setfsgid(uid_base);
			setfsuid(uid_base);
		}
		snprintf(dst, sizeof(dst), "%s", dir);
		for (char *p = dst + 1;; p++) {
			if (*p != '/' && *p)
				continue;
			char c = *p;

			*p = '\0';
			if (mkdir(dst, 0755) < 0 && errno != EEXIST)
				container_die(st[1], "cannot create %s: %s", dst, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
		snprintf(dst, sizeof(dst), "%s/%s", dir, name);
		/* An older bind of the same name (a file deleted since) goes first. */
		while (umount2(dst, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			;
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
				container_die(st[1], "cannot create %s: %s", dst,
					      errno == EEXIST ? "a directory or link is in the way"
							      : strerror(errno));
		}
		if (move_mount(tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			container_die(st[1], "cannot mount %s: %s", dst, strerror(errno));
		_exit(0);
	}
	close(st[1]);
	/* The child ends by itself (alarm); the daemon never waits longer than that. */
	n = read(st[0], why, sizeof(why) - 1);
	close(st[0]);
	waitpid(pid, &status, 0);
	if (n > 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		why[n > 0 ? n : 0] = '\0';
		snprintf(err, errlen, "%s", why[0] ? why : "the helper placing the file died");
		return -EIO;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pidfile is locked with flock() for the daemon's whole life, so a second
 * daemon on the same run dir is refused even if a stale file was left by a
 * crash (a dead process holds no lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr-ipc/util.h"
#include "pidfile.h"

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	uint32_t pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return parse_u32(strstrip(buf), &pid) == 0 ? (pid_t)pid : 0;
}

int pidfile_lock(const char *run_dir, int *ret_fd, pid_t *ret_holder)
{
	char path[PATH_MAX];
	int fd;

	if (path_join(path, sizeof(path), run_dir, PIDFILE_NAME, NULL) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		if (ret_holder)
			*ret_holder = read_pid(fd);
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int pidfile_write(int fd, const char *run_dir, pid_t pid, uint32_t port_id)
{
	char path[PATH_MAX], tmp[PATH_MAX], buf[32];
	int len, pfd, r = 0;

	len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	/* Clients take the owner as the daemon's uid: a stale file of another user is ours now. */
	if (fchown(fd, geteuid(), getegid()) < 0 || fchmod(fd, 0644) < 0)
		return -errno;

	/* The port file is replaced atomically so a reader never sees it half written. */
	if (path_join(path, sizeof(path), run_dir, PORTFILE_NAME, NULL) < 0 ||
	    path_join(tmp, sizeof(tmp), run_dir, PORTFILE_NAME, ".tmp") < 0)
		return -ENAMETOOLONG;
	pfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (pfd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u\n", port_id);
	if (write(pfd, buf, (size_t)len) != len)
		r = -errno;
	close(pfd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

void pidfile_remove(const char *run_dir, int fd)
{
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), run_dir, PORTFILE_NAME, NULL) == 0)
		unlink(path);
	if (path_join(path, sizeof(path), run_dir, PIDFILE_NAME, NULL) == 0)
		unlink(path);
	if (fd >= 0)
		close(fd);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctr-ipc-buffer: the hub of the bus (DESIGN §3.3).  ctr-ipcd starts it as
 * PID 1 of its own mount, pid, ipc, uts and net namespaces, with one end of
 * a socket pair on fd 3: everything it ever gets (listening sockets, policy)
 * comes through there.  It first shuts itself in: an empty read-only root,
 * no capabilities, the nobody user.
 *
 *   ctr-ipc-buffer            (run by ctr-ipcd; not meant to be run by hand)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "buffer.h"
#include "ctr-ipc/bus.h"

#define CONTROL_FD 3
#define NOBODY	   CTRIPC_BUFFER_UID

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("ctr-ipc-buffer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * An empty, read-only tmpfs as the root; the host's file system is gone
 * from this mount namespace.  Then nobody, without capabilities.
 */
static void shut_in(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=64k,mode=0755") < 0 ||
	    mkdir("/tmp/.old", 0700) < 0 || syscall(SYS_pivot_root, "/tmp", "/tmp/.old") < 0 ||
	    chdir("/") < 0 || umount2("/.old", MNT_DETACH) < 0 || rmdir("/.old") < 0 ||
	    /* Its own pid namespace's /proc (itself alone): for sanitizers and debuggers. */
	    mkdir("/proc", 0555) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("cannot shut itself in: %s", strerror(errno));
	sethostname("ctr-ipc-buffer", 14);
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		die("cannot become nobody: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("cannot set no_new_privs: %s", strerror(errno));
	/* The change of user cleared the death signal: ending with its parent again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die("cannot follow its parent: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct stat st;
	struct buffer b;
	int r;

	if (argc != 1 || fstat(CONTROL_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "usage: %s\n(ctr-ipcd runs it, its socket on fd 3)\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getpid() == 1)
		shut_in();
	if (buffer_init(&b, CONTROL_FD) < 0)
		die("cannot start: %s", strerror(errno));
	r = buffer_run(&b);
	buffer_free(&b);
	return r < 0 ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The processes of a running container.  ctr-ipcd forks a shim (detached,
 * double-forked, so the container outlives the daemon); the shim clones the
 * container's init into new namespaces, reports "OK shim init" or the reason
 * it failed back to the daemon, then waits for init and writes the exit
 * status to the container's state directory.  Init builds the root file
 * system, drops privileges and runs the command as PID 1's only child,
 * reaping orphans and forwarding signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <glob.h>
#include <grp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/mount.h>

#include "container.h"
#include "ctr-ipc/proto.h"

#define INIT_STACK_SIZE	 (256 * 1024)
#define SPAWN_TIMEOUT_MS 10000

/* Capabilities a container keeps (bounding, permitted, effective, inheritable). */
static const int default_caps[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

/* Host directories the default root file system shares, read-only. */
static const char *const host_dirs[] = { "usr",	  "bin",   "sbin",   "lib",
					 "lib32", "lib64", "libx32", "etc" };

/* Device nodes of the container's /dev, bound from the host's. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

struct init_args {
	const struct container *c;
	const char *root; /* empty directory the root is built on */
	int sync_fd;	  /* socket: the shim says go (and passes the idmapped lower layer) */
	int err_fd;	  /* write end: why the start failed (CLOEXEC) */
	int status_fd;	  /* write end: the command's wait status */
	int log_fd;
	int report_fd; /* the shim's line to the daemon: not init's to keep */
	int ns_flags;  /* namespaces init makes for itself */
};

/* Report an error through @fd and end the process; the message is all the shim relays. */
void container_die(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		_exit(126);
	_exit(127);
}

static int bind_ro(const char *src, const char *dst, bool rec)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					       MOUNT_ATTR_NODEV };
	unsigned long flags = MS_BIND | (rec ? MS_REC : 0);

	if (mount(src, dst, NULL, flags, NULL) < 0)
		return -errno;
	/* Read-only all the way down: mounts under the host's /etc or /usr too. */
	if (rec &&
	    syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
	    0)
		return -errno;
	return 0;
}

/* /dev in the new root; @host is where the host's root now is. */
static void setup_dev(const char *host, int err_fd)
{
	const char *root = "";
	char path[PATH_MAX + 64], src[128];

	snprintf(path, sizeof(path), "%s/dev", root);
	/* nodev: the bound nodes below are mounts of their own; a node made here opens nothing. */
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=0755,size=1m") <
	    0)
		container_die(err_fd, "cannot mount /dev: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/dev/%s", root, dev_nodes[i]);
		snprintf(src, sizeof(src), "%s/dev/%s", host, dev_nodes[i]);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			container_die(err_fd, "cannot create /dev/%s: %s", dev_nodes[i],
				      strerror(errno));
		close(fd);
		if (mount(src, path, NULL, MS_BIND, NULL) < 0)
			container_die(err_fd, "cannot bind %s: %s", src, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/dev/pts", root);
	if (mkdir(path, 0755) < 0 || mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
					   "newinstance,ptmxmode=0666,mode=0620") < 0)
		container_die(err_fd, "cannot mount /dev/pts: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/dev/shm", root);
	if (mkdir(path, 01777) < 0 ||
	    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
		container_die(err_fd, "cannot mount /dev/shm: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/dev/ptmx", root);
	if (symlink("pts/ptmx", path) < 0)
		container_die(err_fd, "cannot link /dev/ptmx: %s", strerror(errno));
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/dev/%s", root, links[i][0]);
		if (symlink(links[i][1], path) < 0)
			container_die(err_fd, "cannot link /dev/%s: %s", links[i][0],
				      strerror(errno));
	}
}

/* mkdir -p inside the new root; 0 or -errno. */
static int mkdir_in(const char *root, const char *rel, bool as_file)
{
	char path[PATH_MAX * 2];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	len = strlen(root) + 1;
	for (char *p = path + len; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (as_file) {
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

		if (fd < 0)
			return errno == EISDIR ? 0 : -errno;
		close(fd);
		return 0;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* Split "SRC:DST[:MODE]" in @buf; *@mode is NULL when not given. */
static void bind_spec(char *buf, char **src, char **dst, char **mode)
{
	*src = buf;
	*dst = strchr(buf, ':');
	*(*dst)++ = '\0';
	*mode = strchr(*dst, ':');
	if (*mode)
		*(*mode)++ = '\0';
}

/*
 * --bind SRC:DST[:ro|rw], first half: each SRC is resolved on the host, by
 * host root, before the container's root exists (a symlink in SRC follows
 * the host's view; a --userns root could not even reach it), and held as a
 * detached copy of its mounts, already read-only or nodev,nosuid.
 */
static void open_binds(const struct init_args *a, int *fds)
{
	for (size_t i = 0; i < a->c->binds.n; i++) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID };
		char spec[PATH_MAX * 2 + 8], *src, *dst, *mode;

		snprintf(spec, sizeof(spec), "%s", a->c->binds.v[i]);
		bind_spec(spec, &src, &dst, &mode);
		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, src,
				      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fds[i] < 0)
			container_die(a->err_fd, "--bind %s: %s", src, strerror(errno));
		if (mode && strcmp(mode, "ro") == 0)
			attr.attr_set |= MOUNT_ATTR_RDONLY;
		if (syscall(SYS_mount_setattr, fds[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			    sizeof(attr)) < 0)
			container_die(a->err_fd, "--bind %s: cannot restrict the mount: %s", src,
				      strerror(errno));
	}
}

/* Second half, in the new root: each copy attached at its DST. */
static void attach_binds(const struct init_args *a, const int *fds)
{
	for (size_t i = 0; i < a->c->binds.n; i++) {
		char spec[PATH_MAX * 2 + 8], *src, *dst, *mode;
		struct stat st;
		int r;

		snprintf(spec, sizeof(spec), "%s", a->c->binds.v[i]);
		bind_spec(spec, &src, &dst, &mode);
		if (fstat(fds[i], &st) < 0)
			container_die(a->err_fd, "--bind %s: %s", src, strerror(errno));
		r = mkdir_in("", dst + 1, !S_ISDIR(st.st_mode));
		if (r < 0)
			container_die(a->err_fd, "--bind %s: cannot create %s in the container: %s",
				      src, dst, strerror(-r));
		if (syscall(SYS_move_mount, fds[i], "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			container_die(a->err_fd, "--bind %s:%s: %s", src, dst, strerror(errno));
		close(fds[i]);
	}
}

/* An O_PATH handle on @path, opened while init may still walk the host's private directories. */
static int open_path(const struct init_args *a, const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		container_die(a->err_fd, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/*
 * With --userns, the shim hands over the lower layer as a detached mount
 * whose files show the container's ids (host root's files are its root's).
 * Overlay takes only mounts of init's namespace as layers: attach it at
 * DIR/lower (host root's, out of the container's sight) first.
 */
static int attach_lower(const struct init_args *a, const char *dir, int idmapped)
{
	char path[PATH_MAX + 8];
	int at;

	snprintf(path, sizeof(path), "%s/lower", dir);
	at = open_path(a, path);
	if (move_mount(idmapped, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		container_die(a->err_fd, "cannot attach the lower layer at %s: %s", path,
			      strerror(errno));
	close(at);
	return idmapped;
}

/*
 * Mount the root's file system on a->root and make it the working directory:
 * a tmpfs, or with --rootfs DIR an overlay of DIR (read-only) under the
 * container's own writable layer.  The layers come as O_PATH handles
 * (@fds: lower, upper, work).  With a user namespace the container's root
 * mounts it (so that it owns what it creates) through the new mount API:
 * it has no way through the state directory, only the handles.  Without,
 * host root uses mount(2), which tracers such as valgrind know.
 */
static void mount_root(const struct init_args *a, const int fds[3], int rootdir)
{
	const char *type = a->c->rootfs ? "overlay" : "tmpfs";
	char val[3][32], legacy[160] = "";
	const char *kv[5][2] = { { NULL } };
	int n = 0, fs = -1, mnt;

	if (a->c->rootfs) {
		static const char *const keys[] = { "lowerdir", "upperdir", "workdir" };

		for (int i = 0; i < 3; i++) {
			snprintf(val[i], sizeof(val[i]), "/proc/self/fd/%d", fds[i]);
			kv[n][0] = keys[i];
			kv[n++][1] = val[i];
		}
		/* A user namespace may not write trusted.* xattrs: overlay keeps its own in user.*. */
		if (a->c->userns)
			kv[n++][0] = "userxattr";
	} else {
		kv[0][0] = "mode", kv[0][1] = "0755";
		kv[1][0] = "size", kv[1][1] = "64m";
		n = 2;
	}
	if (!a->c->userns) {
		for (int i = 0; i < n; i++)
			snprintf(legacy + strlen(legacy), sizeof(legacy) - strlen(legacy),
				 "%s%s%s%s", i ? "," : "", kv[i][0], kv[i][1] ? "=" : "",
				 kv[i][1] ? kv[i][1] : "");
		if (mount(type, a->root, type, MS_NOSUID | MS_NODEV, legacy) < 0 ||
		    chdir(a->root) < 0)
			goto fail;
		return;
	}
	fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		goto fail;
	for (int i = 0; i < n; i++)
		if (fsconfig(fs, kv[i][1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, kv[i][0],
			     kv[i][1], 0) < 0)
			goto fail;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0 ||
	    move_mount(mnt, "", rootdir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
		    0 ||
	    fchdir(mnt) < 0)
		goto fail;
	close(mnt);
	close(fs);
	return;
fail:
	container_die(a->err_fd, "cannot mount %s as the root on %s%s: %s",
		      a->c->rootfs ? a->c->rootfs : "a tmpfs", a->root,
		      a->c->rootfs ? " (overlay)" : "", strerror(errno));
}

/*
 * /proc shows the host kernel's knobs: the writable ones would reach the host
 * (core_pattern runs a program as host root).  As other runtimes do: the
 * knob trees read-only, the revealing files masked with /dev/null.
 */
static void protect_proc(int err_fd)
{
	static const char *const readonly[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
						"/proc/bus", "/proc/fs" };
	static const char *const masked[] = { "/proc/kcore",	     "/proc/keys",
					      "/proc/timer_list",    "/proc/sched_debug",
					      "/proc/latency_stats", "/proc/kallsyms" };
	static const char *const emptied[] = { "/proc/acpi", "/proc/scsi" };
	struct stat st;

	for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		int r;

		if (stat(readonly[i], &st) < 0)
			continue;
		r = bind_ro(readonly[i], readonly[i], true);
		if (r < 0)
			container_die(err_fd, "cannot make %s read-only: %s", readonly[i],
				      strerror(-r));
	}
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		if (stat(masked[i], &st) < 0)
			continue;
		if (mount("/dev/null", masked[i], NULL, MS_BIND, NULL) < 0)
			container_die(err_fd, "cannot mask %s: %s", masked[i], strerror(errno));
	}
	for (size_t i = 0; i < sizeof(emptied) / sizeof(emptied[0]); i++) {
		if (stat(emptied[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", emptied[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
			container_die(err_fd, "cannot mask %s: %s", emptied[i], strerror(errno));
	}
}

/*
 * The default root shares the host's /etc, but not its secrets: a container's
 * root (CAP_DAC_OVERRIDE) could read the password hashes or the host keys.
 * Each is masked with an empty, read-only file.
 */
static void mask_host_secrets(const char *host, int err_fd)
{
	static const char *const files[] = { "/etc/shadow", "/etc/shadow-", "/etc/gshadow",
					     "/etc/gshadow-", "/etc/security/opasswd" };
	char null[128];
	glob_t g = { 0 };

	snprintf(null, sizeof(null), "%s/dev/null", host);
	if (glob("/etc/ssh/ssh_host_*_key", GLOB_NOSORT, NULL, &g) != 0)
		g.gl_pathc = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) + g.gl_pathc; i++) {
		const char *f = i < sizeof(files) / sizeof(files[0])
					? files[i]
					: g.gl_pathv[i - sizeof(files) / sizeof(files[0])];

		if (access(f, F_OK) < 0)
			continue;
		if (mount(null, f, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, f, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
			  NULL) < 0)
			container_die(err_fd, "cannot mask %s: %s", f, strerror(errno));
	}
	globfree(&g);
}

/*
 * The root: a tmpfs holding the host's system directories, read-only; or,
 * with --rootfs, an overlay of that directory.  Either way private /tmp,
 * /run, /proc, /sys and a minimal /dev.
 */
static void setup_rootfs(const struct init_args *a, int idmapped)
{
	static const char *const private_dirs[] = { "proc", "sys",  "dev", "tmp", "run",
						    "root", "home", "var", "mnt" };
	char path[PATH_MAX + 64], old[64] = ".oldroot.XXXXXX", host[64];
	int binds[a->c->binds.n + 1], layers[3] = { -1, -1, -1 }, rootdir, r;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		container_die(a->err_fd, "cannot make the mounts private: %s", strerror(errno));
	/* Everything of the host's the container needs, taken while init is still host root. */
	rootdir = open_path(a, a->root);
	if (a->c->rootfs) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", a->root);
		*strrchr(dir, '/') = '\0';
		layers[0] =
			idmapped >= 0 ? attach_lower(a, dir, idmapped) : open_path(a, a->c->rootfs);
		snprintf(path, sizeof(path), "%s/upper", dir);
		layers[1] = open_path(a, path);
		snprintf(path, sizeof(path), "%s/work", dir);
		layers[2] = open_path(a, path);
	}
	open_binds(a, binds);
	/* With a user namespace, its root from here on: what init makes is the container's. */
	if (a->c->userns)
		container_become_root(a->err_fd);
	mount_root(a, layers, rootdir);
	for (int i = 0; i < 3; i++)
		if (layers[i] >= 0)
			close(layers[i]);
	close(rootdir);
	/*
	 * Into the new root at once: everything below is built with it as "/",
	 * so a symlink in a --rootfs or an image resolves inside the container.
	 * The host stays reachable under a random name until the end.
	 */
	if (!mkdtemp(old) || syscall(SYS_pivot_root, ".", old) < 0 || chdir("/") < 0)
		container_die(a->err_fd, "cannot switch to the new root: %s", strerror(errno));
	snprintf(host, sizeof(host), "/%s", old);

	for (size_t i = 0; !a->c->rootfs && i < sizeof(host_dirs) / sizeof(host_dirs[0]); i++) {
		char src[128], target[PATH_MAX];
		struct stat st;
		ssize_t n;

		snprintf(src, sizeof(src), "%s/%s", host, host_dirs[i]);
		snprintf(path, sizeof(path), "/%s", host_dirs[i]);
		if (lstat(src, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* Merged /usr: /bin -> usr/bin stays a link. */
			n = readlink(src, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			if (symlink(target, path) < 0)
				container_die(a->err_fd, "cannot link %s: %s", path,
					      strerror(errno));
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (mkdir(path, 0755) < 0)
			container_die(a->err_fd, "cannot create %s: %s", path, strerror(errno));
		r = bind_ro(src, path, true);
		if (r < 0)
			container_die(a->err_fd, "cannot bind %s read-only: %s", path,
				      strerror(-r));
	}
	if (!a->c->rootfs)
		mask_host_secrets(host, a->err_fd);
	/* Mount points, then (on the default root only: a --rootfs has its own layout) homes. */
	for (size_t i = 0; i < (a->c->rootfs ? 5 : sizeof(private_dirs) / sizeof(private_dirs[0]));
	     i++) {
		snprintf(path, sizeof(path), "/%s", private_dirs[i]);
		if (mkdir(path, strcmp(private_dirs[i], "root") == 0 ? 0700 : 0755) < 0 &&
		    errno != EEXIST)
			container_die(a->err_fd, "cannot create %s: %s", path, strerror(errno));
	}
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		container_die(a->err_fd, "cannot mount /tmp: %s", strerror(errno));
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		container_die(a->err_fd, "cannot mount /run: %s", strerror(errno));
	setup_dev(host, a->err_fd);
	snprintf(path, sizeof(path), "%s/sys", host);
	if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
		    0 &&
	    bind_ro(path, "/sys", true) < 0)
		container_die(a->err_fd, "cannot mount /sys: %s", strerror(errno));
	attach_binds(a, binds);
	/* Before the host's root goes: a user namespace may mount a proc it can already see. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		container_die(a->err_fd, "cannot mount /proc: %s", strerror(errno));
	if (umount2(host, MNT_DETACH) < 0 || rmdir(host) < 0)
		container_die(a->err_fd, "cannot detach the host's root: %s", strerror(errno));
	protect_proc(a->err_fd);
}

static void loopback_up(int err_fd)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		container_die(err_fd, "cannot open a socket for lo: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		container_die(err_fd, "cannot read the flags of lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		container_die(err_fd, "cannot bring lo up: %s", strerror(errno));
	close(fd);
}

/* Default dispositions and no blocked signals, whatever the daemon was started with. */
void container_reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void container_become_root(int err_fd)
{
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		container_die(err_fd, "cannot become root in the user namespace: %s",
			      strerror(errno));
}

void container_drop_privileges(int err_fd)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	for (int cap = 0; cap <= last; cap++) {
		bool keep = false;

		for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
			keep |= default_caps[i] == cap;
		if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			container_die(err_fd, "cannot drop capability %d: %s", cap,
				      strerror(errno));
	}
	for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++) {
		int cap = default_caps[i];

		data[cap / 32].effective |= 1u << (cap % 32);
		data[cap / 32].permitted |= 1u << (cap % 32);
		data[cap / 32].inheritable |= 1u << (cap % 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		container_die(err_fd, "cannot set capabilities: %s", strerror(errno));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		container_die(err_fd, "cannot set no_new_privs: %s", strerror(errno));
	/* Not the daemon's session keyring (keys are not namespaced): a new, empty one. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		container_die(err_fd, "cannot make a session keyring: %s", strerror(errno));
}

/* The environment of a command: defaults, the container's --env, then @extra (later wins). */
char **container_build_env(const struct container *c, const char *const *extra, int nextra)
{
	static const char *const defaults[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"TERM=xterm",
	};
	size_t n = sizeof(defaults) / sizeof(defaults[0]);
	char **env = calloc(n + c->env.n + (size_t)nextra + 2, sizeof(char *));
	size_t k = 0;
	char host[80];

	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		env[k++] = (char *)defaults[i];
	snprintf(host, sizeof(host), "HOSTNAME=%s", c->hostname);
	env[k++] = strdup(host);
	for (size_t i = 0; i < c->env.n + (size_t)nextra; i++) {
		const char *e = i < c->env.n ? c->env.v[i] : extra[i - c->env.n];
		size_t keylen = strcspn(e, "=") + 1;
		size_t j;

		for (j = 0; j < k; j++)
			if (strncmp(env[j], e, keylen) == 0)
				break;
		env[j] = (char *)e;
		if (j == k)
			k++;
	}
	env[k] = NULL;
	return env;
}

static volatile sig_atomic_t init_pending[NSIG];

static void init_on_signal(int sig)
{
	init_pending[sig] = 1;
}

/*
 * PID 1: reap every child; pass SIGTERM and friends to the command; end with
 * the command's status (reported through status_fd, so a signal stays a
 * signal).  Without a command: wait until told to stop.
 */
/* Signals init passes on: all but those of its own life (and faults, which must kill). */
static bool init_forwards(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGKILL:
	case SIGSTOP:
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
	case SIGSYS:
	case SIGPIPE:
		return false;
	default:
		return true;
	}
}

static void __attribute__((noreturn)) init_loop(pid_t main_pid, int status_fd)
{
	struct sigaction sa = { .sa_handler = init_on_signal };
	sigset_t mask, empty;

	sigemptyset(&mask);
	sigemptyset(&empty);
	sigaddset(&mask, SIGCHLD);
	for (int sig = 1; sig < NSIG; sig++)
		if (init_forwards(sig))
			sigaddset(&mask, sig);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig == SIGCHLD || init_forwards(sig))
			sigaction(sig, &sa, NULL);

	for (;;) {
		pid_t pid;
		int status;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == main_pid) {
				if (write(status_fd, &status, sizeof(status)) < 0)
					_exit(125);
				_exit(WIFEXITED(status) ? WEXITSTATUS(status)
							: 128 + WTERMSIG(status));
			}
		}
		for (int sig = 1; sig < NSIG; sig++) {
			if (!init_pending[sig] || sig == SIGCHLD)
				continue;
			init_pending[sig] = 0;
			if (main_pid > 0)
				kill(main_pid, sig);
			else if (sig == SIGTERM || sig == SIGINT)
				_exit(0);
		}
		sigsuspend(&empty);
	}
}

static int init_main(void *arg)
{
	const struct init_args *a = arg;
	const struct container *c = a->c;
	char go;
	pid_t pid = 0;
	int null, idmapped = -1, nfds = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(a->report_fd);
	if (ctripc_exec_recv(a->sync_fd, &go, 1, &idmapped, 1, &nfds) != 1 || go != 'g')
		_exit(127);
	if (nfds == 0)
		idmapped = -1;
	close(a->sync_fd);
	if (unshare(a->ns_flags) < 0)
		container_die(a->err_fd, "cannot create the container's namespaces: %s",
			      strerror(errno));
	setup_rootfs(a, idmapped);
	if (sethostname(c->hostname, strlen(c->hostname)) < 0)
		container_die(a->err_fd, "cannot set the hostname: %s", strerror(errno));
	if (!c->net_host)
		loopback_up(a->err_fd);
	container_drop_privileges(a->err_fd);
	prctl(PR_SET_NAME, "ctr-ipc-init");

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(a->log_fd, STDOUT_FILENO) < 0 ||
	    dup2(a->log_fd, STDERR_FILENO) < 0)
		container_die(a->err_fd, "cannot set up standard input and output: %s",
			      strerror(errno));

	if (c->argv.n > 0) {
		char **env = container_build_env(c, NULL, 0);

		if (!env)
			container_die(a->err_fd, "out of memory");
		pid = fork();
		if (pid < 0)
			container_die(a->err_fd, "cannot fork the command: %s", strerror(errno));
		if (pid == 0) {
			container_reset_signals();
			setsid();
			execvpe(c->argv.v[0], c->argv.v, env);
			container_die(a->err_fd, "cannot run '%s': %s", c->argv.v[0],
				      strerror(errno));
		}
	}
	close(a->err_fd);
	init_loop(pid, a->status_fd);
}

/* Atomically write @text to DIR/NAME. */
static int write_file_atomic(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	return r;
}

/*
 * init as PID 1 of a new pid namespace.  Without a user namespace: unshare
 * and fork, which any tracer (valgrind, strace) follows.
 */
static pid_t unshare_pid_fork(int report_fd)
{
	pid_t pid;

	if (unshare(CLONE_NEWPID) < 0) {
		dprintf(report_fd, "ERR cannot create a pid namespace: %s\n", strerror(errno));
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		dprintf(report_fd, "ERR cannot fork the container's init: %s\n", strerror(errno));
		_exit(1);
	}
	return pid;
}

/*
 * With --userns the pid namespace must belong to the user namespace (or the
 * container could not mount its /proc), and the shim must stay host root to
 * write the id maps and the exit file: one clone makes both, user first.
 */
static pid_t clone_userns(int report_fd)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, NULL, NULL,
				   NULL, NULL);

	if (pid < 0) {
		dprintf(report_fd, "ERR cannot create a user namespace: %s%s\n", strerror(errno),
			errno == ENOSPC || errno == EPERM
				? " (see /proc/sys/user/max_user_namespaces)"
				: "");
		_exit(1);
	}
	return pid;
}

/* Root inside is @base on the host, and so on for USERNS_RANGE ids. */
static int write_id_maps(pid_t pid, uint32_t base)
{
	static const char *const maps[] = { "uid_map", "gid_map" };
	char path[64], line[64];

	snprintf(line, sizeof(line), "0 %u %u\n", base, USERNS_RANGE);
	for (size_t i = 0; i < 2; i++) {
		int fd, r = 0;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			r = -errno;
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * @dir as a detached, read-only mount whose ids are seen through @pid's user
 * namespace.  Host root must make it: only it is privileged over @dir's mount.
 */
static int idmapped_tree(const char *dir, pid_t pid, char *err, size_t errlen)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY };
	char path[64];
	int tree, ns;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	attr.userns_fd = (uint64_t)ns;
	tree = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		snprintf(err, errlen,
			 "cannot map the ids of %s for --userns: %s (its file system must support "
			 "idmapped mounts)",
			 dir, strerror(errno));
		if (tree >= 0)
			close(tree);
		tree = -1;
	}
	close(ns);
	return tree;
}

static void __attribute__((noreturn))
shim_main(const struct container *c, const char *dir, int report_fd)
{
	int sync[2], errp[2], statp[2], log_fd, status, main_status = -1, idmapped = -1;
	struct init_args a = { .c = c };
	char root[PATH_MAX], buf[512], exitbuf[160];
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	sigset_t none;
	ssize_t n;
	pid_t init;

	/* Nothing of the daemon's may stay open here: its socket, its pidfile lock. */
	if (dup3(report_fd, 3, O_CLOEXEC) < 0)
		_exit(1);
	report_fd = 3;
	syscall(SYS_close_range, 4, ~0U, 0);
	/* Not the daemon's terminal or pipes either: a reader of its output must see EOF. */
	{
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}
	setsid();
	prctl(PR_SET_NAME, "ctr-ipc-shim");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (!c->net_host)
		flags |= CLONE_NEWNET;

	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(buf, sizeof(buf), "%s/log", dir);
	log_fd = open(buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (log_fd < 0) {
		dprintf(report_fd, "ERR cannot open %s: %s\n", buf, strerror(errno));
		_exit(1);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 || pipe2(statp, O_CLOEXEC) < 0) {
		dprintf(report_fd, "ERR cannot create pipes or sockets: %s\n", strerror(errno));
		_exit(1);
	}
	a.root = root;
	a.sync_fd = sync[0];
	a.err_fd = errp[1];
	a.status_fd = statp[1];
	a.log_fd = log_fd;
	a.report_fd = report_fd;
	/*
	 * The pid namespace takes effect for the shim's next child: init, its PID 1.
	 * Init makes the other namespaces itself once it is in its cgroups (so its
	 * cgroup namespace is rooted there).  Plain unshare and fork, which any
	 * tracer (valgrind, strace) follows.
	 */
	a.ns_flags = flags & ~CLONE_NEWPID;
	init = c->userns ? clone_userns(report_fd) : unshare_pid_fork(report_fd);
	if (init == 0)
		_exit(init_main(&a));
	close(sync[0]);
	close(errp[1]);
	close(statp[1]);
	if (c->userns && write_id_maps(init, c->uid_base) < 0) {
		dprintf(report_fd, "ERR cannot map the user namespace's ids: %s\n",
			strerror(errno));
		kill(init, SIGKILL);
		_exit(1);
	}
	if (c->userns && c->rootfs) {
		idmapped = idmapped_tree(c->rootfs, init, buf, sizeof(buf));
		if (idmapped < 0) {
			dprintf(report_fd, "ERR %s\n", buf);
			kill(init, SIGKILL);
			_exit(1);
		}
	}
	/* Limits hold from init's first instruction: it enters its groups before it is let go. */
	if (cgroup_enter(&c->cg, init) < 0) {
		dprintf(report_fd, "ERR cannot place the container in %s: %s\n", c->cg.path[0],
			strerror(errno));
		kill(init, SIGKILL);
		_exit(1);
	}
	if (ctripc_exec_send(sync[1], 'g', NULL, 0, &idmapped, idmapped >= 0 ? 1 : 0) < 0) {
		dprintf(report_fd, "ERR init died before it started\n");
		_exit(1);
	}
	close(sync[1]);
	n = read(errp[0], buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		waitpid(init, &status, 0);
		dprintf(report_fd, "ERR %s\n", buf);
		_exit(1);
	}
	close(errp[0]);
	dprintf(report_fd, "OK %d %d\n", (int)getpid(), (int)init);
	close(report_fd);

	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	if (read(statp[0], &main_status, sizeof(main_status)) == sizeof(main_status))
		status = main_status;
	snprintf(exitbuf, sizeof(exitbuf), "exit_code=%d\nexit_signal=%d\nfinished_at=%lld\n",
		 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		 WIFSIGNALED(status) ? WTERMSIG(status) : 0, (long long)time(NULL));
	write_file_atomic(dir, "exit", exitbuf);
	_exit(0);
}

int container_spawn(const struct container *c, const char *dir, pid_t *ret_shim, pid_t *ret_init,
		    char *err, size_t errlen)
{
	char buf[600] = "";
	int report[2], status, shim, init;
	size_t len = 0;
	pid_t mid;
	ssize_t n;

	if (pipe2(report, O_CLOEXEC) < 0)
		return -errno;
	mid = fork();
	if (mid < 0) {
		close(report[0]);
		close(report[1]);
		return -errno;
	}
	if (mid == 0) {
		/* The middle process exits at once: the shim is nobody's child but init's. */
		close(report[0]);
		if (fork() == 0)
			shim_main(c, dir, report[1]);
		_exit(0);
	}
	close(report[1]);
	waitpid(mid, &status, 0);
	/* One line: "OK shim init" or "ERR why".  A stuck start must not stall the daemon. */
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		struct pollfd pfd = { .fd = report[0], .events = POLLIN };

		if (poll(&pfd, 1, SPAWN_TIMEOUT_MS) == 0) {
			snprintf(buf, sizeof(buf), "ERR the container did not start within %d s",
				 SPAWN_TIMEOUT_MS / 1000);
			len = strlen(buf);
			break;
		}
		n = read(report[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(report[0]);
	buf[len] = '\0';
	if (sscanf(buf, "OK %d %d", &shim, &init) == 2) {
		*ret_shim = shim;
		*ret_init = init;
		return 0;
	}
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(err, errlen, "%s",
		 strncmp(buf, "ERR ", 4) == 0 ? buf + 4
		 : len			      ? buf
					      : "the container's supervisor died while starting");
	return -EIO;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Real input devices as resources of the user-space backend (DESIGN §5):
 * every /dev/input/eventN with keys, relative or absolute axes or switches
 * is a resource, read here and routed like a simulated one.  A resource
 * with devices of containers on it is grabbed (EVIOCGRAB), so its events
 * reach those containers and nothing else on the host; with none, it is
 * let go.  Devices that appear later are found through inotify on
 * /dev/input; one that goes (ENODEV) takes its resource with it.
 *
 * d->vdev.event_fd is an epoll set of the inotify descriptor and every
 * source's; vdev_on_event() comes here for the user-space backend.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/input.h>

#include "daemon.h"
#include "log.h"
#include "vdev.h"

#define INPUT_DIR "/dev/input"

/* What an epoll event of the set points to: the inotify descriptor's marker, or a resource. */
static char inotify_mark;

static bool has_bit(const unsigned long *bits, unsigned int bit)
{
	return bits[bit / (8 * sizeof(long))] & (1ul << (bit % (8 * sizeof(long))));
}

/* Is @fd an input device a container could be given: keys, axes or switches? */
static bool routable(int fd)
{
	unsigned long ev[1] = { 0 };

	if (ioctl(fd, EVIOCGBIT(0, sizeof(ev)), ev) < 0)
		return false;
	return has_bit(ev, EV_KEY) || has_bit(ev, EV_REL) || has_bit(ev, EV_ABS) ||
	       has_bit(ev, EV_SW);
}

static struct vdev_res *source_of(struct daemon *d, const char *node)
{
	for (struct vdev_res *r = d->vdev.res; r; r = r->next)
		if (r->src_fd >= 0 && strcmp(r->node, node) == 0)
			return r;
	return NULL;
}

/* /dev/input/@entry, if it is an event device not yet a resource, becomes one. */
static void add_source(struct daemon *d, const char *entry)
{
	char node[sizeof(((struct vdev_res *)0)->node)], name[VDEV_NAME_MAX] = "", phys[64] = "";
	struct epoll_event ev = { .events = EPOLLIN };
	clockid_t clock = CLOCK_MONOTONIC;
	struct vdev_res *r;
	int fd;

	if (strncmp(entry, "event", 5) != 0 ||
	    snprintf(node, sizeof(node), "%s/%s", INPUT_DIR, entry) >= (int)sizeof(node) ||
	    source_of(d, node))
		return;
	/* Read-write, so LED events could go back; read-only where that is all there is. */
	fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != EACCES) /* udev sets its mode a moment later: IN_ATTRIB comes */
			log_warn("vdev: cannot open %s: %s", node, strerror(errno));
		return;
	}
	if (!routable(fd)) {
		close(fd);
		return;
	}

	ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name);
	ioctl(fd, EVIOCGPHYS(sizeof(phys) - 1), phys);
	/* Records carry CLOCK_MONOTONIC times, as the module's. */
	ioctl(fd, EVIOCSCLOCKID, &clock);
	r = vdev_res_add(d, 0, name[0] ? name : entry, phys[0] ? phys : node);
	if (!r) {
		close(fd);
		return;
	}
	r->src_fd = fd;
	snprintf(r->node, sizeof(r->node), "%s", node);
	ev.data.ptr = r;
	if (epoll_ctl(d->vdev.event_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("vdev: cannot watch %s: %s", node, strerror(errno));
		vdev_res_remove(d, r);
		return;
	}
	log_info("vdev: resource %u (%s) is %s (%s)", r->id, r->name, node, r->phys);
	vdev_notify(d, "added", r, "");
}

static void scan(struct daemon *d)
{
	DIR *dir = opendir(INPUT_DIR);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir)))
		add_source(d, e->d_name);
	closedir(dir);
}

/* Watch /dev/input, or /dev until /dev/input appears. */
static void watch_dir(struct vdev *v)
{
	if (v->input_wd >= 0)
		return;
	v->input_wd = inotify_add_watch(v->inotify_fd, INPUT_DIR, IN_CREATE | IN_ATTRIB);
	if (v->input_wd < 0 && v->dev_wd < 0)
		v->dev_wd = inotify_add_watch(v->inotify_fd, "/dev", IN_CREATE | IN_ONLYDIR);
}

int vdev_evdev_start(struct daemon *d)
{
	struct vdev *v = &d->vdev;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &inotify_mark };

	v->input_wd = v->dev_wd = -1;
	v->event_fd = epoll_create1(EPOLL_CLOEXEC);
	v->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (v->event_fd < 0 || v->inotify_fd < 0 ||
	    epoll_ctl(v->event_fd, EPOLL_CTL_ADD, v->inotify_fd, &ev) < 0) {
		int e = errno;

		vdev_evdev_stop(d);
		return -e;
	}
	watch_dir(v);
	scan(d);
	return 0;
}

void vdev_evdev_stop(struct daemon *d)
{
	/* The sources' descriptors close with their resources (vdev_res_remove(), vdev_free()). */
	if (d->vdev.inotify_fd >= 0)
		close(d->vdev.inotify_fd);
	if (d->vdev.event_fd >= 0)
		close(d->vdev.event_fd);
	d->vdev.inotify_fd = d->vdev.event_fd = -1;
}

void vdev_evdev_grab(struct vdev_res *r)
{
	bool want = r->devs != NULL;

	if (r->src_fd < 0 || want == r->grabbed)
		return;
	if (ioctl(r->src_fd, EVIOCGRAB, (void *)(long)want) < 0) {
		log_warn("vdev: cannot %s %s: %s", want ? "grab" : "release", r->node,
			 strerror(errno));
		return;
	}
	r->grabbed = want;
	log_info("vdev: %s %s (resource %u)", want ? "grabbed" : "released", r->node, r->id);
}

static void on_inotify(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(d->vdev.inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			p += sizeof(*e) + e->len;
			if (!e->len)
				continue;
			if (e->wd == d->vdev.dev_wd && strcmp(e->name, "input") == 0) {
				watch_dir(&d->vdev);
				scan(d);
			} else if (e->wd == d->vdev.input_wd) {
				add_source(d, e->name);
			}
		}
	}
}

/* A source's events, as they come; a device that went takes its resource with it. */
static void on_source(struct daemon *d, struct vdev_res *r, uint32_t events)
{
	struct input_event in[64];
	ssize_t n;

	while ((n = read(r->src_fd, in, sizeof(in))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(in[0]); i++) {
			struct vdev_event ev = {
				.time_ns = (uint64_t)in[i].input_event_sec * 1000000000ull +
					   (uint64_t)in[i].input_event_usec * 1000ull,
				.type = in[i].type,
				.code = in[i].code,
				.value = in[i].value,
			};

			vdev_feed(r, &ev);
		}
	}
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || (events & (EPOLLHUP | EPOLLERR))) {
		log_info("vdev: %s went away (%s)", r->node, n < 0 ? strerror(errno) : "hung up");
		vdev_res_remove(d, r);
	}
}

void vdev_evdev_on_event(struct daemon *d)
{
	struct epoll_event evs[16];
	int n = epoll_wait(d->vdev.event_fd, evs, 16, 0);

	for (int i = 0; i < n; i++) {
		if (evs[i].data.ptr == &inotify_mark) {
			on_inotify(d);
			continue;
		}
		/* A resource removed earlier in this batch closed its fd: epoll forgot it. */
		for (struct vdev_res *r = d->vdev.res; r; r = r->next)
			if (r == evs[i].data.ptr) {
				on_source(d, r, evs[i].events);
				break;
			}
	}
}

/*
 * vdevbench: latency and throughput of one ctr_vdev device against evdev, on the same
 * uinput keyboard in the same run.  Runs inside the container that owns the device.
 *
 *   vdevbench plug MS            create the bench keyboard for MS milliseconds (hot-plug test)
 *   vdevbench flood PAIRS        create the keyboard; on a stdin line, send PAIRS key presses and
 *                                releases at once (overflow test); exit on the next line
 *   vdevbench run VDEV [N M]     create the keyboard, then obey "vdev", "evdev", "quit" lines on
 *                                stdin: each phase takes N latency samples and moves M events
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/input.h>
#include <linux/uinput.h>
#include <linux/ctr_vdev.h>

#define BENCH_NAME  "ctr-vdev-bench"
#define BURST_PAIRS 8 /* key down+SYN, key up+SYN: 32 events per write, fits both queues */
#define MAX_ROUNDS  64

static int uinput_fd = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void die(const char *what)
{
	printf("vdevbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void uinput_create(void)
{
	struct uinput_setup setup = {
		.id = { .bustype = BUS_VIRTUAL, .vendor = 0x1, .product = 0x1 }
	};

	uinput_fd = open("/dev/uinput", O_WRONLY | O_CLOEXEC);
	if (uinput_fd < 0)
		die("open /dev/uinput");
	if (ioctl(uinput_fd, UI_SET_EVBIT, EV_KEY) < 0)
		die("UI_SET_EVBIT");
	for (int k = KEY_Q; k <= KEY_P; k++)
		if (ioctl(uinput_fd, UI_SET_KEYBIT, k) < 0)
			die("UI_SET_KEYBIT");
	snprintf(setup.name, sizeof(setup.name), "%s", BENCH_NAME);
	if (ioctl(uinput_fd, UI_DEV_SETUP, &setup) < 0 || ioctl(uinput_fd, UI_DEV_CREATE) < 0)
		die("create uinput device");
}

static void uinput_write(const struct input_event *ev, size_t n)
{
	if (write(uinput_fd, ev, n * sizeof(*ev)) != (ssize_t)(n * sizeof(*ev)))
		die("write /dev/uinput");
}

static void set_key(struct input_event *ev, int value)
{
	memset(ev, 0, 2 * sizeof(*ev));
	ev[0].type = EV_KEY;
	ev[0].code = KEY_Q;
	ev[0].value = value;
	ev[1].type = EV_SYN;
	ev[1].code = SYN_REPORT;
}

/* The evdev node of our uinput device: /sys/devices/virtual/input/inputN/eventM. */
static void evdev_path(char *buf, size_t len)
{
	char sysname[64], dir[128];
	struct dirent *d;
	DIR *dp;

	if (ioctl(uinput_fd, UI_GET_SYSNAME(sizeof(sysname)), sysname) < 0)
		die("UI_GET_SYSNAME");
	snprintf(dir, sizeof(dir), "/sys/devices/virtual/input/%s", sysname);
	dp = opendir(dir);
	if (!dp)
		die(dir);
	while ((d = readdir(dp)))
		if (!strncmp(d->d_name, "event", 5)) {
			snprintf(buf, len, "/dev/input/%s", d->d_name);
			closedir(dp);
			return;
		}
	errno = ENOENT;
	die("evdev node of the bench device (is evdev.ko loaded?)");
}

/* One reading path: a ctr_vdev device or an evdev node, records normalised. */
struct path {
	const char *name;
	int fd;
	int evdev;
	uint64_t *lat;
	size_t nlat;
	double eps[MAX_ROUNDS];
	int rounds;
	uint64_t drops;
};

struct rec {
	uint64_t time_ns;
	uint16_t type, code;
};

static size_t read_records(struct path *p, struct rec *out, size_t max)
{
	if (p->evdev) {
		struct input_event ev[64];
		ssize_t len = read(p->fd, ev, (max < 64 ? max : 64) * sizeof(ev[0]));

		if (len < 0)
			die("read evdev");
		for (size_t i = 0; i < len / sizeof(ev[0]); i++)
			out[i] = (struct rec){ ev[i].input_event_sec * 1000000000ull +
						       ev[i].input_event_usec * 1000ull,
					       ev[i].type, ev[i].code };
		return len / sizeof(ev[0]);
	} else {
		struct ctr_vdev_event ev[64];
		ssize_t len = read(p->fd, ev, (max < 64 ? max : 64) * sizeof(ev[0]));

		if (len < 0)
			die("read vdev");
		for (size_t i = 0; i < len / sizeof(ev[0]); i++)
			out[i] = (struct rec){ ev[i].time_ns, ev[i].type, ev[i].code };
		return len / sizeof(ev[0]);
	}
}

static sem_t got_event;
static volatile int writer_count;

static void *latency_writer(void *arg)
{
	struct input_event ev[2];

	for (int i = 0; i < writer_count; i++) {
		set_key(ev, !(i & 1));
		uinput_write(ev, 2);
		while (sem_wait(&got_event) && errno == EINTR)
			;
		usleep(200);
	}
	return NULL;
}

/* Wake-up latency: the reader sleeps in read() when each packet arrives. */
static void phase_latency(struct path *p, int n)
{
	struct rec rec[64];
	pthread_t writer;
	int got = 0;

	writer_count = n;
	sem_init(&got_event, 0, 0);
	if (pthread_create(&writer, NULL, latency_writer, NULL))
		die("pthread_create");
	while (got < n) {
		size_t k = read_records(p, rec, 64);
		uint64_t t = now_ns();

		for (size_t i = 0; i < k; i++) {
			if (rec[i].type == EV_SYN && rec[i].code == SYN_DROPPED)
				p->drops++;
			if (rec[i].type != EV_KEY)
				continue;
			p->lat[p->nlat++] = t - rec[i].time_ns;
			got++;
			sem_post(&got_event);
		}
	}
	pthread_join(writer, NULL);
	sem_destroy(&got_event);
}

/* Throughput: bursts of 32 events written, then read back, M events in all. */
static void phase_throughput(struct path *p, long m)
{
	struct input_event burst[BURST_PAIRS * 4];
	struct rec rec[64];
	uint64_t start;
	long moved = 0;

	for (int i = 0; i < BURST_PAIRS; i++) {
		set_key(&burst[4 * i], 1);
		set_key(&burst[4 * i + 2], 0);
	}
	start = now_ns();
	while (moved < m) {
		size_t want = BURST_PAIRS * 4;

		uinput_write(burst, BURST_PAIRS * 4);
		while (want) {
			size_t k = read_records(p, rec, want);

			for (size_t i = 0; i < k; i++)
				if (rec[i].type == EV_SYN && rec[i].code == SYN_DROPPED)
					p->drops++;
			want -= k < want ? k : want;
		}
		moved += BURST_PAIRS * 4;
	}
	if (p->rounds < MAX_ROUNDS)
		p->eps[p->rounds++] = moved / ((now_ns() - start) / 1e9);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_lat_us(struct path *p, double q)
{
	qsort(p->lat, p->nlat, sizeof(p->lat[0]), cmp_u64);
	return p->nlat ? p->lat[(size_t)(q * (p->nlat - 1))] / 1000.0 : 0;
}

static double median_eps(struct path *p)
{
	qsort(p->eps, p->rounds, sizeof(p->eps[0]), cmp_double);
	return p->rounds ? p->eps[p->rounds / 2] : 0;
}

static int cmd_run(const char *vdev, int n, long m)
{
	struct path paths[2] = { { .name = "vdev" }, { .name = "evdev", .evdev = 1 } };
	char evdev[300], line[32];
	int phase = 0;

	uinput_create();
	evdev_path(evdev, sizeof(evdev));
	for (int i = 0; i < 2; i++)
		paths[i].lat = calloc((size_t)n * MAX_ROUNDS, sizeof(uint64_t));
	printf("device ready %s\n", evdev);

	while (fgets(line, sizeof(line), stdin)) {
		struct path *p;

		if (!strncmp(line, "quit", 4))
			break;
		p = !strncmp(line, "evdev", 5) ? &paths[1] : &paths[0];
		if (p->rounds >= MAX_ROUNDS)
			break;
		p->fd = open(p->evdev ? evdev : vdev, O_RDONLY | O_CLOEXEC);
		if (p->fd < 0)
			die(p->evdev ? evdev : vdev);
		if (p->evdev && ioctl(p->fd, EVIOCSCLOCKID, &(int){ CLOCK_MONOTONIC }) < 0)
			die("EVIOCSCLOCKID");
		phase_latency(p, n);
		phase_throughput(p, m);
		close(p->fd);
		printf("phase done %d %s\n", ++phase, p->name);
	}

	for (int i = 0; i < 2; i++)
		printf("BENCH %-5s latency median %.1f us p90 %.1f us (n=%zu); throughput median "
		       "%.0f events/s (%d rounds); dropped markers %llu\n",
		       paths[i].name, median_lat_us(&paths[i], 0.5), median_lat_us(&paths[i], 0.9),
		       paths[i].nlat, median_eps(&paths[i]), paths[i].rounds,
		       (unsigned long long)paths[i].drops);
	printf("BENCH ratio vdev/evdev: latency %.2fx, time per event %.2fx (target <= 1.2x)\n",
	       median_lat_us(&paths[0], 0.5) / median_lat_us(&paths[1], 0.5),
	       median_eps(&paths[1]) / median_eps(&paths[0]));
	return 0;
}

static int cmd_flood(int pairs)
{
	struct input_event ev[4];
	char line[32];

	uinput_create();
	printf("device ready\n");
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int i = 0; i < pairs; i++) {
		set_key(&ev[0], 1);
		set_key(&ev[2], 0);
		uinput_write(ev, 4);
	}
	printf("flooded %d events\n", pairs * 4);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	ioctl(uinput_fd, UI_DEV_DESTROY);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "plug")) {
		uinput_create();
		printf("plugged\n");
		usleep(atoi(argv[2]) * 1000);
		ioctl(uinput_fd, UI_DEV_DESTROY);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "flood"))
		return cmd_flood(atoi(argv[2]));
	if ((argc == 3 || argc == 5) && !strcmp(argv[1], "run"))
		return cmd_run(argv[2], argc == 5 ? atoi(argv[3]) : 300,
			       argc == 5 ? atol(argv[4]) : 30000);
	fprintf(stderr,
		"usage: vdevbench plug MS | flood PAIRS | run VDEV [LATENCY_SAMPLES EVENTS]\n");
	return 2;
}

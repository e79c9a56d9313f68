/* vdevio: open a ctr_vdev device (or an evdev node) and read, write or query it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/input.h>
#include <linux/ctr_vdev.h>
#include <linux/uinput.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/*
 * read [-n KEYS] [-t MS] [-d MS] DEV: print records as "type code value" until KEYS key presses
 * or releases were read, -t MS milliseconds passed, or the device went away.  -d: sleep that long
 * after opening, before the first read (to let the ring overflow).  DEV is a ctr_vdev device,
 * the user-space backend's FIFO (struct ctr_vdev_event records) or an evdev node (struct
 * input_event), printed the same way.
 */
static int cmd_read(int argc, char **argv)
{
	long keys = 0, timeout = 0, delay = 0, seen = 0;
	union {
		struct ctr_vdev_event rec[64];
		struct input_event ev[64];
	} buf;
	long long deadline;
	int fd, opt, version;
	bool evdev;
	size_t size;

	while ((opt = getopt(argc, argv, "n:t:d:")) != -1) {
		if (opt == 'd')
			delay = atol(optarg);
		else if (opt == 'n')
			keys = atol(optarg);
		else if (opt == 't')
			timeout = atol(optarg);
		else
			return 2;
	}
	if (optind != argc - 1)
		return 2;
	fd = open_or_die(argv[optind], O_RDONLY);
	printf("opened\n");
	evdev = ioctl(fd, EVIOCGVERSION, &version) == 0;
	size = evdev ? sizeof(buf.ev[0]) : sizeof(buf.rec[0]);
	if (delay)
		usleep(delay * 1000);
	deadline = now_ms() + timeout;

	while (keys == 0 || seen < keys) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = timeout ? deadline - now_ms() : -1;
		ssize_t len;

		if (timeout && left <= 0) {
			printf("timeout\n");
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		len = read(fd, &buf, sizeof(buf));
		if (len < 0) {
			printf("read: %s\n", strerror(errno));
			return 3;
		}
		if (len % size) {
			printf("read: short record (%zd bytes)\n", len);
			return 3;
		}
		for (size_t i = 0; i < len / size; i++) {
			unsigned int type = evdev ? buf.ev[i].type : buf.rec[i].type;
			unsigned int code = evdev ? buf.ev[i].code : buf.rec[i].code;
			int value = evdev ? buf.ev[i].value : buf.rec[i].value;

			printf("%u %u %d\n", type, code, value);
			if (type == EV_KEY && value != 2)
				seen++;
		}
	}
	close(fd);
	return 0;
}

/* nonblock DEV: one O_NONBLOCK read on an empty device must fail with EAGAIN. */
static int cmd_nonblock(int argc, char **argv)
{
	struct ctr_vdev_event rec;
	int fd;

	if (argc != 2)
		return 2;
	fd = open_or_die(argv[1], O_RDONLY | O_NONBLOCK);
	if (read(fd, &rec, sizeof(rec)) < 0)
		printf("read: %s\n", strerror(errno));
	else
		printf("read: got a record\n");
	close(fd);
	return 0;
}

/* write DEV TYPE CODE VALUE: send one record toward the hardware. */
static int cmd_write(int argc, char **argv)
{
	struct ctr_vdev_event rec = { 0 };
	int fd;

	if (argc != 5)
		return 2;
	rec.type = atoi(argv[2]);
	rec.code = atoi(argv[3]);
	rec.value = atoi(argv[4]);
	fd = open_or_die(argv[1], O_WRONLY);
	if (write(fd, &rec, sizeof(rec)) != sizeof(rec)) {
		printf("write: %s\n", strerror(errno));
		return 1;
	}
	printf("write: OK\n");
	close(fd);
	return 0;
}

/* leds EVDEV: the LED state the input core holds for the device. */
static int cmd_leds(int argc, char **argv)
{
	unsigned char bits[(LED_CNT + 7) / 8] = { 0 };
	int fd;

	if (argc != 2)
		return 2;
	fd = open_or_die(argv[1], O_RDONLY);
	if (ioctl(fd, EVIOCGLED(sizeof(bits)), bits) < 0) {
		printf("EVIOCGLED: %s\n", strerror(errno));
		return 1;
	}
	printf("leds 0x%x\n", bits[0]);
	close(fd);
	return 0;
}

/* uinput NAME MS: a keyboard NAME that exists for MS milliseconds (hot-plug, then unplug). */
static int cmd_uinput(int argc, char **argv)
{
	struct uinput_setup setup = { .id = { .bustype = BUS_VIRTUAL, .vendor = 1, .product = 1 } };
	int fd;

	if (argc != 3)
		return 2;
	fd = open_or_die("/dev/uinput", O_WRONLY);
	snprintf(setup.name, sizeof(setup.name), "%s", argv[1]);
	if (ioctl(fd, UI_SET_EVBIT, EV_KEY) < 0 || ioctl(fd, UI_SET_KEYBIT, KEY_A) < 0 ||
	    ioctl(fd, UI_DEV_SETUP, &setup) < 0 || ioctl(fd, UI_DEV_CREATE) < 0) {
		printf("uinput: %s\n", strerror(errno));
		return 3;
	}
	printf("created\n");
	usleep(atol(argv[2]) * 1000);
	ioctl(fd, UI_DEV_DESTROY);
	close(fd);
	printf("destroyed\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "read"))
		return cmd_read(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "nonblock"))
		return cmd_nonblock(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "write"))
		return cmd_write(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "leds"))
		return cmd_leds(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "uinput"))
		return cmd_uinput(argc - 1, argv + 1);
	fprintf(stderr, "usage: vdevio read [-n KEYS] [-t MS] [-d MS] DEV | nonblock DEV |"
			" write DEV TYPE CODE VALUE | leds EVDEV | uinput NAME MS\n");
	return 2;
}

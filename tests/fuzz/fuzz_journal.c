// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the journal's reader.  The input is a segment file; the
 * journal is opened on it (a torn tail cut, corrupt records skipped) and
 * each record's body is read as recovery reads it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/journal.h"

static char dir[64];

/* Every segment in dir goes: each input starts alone. */
static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0) < 0)
			abort();
	closedir(d);
}

static int on_record(void *arg, const struct journal_hdr *h, const void *body,
		     struct journal_seg *seg, uint64_t off)
{
	struct journal_accept a;
	volatile uint64_t sum = 0;

	if (h->type == JR_ACCEPT && h->len >= sizeof(a)) {
		const unsigned char *p = (const unsigned char *)body + sizeof(a);
		uint64_t rest = h->len - sizeof(a);

		memcpy(&a, body, sizeof(a));
		if ((uint64_t)a.source_len + a.dest_len + a.category_len + a.payload_len == rest)
			for (uint64_t i = 0; i < rest; i++)
				sum += p[i];
	} else {
		for (uint32_t i = 0; i + 8 <= h->len; i += 8) {
			uint64_t id;

			memcpy(&id, (const unsigned char *)body + i, sizeof(id));
			sum += id;
		}
	}
	(void)sum;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct journal_opts o = { .durability = JOURNAL_ASYNC,
					       .segment_size = 4096,
					       .sync_interval_ms = 1000,
					       .retain_bytes = UINT64_MAX,
					       .retain_age_s = 1000000 };
	struct journal_recovery rec;
	struct journal j;
	char path[128];
	int fd, dfd;

	if (size > 1 << 20)
		return 0;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/dev/shm/ctr-ipc-fuzz-journal.%d", (int)getpid());
		mkdir(dir, 0700);
	}
	snprintf(path, sizeof(path), "%s/0000000000000001.jnl", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		abort();
	if (journal_open(&j, dfd, &o, on_record, NULL, &rec) == 0)
		journal_close(&j);
	clear_dir();
	return 0;
}

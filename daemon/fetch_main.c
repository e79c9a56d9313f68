// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctr-ipc-fetch: ctr-ipcd's image worker, a program of its own so that the
 * daemon (and every shim and exec helper it forks) carries none of libcurl,
 * libarchive and libcrypto.
 *
 *   ctr-ipc-fetch IMAGES_DIR URL [SHA256]
 *
 * Progress lines "P DONE TOTAL" and then "OK ROOTFS" or "ERR WHY" go to
 * fd 3, the daemon's pipe.  Not meant to be run by hand.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctr-ipc/proto.h"
#include "image.h"

int main(int argc, char **argv)
{
	char rootfs[PATH_MAX], why[CTRIPC_ERRMSG_MAX];
	struct stat st;

	if ((argc != 3 && argc != 4) || fstat(3, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		fprintf(stderr,
			"usage: %s IMAGES_DIR URL [SHA256]\n(ctr-ipcd runs it, its pipe on fd 3)\n",
			argv[0]);
		return 2;
	}
	if (image_fetch(argv[1], argv[2], argc == 4 ? argv[3] : NULL, 3, rootfs, sizeof(rootfs),
			why, sizeof(why)) < 0)
		dprintf(3, "ERR %s\n", why);
	else
		dprintf(3, "OK %s\n", rootfs);
	return 0;
}

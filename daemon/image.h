/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Container images: fetch, verify, unpack once per digest. */
#ifndef CTRIPCD_IMAGE_H
#define CTRIPCD_IMAGE_H

#include <stddef.h>

/*
 * Fetch @url (http, https or file), writing "P DONE TOTAL" progress lines to
 * @progress_fd (-1: none), check it against @want_sha256 (hex, may
 * be NULL), unpack it into IMAGES_DIR/DIGEST/rootfs unless that exists, and
 * put that path in @ret_rootfs.  On failure nothing new is kept and @err
 * says why.  Blocking: call it from a worker process.
 */
int image_fetch(const char *images_dir, const char *url, const char *want_sha256, int progress_fd,
		char *ret_rootfs, size_t len, char *err, size_t errlen);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the control protocol's parser, as ctr-ipcd and the CLI
 * run it on a datagram (each netlink message in it, as requests and as
 * answers).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>

#include "ctr-ipc/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	char err[CTRIPC_ERRMSG_MAX];
	struct nlmsghdr *nlh;
	unsigned char *buf;
	int len = (int)size;

	if (size > 1 << 20)
		return 0;
	buf = malloc(size ? size : 1); /* its own allocation: reads past it are caught */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
		uint8_t cmd;

		ctripc_msg_parse(nlh, true, tb, &cmd, err, sizeof(err));
		ctripc_msg_parse(nlh, false, tb, &cmd, err, sizeof(err));
	}
	free(buf);
	return 0;
}

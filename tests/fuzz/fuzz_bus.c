// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the bus's frame parser, as the buffer and libctripc run
 * it on each datagram (frames back to back), as requests and as answers.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctr-ipc/bus.h"

static void walk(unsigned char *buf, size_t size, bool request)
{
	struct nlattr *tb[CTRIPC_BUS_A_MAX + 1];
	char err[CTRIPC_ERRMSG_MAX];
	struct nlmsghdr *nlh;
	size_t off = 0;
	uint8_t cmd;

	while (ctripc_bus_next(buf, size, &off, request, &nlh, tb, &cmd, err, sizeof(err)) > 0)
		if (cmd && tb[CTRIPC_BUS_A_DEST])
			ctripc_bus_addr_valid(nla_get_string(tb[CTRIPC_BUS_A_DEST]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *buf;

	if (size > CTRIPC_BUS_FRAME_MAX)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	walk(buf, size, true);
	memcpy(buf, data, size);
	walk(buf, size, false);
	free(buf);
	return 0;
}

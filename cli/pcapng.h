/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msg capture's file: pcapng (the IETF draft, "PCAP Next Generation Dump
 * File Format"), one Enhanced Packet Block per message, under link type
 * LINKTYPE_USER0 (147) with nanosecond time stamps.  tshark and Wireshark
 * open it; the record in each block is ctr-ipc's own (ctr-ipc(8),
 * Capture format):
 *
 *   off  size  all big-endian
 *     0     4  magic "CTRB"
 *     4     1  version, 1
 *     5     1  event: 0 accepted, 1 refused, 2 delivered, 3 acked, 4 expired, 5 purged
 *     6     2  header length: the bytes before the payload
 *     8     8  message ID (0: refused, it never had one)
 *    16     8  the ID it replays, or 0
 *    24     8  sent at, ns since the epoch
 *    32     4  payload length (whole; the block may carry less)
 *    36     4  deliveries so far
 *    40     2  source length      42  2  destination length
 *    44     2  category length    46  2  reason length
 *    48        source, destination, category, reason (no NULs), then the payload
 */
#ifndef CTRIPC_CLI_PCAPNG_H
#define CTRIPC_CLI_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_LINKTYPE_USER0 147
#define CAPTURE_HDR_LEN	      48

struct capture_rec {
	uint8_t event;
	uint64_t id, replays, sent_at;
	uint32_t payload_len, attempts;
	const char *source, *dest, *category, *reason;
	const void *payload; /* the bytes kept: @kept of payload_len */
	size_t kept;
};

/* The section and interface headers; 0 or -errno. */
int pcapng_begin(FILE *f, const char *application);
/* One message as an Enhanced Packet Block stamped @ts_ns; 0 or -errno. */
int pcapng_message(FILE *f, uint64_t ts_ns, const struct capture_rec *r);

#endif

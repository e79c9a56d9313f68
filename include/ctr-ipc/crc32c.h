/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78), as iSCSI, ext4 and
 * btrfs use it: the journal's record check.  The SSE4.2 instruction when
 * the CPU has it, a table otherwise; both give the same values.
 */
#ifndef CTRIPC_CRC32C_H
#define CTRIPC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue @crc (0 to start) over @len bytes at @data. */
uint32_t ctripc_crc32c(uint32_t crc, const void *data, size_t len);

#endif

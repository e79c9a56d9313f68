/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the daemon and the CLI (not installed API). */
#ifndef CTRIPC_UTIL_H
#define CTRIPC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_free_	__attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

/* Strict parse of the whole string: decimal, or hex after 0x; -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t *ret);
int parse_u32(const char *s, uint32_t *ret);

/* Growable NULL-terminated array of owned strings. */
struct strv {
	char **v;
	size_t n, cap;
};
int strv_push(struct strv *sv, const char *s);
void strv_free(struct strv *sv);
void strv_sort_unique(struct strv *sv);

/* "@dir/@name@suffix" into @buf; -ENAMETOOLONG when it does not fit. */
int path_join(char *buf, size_t len, const char *dir, const char *name, const char *suffix);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/* Trim ASCII white space at both ends, in place; returns s. */
char *strstrip(char *s);

/* Log levels, ordered; shared so both sides spell them alike. */
enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_NOTICE, LOG_LVL_WARNING, LOG_LVL_ERROR };
extern const char *const log_level_names[];
int log_level_from_name(const char *name); /* -EINVAL when unknown */

#endif

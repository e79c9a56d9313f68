// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small helpers shared by the daemon and the CLI. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctr-ipc/util.h"

int parse_u64(const char *s, uint64_t *ret)
{
	const char *digits = s;
	unsigned long long v;
	int base = 10;
	char *end;

	if (!s)
		return -EINVAL;
	/* Decimal, or hex with 0x; a leading 0 is not octal (port_id = 010 means 10). */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	/* strtoull would accept blanks, a sign and an empty string: refuse them first. */
	if (!(base == 16 ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		return -EINVAL;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, &v);

	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int strv_push(struct strv *sv, const char *s)
{
	char *copy;

	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL;
	return 0;
}

void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	*sv = (struct strv){ 0 };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_unique(struct strv *sv)
{
	size_t out = 0;

	if (sv->n == 0)
		return;
	qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
	for (size_t i = 0; i < sv->n; i++) {
		if (out > 0 && strcmp(sv->v[out - 1], sv->v[i]) == 0) {
			free(sv->v[i]);
			continue;
		}
		sv->v[out++] = sv->v[i];
	}
	sv->n = out;
	sv->v[out] = NULL;
}

int path_join(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, name, suffix ? suffix : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

char *strstrip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

const char *const log_level_names[] = { "debug", "info", "notice", "warning", "error", NULL };

int log_level_from_name(const char *name)
{
	for (int i = 0; log_level_names[i]; i++)
		if (strcmp(name, log_level_names[i]) == 0)
			return i;
	return -EINVAL;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Output faces: aligned human text (colour on a terminal) and stable JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "ctr-ipc/proto.h"

#define BOLD  "\033[1m"
#define RESET "\033[0m"

void json_init(struct json *j, FILE *f, bool pretty)
{
	*j = (struct json){ .f = f, .pretty = pretty };
	j->first[0] = true;
}

static void json_indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void json_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Comma, indentation and key before a value. */
static void json_member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
		json_indent(j);
	}
	if (key) {
		json_quoted(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_member(j, key);
	fputc(c, j->f);
	if (j->depth < (int)(sizeof(j->first) / sizeof(j->first[0])) - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		json_indent(j);
	fputc(c, j->f);
}

void json_begin_object(struct json *j, const char *key)
{
	json_open(j, key, '{');
}
void json_end_object(struct json *j)
{
	json_close(j, '}');
}
void json_begin_array(struct json *j, const char *key)
{
	json_open(j, key, '[');
}
void json_end_array(struct json *j)
{
	json_close(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
	json_member(j, key);
	json_quoted(j->f, value);
}

void json_u64(struct json *j, const char *key, uint64_t value)
{
	json_member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	json_member(j, key);
	fputs(value ? "true" : "false", j->f);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

void out_field(struct cli *cli, const char *label, const char *fmt, ...)
{
	bool color = cli_use_color(cli);
	va_list ap;
	int pad = 16 - (int)strlen(label) - 1;

	/* An empty label continues the field above. */
	printf("%s%s%s%s%*s", color ? BOLD : "", label, *label ? ":" : " ", color ? RESET : "",
	       pad > 1 ? pad : 1, "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int table_init(struct table *t, int ncols, const char *const *header)
{
	*t = (struct table){ .ncols = ncols };
	if (ncols < 1 || ncols > TABLE_MAX_COLS)
		return -EINVAL;
	t->cap = 16;
	t->cells = calloc((size_t)t->cap * (size_t)ncols, sizeof(char *));
	if (!t->cells)
		return -ENOMEM;
	for (int c = 0; c < ncols; c++)
		if (!(t->cells[c] = strdup(header[c])))
			return -ENOMEM;
	t->nrows = 1;
	return 0;
}

int table_add(struct table *t, ...)
{
	va_list ap;
	char **row;

	if (t->nrows == t->cap) {
		char **cells =
			realloc(t->cells, (size_t)t->cap * 2 * (size_t)t->ncols * sizeof(char *));

		if (!cells)
			return -ENOMEM;
		t->cells = cells;
		t->cap *= 2;
	}
	row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
	va_start(ap, t);
	for (int c = 0; c < t->ncols; c++)
		row[c] = strdup(va_arg(ap, const char *));
	va_end(ap);
	t->nrows++;
	for (int c = 0; c < t->ncols; c++)
		if (!row[c])
			return -ENOMEM;
	return 0;
}

void table_print(struct cli *cli, struct table *t)
{
	int width[TABLE_MAX_COLS] = { 0 };
	bool color = cli_use_color(cli);

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			int w = (int)strlen(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (int r = 0; r < t->nrows; r++) {
		if (r == 0 && color)
			fputs(BOLD, stdout);
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			bool last = c == t->ncols - 1;

			if (t->right[c])
				printf("%*s", width[c], cell);
			else
				printf("%-*s", last ? 0 : width[c], cell);
			if (!last)
				fputs("  ", stdout);
		}
		if (r == 0 && color)
			fputs(RESET, stdout);
		putchar('\n');
	}
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
}

void format_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;

	if (d)
		snprintf(buf, len, "%llud %lluh", (unsigned long long)d,
			 (unsigned long long)(h % 24));
	else if (h)
		snprintf(buf, len, "%lluh %llum", (unsigned long long)h,
			 (unsigned long long)(m % 60));
	else if (m)
		snprintf(buf, len, "%llum %llus", (unsigned long long)m,
			 (unsigned long long)(s % 60));
	else if (s)
		snprintf(buf, len, "%llu.%01llus", (unsigned long long)s,
			 (unsigned long long)(ms % 1000 / 100));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

unsigned long long attr_u64(struct nlattr **tb, int attr)
{
	return tb[attr] ? (unsigned long long)nla_get_u64(tb[attr]) : 0;
}

uint32_t attr_u32(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

const char *attr_str(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_string(tb[attr]) : "";
}

void json_attr(struct json *j, struct nlattr **tb, int attr)
{
	const char *key = ctripc_attr_names[attr];

	if (!tb[attr])
		return;
	switch (ctripc_policy[attr].type) {
	case NLA_STRING:
		json_string(j, key, nla_get_string(tb[attr]));
		break;
	case NLA_U32:
		json_u64(j, key, nla_get_u32(tb[attr]));
		break;
	case NLA_U64:
		json_u64(j, key, nla_get_u64(tb[attr]));
		break;
	case NLA_FLAG:
		json_bool(j, key, true);
		break;
	default:
		break;
	}
}

int list_out_begin(struct list_out *lo, struct cli *cli, int ncols, const char *const *header)
{
	*lo = (struct list_out){ .cli = cli };
	if (!cli->opts.json)
		return table_init(&lo->table, ncols, header);
	lo->mem = open_memstream(&lo->buf, &lo->len);
	if (!lo->mem)
		return -ENOMEM;
	json_init(&lo->json, lo->mem, cli->opts.pretty);
	json_begin_array(&lo->json, NULL);
	return 0;
}

void list_out_end(struct list_out *lo, int r)
{
	if (lo->mem) {
		json_end_array(&lo->json);
		json_finish(&lo->json);
		fclose(lo->mem);
		if (r == 0)
			fwrite(lo->buf, 1, lo->len, stdout);
		free(lo->buf);
		return;
	}
	if (r == 0)
		table_print(lo->cli, &lo->table);
	table_free(&lo->table);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output faces: aligned human text (colour on a terminal) and stable JSON. */
#ifndef CTRIPC_CLI_OUTPUT_H
#define CTRIPC_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cli;

/* Streaming JSON writer; keys are NULL inside arrays. */
struct json {
	FILE *f;
	bool pretty;
	int depth;
	bool first[32];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_u64(struct json *j, const char *key, uint64_t value);
void json_bool(struct json *j, const char *key, bool value);
/* Ends the document with a newline. */
void json_finish(struct json *j);

/* "Label:  value" lines with the labels aligned. */
void out_field(struct cli *cli, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A table: add the header and rows, then print with aligned columns. */
#define TABLE_MAX_COLS 8
struct table {
	int ncols;
	int nrows, cap;
	char **cells; /* nrows * ncols, row 0 is the header */
	bool right[TABLE_MAX_COLS];
};

int table_init(struct table *t, int ncols, const char *const *header);
int table_add(struct table *t, ...); /* ncols strings */
void table_print(struct cli *cli, struct table *t);
void table_free(struct table *t);

/*
 * A list command's output: JSON (an array, printed only once the whole list
 * arrived) or an aligned table.  Rows go to lo->json or lo->table.
 */
struct list_out {
	struct cli *cli;
	struct json json;
	struct table table;
	FILE *mem;
	char *buf;
	size_t len;
};

int list_out_begin(struct list_out *lo, struct cli *cli, int ncols, const char *const *header);
/* Print the list if @r is 0 (nothing otherwise) and free it. */
void list_out_end(struct list_out *lo, int r);

/* "3d 4h", "12m 5s", "800ms" */
void format_duration(char *buf, size_t len, uint64_t ms);

struct nlattr;
/* Write attribute @attr of @tb (if present) under its protocol name. */
void json_attr(struct json *j, struct nlattr **tb, int attr);

/* An attribute of a reply, or 0 / "" when it is absent. */
unsigned long long attr_u64(struct nlattr **tb, int attr);
uint32_t attr_u32(struct nlattr **tb, int attr);
const char *attr_str(struct nlattr **tb, int attr);

#endif

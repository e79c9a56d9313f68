// SPDX-License-Identifier: GPL-2.0-or-later
/* Split a batch or shell line into words, shell style. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int tokenize(const char *line, bool partial, struct strv *out, char *err, size_t errlen)
{
	size_t len = strlen(line);
	char *word = malloc(len + 1);
	const char *p = line;
	int r = 0;

	if (!word)
		return -ENOMEM;
	for (;;) {
		size_t n = 0;
		char quote = 0;

		while (is_blank(*p))
			p++;
		if (*p == '\0') {
			if (partial && p > line && is_blank(p[-1]))
				r = strv_push(out, "");
			break;
		}
		if (*p == '#')
			break;
		for (; *p && (quote || !is_blank(*p)); p++) {
			if (quote == '\'') {
				if (*p == '\'')
					quote = 0;
				else
					word[n++] = *p;
			} else if (quote == '"') {
				if (*p == '"')
					quote = 0;
				else if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
					word[n++] = *++p;
				else
					word[n++] = *p;
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
			} else if (*p == '\\' && p[1]) {
				word[n++] = *++p;
			} else {
				word[n++] = *p;
			}
		}
		if (quote && !partial) {
			snprintf(err, errlen, "unterminated %s quote",
				 quote == '"' ? "double" : "single");
			r = -EINVAL;
			break;
		}
		word[n] = '\0';
		r = strv_push(out, word);
		if (r < 0)
			break;
	}
	free(word);
	return r;
}

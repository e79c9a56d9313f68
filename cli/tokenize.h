/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Split a batch or shell line into words, shell style. */
#ifndef CTRIPC_CLI_TOKENIZE_H
#define CTRIPC_CLI_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "ctr-ipc/util.h"

/*
 * Words are separated by blanks; '...' is literal, "..." allows \" \\ \$ \`,
 * a backslash outside quotes escapes the next character, and '#' at the start
 * of a word begins a comment.  With @partial (completion), an unterminated
 * quote ends the last word instead of being an error, and a trailing blank
 * adds an empty last word.  Returns 0, or -EINVAL with @err set.
 */
int tokenize(const char *line, bool partial, struct strv *out, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctr-ipcd logging: stderr in the foreground, syslog when detached. */
#ifndef CTRIPCD_LOG_H
#define CTRIPCD_LOG_H

#include "ctr-ipc/util.h"

void log_open(bool to_syslog, int level);
void log_set_level(int level);
int log_get_level(void);
void log_close(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif

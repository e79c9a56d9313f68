// SPDX-License-Identifier: GPL-2.0-or-later
/* ctr-ipcd logging: stderr in the foreground, syslog when detached. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static bool use_syslog;
static int min_level = LOG_LVL_INFO;

static const int syslog_prio[] = {
	[LOG_LVL_DEBUG] = LOG_DEBUG,	 [LOG_LVL_INFO] = LOG_INFO, [LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_WARNING] = LOG_WARNING, [LOG_LVL_ERROR] = LOG_ERR,
};

void log_open(bool to_syslog, int level)
{
	use_syslog = to_syslog;
	min_level = level;
	if (use_syslog)
		openlog("ctr-ipcd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	min_level = level;
}

int log_get_level(void)
{
	return min_level;
}

void log_close(void)
{
	if (use_syslog)
		closelog();
	use_syslog = false;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(syslog_prio[level], fmt, ap);
	} else {
		fprintf(stderr, "ctr-ipcd: %s: ", log_level_names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run directory's pidfile (locked for the daemon's life) and port file. */
#ifndef CTRIPCD_PIDFILE_H
#define CTRIPCD_PIDFILE_H

#include <stdint.h>
#include <sys/types.h>

#define PIDFILE_NAME  "ctr-ipcd.pid"
#define PORTFILE_NAME "ctr-ipcd.port"

/*
 * Open and lock RUN_DIR/ctr-ipcd.pid.  -EBUSY when another process holds the
 * lock; *ret_holder then names it (0 if unreadable).
 */
int pidfile_lock(const char *run_dir, int *ret_fd, pid_t *ret_holder);

/* Write our pid to the locked pidfile and the port ID to the port file. */
int pidfile_write(int fd, const char *run_dir, pid_t pid, uint32_t port_id);

/* Remove both files and drop the lock. */
void pidfile_remove(const char *run_dir, int fd);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libctripc: send and receive messages on the ctr-ipc bus, from a program
 * inside a container (or from the host, through the administrator's
 * socket).  Link with `pkg-config --cflags --libs ctripc`.  See libctripc(3).
 *
 * Errors are negative errno values; when the buffer refused something,
 * ctripc_error() gives its reason ("denied by rule 3 (...)").
 *
 * Thread safety: a handle is for one thread at a time.  Use one handle per
 * thread, or serialize calls on a shared one with a lock of your own.
 * Distinct handles share nothing.
 */
#ifndef CTRIPC_H
#define CTRIPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the bus socket is inside a container; $CTRIPC_BUS overrides it. */
#define CTRIPC_BUS_PATH "/run/ctr-ipc/bus.sock"

struct ctripc;

struct ctripc_msg {
	uint64_t id;	      /* assigned by the buffer, increasing; IDs go on across restarts
			       * of the buffer with durability sync or async (its journal);
			       * with memory, a restarted buffer has lost what it held and
			       * starts again at 1 */
	char source[128];     /* container/endpoint */
	char dest[128];	      /* container/endpoint */
	char category[128];   /* dotted, "sensor.temperature" */
	uint32_t flags;	      /* CTRIPC_MSG_F_* */
	uint32_t attempt;     /* 1, or more when delivered again (not ACKed before) */
	uint64_t sent_at;     /* ns since the epoch: when the buffer got it */
	uint64_t accepted_at; /* ns since the epoch: when it was held */
	size_t len;
	unsigned char *data; /* len bytes (a NUL follows, for text) */
	uint64_t replay_of;  /* CTRIPC_MSG_F_REPLAY: the ID of the message it replays; else 0 */
};

#define CTRIPC_MSG_F_REPLAY (1u << 0)

struct ctripc_send_opts {
	const void *auth; /* authorization data, or NULL */
	size_t auth_len;
	uint32_t ttl_ms; /* how long the buffer waits for the destination; 0: its default */
};

/*
 * Connect to the bus: @path, or NULL for $CTRIPC_BUS, else CTRIPC_BUS_PATH.
 * NULL with *@ret_error set (-ENOENT: no bus socket here; -ECONNREFUSED:
 * ctr-ipcd is not running; while the buffer restarts, connections wait).
 */
struct ctripc *ctripc_open(const char *path, int *ret_error);

/*
 * Take the endpoint name @endpoint in this container: messages for
 * CONTAINER/@endpoint come to this handle.  -EADDRINUSE when a live
 * connection holds it, -EINVAL for a bad name; the reason in ctripc_error().
 */
int ctripc_register(struct ctripc *h, const char *endpoint);

/* Sends what is queued (up to 5 seconds) without waiting for answers, and closes. */
void ctripc_close(struct ctripc *h);

/* The socket, for poll(): readable when a message may be waiting. */
int ctripc_fd(const struct ctripc *h);

/*
 * Send @len bytes to @dest ("container/endpoint") under @category.  0 and
 * the message's ID in *@ret_id once the buffer holds it; -EACCES (refused by
 * the policy), -ENOBUFS (the destination's queue is full), -EDQUOT (quota),
 * -EMSGSIZE (over the maximum), ... with the reason in ctripc_error().
 */
int ctripc_send(struct ctripc *h, const char *dest, const char *category, const void *data,
		size_t len, const struct ctripc_send_opts *opts, uint64_t *ret_id);

/*
 * Pipelined sending: queue the message and return at once; *@ret_token (if
 * given) names it in the answer.  Queued frames go to the buffer in
 * batches (many messages per system call): when a batch fills, and with any
 * call that waits (ctripc_recv(), ctripc_send(), ctripc_flush()).  At most
 * 1024 sends wait for their answer; the next one waits for room.  The
 * errors returned here are the local ones (-EMSGSIZE, -EINVAL, a broken
 * connection); the buffer's answer comes later, to the ctripc_on_sent()
 * callback and in ctripc_flush()'s count.
 */
int ctripc_send_async(struct ctripc *h, const char *dest, const char *category, const void *data,
		      size_t len, const struct ctripc_send_opts *opts, uint64_t *ret_token);

/*
 * Called, from inside the library's calls on @h, with the buffer's answer to
 * each ctripc_send_async(): @error 0 and the message's @id once it is held,
 * else -EACCES, -ENOBUFS, ... and the buffer's @reason.  It must not use @h
 * (calls on it fail with -EDEADLK; ctripc_close() is not allowed): note what
 * to do, and do it once the call that invoked it has returned.
 */
typedef void ctripc_sent_fn(void *userdata, uint64_t token, int error, uint64_t id,
			    const char *reason);
void ctripc_on_sent(struct ctripc *h, ctripc_sent_fn *fn, void *userdata);

/*
 * Send everything queued and wait up to @timeout_ms (-1: forever; 0: not at
 * all) for the answers to every ctripc_send_async() so far.  Returns how
 * many of them the buffer refused since the previous ctripc_flush() (0: all
 * held; the last reason in ctripc_error()), -ETIMEDOUT (-EAGAIN with 0) while
 * answers are still due, or another -errno.
 */
int ctripc_flush(struct ctripc *h, int timeout_ms);

/*
 * The next message for this handle's endpoint: waits up to @timeout_ms (-1:
 * forever, 0: not at all).  -ETIMEDOUT (or -EAGAIN with 0) when none came.
 * Free it with ctripc_msg_free(); ACK it with ctripc_ack() once handled, or
 * it comes again after a reconnection.
 */
int ctripc_recv(struct ctripc *h, struct ctripc_msg **ret, int timeout_ms);
/*
 * ACKs are batched: they go with the next call that waits, or when
 * ctripc_recv() hands out the last message received so far, or with
 * ctripc_flush(h, 0) or ctripc_close().  One not sent when the connection
 * ends means the message comes again: it may come twice, never not at all.
 */
int ctripc_ack(struct ctripc *h, uint64_t id);
void ctripc_msg_free(struct ctripc_msg *m);

/* The buffer's reason for the last refusal, or a description of the last error. */
const char *ctripc_error(const struct ctripc *h);

#ifdef __cplusplus
}
#endif

#endif

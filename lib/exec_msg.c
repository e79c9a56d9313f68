// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The exec socket's framing, for both ends: a type byte, a payload, and up to
 * CTRIPC_EXEC_MAXFDS file descriptors (SCM_RIGHTS) per message.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctr-ipc/proto.h"

int ctripc_exec_send(int sock, char type, const void *data, size_t len, const int *fds, int nfds)
{
	char buf[1 + CTRIPC_EXEC_PAYLOAD_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(CTRIPC_EXEC_MAXFDS * sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (len > CTRIPC_EXEC_PAYLOAD_MAX)
		len = CTRIPC_EXEC_PAYLOAD_MAX;
	if (nfds < 0 || nfds > CTRIPC_EXEC_MAXFDS)
		return -EINVAL;
	buf[0] = type;
	if (len)
		memcpy(buf + 1, data, len);
	iov.iov_len = 1 + len;
	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

ssize_t ctripc_exec_recv(int sock, void *buf, size_t len, int *fds, int maxfds, int *ret_nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(CTRIPC_EXEC_MAXFDS * sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	int got = 0;

	cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		int count = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int all[CTRIPC_EXEC_MAXFDS];

		memcpy(all, CMSG_DATA(cm), (size_t)count * sizeof(int));
		for (int i = 0; i < count; i++) {
			if (i < maxfds)
				fds[got++] = all[i];
			else
				close(all[i]); /* more than the caller takes: not leaked */
		}
	}
	*ret_nfds = got;
	return n < 0 ? -errno : n;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fdpass.h: one message carrying a descriptor, each way, for the join floor
 * of floor.c and the floor module of floormod.c (the same round trip).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* Send one byte with fd (if >= 0) attached; false on failure. */
static bool send_fd(int sock, int fd)
{
	char b = 1, ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (fd >= 0) {
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1;
}

/* Receive one message and the fd it carries (-1 if none); false on failure. */
static bool recv_fd(int sock, int *ret_fd)
{
	char b[64], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = b, .iov_len = sizeof(b)};
	struct msghdr mh = {.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	ssize_t n;

	*ret_fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	return true;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault stubs for pam_ns.so's helper= argument. One binary; the mode is
 * the part of its file name after "fake-" (the module always passes
 * argv[0] = "pam_ns-helper", so the name of the file is what is left):
 *
 *   fake-exit1      exit 1 at once
 *   fake-exit0      exit 0 at once, no reply
 *   fake-segv       read the request, then SIGSEGV
 *   fake-kill       read the request, then SIGKILL itself
 *   fake-garbage    read the request, send 64 bytes of noise, exit 0
 *   fake-truncated  read the request, send the first half of a valid
 *                   success REPLY, exit 0
 *   fake-nofd       a valid success REPLY without the anchor pidfd, exit 0
 *   fake-errreply   a valid REPLY with error -EACCES and a message, exit 1
 *   fake-hang       read the request, then sleep (the module must kill it)
 *   fake-closehang  close the socket without replying, then sleep
 *   fake-mismatch   fork a child in fresh mount/ipc/uts namespaces, send a
 *                   success REPLY with its pidfd but wrong namespace
 *                   inodes, exit 0: the module joins, sees the mismatch
 *                   and must go back to where it was
 *   fake-badstatus  as mismatch but with the right inodes, then exit 3:
 *                   the exit status must veto the reply
 *   fake-noconfirm  as badstatus, but exit 0 without the one byte "K"
 *                   that confirms a reply of a created set: denied
 *   fake-confirmed  the same with that byte: the session opens in the
 *                   fake anchor's namespaces (the control of noconfirm)
 *
 * Every success REPLY says the set was created and, but in noconfirm, is
 * followed by the helper's confirmation, as the real helper sends it.
 *
 * Children of mismatch/badstatus/noconfirm/confirmed write their pid to FAKE_DIR/child.PID and
 * exit by themselves after 20 s at most (the test kills them sooner).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/proto.h"

#ifndef FAKE_DIR
#define FAKE_DIR "/tmp"
#endif

static void read_request(void)
{
	uint8_t buf[PNS_MSG_MAX];
	char control[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
		.msg_controllen = sizeof(control) };

	(void)recvmsg(3, &mh, MSG_CMSG_CLOEXEC);
}

static int send_reply(const struct pns_reply *rep, int fd, size_t cut)
{
	struct pns_msg m = { .type = PNS_MSG_REPLY };
	uint8_t buf[PNS_MSG_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int n;

	m.reply = *rep;
	n = pns_msg_encode(&m, buf, sizeof(buf));
	if (n < 0)
		return n;
	iov.iov_base = buf;
	iov.iov_len = cut ? (size_t)n / 2 : (size_t)n;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.b;
		mh.msg_controllen = sizeof(control.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(3, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* What the helper sends after a created set's reply (module: session.c). */
static int confirm(void)
{
	return send(3, "K", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* A process in fresh namespaces, like an anchor; returns its pidfd. */
static int fork_fake_anchor(uint64_t ino[_PNS_NSI_MAX])
{
	static const char *const names[] = { "mnt", "ipc", "uts" };
	int sync[2], pidfd;
	char path[128], c;
	pid_t pid;

	if (pipe(sync) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		close(sync[0]);
		for (int i = 0; i < 64; i++)
			if (i != sync[1])
				close(i);
		setsid();
		if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
			_exit(1);
		snprintf(path, sizeof(path), "%s/child.%d", FAKE_DIR, getpid());
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		(void)!write(sync[1], "x", 1);
		close(sync[1]);
		sleep(20);
		_exit(0);
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1)
		return -1;
	close(sync[0]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (int i = 0; i < 3; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, names[i]);
		if (stat(path, &st) < 0)
			return -1;
		ino[i] = st.st_ino;
	}
	return pidfd;
}

int main(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *mode;
	struct pns_reply rep;

	if (n <= 0)
		return 2;
	exe[n] = 0;
	mode = strrchr(exe, '/');
	mode = mode ? mode + 1 : exe;
	if (strncmp(mode, "fake-", 5) != 0)
		return 2;
	mode += 5;

	memset(&rep, 0, sizeof(rep));
	/* A set id: a success reply without one does not even decode, and
	 * would never reach the checks each mode is for. */
	rep.set_id = 0x5e7;
	rep.session_id = 1;
	rep.created = true;
	pns_strlcpy(rep.set_name, "user.sock", sizeof(rep.set_name));
	for (int i = 0; i < 3; i++)
		rep.ns_ino[i] = 4026500000u + (uint64_t)i;

	if (strcmp(mode, "exit1") == 0)
		return 1;
	if (strcmp(mode, "exit0") == 0)
		return 0;
	read_request();
	if (strcmp(mode, "segv") == 0) {
		raise(SIGSEGV);
		return 0;
	}
	if (strcmp(mode, "kill") == 0) {
		raise(SIGKILL);
		return 0;
	}
	if (strcmp(mode, "garbage") == 0) {
		uint8_t noise[64];

		for (size_t i = 0; i < sizeof(noise); i++)
			noise[i] = (uint8_t)(i * 37 + 11);
		(void)!send(3, noise, sizeof(noise), MSG_NOSIGNAL);
		return 0;
	}
	if (strcmp(mode, "truncated") == 0)
		return send_reply(&rep, -1, 1) < 0;
	if (strcmp(mode, "nofd") == 0)
		return send_reply(&rep, -1, 0) < 0 || confirm() < 0;
	if (strcmp(mode, "errreply") == 0) {
		rep.error = -EACCES;
		pns_strlcpy(rep.message, "fake helper refuses", sizeof(rep.message));
		send_reply(&rep, -1, 0);
		return 1;
	}
	if (strcmp(mode, "hang") == 0) {
		for (;;)
			pause();
	}
	if (strcmp(mode, "closehang") == 0) {
		close(3);
		sleep(3600);
		return 0;
	}
	if (strcmp(mode, "mismatch") == 0 || strcmp(mode, "badstatus") == 0 ||
	    strcmp(mode, "noconfirm") == 0 || strcmp(mode, "confirmed") == 0) {
		uint64_t ino[_PNS_NSI_MAX] = { 0 };
		int pidfd = fork_fake_anchor(ino);

		if (pidfd < 0)
			return 1;
		if (strcmp(mode, "mismatch") != 0)
			memcpy(rep.ns_ino, ino, sizeof(ino));
		if (send_reply(&rep, pidfd, 0) < 0)
			return 1;
		if (strcmp(mode, "noconfirm") != 0 && confirm() < 0)
			return 1;
		return strcmp(mode, "badstatus") == 0 ? 3 : 0;
	}
	return 2;
}

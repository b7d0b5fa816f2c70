/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floormod.so: the floor of a join made by a PAM module. bench/run loads it
 * in a stack of its own and times it like every other stack, so that what
 * it adds over pam_permit is what any module that joins a held set the way
 * SPEC asks must add at least: what the syscall floor of a join
 * (floor --join) leaves out.
 *
 * pam_sm_open_session does, in this order, what its arguments ask:
 *   nss          getpwnam_r() of the PAM user (the uid decides everything);
 *   policy=PATH  open PATH without following links, check that it is a
 *                regular file of root's not writable by group or others,
 *                read it to the end (one file; pam_ns reads every file of
 *                the policy and checks its directories too);
 *   sock=PATH    the join floor's join, against `floor --serve PATH`:
 *                pidfd_open() of itself, socket, connect, one message
 *                carrying that pidfd, the reply carrying the server's pidfd,
 *                setns() into its mount, IPC and UTS namespaces.
 *   ini=PATH     (built with -DWITH_INIPARSER, linked with -liniparser: the
 *                module then loads libiniparser too) iniparser_load() of
 *                PATH and iniparser_freedict(), as SPEC 5 has the policy
 *                read with iniparser;
 * With no argument it does nothing: a module that only costs its loading.
 * pam_sm_close_session does nothing (the floor has no close round trip).
 * Anything that fails is PAM_SESSION_ERR, which the driver counts.
 *
 * Built by bench/run: cc -O2 -shared -fPIC floormod.c -lpam, and again with
 * -DWITH_INIPARSER ... -liniparser. A benchmark fixture, never installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <security/pam_modules.h>

#include "fdpass.h"
#ifdef WITH_INIPARSER
#include <iniparser.h>
#endif

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)

static bool read_policy(const char *path)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		return false;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n == 0;
}

static bool join(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int self = -1, s = -1, pidfd = -1;
	bool ok = false;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (self >= 0 && s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		send_fd(s, self)) {
		ok = recv_fd(s, &pidfd) && pidfd >= 0 && setns(pidfd, NS_FLAGS) == 0;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (s >= 0)
		close(s);
	if (self >= 0)
		close(self);
	return ok;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "nss") == 0) {
			const char *user = NULL;
			struct passwd pw, *res = NULL;
			char buf[4096];

			if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user ||
				getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
				return PAM_SESSION_ERR;
		} else if (strncmp(argv[i], "policy=", 7) == 0) {
			if (!read_policy(argv[i] + 7))
				return PAM_SESSION_ERR;
#ifdef WITH_INIPARSER
		} else if (strncmp(argv[i], "ini=", 4) == 0) {
			dictionary *d = iniparser_load(argv[i] + 4);

			if (!d)
				return PAM_SESSION_ERR;
			iniparser_freedict(d);
#endif
		} else if (strncmp(argv[i], "sock=", 5) == 0) {
			if (!join(argv[i] + 5))
				return PAM_SESSION_ERR;
		} else
			return PAM_SESSION_ERR;
	}
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsetnsfail.so: t-userns-failclosed preloads it into a test sshd. Every
 * setns(fd, CLONE_NEWUSER) fails with ENOMEM, as it could under memory
 * pressure or a full ucount; every other setns() goes through. The module's
 * entry into the set's user namespace, in sshd's session child, then fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>

int setns(int fd, int nstype)
{
	static int (*real_setns)(int, int);

	if (nstype == CLONE_NEWUSER) {
		errno = ENOMEM;
		return -1;
	}
	if (!real_setns)
		real_setns = (int (*)(int, int))dlsym(RTLD_NEXT, "setns");
	if (!real_setns) {
		errno = ENOSYS;
		return -1;
	}
	return real_setns(fd, nstype);
}

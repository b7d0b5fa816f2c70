/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "common/setcg.h"

/* The new mount API (Linux 5.2), without <linux/mount.h>, whose names
 * clash with glibc's <sys/mount.h>. The numbers are the same on every
 * architecture. */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#define PNS_FSOPEN_CLOEXEC 0x00000001
#define PNS_FSCONFIG_SET_FLAG 0
#define PNS_FSCONFIG_SET_STRING 1
#define PNS_FSCONFIG_CMD_CREATE 6
#define PNS_FSMOUNT_CLOEXEC 0x00000001

int pns_setcg_open(void)
{
	_cleanup_close_ int fs_fd = -1, mnt_fd = -1;
	int fd;

	fs_fd = (int)syscall(SYS_fsopen, "cgroup", PNS_FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return negative_errno();
	/* "none,name=pam_ns": no controller, so nothing but membership. */
	if (syscall(SYS_fsconfig, fs_fd, PNS_FSCONFIG_SET_FLAG, "none", NULL, 0) < 0 ||
		syscall(SYS_fsconfig, fs_fd, PNS_FSCONFIG_SET_STRING, "name", PNS_SETCG_HIERARCHY,
			0) < 0 ||
		syscall(SYS_fsconfig, fs_fd, PNS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return negative_errno();
	/* A mount attached nowhere: no mount table shows it, and it goes
	 * with the last descriptor. */
	mnt_fd = (int)syscall(SYS_fsmount, fs_fd, PNS_FSMOUNT_CLOEXEC, 0);
	if (mnt_fd < 0)
		return negative_errno();
	/* The sets live below "sets", which is never removed: it keeps the
	 * hierarchy. A hierarchy left without cgroups is destroyed, and one of
	 * the same name cannot be made again for tens of milliseconds (EBUSY):
	 * the next login would have to do without. */
	if (mkdirat(mnt_fd, PNS_SETCG_SETS, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	fd = openat(mnt_fd, PNS_SETCG_SETS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	return fd;
}

void pns_setcg_path(char buf[static PNS_SETCG_PATH_MAX], uint32_t uid, uint64_t set_id)
{
	snprintf(buf, PNS_SETCG_PATH_MAX, "%u/%016llx", uid, (unsigned long long)set_id);
}

int pns_setcg_attach(int dir_fd, pid_t pid)
{
	_cleanup_close_ int fd = openat(dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[16];
	int n;

	if (fd < 0)
		return negative_errno();
	n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write(fd, buf, (size_t)n) != n)
		return errno ? negative_errno() : -EIO;
	return 0;
}

int pns_pid_parse(struct pns_pid_parser *p, const char *buf, size_t n,
	int (*fn)(pid_t pid, void *userdata), void *userdata)
{
	int r;

	if (n == 0) {
		if (!p->in_number)
			return 0;
		p->in_number = false;
		return fn((pid_t)p->pid, userdata);
	}
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c >= '0' && c <= '9') {
			if (!p->in_number) {
				p->pid = 0;
				p->in_number = true;
			}
			p->pid = p->pid * 10 + (c - '0');
			if (p->pid > 0x3fffffff)
				return -EBADMSG;
			continue;
		}
		if (c != '\n' || !p->in_number || p->pid <= 0)
			return -EBADMSG;
		p->in_number = false;
		r = fn((pid_t)p->pid, userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Joining a set through its anchor's pidfd (join.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "common/join.h"
#include "common/landlock.h"

bool pns_ns_joined_by_pidfd(const struct pns_namespace_info *ns)
{
	return ns->bit != PNS_NS_USER;
}

/*
 * Before joining: are the anchor's namespaces the ones ns_ino[] names?
 * 1 yes, -ESTALE no, 0 this kernel cannot tell through a pidfd (before
 * 6.11: ENOTTY or EINVAL), other errors as they come.
 */
static int check_anchor_namespaces(int anchor_pidfd, int flags, const uint64_t ns_ino[])
{
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (!pns_ns_joined_by_pidfd(&pns_namespace_info[i]) ||
			!(flags & pns_namespace_info[i].clone_flag))
			continue;
		fd = ioctl(anchor_pidfd, pns_namespace_info[i].pidfd_ioctl, 0);
		if (fd < 0)
			return errno == ENOTTY || errno == EINVAL ? 0 : negative_errno();
		if (fstat(fd, &st) < 0)
			return negative_errno();
		if ((uint64_t)st.st_ino != ns_ino[i])
			return -ESTALE;
	}
	return 1;
}

int pns_join_set(
	int anchor_pidfd, unsigned namespaces, const uint64_t ns_ino[_PNS_NSI_MAX], int landlock_fd)
{
	_cleanup_close_ int old_mnt = -1, old_ipc = -1, old_uts = -1;
	int flags = 0, r;

	for (size_t i = 0; i < _PNS_NSI_MAX; i++)
		if (pns_ns_joined_by_pidfd(&pns_namespace_info[i]) &&
			(namespaces & pns_namespace_info[i].bit)) {
			if (ns_ino[i] == 0)
				return -EBADMSG;
			flags |= pns_namespace_info[i].clone_flag;
		}
	if (flags == 0)
		return -EINVAL;

	/* With a pidfd, setns() is all or nothing: on failure nothing changed.
	 * The anchor never changes its namespaces, so what was checked before
	 * is what we join. */
	r = check_anchor_namespaces(anchor_pidfd, flags, ns_ino);
	if (r < 0)
		return r;
	if (r > 0) {
		if (setns(anchor_pidfd, flags) < 0)
			return negative_errno();
		/* The domain only now: the check above and setns() through a
		 * pidfd both need ptrace access to the anchor, which is outside
		 * the domain. Entering it can fail only for lack of memory or
		 * with 16 domains already stacked; the caller then stays in the
		 * set's namespaces, but the login is denied and no session
		 * process is started. */
		return landlock_fd >= 0 ? pns_landlock_restrict(landlock_fd) : 0;
	}

	/* An older kernel: check after joining, and to go back if the kernel
	 * put us somewhere unexpected, open where we are now, before
	 * setns(CLONE_NEWNS) changes what /proc paths mean. */
	old_mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	old_ipc = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	old_uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (old_mnt < 0 || old_ipc < 0 || old_uts < 0)
		return negative_errno();
	if (setns(anchor_pidfd, flags) < 0)
		return negative_errno();
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		uint64_t ino;

		if (!pns_ns_joined_by_pidfd(&pns_namespace_info[i]) ||
			!(flags & pns_namespace_info[i].clone_flag))
			continue;
		r = pns_ns_inode(pns_namespace_info[i].proc_name, &ino);
		if (r < 0 || ino != ns_ino[i]) {
			r = r < 0 ? r : -ESTALE;
			goto back;
		}
	}
	if (landlock_fd >= 0) {
		r = pns_landlock_restrict(landlock_fd);
		if (r < 0)
			goto back;
	}
	return 0;
back:
	(void)setns(old_mnt, CLONE_NEWNS);
	(void)setns(old_ipc, CLONE_NEWIPC);
	(void)setns(old_uts, CLONE_NEWUTS);
	return r;
}

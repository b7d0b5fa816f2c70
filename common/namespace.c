/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "common/namespace.h"

/* linux/pidfd.h's PIDFD_GET_*_NAMESPACE, which older headers lack: an nsfs
 * descriptor for a namespace of the process a pidfd refers to. */
#define PIDFS_IOCTL_MAGIC 0xFF

const struct pns_namespace_info pns_namespace_info[_PNS_NSI_MAX] = {
	[PNS_NSI_MNT] = {PNS_NS_MOUNT, CLONE_NEWNS, "mnt", "mount", _IO(PIDFS_IOCTL_MAGIC, 3)},
	[PNS_NSI_IPC] = {PNS_NS_IPC, CLONE_NEWIPC, "ipc", "ipc", _IO(PIDFS_IOCTL_MAGIC, 2)},
	[PNS_NSI_UTS] = {PNS_NS_UTS, CLONE_NEWUTS, "uts", "uts", _IO(PIDFS_IOCTL_MAGIC, 10)},
	[PNS_NSI_USER] = {PNS_NS_USER, CLONE_NEWUSER, "user", "user", _IO(PIDFS_IOCTL_MAGIC, 9)},
};

const char *pns_ns_mask_to_string(unsigned mask, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return buf;
	buf[0] = 0;
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		int n;

		if (!(mask & pns_namespace_info[i].bit))
			continue;
		n = snprintf(
			buf + len, size - len, "%s%s", len ? " " : "", pns_namespace_info[i].word);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	return buf;
}

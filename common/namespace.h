/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The namespaces pam_ns knows, one row each: the index that the wire
 * protocol and the anchor use, the bit of a policy's `namespaces =` mask,
 * the clone flag, the name under /proc/PID/ns, the policy's word and the
 * pidfd ioctl that yields it. Adding a namespace is one row here and an
 * enum value below, plus the code that acts on it.
 */

#include <stddef.h>

/* The index of a namespace: arrays such as pns_reply.ns_ino[] are in this order. */
enum pns_ns_index {
	PNS_NSI_MNT,
	PNS_NSI_IPC,
	PNS_NSI_UTS,
	PNS_NSI_USER,
	_PNS_NSI_MAX,
};

/* The bits of a `namespaces =` mask: one per index. */
#define PNS_NS_BIT(index) (1u << (index))
enum {
	PNS_NS_MOUNT = PNS_NS_BIT(PNS_NSI_MNT),
	PNS_NS_IPC = PNS_NS_BIT(PNS_NSI_IPC),
	PNS_NS_UTS = PNS_NS_BIT(PNS_NSI_UTS),
	PNS_NS_USER = PNS_NS_BIT(PNS_NSI_USER),
	PNS_NS_ALL = PNS_NS_BIT(_PNS_NSI_MAX) - 1,
};

struct pns_namespace_info {
	unsigned bit;		   /* PNS_NS_* */
	int clone_flag;		   /* CLONE_NEW* */
	const char *proc_name;	   /* /proc/PID/ns/<proc_name> */
	const char *word;	   /* in `namespaces =` and in pam_nsctl's output */
	unsigned long pidfd_ioctl; /* PIDFD_GET_*_NAMESPACE (Linux 6.11) */
};

/* Indexed by enum pns_ns_index. */
extern const struct pns_namespace_info pns_namespace_info[_PNS_NSI_MAX];

/* "mount ipc uts" for a PNS_NS_* mask, in table order; buf of at least 32 bytes. */
const char *pns_ns_mask_to_string(unsigned mask, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The sets' cgroup hierarchy (docs/DESIGN.md, "Lifetime of a set"): a
 * named cgroup v1 hierarchy without controllers, "name=pam_ns", that no
 * one else manages. Each set is the cgroup UID/SETID in it. A session's
 * caller is moved there before it starts anything, so every process of the
 * session is born there, whatever namespaces or cgroups of other
 * hierarchies it moves to later, and the anchor lists its set's processes
 * by reading one file instead of walking every process of the host. The
 * hierarchy is mounted nowhere: each user opens it as a detached mount.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/macro.h"

#define PNS_SETCG_HIERARCHY "pam_ns"
/* The cgroup that holds the sets' cgroups: made once, never removed. */
#define PNS_SETCG_SETS "sets"
/* "UID/SETID": 10 digits, a slash, 16 hex digits. */
#define PNS_SETCG_PATH_MAX 32

/*
 * The hierarchy's cgroup "sets", hierarchy and cgroup made if there are
 * none (needs CAP_SYS_ADMIN). Its parent is the hierarchy's root. -errno where named cgroup v1
 * hierarchies cannot be used: no fsopen() (before Linux 5.2), cgroup_no_v1=named, or a cgroup
 * namespace other than the host's when no set has made the hierarchy yet (-EPERM).
 */
int pns_setcg_open(void) _warn_unused_result_;

/* The cgroup of a set, relative to "sets": "UID/SETID". */
void pns_setcg_path(char buf[static PNS_SETCG_PATH_MAX], uint32_t uid, uint64_t set_id);

/* Move process pid (all its threads) into the cgroup dir_fd. */
int pns_setcg_attach(int dir_fd, pid_t pid) _warn_unused_result_;

/*
 * Stream parser of a cgroup.procs file (one decimal pid a line), for
 * reads of any size: feed each chunk, then 0 bytes at the end. Calls
 * fn(pid, userdata) for each pid; a non-zero return stops and is returned.
 * A line that is not a pid is -EBADMSG.
 */
struct pns_pid_parser {
	long pid;
	bool in_number;
};
int pns_pid_parse(struct pns_pid_parser *p, const char *buf, size_t n,
	int (*fn)(pid_t pid, void *userdata), void *userdata);

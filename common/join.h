/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Joining a set through its anchor's pidfd: the module for a login, and
 * pam_nsctl enter for an administrator's command. */

#include <stdbool.h>
#include <stdint.h>

#include "common/macro.h"
#include "common/namespace.h"

/* The namespaces joined through the anchor's pidfd: every one but the user
 * namespace, which the anchor does not enter (sshd's session child joins it
 * by its own descriptor, pam_nsctl enter never). */
bool pns_ns_joined_by_pidfd(const struct pns_namespace_info *ns);

/*
 * setns() the calling process into the anchor's namespaces named by the
 * namespaces mask (PNS_NS_*; the user namespace is left out), all or
 * nothing, and check that it landed in the namespaces ns_ino[] names (the
 * anchor's reply or status): -ESTALE if not. It must be single-threaded
 * (docs/DESIGN.md, "Facts the code relies on").
 *
 * With landlock_fd >= 0 (a pns_landlock_ruleset()), the caller then enters
 * that Landlock domain: setns() through a pidfd needs ptrace access to the
 * anchor, which a process in the domain no longer has. If entering the
 * domain fails, the login must be denied; the caller may stay in the set's
 * namespaces. -1: no domain (pam_nsctl enter, whose command is the
 * administrator's).
 */
int pns_join_set(int anchor_pidfd, unsigned namespaces, const uint64_t ns_ino[_PNS_NSI_MAX],
	int landlock_fd) _warn_unused_result_;

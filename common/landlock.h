/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The /proc door, closed with a Landlock domain (docs/DESIGN.md, "The /proc
 * door"): a ruleset that restricts no file access (-ENOSYS or -EOPNOTSUPP:
 * the kernel has no Landlock), and entering it (pns_join_set() does, right
 * after the setns()).
 */

#include "common/macro.h"

int pns_landlock_ruleset(void) _warn_unused_result_;
int pns_landlock_restrict(int ruleset_fd) _warn_unused_result_;

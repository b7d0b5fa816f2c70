/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * uid_map / gid_map contents for a set's user namespace (user_namespaces(7)).
 * "self": every id in self[] maps to itself, nothing else is mapped.
 * "subid": as self, plus the rest of the inside range, from 0 upwards and
 * skipping the self ids, mapped in order onto the account's subordinate range.
 */

#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

struct pns_idrange {
	uint32_t start;
	uint32_t count; /* 0: none */
};

/* The kernel accepts at most 340 lines in a map. */
#define PNS_IDMAP_MAX_LINES 340

/*
 * A subordinate range must not contain id 0, (uid_t)-1 or any of self[],
 * and must not wrap. 0 or -EINVAL with *ret_why.
 */
int pns_idrange_check(const struct pns_idrange *r, const uint32_t *self, size_t n_self,
	const char **ret_why) _warn_unused_result_;

/* Write the map into buf; returns its length, -ENOBUFS, or -E2BIG (too many lines). */
int pns_idmap_format(const uint32_t *self, size_t n_self, const struct pns_idrange *sub, char *buf,
	size_t size) _warn_unused_result_;

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Look an account up through NSS: user, primary and supplementary groups. */

#include <sys/types.h>

#include "common/macro.h"
#include "common/policy.h"

struct pns_account {
	struct pns_identity id; /* points into the fields below */
	char *name;
	gid_t *groups;
	char **group_names;
	size_t n_groups;
};

/*
 * 0 on success; -ENOENT if NSS knows no such user; -EIO (or another
 * -errno) if NSS failed, so that a caller can tell "no such user" from "could
 * not ask". Group names that NSS cannot resolve are NULL, not an error;
 * a failing group lookup is an error.
 */
int pns_account_lookup(const char *name, struct pns_account **ret) _warn_unused_result_;
void pns_account_free(struct pns_account *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pns_account *, pns_account_free);

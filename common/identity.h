/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Look an account up through NSS: user, primary and supplementary groups. */

#include <sys/types.h>

#include "common/idmap.h"
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
 * a failing group lookup is an error. Without with_groups, NSS is asked
 * for the passwd entry only, and the group list holds the primary gid
 * (unnamed): enough for a policy without group sections.
 */
int pns_account_lookup(
	const char *name, bool with_groups, struct pns_account **ret) _warn_unused_result_;
void pns_account_free(struct pns_account *a);

/* The account called name, through NSS: its canonical name (NSS may fold
 * case) and ids. 0, -ENOENT when unknown, another -errno when NSS failed. */
int pns_user_lookup(
	const char *name, char **ret_name, uid_t *ret_uid, gid_t *ret_gid) _warn_unused_result_;
/* The name of the account with uid: 0, -ENOENT, or another -errno. */
int pns_user_name_of(uid_t uid, char **ret_name) _warn_unused_result_;

/*
 * The account's subordinate uid and gid ranges, through shadow's libsubid
 * (so /etc/subuid, /etc/subgid and NSS subid sources). The first range of
 * each is used. -ENOENT when the account has none, -EPERM when a range
 * is also delegated to someone else, -EOPNOTSUPP without libsubid.
 * *ret_why says which.
 */
int pns_account_subids(const struct pns_account *a, struct pns_idrange *ret_uid,
	struct pns_idrange *ret_gid, const char **ret_why) _warn_unused_result_;
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pns_account *, pns_account_free);

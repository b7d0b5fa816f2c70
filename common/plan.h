/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The plan: what one account's namespace set consists of, computed as plain
 * data from resolved settings. The module builds it, sends it to the helper,
 * and the helper turns it into syscalls; unit tests check it without root.
 */

#include <stdbool.h>
#include <stdint.h>

#include "common/idmap.h"
#include "common/macro.h"
#include "common/policy.h"

#define PNS_HOSTNAME_MAX 64 /* HOST_NAME_MAX on Linux */
/* Groups mapped into a set's user namespace: the primary and supplementary
 * gids. Each can cost two gid_map lines with subid, and the kernel takes 340. */
#define PNS_MAX_GROUPS 64

struct pns_plan {
	uint32_t uid;
	uint32_t gid;
	uint32_t namespaces; /* PNS_NS_*: what the set is made of */
	enum pns_share share;
	enum pns_tmp tmp;
	enum pns_tmp var_tmp;
	struct pns_size tmp_size;	     /* the tmpfs of /tmp and /var/tmp */
	uint64_t tmp_inodes;		     /* 0: kernel default */
	bool shm_private;		     /* own /dev/shm tmpfs and /dev/mqueue */
	struct pns_size shm_size;	     /* the private /dev/shm */
	uint64_t shm_inodes;		     /* 0: kernel default */
	char hostname[PNS_HOSTNAME_MAX + 1]; /* expanded and valid; "": unchanged */
	enum pns_userns_map userns_map;
	enum pns_userns_fallback userns_fallback;
	/* User namespace only (namespaces & PNS_NS_USER): */
	uint32_t n_gids;
	uint32_t gids[PNS_MAX_GROUPS]; /* primary first, no duplicates */
	struct pns_idrange subuid;     /* userns_map = subid: the account's own ranges */
	struct pns_idrange subgid;
};

/*
 * Build the plan for an isolated account. host_name is the host's current
 * name (for %h). Returns 0, or -EINVAL with *ret_why set to a sentence
 * explaining the inconsistency (e.g. "hostname is set but uts is not in
 * namespaces", "hostname template expands to 'a_b', not a valid host name").
 * Requires settings->isolate.
 */
int pns_plan_build(const struct pns_settings *s, const struct pns_identity *id,
	const char *host_name, struct pns_plan *ret, const char **ret_why) _warn_unused_result_;

/*
 * Apply userns_fallback for a caller that cannot enter a user namespace
 * (docs/DESIGN.md, "User namespace (sshd only)"): deny (-EOPNOTSUPP with
 * *ret_why), or drop the user namespace and set *ret_skipped. Nothing to
 * do when the plan has none or the caller can.
 */
int pns_plan_for_caller(struct pns_plan *p, bool can_enter_userns, bool *ret_skipped,
	const char **ret_why) _warn_unused_result_;

/*
 * userns_map = subid: attach the account's subordinate ranges (from
 * libsubid), refusing one that contains 0, the account's own id or one of
 * its groups. 0 or -EINVAL with *ret_why.
 */
int pns_plan_set_subids(struct pns_plan *p, const struct pns_idrange *subuid,
	const struct pns_idrange *subgid, const char **ret_why) _warn_unused_result_;

/* uid_map / gid_map text for the plan's user namespace. */
int pns_plan_uid_map(const struct pns_plan *p, char *buf, size_t size) _warn_unused_result_;
int pns_plan_gid_map(const struct pns_plan *p, char *buf, size_t size) _warn_unused_result_;

/* Check a plan received over the wire: every enum in range, hostname valid,
 * sizes sane (tmp_size and shm_size above 0, a percentage at most 100).
 * 0 or -EINVAL with *ret_why. */
int pns_plan_validate(const struct pns_plan *p, const char **ret_why) _warn_unused_result_;

/* The mount steps of a plan, in order, as data. */
enum pns_step_kind {
	PNS_STEP_SLAVE_ROOT, /* mount("/", MS_SLAVE|MS_REC): host mounts in, nothing out */
	PNS_STEP_TMPFS,	     /* fresh tmpfs on target */
	PNS_STEP_BIND_DIR,   /* bind STATE_DIR/<state_subdir>/<uid> on target */
	PNS_STEP_MQUEUE,     /* mqueue on target, from the set's IPC namespace */
};

struct pns_mount_step {
	enum pns_step_kind kind;
	const char *target;	  /* absolute, fixed string: never from the policy */
	const char *state_subdir; /* BIND_DIR: PNS_STATE_SUBDIR_TMP or _VAR_TMP */
	unsigned long flags;	  /* MS_* */
	char data[96];		  /* tmpfs: "mode=1777,size=...,nr_inodes=..." */
	bool optional;		  /* skip when target does not exist (/dev/mqueue) */
};

/* tmp = dir keeps STATE_DIR/<subdir>/<uid> for /tmp and /var/tmp. */
#define PNS_STATE_SUBDIR_TMP "tmp"
#define PNS_STATE_SUBDIR_VAR_TMP "var-tmp"

#define PNS_MAX_STEPS 6
/* Fill steps[] (at most PNS_MAX_STEPS) and return how many. */
size_t pns_plan_mount_steps(const struct pns_plan *p, struct pns_mount_step steps[PNS_MAX_STEPS]);

/* Does a login with plan login get what set was made of (anchor.c: join
 * it, or supersede it)? */
bool pns_plan_fits_set(const struct pns_plan *login, const struct pns_plan *set);
/* For the log: the keys in which login differs from set, e.g. "tmp none ->
 * tmpfs, namespaces mount ipc uts -> mount ipc uts user" ("plan changed"
 * when no listed key differs). */
void pns_plan_describe_difference(
	const struct pns_plan *set, const struct pns_plan *login, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The module's half of a session, kept free of PAM types so it stays small. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/join.h"
#include "common/landlock.h"
#include "common/macro.h"
#include "common/plan.h"
#include "common/proto.h"

/*
 * Run the helper at helper_path (helper_fd: pns_open_trusted_file() of it)
 * and get the set for plan: on success the
 * reply, a pidfd of the set's anchor and, when the plan has a user
 * namespace, an fd to it (else -1). The helper is killed if it has not
 * answered within timeout_usec. On failure ret_reply->message may hold the
 * helper's reason. while_waiting (may be NULL) is called once, after the
 * helper has its request and before its reply is read: work that does not
 * need the set runs while the helper makes it.
 */
int pns_session_open(const char *helper_path, int helper_fd, uint64_t timeout_usec,
	const struct pns_plan *plan, struct pns_reply *ret_reply, int *ret_anchor_pidfd,
	int *ret_userns_fd, void (*while_waiting)(void *userdata),
	void *userdata) _warn_unused_result_;

/*
 * share = user: ask the account's anchor directly, without the helper.
 * -ENOENT, -ECONNREFUSED, -ECONNRESET or -EPIPE mean there is no live
 * set for this plan (also when the set was made under another plan: its
 * anchor has just superseded it): run the helper, which creates one under
 * the uid lock.
 */
int pns_session_join_existing(const struct pns_plan *plan, uint64_t timeout_usec,
	struct pns_reply *ret_reply, int *ret_anchor_pidfd,
	int *ret_userns_fd) _warn_unused_result_;

/*
 * In sshd's session child, as root: enter the set's user namespace, become
 * uid/gid there, and give up every capability (bounding, ambient, permitted,
 * effective, inheritable). Keeps the supplementary groups sshd set.
 */
int pns_session_enter_userns(int userns_fd, uint32_t uid, uint32_t gid) _warn_unused_result_;

/* Tell the anchor of uid's set that a session has ended: the set named
 * set_name when the session opened, with id set_id (if it has been
 * superseded since, under its superseded name). -ENOENT: no such set. */
int pns_session_release(uint32_t uid, const char *set_name, uint64_t set_id, uint64_t session_id);

/*
 * systemd.c: the anchor on a host booted with systemd. pns_systemd_booted()
 * is sd_booted(3). pns_systemd_move_anchor() moves the anchor that
 * anchor_pidfd refers to into a new transient scope (pns_unit_name()) in
 * pam_ns.slice and waits, until deadline, for the job to end; on success
 * ret_unit (PNS_UNIT_NAME_MAX) names the scope, which the anchor is then
 * read back to run in. On failure why says what went wrong; the anchor then
 * runs where it was, or (after a timeout) possibly in the scope.
 * pns_systemd_connect() loads libsystemd and starts a connection to the
 * system bus (connect and the authentication's first write; NULL if that
 * fails) so that it can go on while the helper runs; move_anchor() takes
 * that bus (NULL: it connects itself) and closes it. pns_systemd_close()
 * closes a bus that no move took (NULL: nothing).
 */
bool pns_systemd_booted(void);
struct sd_bus;
struct sd_bus *pns_systemd_connect(void);
void pns_systemd_close(struct sd_bus *bus);
int pns_systemd_move_anchor(struct sd_bus *bus, int anchor_pidfd, uint32_t uid, uint64_t set_id,
	const char *set_name, uint64_t deadline, char *ret_unit, char *why,
	size_t why_size) _warn_unused_result_;

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Talking to an anchor or the helper: one request packet, one reply packet. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/fdutil.h"
#include "common/macro.h"
#include "common/proto.h"

/* Encode and send m with fds attached. Replies are often best effort, so
 * the result may be ignored. */
int pns_send_msg(int fd, const struct pns_msg *m, const int *fds, size_t n_fds);

/* Receive and decode one message before deadline; fds that arrived with a
 * message that does not decode are closed. */
int pns_recv_msg(int fd, struct pns_msg *ret, int *fds, size_t max_fds, size_t *ret_n_fds,
	uint64_t deadline) _warn_unused_result_;

/*
 * The state bases as they are now (PNS_RUN_DIR, PNS_STATE_DIR and its tmp
 * and var-tmp): one sentence in why[] for each that exists and is not a
 * directory of root's with mode 0700 (the helper refuses those; a missing
 * one it creates). Returns how many, at most max.
 */
size_t pns_state_base_problems(char why[][PNS_PATH_WHY_MAX], size_t max);

/* PNS_RUN_DIR itself, with the checks below, made (root 0700) with create. */
int pns_open_run_dir(bool create, char *why) _warn_unused_result_;

/*
 * Open PNS_RUN_DIR/UID, creating it (and PNS_RUN_DIR) with create. Every
 * component below /run is opened O_NOFOLLOW and must be a root-owned
 * directory closed to group and others. With ret_run_fd, also hand out
 * PNS_RUN_DIR itself. On a refusal of a component (-EPERM, -ENOTDIR,
 * -ELOOP), why (may be NULL) names it: see pns_root_dir_problem().
 */
int pns_open_uid_run_dir(
	uint32_t uid, bool create, int *ret_run_fd, char *why) _warn_unused_result_;

/*
 * Read an anchor's answer to a session request for plan on fd (the set is
 * called name in messages): what pns_anchor_join() returns, for a
 * request already sent or, for a new set, the anchor's first reply.
 */
int pns_recv_anchor_reply(int fd, const struct pns_plan *plan, const char *name, uint64_t deadline,
	struct pns_reply *ret, int fds[2], size_t *ret_n_fds) _warn_unused_result_;

/*
 * Ask the anchor listening on dir_fd/name to add a session for plan, with
 * the caller's pidfd. On success: the reply, fds[0] the anchor's pidfd and,
 * when the plan has a user namespace, fds[1] the set's user namespace
 * (*ret_n_fds says how many). A set with a user namespace joined by a plan
 * without one gives only the pidfd. -ESTALE when the plan needs a user
 * namespace the set does not have; -ECONNREFUSED / -ENOENT when no anchor
 * listens. ret->message explains refusals.
 */
int pns_anchor_join(int dir_fd, const char *name, const struct pns_plan *plan, int caller_pidfd,
	uint64_t deadline, struct pns_reply *ret, int fds[2],
	size_t *ret_n_fds) _warn_unused_result_;

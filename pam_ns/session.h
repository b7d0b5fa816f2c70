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
#include "common/sdunit.h"

/*
 * Run the helper at helper_path (helper_fd: pns_open_trusted_file() of it)
 * and get the set for plan: on success the
 * reply, a pidfd of the set's anchor and, when the plan has a user
 * namespace, an fd to it (else -1). The helper is killed if it has not
 * answered within timeout_usec. On failure ret_reply->message may hold the
 * helper's reason. The hooks (each may be NULL) let work that does not
 * need to wait run while the helper works: while_waiting once the helper
 * has its request, before its reply is read; after_reply once a good reply
 * is in, before the helper's exit is waited for (its status still decides).
 */
struct pns_session_hooks {
	void (*while_waiting)(void *userdata);
	void (*after_reply)(const struct pns_reply *reply, int anchor_pidfd, void *userdata);
	void *userdata;
};
int pns_session_open(const char *helper_path, int helper_fd, uint64_t timeout_usec,
	const struct pns_plan *plan, struct pns_reply *ret_reply, int *ret_anchor_pidfd,
	int *ret_userns_fd, const struct pns_session_hooks *hooks) _warn_unused_result_;

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
 * is sd_booted(3). pns_systemd_connect() loads libsystemd and starts a
 * connection to the system bus (connect and the authentication's first
 * write; NULL if that fails) so that it can go on while the helper runs.
 * pns_systemd_move_send() takes that bus (NULL: it connects itself) and
 * asks for the anchor that anchor_pidfd refers to to be moved into a new
 * transient scope (pns_unit_name()) in pam_ns.slice; pns_systemd_move_wait()
 * waits, until deadline, for that job to end, and closes the bus. On
 * success ret_unit (PNS_UNIT_NAME_MAX) names the scope, which the anchor is
 * then read back to run in. On failure why says what went wrong (a failed
 * send is reported by the wait); the anchor then runs where it was, or
 * (after a timeout) possibly in the scope. pns_systemd_close() closes a
 * bus that no move took (NULL: nothing).
 */
bool pns_systemd_booted(void);
struct sd_bus;
struct sd_bus *pns_systemd_connect(void);
void pns_systemd_close(struct sd_bus *bus);
/* One move, between its two halves; its address must not change. */
struct pns_systemd_move {
	struct sd_bus *bus;
	pid_t pid;
	int error;		     /* the send's, or StartTransientUnit's */
	bool sent, replied, removed; /* sent: the call went out */
	char unit[PNS_UNIT_NAME_MAX];
	char job[128];	       /* the object path StartTransientUnit returned */
	char removed_job[128]; /* JobRemoved's path for the unit */
	char result[32];       /* JobRemoved's result: "done", "failed", ... */
	char why[256];
};
void pns_systemd_move_send(struct pns_systemd_move *mv, struct sd_bus *bus, int anchor_pidfd,
	uint32_t uid, uint64_t set_id, const char *set_name, uint64_t deadline);
int pns_systemd_move_wait(struct pns_systemd_move *mv, int anchor_pidfd, uint64_t deadline,
	char *ret_unit, char *why, size_t why_size) _warn_unused_result_;

/* The move of a new set's anchor into its unit on a systemd host, in two
 * halves that overlap the helper's work: pns_anchor_move_init() fills the
 * hooks for pns_session_open(), which connect to the bus while the helper
 * works (when pns_systemd_booted()) and send the move as it answers with a
 * new set; then pns_systemd_move_wait(&am->mv, ...) when am->systemd and
 * the set is new. pns_anchor_move_close() closes what is left. */
struct pns_anchor_move {
	bool systemd;
	uint32_t uid;
	uint64_t deadline, sent_at;
	struct sd_bus *bus; /* connected while the helper makes the set */
	struct pns_systemd_move mv;
};
void pns_anchor_move_init(struct pns_anchor_move *am, uint32_t uid, uint64_t deadline,
	struct pns_session_hooks *ret_hooks);
void pns_anchor_move_close(struct pns_anchor_move *am);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

#include "common/macro.h"
#include "common/namespace.h"
#include "common/plan.h"
#include "common/proto.h"
#include "common/setcg.h"

/* How long the helper waits for an anchor, and a new anchor for its first session. */
#define PNS_ANCHOR_REPLY_USEC (5 * 1000000ull)
#define PNS_LOCK_WAIT_USEC (5 * 1000000ull)
#define PNS_FIRST_JOIN_USEC (30 * 1000000ull)
/* Bounds (SPEC 8.6). */
#define PNS_MAX_SESSIONS_PER_SET 1024
#define PNS_MAX_SETS_PER_USER 64
/* Descriptors an anchor needs: a pidfd per session, its own few (stdio,
 * directories, socket, /proc, pidfds, syslog), a connection being served
 * with the pidfd it carries, a /proc walk. Its RLIMIT_NOFILE (limits.c). */
#define PNS_ANCHOR_NOFILE (PNS_MAX_SESSIONS_PER_SET + 64)

/*
 * The files and who calls whom, a tree with main() at the top:
 *   helper.c   main(): the request, the uid lock, join or create; forks the anchor
 *   limits.c   the limits the helper inherited and the anchor would keep
 *   anchor.c   the anchor: its start-up in the forked child, then serving the set
 *   members.c  which processes are in a set: its cgroup, or a /proc walk (called by anchor.c)
 *   setup.c    building the set's namespaces and mounts (called by anchor.c)
 *   userns.c   the set's user namespace (called by anchor.c)
 *   log.c      syslog and the error sentence for the reply (called by all)
 */

/* log.c: log to syslog (LOG_AUTHPRIV, ident pam_ns-helper); the first
 * error logged (prio LOG_ERR or more urgent) is kept for the reply. */
void helper_log(int prio, const char *fmt, ...) _printf_(2, 3);
/* log.c: close the connection to /dev/log (the next line opens it again). */
void helper_log_close(void);
/* The helper, once an anchor that shared its memory is gone: forget the
 * log socket without closing it; the number may be the anchor's. */
void helper_log_forget(void);
/* log.c: has an error been kept? */
bool helper_has_error(void);
/* log.c: keep message (another process's sentence) unless an error is kept. */
void helper_keep_error(const char *message);
/* log.c: send on fd the reply of a request that failed with error (< 0),
 * its message the error kept, else strerror(-error). */
int helper_reply_error(int fd, int error);

/*
 * setup.c: in the freshly forked anchor, bind and listen on dir_fd/name
 * (while /run still resolves in the caller's mount namespace), then unshare
 * and build the plan. Returns the listening socket.
 */
int anchor_setup(int dir_fd, const char *name, const struct pns_plan *plan) _warn_unused_result_;

/* userns.c: the set's user namespace (plan has PNS_NS_USER); returns an fd to it. */
int anchor_create_userns(const struct pns_plan *plan) _warn_unused_result_;

/*
 * anchor.c: the anchor, in the process the helper (pid parent) has just
 * started on its own stack in the helper's memory (helper.c,
 * spawn_anchor()). Build the set (setup.c, userns.c) and serve it until it
 * is torn down. Never returns. The set's first session is caller_pidfd's:
 * once the anchor is ready, it sends the module on module_fd the reply a
 * join would get, then one byte 'K' to the helper on sync_fd. If it cannot
 * be ready, it sends the helper an error reply (the kept error) and exits,
 * and the helper removes what it made. run_fd, dir_fd, module_fd, sync_fd
 * and caller_pidfd are the descriptors it keeps. set_id is the set's
 * random id (DESIGN.md, "Naming sets").
 */
_noreturn_ void anchor_start(int run_fd, int dir_fd, const char *name, uint64_t set_id,
	const struct pns_plan *plan, int caller_pidfd, int module_fd, int sync_fd, pid_t parent);
/* The anchor's stack (helper.c), and the page without access at its
 * bottom (one page). Its deepest frames are a few KiB; pages it never touches cost
 * nothing. */
#define ANCHOR_STACK_SIZE (256u * 1024u)
/* Where clone() starts a stack: at its top, except on hppa, where stacks
 * grow upwards and clone() takes the lowest address. */
#if defined(__hppa__)
#define STACK_GROWS_UP 1
#else
#define STACK_GROWS_UP 0
#endif

/* members.c: which processes are in a set (DESIGN.md, "Lifetime of a set"). */
struct set_members {
	int proc_fd;			  /* /proc */
	int cg_sets_fd;			  /* "sets" in the pam_ns hierarchy (common/setcg.h) */
	int cg_uid_fd;			  /* its directory of the set's uid */
	int cg_fd;			  /* the set's cgroup; -1: no hierarchy, walk /proc */
	char cg_path[PNS_SETCG_PATH_MAX]; /* "UID/SETID" */
	nlink_t task_nlink_one;		  /* of /proc/PID/task for a one-thread process */
	uint64_t ns_ino[_PNS_NSI_MAX]; /* the set's namespaces; 0: the set has none of the kind */
};
/* In the anchor, once the set is built and before it drops privileges,
 * with the uid lock held by the helper: open /proc and note the set's
 * namespaces (the anchor's own, and the user namespace userns_fd, -1 if
 * none); make the set's cgroup UID/SETID and move the anchor into it,
 * or, where the hierarchy cannot be used, settle for walking /proc. */
int members_init(struct set_members *m, unsigned namespaces, int userns_fd, uint32_t uid,
	uint64_t set_id) _warn_unused_result_;
/* A session's caller, pidfd, joins the set: into its cgroup, before it
 * starts anything (nothing to do when walking /proc). */
int members_add(const struct set_members *m, int pidfd) _warn_unused_result_;
/* At teardown: the anchor leaves the set's cgroup and removes it, and its
 * uid's directory if that is empty and uid_lock_held. */
void members_release(struct set_members *m, bool uid_lock_held);
/* Is the process /proc/pid (a decimal pid) in the set? */
bool members_has(const struct set_members *m, const char *pid);
enum members_walk_mode {
	MEMBERS_FIRST, /* stop at the first */
	MEMBERS_COUNT, /* count them all */
	MEMBERS_KILL,  /* count them all, and SIGKILL each */
};
/* The processes in the set, not counting the caller (the anchor). */
int members_walk(const struct set_members *m, enum members_walk_mode mode, unsigned *ret_count,
	pid_t *ret_first);

/* limits.c: as the helper starts, reset the limits and attributes it
 * inherited from its caller (ulimit, nice, chrt, oom_score_adj before su)
 * and that the anchor, forked from it, would keep for the set's life. */
void helper_reset_limits(void);
/* limits.c: 0 if an anchor can run with the limits obtained; else log why
 * and return -EMFILE: no set is created. */
int helper_anchor_limits_ok(uint32_t uid) _warn_unused_result_;

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The anchor: one small root process per set. It holds the set's
 * namespaces, counts the sessions in it and tears the set down once no
 * session and no process is left (DESIGN.md, "Lifetime of a set").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "common/namespace.h"
#include "helper/helper.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

struct session {
	uint64_t id;
	int pidfd; /* the PAM caller's process: the session ends when it exits */
};

struct anchor {
	int run_fd;			 /* PNS_RUN_DIR */
	int dir_fd;			 /* PNS_RUN_DIR/UID */
	char name[PNS_SET_NAME_MAX + 1]; /* the socket's name in dir_fd; changes when superseded */
	uint64_t set_id;
	int listen_fd;
	int self_pidfd;
	int userns_fd; /* -1: the set has no user namespace */
	struct pns_plan plan;
	struct session sessions[PNS_MAX_SESSIONS_PER_SET];
	size_t n_sessions;
	uint64_t next_id;
	bool joined;	 /* at least one session ever joined */
	int watch_pidfd; /* a process still in the set after the last session */
	bool teardown_pending;
	int teardown_delay; /* ms until teardown is tried again; doubles up to a bound */
	bool superseded;    /* a login with another plan came: no session joins any more */
	uint64_t started;
	time_t since;
	ino_t sock_ino;
	struct set_members members; /* the set's namespaces, and the /proc walk */
};

/* The uid directory is removed once no set of that uid is left in it.
 * Called with the uid lock held; helpers retry when they win a lock on
 * a file that is no longer linked. */
static void remove_uid_dir(struct anchor *a)
{
	char name[16];
	const char *entry;
	struct stat here, there;
	bool empty = true;
	struct pns_dir d;

	if (pns_dir_open_at(a->dir_fd, &d) < 0)
		return;
	while ((entry = pns_dir_next(&d, NULL)))
		if (strcmp(entry, ".") != 0 && strcmp(entry, "..") != 0 &&
			strcmp(entry, "lock") != 0)
			empty = false;
	pns_dir_close(&d);
	if (!empty)
		return;
	(void)unlinkat(a->dir_fd, "lock", 0);
	/* Through the descriptors the helper opened, never by path: a mount
	 * that reached the set since (/run remounted) must not redirect us. */
	snprintf(name, sizeof(name), "%u", a->plan.uid);
	if (fstat(a->dir_fd, &here) < 0 ||
		fstatat(a->run_fd, name, &there, AT_SYMLINK_NOFOLLOW) < 0 ||
		here.st_dev != there.st_dev || here.st_ino != there.st_ino)
		return;
	(void)unlinkat(a->run_fd, name, AT_REMOVEDIR);
}

static _noreturn_ void teardown_exit(struct anchor *a)
{
	struct stat st;

	/* Remove the socket only if it is still ours: never another anchor's. */
	if (fstatat(a->dir_fd, a->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == a->sock_ino)
		(void)unlinkat(a->dir_fd, a->name, 0);
	remove_uid_dir(a);
	members_release(&a->members, true);
	helper_log(LOG_INFO, "Set %s of uid %u torn down: no session and no process left", a->name,
		a->plan.uid);
	_exit(0);
}

static void accept_all(struct anchor *a);

/* Is the socket at our name still ours? */
static bool socket_is_ours(struct anchor *a)
{
	struct stat st;

	return fstatat(a->dir_fd, a->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_ino == a->sock_ino && S_ISSOCK(st.st_mode);
}

/*
 * Teardown not possible now: look again later, backing off. What stops it
 * is short-lived (another anchor tearing down, a helper creating or joining
 * under the uid lock), so the bound is a second: a set must not outlive its
 * last session by more than that. Each anchor waits a little more or less
 * (its set id is random), so that many sets of one uid ending together do
 * not retry in step and collide again each round.
 */
#define TEARDOWN_DELAY_MIN_MS 50
#define TEARDOWN_DELAY_MAX_MS 1000
static void teardown_later(struct anchor *a)
{
	if (!a->teardown_pending)
		a->teardown_delay = TEARDOWN_DELAY_MIN_MS;
	else if (a->teardown_delay < TEARDOWN_DELAY_MAX_MS / 2)
		a->teardown_delay *= 2;
	else
		a->teardown_delay = TEARDOWN_DELAY_MAX_MS;
	a->teardown_delay += (int)((a->set_id >> 8) % (uint64_t)(a->teardown_delay / 2 + 1));
	if (a->teardown_delay > TEARDOWN_DELAY_MAX_MS)
		a->teardown_delay = TEARDOWN_DELAY_MAX_MS;
	a->teardown_pending = true;
}

/*
 * Teardown takes the uid lock without blocking: a helper holding it may be
 * about to join, and must never wait for us while we wait for it.
 *
 * The lock only keeps helpers, which find sets by name, from joining while
 * we go. Once our socket is no longer at our name (removed by hand, or by
 * a helper of an older pam_ns that reused the name, with the uid directory
 * gone after it), no helper can find us, and the lock may never be ours
 * again: the lock file can be gone, or be another directory's. Then we
 * take what is already queued on the socket, and exit without the lock and
 * without touching the directory, which is no longer ours to clean. An
 * anchor that waited for the lock there would wait forever (issue 11,
 * finding 4).
 */
static void try_teardown(struct anchor *a)
{
	_cleanup_close_ int lock_fd = -1;

	if (!socket_is_ours(a)) {
		accept_all(a);
		if (a->n_sessions > 0)
			return;
		members_release(&a->members, false);
		helper_log(LOG_NOTICE,
			"Set %s of uid %u torn down: no session and no process left; its "
			"socket was no longer in %s/%u",
			a->name, a->plan.uid, PNS_RUN_DIR, a->plan.uid);
		_exit(0);
	}
	lock_fd = openat(a->dir_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		teardown_later(a);
		return;
	}
	/* Holding the lock until _exit: no helper can join in between. */
	teardown_exit(a);
}

/* The last session has gone: tear down, or watch a process that is still here. */
static void check_empty(struct anchor *a)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned count;
		pid_t pid;
		char name[16];
		int fd;

		if (members_walk(&a->members, MEMBERS_FIRST, &count, &pid) < 0)
			break;
		if (count == 0) {
			try_teardown(a);
			return;
		}
		fd = pns_pidfd_open(pid);
		if (fd < 0)
			continue;
		/* The pid may have been reused between the scan and pidfd_open. */
		snprintf(name, sizeof(name), "%d", pid);
		if (!members_has(&a->members, name)) {
			close(fd);
			continue;
		}
		a->watch_pidfd = safe_close(a->watch_pidfd);
		a->watch_pidfd = fd;
		a->teardown_pending = false; /* its exit is the next event */
		return;
	}
	/* Could not decide: there may be no next event (no session, nothing
	 * watched), so look again later rather than never. */
	teardown_later(a);
}

static void drop_session(struct anchor *a, size_t i)
{
	int pidfd = a->sessions[i].pidfd;

	a->sessions[i] = a->sessions[--a->n_sessions];
	if (a->n_sessions > 0) {
		close(pidfd);
		return;
	}
	/* The last session. At logout its caller (sshd's monitor, su) still
	 * runs in the set for a moment: watch it and walk /proc once it has
	 * gone, rather than now and again then. */
	if (pns_pidfd_send_signal(pidfd, 0) == 0) {
		a->watch_pidfd = safe_close(a->watch_pidfd);
		a->watch_pidfd = pidfd;
		return;
	}
	close(pidfd);
	check_empty(a);
}

/* A reply without descriptors: error 0 and "" for a success (a RELEASE or
 * a STOP done), else -errno and why. Every reply names the set: a success
 * reply without a valid set name does not decode. */
static void reply(struct anchor *a, int fd, int error, const char *message)
{
	struct pns_msg m = {.type = PNS_MSG_REPLY};

	m.reply.error = error;
	m.reply.set_id = a->set_id;
	pns_strlcpy(m.reply.set_name, a->name, sizeof(m.reply.set_name));
	pns_strlcpy(m.reply.message, message, sizeof(m.reply.message));
	(void)pns_send_msg(fd, &m, NULL, 0);
}

/*
 * A login's plan differs from the set's (the admin changed the policy):
 * move our socket aside to superseded-<set id>.sock, so that no login
 * joins us and the next one makes a new set, while we live on for our
 * sessions and processes (DESIGN.md, "Superseded sets"). Without the uid
 * lock: the helper that sent this may hold it. Only a helper under that
 * lock ever creates user.sock, and only once it is free, which it is not
 * while we are linked there; RENAME_NOREPLACE never replaces a socket.
 */
static int supersede(struct anchor *a, const struct pns_plan *login)
{
	char new_name[PNS_SET_NAME_MAX + 1], diff[400];

	if (a->plan.share != PNS_SHARE_USER || strcmp(a->name, "user.sock") != 0)
		return -EINVAL; /* nobody joins share = session sets */
	pns_set_name(PNS_SET_SUPERSEDED, a->set_id, new_name, sizeof(new_name));
	if (!socket_is_ours(a) || syscall(SYS_renameat2, a->dir_fd, a->name, a->dir_fd, new_name,
					  RENAME_NOREPLACE) < 0) {
		helper_log(
			LOG_ERR, "Failed to supersede set %s of uid %u: %m", a->name, a->plan.uid);
		return -EIO;
	}
	pns_plan_describe_difference(&a->plan, login, diff, sizeof(diff));
	helper_log(LOG_WARNING,
		"Set user.sock of uid %u was made under another plan than a new login's (%s): "
		"superseded, now %s; it lives on for its %zu session(s) and their processes, "
		"and new logins get a new set",
		a->plan.uid, diff, new_name, a->n_sessions);
	pns_strlcpy(a->name, new_name, sizeof(a->name));
	a->superseded = true;
	return 0;
}

static void handle_open(struct anchor *a, int cfd, const struct pns_plan *plan, int caller_pidfd)
{
	struct pns_msg m = {.type = PNS_MSG_REPLY};
	int r;

	/* A set is one account's: whatever led another uid's request here (a
	 * link or mount left at the socket's name), refuse it. */
	if (plan->uid != a->plan.uid || plan->share != a->plan.share) {
		helper_log(LOG_ERR, "Set %s of uid %u refused a session of uid %u", a->name,
			a->plan.uid, plan->uid);
		reply(a, cfd, -EPERM, "this set belongs to another account");
		close(caller_pidfd);
		return;
	}
	if (a->n_sessions >= PNS_MAX_SESSIONS_PER_SET) {
		helper_log(LOG_ERR, "Set %s of uid %u refused a session: it holds %d, the limit",
			a->name, a->plan.uid, PNS_MAX_SESSIONS_PER_SET);
		reply(a, cfd, -EUSERS, "too many sessions in this set");
		close(caller_pidfd);
		return;
	}
	if (a->superseded) {
		reply(a, cfd, -ESTALE, "this set is superseded");
		close(caller_pidfd);
		return;
	}
	if (!pns_plan_fits_set(plan, &a->plan)) {
		/* The login gets the current policy: a new set. This one lives
		 * on for its sessions and processes. */
		close(caller_pidfd);
		if (supersede(a, plan) < 0) {
			reply(a, cfd, -EIO, "cannot supersede the set made under another plan");
			return;
		}
		reply(a, cfd, -ESTALE, "this set was made under another plan: superseded");
		return;
	}

	m.reply.set_id = a->set_id;
	m.reply.session_id = ++a->next_id;
	m.reply.created = !a->joined;
	memcpy(m.reply.ns_ino, a->members.ns_ino, sizeof(a->members.ns_ino));
	pns_strlcpy(m.reply.set_name, a->name, sizeof(m.reply.set_name));
	int fds[2] = {a->self_pidfd, a->userns_fd};

	/* Before the caller hears back, and so before it starts anything. */
	r = members_add(&a->members, caller_pidfd);
	if (r < 0) {
		helper_log(LOG_ERR, "Set %s of uid %u cannot take a session into its cgroup: %s",
			a->name, a->plan.uid, strerror(-r));
		reply(a, cfd, r, "cannot move the session into the set's cgroup");
		close(caller_pidfd);
		if (a->n_sessions == 0 && a->joined)
			check_empty(a);
		return;
	}
	if (pns_send_msg(cfd, &m, fds, a->userns_fd >= 0 ? 2 : 1) < 0) {
		close(caller_pidfd);
		if (a->n_sessions == 0 && a->joined)
			check_empty(a);
		return;
	}
	a->sessions[a->n_sessions].id = m.reply.session_id;
	a->sessions[a->n_sessions].pidfd = caller_pidfd;
	a->n_sessions++;
	a->joined = true;
	a->teardown_pending = false;
	a->watch_pidfd = safe_close(a->watch_pidfd);
}

/* A RELEASE names the set as well as the session: one meant for a set
 * that had our name before us (an anchor killed, a name reused) must not
 * end one of our sessions. -ESTALE tells the module to look for its set
 * under its superseded name. */
static void handle_release(struct anchor *a, int cfd, const struct pns_release *rel)
{
	if (rel->set_id != a->set_id) {
		reply(a, cfd, -ESTALE, "no such session in this set");
		return;
	}
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].id == rel->session_id) {
			reply(a, cfd, 0, "");
			drop_session(a, i);
			return;
		}
	reply(a, cfd, -ENOENT, "no such session");
}

static void handle_status(struct anchor *a, int cfd)
{
	struct pns_msg m = {.type = PNS_MSG_STATUS_REPLY};
	unsigned count = 0;
	pid_t first;

	(void)members_walk(&a->members, MEMBERS_COUNT, &count, &first);
	m.status.uid = a->plan.uid;
	m.status.anchor_pid = getpid();
	m.status.sessions = (uint32_t)a->n_sessions;
	m.status.processes = count;
	m.status.since = (uint64_t)a->since;
	m.status.set_id = a->set_id;
	pns_strlcpy(m.status.set_name, a->name, sizeof(m.status.set_name));
	memcpy(m.status.ns_ino, a->members.ns_ino, sizeof(a->members.ns_ino));
	m.status.plan = a->plan;
	/* The pidfd lets pam_nsctl enter join the set the way the module does. */
	(void)pns_send_msg(cfd, &m, &a->self_pidfd, 1);
}

/*
 * pam_nsctl stop: tear the set down if nothing runs in it; with force, kill
 * every process in it first (sshd's and su's callers included: their
 * connections end).
 */
static void handle_stop(struct anchor *a, int cfd, bool force)
{
	char msg[PNS_MESSAGE_MAX + 1];
	unsigned count = 0;
	pid_t first;

	if (members_walk(&a->members, MEMBERS_COUNT, &count, &first) < 0) {
		reply(a, cfd, -EIO, "cannot list the processes of the set");
		return;
	}
	if (!force && (a->n_sessions > 0 || count > 0)) {
		snprintf(msg, sizeof(msg),
			"%zu session(s) and %u process(es) in the set; --force ends them",
			a->n_sessions, count);
		reply(a, cfd, -EBUSY, msg);
		return;
	}
	helper_log(LOG_NOTICE, "Stopping set %s of uid %u (%zu sessions, %u processes)%s", a->name,
		a->plan.uid, a->n_sessions, count, force ? ", killing them" : "");
	for (int round = 0; force && count > 0 && round < 50; round++) {
		(void)members_walk(&a->members, MEMBERS_KILL, &count, &first);
		usleep(20000);
		(void)members_walk(&a->members, MEMBERS_COUNT, &count, &first);
	}
	if (count > 0) {
		reply(a, cfd, -EBUSY, "processes of the set would not die");
		return;
	}
	for (size_t i = 0; i < a->n_sessions; i++)
		safe_close(a->sessions[i].pidfd);
	a->n_sessions = 0;
	a->joined = true;
	reply(a, cfd, 0, "");
	try_teardown(a);
}

static void handle_connection(struct anchor *a, int cfd)
{
	uint8_t buf[PNS_MSG_MAX];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pns_msg m;
	int fds[1];
	size_t n_fds = 0;
	ssize_t n;

	/* The directory is root's and 0700; check the peer anyway. */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
		return;
	n = pns_recv_packet(cfd, buf, sizeof(buf), fds, 1, &n_fds, pns_now_usec() + 1000000);
	if (n < 0)
		return;
	if (pns_msg_decode(buf, (size_t)n, &m) < 0) {
		pns_close_many(fds, n_fds);
		reply(a, cfd, -EBADMSG, "malformed request");
		return;
	}
	if (m.type == PNS_MSG_OPEN) {
		/* The caller's pidfd is what ends the session if close never comes. */
		if (n_fds != 1 || pns_pidfd_send_signal(fds[0], 0) < 0) {
			pns_close_many(fds, n_fds);
			reply(a, cfd, -EBADMSG, "request without a live caller pidfd");
			return;
		}
		handle_open(a, cfd, &m.open, fds[0]);
		return;
	}
	pns_close_many(fds, n_fds);
	switch (m.type) {
	case PNS_MSG_RELEASE:
		handle_release(a, cfd, &m.release);
		break;
	case PNS_MSG_STATUS:
		handle_status(a, cfd);
		break;
	case PNS_MSG_STOP:
		handle_stop(a, cfd, m.stop_force);
		break;
	default:
		reply(a, cfd, -EOPNOTSUPP, "request not supported by this anchor");
		break;
	}
}

static void accept_all(struct anchor *a)
{
	for (;;) {
		int cfd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0)
			return;
		handle_connection(a, cfd);
		close(cfd);
	}
}

/*
 * The set is built: from here on the anchor reads /proc/PID/ns of other
 * accounts' processes (CAP_SYS_PTRACE) and may signal them (CAP_KILL), and
 * needs nothing else. It parses what arrives on its socket, so it keeps
 * no more than that.
 */
static int drop_privileges(void)
{
	const uint32_t keep = (1u << CAP_SYS_PTRACE) | (1u << CAP_KILL);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {{0}};

	/* The raw system call (the helper links no libcap-ng): effective and
	 * permitted become exactly these two, inheritable empty; then read back. */
	d[0].effective = d[0].permitted = keep;
	if (syscall(SYS_capset, &h, d) < 0)
		return negative_errno();
	memset(d, 0xff, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0 || d[0].effective != keep || d[0].permitted != keep ||
		d[0].inheritable != 0 || d[1].effective != 0 || d[1].permitted != 0 ||
		d[1].inheritable != 0) {
		errno = EPERM;
		return -EPERM;
	}
	return 0;
}

/* Before it serves: the error reply to the helper, then exit. The helper
 * removes what the anchor made. */
static _noreturn_ void anchor_fail(int sync_fd, int error)
{
	(void)helper_reply_error(sync_fd, error);
	_exit(1);
}

/* Before the loop: the set's first session is the caller's that made it. */
static void first_session(struct anchor *a, int caller_pidfd, int module_fd, int sync_fd)
{
	struct pns_msg m = {.type = PNS_MSG_REPLY};
	int fds[2] = {a->self_pidfd, a->userns_fd}, r;

	m.reply.set_id = a->set_id;
	m.reply.session_id = ++a->next_id;
	m.reply.created = true;
	memcpy(m.reply.ns_ino, a->members.ns_ino, sizeof(a->members.ns_ino));
	pns_strlcpy(m.reply.set_name, a->name, sizeof(m.reply.set_name));
	r = members_add(&a->members, caller_pidfd);
	if (r < 0) {
		helper_log(LOG_ERR,
			"Set %s of uid %u cannot take its first session into its cgroup: %s",
			a->name, a->plan.uid, strerror(-r));
		members_release(&a->members, true);
		anchor_fail(sync_fd, r);
	}
	/* The module's reply, then the helper's 'K': the helper kills us and
	 * removes the socket if that does not arrive, and the module denies a
	 * login it may already have had our reply for, as the helper does not
	 * confirm it. Then we wait for the helper to exit: once it is gone,
	 * the memory we share is ours alone (helper.c, spawn_anchor()). */
	if (pns_send_msg(module_fd, &m, fds, a->userns_fd >= 0 ? 2 : 1) < 0 ||
		send(sync_fd, "K", 1, MSG_NOSIGNAL) != 1)
		_exit(1);
	(void)pns_wait_fd(sync_fd, POLLIN, pns_now_usec() + PNS_ANCHOR_REPLY_USEC);
	a->sessions[0].id = m.reply.session_id;
	a->sessions[0].pidfd = caller_pidfd;
	a->n_sessions = 1;
	a->joined = true;
}

/* Serve the set until it is torn down. userns_fd is -1 when the set has
 * no user namespace. */
static _noreturn_ void anchor_run(int run_fd, int dir_fd, const char *name, uint64_t set_id,
	int listen_fd, int userns_fd, const struct pns_plan *plan, int caller_pidfd, int module_fd,
	int sync_fd)
{
	static struct anchor a; /* too large for the stack of a small process */
	/* Static too: its pages must not depend on the stack limit (limits.c). */
	static struct pollfd pfd[PNS_MAX_SESSIONS_PER_SET + 2];
	struct stat st;

	/* First of all: teardown removes the socket only if it is ours. */
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		a.sock_ino = st.st_ino;
	a.run_fd = run_fd;
	a.dir_fd = dir_fd;
	pns_strlcpy(a.name, name, sizeof(a.name));
	a.set_id = set_id;
	a.listen_fd = listen_fd;
	a.userns_fd = userns_fd;
	a.plan = *plan;
	a.watch_pidfd = -1;
	a.started = pns_now_usec();
	a.since = time(NULL);
	a.self_pidfd = pns_pidfd_open(getpid());
	a.members.cg_fd = -1;
	if (a.self_pidfd < 0 ||
		members_init(&a.members, plan->namespaces, userns_fd, plan->uid, set_id) < 0 ||
		drop_privileges() < 0) {
		int r = negative_errno();

		helper_log(LOG_ERR, "Failed to start the anchor of uid %u: %s", plan->uid,
			strerror(-r));
		members_release(&a.members, true);
		anchor_fail(sync_fd, r);
	}
	first_session(&a, caller_pidfd, module_fd, sync_fd);
	close(module_fd);
	close(sync_fd);

	for (;;) {
		size_t n = 0, first_session;
		int timeout = -1, r;

		pfd[n++] = (struct pollfd){.fd = a.listen_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = a.watch_pidfd, .events = POLLIN};
		first_session = n;
		for (size_t i = 0; i < a.n_sessions; i++)
			pfd[n++] = (struct pollfd){.fd = a.sessions[i].pidfd, .events = POLLIN};

		if (a.teardown_pending)
			timeout = a.teardown_delay;
		else if (!a.joined) {
			uint64_t now = pns_now_usec(), end = a.started + PNS_FIRST_JOIN_USEC;

			if (now >= end) {
				helper_log(LOG_WARNING,
					"No session joined set %s of uid %u in time", a.name,
					a.plan.uid);
				try_teardown(&a);
				continue;
			}
			timeout = (int)((end - now) / 1000) + 1;
		}

		r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR) {
			helper_log(LOG_ERR, "Anchor of uid %u cannot poll: %m", a.plan.uid);
			sleep(1);
			continue;
		}

		/* Sessions whose caller exited: walk backwards, drop_session swaps. */
		for (size_t i = n; i > first_session; i--)
			if (r > 0 && pfd[i - 1].revents)
				drop_session(&a, i - 1 - first_session);

		if (r > 0 && a.watch_pidfd >= 0 && pfd[1].revents) {
			a.watch_pidfd = safe_close(a.watch_pidfd);
			if (a.n_sessions == 0)
				check_empty(&a);
		}
		if (r > 0 && pfd[0].revents)
			accept_all(&a);
		if (a.teardown_pending && a.n_sessions == 0)
			check_empty(&a);
	}
}

/*
 * Close every descriptor but stdio and the ones the anchor needs: it must
 * not keep the uid lock (a shared open file description would hold the
 * flock for the anchor's whole life) nor anything else of the helper's.
 */
static void close_all_but(const int *keep, size_t n)
{
	unsigned next = 3;

	helper_log_close();
	/* keep[] is sorted by the caller, all >= 3. */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)keep[i] > next)
			(void)syscall(SYS_close_range, next, (unsigned)keep[i] - 1, 0);
		next = (unsigned)keep[i] + 1;
	}
	(void)syscall(SYS_close_range, next, ~0u, 0);
}

/* The anchor's start-up, in the process the helper has just started (helper.h). */
void anchor_start(int run_fd, int dir_fd, const char *name, uint64_t set_id,
	const struct pns_plan *plan, int caller_pidfd, int module_fd, int sync_fd, pid_t parent)
{
	int lfd, userns_fd = -1;
	int keep[5] = {run_fd, dir_fd, module_fd, sync_fd, caller_pidfd};

	/* Five numbers in order: by insertion, not libc's qsort(), whose code
	 * would be every anchor's resident memory (issue 14). */
	for (size_t i = 1; i < ELEMENTSOF(keep); i++)
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	close_all_but(keep, ELEMENTSOF(keep));
	/* Until the set is built, the anchor dies with the helper: a helper
	 * killed at the module's timeout leaves nothing behind. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	(void)setsid();
	(void)prctl(PR_SET_NAME, "pam_ns-anchor");
	lfd = anchor_setup(dir_fd, name, plan);
	if (lfd < 0)
		anchor_fail(sync_fd, lfd);
	if (plan->namespaces & PNS_NS_USER) {
		userns_fd = anchor_create_userns(plan);
		if (userns_fd < 0)
			anchor_fail(sync_fd, userns_fd);
	}
	if (prctl(PR_SET_PDEATHSIG, 0) < 0)
		anchor_fail(sync_fd, negative_errno());
	anchor_run(run_fd, dir_fd, name, set_id, lfd, userns_fd, plan, caller_pidfd, module_fd,
		sync_fd);
}

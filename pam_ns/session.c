/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cap-ng.h>
#include <linux/nsfs.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "pam_ns/session.h"

#define HELPER_FD 3

/*
 * The child, between clone() and execve(). It shares the caller's memory
 * (CLONE_VM) while the caller is suspended (CLONE_VFORK): only syscall
 * wrappers, no allocation, no lock, nothing written but its own stack.
 */
static _noreturn_ void exec_helper(const char *path, int path_fd, char *const argv[], int sock)
{
	static char *const envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int null_fd, s, h;

	/* Signals are blocked since before clone() and stay blocked through
	 * execve(): none of the host's handlers can run here, on memory we
	 * share with it. execve() resets the handled ones; the helper resets
	 * what the caller ignores and unblocks as it starts (pam_ns-helper(8)).
	 * Resetting all 64 here cost each new set 64 system calls. */

	/* Under su the real uid is the invoking user's; make every id root. */
	if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, 0, 0, 0) < 0 ||
		syscall(SYS_setresuid, 0, 0, 0) < 0)
		_exit(126);

	/* fd 3 is the socket, fd 4 the checked helper (close-on-exec), 0-2
	 * /dev/null, nothing else survives. Out of the way first, so that no
	 * dup2() below overwrites a source. */
	s = fcntl(sock, F_DUPFD, 10);
	h = fcntl(path_fd, F_DUPFD_CLOEXEC, 10);
	null_fd = open("/dev/null", O_RDWR);
	if (s < 0 || h < 0 || null_fd < 0 || dup2(s, HELPER_FD) < 0 ||
		dup3(h, HELPER_FD + 1, O_CLOEXEC) < 0 || dup2(null_fd, 0) < 0 ||
		dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		_exit(126);
	if (syscall(SYS_close_range, HELPER_FD + 2, ~0u, 0) < 0)
		_exit(126);
	/* Not in the caller's working directory (a user's home under su). */
	if (chdir("/") < 0)
		_exit(126);
	/* Run exactly the file that was checked. A script cannot be run from a
	 * close-on-exec descriptor (its interpreter could not open it): for
	 * one, the path, whose every directory only root can change. */
	syscall(SYS_execveat, HELPER_FD + 1, "", argv, envp, AT_EMPTY_PATH);
	if (errno == ENOENT)
		execve(path, argv, envp);
	_exit(127);
}

struct spawn {
	const char *path;
	int path_fd;
	char *const *argv;
	int sock;
};

static int spawn_child(void *arg)
{
	const struct spawn *sp = arg;

	exec_helper(sp->path, sp->path_fd, sp->argv, sp->sock);
}

#define SPAWN_STACK_SIZE (16 * 1024)

/*
 * Start the helper the way posix_spawn() does, with CLONE_VM|CLONE_VFORK:
 * no copy of the caller's page tables (sshd's monitor is not small), the
 * caller resumes once the helper has exec'd. CLONE_PIDFD with exit signal
 * 0: the host's SIGCHLD handler never hears of the helper and
 * waitpid(-1) cannot reap it from under us.
 *
 * The child runs on a buffer in this frame: the caller is suspended until
 * the child has exec'd or exited, so nothing else uses it, and the
 * caller's stack is mapped already. A stack mapped for each spawn cost an
 * mmap(), a munmap() and the first-touch faults of its pages, about 40 µs
 * of CPU here (bench/RESULTS.md). exec_helper() needs far less than 16 KiB:
 * it calls system call wrappers only.
 */
static int spawn_helper(const char *path, int path_fd, char *const argv[], int sock, int *ret_pidfd)
{
	struct spawn sp = {.path = path, .path_fd = path_fd, .argv = argv, .sock = sock};
	_Alignas(16) char stack[SPAWN_STACK_SIZE];
	sigset_t all, old;
	int pidfd = -1, r = 0;
	pid_t pid;

	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(spawn_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | CLONE_PIDFD, &sp,
		&pidfd);
	if (pid < 0)
		r = negative_errno();
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return r;
	*ret_pidfd = pidfd;
	return 0;
}

/*
 * Wait for the helper to exit, killing it at the deadline; never blocks
 * longer. The pidfd says when it has exited whoever reaps it. execve()
 * gives it the exit signal SIGCHLD again, so a host that reaps every child
 * in its own SIGCHLD handler may take the exit status first: -ECHILD.
 */
static int reap_helper(int pidfd, uint64_t deadline, int *ret_status)
{
	siginfo_t si;

	if (pns_wait_fd(pidfd, POLLIN, deadline) < 0) {
		(void)pns_pidfd_send_signal(pidfd, SIGKILL);
		if (pns_wait_fd(pidfd, POLLIN, pns_now_usec() + 1000000) < 0)
			return -ETIMEDOUT;
	}
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | __WALL) < 0)
		return negative_errno();
	if (si.si_pid == 0)
		return -ECHILD;
	*ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	return 0;
}

/*
 * The reply to a login that created its set comes from the new anchor
 * itself; the helper confirms it with one byte once the anchor has told it
 * the set is ready (docs/DESIGN.md, "One login, step by step", 8). Without
 * that byte the login is denied, also where the helper's exit status is
 * lost to a host that reaps every child.
 */
static int recv_confirmation(int fd, uint64_t deadline)
{
	char c[2];
	ssize_t n;
	int r;

	r = pns_wait_fd(fd, POLLIN, deadline);
	if (r < 0)
		return r;
	n = recv(fd, c, sizeof(c), MSG_DONTWAIT);
	if (n < 0)
		return negative_errno();
	return n == 1 && c[0] == 'K' ? 0 : n == 0 ? -ECONNRESET : -EBADMSG;
}

int pns_session_open(const char *helper_path, int helper_fd, uint64_t timeout_usec,
	const struct pns_plan *plan, struct pns_reply *ret_reply, int *ret_anchor_pidfd,
	int *ret_userns_fd, const struct pns_session_hooks *hooks)
{
	size_t want = (plan->namespaces & PNS_NS_USER) ? 2 : 1;
	char uid[16];
	char *argv[] = {(char *)"pam_ns-helper", (char *)"open", (char *)"--", uid, NULL};
	_cleanup_close_ int self_pidfd = -1, helper_pidfd = -1;
	int sv[2] = {-1, -1}, fds[2];
	size_t n_fds = 0;
	uint64_t deadline = pns_now_usec() + timeout_usec;
	struct pns_msg m = {.type = PNS_MSG_OPEN};
	int r, rr, rc = 0, status = -1;

	memset(ret_reply, 0, sizeof(*ret_reply));
	snprintf(uid, sizeof(uid), "%u", plan->uid);
	self_pidfd = pns_pidfd_open(getpid());
	if (self_pidfd < 0)
		return self_pidfd;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return negative_errno();

	r = spawn_helper(helper_path, helper_fd, argv, sv[1], &helper_pidfd);
	if (r < 0) {
		pns_close_many(sv, 2);
		return r;
	}
	sv[1] = safe_close(sv[1]);

	m.open = *plan;
	r = pns_send_msg(sv[0], &m, &self_pidfd, 1);
	if (r >= 0 && hooks && hooks->while_waiting)
		hooks->while_waiting(hooks->userdata);
	if (r >= 0)
		r = pns_recv_msg(sv[0], &m, fds, 2, &n_fds, deadline);
	if (r >= 0 && hooks && hooks->after_reply && m.type == PNS_MSG_REPLY &&
		m.reply.error == 0 && n_fds == want)
		hooks->after_reply(&m.reply, fds[0], hooks->userdata);
	if (r >= 0 && m.type == PNS_MSG_REPLY && m.reply.error == 0 && m.reply.created) {
		rc = recv_confirmation(sv[0], deadline);
		if (rc < 0)
			pns_close_many(fds, n_fds);
	}
	sv[0] = safe_close(sv[0]);

	/* The reply decides; an exit status, when we get it, must agree. */
	rr = reap_helper(helper_pidfd, deadline, &status);
	if (rr == -ETIMEDOUT && r >= 0)
		r = -ETIMEDOUT;
	if (r < 0) {
		if (r == -ECONNRESET || r == -ETIMEDOUT) {
			char st[32] = "unknown";

			if (rr == 0)
				snprintf(st, sizeof(st), "%d", status);
			snprintf(ret_reply->message, sizeof(ret_reply->message),
				"the helper %s (exit status %s)",
				r == -ETIMEDOUT ? "did not answer in time"
						: "died without answering",
				st);
		}
		return r;
	}
	if (rc < 0) {
		char st[32] = "unknown";

		if (rr == 0)
			snprintf(st, sizeof(st), "%d", status);
		snprintf(ret_reply->message, sizeof(ret_reply->message),
			"the new set's anchor answered, but the helper did not confirm it "
			"(exit status %s)",
			st);
		return rc == -ETIMEDOUT ? rc : -ECHILD;
	}
	if (m.type != PNS_MSG_REPLY) {
		pns_close_many(fds, n_fds);
		return -EBADMSG;
	}
	if (m.reply.error < 0) {
		pns_close_many(fds, n_fds);
		*ret_reply = m.reply;
		return m.reply.error;
	}
	if (n_fds != want || (rr == 0 && status != 0)) {
		pns_close_many(fds, n_fds);
		snprintf(ret_reply->message, sizeof(ret_reply->message),
			"the helper replied but exited with status %d", status);
		return -EBADMSG;
	}
	*ret_reply = m.reply;
	*ret_anchor_pidfd = fds[0];
	*ret_userns_fd = want == 2 ? fds[1] : -1;
	return 0;
}

int pns_session_enter_userns(int userns_fd, uint32_t uid, uint32_t gid)
{
	uid_t owner = (uid_t)-1;
	int threads;

	/* Only a user namespace that root owns, whose parent is ours. */
	if (ioctl(userns_fd, NS_GET_NSTYPE) != CLONE_NEWUSER ||
		ioctl(userns_fd, NS_GET_OWNER_UID, &owner) < 0 || owner != 0)
		return -EPERM;
	threads = pns_count_threads();
	if (threads != 1)
		return threads < 0 ? threads : -EBUSY;

	if (setns(userns_fd, CLONE_NEWUSER) < 0)
		return negative_errno();
	/* Inside, root is unmapped: setresuid() does not clear capabilities by
	 * itself (there is no "root" to leave), so every set is cleared by
	 * hand; otherwise sshd finds it can restore its old uid and aborts. */
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return negative_errno();
	/* Capabilities are numbered without gaps up to the kernel's last:
	 * the first EINVAL is past it. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno != EINVAL)
				return negative_errno();
			break;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return negative_errno();
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		return -EPERM;
	/* Trust, but read back. */
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_BOTH) != CAPNG_NONE)
		return -EPERM;
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		return -EPERM;
	return 0;
}

int pns_session_join_existing(const struct pns_plan *plan, uint64_t timeout_usec,
	struct pns_reply *ret_reply, int *ret_anchor_pidfd, int *ret_userns_fd)
{
	_cleanup_close_ int self_pidfd = -1, dir_fd = -1;
	char why[PNS_PATH_WHY_MAX] = "";
	int fds[2];
	size_t n_fds = 0;
	int r;

	memset(ret_reply, 0, sizeof(*ret_reply));
	dir_fd = pns_open_uid_run_dir(plan->uid, false, NULL, why);
	if (dir_fd < 0) {
		/* A missing directory means no set yet; anything there that is
		 * not root's 0700 directory is refused, and the log says so. */
		if (why[0])
			snprintf(ret_reply->message, sizeof(ret_reply->message),
				"Refusing state directory %s", why);
		return dir_fd;
	}
	self_pidfd = pns_pidfd_open(getpid());
	if (self_pidfd < 0)
		return self_pidfd;
	r = pns_anchor_join(dir_fd, "user.sock", plan, self_pidfd, pns_now_usec() + timeout_usec,
		ret_reply, fds, &n_fds);
	if (r == -ESTALE)
		return -ENOENT; /* superseded (or without the user namespace we need) */
	if (r < 0)
		return r;
	*ret_anchor_pidfd = fds[0];
	*ret_userns_fd = n_fds == 2 ? fds[1] : -1;
	return 0;
}

static int release_at(int dir_fd, const char *name, uint64_t set_id, uint64_t session_id)
{
	struct pns_msg m = {.type = PNS_MSG_RELEASE};
	_cleanup_close_ int fd = -1;
	size_t n_fds = 0;
	int fds[1];
	int r;

	fd = pns_connect_at(dir_fd, name);
	if (fd < 0)
		return fd;
	m.release.set_id = set_id;
	m.release.session_id = session_id;
	r = pns_send_msg(fd, &m, NULL, 0);
	if (r < 0)
		return r;
	r = pns_recv_msg(fd, &m, fds, 0, &n_fds, pns_now_usec() + 2000000);
	if (r < 0)
		return r;
	if (m.type != PNS_MSG_REPLY)
		return -EBADMSG;
	return m.reply.error;
}

int pns_session_release(uint32_t uid, const char *set_name, uint64_t set_id, uint64_t session_id)
{
	char superseded[PNS_SET_NAME_MAX + 1];
	_cleanup_close_ int dir_fd = -1;
	int r;

	if (!pns_set_name_is_valid(set_name) || set_id == 0)
		return -EINVAL;
	dir_fd = pns_open_uid_run_dir(uid, false, NULL, NULL);
	if (dir_fd < 0)
		return dir_fd;
	r = release_at(dir_fd, set_name, set_id, session_id);
	/* Another set answers at user.sock, or none does: ours may have been
	 * superseded since the session opened. */
	if ((r == -ESTALE || r == -ENOENT || r == -ECONNREFUSED) &&
		strcmp(set_name, "user.sock") == 0) {
		pns_set_name(PNS_SET_SUPERSEDED, set_id, superseded, sizeof(superseded));
		r = release_at(dir_fd, superseded, set_id, session_id);
	}
	return r == -ESTALE || r == -ECONNREFUSED ? -ENOENT : r;
}

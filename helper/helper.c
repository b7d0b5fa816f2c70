/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_ns-helper open -- UID
 *
 * Run by pam_ns.so as root for every isolated login, with fd 3 a
 * SOCK_SEQPACKET socket to the module, fds 0-2 /dev/null and a fixed
 * environment. Finds the account's set and joins it, or creates it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "common/parse.h"
#include "helper/helper.h"

#define MODULE_FD 3

/*
 * What the anchor starts with, copied where it lives: it shares our
 * memory (spawn_anchor()), and our stack frames are reused as soon as we
 * go on.
 */
struct anchor_args {
	struct pns_plan plan;
	char name[PNS_SET_NAME_MAX + 1];
	uint64_t set_id;
	int run_fd, dir_fd, caller_pidfd, module_fd, sync_fd;
	pid_t parent;
};

static int anchor_main(void *p)
{
	struct anchor_args *a = p;

	anchor_start(a->run_fd, a->dir_fd, a->name, a->set_id, &a->plan, a->caller_pidfd,
		a->module_fd, a->sync_fd, a->parent);
}

/* The anchor failed or went silent: alone in our memory again, then
 * whatever it said. */
static int anchor_failed(pid_t pid, int sync_fd, void *stack, struct pns_reply *ret)
{
	struct pns_msg m;
	size_t n_fds = 0;
	int fds[2], r;

	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	(void)munmap(stack, ANCHOR_STACK_SIZE);
	/* It may have opened a log socket of its own under our variable. */
	helper_log_forget();
	/* An error reply stays queued after its sender is gone. */
	r = pns_recv_msg(sync_fd, &m, fds, ELEMENTSOF(fds), &n_fds, pns_now_usec() + 1000000);
	if (r >= 0) {
		pns_close_many(fds, n_fds);
		if (m.type == PNS_MSG_REPLY && m.reply.error < 0) {
			*ret = m.reply;
			/* The anchor's own sentence, for the reply to the module. */
			helper_keep_error(ret->message);
			return m.reply.error;
		}
		return -EBADMSG;
	}
	return -ECHILD; /* it died while building the set, or was killed here */
}

/*
 * Start the set's anchor. It builds the set and, once it is ready, sends
 * the module the reply a join would get, with the caller's session
 * already in the set (no round trip through the set's socket for the
 * login that made it); then it tells us on the sync socket, and we confirm
 * its reply to the module and exit: we hold the uid lock until then. The
 * anchor serves only once we have exited. An anchor that cannot build the set
 * sends us its error reply and exits; we remove what it made and pass its
 * error on. Returns only if the set was not made.
 *
 * Not by fork(): a new address space costs about 0.5 ms on the virtual
 * machines we measured (bench/RESULTS.md), most of a create's second
 * process. The anchor shares ours (CLONE_VM, not CLONE_THREAD: a process
 * of its own, with its own descriptors, signal handlers, credentials and
 * namespaces) and keeps it once we have exited. Until then both run on
 * the same memory, errno included, so from clone() on this process only
 * waits: no allocation, no global, no errno written while the anchor
 * works, except by a poll() or recv() that fails, after which the anchor
 * is killed at once (docs/DESIGN.md, "The anchor's start").
 */
static int spawn_anchor(int run_fd, int dir_fd, const char *name, uint64_t set_id,
	const struct pns_plan *plan, int caller_pidfd, struct pns_reply *ret)
{
	struct anchor_args *a;
	int sync[2], r, w;
	char ok[2];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t sp;
	void *stack;
	pid_t pid;

	r = helper_anchor_limits_ok(plan->uid);
	if (r < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
		return negative_errno();
	/* Its stack: its arguments where the stack starts, a page without
	 * access where it ends. */
	stack = mmap(NULL, ANCHOR_STACK_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED ||
		mprotect(STACK_GROWS_UP ? (char *)stack + ANCHOR_STACK_SIZE - page : stack, page,
			PROT_NONE) < 0) {
		r = negative_errno();
		if (stack != MAP_FAILED)
			(void)munmap(stack, ANCHOR_STACK_SIZE);
		pns_close_many(sync, 2);
		return r;
	}
	a = STACK_GROWS_UP ? stack
			   : (struct anchor_args *)((char *)stack + ANCHOR_STACK_SIZE - sizeof(*a));
	*a = (struct anchor_args){.plan = *plan,
		.set_id = set_id,
		.run_fd = run_fd,
		.dir_fd = dir_fd,
		.caller_pidfd = caller_pidfd,
		.module_fd = MODULE_FD,
		.sync_fd = sync[1],
		.parent = getpid()};
	pns_strlcpy(a->name, name, sizeof(a->name));
	/* 64-byte aligned, beside the arguments. */
	sp = STACK_GROWS_UP ? ((uintptr_t)(a + 1) + 63) & ~(uintptr_t)63
			    : (uintptr_t)a & ~(uintptr_t)63;
	pid = clone(anchor_main, (void *)sp, CLONE_VM | SIGCHLD, a);
	if (pid < 0) {
		r = negative_errno();
		(void)munmap(stack, ANCHOR_STACK_SIZE);
		pns_close_many(sync, 2);
		return r;
	}

	/* From here until _exit() or anchor_failed(), only waiting. */
	(void)close(sync[1]);
	w = pns_wait_fd(sync[0], POLLIN, pns_now_usec() + PNS_ANCHOR_REPLY_USEC);
	if (w == 0 && recv(sync[0], ok, sizeof(ok), MSG_PEEK | MSG_DONTWAIT) == 1 && ok[0] == 'K')
		/* The anchor waits for our exit before it serves: our
		 * confirmation to the module may fail and write errno. */
		_exit(send(MODULE_FD, "K", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 0 : 1);

	r = anchor_failed(pid, sync[0], stack, ret);
	if (w == -ETIMEDOUT && r == -ECHILD)
		r = -ETIMEDOUT;
	(void)close(sync[0]);
	/* The name was free when we took it, under the uid lock we still
	 * hold: what is there now is our anchor's socket. */
	(void)unlinkat(dir_fd, name, 0);
	return r;
}

/* Live sets of the uid that no login joins any more, of one kind:
 * share = session sets, or superseded ones. Sockets nobody answers on (an
 * anchor that was killed) are removed, so they never count against the
 * limit; a live anchor's socket always answers. Called with the uid lock
 * held. */
static int count_sets(int dir_fd, const char *prefix)
{
	int n = 0, r;
	struct pns_dir d;
	const char *name;

	r = pns_dir_open_at(dir_fd, &d);
	if (r < 0)
		return r;
	while ((name = pns_dir_next(&d, NULL))) {
		int c;

		if (!pns_set_name_is_valid(name) || strncmp(name, prefix, strlen(prefix)) != 0)
			continue;
		c = pns_connect_at(dir_fd, name);
		if (c == -ECONNREFUSED || c == -ENOENT) {
			(void)unlinkat(dir_fd, name, 0);
			continue;
		}
		if (c >= 0)
			close(c);
		n++;
	}
	pns_dir_close(&d);
	return n;
}

/* A new set's random id, never 0. Names derived from it cannot collide
 * the way names made from pids did (issue 11, finding 4); the caller still
 * checks that the name is free. */
static int new_set_id(uint64_t *ret)
{
	uint64_t id = 0;

	while (id == 0) {
		long n = syscall(SYS_getrandom, &id, sizeof(id), 0);

		if (n < 0 && errno != EINTR)
			return negative_errno();
		if (n >= 0 && n != (long)sizeof(id))
			id = 0;
	}
	*ret = id;
	return 0;
}

static void on_alarm(int sig)
{
}

/*
 * Take uid/lock. A tearing-down anchor removes the lock file and the
 * directory while holding the lock, so a lock won on a file that is no
 * longer linked protects nothing: -ESTALE, and the caller starts over.
 */
static int lock_uid_dir(int dir_fd, uint64_t deadline)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = openat(dir_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return errno == ENOENT ? -ESTALE : negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode) || st.st_uid != 0)
		return -EPERM;
	/* Block until the lock is ours or the deadline passes: SIGALRM (no
	 * SA_RESTART) interrupts flock(). Waiters wake as soon as it is free,
	 * with no polling interval to add to every concurrent login. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct sigaction sa = {.sa_handler = on_alarm}, old_sa;
		uint64_t now = pns_now_usec();
		struct itimerval it = {0};
		int r;

		if (errno != EWOULDBLOCK)
			return negative_errno();
		if (now >= deadline)
			return -ETIMEDOUT;
		it.it_value.tv_sec = (time_t)((deadline - now) / 1000000u);
		it.it_value.tv_usec = (suseconds_t)((deadline - now) % 1000000u);
		(void)sigaction(SIGALRM, &sa, &old_sa);
		(void)setitimer(ITIMER_REAL, &it, NULL);
		r = flock(fd, LOCK_EX);
		it.it_value.tv_sec = it.it_value.tv_usec = 0;
		(void)setitimer(ITIMER_REAL, &it, NULL);
		(void)sigaction(SIGALRM, &old_sa, NULL);
		if (r == 0)
			break;
		if (errno != EINTR)
			return negative_errno();
	}
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (st.st_nlink == 0)
		return -ESTALE;
	return TAKE_FD(fd);
}

static int join(int dir_fd, const char *name, const struct pns_plan *plan, int caller_pidfd,
	struct pns_reply *ret, int fds[2], size_t *ret_n_fds)
{
	int r = pns_anchor_join(dir_fd, name, plan, caller_pidfd,
		pns_now_usec() + PNS_ANCHOR_REPLY_USEC, ret, fds, ret_n_fds);

	/* -ESTALE: superseded, the anchor logged why; a new set follows. */
	if (r < 0 && r != -ECONNREFUSED && r != -ENOENT && r != -ESTALE && ret->message[0])
		helper_log(LOG_ERR, "Uid %u cannot join set %s: %s", plan->uid, name, ret->message);
	return r;
}

static int find_or_create(const struct pns_plan *plan, int caller_pidfd, struct pns_reply *ret,
	int ret_fds[2], size_t *ret_n_fds)
{
	_cleanup_close_ int run_fd = -1, dir_fd = -1, lock_fd = -1;
	char name[PNS_SET_NAME_MAX + 1], why[PNS_PATH_WHY_MAX];
	uint64_t deadline = pns_now_usec() + PNS_LOCK_WAIT_USEC, set_id = 0;
	struct stat st;
	int r;

	for (;;) {
		run_fd = safe_close(run_fd);
		why[0] = 0;
		dir_fd = pns_open_uid_run_dir(plan->uid, true, &run_fd, why);
		if (dir_fd < 0 && why[0]) {
			helper_log(LOG_ERR, "Refusing state directory %s", why);
			return dir_fd;
		}
		if (dir_fd < 0) {
			errno = -dir_fd;
			helper_log(LOG_ERR, "Failed to open state directory %s/%u: %m", PNS_RUN_DIR,
				plan->uid);
			return dir_fd;
		}
		lock_fd = lock_uid_dir(dir_fd, deadline);
		if (lock_fd != -ESTALE)
			break;
		/* An anchor removed the state under us: start over. */
		dir_fd = safe_close(dir_fd);
	}
	if (lock_fd < 0) {
		errno = -lock_fd;
		helper_log(LOG_ERR, "Failed to lock state of uid %u: %m", plan->uid);
		return lock_fd;
	}

	if (plan->share == PNS_SHARE_USER) {
		pns_set_name(PNS_SET_USER, 0, name, sizeof(name));
		r = join(dir_fd, name, plan, caller_pidfd, ret, ret_fds, ret_n_fds);
		if (r == 0 || (r != -ECONNREFUSED && r != -ENOENT && r != -ESTALE)) {
			if (r < 0 && !helper_has_error()) {
				errno = -r;
				helper_log(
					LOG_ERR, "Failed to join the set of uid %u: %m", plan->uid);
			}
			return r;
		}
		/* -ESTALE: the set was made under another plan, and its anchor
		 * has moved its socket aside (superseded). Otherwise nobody
		 * listens: an anchor that died without cleaning up. */
		if (r != -ESTALE)
			(void)unlinkat(dir_fd, name, 0);
	}
	/* SPEC 8.6: at most 64 share = session sets, and at most 64
	 * superseded sets besides the one user set (a new user set is made
	 * after the last one was superseded). */
	r = count_sets(dir_fd, plan->share == PNS_SHARE_USER ? "superseded-" : "session-");
	if (r < 0)
		return r;
	if (r >= PNS_MAX_SETS_PER_USER) {
		helper_log(LOG_ERR, "Uid %u already has %d %s sets, the limit", plan->uid, r,
			plan->share == PNS_SHARE_USER ? "superseded" : "session");
		return -EUSERS;
	}
	/* A random id; for share = session it names the socket. Never a
	 * name in use: nothing here unlinks a socket it did not find dead. */
	for (int tries = 0;; tries++) {
		r = new_set_id(&set_id);
		if (r < 0)
			return r;
		if (plan->share == PNS_SHARE_SESSION)
			pns_set_name(PNS_SET_SESSION, set_id, name, sizeof(name));
		if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			break;
		if (plan->share == PNS_SHARE_USER || tries >= 8) {
			helper_log(LOG_ERR, "Failed to create the set of uid %u: %s is taken",
				plan->uid, name);
			return -EADDRINUSE;
		}
	}

	r = spawn_anchor(run_fd, dir_fd, name, set_id, plan, caller_pidfd, ret);
	if (!helper_has_error()) {
		errno = -r;
		helper_log(LOG_ERR, "Failed to create the set of uid %u: %m", plan->uid);
	}
	return r;
}

static int reply(const struct pns_reply *rep, const int *fds, size_t n_fds)
{
	struct pns_msg m = {.type = PNS_MSG_REPLY};

	m.reply = *rep;
	return pns_send_msg(MODULE_FD, &m, fds, n_fds);
}

int main(int argc, char *argv[])
{
	struct pns_msg m;
	struct pns_reply rep;
	struct stat st;
	const char *why;
	uint32_t uid;
	int fds[1], set_fds[2], r;
	size_t n_fds = 0, n_set_fds = 0;

	/* pam_ns.so runs us with every signal blocked, and what its caller
	 * ignores is still ignored (execve() resets only handled signals):
	 * the default for every signal we or the anchor must answer to, then
	 * unblock. */
	static const int dfl[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM, SIGCHLD, SIGUSR1, SIGUSR2};
	sigset_t none;

	for (size_t i = 0; i < ELEMENTSOF(dfl); i++)
		(void)signal(dfl[i], SIG_DFL);
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	umask(0077);

	if (argc != 4 || strcmp(argv[1], "open") != 0 || strcmp(argv[2], "--") != 0 ||
		pns_parse_id(argv[3], &uid) < 0) {
		fprintf(stderr, "Usage: pam_ns-helper open -- UID\n"
				"Run by pam_ns.so; see pam_ns-helper(8).\n");
		return 2;
	}
	if (fstat(MODULE_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "pam_ns-helper: fd 3 is not a socket; this program is run by "
				"pam_ns.so, see pam_ns-helper(8).\n");
		return 2;
	}
	/* Under su the real uid is the invoking user's: make every id root so
	 * that user cannot signal or ptrace us (catalogue row 15). */
	/* (The system calls themselves: we have one thread, and musl's
	 * wrappers would signal every thread to apply them.) */
	if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, 0, 0, 0) < 0 ||
		syscall(SYS_setresuid, 0, 0, 0) < 0) {
		helper_log(LOG_ERR, "Failed to become fully root: %m");
		(void)helper_reply_error(MODULE_FD, -EPERM);
		return 1;
	}
	/* Not dumpable: the flag is our memory's, so the anchor and the child
	 * that holds a new user namespace (helper/userns.c) share it. That
	 * child is in a namespace uid 0 owns, which gives any uid 0 process,
	 * even one without capabilities, ptrace rights over it, and so over
	 * this memory; without the flag, ptrace needs CAP_SYS_PTRACE. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		helper_log(LOG_ERR, "Failed to make the helper not dumpable: %m");
		(void)helper_reply_error(MODULE_FD, -EPERM);
		return 1;
	}
	/* Before anything else: the anchor starts from us and keeps them. */
	helper_reset_limits();

	r = pns_recv_msg(MODULE_FD, &m, fds, 1, &n_fds, pns_now_usec() + PNS_ANCHOR_REPLY_USEC);
	if (r < 0 || m.type != PNS_MSG_OPEN || n_fds != 1) {
		if (r >= 0)
			pns_close_many(fds, n_fds);
		helper_log(LOG_ERR, "Malformed request from the module");
		(void)helper_reply_error(MODULE_FD, -EBADMSG);
		return 1;
	}
	if (m.open.uid != uid || pns_plan_validate(&m.open, &why) < 0) {
		helper_log(LOG_ERR, "Request for uid %u does not match the command line uid %u",
			m.open.uid, uid);
		(void)helper_reply_error(MODULE_FD, -EINVAL);
		return 1;
	}
	r = find_or_create(&m.open, fds[0], &rep, set_fds, &n_set_fds);
	close(fds[0]);
	if (r < 0) {
		(void)helper_reply_error(MODULE_FD, r);
		return 1;
	}
	r = reply(&rep, set_fds, n_set_fds);
	return r < 0 ? 1 : 0;
}

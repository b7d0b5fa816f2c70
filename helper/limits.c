/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process attributes the helper inherits from its PAM caller and passes
 * on to the anchor: resource limits, niceness, scheduling policy, OOM score,
 * working directory. Under su they are the invoking user's, set with ulimit,
 * nice, chrt or /proc/self/oom_score_adj before su (issue 11, finding 6).
 * The anchor lives as long as its set, so whatever it inherits, it keeps.
 *
 * Policy (DESIGN.md, "The anchor's limits"):
 * - RLIMIT_NOFILE: the anchor holds a pidfd per session, so it needs
 *   PNS_ANCHOR_NOFILE descriptors. The soft limit becomes exactly that when
 *   the hard limit allows; else the helper raises the hard limit, which takes
 *   CAP_SYS_RESOURCE. Without it, no set is created (the login is denied with
 *   a log line): a set that can hold only a few sessions would deny logins
 *   for its whole life. A join needs few descriptors and goes on.
 * - RLIMIT_CPU: the anchor runs for the set's lifetime; any finite limit
 *   ends it (SIGXCPU, SIGKILL). Unlimited, or no set.
 * - RLIMIT_AS, DATA, STACK, FSIZE: the soft limit is raised to the hard one
 *   (unlimited where the hard limit can be raised). What the anchor uses is
 *   allocated before it serves (static memory, no growing stack), and it
 *   writes no file, so a lowered hard limit cannot stop it later on.
 * - RLIMIT_CORE: 0. A root process never dumps core into the invoker's
 *   working directory.
 * - RLIMIT_NPROC: not needed: the helper and the anchor are real uid 0,
 *   which the kernel exempts from it.
 * - Niceness above 0 goes back to 0, SCHED_BATCH and SCHED_IDLE back to
 *   SCHED_OTHER, an OOM score adjustment above 0 back to 0. Values below
 *   (set by the administrator for sshd) are kept.
 * - The working directory becomes /: the anchor must not pin a mount of the
 *   invoker's.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper/helper.h"

/* Set by helper_reset_limits(): why no anchor can be started, or "". */
static char anchor_short[PNS_MESSAGE_MAX + 1];

static const char *limit_name(int resource)
{
	switch (resource) {
	case RLIMIT_NOFILE:
		return "open files (ulimit -n)";
	case RLIMIT_CPU:
		return "CPU time (ulimit -t)";
	default:
		return "resource";
	}
}

/* Soft and hard to WANT if we can, else the soft limit to the hard one.
 * Returns the soft limit now in force. */
static rlim_t raise_limit(int resource, rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && (want == RLIM_INFINITY || rl.rlim_max < want)) {
		struct rlimit up = {want, want};

		/* Raising a hard limit takes CAP_SYS_RESOURCE. */
		if (setrlimit(resource, &up) == 0)
			return want;
		rl.rlim_cur = rl.rlim_max;
	} else
		rl.rlim_cur = want;
	if (setrlimit(resource, &rl) < 0 && getrlimit(resource, &rl) < 0)
		return 0;
	return rl.rlim_cur;
}

static void need_limit(int resource, rlim_t want)
{
	rlim_t got = raise_limit(resource, want);

	if (got == want || (want != RLIM_INFINITY && got != RLIM_INFINITY && got >= want) ||
		anchor_short[0])
		return;
	if (want == RLIM_INFINITY)
		snprintf(anchor_short, sizeof(anchor_short),
			"the login's hard limit of %s is %llu and cannot be raised; an anchor "
			"needs it unlimited",
			limit_name(resource), (unsigned long long)got);
	else
		snprintf(anchor_short, sizeof(anchor_short),
			"the login's hard limit of %s is %llu and cannot be raised; an anchor "
			"needs %llu",
			limit_name(resource), (unsigned long long)got, (unsigned long long)want);
}

void helper_reset_limits(void)
{
	static const int soft_to_hard[] = {RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_FSIZE};
	const struct rlimit no_core = {0, 0};
	struct sched_param sp = {.sched_priority = 0};
	char buf[16];
	int fd, policy;

	need_limit(RLIMIT_NOFILE, PNS_ANCHOR_NOFILE);
	need_limit(RLIMIT_CPU, RLIM_INFINITY);
	for (size_t i = 0; i < ELEMENTSOF(soft_to_hard); i++)
		(void)raise_limit(soft_to_hard[i], RLIM_INFINITY);
	(void)setrlimit(RLIMIT_CORE, &no_core);

	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) > 0 && errno == 0)
		(void)setpriority(PRIO_PROCESS, 0, 0);
	/* The system call: musl's wrapper answers ENOSYS. */
	policy = (int)syscall(SYS_sched_getscheduler, 0) & ~SCHED_RESET_ON_FORK;
	if (policy == SCHED_BATCH || policy == SCHED_IDLE)
		(void)syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp);

	fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		if (n > 0) {
			buf[n] = 0;
			/* Best effort: a score the kernel refuses stays as it was. */
			if (atoi(buf) > 0 && pwrite(fd, "0\n", 2, 0) < 0)
				n = 0;
		}
		close(fd);
	}
	if (chdir("/") < 0)
		return; /* "/" always exists; nothing else to do here */
}

int helper_anchor_limits_ok(uint32_t uid)
{
	if (!anchor_short[0])
		return 0;
	helper_log(LOG_ERR, "Refusing to create a set for uid %u: %s", uid, anchor_short);
	return -EMFILE;
}

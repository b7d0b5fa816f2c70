/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procs: the processes of two of bench/run's rows (issue 14), none of them
 * timed here.
 *
 *   procs sleepers N UID GID
 *       Unrelated idle processes on the host: drops to UID/GID (no
 *       supplementary group), forks N children that pause, prints
 *       "ready n=N", and waits for EOF on stdin (or SIGTERM); then kills
 *       and reaps every child and prints "stopped". Each child dies with
 *       this process too (PR_SET_PDEATHSIG), so none outlives it.
 *
 *   procs reap CMD [ARG...]
 *       Runs CMD as a child, as a child subreaper, and reaps every process
 *       that ends below it (the daemons CMD leaves behind included) until
 *       none is left; then exits. On a host whose PID 1 does not reap
 *       orphans, this keeps the processes of `loop` and `chain` from
 *       staying zombies.
 *
 *   procs loop N UID GID
 *   procs chain N UID GID
 *       A user's short-lived background processes in a set: run as root
 *       inside the set (bench/run starts it with `pam_nsctl enter`), it
 *       drops to UID/GID, detaches (forks, the parent exits so that enter
 *       returns; the child calls setsid), prints "started pid=PID", and
 *       waits for one byte on stdin before it starts. Then:
 *         loop:  N times fork + exec /bin/true + wait, from the one
 *                detached process, which stays until the end;
 *         chain: N processes one after the other, each a fork + exec of
 *                this program that starts the next and exits at once, so
 *                the set is kept alive by short-lived processes only.
 *       At the end "done n=N fails=F self_us=U children_us=C" (the
 *       getrusage figures of the process that prints it: for loop, the
 *       loop and its waited children; for chain only the last link), then
 *       it waits for EOF on stdin and exits.
 *
 * This is a benchmark tool: it reports, and asserts nothing on a time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRUE_PATH "/bin/true"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "procs: %s: %s\n", what, strerror(errno));
	exit(2);
}

static unsigned long parse_ul(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-') {
		fprintf(stderr, "procs: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void drop_to(const char *uid_s, const char *gid_s)
{
	uid_t uid = (uid_t)parse_ul(uid_s);
	gid_t gid = (gid_t)parse_ul(gid_s);

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		die("cannot drop to the account's ids");
}

/* Until EOF on stdin, or SIGTERM/SIGINT when handled without SA_RESTART. */
static void wait_eof(void)
{
	char buf[64];
	ssize_t n;

	while (!stop_requested) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void report_done(unsigned long n, unsigned long fails)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	printf("done n=%lu fails=%lu self_us=%llu children_us=%llu\n", n, fails,
		(unsigned long long)(tv_us(self.ru_utime) + tv_us(self.ru_stime)),
		(unsigned long long)(tv_us(children.ru_utime) + tv_us(children.ru_stime)));
	fflush(stdout);
}

static int cmd_sleepers(unsigned long n, const char *uid, const char *gid)
{
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: read returns */
	pid_t self, *pids = calloc(n ? n : 1, sizeof(pid_t));
	unsigned long made = 0;

	if (!pids)
		die("calloc");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	drop_to(uid, gid);
	self = getpid();
	for (; made < n && !stop_requested; made++) {
		pids[made] = fork();
		if (pids[made] < 0) {
			fprintf(stderr, "procs: fork %lu of %lu: %s\n", made + 1, n,
				strerror(errno));
			break;
		}
		if (pids[made] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			/* Gone with the parent, even if it is killed. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != self)
				_exit(1);
			for (;;)
				pause();
		}
	}
	printf("ready n=%lu\n", made);
	fflush(stdout);
	wait_eof();
	for (unsigned long i = 0; i < made; i++)
		kill(pids[i], SIGKILL);
	for (unsigned long i = 0; i < made; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	printf("stopped\n");
	fflush(stdout);
	return made == n ? 0 : 1;
}

static int cmd_reap(char **argv)
{
	int status, rc = 0;
	pid_t pid, p;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "procs: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		p = waitpid(-1, &status, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == pid)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return rc;
}

/* One link of the chain: K more to go after this one. */
static _Noreturn void chain_step(unsigned long k, unsigned long n)
{
	char ks[32], ns[32];
	pid_t pid;

	if (k == 0) {
		report_done(n, 0);
		wait_eof();
		_exit(0);
	}
	snprintf(ks, sizeof(ks), "%lu", k - 1);
	snprintf(ns, sizeof(ns), "%lu", n);
	pid = fork();
	if (pid < 0) {
		printf("failed fork at %lu: %s\n", k, strerror(errno));
		fflush(stdout);
		_exit(1);
	}
	if (pid == 0) {
		char *argv[] = {"procs", "step", ks, ns, NULL};

		execv("/proc/self/exe", argv);
		printf("failed exec at %lu: %s\n", k, strerror(errno));
		fflush(stdout);
		_exit(127);
	}
	/* The next link is already running: this one ends. */
	_exit(0);
}

static int cmd_work(bool chain, unsigned long n, const char *uid, const char *gid)
{
	unsigned long fails = 0;
	pid_t pid;
	char go;

	drop_to(uid, gid);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		_exit(0); /* pam_nsctl enter returns: the work goes on in the background */
	(void)setsid();
	printf("started pid=%d\n", (int)getpid());
	fflush(stdout);
	if (read(STDIN_FILENO, &go, 1) != 1)
		_exit(1);
	if (chain)
		chain_step(n, n);
	for (unsigned long i = 0; i < n; i++) {
		int status;

		pid = fork();
		if (pid < 0) {
			fails++;
			continue;
		}
		if (pid == 0) {
			execl(TRUE_PATH, "true", (char *)NULL);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fails++;
	}
	report_done(n, fails);
	wait_eof();
	return 0;
}

static _Noreturn void usage(void)
{
	fputs("usage: procs sleepers N UID GID\n"
	      "       procs reap CMD [ARG...]\n"
	      "       procs loop|chain N UID GID\n",
		stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 5 && strcmp(argv[1], "sleepers") == 0)
		return cmd_sleepers(parse_ul(argv[2]), argv[3], argv[4]);
	if (argc >= 3 && strcmp(argv[1], "reap") == 0)
		return cmd_reap(argv + 2);
	if (argc == 5 && strcmp(argv[1], "loop") == 0)
		return cmd_work(false, parse_ul(argv[2]), argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "chain") == 0)
		return cmd_work(true, parse_ul(argv[2]), argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "step") == 0)
		chain_step(parse_ul(argv[2]), parse_ul(argv[3]));
	usage();
}

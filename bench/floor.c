/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floor: the syscall floor of one set creation, with no PAM, no helper, no
 * policy and no socket: what pam_ns could cost at best.
 *
 * One iteration, in this process (the "caller") and one forked child (the
 * "anchor"):
 *   fork; child: unshare(CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWUTS),
 *   mount / MS_SLAVE|MS_REC, tmpfs on /tmp, [--full: tmpfs on /dev/shm],
 *   sethostname; it tells the parent; the parent pidfd_open()s the child and
 *   setns(pidfd, NEWNS|NEWIPC|NEWUTS)es into it.
 *     "create+join" is the time from before fork to after that setns.
 *   Then the parent goes back to its own namespaces, lets the child exit
 *   and reaps it; the namespaces die with it.
 *     "with teardown" is the time from before fork to after the reap.
 *
 *   floor [-n N] [-W WARMUP] [--full] [--userns]
 *
 *   --userns adds, inside "create+join", what a set with a user namespace
 *   adds for an sshd login: a second child unshare(CLONE_NEWUSER)s, the
 *   caller writes its uid_map, setgroups and gid_map (one id each) and keeps
 *   an fd of the namespace, the child is reaped; then the caller forks the
 *   "session child", which setns()es into that user namespace, takes the
 *   uid and gid, drops every capability set and exits, and is reaped.
 *
 *   floor [-n N] [-W WARMUP] --join
 *       The floor of joining a held set, what a join cannot avoid: a server
 *       process (the "anchor") unshares mount, IPC and UTS namespaces and
 *       makes the --full mounts and host name, then answers on a listening
 *       SOCK_SEQPACKET unix socket bound to a path. Per login, a forked
 *       child (the "login") times: pidfd_open() of itself, socket(),
 *       connect(), one message carrying that pidfd (SCM_RIGHTS), the reply
 *       carrying a pidfd of the server, and setns(pidfd,
 *       NEWNS|NEWIPC|NEWUTS) into the server's namespaces; then it exits
 *       (untimed, as are fork and reaping). The server accepts, receives,
 *       checks the peer's credentials (SO_PEERCRED), replies with its pidfd
 *       and closes, as the module's anchor does for a join; no policy, no
 *       PAM, no session count, no close round trip.
 *
 *   floor --serve PATH
 *       The same server, on PATH, for the floor module (bench/floormod.c):
 *       prints "ready" once it answers, and serves until its standard input
 *       reaches EOF; then it stops the server and removes PATH.
 *
 *   floor [-n N] [-W WARMUP] --exec PATH [ARG...]
 *       The cost of starting a program as the module starts its helper:
 *       vfork (CLONE_VM|CLONE_VFORK, as the module does), execve(PATH, ARG...),
 *       the program's run to its exit, and the reap. With the helper and no
 *       argument, that is its exec, dynamic linking and usage message; with
 *       this binary and --noop, a glibc program that does nothing.
 *
 *   floor --noop
 *       Exits at once (the target for --exec).
 *
 *   floor --rss
 *       The memory of the smallest idle process this binary can make: a
 *       forked child that only waits, as the anchor is a forked child of the
 *       helper. Built dynamically and with -static, it shows what any
 *       glibc process costs in VmRSS before it does anything.
 *
 * Run as root, single-threaded (setns into a mount namespace requires it).
 * The child's mounts are made in its own namespace after MS_SLAVE, so
 * nothing reaches the caller's mount table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)
/* Any id will do for the floor: it need not be an account. */
#define USERNS_ID 61234

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (n == 0)
		return 0;
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

/* The anchor's work; any failure is exit status 1 before the sync byte. */
static _Noreturn void child(int sync_fd, bool full)
{
	static const char host[] = "floor-bench";
	char c = 1;

	if (unshare(NS_FLAGS) < 0)
		_exit(1);
	/* First: nothing mounted below may propagate to the caller. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		_exit(1);
	if (mount("floor", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=25%") < 0)
		_exit(1);
	if (full &&
		mount("floor", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=25%") < 0)
		_exit(1);
	if (sethostname(host, sizeof(host) - 1) < 0)
		_exit(1);
	if (write(sync_fd, &c, 1) != 1)
		_exit(1);
	/* Stay until the caller has joined and left again. */
	while (read(sync_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static bool write_proc(pid_t pid, const char *name, const char *text)
{
	char path[64];
	size_t len = strlen(text);
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

/* The set's user namespace and sshd's session child entering it; false on failure. */
static bool userns_work(void)
{
	static const char map[] = "61234 61234 1\n";
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};
	char path[64], b = 1;
	int sv[2], ns_fd = -1, status;
	bool ok = false;
	pid_t pid, s;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	if (pid == 0) {
		close(sv[0]);
		if (unshare(CLONE_NEWUSER) < 0 || write(sv[1], &b, 1) != 1)
			_exit(1);
		while (read(sv[1], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sv[1]);
	if (read(sv[0], &b, 1) == 1 && write_proc(pid, "uid_map", map) &&
		write_proc(pid, "setgroups", "deny") && write_proc(pid, "gid_map", map)) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ns_fd < 0)
		return false;

	s = fork();
	if (s == 0) {
		if (setns(ns_fd, CLONE_NEWUSER) < 0 ||
			setresgid(USERNS_ID, USERNS_ID, USERNS_ID) < 0 ||
			setresuid(USERNS_ID, USERNS_ID, USERNS_ID) < 0)
			_exit(1);
		for (int cap = 0; cap <= 63; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				_exit(1);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
			syscall(SYS_capset, &hdr, data) < 0)
			_exit(1);
		_exit(getuid() == USERNS_ID ? 0 : 1);
	}
	if (s > 0) {
		while (waitpid(s, &status, 0) < 0 && errno == EINTR)
			;
		ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	close(ns_fd);
	return ok;
}

/* The join floor's server: builds its namespaces, then answers until killed. */
static _Noreturn void join_server(int listen_fd, int sync_fd)
{
	static const char host[] = "floor-bench";
	int self_pidfd;
	char c = 1;

	if (unshare(NS_FLAGS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
		mount("floor", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=25%") < 0 ||
		mount("floor", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=25%") <
			0 ||
		sethostname(host, sizeof(host) - 1) < 0)
		_exit(1);
	self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self_pidfd < 0 || write(sync_fd, &c, 1) != 1)
		_exit(1);
	close(sync_fd);
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int cfd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), fd;

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0 &&
			recv_fd(cfd, &fd)) {
			if (fd >= 0)
				close(fd);
			(void)send_fd(cfd, self_pidfd);
		}
		close(cfd);
	}
}

/* One login's join, timed in a forked child; 0 on success. */
static _Noreturn void join_login(const char *path, int out_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t t0, t1;
	int self, s, pidfd;

	t0 = now_ns();
	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (self < 0 || s < 0)
		_exit(1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !send_fd(s, self) ||
		!recv_fd(s, &pidfd) || pidfd < 0 || setns(pidfd, NS_FLAGS) < 0)
		_exit(1);
	t1 = now_ns() - t0;
	_exit(write(out_fd, &t1, sizeof(t1)) == sizeof(t1) ? 0 : 1);
}

/*
 * Bind a listening socket at path (path_len < sizeof sun_path) and fork the
 * join server on it; returns its pid once it answers, or -1 (nothing left).
 */
static pid_t start_server(const char *path, const char *what)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd, sv[2], status;
	pid_t server;
	char b;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror(what);
		return -1;
	}
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0) {
		close(sv[0]);
		join_server(lfd, sv[1]);
	}
	close(sv[1]);
	close(lfd);
	if (read(sv[0], &b, 1) != 1) {
		fputs("floor: the join server did not come up\n", stderr);
		kill(server, SIGKILL);
		while (waitpid(server, &status, 0) < 0 && errno == EINTR)
			;
		server = -1;
	}
	close(sv[0]);
	return server;
}

static int join_floor(unsigned n, unsigned warmup)
{
	char dir[] = "/tmp/floor-join.XXXXXX", path[64];
	uint64_t *t = calloc(n, sizeof(*t));
	int status, rc = 0;
	unsigned fails = 0;
	size_t got = 0;
	pid_t server;

	if (!t || !mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/s", dir);
	server = start_server(path, "floor: join socket");
	if (server < 0) {
		unlink(path);
		rmdir(dir);
		return 2;
	}
	fflush(NULL);
	for (unsigned it = 0; it < warmup + n; it++) {
		uint64_t v = 0;
		int p[2];
		bool ok;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0) {
			rc = 2;
			goto out;
		}
		pid = fork();
		if (pid < 0) {
			rc = 2;
			goto out;
		}
		if (pid == 0) {
			close(p[0]);
			join_login(path, p[1]);
		}
		close(p[1]);
		ok = read(p[0], &v, sizeof(v)) == sizeof(v);
		close(p[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (it < warmup)
			continue;
		if (!ok) {
			fails++;
			continue;
		}
		t[got++] = v;
	}
	qsort(t, got, sizeof(*t), cmp_u64);
	printf("RESULT joinfloor n=%zu fails=%u p50=%.1f p90=%.1f p99=%.1f\n", got, fails,
		pct(t, got, 50), pct(t, got, 90), pct(t, got, 99));
	rc = fails ? 1 : 0;
out:
	kill(server, SIGKILL);
	while (waitpid(server, &status, 0) < 0 && errno == EINTR)
		;
	unlink(path);
	rmdir(dir);
	return rc;
}

/* The child of vfork only execs or _exits, in this frame. */
static __attribute__((noinline)) pid_t spawn(char **argv)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* vfork + execve + exit + reap, n times; stdout and stderr of the program to /dev/null. */
static int exec_cost(unsigned n, unsigned warmup, char **argv)
{
	uint64_t *t = calloc(n, sizeof(*t));
	size_t got = 0;
	unsigned fails = 0;
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (!t || devnull < 0)
		return 2;
	fflush(NULL);
	for (unsigned it = 0; it < warmup + n; it++) {
		int status = -1, out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
		uint64_t t0;
		pid_t pid;

		/* The child of vfork may only execve or _exit: redirect here, in the parent. */
		if (out < 0 || err < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
			dup2(devnull, STDERR_FILENO) < 0)
			return 2;
		t0 = now_ns();
		pid = spawn(argv);
		if (pid > 0)
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		if (it >= warmup)
			t[got] = now_ns() - t0;
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		close(out);
		close(err);
		if (it < warmup)
			continue;
		if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 127) {
			fails++;
			continue;
		}
		got++;
	}
	qsort(t, got, sizeof(*t), cmp_u64);
	printf("RESULT exec path=%s n=%zu fails=%u p50=%.1f p90=%.1f p99=%.1f\n", argv[0], got,
		fails, pct(t, got, 50), pct(t, got, 90), pct(t, got, 99));
	return fails ? 1 : 0;
}

/* Sum the fields named in want (kB) from one /proc file. */
static long proc_kb(pid_t pid, const char *file, const char *want)
{
	char path[64], line[256];
	long sum = 0, v;
	size_t len = strlen(want);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, want, len) == 0 && sscanf(line + len, " %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

static int idle_rss(void)
{
	int sv[2];
	pid_t pid;
	char b = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(sv[0]);
		if (write(sv[1], &b, 1) != 1)
			_exit(1);
		while (read(sv[1], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sv[1]);
	if (read(sv[0], &b, 1) != 1)
		return 2;
	printf("RESULT rss vmrss=%ld rss_file=%ld rss_anon=%ld pss=%ld private=%ld\n",
		proc_kb(pid, "status", "VmRSS:"), proc_kb(pid, "status", "RssFile:"),
		proc_kb(pid, "status", "RssAnon:"), proc_kb(pid, "smaps_rollup", "Pss:"),
		proc_kb(pid, "smaps_rollup", "Private_Clean:") +
			proc_kb(pid, "smaps_rollup", "Private_Dirty:"));
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
}

/* floor --serve PATH (above). */
static int serve(const char *path)
{
	struct sockaddr_un sa;
	int status;
	pid_t server;
	char b;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 2;
	server = start_server(path, "floor: serve socket");
	if (server < 0) {
		unlink(path);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, &b, 1) > 0 || errno == EINTR)
		;
	kill(server, SIGKILL);
	while (waitpid(server, &status, 0) < 0 && errno == EINTR)
		;
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iterations", required_argument, NULL, 'n'},
		{"warmup", required_argument, NULL, 'W'},
		{"full", no_argument, NULL, 'f'},
		{"userns", no_argument, NULL, 'U'},
		{"rss", no_argument, NULL, 'R'},
		{"exec", no_argument, NULL, 'E'},
		{"noop", no_argument, NULL, 'N'},
		{"join", no_argument, NULL, 'J'},
		{"serve", required_argument, NULL, 'S'},
		{},
	};
	unsigned n = 500, warmup = 20, fails = 0;
	bool full = false, userns = false, exec = false, join = false;
	uint64_t *create, *whole;
	size_t got = 0;
	int self_mnt, self_ipc, self_uts, c;

	while ((c = getopt_long(argc, argv, "+n:W:f", opts, NULL)) >= 0) {
		switch (c) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'W':
			warmup = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			full = true;
			break;
		case 'U':
			userns = true;
			break;
		case 'R':
			return idle_rss();
		case 'N':
			return 0;
		case 'E':
			exec = true;
			break;
		case 'J':
			join = true;
			break;
		case 'S':
			return serve(optarg);
		default:
			fputs("usage: floor [-n N] [-W WARMUP] [--full] [--userns]\n"
			      "       floor [-n N] [-W WARMUP] --join\n"
			      "       floor --serve PATH\n"
			      "       floor [-n N] [-W WARMUP] --exec PATH [ARG...]\n"
			      "       floor --rss | --noop\n",
				stderr);
			return 2;
		}
	}
	if (n == 0)
		n = 1;
	if (exec) {
		if (optind >= argc) {
			fputs("floor: --exec needs a PATH\n", stderr);
			return 2;
		}
		return exec_cost(n, warmup, argv + optind);
	}
	if (join)
		return join_floor(n, warmup);
	create = calloc(n, sizeof(*create));
	whole = calloc(n, sizeof(*whole));
	if (!create || !whole)
		return 2;

	/* To come back after each join. */
	self_mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	self_ipc = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	self_uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (self_mnt < 0 || self_ipc < 0 || self_uts < 0) {
		perror("floor: open /proc/self/ns");
		return 2;
	}

	for (unsigned it = 0; it < warmup + n; it++) {
		int sv[2], pidfd, status;
		uint64_t t0, t1, t2;
		bool ok = true;
		pid_t pid;
		char b;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			perror("floor: socketpair");
			return 2;
		}
		t0 = now_ns();
		pid = fork();
		if (pid < 0) {
			perror("floor: fork");
			return 2;
		}
		if (pid == 0) {
			close(sv[0]);
			child(sv[1], full);
		}
		close(sv[1]);
		if (read(sv[0], &b, 1) != 1)
			ok = false;
		pidfd = ok ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
		if (pidfd < 0 || setns(pidfd, NS_FLAGS) < 0)
			ok = false;
		if (ok && userns && !userns_work())
			ok = false;
		t1 = now_ns();
		if (ok && (setns(self_mnt, CLONE_NEWNS) < 0 || setns(self_ipc, CLONE_NEWIPC) < 0 ||
				  setns(self_uts, CLONE_NEWUTS) < 0)) {
			perror("floor: cannot go back to the original namespaces");
			kill(pid, SIGKILL);
			return 2;
		}
		if (pidfd >= 0)
			close(pidfd);
		close(sv[0]); /* EOF: the child exits */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		t2 = now_ns();
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = false;
		if (it < warmup)
			continue;
		if (!ok) {
			fails++;
			continue;
		}
		create[got] = t1 - t0;
		whole[got] = t2 - t0;
		got++;
	}

	qsort(create, got, sizeof(*create), cmp_u64);
	qsort(whole, got, sizeof(*whole), cmp_u64);
	printf("RESULT floor full=%d userns=%d n=%zu fails=%u p50=%.1f p90=%.1f p99=%.1f "
	       "teardown_p50=%.1f teardown_p99=%.1f\n",
		full, userns, got, fails, pct(create, got, 50), pct(create, got, 90),
		pct(create, got, 99), pct(whole, got, 50), pct(whole, got, 99));
	return fails ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sec-probe: what an attacker inside (or outside) a session tries, one
 * syscall per subcommand, each printing NAME=OK or NAME=ERRNONAME so that
 * the t-sec-*.sh scripts assert on the errno, not on "it failed":
 *
 *   sec-probe fds [PID]          one line per fd: "fd N -> target"
 *   sec-probe kill PID SIG       kill=OK | kill=EPERM ...
 *   sec-probe ptrace PID         PTRACE_ATTACH (detached again at once)
 *   sec-probe connect PATH       SOCK_SEQPACKET connect()
 *   sec-probe open PATH          open(O_RDONLY)
 *   sec-probe setns PATH         open + setns(fd, 0)
 *   sec-probe umount PATH        umount2(PATH, MNT_DETACH)
 *   sec-probe sethostname NAME   sethostname()
 *   sec-probe tiocsti TEXT       push TEXT into the tty on fd 0 (TIOCSTI)
 *   sec-probe fill DIR N         create N empty files DIR/f.K: fill=OK or
 *                                fill=ERRNONAME at=K
 *   sec-probe hold SECONDS       print "held" and sleep (bounded)
 *   sec-probe vmshare PID        the other processes whose address space is
 *                                PID's (kcmp KCMP_VM): "vmshare=N" and, if
 *                                any, " pids=P,Q"
 *   sec-probe vmshare-check      the same for itself with a CLONE_VM child
 *                                of its own: "vmshare=1 pids=CHILD"
 *   sec-probe capless-seize PID  as root with only CAP_SYS_PTRACE and CAP_KILL
 *                                permitted and nothing effective (the anchor's
 *                                permitted set), PTRACE_SEIZE (and detach): only
 *                                a dumpable process of uid 0 lets it
 *                                (capless-seize=OK | capless-seize=EPERM)
 *   sec-probe capless-seize-check the same against a dumpable child of its
 *                                own with those capabilities: capless-seize=OK
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <linux/capability.h>

static int result(const char *what, int ok)
{
	if (ok)
		printf("%s=OK\n", what);
	else
		printf("%s=%s\n", what, strerrorname_np(errno) ?: "E?");
	fflush(stdout);
	return ok ? 0 : 1;
}

static int list_fds(const char *pid)
{
	char dir[64], path[320], target[4096];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return result("fds", 0);
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		/* Our own directory handle is not one of the process's fds. */
		if (strcmp(pid, "self") == 0 && atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		printf("fd %s -> %s\n", de->d_name, target);
	}
	closedir(d);
	return 0;
}

static int pause_child(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

static int vmshare(pid_t pid)
{
	char pids[1024] = "";
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d || kill(pid, 0) < 0) {
		printf("vmshare=%s\n", strerrorname_np(errno) ?: "E?");
		return 1;
	}
	while ((de = readdir(d))) {
		pid_t other = atoi(de->d_name);

		if (other <= 0 || other == pid)
			continue;
		/* /proc lists processes, not threads: only other processes count. */
		if (syscall(SYS_kcmp, pid, other, KCMP_VM, 0, 0) == 0) {
			size_t l = strlen(pids);

			snprintf(pids + l, sizeof(pids) - l, "%s%d", n ? "," : "", other);
			n++;
		}
	}
	closedir(d);
	printf(n ? "vmshare=%d pids=%s\n" : "vmshare=%d\n", n, pids);
	return 0;
}

/* Permitted: CAP_SYS_PTRACE and CAP_KILL; effective and inheritable: none. */
static int capless(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {{0}};

	d[0].permitted = (1u << CAP_SYS_PTRACE) | (1u << CAP_KILL);
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -1;
}

/* ptrace's own check takes the permitted set (a /proc file's, the
 * effective one): with nothing effective, only dumpable lets it through. */
static int capless_seize(pid_t pid)
{
	if (capless() < 0)
		return result("capset", 0);
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0)
		return result("capless-seize", 0);
	(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return result("capless-seize", 1);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "fds") == 0)
		return list_fds(argc > 2 ? argv[2] : "self");
	if (strcmp(cmd, "kill") == 0 && argc == 4)
		return result("kill", kill(atoi(argv[2]), atoi(argv[3])) == 0);
	if (strcmp(cmd, "ptrace") == 0 && argc == 3) {
		pid_t pid = atoi(argv[2]);

		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
			return result("ptrace", 0);
		(void)waitpid(pid, NULL, __WALL);
		(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return result("ptrace", 1);
	}
	if (strcmp(cmd, "connect") == 0 && argc == 3) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
		return result("connect", fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	}
	if (strcmp(cmd, "open") == 0 && argc == 3)
		return result("open", open(argv[2], O_RDONLY | O_CLOEXEC | O_NONBLOCK) >= 0);
	if (strcmp(cmd, "setns") == 0 && argc == 3) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		return result("setns", fd >= 0 && setns(fd, 0) == 0);
	}
	if (strcmp(cmd, "sethostname") == 0 && argc == 3)
		return result("sethostname", sethostname(argv[2], strlen(argv[2])) == 0);
	if (strcmp(cmd, "umount") == 0 && argc == 3)
		return result("umount", umount2(argv[2], MNT_DETACH) == 0);
	if (strcmp(cmd, "tiocsti") == 0 && argc == 3) {
		int ok = 1;

		for (const char *p = argv[2]; *p && ok; p++)
			ok = ioctl(0, TIOCSTI, p) == 0;
		return result("tiocsti", ok);
	}
	if (strcmp(cmd, "fill") == 0 && argc == 4) {
		int n = atoi(argv[3]);
		char path[4096];

		for (int i = 0; i < n; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/f.%d", argv[2], i);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0) {
				printf("fill=%s at=%d\n", strerrorname_np(errno) ?: "E?", i);
				return 1;
			}
			close(fd);
		}
		return result("fill", 1);
	}
	if (strcmp(cmd, "vmshare") == 0 && argc == 3)
		return vmshare(atoi(argv[2]));
	if (strcmp(cmd, "vmshare-check") == 0) {
		/* The control: a child in our address space must be seen. */
		static char stack[16384] __attribute__((aligned(16)));
		pid_t child = clone(pause_child, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
		int r;

		if (child < 0)
			return result("clone", 0);
		r = vmshare(getpid());
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return r;
	}
	if (strcmp(cmd, "capless-seize") == 0 && argc == 3)
		return capless_seize(atoi(argv[2]));
	if (strcmp(cmd, "capless-seize-check") == 0) {
		int p[2], r;
		pid_t child;
		char c;

		if (pipe(p) < 0)
			return result("pipe", 0);
		child = fork();
		if (child == 0) {
			/* The anchor's capabilities, and dumpable. */
			if (capless() == 0)
				(void)write(p[1], "x", 1);
			pause();
			_exit(0);
		}
		if (child < 0 || read(p[0], &c, 1) != 1)
			return result("child", 0);
		r = capless_seize(child);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return r;
	}
	if (strcmp(cmd, "hold") == 0 && argc == 3) {
		printf("held\n");
		fflush(stdout);
		sleep((unsigned)atoi(argv[2]));
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of probe.c\n");
	return 2;
}

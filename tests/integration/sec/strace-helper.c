/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A helper= wrapper that runs the real helper under strace fault
 * injection, for t-sec-syscalls. Compiled with
 *
 *   -DREAL_HELPER='"/path/pam_ns-helper"' -DSPEC_FILE='"/root-only/spec"'
 *   -DPID_DIR='"/root-only/dir"'
 *
 * SPEC_FILE holds one strace qualifier, e.g. "inject=mount:error=ENOSPC",
 * and optionally on a second line a file for strace's output (debugging;
 * default /dev/null). An empty SPEC_FILE: exec the real helper untraced.
 *
 * The wrapper (the module's child) forks the helper's process, which waits
 * until `strace -f -e SPEC -p <it>` is attached and then execs the real
 * helper with fd 3 and the same argv and environment; strace follows it
 * into the anchor it forks. The wrapper closes its copy of fd 3, waits
 * (blocking) for the helper and exits with its status.
 *
 * Why not let strace attach to the module's own child: a traced zombie is
 * only visible to its tracer until the tracer lets go, so the module's
 * waitid(WNOHANG) after the pidfd turns readable could miss the exit and
 * deny the login for a reason that is strace's, not pam_ns's. The wrapper
 * is never traced; its blocking waitpid() sees the helper once strace has.
 *
 * After strace attaches, the helper's process only calls pread64,
 * nanosleep, close and execve before the real helper, so "when=N" counts
 * the helper's own calls. strace's pid goes to PID_DIR/strace.PID so the
 * test can make sure none outlives it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int tracer(int fd)
{
	char buf[4096], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nTracerPid:");
	return p ? atoi(p + strlen("\nTracerPid:")) : 0;
}

int main(int argc, char **argv)
{
	char spec[512] = "", out[512] = "/dev/null", target[16], path[4096];
	FILE *f = fopen(SPEC_FILE, "re");
	int sync[2], st = 0;
	pid_t helper, st_pid;

	(void)argc;
	if (f) {
		if (!fgets(spec, sizeof(spec), f))
			spec[0] = 0;
		if (!fgets(out, sizeof(out), f))
			snprintf(out, sizeof(out), "/dev/null");
		fclose(f);
		spec[strcspn(spec, "\n")] = 0;
		out[strcspn(out, "\n")] = 0;
	}
	if (!spec[0])
		execv(REAL_HELPER, argv);

	if (pipe2(sync, O_CLOEXEC) < 0)
		return 126;
	helper = fork();
	if (helper < 0)
		return 126;
	if (helper == 0) {
		int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
		char c;

		/* Killed with the wrapper (the module's timeout). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sync[1]);
		/* The wrapper says strace is started (or failed to start). */
		if (read(sync[0], &c, 1) != 1)
			_exit(126);
		for (int i = 0; i < 1000 && tracer(status_fd) == 0; i++) {
			struct timespec ts = { 0, 5000000L };

			nanosleep(&ts, NULL);
		}
		close(status_fd);
		execv(REAL_HELPER, argv);
		_exit(127);
	}

	snprintf(target, sizeof(target), "%d", helper);
	st_pid = fork();
	if (st_pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* strace must not keep the module's socket open. */
		close(3);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		setsid();
		execl("/usr/bin/timeout", "timeout", "60", "strace", "-f", "-qq", "-tt", "-o", out,
				"-e", spec, "-p", target, (char *)NULL);
		_exit(127);
	}
	if (st_pid > 0) {
		int fd;

		snprintf(path, sizeof(path), "%s/strace.%d", PID_DIR, st_pid);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	/* The socket is the helper's now: EOF must come when it closes it. */
	close(3);
	(void)!write(sync[1], "x", 1);
	close(sync[1]);
	close(sync[0]);
	while (waitpid(helper, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A helper= wrapper that runs the real helper under strace fault
 * injection, for t-sec-syscalls. Compiled with
 *
 *   -DREAL_HELPER='"/path/pam_ns-helper"' -DSPEC_FILE='"/root-only/spec"'
 *   -DPID_DIR='"/root-only/dir"'
 *
 * SPEC_FILE holds one strace qualifier, e.g. "inject=mount:error=ENOSPC".
 * The wrapper starts `strace -f -e SPEC -p <its own pid>` (without the
 * module's socket on fd 3), waits until strace is attached, then execs the
 * real helper on the same pid. So the module still talks to and reaps the
 * real helper, strace follows it into the anchor it forks, and strace ends
 * when the last traced process does. strace's pid goes to
 * PID_DIR/strace.PID so the test can make sure none outlives it.
 *
 * After strace attaches, the wrapper only calls pread64, nanosleep, close
 * and execve, so "when=N" counts the helper's own calls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	char spec[512] = "", self[16], path[4096];
	FILE *f = fopen(SPEC_FILE, "re");
	int status_fd;
	pid_t pid;

	(void)argc;
	if (f) {
		if (!fgets(spec, sizeof(spec), f))
			spec[0] = 0;
		fclose(f);
		spec[strcspn(spec, "\n")] = 0;
	}
	if (!spec[0])
		execv(REAL_HELPER, argv);

	snprintf(self, sizeof(self), "%d", getpid());
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* strace must not keep the module's socket open. */
		close(3);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execl("/usr/bin/timeout", "timeout", "60", "strace", "-f", "-qq", "-o", "/dev/null",
				"-e", spec, "-p", self, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		int fd;

		snprintf(path, sizeof(path), "%s/strace.%d", PID_DIR, pid);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	for (int i = 0; pid > 0 && i < 1000 && tracer(status_fd) == 0; i++) {
		struct timespec ts = { 0, 5000000L };

		nanosleep(&ts, NULL);
	}
	close(status_fd);
	execv(REAL_HELPER, argv);
	return 127;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A recording helper: pam_ns.so runs it as its helper= program; it writes
 * what it was given (argv, environment, descriptors, ids, signal state,
 * whether a marker library got mapped into it) to REC_DIR/rec.PID, then
 * execs the real helper with the same argv and environment, on the same
 * pid. Compiled per test with
 *
 *   -DREAL_HELPER='"/path/pam_ns-helper"' -DREC_DIR='"/root-only/dir"'
 *   [-DREC_PAUSE_MS=N]   sleep N ms before the exec, after writing the
 *                        record, so the test can try to signal this pid
 *   [-DREC_HOSTILE_SIGNALS=1]  exec the real helper with the signals it
 *                        must answer to ignored (and every signal still
 *                        blocked, as the module starts it): its anchor
 *                        must show none blocked and only SIGPIPE ignored.
 *   [-DREC_WAIT=1]       run the real helper as a child instead of exec'ing
 *                        it, and append "helper_exit=N" (or
 *                        "helper_signal=N") to the record when it ends: a
 *                        record with helper_exit shows the helper finished
 *                        by itself, not killed at the module's timeout
 *
 * Everything is read before the record file is opened, so the record
 * shows the descriptors exactly as the module handed them over.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef REC_PAUSE_MS
#define REC_PAUSE_MS 0
#endif
#ifndef REC_HOSTILE_SIGNALS
#define REC_HOSTILE_SIGNALS 0
#endif
#ifndef REC_WAIT
#define REC_WAIT 0
#endif

extern char **environ;

static char rec[65536];
static size_t len;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len >= sizeof(rec))
		return;
	va_start(ap, fmt);
	n = vsnprintf(rec + len, sizeof(rec) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof(rec) - len ? (size_t)n : sizeof(rec) - len - 1;
}

static void add_status_lines(void)
{
	static const char *const keys[] = { "Uid:", "Gid:", "Groups:", "SigBlk:", "SigIgn:",
		"SigCgt:", "CapEff:", "NoNewPrivs:" };
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				add("status %s", line);
	fclose(f);
}

static void add_fds(void)
{
	char path[300], target[4096];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return;
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		add("fd %s -> %s\n", de->d_name, target);
	}
	closedir(d);
}

static void add_maps(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "re");
	int marker = 0;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "libsecmark"))
				marker = 1;
		fclose(f);
	}
	add("preload_marker=%s\n", marker ? "mapped" : "absent");
}

int main(int argc, char **argv)
{
	char path[4096], cwd[4096];
	int fd;

	add("pid=%d\n", getpid());
	add("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		add("argv[%d]=%s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		add("env %s\n", *e);
	add_fds();
	add_status_lines();
	add_maps();
	{
		mode_t m = umask(0077);

		umask(m);
		add("umask=%04o\n", (unsigned)m);
	}
	add("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	add("end\n");

	snprintf(path, sizeof(path), "%s/rec.%d", REC_DIR, getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		(void)!write(fd, rec, len);
		close(fd);
	}
	if (REC_PAUSE_MS > 0) {
		struct timespec ts = { REC_PAUSE_MS / 1000, (REC_PAUSE_MS % 1000) * 1000000L };

		snprintf(path, sizeof(path), "%s/paused.%d", REC_DIR, getpid());
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			close(fd);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (REC_WAIT) {
		int st = 0;
		pid_t pid = fork();

		if (pid == 0) {
			/* Killed at the module's timeout with us. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execv(REAL_HELPER, argv);
			_exit(127);
		}
		/* The socket is the helper's now: the module must see EOF when
		 * the helper closes it, not wait for us. */
		close(3);
		while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		snprintf(path, sizeof(path), "%s/rec.%d", REC_DIR, getpid());
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			char line[64];
			int n = WIFEXITED(st) ? snprintf(line, sizeof(line), "helper_exit=%d\n", WEXITSTATUS(st))
					      : snprintf(line, sizeof(line), "helper_signal=%d\n", WTERMSIG(st));

			(void)!write(fd, line, (size_t)n);
			close(fd);
		}
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		return 128 + WTERMSIG(st);
	}
	if (REC_HOSTILE_SIGNALS) {
		static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM, SIGCHLD,
			SIGUSR1, SIGUSR2, SIGPIPE };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_IGN);
	}
	execv(REAL_HELPER, argv);
	return 127;
}

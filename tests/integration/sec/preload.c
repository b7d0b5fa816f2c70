/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsecmark.so: a harmless LD_PRELOAD library. t-sec-env sets LD_PRELOAD
 * to it for su and ssh. When SECMARK_LOG names a file, every process that
 * loads it appends "loaded pid=N exe=PATH" there, which shows the plant
 * took (su really ran with it); the recording helper separately reports
 * whether it got mapped into the helper (it must not: the helper's
 * environment is fixed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pam_ns_secmark_loaded = 1;

__attribute__((constructor)) static void secmark(void)
{
	const char *log = getenv("SECMARK_LOG");
	char exe[512], line[700];
	ssize_t n;
	int fd, len;

	if (!log || !*log)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "loaded pid=%d exe=%s\n", getpid(), exe);
	if (len > 0)
		(void)!write(fd, line, (size_t)len);
	close(fd);
}

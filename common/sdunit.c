/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fdutil.h"
#include "common/sdunit.h"

int pns_unit_name(uint32_t uid, uint64_t set_id, char *buf, size_t size)
{
	int n = snprintf(
		buf, size, "pam_ns-%u-%016llx.scope", (unsigned)uid, (unsigned long long)set_id);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n > m && memcmp(s + n - m, suffix, m) == 0;
}

/* The path of the line that starts with prefix, up to its newline. */
static const char *find_line(const char *text, const char *prefix, size_t *ret_len)
{
	size_t m = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, prefix, m) == 0) {
			*ret_len = strcspn(l + m, "\n");
			return l + m;
		}
	return NULL;
}

static const char *find_v1_systemd(const char *text, size_t *ret_len)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c = strchr(l, ':'), *nl = strchr(l, '\n');

		if (!c || (nl && c > nl))
			continue;
		if (strncmp(c + 1, "name=systemd:", 13) == 0) {
			*ret_len = strcspn(c + 14, "\n");
			return c + 14;
		}
	}
	return NULL;
}

int pns_cgroup_unit(const char *text, char *buf, size_t size)
{
	const char *path, *unit = NULL;
	size_t len, unit_len = 0;

	path = find_line(text, "0::", &len);
	if (!path)
		path = find_v1_systemd(text, &len);
	if (!path)
		return -ENOENT;
	for (size_t i = 0; i < len;) {
		size_t n;

		while (i < len && path[i] == '/')
			i++;
		for (n = 0; i + n < len && path[i + n] != '/';)
			n++;
		if (n > 0 &&
			(ends_with(path + i, n, ".scope") || ends_with(path + i, n, ".service") ||
				ends_with(path + i, n, ".slice"))) {
			unit = path + i;
			unit_len = n;
		}
		i += n;
	}
	if (!unit) {
		unit = "-";
		unit_len = 1;
	}
	if (unit_len >= size)
		return -ENOBUFS;
	memcpy(buf, unit, unit_len);
	buf[unit_len] = 0;
	return 0;
}

int pns_fdinfo_pid(const char *text, pid_t *ret)
{
	const char *v = NULL;
	char *end;
	long pid;
	size_t len;

	v = find_line(text, "Pid:", &len);
	if (!v)
		return -EBADMSG;
	errno = 0;
	pid = strtol(v, &end, 10);
	if (errno || end == v || (*end != '\n' && *end != 0) || pid < -1 || pid > 0x3fffffff)
		return -EBADMSG;
	if (pid <= 0)
		return -ESRCH;
	*ret = (pid_t)pid;
	return 0;
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return negative_errno();
	n = read(fd, buf, size - 1);
	if (n < 0)
		return negative_errno();
	buf[n] = 0;
	return 0;
}

int pns_pidfd_to_pid(int pidfd, pid_t *ret)
{
	char path[64], buf[1024];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return pns_fdinfo_pid(buf, ret);
}

int pns_pid_unit(pid_t pid, char *buf, size_t size)
{
	char path[64], text[2048];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	r = read_small_file(path, text, sizeof(text));
	if (r < 0)
		return r;
	return pns_cgroup_unit(text, buf, size);
}

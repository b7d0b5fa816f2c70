/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which processes are in a set: the anchor's walk of /proc (DESIGN.md,
 * "Lifetime of a set"). A process is in the set while any of its threads
 * is in any of the set's namespaces.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "common/namespace.h"
#include "helper/helper.h"

/* The set's namespaces as the anchor sees them, once it is built (helper.h). */
int members_init(struct set_members *m, unsigned namespaces, int userns_fd)
{
	struct stat st;
	char path[32];

	m->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->proc_fd < 0)
		return negative_errno();

	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		/* The user namespace is below: the anchor is not in it. */
		if (i == PNS_NSI_USER || !(namespaces & pns_namespace_info[i].bit))
			continue;
		snprintf(path, sizeof(path), "self/ns/%s", pns_namespace_info[i].proc_name);
		if (fstatat(m->proc_fd, path, &st, 0) < 0)
			return negative_errno();
		m->ns_ino[i] = st.st_ino;
	}
	/* We have one thread. */
	if (fstatat(m->proc_fd, "self/task", &st, 0) < 0)
		return negative_errno();
	m->task_nlink_one = st.st_nlink;
	/* The anchor is not in the user namespace: it only holds it. */
	if (userns_fd >= 0) {
		if (fstat(userns_fd, &st) < 0)
			return negative_errno();
		m->ns_ino[PNS_NSI_USER] = st.st_ino;
	}
	return 0;
}

/* Is the thread whose /proc directory is DIR ("PID" or "PID/task/TID") in
 * one of the set's namespaces? 1 yes, 0 no, -errno if none of its namespaces
 * could be read (the thread has exited: a main thread that called
 * pthread_exit() has no namespaces while the others run). readlink() of
 * /proc/.../ns/X ("mnt:[INODE]", made from the namespace itself) costs
 * about 60% of a stat() through the link, which resolves it in nsfs. */
static int thread_in_set(const struct set_members *m, const char *dir)
{
	char path[64 + sizeof(((struct dirent *)0)->d_name)], link[64], want[64];
	int r = -ENOENT;
	ssize_t n;

	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		if (m->ns_ino[i] == 0)
			continue;
		snprintf(path, sizeof(path), "%s/ns/%s", dir, pns_namespace_info[i].proc_name);
		n = readlinkat(m->proc_fd, path, link, sizeof(link) - 1);
		if (n < 0) {
			r = negative_errno();
			continue;
		}
		link[n] = 0;
		snprintf(want, sizeof(want), "%s:[%llu]", pns_namespace_info[i].proc_name,
			(unsigned long long)m->ns_ino[i]);
		if (strcmp(link, want) == 0)
			return 1;
		r = 0;
	}
	return r;
}

/*
 * A process is in the set if any of its live threads is (DESIGN.md,
 * "Lifetime of a set"). The main thread answers for nearly every process;
 * the others are looked at only when /proc/PID/task counts more than one
 * thread or the main thread has exited.
 */
bool members_has(const struct set_members *m, const char *pid)
{
	char path[32 + sizeof(((struct dirent *)0)->d_name)];
	struct stat st;
	struct dirent *de;
	bool found = false;
	int r, dfd;
	DIR *d;

	r = thread_in_set(m, pid);
	if (r > 0)
		return true;
	snprintf(path, sizeof(path), "%s/task", pid);
	/* Its link count is 2 plus the number of threads (a zombie main
	 * thread included): one thread, and we have just read its namespaces. */
	if (r == 0 && fstatat(m->proc_fd, path, &st, 0) == 0 && st.st_nlink <= m->task_nlink_one)
		return false;
	dfd = openat(m->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || strcmp(de->d_name, pid) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/task/%s", pid, de->d_name);
		found = thread_in_set(m, path) > 0;
	}
	closedir(d);
	return found;
}

/* Signal a member through a pidfd, after checking it still is one. */
static void kill_member(const struct set_members *m, pid_t pid, const char *name)
{
	int fd = pns_pidfd_open(pid);

	if (fd < 0)
		return;
	if (members_has(m, name))
		(void)pns_pidfd_send_signal(fd, SIGKILL);
	close(fd);
}

/* Find the processes in the set (any of its namespaces), not counting us:
 * the first one, all of them, or all of them killed with SIGKILL. */
int members_walk(const struct set_members *m, enum members_walk_mode mode, unsigned *ret_count,
	pid_t *ret_first)
{
	int r;
	unsigned count = 0;
	pid_t first = 0, self = getpid();
	struct dirent *de;
	DIR *d;

	r = pns_opendir_at(m->proc_fd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		if (!members_has(m, de->d_name))
			continue;
		if (count++ == 0)
			first = (pid_t)pid;
		if (mode == MEMBERS_KILL)
			kill_member(m, (pid_t)pid, de->d_name);
		else if (mode == MEMBERS_FIRST)
			break;
	}
	closedir(d);
	*ret_count = count;
	*ret_first = first;
	return 0;
}

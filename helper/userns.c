/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set's user namespace: created and owned by root, with maps that keep
 * the account itself. The anchor never enters it; it only keeps a handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "helper/helper.h"

static int write_file_at(int dir_fd, const char *name, const char *text)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);
	ssize_t n;

	fd = openat(dir_fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	/* The kernel takes a map in a single write(). */
	n = write(fd, text, len);
	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EIO;
}

static int write_maps(int proc_fd, const struct pns_plan *plan)
{
	char map[8192];
	int r;

	r = pns_plan_uid_map(plan, map, sizeof(map));
	if (r < 0)
		return r;
	r = write_file_at(proc_fd, "uid_map", map);
	if (r < 0) {
		helper_log(
			LOG_ERR, "Failed to write uid_map for uid %u: %s", plan->uid, strerror(-r));
		return r;
	}
	/* Before gid_map, as user_namespaces(7) requires. "deny" is inherited
	 * by nested user namespaces, so no one inside can drop a group to get
	 * past a negative group permission (CVE-2014-8989, CVE-2018-7169). */
	r = write_file_at(proc_fd, "setgroups", "deny");
	if (r < 0)
		return r;
	r = pns_plan_gid_map(plan, map, sizeof(map));
	if (r < 0)
		return r;
	r = write_file_at(proc_fd, "gid_map", map);
	if (r < 0)
		helper_log(
			LOG_ERR, "Failed to write gid_map for uid %u: %s", plan->uid, strerror(-r));
	return r;
}

int anchor_create_userns(const struct pns_plan *plan)
{
	_cleanup_close_ int proc_fd = -1, ns_fd = -1;
	int sync[2], r;
	char path[32], c;
	struct statfs sfs;
	uid_t owner = (uid_t)-1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		r = negative_errno();
		pns_close_many(sync, 2);
		return r;
	}
	if (pid == 0) {
		close(sync[0]);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Created by a root process in the initial user namespace:
		 * the new namespace is owned by uid 0, never by the user. */
		c = unshare(CLONE_NEWUSER) < 0 ? 'E' : 'K';
		(void)send(sync[1], &c, 1, MSG_NOSIGNAL);
		/* Wait for the maps; EOF when the anchor is done with us. */
		if (read(sync[1], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(sync[1]);

	/* Our child, not yet reaped: its pid cannot be reused, so this
	 * directory is the child and stays the child (CVE-2025-52881 class). */
	snprintf(path, sizeof(path), "/proc/%d", pid);
	proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (proc_fd < 0)
		r = negative_errno();
	else if (fstatfs(proc_fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		r = -EXDEV; /* something is mounted over /proc */
	else if (pns_wait_fd(sync[0], POLLIN, pns_now_usec() + 2000000) < 0 ||
		 read(sync[0], &c, 1) != 1 || c != 'K')
		r = -ECHILD;
	else
		r = write_maps(proc_fd, plan);
	if (r >= 0) {
		ns_fd = openat(proc_fd, "ns/user", O_RDONLY | O_CLOEXEC);
		if (ns_fd < 0)
			r = negative_errno();
		else if (ioctl(ns_fd, NS_GET_NSTYPE) != CLONE_NEWUSER ||
			 ioctl(ns_fd, NS_GET_OWNER_UID, &owner) < 0 || owner != 0)
			r = -EPERM;
	}

	close(sync[0]);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	if (r < 0) {
		errno = -r;
		helper_log(LOG_ERR, "Failed to create the user namespace of uid %u: %m", plan->uid);
		return r;
	}
	return TAKE_FD(ns_fd);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set's user namespace: created and owned by root, with maps that keep
 * the account itself. The anchor never enters it; it only keeps a handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
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

/*
 * The child that holds the new user namespace while the anchor writes its
 * maps. It shares the anchor's memory (CLONE_VM: no address space of its
 * own to make, about 0.5 ms on the virtual machines we measured), so it
 * makes only system calls that do not fail, and writes nothing.
 */
static int userns_child(void *parent)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == *(const pid_t *)parent)
		for (;;)
			pause(); /* until the anchor kills it */
	_exit(0);
}

int anchor_create_userns(const struct pns_plan *plan)
{
	_cleanup_close_ int proc_fd = -1, ns_fd = -1;
	/* The child's stack, in our frame: we return only once it is reaped.
	 * It needs about 120 bytes; 16 KiB leaves room for a lazily bound
	 * libc call (3 KiB measured) and a signal frame. */
	_Alignas(64) char stack[16384];
	char path[32];
	struct statfs sfs;
	uid_t owner = (uid_t)-1;
	pid_t self = getpid(), pid;
	int r;

	/* Created by a root process in the initial user namespace: the new
	 * namespace is owned by uid 0, never by the user. The child is in it
	 * from its first instruction on. */
	pid = clone(userns_child, STACK_GROWS_UP ? stack : stack + sizeof(stack),
		CLONE_VM | CLONE_NEWUSER | SIGCHLD, &self);
	if (pid < 0)
		return negative_errno();

	/* Our child, not yet reaped: its pid cannot be reused, so this
	 * directory is the child and stays the child (CVE-2025-52881 class). */
	snprintf(path, sizeof(path), "/proc/%d", pid);
	proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (proc_fd < 0)
		r = negative_errno();
	else if (fstatfs(proc_fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		r = -EXDEV; /* something is mounted over /proc */
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

	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	if (r < 0) {
		errno = -r;
		helper_log(LOG_ERR, "Failed to create the user namespace of uid %u: %m", plan->uid);
		return r;
	}
	return TAKE_FD(ns_fd);
}

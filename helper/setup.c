/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Building a set: the only place that unshares, mounts and sets host names.
 * Runs in the freshly forked anchor, as root, single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "common/fdutil.h"
#include "helper/helper.h"

/*
 * Open a fixed absolute path as an O_PATH handle, refusing a symlink in any
 * component: the targets are root's own directories, and a link there means
 * something is wrong, not something to follow.
 */
static int open_no_symlinks(const char *path, unsigned flags)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | flags,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	return fd < 0 ? negative_errno() : fd;
}

static void fd_path(int fd, char buf[static 32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/*
 * STATE_DIR/<subdir>/<uid>: root-owned bases (0700), the per-user directory
 * root 1777. A refusal names the path and what it must be in why.
 */
static int open_state_dir(const char *subdir, uint32_t uid, char *why)
{
	/* Sized for what they hold, not PATH_MAX: this frame is in the
	 * anchor's stack, whose pages stay resident (issue 14). path names
	 * STATE_DIR/<subdir>/<uid>, subdir one of the two fixed names. */
	char parent[sizeof(PNS_STATE_DIR)], path[sizeof(PNS_STATE_DIR) + 32], uidname[16];
	const char *dir = PNS_STATE_DIR, *slash = strrchr(dir, '/');
	_cleanup_close_ int parent_fd = -1, base_fd = -1, sub_fd = -1, fd = -1;
	struct stat st;
	int r;

	if (!slash || slash == dir)
		return -EINVAL;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
	parent_fd = open_no_symlinks(parent, O_DIRECTORY);
	if (parent_fd == -ELOOP)
		snprintf(why, PNS_PATH_WHY_MAX, "%.160s: has a symbolic link in its path", parent);
	if (parent_fd < 0)
		return parent_fd;
	if (fstat(parent_fd, &st) < 0)
		return negative_errno();
	r = pns_root_dir_problem(&st, 0, parent, why);
	if (r < 0)
		return r;
	base_fd = pns_open_root_dir(parent_fd, slash + 1, 0700, S_IRWXG | S_IRWXO, dir, why);
	if (base_fd < 0)
		return base_fd;
	snprintf(path, sizeof(path), "%s/%s", dir, subdir);
	sub_fd = pns_open_root_dir(base_fd, subdir, 0700, S_IRWXG | S_IRWXO, path, why);
	if (sub_fd < 0)
		return sub_fd;

	snprintf(uidname, sizeof(uidname), "%u", uid);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, subdir, uidname);
	if (mkdirat(sub_fd, uidname, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	fd = openat(sub_fd, uidname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = negative_errno();
		if ((r == -ENOTDIR || r == -ELOOP) &&
			fstatat(sub_fd, uidname, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return pns_root_dir_problem(&st, 0, path, why);
		return r;
	}
	if (fstat(fd, &st) < 0)
		return negative_errno();
	/* Only root can create entries here (the bases are 0700), so anything
	 * else is corruption: refuse rather than adopt it. Root's own
	 * directory is made 1777 below, whatever its mode was. */
	if (st.st_uid != 0) {
		snprintf(why, PNS_PATH_WHY_MAX,
			"%.160s: owned by uid %u, must be a directory owned by root", path,
			(unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 01777 && fchmod(fd, 01777) < 0)
		return negative_errno();
	return TAKE_FD(fd);
}

static int do_step(const struct pns_mount_step *s, uint32_t uid, char *why)
{
	_cleanup_close_ int target_fd = -1, src_fd = -1, top_fd = -1;
	char target[32], src[32];

	if (s->kind == PNS_STEP_SLAVE_ROOT) {
		/* Before any other mount: host mounts still propagate in,
		 * nothing made for the session propagates out (SPEC 8.4). */
		if (mount(NULL, "/", NULL, s->flags, NULL) < 0)
			return negative_errno();
		return 0;
	}

	target_fd = open_no_symlinks(s->target, O_DIRECTORY);
	if (target_fd == -ENOENT && s->optional)
		return 0;
	if (target_fd < 0)
		return target_fd;
	fd_path(target_fd, target);

	switch (s->kind) {
	case PNS_STEP_TMPFS:
		if (mount("pam_ns", target, "tmpfs", s->flags, s->data) < 0)
			return negative_errno();
		return 0;
	case PNS_STEP_MQUEUE:
		if (mount("mqueue", target, "mqueue", s->flags, NULL) < 0)
			return negative_errno();
		return 0;
	case PNS_STEP_BIND_DIR:
		src_fd = open_state_dir(s->state_subdir, uid, why);
		if (src_fd < 0)
			return src_fd;
		fd_path(src_fd, src);
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			return negative_errno();
		/* The new mount is on top of the target path now: reopen it to
		 * set nosuid,nodev on the bind mount itself. */
		top_fd = open_no_symlinks(s->target, O_DIRECTORY);
		if (top_fd < 0)
			return top_fd;
		fd_path(top_fd, target);
		if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | s->flags, NULL) < 0)
			return negative_errno();
		return 0;
	default:
		return -EINVAL;
	}
}

int anchor_setup(int dir_fd, const char *name, const struct pns_plan *plan)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pns_mount_step steps[PNS_MAX_STEPS];
	_cleanup_close_ int lfd = -1;
	size_t n_steps;
	int flags = 0, n;

	/* Bind first: /run must resolve in the caller's mount namespace (SPEC 3.5). */
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir_fd, name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		return negative_errno();
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		helper_log(LOG_ERR, "Failed to bind %s: %m", name);
		return negative_errno();
	}
	if (listen(lfd, 64) < 0)
		return negative_errno();

	if (plan->namespaces & PNS_NS_MOUNT)
		flags |= CLONE_NEWNS;
	if (plan->namespaces & PNS_NS_IPC)
		flags |= CLONE_NEWIPC;
	if (plan->namespaces & PNS_NS_UTS)
		flags |= CLONE_NEWUTS;
	if (unshare(flags) < 0) {
		helper_log(LOG_ERR, "Failed to create namespaces for uid %u: %m", plan->uid);
		return negative_errno();
	}
	if (chdir("/") < 0)
		return negative_errno();

	n_steps = pns_plan_mount_steps(plan, steps);
	for (size_t i = 0; i < n_steps; i++) {
		char why[PNS_PATH_WHY_MAX] = "";
		int r = do_step(&steps[i], plan->uid, why);

		if (r < 0 && why[0]) {
			/* The state directory was refused before any mount: say
			 * which path and why, not that a mount failed. */
			helper_log(LOG_ERR, "Refusing state directory %s", why);
			return r;
		}
		if (r < 0) {
			errno = -r;
			/* Root may mount here unless a Landlock domain forbids it:
			 * the module that ran us is inside an isolated session. */
			helper_log(LOG_ERR, "Failed to mount %s for uid %u: %m%s", steps[i].target,
				plan->uid,
				r == -EPERM ? " (a login from inside an isolated session, whose "
					      "Landlock domain forbids mounts, cannot make a set)"
					    : "");
			return r;
		}
	}

	if (plan->hostname[0] && sethostname(plan->hostname, strlen(plan->hostname)) < 0) {
		helper_log(LOG_ERR, "Failed to set host name %s for uid %u: %m", plan->hostname,
			plan->uid);
		return negative_errno();
	}
	return TAKE_FD(lfd);
}

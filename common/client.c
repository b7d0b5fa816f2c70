/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/client.h"
#include "common/fdutil.h"

int pns_send_msg(int fd, const struct pns_msg *m, const int *fds, size_t n_fds)
{
	uint8_t buf[PNS_MSG_MAX];
	int n = pns_msg_encode(m, buf, sizeof(buf));

	if (n < 0)
		return n;
	return pns_send_packet(fd, buf, (size_t)n, fds, n_fds);
}

int pns_recv_msg(
	int fd, struct pns_msg *ret, int *fds, size_t max_fds, size_t *ret_n_fds, uint64_t deadline)
{
	uint8_t buf[PNS_MSG_MAX];
	size_t n_fds = 0;
	ssize_t n;
	int r;

	n = pns_recv_packet(fd, buf, sizeof(buf), fds, max_fds, &n_fds, deadline);
	if (n < 0)
		return (int)n;
	r = pns_msg_decode(buf, (size_t)n, ret);
	if (r < 0) {
		pns_close_many(fds, n_fds);
		return r;
	}
	*ret_n_fds = n_fds;
	return 0;
}

int pns_open_run_dir(bool create, char *why)
{
	char parent[256];
	const char *dir = PNS_RUN_DIR, *slash = strrchr(dir, '/');
	_cleanup_close_ int parent_fd = -1;
	struct stat st;

	if (!slash || slash == dir)
		return -EINVAL;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
	/* /run itself is the system's (it may be a symlink to /var/run on old
	 * systems): root's, and sticky if others may write. From there on,
	 * every component is opened O_NOFOLLOW and must be root's and 0700. */
	parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0)
		return negative_errno();
	if (fstat(parent_fd, &st) < 0)
		return negative_errno();
	if (st.st_uid != 0 || ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))) {
		if (why)
			snprintf(why, PNS_PATH_WHY_MAX,
				"%.160s: owner uid %u, mode %04o, must be owned by root and sticky "
				"if "
				"others may write",
				parent, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return pns_open_root_dir(
		parent_fd, slash + 1, create ? 0700 : 0, S_IRWXG | S_IRWXO, dir, why);
}

int pns_open_uid_run_dir(uint32_t uid, bool create, int *ret_run_fd, char *why)
{
	char name[16], path[256];
	_cleanup_close_ int run_fd = -1, fd = -1;

	run_fd = pns_open_run_dir(create, why);
	if (run_fd < 0)
		return run_fd;
	snprintf(name, sizeof(name), "%u", uid);
	snprintf(path, sizeof(path), "%s/%s", PNS_RUN_DIR, name);
	fd = pns_open_root_dir(run_fd, name, create ? 0700 : 0, S_IRWXG | S_IRWXO, path, why);
	if (fd < 0)
		return fd;
	if (ret_run_fd)
		*ret_run_fd = TAKE_FD(run_fd);
	return TAKE_FD(fd);
}

size_t pns_state_base_problems(char why[][PNS_PATH_WHY_MAX], size_t max)
{
	static const char *const bases[] = {
		PNS_RUN_DIR,
		PNS_STATE_DIR,
		PNS_STATE_DIR "/" PNS_STATE_SUBDIR_TMP,
		PNS_STATE_DIR "/" PNS_STATE_SUBDIR_VAR_TMP,
	};
	struct stat st;
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(bases) && n < max; i++) {
		/* Missing is fine: the helper makes each one, root 0700, on demand. */
		if (lstat(bases[i], &st) < 0)
			continue;
		if (pns_root_dir_problem(&st, S_IRWXG | S_IRWXO, bases[i], why[n]) < 0)
			n++;
	}
	return n;
}

int pns_recv_anchor_reply(int fd, const struct pns_plan *plan, const char *name, uint64_t deadline,
	struct pns_reply *ret, int fds[2], size_t *ret_n_fds)
{
	struct pns_msg m;
	size_t want = (plan->namespaces & PNS_NS_USER) ? 2 : 1, n_fds = 0;
	int got[2], r;

	memset(ret, 0, sizeof(*ret));
	r = pns_recv_msg(fd, &m, got, 2, &n_fds, deadline);
	if (r < 0)
		return r;
	if (m.type != PNS_MSG_REPLY || (m.reply.error == 0) != (n_fds >= 1)) {
		pns_close_many(got, n_fds);
		return -EBADMSG;
	}
	if (m.reply.error < 0) {
		*ret = m.reply;
		return m.reply.error;
	}
	if (n_fds < want) {
		/* A user namespace cannot be added to a live set: a clear
		 * error, never a session quietly without one. */
		pns_close_many(got, n_fds);
		snprintf(ret->message, sizeof(ret->message),
			"set %s was made without a user namespace; it applies once every "
			"session of the account has ended",
			name);
		return -ESTALE;
	}
	/* A caller that skips the user namespace (userns_fallback = skip)
	 * joins a set that has one for mount, ipc and uts only. */
	pns_close_many(got + want, n_fds - want);
	*ret = m.reply;
	memcpy(fds, got, sizeof(int) * want);
	*ret_n_fds = want;
	return 0;
}

int pns_anchor_join(int dir_fd, const char *name, const struct pns_plan *plan, int caller_pidfd,
	uint64_t deadline, struct pns_reply *ret, int fds[2], size_t *ret_n_fds)
{
	struct pns_msg m = {.type = PNS_MSG_OPEN};
	_cleanup_close_ int fd = -1;
	int r;

	memset(ret, 0, sizeof(*ret));
	fd = pns_connect_at(dir_fd, name);
	if (fd < 0)
		return fd;
	m.open = *plan;
	r = pns_send_msg(fd, &m, &caller_pidfd, 1);
	if (r < 0)
		return r;
	return pns_recv_anchor_reply(fd, plan, name, deadline, ret, fds, ret_n_fds);
}

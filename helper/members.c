/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which processes are in a set (DESIGN.md, "Lifetime of a set"): those in
 * the set's cgroup of the pam_ns hierarchy (common/setcg.h), where every
 * session's caller is moved before it starts anything. Where that
 * hierarchy cannot be used, the anchor walks /proc instead: then a process
 * is in the set while any of its threads is in any of the set's
 * namespaces.
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
#include "common/sdunit.h"
#include "common/setcg.h"
#include "helper/helper.h"

/* Remove the empty cgroups left in uid_fd by anchors that were killed.
 * A live set's cgroup holds its anchor: rmdir() fails with EBUSY. */
static void cg_sweep(int uid_fd)
{
	struct pns_dir d;
	const char *name;
	unsigned char type;

	if (pns_dir_open_at(uid_fd, &d) < 0)
		return;
	while ((name = pns_dir_next(&d, &type)))
		if (type == DT_DIR && name[0] != '.')
			(void)unlinkat(uid_fd, name, AT_REMOVEDIR);
	pns_dir_close(&d);
}

/* The set's cgroup UID/SETID, with the anchor in it. Called with the uid
 * lock held (by the helper that forked us), like teardown. */
static int cg_init(struct set_members *m, uint32_t uid, uint64_t set_id)
{
	char uid_name[16];
	const char *id;
	int r;

	m->cg_sets_fd = pns_setcg_open();
	if (m->cg_sets_fd < 0)
		return m->cg_sets_fd;
	pns_setcg_path(m->cg_path, uid, set_id);
	snprintf(uid_name, sizeof(uid_name), "%u", uid);
	if (mkdirat(m->cg_sets_fd, uid_name, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	m->cg_uid_fd =
		openat(m->cg_sets_fd, uid_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (m->cg_uid_fd < 0)
		return negative_errno();
	cg_sweep(m->cg_uid_fd);
	id = strchr(m->cg_path, '/') + 1;
	if (mkdirat(m->cg_uid_fd, id, 0755) < 0)
		return negative_errno();
	m->cg_fd = openat(m->cg_uid_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (m->cg_fd < 0) {
		r = negative_errno();
		(void)unlinkat(m->cg_uid_fd, id, AT_REMOVEDIR);
		return r;
	}
	r = pns_setcg_attach(m->cg_fd, getpid());
	if (r < 0) {
		(void)unlinkat(m->cg_uid_fd, id, AT_REMOVEDIR);
		return r;
	}
	return 0;
}

/* The set's namespaces as the anchor sees them, once it is built, and its
 * cgroup (helper.h). */
int members_init(
	struct set_members *m, unsigned namespaces, int userns_fd, uint32_t uid, uint64_t set_id)
{
	struct stat st;
	char path[32];
	int r;

	m->cg_sets_fd = m->cg_uid_fd = m->cg_fd = -1;
	r = cg_init(m, uid, set_id);
	if (r < 0) {
		helper_log(LOG_DEBUG,
			"Set of uid %u: no cgroup in the pam_ns hierarchy (%s); its processes are "
			"found by walking /proc",
			uid, strerror(-r));
		m->cg_fd = safe_close(m->cg_fd);
		m->cg_uid_fd = safe_close(m->cg_uid_fd);
		m->cg_sets_fd = safe_close(m->cg_sets_fd);
	}

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

static int cg_read(
	const struct set_members *m, int (*fn)(pid_t pid, void *userdata), void *userdata);

static int match_pid(pid_t pid, void *userdata)
{
	return pid == *(pid_t *)userdata;
}

/* Cgroup mode: is the process /proc/pid in the set's cgroup? Its
 * cgroup.procs, not /proc/PID/cgroup: a main thread that has exited
 * shows the root cgroup there while the other threads run in ours. */
static bool cg_has(const struct set_members *m, const char *pid)
{
	pid_t want = (pid_t)atoi(pid);

	return want > 0 && cg_read(m, match_pid, &want) > 0;
}

/*
 * A process is in the set if any of its live threads is (DESIGN.md,
 * "Lifetime of a set"). The main thread answers for nearly every process;
 * the others are looked at only when /proc/PID/task counts more than one
 * thread or the main thread has exited.
 */
bool members_has(const struct set_members *m, const char *pid)
{
	if (m->cg_fd >= 0)
		return cg_has(m, pid);
	char path[32 + 256];
	_cleanup_close_ int dfd = -1;
	struct stat st;
	struct pns_dir d;
	const char *name;
	bool found = false;
	int r;

	r = thread_in_set(m, pid);
	if (r > 0)
		return true;
	snprintf(path, sizeof(path), "%s/task", pid);
	/* Its link count is 2 plus the number of threads (a zombie main
	 * thread included): one thread, and we have just read its namespaces. */
	if (r == 0 && fstatat(m->proc_fd, path, &st, 0) == 0 && st.st_nlink <= m->task_nlink_one)
		return false;
	dfd = openat(m->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || pns_dir_open_at(dfd, &d) < 0)
		return false;
	while (!found && (name = pns_dir_next(&d, NULL))) {
		if (name[0] < '1' || name[0] > '9' || strcmp(name, pid) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/task/%s", pid, name);
		found = thread_in_set(m, path) > 0;
	}
	pns_dir_close(&d);
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

struct walk {
	const struct set_members *m;
	enum members_walk_mode mode;
	pid_t self;
	unsigned count;
	pid_t first;
};

static void found(struct walk *w, pid_t pid, const char *name)
{
	if (w->count++ == 0)
		w->first = pid;
	if (w->mode == MEMBERS_KILL)
		kill_member(w->m, pid, name);
}

static int cg_found(pid_t pid, void *userdata)
{
	struct walk *w = userdata;
	char name[16];

	if (pid == w->self)
		return 0;
	snprintf(name, sizeof(name), "%d", (int)pid);
	found(w, pid, name);
	return w->mode == MEMBERS_FIRST;
}

/* Cgroup mode: the pids in the set's cgroup.procs, to fn until it
 * returns non-zero (returned). */
static int cg_read(
	const struct set_members *m, int (*fn)(pid_t pid, void *userdata), void *userdata)
{
	_cleanup_close_ int fd = openat(m->cg_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	struct pns_pid_parser p = {0};
	char buf[512];
	ssize_t n;
	int r;

	if (fd < 0)
		return negative_errno();
	do {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return negative_errno();
		r = pns_pid_parse(&p, buf, (size_t)n, fn, userdata);
	} while (r == 0 && n > 0);
	return r;
}

/* Walk mode: every process of the host, through /proc. */
static int proc_walk(struct walk *w)
{
	struct pns_dir d;
	const char *name;
	int r;

	r = pns_dir_open_at(w->m->proc_fd, &d);
	if (r < 0)
		return r;
	while ((name = pns_dir_next(&d, NULL))) {
		long pid = 0;
		const char *c = name;

		for (; *c >= '0' && *c <= '9' && pid < 0x40000000; c++)
			pid = pid * 10 + (*c - '0');
		if (*c || pid <= 0 || pid == w->self)
			continue;
		if (!members_has(w->m, name))
			continue;
		found(w, (pid_t)pid, name);
		if (w->mode == MEMBERS_FIRST)
			break;
	}
	pns_dir_close(&d);
	return 0;
}

/* Find the processes in the set, not counting us: the first one, all of
 * them, or all of them killed with SIGKILL. */
int members_walk(const struct set_members *m, enum members_walk_mode mode, unsigned *ret_count,
	pid_t *ret_first)
{
	struct walk w = {.m = m, .mode = mode, .self = getpid()};
	int r = m->cg_fd >= 0 ? cg_read(m, cg_found, &w) : proc_walk(&w);

	if (r < 0)
		return r;
	*ret_count = w.count;
	*ret_first = w.first;
	return 0;
}

int members_add(const struct set_members *m, int pidfd)
{
	pid_t pid;
	int r;

	if (m->cg_fd < 0)
		return 0;
	r = pns_pidfd_to_pid(pidfd, &pid);
	if (r < 0)
		return r;
	return pns_setcg_attach(m->cg_fd, pid);
}

void members_release(struct set_members *m, bool uid_lock_held)
{
	_cleanup_close_ int root_fd = -1;
	char uid_name[16];

	if (m->cg_fd < 0)
		return;
	/* Out of it, to the hierarchy's root, or it cannot be removed. */
	root_fd = openat(m->cg_sets_fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || pns_setcg_attach(root_fd, getpid()) < 0)
		return;
	(void)unlinkat(m->cg_uid_fd, strchr(m->cg_path, '/') + 1, AT_REMOVEDIR);
	/* The uid's directory goes with its last set; a helper that makes a
	 * new set holds the lock while its anchor makes its cgroup. */
	if (uid_lock_held) {
		snprintf(uid_name, sizeof(uid_name), "%.*s", (int)strcspn(m->cg_path, "/"),
			m->cg_path);
		(void)unlinkat(m->cg_sets_fd, uid_name, AT_REMOVEDIR);
	}
	m->cg_fd = safe_close(m->cg_fd);
}

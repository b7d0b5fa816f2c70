/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/fdutil.h"

uint64_t pns_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int pns_wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		uint64_t now = pns_now_usec();
		int r, ms;

		if (now >= deadline)
			return -ETIMEDOUT;
		ms = (int)((deadline - now + 999) / 1000);
		r = poll(&p, 1, ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (r > 0)
			return 0;
	}
}

int pns_write_all(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t k = write(fd, p, size);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		p += k;
		size -= (size_t)k;
	}
	return 0;
}

void pns_close_many(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fds[i] = safe_close(fds[i]);
}

int pns_send_packet(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * PNS_MAX_FDS)];
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (n_fds > PNS_MAX_FDS)
		return -E2BIG;
	if (n_fds > 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

ssize_t pns_recv_packet(int sock, void *buf, size_t size, int *fds, size_t max_fds,
	size_t *ret_n_fds, uint64_t deadline)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * PNS_MAX_FDS)];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	int got[PNS_MAX_FDS];
	size_t n_got = 0;
	ssize_t n;
	int r;

	r = pns_wait_fd(sock, POLLIN, deadline);
	if (r < 0)
		return r;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n_got < PNS_MAX_FDS)
				got[n_got++] = fd;
			else
				close(fd);
		}
	}

	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n_got > max_fds) {
		pns_close_many(got, n_got);
		return -EBADMSG;
	}
	if (n == 0) {
		pns_close_many(got, n_got);
		return -ECONNRESET;
	}
	memcpy(fds, got, sizeof(int) * n_got);
	*ret_n_fds = n_got;
	return n;
}

int pns_pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? negative_errno() : fd;
}

int pns_pidfd_send_signal(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return negative_errno();
	return 0;
}

int pns_connect_at(int dir_fd, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cred;
	socklen_t len = sizeof(cred);
	_cleanup_close_ int fd = -1;
	struct stat st;
	int n;

	/* Resolve through the already-open directory, never through a name
	 * that could be swapped between check and use. */
	/* Only a socket of root's: never through a symlink or anything else
	 * left at that name. The peer check below covers the rest. */
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	if (!S_ISSOCK(st.st_mode) || st.st_uid != 0)
		return -ECONNREFUSED;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir_fd, name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return negative_errno();
	if (cred.uid != 0)
		return -EPERM;
	return TAKE_FD(fd);
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFREG:
		return "a regular file";
	case S_IFCHR:
	case S_IFBLK:
		return "a device node";
	default:
		return "not a directory";
	}
}

int pns_root_dir_problem(const struct stat *st, mode_t forbidden_mode, const char *path, char *why)
{
	char must[64];
	int r = 0;

	if ((forbidden_mode & (S_IRWXG | S_IRWXO)) == (S_IRWXG | S_IRWXO))
		snprintf(must, sizeof(must), "a directory owned by root, mode 0700");
	else
		snprintf(must, sizeof(must),
			"a directory owned by root, not writable by group or others");

	if (!S_ISDIR(st->st_mode)) {
		if (why)
			snprintf(why, PNS_PATH_WHY_MAX, "%s: is %s, must be %s", path,
				file_kind(st->st_mode), must);
		return S_ISLNK(st->st_mode) ? -ELOOP : -ENOTDIR;
	}
	if (!pns_stat_owner_is_root(st)) {
		if (why)
			snprintf(why, PNS_PATH_WHY_MAX, "%s: owned by uid %u, must be %s", path,
				(unsigned)st->st_uid, must);
		r = -EPERM;
	} else if (!pns_stat_mode_is_root_only(st) || (st->st_mode & forbidden_mode)) {
		if (why)
			snprintf(why, PNS_PATH_WHY_MAX, "%s: mode %04o, must be %s", path,
				(unsigned)(st->st_mode & 07777), must);
		r = -EPERM;
	}
	return r;
}

int pns_open_root_dir(int dir_fd, const char *name, mode_t mode, mode_t forbidden_mode,
	const char *path, char *why)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (mode != 0 && mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
		return negative_errno();
	/* O_NOFOLLOW|O_DIRECTORY: a symlink, FIFO or file planted here is
	 * refused at once and never blocks (CVE-2024-22365). */
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = negative_errno();
		/* Say what is there instead; the stat is only for the message. */
		if ((r == -ENOTDIR || r == -ELOOP) &&
			fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return pns_root_dir_problem(&st, forbidden_mode, path, why);
		return r;
	}
	if (fstat(fd, &st) < 0)
		return negative_errno();
	r = pns_root_dir_problem(&st, forbidden_mode, path, why);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

int pns_count_threads(void)
{
	char buf[4096];
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;
	const char *p;

	/* /proc/PID/task has two links plus one per thread (the kernel's
	 * proc_task_getattr()): one stat() instead of formatting the whole
	 * status file. Anything odd there, read the status file. */
	if (stat("/proc/self/task", &st) == 0 && st.st_nlink >= 3 && st.st_nlink < INT_MAX)
		return (int)(st.st_nlink - 2);

	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return negative_errno();
	buf[n] = 0;
	p = strstr(buf, "\nThreads:");
	if (!p)
		return -EIO;
	return atoi(p + strlen("\nThreads:"));
}

int pns_ns_inode(const char *type, uint64_t *ret)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	if (stat(path, &st) < 0)
		return negative_errno();
	*ret = (uint64_t)st.st_ino;
	return 0;
}

int pns_opendir_at(int dir_fd, DIR **ret)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		int r = negative_errno();

		close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

int pns_dir_open_at(int dir_fd, struct pns_dir *d)
{
	d->pos = d->end = 0;
	d->fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return d->fd < 0 ? negative_errno() : 0;
}

const char *pns_dir_next(struct pns_dir *d, unsigned char *ret_type)
{
	/* The kernel's struct linux_dirent64; each record 8-byte aligned. */
	struct entry {
		uint64_t ino;
		int64_t off;
		unsigned short reclen;
		unsigned char type;
		char name[];
	} * e;

	if (d->pos >= d->end) {
		long n = syscall(SYS_getdents64, d->fd, d->buf, sizeof(d->buf));

		if (n <= 0)
			return NULL;
		d->pos = 0;
		d->end = (size_t)n;
	}
	e = (struct entry *)(void *)(d->buf + d->pos);
	d->pos += e->reclen;
	if (ret_type)
		*ret_type = e->type;
	return e->name;
}

void pns_dir_close(struct pns_dir *d)
{
	d->fd = safe_close(d->fd);
}

int pns_open_trusted_file(const char *path)
{
	_cleanup_close_ int dir_fd = -1;
	char buf[PATH_MAX];
	char *component, *next, *save = NULL;
	struct stat st;

	if (path[0] != '/' || strlen(path) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, path);
	dir_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return negative_errno();
	if (fstat(dir_fd, &st) < 0)
		return negative_errno();
	if (!pns_stat_is_root_only(&st))
		return -EPERM;

	component = strtok_r(buf, "/", &save);
	while (component) {
		int fd;

		next = strtok_r(NULL, "/", &save);
		if (strcmp(component, ".") == 0 || strcmp(component, "..") == 0)
			return -EINVAL;
		fd = openat(dir_fd, component,
			O_PATH | O_NOFOLLOW | O_CLOEXEC | (next ? O_DIRECTORY : 0));
		if (fd < 0)
			return negative_errno();
		safe_close(dir_fd);
		dir_fd = fd;
		if (fstat(dir_fd, &st) < 0)
			return negative_errno();
		if (!pns_stat_is_root_only(&st))
			return -EPERM;
		component = next;
	}
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return TAKE_FD(dir_fd);
}

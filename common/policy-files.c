/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening and reading the policy's files: the trusted-path checks, the drop-ins. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "common/fdutil.h"
#include "common/parse.h"
#include "common/policy-bytes.h"
#include "common/policy-index.h"
#include "common/policy-internal.h"

static const char *describe_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "is a regular file";
	case S_IFDIR:
		return "is a directory";
	case S_IFIFO:
		return "is a FIFO";
	case S_IFLNK:
		return "is a symbolic link";
	case S_IFSOCK:
		return "is a socket";
	case S_IFCHR:
		return "is a character device";
	case S_IFBLK:
		return "is a block device";
	default:
		return "is not a regular file";
	}
}

struct load {
	struct pns_policy *p;
	struct pns_diag_list *diags;
	bool require_root_owned;
	bool invalid;
	int sys_error;
};

static void load_result(struct load *L, int r)
{
	if (r == -EINVAL)
		L->invalid = true;
	else if (r < 0 && L->sys_error == 0)
		L->sys_error = r;
}

/* Report a problem: r == -EINVAL is the policy's fault, anything else a system error. */
static int problem(struct load *L, const char *file, int r, const char *fmt, ...) _printf_(4, 5);
static int problem(struct load *L, const char *file, int r, const char *fmt, ...)
{
	va_list ap;
	int q;

	va_start(ap, fmt);
	q = policy_diag_addv(L->diags, file, 0, fmt, ap);
	va_end(ap);
	load_result(L, r);
	if (q < 0)
		load_result(L, q);
	return r;
}

/* Root owns it and nobody else can write it: the checks for every directory above a policy file. */
static bool trusted_dir(struct load *L, int fd, const char *display)
{
	struct stat st;
	bool ok = true;

	if (!L->require_root_owned)
		return true;
	if (fstat(fd, &st) < 0) {
		problem(L, display, negative_errno(), "cannot stat directory: %m");
		return false;
	}
	if (!pns_stat_owner_is_root(&st)) {
		problem(L, display, -EINVAL, "directory is owned by uid %u, not root",
			(unsigned)st.st_uid);
		ok = false;
	}
	if (!pns_stat_mode_is_root_only(&st)) {
		problem(L, display, -EINVAL, "directory is writable by group or others (mode %04o)",
			(unsigned)(st.st_mode & 07777));
		ok = false;
	}
	return ok;
}

/*
 * Open the directory of path; *ret_base is the last component. With
 * require_root_owned the walk starts at "/" and refuses any symlink on the
 * way, so what is checked is what is read. Returns 0 with *ret_trusted
 * telling whether every directory passed; -ENOENT if a directory is
 * missing; another -errno (already reported) otherwise.
 */
static int open_parent(
	struct load *L, const char *path, const char **ret_base, int *ret_fd, bool *ret_trusted)
{
	_cleanup_free_ char *dir = NULL, *display = NULL, *full = NULL;
	_cleanup_close_ int fd = -1;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	bool trusted = true;
	char *comp, *save = NULL;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return problem(L, path, -EINVAL, "not a file name");

	if (!L->require_root_owned) {
		if (!slash)
			fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		else if (slash == path)
			fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		else {
			dir = strndup(path, (size_t)(slash - path));
			if (!dir)
				return problem(L, path, -ENOMEM, "out of memory");
			fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd < 0) {
			if (errno == ENOENT)
				return -ENOENT;
			return problem(L, path, negative_errno(), "cannot open its directory: %m");
		}
		*ret_base = base;
		*ret_fd = TAKE_FD(fd);
		*ret_trusted = true;
		return 0;
	}

	/* A relative path (pam_nsctl --config) is checked from "/" through the working directory.
	 */
	if (path[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);

		if (!cwd)
			return problem(
				L, path, negative_errno(), "cannot get the working directory: %m");
		if (asprintf(&full, "%s/%s", cwd, path) < 0) {
			full = NULL;
			return problem(L, path, -ENOMEM, "out of memory");
		}
	} else {
		full = strdup(path);
		if (!full)
			return problem(L, path, -ENOMEM, "out of memory");
	}
	dir = strndup(full, (size_t)(strrchr(full, '/') - full));
	display = calloc(1, strlen(full) + 2);
	if (!dir || !display)
		return problem(L, path, -ENOMEM, "out of memory");

	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return problem(L, "/", negative_errno(), "cannot open: %m");
	trusted = trusted_dir(L, fd, "/");

	for (comp = strtok_r(dir, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int nfd;

		strcat(display, "/");
		strcat(display, comp);
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
			return problem(
				L, path, -EINVAL, "the policy path must not contain '.' or '..'");
		/* O_PATH|O_NOFOLLOW|O_DIRECTORY: a symlink fails (ENOTDIR), never followed. */
		nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0) {
			struct stat st;

			if (errno == ENOENT)
				return -ENOENT;
			if (errno == ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) >= 0)
				return problem(L, display, -EINVAL,
					"%s; every directory above a policy file must be a real "
					"directory",
					describe_type(st.st_mode));
			return problem(L, display, negative_errno(), "cannot open directory: %m");
		}
		safe_close(fd);
		fd = nfd;
		if (!trusted_dir(L, fd, display))
			trusted = false;
	}
	*ret_base = base;
	*ret_fd = TAKE_FD(fd);
	*ret_trusted = trusted;
	return 0;
}

/*
 * Open one policy file below dirfd. Returns the fd, -ENOENT (not reported:
 * the caller decides whether that is a problem), or another -errno
 * (reported). *ret_st is the file's stat.
 */
static int open_policy_file(
	struct load *L, int dir_fd, const char *name, const char *display, struct stat *ret_st)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	struct stat pst, st;
	bool ok = true;

	/*
	 * Look before opening for reading: with O_PATH a FIFO cannot block and
	 * a device node is never opened (opening a tape rewinds it). O_NOFOLLOW
	 * with O_PATH gives the symlink itself, so fstat() can name it.
	 */
	pfd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return problem(L, display, negative_errno(), "cannot open: %m");
	}
	if (fstat(pfd, &pst) < 0)
		return problem(L, display, negative_errno(), "cannot stat: %m");
	if (!S_ISREG(pst.st_mode))
		return problem(
			L, display, -EINVAL, "%s, not a regular file", describe_type(pst.st_mode));

	/* O_NONBLOCK: should a FIFO be swapped in between, it still cannot block. */
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return problem(
				L, display, -EINVAL, "is a symbolic link, not a regular file");
		return problem(L, display, negative_errno(), "cannot open: %m");
	}
	if (fstat(fd, &st) < 0)
		return problem(L, display, negative_errno(), "cannot stat: %m");
	if (!S_ISREG(st.st_mode) || st.st_dev != pst.st_dev || st.st_ino != pst.st_ino)
		return problem(L, display, -EINVAL, "file was replaced while being opened");

	if (L->require_root_owned) {
		if (!pns_stat_owner_is_root(&st)) {
			problem(L, display, -EINVAL, "file is owned by uid %u, not root",
				(unsigned)st.st_uid);
			ok = false;
		}
		if (!pns_stat_mode_is_root_only(&st)) {
			problem(L, display, -EINVAL,
				"file is writable by group or others (mode %04o)",
				(unsigned)(st.st_mode & 07777));
			ok = false;
		}
		if (!ok)
			return -EINVAL;
	}
	*ret_st = st;
	return TAKE_FD(fd);
}

/*
 * Read the whole file with read(): -EFBIG past POLICY_FILE_MAX. buf gets
 * SCAN_PAD zero bytes after the file, the first of them its trailing NUL.
 */
static int read_all(int fd, const struct stat *st, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t alloc, n = 0;

	if ((uint64_t)st->st_size > POLICY_FILE_MAX)
		return -EFBIG;
	/* Room for one byte more than the file claims, to see it end (or grow). */
	alloc = (size_t)st->st_size + 1;
	buf = malloc(alloc + SCAN_PAD);
	if (!buf)
		return -ENOMEM;
	prefault(buf, alloc + SCAN_PAD);
	for (;;) {
		ssize_t k;

		if (n == alloc) {
			size_t a = alloc * 2;
			char *q;

			if (alloc > POLICY_FILE_MAX)
				return -EFBIG;
			if (a > POLICY_FILE_MAX + 1)
				a = POLICY_FILE_MAX + 1;
			q = realloc(buf, a + SCAN_PAD);
			if (!q)
				return -ENOMEM;
			buf = q;
			alloc = a;
		}
		k = read(fd, buf + n, alloc - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > POLICY_FILE_MAX)
		return -EFBIG;
	memset(buf + n, 0, SCAN_PAD);
	*ret = TAKE_PTR(buf);
	*ret_size = n;
	return 0;
}

/*
 * Load one file. trusted: its directories passed the checks; if not, the
 * file is still opened and checked, to report everything, but not read.
 */
static int load_file(
	struct load *L, int dir_fd, const char *name, const char *display, bool trusted)
{
	struct pns_policy *p = L->p;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL, *path = NULL;
	struct stat st = {};
	struct scan s;
	size_t size;
	int r;

	fd = open_policy_file(L, dir_fd, name, display, &st);
	if (fd < 0)
		return fd;
	if (!trusted)
		return -EINVAL;

	r = read_all(fd, &st, &buf, &size);
	if (r == -EFBIG)
		return problem(
			L, display, -EINVAL, "file is larger than %zu MiB", POLICY_FILE_MAX >> 20);
	if (r < 0) {
		errno = -r;
		return problem(L, display, r, "cannot read: %m");
	}

	path = strdup(display);
	if (!path)
		return problem(L, display, -ENOMEM, "out of memory");
	if (p->n_files >= p->files_alloc) {
		void *q;

		if (array_grow(p->files, &p->files_alloc, sizeof(*p->files), &q) < 0)
			return problem(L, display, -ENOMEM, "out of memory");
		p->files = q;
	}
	p->files[p->n_files] =
		(struct policy_file){.path = TAKE_PTR(path), .buf = TAKE_PTR(buf), .size = size};

	s = (struct scan){
		.p = p,
		.diags = L->diags,
		.file = p->n_files,
		.path = p->files[p->n_files].path,
		.buf = p->files[p->n_files].buf,
		.size = size,
	};
	p->n_files++;

	policy_scan_file(&s);
	p->files[s.file].first_section = s.first_section;
	p->files[s.file].n_sections = p->n_sections - s.first_section;
	if (s.sys_error < 0) {
		load_result(L, s.sys_error);
		return s.sys_error;
	}
	if (s.n_errors > 0) {
		load_result(L, -EINVAL);
		return -EINVAL;
	}
	p->files[s.file].scanned = true;
	return 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

struct name_list {
	char **names;
	size_t n, alloc;
};

static void name_list_clear(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

bool pns_policy_is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/* base.d/ *.conf in strcmp() order; a missing directory means no drop-ins. */
static void load_dropins(
	struct load *L, int dir_fd, const char *base, const char *main_display, bool trusted)
{
	_cleanup_free_ char *name = NULL, *display = NULL;
	_cleanup_(name_list_clear) struct name_list list = {};
	_cleanup_(closedirp) DIR *d = NULL;
	int fd;

	if (asprintf(&name, "%s.d", base) < 0) {
		name = NULL;
		problem(L, main_display, -ENOMEM, "out of memory");
		return;
	}
	if (asprintf(&display, "%s.d", main_display) < 0) {
		display = NULL;
		problem(L, main_display, -ENOMEM, "out of memory");
		return;
	}

	/* O_DIRECTORY: a FIFO or device cannot be opened here; O_NOFOLLOW: nor a symlink. */
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		struct stat st;

		if (errno == ENOENT)
			return;
		if ((errno == ENOTDIR || errno == ELOOP) &&
			fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
			problem(L, display, -EINVAL, "%s, not a directory",
				describe_type(st.st_mode));
			return;
		}
		problem(L, display, negative_errno(), "cannot open directory: %m");
		return;
	}
	if (!trusted_dir(L, fd, display))
		trusted = false;
	d = fdopendir(fd);
	if (!d) {
		problem(L, display, negative_errno(), "cannot read directory: %m");
		safe_close(fd);
		return;
	}

	for (;;) {
		struct dirent *de;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno != 0) {
				problem(L, display, negative_errno(), "cannot read directory: %m");
				return;
			}
			break;
		}
		if (!pns_policy_is_dropin_name(de->d_name))
			continue;
		if (list.n >= list.alloc) {
			void *q = grow_array(list.names, &list.alloc, sizeof(char *));

			if (!q) {
				problem(L, display, -ENOMEM, "out of memory");
				return;
			}
			list.names = q;
		}
		list.names[list.n] = strdup(de->d_name);
		if (!list.names[list.n]) {
			problem(L, display, -ENOMEM, "out of memory");
			return;
		}
		list.n++;
	}
	if (list.n > 0)
		qsort(list.names, list.n, sizeof(char *), strcmp_ptr);

	for (size_t i = 0; i < list.n; i++) {
		_cleanup_free_ char *file = NULL;
		int r;

		if (asprintf(&file, "%s/%s", display, list.names[i]) < 0) {
			file = NULL;
			problem(L, display, -ENOMEM, "out of memory");
			return;
		}
		r = load_file(L, dirfd(d), list.names[i], file, trusted);
		if (r == -ENOENT) /* removed since readdir() */
			continue;
	}
}

/* Phase 1 into p, which the caller frees: the files the scanner accepted stay usable. */
int policy_read_files(struct pns_policy *p, const char *main_path, bool require_root_owned,
	struct pns_diag_list *diags)
{
	_cleanup_close_ int dir_fd = -1;
	struct load L = {.p = p, .diags = diags, .require_root_owned = require_root_owned};
	const char *base = NULL;
	bool trusted = false;
	int r;

	r = open_parent(&L, main_path, &base, &dir_fd, &trusted);
	if (r >= 0) {
		r = load_file(&L, dir_fd, base, main_path, trusted);
		/* Even when the main file is bad or missing: report every problem at once. */
		load_dropins(&L, dir_fd, base, main_path, trusted);
	}
	if (r == -ENOENT)
		/* An empty or missing policy must never read as "isolate nobody". */
		problem(&L, main_path, -EINVAL, "no such file (the policy file is required)");

	if (L.sys_error < 0)
		return L.sys_error;
	if (L.invalid)
		return -EINVAL;
	return 0;
}

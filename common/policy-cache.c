/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy cache: what iniparser confirmed, between logins (policy-cache.h). */
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "common/policy-cache.h"

static const char magic[8] = {'P', 'N', 'S', 'P', 'C', 'v', '1', '\n'};

#define ID_SIZE (5 * sizeof(uint64_t))
#define HEADER_FIXED (sizeof(magic) + PNS_POLICY_CACHE_MODULE_ID + ID_SIZE + 2 * sizeof(uint32_t))
#define RECORD_HEAD (3 * sizeof(uint32_t))

void pns_file_id_of(const struct stat *st, struct pns_file_id *ret)
{
	ret->dev = (uint64_t)st->st_dev;
	ret->ino = (uint64_t)st->st_ino;
	ret->size = (uint64_t)st->st_size;
	ret->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
	ret->ctime_ns = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
}

static bool id_equal(const struct pns_file_id *a, const struct pns_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static uint8_t *put_id(uint8_t *p, const struct pns_file_id *id)
{
	const uint64_t v[5] = {id->dev, id->ino, id->size, id->mtime_ns, id->ctime_ns};

	memcpy(p, v, sizeof(v));
	return p + sizeof(v);
}

static const uint8_t *get_id(const uint8_t *p, struct pns_file_id *id)
{
	uint64_t v[5];

	memcpy(v, p, sizeof(v));
	*id = (struct pns_file_id){v[0], v[1], v[2], v[3], v[4]};
	return p + sizeof(v);
}

size_t policy_cache_header(uint8_t *out, size_t max,
	const uint8_t module[static PNS_POLICY_CACHE_MODULE_ID], const struct pns_file_id *lib,
	const char *lib_path)
{
	size_t n = strlen(lib_path);
	uint32_t v[2] = {(uint32_t)n, 0};
	uint8_t *p = out;

	if (n == 0 || n >= PNS_POLICY_CACHE_PATH_MAX || max < HEADER_FIXED + n)
		return 0;
	memcpy(p, magic, sizeof(magic));
	memcpy(p + sizeof(magic), module, PNS_POLICY_CACHE_MODULE_ID);
	p = put_id(p + sizeof(magic) + PNS_POLICY_CACHE_MODULE_ID, lib);
	memcpy(p, v, sizeof(v));
	memcpy(p + sizeof(v), lib_path, n);
	return HEADER_FIXED + n;
}

bool policy_cache_parse(const uint8_t *buf, size_t size,
	const uint8_t module[static PNS_POLICY_CACHE_MODULE_ID], struct pns_file_id *ret_lib,
	char ret_lib_path[static PNS_POLICY_CACHE_PATH_MAX], size_t *ret_records)
{
	struct pns_file_id lib;
	const uint8_t *p;
	uint32_t v[2];

	if (size < HEADER_FIXED || memcmp(buf, magic, sizeof(magic)) != 0 ||
		memcmp(buf + sizeof(magic), module, PNS_POLICY_CACHE_MODULE_ID) != 0)
		return false;
	p = get_id(buf + sizeof(magic) + PNS_POLICY_CACHE_MODULE_ID, &lib);
	memcpy(v, p, sizeof(v));
	p += sizeof(v);
	if (v[0] == 0 || v[0] >= PNS_POLICY_CACHE_PATH_MAX || v[1] != 0 ||
		size - HEADER_FIXED < v[0] || p[0] != '/' || memchr(p, 0, v[0]))
		return false;
	memcpy(ret_lib_path, p, v[0]);
	ret_lib_path[v[0]] = 0;
	*ret_lib = lib;
	*ret_records = HEADER_FIXED + v[0];
	return true;
}

/* The record at recs + off, if it is whole: its size, else 0. */
static size_t record_at(const uint8_t *recs, size_t size, size_t off, uint32_t v[static 3])
{
	if (size - off < RECORD_HEAD)
		return 0;
	memcpy(v, recs + off, RECORD_HEAD);
	if (v[2] > size - off - RECORD_HEAD)
		return 0;
	return RECORD_HEAD + v[2];
}

bool policy_cache_find(const uint8_t *recs, size_t size, uint32_t n_sections, uint32_t n_keys,
	const void *bytes, size_t len)
{
	uint32_t v[3];

	for (size_t off = 0, k; off < size && (k = record_at(recs, size, off, v)) > 0; off += k)
		if (v[0] == n_sections && v[1] == n_keys && v[2] == len &&
			(len == 0 || memcmp(recs + off + RECORD_HEAD, bytes, len) == 0))
			return true;
	return false;
}

size_t policy_cache_fit(const uint8_t *recs, size_t size, size_t room)
{
	uint32_t v[3];
	size_t off = 0, k;

	while (off < size && (k = record_at(recs, size, off, v)) > 0 && k <= room - off)
		off += k;
	return off;
}

int policy_cache_append(uint8_t **buf, size_t *size, size_t *alloc, uint32_t n_sections,
	uint32_t n_keys, const void *bytes, size_t len)
{
	uint32_t v[3] = {n_sections, n_keys, (uint32_t)len};

	if (len > PNS_POLICY_CACHE_MAX)
		return -E2BIG;
	if (*alloc - *size < RECORD_HEAD + len) {
		size_t want = *size + RECORD_HEAD + len + 4096;
		uint8_t *n = realloc(*buf, want);

		if (!n)
			return -ENOMEM;
		*buf = n;
		*alloc = want;
	}
	memcpy(*buf + *size, v, sizeof(v));
	if (len > 0)
		memcpy(*buf + *size + RECORD_HEAD, bytes, len);
	*size += RECORD_HEAD + len;
	return 0;
}

/* ---- the file ---- */

/* Whole reads of a regular file we opened: n bytes or -1. */
static ssize_t read_all(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static bool stat_id(const char *path, struct pns_file_id *ret)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	pns_file_id_of(&st, ret);
	return true;
}

/* dl_iterate_phdr(): the object whose segments hold want, and its build ID. */
struct build_id_search {
	uintptr_t want;
	uint8_t *out;
	bool found;
};

static int build_id_of(struct dl_phdr_info *info, size_t size, void *userdata)
{
	struct build_id_search *b = userdata;
	bool mine = false;

	for (size_t i = 0; i < info->dlpi_phnum && !mine; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		mine = ph->p_type == PT_LOAD && b->want >= start && b->want - start < ph->p_memsz;
	}
	if (!mine)
		return 0;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *n = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = n + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while ((size_t)(end - n) >= sizeof(ElfW(Nhdr))) {
			ElfW(Nhdr) h;
			size_t name, desc;

			memcpy(&h, n, sizeof(h));
			name = sizeof(h) + ((h.n_namesz + 3u) & ~3u);
			desc = (h.n_descsz + 3u) & ~3u;
			if ((size_t)(end - n) < name || (size_t)(end - n) - name < desc)
				break;
			if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 &&
				memcmp(n + sizeof(h), "GNU", 4) == 0 && h.n_descsz > 0) {
				memcpy(b->out, n + name,
					h.n_descsz < PNS_POLICY_CACHE_MODULE_ID
						? h.n_descsz
						: PNS_POLICY_CACHE_MODULE_ID);
				b->found = true;
				return 1;
			}
			n += name + desc;
		}
	}
	return 1;
}

void policy_cache_open(struct policy_cache *c, int dir_fd)
{
	char lib_path[PNS_POLICY_CACHE_PATH_MAX];
	struct build_id_search b;
	struct pns_file_id lib_now;
	_cleanup_close_ int fd = -1;
	uint8_t *buf = NULL;
	size_t records;
	struct stat st;

	*c = (struct policy_cache){.dir_fd = -1};
	/* The scanner that agreed with iniparser is this code's: its build ID,
	 * as mapped. An object built without one has no cache. */
	b = (struct build_id_search){.want = (uintptr_t)policy_cache_open, .out = c->module};
	if (dir_fd < 0 || dl_iterate_phdr(build_id_of, &b) == 0 || !b.found)
		return;
	c->dir_fd = dir_fd;

	fd = openat(dir_fd, PNS_POLICY_CACHE_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
		(st.st_mode & 077) != 0 || st.st_nlink != 1 || st.st_size < (off_t)HEADER_FIXED ||
		st.st_size > (off_t)PNS_POLICY_CACHE_MAX)
		return;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return;
	if (read_all(fd, buf, (size_t)st.st_size) < 0 ||
		!policy_cache_parse(
			buf, (size_t)st.st_size, c->module, &c->old_lib, lib_path, &records) ||
		!stat_id(lib_path, &lib_now) || !id_equal(&lib_now, &c->old_lib)) {
		free(buf);
		return;
	}
	memmove(buf, buf + records, (size_t)st.st_size - records);
	c->old = buf;
	c->old_size = (size_t)st.st_size - records;
}

bool policy_cache_has(const struct policy_cache *c, uint32_t n_sections, uint32_t n_keys,
	const void *bytes, size_t len)
{
	return c->old && policy_cache_find(c->old, c->old_size, n_sections, n_keys, bytes, len);
}

void policy_cache_note(
	struct policy_cache *c, uint32_t n_sections, uint32_t n_keys, const void *bytes, size_t len)
{
	/* A batch that cannot fit is not kept; what can still is. */
	if (c->dir_fd < 0 || c->add_size + RECORD_HEAD > PNS_POLICY_CACHE_MAX ||
		len > PNS_POLICY_CACHE_MAX - c->add_size - RECORD_HEAD)
		return;
	if (policy_cache_append(
		    &c->add, &c->add_size, &c->add_alloc, n_sections, n_keys, bytes, len) < 0) {
		/* Out of memory: remember nothing rather than a part. */
		free(c->add);
		c->add = NULL;
		c->add_size = c->add_alloc = 0;
		c->dir_fd = -1;
	}
}

void policy_cache_save(struct policy_cache *c, const struct pns_file_id *lib, const char *lib_path)
{
	uint8_t header[HEADER_FIXED + PNS_POLICY_CACHE_PATH_MAX];
	size_t h, keep = 0;
	_cleanup_close_ int fd = -1;
	char proc[64];

	if (c->dir_fd < 0 || c->add_size == 0)
		return;
	h = policy_cache_header(header, sizeof(header), c->module, lib, lib_path);
	if (h == 0 || h + c->add_size > PNS_POLICY_CACHE_MAX)
		return;
	/* The older records, newest first, as far as they fit and were confirmed by this library.
	 */
	if (c->old && id_equal(&c->old_lib, lib))
		keep = policy_cache_fit(
			c->old, c->old_size, PNS_POLICY_CACHE_MAX - h - c->add_size);

	/* Unnamed until it is whole; then it replaces the old one. */
	fd = openat(c->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* Root's whatever the caller's ids (su keeps the user's gid). */
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0600) < 0 || pns_write_all(fd, header, h) < 0 ||
		pns_write_all(fd, c->add, c->add_size) < 0 ||
		(keep > 0 && pns_write_all(fd, c->old, keep) < 0))
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	(void)unlinkat(c->dir_fd, PNS_POLICY_CACHE_NAME, 0);
	/* Through /proc: linking an unnamed file by its descriptor alone would
	 * need CAP_DAC_READ_SEARCH. Another login's link may win: a cache. */
	if (linkat(AT_FDCWD, proc, c->dir_fd, PNS_POLICY_CACHE_NAME, AT_SYMLINK_FOLLOW) < 0)
		return;
}

void policy_cache_done(struct policy_cache *c)
{
	free(c->old);
	free(c->add);
	*c = (struct policy_cache){.dir_fd = -1};
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy loader. The policy decides who is isolated, so a file that is
 * read differently from what the administrator wrote is a security bug.
 * iniparser 4.1 (Debian 12) has several ways of doing that: it folds the
 * case of section names ([Alice] == [alice]), merges "[a] b:c" with
 * "[a:b] c", attaches keys after "[]" to a truncated previous section,
 * continues lines ending in '\', ignores a one-byte last line, and a
 * section named like a key crashes getboolean() (CVE-2023-33461).
 *
 * So every file goes through three steps:
 *  1. It is opened without following links, refused unless it is a regular
 *     file (a directory reads as an empty dictionary, a FIFO blocks), and,
 *     for the real policy, refused unless root owns it and every directory
 *     above it.
 *  2. Our own line scanner reads the raw bytes. It mirrors iniparser's
 *     parse_line() where the file is valid and rejects every construct on
 *     which the two could disagree. It gives the line numbers.
 *  3. Only a file the scanner accepts is handed, byte for byte, to
 *     iniparser through a memfd, and the two readings are compared: same
 *     sections, same keys, same values. Any difference is an error.
 *
 * Nothing here logs: every problem becomes a struct pns_diag.
 */

#include <dirent.h>
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

#include <iniparser.h>

#include "common/parse.h"
#include "common/policy.h"

/* Large enough for any sane policy, small enough that a runaway file cannot eat the host. */
#define POLICY_FILE_MAX ((size_t)4 << 20)
/*
 * iniparser 4.1 reads lines with fgets() into 1024 bytes: 1022 bytes and the
 * newline fit, one more byte and iniparser_load() fails (measured, with and
 * without a final newline).
 */
#define LINE_BYTES_MAX 1022
#define ERRORS_PER_FILE_MAX 100
/*
 * A user or group name in a header; also keeps "section:key" below
 * iniparser's 1024-byte lookup buffer.
 */
#define SECTION_NAME_MAX 256

static const char *const key_names[_PNS_KEY_MAX] = {
	[PNS_KEY_ISOLATE] = "isolate",
	[PNS_KEY_NAMESPACES] = "namespaces",
	[PNS_KEY_TMP] = "tmp",
	[PNS_KEY_TMP_SIZE] = "tmp_size",
	[PNS_KEY_TMP_INODES] = "tmp_inodes",
	[PNS_KEY_VAR_TMP] = "var_tmp",
	[PNS_KEY_SHM] = "shm",
	[PNS_KEY_HOSTNAME] = "hostname",
	[PNS_KEY_SHARE] = "share",
	[PNS_KEY_USERNS_MAP] = "userns_map",
	[PNS_KEY_USERNS_FALLBACK] = "userns_fallback",
};

enum section_kind {
	SECTION_DEFAULT,
	SECTION_USER,
	SECTION_UID,
	SECTION_GROUP,
	SECTION_GID,
};

struct section {
	enum section_kind kind;
	uint32_t id;	  /* SECTION_UID, SECTION_GID */
	const char *name; /* SECTION_USER, SECTION_GROUP: into the file's buffer, name_len bytes */
	size_t name_len;
	size_t file;
	unsigned line;
	size_t hdr_off, hdr_len; /* the header between the brackets, for the cross-check */
	size_t first_entry, n_entries;
	/* 1 + index of the previous section with the same kind and name/id; 0: none. */
	size_t next_same;
};

struct entry {
	enum pns_key key;
	unsigned line;
	size_t file;
	size_t val_off, val_len; /* the raw value in the file's buffer */
	union {
		uint64_t u;
		struct pns_size size;
		/* hostname: NUL-terminated in the file's buffer once the file is accepted */
		const char *str;
	} v;
};

struct policy_file {
	char *path;
	/* size bytes as read, plus a NUL; tokens get NUL-terminated in place once accepted */
	char *buf;
	size_t size;
};

struct pns_policy {
	struct policy_file *files;
	size_t n_files, files_alloc;
	struct section *sections;
	size_t n_sections, sections_alloc;
	struct entry *entries;
	size_t n_entries, entries_alloc;
	/* Open-addressing index: (kind, name/id) -> 1 + index of the newest such section. */
	size_t *slots;
	size_t n_slots, n_slots_used;
};

/* ---- diagnostics -------------------------------------------------------- */

static int diag_addv(struct pns_diag_list *l, const char *file, unsigned line, const char *fmt,
	va_list ap) _printf_(4, 0);
static int diag_addv(
	struct pns_diag_list *l, const char *file, unsigned line, const char *fmt, va_list ap)
{
	_cleanup_free_ char *f = NULL, *m = NULL;
	int saved_errno = errno; /* for %m */

	if (!l)
		return 0;
	if (file) {
		f = strdup(file);
		if (!f)
			return -ENOMEM;
	}
	errno = saved_errno;
	if (vasprintf(&m, fmt, ap) < 0) {
		m = NULL;
		return -ENOMEM;
	}
	/* Capacity is implicit: 4, then doubled whenever n reaches a power of two. */
	if (l->n == 0 || (l->n >= 4 && (l->n & (l->n - 1)) == 0)) {
		size_t cap = l->n == 0 ? 4 : l->n * 2;
		struct pns_diag *items;

		if (cap > SIZE_MAX / sizeof(*items))
			return -ENOMEM;
		items = realloc(l->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		l->items = items;
	}
	l->items[l->n++] =
		(struct pns_diag){.file = TAKE_PTR(f), .line = line, .message = TAKE_PTR(m)};
	return 0;
}

int pns_diag_add(struct pns_diag_list *l, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = diag_addv(l, file, line, fmt, ap);
	va_end(ap);
	return r;
}

void pns_diag_list_clear(struct pns_diag_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].message);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* ---- small helpers ------------------------------------------------------ */

/* Double an array's allocation; NULL (array untouched) on overflow or OOM. */
static void *grow_array(void *array, size_t *alloc, size_t elem)
{
	size_t a = *alloc ? *alloc * 2 : 16;
	void *q;

	if (a < *alloc || a > SIZE_MAX / elem)
		return NULL;
	q = realloc(array, a * elem);
	if (q)
		*alloc = a;
	return q;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_upper(s[i]))
			return true;
	return false;
}

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

/* ---- the section index -------------------------------------------------- */

static uint64_t section_hash(enum section_kind kind, const char *name, size_t len, uint32_t id)
{
	uint64_t h = UINT64_C(14695981039346656037);

	h = (h ^ (unsigned)kind) * UINT64_C(1099511628211);
	if (name)
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)name[i]) * UINT64_C(1099511628211);
	else
		for (unsigned i = 0; i < 4; i++)
			h = (h ^ ((id >> (8 * i)) & 0xff)) * UINT64_C(1099511628211);
	return h;
}

static bool section_is(
	const struct section *s, enum section_kind kind, const char *name, size_t len, uint32_t id)
{
	if (s->kind != kind)
		return false;
	if (kind == SECTION_USER || kind == SECTION_GROUP)
		return s->name_len == len && memcmp(s->name, name, len) == 0;
	if (kind == SECTION_UID || kind == SECTION_GID)
		return s->id == id;
	return true;
}

/* The slot for (kind, name/id): either holding the newest such section, or empty. */
static size_t slot_find(const struct pns_policy *p, enum section_kind kind, const char *name,
	size_t len, uint32_t id)
{
	size_t mask = p->n_slots - 1;
	size_t i = (size_t)section_hash(kind, name, len, id) & mask;

	for (;;) {
		size_t v = p->slots[i];

		if (v == 0 || section_is(&p->sections[v - 1], kind, name, len, id))
			return i;
		i = (i + 1) & mask;
	}
}

/* 1 + index of the newest section with that kind and name/id, or 0. */
static size_t section_lookup(const struct pns_policy *p, enum section_kind kind, const char *name,
	size_t len, uint32_t id)
{
	if (p->n_slots == 0)
		return 0;
	return p->slots[slot_find(p, kind, name, len, id)];
}

static int slots_grow(struct pns_policy *p)
{
	size_t n = p->n_slots ? p->n_slots * 2 : 64;
	size_t *old = p->slots, old_n = p->n_slots;

	if (n < p->n_slots || n > SIZE_MAX / sizeof(size_t))
		return -ENOMEM;
	p->slots = calloc(n, sizeof(size_t));
	if (!p->slots) {
		p->slots = old;
		return -ENOMEM;
	}
	p->n_slots = n;
	for (size_t i = 0; i < old_n; i++)
		if (old[i]) {
			const struct section *s = &p->sections[old[i] - 1];

			p->slots[slot_find(p, s->kind, s->name, s->name_len, s->id)] = old[i];
		}
	free(old);
	return 0;
}

/* Append a section and index it; it becomes the head of its chain. */
static int section_add(struct pns_policy *p, const struct section *s)
{
	size_t slot;

	if ((p->n_slots_used + 1) * 2 > p->n_slots) {
		int r = slots_grow(p);

		if (r < 0)
			return r;
	}
	if (p->n_sections >= p->sections_alloc) {
		void *q = grow_array(p->sections, &p->sections_alloc, sizeof(*p->sections));

		if (!q)
			return -ENOMEM;
		p->sections = q;
	}
	slot = slot_find(p, s->kind, s->name, s->name_len, s->id);
	p->sections[p->n_sections] = *s;
	p->sections[p->n_sections].next_same = p->slots[slot];
	if (p->slots[slot] == 0)
		p->n_slots_used++;
	p->slots[slot] = ++p->n_sections;
	return 0;
}

static int entry_add(struct pns_policy *p, const struct entry *e)
{
	if (p->n_entries >= p->entries_alloc) {
		void *q = grow_array(p->entries, &p->entries_alloc, sizeof(*p->entries));

		if (!q)
			return -ENOMEM;
		p->entries = q;
	}
	p->entries[p->n_entries++] = *e;
	return 0;
}

/* ---- values ------------------------------------------------------------- */

static int word_value(const char *v, const char *const *words, size_t n, uint64_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if (words[i] && strcmp(v, words[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_namespaces(const char *v, uint64_t *ret, char *msg, size_t msize)
{
	static const struct {
		const char *word;
		unsigned bit;
	} known[] = {
		{"mount", PNS_NS_MOUNT},
		{"ipc", PNS_NS_IPC},
		{"uts", PNS_NS_UTS},
		{"user", PNS_NS_USER},
		{"pid", 0},
		{"net", 0},
	};
	unsigned mask = 0;
	const char *p = v;

	for (;;) {
		size_t len;
		bool found = false;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		for (len = 0; p[len] && !is_blank(p[len]); len++)
			;
		for (size_t i = 0; i < ELEMENTSOF(known); i++) {
			if (strlen(known[i].word) != len || memcmp(p, known[i].word, len) != 0)
				continue;
			if (!known[i].bit) {
				snprintf(msg, msize, "namespaces: '%s' is not supported yet",
					known[i].word);
				return -EINVAL;
			}
			if (mask & known[i].bit) {
				snprintf(msg, msize, "namespaces: '%s' is listed twice",
					known[i].word);
				return -EINVAL;
			}
			mask |= known[i].bit;
			found = true;
			break;
		}
		if (!found) {
			snprintf(msg, msize,
				"namespaces: unknown namespace '%.*s' (expected words from: mount "
				"ipc uts user)",
				(int)len, p);
			return -EINVAL;
		}
		p += len;
	}
	if (mask == 0) {
		snprintf(msg, msize, "namespaces: empty list");
		return -EINVAL;
	}
	*ret = mask;
	return 0;
}

static int check_hostname_template(const char *v, char *msg, size_t msize)
{
	size_t len = strlen(v);

	if (len > PNS_HOSTNAME_TEMPLATE_MAX) {
		snprintf(msg, msize, "hostname: template is longer than %d bytes",
			PNS_HOSTNAME_TEMPLATE_MAX);
		return -EINVAL;
	}
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%') {
			p++;
			if (*p == 'u' || *p == 'U' || *p == 'h' || *p == '%')
				continue;
			if (!*p)
				snprintf(msg, msize,
					"hostname: '%%' at the end of the template (write %%%% for "
					"a percent sign)");
			else
				snprintf(msg, msize,
					"hostname: unknown escape '%%%c' (expected %%u, %%U, %%h "
					"or %%%%)",
					*p >= 0x20 && *p < 0x7f ? *p : '?');
			return -EINVAL;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.')
			continue;
		if (c >= 0x20 && c < 0x7f)
			snprintf(msg, msize,
				"hostname: character '%c' is not allowed (letters, digits, '-', "
				"'.' and %%u %%U %%h %%%% only)",
				c);
		else
			snprintf(msg, msize,
				"hostname: byte 0x%02x is not allowed (letters, digits, '-', '.' "
				"and %%u %%U %%h %%%% only)",
				c);
		return -EINVAL;
	}
	return 0;
}

/* Validate v for key k; fill e->v. On failure describe the problem in msg. */
static int value_parse(enum pns_key k, const char *v, struct entry *e, char *msg, size_t msize)
{
	static const char *const tmp_words[] = {
		[PNS_TMP_NONE] = "none", [PNS_TMP_TMPFS] = "tmpfs", [PNS_TMP_DIR] = "dir"};
	static const char *const shm_words[] = {
		[PNS_SHM_AUTO] = NULL, [PNS_SHM_PRIVATE] = "private", [PNS_SHM_SHARED] = "shared"};
	static const char *const share_words[] = {
		[PNS_SHARE_USER] = "user", [PNS_SHARE_SESSION] = "session"};
	static const char *const map_words[] = {
		[PNS_USERNS_MAP_SELF] = "self", [PNS_USERNS_MAP_SUBID] = "subid"};
	static const char *const fallback_words[] = {
		[PNS_USERNS_FALLBACK_DENY] = "deny", [PNS_USERNS_FALLBACK_SKIP] = "skip"};
	const char *expected = NULL;
	bool b;
	int r;

	switch (k) {
	case PNS_KEY_ISOLATE:
		r = pns_parse_bool(v, &b);
		if (r >= 0)
			e->v.u = b;
		expected = "yes, no, true, false, on, off, 1 or 0";
		break;
	case PNS_KEY_NAMESPACES:
		return parse_namespaces(v, &e->v.u, msg, msize);
	case PNS_KEY_TMP:
	case PNS_KEY_VAR_TMP:
		r = word_value(v, tmp_words, ELEMENTSOF(tmp_words), &e->v.u);
		expected = "tmpfs, dir or none";
		break;
	case PNS_KEY_TMP_SIZE:
		r = pns_parse_size(v, &e->v.size);
		expected = "N, NK, NM or NG bytes, or N% of RAM from 1% to 100%; not 0";
		break;
	case PNS_KEY_TMP_INODES:
		r = pns_parse_inodes(v, &e->v.u);
		expected = "a positive decimal number";
		break;
	case PNS_KEY_SHM:
		r = word_value(v, shm_words, ELEMENTSOF(shm_words), &e->v.u);
		expected = "private or shared";
		break;
	case PNS_KEY_HOSTNAME:
		return check_hostname_template(v, msg, msize);
	case PNS_KEY_SHARE:
		r = word_value(v, share_words, ELEMENTSOF(share_words), &e->v.u);
		expected = "user or session";
		break;
	case PNS_KEY_USERNS_MAP:
		r = word_value(v, map_words, ELEMENTSOF(map_words), &e->v.u);
		expected = "self or subid";
		break;
	case PNS_KEY_USERNS_FALLBACK:
		r = word_value(v, fallback_words, ELEMENTSOF(fallback_words), &e->v.u);
		expected = "deny or skip";
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		snprintf(msg, msize, "%s: %s value '%s' (expected %s)", key_names[k],
			r == -ERANGE ? "out-of-range" : "invalid", v, expected);
	return r;
}

/* ---- the line scanner --------------------------------------------------- */

struct scan {
	struct pns_policy *p;
	struct pns_diag_list *diags;
	size_t file;
	const char *path;
	const char *buf;
	size_t size;
	unsigned n_errors;
	bool stop;
	int sys_error;
	enum { IN_NONE, IN_SECTION, IN_BAD_SECTION } state;
	size_t section; /* index in p->sections when IN_SECTION */
	size_t first_section, first_entry;
};

static void scan_error(struct scan *s, unsigned line, const char *fmt, ...) _printf_(3, 4);
static void scan_error(struct scan *s, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (s->stop)
		return;
	s->n_errors++;
	va_start(ap, fmt);
	r = diag_addv(s->diags, s->path, line, fmt, ap);
	va_end(ap);
	if (r >= 0 && s->n_errors >= ERRORS_PER_FILE_MAX)
		r = pns_diag_add(s->diags, s->path, line,
			"too many errors (%d); not reading the rest of this file",
			ERRORS_PER_FILE_MAX);
	if (r < 0) {
		s->sys_error = r;
		s->stop = true;
	} else if (s->n_errors >= ERRORS_PER_FILE_MAX)
		s->stop = true;
}

static void scan_oom(struct scan *s, int r)
{
	s->sys_error = r;
	s->stop = true;
	(void)pns_diag_add(s->diags, s->path, 0, "out of memory while reading the policy");
}

static void scan_header(struct scan *s, unsigned line, const char *t, size_t n)
{
	const char *in = t + 1, *name = NULL;
	size_t ilen = n - 2, name_len = 0;
	enum section_kind kind = SECTION_DEFAULT;
	uint32_t id = 0;
	size_t dup;
	int r;

	s->state = IN_BAD_SECTION;
	/*
	 * iniparser takes "[a]b]" as "a", "[a] junk" as a key line, and "[]" as
	 * the previous section cut short.
	 */
	if (n < 2 || t[n - 1] != ']' || memchr(in, '[', ilen) || memchr(in, ']', ilen)) {
		scan_error(s, line,
			"malformed section header (expected [default], [user:NAME], [uid:N], "
			"[group:NAME] or [gid:N] alone on the line)");
		return;
	}
	if (ilen == 0) {
		scan_error(s, line, "empty section header []");
		return;
	}
	for (size_t i = 0; i < ilen; i++)
		if (is_blank(in[i])) {
			scan_error(s, line, "whitespace in section header [%.*s]", (int)ilen, in);
			return;
		}
	/* iniparser folds case: [user:Alice] would silently merge with [user:alice]. */
	if (has_upper(in, ilen)) {
		scan_error(s, line,
			"section header [%.*s] has upper-case letters (iniparser folds case; match "
			"accounts with upper-case names by [uid:N])",
			(int)ilen, in);
		return;
	}

	if (ilen == strlen("default") && memcmp(in, "default", ilen) == 0)
		kind = SECTION_DEFAULT;
	else {
		static const struct {
			const char *prefix;
			enum section_kind kind;
		} kinds[] = {
			{"user:", SECTION_USER},
			{"uid:", SECTION_UID},
			{"group:", SECTION_GROUP},
			{"gid:", SECTION_GID},
		};
		bool found = false;

		for (size_t i = 0; i < ELEMENTSOF(kinds) && !found; i++) {
			size_t plen = strlen(kinds[i].prefix);

			if (ilen > plen && memcmp(in, kinds[i].prefix, plen) == 0) {
				kind = kinds[i].kind;
				name = in + plen;
				name_len = ilen - plen;
				found = true;
			}
		}
		if (!found) {
			scan_error(s, line,
				"unknown section [%.*s] (expected [default], [user:NAME], [uid:N], "
				"[group:NAME] or [gid:N])",
				(int)ilen, in);
			return;
		}
	}

	if (name && memchr(name, ':', name_len)) {
		/* iniparser stores "section:key": with ':' in names, "[a:b] c" is "[a] b:c". */
		scan_error(s, line, "name in section header [%.*s] contains ':'", (int)ilen, in);
		return;
	}
	if (kind == SECTION_UID || kind == SECTION_GID) {
		char num[SECTION_NAME_MAX + 1];

		if (name_len > SECTION_NAME_MAX) {
			scan_error(s, line, "invalid %s in section header [%.*s]",
				kind == SECTION_UID ? "uid" : "gid", (int)ilen, in);
			return;
		}
		memcpy(num, name, name_len);
		num[name_len] = '\0';
		r = pns_parse_id(num, &id);
		if (r < 0) {
			scan_error(s, line,
				"invalid %s in section header [%.*s] (expected a plain decimal "
				"number below 4294967295)",
				kind == SECTION_UID ? "uid" : "gid", (int)ilen, in);
			return;
		}
		name = NULL;
		name_len = 0;
	} else if (name_len > SECTION_NAME_MAX) {
		scan_error(s, line, "name in section header is longer than %d bytes",
			SECTION_NAME_MAX);
		return;
	}

	/* The newest section of its kind and name heads the chain: from this file, a duplicate. */
	dup = section_lookup(s->p, kind, name, name_len, id);
	if (dup && s->p->sections[dup - 1].file == s->file) {
		scan_error(s, line, "duplicate section [%.*s] (first at line %u)", (int)ilen, in,
			s->p->sections[dup - 1].line);
		return;
	}

	r = section_add(s->p, &(struct section){
				      .kind = kind,
				      .id = id,
				      .name = name,
				      .name_len = name_len,
				      .file = s->file,
				      .line = line,
				      .hdr_off = (size_t)(in - s->buf),
				      .hdr_len = ilen,
				      .first_entry = s->p->n_entries,
			      });
	if (r < 0) {
		scan_oom(s, r);
		return;
	}
	s->state = IN_SECTION;
	s->section = s->p->n_sections - 1;
}

static void scan_key(struct scan *s, unsigned line, const char *t, size_t n)
{
	const char *eq = memchr(t, '=', n), *end = t + n, *v, *vend;
	char value[LINE_BYTES_MAX + 1], msg[LINE_BYTES_MAX + 256];
	struct entry e = {.line = line, .file = s->file};
	size_t klen;
	int k = -1, r;

	if (!eq) {
		scan_error(s, line, "expected 'key = value' or a [section] header");
		return;
	}
	for (klen = (size_t)(eq - t); klen > 0 && is_blank(t[klen - 1]); klen--)
		;
	if (klen == 0) {
		scan_error(s, line, "missing key before '='");
		return;
	}

	/*
	 * The value, as iniparser 4.1 reads it: after '=' and blanks, "..." or
	 * '...' verbatim; otherwise up to the first ';' or '#', blanks stripped.
	 * iniparser ignores anything after a closing quote and takes a missing
	 * closing quote as the end of the line: both are errors here.
	 */
	for (v = eq + 1; v < end && is_blank(*v); v++)
		;
	if (v < end && (*v == '"' || *v == '\'')) {
		const char *close = memchr(v + 1, *v, (size_t)(end - v - 1)), *rest;

		if (!close) {
			scan_error(s, line, "unterminated quoted value");
			return;
		}
		for (rest = close + 1; rest < end && is_blank(*rest); rest++)
			;
		if (rest < end && *rest != ';' && *rest != '#') {
			scan_error(s, line, "unexpected text after the closing quote");
			return;
		}
		v++;
		vend = close;
	} else {
		for (vend = v; vend < end && *vend != ';' && *vend != '#'; vend++)
			;
		while (vend > v && is_blank(vend[-1]))
			vend--;
	}

	if (s->state == IN_NONE)
		scan_error(s, line, "key '%.*s' outside a section", (int)klen, t);

	if (has_upper(t, klen)) {
		scan_error(s, line, "key '%.*s' has upper-case letters", (int)klen, t);
		return;
	}
	if (memchr(t, ':', klen)) {
		/* iniparser reads "[a] b:c" as "[a:b] c". */
		scan_error(s, line, "key '%.*s' contains ':'", (int)klen, t);
		return;
	}
	for (int i = 0; i < _PNS_KEY_MAX; i++)
		if (strlen(key_names[i]) == klen && memcmp(key_names[i], t, klen) == 0)
			k = i;
	if (k < 0) {
		scan_error(s, line, "unknown key '%.*s'", (int)klen, t);
		return;
	}
	e.key = (enum pns_key)k;

	if (vend == v) {
		scan_error(s, line, "%s: empty value", key_names[k]);
		return;
	}
	memcpy(value, v, (size_t)(vend - v));
	value[vend - v] = '\0';
	e.val_off = (size_t)(v - s->buf);
	e.val_len = (size_t)(vend - v);
	r = value_parse(e.key, value, &e, msg, sizeof(msg));
	if (r < 0) {
		scan_error(s, line, "%s", msg);
		return;
	}

	if (s->state != IN_SECTION)
		return;
	{
		struct section *sec = &s->p->sections[s->section];

		for (size_t i = sec->first_entry; i < sec->first_entry + sec->n_entries; i++)
			if (s->p->entries[i].key == e.key) {
				scan_error(s, line,
					"duplicate key '%s' in [%.*s] (first at line %u)",
					key_names[k], (int)sec->hdr_len, s->buf + sec->hdr_off,
					s->p->entries[i].line);
				return;
			}
	}
	r = entry_add(s->p, &e);
	if (r < 0) {
		scan_oom(s, r);
		return;
	}
	s->p->sections[s->section].n_entries++;
}

static void scan_line(struct scan *s, unsigned line, const char *t, size_t n)
{
	while (n > 0 && is_blank(*t)) {
		t++;
		n--;
	}
	while (n > 0 && is_blank(t[n - 1]))
		n--;
	if (n == 0)
		return;
	/* iniparser joins a line ending in '\' (after trailing blanks) to the next, comments too.
	 */
	if (t[n - 1] == '\\') {
		scan_error(s, line,
			"line ends with a backslash (continuation lines are not supported)");
		return;
	}
	if (t[0] == '#' || t[0] == ';')
		return;
	if (t[0] == '[')
		scan_header(s, line, t, n);
	else
		scan_key(s, line, t, n);
}

static void scan_file(struct scan *s)
{
	size_t pos = 0;
	unsigned line = 0;

	s->first_section = s->p->n_sections;
	s->first_entry = s->p->n_entries;
	s->state = IN_NONE;

	if (s->size >= 3 && memcmp(s->buf, "\xef\xbb\xbf", 3) == 0) {
		scan_error(s, 1, "file starts with a UTF-8 byte order mark (save it without one)");
		pos = 3;
	}

	while (pos < s->size && !s->stop) {
		const char *start = s->buf + pos, *nl;
		size_t len;
		bool bad = false;

		line++;
		nl = memchr(start, '\n', s->size - pos);
		len = nl ? (size_t)(nl - start) : s->size - pos;
		pos += len + (nl ? 1 : 0);

		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)start[i];

			if (c == '\0')
				scan_error(s, line, "NUL byte in line");
			else if (c == '\r')
				scan_error(s, line,
					"carriage return in line (DOS line endings are not "
					"supported)");
			else if ((c < 0x20 && c != '\t') || c == 0x7f)
				scan_error(s, line, "control character 0x%02x in line", c);
			else
				continue;
			bad = true;
			break;
		}
		if (len > LINE_BYTES_MAX) {
			scan_error(s, line, "line is longer than %d bytes", LINE_BYTES_MAX);
			bad = true;
		}
		if (!bad)
			scan_line(s, line, start, len);
	}
}

/* ---- the cross-check with iniparser ------------------------------------- */

static int silent_error_callback(const char *format, ...)
{
	/* iniparser prints the offending line to stderr: the user's tty under su. */
	return 0;
}

static int write_all(int fd, const char *buf, size_t size)
{
	while (size > 0) {
		ssize_t k = write(fd, buf, size);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		buf += k;
		size -= (size_t)k;
	}
	return 0;
}

static void iniparser_freedictp(dictionary **d)
{
	if (*d)
		iniparser_freedict(*d);
}

static void crosscheck(struct scan *s)
{
	static const char missing[] = "";
	_cleanup_(iniparser_freedictp) dictionary *d = NULL;
	_cleanup_close_ int mfd = -1;
	char path[64], key[SECTION_NAME_MAX + 64];
	size_t n_sections = 0, n_keys = 0;
	int r, load_errno;

	/* Exactly the bytes we scanned, through a file that nobody else can change. */
	mfd = memfd_create("pam_ns-policy", MFD_CLOEXEC);
	if (mfd < 0) {
		s->sys_error = negative_errno();
		(void)pns_diag_add(s->diags, s->path, 0, "cannot create a memfd: %m");
		return;
	}
	r = write_all(mfd, s->buf, s->size);
	if (r < 0) {
		s->sys_error = r;
		errno = -r;
		(void)pns_diag_add(s->diags, s->path, 0, "cannot write to a memfd: %m");
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	iniparser_set_error_callback(silent_error_callback);
	errno = 0;
	d = iniparser_load(path);
	load_errno = errno;
	if (!d && load_errno == ENOMEM) {
		s->sys_error = -ENOMEM;
		(void)pns_diag_add(s->diags, s->path, 0, "out of memory while reading the policy");
		return;
	}
	if (!d) {
		/* Never an empty policy: no /proc, or our scanner missed something. */
		s->sys_error = -EIO;
		(void)pns_diag_add(s->diags, s->path, 0,
			"iniparser failed to read this file (out of memory or /proc not mounted?)");
		return;
	}

	/* iniparser_getnsec() skips names with ':', all of ours but [default]: count by hand. */
	for (ssize_t i = 0; i < d->size; i++) {
		if (!d->key[i])
			continue;
		if (d->val[i])
			n_keys++;
		else
			n_sections++;
	}
	if (n_sections != s->p->n_sections - s->first_section ||
		n_keys != s->p->n_entries - s->first_entry) {
		if (load_errno == ENOMEM) {
			/* iniparser 4.1 drops the lines it cannot copy and returns the rest. */
			s->sys_error = -ENOMEM;
			(void)pns_diag_add(s->diags, s->path, 0,
				"out of memory while reading the policy (iniparser lost lines)");
			return;
		}
		scan_error(s, 0,
			"iniparser read this file differently: %zu sections and %zu keys instead "
			"of %zu and %zu",
			n_sections, n_keys, s->p->n_sections - s->first_section,
			s->p->n_entries - s->first_entry);
		return;
	}

	for (size_t i = s->first_section; i < s->p->n_sections; i++) {
		const struct section *sec = &s->p->sections[i];

		snprintf(key, sizeof(key), "%.*s", (int)sec->hdr_len, s->buf + sec->hdr_off);
		/* A section has a NULL value; "missing" means iniparser has no such name. */
		if (iniparser_getstring(d, key, missing) != NULL)
			scan_error(s, sec->line,
				"iniparser read this file differently: no section [%s]", key);

		for (size_t j = sec->first_entry; j < sec->first_entry + sec->n_entries; j++) {
			const struct entry *e = &s->p->entries[j];
			const char *v;

			snprintf(key, sizeof(key), "%.*s:%s", (int)sec->hdr_len,
				s->buf + sec->hdr_off, key_names[e->key]);
			v = iniparser_getstring(d, key, NULL);
			if (!v || strlen(v) != e->val_len ||
				memcmp(v, s->buf + e->val_off, e->val_len) != 0)
				scan_error(s, e->line,
					"iniparser read this file differently: %s is '%s', not "
					"'%.*s'",
					key, v ? v : "(missing)", (int)e->val_len,
					s->buf + e->val_off);
		}
	}
}

/* The file is accepted: make names and strings C strings in place. */
static void finalize_file(
	struct pns_policy *p, size_t file, size_t first_section, size_t first_entry)
{
	char *buf = p->files[file].buf;

	/*
	 * Each token is followed by a byte that belongs to no token: ']', a
	 * quote, a blank, ';', '#', '\n' or the final NUL.
	 */
	for (size_t i = first_section; i < p->n_sections; i++) {
		struct section *sec = &p->sections[i];

		if (sec->name)
			buf[(size_t)(sec->name - buf) + sec->name_len] = '\0';
	}
	for (size_t i = first_entry; i < p->n_entries; i++) {
		struct entry *e = &p->entries[i];

		if (e->key == PNS_KEY_HOSTNAME) {
			buf[e->val_off + e->val_len] = '\0';
			e->v.str = buf + e->val_off;
		}
	}
}

/* ---- opening files ------------------------------------------------------ */

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
	q = diag_addv(L->diags, file, 0, fmt, ap);
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
	if (st.st_uid != 0) {
		problem(L, display, -EINVAL, "directory is owned by uid %u, not root",
			(unsigned)st.st_uid);
		ok = false;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
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
		if (st.st_uid != 0) {
			problem(L, display, -EINVAL, "file is owned by uid %u, not root",
				(unsigned)st.st_uid);
			ok = false;
		}
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
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

/* Read the whole file with read(): -EFBIG past POLICY_FILE_MAX. buf gets a trailing NUL. */
static int read_all(int fd, const struct stat *st, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t alloc, n = 0;

	if ((uint64_t)st->st_size > POLICY_FILE_MAX)
		return -EFBIG;
	/* Room for one byte more than the file claims, to see it end (or grow). */
	alloc = (size_t)st->st_size + 1;
	buf = malloc(alloc + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n == alloc) {
			size_t a = alloc * 2;
			char *q;

			if (alloc > POLICY_FILE_MAX)
				return -EFBIG;
			if (a > POLICY_FILE_MAX + 1)
				a = POLICY_FILE_MAX + 1;
			q = realloc(buf, a + 1);
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
	buf[n] = '\0';
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
		void *q = grow_array(p->files, &p->files_alloc, sizeof(*p->files));

		if (!q)
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

	scan_file(&s);
	if (s.n_errors == 0 && s.sys_error == 0)
		crosscheck(&s);
	if (s.sys_error < 0) {
		load_result(L, s.sys_error);
		return s.sys_error;
	}
	if (s.n_errors > 0) {
		load_result(L, -EINVAL);
		return -EINVAL;
	}
	finalize_file(p, s.file, s.first_section, s.first_entry);
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
		size_t len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno != 0) {
				problem(L, display, negative_errno(), "cannot read directory: %m");
				return;
			}
			break;
		}
		/* As the shell's *.conf: hidden files do not match. */
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
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

int pns_policy_load(const char *main_path, bool require_root_owned, struct pns_policy **ret,
	struct pns_diag_list *diags)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	_cleanup_close_ int dir_fd = -1;
	struct load L = {.diags = diags, .require_root_owned = require_root_owned};
	const char *base = NULL;
	bool trusted = false;
	int r;

	if (!main_path || !*main_path || !ret)
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	L.p = p;

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
	*ret = TAKE_PTR(p);
	return 0;
}

void pns_policy_free(struct pns_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].path);
		free(p->files[i].buf);
	}
	free(p->files);
	free(p->sections);
	free(p->entries);
	free(p->slots);
	free(p);
}

size_t pns_policy_n_files(const struct pns_policy *p)
{
	return p ? p->n_files : 0;
}

const char *pns_policy_file(const struct pns_policy *p, size_t i)
{
	return p && i < p->n_files ? p->files[i].path : NULL;
}

size_t pns_policy_n_sections(const struct pns_policy *p)
{
	return p ? p->n_sections : 0;
}

/* ---- resolution --------------------------------------------------------- */

enum { TIER_USER, TIER_GROUP, TIER_DEFAULT, _TIER_MAX };

/*
 * Every section of one chain (same kind and name/id, all files) matches:
 * for each key remember the entry that appears last. Entries are stored in
 * file order, so "appears last" is "highest index".
 */
static void consider(const struct pns_policy *p, size_t head, size_t best[_PNS_KEY_MAX])
{
	for (size_t si = head; si; si = p->sections[si - 1].next_same) {
		const struct section *s = &p->sections[si - 1];

		for (size_t i = s->first_entry; i < s->first_entry + s->n_entries; i++) {
			enum pns_key k = p->entries[i].key;

			if (i + 1 > best[k])
				best[k] = i + 1;
		}
	}
}

void pns_policy_resolve(
	const struct pns_policy *p, const struct pns_identity *id, struct pns_settings *ret)
{
	size_t best[_TIER_MAX][_PNS_KEY_MAX] = {};
	struct pns_settings s;

	pns_settings_builtin(&s);
	if (!p || !id) {
		*ret = s;
		return;
	}

	consider(p, section_lookup(p, SECTION_DEFAULT, NULL, 0, 0), best[TIER_DEFAULT]);
	/* Headers are lower case, so a name with upper-case letters is matched by [uid:N] only. */
	if (id->name && !has_upper(id->name, strlen(id->name)))
		consider(p, section_lookup(p, SECTION_USER, id->name, strlen(id->name), 0),
			best[TIER_USER]);
	consider(p, section_lookup(p, SECTION_UID, NULL, 0, (uint32_t)id->uid), best[TIER_USER]);
	consider(p, section_lookup(p, SECTION_GID, NULL, 0, (uint32_t)id->gid), best[TIER_GROUP]);
	for (size_t i = 0; i < id->n_groups; i++) {
		const char *g = id->group_names ? id->group_names[i] : NULL;

		if (id->groups)
			consider(p,
				section_lookup(p, SECTION_GID, NULL, 0, (uint32_t)id->groups[i]),
				best[TIER_GROUP]);
		if (g && !has_upper(g, strlen(g)))
			consider(p, section_lookup(p, SECTION_GROUP, g, strlen(g), 0),
				best[TIER_GROUP]);
	}

	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		const struct entry *e;
		size_t i = best[TIER_USER][k];

		if (!i)
			i = best[TIER_GROUP][k];
		if (!i)
			i = best[TIER_DEFAULT][k];
		if (!i)
			continue;
		e = &p->entries[i - 1];
		switch (e->key) {
		case PNS_KEY_ISOLATE:
			s.isolate = e->v.u != 0;
			break;
		case PNS_KEY_NAMESPACES:
			s.namespaces = (unsigned)e->v.u;
			break;
		case PNS_KEY_TMP:
			s.tmp = (enum pns_tmp)e->v.u;
			break;
		case PNS_KEY_TMP_SIZE:
			s.tmp_size = e->v.size;
			break;
		case PNS_KEY_TMP_INODES:
			s.tmp_inodes = e->v.u;
			break;
		case PNS_KEY_VAR_TMP:
			s.var_tmp = (enum pns_tmp)e->v.u;
			break;
		case PNS_KEY_SHM:
			s.shm = (enum pns_shm)e->v.u;
			break;
		case PNS_KEY_HOSTNAME:
			/* Checked at load: at most PNS_HOSTNAME_TEMPLATE_MAX bytes. */
			snprintf(s.hostname, sizeof(s.hostname), "%s", e->v.str);
			break;
		case PNS_KEY_SHARE:
			s.share = (enum pns_share)e->v.u;
			break;
		case PNS_KEY_USERNS_MAP:
			s.userns_map = (enum pns_userns_map)e->v.u;
			break;
		case PNS_KEY_USERNS_FALLBACK:
			s.userns_fallback = (enum pns_userns_fallback)e->v.u;
			break;
		default:
			continue;
		}
		s.origin[k] = (struct pns_origin){.file = p->files[e->file].path, .line = e->line};
	}
	*ret = s;
}

void pns_settings_builtin(struct pns_settings *ret)
{
	*ret = (struct pns_settings){
		.isolate = false,
		.namespaces = PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS,
		.tmp = PNS_TMP_TMPFS,
		.tmp_size = {.value = 25, .percent = true},
		.tmp_inodes = 0,
		.var_tmp = PNS_TMP_NONE,
		.shm = PNS_SHM_AUTO,
		.hostname = "",
		.share = PNS_SHARE_USER,
		.userns_map = PNS_USERNS_MAP_SELF,
		.userns_fallback = PNS_USERNS_FALLBACK_DENY,
	};
}

const char *pns_key_name(enum pns_key k)
{
	return (unsigned)k < _PNS_KEY_MAX ? key_names[k] : NULL;
}

static const char *tmp_name(enum pns_tmp t)
{
	switch (t) {
	case PNS_TMP_NONE:
		return "none";
	case PNS_TMP_TMPFS:
		return "tmpfs";
	case PNS_TMP_DIR:
		return "dir";
	}
	return NULL;
}

int pns_settings_format(const struct pns_settings *s, enum pns_key k, char *buf, size_t size)
{
	char tmp[PNS_HOSTNAME_TEMPLATE_MAX + 64];
	const char *v = NULL;

	if (!s || !buf)
		return -EINVAL;
	switch (k) {
	case PNS_KEY_ISOLATE:
		v = s->isolate ? "yes" : "no";
		break;
	case PNS_KEY_NAMESPACES: {
		static const struct {
			unsigned bit;
			const char *word;
		} ns[] = {
			{PNS_NS_MOUNT, "mount"},
			{PNS_NS_IPC, "ipc"},
			{PNS_NS_UTS, "uts"},
			{PNS_NS_USER, "user"},
		};

		tmp[0] = '\0';
		for (size_t i = 0; i < ELEMENTSOF(ns); i++)
			if (s->namespaces & ns[i].bit) {
				if (tmp[0])
					strcat(tmp, " ");
				strcat(tmp, ns[i].word);
			}
		v = tmp[0] ? tmp : "(none)";
		break;
	}
	case PNS_KEY_TMP:
		v = tmp_name(s->tmp);
		break;
	case PNS_KEY_VAR_TMP:
		v = tmp_name(s->var_tmp);
		break;
	case PNS_KEY_TMP_SIZE: {
		uint64_t n = s->tmp_size.value;

		if (s->tmp_size.percent)
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "%%", n);
		else if (n != 0 && n % (UINT64_C(1) << 30) == 0)
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "G", n >> 30);
		else if (n != 0 && n % (UINT64_C(1) << 20) == 0)
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "M", n >> 20);
		else if (n != 0 && n % (UINT64_C(1) << 10) == 0)
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "K", n >> 10);
		else
			snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
		v = tmp;
		break;
	}
	case PNS_KEY_TMP_INODES:
		if (s->tmp_inodes == 0)
			v = "kernel default";
		else {
			snprintf(tmp, sizeof(tmp), "%" PRIu64, s->tmp_inodes);
			v = tmp;
		}
		break;
	case PNS_KEY_SHM:
		switch (s->shm) {
		case PNS_SHM_AUTO:
			/*
			 * The effective value: a private /dev/shm follows the IPC
			 * namespace but needs a mount namespace to live in (as
			 * common/plan.c builds it).
			 */
			v = (s->namespaces & PNS_NS_IPC) && (s->namespaces & PNS_NS_MOUNT)
				    ? "private"
				    : "shared";
			break;
		case PNS_SHM_PRIVATE:
			v = "private";
			break;
		case PNS_SHM_SHARED:
			v = "shared";
			break;
		}
		break;
	case PNS_KEY_HOSTNAME:
		v = s->hostname[0] ? s->hostname : "(unchanged)";
		break;
	case PNS_KEY_SHARE:
		v = s->share == PNS_SHARE_USER	    ? "user"
		    : s->share == PNS_SHARE_SESSION ? "session"
						    : NULL;
		break;
	case PNS_KEY_USERNS_MAP:
		v = s->userns_map == PNS_USERNS_MAP_SELF    ? "self"
		    : s->userns_map == PNS_USERNS_MAP_SUBID ? "subid"
							    : NULL;
		break;
	case PNS_KEY_USERNS_FALLBACK:
		v = s->userns_fallback == PNS_USERNS_FALLBACK_DENY   ? "deny"
		    : s->userns_fallback == PNS_USERNS_FALLBACK_SKIP ? "skip"
								     : NULL;
		break;
	default:
		return -EINVAL;
	}
	if (!v)
		return -EINVAL;
	if (strlen(v) >= size)
		return -ENOBUFS;
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

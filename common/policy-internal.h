/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the files of the policy loader share: limits, the in-memory policy
 * (files, sections, entries, the index), the scanner's state, and the
 * functions one file calls in another. Not for use outside common/policy*.
 * The loader's design is described at the top of common/policy.c.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/keys.h"
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
/*
 * Sections plus keys per iniparser_load() in a cross-check. Each load has
 * a fixed cost (a memfd write and an fopen()), and each entry costs a
 * linear search of the dictionary, which grows with the batch: batches of
 * about this size keep both small (bench/RESULTS.md, `pam_nsctl check`).
 */
#define CROSSCHECK_BATCH_ENTRIES 128

enum section_kind {
	SECTION_DEFAULT,
	SECTION_USER,
	SECTION_UID,
	SECTION_GROUP,
	SECTION_GID,
};

/*
 * Offsets into a file are 32 bits (a file is at most POLICY_FILE_MAX
 * bytes), and so are indices (refused beyond, as out of memory), so that
 * 10,000 sections touch few pages: a login pays a page fault for every
 * fresh 4 KiB.
 */
_Static_assert(POLICY_FILE_MAX < UINT32_MAX, "file offsets are 32 bits");
_Static_assert(LINE_BYTES_MAX < UINT16_MAX, "lengths within a line are 16 bits");
_Static_assert(_PNS_KEY_MAX < UINT8_MAX, "entry counts are 8 bits");
#define INDEX_MAX (UINT32_MAX - 1)

/*
 * What can be derived is not stored: 28 bytes a section and 12 an entry,
 * because a login runs in a fresh process and pays a page fault for every
 * page of sections it fills. A section's name or number is the end of
 * its header (after name_offset[kind] bytes), its chunk (see the top of
 * this file) runs from its header line to the next one in the file
 * (section_chunk()), and a value is parsed again when resolved.
 */
struct section {
	uint32_t file;
	uint32_t first_entry;
	/* 1 + index of the previous section with the same kind and name; 0: none. */
	uint32_t next_same;
	unsigned line;
	uint32_t line_off; /* where its header line starts in the file's buffer */
	uint32_t hdr_off;  /* the header between the brackets, in the file's buffer */
	uint16_t hdr_len;
	uint8_t kind : 7;   /* enum section_kind */
	bool confirmed : 1; /* iniparser read it as the scanner did */
	uint8_t n_entries;  /* each key at most once */
};
_Static_assert(sizeof(struct section) == 28, "a section is 28 bytes");

struct entry {
	unsigned line;
	uint32_t val_off; /* the raw value in the file's buffer */
	uint16_t val_len;
	uint8_t key; /* enum pns_key */
};
_Static_assert(sizeof(struct entry) == 12, "an entry is 12 bytes");

/* A parsed value. */
/* Where the name starts in a header: after "user:", "uid:", ...; [default] has none. */
static const uint8_t name_offset[] = {
	[SECTION_DEFAULT] = sizeof("default") - 1,
	[SECTION_USER] = sizeof("user:") - 1,
	[SECTION_UID] = sizeof("uid:") - 1,
	[SECTION_GROUP] = sizeof("group:") - 1,
	[SECTION_GID] = sizeof("gid:") - 1,
};

struct policy_file {
	char *path;
	/*
	 * size bytes as read, plus SCAN_PAD NULs; never modified, iniparser
	 * gets these very bytes
	 */
	char *buf;
	size_t size;
	size_t first_section, n_sections;
	unsigned n_lines;
	bool scanned; /* the scanner accepted it */
	bool checked; /* a file without sections: iniparser agreed that it has none */
};

/* The identity a policy was confirmed for: a deep copy. */
struct confirmed_identity {
	bool set;
	char *name;
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t *groups;	    /* NULL when the caller's was */
	char **group_names; /* NULL when the caller's was; entries may be NULL */
};

struct pns_policy {
	struct policy_file *files;
	size_t n_files, files_alloc;
	struct section *sections;
	size_t n_sections, sections_alloc;
	struct entry *entries;
	size_t n_entries, entries_alloc;
	/*
	 * Open-addressing index: (kind, name) -> the newest such section. A
	 * slot is a 16-bit tag from the hash (0: empty) in tags[] and 1 + the
	 * section's index in heads[]: a probe reads eight tags at once, and
	 * heads[] only where a tag matches, which for a new name is rare.
	 */
	uint16_t *tags;
	uint32_t *heads; /* the same allocation */
	size_t n_slots, n_slots_used;
	size_t n_group_sections; /* [group:NAME] and [gid:N] */

	/* Phase 2 (pns_policy_confirm). */
	bool confirmed_all; /* every section and file was cross-checked */
	bool failed;	    /* a cross-check failed: the policy is invalid */
	struct confirmed_identity who;
	int cache_dir_fd; /* PNS_RUN_DIR for the policy cache (not ours), or -1 */
};

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
	size_t line_off; /* where the current line starts in buf */
	/*
	 * For each key, the last value that parsed, as text in buf (NULL:
	 * none yet): a large policy repeats a few values, and a value equal
	 * to the last one needs no parsing.
	 */
	struct {
		const char *text;
		size_t len;
	} parsed[_PNS_KEY_MAX];
};

/* ---- what one file of the loader calls in another ---- */

/* policy.c: append "file:line: message" to l. */
int policy_diag_addv(struct pns_diag_list *l, const char *file, unsigned line, const char *fmt,
	va_list ap) _printf_(4, 0);
/* policy.c: forget the identity a policy was confirmed for. */
void policy_identity_clear(struct confirmed_identity *w);
/* policy-files.c: phase 1 into p, which the caller frees: open, read and
 * scan the main file and the drop-ins. */
int policy_read_files(struct pns_policy *p, const char *main_path, bool require_root_owned,
	struct pns_diag_list *diags);
/* policy-scan.c: scan s->buf, one file; a problem at line (0: the file). */
void policy_scan_file(struct scan *s);
void policy_scan_error(struct scan *s, unsigned line, const char *fmt, ...) _printf_(3, 4);
/* policy-crosscheck.c: phase 2 for the sections sel[0..n_sel), or with
 * all for every section and every file without sections. */
int policy_crosscheck(struct pns_policy *p, const size_t *sel, size_t n_sel, bool all,
	struct pns_diag_list *diags);

/* ---- small helpers ---- */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/*
 * Fault in the pages of a large buffer with one system call. A login runs
 * in a fresh process, where the first write to each 4 KiB of a large
 * allocation traps, one trap per page where one call would do. Only whole pages inside [ptr, ptr +
 * len), which are ours; an older kernel fails with EINVAL and the pages fault one by one.
 */
static inline void prefault(void *ptr, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)ptr + page - 1) & ~(page - 1);
	uintptr_t e = ((uintptr_t)ptr + len) & ~(page - 1);
	int saved_errno = errno;

	if (len < (64 << 10) || page == 0 || (page & (page - 1)) != 0 || e <= a)
		return;
	(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
	errno = saved_errno;
}

/* Double an array's allocation; NULL (array untouched) on overflow or OOM. */
static inline void *grow_array(void *array, size_t *alloc, size_t elem)
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

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_upper(s[i]))
			return true;
	return false;
}

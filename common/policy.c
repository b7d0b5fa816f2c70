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
 *  3. Only a policy the scanner accepts is handed to iniparser through a
 *     memfd, and the two readings are compared: same sections, same keys,
 *     same values. Any difference is an error.
 * Steps 1 and 2 are pns_policy_scan(), step 3 pns_policy_confirm().
 *
 * iniparser 4.1 keeps its dictionary in a flat array searched linearly,
 * so reading n sections costs O(n^2) (220 ms for 10,000 sections). Step 3
 * therefore hands iniparser "chunks": a section's chunk is its bytes from
 * the start of its header line (the start of the file for the file's first
 * section) up to the next header line or the end of the file. A file is
 * the concatenation of its chunks; iniparser carries nothing from one
 * chunk to the next but the current section, which the next header resets
 * (continuation lines, the only other state, are refused by the scanner).
 * So a sequence of chunks, in file order, reads as those sections do in
 * the whole file, and a chunk whose first line iniparser does not take
 * for a header shows up as a missing section. A login cross-checks the
 * chunks of the sections that can apply to it; pam_nsctl check all of them,
 * in batches of bounded size, which is linear in the size of the policy
 * and still shows iniparser every byte.
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

#include "common/keys.h"
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
/*
 * Sections plus keys per iniparser_load() in a cross-check: each load costs
 * a memfd write and an fopen() (tens of µs), each entry a linear search of
 * the dictionary; the sum is smallest around here (measured: 10,000
 * sections in 14 ms, against 220 ms in one load).
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
 * What can be derived is not stored: 28 bytes a section and 12 an entry
 * (at 44 and 32, a 10,000-section policy faulted in 87 pages more, each
 * a fresh page for a login). A section's name or number is the end of
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

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/*
 * Fault in the pages of a large buffer with one system call. A login runs
 * in a fresh process, where the first write to each 4 KiB of a large
 * allocation traps; for a 10,000-section policy (300 pages) that was a
 * tenth of the scan. Only whole pages inside [ptr, ptr + len), which are
 * ours; an older kernel fails with EINVAL and the pages fault one by one.
 */
static void prefault(void *ptr, size_t len)
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

/*
 * SSE2, which every x86-64 has, for the scanner and the section index:
 * lines are a few dozen bytes, and a loop over their bytes, or a call to
 * memchr() for each, was most of the scan. A file's buffer ends with
 * SCAN_PAD zero bytes (see read_all()), so that 32 bytes can be loaded at
 * any offset in the file, and 64 at any multiple of 64 below its size.
 * Elsewhere, or with PNS_POLICY_NO_SIMD (to test that code), plain C.
 */
#define SCAN_PAD 64

#if defined(__SSE2__) && !defined(PNS_POLICY_NO_SIMD)
#include <emmintrin.h>
#define SCAN_SSE2 1

static inline __m128i load16(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Bit i set when byte i of x is c. */
static inline unsigned match16(__m128i x, char c)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
}

/* Bit i set when byte i of x and y are equal. */
static inline unsigned match16_vec(__m128i x, __m128i y)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
}

/* Bits 0 to n - 1 (all sixteen when n >= 16). */
static inline unsigned first_bits(size_t n)
{
	return n >= 16 ? 0xffffu : (1u << n) - 1;
}
#endif

/* ---- the section index -------------------------------------------------- */

/*
 * Computed once per header. The policy is root's, so nobody chooses names
 * to collide.
 */
#ifdef __SIZEOF_INT128__
static inline uint64_t load64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint32_t load32(const char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* Both halves of the 128-bit product, folded: every input bit reaches the middle. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * wyhash's scheme: two dependent multiplications for a name of up to 16
 * bytes, read as two overlapping words. A chain of multiplications, one
 * per eight bytes, and a finalizer were 8% of the scan of 10,000 sections.
 */
static inline uint32_t section_hash(enum section_kind kind, const char *name, size_t len)
{
	const uint64_t s0 = UINT64_C(0xa0761d6478bd642f), s1 = UINT64_C(0xe7037ed1a0b428db);
	uint64_t seed = s0 ^ ((uint64_t)kind << 32 | (uint32_t)len), a, b;

	if (len >= 8 && len <= 16) {
		a = load64(name);
		b = load64(name + len - 8);
	} else if (len >= 4 && len < 8) {
		a = load32(name);
		b = load32(name + len - 4);
	} else if (len < 4) {
		a = len ? (uint64_t)(unsigned char)name[0] << 16 |
				    (uint64_t)(unsigned char)name[len >> 1] << 8 |
				    (unsigned char)name[len - 1]
			: 0;
		b = 0;
	} else {
		for (size_t i = 0; len - i > 16; i += 16)
			seed = mum(load64(name + i) ^ s1, load64(name + i + 8) ^ seed);
		a = load64(name + len - 16);
		b = load64(name + len - 8);
	}
	return (uint32_t)mum(s1 ^ len, mum(a ^ s1, b ^ seed));
}
#else
static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
	return h ^ (h >> 32);
}

/* Without a 128-bit product: eight bytes at a time, then a finalizer. */
static inline uint32_t section_hash(enum section_kind kind, const char *name, size_t len)
{
	uint64_t h = mix(UINT64_C(0x9e3779b97f4a7c15), (uint64_t)kind << 32 | (uint32_t)len);
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, name + i, 8);
		h = mix(h, w);
	}
	if (i < len) {
		uint64_t w = 0;

		memcpy(&w, name + i, len - i);
		h = mix(h, w);
	}
	/*
	 * A product's low bits see only the factors' low bits, so without
	 * this, names differing in their last bytes ("u-00001", "u-00002")
	 * share slots (19 probes per insert instead of 0.8).
	 */
	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 32;
	return (uint32_t)h;
}
#endif

/*
 * A section's name, or number: [uid:N] and [gid:N] are matched by N as
 * written, which is how an id is printed (the scanner refuses "01",
 * "+1", ...). [default] has an empty name.
 */
static size_t section_name_len(const struct section *s)
{
	return s->hdr_len - name_offset[s->kind];
}

static const char *section_name(const struct pns_policy *p, const struct section *s)
{
	return p->files[s->file].buf + s->hdr_off + name_offset[s->kind];
}

static bool section_is(const struct pns_policy *p, const struct section *s, enum section_kind kind,
	const char *name, size_t len)
{
	return s->kind == kind && section_name_len(s) == len &&
	       (len == 0 || memcmp(section_name(p, s), name, len) == 0);
}

/* The hash of a section's kind and name, as section_hash() of what its header says. */
static uint32_t section_hash_of(const struct pns_policy *p, const struct section *s)
{
	return section_hash(s->kind, section_name(p, s), section_name_len(s));
}

/* The slot's position comes from the hash's low bits, its tag from the high ones; never 0. */
static inline uint16_t slot_tag(uint32_t hash)
{
	return (uint16_t)(hash >> 16 | 1);
}

/* The slot for (kind, name/id): either holding the newest such section, or empty. */
static inline size_t slot_find(const struct pns_policy *p, uint32_t hash, enum section_kind kind,
	const char *name, size_t len)
{
	size_t mask = p->n_slots - 1;
	size_t i = (size_t)hash & mask;
	uint16_t tag = slot_tag(hash);
#ifdef SCAN_SSE2
	/* Not _mm_set1_epi16(), which GCC 12 builds through the stack. */
	__m128i tags8 = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(tag * 0x10001u)), 0);
#endif

	for (;;) {
#ifdef SCAN_SSE2
		/*
		 * Eight slots at a time: how far a probe goes is random, and a
		 * loop over the slots one by one mispredicted its end at most
		 * inserts (a sixth of the scan of 10,000 sections). In order:
		 * the matches before the first empty slot, then that slot; two
		 * mask bits per slot.
		 */
		if (i + 8 <= p->n_slots) {
			__m128i x = load16((const char *)(p->tags + i));
			unsigned empty = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi16(x, _mm_setzero_si128()));
			unsigned match = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi16(x, tags8));

			if (empty)
				match &= (1u << __builtin_ctz(empty)) - 1;
			for (; match; match &= match - 1) {
				size_t j = i + (size_t)__builtin_ctz(match) / 2;

				match &= match - 1; /* the slot's other bit */
				if (section_is(p, &p->sections[p->heads[j] - 1], kind, name, len))
					return j;
			}
			if (empty)
				return i + (size_t)__builtin_ctz(empty) / 2;
			i = (i + 8) & mask;
			continue;
		}
#endif
		uint16_t t = p->tags[i];

		if (t == 0 ||
			(t == tag && section_is(p, &p->sections[p->heads[i] - 1], kind, name, len)))
			return i;
		i = (i + 1) & mask;
	}
}

/* 1 + index of the newest section in slot, or 0 if it is empty. */
static inline size_t slot_head(const struct pns_policy *p, size_t slot)
{
	return p->tags[slot] ? p->heads[slot] : 0;
}

/* 1 + index of the newest section with that kind and name, or 0. */
static size_t section_lookup(
	const struct pns_policy *p, enum section_kind kind, const char *name, size_t len)
{
	if (p->n_slots == 0)
		return 0;
	return slot_head(p, slot_find(p, section_hash(kind, name, len), kind, name, len));
}

/* The same, for [uid:N] or [gid:N]. */
static size_t section_lookup_id(const struct pns_policy *p, enum section_kind kind, uint32_t id)
{
	char num[sizeof("4294967295")];

	return section_lookup(p, kind, num, (size_t)snprintf(num, sizeof(num), "%" PRIu32, id));
}

/* At most 3/4 full: linear probing stays short, and the table stays small. */
static bool slots_fit(size_t n_slots, size_t used)
{
	return used <= n_slots / 4 * 3;
}

/* Make room in the index for `more` chains besides those there are. */
static int slots_reserve(struct pns_policy *p, size_t more)
{
	size_t n = p->n_slots ? p->n_slots : 64, used = p->n_slots_used + more;
	const size_t slot_size = sizeof(uint32_t) + sizeof(uint16_t);
	uint32_t *heads;
	uint16_t *tags;

	if (used < more)
		return -ENOMEM;
	while (!slots_fit(n, used)) {
		/* A 32-bit hash addresses 2^32 slots at most. */
		if (n > SIZE_MAX / 2 / slot_size || n > UINT32_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (n == p->n_slots)
		return 0;
	/*
	 * heads[] first: 4-byte alignment, then tags[]. Not calloc(): below
	 * its mmap() threshold it clears fresh heap pages with memset(),
	 * which faults them in one by one.
	 */
	heads = malloc(n * slot_size);
	if (!heads)
		return -ENOMEM;
	prefault(heads, n * slot_size);
	memset(heads, 0, n * slot_size);
	tags = (uint16_t *)(heads + n);
	/* Only the heads of chains are in the table; they are distinct, so no comparison. */
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->tags[i]) {
			uint32_t hash = section_hash_of(p, &p->sections[p->heads[i] - 1]);
			size_t j = (size_t)hash & (n - 1);

			while (tags[j])
				j = (j + 1) & (n - 1);
			tags[j] = p->tags[i];
			heads[j] = p->heads[i];
		}
	free(p->heads);
	p->heads = heads;
	p->tags = tags;
	p->n_slots = n;
	return 0;
}

/*
 * Let an array of *alloc elements hold at least n: *ret is the array, moved
 * or not. On failure the array is untouched. Never beyond INDEX_MAX.
 */
static int array_reserve(void *array, size_t *alloc, size_t elem, size_t n, void **ret)
{
	void *q = array;

	if (n > *alloc) {
		if (n > INDEX_MAX || n > SIZE_MAX / elem)
			return -ENOMEM;
		q = realloc(array, n * elem);
		if (!q)
			return -ENOMEM;
		*alloc = n;
	}
	*ret = q;
	return 0;
}

/* Room for one element more: double (at least 16), up to INDEX_MAX. */
static int array_grow(void *array, size_t *alloc, size_t elem, void **ret)
{
	size_t a = *alloc ? *alloc * 2 : 16;

	if (a < *alloc || *alloc >= INDEX_MAX)
		return -ENOMEM;
	if (a > INDEX_MAX)
		a = INDEX_MAX;
	return array_reserve(array, alloc, elem, a, ret);
}

/*
 * Room for a section more, returned to be filled in place and then added
 * by section_commit(): one built on the stack and copied in cost a
 * store-forwarding stall per header (a tenth of the scan).
 */
static struct section *section_next(struct pns_policy *p)
{
	if (p->n_sections >= p->sections_alloc) {
		void *q;

		if (array_grow(p->sections, &p->sections_alloc, sizeof(*p->sections), &q) < 0)
			return NULL;
		p->sections = q;
	}
	return &p->sections[p->n_sections];
}

/*
 * Add the section section_next() returned, indexed in slot: found by
 * slot_find() for its hash after slots_reserve(p, 1). It becomes the head
 * of its chain.
 */
static void section_commit(struct pns_policy *p, uint32_t hash, size_t slot)
{
	p->sections[p->n_sections].next_same = (uint32_t)slot_head(p, slot);
	if (p->tags[slot] == 0) {
		p->n_slots_used++;
		p->tags[slot] = slot_tag(hash);
	}
	p->heads[slot] = (uint32_t)++p->n_sections;
}

/* As section_next(), for an entry; adding it is p->n_entries++. */
static struct entry *entry_next(struct pns_policy *p)
{
	if (p->n_entries >= p->entries_alloc) {
		void *q;

		if (array_grow(p->entries, &p->entries_alloc, sizeof(*p->entries), &q) < 0)
			return NULL;
		p->entries = q;
	}
	return &p->entries[p->n_entries];
}

/* ---- searching a line --------------------------------------------------- */

/* The offset of the first c in p[0, n), or n; p[0, n + 15] must be readable. */
static inline size_t find_byte(const char *p, size_t n, char c)
{
#ifdef SCAN_SSE2
	for (size_t i = 0; i < n; i += 16) {
		unsigned m = match16(load16(p + i), c);

		if (m) {
			i += (size_t)__builtin_ctz(m);
			return i < n ? i : n;
		}
	}
	return n;
#else
	const char *q = memchr(p, c, n);

	return q ? (size_t)(q - p) : n;
#endif
}

/*
 * The ends of a file's lines. With SSE2, from a mask of the newlines in 64
 * bytes at a time: finding where a line ends does not wait for the line
 * before, as a search from where that line ended would.
 */
struct newlines {
	const char *buf;
	size_t size;
#ifdef SCAN_SSE2
	size_t block;  /* the offset of the 64 bytes in bits, a multiple of 64 */
	uint64_t bits; /* their newlines not yet returned */
#endif
};

#ifdef SCAN_SSE2
static inline uint64_t newline_mask64(const char *p)
{
	return (uint64_t)match16(load16(p), '\n') | (uint64_t)match16(load16(p + 16), '\n') << 16 |
	       (uint64_t)match16(load16(p + 32), '\n') << 32 |
	       (uint64_t)match16(load16(p + 48), '\n') << 48;
}
#endif

/* Lines from pos on. */
static void newlines_init(struct newlines *nl, const char *buf, size_t size, size_t pos)
{
	nl->buf = buf;
	nl->size = size;
#ifdef SCAN_SSE2
	nl->block = pos & ~(size_t)63;
	nl->bits = 0;
	if (pos < size)
		nl->bits = newline_mask64(buf + nl->block) & (~UINT64_C(0) << (pos & 63));
#endif
}

/* Where the line starting at pos ends: the offset of its newline, or the size. */
static inline size_t newlines_next(struct newlines *nl, size_t pos)
{
#ifdef SCAN_SSE2
	size_t end;

	while (nl->bits == 0) {
		nl->block += 64;
		if (nl->block >= nl->size)
			return nl->size;
		nl->bits = newline_mask64(nl->buf + nl->block);
	}
	/* Beyond the file are NULs: a newline found is in the file. */
	end = nl->block + (size_t)__builtin_ctzll(nl->bits);
	nl->bits &= nl->bits - 1;
	return end;
#else
	const char *q = memchr(nl->buf + pos, '\n', nl->size - pos);

	return q ? (size_t)(q - nl->buf) : nl->size;
#endif
}

/* The offset of the first ';' or '#' in p[0, n), or n; as find_byte(). */
static inline size_t find_comment(const char *p, size_t n)
{
#ifdef SCAN_SSE2
	for (size_t i = 0; i < n; i += 16) {
		__m128i x = load16(p + i);
		unsigned m = match16(x, ';') | match16(x, '#');

		if (m) {
			i += (size_t)__builtin_ctz(m);
			return i < n ? i : n;
		}
	}
	return n;
#else
	size_t i = 0;

	while (i < n && p[i] != ';' && p[i] != '#')
		i++;
	return i;
#endif
}

/* What scan_header() looks for in a header. */
enum {
	HDR_BLANK = 1 << 0,
	HDR_UPPER = 1 << 1,
	HDR_BRACKET = 1 << 2,
	HDR_COLONS = 1 << 3, /* more than one ':' */
};

static const uint8_t header_class[256] = {
	[' '] = HDR_BLANK,
	['\t'] = HDR_BLANK,
	['A' ... 'Z'] = HDR_UPPER,
	['['] = HDR_BRACKET,
	[']'] = HDR_BRACKET,
};

#ifdef SCAN_SSE2
/* Bit i set when byte i of x is in header_class[]. */
static inline unsigned header_special16(__m128i x)
{
	/* 'A' to 'Z' moved to the bottom of the signed range: one comparison. */
	__m128i upper = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - 'A'))),
		_mm_set1_epi8((char)(0x80 + 26)));
	__m128i blank = _mm_or_si128(
		_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\t')));
	__m128i bracket = _mm_or_si128(
		_mm_cmpeq_epi8(x, _mm_set1_epi8('[')), _mm_cmpeq_epi8(x, _mm_set1_epi8(']')));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(blank, bracket), upper));
}
#endif

/* The HDR_* found in p[0, n); p[0, n + 31] must be readable. */
static inline unsigned header_classes(const char *p, size_t n)
{
	unsigned classes = 0;
	size_t colons = 0;

#ifdef SCAN_SSE2
	/*
	 * Most headers have none of the bytes in header_class[]: look for
	 * them all at once, 32 bytes without a loop, and byte by byte only
	 * when there is one.
	 */
	uint64_t any = 0;

	if (n <= 32) {
		__m128i lo = load16(p), hi = load16(p + 16);
		uint64_t keep = ((uint64_t)1 << n) - 1, colon;

		colon = (match16(lo, ':') | (uint64_t)match16(hi, ':') << 16) & keep;
		any = (header_special16(lo) | (uint64_t)header_special16(hi) << 16) & keep;
		colons = colon ? 1 + ((colon & (colon - 1)) != 0) : 0;
	} else
		for (size_t i = 0; i < n; i += 16) {
			__m128i x = load16(p + i);
			unsigned keep = first_bits(n - i);
			unsigned colon = match16(x, ':') & keep;

			any |= header_special16(x) & keep;
			/* Counted up to two. */
			colons += colon ? 1 + ((colon & (colon - 1)) != 0) : 0;
		}
	if (any)
		for (size_t i = 0; i < n; i++)
			classes |= header_class[(unsigned char)p[i]];
#else
	for (size_t i = 0; i < n; i++) {
		classes |= header_class[(unsigned char)p[i]];
		colons += p[i] == ':';
	}
#endif
	if (colons > 1)
		classes |= HDR_COLONS;
	return classes;
}

/* Whether a[0, n) and b[0, n) are equal; a[0, 15] and b[0, 15] must be readable. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
#ifdef SCAN_SSE2
	if (n <= 16)
		return (match16_vec(load16(a), load16(b)) | ~first_bits(n)) == ~0u;
#endif
	return memcmp(a, b, n) == 0;
}

/* Whether the first klen bytes of t are the name of key k; t[0, 15] must be readable. */
static inline bool key_is(const char *t, size_t klen, int k)
{
	const struct pns_key_info *key = &pns_keys[k];
#ifdef SCAN_SSE2
	/* Every name fits in sixteen zero-padded bytes: one comparison, no call
	 * to memcmp(). */
	unsigned want;

	if (key->len != klen)
		return false;
	want = first_bits(klen);
	return (match16_vec(load16(t), load16(key->name)) & want) == want;
#else
	return key->len == klen && memcmp(key->name, t, klen) == 0;
#endif
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
	size_t line_off; /* where the current line starts in buf */
	/*
	 * For each key, the last value that parsed, as text in buf (NULL:
	 * none yet): a large policy repeats a few values, and parsing them
	 * again and again was a tenth of the scan.
	 */
	struct {
		const char *text;
		size_t len;
	} parsed[_PNS_KEY_MAX];
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
	const char *in = t + 1, *name;
	size_t ilen = n >= 2 ? n - 2 : 0, name_len;
	enum section_kind kind;
	unsigned classes;
	struct section *sec;
	uint32_t hash;
	size_t dup, slot;
	int r;

	/* iniparser takes any line starting with '[' (after blanks) and ending in ']'. */
	s->state = IN_BAD_SECTION;
	classes = header_classes(in, ilen);
	/*
	 * iniparser takes "[a]b]" as "a", "[a] junk" as a key line, and "[]" as
	 * the previous section cut short.
	 */
	if (n < 2 || t[n - 1] != ']' || (classes & HDR_BRACKET)) {
		scan_error(s, line,
			"malformed section header (expected [default], [user:NAME], [uid:N], "
			"[group:NAME] or [gid:N] alone on the line)");
		return;
	}
	if (ilen == 0) {
		scan_error(s, line, "empty section header []");
		return;
	}
	if (classes & HDR_BLANK) {
		scan_error(s, line, "whitespace in section header [%.*s]", (int)ilen, in);
		return;
	}
	/* iniparser folds case: [user:Alice] would silently merge with [user:alice]. */
	if (classes & HDR_UPPER) {
		scan_error(s, line,
			"section header [%.*s] has upper-case letters (iniparser folds case; match "
			"accounts with upper-case names by [uid:N])",
			(int)ilen, in);
		return;
	}

	/* Constant lengths: the compiler compares in registers, without calls. */
#define HAS_PREFIX(prefix)                                                                         \
	(ilen > sizeof(prefix) - 1 && memcmp(in, prefix, sizeof(prefix) - 1) == 0)
	if (ilen == strlen("default") && memcmp(in, "default", strlen("default")) == 0)
		kind = SECTION_DEFAULT;
	else if (HAS_PREFIX("user:"))
		kind = SECTION_USER;
	else if (HAS_PREFIX("uid:"))
		kind = SECTION_UID;
	else if (HAS_PREFIX("group:"))
		kind = SECTION_GROUP;
	else if (HAS_PREFIX("gid:"))
		kind = SECTION_GID;
	else {
		scan_error(s, line,
			"unknown section [%.*s] (expected [default], [user:NAME], [uid:N], "
			"[group:NAME] or [gid:N])",
			(int)ilen, in);
		return;
	}
#undef HAS_PREFIX
	/* [default]: an empty name. */
	name = in + name_offset[kind];
	name_len = ilen - name_offset[kind];

	/* The prefix has the one ':' a header may have. */
	if (kind != SECTION_DEFAULT && (classes & HDR_COLONS)) {
		/* iniparser stores "section:key": with ':' in names, "[a:b] c" is "[a] b:c". */
		scan_error(s, line, "name in section header [%.*s] contains ':'", (int)ilen, in);
		return;
	}
	if (kind == SECTION_UID || kind == SECTION_GID) {
		char num[SECTION_NAME_MAX + 1];
		uint32_t id;

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
		/* Matched as written, which is how the id is printed: see section_name(). */
	} else if (name_len > SECTION_NAME_MAX) {
		scan_error(s, line, "name in section header is longer than %d bytes",
			SECTION_NAME_MAX);
		return;
	}

	/* The newest section of its kind and name heads the chain: from this file, a duplicate. */
	if (!slots_fit(s->p->n_slots, s->p->n_slots_used + 1)) {
		/* Never while scanning a file: reserve_for_file() made room. */
		r = slots_reserve(s->p, 1);
		if (r < 0) {
			scan_oom(s, r);
			return;
		}
	}
	hash = section_hash(kind, name, name_len);
	slot = slot_find(s->p, hash, kind, name, name_len);
	dup = slot_head(s->p, slot);
	if (dup && s->p->sections[dup - 1].file == s->file) {
		scan_error(s, line, "duplicate section [%.*s] (first at line %u)", (int)ilen, in,
			s->p->sections[dup - 1].line);
		return;
	}

	sec = section_next(s->p);
	if (!sec) {
		scan_oom(s, -ENOMEM);
		return;
	}
	/* Field by field, every one: see section_next(). */
	sec->file = (uint32_t)s->file;
	sec->first_entry = (uint32_t)s->p->n_entries;
	sec->line = line;
	sec->line_off = (uint32_t)s->line_off;
	sec->hdr_off = (uint32_t)(in - s->buf);
	sec->hdr_len = (uint16_t)ilen;
	sec->kind = (uint8_t)kind;
	sec->n_entries = 0;
	sec->confirmed = false;
	section_commit(s->p, hash, slot);
	if (kind == SECTION_GROUP || kind == SECTION_GID)
		s->p->n_group_sections++;
	s->state = IN_SECTION;
	s->section = s->p->n_sections - 1;
}

/*
 * Where the parts of a key line t[0, n) are (offsets): the first '=' (n:
 * none), the key's end before it without blanks, and after it the
 * value's start without blanks, and its end for an unquoted value: at
 * the first ';' or '#', without blanks.
 */
struct key_line {
	size_t eq, key_end, value, value_end;
};

static void split_key_line(const char *t, size_t n, struct key_line *ret)
{
	size_t i;

	ret->eq = find_byte(t, n, '=');
	if (ret->eq == n)
		return;
	for (i = ret->eq; i > 0 && is_blank(t[i - 1]); i--)
		;
	ret->key_end = i;
	for (i = ret->eq + 1; i < n && is_blank(t[i]); i++)
		;
	ret->value = i;
	for (i += find_comment(t + i, n - i); i > ret->value && is_blank(t[i - 1]); i--)
		;
	ret->value_end = i;
}

#ifdef SCAN_SSE2
/*
 * The same for a line of at most 32 bytes (most are), from bit masks of
 * its bytes, without a loop: the loops over a few blanks each and the
 * searches were a third of the time a key line took.
 */
static inline void split_short_key_line(const char *t, size_t n, struct key_line *ret)
{
	__m128i x0 = load16(t), x1 = load16(t + 16);
	uint64_t all = ((uint64_t)1 << n) - 1, eq, nonblank, comment, m;

	eq = (match16(x0, '=') | (uint64_t)match16(x1, '=') << 16) & all;
	if (!eq) {
		ret->eq = n;
		return;
	}
	ret->eq = (size_t)__builtin_ctzll(eq);
	nonblank = ~((match16(x0, ' ') | match16(x0, '\t')) |
			   (uint64_t)(match16(x1, ' ') | match16(x1, '\t')) << 16) &
		   all;
	/* The last non-blank byte before '=', and the first after it. */
	m = nonblank & (((uint64_t)1 << ret->eq) - 1);
	ret->key_end = m ? (size_t)(64 - __builtin_clzll(m)) : 0;
	m = nonblank & ~(((uint64_t)2 << ret->eq) - 1);
	ret->value = m ? (size_t)__builtin_ctzll(m) : n;
	comment = (match16(x0, ';') | match16(x0, '#') |
			  (uint64_t)(match16(x1, ';') | match16(x1, '#')) << 16) &
		  all & ~(((uint64_t)1 << ret->value) - 1);
	/* The last non-blank byte from the value's start to the comment. */
	m = nonblank & ~(((uint64_t)1 << ret->value) - 1);
	if (comment)
		m &= ((uint64_t)1 << __builtin_ctzll(comment)) - 1;
	ret->value_end = m ? (size_t)(64 - __builtin_clzll(m)) : ret->value;
}
#endif

static void scan_key(struct scan *s, unsigned line, const char *t, size_t n)
{
	const char *end = t + n, *v, *vend;
	char value[LINE_BYTES_MAX + 1], msg[LINE_BYTES_MAX + 256];
	struct key_line kl;
	struct entry *e;
	size_t klen;
	int k = -1, r;

#ifdef SCAN_SSE2
	if (n <= 32)
		split_short_key_line(t, n, &kl);
	else
#endif
		split_key_line(t, n, &kl);
	if (kl.eq == n) {
		scan_error(s, line, "expected 'key = value' or a [section] header");
		return;
	}
	klen = kl.key_end;
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
	v = t + kl.value;
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
	} else
		vend = t + kl.value_end;

	if (s->state == IN_NONE)
		scan_error(s, line, "key '%.*s' outside a section", (int)klen, t);

	for (int i = 0; i < _PNS_KEY_MAX && k < 0; i++)
		if (key_is(t, klen, i))
			k = i;
	/* A known key is in lower case and has no ':'; which problem has an unknown one? */
	if (k < 0 && has_upper(t, klen)) {
		scan_error(s, line, "key '%.*s' has upper-case letters", (int)klen, t);
		return;
	}
	if (k < 0 && memchr(t, ':', klen)) {
		/* iniparser reads "[a] b:c" as "[a:b] c". */
		scan_error(s, line, "key '%.*s' contains ':'", (int)klen, t);
		return;
	}
	if (k < 0) {
		scan_error(s, line, "unknown key '%.*s'", (int)klen, t);
		return;
	}

	if (vend == v) {
		scan_error(s, line, "%s: empty value", pns_keys[k].name);
		return;
	}
	/* Filled in place, and added only at the end: see section_next(). */
	e = entry_next(s->p);
	if (!e) {
		scan_oom(s, -ENOMEM);
		return;
	}
	if (!s->parsed[k].text || s->parsed[k].len != (size_t)(vend - v) ||
		!same_bytes(s->parsed[k].text, v, (size_t)(vend - v))) {
		union pns_value parsed;

		memcpy(value, v, (size_t)(vend - v));
		value[vend - v] = '\0';
		r = pns_key_parse((enum pns_key)k, value, &parsed, msg, sizeof(msg));
		if (r < 0) {
			scan_error(s, line, "%s", msg);
			return;
		}
		s->parsed[k].text = v;
		s->parsed[k].len = (size_t)(vend - v);
	}

	if (s->state != IN_SECTION)
		return;
	{
		struct section *sec = &s->p->sections[s->section];

		for (size_t i = sec->first_entry; i < sec->first_entry + sec->n_entries; i++)
			if (s->p->entries[i].key == k) {
				scan_error(s, line,
					"duplicate key '%s' in [%.*s] (first at line %u)",
					pns_keys[k].name, (int)sec->hdr_len, s->buf + sec->hdr_off,
					s->p->entries[i].line);
				return;
			}
	}
	e->line = line;
	e->val_off = (uint32_t)(v - s->buf);
	e->val_len = (uint16_t)(vend - v);
	e->key = (uint8_t)k;
	s->p->n_entries++;
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

/* GCC's vector extensions (clang has them too): SSE2 on x86-64, NEON on arm64. */
typedef uint8_t u8x16 __attribute__((vector_size(16)));

struct byte_counts {
	bool bad;	 /* a control character other than tab and newline, or DEL */
	size_t brackets; /* '[': at least one per header */
	size_t equals;	 /* '=': at least one per key */
};

/*
 * One pass over the file, sixteen bytes at a time: the line loop need not
 * look at every byte of a clean file, and the arrays can be sized once.
 */
static struct byte_counts count_bytes(const char *buf, size_t size)
{
	struct byte_counts c = {};
	size_t i = 0;

	while (size - i >= 16) {
		u8x16 brackets = {}, equals = {}, bad = {};
		/* A lane counts to 255 at most: add them up every 255 blocks. */
		size_t end = i + ((size - i) / 16 < 255 ? (size - i) / 16 : 255) * 16;

		for (; i < end; i += 16) {
			u8x16 x;

			memcpy(&x, buf + i, 16);
			/* A comparison gives -1 (0xff) in the lanes where it holds. */
			bad |= (u8x16)((x < 0x20) & (x != '\t') & (x != '\n')) | (u8x16)(x == 0x7f);
			brackets -= (u8x16)(x == '[');
			equals -= (u8x16)(x == '=');
		}
		for (unsigned k = 0; k < 16; k++) {
			c.bad |= bad[k] != 0;
			c.brackets += brackets[k];
			c.equals += equals[k];
		}
	}
	for (; i < size; i++) {
		unsigned char b = (unsigned char)buf[i];

		c.bad |= (b < 0x20 && b != '\t' && b != '\n') || b == 0x7f;
		c.brackets += b == '[';
		c.equals += b == '=';
	}
	return c;
}

/*
 * Room for what the file can add, so that nothing grows or is rehashed
 * while scanning it. A valid header or key line has at least 8 bytes
 * ("[uid:0]\n", "tmp=dir\n"): a file of '=' reserves no more than that.
 */
static int reserve_for_file(struct pns_policy *p, const struct byte_counts *c, size_t size)
{
	size_t most = size / 8 + 1;
	size_t n_sec = c->brackets < most ? c->brackets : most;
	size_t n_ent = c->equals < most ? c->equals : most;
	void *q;
	int r;

	r = slots_reserve(p, n_sec);
	if (r >= 0)
		r = array_reserve(p->sections, &p->sections_alloc, sizeof(*p->sections),
			p->n_sections + n_sec, &q);
	if (r < 0)
		return r;
	p->sections = q;
	r = array_reserve(
		p->entries, &p->entries_alloc, sizeof(*p->entries), p->n_entries + n_ent, &q);
	if (r < 0)
		return r;
	p->entries = q;
	/* Arrays are NULL until something is reserved: no arithmetic on them before. */
	if (n_sec > 0)
		prefault(p->sections + p->n_sections, n_sec * sizeof(*p->sections));
	if (n_ent > 0)
		prefault(p->entries + p->n_entries, n_ent * sizeof(*p->entries));
	return 0;
}

static void scan_file(struct scan *s)
{
	struct byte_counts counts = count_bytes(s->buf, s->size);
	struct newlines newlines;
	size_t pos = 0;
	unsigned line = 0;
	int r;

	s->first_section = s->p->n_sections;
	s->first_entry = s->p->n_entries;
	s->state = IN_NONE;
	r = reserve_for_file(s->p, &counts, s->size);
	if (r < 0) {
		scan_oom(s, r);
		return;
	}

	if (s->size >= 3 && memcmp(s->buf, "\xef\xbb\xbf", 3) == 0) {
		scan_error(s, 1, "file starts with a UTF-8 byte order mark (save it without one)");
		pos = 3;
	}

	newlines_init(&newlines, s->buf, s->size, pos);
	while (pos < s->size && !s->stop) {
		const char *start = s->buf + pos;
		size_t end, len;
		bool bad = false;

		line++;
		s->line_off = pos;
		end = newlines_next(&newlines, pos);
		len = end - pos;
		pos = end < s->size ? end + 1 : end;

		for (size_t i = 0; counts.bad && i < len; i++) {
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
	s->p->files[s->file].n_lines = line;
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

/* Append the bytes [off, end) of the file being checked to the memfd. */
static int put_range(struct scan *s, int mfd, size_t off, size_t end)
{
	int r = write_all(mfd, s->buf + off, end - off);

	if (r < 0) {
		s->sys_error = r;
		errno = -r;
		(void)pns_diag_add(s->diags, s->path, 0, "cannot write to a memfd: %m");
	}
	return r;
}

/*
 * The chunk of section i, in a file the scanner accepted (where every
 * header line is a section): bytes [*ret_off, *ret_end) of the file, up
 * to line *ret_last_line. The file's first chunk holds what comes before
 * its header.
 */
static void section_chunk(const struct pns_policy *p, size_t i, size_t *ret_off, size_t *ret_end,
	unsigned *ret_last_line)
{
	const struct section *sec = &p->sections[i];
	const struct policy_file *pf = &p->files[sec->file];
	bool last = i + 1 == pf->first_section + pf->n_sections;

	*ret_off = i == pf->first_section ? 0 : sec->line_off;
	*ret_end = last ? pf->size : sec[1].line_off;
	*ret_last_line = last ? pf->n_lines : sec[1].line - 1;
}

/*
 * Hand iniparser the chunks of the sections sel[0..n) of one file (in file
 * order), or with n == 0 the whole file, which must then hold no section;
 * compare its reading with the scanner's. Marks what agrees as confirmed.
 */
static void check_batch(struct scan *s, int mfd, const size_t *sel, size_t n)
{
	static const char missing[] = "";
	struct pns_policy *p = s->p;
	_cleanup_(iniparser_freedictp) dictionary *d = NULL;
	char path[64], key[SECTION_NAME_MAX + 64];
	size_t n_sections = 0, n_keys = 0, want_keys = 0, run_off = 0, run_end = 0;
	unsigned errors_before = s->n_errors, last_line = 0;
	bool whole;
	int load_errno;

	/* The same memfd for every batch: nobody else can write it, and it is emptied first. */
	if (ftruncate(mfd, 0) < 0 || lseek(mfd, 0, SEEK_SET) < 0) {
		s->sys_error = negative_errno();
		(void)pns_diag_add(s->diags, s->path, 0, "cannot truncate a memfd: %m");
		return;
	}
	if (n == 0) {
		run_end = s->size;
		whole = true;
	} else {
		/* Chunks that follow each other in the file are written in one go. */
		section_chunk(p, sel[0], &run_off, &run_end, &last_line);
		run_end = run_off;
		whole = run_off == 0;
		for (size_t i = 0; i < n; i++) {
			size_t off, end;

			section_chunk(p, sel[i], &off, &end, &last_line);
			if (off != run_end) {
				if (put_range(s, mfd, run_off, run_end) < 0)
					return;
				run_off = off;
				whole = false;
			}
			run_end = end;
			want_keys += p->sections[sel[i]].n_entries;
		}
		whole = whole && run_end == s->size;
	}
	if (put_range(s, mfd, run_off, run_end) < 0)
		return;

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
	if (n_sections != n || n_keys != want_keys) {
		if (load_errno == ENOMEM) {
			/* iniparser 4.1 drops the lines it cannot copy and returns the rest. */
			s->sys_error = -ENOMEM;
			(void)pns_diag_add(s->diags, s->path, 0,
				"out of memory while reading the policy (iniparser lost lines)");
			return;
		}
		if (whole)
			scan_error(s, 0,
				"iniparser read this file differently: %zu sections and %zu keys "
				"instead of %zu and %zu",
				n_sections, n_keys, n, want_keys);
		else
			/* Not the whole file: name the lines the batch came from. */
			scan_error(s, p->sections[sel[0]].line,
				"iniparser read this file differently: %zu sections and %zu keys "
				"instead of %zu and %zu, in the sections cross-checked together "
				"from line %u to line %u",
				n_sections, n_keys, n, want_keys, p->sections[sel[0]].line,
				last_line);
		return;
	}

	for (size_t i = 0; i < n; i++) {
		const struct section *sec = &p->sections[sel[i]];

		snprintf(key, sizeof(key), "%.*s", (int)sec->hdr_len, s->buf + sec->hdr_off);
		/* A section has a NULL value; "missing" means iniparser has no such name. */
		if (iniparser_getstring(d, key, missing) != NULL)
			scan_error(s, sec->line,
				"iniparser read this file differently: no section [%s]", key);

		for (size_t j = sec->first_entry; j < sec->first_entry + sec->n_entries; j++) {
			const struct entry *e = &p->entries[j];
			const char *v;

			snprintf(key, sizeof(key), "%.*s:%s", (int)sec->hdr_len,
				s->buf + sec->hdr_off, pns_keys[e->key].name);
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

	if (s->n_errors != errors_before || s->sys_error < 0)
		return;
	if (n == 0)
		p->files[s->file].checked = true;
	for (size_t i = 0; i < n; i++)
		p->sections[sel[i]].confirmed = true;
}

/*
 * Cross-check the sections sel[0..n_sel) (ascending, so grouped by file and
 * in file order), in batches of about CROSSCHECK_BATCH_ENTRIES entries.
 * all: also every file without sections. Files the scanner refused are
 * skipped. Returns 0, -EINVAL (a difference), or a system error.
 */
static int crosscheck(struct pns_policy *p, const size_t *sel, size_t n_sel, bool all,
	struct pns_diag_list *diags)
{
	_cleanup_close_ int mfd = -1;
	bool invalid = false;
	size_t i = 0;

	for (size_t f = 0; f < p->n_files; f++) {
		const struct policy_file *pf = &p->files[f];
		struct scan s = {
			.p = p,
			.diags = diags,
			.file = f,
			.path = pf->path,
			.buf = pf->buf,
			.size = pf->size,
		};
		size_t first = i;

		while (i < n_sel && p->sections[sel[i]].file == f)
			i++;
		if (!pf->scanned)
			continue;
		if (first == i && !(all && pf->n_sections == 0 && !pf->checked))
			continue;

		if (mfd < 0) {
			/* The bytes we scanned, through a file that nobody else can change. */
			mfd = memfd_create("pam_ns-policy", MFD_CLOEXEC);
			if (mfd < 0) {
				int r = negative_errno();

				(void)pns_diag_add(diags, pf->path, 0, "cannot create a memfd: %m");
				return r;
			}
		}

		if (first == i)
			check_batch(&s, mfd, NULL, 0);
		for (size_t b = first; b < i && !s.stop;) {
			size_t e = b, entries = 0;

			/* At least one section; then as many as fit. */
			do {
				entries += 1 + p->sections[sel[e]].n_entries;
				e++;
			} while (e < i && entries + 1 + p->sections[sel[e]].n_entries <=
						  CROSSCHECK_BATCH_ENTRIES);
			check_batch(&s, mfd, sel + b, e - b);
			b = e;
		}
		if (s.sys_error < 0)
			return s.sys_error;
		if (s.n_errors > 0)
			invalid = true;
	}
	return invalid ? -EINVAL : 0;
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

	scan_file(&s);
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

/* Phase 1 into p, which the caller frees: the files the scanner accepted stay usable. */
static int scan_policy(struct pns_policy *p, const char *main_path, bool require_root_owned,
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

/* Allocate and scan: *ret holds the policy even when the scan found
 * problems (pns_policy_load goes on to report iniparser's as well). */
static int scan_into(const char *main_path, bool require_root_owned, struct pns_policy **ret,
	struct pns_diag_list *diags)
{
	struct pns_policy *p;

	if (!main_path || !*main_path || !ret)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*ret = p;
	return scan_policy(p, main_path, require_root_owned, diags);
}

int pns_policy_scan(const char *main_path, bool require_root_owned, struct pns_policy **ret,
	struct pns_diag_list *diags)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	int r;

	r = scan_into(main_path, require_root_owned, &p, diags);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int pns_policy_load(const char *main_path, bool require_root_owned, struct pns_policy **ret,
	struct pns_diag_list *diags)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	int r;

	r = scan_into(main_path, require_root_owned, &p, diags);
	if (!p)
		return r;
	if (r == -EINVAL) {
		/* Report every problem at once: also iniparser's reading of good files. */
		int q = pns_policy_confirm(p, NULL, diags);

		return q < 0 && q != -EINVAL ? q : r;
	}
	if (r < 0)
		return r;
	r = pns_policy_confirm(p, NULL, diags);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

static void confirmed_identity_clear(struct confirmed_identity *w)
{
	if (w->group_names)
		for (size_t i = 0; i < w->n_groups; i++)
			free(w->group_names[i]);
	free(w->group_names);
	free(w->groups);
	free(w->name);
	*w = (struct confirmed_identity){};
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
	free(p->heads);
	confirmed_identity_clear(&p->who);
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

bool pns_policy_has_group_sections(const struct pns_policy *p)
{
	return p && p->n_group_sections > 0;
}

/* ---- which sections apply ----------------------------------------------- */

enum { TIER_USER, TIER_GROUP, TIER_DEFAULT, _TIER_MAX };

/* Called with the head of each chain (1 + section index, never 0) that applies, and its tier. */
typedef int (*chain_fn)(const struct pns_policy *p, size_t head, int tier, void *userdata);

static int visit(const struct pns_policy *p, size_t head, int tier, chain_fn fn, void *userdata)
{
	return head ? fn(p, head, tier, userdata) : 0;
}

/*
 * The one definition of "applies to id", for pns_policy_confirm() and
 * pns_policy_resolve() alike: what resolve reads is what confirm checked.
 * A chain may be visited more than once (the primary gid is usually in
 * groups[] too).
 */
static int for_each_chain(
	const struct pns_policy *p, const struct pns_identity *id, chain_fn fn, void *userdata)
{
	int r;

	r = visit(p, section_lookup(p, SECTION_DEFAULT, NULL, 0), TIER_DEFAULT, fn, userdata);
	/* Headers are lower case, so a name with upper-case letters is matched by [uid:N] only. */
	if (r >= 0 && id->name && !has_upper(id->name, strlen(id->name)))
		r = visit(p, section_lookup(p, SECTION_USER, id->name, strlen(id->name)), TIER_USER,
			fn, userdata);
	if (r >= 0)
		r = visit(p, section_lookup_id(p, SECTION_UID, (uint32_t)id->uid), TIER_USER, fn,
			userdata);
	if (r >= 0)
		r = visit(p, section_lookup_id(p, SECTION_GID, (uint32_t)id->gid), TIER_GROUP, fn,
			userdata);
	for (size_t i = 0; r >= 0 && i < id->n_groups; i++) {
		const char *g = id->group_names ? id->group_names[i] : NULL;

		if (id->groups)
			r = visit(p, section_lookup_id(p, SECTION_GID, (uint32_t)id->groups[i]),
				TIER_GROUP, fn, userdata);
		if (r >= 0 && g && !has_upper(g, strlen(g)))
			r = visit(p, section_lookup(p, SECTION_GROUP, g, strlen(g)), TIER_GROUP, fn,
				userdata);
	}
	return r;
}

/* ---- confirmation ------------------------------------------------------- */

struct index_list {
	size_t *v;
	size_t n, alloc;
};

static int collect_chain(const struct pns_policy *p, size_t head, int tier, void *userdata)
{
	struct index_list *l = userdata;

	for (size_t si = head; si; si = p->sections[si - 1].next_same) {
		if (p->sections[si - 1].confirmed)
			continue;
		if (l->n >= l->alloc) {
			void *q = grow_array(l->v, &l->alloc, sizeof(*l->v));

			if (!q)
				return -ENOMEM;
			l->v = q;
		}
		l->v[l->n++] = si - 1;
	}
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool identity_is_confirmed(const struct pns_policy *p, const struct pns_identity *id)
{
	const struct confirmed_identity *w = &p->who;

	if (!w->set || w->uid != id->uid || w->gid != id->gid || !str_eq(w->name, id->name) ||
		w->n_groups != id->n_groups)
		return false;
	if (id->n_groups == 0)
		return true;
	if (!w->groups != !id->groups || !w->group_names != !id->group_names)
		return false;
	for (size_t i = 0; i < id->n_groups; i++) {
		if (id->groups && w->groups[i] != id->groups[i])
			return false;
		if (id->group_names && !str_eq(w->group_names[i], id->group_names[i]))
			return false;
	}
	return true;
}

static int confirmed_identity_set(struct confirmed_identity *w, const struct pns_identity *id)
{
	struct confirmed_identity n = {.set = true, .uid = id->uid, .gid = id->gid};

	if (id->name && !(n.name = strdup(id->name)))
		goto oom;
	if (id->n_groups > 0) {
		n.n_groups = id->n_groups;
		if (id->groups) {
			if (id->n_groups > SIZE_MAX / sizeof(gid_t))
				goto oom;
			n.groups = malloc(id->n_groups * sizeof(gid_t));
			if (!n.groups)
				goto oom;
			memcpy(n.groups, id->groups, id->n_groups * sizeof(gid_t));
		}
		if (id->group_names) {
			n.group_names = calloc(id->n_groups, sizeof(char *));
			if (!n.group_names)
				goto oom;
			for (size_t i = 0; i < id->n_groups; i++)
				if (id->group_names[i] &&
					!(n.group_names[i] = strdup(id->group_names[i])))
					goto oom;
		}
	}
	confirmed_identity_clear(w);
	*w = n;
	return 0;
oom:
	confirmed_identity_clear(&n);
	return -ENOMEM;
}

int pns_policy_confirm(
	struct pns_policy *p, const struct pns_identity *id, struct pns_diag_list *diags)
{
	_cleanup_free_ size_t *all = NULL;
	struct index_list sel = {};
	const char *where = p && p->n_files > 0 ? p->files[0].path : NULL;
	int r;

	if (!p)
		return -EINVAL;
	if (p->failed) {
		(void)pns_diag_add(diags, where, 0, "an earlier cross-check of this policy failed");
		return -ESTALE;
	}
	/* Whatever happens next, the identity confirmed before is no longer the one. */
	confirmed_identity_clear(&p->who);

	if (!id) {
		if (p->confirmed_all)
			return 0;
		if (p->n_sections > 0) {
			all = calloc(p->n_sections, sizeof(size_t));
			if (!all) {
				(void)pns_diag_add(
					diags, where, 0, "out of memory while reading the policy");
				return -ENOMEM;
			}
		}
		for (size_t i = 0; i < p->n_sections; i++)
			if (!p->sections[i].confirmed)
				all[sel.n++] = i;
		r = crosscheck(p, all, sel.n, true, diags);
		if (r < 0) {
			p->failed = true;
			return r;
		}
		p->confirmed_all = true;
		return 0;
	}

	r = for_each_chain(p, id, collect_chain, &sel);
	if (r >= 0 && sel.n > 1) {
		/* File order, each section once. */
		size_t n = 1;

		qsort(sel.v, sel.n, sizeof(size_t), cmp_size);
		for (size_t i = 1; i < sel.n; i++)
			if (sel.v[i] != sel.v[n - 1])
				sel.v[n++] = sel.v[i];
		sel.n = n;
	}
	if (r >= 0)
		r = crosscheck(p, sel.v, sel.n, false, diags);
	else
		(void)pns_diag_add(diags, where, 0, "out of memory while reading the policy");
	free(sel.v);
	if (r >= 0) {
		r = confirmed_identity_set(&p->who, id);
		if (r < 0)
			(void)pns_diag_add(
				diags, where, 0, "out of memory while reading the policy");
	}
	if (r < 0) {
		p->failed = true;
		return r;
	}
	return 0;
}

/* ---- resolution --------------------------------------------------------- */

/*
 * Every section of one chain (same kind and name/id, all files) matches:
 * for each key remember the entry that appears last. Entries are stored in
 * file order, so "appears last" is "highest index".
 */
struct best {
	size_t entry[_TIER_MAX][_PNS_KEY_MAX]; /* 1 + index; 0: none */
	uint32_t file[_TIER_MAX][_PNS_KEY_MAX];
};

static int consider(const struct pns_policy *p, size_t head, int tier, void *userdata)
{
	struct best *best = userdata;

	for (size_t si = head; si; si = p->sections[si - 1].next_same) {
		const struct section *s = &p->sections[si - 1];

		/* Never a value iniparser was not shown: confirm() walked these same chains. */
		if (!s->confirmed)
			return -ESTALE;
		for (size_t i = s->first_entry; i < s->first_entry + s->n_entries; i++) {
			enum pns_key k = p->entries[i].key;

			if (i + 1 > best->entry[tier][k]) {
				best->entry[tier][k] = i + 1;
				best->file[tier][k] = s->file;
			}
		}
	}
	return 0;
}

int pns_policy_resolve(
	const struct pns_policy *p, const struct pns_identity *id, struct pns_settings *ret)
{
	struct best best = {};
	struct pns_settings s;
	int r;

	if (!p || !id || !ret)
		return -EINVAL;
	if (p->failed || !(p->confirmed_all || identity_is_confirmed(p, id)))
		return -ESTALE;
	r = for_each_chain(p, id, consider, &best);
	if (r < 0)
		return r;

	pns_settings_builtin(&s);

	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		char value[LINE_BYTES_MAX + 1], msg[LINE_BYTES_MAX + 256];
		const struct policy_file *f;
		const struct entry *e;
		union pns_value v = {};
		int tier = TIER_USER;

		while (tier < _TIER_MAX && !best.entry[tier][k])
			tier++;
		if (tier == _TIER_MAX)
			continue;
		e = &p->entries[best.entry[tier][k] - 1];
		f = &p->files[best.file[tier][k]];
		/* The scanner parsed these very bytes: this cannot fail. */
		memcpy(value, f->buf + e->val_off, e->val_len);
		value[e->val_len] = '\0';
		if (pns_key_parse((enum pns_key)e->key, value, &v, msg, sizeof(msg)) < 0)
			return -EINVAL;
		pns_keys[k].store(&pns_keys[k], &s, &v, value);
		s.origin[k] = (struct pns_origin){.file = f->path, .line = e->line};
	}
	*ret = s;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The section index: (kind, name) -> the newest such section, and the
 * arrays of sections and entries it points into. Inline, because the
 * scanner adds every section through it and a login looks its sections
 * up through it.
 */

#include "common/policy-bytes.h"
#include "common/policy-internal.h"

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
 * bytes, read as two overlapping words, so that the common short name
 * costs no loop and no finalizer.
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
static inline uint64_t mix(uint64_t h, uint64_t w)
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
static inline size_t section_name_len(const struct section *s)
{
	return s->hdr_len - name_offset[s->kind];
}

static const char *section_name(const struct pns_policy *p, const struct section *s)
{
	return p->files[s->file].buf + s->hdr_off + name_offset[s->kind];
}

static inline bool section_is(const struct pns_policy *p, const struct section *s,
	enum section_kind kind, const char *name, size_t len)
{
	return s->kind == kind && section_name_len(s) == len &&
	       (len == 0 || memcmp(section_name(p, s), name, len) == 0);
}

/* The hash of a section's kind and name, as section_hash() of what its header says. */
static inline uint32_t section_hash_of(const struct pns_policy *p, const struct section *s)
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

/* At most 3/4 full: linear probing stays short, and the table stays small. */
static inline bool slots_fit(size_t n_slots, size_t used)
{
	return used <= n_slots / 4 * 3;
}

/* Make room in the index for `more` chains besides those there are. */
static inline int slots_reserve(struct pns_policy *p, size_t more)
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
static inline int array_reserve(void *array, size_t *alloc, size_t elem, size_t n, void **ret)
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
static inline int array_grow(void *array, size_t *alloc, size_t elem, void **ret)
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
 * by section_commit(): filled in place, a section is written once, where
 * a copy from the stack would be written twice and read back at once.
 */
static inline struct section *section_next(struct pns_policy *p)
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
static inline void section_commit(struct pns_policy *p, uint32_t hash, size_t slot)
{
	p->sections[p->n_sections].next_same = (uint32_t)slot_head(p, slot);
	if (p->tags[slot] == 0) {
		p->n_slots_used++;
		p->tags[slot] = slot_tag(hash);
	}
	p->heads[slot] = (uint32_t)++p->n_sections;
}

/* As section_next(), for an entry; adding it is p->n_entries++. */
static inline struct entry *entry_next(struct pns_policy *p)
{
	if (p->n_entries >= p->entries_alloc) {
		void *q;

		if (array_grow(p->entries, &p->entries_alloc, sizeof(*p->entries), &q) < 0)
			return NULL;
		p->entries = q;
	}
	return &p->entries[p->n_entries];
}

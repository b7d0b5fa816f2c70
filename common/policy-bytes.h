/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The scanner's byte primitives, SSE2 and plain C side by side: each
 * function has both bodies, chosen at compile time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/keys.h"

/*
 * SSE2, which every x86-64 has, for the scanner and the section index:
 * lines are a few dozen bytes, too short for memchr() to pay for its
 * call, and a login scans every line of the policy, so sixteen bytes are
 * compared at once. A file's buffer ends with
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

/* ---- searching a line ---- */

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
static inline void newlines_init(struct newlines *nl, const char *buf, size_t size, size_t pos)
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The line scanner: phase 1 of the loader, over one file's bytes. */
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

#include "common/parse.h"
#include "common/policy-bytes.h"
#include "common/policy-index.h"
#include "common/policy-internal.h"

void policy_scan_error(struct scan *s, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (s->stop)
		return;
	s->n_errors++;
	va_start(ap, fmt);
	r = policy_diag_addv(s->diags, s->path, line, fmt, ap);
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
		policy_scan_error(s, line,
			"malformed section header (expected [default], [user:NAME], [uid:N], "
			"[group:NAME] or [gid:N] alone on the line)");
		return;
	}
	if (ilen == 0) {
		policy_scan_error(s, line, "empty section header []");
		return;
	}
	if (classes & HDR_BLANK) {
		policy_scan_error(s, line, "whitespace in section header [%.*s]", (int)ilen, in);
		return;
	}
	/* iniparser folds case: [user:Alice] would silently merge with [user:alice]. */
	if (classes & HDR_UPPER) {
		policy_scan_error(s, line,
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
		policy_scan_error(s, line,
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
		policy_scan_error(
			s, line, "name in section header [%.*s] contains ':'", (int)ilen, in);
		return;
	}
	if (kind == SECTION_UID || kind == SECTION_GID) {
		char num[SECTION_NAME_MAX + 1];
		uint32_t id;

		if (name_len > SECTION_NAME_MAX) {
			policy_scan_error(s, line, "invalid %s in section header [%.*s]",
				kind == SECTION_UID ? "uid" : "gid", (int)ilen, in);
			return;
		}
		memcpy(num, name, name_len);
		num[name_len] = '\0';
		r = pns_parse_id(num, &id);
		if (r < 0) {
			policy_scan_error(s, line,
				"invalid %s in section header [%.*s] (expected a plain decimal "
				"number below 4294967295)",
				kind == SECTION_UID ? "uid" : "gid", (int)ilen, in);
			return;
		}
		/* Matched as written, which is how the id is printed: see section_name(). */
	} else if (name_len > SECTION_NAME_MAX) {
		policy_scan_error(s, line, "name in section header is longer than %d bytes",
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
		policy_scan_error(s, line, "duplicate section [%.*s] (first at line %u)", (int)ilen,
			in, s->p->sections[dup - 1].line);
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
		policy_scan_error(s, line, "expected 'key = value' or a [section] header");
		return;
	}
	klen = kl.key_end;
	if (klen == 0) {
		policy_scan_error(s, line, "missing key before '='");
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
			policy_scan_error(s, line, "unterminated quoted value");
			return;
		}
		for (rest = close + 1; rest < end && is_blank(*rest); rest++)
			;
		if (rest < end && *rest != ';' && *rest != '#') {
			policy_scan_error(s, line, "unexpected text after the closing quote");
			return;
		}
		v++;
		vend = close;
	} else
		vend = t + kl.value_end;

	if (s->state == IN_NONE)
		policy_scan_error(s, line, "key '%.*s' outside a section", (int)klen, t);

	for (int i = 0; i < _PNS_KEY_MAX && k < 0; i++)
		if (key_is(t, klen, i))
			k = i;
	/* A known key is in lower case and has no ':'; which problem has an unknown one? */
	if (k < 0 && has_upper(t, klen)) {
		policy_scan_error(s, line, "key '%.*s' has upper-case letters", (int)klen, t);
		return;
	}
	if (k < 0 && memchr(t, ':', klen)) {
		/* iniparser reads "[a] b:c" as "[a:b] c". */
		policy_scan_error(s, line, "key '%.*s' contains ':'", (int)klen, t);
		return;
	}
	if (k < 0) {
		policy_scan_error(s, line, "unknown key '%.*s'", (int)klen, t);
		return;
	}

	if (vend == v) {
		policy_scan_error(s, line, "%s: empty value", pns_keys[k].name);
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
			policy_scan_error(s, line, "%s", msg);
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
				policy_scan_error(s, line,
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
		policy_scan_error(s, line,
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

/*
 * Every line of every file goes through here, so the per-line functions
 * above are inlined into it (flatten): called once per line, as they were
 * while the scanner and the file reader shared a file, they cost about 3%
 * more instructions on a 10,000-section policy (callgrind, bench/RESULTS.md).
 */
__attribute__((flatten)) void policy_scan_file(struct scan *s)
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
		policy_scan_error(
			s, 1, "file starts with a UTF-8 byte order mark (save it without one)");
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
				policy_scan_error(s, line, "NUL byte in line");
			else if (c == '\r')
				policy_scan_error(s, line,
					"carriage return in line (DOS line endings are not "
					"supported)");
			else if ((c < 0x20 && c != '\t') || c == 0x7f)
				policy_scan_error(s, line, "control character 0x%02x in line", c);
			else
				continue;
			bad = true;
			break;
		}
		if (len > LINE_BYTES_MAX) {
			policy_scan_error(s, line, "line is longer than %d bytes", LINE_BYTES_MAX);
			bad = true;
		}
		if (!bad)
			scan_line(s, line, start, len);
	}
	s->p->files[s->file].n_lines = line;
}

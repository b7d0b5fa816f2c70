/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/keys.h"
#include "common/parse.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_namespaces(const char *v, uint64_t *ret, char *msg, size_t msize)
{
	/* Words a later release will accept: named as such, not as unknown. */
	static const char *const planned[] = {"pid", "net"};
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
		for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
			const struct pns_namespace_info *ns = &pns_namespace_info[i];

			if (strlen(ns->word) != len || memcmp(p, ns->word, len) != 0)
				continue;
			if (mask & ns->bit) {
				snprintf(msg, msize, "namespaces: '%s' is listed twice", ns->word);
				return -EINVAL;
			}
			mask |= ns->bit;
			found = true;
			break;
		}
		for (size_t i = 0; !found && i < ELEMENTSOF(planned); i++)
			if (strlen(planned[i]) == len && memcmp(p, planned[i], len) == 0) {
				snprintf(msg, msize, "namespaces: '%s' is not supported yet",
					planned[i]);
				return -EINVAL;
			}
		if (!found) {
			char words[64];

			snprintf(msg, msize,
				"namespaces: unknown namespace '%.*s' (expected words from: %s)",
				(int)len, p,
				pns_ns_mask_to_string(PNS_NS_ALL, words, sizeof(words)));
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

/* ---- parsers ---- */

static int parse_bool(
	const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	bool b;
	int r = pns_parse_bool(v, &b);

	if (r >= 0)
		ret->u = b;
	return r;
}

static int parse_word(
	const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	for (size_t i = 0; i < k->n_words; i++)
		if (k->words[i] && strcmp(v, k->words[i]) == 0) {
			ret->u = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_ns(
	const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	return parse_namespaces(v, &ret->u, msg, msize);
}

static int parse_size(
	const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	return pns_parse_size(v, &ret->size);
}

static int parse_inodes(
	const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	return pns_parse_inodes(v, &ret->u);
}

static int parse_hostname(
	const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	return pns_hostname_template_check(v, msg, msize);
}

int pns_key_parse(enum pns_key k, const char *v, union pns_value *ret, char *msg, size_t msize)
{
	const struct pns_key_info *key;
	int r;

	if ((unsigned)k >= _PNS_KEY_MAX)
		return -EINVAL;
	key = &pns_keys[k];
	r = key->parse(key, v, ret, msg, msize);
	/* Keys without an "expected" wrote their own sentence. */
	if (r < 0 && key->expected)
		snprintf(msg, msize, "%s: %s value '%s' (expected %s)", key->name,
			r == -ERANGE ? "out-of-range" : "invalid", v, key->expected);
	return r;
}

/* ---- storing a value ---- */

#define FIELD(s, k, type) ((type *)(void *)((char *)(s) + (k)->offset))
#define CFIELD(s, k, type) ((const type *)(const void *)((const char *)(s) + (k)->offset))

static void store_bool(const struct pns_key_info *k, struct pns_settings *s,
	const union pns_value *v, const char *v_text)
{
	*FIELD(s, k, bool) = v->u != 0;
}

/* namespaces and the enums: all stored as unsigned int (see the asserts below). */
static void store_uint(const struct pns_key_info *k, struct pns_settings *s,
	const union pns_value *v, const char *v_text)
{
	*FIELD(s, k, unsigned) = (unsigned)v->u;
}

static void store_u64(const struct pns_key_info *k, struct pns_settings *s,
	const union pns_value *v, const char *v_text)
{
	*FIELD(s, k, uint64_t) = v->u;
}

static void store_size(const struct pns_key_info *k, struct pns_settings *s,
	const union pns_value *v, const char *v_text)
{
	*FIELD(s, k, struct pns_size) = v->size;
}

static void store_hostname(const struct pns_key_info *k, struct pns_settings *s,
	const union pns_value *v, const char *v_text)
{
	/* Checked by the scanner: at most PNS_HOSTNAME_TEMPLATE_MAX bytes. */
	snprintf(s->hostname, sizeof(s->hostname), "%s", v_text);
}

_Static_assert(sizeof(enum pns_tmp) == sizeof(unsigned) &&
		       sizeof(enum pns_shm) == sizeof(unsigned) &&
		       sizeof(enum pns_share) == sizeof(unsigned) &&
		       sizeof(enum pns_userns_map) == sizeof(unsigned) &&
		       sizeof(enum pns_userns_fallback) == sizeof(unsigned),
	"word-valued settings are stored as unsigned int");

/* ---- formatters ---- */

static const char *format_bool(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	return *CFIELD(s, k, bool) ? "yes" : "no";
}

static const char *format_word(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	unsigned v = *CFIELD(s, k, unsigned);

	return v < k->n_words ? k->words[v] : NULL;
}

static const char *format_ns(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	pns_ns_mask_to_string(s->namespaces, buf, size);
	return buf[0] ? buf : "(none)";
}

static const char *format_size(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	const struct pns_size *v = CFIELD(s, k, struct pns_size);
	uint64_t n = v->value;

	if (v->percent)
		snprintf(buf, size, "%" PRIu64 "%%", n);
	else if (n != 0 && n % (UINT64_C(1) << 30) == 0)
		snprintf(buf, size, "%" PRIu64 "G", n >> 30);
	else if (n != 0 && n % (UINT64_C(1) << 20) == 0)
		snprintf(buf, size, "%" PRIu64 "M", n >> 20);
	else if (n != 0 && n % (UINT64_C(1) << 10) == 0)
		snprintf(buf, size, "%" PRIu64 "K", n >> 10);
	else
		snprintf(buf, size, "%" PRIu64, n);
	return buf;
}

static const char *format_inodes(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	uint64_t n = *CFIELD(s, k, uint64_t);

	if (n == 0)
		return "kernel default";
	snprintf(buf, size, "%" PRIu64, n);
	return buf;
}

/* The effective value: a private /dev/shm follows the IPC namespace but
 * needs a mount namespace to live in (as common/plan.c builds it). */
static const char *format_shm(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	if (s->shm == PNS_SHM_AUTO)
		return (s->namespaces & PNS_NS_IPC) && (s->namespaces & PNS_NS_MOUNT) ? "private"
										      : "shared";
	return format_word(k, s, buf, size);
}

static const char *format_hostname(
	const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size)
{
	return s->hostname[0] ? s->hostname : "(unchanged)";
}

/* ---- the table ---- */

static const char *const tmp_words[] = {
	[PNS_TMP_NONE] = "none", [PNS_TMP_TMPFS] = "tmpfs", [PNS_TMP_DIR] = "dir"};
/* shm = auto is the built-in only: not a word a policy may write. */
static const char *const shm_words[] = {
	[PNS_SHM_AUTO] = NULL, [PNS_SHM_PRIVATE] = "private", [PNS_SHM_SHARED] = "shared"};
static const char *const share_words[] = {
	[PNS_SHARE_USER] = "user", [PNS_SHARE_SESSION] = "session"};
static const char *const map_words[] = {
	[PNS_USERNS_MAP_SELF] = "self", [PNS_USERNS_MAP_SUBID] = "subid"};
static const char *const fallback_words[] = {
	[PNS_USERNS_FALLBACK_DENY] = "deny", [PNS_USERNS_FALLBACK_SKIP] = "skip"};
_Static_assert(ELEMENTSOF(tmp_words) == _PNS_TMP_MAX && ELEMENTSOF(shm_words) == _PNS_SHM_MAX &&
		       ELEMENTSOF(share_words) == _PNS_SHARE_MAX &&
		       ELEMENTSOF(map_words) == _PNS_USERNS_MAP_MAX &&
		       ELEMENTSOF(fallback_words) == _PNS_USERNS_FALLBACK_MAX,
	"a word for every value");

#define NAME(n) .name = n, .len = sizeof(n) - 1
#define AT(field) .offset = offsetof(struct pns_settings, field)
#define WORDS(w) .words = w, .n_words = ELEMENTSOF(w), .parse = parse_word, .store = store_uint

const struct pns_key_info pns_keys[_PNS_KEY_MAX] = {
	[PNS_KEY_ISOLATE] = {NAME("isolate"), AT(isolate), .parse = parse_bool, .store = store_bool,
		.format = format_bool, .expected = "yes, no, true, false, on, off, 1 or 0",
		.builtin = {.u = false}},
	[PNS_KEY_NAMESPACES] = {NAME("namespaces"), AT(namespaces), .parse = parse_ns,
		.store = store_uint, .format = format_ns,
		.builtin = {.u = PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS}},
	[PNS_KEY_TMP] = {NAME("tmp"), AT(tmp), WORDS(tmp_words), .format = format_word,
		.expected = "tmpfs, dir or none", .builtin = {.u = PNS_TMP_TMPFS}},
	[PNS_KEY_TMP_SIZE] = {NAME("tmp_size"), AT(tmp_size), .parse = parse_size,
		.store = store_size, .format = format_size,
		.expected = "N, NK, NM or NG bytes, or N% of RAM from 1% to 100%; not 0",
		.builtin = {.size = {.value = 25, .percent = true}}},
	[PNS_KEY_TMP_INODES] = {NAME("tmp_inodes"), AT(tmp_inodes), .parse = parse_inodes,
		.store = store_u64, .format = format_inodes,
		.expected = "a positive decimal number", .builtin = {.u = 0}},
	[PNS_KEY_VAR_TMP] = {NAME("var_tmp"), AT(var_tmp), WORDS(tmp_words), .format = format_word,
		.expected = "tmpfs, dir or none", .builtin = {.u = PNS_TMP_NONE}},
	[PNS_KEY_SHM] = {NAME("shm"), AT(shm), WORDS(shm_words), .format = format_shm,
		.expected = "private or shared", .builtin = {.u = PNS_SHM_AUTO}},
	/* Its own size, smaller than /tmp's: with one size for both a set held
	 * twice tmp_size (docs/SECURITY.md, problem 16). */
	[PNS_KEY_SHM_SIZE] = {NAME("shm_size"), AT(shm_size), .parse = parse_size,
		.store = store_size, .format = format_size,
		.expected = "N, NK, NM or NG bytes, or N% of RAM from 1% to 100%; not 0",
		.builtin = {.size = {.value = 10, .percent = true}}},
	[PNS_KEY_SHM_INODES] = {NAME("shm_inodes"), AT(shm_inodes), .parse = parse_inodes,
		.store = store_u64, .format = format_inodes,
		.expected = "a positive decimal number", .builtin = {.u = 0}},
	[PNS_KEY_HOSTNAME] = {NAME("hostname"), AT(hostname), .parse = parse_hostname,
		.store = store_hostname, .format = format_hostname},
	[PNS_KEY_SHARE] = {NAME("share"), AT(share), WORDS(share_words), .format = format_word,
		.expected = "user or session", .builtin = {.u = PNS_SHARE_USER}},
	[PNS_KEY_USERNS_MAP] = {NAME("userns_map"), AT(userns_map), WORDS(map_words),
		.format = format_word, .expected = "self or subid",
		.builtin = {.u = PNS_USERNS_MAP_SELF}},
	[PNS_KEY_USERNS_FALLBACK] = {NAME("userns_fallback"), AT(userns_fallback),
		WORDS(fallback_words), .format = format_word, .expected = "deny or skip",
		.builtin = {.u = PNS_USERNS_FALLBACK_DENY}},
};

const char *pns_key_word(enum pns_key k, unsigned v)
{
	if ((unsigned)k >= _PNS_KEY_MAX || v >= pns_keys[k].n_words)
		return NULL;
	return pns_keys[k].words[v];
}

/* ---- what common/policy.h declares for keys and settings ---- */

void pns_settings_builtin(struct pns_settings *ret)
{
	struct pns_settings s = {0};

	for (size_t k = 0; k < _PNS_KEY_MAX; k++)
		pns_keys[k].store(&pns_keys[k], &s, &pns_keys[k].builtin, "");
	*ret = s;
}

const char *pns_key_name(enum pns_key k)
{
	return (unsigned)k < _PNS_KEY_MAX ? pns_keys[k].name : NULL;
}

int pns_settings_format(const struct pns_settings *s, enum pns_key k, char *buf, size_t size)
{
	char tmp[PNS_HOSTNAME_TEMPLATE_MAX + 64];
	const char *v;

	if (!s || !buf || (unsigned)k >= _PNS_KEY_MAX)
		return -EINVAL;
	v = pns_keys[k].format(&pns_keys[k], s, tmp, sizeof(tmp));
	if (!v)
		return -EINVAL;
	if (strlen(v) >= size)
		return -ENOBUFS;
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

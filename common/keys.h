/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The policy's keys, one row each: the name, how a value is parsed,
 * formatted and stored in struct pns_settings, and the built-in default.
 * The scanner, pns_policy_resolve(), pns_settings_builtin(),
 * pns_settings_format() (pam_nsctl explain) and the words pam_nsctl prints
 * for a plan all read this table. Adding a key is a row here, an enum
 * value and a field in common/policy.h, the code that acts on it, the man
 * page and the tests.
 */

#include <stddef.h>
#include <stdint.h>

#include "common/policy.h"

/* A parsed value: a boolean, a word's index, a mask or a count; or a size. */
union pns_value {
	uint64_t u;
	struct pns_size size;
};

struct pns_key_info {
	char name[16]; /* zero-padded: the scanner compares sixteen bytes at once */
	uint8_t len;
	/* Validate v (NUL-terminated); fill *ret. On failure, a sentence in msg. */
	int (*parse)(const struct pns_key_info *k, const char *v, union pns_value *ret, char *msg,
		size_t msize);
	/* Store a parsed value; v_text is the value as written (for hostname). */
	void (*store)(const struct pns_key_info *k, struct pns_settings *s,
		const union pns_value *v, const char *v_text);
	/* The value in s, as pam_nsctl explain shows it; NULL if out of range. */
	const char *(*format)(
		const struct pns_key_info *k, const struct pns_settings *s, char *buf, size_t size);
	size_t offset;		  /* of the field in struct pns_settings */
	const char *const *words; /* word-valued keys: indexed by the enum; NULL: not accepted */
	size_t n_words;
	const char *expected; /* what a valid value looks like, for the message */
	union pns_value builtin;
};

extern const struct pns_key_info pns_keys[_PNS_KEY_MAX];

/* Validate v for key k and parse it; on failure a sentence in msg. */
int pns_key_parse(enum pns_key k, const char *v, union pns_value *ret, char *msg, size_t msize);

/* The word for value v of a word-valued key ("tmpfs" for PNS_KEY_TMP,
 * PNS_TMP_TMPFS), or NULL. */
const char *pns_key_word(enum pns_key k, unsigned v);

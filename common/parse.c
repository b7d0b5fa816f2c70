/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict value parsers. The policy decides who is isolated, so a lax parser
 * is a security bug: strtol() reads "100M" as 100, "010" as 8, "0x10" as 16
 * and, through iniparser_getint(), "4294967296" as 0 (root). Everything here
 * accepts exactly the documented grammar and nothing else.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int pns_parse_bool(const char *s, bool *ret)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{"yes", true},
		{"no", false},
		{"true", true},
		{"false", false},
		{"on", true},
		{"off", false},
		{"1", true},
		{"0", false},
	};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcmp(s, words[i].word) == 0) {
			*ret = words[i].value;
			return 0;
		}
	return -EINVAL;
}

/* Parse the leading digits of s; *end points after them. */
static int parse_digits(const char *s, const char **end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !is_digit(*s))
		return -EINVAL;
	/* "010" is octal to strtol(0): refuse leading zeros rather than guess. */
	if (s[0] == '0' && is_digit(s[1]))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10) {
			/* Keep scanning: "99999999999999999999x" is malformed, not out of range. */
			while (is_digit(*p))
				p++;
			*end = p;
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	*end = p;
	*ret = v;
	return 0;
}

int pns_parse_u64(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r;

	r = parse_digits(s, &end, &v);
	if (r == -EINVAL)
		return r;
	if (*end != '\0')
		return -EINVAL;
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int pns_parse_id(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r;

	r = pns_parse_u64(s, &v);
	if (r < 0)
		return r;
	/* (uint32_t)-1 is "no id" to setresuid() and chown(): never a real account. */
	if (v >= UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int pns_parse_size(const char *s, struct pns_size *ret)
{
	const char *end;
	uint64_t v, mult = 1;
	bool percent = false;
	int r;

	r = parse_digits(s, &end, &v);
	if (r == -EINVAL)
		return r;
	switch (*end) {
	case '\0':
		break;
	case 'K':
		mult = UINT64_C(1) << 10;
		end++;
		break;
	case 'M':
		mult = UINT64_C(1) << 20;
		end++;
		break;
	case 'G':
		mult = UINT64_C(1) << 30;
		end++;
		break;
	case '%':
		percent = true;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	if (r < 0)
		return r;
	/* tmpfs reads size=0 as "no limit": never let a 0 through. */
	if (v == 0)
		return -ERANGE;
	if (percent && v > 100)
		return -ERANGE;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = (struct pns_size){.value = v * mult, .percent = percent};
	return 0;
}

int pns_parse_inodes(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	r = pns_parse_u64(s, &v);
	if (r < 0)
		return r;
	/* tmpfs reads nr_inodes=0 as "no limit" too. */
	if (v == 0)
		return -ERANGE;
	*ret = v;
	return 0;
}

/*
 * The host name grammar, once for the check of a host name, of a template
 * and for the expansion: the characters of a label, and the letters that
 * may follow '%' in a template (pns_hostname_expand() says what each means).
 */
#define HOSTNAME_ESCAPES "uUh%"

static bool hostname_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c == '-';
}

bool pns_hostname_is_valid(const char *s)
{
	size_t label = 0, total = 0;
	char prev = '\0';

	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;

		if (++total > 64)
			return false;
		if (c == '.') {
			if (label == 0 || prev == '-')
				return false;
			label = 0;
		} else if (hostname_char_ok((unsigned char)c)) {
			if (label == 0 && c == '-')
				return false;
			if (++label > 63)
				return false;
		} else
			return false;
		prev = c;
	}
	/* No empty last label (a trailing dot) and no '-' at the end. */
	return label > 0 && prev != '-';
}

int pns_hostname_template_check(const char *v, char *msg, size_t msize)
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
			if (*p && strchr(HOSTNAME_ESCAPES, *p))
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
		if (hostname_char_ok(c) || c == '.')
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

/*
 * Walk the template; with buf == NULL only measure. Returns the length of the
 * expansion (without the NUL) or -EINVAL.
 */
static int hostname_walk(const char *tmpl, const char *user, const char *uid, const char *host,
	char *buf, size_t *ret_len)
{
	size_t n = 0;

	for (const char *p = tmpl; *p; p++) {
		const char *piece;
		size_t len;
		char one[2] = {0, 0};

		if (*p != '%') {
			one[0] = *p;
			piece = one;
		} else {
			switch (*++p) {
			case 'u':
				piece = user;
				break;
			case 'U':
				piece = uid;
				break;
			case 'h':
				piece = host;
				break;
			case '%':
				piece = "%";
				break;
			default: /* includes a lone '%' at the end */
				return -EINVAL;
			}
			if (!piece)
				return -EINVAL;
		}
		len = strlen(piece);
		if (len > SIZE_MAX - 1 - n)
			return -ENAMETOOLONG;
		if (buf)
			memcpy(buf + n, piece, len);
		n += len;
	}
	*ret_len = n;
	return 0;
}

int pns_hostname_expand(
	const char *tmpl, const char *user, uint32_t uid, const char *host, char *buf, size_t size)
{
	char uid_str[sizeof("4294967295")];
	size_t len;
	int r;

	if (!tmpl || !buf)
		return -EINVAL;
	snprintf(uid_str, sizeof(uid_str), "%" PRIu32, uid);

	/* Measure first, so that buf is written only when the result fits. */
	r = hostname_walk(tmpl, user, uid_str, host, NULL, &len);
	if (r < 0)
		return r;
	if (len >= size)
		return -ENAMETOOLONG;
	r = hostname_walk(tmpl, user, uid_str, host, buf, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output for people and for scripts: escaped text, JSON strings, diagnostics. */
#include "tools/nsctl.h"

/* ---- text output ------------------------------------------------------ */

/*
 * Decode one UTF-8 sequence at s (n bytes available). Returns its length and
 * the code point, or 0 if the bytes are not well-formed UTF-8 (overlong
 * forms, surrogates and values above U+10FFFF included).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/*
 * Walk s for people: printable characters as they are, control characters
 * (C0, DEL, C1), backslashes and malformed bytes as \xNN, so that a
 * hostile name can neither move the cursor nor pass for another name.
 * With f == NULL only count the columns.
 */
size_t text_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), width = 0;

	while (n > 0) {
		uint32_t cp = 0;
		size_t len = utf8_decode(p, n, &cp);

		if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
			cp == '\\') {
			/* For a malformed or multi-byte control sequence, escape byte by byte. */
			size_t k = len == 0 ? 1 : len;

			for (size_t i = 0; i < k; i++) {
				if (f)
					fprintf(f, "\\x%02x", p[i]);
				width += 4;
			}
			p += k;
			n -= k;
			continue;
		}
		if (f)
			fwrite(p, 1, len, f);
		width++;
		p += len;
		n -= len;
	}
	return width;
}

size_t text_width(const char *s)
{
	return text_put(NULL, s);
}

/* Print s escaped and padded with spaces to width columns. */
void text_put_padded(FILE *f, const char *s, size_t width)
{
	size_t w = text_put(f, s);

	for (; w < width; w++)
		fputc(' ', f);
}

/*
 * A JSON string: quotes, backslash and control characters escaped, valid
 * UTF-8 kept, every other byte as \u00XX so that the output stays valid
 * JSON whatever NSS or the file system handed us.
 */
static void json_string_body(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		uint32_t cp = 0;
		size_t len = utf8_decode(p, n, &cp);

		if (len == 0) {
			fprintf(f, "\\u%04x", p[0]);
			p++;
			n--;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fprintf(f, "\\u%04x", (unsigned)cp);
			else
				fwrite(p, 1, len, f);
		}
		p += len;
		n -= len;
	}
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	json_string_body(f, s);
	fputc('"', f);
}

void json_string_or_null(FILE *f, const char *s)
{
	if (s)
		json_string(f, s);
	else
		fputs("null", f);
}

void ns_list_json(FILE *f, unsigned mask)
{
	bool first = true;

	fputc('[', f);
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		if (!(mask & pns_namespace_info[i].bit))
			continue;
		fputs(first ? "" : ",", f);
		json_string(f, pns_namespace_info[i].word);
		first = false;
	}
	fputc(']', f);
}

/* "file:line", "file" (line 0) or "built-in", escaped for people. */
void origin_put(FILE *f, const struct pns_origin *o)
{
	if (!o->file) {
		fputs("built-in", f);
		return;
	}
	text_put(f, o->file);
	if (o->line > 0)
		fprintf(f, ":%u", o->line);
}

void origin_json(FILE *f, const struct pns_origin *o)
{
	if (!o->file) {
		json_string(f, "built-in");
		return;
	}
	fputc('"', f);
	json_string_body(f, o->file);
	if (o->line > 0)
		fprintf(f, ":%u", o->line);
	fputc('"', f);
}

void log_error(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	errno = saved; /* for %m */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- diagnostics -------------------------------------------------------- */

void diags_print(FILE *f, const struct pns_diag_list *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct pns_diag *g = &d->items[i];

		text_put(f, g->file ? g->file : "(policy)");
		if (g->line > 0)
			fprintf(f, ":%u", g->line);
		fputs(": ", f);
		text_put(f, g->message ? g->message : "(no message)");
		fputc('\n', f);
	}
}

void diags_json(FILE *f, const struct pns_diag_list *d)
{
	fputc('[', f);
	for (size_t i = 0; i < d->n; i++) {
		const struct pns_diag *g = &d->items[i];

		fputs(i > 0 ? ",{\"file\":" : "{\"file\":", f);
		json_string_or_null(f, g->file);
		fprintf(f, ",\"line\":%u,\"message\":", g->line);
		json_string_or_null(f, g->message);
		fputc('}', f);
	}
	fputc(']', f);
}

const char *value_word(enum pns_key k, unsigned v)
{
	return pns_key_word(k, v) ?: "?";
}

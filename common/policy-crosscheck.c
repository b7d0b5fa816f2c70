/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cross-check with iniparser (phase 2): the only includer of iniparser. */
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
#include "common/policy-bytes.h"
#include "common/policy-index.h"
#include "common/policy-internal.h"

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
			policy_scan_error(s, 0,
				"iniparser read this file differently: %zu sections and %zu keys "
				"instead of %zu and %zu",
				n_sections, n_keys, n, want_keys);
		else
			/* Not the whole file: name the lines the batch came from. */
			policy_scan_error(s, p->sections[sel[0]].line,
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
			policy_scan_error(s, sec->line,
				"iniparser read this file differently: no section [%s]", key);

		for (size_t j = sec->first_entry; j < sec->first_entry + sec->n_entries; j++) {
			const struct entry *e = &p->entries[j];
			const char *v;

			snprintf(key, sizeof(key), "%.*s:%s", (int)sec->hdr_len,
				s->buf + sec->hdr_off, pns_keys[e->key].name);
			v = iniparser_getstring(d, key, NULL);
			if (!v || strlen(v) != e->val_len ||
				memcmp(v, s->buf + e->val_off, e->val_len) != 0)
				policy_scan_error(s, e->line,
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
int policy_crosscheck(struct pns_policy *p, const size_t *sel, size_t n_sel, bool all,
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

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
 *
 * The loader's files, by concern:
 *   policy.c            this overview, diagnostics, the public entry points
 *   policy-files.c      step 1: opening the files and the drop-ins
 *   policy-scan.c       step 2: the line scanner
 *   policy-bytes.h      its byte primitives, SSE2 and plain C side by side
 *   policy-index.h      the section index, (kind, name) -> sections
 *   policy-crosscheck.c step 3: iniparser (its only includer)
 *   policy-resolve.c    which sections apply to an account, confirm, resolve
 *   keys.c              the keys: parsing, storing and formatting values
 *   policy-internal.h   what these files share
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/policy-internal.h"

/* ---- diagnostics -------------------------------------------------------- */

int policy_diag_addv(
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
	r = policy_diag_addv(l, file, line, fmt, ap);
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
	p->cache_dir_fd = -1;
	*ret = p;
	return policy_read_files(p, main_path, require_root_owned, diags);
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

void policy_identity_clear(struct confirmed_identity *w)
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
	policy_identity_clear(&p->who);
	free(p);
}

void pns_policy_use_cache(struct pns_policy *p, int run_dir_fd)
{
	if (p)
		p->cache_dir_fd = run_dir_fd;
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

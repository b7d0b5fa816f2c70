/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cross-check with iniparser (phase 2): the only includer of iniparser. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
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

#include "common/fdutil.h"
#include "common/parse.h"
#include "common/policy-cache.h"
#include "common/policy-bytes.h"
#include "common/policy-index.h"
#include "common/policy-internal.h"

static int silent_error_callback(const char *format, ...)
{
	/* iniparser prints the offending line to stderr: the user's tty under su. */
	return 0;
}

/*
 * libiniparser, dlopen()ed for a cross-check that the policy cache cannot
 * answer and closed after it: a login whose batches are all in the cache
 * does not load it. Each function is looked up in the process first, as
 * the dynamic linker would resolve a linked library's (the unit tests
 * interpose iniparser_load()), then in the library.
 */
struct ini_api {
	void *handle;
	__typeof__(iniparser_load) *load;
	__typeof__(iniparser_freedict) *freedict;
	__typeof__(iniparser_getstring) *getstring;
	__typeof__(iniparser_set_error_callback) *set_error_callback;
	/* The file loaded, "" when what read the policy cannot be named for the
	 * cache: a function from elsewhere, or a copy loaded before ours. */
	char path[PNS_POLICY_CACHE_PATH_MAX];
	struct pns_file_id id;
};

static void *ini_sym(void *h, const char *name)
{
	void *f = dlsym(RTLD_DEFAULT, name);

	return f ? f : dlsym(h, name);
}

static int ini_open(struct ini_api *ini, struct pns_diag_list *diags, const char *where)
{
	struct link_map *lm = NULL;
	void *before, *fns[4];
	Dl_info lib, fn;
	bool nameable;
	struct stat st;

	/* Loaded already (by the caller, another module): mapped from a file
	 * that may since have been replaced, so not one to name in the cache. */
	before = dlopen(PNS_INIPARSER_SONAME, RTLD_LAZY | RTLD_NOLOAD);
	nameable = !before;
	if (before)
		dlclose(before);
	errno = 0;
	ini->handle = dlopen(PNS_INIPARSER_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!ini->handle) {
		int e = errno;
		const char *msg = dlerror();

		/* The dynamic linker names no errno when a segment cannot be
		 * mapped: under a small RLIMIT_AS, that is out of memory. */
		if (e == ENOMEM || (msg && (strstr(msg, "failed to map segment") ||
						   strstr(msg, "annot allocate memory")))) {
			(void)pns_diag_add(
				diags, where, 0, "out of memory while reading the policy");
			return -ENOMEM;
		}
		(void)pns_diag_add(diags, where, 0, "cannot load iniparser (%s): %s",
			PNS_INIPARSER_SONAME, msg ? msg : "unknown error");
		return -ELIBACC;
	}
	*(void **)&ini->load = ini_sym(ini->handle, "iniparser_load");
	*(void **)&ini->freedict = ini_sym(ini->handle, "iniparser_freedict");
	*(void **)&ini->getstring = ini_sym(ini->handle, "iniparser_getstring");
	*(void **)&ini->set_error_callback = ini_sym(ini->handle, "iniparser_set_error_callback");
	if (!ini->load || !ini->freedict || !ini->getstring || !ini->set_error_callback) {
		(void)pns_diag_add(diags, where, 0, "%s lacks the functions pam_ns needs",
			PNS_INIPARSER_SONAME);
		return -ELIBBAD;
	}
	(void)dlerror(); /* the lookups in the process that found nothing */
	ini->set_error_callback(silent_error_callback);
	/* Which file it is, for the cache (another one confirms anew): only if
	 * all four functions are that file's. */
	fns[0] = (void *)ini->load;
	fns[1] = (void *)ini->freedict;
	fns[2] = (void *)ini->getstring;
	fns[3] = (void *)ini->set_error_callback;
	if (dladdr(dlsym(ini->handle, "iniparser_load"), &lib) == 0)
		nameable = false;
	for (size_t i = 0; i < 4 && nameable; i++)
		nameable = dladdr(fns[i], &fn) != 0 && fn.dli_fbase == lib.dli_fbase;
	(void)dlerror();
	if (nameable && dlinfo(ini->handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name &&
		lm->l_name[0] == '/' && strlen(lm->l_name) < sizeof(ini->path) &&
		stat(lm->l_name, &st) == 0) {
		strcpy(ini->path, lm->l_name);
		pns_file_id_of(&st, &ini->id);
	}
	return 0;
}

static void ini_close(struct ini_api *ini)
{
	if (ini->handle)
		dlclose(ini->handle);
	ini->handle = NULL;
}

/* A dictionary and the library that frees it. */
struct dict_ref {
	const struct ini_api *ini;
	dictionary *d;
};

static void freedictp_cleanup(struct dict_ref *dr)
{
	if (dr->d)
		dr->ini->freedict(dr->d);
}

/* The bytes of one batch, as iniparser is shown them. */
struct batch {
	char *buf;
	size_t size, alloc;
	size_t want_keys;
	unsigned last_line; /* of the last chunk */
	bool whole;	    /* the whole file */
};

static int batch_put(struct batch *b, const char *src, size_t n)
{
	if (n == 0)
		return 0;
	if (b->alloc - b->size < n) {
		size_t want = b->size + n + 1024;
		char *m = realloc(b->buf, want);

		if (!m)
			return -ENOMEM;
		b->buf = m;
		b->alloc = want;
	}
	memcpy(b->buf + b->size, src, n);
	b->size += n;
	return 0;
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
 * The bytes iniparser is shown for the sections sel[0..n) of one file (in
 * file order), or with n == 0 the whole file, which must then hold no
 * section. Chunks that follow each other in the file are one run.
 */
static int batch_bytes(struct scan *s, const size_t *sel, size_t n, struct batch *b)
{
	const struct pns_policy *p = s->p;
	size_t run_off = 0, run_end = 0;

	b->size = b->want_keys = 0;
	b->last_line = 0;
	if (n == 0) {
		b->whole = true;
		return batch_put(b, s->buf, s->size);
	}
	section_chunk(p, sel[0], &run_off, &run_end, &b->last_line);
	run_end = run_off;
	b->whole = run_off == 0;
	for (size_t i = 0; i < n; i++) {
		size_t off, end;

		section_chunk(p, sel[i], &off, &end, &b->last_line);
		if (off != run_end) {
			if (batch_put(b, s->buf + run_off, run_end - run_off) < 0)
				return -ENOMEM;
			run_off = off;
			b->whole = false;
		}
		run_end = end;
		b->want_keys += p->sections[sel[i]].n_entries;
	}
	b->whole = b->whole && run_end == s->size;
	return batch_put(b, s->buf + run_off, run_end - run_off);
}

/* What agrees is confirmed: the sections of the batch, or a file without any. */
static void batch_confirmed(struct scan *s, const size_t *sel, size_t n)
{
	if (n == 0)
		s->p->files[s->file].checked = true;
	for (size_t i = 0; i < n; i++)
		s->p->sections[sel[i]].confirmed = true;
}

/*
 * Hand iniparser the batch's bytes and compare its reading with the
 * scanner's. Returns whether the two agree (the batch is then confirmed).
 */
static bool check_batch(struct scan *s, const struct ini_api *ini, int mfd, const size_t *sel,
	size_t n, const struct batch *b)
{
	static const char missing[] = "";
	struct pns_policy *p = s->p;
	_cleanup_(freedictp_cleanup) struct dict_ref dr = {.ini = ini};
	char path[64], key[SECTION_NAME_MAX + 64];
	size_t n_sections = 0, n_keys = 0;
	unsigned errors_before = s->n_errors;
	int load_errno, r;

	/* The same memfd for every batch: nobody else can write it, and it is emptied first. */
	if (ftruncate(mfd, 0) < 0 || lseek(mfd, 0, SEEK_SET) < 0) {
		s->sys_error = negative_errno();
		(void)pns_diag_add(s->diags, s->path, 0, "cannot truncate a memfd: %m");
		return false;
	}
	r = pns_write_all(mfd, b->buf, b->size);
	if (r < 0) {
		s->sys_error = r;
		errno = -r;
		(void)pns_diag_add(s->diags, s->path, 0, "cannot write to a memfd: %m");
		return false;
	}

	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	errno = 0;
	dr.d = ini->load(path);
	load_errno = errno;
	if (!dr.d && load_errno == ENOMEM) {
		s->sys_error = -ENOMEM;
		(void)pns_diag_add(s->diags, s->path, 0, "out of memory while reading the policy");
		return false;
	}
	if (!dr.d) {
		/* Never an empty policy: no /proc, or our scanner missed something. */
		s->sys_error = -EIO;
		(void)pns_diag_add(s->diags, s->path, 0,
			"iniparser failed to read this file (out of memory or /proc not mounted?)");
		return false;
	}

	/* iniparser_getnsec() skips names with ':', all of ours but [default]: count by hand. */
	for (ssize_t i = 0; i < dr.d->size; i++) {
		if (!dr.d->key[i])
			continue;
		if (dr.d->val[i])
			n_keys++;
		else
			n_sections++;
	}
	if (n_sections != n || n_keys != b->want_keys) {
		if (load_errno == ENOMEM) {
			/* iniparser 4.1 drops the lines it cannot copy and returns the rest. */
			s->sys_error = -ENOMEM;
			(void)pns_diag_add(s->diags, s->path, 0,
				"out of memory while reading the policy (iniparser lost lines)");
			return false;
		}
		if (b->whole)
			policy_scan_error(s, 0,
				"iniparser read this file differently: %zu sections and %zu keys "
				"instead of %zu and %zu",
				n_sections, n_keys, n, b->want_keys);
		else
			/* Not the whole file: name the lines the batch came from. */
			policy_scan_error(s, p->sections[sel[0]].line,
				"iniparser read this file differently: %zu sections and %zu keys "
				"instead of %zu and %zu, in the sections cross-checked together "
				"from line %u to line %u",
				n_sections, n_keys, n, b->want_keys, p->sections[sel[0]].line,
				b->last_line);
		return false;
	}

	for (size_t i = 0; i < n; i++) {
		const struct section *sec = &p->sections[sel[i]];

		snprintf(key, sizeof(key), "%.*s", (int)sec->hdr_len, s->buf + sec->hdr_off);
		/* A section has a NULL value; "missing" means iniparser has no such name. */
		if (ini->getstring(dr.d, key, missing) != NULL)
			policy_scan_error(s, sec->line,
				"iniparser read this file differently: no section [%s]", key);

		for (size_t j = sec->first_entry; j < sec->first_entry + sec->n_entries; j++) {
			const struct entry *e = &p->entries[j];
			const char *v;

			snprintf(key, sizeof(key), "%.*s:%s", (int)sec->hdr_len,
				s->buf + sec->hdr_off, pns_keys[e->key].name);
			v = ini->getstring(dr.d, key, NULL);
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
		return false;
	batch_confirmed(s, sel, n);
	return true;
}

/* Every batch of one file: from the cache, or through iniparser. */
struct run {
	struct ini_api ini;
	struct policy_cache cache;
	struct batch b;
	int mfd;
};

static void one_batch(struct scan *s, struct run *run, const size_t *sel, size_t n)
{
	if (batch_bytes(s, sel, n, &run->b) < 0) {
		s->sys_error = -ENOMEM;
		(void)pns_diag_add(s->diags, s->path, 0, "out of memory while reading the policy");
		return;
	}
	if (policy_cache_has(&run->cache, (uint32_t)n, (uint32_t)run->b.want_keys, run->b.buf,
		    run->b.size)) {
		batch_confirmed(s, sel, n);
		return;
	}
	if (!run->ini.handle) {
		int r = ini_open(&run->ini, s->diags, s->path);

		if (r < 0) {
			s->sys_error = r;
			return;
		}
	}
	if (run->mfd < 0) {
		/* The bytes we scanned, through a file that nobody else can change. */
		run->mfd = memfd_create("pam_ns-policy", MFD_CLOEXEC);
		if (run->mfd < 0) {
			s->sys_error = negative_errno();
			(void)pns_diag_add(s->diags, s->path, 0, "cannot create a memfd: %m");
			return;
		}
	}
	if (check_batch(s, &run->ini, run->mfd, sel, n, &run->b))
		policy_cache_note(&run->cache, (uint32_t)n, (uint32_t)run->b.want_keys, run->b.buf,
			run->b.size);
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
	struct run run = {.mfd = -1};
	bool invalid = false;
	size_t i = 0;
	int r = 0;

	policy_cache_open(&run.cache, p->cache_dir_fd);
	for (size_t f = 0; f < p->n_files && r == 0; f++) {
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

		if (first == i)
			one_batch(&s, &run, NULL, 0);
		for (size_t b = first; b < i && !s.stop && s.sys_error == 0;) {
			size_t e = b, entries = 0;

			/* At least one section; then as many as fit. */
			do {
				entries += 1 + p->sections[sel[e]].n_entries;
				e++;
			} while (e < i && entries + 1 + p->sections[sel[e]].n_entries <=
						  CROSSCHECK_BATCH_ENTRIES);
			one_batch(&s, &run, sel + b, e - b);
			b = e;
		}
		if (s.sys_error < 0)
			r = s.sys_error;
		else if (s.n_errors > 0)
			invalid = true;
	}
	/* Only a policy that is valid as far as it was checked is remembered. */
	if (r == 0 && !invalid && run.ini.path[0])
		policy_cache_save(&run.cache, &run.ini.id, run.ini.path);
	policy_cache_done(&run.cache);
	ini_close(&run.ini);
	safe_close(run.mfd);
	free(run.b.buf);
	if (r < 0)
		return r;
	return invalid ? -EINVAL : 0;
}

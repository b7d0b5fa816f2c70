/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixtures of the policy loader's tests (policy-test.h). */
#include "tests/unit/policy-test.h"

/* What a failed load must leave in *ret. */
struct pns_policy *const UNTOUCHED = (struct pns_policy *)&UNTOUCHED;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/pns-test-policy-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->main, sizeof(f->main), "%s/pam_ns.conf", f->dir);
	*state = f;
	return 0;
}

int teardown(void **state)
{
	struct fixture *f = *state;

	/* Undo what the tests chmod'ed, then remove everything. */
	chmod(f->dir, 0700);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	return p;
}

void write_bytes(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0)
		fail_msg("cannot chmod %s: %s", path, strerror(errno));
	close(fd);
}

void write_text(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text), 0644);
}

void mkdir_or_fail(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
		fail_msg("cannot mkdir %s: %s", path, strerror(errno));
}

void print_diags(const struct pns_diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  diag: %s:%u: %s\n", d->items[i].file ? d->items[i].file : "(null)",
			d->items[i].line, d->items[i].message);
}

/* Is there a diag for file (NULL: any) at line (-1: any) whose message contains fragment? */
bool has_diag(const struct pns_diag_list *d, const char *file, int line, const char *fragment)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct pns_diag *g = &d->items[i];

		if (file && (!g->file || strcmp(g->file, file) != 0))
			continue;
		if (line >= 0 && g->line != (unsigned)line)
			continue;
		if (g->message && strstr(g->message, fragment))
			return true;
	}
	return false;
}

/* Load and expect failure with a diag (file, line, fragment); *ret must stay untouched. */
void expect_refused(const char *path, bool root, int expected_r, const char *diag_file, int line,
	const char *fragment, const char *what)
{
	struct pns_diag_list d = {};
	struct pns_policy *p = UNTOUCHED;
	int r;

	r = pns_policy_load(path, root, &p, &d);
	if (r != expected_r || p != UNTOUCHED || !has_diag(&d, diag_file, line, fragment)) {
		print_message(
			"%s: load = %d (expected %d), expected a diag %s:%d containing \"%s\"\n",
			what, r, expected_r, diag_file ? diag_file : "*", line, fragment);
		print_diags(&d);
		pns_diag_list_clear(&d);
		if (p != UNTOUCHED && r == 0)
			pns_policy_free(p);
		fail_msg("%s: not refused as expected", what);
	}
	pns_diag_list_clear(&d);
}

/* A valid policy through loader (pns_policy_load or pns_policy_scan), no diagnostic. */
struct pns_policy *expect_valid(
	loader_fn loader, const char *verb, const char *path, bool root, const char *what)
{
	struct pns_diag_list d = {};
	struct pns_policy *p = NULL;
	int r;

	r = loader(path, root, &p, &d);
	if (r != 0 || !p || d.n != 0) {
		print_diags(&d);
		pns_diag_list_clear(&d);
		fail_msg("%s: %s = %d, expected a valid policy", what, verb, r);
	}
	return p;
}

struct pns_policy *expect_loaded(const char *path, bool root, const char *what)
{
	return expect_valid(pns_policy_load, "load", path, root, what);
}

struct pns_identity ident(const char *name, uid_t uid, gid_t gid, const gid_t *groups,
	const char *const *names, size_t n)
{
	return (struct pns_identity){
		.name = name,
		.uid = uid,
		.gid = gid,
		.groups = groups,
		.group_names = names,
		.n_groups = n,
	};
}

const struct pns_identity nobody_special = {
	.name = "nobody-special",
	.uid = 4242,
	.gid = 4242,
};

void format_or_fail(const struct pns_settings *s, enum pns_key k, char *buf, size_t size)
{
	int r = pns_settings_format(s, k, buf, size);

	if (r < 0)
		fail_msg("pns_settings_format(%s) = %d", pns_key_name(k), r);
}

void assert_origin(const struct pns_settings *s, enum pns_key k, const char *file, unsigned line)
{
	const struct pns_origin *o = &s->origin[k];

	if (!file) {
		if (o->file)
			fail_msg("%s: origin %s:%u, expected built-in", pns_key_name(k), o->file,
				o->line);
		return;
	}
	if (!o->file || strcmp(o->file, file) != 0 || o->line != line)
		fail_msg("%s: origin %s:%u, expected %s:%u", pns_key_name(k),
			o->file ? o->file : "built-in", o->line, file, line);
}

void assert_value(const struct pns_settings *s, enum pns_key k, const char *expected)
{
	char buf[512];

	format_or_fail(s, k, buf, sizeof(buf));
	if (strcmp(buf, expected) != 0)
		fail_msg("%s = \"%s\", expected \"%s\"", pns_key_name(k), buf, expected);
}

/* ---- two phases: scan, then confirm for one account ---------------------- */

struct pns_policy *expect_scanned(const char *path, const char *what)
{
	return expect_valid(pns_policy_scan, "scan", path, false, what);
}

void expect_confirmed(struct pns_policy *p, const struct pns_identity *id, const char *what)
{
	struct pns_diag_list d = {};
	int r;

	r = pns_policy_confirm(p, id, &d);
	if (r != 0 || d.n != 0) {
		print_diags(&d);
		pns_diag_list_clear(&d);
		fail_msg("%s: confirm = %d, expected 0", what, r);
	}
}

/* Confirm must fail with expected_r and a diag (file, line, fragment). */
void expect_not_confirmed(struct pns_policy *p, const struct pns_identity *id, int expected_r,
	const char *file, int line, const char *fragment, const char *what)
{
	struct pns_diag_list d = {};
	int r;

	r = pns_policy_confirm(p, id, &d);
	if (r != expected_r || !has_diag(&d, file, line, fragment)) {
		print_message("%s: confirm = %d (expected %d), expected a diag %s:%d containing "
			      "\"%s\"\n",
			what, r, expected_r, file ? file : "*", line, fragment);
		print_diags(&d);
		pns_diag_list_clear(&d);
		fail_msg("%s: not refused as expected", what);
	}
	pns_diag_list_clear(&d);
}

/* Same values and origins (file name and line) from two policy objects. */
void assert_same_settings(
	const struct pns_settings *a, const struct pns_settings *b, const char *what)
{
	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		const struct pns_origin *oa = &a->origin[k], *ob = &b->origin[k];
		char va[512], vb[512];

		format_or_fail(a, (enum pns_key)k, va, sizeof(va));
		format_or_fail(b, (enum pns_key)k, vb, sizeof(vb));
		if (strcmp(va, vb) != 0 || !oa->file != !ob->file ||
			(oa->file && strcmp(oa->file, ob->file) != 0) || oa->line != ob->line)
			fail_msg("%s: %s = %s from %s:%u, but %s from %s:%u", what,
				pns_key_name((enum pns_key)k), va, oa->file ? oa->file : "built-in",
				oa->line, vb, ob->file ? ob->file : "built-in", ob->line);
	}
	/* What formatting folds: shm auto, the exact size. */
	if (a->shm != b->shm || a->tmp_size.value != b->tmp_size.value ||
		a->tmp_size.percent != b->tmp_size.percent || a->namespaces != b->namespaces)
		fail_msg("%s: settings differ", what);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy loader: man/pam_ns.conf.5 and the policy rows of
 * docs/SECURITY.md. Fixtures are
 * written into a fresh mkdtemp() directory per test; every load that must
 * fail is checked for -EINVAL, the line, a fragment of the message, and an
 * untouched *ret. Most tests load in one go (pns_policy_load); the two
 * phases a login uses (pns_policy_scan, then pns_policy_confirm for one
 * account) are checked against it at the end.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#if __has_include(<iniparser.h>)
#include <iniparser.h>
#else
#include <iniparser/iniparser.h>
#endif

#include "common/policy.h"

/* What a failed load must leave in *ret. */
static struct pns_policy *const UNTOUCHED = (struct pns_policy *)&UNTOUCHED;

struct fixture {
	char dir[64];
	char main[128];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static int setup(void **state)
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

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* Undo what the tests chmod'ed, then remove everything. */
	chmod(f->dir, 0700);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	return p;
}

static void write_bytes(const char *path, const char *data, size_t len, mode_t mode)
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

static void write_text(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text), 0644);
}

static void mkdir_or_fail(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
		fail_msg("cannot mkdir %s: %s", path, strerror(errno));
}

static void print_diags(const struct pns_diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  diag: %s:%u: %s\n", d->items[i].file ? d->items[i].file : "(null)",
			d->items[i].line, d->items[i].message);
}

/* Is there a diag for file (NULL: any) at line (-1: any) whose message contains fragment? */
static bool has_diag(
	const struct pns_diag_list *d, const char *file, int line, const char *fragment)
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
static void expect_refused(const char *path, bool root, int expected_r, const char *diag_file,
	int line, const char *fragment, const char *what)
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

typedef int (*loader_fn)(const char *, bool, struct pns_policy **, struct pns_diag_list *);

/* A valid policy through loader (pns_policy_load or pns_policy_scan), no diagnostic. */
static struct pns_policy *expect_valid(
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

static struct pns_policy *expect_loaded(const char *path, bool root, const char *what)
{
	return expect_valid(pns_policy_load, "load", path, root, what);
}

static struct pns_identity ident(const char *name, uid_t uid, gid_t gid, const gid_t *groups,
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

static const struct pns_identity nobody_special = {
	.name = "nobody-special",
	.uid = 4242,
	.gid = 4242,
};

static void format_or_fail(const struct pns_settings *s, enum pns_key k, char *buf, size_t size)
{
	int r = pns_settings_format(s, k, buf, size);

	if (r < 0)
		fail_msg("pns_settings_format(%s) = %d", pns_key_name(k), r);
}

static void assert_origin(
	const struct pns_settings *s, enum pns_key k, const char *file, unsigned line)
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

static void assert_value(const struct pns_settings *s, enum pns_key k, const char *expected)
{
	char buf[512];

	format_or_fail(s, k, buf, sizeof(buf));
	if (strcmp(buf, expected) != 0)
		fail_msg("%s = \"%s\", expected \"%s\"", pns_key_name(k), buf, expected);
}

/* ---- the SPEC example --------------------------------------------------- */

static const char spec_example[] = "[default]\n"
				   "isolate    = yes\n"
				   "namespaces = mount ipc uts\n"
				   "tmp        = tmpfs\n"
				   "tmp_size   = 25%\n"
				   "\n"
				   "[group:students]\n"
				   "hostname   = %u-sandbox\n"
				   "namespaces = mount ipc uts user\n"
				   "\n"
				   "[user:alice]\n"
				   "tmp_size   = 4G\n"
				   "\n"
				   "[uid:1234]\n"
				   "isolate    = no\n";

static void test_spec_example(void **state)
{
	struct fixture *f = *state;
	static const gid_t students[] = {100, 2000};
	static const char *const student_names[] = {"users", "students"};
	struct pns_identity id;
	struct pns_policy *p;
	struct pns_settings s;

	write_text(f->main, spec_example);
	p = expect_loaded(f->main, false, "spec example");
	assert_int_equal(pns_policy_n_files(p), 1);
	assert_string_equal(pns_policy_file(p, 0), f->main);
	assert_null(pns_policy_file(p, 1));
	assert_int_equal(pns_policy_n_sections(p), 4);

	/* alice, a student: user beats group for tmp_size, group gives hostname and namespaces. */
	id = ident("alice", 1001, 100, students, student_names, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 2);
	assert_int_equal(s.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS | PNS_NS_USER);
	assert_origin(&s, PNS_KEY_NAMESPACES, f->main, 9);
	assert_int_equal(s.tmp_size.value, UINT64_C(4) << 30);
	assert_false(s.tmp_size.percent);
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 12);
	assert_string_equal(s.hostname, "%u-sandbox");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 8);
	assert_int_equal(s.var_tmp, PNS_TMP_NONE);
	assert_origin(&s, PNS_KEY_VAR_TMP, NULL, 0);

	/* uid 1234 (whatever the name) is exempt. */
	id = ident("Zed", 1234, 100, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 15);
	assert_value(&s, PNS_KEY_TMP_SIZE, "25%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 5);

	/* Someone in no section: [default]. */
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_true(s.isolate);
	assert_int_equal(s.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS);
	assert_origin(&s, PNS_KEY_NAMESPACES, f->main, 3);
	assert_string_equal(s.hostname, "");
	pns_policy_free(p);
}

/* ---- every hazard of pam_ns.conf(5), one row each ------------------------ */

struct bad_row {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	int line;
	const char *fragment;
};

/* Text with NUL bytes: the literal and its length. */
#define BIN(s) s, sizeof(s) - 1

static const struct bad_row bad_rows[] = {
	/* Catalogue 20: CVE-2023-33461, a section named like a key. */
	{"cve-2023-33461", "[default]\nisolate = yes\n[bob:isolate]\n", 0, 3,
		"unknown section [bob:isolate]"},
	{"cve-2023-33461 user", "[user:bob:isolate]\nisolate = yes\n", 0, 1, "contains ':'"},
	{"cve-2023-33461 default", "[default:isolate]\n", 0, 1, "unknown section"},
	/* Catalogue 21: case folding and key collisions. */
	{"upper-case section", "[Alice]\nisolate = yes\n", 0, 1, "upper-case"},
	{"upper-case user", "[user:alice]\nisolate = no\n[user:Alice]\nisolate = yes\n", 0, 3,
		"upper-case"},
	{"upper-case default", "[DEFAULT]\n", 0, 1, "upper-case"},
	{"colon in key", "[default]\nisolate = yes\n[user:a]\nb:c = yes\n", 0, 4, "contains ':'"},
	{"colon in key 2", "[user:a]\nisolate:x = yes\n", 0, 2, "contains ':'"},
	{"empty header", "[default]\nisolate = yes\n[]\nisolate = no\n", 0, 3,
		"empty section header"},
	{"empty header first", "[]\n", 0, 1, "empty section header"},
	{"unclosed header", "[default\nisolate = yes\n", 0, 1, "malformed section header"},
	{"header with comment", "[default] ; main\n", 0, 1, "malformed section header"},
	{"header with trailing ]", "[user:a]b]\n", 0, 1, "malformed section header"},
	{"header with [", "[[default]\n", 0, 1, "malformed section header"},
	{"header = value", "[default] = yes\n", 0, 1, "malformed section header"},
	{"blank in header", "[ default ]\n", 0, 1, "whitespace in section header"},
	{"blank in name", "[user:a b]\n", 0, 1, "whitespace in section header"},
	{"duplicate default", "[default]\nisolate = yes\n\n[default]\nisolate = no\n", 0, 4,
		"duplicate section [default] (first at line 1)"},
	{"duplicate user", "[user:a]\nisolate = yes\n[uid:1]\n[user:a]\n", 0, 4,
		"duplicate section [user:a] (first at line 1)"},
	{"duplicate uid", "[uid:7]\n[gid:7]\n[uid:7]\n", 0, 3,
		"duplicate section [uid:7] (first at line 1)"},
	{"duplicate key", "[default]\nisolate = yes\ntmp = none\nisolate = no\n", 0, 4,
		"duplicate key 'isolate' in [default] (first at line 2)"},
	{"unknown section", "[users:bob]\n", 0, 1, "unknown section [users:bob]"},
	{"unknown section 2", "[global]\n", 0, 1, "unknown section"},
	{"empty user name", "[user:]\n", 0, 1, "unknown section"},
	{"empty group name", "[group:]\n", 0, 1, "unknown section"},
	{"user name too long",
		"[user:"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaa]\n",
		0, 1, "longer than 256 bytes"},
	/* Catalogue 22: ids as strtol() reads them. */
	{"uid 100M", "[uid:100M]\n", 0, 1, "upper-case"},
	{"uid 100m", "[uid:100m]\n", 0, 1, "invalid uid"},
	{"uid hex", "[uid:0x10]\n", 0, 1, "invalid uid"},
	{"uid octal", "[uid:010]\n", 0, 1, "invalid uid"},
	{"uid negative", "[uid:-1]\n", 0, 1, "invalid uid"},
	{"uid wraps to 0", "[uid:4294967296]\n", 0, 1, "invalid uid"},
	{"uid -1", "[uid:4294967295]\n", 0, 1, "invalid uid"},
	{"uid empty", "[uid:]\n", 0, 1, "unknown section"},
	{"gid name", "[gid:staff]\n", 0, 1, "invalid gid"},
	/* Catalogue 23: whole-file failures. */
	{"BOM", "\xef\xbb\xbf[default]\nisolate = yes\n", 0, 1, "byte order mark"},
	{"NUL", BIN("[default]\nisolate = yes\0\nisolate = no\n"), 2, "NUL byte"},
	{"NUL alone", BIN("[default]\n\0\n"), 2, "NUL byte"},
	{"NUL in header", BIN("[user:a\0b]\n"), 1, "NUL byte"},
	{"carriage return", "[default]\r\nisolate = yes\r\n", 0, 1, "carriage return"},
	{"control character", "[default]\nisolate = yes\x0b\n", 0, 2, "control character 0x0b"},
	{"form feed", "[default]\n\f\n", 0, 2, "control character 0x0c"},
	{"DEL", "[default]\nisolate = yes\x7f\n", 0, 2, "control character 0x7f"},
	{"continuation", "[default]\nhostname = a\\\n-b\n", 0, 2, "backslash"},
	{"continuation blank", "[default]\nisolate = no \\  \nisolate = yes\n", 0, 2, "backslash"},
	{"continuation comment", "[default]\n# a comment \\\nisolate = yes\n", 0, 2, "backslash"},
	{"key outside section", "isolate = yes\n[default]\n", 0, 1, "outside a section"},
	{"key outside section after comment", "# policy\n\ntmp = none\n", 0, 3,
		"outside a section"},
	{"unknown key", "[default]\nisolated = yes\n", 0, 2, "unknown key 'isolated'"},
	{"unknown key 2", "[default]\ntmp size = 1G\n", 0, 2, "unknown key 'tmp size'"},
	{"upper-case key", "[default]\nIsolate = yes\n", 0, 2, "key 'Isolate' has upper-case"},
	{"no equals", "[default]\nisolate\n", 0, 2, "expected 'key = value'"},
	{"no key", "[default]\n= yes\n", 0, 2, "missing key"},
	{"lone char at end", "[default]\nisolate = yes\nx", 0, 3, "expected 'key = value'"},
	{"empty value", "[default]\nisolate =\n", 0, 2, "isolate: empty value"},
	{"empty value blank", "[default]\nisolate =   \n", 0, 2, "isolate: empty value"},
	{"empty quoted value", "[default]\nisolate = \"\"\n", 0, 2, "isolate: empty value"},
	{"empty single-quoted value", "[default]\nshm = ''\n", 0, 2, "shm: empty value"},
	{"empty value comment", "[default]\ntmp = ; none\n", 0, 2, "tmp: empty value"},
	{"empty value hash", "[default]\ntmp =# none\n", 0, 2, "tmp: empty value"},
	{"unterminated quote", "[default]\nisolate = \"yes\n", 0, 2, "unterminated quoted value"},
	{"mismatched quotes", "[default]\nisolate = \"yes'\n", 0, 2, "unterminated quoted value"},
	{"text after quote", "[default]\nisolate = \"yes\" no\n", 0, 2, "after the closing quote"},
	/* Values. */
	{"isolate maybe", "[default]\nisolate = maybe\n", 0, 2, "isolate: invalid value 'maybe'"},
	{"isolate Yes", "[default]\nisolate = Yes\n", 0, 2, "isolate: invalid value 'Yes'"},
	{"isolate 2", "[default]\nisolate = 2\n", 0, 2, "isolate: invalid value '2'"},
	{"isolate quoted blank", "[default]\nisolate = \" yes\"\n", 0, 2,
		"isolate: invalid value ' yes'"},
	{"namespaces pid", "[default]\nnamespaces = mount pid\n", 0, 2,
		"'pid' is not supported yet"},
	{"namespaces net", "[default]\nnamespaces = net\n", 0, 2, "'net' is not supported yet"},
	{"namespaces twice", "[default]\nnamespaces = mount ipc mount\n", 0, 2,
		"'mount' is listed twice"},
	{"namespaces unknown", "[default]\nnamespaces = mount cgroup\n", 0, 2,
		"unknown namespace 'cgroup'"},
	{"namespaces comma", "[default]\nnamespaces = mount,ipc\n", 0, 2,
		"unknown namespace 'mount,ipc'"},
	{"namespaces upper", "[default]\nnamespaces = Mount\n", 0, 2, "unknown namespace 'Mount'"},
	{"tmp ramfs", "[default]\ntmp = ramfs\n", 0, 2, "tmp: invalid value 'ramfs'"},
	{"var_tmp yes", "[default]\nvar_tmp = yes\n", 0, 2, "var_tmp: invalid value 'yes'"},
	{"tmp_size 0", "[default]\ntmp_size = 0\n", 0, 2, "tmp_size: out-of-range value '0'"},
	{"tmp_size 0K", "[default]\ntmp_size = 0K\n", 0, 2, "tmp_size: out-of-range value '0K'"},
	{"tmp_size 0%", "[default]\ntmp_size = 0%\n", 0, 2, "tmp_size: out-of-range value '0%'"},
	{"tmp_size 101%", "[default]\ntmp_size = 101%\n", 0, 2,
		"tmp_size: out-of-range value '101%'"},
	{"tmp_size overflow", "[default]\ntmp_size = 17179869184G\n", 0, 2,
		"tmp_size: out-of-range"},
	{"tmp_size hex", "[default]\ntmp_size = 0x10\n", 0, 2, "tmp_size: invalid value '0x10'"},
	{"tmp_size octal", "[default]\ntmp_size = 010M\n", 0, 2, "tmp_size: invalid value '010M'"},
	{"tmp_size negative", "[default]\ntmp_size = -1\n", 0, 2, "tmp_size: invalid value '-1'"},
	{"tmp_size lower", "[default]\ntmp_size = 4g\n", 0, 2, "tmp_size: invalid value '4g'"},
	{"tmp_size T", "[default]\ntmp_size = 1T\n", 0, 2, "tmp_size: invalid value '1T'"},
	{"tmp_size abc", "[default]\ntmp_size = \"abc\"\n", 0, 2, "tmp_size: invalid value 'abc'"},
	{"tmp_inodes 0", "[default]\ntmp_inodes = 0\n", 0, 2, "tmp_inodes: out-of-range value '0'"},
	{"tmp_inodes 1K", "[default]\ntmp_inodes = 1K\n", 0, 2, "tmp_inodes: invalid value '1K'"},
	{"tmp_inodes overflow", "[default]\ntmp_inodes = 18446744073709551616\n", 0, 2,
		"tmp_inodes: out-of-range"},
	{"shm auto", "[default]\nshm = auto\n", 0, 2, "shm: invalid value 'auto'"},
	{"shm_size 0", "[default]\nshm_size = 0\n", 0, 2, "shm_size: out-of-range value '0'"},
	{"shm_size 0%", "[default]\nshm_size = 0%\n", 0, 2, "shm_size: out-of-range value '0%'"},
	{"shm_size 101%", "[default]\nshm_size = 101%\n", 0, 2,
		"shm_size: out-of-range value '101%'"},
	{"shm_size overflow", "[default]\nshm_size = 17179869184G\n", 0, 2,
		"shm_size: out-of-range"},
	{"shm_size lower", "[default]\nshm_size = 4m\n", 0, 2, "shm_size: invalid value '4m'"},
	{"shm_size abc", "[default]\nshm_size = abc\n", 0, 2,
		"shm_size: invalid value 'abc' (expected N, NK, NM or NG bytes, or N% of RAM "
		"from 1% to 100%; not 0)"},
	{"shm_inodes 0", "[default]\nshm_inodes = 0\n", 0, 2, "shm_inodes: out-of-range value '0'"},
	{"shm_inodes 1K", "[default]\nshm_inodes = 1K\n", 0, 2, "shm_inodes: invalid value '1K'"},
	{"hostname escape", "[default]\nhostname = %x-box\n", 0, 2, "unknown escape '%x'"},
	{"hostname lone percent", "[default]\nhostname = box%\n", 0, 2, "'%' at the end"},
	{"hostname underscore", "[default]\nhostname = a_b\n", 0, 2,
		"character '_' is not allowed"},
	{"hostname quoted blank", "[default]\nhostname = \"a b\"\n", 0, 2,
		"character ' ' is not allowed"},
	{"hostname utf-8", "[default]\nhostname = h\xc3\xa9\n", 0, 2, "byte 0xc3 is not allowed"},
	{"share group", "[default]\nshare = group\n", 0, 2, "share: invalid value 'group'"},
	{"userns_map root", "[default]\nuserns_map = root\n", 0, 2,
		"userns_map: invalid value 'root'"},
	{"userns_fallback allow", "[default]\nuserns_fallback = allow\n", 0, 2,
		"userns_fallback: invalid value 'allow'"},
	{"bad value in bad section", "[foo]\nisolate = maybe\n", 0, 2, "isolate: invalid value"},
};

static void test_bad_rows(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ELEMENTSOF(bad_rows); i++) {
		const struct bad_row *row = &bad_rows[i];

		write_bytes(f->main, row->text, row->len ? row->len : strlen(row->text), 0644);
		expect_refused(
			f->main, false, -EINVAL, f->main, row->line, row->fragment, row->name);
	}

	/* A hostname template of PNS_HOSTNAME_TEMPLATE_MAX bytes is fine, one more is not. */
	for (size_t len = PNS_HOSTNAME_TEMPLATE_MAX; len <= PNS_HOSTNAME_TEMPLATE_MAX + 1; len++) {
		char text[PNS_HOSTNAME_TEMPLATE_MAX + 64];
		int n = snprintf(text, sizeof(text), "[default]\nhostname = ");

		memset(text + n, 'h', len);
		text[n + (int)len] = '\n';
		write_bytes(f->main, text, (size_t)n + len + 1, 0644);
		if (len == PNS_HOSTNAME_TEMPLATE_MAX) {
			struct pns_policy *p = expect_loaded(f->main, false, "longest hostname");
			struct pns_settings s;

			assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
			assert_int_equal(strlen(s.hostname), PNS_HOSTNAME_TEMPLATE_MAX);
			pns_policy_free(p);
		} else
			expect_refused(f->main, false, -EINVAL, f->main, 2, "longer than 255 bytes",
				"hostname too long");
	}
}

/* Line-length limit: iniparser 4.1 takes 1022 bytes and a newline, and fails beyond. */
static void test_line_length(void **state)
{
	struct fixture *f = *state;
	char text[2100];
	struct pns_policy *p;
	int n;

	for (int len = 1020; len <= 1030; len++) {
		bool ok = len <= 1022;

		for (int final_newline = 0; final_newline <= 1; final_newline++) {
			/* "# xxxx": a comment line of exactly len bytes (without the newline). */
			n = snprintf(text, sizeof(text), "[default]\nisolate = yes\n# ");
			memset(text + n, 'x', (size_t)len - 2);
			n += len - 2;
			if (final_newline)
				text[n++] = '\n';
			write_bytes(f->main, text, (size_t)n, 0644);
			if (ok) {
				p = expect_loaded(f->main, false, "long line");
				pns_policy_free(p);
			} else
				expect_refused(f->main, false, -EINVAL, f->main, 3,
					"longer than 1022 bytes", "long line");
		}
	}

	/* The 1024-byte value line of the brief. */
	n = snprintf(text, sizeof(text), "[default]\nhostname = ");
	memset(text + n, 'a', 1024 - (size_t)n + 10);
	n = 1024 + 10;
	text[n++] = '\n';
	write_bytes(f->main, text, (size_t)n, 0644);
	expect_refused(f->main, false, -EINVAL, f->main, 2, "longer than", "1024-byte line");
}

/* Every problem is reported, not only the first, with its own line. */
static void test_many_problems(void **state)
{
	struct fixture *f = *state;
	struct pns_diag_list d = {};
	struct pns_policy *p = UNTOUCHED;
	char *text = NULL;
	size_t size = 0;
	FILE *m;

	write_text(f->main, "[default]\n"
			    "isolate = maybe\n"
			    "[Bob]\n"
			    "tmp_size = 0\n"
			    "[user:a]\n"
			    "[user:a]\n");
	assert_int_equal(pns_policy_load(f->main, false, &p, &d), -EINVAL);
	assert_ptr_equal(p, UNTOUCHED);
	assert_true(has_diag(&d, f->main, 2, "isolate"));
	assert_true(has_diag(&d, f->main, 3, "upper-case"));
	assert_true(has_diag(&d, f->main, 4, "tmp_size"));
	assert_true(has_diag(&d, f->main, 6, "duplicate section"));
	assert_int_equal(d.n, 4);
	pns_diag_list_clear(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.items);

	/* A file of nothing but errors: capped, with a last word saying so. */
	m = open_memstream(&text, &size);
	assert_non_null(m);
	fputs("[default]\n", m);
	for (int i = 0; i < 500; i++)
		fputs("isolate = maybe\n", m);
	fclose(m);
	write_text(f->main, text);
	free(text);
	assert_int_equal(pns_policy_load(f->main, false, &p, &d), -EINVAL);
	assert_ptr_equal(p, UNTOUCHED);
	assert_true(d.n > 10 && d.n <= 101);
	assert_true(has_diag(&d, f->main, -1, "too many errors"));
	pns_diag_list_clear(&d);
}

/* ---- values as iniparser reads them --------------------------------------- */

struct good_row {
	const char *text; /* after "[default]\n" */
	enum pns_key key;
	const char *formatted;
};

static const struct good_row good_rows[] = {
	{"isolate = yes\n", PNS_KEY_ISOLATE, "yes"},
	{"isolate = \"yes\"\n", PNS_KEY_ISOLATE, "yes"},
	{"isolate = 'on' ; comment\n", PNS_KEY_ISOLATE, "yes"},
	{"isolate=1#comment\n", PNS_KEY_ISOLATE, "yes"},
	{"  isolate   =   true   \n", PNS_KEY_ISOLATE, "yes"},
	{"\tisolate\t=\tfalse\t; tabs\n", PNS_KEY_ISOLATE, "no"},
	{"isolate = off", PNS_KEY_ISOLATE, "no"},		 /* no final newline */
	{"isolate = 0 \"ignored\"; x\n", PNS_KEY_ISOLATE, NULL}, /* not a bool: see below */
	{"namespaces = mount\tipc  user\n", PNS_KEY_NAMESPACES, "mount ipc user"},
	{"namespaces = user uts ipc mount\n", PNS_KEY_NAMESPACES, "mount ipc uts user"},
	{"namespaces = uts\n", PNS_KEY_NAMESPACES, "uts"},
	{"tmp = dir\n", PNS_KEY_TMP, "dir"},
	{"tmp = none\n", PNS_KEY_TMP, "none"},
	{"tmp_size = 4G\n", PNS_KEY_TMP_SIZE, "4G"},
	{"tmp_size = 4096M\n", PNS_KEY_TMP_SIZE, "4G"},
	{"tmp_size = 1536K\n", PNS_KEY_TMP_SIZE, "1536K"},
	{"tmp_size = 1048576\n", PNS_KEY_TMP_SIZE, "1M"},
	{"tmp_size = 1000\n", PNS_KEY_TMP_SIZE, "1000"},
	{"tmp_size = 100%\n", PNS_KEY_TMP_SIZE, "100%"},
	{"tmp_size = \"50%\" # half\n", PNS_KEY_TMP_SIZE, "50%"},
	{"tmp_inodes = 100000\n", PNS_KEY_TMP_INODES, "100000"},
	{"var_tmp = tmpfs\n", PNS_KEY_VAR_TMP, "tmpfs"},
	{"shm = shared\n", PNS_KEY_SHM, "shared"},
	{"shm = private\n", PNS_KEY_SHM, "private"},
	{"shm_size = 64M\n", PNS_KEY_SHM_SIZE, "64M"},
	{"shm_size = 1048576\n", PNS_KEY_SHM_SIZE, "1M"},
	{"shm_size = 5%\n", PNS_KEY_SHM_SIZE, "5%"},
	{"shm_inodes = 4096\n", PNS_KEY_SHM_INODES, "4096"},
	{"hostname = %u-box.%h\n", PNS_KEY_HOSTNAME, "%u-box.%h"},
	{"hostname = \"%U%%\"\n", PNS_KEY_HOSTNAME, "%U%%"},
	{"share = session\n", PNS_KEY_SHARE, "session"},
	{"userns_map = subid\n", PNS_KEY_USERNS_MAP, "subid"},
	{"userns_fallback = skip\n", PNS_KEY_USERNS_FALLBACK, "skip"},
	{"# comment\n; other comment\n   # indented\n\n\t\nisolate = yes\n", PNS_KEY_ISOLATE,
		"yes"},
	{"# caf\xc3\xa9 \xe2\x80\x94 UTF-8 in comments is fine\nisolate = yes\n", PNS_KEY_ISOLATE,
		"yes"},
};

static void test_good_rows(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ELEMENTSOF(good_rows); i++) {
		const struct good_row *row = &good_rows[i];
		struct pns_settings s;
		struct pns_policy *p;
		char *text;

		if (asprintf(&text, "[default]\n%s", row->text) < 0)
			fail_msg("out of memory");
		write_text(f->main, text);
		free(text);
		if (!row->formatted) {
			expect_refused(f->main, false, -EINVAL, f->main, 2, "", row->text);
			continue;
		}
		p = expect_loaded(f->main, false, row->text);
		assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
		assert_value(&s, row->key, row->formatted);
		if (!s.origin[row->key].file)
			fail_msg("row %zu: %s not from the file", i, pns_key_name(row->key));
		pns_policy_free(p);
	}
}

/* tmp_size no longer sizes /dev/shm: setting only tmp_size leaves shm_size
 * at its own built-in (issue 11, finding 7), and each resolves apart. */
static void test_shm_size_apart(void **state)
{
	struct fixture *f = *state;
	struct pns_settings s;
	struct pns_policy *p;

	write_text(f->main, "[default]\n"
			    "tmp_size = 1M\n"
			    "tmp_inodes = 100\n"
			    "[user:nobody-special]\n"
			    "shm_size = 2M\n"
			    "shm_inodes = 50\n");
	p = expect_loaded(f->main, false, "tmp_size and shm_size");
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "1M");
	assert_value(&s, PNS_KEY_TMP_INODES, "100");
	assert_value(&s, PNS_KEY_SHM_SIZE, "2M");
	assert_origin(&s, PNS_KEY_SHM_SIZE, f->main, 5);
	assert_value(&s, PNS_KEY_SHM_INODES, "50");
	pns_policy_free(p);

	write_text(f->main, "[default]\ntmp_size = 1M\ntmp_inodes = 100\n");
	p = expect_loaded(f->main, false, "tmp_size alone");
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "1M");
	assert_value(&s, PNS_KEY_SHM_SIZE, "10%");
	assert_origin(&s, PNS_KEY_SHM_SIZE, NULL, 0);
	assert_value(&s, PNS_KEY_SHM_INODES, "kernel default");
	pns_policy_free(p);
}

/* ---- precedence --------------------------------------------------------- */

static const char prec_main[] = "[default]\n"		  /* 1 */
				"isolate = yes\n"	  /* 2 */
				"tmp_size = 10%\n"	  /* 3 */
				"hostname = def\n"	  /* 4 */
				"[group:staff]\n"	  /* 5 */
				"tmp_size = 20%\n"	  /* 6 */
				"shm = shared\n"	  /* 7 */
				"[gid:500]\n"		  /* 8 */
				"tmp_size = 30%\n"	  /* 9 */
				"[user:alice]\n"	  /* 10 */
				"hostname = alice-main\n" /* 11 */
				"[uid:1234]\n"		  /* 12 */
				"isolate = no\n"	  /* 13 */
				"[user:eve]\n"		  /* 14 */
				"tmp = dir\n"		  /* 15 */
				"[uid:77]\n"		  /* 16 */
				"tmp = none\n"		  /* 17 */
				"[user:alice]\n";	  /* 18: duplicate! replaced below */

static void write_precedence(struct fixture *f, char **ret_d, char **ret_a, char **ret_b)
{
	char *d = path_in(f->dir, "pam_ns.conf.d");
	char *a, *b, *x;

	/* Without the trailing duplicate of line 18. */
	write_bytes(f->main, prec_main, strlen(prec_main) - strlen("[user:alice]\n"), 0644);
	mkdir_or_fail(d, 0755);
	a = path_in(d, "10-a.conf");
	write_text(a, "[group:staff]\n"	    /* 1 */
		      "tmp_size = 40%\n"    /* 2 */
		      "[default]\n"	    /* 3 */
		      "share = session\n"   /* 4 */
		      "[uid:77]\n"	    /* 5 */
		      "var_tmp = dir\n"	    /* 6 */
		      "[user:eve]\n"	    /* 7 */
		      "var_tmp = tmpfs\n"); /* 8 */
	b = path_in(d, "20-b.conf");
	write_text(b, "[gid:600]\n"	      /* 1 */
		      "tmp_size = 50%\n"      /* 2 */
		      "[group:students]\n"    /* 3 */
		      "hostname = grp-host\n" /* 4 */
		      "isolate = no\n"	      /* 5 */
		      "[default]\n"	      /* 6 */
		      "isolate = yes\n");     /* 7 */
	/* Not *.conf, or hidden: ignored (they would be errors, or change results). */
	x = path_in(d, "30-c.conf.disabled");
	write_text(x, "[default]\nisolate = no\n");
	free(x);
	x = path_in(d, ".99-hidden.conf");
	write_text(x, "[default]\nisolate = no\n");
	free(x);
	x = path_in(d, "README");
	write_text(x, "This is not a policy file.\n");
	free(x);
	x = path_in(d, "15-old.conf~");
	write_text(x, "[default\n");
	free(x);
	*ret_d = d;
	*ret_a = a;
	*ret_b = b;
}

static void test_precedence(void **state)
{
	struct fixture *f = *state;
	static const gid_t users_g[] = {100};
	static const char *const users_n[] = {"users"};
	static const gid_t staff_g[] = {100, 500};
	static const char *const staff_n[] = {"users", "staff"};
	static const gid_t staff_only_name_g[] = {501};
	static const char *const staff_only_name_n[] = {"staff"};
	static const gid_t both_g[] = {500, 600};
	static const char *const both_n[] = {"staff", NULL};
	static const gid_t students_g[] = {700};
	static const char *const students_n[] = {"students"};
	struct pns_identity id;
	struct pns_settings s;
	struct pns_policy *p;
	char *d, *a, *b;

	write_precedence(f, &d, &a, &b);
	p = expect_loaded(f->main, false, "precedence");
	assert_int_equal(pns_policy_n_files(p), 3);
	assert_string_equal(pns_policy_file(p, 0), f->main);
	assert_string_equal(pns_policy_file(p, 1), a);
	assert_string_equal(pns_policy_file(p, 2), b);

	/* bob: only [default]s; the later drop-in's [default] wins per key. */
	id = ident("bob", 1000, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, b, 7);
	assert_value(&s, PNS_KEY_TMP_SIZE, "10%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 3);
	assert_value(&s, PNS_KEY_HOSTNAME, "def");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 4);
	assert_value(&s, PNS_KEY_SHARE, "session");
	assert_origin(&s, PNS_KEY_SHARE, a, 4);
	assert_value(&s, PNS_KEY_SHM, "private"); /* built-in auto, ipc and mount isolated */
	assert_origin(&s, PNS_KEY_SHM, NULL, 0);
	assert_value(&s, PNS_KEY_USERNS_FALLBACK, "deny");
	assert_origin(&s, PNS_KEY_USERNS_FALLBACK, NULL, 0);

	/* carol in staff by name and gid: the last group section is 10-a's [group:staff]. */
	id = ident("carol", 1001, 100, staff_g, staff_n, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "40%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, a, 2);
	assert_value(&s, PNS_KEY_SHM, "shared");
	assert_origin(&s, PNS_KEY_SHM, f->main, 7);

	/* Group by name only (another gid): [group:staff] but not [gid:500]. */
	id = ident("frank", 1002, 501, staff_only_name_g, staff_only_name_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_origin(&s, PNS_KEY_TMP_SIZE, a, 2);

	/* By gid only (a gid whose name NSS does not know): [gid:500], then [gid:600] last. */
	id = ident("dave", 1003, 500, both_g, both_n, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "50%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, b, 2);
	/* The primary gid alone matches [gid:N] too, even when groups[] is empty. */
	id = ident("gina", 1004, 500, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "30%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 9);

	/* alice, a student: [user:alice] beats [group:students] even from a later drop-in. */
	id = ident("alice", 1005, 700, students_g, students_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_HOSTNAME, "alice-main");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 11);
	/* ... while the group's isolate = no beats every [default]. */
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, b, 5);

	/* "Alice" is not alice: only [uid:N] can match her. */
	id = ident("Alice", 1006, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_HOSTNAME, "def");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 4);
	id = ident("Alice", 1234, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 13);

	/* Names that can never be in a header match nothing. */
	id = ident("bob:isolate", 1000, 100, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_origin(&s, PNS_KEY_ISOLATE, b, 7);

	/* eve has uid 77: user and uid sections are one tier, the one appearing last wins. */
	id = ident("eve", 77, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP, "none");
	assert_origin(&s, PNS_KEY_TMP, f->main, 17);
	assert_value(&s, PNS_KEY_VAR_TMP, "tmpfs");
	assert_origin(&s, PNS_KEY_VAR_TMP, a, 8);
	/* Someone else with uid 77 gets the uid sections only. */
	id = ident("mallory", 77, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_VAR_TMP, "dir");
	assert_origin(&s, PNS_KEY_VAR_TMP, a, 6);
	assert_value(&s, PNS_KEY_TMP, "none");
	pns_policy_free(p);

	/* Duplicates are per file: the same section in two files is fine, twice in one is not. */
	write_text(f->main, prec_main);
	expect_refused(f->main, false, -EINVAL, f->main, 18,
		"duplicate section [user:alice] (first at line 10)", "duplicate across lines");

	free(d);
	free(a);
	free(b);
}

static void test_resolve_edges(void **state)
{
	struct fixture *f = *state;
	struct pns_settings s, builtin;
	struct pns_identity id;
	struct pns_policy *p;
	char name[301];

	write_text(f->main, "[default]\nisolate = yes\n[user:x]\nisolate = no\n");
	p = expect_loaded(f->main, false, "edges");

	/* A 300-byte name, a NULL name, no groups: no crash, [default] applies. */
	memset(name, 'x', 300);
	name[300] = '\0';
	id = ident(name, 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	id = ident(NULL, 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	id = ident("x", 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_false(s.isolate);

	/* No policy, or no identity: an error, never the built-in settings; *ret untouched. */
	pns_settings_builtin(&builtin);
	s = builtin;
	s.isolate = true;
	assert_int_equal(pns_policy_resolve(NULL, &id, &s), -EINVAL);
	assert_int_equal(pns_policy_resolve(p, NULL, &s), -EINVAL);
	assert_int_equal(pns_policy_resolve(p, &id, NULL), -EINVAL);
	builtin.isolate = true;
	assert_memory_equal(&s, &builtin, sizeof(s));
	pns_policy_free(p);
	pns_policy_free(NULL);
}

/* An empty file is a deliberate, valid policy: the built-in settings (isolate = no). */
static void test_empty_file(void **state)
{
	struct fixture *f = *state;
	struct pns_settings s;
	struct pns_policy *p;

	write_text(f->main, "");
	p = expect_loaded(f->main, false, "empty");
	assert_int_equal(pns_policy_n_sections(p), 0);
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, NULL, 0);
	pns_policy_free(p);
}

/* Thousands of sections: the index grows, duplicates are still found. */
static void test_many_sections(void **state)
{
	struct fixture *f = *state;
	char *text = NULL, *drop, *dir;
	struct pns_identity id;
	struct pns_settings s;
	struct pns_policy *p;
	size_t size = 0;
	char name[32];
	FILE *m;

	m = open_memstream(&text, &size);
	assert_non_null(m);
	fputs("[default]\nisolate = no\n", m);
	for (int i = 0; i < 5000; i++)
		fprintf(m,
			"[user:u%d]\nisolate = yes\n[uid:%d]\ntmp_inodes = "
			"%d\n[group:g%d]\n[gid:%d]\n",
			i, 10000 + i, i + 1, i, 20000 + i);
	fclose(m);
	write_text(f->main, text);
	free(text);
	dir = path_in(f->dir, "pam_ns.conf.d");
	mkdir_or_fail(dir, 0755);
	drop = path_in(dir, "x.conf");
	write_text(drop, "[user:u4999]\nhostname = last\n");

	p = expect_loaded(f->main, false, "many sections");
	assert_int_equal(pns_policy_n_sections(p), 1 + 4 * 5000 + 1);
	snprintf(name, sizeof(name), "u%d", 4321);
	id = ident(name, 10000 + 17, 0, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	assert_int_equal(s.tmp_inodes, 18);
	id = ident("u4999", 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_string_equal(s.hostname, "last");
	assert_origin(&s, PNS_KEY_HOSTNAME, drop, 2);
	pns_policy_free(p);

	/* The same section twice in the drop-in, thousands of sections apart in the main file. */
	write_text(drop, "[user:u1]\n[gid:20001]\n[user:u1]\n");
	expect_refused(f->main, false, -EINVAL, drop, 3,
		"duplicate section [user:u1] (first at line 1)", "duplicate in drop-in");
	free(drop);
	free(dir);
}

/* ---- files that are not what they should be -------------------------------- */

static void on_alarm(int sig)
{
	static const char msg[] = "test-policy: pns_policy_load() blocked\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_file_types(void **state)
{
	struct fixture *f = *state;
	char *real = path_in(f->dir, "real.conf");
	char *d = path_in(f->dir, "pam_ns.conf.d");
	char *x;
	double t0;

	write_text(real, "[default]\nisolate = yes\n");

	/* Missing: an error, never an empty policy. */
	expect_refused(f->main, false, -EINVAL, f->main, 0, "no such file", "missing file");
	x = path_in(f->dir, "nodir/pam_ns.conf");
	expect_refused(x, false, -EINVAL, x, 0, "no such file", "missing directory");
	free(x);
	expect_refused(
		f->dir, false, -EINVAL, f->dir, 0, "is a directory", "directory as the file");

	/* A symlink, even to a good file. */
	assert_int_equal(symlink(real, f->main), 0);
	expect_refused(f->main, false, -EINVAL, f->main, 0, "is a symbolic link", "symlink");
	unlink(f->main);

	/* A directory reads as an empty dictionary to iniparser. */
	mkdir_or_fail(f->main, 0755);
	expect_refused(f->main, false, -EINVAL, f->main, 0, "is a directory", "directory");
	rmdir(f->main);

	/* A FIFO would block fopen(): refused at once. */
	assert_int_equal(mkfifo(f->main, 0644), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	t0 = now();
	expect_refused(f->main, false, -EINVAL, f->main, 0, "is a FIFO", "FIFO");
	alarm(0);
	assert_true(now() - t0 < 2.0);
	unlink(f->main);

	/* A device. */
	expect_refused(
		"/dev/null", false, -EINVAL, "/dev/null", 0, "is a character device", "device");

	/* Over the size cap (sparse, so cheap). */
	{
		int fd = open(f->main, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
		close(fd);
		expect_refused(f->main, false, -EINVAL, f->main, 0, "larger than 4 MiB", "too big");
		unlink(f->main);
	}

	/* Drop-ins: the .d directory must be a directory, each *.conf a regular file. */
	write_text(f->main, "[default]\nisolate = yes\n");
	write_text(d, "not a directory\n");
	expect_refused(f->main, false, -EINVAL, d, 0, "not a directory", "pam_ns.conf.d is a file");
	unlink(d);
	assert_int_equal(symlink(f->dir, d), 0);
	expect_refused(
		f->main, false, -EINVAL, d, 0, "is a symbolic link", "pam_ns.conf.d is a symlink");
	unlink(d);
	mkdir_or_fail(d, 0755);

	x = path_in(d, "a.conf");
	mkdir_or_fail(x, 0755);
	expect_refused(f->main, false, -EINVAL, x, 0, "is a directory", "drop-in directory");
	rmdir(x);
	assert_int_equal(mkfifo(x, 0644), 0);
	alarm(10);
	expect_refused(f->main, false, -EINVAL, x, 0, "is a FIFO", "drop-in FIFO");
	alarm(0);
	unlink(x);
	assert_int_equal(symlink(real, x), 0);
	expect_refused(f->main, false, -EINVAL, x, 0, "is a symbolic link", "drop-in symlink");
	unlink(x);
	/* A bad drop-in also names its own line. */
	write_text(x, "[default]\n\nisolate = perhaps\n");
	expect_refused(f->main, false, -EINVAL, x, 3, "isolate: invalid value", "bad drop-in");
	/* A drop-in cannot continue the previous file's section. */
	write_text(x, "tmp = none\n");
	expect_refused(
		f->main, false, -EINVAL, x, 1, "outside a section", "drop-in without section");
	unlink(x);
	free(x);

	/* Problems in the main file and in drop-ins are all reported. */
	write_text(f->main, "[default]\nisolate = perhaps\n");
	x = path_in(d, "b.conf");
	write_text(x, "[Default]\n");
	expect_refused(f->main, false, -EINVAL, x, 1, "upper-case", "both bad (drop-in)");
	expect_refused(f->main, false, -EINVAL, f->main, 2, "isolate", "both bad (main)");
	unlink(x);
	free(x);

	/* The main file missing, drop-ins present: still an error. */
	unlink(f->main);
	x = path_in(d, "b.conf");
	write_text(x, "[default]\nisolate = yes\n");
	expect_refused(f->main, false, -EINVAL, f->main, 0, "no such file",
		"main missing, drop-in present");
	unlink(x);
	free(x);

	free(real);
	free(d);
}

/* ---- ownership and modes (require_root_owned) --------------------------- */

/* Give the file a non-root owner: 65534 when we are root, ourselves otherwise. */
static bool make_not_root_owned(const char *path, unsigned *ret_uid)
{
	int fd, r;

	if (geteuid() != 0) {
		*ret_uid = (unsigned)geteuid();
		return true;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = fchown(fd, 65534, 65534);
	close(fd);
	if (r < 0) {
		/* Root of a user namespace (unshare -r) where 65534 is not mapped. */
		print_message("cannot chown to 65534 (%s): not-root-owned cases skipped\n",
			strerror(errno));
		return false;
	}
	*ret_uid = 65534;
	return true;
}

static void test_ownership(void **state)
{
	struct fixture *f = *state;
	char uid_msg[64];
	char *sub, *file, *link, *linked;
	unsigned uid;

	/* mkdtemp() made the directory 0700; /tmp above it is 1777 and is reported too. */
	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
	expect_refused(f->main, true, -EINVAL, "/tmp", 0,
		"directory is writable by group or others (mode 1777)", "sticky /tmp");

	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0666);
	expect_refused(f->main, true, -EINVAL, f->main, 0,
		"file is writable by group or others (mode 0666)", "world-writable file");
	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0664);
	expect_refused(f->main, true, -EINVAL, f->main, 0,
		"file is writable by group or others (mode 0664)", "group-writable file");

	/* The directory itself writable by others. */
	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
	assert_int_equal(chmod(f->dir, 0777), 0);
	expect_refused(f->main, true, -EINVAL, f->dir, 0,
		"directory is writable by group or others (mode 0777)", "world-writable directory");
	assert_int_equal(chmod(f->dir, 0755), 0);

	/* A file owned by someone else, as the main file and as a drop-in. */
	sub = path_in(f->dir, "pam_ns.conf.d");
	file = path_in(sub, "a.conf");
	if (make_not_root_owned(f->main, &uid)) {
		snprintf(uid_msg, sizeof(uid_msg), "file is owned by uid %u, not root", uid);
		expect_refused(f->main, true, -EINVAL, f->main, 0, uid_msg, "not owned by root");
		write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
		mkdir_or_fail(sub, 0755);
		write_bytes(file, "[default]\nisolate = yes\n", 24, 0644);
		assert_true(make_not_root_owned(file, &uid));
		expect_refused(
			f->main, true, -EINVAL, file, 0, uid_msg, "drop-in not owned by root");
		unlink(file);
	} else {
		write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
		mkdir_or_fail(sub, 0755);
	}
	write_bytes(file, "[default]\nisolate = yes\n", 24, 0646);
	expect_refused(f->main, true, -EINVAL, file, 0, "(mode 0646)", "world-writable drop-in");
	unlink(file);
	assert_int_equal(chmod(sub, 0775), 0);
	expect_refused(f->main, true, -EINVAL, sub, 0,
		"directory is writable by group or others (mode 0775)",
		"group-writable drop-in directory");
	rmdir(sub);

	/* A symlink on the way: walked from "/" without following it. */
	sub = (free(sub), path_in(f->dir, "real"));
	mkdir_or_fail(sub, 0755);
	free(file);
	file = path_in(sub, "pam_ns.conf");
	write_bytes(file, "[default]\nisolate = yes\n", 24, 0644);
	link = path_in(f->dir, "link");
	assert_int_equal(symlink(sub, link), 0);
	linked = path_in(link, "pam_ns.conf");
	expect_refused(linked, true, -EINVAL, link, 0, "is a symbolic link", "symlinked directory");
	/* Without the ownership checks a symlinked *directory* is followed (tests and --config). */
	pns_policy_free(expect_loaded(linked, false, "symlinked directory, no checks"));

	/* A relative path is checked from "/" through the working directory. */
	assert_int_equal(chdir(f->dir), 0);
	expect_refused("pam_ns.conf", true, -EINVAL, "/tmp", 0,
		"directory is writable by group or others (mode 1777)", "relative");
	expect_refused("real/pam_ns.conf", true, -EINVAL, "/tmp", 0,
		"directory is writable by group or others (mode 1777)",
		"relative in a subdirectory");
	assert_int_equal(chdir("/"), 0);
	/* Dot components are refused when the checks are on. */
	free(linked);
	linked = path_in(f->dir, "real/../real/pam_ns.conf");
	expect_refused(linked, true, -EINVAL, linked, 0, "'.' or '..'", "dot-dot");

	free(linked);
	free(link);
	free(file);
	free(sub);
}

/* As root, a policy in root-owned directories passes the checks (under /run: /tmp is 1777). */
static void test_root_owned_ok(void **state)
{
	char dir[] = "/run/pns-test-policy-XXXXXX";
	char *file, *d, *drop;
	struct pns_policy *p;

	if (geteuid() != 0 || !mkdtemp(dir)) {
		skip();
		return;
	}
	if (chmod(dir, 0755) < 0)
		fail_msg("chmod");
	file = path_in(dir, "pam_ns.conf");
	write_bytes(file, "[default]\nisolate = yes\n", 24, 0644);
	d = path_in(dir, "pam_ns.conf.d");
	mkdir_or_fail(d, 0755);
	drop = path_in(d, "a.conf");
	write_bytes(drop, "[user:a]\nisolate = no\n", 22, 0600);
	p = expect_loaded(file, true, "root-owned");
	assert_int_equal(pns_policy_n_files(p), 2);
	pns_policy_free(p);
	/* The same, relative to the working directory. */
	assert_int_equal(chdir(dir), 0);
	p = expect_loaded("pam_ns.conf", true, "root-owned, relative");
	assert_string_equal(pns_policy_file(p, 0), "pam_ns.conf");
	assert_string_equal(pns_policy_file(p, 1), "pam_ns.conf.d/a.conf");
	pns_policy_free(p);
	assert_int_equal(chdir("/"), 0);
	unlink(drop);
	rmdir(d);
	unlink(file);
	rmdir(dir);
	free(drop);
	free(d);
	free(file);
}

/* ---- a lying iniparser: the cross-check must notice -------------------- */

enum ini_lie {
	INI_TRUTH,
	INI_NULL,	    /* iniparser_load() fails (out of memory) */
	INI_OTHER_VALUE,    /* a value read differently */
	INI_EXTRA_SECTION,  /* one section more */
	INI_RENAMED_KEY,    /* same counts, a key under another name */
	INI_KEY_AS_SECTION, /* CVE-2023-33461 shape: the key's name holds a section */
	INI_IF_PRESENT,	    /* ini_lie_key is "no" whenever its section was read */
};
static enum ini_lie ini_lie;
static const char *ini_lie_key; /* INI_IF_PRESENT: "section:key" */

/* Interposes the library's iniparser_load(): the executable's symbol wins. */
dictionary *iniparser_load(const char *name);
dictionary *iniparser_load(const char *name)
{
	dictionary *(*real)(const char *) =
		(dictionary * (*)(const char *)) dlsym(RTLD_NEXT, "iniparser_load");
	dictionary *d;

	if (!real)
		fail_msg("dlsym(iniparser_load): %s", dlerror());
	if (ini_lie == INI_NULL)
		return NULL;
	d = real(name);
	if (!d)
		return NULL;
	switch (ini_lie) {
	case INI_OTHER_VALUE:
		iniparser_set(d, "default:isolate", "no");
		break;
	case INI_EXTRA_SECTION:
		iniparser_set(d, "user:mallory", NULL);
		break;
	case INI_RENAMED_KEY:
		iniparser_unset(d, "default:tmp");
		iniparser_set(d, "default:tmp ", "none");
		break;
	case INI_KEY_AS_SECTION:
		iniparser_unset(d, "default:isolate");
		iniparser_set(d, "default:isolate", NULL);
		break;
	case INI_IF_PRESENT: {
		char section[256];

		snprintf(section, sizeof(section), "%.*s",
			(int)(strrchr(ini_lie_key, ':') - ini_lie_key), ini_lie_key);
		if (iniparser_find_entry(d, section))
			iniparser_set(d, ini_lie_key, "no");
		break;
	}
	default:
		break;
	}
	return d;
}

static void test_crosscheck(void **state)
{
	static const struct {
		enum ini_lie lie;
		int r;
		int line;
		const char *fragment;
	} rows[] = {
		{INI_NULL, -EIO, 0, "iniparser failed to read this file"},
		{INI_OTHER_VALUE, -EINVAL, 2,
			"iniparser read this file differently: default:isolate is 'no', not 'yes'"},
		{INI_EXTRA_SECTION, -EINVAL, 0,
			"iniparser read this file differently: 2 sections and 2 keys instead of 1 "
			"and 2"},
		{INI_RENAMED_KEY, -EINVAL, 3,
			"iniparser read this file differently: default:tmp is '(missing)'"},
		{INI_KEY_AS_SECTION, -EINVAL, 0, "iniparser read this file differently"},
	};
	struct fixture *f = *state;
	struct pns_policy *p;

	write_text(f->main, "[default]\nisolate = yes\ntmp = none\n");
	p = expect_loaded(f->main, false, "truthful iniparser");
	pns_policy_free(p);
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		char what[32];

		snprintf(what, sizeof(what), "lie %d", (int)rows[i].lie);
		ini_lie = rows[i].lie;
		expect_refused(
			f->main, false, rows[i].r, f->main, rows[i].line, rows[i].fragment, what);
		ini_lie = INI_TRUTH;
	}
}

/* ---- two phases: scan, then confirm for one account ---------------------- */

static struct pns_policy *expect_scanned(const char *path, const char *what)
{
	return expect_valid(pns_policy_scan, "scan", path, false, what);
}

static void expect_confirmed(struct pns_policy *p, const struct pns_identity *id, const char *what)
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
static void expect_not_confirmed(struct pns_policy *p, const struct pns_identity *id,
	int expected_r, const char *file, int line, const char *fragment, const char *what)
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
static void assert_same_settings(
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

static const gid_t g_users[] = {100};
static const char *const n_users[] = {"users"};
static const gid_t g_staff[] = {100, 500};
static const char *const n_staff[] = {"users", "staff"};
static const gid_t g_staff_name[] = {501};
static const char *const n_staff_name[] = {"staff"};
static const gid_t g_both[] = {500, 600};
static const char *const n_both[] = {"staff", NULL};
static const gid_t g_students[] = {700, 2000};
static const char *const n_students[] = {"students", "lab"};

/* The accounts of test_precedence and the SPEC example, and more. */
static const struct pns_identity two_phase_ids[] = {
	{"bob", 1000, 100, g_users, n_users, 1},
	{"carol", 1001, 100, g_staff, n_staff, 2},
	{"frank", 1002, 501, g_staff_name, n_staff_name, 1},
	{"dave", 1003, 500, g_both, n_both, 2},
	{"gina", 1004, 500, NULL, NULL, 0},
	{"alice", 1005, 700, g_students, n_students, 2},
	{"alice", 1001, 100, g_staff, n_staff, 2},
	{"Alice", 1006, 100, g_users, n_users, 1},
	{"Alice", 1234, 100, g_users, n_users, 1},
	{"bob:isolate", 1000, 100, NULL, NULL, 0},
	{"eve", 77, 100, g_users, n_users, 1},
	{"mallory", 77, 100, g_users, n_users, 1},
	{"zed", 1234, 600, NULL, NULL, 0},
	{"nobody-special", 4242, 4242, NULL, NULL, 0},
	{NULL, 1, 1, NULL, NULL, 0},
};

/* For every identity: load + resolve == scan + confirm(id) + resolve. */
static void check_two_phases(const char *path, const char *what)
{
	struct pns_policy *loaded = expect_loaded(path, false, what), *seq;

	/* One scanned policy confirmed for each identity in turn, and a fresh one each. */
	seq = expect_scanned(path, what);
	for (size_t i = 0; i < ELEMENTSOF(two_phase_ids); i++) {
		const struct pns_identity *id = &two_phase_ids[i];
		struct pns_settings l, s;
		struct pns_policy *p = expect_scanned(path, what);
		char label[128];

		snprintf(label, sizeof(label), "%s, %s (uid %u)", what,
			id->name ? id->name : "(no name)", (unsigned)id->uid);
		assert_int_equal(pns_policy_resolve(loaded, id, &l), 0);
		expect_confirmed(p, id, label);
		assert_int_equal(pns_policy_resolve(p, id, &s), 0);
		assert_same_settings(&s, &l, label);
		pns_policy_free(p);

		expect_confirmed(seq, id, label);
		assert_int_equal(pns_policy_resolve(seq, id, &s), 0);
		assert_same_settings(&s, &l, label);
	}
	pns_policy_free(seq);
	pns_policy_free(loaded);
}

/* What a section's lines look like does not matter: only its sections go to iniparser. */
static const char layout_policy[] = "# pam_ns policy\n"			     /* 1 */
				    "; preamble: only comments and blanks\n" /* 2 */
				    "\n"				     /* 3 */
				    "  [default]\t \n"			     /* 4 */
				    "isolate = yes ; everyone\n"	     /* 5 */
				    "\n"				     /* 6 */
				    "# the lab\n"			     /* 7 */
				    "[group:lab]\n"			     /* 8 */
				    "\thostname = \"%u-lab\"\n"		     /* 9 */
				    "namespaces = 'mount ipc uts user'\n"    /* 10 */
				    "[user:alice]\n"			     /* 11 */
				    "[uid:1234]\n"			     /* 12 */
				    "   isolate=no#exempt\n"		     /* 13 */
				    "[gid:600]\n"			     /* 14 */
				    "tmp = dir\n"			     /* 15 */
				    "[user:carol]\n"			     /* 16 */
				    "tmp_size = 2G";			     /* 17, no newline */

static void test_two_phases_as_load(void **state)
{
	struct fixture *f = *state;
	char *d, *a, *b, *x;
	struct pns_settings s;
	struct pns_policy *p;
	struct pns_identity id;

	write_text(f->main, spec_example);
	check_two_phases(f->main, "spec example");

	write_text(f->main, layout_policy);
	check_two_phases(f->main, "layout");
	/* The last line, without its newline, reaches iniparser as it is. */
	id = ident("carol", 1001, 100, NULL, NULL, 0);
	p = expect_scanned(f->main, "layout");
	expect_confirmed(p, &id, "carol");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "2G");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 17);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 5);
	pns_policy_free(p);
	/* The group section in the middle of the file, and the preamble with [default]. */
	id = ident("lena", 1010, 100, g_students, n_students, 2);
	p = expect_scanned(f->main, "layout");
	expect_confirmed(p, &id, "lena");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_HOSTNAME, "%u-lab");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 9);
	assert_value(&s, PNS_KEY_NAMESPACES, "mount ipc uts user");
	pns_policy_free(p);

	/* Three files, hidden and non-.conf files beside them. */
	write_precedence(f, &d, &a, &b);
	check_two_phases(f->main, "precedence");
	/* A drop-in with no section at all (comments only), and an empty one. */
	x = path_in(d, "50-comments.conf");
	write_text(x, "# nothing here yet\n\n; really\n");
	free(x);
	x = path_in(d, "60-empty.conf");
	write_text(x, "");
	free(x);
	check_two_phases(f->main, "precedence with empty drop-ins");
	free(d);
	free(a);
	free(b);
}

/*
 * The cross-check of a login covers the sections that apply to it. A section
 * that does not apply is not shown to iniparser for that login, but the
 * scanner has validated it completely, and pam_nsctl check (load) shows
 * iniparser every section.
 */
static const char lie_policy[] = "[default]\n"	    /* 1 */
				 "isolate = yes\n"  /* 2 */
				 "[user:mallory]\n" /* 3 */
				 "isolate = yes\n"  /* 4 */
				 "[user:alice]\n"   /* 5 */
				 "tmp = none\n"	    /* 6 */
				 "[user:bob]\n"	    /* 7 */
				 "tmp = dir\n";	    /* 8 */

static void test_two_phases_crosscheck(void **state)
{
	struct fixture *f = *state;
	const struct pns_identity alice = ident("alice", 1001, 100, NULL, NULL, 0);
	const struct pns_identity mallory = ident("mallory", 1002, 100, NULL, NULL, 0);
	const struct pns_identity bob = ident("bob", 1003, 100, NULL, NULL, 0);
	struct pns_settings s;
	struct pns_policy *p;

	write_text(f->main, lie_policy);

	/* iniparser misreads [user:mallory]: load (every section) refuses the policy... */
	ini_lie = INI_IF_PRESENT;
	ini_lie_key = "user:mallory:isolate";
	expect_refused(f->main, false, -EINVAL, f->main, 4,
		"iniparser read this file differently: user:mallory:isolate is 'no', not 'yes'",
		"lie about mallory, load");
	/* ... and so does mallory's login, with the same line... */
	p = expect_scanned(f->main, "lie about mallory");
	expect_not_confirmed(p, &mallory, -EINVAL, f->main, 4,
		"user:mallory:isolate is 'no', not 'yes'", "lie about mallory, mallory");
	/* ... after which the policy is unusable, for anyone. */
	s.isolate = true;
	assert_int_equal(pns_policy_resolve(p, &mallory, &s), -ESTALE);
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);
	assert_true(s.isolate);
	expect_not_confirmed(p, &alice, -ESTALE, f->main, 0, "earlier cross-check",
		"confirm after a failed confirm");
	expect_not_confirmed(p, NULL, -ESTALE, f->main, 0, "earlier cross-check",
		"confirm all after a failed confirm");
	pns_policy_free(p);
	/* Alice's login does not show [user:mallory] to iniparser (documented). */
	p = expect_scanned(f->main, "lie about mallory");
	expect_confirmed(p, &alice, "lie about mallory, alice");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 2);
	assert_value(&s, PNS_KEY_TMP, "none");
	assert_origin(&s, PNS_KEY_TMP, f->main, 6);
	/* Confirming everything afterwards still finds it. */
	expect_not_confirmed(p, NULL, -EINVAL, f->main, 4, "user:mallory:isolate is 'no'",
		"lie about mallory, confirm all after alice");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);
	pns_policy_free(p);
	ini_lie = INI_TRUTH;

	/* The scanner still validates what does not apply to the account. */
	write_text(f->main, "[default]\nisolate = yes\n[user:mallory]\nisolate = perhaps\n"
			    "[user:alice]\ntmp = none\n");
	{
		struct pns_diag_list d = {};

		p = UNTOUCHED;
		assert_int_equal(pns_policy_scan(f->main, false, &p, &d), -EINVAL);
		assert_ptr_equal(p, UNTOUCHED);
		assert_true(has_diag(&d, f->main, 4, "isolate: invalid value 'perhaps'"));
		pns_diag_list_clear(&d);
	}

	/* [default] applies to everyone: a lie there is caught for every account. */
	write_text(f->main, lie_policy);
	ini_lie = INI_OTHER_VALUE;
	for (const struct pns_identity *const *id =
			(const struct pns_identity *const[]){&alice, &mallory, &bob, NULL};
		*id; id++) {
		p = expect_scanned(f->main, "lie about default");
		expect_not_confirmed(p, *id, -EINVAL, f->main, 2,
			"default:isolate is 'no', not 'yes'", (*id)->name);
		pns_policy_free(p);
	}

	/* An extra section in a batch that is not the whole file: named by its lines. */
	ini_lie = INI_EXTRA_SECTION;
	p = expect_scanned(f->main, "extra section");
	expect_not_confirmed(p, &alice, -EINVAL, f->main, 1,
		"iniparser read this file differently: 3 sections and 2 keys instead of 2 and 2, "
		"in the sections cross-checked together from line 1 to line 6",
		"extra section, alice");
	pns_policy_free(p);

	/* iniparser failing is a system error, as in load. */
	ini_lie = INI_NULL;
	p = expect_scanned(f->main, "iniparser fails");
	expect_not_confirmed(p, &bob, -EIO, f->main, 0, "iniparser failed to read this file",
		"iniparser fails, bob");
	pns_policy_free(p);
	ini_lie = INI_TRUTH;

	/* A file whose sections do not apply is not read by iniparser at all for that login. */
	{
		char *dir = path_in(f->dir, "pam_ns.conf.d"), *drop;

		mkdir_or_fail(dir, 0755);
		drop = path_in(dir, "a.conf");
		write_text(drop, "[user:mallory]\nisolate = yes\n");
		write_text(f->main, "[default]\nisolate = yes\n");
		ini_lie = INI_NULL;
		p = expect_scanned(f->main, "drop-in only for mallory");
		/* alice: only the main file's [default] goes to iniparser, which fails. */
		expect_not_confirmed(p, &alice, -EIO, f->main, 0, "iniparser failed",
			"iniparser fails on the main file");
		pns_policy_free(p);
		write_text(f->main, "# no sections\n");
		p = expect_scanned(f->main, "nothing for alice");
		/* Nothing applies to alice: iniparser is not run. */
		expect_confirmed(p, &alice, "nothing for alice");
		assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
		assert_false(s.isolate);
		assert_origin(&s, PNS_KEY_ISOLATE, NULL, 0);
		expect_not_confirmed(p, &mallory, -EIO, drop, 0, "iniparser failed", "mallory");
		pns_policy_free(p);
		ini_lie = INI_TRUTH;
		unlink(drop);
		rmdir(dir);
		free(drop);
		free(dir);
	}
}

/* Resolving needs a confirm, for that very account. */
static void test_confirm_contract(void **state)
{
	struct fixture *f = *state;
	static const gid_t groups[] = {100, 500};
	static const char *const group_names[] = {"users", "staff"};
	static const char *const other_names[] = {"users", "wheel"};
	static const gid_t other_groups[] = {100, 501};
	const struct pns_identity alice = ident("alice", 1001, 100, groups, group_names, 2);
	struct pns_identity id;
	struct pns_settings s, builtin;
	struct pns_policy *p;
	struct pns_diag_list d = {};
	char *name_copy;
	gid_t groups_copy[2];
	const char *names_copy[2];

	write_text(f->main, "[default]\nisolate = yes\n[user:alice]\nisolate = no\n"
			    "[group:staff]\ntmp = dir\n[user:bob]\ntmp = none\n");
	assert_int_equal(pns_policy_confirm(NULL, &alice, &d), -EINVAL);

	/* Scanned only: nothing resolves, and *ret stays as it was. */
	p = expect_scanned(f->main, "contract");
	pns_settings_builtin(&builtin);
	s = builtin;
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), -ESTALE);
	assert_memory_equal(&s, &builtin, sizeof(s));

	expect_confirmed(p, &alice, "alice");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_false(s.isolate);
	assert_value(&s, PNS_KEY_TMP, "dir");

	/* The same account in other memory: fine. */
	name_copy = strdup("alice");
	assert_non_null(name_copy);
	memcpy(groups_copy, groups, sizeof(groups));
	memcpy(names_copy, group_names, sizeof(group_names));
	id = ident(name_copy, 1001, 100, groups_copy, names_copy, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);

	/* Anything else is another account. */
	s = builtin;
	id.uid = 1002;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.name = "bob";
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id.name = NULL;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.gid = 500;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.n_groups = 1;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.groups = other_groups;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.group_names = other_names;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.group_names = NULL;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	assert_memory_equal(&s, &builtin, sizeof(s));

	/* A later confirm replaces the account. */
	id = ident("bob", 1003, 100, NULL, NULL, 0);
	expect_confirmed(p, &id, "bob");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP, "none");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);

	/* Confirmed for everyone (what load does): any account, also after another confirm. */
	expect_confirmed(p, NULL, "everyone");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	expect_confirmed(p, &id, "bob after everyone");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_false(s.isolate);
	pns_policy_free(p);
	free(name_copy);
}

static void test_has_group_sections(void **state)
{
	static const struct {
		const char *main, *dropin;
		bool expected;
	} rows[] = {
		{"", NULL, false},
		{"[default]\nisolate = yes\n[user:a]\n[uid:5]\nisolate = no\n", NULL, false},
		{"[default]\nisolate = yes\n[group:lab]\n", NULL, true},
		{"[gid:7]\ntmp = dir\n", NULL, true},
		{"[default]\nisolate = yes\n", "[user:b]\n", false},
		{"[default]\nisolate = yes\n", "[group:b]\n", true},
		{"[default]\nisolate = yes\n", "# [group:b]\n", false},
	};
	struct fixture *f = *state;
	char *dir = path_in(f->dir, "pam_ns.conf.d"), *drop = path_in(dir, "a.conf");

	assert_false(pns_policy_has_group_sections(NULL));
	mkdir_or_fail(dir, 0755);
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		struct pns_policy *p;

		write_text(f->main, rows[i].main);
		unlink(drop);
		if (rows[i].dropin)
			write_text(drop, rows[i].dropin);
		/* Known after phase 1, before anyone asks NSS for groups. */
		p = expect_scanned(f->main, rows[i].main);
		if (pns_policy_has_group_sections(p) != rows[i].expected)
			fail_msg("row %zu: has_group_sections = %d", i, !rows[i].expected);
		pns_policy_free(p);
		p = expect_loaded(f->main, false, rows[i].main);
		assert_int_equal(pns_policy_has_group_sections(p), rows[i].expected);
		pns_policy_free(p);
	}
	unlink(drop);
	rmdir(dir);
	free(drop);
	free(dir);
}

/*
 * The size the benchmark uses: 10,000 [user:] sections. Correctness only:
 * bench/ measures the time (a timed unit test fails on a busy machine).
 */
#define BIG_USERS 10000
/* [user:uNNNNN] is on line BIG_LINE(i), its tmp_size on the next. */
#define BIG_LINE(i) (6 + 2 * (i))

static void test_ten_thousand_sections(void **state)
{
	struct fixture *f = *state;
	static const gid_t lab_g[] = {100, 2000};
	static const char *const lab_n[] = {"users", "lab"};
	char *text = NULL, *dir, *drop, name[32], key[64];
	struct pns_settings s, l;
	struct pns_identity id;
	struct pns_policy *p, *loaded;
	size_t size = 0;
	FILE *m;

	m = open_memstream(&text, &size);
	assert_non_null(m);
	fputs("[default]\n"	     /* 1 */
	      "isolate = no\n"	     /* 2 */
	      "[group:lab]\n"	     /* 3 */
	      "isolate = yes\n"	     /* 4 */
	      "hostname = %u-lab\n", /* 5 */
		m);
	for (int i = 0; i < BIG_USERS; i++)
		fprintf(m, "[user:u%05d]\ntmp_size = %d%%\n", i, i % 100 + 1);
	fclose(m);
	write_text(f->main, text);
	free(text);
	dir = path_in(f->dir, "pam_ns.conf.d");
	mkdir_or_fail(dir, 0755);
	drop = path_in(dir, "z.conf");
	write_text(drop, "[user:u09999]\nhostname = last\n");

	loaded = expect_loaded(f->main, false, "10,000 sections");
	assert_int_equal(pns_policy_n_sections(loaded), 2 + BIG_USERS + 1);
	assert_true(pns_policy_has_group_sections(loaded));

	for (int i = 0; i < BIG_USERS; i += i < 10 ? 1 : 997) {
		for (int lab = 0; lab <= 1; lab++) {
			snprintf(name, sizeof(name), "u%05d", i);
			id = ident(name, (uid_t)(20000 + i), 100, lab ? lab_g : NULL,
				lab ? lab_n : NULL, lab ? 2 : 0);
			p = expect_scanned(f->main, name);
			assert_int_equal(pns_policy_n_sections(p), 2 + BIG_USERS + 1);
			expect_confirmed(p, &id, name);
			assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
			snprintf(key, sizeof(key), "%d%%", i % 100 + 1);
			assert_value(&s, PNS_KEY_TMP_SIZE, key);
			assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, (unsigned)BIG_LINE(i) + 1);
			assert_int_equal(s.isolate, lab);
			assert_origin(&s, PNS_KEY_ISOLATE, f->main, lab ? 4 : 2);
			assert_int_equal(pns_policy_resolve(loaded, &id, &l), 0);
			assert_same_settings(&s, &l, name);
			pns_policy_free(p);
		}
	}
	/* The last one, overridden from the drop-in. */
	id = ident("u09999", 29999, 100, lab_g, lab_n, 2);
	p = expect_scanned(f->main, "u09999");
	expect_confirmed(p, &id, "u09999");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_string_equal(s.hostname, "last");
	assert_origin(&s, PNS_KEY_HOSTNAME, drop, 2);
	pns_policy_free(p);
	/* Someone in no section. */
	p = expect_scanned(f->main, "nobody");
	expect_confirmed(p, &nobody_special, "nobody");
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_false(s.isolate);
	assert_value(&s, PNS_KEY_TMP_SIZE, "25%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, NULL, 0);
	pns_policy_free(p);
	pns_policy_free(loaded);

	/* A misread deep in the file: load (in batches) and its account's login find it. */
	ini_lie = INI_IF_PRESENT;
	ini_lie_key = "user:u07777:tmp_size";
	expect_refused(f->main, false, -EINVAL, f->main, BIG_LINE(7777) + 1,
		"user:u07777:tmp_size is 'no', not '78%'", "misread u07777");
	p = expect_scanned(f->main, "misread u07777");
	id = ident("u07777", 27777, 100, NULL, NULL, 0);
	expect_not_confirmed(p, &id, -EINVAL, f->main, BIG_LINE(7777) + 1,
		"user:u07777:tmp_size is 'no', not '78%'", "misread u07777, u07777");
	pns_policy_free(p);
	p = expect_scanned(f->main, "misread u07777");
	id = ident("u07776", 27776, 100, NULL, NULL, 0);
	expect_confirmed(p, &id, "misread u07777, u07776");
	pns_policy_free(p);
	ini_lie = INI_TRUTH;

	/* A duplicate thousands of sections apart in one file. */
	m = fopen(f->main, "ae");
	assert_non_null(m);
	fputs("[user:u00003]\n", m);
	fclose(m);
	expect_refused(f->main, false, -EINVAL, f->main, BIG_LINE(BIG_USERS),
		"duplicate section [user:u00003] (first at line 12)", "duplicate far apart");
	free(drop);
	free(dir);
}

/* ---- out of memory -------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/*
 * In a fresh process (this program run with LOAD_WITH_LIMIT) with RLIMIT_AS
 * just above its size: 0 loaded, 3 failed cleanly, 1 wrong, 2 cannot. Not a
 * forked child: the heap that earlier tests left behind would feed the
 * loader without new address space, and the limit would never bite.
 */
#define LOAD_WITH_LIMIT "--load-with-limit"
/* This program, as readlink() names it (under valgrind: the program, not valgrind). */
static char self_exe[4096];

static int load_with_limit(const char *path, size_t extra)
{
	struct pns_diag_list d = {};
	struct pns_policy *p = UNTOUCHED;
	unsigned long pages = 0;
	struct rlimit rl;
	FILE *statm;
	int r;

	statm = fopen("/proc/self/statm", "re");
	if (!statm || fscanf(statm, "%lu", &pages) != 1)
		return 2;
	fclose(statm);
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + extra;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		return 2;

	r = pns_policy_load(path, false, &p, &d);
	if (r == 0) {
		static const struct pns_identity u = {.name = "u777", .uid = 5, .gid = 5};
		struct pns_settings s;

		/* Whatever succeeds is the whole policy. */
		if (p == UNTOUCHED || !p || pns_policy_n_sections(p) != 2001)
			return 1;
		if (pns_policy_resolve(p, &u, &s) < 0 || !s.isolate || s.tmp_inodes != 778 ||
			!s.origin[PNS_KEY_ISOLATE].file)
			return 1;
		pns_policy_free(p);
		pns_diag_list_clear(&d);
		return 0;
	}
	/* Also when iniparser ran out: 4.1 then drops lines and returns the rest. */
	if (p != UNTOUCHED || r != -ENOMEM)
		return 1;
	pns_diag_list_clear(&d);
	return 3;
}

static void test_out_of_memory(void **state)
{
	struct fixture *f = *state;
	unsigned failed = 0, succeeded = 0;
	char *text = NULL;
	size_t size = 0;
	FILE *m;

#ifdef UNDER_ASAN
	skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be used. */
	return;
#endif
	m = open_memstream(&text, &size);
	assert_non_null(m);
	fputs("[default]\nisolate = no\n", m);
	for (int i = 0; i < 2000; i++)
		fprintf(m, "[user:u%d]\nisolate = yes\ntmp_inodes = %d\nhostname = h%d-%%u\n", i,
			i + 1, i);
	fclose(m);
	write_text(f->main, text);
	free(text);

	/* Raise the limit step by step, so that allocations fail at every stage. */
	for (size_t extra = 0; extra < ((size_t)64 << 20) && succeeded < 8; extra += 16 << 10) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			char arg[32];

			snprintf(arg, sizeof(arg), "%zu", extra);
			execl(self_exe, "test-policy", LOAD_WITH_LIMIT, f->main, arg, (char *)NULL);
			_exit(2);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status))
			fail_msg("load with %zu bytes to spare died with signal %d", extra,
				WTERMSIG(status));
		switch (WEXITSTATUS(status)) {
		case 0:
			succeeded++;
			break;
		case 2:
			skip();
			return;
		case 3:
			failed++;
			break;
		default:
			fail_msg("load with %zu bytes to spare: wrong result", extra);
		}
	}
	print_message(
		"out of memory: %u limits failed cleanly, then %u succeeded\n", failed, succeeded);
	/* The limits must have bitten, and the policy must load once there is room. */
	assert_true(failed > 0);
	assert_true(succeeded > 0);
}

/* ---- settings, formatting and diags ------------------------------------- */

static void test_builtin_and_format(void **state)
{
	static const char *const expected[_PNS_KEY_MAX] = {
		[PNS_KEY_ISOLATE] = "no",
		[PNS_KEY_NAMESPACES] = "mount ipc uts",
		[PNS_KEY_TMP] = "tmpfs",
		[PNS_KEY_TMP_SIZE] = "25%",
		[PNS_KEY_TMP_INODES] = "kernel default",
		[PNS_KEY_VAR_TMP] = "none",
		[PNS_KEY_SHM] = "private",
		[PNS_KEY_SHM_SIZE] = "10%",
		[PNS_KEY_SHM_INODES] = "kernel default",
		[PNS_KEY_HOSTNAME] = "(unchanged)",
		[PNS_KEY_SHARE] = "user",
		[PNS_KEY_USERNS_MAP] = "self",
		[PNS_KEY_USERNS_FALLBACK] = "deny",
	};
	static const char *const names[_PNS_KEY_MAX] = {
		"isolate",
		"namespaces",
		"tmp",
		"tmp_size",
		"tmp_inodes",
		"var_tmp",
		"shm",
		"shm_size",
		"shm_inodes",
		"hostname",
		"share",
		"userns_map",
		"userns_fallback",
	};
	struct pns_settings s;
	char buf[64];

	pns_settings_builtin(&s);
	assert_false(s.isolate);
	assert_int_equal(s.shm, PNS_SHM_AUTO);
	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		assert_string_equal(pns_key_name((enum pns_key)k), names[k]);
		assert_value(&s, (enum pns_key)k, expected[k]);
		assert_origin(&s, (enum pns_key)k, NULL, 0);
	}
	assert_null(pns_key_name(_PNS_KEY_MAX));
	assert_int_equal(pns_settings_format(&s, _PNS_KEY_MAX, buf, sizeof(buf)), -EINVAL);

	/* shm = auto shows what it becomes. */
	s.namespaces = PNS_NS_MOUNT | PNS_NS_UTS;
	assert_value(&s, PNS_KEY_SHM, "shared");
	s.namespaces = PNS_NS_IPC; /* no mount namespace to hold a private /dev/shm */
	assert_value(&s, PNS_KEY_SHM, "shared");
	s.shm = PNS_SHM_PRIVATE;
	assert_value(&s, PNS_KEY_SHM, "private");
	s.namespaces = 0;
	assert_value(&s, PNS_KEY_NAMESPACES, "(none)");

	/* Sizes in the largest exact unit. */
	s.tmp_size = (struct pns_size){UINT64_C(4) << 30, false};
	assert_value(&s, PNS_KEY_TMP_SIZE, "4G");
	s.tmp_size = (struct pns_size){UINT64_C(512) << 20, false};
	assert_value(&s, PNS_KEY_TMP_SIZE, "512M");
	s.tmp_size = (struct pns_size){UINT64_C(1536) << 20, false};
	assert_value(&s, PNS_KEY_TMP_SIZE, "1536M");
	s.tmp_size = (struct pns_size){4097, false};
	assert_value(&s, PNS_KEY_TMP_SIZE, "4097");
	s.tmp_size = (struct pns_size){100, true};
	assert_value(&s, PNS_KEY_TMP_SIZE, "100%");
	s.tmp_inodes = 12345;
	assert_value(&s, PNS_KEY_TMP_INODES, "12345");
	/* Each size key shows its own field. */
	assert_value(&s, PNS_KEY_SHM_SIZE, "10%");
	assert_value(&s, PNS_KEY_SHM_INODES, "kernel default");
	s.shm_size = (struct pns_size){UINT64_C(64) << 20, false};
	s.shm_inodes = 678;
	assert_value(&s, PNS_KEY_SHM_SIZE, "64M");
	assert_value(&s, PNS_KEY_SHM_INODES, "678");
	assert_value(&s, PNS_KEY_TMP_SIZE, "100%");
	assert_value(&s, PNS_KEY_TMP_INODES, "12345");
	strcpy(s.hostname, "%u.example");
	assert_value(&s, PNS_KEY_HOSTNAME, "%u.example");

	/* Too small a buffer: an error, not a truncated value. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(pns_settings_format(&s, PNS_KEY_HOSTNAME, buf, 10), -ENOBUFS);
	assert_int_equal(pns_settings_format(&s, PNS_KEY_HOSTNAME, buf, 11), 0);
	assert_string_equal(buf, "%u.example");
}

static void test_diag_list(void **state)
{
	struct pns_diag_list d = {};

	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(pns_diag_add(&d, i % 2 ? "f" : NULL, i, "problem %u", i), 0);
	assert_int_equal(d.n, 100);
	assert_null(d.items[0].file);
	assert_string_equal(d.items[99].file, "f");
	assert_int_equal(d.items[57].line, 57);
	assert_string_equal(d.items[57].message, "problem 57");
	pns_diag_list_clear(&d);
	assert_int_equal(d.n, 0);
	pns_diag_list_clear(&d);
}

/* The drop-in rule that the loader and pam_nsctl check share. */
static void test_dropin_name(void **state)
{
	assert_true(pns_policy_is_dropin_name("10-site.conf"));
	assert_true(pns_policy_is_dropin_name("x.conf"));
	assert_false(pns_policy_is_dropin_name(".conf"));
	assert_false(pns_policy_is_dropin_name(".hidden.conf"));
	assert_false(pns_policy_is_dropin_name("site.conf~"));
	assert_false(pns_policy_is_dropin_name("site.cnf"));
	assert_false(pns_policy_is_dropin_name("conf"));
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], LOAD_WITH_LIMIT) == 0)
		return load_with_limit(argv[2], (size_t)strtoull(argv[3], NULL, 10));
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0)
		strcpy(self_exe, "/proc/self/exe");

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spec_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_size_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ownership, setup, teardown),
		cmocka_unit_test(test_root_owned_ok),
		cmocka_unit_test_setup_teardown(test_crosscheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_phases_as_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_phases_crosscheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm_contract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_has_group_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ten_thousand_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test(test_builtin_and_format),
		cmocka_unit_test(test_diag_list),
		cmocka_unit_test(test_dropin_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

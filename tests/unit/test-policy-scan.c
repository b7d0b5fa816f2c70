/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy scanner: every hazard of pam_ns.conf(5) and the parser rows of
 * docs/SECURITY.md refused with its line, every problem reported, long
 * lines, empty files and many sections (the index).
 * The fixtures they share: policy-test.h.
 */
#include "tests/unit/policy-test.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_has_group_sections, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

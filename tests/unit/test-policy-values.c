/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Values: what each key accepts, as iniparser reads it too; the built-in
 * settings and their formatting; the diagnostics list.
 * The fixtures they share: policy-test.h.
 */
#include "tests/unit/policy-test.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_size_apart, setup, teardown),
		cmocka_unit_test(test_builtin_and_format),
		cmocka_unit_test(test_diag_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

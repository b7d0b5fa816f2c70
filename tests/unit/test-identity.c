/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/identity.h"

/* root exists on every system, with primary group 0 named by NSS. */
static void test_root(void **state)
{
	_cleanup_(pns_account_freep) struct pns_account *a = NULL;
	bool has_primary = false;

	assert_int_equal(pns_account_lookup("root", true, &a), 0);
	assert_int_equal(a->id.uid, 0);
	assert_string_equal(a->id.name, "root");
	assert_true(a->id.n_groups >= 1);
	for (size_t i = 0; i < a->id.n_groups; i++)
		if (a->id.groups[i] == a->id.gid) {
			has_primary = true;
			assert_non_null(a->id.group_names[i]);
			assert_string_equal(a->id.group_names[i], getgrgid(a->id.gid)->gr_name);
		}
	assert_true(has_primary);
}

/* The groups match what the system reports for the same account. */
static void test_matches_nss(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	_cleanup_(pns_account_freep) struct pns_account *a = NULL;
	gid_t groups[256];
	int n = 256;

	assert_non_null(pw);
	assert_int_equal(pns_account_lookup(pw->pw_name, true, &a), 0);
	assert_int_equal(a->id.uid, pw->pw_uid);
	assert_true(getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0);
	assert_int_equal(a->id.n_groups, (size_t)n);
	for (int i = 0; i < n; i++)
		assert_int_equal(a->id.groups[i], groups[i]);
}

/* Without groups: the passwd entry and the primary gid only. */
static void test_without_groups(void **state)
{
	_cleanup_(pns_account_freep) struct pns_account *a = NULL;

	assert_int_equal(pns_account_lookup("root", false, &a), 0);
	assert_int_equal(a->id.uid, 0);
	assert_int_equal(a->id.n_groups, 1);
	assert_int_equal(a->id.groups[0], a->id.gid);
	assert_null(a->id.group_names[0]);
}

static void test_unknown_and_hostile(void **state)
{
	static const char *const names[] = {
		"pamns-no-such-user-xyz",
		"../../etc",
		"-c",
		"a\nb",
		"x:y",
	};
	struct pns_account *a = (struct pns_account *)0x1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(pns_account_lookup(names[i], true, &a), -ENOENT);
		assert_ptr_equal(a, (struct pns_account *)0x1); /* untouched on failure */
	}
	assert_int_equal(pns_account_lookup("", true, &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_matches_nss),
		cmocka_unit_test(test_without_groups),
		cmocka_unit_test(test_unknown_and_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

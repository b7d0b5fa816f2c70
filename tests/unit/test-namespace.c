/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The namespace table: one row per index, each row consistent with itself
 * and with the kernel's names. */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/namespace.h"

static void test_rows(void **state)
{
	unsigned all = 0;

	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		const struct pns_namespace_info *ns = &pns_namespace_info[i];
		char path[64];
		struct stat st;

		assert_int_equal(ns->bit, PNS_NS_BIT(i));
		assert_non_null(ns->word);
		assert_non_null(ns->proc_name);
		assert_true(ns->clone_flag != 0);
		assert_true(ns->pidfd_ioctl != 0);
		assert_int_equal(all & ns->bit, 0);
		all |= ns->bit;
		/* Every /proc name is one the kernel has. */
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns->proc_name);
		assert_int_equal(lstat(path, &st), 0);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(ns->clone_flag, pns_namespace_info[j].clone_flag);
			assert_string_not_equal(ns->word, pns_namespace_info[j].word);
		}
	}
	assert_int_equal(all, PNS_NS_ALL);
	assert_int_equal(pns_namespace_info[PNS_NSI_MNT].clone_flag, CLONE_NEWNS);
	assert_int_equal(pns_namespace_info[PNS_NSI_USER].clone_flag, CLONE_NEWUSER);
}

static void test_mask_to_string(void **state)
{
	char buf[32];

	assert_string_equal(
		pns_ns_mask_to_string(PNS_NS_ALL, buf, sizeof(buf)), "mount ipc uts user");
	assert_string_equal(pns_ns_mask_to_string(PNS_NS_UTS, buf, sizeof(buf)), "uts");
	assert_string_equal(pns_ns_mask_to_string(0, buf, sizeof(buf)), "");
	assert_string_equal(
		pns_ns_mask_to_string(PNS_NS_UTS | PNS_NS_MOUNT, buf, sizeof(buf)), "mount uts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_mask_to_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

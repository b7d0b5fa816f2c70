/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/idmap.h"

static void check_map(
	const uint32_t *self, size_t n, const struct pns_idrange *sub, const char *expect)
{
	char buf[4096];

	assert_int_equal(pns_idmap_format(self, n, sub, buf, sizeof(buf)), (int)strlen(expect));
	assert_string_equal(buf, expect);
}

static void test_self(void **state)
{
	const uint32_t uid[] = {1000};
	const uint32_t gids[] = {1000, 27, 100, 27}; /* duplicate folded, sorted */

	check_map(uid, 1, NULL, "1000 1000 1\n");
	check_map(gids, 4, NULL, "27 27 1\n100 100 1\n1000 1000 1\n");
}

static void test_subid(void **state)
{
	const uint32_t uid[] = {1000};
	const uint32_t big[] = {70000};
	const uint32_t gids[] = {1000, 27};
	const struct pns_idrange sub = {.start = 100000, .count = 65536};

	/* Inside 0..999 and 1001..65536 onto the range; 1000 stays itself. */
	check_map(uid, 1, &sub,
		"1000 1000 1\n"
		"0 100000 1000\n"
		"1001 101000 64536\n");
	/* The own id is above the range's size: the range fills 0..65535. */
	check_map(big, 1, &sub, "70000 70000 1\n0 100000 65536\n");
	check_map(gids, 2, &sub,
		"27 27 1\n1000 1000 1\n"
		"0 100000 27\n"
		"28 100027 972\n"
		"1001 100999 64537\n");
}

/* Every outside id appears once and every inside id once: the kernel
 * refuses overlapping lines, so check the arithmetic, not just the text. */
static void test_no_overlap(void **state)
{
	const uint32_t gids[] = {5, 6, 9, 4000, 65535};
	const struct pns_idrange sub = {.start = 200000, .count = 70000};
	char buf[4096], *p = buf;
	uint64_t inside_total = 0, outside_next = 200000;
	unsigned a, b, c;
	int n;

	assert_true(pns_idmap_format(gids, 5, &sub, buf, sizeof(buf)) > 0);
	/* Skip the five self lines. */
	for (int i = 0; i < 5; i++)
		p = strchr(p, '\n') + 1;
	while (sscanf(p, "%u %u %u\n%n", &a, &b, &c, &n) == 3) {
		assert_int_equal(b, outside_next); /* consecutive, in order */
		for (int i = 0; i < 5; i++)
			assert_false(gids[i] >= a && gids[i] < a + c); /* never over a self id */
		outside_next += c;
		inside_total += c;
		p += n;
	}
	assert_int_equal(inside_total, 70000);
}

static void test_range_checks(void **state)
{
	const uint32_t self[] = {1000, 27};
	const char *why = NULL;
	static const struct {
		struct pns_idrange r;
		int expect;
	} rows[] = {
		{{100000, 65536}, 0},
		{{0, 65536}, -EINVAL},		  /* contains root */
		{{500, 1000}, -EINVAL},		  /* contains 1000 */
		{{20, 10}, -EINVAL},		  /* contains group 27 */
		{{100000, 0}, -EINVAL},		  /* empty */
		{{UINT32_MAX - 10, 11}, -EINVAL}, /* reaches (uid_t)-1 */
		{{UINT32_MAX - 10, 10}, 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(pns_idrange_check(&rows[i].r, self, 2, &why), rows[i].expect);
		if (rows[i].expect)
			assert_non_null(why);
	}
}

static void test_limits(void **state)
{
	uint32_t many[400];
	char buf[16];

	for (size_t i = 0; i < 400; i++)
		many[i] = (uint32_t)i * 2 + 1;
	assert_int_equal(pns_idmap_format(many, 400, NULL, buf, sizeof(buf)), -E2BIG);
	assert_int_equal(pns_idmap_format(many, 3, NULL, buf, sizeof(buf)), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_subid),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_range_checks),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

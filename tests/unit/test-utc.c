/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's UTC calendar, against libc's gmtime_r(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "common/utc.h"

static void check(int64_t t)
{
	struct pns_utc u;
	struct tm tm;
	time_t tt = (time_t)t;

	assert_non_null(gmtime_r(&tt, &tm));
	pns_utc_from_epoch(t, &u);
	assert_int_equal(u.year, tm.tm_year + 1900);
	assert_int_equal(u.month, tm.tm_mon + 1);
	assert_int_equal(u.day, tm.tm_mday);
	assert_int_equal(u.hour, tm.tm_hour);
	assert_int_equal(u.minute, tm.tm_min);
	assert_int_equal(u.second, tm.tm_sec);
}

static void test_known(void **state)
{
	struct pns_utc u;

	pns_utc_from_epoch(0, &u);
	assert_true(u.year == 1970 && u.month == 1 && u.day == 1 && u.hour == 0 && u.minute == 0 &&
		    u.second == 0);
	/* 2024-02-29 12:34:56, a leap day. */
	pns_utc_from_epoch(1709210096, &u);
	assert_true(u.year == 2024 && u.month == 2 && u.day == 29 && u.hour == 12 &&
		    u.minute == 34 && u.second == 56);
	/* 1969-12-31 23:59:59, one second before the epoch. */
	pns_utc_from_epoch(-1, &u);
	assert_true(u.year == 1969 && u.month == 12 && u.day == 31 && u.hour == 23 &&
		    u.minute == 59 && u.second == 59);
}

/* Every day boundary and a few times within from 1900 to 2200, and the
 * ends of the centuries (2000 is a leap year, 1900 and 2100 are not). */
static void test_against_gmtime(void **state)
{
	for (int64_t d = -25567; d <= 84006; d++) {
		check(d * 86400);
		check(d * 86400 + 86399);
		check(d * 86400 + 45296 + d % 1000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_against_gmtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

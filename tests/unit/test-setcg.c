/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sets' cgroup: its path, and reading pids out of cgroup.procs in
 * chunks of any size. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/setcg.h"

static void test_path(void **state)
{
	char buf[PNS_SETCG_PATH_MAX];

	pns_setcg_path(buf, 1000, 0x1234abcdULL);
	assert_string_equal(buf, "1000/000000001234abcd");
	/* The longest fits. */
	pns_setcg_path(buf, UINT32_MAX, UINT64_MAX);
	assert_string_equal(buf, "4294967295/ffffffffffffffff");
}

struct collected {
	pid_t pids[16];
	size_t n;
	size_t stop_after;
};

static int collect(pid_t pid, void *userdata)
{
	struct collected *c = userdata;

	c->pids[c->n++] = pid;
	return c->stop_after && c->n >= c->stop_after ? 1 : 0;
}

/* Feed text in chunks of size step, then the end. */
static int feed(const char *text, size_t step, struct collected *c)
{
	struct pns_pid_parser p = {0};
	size_t len = strlen(text);
	int r;

	for (size_t i = 0; i < len; i += step) {
		r = pns_pid_parse(&p, text + i, len - i < step ? len - i : step, collect, c);
		if (r != 0)
			return r;
	}
	return pns_pid_parse(&p, "", 0, collect, c);
}

static void test_pid_parse(void **state)
{
	for (size_t step = 1; step <= 12; step++) {
		struct collected c = {.n = 0};

		assert_int_equal(feed("1\n42\n4194304\n77", step, &c), 0);
		assert_int_equal(c.n, 4);
		assert_int_equal(c.pids[0], 1);
		assert_int_equal(c.pids[1], 42);
		assert_int_equal(c.pids[2], 4194304);
		assert_int_equal(c.pids[3], 77);
	}
	{
		struct collected c = {.n = 0};

		assert_int_equal(feed("", 4, &c), 0);
		assert_int_equal(c.n, 0);
	}
	{
		/* The callback stops the walk. */
		struct collected c = {.stop_after = 2};

		assert_int_equal(feed("5\n6\n7\n", 3, &c), 1);
		assert_int_equal(c.n, 2);
	}
	{
		struct collected c = {.n = 0};

		assert_int_equal(feed("5\nx\n", 1, &c), -EBADMSG);
		c.n = 0;
		assert_int_equal(feed("5\n\n6\n", 2, &c), -EBADMSG);
		c.n = 0;
		assert_int_equal(feed("0\n", 2, &c), -EBADMSG);
		c.n = 0;
		assert_int_equal(feed("99999999999\n", 5, &c), -EBADMSG);
		c.n = 0;
		assert_int_equal(feed("-5\n", 5, &c), -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_pid_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy cache's format (common/policy-cache.h): a header that names
 * the module and libiniparser, and records of confirmed batches. Nothing
 * that does not check out may ever be found: a wrong magic, another
 * module, a bad library path, a record that runs past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/policy-cache.h"

static const uint8_t module[PNS_POLICY_CACHE_MODULE_ID] = {0xf4, 0x5d, 0x39, 0xbc, 0x6c};
static const struct pns_file_id lib = {6, 7, 8, 9, 10};
static const char lib_path[] = "/usr/lib/x86_64-linux-gnu/libiniparser.so.1";

static size_t header(uint8_t *buf, size_t max)
{
	size_t h = policy_cache_header(buf, max, module, &lib, lib_path);

	assert_true(h > 0);
	return h;
}

static void test_header_roundtrip(void **state)
{
	uint8_t buf[1024];
	char path[PNS_POLICY_CACHE_PATH_MAX];
	struct pns_file_id got;
	size_t h = header(buf, sizeof(buf)), records = 0;

	assert_true(policy_cache_parse(buf, h, module, &got, path, &records));
	assert_int_equal(records, h);
	assert_string_equal(path, lib_path);
	assert_memory_equal(&got, &lib, sizeof(lib));
}

static void test_header_refused(void **state)
{
	uint8_t buf[1024], bad[1024];
	char path[PNS_POLICY_CACHE_PATH_MAX], long_path[PNS_POLICY_CACHE_PATH_MAX + 1];
	uint8_t other[PNS_POLICY_CACHE_MODULE_ID];
	struct pns_file_id got;
	size_t h = header(buf, sizeof(buf)), records;

	/* Another module build (rebuilt, upgraded): nothing of it is used. */
	memcpy(other, module, sizeof(other));
	other[PNS_POLICY_CACHE_MODULE_ID - 1] ^= 1;
	assert_false(policy_cache_parse(buf, h, other, &got, path, &records));
	/* Every truncation. */
	for (size_t n = 0; n < h; n++)
		assert_false(policy_cache_parse(buf, n, module, &got, path, &records));
	/* A wrong magic. */
	memcpy(bad, buf, h);
	bad[6] = '2';
	assert_false(policy_cache_parse(bad, h, module, &got, path, &records));
	/* A relative library path, or one with a NUL in it. */
	assert_int_equal(policy_cache_header(bad, sizeof(bad), module, &lib, "libiniparser.so.1"),
		h - strlen(lib_path) + strlen("libiniparser.so.1"));
	assert_false(policy_cache_parse(bad, h - strlen(lib_path) + strlen("libiniparser.so.1"),
		module, &got, path, &records));
	memcpy(bad, buf, h);
	bad[h - 3] = 0;
	assert_false(policy_cache_parse(bad, h, module, &got, path, &records));
	/* Paths that do not fit are not written. */
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = 0;
	assert_int_equal(policy_cache_header(bad, sizeof(bad), module, &lib, long_path), 0);
	assert_int_equal(policy_cache_header(bad, sizeof(bad), module, &lib, ""), 0);
	assert_int_equal(policy_cache_header(bad, 10, module, &lib, lib_path), 0);
}

static void test_records(void **state)
{
	static const char a[] = "[default]\nisolate = yes\n", b[] = "[user:x]\ntmp = none\n";
	uint8_t *buf = NULL;
	size_t size = 0, alloc = 0;

	assert_false(policy_cache_find(NULL, 0, 1, 1, a, strlen(a)));
	assert_int_equal(policy_cache_append(&buf, &size, &alloc, 1, 1, a, strlen(a)), 0);
	assert_int_equal(policy_cache_append(&buf, &size, &alloc, 1, 1, b, strlen(b)), 0);
	assert_true(policy_cache_find(buf, size, 1, 1, a, strlen(a)));
	assert_true(policy_cache_find(buf, size, 1, 1, b, strlen(b)));
	/* Sections, keys, length and bytes must all be the same. */
	assert_false(policy_cache_find(buf, size, 2, 1, a, strlen(a)));
	assert_false(policy_cache_find(buf, size, 1, 0, a, strlen(a)));
	assert_false(policy_cache_find(buf, size, 1, 1, a, strlen(a) - 1));
	assert_false(policy_cache_find(buf, size, 1, 1, "[default]\nisolate = no!\n", strlen(a)));
	/* A record cut short is not found, nor anything after it. */
	assert_false(policy_cache_find(buf, size - 1, 1, 1, b, strlen(b)));
	assert_true(policy_cache_find(buf, size - 1, 1, 1, a, strlen(a)));
	/* An empty batch (an empty file): no bytes to compare, no pointer needed. */
	assert_false(policy_cache_find(buf, size, 0, 0, NULL, 0));
	assert_int_equal(policy_cache_append(&buf, &size, &alloc, 0, 0, NULL, 0), 0);
	assert_true(policy_cache_find(buf, size, 0, 0, NULL, 0));
	size -= 12; /* that record again */
	/* A length that runs past the end stops the walk. */
	{
		uint32_t huge = UINT32_MAX;

		memcpy(buf + 8, &huge, sizeof(huge));
		assert_false(policy_cache_find(buf, size, 1, 1, a, strlen(a)));
		assert_false(policy_cache_find(buf, size, 1, 1, b, strlen(b)));
	}
	free(buf);
}

static void test_fit(void **state)
{
	static const char a[] = "0123456789";
	uint8_t *buf = NULL;
	size_t size = 0, alloc = 0, one;

	for (int i = 0; i < 3; i++)
		assert_int_equal(policy_cache_append(&buf, &size, &alloc, 1, 0, a, strlen(a)), 0);
	one = size / 3;
	/* Whole records only. */
	assert_int_equal(policy_cache_fit(buf, size, size), size);
	assert_int_equal(policy_cache_fit(buf, size, size - 1), 2 * one);
	assert_int_equal(policy_cache_fit(buf, size, one), one);
	assert_int_equal(policy_cache_fit(buf, size, one - 1), 0);
	assert_int_equal(policy_cache_fit(buf, size - 1, size), 2 * one);
	/* Nothing larger than the cache itself is taken. */
	assert_int_equal(
		policy_cache_append(&buf, &size, &alloc, 1, 0, a, PNS_POLICY_CACHE_MAX + 1),
		-E2BIG);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

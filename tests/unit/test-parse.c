/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The strict value parsers. Every bad row is something a lax parser
 * (strtol, iniparser_getint/getboolean) accepts, and so would read as a
 * value other than the one written (docs/SECURITY.md, "policy").
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/parse.h"

#define G (UINT64_C(1) << 30)
#define M (UINT64_C(1) << 20)
#define K (UINT64_C(1) << 10)

static void test_bool(void **state)
{
	static const struct {
		const char *s;
		int r;
		bool v;
	} rows[] = {
		{"yes", 0, true},
		{"no", 0, false},
		{"true", 0, true},
		{"false", 0, false},
		{"on", 0, true},
		{"off", 0, false},
		{"1", 0, true},
		{"0", 0, false},
		{"", -EINVAL, false},
		{" yes", -EINVAL, false},
		{"yes ", -EINVAL, false},
		{"Yes", -EINVAL, false},
		{"YES", -EINVAL, false},
		{"ON", -EINVAL, false},
		{"y", -EINVAL, false},
		{"n", -EINVAL, false},
		{"2", -EINVAL, false},
		{"01", -EINVAL, false},
		{"00", -EINVAL, false},
		{"-1", -EINVAL, false},
		{"enable", -EINVAL, false},
		{"yess", -EINVAL, false},
		{"tru", -EINVAL, false},
		{"\"yes\"", -EINVAL, false},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		/* A value the parser must not write on failure; the opposite of the expected one on
		 * success. */
		bool v = !rows[i].v;
		int r = pns_parse_bool(rows[i].s, &v);

		if (r != rows[i].r)
			fail_msg("pns_parse_bool(\"%s\") = %d, expected %d", rows[i].s, r,
				rows[i].r);
		if (r == 0 && v != rows[i].v)
			fail_msg("pns_parse_bool(\"%s\") gave %d", rows[i].s, v);
		if (r < 0 && v != !rows[i].v)
			fail_msg("pns_parse_bool(\"%s\") wrote its result on failure", rows[i].s);
	}
	{
		bool v = true;

		assert_int_equal(pns_parse_bool(NULL, &v), -EINVAL);
		assert_true(v);
	}
}

static void test_u64(void **state)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} rows[] = {
		{"0", 0, 0}, {"1", 0, 1}, {"42", 0, 42}, {"1000000", 0, 1000000},
		{"4294967296", 0, UINT64_C(4294967296)}, {"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -ERANGE, 0}, {"99999999999999999999", -ERANGE, 0},
		{"184467440737095516150", -ERANGE, 0}, {"99999999999999999999x", -EINVAL, 0},
		{"", -EINVAL, 0}, {" 1", -EINVAL, 0}, {"1 ", -EINVAL, 0}, {"\t1", -EINVAL, 0},
		{"+1", -EINVAL, 0}, {"-1", -EINVAL, 0}, {"-0", -EINVAL, 0}, {"00", -EINVAL, 0},
		{"010", -EINVAL, 0}, {"0x10", -EINVAL, 0}, {"0X10", -EINVAL, 0},
		{"100M", -EINVAL, 0}, {"1.5", -EINVAL, 0}, {"1e3", -EINVAL, 0},
		{"1_000", -EINVAL, 0}, {"abc", -EINVAL, 0},
		{"\xd9\xa1", -EINVAL, 0}, /* ARABIC-INDIC DIGIT ONE */
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		uint64_t v = 0xdeadbeef;
		int r = pns_parse_u64(rows[i].s, &v);

		if (r != rows[i].r)
			fail_msg(
				"pns_parse_u64(\"%s\") = %d, expected %d", rows[i].s, r, rows[i].r);
		if (r == 0 && v != rows[i].v)
			fail_msg("pns_parse_u64(\"%s\") gave %" PRIu64, rows[i].s, v);
		if (r < 0 && v != 0xdeadbeef)
			fail_msg("pns_parse_u64(\"%s\") wrote its result on failure", rows[i].s);
	}
}

static void test_id(void **state)
{
	static const struct {
		const char *s;
		int r;
		uint32_t v;
	} rows[] = {
		{"0", 0, 0},
		{"1000", 0, 1000},
		{"65534", 0, 65534},
		{"4294967294", 0, UINT32_C(4294967294)},
		/* (uid_t)-1 means "no id" to setresuid(): never a section. */
		{"4294967295", -ERANGE, 0},
		/* iniparser_getint() reads this as 0, i.e. root. */
		{"4294967296", -ERANGE, 0},
		{"18446744073709551616", -ERANGE, 0},
		{"100M", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
		{"010", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1 ", -EINVAL, 0},
		{"1000:1000", -EINVAL, 0},
		{"root", -EINVAL, 0},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		uint32_t v = 0xdeadbeef;
		int r = pns_parse_id(rows[i].s, &v);

		if (r != rows[i].r)
			fail_msg("pns_parse_id(\"%s\") = %d, expected %d", rows[i].s, r, rows[i].r);
		if (r == 0 && v != rows[i].v)
			fail_msg("pns_parse_id(\"%s\") gave %" PRIu32, rows[i].s, v);
		if (r < 0 && v != 0xdeadbeef)
			fail_msg("pns_parse_id(\"%s\") wrote its result on failure", rows[i].s);
	}
}

static void test_size(void **state)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
		bool percent;
	} rows[] = {
		{"1", 0, 1, false},
		{"4096", 0, 4096, false},
		{"1K", 0, K, false},
		{"1536K", 0, 1536 * K, false},
		{"512M", 0, 512 * M, false},
		{"4G", 0, 4 * G, false},
		{"1%", 0, 1, true},
		{"25%", 0, 25, true},
		{"100%", 0, 100, true},
		{"17179869183G", 0, UINT64_C(17179869183) * G, false},
		{"18014398509481983K", 0, UINT64_C(18014398509481983) * K, false},
		{"18446744073709551615", 0, UINT64_MAX, false},
		/* tmpfs reads size=0 as "no limit". */
		{"0", -ERANGE, 0, false},
		{"0K", -ERANGE, 0, false},
		{"0M", -ERANGE, 0, false},
		{"0G", -ERANGE, 0, false},
		{"0%", -ERANGE, 0, false},
		{"101%", -ERANGE, 0, false},
		{"1000%", -ERANGE, 0, false},
		{"17179869184G", -ERANGE, 0, false},
		{"18014398509481984K", -ERANGE, 0, false},
		{"18446744073709551616", -ERANGE, 0, false},
		{"99999999999999999999%", -ERANGE, 0, false},
		{"", -EINVAL, 0, false},
		{" 1K", -EINVAL, 0, false},
		{"1K ", -EINVAL, 0, false},
		{"1 K", -EINVAL, 0, false},
		{"K", -EINVAL, 0, false},
		{"%", -EINVAL, 0, false},
		{"1k", -EINVAL, 0, false},
		{"1m", -EINVAL, 0, false},
		{"1g", -EINVAL, 0, false},
		{"1KB", -EINVAL, 0, false},
		{"1KK", -EINVAL, 0, false},
		{"1T", -EINVAL, 0, false},
		{"1.5G", -EINVAL, 0, false},
		{"1%%", -EINVAL, 0, false},
		{"25 %", -EINVAL, 0, false},
		{"-1", -EINVAL, 0, false},
		{"+1G", -EINVAL, 0, false},
		{"010", -EINVAL, 0, false},
		{"010M", -EINVAL, 0, false},
		{"0x10", -EINVAL, 0, false},
		{"abc", -EINVAL, 0, false},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		struct pns_size v = {.value = 0xdeadbeef, .percent = true};
		int r = pns_parse_size(rows[i].s, &v);

		if (r != rows[i].r)
			fail_msg("pns_parse_size(\"%s\") = %d, expected %d", rows[i].s, r,
				rows[i].r);
		if (r == 0 && (v.value != rows[i].v || v.percent != rows[i].percent))
			fail_msg("pns_parse_size(\"%s\") gave %" PRIu64 "%s", rows[i].s, v.value,
				v.percent ? "%" : "");
		if (r < 0 && (v.value != 0xdeadbeef || !v.percent))
			fail_msg("pns_parse_size(\"%s\") wrote its result on failure", rows[i].s);
	}
}

static void test_inodes(void **state)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} rows[] = {
		{"1", 0, 1},
		{"1000000", 0, 1000000},
		{"18446744073709551615", 0, UINT64_MAX},
		{"0", -ERANGE, 0},
		{"18446744073709551616", -ERANGE, 0},
		{"", -EINVAL, 0},
		{"1K", -EINVAL, 0},
		{"10%", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"010", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
		{" 1", -EINVAL, 0},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		uint64_t v = 0xdeadbeef;
		int r = pns_parse_inodes(rows[i].s, &v);

		if (r != rows[i].r)
			fail_msg("pns_parse_inodes(\"%s\") = %d, expected %d", rows[i].s, r,
				rows[i].r);
		if (r == 0 && v != rows[i].v)
			fail_msg("pns_parse_inodes(\"%s\") gave %" PRIu64, rows[i].s, v);
		if (r < 0 && v != 0xdeadbeef)
			fail_msg("pns_parse_inodes(\"%s\") wrote its result on failure", rows[i].s);
	}
}

static char *repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void test_hostname_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} rows[] = {
		{"a", true},
		{"host", true},
		{"alice-sandbox", true},
		{"Alice-Box", true},
		{"a.b.c", true},
		{"x1", true},
		{"1x", true},
		{"123", true},
		{"a-b.c-d", true},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"a.-b", false},
		{"a-.b", false},
		{".a", false},
		{"a.", false},
		{"a..b", false},
		{"a_b", false},
		{"a b", false},
		{"a%b", false},
		{"a/b", false},
		{"h\xc3\xa9", false},
	};
	char buf[128], label[80];

	for (size_t i = 0; i < ELEMENTSOF(rows); i++)
		if (pns_hostname_is_valid(rows[i].s) != rows[i].ok)
			fail_msg("pns_hostname_is_valid(\"%s\") != %d", rows[i].s, rows[i].ok);
	assert_false(pns_hostname_is_valid(NULL));

	/* A label is at most 63 bytes, the whole name at most 64. */
	assert_true(pns_hostname_is_valid(repeat(buf, 'a', 63)));
	assert_false(pns_hostname_is_valid(repeat(buf, 'a', 64)));
	snprintf(buf, sizeof(buf), "%s.%s", repeat(label, 'a', 31),
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_int_equal(strlen(buf), 64);
	assert_true(pns_hostname_is_valid(buf));
	snprintf(buf, sizeof(buf), "%s.%s", repeat(label, 'a', 32),
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_int_equal(strlen(buf), 65);
	assert_false(pns_hostname_is_valid(buf));
}

static void test_hostname_expand(void **state)
{
	static const struct {
		const char *tmpl, *user;
		uint32_t uid;
		const char *host;
		size_t size;
		int r;
		const char *out;
	} rows[] = {
		{"%u-sandbox", "alice", 1000, "srv", 64, 0, "alice-sandbox"},
		{"u%U", "alice", 1000, "srv", 64, 0, "u1000"},
		{"%h-%u", "alice", 1000, "srv", 64, 0, "srv-alice"},
		{"%U", "x", 4294967294u, "srv", 64, 0, "4294967294"},
		{"100%%", "alice", 1, "srv", 64, 0, "100%"},
		{"%%u", "alice", 1, "srv", 64, 0, "%u"},
		{"plain", "alice", 1, "srv", 64, 0, "plain"},
		{"", "alice", 1, "srv", 64, 0, ""},
		/* Not validated here: the caller checks the result. */
		{"%u", "bob:isolate", 1, "srv", 64, 0, "bob:isolate"},
		{"%u", "alice", 1, "srv", 6, 0, "alice"},
		{"%u", "alice", 1, "srv", 5, -ENAMETOOLONG, NULL},
		{"%u%u", "alice", 1, "srv", 10, -ENAMETOOLONG, NULL},
		{"x", "alice", 1, "srv", 1, -ENAMETOOLONG, NULL},
		{"%x", "alice", 1, "srv", 64, -EINVAL, NULL},
		{"%n", "alice", 1, "srv", 64, -EINVAL, NULL},
		{"abc%", "alice", 1, "srv", 64, -EINVAL, NULL},
		{"%", "alice", 1, "srv", 64, -EINVAL, NULL},
		{"%s", "alice", 1, "srv", 64, -EINVAL, NULL},
		{"%u", NULL, 1, "srv", 64, -EINVAL, NULL},
		{"%h", "alice", 1, NULL, 64, -EINVAL, NULL},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		char buf[128];
		int r;

		memset(buf, 'Z', sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		r = pns_hostname_expand(
			rows[i].tmpl, rows[i].user, rows[i].uid, rows[i].host, buf, rows[i].size);
		if (r != rows[i].r)
			fail_msg("row %zu: expand(\"%s\") = %d, expected %d", i, rows[i].tmpl, r,
				rows[i].r);
		if (r == 0 && strcmp(buf, rows[i].out) != 0)
			fail_msg("row %zu: expand(\"%s\") = \"%s\", expected \"%s\"", i,
				rows[i].tmpl, buf, rows[i].out);
		if (r < 0 && buf[0] != 'Z')
			fail_msg("row %zu: expand(\"%s\") wrote the buffer on failure", i,
				rows[i].tmpl);
	}
}

/* A template allows what a host name allows, '.' and the escapes the
 * expansion knows; nothing else. */
static void test_hostname_template(void **state)
{
	char msg[256];
	char long_tmpl[PNS_HOSTNAME_TEMPLATE_MAX + 2];

	assert_int_equal(pns_hostname_template_check("%u-%U.%h%%x", msg, sizeof(msg)), 0);
	assert_int_equal(pns_hostname_template_check("a_b", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "character '_' is not allowed"));
	assert_int_equal(pns_hostname_template_check("box%", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "at the end of the template"));
	assert_int_equal(pns_hostname_template_check("%x", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "unknown escape '%x'"));
	assert_int_equal(pns_hostname_template_check("a\xff"
						     "b",
				 msg, sizeof(msg)),
		-EINVAL);
	assert_non_null(strstr(msg, "byte 0xff"));
	memset(long_tmpl, 'a', sizeof(long_tmpl) - 1);
	long_tmpl[sizeof(long_tmpl) - 1] = '\0';
	assert_int_equal(pns_hostname_template_check(long_tmpl, msg, sizeof(msg)), -EINVAL);
	/* Every escape the check accepts, the expansion knows. */
	for (const char *e = "uUh%"; *e; e++) {
		char t[3] = {'%', *e, 0}, out[64];

		assert_int_equal(pns_hostname_template_check(t, msg, sizeof(msg)), 0);
		assert_int_equal(pns_hostname_expand(t, "u", 1, "h", out, sizeof(out)), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_inodes),
		cmocka_unit_test(test_hostname_valid),
		cmocka_unit_test(test_hostname_expand),
		cmocka_unit_test(test_hostname_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

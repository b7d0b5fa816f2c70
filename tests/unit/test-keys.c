/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key table: every row complete, and parse, store and format agree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/keys.h"

static void test_rows(void **state)
{
	for (size_t k = 0; k < _PNS_KEY_MAX; k++) {
		const struct pns_key_info *key = &pns_keys[k];

		assert_int_equal(strnlen(key->name, sizeof(key->name)), key->len);
		assert_true(key->len > 0 && key->len < sizeof(key->name));
		assert_non_null(key->parse);
		assert_non_null(key->store);
		assert_non_null(key->format);
		assert_string_equal(pns_key_name((enum pns_key)k), key->name);
		for (size_t j = 0; j < k; j++)
			assert_string_not_equal(key->name, pns_keys[j].name);
	}
}

/* Every word a key accepts is stored and formatted back as written. */
static void test_words_round_trip(void **state)
{
	size_t n = 0;

	for (size_t k = 0; k < _PNS_KEY_MAX; k++) {
		const struct pns_key_info *key = &pns_keys[k];

		for (size_t i = 0; i < key->n_words; i++) {
			struct pns_settings s;
			union pns_value v;
			char msg[256], buf[64];

			if (!key->words[i])
				continue;
			pns_settings_builtin(&s);
			s.namespaces = PNS_NS_ALL; /* shm = auto would read as private */
			assert_int_equal(
				pns_key_parse((enum pns_key)k, key->words[i], &v, msg, sizeof(msg)),
				0);
			assert_int_equal(v.u, i);
			key->store(key, &s, &v, key->words[i]);
			assert_int_equal(
				pns_settings_format(&s, (enum pns_key)k, buf, sizeof(buf)), 0);
			assert_string_equal(buf, key->words[i]);
			assert_string_equal(
				pns_key_word((enum pns_key)k, (unsigned)i), key->words[i]);
			n++;
		}
	}
	assert_int_equal(
		n, 14); /* tmp, var_tmp 3 each; shm, share, userns_map, userns_fallback 2 */
}

static void test_invalid_message(void **state)
{
	union pns_value v;
	char msg[256];

	assert_int_equal(pns_key_parse(PNS_KEY_SHARE, "all", &v, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "share: invalid value 'all' (expected user or session)");
	/* shm = auto is the built-in only. */
	assert_int_equal(pns_key_parse(PNS_KEY_SHM, "auto", &v, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(pns_key_parse(_PNS_KEY_MAX, "x", &v, msg, sizeof(msg)), -EINVAL);
	assert_null(pns_key_word(PNS_KEY_SHARE, _PNS_SHARE_MAX));
	assert_null(pns_key_word(PNS_KEY_ISOLATE, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_words_round_trip),
		cmocka_unit_test(test_invalid_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cross-check with iniparser: an interposed iniparser_load() lies in
 * each way the cross-check must notice, for a whole load, for the sections
 * of one login, and deep in a policy of 10,000 sections.
 * The fixtures they share: policy-test.h.
 */
#if __has_include(<iniparser.h>)
#include <iniparser.h>
#else
#include <iniparser/iniparser.h>
#endif

#include "tests/unit/policy-test.h"

/* ---- a lying iniparser: the cross-check must notice -------------------- */

enum ini_lie {
	INI_TRUTH,
	INI_NULL,	    /* iniparser_load() fails (out of memory) */
	INI_OTHER_VALUE,    /* a value read differently */
	INI_EXTRA_SECTION,  /* one section more */
	INI_RENAMED_KEY,    /* same counts, a key under another name */
	INI_KEY_AS_SECTION, /* CVE-2023-33461 shape: the key's name holds a section */
	INI_IF_PRESENT,	    /* ini_lie_key is "no" whenever its section was read */
};
static enum ini_lie ini_lie;
static const char *ini_lie_key; /* INI_IF_PRESENT: "section:key" */

/* Interposes the library's iniparser_load(): the executable's symbol wins. */
dictionary *iniparser_load(const char *name);
dictionary *iniparser_load(const char *name)
{
	dictionary *(*real)(const char *) =
		(dictionary * (*)(const char *)) dlsym(RTLD_NEXT, "iniparser_load");
	dictionary *d;

	if (!real)
		fail_msg("dlsym(iniparser_load): %s", dlerror());
	if (ini_lie == INI_NULL)
		return NULL;
	d = real(name);
	if (!d)
		return NULL;
	switch (ini_lie) {
	case INI_OTHER_VALUE:
		iniparser_set(d, "default:isolate", "no");
		break;
	case INI_EXTRA_SECTION:
		iniparser_set(d, "user:mallory", NULL);
		break;
	case INI_RENAMED_KEY:
		iniparser_unset(d, "default:tmp");
		iniparser_set(d, "default:tmp ", "none");
		break;
	case INI_KEY_AS_SECTION:
		iniparser_unset(d, "default:isolate");
		iniparser_set(d, "default:isolate", NULL);
		break;
	case INI_IF_PRESENT: {
		char section[256];

		snprintf(section, sizeof(section), "%.*s",
			(int)(strrchr(ini_lie_key, ':') - ini_lie_key), ini_lie_key);
		if (iniparser_find_entry(d, section))
			iniparser_set(d, ini_lie_key, "no");
		break;
	}
	default:
		break;
	}
	return d;
}

static void test_crosscheck(void **state)
{
	static const struct {
		enum ini_lie lie;
		int r;
		int line;
		const char *fragment;
	} rows[] = {
		{INI_NULL, -EIO, 0, "iniparser failed to read this file"},
		{INI_OTHER_VALUE, -EINVAL, 2,
			"iniparser read this file differently: default:isolate is 'no', not 'yes'"},
		{INI_EXTRA_SECTION, -EINVAL, 0,
			"iniparser read this file differently: 2 sections and 2 keys instead of 1 "
			"and 2"},
		{INI_RENAMED_KEY, -EINVAL, 3,
			"iniparser read this file differently: default:tmp is '(missing)'"},
		{INI_KEY_AS_SECTION, -EINVAL, 0, "iniparser read this file differently"},
	};
	struct fixture *f = *state;
	struct pns_policy *p;

	write_text(f->main, "[default]\nisolate = yes\ntmp = none\n");
	p = expect_loaded(f->main, false, "truthful iniparser");
	pns_policy_free(p);
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		char what[32];

		snprintf(what, sizeof(what), "lie %d", (int)rows[i].lie);
		ini_lie = rows[i].lie;
		expect_refused(
			f->main, false, rows[i].r, f->main, rows[i].line, rows[i].fragment, what);
		ini_lie = INI_TRUTH;
	}
}

/*
 * The cross-check of a login covers the sections that apply to it. A section
 * that does not apply is not shown to iniparser for that login, but the
 * scanner has validated it completely, and pam_nsctl check (load) shows
 * iniparser every section.
 */
static const char lie_policy[] = "[default]\n"	    /* 1 */
				 "isolate = yes\n"  /* 2 */
				 "[user:mallory]\n" /* 3 */
				 "isolate = yes\n"  /* 4 */
				 "[user:alice]\n"   /* 5 */
				 "tmp = none\n"	    /* 6 */
				 "[user:bob]\n"	    /* 7 */
				 "tmp = dir\n";	    /* 8 */

static void test_two_phases_crosscheck(void **state)
{
	struct fixture *f = *state;
	const struct pns_identity alice = ident("alice", 1001, 100, NULL, NULL, 0);
	const struct pns_identity mallory = ident("mallory", 1002, 100, NULL, NULL, 0);
	const struct pns_identity bob = ident("bob", 1003, 100, NULL, NULL, 0);
	struct pns_settings s;
	struct pns_policy *p;

	write_text(f->main, lie_policy);

	/* iniparser misreads [user:mallory]: load (every section) refuses the policy... */
	ini_lie = INI_IF_PRESENT;
	ini_lie_key = "user:mallory:isolate";
	expect_refused(f->main, false, -EINVAL, f->main, 4,
		"iniparser read this file differently: user:mallory:isolate is 'no', not 'yes'",
		"lie about mallory, load");
	/* ... and so does mallory's login, with the same line... */
	p = expect_scanned(f->main, "lie about mallory");
	expect_not_confirmed(p, &mallory, -EINVAL, f->main, 4,
		"user:mallory:isolate is 'no', not 'yes'", "lie about mallory, mallory");
	/* ... after which the policy is unusable, for anyone. */
	s.isolate = true;
	assert_int_equal(pns_policy_resolve(p, &mallory, &s), -ESTALE);
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);
	assert_true(s.isolate);
	expect_not_confirmed(p, &alice, -ESTALE, f->main, 0, "earlier cross-check",
		"confirm after a failed confirm");
	expect_not_confirmed(p, NULL, -ESTALE, f->main, 0, "earlier cross-check",
		"confirm all after a failed confirm");
	pns_policy_free(p);
	/* Alice's login does not show [user:mallory] to iniparser (documented). */
	p = expect_scanned(f->main, "lie about mallory");
	expect_confirmed(p, &alice, "lie about mallory, alice");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 2);
	assert_value(&s, PNS_KEY_TMP, "none");
	assert_origin(&s, PNS_KEY_TMP, f->main, 6);
	/* Confirming everything afterwards still finds it. */
	expect_not_confirmed(p, NULL, -EINVAL, f->main, 4, "user:mallory:isolate is 'no'",
		"lie about mallory, confirm all after alice");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);
	pns_policy_free(p);
	ini_lie = INI_TRUTH;

	/* The scanner still validates what does not apply to the account. */
	write_text(f->main, "[default]\nisolate = yes\n[user:mallory]\nisolate = perhaps\n"
			    "[user:alice]\ntmp = none\n");
	{
		struct pns_diag_list d = {};

		p = UNTOUCHED;
		assert_int_equal(pns_policy_scan(f->main, false, &p, &d), -EINVAL);
		assert_ptr_equal(p, UNTOUCHED);
		assert_true(has_diag(&d, f->main, 4, "isolate: invalid value 'perhaps'"));
		pns_diag_list_clear(&d);
	}

	/* [default] applies to everyone: a lie there is caught for every account. */
	write_text(f->main, lie_policy);
	ini_lie = INI_OTHER_VALUE;
	for (const struct pns_identity *const *id =
			(const struct pns_identity *const[]){&alice, &mallory, &bob, NULL};
		*id; id++) {
		p = expect_scanned(f->main, "lie about default");
		expect_not_confirmed(p, *id, -EINVAL, f->main, 2,
			"default:isolate is 'no', not 'yes'", (*id)->name);
		pns_policy_free(p);
	}

	/* An extra section in a batch that is not the whole file: named by its lines. */
	ini_lie = INI_EXTRA_SECTION;
	p = expect_scanned(f->main, "extra section");
	expect_not_confirmed(p, &alice, -EINVAL, f->main, 1,
		"iniparser read this file differently: 3 sections and 2 keys instead of 2 and 2, "
		"in the sections cross-checked together from line 1 to line 6",
		"extra section, alice");
	pns_policy_free(p);

	/* iniparser failing is a system error, as in load. */
	ini_lie = INI_NULL;
	p = expect_scanned(f->main, "iniparser fails");
	expect_not_confirmed(p, &bob, -EIO, f->main, 0, "iniparser failed to read this file",
		"iniparser fails, bob");
	pns_policy_free(p);
	ini_lie = INI_TRUTH;

	/* A file whose sections do not apply is not read by iniparser at all for that login. */
	{
		char *dir = path_in(f->dir, "pam_ns.conf.d"), *drop;

		mkdir_or_fail(dir, 0755);
		drop = path_in(dir, "a.conf");
		write_text(drop, "[user:mallory]\nisolate = yes\n");
		write_text(f->main, "[default]\nisolate = yes\n");
		ini_lie = INI_NULL;
		p = expect_scanned(f->main, "drop-in only for mallory");
		/* alice: only the main file's [default] goes to iniparser, which fails. */
		expect_not_confirmed(p, &alice, -EIO, f->main, 0, "iniparser failed",
			"iniparser fails on the main file");
		pns_policy_free(p);
		write_text(f->main, "# no sections\n");
		p = expect_scanned(f->main, "nothing for alice");
		/* Nothing applies to alice: iniparser is not run. */
		expect_confirmed(p, &alice, "nothing for alice");
		assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
		assert_false(s.isolate);
		assert_origin(&s, PNS_KEY_ISOLATE, NULL, 0);
		expect_not_confirmed(p, &mallory, -EIO, drop, 0, "iniparser failed", "mallory");
		pns_policy_free(p);
		ini_lie = INI_TRUTH;
		unlink(drop);
		rmdir(dir);
		free(drop);
		free(dir);
	}
}

/*
 * The size the benchmark uses: 10,000 [user:] sections. Correctness only:
 * bench/ measures the time (a timed unit test fails on a busy machine).
 */
#define BIG_USERS 10000
/* [user:uNNNNN] is on line BIG_LINE(i), its tmp_size on the next. */
#define BIG_LINE(i) (6 + 2 * (i))

static void test_ten_thousand_sections(void **state)
{
	struct fixture *f = *state;
	static const gid_t lab_g[] = {100, 2000};
	static const char *const lab_n[] = {"users", "lab"};
	char *text = NULL, *dir, *drop, name[32], key[64];
	struct pns_settings s, l;
	struct pns_identity id;
	struct pns_policy *p, *loaded;
	size_t size = 0;
	FILE *m;

	m = open_memstream(&text, &size);
	assert_non_null(m);
	fputs("[default]\n"	     /* 1 */
	      "isolate = no\n"	     /* 2 */
	      "[group:lab]\n"	     /* 3 */
	      "isolate = yes\n"	     /* 4 */
	      "hostname = %u-lab\n", /* 5 */
		m);
	for (int i = 0; i < BIG_USERS; i++)
		fprintf(m, "[user:u%05d]\ntmp_size = %d%%\n", i, i % 100 + 1);
	fclose(m);
	write_text(f->main, text);
	free(text);
	dir = path_in(f->dir, "pam_ns.conf.d");
	mkdir_or_fail(dir, 0755);
	drop = path_in(dir, "z.conf");
	write_text(drop, "[user:u09999]\nhostname = last\n");

	loaded = expect_loaded(f->main, false, "10,000 sections");
	assert_int_equal(pns_policy_n_sections(loaded), 2 + BIG_USERS + 1);
	assert_true(pns_policy_has_group_sections(loaded));

	for (int i = 0; i < BIG_USERS; i += i < 10 ? 1 : 997) {
		for (int lab = 0; lab <= 1; lab++) {
			snprintf(name, sizeof(name), "u%05d", i);
			id = ident(name, (uid_t)(20000 + i), 100, lab ? lab_g : NULL,
				lab ? lab_n : NULL, lab ? 2 : 0);
			p = expect_scanned(f->main, name);
			assert_int_equal(pns_policy_n_sections(p), 2 + BIG_USERS + 1);
			expect_confirmed(p, &id, name);
			assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
			snprintf(key, sizeof(key), "%d%%", i % 100 + 1);
			assert_value(&s, PNS_KEY_TMP_SIZE, key);
			assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, (unsigned)BIG_LINE(i) + 1);
			assert_int_equal(s.isolate, lab);
			assert_origin(&s, PNS_KEY_ISOLATE, f->main, lab ? 4 : 2);
			assert_int_equal(pns_policy_resolve(loaded, &id, &l), 0);
			assert_same_settings(&s, &l, name);
			pns_policy_free(p);
		}
	}
	/* The last one, overridden from the drop-in. */
	id = ident("u09999", 29999, 100, lab_g, lab_n, 2);
	p = expect_scanned(f->main, "u09999");
	expect_confirmed(p, &id, "u09999");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_string_equal(s.hostname, "last");
	assert_origin(&s, PNS_KEY_HOSTNAME, drop, 2);
	pns_policy_free(p);
	/* Someone in no section. */
	p = expect_scanned(f->main, "nobody");
	expect_confirmed(p, &nobody_special, "nobody");
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_false(s.isolate);
	assert_value(&s, PNS_KEY_TMP_SIZE, "25%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, NULL, 0);
	pns_policy_free(p);
	pns_policy_free(loaded);

	/* A misread deep in the file: load (in batches) and its account's login find it. */
	ini_lie = INI_IF_PRESENT;
	ini_lie_key = "user:u07777:tmp_size";
	expect_refused(f->main, false, -EINVAL, f->main, BIG_LINE(7777) + 1,
		"user:u07777:tmp_size is 'no', not '78%'", "misread u07777");
	p = expect_scanned(f->main, "misread u07777");
	id = ident("u07777", 27777, 100, NULL, NULL, 0);
	expect_not_confirmed(p, &id, -EINVAL, f->main, BIG_LINE(7777) + 1,
		"user:u07777:tmp_size is 'no', not '78%'", "misread u07777, u07777");
	pns_policy_free(p);
	p = expect_scanned(f->main, "misread u07777");
	id = ident("u07776", 27776, 100, NULL, NULL, 0);
	expect_confirmed(p, &id, "misread u07777, u07776");
	pns_policy_free(p);
	ini_lie = INI_TRUTH;

	/* A duplicate thousands of sections apart in one file. */
	m = fopen(f->main, "ae");
	assert_non_null(m);
	fputs("[user:u00003]\n", m);
	fclose(m);
	expect_refused(f->main, false, -EINVAL, f->main, BIG_LINE(BIG_USERS),
		"duplicate section [user:u00003] (first at line 12)", "duplicate far apart");
	free(drop);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crosscheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_phases_crosscheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ten_thousand_sections, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resolving a policy for an account: the SPEC example, precedence of
 * sections and drop-ins, and the two phases a login uses (pns_policy_scan,
 * then pns_policy_confirm for one account) checked against one load.
 * The fixtures they share: policy-test.h.
 */
#include "tests/unit/policy-test.h"

/* ---- the SPEC example --------------------------------------------------- */

static const char spec_example[] = "[default]\n"
				   "isolate    = yes\n"
				   "namespaces = mount ipc uts\n"
				   "tmp        = tmpfs\n"
				   "tmp_size   = 25%\n"
				   "\n"
				   "[group:students]\n"
				   "hostname   = %u-sandbox\n"
				   "namespaces = mount ipc uts user\n"
				   "\n"
				   "[user:alice]\n"
				   "tmp_size   = 4G\n"
				   "\n"
				   "[uid:1234]\n"
				   "isolate    = no\n";

static void test_spec_example(void **state)
{
	struct fixture *f = *state;
	static const gid_t students[] = {100, 2000};
	static const char *const student_names[] = {"users", "students"};
	struct pns_identity id;
	struct pns_policy *p;
	struct pns_settings s;

	write_text(f->main, spec_example);
	p = expect_loaded(f->main, false, "spec example");
	assert_int_equal(pns_policy_n_files(p), 1);
	assert_string_equal(pns_policy_file(p, 0), f->main);
	assert_null(pns_policy_file(p, 1));
	assert_int_equal(pns_policy_n_sections(p), 4);

	/* alice, a student: user beats group for tmp_size, group gives hostname and namespaces. */
	id = ident("alice", 1001, 100, students, student_names, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 2);
	assert_int_equal(s.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS | PNS_NS_USER);
	assert_origin(&s, PNS_KEY_NAMESPACES, f->main, 9);
	assert_int_equal(s.tmp_size.value, UINT64_C(4) << 30);
	assert_false(s.tmp_size.percent);
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 12);
	assert_string_equal(s.hostname, "%u-sandbox");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 8);
	assert_int_equal(s.var_tmp, PNS_TMP_NONE);
	assert_origin(&s, PNS_KEY_VAR_TMP, NULL, 0);

	/* uid 1234 (whatever the name) is exempt. */
	id = ident("Zed", 1234, 100, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 15);
	assert_value(&s, PNS_KEY_TMP_SIZE, "25%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 5);

	/* Someone in no section: [default]. */
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	assert_true(s.isolate);
	assert_int_equal(s.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS);
	assert_origin(&s, PNS_KEY_NAMESPACES, f->main, 3);
	assert_string_equal(s.hostname, "");
	pns_policy_free(p);
}

/* ---- precedence --------------------------------------------------------- */

static const char prec_main[] = "[default]\n"		  /* 1 */
				"isolate = yes\n"	  /* 2 */
				"tmp_size = 10%\n"	  /* 3 */
				"hostname = def\n"	  /* 4 */
				"[group:staff]\n"	  /* 5 */
				"tmp_size = 20%\n"	  /* 6 */
				"shm = shared\n"	  /* 7 */
				"[gid:500]\n"		  /* 8 */
				"tmp_size = 30%\n"	  /* 9 */
				"[user:alice]\n"	  /* 10 */
				"hostname = alice-main\n" /* 11 */
				"[uid:1234]\n"		  /* 12 */
				"isolate = no\n"	  /* 13 */
				"[user:eve]\n"		  /* 14 */
				"tmp = dir\n"		  /* 15 */
				"[uid:77]\n"		  /* 16 */
				"tmp = none\n"		  /* 17 */
				"[user:alice]\n";	  /* 18: duplicate! replaced below */

static void write_precedence(struct fixture *f, char **ret_d, char **ret_a, char **ret_b)
{
	char *d = path_in(f->dir, "pam_ns.conf.d");
	char *a, *b, *x;

	/* Without the trailing duplicate of line 18. */
	write_bytes(f->main, prec_main, strlen(prec_main) - strlen("[user:alice]\n"), 0644);
	mkdir_or_fail(d, 0755);
	a = path_in(d, "10-a.conf");
	write_text(a, "[group:staff]\n"	    /* 1 */
		      "tmp_size = 40%\n"    /* 2 */
		      "[default]\n"	    /* 3 */
		      "share = session\n"   /* 4 */
		      "[uid:77]\n"	    /* 5 */
		      "var_tmp = dir\n"	    /* 6 */
		      "[user:eve]\n"	    /* 7 */
		      "var_tmp = tmpfs\n"); /* 8 */
	b = path_in(d, "20-b.conf");
	write_text(b, "[gid:600]\n"	      /* 1 */
		      "tmp_size = 50%\n"      /* 2 */
		      "[group:students]\n"    /* 3 */
		      "hostname = grp-host\n" /* 4 */
		      "isolate = no\n"	      /* 5 */
		      "[default]\n"	      /* 6 */
		      "isolate = yes\n");     /* 7 */
	/* Not *.conf, or hidden: ignored (they would be errors, or change results). */
	x = path_in(d, "30-c.conf.disabled");
	write_text(x, "[default]\nisolate = no\n");
	free(x);
	x = path_in(d, ".99-hidden.conf");
	write_text(x, "[default]\nisolate = no\n");
	free(x);
	x = path_in(d, "README");
	write_text(x, "This is not a policy file.\n");
	free(x);
	x = path_in(d, "15-old.conf~");
	write_text(x, "[default\n");
	free(x);
	*ret_d = d;
	*ret_a = a;
	*ret_b = b;
}

static void test_precedence(void **state)
{
	struct fixture *f = *state;
	static const gid_t users_g[] = {100};
	static const char *const users_n[] = {"users"};
	static const gid_t staff_g[] = {100, 500};
	static const char *const staff_n[] = {"users", "staff"};
	static const gid_t staff_only_name_g[] = {501};
	static const char *const staff_only_name_n[] = {"staff"};
	static const gid_t both_g[] = {500, 600};
	static const char *const both_n[] = {"staff", NULL};
	static const gid_t students_g[] = {700};
	static const char *const students_n[] = {"students"};
	struct pns_identity id;
	struct pns_settings s;
	struct pns_policy *p;
	char *d, *a, *b;

	write_precedence(f, &d, &a, &b);
	p = expect_loaded(f->main, false, "precedence");
	assert_int_equal(pns_policy_n_files(p), 3);
	assert_string_equal(pns_policy_file(p, 0), f->main);
	assert_string_equal(pns_policy_file(p, 1), a);
	assert_string_equal(pns_policy_file(p, 2), b);

	/* bob: only [default]s; the later drop-in's [default] wins per key. */
	id = ident("bob", 1000, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, b, 7);
	assert_value(&s, PNS_KEY_TMP_SIZE, "10%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 3);
	assert_value(&s, PNS_KEY_HOSTNAME, "def");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 4);
	assert_value(&s, PNS_KEY_SHARE, "session");
	assert_origin(&s, PNS_KEY_SHARE, a, 4);
	assert_value(&s, PNS_KEY_SHM, "private"); /* built-in auto, ipc and mount isolated */
	assert_origin(&s, PNS_KEY_SHM, NULL, 0);
	assert_value(&s, PNS_KEY_USERNS_FALLBACK, "deny");
	assert_origin(&s, PNS_KEY_USERNS_FALLBACK, NULL, 0);

	/* carol in staff by name and gid: the last group section is 10-a's [group:staff]. */
	id = ident("carol", 1001, 100, staff_g, staff_n, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "40%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, a, 2);
	assert_value(&s, PNS_KEY_SHM, "shared");
	assert_origin(&s, PNS_KEY_SHM, f->main, 7);

	/* Group by name only (another gid): [group:staff] but not [gid:500]. */
	id = ident("frank", 1002, 501, staff_only_name_g, staff_only_name_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_origin(&s, PNS_KEY_TMP_SIZE, a, 2);

	/* By gid only (a gid whose name NSS does not know): [gid:500], then [gid:600] last. */
	id = ident("dave", 1003, 500, both_g, both_n, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "50%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, b, 2);
	/* The primary gid alone matches [gid:N] too, even when groups[] is empty. */
	id = ident("gina", 1004, 500, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "30%");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 9);

	/* alice, a student: [user:alice] beats [group:students] even from a later drop-in. */
	id = ident("alice", 1005, 700, students_g, students_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_HOSTNAME, "alice-main");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 11);
	/* ... while the group's isolate = no beats every [default]. */
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, b, 5);

	/* "Alice" is not alice: only [uid:N] can match her. */
	id = ident("Alice", 1006, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_HOSTNAME, "def");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 4);
	id = ident("Alice", 1234, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_false(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 13);

	/* Names that can never be in a header match nothing. */
	id = ident("bob:isolate", 1000, 100, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_origin(&s, PNS_KEY_ISOLATE, b, 7);

	/* eve has uid 77: user and uid sections are one tier, the one appearing last wins. */
	id = ident("eve", 77, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP, "none");
	assert_origin(&s, PNS_KEY_TMP, f->main, 17);
	assert_value(&s, PNS_KEY_VAR_TMP, "tmpfs");
	assert_origin(&s, PNS_KEY_VAR_TMP, a, 8);
	/* Someone else with uid 77 gets the uid sections only. */
	id = ident("mallory", 77, 100, users_g, users_n, 1);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_VAR_TMP, "dir");
	assert_origin(&s, PNS_KEY_VAR_TMP, a, 6);
	assert_value(&s, PNS_KEY_TMP, "none");
	pns_policy_free(p);

	/* Duplicates are per file: the same section in two files is fine, twice in one is not. */
	write_text(f->main, prec_main);
	expect_refused(f->main, false, -EINVAL, f->main, 18,
		"duplicate section [user:alice] (first at line 10)", "duplicate across lines");

	free(d);
	free(a);
	free(b);
}

static void test_resolve_edges(void **state)
{
	struct fixture *f = *state;
	struct pns_settings s, builtin;
	struct pns_identity id;
	struct pns_policy *p;
	char name[301];

	write_text(f->main, "[default]\nisolate = yes\n[user:x]\nisolate = no\n");
	p = expect_loaded(f->main, false, "edges");

	/* A 300-byte name, a NULL name, no groups: no crash, [default] applies. */
	memset(name, 'x', 300);
	name[300] = '\0';
	id = ident(name, 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	id = ident(NULL, 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_true(s.isolate);
	id = ident("x", 1, 1, NULL, NULL, 0);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_false(s.isolate);

	/* No policy, or no identity: an error, never the built-in settings; *ret untouched. */
	pns_settings_builtin(&builtin);
	s = builtin;
	s.isolate = true;
	assert_int_equal(pns_policy_resolve(NULL, &id, &s), -EINVAL);
	assert_int_equal(pns_policy_resolve(p, NULL, &s), -EINVAL);
	assert_int_equal(pns_policy_resolve(p, &id, NULL), -EINVAL);
	builtin.isolate = true;
	assert_memory_equal(&s, &builtin, sizeof(s));
	pns_policy_free(p);
	pns_policy_free(NULL);
}

/* An empty file is a deliberate, valid policy: the built-in settings (isolate = no). */

static const gid_t g_users[] = {100};
static const char *const n_users[] = {"users"};
static const gid_t g_staff[] = {100, 500};
static const char *const n_staff[] = {"users", "staff"};
static const gid_t g_staff_name[] = {501};
static const char *const n_staff_name[] = {"staff"};
static const gid_t g_both[] = {500, 600};
static const char *const n_both[] = {"staff", NULL};
static const gid_t g_students[] = {700, 2000};
static const char *const n_students[] = {"students", "lab"};

/* The accounts of test_precedence and the SPEC example, and more. */
static const struct pns_identity two_phase_ids[] = {
	{"bob", 1000, 100, g_users, n_users, 1},
	{"carol", 1001, 100, g_staff, n_staff, 2},
	{"frank", 1002, 501, g_staff_name, n_staff_name, 1},
	{"dave", 1003, 500, g_both, n_both, 2},
	{"gina", 1004, 500, NULL, NULL, 0},
	{"alice", 1005, 700, g_students, n_students, 2},
	{"alice", 1001, 100, g_staff, n_staff, 2},
	{"Alice", 1006, 100, g_users, n_users, 1},
	{"Alice", 1234, 100, g_users, n_users, 1},
	{"bob:isolate", 1000, 100, NULL, NULL, 0},
	{"eve", 77, 100, g_users, n_users, 1},
	{"mallory", 77, 100, g_users, n_users, 1},
	{"zed", 1234, 600, NULL, NULL, 0},
	{"nobody-special", 4242, 4242, NULL, NULL, 0},
	{NULL, 1, 1, NULL, NULL, 0},
};

/* For every identity: load + resolve == scan + confirm(id) + resolve. */
static void check_two_phases(const char *path, const char *what)
{
	struct pns_policy *loaded = expect_loaded(path, false, what), *seq;

	/* One scanned policy confirmed for each identity in turn, and a fresh one each. */
	seq = expect_scanned(path, what);
	for (size_t i = 0; i < ELEMENTSOF(two_phase_ids); i++) {
		const struct pns_identity *id = &two_phase_ids[i];
		struct pns_settings l, s;
		struct pns_policy *p = expect_scanned(path, what);
		char label[128];

		snprintf(label, sizeof(label), "%s, %s (uid %u)", what,
			id->name ? id->name : "(no name)", (unsigned)id->uid);
		assert_int_equal(pns_policy_resolve(loaded, id, &l), 0);
		expect_confirmed(p, id, label);
		assert_int_equal(pns_policy_resolve(p, id, &s), 0);
		assert_same_settings(&s, &l, label);
		pns_policy_free(p);

		expect_confirmed(seq, id, label);
		assert_int_equal(pns_policy_resolve(seq, id, &s), 0);
		assert_same_settings(&s, &l, label);
	}
	pns_policy_free(seq);
	pns_policy_free(loaded);
}

/* What a section's lines look like does not matter: only its sections go to iniparser. */
static const char layout_policy[] = "# pam_ns policy\n"			     /* 1 */
				    "; preamble: only comments and blanks\n" /* 2 */
				    "\n"				     /* 3 */
				    "  [default]\t \n"			     /* 4 */
				    "isolate = yes ; everyone\n"	     /* 5 */
				    "\n"				     /* 6 */
				    "# the lab\n"			     /* 7 */
				    "[group:lab]\n"			     /* 8 */
				    "\thostname = \"%u-lab\"\n"		     /* 9 */
				    "namespaces = 'mount ipc uts user'\n"    /* 10 */
				    "[user:alice]\n"			     /* 11 */
				    "[uid:1234]\n"			     /* 12 */
				    "   isolate=no#exempt\n"		     /* 13 */
				    "[gid:600]\n"			     /* 14 */
				    "tmp = dir\n"			     /* 15 */
				    "[user:carol]\n"			     /* 16 */
				    "tmp_size = 2G";			     /* 17, no newline */

static void test_two_phases_as_load(void **state)
{
	struct fixture *f = *state;
	char *d, *a, *b, *x;
	struct pns_settings s;
	struct pns_policy *p;
	struct pns_identity id;

	write_text(f->main, spec_example);
	check_two_phases(f->main, "spec example");

	write_text(f->main, layout_policy);
	check_two_phases(f->main, "layout");
	/* The last line, without its newline, reaches iniparser as it is. */
	id = ident("carol", 1001, 100, NULL, NULL, 0);
	p = expect_scanned(f->main, "layout");
	expect_confirmed(p, &id, "carol");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP_SIZE, "2G");
	assert_origin(&s, PNS_KEY_TMP_SIZE, f->main, 17);
	assert_true(s.isolate);
	assert_origin(&s, PNS_KEY_ISOLATE, f->main, 5);
	pns_policy_free(p);
	/* The group section in the middle of the file, and the preamble with [default]. */
	id = ident("lena", 1010, 100, g_students, n_students, 2);
	p = expect_scanned(f->main, "layout");
	expect_confirmed(p, &id, "lena");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_HOSTNAME, "%u-lab");
	assert_origin(&s, PNS_KEY_HOSTNAME, f->main, 9);
	assert_value(&s, PNS_KEY_NAMESPACES, "mount ipc uts user");
	pns_policy_free(p);

	/* Three files, hidden and non-.conf files beside them. */
	write_precedence(f, &d, &a, &b);
	check_two_phases(f->main, "precedence");
	/* A drop-in with no section at all (comments only), and an empty one. */
	x = path_in(d, "50-comments.conf");
	write_text(x, "# nothing here yet\n\n; really\n");
	free(x);
	x = path_in(d, "60-empty.conf");
	write_text(x, "");
	free(x);
	check_two_phases(f->main, "precedence with empty drop-ins");
	free(d);
	free(a);
	free(b);
}

/* Resolving needs a confirm, for that very account. */
static void test_confirm_contract(void **state)
{
	struct fixture *f = *state;
	static const gid_t groups[] = {100, 500};
	static const char *const group_names[] = {"users", "staff"};
	static const char *const other_names[] = {"users", "wheel"};
	static const gid_t other_groups[] = {100, 501};
	const struct pns_identity alice = ident("alice", 1001, 100, groups, group_names, 2);
	struct pns_identity id;
	struct pns_settings s, builtin;
	struct pns_policy *p;
	struct pns_diag_list d = {};
	char *name_copy;
	gid_t groups_copy[2];
	const char *names_copy[2];

	write_text(f->main, "[default]\nisolate = yes\n[user:alice]\nisolate = no\n"
			    "[group:staff]\ntmp = dir\n[user:bob]\ntmp = none\n");
	assert_int_equal(pns_policy_confirm(NULL, &alice, &d), -EINVAL);

	/* Scanned only: nothing resolves, and *ret stays as it was. */
	p = expect_scanned(f->main, "contract");
	pns_settings_builtin(&builtin);
	s = builtin;
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), -ESTALE);
	assert_memory_equal(&s, &builtin, sizeof(s));

	expect_confirmed(p, &alice, "alice");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_false(s.isolate);
	assert_value(&s, PNS_KEY_TMP, "dir");

	/* The same account in other memory: fine. */
	name_copy = strdup("alice");
	assert_non_null(name_copy);
	memcpy(groups_copy, groups, sizeof(groups));
	memcpy(names_copy, group_names, sizeof(group_names));
	id = ident(name_copy, 1001, 100, groups_copy, names_copy, 2);
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);

	/* Anything else is another account. */
	s = builtin;
	id.uid = 1002;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.name = "bob";
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id.name = NULL;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.gid = 500;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.n_groups = 1;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.groups = other_groups;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.group_names = other_names;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	id = alice;
	id.group_names = NULL;
	assert_int_equal(pns_policy_resolve(p, &id, &s), -ESTALE);
	assert_memory_equal(&s, &builtin, sizeof(s));

	/* A later confirm replaces the account. */
	id = ident("bob", 1003, 100, NULL, NULL, 0);
	expect_confirmed(p, &id, "bob");
	assert_int_equal(pns_policy_resolve(p, &id, &s), 0);
	assert_value(&s, PNS_KEY_TMP, "none");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), -ESTALE);

	/* Confirmed for everyone (what load does): any account, also after another confirm. */
	expect_confirmed(p, NULL, "everyone");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_int_equal(pns_policy_resolve(p, &nobody_special, &s), 0);
	expect_confirmed(p, &id, "bob after everyone");
	assert_int_equal(pns_policy_resolve(p, &alice, &s), 0);
	assert_false(s.isolate);
	pns_policy_free(p);
	free(name_copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spec_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_phases_as_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm_contract, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

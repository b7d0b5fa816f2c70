/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>

#include "common/plan.h"

static const gid_t groups[] = {1000};
static const char *const group_names[] = {"alice"};
static const struct pns_identity alice = {
	.name = "alice",
	.uid = 1000,
	.gid = 1000,
	.groups = groups,
	.group_names = group_names,
	.n_groups = 1,
};

static void isolated(struct pns_settings *s)
{
	pns_settings_builtin(s);
	s->isolate = true;
}

static void test_defaults(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	struct pns_mount_step steps[PNS_MAX_STEPS];
	const char *why = NULL;
	size_t n;

	isolated(&s);
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS);
	assert_true(p.shm_private); /* auto + ipc isolated */
	assert_string_equal(p.hostname, "");

	n = pns_plan_mount_steps(&p, steps);
	assert_int_equal(n, 4);
	/* Propagation comes before any mount. */
	assert_int_equal(steps[0].kind, PNS_STEP_SLAVE_ROOT);
	assert_int_equal(steps[0].flags, MS_SLAVE | MS_REC);
	assert_int_equal(steps[1].kind, PNS_STEP_TMPFS);
	assert_string_equal(steps[1].target, "/tmp");
	assert_string_equal(steps[1].data, "mode=1777,size=25%");
	assert_int_equal(steps[1].flags, MS_NOSUID | MS_NODEV);
	assert_string_equal(steps[2].target, "/dev/shm");
	/* /dev/shm has a size of its own, not tmp_size's (issue 11, finding 7). */
	assert_string_equal(steps[2].data, "mode=1777,size=10%");
	assert_int_equal(steps[2].flags, MS_NOSUID | MS_NODEV);
	assert_int_equal(steps[3].kind, PNS_STEP_MQUEUE);
	assert_true(steps[3].optional);
}

static void test_sizes_and_dirs(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	struct pns_mount_step steps[PNS_MAX_STEPS];
	const char *why = NULL;
	size_t n;

	isolated(&s);
	s.namespaces = PNS_NS_MOUNT;
	s.tmp_size = (struct pns_size){.value = 4ull << 30};
	s.tmp_inodes = 5000;
	s.var_tmp = PNS_TMP_DIR;
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	assert_false(p.shm_private); /* no ipc: /dev/shm stays the host's */
	n = pns_plan_mount_steps(&p, steps);
	assert_int_equal(n, 3);
	assert_string_equal(steps[1].data, "mode=1777,size=4294967296,nr_inodes=5000");
	assert_int_equal(steps[2].kind, PNS_STEP_BIND_DIR);
	assert_string_equal(steps[2].target, "/var/tmp");
	assert_string_equal(steps[2].state_subdir, "var-tmp");
}

/* tmp_size and tmp_inodes size /tmp and /var/tmp; shm_size and shm_inodes
 * the private /dev/shm. Neither leaks into the other. */
static void test_shm_size(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	struct pns_mount_step steps[PNS_MAX_STEPS];
	const char *why = NULL;
	size_t n;

	isolated(&s);
	s.tmp_size = (struct pns_size){.value = 1u << 20};
	s.tmp_inodes = 100;
	s.var_tmp = PNS_TMP_TMPFS;
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	n = pns_plan_mount_steps(&p, steps);
	assert_int_equal(n, 5);
	assert_string_equal(steps[1].target, "/tmp");
	assert_string_equal(steps[1].data, "mode=1777,size=1048576,nr_inodes=100");
	assert_string_equal(steps[2].target, "/var/tmp");
	assert_string_equal(steps[2].data, "mode=1777,size=1048576,nr_inodes=100");
	assert_string_equal(steps[3].target, "/dev/shm");
	assert_string_equal(steps[3].data, "mode=1777,size=10%");

	s.shm_size = (struct pns_size){.value = 2u << 20};
	s.shm_inodes = 50;
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	assert_true(p.shm_size.value == 2u << 20 && !p.shm_size.percent);
	assert_int_equal(p.shm_inodes, 50);
	n = pns_plan_mount_steps(&p, steps);
	assert_int_equal(n, 5);
	assert_string_equal(steps[1].data, "mode=1777,size=1048576,nr_inodes=100");
	assert_string_equal(steps[3].data, "mode=1777,size=2097152,nr_inodes=50");

	s.shm_size = (struct pns_size){.value = 100, .percent = true};
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	n = pns_plan_mount_steps(&p, steps);
	assert_string_equal(steps[3].data, "mode=1777,size=100%,nr_inodes=50");

	/* shm = shared: no /dev/shm step, whatever shm_size says. */
	s.shm = PNS_SHM_SHARED;
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	n = pns_plan_mount_steps(&p, steps);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(steps[i].target, "/dev/shm");

	/* A settings struct the table did not fill (size 0: tmpfs's "no limit") is refused. */
	s.shm = PNS_SHM_AUTO;
	s.shm_size = (struct pns_size){0};
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), -EINVAL);
	assert_non_null(strstr(why, "shm_size"));
}

static void test_no_mount_ns_means_no_steps(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	struct pns_mount_step steps[PNS_MAX_STEPS];
	const char *why = NULL;

	isolated(&s);
	s.namespaces = PNS_NS_IPC | PNS_NS_UTS;
	s.tmp = PNS_TMP_NONE;
	assert_int_equal(pns_plan_build(&s, &alice, "host", &p, &why), 0);
	assert_false(p.shm_private);
	assert_int_equal(pns_plan_mount_steps(&p, steps), 0);
}

static void test_hostname(void **state)
{
	static const struct {
		const char *tmpl, *user, *expect; /* NULL: denied */
	} rows[] = {
		{"%u-sandbox", "alice", "alice-sandbox"}, {"u%U.%h", "alice", "u1000.host"},
		{"100%%", "alice", NULL}, /* '%' is not a host name character */
		{"%u", "john_doe", NULL}, /* '_' is not either */
		{"%u", "a.b", "a.b"}, {"%u", "-x", NULL},
		{"%u-%u-%u-%u-%u", "abcdefghijklmn", NULL}, /* over 64 bytes */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pns_identity id = alice;
		struct pns_settings s;
		struct pns_plan p;
		const char *why = NULL;
		int r;

		isolated(&s);
		strcpy(s.hostname, rows[i].tmpl);
		id.name = rows[i].user;
		r = pns_plan_build(&s, &id, "host", &p, &why);
		if (rows[i].expect) {
			assert_int_equal(r, 0);
			assert_string_equal(p.hostname, rows[i].expect);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_non_null(why);
		}
	}
}

static void test_inconsistent(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	const char *why = NULL;

	/* The built-in tmp = tmpfs quietly becomes none without a mount namespace... */
	isolated(&s);
	s.namespaces = PNS_NS_IPC;
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), 0);
	assert_int_equal(p.tmp, PNS_TMP_NONE);
	/* ...but a tmp the admin wrote is an error, not silently dropped. */
	s.origin[PNS_KEY_TMP] = (struct pns_origin){.file = "/etc/security/pam_ns.conf", .line = 3};
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), -EINVAL);
	assert_non_null(strstr(why, "mount"));

	isolated(&s);
	strcpy(s.hostname, "box");
	s.namespaces = PNS_NS_MOUNT;
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), -EINVAL);
	assert_non_null(strstr(why, "uts"));

	isolated(&s);
	s.shm = PNS_SHM_PRIVATE;
	s.namespaces = PNS_NS_MOUNT | PNS_NS_UTS;
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), -EINVAL);

	pns_settings_builtin(&s); /* not isolated */
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), -EINVAL);
}

static void test_validate(void **state)
{
	struct pns_settings s;
	struct pns_plan p, q;
	const char *why;

	isolated(&s);
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), 0);
	assert_int_equal(pns_plan_validate(&p, &why), 0);

	q = p;
	q.tmp_size.value = 0; /* tmpfs: size=0 means unlimited */
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	q = p;
	q.tmp_size = (struct pns_size){.value = 101, .percent = true};
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	q = p;
	q.shm_size.value = 0;
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	assert_non_null(strstr(why, "shm_size"));
	q = p;
	q.shm_size = (struct pns_size){.value = 101, .percent = true};
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	q = p;
	q.shm_size = (struct pns_size){.value = 100, .percent = true};
	assert_int_equal(pns_plan_validate(&q, &why), 0);
	q = p;
	q.shm_size = (struct pns_size){.value = 101}; /* 101 bytes: valid */
	assert_int_equal(pns_plan_validate(&q, &why), 0);
	q = p;
	q.uid = UINT32_MAX;
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	q = p;
	q.namespaces = 1u << 7;
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	q = p;
	strcpy(q.hostname, "bad_name");
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
	q = p;
	q.tmp = (enum pns_tmp)7;
	assert_int_equal(pns_plan_validate(&q, &why), -EINVAL);
}

static void test_userns_fallback(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	const char *why = NULL;
	bool skipped;

	isolated(&s);
	s.namespaces |= PNS_NS_USER;
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), 0);
	/* A caller with a child hook keeps it. */
	assert_int_equal(pns_plan_for_caller(&p, true, &skipped, &why), 0);
	assert_false(skipped);
	assert_true(p.namespaces & PNS_NS_USER);
	/* deny (the default) refuses, and says what to change. */
	assert_int_equal(pns_plan_for_caller(&p, false, &skipped, &why), -EOPNOTSUPP);
	assert_non_null(strstr(why, "userns_fallback"));
	/* skip drops only the user namespace. */
	p.userns_fallback = PNS_USERNS_FALLBACK_SKIP;
	assert_int_equal(pns_plan_for_caller(&p, false, &skipped, &why), 0);
	assert_true(skipped);
	assert_int_equal(p.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS);
	/* Nothing left: refused rather than an empty "isolation". */
	p.namespaces = PNS_NS_USER;
	assert_int_equal(pns_plan_for_caller(&p, false, &skipped, &why), -EOPNOTSUPP);
}

static void test_subids(void **state)
{
	struct pns_settings s;
	struct pns_plan p;
	const char *why = NULL;
	const struct pns_idrange good = {100000, 65536}, has_root = {0, 65536},
				 has_self = {900, 200};
	char map[256];

	isolated(&s);
	s.namespaces |= PNS_NS_USER;
	s.userns_map = PNS_USERNS_MAP_SUBID;
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), 0);
	/* Built, but not valid for the wire until the ranges are attached. */
	assert_int_equal(pns_plan_validate(&p, &why), -EINVAL);
	assert_int_equal(pns_plan_set_subids(&p, &has_root, &good, &why), -EINVAL);
	assert_int_equal(pns_plan_set_subids(&p, &good, &has_self, &why), -EINVAL);
	assert_int_equal(pns_plan_set_subids(&p, &good, &good, &why), 0);
	assert_int_equal(pns_plan_validate(&p, &why), 0);
	assert_true(pns_plan_uid_map(&p, map, sizeof(map)) > 0);
	assert_string_equal(map, "1000 1000 1\n0 100000 1000\n1001 101000 64536\n");

	/* self: only the account's own ids. */
	isolated(&s);
	s.namespaces |= PNS_NS_USER;
	assert_int_equal(pns_plan_build(&s, &alice, "h", &p, &why), 0);
	assert_true(pns_plan_gid_map(&p, map, sizeof(map)) > 0);
	assert_string_equal(map, "1000 1000 1\n");
}

/* What the anchor joins and what it logs when it supersedes a set. */
static void test_fits_set(void **state)
{
	struct pns_settings s;
	struct pns_plan set, login;
	const char *why = NULL;
	char diff[400];

	isolated(&s);
	assert_int_equal(pns_plan_build(&s, &alice, "host", &set, &why), 0);
	login = set;
	assert_true(pns_plan_fits_set(&login, &set));
	pns_plan_describe_difference(&set, &login, diff, sizeof(diff));
	assert_string_equal(diff, "plan changed");

	/* Each key a set is made of. */
	login.tmp = PNS_TMP_DIR;
	assert_false(pns_plan_fits_set(&login, &set));
	pns_plan_describe_difference(&set, &login, diff, sizeof(diff));
	assert_string_equal(diff, "tmp tmpfs -> dir");
	login = set;
	strcpy(login.hostname, "box");
	login.tmp_inodes = 100;
	assert_false(pns_plan_fits_set(&login, &set));
	pns_plan_describe_difference(&set, &login, diff, sizeof(diff));
	assert_string_equal(diff, "tmp_inodes 0 -> 100, hostname '' -> 'box'");

	/* shm_size matters only where the set has a private /dev/shm. */
	login = set;
	login.shm_size.value = 5;
	assert_false(pns_plan_fits_set(&login, &set));
	pns_plan_describe_difference(&set, &login, diff, sizeof(diff));
	assert_string_equal(diff, "shm_size 10% -> 5%");
	set.shm_private = login.shm_private = false;
	assert_true(pns_plan_fits_set(&login, &set));

	/* A login without a user namespace joins a set with one, whatever its
	 * user namespace keys; one with a user namespace must match them. */
	set.shm_private = login.shm_private = true;
	login = set;
	set.namespaces |= PNS_NS_USER;
	set.userns_map = PNS_USERNS_MAP_SUBID;
	assert_true(pns_plan_fits_set(&login, &set));
	login.namespaces |= PNS_NS_USER;
	assert_false(pns_plan_fits_set(&login, &set));
	pns_plan_describe_difference(&set, &login, diff, sizeof(diff));
	assert_string_equal(diff, "userns_map changed");
	login.userns_map = set.userns_map;
	assert_true(pns_plan_fits_set(&login, &set));

	/* The buffer bounds the sentence. */
	login.tmp = PNS_TMP_NONE;
	pns_plan_describe_difference(&set, &login, diff, 8);
	assert_string_equal(diff, "tmp tmp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sizes_and_dirs),
		cmocka_unit_test(test_shm_size),
		cmocka_unit_test(test_no_mount_ns_means_no_steps),
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_inconsistent),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_userns_fallback),
		cmocka_unit_test(test_subids),
		cmocka_unit_test(test_fits_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

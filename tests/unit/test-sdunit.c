/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The anchor's unit name, and reading a unit out of /proc/PID/cgroup and a
 * pid out of a pidfd's fdinfo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/sdunit.h"

static void test_unit_name(void **state)
{
	char buf[PNS_UNIT_NAME_MAX];

	assert_int_equal(pns_unit_name(1000, 0x1234abcdULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "pam_ns-1000-000000001234abcd.scope");
	assert_int_equal(pns_unit_name(4294967294u, UINT64_MAX, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "pam_ns-4294967294-ffffffffffffffff.scope");
	/* Exactly enough, and one byte short. */
	assert_int_equal(
		pns_unit_name(0, 1, buf, strlen("pam_ns-0-0000000000000001.scope") + 1), 0);
	assert_int_equal(
		pns_unit_name(0, 1, buf, strlen("pam_ns-0-0000000000000001.scope")), -ENOBUFS);
}

static void expect_unit(const char *text, const char *want)
{
	char buf[PNS_UNIT_NAME_MAX];

	assert_int_equal(pns_cgroup_unit(text, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_cgroup_unit(void **state)
{
	char small[8];

	expect_unit("0::/pam_ns.slice/pam_ns-1000-000000001234abcd.scope\n",
		"pam_ns-1000-000000001234abcd.scope");
	expect_unit("0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope");
	expect_unit("0::/system.slice/ssh.service\n", "ssh.service");
	/* Inside a unit's own sub-cgroups: still the unit. */
	expect_unit("0::/system.slice/foo.service/payload/x\n", "foo.service");
	expect_unit("0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-u1.service\n",
		"run-u1.service");
	/* No newline at the end; a hybrid host's v1 lines before the v2 one. */
	expect_unit("12:cpu,cpuacct:/x\n1:name=systemd:/user.slice/a.scope\n0::/b.slice/c.scope",
		"c.scope");
	/* Only systemd's v1 hierarchy. */
	expect_unit("3:cpu:/\n1:name=systemd:/system.slice/cron.service\n", "cron.service");
	/* Not a unit: the root, a plain directory, a name that only contains a suffix. */
	expect_unit("0::/\n", "-");
	expect_unit("0::/pamns-rig-12\n", "-");
	expect_unit("0::/a.scopex/.scope\n", "-");
	/* A 0:: line further down; a "0::" inside another line does not count. */
	expect_unit("5:name=x:/0::/y.scope\n0::/z.scope\n", "z.scope");

	assert_int_equal(pns_cgroup_unit("", small, sizeof(small)), -ENOENT);
	assert_int_equal(pns_cgroup_unit("3:cpu:/a.scope\n", small, sizeof(small)), -ENOENT);
	assert_int_equal(pns_cgroup_unit("0::/x/abcdefgh.scope\n", small, sizeof(small)), -ENOBUFS);
}

static void test_fdinfo_pid(void **state)
{
	pid_t pid = 0;

	assert_int_equal(pns_fdinfo_pid("pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1\n"
					"Pid:\t4242\nNSpid:\t4242\n",
				 &pid),
		0);
	assert_int_equal(pid, 4242);
	assert_int_equal(pns_fdinfo_pid("Pid:\t7", &pid), 0);
	assert_int_equal(pid, 7);
	/* Exited; in another pid namespace; absent; not a number. */
	assert_int_equal(pns_fdinfo_pid("pos:\t0\nPid:\t-1\n", &pid), -ESRCH);
	assert_int_equal(pns_fdinfo_pid("Pid:\t0\n", &pid), -ESRCH);
	assert_int_equal(pns_fdinfo_pid("pos:\t0\nNSpid:\t3\n", &pid), -EBADMSG);
	assert_int_equal(pns_fdinfo_pid("Pid:\t12x\n", &pid), -EBADMSG);
	assert_int_equal(pns_fdinfo_pid("Pid:\t\n", &pid), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_name),
		cmocka_unit_test(test_cgroup_unit),
		cmocka_unit_test(test_fdinfo_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

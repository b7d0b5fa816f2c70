/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening the policy: files that are not regular files, ownership and
 * modes of the files and their directories, the drop-in names.
 * The fixtures they share: policy-test.h.
 */
#include "tests/unit/policy-test.h"

/* ---- files that are not what they should be -------------------------------- */

static void on_alarm(int sig)
{
	static const char msg[] = "test-policy-files: pns_policy_load() blocked\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_file_types(void **state)
{
	struct fixture *f = *state;
	char *real = path_in(f->dir, "real.conf");
	char *d = path_in(f->dir, "pam_ns.conf.d");
	char *x;
	double t0;

	write_text(real, "[default]\nisolate = yes\n");

	/* Missing: an error, never an empty policy. */
	expect_refused(f->main, false, -EINVAL, f->main, 0, "no such file", "missing file");
	x = path_in(f->dir, "nodir/pam_ns.conf");
	expect_refused(x, false, -EINVAL, x, 0, "no such file", "missing directory");
	free(x);
	expect_refused(
		f->dir, false, -EINVAL, f->dir, 0, "is a directory", "directory as the file");

	/* A symlink, even to a good file. */
	assert_int_equal(symlink(real, f->main), 0);
	expect_refused(f->main, false, -EINVAL, f->main, 0, "is a symbolic link", "symlink");
	unlink(f->main);

	/* A directory reads as an empty dictionary to iniparser. */
	mkdir_or_fail(f->main, 0755);
	expect_refused(f->main, false, -EINVAL, f->main, 0, "is a directory", "directory");
	rmdir(f->main);

	/* A FIFO would block fopen(): refused at once. */
	assert_int_equal(mkfifo(f->main, 0644), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	t0 = now();
	expect_refused(f->main, false, -EINVAL, f->main, 0, "is a FIFO", "FIFO");
	alarm(0);
	assert_true(now() - t0 < 2.0);
	unlink(f->main);

	/* A device. */
	expect_refused(
		"/dev/null", false, -EINVAL, "/dev/null", 0, "is a character device", "device");

	/* Over the size cap (sparse, so cheap). */
	{
		int fd = open(f->main, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
		close(fd);
		expect_refused(f->main, false, -EINVAL, f->main, 0, "larger than 4 MiB", "too big");
		unlink(f->main);
	}

	/* Drop-ins: the .d directory must be a directory, each *.conf a regular file. */
	write_text(f->main, "[default]\nisolate = yes\n");
	write_text(d, "not a directory\n");
	expect_refused(f->main, false, -EINVAL, d, 0, "not a directory", "pam_ns.conf.d is a file");
	unlink(d);
	assert_int_equal(symlink(f->dir, d), 0);
	expect_refused(
		f->main, false, -EINVAL, d, 0, "is a symbolic link", "pam_ns.conf.d is a symlink");
	unlink(d);
	mkdir_or_fail(d, 0755);

	x = path_in(d, "a.conf");
	mkdir_or_fail(x, 0755);
	expect_refused(f->main, false, -EINVAL, x, 0, "is a directory", "drop-in directory");
	rmdir(x);
	assert_int_equal(mkfifo(x, 0644), 0);
	alarm(10);
	expect_refused(f->main, false, -EINVAL, x, 0, "is a FIFO", "drop-in FIFO");
	alarm(0);
	unlink(x);
	assert_int_equal(symlink(real, x), 0);
	expect_refused(f->main, false, -EINVAL, x, 0, "is a symbolic link", "drop-in symlink");
	unlink(x);
	/* A bad drop-in also names its own line. */
	write_text(x, "[default]\n\nisolate = perhaps\n");
	expect_refused(f->main, false, -EINVAL, x, 3, "isolate: invalid value", "bad drop-in");
	/* A drop-in cannot continue the previous file's section. */
	write_text(x, "tmp = none\n");
	expect_refused(
		f->main, false, -EINVAL, x, 1, "outside a section", "drop-in without section");
	unlink(x);
	free(x);

	/* Problems in the main file and in drop-ins are all reported. */
	write_text(f->main, "[default]\nisolate = perhaps\n");
	x = path_in(d, "b.conf");
	write_text(x, "[Default]\n");
	expect_refused(f->main, false, -EINVAL, x, 1, "upper-case", "both bad (drop-in)");
	expect_refused(f->main, false, -EINVAL, f->main, 2, "isolate", "both bad (main)");
	unlink(x);
	free(x);

	/* The main file missing, drop-ins present: still an error. */
	unlink(f->main);
	x = path_in(d, "b.conf");
	write_text(x, "[default]\nisolate = yes\n");
	expect_refused(f->main, false, -EINVAL, f->main, 0, "no such file",
		"main missing, drop-in present");
	unlink(x);
	free(x);

	free(real);
	free(d);
}

/* ---- ownership and modes (require_root_owned) --------------------------- */

/* Give the file a non-root owner: 65534 when we are root, ourselves otherwise. */
static bool make_not_root_owned(const char *path, unsigned *ret_uid)
{
	int fd, r;

	if (geteuid() != 0) {
		*ret_uid = (unsigned)geteuid();
		return true;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = fchown(fd, 65534, 65534);
	close(fd);
	if (r < 0) {
		/* Root of a user namespace (unshare -r) where 65534 is not mapped. */
		print_message("cannot chown to 65534 (%s): not-root-owned cases skipped\n",
			strerror(errno));
		return false;
	}
	*ret_uid = 65534;
	return true;
}

static void test_ownership(void **state)
{
	struct fixture *f = *state;
	char uid_msg[64];
	char *sub, *file, *link, *linked;
	unsigned uid;

	/* mkdtemp() made the directory 0700; /tmp above it is 1777 and is reported too. */
	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
	expect_refused(f->main, true, -EINVAL, "/tmp", 0,
		"directory is writable by group or others (mode 1777)", "sticky /tmp");

	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0666);
	expect_refused(f->main, true, -EINVAL, f->main, 0,
		"file is writable by group or others (mode 0666)", "world-writable file");
	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0664);
	expect_refused(f->main, true, -EINVAL, f->main, 0,
		"file is writable by group or others (mode 0664)", "group-writable file");

	/* The directory itself writable by others. */
	write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
	assert_int_equal(chmod(f->dir, 0777), 0);
	expect_refused(f->main, true, -EINVAL, f->dir, 0,
		"directory is writable by group or others (mode 0777)", "world-writable directory");
	assert_int_equal(chmod(f->dir, 0755), 0);

	/* A file owned by someone else, as the main file and as a drop-in. */
	sub = path_in(f->dir, "pam_ns.conf.d");
	file = path_in(sub, "a.conf");
	if (make_not_root_owned(f->main, &uid)) {
		snprintf(uid_msg, sizeof(uid_msg), "file is owned by uid %u, not root", uid);
		expect_refused(f->main, true, -EINVAL, f->main, 0, uid_msg, "not owned by root");
		write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
		mkdir_or_fail(sub, 0755);
		write_bytes(file, "[default]\nisolate = yes\n", 24, 0644);
		assert_true(make_not_root_owned(file, &uid));
		expect_refused(
			f->main, true, -EINVAL, file, 0, uid_msg, "drop-in not owned by root");
		unlink(file);
	} else {
		write_bytes(f->main, "[default]\nisolate = yes\n", 24, 0644);
		mkdir_or_fail(sub, 0755);
	}
	write_bytes(file, "[default]\nisolate = yes\n", 24, 0646);
	expect_refused(f->main, true, -EINVAL, file, 0, "(mode 0646)", "world-writable drop-in");
	unlink(file);
	assert_int_equal(chmod(sub, 0775), 0);
	expect_refused(f->main, true, -EINVAL, sub, 0,
		"directory is writable by group or others (mode 0775)",
		"group-writable drop-in directory");
	rmdir(sub);

	/* A symlink on the way: walked from "/" without following it. */
	sub = (free(sub), path_in(f->dir, "real"));
	mkdir_or_fail(sub, 0755);
	free(file);
	file = path_in(sub, "pam_ns.conf");
	write_bytes(file, "[default]\nisolate = yes\n", 24, 0644);
	link = path_in(f->dir, "link");
	assert_int_equal(symlink(sub, link), 0);
	linked = path_in(link, "pam_ns.conf");
	expect_refused(linked, true, -EINVAL, link, 0, "is a symbolic link", "symlinked directory");
	/* Without the ownership checks a symlinked *directory* is followed (tests and --config). */
	pns_policy_free(expect_loaded(linked, false, "symlinked directory, no checks"));

	/* A relative path is checked from "/" through the working directory. */
	assert_int_equal(chdir(f->dir), 0);
	expect_refused("pam_ns.conf", true, -EINVAL, "/tmp", 0,
		"directory is writable by group or others (mode 1777)", "relative");
	expect_refused("real/pam_ns.conf", true, -EINVAL, "/tmp", 0,
		"directory is writable by group or others (mode 1777)",
		"relative in a subdirectory");
	assert_int_equal(chdir("/"), 0);
	/* Dot components are refused when the checks are on. */
	free(linked);
	linked = path_in(f->dir, "real/../real/pam_ns.conf");
	expect_refused(linked, true, -EINVAL, linked, 0, "'.' or '..'", "dot-dot");

	free(linked);
	free(link);
	free(file);
	free(sub);
}

/* As root, a policy in root-owned directories passes the checks (under /run: /tmp is 1777). */
static void test_root_owned_ok(void **state)
{
	char dir[] = "/run/pns-test-policy-XXXXXX";
	char *file, *d, *drop;
	struct pns_policy *p;

	if (geteuid() != 0 || !mkdtemp(dir)) {
		skip();
		return;
	}
	if (chmod(dir, 0755) < 0)
		fail_msg("chmod");
	file = path_in(dir, "pam_ns.conf");
	write_bytes(file, "[default]\nisolate = yes\n", 24, 0644);
	d = path_in(dir, "pam_ns.conf.d");
	mkdir_or_fail(d, 0755);
	drop = path_in(d, "a.conf");
	write_bytes(drop, "[user:a]\nisolate = no\n", 22, 0600);
	p = expect_loaded(file, true, "root-owned");
	assert_int_equal(pns_policy_n_files(p), 2);
	pns_policy_free(p);
	/* The same, relative to the working directory. */
	assert_int_equal(chdir(dir), 0);
	p = expect_loaded("pam_ns.conf", true, "root-owned, relative");
	assert_string_equal(pns_policy_file(p, 0), "pam_ns.conf");
	assert_string_equal(pns_policy_file(p, 1), "pam_ns.conf.d/a.conf");
	pns_policy_free(p);
	assert_int_equal(chdir("/"), 0);
	unlink(drop);
	rmdir(d);
	unlink(file);
	rmdir(dir);
	free(drop);
	free(d);
	free(file);
}

/* The drop-in rule that the loader and pam_nsctl check share. */
static void test_dropin_name(void **state)
{
	assert_true(pns_policy_is_dropin_name("10-site.conf"));
	assert_true(pns_policy_is_dropin_name("x.conf"));
	assert_false(pns_policy_is_dropin_name(".conf"));
	assert_false(pns_policy_is_dropin_name(".hidden.conf"));
	assert_false(pns_policy_is_dropin_name("site.conf~"));
	assert_false(pns_policy_is_dropin_name("site.cnf"));
	assert_false(pns_policy_is_dropin_name("conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ownership, setup, teardown),
		cmocka_unit_test(test_root_owned_ok),
		cmocka_unit_test(test_dropin_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Out of memory: a load in a fresh process under RLIMIT_AS fails cleanly
 * with -ENOMEM or succeeds with the whole policy.
 * The fixtures they share: policy-test.h.
 */
#include "tests/unit/policy-test.h"

/* ---- out of memory -------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/*
 * In a fresh process (this program run with LOAD_WITH_LIMIT) with RLIMIT_AS
 * just above its size: 0 loaded, 3 failed cleanly, 1 wrong, 2 cannot. Not a
 * forked child: the heap that earlier tests left behind would feed the
 * loader without new address space, and the limit would never bite.
 */
#define LOAD_WITH_LIMIT "--load-with-limit"
/* This program, as readlink() names it (under valgrind: the program, not valgrind). */
static char self_exe[4096];

static int load_with_limit(const char *path, size_t extra)
{
	struct pns_diag_list d = {};
	struct pns_policy *p = UNTOUCHED;
	unsigned long pages = 0;
	struct rlimit rl;
	FILE *statm;
	int r;

	statm = fopen("/proc/self/statm", "re");
	if (!statm || fscanf(statm, "%lu", &pages) != 1)
		return 2;
	fclose(statm);
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + extra;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		return 2;

	r = pns_policy_load(path, false, &p, &d);
	if (r == 0) {
		static const struct pns_identity u = {.name = "u777", .uid = 5, .gid = 5};
		struct pns_settings s;

		/* Whatever succeeds is the whole policy. */
		if (p == UNTOUCHED || !p || pns_policy_n_sections(p) != 2001)
			return 1;
		if (pns_policy_resolve(p, &u, &s) < 0 || !s.isolate || s.tmp_inodes != 778 ||
			!s.origin[PNS_KEY_ISOLATE].file)
			return 1;
		pns_policy_free(p);
		pns_diag_list_clear(&d);
		return 0;
	}
	/* Also when iniparser ran out: 4.1 then drops lines and returns the rest. */
	if (p != UNTOUCHED || r != -ENOMEM)
		return 1;
	pns_diag_list_clear(&d);
	return 3;
}

static void test_out_of_memory(void **state)
{
	struct fixture *f = *state;
	unsigned failed = 0, succeeded = 0;
	char *text = NULL;
	size_t size = 0;
	FILE *m;

#ifdef UNDER_ASAN
	skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be used. */
	return;
#endif
	m = open_memstream(&text, &size);
	assert_non_null(m);
	fputs("[default]\nisolate = no\n", m);
	for (int i = 0; i < 2000; i++)
		fprintf(m, "[user:u%d]\nisolate = yes\ntmp_inodes = %d\nhostname = h%d-%%u\n", i,
			i + 1, i);
	fclose(m);
	write_text(f->main, text);
	free(text);

	/* Raise the limit step by step, so that allocations fail at every stage. */
	for (size_t extra = 0; extra < ((size_t)64 << 20) && succeeded < 8; extra += 16 << 10) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			char arg[32];

			snprintf(arg, sizeof(arg), "%zu", extra);
			execl(self_exe, "test-policy", LOAD_WITH_LIMIT, f->main, arg, (char *)NULL);
			_exit(2);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status))
			fail_msg("load with %zu bytes to spare died with signal %d", extra,
				WTERMSIG(status));
		switch (WEXITSTATUS(status)) {
		case 0:
			succeeded++;
			break;
		case 2:
			skip();
			return;
		case 3:
			failed++;
			break;
		default:
			fail_msg("load with %zu bytes to spare: wrong result", extra);
		}
	}
	print_message(
		"out of memory: %u limits failed cleanly, then %u succeeded\n", failed, succeeded);
	/* The limits must have bitten, and the policy must load once there is room. */
	assert_true(failed > 0);
	assert_true(succeeded > 0);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], LOAD_WITH_LIMIT) == 0)
		return load_with_limit(argv[2], (size_t)strtoull(argv[3], NULL, 10));
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0)
		strcpy(self_exe, "/proc/self/exe");

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The fixtures the policy loader's tests share (test-policy-*.c):
 * man/pam_ns.conf.5 and the policy rows of docs/SECURITY.md. Fixtures are
 * written into a fresh mkdtemp() directory per test; every load that must
 * fail is checked for -EINVAL, the line, a fragment of the message, and an
 * untouched *ret. Most tests load in one go (pns_policy_load); the two
 * phases a login uses (pns_policy_scan, then pns_policy_confirm for one
 * account) are checked against it.
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/policy.h"

/* What a failed load must leave in *ret. */
extern struct pns_policy *const UNTOUCHED;

struct fixture {
	char dir[64];
	char main[128];
};

/* cmocka setup and teardown: a fresh directory, f->main the policy in it. */
int setup(void **state);
int teardown(void **state);

/* dir/name, allocated. */
char *path_in(const char *dir, const char *name);
void write_bytes(const char *path, const char *data, size_t len, mode_t mode);
void write_text(const char *path, const char *text);
void mkdir_or_fail(const char *path, mode_t mode);

void print_diags(const struct pns_diag_list *d);
/* Is there a diag for file (NULL: any) at line (-1: any) whose message contains fragment? */
bool has_diag(const struct pns_diag_list *d, const char *file, int line, const char *fragment);
/* Load and expect failure with a diag (file, line, fragment); *ret must stay untouched. */
void expect_refused(const char *path, bool root, int expected_r, const char *diag_file, int line,
	const char *fragment, const char *what);

typedef int (*loader_fn)(const char *, bool, struct pns_policy **, struct pns_diag_list *);
/* A valid policy through loader (pns_policy_load or pns_policy_scan), no diagnostic. */
struct pns_policy *expect_valid(
	loader_fn loader, const char *verb, const char *path, bool root, const char *what);
struct pns_policy *expect_loaded(const char *path, bool root, const char *what);
struct pns_policy *expect_scanned(const char *path, const char *what);

struct pns_identity ident(const char *name, uid_t uid, gid_t gid, const gid_t *groups,
	const char *const *names, size_t n);
extern const struct pns_identity nobody_special;

void format_or_fail(const struct pns_settings *s, enum pns_key k, char *buf, size_t size);
void assert_origin(const struct pns_settings *s, enum pns_key k, const char *file, unsigned line);
void assert_value(const struct pns_settings *s, enum pns_key k, const char *expected);

/* Two phases: confirm for one account must succeed with no diagnostic, or
 * fail with expected_r and a diag (file, line, fragment). */
void expect_confirmed(struct pns_policy *p, const struct pns_identity *id, const char *what);
void expect_not_confirmed(struct pns_policy *p, const struct pns_identity *id, int expected_r,
	const char *file, int line, const char *fragment, const char *what);
/* Same values and origins (file name and line) from two policy objects. */
void assert_same_settings(
	const struct pns_settings *a, const struct pns_settings *b, const char *what);

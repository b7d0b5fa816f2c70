/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz the policy loader (catalogue row 25): the input is written to a temp
 * file, loaded, and, if valid, resolved for awkward identities; then loaded
 * again in two phases (pns_policy_scan, then pns_policy_confirm and
 * pns_policy_resolve for each identity), as the module does.
 *
 * A line "#--next-file--" splits the input into the main file and up to
 * four drop-ins, so precedence across files is fuzzed too.
 *
 * Besides crashes, leaks and undefined behaviour, it aborts when:
 *  - a load fails without saying why, or touches *ret on failure;
 *  - the cross-check fires: our scanner accepted something iniparser reads
 *    differently (or not at all), which is a hole in the scanner;
 *  - a name that no header can hold ("Alice", "x:y") changes the result;
 *  - a resolved value cannot be formatted or is out of its domain;
 *  - the two phases disagree with pns_policy_load(): scan refuses what load
 *    accepts (or the reverse), confirming one identity's sections fails
 *    where cross-checking the whole files passed, or an identity resolves
 *    differently;
 *  - a policy resolves before it is confirmed, or for another identity
 *    than the one confirmed;
 *  - a policy without [group:]/[gid:] sections resolves differently with
 *    and without the account's groups.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/parse.h"
#include "common/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MARKER "\n#--next-file--\n"
#define MAX_DROPINS 4

static char dir[256], main_path[300], dropin_dir[310];

static void cleanup(void)
{
	char path[400];

	for (int i = 0; i < MAX_DROPINS; i++) {
		snprintf(path, sizeof(path), "%s/%02d.conf", dropin_dir, i);
		unlink(path);
	}
	rmdir(dropin_dir);
	unlink(main_path);
	rmdir(dir);
}

static void setup_once(void)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/pns-fuzz-policy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(main_path, sizeof(main_path), "%s/pam_ns.conf", dir);
	snprintf(dropin_dir, sizeof(dropin_dir), "%s/pam_ns.conf.d", dir);
	atexit(cleanup);
	/* The loader dlopen()s libiniparser for each cross-check and closes it
	 * after: one reference held here makes that a count, not a load and an
	 * unload per input. */
	if (!dlopen(PNS_INIPARSER_SONAME, RTLD_NOW | RTLD_LOCAL)) {
		fprintf(stderr, "dlopen(%s): %s\n", PNS_INIPARSER_SONAME, dlerror());
		abort();
	}
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t k = write(fd, data, size);

		if (k <= 0) {
			perror(path);
			abort();
		}
		data += k;
		size -= (size_t)k;
	}
	close(fd);
}

static const uint8_t *find_marker(const uint8_t *p, size_t size)
{
	return memmem(p, size, MARKER, strlen(MARKER));
}

static void die(const char *what, const struct pns_diag_list *d)
{
	fprintf(stderr, "fuzz-policy: %s\n", what);
	for (size_t i = 0; d && i < d->n; i++)
		fprintf(stderr, "  %s:%u: %s\n", d->items[i].file ? d->items[i].file : "(null)",
			d->items[i].line, d->items[i].message ? d->items[i].message : "(null)");
	abort();
}

/* All keys formatted, plus origins: two resolutions compare equal through this. */
static void describe(
	const struct pns_policy *p, const struct pns_settings *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		char v[PNS_HOSTNAME_TEMPLATE_MAX + 64];
		const struct pns_origin *o = &s->origin[k];
		bool known = o->file == NULL;
		int r;

		r = pns_settings_format(s, (enum pns_key)k, v, sizeof(v));
		if (r < 0)
			die("a resolved value cannot be formatted", NULL);
		for (size_t i = 0; i < pns_policy_n_files(p); i++)
			if (o->file == pns_policy_file(p, i))
				known = true;
		if (!known || (o->file && o->line == 0) || (!o->file && o->line != 0))
			die("an origin points nowhere", NULL);
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s=%s@%s:%u\n",
			pns_key_name((enum pns_key)k), v, o->file ? o->file : "-", o->line);
	}
	if (n >= size)
		die("description too long", NULL);
}

static void check_settings(const struct pns_settings *s, const struct pns_identity *id)
{
	char host[256];
	int r;

	if (s->namespaces & ~(unsigned)PNS_NS_ALL)
		die("namespaces out of range", NULL);
	if (s->tmp_size.value == 0 || (s->tmp_size.percent && s->tmp_size.value > 100))
		die("tmp_size out of range", NULL);
	if (s->shm_size.value == 0 || (s->shm_size.percent && s->shm_size.value > 100))
		die("shm_size out of range", NULL);
	if (strnlen(s->hostname, sizeof(s->hostname)) > PNS_HOSTNAME_TEMPLATE_MAX)
		die("hostname template not terminated", NULL);
	/* A template that passed the loader never has a bad escape. */
	r = pns_hostname_expand(s->hostname, id->name ? id->name : "", (uint32_t)id->uid, "host",
		host, sizeof(host));
	if (r < 0 && r != -ENAMETOOLONG)
		die("a loaded hostname template does not expand", NULL);
}

static const gid_t groups[] = {0, 100, 1000, 4242, 65534};
static const char *const group_names[] = {"root", "users", "staff", NULL, "Wheel"};
static char long_name[301];
static const char *const names[] = {"alice", "Alice", "bob:isolate", "x:y", "bob", "default",
	"user:alice", "", long_name, NULL};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* The identities every valid policy is resolved for: each name, with and without groups. */
static struct pns_identity identity(size_t i, size_t ng)
{
	if (!long_name[0])
		memset(long_name, 'a', sizeof(long_name) - 1);
	return (struct pns_identity){
		.name = names[i],
		.uid = (uid_t)(1000 + i % 3),
		.gid = 100,
		.groups = ng ? groups : NULL,
		.group_names = ng ? group_names : NULL,
		.n_groups = ng,
	};
}

static void resolve_or_die(
	const struct pns_policy *p, const struct pns_identity *id, struct pns_settings *ret)
{
	int r = pns_policy_resolve(p, id, ret);

	if (r < 0) {
		fprintf(stderr, "resolve for %s: %d\n", id->name ? id->name : "(null)", r);
		die("a confirmed policy does not resolve", NULL);
	}
}

static void resolve_all(const struct pns_policy *p)
{
	static char a[4096], b[4096];
	struct pns_settings s, t;

	for (size_t i = 0; i < N_NAMES; i++)
		for (size_t ng = 0; ng <= 5; ng += 5) {
			struct pns_identity id = identity(i, ng);
			struct pns_identity anon = id;

			resolve_or_die(p, &id, &s);
			check_settings(&s, &id);
			describe(p, &s, a, sizeof(a));

			/* Deterministic. */
			resolve_or_die(p, &id, &t);
			describe(p, &t, b, sizeof(b));
			if (strcmp(a, b) != 0)
				die("resolve is not deterministic", NULL);

			/* No header holds upper case or ':': such a name must act as no name. */
			if (names[i] && (strpbrk(names[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ:") ||
						strlen(names[i]) > 256)) {
				anon.name = NULL;
				resolve_or_die(p, &anon, &t);
				describe(p, &t, b, sizeof(b));
				if (strcmp(a, b) != 0) {
					fprintf(stderr, "name %s:\n%s\nno name:\n%s", names[i], a,
						b);
					die("a name no header can hold matched a section", NULL);
				}
			}

			/* Without group sections, groups cannot matter (the module skips NSS). */
			if (!pns_policy_has_group_sections(p) && ng) {
				anon = id;
				anon.groups = NULL;
				anon.group_names = NULL;
				anon.n_groups = 0;
				resolve_or_die(p, &anon, &t);
				describe(p, &t, b, sizeof(b));
				if (strcmp(a, b) != 0)
					die("groups changed the result without group sections",
						NULL);
			}
		}
}

/*
 * p was loaded (every section cross-checked): the two phases must accept
 * the same files and resolve every identity alike, each confirmed in turn.
 */
static void two_phases(const struct pns_policy *p)
{
	static struct pns_policy *const untouched = (struct pns_policy *)&untouched;
	static char a[4096], b[4096];
	struct pns_diag_list diags = {};
	struct pns_policy *q = untouched;
	struct pns_identity id0 = identity(0, 5);
	struct pns_settings s, t;
	int r;

	r = pns_policy_scan(main_path, false, &q, &diags);
	if (r < 0 || !q || q == untouched || diags.n != 0)
		die("scan refused what load accepted", &diags);
	if (pns_policy_n_sections(q) != pns_policy_n_sections(p) ||
		pns_policy_has_group_sections(q) != pns_policy_has_group_sections(p))
		die("scan and load disagree on the sections", NULL);
	/* Phase 1 alone resolves nothing. */
	if (pns_policy_resolve(q, &id0, &s) != -ESTALE)
		die("a policy resolved before it was confirmed", NULL);

	for (size_t i = 0; i < N_NAMES; i++)
		for (size_t ng = 0; ng <= 5; ng += 5) {
			struct pns_identity id = identity(i, ng), other = id;

			r = pns_policy_confirm(q, &id, &diags);
			if (r < 0)
				die("confirming one identity failed where loading passed", &diags);
			resolve_or_die(q, &id, &s);
			check_settings(&s, &id);
			describe(q, &s, a, sizeof(a));
			resolve_or_die(p, &id, &t);
			describe(p, &t, b, sizeof(b));
			if (strcmp(a, b) != 0) {
				fprintf(stderr, "two phases:\n%s\nload:\n%s", a, b);
				die("scan + confirm + resolve differs from load + resolve", NULL);
			}

			/* Confirmed for id, the policy is not confirmed for anyone else. */
			other.uid++;
			if (pns_policy_resolve(q, &other, &s) != -ESTALE)
				die("resolved for an identity that was not confirmed", NULL);
			other = id;
			other.groups = groups;
			other.n_groups = ng ? ng - 1 : 1;
			if (pns_policy_resolve(q, &other, &s) != -ESTALE)
				die("resolved for other groups than those confirmed", NULL);
		}
	pns_policy_free(q);
	pns_diag_list_clear(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pns_policy *const untouched = (struct pns_policy *)&untouched;
	struct pns_diag_list diags = {};
	struct pns_policy *p = untouched;
	const uint8_t *part = data, *end = data + size, *m;
	int n_dropins = 0, r;

	setup_once();

	/* Main file, then drop-ins 00.conf, 01.conf, ... */
	m = find_marker(part, (size_t)(end - part));
	write_file(main_path, part, m ? (size_t)(m - part) : (size_t)(end - part));
	while (m && n_dropins < MAX_DROPINS) {
		char path[400];
		const uint8_t *next;

		part = m + strlen(MARKER);
		next = find_marker(part, (size_t)(end - part));
		if (n_dropins == 0 && mkdir(dropin_dir, 0755) < 0 && errno != EEXIST) {
			perror(dropin_dir);
			abort();
		}
		snprintf(path, sizeof(path), "%s/%02d.conf", dropin_dir, n_dropins);
		write_file(path, part, next ? (size_t)(next - part) : (size_t)(end - part));
		n_dropins++;
		m = next;
	}

	r = pns_policy_load(main_path, false, &p, &diags);
	if (r == 0) {
		if (!p || p == untouched || diags.n != 0)
			die("success without a policy, or with problems", &diags);
		if (pns_policy_n_files(p) != (size_t)(1 + n_dropins))
			die("not every file was read", &diags);
		resolve_all(p);
		two_phases(p);
		pns_policy_free(p);
	} else {
		if (p != untouched)
			die("a failed load wrote *ret", &diags);
		if (diags.n == 0)
			die("a failed load did not say why", &diags);
		if (r != -EINVAL && r != -ENOMEM)
			die("a policy in a temp file failed with a system error", &diags);
		for (size_t i = 0; i < diags.n; i++) {
			if (!diags.items[i].file || !diags.items[i].message)
				die("a diagnostic without file or message", &diags);
			/* As a prefix: other messages quote the input, which may say anything. */
			if (strncmp(diags.items[i].message, "iniparser read ", 15) == 0 ||
				strncmp(diags.items[i].message, "iniparser failed", 16) == 0)
				die("the scanner accepted what iniparser reads differently",
					&diags);
		}
		/* The cross-check did not fail (above): phase 1 fails alike. */
		pns_diag_list_clear(&diags);
		p = untouched;
		if (pns_policy_scan(main_path, false, &p, &diags) != r || p != untouched ||
			diags.n == 0)
			die("scan accepted what load refused", &diags);
	}
	pns_diag_list_clear(&diags);

	for (int i = 0; i < n_dropins; i++) {
		char path[400];

		snprintf(path, sizeof(path), "%s/%02d.conf", dropin_dir, i);
		unlink(path);
	}
	if (n_dropins)
		rmdir(dropin_dir);
	return 0;
}

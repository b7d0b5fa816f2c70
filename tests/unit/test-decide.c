/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decision, differentially: for every policy of a corpus and every
 * account of another, the path the module takes (pns_policy_scan, the
 * account without groups unless a section names one, pns_policy_confirm
 * for it, pns_policy_resolve, the groups added back for a user namespace,
 * pns_decide) and the path `pam_nsctl explain` takes (pns_policy_load, the
 * account with its groups, pns_policy_resolve, explain_outcome) must agree,
 * for sshd's stack and for every other stack. Subordinate ranges come from
 * a table here instead of libsubid.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/decide.h"
#include "tools/outcome.h"

/* ---- the corpus of accounts ---- */

#define MANY 70 /* more groups than a user namespace maps (PNS_MAX_GROUPS) */

static gid_t alice_groups[] = {1000, 100, 50};
static const char *const alice_group_names[] = {"alice", "users", "staff"};
static gid_t bob_groups[] = {1001};
static const char *const bob_group_names[] = {"bob"};
static gid_t dave_groups[] = {1002, 100};
static const char *const dave_group_names[] = {"dave", "users"};
static gid_t carol_groups[MANY];
static const char *carol_group_names[MANY];
static char carol_name_buf[MANY][16];

/* Only the identity: pns_decide() and the policy read nothing else. */
#define ACCOUNT(n, u, g, gr, gn)                                                                   \
	{                                                                                          \
		.id = {.name = n,                                                                  \
			.uid = u,                                                                  \
			.gid = g,                                                                  \
			.groups = gr,                                                              \
			.group_names = gn,                                                         \
			.n_groups = ELEMENTSOF(gr)},                                               \
	}

static struct pns_account accounts[] = {
	ACCOUNT("alice", 1000, 1000, alice_groups, alice_group_names), /* subids fine */
	ACCOUNT("bob", 1001, 1001, bob_groups, bob_group_names),       /* no subids */
	ACCOUNT("dave", 1002, 1002, dave_groups, dave_group_names),    /* bad subids */
	ACCOUNT("carol", 1003, 5000, carol_groups, carol_group_names), /* too many groups */
};

static int fake_subids(const struct pns_account *a, struct pns_idrange *ret_uid,
	struct pns_idrange *ret_gid, const char **ret_why)
{
	if (strcmp(a->id.name, "alice") == 0 || strcmp(a->id.name, "carol") == 0) {
		*ret_uid = (struct pns_idrange){.start = 100000, .count = 65536};
		*ret_gid = (struct pns_idrange){.start = 100000, .count = 65536};
		return 0;
	}
	if (strcmp(a->id.name, "dave") == 0) {
		/* Contains dave's own uid: pns_plan_set_subids() must refuse it. */
		*ret_uid = (struct pns_idrange){.start = 1000, .count = 100};
		*ret_gid = (struct pns_idrange){.start = 200000, .count = 100};
		return 0;
	}
	*ret_why = "the account has no subordinate ranges (test)";
	return -ENOENT;
}

/* ---- the corpus of policies ---- */

static const char *const policies[] = {
	"[default]\nisolate = no\n",
	"[default]\nisolate = yes\n",
	"[default]\nisolate = yes\nnamespaces = mount ipc uts user\n",
	"[default]\nisolate = yes\nnamespaces = mount ipc uts user\nuserns_fallback = skip\n",
	"[default]\nisolate = yes\nnamespaces = user\nuserns_fallback = skip\n",
	"[default]\nisolate = yes\nnamespaces = mount user\nuserns_map = subid\n"
	"userns_fallback = skip\n",
	"[default]\nisolate = yes\nnamespaces = mount ipc uts user\nuserns_map = subid\n",
	"[default]\nisolate = no\n[group:staff]\nisolate = yes\nnamespaces = mount uts\n"
	"hostname = %u-box\n",
	"[default]\nisolate = no\n[user:alice]\nisolate = yes\nshare = session\n"
	"[uid:1001]\nisolate = yes\ntmp = dir\nvar_tmp = tmpfs\n",
	"[default]\nisolate = yes\nnamespaces = mount ipc\nhostname = box\n",
	"[default]\nisolate = yes\nnamespaces = mount uts\nshm = private\n",
	"[default]\nisolate = yes\nnamespaces = uts\nhostname = %u%u%u%u%u%u%u%u%u%u%u%u%u\n",
	"[default]\nisolate = yes\nnamespaces = ipc uts\ntmp = none\n",
	"[default]\nisolate = yes\n[gid:100]\nnamespaces = mount ipc uts user\n"
	"userns_fallback = skip\ntmp_size = 1G\ntmp_inodes = 1000\n",
	"[default]\nisolate = yes\n[group:users]\nnamespaces = mount user\nuserns_map = subid\n",
	"[default]\nisolate = maybe\n",
	"[default\nisolate = yes\n",
};

/* ---- the two paths ---- */

struct path_result {
	int load; /* the policy: 0, or what scan/confirm/load returned */
	struct pns_decision sshd, other;
	struct outcome explained;
};

static void module_path(const char *config, const struct pns_account *a, struct path_result *res)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	struct pns_diag_list diags = {0};
	static const char *const primary_name[] = {NULL};
	struct pns_account narrow = *a;
	const struct pns_account *used = &narrow;
	struct pns_settings s;
	bool with_groups;
	bool callers[] = {true, false};

	memset(res, 0, sizeof(*res));
	res->load = pns_policy_scan(config, false, &p, &diags);
	if (res->load < 0)
		goto out;
	with_groups = pns_policy_has_group_sections(p);
	/* As pns_account_lookup() without groups: the primary gid, unnamed. */
	if (!with_groups) {
		narrow.id.groups = &a->id.gid;
		narrow.id.group_names = primary_name;
		narrow.id.n_groups = 1;
	}
	res->load = pns_policy_confirm(p, &narrow.id, &diags);
	if (res->load < 0)
		goto out;
	assert_int_equal(pns_policy_resolve(p, &narrow.id, &s), 0);
	if (s.isolate && (s.namespaces & PNS_NS_USER) && !with_groups)
		used = a;
	for (size_t i = 0; i < ELEMENTSOF(callers); i++)
		pns_decide(&(struct pns_login){.settings = &s,
				   .account = used,
				   .host_name = "host",
				   .can_enter_userns = callers[i],
				   .subids = fake_subids},
			i == 0 ? &res->sshd : &res->other);
out:
	pns_diag_list_clear(&diags);
}

static void explain_path(const char *config, const struct pns_account *a, struct path_result *res)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	struct pns_diag_list diags = {0};
	struct pns_settings s;

	memset(res, 0, sizeof(*res));
	res->load = pns_policy_load(config, false, &p, &diags);
	pns_diag_list_clear(&diags);
	if (res->load < 0)
		return;
	assert_int_equal(pns_policy_resolve(p, &a->id, &s), 0);
	explain_outcome(&s, a, "host", fake_subids, &res->explained);
}

static void assert_same_plan(const struct pns_plan *x, const struct pns_plan *y)
{
	assert_int_equal(x->uid, y->uid);
	assert_int_equal(x->gid, y->gid);
	assert_int_equal(x->namespaces, y->namespaces);
	assert_int_equal(x->share, y->share);
	assert_int_equal(x->tmp, y->tmp);
	assert_int_equal(x->var_tmp, y->var_tmp);
	assert_int_equal(x->tmp_size.value, y->tmp_size.value);
	assert_int_equal(x->tmp_size.percent, y->tmp_size.percent);
	assert_int_equal(x->tmp_inodes, y->tmp_inodes);
	assert_int_equal(x->shm_private, y->shm_private);
	assert_string_equal(x->hostname, y->hostname);
	assert_int_equal(x->userns_map, y->userns_map);
	assert_int_equal(x->userns_fallback, y->userns_fallback);
	/* The group list feeds the user namespace's gid_map only; without a
	 * user namespace the module asked NSS for the primary group alone. */
	if (x->namespaces & PNS_NS_USER) {
		assert_int_equal(x->n_gids, y->n_gids);
		assert_memory_equal(x->gids, y->gids, x->n_gids * sizeof(x->gids[0]));
	}
	assert_int_equal(x->subuid.start, y->subuid.start);
	assert_int_equal(x->subuid.count, y->subuid.count);
	assert_int_equal(x->subgid.start, y->subgid.start);
	assert_int_equal(x->subgid.count, y->subgid.count);
}

/* How many times each kind of outcome was compared, so that a corpus that
 * stops reaching one of them fails the test instead of passing emptily. */
struct tally {
	unsigned invalid, ignored, denied, isolated, userns, other_denied, other_skipped,
		explain_silent;
};

static void compare(const struct path_result *m, const struct path_result *e, struct tally *t)
{
	const struct outcome *out = &e->explained;

	assert_int_equal(m->load, e->load);
	if (m->load < 0) {
		t->invalid++;
		return;
	}

	/* sshd's stack: what explain shows as the outcome. */
	switch (m->sshd.verdict) {
	case PNS_VERDICT_IGNORE:
		assert_false(out->isolated);
		assert_null(out->denied);
		t->ignored++;
		break;
	case PNS_VERDICT_DENY:
		assert_true(out->isolated);
		assert_non_null(out->denied);
		assert_string_equal(out->denied, m->sshd.why);
		assert_true(m->sshd.error < 0);
		t->denied++;
		break;
	case PNS_VERDICT_ISOLATE:
		assert_true(out->isolated);
		assert_null(out->denied);
		assert_same_plan(&m->sshd.plan, &out->plan);
		assert_false(m->sshd.userns_skipped);
		t->isolated++;
		break;
	}

	/* Every other stack: explain's "su, login" line with a user namespace;
	 * without one, the caller changes nothing. */
	if (m->sshd.verdict == PNS_VERDICT_ISOLATE && (m->sshd.plan.namespaces & PNS_NS_USER)) {
		struct pns_plan without = m->sshd.plan;

		t->userns++;
		assert_non_null(out->other_stacks);
		if (m->other.verdict == PNS_VERDICT_DENY) {
			assert_string_equal(out->other_stacks, m->other.why);
			t->other_denied++;
			return;
		}
		assert_int_equal(m->other.verdict, PNS_VERDICT_ISOLATE);
		assert_true(m->other.userns_skipped);
		assert_non_null(strstr(out->other_stacks, "userns_fallback = skip"));
		without.namespaces &= ~(unsigned)PNS_NS_USER;
		without.subuid = without.subgid = (struct pns_idrange){0};
		assert_same_plan(&m->other.plan, &without);
		t->other_skipped++;
		return;
	}
	assert_null(out->other_stacks);
	if (m->sshd.verdict == PNS_VERDICT_DENY &&
		(m->other.verdict != PNS_VERDICT_DENY || strcmp(m->other.why, m->sshd.why) != 0)) {
		/* A limit of explain: sshd's stack is denied for want of usable
		 * subordinate ranges, and explain reports that alone, while the
		 * other stacks, which look for no ranges, follow userns_fallback. */
		if (m->other.verdict == PNS_VERDICT_DENY)
			assert_non_null(strstr(m->other.why, "user namespace"));
		else {
			assert_int_equal(m->other.verdict, PNS_VERDICT_ISOLATE);
			assert_true(m->other.userns_skipped);
		}
		t->explain_silent++;
		return;
	}
	assert_int_equal(m->other.verdict, m->sshd.verdict);
	if (m->other.verdict == PNS_VERDICT_DENY)
		assert_string_equal(m->other.why, m->sshd.why);
	else if (m->other.verdict == PNS_VERDICT_ISOLATE) {
		assert_false(m->other.userns_skipped);
		assert_same_plan(&m->other.plan, &m->sshd.plan);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void test_module_and_explain_agree(void **state)
{
	char dir[] = "/tmp/pns-test-decide-XXXXXX", config[64];
	struct tally t = {0};

	for (size_t i = 0; i < MANY; i++) {
		carol_groups[i] = (gid_t)(6000 + i);
		snprintf(carol_name_buf[i], sizeof(carol_name_buf[i]), "g%zu", i);
		carol_group_names[i] = carol_name_buf[i];
	}
	carol_groups[0] = 100; /* "users", so that [gid:100] matches carol */
	carol_group_names[0] = "users";

	assert_non_null(mkdtemp(dir));
	snprintf(config, sizeof(config), "%s/pam_ns.conf", dir);
	for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
		FILE *f = fopen(config, "we");

		assert_non_null(f);
		assert_int_equal(fputs(policies[i], f) >= 0, 1);
		assert_int_equal(fclose(f), 0);
		for (size_t j = 0; j < ELEMENTSOF(accounts); j++) {
			struct path_result m, e;

			print_message("policy %zu, account %s\n", i, accounts[j].id.name);
			module_path(config, &accounts[j], &m);
			explain_path(config, &accounts[j], &e);
			compare(&m, &e, &t);
		}
	}
	nftw(dir, rm_entry, 4, FTW_DEPTH | FTW_PHYS);

	print_message("invalid %u, ignored %u, denied %u, isolated %u (user ns %u: other "
		      "stacks denied %u, skipped %u), explain silent %u\n",
		t.invalid, t.ignored, t.denied, t.isolated, t.userns, t.other_denied,
		t.other_skipped, t.explain_silent);
	/* The corpus reaches every kind of outcome. */
	assert_true(t.invalid > 0);
	assert_true(t.ignored > 0);
	assert_true(t.denied > 0);
	assert_true(t.isolated > 0);
	assert_true(t.other_denied > 0);
	assert_true(t.other_skipped > 0);
	assert_true(t.explain_silent > 0);
}

/* The decision itself, one case per branch. */
static void test_decide_branches(void **state)
{
	struct pns_settings s;
	struct pns_decision d;
	struct pns_login in = {
		.settings = &s,
		.account = &accounts[0],
		.host_name = "host",
		.subids = fake_subids,
	};

	pns_settings_builtin(&s);
	pns_decide(&in, &d);
	assert_int_equal(d.verdict, PNS_VERDICT_IGNORE);

	s.isolate = true;
	pns_decide(&in, &d);
	assert_int_equal(d.verdict, PNS_VERDICT_ISOLATE);
	assert_int_equal(d.plan.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS);
	assert_false(d.userns_skipped);

	s.namespaces |= PNS_NS_USER;
	pns_decide(&in, &d);
	assert_int_equal(d.verdict, PNS_VERDICT_DENY);
	assert_int_equal(d.error, -EOPNOTSUPP);
	assert_non_null(strstr(d.why, "userns_fallback"));

	s.userns_fallback = PNS_USERNS_FALLBACK_SKIP;
	s.userns_map = PNS_USERNS_MAP_SUBID;
	in.account = &accounts[1]; /* bob: no subids, and none needed without the user ns */
	pns_decide(&in, &d);
	assert_int_equal(d.verdict, PNS_VERDICT_ISOLATE);
	assert_true(d.userns_skipped);
	assert_int_equal(d.plan.namespaces, PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS);

	in.can_enter_userns = true; /* sshd: now bob's missing ranges deny */
	pns_decide(&in, &d);
	assert_int_equal(d.verdict, PNS_VERDICT_DENY);
	assert_int_equal(d.error, -ENOENT);
	assert_string_equal(d.why, "the account has no subordinate ranges (test)");

	in.account = &accounts[0];
	pns_decide(&in, &d);
	assert_int_equal(d.verdict, PNS_VERDICT_ISOLATE);
	assert_int_equal(d.plan.subuid.start, 100000);
	assert_true(d.plan.namespaces & PNS_NS_USER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_branches),
		cmocka_unit_test(test_module_and_explain_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which sections apply to an account, confirming them, and resolving its settings. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/parse.h"
#include "common/policy-bytes.h"
#include "common/policy-index.h"
#include "common/policy-internal.h"

/* 1 + index of the newest section with that kind and name, or 0. */
static size_t section_lookup(
	const struct pns_policy *p, enum section_kind kind, const char *name, size_t len)
{
	if (p->n_slots == 0)
		return 0;
	return slot_head(p, slot_find(p, section_hash(kind, name, len), kind, name, len));
}

/* The same, for [uid:N] or [gid:N]. */
static size_t section_lookup_id(const struct pns_policy *p, enum section_kind kind, uint32_t id)
{
	char num[sizeof("4294967295")];

	return section_lookup(p, kind, num, (size_t)snprintf(num, sizeof(num), "%" PRIu32, id));
}

/* ---- which sections apply ----------------------------------------------- */

enum { TIER_USER, TIER_GROUP, TIER_DEFAULT, _TIER_MAX };

/* Called with the head of each chain (1 + section index, never 0) that applies, and its tier. */
typedef int (*chain_fn)(const struct pns_policy *p, size_t head, int tier, void *userdata);

static int visit(const struct pns_policy *p, size_t head, int tier, chain_fn fn, void *userdata)
{
	return head ? fn(p, head, tier, userdata) : 0;
}

/*
 * The one definition of "applies to id", for pns_policy_confirm() and
 * pns_policy_resolve() alike: what resolve reads is what confirm checked.
 * A chain may be visited more than once (the primary gid is usually in
 * groups[] too).
 */
static int for_each_chain(
	const struct pns_policy *p, const struct pns_identity *id, chain_fn fn, void *userdata)
{
	int r;

	r = visit(p, section_lookup(p, SECTION_DEFAULT, NULL, 0), TIER_DEFAULT, fn, userdata);
	/* Headers are lower case, so a name with upper-case letters is matched by [uid:N] only. */
	if (r >= 0 && id->name && !has_upper(id->name, strlen(id->name)))
		r = visit(p, section_lookup(p, SECTION_USER, id->name, strlen(id->name)), TIER_USER,
			fn, userdata);
	if (r >= 0)
		r = visit(p, section_lookup_id(p, SECTION_UID, (uint32_t)id->uid), TIER_USER, fn,
			userdata);
	if (r >= 0)
		r = visit(p, section_lookup_id(p, SECTION_GID, (uint32_t)id->gid), TIER_GROUP, fn,
			userdata);
	for (size_t i = 0; r >= 0 && i < id->n_groups; i++) {
		const char *g = id->group_names ? id->group_names[i] : NULL;

		if (id->groups)
			r = visit(p, section_lookup_id(p, SECTION_GID, (uint32_t)id->groups[i]),
				TIER_GROUP, fn, userdata);
		if (r >= 0 && g && !has_upper(g, strlen(g)))
			r = visit(p, section_lookup(p, SECTION_GROUP, g, strlen(g)), TIER_GROUP, fn,
				userdata);
	}
	return r;
}

/* ---- confirmation ------------------------------------------------------- */

struct index_list {
	size_t *v;
	size_t n, alloc;
};

static int collect_chain(const struct pns_policy *p, size_t head, int tier, void *userdata)
{
	struct index_list *l = userdata;

	for (size_t si = head; si; si = p->sections[si - 1].next_same) {
		if (p->sections[si - 1].confirmed)
			continue;
		if (l->n >= l->alloc) {
			void *q = grow_array(l->v, &l->alloc, sizeof(*l->v));

			if (!q)
				return -ENOMEM;
			l->v = q;
		}
		l->v[l->n++] = si - 1;
	}
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool identity_is_confirmed(const struct pns_policy *p, const struct pns_identity *id)
{
	const struct confirmed_identity *w = &p->who;

	if (!w->set || w->uid != id->uid || w->gid != id->gid || !str_eq(w->name, id->name) ||
		w->n_groups != id->n_groups)
		return false;
	if (id->n_groups == 0)
		return true;
	if (!w->groups != !id->groups || !w->group_names != !id->group_names)
		return false;
	for (size_t i = 0; i < id->n_groups; i++) {
		if (id->groups && w->groups[i] != id->groups[i])
			return false;
		if (id->group_names && !str_eq(w->group_names[i], id->group_names[i]))
			return false;
	}
	return true;
}

static int confirmed_identity_set(struct confirmed_identity *w, const struct pns_identity *id)
{
	struct confirmed_identity n = {.set = true, .uid = id->uid, .gid = id->gid};

	if (id->name && !(n.name = strdup(id->name)))
		goto oom;
	if (id->n_groups > 0) {
		n.n_groups = id->n_groups;
		if (id->groups) {
			if (id->n_groups > SIZE_MAX / sizeof(gid_t))
				goto oom;
			n.groups = malloc(id->n_groups * sizeof(gid_t));
			if (!n.groups)
				goto oom;
			memcpy(n.groups, id->groups, id->n_groups * sizeof(gid_t));
		}
		if (id->group_names) {
			n.group_names = calloc(id->n_groups, sizeof(char *));
			if (!n.group_names)
				goto oom;
			for (size_t i = 0; i < id->n_groups; i++)
				if (id->group_names[i] &&
					!(n.group_names[i] = strdup(id->group_names[i])))
					goto oom;
		}
	}
	policy_identity_clear(w);
	*w = n;
	return 0;
oom:
	policy_identity_clear(&n);
	return -ENOMEM;
}

int pns_policy_confirm(
	struct pns_policy *p, const struct pns_identity *id, struct pns_diag_list *diags)
{
	_cleanup_free_ size_t *all = NULL;
	struct index_list sel = {};
	const char *where = p && p->n_files > 0 ? p->files[0].path : NULL;
	int r;

	if (!p)
		return -EINVAL;
	if (p->failed) {
		(void)pns_diag_add(diags, where, 0, "an earlier cross-check of this policy failed");
		return -ESTALE;
	}
	/* Whatever happens next, the identity confirmed before is no longer the one. */
	policy_identity_clear(&p->who);

	if (!id) {
		if (p->confirmed_all)
			return 0;
		if (p->n_sections > 0) {
			all = calloc(p->n_sections, sizeof(size_t));
			if (!all) {
				(void)pns_diag_add(
					diags, where, 0, "out of memory while reading the policy");
				return -ENOMEM;
			}
		}
		for (size_t i = 0; i < p->n_sections; i++)
			if (!p->sections[i].confirmed)
				all[sel.n++] = i;
		r = policy_crosscheck(p, all, sel.n, true, diags);
		if (r < 0) {
			p->failed = true;
			return r;
		}
		p->confirmed_all = true;
		return 0;
	}

	r = for_each_chain(p, id, collect_chain, &sel);
	if (r >= 0 && sel.n > 1) {
		/* File order, each section once. */
		size_t n = 1;

		qsort(sel.v, sel.n, sizeof(size_t), cmp_size);
		for (size_t i = 1; i < sel.n; i++)
			if (sel.v[i] != sel.v[n - 1])
				sel.v[n++] = sel.v[i];
		sel.n = n;
	}
	if (r >= 0)
		r = policy_crosscheck(p, sel.v, sel.n, false, diags);
	else
		(void)pns_diag_add(diags, where, 0, "out of memory while reading the policy");
	free(sel.v);
	if (r >= 0) {
		r = confirmed_identity_set(&p->who, id);
		if (r < 0)
			(void)pns_diag_add(
				diags, where, 0, "out of memory while reading the policy");
	}
	if (r < 0) {
		p->failed = true;
		return r;
	}
	return 0;
}

/* ---- resolution --------------------------------------------------------- */

/*
 * Every section of one chain (same kind and name/id, all files) matches:
 * for each key remember the entry that appears last. Entries are stored in
 * file order, so "appears last" is "highest index".
 */
struct best {
	size_t entry[_TIER_MAX][_PNS_KEY_MAX]; /* 1 + index; 0: none */
	uint32_t file[_TIER_MAX][_PNS_KEY_MAX];
};

static int consider(const struct pns_policy *p, size_t head, int tier, void *userdata)
{
	struct best *best = userdata;

	for (size_t si = head; si; si = p->sections[si - 1].next_same) {
		const struct section *s = &p->sections[si - 1];

		/* Never a value iniparser was not shown: confirm() walked these same chains. */
		if (!s->confirmed)
			return -ESTALE;
		for (size_t i = s->first_entry; i < s->first_entry + s->n_entries; i++) {
			enum pns_key k = p->entries[i].key;

			if (i + 1 > best->entry[tier][k]) {
				best->entry[tier][k] = i + 1;
				best->file[tier][k] = s->file;
			}
		}
	}
	return 0;
}

int pns_policy_resolve(
	const struct pns_policy *p, const struct pns_identity *id, struct pns_settings *ret)
{
	struct best best = {};
	struct pns_settings s;
	int r;

	if (!p || !id || !ret)
		return -EINVAL;
	if (p->failed || !(p->confirmed_all || identity_is_confirmed(p, id)))
		return -ESTALE;
	r = for_each_chain(p, id, consider, &best);
	if (r < 0)
		return r;

	pns_settings_builtin(&s);

	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		char value[LINE_BYTES_MAX + 1], msg[LINE_BYTES_MAX + 256];
		const struct policy_file *f;
		const struct entry *e;
		union pns_value v = {};
		int tier = TIER_USER;

		while (tier < _TIER_MAX && !best.entry[tier][k])
			tier++;
		if (tier == _TIER_MAX)
			continue;
		e = &p->entries[best.entry[tier][k] - 1];
		f = &p->files[best.file[tier][k]];
		/* The scanner parsed these very bytes: this cannot fail. */
		memcpy(value, f->buf + e->val_off, e->val_len);
		value[e->val_len] = '\0';
		if (pns_key_parse((enum pns_key)e->key, value, &v, msg, sizeof(msg)) < 0)
			return -EINVAL;
		pns_keys[k].store(&pns_keys[k], &s, &v, value);
		s.origin[k] = (struct pns_origin){.file = f->path, .line = e->line};
	}
	*ret = s;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "common/identity.h"

#define NSS_BUF_MAX (1024 * 1024)
#define GROUPS_MAX 65536

void pns_account_free(struct pns_account *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_groups; i++)
		free(a->group_names[i]);
	free(a->group_names);
	free(a->groups);
	free(a->name);
	free(a);
}

/* NSS "not found" comes back as 0 with a NULL result, or as one of these. */
static bool nss_not_found(int r)
{
	return r == 0 || r == ENOENT || r == ESRCH;
}

static int lookup_user(const char *name, char **ret_name, uid_t *ret_uid, gid_t *ret_gid)
{
	size_t size = 1024;

	for (;;) {
		struct passwd pw, *result = NULL;
		_cleanup_free_ char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &result);
		if (r == ERANGE && size < NSS_BUF_MAX) {
			size *= 2;
			continue;
		}
		if (!result)
			return nss_not_found(r) ? -ENOENT : (r > 0 ? -r : -EIO);
		/* NSS may fold case ("ALICE" -> "alice"): policy matches the
		 * canonical name the system uses, and the uid decides the state. */
		*ret_name = strdup(pw.pw_name);
		if (!*ret_name)
			return -ENOMEM;
		*ret_uid = pw.pw_uid;
		*ret_gid = pw.pw_gid;
		return 0;
	}
}

static int lookup_group_name(gid_t gid, char **ret)
{
	size_t size = 1024;

	for (;;) {
		struct group gr, *result = NULL;
		_cleanup_free_ char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = getgrgid_r(gid, &gr, buf, size, &result);
		if (r == ERANGE && size < NSS_BUF_MAX) {
			size *= 2;
			continue;
		}
		if (!result) {
			if (!nss_not_found(r))
				return r > 0 ? -r : -EIO;
			*ret = NULL;
			return 0;
		}
		*ret = strdup(gr.gr_name);
		return *ret ? 0 : -ENOMEM;
	}
}

int pns_account_lookup(const char *name, struct pns_account **ret)
{
	_cleanup_(pns_account_freep) struct pns_account *a = NULL;
	uid_t uid;
	gid_t gid;
	int n = 64, r;

	if (!name || !*name)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	r = lookup_user(name, &a->name, &uid, &gid);
	if (r < 0)
		return r;

	for (;;) {
		int got = n;

		free(a->groups);
		a->groups = calloc((size_t)n, sizeof(gid_t));
		if (!a->groups)
			return -ENOMEM;
		if (getgrouplist(a->name, gid, a->groups, &got) >= 0) {
			n = got;
			break;
		}
		if (got <= n || got > GROUPS_MAX)
			return -E2BIG;
		n = got;
	}

	a->group_names = calloc((size_t)n, sizeof(char *));
	if (!a->group_names)
		return -ENOMEM;
	a->n_groups = (size_t)n;
	for (size_t i = 0; i < a->n_groups; i++) {
		r = lookup_group_name(a->groups[i], &a->group_names[i]);
		if (r < 0)
			return r;
	}

	a->id.name = a->name;
	a->id.uid = uid;
	a->id.gid = gid;
	a->id.groups = a->groups;
	a->id.group_names = (const char *const *)a->group_names;
	a->id.n_groups = a->n_groups;
	*ret = TAKE_PTR(a);
	return 0;
}

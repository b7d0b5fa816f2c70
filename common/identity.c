/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/identity.h"

#if HAVE_LIBSUBID
#include <dlfcn.h>
#include <shadow/subid.h>
#endif

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

/* By name, or by uid when name is NULL; one buffer-growing loop for both. */
static int lookup_passwd(
	const char *name, uid_t uid, char **ret_name, uid_t *ret_uid, gid_t *ret_gid)
{
	size_t size = 1024;

	for (;;) {
		struct passwd pw, *result = NULL;
		_cleanup_free_ char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = name ? getpwnam_r(name, &pw, buf, size, &result)
			 : getpwuid_r(uid, &pw, buf, size, &result);
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
		if (ret_uid)
			*ret_uid = pw.pw_uid;
		if (ret_gid)
			*ret_gid = pw.pw_gid;
		return 0;
	}
}

int pns_user_lookup(const char *name, char **ret_name, uid_t *ret_uid, gid_t *ret_gid)
{
	if (!name || !*name)
		return -EINVAL;
	return lookup_passwd(name, 0, ret_name, ret_uid, ret_gid);
}

int pns_user_name_of(uid_t uid, char **ret_name)
{
	return lookup_passwd(NULL, uid, ret_name, NULL, NULL);
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

int pns_account_lookup(const char *name, bool with_groups, struct pns_account **ret)
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
	r = pns_user_lookup(name, &a->name, &uid, &gid);
	if (r < 0)
		return r;

	if (!with_groups) {
		a->groups = calloc(1, sizeof(gid_t));
		a->group_names = calloc(1, sizeof(char *));
		if (!a->groups || !a->group_names)
			return -ENOMEM;
		a->groups[0] = gid;
		a->n_groups = 1;
		goto done;
	}

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

done:
	a->id.name = a->name;
	a->id.uid = uid;
	a->id.gid = gid;
	a->id.groups = a->groups;
	a->id.group_names = (const char *const *)a->group_names;
	a->id.n_groups = a->n_groups;
	*ret = TAKE_PTR(a);
	return 0;
}

#if HAVE_LIBSUBID
#define SUBID_PROBE_STRIDE 1024u

/* At most 256 probes, every SUBID_PROBE_STRIDE ids for ranges up to 256 Ki. */
static uint64_t subid_probe_step(uint32_t count)
{
	uint64_t step = count / 256u;

	return step > SUBID_PROBE_STRIDE ? step : SUBID_PROBE_STRIDE;
}

/* Every owner of id must be the account: a range shared with another
 * account would let this one reach that one's files. */
static int check_owners(int (*owners)(uid_t, uid_t **), uint32_t id, uid_t uid)
{
	uid_t *list = NULL;
	int n = owners((uid_t)id, &list), r = 0;

	if (n < 0)
		r = -EIO;
	for (int i = 0; i < n; i++)
		if (list[i] != uid)
			r = -EPERM;
	free(list);
	return r;
}

static int first_range(int (*get)(const char *, struct subid_range **),
	int (*owners)(uid_t, uid_t **), const struct pns_account *a, struct pns_idrange *ret,
	const char **ret_why)
{
	struct subid_range *ranges = NULL;
	struct pns_idrange r0;
	int n = get(a->name, &ranges), r;

	if (n < 0) {
		free(ranges);
		*ret_why = "libsubid could not read the subordinate ranges";
		return -EIO;
	}
	if (n == 0 || ranges[0].count == 0 || ranges[0].start > UINT32_MAX ||
		ranges[0].count > UINT32_MAX) {
		free(ranges);
		*ret_why = "userns_map = subid but the account has no usable subordinate range "
			   "in /etc/subuid or /etc/subgid";
		return -ENOENT;
	}
	r0.start = (uint32_t)ranges[0].start;
	r0.count = (uint32_t)ranges[0].count;
	free(ranges);
	if ((uint64_t)r0.start + r0.count - 1 >= UINT32_MAX) {
		*ret_why = "the subordinate range runs past the last valid id";
		return -EINVAL;
	}
	/* libsubid cannot list every range, so ask who owns ids across ours: both
	 * ends (any partial overlap covers one of them) and evenly spaced ids
	 * between, so another account's range lying inside ours is caught when
	 * it is at least SUBID_PROBE_STRIDE ids long (or 1/256 of our range). */
	r = check_owners(owners, r0.start + r0.count - 1, a->id.uid);
	for (uint64_t id = r0.start, step = subid_probe_step(r0.count);
		r == 0 && id < (uint64_t)r0.start + r0.count; id += step)
		r = check_owners(owners, (uint32_t)id, a->id.uid);
	if (r < 0) {
		*ret_why = r == -EPERM ? "the subordinate range overlaps another account's range"
				       : "libsubid could not tell who owns the subordinate range";
		return r;
	}
	*ret = r0;
	return 0;
}

struct subid_api {
	bool (*init)(const char *, FILE *);
	int (*uid_ranges)(const char *, struct subid_range **);
	int (*gid_ranges)(const char *, struct subid_range **);
	int (*uid_owners)(uid_t, uid_t **);
	int (*gid_owners)(gid_t, uid_t **);
};

int pns_account_subids(const struct pns_account *a, struct pns_idrange *ret_uid,
	struct pns_idrange *ret_gid, const char **ret_why)
{
	struct subid_api api;
	struct pns_idrange u, g;
	void *h;
	int r;

	/* Loaded here, for the logins that need it, and unloaded after. */
	h = dlopen(PNS_LIBSUBID_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		*ret_why = "userns_map = subid but libsubid (" PNS_LIBSUBID_SONAME
			   ") cannot be loaded";
		return -EOPNOTSUPP;
	}
	*(void **)&api.init = dlsym(h, "subid_init");
	*(void **)&api.uid_ranges = dlsym(h, "subid_get_uid_ranges");
	*(void **)&api.gid_ranges = dlsym(h, "subid_get_gid_ranges");
	*(void **)&api.uid_owners = dlsym(h, "subid_get_uid_owners");
	*(void **)&api.gid_owners = dlsym(h, "subid_get_gid_owners");
	if (!api.init || !api.uid_ranges || !api.gid_ranges || !api.uid_owners || !api.gid_owners) {
		dlclose(h);
		*ret_why = "libsubid lacks the functions pam_ns needs";
		return -EOPNOTSUPP;
	}

	/* NULL: libsubid sends its messages to /dev/null, never to a tty. */
	(void)api.init("pam_ns", NULL);
	r = first_range(api.uid_ranges, api.uid_owners, a, &u, ret_why);
	if (r >= 0)
		r = first_range(
			api.gid_ranges, (int (*)(uid_t, uid_t **))api.gid_owners, a, &g, ret_why);
	dlclose(h);
	if (r < 0)
		return r;
	*ret_uid = u;
	*ret_gid = g;
	return 0;
}
#else
int pns_account_subids(const struct pns_account *a, struct pns_idrange *ret_uid,
	struct pns_idrange *ret_gid, const char **ret_why)
{
	*ret_why = "userns_map = subid needs libsubid, which this build of pam_ns lacks";
	return -EOPNOTSUPP;
}
#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "common/namespace.h"
#include "common/parse.h"
#include "common/plan.h"

static int validate(const struct pns_plan *p, bool need_subids, const char **ret_why);

int pns_plan_build(const struct pns_settings *s, const struct pns_identity *id,
	const char *host_name, struct pns_plan *ret, const char **ret_why)
{
	struct pns_plan p;
	const char *why;
	int r;

	memset(&p, 0, sizeof(p));
	if (!s->isolate) {
		*ret_why = "the account is not isolated";
		return -EINVAL;
	}
	p.uid = (uint32_t)id->uid;
	p.gid = (uint32_t)id->gid;
	p.namespaces = s->namespaces;
	p.share = s->share;
	p.tmp = s->tmp;
	p.var_tmp = s->var_tmp;
	/* The built-in tmp = tmpfs needs a mount namespace; without one the
	 * built-in means none, as shm's does. A tmp the admin wrote stays. */
	if (!(p.namespaces & PNS_NS_MOUNT) && !s->origin[PNS_KEY_TMP].file)
		p.tmp = PNS_TMP_NONE;
	p.tmp_size = s->tmp_size;
	p.tmp_inodes = s->tmp_inodes;
	p.shm_size = s->shm_size;
	p.shm_inodes = s->shm_inodes;
	p.userns_map = s->userns_map;
	p.userns_fallback = s->userns_fallback;

	/* The groups the user namespace maps to themselves: primary first. */
	p.gids[p.n_gids++] = (uint32_t)id->gid;
	for (size_t i = 0; i < id->n_groups; i++) {
		bool dup = false;

		for (uint32_t j = 0; j < p.n_gids; j++)
			dup = dup || p.gids[j] == (uint32_t)id->groups[i];
		if (dup)
			continue;
		if (p.n_gids >= PNS_MAX_GROUPS) {
			if (p.namespaces & PNS_NS_USER) {
				*ret_why = "the account is in more groups than a user namespace "
					   "can map (64)";
				return -E2BIG;
			}
			break;
		}
		p.gids[p.n_gids++] = (uint32_t)id->groups[i];
	}

	switch (s->shm) {
	case PNS_SHM_PRIVATE:
		if (!(p.namespaces & PNS_NS_IPC)) {
			*ret_why = "shm = private needs ipc in namespaces";
			return -EINVAL;
		}
		p.shm_private = true;
		break;
	case PNS_SHM_AUTO:
		/* Private /dev/shm follows the IPC namespace, but needs a mount
		 * namespace to put it in. */
		p.shm_private = (p.namespaces & PNS_NS_IPC) && (p.namespaces & PNS_NS_MOUNT);
		break;
	case PNS_SHM_SHARED:
	case _PNS_SHM_MAX:
		p.shm_private = false;
		break;
	}

	if (s->hostname[0]) {
		if (!(p.namespaces & PNS_NS_UTS)) {
			*ret_why = "hostname is set but uts is not in namespaces";
			return -EINVAL;
		}
		r = pns_hostname_expand(s->hostname, id->name, (uint32_t)id->uid, host_name,
			p.hostname, sizeof(p.hostname));
		if (r == -ENAMETOOLONG || (r >= 0 && !pns_hostname_is_valid(p.hostname))) {
			*ret_why = "the hostname template does not expand to a valid host name for "
				   "this account (letters, digits, '-' and '.', at most 64 bytes)";
			return -EINVAL;
		}
		if (r < 0) {
			*ret_why = "the hostname template is malformed";
			return -EINVAL;
		}
	}

	r = validate(&p, false, &why);
	if (r < 0) {
		*ret_why = why;
		return r;
	}
	*ret = p;
	return 0;
}

int pns_plan_for_caller(
	struct pns_plan *p, bool can_enter_userns, bool *ret_skipped, const char **ret_why)
{
	*ret_skipped = false;
	if (!(p->namespaces & PNS_NS_USER) || can_enter_userns)
		return 0;
	if (p->userns_fallback == PNS_USERNS_FALLBACK_DENY) {
		*ret_why =
			"the policy asks for a user namespace, which this PAM stack cannot enter "
			"(only sshd with 'auth optional pam_ns.so' can); set userns_fallback = "
			"skip "
			"to go on without it, or remove user from namespaces";
		return -EOPNOTSUPP;
	}
	p->namespaces &= ~(unsigned)PNS_NS_USER;
	p->subuid = (struct pns_idrange){0};
	p->subgid = (struct pns_idrange){0};
	*ret_skipped = true;
	if (p->namespaces == 0) {
		*ret_why = "without the user namespace nothing is left to isolate";
		return -EOPNOTSUPP;
	}
	return 0;
}

int pns_plan_set_subids(struct pns_plan *p, const struct pns_idrange *subuid,
	const struct pns_idrange *subgid, const char **ret_why)
{
	int r;

	r = pns_idrange_check(subuid, &p->uid, 1, ret_why);
	if (r < 0)
		return r;
	r = pns_idrange_check(subgid, p->gids, p->n_gids, ret_why);
	if (r < 0)
		return r;
	p->subuid = *subuid;
	p->subgid = *subgid;
	return 0;
}

int pns_plan_uid_map(const struct pns_plan *p, char *buf, size_t size)
{
	return pns_idmap_format(
		&p->uid, 1, p->userns_map == PNS_USERNS_MAP_SUBID ? &p->subuid : NULL, buf, size);
}

int pns_plan_gid_map(const struct pns_plan *p, char *buf, size_t size)
{
	return pns_idmap_format(p->gids, p->n_gids,
		p->userns_map == PNS_USERNS_MAP_SUBID ? &p->subgid : NULL, buf, size);
}

int pns_plan_validate(const struct pns_plan *p, const char **ret_why)
{
	return validate(p, true, ret_why);
}

/* tmpfs reads size=0 as no limit; a percentage is of RAM. */
static bool size_is_valid(const struct pns_size *s)
{
	return s->value > 0 && (!s->percent || s->value <= 100);
}

static int validate(const struct pns_plan *p, bool need_subids, const char **ret_why)
{
	bool mount_ns = p->namespaces & PNS_NS_MOUNT;

	if (p->namespaces == 0 || (p->namespaces & ~(unsigned)PNS_NS_ALL)) {
		*ret_why = "isolate = yes needs at least one namespace";
		return -EINVAL;
	}
	if (p->uid == UINT32_MAX || p->gid == UINT32_MAX) {
		*ret_why = "invalid uid or gid";
		return -EINVAL;
	}
	if (p->share >= _PNS_SHARE_MAX || p->tmp >= _PNS_TMP_MAX || p->var_tmp >= _PNS_TMP_MAX ||
		p->userns_map >= _PNS_USERNS_MAP_MAX ||
		p->userns_fallback >= _PNS_USERNS_FALLBACK_MAX) {
		*ret_why = "value out of range";
		return -EINVAL;
	}
	if (!mount_ns && (p->tmp != PNS_TMP_NONE || p->var_tmp != PNS_TMP_NONE)) {
		*ret_why = "tmp or var_tmp is set but mount is not in namespaces "
			   "(set tmp = none and var_tmp = none, or add mount)";
		return -EINVAL;
	}
	if (p->shm_private && !(mount_ns && (p->namespaces & PNS_NS_IPC))) {
		*ret_why = "shm = private needs mount and ipc in namespaces";
		return -EINVAL;
	}
	if (!size_is_valid(&p->tmp_size)) {
		*ret_why = "tmp_size must be above 0 (tmpfs reads 0 as no limit) and at most 100%";
		return -EINVAL;
	}
	if (!size_is_valid(&p->shm_size)) {
		*ret_why = "shm_size must be above 0 (tmpfs reads 0 as no limit) and at most 100%";
		return -EINVAL;
	}
	if (p->hostname[0] &&
		(!(p->namespaces & PNS_NS_UTS) || !pns_hostname_is_valid(p->hostname))) {
		*ret_why = "invalid hostname, or hostname without uts";
		return -EINVAL;
	}
	if (p->n_gids == 0 || p->n_gids > PNS_MAX_GROUPS || p->gids[0] != p->gid) {
		*ret_why = "invalid group list";
		return -EINVAL;
	}
	for (uint32_t i = 0; i < p->n_gids; i++) {
		if (p->gids[i] == UINT32_MAX) {
			*ret_why = "invalid group list";
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++)
			if (p->gids[i] == p->gids[j]) {
				*ret_why = "duplicate group in the group list";
				return -EINVAL;
			}
	}
	if ((p->namespaces & PNS_NS_USER) && p->userns_map == PNS_USERNS_MAP_SUBID) {
		/* pns_plan_build() leaves the ranges to pns_plan_set_subids(). */
		if (!need_subids && p->subuid.count == 0 && p->subgid.count == 0)
			return 0;
		if (pns_idrange_check(&p->subuid, &p->uid, 1, ret_why) < 0 ||
			pns_idrange_check(&p->subgid, p->gids, p->n_gids, ret_why) < 0)
			return -EINVAL;
	} else if (p->subuid.count || p->subgid.count) {
		*ret_why = "subordinate ranges without userns_map = subid";
		return -EINVAL;
	}
	return 0;
}

static void tmpfs_data(const struct pns_size *sz, uint64_t inodes, char *buf, size_t size)
{
	int n;

	if (sz->percent)
		n = snprintf(buf, size, "mode=1777,size=%" PRIu64 "%%", sz->value);
	else
		n = snprintf(buf, size, "mode=1777,size=%" PRIu64, sz->value);
	if (inodes > 0 && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ",nr_inodes=%" PRIu64, inodes);
}

static void add_tmp(const struct pns_plan *p, enum pns_tmp mode, const char *target,
	const char *subdir, struct pns_mount_step *steps, size_t *n)
{
	struct pns_mount_step *s;

	if (mode == PNS_TMP_NONE)
		return;
	s = &steps[(*n)++];
	memset(s, 0, sizeof(*s));
	s->target = target;
	s->flags = MS_NOSUID | MS_NODEV;
	if (mode == PNS_TMP_TMPFS) {
		s->kind = PNS_STEP_TMPFS;
		tmpfs_data(&p->tmp_size, p->tmp_inodes, s->data, sizeof(s->data));
	} else {
		s->kind = PNS_STEP_BIND_DIR;
		s->state_subdir = subdir;
	}
}

size_t pns_plan_mount_steps(const struct pns_plan *p, struct pns_mount_step steps[PNS_MAX_STEPS])
{
	size_t n = 0;

	if (!(p->namespaces & PNS_NS_MOUNT))
		return 0;

	/* First, before any mount: nothing made below may propagate to the host. */
	memset(&steps[n], 0, sizeof(steps[n]));
	steps[n].kind = PNS_STEP_SLAVE_ROOT;
	steps[n].target = "/";
	steps[n].flags = MS_SLAVE | MS_REC;
	n++;

	add_tmp(p, p->tmp, "/tmp", PNS_STATE_SUBDIR_TMP, steps, &n);
	add_tmp(p, p->var_tmp, "/var/tmp", PNS_STATE_SUBDIR_VAR_TMP, steps, &n);

	if (p->shm_private) {
		memset(&steps[n], 0, sizeof(steps[n]));
		steps[n].kind = PNS_STEP_TMPFS;
		steps[n].target = "/dev/shm";
		steps[n].flags = MS_NOSUID | MS_NODEV;
		tmpfs_data(&p->shm_size, p->shm_inodes, steps[n].data, sizeof(steps[n].data));
		n++;

		/* mqueue shows the IPC namespace of whoever mounts it: the set's. */
		memset(&steps[n], 0, sizeof(steps[n]));
		steps[n].kind = PNS_STEP_MQUEUE;
		steps[n].target = "/dev/mqueue";
		steps[n].flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		steps[n].optional = true;
		n++;
	}
	return n;
}

/*
 * Does a login with this plan get what the set was made of? Everything the
 * set is built from must be equal, with one exception: a login without a
 * user namespace (a caller that skips it, or a policy that dropped it)
 * joins a set that has one for mount, ipc and uts only, and then the
 * user namespace's own keys do not matter. userns_fallback is how a login
 * is planned, not what a set is made of.
 */
bool pns_plan_fits_set(const struct pns_plan *login, const struct pns_plan *set)
{
	bool userns = login->namespaces & PNS_NS_USER;

	if (login->uid != set->uid || login->gid != set->gid || login->share != set->share ||
		login->tmp != set->tmp || login->var_tmp != set->var_tmp ||
		login->tmp_size.value != set->tmp_size.value ||
		login->tmp_size.percent != set->tmp_size.percent ||
		login->tmp_inodes != set->tmp_inodes || login->shm_private != set->shm_private ||
		strcmp(login->hostname, set->hostname) != 0)
		return false;
	/* shm_size and shm_inodes size a private /dev/shm; without one they make nothing. */
	if (set->shm_private && (login->shm_size.value != set->shm_size.value ||
					login->shm_size.percent != set->shm_size.percent ||
					login->shm_inodes != set->shm_inodes))
		return false;
	if (!userns)
		return (login->namespaces & ~PNS_NS_USER) == (set->namespaces & ~PNS_NS_USER);
	return login->namespaces == set->namespaces && login->userns_map == set->userns_map &&
	       login->n_gids == set->n_gids &&
	       memcmp(login->gids, set->gids, sizeof(login->gids[0]) * login->n_gids) == 0 &&
	       memcmp(&login->subuid, &set->subuid, sizeof(login->subuid)) == 0 &&
	       memcmp(&login->subgid, &set->subgid, sizeof(login->subgid)) == 0;
}

static const char *tmp_word(enum pns_tmp t)
{
	return t == PNS_TMP_TMPFS ? "tmpfs" : t == PNS_TMP_DIR ? "dir" : "none";
}

/* "tmp none -> tmpfs, namespaces mount ipc uts -> mount ipc uts user": the
 * keys in which the login's plan differs from the set's, for the log. */
void pns_plan_describe_difference(
	const struct pns_plan *set, const struct pns_plan *login, char *buf, size_t size)
{
	char x[64], y[64];
	size_t n = 0;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < size)                                                                      \
			n += (size_t)snprintf(buf + n, size - n, "%s", n ? ", " : "");             \
		if (n < size)                                                                      \
			n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__);                     \
	} while (0)

	buf[0] = 0;
	if (set->namespaces != login->namespaces)
		ADD("namespaces %s -> %s", pns_ns_mask_to_string(set->namespaces, x, sizeof(x)),
			pns_ns_mask_to_string(login->namespaces, y, sizeof(y)));
	if (set->tmp != login->tmp)
		ADD("tmp %s -> %s", tmp_word(set->tmp), tmp_word(login->tmp));
	if (set->var_tmp != login->var_tmp)
		ADD("var_tmp %s -> %s", tmp_word(set->var_tmp), tmp_word(login->var_tmp));
	if (set->tmp_size.value != login->tmp_size.value ||
		set->tmp_size.percent != login->tmp_size.percent)
		ADD("tmp_size %llu%s -> %llu%s", (unsigned long long)set->tmp_size.value,
			set->tmp_size.percent ? "%" : "", (unsigned long long)login->tmp_size.value,
			login->tmp_size.percent ? "%" : "");
	if (set->tmp_inodes != login->tmp_inodes)
		ADD("tmp_inodes %llu -> %llu", (unsigned long long)set->tmp_inodes,
			(unsigned long long)login->tmp_inodes);
	if (set->shm_private != login->shm_private)
		ADD("shm %s -> %s", set->shm_private ? "private" : "shared",
			login->shm_private ? "private" : "shared");
	if (set->shm_private && login->shm_private &&
		(set->shm_size.value != login->shm_size.value ||
			set->shm_size.percent != login->shm_size.percent))
		ADD("shm_size %llu%s -> %llu%s", (unsigned long long)set->shm_size.value,
			set->shm_size.percent ? "%" : "", (unsigned long long)login->shm_size.value,
			login->shm_size.percent ? "%" : "");
	if (set->shm_private && login->shm_private && set->shm_inodes != login->shm_inodes)
		ADD("shm_inodes %llu -> %llu", (unsigned long long)set->shm_inodes,
			(unsigned long long)login->shm_inodes);
	if (strcmp(set->hostname, login->hostname) != 0)
		ADD("hostname '%s' -> '%s'", set->hostname, login->hostname);
	if (set->gid != login->gid)
		ADD("gid %u -> %u", set->gid, login->gid);
	if (set->userns_map != login->userns_map)
		ADD("userns_map changed");
	if (set->n_gids != login->n_gids ||
		memcmp(set->gids, login->gids, sizeof(set->gids[0]) * set->n_gids) != 0)
		ADD("groups changed");
	if (memcmp(&set->subuid, &login->subuid, sizeof(set->subuid)) != 0 ||
		memcmp(&set->subgid, &login->subgid, sizeof(set->subgid)) != 0)
		ADD("subordinate ids changed");
	if (!buf[0])
		ADD("plan changed");
#undef ADD
}

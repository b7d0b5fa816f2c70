/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Policy: load /etc/security/pam_ns.conf and its drop-ins strictly, then
 * resolve the settings that apply to one account.
 *
 * Pure code: no logging, no globals beyond iniparser's error callback, no
 * privileged syscalls.  Every error is returned as data (struct pns_diag)
 * so that the module logs it and pam_nsctl prints it, word for word.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/macro.h"
#include "common/namespace.h"

/* The keys, in the order pam_nsctl explain prints them. */
enum pns_key {
	PNS_KEY_ISOLATE,
	PNS_KEY_NAMESPACES,
	PNS_KEY_TMP,
	PNS_KEY_TMP_SIZE,
	PNS_KEY_TMP_INODES,
	PNS_KEY_VAR_TMP,
	PNS_KEY_SHM,
	PNS_KEY_SHM_SIZE,
	PNS_KEY_SHM_INODES,
	PNS_KEY_HOSTNAME,
	PNS_KEY_SHARE,
	PNS_KEY_USERNS_MAP,
	PNS_KEY_USERNS_FALLBACK,
	_PNS_KEY_MAX,
};

enum pns_tmp { PNS_TMP_NONE, PNS_TMP_TMPFS, PNS_TMP_DIR, _PNS_TMP_MAX };
/* shm: AUTO resolves to PRIVATE when ipc and mount are isolated (a private
 * /dev/shm needs a mount namespace to live in), SHARED otherwise. */
enum pns_shm { PNS_SHM_AUTO, PNS_SHM_PRIVATE, PNS_SHM_SHARED, _PNS_SHM_MAX };
enum pns_share { PNS_SHARE_USER, PNS_SHARE_SESSION, _PNS_SHARE_MAX };
enum pns_userns_map { PNS_USERNS_MAP_SELF, PNS_USERNS_MAP_SUBID, _PNS_USERNS_MAP_MAX };
enum pns_userns_fallback {
	PNS_USERNS_FALLBACK_DENY,
	PNS_USERNS_FALLBACK_SKIP,
	_PNS_USERNS_FALLBACK_MAX,
};

/* A tmpfs size: bytes, or a percentage (1..100) of RAM. Never 0: tmpfs reads 0 as "no limit". */
struct pns_size {
	uint64_t value;
	bool percent;
};

/* Where a value came from: file == NULL means built-in. */
struct pns_origin {
	const char *file;
	unsigned line;
};

/* Longest hostname template accepted, in bytes, without the NUL. */
#define PNS_HOSTNAME_TEMPLATE_MAX 255

struct pns_settings {
	bool isolate;
	unsigned namespaces; /* PNS_NS_* */
	enum pns_tmp tmp;
	struct pns_size tmp_size;
	uint64_t tmp_inodes; /* 0: kernel default */
	enum pns_tmp var_tmp;
	enum pns_shm shm;
	struct pns_size shm_size; /* the private /dev/shm's, apart from tmp_size */
	uint64_t shm_inodes;	  /* 0: kernel default */
	char hostname[PNS_HOSTNAME_TEMPLATE_MAX + 1]; /* "": leave the host name as it is */
	enum pns_share share;
	enum pns_userns_map userns_map;
	enum pns_userns_fallback userns_fallback;
	struct pns_origin origin[_PNS_KEY_MAX];
};

/*
 * The account a policy is resolved for, as NSS describes it.
 * groups[] holds the primary gid and every supplementary gid;
 * group_names[i] is the name of groups[i], or NULL when the gid has none.
 */
struct pns_identity {
	const char *name;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	const char *const *group_names;
	size_t n_groups;
};

/* One problem with the policy: "file:line: message" (line 0: the whole file). */
struct pns_diag {
	char *file;
	unsigned line;
	char *message;
};

struct pns_diag_list {
	struct pns_diag *items;
	size_t n;
};

struct pns_policy;

/*
 * Loading is two phases, so that a login pays iniparser only for the
 * sections that can apply to its account:
 *
 *  1. pns_policy_scan() opens and reads every file with all the checks of
 *     pam_ns.conf(5) and runs the strict line scanner over all of them: every
 *     problem in any file is found here, in time linear in the size of the
 *     policy. The result cannot be resolved yet.
 *  2. pns_policy_confirm() hands the sections that apply to one identity
 *     (or, with id == NULL, every section) to iniparser and compares its
 *     reading with the scanner's. Only then can pns_policy_resolve() use
 *     the policy, and only for that identity.
 *
 * pns_policy_load() is both phases for every section: what pam_nsctl check
 * does, and what a caller resolving for several accounts wants.
 */

/*
 * Phase 1: read main_path, then main_path.d/ *.conf in lexical (strcmp)
 * order, and validate them.
 * Returns 0 if the policy is valid and stores it in *ret.
 * Returns -EINVAL if it is not; every problem found is appended to diags.
 * Returns another -errno (-ENOMEM, ...) on a system error, also described in diags.
 * On any error *ret is untouched: never a partial policy.
 *
 * require_root_owned: check that every file is a regular file owned by root
 * and not writable by group or others, in root-owned directories that are
 * not writable by group or others.  The module and pam_nsctl always pass
 * true; unit tests pass false.
 */
int pns_policy_scan(const char *main_path, bool require_root_owned, struct pns_policy **ret,
	struct pns_diag_list *diags) _warn_unused_result_;

/*
 * Phase 2: cross-check with iniparser the sections that can apply to id:
 * every [default], [user:NAME] with id->name, [uid:N] with id->uid, and
 * [gid:N]/[group:NAME] with id->gid or any of id->groups/group_names.
 * id == NULL: every section of every file, and files without sections.
 *
 * A section that cannot apply to id is not handed to iniparser here, but
 * the scanner validated it completely in phase 1.
 *
 * Returns 0 when iniparser reads those sections exactly as the scanner did;
 * pns_policy_resolve() then accepts id (and only an identity equal to it:
 * same name, uid, gid, groups and group names), or any identity after
 * id == NULL. A later successful confirm with another id replaces the
 * accepted identity.
 * Returns -EINVAL if iniparser reads something differently, or another
 * -errno on a system error; both described in diags (file and line). After
 * any failure the policy is unusable: every later confirm and resolve
 * fails with -ESTALE.
 */
int pns_policy_confirm(struct pns_policy *p, const struct pns_identity *id,
	struct pns_diag_list *diags) _warn_unused_result_;

/* libiniparser, dlopen()ed by the cross-check (configure: --with-libiniparser-soname). */
#ifndef PNS_INIPARSER_SONAME
#define PNS_INIPARSER_SONAME "libiniparser.so.1"
#endif

/*
 * Let pns_policy_confirm() use the policy cache in run_dir_fd (PNS_RUN_DIR,
 * still the caller's to close, open until the last confirm): batches whose
 * exact bytes iniparser confirmed before, with this module file and this
 * libiniparser file, are confirmed without loading iniparser, and what it
 * confirms now is added (common/policy-cache.h). The module only:
 * pam_nsctl check always shows iniparser every byte.
 */
void pns_policy_use_cache(struct pns_policy *p, int run_dir_fd);

/*
 * Both phases, every section cross-checked: pns_policy_scan() then
 * pns_policy_confirm(p, NULL). Same returns as pns_policy_scan(); *ret is
 * untouched on any error. When the scanner finds problems, the files it
 * accepted are still cross-checked, so that every problem is reported.
 */
int pns_policy_load(const char *main_path, bool require_root_owned, struct pns_policy **ret,
	struct pns_diag_list *diags) _warn_unused_result_;

void pns_policy_free(struct pns_policy *p);

/* Whether a file in MAIN.d/ is a drop-in: the shell's *.conf, so hidden
 * files do not match and ".conf" alone does not either. */
bool pns_policy_is_dropin_name(const char *name);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pns_policy *, pns_policy_free);

/*
 * Whether the policy has any [group:NAME] or [gid:N] section (known after
 * phase 1). When it has none, an account's groups cannot change its
 * settings, and a caller may confirm and resolve an identity without
 * supplementary groups (n_groups = 0) instead of asking NSS for them.
 */
bool pns_policy_has_group_sections(const struct pns_policy *p);

/*
 * The settings for one account. For each key the value comes from the most
 * specific match: a [user:NAME] or [uid:N] section (the one appearing last
 * wins when both set it), else the matching [group:NAME]/[gid:N] section
 * that appears last, else [default], else the built-in default.
 * origin[] pointers stay valid as long as p lives.
 *
 * Returns 0 and fills *ret; -EINVAL if p, id or ret is NULL; -ESTALE if p
 * was not confirmed for this identity (never confirmed, confirmed for
 * another identity, or a confirm failed). *ret is untouched on failure.
 */
int pns_policy_resolve(const struct pns_policy *p, const struct pns_identity *id,
	struct pns_settings *ret) _warn_unused_result_;

/* The built-in defaults, origin "built-in" everywhere. */
void pns_settings_builtin(struct pns_settings *ret);

const char *pns_key_name(enum pns_key k);
/* The value of key k in s, formatted as it would be written in the file. */
int pns_settings_format(const struct pns_settings *s, enum pns_key k, char *buf, size_t size);

/* The files that were read, in order (for pam_nsctl check). */
size_t pns_policy_n_files(const struct pns_policy *p);
const char *pns_policy_file(const struct pns_policy *p, size_t i);
size_t pns_policy_n_sections(const struct pns_policy *p);

void pns_diag_list_clear(struct pns_diag_list *l);
/* Append "file:line: message"; returns -ENOMEM on failure. */
int pns_diag_add(struct pns_diag_list *l, const char *file, unsigned line, const char *fmt, ...)
	_printf_(4, 5);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An NSS module for nss_wrapper (NSS_WRAPPER_MODULE_SO_PATH, prefix
 * "secfail") that makes group lookups fail or stall, for t-sec-bounds:
 *
 *   SECFAIL_MODE=unavail  every group lookup returns NSS_STATUS_UNAVAIL (EIO)
 *   SECFAIL_MODE=tryagain every group lookup returns NSS_STATUS_TRYAGAIN (EAGAIN)
 *   SECFAIL_MODE=slow     every group lookup sleeps SECFAIL_SLEEP seconds
 *                         (default 2), then answers "not found"
 *
 * Users are never answered here ("not found"): nss_wrapper then reads its
 * passwd file. The mode is read from the environment of the process that
 * loaded the module (pam-drive), which is the process running pam_ns.so.
 */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum nss_status group_answer(int *errnop)
{
	const char *mode = getenv("SECFAIL_MODE");

	if (mode && strcmp(mode, "unavail") == 0) {
		*errnop = EIO;
		return NSS_STATUS_UNAVAIL;
	}
	if (mode && strcmp(mode, "tryagain") == 0) {
		*errnop = EAGAIN;
		return NSS_STATUS_TRYAGAIN;
	}
	if (mode && strcmp(mode, "slow") == 0) {
		const char *s = getenv("SECFAIL_SLEEP");

		sleep(s ? (unsigned)atoi(s) : 2u);
	}
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_secfail_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
		int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_secfail_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
		int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_secfail_setpwent(void) { return NSS_STATUS_SUCCESS; }
enum nss_status _nss_secfail_endpwent(void) { return NSS_STATUS_SUCCESS; }
enum nss_status _nss_secfail_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_secfail_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
		int *errnop)
{
	return group_answer(errnop);
}

enum nss_status _nss_secfail_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
		int *errnop)
{
	return group_answer(errnop);
}

enum nss_status _nss_secfail_setgrent(void) { return NSS_STATUS_SUCCESS; }
enum nss_status _nss_secfail_endgrent(void) { return NSS_STATUS_SUCCESS; }
enum nss_status _nss_secfail_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	return group_answer(errnop);
}

enum nss_status _nss_secfail_initgroups_dyn(const char *user, gid_t group, long *start,
		long *size, gid_t **groups, long limit, int *errnop)
{
	return group_answer(errnop);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_ns.so: put a login session into its account's namespace set.
 * The PAM glue only; see docs/DESIGN.md for the whole sequence.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_SESSION
#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "common/fdutil.h"
#include "common/identity.h"
#include "common/plan.h"
#include "common/policy.h"
#include "pam_ns/session.h"

#define DATA_NAME "pam_ns_session"
#define DEFAULT_TIMEOUT_SEC 10u
#define MAX_LOGGED_PROBLEMS 20

struct args {
	const char *config;
	const char *helper;
	unsigned timeout_sec;
	bool debug;
};

struct session_data {
	uint32_t uid;
	uint64_t session_id;
	char set_name[PNS_SET_NAME_MAX + 1];
};

/* User names come from the network (sshd) or the invoker (su): never let one
 * forge a log line. */
static const char *printable(const char *s, char buf[static 80])
{
	size_t i;

	for (i = 0; s && s[i] && i < 79; i++)
		buf[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

/* The only place an -errno becomes a PAM code: fail closed. */
static int pam_code(int r)
{
	return r == -ENOMEM ? PAM_BUF_ERR : PAM_SESSION_ERR;
}

static int parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *ret)
{
	struct args a = {
		.config = PNS_CONFIG_FILE,
		.helper = PNS_HELPER_PATH,
		.timeout_sec = DEFAULT_TIMEOUT_SEC,
	};

	for (int i = 0; i < argc; i++) {
		const char *v;

		if (strcmp(argv[i], "debug") == 0)
			a.debug = true;
		else if ((v = strchr(argv[i], '=')) && strncmp(argv[i], "config=", 7) == 0 &&
				v[1] == '/')
			a.config = v + 1;
		else if (strncmp(argv[i], "helper=", 7) == 0 && v && v[1] == '/')
			a.helper = v + 1;
		else if (strncmp(argv[i], "timeout=", 8) == 0 && v) {
			char *end;
			unsigned long t;

			errno = 0;
			t = strtoul(v + 1, &end, 10);
			if (errno || *end || end == v + 1 || v[1] == '-' || t < 1 || t > 60) {
				pam_syslog(pamh, LOG_ERR,
						"Invalid module argument %s: expected 1..60 seconds",
						argv[i]);
				return -EINVAL;
			}
			a.timeout_sec = (unsigned)t;
		} else {
			pam_syslog(pamh, LOG_ERR,
					"Unknown or invalid module argument: %s (known: config=/PATH "
					"helper=/PATH timeout=SECONDS debug)",
					argv[i]);
			return -EINVAL;
		}
	}
	*ret = a;
	return 0;
}

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
	free(data);
}

static void log_problems(pam_handle_t *pamh, const struct pns_diag_list *diags)
{
	for (size_t i = 0; i < diags->n && i < MAX_LOGGED_PROBLEMS; i++) {
		const struct pns_diag *d = &diags->items[i];

		if (d->line > 0)
			pam_syslog(pamh, LOG_ERR, "Policy problem: %s:%u: %s", d->file, d->line,
					d->message);
		else
			pam_syslog(pamh, LOG_ERR, "Policy problem: %s: %s", d->file, d->message);
	}
	if (diags->n > MAX_LOGGED_PROBLEMS)
		pam_syslog(pamh, LOG_ERR, "Policy problem: %zu more not shown (pam_nsctl check)",
				diags->n - MAX_LOGGED_PROBLEMS);
}

/* Everything before the helper: who is it, and what does the policy say? */
static int resolve(pam_handle_t *pamh, const struct args *args, const char *user, char *logname,
		struct pns_plan *ret_plan, bool *ret_isolate)
{
	_cleanup_(pns_account_freep) struct pns_account *account = NULL;
	_cleanup_(pns_policy_freep) struct pns_policy *policy = NULL;
	struct pns_diag_list diags = { 0 };
	struct pns_settings settings;
	char host[PNS_HOSTNAME_MAX + 1] = "";
	const char *why = NULL;
	int r;

	r = pns_account_lookup(user, &account);
	if (r < 0) {
		errno = -r;
		if (r == -ENOENT)
			pam_syslog(pamh, LOG_ERR,
					"Denying session: user %s is unknown to NSS", logname);
		else
			pam_syslog(pamh, LOG_ERR,
					"Denying session: failed to look up user %s through NSS: %m",
					logname);
		return r;
	}

	r = pns_policy_load(args->config, true, &policy, &diags);
	if (r < 0) {
		log_problems(pamh, &diags);
		pns_diag_list_clear(&diags);
		errno = -r;
		pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): the policy %s is %s; "
				"run 'pam_nsctl check'",
				logname, (unsigned)account->id.uid, args->config,
				r == -EINVAL ? "invalid" : "unreadable");
		return r;
	}

	pns_policy_resolve(policy, &account->id, &settings);
	if (!settings.isolate) {
		if (args->debug)
			pam_syslog(pamh, LOG_DEBUG, "User %s (uid %u) is not isolated (%s:%u)",
					logname, (unsigned)account->id.uid,
					settings.origin[PNS_KEY_ISOLATE].file ?: "built-in",
					settings.origin[PNS_KEY_ISOLATE].line);
		*ret_isolate = false;
		return 0;
	}

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = 0;
	r = pns_plan_build(&settings, &account->id, host, ret_plan, &why);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "Denying session for user %s (uid %u): %s", logname,
				(unsigned)account->id.uid, why);
		return r;
	}
	*ret_isolate = true;
	return 0;
}

/* Mount, IPC and UTS isolation are joined here; the user namespace cannot be
 * (SPEC 3.2), so a policy asking for one follows userns_fallback. */
static int apply_userns_fallback(pam_handle_t *pamh, const char *logname, struct pns_plan *plan)
{
	if (!(plan->namespaces & PNS_NS_USER))
		return 0;
	if (plan->userns_fallback == PNS_USERNS_FALLBACK_SKIP) {
		plan->namespaces &= ~(unsigned)PNS_NS_USER;
		pam_syslog(pamh, LOG_NOTICE,
				"User namespace skipped for user %s (uid %u): this version of pam_ns "
				"cannot enter one here (userns_fallback = skip); mount, ipc and uts "
				"isolation apply",
				logname, plan->uid);
		return plan->namespaces ? 0 : -EOPNOTSUPP;
	}
	pam_syslog(pamh, LOG_ERR,
			"Denying session for user %s (uid %u): the policy asks for a user namespace, "
			"which this version of pam_ns cannot enter here; set userns_fallback = skip "
			"to go on without it, or remove user from namespaces",
			logname, plan->uid);
	return -EOPNOTSUPP;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pns_reply reply;
	struct session_data *data;
	struct pns_plan plan;
	struct args args;
	const char *user = NULL;
	char logname[80], nsbuf[32];
	_cleanup_close_ int anchor_pidfd = -1;
	bool isolate = false;
	int r, threads;

	r = parse_args(pamh, argc, argv, &args);
	if (r < 0)
		return PAM_SESSION_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "Denying session: no user name");
		return PAM_SESSION_ERR;
	}
	printable(user, logname);

	r = resolve(pamh, &args, user, logname, &plan, &isolate);
	if (r < 0)
		return pam_code(r);
	if (!isolate)
		return PAM_IGNORE;
	r = apply_userns_fallback(pamh, logname, &plan);
	if (r < 0)
		return pam_code(r);

	/* setns() into a mount namespace fails in a multi-threaded process (SPEC 3.6). */
	threads = pns_count_threads();
	if (threads != 1) {
		pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): the calling program has %d "
				"threads, and a multi-threaded process cannot join namespaces",
				logname, plan.uid, threads);
		return PAM_SESSION_ERR;
	}

	r = pns_helper_check(args.helper);
	if (r < 0) {
		errno = -r;
		pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): helper %s is unusable "
				"(must be a root-owned file not writable by group or others): %m",
				logname, plan.uid, args.helper);
		return PAM_SESSION_ERR;
	}

	r = pns_session_open(args.helper, (uint64_t)args.timeout_sec * 1000000u, &plan, &reply,
			&anchor_pidfd);
	if (r < 0) {
		errno = -r;
		pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): failed to set up its namespaces: "
				"%s%s%m",
				logname, plan.uid, reply.message, reply.message[0] ? ": " : "");
		return pam_code(r);
	}

	r = pns_session_join(anchor_pidfd, plan.namespaces, &reply);
	if (r < 0) {
		int saved = r;

		(void)pns_session_release(plan.uid, reply.set_name, reply.session_id);
		errno = -saved;
		pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): failed to join set %s: %m",
				logname, plan.uid, reply.set_name);
		return pam_code(saved);
	}

	data = calloc(1, sizeof(*data));
	if (!data || pam_set_data(pamh, DATA_NAME, data, free_data) != PAM_SUCCESS) {
		free(data);
		/* Cannot undo the join; the caller's exit ends the session. */
		pam_syslog(pamh, LOG_CRIT, "Failed to record the session of user %s", logname);
		return PAM_BUF_ERR;
	}
	data->uid = plan.uid;
	data->session_id = reply.session_id;
	pns_strlcpy(data->set_name, reply.set_name, sizeof(data->set_name));

	pam_syslog(pamh, LOG_INFO, "User %s (uid %u) %s set %s (%s, mnt:[%llu])", logname,
			plan.uid, reply.created ? "created" : "joined", reply.set_name,
			pns_ns_mask_to_string(plan.namespaces, nsbuf, sizeof(nsbuf)),
			(unsigned long long)reply.ns_ino[PNS_NSI_MNT]);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *p = NULL;
	const struct session_data *data;
	int r;

	if (pam_get_data(pamh, DATA_NAME, &p) != PAM_SUCCESS || !p)
		return PAM_IGNORE;
	data = p;
	r = pns_session_release(data->uid, data->set_name, data->session_id);
	if (r < 0 && r != -ENOENT) {
		/* The anchor also sees the caller exit; logout goes on. */
		errno = -r;
		pam_syslog(pamh, LOG_WARNING, "Failed to release session %llu of set %s (uid %u): %m",
				(unsigned long long)data->session_id, data->set_name, data->uid);
	}
	(void)pam_set_data(pamh, DATA_NAME, NULL, NULL);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

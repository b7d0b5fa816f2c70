/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_ns.so: put a login session into its account's namespace set.
 * The PAM glue only; see docs/DESIGN.md for the whole sequence.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_SESSION
#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "common/client.h"
#include "common/decide.h"
#include "common/fdutil.h"
#include "common/identity.h"
#include "common/plan.h"
#include "common/policy.h"
#include "common/sdunit.h"
#include "pam_ns/session.h"

#define DATA_NAME "pam_ns_session"
/* Set when setcred(ESTABLISH) reaches us in sshd before open_session: the
 * sign that sshd will call setcred again in the session's child. */
#define SETCRED_DATA_NAME "pam_ns_setcred_seen"
#define DEFAULT_TIMEOUT_SEC 10u
#define MAX_LOGGED_PROBLEMS 20

struct args {
	const char *config;
	const char *helper;
	unsigned timeout_sec;
	bool debug;
	bool landlock_optional; /* landlock=optional: go on without it, and log that */
};

struct session_data {
	uint32_t uid;
	uint32_t gid;
	uint64_t set_id;
	uint64_t session_id;
	char set_name[PNS_SET_NAME_MAX + 1];
	pid_t opener;  /* the process that ran open_session */
	int userns_fd; /* the set's user namespace, for sshd's child; else -1 */
	/* Stack order: on a systemd host, pam_systemd had not registered the
	 * session (no XDG_SESSION_ID) when pam_ns joined it to the set. */
	bool before_logind;
	bool child_setcred; /* sshd: setcred comes in the session's child */
	bool order_checked;
};

/*
 * pam_ns belongs after pam_systemd in the session stack (pam_ns(8), SYSTEMD
 * HOSTS). pam_systemd registers the session with logind and sets
 * XDG_SESSION_ID in the PAM environment; if that appears only after pam_ns
 * ran, pam_systemd came later. Checked when PAM calls pam_ns again after
 * the whole session stack has run (setcred, close_session), so that a
 * stack without pam_systemd (cron, systemd-user, a host without systemd)
 * or a login that logind does not register (su inside a session) is
 * never warned about.
 */
static const char *printable(const char *s, char buf[static 80]);

static void check_stack_order(pam_handle_t *pamh, struct session_data *d)
{
	const char *service = NULL;
	char logname[80], svc[80];
	const char *user = NULL;

	if (d->order_checked || !d->before_logind)
		return;
	d->order_checked = true;
	if (!pam_getenv(pamh, "XDG_SESSION_ID"))
		return;
	(void)pam_get_item(pamh, PAM_SERVICE, (const void **)&service);
	(void)pam_get_item(pamh, PAM_USER, (const void **)&user);
	pam_syslog(pamh, LOG_WARNING,
		"Wrong stack order in /etc/pam.d/%s: pam_systemd registered the session of "
		"user %s (uid %u) with logind after pam_ns had put it into set %s; put the "
		"pam_ns session line after pam_systemd (after @include common-session), so "
		"that logind's scope and the session's other modules act on the host, not "
		"inside the set (pam_ns(8), SYSTEMD HOSTS)",
		printable(service, svc), printable(user, logname), d->uid, d->set_name);
}

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

/*
 * pam_limits, earlier in the same session stack, sets this very process's
 * limits: a small RLIMIT_FSIZE makes the policy loader's write to its
 * memfd raise SIGXFSZ, whose default action kills the caller (sshd's
 * monitor, su). Around the loading, lift the limit (the module runs as
 * root) and block the signal; drain one we raised, then restore both.
 */
struct fsize_guard {
	struct rlimit old;
	sigset_t old_mask;
	bool restore_limit;
};

static void fsize_guard_enter(struct fsize_guard *g)
{
	static const struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
	sigset_t xfsz;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	(void)pthread_sigmask(SIG_BLOCK, &xfsz, &g->old_mask);
	g->restore_limit = getrlimit(RLIMIT_FSIZE, &g->old) == 0 &&
			   g->old.rlim_cur != RLIM_INFINITY &&
			   setrlimit(RLIMIT_FSIZE, &unlimited) == 0;
}

static void fsize_guard_leave(struct fsize_guard *g)
{
	static const struct timespec now = {0, 0};
	sigset_t xfsz, pending;

	if (g->restore_limit)
		(void)setrlimit(RLIMIT_FSIZE, &g->old);
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	if (!sigismember(&g->old_mask, SIGXFSZ) && sigpending(&pending) == 0 &&
		sigismember(&pending, SIGXFSZ))
		(void)sigtimedwait(&xfsz, NULL, &now);
	(void)pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
}

static void anchor_move_closep(struct pns_anchor_move *am)
{
	pns_anchor_move_close(am);
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
		} else if (strcmp(argv[i], "landlock=required") == 0)
			a.landlock_optional = false;
		else if (strcmp(argv[i], "landlock=optional") == 0)
			a.landlock_optional = true;
		else {
			pam_syslog(pamh, LOG_ERR,
				"Unknown or invalid module argument: %s (known: config=/PATH "
				"helper=/PATH timeout=SECONDS landlock=required|optional debug)",
				argv[i]);
			return -EINVAL;
		}
	}
	*ret = a;
	return 0;
}

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
	struct session_data *d = data;

	if (d)
		safe_close(d->userns_fd);
	free(data);
}

static void free_flag(pam_handle_t *pamh, void *data, int error_status)
{
}

/* OpenSSH (sshd, or sshd-session from 9.8 on) calls setcred in the session's
 * child before it drops privileges; no other caller is known to, so the
 * auth line alone is not trusted to mean there is such a hook. */
static bool caller_is_sshd(void)
{
	char exe[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *base;

	if (n <= 0)
		return false;
	exe[n] = 0;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return strcmp(base, "sshd") == 0 || strcmp(base, "sshd-session") == 0;
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
static int lookup_account(pam_handle_t *pamh, const char *user, const char *logname,
	bool with_groups, struct pns_account **ret)
{
	int r = pns_account_lookup(user, with_groups, ret);

	if (r < 0) {
		errno = -r;
		if (r == -ENOENT)
			pam_syslog(pamh, LOG_ERR, "Denying session: user %s is unknown to NSS",
				logname);
		else
			pam_syslog(pamh, LOG_ERR,
				"Denying session: failed to look up user %s through NSS: %m",
				logname);
	}
	return r;
}

static int policy_failed(pam_handle_t *pamh, const struct args *args, const char *logname,
	struct pns_diag_list *diags, int r)
{
	log_problems(pamh, diags);
	pns_diag_list_clear(diags);
	errno = -r;
	pam_syslog(pamh, LOG_ERR,
		"Denying session for user %s: the policy %s is %s; run 'pam_nsctl check'", logname,
		args->config, r == -EINVAL ? "invalid" : "unreadable");
	return r;
}

/*
 * Everything before the helper: who is it, and what does the policy say?
 * The policy is scanned (every file, every line, validated) first, so that
 * NSS is asked for the account's groups only when some section names a
 * group; iniparser then confirms the sections that apply to the account.
 */
static int resolve(pam_handle_t *pamh, const struct args *args, const char *user, char *logname,
	bool can_enter_userns, struct pns_plan *ret_plan, bool *ret_isolate)
{
	_cleanup_(pns_account_freep) struct pns_account *account = NULL, *full = NULL;
	_cleanup_(pns_policy_freep) struct pns_policy *policy = NULL;
	struct pns_diag_list diags = {0};
	struct pns_settings settings;
	char host[PNS_HOSTNAME_MAX + 1] = "";
	struct pns_decision d;
	_cleanup_close_ int run_fd = -1;
	bool with_groups;
	int r;

	r = pns_policy_scan(args->config, true, &policy, &diags);
	if (r < 0)
		return policy_failed(pamh, args, logname, &diags, r);
	with_groups = pns_policy_has_group_sections(policy);
	r = lookup_account(pamh, user, logname, with_groups, &account);
	if (r < 0)
		return r;
	/* What iniparser confirmed for earlier logins (common/policy-cache.h);
	 * no /run/pam_ns yet, no cache. */
	run_fd = pns_open_run_dir(false, NULL);
	pns_policy_use_cache(policy, run_fd);
	r = pns_policy_confirm(policy, &account->id, &diags);
	pns_policy_use_cache(policy, -1);
	if (r < 0)
		return policy_failed(pamh, args, logname, &diags, r);
	r = pns_policy_resolve(policy, &account->id, &settings);
	if (r < 0) {
		errno = -r;
		pam_syslog(pamh, LOG_ERR,
			"Denying session for user %s (uid %u): failed to resolve the policy %s: %m",
			logname, (unsigned)account->id.uid, args->config);
		return r;
	}
	/* A user namespace maps every group of the account: ask NSS for them
	 * now if the policy did not need them. */
	if (settings.isolate && (settings.namespaces & PNS_NS_USER) && !with_groups) {
		r = lookup_account(pamh, user, logname, true, &full);
		if (r < 0)
			return r;
		if (full->id.uid != account->id.uid) {
			pam_syslog(pamh, LOG_ERR,
				"Denying session: NSS changed its answer for user %s", logname);
			return -ESTALE;
		}
		pns_account_free(TAKE_PTR(account));
		account = TAKE_PTR(full);
	}

	/* The host's name, for %h: only an isolated account needs it. */
	if (settings.isolate && gethostname(host, sizeof(host) - 1) < 0)
		host[0] = 0;
	pns_decide(&(struct pns_login){.settings = &settings,
			   .account = account,
			   .host_name = host,
			   .can_enter_userns = can_enter_userns},
		&d);
	switch (d.verdict) {
	case PNS_VERDICT_IGNORE:
		if (args->debug)
			pam_syslog(pamh, LOG_DEBUG, "User %s (uid %u) is not isolated (%s:%u)",
				logname, (unsigned)account->id.uid,
				settings.origin[PNS_KEY_ISOLATE].file ?: "built-in",
				settings.origin[PNS_KEY_ISOLATE].line);
		*ret_isolate = false;
		return 0;
	case PNS_VERDICT_DENY:
		pam_syslog(pamh, LOG_ERR, "Denying session for user %s (uid %u): %s", logname,
			(unsigned)account->id.uid, d.why);
		return d.error;
	case PNS_VERDICT_ISOLATE:
		break;
	}
	if (d.userns_skipped)
		pam_syslog(pamh, LOG_NOTICE,
			"User namespace skipped for user %s (uid %u): this PAM stack has no "
			"hook in the session's child (userns_fallback = skip); mount, ipc "
			"and uts isolation apply",
			logname, d.plan.uid);
	*ret_plan = d.plan;
	*ret_isolate = true;
	return 0;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pns_reply reply;
	struct session_data *data;
	struct pns_plan plan;
	struct args args;
	const char *user = NULL;
	char logname[80], nsbuf[32], unit[PNS_UNIT_NAME_MAX] = "";
	_cleanup_close_ int anchor_pidfd = -1, userns_fd = -1, landlock_fd = -1;
	_cleanup_(anchor_move_closep) struct pns_anchor_move am = {0};
	struct pns_session_hooks hooks;
	const void *seen = NULL;
	struct fsize_guard guard;
	bool isolate = false, can_enter_userns;
	int r, threads;

	r = parse_args(pamh, argc, argv, &args);
	if (r < 0)
		return PAM_SESSION_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "Denying session: no user name");
		return PAM_SESSION_ERR;
	}
	printable(user, logname);

	can_enter_userns = pam_get_data(pamh, SETCRED_DATA_NAME, &seen) == PAM_SUCCESS && seen;
	fsize_guard_enter(&guard);
	r = resolve(pamh, &args, user, logname, can_enter_userns, &plan, &isolate);
	fsize_guard_leave(&guard);
	if (r < 0)
		return pam_code(r);
	if (!isolate)
		return PAM_IGNORE;

	/* setns() into a mount namespace fails in a multi-threaded process (SPEC 3.6). */
	threads = pns_count_threads();
	if (threads != 1) {
		pam_syslog(pamh, LOG_ERR,
			"Denying session for user %s (uid %u): the calling program has %d "
			"threads, and a multi-threaded process cannot join namespaces",
			logname, plan.uid, threads);
		return PAM_SESSION_ERR;
	}

	/* The /proc door (landlock.c): the domain is made now, before any set
	 * is, so that a kernel without Landlock denies the login with the
	 * caller untouched; it is entered right after the join. A session in
	 * the set's user namespace needs none: the kernel already refuses it
	 * /proc/PID/root of processes outside that namespace, and a domain
	 * would forbid it mounts in user namespaces of its own (rootless
	 * containers), which a user namespace set allows. */
	if (!(plan.namespaces & PNS_NS_USER)) {
		landlock_fd = pns_landlock_ruleset();
		if (landlock_fd < 0) {
			errno = -landlock_fd;
			landlock_fd = -1;
			if (!args.landlock_optional) {
				pam_syslog(pamh, LOG_ERR,
					"Denying session for user %s (uid %u): cannot create a "
					"Landlock domain (%m), and without one the session could "
					"reach the host's /tmp through /proc/PID/root of the "
					"user's processes outside the set; landlock=optional "
					"goes on without it",
					logname, plan.uid);
				return PAM_SESSION_ERR;
			}
			pam_syslog(pamh, LOG_WARNING,
				"No Landlock domain for user %s (uid %u) (%m): landlock=optional, "
				"so /proc/PID/root of the user's processes outside the set stays "
				"open",
				logname, plan.uid);
		}
	}

	/* Joining a live set needs no helper: ask its anchor. Anything that
	 * says there is none sends us to the helper, which creates one. */
	r = -ENOENT;
	if (plan.share == PNS_SHARE_USER)
		r = pns_session_join_existing(&plan, (uint64_t)args.timeout_sec * 1000000u, &reply,
			&anchor_pidfd, &userns_fd);
	if (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET || r == -EPIPE) {
		_cleanup_close_ int helper_fd = pns_open_trusted_file(args.helper);

		if (helper_fd < 0) {
			errno = -helper_fd;
			pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): helper %s is unusable "
				"(it and every directory above it must be root's and not "
				"writable by group or others, with no symlink): %m",
				logname, plan.uid, args.helper);
			return PAM_SESSION_ERR;
		}
		pns_anchor_move_init(&am, plan.uid,
			pns_now_usec() + (uint64_t)args.timeout_sec * 1000000u, &hooks);
		r = pns_session_open(args.helper, helper_fd, (uint64_t)args.timeout_sec * 1000000u,
			&plan, &reply, &anchor_pidfd, &userns_fd, &hooks);
	}
	if (r < 0) {
		errno = -r;
		/* The helper's or anchor's own sentence says more than errno. */
		if (reply.message[0])
			pam_syslog(pamh, LOG_ERR, "Denying session for user %s (uid %u): %s",
				logname, plan.uid, reply.message);
		else
			pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): failed to set up its "
				"namespaces: %m",
				logname, plan.uid);
		return pam_code(r);
	}

	/* On a systemd host a new set's anchor leaves the login's scope for a
	 * unit of its own, before any session is in the set: the call went out
	 * as the helper answered (send_move()), its job is waited for here. */
	if (reply.created && am.systemd) {
		char why[256];

		r = pns_systemd_move_wait(&am.mv, anchor_pidfd,
			pns_now_usec() + (uint64_t)args.timeout_sec * 1000000u, unit, why,
			sizeof(why));
		if (r < 0) {
			char where[PNS_UNIT_NAME_MAX] = "?";
			pid_t pid;

			if (pns_pidfd_to_pid(anchor_pidfd, &pid) < 0 ||
				pns_pid_unit(pid, where, sizeof(where)) < 0)
				pns_strlcpy(where, "?", sizeof(where));
			pam_syslog(pamh, LOG_WARNING,
				"No systemd unit for set %s of user %s (uid %u): %s; falling "
				"back: its anchor stays in %s, and the end of that unit ends "
				"the set",
				reply.set_name, logname, plan.uid, why, where);
			unit[0] = 0;
		} else if (args.debug)
			pam_syslog(pamh, LOG_DEBUG,
				"Set %s of user %s (uid %u): anchor moved to %s in %llu us",
				reply.set_name, logname, plan.uid, unit,
				(unsigned long long)(pns_now_usec() - am.sent_at));
	}
	/* Started for a set the helper then joined instead. */
	pns_systemd_close(TAKE_PTR(am.bus));

	r = pns_join_set(anchor_pidfd, plan.namespaces, reply.ns_ino, landlock_fd);
	if (r < 0) {
		int saved = r;

		(void)pns_session_release(plan.uid, reply.set_name, reply.set_id, reply.session_id);
		errno = -saved;
		/* Root outside every domain may always inspect the anchor; a
		 * caller that may not is in another session's Landlock domain
		 * (su from an isolated session), and the anchor is not. */
		if (saved == -EACCES || saved == -EPERM)
			pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): the caller may not "
				"reach set %s (%m): it runs inside an isolated session's "
				"Landlock domain (su from an isolated session, for example), "
				"and a live set cannot be joined from there; log in to that "
				"account directly",
				logname, plan.uid, reply.set_name);
		else
			pam_syslog(pamh, LOG_ERR,
				"Denying session for user %s (uid %u): failed to join set %s: %m",
				logname, plan.uid, reply.set_name);
		return pam_code(saved);
	}

	data = calloc(1, sizeof(*data));
	if (data)
		data->userns_fd = -1;
	if (!data || pam_set_data(pamh, DATA_NAME, data, free_data) != PAM_SUCCESS) {
		free(data);
		/* Cannot undo the join; the caller's exit ends the session. */
		pam_syslog(pamh, LOG_CRIT, "Failed to record the session of user %s", logname);
		return PAM_BUF_ERR;
	}
	data->uid = plan.uid;
	data->gid = plan.gid;
	data->set_id = reply.set_id;
	data->session_id = reply.session_id;
	pns_strlcpy(data->set_name, reply.set_name, sizeof(data->set_name));
	data->opener = getpid();
	data->userns_fd = TAKE_FD(userns_fd);
	data->before_logind = pns_systemd_booted() && !pam_getenv(pamh, "XDG_SESSION_ID");
	data->child_setcred = can_enter_userns;

	pam_syslog(pamh, LOG_INFO, "User %s (uid %u) %s set %s (%s, mnt:[%llu]%s%s)", logname,
		plan.uid, reply.created ? "created" : "joined", reply.set_name,
		pns_ns_mask_to_string(plan.namespaces, nsbuf, sizeof(nsbuf)),
		(unsigned long long)reply.ns_ino[PNS_NSI_MNT], unit[0] ? ", unit " : "", unit);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *p = NULL;
	struct session_data *data;
	int r;

	if (pam_get_data(pamh, DATA_NAME, &p) != PAM_SUCCESS || !p)
		return PAM_IGNORE;
	data = (struct session_data *)p;
	/* sshd's session child has checked (its setcred). */
	if (!data->child_setcred)
		check_stack_order(pamh, data);
	/* systemd's (sd-pam) closes the user manager's session after giving
	 * up root: the anchor's socket is out of its reach, and the anchor
	 * sees the user manager, which opened the session, exit instead. */
	if (geteuid() != 0) {
		(void)pam_set_data(pamh, DATA_NAME, NULL, NULL);
		return PAM_SUCCESS;
	}
	r = pns_session_release(data->uid, data->set_name, data->set_id, data->session_id);
	if (r < 0 && r != -ENOENT) {
		/* The anchor also sees the caller exit; logout goes on. */
		errno = -r;
		pam_syslog(pamh, LOG_WARNING,
			"Failed to release session %llu of set %s (uid %u): %m",
			(unsigned long long)data->session_id, data->set_name, data->uid);
	}
	(void)pam_set_data(pamh, DATA_NAME, NULL, NULL);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

/*
 * sshd calls setcred(ESTABLISH) twice: in its monitor before open_session,
 * and in the session's child, as root, before it drops privileges (SPEC
 * 3.3). The first tells open_session that the second will come; the second
 * is where the session enters the set's user namespace.
 */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *p = NULL;
	struct session_data *data;
	char logname[80];
	const char *user = NULL;
	int r;

	if (!(flags & PAM_ESTABLISH_CRED))
		return PAM_IGNORE;

	if (pam_get_data(pamh, DATA_NAME, &p) != PAM_SUCCESS || !p) {
		/* Before open_session. Any non-NULL pointer will do as a flag. */
		if (caller_is_sshd() && pam_set_data(pamh, SETCRED_DATA_NAME, (void *)pamh,
						free_flag) != PAM_SUCCESS)
			return PAM_BUF_ERR;
		return PAM_IGNORE;
	}

	data = (struct session_data *)p;
	/* After open_session: the whole session stack has run. In sshd,
	 * this is the session's child (the monitor checks nothing). */
	if (!data->child_setcred || getpid() != data->opener)
		check_stack_order(pamh, data);
	if (data->userns_fd < 0 || getpid() == data->opener)
		return PAM_IGNORE;

	(void)pam_get_item(pamh, PAM_USER, (const void **)&user);
	printable(user, logname);
	r = pns_session_enter_userns(data->userns_fd, data->uid, data->gid);
	data->userns_fd = safe_close(data->userns_fd);
	if (r < 0) {
		errno = -r;
		pam_syslog(pamh, LOG_ERR,
			"Ending the login of user %s (uid %u): failed to enter the user "
			"namespace of set %s: %m",
			logname, data->uid, data->set_name);
		/*
		 * This process is sshd's child for this one login, about to
		 * run the user's shell, sftp or commands. sshd ignores a
		 * failed setcred here, under a "required" auth line as under
		 * an "optional" one, and would run them outside the user
		 * namespace, possibly half-entered (t-userns-failclosed). So
		 * the module ends this process; sshd's listener and monitor
		 * are untouched.
		 */
		(void)kill(getpid(), SIGKILL);
		return PAM_CRED_ERR;
	}
	pam_syslog(pamh, LOG_INFO, "User %s (uid %u) entered the user namespace of set %s", logname,
		data->uid, data->set_name);
	return PAM_SUCCESS;
}

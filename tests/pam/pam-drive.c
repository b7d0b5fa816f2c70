/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam-drive: run one PAM session the way login and su do, against a PAM
 * configuration directory of the test's choosing, and report every return
 * code.
 *
 *   pam-drive [options] USER [-- COMMAND [ARG...]]
 *
 *   -c, --confdir DIR    read the service file from DIR (pam_start_confdir)
 *   -s, --service NAME   service name (default: pam-drive)
 *   -r, --rhost HOST     set PAM_RHOST
 *   -t, --tty TTY        set PAM_TTY
 *   -n, --no-close       skip pam_close_session (the process exits in the set)
 *   -C, --no-setcred     skip pam_setcred
 *   -u, --as-user        run COMMAND as USER (initgroups, setgid, setuid)
 *   -a, --always-run     run COMMAND even when pam_open_session failed
 *
 * It prints, on stdout, one line per step, flushed before COMMAND runs:
 *
 *   start=Success
 *   setcred=Success         setcred_rc=PAM_SUCCESS
 *   open=Success            open_rc=PAM_SUCCESS
 *   ns_mnt=mnt:[4026531841] ns_ipc=... ns_uts=...   (this process, after open)
 *   cmd=0                   (COMMAND's exit status; "signal N" if killed)
 *   close=Success           close_rc=PAM_SUCCESS
 *   end=Success
 *
 * Exit status: 0 only if every PAM call returned PAM_SUCCESS and COMMAND
 * exited 0; 1 otherwise; 2 for a usage or system error.
 */

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static const char *rc_name(int rc)
{
	switch (rc) {
#define X(c)                                                                                       \
	case c:                                                                                    \
		return #c
		X(PAM_SUCCESS);
		X(PAM_OPEN_ERR);
		X(PAM_SYMBOL_ERR);
		X(PAM_SERVICE_ERR);
		X(PAM_SYSTEM_ERR);
		X(PAM_BUF_ERR);
		X(PAM_PERM_DENIED);
		X(PAM_AUTH_ERR);
		X(PAM_CRED_INSUFFICIENT);
		X(PAM_AUTHINFO_UNAVAIL);
		X(PAM_USER_UNKNOWN);
		X(PAM_MAXTRIES);
		X(PAM_NEW_AUTHTOK_REQD);
		X(PAM_ACCT_EXPIRED);
		X(PAM_SESSION_ERR);
		X(PAM_CRED_UNAVAIL);
		X(PAM_CRED_EXPIRED);
		X(PAM_CRED_ERR);
		X(PAM_NO_MODULE_DATA);
		X(PAM_CONV_ERR);
		X(PAM_AUTHTOK_ERR);
		X(PAM_AUTHTOK_RECOVERY_ERR);
		X(PAM_AUTHTOK_LOCK_BUSY);
		X(PAM_AUTHTOK_DISABLE_AGING);
		X(PAM_TRY_AGAIN);
		X(PAM_IGNORE);
		X(PAM_ABORT);
		X(PAM_AUTHTOK_EXPIRED);
		X(PAM_MODULE_UNKNOWN);
		X(PAM_BAD_ITEM);
		X(PAM_CONV_AGAIN);
		X(PAM_INCOMPLETE);
#undef X
	default:
		return "PAM_UNKNOWN_CODE";
	}
}

/* Modules should not prompt during a session; show what they say, answer nothing. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			fprintf(stderr, "pam-drive: module says: %s\n", msg[i]->msg);
			break;
		default:
			fprintf(stderr, "pam-drive: unexpected prompt: %s\n", msg[i]->msg);
			free(r);
			return PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void report(pam_handle_t *h, const char *step, int rc)
{
	printf("%s=%s\n%s_rc=%s\n", step, pam_strerror(h, rc), step, rc_name(rc));
	fflush(stdout);
}

static void print_ns(void)
{
	static const char *const names[] = {"mnt", "ipc", "uts"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64], buf[128];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		n = readlink(path, buf, sizeof(buf) - 1);
		if (n < 0)
			snprintf(buf, sizeof(buf), "error:%s", strerror(errno));
		else
			buf[n] = '\0';
		printf("ns_%s=%s\n", names[i], buf);
	}
	fflush(stdout);
}

static int drop_to_user(const char *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "pam-drive: no such user %s\n", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
		setuid(pw->pw_uid) < 0) {
		perror("pam-drive: dropping privileges");
		return -1;
	}
	if (setenv("HOME", pw->pw_dir, 1) < 0 || setenv("USER", pw->pw_name, 1) < 0 ||
		setenv("LOGNAME", pw->pw_name, 1) < 0)
		return -1;
	return 0;
}

static int run(char **argv, const char *as_user)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("pam-drive: fork");
		return -1;
	}
	if (pid == 0) {
		if (as_user && drop_to_user(as_user) < 0)
			_exit(126);
		execvp(argv[0], argv);
		fprintf(stderr, "pam-drive: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("pam-drive: waitpid");
			return -1;
		}
	}
	if (WIFEXITED(status)) {
		printf("cmd=%d\n", WEXITSTATUS(status));
		fflush(stdout);
		return WEXITSTATUS(status);
	}
	printf("cmd=signal %d\n", WTERMSIG(status));
	fflush(stdout);
	return 128 + WTERMSIG(status);
}

static void usage(FILE *f)
{
	fputs("usage: pam-drive [-c CONFDIR] [-s SERVICE] [-r RHOST] [-t TTY] [-n] [-C] [-u] [-a]\n"
	      "                 USER [-- COMMAND [ARG...]]\n",
		f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"confdir", required_argument, NULL, 'c'},
		{"service", required_argument, NULL, 's'},
		{"rhost", required_argument, NULL, 'r'},
		{"tty", required_argument, NULL, 't'},
		{"no-close", no_argument, NULL, 'n'},
		{"no-setcred", no_argument, NULL, 'C'},
		{"as-user", no_argument, NULL, 'u'},
		{"always-run", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char *confdir = NULL, *service = "pam-drive", *rhost = NULL, *tty = NULL;
	bool do_close = true, do_setcred = true, as_user = false, always_run = false;
	struct pam_conv pc = {conv, NULL};
	pam_handle_t *h = NULL;
	const char *user;
	bool ok = true, opened = false, cred = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+c:s:r:t:nCuah", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			confdir = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 'r':
			rhost = optarg;
			break;
		case 't':
			tty = optarg;
			break;
		case 'n':
			do_close = false;
			break;
		case 'C':
			do_setcred = false;
			break;
		case 'u':
			as_user = true;
			break;
		case 'a':
			always_run = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	user = argv[optind++];
	if (optind < argc) {
		if (strcmp(argv[optind], "--") != 0) {
			usage(stderr);
			return 2;
		}
		optind++;
	}

#if defined(HAVE_DECL_PAM_START_CONFDIR) && !HAVE_DECL_PAM_START_CONFDIR
	if (confdir) {
		fputs("pam-drive: this libpam has no pam_start_confdir()\n", stderr);
		return 2;
	}
	rc = pam_start(service, user, &pc, &h);
#else
	rc = pam_start_confdir(service, user, &pc, confdir, &h);
#endif
	report(h, "start", rc);
	if (rc != PAM_SUCCESS)
		return 1;

	if (rhost && (rc = pam_set_item(h, PAM_RHOST, rhost)) != PAM_SUCCESS) {
		report(h, "set_rhost", rc);
		ok = false;
	}
	if (tty && (rc = pam_set_item(h, PAM_TTY, tty)) != PAM_SUCCESS) {
		report(h, "set_tty", rc);
		ok = false;
	}

	if (ok && do_setcred) {
		rc = pam_setcred(h, PAM_ESTABLISH_CRED);
		report(h, "setcred", rc);
		if (rc == PAM_SUCCESS)
			cred = true;
		else
			ok = false;
	}

	if (ok) {
		rc = pam_open_session(h, 0);
		report(h, "open", rc);
		if (rc == PAM_SUCCESS)
			opened = true;
		else
			ok = false;
	}
	print_ns();

	if (optind < argc && (opened || always_run)) {
		rc = run(argv + optind, as_user ? user : NULL);
		if (rc != 0)
			ok = false;
	}

	if (opened && do_close) {
		rc = pam_close_session(h, 0);
		report(h, "close", rc);
		if (rc != PAM_SUCCESS)
			ok = false;
	}
	if (cred) {
		rc = pam_setcred(h, PAM_DELETE_CRED);
		report(h, "delcred", rc);
		if (rc != PAM_SUCCESS)
			ok = false;
	}

	rc = pam_end(h, ok ? PAM_SUCCESS : PAM_SESSION_ERR);
	printf("end=%s\n", rc == PAM_SUCCESS ? "Success" : rc_name(rc));
	fflush(stdout);
	if (rc != PAM_SUCCESS)
		ok = false;
	return ok ? 0 : 1;
}

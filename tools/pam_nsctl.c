/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nsctl: the administrator's view of pam_ns.
 *
 *   check    is the policy valid, and if not, where is it wrong
 *   explain  what pam_ns would do for one account, and why
 *   list, enter, stop  (later: ask the anchors)
 *
 * Output is for people first; --json is for scripts. Everything printed that
 * came from outside (user and group names from NSS, file names, policy
 * values) is escaped: an LDAP user name may carry terminal escapes.
 *
 * Exit status: 0 success, 1 a negative answer, 2 usage or system error.
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/identity.h"
#include "common/macro.h"
#include "common/parse.h"
#include "common/plan.h"
#include "common/policy.h"

#ifndef PNS_CONFIG_FILE
#error "PNS_CONFIG_FILE must be set by the build"
#endif
#ifndef PNS_STATE_DIR
#error "PNS_STATE_DIR must be set by the build"
#endif

enum {
	EXIT_OK = 0,
	EXIT_NEGATIVE = 1, /* invalid policy, no such user, login denied */
	EXIT_TROUBLE = 2,  /* usage or system error */
};

static const char program_name[] = "pam_nsctl";

/* Longest "nosuid,nodev,...,mode=1777,size=..." a mount step prints as. */
#define OPTS_MAX 256

/* ---- text output ------------------------------------------------------ */

/*
 * Decode one UTF-8 sequence at s (n bytes available). Returns its length and
 * the code point, or 0 if the bytes are not well-formed UTF-8 (overlong
 * forms, surrogates and values above U+10FFFF included).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/*
 * Walk s for people: printable characters as they are, control characters
 * (C0, DEL, C1), backslashes and malformed bytes as \xNN, so that a
 * hostile name can neither move the cursor nor pass for another name.
 * With f == NULL only count the columns.
 */
static size_t text_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), width = 0;

	while (n > 0) {
		uint32_t cp = 0;
		size_t len = utf8_decode(p, n, &cp);

		if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
			cp == '\\') {
			/* For a malformed or multi-byte control sequence, escape byte by byte. */
			size_t k = len == 0 ? 1 : len;

			for (size_t i = 0; i < k; i++) {
				if (f)
					fprintf(f, "\\x%02x", p[i]);
				width += 4;
			}
			p += k;
			n -= k;
			continue;
		}
		if (f)
			fwrite(p, 1, len, f);
		width++;
		p += len;
		n -= len;
	}
	return width;
}

static size_t text_width(const char *s)
{
	return text_put(NULL, s);
}

/* Print s escaped and padded with spaces to width columns. */
static void text_put_padded(FILE *f, const char *s, size_t width)
{
	size_t w = text_put(f, s);

	for (; w < width; w++)
		fputc(' ', f);
}

/*
 * A JSON string: quotes, backslash and control characters escaped, valid
 * UTF-8 kept, every other byte as \u00XX so that the output stays valid
 * JSON whatever NSS or the file system handed us.
 */
static void json_string_body(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		uint32_t cp = 0;
		size_t len = utf8_decode(p, n, &cp);

		if (len == 0) {
			fprintf(f, "\\u%04x", p[0]);
			p++;
			n--;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fprintf(f, "\\u%04x", (unsigned)cp);
			else
				fwrite(p, 1, len, f);
		}
		p += len;
		n -= len;
	}
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	json_string_body(f, s);
	fputc('"', f);
}

static void json_string_or_null(FILE *f, const char *s)
{
	if (s)
		json_string(f, s);
	else
		fputs("null", f);
}

/* "file:line", "file" (line 0) or "built-in", escaped for people. */
static void origin_put(FILE *f, const struct pns_origin *o)
{
	if (!o->file) {
		fputs("built-in", f);
		return;
	}
	text_put(f, o->file);
	if (o->line > 0)
		fprintf(f, ":%u", o->line);
}

static void origin_json(FILE *f, const struct pns_origin *o)
{
	if (!o->file) {
		json_string(f, "built-in");
		return;
	}
	fputc('"', f);
	json_string_body(f, o->file);
	if (o->line > 0)
		fprintf(f, ":%u", o->line);
	fputc('"', f);
}

static void log_error(const char *fmt, ...) _printf_(1, 2);
static void log_error(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	errno = saved; /* for %m */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- diagnostics -------------------------------------------------------- */

static void diag_list_clearp(struct pns_diag_list *l)
{
	pns_diag_list_clear(l);
}
#define _cleanup_diags_ _cleanup_(diag_list_clearp)

static void diags_print(FILE *f, const struct pns_diag_list *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct pns_diag *g = &d->items[i];

		text_put(f, g->file ? g->file : "(policy)");
		if (g->line > 0)
			fprintf(f, ":%u", g->line);
		fputs(": ", f);
		text_put(f, g->message ? g->message : "(no message)");
		fputc('\n', f);
	}
}

static void diags_json(FILE *f, const struct pns_diag_list *d)
{
	fputc('[', f);
	for (size_t i = 0; i < d->n; i++) {
		const struct pns_diag *g = &d->items[i];

		fputs(i > 0 ? ",{\"file\":" : "{\"file\":", f);
		json_string_or_null(f, g->file);
		fprintf(f, ",\"line\":%u,\"message\":", g->line);
		json_string_or_null(f, g->message);
		fputc('}', f);
	}
	fputc(']', f);
}

/* ---- the files of a policy ------------------------------------------- */

struct file_list {
	char **names;
	size_t n;
};

static void file_list_clear(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}
#define _cleanup_file_list_ _cleanup_(file_list_clear)

static int file_list_add(struct file_list *l, const char *dir, const char *name)
{
	char **names;
	char *s;

	names = realloc(l->names, (l->n + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	l->names = names;
	if (asprintf(&s, "%s%s%s", dir ? dir : "", dir ? "/" : "", name) < 0)
		return -ENOMEM;
	l->names[l->n++] = s;
	return 0;
}

static bool is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	/* The shell's *.conf: hidden files do not match. */
	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int dirent_strcmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int dirent_is_dropin(const struct dirent *d)
{
	return is_dropin_name(d->d_name);
}

/*
 * The files a policy is made of, named the way the loader names them:
 * MAIN, then MAIN.d/ *.conf in strcmp order. Only used when the policy did
 * not load, so that `check --json` can still say what it looked at.
 */
static int policy_files_guess(const char *main_path, struct file_list *ret)
{
	_cleanup_file_list_ struct file_list l = {};
	_cleanup_free_ char *dir = NULL;
	struct dirent **entries = NULL;
	int n, r;

	r = file_list_add(&l, NULL, main_path);
	if (r < 0)
		return r;
	if (asprintf(&dir, "%s.d", main_path) < 0) {
		dir = NULL;
		return -ENOMEM;
	}
	n = scandir(dir, &entries, dirent_is_dropin, dirent_strcmp);
	if (n < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return negative_errno();
		n = 0;
	}
	r = 0;
	for (int i = 0; i < n; i++) {
		if (r >= 0)
			r = file_list_add(&l, dir, entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	if (r < 0)
		return r;
	*ret = l;
	l = (struct file_list){};
	return 0;
}

/* ---- options and dispatch ----------------------------------------------- */

enum {
	CMD_TRAILING = 1u << 0, /* takes a command after "--" */
	CMD_FORCE = 1u << 1,	/* takes --force */
};

struct options {
	const char *command;
	const char *config;
	bool json;
	bool force;
	char **args; /* after the command name, before "--" (or all, see CMD_TRAILING) */
	size_t n_args;
	char **trailing; /* after "--", NULL-terminated, for CMD_TRAILING commands */
	size_t n_trailing;
};

struct command {
	const char *name;
	const char *synopsis;
	const char *summary;
	size_t min_args, max_args;
	unsigned flags;
	int (*run)(const struct options *o);
};

static int cmd_check(const struct options *o);
static int cmd_explain(const struct options *o);
static int cmd_not_implemented(const struct options *o);

static const struct command commands[] = {
	{"check", "", "validate the policy; list every problem", 0, 0, 0, cmd_check},
	{"explain", "USER", "USER's settings, origins and outcome", 1, 1, 0, cmd_explain},
	{"list", "", "list active namespace sets", 0, 0, 0, cmd_not_implemented},
	{"enter", "USER [-- COMMAND [ARG...]]", "run a command inside USER's set", 1, 1,
		CMD_TRAILING, cmd_not_implemented},
	{"stop", "USER [--force]", "tear USER's set down when it is idle", 1, 1, CMD_FORCE,
		cmd_not_implemented},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void help(void)
{
	printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
	       "Inspect and manage pam_ns namespace isolation.\n\n"
	       "Commands:\n",
		program_name);
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].synopsis);
		printf("  %-33s %s\n", left, commands[i].summary);
	}
	printf("\nOptions:\n"
	       "  -c, --config FILE  policy to read (default: %s)\n"
	       "  -j, --json         machine-readable output\n"
	       "  -f, --force        stop: kill what still runs in the set\n"
	       "  -h, --help         show this help\n"
	       "  -V, --version      show the version\n\n"
	       "Exit status: 0 success, 1 negative answer (invalid policy, unknown user,\n"
	       "denied login, no such set), 2 usage or system error.\n"
	       "See pam_nsctl(8).\n",
		PNS_CONFIG_FILE);
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", program_name);
	return EXIT_TROUBLE;
}

/* ---- check -------------------------------------------------------------- */

static int cmd_check(const struct options *o)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	_cleanup_diags_ struct pns_diag_list diags = {};
	_cleanup_file_list_ struct file_list files = {};
	int r;

	r = pns_policy_load(o->config, true, &p, &diags);
	if (r == 0) {
		size_t nf = pns_policy_n_files(p), ns = pns_policy_n_sections(p);

		if (o->json) {
			fputs("{\"valid\":true,\"problems\":[],\"files\":[", stdout);
			for (size_t i = 0; i < nf; i++) {
				if (i > 0)
					fputc(',', stdout);
				json_string_or_null(stdout, pns_policy_file(p, i));
			}
			fprintf(stdout, "],\"sections\":%zu}\n", ns);
		} else {
			text_put(stdout, o->config);
			printf(": valid (%zu file%s, %zu section%s)\n", nf, nf == 1 ? "" : "s", ns,
				ns == 1 ? "" : "s");
		}
		return EXIT_OK;
	}

	/* Not loaded: still say which files the policy is made of, if we can
	 * (on failure the list stays empty; the problems already say why). */
	(void)policy_files_guess(o->config, &files);

	if (o->json) {
		fputs("{\"valid\":false,\"problems\":", stdout);
		diags_json(stdout, &diags);
		fputs(",\"files\":[", stdout);
		for (size_t i = 0; i < files.n; i++) {
			if (i > 0)
				fputc(',', stdout);
			json_string(stdout, files.names[i]);
		}
		fputc(']', stdout);
		if (r != -EINVAL) {
			fputs(",\"error\":", stdout);
			json_string(stdout, strerror(-r));
		}
		fputs("}\n", stdout);
	} else {
		diags_print(stdout, &diags);
		text_put(stdout, o->config);
		if (r == -EINVAL)
			printf(": %zu problem%s; pam_ns denies every session until this is fixed\n",
				diags.n, diags.n == 1 ? "" : "s");
		else
			printf(": could not be read: %s\n", strerror(-r));
	}
	if (r != -EINVAL) {
		if (o->json)
			log_error("Failed to load %s: %s", o->config, strerror(-r));
		return EXIT_TROUBLE;
	}
	return EXIT_NEGATIVE;
}

/* ---- explain ------------------------------------------------------------ */

struct flag_name {
	unsigned long flag;
	const char *name;
};

static const struct flag_name mount_flags[] = {
	{MS_RDONLY, "ro"},
	{MS_NOSUID, "nosuid"},
	{MS_NODEV, "nodev"},
	{MS_NOEXEC, "noexec"},
	{MS_NOATIME, "noatime"},
	{MS_NODIRATIME, "nodiratime"},
	{MS_RELATIME, "relatime"},
	{MS_STRICTATIME, "strictatime"},
	{MS_BIND, "bind"},
	{MS_SLAVE, "slave"},
	{MS_PRIVATE, "private"},
	{MS_SHARED, "shared"},
	{MS_UNBINDABLE, "unbindable"},
};

/* "nosuid,nodev,mode=1777,size=25%": the step's flags, then its data. */
static void step_options(const struct pns_mount_step *st, char *buf, size_t size)
{
	/* MS_REC is a modifier: print "rslave" and "rbind" as mount(8) does. */
	unsigned long rest = st->flags & ~(unsigned long)MS_REC;
	bool rec = st->flags & MS_REC;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(mount_flags); i++) {
		bool r_prefix;

		if (!(st->flags & mount_flags[i].flag))
			continue;
		r_prefix = rec && (mount_flags[i].flag & (MS_BIND | MS_SLAVE | MS_PRIVATE |
								 MS_SHARED | MS_UNBINDABLE));
		if (r_prefix)
			rec = false;
		rest &= ~mount_flags[i].flag;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s%s", n ? "," : "",
			r_prefix ? "r" : "", mount_flags[i].name);
		if (n >= size)
			return;
	}
	if (rec) {
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%srec", n ? "," : "");
		if (n >= size)
			return;
	}
	if (rest) {
		n += (size_t)snprintf(buf + n, size - n, "%s0x%lx", n ? "," : "", rest);
		if (n >= size)
			return;
	}
	if (st->data[0])
		snprintf(
			buf + n, size - n, "%s%.*s", n ? "," : "", (int)sizeof(st->data), st->data);
}

static const char *step_kind_name(enum pns_step_kind k)
{
	switch (k) {
	case PNS_STEP_SLAVE_ROOT:
		return "propagation";
	case PNS_STEP_TMPFS:
		return "tmpfs";
	case PNS_STEP_BIND_DIR:
		return "bind";
	case PNS_STEP_MQUEUE:
		return "mqueue";
	}
	return "unknown";
}

/* What a step means, in a few words (may be empty). */
static void step_note(const struct pns_mount_step *st, uint32_t uid, char *buf, size_t size)
{
	size_t n;

	buf[0] = '\0';
	switch (st->kind) {
	case PNS_STEP_SLAVE_ROOT:
		snprintf(buf, size, "(host mounts come in, none go out)");
		break;
	case PNS_STEP_BIND_DIR:
		snprintf(buf, size, "from %s/%s/%u", PNS_STATE_DIR,
			st->state_subdir ? st->state_subdir : "?", (unsigned)uid);
		break;
	case PNS_STEP_TMPFS:
	case PNS_STEP_MQUEUE:
		break;
	}
	n = strlen(buf);
	if (st->optional && n < size)
		snprintf(buf + n, size - n, "%s(if %s exists)", n ? " " : "",
			st->target ? st->target : "the target");
}

static const char *share_name(enum pns_share s)
{
	return s == PNS_SHARE_SESSION ? "session" : "user";
}

static const char *tmp_name(enum pns_tmp t)
{
	switch (t) {
	case PNS_TMP_TMPFS:
		return "tmpfs";
	case PNS_TMP_DIR:
		return "dir";
	case PNS_TMP_NONE:
		break;
	}
	return "none";
}

static const char *userns_map_name(enum pns_userns_map m)
{
	return m == PNS_USERNS_MAP_SUBID ? "subid" : "self";
}

static const char *userns_fallback_name(enum pns_userns_fallback f)
{
	return f == PNS_USERNS_FALLBACK_SKIP ? "skip" : "deny";
}

/*
 * What pam_ns would do for this account: the plan it would send to the
 * helper, or why it would deny the login.
 *
 * The user namespace step mirrors apply_userns_fallback() in pam_ns/pam_ns.c:
 * this release enters a user namespace in no caller, so a plan that asks for
 * one follows userns_fallback everywhere. Keep the two in step.
 */
struct outcome {
	bool isolated;
	struct pns_plan plan;
	const char *denied;  /* the reason, or NULL */
	/* With a user namespace: what su, login and other stacks without a
	 * hook in the session's child do instead (NULL otherwise). */
	const char *other_stacks;
};

static int predict(const struct pns_settings *s, const struct pns_account *a, struct outcome *ret)
{
	struct outcome out = {.isolated = s->isolate};
	char host[HOST_NAME_MAX + 1];
	const char *why = NULL;
	struct pns_plan other;
	struct pns_idrange subuid, subgid;
	bool skipped;
	int r;

	if (!s->isolate) {
		*ret = out;
		return 0;
	}
	/* As the module does: the host name of the calling process, for %h. */
	if (gethostname(host, sizeof(host)) < 0)
		return negative_errno();
	host[sizeof(host) - 1] = '\0';

	r = pns_plan_build(s, &a->id, host, &out.plan, &why);
	if (r == -EINVAL || r == -E2BIG) {
		out.denied = why ? why : "the settings are inconsistent";
		*ret = out;
		return 0;
	}
	if (r < 0)
		return r;

	if (out.plan.namespaces & PNS_NS_USER) {
		if (out.plan.userns_map == PNS_USERNS_MAP_SUBID) {
			r = pns_account_subids(a, &subuid, &subgid, &why);
			if (r >= 0)
				r = pns_plan_set_subids(&out.plan, &subuid, &subgid, &why);
			if (r < 0) {
				out.denied = why;
				*ret = out;
				return 0;
			}
		}
		/* The plan above is what sshd's stack gets; the same decision
		 * the module makes for stacks without a child hook: */
		other = out.plan;
		r = pns_plan_for_caller(&other, false, &skipped, &why);
		out.other_stacks = r < 0 ? why
					 : "mount, ipc and uts only, without the user namespace "
					   "(userns_fallback = skip)";
	}
	*ret = out;
	return 0;
}

static void explain_plan_text(const struct outcome *out, const char *user)
{
	const struct pns_plan *plan = &out->plan;
	struct pns_mount_step steps[PNS_MAX_STEPS];
	size_t n = pns_plan_mount_steps(plan, steps);
	char ns[64], opts[OPTS_MAX], note[PATH_MAX + 64];
	size_t wt = strlen("TARGET"), wk = strlen("KIND");

	printf("\nOutcome: isolated\n");
	printf("  namespaces  %s\n", pns_ns_mask_to_string(plan->namespaces, ns, sizeof(ns)));
	if (out->other_stacks) {
		char map[1024];

		printf("  user ns     entered in sshd's session child (stack with "
		       "'auth optional pam_ns.so')\n");
		if (pns_plan_uid_map(plan, map, sizeof(map)) > 0)
			printf("  uid_map     %s", map);
		if (pns_plan_gid_map(plan, map, sizeof(map)) > 0)
			printf("  gid_map     %s", map);
		printf("  su, login   ");
		text_put(stdout, out->other_stacks);
		fputs("\n", stdout);
	}
	printf("  share       %s (", share_name(plan->share));
	fputs(plan->share == PNS_SHARE_SESSION ? "every session of " : "all sessions of ", stdout);
	text_put(stdout, user);
	fputs(plan->share == PNS_SHARE_SESSION ? " gets a set of its own)\n" : " share one set)\n",
		stdout);
	fputs("  hostname    ", stdout);
	if (plan->hostname[0])
		text_put(stdout, plan->hostname);
	else if (plan->namespaces & PNS_NS_UTS)
		fputs("(the host's, copied when the set is created)", stdout);
	else
		fputs("(the host's)", stdout);
	fputc('\n', stdout);

	if (n == 0) {
		printf("  mounts      none (no mount namespace)\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t w;

		w = text_width(steps[i].target ? steps[i].target : "?");
		if (w > wt)
			wt = w;
		w = strlen(step_kind_name(steps[i].kind));
		if (w > wk)
			wk = w;
	}
	printf("  mounts, in order:\n    ");
	text_put_padded(stdout, "TARGET", wt + 2);
	text_put_padded(stdout, "KIND", wk + 2);
	fputs("OPTIONS\n", stdout);
	for (size_t i = 0; i < n; i++) {
		step_options(&steps[i], opts, sizeof(opts));
		step_note(&steps[i], plan->uid, note, sizeof(note));
		fputs("    ", stdout);
		text_put_padded(stdout, steps[i].target ? steps[i].target : "?", wt + 2);
		text_put_padded(stdout, step_kind_name(steps[i].kind), wk + 2);
		text_put(stdout, opts[0] ? opts : "-");
		if (note[0]) {
			fputc(' ', stdout);
			text_put(stdout, note);
		}
		fputc('\n', stdout);
	}
}

static void explain_plan_json(const struct outcome *out)
{
	const struct pns_plan *plan = &out->plan;
	struct pns_mount_step steps[PNS_MAX_STEPS];
	size_t n = pns_plan_mount_steps(plan, steps);
	char opts[OPTS_MAX];
	bool first = true;

	fputs("{\"namespaces\":[", stdout);
	for (unsigned bit = 1; bit & PNS_NS_ALL; bit <<= 1) {
		char word[32];

		if (!(plan->namespaces & bit))
			continue;
		fputs(first ? "" : ",", stdout);
		json_string(stdout, pns_ns_mask_to_string(bit, word, sizeof(word)));
		first = false;
	}
	fputs("],\"other_stacks\":", stdout);
	if (out->other_stacks)
		json_string(stdout, out->other_stacks);
	else
		fputs("null", stdout);
	fputs(",\"share\":", stdout);
	json_string(stdout, share_name(plan->share));
	fputs(",\"tmp\":", stdout);
	json_string(stdout, tmp_name(plan->tmp));
	fputs(",\"var_tmp\":", stdout);
	json_string(stdout, tmp_name(plan->var_tmp));
	fprintf(stdout, ",\"shm_private\":%s,\"hostname\":", plan->shm_private ? "true" : "false");
	json_string_or_null(stdout, plan->hostname[0] ? plan->hostname : NULL);
	fputs(",\"userns_map\":", stdout);
	json_string(stdout, userns_map_name(plan->userns_map));
	fputs(",\"userns_fallback\":", stdout);
	json_string(stdout, userns_fallback_name(plan->userns_fallback));
	fputs(",\"mounts\":[", stdout);
	for (size_t i = 0; i < n; i++) {
		step_options(&steps[i], opts, sizeof(opts));
		fputs(i > 0 ? ",{\"target\":" : "{\"target\":", stdout);
		json_string_or_null(stdout, steps[i].target);
		fputs(",\"kind\":", stdout);
		json_string(stdout, step_kind_name(steps[i].kind));
		fputs(",\"options\":", stdout);
		json_string(stdout, opts);
		if (steps[i].kind == PNS_STEP_BIND_DIR) {
			char src[PATH_MAX];

			snprintf(src, sizeof(src), "%s/%s/%u", PNS_STATE_DIR,
				steps[i].state_subdir ? steps[i].state_subdir : "?",
				(unsigned)plan->uid);
			fputs(",\"source\":", stdout);
			json_string(stdout, src);
		}
		fprintf(stdout, ",\"optional\":%s}", steps[i].optional ? "true" : "false");
	}
	fputs("]}", stdout);
}

static void groups_text(const struct pns_identity *id)
{
	for (size_t i = 0; i < id->n_groups; i++) {
		const char *name = id->group_names ? id->group_names[i] : NULL;

		fputs(i > 0 ? ", " : "", stdout);
		if (name) {
			text_put(stdout, name);
			printf(" (%u)", (unsigned)id->groups[i]);
		} else
			printf("%u (no name)", (unsigned)id->groups[i]);
	}
	if (id->n_groups == 0)
		fputs("(none)", stdout);
	fputc('\n', stdout);
}

static void identity_text(const struct pns_identity *id)
{
	fputs("user    ", stdout);
	text_put(stdout, id->name);
	printf(" (uid %u, gid %u)\ngroups  ", (unsigned)id->uid, (unsigned)id->gid);
	groups_text(id);
}

static void identity_json(const struct pns_identity *id)
{
	fputs("\"user\":", stdout);
	json_string(stdout, id->name);
	fprintf(stdout, ",\"uid\":%u,\"gid\":%u,\"groups\":[", (unsigned)id->uid,
		(unsigned)id->gid);
	for (size_t i = 0; i < id->n_groups; i++) {
		fprintf(stdout, "%s{\"gid\":%u,\"name\":", i > 0 ? "," : "",
			(unsigned)id->groups[i]);
		json_string_or_null(stdout, id->group_names ? id->group_names[i] : NULL);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

/* Room for a 255-byte host name template, and then some. */
#define VALUE_MAX 512

static int explain_settings(const struct pns_settings *s, char values[_PNS_KEY_MAX][VALUE_MAX])
{
	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		int r = pns_settings_format(s, (enum pns_key)k, values[k], VALUE_MAX);

		if (r < 0)
			return r;
	}
	return 0;
}

static void settings_text(const struct pns_settings *s, char values[_PNS_KEY_MAX][VALUE_MAX])
{
	size_t wk = strlen("KEY"), wv = strlen("VALUE");

	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		size_t w = strlen(pns_key_name((enum pns_key)k));

		if (w > wk)
			wk = w;
		w = text_width(values[k][0] ? values[k] : "\"\"");
		if (w > wv)
			wv = w;
	}
	fputc('\n', stdout);
	text_put_padded(stdout, "KEY", wk + 2);
	text_put_padded(stdout, "VALUE", wv + 2);
	fputs("ORIGIN\n", stdout);
	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		text_put_padded(stdout, pns_key_name((enum pns_key)k), wk + 2);
		text_put_padded(stdout, values[k][0] ? values[k] : "\"\"", wv + 2);
		origin_put(stdout, &s->origin[k]);
		fputc('\n', stdout);
	}
}

static void settings_json(const struct pns_settings *s, char values[_PNS_KEY_MAX][VALUE_MAX])
{
	fputs("\"settings\":{", stdout);
	for (int k = 0; k < _PNS_KEY_MAX; k++) {
		fputs(k > 0 ? "," : "", stdout);
		json_string(stdout, pns_key_name((enum pns_key)k));
		fputs(":{\"value\":", stdout);
		json_string(stdout, values[k]);
		fputs(",\"origin\":", stdout);
		origin_json(stdout, &s->origin[k]);
		fputc('}', stdout);
	}
	fputc('}', stdout);
}

static int explain_no_user(const struct options *o, const char *user)
{
	if (o->json) {
		fputs("{\"user\":", stdout);
		json_string(stdout, user);
		fputs(",\"error\":\"no such user\"}\n", stdout);
	} else {
		fputs("No such user: ", stdout);
		text_put(stdout, user);
		fputc('\n', stdout);
	}
	return EXIT_NEGATIVE;
}

static int explain_bad_policy(const struct options *o, const struct pns_identity *id, int r,
	const struct pns_diag_list *diags)
{
	const char *what = r == -EINVAL ? "invalid" : "unreadable";

	if (o->json) {
		fputc('{', stdout);
		identity_json(id);
		fputs(",\"valid\":false,\"problems\":", stdout);
		diags_json(stdout, diags);
		fputs(",\"denied\":", stdout);
		json_string(stdout,
			r == -EINVAL ? "the policy is invalid" : "the policy could not be read");
		fputs("}\n", stdout);
	} else {
		identity_text(id);
		fputc('\n', stdout);
		diags_print(stdout, diags);
		if (r != -EINVAL && diags->n == 0) {
			text_put(stdout, o->config);
			printf(": %s\n", strerror(-r));
		}
		printf("\nOutcome: login denied; the policy is %s, and while it is, pam_ns "
		       "denies every\nsession it handles, root's included. Fix it and run "
		       "'%s check'.\n",
			what, program_name);
	}
	return r == -EINVAL ? EXIT_NEGATIVE : EXIT_TROUBLE;
}

static int cmd_explain(const struct options *o)
{
	_cleanup_(pns_account_freep) struct pns_account *a = NULL;
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	_cleanup_diags_ struct pns_diag_list diags = {};
	char values[_PNS_KEY_MAX][VALUE_MAX];
	struct pns_settings s;
	struct outcome out;
	const char *user = o->args[0];
	int r;

	r = pns_account_lookup(user, &a);
	if (r == -ENOENT)
		return explain_no_user(o, user);
	if (r < 0) {
		/* pam_ns denies every login when NSS fails: "could not ask" is not "no". */
		fprintf(stderr, "%s: Failed to look up user ", program_name);
		text_put(stderr, user);
		fprintf(stderr, " through NSS: %s\n", strerror(-r));
		return EXIT_TROUBLE;
	}

	r = pns_policy_load(o->config, true, &p, &diags);
	if (r < 0)
		return explain_bad_policy(o, &a->id, r, &diags);

	pns_policy_resolve(p, &a->id, &s);
	r = explain_settings(&s, values);
	if (r < 0) {
		log_error("Failed to format the settings: %s", strerror(-r));
		return EXIT_TROUBLE;
	}
	r = predict(&s, a, &out);
	if (r < 0) {
		log_error("Failed to build the plan: %s", strerror(-r));
		return EXIT_TROUBLE;
	}

	if (o->json) {
		fputc('{', stdout);
		identity_json(&a->id);
		fprintf(stdout, ",\"valid\":true,\"isolate\":%s,", s.isolate ? "true" : "false");
		settings_json(&s, values);
		if (out.denied) {
			fputs(",\"denied\":", stdout);
			json_string(stdout, out.denied);
		} else if (out.isolated) {
			fputs(",\"plan\":", stdout);
			explain_plan_json(&out);
		}
		fputs("}\n", stdout);
	} else {
		identity_text(&a->id);
		settings_text(&s, values);
		if (out.denied) {
			fputs("\nOutcome: login denied; ", stdout);
			text_put(stdout, out.denied);
			fputc('\n', stdout);
		} else if (out.isolated)
			explain_plan_text(&out, a->id.name);
		else {
			fputs("\nOutcome: not isolated; pam_ns leaves ", stdout);
			text_put(stdout, a->id.name);
			fputs("'s sessions alone (PAM_IGNORE)\n", stdout);
		}
	}
	return out.denied ? EXIT_NEGATIVE : EXIT_OK;
}

static int cmd_not_implemented(const struct options *o)
{
	log_error("%s: not implemented yet", o->command);
	return EXIT_TROUBLE;
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char *argv[])
{
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	_cleanup_free_ char **positional = NULL;
	const struct command *cmd = NULL;
	struct options o = {.config = PNS_CONFIG_FILE};
	char **trailing = NULL;
	size_t n_pos = 0, n_trailing = 0;
	bool force_given = false;
	int r;

	positional = calloc((size_t)argc + 1, sizeof(*positional));
	if (!positional) {
		log_error("Out of memory");
		return EXIT_TROUBLE;
	}

	/*
	 * Options may come before or after the command and its arguments.
	 * getopt runs in "+" mode (stop at the first non-option), so we take
	 * positional arguments one by one and tell an explicit "--" from a
	 * plain stop: everything after "--" belongs to the command (enter).
	 */
	opterr = 0;
	for (;;) {
		int before = optind, c;

		c = getopt_long(argc, argv, "+:c:jfhV", long_options, NULL);
		if (c == -1) {
			if (optind > before && strcmp(argv[before], "--") == 0) {
				trailing = argv + optind;
				n_trailing = (size_t)(argc - optind);
				break;
			}
			if (optind >= argc)
				break;
			positional[n_pos++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'c':
			if (optarg[0] == '\0')
				return usage_error("--config needs a file name");
			o.config = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'f':
			force_given = true;
			break;
		case 'h':
			help();
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_TROUBLE;
		case 'V':
			printf("%s (pam_ns) %s\n", program_name, PACKAGE_VERSION);
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_TROUBLE;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (n_pos == 0 && n_trailing == 0)
		return usage_error("no command given");
	if (n_pos == 0) {
		/* "pam_nsctl -- check": the command came after "--". */
		positional[n_pos++] = trailing[0];
		trailing++;
		n_trailing--;
	}
	cmd = find_command(positional[0]);
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '", program_name);
		text_put(stderr, positional[0]);
		fputs("'\n", stderr);
		return usage_error("commands: check, explain, list, enter, stop");
	}
	if (!(cmd->flags & CMD_TRAILING)) {
		/* For every other command, "--" only ends the options. */
		for (size_t i = 0; i < n_trailing; i++)
			positional[n_pos++] = trailing[i];
		trailing = NULL;
		n_trailing = 0;
	}
	o.command = cmd->name;
	o.args = positional + 1;
	o.n_args = n_pos - 1;
	o.trailing = trailing;
	o.n_trailing = n_trailing;
	o.force = force_given;

	if (force_given && !(cmd->flags & CMD_FORCE))
		return usage_error("%s does not take --force", cmd->name);
	if (o.n_args < cmd->min_args || o.n_args > cmd->max_args)
		return usage_error("usage: %s %s%s%s", program_name, cmd->name,
			cmd->synopsis[0] ? " " : "", cmd->synopsis);
	for (size_t i = 0; i < o.n_args; i++)
		if (o.args[i][0] == '\0')
			return usage_error("%s: empty argument", cmd->name);

	r = cmd->run(&o);

	/* A full disk or a closed pipe must not pass for an answer. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("Failed to write output: %m");
		return EXIT_TROUBLE;
	}
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nsctl: the administrator's view of pam_ns.
 *
 *   check    is the policy valid, and if not, where is it wrong
 *   explain  what pam_ns would do for one account, and why
 *   list     the active sets, as their anchors describe them
 *   enter    run a command in an account's set (root, host ids)
 *   stop     ask an anchor to tear its set down
 *
 * Output is for people first; --json is for scripts. Everything printed that
 * came from outside (user and group names from NSS, file names, policy
 * values) is escaped: an LDAP user name may carry terminal escapes.
 *
 * Exit status: 0 success, 1 a negative answer, 2 usage or system error.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "common/identity.h"
#include "common/keys.h"
#include "common/macro.h"
#include "common/namespace.h"
#include "common/parse.h"
#include "common/plan.h"
#include "common/policy.h"
#include "tools/outcome.h"

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

static void ns_list_json(FILE *f, unsigned mask)
{
	bool first = true;

	fputc('[', f);
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		if (!(mask & pns_namespace_info[i].bit))
			continue;
		fputs(first ? "" : ",", f);
		json_string(f, pns_namespace_info[i].word);
		first = false;
	}
	fputc(']', f);
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
	CMD_SET = 1u << 2,	/* takes --set NAME */
	CMD_JSON = 1u << 3,	/* takes --json */
};

struct options {
	const char *command;
	const char *config;
	const char *set; /* --set: "user", "session-N" */
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
static int cmd_list(const struct options *o);
static int cmd_enter(const struct options *o);
static int cmd_stop(const struct options *o);

static const struct command commands[] = {
	{"check", "", "validate the policy; list every problem", 0, 0, CMD_JSON, cmd_check},
	{"explain", "USER", "USER's settings, origins and outcome", 1, 1, CMD_JSON, cmd_explain},
	{"list", "", "list the active namespace sets", 0, 0, CMD_JSON, cmd_list},
	{"enter", "USER [--set NAME] [-- COMMAND [ARG...]]", "run a command inside USER's set", 1,
		1, CMD_TRAILING | CMD_SET, cmd_enter},
	{"stop", "USER [--set NAME] [--force]", "tear USER's set down", 1, 1,
		CMD_FORCE | CMD_SET | CMD_JSON, cmd_stop},
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
		if (strlen(left) > 33)
			printf("  %s\n  %-33s %s\n", left, "", commands[i].summary);
		else
			printf("  %-33s %s\n", left, commands[i].summary);
	}
	printf("\nOptions:\n"
	       "  -c, --config FILE  policy to read (default: %s)\n"
	       "  -j, --json         machine-readable output\n"
	       "  -f, --force        stop: kill what still runs in the set\n"
	       "  -s, --set NAME     enter, stop: which of USER's sets (user, session-N)\n"
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

static void state_problems_print(FILE *f, char why[][PNS_PATH_WHY_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		text_put(f, why[i]);
		fputc('\n', f);
	}
	if (n > 0)
		fprintf(f,
			"state directories: %zu problem%s; pam_ns denies the sessions it would "
			"isolate until this is fixed\n",
			n, n == 1 ? "" : "s");
}

static void state_problems_json(FILE *f, char why[][PNS_PATH_WHY_MAX], size_t n)
{
	fputs("\"state_problems\":[", f);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', f);
		json_string(f, why[i]);
	}
	fputc(']', f);
}

static int cmd_check(const struct options *o)
{
	_cleanup_(pns_policy_freep) struct pns_policy *p = NULL;
	_cleanup_diags_ struct pns_diag_list diags = {};
	_cleanup_file_list_ struct file_list files = {};
	char state[4][PNS_PATH_WHY_MAX];
	size_t n_state;
	int r;

	/* The state bases are checked too: a loose one denies every isolated
	 * login (the helper refuses it), however valid the policy. */
	n_state = pns_state_base_problems(state, ELEMENTSOF(state));

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
			fprintf(stdout, "],\"sections\":%zu,", ns);
			state_problems_json(stdout, state, n_state);
			fputs("}\n", stdout);
		} else {
			text_put(stdout, o->config);
			printf(": valid (%zu file%s, %zu section%s)\n", nf, nf == 1 ? "" : "s", ns,
				ns == 1 ? "" : "s");
			state_problems_print(stdout, state, n_state);
		}
		return n_state > 0 ? EXIT_NEGATIVE : EXIT_OK;
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
		fputs("],", stdout);
		state_problems_json(stdout, state, n_state);
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
		state_problems_print(stdout, state, n_state);
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

/* A plan's value as the policy writes it (plans are validated: never "?"). */
static const char *word(enum pns_key k, unsigned v)
{
	return pns_key_word(k, v) ?: "?";
}

/* "inside outside count" lines, aligned under their label. */
static void print_map(const char *label, const char *map)
{
	const char *line = map;

	while (*line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		printf("  %-11s %.*s\n", line == map ? label : "", len, line);
		line += len + (end ? 1 : 0);
	}
}

/* The maps as JSON arrays of [inside, outside, count]. */
static void json_map(const char *map)
{
	unsigned in, out, count;
	const char *p = map;
	bool first = true;
	int n;

	fputc('[', stdout);
	while (sscanf(p, "%u %u %u\n%n", &in, &out, &count, &n) == 3) {
		printf("%s[%u,%u,%u]", first ? "" : ",", in, out, count);
		first = false;
		p += n;
	}
	fputc(']', stdout);
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
			print_map("uid_map", map);
		if (pns_plan_gid_map(plan, map, sizeof(map)) > 0)
			print_map("gid_map", map);
		printf("  su, login   ");
		text_put(stdout, out->other_stacks);
		fputs("\n", stdout);
	}
	printf("  share       %s (", word(PNS_KEY_SHARE, plan->share));
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

	fputs("{\"namespaces\":", stdout);
	ns_list_json(stdout, plan->namespaces);
	fputs(",\"other_stacks\":", stdout);
	if (out->other_stacks) {
		char map[1024];

		json_string(stdout, out->other_stacks);
		if (pns_plan_uid_map(plan, map, sizeof(map)) > 0) {
			fputs(",\"uid_map\":", stdout);
			json_map(map);
		}
		if (pns_plan_gid_map(plan, map, sizeof(map)) > 0) {
			fputs(",\"gid_map\":", stdout);
			json_map(map);
		}
	} else
		fputs("null", stdout);
	fputs(",\"share\":", stdout);
	json_string(stdout, word(PNS_KEY_SHARE, plan->share));
	fputs(",\"tmp\":", stdout);
	json_string(stdout, word(PNS_KEY_TMP, plan->tmp));
	fputs(",\"var_tmp\":", stdout);
	json_string(stdout, word(PNS_KEY_TMP, plan->var_tmp));
	fprintf(stdout, ",\"shm_private\":%s,\"hostname\":", plan->shm_private ? "true" : "false");
	json_string_or_null(stdout, plan->hostname[0] ? plan->hostname : NULL);
	fputs(",\"userns_map\":", stdout);
	json_string(stdout, word(PNS_KEY_USERNS_MAP, plan->userns_map));
	fputs(",\"userns_fallback\":", stdout);
	json_string(stdout, word(PNS_KEY_USERNS_FALLBACK, plan->userns_fallback));
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
	char host[HOST_NAME_MAX + 1];
	const char *user = o->args[0];
	int r;

	r = pns_account_lookup(user, true, &a);
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

	r = pns_policy_resolve(p, &a->id, &s);
	if (r < 0) {
		log_error("Failed to resolve the policy: %s", strerror(-r));
		return EXIT_TROUBLE;
	}
	r = explain_settings(&s, values);
	if (r < 0) {
		log_error("Failed to format the settings: %s", strerror(-r));
		return EXIT_TROUBLE;
	}
	/* As the module does: the host name of the calling process, for %h. */
	if (gethostname(host, sizeof(host)) < 0) {
		log_error("Failed to build the plan: %s", strerror(errno));
		return EXIT_TROUBLE;
	}
	host[sizeof(host) - 1] = '\0';
	explain_outcome(&s, a, host, NULL, &out);

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

/* ---- the active sets ---------------------------------------------------- */

/* How long an anchor may take to answer; STOP --force kills and waits. */
#define ANCHOR_TIMEOUT_USEC (5 * 1000000ull)
#define STOP_TIMEOUT_USEC (15 * 1000000ull)

enum set_state {
	SET_LIVE,  /* the anchor answered STATUS */
	SET_STALE, /* a socket nothing listens on (its anchor died) */
	SET_ERROR, /* the anchor did not answer, or answered nonsense */
};

struct set_entry {
	uint32_t uid;
	char file[PNS_SET_NAME_MAX + 1]; /* "user.sock", "session-N.sock" */
	enum set_state state;
	int error;		  /* SET_ERROR: -errno */
	struct pns_status status; /* SET_LIVE */
};

struct set_list {
	struct set_entry *items;
	size_t n;
	size_t n_problems; /* uid directories that could not be read */
};

static void set_list_clear(struct set_list *l)
{
	free(l->items);
	*l = (struct set_list){};
}

/* A uid directory name: decimal digits, no sign, no leading zero. */
static bool parse_uid(const char *s, uint32_t *ret)
{
	unsigned long long v = 0;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
		if (v >= UINT32_MAX) /* (uid_t)-1 is no uid */
			return false;
	}
	*ret = (uint32_t)v;
	return true;
}

/* "user.sock" -> "user": what people call a set. */
static void set_display_name(const char *file, char *buf, size_t size)
{
	size_t n = strlen(file);

	if (n > 5 && strcmp(file + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(buf, size, "%.*s", (int)n, file);
}

/* "user", "session-12" or the same with ".sock": the socket's file name, or -EINVAL. */
static int set_file_name(const char *arg, char *buf, size_t size)
{
	size_t n = strlen(arg);

	if (n > 5 && strcmp(arg + n - 5, ".sock") == 0)
		snprintf(buf, size, "%s", arg);
	else if ((size_t)snprintf(buf, size, "%s.sock", arg) >= size)
		return -EINVAL;
	return pns_set_name_is_valid(buf) ? 0 : -EINVAL;
}

static int set_entry_compare(const void *a, const void *b)
{
	const struct set_entry *x = a, *y = b;
	bool xu = strcmp(x->file, "user.sock") == 0, yu = strcmp(y->file, "user.sock") == 0;
	unsigned long long xn, yn;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (xu || yu)
		return yu - xu; /* the user set first */
	xn = strtoull(x->file + strlen("session-"), NULL, 10);
	yn = strtoull(y->file + strlen("session-"), NULL, 10);
	return xn < yn ? -1 : xn > yn;
}

/* The account name of uid, or false when NSS does not know it (or fails). */
static bool user_name_of(uint32_t uid, char **ret)
{
	return pns_user_name_of((uid_t)uid, ret) >= 0;
}

/*
 * USER on the command line: an account name, or (for an account deleted
 * while its set lives on) a uid. 0 with *ret_uid and *ret_name (NULL when
 * NSS does not know the uid), -ENOENT, or another -errno from NSS.
 */
static int resolve_user(const char *arg, uint32_t *ret_uid, char **ret_name)
{
	uid_t found;
	uint32_t uid;
	int r;

	r = pns_user_lookup(arg, ret_name, &found, NULL);
	if (r >= 0) {
		*ret_uid = (uint32_t)found;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	if (!parse_uid(arg, &uid))
		return -ENOENT;
	*ret_uid = uid;
	if (!user_name_of(uid, ret_name))
		*ret_name = NULL;
	return 0;
}

/* "alice (uid 1004)" or "uid 1004", for messages (escape when printing). */
static void who_string(const char *name, uint32_t uid, char *buf, size_t size)
{
	if (name)
		snprintf(buf, size, "%s (uid %u)", name, (unsigned)uid);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
}

/*
 * STATUS to the anchor on dir_fd/file. With ret_pidfd, hand out the
 * anchor's pidfd (required); otherwise close it. -ECONNREFUSED: stale
 * socket; -ENOENT, -ECONNRESET: the set went away meanwhile.
 */
static int anchor_status(
	int dir_fd, const char *file, uint32_t uid, struct pns_status *ret, int *ret_pidfd)
{
	_cleanup_close_ int fd = -1;
	struct pns_msg m = {.type = PNS_MSG_STATUS};
	int fds[PNS_MAX_FDS];
	size_t n_fds = 0;
	int r;

	fd = pns_connect_at(dir_fd, file);
	if (fd < 0)
		return fd;
	r = pns_send_msg(fd, &m, NULL, 0);
	if (r < 0)
		return r == -EPIPE ? -ECONNRESET : r;
	r = pns_recv_msg(
		fd, &m, fds, ELEMENTSOF(fds), &n_fds, pns_now_usec() + ANCHOR_TIMEOUT_USEC);
	if (r < 0)
		return r;
	if (m.type != PNS_MSG_STATUS_REPLY || m.status.uid != uid ||
		strcmp(m.status.set_name, file) != 0 || m.status.anchor_pid <= 0 ||
		(ret_pidfd && n_fds != 1)) {
		pns_close_many(fds, n_fds);
		return -EBADMSG;
	}
	if (ret_pidfd) {
		*ret_pidfd = fds[0];
	} else
		pns_close_many(fds, n_fds);
	*ret = m.status;
	return 0;
}

static int set_list_add(struct set_list *l, const struct set_entry *e)
{
	struct set_entry *items = realloc(l->items, (l->n + 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	l->items = items;
	l->items[l->n++] = *e;
	return 0;
}

/* Every set of one uid, asked through the directory dir_fd. */
static int sets_of_uid(uint32_t uid, int dir_fd, struct set_list *l)
{
	struct dirent *de;
	DIR *d;
	int r;

	r = pns_opendir_at(dir_fd, &d);
	if (r < 0)
		return r;
	while (r >= 0 && (de = readdir(d))) {
		struct set_entry e = {.uid = uid};
		struct stat st;

		if (!pns_set_name_is_valid(de->d_name) || strlen(de->d_name) >= sizeof(e.file))
			continue;
		if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			!S_ISSOCK(st.st_mode))
			continue;
		pns_strlcpy(e.file, de->d_name, sizeof(e.file));
		r = anchor_status(dir_fd, e.file, uid, &e.status, NULL);
		if (r == -ENOENT || r == -ECONNRESET) {
			r = 0; /* torn down between readdir and now */
			continue;
		}
		if (r == -ECONNREFUSED)
			e.state = SET_STALE;
		else if (r < 0) {
			e.state = SET_ERROR;
			e.error = r;
		}
		r = set_list_add(l, &e);
	}
	closedir(d);
	return r;
}

/* Every set on the machine: the uid directories of PNS_RUN_DIR. */
static int sets_collect(struct set_list *l)
{
	_cleanup_close_ int run_fd = -1;
	struct dirent *de;
	struct stat st;
	int r = 0;
	DIR *d;

	run_fd = open(PNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run_fd < 0)
		return errno == ENOENT ? 0 : negative_errno(); /* no set was ever made */
	if (fstat(run_fd, &st) < 0)
		return negative_errno();
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	r = pns_opendir_at(run_fd, &d);
	if (r < 0)
		return r;
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_close_ int dir_fd = -1;
		uint32_t uid;

		if (!parse_uid(de->d_name, &uid))
			continue;
		/* Only real directories: a symlink is never followed. */
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (de->d_type == DT_UNKNOWN &&
			(fstatat(run_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				!S_ISDIR(st.st_mode)))
			continue;
		dir_fd = pns_open_state_dir(uid, false, NULL, NULL);
		if (dir_fd == -ENOENT || dir_fd == -ELOOP || dir_fd == -ENOTDIR)
			continue; /* removed, or replaced, since readdir */
		if (dir_fd == -EPERM) {
			/* pam_ns would not use a set in there either: not a set. */
			fprintf(stderr, "%s: Ignoring %s/%u: not a root-only directory\n",
				program_name, PNS_RUN_DIR, (unsigned)uid);
			continue;
		}
		if (dir_fd < 0) {
			fprintf(stderr, "%s: Failed to open %s/%u: %s\n", program_name, PNS_RUN_DIR,
				(unsigned)uid, strerror(-dir_fd));
			l->n_problems++;
			continue;
		}
		r = sets_of_uid(uid, dir_fd, l);
	}
	closedir(d);
	if (r < 0)
		return r;
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(l->items[0]), set_entry_compare);
	return 0;
}

/* ---- list ----------------------------------------------------------------- */

enum {
	COL_USER,
	COL_UID,
	COL_SET,
	COL_SESSIONS,
	COL_PROCESSES,
	COL_NAMESPACES,
	COL_SINCE,
	COL_ANCHOR,
	_COL_MAX
};

static const char *const col_names[_COL_MAX] = {
	"USER", "UID", "SET", "SESSIONS", "PROCESSES", "NAMESPACES", "SINCE", "ANCHOR"};

static void since_string(uint64_t since, char *buf, size_t size)
{
	time_t t = (time_t)since;
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)since);
}

/* A table cell, or NULL when out of memory. */
static char *cell(const char *fmt, ...) _printf_(1, 2);
static char *cell(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

static void cells_free(char *(*cells)[_COL_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < _COL_MAX; c++)
			free(cells[i][c]);
	free(cells);
}

static int list_text(const struct set_list *l)
{
	char *(*cells)[_COL_MAX] = NULL;
	size_t width[_COL_MAX], n_live = 0, n = 0;

	for (size_t i = 0; i < l->n; i++)
		n_live += l->items[i].state == SET_LIVE;
	if (n_live == 0)
		fputs("No active sets.\n", stdout);
	else {
		cells = calloc(n_live, sizeof(*cells));
		if (!cells)
			return -ENOMEM;
	}
	for (size_t c = 0; c < _COL_MAX; c++)
		width[c] = strlen(col_names[c]);
	for (size_t i = 0; i < l->n && n_live > 0; i++) {
		const struct set_entry *e = &l->items[i];
		const struct pns_status *s = &e->status;
		char set[PNS_SET_NAME_MAX + 1], ns[64], since[64];
		char *name = NULL;

		if (e->state != SET_LIVE)
			continue;
		set_display_name(e->file, set, sizeof(set));
		since_string(s->since, since, sizeof(since));
		pns_ns_mask_to_string(s->plan.namespaces, ns, sizeof(ns));
		cells[n][COL_USER] =
			user_name_of(e->uid, &name) ? name : cell("%u", (unsigned)e->uid);
		cells[n][COL_UID] = cell("%u", (unsigned)e->uid);
		cells[n][COL_SET] = cell("%s", set);
		cells[n][COL_SESSIONS] = cell("%u", (unsigned)s->sessions);
		cells[n][COL_PROCESSES] = cell("%u", (unsigned)s->processes);
		cells[n][COL_NAMESPACES] = cell("%s", ns[0] ? ns : "-");
		cells[n][COL_SINCE] = cell("%s", since);
		cells[n][COL_ANCHOR] = cell("%d", (int)s->anchor_pid);
		n++;
		for (size_t c = 0; c < _COL_MAX; c++)
			if (!cells[n - 1][c]) {
				cells_free(cells, n);
				return -ENOMEM;
			}
		for (size_t c = 0; c < _COL_MAX; c++) {
			size_t w = text_width(cells[n - 1][c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	if (n > 0) {
		for (size_t c = 0; c < _COL_MAX; c++) {
			if (c + 1 < _COL_MAX)
				text_put_padded(stdout, col_names[c], width[c] + 2);
			else
				fputs(col_names[c], stdout);
		}
		fputc('\n', stdout);
		for (size_t i = 0; i < n; i++) {
			for (size_t c = 0; c < _COL_MAX; c++) {
				if (c + 1 < _COL_MAX)
					text_put_padded(stdout, cells[i][c], width[c] + 2);
				else
					text_put(stdout, cells[i][c]);
			}
			fputc('\n', stdout);
		}
	}
	cells_free(cells, n);

	for (size_t i = 0; i < l->n; i++) {
		const struct set_entry *e = &l->items[i];

		if (e->state == SET_STALE)
			printf("Stale socket: %s/%u/%s (its anchor is gone; pam_ns ignores it)\n",
				PNS_RUN_DIR, (unsigned)e->uid, e->file);
		else if (e->state == SET_ERROR && e->error == -EBADMSG)
			printf("Unreadable answer from %s/%u/%s (an anchor of another pam_ns "
			       "version?)\n",
				PNS_RUN_DIR, (unsigned)e->uid, e->file);
		else if (e->state == SET_ERROR)
			printf("No answer from %s/%u/%s: %s\n", PNS_RUN_DIR, (unsigned)e->uid,
				e->file, strerror(-e->error));
	}
	return 0;
}

/* "user":...,"uid":...,"set":...,"socket":... */
static void set_id_json(FILE *f, const struct set_entry *e)
{
	_cleanup_free_ char *name = NULL;
	char set[PNS_SET_NAME_MAX + 1];

	set_display_name(e->file, set, sizeof(set));
	fputs("\"user\":", f);
	json_string_or_null(f, user_name_of(e->uid, &name) ? name : NULL);
	fprintf(f, ",\"uid\":%u,\"set\":", (unsigned)e->uid);
	json_string(f, set);
	fprintf(f, ",\"socket\":\"%s/%u/%s\"", PNS_RUN_DIR, (unsigned)e->uid, e->file);
}

static void list_json(const struct set_list *l)
{
	static const enum set_state order[] = {SET_LIVE, SET_STALE, SET_ERROR};
	static const char *const keys[] = {"sets", "stale", "errors"};

	fputc('{', stdout);
	for (size_t k = 0; k < ELEMENTSOF(order); k++) {
		bool first = true;

		printf("%s\"%s\":[", k > 0 ? "," : "", keys[k]);
		for (size_t i = 0; i < l->n; i++) {
			const struct set_entry *e = &l->items[i];
			const struct pns_status *s = &e->status;

			if (e->state != order[k])
				continue;
			fputs(first ? "{" : ",{", stdout);
			first = false;
			set_id_json(stdout, e);
			if (e->state == SET_ERROR) {
				fputs(",\"error\":", stdout);
				json_string(stdout, strerror(-e->error));
			}
			if (e->state != SET_LIVE) {
				fputc('}', stdout);
				continue;
			}
			fputs(",\"share\":", stdout);
			json_string(stdout, word(PNS_KEY_SHARE, s->plan.share));
			printf(",\"sessions\":%u,\"processes\":%u,\"namespaces\":",
				(unsigned)s->sessions, (unsigned)s->processes);
			ns_list_json(stdout, s->plan.namespaces);
			fputs(",\"ns_inodes\":{", stdout);
			for (size_t n = 0; n < _PNS_NSI_MAX; n++) {
				printf("%s\"%s\":", n > 0 ? "," : "",
					pns_namespace_info[n].proc_name);
				if (s->ns_ino[n])
					printf("%llu", (unsigned long long)s->ns_ino[n]);
				else
					fputs("null", stdout);
			}
			fputs("},\"hostname\":", stdout);
			json_string_or_null(stdout, s->plan.hostname[0] ? s->plan.hostname : NULL);
			fputs(",\"tmp\":", stdout);
			json_string(stdout, word(PNS_KEY_TMP, s->plan.tmp));
			fputs(",\"var_tmp\":", stdout);
			json_string(stdout, word(PNS_KEY_TMP, s->plan.var_tmp));
			printf(",\"since\":%llu,\"anchor_pid\":%d}", (unsigned long long)s->since,
				(int)s->anchor_pid);
		}
		fputc(']', stdout);
	}
	fputs("}\n", stdout);
}

static int cmd_list(const struct options *o)
{
	_cleanup_(set_list_clear) struct set_list l = {};
	size_t n_errors = 0;
	int r;

	r = sets_collect(&l);
	if (r < 0) {
		log_error("Failed to list the sets in %s: %s", PNS_RUN_DIR, strerror(-r));
		return EXIT_TROUBLE;
	}
	if (o->json)
		list_json(&l);
	else {
		r = list_text(&l);
		if (r < 0) {
			log_error("Failed to format the list: %s", strerror(-r));
			return EXIT_TROUBLE;
		}
	}
	for (size_t i = 0; i < l.n; i++)
		n_errors += l.items[i].state == SET_ERROR;
	/* A set that would not say what it is: the list is incomplete. */
	return n_errors > 0 || l.n_problems > 0 ? EXIT_TROUBLE : EXIT_OK;
}

/* ---- choosing one set: enter and stop ------------------------------------ */

struct target {
	uint32_t uid;
	char *name; /* NULL: NSS does not know the uid */
	char who[PNS_MESSAGE_MAX];
	int dir_fd;
	struct set_entry set;
	int pidfd; /* the anchor's */
};

static void target_clear(struct target *t)
{
	free(t->name);
	t->name = NULL;
	t->dir_fd = safe_close(t->dir_fd);
	t->pidfd = safe_close(t->pidfd);
}

/*
 * Find the set of o->args[0] that enter or stop acts on: the one named by
 * --set, else the only one the account has. Returns EXIT_OK with t filled,
 * or an exit status with a sentence in why (not yet escaped).
 */
static int pick_set(const struct options *o, struct target *t, char *why, size_t size)
{
	_cleanup_(set_list_clear) struct set_list l = {};
	const char *user = o->args[0];
	size_t n_live = 0, live = 0;
	int r;

	r = resolve_user(user, &t->uid, &t->name);
	if (r == -ENOENT) {
		snprintf(why, size, "No such user: %s", user);
		return EXIT_NEGATIVE;
	}
	if (r < 0) {
		snprintf(
			why, size, "Failed to look up user %s through NSS: %s", user, strerror(-r));
		return EXIT_TROUBLE;
	}
	who_string(t->name, t->uid, t->who, sizeof(t->who));
	t->set.uid = t->uid;

	t->dir_fd = pns_open_state_dir(t->uid, false, NULL, NULL);
	if (t->dir_fd == -ENOENT) {
		snprintf(why, size, "No active set for %s.", t->who);
		return EXIT_NEGATIVE;
	}
	if (t->dir_fd < 0) {
		snprintf(why, size, "Failed to open %s/%u: %s", PNS_RUN_DIR, (unsigned)t->uid,
			t->dir_fd == -EPERM ? "not a root-only directory" : strerror(-t->dir_fd));
		return EXIT_TROUBLE;
	}

	if (o->set) {
		char set[PNS_SET_NAME_MAX + 1];

		if (set_file_name(o->set, t->set.file, sizeof(t->set.file)) < 0) {
			snprintf(why, size,
				"--set %s: not a set name (user, or session-N as list shows)",
				o->set);
			return EXIT_TROUBLE;
		}
		set_display_name(t->set.file, set, sizeof(set));
		r = anchor_status(t->dir_fd, t->set.file, t->uid, &t->set.status, &t->pidfd);
		if (r == -ENOENT || r == -ECONNRESET) {
			snprintf(why, size, "%s has no set %s.", t->who, set);
			return EXIT_NEGATIVE;
		}
		if (r == -ECONNREFUSED) {
			snprintf(why, size, "Set %s of %s is stale: no anchor answers on %s/%u/%s.",
				set, t->who, PNS_RUN_DIR, (unsigned)t->uid, t->set.file);
			return EXIT_NEGATIVE;
		}
		if (r < 0) {
			snprintf(why, size, "The anchor of set %s of %s did not answer: %s", set,
				t->who, strerror(-r));
			return EXIT_TROUBLE;
		}
		return EXIT_OK;
	}

	r = sets_of_uid(t->uid, t->dir_fd, &l);
	if (r < 0) {
		snprintf(why, size, "Failed to list the sets of %s: %s", t->who, strerror(-r));
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].state == SET_LIVE) {
			n_live++;
			live = i;
		}
	if (n_live > 1) {
		size_t n = (size_t)snprintf(why, size, "%s has %zu sets (", t->who, n_live);

		for (size_t i = 0, k = 0; i < l.n && n < size; i++) {
			char set[PNS_SET_NAME_MAX + 1];

			if (l.items[i].state != SET_LIVE)
				continue;
			set_display_name(l.items[i].file, set, sizeof(set));
			n += (size_t)snprintf(why + n, size - n, "%s%s", k++ ? ", " : "", set);
		}
		if (n < size)
			snprintf(why + n, size - n, "); choose one with --set");
		return EXIT_TROUBLE;
	}
	if (n_live == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (l.items[i].state == SET_ERROR) {
				snprintf(why, size, "The anchor on %s/%u/%s did not answer: %s",
					PNS_RUN_DIR, (unsigned)t->uid, l.items[i].file,
					strerror(-l.items[i].error));
				return EXIT_TROUBLE;
			}
		snprintf(why, size, "No active set for %s.", t->who);
		return EXIT_NEGATIVE;
	}
	/* Ask again for the pidfd; the set may have ended in between. */
	pns_strlcpy(t->set.file, l.items[live].file, sizeof(t->set.file));
	r = anchor_status(t->dir_fd, t->set.file, t->uid, &t->set.status, &t->pidfd);
	if (r == -ENOENT || r == -ECONNRESET || r == -ECONNREFUSED) {
		snprintf(why, size, "No active set for %s (it just ended).", t->who);
		return EXIT_NEGATIVE;
	}
	if (r < 0) {
		snprintf(why, size, "The anchor on %s/%u/%s did not answer: %s", PNS_RUN_DIR,
			(unsigned)t->uid, t->set.file, strerror(-r));
		return EXIT_TROUBLE;
	}
	return EXIT_OK;
}

/* ---- enter ------------------------------------------------------------------ */

/* enter and stop's "inside a set" look at the namespaces a root process
 * enters by setns(): every one but the user namespace. */
static bool enterable(const struct pns_namespace_info *ns)
{
	return ns->bit != PNS_NS_USER;
}

/* Run argv in a child and wait for it; its exit status, shell style. */
static int run_and_wait(char *const argv[])
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	int status, saved;
	pid_t pid;

	/* As system() does: ^C and ^\ are for the command, not for us. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		saved = errno;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		errno = saved;
		log_error("Failed to fork: %m");
		return EXIT_TROUBLE;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execvp(argv[0], argv);
		saved = errno;
		fprintf(stderr, "%s: Failed to run ", program_name);
		text_put(stderr, argv[0]);
		fprintf(stderr, ": %s\n", strerror(saved));
		_exit(saved == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_error("Failed to wait for the command: %m");
			return EXIT_TROUBLE;
		}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_TROUBLE;
}

static int cmd_enter(const struct options *o)
{
	struct target t = {.dir_fd = -1, .pidfd = -1};
	char why[PNS_MESSAGE_MAX * 2], set[PNS_SET_NAME_MAX + 1], ns[64];
	char *shell_argv[2] = {NULL, NULL};
	char *const *argv = o->n_trailing > 0 ? o->trailing : shell_argv;
	int flags = 0, r;

	/* setns() into a mount namespace fails in a multi-threaded process. */
	r = pns_count_threads();
	if (r < 0) {
		log_error("Failed to count the threads of this process: %s", strerror(-r));
		return EXIT_TROUBLE;
	}
	if (r != 1) {
		log_error("Refusing to enter a set from a multi-threaded process");
		return EXIT_TROUBLE;
	}
	r = pick_set(o, &t, why, sizeof(why));
	if (r != EXIT_OK) {
		fprintf(stderr, "%s: ", program_name);
		text_put(stderr, why);
		fputc('\n', stderr);
		target_clear(&t);
		return r;
	}
	set_display_name(t.set.file, set, sizeof(set));
	for (size_t i = 0; i < _PNS_NSI_MAX; i++)
		if (enterable(&pns_namespace_info[i]) &&
			t.set.status.plan.namespaces & pns_namespace_info[i].bit &&
			t.set.status.ns_ino[i])
			flags |= pns_namespace_info[i].clone_flag;
	if (flags == 0) {
		fprintf(stderr, "%s: Set %s of ", program_name, set);
		text_put(stderr, t.who);
		fputs(" has no mount, IPC or UTS namespace to enter\n", stderr);
		target_clear(&t);
		return EXIT_TROUBLE;
	}

	/* All or nothing: with a pidfd, setns() enters every namespace or none.
	 * Never the user namespace: the admin stays root with the host's ids. */
	if (setns(t.pidfd, flags) < 0) {
		fprintf(stderr, "%s: Failed to enter set %s of ", program_name, set);
		text_put(stderr, t.who);
		fprintf(stderr, ": %s\n", strerror(errno));
		target_clear(&t);
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		uint64_t ino = 0;

		if (!(flags & pns_namespace_info[i].clone_flag))
			continue;
		r = pns_ns_inode(pns_namespace_info[i].proc_name, &ino);
		if (r < 0 || ino != t.set.status.ns_ino[i]) {
			/* Cannot happen with a pidfd; never run a command in the wrong place. */
			log_error("Entered the wrong %s namespace; not running anything",
				pns_namespace_info[i].proc_name);
			target_clear(&t);
			return EXIT_TROUBLE;
		}
	}
	/* The set's /, never the caller's directory by name: in the set that
	 * path may lead through the user's /tmp, and symlinks the user made. */
	if (chdir("/") < 0) {
		log_error("Failed to change to / in the set: %m");
		target_clear(&t);
		return EXIT_TROUBLE;
	}

	if (o->n_trailing == 0) {
		const char *shell = getenv("SHELL");

		shell_argv[0] = (char *)(shell && shell[0] ? shell : "/bin/sh");
		fprintf(stderr, "Entering set %s of ", set);
		text_put(stderr, t.who);
		fprintf(stderr,
			": %s namespaces, as root with the host's ids. Exit the shell to leave.\n",
			pns_ns_mask_to_string((unsigned)t.set.status.plan.namespaces &
						      (PNS_NS_MOUNT | PNS_NS_IPC | PNS_NS_UTS),
				ns, sizeof(ns)));
	}
	target_clear(&t);
	return run_and_wait(argv);
}

/* ---- stop ------------------------------------------------------------------- */

static const char *plural(unsigned n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void stop_json(const char *user, const struct target *t, const char *set, bool stopped,
	const char *error, const char *message)
{
	fputs("{\"user\":", stdout);
	if (!t->who[0]) {
		/* Not resolved: the name as given, and no uid. */
		json_string(stdout, user);
		fputs(",\"uid\":null,\"set\":", stdout);
	} else {
		json_string_or_null(stdout, t->name);
		printf(",\"uid\":%u,\"set\":", (unsigned)t->uid);
	}
	json_string_or_null(stdout, set);
	printf(",\"stopped\":%s", stopped ? "true" : "false");
	if (stopped)
		printf(",\"sessions\":%u,\"processes\":%u", (unsigned)t->set.status.sessions,
			(unsigned)t->set.status.processes);
	if (error) {
		fputs(",\"error\":", stdout);
		json_string(stdout, error);
	}
	if (message) {
		fputs(",\"message\":", stdout);
		json_string(stdout, message);
	}
	fputs("}\n", stdout);
}

/* Print the outcome of stop (json or text); returns status. */
static int stop_result(const struct options *o, const struct target *t, const char *set, int status,
	const char *error, const char *message)
{
	if (o->json)
		stop_json(o->args[0], t, set, status == EXIT_OK, error, message);
	else {
		FILE *f = status == EXIT_TROUBLE ? stderr : stdout;

		if (status == EXIT_TROUBLE)
			fprintf(f, "%s: ", program_name);
		text_put(f, message);
		fputc('\n', f);
	}
	return status;
}

/* Is this process in one of the set's namespaces? */
static bool inside_set(const struct pns_status *s)
{
	for (size_t i = 0; i < _PNS_NSI_MAX; i++) {
		uint64_t ino = 0;

		if (enterable(&pns_namespace_info[i]) && s->ns_ino[i] &&
			pns_ns_inode(pns_namespace_info[i].proc_name, &ino) == 0 &&
			ino == s->ns_ino[i])
			return true;
	}
	return false;
}

static int cmd_stop(const struct options *o)
{
	struct target t = {.dir_fd = -1, .pidfd = -1};
	struct pns_msg m = {.type = PNS_MSG_STOP};
	char why[PNS_MESSAGE_MAX * 2], msg[PNS_MESSAGE_MAX * 3], set[PNS_SET_NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	int fds[PNS_MAX_FDS];
	size_t n_fds = 0;
	bool connected = true;
	int r;

	r = pick_set(o, &t, why, sizeof(why));
	if (r != EXIT_OK) {
		r = stop_result(o, &t, NULL, r,
			r == EXIT_NEGATIVE && strncmp(why, "No such user", 12) == 0 ? "no such user"
			: r == EXIT_NEGATIVE					    ? "no such set"
										    : "error",
			why);
		target_clear(&t);
		return r;
	}
	set_display_name(t.set.file, set, sizeof(set));
	if (o->force && inside_set(&t.set.status)) {
		snprintf(msg, sizeof(msg),
			"Refusing to stop set %s of %s with --force from inside it; run stop "
			"outside the set",
			set, t.who);
		r = stop_result(o, &t, set, EXIT_TROUBLE, "error", msg);
		target_clear(&t);
		return r;
	}

	m.stop_force = o->force;
	fd = pns_connect_at(t.dir_fd, t.set.file);
	if (fd < 0)
		connected = false;
	else {
		r = pns_send_msg(fd, &m, NULL, 0);
		if (r >= 0)
			r = pns_recv_msg(fd, &m, fds, ELEMENTSOF(fds), &n_fds,
				pns_now_usec() + STOP_TIMEOUT_USEC);
		if (r >= 0) {
			pns_close_many(fds, n_fds);
			if (m.type != PNS_MSG_REPLY)
				r = -EBADMSG;
		}
	}
	/*
	 * When there is no readable answer, the anchor's exit is the answer:
	 * it went away on its own before we connected, or it tore the set
	 * down (anchors of this release send a success REPLY without a set
	 * name, which the decoder rejects as -EBADMSG).
	 */
	if ((!connected || r < 0) &&
		pns_wait_fd(t.pidfd, POLLIN, pns_now_usec() + ANCHOR_TIMEOUT_USEC) == 0) {
		if (!connected) {
			snprintf(msg, sizeof(msg), "Set %s of %s has already ended.", set, t.who);
			r = stop_result(o, &t, set, EXIT_OK, NULL, msg);
			target_clear(&t);
			return r;
		}
		r = 0;
		m.reply.error = 0;
	}

	if (!connected) {
		snprintf(msg, sizeof(msg), "Failed to connect to the anchor of set %s of %s: %s",
			set, t.who, strerror(-fd));
		r = stop_result(o, &t, set, EXIT_TROUBLE, "error", msg);
	} else if (r < 0) {
		snprintf(msg, sizeof(msg), "The anchor of set %s of %s did not answer: %s", set,
			t.who, strerror(-r));
		r = stop_result(o, &t, set, EXIT_TROUBLE, "error", msg);
	} else if (m.reply.error == -EBUSY) {
		snprintf(msg, sizeof(msg), "Set %s of %s is busy: %s", set, t.who, m.reply.message);
		r = stop_result(o, &t, set, EXIT_NEGATIVE, "busy", msg);
	} else if (m.reply.error < 0) {
		snprintf(msg, sizeof(msg), "The anchor of set %s of %s refused: %s", set, t.who,
			m.reply.message[0] ? m.reply.message : strerror(-m.reply.error));
		r = stop_result(o, &t, set, EXIT_TROUBLE, "error", msg);
	} else if (pns_wait_fd(t.pidfd, POLLIN, pns_now_usec() + ANCHOR_TIMEOUT_USEC) < 0) {
		/* It agreed, but a login joined before it could tear down. */
		snprintf(msg, sizeof(msg),
			"Set %s of %s accepted the stop but its anchor (pid %d) is still running; "
			"a new login may have joined it",
			set, t.who, (int)t.set.status.anchor_pid);
		r = stop_result(o, &t, set, EXIT_NEGATIVE, "still running", msg);
	} else {
		unsigned s = t.set.status.sessions, p = t.set.status.processes;

		if (s == 0 && p == 0)
			snprintf(msg, sizeof(msg), "Stopped set %s of %s.", set, t.who);
		else
			snprintf(msg, sizeof(msg), "Stopped set %s of %s, ending %u %s and %u %s.",
				set, t.who, s, plural(s, "session", "sessions"), p,
				plural(p, "process", "processes"));
		r = stop_result(o, &t, set, EXIT_OK, NULL, msg);
	}
	target_clear(&t);
	return r;
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char *argv[])
{
	static const struct option long_options[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"force", no_argument, NULL, 'f'},
		{"set", required_argument, NULL, 's'},
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

		c = getopt_long(argc, argv, "+:c:jfs:hV", long_options, NULL);
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
		case 's':
			if (optarg[0] == '\0')
				return usage_error("--set needs a set name");
			o.set = optarg;
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
	if (o.set && !(cmd->flags & CMD_SET))
		return usage_error("%s does not take --set", cmd->name);
	if (o.json && !(cmd->flags & CMD_JSON))
		return usage_error(
			"%s does not take --json: what it prints is the command's", cmd->name);
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

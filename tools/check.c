/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pam_nsctl check: is the policy valid, and if not, where is it wrong. */
#include "tools/nsctl.h"

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

static int dirent_strcmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int dirent_is_dropin(const struct dirent *d)
{
	return pns_policy_is_dropin_name(d->d_name);
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

int cmd_check(const struct options *o)
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

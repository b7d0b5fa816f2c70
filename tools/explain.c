/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pam_nsctl explain: what pam_ns would do for one account, and why. */
#include "tools/nsctl.h"

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
	printf("  share       %s (", value_word(PNS_KEY_SHARE, plan->share));
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
	json_string(stdout, value_word(PNS_KEY_SHARE, plan->share));
	fputs(",\"tmp\":", stdout);
	json_string(stdout, value_word(PNS_KEY_TMP, plan->tmp));
	fputs(",\"var_tmp\":", stdout);
	json_string(stdout, value_word(PNS_KEY_TMP, plan->var_tmp));
	fprintf(stdout, ",\"shm_private\":%s,\"hostname\":", plan->shm_private ? "true" : "false");
	json_string_or_null(stdout, plan->hostname[0] ? plan->hostname : NULL);
	fputs(",\"userns_map\":", stdout);
	json_string(stdout, value_word(PNS_KEY_USERNS_MAP, plan->userns_map));
	fputs(",\"userns_fallback\":", stdout);
	json_string(stdout, value_word(PNS_KEY_USERNS_FALLBACK, plan->userns_fallback));
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

int cmd_explain(const struct options *o)
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
	/* As the module does: the host name of the calling process, for %h,
	 * asked for only when the account is isolated. */
	host[0] = '\0';
	if (s.isolate && gethostname(host, sizeof(host)) < 0) {
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

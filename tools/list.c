/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pam_nsctl list: the active sets, as their anchors describe them. */
#include "tools/nsctl.h"

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
	COL_UNIT,
	_COL_MAX
};

static const char *const col_names[_COL_MAX] = {
	"USER", "UID", "SET", "SESSIONS", "PROCESSES", "NAMESPACES", "SINCE", "ANCHOR", "UNIT"};

static void since_string(uint64_t since, char *buf, size_t size)
{
	time_t t = (time_t)since;
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)since);
}

/* The systemd unit the anchor runs in ("-": none, or unknown). */
static void anchor_unit(pid_t pid, char *buf, size_t size)
{
	if (pid <= 0 || pns_pid_unit(pid, buf, size) < 0)
		pns_strlcpy(buf, "-", size);
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
		char set[PNS_SET_NAME_MAX + 1], ns[64], since[64], unit[PNS_UNIT_NAME_MAX];
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
		anchor_unit(s->anchor_pid, unit, sizeof(unit));
		cells[n][COL_UNIT] = cell("%s", unit);
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
			char unit[PNS_UNIT_NAME_MAX];

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
			printf(",\"set_id\":\"%016llx\",\"superseded\":%s",
				(unsigned long long)s->set_id,
				strncmp(e->file, "superseded-", 11) == 0 ? "true" : "false");
			fputs(",\"share\":", stdout);
			json_string(stdout, value_word(PNS_KEY_SHARE, s->plan.share));
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
			json_string(stdout, value_word(PNS_KEY_TMP, s->plan.tmp));
			fputs(",\"var_tmp\":", stdout);
			json_string(stdout, value_word(PNS_KEY_TMP, s->plan.var_tmp));
			printf(",\"since\":%llu,\"anchor_pid\":%d,\"unit\":",
				(unsigned long long)s->since, (int)s->anchor_pid);
			anchor_unit(s->anchor_pid, unit, sizeof(unit));
			json_string_or_null(stdout, strcmp(unit, "-") != 0 ? unit : NULL);
			fputc('}', stdout);
		}
		fputc(']', stdout);
	}
	fputs("}\n", stdout);
}

int cmd_list(const struct options *o)
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The active sets: finding them under the run directory, asking their anchors, choosing one. */
#include "tools/nsctl.h"

/* ---- the active sets ---------------------------------------------------- */

void set_list_clear(struct set_list *l)
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
void set_display_name(const char *file, char *buf, size_t size)
{
	size_t n = strlen(file);

	if (n > 5 && strcmp(file + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(buf, size, "%.*s", (int)n, file);
}

/* "user", "session-ID", "superseded-ID" or the same with ".sock": the socket's
 * file name, or -EINVAL. */
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
	uint64_t xs = x->state == SET_LIVE ? x->status.since : 0,
		 ys = y->state == SET_LIVE ? y->status.since : 0;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (xu || yu)
		return yu - xu; /* the user set first */
	if (xs != ys)
		return xs < ys ? -1 : 1; /* then the oldest first */
	return strcmp(x->file, y->file);
}

/* The account name of uid, or false when NSS does not know it (or fails). */
bool user_name_of(uint32_t uid, char **ret)
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
int sets_collect(struct set_list *l)
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
	if (!pns_stat_is_root_only(&st))
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
		dir_fd = pns_open_uid_run_dir(uid, false, NULL, NULL);
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

/* ---- choosing one set: enter and stop ------------------------------------ */

void target_clear(struct target *t)
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
int pick_set(const struct options *o, struct target *t, char *why, size_t size)
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

	t->dir_fd = pns_open_uid_run_dir(t->uid, false, NULL, NULL);
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
				"--set %s: not a set name (user, session-ID or superseded-ID as "
				"list shows)",
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

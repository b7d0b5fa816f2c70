/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pam_nsctl stop: ask an anchor to tear its set down. */
#include "tools/nsctl.h"

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

		if (pns_ns_joined_by_pidfd(&pns_namespace_info[i]) && s->ns_ino[i] &&
			pns_ns_inode(pns_namespace_info[i].proc_name, &ino) == 0 &&
			ino == s->ns_ino[i])
			return true;
	}
	return false;
}

int cmd_stop(const struct options *o)
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

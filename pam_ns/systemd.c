/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On a host booted with systemd: move a new set's anchor into a transient
 * scope of its own, pam_ns-UID-SETID.scope in pam_ns.slice, through the
 * system manager's D-Bus API (StartTransientUnit with the anchor's PID).
 * Forked from the PAM caller, the anchor starts in the login's
 * session-N.scope (or ssh.service, or user@UID.service), whose end would
 * kill it or which it would keep "closing" (DESIGN.md, "The anchor on
 * systemd hosts").
 *
 * libsystemd is dlopen()ed, and only on a systemd host: a host without
 * systemd loads nothing more and pays one access(2). The prototypes are
 * declared here (sd-bus's ABI is stable), so the build needs no
 * libsystemd-dev. sd-bus starts no thread, which matters: the caller must
 * stay single-threaded to join the set's mount namespace.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "common/sdunit.h"
#include "pam_ns/session.h"

#define LIBSYSTEMD_SONAME "libsystemd.so.0"

typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct sd_bus_slot sd_bus_slot;
typedef struct {
	const char *name;
	const char *message;
	int _need_free;
} sd_bus_error;
typedef int (*sd_bus_message_handler_t)(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static struct {
	int (*open_system)(sd_bus **ret);
	sd_bus *(*flush_close_unref)(sd_bus *bus);
	int (*new_method_call)(sd_bus *bus, sd_bus_message **m, const char *destination,
		const char *path, const char *interface, const char *member);
	int (*append)(sd_bus_message *m, const char *types, ...);
	int (*call_async)(sd_bus *bus, sd_bus_slot **slot, sd_bus_message *m,
		sd_bus_message_handler_t callback, void *userdata, uint64_t usec);
	int (*read)(sd_bus_message *m, const char *types, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *m);
	int (*match_signal_async)(sd_bus *bus, sd_bus_slot **ret, const char *sender,
		const char *path, const char *interface, const char *member,
		sd_bus_message_handler_t callback, sd_bus_message_handler_t install_callback,
		void *userdata);
	int (*process)(sd_bus *bus, sd_bus_message **r);
	int (*wait)(sd_bus *bus, uint64_t timeout_usec);
	int (*is_method_error)(sd_bus_message *m, const char *name);
	const sd_bus_error *(*get_error)(sd_bus_message *m);
	bool loaded;
} sd;

bool pns_systemd_booted(void)
{
	/* sd_booted(3) */
	return access("/run/systemd/system/", F_OK) == 0;
}

static int load_libsystemd(char *why, size_t size)
{
	static const char *const names[] = {
		"sd_bus_open_system",
		"sd_bus_flush_close_unref",
		"sd_bus_message_new_method_call",
		"sd_bus_message_append",
		"sd_bus_call_async",
		"sd_bus_message_read",
		"sd_bus_message_unref",
		"sd_bus_match_signal_async",
		"sd_bus_process",
		"sd_bus_wait",
		"sd_bus_message_is_method_error",
		"sd_bus_message_get_error",
	};
	void **slots[] = {
		(void **)&sd.open_system,
		(void **)&sd.flush_close_unref,
		(void **)&sd.new_method_call,
		(void **)&sd.append,
		(void **)&sd.call_async,
		(void **)&sd.read,
		(void **)&sd.message_unref,
		(void **)&sd.match_signal_async,
		(void **)&sd.process,
		(void **)&sd.wait,
		(void **)&sd.is_method_error,
		(void **)&sd.get_error,
	};
	void *h;

	if (sd.loaded)
		return 0;
	/* Never unloaded: libsystemd is not made to be (pam_systemd, in the
	 * same stack, links it anyway). */
	h = dlopen(LIBSYSTEMD_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		snprintf(why, size, "cannot load %s: %s", LIBSYSTEMD_SONAME, dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		*slots[i] = dlsym(h, names[i]);
		if (!*slots[i]) {
			snprintf(why, size, "%s has no %s", LIBSYSTEMD_SONAME, names[i]);
			return -ENOENT;
		}
	}
	sd.loaded = true;
	return 0;
}

/* The unit's name is new (set ids are random, and StartTransientUnit fails
 * for a unit that exists), so its JobRemoved is this call's; the path is
 * compared with the reply's once both are in. */
static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct pns_systemd_move *w = userdata;
	const char *path = NULL, *unit = NULL, *result = NULL;
	uint32_t id;

	if (w->removed || sd.read(m, "uoss", &id, &path, &unit, &result) < 0 || !path || !unit ||
		strcmp(unit, w->unit) != 0)
		return 0;
	pns_strlcpy(w->removed_job, path, sizeof(w->removed_job));
	pns_strlcpy(w->result, result ? result : "", sizeof(w->result));
	w->removed = true;
	return 0;
}

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct pns_systemd_move *w = userdata;
	const char *job = NULL;

	w->replied = true;
	if (sd.is_method_error(m, NULL) > 0) {
		const sd_bus_error *e = sd.get_error(m);
		const char *text = e ? (e->message ? e->message : e->name) : NULL;

		snprintf(w->why, sizeof(w->why), "StartTransientUnit failed: %s",
			text ? text : "an error without a name");
		w->error = -EIO;
		return 0;
	}
	if (sd.read(m, "o", &job) < 0 || !job) {
		snprintf(w->why, sizeof(w->why), "StartTransientUnit failed: no job in the reply");
		w->error = -EBADMSG;
		return 0;
	}
	pns_strlcpy(w->job, job, sizeof(w->job));
	return 0;
}

struct sd_bus *pns_systemd_connect(void)
{
	sd_bus *bus = NULL;
	char why[160];

	if (load_libsystemd(why, sizeof(why)) < 0 || sd.open_system(&bus) < 0)
		return NULL;
	return bus;
}

void pns_systemd_close(struct sd_bus *bus)
{
	if (bus)
		sd.flush_close_unref(bus);
}

void pns_systemd_move_send(struct pns_systemd_move *mv, struct sd_bus *bus, int anchor_pidfd,
	uint32_t uid, uint64_t set_id, const char *set_name, uint64_t deadline)
{
	char description[160];
	sd_bus_message *m = NULL;
	int r;

	*mv = (struct pns_systemd_move){.bus = bus};
	r = pns_unit_name(uid, set_id, mv->unit, sizeof(mv->unit));
	if (r < 0) {
		snprintf(mv->why, sizeof(mv->why), "cannot name the unit");
		goto out;
	}
	r = pns_pidfd_to_pid(anchor_pidfd, &mv->pid);
	if (r < 0) {
		snprintf(mv->why, sizeof(mv->why),
			"cannot read the anchor's pid from its pidfd: %s", strerror(-r));
		goto out;
	}
	r = load_libsystemd(mv->why, sizeof(mv->why));
	if (r < 0)
		goto out;
	snprintf(description, sizeof(description), "pam_ns set %s of uid %u", set_name,
		(unsigned)uid);

	/*
	 * The connection is usually started already, while the helper made
	 * the set (pns_systemd_connect()): its connect() and the
	 * authentication's first write went out then, and dbus-daemon's answer
	 * is waiting. Then one round trip: sd-bus queues Hello, the AddMatch
	 * and the call behind the authentication and sends them together, and dbus-daemon
	 * handles a connection's messages in order, so the match is in place
	 * before the call reaches the manager. A failed AddMatch closes the
	 * connection (sd-bus's default), which the wait sees.
	 *
	 * No Subscribe: systemd sends a job's signals on the system bus while
	 * some client is subscribed (logind always is) or while the job's
	 * creator is connected (bus_foreach_bus() and bus_job_track_sender()
	 * in src/core, v252 as today), so this connection gets its JobRemoved
	 * either way; the call would cost the manager a round of work before
	 * the job (DESIGN.md).
	 */
	if (!mv->bus) {
		r = sd.open_system(&mv->bus);
		if (r < 0) {
			snprintf(mv->why, sizeof(mv->why), "cannot connect to the system bus: %s",
				strerror(-r));
			goto out;
		}
	}
	r = sd.match_signal_async(mv->bus, NULL, "org.freedesktop.systemd1",
		"/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
		on_job_removed, NULL, mv);
	if (r < 0) {
		snprintf(mv->why, sizeof(mv->why), "cannot watch for JobRemoved: %s", strerror(-r));
		goto out;
	}
	r = sd.new_method_call(mv->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd.append(m, "ss", mv->unit, "fail");
	/* a(sv): what the scope is, where, and which process it takes. */
	if (r >= 0)
		r = sd.append(m, "a(sv)", 5, "Description", "s", description, "Slice", "s",
			PNS_SYSTEMD_SLICE, "CollectMode", "s", "inactive-or-failed", "SendSIGHUP",
			"b", 0, "PIDs", "au", 1, (uint32_t)mv->pid);
	if (r >= 0)
		r = sd.append(m, "a(sa(sv))", 0);
	if (r < 0) {
		snprintf(mv->why, sizeof(mv->why), "cannot build the StartTransientUnit call: %s",
			strerror(-r));
		goto out;
	}
	/* The reply's slot is floating: it goes with the bus. Its timeout is
	 * the deadline's, which the wait enforces anyway. */
	r = sd.call_async(mv->bus, NULL, m, on_start_reply, mv,
		deadline > pns_now_usec() ? deadline - pns_now_usec() : 1);
	if (r < 0) {
		snprintf(mv->why, sizeof(mv->why), "cannot send StartTransientUnit: %s",
			strerror(-r));
		goto out;
	}
	mv->sent = true;
	/* Write what can go now, without blocking: the authentication's answer
	 * has usually come while the helper worked, so this pass sends Hello,
	 * the match and the call, and the manager works while the module waits
	 * for the helper's exit. What cannot go yet goes in the wait. An error
	 * here shows there too. */
	while (sd.process(mv->bus, NULL) > 0)
		;
out:
	if (m)
		sd.message_unref(m);
	if (!mv->sent)
		mv->error = r < 0 ? r : -EIO;
}

int pns_systemd_move_wait(struct pns_systemd_move *mv, int anchor_pidfd, uint64_t deadline,
	char *ret_unit, char *why, size_t why_size)
{
	char now_in[PNS_UNIT_NAME_MAX];
	struct pollfd pfd;
	int r = mv->error;

	why[0] = 0;
	if (!mv->sent) {
		pns_strlcpy(why, mv->why[0] ? mv->why : "the move was never asked for", why_size);
		r = mv->error < 0 ? mv->error : -EINVAL;
		goto out;
	}
	/* The PIDs move when the job runs, not when it is queued. */
	while (!mv->error && !(mv->replied && mv->removed)) {
		uint64_t now = pns_now_usec();

		r = sd.process(mv->bus, NULL);
		if (r < 0) {
			snprintf(why, why_size,
				"lost the system bus waiting for the job for %s: %s", mv->unit,
				strerror(-r));
			goto out;
		}
		if (r > 0)
			continue;
		if (now >= deadline) {
			snprintf(why, why_size, "%s for %s did not end in time",
				mv->replied ? mv->job : "StartTransientUnit", mv->unit);
			r = -ETIMEDOUT;
			goto out;
		}
		r = sd.wait(mv->bus, deadline - now);
		if (r < 0) {
			snprintf(why, why_size,
				"lost the system bus waiting for the job for %s: %s", mv->unit,
				strerror(-r));
			goto out;
		}
	}
	if (mv->error) {
		pns_strlcpy(why, mv->why, why_size);
		r = mv->error;
		goto out;
	}
	if (strcmp(mv->removed_job, mv->job) != 0) {
		snprintf(why, why_size, "job %s ended for %s, not job %s", mv->removed_job,
			mv->unit, mv->job);
		r = -EIO;
		goto out;
	}
	if (strcmp(mv->result, "done") != 0) {
		snprintf(why, why_size, "job %s for %s ended with result \"%s\"", mv->job, mv->unit,
			mv->result);
		r = -EIO;
		goto out;
	}
	/* Trust, but read back: the pid must still be the anchor's (its pidfd
	 * not readable: not exited), and in the unit. */
	pfd = (struct pollfd){.fd = anchor_pidfd, .events = POLLIN};
	if (poll(&pfd, 1, 0) != 0) {
		snprintf(why, why_size, "the anchor exited while it was being moved");
		r = -ESRCH;
		goto out;
	}
	r = pns_pid_unit(mv->pid, now_in, sizeof(now_in));
	if (r < 0 || strcmp(now_in, mv->unit) != 0) {
		snprintf(why, why_size, "after the job the anchor runs in %s, not in %s",
			r < 0 ? "an unknown cgroup" : now_in, mv->unit);
		r = r < 0 ? r : -EIO;
		goto out;
	}
	pns_strlcpy(ret_unit, mv->unit, PNS_UNIT_NAME_MAX);
	r = 0;
out:
	/* The match and the reply's slot (floating) go with the bus. */
	pns_systemd_close(mv->bus);
	mv->bus = NULL;
	return r;
}

static void start_bus(void *userdata)
{
	struct pns_anchor_move *am = userdata;

	if (am->systemd)
		am->bus = pns_systemd_connect();
}

static void send_move(const struct pns_reply *reply, int anchor_pidfd, void *userdata)
{
	struct pns_anchor_move *am = userdata;

	if (!am->systemd || !reply->created)
		return;
	am->sent_at = pns_now_usec();
	pns_systemd_move_send(&am->mv, am->bus, anchor_pidfd, am->uid, reply->set_id,
		reply->set_name, am->deadline);
	am->bus = NULL; /* the move's now */
}

void pns_anchor_move_init(struct pns_anchor_move *am, uint32_t uid, uint64_t deadline,
	struct pns_session_hooks *ret_hooks)
{
	*am = (struct pns_anchor_move){
		.systemd = pns_systemd_booted(), .uid = uid, .deadline = deadline};
	*ret_hooks = (struct pns_session_hooks){
		.while_waiting = start_bus, .after_reply = send_move, .userdata = am};
}

void pns_anchor_move_close(struct pns_anchor_move *am)
{
	pns_systemd_close(am->bus);
	am->bus = NULL;
	pns_systemd_close(am->mv.bus);
	am->mv.bus = NULL;
}

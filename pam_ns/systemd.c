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
	int (*call)(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error,
		sd_bus_message **reply);
	int (*read)(sd_bus_message *m, const char *types, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *m);
	int (*match_signal)(sd_bus *bus, sd_bus_slot **ret, const char *sender, const char *path,
		const char *interface, const char *member, sd_bus_message_handler_t callback,
		void *userdata);
	int (*process)(sd_bus *bus, sd_bus_message **r);
	int (*wait)(sd_bus *bus, uint64_t timeout_usec);
	void (*error_free)(sd_bus_error *e);
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
		"sd_bus_call",
		"sd_bus_message_read",
		"sd_bus_message_unref",
		"sd_bus_match_signal",
		"sd_bus_process",
		"sd_bus_wait",
		"sd_bus_error_free",
	};
	void **slots[] = {
		(void **)&sd.open_system,
		(void **)&sd.flush_close_unref,
		(void **)&sd.new_method_call,
		(void **)&sd.append,
		(void **)&sd.call,
		(void **)&sd.read,
		(void **)&sd.message_unref,
		(void **)&sd.match_signal,
		(void **)&sd.process,
		(void **)&sd.wait,
		(void **)&sd.error_free,
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

struct job_wait {
	const char *job; /* the object path StartTransientUnit returned; NULL until then */
	char result[32]; /* JobRemoved's result: "done", "failed", ... */
	bool removed;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct job_wait *w = userdata;
	const char *path = NULL, *unit = NULL, *result = NULL;
	uint32_t id;

	if (sd.read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->job || !path ||
		strcmp(path, w->job) != 0)
		return 0;
	pns_strlcpy(w->result, result ? result : "", sizeof(w->result));
	w->removed = true;
	return 0;
}

static void bus_error_why(int r, const sd_bus_error *e, const char *what, char *why, size_t size)
{
	if (e->message)
		snprintf(why, size, "%s: %s", what, e->message);
	else
		snprintf(why, size, "%s: %s", what, strerror(r < 0 ? -r : r));
}

int pns_systemd_move_anchor(int anchor_pidfd, uint32_t uid, uint64_t set_id, const char *set_name,
	uint64_t deadline, char *ret_unit, char *why, size_t why_size)
{
	char unit[PNS_UNIT_NAME_MAX], now_in[PNS_UNIT_NAME_MAX], description[160];
	sd_bus_error error = {NULL, NULL, 0};
	sd_bus_message *m = NULL, *reply = NULL;
	struct job_wait w = {0};
	const char *job = NULL;
	sd_bus *bus = NULL;
	struct pollfd pfd;
	pid_t pid;
	int r;

	why[0] = 0;
	r = pns_unit_name(uid, set_id, unit, sizeof(unit));
	if (r < 0) {
		snprintf(why, why_size, "cannot name the unit");
		return r;
	}
	r = pns_pidfd_to_pid(anchor_pidfd, &pid);
	if (r < 0) {
		snprintf(why, why_size, "cannot read the anchor's pid from its pidfd: %s",
			strerror(-r));
		return r;
	}
	r = load_libsystemd(why, why_size);
	if (r < 0)
		return r;
	snprintf(description, sizeof(description), "pam_ns set %s of uid %u", set_name,
		(unsigned)uid);

	r = sd.open_system(&bus);
	if (r < 0) {
		snprintf(why, why_size, "cannot connect to the system bus: %s", strerror(-r));
		goto out;
	}
	/* Listen for the job's end before it can happen. The manager sends
	 * job signals on the system bus only while some client is subscribed
	 * (logind always is); Subscribe makes sure, and ends with this
	 * connection. */
	r = sd.match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
	if (r < 0) {
		snprintf(why, why_size, "cannot watch for JobRemoved: %s", strerror(-r));
		goto out;
	}
	r = sd.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "Subscribe");
	if (r >= 0)
		(void)sd.call(bus, m, deadline > pns_now_usec() ? deadline - pns_now_usec() : 1,
			&error, NULL);
	sd.error_free(&error);
	m = sd.message_unref(m);

	r = sd.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd.append(m, "ss", unit, "fail");
	/* a(sv): what the scope is, where, and which process it takes. */
	if (r >= 0)
		r = sd.append(m, "a(sv)", 5, "Description", "s", description, "Slice", "s",
			PNS_SYSTEMD_SLICE, "CollectMode", "s", "inactive-or-failed", "SendSIGHUP",
			"b", 0, "PIDs", "au", 1, (uint32_t)pid);
	if (r >= 0)
		r = sd.append(m, "a(sa(sv))", 0);
	if (r < 0) {
		snprintf(why, why_size, "cannot build the StartTransientUnit call: %s",
			strerror(-r));
		goto out;
	}
	r = sd.call(
		bus, m, deadline > pns_now_usec() ? deadline - pns_now_usec() : 1, &error, &reply);
	if (r < 0) {
		bus_error_why(r, &error, "StartTransientUnit failed", why, why_size);
		goto out;
	}
	r = sd.read(reply, "o", &job);
	if (r < 0 || !job) {
		snprintf(why, why_size, "StartTransientUnit gave no job");
		r = r < 0 ? r : -EBADMSG;
		goto out;
	}
	w.job = job;
	/* The PIDs move when the job runs, not when it is queued. */
	while (!w.removed) {
		uint64_t now = pns_now_usec();

		r = sd.process(bus, NULL);
		if (r < 0) {
			snprintf(why, why_size, "lost the system bus waiting for job %s: %s", job,
				strerror(-r));
			goto out;
		}
		if (r > 0)
			continue;
		if (now >= deadline) {
			snprintf(why, why_size, "job %s did not end in time", job);
			r = -ETIMEDOUT;
			goto out;
		}
		r = sd.wait(bus, deadline - now);
		if (r < 0) {
			snprintf(why, why_size, "lost the system bus waiting for job %s: %s", job,
				strerror(-r));
			goto out;
		}
	}
	if (strcmp(w.result, "done") != 0) {
		snprintf(why, why_size, "job %s for %s ended with result \"%s\"", job, unit,
			w.result);
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
	r = pns_pid_unit(pid, now_in, sizeof(now_in));
	if (r < 0 || strcmp(now_in, unit) != 0) {
		snprintf(why, why_size, "after the job the anchor runs in %s, not in %s",
			r < 0 ? "an unknown cgroup" : now_in, unit);
		r = r < 0 ? r : -EIO;
		goto out;
	}
	pns_strlcpy(ret_unit, unit, PNS_UNIT_NAME_MAX);
	r = 0;
out:
	sd.error_free(&error);
	sd.message_unref(reply);
	sd.message_unref(m);
	/* The match (a floating slot) goes with the bus. */
	if (bus)
		sd.flush_close_unref(bus);
	return r;
}

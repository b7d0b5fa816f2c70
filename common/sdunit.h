/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Names for the anchor's systemd unit, and reading where a process runs.
 * Text functions, and the two readers of /proc that use them; the D-Bus
 * side is pam_ns/systemd.c.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/macro.h"

/* The slice every anchor's scope is in. */
#define PNS_SYSTEMD_SLICE "pam_ns.slice"

/* A unit name is at most 255 bytes (systemd's UNIT_NAME_MAX). */
#define PNS_UNIT_NAME_MAX 256

/*
 * The anchor's transient scope: "pam_ns-UID-SETID.scope", SETID the set's
 * id in 16 lower-case hex digits. One per set: share = session gives an
 * account several. -ENOBUFS if size is too small.
 */
int pns_unit_name(uint32_t uid, uint64_t set_id, char *buf, size_t size) _warn_unused_result_;

/*
 * From the text of /proc/PID/cgroup: the systemd unit the process runs in,
 * that is the last component of its cgroup path that names a unit (ends in
 * .scope, .service or .slice), so that a cgroup inside a delegated unit
 * still names the unit. The cgroup v2 line ("0::") is read; without one,
 * systemd's v1 hierarchy ("N:name=systemd:"). "-" when the path names no
 * unit (the root cgroup, or a non-systemd host's). -ENOENT without either
 * line, -ENOBUFS if size is too small.
 */
int pns_cgroup_unit(const char *text, char *buf, size_t size) _warn_unused_result_;

/* From the text of /proc/self/fdinfo/FD of a pidfd: its "Pid:" value. -ESRCH
 * when the process has exited (-1, or 0 inside another pid namespace),
 * -EBADMSG when there is no such field. */
int pns_fdinfo_pid(const char *text, pid_t *ret) _warn_unused_result_;

/* The pid a pidfd refers to (its fdinfo's Pid:), and the unit a process
 * runs in (pns_cgroup_unit() of its /proc/PID/cgroup). */
int pns_pidfd_to_pid(int pidfd, pid_t *ret) _warn_unused_result_;
int pns_pid_unit(pid_t pid, char *buf, size_t size) _warn_unused_result_;

#!/usr/bin/env bash
# Security suite, helper faults (SPEC 8.1, 8.5; catalogue rows 26-28): the
# helper is missing, exits 1, exits 0 without a reply, segfaults, kills
# itself mid-way, sends garbage or a truncated reply, a reply without the
# anchor pidfd, an error reply, hangs (timeout=2), closes the socket and
# hangs, hands over a namespace whose inodes do not match the reply, or
# replies correctly but exits non-zero, or replies correctly for a created
# set without confirming it. Each must give PAM_SESSION_ERR,
# leave the caller in its own namespaces, leave no mount, no set and no
# zombie child of the caller. Then the same from a host program that reaps
# every child in its own SIGCHLD handler, and that host with the real
# helper.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-fault
uid=$(id -u pamns-sec-fault)
sec_std_policy ""

fake_dir=$PNS_T/fake
mkdir -m 0700 "$fake_dir"
defer_eval "sec_kill_pidfiles '$fake_dir' child"
sec_cc_proto fake-exit1 fake-helper.c "-DFAKE_DIR=\"$fake_dir\""
modes=(exit0 segv kill garbage truncated nofd errreply hang closehang mismatch badstatus noconfirm)
for m in "${modes[@]}" confirmed; do
	cp "$PNS_T/bin/fake-exit1" "$PNS_T/bin/fake-$m"
done
sec_cc reaper-host reaper-host.c -lpam -lpthread

host_mnt=$(host_ns mnt)
host_ipc=$(host_ns ipc)
host_uts=$(host_ns uts)
mounts_before=$(sec_host_mounts)

all=(missing exit1 "${modes[@]}")
for m in "${all[@]}"; do
	sec_stack "f-$m" "config=$PNS_CONF helper=$PNS_T/bin/fake-$m timeout=2 debug"
	out=$(pam_drive --service "f-$m" --always-run pamns-sec-fault -- sh -c "$SEC_ZOMBIES_OF_PARENT" 2>&1)
	check_eq "$m helper: PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
	check_eq "$m helper: caller keeps its mount namespace" "$host_mnt" "$(kv ns_mnt "$out")" "$out"
	check_eq "$m helper: caller keeps its IPC namespace" "$host_ipc" "$(kv ns_ipc "$out")" "$out"
	check_eq "$m helper: caller keeps its UTS namespace" "$host_uts" "$(kv ns_uts "$out")" "$out"
	check_eq "$m helper: no zombie child left in the caller" "" "$(printf '%s\n' "$out" | grep '^zombie')" "$out"
	check_eq "$m helper: no set left for the uid" 0 "$(set_socket_count "$uid")"
	sec_kill_pidfiles "$fake_dir" child
done
check_eq "faulty helpers: the host mount table is unchanged" "$mounts_before" "$(sec_host_mounts)"

# The control of noconfirm: the same reply with the helper's confirmation
# opens the session, in the fake anchor's namespaces.
sec_stack f-confirmed "config=$PNS_CONF helper=$PNS_T/bin/fake-confirmed timeout=2 debug"
out=$(pam_drive --service f-confirmed --always-run pamns-sec-fault -- sh -c "$SEC_ZOMBIES_OF_PARENT" 2>&1)
check_eq "confirmed helper (control of noconfirm): PAM_SUCCESS" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_ne "confirmed helper: the caller is in the fake anchor's mount namespace" "$host_mnt" \
	"$(kv ns_mnt "$out")" "$out"
sec_kill_pidfiles "$fake_dir" child
check_eq "confirmed helper: the host mount table is unchanged" "$mounts_before" "$(sec_host_mounts)"

if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
	log=$(syslog_since_start)
	check_contains "hung helper: the log says it did not answer in time" "$log" "did not answer in time"
	check_contains "error reply: the log carries the helper's reason" "$log" "fake helper refuses"
	check_contains "unconfirmed reply: the log says the helper did not confirm it" "$log" \
		"the helper did not confirm it"
	# Each stub reaches the check it is for (a reply the module cannot
	# decode would be denied too, for the wrong reason).
	check_contains "bad exit status: the log says the exit status vetoed the reply" "$log" \
		"the helper replied but exited with status 3"
	check_contains "mismatched inodes: the log says the join failed on them" "$log" \
		"failed to join set user.sock: Stale file handle"
	check_contains "missing helper: the log names the unusable helper" "$log" "fake-missing is unusable"
else
	skip "helper faults: reasons in syslog" "no syslog to read"
fi

# --- where the helper= program lives ------------------------------------------
# The module checks that the helper is a root-owned regular file not
# writable by group or others; the directories above it matter as much: in
# a directory the user can write, the user can put a symlink to any
# root-owned program at that name (stat() follows it), and the module would
# run that program as root with argv "pam_ns-helper open -- UID" in the
# caller's working directory (python3 or perl would then run a file named
# "open" from there). As with the policy, every directory must be root's
# and not writable by others.
mkdir -m 0755 "$PNS_T/userdir" "$PNS_T/wwdir" "$PNS_T/linkdir"
chown pamns-sec-fault "$PNS_T/userdir"
chmod 0777 "$PNS_T/wwdir"
for d in userdir wwdir; do
	install -m 0755 "$PNS_HELPER" "$PNS_T/$d/pam_ns-helper"
done
ln -s "$PNS_T/userdir/pam_ns-helper" "$PNS_T/linkdir/pam_ns-helper"
for h in userdir wwdir linkdir; do
	case $h in
	userdir) what="in a directory the user owns" ;;
	wwdir) what="in a world-writable directory" ;;
	linkdir) what="a symlink into a directory the user owns" ;;
	esac
	sec_stack "h-$h" "config=$PNS_CONF helper=$PNS_T/$h/pam_ns-helper timeout=2 debug"
	out=$(pam_drive --service "h-$h" pamns-sec-fault -- true 2>&1)
	check_eq "helper $what: refused (PAM_SESSION_ERR)" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
	check_eq "helper $what: the caller keeps its mount namespace" "$host_mnt" "$(kv ns_mnt "$out")" "$out"
	wait_set_gone "$uid"
done

# --- a multi-threaded caller ------------------------------------------------------
# setns() into a mount namespace fails in a threaded process (SPEC 3.6): the
# module must refuse before it makes anything.
sec_stack real-user "config=$PNS_CONF helper=$PNS_HELPER debug"
out=$(timeout 60 "$PNS_T/bin/reaper-host" "$PNS_T/pam.d" real-user pamns-sec-fault thread 1 2>&1)
check_eq "threaded caller: PAM_SESSION_ERR, namespace unchanged" \
	"round=0 open_rc=PAM_SESSION_ERR changed=no" "$(grep '^round=0' <<<"$out")" "$out"
check_eq "threaded caller: no set made" 0 "$(set_socket_count "$uid")"

# --- a host that reaps every child in its SIGCHLD handler --------------------
for m in exit1 segv kill garbage hang mismatch; do
	out=$(timeout 60 "$PNS_T/bin/reaper-host" "$PNS_T/pam.d" "f-$m" pamns-sec-fault plain 1 2>&1)
	check_eq "reaping host, $m helper: PAM_SESSION_ERR, namespace unchanged" \
		"round=0 open_rc=PAM_SESSION_ERR changed=no" "$(grep '^round=0' <<<"$out")" "$out"
	check_eq "reaping host, $m helper: no zombie" 0 "$(kv zombies "$out")" "$out"
	sec_kill_pidfiles "$fake_dir" child
done

# The real helper, 20 logins per handler kind with share = session (so
# every login runs the helper), noise children exiting all through each
# open. Every session must open and no zombie may remain. DESIGN.md says
# the helper is a clone3() child with exit signal 0 that waitpid(-1) in
# the host cannot take; but execve() resets the exit signal to SIGCHLD
# (the kernel's de_thread), so the host's handler is told of the helper's
# exit and can reap it before the module's waitid(P_PIDFD).
sec_std_policy "$PNS_T/session.conf" session
sec_stack real "config=$PNS_T/session.conf helper=$PNS_HELPER debug"
# One host process per login: after a login the caller is in that
# session's Landlock domain, from which no further set can be made
# (pam_ns(8), "The /proc door").
for kind in plain wall; do
	out=$(for i in $(seq 1 20); do
		timeout 60 "$PNS_T/bin/reaper-host" "$PNS_T/pam.d" real pamns-sec-fault "$kind" 1 2>&1
	done)
	opened=$(grep -c 'open_rc=PAM_SUCCESS changed=yes' <<<"$out")
	check_eq "reaping host ($kind waitpid), real helper: 20 of 20 sessions open" 20 "$opened" "$out"
	check_eq "reaping host ($kind waitpid), real helper: no zombie" 0 \
		"$(sed -n 's/^zombies=//p' <<<"$out" | awk '{s += $1} END {print s + 0}')" "$out"
	# execve() gives the helper the exit signal SIGCHLD again, so even a
	# plain waitpid(-1) handler takes it; the module must still open every
	# session from the helper's reply. Check the path was really taken.
	stolen=$(sed -n 's/^helper_stolen=//p' <<<"$out" | awk '{s += $1} END {print s + 0}')
	check_ne "reaping host ($kind waitpid): the handler did take the helper (path exercised)" \
		0 "${stolen:-0}" "$out"
	note "reaping host ($kind): helper taken by the handler $stolen times in 20 logins"
done
if wait_set_gone "$uid"; then
	pass "reaping host: sets torn down afterwards"
else
	fail "reaping host: sets torn down afterwards" "$(ls "$PNS_RUN_DIR/$uid" 2>&1)"
fi
check_eq "host mount table unchanged at the end" "$mounts_before" "$(sec_host_mounts)"

# The anchor starts in the helper's memory and keeps libc's thread structure
# of the helper's main thread (DESIGN.md, "The anchor's start"). musl's
# raise(), and so abort(), signal the thread id in that structure, the
# helper's: a static musl helper must link neither. glibc asks the kernel
# for the caller's thread id, so its build may.
syms=$(nm "$PNS_HELPER_BUILT" 2>/dev/null | awk '{ print $NF }')
if ! grep -qx main <<<"$syms"; then
	skip "helper without raise() and abort()" "no symbols in $PNS_HELPER_BUILT (stripped, or no nm)"
elif grep -q '@GLIBC_' <<<"$syms"; then
	note "helper links glibc: raise() there asks the kernel for the thread id"
	pass "helper without raise() and abort(): not needed with glibc"
else
	check_eq "static musl helper links neither raise() nor abort()" "" \
		"$(grep -xE 'raise|abort' <<<"$syms" | paste -sd' ')"
	check_eq "control: nm lists the helper's own symbols" anchor_start \
		"$(grep -x anchor_start <<<"$syms")"
fi

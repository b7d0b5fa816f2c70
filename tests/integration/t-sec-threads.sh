#!/usr/bin/env bash
# Security suite: a process whose main thread has exited (issue 11, finding
# 5). After pthread_exit() in main, /proc/PID/ns/ is gone while the other
# threads run; the anchor must look at /proc/PID/task/TID/ns/.
#
# - A login leaves such a process behind and ends: the set stays (the next
#   login lands in the namespace the surviving thread is in), list counts
#   the process, a plain stop refuses the set as busy.
# - Once the process exits, the set is torn down.
# - pam_nsctl stop --force kills such a process and tears the set down.
#
# All of it twice: with the set's cgroup (the sets' hierarchy, the usual
# case), and where the anchor walks /proc because the hierarchy cannot be
# made (fsopen() failed by strace: the thread-by-thread walk).
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-mx
uid=$(id -u pamns-sec-mx)
sec_std_policy ""
sec_stack user "config=$PNS_CONF helper=$PNS_HELPER debug"
sec_cc main-exit main-exit.c -pthread
host_mnt=$(host_ns mnt)
nsctl() { timeout 60 "$PNS_NSCTL" "$@"; }

# The strace wrapper of t-sec-syscalls, failing the anchor's fsopen().
spec=$PNS_T/strace.spec
mkdir -m 0700 "$PNS_T/strace"
echo "inject=fsopen:error=ENOSYS" >"$spec"
have_strace=0
if command -v strace >/dev/null; then
	have_strace=1
	sec_cc strace-helper strace-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DSPEC_FILE=\"$spec\"" \
		"-DPID_DIR=\"$PNS_T/strace\""
	defer_eval "sec_kill_pidfiles '$PNS_T/strace' strace"
	sec_stack walk "config=$PNS_CONF helper=$PNS_T/bin/strace-helper debug"
fi

run_cases() {

	# leave_behind N: a login of pamns-sec-mx that starts main-exit in the
	# background, waits until its main thread has exited, and ends. Sets MX_PID,
	# MX_TID and MX_NS (the surviving thread's mount namespace).
	leave_behind() {
		local out=$PNS_T/mx.$1.out res
		: >"$out"
		chown pamns-sec-mx "$out"
		res=$(pam_drive --service "$SERVICE" --as-user pamns-sec-mx -- sh -c "
			setsid $PNS_T/bin/main-exit >$out 2>&1 </dev/null &
			until grep -qx main-exited $out; do sleep 0.1; done" 2>&1)
		check_eq "$MODE: login $1: opens and ends" PAM_SUCCESS "$(kv open_rc "$res")" "$res"
		MX_PID=$(kv pid "$(cat "$out")")
		MX_TID=$(kv tid "$(cat "$out")")
		MX_NS=$(readlink "/proc/$MX_PID/task/$MX_TID/ns/mnt")
		defer_eval "kill -KILL $MX_PID 2>/dev/null"
		check_ne "$MODE: login $1: the left-behind process runs in the set" "$host_mnt" "$MX_NS" \
			"$(cat "$out"); $res"
		check_eq "$MODE: login $1: its main thread has no namespaces any more" "" \
			"$(readlink "/proc/$MX_PID/ns/mnt" 2>/dev/null)"
		check_eq "$MODE: login $1: the session's mount namespace is the process's" "$MX_NS" "$(kv ns_mnt "$res")"
	}

	# --- teardown sees the surviving thread ----------------------------------------
	leave_behind 1
	# The login has been reaped: the anchor has seen its caller exit (it handles
	# that before any new connection) and walked /proc.
	out=$(pam_drive --service "$SERVICE" pamns-sec-mx -- true 2>&1)
	check_eq "$MODE: next login: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "$MODE: next login: joins the set the process is in (no second set)" "$MX_NS" "$(kv ns_mnt "$out")" "$out"
	list=$(nsctl list --json 2>&1)
	check_eq "$MODE: list: the set counts the process" 1 "$(printf '%s' "$list" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(s["processes"] for s in d["sets"] if s["uid"] == int(sys.argv[1])))' "$uid" 2>&1)" "$list"
	out=$(nsctl stop pamns-sec-mx 2>&1)
	check_eq "$MODE: stop without --force: refused, the set is busy" 1 "$?" "$out"
	check_contains "$MODE: stop without --force: counts the process" "$out" "1 process(es)"
	check_eq "$MODE: stop without --force: the set is still there" 1 "$(set_socket_count "$uid")"

	kill -KILL "$MX_PID"
	if wait_set_gone "$uid"; then
		pass "$MODE: the set goes once the process's last thread has exited"
	else
		fail "$MODE: the set goes once the process's last thread has exited" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1)"
	fi

	# --- stop --force kills it ---------------------------------------------------------------
	leave_behind 2
	out=$(nsctl stop --force pamns-sec-mx 2>&1)
	check_eq "$MODE: stop --force: exit 0" 0 "$?" "$out"
	_mx_gone() { [ ! -e "/proc/$MX_PID" ]; }
	if wait_until "$PNS_WAIT" _mx_gone; then
		pass "$MODE: stop --force: the process whose main thread had exited is killed"
	else
		fail "$MODE: stop --force: the process whose main thread had exited is killed" \
			"$(ls "/proc/$MX_PID/task" 2>&1); $out"
	fi
	if wait_set_gone "$uid"; then
		pass "$MODE: stop --force: the set is gone"
	else
		fail "$MODE: stop --force: the set is gone" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1)"
	fi
}

MODE=cgroup SERVICE=user run_cases
if [ "$have_strace" = 1 ]; then
	MODE=walk SERVICE=walk run_cases
	check_contains "walk: the anchors said they walk /proc" "$(syslog_since_start)" "found by walking /proc"
else
	skip "the /proc walk" "strace is not installed"
fi

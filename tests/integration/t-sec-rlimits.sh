#!/usr/bin/env bash
# Security suite: what the anchor inherits from the login that made its set
# (issue 11, finding 6), and the 1024-sessions bound (SPEC 8.6).
#
# - su after `ulimit -S` (open files 16, CPU time, stack, address space,
#   data, file size), `nice -n 10`, `chrt --idle`, oom_score_adj 500 and
#   from a directory of its own: the anchor has 1088 open files, every other
#   soft limit at its hard one, no core dumps, niceness 0, SCHED_OTHER, OOM
#   score adjustment 0, and / as its working directory.
# - A set made that way takes 1024 sessions (1 su + 1023 pam-drive); the
#   1025th is refused with a log line and the caller stays where it was; once
#   one session ends, a login gets in again. All go when the sessions end.
# - `ulimit -n 16` (hard too) before su: joining a live set works; creating a
#   set is refused with a log line (root here lacks CAP_SYS_RESOURCE, so the
#   hard limit cannot be raised) or, with CAP_SYS_RESOURCE, made (the helper
#   raises it). The same for a hard CPU time limit.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-rl
uid=$(id -u pamns-sec-rl)
sec_std_policy ""
sec_stack user "config=$PNS_CONF helper=$PNS_HELPER debug"
sec_su_stack "$PNS_T/su.stack" "config=$PNS_CONF helper=$PNS_HELPER debug"
host_mnt=$(host_ns mnt)
nofile=1088 # PNS_ANCHOR_NOFILE: 1024 sessions + 64
nsctl() { timeout 60 "$PNS_NSCTL" "$@"; }
# set_field KEY: KEY of the uid's set in `pam_nsctl list --json`.
set_field() {
	nsctl list --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [x for x in d["sets"] if x["uid"] == int(sys.argv[1])]
print(s[0][sys.argv[2]] if len(s) == 1 else "no set")' "$uid" "$1" 2>&1
}
# limit PID NAME: "soft hard" of NAME ("Max open files") in /proc/PID/limits.
limit() { sed -n "s/^$2  *\([^ ]*\)  *\([^ ]*\).*/\1 \2/p" "/proc/$1/limits"; }
# cap_sys_resource: does this shell (root, the su invoker) have it?
cap_sys_resource() {
	local eff
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	(((16#$eff >> 24) & 1))
}
syslog_now() { [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] && wc -l <"$PNS_SYSLOG_FILE" || echo 0; }
syslog_after() { [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] && tail -n +"$(($1 + 1))" "$PNS_SYSLOG_FILE"; }

# --- the creating login: su after ulimit -S, nice, chrt, oom_score_adj -----------
fifo=$PNS_T/hold.fifo
mkfifo -m 0600 "$fifo"
exec {holdfd}<>"$fifo"
defer_eval 'exec {holdfd}>&- 2>/dev/null'
mkdir -m 0755 "$PNS_T/cwd"
(
	exec {holdfd}>&-
	cd "$PNS_T/cwd" || exit 1
	# in_stack, without its 120 s bound: this session is held through the test.
	exec unshare -m --propagation private sh -c '
		for f in su su-l; do mount --bind "$1" /etc/pam.d/$f || exit 125; done
		shift; exec "$@"' sh "$PNS_T/su.stack" bash -c '
		ulimit -S -n 16 -t 600 -s 512 -v 4000000 -d 4000000 -f 1000 || exit 1
		ulimit -S -c "$(ulimit -H -c)" || exit 1
		echo 500 >/proc/self/oom_score_adj || exit 1
		exec nice -n 10 chrt --idle 0 su pamns-sec-rl -c "echo ns=\$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null"'
) <"$fifo" >"$PNS_T/su.out" 2>&1 &
su_pid=$!
defer_eval "kill $su_pid 2>/dev/null"
if ! wait_until 30 grep -qx ready "$PNS_T/su.out"; then
	fail "su after ulimit -S, nice, chrt: the session opens" "$(cat "$PNS_T/su.out")"
	exit 1
fi
set_ns=$(kv ns "$(cat "$PNS_T/su.out")")
check_ne "su after ulimit -S, nice, chrt: the session is isolated" "$host_mnt" "$set_ns"
anchor=$(set_field anchor_pid)
check_eq "the anchor is in the set" "$set_ns" "$(ns_of "$anchor" mnt)" "anchor: $anchor"
hard=$(limit "$anchor" "Max open files" | cut -d' ' -f2)
check_eq "anchor: $nofile open files (soft), whatever the login's soft limit" \
	"$nofile $hard" "$(limit "$anchor" "Max open files")"
for name in "Max cpu time" "Max stack size" "Max address space" "Max data size" "Max file size"; do
	lim=$(limit "$anchor" "$name")
	check_eq "anchor: $name, soft limit raised to the hard one" "${lim#* } ${lim#* }" "$lim"
done
check_eq "anchor: no core dumps" "0 0" "$(limit "$anchor" "Max core file size")"
check_eq "anchor: niceness 0" 0 "$(sed 's/.*) //' "/proc/$anchor/stat" | cut -d' ' -f17)"
check_contains "anchor: SCHED_OTHER, not SCHED_IDLE" "$(chrt -p "$anchor" 2>&1)" "SCHED_OTHER"
check_eq "anchor: OOM score adjustment 0" 0 "$(cat "/proc/$anchor/oom_score_adj")"
check_eq "anchor: working directory /, not the login's" / "$(readlink "/proc/$anchor/cwd")"

# --- ulimit -n 16 (soft and hard) joins a live set -----------------------------------------
out=$(in_stack "$PNS_T/su.stack" bash -c 'ulimit -n 16 && exec su pamns-sec-rl -c "readlink /proc/self/ns/mnt"' 2>&1)
check_eq "su after ulimit -n 16: joins the live set" "$set_ns" "$out"

# --- 1024 sessions in the set --------------------------------------------------------------
rdy=$PNS_T/ready
: >"$rdy"
fill=()
defer_eval 'kill ${fill[*]} 2>/dev/null'
_batch_settled() {
	local p
	for p in "${batch[@]}"; do
		grep -qx "ready $p" "$rdy" || ! kill -0 "$p" 2>/dev/null || return 1
	done
}
start=$SECONDS
for ((n = 1; n < 1024; n += 32)); do
	batch=()
	for ((i = n; i < n + 32 && i < 1024; i++)); do
		(
			exec {holdfd}>&-
			exec "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service user pamns-sec-rl -- \
				sh -c 'echo "ready $PPID" >>'"$rdy"'; exec cat >/dev/null'
		) <"$fifo" >"$PNS_T/fill.out.$i" 2>&1 &
		batch+=($!)
	done
	fill+=("${batch[@]}")
	wait_until 60 _batch_settled
	[ "$(wc -l <"$rdy")" -eq $((i - 1)) ] || break
done
note "1023 logins joined in $((SECONDS - start)) s"
got=$(wc -l <"$rdy")
check_eq "1023 more logins join the set" 1023 "$got" \
	"$(for f in "$PNS_T"/fill.out.*; do grep -q open_rc=PAM_SUCCESS "$f" || { cat "$f"; break; }; done)"
check_eq "the set holds 1024 sessions" 1024 "$(set_field sessions)"
mark=$(syslog_now)
out=$(pam_drive --service user pamns-sec-rl -- true 2>&1)
check_eq "the 1025th session: denied" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
check_eq "the 1025th session: the caller stays in its mount namespace" "$host_mnt" "$(kv ns_mnt "$out")" "$out"
if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
	check_contains "the 1025th session: the log says why" "$(syslog_after "$mark")" \
		"refused a session: it holds 1024, the limit"
fi
check_eq "the 1025th session: still one set" 1 "$(set_socket_count "$uid")"
# One session ends (its caller is killed): a login gets in again.
kill "${fill[0]}"
_one_less() { [ "$(set_field sessions)" = 1023 ]; }
wait_until "$PNS_WAIT" _one_less
out=$(pam_drive --service user pamns-sec-rl -- true 2>&1)
check_eq "once a session has ended, a login joins again" "PAM_SUCCESS $set_ns" \
	"$(kv open_rc "$out") $(kv ns_mnt "$out")" "$out"
check_eq "the anchor is the same process" "$anchor" "$(set_field anchor_pid)"

exec {holdfd}>&-
_all_ended() {
	local p
	for p in "${fill[@]}" "$su_pid"; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
wait_until 120 _all_ended
for p in "${fill[@]}" "$su_pid"; do wait "$p" 2>/dev/null; done
if wait_until 60 _set_gone "$uid" "$set_ns"; then
	pass "all 1024 sessions end: the set is gone"
else
	fail "all 1024 sessions end: the set is gone" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1); sessions: $(set_field sessions)"
fi

# --- hard limits that cannot be raised: no set is made ---------------------------------------
for lim in "n 16:open files (ulimit -n) is 16" "t 600:CPU time (ulimit -t) is 600"; do
	IFS=: read -r arg why <<<"$lim"
	mark=$(syslog_now)
	out=$(in_stack "$PNS_T/su.stack" bash -c "ulimit -$arg && exec su pamns-sec-rl -c 'echo ran'" 2>&1)
	rc=$?
	if cap_sys_resource; then
		check_eq "ulimit -$arg before su, with CAP_SYS_RESOURCE: the set is made" 0 "$rc" "$out"
		check_contains "ulimit -$arg before su, with CAP_SYS_RESOURCE: the command runs" "$out" ran
	else
		check_ne "ulimit -$arg before su (hard limit, no CAP_SYS_RESOURCE): su fails" 0 "$rc" "$out"
		check_not_contains "ulimit -$arg before su: the command does not run" "$out" ran
		if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
			check_contains "ulimit -$arg before su: the log says why" "$(syslog_after "$mark")" \
				"Refusing to create a set for uid $uid: the login's hard limit of $why"
		fi
	fi
	wait_set_gone "$uid"
	check_eq "ulimit -$arg before su: no set left" 0 "$(set_socket_count "$uid")"
done

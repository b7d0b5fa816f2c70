#!/usr/bin/env bash
# KillUserProcesses=yes (issue 12, item 3): logging out of one of two
# sessions stops that session's scope and kills what is in it. The anchor is
# not (its scope is its own): the other session keeps its set, a third login
# joins it, and nothing is stale. After the last logout the set and its unit
# are gone.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-bob
mounts0=$(probe mounts)
dropin=/etc/systemd/logind.conf.d/rig-kill-user-processes.conf

logind_kills() { [ "$(ct busctl get-property org.freedesktop.login1 /org/freedesktop/login1 \
	org.freedesktop.login1.Manager KillUserProcesses)" = "b true" ]; }
restart_logind() {
	ct systemctl restart systemd-logind
	wait_until 20 ct busctl status org.freedesktop.login1
}
ct sh -c 'mkdir -p "${1%/*}" && printf "[Login]\nKillUserProcesses=yes\n" >"$1"' sh "$dropin"
defer_eval "ct rm -f $dropin; restart_logind"
restart_logind
if ! wait_until 20 logind_kills; then
	fail "killuser: logind has KillUserProcesses=yes" "$(ct busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager KillUserProcesses 2>&1)"
	exit 1
fi
pass "killuser: logind has KillUserProcesses=yes"

for s in a b; do
	if ! ct_hold "$s" "$u" 'sleep 3600 </dev/null >/dev/null 2>&1 & echo bg=$!'; then
		fail "killuser: session $s logs in" "$(cat "${CT_HOLD_OUT[$s]}")"
		exit 1
	fi
done
mnt=$(ct_hold_value a mnt)
check_eq "killuser: two sessions share a set" "$mnt" "$(ct_hold_value b mnt)"
anchor=$(anchor_in "$mnt")
check_ne "killuser: the set has an anchor" "" "$anchor"
bg_a=$(ct_hold_value a bg)

ct_release a
wait_until "$PNS_WAIT" session_gone "$(ct_hold_value a sid)"
check_eq "killuser: session A is gone" gone "$(probe session-state "$(ct_hold_value a sid)")"
# The proof that logind killed A's scope: A's background sleep is gone too.
gone_pid() { ! ct kill -0 "$1" 2>/dev/null; }
wait_until "$PNS_WAIT" gone_pid "$bg_a"
check_eq "killuser: logind killed what session A left running" gone \
	"$(gone_pid "$bg_a" && echo gone || echo alive)"
check_eq "killuser: the anchor lives" "$anchor" "$(anchor_in "$mnt")"
check_eq "killuser: session B is still in the set" "$mnt" \
	"$(ct readlink "/proc/${CT_HOLD_PID[b]}/ns/mnt")"
out=$(ct_ssh "$u" 'readlink /proc/self/ns/mnt' 2>&1)
check_eq "killuser: a third login joins session B's set" "$mnt" "$out"
check_eq "killuser: one socket, the set's" "/run/pam_ns/$uid/user.sock" "$(probe socks "$uid")"
list=$(ct pam_nsctl list 2>&1)
check_not_contains "killuser: pam_nsctl list reports no stale socket" "$list" "Stale socket"
check_eq "killuser: pam_nsctl list shows one set of the user" 1 \
	"$(printf '%s\n' "$list" | awk -v u="$u" '$1 == u' | wc -l)"

ct_release b
check_all_gone "killuser: after the last logout" "$uid" "$mounts0"

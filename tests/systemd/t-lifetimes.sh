#!/usr/bin/env bash
# What logind and systemd end, and what they leave alone (issue 12, item 3):
# `systemctl restart ssh` and `systemctl stop user@UID` leave a live
# session's set alone (its anchor is in a unit of its own); `loginctl
# terminate-session` and `terminate-user` end the sessions, and with them
# the set, its socket and its unit.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-ann
mounts0=$(probe mounts)

# hold NAME: log u in and keep the session, or stop the script.
hold() {
	if ! ct_hold "$1" "$u"; then
		fail "lifetimes: session $1 logs in" "$(cat "${CT_HOLD_OUT[$1]}")"
		exit 1
	fi
}
alive() { ct kill -0 "$1" 2>/dev/null; } # PID inside

# ---- systemctl restart ssh, then systemctl stop user@UID, one session open
hold a
mnt=$(ct_hold_value a mnt)
anchor=$(anchor_in "$mnt")
check_ne "lifetimes: the session has a set with an anchor" "" "$anchor"
unit=$(probe cgroup "$anchor")
unit=${unit##*/}

ct systemctl restart ssh
wait_until 20 ct sh -c 'ss -Hltn "sport = :22" | grep -q 127.0.0.1:22'
check_eq "lifetimes: after restart ssh the session's shell lives" yes \
	"$(alive "${CT_HOLD_PID[a]}" && echo yes || echo no)"
check_eq "lifetimes: after restart ssh the anchor lives" yes "$(alive "$anchor" && echo yes || echo no)"
check_eq "lifetimes: after restart ssh the unit is active" active \
	"$(ct systemctl show -p ActiveState --value "$unit")"
check_eq "lifetimes: after restart ssh the socket is there" "/run/pam_ns/$uid/user.sock" "$(probe socks "$uid")"
out=$(ct_ssh "$u" 'readlink /proc/self/ns/mnt' 2>&1)
check_eq "lifetimes: after restart ssh a new login joins the set" "$mnt" "$out"

if ct systemctl is-active -q "user@$uid.service"; then
	ct systemctl stop "user@$uid.service"
	check_eq "lifetimes: user@$uid stopped" inactive "$(ct systemctl is-active "user@$uid.service")"
else
	fail "lifetimes: user@$uid runs while a session is open" "$(ct systemctl status --no-pager "user@$uid.service" 2>&1 | head -n 5)"
fi
check_eq "lifetimes: after stop user@ the session's shell lives" yes \
	"$(alive "${CT_HOLD_PID[a]}" && echo yes || echo no)"
check_eq "lifetimes: after stop user@ the anchor lives" yes "$(alive "$anchor" && echo yes || echo no)"
check_eq "lifetimes: after stop user@ the socket is there" "/run/pam_ns/$uid/user.sock" "$(probe socks "$uid")"
out=$(ct_ssh "$u" 'readlink /proc/self/ns/mnt' 2>&1)
check_eq "lifetimes: after stop user@ a new login joins the set" "$mnt" "$out"
ct_release a
check_all_gone "lifetimes: after logout" "$uid" "$mounts0"

# ---- loginctl terminate-session: the session and the set end
hold b
sid=$(ct_hold_value b sid)
check_ne "lifetimes: logind names the session" "" "$sid"
ct loginctl terminate-session "$sid"
wait_until "$PNS_WAIT" session_gone "$sid"
check_eq "lifetimes: terminate-session ends the session" gone "$(probe session-state "$sid")"
check_all_gone "lifetimes: after terminate-session" "$uid" "$mounts0"
ct_release b

# ---- loginctl terminate-user with two sessions: both end, and the set
hold c
hold d
check_eq "lifetimes: two sessions share a set" "$(ct_hold_value c mnt)" "$(ct_hold_value d mnt)"
ct loginctl terminate-user "$u"
wait_until "$PNS_WAIT" session_gone "$(ct_hold_value c sid)"
wait_until "$PNS_WAIT" session_gone "$(ct_hold_value d sid)"
check_eq "lifetimes: terminate-user ends both sessions" "gone gone" \
	"$(probe session-state "$(ct_hold_value c sid)") $(probe session-state "$(ct_hold_value d sid)")"
check_all_gone "lifetimes: after terminate-user" "$uid" "$mounts0"
ct_release c
ct_release d

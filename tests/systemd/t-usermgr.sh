#!/usr/bin/env bash
# The user manager inside the set (issue 12, item 4), with the shipped
# conf/pam.d/systemd-user line: user@UID's "systemd --user" joins the
# login's set; a `systemd-run --user` unit and a user service see the set's
# /tmp, not the host's; pam_nsctl list counts the user manager as a
# session; the set lives while the user manager or any login lives, and
# goes when both have ended. (Without the line, t-sessions notes where a
# `systemd-run --user` unit runs.)
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-ann
home=/home/$u
pid1_mnt=$(ct readlink /proc/1/ns/mnt)
mounts0=$(probe mounts)
cursor=$(ct journalctl -q -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')

# The stack as the snippet says: the vendor file, copied to /etc, plus the line.
stop_manager() {
	ct systemctl stop "user@$uid.service"
	ct loginctl disable-linger "$u" 2>/dev/null
	wait_until "$PNS_WAIT" sh -c '! nsenter -t "$1" -a systemctl -q is-active "user@$2.service"' sh "$PNS_RIG_PID1" "$uid"
}
stop_manager
ct sh -c 'line=$(grep -E "^session[[:space:]].*pam_ns\.so" /usr/local/src/pam_ns/conf/pam.d/systemd-user) &&
	test -n "$line" && cp /usr/lib/pam.d/systemd-user /etc/pam.d/systemd-user &&
	echo "$line" >>/etc/pam.d/systemd-user'
defer_eval "stop_manager; ct rm -f /etc/pam.d/systemd-user $home/rig-run.out $home/rig-svc.out $home/rig-svc.sh $home/.config/systemd/user/rig-svc.service; ct rm -f /tmp/rig-um-marker /tmp/rig-um-run /tmp/rig-um-svc"
check_eq "usermgr: /etc/pam.d/systemd-user ends with the snippet's line" "session  required  pam_ns.so" \
	"$(ct tail -n 1 /etc/pam.d/systemd-user)"

if ! ct_hold a "$u" 'echo from-a >/tmp/rig-um-marker'; then
	fail "usermgr: session A logs in" "$(cat "${CT_HOLD_OUT[a]}")"
	exit 1
fi
mnt=$(ct_hold_value a mnt)
check_ne "usermgr: session A is isolated" "$pid1_mnt" "$mnt"
manager_pid() { ct systemctl show -p MainPID --value "user@$uid.service"; }
manager_up() { [ "$(manager_pid)" -gt 0 ] 2>/dev/null && ct systemctl -q is-active "user@$uid.service"; }
wait_until 30 manager_up
mpid=$(manager_pid)
check_eq "usermgr: the user manager runs in the set" "$mnt" "$(ct readlink "/proc/$mpid/ns/mnt" 2>/dev/null)"
check_eq "usermgr: one anchor for session and user manager" 1 "$(anchor_in "$mnt" | wc -l)"
anchor=$(anchor_in "$mnt")
check_anchor_scope "usermgr: the anchor is in its own scope, not in user@" "$uid" "$anchor"

# check_probe_run WHAT TAG: the probe_cmd run TAG (its output in
# $home/rig-TAG.out) ran in the set, saw its /tmp and wrote none of the host's.
check_probe_run() {
	local r
	if wait_until 30 ct grep -qx done "$home/rig-$2.out"; then
		r=$(ct cat "$home/rig-$2.out")
		check_eq "usermgr: $1 runs in the set" "$mnt" "$(kv mnt "$r")"
		check_eq "usermgr: it sees the set's /tmp" from-a "$(kv seen "$r")"
		check_eq "usermgr: what it writes to /tmp is not in the host's /tmp" absent \
			"$(ct sh -c "test -e /tmp/rig-um-$2 && echo present || echo absent")"
	else
		fail "usermgr: $1 runs" "$out $(ct cat "$home/rig-$2.out" 2>&1)"
	fi
}

# A systemd-run --user unit, started from the session.
probe_cmd='echo mnt=$(readlink /proc/self/ns/mnt); echo seen=$(cat /tmp/rig-um-marker 2>/dev/null || echo none); echo unit >/tmp/rig-um-OUT; echo done'
out=$(ct_ssh "$u" "systemd-run --user --quiet --collect --unit=rig-um-run sh -c '(${probe_cmd//OUT/run}) >$home/rig-run.out 2>&1'" 2>&1)
check_probe_run "a systemd-run --user unit" run

# A user service from a unit file.
printf '%s\n' "${probe_cmd//OUT/svc}" | ct sh -c 'cat >"$2/rig-svc.sh" &&
	install -d -o "$1" -g "$1" "$2/.config" "$2/.config/systemd" "$2/.config/systemd/user" &&
	printf "[Service]\nType=oneshot\nExecStart=/bin/sh -c \"/bin/sh %s/rig-svc.sh >%s/rig-svc.out 2>&1\"\n" "$2" "$2" \
		>"$2/.config/systemd/user/rig-svc.service"' sh "$u" "$home"
out=$(ct_ssh "$u" 'systemctl --user daemon-reload && systemctl --user start rig-svc.service' 2>&1)
check_probe_run "a user service" svc

# What pam_nsctl list counts: session A and the user manager.
sessions() { ct pam_nsctl list | awk -v u="$u" '$1 == u {print $4}'; }
wait_until "$PNS_WAIT" sh -c '[ "$(nsenter -t "$1" -a pam_nsctl list | awk -v u="$2" "\$1 == u {print \$4}")" = 2 ]' sh "$PNS_RIG_PID1" "$u"
check_eq "usermgr: pam_nsctl list counts the login and the user manager (SESSIONS 2)" 2 "$(sessions)"

# The set lives while the user manager lives: linger keeps it after logout.
ct loginctl enable-linger "$u"
ct_release a
wait_until "$PNS_WAIT" session_gone "$(ct_hold_value a sid)"
check_eq "usermgr: after logout (linger) the user manager still runs" active \
	"$(ct systemctl is-active "user@$uid.service")"
check_eq "usermgr: ... and the set's anchor lives" "$anchor" "$(anchor_in "$mnt")"
check_eq "usermgr: ... and the socket is there" "/run/pam_ns/$uid/user.sock" "$(probe socks "$uid")"
out=$(ct_ssh "$u" 'readlink /proc/self/ns/mnt; cat /tmp/rig-um-marker' 2>&1)
check_eq "usermgr: a new login joins the user manager's set" "$mnt
from-a" "$out"

# And while a login lives: stop the user manager with session B open.
ct loginctl disable-linger "$u"
if ! ct_hold b "$u"; then
	fail "usermgr: session B logs in" "$(cat "${CT_HOLD_OUT[b]}")"
	exit 1
fi
check_eq "usermgr: session B is in the set" "$mnt" "$(ct_hold_value b mnt)"
ct systemctl stop "user@$uid.service"
check_eq "usermgr: after stop user@ the set's anchor lives (session B)" "$anchor" "$(anchor_in "$mnt")"
check_eq "usermgr: ... and session B is still in it" "$mnt" "$(ct readlink "/proc/${CT_HOLD_PID[b]}/ns/mnt")"
ct_release b
stop_manager
check_all_gone "usermgr: after the last login and the user manager" "$uid" "$mounts0"
check_eq "usermgr: no stack-order warning for systemd-user" "" \
	"$(ct journalctl -q -o cat --no-pager --after-cursor="$cursor" | grep 'Wrong stack order' || true)"
check_eq "usermgr: no failed release logged ((sd-pam) closes the session as the user)" "" \
	"$(ct journalctl -q -o cat --no-pager --after-cursor="$cursor" | grep 'Failed to release' || true)"

#!/usr/bin/env bash
# When systemd will not give the anchor a unit (here: pam_ns.slice masked),
# the module falls back and says so: one warning naming the error and where
# the anchor stays; the login is isolated as before, and the set is torn
# down after logout, leaving no unit behind. Never a half-made set.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-ann
pid1_mnt=$(ct readlink /proc/1/ns/mnt)
mounts0=$(probe mounts)

ct systemctl mask --quiet pam_ns.slice
defer_eval "ct systemctl unmask --quiet pam_ns.slice; ct systemctl daemon-reload"
ct systemctl daemon-reload
cursor=$(ct journalctl -q -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')

if ! ct_hold a "$u"; then
	fail "fallback: the login goes on" "$(cat "${CT_HOLD_OUT[a]}")"
	exit 1
fi
mnt=$(ct_hold_value a mnt)
sid=$(ct_hold_value a sid)
check_ne "fallback: the session is isolated" "$pid1_mnt" "$mnt"
anchor=$(anchor_in "$mnt")
check_ne "fallback: the set has its anchor" "" "$anchor"
check_eq "fallback: the anchor stays in the login's scope" "/user.slice/user-$uid.slice/session-$sid.scope" \
	"$(probe cgroup "$anchor")"
log=$(ct journalctl -q -o cat --no-pager --after-cursor="$cursor" -t sshd | grep 'No systemd unit for set')
check_contains "fallback: a warning says it falls back, and why" "$log" \
	"No systemd unit for set user.sock of user $u (uid $uid): "
check_contains "fallback: the warning names where the anchor stays" "$log" \
	"falling back: its anchor stays in session-$sid.scope"
# The priority of that journal entry (export format: one field a line,
# entries separated by an empty line).
prio=$(ct journalctl -q -o export --no-pager --after-cursor="$cursor" -t sshd |
	awk -v RS= '/MESSAGE=[^\n]*No systemd unit for set/ { if (match($0, /\nPRIORITY=[0-9]/)) print substr($0, RSTART + 10, 1) }')
check_eq "fallback: it is logged at LOG_WARNING (4)" 4 "$prio"
check_eq "fallback: pam_nsctl list names the login's scope" "session-$sid.scope" \
	"$(ct pam_nsctl list | awk -v u="$u" '$1 == u {print $NF}')"
ct_release a
check_all_gone "fallback: after logout" "$uid" "$mounts0"

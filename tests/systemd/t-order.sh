#!/usr/bin/env bash
# Stack order (issue 12, item 6): pam_ns goes after pam_systemd. The rig's
# stack (the shipped snippet's order) logs nothing about it; with pam_ns's
# session line moved before "@include common-session", pam_ns logs one
# warning that names the service and the fix, and the anchor still gets a
# unit of its own (it was forked in ssh.service).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-bob
mounts0=$(probe mounts)
pid1_mnt=$(ct readlink /proc/1/ns/mnt)
cursor() { ct journalctl -q -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p'; }
order_lines() { ct journalctl -q -o cat --no-pager --after-cursor="$1" | grep 'Wrong stack order' || true; }

# ---- the right order: no warning
c=$(cursor)
out=$(ct_ssh "$u" 'readlink /proc/self/ns/mnt; echo sid=$XDG_SESSION_ID' 2>&1)
check_ne "order: a login with the shipped order is isolated" "$pid1_mnt" "$(printf '%s\n' "$out" | head -n 1)"
check_all_gone "order: after that logout" "$uid" "$mounts0"
check_eq "order: the shipped order logs no stack-order warning" "" "$(order_lines "$c")"

# ---- the wrong order: pam_ns before pam_systemd
ct cp /etc/pam.d/sshd /etc/pam.d/.sshd.rig-order
defer_eval "ct mv /etc/pam.d/.sshd.rig-order /etc/pam.d/sshd"
ct sh -c 'line=$(grep -E "^session[[:space:]].*pam_ns\.so" /etc/pam.d/sshd) &&
	sed -i "/^session[[:space:]].*pam_ns\.so/d" /etc/pam.d/sshd &&
	sed -i "/^@include common-session/i $line" /etc/pam.d/sshd'
check_eq "order: pam_ns's session line now precedes common-session" 1 \
	"$(ct grep -E '^(session.*pam_ns\.so|@include common-session)' /etc/pam.d/sshd | head -n 1 | grep -c pam_ns)"
c=$(cursor)
if ! ct_hold a "$u"; then
	fail "order: a login with the wrong order logs in" "$(cat "${CT_HOLD_OUT[a]}")"
	exit 1
fi
check_ne "order: the login is isolated" "$pid1_mnt" "$(ct_hold_value a mnt)"
anchor=$(anchor_in "$(ct_hold_value a mnt)")
check_anchor_scope "order: the anchor still gets a scope of its own" "$uid" "$anchor"
wait_until "$PNS_WAIT" eval '[ -n "$(order_lines "$c")" ]'
lines=$(order_lines "$c")
check_contains "order: the wrong order is logged, naming the service" "$lines" \
	"Wrong stack order in /etc/pam.d/sshd: pam_systemd registered the session of user $u (uid $uid)"
check_contains "order: the log line says the fix" "$lines" "put the pam_ns session line after pam_systemd"
check_eq "order: one line for one login" 1 "$(printf '%s\n' "$lines" | grep -c .)"
ct_release a
check_all_gone "order: after the wrong-order logout" "$uid" "$mounts0"
check_eq "order: still one line after logout" 1 "$(order_lines "$c" | grep -c .)"

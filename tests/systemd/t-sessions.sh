#!/usr/bin/env bash
# Two ssh sessions of one user in the booted systemd: they share one set,
# whose anchor runs in a scope of its own (pam_ns-UID-SETID.scope in
# pam_ns.slice), which systemctl and pam_nsctl list name; logging out of one
# leaves no session "closing"; after both log out the set and its unit are
# gone. It also records (as a note, not a result) where a `systemd-run
# --user` unit runs without pam_ns in the systemd-user stack (the hole
# pam_ns(8) states; t-usermgr tests the fix).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-bob
home=/home/$u
pid1_mnt=$(ct readlink /proc/1/ns/mnt)
mounts0=$(probe mounts)
defer ct rm -f /tmp/rig-share /tmp/rig-unit-wrote "$home/rig-unit.out"

if ! ct_hold a "$u" 'echo from-a >/tmp/rig-share'; then
	fail "sessions: session A logs in" "$(cat "${CT_HOLD_OUT[a]}")"
	exit 1
fi
if ! ct_hold b "$u" 'echo shared=$(cat /tmp/rig-share 2>/dev/null || echo none)'; then
	fail "sessions: session B logs in" "$(cat "${CT_HOLD_OUT[b]}")"
	exit 1
fi
mnt_a=$(ct_hold_value a mnt)
mnt_b=$(ct_hold_value b mnt)
sid_a=$(ct_hold_value a sid)
sid_b=$(ct_hold_value b sid)
check_ne "sessions: session A's mount ns differs from PID 1's" "$pid1_mnt" "$mnt_a"
check_eq "sessions: two sessions of one user share one mount ns" "$mnt_a" "$mnt_b"
check_eq "sessions: session B sees session A's /tmp file" from-a "$(ct_hold_value b shared)"
check_eq "sessions: PID 1's /tmp does not have it" absent \
	"$(ct sh -c 'test -e /tmp/rig-share && echo present || echo absent')"

anchor=
for p in $(probe anchors); do
	[ "$(ct readlink "/proc/$p/ns/mnt")" = "$mnt_a" ] && anchor="$anchor $p"
done
anchor=${anchor# }
check_ne "sessions: one anchor holds the set" "" "$anchor"
case $anchor in *" "*) fail "sessions: exactly one anchor" "anchors in the set: $anchor" ;; esac
anchor=${anchor%% *}

# ---- the anchor in a unit of its own (issue 12, items 2 and 3)
note "sessions A=$sid_a B=$sid_b; anchor pid $anchor (in the container)"
check_anchor_scope "sessions: the anchor runs in a scope of its own in pam_ns.slice" "$uid" \
	"$anchor" "session A's shell: $(probe cgroup "${CT_HOLD_PID[a]}")"
unit=${cg##*/}
check_eq "sessions: systemd has the unit active" active "$(ct systemctl show -p ActiveState --value "$unit")"
check_contains "sessions: systemctl status shows the anchor in the unit" \
	"$(ct systemctl status --no-pager "$unit" 2>&1)" "$anchor"
check_eq "sessions: the unit's description names set and uid" "pam_ns set user.sock of uid $uid" \
	"$(ct systemctl show -p Description --value "$unit")"
check_eq "sessions: pam_nsctl list names the unit" "$unit" \
	"$(ct pam_nsctl list | awk -v u="$u" '$1 == u {print $NF}')"
check_contains "sessions: the journal's line says which unit the set got" \
	"$(ct journalctl -q -o cat --no-pager -t sshd | grep "created set" | tail -n 3)" "unit $unit"

# A systemd-run --user unit started from the isolated session B: which /tmp
# does it see, and where does what it writes to /tmp land?
unit_cmd='echo mnt=$(readlink /proc/self/ns/mnt); if [ -e /tmp/rig-share ]; then echo tmp=set; else echo tmp=host; fi; echo unit >/tmp/rig-unit-wrote; echo done'
run_out=$(ct_ssh "$u" "systemd-run --user --quiet --collect --unit=rig-tmp-probe sh -c '($unit_cmd) >$home/rig-unit.out 2>&1'" 2>&1)
if wait_until 20 ct grep -qx 'done' "$home/rig-unit.out"; then
	unit_out=$(ct cat "$home/rig-unit.out")
	unit_mnt=$(kv mnt "$unit_out")
	where=other
	[ "$unit_mnt" = "$mnt_a" ] && where="the set's"
	[ "$unit_mnt" = "$pid1_mnt" ] && where="PID 1's"
	note "without the systemd-user line, a systemd-run --user unit: mount ns = $where; sees /tmp of: $(kv tmp "$unit_out");" \
		"its /tmp file is in PID 1's /tmp: $(ct sh -c 'test -e /tmp/rig-unit-wrote && echo yes || echo no')"
else
	note "systemd-run --user did not run: $run_out $(ct cat "$home/rig-unit.out" 2>&1)"
fi

# Log out of session A while B stays: logind lets A go (nothing of pam_ns
# is left in its scope).
ct_release a
wait_until "$PNS_WAIT" session_gone "$sid_a"
state_a=$(probe session-state "$sid_a")
scope=/sys/fs/cgroup/user.slice/user-$uid.slice/session-$sid_a.scope
check_eq "sessions: session A is gone after its logout, B still open (not closing)" gone "$state_a" \
	"left in session-$sid_a.scope: $(ct sh -c 'for p in $(cat "$1/cgroup.procs" 2>/dev/null); do echo "$p $(tr "\0" " " </proc/$p/cmdline)"; done' sh "$scope")"

# Session B still works in the set, then logs out: the set goes.
check_eq "sessions: session B's set lives on after A's logout" "$mnt_a" \
	"$(ct readlink "/proc/${CT_HOLD_PID[b]}/ns/mnt")"
ct_release b
gone() { [ -z "$(probe socks "$uid")" ] && ! probe anchors | grep -qx "$anchor"; }
wait_until "$PNS_WAIT" gone
check_eq "sessions: after all logouts no socket under /run/pam_ns/$uid" "" "$(probe socks "$uid")"
check_eq "sessions: after all logouts the anchor has exited" "" "$(probe anchors | grep -x "$anchor")"
check_eq "sessions: after all logouts PID 1's mount table as before" "$mounts0" "$(probe mounts)"
check_eq "sessions: after all logouts no pam_ns unit" "" "$(pns_units)"

#!/usr/bin/env bash
# One ssh login in the booted systemd: logind registers it, it runs in a mount
# namespace other than PID 1's with a /tmp of its own, and its set is torn
# down after logout.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-ann
pid1_mnt=$(ct readlink /proc/1/ns/mnt)
mounts0=$(probe mounts)

ct sh -c 'echo pid1 >/tmp/rig-pid1-marker'
defer ct rm -f /tmp/rig-pid1-marker /tmp/rig-login-marker
out=$(ct_ssh "$u" 'echo mnt=$(readlink /proc/self/ns/mnt)
echo sid=$XDG_SESSION_ID
echo login >/tmp/rig-login-marker
echo seen=$(cat /tmp/rig-pid1-marker 2>/dev/null || echo none)' 2>&1)

if [ -z "$(kv mnt "$out")" ]; then
	# The checks below would hold trivially for a login that never ran.
	fail "login: the ssh login runs its command" "observed output:
$out"
	exit 1
fi
check_ne "login: logind registered the ssh session (XDG_SESSION_ID)" "" "$(kv sid "$out")" "$out"
check_ne "login: mount ns differs from PID 1's" "$pid1_mnt" "$(kv mnt "$out")" "$out"
check_eq "login: PID 1's /tmp file is not in the session's /tmp" none "$(kv seen "$out")" "$out"
check_eq "login: the session's /tmp file is not in PID 1's /tmp" absent \
	"$(ct sh -c 'test -e /tmp/rig-login-marker && echo present || echo absent')"

gone() { [ -z "$(probe socks "$uid")" ] && [ -z "$(probe anchors)" ]; }
wait_until "$PNS_WAIT" gone
check_eq "login: after logout no socket under /run/pam_ns/$uid" "" "$(probe socks "$uid")"
check_eq "login: after logout no anchor process" "" "$(probe anchors)"
check_eq "login: after logout PID 1's mount table as before" "$mounts0" "$(probe mounts)"

#!/usr/bin/env bash
# A user who tries to get out: umount /tmp, umount -l, remount, and the same
# from a nested `unshare -Urm` (where the user is "root" of a new user
# namespace). The mounts were made by real root, so they are locked: every
# attempt fails and the private /tmp with its marker file stays.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

user_add pamns-alice
alice_uid=$(id -u pamns-alice)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
EOF
sshd_start internal

ssh_hold keep pamns-alice || fail "hold a session" "$(cat "${HOLD_OUT[keep]}")"
set_ns=${HOLD_NS[keep]}
check_ne "the session is isolated" "$(host_ns mnt)" "$set_ns"
ssh_as pamns-alice 'echo still-here >/tmp/marker' >/dev/null 2>&1

# Each attempt prints rc=<status>, then what /tmp looks like afterwards in the
# same namespace the attempt was made in.
after='echo "marker=$(cat /tmp/marker 2>&1)"; echo "fstype=$(findmnt -no FSTYPE /tmp)"'
attempt() { # NAME SHELL-CODE
	local name=$1 code=$2 out
	out=$(ssh_as pamns-alice "$code; echo rc=\$?; $after" 2>&1)
	if [ "$(kv rc "$out")" != 0 ] && [ "$(kv marker "$out")" = still-here ] &&
		[ "$(kv fstype "$out")" = tmpfs ]; then
		pass "$name fails, /tmp stays"
	else
		fail "$name fails, /tmp stays" "expected rc!=0, marker=still-here, fstype=tmpfs; observed:
$out"
	fi
}
attempt "umount /tmp" 'umount /tmp'
attempt "umount -l /tmp" 'umount -l /tmp'
attempt "mount -o remount,size=1G /tmp" 'mount -o remount,size=1G /tmp'
attempt "mount --bind / /tmp" 'mount --bind / /tmp'

# Nested user namespace: first show that the user can make one at all (else
# the attack proves nothing), then attack from inside it.
# (--propagation unchanged: the session's Landlock domain refuses even making
# the new mount namespace private, and every mount operation after it.)
out=$(ssh_as pamns-alice 'unshare -Urm --propagation unchanged sh -c "echo inside=\$(id -u)"' 2>&1)
if [ "$(kv inside "$out")" = 0 ]; then
	attempt "unshare -Urm umount /tmp" \
		'unshare -Urm --propagation unchanged sh -c "umount /tmp; rc=\$?; echo marker=\$(cat /tmp/marker 2>&1); echo fstype=\$(findmnt -no FSTYPE /tmp); exit \$rc"'
	attempt "unshare -Urm umount -l /tmp" \
		'unshare -Urm --propagation unchanged sh -c "umount -l /tmp; rc=\$?; echo marker=\$(cat /tmp/marker 2>&1); echo fstype=\$(findmnt -no FSTYPE /tmp); exit \$rc"'
	attempt "unshare -Urm remount /tmp suid" \
		'unshare -Urm --propagation unchanged sh -c "mount -o remount,suid /tmp; rc=\$?; echo marker=\$(cat /tmp/marker 2>&1); exit \$rc"'
else
	skip "unshare -Urm attacks" "this kernel lets no unprivileged user namespace be made: $out"
fi

out=$(ssh_as pamns-alice 'cat /tmp/marker; readlink /proc/self/ns/mnt; findmnt -no FSTYPE,VFS-OPTIONS /tmp' 2>&1)
check_eq "after every attempt the set's /tmp still has the marker" "still-here
$set_ns" "$(printf '%s\n' "$out" | head -n 2)" "$out"
opts=$(printf '%s\n' "$out" | sed -n 3p)
check_contains "after every attempt /tmp is still nosuid" ",$(echo "$opts" | awk '{print $2}')," ",nosuid,"

# setns into another user's set is refused: the user holds no capability.
user_add pamns-bob
out=$(ssh_as pamns-bob "nsenter -t $(procs_with_exe "$PNS_HELPER" | head -n 1) -m cat /tmp/marker" 2>&1)
check_not_contains "another user cannot nsenter alice's set" "$out" still-here
ssh_release keep
wait_set_gone "$alice_uid" "$set_ns"

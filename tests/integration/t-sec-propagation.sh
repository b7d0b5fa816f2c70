#!/usr/bin/env bash
# Security suite, mount propagation (SPEC 8.4; catalogue row 6).
#
# For the length of this test the host's / is made rshared, as systemd
# makes it (the test records every mount's propagation first and puts it
# back exactly at the end, also on failure). Then:
# - two users' sessions: neither's /tmp appears in PID 1's mount table or
#   in the other's; the session's / is a slave;
# - a mount the host makes while the sessions run propagates into both
#   (host mounts still come in), and its unmount too;
# - 1000 logins (SEC_PROPAGATION_LOGINS; share = session, so each one builds
#   and tears down a set)
#   leave PID 1's mount table exactly as it was.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-ma
user_add pamns-sec-mb
ua=$(id -u pamns-sec-ma)
ub=$(id -u pamns-sec-mb)
sec_std_policy ""
sec_std_policy "$PNS_T/session.conf" session
sec_stack user "config=$PNS_CONF helper=$PNS_HELPER debug"
sec_stack session "config=$PNS_T/session.conf helper=$PNS_HELPER debug"

# (/proc/1/ns may be unreadable even to root in a sandboxed VM; the mount
# tables tell the same.)
if ! cmp -s /proc/1/mountinfo /proc/$$/mountinfo; then
	skip "mount propagation" "this test must run in PID 1's mount namespace"
	exit 0
fi

# propagation of every mount of PID 1, by mount id (what to restore).
propagation() { awk '{ p = "private"; for (i = 7; $i != "-"; i++) if ($i ~ /^shared:/) p = "shared"; print $1, $5, p }' /proc/1/mountinfo; }
prop_before=$(propagation)
# restore: everything private again, then re-share what was shared.
restore_propagation() {
	local id target p
	mount --make-rprivate /
	while read -r id target p; do
		[ "$p" = shared ] && mount --make-shared "$target"
	done <<<"$prop_before"
	return 0
}
defer restore_propagation
root_was=$(findmnt -no PROPAGATION /)
mount --make-rshared / || {
	fail "make the host's / rshared" "mount --make-rshared / failed"
	exit 1
}
check_eq "the host's / is shared for this test" shared "$(findmnt -no PROPAGATION /)"
host_mounts=$(sec_host_mounts)

hold_cmd='echo pid=$$; echo mnt=$(readlink /proc/self/ns/mnt); echo rootprop=$(findmnt -no PROPAGATION /); echo ready; exec cat >/dev/null'
sec_hold a --service user --as-user pamns-sec-ma -- sh -c "$hold_cmd" || fail "hold a session of A" "$(cat "${SEC_HOLD_OUT[a]}")"
a_out=$(cat "${SEC_HOLD_OUT[a]}")
apid=$(kv pid "$a_out")
a_mounts=$(cat "/proc/$apid/mountinfo")
sec_hold b --service user --as-user pamns-sec-mb -- sh -c "$hold_cmd" || fail "hold a session of B" "$(cat "${SEC_HOLD_OUT[b]}")"
b_out=$(cat "${SEC_HOLD_OUT[b]}")
bpid=$(kv pid "$b_out")

tmp_line() { awk '$5 == "/tmp"' "/proc/$1/mountinfo"; }
check_contains "A's session has its own tmpfs on /tmp" "$(tmp_line "$apid")" " - tmpfs pam_ns "
check_contains "B's session has its own tmpfs on /tmp" "$(tmp_line "$bpid")" " - tmpfs pam_ns "
check_contains "A's / is a slave in its set" "$(kv rootprop "$a_out")" slave
check_contains "B's / is a slave in its set" "$(kv rootprop "$b_out")" slave
check_eq "shared host: PID 1's mount table did not change with two sessions" "$host_mounts" "$(sec_host_mounts)"
check_eq "shared host: no pam_ns tmpfs in PID 1's mount table" "" "$(grep ' - tmpfs pam_ns ' /proc/1/mountinfo)"
check_eq "shared host: A's mount table did not change when B logged in" "$a_mounts" "$(cat "/proc/$apid/mountinfo")"
check_eq "shared host: A sees one tmpfs on /tmp, its own" 1 "$(tmp_line "$apid" | wc -l)"
check_eq "shared host: B sees one tmpfs on /tmp, its own" 1 "$(tmp_line "$bpid" | wc -l)"
check_ne "the two sets differ" "$(kv mnt "$a_out")" "$(kv mnt "$b_out")"

# A host mount propagates into the sessions (slave), and so does its unmount.
mkdir -m 0755 "$PNS_T/hostmnt"
mount -t tmpfs -o size=1m pamns-sec-host "$PNS_T/hostmnt"
defer_eval "umount '$PNS_T/hostmnt' 2>/dev/null"
in_a=$(awk -v t="$PNS_T/hostmnt" '$5 == t' "/proc/$apid/mountinfo")
in_b=$(awk -v t="$PNS_T/hostmnt" '$5 == t' "/proc/$bpid/mountinfo")
check_contains "a host mount made during the session reaches A" "$in_a" "pamns-sec-host"
check_contains "a host mount made during the session reaches B" "$in_b" "pamns-sec-host"
umount "$PNS_T/hostmnt"
check_eq "its unmount reaches A" "" "$(awk -v t="$PNS_T/hostmnt" '$5 == t' "/proc/$apid/mountinfo")"
sec_release a
sec_release b
wait_set_gone "$ua"
wait_set_gone "$ub"

# --- 300 logins on a shared host ---------------------------------------------
logins=${SEC_PROPAGATION_LOGINS:-1000}
host_mounts=$(sec_host_mounts)
count_before=$(mountinfo_lines 1)
bad=0
for i in $(seq 1 "$logins"); do
	out=$(pam_drive --service session pamns-sec-ma -- true 2>&1)
	if [ "$(kv open_rc "$out")" != PAM_SUCCESS ]; then
		bad=$((bad + 1))
		[ $bad -le 3 ] && note "login $i: $out"
	fi
done
check_eq "$logins logins: every one opens" 0 "$bad"
wait_set_gone "$ua"
check_eq "$logins logins: PID 1's mount count is unchanged" "$count_before" "$(mountinfo_lines 1)"
check_eq "$logins logins: PID 1's mount table is exactly as before" "$host_mounts" "$(sec_host_mounts)"

restore_propagation
check_eq "the host's / is back to $root_was" "$root_was" "$(findmnt -no PROPAGATION /)"
check_eq "every host mount has its propagation back" "$prop_before" "$(propagation)"

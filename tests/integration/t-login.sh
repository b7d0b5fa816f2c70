#!/usr/bin/env bash
# login(1) driven through a pty (expect), with a test PAM stack bound over
# /etc/pam.d/login inside `unshare -m`: the login shell is isolated, gets its
# host name, and the set goes away after logout.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

group_add pamns-students
user_add pamns-alice pamns-students
user_add pamns-dave
alice_uid=$(id -u pamns-alice)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs

[group:pamns-students]
hostname   = %u-login

[user:pamns-dave]
isolate    = no
EOF
# login -f as root: no authentication, but pam_setcred runs the auth stack.
root_stack >"$PNS_T/login.stack"
chmod 0644 "$PNS_T/login.stack"
host_marker=/tmp/pns-login-host-$$
echo host >"$host_marker"
chmod 0644 "$host_marker"
defer rm -f "$host_marker"
mounts_before=$(mountinfo_lines 1)

probe='echo user=$(id -un); echo tty=$(tty); echo mnt=$(readlink /proc/self/ns/mnt); echo fstype=$(findmnt -no FSTYPE /tmp); echo host=$(cat '"$host_marker"' 2>&1); echo name=$(hostname); echo shell=$0'
out=$(login_pty "$PNS_T/login.stack" pamns-alice "$probe" 2>&1)
rc=$?
check_eq "login: session ends cleanly" 0 "$rc" "$out"
check_eq "login: shell runs as the user" pamns-alice "$(kv user "$out")" "$out"
check_contains "login: on a pty" "$(kv tty "$out")" /dev/pts/
check_eq "login: a login shell" -bash "$(kv shell "$out")" "$out"
mnt=$(kv mnt "$out")
check_ne "login: not in the host mount namespace" "$(host_ns mnt)" "$mnt" "$out"
check_eq "login: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")" "$out"
check_contains "login: the host's /tmp is not visible" "$(kv host "$out")" "No such file"
check_eq "login: group host name" pamns-alice-login "$(kv name "$out")" "$out"
if wait_set_gone "$alice_uid" "$mnt"; then
	pass "login: set torn down after logout"
else
	fail "login: set torn down after logout" "sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1)"
fi

out=$(login_pty "$PNS_T/login.stack" pamns-dave "$probe" 2>&1)
check_eq "login, exempt user: sees the host's /tmp" host "$(kv host "$out")" "$out"
check_eq "login, exempt user: keeps the host name" "$(hostname)" "$(kv name "$out")" "$out"

policy "$PNS_T/broken.conf" <<EOF
[default]
isolate = yes
[user:Alice]
EOF
sed "s|config=$PNS_CONF|config=$PNS_T/broken.conf|" "$PNS_T/login.stack" >"$PNS_T/login-broken.stack"
out=$(login_pty "$PNS_T/login-broken.stack" pamns-alice "$probe" 2>&1)
check_ne "login, broken policy: login is refused" 0 "$?" "$out"
check_eq "login, broken policy: no shell ran" "" "$(kv user "$out")" "$out"

check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

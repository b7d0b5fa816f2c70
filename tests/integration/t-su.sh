#!/usr/bin/env bash
# su and su -l as root, with a test PAM stack bound over /etc/pam.d/su and
# su-l inside `unshare -m` (the real files are never edited): the shell is
# isolated, joins the user's set, and the set goes away when su ends.
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
hostname   = %u-su

[user:pamns-dave]
isolate    = no
EOF
root_stack >"$PNS_T/su.stack"
chmod 0644 "$PNS_T/su.stack"
host_name=$(hostname)
host_marker=/tmp/pns-su-host-$$
echo host >"$host_marker"
chmod 0644 "$host_marker"
defer rm -f "$host_marker"
mounts_before=$(mountinfo_lines 1)

probe='echo user=$(id -un)
	echo mnt=$(readlink /proc/self/ns/mnt)
	echo ipc=$(readlink /proc/self/ns/ipc)
	echo fstype=$(findmnt -no FSTYPE /tmp)
	echo host=$(cat '"$host_marker"' 2>&1)
	echo name=$(hostname)
	echo pwd=$(pwd)
	echo caps=$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status)'

for mode in su su-l; do
	if [ $mode = su ]; then args=(su pamns-alice -c); else args=(su - pamns-alice -c); fi
	# The outer namespace (where su was started) is printed by the wrapper.
	out=$(in_stack "$PNS_T/su.stack" sh -c 'echo start=$(readlink /proc/self/ns/mnt); exec "$@"' sh \
		"${args[@]}" "$probe" 2>&1)
	rc=$?
	check_eq "$mode: exits 0" 0 "$rc" "$out"
	check_eq "$mode: runs as the user" pamns-alice "$(kv user "$out")" "$out"
	mnt=$(kv mnt "$out")
	check_ne "$mode: not in the host mount namespace" "$(host_ns mnt)" "$mnt" "$out"
	check_ne "$mode: not in the namespace su started in" "$(kv start "$out")" "$mnt" "$out"
	check_ne "$mode: private IPC namespace" "$(host_ns ipc)" "$(kv ipc "$out")" "$out"
	check_eq "$mode: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")" "$out"
	check_contains "$mode: the host's /tmp is not visible" "$(kv host "$out")" "No such file"
	check_eq "$mode: group host name" pamns-alice-su "$(kv name "$out")" "$out"
	check_eq "$mode: no effective capabilities" 0000000000000000 "$(kv caps "$out")" "$out"
	if [ $mode = su-l ]; then
		check_eq "su-l: login shell starts in the home directory" /home/pamns-alice "$(kv pwd "$out")" "$out"
	fi
	if wait_set_gone "$alice_uid" "$mnt"; then
		pass "$mode: set torn down when su exits"
	else
		fail "$mode: set torn down when su exits" "sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1)"
	fi
done
check_eq "su: the host keeps its name" "$host_name" "$(hostname)"

# Two su sessions of one user at once share the set.
fifo=$PNS_T/su.fifo
mkfifo -m 0600 "$fifo"
exec {sufd}<>"$fifo"
(
	exec {sufd}>&-
	in_stack "$PNS_T/su.stack" su pamns-alice -c 'readlink /proc/self/ns/mnt; echo x >/tmp/first; echo ready; cat >/dev/null'
) <"$fifo" >"$PNS_T/su1.out" 2>&1 &
su1=$!
defer_eval "kill $su1 2>/dev/null"
if wait_until 30 grep -qx ready "$PNS_T/su1.out"; then
	out=$(in_stack "$PNS_T/su.stack" su pamns-alice -c 'readlink /proc/self/ns/mnt; cat /tmp/first' 2>&1)
	check_eq "su: a second su of the same user joins the set" "$(head -n 1 "$PNS_T/su1.out")
x" "$out"
else
	fail "su: first of two concurrent su sessions opens" "$(cat "$PNS_T/su1.out")"
fi
exec {sufd}>&-
wait_until 15 sh -c "! kill -0 $su1 2>/dev/null"
wait "$su1" 2>/dev/null
wait_set_gone "$alice_uid"

# Exempt user: the shell stays where su started.
out=$(in_stack "$PNS_T/su.stack" sh -c 'echo start=$(readlink /proc/self/ns/mnt); exec "$@"' sh \
	su pamns-dave -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo host=$(cat '"$host_marker"')' 2>&1)
check_eq "su, exempt user: stays in the namespace su started in" "$(kv start "$out")" "$(kv mnt "$out")" "$out"
check_eq "su, exempt user: sees the host's /tmp" host "$(kv host "$out")" "$out"

# Broken policy: su is refused and the command does not run.
policy "$PNS_T/broken.conf" <<EOF
[default]
isolate = perhaps
EOF
sed "s|config=$PNS_CONF|config=$PNS_T/broken.conf|" "$PNS_T/su.stack" >"$PNS_T/su-broken.stack"
out=$(in_stack "$PNS_T/su-broken.stack" su pamns-alice -c 'echo ran-anyway' 2>&1)
rc=$?
check_ne "su, broken policy: su fails" 0 "$rc" "$out"
check_not_contains "su, broken policy: the command does not run" "$out" ran-anyway

check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

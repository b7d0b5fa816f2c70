#!/usr/bin/env bash
# Several users over sshd: each isolated user has their own /tmp, /dev/shm and
# System V IPC, an exempt user (exempted by a drop-in) stays on the host, a
# group gets a host name from its template.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

group_add pamns-students
user_add pamns-alice
user_add pamns-bob
user_add pamns-dave
user_add pamns-carol pamns-students
alice_uid=$(id -u pamns-alice)
bob_uid=$(id -u pamns-bob)
dave_uid=$(id -u pamns-dave)
carol_uid=$(id -u pamns-carol)

policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs

[group:pamns-students]
hostname   = %u-%U-box
EOF
# The exemption comes from a drop-in, as an administrator would add it.
mkdir -m 0755 "$PNS_CONF.d"
policy "$PNS_CONF.d/50-exempt.conf" <<EOF
[user:pamns-dave]
isolate    = no
EOF

host_mnt=$(host_ns mnt)
host_ipc=$(host_ns ipc)
host_uts=$(host_ns uts)
host_name=$(hostname)
mounts_before=$(mountinfo_lines 1)
host_marker=/tmp/pns-host-marker-$$
echo host >"$host_marker"
chmod 0644 "$host_marker"
defer rm -f "$host_marker"
sshd_start internal

# --- two users, each with their own /tmp -------------------------------------
ssh_hold alice pamns-alice || fail "hold alice's session" "$(cat "${HOLD_OUT[alice]}")"
ssh_hold bob pamns-bob || fail "hold bob's session" "$(cat "${HOLD_OUT[bob]}")"
a_mnt=${HOLD_NS[alice]}
b_mnt=${HOLD_NS[bob]}
check_ne "alice is isolated" "$host_mnt" "$a_mnt"
check_ne "bob is isolated" "$host_mnt" "$b_mnt"
check_ne "alice and bob are in different mount namespaces" "$a_mnt" "$b_mnt"

out=$(ssh_as pamns-alice 'echo alice-secret >/tmp/alice.txt; chmod 0644 /tmp/alice.txt
	echo hello >/dev/shm/alice-shm
	echo shmid=$(ipcmk -M 4096 | sed -n "s/.*: //p")
	echo mnt=$(readlink /proc/self/ns/mnt)
	echo ipc=$(readlink /proc/self/ns/ipc)
	echo ls=$(ls /tmp | tr "\n" " ")
	echo host=$(cat '"$host_marker"' 2>&1)' 2>&1)
check_eq "alice's second session joins her set" "$a_mnt" "$(kv mnt "$out")" "$out"
check_ne "alice has a private IPC namespace" "$host_ipc" "$(kv ipc "$out")" "$out"
check_contains "alice does not see the host's /tmp" "$(kv host "$out")" "No such file"
a_shmid=$(kv shmid "$out")
out=$(ssh_as pamns-bob 'echo ls=$(ls -A /tmp | tr "\n" " ")
	echo cat=$(cat /tmp/alice.txt 2>&1)
	echo shm=$(ls -A /dev/shm | tr "\n" " ")
	echo ipcs=$(ipcs -m | awk "NR>3 && \$2 != \"\" {print \$2}" | tr "\n" " ")
	echo ipc=$(readlink /proc/self/ns/ipc)
	echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
check_eq "bob's second session joins his set" "$b_mnt" "$(kv mnt "$out")" "$out"
check_not_contains "bob does not see alice's /tmp file" "$(kv ls "$out")" alice.txt
check_contains "bob cannot read alice's /tmp file" "$(kv cat "$out")" "No such file"
check_not_contains "bob does not see alice's /dev/shm file" "$(kv shm "$out")" alice-shm
if [ -n "$a_shmid" ]; then
	check_not_contains "bob does not see alice's System V shm segment" " $(kv ipcs "$out") " " $a_shmid "
	check_not_contains "the host does not see alice's System V shm segment" \
		" $(ipcs -m | awk 'NR>3 && $2 != "" {print $2}' | tr '\n' ' ') " " $a_shmid "
else
	fail "alice creates a System V shm segment" "ipcmk printed no id"
fi
check_ne "alice and bob have different IPC namespaces" "$(kv ipc "$out")" \
	"$(ssh_as pamns-alice 'readlink /proc/self/ns/ipc')"
check_eq "the host does not see alice's /tmp file" no "$(test -e /tmp/alice.txt && echo yes || echo no)"
check_eq "the host does not see alice's /dev/shm file" no "$(test -e /dev/shm/alice-shm && echo yes || echo no)"
out=$(ssh_as pamns-alice 'cat /tmp/alice.txt' 2>&1)
check_eq "alice still reads her file from a new session" alice-secret "$out"

# --- the exempt user -----------------------------------------------------------
out=$(ssh_as pamns-dave 'echo mnt=$(readlink /proc/self/ns/mnt)
	echo ipc=$(readlink /proc/self/ns/ipc)
	echo uts=$(readlink /proc/self/ns/uts)
	echo host=$(cat '"$host_marker"' 2>&1)
	echo fstype=$(findmnt -no FSTYPE /tmp)' 2>&1)
check_eq "exempt user: host mount namespace" "$host_mnt" "$(kv mnt "$out")" "$out"
check_eq "exempt user: host IPC namespace" "$host_ipc" "$(kv ipc "$out")" "$out"
check_eq "exempt user: host UTS namespace" "$host_uts" "$(kv uts "$out")" "$out"
check_eq "exempt user: sees the host's /tmp" host "$(kv host "$out")" "$out"
check_eq "exempt user: /tmp is the host's" "$(findmnt -no FSTYPE /tmp)" "$(kv fstype "$out")" "$out"
check_eq "exempt user: no set created" 0 "$(set_socket_count "$dave_uid")"

# --- a group host name -----------------------------------------------------------
out=$(ssh_as pamns-carol 'echo name=$(hostname); echo uts=$(readlink /proc/self/ns/uts); echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
check_eq "group hostname: hostname is the expanded template" "pamns-carol-$carol_uid-box" "$(kv name "$out")" "$out"
check_ne "group hostname: private UTS namespace" "$host_uts" "$(kv uts "$out")" "$out"
check_eq "group hostname: the host keeps its name" "$host_name" "$(hostname)"
out2=$(ssh_as pamns-alice 'hostname' 2>&1)
check_eq "group hostname: a user outside the group keeps the host name" "$host_name" "$out2"
wait_set_gone "$carol_uid" "$(kv mnt "$out")"

# --- everyone leaves -----------------------------------------------------------
ssh_release alice
ssh_release bob
for u in alice bob; do
	eval "uid=\$${u}_uid"
	eval "ns=\$${u:0:1}_mnt"
	if wait_set_gone "$uid" "$ns"; then
		pass "$u's set torn down after logout"
	else
		fail "$u's set torn down after logout" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1); in ns: $(procs_in_ns mnt "$ns" | xargs -r ps -o pid,user,args -p)"
	fi
done
check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

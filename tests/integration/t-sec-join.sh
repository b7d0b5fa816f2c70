#!/usr/bin/env bash
# Security suite, joining only what pam_ns made (SPEC 4, 8.2; catalogue
# rows 7, 9, 11).
#
# The user plants the pid and namespace files of its own `unshare -Urm`
# process in /tmp, /run/user/UID, pam_env variables and the caller's
# environment, and root bind-mounts that namespace file in the caller's
# /tmp: a second login joins exactly the anchor's namespaces (inodes
# compared), never the planted ones. From inside a session: /run/pam_ns
# cannot be listed, the anchor socket cannot be connected to (EACCES), the
# anchor cannot be signalled or ptraced and its namespace files cannot be
# opened (EPERM/EACCES), another user's set cannot be entered, and the
# private /tmp cannot be unmounted, not even from a nested user namespace
# (the mounts are locked).
# A known limit (SECURITY.md): /proc/net/unix belongs to the network
# namespace, so a session lists the path of a socket bound in another
# user's private /tmp, though it cannot reach it by that path.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-ja
user_add pamns-sec-jb
ua=$(id -u pamns-sec-ja)
sec_std_policy ""
probe=$(sec_probe)
sec_stack user "config=$PNS_CONF helper=$PNS_HELPER debug"

# The user's own namespaces, made the way any user can.
userns_ok=yes
fake_out=$PNS_T/fake.out
setpriv --reuid="$ua" --regid="$(id -g pamns-sec-ja)" --init-groups \
	timeout 120 unshare -Urm sh -c 'echo fake=$$; exec sleep 100' >"$fake_out" 2>&1 &
fake_wrap=$!
defer_eval "kill $fake_wrap 2>/dev/null"
if wait_until 10 grep -q '^fake=' "$fake_out"; then
	fake=$(kv fake "$(cat "$fake_out")")
	defer_eval "kill $fake 2>/dev/null"
	fake_mnt=$(ns_of "$fake" mnt)
else
	userns_ok=no
	fake_mnt=
	note "unprivileged user namespaces are not available: $(cat "$fake_out")"
fi

if ! sec_hold first --service user --as-user pamns-sec-ja -- \
	sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ipc=$(readlink /proc/self/ns/ipc); echo uts=$(readlink /proc/self/ns/uts); echo ready; exec cat >/dev/null'; then
	fail "hold a first session" "$(cat "${SEC_HOLD_OUT[first]}")"
	exit 1
fi
first=$(cat "${SEC_HOLD_OUT[first]}")
set_mnt=$(kv mnt "$first")
anchor=$(sec_anchors_in "$set_mnt")
check_ne "the set has one anchor" "" "$anchor"
check_eq "the anchor holds the session's mount namespace" "$set_mnt" "$(ns_of "$anchor" mnt)"

# --- plant fakes everywhere a careless implementation might look -----------
if [ "$userns_ok" = yes ]; then
	for f in /tmp/pam_ns.pid /tmp/.pam_ns-$ua /tmp/pam_ns-$ua.pid; do
		setpriv --reuid="$ua" --regid="$(id -g pamns-sec-ja)" --init-groups sh -c "echo $fake >$f"
		defer rm -f "$f"
	done
	made_run_user=no
	if [ ! -d /run/user ]; then
		mkdir -m 0755 /run/user
		defer rmdir /run/user
	fi
	if [ ! -d "/run/user/$ua" ]; then
		mkdir -m 0700 "/run/user/$ua"
		chown "$ua:$(id -g pamns-sec-ja)" "/run/user/$ua"
		made_run_user=yes
	fi
	[ $made_run_user = yes ] && defer rm -rf --one-file-system "/run/user/$ua"
	setpriv --reuid="$ua" --regid="$(id -g pamns-sec-ja)" --init-groups sh -c "
		echo $fake >/run/user/$ua/pam_ns.pid
		mkdir -p /run/user/$ua/pam_ns && echo $fake >/run/user/$ua/pam_ns/user.pid
		ln -s /proc/$fake/ns/mnt /run/user/$ua/pam_ns/mnt"
	cat >"$PNS_T/pam_env.conf" <<EOF
PAM_NS_PID DEFAULT=$fake
PAM_NS_MNT DEFAULT=/proc/$fake/ns/mnt
NSENTER_TARGET DEFAULT=$fake
EOF
	{
		echo "auth     required pam_permit.so"
		echo "auth     required pam_env.so conffile=$PNS_T/pam_env.conf readenv=0"
		echo "account  required pam_permit.so"
		echo "session  required $PNS_MODULE config=$PNS_CONF helper=$PNS_HELPER debug"
	} >"$PNS_T/pam.d/planted"
	# pam-drive runs in a private mount namespace where root has bound the
	# fake's namespace files over files in /tmp (a mount namespace file can
	# only be bound into an older namespace, so its user, ipc and uts ones).
	out=$(timeout 60 unshare -m --propagation private sh -c '
		for t in user ipc uts; do
			touch /tmp/pam_ns-$t && mount --bind "/proc/$1/ns/$t" /tmp/pam_ns-$t || exit 125
		done
		f=$1
		shift
		exec env PAM_NS_PID="$f" PAM_NS_MNT=/tmp/pam_ns-user NSENTER_TARGET="$f" \
			TMPDIR=/run/user/'"$ua"'/pam_ns "$@"' sh "$fake" \
		"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service planted --as-user pamns-sec-ja -- \
		sh -c 'echo in_mnt=$(readlink /proc/self/ns/mnt); echo in_ipc=$(readlink /proc/self/ns/ipc); echo in_uts=$(readlink /proc/self/ns/uts); echo env_pid=$PAM_NS_PID' 2>&1)
	rm -f /tmp/pam_ns-user /tmp/pam_ns-ipc /tmp/pam_ns-uts
	check_eq "planted: the second login opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "planted: the caller runs with the fake pid in its environment (the plant took)" "$fake" "$(kv env_pid "$out")" "$out"
	check_eq "planted: the second login joins the anchor's mount namespace" "$set_mnt" "$(kv in_mnt "$out")" "$out"
	check_eq "planted: ... and its IPC namespace" "$(kv ipc "$first")" "$(kv in_ipc "$out")" "$out"
	check_eq "planted: ... and its UTS namespace" "$(kv uts "$first")" "$(kv in_uts "$out")" "$out"
	check_ne "planted: never the user's own namespace" "$fake_mnt" "$(kv in_mnt "$out")" "$out"
else
	skip "planted namespaces" "unprivileged user namespaces are not available"
fi

# --- from inside the set ------------------------------------------------------
out=$(pam_drive --service user --as-user pamns-sec-ja -- sh -c "
	echo ls=\$('$probe' open '$PNS_RUN_DIR')
	echo uiddir=\$('$probe' open '$PNS_RUN_DIR/$ua')
	echo connect=\$('$probe' connect '$PNS_RUN_DIR/$ua/user.sock')
	echo kill0=\$('$probe' kill $anchor 0)
	echo stop=\$('$probe' kill $anchor 19)
	echo kill9=\$('$probe' kill $anchor 9)
	echo ptrace=\$('$probe' ptrace $anchor)
	echo nsopen=\$('$probe' open /proc/$anchor/ns/mnt)
	echo setns=\$('$probe' setns /proc/$anchor/ns/mnt)
	echo fds=\$('$probe' fds $anchor)
	echo umount=\$('$probe' umount /tmp)
	echo mnt=\$(readlink /proc/self/ns/mnt)" 2>&1)
check_eq "inside: the session is in the set" "$set_mnt" "$(kv mnt "$out")" "$out"
check_eq "inside: /run/pam_ns cannot be opened" open=EACCES "$(kv ls "$out")" "$out"
check_eq "inside: /run/pam_ns/UID cannot be opened" open=EACCES "$(kv uiddir "$out")" "$out"
check_eq "inside: the anchor socket cannot be connected to" connect=EACCES "$(kv connect "$out")" "$out"
check_eq "inside: the anchor cannot be signalled (0)" kill=EPERM "$(kv kill0 "$out")" "$out"
check_eq "inside: the anchor cannot be stopped" kill=EPERM "$(kv stop "$out")" "$out"
check_eq "inside: the anchor cannot be killed" kill=EPERM "$(kv kill9 "$out")" "$out"
check_eq "inside: the anchor cannot be ptraced" ptrace=EPERM "$(kv ptrace "$out")" "$out"
check_eq "inside: the anchor's namespace file cannot be opened" open=EACCES "$(kv nsopen "$out")" "$out"
check_eq "inside: the anchor's namespace cannot be entered" setns=EACCES "$(kv setns "$out")" "$out"
check_eq "inside: the anchor's descriptors cannot be listed" fds=EACCES "$(kv fds "$out")" "$out"
check_eq "inside: the private /tmp cannot be unmounted" umount=EPERM "$(kv umount "$out")" "$out"
check_eq "the anchor survived all that" "$set_mnt" "$(ns_of "$anchor" mnt)"

# A nested user namespace copies the mounts locked: umount gives EINVAL (the
# kernel's check comes before the session's Landlock domain, which refuses
# mounts too: hence --propagation unchanged, as making the new mount
# namespace private is one) and the host's /tmp never shows through.
if [ "$userns_ok" = yes ]; then
	host_marker=/tmp/pamns-sec-join-host.$$
	echo host >"$host_marker"
	defer rm -f "$host_marker"
	out=$(pam_drive --service user --as-user pamns-sec-ja -- unshare -Urm --propagation unchanged sh -c "
		echo umount=\$('$probe' umount /tmp)
		echo host=\$(cat '$host_marker' 2>&1)" 2>&1)
	check_eq "nested userns: umount of /tmp is refused (locked mount)" umount=EINVAL "$(kv umount "$out")" "$out"
	check_contains "nested userns: the host's /tmp stays hidden" "$(kv host "$out")" "No such file"
fi

# Another user's set cannot be entered from this one.
if sec_hold b --service user --as-user pamns-sec-jb -- sh -c 'echo pid=$$; echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'; then
	bpid=$(kv pid "$(cat "${SEC_HOLD_OUT[b]}")")
	b_mnt=$(kv mnt "$(cat "${SEC_HOLD_OUT[b]}")")
	banchor=$(sec_anchors_in "$b_mnt")
	out=$(pam_drive --service user --as-user pamns-sec-ja -- sh -c "
		echo shell=\$('$probe' setns /proc/$bpid/ns/mnt)
		echo anchor=\$('$probe' setns /proc/$banchor/ns/mnt)
		echo connect=\$('$probe' connect '$PNS_RUN_DIR/$(id -u pamns-sec-jb)/user.sock')" 2>&1)
	check_eq "other user: its shell's namespace cannot be entered" setns=EACCES "$(kv shell "$out")" "$out"
	check_eq "other user: its anchor's namespace cannot be entered" setns=EACCES "$(kv anchor "$out")" "$out"
	check_eq "other user: its anchor socket cannot be connected to" connect=EACCES "$(kv connect "$out")" "$out"
	check_ne "other user: the two sets differ" "$set_mnt" "$b_mnt"
	sec_release b
else
	fail "hold a session of the other user" "$(cat "${SEC_HOLD_OUT[b]}")"
fi

# --- /proc/net/unix: names of another set's sockets (a known limit) ---------
# B binds a socket in its private /tmp. A's session lists its path in
# /proc/net/unix (one per network namespace, and sets have none of their
# own), but the path leads nowhere in A's /tmp.
unix_path=/tmp/pamns-sec-join-unix.$$
if sec_hold bsock --service user --as-user pamns-sec-jb -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
sys.stdin.read()
' "$unix_path"; then
	out=$(pam_drive --service user --as-user pamns-sec-ja -- sh -c "
		echo listed=\$(awk -v p='$unix_path' '\$8 == p' /proc/net/unix | wc -l)
		echo reach=\$('$probe' connect '$unix_path')" 2>&1)
	check_eq "the host's /tmp has no such socket" no "$([ -e "$unix_path" ] && echo yes || echo no)"
	check_eq "/proc/net/unix in a set lists the path of a socket in another user's private /tmp (known limit)" \
		1 "$(kv listed "$out")" "$out"
	check_eq "... which does not reach it" connect=ENOENT "$(kv reach "$out")" "$out"
	sec_release bsock
else
	fail "hold a session of the other user with a socket in /tmp" "$(cat "${SEC_HOLD_OUT[bsock]}")"
fi

# --- what another account left outside: IPC is the set's own (row 18) ------
# User B, outside any set, makes a SysV shared memory segment, a file in
# /dev/shm and an abstract socket; A's session sees none of the first two.
# Abstract sockets live in the network namespace, which pam_ns does not
# isolate: reachable, as SECURITY.md says.
jb_uid=$(id -u pamns-sec-jb)
as_b() { setpriv --reuid="$jb_uid" --regid="$(id -g pamns-sec-jb)" --init-groups "$@"; }
shmid=$(as_b ipcmk -M 4096 2>/dev/null | grep -o '[0-9]\+$')
[ -n "$shmid" ] && defer_eval "ipcrm -m $shmid 2>/dev/null"
as_b sh -c 'echo secret >/dev/shm/pamns-sec-join-b'
defer rm -f /dev/shm/pamns-sec-join-b
abstract=pamns-sec-join-$$
as_b timeout 60 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(1); s.settimeout(50)
try:
    s.accept()
except OSError:
    pass
' "$abstract" &
abs_pid=$!
defer_eval "kill $abs_pid 2>/dev/null"
wait_until 10 sh -c "ss -xlH 2>/dev/null | grep -q '@$abstract'"
out=$(pam_drive --service user --as-user pamns-sec-ja -- sh -c "
	echo shm_seen=\$(ipcs -m | awk -v id='$shmid' '\$2 == id' | wc -l)
	echo devshm=\$(cat /dev/shm/pamns-sec-join-b 2>&1 | grep -c secret)
	echo abstract=\$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(\"\\0\"+sys.argv[1]); print(\"reached\")' '$abstract' 2>&1 | tail -n 1)" 2>&1)
if [ -n "$shmid" ]; then
	check_eq "IPC: another user's SysV segment is not visible in the set" 0 "$(kv shm_seen "$out")" "$out"
	check_eq "IPC: ... though the host has it" 1 "$(ipcs -m | awk -v id="$shmid" '$2 == id' | wc -l)"
fi
check_eq "IPC: another user's /dev/shm file is not visible in the set" 0 "$(kv devshm "$out")" "$out"
note "abstract unix socket of another user from inside the set: $(kv abstract "$out") (not isolated: no network namespace)"

sec_release first
if wait_set_gone "$ua" "$set_mnt"; then
	pass "the set is torn down after the sessions"
else
	fail "the set is torn down after the sessions" "$(ls -la "$PNS_RUN_DIR/$ua" 2>&1)"
fi

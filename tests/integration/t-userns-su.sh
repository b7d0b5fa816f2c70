#!/usr/bin/env bash
# A policy asking for a user namespace in stacks that have no hook in the
# session's child (su, su -l, login; SPEC 3.3, pam_ns(8)): with
# userns_fallback = deny (the default) the login fails, runs nothing, leaves
# no set and syslog says why; with skip the session gets mount/IPC/UTS
# isolation in the host's user namespace and syslog says the user namespace
# was skipped. With a set an sshd session made (with its user namespace), a
# skip session joins the set's other namespaces and deny still denies; with a
# set a skip session made, an sshd session still gets its user namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/userns/lib-userns.sh"
pns_setup
require_built
uns_syslog_adopt

user_add pamns-usf
uid=$(id -u pamns-usf)
# $PNS_CONF (also sshd's) says skip; deny.conf leaves the default.
policy <<EOF
[default]
isolate         = yes
namespaces      = mount ipc uts user
tmp             = tmpfs
userns_fallback = skip
EOF
policy "$PNS_T/deny.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts user
tmp        = tmpfs
EOF
uns_root_stack "$PNS_CONF" >"$PNS_T/skip.stack"
uns_root_stack "$PNS_T/deny.conf" >"$PNS_T/deny.stack"
chmod 0644 "$PNS_T/skip.stack" "$PNS_T/deny.stack"
grep -q "config=$PNS_T/deny.conf" "$PNS_T/deny.stack" || { fail "write the deny stack" "$(cat "$PNS_T/deny.stack")"; exit 1; }

host_user=$(readlink /proc/self/ns/user)
host_uid_map=$(uns_norm_map </proc/self/uid_map | uns_join)
host_marker=/tmp/pns-userns-su-host-$$
echo host >"$host_marker"
chmod 0644 "$host_marker"
defer rm -f "$host_marker"
mounts_before=$(mountinfo_lines 1)

probe='echo user=$(id -un)
	echo userns=$(readlink /proc/self/ns/user)
	echo uid_map=$(awk "NF { print \$1, \$2, \$3 }" /proc/self/uid_map | LC_ALL=C sort | paste -sd ";" -)
	echo mnt=$(readlink /proc/self/ns/mnt)
	echo ipc=$(readlink /proc/self/ns/ipc)
	echo uts=$(readlink /proc/self/ns/uts)
	echo fstype=$(findmnt -no FSTYPE /tmp)
	echo host=$(cat '"$host_marker"' 2>&1)
	echo seen=$(cat /tmp/ssh-marker 2>&1)
	echo caps=$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status)'

# login(1) gets the probe as one line typed into its shell (a tab would complete).
login_probe=$(printf '%s' "$probe" | sed ':a;N;$!ba;s/\n[[:space:]]*/; /g')

# run_su MODE STACK: su or su -l as root with STACK, running $probe; prints the
# namespace su started in as start=.
run_su() {
	local args
	if [ "$1" = su ]; then args=(su pamns-usf -c); else args=(su - pamns-usf -c); fi
	in_stack "$2" sh -c 'echo start=$(readlink /proc/self/ns/mnt); exec "$@"' sh "${args[@]}" "$probe" 2>&1
}

deny_checks() { # NAME OUTPUT RC
	check_ne "$1: denied" 0 "$3" "$2"
	check_eq "$1: the shell did not run" "" "$(kv user "$2")" "$2"
	check_eq "$1: no set left behind" 0 "$(set_socket_count "$uid")"
	check_syslog "$1: syslog says why and what to change" \
		"Denying session for user pamns-usf (uid $uid): the policy asks for a user namespace, which this PAM stack cannot enter"
	check_syslog "$1: syslog names userns_fallback" "userns_fallback"
}

skip_checks() { # NAME OUTPUT RC
	check_eq "$1: exits 0" 0 "$3" "$2"
	check_eq "$1: runs as the user" pamns-usf "$(kv user "$2")" "$2"
	check_eq "$1: stays in the host's user namespace" "$host_user" "$(kv userns "$2")" "$2"
	check_eq "$1: with the host's uid_map" "$host_uid_map" "$(kv uid_map "$2")" "$2"
	check_ne "$1: private mount namespace" "$(host_ns mnt)" "$(kv mnt "$2")" "$2"
	check_ne "$1: private IPC namespace" "$(host_ns ipc)" "$(kv ipc "$2")" "$2"
	check_ne "$1: private UTS namespace" "$(host_ns uts)" "$(kv uts "$2")" "$2"
	check_eq "$1: /tmp is a tmpfs" tmpfs "$(kv fstype "$2")" "$2"
	check_contains "$1: the host's /tmp is not visible" "$(kv host "$2")" "No such file"
	check_eq "$1: no effective capabilities" 0000000000000000 "$(kv caps "$2")" "$2"
	check_syslog "$1: syslog says the user namespace was skipped" \
		"User namespace skipped for user pamns-usf (uid $uid)"
}

# --- su, su -l ------------------------------------------------------------------
for mode in su su-l; do
	uns_syslog_mark
	out=$(run_su $mode "$PNS_T/deny.stack")
	deny_checks "$mode, userns_fallback = deny" "$out" $?

	uns_syslog_mark
	out=$(run_su $mode "$PNS_T/skip.stack")
	rc=$?
	skip_checks "$mode, userns_fallback = skip" "$out" $rc
	check_ne "$mode, skip: not in the namespace su started in" "$(kv start "$out")" "$(kv mnt "$out")" "$out"
	if wait_set_gone "$uid" "$(kv mnt "$out")"; then
		pass "$mode, skip: set torn down when su exits"
	else
		fail "$mode, skip: set torn down when su exits" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1)"
	fi
done

# --- login ------------------------------------------------------------------------
uns_syslog_mark
out=$(login_pty "$PNS_T/deny.stack" pamns-usf "$login_probe" 2>&1)
deny_checks "login, userns_fallback = deny" "$out" $?
uns_syslog_mark
out=$(login_pty "$PNS_T/skip.stack" pamns-usf "$login_probe" 2>&1)
skip_checks "login, userns_fallback = skip" "$out" $?
wait_set_gone "$uid" "$(kv mnt "$out")"

# --- a set made by sshd, with its user namespace ----------------------------------
ssh_keygen_client
uns_sshd_start internal
if uns_hold sshd pamns-usf 'echo userns=$(readlink /proc/self/ns/user); echo mnt=$(readlink /proc/self/ns/mnt); echo from-ssh >/tmp/ssh-marker'; then
	held=$(uns_hold_out sshd)
	check_ne "sshd session (skip policy) is in a user namespace" "$host_user" "$(kv userns "$held")" "$held"
	for mode in su su-l; do
		uns_syslog_mark
		out=$(run_su $mode "$PNS_T/skip.stack")
		rc=$?
		check_eq "$mode, skip, set made by sshd: exits 0" 0 "$rc" "$out"
		check_eq "$mode, skip, set made by sshd: joins the set's mount namespace" "$(kv mnt "$held")" "$(kv mnt "$out")" "$out"
		check_eq "$mode, skip, set made by sshd: sees the set's /tmp" from-ssh "$(kv seen "$out")" "$out"
		check_eq "$mode, skip, set made by sshd: stays in the host's user namespace" "$host_user" "$(kv userns "$out")" "$out"
		check_syslog "$mode, skip, set made by sshd: syslog says the user namespace was skipped" \
			"User namespace skipped for user pamns-usf (uid $uid)"
		uns_syslog_mark
		out=$(run_su $mode "$PNS_T/deny.stack")
		rc=$?
		check_ne "$mode, deny, set made by sshd: denied" 0 "$rc" "$out"
		check_eq "$mode, deny, set made by sshd: the shell did not run" "" "$(kv user "$out")" "$out"
		check_syslog "$mode, deny, set made by sshd: syslog names userns_fallback" "userns_fallback"
	done
	out=$(ssh_as pamns-usf 'cat /tmp/ssh-marker; readlink /proc/self/ns/user' 2>&1)
	check_eq "the sshd set is intact after the su attempts" "from-ssh
$(kv userns "$held")" "$out"
	ssh_release sshd
	if wait_set_gone "$uid" "$(kv mnt "$held")"; then
		pass "sshd set torn down after its session and the su sessions"
	else
		fail "sshd set torn down after its session and the su sessions" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1)"
	fi
else
	fail "hold an sshd session" "$(uns_hold_out sshd)"
	ssh_release sshd
fi

# --- a set made by su (skip: no user namespace), then sshd -------------------------
# The sshd session must still get a user namespace, never run without one
# (never half-apply): it supersedes the su set and gets a new one.
fifo=$PNS_T/su.fifo
mkfifo -m 0600 "$fifo"
exec {sufd}<>"$fifo"
(
	exec {sufd}>&-
	in_stack "$PNS_T/skip.stack" su pamns-usf -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo from-su >/tmp/su-marker; echo ready; cat >/dev/null'
) <"$fifo" >"$PNS_T/su1.out" 2>&1 &
su1=$!
defer_eval "kill $su1 2>/dev/null"
if wait_until 30 grep -qx ready "$PNS_T/su1.out"; then
	su_mnt=$(kv mnt "$(cat "$PNS_T/su1.out")")
	uns_syslog_mark
	out=$(ssh_as pamns-usf 'echo RAN=yes; echo userns=$(readlink /proc/self/ns/user); echo mnt=$(readlink /proc/self/ns/mnt); echo su=$(cat /tmp/su-marker 2>&1)
		echo uid_map=$(awk "NF { print \$1, \$2, \$3 }" /proc/self/uid_map | LC_ALL=C sort | paste -sd ";" -)' 2>&1)
	# The sshd login needs a user namespace the su set does not have: it
	# supersedes that set and gets a new one (issue 11, finding 3), never
	# a session without one. (Before, it was denied.)
	check_eq "sshd after a skip set: the login runs" yes "$(kv RAN "$out")" "$out"
	check_ne "sshd after a skip set: the session has a user namespace" "$host_user" "$(kv userns "$out")" "$out"
	check_eq "sshd after a skip set: with the self map" "$uid $uid 1" "$(kv uid_map "$out")" "$out"
	check_ne "sshd after a skip set: in a new set, not the su session's" "$su_mnt" "$(kv mnt "$out")" "$out"
	check_syslog "sshd after a skip set: syslog says the su set is superseded" \
		"Set user.sock of uid $uid was made under another plan than a new login's (namespaces mount ipc uts -> mount ipc uts user): superseded"
	if [ -n "$(procs_in_ns mnt "$su_mnt")" ]; then
		pass "sshd after a skip set: the su session stays in its set"
	else
		fail "sshd after a skip set: the su session stays in its set" "no process left in $su_mnt"
	fi
else
	fail "a held su session (skip) opens" "$(cat "$PNS_T/su1.out")"
fi
exec {sufd}>&-
wait_until 15 sh -c "! kill -0 $su1 2>/dev/null"
wait "$su1" 2>/dev/null
if wait_set_gone "$uid"; then
	pass "all sets of the user torn down"
else
	fail "all sets of the user torn down" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1)"
fi

check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

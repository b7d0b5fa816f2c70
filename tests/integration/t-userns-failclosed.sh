#!/usr/bin/env bash
# A user namespace that cannot be entered ends the login (issue "Close the
# /proc escape", finding 2; docs/SECURITY.md).
#
# sshd enters the set's user namespace in its session child, through
# pam_setcred. A preloaded library (userns/setns-fail.c) makes every
# setns(CLONE_NEWUSER) in the test sshd fail with ENOMEM. With the auth line
# "required" and with the old documented "optional" one alike, no shell and
# no command may run: under "optional" sshd ignores the PAM_CRED_ERR, so the
# module itself must end that login. sshd's listener lives on, and no set is
# left. A control login through the same stack without the library shows the
# test's setup works (the shell runs, inside a user namespace).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/userns/lib-userns.sh"
pns_setup
require_built

user_add pamns-ufc
uid=$(id -u pamns-ufc)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts user
tmp        = tmpfs
tmp_size   = 8M
EOF
mkdir -p -m 0755 "$PNS_T/lib"
if ! cc -shared -fPIC -O2 -Wall -o "$PNS_T/lib/libsetnsfail.so" "$PNS_SRCDIR/tests/integration/userns/setns-fail.c" -ldl \
	2>"$PNS_T/cc-setnsfail.log"; then
	fail "build libsetnsfail.so" "$(cat "$PNS_T/cc-setnsfail.log")"
	exit 1
fi
host_user=$(readlink /proc/self/ns/user)
_logged() { syslog_since_mark | grep -qF "$1"; }
defer rm -f /tmp/pamns-ufc-sftp
probe='echo shell_ran=yes; echo userns=$(readlink /proc/self/ns/user)'

# stack CONTROL: the sshd stack of pam_ns(8) with auth CONTROL.
stack() {
	uns_sshd_stack | sed -E "s#^auth +(optional|required) +$PNS_MODULE#auth     $1   $PNS_MODULE#" >"$PNS_T/sshd-$1.stack"
	chmod 0644 "$PNS_T/sshd-$1.stack"
	grep -q "^auth     $1   $PNS_MODULE" "$PNS_T/sshd-$1.stack" ||
		{ fail "stack with auth $1" "$(cat "$PNS_T/sshd-$1.stack")"; exit 1; }
}

for ctl in optional required; do
	stack "$ctl"
	SSHD_STACK=$PNS_T/sshd-$ctl.stack sshd_start internal
	out=$(ssh_as pamns-ufc "$probe" 2>&1)
	check_eq "auth $ctl, control: the shell runs" yes "$(kv shell_ran "$out")" "$out"
	check_ne "auth $ctl, control: in a user namespace of its own" "$host_user" "$(kv userns "$out")" "$out"
	wait_set_gone "$uid"

	SSHD_STACK=$PNS_T/sshd-$ctl.stack LD_PRELOAD=$PNS_T/lib/libsetnsfail.so sshd_start internal
	listener=$(cat "$SSHD_PIDFILE")
	syslog_mark
	out=$(ssh_as pamns-ufc "$probe" 2>&1)
	rc=$?
	check_ne "auth $ctl, setns(CLONE_NEWUSER) fails: ssh reports failure" 0 "$rc" "$out"
	check_eq "auth $ctl, setns(CLONE_NEWUSER) fails: no shell ran" "" "$(kv shell_ran "$out")" "$out"
	echo "put /etc/hostname /tmp/pamns-ufc-sftp" >"$PNS_T/batch"
	ssh_opts
	out=$(timeout 60 sftp -b "$PNS_T/batch" "${SSH_OPTS[@]}" pamns-ufc@127.0.0.1 2>&1)
	check_ne "auth $ctl, setns(CLONE_NEWUSER) fails: no internal-sftp either" 0 "$?" "$out"
	check_eq "auth $ctl, setns(CLONE_NEWUSER) fails: sftp wrote nothing on the host" absent \
		"$([ -e /tmp/pamns-ufc-sftp ] && echo present || echo absent)"
	if [ -n "${PNS_SYSLOG_FILE:-}" ] && wait_until "$PNS_WAIT" _logged "failed to enter the user namespace"; then
		check_contains "auth $ctl, setns(CLONE_NEWUSER) fails: the log says why" \
			"$(syslog_since_mark)" "Ending the login of user pamns-ufc (uid $uid): failed to enter the user namespace"
	else
		skip "auth $ctl, setns(CLONE_NEWUSER) fails: the log says why" "no syslog captured"
	fi
	check_eq "auth $ctl, setns(CLONE_NEWUSER) fails: sshd's listener lives on" alive \
		"$(kill -0 "$listener" 2>/dev/null && echo alive || echo gone)"
	if wait_set_gone "$uid"; then
		pass "auth $ctl, setns(CLONE_NEWUSER) fails: no set is left"
	else
		fail "auth $ctl, setns(CLONE_NEWUSER) fails: no set is left" "$(ls -la "$PNS_RUN_DIR/$uid" 2>&1)"
	fi
done

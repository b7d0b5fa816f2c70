#!/usr/bin/env bash
# Security suite, the /proc door (issue "Close the /proc escape", finding 1;
# docs/SECURITY.md).
#
# A set without a PID namespace shares the host's /proc. A process of the
# user that runs outside the set (here a sleep started with setpriv, as a
# user manager, a cron job or anything started before login would be) has
# /proc/PID/root and /proc/PID/cwd pointing at the host's root and /tmp.
# Through sshd, su and login, an isolated session must neither read nor
# write the host's /tmp that way; the Landlock domain the module puts the
# caller in forbids it. The same session keeps what the domain must not
# take: setuid programs (no no_new_privs), FIFOs in its /tmp, and /proc of
# its own processes. A kernel without Landlock (injected with strace)
# denies the login, unless the stack says landlock=optional, which goes on
# and logs that the door is open.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"
. "$PNS_SRCDIR/tests/integration/userns/lib-userns.sh"

user_add pamns-door
uid=$(id -u pamns-door)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
EOF
uns_build_probes

# The host's /tmp holds a file only root wrote; the user may read it on the
# host, so only isolation keeps it from the session.
canary=pamns-door-canary-$$
echo host-secret >"/tmp/$canary"
chmod 0644 "/tmp/$canary"
escaped=/tmp/pamns-door-escaped-$$
defer rm -f "/tmp/$canary" "$escaped"

# The user's process outside every set: cwd the host's /tmp.
setsid setpriv --reuid "$uid" --regid "$(id -g pamns-door)" --init-groups \
	sh -c 'cd /tmp && exec sleep 600' </dev/null >/dev/null 2>&1 &
outside=$!
defer_eval "kill $outside 2>/dev/null"
wait_until "$PNS_WAIT" sh -c "[ \"\$(readlink /proc/$outside/cwd)\" = /tmp ]"

# The door is there to be closed: on the host, the user reaches the host's
# /tmp through the outside process's /proc entries (so the checks below can
# fail).
out=$(setpriv --reuid "$uid" --regid "$(id -g pamns-door)" --init-groups \
	cat "/proc/$outside/root/tmp/$canary" 2>&1)
check_eq "control: outside any domain, /proc/PID/root reaches the host's /tmp" host-secret "$out"

cat >"$PNS_T/bin/door-probe" <<EOF
cd
echo mnt=\$(readlink /proc/self/ns/mnt)
echo via_root=\$(cat /proc/$outside/root/tmp/$canary 2>/dev/null || echo refused)
echo via_cwd=\$(cat /proc/$outside/cwd/$canary 2>/dev/null || echo refused)
if (echo x >/proc/$outside/root$escaped) 2>/dev/null; then echo write=done; else echo write=refused; fi
echo own_tmp=\$(cat /tmp/$canary 2>/dev/null || echo absent)
echo nnp=\$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status)
echo suid=\$($UNS_SUID_PROBE | sed "s/.*euid=\([0-9]*\).*/\1/")
mkfifo /tmp/door.fifo && echo fifo=made
sleep 30 & kid=\$!
echo own_proc=\$(readlink /proc/\$kid/cwd)
kill \$kid
EOF
chmod 0755 "$PNS_T/bin/door-probe"
probe="sh $PNS_T/bin/door-probe"

# door_checks TAG OUT: the door shut, the session otherwise whole.
door_checks() {
	local tag=$1 out=$2
	check_ne "$tag: isolated" "$(host_ns mnt)" "$(kv mnt "$out")" "$out"
	check_eq "$tag: /proc/PID/root of the user's outside process is refused" refused "$(kv via_root "$out")" "$out"
	check_eq "$tag: /proc/PID/cwd of the user's outside process is refused" refused "$(kv via_cwd "$out")" "$out"
	check_eq "$tag: no write through /proc/PID/root" refused "$(kv write "$out")" "$out"
	check_eq "$tag: nothing written in the host's /tmp" absent "$([ -e "$escaped" ] && echo present || echo absent)"
	check_eq "$tag: the session's own /tmp is private" absent "$(kv own_tmp "$out")" "$out"
	check_eq "$tag: no no_new_privs (setuid programs keep working)" 0 "$(kv nnp "$out")" "$out"
	check_eq "$tag: a setuid-root program still gets euid 0" 0 "$(kv suid "$out")" "$out"
	check_eq "$tag: mkfifo works in the session's /tmp" made "$(kv fifo "$out")" "$out"
	check_eq "$tag: /proc of the session's own processes still works" /home/pamns-door "$(kv own_proc "$out")" "$out"
	rm -f "$escaped"
}

# --- sshd -------------------------------------------------------------------
sshd_start internal
out=$(ssh_as pamns-door "$probe" 2>&1)
door_checks "ssh" "$out"
wait_set_gone "$uid"

# The domain's price, as pam_ns(8) says: no mount at all in the session, not
# even in a user namespace of the user's own.
out=$(ssh_as pamns-door "unshare -Urm sh -c 'mount -t tmpfs pamns-door /mnt && echo mounted=yes' || echo mounted=no" 2>&1)
check_eq "ssh: no mount in a user namespace of the session's own (documented)" no "$(kv mounted "$out")" "$out"
wait_set_gone "$uid"

# A set with a user namespace (sshd) needs no domain: the kernel refuses
# /proc/PID/root of processes outside that namespace by itself, and the
# session may mount in user namespaces of its own.
policy "$PNS_T/userns.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts user
tmp        = tmpfs
tmp_size   = 8M
EOF
cat >"$PNS_T/sshd-userns.stack" <<EOF
auth     required   pam_permit.so
auth     required   $PNS_MODULE config=$PNS_T/userns.conf helper=$PNS_HELPER debug
account  required   pam_permit.so
password required   pam_deny.so
session  required   $PNS_MODULE config=$PNS_T/userns.conf helper=$PNS_HELPER debug
session  optional   pam_permit.so
EOF
chmod 0644 "$PNS_T/sshd-userns.stack"
SSHD_STACK=$PNS_T/sshd-userns.stack sshd_start internal
out=$(ssh_as pamns-door "$probe; echo userns=\$(readlink /proc/self/ns/user); unshare -Urm sh -c 'mount -t tmpfs pamns-door /mnt && echo mounted=yes || echo mounted=no'" 2>&1)
check_ne "ssh, user namespace: in a user namespace" "$(readlink /proc/self/ns/user)" "$(kv userns "$out")" "$out"
check_eq "ssh, user namespace: /proc/PID/root of the outside process is refused" refused "$(kv via_root "$out")" "$out"
check_eq "ssh, user namespace: /proc/PID/cwd of the outside process is refused" refused "$(kv via_cwd "$out")" "$out"
check_eq "ssh, user namespace: no write through /proc/PID/root" refused "$(kv write "$out")" "$out"
check_eq "ssh, user namespace: nothing written in the host's /tmp" absent "$([ -e "$escaped" ] && echo present || echo absent)"
check_eq "ssh, user namespace: mounts in a user namespace of its own work" yes "$(kv mounted "$out")" "$out"
rm -f "$escaped"
wait_set_gone "$uid"

# --- su and su -l -----------------------------------------------------------
root_stack >"$PNS_T/su.stack"
chmod 0644 "$PNS_T/su.stack"
out=$(in_stack "$PNS_T/su.stack" su pamns-door -c "$probe" 2>&1)
door_checks "su" "$out"
out=$(in_stack "$PNS_T/su.stack" su - pamns-door -c "$probe" 2>&1)
door_checks "su -l" "$out"
wait_set_gone "$uid"

# --- login ------------------------------------------------------------------
out=$(login_pty "$PNS_T/su.stack" pamns-door "$probe" 2>&1)
door_checks "login" "$out"
wait_set_gone "$uid"

# --- a login from inside a session --------------------------------------------
# su from an isolated session to another isolated account: the inner caller
# is in the outer session's domain, and no anchor is. A live set of that
# account cannot be joined from there (setns() through the anchor's pidfd
# needs ptrace access to it), and no set can be made (the domain forbids
# the anchor's mounts). Either way the login is denied with a log line that
# says why, and the outer session goes on.
user_add pamns-door2
uid2=$(id -u pamns-door2)
sec_stack nested "config=$PNS_CONF helper=$PNS_HELPER timeout=5 debug"
_logged() { syslog_since_mark | grep -qF "$1"; }
nested() {
	pam_drive --service nested pamns-door -- sh -c '
		"$1" --confdir "$2" --service nested --as-user pamns-door2 -- sh -c "
			echo inner_mnt=\$(readlink /proc/self/ns/mnt)"
		echo outer_mnt=$(readlink /proc/self/ns/mnt)' sh "$PNS_DRIVE" "$PNS_T/pam.d" 2>&1
}
# nested_denied TAG LOGLINE: the inner login denied, the outer one whole.
nested_denied() {
	local tag=$1 out
	syslog_mark
	out=$(nested)
	check_eq "$tag: the outer login opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "$tag: the inner login is denied" 1 \
		"$(printf '%s\n' "$out" | grep -c '^open_rc=PAM_SESSION_ERR')" "$out"
	check_eq "$tag: no inner session ran" "" "$(kv inner_mnt "$out")" "$out"
	check_eq "$tag: the outer session goes on in its set" "$(kv ns_mnt "$out")" "$(kv outer_mnt "$out")" "$out"
	if wait_until "$PNS_WAIT" _logged "$2"; then
		pass "$tag: the log says why"
	else
		fail "$tag: the log says why" "$(syslog_since_mark | tail -n 6)"
	fi
}
nested_denied "nested, no set" "from inside an isolated session"
wait_set_gone "$uid2"
check_eq "nested, no set: no anchor of pamns-door2 is left" "" "$(sec_anchors_of_uid "$uid2")"

if sec_hold door2 --service nested --as-user pamns-door2 -- sh -c 'echo ready; exec cat >/dev/null'; then
	nested_denied "nested, a live set" "Landlock domain (su from an isolated session"
	sec_release door2
else
	fail "nested, a live set: hold a session of pamns-door2" "$(cat "${SEC_HOLD_OUT[door2]}")"
fi
wait_set_gone "$uid2"
wait_set_gone "$uid"

# --- a kernel without Landlock ------------------------------------------------
if ! command -v strace >/dev/null; then
	skip "no Landlock: login denied" "strace is not installed"
	exit 0
fi
sec_stack required "config=$PNS_CONF helper=$PNS_HELPER timeout=5 debug"
sec_stack optional "config=$PNS_CONF helper=$PNS_HELPER timeout=5 landlock=optional debug"
for err in ENOSYS EOPNOTSUPP; do
	syslog_mark
	out=$(echo "start_mnt=$(host_ns mnt)"
		timeout 60 strace -qq -o /dev/null -e trace=landlock_create_ruleset \
			-e inject=landlock_create_ruleset:error=$err \
			"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service required pamns-door -- true 2>&1)
	check_eq "no Landlock ($err): the login is denied" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
	check_eq "no Landlock ($err): the caller stays in its namespaces" "$(kv start_mnt "$out")" "$(kv ns_mnt "$out")" "$out"
	check_eq "no Landlock ($err): no set was made" 0 "$(set_socket_count "$uid")"
	wait_until "$PNS_WAIT" _logged "cannot create a Landlock domain"
	check_contains "no Landlock ($err): the log says why" "$(syslog_since_mark)" \
		"cannot create a Landlock domain"

	syslog_mark
	out=$(timeout 60 strace -qq -o /dev/null -e trace=landlock_create_ruleset \
		-e inject=landlock_create_ruleset:error=$err \
		"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service optional --as-user pamns-door -- \
		sh -c "echo via_root=\$(cat /proc/$outside/root/tmp/$canary 2>/dev/null || echo refused)" 2>&1)
	check_eq "no Landlock ($err), landlock=optional: the login goes on" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "no Landlock ($err), landlock=optional: and the door is open, as documented" \
		host-secret "$(kv via_root "$out")" "$out"
	wait_until "$PNS_WAIT" _logged "stays open"
	check_contains "no Landlock ($err), landlock=optional: the log says the door is open" \
		"$(syslog_since_mark)" "stays open"
	wait_set_gone "$uid"
done

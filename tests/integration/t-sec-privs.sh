#!/usr/bin/env bash
# Security suite, privileges and signals (SPEC 8.2, 8.5; catalogue rows 10,
# 15, 17). Mount, IPC and UTS sets only; the user namespace rows are in
# t-userns-*.
#
# - In every session (ssh, ssh -tt, su, su -, pam-drive as the user)
#   /proc/self/status shows the user's uid and gid in all four fields and
#   no capability (CapInh, CapPrm, CapEff, CapAmb are 0); the session can
#   neither set the host name, nor unshare, nor unmount /tmp.
# - su run by a non-root invoker (ruid = invoker while su opens the
#   session): the invoker can neither stop, kill nor ptrace the helper
#   (caught while paused before its exec) nor the anchor; the anchor,
#   started in the helper's memory, is alone in it once the session is open.
# - TIOCSTI: pam_ns does not block it; the test only reports whether the
#   kernel allows it here (SECURITY.md has the limitation and mitigation).
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-pv
user_add pamns-sec-inv
uid=$(id -u pamns-sec-pv)
gid=$(id -g pamns-sec-pv)
inv=$(id -u pamns-sec-inv)
invg=$(id -g pamns-sec-inv)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
hostname   = %u-box
EOF
probe=$(sec_probe)
sec_stack drive "config=$PNS_CONF helper=$PNS_HELPER debug"
sec_su_stack "$PNS_T/su.stack" "config=$PNS_CONF helper=$PNS_HELPER debug"

status_cmd="grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapAmb):' /proc/self/status | sed 's/[[:space:]]\\+/ /g; s/ \$//'
	echo host=\$('$probe' sethostname x)
	echo unshare=\$(unshare -m true 2>&1 | grep -c 'not permitted')
	echo umount=\$('$probe' umount /tmp)
	echo mnt=\$(readlink /proc/self/ns/mnt)"
want="Uid: $uid $uid $uid $uid
Gid: $gid $gid $gid $gid
CapInh: 0000000000000000
CapPrm: 0000000000000000
CapEff: 0000000000000000
CapAmb: 0000000000000000"

# check_status TAG OUT
check_status() {
	check_ne "$2: isolated" "$(host_ns mnt)" "$(kv mnt "$1")" "$1"
	check_eq "$2: the user's ids everywhere, no capability" "$want" \
		"$(printf '%s\n' "$1" | grep -E '^(Uid|Gid|Cap[A-Za-z]+):')" "$1"
	check_eq "$2: cannot set the host name" sethostname=EPERM "$(kv host "$1")" "$1"
	check_eq "$2: cannot unshare a mount namespace" 1 "$(kv unshare "$1")" "$1"
	check_eq "$2: cannot unmount /tmp" umount=EPERM "$(kv umount "$1")" "$1"
}

out=$(pam_drive --service drive --as-user pamns-sec-pv -- sh -c "$status_cmd" 2>&1)
check_status "$out" "pam-drive"
wait_set_gone "$uid"
for mode in su su-l; do
	[ $mode = su ] && args=(su pamns-sec-pv -c) || args=(su - pamns-sec-pv -c)
	out=$(in_stack "$PNS_T/su.stack" "${args[@]}" "$status_cmd" 2>&1)
	check_status "$out" "$mode"
	wait_set_gone "$uid"
done
sshd_start internal
out=$(ssh_as pamns-sec-pv "$status_cmd" 2>&1)
check_status "$out" "ssh"
out=$(ssh_opts; timeout 60 ssh -tt "${SSH_OPTS[@]}" pamns-sec-pv@127.0.0.1 "$status_cmd" </dev/null 2>&1 | tr -d '\r')
check_status "$out" "ssh -tt"
wait_set_gone "$uid"

# --- su by a non-root invoker: the helper and the anchor are out of reach -----
mkdir -m 0700 "$PNS_T/rec"
sec_cc pause-helper rec-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DREC_DIR=\"$PNS_T/rec\"" -DREC_PAUSE_MS=1500
{
	echo "auth     sufficient pam_rootok.so"
	echo "auth     sufficient pam_permit.so" # this private namespace only: any invoker may su
	echo "account  required   pam_permit.so"
	echo "password required   pam_deny.so"
	echo "session  required   $PNS_MODULE config=$PNS_CONF helper=$PNS_T/bin/pause-helper debug"
	echo "session  optional   pam_permit.so"
} >"$PNS_T/su-inv.stack"
chmod 0644 "$PNS_T/su-inv.stack"
as_inv() { setpriv --reuid="$inv" --regid="$invg" --init-groups "$@"; }
fifo=$PNS_T/inv.fifo
mkfifo -m 0600 "$fifo"
exec {invfd}<>"$fifo"
(
	exec {invfd}>&-
	in_stack "$PNS_T/su-inv.stack" setpriv --reuid="$inv" --regid="$invg" --init-groups \
		su pamns-sec-pv -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'
) <"$fifo" >"$PNS_T/inv.out" 2>&1 &
supid=$!
defer_eval "exec {invfd}>&- 2>/dev/null; kill $supid 2>/dev/null"
if wait_until 20 sh -c "ls '$PNS_T/rec' | grep -q '^paused\.'"; then
	hpid=$(ls "$PNS_T/rec" | sed -n 's/^paused\.//p' | head -n 1)
	hstatus=$(grep -E '^(Uid|Gid):' "/proc/$hpid/status" 2>/dev/null | sed 's/[[:space:]]\+/ /g; s/ $//' | paste -sd'|')
	check_eq "su by a user: the helper runs with every id 0 (caught before exec)" "Uid: 0 0 0 0|Gid: 0 0 0 0" "$hstatus"
	check_eq "su by a user: the invoker cannot stop the helper" kill=EPERM "$(as_inv "$probe" kill "$hpid" 19)"
	check_eq "su by a user: the invoker cannot kill the helper" kill=EPERM "$(as_inv "$probe" kill "$hpid" 9)"
	check_eq "su by a user: the invoker cannot ptrace the helper" ptrace=EPERM "$(as_inv "$probe" ptrace "$hpid")"
else
	fail "su by a user: catch the helper" "$(cat "$PNS_T/inv.out")"
fi
if wait_until 20 grep -qx ready "$PNS_T/inv.out"; then
	set_mnt=$(kv mnt "$(cat "$PNS_T/inv.out")")
	check_ne "su by a user: the session opened in a set" "$(host_ns mnt)" "$set_mnt" "$(cat "$PNS_T/inv.out")"
	anchor=$(sec_anchors_in "$set_mnt")
	check_ne "su by a user: the set's anchor is found" "" "$anchor"
	check_eq "su by a user: the invoker cannot stop the anchor" kill=EPERM "$(as_inv "$probe" kill "$anchor" 19)"
	check_eq "su by a user: the invoker cannot kill the anchor" kill=EPERM "$(as_inv "$probe" kill "$anchor" 9)"
	check_eq "su by a user: the invoker cannot ptrace the anchor" ptrace=EPERM "$(as_inv "$probe" ptrace "$anchor")"
	check_eq "su by a user: the target user cannot signal the anchor either" kill=EPERM \
		"$(setpriv --reuid="$uid" --regid="$gid" --init-groups "$probe" kill "$anchor" 19)"
	check_eq "su by a user: the anchor is still there" "$set_mnt" "$(ns_of "$anchor" mnt)"
	# The anchor starts in the helper's memory (CLONE_VM, DESIGN.md "The
	# anchor's start"); once the session is open it must be alone in it.
	check_eq "vmshare: the probe sees a process that shares its memory (control)" vmshare=1 \
		"$("$probe" vmshare-check | cut -d' ' -f1)"
	check_eq "su by a user: no other process shares the anchor's memory" vmshare=0 \
		"$("$probe" vmshare "$anchor")"
	# Not dumpable (helper.c): a uid 0 process without effective
	# capabilities gets no ptrace access to the anchor, nor to the child
	# that held the set's user namespace in the same memory. The control
	# shows that such a process does get it on a dumpable one.
	check_eq "capless root: ptraces a dumpable process with the anchor's capabilities (control)" \
		capless-seize=OK "$("$probe" capless-seize-check)"
	check_eq "capless root: cannot ptrace the anchor (not dumpable)" capless-seize=EPERM \
		"$("$probe" capless-seize "$anchor")"
else
	fail "su by a user: the session opens" "$(cat "$PNS_T/inv.out")"
fi
exec {invfd}>&-
wait_until 15 sh -c "! kill -0 $supid 2>/dev/null"
wait "$supid" 2>/dev/null
wait_set_gone "$uid"

# --- TIOCSTI: reported, not asserted ---------------------------------------------
legacy=$(sysctl -n dev.tty.legacy_tiocsti 2>/dev/null || echo "absent (kernel before 6.2)")
# su -c runs the command in a new session (no controlling terminal); an
# interactive su keeps root's terminal as the session's.
out=$(in_stack "$PNS_T/su.stack" script -qec "su pamns-sec-pv -c \"'$probe' tiocsti ':'\"" /dev/null 2>&1 | tr -d '\r')
note "TIOCSTI from su -c into the invoker's terminal: $(printf '%s\n' "$out" | grep -o 'tiocsti=[A-Z]*' | head -n 1)"
out=$(printf '%s\nexit\n' "'$probe' tiocsti ':'" | in_stack "$PNS_T/su.stack" script -qec "su pamns-sec-pv" /dev/null 2>&1 | tr -d '\r')
note "TIOCSTI from an interactive su shell into the invoker's terminal: $(printf '%s\n' "$out" | grep -o 'tiocsti=[A-Z]*' | head -n 1) (dev.tty.legacy_tiocsti = $legacy); pam_ns does not block it, see SECURITY.md"
wait_set_gone "$uid"

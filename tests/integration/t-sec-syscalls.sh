#!/usr/bin/env bash
# Security suite, syscall faults (SPEC 8.1; catalogue rows 29, 30).
#
# strace fault injection, in the helper and the anchor it starts (through a
# helper= wrapper that attaches strace to itself and execs the real
# helper): mount (ENOSPC, first and second call), unshare (ENOMEM),
# openat (EMFILE at the Nth call, N = 1..14), sendmsg (EIO), sendto (EIO:
# the anchor's "K" to the helper after its reply to the module, then the
# helper's confirmation to the module), write (EIO),
# socket, bind, listen, mkdirat, flock, sethostname, capset, pidfd_open and
# prctl; and in the PAM caller itself (strace on pam-drive): setns (EPERM),
# pidfd_open, socketpair, clone3, connect, ioctl (the anchor's namespaces
# through its pidfd: ENOTTY, as before Linux 6.11, must still join). Then a read-only /run, a
# missing /run/pam_ns (made on demand, root 0700), all in a private mount
# namespace. Every case is either a complete session (mount, IPC and UTS
# all changed, /tmp a tmpfs) or a denial with the caller in all of its
# namespaces; the helper is never killed at the timeout; no set, no anchor
# and no mount is left behind. (A full tmpfs is in t-sec-bounds.)
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

# Teardown after a login normally takes milliseconds; do not wait 10 s
# for each case that leaves something behind.
PNS_WAIT=4
if ! command -v strace >/dev/null; then
	skip "syscall faults" "strace is not installed"
	exit 0
fi
user_add pamns-sec-sc
uid=$(id -u pamns-sec-sc)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
hostname   = %u-box
EOF
mkdir -m 0700 "$PNS_T/strace"
spec=$PNS_T/strace/spec
: >"$spec"
sec_cc strace-helper strace-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DSPEC_FILE=\"$spec\"" \
	"-DPID_DIR=\"$PNS_T/strace\""
defer_eval "sec_kill_pidfiles '$PNS_T/strace' strace"
sec_stack fault "config=$PNS_CONF helper=$PNS_T/bin/strace-helper timeout=5 debug"
sec_stack plain "config=$PNS_CONF helper=$PNS_HELPER timeout=5 debug"

start_mnt=$(host_ns mnt)
start_ipc=$(host_ns ipc)
start_uts=$(host_ns uts)
mounts_before=$(sec_host_mounts)
syslog_lines() {
	if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then wc -l <"$PNS_SYSLOG_FILE"; else echo 0; fi
}
probe_cmd='echo in_fstype=$(findmnt -no FSTYPE /tmp); echo in_host=$(hostname)'

# outcome TAG OUT: a whole session or a clean denial, never in between;
# prints "opened" or "denied".
outcome() {
	local tag=$1 out=$2 rc
	rc=$(kv open_rc "$out")
	case $rc in
	PAM_SUCCESS)
		if [ "$(kv ns_mnt "$out")" != "$start_mnt" ] && [ "$(kv ns_ipc "$out")" != "$start_ipc" ] &&
			[ "$(kv ns_uts "$out")" != "$start_uts" ] && [ "$(kv in_fstype "$out")" = tmpfs ] &&
			[ "$(kv in_host "$out")" = pamns-sec-sc-box ]; then
			pass "$tag: a complete session"
		else
			fail "$tag: a complete session" "opened, but not every namespace and mount is there:
$out"
		fi
		echo opened >&3
		;;
	PAM_SESSION_ERR | PAM_BUF_ERR)
		check_eq "$tag: denied, the caller in all its own namespaces" \
			"$start_mnt $start_ipc $start_uts" "$(kv ns_mnt "$out") $(kv ns_ipc "$out") $(kv ns_uts "$out")" "$out"
		echo denied >&3
		;;
	*)
		fail "$tag: a session or a denial" "open_rc=$rc
$out"
		echo other >&3
		;;
	esac
}

# leftovers TAG SYSLOG-MARK: nothing left, and the helper was not killed.
# Whatever is left is then removed, so that the next case starts clean.
leftovers() {
	local a
	if wait_set_gone "$uid" && sec_wait_no_anchor "$uid"; then
		pass "$1: no set and no anchor left"
	else
		fail "$1: no set and no anchor left" "$(ls -la "$PNS_RUN_DIR/$uid" 2>&1); anchors: $(sec_anchors_of_uid "$uid")"
		for a in $(sec_anchors_of_uid "$uid"); do kill -KILL "$a" 2>/dev/null; done
		sec_wait_no_anchor "$uid"
		rm -f "$PNS_RUN_DIR/$uid"/*.sock
	fi
	check_eq "$1: PID 1's mount table unchanged" "$mounts_before" "$(sec_host_mounts)"
	if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
		check_eq "$1: the helper was not killed at the timeout" "" \
			"$(tail -n +"$(($2 + 1))" "$PNS_SYSLOG_FILE" | grep -F 'user pamns-sec-sc ' | grep -F 'did not answer in time')"
	fi
}

exec 3>"$PNS_T/outcomes"
# --- in the helper and the anchor ----------------------------------------------
cases=(
	"inject=mount:error=ENOSPC"
	"inject=mount:error=ENOSPC:when=2"
	"inject=mount:error=ENOSPC:when=3"
	"inject=unshare:error=ENOMEM"
	"inject=sendmsg:error=EIO"
	"inject=sendmsg:error=EIO:when=2"
	"inject=sendto:error=EIO"
	"inject=sendto:error=EIO:when=2"
	"inject=write:error=EIO"
	"inject=socket:error=EMFILE"
	"inject=bind:error=EADDRINUSE"
	"inject=listen:error=EIO"
	"inject=mkdir,mkdirat:error=EACCES"
	"inject=flock:error=EIO"
	"inject=sethostname:error=EPERM"
	"inject=capset:error=EPERM"
	"inject=pidfd_open:error=ENOSYS"
	"inject=prctl:error=EINVAL"
	"inject=recvmsg:error=EIO"
	"inject=fork,clone,clone3:error=EAGAIN"
)
for n in $(seq 1 14); do cases+=("inject=openat:error=EMFILE:when=$n"); done
for c in "${cases[@]}"; do
	echo "$c" >"$spec"
	mark=$(syslog_lines)
	out=$(pam_drive --service fault pamns-sec-sc -- sh -c "$probe_cmd" 2>&1)
	outcome "helper $c" "$out"
	leftovers "helper $c" "$mark"
	# The first sendto() is the anchor's "K" after its reply reached the
	# module: no confirmation comes from the helper, and the module denies.
	if [ "$c" = inject=sendto:error=EIO ] && [ -r "${PNS_SYSLOG_FILE:-}" ]; then
		check_contains "helper $c: denied for want of the helper's confirmation of the anchor's reply" \
			"$(tail -n +"$((mark + 1))" "$PNS_SYSLOG_FILE" | grep -F 'user pamns-sec-sc ')" \
			"the new set's anchor answered, but the helper did not confirm it"
	fi
done
: >"$spec"
# Sanity: the same wrapper with no fault opens a session.
out=$(pam_drive --service fault pamns-sec-sc -- sh -c "$probe_cmd" 2>&1)
check_eq "no fault through the strace wrapper: the session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
wait_set_gone "$uid"

# --- no cgroup hierarchy: the anchor walks /proc instead ---------------------------
# Where the named cgroup v1 hierarchy cannot be made (no fsopen() before Linux
# 5.2, cgroup_no_v1=named, a container's cgroup namespace), a set is made
# as usual and finds its processes by walking /proc: a process left behind
# holds the set, and the set goes when it exits.
for c in "inject=fsopen:error=ENOSYS" "inject=fsconfig:error=EINVAL" "inject=fsmount:error=EPERM"; do
	echo "$c" >"$spec"
	mark=$(syslog_lines)
	out=$(pam_drive --service fault pamns-sec-sc -- sh -c "$probe_cmd; setsid sleep 300 </dev/null >/dev/null 2>&1 & echo bg=\$!" 2>&1)
	check_eq "no hierarchy ($c): the session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	bg=$(kv bg "$out")
	if [ -n "$bg" ]; then
		defer_eval "kill -KILL $bg 2>/dev/null"
		sleep 0.5
		check_eq "no hierarchy ($c): a process left behind holds the set" 1 "$(set_socket_count "$uid")" "$out"
		if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
			check_contains "no hierarchy ($c): the anchor says it walks /proc" \
				"$(tail -n +"$((mark + 1))" "$PNS_SYSLOG_FILE")" "found by walking /proc"
		fi
		kill -KILL "$bg"
	fi
	leftovers "no hierarchy ($c)" "$mark"
done
: >"$spec"

# --- in the PAM caller ------------------------------------------------------------
drive_traced() { # SPEC PAM-DRIVE-ARGS...
	local s=$1
	shift
	timeout 60 strace -qq -o /dev/null -e "$s" "$PNS_DRIVE" --confdir "$PNS_T/pam.d" "$@"
}
for c in "inject=setns:error=EPERM" "inject=pidfd_open:error=EMFILE" "inject=socketpair:error=EMFILE" \
	"inject=clone3:error=EAGAIN" "inject=poll:error=EINTR:when=1" "inject=recvmsg:error=EIO"; do
	mark=$(syslog_lines)
	out=$(drive_traced "$c" --service plain pamns-sec-sc -- sh -c "$probe_cmd" 2>&1)
	outcome "caller $c" "$out"
	leftovers "caller $c" "$mark"
done
# connect() fails in the direct join while a set exists: ECONNREFUSED sends
# the module to the helper (which joins the set), anything else is a denial.
if sec_hold h --service plain pamns-sec-sc -- sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'; then
	held_mnt=$(kv mnt "$(cat "${SEC_HOLD_OUT[h]}")")
	# ioctl: PIDFD_GET_*_NAMESPACE (Linux 6.11), with which the module checks
	# the anchor's namespaces before setns(). ENOTTY is an older kernel: the
	# module must take its other path (join, compare, go back on a mismatch)
	# and still join; any other error is a denial.
	for c in "inject=connect:error=ECONNREFUSED" "inject=connect:error=EIO" \
		"inject=ioctl:error=ENOTTY" "inject=ioctl:error=ESRCH"; do
		out=$(drive_traced "$c" --service plain pamns-sec-sc -- sh -c "$probe_cmd" 2>&1)
		outcome "caller $c, set exists" "$out"
		if [ "$(kv open_rc "$out")" = PAM_SUCCESS ]; then
			check_eq "caller $c, set exists: joined the existing set" "$held_mnt" "$(kv ns_mnt "$out")" "$out"
		fi
	done
	out=$(drive_traced "inject=ioctl:error=ENOTTY" --service plain pamns-sec-sc -- sh -c "$probe_cmd" 2>&1)
	check_eq "caller ioctl ENOTTY (a kernel before 6.11): the join still succeeds" PAM_SUCCESS \
		"$(kv open_rc "$out")" "$out"
	sec_release h
else
	fail "hold a session for the connect faults" "$(cat "${SEC_HOLD_OUT[h]}")"
fi
exec 3>&-
note "helper and caller faults: $(sort "$PNS_T/outcomes" | uniq -c | paste -sd' ')"
leftovers "caller faults, the end" "$(syslog_lines)"

# --- hostile inherited state: rlimits, umask, signals (row 16) -------------
# (ulimit -f 0 kills su itself with SIGXFSZ before PAM, so that one is
# tried on pam-drive.)
sec_su_stack "$PNS_T/su.stack" "config=$PNS_CONF helper=$PNS_HELPER timeout=5 debug"
su_probe='echo mnt=$(readlink /proc/self/ns/mnt); echo tmpmode=$(stat -c %a /tmp); echo fstype=$(findmnt -no FSTYPE /tmp)'
for n in 8 12 24; do
	tag="su from ulimit -n $n, umask 0, ignored PIPE HUP INT TERM QUIT USR1"
	mark=$(syslog_lines)
	out=$(in_stack "$PNS_T/su.stack" bash -c "ulimit -n $n; umask 0; trap '' PIPE HUP INT TERM QUIT USR1
		su pamns-sec-sc -c '$su_probe'; echo rc=\$?" 2>&1)
	if [ "$(kv rc "$out")" = 0 ]; then
		check_eq "$tag: a complete session (isolated, /tmp a 1777 tmpfs)" "yes 1777 tmpfs" \
			"$([ "$(kv mnt "$out")" != "$start_mnt" ] && echo yes || echo no) $(kv tmpmode "$out") $(kv fstype "$out")" "$out"
	else
		check_contains "$tag: a clean denial" "$out" "cannot open session"
	fi
	leftovers "$tag" "$mark"
done
mark=$(syslog_lines)
out=$(bash -c "ulimit -f 0; umask 0; trap '' PIPE HUP INT TERM QUIT USR1 XFSZ
	exec timeout 60 '$PNS_DRIVE' --confdir '$PNS_T/pam.d' --service plain pamns-sec-sc -- sh -c '$probe_cmd'" 2>&1)
exec 3>/dev/null
outcome "pam-drive from ulimit -f 0, umask 0, ignored signals" "$out"
exec 3>&-
leftovers "pam-drive from ulimit -f 0, umask 0, ignored signals" "$mark"

# pam_limits before pam_ns in the same stack applies limits.conf to the
# calling process (sshd's monitor, su's parent) before pam_ns runs: with
# "fsize 1" (1 KiB, a plausible rule against big files) and a policy over
# 1 KiB, the module must neither kill its caller (SIGXFSZ) nor fail open.
{
	for i in $(seq 1 30); do echo "# comment line $i, as real policies have them"; done
	cat "$PNS_CONF"
} >"$PNS_T/long.conf"
chmod 0644 "$PNS_T/long.conf"
echo '* hard fsize 1' >"$PNS_T/limits.conf"
chmod 0644 "$PNS_T/limits.conf"
{
	echo "auth     required pam_permit.so"
	echo "account  required pam_permit.so"
	echo "session  required pam_limits.so conf=$PNS_T/limits.conf"
	echo "session  required $PNS_MODULE config=$PNS_T/long.conf helper=$PNS_HELPER timeout=5 debug"
} >"$PNS_T/pam.d/limits"
sec_su_stack "$PNS_T/su-limits.stack" "config=$PNS_T/long.conf helper=$PNS_HELPER timeout=5 debug"
sed -i "s|^session  required   $PNS_MODULE|session  required   pam_limits.so conf=$PNS_T/limits.conf\n&|" "$PNS_T/su-limits.stack"
mark=$(syslog_lines)
out=$(timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service limits pamns-sec-sc 2>&1; echo "exit=$?")
check_ne "pam_limits fsize 1 before pam_ns (policy over 1 KiB): pam-drive is not killed (SIGXFSZ is 153)" 153 "$(kv exit "$out")" "$out"
exec 3>/dev/null
outcome "pam_limits fsize 1 before pam_ns (policy over 1 KiB), pam-drive" "$out"
exec 3>&-
leftovers "pam_limits fsize 1, pam-drive" "$mark"
out=$(in_stack "$PNS_T/su-limits.stack" su pamns-sec-sc -c "$su_probe" 2>&1; echo "exit=$?")
check_ne "pam_limits fsize 1 before pam_ns (policy over 1 KiB): su is not killed (SIGXFSZ is 153)" 153 "$(kv exit "$out")" "$out"
leftovers "pam_limits fsize 1, su" "$mark"

# A caller that ignores SIGCHLD (SIG_IGN: many daemons do, and the invoker
# of su can) has its children reaped by the kernel. The helper must not be
# one of them: its exit signal would have to stay 0, but execve() resets it
# to SIGCHLD, so the module's waitid() finds nothing and the login is
# denied although the helper answered (see t-sec-helper for handlers).
mark=$(syslog_lines)
out=$(in_stack "$PNS_T/su.stack" bash -c "trap '' CHLD; su pamns-sec-sc -c '$su_probe'; echo rc=\$?" 2>&1)
check_eq "su from a shell that ignores SIGCHLD: the session opens" 0 "$(kv rc "$out")" "$out"
leftovers "su from a shell that ignores SIGCHLD" "$mark"
mark=$(syslog_lines)
# (not through timeout(1), which would reset SIGCHLD for pam-drive)
out=$(timeout 60 bash -c "trap '' CHLD; exec '$PNS_DRIVE' --confdir '$PNS_T/pam.d' --service plain pamns-sec-sc" 2>&1)
check_eq "pam-drive ignoring SIGCHLD: the session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
leftovers "pam-drive ignoring SIGCHLD" "$mark"

# --- /run read-only or without /run/pam_ns --------------------------------------------
mark=$(syslog_lines)
out=$(timeout 60 unshare -m --propagation private sh -c '
	mount -t tmpfs -o ro,mode=0755 pamns-sec-ro /run || exit 125
	echo "start_mnt=$(readlink /proc/self/ns/mnt)"
	exec "$@"' sh timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service plain pamns-sec-sc -- true 2>&1)
check_eq "read-only tmpfs on /run: denied" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
check_eq "read-only tmpfs on /run: the caller stays where it was" "$(kv start_mnt "$out")" "$(kv ns_mnt "$out")" "$out"
out=$(timeout 60 unshare -m --propagation private sh -c '
	mount --bind /run /run && mount -o remount,bind,ro /run || exit 125
	echo "start_mnt=$(readlink /proc/self/ns/mnt)"
	exec "$@"' sh timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service plain pamns-sec-sc -- true 2>&1)
check_eq "the host's /run bound read-only: denied" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
check_eq "the host's /run bound read-only: the caller stays where it was" "$(kv start_mnt "$out")" "$(kv ns_mnt "$out")" "$out"
out=$(sec_fresh_run : --service plain pamns-sec-sc -- sh -c \
	"stat -c 'state=%n %u %a' /run/pam_ns /run/pam_ns/$uid; $probe_cmd" 2>&1)
check_eq "no /run/pam_ns: the session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "no /run/pam_ns: made on demand, root 0700, and the uid directory too" \
	"/run/pam_ns 0 700|/run/pam_ns/$uid 0 700" "$(printf '%s\n' "$out" | sed -n 's/^state=//p' | paste -sd'|')" "$out"
leftovers "/run variants" "$mark"

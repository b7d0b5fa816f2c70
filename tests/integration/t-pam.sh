#!/usr/bin/env bash
# The freshly built pam_ns.so driven through pam_start_confdir() (pam-drive)
# and through pamtester: isolation, exemption (PAM_IGNORE), a broken policy
# (PAM_SESSION_ERR, fail closed), teardown after close and after the caller
# dies, a hung, crashing or missing helper, and pam_nsctl check.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

group_add pamns-grp
user_add pamns-alice
user_add pamns-exempt
user_add pamns-carol pamns-grp
alice_uid=$(id -u pamns-alice)
carol_uid=$(id -u pamns-carol)

policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 16M

[group:pamns-grp]
hostname   = %u-%U

[user:pamns-exempt]
isolate    = no
EOF
policy "$PNS_T/broken.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc utz
EOF

# pam-drive calls pam_setcred, which runs the auth stack: give it one. These
# files live in pam-drive's confdir only, never in /etc/pam.d.
head='auth required pam_permit.so
account required pam_permit.so'
# plain: what an admin writes. strict: tells PAM_IGNORE (stack succeeds) from
# PAM_SUCCESS (die: "Permission denied") from an error.
{ echo "$head"; pam_ns_line; echo "session optional pam_permit.so"; } >"$PNS_T/pam.d/plain"
{
	echo "$head"
	echo "session [ignore=ignore success=die default=die] $PNS_MODULE $(pam_ns_args)"
	echo "session required pam_permit.so"
} >"$PNS_T/pam.d/strict"
{
	echo "$head"
	echo "session required $PNS_MODULE config=$PNS_T/broken.conf helper=$PNS_HELPER debug"
	echo "session optional pam_permit.so"
} >"$PNS_T/pam.d/broken"

host_mnt=$(host_ns mnt)
host_ipc=$(host_ns ipc)
host_uts=$(host_ns uts)
host_name=$(hostname)
mounts_before=$(mountinfo_lines 1)

# --- an isolated session ----------------------------------------------------
marker=pns-drive-$$-$RANDOM
out=$(pam_drive --service plain --rhost localhost pamns-alice -- sh -c "
	echo fstype=\$(findmnt -no FSTYPE /tmp)
	echo opts=\$(findmnt -no OPTIONS /tmp)
	echo mode=\$(stat -c %a /tmp)
	echo inner_mnt=\$(readlink /proc/self/ns/mnt)
	echo sock=\$(test -S $PNS_RUN_DIR/$alice_uid/user.sock && echo yes || echo no)
	echo secret >/tmp/$marker
	echo mine=\$(cat /tmp/$marker)
	echo host_sees=\$(test -e /proc/1/root/tmp/$marker && echo yes || echo no)
	echo hostname=\$(hostname)
" 2>&1)
rc=$?
check_eq "isolated user: pam_open_session succeeds" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
set_mnt=$(kv ns_mnt "$out")
check_ne "isolated user: caller is in a new mount namespace" "$host_mnt" "$set_mnt"
check_ne "isolated user: caller is in a new IPC namespace" "$host_ipc" "$(kv ns_ipc "$out")"
check_ne "isolated user: caller is in a new UTS namespace" "$host_uts" "$(kv ns_uts "$out")"
check_eq "isolated user: the session's command inherits the namespace" "$set_mnt" "$(kv inner_mnt "$out")"
check_eq "isolated user: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")"
opts=$(kv opts "$out")
if [[ ,$opts, == *,nosuid,* && ,$opts, == *,nodev,* && ,$opts, == *,size=16384k,* ]]; then
	pass "isolated user: /tmp is nosuid,nodev with tmp_size 16M"
else
	fail "isolated user: /tmp is nosuid,nodev with tmp_size 16M" "observed options: $opts"
fi
check_eq "isolated user: /tmp has mode 1777" 1777 "$(kv mode "$out")"
check_eq "isolated user: anchor socket exists while the session is open" yes "$(kv sock "$out")"
check_eq "isolated user: file written in private /tmp reads back" secret "$(kv mine "$out")"
check_eq "isolated user: host /tmp does not see the session's file" no "$(kv host_sees "$out")"
check_eq "isolated user: host name unchanged without a template" "$host_name" "$(kv hostname "$out")"
check_eq "isolated user: close_session succeeds" PAM_SUCCESS "$(kv close_rc "$out")"
check_eq "isolated user: pam-drive exits 0" 0 "$rc" "$out"
if wait_set_gone "$alice_uid" "$set_mnt"; then
	pass "isolated user: set torn down after close (no socket, no process left)"
else
	fail "isolated user: set torn down after close (no socket, no process left)" \
		"after ${PNS_WAIT}s: sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1); in ns: $(procs_in_ns mnt "$set_mnt" | xargs -r ps -o pid,user,args -p)"
fi
check_eq "isolated user: host /tmp never got the file" no "$(test -e "/tmp/$marker" && echo yes || echo no)"

# --- the caller dies without close_session ----------------------------------
out=$(pam_drive --service plain --no-close pamns-alice -- true 2>&1)
set_mnt=$(kv ns_mnt "$out")
check_eq "no close: open succeeds" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
if [ "$set_mnt" != "$host_mnt" ] && wait_set_gone "$alice_uid" "$set_mnt"; then
	pass "no close: anchor sees the caller exit and tears the set down"
else
	fail "no close: anchor sees the caller exit and tears the set down" \
		"ns $set_mnt; sockets after ${PNS_WAIT}s: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1)"
fi

# --- exempt user: PAM_IGNORE, caller untouched ------------------------------
out=$(pam_drive --service strict pamns-exempt -- true 2>&1)
check_eq "exempt user: module returns PAM_IGNORE (strict stack succeeds)" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "exempt user: caller stays in the host mount namespace" "$host_mnt" "$(kv ns_mnt "$out")"
check_eq "exempt user: caller stays in the host UTS namespace" "$host_uts" "$(kv ns_uts "$out")"
check_eq "exempt user: no set created" 0 "$(set_socket_count "$(id -u pamns-exempt)")"
out=$(pam_drive --service strict pamns-alice -- true 2>&1)
check_eq "isolated user: module returns PAM_SUCCESS, not PAM_IGNORE (strict stack dies)" \
	PAM_PERM_DENIED "$(kv open_rc "$out")" "$out"
wait_set_gone "$alice_uid" "$(kv ns_mnt "$out")"

# --- group host name ---------------------------------------------------------
out=$(pam_drive --service plain pamns-carol -- hostname 2>&1)
check_eq "group hostname: open succeeds" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "group hostname: %u-%U expands for the group member" "pamns-carol-$carol_uid" \
	"$(printf '%s\n' "$out" | grep -v '=' | head -n 1)" "$out"
check_eq "group hostname: host keeps its name" "$host_name" "$(hostname)"
wait_set_gone "$carol_uid" "$(kv ns_mnt "$out")"

# --- broken policy: PAM_SESSION_ERR, caller untouched, log says why --------
out=$(pam_drive --service broken --always-run pamns-alice -- readlink /proc/self/ns/mnt 2>&1)
check_eq "broken policy: open_session returns PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
check_eq "broken policy: caller stays in the host mount namespace" "$host_mnt" "$(kv ns_mnt "$out")"
check_eq "broken policy: caller stays in the host UTS namespace" "$host_uts" "$(kv ns_uts "$out")"
check_eq "broken policy: no set created" 0 "$(set_socket_count "$alice_uid")"
if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
	log=$(syslog_since_start | grep -F "$PNS_T/broken.conf")
	check_contains "broken policy: syslog names the file and line" "$log" "$PNS_T/broken.conf:3"
else
	skip "broken policy: syslog names the file and line" "no syslog to read"
fi
out=$("$PNS_NSCTL" check --config "$PNS_T/broken.conf" 2>&1)
check_eq "pam_nsctl check: broken policy exits 1" 1 "$?" "$out"
check_contains "pam_nsctl check: prints file:line" "$out" "$PNS_T/broken.conf:3:"
out=$("$PNS_NSCTL" check --config "$PNS_CONF" 2>&1)
check_eq "pam_nsctl check: valid policy exits 0" 0 "$?" "$out"

# --- the helper: hung, crashing, missing ------------------------------------
printf '#!/bin/sh\nexec sleep 3131\n' >"$PNS_T/bin/hang-helper"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$PNS_T/bin/crash-helper"
chmod 0755 "$PNS_T/bin/hang-helper" "$PNS_T/bin/crash-helper"
for h in hang crash missing; do
	{
		echo "$head"
		echo "session required $PNS_MODULE config=$PNS_CONF helper=$PNS_T/bin/$h-helper timeout=2 debug"
		echo "session optional pam_permit.so"
	} >"$PNS_T/pam.d/$h"
	out=$(pam_drive --service "$h" pamns-alice -- true 2>&1)
	check_eq "$h helper: login denied with PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
	check_eq "$h helper: caller stays in the host mount namespace" "$host_mnt" "$(kv ns_mnt "$out")"
done
check_eq "hung helper: no helper process left behind" "" \
	"$(procs_with_exe /usr/bin/sleep | xargs -r ps -o pid=,args= -p | grep -E "sleep 3131$")"

# --- pamtester ----------------------------------------------------------------
pt=pamnstest-pt-$$
# In /etc/pam.d, where any program could use them, the auth stack denies.
for s in plain broken strict; do
	sed 's/^auth required pam_permit.so$/auth required pam_deny.so/' "$PNS_T/pam.d/$s" >"$PNS_T/$s.etc"
done
pam_service "$pt" <"$PNS_T/plain.etc"
pam_service "$pt-broken" <"$PNS_T/broken.etc"
pam_service "$pt-strict" <"$PNS_T/strict.etc"
out=$(timeout 60 pamtester -v -I rhost=localhost "$pt" pamns-alice open_session close_session 2>&1)
rc=$?
check_eq "pamtester: isolated open_session close_session exits 0" 0 "$rc" "$out"
check_contains "pamtester: session opened" "$out" "successfully opened a session"
check_contains "pamtester: session closed" "$out" "session has successfully been closed"
if wait_set_gone "$alice_uid"; then
	pass "pamtester: set torn down after pamtester exits"
else
	fail "pamtester: set torn down after pamtester exits" "sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1)"
fi
out=$(timeout 60 pamtester -v -I rhost=localhost "$pt-strict" pamns-exempt open_session close_session 2>&1)
check_eq "pamtester: exempt user gets PAM_IGNORE (strict stack passes)" 0 "$?" "$out"
out=$(timeout 60 pamtester -v -I rhost=localhost "$pt-broken" pamns-alice open_session 2>&1)
rc=$?
check_ne "pamtester: broken policy fails open_session" 0 "$rc" "$out"
check_contains "pamtester: broken policy reports a session error" "$out" \
	"Cannot make/remove an entry for the specified session"

# --- nothing left ------------------------------------------------------------
wait_set_gone "$alice_uid"
wait_set_gone "$carol_uid"
check_eq "host mount table unchanged (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"
if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
	check_eq "close_session released every session without error (syslog)" "" \
		"$(syslog_since_start | grep -F 'Failed to release')"
fi

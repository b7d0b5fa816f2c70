#!/usr/bin/env bash
# pam_ns.so under valgrind, loaded by pam-drive and by pamtester: no memory
# errors, no definite leaks, no file descriptor left open by the module, on
# the exempt path, the broken-policy path and the isolated path.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
if ! command -v valgrind >/dev/null; then
	skip "valgrind" "valgrind is not installed (scripts/deps installs it)"
	exit 0
fi

user_add pamns-alice
user_add pamns-exempt
alice_uid=$(id -u pamns-alice)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts

[user:pamns-exempt]
isolate    = no
EOF
policy "$PNS_T/broken.conf" <<EOF
[default]
isolate = yes
shm     = sometimes
EOF
head='auth required pam_permit.so
account required pam_permit.so'
{ echo "$head"; pam_ns_line; echo "session optional pam_permit.so"; } >"$PNS_T/pam.d/plain"
{
	echo "$head"
	echo "session required $PNS_MODULE config=$PNS_T/broken.conf helper=$PNS_HELPER"
	echo "session optional pam_permit.so"
} >"$PNS_T/pam.d/broken"
host_mnt=$(host_ns mnt)

VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite --track-fds=yes
	--child-silent-after-fork=yes --trace-children=no)

# vg_check NAME LOG: no errors (definite leaks count as errors) and no open
# descriptor whose creation stack goes through pam_ns. glibc's syslog socket
# is not one: syslog() opens it on first use and keeps it for the process's
# later messages, whoever logged first (pam_syslog in any module).
vg_check() {
	local name=$1 log=$2 fds
	if grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		pass "$name: no memory errors or definite leaks"
	else
		fail "$name: no memory errors or definite leaks" "$(grep -E '^==[0-9]+==' "$log" | tail -n 40)"
	fi
	fds=$(awk '/^==[0-9]+== (Open|FILE DESCRIPTORS)/ { blk = $0; inblk = 1; next }
		inblk && /^==[0-9]+== *$/ { if (blk ~ /pam_ns\.so|pam_ns\.c:|session\.c:|fdutil\.c:/ && blk !~ /openlog_internal/) print blk; inblk = 0; next }
		inblk { blk = blk "\n" $0 }' "$log")
	check_eq "$name: no descriptor left open by the module" "" "$fds"
}

out=$(timeout 300 "${VG[@]}" --log-file="$PNS_T/vg-exempt.log" \
	"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service plain pamns-exempt -- true 2>&1)
check_eq "exempt user under valgrind: open succeeds" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
vg_check "exempt user under valgrind" "$PNS_T/vg-exempt.log"

out=$(timeout 300 "${VG[@]}" --log-file="$PNS_T/vg-broken.log" \
	"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service broken pamns-alice -- true 2>&1)
check_eq "broken policy under valgrind: PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
vg_check "broken policy under valgrind" "$PNS_T/vg-broken.log"

# The isolated path. Valgrind 3.19 (Debian 12) does not know pidfd_open,
# clone3 or the Landlock calls and makes them fail with ENOSYS: the module
# must then fail closed, cleanly. A valgrind that knows them must see a
# clean, isolated session. The stack says landlock=optional, so that a
# valgrind that knows pidfd_open but not Landlock still walks the whole
# isolated path (the default, landlock=required, is checked below).
{ echo "$head"; echo "session required $PNS_MODULE $(pam_ns_args) landlock=optional"; echo "session optional pam_permit.so"; } \
	>"$PNS_T/pam.d/nolandlock"
out=$(timeout 300 "${VG[@]}" --log-file="$PNS_T/vg-isolated.log" \
	"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service nolandlock pamns-alice -- readlink /proc/self/ns/mnt 2>&1)
if grep -q 'unhandled amd64-linux syscall: 434\|unhandled amd64-linux syscall: 435' "$PNS_T/vg-isolated.log"; then
	check_eq "isolated user under valgrind without pidfd_open: fails closed" PAM_SESSION_ERR \
		"$(kv open_rc "$out")" "$out"
	check_eq "isolated user under valgrind without pidfd_open: caller stays on the host" "$host_mnt" \
		"$(kv ns_mnt "$out")" "$out"
else
	check_eq "isolated user under valgrind: open succeeds" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_ne "isolated user under valgrind: isolated" "$host_mnt" "$(kv ns_mnt "$out")" "$out"
	check_eq "isolated user under valgrind: close succeeds" PAM_SUCCESS "$(kv close_rc "$out")" "$out"
fi
vg_check "isolated user under valgrind" "$PNS_T/vg-isolated.log"
wait_set_gone "$alice_uid"

# landlock=required: a valgrind without the Landlock calls fails closed.
out=$(timeout 300 "${VG[@]}" --log-file="$PNS_T/vg-landlock.log" \
	"$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service plain pamns-alice -- readlink /proc/self/ns/mnt 2>&1)
if grep -q 'unhandled amd64-linux syscall: 444' "$PNS_T/vg-landlock.log"; then
	check_eq "isolated user under valgrind without Landlock: fails closed" PAM_SESSION_ERR \
		"$(kv open_rc "$out")" "$out"
	check_eq "isolated user under valgrind without Landlock: caller stays on the host" "$host_mnt" \
		"$(kv ns_mnt "$out")" "$out"
else
	check_ne "isolated user under valgrind, landlock=required: isolated" "$host_mnt" "$(kv ns_mnt "$out")" "$out"
fi
vg_check "isolated user under valgrind, landlock=required" "$PNS_T/vg-landlock.log"
wait_set_gone "$alice_uid"

pt=pamnstest-vg-$$
pam_service "$pt" < <(sed 's/^auth required pam_permit.so$/auth required pam_deny.so/' "$PNS_T/pam.d/plain")
out=$(timeout 300 "${VG[@]}" --log-file="$PNS_T/vg-pamtester.log" \
	pamtester -I rhost=localhost "$pt" pamns-exempt open_session close_session 2>&1)
check_contains "pamtester under valgrind: exempt session opens" "$out" "successfully opened a session"
vg_check "pamtester under valgrind" "$PNS_T/vg-pamtester.log"

#!/usr/bin/env bash
# Fail closed over sshd: a broken policy (or an unsafe policy file) denies the
# logins it would have isolated, and the logs say why; fixing the policy lets
# them in again.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

user_add pamns-alice
alice_uid=$(id -u pamns-alice)

policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp_size   = 0x10
EOF
sshd_start internal

out=$("$PNS_NSCTL" check --config "$PNS_CONF" 2>&1)
check_eq "pam_nsctl check rejects the broken policy" 1 "$?" "$out"
check_contains "pam_nsctl check names file and line" "$out" "$PNS_CONF:4:"

marker=ran-$RANDOM
out=$(ssh_as pamns-alice "echo $marker" 2>&1)
rc=$?
check_not_contains "broken policy: the command does not run" "$out" "$marker"
check_ne "broken policy: ssh fails" 0 "$rc" "$out"
check_eq "broken policy: no set created" 0 "$(set_socket_count "$alice_uid")"
wait_until "$PNS_WAIT" grep -q 'pam_open_session' "$SSHD_LOG"
check_contains "broken policy: sshd logs the failed PAM session" "$(cat "$SSHD_LOG")" \
	"PAM: pam_open_session(): Cannot make/remove an entry for the specified session"
if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
	wait_until "$PNS_WAIT" sh -c "tail -n +$((PNS_SYSLOG_MARK + 1)) '$PNS_SYSLOG_FILE' | grep -q 'Policy problem'"
	log=$(syslog_since_start | grep -F pam_ns)
	check_contains "broken policy: syslog names the file and line" "$log" "$PNS_CONF:4"
	check_contains "broken policy: syslog says the session is denied" "$log" "Denying session for user pamns-alice"
else
	skip "broken policy: syslog says why" "no syslog to read"
fi

# sftp is denied too (internal-sftp runs in the session's child).
printf 'ls /tmp\n' >"$PNS_T/batch"
out=$(ssh_opts; timeout 60 sftp -b "$PNS_T/batch" "${SSH_OPTS[@]}" pamns-alice@127.0.0.1 2>&1)
check_ne "broken policy: sftp fails" 0 "$?" "$out"

# A policy file writable by others is refused the same way.
policy <<EOF
[default]
isolate = yes
EOF
chmod 0666 "$PNS_CONF"
out=$(ssh_as pamns-alice "echo $marker" 2>&1)
check_not_contains "world-writable policy: the command does not run" "$out" "$marker"
chmod 0644 "$PNS_CONF"

# Fixed policy: the same login works, isolated.
out=$(ssh_as pamns-alice "echo $marker; readlink /proc/self/ns/mnt" 2>&1)
check_eq "fixed policy: the command runs" "$marker" "$(printf '%s\n' "$out" | head -n 1)" "$out"
check_ne "fixed policy: the session is isolated" "$(host_ns mnt)" "$(printf '%s\n' "$out" | sed -n 2p)" "$out"
wait_set_gone "$alice_uid"

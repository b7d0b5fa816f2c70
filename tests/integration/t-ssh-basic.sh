#!/usr/bin/env bash
# A real OpenSSH sshd on 127.0.0.1 with pam_ns in its session stack:
# `ssh host cmd`, a pty login, sftp and scp (both the legacy scp protocol and
# scp over sftp), with internal-sftp and with /usr/lib/openssh/sftp-server.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

user_add pamns-alice
alice_uid=$(id -u pamns-alice)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 32M
EOF

host_mnt=$(host_ns mnt)
host_ipc=$(host_ns ipc)
host_uts=$(host_ns uts)
mounts_before=$(mountinfo_lines 1)
ssh_keygen_client

# --- ssh host cmd -------------------------------------------------------------
sshd_start internal
sshd_port_internal=$SSHD_PORT
marker=/tmp/pns-cmd-marker-$$-$RANDOM
defer rm -f "$marker" # only there if isolation failed
out=$(ssh_as pamns-alice 'echo user=$(id -un)
	echo mnt=$(readlink /proc/self/ns/mnt)
	echo ipc=$(readlink /proc/self/ns/ipc)
	echo uts=$(readlink /proc/self/ns/uts)
	echo fstype=$(findmnt -no FSTYPE /tmp)
	echo caps=$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status)
	echo x >'"$marker"' && echo wrote=yes' 2>&1)
rc=$?
check_eq "ssh cmd: exits 0" 0 "$rc" "$out"
check_eq "ssh cmd: runs as the user" pamns-alice "$(kv user "$out")" "$out"
mnt=$(kv mnt "$out")
check_ne "ssh cmd: private mount namespace" "$host_mnt" "$mnt" "$out"
check_ne "ssh cmd: private IPC namespace" "$host_ipc" "$(kv ipc "$out")" "$out"
check_ne "ssh cmd: private UTS namespace" "$host_uts" "$(kv uts "$out")" "$out"
check_eq "ssh cmd: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")" "$out"
check_eq "ssh cmd: no effective capabilities" 0000000000000000 "$(kv caps "$out")" "$out"
check_eq "ssh cmd: user can write the private /tmp" yes "$(kv wrote "$out")" "$out"
check_eq "ssh cmd: host /tmp does not get the file" no "$(test -e "$marker" && echo yes || echo no)"
if wait_set_gone "$alice_uid" "$mnt"; then
	pass "ssh cmd: set torn down after logout"
else
	fail "ssh cmd: set torn down after logout" "sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1)"
fi

# --- a pty: ssh -tt with a command, then an interactive login shell ---------
out=$(ssh_opts; timeout 60 ssh -tt "${SSH_OPTS[@]}" pamns-alice@127.0.0.1 \
	'echo tty=$(tty); echo mnt=$(readlink /proc/self/ns/mnt); echo fstype=$(findmnt -no FSTYPE /tmp)' \
	</dev/null 2>&1 | tr -d '\r')
check_contains "ssh -tt: gets a pty" "$(kv tty "$out")" /dev/pts/
check_ne "ssh -tt: private mount namespace" "$host_mnt" "$(kv mnt "$out")" "$out"
check_eq "ssh -tt: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")" "$out"
wait_set_gone "$alice_uid" "$(kv mnt "$out")"

cat >"$PNS_T/ssh-login.exp" <<'EOF'
set timeout 30
log_user 0
spawn -noecho ssh {*}[lrange $argv 0 end]
expect {
	-re {[$#] $} {}
	timeout { puts "no prompt"; exit 2 }
	eof { puts "ssh exited: $expect_out(buffer)"; exit 3 }
}
send -- "echo BEGIN_\$((6*7)); echo tty=\$(tty); echo mnt=\$(readlink /proc/self/ns/mnt); echo shell=\$0; echo fstype=\$(findmnt -no FSTYPE /tmp); echo END_\$((6*7))\r"
expect {
	-re {BEGIN_42\r?\n(.*)END_42} { puts -nonewline [string map {"\r" ""} $expect_out(1,string)] }
	timeout { puts "no output"; exit 4 }
}
send -- "exit\r"
expect eof
EOF
out=$(ssh_opts; timeout 90 expect -f "$PNS_T/ssh-login.exp" -- -t "${SSH_OPTS[@]}" pamns-alice@127.0.0.1 2>&1)
check_contains "interactive login: gets a pty" "$(kv tty "$out")" /dev/pts/
check_eq "interactive login: runs a login shell" -bash "$(kv shell "$out")" "$out"
check_ne "interactive login: private mount namespace" "$host_mnt" "$(kv mnt "$out")" "$out"
check_eq "interactive login: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")" "$out"
wait_set_gone "$alice_uid" "$(kv mnt "$out")"

# --- sftp and scp, against both sftp implementations -------------------------
sshd_start server
sshd_port_server=$SSHD_PORT
printf 'payload %s\n' "$RANDOM$RANDOM" >"$PNS_T/up.txt"
for variant in internal server; do
	eval "SSHD_PORT=\$sshd_port_$variant"
	ssh_opts
	tag="[$variant sftp]"
	fname=up-$variant-$$.txt
	if ! ssh_hold "$variant" pamns-alice; then
		fail "$tag hold a session" "$(cat "${HOLD_OUT[$variant]}")"
		continue
	fi
	held=${HOLD_NS[$variant]}
	check_ne "$tag held session is isolated" "$host_mnt" "$held"

	rm -f "$PNS_T/back.txt" "$PNS_T/back2.txt" "$PNS_T/back3.txt"
	printf 'put %s /tmp/%s\nls -1 /tmp\nget /tmp/%s %s\n' \
		"$PNS_T/up.txt" "$fname" "$fname" "$PNS_T/back.txt" >"$PNS_T/batch"
	out=$(timeout 60 sftp -b "$PNS_T/batch" "${SSH_OPTS[@]}" pamns-alice@127.0.0.1 2>&1)
	check_eq "$tag sftp put/ls/get exits 0" 0 "$?" "$out"
	check_contains "$tag sftp lists the file in /tmp" "$out" "$fname"
	check_eq "$tag sftp round trip keeps the content" "$(cat "$PNS_T/up.txt")" "$(cat "$PNS_T/back.txt" 2>&1)"
	seen=$(ssh_as pamns-alice "cat /tmp/$fname; echo mnt=\$(readlink /proc/self/ns/mnt)" 2>&1)
	check_eq "$tag file put by sftp is in the user's set /tmp" "$(cat "$PNS_T/up.txt")" \
		"$(printf '%s\n' "$seen" | head -n 1)" "$seen"
	check_eq "$tag ssh session joins the held set" "$held" "$(kv mnt "$seen")"
	check_eq "$tag host /tmp does not get the sftp upload" no \
		"$(test -e "/tmp/$fname" && echo yes || echo no)"

	out=$(timeout 60 scp -q "${SSH_OPTS[@]}" "$PNS_T/up.txt" "pamns-alice@127.0.0.1:/tmp/scp-$fname" 2>&1 &&
		timeout 60 scp -q "${SSH_OPTS[@]}" "pamns-alice@127.0.0.1:/tmp/scp-$fname" "$PNS_T/back2.txt" 2>&1)
	check_eq "$tag scp (sftp protocol) round trip" "$(cat "$PNS_T/up.txt")" "$(cat "$PNS_T/back2.txt" 2>&1)" "$out"
	out=$(timeout 60 scp -O -q "${SSH_OPTS[@]}" "$PNS_T/up.txt" "pamns-alice@127.0.0.1:/tmp/scpO-$fname" 2>&1 &&
		timeout 60 scp -O -q "${SSH_OPTS[@]}" "pamns-alice@127.0.0.1:/tmp/scpO-$fname" "$PNS_T/back3.txt" 2>&1)
	check_eq "$tag scp -O (legacy protocol) round trip" "$(cat "$PNS_T/up.txt")" "$(cat "$PNS_T/back3.txt" 2>&1)" "$out"
	seen=$(ssh_as pamns-alice "ls /tmp" 2>&1)
	check_contains "$tag scp uploads landed in the set's /tmp" "$seen" "scp-$fname"
	check_contains "$tag scp -O uploads landed in the set's /tmp" "$seen" "scpO-$fname"
	check_eq "$tag host /tmp does not get the scp uploads" no \
		"$(test -e "/tmp/scp-$fname" -o -e "/tmp/scpO-$fname" && echo yes || echo no)"

	ssh_release "$variant"
	if wait_set_gone "$alice_uid" "$held"; then
		pass "$tag set torn down after the last session"
	else
		fail "$tag set torn down after the last session" \
			"sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1); in ns: $(procs_in_ns mnt "$held" | xargs -r ps -o pid,user,args -p)"
	fi
done

check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

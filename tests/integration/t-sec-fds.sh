#!/usr/bin/env bash
# Security suite, descriptor leaks (SPEC 8.2, 8.5; catalogue row 14).
#
# The caller holds extra descriptors without close-on-exec (7 on
# /etc/passwd, 8 on /dev/null, 9 on a socket). Then:
# - the session's shell (ssh, su, su -) and pam-drive's command hold exactly
#   the descriptors they hold for an exempt user: pam_ns adds none, and none
#   of them is a pidfd, a namespace file or anything under /run/pam_ns;
#   over ssh that is 0, 1 and 2 only;
# - the PAM caller itself holds, after open_session, what it holds for an
#   exempt user;
# - the helper holds 0-2 on /dev/null and 3 (its socket), nothing else;
# - the anchor holds only /dev/null, /run/pam_ns and its uid directory,
#   /proc, sockets and pidfds: nothing of the caller's.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-fd
user_add pamns-sec-fdx
uid=$(id -u pamns-sec-fd)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M

[user:pamns-sec-fdx]
isolate    = no
EOF
probe=$(sec_probe)
mkdir -m 0700 "$PNS_T/rec"
sec_cc rec-helper rec-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DREC_DIR=\"$PNS_T/rec\""
rec_args="config=$PNS_CONF helper=$PNS_T/bin/rec-helper debug"
sec_stack drive "$rec_args"
sec_su_stack "$PNS_T/su.stack" "$rec_args"

# norm: fd lists without pipe/socket inode numbers and terminal names, sorted.
norm() { sed -E 's/(socket|pipe|anon_inode):\[[0-9]+\]/\1/; s#/dev/pts/[0-9]+#/dev/pts/N#' | sort -n -k2; }
# leaky: lines naming something of pam_ns's (pidfd, namespace, state).
leaky() { grep -E 'pidfd|(mnt|ipc|uts|user|net|pid|cgroup|time):\[|/run/pam_ns|/var/lib/pam_ns' || true; }

# Extra non-CLOEXEC descriptors, as a careless caller would have them.
exec 7</etc/passwd 8</dev/null
exec 9< <(sleep 120)
defer_eval "exec 7<&- 8<&- 9<&-"

# check_helper_fds TAG: every helper run recorded since the last call had
# fds 0-2 on /dev/null and 3 a socket, nothing else; forget the records.
check_helper_fds() {
	local f n=0 bad=
	for f in "$PNS_T"/rec/rec.*; do
		n=$((n + 1))
		got=$(grep '^fd ' "$f" | norm | paste -sd'|')
		[ "$got" = "fd 0 -> /dev/null|fd 1 -> /dev/null|fd 2 -> /dev/null|fd 3 -> socket" ] ||
			bad="$bad
$(basename "$f"): $got"
		rm -f "$f"
	done
	if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		pass "$1: the helper had fds 0-2 on /dev/null and 3 a socket only ($n runs)"
	else
		fail "$1: the helper had fds 0-2 on /dev/null and 3 a socket only" "runs: $n$bad"
	fi
}

# --- pam-drive: the command and the caller -----------------------------------------
for who in pamns-sec-fd pamns-sec-fdx; do
	out=$(pam_drive --service drive --as-user "$who" -- sh -c "'$probe' fds self" 2>&1)
	printf '%s\n' "$out" | grep '^fd ' | norm >"$PNS_T/cmd.$who"
	out=$(pam_drive --service drive "$who" -- sh -c "'$probe' fds \$PPID" 2>&1)
	printf '%s\n' "$out" | grep '^fd ' | norm >"$PNS_T/caller.$who"
	wait_set_gone "$uid"
done
check_contains "pam-drive: the plant took (the command inherits fd 7)" "$(cat "$PNS_T/cmd.pamns-sec-fdx")" "fd 7 -> /etc/passwd"
check_eq "pam-drive: the session's command holds what an exempt user's holds" \
	"$(cat "$PNS_T/cmd.pamns-sec-fdx")" "$(cat "$PNS_T/cmd.pamns-sec-fd")"
check_eq "pam-drive: nothing of pam_ns's in the command" "" "$(leaky <"$PNS_T/cmd.pamns-sec-fd")"
check_eq "pam-drive: the caller after open_session holds what it holds for an exempt user" \
	"$(cat "$PNS_T/caller.pamns-sec-fdx")" "$(cat "$PNS_T/caller.pamns-sec-fd")"
check_eq "pam-drive: nothing of pam_ns's left in the caller" "" "$(leaky <"$PNS_T/caller.pamns-sec-fd")"

check_helper_fds "pam-drive"

# --- the anchor ------------------------------------------------------------------------
if sec_hold a --service drive --as-user pamns-sec-fd -- sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'; then
	set_mnt=$(kv mnt "$(cat "${SEC_HOLD_OUT[a]}")")
	anchor=$(sec_anchors_in "$set_mnt")
	afds=$("$probe" fds "$anchor" | norm)
	check_ne "anchor: its descriptors can be listed (by root)" "" "$afds"
	note "anchor fds: $(paste -sd"," <<<"$afds")"
	# (/sets...: the set's cgroup and its parents, in the pam_ns cgroup
	# hierarchy, which the anchor opens as a mount attached nowhere)
	check_eq "anchor: only /dev/null, its state dirs, /proc, its cgroup, sockets and pidfds" "" \
		"$(grep -vE "^fd [0-9]+ -> (/dev/null|$PNS_RUN_DIR|$PNS_RUN_DIR/$uid|/proc|/sets|/sets/$uid|/sets/$uid/[0-9a-f]{16}|socket|anon_inode:\[pidfd\])$" <<<"$afds")" "$afds"
	bad=
	for f in $(sed -n 's|^fd \([0-9]*\) -> /sets.*|\1|p' <<<"$afds"); do
		t="$(stat -L -f -c %T "/proc/$anchor/fd/$f") $(stat -L -c %F "/proc/$anchor/fd/$f")"
		[ "$t" = "cgroupfs directory" ] || bad="$bad fd $f: $t;"
	done
	check_eq "anchor: its /sets descriptors are directories of the cgroup hierarchy" "" "$bad" "$afds"
	check_eq "anchor: stdio is /dev/null" "fd 0 -> /dev/null|fd 1 -> /dev/null|fd 2 -> /dev/null" \
		"$(grep -E '^fd [012] ' <<<"$afds" | paste -sd'|')" "$afds"
	sec_release a
	wait_set_gone "$uid" "$set_mnt"
else
	fail "anchor: hold a session" "$(cat "${SEC_HOLD_OUT[a]}")"
fi

# --- su and su - ------------------------------------------------------------------------
for mode in su su-l; do
	for who in pamns-sec-fd pamns-sec-fdx; do
		[ $mode = su ] && args=(su "$who" -c) || args=(su - "$who" -c)
		out=$(in_stack "$PNS_T/su.stack" "${args[@]}" "'$probe' fds \$\$; true" 2>&1)
		printf '%s\n' "$out" | grep '^fd ' | norm >"$PNS_T/su.$who"
		wait_set_gone "$uid"
	done
	check_contains "$mode: the plant took (the exempt shell inherits fd 7)" "$(cat "$PNS_T/su.pamns-sec-fdx")" "fd 7 -> /etc/passwd"
	check_eq "$mode: the shell holds what an exempt user's shell holds" \
		"$(cat "$PNS_T/su.pamns-sec-fdx")" "$(cat "$PNS_T/su.pamns-sec-fd")"
	check_eq "$mode: nothing of pam_ns's in the shell" "" "$(leaky <"$PNS_T/su.pamns-sec-fd")"
	check_helper_fds "$mode"
done

# --- ssh ---------------------------------------------------------------------------------
SSHD_STACK=$PNS_T/sshd.stack
{
	echo "auth     optional   $PNS_MODULE $rec_args"
	echo "auth     required   pam_permit.so"
	echo "account  required   pam_permit.so"
	echo "password required   pam_deny.so"
	echo "session  required   $PNS_MODULE $rec_args"
	echo "session  optional   pam_permit.so"
} >"$SSHD_STACK"
sshd_start internal
for who in pamns-sec-fd pamns-sec-fdx; do
	ssh_as "$who" "'$probe' fds \$\$; true" 2>&1 | grep '^fd ' | norm >"$PNS_T/ssh.$who"
	out=$(ssh_opts; timeout 60 ssh -tt "${SSH_OPTS[@]}" "$who@127.0.0.1" "'$probe' fds \$\$; true" </dev/null 2>&1 | tr -d '\r')
	printf '%s\n' "$out" | grep '^fd ' | norm >"$PNS_T/sshpty.$who"
	wait_set_gone "$uid"
done
check_eq "ssh: the shell holds exactly 0, 1 and 2" "0 1 2" "$(awk '{ print $2 }' "$PNS_T/ssh.pamns-sec-fd" | paste -sd' ')" \
	"$(cat "$PNS_T/ssh.pamns-sec-fd")"
check_eq "ssh: the same as an exempt user's shell" "$(cat "$PNS_T/ssh.pamns-sec-fdx")" "$(cat "$PNS_T/ssh.pamns-sec-fd")"
check_eq "ssh -tt: the shell holds exactly 0, 1 and 2" "0 1 2" "$(awk '{ print $2 }' "$PNS_T/sshpty.pamns-sec-fd" | paste -sd' ')" \
	"$(cat "$PNS_T/sshpty.pamns-sec-fd")"
check_eq "ssh -tt: the same as an exempt user's shell" "$(cat "$PNS_T/sshpty.pamns-sec-fdx")" "$(cat "$PNS_T/sshpty.pamns-sec-fd")"
check_helper_fds "ssh"

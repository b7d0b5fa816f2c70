#!/usr/bin/env bash
# Security suite, the policy file as the module meets it (SPEC 5, 8.1;
# catalogue rows 20-24). The parser's own cases are unit tests
# (tests/unit/test-policy-*.c) and fuzzing (tests/fuzz); here, as root and
# through PAM:
# - a symlinked, group- or world-writable, non-root, FIFO, directory or
#   missing policy file, a policy in a world-writable (even sticky) or
#   symlinked directory, a symlinked or loose drop-in directory or file: the
#   module denies every session (exempt users too: a broken policy cannot
#   say who is exempt), with PAM_SESSION_ERR, no crash and no hang;
# - nothing of a broken policy reaches the user: a marker placed in bad
#   lines (iniparser hazards included: a line over 1 KiB, a key named after a
#   section, a NUL byte, a BOM) never shows on su's terminal (script(1)
#   transcript) nor through the PAM conversation.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-cf
user_add pamns-sec-cfx
uid=$(id -u pamns-sec-cf)
good() {
	cat <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M

[user:pamns-sec-cfx]
isolate    = no
EOF
}
good | policy
out=$(sec_stack ok "config=$PNS_CONF helper=$PNS_HELPER debug"; pam_drive --service ok pamns-sec-cf -- true 2>&1)
check_eq "sanity: the good policy isolates" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_ne "sanity: ... in a set" "$(host_ns mnt)" "$(kv ns_mnt "$out")" "$out"
wait_set_gone "$uid"

C=$PNS_T/cases
mkdir -m 0755 "$C"
n=0
# bad_case NAME SETUP-COMMANDS: SETUP makes $dir/pam_ns.conf (and what goes
# with it) in a fresh root-owned directory $dir; both users must be denied.
bad_case() {
	local name=$1 setup=$2 who out
	n=$((n + 1))
	dir=$C/$n
	mkdir -m 0755 "$dir"
	eval "$setup"
	sec_stack "bad$n" "config=$dir/pam_ns.conf helper=$PNS_HELPER timeout=3 debug"
	for who in pamns-sec-cf pamns-sec-cfx; do
		out=$(pam_drive --service "bad$n" "$who" -- true 2>&1)
		check_eq "$name: $who denied with PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
		check_eq "$name: $who's caller stays in its mount namespace" "$(host_ns mnt)" "$(kv ns_mnt "$out")" "$out"
	done
	check_eq "$name: no set made" 0 "$(set_socket_count "$uid")"
}

bad_case "symlinked policy file" 'good >"$dir/real.conf"; chmod 0644 "$dir/real.conf"; ln -s real.conf "$dir/pam_ns.conf"'
bad_case "symlink to a good policy elsewhere" 'ln -s "$PNS_CONF" "$dir/pam_ns.conf"'
bad_case "group-writable policy file" 'good >"$dir/pam_ns.conf"; chmod 0664 "$dir/pam_ns.conf"'
bad_case "world-writable policy file" 'good >"$dir/pam_ns.conf"; chmod 0666 "$dir/pam_ns.conf"'
bad_case "policy file owned by the user" 'good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"; chown pamns-sec-cf "$dir/pam_ns.conf"'
bad_case "FIFO as the policy file (no hang)" 'mkfifo -m 0644 "$dir/pam_ns.conf"'
bad_case "directory as the policy file" 'mkdir -m 0755 "$dir/pam_ns.conf"'
bad_case "missing policy file" ':'
bad_case "policy in a world-writable directory" 'chmod 0777 "$dir"; good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"'
bad_case "policy in a sticky world-writable directory" 'chmod 1777 "$dir"; good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"'
bad_case "policy in a directory owned by the user" 'chown pamns-sec-cf "$dir"; good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"'
n=$((n + 1))
dir=$C/$n
mkdir -m 0755 "$dir" "$dir/real"
good >"$dir/real/pam_ns.conf"
chmod 0644 "$dir/real/pam_ns.conf"
ln -s real "$dir/link"
sec_stack "bad$n" "config=$dir/link/pam_ns.conf helper=$PNS_HELPER timeout=3 debug"
for who in pamns-sec-cf pamns-sec-cfx; do
	out=$(pam_drive --service "bad$n" "$who" -- true 2>&1)
	check_eq "policy path through a symlinked directory: $who denied" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
done
bad_case "drop-in directory is a symlink" 'good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"; mkdir -m 0755 "$dir/d"; ln -s d "$dir/pam_ns.conf.d"'
bad_case "drop-in directory is group-writable" 'good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"; mkdir -m 0775 "$dir/pam_ns.conf.d"'
bad_case "drop-in file is world-writable" 'good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"; mkdir -m 0755 "$dir/pam_ns.conf.d"; echo "[default]" >"$dir/pam_ns.conf.d/a.conf"; chmod 0666 "$dir/pam_ns.conf.d/a.conf"'
bad_case "drop-in file is a FIFO" 'good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"; mkdir -m 0755 "$dir/pam_ns.conf.d"; mkfifo -m 0644 "$dir/pam_ns.conf.d/a.conf"'
bad_case "drop-in file is a symlink" 'good >"$dir/pam_ns.conf"; chmod 0644 "$dir/pam_ns.conf"; mkdir -m 0755 "$dir/pam_ns.conf.d"; ln -s "$PNS_CONF" "$dir/pam_ns.conf.d/a.conf"'

# --- nothing of a broken policy reaches the user's terminal -------------------------
marker=SECMARK$RANDOM$RANDOM
broken=$PNS_T/broken
mkdir -m 0755 "$broken"
i=0
for body in \
	"[default]
isolate = yes
$marker = [[[" \
	"[default]
isolate = perhaps-$marker" \
	"[default]
isolate = yes
hostname = $marker$(printf 'x%.0s' $(seq 1 1100))" \
	"[isolate]
$marker = 1
[default]
isolate = yes" \
	"[user:$marker
isolate = yes" \
	"$(printf '\357\273\277')[default]
isolate = yes
tmp = $marker"; do
	i=$((i + 1))
	printf '%s\n' "$body" >"$broken/$i.conf"
	chmod 0644 "$broken/$i.conf"
done
i=$((i + 1))
printf '[default]\nisolate = yes\ntmp = tmp\0%s\n' "$marker" >"$broken/$i.conf"
chmod 0644 "$broken/$i.conf"
# Control: with a good policy the same su runs the command, and script(1)
# records it.
sec_su_stack "$broken/good.stack" "config=$PNS_CONF helper=$PNS_HELPER debug"
in_stack "$broken/good.stack" script -qec "su - pamns-sec-cf -c 'echo ran-\$((6*7))-anyway'" "$PNS_T/transcript.good" >/dev/null 2>&1 </dev/null
check_contains "control: with the good policy the transcript shows the command's output" "$(cat "$PNS_T/transcript.good")" "ran-42-anyway"
wait_set_gone "$uid"
for f in "$broken"/*.conf; do
	base=$(basename "$f" .conf)
	sec_su_stack "$broken/$base.stack" "config=$f helper=$PNS_HELPER debug"
	transcript=$PNS_T/transcript.$base
	in_stack "$broken/$base.stack" script -qec "su - pamns-sec-cf -c 'echo ran-\$((6*7))-anyway'" "$transcript" >/dev/null 2>&1 </dev/null
	check_contains "broken policy $base: su refuses the session" "$(cat "$transcript")" "cannot open session"
	check_not_contains "broken policy $base: the command does not run" "$(cat "$transcript")" "ran-42-anyway"
	check_not_contains "broken policy $base: nothing of the policy on su's terminal" "$(cat "$transcript")" "$marker"
	sec_stack "broken$base" "config=$f helper=$PNS_HELPER debug"
	out=$(pam_drive --service "broken$base" pamns-sec-cf -- true 2>&1)
	check_eq "broken policy $base: PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
	check_not_contains "broken policy $base: nothing of the policy through the PAM conversation" "$out" "$marker"
done

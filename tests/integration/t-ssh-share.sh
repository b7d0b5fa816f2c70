#!/usr/bin/env bash
# Sets shared by a user's sessions (share = user): two concurrent sessions
# share /tmp, tmux left running keeps the set and is found again after a new
# login, 20 parallel logins make exactly one set, and after everyone has left
# the host's mount table is back to its size and nothing is left running.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

user_add pamns-alice
user_add pamns-erin
alice_uid=$(id -u pamns-alice)
erin_uid=$(id -u pamns-erin)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
share      = user
EOF

host_mnt=$(host_ns mnt)
mounts_before_1=$(mountinfo_lines 1)
mounts_before_self=$(mountinfo_lines self)
sshd_start internal

# --- two concurrent sessions share /tmp -------------------------------------------
ssh_hold one pamns-alice || fail "hold first session" "$(cat "${HOLD_OUT[one]}")"
ssh_hold two pamns-alice || fail "hold second session" "$(cat "${HOLD_OUT[two]}")"
check_ne "first session is isolated" "$host_mnt" "${HOLD_NS[one]}"
check_eq "two concurrent sessions: same mount namespace" "${HOLD_NS[one]}" "${HOLD_NS[two]}"
word=shared-$RANDOM
ssh_as pamns-alice "echo $word >/tmp/shared.txt" >/dev/null 2>&1
out=$(ssh_as pamns-alice 'cat /tmp/shared.txt' 2>&1)
check_eq "two concurrent sessions: a file written in one is read in another" "$word" "$out"
check_eq "two concurrent sessions: one anchor socket" 1 "$(set_socket_count "$alice_uid")"
ssh_release one
out=$(ssh_as pamns-alice 'cat /tmp/shared.txt; readlink /proc/self/ns/mnt' 2>&1)
check_eq "after one of two sessions ends, the other keeps the set" "$word
${HOLD_NS[two]}" "$out"
set_ns=${HOLD_NS[two]}
ssh_release two
if wait_set_gone "$alice_uid" "$set_ns"; then
	pass "set torn down once both sessions ended"
else
	fail "set torn down once both sessions ended" "sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1)"
fi

# --- tmux left running, found again after re-login ----------------------------
out=$(ssh_as pamns-alice 'TERM=xterm tmux -S /tmp/t new -d -s keep "sleep 3600"
	echo word=$(echo tmux-kept > /tmp/tmux-word && cat /tmp/tmux-word)
	echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
tmux_ns=$(kv mnt "$out")
check_ne "tmux: first login is isolated" "$host_mnt" "$tmux_ns" "$out"
# Wait (bounded) until the login itself is gone and only tmux holds the set.
_only_tmux_left() {
	! procs_in_ns mnt "$tmux_ns" | xargs -r ps -o comm= -p | grep -qvE '^(tmux.*|sleep|pam_ns-.*)$'
}
wait_until "$PNS_WAIT" _only_tmux_left ||
	fail "tmux: the first login ends" "$(procs_in_ns mnt "$tmux_ns" | xargs -r ps -o pid,user,args -p)"
check_eq "tmux: set kept after logout while tmux runs" 1 "$(set_socket_count "$alice_uid")"
out=$(ssh_as pamns-alice 'echo ls=$(TERM=xterm tmux -S /tmp/t ls 2>&1)
	echo word=$(cat /tmp/tmux-word)
	echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
check_contains "tmux: re-login finds the tmux session" "$(kv ls "$out")" "keep:"
check_eq "tmux: re-login finds the files in /tmp" tmux-kept "$(kv word "$out")" "$out"
check_eq "tmux: re-login lands in the same set" "$tmux_ns" "$(kv mnt "$out")" "$out"
ssh_as pamns-alice 'TERM=xterm tmux -S /tmp/t kill-server' >/dev/null 2>&1
if wait_set_gone "$alice_uid" "$tmux_ns"; then
	pass "tmux: set torn down once tmux exits"
else
	fail "tmux: set torn down once tmux exits" "sockets: $(ls "$PNS_RUN_DIR/$alice_uid" 2>&1); in ns: $(procs_in_ns mnt "$tmux_ns" | xargs -r ps -o pid,user,args -p)"
fi

# --- 20 parallel logins make one set ----------------------------------------------
N=20
fifo=$PNS_T/par.fifo
mkfifo -m 0600 "$fifo"
exec {parfd}<>"$fifo"
ssh_opts
pids=()
for i in $(seq 1 $N); do
	(
		_pns_close_hold_fds
		exec {parfd}>&-
		exec timeout 120 ssh "${SSH_OPTS[@]}" pamns-erin@127.0.0.1 \
			'echo "mnt=$(readlink /proc/self/ns/mnt)"; echo ready; exec cat >/dev/null'
	) <"$fifo" >"$PNS_T/par.out.$i" 2>&1 &
	pids+=($!)
done
defer_eval "kill ${pids[*]} 2>/dev/null"
_all_ready() {
	local i
	for i in $(seq 1 $N); do grep -qx ready "$PNS_T/par.out.$i" || return 1; done
}
if wait_until 90 _all_ready; then
	pass "20 parallel logins: all $N sessions opened"
else
	fail "20 parallel logins: all $N sessions opened" \
		"$(for i in $(seq 1 $N); do printf '%s: %s\n' "$i" "$(tr '\n' ' ' <"$PNS_T/par.out.$i")"; done)"
fi
inodes=$(cat "$PNS_T"/par.out.* | sed -n 's/^mnt=//p' | sort | uniq -c)
n_inodes=$(cat "$PNS_T"/par.out.* | sed -n 's/^mnt=//p' | sort -u | wc -l)
check_eq "20 parallel logins: every session has the same mount namespace" 1 "$n_inodes" "$inodes"
par_ns=$(cat "$PNS_T"/par.out.* | sed -n 's/^mnt=//p' | head -n 1)
check_ne "20 parallel logins: and it is not the host's" "$host_mnt" "$par_ns"
check_eq "20 parallel logins: one anchor socket" 1 "$(set_socket_count "$erin_uid")" \
	"$(ls -l "$PNS_RUN_DIR/$erin_uid" 2>&1)"
_one_anchor() { [ "$(procs_with_exe "$PNS_HELPER" | wc -l)" -eq 1 ]; }
wait_until 10 _one_anchor
check_eq "20 parallel logins: one anchor process" 1 "$(procs_with_exe "$PNS_HELPER" | wc -l)" \
	"$(procs_with_exe "$PNS_HELPER" | xargs -r ps -o pid,ppid,user,args -p)"
n_sshd_in=$(procs_in_ns mnt "$par_ns" | xargs -r ps -o comm= -p | grep -c '^cat$')
check_eq "20 parallel logins: all $N shells are in the set" "$N" "$n_sshd_in"
exec {parfd}>&-
for p in "${pids[@]}"; do
	wait_until 30 sh -c "! kill -0 $p 2>/dev/null" || kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
if wait_set_gone "$erin_uid" "$par_ns"; then
	pass "20 parallel logins: set torn down after all $N log out"
else
	fail "20 parallel logins: set torn down after all $N log out" \
		"sockets: $(ls "$PNS_RUN_DIR/$erin_uid" 2>&1); in ns: $(procs_in_ns mnt "$par_ns" | xargs -r ps -o pid,user,args -p)"
fi

# --- the host after everyone has left -------------------------------------------------
check_eq "no anchor left running" 0 "$(procs_with_exe "$PNS_HELPER" | wc -l)" \
	"$(procs_with_exe "$PNS_HELPER" | xargs -r ps -o pid,ppid,user,args -p)"
check_eq "host mount table back to its size (PID 1)" "$mounts_before_1" "$(mountinfo_lines 1)" \
	"$(diff <(sort /proc/1/mountinfo) <(sort /proc/self/mountinfo) | head)"
check_eq "host mount table back to its size (this shell)" "$mounts_before_self" "$(mountinfo_lines self)"

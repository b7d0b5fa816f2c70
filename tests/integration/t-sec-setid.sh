#!/usr/bin/env bash
# Security suite, set names and session ids (issue 11, finding 4).
#
# Sets were named after the helper's pid (session-PID.sock) and sessions
# numbered from 1 in every set. Once pids wrap, a new helper took a live
# set's name. Each part below failed before sets had random ids:
#
# - A RELEASE meant for a set whose anchor is gone (killed) reaches the set
#   now answering at the same name, and must not end its session 1.
# - An anchor whose socket and uid directory were removed under it (what
#   a colliding helper and the other set's teardown did) must still tear
#   down once its set is empty: before, it waited for a lock file that was
#   gone, waking every 100 ms, forever.
# - A share = session login while live sockets sit at every name the
#   helper's pid could give it (ns_last_pid steers the next pids into that
#   range): the helper must not unlink any of them.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

nsctl() { timeout 60 "$PNS_NSCTL" "$@"; }

# sets_json UID EXPR: EXPR over the uid's live sets (python, s = the list).
sets_json() {
	nsctl list --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [x for x in d["sets"] if x["uid"] == int(sys.argv[1])]
print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

user_add pamns-sec-sid
uid=$(id -u pamns-sec-sid)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
EOF
policy "$PNS_T/session.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
share      = session
EOF
for svc in user session; do
	conf=$PNS_CONF
	[ "$svc" = session ] && conf=$PNS_T/session.conf
	{
		echo "auth     required pam_permit.so"
		echo "account  required pam_permit.so"
		echo "session  required $PNS_MODULE config=$conf helper=$PNS_HELPER debug"
	} >"$PNS_T/pam.d/$svc"
	chmod 0644 "$PNS_T/pam.d/$svc"
done

# hold NAME SERVICE: a session that stays open (its caller, pam-drive, lives
# in the set) until release NAME; its output in $PNS_T/hold.NAME.
declare -A HFD=() HPID=()
hold() {
	local fifo=$PNS_T/hold.$1.fifo fd
	mkfifo -m 0600 "$fifo"
	exec {fd}<>"$fifo"
	(
		# Only the test holds a session's fifo open: no other session may
		# keep it from ending.
		exec {fd}>&-
		for o in "${HFD[@]}"; do exec {o}>&-; done
		exec timeout 300 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service "$2" pamns-sec-sid -- \
			sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'
	) <"$fifo" >"$PNS_T/hold.$1" 2>&1 &
	HFD[$1]=$fd
	HPID[$1]=$!
	defer_eval "kill ${HPID[$1]} 2>/dev/null"
	wait_until 30 grep -qx ready "$PNS_T/hold.$1"
}
release() { # NAME: end the session; false if it did not end
	local fd=${HFD[$1]}
	unset "HFD[$1]"
	exec {fd}>&-
	wait_until 30 sh -c "! kill -0 ${HPID[$1]} 2>/dev/null" || return 1
	wait "${HPID[$1]}" 2>/dev/null
	grep -q '^close_rc=' "$PNS_T/hold.$1"
}

# --- an old RELEASE and the set that now has the name ------------------------
if hold a user; then
	old_anchor=$(sets_json "$uid" 's[0]["anchor_pid"] if len(s) == 1 else "none"')
	old_mnt=$(kv mnt "$(cat "$PNS_T/hold.a")")
	if [ "$old_anchor" -gt 1 ] 2>/dev/null; then
		# The anchor dies (an admin's kill -9, an OOM kill); its session's
		# caller lives on, and will send RELEASE for session 1 of user.sock.
		kill -KILL "$old_anchor"
		wait_until 10 sh -c "! kill -0 $old_anchor 2>/dev/null"
		if hold b user; then
			new_mnt=$(kv mnt "$(cat "$PNS_T/hold.b")")
			check_ne "after the anchor was killed, a login makes another set" "$old_mnt" "$new_mnt"
			check_eq "the new set has one session" 1 "$(sets_json "$uid" 's[0]["sessions"] if len(s) == 1 else s')"
			# Its close_session sends RELEASE to user.sock: the new set.
			if release a; then
				pass "the old session closes"
			else
				fail "the old session closes" "$(cat "$PNS_T/hold.a")"
			fi
			check_eq "the old session's RELEASE does not end the new set's session" 1 \
				"$(sets_json "$uid" 's[0]["sessions"] if len(s) == 1 else s')"
			release b
			if wait_set_gone "$uid"; then
				pass "the new set goes when its own session ends"
			else
				fail "the new set goes when its own session ends" "$(ls -l "$PNS_RUN_DIR/$uid" 2>&1)"
			fi
		else
			fail "a second login opens" "$(cat "$PNS_T/hold.b")"
			release a
		fi
	else
		fail "the first set's anchor is listed" "$old_anchor"
		release a
	fi
else
	fail "a held login opens" "$(cat "$PNS_T/hold.a")"
fi

# --- an anchor whose socket and directory went from under it -----------------
if hold c session; then
	anchor=$(sets_json "$uid" 's[0]["anchor_pid"] if len(s) == 1 else "none"')
	if [ "$anchor" -gt 1 ] 2>/dev/null; then
		# What a helper that reused the name, and the teardown of its set,
		# left behind: no socket, no lock file, no uid directory.
		rm -rf --one-file-system "${PNS_RUN_DIR:?}/$uid"
		release c || fail "the share = session login closes" "$(cat "$PNS_T/hold.c")"
		if wait_until "$PNS_WAIT" sh -c "! kill -0 $anchor 2>/dev/null"; then
			pass "an anchor whose socket and directory were removed tears down once empty"
		else
			fail "an anchor whose socket and directory were removed tears down once empty" \
				"anchor $anchor still runs: $(grep -E '^(State|voluntary)' "/proc/$anchor/status" 2>/dev/null)"
			kill -KILL "$anchor" 2>/dev/null
		fi
		check_contains "its log line says its socket was gone" "$(syslog_since_start)" \
			"its socket was no longer in $PNS_RUN_DIR/$uid"
	else
		fail "the session set's anchor is listed" "$anchor"
		release c
	fi
else
	fail "a held share = session login opens" "$(cat "$PNS_T/hold.c")"
fi
wait_set_gone "$uid"

# --- live sockets at every name the helper's pid could give -----------------
# A fake anchor: root's, listening, at session-N.sock for 60 pids N (fewer
# than the 64-set limit, so older helpers counted them and went on).
# ns_last_pid then makes the next pids start at the first N. Bounded: at
# most 5 tries, each one login.
[ -d "$PNS_RUN_DIR" ] || mkdir -m 0700 "$PNS_RUN_DIR"
[ -d "$PNS_RUN_DIR/$uid" ] || mkdir -m 0700 "$PNS_RUN_DIR/$uid"
fakes=$PNS_T/fakes.py
cat >"$fakes" <<'EOF'
import os, socket, sys
d, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for pid in range(first, first + n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(os.path.join(d, "session-%d.sock" % pid))
    s.listen(8)
    socks.append(s)
print("ready", flush=True)
sys.stdin.read()
for pid in range(first, first + n):
    try:
        os.unlink(os.path.join(d, "session-%d.sock" % pid))
    except FileNotFoundError:
        pass
EOF
steered=no
for try in 1 2 3 4 5; do
	first=$(($(cat /proc/sys/kernel/ns_last_pid) + 200))
	exec {ffd}> >(exec python3 "$fakes" "$PNS_RUN_DIR/$uid" "$first" 60 >"$PNS_T/fakes.out" 2>&1)
	fpid=$!
	wait_until 10 grep -qx ready "$PNS_T/fakes.out"
	before=$(find "$PNS_RUN_DIR/$uid" -name 'session-*.sock' -printf '%f %i\n' | sort)
	echo $((first - 1)) >/proc/sys/kernel/ns_last_pid
	out=$(pam_drive --service session pamns-sec-sid -- true 2>&1)
	last=$(cat /proc/sys/kernel/ns_last_pid)
	after=$(find "$PNS_RUN_DIR/$uid" -name 'session-*.sock' -printf '%f %i\n' | sort)
	missing=$(comm -23 <(echo "$before") <(echo "$after"))
	exec {ffd}>&-
	wait_until 10 sh -c "! kill -0 $fpid 2>/dev/null"
	# Every pid handed out since the write is in the range: so was the helper's.
	if [ "$last" -ge "$first" ] && [ "$last" -lt $((first + 60)) ]; then
		steered=yes
		check_eq "a login while live sockets hold every name its helper's pid gives: opens" \
			PAM_SUCCESS "$(kv open_rc "$out")" "$out"
		check_eq "... and no live socket was removed or replaced" "" "$missing"
		break
	fi
	note "try $try: other processes took pids $first..$last; again"
done
[ "$steered" = yes ] || fail "steer the helper's pid into the range of live names" "5 tries, the host forks too much"
wait_set_gone "$uid"
rm -f "$PNS_RUN_DIR/$uid/lock"
rmdir "$PNS_RUN_DIR/$uid" 2>/dev/null || true

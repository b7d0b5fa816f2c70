#!/usr/bin/env bash
# 100 ssh login/logout cycles of one user, one after the other: every login
# is isolated, and afterwards no pam_ns unit, socket, anchor or mount is
# left, and logind has no session of the user.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-ann
n=${PNS_RIG_CYCLES:-100}
mounts0=$(probe mounts)
pid1_mnt=$(ct readlink /proc/1/ns/mnt)

# With "debug" on the session line the module logs what each move of an
# anchor into its unit cost: noted below, not judged.
ct cp /etc/pam.d/sshd /etc/pam.d/.sshd.rig-cycles
defer_eval "ct mv /etc/pam.d/.sshd.rig-cycles /etc/pam.d/sshd"
ct sed -i 's/^\(session[[:space:]].*pam_ns\.so.*\)$/\1 debug/' /etc/pam.d/sshd
cursor=$(ct journalctl -q -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')

start=$SECONDS
# The loop runs inside, in one process: its cost is the logins'.
out=$(ct bash -c '
	ok=0
	for i in $(seq "$1"); do
		m=$(ssh -i /root/.ssh/rig -o BatchMode=yes -o StrictHostKeyChecking=no \
			-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20 \
			"$2@127.0.0.1" "readlink /proc/self/ns/mnt" 2>&1)
		if [ -n "$m" ] && [ "$m" != "$3" ] && [ "${m#mnt:}" != "$m" ]; then
			ok=$((ok + 1))
		else
			echo "cycle $i: $m"
		fi
	done
	echo "isolated=$ok"' rig "$n" "$u" "$pid1_mnt" 2>&1)
note "time: $n cycles in $((SECONDS - start)) s"
moves=$(ct journalctl -q -o cat --no-pager --after-cursor="$cursor" -t sshd |
	sed -n 's/.*anchor moved to pam_ns-.* in \([0-9]*\) us$/\1/p' | sort -n)
if [ -n "$moves" ]; then
	k=$(printf '%s\n' "$moves" | wc -l)
	note "moves of an anchor into its unit: $k, median $(printf '%s\n' "$moves" | sed -n "$(((k + 1) / 2))p") us," \
		"p90 $(printf '%s\n' "$moves" | sed -n "$(((k * 9 + 9) / 10))p") us, max $(printf '%s\n' "$moves" | tail -n 1) us"
fi
check_ne "cycles: new sets got their unit (the debug line)" "" "$moves"
check_eq "cycles: all $n logins ran isolated" "$n" "$(kv isolated "$out")" "$(printf '%s\n' "$out" | head -n 5)"
check_all_gone "cycles: after $n cycles" "$uid" "$mounts0"
user_sessions() { ct loginctl list-sessions --no-legend | awk -v u="$u" '$3 == u'; }
wait_until "$PNS_WAIT" eval '[ -z "$(user_sessions)" ]'
check_eq "cycles: logind has no session of $u left" "" "$(user_sessions)"

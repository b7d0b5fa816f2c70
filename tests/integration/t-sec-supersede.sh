#!/usr/bin/env bash
# Security suite, a policy change under a live set (issue 11, finding 3).
#
# The admin moves a user from tmp = none to tmp = tmpfs while a process of
# the user's set runs (nohup setsid sleep). Before, new logins joined the
# old set and still saw the host's /tmp, with only a NOTICE in the log.
# Now:
# - the next login gets the current policy: a new set, /tmp private;
# - syslog has one line naming the uid and what changed;
# - the old set lives on for its process and its session, untouched, as
#   superseded-<id> in pam_nsctl list, and no login joins it;
# - a session opened before the change still releases its old set;
# - the old set is torn down once its last process ends.
# - shm_size is part of what a set is made of (issue 11, finding 7): after
#   shm_size = 2M is added, a login gets a new set whose /dev/shm has 2M,
#   and the log names the change.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

nsctl() { timeout 60 "$PNS_NSCTL" "$@"; }
sets_json() { # UID EXPR: EXPR over the uid's live sets (python, s = the list)
	nsctl list --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [x for x in d["sets"] if x["uid"] == int(sys.argv[1])]
print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

user_add pamns-sec-sup
uid=$(id -u pamns-sec-sup)
write_policy() { # TMP [LINE]
	policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = $1
tmp_size   = 8M
${2:-}
EOF
}
write_policy none
{
	echo "auth     required pam_permit.so"
	echo "account  required pam_permit.so"
	echo "session  required $PNS_MODULE $(pam_ns_args)"
} >"$PNS_T/pam.d/svc"
chmod 0644 "$PNS_T/pam.d/svc"

canary=/tmp/pamns-sup-canary.$$
echo host >"$canary"
defer rm -f "$canary"

# A session held open across the change, and a process left behind.
fifo=$PNS_T/held.fifo
mkfifo -m 0600 "$fifo"
exec {hfd}<>"$fifo"
(
	exec {hfd}>&-
	exec timeout 300 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service svc pamns-sec-sup -- \
		sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'
) <"$fifo" >"$PNS_T/held.out" 2>&1 &
held=$!
defer_eval "kill $held 2>/dev/null"
if ! wait_until 30 grep -qx ready "$PNS_T/held.out"; then
	fail "a held login under tmp = none opens" "$(cat "$PNS_T/held.out")"
	exit 1
fi
old_mnt=$(kv mnt "$(cat "$PNS_T/held.out")")
# (Not holding the held session's fifo open: its cat must see EOF later.)
out=$(pam_drive --service svc --as-user pamns-sec-sup -- sh -c \
	'nohup setsid sleep 900 </dev/null >/dev/null 2>&1 & echo sleeper=$!; cat '"$canary" 2>&1 {hfd}>&-)
sleeper=$(kv sleeper "$out")
defer_eval "kill $sleeper 2>/dev/null"
check_eq "under tmp = none the set sees the host's /tmp" host "$(printf '%s\n' "$out" | grep -x host)" "$out"
check_eq "the process left behind is in the set" "$old_mnt" "$(ns_of "$sleeper" mnt)"
old_id=$(sets_json "$uid" 's[0]["set_id"] if len(s) == 1 else s')

# --- the admin changes the policy ---------------------------------------------
write_policy tmpfs
mark=0
[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] && mark=$(wc -l <"$PNS_SYSLOG_FILE")

fifo2=$PNS_T/new.fifo
mkfifo -m 0600 "$fifo2"
exec {nfd}<>"$fifo2"
(
	exec {nfd}>&- {hfd}>&-
	exec timeout 300 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service svc pamns-sec-sup -- \
		sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo tmp=$(cat '"$canary"' 2>/dev/null || echo private); echo ready; exec cat >/dev/null'
) <"$fifo2" >"$PNS_T/new.out" 2>&1 &
newer=$!
defer_eval "kill $newer 2>/dev/null"
if wait_until 30 grep -qx ready "$PNS_T/new.out"; then
	new=$(cat "$PNS_T/new.out")
	check_eq "after the change, a login gets the new policy: /tmp is private" private "$(kv tmp "$new")" "$new"
	check_ne "... in another set" "$old_mnt" "$(kv mnt "$new")" "$new"
else
	fail "a login after the change opens" "$(cat "$PNS_T/new.out")"
fi
if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
	log=$(tail -n +"$((mark + 1))" "$PNS_SYSLOG_FILE")
	check_contains "syslog: one line names the uid and the change" "$log" \
		"Set user.sock of uid $uid was made under another plan than a new login's (tmp none -> tmpfs): superseded, now superseded-$old_id.sock"
else
	skip "syslog: one line names the uid and the change" "no syslog file to read"
fi
check_eq "the old set's process runs on" 0 "$(kill -0 "$sleeper" 2>/dev/null; echo $?)"
check_eq "... in the old set" "$old_mnt" "$(ns_of "$sleeper" mnt)"
check_eq "... which still has the host's /tmp" host "$(cat "/proc/$sleeper/root$canary" 2>&1)"

# pam_nsctl list: both sets, the old one superseded.
check_eq "list: the new set is user, the old one superseded-$old_id" \
	"user superseded-$old_id" "$(sets_json "$uid" '" ".join(x["set"] for x in s)')"
check_eq "list --json: superseded flags" "False True" "$(sets_json "$uid" '" ".join(str(x["superseded"]) for x in s)')"
# (Its processes: the held session's pam-drive and cat, and the sleeper.)
check_eq "list: the superseded set keeps its session and its processes" "1 3" \
	"$(sets_json "$uid" '" ".join(str(x[k]) for x in s if x["superseded"] for k in ("sessions", "processes"))')"
text=$(nsctl list 2>&1)
check_contains "list (text): shows the superseded set" "$text" "superseded-$old_id"

# A further login joins the new set, not the old one.
out=$(pam_drive --service svc pamns-sec-sup -- true 2>&1)
check_eq "a further login joins the new set" "$(kv mnt "$(cat "$PNS_T/new.out")")" "$(kv ns_mnt "$out")" "$out"

# The session opened before the change ends: its RELEASE finds the old set
# under its superseded name (not the new set at user.sock).
exec {hfd}>&-
wait_until 30 sh -c "! kill -0 $held 2>/dev/null"
wait "$held" 2>/dev/null
check_contains "the old session closes cleanly" "$(cat "$PNS_T/held.out")" "close_rc=PAM_SUCCESS"
check_eq "... its RELEASE reached the superseded set (0 sessions), the new set keeps its own (1)" \
	"superseded:0 user:1" \
	"$(sets_json "$uid" '" ".join("%s:%d" % ("superseded" if x["superseded"] else "user", x["sessions"]) for x in sorted(s, key=lambda x: not x["superseded"]))')"

# The old set goes once its process ends; the new one is untouched.
kill "$sleeper"
old_sock=$PNS_RUN_DIR/$uid/superseded-$old_id.sock
if wait_until "$PNS_WAIT" sh -c "[ ! -e $old_sock ] && [ -z \"\$(for p in /proc/[0-9]*; do [ \"\$(readlink \$p/ns/mnt 2>/dev/null)\" = '$old_mnt' ] && echo x; done)\" ]"; then
	pass "the superseded set is torn down when its last process ends"
else
	fail "the superseded set is torn down when its last process ends" "$(ls -l "$PNS_RUN_DIR/$uid" 2>&1)"
fi
check_eq "the new set lives on" "user" "$(sets_json "$uid" '" ".join(x["set"] for x in s)')"
exec {nfd}>&-
wait_until 30 sh -c "! kill -0 $newer 2>/dev/null"
wait "$newer" 2>/dev/null
if wait_set_gone "$uid"; then
	pass "all sets of the user torn down"
else
	fail "all sets of the user torn down" "$(ls -l "$PNS_RUN_DIR/$uid" 2>&1)"
fi

# --- shm_size changes under a live set ------------------------------------------
fifo3=$PNS_T/shm.fifo
mkfifo -m 0600 "$fifo3"
exec {sfd}<>"$fifo3"
(
	exec {sfd}>&-
	exec timeout 300 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service svc pamns-sec-sup -- \
		sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo shm=$(findmnt -no OPTIONS /dev/shm); echo ready; exec cat >/dev/null'
) <"$fifo3" >"$PNS_T/shm.out" 2>&1 &
shm_held=$!
defer_eval "kill $shm_held 2>/dev/null"
if wait_until 30 grep -qx ready "$PNS_T/shm.out"; then
	shm_old_mnt=$(kv mnt "$(cat "$PNS_T/shm.out")")
	check_not_contains "shm_size built in: /dev/shm is not 2M" "$(kv shm "$(cat "$PNS_T/shm.out")")," "size=2048k,"
	shm_old_id=$(sets_json "$uid" 's[0]["set_id"] if len(s) == 1 else s')
	write_policy tmpfs "shm_size   = 2M"
	mark=0
	[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] && mark=$(wc -l <"$PNS_SYSLOG_FILE")
	out=$(pam_drive --service svc pamns-sec-sup -- sh -c 'echo shm=$(findmnt -no OPTIONS /dev/shm)' 2>&1 {sfd}>&-)
	check_ne "shm_size = 2M added: the next login gets a new set" "$shm_old_mnt" "$(kv ns_mnt "$out")" "$out"
	check_contains "... whose /dev/shm has 2M" "$(kv shm "$out")," "size=2048k,"
	if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
		log=$(tail -n +"$((mark + 1))" "$PNS_SYSLOG_FILE")
		check_contains "syslog: the change names shm_size" "$log" \
			"Set user.sock of uid $uid was made under another plan than a new login's (shm_size 10% -> 2097152): superseded, now superseded-$shm_old_id.sock"
	else
		skip "syslog: the change names shm_size" "no syslog file to read"
	fi
else
	fail "a held login under the built-in shm_size opens" "$(cat "$PNS_T/shm.out")"
fi
exec {sfd}>&-
wait_until 30 sh -c "! kill -0 $shm_held 2>/dev/null"
wait "$shm_held" 2>/dev/null
if wait_set_gone "$uid"; then
	pass "all sets of the user torn down (shm_size)"
else
	fail "all sets of the user torn down (shm_size)" "$(ls -l "$PNS_RUN_DIR/$uid" 2>&1)"
fi

#!/usr/bin/env bash
# pam_nsctl list, enter and stop against real sets made by sshd logins:
# list shows the set of a held session (text and JSON), enter runs commands
# in that set's namespaces and sees its private /tmp, stop refuses a busy set
# and --force ends the session and the set; share = session sets need --set;
# accounts without a set, stale sockets and an empty /run/pam_ns.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

user_add pamns-nsctl
user_add pamns-nsctl-s
user_add pamns-nsctl-none
uid=$(id -u pamns-nsctl)
suid=$(id -u pamns-nsctl-s)
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
share      = user

[user:pamns-nsctl-s]
share      = session
EOF

host_mnt=$(host_ns mnt)
host_ipc=$(host_ns ipc)
host_user=$(host_ns user)
sshd_start internal

nsctl() { timeout 60 "$PNS_NSCTL" "$@"; }

# list_row USER: the text row of USER's set, fields squeezed to one space.
list_row() { nsctl list 2>/dev/null | awk -v u="$1" '$1 == u' | tr -s ' '; }
# row_field USER N: field N of that row (1 USER, 2 UID, 3 SET, 4 SESSIONS,
# 5 PROCESSES, 6-8 NAMESPACES (three words here), 9-10 SINCE, 11 ANCHOR,
# 12 UNIT).
row_field() { list_row "$1" | cut -d' ' -f"$2"; }
# json_get EXPR: evaluate EXPR over `list --json` (python, with d = the object
# and s = the set of $uid); prints the result or "error: ...".
json_get() {
	nsctl list --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
uid = int(sys.argv[2])
mine = [x for x in d["sets"] if x["uid"] == uid]
s = mine[0] if len(mine) == 1 else None
try:
    print(eval(sys.argv[1]))
except Exception as e:
    print("error: %r" % e)
' "$1" "${2:-$uid}"
}

# --- one held session of pamns-nsctl ---------------------------------------------
ssh_hold one pamns-nsctl || fail "hold a session" "$(cat "${HOLD_OUT[one]}")"
set_mnt=${HOLD_NS[one]}
check_ne "held session is isolated" "$host_mnt" "$set_mnt"
marker=nsctl-$$-$RANDOM
word=word-$RANDOM
out=$(ssh_as pamns-nsctl "echo $word >/tmp/$marker; readlink /proc/self/ns/mnt" 2>&1)
check_eq "second login writes the marker in the same set" "$set_mnt" "$out"

# The second login's session ends asynchronously: wait until only the held one counts.
_sessions_are() { [ "$(row_field pamns-nsctl 4)" = "$1" ]; }
wait_until 10 _sessions_are 1

# --- list (text) -------------------------------------------------------------------
out=$(nsctl list 2>&1)
rc=$?
# Other test runs on this machine may hold sets of a pam_ns build that
# answers differently: list then says so and exits 2.
if printf '%s\n' "$out" | grep -qE '^(Unreadable answer|No answer) from '; then
	check_eq "list: exits 2 when another set does not answer properly" 2 "$rc" "$out"
else
	check_eq "list: exits 0" 0 "$rc" "$out"
fi
check_eq "list: header names the columns" \
	"USER UID SET SESSIONS PROCESSES NAMESPACES SINCE ANCHOR UNIT" \
	"$(printf '%s\n' "$out" | head -n 1 | tr -s ' ')" "$out"
row=$(printf '%s\n' "$out" | awk '$1 == "pamns-nsctl"' | tr -s ' ')
check_eq "list: one row for the user" 1 "$(printf '%s\n' "$out" | awk '$1 == "pamns-nsctl"' | wc -l)" "$out"
check_eq "list: UID" "$uid" "$(echo "$row" | cut -d' ' -f2)" "$row"
check_eq "list: SET is user (share = user)" user "$(echo "$row" | cut -d' ' -f3)" "$row"
check_eq "list: 1 session" 1 "$(echo "$row" | cut -d' ' -f4)" "$row"
check_eq "list: namespaces" "mount ipc uts" "$(echo "$row" | cut -d' ' -f6-8)" "$row"
since_text=$(echo "$row" | cut -d' ' -f9-10)
anchor=$(echo "$row" | cut -d' ' -f11)
check_eq "list: the anchor is the set's (its mount namespace is the session's)" \
	"$set_mnt" "$(ns_of "$anchor" mnt)" "$row"
check_eq "list: the anchor is a forked pam_ns-helper" \
	"$(readlink -f "$PNS_HELPER")" "$(readlink "/proc/$anchor/exe" 2>/dev/null)" "$row"
# UNIT: the last component of the anchor's cgroup v2 path that names a
# systemd unit, "-" for none (a host whose PID 1 is not systemd).
unit_of() {
	sed -n 's/^0:://p' "/proc/$1/cgroup" | tr '/' '\n' |
		grep -E '.\.(scope|service|slice)$' | tail -n 1 | grep . || echo -
}
anchor_unit=$(unit_of "$anchor")
check_eq "list: UNIT is the anchor's unit (/proc/ANCHOR/cgroup)" "$anchor_unit" \
	"$(echo "$row" | cut -d' ' -f12)" "$row $(cat "/proc/$anchor/cgroup")"
# PROCESSES: everything in the set but the anchor (sshd's session child, the
# shell, cat, and the sshd monitor that joined the set).
_in_set() { procs_in_ns mnt "$set_mnt" | grep -vx "$anchor" | wc -l; }
_processes_match() { [ "$(row_field pamns-nsctl 5)" = "$(_in_set)" ]; }
wait_until 10 _processes_match
procs=$(row_field pamns-nsctl 5)
check_eq "list: PROCESSES counts what runs in the set" "$(_in_set)" "$procs" \
	"$(procs_in_ns mnt "$set_mnt" | xargs -r ps -o pid,user,args -p)"
check_ne "list: the held session's processes are counted" 0 "$procs"

# --- list --json ---------------------------------------------------------------------
json=$(nsctl list --json 2>/dev/null)
rc=$?
if [ "$(printf '%s' "$json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["errors"]))' 2>&1)" = 0 ]; then
	check_eq "list --json: exits 0" 0 "$rc" "$json"
else
	check_eq "list --json: exits 2 when another set does not answer properly" 2 "$rc" "$json"
fi
if printf '%s' "$json" | python3 -m json.tool >/dev/null 2>&1; then
	pass "list --json: valid JSON"
else
	fail "list --json: valid JSON" "$json"
fi
check_eq "list --json: the user's set is there once" 1 \
	"$(json_get 'len([x for x in d["sets"] if x["uid"] == uid])')" "$json"
check_eq "list --json: user" pamns-nsctl "$(json_get 's["user"]')" "$json"
check_eq "list --json: set" user "$(json_get 's["set"]')" "$json"
check_eq "list --json: share" user "$(json_get 's["share"]')" "$json"
check_eq "list --json: sessions" 1 "$(json_get 's["sessions"]')" "$json"
check_eq "list --json: processes (as in the text)" "$procs" "$(json_get 's["processes"]')" "$json"
check_eq "list --json: namespaces" "mount ipc uts" "$(json_get '" ".join(s["namespaces"])')" "$json"
check_eq "list --json: mnt inode is the session's" "$set_mnt" \
	"$(json_get '"mnt:[%d]" % s["ns_inodes"]["mnt"]')" "$json"
check_eq "list --json: ipc inode is the anchor's" "$(ns_of "$anchor" ipc)" \
	"$(json_get '"ipc:[%d]" % s["ns_inodes"]["ipc"]')" "$json"
check_eq "list --json: no user namespace" None "$(json_get 's["ns_inodes"]["user"]')" "$json"
check_eq "list --json: anchor_pid (as in the text)" "$anchor" "$(json_get 's["anchor_pid"]')" "$json"
check_eq "list --json: unit (as in the text; null for -)" "$anchor_unit" \
	"$(json_get 's["unit"] or "-"')" "$json"
check_eq "list --json: socket" "$PNS_RUN_DIR/$uid/user.sock" "$(json_get 's["socket"]')" "$json"
since=$(json_get 's["since"]')
check_eq "list: SINCE is the JSON since in local time" \
	"$(date -d "@$since" '+%Y-%m-%d %H:%M' 2>&1)" "$since_text" "$json"
sock_mtime=$(stat -c %Y "$PNS_RUN_DIR/$uid/user.sock")
if [[ $since =~ ^[0-9]+$ ]] && [ $((since - sock_mtime)) -ge -5 ] && [ $((since - sock_mtime)) -le 5 ]; then
	pass "list --json: since is when the set was made (socket created at $sock_mtime)"
else
	fail "list --json: since is when the set was made" "since: '$since'; socket mtime: $sock_mtime"
fi

# --- enter -------------------------------------------------------------------------------
out=$(nsctl enter pamns-nsctl -- readlink /proc/self/ns/mnt 2>&1)
rc=$?
check_eq "enter: exits with the command's status (0)" 0 "$rc" "$out"
check_eq "enter: the command runs in the session's mount namespace" "$set_mnt" "$out"
out=$(nsctl enter pamns-nsctl -- readlink /proc/self/ns/ipc 2>&1)
check_eq "enter: ... and in the set's IPC namespace" "$(ns_of "$anchor" ipc)" "$out"
check_ne "enter: which is not the host's" "$host_ipc" "$out"
out=$(nsctl enter pamns-nsctl -- cat "/tmp/$marker" 2>&1)
check_eq "enter: sees the file the session wrote in its private /tmp" "$word" "$out"
check_eq "enter: the host's /tmp does not have it" no "$(test -e "/tmp/$marker" && echo yes || echo no)"
out=$(nsctl enter pamns-nsctl -- sh -c 'echo "$(id -u) $(readlink /proc/self/ns/user)"' 2>&1)
check_eq "enter: root with the host's ids, never the user namespace" "0 $host_user" "$out"
nsctl enter pamns-nsctl -- sh -c 'exit 7' >/dev/null 2>&1
check_eq "enter: exits with the command's status (7)" 7 "$?"
out=$(nsctl enter pamns-nsctl -- /nonexistent/cmd 2>&1)
check_eq "enter: a command that does not exist is 127" 127 "$?" "$out"
out=$(nsctl enter "$uid" -- readlink /proc/self/ns/mnt 2>&1)
check_eq "enter: USER may be given as a uid" "$set_mnt" "$out"
out=$(cd /etc && nsctl enter pamns-nsctl -- pwd 2>&1)
check_eq "enter: the command runs in the set's /, not the caller's directory" / "$out"
out=$(echo 'readlink /proc/self/ns/mnt' | SHELL=/bin/sh nsctl enter pamns-nsctl 2>/dev/null)
check_eq "enter: without a command, \$SHELL runs in the set" "$set_mnt" "$out"
out=$(nsctl enter pamns-nsctl --set session-0000000000000001 -- true 2>&1)
check_eq "enter --set of a set the user does not have: exit 1" 1 "$?" "$out"
check_contains "enter --set of a set the user does not have: says so" "$out" "has no set session-0000000000000001"
# Set names of pam_ns before set ids (session-PID) are not set names.
out=$(nsctl enter pamns-nsctl --set session-1 -- true 2>&1)
check_eq "enter --set with a pid-style name: usage error (exit 2)" 2 "$?" "$out"
out=$(nsctl enter pamns-nsctl-none -- true 2>&1)
check_eq "enter, user without a set: exit 1" 1 "$?" "$out"
check_contains "enter, user without a set: says so" "$out" "No active set for pamns-nsctl-none"
out=$(nsctl enter pamns-nsctl-nosuchuser -- true 2>&1)
check_eq "enter, unknown user: exit 1" 1 "$?" "$out"
check_eq "enter did not touch the caller: still in the host mount namespace" "$host_mnt" "$(host_ns mnt)"

# --- stop without --force ---------------------------------------------------------------
out=$(nsctl stop pamns-nsctl 2>&1)
rc=$?
check_eq "stop, busy set: exit 1" 1 "$rc" "$out"
check_contains "stop, busy set: gives the anchor's reason" "$out" "1 session(s) and"
check_contains "stop, busy set: points at --force" "$out" "--force"
out=$(nsctl stop pamns-nsctl --json 2>&1)
check_eq "stop --json, busy set: exit 1" 1 "$?" "$out"
check_eq "stop --json, busy set: stopped false, error busy" "False busy" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["stopped"], d["error"])' 2>&1)" "$out"
check_eq "stop, busy set: the set is still there" 1 "$(set_socket_count "$uid")"
check_eq "stop, busy set: the anchor still runs" "$set_mnt" "$(ns_of "$anchor" mnt)"
check_eq "stop, busy set: the held session still runs" yes \
	"$(kill -0 "${HOLD_PID[one]}" 2>/dev/null && echo yes || echo no)"
check_eq "stop, busy set: list still shows it with 1 session" 1 "$(row_field pamns-nsctl 4)"

# stop --force from inside the set would kill itself: refused.
out=$(nsctl enter pamns-nsctl -- "$PNS_NSCTL" stop --force pamns-nsctl 2>&1)
check_eq "stop --force from inside the set: refused (exit 2)" 2 "$?" "$out"
check_eq "stop --force from inside the set: the set is still there" "$set_mnt" "$(ns_of "$anchor" mnt)"

# --- stop --force -------------------------------------------------------------------------
out=$(nsctl stop --force pamns-nsctl 2>&1)
rc=$?
check_eq "stop --force: exit 0" 0 "$rc" "$out"
check_contains "stop --force: says it stopped the set" "$out" "Stopped set user of pamns-nsctl (uid $uid)"
if wait_set_gone "$uid" "$set_mnt"; then
	pass "stop --force: the set is gone (no socket, no process in it)"
else
	fail "stop --force: the set is gone (no socket, no process in it)" \
		"sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1); in ns: $(procs_in_ns mnt "$set_mnt" | xargs -r ps -o pid,user,args -p)"
fi
_held_gone() { ! kill -0 "${HOLD_PID[one]}" 2>/dev/null; }
if wait_until 15 _held_gone; then
	pass "stop --force: the held ssh session ended"
else
	fail "stop --force: the held ssh session ended" "ssh pid ${HOLD_PID[one]} still runs: $(cat "${HOLD_OUT[one]}")"
fi
_anchor_gone() { ! kill -0 "$anchor" 2>/dev/null; }
wait_until "$PNS_WAIT" _anchor_gone
check_eq "stop --force: the anchor exited" no "$(kill -0 "$anchor" 2>/dev/null && echo yes || echo no)"
check_eq "after stop: list has no row for the user" "" "$(list_row pamns-nsctl)"
out=$(nsctl stop pamns-nsctl 2>&1)
check_eq "stop after stop: exit 1" 1 "$?" "$out"
check_contains "stop after stop: no such set" "$out" "No active set for pamns-nsctl"
out=$(nsctl stop pamns-nsctl-none 2>&1)
check_eq "stop, user without a set: exit 1" 1 "$?" "$out"
out=$(nsctl stop pamns-nsctl-none --json 2>&1)
check_eq "stop --json, user without a set: error" "False no such set" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["stopped"], d["error"])' 2>&1)" "$out"
out=$(nsctl enter pamns-nsctl -- true 2>&1)
check_eq "enter after stop: exit 1" 1 "$?" "$out"

# --- share = session: two sets, --set chooses ------------------------------------------------
ssh_hold s1 pamns-nsctl-s || fail "hold session set 1" "$(cat "${HOLD_OUT[s1]}")"
ssh_hold s2 pamns-nsctl-s || fail "hold session set 2" "$(cat "${HOLD_OUT[s2]}")"
check_ne "share = session: two different sets" "${HOLD_NS[s1]}" "${HOLD_NS[s2]}"
sets=$(json_get '" ".join(x["set"] for x in d["sets"] if x["uid"] == uid)' "$suid")
n_sets=$(echo "$sets" | wc -w)
check_eq "list, share = session: two sets" 2 "$n_sets" "$sets"
check_eq "list, share = session: text rows" 2 "$(nsctl list | awk '$1 == "pamns-nsctl-s"' | wc -l)"
out=$(nsctl enter pamns-nsctl-s -- true 2>&1)
check_eq "enter, two sets without --set: usage error (exit 2)" 2 "$?" "$out"
for s in $sets; do
	check_contains "enter, two sets without --set: names $s" "$out" "$s"
done
matched=0
for s in $sets; do
	case $s in session-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;; *) fail "share = session: set name is session-<16 hex digits>" "'$s'" ;; esac
	ns=$(nsctl enter pamns-nsctl-s --set "$s" -- readlink /proc/self/ns/mnt 2>&1)
	if [ "$ns" = "${HOLD_NS[s1]}" ] || [ "$ns" = "${HOLD_NS[s2]}" ]; then
		matched=$((matched + 1))
	fi
	json_ino=$(json_get "[\"mnt:[%d]\" % x[\"ns_inodes\"][\"mnt\"] for x in d[\"sets\"] if x[\"set\"] == \"$s\"][0]" "$suid")
	check_eq "enter --set $s: the set list --json describes" "$json_ino" "$ns"
done
check_eq "enter --set: each set is one of the held sessions'" 2 "$matched"
out=$(nsctl stop pamns-nsctl-s --force 2>&1)
check_eq "stop, two sets without --set: usage error (exit 2)" 2 "$?" "$out"
check_eq "stop, two sets without --set: nothing stopped" 2 "$(set_socket_count "$suid")"
for s in $sets; do
	out=$(nsctl stop pamns-nsctl-s --set "$s" --force 2>&1)
	check_eq "stop --set $s --force: exit 0" 0 "$?" "$out"
done
if wait_set_gone "$suid" "${HOLD_NS[s1]}" && wait_set_gone "$suid" "${HOLD_NS[s2]}"; then
	pass "stop --set --force: both session sets are gone"
else
	fail "stop --set --force: both session sets are gone" "sockets: $(ls "$PNS_RUN_DIR/$suid" 2>&1)"
fi

# --- no sets, stale sockets (in a private mount namespace with its own /run) -------------
# Other tests may hold sets on this machine: look at an empty /run/pam_ns of our own.
in_private_run() { # SETUP-SCRIPT ARGS...: run pam_nsctl ARGS with a fresh tmpfs on /run
	local setup=$1
	shift
	timeout 60 unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0755 tmpfs /run || exit 125
		eval "$1" || exit 125
		shift
		exec "$@"' sh "$setup" "$PNS_NSCTL" "$@"
}
out=$(in_private_run true list 2>&1)
rc=$?
check_eq "list, no /run/pam_ns at all: exit 0" 0 "$rc" "$out"
check_eq "list, no /run/pam_ns at all: says so" "No active sets." "$out"
out=$(in_private_run 'mkdir -m 0700 /run/pam_ns' list 2>&1)
check_eq "list, empty /run/pam_ns: exit 0" 0 "$?" "$out"
check_eq "list, empty /run/pam_ns: says so" "No active sets." "$out"
out=$(in_private_run 'mkdir -m 0700 /run/pam_ns' list --json 2>&1)
check_eq "list --json, no sets: empty lists" '{"sets":[],"stale":[],"errors":[]}' "$out"
stale_setup="mkdir -m 0700 /run/pam_ns /run/pam_ns/$uid && python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' /run/pam_ns/$uid/user.sock && ln -s /run/pam_ns/$uid /run/pam_ns/99999 && mkdir -m 0700 /run/pam_ns/not-a-uid"
out=$(in_private_run "$stale_setup" list 2>&1)
check_eq "list, only a stale socket: exit 0" 0 "$?" "$out"
check_eq "list, only a stale socket: no set, one stale note (symlink and junk ignored)" \
	"No active sets.
Stale socket: $PNS_RUN_DIR/$uid/user.sock (its anchor is gone; pam_ns ignores it)" "$out"
out=$(in_private_run "$stale_setup" enter pamns-nsctl --set user -- true 2>&1)
check_eq "enter --set of a stale set: exit 1" 1 "$?" "$out"
check_contains "enter --set of a stale set: says stale" "$out" "is stale"
out=$(in_private_run "$stale_setup" stop pamns-nsctl 2>&1)
check_eq "stop, only a stale socket: exit 1 (no such set)" 1 "$?" "$out"
out=$(in_private_run "$stale_setup; $PNS_NSCTL stop pamns-nsctl >/dev/null; $PNS_NSCTL enter pamns-nsctl -- true 2>/dev/null; true" list 2>&1)
check_contains "stop and enter leave a stale socket in place" "$out" "Stale socket: $PNS_RUN_DIR/$uid/user.sock"

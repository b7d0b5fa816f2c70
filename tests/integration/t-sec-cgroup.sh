#!/usr/bin/env bash
# Security suite: the sets' cgroup hierarchy (docs/DESIGN.md, "Lifetime of a
# set"; issue 14). A set's processes are those in its cgroup UID/SETID of
# the named cgroup v1 hierarchy "pam_ns", where the anchor moves each
# session's caller before answering it; the anchor reads that cgroup's
# cgroup.procs instead of walking every process of the host.
#
# - a held session: the anchor, the caller and the session's shell are in
#   the set's cgroup, the uid's directory is root's and mode 0700;
# - the session cannot leave the cgroup: not even in a user and cgroup
#   namespace of its own, where it can mount the hierarchy (no mkdir, no
#   write to cgroup.procs);
# - a process left behind by a session holds the set; when it exits the set
#   goes, and so do its cgroup and the uid's directory;
# - `pam_nsctl enter` counts its command among the set's processes: the set
#   lives until the command ends;
# - an anchor killed with SIGKILL leaves its cgroup behind; the next set of
#   the account removes it once it is empty.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-cg
uid=$(id -u pamns-sec-cg)
sec_std_policy ""
sec_stack user "config=$PNS_CONF helper=$PNS_HELPER debug"
nsctl() { timeout 60 "$PNS_NSCTL" "$@"; }

# cg SNIPPET: run the sh snippet with the hierarchy mounted in a private
# mount namespace of its own (the host's mount table never sees it), $CG
# its cgroup "sets", which holds the sets' UID/SETID.
CG=$PNS_T/cg
mkdir -p "$CG"
cg() {
	unshare -m --propagation private sh -c '
		mount -t cgroup -o none,name=pam_ns pamns-test-cg "$1" || exit 125
		CG=$1/sets
		eval "$2"' sh "$CG" "$1"
}
if ! cg true 2>"$PNS_T/cg.err"; then
	skip "the pam_ns cgroup hierarchy" "cannot mount a named cgroup v1 hierarchy here: $(cat "$PNS_T/cg.err")"
	exit 0
fi
# The set directories of the uid, one per line ("-" when the uid has none).
cg_sets() { cg "[ -d \"\$CG/$uid\" ] && find \"\$CG/$uid\" -mindepth 1 -maxdepth 1 -type d -printf '%f\\n' || echo -"; }
_cg_uid_gone() { [ "$(cg_sets)" = - ]; }

# --- a held session ---------------------------------------------------------------
if sec_hold a --service user --as-user pamns-sec-cg -- sh -c 'echo pid=$$; echo ready; exec cat >/dev/null'; then
	shell=$(kv pid "$(cat "${SEC_HOLD_OUT[a]}")")
	caller=${SEC_HOLD_PID[a]}
	anchor=$(sec_anchors_of_uid "$uid")
	sets=$(cg_sets)
	check_eq "held: one cgroup for the account's one set" 1 "$(printf '%s\n' "$sets" | grep -c '^[0-9a-f]\{16\}$')" "$sets"
	procs=$(cg "cat \"\$CG/$uid/$sets/cgroup.procs\"" 2>&1)
	check_contains "held: the anchor is in the set's cgroup" "$procs" "$anchor"
	check_contains "held: the session's shell is in the set's cgroup" "$procs" "$shell"
	check_eq "held: so is the PAM caller (pam-drive)" 1 \
		"$(printf '%s\n' "$procs" | grep -cx "$(pgrep -P "$caller" -x pam-drive || echo "$caller")")" \
		"caller $caller: $(cat /proc/"$caller"/cgroup 2>&1); procs: $procs"
	check_eq "held: the shell's /proc/PID/cgroup names the set" "/sets/$uid/$sets" \
		"$(sed -n 's/^[0-9]*:name=pam_ns://p' "/proc/$shell/cgroup")"
	check_eq "held: the uid's directory is root's, mode 0700" "0 700" \
		"$(cg "stat -c '%u %a' \"\$CG/$uid\"")"

	# The user's own view: a process of the set, with the account's ids, in
	# a user and cgroup namespace of its own (where it may mount the
	# hierarchy, rooted at its own cgroup), tries to leave.
	cat >"$PNS_T/leave.sh" <<'EOF'
mkdir -p /tmp/hc
if ! mount -t cgroup -o none,name=pam_ns cgroup /tmp/hc 2>/dev/null; then
	echo mounted=no
else
	echo mounted=yes
	mkdir /tmp/hc/out 2>/dev/null && echo mkdir=yes || echo mkdir=no
	(echo $$ >/tmp/hc/cgroup.procs) 2>/dev/null && echo moved=yes || echo moved=no
	(echo 1 >/tmp/hc/notify_on_release) 2>/dev/null && echo notify=yes || echo notify=no
fi
EOF
	chmod 0644 "$PNS_T/leave.sh"
	out=$(cg "echo \$\$ >\"\$CG/$uid/$sets/cgroup.procs\" && exec setpriv --reuid=$uid --regid=$(id -g pamns-sec-cg) --clear-groups unshare -UrmC --propagation private sh -c 'sh $PNS_T/leave.sh; echo cg=\$(sed -n \"s/^[0-9]*:name=pam_ns://p\" /proc/self/cgroup)'" 2>&1)
	if [ "$(kv mounted "$out")" = yes ]; then
		check_eq "user: cannot make a cgroup below the set's" mkdir=no "mkdir=$(kv mkdir "$out")" "$out"
		check_eq "user: cannot write the set's cgroup.procs" moved=no "moved=$(kv moved "$out")" "$out"
		check_eq "user: cannot set notify_on_release" notify=no "notify=$(kv notify "$out")" "$out"
	else
		pass "user: cannot even mount the hierarchy in a namespace of its own"
	fi
	check_eq "user: the process stayed in the set's cgroup" "/" "$(kv cg "$out")" "$out"
	sec_release a
else
	fail "held: the session opens" "$(cat "${SEC_HOLD_OUT[a]}")"
fi
check_eq "the hierarchy keeps its cgroup sets, root's, mode 0700" "0 700" "$(cg "stat -c '%u %a' \"\$CG\"")"
if wait_until "$PNS_WAIT" _cg_uid_gone; then
	pass "the session ended: the set's cgroup and the uid's directory are gone"
else
	fail "the session ended: the set's cgroup and the uid's directory are gone" "$(cg_sets)"
fi

# --- a process left behind holds the set -------------------------------------------
out=$(pam_drive --service user --as-user pamns-sec-cg -- sh -c "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo bg=\$!" 2>&1)
check_eq "left behind: the login opens and ends" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
bg=$(kv bg "$out")
defer_eval "kill -KILL $bg 2>/dev/null"
sleep 0.5
check_eq "left behind: the set stays" 1 "$(set_socket_count "$uid")"
check_eq "left behind: list counts the process" 1 "$(nsctl list --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(s["processes"] for s in d["sets"] if s["uid"] == int(sys.argv[1])))' "$uid" 2>&1)"
kill -KILL "$bg"
if wait_set_gone "$uid" && wait_until "$PNS_WAIT" _cg_uid_gone; then
	pass "left behind: once it exits, the set, its cgroup and the uid's directory go"
else
	fail "left behind: once it exits, the set, its cgroup and the uid's directory go" \
		"sockets: $(set_socket_count "$uid"); cgroups: $(cg_sets)"
fi

# --- pam_nsctl enter keeps the set while its command runs ---------------------------
if sec_hold b --service user --as-user pamns-sec-cg -- sh -c 'echo ready; exec cat >/dev/null'; then
	nsctl enter pamns-sec-cg -- sh -c 'echo pid=$$; echo entered; exec sleep 300' >"$PNS_T/enter.out" 2>&1 &
	enter=$!
	defer_eval "kill $enter 2>/dev/null"
	wait_until "$PNS_WAIT" grep -qx entered "$PNS_T/enter.out"
	sec_release b
	sleep 0.5
	check_eq "enter: the set outlives its session while the command runs" 1 \
		"$(set_socket_count "$uid")" "$(cat "$PNS_T/enter.out")"
	kill -KILL "$(kv pid "$(cat "$PNS_T/enter.out")")" 2>/dev/null
	wait "$enter" 2>/dev/null
	if wait_set_gone "$uid"; then
		pass "enter: the set goes when the command ends"
	else
		fail "enter: the set goes when the command ends" "$(nsctl list 2>&1)"
	fi
else
	fail "enter: the session opens" "$(cat "${SEC_HOLD_OUT[b]}")"
fi

# --- a killed anchor's cgroup is removed by the account's next set -------------------
if sec_hold c --service user --as-user pamns-sec-cg -- sh -c 'echo ready; exec cat >/dev/null'; then
	stale=$(cg_sets)
	kill -KILL "$(sec_anchors_of_uid "$uid")"
	sec_release c
	check_eq "killed anchor: its cgroup is left behind" "$stale" "$(cg_sets)"
	# The dead anchor's socket answers nobody: the next login makes a new set.
	out=$(pam_drive --service user --as-user pamns-sec-cg -- sh -c "echo sets=\$(sed -n 's|^[0-9]*:name=pam_ns:/sets/[0-9]*/||p' /proc/self/cgroup)" 2>&1)
	check_eq "killed anchor: the next login opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_ne "killed anchor: the next login is in a new cgroup" "$stale" "$(kv sets "$out")" "$out"
	if wait_set_gone "$uid" && wait_until "$PNS_WAIT" _cg_uid_gone; then
		pass "killed anchor: the next set removed the stale cgroup, and its own"
	else
		fail "killed anchor: the next set removed the stale cgroup, and its own" "$(cg_sets)"
	fi
else
	fail "killed anchor: the session opens" "$(cat "${SEC_HOLD_OUT[c]}")"
fi

# shellcheck shell=bash
# tests/systemd/lib.sh: the container side of the systemd rig. Sourced after
# tests/integration/lib.sh (which gives pass, fail, skip, note, check_*,
# defer and wait_until) by tests/systemd/run and by every tests/systemd/t-*.sh.
#
# The runner boots the container and exports:
#   PNS_RIG_PID1  the container's PID 1 (systemd), as the host sees it
#   PNS_RIG_WORK  the rig's host work directory (logs, held-session output)
# A t-*.sh script then runs commands inside with `ct CMD...`, logs in with
# `ct_ssh USER CMD` and holds sessions open with `ct_hold` / `ct_release`.

PNS_RIG_CACHE=${PAM_NS_RIG_CACHE:-/var/cache/pam_ns-rig}
PNS_RIG_USERS=(rig-ann rig-bob) # made by the runner, each with the root key
declare -A CT_HOLD_HOST=() CT_HOLD_PID=() CT_HOLD_OUT=()

# rig_test [USER]: how every t-*.sh starts, after sourcing the two
# libraries: it refuses to run outside tests/systemd/run and, given USER,
# sets u to it and uid to its uid inside the container.
rig_test() {
	[ -n "${PNS_RIG_PID1:-}" ] || {
		echo "$PNS_TEST: run me through tests/systemd/run" >&2
		exit 2
	}
	[ $# -eq 0 ] && return 0
	u=$1
	uid=$(ct id -u "$u")
}

# ct CMD...: run CMD in every namespace of the container, as its root, with a
# clean environment, in the container's / (stdin and stdout pass through).
ct() {
	nsenter -t "$PNS_RIG_PID1" -a -- \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C HOME=/root TERM=dumb "$@"
}

# ct_sh SCRIPT [ARGS...]: run a shell script inside.
ct_sh() {
	local script=$1
	shift
	ct bash -c "$script" rig "$@"
}

# ct_ssh USER CMD: log USER in over ssh to the container's sshd (127.0.0.1),
# with the rig's key, and run CMD there.
ct_ssh() {
	local user=$1
	shift
	ct ssh -i /root/.ssh/rig -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20 \
		"$user@127.0.0.1" "$@"
}

# ct_hold NAME USER [CMD]: open an ssh session that stays open. CMD (default
# none) runs first; then the session prints pid= (its shell, which becomes
# the `sleep`), mnt=, sid= (logind's session id) and ready. Sets
# CT_HOLD_PID[NAME] to the remote pid, CT_HOLD_OUT[NAME] to its output file.
ct_hold() {
	local name=$1 user=$2 cmd=${3:-true} out
	out=$PNS_RIG_WORK/hold-$name.out
	ct_ssh "$user" "$cmd; echo pid=\$\$; echo mnt=\$(readlink /proc/self/ns/mnt); echo sid=\$XDG_SESSION_ID; echo ready; exec sleep 3600" \
		>"$out" 2>&1 </dev/null &
	CT_HOLD_HOST[$name]=$! # the host's nsenter, gone when the session has ended
	CT_HOLD_OUT[$name]=$out
	CT_HOLD_PID[$name]=
	defer_eval "ct_release $name"
	if ! wait_until 30 grep -qx ready "$out"; then
		return 1
	fi
	CT_HOLD_PID[$name]=$(kv pid "$(cat "$out")")
}

ct_hold_value() { kv "$2" "$(cat "${CT_HOLD_OUT[$1]}")"; } # NAME KEY

# ct_release NAME: log the held session out (end its remote command, as a user
# who types exit) and wait until the ssh client has gone.
ct_release() {
	local name=$1 pid=${CT_HOLD_PID[$1]:-} host=${CT_HOLD_HOST[$1]:-}
	[ -n "$host" ] || return 0
	[ -n "$pid" ] && ct kill "$pid" 2>/dev/null
	wait_until 20 sh -c '! kill -0 "$1"' sh "$host" || kill "$host" 2>/dev/null
	wait "$host" 2>/dev/null
	CT_HOLD_HOST[$name]=
	return 0
}

# probe ARGS: tests/systemd/probe, installed inside as /usr/local/sbin/rig-probe.
probe() { ct rig-probe "$@"; }

# Under a failure (tests/integration/lib.sh's fail), show the container's
# journal instead of the host's sshd logs and syslog.
_pns_context() {
	[ -n "${PNS_RIG_PID1:-}" ] || return 0
	echo "--- the container's journal, last 25 lines"
	ct journalctl -q -n 25 --no-pager -o short 2>&1
}

# anchor_in MNT: the anchors whose mount namespace is MNT ("mnt:[N]").
anchor_in() {
	local p
	for p in $(probe anchors); do
		[ "$(ct readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$1" ] && echo "$p"
	done
	return 0
}

# pns_units: the pam_ns units systemd has loaded, in any state.
pns_units() { ct systemctl list-units --all --plain --no-legend 'pam_ns-*' | awk '{print $1}'; }

# all_gone UID: nothing of pam_ns is left: no socket of UID, no anchor, no
# pam_ns unit. For wait_until.
all_gone() { [ -z "$(probe socks "$1")" ] && [ -z "$(probe anchors)" ] && [ -z "$(pns_units)" ]; }

# check_all_gone NAME UID MOUNTS0: after wait_until all_gone, one check each.
check_all_gone() {
	wait_until "$PNS_WAIT" all_gone "$2"
	check_eq "$1: no socket under /run/pam_ns/$2" "" "$(probe socks "$2")"
	check_eq "$1: no anchor process" "" "$(probe anchors)"
	check_eq "$1: no pam_ns unit" "" "$(pns_units)"
	check_eq "$1: PID 1's mount table as before" "$3" "$(probe mounts)"
}

# session_gone ID: logind no longer knows session ID.
session_gone() { [ "$(probe session-state "$1")" = gone ]; }

# anchor_cgroup_re UID: a regular expression for the cgroup of an anchor of
# UID in a unit of its own.
anchor_cgroup_re() { echo "^/pam_ns\.slice/pam_ns-$1-[0-9a-f]{16}\.scope\$"; }

# check_anchor_scope WHAT UID ANCHOR [MORE]: the anchor (its pid in the
# container) runs in a scope of its own in pam_ns.slice; sets cg to its
# cgroup. MORE goes with the failure.
check_anchor_scope() {
	cg=$(probe cgroup "$3")
	if [[ $cg =~ $(anchor_cgroup_re "$2") ]]; then
		pass "$1 ($cg)"
	else
		fail "$1" "its cgroup: $cg${4:+
$4}"
	fi
}

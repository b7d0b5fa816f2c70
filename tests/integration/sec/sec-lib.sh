# shellcheck shell=bash
# tests/integration/sec/sec-lib.sh: shared by the t-sec-*.sh scripts. Source
# it after lib.sh and pns_setup. The C programs next to it are compiled at
# test time into the test's root-owned $PNS_T/bin (the module only runs a
# helper= that is a root-owned file not writable by group or others).

SEC_SRC=$PNS_SRCDIR/tests/integration/sec
SEC_CFLAGS=(-std=gnu11 -O1 -Wall -D_GNU_SOURCE)

# sec_std_policy FILE [session]: the suite's standard policy into FILE ("" for
# $PNS_CONF): everyone isolated in mount, ipc and uts with an 8M tmpfs /tmp,
# share = session with "session".
sec_std_policy() {
	{
		printf '[default]\nisolate    = yes\nnamespaces = mount ipc uts\n'
		printf 'tmp        = tmpfs\ntmp_size   = 8M\n'
		[ "${2:-}" = session ] && printf 'share      = session\n'
	} | policy "${1:-}"
}

# sec_cc NAME SOURCE [CC ARGS...]: build sec/SOURCE into $PNS_T/bin/NAME.
sec_cc() {
	local name=$1 src=$2
	shift 2
	if ! command -v cc >/dev/null; then
		skip "build $name" "no C compiler (cc)"
		exit 0
	fi
	if ! cc "${SEC_CFLAGS[@]}" -o "$PNS_T/bin/$name" "$SEC_SRC/$src" "$@" 2>"$PNS_T/cc-$name.log"; then
		fail "build $name" "$(cat "$PNS_T/cc-$name.log")"
		exit 1
	fi
	chmod 0755 "$PNS_T/bin/$name"
}

# sec_cc_proto NAME SOURCE [CC ARGS...]: the same, linked with the wire
# protocol code from common/ (for stubs that speak it).
sec_cc_proto() {
	local name=$1 src=$2
	shift 2
	sec_cc "$name" "$src" -I"$PNS_SRCDIR" -I"$PNS_BUILDDIR" -include "$PNS_BUILDDIR/config.h" \
		"$PNS_SRCDIR/common/proto.c" "$PNS_SRCDIR/common/plan.c" \
		"$PNS_SRCDIR/common/parse.c" "$PNS_SRCDIR/common/idmap.c" \
		"$PNS_SRCDIR/common/namespace.c" "$@"
}

# sec_probe: build sec-probe once; prints its path.
sec_probe() {
	[ -x "$PNS_T/bin/sec-probe" ] || sec_cc sec-probe probe.c
	echo "$PNS_T/bin/sec-probe"
}

# sec_stack SERVICE MODULE-ARGS...: a pam-drive service in $PNS_T/pam.d with
# pam_ns required in the session stack with exactly these arguments.
sec_stack() {
	local svc=$1
	shift
	{
		echo "auth     required pam_permit.so"
		echo "account  required pam_permit.so"
		echo "session  required $PNS_MODULE $*"
		echo "session  optional pam_permit.so"
	} >"$PNS_T/pam.d/$svc"
	chmod 0644 "$PNS_T/pam.d/$svc"
}

# sec_su_stack FILE MODULE-ARGS...: a su/login stack (pam_rootok) for in_stack.
sec_su_stack() {
	local f=$1
	shift
	{
		echo "auth     sufficient pam_rootok.so"
		echo "auth     required   pam_deny.so"
		echo "account  required   pam_permit.so"
		echo "password required   pam_deny.so"
		echo "session  required   $PNS_MODULE $*"
		echo "session  optional   pam_permit.so"
	} >"$f"
	chmod 0644 "$f"
}

# sec_user_add NAME: an account whose name useradd only takes with
# --badname (dots, upper case, 32 bytes). Removed at exit like user_add's.
# Never use a name starting with '-': Debian 12's useradd then writes an
# entry with an empty uid into /etc/passwd. Such names go through
# nss_wrapper instead (t-sec-env).
sec_user_add() {
	local name=$1 uid
	if getent passwd "$name" >/dev/null; then
		_pns_user_del "$name" "$(id -u -- "$name")"
	fi
	useradd --badname -m -s /bin/bash -- "$name" || {
		fail "create user $name" "useradd --badname failed"
		exit 1
	}
	uid=$(id -u -- "$name")
	case $uid in '' | *[!0-9]*)
		fail "create user $name" "useradd wrote no numeric uid"
		exit 1
		;;
	esac
	defer _pns_user_del "$name" "$uid"
}

# sec_anchors_in MNTNS: pids of pam_ns anchors whose mount namespace is MNTNS.
sec_anchors_in() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = pam_ns-anchor ] || continue
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}

# sec_anchors_of_uid UID: pids of anchors serving UID (by their state dir fd).
sec_anchors_of_uid() {
	local p f
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = pam_ns-anchor ] || continue
		for f in "$p"/fd/*; do
			if [ "$(readlink "$f" 2>/dev/null)" = "$PNS_RUN_DIR/$1" ]; then
				echo "${p#/proc/}"
				break
			fi
		done
	done
	return 0
}

# A shell snippet for a session command: list the zombie children of its
# parent (pam-drive, the PAM caller), one "zombie PID COMM" line each.
SEC_ZOMBIES_OF_PARENT='ps -o stat=,pid=,comm= --ppid "$PPID" | awk '\''$1 ~ /^Z/ { print "zombie " $2 " " $3 }'\'''

# sec_host_mounts: what must not change on the host: PID 1's mount table,
# as mount point, file system type, source and options, sorted (mount ids
# and propagation tags left out: t-sec-propagation changes the latter on
# purpose, and a concurrent run of it must not fail the others).
sec_host_mounts() { awk '{ i = index($0, " - "); print $5, $6, substr($0, i + 3) }' /proc/1/mountinfo | sort; }

# sec_kill_pidfiles DIR PREFIX: kill every pid named by DIR/PREFIX.PID files
# (processes this test's stubs started), then remove the files.
sec_kill_pidfiles() {
	local f pid
	for f in "$1/$2".*; do
		pid=${f##*.}
		case $pid in '' | *[!0-9]*) continue ;; esac
		kill -KILL "$pid" 2>/dev/null
		rm -f "$f"
	done
}

# ---------------------------------------------------------------- held sessions

declare -A SEC_HOLD_FD=() SEC_HOLD_PID=() SEC_HOLD_OUT=()

# sec_hold ID PAM-DRIVE-ARGS...: run pam-drive with these arguments, its
# stdin a FIFO this shell holds open. The command must print "ready" and then
# read stdin until EOF (e.g. sh -c 'echo ready; exec cat >/dev/null'), so the
# session stays open until sec_release ID. Output in SEC_HOLD_OUT[ID].
sec_hold() {
	local id=$1 fifo=$PNS_T/sechold.$1 fd pid
	shift
	rm -f "$fifo" "$fifo.out"
	mkfifo -m 0600 "$fifo"
	exec {fd}<>"$fifo"
	(
		for f in "${SEC_HOLD_FD[@]}"; do exec {f}>&-; done
		exec {fd}>&-
		exec timeout 300 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" "$@"
	) <"$fifo" >"$fifo.out" 2>&1 &
	pid=$!
	SEC_HOLD_FD[$id]=$fd
	SEC_HOLD_PID[$id]=$pid
	SEC_HOLD_OUT[$id]=$fifo.out
	defer_eval "sec_release $id"
	wait_until 30 grep -qx ready "$fifo.out"
}

# sec_release ID: EOF on the held session's stdin; wait for pam-drive.
sec_release() {
	local id=$1 fd=${SEC_HOLD_FD[$1]:-} pid=${SEC_HOLD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	[ -n "$fd" ] && exec {fd}>&-
	if ! wait_until 15 sh -c "! kill -0 $pid 2>/dev/null"; then
		kill "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "SEC_HOLD_FD[$id]" "SEC_HOLD_PID[$id]"
	return 0
}

# ---------------------------------------------------------------- sandboxes

# sec_fresh_run SETUP PAM-DRIVE-ARGS...: in a private mount namespace with a
# fresh tmpfs on /run and on /var/lib (so /run/pam_ns and /var/lib/pam_ns
# start missing, and whatever SETUP plants there is seen by nobody else), run
# the sh snippet SETUP, then pam-drive with these arguments (first printing
# start_mnt=, the namespace pam-drive starts in). The host's own
# state and every other test's sets are never touched. An anchor made in
# there keeps a copy of that namespace until its set is torn down.
sec_fresh_run() {
	local setup=$1
	shift
	timeout 90 unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0755,size=4m pamns-sec-run /run || exit 125
		mount -t tmpfs -o mode=0755,size=4m pamns-sec-varlib /var/lib || exit 125
		eval "$1" || exit 125
		shift
		echo "start_mnt=$(readlink /proc/self/ns/mnt)"
		exec "$@"' sh "$setup" timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" "$@"
}

# sec_helper_runs: one line per helper run recorded by a REC_WAIT
# rec-helper in $PNS_T/rec since the last call: "exit=N" when the helper
# ended by itself, "killed" when it was killed (the module's timeout); then
# forget those records.
sec_helper_runs() {
	local f
	for f in "$PNS_T"/rec/rec.*; do
		if grep -q '^helper_exit=' "$f"; then
			echo "exit=$(sed -n 's/^helper_exit=//p' "$f")"
		else
			echo killed
		fi
		rm -f "$f"
	done
	return 0
}

_sec_no_anchor() { [ -z "$(sec_anchors_of_uid "$1")" ]; }
# sec_wait_no_anchor UID: bounded wait until no anchor serves UID (for when
# a planted entry keeps set_socket_count from reaching 0).
sec_wait_no_anchor() { wait_until "$PNS_WAIT" _sec_no_anchor "$1"; }

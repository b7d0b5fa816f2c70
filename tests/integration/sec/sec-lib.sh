# shellcheck shell=bash
# tests/integration/sec/sec-lib.sh: shared by the t-sec-*.sh scripts. Source
# it after lib.sh and pns_setup. The C programs next to it are compiled at
# test time into the test's root-owned $PNS_T/bin (the module only runs a
# helper= that is a root-owned file not writable by group or others).

SEC_SRC=$PNS_SRCDIR/tests/integration/sec
SEC_CFLAGS=(-std=gnu11 -O1 -Wall -D_GNU_SOURCE)

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
		"$PNS_SRCDIR/common/parse.c" "$PNS_SRCDIR/common/idmap.c" "$@"
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

# sec_host_state: what must not change on the host: PID 1's mount table.
sec_host_mounts() { cat /proc/1/mountinfo; }

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

# shellcheck shell=bash
# tests/integration/lib.sh: the harness every t-*.sh sources.
#
# It gives a test script:
#   - a root-owned temp dir $PNS_T under /etc (policy files must live in
#     root-owned, non-writable directories, so not under /tmp);
#   - a cleanup registry (defer, defer_eval) run in reverse from an EXIT trap,
#     also on failure and on INT/TERM;
#   - test accounts (pamns-*), groups, a policy file, PAM service files;
#   - a real sshd on 127.0.0.1 with its own PAM service, ssh/sftp/scp
#     wrappers, held-open sessions;
#   - su, su -l and login run with a test PAM stack bound over
#     /etc/pam.d/{su,su-l,login} inside `unshare -m` (the real files are
#     never edited);
#   - a syslog receiver on /dev/log when the machine has none;
#   - assertions: pass NAME, fail NAME WHY, skip NAME WHY, check_* helpers.
#     PAM_NS_MUST_WORK=1 turns every skip into a failure.
#
# Every assertion is on an observed value (namespace inodes, file contents,
# host names, PAM return codes), never on "the command ran".

set -u
shopt -s nullglob

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset TMPDIR

PNS_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PNS_BUILDDIR=${PNS_BUILDDIR:-$PNS_SRCDIR}
PNS_MODULE_BUILT=$PNS_BUILDDIR/.libs/pam_ns.so
# PNS_TEST_HELPER: another build of the helper to test (scripts/check runs a
# few scripts with the glibc one when the tree builds the musl one).
PNS_HELPER_BUILT=${PNS_TEST_HELPER:-$PNS_BUILDDIR/pam_ns-helper}
PNS_NSCTL_BUILT=$PNS_BUILDDIR/pam_nsctl
PNS_DRIVE_BUILT=$PNS_BUILDDIR/tests/pam/pam-drive
PNS_NSCTL=$PNS_NSCTL_BUILT # copies under $PNS_T/bin after pns_setup
PNS_DRIVE=$PNS_DRIVE_BUILT
PNS_TEST=${PNS_TEST:-$(basename "$0" .sh)}
PNS_MUST_WORK=${PAM_NS_MUST_WORK:-0}
PNS_RUN_DIR=${PNS_RUN_DIR:-/run/pam_ns}
PNS_WAIT=${PNS_WAIT:-20}  # seconds for bounded waits (teardown, log lines); generous for loaded CI machines

PNS_PASSED=0
PNS_FAILED=0
PNS_SKIPPED=0
PNS_T=
PNS_CONF=
PNS_MODULE=
PNS_HELPER=
PNS_KEY=
PNS_SYSLOG_MARK=0
PNS_USERS=()
_pns_cleanups=()
_pns_logs=()
declare -A HOLD_FD=() HOLD_PID=() HOLD_OUT=()

# ---------------------------------------------------------------- output

_pns_record() {
	if [ -n "${PNS_RESULTS:-}" ]; then
		printf '%s\t%s\t%s\n' "$1" "$PNS_TEST" "$2" >>"$PNS_RESULTS"
	fi
}

pass() {
	PNS_PASSED=$((PNS_PASSED + 1))
	printf 'PASS  %s: %s\n' "$PNS_TEST" "$1"
	_pns_record pass "$1"
}

# fail NAME WHY: WHY should say what was expected and what was observed.
fail() {
	PNS_FAILED=$((PNS_FAILED + 1))
	printf 'FAIL  %s: %s\n' "$PNS_TEST" "$1"
	printf '%s\n' "${2:-no reason given}" | sed 's/^/      | /'
	_pns_context | sed 's/^/      | /'
	_pns_record fail "$1"
}

skip() {
	if [ "$PNS_MUST_WORK" = 1 ]; then
		PNS_FAILED=$((PNS_FAILED + 1))
		printf 'FAIL  %s: %s (skipped, and PAM_NS_MUST_WORK=1: %s)\n' "$PNS_TEST" "$1" "${2:-}"
		_pns_record fail "$1"
	else
		PNS_SKIPPED=$((PNS_SKIPPED + 1))
		printf 'SKIP  %s: %s (%s)\n' "$PNS_TEST" "$1" "${2:-}"
		_pns_record skip "$1"
	fi
}

note() { printf '      %s\n' "$*"; }

# What to show under a failure: the tail of every sshd log of this script
# and what syslog received since the script started.
_pns_context() {
	local f
	for f in "${_pns_logs[@]}"; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f"
		tail -n 15 "$f"
	done
	if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
		echo "--- syslog since the start of $PNS_TEST (last 20 lines)"
		tail -n +"$((PNS_SYSLOG_MARK + 1))" "$PNS_SYSLOG_FILE" | tail -n 20
	fi
}

check_eq() { # NAME EXPECTED OBSERVED [EXTRA]
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1" "expected: '$2'
observed: '$3'${4:+
$4}"
	fi
}

check_ne() { # NAME UNEXPECTED OBSERVED [EXTRA]
	if [ -n "$3" ] && [ "$2" != "$3" ]; then pass "$1"; else
		fail "$1" "expected a non-empty value different from '$2'
observed: '$3'${4:+
$4}"
	fi
}

check_contains() { # NAME HAYSTACK NEEDLE
	if [[ $2 == *"$3"* ]]; then pass "$1"; else
		fail "$1" "expected output containing '$3'; observed:
$2"
	fi
}

check_not_contains() { # NAME HAYSTACK NEEDLE
	if [[ $2 != *"$3"* ]]; then pass "$1"; else
		fail "$1" "expected output without '$3'; observed:
$2"
	fi
}

# kv KEY TEXT: the value of the first line "KEY=value" in TEXT.
kv() { printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1; }

# ---------------------------------------------------------------- cleanup

defer() { _pns_cleanups+=("$(printf '%q ' "$@")"); }
defer_eval() { _pns_cleanups+=("$1"); }

_pns_run_cleanups() {
	local i
	for ((i = ${#_pns_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_pns_cleanups[i]}" </dev/null || true
	done
	_pns_cleanups=()
}

_pns_exit() {
	local rc=$?
	trap - EXIT INT TERM
	_pns_run_cleanups
	if [ "${PNS_IS_RUNNER:-0}" != 1 ]; then
		printf '%s: %d passed, %d failed, %d skipped\n' "$PNS_TEST" \
			"$PNS_PASSED" "$PNS_FAILED" "$PNS_SKIPPED"
		[ "$PNS_FAILED" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
		[ "$PNS_FAILED" -eq 0 ] && echo "$PNS_TEST: exited with status $rc"
		exit 1
	fi
	exit "$rc"
}
trap _pns_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

# wait_until SECONDS CMD...: poll CMD every 0.1 s; true once it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1)) ; shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

ns_of() { readlink "/proc/$1/ns/$2" 2>/dev/null; } # PID mnt|ipc|uts
host_ns() { ns_of $$ "$1"; } # the namespace the tests (and their sshd) run in
mountinfo_lines() { wc -l <"/proc/$1/mountinfo"; }

# PIDs of processes whose NS (mnt, ipc, uts) is exactly VALUE ("mnt:[N]").
procs_in_ns() {
	local kind=$1 want=$2 p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/$kind" 2>/dev/null)" = "$want" ] && echo "${p#/proc/}"
	done
	return 0
}

# PIDs whose executable is PATH (the anchors are forked helpers).
procs_with_exe() {
	local want p
	want=$(readlink -f "$1")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$want" ] && echo "${p#/proc/}"
	done
	return 0
}

set_socket_count() { # UID: number of anchor sockets for the uid
	local n=0 f
	for f in "$PNS_RUN_DIR/$1"/*.sock; do n=$((n + 1)); done
	echo "$n"
}

_set_gone() { # UID [MNTNS]
	[ "$(set_socket_count "$1")" -eq 0 ] || return 1
	[ -z "${2:-}" ] || [ -z "$(procs_in_ns mnt "$2")" ]
}

# wait_set_gone UID [MNTNS]: bounded wait until the uid has no anchor socket
# and (when given) no process is left in the set's mount namespace.
wait_set_gone() { wait_until "$PNS_WAIT" _set_gone "$@"; }

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$PNS_TEST: must run as root" >&2
		exit 2
	fi
}

# require_built: the module, helper and pam-drive exist; else skip the script.
require_built() {
	local f missing=
	for f in "$PNS_MODULE_BUILT" "$PNS_HELPER_BUILT" "$PNS_DRIVE_BUILT" "$PNS_NSCTL_BUILT"; do
		[ -x "$f" ] || [ -f "$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		skip "build present" "not built:$missing (run make first)"
		exit 0
	fi
}

# ---------------------------------------------------------------- temp dir

# A root-owned 0755 directory under /etc: the policy's directory chain must be
# root-owned and not writable by others. The helper, pam_nsctl and pam-drive
# are copied there too, so the tests do not depend on where the build tree was
# cloned (a clone under /tmp is invisible from inside a set, and the module
# refuses a helper under a world-writable directory).
pns_setup() {
	require_root
	PNS_T=$(mktemp -d "${PNS_T_PREFIX:-/etc/pam_ns-test}.XXXXXX") || exit 2
	chmod 0755 "$PNS_T"
	defer rm -rf --one-file-system "$PNS_T"
	mkdir -m 0755 "$PNS_T/bin" "$PNS_T/pam.d" "$PNS_T/authorized_keys"
	PNS_CONF=$PNS_T/pam_ns.conf
	PNS_MODULE=$PNS_MODULE_BUILT
	PNS_HELPER=$PNS_T/bin/pam_ns-helper
	if [ -f "$PNS_HELPER_BUILT" ]; then
		install -m 0755 "$PNS_HELPER_BUILT" "$PNS_HELPER"
	fi
	if [ -f "$PNS_NSCTL_BUILT" ]; then
		PNS_NSCTL=$PNS_T/bin/pam_nsctl
		install -m 0755 "$PNS_NSCTL_BUILT" "$PNS_NSCTL"
	fi
	if [ -f "$PNS_DRIVE_BUILT" ]; then
		PNS_DRIVE=$PNS_T/bin/pam-drive
		install -m 0755 "$PNS_DRIVE_BUILT" "$PNS_DRIVE"
	fi
	syslog_ensure
	PNS_SYSLOG_MARK=0
	if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
		PNS_SYSLOG_MARK=$(wc -l <"$PNS_SYSLOG_FILE")
	fi
}

# policy: write stdin as the policy file (or FILE), root 0644.
policy() {
	local f=${1:-$PNS_CONF}
	cat >"$f"
	chmod 0644 "$f"
}

# ---------------------------------------------------------------- syslog

# Syslog. PNS_SYSLOG_FILE names the file the tests read. When /dev/log is
# missing (no syslog daemon, as in CI), start a small receiver on it. Test runs
# share one receiver: each registers its PID in "$file.users/" and the receiver
# exits by itself (removing /dev/log, if it is still its own socket, and its
# file) once no registered process is alive. So no run ever kills or unlinks
# another run's receiver.
PNS_SYSLOG_POINTER=${PNS_SYSLOG_POINTER:-/run/pam_ns-test-syslog}
PNS_SYSLOG_SOCKET=${PNS_SYSLOG_SOCKET:-/dev/log}
_pns_syslog_receiver='
import os, select, socket, sys, time
path, out, pointer = sys.argv[1:4]
users = out + ".users"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
ino = os.stat(path).st_ino
os.chmod(path, 0o666)
with open(pointer + ".tmp", "w") as p:
    p.write(out + "\n")
os.rename(pointer + ".tmp", pointer)

def alive():
    n = 0
    for e in os.listdir(users):
        try:
            os.kill(int(e), 0)
            n += 1
        except ProcessLookupError:
            try:
                os.unlink(os.path.join(users, e))
            except OSError:
                pass
        except (ValueError, PermissionError):
            n += 1
    return n

idle, last = 0, time.monotonic()
with open(out, "ab", buffering=0) as f:
    while idle < 2:
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            d = s.recv(65536).rstrip(b"\0\n").replace(b"\n", b" ")
            f.write(time.strftime("%H:%M:%S ").encode() + d + b"\n")
        if time.monotonic() - last >= 1.0:
            last = time.monotonic()
            idle = idle + 1 if alive() == 0 else 0
try:
    with open(pointer) as p:
        if p.read().strip() == out:
            os.unlink(pointer)
except OSError:
    pass
try:
    if os.stat(path).st_ino == ino:
        os.unlink(path)
except OSError:
    pass
for e in os.listdir(users):
    os.unlink(os.path.join(users, e))
os.rmdir(users)
os.unlink(out)
'

# _pns_syslog_join: use the receiver another run started, if there is one.
_pns_syslog_join() {
	local f
	f=$(cat "$PNS_SYSLOG_POINTER" 2>/dev/null)
	[ -n "$f" ] && [ -r "$f" ] && [ -d "$f.users" ] || return 1
	: >"$f.users/$$" 2>/dev/null || return 1
	defer rm -f "$f.users/$$"
	export PNS_SYSLOG_FILE=$f
}

syslog_ensure() {
	local f py=/usr/bin/python3 out
	[ -n "${PNS_SYSLOG_FILE:-}" ] && return 0
	if [ -e "$PNS_SYSLOG_SOCKET" ]; then
		_pns_syslog_join && return 0
		for f in /var/log/auth.log /var/log/syslog /var/log/messages; do
			if [ -r "$f" ]; then
				export PNS_SYSLOG_FILE=$f
				return 0
			fi
		done
		return 0
	fi
	[ -x "$py" ] || py=$(command -v python3) || return 0
	out=$(mktemp /var/tmp/pam_ns-syslog.XXXXXX)
	mkdir -m 0700 "$out.users"
	: >"$out.users/$$"
	defer rm -f "$out.users/$$"
	setsid "$py" -c "$_pns_syslog_receiver" "$PNS_SYSLOG_SOCKET" "$out" "$PNS_SYSLOG_POINTER" \
		</dev/null >/dev/null 2>&1 &
	if wait_until 5 sh -c "[ \"\$(cat $PNS_SYSLOG_POINTER 2>/dev/null)\" = '$out' ]"; then
		export PNS_SYSLOG_FILE=$out
		return 0
	fi
	# Another run bound the socket first (our receiver could not): join it.
	rm -rf "$out" "$out.users"
	wait_until "$PNS_WAIT" _pns_syslog_join || echo "$PNS_TEST: no syslog receiver on /dev/log" >&2
	return 0
}

# syslog_since_start: what syslog received since pns_setup.
syslog_since_start() {
	[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] || return 0
	tail -n +"$((PNS_SYSLOG_MARK + 1))" "$PNS_SYSLOG_FILE"
}

# syslog_mark: remember where syslog is now; syslog_since_mark prints what
# came after (one case's lines, where syslog_since_start has the script's).
PNS_SYSLOG_CASE=0
syslog_mark() {
	PNS_SYSLOG_CASE=0
	[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] || return 0
	PNS_SYSLOG_CASE=$(wc -l <"$PNS_SYSLOG_FILE")
}
syslog_since_mark() {
	[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] || return 0
	tail -n +"$((PNS_SYSLOG_CASE + 1))" "$PNS_SYSLOG_FILE"
}

# ---------------------------------------------------------------- accounts

# Live (not zombie) processes running as UID: all started by this test.
user_pids() {
	ps -o pid=,stat= -U "$1" -u "$1" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'
}

_pns_kill_user_procs() { # UID
	local sig pids
	for sig in TERM TERM KILL; do
		pids=$(user_pids "$1")
		[ -n "$pids" ] || return 0
		kill -"$sig" $pids 2>/dev/null
		wait_until 3 _pns_no_user_pids "$1"
	done
}
_pns_no_user_pids() { [ -z "$(user_pids "$1")" ]; }

_pns_user_del() { # NAME UID
	_pns_kill_user_procs "$2"
	if ! wait_set_gone "$2"; then
		fail "cleanup: set of $1 torn down" \
			"uid $2 still has anchor sockets after its processes were killed: $(ls "$PNS_RUN_DIR/$2" 2>&1)"
	fi
	# What the account left in the host's shared directories: there only if
	# isolation failed, and it must not leak into the next test.
	find /tmp /var/tmp /dev/shm -xdev -mindepth 1 -maxdepth 1 -uid "$2" \
		-exec rm -rf --one-file-system {} + 2>/dev/null
	userdel -r "$1" >/dev/null 2>&1 || userdel -f -r "$1" >/dev/null 2>&1
}

# user_add NAME [GROUP...]: a fresh account with a home and bash; removed at exit.
user_add() {
	local name=$1 uid g
	shift
	case $name in pamns-*) ;; *) echo "user_add: $name must start with pamns-" >&2; exit 2 ;; esac
	if getent passwd "$name" >/dev/null; then # left over from an interrupted run
		_pns_user_del "$name" "$(id -u "$name")"
	fi
	local groups=()
	[ $# -gt 0 ] && groups=(-G "$(IFS=,; echo "$*")")
	useradd -m -s /bin/bash "${groups[@]}" "$name" || {
		fail "create user $name" "useradd failed"
		exit 1
	}
	uid=$(id -u "$name")
	PNS_USERS+=("$name")
	defer _pns_user_del "$name" "$uid"
	if [ -n "$PNS_KEY" ]; then
		ssh_authorize "$name"
	fi
}

# group_add NAME: a fresh group; removed at exit (after its members).
group_add() {
	case $1 in pamns-*) ;; *) echo "group_add: $1 must start with pamns-" >&2; exit 2 ;; esac
	getent group "$1" >/dev/null && groupdel "$1" >/dev/null 2>&1
	groupadd "$1" || { fail "create group $1" "groupadd failed"; exit 1; }
	defer groupdel "$1"
}

# ---------------------------------------------------------------- PAM stacks

# The pam_ns line of every test stack: the freshly built module and helper.
pam_ns_args() { echo "config=$PNS_CONF helper=$PNS_HELPER debug"; }
pam_ns_line() { echo "session required $PNS_MODULE $(pam_ns_args)"; }

# pam_service NAME: write stdin to /etc/pam.d/NAME, removed at exit.
pam_service() {
	case $1 in pamns*) ;; *) echo "pam_service: $1 must start with pamns" >&2; exit 2 ;; esac
	defer rm -f "/etc/pam.d/$1"
	cat >"/etc/pam.d/$1"
	chmod 0644 "/etc/pam.d/$1"
}

# A stack for sshd (public key auth: the auth stack only serves setcred).
sshd_stack() {
	cat <<EOF
auth     required   pam_permit.so
account  required   pam_permit.so
password required   pam_deny.so
$(pam_ns_line)
session  optional   pam_permit.so
EOF
}

# A stack for su and login as root: pam_rootok, then pam_ns.
root_stack() {
	cat <<EOF
auth     sufficient pam_rootok.so
auth     required   pam_deny.so
account  required   pam_permit.so
password required   pam_deny.so
$(pam_ns_line)
session  optional   pam_permit.so
EOF
}

# pam_drive [pam-drive options] USER [-- CMD...]: pam-drive against $PNS_T/pam.d.
pam_drive() { timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" "$@"; }

# ---------------------------------------------------------------- sshd

_pns_sshd_n=0
SSHD_PORT=
SSHD_LOG=
SSHD_PIDFILE=
SSHD_SERVICE=

_pns_port_free() { [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

_pns_sshd_ready() {
	[ -s "$SSHD_PIDFILE" ] && kill -0 "$(cat "$SSHD_PIDFILE")" 2>/dev/null &&
		(exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null
}

_pns_sshd_stop() { # PIDFILE
	local pid
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	# Only the listener we started: check it is still an sshd before killing.
	case $(readlink "/proc/$pid/exe" 2>/dev/null) in
	*/sshd) kill "$pid" && wait_until 5 sh -c "! kill -0 $pid" ;;
	esac
	rm -f "$1"
}

ssh_keygen_client() {
	[ -n "$PNS_KEY" ] && return 0
	PNS_KEY=$PNS_T/id_ed25519
	ssh-keygen -q -t ed25519 -N '' -C pam_ns-test -f "$PNS_KEY" </dev/null || exit 2
	local u
	for u in "${PNS_USERS[@]}"; do ssh_authorize "$u"; done
}

# ssh_authorize USER: let the test key in as USER.
ssh_authorize() {
	install -m 0644 "$PNS_KEY.pub" "$PNS_T/authorized_keys/$1"
}

# sshd_start [internal|server]: an sshd on 127.0.0.1 with its own PAM service
# (sshd takes the service name from argv[0]). Sets SSHD_PORT, SSHD_LOG,
# SSHD_PIDFILE, SSHD_SERVICE. The PAM stack is sshd_stack() unless
# SSHD_STACK names a file to use instead; SSHD_NAME overrides the service name.
sshd_start() {
	local sftp=${1:-internal} n cfg port try subsystem
	_pns_sshd_n=$((_pns_sshd_n + 1))
	n=$_pns_sshd_n
	ssh_keygen_client
	mkdir -p -m 0755 /run/sshd
	[ -f "$PNS_T/ssh_host_ed25519_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -f "$PNS_T/ssh_host_ed25519_key" </dev/null
	SSHD_SERVICE=${SSHD_NAME:-pamnstest-$$-$n} # the PAM service name
	if [ -n "${SSHD_STACK:-}" ]; then
		pam_service "$SSHD_SERVICE" <"$SSHD_STACK"
	else
		pam_service "$SSHD_SERVICE" < <(sshd_stack)
	fi
	ln -sf /usr/sbin/sshd "$PNS_T/bin/$SSHD_SERVICE"
	case $sftp in
	internal) subsystem=internal-sftp ;;
	server) subsystem=/usr/lib/openssh/sftp-server ;;
	*) echo "sshd_start: unknown sftp variant $sftp" >&2; exit 2 ;;
	esac
	SSHD_LOG=$PNS_T/sshd.$n.log
	SSHD_PIDFILE=$PNS_T/sshd.$n.pid
	_pns_logs+=("$SSHD_LOG")
	cfg=$PNS_T/sshd.$n.conf
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 20000))
		_pns_port_free "$port" || continue
		cat >"$cfg" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $PNS_T/ssh_host_ed25519_key
PidFile $SSHD_PIDFILE
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $PNS_T/authorized_keys/%u
StrictModes yes
PermitRootLogin no
AllowUsers pamns-*
MaxStartups 100
MaxSessions 50
LoginGraceTime 60
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowAgentForwarding no
LogLevel VERBOSE
Subsystem sftp $subsystem
EOF
		SSHD_PORT=$port
		: >"$SSHD_LOG"
		"$PNS_T/bin/$SSHD_SERVICE" -f "$cfg" -E "$SSHD_LOG" </dev/null
		if wait_until 10 _pns_sshd_ready; then
			defer _pns_sshd_stop "$SSHD_PIDFILE"
			return 0
		fi
		_pns_sshd_stop "$SSHD_PIDFILE"
	done
	fail "start sshd ($sftp sftp)" "sshd did not come up on 127.0.0.1"
	exit 1
}

ssh_opts() {
	SSH_OPTS=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
		-o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes
		-o "IdentityFile=$PNS_KEY" -o "Port=$SSHD_PORT" -o ConnectTimeout=10)
}

# ssh_as USER CMD: run CMD (one string, run by the login shell) over ssh.
ssh_as() {
	local user=$1
	shift
	ssh_opts
	timeout 60 ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" "$@" </dev/null
}

# Close, in a background child, the write ends we hold for held sessions:
# a child keeping one open would keep that session from ever seeing EOF.
_pns_close_hold_fds() {
	local f
	for f in "${HOLD_FD[@]}"; do exec {f}>&-; done
}

# ssh_hold ID USER [CMD]: open a session of USER that stays until
# ssh_release ID. CMD (default: print the mount namespace as ns=...) runs
# first, its output in HOLD_OUT[ID]; the mount namespace is in HOLD_NS[ID]
# (also via hold_ns ID). Returns 1 if the session did not come up.
declare -A HOLD_NS=()
ssh_hold() {
	local id=$1 user=$2 cmd=${3:-'echo "ns=$(readlink /proc/self/ns/mnt)"'}
	local fifo=$PNS_T/hold.$1 fd pid
	ssh_opts
	rm -f "$fifo" "$fifo.out"
	mkfifo -m 0600 "$fifo"
	exec {fd}<>"$fifo"
	(
		_pns_close_hold_fds
		exec {fd}>&-
		exec timeout 600 ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" \
			"$cmd; echo ready; exec cat >/dev/null"
	) <"$fifo" >"$fifo.out" 2>&1 &
	pid=$!
	HOLD_FD[$id]=$fd
	HOLD_PID[$id]=$pid
	HOLD_OUT[$id]=$fifo.out
	defer_eval "ssh_release $id"
	if ! wait_until 30 grep -qx ready "$fifo.out"; then
		HOLD_NS[$id]=
		return 1
	fi
	HOLD_NS[$id]=$(sed -n 's/^ns=//p' "$fifo.out")
	return 0
}

# ssh_release ID: end the held session (EOF on its stdin) and wait for ssh.
ssh_release() {
	local id=$1 fd=${HOLD_FD[$1]:-} pid=${HOLD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	[ -n "$fd" ] && exec {fd}>&-
	if ! wait_until 15 sh -c "! kill -0 $pid 2>/dev/null"; then
		kill "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "HOLD_FD[$id]" "HOLD_PID[$id]"
	return 0
}

# ---------------------------------------------------------------- su, login

# in_stack STACKFILE CMD...: run CMD in a private mount namespace in which
# STACKFILE is bound over /etc/pam.d/{su,su-l,login,runuser,runuser-l}.
in_stack() {
	local stack=$1
	shift
	timeout 120 unshare -m --propagation private sh -c '
		stack=$1; shift
		for f in su su-l login runuser runuser-l; do
			[ -e /etc/pam.d/$f ] || continue
			mount --bind "$stack" /etc/pam.d/$f || exit 125
		done
		exec "$@"' sh "$stack" "$@"
}

# login_pty STACKFILE USER CMD: log USER in with login(1) on a pty, run CMD in
# the login shell, print its output between markers.
login_pty() {
	local stack=$1 user=$2 cmd=$3 exp=$PNS_T/login.exp
	cat >"$exp" <<'EOF'
set timeout 30
log_user 0
set user [lindex $argv 0]
set cmd [lindex $argv 1]
spawn -noecho login -f $user
expect {
	-re {[$#] $} {}
	timeout { puts "login_pty: no shell prompt"; exit 2 }
	eof { puts "login_pty: login exited: $expect_out(buffer)"; exit 3 }
}
send -- "echo BEGIN_\$((6*7)); $cmd; echo END_\$((6*7))\r"
expect {
	-re {BEGIN_42\r?\n(.*)END_42} { puts -nonewline [string map {"\r" ""} $expect_out(1,string)] }
	timeout { puts "login_pty: no output"; exit 4 }
	eof { puts "login_pty: shell exited"; exit 5 }
}
send -- "exit\r"
expect eof
catch wait result
exit [lindex $result 3]
EOF
	in_stack "$stack" expect -f "$exp" "$user" "$cmd"
}

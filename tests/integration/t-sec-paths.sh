#!/usr/bin/env bash
# Security suite, paths (SPEC 8.3; catalogue rows 1-4, 32).
#
# 1. Squatting: every path the module and helper touch as root
#    (/run/pam_ns, /run/pam_ns/UID, its lock and socket, /var/lib/pam_ns,
#    its tmp base and /var/lib/pam_ns/tmp/UID for tmp = dir) is planted, as
#    root (what a compromised or misconfigured system could hold), as a
#    file, a symlink to /etc or to a root-owned canary, a FIFO, a directory
#    owned by the user, or a root directory with a loose mode. Logins are
#    denied (or, where the object is root's own and harmless, correct),
#    the helper ends by itself (no hang until the timeout), nothing is
#    followed, the canary and /etc are untouched. /run/pam_ns and
#    /var/lib/pam_ns themselves are planted in a private mount namespace
#    with fresh tmpfs, never on the host.
# 2. Races: with tmp = dir, the user swaps symlinks (to /etc, /etc/shadow,
#    the canary), FIFOs and directories inside its own /tmp and /var/tmp in
#    a loop, from a session in its set, during 1000 logins (SEC_RACE_LOGINS)
#    that each create
#    a set over the same directory. Every login is correct or denied,
#    nothing outside changes, PID 1's mount table is unchanged.
# 3. Close: a session's files live as long as a process of the set does
#    (a sleep keeps /tmp after logout); teardown never removes or follows
#    an entry it did not make.
# 4. A socket planted in one uid's directory never lands that uid in
#    another uid's set; the module never follows a symlinked /run/pam_ns.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-pa
user_add pamns-sec-pb
ua=$(id -u pamns-sec-pa)
ub=$(id -u pamns-sec-pb)
sec_std_policy ""
sec_std_policy "$PNS_T/session.conf" session
policy "$PNS_T/dir.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = dir
var_tmp    = dir
EOF
policy "$PNS_T/dir-session.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = dir
var_tmp    = dir
share      = session
EOF

mkdir -m 0700 "$PNS_T/rec"
sec_cc rec-helper rec-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DREC_DIR=\"$PNS_T/rec\"" -DREC_WAIT=1
hargs="helper=$PNS_T/bin/rec-helper timeout=5 debug"
sec_stack user "config=$PNS_CONF $hargs"
sec_stack session "config=$PNS_T/session.conf $hargs"
sec_stack dir "config=$PNS_T/dir.conf $hargs"
sec_stack dirsess "config=$PNS_T/dir-session.conf $hargs"

# The state directories of the test's uids under /var/lib/pam_ns are theirs
# to remove (userdel does not, see SECURITY.md); the bases stay.
varlib_existed=no
[ -d /var/lib/pam_ns ] && varlib_existed=yes
defer_eval "rm -rf --one-file-system /var/lib/pam_ns/tmp/$ua /var/lib/pam_ns/tmp/$ub /var/lib/pam_ns/var-tmp/$ua /var/lib/pam_ns/var-tmp/$ub"
if [ $varlib_existed = no ]; then
	defer_eval "rmdir /var/lib/pam_ns/tmp /var/lib/pam_ns/var-tmp /var/lib/pam_ns 2>/dev/null"
fi

canary=$PNS_T/canary
mkdir -m 0700 "$canary"
echo untouched >"$canary/file"
chmod 0600 "$canary/file"
canary_sig() { stat -c '%n %i %a %u %g %s %Y' "$canary" "$canary/file"; ls -A "$canary"; cat "$canary/file"; }
etc_sig() {
	stat -c '%n %a %u %g' /etc /etc/shadow /etc/passwd
	ls -A /etc | grep -xE 'lock|user\.sock|(session|superseded)-[0-9a-f]+\.sock|[0-9]+|tmp|var-tmp|pam_ns' || true
}
canary_before=$(canary_sig)
etc_before=$(etc_sig)
host_mnt=$(host_ns mnt)
mounts_before=$(sec_host_mounts)

# plant PATH KIND [OWNER-UID]: put an object of KIND at PATH (root does it).
plant() {
	case $2 in
	file) echo squat >"$1" ;;
	symlink-etc) ln -s /etc "$1" ;;
	symlink-canary) ln -s "$canary" "$1" ;;
	fifo) mkfifo -m 0600 "$1" ;;
	user-dir) mkdir -m 0700 "$1" && chown "$3" "$1" ;;
	root-dir-0755) mkdir -m 0755 "$1" ;;
	esac
}
# planted_sig PATH: what the planted object is; must not change.
planted_sig() {
	if [ -L "$1" ]; then
		echo "symlink -> $(readlink "$1")"
	elif [ -p "$1" ]; then
		echo "fifo $(stat -c '%a %u' "$1")"
	elif [ -d "$1" ]; then
		echo "dir $(stat -c '%u' "$1") [$(ls -A "$1" | tr '\n' ' ')]"
	elif [ -f "$1" ]; then
		echo "file $(cat "$1")"
	else
		echo missing
	fi
}
unplant() {
	if [ -d "$1" ] && [ ! -L "$1" ]; then rm -rf --one-file-system "$1"; else rm -f "$1"; fi
}

# expect_denied TAG OUT: PAM_SESSION_ERR, caller unchanged, helper not hung.
expect_denied() {
	check_eq "$1: PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$2")" "$2"
	check_eq "$1: caller stays in its mount namespace" "$(kv start_mnt "$2")" "$(kv ns_mnt "$2")" "$2"
	check_eq "$1: denied at once (no helper killed at the timeout)" "" \
		"$(sec_helper_runs | grep -v '^exit=')"
}

# why_of KIND: what the refusal says of an object of that kind.
why_of() {
	case $1 in
	file) echo "is a regular file" ;;
	symlink-*) echo "is a symbolic link" ;;
	fifo) echo "is a FIFO" ;;
	user-dir) echo "owned by uid $ua" ;;
	root-dir-0755) echo "mode 0755" ;;
	esac
}
# expect_refused TAG PATH KIND: since syslog_mark, the refusal names the
# planted object and what is wrong with it, not the step that met it (so a
# denial for another reason, a loose base say, cannot pass for this one).
_refusal_logged() { syslog_since_mark | grep -qF "Refusing state directory $1: $2, must be"; }
expect_refused() {
	if wait_until "$PNS_WAIT" _refusal_logged "$2" "$(why_of "$3")"; then
		pass "$1: the log names $2 and what is wrong with it"
	else
		fail "$1: the log names $2 and what is wrong with it" \
			"expected a line with 'Refusing state directory $2: $(why_of "$3"), must be'
syslog since the case began:
$(syslog_since_mark | tail -n 8)"
	fi
	check_not_contains "$1: the log does not blame a mount" "$(syslog_since_mark)" "Failed to mount"
}
# fresh_uid_dir: no set of uid A, no /run/pam_ns/A (each case starts there).
fresh_uid_dir() {
	sec_wait_no_anchor "$ua"
	rm -rf --one-file-system "${PNS_RUN_DIR:?}/$ua"
}

# --- 1a. /run/pam_ns/UID and /var/lib/pam_ns/tmp/UID planted on the host ---
kinds=(file symlink-etc symlink-canary fifo user-dir root-dir-0755)
for kind in "${kinds[@]}"; do
	for svc in user session; do
		p=$PNS_RUN_DIR/$ua
		fresh_uid_dir
		[ -d "$PNS_RUN_DIR" ] || install -d -m 0700 "$PNS_RUN_DIR"
		plant "$p" "$kind" "$ua"
		before=$(planted_sig "$p")
		syslog_mark
		out=$(echo "start_mnt=$(host_ns mnt)"; pam_drive --service "$svc" pamns-sec-pa -- true 2>&1)
		expect_denied "run/pam_ns/UID is a $kind ($svc)" "$out"
		expect_refused "run/pam_ns/UID is a $kind ($svc)" "$p" "$kind"
		check_eq "run/pam_ns/UID is a $kind ($svc): left as it was" "$before" "$(planted_sig "$p")"
		unplant "$p"
	done
done
check_eq "run/pam_ns/UID squats: canary untouched" "$canary_before" "$(canary_sig)"
check_eq "run/pam_ns/UID squats: /etc untouched" "$etc_before" "$(etc_sig)"

# /var/lib/pam_ns/tmp/UID (tmp = dir): the bases are root's 0700, each
# level made with that mode here the way the helper makes them (mkdir -p -m
# would give the upper levels the umask's mode), and checked, so that a
# refusal below is about the planted object and nothing else.
for d in /var/lib/pam_ns /var/lib/pam_ns/tmp /var/lib/pam_ns/var-tmp; do
	[ -d "$d" ] || mkdir -m 0700 "$d"
	check_eq "the base $d is root's, mode 0700" "0 700 directory" "$(stat -c '%u %a %F' "$d")"
done
for kind in "${kinds[@]}"; do
	p=/var/lib/pam_ns/tmp/$ua
	fresh_uid_dir
	plant "$p" "$kind" "$ua"
	before=$(planted_sig "$p")
	syslog_mark
	out=$(echo "start_mnt=$(host_ns mnt)"; pam_drive --service dir pamns-sec-pa -- stat -c 'tmp_ino=%i' /tmp 2>&1)
	if [ "$kind" = root-dir-0755 ]; then
		# Root's own directory: adopted (made 1777) or refused, never half.
		if [ "$(kv open_rc "$out")" = PAM_SUCCESS ]; then
			check_eq "var/lib/pam_ns/tmp/UID is a root 0755 dir: adopted as the user's /tmp" \
				"$(stat -c %i "$p")" "$(kv tmp_ino "$out")" "$out"
			check_eq "var/lib/pam_ns/tmp/UID is a root 0755 dir: made 1777 by fd" 1777 "$(stat -c %a "$p")"
		else
			expect_denied "var/lib/pam_ns/tmp/UID is a root 0755 dir" "$out"
		fi
		sec_helper_runs >/dev/null
	else
		expect_denied "var/lib/pam_ns/tmp/UID is a $kind" "$out"
		expect_refused "var/lib/pam_ns/tmp/UID is a $kind" "$p" "$kind"
		check_eq "var/lib/pam_ns/tmp/UID is a $kind: left as it was" "$before" "$(planted_sig "$p")"
	fi
	wait_set_gone "$ua"
	check_eq "var/lib/pam_ns/tmp/UID is a $kind: no set left" 0 "$(set_socket_count "$ua")"
	unplant "$p"
done
check_eq "var/lib squats: canary untouched" "$canary_before" "$(canary_sig)"
check_eq "var/lib squats: /etc untouched (mode of /etc and /etc/shadow too)" "$etc_before" "$(etc_sig)"

# --- 1b. the lock and the socket in a proper /run/pam_ns/UID ----------------
for obj in lock user.sock; do
	for kind in symlink-canary fifo root-dir-0755; do
		fresh_uid_dir
		mkdir -m 0700 "$PNS_RUN_DIR/$ua"
		p=$PNS_RUN_DIR/$ua/$obj
		if [ "$kind" = symlink-canary ]; then
			ln -s "$canary/file" "$p"
			want="symlink -> $canary/file"
		else
			plant "$p" "$kind"
			want=$(planted_sig "$p")
			[ "$kind" = fifo ] && want="fifo 600 0"
			[ "$kind" = root-dir-0755 ] && want="dir 0 []"
		fi
		check_eq "UID/$obj is a $kind: planted" "$want" "$(planted_sig "$p")"
		out=$(echo "start_mnt=$(host_ns mnt)"; pam_drive --service user pamns-sec-pa -- true 2>&1)
		rc=$(kv open_rc "$out")
		if [ "$rc" = PAM_SUCCESS ]; then
			# A dead socket name is removed and the set made afresh.
			check_ne "UID/$obj is a $kind: the session got a set of its own" "$host_mnt" "$(kv ns_mnt "$out")" "$out"
		else
			expect_denied "UID/$obj is a $kind" "$out"
		fi
		sec_helper_runs >/dev/null
		check_eq "UID/$obj is a $kind: canary untouched" "$canary_before" "$(canary_sig)"
		sec_wait_no_anchor "$ua"
		unplant "$p"
		rm -f "$PNS_RUN_DIR/$ua/lock"
		rmdir "$PNS_RUN_DIR/$ua" 2>/dev/null
	done
done

# --- 1c. /run/pam_ns and /var/lib/pam_ns themselves, in a sandbox ----------
for kind in "${kinds[@]}"; do
	setup="$(declare -f plant); canary='$canary'; plant /run/pam_ns $kind $ua"
	syslog_mark
	out=$(sec_fresh_run "$setup" --service user pamns-sec-pa -- true 2>&1)
	expect_denied "sandbox: /run/pam_ns is a $kind" "$out"
	expect_refused "sandbox: /run/pam_ns is a $kind" /run/pam_ns "$kind"
	for base in /var/lib/pam_ns /var/lib/pam_ns/tmp; do
		[ "$kind" = file ] && [ $base = /var/lib/pam_ns/tmp ] && continue
		mk=:
		[ $base = /var/lib/pam_ns/tmp ] && mk="mkdir -m 0700 /var/lib/pam_ns"
		setup="$(declare -f plant); canary='$canary'; $mk; plant $base $kind $ua"
		syslog_mark
		out=$(sec_fresh_run "$setup" --service dir pamns-sec-pa -- true 2>&1)
		expect_denied "sandbox: $base is a $kind" "$out"
		expect_refused "sandbox: $base is a $kind" "$base" "$kind"
	done
done

# A loose base made the way `mkdir -p -m 0700 /var/lib/pam_ns/tmp` makes it
# (the upper level 0755): the log and pam_nsctl check both name that level.
setup="mkdir -m 0755 /var/lib/pam_ns && mkdir -m 0700 /var/lib/pam_ns/tmp"
syslog_mark
out=$(sec_fresh_run "$setup" --service dir pamns-sec-pa -- true 2>&1)
expect_denied "sandbox: /var/lib/pam_ns is 0755 under a 0700 tmp" "$out"
expect_refused "sandbox: /var/lib/pam_ns is 0755 under a 0700 tmp" /var/lib/pam_ns root-dir-0755
check_contains "sandbox: the log says what /var/lib/pam_ns must be" "$(syslog_since_mark)" \
	"Refusing state directory /var/lib/pam_ns: mode 0755, must be a directory owned by root, mode 0700"
out=$(timeout 60 unshare -m --propagation private sh -c '
	mount -t tmpfs -o mode=0755,size=4m pamns-sec-varlib /var/lib || exit 125
	'"$setup"' || exit 125
	"$1" check --config "$2"; echo "rc=$?"' sh "$PNS_NSCTL" "$PNS_CONF" 2>&1)
check_contains "pam_nsctl check: names the loose base" "$out" \
	"/var/lib/pam_ns: mode 0755, must be a directory owned by root, mode 0700"
check_eq "pam_nsctl check: a loose base is a negative answer (exit 1)" 1 "$(kv rc "$out")" "$out"
out=$(timeout 60 unshare -m --propagation private sh -c '
	mount -t tmpfs -o mode=0755,size=4m pamns-sec-varlib /var/lib || exit 125
	mkdir -m 0700 /var/lib/pam_ns
	"$1" check --config "$2"; echo "rc=$?"' sh "$PNS_NSCTL" "$PNS_CONF" 2>&1)
check_eq "pam_nsctl check: a root 0700 base is fine (exit 0)" 0 "$(kv rc "$out")" "$out"
check_eq "sandbox squats: canary untouched" "$canary_before" "$(canary_sig)"
check_eq "sandbox squats: /etc untouched" "$etc_before" "$(etc_sig)"
check_eq "sandbox squats: host mount table unchanged" "$mounts_before" "$(sec_host_mounts)"

# --- 2. races inside the user's own tmp = dir --------------------------------
cat >"$PNS_T/bin/swapper" <<'EOF'
#!/bin/bash
# Run as the user inside its set: swap things in its own /tmp and /var/tmp
# (its /var/lib/pam_ns/{tmp,var-tmp}/UID) until /tmp/stop appears (bounded).
canary=$1
echo ready
n=0
while [ ! -e /tmp/stop ] && [ $n -lt 20000 ]; do
	n=$((n + 1))
	for d in /tmp /var/tmp; do
		ln -sfn /etc "$d/lock"
		ln -sfn "$canary/file" "$d/user.sock"
		ln -sfn /etc/shadow "$d/$UID"
		ln -sfn / "$d/tmp"
		mkfifo "$d/fifo.$((n % 3))" 2>/dev/null
		mkdir -p "$d/dir"
		mv -T "$d/dir" "$d/dir.old" 2>/dev/null
		ln -sfn "$canary" "$d/dir"
		rm -rf "$d/dir.old" "$d/lock" "$d/fifo.$(((n + 1) % 3))"
	done
done
echo "swaps=$n"
EOF
chmod 0755 "$PNS_T/bin/swapper"
stamp=$PNS_T/race.stamp
touch "$stamp"
sleep 1 # find -newer compares at the file system's time granularity
mounts_before=$(sec_host_mounts)
if sec_hold race --service dir --as-user pamns-sec-pb -- "$PNS_T/bin/swapper" "$canary"; then
	pass "race: the user's swapper runs in its set"
else
	fail "race: the user's swapper runs in its set" "$(cat "${SEC_HOLD_OUT[race]}")"
fi
dir_ino=$(stat -c %i "/var/lib/pam_ns/tmp/$ub")
logins=${SEC_RACE_LOGINS:-1000}
ok=0 denied=0 wrong=0 other=0
for i in $(seq 1 "$logins"); do
	out=$(pam_drive --service dirsess pamns-sec-pb -- stat -c 'tmp_ino=%i' /tmp 2>&1)
	case $(kv open_rc "$out") in
	PAM_SUCCESS)
		if [ "$(kv tmp_ino "$out")" = "$dir_ino" ]; then ok=$((ok + 1)); else
			wrong=$((wrong + 1))
			note "login $i: /tmp is inode $(kv tmp_ino "$out"), not the user's directory $dir_ino"
		fi
		;;
	PAM_SESSION_ERR) denied=$((denied + 1)) ;;
	*) other=$((other + 1)); note "login $i: $out" ;;
	esac
done
touch "/var/lib/pam_ns/tmp/$ub/stop"
sec_release race
note "race: $logins logins during $(kv swaps "$(cat "${SEC_HOLD_OUT[race]}")") swap rounds: $ok correct, $denied denied"
check_eq "race: no login got a /tmp other than the user's own directory" 0 "$wrong"
check_eq "race: every login is correct or denied with PAM_SESSION_ERR" 0 "$other"
check_eq "race: the swaps cannot make a login fail ($logins of $logins open)" "$logins" "$ok"
check_eq "race: the canary is untouched" "$canary_before" "$(canary_sig)"
check_eq "race: /etc is untouched" "$etc_before" "$(etc_sig)"
check_eq "race: the user's directory is still root's, 1777" "0 1777" "$(stat -c '%u %a' "/var/lib/pam_ns/tmp/$ub")"
wait_set_gone "$ub"
check_eq "race: PID 1's mount table is unchanged" "$mounts_before" "$(sec_host_mounts)"
# Anything changed since the stamp outside the user's own directories, the
# test's files, the tree under test (its logs, wherever it was cloned) and
# what concurrent account changes touch.
changed=$(find /etc /usr /boot /opt /var/lib -xdev -newer "$stamp" 2>/dev/null |
	grep -vE "^($PNS_T|$PNS_SRCDIR|$PNS_BUILDDIR|/var/lib/pam_ns/(tmp|var-tmp)/$ub)(/|$)" |
	grep -vE '^/etc$|^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-?$|^/etc/\.pwd\.lock$|^/etc/pam_ns-(test|bench)\.|^/etc/pam\.d(/pamns.*)?$|^/var/lib$|^/var/lib/(dpkg|apt|ucf)(/|$)|^/var/lib/pam_ns(/(tmp|var-tmp)(/[0-9]+)?)?$' )
check_eq "race: nothing changed outside the user's own directories" "" "$changed"

# --- 3. close: files live as long as a process of the set ------------------
out=$(pam_drive --service user --as-user pamns-sec-pa -- sh -c '
	echo data >/tmp/keep
	setsid sh -c "exec 9</tmp/keep; i=0; while [ \$i -lt 300 ] && [ ! -e /tmp/stop ]; do echo \$i >/tmp/alive; i=\$((i+1)); sleep 0.1; done" </dev/null >/dev/null 2>&1 &
	echo bg=$!
	echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
bg=$(kv bg "$out")
set_mnt=$(kv mnt "$out")
check_eq "close: the session closed" PAM_SUCCESS "$(kv close_rc "$out")" "$out"
if [ -n "$bg" ] && kill -0 "$bg" 2>/dev/null; then
	defer_eval "kill $bg 2>/dev/null"
	check_eq "close: the set lives on while a process is in it" 1 "$(set_socket_count "$ua")"
	a1=$(nsenter -t "$bg" -m cat /tmp/alive 2>&1)
	wait_until "$PNS_WAIT" sh -c "[ \"\$(nsenter -t $bg -m cat /tmp/alive 2>&1)\" != '$a1' ]"
	check_ne "close: the process still writes its /tmp after logout" "$a1" "$(nsenter -t "$bg" -m cat /tmp/alive 2>&1)"
	check_eq "close: the session's file is still there" data "$(nsenter -t "$bg" -m cat /tmp/keep 2>&1)"
	check_eq "close: the process is still in the set's mount namespace" "$set_mnt" "$(ns_of "$bg" mnt)"
	kill "$bg"
	if wait_set_gone "$ua" "$set_mnt"; then
		pass "close: the set goes once its last process has"
	else
		fail "close: the set goes once its last process has" "$(ls -la "$PNS_RUN_DIR/$ua" 2>&1)"
	fi
else
	fail "close: a background process outlives the session" "$out"
fi

# Teardown only removes its own socket: swap it for a symlink to the canary
# while the session is open.
if sec_hold swap --service user --as-user pamns-sec-pa -- sh -c 'echo ready; exec cat >/dev/null'; then
	d=$PNS_RUN_DIR/$ua
	mv "$d/user.sock" "$d/user.sock.moved"
	ln -s "$canary/file" "$d/user.sock"
	sec_release swap
	sec_wait_no_anchor "$ua"
	check_eq "close: a socket swapped for a symlink is left alone" "symlink -> $canary/file" "$(planted_sig "$d/user.sock")"
	check_eq "close: the symlink's target (canary) is untouched" "$canary_before" "$(canary_sig)"
	check_eq "close: the set's anchor is gone all the same" "" "$(sec_anchors_of_uid "$ua")"
	rm -f "$d/user.sock" "$d/user.sock.moved" "$d/lock"
	rmdir "$d" 2>/dev/null
else
	fail "close: hold a session for the swap" "$(cat "${SEC_HOLD_OUT[swap]}")"
fi

# Teardown must act on the directory it made, never on whatever a path
# names by then. In a private mount namespace with shared propagation (so a
# new mount there reaches the set, as a host remount would), a set is made,
# then root mounts a fresh /run over it holding an empty
# /run/pam_ns/UID (the canary); the session ends: the canary must survive.
fifo=$PNS_T/remount.fifo
mkfifo -m 0600 "$fifo"
exec {rmfd}<>"$fifo"
(
	exec {rmfd}>&-
	exec timeout 120 unshare -m --propagation shared sh -c '
		mount -t tmpfs -o mode=0755,size=4m pamns-sec-run /run || exit 125
		sleep 120 </dev/null >/dev/null 2>&1 &
		echo "keeper=$!"
		exec "$@"' sh "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service user --as-user pamns-sec-pa -- \
		sh -c 'echo ready; exec cat >/dev/null'
) <"$fifo" >"$PNS_T/remount.out" 2>&1 &
rmpid=$!
defer_eval "exec {rmfd}>&- 2>/dev/null; kill $rmpid 2>/dev/null"
if wait_until 30 grep -qx ready "$PNS_T/remount.out"; then
	keeper=$(kv keeper "$(cat "$PNS_T/remount.out")")
	defer_eval "kill $keeper 2>/dev/null"
	nsenter -t "$keeper" -m sh -c "mount -t tmpfs -o mode=0755,size=4m pamns-sec-run2 /run &&
		mkdir -m 0700 /run/pam_ns /run/pam_ns/$ua && echo canary >/run/pam_ns/$ua.canary"
	exec {rmfd}>&-
	wait_until 15 sh -c "! kill -0 $rmpid 2>/dev/null"
	wait "$rmpid" 2>/dev/null
	sec_wait_no_anchor "$ua"
	check_eq "remounted /run: the set's anchor is gone" "" "$(sec_anchors_of_uid "$ua")"
	check_eq "remounted /run: teardown left the directory it did not make" yes \
		"$(nsenter -t "$keeper" -m sh -c "test -d /run/pam_ns/$ua && echo yes || echo no")"
	kill "$keeper" 2>/dev/null
else
	fail "remounted /run: hold a session in a sandbox" "$(cat "$PNS_T/remount.out")"
fi

# tmp = dir: what the user leaves in its directory (a symlink to the canary
# included) stays as it is across teardown; root never walks it.
out=$(pam_drive --service dir --as-user pamns-sec-pa -- sh -c "echo kept >/tmp/kept; ln -s '$canary/file' /tmp/link" 2>&1)
wait_set_gone "$ua"
out=$(pam_drive --service dir --as-user pamns-sec-pa -- sh -c 'echo kept=$(cat /tmp/kept); echo link=$(readlink /tmp/link)' 2>&1)
check_eq "tmp = dir: the user's file survives teardown" kept "$(kv kept "$out")" "$out"
check_eq "tmp = dir: the user's symlink survives as a symlink" "$canary/file" "$(kv link "$out")" "$out"
check_eq "tmp = dir: the canary is untouched" "$canary_before" "$(canary_sig)"
wait_set_gone "$ua"

# --- 4. one uid's socket name never leads into another uid's set -------------
if sec_hold b --service user --as-user pamns-sec-pb -- sh -c 'echo mnt=$(readlink /proc/self/ns/mnt); echo ready; exec cat >/dev/null'; then
	b_mnt=$(kv mnt "$(cat "${SEC_HOLD_OUT[b]}")")
	mkdir -p -m 0700 "$PNS_RUN_DIR/$ua"
	ln -s "$PNS_RUN_DIR/$ub/user.sock" "$PNS_RUN_DIR/$ua/user.sock"
	out=$(pam_drive --service user pamns-sec-pa -- true 2>&1)
	a_mnt=$(kv ns_mnt "$out")
	if [ "$a_mnt" = "$b_mnt" ]; then
		fail "uid A's user.sock is a symlink to uid B's: A does not join B's set" \
			"A's session landed in B's mount namespace $b_mnt (the anchor serves an OPEN for another uid)
$out"
	else
		pass "uid A's user.sock is a symlink to uid B's: A does not join B's set"
	fi
	sec_helper_runs >/dev/null
	sec_release b
	wait_set_gone "$ub"
	sec_wait_no_anchor "$ua"
	rm -f "$PNS_RUN_DIR/$ua/user.sock" "$PNS_RUN_DIR/$ua/lock"
	rmdir "$PNS_RUN_DIR/$ua" 2>/dev/null
else
	fail "hold a session of uid B" "$(cat "${SEC_HOLD_OUT[b]}")"
fi

# The module's direct join must refuse a symlinked /run/pam_ns as the
# helper does: a listener at the end of the link must never be connected to.
mkdir -m 0700 "$PNS_T/fakerun" "$PNS_T/fakerun/$ua"
setup="ln -s '$PNS_T/fakerun' /run/pam_ns
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
try:
    c, _ = s.accept()
    open(sys.argv[2], \"w\").write(\"connected\")
    c.close()
except OSError:
    pass
' '$PNS_T/fakerun/$ua/user.sock' '$PNS_T/fakerun/connected' &
	i=0; while [ ! -S '$PNS_T/fakerun/$ua/user.sock' ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done"
out=$(sec_fresh_run "$setup" --service user pamns-sec-pa -- true 2>&1)
expect_denied "sandbox: /run/pam_ns is a symlink to a root 0700 directory with a listener" "$out"
check_eq "sandbox: the module never connects through a symlinked /run/pam_ns" no \
	"$([ -e "$PNS_T/fakerun/connected" ] && echo yes || echo no)"

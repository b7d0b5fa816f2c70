#!/usr/bin/env bash
# Security suite, environment and arguments (SPEC 8.5; catalogue rows 12,
# 13, 21).
#
# - su and su - run with TMPDIR, LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH,
#   BASH_ENV, IFS and a hostile PATH; sshd with AcceptEnv passing them from
#   the client. A recording helper (helper=, then exec of the real one)
#   shows what the helper got: exactly PATH=/usr/sbin:/usr/bin:/sbin:/bin,
#   argv "pam_ns-helper open -- UID", no preloaded library, fds 0-2 on
#   /dev/null and 3 a socket, all ids 0, no supplementary group, no blocked
#   or ignored signal once the helper has started (its anchor, after a
#   caller that ignores nine signals). The module itself calls no getenv().
# - Hostile user names: real accounts made with useradd --badname (dots,
#   "..", upper case matched only by [uid:N], 32 bytes) and, through
#   nss_wrapper, names useradd cannot safely write ("-c",
#   "--config=/tmp/x", "../../etc", "a/b", "..", 300 bytes, "@admins",
#   "Alice" next to "alice"), plus names unknown to NSS (a newline, a
#   colon). Each gets exactly its own section or a clear denial; state is
#   keyed by uid; the helper gets the uid after "--".
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-env
uid=$(id -u pamns-sec-env)
sec_std_policy ""

mkdir -m 0700 "$PNS_T/rec"
sec_cc rec-helper rec-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DREC_DIR=\"$PNS_T/rec\""
mkdir -m 0755 "$PNS_T/lib"
if ! cc -shared -fPIC -o "$PNS_T/lib/libsecmark.so" "$SEC_SRC/preload.c" 2>"$PNS_T/cc-preload.log"; then
	fail "build libsecmark.so" "$(cat "$PNS_T/cc-preload.log")"
	exit 1
fi
secmark_log=$PNS_T/secmark.log
: >"$secmark_log"
rec_args="config=$PNS_CONF helper=$PNS_T/bin/rec-helper debug"

# last_record: the one helper record since the last call (and forget it).
last_record() {
	local f n=0
	for f in "$PNS_T"/rec/rec.*; do n=$((n + 1)); done
	if [ "$n" -ne 1 ]; then
		echo "records=$n"
	else
		cat "$PNS_T"/rec/rec.*
	fi
	rm -f "$PNS_T"/rec/rec.*
}

# check_record TAG RECORD UID: the helper's view is exactly the fixed one.
check_record() {
	local tag=$1 rec=$2 u=$3
	check_eq "$tag: helper environment is exactly PATH" "env PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
		"$(grep '^env ' <<<"$rec")" "$rec"
	check_eq "$tag: helper argv is pam_ns-helper open -- UID" "argc=4 pam_ns-helper open -- $u" \
		"$(echo "argc=$(kv argc "$rec")" "$(kv 'argv\[0\]' "$rec")" "$(kv 'argv\[1\]' "$rec")" \
			"$(kv 'argv\[2\]' "$rec")" "$(kv 'argv\[3\]' "$rec")")" "$rec"
	check_eq "$tag: no preloaded library in the helper" absent "$(kv preload_marker "$rec")" "$rec"
	check_eq "$tag: helper fds are 0-2 on /dev/null and 3 a socket" \
		"fd 0 -> /dev/null|fd 1 -> /dev/null|fd 2 -> /dev/null|fd 3 -> socket" \
		"$(grep '^fd ' <<<"$rec" | sort -n -k2 | sed 's/socket:\[[0-9]*\]/socket/' | paste -sd'|')" "$rec"
	check_eq "$tag: helper runs with every uid and gid 0, no groups" \
		"Uid: 0 0 0 0|Gid: 0 0 0 0|Groups:" \
		"$(grep -E '^status (Uid|Gid|Groups):' <<<"$rec" | sed 's/^status //; s/[[:space:]]\+/ /g; s/ $//' | paste -sd'|')" "$rec"
	# The module execs the helper with every signal blocked (none of its
	# caller's handlers may run in between), and what the caller ignores
	# (sshd: SIGPIPE) is still ignored; the helper resets both itself (the
	# hostile-helper case below).
	check_ne "$tag: the helper is started with signals blocked" "SigBlk: 0000000000000000" \
		"$(grep -E '^status SigBlk:' <<<"$rec" | sed 's/^status //; s/[[:space:]]\+/ /g; s/ $//')" "$rec"
}

# anchor_signals UID: SigBlk and SigIgn of the anchor of the uid's set.
anchor_signals() {
	local p
	p=$(sec_anchors_of_uid "$1" | head -n 1)
	if [ -z "$p" ]; then
		echo "no anchor for uid $1"
		return 0
	fi
	grep -E '^Sig(Blk|Ign):' "/proc/$p/status" | sed 's/[[:space:]]\+/ /g; s/ $//' | paste -sd'|'
}

hostile_env=(TMPDIR=/etc "LD_PRELOAD=$PNS_T/lib/libsecmark.so" "SECMARK_LOG=$secmark_log"
	LD_LIBRARY_PATH=/tmp GCONV_PATH=/tmp/gconv BASH_ENV=/tmp/evil.sh "IFS=/ " ENV=/tmp/evil.sh
	PATH=/tmp/evil:/usr/sbin:/usr/bin:/sbin:/bin PAM_NS_HELPER=/tmp/evil LANG=C.UTF-8)

# --- the module reads no environment -----------------------------------------
syms=$(nm -D --undefined-only "$PNS_MODULE" 2>/dev/null | awk '{ print $NF }')
check_ne "module: nm lists its imports" "" "$syms"
check_eq "module: imports neither getenv nor secure_getenv" "" \
	"$(grep -E '^(secure_)?getenv(@|$)|^__libc_secure_getenv' <<<"$syms")"

# --- su and su - as root, hostile environment --------------------------------
sec_su_stack "$PNS_T/su.stack" "$rec_args"
rm -f "$PNS_T"/rec/rec.*
for mode in su su-l; do
	[ $mode = su ] && args=(su pamns-sec-env -c) || args=(su - pamns-sec-env -c)
	: >"$secmark_log"
	out=$(cd /tmp && in_stack "$PNS_T/su.stack" env "${hostile_env[@]}" "${args[@]}" 'echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
	check_ne "$mode, hostile environment: the session is isolated" "$(host_ns mnt)" "$(kv mnt "$out")" "$out"
	check_contains "$mode, hostile environment: su really ran with the LD_PRELOAD" "$(cat "$secmark_log")" "exe=/usr/bin/su"
	rec=$(last_record)
	check_record "$mode, hostile environment" "$rec" "$uid"
	check_eq "$mode, run from /tmp: the helper runs from /, not the caller's directory" / "$(kv cwd "$rec")" "$rec"
	note "$mode: the helper starts with umask $(kv umask "$rec") (the caller's; it sets its own)"
	wait_set_gone "$uid"
done

# --- sshd with AcceptEnv --------------------------------------------------------
{
	echo "auth     optional   $PNS_MODULE $rec_args"
	echo "auth     required   pam_permit.so"
	echo "account  required   pam_permit.so"
	echo "password required   pam_deny.so"
	echo "session  required   $PNS_MODULE $rec_args"
} >"$PNS_T/sshd.stack"
SSHD_STACK=$PNS_T/sshd.stack sshd_start internal
cfg=${SSHD_PIDFILE%.pid}.conf
echo "AcceptEnv TMPDIR LD_PRELOAD LD_LIBRARY_PATH GCONV_PATH BASH_ENV SECMARK_LOG PAM_NS_HELPER LANG" >>"$cfg"
# sshd re-executes itself with the same arguments on SIGHUP and rereads its
# configuration; same pid, same port.
kill -HUP "$(cat "$SSHD_PIDFILE")"
sleep 0.5
wait_until 10 _pns_sshd_ready
rm -f "$PNS_T"/rec/rec.*
ssh_opts
out=$(env "${hostile_env[@]}" SECMARK_LOG= timeout 60 ssh "${SSH_OPTS[@]}" \
	-o "SendEnv=TMPDIR LD_PRELOAD LD_LIBRARY_PATH GCONV_PATH BASH_ENV PAM_NS_HELPER" \
	pamns-sec-env@127.0.0.1 'echo mnt=$(readlink /proc/self/ns/mnt); echo tmpdir=$TMPDIR; echo gconv=$GCONV_PATH' </dev/null 2>&1)
check_eq "ssh AcceptEnv: the client's TMPDIR reached the session (the plant took)" /etc "$(kv tmpdir "$out")" "$out"
check_eq "ssh AcceptEnv: the client's GCONV_PATH reached the session" /tmp/gconv "$(kv gconv "$out")" "$out"
check_ne "ssh AcceptEnv: the session is isolated" "$(host_ns mnt)" "$(kv mnt "$out")" "$out"
check_record "ssh AcceptEnv" "$(last_record)" "$uid"
wait_set_gone "$uid"

# --- a caller that leaves signals ignored -------------------------------------------
# The helper resets what it and its anchor answer to, whatever it inherits:
# this recording helper execs the real one with nine signals ignored.
sec_cc hostile-helper rec-helper.c "-DREAL_HELPER=\"$PNS_HELPER\"" "-DREC_DIR=\"$PNS_T/rec\"" \
	-DREC_HOSTILE_SIGNALS=1
sed -i "s|helper=$PNS_T/bin/rec-helper|helper=$PNS_T/bin/hostile-helper|" "$PNS_T/sshd.stack"
if ssh_hold sig pamns-sec-env; then
	check_eq "ignored signals before the helper: its anchor has none blocked, only SIGPIPE ignored" \
		"SigBlk: 0000000000000000|SigIgn: 0000000000001000" "$(anchor_signals "$uid")"
else
	fail "ignored signals before the helper: the session opens" "$(cat "${HOLD_OUT[sig]}")"
fi
ssh_release sig
rm -f "$PNS_T"/rec/rec.*
wait_set_gone "$uid"

# --- hostile names: real accounts -------------------------------------------------
n_dot=pamns-sec.x
n_dotdot=pamns-sec..b
n_upper=PamNS-SecUp
n_long=pamns-sec-0123456789abcdef012345 # 32 bytes, useradd's limit
for n in "$n_dot" "$n_dotdot" "$n_upper" "$n_long"; do sec_user_add "$n"; done
u_upper=$(id -u -- "$n_upper")
policy "$PNS_T/names.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M

[user:$n_dot]
tmp_size   = 3M

[user:$n_dotdot]
tmp_size   = 4M

[uid:$u_upper]
tmp_size   = 5M

[user:$n_long]
tmp_size   = 6M

[user:pamns-sec]
tmp_size   = 7M
EOF
sec_stack names "config=$PNS_T/names.conf helper=$PNS_T/bin/rec-helper debug"
declare -A want=([$n_dot]=3072k [$n_dotdot]=4096k [$n_upper]=5120k [$n_long]=6144k)
for n in "$n_dot" "$n_dotdot" "$n_upper" "$n_long"; do
	u=$(id -u -- "$n")
	out=$(pam_drive --service names -- "$n" -- sh -c "findmnt -no OPTIONS /tmp | tr , '\n' | grep '^size='; test -S $PNS_RUN_DIR/$u/user.sock && echo state=by-uid" 2>&1)
	check_eq "name '$n': session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "name '$n': exactly its own section applies" "${want[$n]}" "$(kv size "$out")" "$out"
	check_eq "name '$n': its state is under /run/pam_ns/UID" by-uid "$(kv state "$out")" "$out"
	rec=$(last_record)
	check_eq "name '$n': the helper gets the uid after --" "-- $u" "$(kv 'argv\[2\]' "$rec") $(kv 'argv\[3\]' "$rec")" "$rec"
	wait_set_gone "$u"
done
in_stack_out=$(sec_su_stack "$PNS_T/names-su.stack" "config=$PNS_T/names.conf helper=$PNS_HELPER debug"
	in_stack "$PNS_T/names-su.stack" su - "$n_dotdot" -c "findmnt -no OPTIONS /tmp | tr , '\n' | grep '^size='" 2>&1)
check_eq "su - '$n_dotdot': its own section applies" 4096k "$(kv size "$in_stack_out")" "$in_stack_out"

# --- hostile names through nss_wrapper ---------------------------------------------
nss_lib=
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu; do
	[ -e "$d/libnss_wrapper.so" ] && nss_lib=$d/libnss_wrapper.so && break
done
if [ -z "$nss_lib" ]; then
	skip "nss_wrapper names" "libnss_wrapper.so is not installed (Debian: libnss-wrapper)"
else
	long=$(printf 'p%.0s' $(seq 1 300))
	names=(-c "--config=/tmp/x" "../../etc" "a/b" ".." "$long" "@admins" Alice alice)
	sizes=(3072k 4096k 5120k "" 6144k 8192k 7168k 10240k 11264k)
	mkdir -m 0755 "$PNS_T/nss"
	: >"$PNS_T/nss/passwd"
	: >"$PNS_T/nss/group"
	base=4243000
	for i in "${!names[@]}"; do
		u=$((base + i + 1))
		printf '%s:x:%d:%d::/:/bin/sh\n' "${names[$i]}" "$u" "$u" >>"$PNS_T/nss/passwd"
		printf 'g%d:x:%d:\n' "$u" "$u" >>"$PNS_T/nss/group"
	done
	chmod 0644 "$PNS_T/nss/passwd" "$PNS_T/nss/group"
	policy "$PNS_T/nss.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M

[user:-c]
tmp_size   = 3M

[user:--config=/tmp/x]
tmp_size   = 4M

[user:../../etc]
tmp_size   = 5M

[user:a/b]
hostname   = %u-box

[user:..]
tmp_size   = 6M

[user:@admins]
tmp_size   = 7M

[uid:$((base + 8))]
tmp_size   = 10M

[user:alice]
tmp_size   = 11M
EOF
	sec_stack nss "config=$PNS_T/nss.conf helper=$PNS_T/bin/rec-helper debug"
	nss_env=(LD_PRELOAD="$nss_lib" NSS_WRAPPER_PASSWD="$PNS_T/nss/passwd" NSS_WRAPPER_GROUP="$PNS_T/nss/group")
	for i in "${!names[@]}"; do
		n=${names[$i]}
		u=$((base + i + 1))
		tag="nss name '${n:0:24}$([ ${#n} -gt 24 ] && echo "...(${#n} bytes)")'"
		out=$(env "${nss_env[@]}" timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service nss -- "$n" -- \
			sh -c "findmnt -no OPTIONS /tmp | tr , '\n' | grep '^size='" 2>&1)
		rec=$(last_record)
		if [ -z "${sizes[$i]}" ]; then
			# hostname = %u-box cannot expand to a valid host name for "a/b".
			check_eq "$tag: a clear denial (the host name template cannot take it)" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
			check_eq "$tag: denied before any helper runs" "records=0" "$rec"
		else
			check_eq "$tag: session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
			check_eq "$tag: exactly its own section applies" "${sizes[$i]}" "$(kv size "$out")" "$out"
			check_eq "$tag: the helper gets the uid after --" "-- $u" "$(kv 'argv\[2\]' "$rec") $(kv 'argv\[3\]' "$rec")" "$rec"
		fi
		wait_set_gone "$u"
		rmdir "$PNS_RUN_DIR/$u" 2>/dev/null
	done
	# Names NSS cannot hold: unknown user, a clear denial.
	for n in $'pamns-sec\nFAKE-LOG-LINE' "group:wheel"; do
		out=$(env "${nss_env[@]}" timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service nss -- "$n" -- true 2>&1)
		check_eq "unknown name '${n//$'\n'/\\n}': PAM_SESSION_ERR" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
		check_eq "unknown name '${n//$'\n'/\\n}': no helper runs" "records=0" "$(last_record)"
	done
	if [ -n "${PNS_SYSLOG_FILE:-}" ]; then
		check_contains "unknown name with a newline: logged with the newline replaced" \
			"$(syslog_since_start)" "pamns-sec?FAKE-LOG-LINE"
	fi
fi
check_eq "state: only numeric names (and the policy cache) under /run/pam_ns" "" \
	"$(find "$PNS_RUN_DIR" -mindepth 1 -maxdepth 1 ! -regex '.*/[0-9]+' ! -name policy-cache 2>/dev/null)"
check_eq "state: nothing made at /tmp/x or /etc/etc" "" "$(ls -d /tmp/x /etc/etc /run/etc 2>/dev/null)"

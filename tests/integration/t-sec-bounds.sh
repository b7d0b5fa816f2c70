#!/usr/bin/env bash
# Security suite, resource bounds (SPEC 8.6; catalogue rows 29, 33, 34).
#
# - share = session: a user holding 64 sets gets the 65th login denied
#   (with a log line); its share = user set still opens; all 64 go away
#   when their sessions end.
# - tmp_size = 1M: writing more into /tmp fails with ENOSPC inside,
#   nothing reaches the host; tmp_inodes = 100: the 101st file cannot be
#   created.
# - /dev/shm has sizes of its own (issue 11, finding 7): with only tmp_size
#   and tmp_inodes set, the private /dev/shm is 10% of RAM with the kernel's
#   inode count, not tmp_size's 1M; shm_size = 1M and shm_inodes = 100
#   bound it (ENOSPC) while /tmp takes its own tmp_size = 8M; pam_nsctl
#   explain shows both and where they come from.
# - NSS: a group lookup that fails (nss_wrapper with a module answering
#   UNAVAIL or TRYAGAIN) means a denied login, never PAM_IGNORE, even under a
#   policy that only isolates a group; a slow one is reported (the NSS time
#   is not bounded by timeout=, see SECURITY.md).
. "$(dirname "$0")/lib.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"

user_add pamns-sec-bd
uid=$(id -u pamns-sec-bd)
sec_std_policy "" session
sec_std_policy "$PNS_T/user.conf"
policy "$PNS_T/small.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 1M
tmp_inodes = 100
EOF
policy "$PNS_T/shm.conf" <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
shm_size   = 1M
shm_inodes = 100
EOF
probe=$(sec_probe)
sec_stack session "config=$PNS_CONF helper=$PNS_HELPER debug"
sec_stack user "config=$PNS_T/user.conf helper=$PNS_HELPER debug"
sec_stack small "config=$PNS_T/small.conf helper=$PNS_HELPER debug"
sec_stack shm "config=$PNS_T/shm.conf helper=$PNS_HELPER debug"

# --- 64 session sets per user ------------------------------------------------
fifo=$PNS_T/cap.fifo
mkfifo -m 0600 "$fifo"
exec {capfd}<>"$fifo"
pids=()
for i in $(seq 1 64); do
	(
		exec {capfd}>&-
		exec timeout 180 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service session --as-user pamns-sec-bd -- \
			sh -c 'echo ready; exec cat >/dev/null'
	) <"$fifo" >"$PNS_T/cap.out.$i" 2>&1 &
	pids+=($!)
done
defer_eval "exec {capfd}>&- 2>/dev/null; kill ${pids[*]} 2>/dev/null"
all_ready() { [ "$(cat "$PNS_T"/cap.out.* 2>/dev/null | grep -cx ready)" -eq 64 ]; }
if wait_until 60 all_ready; then
	pass "64 share = session logins all open"
else
	fail "64 share = session logins all open" "$(grep -L ready "$PNS_T"/cap.out.* | head -n 3 | xargs -r cat)"
fi
check_eq "64 sets exist" 64 "$(ls "$PNS_RUN_DIR/$uid" | grep -c '^session-.*\.sock$')"
mark=0
[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] && mark=$(wc -l <"$PNS_SYSLOG_FILE")
out=$(pam_drive --service session --always-run pamns-sec-bd -- true 2>&1)
check_eq "the 65th set: denied" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
check_eq "the 65th set: the caller stays in its mount namespace" "$(host_ns mnt)" "$(kv ns_mnt "$out")" "$out"
check_eq "the 65th set: still 64 sets" 64 "$(ls "$PNS_RUN_DIR/$uid" | grep -c '^session-.*\.sock$')"
if [ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ]; then
	check_contains "the 65th set: the log says why" "$(tail -n +"$((mark + 1))" "$PNS_SYSLOG_FILE")" "already has 64 session sets"
fi
out=$(pam_drive --service user pamns-sec-bd -- true 2>&1)
check_eq "with 64 session sets, the share = user set still opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
exec {capfd}>&-
for p in "${pids[@]}"; do
	wait_until 15 sh -c "! kill -0 $p 2>/dev/null" || kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
if wait_set_gone "$uid"; then
	pass "all 64 sets go when their sessions end"
else
	fail "all 64 sets go when their sessions end" "$(ls "$PNS_RUN_DIR/$uid" | head)"
fi

# --- tmpfs size and inode limits -----------------------------------------------
# fill_both SERVICE DIR: a login through SERVICE shows the mount options of
# /tmp and /dev/shm, writes 4M into each (dd= and shm= say whether it
# stopped with ENOSPC, size= and shmsize= what was written), then makes 200
# files in DIR (fill=).
fill_both() {
	pam_drive --service "$1" --as-user pamns-sec-bd -- sh -c "
	echo opts=\$(findmnt -no OPTIONS /tmp)
	echo shmopts=\$(findmnt -no OPTIONS /dev/shm)
	dd if=/dev/zero of=/tmp/fill bs=64k count=64 2>&1 | grep -o 'No space left on device' | head -n 1 | sed 's/^/dd=/'
	echo size=\$(stat -c %s /tmp/fill)
	rm -f /tmp/fill
	dd if=/dev/zero of=/dev/shm/fill bs=64k count=64 2>&1 | grep -o 'No space left on device' | head -n 1 | sed 's/^/shm=/'
	echo shmsize=\$(stat -c %s /dev/shm/fill)
	rm -f /dev/shm/fill
	'$probe' fill $2 200" 2>&1
}
host_free=$(df --output=avail /tmp | tail -n 1)
# What a tmpfs mounted with size=10% shows: the kernel takes 10% of
# totalram_pages in bytes, rounds up to pages, and shows it in KiB.
page=$(getconf PAGESIZE)
shm_default_k=$((($(getconf _PHYS_PAGES) * page * 10 / 100 + page - 1) / page * page / 1024))
out=$(fill_both small /tmp)
check_eq "tmp_size = 1M: the session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_contains "tmp_size = 1M: /tmp is mounted with size=1024k" "$(kv opts "$out")" "size=1024k"
check_contains "tmp_inodes = 100: /tmp is mounted with nr_inodes=100" "$(kv opts "$out")" "nr_inodes=100"
check_eq "tmp_size = 1M: writing 4M into /tmp stops with ENOSPC" "No space left on device" "$(kv dd "$out")" "$out"
size=$(kv size "$out")
if [ -n "$size" ] && [ "$size" -le 1048576 ]; then
	pass "tmp_size = 1M: no more than 1M was written ($size bytes)"
else
	fail "tmp_size = 1M: no more than 1M was written" "size: $size"
fi
shmopts=$(kv shmopts "$out")
check_contains "only tmp_size = 1M set: /dev/shm is a tmpfs of its own size, 10% of RAM (${shm_default_k}k)" \
	"$shmopts," "size=${shm_default_k}k,"
check_not_contains "only tmp_size = 1M set: /dev/shm is not sized by tmp_size" "$shmopts," "size=1024k,"
check_not_contains "only tmp_inodes = 100 set: /dev/shm is not limited by tmp_inodes" "$shmopts," "nr_inodes=100,"
check_eq "only tmp_size = 1M set: 4M fit into /dev/shm" "4194304" "$(kv shmsize "$out")" "$out"
fill=$(kv fill "$out")
at=$(printf '%s\n' "$out" | sed -n 's/^fill=.* at=//p')
check_eq "tmp_inodes = 100: creating 200 files stops with ENOSPC" "ENOSPC" "${fill%% *}" "$out"
if [ -n "$at" ] && [ "$at" -le 100 ]; then
	pass "tmp_inodes = 100: at most 100 inodes ($at files made)"
else
	fail "tmp_inodes = 100: at most 100 inodes" "files made: $at"
fi
check_eq "the host's /tmp never got the fill" no "$([ -e /tmp/fill ] && echo yes || echo no)"
note "host /tmp free space: $host_free KiB before, $(df --output=avail /tmp | tail -n 1) KiB after"
wait_set_gone "$uid"

# --- shm_size and shm_inodes bound the private /dev/shm ---------------------------
out=$(fill_both shm /dev/shm)
check_eq "shm_size = 1M: the session opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
shmopts=$(kv shmopts "$out")
check_contains "shm_size = 1M: /dev/shm is mounted with size=1024k" "$shmopts," "size=1024k,"
check_contains "shm_inodes = 100: /dev/shm is mounted with nr_inodes=100" "$shmopts," "nr_inodes=100,"
check_contains "shm_size = 1M: /tmp keeps tmp_size = 8M" "$(kv opts "$out")," "size=8192k,"
check_not_contains "shm_inodes = 100: /tmp keeps the kernel's inode count" "$(kv opts "$out")," "nr_inodes=100,"
check_eq "tmp_size = 8M: 4M fit into /tmp" "4194304" "$(kv size "$out")" "$out"
check_eq "shm_size = 1M: writing 4M into /dev/shm stops with ENOSPC" "No space left on device" "$(kv shm "$out")" "$out"
size=$(kv shmsize "$out")
if [ -n "$size" ] && [ "$size" -le 1048576 ]; then
	pass "shm_size = 1M: no more than 1M was written ($size bytes)"
else
	fail "shm_size = 1M: no more than 1M was written" "size: $size"
fi
fill=$(kv fill "$out")
at=$(printf '%s\n' "$out" | sed -n 's/^fill=.* at=//p')
check_eq "shm_inodes = 100: creating 200 files in /dev/shm stops with ENOSPC" "ENOSPC" "${fill%% *}" "$out"
if [ -n "$at" ] && [ "$at" -le 100 ]; then
	pass "shm_inodes = 100: at most 100 inodes ($at files made)"
else
	fail "shm_inodes = 100: at most 100 inodes" "files made: $at"
fi
check_eq "the host's /dev/shm never got the fill" no \
	"$([ -e /dev/shm/fill ] || [ -e /dev/shm/f.0 ] && echo yes || echo no)"
wait_set_gone "$uid"

# pam_nsctl explain: the value of each key, where it comes from, and the mount.
ex=$("$PNS_NSCTL" explain pamns-sec-bd --config "$PNS_T/small.conf" 2>&1)
check_eq "explain, only tmp_size set: shm_size is 10%, built in" "10% built-in" \
	"$(printf '%s\n' "$ex" | awk '$1 == "shm_size" { print $2, $3 }')" "$ex"
check_eq "explain, only tmp_size set: /dev/shm is mounted with size=10%" "nosuid,nodev,mode=1777,size=10%" \
	"$(printf '%s\n' "$ex" | awk '$1 == "/dev/shm" { print $3 }')" "$ex"
ex=$("$PNS_NSCTL" explain pamns-sec-bd --config "$PNS_T/shm.conf" 2>&1)
check_eq "explain, shm_size = 1M: its value and line" "1M $PNS_T/shm.conf:6" \
	"$(printf '%s\n' "$ex" | awk '$1 == "shm_size" { print $2, $3 }')" "$ex"
check_eq "explain, shm_inodes = 100: its value and line" "100 $PNS_T/shm.conf:7" \
	"$(printf '%s\n' "$ex" | awk '$1 == "shm_inodes" { print $2, $3 }')" "$ex"
check_eq "explain, shm_size = 1M: the /dev/shm mount" "nosuid,nodev,mode=1777,size=1048576,nr_inodes=100" \
	"$(printf '%s\n' "$ex" | awk '$1 == "/dev/shm" { print $3 }')" "$ex"

# --- NSS failures ------------------------------------------------------------------
nss_lib=
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu; do
	[ -e "$d/libnss_wrapper.so" ] && nss_lib=$d/libnss_wrapper.so && break
done
if [ -z "$nss_lib" ]; then
	skip "NSS failures" "libnss_wrapper.so is not installed (Debian: libnss-wrapper)"
	exit 0
fi
mkdir -m 0755 "$PNS_T/nss"
if ! cc -shared -fPIC -o "$PNS_T/nss/libnss_secfail.so" "$SEC_SRC/nss-fail.c" 2>"$PNS_T/cc-nss.log"; then
	fail "build the failing NSS module" "$(cat "$PNS_T/cc-nss.log")"
	exit 1
fi
nu=4244001
printf 'pamns-sec-nss:x:%d:%d::/:/bin/sh\n' "$nu" "$nu" >"$PNS_T/nss/passwd"
printf 'pamns-sec-nssp:x:%d:\npamns-sec-nssg:x:4244100:pamns-sec-nss\n' "$nu" >"$PNS_T/nss/group"
chmod 0644 "$PNS_T/nss/passwd" "$PNS_T/nss/group"
# Only the group is isolated: a lookup that lost the group must not exempt.
policy "$PNS_T/group.conf" <<EOF
[default]
isolate    = no

[group:pamns-sec-nssg]
isolate    = yes
namespaces = mount ipc uts
tmp        = tmpfs
tmp_size   = 8M
EOF
sec_stack group "config=$PNS_T/group.conf helper=$PNS_HELPER timeout=3 debug"
nss_drive() { # GROUP-FILE MODE
	env LD_PRELOAD="$nss_lib" NSS_WRAPPER_PASSWD="$PNS_T/nss/passwd" NSS_WRAPPER_GROUP="$1" \
		NSS_WRAPPER_MODULE_SO_PATH="$PNS_T/nss/libnss_secfail.so" NSS_WRAPPER_MODULE_FN_PREFIX=secfail \
		SECFAIL_MODE="$2" SECFAIL_SLEEP="${SLEEP:-2}" timeout 60 "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service group \
		pamns-sec-nss -- true 2>&1
}
out=$(nss_drive "$PNS_T/nss/group" none)
check_eq "NSS working: the group member is isolated" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_ne "NSS working: ... in a set" "$(host_ns mnt)" "$(kv ns_mnt "$out")" "$out"
wait_set_gone "$nu"
rmdir "$PNS_RUN_DIR/$nu" 2>/dev/null || true
for mode in unavail tryagain; do
	out=$(nss_drive "$PNS_T/nss/missing-group-file" "$mode")
	check_eq "NSS group lookup fails ($mode): denied, not exempted" PAM_SESSION_ERR "$(kv open_rc "$out")" "$out"
	check_eq "NSS group lookup fails ($mode): the caller stays where it was" "$(host_ns mnt)" "$(kv ns_mnt "$out")" "$out"
done
start=$SECONDS
out=$(SLEEP=4 nss_drive "$PNS_T/nss/group" slow)
check_eq "slow NSS: the answer, when it comes, is applied (the member is isolated)" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_ne "slow NSS: ... in a set" "$(host_ns mnt)" "$(kv ns_mnt "$out")" "$out"
note "NSS group lookups that take 4 s each (timeout=3): the login took $((SECONDS - start)) s (not bounded by timeout=3)"
wait_set_gone "$nu"
rmdir "$PNS_RUN_DIR/$nu" 2>/dev/null || true

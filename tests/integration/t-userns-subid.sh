#!/usr/bin/env bash
# userns_map = subid over a real sshd: which subordinate ranges lead to a
# login with the maps pam_ns(8) specifies, and which deny it (with the reason
# in syslog, the same verdict from `pam_nsctl explain`, and no set left
# behind): valid, missing (in one file or both), containing 0, containing the
# user's uid, containing one of its gids, overlapping another account's range,
# delegated to another account as well, lying inside another account's range.
# /etc/subuid and /etc/subgid are edited for the test accounts only and
# restored at exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/userns/lib-userns.sh"
pns_setup
require_built
uns_subid_prepare
uns_syslog_adopt

group_add pamns-usgx
users=(pamns-usv pamns-usm pamns-usmg pamns-usz pamns-usu pamns-usgg
	pamns-uso1 pamns-uso2 pamns-usd1 pamns-usd2 pamns-usi1 pamns-usi2)
for u in "${users[@]}"; do
	if [ "$u" = pamns-usgg ]; then user_add "$u" pamns-usgx; else user_add "$u"; fi
done
declare -A U
for u in "${users[@]}"; do U[$u]=$(id -u "$u"); done
gx=$(getent group pamns-usgx | cut -d: -f3)

# pamns-usz's range holds 0 but no account's uid (those start at 1000).
# Ranges far above what useradd hands out here (SUB_UID_MAX 600100000).
B=2200000000
set_ranges() {
	uns_subid_set "$@" || { fail "set subordinate ranges of $1" "usermod failed"; exit 1; }
}
set_ranges pamns-usv "$B:65536 $((B + 900000)):10" "$((B + 1000000)):65536"
set_ranges pamns-usm "" ""
set_ranges pamns-usmg "$((B + 2000000)):65536" ""
set_ranges pamns-usz "0:500" "$((B + 3000000)):65536"
set_ranges pamns-usu "$((${U[pamns-usu]} - 5)):100" "$((B + 4000000)):65536"
set_ranges pamns-usgg "$((B + 5000000)):65536" "$((gx - 2)):10"
# Overlap: the last ids of uso1's range are the first of uso2's.
set_ranges pamns-uso1 "$((B + 6000000)):1000" "$((B + 6100000)):65536"
set_ranges pamns-uso2 "$((B + 6000500)):1000" "$((B + 6200000)):65536"
# The same gid range delegated to two accounts.
set_ranges pamns-usd1 "$((B + 7000000)):65536" "$((B + 7100000)):65536"
set_ranges pamns-usd2 "$((B + 7200000)):65536" "$((B + 7100000)):65536"
# usi2's range lies strictly inside usi1's.
set_ranges pamns-usi1 "$((B + 8000000)):100000" "$((B + 8200000)):65536"
set_ranges pamns-usi2 "$((B + 8050000)):2000" "$((B + 8300000)):65536"

policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts user
userns_map = subid
tmp        = tmpfs
tmp_size   = 16M
EOF
uns_build_probes
host_user=$(readlink /proc/self/ns/user)
mounts_before=$(mountinfo_lines 1)
ssh_keygen_client
uns_sshd_start internal

# A file owned by the first id of the valid range: inside, that is uid 0.
touch "$PNS_T/owned-by-sub0"
chown "$B:$((B + 1000000))" "$PNS_T/owned-by-sub0"
chmod 0644 "$PNS_T/owned-by-sub0"

# --- valid range ---------------------------------------------------------------
u=pamns-usv uid=${U[pamns-usv]}
exp_u=$(printf '%s\n' "$uid $uid 1" "0 $B $uid" "$((uid + 1)) $((B + uid)) $((65536 - uid))" | uns_norm_map | uns_join)
exp_g=$(uns_expect_map "$((B + 1000000))" 65536 $(id -G "$u") | uns_join)
out=$(ssh_as "$u" "$(uns_probe_script)
echo sub0=\$(stat -c %u:%g $PNS_T/owned-by-sub0)" 2>&1)
check_eq "valid: login works" 0 "$?" "$out"
check_eq "valid: runs as the user" "$u" "$(kv user "$out")" "$out"
check_eq "valid: uid_map from the first /etc/subuid range" "$exp_u" "$(kv uid_map "$out")" "$out"
check_eq "valid: gid_map from /etc/subgid" "$exp_g" "$(kv gid_map "$out")" "$out"
check_ne "valid: in a user namespace" "$host_user" "$(kv userns "$out")" "$out"
check_eq "valid: CapEff 0" 0000000000000000 "$(kv CapEff "$out")" "$out"
check_eq "valid: CapPrm 0" 0000000000000000 "$(kv CapPrm "$out")" "$out"
check_eq "valid: the range's first id is uid/gid 0 inside" 0:0 "$(kv sub0 "$out")" "$out"
check_eq "valid: root's /etc/shadow is still the overflow uid" 65534 "$(kv shadow_owner "$out")" "$out"
check_eq "valid: setuid-root probe gives nothing" "uid=$uid euid=$uid suid=$uid" \
	"$(kv suid "$out" | awk '{ print $1, $2, $3 }')" "$out"
ex=$("$PNS_NSCTL" explain "$u" --config "$PNS_CONF" 2>&1)
check_eq "valid: pam_nsctl explain shows the uid_map the kernel has" "$exp_u" \
	"$(uns_explain_map uid_map "$ex" | uns_join)" "$ex"
check_eq "valid: pam_nsctl explain shows the gid_map the kernel has" "$exp_g" \
	"$(uns_explain_map gid_map "$ex" | uns_join)" "$ex"
wait_set_gone "$uid" "$(kv mnt "$out")" || fail "valid: set torn down" "$(ls "$PNS_RUN_DIR/$uid" 2>&1)"

# --- denied ranges -------------------------------------------------------------
# denied NAME USER REASON: the login fails, runs nothing, leaves no set,
# syslog says why, and pam_nsctl explain predicts it.
denied() {
	local name=$1 user=$2 why=$3 uid=${U[$2]} out rc ex
	uns_syslog_mark
	out=$(ssh_as "$user" 'echo RAN-$((6*7))' 2>&1)
	rc=$?
	check_ne "$name: login denied" 0 "$rc" "$out
$(uns_subid_lines "$user")"
	check_not_contains "$name: the command did not run" "$out" RAN-42
	printf 'ls /\n' >"$PNS_T/batch"
	out=$(ssh_opts; timeout 60 sftp -b "$PNS_T/batch" "${SSH_OPTS[@]}" "$user@127.0.0.1" 2>&1)
	check_ne "$name: sftp denied too" 0 "$?" "$out"
	check_eq "$name: no set left behind" 0 "$(set_socket_count "$uid")"
	check_syslog "$name: syslog says why" "Denying session for user $user (uid $uid): $why"
	ex=$("$PNS_NSCTL" explain "$user" --config "$PNS_CONF" 2>&1)
	check_contains "$name: pam_nsctl explain predicts the denial" "$ex" "Outcome: login denied; $why"
}
none="userns_map = subid but the account has no usable subordinate range in /etc/subuid or /etc/subgid"
denied "no range at all" pamns-usm "$none"
denied "subuid range but no subgid range" pamns-usmg "$none"
denied "range containing 0" pamns-usz "the subordinate range contains id 0 (root)"
denied "range containing the user's uid" pamns-usu \
	"the subordinate range contains the account's own id or one of its groups"
denied "subgid range containing one of the user's groups" pamns-usgg \
	"the subordinate range contains the account's own id or one of its groups"
denied "range overlapping the next account's (first account)" pamns-uso1 \
	"the subordinate range overlaps another account's range"
denied "range overlapping the previous account's (second account)" pamns-uso2 \
	"the subordinate range overlaps another account's range"
denied "gid range delegated to two accounts (first)" pamns-usd1 \
	"the subordinate range overlaps another account's range"
denied "gid range delegated to two accounts (second)" pamns-usd2 \
	"the subordinate range overlaps another account's range"
denied "range lying inside another account's" pamns-usi2 \
	"the subordinate range overlaps another account's range"

# Control: with the other account's range gone, the same account logs in.
# (So the denials above are about the overlap, not about the account.)
set_ranges pamns-uso2 "" ""
out=$(ssh_as pamns-uso1 'echo userns=$(readlink /proc/self/ns/user)' 2>&1)
check_ne "overlap removed: the first account logs in, in a user namespace" "$host_user" "$(kv userns "$out")" "$out"
wait_set_gone "${U[pamns-uso1]}"

# The account whose range contains another account's range entirely: libsubid
# cannot list ranges, so pam_ns probes the owners of ids across the range
# every 1024 ids (pam_ns(8)); usi2's 2000 ids inside usi1's range are found.
denied "range containing another account's whole range" pamns-usi1 \
	"the subordinate range overlaps another account's range"

# Below the probe spacing the overlap is not seen (the documented limit):
# report what happens, assert nothing.
set_ranges pamns-usi2 "$((B + 8050000)):100" "$((B + 8300000)):65536"
out=$(ssh_as pamns-usi1 'echo userns=$(readlink /proc/self/ns/user)' 2>&1)
if [ -n "$(kv userns "$out")" ]; then
	note "known limit (pam_ns(8)): a 100-id range inside pamns-usi1's goes unnoticed"
else
	note "a 100-id range inside pamns-usi1's was caught: $out"
fi
wait_set_gone "${U[pamns-usi1]}"

check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

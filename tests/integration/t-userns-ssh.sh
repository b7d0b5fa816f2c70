#!/usr/bin/env bash
# A real sshd on 127.0.0.1 with the stack of SPEC 7 (auth optional + session
# required pam_ns.so) and namespaces = mount ipc uts user, for both maps:
# pamns-usa has userns_map = self, pamns-usb userns_map = subid; both are in
# two supplementary groups. For exec, a pty (ssh -tt and an interactive login
# shell), sftp and scp (both protocols) with internal-sftp and sftp-server:
# the exact uid_map and gid_map, no capability in any set, Uid/Gid all the
# user, a setuid-root probe gives nothing, root's files show as the overflow
# id, the namespace is owned by uid 0 and is a child of the host's, two
# sessions share it, and it is gone after the last logout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/userns/lib-userns.sh"
pns_setup
require_built
. "$PNS_SRCDIR/tests/integration/sec/sec-lib.sh"
uns_subid_prepare

group_add pamns-usg1
group_add pamns-usg2
user_add pamns-usa pamns-usg1 pamns-usg2
user_add pamns-usb pamns-usg1 pamns-usg2
# self needs no range at all; subid gets distinct uid and gid ranges (so a
# mix-up of the two files shows), and a second range that must stay unused.
uns_subid_set pamns-usa "" "" || { fail "set subordinate ranges" "usermod failed"; exit 1; }
uns_subid_set pamns-usb "2100000000:65536 2130000000:1000" "2110000000:70000" ||
	{ fail "set subordinate ranges" "usermod failed"; exit 1; }
uns_build_probes

policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts user
tmp        = tmpfs
tmp_size   = 32M

[user:pamns-usb]
userns_map = subid
EOF

declare -A U G MAPU MAPG
for u in pamns-usa pamns-usb; do
	U[$u]=$(id -u "$u")
	G[$u]=$(id -g "$u")
done
# self: each id to itself, nothing else.
MAPU[pamns-usa]=$(uns_expect_map 0 0 "${U[pamns-usa]}" | uns_join)
MAPG[pamns-usa]=$(uns_expect_map 0 0 $(id -G pamns-usa) | uns_join)
# subid, uid_map written out as in pam_ns(8): "UID UID 1", "0 START UID",
# "UID+1 START+UID COUNT-UID".
ub=${U[pamns-usb]}
MAPU[pamns-usb]=$(printf '%s\n' "$ub $ub 1" "0 2100000000 $ub" "$((ub + 1)) $((2100000000 + ub)) $((65536 - ub))" |
	uns_norm_map | uns_join)
MAPG[pamns-usb]=$(uns_expect_map 2110000000 70000 $(id -G pamns-usb) | uns_join)
map_name() { [ "$1" = pamns-usa ] && echo self || echo subid; }

host_user=$(readlink /proc/self/ns/user)
overflow_name=$(getent passwd 65534 | cut -d: -f1)
host_mnt=$(host_ns mnt)
host_user_ino=$("$UNS_NSINFO" | sed -n 's/^ino=//p')
mounts_before=$(mountinfo_lines 1)
ssh_keygen_client

# Controls: on the host, the probe does give euid 0 and /etc/shadow is root's,
# so the assertions inside can fail.
ctl=$(setpriv --reuid="${U[pamns-usa]}" --regid="${G[pamns-usa]}" --clear-groups "$UNS_SUID_PROBE" 2>&1)
check_contains "control: the setuid probe gives euid 0 on the host" "$ctl" "euid=0 "
check_eq "control: /etc/shadow is uid 0 on the host" 0 "$(stat -c %u /etc/shadow)"

probe=$(uns_probe_script)
zero=0000000000000000

# wait_uns_gone UID MNTNS USERNS: bounded wait until the set is gone (no
# socket, nothing in its mount namespace) and nothing is left in its user
# namespace either. A process that has exited but is not yet reaped has left
# its mount namespace and its set's cgroup (so the set may already be torn
# down) but still shows its user namespace until its parent reaps it.
_uns_gone() { _set_gone "$1" "$2" && [ -z "$(procs_in_ns user "$3")" ]; }
wait_uns_gone() { wait_until "$PNS_WAIT" _uns_gone "$@"; }

# --- ssh host cmd, pty, interactive login shell: each map ---------------------
uns_sshd_start internal
port_internal=$SSHD_PORT

for u in pamns-usa pamns-usb; do
	tag="[$(map_name "$u")]"
	uid=${U[$u]} gid=${G[$u]}
	out=$(ssh_as "$u" "$probe" 2>&1)
	check_eq "$tag exec: exits 0" 0 "$?" "$out"
	check_eq "$tag exec: runs as the user" "$u" "$(kv user "$out")" "$out"
	check_eq "$tag exec: uid_map exactly as specified" "${MAPU[$u]}" "$(kv uid_map "$out")" "$out"
	check_eq "$tag exec: gid_map exactly as specified (primary + 2 supplementary)" \
		"${MAPG[$u]}" "$(kv gid_map "$out")" "$out"
	check_eq "$tag exec: setgroups is deny" deny "$(kv setgroups "$out")" "$out"
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		check_eq "$tag exec: $k is 0" "$zero" "$(kv "$k" "$out")" "$out"
	done
	check_eq "$tag exec: Uid line all the user" "$uid $uid $uid $uid" "$(kv Uid "$out" | sed 's/ $//')" "$out"
	check_eq "$tag exec: Gid line all the user's group" "$gid $gid $gid $gid" "$(kv Gid "$out" | sed 's/ $//')" "$out"
	check_eq "$tag exec: keeps its supplementary groups" \
		"$(id -G "$u" | tr ' ' '\n' | sort -n | paste -sd ' ' -)" "$(kv groups "$out")" "$out"
	check_ne "$tag exec: in a user namespace other than the host's" "$host_user" "$(kv userns "$out")" "$out"
	check_ne "$tag exec: private mount namespace" "$host_mnt" "$(kv mnt "$out")" "$out"
	check_eq "$tag exec: /tmp is a tmpfs" tmpfs "$(kv fstype "$out")" "$out"
	check_eq "$tag exec: setuid-root probe runs with the user's ids" \
		"uid=$uid euid=$uid suid=$uid gid=$gid egid=$gid sgid=$gid" "$(kv suid "$out")" "$out"
	check_eq "$tag exec: /etc/shadow owner is the overflow uid" 65534 "$(kv shadow_owner "$out")" "$out"
	check_eq "$tag exec: /etc/shadow group is the overflow gid" 65534 "$(kv shadow_group "$out")" "$out"
	# NS_GET_OWNER_UID answers in the caller's namespace: root, unmapped
	# inside, shows as the overflow uid. The user as owner would show as uid.
	check_eq "$tag exec: namespace owner seen from inside is unmapped (not the user)" \
		65534 "$(kv owner_inside "$out")" "$out"
	mnt=$(kv mnt "$out") userns=$(kv userns "$out")
	if wait_uns_gone "$uid" "$mnt" "$userns"; then
		pass "$tag exec: set torn down after logout, nothing left in its user namespace"
	else
		fail "$tag exec: set torn down after logout, nothing left in its user namespace" \
			"sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1); in $userns: $(procs_in_ns user "$userns" | xargs -r ps -o pid,user,args -p); in $mnt: $(procs_in_ns mnt "$mnt" | xargs -r ps -o pid,user,stat,wchan:30,args -p)"
	fi

	out=$(ssh_opts; timeout 60 ssh -tt "${SSH_OPTS[@]}" "$u@127.0.0.1" \
		'echo tty=$(tty); echo userns=$(readlink /proc/self/ns/user)
		echo uid_map=$(awk "NF { print \$1, \$2, \$3 }" /proc/self/uid_map | LC_ALL=C sort | paste -sd ";" -)
		echo caps=$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status)
		echo ttyowner=$(stat -c %u $(tty))' </dev/null 2>&1 | tr -d '\r')
	check_contains "$tag ssh -tt: gets a pty" "$(kv tty "$out")" /dev/pts/
	check_ne "$tag ssh -tt: in a user namespace" "$host_user" "$(kv userns "$out")" "$out"
	check_eq "$tag ssh -tt: uid_map as specified" "${MAPU[$u]}" "$(kv uid_map "$out")" "$out"
	check_eq "$tag ssh -tt: no effective capabilities" "$zero" "$(kv caps "$out")" "$out"
	check_eq "$tag ssh -tt: the pty belongs to the user" "$uid" "$(kv ttyowner "$out")" "$out"
	wait_set_gone "$uid"

	cat >"$PNS_T/ssh-login.exp" <<'EOF'
set timeout 30
log_user 0
spawn -noecho ssh {*}[lrange $argv 0 end]
expect {
	-re {[$#] $} {}
	timeout { puts "no prompt"; exit 2 }
	eof { puts "ssh exited: $expect_out(buffer)"; exit 3 }
}
send -- "echo BEGIN_\$((6*7)); echo tty=\$(tty); echo shell=\$0; echo userns=\$(readlink /proc/self/ns/user); echo gid_map=\$(awk 'NF { print \$1, \$2, \$3 }' /proc/self/gid_map | LC_ALL=C sort | paste -sd ';' -); echo caps=\$(sed -n 's/^CapPrm:\[\[:space:\]\]*//p' /proc/self/status); echo END_\$((6*7))\r"
expect {
	-re {BEGIN_42\r?\n(.*)END_42} { puts -nonewline [string map {"\r" ""} $expect_out(1,string)] }
	timeout { puts "no output"; exit 4 }
}
send -- "exit\r"
expect eof
EOF
	out=$(ssh_opts; timeout 90 expect -f "$PNS_T/ssh-login.exp" -- -t "${SSH_OPTS[@]}" "$u@127.0.0.1" 2>&1)
	check_contains "$tag interactive login: gets a pty" "$(kv tty "$out")" /dev/pts/
	check_eq "$tag interactive login: a login shell" -bash "$(kv shell "$out")" "$out"
	check_ne "$tag interactive login: in a user namespace" "$host_user" "$(kv userns "$out")" "$out"
	check_eq "$tag interactive login: gid_map as specified" "${MAPG[$u]}" "$(kv gid_map "$out")" "$out"
	check_eq "$tag interactive login: no permitted capabilities" "$zero" "$(kv caps "$out")" "$out"
	wait_set_gone "$uid"
done

# --- the namespace as root on the host sees it; two sessions share it --------
for u in pamns-usa pamns-usb; do
	tag="[$(map_name "$u")]"
	uid=${U[$u]}
	ok=1
	uns_hold "$u-1" "$u" 'echo pid=$$; echo userns=$(readlink /proc/self/ns/user); echo mnt=$(readlink /proc/self/ns/mnt)' || ok=0
	uns_hold "$u-2" "$u" 'echo pid=$$; echo userns=$(readlink /proc/self/ns/user); echo mnt=$(readlink /proc/self/ns/mnt)' || ok=0
	if [ $ok = 0 ]; then
		fail "$tag hold two sessions" "$(uns_hold_out "$u-1"; uns_hold_out "$u-2")"
		ssh_release "$u-1"
		ssh_release "$u-2"
		continue
	fi
	o1=$(uns_hold_out "$u-1") o2=$(uns_hold_out "$u-2")
	check_ne "$tag two sessions: in a user namespace" "$host_user" "$(kv userns "$o1")" "$o1"
	check_eq "$tag two sessions share one user namespace" "$(kv userns "$o1")" "$(kv userns "$o2")" "$o1
$o2"
	check_eq "$tag two sessions share one mount namespace" "$(kv mnt "$o1")" "$(kv mnt "$o2")"
	info=$("$UNS_NSINFO" "/proc/$(kv pid "$o1")/ns/user" 2>&1)
	check_eq "$tag host view: NS_GET_OWNER_UID of the session's user namespace is 0" 0 "$(kv owner "$info")" "$info"
	check_eq "$tag host view: its parent is the host's user namespace" "$host_user_ino" "$(kv parent "$info")" "$info"
	check_eq "$tag host view: it is the namespace the session reports" "$(kv userns "$o1")" "user:[$(kv ino "$info")]" "$info"
	check_ne "$tag host view: it is not the host's" "$host_user_ino" "$(kv ino "$info")" "$info"
	# The anchor keeps the namespace by fd and never enters it: the only
	# processes in it are the user's.
	stray=$(for p in $(procs_in_ns user "$(kv userns "$o1")"); do
		[ "$(stat -c %u "/proc/$p" 2>/dev/null)" = "$uid" ] || ps -o pid=,user=,args= -p "$p"
	done)
	check_eq "$tag only the user's processes are in the user namespace" "" "$stray"
	# The anchor and its user namespace's child start in the helper's
	# memory (CLONE_VM): once the sessions are open, it is the anchor's alone.
	anchor=$(sec_anchors_in "$(kv mnt "$o1")")
	check_ne "$tag the set's anchor is found" "" "$anchor"
	check_eq "$tag no other process shares the anchor's memory" vmshare=0 \
		"$("$(sec_probe)" vmshare "${anchor:-0}")"
	ssh_release "$u-1"
	o3=$(ssh_as "$u" 'readlink /proc/self/ns/user' 2>&1)
	check_eq "$tag a new session while one is held joins the same user namespace" "$(kv userns "$o2")" "$o3"
	ssh_release "$u-2"
	if wait_uns_gone "$uid" "$(kv mnt "$o1")" "$(kv userns "$o1")"; then
		pass "$tag set torn down after both sessions logged out"
	else
		fail "$tag set torn down after both sessions logged out" \
			"sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1); left: $(procs_in_ns user "$(kv userns "$o1")" | xargs -r ps -o pid,user,args -p); in $(kv mnt "$o1"): $(procs_in_ns mnt "$(kv mnt "$o1")" | xargs -r ps -o pid,user,stat,wchan:30,args -p)"
	fi
done

# --- sftp and scp, internal-sftp and sftp-server ------------------------------
uns_sshd_start server
port_server=$SSHD_PORT
printf 'payload %s\n' "$RANDOM$RANDOM" >"$PNS_T/up.txt"
for variant in internal server; do
	eval "SSHD_PORT=\$port_$variant"
	ssh_opts
	for u in pamns-usa pamns-usb; do
		tag="[$(map_name "$u"), $variant sftp]"
		uid=${U[$u]}
		fname=up-$variant-$$.txt
		id=$variant-$u
		if ! uns_hold "$id" "$u" 'echo userns=$(readlink /proc/self/ns/user); echo mnt=$(readlink /proc/self/ns/mnt)'; then
			fail "$tag hold a session" "$(uns_hold_out "$id")"
			continue
		fi
		held=$(uns_hold_out "$id")
		held_mnt=$(kv mnt "$held")
		check_ne "$tag held session is in a user namespace" "$host_user" "$(kv userns "$held")" "$held"

		d=$PNS_T/sftp-$id
		mkdir -p "$d"
		# The sftp server reads its own /proc/self: its maps, ids and caps.
		cat >"$PNS_T/batch" <<EOF
put $PNS_T/up.txt /tmp/$fname
ls -ln /tmp/$fname
ls -ln /etc/shadow
get /tmp/$fname $d/back.txt
get /proc/self/uid_map $d/uid_map
get /proc/self/gid_map $d/gid_map
get /proc/self/status $d/status
EOF
		out=$(timeout 60 sftp -b "$PNS_T/batch" "${SSH_OPTS[@]}" "$u@127.0.0.1" 2>&1)
		check_eq "$tag sftp batch exits 0" 0 "$?" "$out"
		check_eq "$tag sftp round trip keeps the content" "$(cat "$PNS_T/up.txt")" "$(cat "$d/back.txt" 2>&1)"
		check_eq "$tag sftp server's uid_map as specified" "${MAPU[$u]}" "$(uns_norm_map <"$d/uid_map" 2>/dev/null | uns_join)" "$out"
		check_eq "$tag sftp server's gid_map as specified" "${MAPG[$u]}" "$(uns_norm_map <"$d/gid_map" 2>/dev/null | uns_join)" "$out"
		st=$(cat "$d/status" 2>&1)
		check_eq "$tag sftp server's CapEff/CapPrm/CapBnd are 0" "$zero $zero $zero" \
			"$(for k in CapEff CapPrm CapBnd; do sed -n "s/^$k:[[:space:]]*//p" "$d/status" 2>/dev/null; done | paste -sd ' ' -)" "$st"
		check_eq "$tag sftp server's Uid line is the user" "$uid $uid $uid $uid" \
			"$(sed -n 's/^Uid:[[:space:]]*//p' "$d/status" 2>/dev/null | tr -s '[:space:]' ' ' | sed 's/ $//')" "$st"
		# For a single file sftp prints the server's own long name (user names).
		check_eq "$tag sftp ls -l: the upload is the user's" "$u" \
			"$(printf '%s\n' "$out" | awk -v f="/tmp/$fname" '!/^sftp>/ && $NF == f { print $3 }')" "$out"
		check_eq "$tag sftp ls -l: /etc/shadow is the overflow uid ($overflow_name)" "$overflow_name" \
			"$(printf '%s\n' "$out" | awk '!/^sftp>/ && $NF == "/etc/shadow" { print $3 }')" "$out"
		seen=$(ssh_as "$u" "cat /tmp/$fname; echo mnt=\$(readlink /proc/self/ns/mnt)" 2>&1)
		check_eq "$tag the sftp upload is in the set's /tmp" "$(cat "$PNS_T/up.txt")" \
			"$(printf '%s\n' "$seen" | head -n 1)" "$seen"
		check_eq "$tag ssh session joins the held set" "$held_mnt" "$(kv mnt "$seen")"
		check_eq "$tag host /tmp does not get the sftp upload" no "$(test -e "/tmp/$fname" && echo yes || echo no)"

		rm -f "$d/back2.txt" "$d/back3.txt"
		out=$(timeout 60 scp -q "${SSH_OPTS[@]}" "$PNS_T/up.txt" "$u@127.0.0.1:/tmp/scp-$fname" 2>&1 &&
			timeout 60 scp -q "${SSH_OPTS[@]}" "$u@127.0.0.1:/tmp/scp-$fname" "$d/back2.txt" 2>&1)
		check_eq "$tag scp (sftp protocol) round trip" "$(cat "$PNS_T/up.txt")" "$(cat "$d/back2.txt" 2>&1)" "$out"
		out=$(timeout 60 scp -O -q "${SSH_OPTS[@]}" "$PNS_T/up.txt" "$u@127.0.0.1:/tmp/scpO-$fname" 2>&1 &&
			timeout 60 scp -O -q "${SSH_OPTS[@]}" "$u@127.0.0.1:/tmp/scpO-$fname" "$d/back3.txt" 2>&1)
		check_eq "$tag scp -O (legacy protocol) round trip" "$(cat "$PNS_T/up.txt")" "$(cat "$d/back3.txt" 2>&1)" "$out"
		# scp over sftp runs the sftp server: it reads its own uid_map. (scp -O
		# cannot fetch /proc files: it sends the size stat reports, 0.)
		rm -f "$d/scp_map"
		timeout 60 scp -q "${SSH_OPTS[@]}" "$u@127.0.0.1:/proc/self/uid_map" "$d/scp_map" >/dev/null 2>&1
		check_eq "$tag scp (sftp protocol) server's uid_map as specified" "${MAPU[$u]}" \
			"$(uns_norm_map <"$d/scp_map" 2>/dev/null | uns_join)"
		seen=$(ssh_as "$u" "stat -c '%n %u' /tmp/scp-$fname /tmp/scpO-$fname" 2>&1)
		check_eq "$tag scp uploads are in the set's /tmp, owned by the user" \
			"/tmp/scp-$fname $uid
/tmp/scpO-$fname $uid" "$seen"
		check_eq "$tag host /tmp does not get the scp uploads" no \
			"$(test -e "/tmp/scp-$fname" -o -e "/tmp/scpO-$fname" && echo yes || echo no)"

		ssh_release "$id"
		if wait_uns_gone "$uid" "$held_mnt" "$(kv userns "$held")"; then
			pass "$tag set torn down after the last session"
		else
			fail "$tag set torn down after the last session" \
				"sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1); in ns: $(procs_in_ns mnt "$held_mnt" | xargs -r ps -o pid,user,stat,wchan:30,args -p)"
		fi
	done
done

# --- what users lose (pam_ns(8) "What users lose inside"): informational -----
SSHD_PORT=$port_internal
out=$(ssh_as pamns-usa 'if command -v ping >/dev/null; then ping -c1 -W2 127.0.0.1 >/dev/null 2>&1 && echo ping=works || echo ping=fails; else echo ping=absent; fi' 2>&1)
note "ping -c1 127.0.0.1 inside a self-map session: $(kv ping "$out") (net.ipv4.ping_group_range = $(sysctl -n net.ipv4.ping_group_range 2>/dev/null | tr '\t' ' '))"
wait_set_gone "${U[pamns-usa]}"

check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

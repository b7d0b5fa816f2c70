#!/usr/bin/env bash
# The known escape of SPEC 3.4, from inside an ssh session that has the set's
# user namespace (self map and subid map): a user who could get
# CAP_SYS_ADMIN over the session's mounts would bind a permissive stack over
# /etc/pam.d/su and run su for real root. The user namespace is owned by
# root, so: binding over /etc/pam.d/su in the session fails; a nested
# `unshare -Urm` only changes its own copy, and su there gives no real root
# (no /etc/shadow, no file written in /etc); nsenter from a nested user
# namespace into the session's mounts fails; `umount /tmp` (also nested)
# fails and the private /tmp keeps its marker. A file capability gives
# nothing either.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/userns/lib-userns.sh"
pns_setup
require_built
uns_subid_prepare

user_add pamns-use1
user_add pamns-use2
uns_subid_set pamns-use1 "" "" || { fail "set subordinate ranges" "usermod failed"; exit 1; }
uns_subid_set pamns-use2 "2300000000:65536" "2300000000:65536" || { fail "set subordinate ranges" "usermod failed"; exit 1; }
policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts user
tmp        = tmpfs
tmp_size   = 16M

[user:pamns-use2]
userns_map = subid
EOF
uns_build_probes
ssh_keygen_client
uns_sshd_start internal
host_user=$(readlink /proc/self/ns/user)
su_sum=$(sha256sum </etc/pam.d/su | cut -d' ' -f1)
mounts_before=$(mountinfo_lines 1)

# Copies of cat with a file capability (reading /proc/self/status shows what
# they got): capcat-p has it permitted only, capcat-e permitted and effective
# (like ping's cap_net_raw=ep). On the host, as the user, they get
# CAP_DAC_READ_SEARCH (the control).
capcat=
if command -v setcap >/dev/null; then
	capcat=$PNS_T/bin/capcat
	install -m 0755 "$(command -v cat)" "$capcat-p"
	install -m 0755 "$(command -v cat)" "$capcat-e"
	if setcap cap_dac_read_search+p "$capcat-p" 2>/dev/null && setcap cap_dac_read_search+ep "$capcat-e" 2>/dev/null; then
		ctl=$(setpriv --reuid="$(id -u pamns-use1)" --regid="$(id -g pamns-use1)" --clear-groups \
			"$capcat-p" /proc/self/status 2>&1 | sed -n 's/^CapPrm:[[:space:]]*//p')
		check_eq "control: a permitted file capability works on the host" 0000000000000004 "$ctl"
		ctl=$(setpriv --reuid="$(id -u pamns-use1)" --regid="$(id -g pamns-use1)" --clear-groups \
			"$capcat-e" /proc/self/status 2>&1 | sed -n 's/^CapEff:[[:space:]]*//p')
		check_eq "control: an effective file capability works on the host" 0000000000000004 "$ctl"
	else
		capcat=
	fi
fi

for u in pamns-use1 pamns-use2; do
	[ $u = pamns-use1 ] && tag="[self]" || tag="[subid]"
	uid=$(id -u $u)
	escape_file=/etc/pns-escape-$u-$$
	defer rm -f "$escape_file"
	if ! uns_hold "$u" "$u" 'echo pid=$$; echo mnt=$(readlink /proc/self/ns/mnt); echo userns=$(readlink /proc/self/ns/user)
		echo still-here >/tmp/marker
		printf "auth sufficient pam_permit.so\naccount sufficient pam_permit.so\nsession sufficient pam_permit.so\n" >/tmp/fake-su'; then
		fail "$tag hold a session" "$(uns_hold_out "$u")"
		ssh_release "$u"
		continue
	fi
	held=$(uns_hold_out "$u")
	set_mnt=$(kv mnt "$held")
	check_ne "$tag the session is in a user namespace" "$host_user" "$(kv userns "$held")" "$held"

	# Nested user namespaces must be possible, or the nested attacks prove nothing.
	out=$(ssh_as $u 'unshare -Urm sh -c "echo inside=\$(id -u)"' 2>&1)
	if [ "$(kv inside "$out")" != 0 ]; then
		skip "$tag nested unshare -Urm attacks" "no nested user namespace can be made here: $out"
	else
		# SPEC 3.4, as written: bind a permissive stack over su, then su.
		out=$(ssh_as $u "unshare -Urm sh -c 'mount --bind /tmp/fake-su /etc/pam.d/su && su -c \"id; cat /etc/shadow >/dev/null 2>&1 && echo SHADOW=read; touch $escape_file && echo WROTE=yes\" root'; echo rc=\$?" 2>&1)
		note "$tag unshare -Urm, bind over /etc/pam.d/su, su root: rc=$(kv rc "$out"); $(printf '%s' "$out" | grep -v '^rc=' | paste -sd '|' -)"
		check_not_contains "$tag nested bind + su: no read of /etc/shadow" "$out" SHADOW=read
		check_not_contains "$tag nested bind + su: nothing written in /etc" "$out" WROTE=yes
		check_eq "$tag nested bind + su: host has no file from it" no "$(test -e "$escape_file" && echo yes || echo no)"
		check_eq "$tag nested bind + su: the host's /etc/pam.d/su is unchanged" "$su_sum" "$(sha256sum </etc/pam.d/su | cut -d' ' -f1)"
		out=$(ssh_as $u 'sha256sum </etc/pam.d/su | cut -d" " -f1; findmnt -n /etc/pam.d/su | wc -l' 2>&1)
		check_eq "$tag nested bind + su: the session's /etc/pam.d/su is unchanged and not a mount" "$su_sum
0" "$out"

		out=$(ssh_as $u 'unshare -Ur sh -c "cat /etc/shadow >/dev/null && echo SHADOW=read"; echo rc=$?' 2>&1)
		check_not_contains "$tag nested user namespace root cannot read /etc/shadow" "$out" SHADOW=read

		out=$(ssh_as $u 'sess=$$; err=$(unshare -Ur nsenter --mount=/proc/$sess/ns/mnt mount --bind /tmp/fake-su /etc/pam.d/su 2>&1); echo rc=$?; echo err=$err
			echo sum=$(sha256sum </etc/pam.d/su | cut -d" " -f1)' 2>&1)
		check_ne "$tag unshare -Ur nsenter into the session's mounts + bind: fails" 0 "$(kv rc "$out")" "$out"
		check_eq "$tag unshare -Ur nsenter ...: /etc/pam.d/su unchanged" "$su_sum" "$(kv sum "$out")" "$out"

		out=$(ssh_as $u 'unshare -Urm sh -c "umount /tmp 2>/dev/null; echo rc=\$?; echo inner=\$(cat /tmp/marker 2>&1)"
			echo marker=$(cat /tmp/marker 2>&1); echo fstype=$(findmnt -no FSTYPE /tmp); echo mnt=$(readlink /proc/self/ns/mnt)' 2>&1)
		check_ne "$tag unshare -Urm umount /tmp: fails" 0 "$(kv rc "$out")" "$out"
		check_eq "$tag unshare -Urm umount /tmp: the nested copy keeps the marker" still-here "$(kv inner "$out")" "$out"
		check_eq "$tag unshare -Urm umount /tmp: the session keeps the marker" still-here "$(kv marker "$out")" "$out"
		check_eq "$tag unshare -Urm umount /tmp: /tmp is still the tmpfs" tmpfs "$(kv fstype "$out")" "$out"
		check_eq "$tag unshare -Urm umount /tmp: still the set's mount namespace" "$set_mnt" "$(kv mnt "$out")" "$out"

		out=$(ssh_as $u 'unshare -Urm sh -c "umount -l /tmp 2>/dev/null; echo rc=\$?; echo inner=\$(cat /tmp/marker 2>&1)"' 2>&1)
		check_ne "$tag unshare -Urm umount -l /tmp: fails" 0 "$(kv rc "$out")" "$out"
		check_eq "$tag unshare -Urm umount -l /tmp: the nested copy keeps the marker" still-here "$(kv inner "$out")" "$out"
	fi

	# Straight from the session: no capability over its own mounts.
	out=$(ssh_as $u 'err=$(mount --bind /tmp/fake-su /etc/pam.d/su 2>&1); echo rc=$?; echo err=$err; echo sum=$(sha256sum </etc/pam.d/su | cut -d" " -f1)' 2>&1)
	check_ne "$tag mount --bind over /etc/pam.d/su in the session: fails" 0 "$(kv rc "$out")" "$out"
	check_eq "$tag mount --bind over /etc/pam.d/su in the session: unchanged" "$su_sum" "$(kv sum "$out")" "$out"
	out=$(ssh_as $u 'err=$(umount /tmp 2>&1); echo rc=$?; echo err=$err; echo marker=$(cat /tmp/marker 2>&1)' 2>&1)
	check_ne "$tag umount /tmp in the session: fails" 0 "$(kv rc "$out")" "$out"
	check_eq "$tag umount /tmp in the session: marker stays" still-here "$(kv marker "$out")" "$out"
	out=$(ssh_as $u 'err=$(unshare -m true 2>&1); echo rc=$?; echo err=$err' 2>&1)
	check_ne "$tag unshare -m (no new user namespace) in the session: fails" 0 "$(kv rc "$out")" "$out"

	# The real su (setuid root, which the user namespace ignores) gives no root.
	out=$(ssh_as $u 'out=$(su -c "cat /etc/shadow >/dev/null && echo SHADOW=read; id -u" root </dev/null 2>&1); echo rc=$?; echo "$out"' 2>&1)
	check_ne "$tag su root in the session: fails" 0 "$(kv rc "$out")" "$out"
	check_not_contains "$tag su root in the session: no read of /etc/shadow" "$out" SHADOW=read

	if [ -n "$capcat" ]; then
		out=$(ssh_as $u "echo capprm=\$($capcat-p /proc/self/status | sed -n 's/^CapPrm:[[:space:]]*//p'); $capcat-p /etc/shadow >/dev/null 2>&1 && echo SHADOW=read; true" 2>&1)
		check_eq "$tag a permitted file capability gives nothing (CapPrm 0)" 0000000000000000 "$(kv capprm "$out")" "$out"
		check_not_contains "$tag a permitted file capability gives nothing (no /etc/shadow)" "$out" SHADOW=read
		# With the effective bit and an empty bounding set the kernel refuses
		# the exec (EPERM) rather than run it without the capability.
		out=$(ssh_as $u "err=\$($capcat-e /proc/self/status 2>&1 >/dev/null); echo rc=\$?; echo err=\$err; echo capeff=\$($capcat-e /proc/self/status 2>/dev/null | sed -n 's/^CapEff:[[:space:]]*//p'); $capcat-e /etc/shadow >/dev/null 2>&1 && echo SHADOW=read; true" 2>&1)
		if [ "$(kv rc "$out")" != 0 ]; then
			check_contains "$tag an effective file capability: the exec is refused" "$(kv err "$out")" "Operation not permitted"
		else
			check_eq "$tag an effective file capability gives nothing (CapEff 0)" 0000000000000000 "$(kv capeff "$out")" "$out"
		fi
		check_not_contains "$tag an effective file capability gives nothing (no /etc/shadow)" "$out" SHADOW=read
	else
		skip "$tag file capability" "setcap is not available"
	fi

	out=$(ssh_as $u 'echo marker=$(cat /tmp/marker 2>&1); echo fstype=$(findmnt -no FSTYPE /tmp); echo mnt=$(readlink /proc/self/ns/mnt); echo userns=$(readlink /proc/self/ns/user)' 2>&1)
	check_eq "$tag after every attempt: marker still in /tmp" still-here "$(kv marker "$out")" "$out"
	check_eq "$tag after every attempt: /tmp is the private tmpfs" tmpfs "$(kv fstype "$out")" "$out"
	check_eq "$tag after every attempt: same set" "$set_mnt" "$(kv mnt "$out")" "$out"
	check_eq "$tag after every attempt: same user namespace" "$(kv userns "$held")" "$(kv userns "$out")" "$out"
	ssh_release "$u"
	if wait_set_gone "$uid" "$set_mnt"; then
		pass "$tag set torn down after logout"
	else
		fail "$tag set torn down after logout" "sockets: $(ls "$PNS_RUN_DIR/$uid" 2>&1)"
	fi
done

check_eq "host /etc/pam.d/su unchanged" "$su_sum" "$(sha256sum </etc/pam.d/su | cut -d' ' -f1)"
check_eq "host mount table back to its size (PID 1)" "$mounts_before" "$(mountinfo_lines 1)"

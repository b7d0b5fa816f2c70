#!/usr/bin/env bash
# The Debian package on a booted systemd host, with Debian 12's stock PAM
# files: run by tests/systemd/run in package mode (PAM_NS_RIG_DEBS=DIR, as
# tests/package/run calls it), in a container where nothing of pam_ns was
# installed before and the .debs of DIR are in /root/debs (the first build)
# and /root/debs/next (the next one, a higher version).
#
#   1. apt-get install ./libpam-ns_*.deb changes no PAM file and no login,
#      even with a policy that isolates a user;
#   2. pam-auth-update --enable pam_ns;
#   3. ssh, su -l and a cron job of an isolated user are isolated (their /tmp
#      is pam_ns's tmpfs; what they write there is not in the host's /tmp);
#      those of an exempt user are not; a "tmp = dir" user leaves a file in
#      /var/lib/pam_ns (for 5);
#   6. an upgrade to the next build while a set is alive: the live session
#      keeps working in its set, the next login joins it;
#   4. apt-get remove: nothing of pam_ns in any PAM file, the PAM files as
#      before the install, logins work and are not isolated;
#   5. apt-get purge: what is left is what README.Debian says purge keeps
#      (the users' files of "tmp = dir", the administrator's drop-ins);
#      then installed and enabled again, a purge while a set is alive
#      leaves the set and all of /var/lib/pam_ns alone.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../systemd/lib.sh"
[ -n "${PNS_RIG_PID1:-}" ] || {
	echo "$PNS_TEST: run me through tests/package/run (tests/systemd/run in package mode)" >&2
	exit 2
}

iso=rig-ann  # isolated by this test's drop-in
free=rig-bob # exempt: the stock policy isolates nobody
keep=rig-cal # isolated with tmp = dir: its /tmp outlives the set
ct useradd -m -s /bin/bash "$keep"
keep_uid=$(ct id -u "$keep")

# pam_files: every PAM file with its checksum (Debian 12 reads /etc/pam.d,
# then /usr/lib/pam.d).
pam_files() { ct sh -c 'cd /etc/pam.d && md5sum ./*; cd /usr/lib/pam.d 2>/dev/null && md5sum ./*' | sort; }
# pam_ns_in_pam [DIR...]: the PAM files (and DIRs) that name pam_ns.
pam_ns_in_pam() { ct sh -c 'grep -rl pam_ns /etc/pam.d /usr/lib/pam.d "$@" 2>/dev/null' sh "$@"; }
# login_view: what a login's command prints about its /tmp, on one line (it
# is a crontab entry as well). findmnt lists every mount on /tmp, the
# container's own tmpfs first: the last is the one in effect.
login_view='echo fs=$(findmnt -n -o FSTYPE,SOURCE /tmp | tail -n 1); if test -e /tmp/rig-host-marker; then echo host=seen; else echo host=none; fi; echo "$1" >/tmp/rig-wrote-$(id -un)-$1 && echo wrote=$1'
# ssh_view USER TAG / su_view USER TAG: log USER in and run login_view.
ssh_view() { ct_ssh "$1" "bash -c '$login_view' bash $2" 2>&1; }
su_view() { ct su -l "$1" -c "bash -c '$login_view' bash $2" 2>&1 </dev/null; }
host_has() { ct test -e "/tmp/$1" && echo present || echo absent; }
# isolated NAME OUTPUT TAG USER: the login's /tmp is pam_ns's tmpfs; it does
# not see the host's /tmp, and what it wrote is not there.
isolated() {
	if [ "$(kv wrote "$2")" != "$3" ]; then
		fail "$1: the login runs its command" "observed output:
$2"
		return
	fi
	check_eq "$1: /tmp is pam_ns's tmpfs (findmnt FSTYPE,SOURCE)" "tmpfs pam_ns" "$(kv fs "$2")" "$2"
	check_eq "$1: the host's /tmp file is not seen" none "$(kv host "$2")" "$2"
	check_eq "$1: its /tmp file is not in the host's /tmp" absent "$(host_has "rig-wrote-$4-$3")"
}
# exempt NAME OUTPUT TAG USER: the login works in the host's /tmp.
exempt() {
	if [ "$(kv wrote "$2")" != "$3" ]; then
		fail "$1: the login runs its command" "observed output:
$2"
		return
	fi
	check_not_contains "$1: /tmp is not pam_ns's" "$(kv fs "$2")" pam_ns
	check_eq "$1: the host's /tmp file is seen" seen "$(kv host "$2")" "$2"
	check_eq "$1: its /tmp file is in the host's /tmp" present "$(host_has "rig-wrote-$4-$3")"
}
# The user manager (systemd-user goes through common-session-noninteractive)
# is in the set too, and logind stops it 10 s (UserStopDelaySec) after the
# user's last session: sets end that much later.
no_sets() { [ -z "$(ct pam_nsctl list 2>/dev/null | grep -E "^($iso|$keep|$free)[[:space:]]")" ]; }

ct sh -c 'echo host >/tmp/rig-host-marker'
first=$(ct sh -c 'ls /root/debs/libpam-ns_*.deb')
next=$(ct sh -c 'ls /root/debs/next/libpam-ns_*.deb')
note "first build: ${first##*/}; next: ${next##*/}"

# ---------------------------------------------------------------- 1. install
pam0=$(pam_files)
if ! out=$(ct sh -c 'cd /root/debs && apt-get install -y ./libpam-ns_*.deb' 2>&1); then
	fail "install: apt-get install -y ./libpam-ns_*.deb" "$(echo "$out" | tail -n 15)"
	exit 1
fi
pass "install: apt-get install -y ./libpam-ns_*.deb ($(ct dpkg-query -W -f='${Version}' libpam-ns))"
check_eq "install: no PAM file changed" "$pam0" "$(pam_files)"
check_eq "install: no PAM file names pam_ns" "" "$(pam_ns_in_pam)"
# The policy an administrator writes before enabling (README, README.Debian).
ct sh -c 'mkdir -p /etc/security/pam_ns.conf.d && cat >/etc/security/pam_ns.conf.d/50-rig.conf' <<EOF
[user:$iso]
isolate = yes

[user:$keep]
isolate = yes
tmp = dir
EOF
check_eq "install: pam_nsctl check accepts the policy with the drop-in" ok \
	"$(ct pam_nsctl check >/dev/null 2>&1 && echo ok || ct pam_nsctl check 2>&1)"
exempt "install, not enabled: ssh login of $iso (isolated by the policy)" "$(ssh_view "$iso" i0)" i0 "$iso"
exempt "install, not enabled: su -l $iso" "$(su_view "$iso" i1)" i1 "$iso"

# ---------------------------------------------------------------- 2. enable
if ! out=$(ct pam-auth-update --enable pam_ns 2>&1); then
	fail "enable: pam-auth-update --enable pam_ns" "$out"
	exit 1
fi
pass "enable: pam-auth-update --enable pam_ns"
for f in common-auth:auth common-session:session common-session-noninteractive:session; do
	check_eq "enable: /etc/pam.d/${f%%:*} has one '${f#*:} required pam_ns.so'" 1 \
		"$(ct grep -Ec "^${f#*:}[[:space:]]+required[[:space:]]+pam_ns\.so[[:space:]]*\$" "/etc/pam.d/${f%%:*}")"
done

# ---------------------------------------------------------------- 3. logins
# The cron jobs first: cron runs them at the start of a minute, while the
# ssh and su logins below are checked. Each writes its view to its home
# (outside the set) in one rename.
cron_job='bash -c '"'$login_view'"' bash cron >$HOME/.rig-cron.new 2>&1; mv $HOME/.rig-cron.new $HOME/rig-cron.out'
for u in "$iso" "$free"; do
	ct sh -c 'echo "* * * * * $1" | crontab -u "$2" -' sh "$cron_job" "$u"
	defer_eval "ct crontab -r -u $u 2>/dev/null"
done

isolated "ssh login of $iso" "$(ssh_view "$iso" s)" s "$iso"
isolated "su -l $iso" "$(su_view "$iso" su)" su "$iso"
exempt "ssh login of $free (exempt)" "$(ssh_view "$free" s)" s "$free"
exempt "su -l $free (exempt)" "$(su_view "$free" su)" su "$free"
# tmp = dir: a file the user leaves in /tmp stays in /var/lib/pam_ns/tmp/UID.
out=$(ct su -l "$keep" -c 'echo notes >/tmp/rig-notes && echo src=$(findmnt -n -o SOURCE /tmp)' 2>&1 </dev/null)
check_contains "su -l $keep (tmp = dir): /tmp is /var/lib/pam_ns/tmp/UID" "$(kv src "$out")" "/var/lib/pam_ns/tmp/$keep_uid]"
check_eq "su -l $keep (tmp = dir): its /tmp file is kept there" notes \
	"$(ct cat "/var/lib/pam_ns/tmp/$keep_uid/rig-notes" 2>&1)"
check_eq "su -l $keep (tmp = dir): its /tmp file is not in the host's /tmp" absent "$(host_has rig-notes)"

cron_ran() { ct test -s "/home/$iso/rig-cron.out" && ct test -s "/home/$free/rig-cron.out"; }
if wait_until 150 cron_ran; then
	ct crontab -r -u "$iso" 2>/dev/null
	ct crontab -r -u "$free" 2>/dev/null
	isolated "cron job of $iso" "$(ct cat "/home/$iso/rig-cron.out")" cron "$iso"
	exempt "cron job of $free (exempt)" "$(ct cat "/home/$free/rig-cron.out")" cron "$free"
else
	fail "cron: the jobs of $iso and $free ran within 150 s" \
		"$iso: $(ct cat "/home/$iso/rig-cron.out" 2>&1); $free: $(ct cat "/home/$free/rig-cron.out" 2>&1)
$(ct journalctl -q -u cron -n 10 --no-pager 2>&1)"
fi

# ---------------------------------------------------------------- 6. upgrade
# A session of the isolated user stays open through the upgrade, with a
# process that keeps writing to the set's /tmp.
if ct_hold live "$iso" 'echo live >/tmp/rig-live
(while sleep 0.2; do date +%s.%N >/tmp/rig-beat; done) </dev/null >/dev/null 2>&1 &
echo beat=$!'; then
	pid=${CT_HOLD_PID[live]}
	beat=$(ct_hold_value live beat)
	mnt=$(ct_hold_value live mnt)
	defer_eval "ct kill $beat 2>/dev/null"
	old=$(ct dpkg-query -W -f='${Version}' libpam-ns)
	if out=$(ct sh -c 'cd /root/debs/next && apt-get install -y ./libpam-ns_*.deb' 2>&1); then
		pass "upgrade: apt-get install -y ./libpam-ns_*.deb (the next build) while a set is alive"
	else
		fail "upgrade: apt-get install -y ./libpam-ns_*.deb (the next build)" "$(echo "$out" | tail -n 15)"
	fi
	check_ne "upgrade: the installed version changed (from $old)" "$old" \
		"$(ct dpkg-query -W -f='${Version}' libpam-ns)"
	for f in common-auth common-session common-session-noninteractive; do
		check_eq "upgrade: pam_ns still enabled, once, in $f" 1 "$(ct grep -c pam_ns /etc/pam.d/$f)"
	done
	check_eq "upgrade: the live session's shell runs on in its set" "$mnt" \
		"$(ct readlink "/proc/$pid/ns/mnt" 2>&1)"
	b0=$(ct cat "/proc/$beat/root/tmp/rig-beat" 2>&1)
	moved() { [ "$(ct cat "/proc/$beat/root/tmp/rig-beat" 2>&1)" != "$b0" ]; }
	if wait_until 30 moved; then
		pass "upgrade: the live session's process keeps writing to its /tmp"
	else
		fail "upgrade: the live session's process keeps writing to its /tmp" "still '$b0'"
	fi
	out=$(ct_ssh "$iso" 'echo mnt=$(readlink /proc/self/ns/mnt); echo live=$(cat /tmp/rig-live 2>&1)
echo fs=$(findmnt -n -o FSTYPE,SOURCE /tmp)' 2>&1)
	check_eq "upgrade: the next ssh login of $iso joins the live set" "$mnt" "$(kv mnt "$out")" "$out"
	check_eq "upgrade: ... and sees the live session's /tmp file" live "$(kv live "$out")" "$out"
	exempt "upgrade: the next ssh login of $free" "$(ssh_view "$free" u)" u "$free"
	ct kill "$beat"
	ct_release live
	if wait_until 90 no_sets; then
		pass "upgrade: the old set ends after its last session"
	else
		fail "upgrade: the old set ends after its last session" "$(ct pam_nsctl list 2>&1)"
	fi
	isolated "upgrade: a fresh ssh login of $iso (the new helper's set)" "$(ssh_view "$iso" u2)" u2 "$iso"
else
	fail "upgrade: a session of $iso stays open" "$(cat "${CT_HOLD_OUT[live]}")"
fi

# ---------------------------------------------------------------- 4. remove
wait_until 90 no_sets
if out=$(ct apt-get remove -y libpam-ns 2>&1); then
	pass "remove: apt-get remove -y libpam-ns"
else
	fail "remove: apt-get remove -y libpam-ns" "$(echo "$out" | tail -n 15)"
fi
check_eq "remove: no PAM file (nor pam-auth-update's state) names pam_ns" "" "$(pam_ns_in_pam /var/lib/pam)"
check_eq "remove: the PAM files are as before the install" "$pam0" "$(pam_files)"
exempt "remove: ssh login of $iso works, not isolated" "$(ssh_view "$iso" r)" r "$iso"
exempt "remove: su -l $iso works, not isolated" "$(su_view "$iso" r2)" r2 "$iso"
check_eq "remove keeps the policy (a conffile)" present \
	"$(ct test -e /etc/security/pam_ns.conf && echo present || echo absent)"

# ---------------------------------------------------------------- 5. purge
if out=$(ct apt-get purge -y libpam-ns 2>&1); then
	pass "purge: apt-get purge -y libpam-ns"
else
	fail "purge: apt-get purge -y libpam-ns" "$(echo "$out" | tail -n 15)"
fi
check_contains "purge names the users' files it keeps" "$out" "/var/lib/pam_ns/tmp/$keep_uid"
check_eq "purge: dpkg knows no libpam-ns" "" \
	"$(ct dpkg-query -W -f='${Status}' libpam-ns 2>/dev/null | grep -v not-installed)"
# Every path whose name has pam_ns or libpam-ns in it, and everything below
# those, on the root file system and in /run.
left=$(ct sh -c 'find / /run -xdev \( -path /proc -o -path /root/debs \) -prune -o \
	\( -name "*pam_ns*" -o -name "*libpam-ns*" \) -print | while read -r p; do find "$p"; done | sort -u')
check_eq "purge: what is left is the users' tmp = dir files and the admin's drop-in" \
	"/etc/security/pam_ns.conf.d
/etc/security/pam_ns.conf.d/50-rig.conf
/var/lib/pam_ns
/var/lib/pam_ns/tmp
/var/lib/pam_ns/tmp/$keep_uid
/var/lib/pam_ns/tmp/$keep_uid/rig-notes" "$left"
check_eq "purge: the user's file is intact" notes "$(ct cat "/var/lib/pam_ns/tmp/$keep_uid/rig-notes" 2>&1)"
check_eq "purge: no PAM file (nor pam-auth-update's state) names pam_ns" "" "$(pam_ns_in_pam /var/lib/pam)"
exempt "purge: ssh login of $iso works" "$(ssh_view "$iso" p)" p "$iso"

# ---------------------------------------------------------------- 5b. purge, a set alive
# The package again, enabled, and a session of the isolated user open
# through the purge: purge leaves the set, its /run/pam_ns and all of
# /var/lib/pam_ns (even an empty per-user directory) alone.
if ! out=$(ct sh -c 'cd /root/debs && apt-get install -y ./libpam-ns_*.deb && pam-auth-update --enable pam_ns' 2>&1); then
	fail "purge, set alive: install and enable again" "$(echo "$out" | tail -n 15)"
	exit 1
fi
ct mkdir -m 1777 /var/lib/pam_ns/tmp/4244
if ct_hold alive "$iso" 'echo alive >/tmp/rig-alive'; then
	pid=${CT_HOLD_PID[alive]}
	out=$(ct apt-get purge -y libpam-ns 2>&1)
	check_contains "purge, set alive: says the sets are running" "$out" "sets are still running"
	check_eq "purge, set alive: keeps an empty per-user directory of /var/lib/pam_ns" present \
		"$(ct test -d /var/lib/pam_ns/tmp/4244 && echo present || echo absent)"
	check_ne "purge, set alive: keeps /run/pam_ns/UID" "" "$(ct ls -A "/run/pam_ns/$(ct id -u "$iso")" 2>/dev/null)"
	check_eq "purge, set alive: the live session keeps its /tmp" alive "$(ct cat "/proc/$pid/root/tmp/rig-alive" 2>&1)"
	check_eq "purge, set alive: no PAM file names pam_ns" "" "$(pam_ns_in_pam /var/lib/pam)"
	ct_release alive
else
	fail "purge, set alive: a session of $iso stays open" "$(cat "${CT_HOLD_OUT[alive]}")"
fi

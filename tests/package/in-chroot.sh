#!/bin/bash
# The package's life in a Debian 12 chroot: run by tests/package/run through
# pkg_chroot (tests/package/rootfs.sh), one step per call:
#
#   in-chroot.sh install DEB        install; no PAM file changes; layout
#   in-chroot.sh enable             pam-auth-update --enable: lines, order
#   in-chroot.sh login-upgrade DEB  an isolated and an exempt su -l login; a
#                                   live set through an upgrade to DEB
#   in-chroot.sh remove             apt-get remove: nothing of pam_ns in PAM
#   in-chroot.sh purge              apt-get purge keeps only users' files
#   in-chroot.sh purge-live DEB     purge while a set is alive keeps all state
#   in-chroot.sh readme DEB SCRIPT  the README's install section, word for
#                                   word (SCRIPT: its commands, from
#                                   "apt-get install ../libpam-ns_*.deb" on)
#
# Prints one "PASS name" or "FAIL name: why" line per check.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
[ -d "/usr/lib/$ma" ] || ma=$(basename "$(dirname "$(dirname "$(find /usr/lib /lib -name pam_unix.so -print -quit)")")")

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
# check NAME CMD...: PASS when CMD succeeds.
check() {
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"; fi
}

pam_sums() { (cd /etc/pam.d && md5sum ./* | sort); }

# The non-comment lines of a PAM file, module names only, in order.
modules() { sed -n 's/^[a-z-]*[[:space:]]\{1,\}\(\[[^]]*\]\|[a-z]*\)[[:space:]]\{1,\}\(pam_[a-z_]*\.so\).*/\2/p' "/etc/pam.d/$1"; }

# last_is FILE MOD: MOD is the last module of FILE and occurs once.
last_is() {
	local m
	m=$(modules "$1")
	[ "$(echo "$m" | tail -n 1)" = "$2" ] && [ "$(echo "$m" | grep -c "^$2\$")" = 1 ] ||
		{ echo "$1: $(echo "$m" | tr '\n' ' ')"; return 1; }
}

# before FILE A B: module A comes before module B in FILE.
before() {
	local m a b
	m=$(modules "$1")
	a=$(echo "$m" | grep -n "^$2\$" | head -n 1 | cut -d: -f1)
	b=$(echo "$m" | grep -n "^$3\$" | tail -n 1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { echo "$1: $(echo "$m" | tr '\n' ' ')"; return 1; }
}

no_pam_ns_in_pam() {
	local hits
	hits=$(grep -rl "pam_ns" /etc/pam.d "$@" 2>/dev/null)
	[ -z "$hits" ] || { echo "pam_ns still in: $hits"; return 1; }
}

isolated_tmp() { # USER: the user's login sees the chroot's / but not its /tmp
	su -l "$1" -c 'test -e /pkg-root-marker && test ! -e /tmp/pkg-host-marker' </dev/null
}

set_alive() { [ -n "$(ls -A /run/pam_ns 2>/dev/null)" ]; }

add_users() {
	id pamns-pkg-iso >/dev/null 2>&1 || useradd -m -s /bin/sh pamns-pkg-iso
	id pamns-pkg-free >/dev/null 2>&1 || useradd -m -s /bin/sh pamns-pkg-free
	mkdir -p /etc/security/pam_ns.conf.d
	printf '[user:pamns-pkg-iso]\nisolate = yes\n' >/etc/security/pam_ns.conf.d/50-pkgtest.conf
	touch /tmp/pkg-host-marker /pkg-root-marker
}

case $1 in
install)
	pam_sums >/root/pam.before
	check "apt-get install ./$(basename "$2")" apt-get install -y -q --no-install-recommends "$2"
	check "install changes no PAM file" sh -c 'diff /root/pam.before /dev/stdin' < <(pam_sums)
	check "installs nothing into /etc/pam.d" no_pam_ns_in_pam
	for f in "/usr/lib/$ma/security/pam_ns.so" /usr/libexec/pam_ns/pam_ns-helper /usr/sbin/pam_nsctl \
		/usr/share/man/man8/pam_ns.8.gz /usr/share/man/man5/pam_ns.conf.5.gz \
		/usr/share/man/man8/pam_nsctl.8.gz /usr/share/man/man8/pam_ns-helper.8.gz \
		/usr/share/doc/libpam-ns/examples/shared-server.conf \
		/usr/share/doc/libpam-ns/examples/restricted-shells.conf \
		/usr/share/doc/libpam-ns/README.Debian /usr/share/pam-configs/pam_ns; do
		check "installs $f" test -s "$f"
	done
	check "pam_ns-helper is executable" test -x /usr/libexec/pam_ns/pam_ns-helper
	check "/etc/security/pam_ns.conf is a conffile" \
		sh -c 'dpkg-query -W -f="\${Conffiles}\n" libpam-ns | grep -q "^ /etc/security/pam_ns.conf "'
	check "profile is Default: no" grep -qx 'Default: no' /usr/share/pam-configs/pam_ns
	check "pam_nsctl check accepts the stock policy" pam_nsctl check
	useradd -M -s /bin/sh pamns-pkg-probe
	for u in root nobody pamns-pkg-probe; do
		check "stock policy does not isolate $u" sh -c \
			"pam_nsctl --json explain $u | grep -q '\"isolate\": *false'"
	done
	userdel pamns-pkg-probe
	;;
enable)
	check "pam-auth-update --enable pam_ns mkhomedir" pam-auth-update --enable pam_ns mkhomedir
	check "common-auth: auth required pam_ns.so" grep -Eq '^auth[[:space:]]+required[[:space:]]+pam_ns\.so[[:space:]]*$' /etc/pam.d/common-auth
	check "common-session: session required pam_ns.so" grep -Eq '^session[[:space:]]+required[[:space:]]+pam_ns\.so[[:space:]]*$' /etc/pam.d/common-session
	check "common-session-noninteractive: session required pam_ns.so (cron)" \
		grep -Eq '^session[[:space:]]+required[[:space:]]+pam_ns\.so[[:space:]]*$' /etc/pam.d/common-session-noninteractive
	check "common-auth: pam_ns last, after pam_unix and pam_cap" sh -c \
		"$(declare -f modules last_is before); last_is common-auth pam_ns.so && before common-auth pam_unix.so pam_ns.so && before common-auth pam_cap.so pam_ns.so"
	check "common-session: pam_ns last, after pam_systemd and pam_mkhomedir" sh -c \
		"$(declare -f modules last_is before); last_is common-session pam_ns.so && before common-session pam_systemd.so pam_ns.so && before common-session pam_mkhomedir.so pam_ns.so"
	check "common-session-noninteractive: pam_ns last" sh -c "$(declare -f modules last_is); last_is common-session-noninteractive pam_ns.so"
	check "common-account and common-password untouched" sh -c '! grep -q pam_ns /etc/pam.d/common-account /etc/pam.d/common-password'
	check "pam-auth-update --disable mkhomedir keeps pam_ns" sh -c \
		"pam-auth-update --disable mkhomedir && $(declare -f modules last_is); last_is common-session pam_ns.so && ! grep -q mkhomedir /etc/pam.d/common-session"
	;;
login-upgrade)
	add_users
	check "pam_nsctl check with a drop-in isolating pamns-pkg-iso" pam_nsctl check
	check "su -l: the isolated user has a private /tmp" isolated_tmp pamns-pkg-iso
	check "su -l: the exempt user sees the host's /tmp" su -l pamns-pkg-free -c 'test -e /pkg-root-marker && test -e /tmp/pkg-host-marker'
	# A live set: a process of the user keeps it after the login ends.
	su -l pamns-pkg-iso -c 'touch /tmp/pkg-set-marker; sleep 3600 </dev/null >/dev/null 2>&1 & echo $! >"$HOME/live.pid"' </dev/null
	pid=$(cat /home/pamns-pkg-iso/live.pid 2>/dev/null)
	check "a set is alive before the upgrade" sh -c "[ -n '$pid' ] && pam_nsctl list | grep -q pamns-pkg-iso"
	old=$(dpkg-query -W -f='${Version}' libpam-ns)
	check "upgrade with apt-get install ./$(basename "$2")" apt-get install -y -q --no-install-recommends "$2"
	check "upgrade: the version changed" test "$(dpkg-query -W -f='${Version}' libpam-ns)" != "$old"
	check "upgrade keeps pam_ns enabled, once, last" sh -c \
		"$(declare -f modules last_is); last_is common-session pam_ns.so && last_is common-auth pam_ns.so && last_is common-session-noninteractive pam_ns.so"
	check "upgrade: the live session's process still runs in its set" \
		sh -c "kill -0 $pid && test -e /proc/$pid/root/tmp/pkg-set-marker && ! test -e /proc/$pid/root/tmp/pkg-host-marker"
	check "upgrade: the next login joins the live set" su -l pamns-pkg-iso -c 'test -e /pkg-root-marker && test -e /tmp/pkg-set-marker'
	check "upgrade: the exempt user's next login works" su -l pamns-pkg-free -c 'test -e /tmp/pkg-host-marker'
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	pam_nsctl stop pamns-pkg-iso --force >/dev/null 2>&1
	# The anchor tears down when nothing is left in the set.
	for _ in $(seq 100); do set_alive || break; sleep 0.1; done
	check "the set is gone after pam_nsctl stop" sh -c '! pam_nsctl list | grep -q pamns-pkg-iso'
	;;
remove)
	check "apt-get remove libpam-ns" apt-get remove -y -q libpam-ns
	check "remove: nothing of pam_ns in any PAM file or in /var/lib/pam" no_pam_ns_in_pam /var/lib/pam
	check "remove: PAM files as before the install" sh -c 'diff /root/pam.before /dev/stdin' < <(pam_sums)
	id pamns-pkg-iso >/dev/null 2>&1 || useradd -m -s /bin/sh pamns-pkg-iso
	check "remove: su -l works" su -l pamns-pkg-iso -c true
	check "remove: the module is gone" test ! -e "/usr/lib/$ma/security/pam_ns.so"
	check "remove: the profile is gone" test ! -e /usr/share/pam-configs/pam_ns
	check "remove keeps the policy (a conffile)" test -e /etc/security/pam_ns.conf
	;;
purge)
	# What tmp = dir and var_tmp = dir leave: one user's file, one empty dir.
	mkdir -p -m 0700 /var/lib/pam_ns/tmp /var/lib/pam_ns/var-tmp
	mkdir -p -m 1777 /var/lib/pam_ns/tmp/4242 /var/lib/pam_ns/var-tmp/4243 /var/lib/pam_ns/tmp/4244
	echo data >/var/lib/pam_ns/tmp/4242/notes.txt
	check "apt-get purge libpam-ns" apt-get purge -y -q libpam-ns
	check "purge: the package is gone" sh -c '! dpkg-query -W -f="\${Status}" libpam-ns 2>/dev/null | grep -q installed'
	check "purge: the policy is gone" test ! -e /etc/security/pam_ns.conf
	check "purge keeps a user's files" grep -qx data /var/lib/pam_ns/tmp/4242/notes.txt
	check "purge removes empty per-user directories" sh -c 'test ! -e /var/lib/pam_ns/tmp/4244 && test ! -e /var/lib/pam_ns/var-tmp'
	check "purge: nothing of pam_ns in any PAM file or in /var/lib/pam" no_pam_ns_in_pam /var/lib/pam
	rm -rf /var/lib/pam_ns /etc/security/pam_ns.conf.d
	;;
purge-live)
	check "reinstall ./$(basename "$2")" apt-get install -y -q --no-install-recommends "$2"
	mkdir -p -m 0700 /var/lib/pam_ns/tmp /run/pam_ns/4242
	mkdir -p -m 1777 /var/lib/pam_ns/tmp/4242
	check "apt-get purge while a set is alive" apt-get purge -y -q libpam-ns
	check "purge keeps /var/lib/pam_ns while a set is alive" test -d /var/lib/pam_ns/tmp/4242
	check "purge leaves a live set's /run/pam_ns" test -d /run/pam_ns/4242
	rm -rf /var/lib/pam_ns /run/pam_ns
	;;
readme)
	# As a new user would: in a clone (here an empty directory) with the
	# package built next to it, and an account alice.
	useradd -m -s /bin/bash alice
	mkdir -p /root/readme/pam_ns
	cp "$2" /root/readme/
	out=$(cd /root/readme/pam_ns && bash -ex "$3" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	check "README: its install commands succeed" test "$rc" = 0
	check "README: alice's /tmp after su -l is a tmpfs" \
		sh -c 'case $1 in tmpfs*) ;; *) exit 1 ;; esac' sh "$(echo "$out" | tail -n 1)"
	check "README: root's /tmp is not a tmpfs here" sh -c '! findmnt -n -o FSTYPE /tmp | grep -q tmpfs'
	pam_nsctl stop alice --force >/dev/null 2>&1
	apt-get purge -y -q libpam-ns >/dev/null 2>&1
	rm -rf /var/lib/pam_ns /etc/security/pam_ns.conf.d /root/readme
	;;
*)
	echo "usage: $0 install|enable|login-upgrade|remove|purge|purge-live|readme [DEB [SCRIPT]]" >&2
	exit 2
	;;
esac

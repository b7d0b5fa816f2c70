#!/bin/bash
# The package's life in a Debian 12 chroot: run by tests/package/run through
# pkg_chroot (tests/package/rootfs.sh), one step per call:
#
#   in-chroot.sh install DEB        install; no PAM file changes; layout
#   in-chroot.sh enable             pam-auth-update --enable: lines, order
#   in-chroot.sh reset              purge the package and what the tests
#                                   left (no checks)
#   in-chroot.sh readme DEB SCRIPT  the README's install section, word for
#                                   word (SCRIPT: its commands, from
#                                   "apt-get install ../libpam-ns_*.deb" on)
#
# Prints one "PASS name" or "FAIL name: why" line per check.
# Logins (ssh, su -l, cron), upgrade, remove and purge are tested on a
# booted systemd host instead: tests/package/booted.sh.
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
reset)
	apt-get purge -y -q libpam-ns >/dev/null 2>&1
	rm -rf /var/lib/pam_ns /etc/security/pam_ns.conf.d
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
	echo "usage: $0 install|enable|reset|readme [DEB [SCRIPT]]" >&2
	exit 2
	;;
esac

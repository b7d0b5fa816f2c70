# shellcheck shell=bash
# A throwaway Debian 12 root file system for package tests, and a way to run
# commands in it. Sourced by tests/package/run; reusable by other rigs.
#
#   pkg_rootfs_tarball            print the cached tarball's path, making it
#                                 first if needed (mmdebstrap, a few minutes)
#   pkg_rootfs_unpack DIR         a fresh root file system in DIR
#   pkg_chroot DIR CMD...         run CMD in DIR's chroot, with /proc, /sys,
#                                 /dev and /run mounted in a private mount
#                                 namespace (gone when CMD ends)
#
# The host is never touched: nothing is installed on it, no mount outlives a
# call, and the chroot has no network (so the tarball holds every package the
# tests install from it, runtime dependencies of libpam-ns included).

PKG_CACHE=${PKG_CACHE:-/var/cache/pam_ns-pkg}
PKG_SUITE=${PKG_SUITE:-bookworm}
# What the tests need besides the "important" variant: libpam-ns's runtime
# dependencies, the session modules it must come after (pam_systemd, pam_cap
# with its Auth-Final line, pam_mkhomedir is in libpam-modules), and cron
# for the non-interactive stack.
PKG_ROOTFS_INCLUDE=${PKG_ROOTFS_INCLUDE:-libpam-runtime,libpam-modules,libpam0g,libcap-ng0,libiniparser1,libsubid4,libpam-systemd,libpam-cap,cron}

# The host's Debian mirror (deb.debian.org when none is configured).
pkg_mirror() {
	local m
	m=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/* *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $3 ~ /^(bookworm|stable)$/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

pkg_rootfs_tarball() {
	local key tar
	key=$(printf '%s %s %s' "$PKG_SUITE" "$PKG_ROOTFS_INCLUDE" "$(pkg_mirror)" | sha256sum | cut -c1-12)
	tar=$PKG_CACHE/$PKG_SUITE-$key.tar
	if [ ! -s "$tar" ]; then
		mkdir -p "$PKG_CACHE" || return 1
		command -v mmdebstrap >/dev/null ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >&2 ||
			return 1
		# mmdebstrap mounts /proc and /dev in the new tree: keep those
		# mounts away from the host's mount table.
		unshare -m --propagation private \
			mmdebstrap --quiet --variant=important --include="$PKG_ROOTFS_INCLUDE" \
			"$PKG_SUITE" "$PKG_CACHE/.new-$key.tar" "$(pkg_mirror)" >&2 ||
			{ rm -f "$PKG_CACHE/.new-$key.tar"; return 1; }
		mv "$PKG_CACHE/.new-$key.tar" "$tar"
	fi
	echo "$tar"
}

pkg_rootfs_unpack() {
	local dir=$1 tar
	tar=$(pkg_rootfs_tarball) || return 1
	mkdir -p "$dir" && tar -xf "$tar" -C "$dir"
}

pkg_chroot() {
	local dir=$1
	shift
	# Mounts are made in a private mount namespace, so they go away with it.
	# The tree becomes that namespace's root with pivot_root, not just the
	# caller's with chroot: pam_ns joins a set's mount namespace with
	# setns(), which moves the caller to the namespace's root, and after a
	# plain chroot that root is the host's.
	# /dev is the tarball's own (null, zero, tty, ...) with a private devpts
	# and /dev/shm: no /dev/log, so nothing run in the chroot writes to the
	# host's syslog (where the integration tests read theirs). The chroot's
	# /run is a fresh tmpfs for each call: pam_ns's /run/pam_ns lives there,
	# so a set lives only as long as the call that made it.
	unshare -m --propagation private -- sh -c '
		d=$1; shift
		mount --bind "$d" "$d" &&
		mount -t proc proc "$d/proc" &&
		mount -t sysfs sysfs "$d/sys" &&
		mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$d/dev/pts" &&
		mount --bind "$d/dev/pts/ptmx" "$d/dev/ptmx" &&
		mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d/dev/shm" &&
		mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$d/run" &&
		cd "$d" && pivot_root . mnt &&
		exec chroot . /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive TERM=dumb \
			/bin/sh -c "umount -l /mnt && cd / && exec \"\$@\"" sh "$@"' sh "$dir" "$@"
}

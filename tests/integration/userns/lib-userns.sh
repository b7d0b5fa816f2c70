# shellcheck shell=bash
# tests/integration/userns/lib-userns.sh: what the t-userns-*.sh scripts share
# on top of ../lib.sh (sourced after it, and after pns_setup):
#   - the sshd stack with the auth line that delivers setcred (SPEC 7);
#   - the probes (setuid-root id printer, NS_GET_OWNER_UID reader), compiled
#     at run time into $PNS_T/bin;
#   - a held ssh session that runs a given command (lib's ssh_hold has a fixed
#     one);
#   - /etc/subuid and /etc/subgid edits for the test accounts only, undone at
#     exit;
#   - expected id maps computed from the rule in pam_ns(8), and map
#     normalisation;
#   - syslog assertions that skip (not pass) when nothing captures syslog.

UNS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UNS_SUID_PROBE=
UNS_NSINFO=

# ---------------------------------------------------------------- stacks

# The sshd stack of SPEC 7 / pam_ns(8): pam_ns in auth (last) and session.
uns_sshd_stack() {
	cat <<EOF
auth     required   pam_permit.so
auth     required   $PNS_MODULE $(pam_ns_args)
account  required   pam_permit.so
password required   pam_deny.so
session  required   $PNS_MODULE $(pam_ns_args)
session  optional   pam_permit.so
EOF
}

# uns_sshd_start internal|server: lib's sshd_start with that stack.
uns_sshd_start() {
	uns_sshd_stack >"$PNS_T/sshd-userns.stack"
	chmod 0644 "$PNS_T/sshd-userns.stack"
	SSHD_STACK=$PNS_T/sshd-userns.stack sshd_start "$1"
}

# uns_root_stack CONFIG: lib's root_stack (su, login) with another policy file.
uns_root_stack() {
	root_stack | sed "s|config=$PNS_CONF|config=$1|"
}

# ---------------------------------------------------------------- probes

# uns_build_probes: compile the probes into $PNS_T/bin (root 0755, under
# /etc, so every test user can run them); the setuid one is root 4755.
uns_build_probes() {
	UNS_SUID_PROBE=$PNS_T/bin/suid-probe
	UNS_NSINFO=$PNS_T/bin/nsinfo
	if ! command -v cc >/dev/null; then
		fail "build the probes" "no C compiler (cc) on this machine"
		exit 1
	fi
	if ! cc -O2 -Wall -o "$UNS_SUID_PROBE" "$UNS_SRC/suid-probe.c" ||
		! cc -O2 -Wall -o "$UNS_NSINFO" "$UNS_SRC/nsinfo.c"; then
		fail "build the probes" "cc failed on $UNS_SRC/*.c"
		exit 1
	fi
	chown root:root "$UNS_SUID_PROBE" "$UNS_NSINFO"
	chmod 4755 "$UNS_SUID_PROBE"
	chmod 0755 "$UNS_NSINFO"
}

# ---------------------------------------------------------------- sessions

# uns_hold ID USER CMD: like lib's ssh_hold, but the held session first runs
# CMD (its key=value output lands in ${HOLD_OUT[ID]}), then stays until
# ssh_release ID. Returns 1 if the session did not come up.
uns_hold() { ssh_hold "$1" "$2" "$3"; }

# uns_hold_out ID: what the held session printed.
uns_hold_out() { cat "${HOLD_OUT[$1]}" 2>/dev/null; }

# ---------------------------------------------------------------- id maps

# uns_norm_map: a uid_map/gid_map text as "in out count" lines, sorted (the
# kernel pads the columns, and prints more than 5 lines sorted by inside id).
uns_norm_map() { awk 'NF { print $1, $2, $3 }' | LC_ALL=C sort; }

# uns_expect_map SUBSTART SUBCOUNT ID...: the map pam_ns(8) specifies: each ID
# to itself, then (SUBCOUNT > 0) inside ids from 0 upwards, around the IDs,
# onto SUBSTART.. in order. Printed normalised (uns_norm_map).
uns_expect_map() {
	local start=$1 count=$2 id inside=0 outside left k gap_end
	shift 2
	local ids
	ids=$(printf '%s\n' "$@" | LC_ALL=C sort -n -u)
	{
		for id in $ids; do echo "$id $id 1"; done
		if [ "$count" -gt 0 ]; then
			outside=$start left=$count
			for gap_end in $ids 4294967294; do
				[ "$left" -gt 0 ] || break
				k=$((gap_end > inside ? gap_end - inside : 0))
				[ "$k" -gt "$left" ] && k=$left
				[ "$k" -gt 0 ] && echo "$inside $outside $k"
				outside=$((outside + k)) left=$((left - k))
				inside=$((gap_end + 1))
			done
		fi
	} | uns_norm_map
}

# One line per map entry joined with ';' (to carry a map in key=value output).
uns_join() { paste -sd ';' -; }

# ---------------------------------------------------------------- subid files

UNS_SUBID_USERS=()

# uns_subid_prepare: call once, before any user_add. Keeps a copy of
# /etc/subuid and /etc/subgid and, at exit (after the accounts are gone),
# removes every line still naming one of this script's accounts. It edits
# only those lines, under shadow's lock, instead of copying the whole file
# back: other accounts may be added or removed meanwhile (useradd adds
# ranges on its own here), and their lines must stay.
uns_subid_prepare() {
	local f
	for f in /etc/subuid /etc/subgid; do
		if [ -e "$f" ]; then
			cp -p "$f" "$PNS_T/$(basename "$f").orig"
		else
			: >"$PNS_T/$(basename "$f").missing"
		fi
	done
	defer _uns_subid_restore
}

# Take shadow's commonio lock on FILE (FILE.lock, a hard link to FILE.PID
# holding our pid), bounded.
_uns_lock() {
	local f=$1 tmp=$1.$BASHPID i
	printf '%s' "$BASHPID" >"$tmp" || return 1
	for i in $(seq 1 100); do
		if ln "$tmp" "$f.lock" 2>/dev/null; then
			rm -f "$tmp"
			return 0
		fi
		sleep 0.1
	done
	rm -f "$tmp"
	return 1
}
_uns_unlock() { rm -f "$1.lock"; }

# _uns_subid_drop FILE NAME...: remove the lines of these accounts from FILE.
_uns_subid_drop() {
	local f=$1 n pat=
	shift
	[ -e "$f" ] || return 0
	[ $# -gt 0 ] || return 0
	for n in "$@"; do pat="$pat${pat:+|}$(printf '%s' "$n" | sed 's/[.[\*^$+?(){}|]/\\&/g')"; done
	grep -Eq "^($pat):" "$f" || return 0
	_uns_lock "$f" || {
		echo "lib-userns: could not lock $f; lines of $* left in it" >&2
		return 1
	}
	grep -Ev "^($pat):" "$f" >"$f.pns-new"
	chmod --reference="$f" "$f.pns-new"
	chown --reference="$f" "$f.pns-new"
	mv -f "$f.pns-new" "$f"
	_uns_unlock "$f"
}

_uns_subid_restore() {
	local f base
	for f in /etc/subuid /etc/subgid; do
		base=$(basename "$f")
		if [ -e "$PNS_T/$base.missing" ]; then
			# There was no such file: remove ours unless someone else's lines are in it now.
			_uns_subid_drop "$f" "${UNS_SUBID_USERS[@]}"
			[ -e "$f" ] && [ ! -s "$f" ] && rm -f "$f"
			continue
		fi
		_uns_subid_drop "$f" "${UNS_SUBID_USERS[@]}"
		[ -e "$f" ] || cp -p "$PNS_T/$base.orig" "$f"
		if ! cmp -s "$f" "$PNS_T/$base.orig"; then
			echo "lib-userns: note: $f differs from its state at start beyond this test's lines (changed by another process meanwhile?):" >&2
			diff "$PNS_T/$base.orig" "$f" | head -n 5 >&2
		fi
	done
}

# uns_subid_set USER UIDRANGES GIDRANGES: replace the account's ranges in
# /etc/subuid and /etc/subgid (usermod, which takes shadow's lock) with the
# given ones, in this order. A RANGES argument is "START:COUNT[ START:COUNT]"
# or "" (no range).
uns_subid_set() {
	local user=$1 uranges=$2 granges=$3 r
	UNS_SUBID_USERS+=("$user")
	usermod --del-subuids 0-4294967294 --del-subgids 0-4294967294 "$user" || return 1
	for r in $uranges; do
		usermod --add-subuids "${r%%:*}-$((${r%%:*} + ${r##*:} - 1))" "$user" || return 1
	done
	for r in $granges; do
		usermod --add-subgids "${r%%:*}-$((${r%%:*} + ${r##*:} - 1))" "$user" || return 1
	done
	return 0
}

# uns_subid_lines USER: the account's lines in both files (for messages).
uns_subid_lines() { grep -H "^$1:" /etc/subuid /etc/subgid 2>/dev/null; }

# ---------------------------------------------------------------- syslog

UNS_SYSLOG_MARK=

# uns_syslog_mark: later check_syslog calls look only at what syslog gets
# from now on (so one attempt's line cannot satisfy the next attempt's check).
uns_syslog_mark() {
	UNS_SYSLOG_MARK=
	[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] &&
		UNS_SYSLOG_MARK=$(wc -l <"$PNS_SYSLOG_FILE")
	return 0
}

# uns_syslog: syslog since the last mark (else since the script started).
uns_syslog() {
	[ -n "${PNS_SYSLOG_FILE:-}" ] && [ -r "$PNS_SYSLOG_FILE" ] || return 0
	tail -n +"$((${UNS_SYSLOG_MARK:-$PNS_SYSLOG_MARK} + 1))" "$PNS_SYSLOG_FILE"
}

# uns_syslog_adopt: when lib's syslog_ensure found a /dev/log it did not make
# and no log file (another harness script's receiver holds /dev/log; it writes
# to a file under /var/tmp), use that receiver's file, once a line sent
# through /dev/log shows up in it.
uns_syslog_adopt() {
	local p f tag
	[ -z "${PNS_SYSLOG_FILE:-}" ] && [ -S /dev/log ] || return 0
	for p in /proc/[0-9]*; do
		f=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null | tail -n 2 | paste -sd ' ' -)
		case $f in "/dev/log /var/tmp/pam_ns-syslog."*) ;; *) continue ;; esac
		f=${f#/dev/log }
		[ -r "$f" ] || continue
		tag=pns-adopt-$$-$RANDOM
		logger -u /dev/log -t pam_ns-test "$tag" 2>/dev/null
		if wait_until 3 grep -qF "$tag" "$f"; then
			PNS_SYSLOG_FILE=$f
			UNS_SYSLOG_ADOPTED=${p#/proc/}
			PNS_SYSLOG_MARK=$(wc -l <"$f")
			note "syslog: reading $f, written by another script's receiver (pid $UNS_SYSLOG_ADOPTED)"
			return 0
		fi
	done
	return 0
}
UNS_SYSLOG_ADOPTED=

# _uns_syslog_alive: a line sent now reaches the file we read.
_uns_syslog_alive() {
	local tag=pns-alive-$$-$RANDOM
	logger -u /dev/log -t pam_ns-test "$tag" 2>/dev/null
	wait_until 3 grep -qF "$tag" "$PNS_SYSLOG_FILE"
}

# check_syslog NAME TEXT: syslog since the mark has a line containing TEXT
# (bounded wait: the receiver writes asynchronously). When nothing captures
# syslog, or an adopted receiver went away meanwhile, this is a skip, never
# a pass.
check_syslog() {
	if [ -z "${PNS_SYSLOG_FILE:-}" ] || [ ! -r "${PNS_SYSLOG_FILE:-}" ]; then
		skip "$1" "no syslog capture: /dev/log exists but writes to no file the harness reads"
		return
	fi
	if wait_until 5 _uns_syslog_has "$2"; then
		pass "$1"
	elif [ -n "$UNS_SYSLOG_ADOPTED" ] && ! _uns_syslog_alive; then
		skip "$1" "the syslog receiver of another script (pid $UNS_SYSLOG_ADOPTED) went away"
	else
		fail "$1" "expected a syslog line containing: $2
syslog since the attempt:
$(uns_syslog | tail -n 10)"
	fi
}
_uns_syslog_has() { uns_syslog | grep -qF -- "$1"; }

# ---------------------------------------------------------------- pam_nsctl

# uns_explain_map uid_map|gid_map TEXT: the map in `pam_nsctl explain`'s text
# output (the value after the label, plus continuation lines), normalised.
uns_explain_map() {
	printf '%s\n' "$2" | awk -v k="$1" '
		on && /^  [a-z]/ { on = 0 }
		on { print; next }
		$1 == k && /^  [a-z]/ { on = 1; sub(/^  [a-z_]+ +/, ""); print }' | uns_norm_map
}

# ---------------------------------------------------------------- probes' output

# The probe that runs inside a session: one key=value per line. Maps are
# carried joined with ';' after normalisation.
uns_probe_script() {
	cat <<EOF
echo user=\$(id -un)
echo uid=\$(id -u)
echo gid=\$(id -g)
echo groups=\$(id -G | tr ' ' '\n' | sort -n | paste -sd ' ' -)
echo uid_map=\$(awk 'NF { print \$1, \$2, \$3 }' /proc/self/uid_map | LC_ALL=C sort | paste -sd ';' -)
echo gid_map=\$(awk 'NF { print \$1, \$2, \$3 }' /proc/self/gid_map | LC_ALL=C sort | paste -sd ';' -)
echo setgroups=\$(cat /proc/self/setgroups)
for k in CapInh CapPrm CapEff CapBnd CapAmb; do echo \$k=\$(sed -n "s/^\$k:[[:space:]]*//p" /proc/self/status); done
echo Uid=\$(sed -n 's/^Uid:[[:space:]]*//p' /proc/self/status | tr -s '[:space:]' ' ')
echo Gid=\$(sed -n 's/^Gid:[[:space:]]*//p' /proc/self/status | tr -s '[:space:]' ' ')
echo userns=\$(readlink /proc/self/ns/user)
echo mnt=\$(readlink /proc/self/ns/mnt)
echo fstype=\$(findmnt -no FSTYPE /tmp)
echo shadow_owner=\$(stat -c %u /etc/shadow)
echo shadow_group=\$(stat -c %g /etc/shadow)
echo suid=\$($UNS_SUID_PROBE)
echo owner_inside=\$($UNS_NSINFO | sed -n 's/^owner=//p')
echo pid=\$\$
EOF
}

#!/usr/bin/env bash
# The policy cache (common/policy-cache.h): what iniparser confirmed, kept in
# /run/pam_ns/policy-cache so that a later login with the same policy bytes
# does not load libiniparser.
#
# - a login writes it: root's, 0600, a regular file with one link;
# - the next login with the same policy confirms from it: no libiniparser;
# - an edited policy (its bytes) is a miss: iniparser runs, and the cache
#   keeps both batches;
# - a cache that is not root 0600 with one link, a symlink, or garbage is
#   not used (iniparser runs, the login opens) and is replaced; a symlink's
#   target is never written;
# - a policy iniparser reads differently is denied (and never cached: a
#   function that is not the dlopen()ed file's never writes the cache);
# - another libiniparser file confirms anew; once it changes, what it
#   confirmed is not used;
# - written root:root 0600 whatever the caller's gid and umask;
# - pam_nsctl check never uses it.
. "$(dirname "$0")/lib.sh"
pns_setup
require_built

if ! command -v strace >/dev/null; then
	skip "policy cache" "strace is not installed"
	exit 0
fi

user_add pamns-pc
uid=$(id -u pamns-pc)
cache=$PNS_RUN_DIR/policy-cache
# pc_policy SIZE: the policy, its bytes differing by the account's tmp_size.
pc_policy() {
	policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts

[user:pamns-pc]
tmp_size   = $1
EOF
}
pc_policy 8M
{
	echo 'auth required pam_permit.so'
	echo 'account required pam_permit.so'
	pam_ns_line
} >"$PNS_T/pam.d/pc"

# login [WRAPPER...]: one session (pam-drive run through WRAPPER, if any);
# prints pam-drive's output, then libiniparser=yes|no (whether the PAM
# caller opened a libiniparser).
login() {
	local out libs
	out=$(strace -f -qq -e trace=openat -o "$PNS_T/strace.out" \
		"$@" "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service pc pamns-pc -- true 2>&1)
	echo "$out"
	if grep -q 'libiniparser' "$PNS_T/strace.out"; then libs=yes; else libs=no; fi
	echo "libiniparser=$libs"
	wait_set_gone "$uid" >/dev/null 2>&1
}
cache_sig() { stat -c '%U %G %a %h %F' "$cache" 2>&1; }
restore_cache() { rm -f "$cache"; }
defer restore_cache

# /run/pam_ns exists (a first set makes it); no cache yet.
mkdir -p -m 0700 "$PNS_RUN_DIR"
rm -f "$cache"

out=$(login)
check_eq "first login: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "first login: iniparser confirms the policy" yes "$(kv libiniparser "$out")" "$out"
check_eq "first login: the cache is root's, 0600, one link, a regular file" \
	"root root 600 1 regular file" "$(cache_sig)"
check_eq "first login: the cache starts with its magic" PNSPCv1 "$(head -c 7 "$cache" 2>&1)"
size1=$(stat -c %s "$cache")
sig1=$(stat -c '%i %z' "$cache")

out=$(login)
check_eq "second login, same policy: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "second login, same policy: libiniparser is not loaded" no "$(kv libiniparser "$out")" "$out"
check_eq "second login: isolated as the policy says" yes \
	"$([ "$(kv ns_mnt "$out")" != "$(host_ns mnt)" ] && echo yes || echo no)" "$out"
check_eq "second login: the cache is not rewritten" "$sig1" "$(stat -c '%i %z' "$cache")"

# Written root:root 0600 whatever the caller's gid and umask (su keeps the
# user's gid; the module sets the file's owner and mode itself).
rm -f "$cache"
out=$(login setpriv --egid "$(id -g pamns-pc)" --keep-groups)
check_eq "caller with the user's gid: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "caller with the user's gid: the cache is root:root 0600" "root root 600 1 regular file" "$(cache_sig)"
rm -f "$cache"
out=$(umask 0777 && login)
check_eq "caller with umask 0777: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "caller with umask 0777: the cache is root:root 0600" "root root 600 1 regular file" "$(cache_sig)"

# The policy's bytes change: a miss; both batches are kept.
pc_policy 9M
out=$(login)
check_eq "edited policy: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "edited policy: iniparser confirms it" yes "$(kv libiniparser "$out")" "$out"
check_eq "edited policy: the cache keeps the older batch too" yes \
	"$([ "$(stat -c %s "$cache")" -gt "$size1" ] && echo yes || echo no)"
out=$(login)
check_eq "edited policy, again: libiniparser is not loaded" no "$(kv libiniparser "$out")" "$out"

# A cache that does not check out is not used, and is replaced.
for bad in mode-0644 two-links garbage not-root; do
	case $bad in
	mode-0644) chmod 0644 "$cache" ;;
	two-links) ln "$cache" "$PNS_RUN_DIR/policy-cache.link" ;;
	garbage)
		head -c 2000 /dev/urandom >"$cache"
		chmod 0600 "$cache"
		;;
	not-root) chown pamns-pc "$cache" ;;
	esac
	out=$(login)
	check_eq "cache $bad: the login opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "cache $bad: not used (iniparser runs)" yes "$(kv libiniparser "$out")" "$out"
	check_eq "cache $bad: replaced by a good one" "root root 600 1 regular file" "$(cache_sig)"
	rm -f "$PNS_RUN_DIR/policy-cache.link"
done

# A symlink in its place, to a good cache (root 0600, one link): not
# followed, so not used; its target untouched.
cp -p "$cache" "$PNS_T/good-cache"
rm -f "$cache"
ln -s "$PNS_T/good-cache" "$cache"
out=$(login)
check_eq "cache is a symlink: the login opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
check_eq "cache is a symlink: not followed (iniparser runs)" yes "$(kv libiniparser "$out")" "$out"
check_eq "cache is a symlink: its target is untouched" "$(stat -c '%i %s %y' "$PNS_T/good-cache")" \
	"$(stat -c '%i %s %y' "$(readlink -f "$PNS_T/good-cache")")"
check_eq "cache is a symlink: replaced by a regular file" "root root 600 1 regular file" "$(cache_sig)"

# Another libiniparser file (a copy found first through LD_LIBRARY_PATH):
# it confirms anew; once the copy changes, what it confirmed is not used.
mkdir -p "$PNS_T/lib"
cp "$(readlink -f "$(ldconfig -p | awk '/libiniparser\.so\.1 .*x86-64|libiniparser\.so\.1 /{ print $NF; exit }')")" \
	"$PNS_T/lib/libiniparser.so.1"
rm -f "$cache"
out=$(login env LD_LIBRARY_PATH="$PNS_T/lib")
check_eq "a copy of libiniparser: it confirms the policy" yes "$(kv libiniparser "$out")" "$out"
check_contains "a copy of libiniparser: the cache names the copy" "$(tr -c '[:print:]' ' ' <"$cache")" "$PNS_T/lib/libiniparser.so.1"
out=$(login env LD_LIBRARY_PATH="$PNS_T/lib")
check_eq "a copy of libiniparser, again: not loaded" no "$(kv libiniparser "$out")" "$out"
touch -d '2001-01-01' "$PNS_T/lib/libiniparser.so.1"
out=$(login env LD_LIBRARY_PATH="$PNS_T/lib")
check_eq "the copy changed: what it confirmed is not used" yes "$(kv libiniparser "$out")" "$out"
check_eq "the copy changed: the login opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"

# A policy iniparser reads differently from the scanner: denied, never cached.
# The scanner and iniparser agree on every valid file, so a preloaded
# iniparser_load() plays the one that does not (the module looks each
# function up in the process first, as the linker resolved a linked one).
inc=/usr/include/iniparser
[ -f "$inc/iniparser.h" ] || inc=/usr/include
cat >"$PNS_T/lying.c" <<'LYING'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <iniparser.h>
dictionary *iniparser_load(const char *name)
{
	dictionary *(*real)(const char *) =
		(dictionary * (*)(const char *)) dlsym(RTLD_NEXT, "iniparser_load");
	dictionary *d = real ? real(name) : NULL;

	if (d)
		iniparser_set(d, "default:isolate", "no");
	return d;
}
LYING
if cc -shared -fPIC -I"$inc" -o "$PNS_T/lying.so" "$PNS_T/lying.c" -liniparser -ldl 2>"$PNS_T/cc.err"; then
	chmod 0755 "$PNS_T/lying.so"
	policy <<EOF
[default]
isolate    = yes
namespaces = mount ipc uts
hostname   = pc-lie
EOF
	rm -f "$cache"
	out=$(LD_PRELOAD=$PNS_T/lying.so "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service pc pamns-pc -- true 2>&1)
	check_ne "iniparser reads it differently: denied" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "iniparser reads it differently: nothing cached" absent \
		"$(test -e "$cache" && echo present || echo absent)"
	out=$(login)
	check_eq "the same policy, iniparser honest again: opens" PAM_SUCCESS "$(kv open_rc "$out")" "$out"
	check_eq "the same policy, iniparser honest again: iniparser confirms it" yes \
		"$(kv libiniparser "$out")" "$out"
	# The liar again, the cache warm: the batch is confirmed from the cache,
	# what the honest iniparser said of these same bytes.
	out=$(LD_PRELOAD=$PNS_T/lying.so "$PNS_DRIVE" --confdir "$PNS_T/pam.d" --service pc pamns-pc -- true 2>&1)
	check_eq "the liar, the cache warm: the cached reading decides" PAM_SUCCESS \
		"$(kv open_rc "$out")" "$out"
	wait_set_gone "$uid" >/dev/null 2>&1
else
	fail "iniparser reads it differently: build the preloaded liar" "$(cat "$PNS_T/cc.err")"
fi
before=$(stat -c '%i %s' "$cache" 2>&1)

# pam_nsctl check: iniparser reads every byte, cache or not.
if [ -n "${PNS_NSCTL:-}" ]; then
	strace -f -qq -e trace=openat -o "$PNS_T/strace-check.out" "$PNS_NSCTL" check --config "$PNS_CONF" >/dev/null 2>&1
	check_eq "pam_nsctl check, cache warm: iniparser reads the policy" yes \
		"$(grep -q libiniparser "$PNS_T/strace-check.out" && echo yes || echo no)"
	check_eq "pam_nsctl check: the cache is untouched" "$before" "$(stat -c '%i %s' "$cache" 2>&1)"
fi


#!/usr/bin/env bash
# Not a test of its own (no t- prefix, so the rig does not run it by itself):
# bench/rig runs it through tests/systemd/run to measure, on a host booted
# with systemd, what bench/run measures on the machine itself. It runs
# bench/run inside the container against the tree the rig built there, so
# that pam_ns's create rows include moving each new set's anchor into a
# scope of its own over D-Bus, next to stock pam_namespace in the same
# container. The report goes to $PAM_NS_RIG_BENCH_OUT (default: stdout).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
[ -n "${PNS_RIG_PID1:-}" ] || { echo "$PNS_TEST: run me through bench/rig" >&2; exit 2; }

out=${PAM_NS_RIG_BENCH_OUT:-/dev/stdout}
defer ct rm -f /root/bench-rig.md /root/bench-rig.log
if ct_sh 'cd /usr/local/src/pam_ns && bench/run ${1:+"$1"} --output /root/bench-rig.md' \
	"${PAM_NS_RIG_BENCH_ARGS:-}" >"$PNS_RIG_WORK/bench.log" 2>&1 </dev/null; then
	ct cat /root/bench-rig.md >"$out"
	pass "bench/run inside the booted container"
else
	fail "bench/run inside the booted container" "$(tail -n 30 "$PNS_RIG_WORK/bench.log")"
fi

#!/usr/bin/env bash
# The module does not call Subscribe: it relies on systemd sending a job's
# JobRemoved on the system bus while the job's creator is connected. logind
# is subscribed on every booted host and would hide the difference, so here
# it is stopped. A control shows that then nobody is subscribed: the
# JobRemoved of a job started over the manager's private socket (systemd-run)
# appears on the system bus (busctl monitor) before, not after. A session opened then
# (pamtester; a stack of pam_permit and pam_ns only, no pam_systemd, which
# would start logind again) must still get its anchor moved into a unit,
# logged by `debug` after the read-back, with no fallback warning, and its
# JobRemoved is seen on the bus. logind is started again after.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test rig-ann
mounts0=$(probe mounts)
mon=/run/rig-nosub.monitor

ct sh -c 'printf "auth required pam_permit.so\naccount required pam_permit.so\nsession required pam_ns.so debug\n" >/etc/pam.d/rig-nosub'
defer ct rm -f /etc/pam.d/rig-nosub "$mon"
defer ct systemctl start systemd-logind # blocks until its job is done

mon_pid=$(ct sh -c 'busctl --system monitor --match "type=signal,interface=org.freedesktop.systemd1.Manager,member=JobRemoved" >"$1" 2>&1 </dev/null & echo $!' sh "$mon")
defer_eval "ct kill $mon_pid 2>/dev/null"
wait_until "$PNS_WAIT" ct grep -q Monitoring "$mon"
check_contains "nosubscriber: busctl monitor watches the system bus" "$(ct cat "$mon")" Monitoring

# The control. systemd-run without --wait talks to the manager over its
# private socket, so its start job has no creator on the system bus, and
# returns when that job has ended. While logind is subscribed, the job's
# JobRemoved goes over the system bus (the monitor sees it); with logind
# stopped, nobody is subscribed and it does not. Three probes, the last one
# judged: the manager drops logind's subscription when dbus-daemon tells
# it that logind left, which may come just after the stop.
probe_job() { ct systemd-run --quiet --collect --unit="rig-nosub-$1" true; }
probe_job running
wait_until "$PNS_WAIT" ct grep -q rig-nosub-running "$mon"
check_contains "nosubscriber: control: with logind subscribed, a job's JobRemoved is on the system bus" \
	"$(ct cat "$mon")" rig-nosub-running
ct systemctl stop systemd-logind
check_eq "nosubscriber: logind is stopped" inactive "$(ct systemctl is-active systemd-logind)"
probe_job stopped1
probe_job stopped2
probe_job stopped3
cursor=$(ct journalctl -q -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')
out=$(ct pamtester rig-nosub "$u" open_session close_session 2>&1)
check_contains "nosubscriber: the session opens and closes" "$out" "session has successfully been closed"
log=$(ct journalctl -q -o cat --no-pager --after-cursor="$cursor" | grep -F 'pam_ns(rig-nosub:session)')
check_contains "nosubscriber: the anchor was moved into its unit (read back after JobRemoved)" "$log" \
	"Set user.sock of user $u (uid $uid): anchor moved to pam_ns-$uid-"
check_not_contains "nosubscriber: no fallback warning" "$log" "No systemd unit for set"
# The module's job's JobRemoved was on the bus; the manager sent it after
# any of the probes', so the monitor had those too, had they been sent.
wait_until "$PNS_WAIT" ct grep -q "pam_ns-$uid-" "$mon"
check_contains "nosubscriber: the module's JobRemoved went over the system bus" "$(ct cat "$mon")" "pam_ns-$uid-"
check_not_contains "nosubscriber: control: with logind stopped, a job's JobRemoved is not (nobody is subscribed)" \
	"$(ct cat "$mon")" rig-nosub-stopped3
check_eq "nosubscriber: logind is still stopped" inactive "$(ct systemctl is-active systemd-logind)"
check_all_gone "nosubscriber: after the session" "$uid" "$mounts0"

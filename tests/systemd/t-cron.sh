#!/usr/bin/env bash
# cron (issue 12, item 5), with the shipped conf/pam.d/cron line: a cron job
# of an isolated user joins the user's set when the user has one (it sees
# the session's /tmp), and otherwise creates a set of its own, torn down
# when the job has ended. cron runs "* * * * *" at the next minute: up to
# about 65 s of waiting (the wait allows 150 s).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib.sh"
rig_test

ann=rig-ann # has a session open when the job runs
bob=rig-bob # has none
uid_ann=$(ct id -u "$ann")
uid_bob=$(ct id -u "$bob")
pid1_mnt=$(ct readlink /proc/1/ns/mnt)
mounts0=$(probe mounts)
cursor=$(ct journalctl -q -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')

if ! ct systemctl -q is-active cron.service; then
	fail "cron: cron.service runs" "$(ct systemctl status --no-pager cron.service 2>&1 | head -n 5)"
	exit 1
fi
ct cp /etc/pam.d/cron /etc/pam.d/.cron.rig
defer_eval "ct mv /etc/pam.d/.cron.rig /etc/pam.d/cron"
ct sh -c 'line=$(grep -E "^session[[:space:]].*pam_ns\.so" /usr/local/src/pam_ns/conf/pam.d/cron) &&
	test -n "$line" && echo "$line" >>/etc/pam.d/cron'
check_eq "cron: /etc/pam.d/cron ends with the snippet's line" "session  required  pam_ns.so" \
	"$(ct tail -n 1 /etc/pam.d/cron)"
defer_eval "ct crontab -r -u $ann 2>/dev/null; ct crontab -r -u $bob 2>/dev/null; ct rm -f /home/$ann/rig-cron.out /home/$bob/rig-cron.out /tmp/rig-cron-marker /tmp/rig-cron-host /tmp/rig-cron-rig-ann /tmp/rig-cron-rig-bob"

if ! ct_hold a "$ann" 'echo from-session >/tmp/rig-cron-marker'; then
	fail "cron: $ann logs in" "$(cat "${CT_HOLD_OUT[a]}")"
	exit 1
fi
mnt_ann=$(ct_hold_value a mnt)

ct sh -c 'echo host >/tmp/rig-cron-host'
job='(echo mnt=$(readlink /proc/self/ns/mnt); echo seen=$(cat /tmp/rig-cron-marker 2>/dev/null || echo none); echo host=$(cat /tmp/rig-cron-host 2>/dev/null || echo none); echo job >/tmp/rig-cron-USER; sleep 2; echo done) >$HOME/rig-cron.out 2>&1'
for u in "$ann" "$bob"; do
	printf '* * * * * %s\n' "${job//USER/$u}" | ct crontab -u "$u" -
done
# cron reads a changed crontab at a minute's turn, and runs it from the next
# one: restarted, it reads them now, and runs them at the next turn.
ct systemctl restart cron.service
start=$SECONDS
ran() { ct grep -qx done "/home/$1/rig-cron.out"; }
if ! wait_until 150 ran "$bob" || ! wait_until 10 ran "$ann"; then
	fail "cron: the jobs ran within 150 s" "$ann: $(ct cat "/home/$ann/rig-cron.out" 2>&1)
$bob: $(ct cat "/home/$bob/rig-cron.out" 2>&1)"
	exit 1
fi
# Once is enough.
ct crontab -r -u "$ann"
ct crontab -r -u "$bob"
note "time: the jobs ran after $((SECONDS - start)) s"
out_ann=$(ct cat "/home/$ann/rig-cron.out")
out_bob=$(ct cat "/home/$bob/rig-cron.out")

check_eq "cron: $ann's job joins the set of $ann's session" "$mnt_ann" "$(kv mnt "$out_ann")"
check_eq "cron: $ann's job sees the session's /tmp" from-session "$(kv seen "$out_ann")"
check_eq "cron: $ann's job does not see the host's /tmp" none "$(kv host "$out_ann")"
check_ne "cron: $bob's job (no session) runs isolated" "$pid1_mnt" "$(kv mnt "$out_bob")"
check_ne "cron: ... in a set of its own" "$mnt_ann" "$(kv mnt "$out_bob")"
check_eq "cron: ... which has not the host's /tmp" none "$(kv host "$out_bob")"
check_eq "cron: ... nor $ann's" none "$(kv seen "$out_bob")"
check_eq "cron: the jobs' /tmp files are not in the host's /tmp" "absent absent" \
	"$(ct sh -c 'for f in /tmp/rig-cron-rig-ann /tmp/rig-cron-rig-bob; do test -e $f && echo -n "present " || echo -n "absent "; done' | sed 's/ $//')"
bob_gone() { [ -z "$(probe socks "$uid_bob")" ] && ! pns_units | grep -q "^pam_ns-$uid_bob-"; }
wait_until "$PNS_WAIT" bob_gone
check_eq "cron: after $bob's job no socket of $bob" "" "$(probe socks "$uid_bob")"
check_eq "cron: after $bob's job no unit of $bob" "" "$(pns_units | grep "^pam_ns-$uid_bob-")"
check_eq "cron: $ann's set still lives" "/run/pam_ns/$uid_ann/user.sock" "$(probe socks "$uid_ann")"
ct_release a
check_all_gone "cron: after $ann's logout" "$uid_ann" "$mounts0"
check_eq "cron: no stack-order warning for cron" "" \
	"$(ct journalctl -q -o cat --no-pager --after-cursor="$cursor" | grep 'Wrong stack order' || true)"

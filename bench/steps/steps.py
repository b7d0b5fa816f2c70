#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Summarise the step log that a build with bench/steps/steps.patch writes.

Each line of the log (default /run/pns-steps.log) is "TAG STEP=US/FAULTS ...":
one pam_open_session ("open"), pam_close_session ("close"), helper or anchor
run, each step the microseconds and minor page faults since the step before.
Prints, per TAG and step, the median time and the mean faults. The sum of
medians is not the median of the sums.

    bench/steps/steps.py [LOG]
"""
import collections
import statistics
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "/run/pns-steps.log"
times = collections.defaultdict(lambda: collections.defaultdict(list))
faults = collections.defaultdict(lambda: collections.defaultdict(list))
with open(path) as f:
    for line in f:
        fields = line.split()
        if not fields:
            continue
        tag = fields[0]
        for kv in fields[1:]:
            step, value = kv.split("=", 1)
            us, flt = value.split("/")
            times[tag][step].append(int(us))
            faults[tag][step].append(int(flt))
for tag, steps in times.items():
    total_us = total_flt = 0.0
    for step, values in steps.items():
        p50 = statistics.median(values)
        flt = statistics.mean(faults[tag][step])
        total_us += p50
        total_flt += flt
        print("%-7s %-34s p50 %6.0f us  faults %5.1f  n=%d" % (tag, step, p50, flt, len(values)))
    print("%-7s %-34s sum  %6.0f us  faults %5.1f" % (tag, "(sum of medians)", total_us, total_flt))

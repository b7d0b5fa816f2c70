/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* A time of day in UTC, as a syslog time stamp needs it. */
struct pns_utc {
	int year;
	int month; /* 1-12 */
	int day;   /* 1-31 */
	int hour, minute, second;
};

/*
 * Seconds since the epoch (negative before it) to the UTC calendar, by
 * arithmetic alone. The helper formats its syslog time stamps with this
 * rather than gmtime_r(): glibc's takes a lock, and the helper logs after
 * killing an anchor that shares its memory and may have held that lock
 * (helper/helper.c, docs/DESIGN.md "The anchor's start").
 */
void pns_utc_from_epoch(int64_t t, struct pns_utc *ret);

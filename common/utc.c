/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/utc.h"

void pns_utc_from_epoch(int64_t t, struct pns_utc *ret)
{
	int64_t days = t / 86400, rem = t % 86400, era, doe, yoe, doy, mp;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	ret->hour = (int)(rem / 3600);
	ret->minute = (int)(rem / 60 % 60);
	ret->second = (int)(rem % 60);
	/* Days to a date in the proleptic Gregorian calendar, counted in
	 * 400-year eras from 0000-03-01 (so that February comes last in a
	 * year and the leap day is its end); Howard Hinnant's
	 * civil_from_days(). */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;				     /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		     /* [0, 365] */
	mp = (5 * doy + 2) / 153;				     /* [0, 11], March first */
	ret->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	ret->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	ret->year = (int)(yoe + era * 400 + (ret->month <= 2));
}

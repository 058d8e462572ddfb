/* tern — RFC 5322 Date header parsing (tolerant of common breakage). */
#ifndef TERN_IMAP_MAILDATE_H
#define TERN_IMAP_MAILDATE_H

#include "core/common.h"

/* Parse "[Day,] DD Mon YYYY HH:MM[:SS] [+hhmm|zone]" (also two-digit years,
 * obsolete zone names, comments, missing seconds). Returns 0 and sets
 * *time_r (unix time) and *tz_r (minutes east of UTC), or -1. */
int maildate_parse(const char *text, gint64 *time_r, int *tz_r);

/* 1..12 when s starts with an English month's three-letter abbreviation
 * (any case), else 0. */
unsigned maildate_month(const char *s);
/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
gint64 maildate_days_from_civil(gint64 y, unsigned m, unsigned d);

#endif

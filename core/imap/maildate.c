/* tern — RFC 5322 dates, parsed by hand because GLib has no parser for
 * them and core may not use GMime's. */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/imap/maildate.h"

unsigned
maildate_month(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char key[3];

	/* once a message for its Date, once for its INTERNALDATE: one pass
	 * over a table, not twelve case-insensitive compares */
	for (int i = 0; i < 3; i++) {
		if (!g_ascii_isalpha(s[i]))
			return 0;
		key[i] = g_ascii_tolower(s[i]);
	}
	for (unsigned i = 0; i < 12; i++)
		if (memcmp(key, months + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

gint64
maildate_days_from_civil(gint64 y, unsigned m, unsigned d)
{
	gint64 era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (gint64)doe - 719468;
}

/* What g_date_time_new_utc() accepts of a date: years 1 to 9999, and no
 * day after its month's last. */
static bool
valid_date(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static const struct {
	const char *name;
	int minutes;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
	{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
};

/* Next token: a run of letters, or of digits, or one other character;
 * spaces, commas and (comments) skipped. */
static const char *
next_token(const char *p, char *buf, size_t bufsize)
{
	size_t n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			break;
		for (int depth = 0; *p != '\0'; p++) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
	if (*p == '\0')
		return NULL;
	if (g_ascii_isalpha(*p))
		while (g_ascii_isalpha(*p) && n + 1 < bufsize)
			buf[n++] = *p++;
	else if (g_ascii_isdigit(*p))
		while (g_ascii_isdigit(*p) && n + 1 < bufsize)
			buf[n++] = *p++;
	else
		buf[n++] = *p++;
	buf[n] = '\0';
	return p;
}

static int
parse_num(const char *s, int max_digits)
{
	int v = 0;

	if (*s == '\0' || (int)strlen(s) > max_digits)
		return -1;
	for (; *s != '\0'; s++) {
		if (!g_ascii_isdigit(*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int
maildate_parse(const char *text, gint64 *time_r, int *tz_r)
{
	char tok[32];
	const char *p = text;
	int day = -1, mon = -1, year = -1, hh = -1, mm = -1, ss = 0, tz = 0;

	if (p == NULL)
		return -1;
	/* optional day name, then day of month */
	if ((p = next_token(p, tok, sizeof tok)) == NULL)
		return -1;
	if (g_ascii_isalpha(tok[0]) && (p = next_token(p, tok, sizeof tok)) == NULL)
		return -1;
	if ((day = parse_num(tok, 2)) < 1 || day > 31)
		return -1;
	if ((p = next_token(p, tok, sizeof tok)) == NULL)
		return -1;
	mon = (int)maildate_month(tok);
	if (mon == 0 || (p = next_token(p, tok, sizeof tok)) == NULL)
		return -1;
	if ((year = parse_num(tok, 4)) < 0)
		return -1;
	if (strlen(tok) <= 2)
		year += year < 50 ? 2000 : 1900;
	else if (strlen(tok) == 3)
		year += 1900;
	/* time: HH ':' MM [':' SS] */
	if ((p = next_token(p, tok, sizeof tok)) == NULL || (hh = parse_num(tok, 2)) < 0 || hh > 23)
		return -1;
	if ((p = next_token(p, tok, sizeof tok)) == NULL || strcmp(tok, ":") != 0)
		return -1;
	if ((p = next_token(p, tok, sizeof tok)) == NULL || (mm = parse_num(tok, 2)) < 0 || mm > 59)
		return -1;
	if ((p = next_token(p, tok, sizeof tok)) != NULL && strcmp(tok, ":") == 0) {
		if ((p = next_token(p, tok, sizeof tok)) == NULL || (ss = parse_num(tok, 2)) < 0 ||
		    ss > 60)
			return -1;
		p = next_token(p, tok, sizeof tok);
	}
	if (ss == 60)
		ss = 59;
	/* zone: +hhmm / -hhmm / a name / nothing (then UTC) */
	if (p != NULL) {
		if (tok[0] == '+' || tok[0] == '-') {
			int sign = tok[0] == '-' ? -1 : 1, v;

			if (next_token(p, tok, sizeof tok) == NULL || strlen(tok) != 4 ||
			    (v = parse_num(tok, 4)) < 0 || v % 100 > 59 || v / 100 > 23)
				return -1;
			tz = sign * ((v / 100) * 60 + v % 100);
		} else {
			for (size_t i = 0; i < TERN_ARRAY_LEN(zones); i++)
				if (g_ascii_strcasecmp(tok, zones[i].name) == 0)
					tz = zones[i].minutes;
		}
	}
	if (!valid_date(year, mon, day))
		return -1;
	*time_r = maildate_days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 +
		  hh * 3600 + mm * 60 + ss - (gint64)tz * 60;
	*tz_r = tz;
	return 0;
}

/* tern — RFC 5322 dates, parsed by hand because GLib has no parser for
 * them and core may not use GMime's. */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/imap/maildate.h"

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
				      "jul", "aug", "sep", "oct", "nov", "dec" };

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
	GDateTime *dt;

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
	for (int i = 0; i < 12; i++)
		if (g_ascii_strncasecmp(tok, months[i], 3) == 0)
			mon = i + 1;
	if (mon < 0 || (p = next_token(p, tok, sizeof tok)) == NULL)
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
	dt = g_date_time_new_utc(year, mon, day, hh, mm, ss);
	if (dt == NULL)
		return -1;
	*time_r = g_date_time_to_unix(dt) - (gint64)tz * 60;
	*tz_r = tz;
	g_date_time_unref(dt);
	return 0;
}

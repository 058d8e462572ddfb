/* tern — tests for RFC 5322 dates (core/imap/maildate.c) and the
 * INTERNALDATE parser that shares its month and day arithmetic. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"
#include "core/imap/maildate.h"

struct date_row {
	const char *text;
	bool ok;
	gint64 time; /* unix time */
	int tz;      /* minutes east of UTC */
};

static const struct date_row date_rows[] = {
	{ "Thu, 03 Dec 2026 21:19:00 +0000", true, 1796332740, 0 },
	{ "3 Dec 2026 22:19:00 +0100", true, 1796332740, 60 },
	{ "Thu, 3 dec 2026 16:19 -0500", true, 1796332740, -300 },
	{ "Thu, 03 DECEMBER 2026 21:19:00 GMT", true, 1796332740, 0 },
	{ "03 Dec 2026 13:19:00 PST", true, 1796332740, -480 },
	{ "03 Dec 2026 21:19:00 (UTC)", true, 1796332740, 0 },
	{ "(comment) 03 Dec 2026 21:19:60 +0000", true, 1796332799, 0 },
	{ "29 Feb 2024 00:00:00 +0000", true, 1709164800, 0 },
	{ "29 Feb 2023 00:00:00 +0000", false, 0, 0 },
	{ "29 Feb 2000 00:00:00 +0000", true, 951782400, 0 },
	{ "29 Feb 1900 00:00:00 +0000", false, 0, 0 },
	{ "31 Apr 2026 00:00:00 +0000", false, 0, 0 },
	{ "01 Jan 70 00:00:00 +0000", true, 0, 0 },
	{ "01 Jan 49 00:00:00 +0000", true, 2493072000, 0 },
	{ "01 Jan 100 00:00:00 +0000", true, 0, 0 }, /* three digits: 1900 + */
	{ "01 Jan 0000 00:00:00 +0000", false, 0, 0 },
	{ "01 Jan 0001 00:00:00 +0000", true, -62135596800, 0 },
	{ "31 Dec 9999 23:59:59 +0000", true, 253402300799, 0 },
	{ "01 Ja 2026 00:00:00 +0000", false, 0, 0 },
	{ "01 Jxn 2026 00:00:00 +0000", false, 0, 0 },
	{ "01 2026 00:00:00 +0000", false, 0, 0 },
	{ "32 Jan 2026 00:00:00 +0000", false, 0, 0 },
	{ "01 Jan 2026 24:00:00 +0000", false, 0, 0 },
	{ "", false, 0, 0 },
};

static void
test_rows(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(date_rows); i++) {
		const struct date_row *r = &date_rows[i];
		gint64 t = 0;
		int tz = 0;
		int rc = maildate_parse(r->text, &t, &tz);

		g_test_message("%s", r->text);
		g_assert_cmpint(rc, ==, r->ok ? 0 : -1);
		if (!r->ok)
			continue;
		if (strstr(r->text, " 100 ") != NULL) {
			g_assert_cmpint(t, ==, maildate_days_from_civil(2000, 1, 1) * 86400);
			continue;
		}
		g_assert_cmpint(t, ==, r->time);
		g_assert_cmpint(tz, ==, r->tz);
	}
}

/* Every date of random years, months and days against GLib's calendar:
 * the same unix time, and refused exactly when GLib refuses it. */
static void
test_against_glib(void)
{
	static const char *const names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	GRand *rand = g_rand_new_with_seed(17);

	for (int i = 0; i < 50000; i++) {
		int y = g_rand_int_range(rand, 1, 10000), m = g_rand_int_range(rand, 1, 13);
		int d = g_rand_int_range(rand, 1, 32), hh = g_rand_int_range(rand, 0, 24);
		int mi = g_rand_int_range(rand, 0, 60), ss = g_rand_int_range(rand, 0, 60);
		int zh = g_rand_int_range(rand, 0, 15), zm = g_rand_int_range(rand, 0, 60);
		bool west = g_rand_boolean(rand);
		char *text = g_strdup_printf("%d %s %04d %02d:%02d:%02d %c%02d%02d", d, names[m - 1],
					     y, hh, mi, ss, west ? '-' : '+', zh, zm);
		GDateTime *dt = g_date_time_new_utc(y, m, d, hh, mi, ss);
		int tz_want = (west ? -1 : 1) * (zh * 60 + zm);
		gint64 t = 0;
		int tz = 0;
		int rc = maildate_parse(text, &t, &tz);

		if (dt == NULL) {
			if (rc != -1)
				g_error("%s: accepted, GLib refuses it", text);
		} else {
			gint64 want = g_date_time_to_unix(dt) - (gint64)tz_want * 60;

			if (rc != 0 || t != want || tz != tz_want)
				g_error("%s: rc %d, %" G_GINT64_FORMAT " %d, want %" G_GINT64_FORMAT
					" %d", text, rc, t, tz, want, tz_want);
			g_date_time_unref(dt);
		}
		g_free(text);
	}
	g_rand_free(rand);
}

/* INTERNALDATE ("dd-Mon-yyyy hh:mm:ss +zzzz"): the same calendar. */
static void
test_internaldate(void)
{
	gint64 t = 0;
	int off = 0;

	g_assert_cmpint(imap_parse_datetime("03-Dec-2026 22:19:00 +0100", 26, &t, &off), ==, 0);
	g_assert_cmpint(t, ==, 1796332740);
	g_assert_cmpint(off, ==, 60);
	g_assert_cmpint(imap_parse_datetime(" 3-dec-2026 21:19:00 +0000", 26, &t, &off), ==, 0);
	g_assert_cmpint(t, ==, 1796332740);
	g_assert_cmpint(imap_parse_datetime("3-DEC-2026 21:19:00 +0000", 25, &t, &off), ==, 0);
	g_assert_cmpint(t, ==, 1796332740);
	g_assert_cmpint(imap_parse_datetime("03-Dez-2026 21:19:00 +0000", 26, &t, &off), ==, -1);
	g_assert_cmpint(imap_parse_datetime("03-D3c-2026 21:19:00 +0000", 26, &t, &off), ==, -1);
	g_assert_cmpint(imap_parse_datetime("32-Dec-2026 21:19:00 +0000", 26, &t, &off), ==, -1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/maildate/rows", test_rows);
	g_test_add_func("/maildate/against-glib", test_against_glib);
	g_test_add_func("/maildate/internaldate", test_internaldate);
	return g_test_run();
}

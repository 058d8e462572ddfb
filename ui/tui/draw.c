/* tern — ui/tui/draw: the one way text reaches the screen.
 *
 * Every string passes text_sanitize() here, so nothing a server sent can
 * reach the terminal as a control sequence, and is laid out by display
 * width (text_pad/text_truncate never split a character). In a locale that
 * is not UTF-8 the text is narrowed to the locale's charset first (so the
 * width is that of what is drawn) and converted at the last moment. */
#include "config.h"
#include "core/common.h"

#include <locale.h>
#include <string.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* s made safe and narrowed to the locale's charset, still UTF-8. */
static char *
shown(const char *s)
{
	char *safe = text_sanitize(s, -1, TEXT_SANITIZE_ONE_LINE);
	char *narrow;

	if (text_locale_is_utf8())
		return safe;
	narrow = text_for_locale(safe, -1);
	g_free(safe);
	return narrow;
}

/* The mark of a cut: "…", or "." where the locale has no ellipsis (one
 * column, like the real one). */
static const char *
ellipsis(void)
{
	return text_locale_is_utf8() ? "…" : ".";
}

/* Write UTF-8 s (already narrowed) at y, x in the locale's charset. */
static void
put(int y, int x, const char *s)
{
	char *bytes;

	if (text_locale_is_utf8()) {
		mvaddstr(y, x, s);
		return;
	}
	bytes = text_to_locale(s, -1);
	mvaddstr(y, x, bytes);
	g_free(bytes);
}

void
draw_fill(int y, int x, int w, attr_t attr)
{
	if (w <= 0)
		return;
	attrset(attr);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void
draw_text(int y, int x, int w, const char *s, attr_t attr)
{
	char *safe, *padded;

	if (w <= 0)
		return;
	safe = shown(s);
	padded = text_pad(safe, -1, (size_t)w, ellipsis());
	attrset(attr);
	put(y, x, padded);
	attrset(A_NORMAL);
	g_free(padded);
	g_free(safe);
}

int
draw_text_at(int y, int x, int w, const char *s, attr_t attr)
{
	char *safe, *cut;
	int used;

	if (w <= 0)
		return 0;
	safe = shown(s);
	cut = text_truncate(safe, -1, (size_t)w, ellipsis());
	used = (int)text_width(cut, -1);
	attrset(attr);
	put(y, x, cut);
	attrset(A_NORMAL);
	g_free(cut);
	g_free(safe);
	return used;
}

void
draw_text_right(int y, int x, int w, const char *s, attr_t attr)
{
	char *safe, *cut;
	int used;

	if (w <= 0)
		return;
	safe = shown(s);
	cut = text_truncate(safe, -1, (size_t)w, ellipsis());
	used = (int)text_width(cut, -1);
	attrset(attr);
	put(y, x + w - used, cut);
	attrset(A_NORMAL);
	g_free(cut);
	g_free(safe);
}

/* A vertical or horizontal line of the interface's own: Unicode box
 * drawing in a UTF-8 locale, ASCII elsewhere. Not the terminal's alternate
 * character set: whether ncurses uses it in a UTF-8 locale depends on the
 * terminfo entry, and terminals and multiplexers that get it wrong show
 * `x` and `q` (issue 18). */
static void
line_char(cchar_t *c, wchar_t wc)
{
	wchar_t s[2] = { wc, L'\0' };

	setcchar(c, s, A_NORMAL, 0, NULL);
}

void
draw_vline(int y, int x, int h)
{
	cchar_t c;

	if (!text_locale_is_utf8()) {
		mvvline(y, x, '|', h);
		return;
	}
	line_char(&c, 0x2502);
	mvvline_set(y, x, &c, h);
}

void
draw_hline(int y, int x, int w)
{
	cchar_t c;

	if (!text_locale_is_utf8()) {
		mvhline(y, x, '-', w);
		return;
	}
	line_char(&c, 0x2500);
	mvhline_set(y, x, &c, w);
}

char *
draw_count(guint64 n)
{
	const struct lconv *lc = localeconv();
	/* in the locale's charset: UTF-8 for the text functions */
	char *sep = lc->thousands_sep != NULL && *lc->thousands_sep != '\0' ?
			    g_locale_to_utf8(lc->thousands_sep, -1, NULL, NULL, NULL) :
			    NULL;
	char digits[32];
	GString *out = g_string_new(NULL);
	size_t len;

	g_snprintf(digits, sizeof(digits), "%" G_GUINT64_FORMAT, n);
	len = strlen(digits);
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			g_string_append(out, sep != NULL ? sep : ",");
		g_string_append_c(out, digits[i]);
	}
	g_free(sep);
	return g_string_free(out, FALSE);
}

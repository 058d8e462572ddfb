/* tern — ui/tui/draw: the one way text reaches the screen.
 *
 * Every string passes text_sanitize() here, so nothing a server sent can
 * reach the terminal as a control sequence, and is laid out by display
 * width (text_pad/text_truncate never split a character). */
#include "config.h"
#include "core/common.h"

#include <locale.h>
#include <string.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

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
	safe = text_sanitize(s, -1, TEXT_SANITIZE_ONE_LINE);
	padded = text_pad(safe, -1, (size_t)w, "…");
	attrset(attr);
	mvaddstr(y, x, padded);
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
	safe = text_sanitize(s, -1, TEXT_SANITIZE_ONE_LINE);
	cut = text_truncate(safe, -1, (size_t)w, "…");
	used = (int)text_width(cut, -1);
	attrset(attr);
	mvaddstr(y, x, cut);
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
	safe = text_sanitize(s, -1, TEXT_SANITIZE_ONE_LINE);
	cut = text_truncate(safe, -1, (size_t)w, "…");
	used = (int)text_width(cut, -1);
	attrset(attr);
	mvaddstr(y, x + w - used, cut);
	attrset(A_NORMAL);
	g_free(cut);
	g_free(safe);
}

char *
draw_count(guint64 n)
{
	const struct lconv *lc = localeconv();
	const char *sep = lc->thousands_sep != NULL && *lc->thousands_sep != '\0' ?
				  lc->thousands_sep : ",";
	char digits[32];
	GString *out = g_string_new(NULL);
	size_t len;

	g_snprintf(digits, sizeof(digits), "%" G_GUINT64_FORMAT, n);
	len = strlen(digits);
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			g_string_append(out, sep);
		g_string_append_c(out, digits[i]);
	}
	return g_string_free(out, FALSE);
}

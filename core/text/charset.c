/* tern — core/text/charset: text for a terminal whose locale is not UTF-8.
 *
 * Everything inside tern is UTF-8. A host with no locale configured runs in
 * C/POSIX (ASCII), older ones in ISO-8859-1 or KOI8-R; there a UTF-8 byte
 * sequence reaches the terminal as meta notation (`~@`) and eats the columns
 * of its neighbours. So what is drawn is first narrowed to what the locale's
 * charset holds, still in UTF-8 so that widths are measured on what will
 * actually be drawn (text_for_locale), and converted only at the very end
 * (text_to_locale). A character the charset lacks becomes an ASCII look-alike
 * for the interface's own glyphs (box drawing, arrows, dashes), else iconv's
 * transliteration, else `?`; a zero-width one (a combining mark) is dropped. */
#include "config.h"
#include "core/common.h"

#include <langinfo.h>
#include <string.h>

#include "core/text/text.h"

/* Characters looked up so far: a map, cleared past this size (text from the
 * network has no bound on how many distinct characters it uses). */
#define CHARSET_CACHE_MAX 4096

static struct {
	bool init;
	bool utf8;
	char *charset;	  /* the locale's, as nl_langinfo(CODESET) names it */
	GIConv exact;	  /* UTF-8 -> charset */
	GIConv translit;  /* UTF-8 -> charset//TRANSLIT, or (GIConv)-1 */
	GIConv back;	  /* charset -> UTF-8 */
	GHashTable *seen; /* gunichar -> UTF-8 replacement (maybe "") */
} cs;

/* ASCII look-alikes for the glyphs the interface draws itself. */
static const struct {
	gunichar c;
	const char *ascii;
} lookalikes[] = {
    {0x2500, "-"},  {0x2502, "|"},   {0x250C, "+"},  {0x2510, "+"},  {0x2514, "`"},
    {0x2518, "+"},  {0x251C, "|"},   {0x2524, "|"},  {0x252C, "+"},  {0x2534, "+"},
    {0x253C, "+"},  {0x2026, "..."}, {0x2013, "-"},  {0x2014, "--"}, {0x2192, "->"},
    {0x2190, "<-"}, {0x25B8, ">"},   {0x25BE, "v"},  {0x2022, "*"},  {0x2018, "'"},
    {0x2019, "'"},  {0x201C, "\""},  {0x201D, "\""}, {0x00A0, " "},  {0xFFFD, "?"},
};

static void
charset_init(void)
{
	const char *name;

	if (cs.init)
		return;
	cs.init = true;
	name = nl_langinfo(CODESET);
	cs.charset = g_strdup(name != NULL && *name != '\0' ? name : "ANSI_X3.4-1968");
	cs.utf8 = g_ascii_strcasecmp(cs.charset, "UTF-8") == 0 ||
		  g_ascii_strcasecmp(cs.charset, "utf8") == 0;
	if (cs.utf8)
		return;
	cs.exact = g_iconv_open(cs.charset, "UTF-8");
	{
		char *t = g_strconcat(cs.charset, "//TRANSLIT", NULL);

		cs.translit = g_iconv_open(t, "UTF-8");
		g_free(t);
	}
	cs.back = g_iconv_open("UTF-8", cs.charset);
	cs.seen = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (cs.exact == (GIConv)-1 || cs.back == (GIConv)-1) {
		/* iconv does not know it: ASCII is in every charset we may meet */
		if (cs.exact != (GIConv)-1)
			g_iconv_close(cs.exact);
		cs.exact = (GIConv)-1;
	}
}

bool
text_locale_is_utf8(void)
{
	charset_init();
	return cs.utf8;
}

const char *
text_locale_charset(void)
{
	charset_init();
	return cs.charset;
}

/* One character through conv; the result in the locale's charset, or NULL. */
static char *
convert_one(GIConv conv, const char *utf8, gsize n, gsize *out_len)
{
	char out[32];
	gchar *in = (gchar *)utf8;
	gchar *op = out;
	gsize inleft = n, outleft = sizeof(out);

	if (conv == (GIConv)-1)
		return NULL;
	g_iconv(conv, NULL, NULL, NULL, NULL);
	if (g_iconv(conv, &in, &inleft, &op, &outleft) == (gsize)-1 || inleft != 0)
		return NULL;
	g_iconv(conv, NULL, NULL, &op, &outleft); /* a stateful charset's shift back */
	*out_len = sizeof(out) - outleft;
	return g_memdup2(out, *out_len);
}

/* The locale bytes back to UTF-8 (what the width functions measure). */
static char *
back_to_utf8(char *bytes, gsize n)
{
	char *u = cs.back != (GIConv)-1
		      ? g_convert_with_iconv(bytes, (gssize)n, cs.back, NULL, NULL, NULL)
		      : NULL;

	g_free(bytes);
	/* a transliteration iconv marks as failed comes back as '?' */
	return u != NULL && g_utf8_validate(u, -1, NULL) ? u : (g_free(u), g_strdup("?"));
}

/* What c becomes in this locale, in UTF-8. Transfer full. */
static char *
replacement(gunichar c)
{
	char utf8[8];
	gsize n = (gsize)g_unichar_to_utf8(c, utf8), len = 0;
	char *bytes;

	if (cs.exact != (GIConv)-1 && (bytes = convert_one(cs.exact, utf8, n, &len)) != NULL)
		return back_to_utf8(bytes, len);
	for (size_t i = 0; i < TERN_ARRAY_LEN(lookalikes); i++)
		if (lookalikes[i].c == c)
			return g_strdup(lookalikes[i].ascii);
	if (text_unichar_width(c) == 0)
		return g_strdup("");
	if (cs.exact != (GIConv)-1 && (bytes = convert_one(cs.translit, utf8, n, &len)) != NULL)
		return back_to_utf8(bytes, len);
	return g_strdup("?");
}

static const char *
lookup(gunichar c)
{
	char *r = g_hash_table_lookup(cs.seen, GUINT_TO_POINTER(c));

	if (r != NULL)
		return r;
	if (g_hash_table_size(cs.seen) >= CHARSET_CACHE_MAX)
		g_hash_table_remove_all(cs.seen);
	r = replacement(c);
	g_hash_table_insert(cs.seen, GUINT_TO_POINTER(c), r);
	return r;
}

char *
text_for_locale(const char *s, gssize len)
{
	char *valid = text_make_valid(s, len);
	GString *out;

	charset_init();
	if (cs.utf8)
		return valid;
	out = g_string_sized_new(strlen(valid));
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x80)
			g_string_append_c(out, (char)c);
		else
			g_string_append(out, lookup(c));
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

char *
text_to_locale(const char *s, gssize len)
{
	char *narrow, *out;

	charset_init();
	if (cs.utf8)
		return text_make_valid(s, len);
	narrow = text_for_locale(s, len);
	out = cs.exact != (GIConv)-1 ? g_convert_with_iconv(narrow, -1, cs.exact, NULL, NULL, NULL)
				     : NULL;
	if (out == NULL) { /* nothing but ASCII can be left: keep that */
		for (char *p = narrow; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		return narrow;
	}
	g_free(narrow);
	return out;
}

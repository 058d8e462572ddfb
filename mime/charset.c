/* tern — mime/: text of any charset to UTF-8, never failing. */
#include "config.h"
#include "core/common.h"

#include <iconv.h>
#include <string.h>

#include "core/text/text.h"
#include "mime/mime-private.h"

/* Longest charset label we look at ("ISO-8859-15", "windows-1252", ...). */
#define CHARSET_MAX_LABEL 64

static bool
charset_is_utf8(const char *name)
{
	return g_ascii_strcasecmp(name, "utf-8") == 0 || g_ascii_strcasecmp(name, "utf8") == 0;
}

/* Converters to UTF-8 by charset name, opened once: opening one per header
 * loaded and unloaded the gconv module each time (it showed in profiles of
 * `tern list`). Bounded: at most CHARSET_MAX_CONVERTERS names are kept (a
 * hostile folder may name thousands of charsets); beyond that, converters
 * are opened and closed per call. Two threads decode headers (the
 * command line's cache writer, core/store/writer.c, decodes From and
 * Subject while the reading thread may decode too), and a converter has
 * state: converters_lock covers the table and every use of a converter
 * in it. */
#define CHARSET_MAX_CONVERTERS 32

static GHashTable *converters; /* name -> iconv_t */
static GPtrArray *spare;       /* converters opened past the cap, closed later */
static GMutex converters_lock;

static iconv_t
converter_for(const char *name)
{
	iconv_t cd;

	if (converters == NULL)
		converters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (g_hash_table_contains(converters, name))
		return (iconv_t)g_hash_table_lookup(converters, name);
	cd = iconv_open("UTF-8", name);
	if (g_hash_table_size(converters) < CHARSET_MAX_CONVERTERS) {
		g_hash_table_insert(converters, g_strdup(name), (gpointer)cd);
	} else if (cd != (iconv_t)-1) {
		if (spare == NULL)
			spare = g_ptr_array_new();
		if (spare->len >= CHARSET_MAX_CONVERTERS) {
			for (guint i = 0; i < spare->len; i++)
				iconv_close((iconv_t)spare->pdata[i]);
			g_ptr_array_set_size(spare, 0);
		}
		g_ptr_array_add(spare, (gpointer)cd);
	}
	return cd;
}

void
mime_charset_cleanup(void)
{
	GHashTableIter it;
	gpointer cd;

	g_mutex_lock(&converters_lock);
	if (converters != NULL) {
		g_hash_table_iter_init(&it, converters);
		while (g_hash_table_iter_next(&it, NULL, &cd))
			if ((iconv_t)cd != (iconv_t)-1)
				iconv_close((iconv_t)cd);
		g_clear_pointer(&converters, g_hash_table_unref);
	}
	if (spare != NULL) {
		for (guint i = 0; i < spare->len; i++)
			iconv_close((iconv_t)spare->pdata[i]);
		g_clear_pointer(&spare, g_ptr_array_unref);
	}
	g_mutex_unlock(&converters_lock);
}

/* NULL when iconv does not know name or the bytes are not valid in it. */
static char *
convert_iconv(const char *name, const char *bytes, size_t len, size_t *len_r)
{
	iconv_t cd;
	gsize written = 0;
	char *out = NULL;

	g_mutex_lock(&converters_lock);
	cd = converter_for(name);
	if (cd != (iconv_t)-1) {
		iconv(cd, NULL, NULL, NULL, NULL); /* reset any state left by an error */
		out = g_convert_with_iconv(bytes, (gssize)len, (GIConv)cd, NULL, &written, NULL);
	}
	g_mutex_unlock(&converters_lock);
	if (out != NULL)
		*len_r = written;
	return out;
}

/* Converts with iconv (the label, else its alias); NULL when the charset is
 * unknown or the bytes are not valid in it (the caller falls back). */
static char *
convert_strict(const char *charset, const char *bytes, size_t len, size_t *len_r)
{
	char label[CHARSET_MAX_LABEL + 1];
	const char *name, *alias;
	char *star, *out;

	if (charset == NULL || *charset == '\0' || strlen(charset) > CHARSET_MAX_LABEL)
		return NULL;
	g_strlcpy(label, charset, sizeof label);
	if ((star = strchr(label, '*')) != NULL) /* RFC 2231 language suffix */
		*star = '\0';
	g_strstrip(label);
	if (*label == '\0')
		return NULL;
	name = g_mime_charset_iconv_name(label);
	if (charset_is_utf8(name) || charset_is_utf8(label)) {
		if (!g_utf8_validate_len(bytes, len, NULL))
			return NULL;
		*len_r = len;
		return g_strndup(bytes, len);
	}
	if ((out = convert_iconv(name, bytes, len, len_r)) != NULL)
		return out;
	/* a label iconv does not know, or a WHATWG superset of what it knows */
	alias = mime_charset_alias(label);
	if (alias != NULL && g_ascii_strcasecmp(alias, name) != 0)
		return convert_iconv(alias, bytes, len, len_r);
	return NULL;
}

/* Every byte as the code point of the same value: never fails. */
static char *
convert_latin1(const char *bytes, size_t len, size_t *len_r)
{
	GString *out = g_string_sized_new(len + len / 4 + 1);

	for (size_t i = 0; i < len; i++)
		g_string_append_unichar(out, (guchar)bytes[i]);
	*len_r = out->len;
	return g_string_free(out, FALSE);
}

/* Declared UTF-8 that is mostly valid keeps its valid characters (U+FFFD for
 * the bad bytes) rather than turning into mojibake in the fallback charset. */
static bool
mostly_utf8(const char *bytes, size_t len)
{
	size_t good = 0, bad = 0;
	const char *p = bytes, *end = bytes + len;

	while (p < end) {
		const char *stop;

		if (g_utf8_validate_len(p, (gsize)(end - p), &stop))
			break;
		for (const char *q = p; q < stop; q++)
			good += ((guchar)*q >= 0xC0);
		bad++;
		p = stop + 1;
	}
	for (; p < end; p++)
		good += ((guchar)*p >= 0xC0);
	return good > bad;
}

/* Like text_make_valid(), but NUL bytes are kept (the length says where the
 * text ends) and each bad byte becomes one U+FFFD. */
static char *
make_valid_len(const char *bytes, size_t len, size_t *len_r)
{
	GString *out = g_string_sized_new(len + 1);
	const char *p = bytes, *end = bytes + len;

	while (p < end) {
		const char *stop;

		if (g_utf8_validate_len(p, (gsize)(end - p), &stop)) {
			g_string_append_len(out, p, end - p);
			break;
		}
		g_string_append_len(out, p, stop - p);
		if (*stop == '\0')
			g_string_append_c(out, '\0');
		else
			g_string_append(out, "\xEF\xBF\xBD");
		p = stop + 1;
	}
	*len_r = out->len;
	return g_string_free(out, FALSE);
}

char *
mime_charset_to_utf8(const char *charset, const char *bytes, size_t len, size_t *len_r)
{
	size_t dummy, n = 0;
	char *out;

	if (len_r == NULL)
		len_r = &dummy;
	if (bytes == NULL)
		len = 0, bytes = "";
	if ((out = mime_unicode_to_utf8(charset, bytes, len, &n)) != NULL)
		goto out;
	if ((out = convert_strict(charset, bytes, len, &n)) != NULL)
		goto out;
	if (g_utf8_validate_len(bytes, len, NULL)) {
		out = g_strndup(bytes, len);
		n = len;
		goto out;
	}
	if (charset != NULL && charset_is_utf8(charset) && mostly_utf8(bytes, len)) {
		out = make_valid_len(bytes, len, &n);
		goto out;
	}
	if ((out = convert_strict(mime_fallback_charset(), bytes, len, &n)) != NULL)
		goto out;
	out = convert_latin1(bytes, len, &n);
out:
	*len_r = n;
	return out;
}

void
mime_charset_append_utf8(GString *out, const char *charset, const char *bytes, size_t len)
{
	size_t n;
	char *s;

	/* What mime_charset_to_utf8() would give, without its copy, in the
	 * common case: named UTF-8, valid (so no NUL: nothing that looks
	 * like UTF-16) and no byte order mark to drop. */
	if (charset != NULL && charset_is_utf8(charset) &&
	    !(len >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0) &&
	    g_utf8_validate_len(bytes, len, NULL)) {
		g_string_append_len(out, bytes, (gssize)len);
		return;
	}
	s = mime_charset_to_utf8(charset, bytes, len, &n);
	g_string_append_len(out, s, (gssize)n);
	g_free(s);
}

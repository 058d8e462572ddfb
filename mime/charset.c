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

/* Converts with iconv; NULL when the charset is unknown or the bytes are not
 * valid in it (the caller falls back). */
static char *
convert_strict(const char *charset, const char *bytes, size_t len, size_t *len_r)
{
	char label[CHARSET_MAX_LABEL + 1];
	const char *name;
	char *star, *out;
	gsize written = 0;
	iconv_t cd;

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
	/* GMime keeps converters in a cache: opening one per header would
	 * load and unload the gconv module every time (it showed in profiles). */
	cd = g_mime_iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return NULL;
	iconv(cd, NULL, NULL, NULL, NULL); /* reset any state left by an error */
	out = g_convert_with_iconv(bytes, (gssize)len, (GIConv)cd, NULL, &written, NULL);
	g_mime_iconv_close(cd);
	if (out == NULL)
		return NULL;
	*len_r = written;
	return out;
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

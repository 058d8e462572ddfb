/* tern — mime/: RFC 2047 header decoding, lenient and linear.
 *
 * GMime's decoder drops the bytes of an encoded-word whose charset it does not
 * know; this one falls back (UTF-8, then the fallback charset) so nothing is
 * lost. Encoded-words are found anywhere (inside quotes and words too, as real
 * mailers write them), whitespace between two encoded-words is dropped, and
 * the decoded bytes of adjacent words in the same charset are converted
 * together, so a multi-byte character split across two words survives. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "mime/mime-private.h"

#define RFC2047_MAX_CHARSET 64

struct encoded_word {
	const char *charset; /* not NUL-terminated */
	size_t charset_len;
	char encoding;       /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	size_t end;          /* offset just past "?=" */
};

/* The run of adjacent encoded-words being collected. */
struct run {
	char charset[RFC2047_MAX_CHARSET + 1];
	GByteArray *bytes;
	int b64_state;
	unsigned b64_save;
	char encoding;
	bool active;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses an encoded-word at s[i] ("=?"). Returns true when one is there. When
 * not, *skip_r says how far the caller may safely jump: past the "=?" when the
 * charset or encoding is malformed, or to the next whitespace when no "?="
 * ends the text before it (no word starting in between can end either). */
static bool
parse_word(const char *s, size_t n, size_t i, struct encoded_word *w, size_t *skip_r)
{
	size_t j = i + 2, k;

	*skip_r = i + 2;
	while (j < n && s[j] != '?' && !is_wsp(s[j]) && (guchar)s[j] > 0x20 &&
	       j - (i + 2) <= RFC2047_MAX_CHARSET)
		j++;
	if (j >= n || s[j] != '?' || j == i + 2 || j - (i + 2) > RFC2047_MAX_CHARSET)
		return false;
	if (j + 2 >= n || s[j + 2] != '?' || strchr("BbQq", s[j + 1]) == NULL || s[j + 1] == '\0')
		return false;
	w->charset = s + i + 2;
	w->charset_len = j - (i + 2);
	w->encoding = g_ascii_toupper(s[j + 1]);
	w->text = s + j + 3;
	for (k = j + 3; k < n && !is_wsp(s[k]); k++) {
		if (s[k] == '?' && k + 1 < n && s[k + 1] == '=') {
			w->text_len = k - (j + 3);
			w->end = k + 2;
			return true;
		}
	}
	*skip_r = k;
	return false;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = g_ascii_toupper(c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
decode_q(GByteArray *out, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		guint8 b = (guint8)t[i];
		int hi, lo;

		if (b == '_') {
			b = ' ';
		} else if (b == '=' && i + 2 < n && (hi = hex_value(t[i + 1])) >= 0 &&
			   (lo = hex_value(t[i + 2])) >= 0) {
			b = (guint8)(hi << 4 | lo);
			i += 2;
		}
		g_byte_array_append(out, &b, 1);
	}
}

static void
decode_b(struct run *r, const char *t, size_t n)
{
	guint oldlen = r->bytes->len;
	gsize got;

	g_byte_array_set_size(r->bytes, oldlen + (guint)(n / 4 * 3 + 3));
	got = g_base64_decode_step(t, n, r->bytes->data + oldlen, &r->b64_state, &r->b64_save);
	g_byte_array_set_size(r->bytes, oldlen + (guint)got);
}

static void
run_flush(struct run *r, GString *out)
{
	if (!r->active)
		return;
	mime_charset_append_utf8(out, r->charset, (const char *)r->bytes->data, r->bytes->len);
	g_byte_array_set_size(r->bytes, 0);
	r->active = false;
}

static void
run_add(struct run *r, GString *out, const struct encoded_word *w)
{
	bool same = r->active && strlen(r->charset) == w->charset_len &&
		    g_ascii_strncasecmp(r->charset, w->charset, w->charset_len) == 0;

	if (!same) {
		run_flush(r, out);
		memcpy(r->charset, w->charset, w->charset_len);
		r->charset[w->charset_len] = '\0';
		r->active = true;
	}
	if (!same || r->encoding != w->encoding) {
		r->b64_state = 0;
		r->b64_save = 0;
		r->encoding = w->encoding;
	}
	if (w->encoding == 'B')
		decode_b(r, w->text, w->text_len);
	else
		decode_q(r->bytes, w->text, w->text_len);
}

static bool
is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((guchar)s[i] >= 0x80)
			return false;
	return true;
}

/* Plain (not encoded) text: UTF-8 when valid, else the fallback charset. */
static void
append_plain(GString *out, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (is_ascii(s, n)) { /* nearly always: nothing to convert */
		g_string_append_len(out, s, (gssize)n);
		return;
	}
	mime_charset_append_utf8(out, NULL, s, n);
}

static bool
all_wsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_wsp(s[i]))
			return false;
	return true;
}

/* Unfolds: drops CR and LF (a fold keeps the whitespace after it). */
static GString *
unfold(const char *raw, size_t n)
{
	GString *u = g_string_sized_new(n + 1);

	for (size_t i = 0; i < n; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			g_string_append_c(u, raw[i]);
	return u;
}

char *
mime_header_decode(const char *raw)
{
	GString *u = NULL, *out;
	struct run r = { .active = false };
	size_t n, i = 0, plain = 0;
	bool folded;
	const char *s;

	if (raw == NULL)
		return g_strdup("");
	n = strnlen(raw, MIME_MAX_HEADER_LEN);
	folded = memchr(raw, '\r', n) != NULL || memchr(raw, '\n', n) != NULL;
	/* Most headers hold no encoded-word and no fold: nothing to do. */
	if (!folded && g_strstr_len(raw, (gssize)n, "=?") == NULL &&
	    g_utf8_validate_len(raw, n, NULL))
		return g_strndup(raw, n);
	if (folded) {
		u = unfold(raw, n);
		n = u->len;
	}
	s = u != NULL ? u->str : raw;
	out = g_string_sized_new(n + 1);
	r.bytes = g_byte_array_sized_new((guint)n); /* what n bytes decode to, at most */
	while (i + 1 < n) {
		struct encoded_word w;
		size_t skip;

		if (s[i] != '=' || s[i + 1] != '?') {
			i++;
			continue;
		}
		if (!parse_word(s, n, i, &w, &skip)) {
			i = skip;
			continue;
		}
		if (!(r.active && all_wsp(s + plain, i - plain))) {
			run_flush(&r, out);
			append_plain(out, s + plain, i - plain);
		}
		run_add(&r, out, &w);
		i = plain = w.end;
	}
	run_flush(&r, out);
	append_plain(out, s + plain, n - plain);
	g_byte_array_unref(r.bytes);
	if (u != NULL)
		g_string_free(u, TRUE);
	return g_string_free(out, FALSE);
}

/* tern — core/text: the display sanitiser, UTF-8 width helpers, JSON strings. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"

#define TEXT_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */
#define TEXT_BAD ((gunichar)-1)
#define TEXT_TABSTOP 8

static text_header_decoder header_decoder;
static text_body_extractor body_extractor;
static text_parts_extractor parts_extractor;

/* Decodes the character at p (n > 0 bytes available). Returns its code point
 * and its length in *used_r, or TEXT_BAD with the length of the maximal
 * invalid subpart (at least 1) so the caller emits one U+FFFD for it. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
static gunichar
utf8_next(const guchar *p, size_t n, size_t *used_r)
{
	guchar c = p[0];
	size_t need;
	gunichar u;
	guchar lo = 0x80, hi = 0xBF;

	if (c < 0x80) {
		*used_r = 1;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		u = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		u = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		u = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*used_r = 1;
		return TEXT_BAD;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*used_r = i;
			return TEXT_BAD;
		}
		u = (u << 6) | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*used_r = need + 1;
	return u;
}

static size_t
text_len(const char *s, gssize len)
{
	if (s == NULL)
		return 0;
	return len < 0 ? strlen(s) : (size_t)len;
}

static bool
is_bidi_or_separator(gunichar c)
{
	return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

bool
text_unichar_is_unsafe(gunichar c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || is_bidi_or_separator(c);
}

static void
append_escape(GString *out, gunichar c)
{
	if (c < 0x20) {
		g_string_append_c(out, '^');
		g_string_append_c(out, (char)(c + 0x40));
	} else if (c == 0x7F) {
		g_string_append(out, "^?");
	} else {
		g_string_append_printf(out, "<U+%04X>", (unsigned)c);
	}
}

/* Handles one ASCII control byte at p[i]; returns the number of bytes used. */
static size_t
sanitize_control(GString *out, const guchar *p, size_t i, size_t n, unsigned flags)
{
	bool multi = (flags & TEXT_SANITIZE_MULTILINE) != 0;
	guchar c = p[i];

	if (c == '\t' || c == '\n') {
		g_string_append_c(out, multi ? (char)c : ' ');
		return 1;
	}
	if (c == '\r' && i + 1 < n && p[i + 1] == '\n') {
		g_string_append_c(out, multi ? '\n' : ' ');
		return 2;
	}
	append_escape(out, c);
	return 1;
}

void
text_sanitize_append(GString *out, const char *s, gssize len, unsigned flags)
{
	const guchar *p = (const guchar *)s;
	size_t n = text_len(s, len);
	size_t i = 0, run = 0; /* p[run..i) is safe text not yet appended */

	while (i < n) {
		guchar c = p[i];
		size_t used;
		gunichar u;

		if (c >= 0x20 && c < 0x7F) {
			i++;
			continue;
		}
		if (c < 0x80) {
			g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
			i += (c == 0x7F) ? (append_escape(out, c), 1)
					 : sanitize_control(out, p, i, n, flags);
			run = i;
			continue;
		}
		u = utf8_next(p + i, n - i, &used);
		if (u != TEXT_BAD && !text_unichar_is_unsafe(u)) {
			i += used;
			continue;
		}
		g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
		if (u == TEXT_BAD)
			g_string_append(out, TEXT_REPLACEMENT);
		else
			append_escape(out, u);
		i += used;
		run = i;
	}
	g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
}

char *
text_sanitize(const char *s, gssize len, unsigned flags)
{
	size_t n = text_len(s, len);
	GString *out = g_string_sized_new(n + 1);

	text_sanitize_append(out, s, (gssize)n, flags);
	return g_string_free(out, FALSE);
}

/* The offset from i on of the first sequence text_make_valid() replaces
 * (*used_r its length), or n when there is none. */
static size_t
next_bad(const guchar *p, size_t n, size_t i, size_t *used_r)
{
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (utf8_next(p + i, n - i, used_r) == TEXT_BAD)
			return i;
		i += *used_r;
	}
	return n;
}

char *
text_make_valid(const char *s, gssize len)
{
	const guchar *p = (const guchar *)s;
	size_t n = text_len(s, len);
	GString *out = g_string_sized_new(n + 1);
	size_t i, used, run = 0;

	while ((i = next_bad(p, n, run, &used)) < n) {
		g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
		g_string_append(out, TEXT_REPLACEMENT);
		run = i + used;
	}
	g_string_append_len(out, (const char *)p + run, (gssize)(n - run));
	return g_string_free(out, FALSE);
}

/* ---- JSON ---- */

/* Whether the eight bytes at p are all printable ASCII other than '"' and
 * '\\' (what JSON keeps as it is), tested together: a big folder's JSON
 * is mostly such runs (a preview, a subject), and one byte at a time was
 * its largest cost. */
static bool
json_plain8(const guchar *p)
{
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
	const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
	guint64 x, quote, slash, below, above;

	memcpy(&x, p, 8);
	quote = x ^ (ones * '"');
	slash = x ^ (ones * '\\');
	below = (x - ones * 0x20) & ~x;         /* a byte under 0x20 */
	above = (x + ones * (0x7f - 0x7e)) | x; /* a byte over 0x7e */
	return (((quote - ones) & ~quote) | ((slash - ones) & ~slash) | below | above) & high
	       ? false
	       : true;
}

void
text_json_escape(GString *out, const char *s, size_t len)
{
	const guchar *p = (const guchar *)s;
	size_t n, i = 0, run = 0;

	if (s == NULL) {
		g_string_append(out, "null");
		return;
	}
	n = (len == (size_t)-1) ? strlen(s) : len;
	g_string_append_c(out, '"');
	while (i < n) {
		guchar c;
		size_t used = 1;
		gunichar u;

		while (n - i >= 8 && json_plain8(p + i))
			i += 8;
		if (i >= n)
			break;
		c = p[i];
		u = c;

		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			u = utf8_next(p + i, n - i, &used);
			if (u != TEXT_BAD && !text_unichar_is_unsafe(u)) {
				i += used;
				continue;
			}
		}
		g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
		if (u == TEXT_BAD)
			g_string_append(out, TEXT_REPLACEMENT);
		else if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else
			g_string_append_printf(out, "\\u%04x", (unsigned)u);
		i += used;
		run = i;
	}
	g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
	g_string_append_c(out, '"');
}

/* ---- Width ---- */

unsigned
text_unichar_width(gunichar c)
{
	if (c < 0x20 || (c >= 0x7F && c < 0xA0))
		return 0;
	if (c < 0x300)
		return 1;
	if (g_unichar_iszerowidth(c))
		return 0;
	if (g_unichar_iswide(c))
		return 2;
	return 1;
}

/* Next character of s for the width functions: invalid input counts as U+FFFD. */
static gunichar
width_next(const guchar *p, size_t n, size_t *used_r)
{
	gunichar u = utf8_next(p, n, used_r);

	return u == TEXT_BAD ? 0xFFFD : u;
}

static void
append_unichar_or_bytes(GString *out, const guchar *p, size_t used, gunichar u, bool valid)
{
	if (valid)
		g_string_append_len(out, (const char *)p, (gssize)used);
	else
		g_string_append_unichar(out, u);
}

size_t
text_width(const char *s, gssize len)
{
	const guchar *p = (const guchar *)s;
	size_t n = text_len(s, len), i = 0, w = 0;

	while (i < n) {
		size_t used;

		if (p[i] >= 0x20 && p[i] < 0x7F) {
			w++;
			i++;
			continue;
		}
		w += text_unichar_width(width_next(p + i, n - i, &used));
		i += used;
	}
	return w;
}

/* Appends to out the longest prefix of s at most cols wide; returns the width
 * appended and sets *end_r to the number of bytes of s consumed. */
static size_t
take_columns(GString *out, const guchar *p, size_t n, size_t cols, size_t *end_r)
{
	size_t i = 0, w = 0;

	while (i < n) {
		size_t used;
		gunichar u = utf8_next(p + i, n - i, &used);
		bool valid = u != TEXT_BAD;
		unsigned cw;

		if (!valid)
			u = 0xFFFD;
		cw = text_unichar_width(u);
		if (w + cw > cols)
			break;
		append_unichar_or_bytes(out, p + i, used, u, valid);
		w += cw;
		i += used;
	}
	*end_r = i;
	return w;
}

static size_t
truncate_into(GString *out, const char *s, gssize len, size_t cols, const char *ellipsis)
{
	const guchar *p = (const guchar *)s;
	size_t n = text_len(s, len), end, w, ew;
	gsize mark = out->len;

	w = take_columns(out, p, n, cols, &end);
	if (end >= n || ellipsis == NULL)
		return w;
	ew = text_width(ellipsis, -1);
	if (ew > cols)
		return w; /* no room even for the ellipsis: plain cut */
	g_string_truncate(out, mark);
	w = take_columns(out, p, n, cols - ew, &end);
	g_string_append(out, ellipsis);
	return w + ew;
}

char *
text_truncate(const char *s, gssize len, size_t cols, const char *ellipsis)
{
	GString *out = g_string_new(NULL);

	truncate_into(out, s, len, cols, ellipsis);
	return g_string_free(out, FALSE);
}

char *
text_pad(const char *s, gssize len, size_t cols, const char *ellipsis)
{
	GString *out = g_string_new(NULL);
	size_t w = truncate_into(out, s, len, cols, ellipsis);

	for (; w < cols; w++)
		g_string_append_c(out, ' ');
	return g_string_free(out, FALSE);
}

/* ---- Wrapping ---- */

struct wrap_state {
	GPtrArray *lines;
	GString *cur;    /* the line being built (TABs already expanded) */
	size_t cur_w;    /* its width */
	gsize brk;       /* byte offset in cur just after the last space, 0 = none */
	bool has_word;   /* cur has a non-space character before brk candidates */
	size_t width;    /* width of the line being built */
	size_t first_width, rest_width;
};

static void
wrap_emit(struct wrap_state *st, const char *s, gsize len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	g_ptr_array_add(st->lines, g_strndup(s, len));
	st->width = st->rest_width;
}

static void wrap_add(struct wrap_state *st, const guchar *p, size_t used, gunichar u,
		     bool valid);

/* Breaks cur before a character that would not fit. */
static void
wrap_break(struct wrap_state *st)
{
	gsize rest;

	if (st->brk == 0) {
		wrap_emit(st, st->cur->str, st->cur->len);
		g_string_truncate(st->cur, 0);
		st->cur_w = 0;
		st->has_word = false;
		return;
	}
	wrap_emit(st, st->cur->str, st->brk);
	rest = st->brk;
	while (rest < st->cur->len && st->cur->str[rest] == ' ')
		rest++;
	g_string_erase(st->cur, 0, (gssize)rest);
	st->cur_w = text_width(st->cur->str, (gssize)st->cur->len);
	st->brk = 0;
	st->has_word = st->cur->len > 0;
	if (st->width > 0 && st->cur_w > st->width) {
		/* the continuation width is narrower than the carried-over word:
		 * feed it again (it has no space, so only hard breaks follow) */
		char *word = g_strndup(st->cur->str, st->cur->len);
		const guchar *q = (const guchar *)word;
		size_t n = strlen(word), i = 0;

		g_string_truncate(st->cur, 0);
		st->cur_w = 0;
		st->has_word = false;
		while (i < n) {
			size_t used;
			gunichar u = utf8_next(q + i, n - i, &used);

			wrap_add(st, q + i, used, u, true);
			i += used;
		}
		g_free(word);
	}
}

static void
wrap_add(struct wrap_state *st, const guchar *p, size_t used, gunichar u, bool valid)
{
	unsigned cw = text_unichar_width(u);

	if (st->width > 0 && st->cur_w + cw > st->width && st->cur->len > 0) {
		wrap_break(st);
		if (st->cur_w + cw > st->width && st->cur->len > 0)
			wrap_break(st); /* the carried-over word still leaves no room */
	}
	append_unichar_or_bytes(st->cur, p, used, u, valid);
	st->cur_w += cw;
	if (u != ' ')
		st->has_word = true;
	else if (st->has_word)
		st->brk = st->cur->len; /* never break inside leading indentation */
}

static void
wrap_line(struct wrap_state *st, const guchar *p, size_t n)
{
	size_t i = 0;

	g_string_truncate(st->cur, 0);
	st->cur_w = 0;
	st->brk = 0;
	st->has_word = false;
	st->width = st->first_width;
	while (i < n) {
		size_t used;
		gunichar u = utf8_next(p + i, n - i, &used);
		bool valid = u != TEXT_BAD;

		if (!valid)
			u = 0xFFFD;
		if (u == '\t') {
			size_t spaces = TEXT_TABSTOP - st->cur_w % TEXT_TABSTOP;

			for (size_t k = 0; k < spaces; k++)
				wrap_add(st, (const guchar *)" ", 1, ' ', true);
		} else {
			wrap_add(st, p + i, used, u, valid);
		}
		i += used;
	}
	g_ptr_array_add(st->lines, g_strndup(st->cur->str, st->cur->len));
}

GPtrArray *
text_wrap(const char *s, gssize len, size_t width)
{
	return text_wrap_hanging(s, len, width, width);
}

GPtrArray *
text_wrap_hanging(const char *s, gssize len, size_t width, size_t rest_width)
{
	const guchar *p = (const guchar *)s;
	size_t n = text_len(s, len), start = 0;
	struct wrap_state st = { .first_width = width, .rest_width = rest_width };

	st.lines = g_ptr_array_new_with_free_func(g_free);
	st.cur = g_string_new(NULL);
	while (start < n || st.lines->len == 0) {
		const guchar *nl = start < n ? memchr(p + start, '\n', n - start) : NULL;
		size_t end = nl ? (size_t)(nl - p) : n;

		wrap_line(&st, p + start, end - start);
		if (nl == NULL)
			break;
		start = end + 1;
	}
	g_string_free(st.cur, TRUE);
	return st.lines;
}

/* ---- Body text hook ---- */

void
text_set_body_extractor(text_body_extractor extractor)
{
	body_extractor = extractor;
}

/* Cut s (valid UTF-8) to at most max bytes on a character boundary. */
static void
truncate_utf8(char *s, gsize max)
{
	const char *end;

	if (strlen(s) <= max)
		return;
	/* the prefix is valid up to the character the cut would split */
	g_utf8_validate(s, (gssize)max, &end);
	s[end - s] = '\0';
}

/* What an extractor returned, made safe to index: transfer full of raw
 * (may be NULL); returns NULL when nothing is left. */
static char *
extracted_clean(char *raw, gsize max)
{
	char *valid;

	if (raw == NULL)
		return NULL;
	/* the extractor's text may hold anything: NULs end it here (the index
	 * takes a C string), invalid bytes become U+FFFD */
	valid = text_make_valid(raw, (gssize)strnlen(raw, max));
	g_free(raw);
	truncate_utf8(valid, max);
	if (valid[0] == '\0')
		g_clear_pointer(&valid, g_free);
	return valid;
}

char *
text_extract_body(const void *data, gsize len, gsize max)
{
	if (body_extractor == NULL || data == NULL || len == 0 || max == 0)
		return NULL;
	return extracted_clean(body_extractor(data, len, max), max);
}

void
text_set_parts_extractor(text_parts_extractor extractor)
{
	parts_extractor = extractor;
}

char *
text_extract_parts(GBytes *const *mimes, GBytes *const *bodies, guint n, gsize max)
{
	if (parts_extractor == NULL || n == 0 || max == 0)
		return NULL;
	return extracted_clean(parts_extractor(mimes, bodies, n, max), max);
}

/* ---- Header decoding hook ---- */

void
text_set_header_decoder(text_header_decoder decoder)
{
	header_decoder = decoder;
}

char *
text_decode_header_utf8(const char *raw)
{
	char *decoded, *valid;
	size_t len, used;

	if (raw == NULL)
		return g_strdup("");
	if (header_decoder == NULL || (decoded = header_decoder(raw)) == NULL)
		return text_make_valid(raw, -1);
	len = strlen(decoded);
	if (next_bad((const guchar *)decoded, len, 0, &used) == len)
		return decoded; /* nearly always: no copy */
	valid = text_make_valid(decoded, -1);
	g_free(decoded);
	return valid;
}

/* Longest value text_header_is_plain() answers for (a decoder's own
 * limit is far above it). */
#define TEXT_PLAIN_HEADER_MAX 4096

bool
text_header_is_plain(const char *raw, size_t *len_r)
{
	size_t i;

	if (raw == NULL)
		return false;
	for (i = 0; raw[i] != '\0' && i < TEXT_PLAIN_HEADER_MAX; i++) {
		guchar c = (guchar)raw[i];

		if (c >= 0x80 || c == '\r' || c == '\n' || (c == '=' && raw[i + 1] == '?'))
			return false;
	}
	if (i == TEXT_PLAIN_HEADER_MAX)
		return false;
	*len_r = i;
	return true;
}

char *
text_decode_header(const char *raw)
{
	char *decoded, *clean;

	if (raw == NULL)
		return g_strdup("");
	if (header_decoder == NULL || (decoded = header_decoder(raw)) == NULL)
		return text_sanitize(raw, -1, TEXT_SANITIZE_ONE_LINE);
	clean = text_sanitize(decoded, -1, TEXT_SANITIZE_ONE_LINE);
	g_free(decoded);
	return clean;
}

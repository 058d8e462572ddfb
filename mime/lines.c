/* tern — mime/: UTF-8 text to display lines (quote depth, format=flowed, wrapping). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "mime/mime-private.h"

/* Narrowest text column kept beside a quote prefix when wrapping. */
#define LINES_MIN_TEXT 20

void
mime_line_free(gpointer p)
{
	struct mime_line *line = p;

	g_free(line->text);
	g_free(line);
}

static void
push_line(struct mime_lines *out, char *text, unsigned depth, enum mime_line_kind kind)
{
	struct mime_line *line = g_new(struct mime_line, 1);
	size_t n = strlen(text);

	/* trailing blanks are noise, except in the signature separator "-- " */
	if (strcmp(text, "-- ") != 0) {
		while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
			n--;
		text[n] = '\0';
	}
	line->text = text;
	line->quote_depth = depth;
	line->kind = kind;
	g_ptr_array_add(out->lines, line);
}

/* Quote markers at the start of s: '>' characters, each optionally followed
 * by one space ("> > x" and ">> x" are both depth 2). *prefix_len_r gets the
 * length of the markers, the space after the last one included. */
unsigned
mime_quote_depth(const char *s, size_t len, size_t *prefix_len_r)
{
	unsigned depth = 0;
	size_t i = 0;

	while (i < len && s[i] == '>') {
		depth++;
		i++;
		if (i < len && s[i] == ' ')
			i++;
	}
	if (prefix_len_r != NULL)
		*prefix_len_r = i;
	return depth;
}

/* Width of a hanging indent: leading spaces, then a list bullet ("* ", "- ",
 * "• ", "12. ", "3) ") if there is one. */
static size_t
hanging_indent(const char *s)
{
	size_t i = 0, d = 0;

	while (s[i] == ' ')
		i++;
	if ((s[i] == '*' || s[i] == '-') && s[i + 1] == ' ')
		return i + 2;
	if (strncmp(s + i, "\xe2\x80\xa2 ", 4) == 0) /* • */
		return i + 2;
	while (g_ascii_isdigit(s[i + d]) && d < 3)
		d++;
	if (d > 0 && (s[i + d] == '.' || s[i + d] == ')') && s[i + d + 1] == ' ')
		return i + d + 2;
	return i;
}

/* One logical line: quote prefix (already sanitised, "> > ") and its text
 * (raw UTF-8, sanitised here), wrapped to the width with the prefix and a
 * hanging indent repeated on continuation lines. */
static void
emit_logical(struct mime_lines *out, const char *prefix, unsigned depth, const char *text,
	     size_t len, enum mime_line_kind kind)
{
	char *clean, *joined = NULL;
	size_t pw = text_width(prefix, -1), avail = 0, hang = 0;
	GPtrArray *pieces;
	char *pad;

	if (out->width > 0 && pw > out->width / 2) {
		/* a prefix this wide is not repeated on every continuation line
		 * (that would multiply a hostile line's size): it is wrapped as text */
		size_t plen = strlen(prefix);

		joined = g_malloc(plen + len + 1);
		memcpy(joined, prefix, plen);
		memcpy(joined + plen, text, len);
		len += plen;
		joined[len] = '\0';
		text = joined;
		prefix = "";
		pw = 0;
	}
	clean = text_sanitize(text, (gssize)len, TEXT_SANITIZE_MULTILINE);
	if (out->width > 0) {
		avail = out->width > pw + LINES_MIN_TEXT ? out->width - pw : LINES_MIN_TEXT;
		hang = hanging_indent(clean);
		if (hang > avail / 2)
			hang = 0;
	}
	pieces = text_wrap_hanging(clean, -1, avail, avail - hang);
	pad = g_strnfill(hang, ' ');
	for (guint i = 0; i < pieces->len; i++)
		push_line(out, g_strconcat(prefix, i ? pad : "", pieces->pdata[i], NULL), depth,
			  kind);
	g_free(pad);
	g_ptr_array_unref(pieces);
	g_free(clean);
	g_free(joined);
}

void
mime_lines_add(struct mime_lines *out, const char *text, unsigned depth,
	       enum mime_line_kind kind)
{
	emit_logical(out, "", depth, text, strlen(text), kind);
}

static char *
quote_prefix(unsigned depth)
{
	GString *p = g_string_new(NULL);

	for (unsigned i = 0; i < depth; i++)
		g_string_append(p, "> ");
	return g_string_free(p, FALSE);
}

/* A fixed (not flowed) line: its own quote markers are its prefix. */
static void
add_fixed(struct mime_lines *out, const char *s, size_t n, enum mime_line_kind kind)
{
	size_t plen;
	unsigned depth = mime_quote_depth(s, n, &plen);
	char *prefix = g_strndup(s, plen);

	emit_logical(out, prefix, depth, s + plen, n - plen, kind);
	g_free(prefix);
}

/* RFC 3676 format=flowed: a paragraph being joined. */
struct flowed {
	GString *para;
	unsigned depth;
	bool open; /* the last line was soft (ends in a space): the next may join */
};

static void
flowed_flush(struct mime_lines *out, struct flowed *f, enum mime_line_kind kind)
{
	char *prefix;

	if (f->para == NULL)
		return;
	prefix = quote_prefix(f->depth);
	emit_logical(out, prefix, f->depth, f->para->str, f->para->len, kind);
	g_free(prefix);
	g_string_free(f->para, TRUE);
	f->para = NULL;
	f->open = false;
}

static void
flowed_line(struct mime_lines *out, struct flowed *f, const char *s, size_t n, bool delsp,
	    enum mime_line_kind kind)
{
	unsigned depth = 0;
	bool soft;

	while (depth < n && s[depth] == '>')
		depth++;
	s += depth, n -= depth;
	if (n > 0 && s[0] == ' ') /* space-stuffing */
		s++, n--;
	soft = n > 0 && s[n - 1] == ' ' && !(n == 3 && memcmp(s, "-- ", 3) == 0);
	if (f->para != NULL && (!f->open || f->depth != depth))
		flowed_flush(out, f, kind);
	if (f->para == NULL) {
		f->para = g_string_new(NULL);
		f->depth = depth;
	} else if (delsp && f->para->len > 0 && f->para->str[f->para->len - 1] == ' ') {
		g_string_truncate(f->para, f->para->len - 1);
	}
	g_string_append_len(f->para, s, (gssize)n);
	f->open = soft;
	if (!soft)
		flowed_flush(out, f, kind);
}

void
mime_lines_add_text(struct mime_lines *out, const char *utf8, size_t len, bool flowed,
		    bool delsp, enum mime_line_kind kind)
{
	struct flowed f = { .para = NULL };
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(utf8 + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - utf8) : len;
		size_t n = end - pos;

		if (n > 0 && utf8[end - 1] == '\r')
			n--;
		if (flowed)
			flowed_line(out, &f, utf8 + pos, n, delsp, kind);
		else
			add_fixed(out, utf8 + pos, n, kind);
		pos = end + 1;
	}
	flowed_flush(out, &f, kind);
}

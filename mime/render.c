/* tern — mime/: choose what to show and render a message for `tern show` and the viewer. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "mime/mime-private.h"

/* Widest header value shown, in columns; longer values end in "…". */
#define RENDER_MAX_HEADER_COLS 8192
#define RENDER_ELLIPSIS "\xe2\x80\xa6"
#define LIMITS_NOTICE                                                                   \
	N_("[-- This message exceeds tern's limits (nesting, number of parts or header "   \
	   "size): the rest is not shown --]")

struct render_ctx {
	struct mime_message *msg;
	const struct mime_render_opts *opts;
	struct mime_rendered *r;
	struct mime_lines lines;
	unsigned parts;
	bool cut_noted;
};

void
mime_render_opts_init(struct mime_render_opts *opts)
{
	memset(opts, 0, sizeof *opts);
}

/* ---- Headers ---- */

/* Decoded, sanitised, trimmed and bounded one-line value. Transfer full. */
static char *
display_value(const char *raw)
{
	char *decoded = mime_header_decode(raw);
	char *clean = text_sanitize(decoded, -1, TEXT_SANITIZE_ONE_LINE);

	g_free(decoded);
	g_strstrip(clean);
	if (strlen(clean) > RENDER_MAX_HEADER_COLS) {
		char *cut = text_truncate(clean, -1, RENDER_MAX_HEADER_COLS, RENDER_ELLIPSIS);

		g_free(clean);
		clean = cut;
	}
	return clean;
}

static char *
header_display(GMimeObject *obj, const char *name)
{
	const char *raw = mime_object_raw_header(obj, name);

	return raw ? display_value(raw) : NULL;
}

/* The Date header in local time, or the raw value when unreadable. */
static char *
date_display(GMimeObject *obj)
{
	const char *raw = mime_object_raw_header(obj, "Date");
	GDateTime *dt, *local;
	char *s;

	if (raw == NULL)
		return NULL;
	dt = g_mime_utils_header_decode_date(raw);
	if (dt == NULL)
		return display_value(raw);
	local = g_date_time_to_local(dt);
	s = g_date_time_format(local ? local : dt, "%a, %d %b %Y %H:%M:%S %z");
	if (local != NULL)
		g_date_time_unref(local);
	g_date_time_unref(dt);
	if (s == NULL)
		return display_value(raw);
	return s;
}

static void
header_free(gpointer p)
{
	struct mime_header *h = p;

	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

static void
all_headers(GMimeObject *obj, GPtrArray *out)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int count = list ? g_mime_header_list_get_count(list) : 0;

	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *raw = g_mime_header_get_raw_value(h);
		struct mime_header *mh = g_new(struct mime_header, 1);

		mh->name = text_sanitize(g_mime_header_get_name(h), -1, TEXT_SANITIZE_ONE_LINE);
		mh->value = display_value(raw ? raw : g_mime_header_get_value(h));
		g_ptr_array_add(out, mh);
	}
}

GPtrArray *
mime_message_headers(struct mime_message *msg)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(header_free);
	GMimeHeaderList *list;
	int count;

	if (msg->message == NULL)
		return out;
	list = g_mime_object_get_header_list(GMIME_OBJECT(msg->message));
	count = list ? g_mime_header_list_get_count(list) : 0;
	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *raw = g_mime_header_get_raw_value(h);
		struct mime_header *mh = g_new(struct mime_header, 1);
		GString *unfolded = g_string_new(NULL);
		char *decoded;

		/* unfold: a line break before white space is no part of the value */
		for (const char *s = raw ? raw : g_mime_header_get_value(h); s && *s; s++)
			if (*s != '\r' && *s != '\n')
				g_string_append_c(unfolded, *s);
		decoded = mime_header_decode(unfolded->str);
		mh->name = text_make_valid(g_mime_header_get_name(h), -1);
		mh->value = text_make_valid(g_strstrip(decoded), -1);
		g_free(decoded);
		g_string_free(unfolded, TRUE);
		g_ptr_array_add(out, mh);
	}
	return out;
}

/* ---- Body ---- */

static struct mime_line *
last_line(struct render_ctx *c)
{
	GPtrArray *l = c->lines.lines;

	return l->len ? l->pdata[l->len - 1] : NULL;
}

/* A blank line before the next block unless at the top or after a blank. */
static void
separate(struct render_ctx *c)
{
	struct mime_line *last = last_line(c);

	if (last != NULL && last->text[0] != '\0')
		mime_lines_add(&c->lines, "", 0, MIME_LINE_TEXT);
}

static void
notice(struct render_ctx *c, const char *text)
{
	mime_lines_add(&c->lines, text, 0, MIME_LINE_NOTICE);
}

static void
add_html(struct render_ctx *c, const char *html, size_t len)
{
	GString *text = g_string_new(NULL);
	GPtrArray *links = g_ptr_array_new_with_free_func(g_free);
	struct mime_lines raw = { .lines = c->lines.lines, .width = 0 };

	if (c->opts->html_command != NULL) {
		GError *err = NULL;
		char *ext = mime_html_external(c->opts->html_command, html, len, &err);

		if (ext != NULL) {
			mime_lines_add_text(&c->lines, ext, strlen(ext), false, false,
					    MIME_LINE_TEXT);
			g_free(ext);
			goto out;
		}
		{
			char *s = g_strdup_printf(_("[-- The HTML renderer failed (%s): built-in "
						    "rendering follows --]"),
						  err ? err->message : "?");

			notice(c, s);
			g_free(s);
		}
		g_clear_error(&err);
	}
	mime_html_render_parts(html, len, text, links);
	mime_lines_add_text(&c->lines, text->str, text->len, false, false, MIME_LINE_TEXT);
	if (links->len > 0)
		mime_lines_add(&c->lines, "", 0, MIME_LINE_TEXT);
	for (guint i = 0; i < links->len; i++) {
		char *l = g_strdup_printf("[%u] %s", i + 1, (char *)links->pdata[i]);

		mime_lines_add(&raw, l, 0, MIME_LINE_LINK); /* URLs are never wrapped */
		g_free(l);
	}
out:
	g_ptr_array_unref(links);
	g_string_free(text, TRUE);
}

static bool
is_blank_char(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Leaves out the blank lines at the start and end of a part's text: *start_r
 * gets the offset of the first line with text, *len_r the length from there to
 * the end of the last one. False when the text is all blank. */
static bool
trim_blank_edges(const char *text, size_t *len_r, size_t *start_r)
{
	size_t len = *len_r, first = 0, last = len;

	while (first < len && is_blank_char(text[first]))
		first++;
	if (first == len)
		return false;
	while (first > 0 && text[first - 1] != '\n')
		first--;
	while (last > first && is_blank_char(text[last - 1]))
		last--;
	while (last < len && text[last] != '\n' && text[last] != '\r')
		last++;
	*start_r = first;
	*len_r = last - first;
	return true;
}

/* Text (UTF-8 or not) shown as a fixed text/plain part. */
static void
add_plain(struct render_ctx *c, const char *bytes, size_t len)
{
	size_t n = 0, start = 0;
	char *text = mime_charset_to_utf8(NULL, bytes, len, &n);

	if (trim_blank_edges(text, &n, &start)) {
		separate(c);
		mime_lines_add_text(&c->lines, text + start, n, false, false, MIME_LINE_TEXT);
	}
	g_free(text);
}

/* A text part holding inline PGP: each block between markers that say what
 * it is, and the text around it said to be neither signed nor encrypted. */
static void
render_inline_pgp(struct render_ctx *c, GPtrArray *segs)
{
	for (guint i = 0; i < segs->len; i++) {
		const struct mime_inline_segment *s = segs->pdata[i];
		const char *begin = NULL, *end = NULL;
		size_t len = strlen(s->text), start = 0;

		switch (s->kind) {
		case MIME_INLINE_PLAIN:
			begin = _("[-- The following text is NOT signed or encrypted --]");
			break;
		case MIME_INLINE_SIGNED:
			begin = _("[-- Begin OpenPGP signed text --]");
			end = _("[-- End of OpenPGP signed text --]");
			break;
		case MIME_INLINE_DECRYPTED:
			begin = _("[-- Begin OpenPGP encrypted text --]");
			end = _("[-- End of OpenPGP encrypted text --]");
			break;
		case MIME_INLINE_FAILED:
			begin = _("[-- An OpenPGP block tern could not read: --]");
			break;
		}
		separate(c);
		notice(c, begin);
		if (trim_blank_edges(s->text, &len, &start))
			mime_lines_add_text(&c->lines, s->text + start, len, false, false,
					    MIME_LINE_TEXT);
		if (end != NULL)
			notice(c, end);
	}
}

static void
render_leaf(struct render_ctx *c, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	size_t len = 0, start = 0;
	GPtrArray *segs = c->msg->inline_pgp ? g_hash_table_lookup(c->msg->inline_pgp, part)
					     : NULL;
	char *text;

	if (segs != NULL) {
		render_inline_pgp(c, segs);
		return;
	}
	text = mime_part_text(part, &len);

	if (!trim_blank_edges(text, &len, &start))
		goto out;
	separate(c);
	if (ct != NULL && g_mime_content_type_is_type(ct, "text", "html")) {
		add_html(c, text + start, len);
	} else {
		const char *format = g_mime_object_get_content_type_parameter(obj, "format");
		const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
		bool flowed = format && g_ascii_strcasecmp(format, "flowed") == 0;

		mime_lines_add_text(&c->lines, text + start, len, flowed,
				    flowed && delsp && g_ascii_strcasecmp(delsp, "yes") == 0,
				    MIME_LINE_TEXT);
	}
out:
	g_free(text);
}

enum alt_kind { ALT_OTHER, ALT_PLAIN, ALT_HTML };

static enum alt_kind
alt_kind(GMimeObject *obj, unsigned depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	if (GMIME_IS_PART(obj) && mime_part_is_inline_text(obj) && ct != NULL) {
		if (g_mime_content_type_is_type(ct, "text", "plain"))
			return ALT_PLAIN;
		if (g_mime_content_type_is_type(ct, "text", "html"))
			return ALT_HTML;
	}
	/* multipart/related or mixed: what its first part is */
	if (GMIME_IS_MULTIPART(obj) && !GMIME_IS_MULTIPART_ENCRYPTED(obj) && depth < 4 &&
	    g_mime_multipart_get_count(GMIME_MULTIPART(obj)) > 0)
		return alt_kind(g_mime_multipart_get_part(GMIME_MULTIPART(obj), 0), depth + 1);
	return ALT_OTHER;
}

/* multipart/alternative: the last text/plain (or text/html with prefer_html),
 * else the last of the other kind, else the first part. */
static GMimeObject *
choose_alternative(GMimeMultipart *mp, bool prefer_html)
{
	int count = g_mime_multipart_get_count(mp);
	GMimeObject *plain = NULL, *html = NULL;

	for (int i = 0; i < count; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		enum alt_kind k = alt_kind(child, 0);

		if (k == ALT_PLAIN)
			plain = child;
		else if (k == ALT_HTML)
			html = child;
	}
	if (prefer_html && html != NULL)
		return html;
	if (plain != NULL)
		return plain;
	if (html != NULL)
		return html;
	return count > 0 ? g_mime_multipart_get_part(mp, 0) : NULL;
}

static void render_object(struct render_ctx *c, GMimeObject *obj, unsigned depth);

static void
add_header_line(struct render_ctx *c, const char *name, char *value)
{
	char *line;

	if (value == NULL)
		return;
	line = g_strdup_printf("%s: %s", name, value);
	mime_lines_add(&c->lines, line, 0, MIME_LINE_HEADER);
	g_free(line);
	g_free(value);
}

static void
render_attached_message(struct render_ctx *c, GMimeMessagePart *mpart, unsigned depth)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mpart);
	GMimeObject *io = GMIME_OBJECT(inner);

	separate(c);
	notice(c, _("[-- Attached message --]"));
	if (inner != NULL) {
		add_header_line(c, "From", header_display(io, "From"));
		add_header_line(c, "To", header_display(io, "To"));
		add_header_line(c, "Cc", header_display(io, "Cc"));
		add_header_line(c, "Date", date_display(io));
		add_header_line(c, "Subject", header_display(io, "Subject"));
		mime_lines_add(&c->lines, "", 0, MIME_LINE_TEXT);
		render_object(c, g_mime_message_get_mime_part(inner), depth + 1);
	}
	separate(c);
	notice(c, _("[-- End of attached message --]"));
}

static char *
protocol_of(GMimeObject *obj)
{
	const char *p = g_mime_object_get_content_type_parameter(obj, "protocol");

	return text_sanitize(p ? p : "unknown", -1, TEXT_SANITIZE_ONE_LINE);
}

static int
crypto_marks(struct render_ctx *c, GMimeObject *obj)
{
	return c->msg->crypto_marks ? GPOINTER_TO_INT(g_hash_table_lookup(c->msg->crypto_marks,
									    obj))
				    : 0;
}

static void
render_multipart(struct render_ctx *c, GMimeMultipart *mp, unsigned depth)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	int count = g_mime_multipart_get_count(mp);

	if (GMIME_IS_MULTIPART_ENCRYPTED(mp)) {
		char *proto = protocol_of(obj), *s;

		if (crypto_marks(c, obj) & MIME_MARK_FAILED)
			s = g_strdup_printf(_("[-- Encrypted (%s), could not be decrypted: its parts "
					      "are in the attachment list --]"),
					    proto);
		else
			s = g_strdup_printf(_("[-- Encrypted (%s), not decrypted: its parts are in "
					      "the attachment list --]"),
					    proto);
		separate(c);
		notice(c, s);
		g_free(s);
		g_free(proto);
		return;
	}
	if (GMIME_IS_MULTIPART_SIGNED(mp)) {
		char *proto = protocol_of(obj), *s;

		/* Checked: the status above the body says how it went. */
		if (!(crypto_marks(c, obj) & MIME_MARK_VERIFIED)) {
			s = g_strdup_printf(_("[-- Signed (%s), not verified --]"), proto);
			separate(c);
			notice(c, s);
			g_free(s);
		}
		g_free(proto);
		if (count > 0)
			render_object(c, g_mime_multipart_get_part(mp, 0), depth + 1);
		return;
	}
	if (ct != NULL && g_mime_content_type_is_type(ct, "multipart", "alternative")) {
		render_object(c, choose_alternative(mp, c->opts->prefer_html), depth + 1);
		return;
	}
	if (count == 0) {
		/* no part at all (boundaries missing): the text before them is all
		 * there is to show */
		const char *pro = g_mime_multipart_get_prologue(mp);

		if (pro != NULL)
			add_plain(c, pro, strlen(pro));
		return;
	}
	for (int i = 0; i < count; i++)
		render_object(c, g_mime_multipart_get_part(mp, i), depth + 1);
}

/* S/MIME in one part (application/pkcs7-mime): say what it is, honestly. */
static void
smime_notice(struct render_ctx *c, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *kind;

	if (ct == NULL || !(g_mime_content_type_is_type(ct, "application", "pkcs7-mime") ||
			    g_mime_content_type_is_type(ct, "application", "x-pkcs7-mime")))
		return;
	kind = g_mime_content_type_get_parameter(ct, "smime-type");
	separate(c);
	if (kind != NULL && g_ascii_strcasecmp(kind, "signed-data") == 0)
		notice(c, _("[-- S/MIME signed (application/pkcs7-mime), not verified: the "
			    "content is in the attachment list --]"));
	else
		notice(c, _("[-- S/MIME encrypted (application/pkcs7-mime), not decrypted: it "
			    "is in the attachment list --]"));
}

static void render_object_framed(struct render_ctx *c, GMimeObject *obj, unsigned depth);

/* Signed or encrypted content that is not the whole message: where it
 * starts and ends is shown, so that it is never read as one with the
 * text around it. */
static void
render_object(struct render_ctx *c, GMimeObject *obj, unsigned depth)
{
	int marks = obj != NULL ? crypto_marks(c, obj) : 0;
	const char *begin = NULL, *end = NULL;

	if (marks & MIME_MARK_PARTIAL) {
		if (marks & MIME_MARK_DECRYPTED) {
			begin = _("[-- Begin encrypted part --]");
			end = _("[-- End of encrypted part --]");
		} else {
			begin = _("[-- Begin signed part --]");
			end = _("[-- End of signed part --]");
		}
		separate(c);
		notice(c, begin);
	}
	render_object_framed(c, obj, depth);
	if (end != NULL) {
		separate(c);
		notice(c, end);
	}
}

static void
render_object_framed(struct render_ctx *c, GMimeObject *obj, unsigned depth)
{
	if (obj == NULL)
		return;
	if (depth > MIME_MAX_DEPTH || c->parts >= MIME_MAX_PARTS) {
		if (!c->cut_noted) {
			separate(c);
			notice(c, _(LIMITS_NOTICE));
			c->cut_noted = true;
		}
		return;
	}
	c->parts++;
	if (GMIME_IS_MESSAGE_PART(obj))
		render_attached_message(c, GMIME_MESSAGE_PART(obj), depth);
	else if (GMIME_IS_MULTIPART(obj))
		render_multipart(c, GMIME_MULTIPART(obj), depth);
	else if (GMIME_IS_PART(obj) && mime_part_is_inline_text(obj))
		render_leaf(c, GMIME_PART(obj));
	else if (GMIME_IS_PART(obj))
		smime_notice(c, obj);
}

static void
trim_blank_lines(GPtrArray *lines)
{
	while (lines->len > 0) {
		struct mime_line *l = lines->pdata[lines->len - 1];

		if (l->text[0] != '\0')
			break;
		g_ptr_array_remove_index(lines, lines->len - 1);
	}
}

static struct mime_attachment *
attachment_copy(const struct mime_attachment *a)
{
	struct mime_attachment *b = g_new(struct mime_attachment, 1);

	*b = *a;
	b->content_type = g_strdup(a->content_type);
	b->filename = g_strdup(a->filename);
	b->disposition = g_strdup(a->disposition);
	return b;
}

static void
attachment_copy_free(gpointer p)
{
	struct mime_attachment *a = p;

	g_free(a->content_type);
	g_free(a->filename);
	g_free(a->disposition);
	g_free(a);
}

struct mime_rendered *
mime_render(struct mime_message *msg, const struct mime_render_opts *opts)
{
	struct mime_rendered *r = g_new0(struct mime_rendered, 1);
	struct render_ctx c = { .msg = msg, .opts = opts, .r = r };
	const GPtrArray *atts = mime_message_attachments(msg);
	GMimeObject *top = msg->message ? GMIME_OBJECT(msg->message) : NULL;

	r->headers = g_ptr_array_new_with_free_func(header_free);
	r->lines = g_ptr_array_new_with_free_func(mime_line_free);
	r->attachments = g_ptr_array_new_with_free_func(attachment_copy_free);
	r->all_headers = opts->all_headers;
	r->truncated = msg->truncated;
	r->crypto = msg->crypto != NULL ? mime_crypto_copy(msg->crypto) : NULL;
	c.lines.lines = r->lines;
	c.lines.width = opts->width;
	if (top != NULL) {
		r->from = header_display(top, "From");
		r->to = header_display(top, "To");
		r->cc = header_display(top, "Cc");
		r->subject = header_display(top, "Subject");
		r->date = date_display(top);
		if (opts->all_headers)
			all_headers(top, r->headers);
		render_object(&c, g_mime_message_get_mime_part(msg->message), 0);
	} else {
		add_plain(&c, msg->data, msg->data_len); /* not a message: show the text */
	}
	if (msg->truncated && !c.cut_noted) {
		separate(&c);
		notice(&c, _(LIMITS_NOTICE));
	}
	trim_blank_lines(r->lines);
	for (guint i = 0; i < atts->len; i++)
		g_ptr_array_add(r->attachments, attachment_copy(atts->pdata[i]));
	return r;
}

void
mime_rendered_free(struct mime_rendered **rp)
{
	struct mime_rendered *r = *rp;

	if (r == NULL)
		return;
	g_free(r->from);
	g_free(r->to);
	g_free(r->cc);
	g_free(r->subject);
	g_free(r->date);
	g_ptr_array_unref(r->headers);
	g_ptr_array_unref(r->lines);
	g_ptr_array_unref(r->attachments);
	mime_crypto_free(&r->crypto);
	g_free(r);
	*rp = NULL;
}

char *
mime_attachment_describe(const struct mime_attachment *a)
{
	char *size = g_format_size_full(a->size, G_FORMAT_SIZE_IEC_UNITS);
	char *s = g_strdup_printf("[%u] %s (%s, %s)", a->index, a->filename, a->content_type,
				  size);

	g_free(size);
	return s;
}

static void
format_header(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, "%s: %s\n", name, value ? value : "");
}

char *
mime_rendered_format(const struct mime_rendered *r)
{
	GString *out = g_string_new(NULL);
	GPtrArray *status = mime_crypto_status_lines(r->crypto);

	for (guint i = 0; i < status->len; i++) {
		const struct mime_status_line *l = status->pdata[i];

		g_string_append_printf(out, "[tern] %s\n", l->text);
	}
	g_ptr_array_unref(status);
	if (r->all_headers) {
		for (guint i = 0; i < r->headers->len; i++) {
			const struct mime_header *h = r->headers->pdata[i];

			format_header(out, h->name, h->value);
		}
	} else {
		format_header(out, "From", r->from);
		format_header(out, "To", r->to);
		if (r->cc != NULL)
			format_header(out, "Cc", r->cc);
		format_header(out, "Date", r->date);
		format_header(out, "Subject", r->subject);
	}
	g_string_append_c(out, '\n');
	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		g_string_append(out, l->text);
		g_string_append_c(out, '\n');
	}
	if (r->attachments->len > 0) {
		if (r->lines->len > 0)
			g_string_append_c(out, '\n');
		g_string_append_printf(out, "%s\n", _("Attachments:"));
		for (guint i = 0; i < r->attachments->len; i++) {
			const struct mime_attachment *a = r->attachments->pdata[i];
			char *d = mime_attachment_describe(a);

			g_string_append_printf(out, "%*s%s\n", (int)(2 + 2 * MIN(a->depth, 8)), "",
					       d);
			g_free(d);
		}
	}
	return g_string_free(out, FALSE);
}

/* Append line to out unless that passes max; false when full. */
static bool
body_text_append(GString *out, const char *line, gsize max)
{
	gsize n = strlen(line);

	if (out->len > 0 && out->len < max)
		g_string_append_c(out, '\n');
	if (out->len + n > max) {
		const char *end;

		/* the part that fits, on a character boundary */
		g_utf8_validate(line, (gssize)(max - out->len), &end);
		g_string_append_len(out, line, end - line);
		return false;
	}
	g_string_append_len(out, line, (gssize)n);
	return true;
}

char *
mime_body_text(const void *data, gsize len, gsize max)
{
	struct mime_message *msg = mime_message_parse(data, len);
	char *text = mime_message_text(msg, max);

	mime_message_free(&msg);
	return text;
}

char *
mime_message_text(struct mime_message *msg, gsize max)
{
	struct mime_render_opts opts;
	struct mime_rendered *r;
	GString *out = g_string_new(NULL);

	mime_render_opts_init(&opts);
	r = mime_render(msg, &opts);
	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		if (l->kind != MIME_LINE_TEXT)
			continue;
		if (!body_text_append(out, l->text, max))
			break;
	}
	mime_rendered_free(&r);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

char *
mime_parts_text(GBytes *const *mimes, GBytes *const *bodies, guint n, gsize max)
{
	GPtrArray *m = g_ptr_array_new(), *b = g_ptr_array_new();
	GBytes *whole;
	gsize len = 0;
	const void *data;
	char *text;

	for (guint i = 0; i < n; i++) {
		g_ptr_array_add(m, mimes[i]);
		g_ptr_array_add(b, bodies[i]);
	}
	whole = mime_partial_message(NULL, m, b);
	data = g_bytes_get_data(whole, &len);
	text = mime_body_text(data, len, max);
	g_bytes_unref(whole);
	g_ptr_array_unref(m);
	g_ptr_array_unref(b);
	return text;
}

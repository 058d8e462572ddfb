/* tern — mime/: a message's parts from its BODYSTRUCTURE (core/imap's
 * flattened struct imap_part), classified as mime_message_attachments()
 * classifies a parsed message, so that `tern parts` gives the numbers
 * `tern save` takes without fetching the body. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/client.h"
#include "core/text/text.h"
#include "mime/mime-private.h"

/* Longest parameter list rebuilt for GMime to decode (RFC 2231 pieces). */
#define STRUCTURE_MAX_PARAMS_LEN MIME_MAX_HEADER_LEN

static const char *
param_get(char *const *params, const char *name)
{
	for (size_t i = 0; params != NULL && params[i] != NULL && params[i + 1] != NULL; i += 2)
		if (g_ascii_strcasecmp(params[i], name) == 0)
			return params[i + 1];
	return NULL;
}

static bool
param_name_ok(const char *name)
{
	if (*name == '\0' || strlen(name) > 78)
		return false;
	for (; *name != '\0'; name++)
		if (!g_ascii_isalnum(*name) && strchr("-_.*", *name) == NULL)
			return false;
	return true;
}

/* The parameters as header text ("a=\"b\"; c*=\"utf-8''x\"") for GMime to
 * decode (RFC 2231 continuations and charsets, RFC 2047 words). */
static GString *
params_text(char *const *params)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; params != NULL && params[i] != NULL && params[i + 1] != NULL; i += 2) {
		const char *v = params[i + 1];

		if (!param_name_ok(params[i]) || s->len + strlen(v) > STRUCTURE_MAX_PARAMS_LEN)
			continue;
		g_string_append_printf(s, "%s%s=\"", s->len ? "; " : "", params[i]);
		for (; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				g_string_append_c(s, '\\');
			if ((guchar)*v >= 0x20 || *v == '\t')
				g_string_append_c(s, *v);
		}
		g_string_append_c(s, '"');
	}
	return s;
}

/* filename= of the disposition, else name= of the type: decoded (UTF-8,
 * not yet made safe), or NULL. */
static char *
part_filename(const struct imap_part *p)
{
	static const char *const where[] = { "filename", "name" };
	char *out = NULL;

	for (size_t w = 0; w < TERN_ARRAY_LEN(where) && out == NULL; w++) {
		char *const *params = w == 0 ? p->disposition_params : p->params;
		GString *text = params_text(params);
		GMimeParamList *list = g_mime_param_list_parse(mime_parser_options(), text->str);
		GMimeParam *param = list ? g_mime_param_list_get_parameter(list, where[w]) : NULL;
		const char *v = param ? g_mime_param_get_value(param) : NULL;

		if (v != NULL && *v != '\0')
			out = text_make_valid(v, -1);
		if (list != NULL)
			g_object_unref(list);
		g_string_free(text, TRUE);
	}
	return out;
}

static bool
is_type(const struct imap_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 && (subtype == NULL || strcmp(p->subtype, subtype) == 0);
}

/* What GMime parses as a GMimeMessagePart. */
static bool
is_message(const struct imap_part *p)
{
	return is_type(p, "message", "rfc822") || is_type(p, "message", "global") ||
	       is_type(p, "message", "news");
}

/* mime_part_is_inline_text() on the structure. */
static bool
is_inline_text(const struct imap_part *p, bool named)
{
	static const char *const message_text[] = {
		"delivery-status",        "disposition-notification",
		"feedback-report",        "global-delivery-status",
		"global-disposition-notification", "global-headers",
	};
	bool displayable = is_type(p, "text", NULL);

	for (size_t i = 0; i < TERN_ARRAY_LEN(message_text) && !displayable; i++)
		displayable = is_type(p, "message", message_text[i]);
	if (!displayable)
		return false;
	if (p->disposition != NULL && strcmp(p->disposition, "attachment") == 0)
		return false;
	return !named || (p->disposition != NULL && strcmp(p->disposition, "inline") == 0);
}

/* A token: letters, digits and "!#$&^_.+-", anything else '_'. */
static char *
token_clean(const char *s)
{
	char *out = g_strndup(s, 127);

	for (char *q = out; *q != '\0'; q++)
		if (!g_ascii_isalnum(*q) && strchr("!#$&^_.+-", *q) == NULL)
			*q = '_';
	return out;
}

void
mime_part_entry_free(struct mime_part_entry *e)
{
	g_free(e->section);
	g_free(e->content_type);
	g_free(e->filename);
	g_free(e->disposition);
	g_free(e->encoding);
	g_free(e->charset);
	g_free(e);
}

struct walk {
	const GPtrArray *in;
	GPtrArray *out;
	unsigned next_index;
	GPtrArray *children; /* per node: GArray of child indexes */
};

static void
add_entry(struct walk *w, const struct imap_part *p, bool attachment, unsigned msg_depth,
	  char *filename)
{
	struct mime_part_entry *e = g_new0(struct mime_part_entry, 1);
	char *type = token_clean(p->type), *sub = token_clean(p->subtype);
	const char *cs = param_get(p->params, "charset");

	e->section = token_clean(p->section);
	e->index = attachment ? ++w->next_index : 0;
	e->content_type = g_strdup_printf("%s/%s", type, sub);
	e->size = p->size;
	e->filename = filename;
	e->disposition = p->disposition ? token_clean(p->disposition) : NULL;
	e->encoding = p->encoding ? token_clean(p->encoding) : NULL;
	e->charset = cs ? token_clean(cs) : NULL;
	e->depth = msg_depth;
	e->message = is_message(p);
	g_ptr_array_add(w->out, e);
	g_free(type);
	g_free(sub);
}

static void walk_node(struct walk *w, guint i, unsigned level, unsigned msg_depth, bool force);

static void
walk_multipart(struct walk *w, guint i, unsigned level, unsigned msg_depth, bool force)
{
	const struct imap_part *p = w->in->pdata[i];
	GArray *kids = w->children->pdata[i];
	bool encrypted = strcmp(p->subtype, "encrypted") == 0;
	bool signed_ = strcmp(p->subtype, "signed") == 0;
	bool alternative = strcmp(p->subtype, "alternative") == 0;

	for (guint k = 0; k < kids->len; k++) {
		guint ci = g_array_index(kids, guint, k);
		const struct imap_part *c = w->in->pdata[ci];
		bool leaf = !c->multipart && !is_message(c);
		bool f = force || encrypted || (signed_ && k > 0) ||
			 (alternative && leaf && !is_type(c, "text", "plain") &&
			  !is_type(c, "text", "html"));

		walk_node(w, ci, level + 1, msg_depth, f);
	}
}

static void
walk_node(struct walk *w, guint i, unsigned level, unsigned msg_depth, bool force)
{
	const struct imap_part *p = w->in->pdata[i];
	GArray *kids = w->children->pdata[i];

	if (level > MIME_MAX_DEPTH || w->out->len >= MIME_MAX_PARTS)
		return;
	if (is_message(p)) {
		add_entry(w, p, true, msg_depth, part_filename(p));
		if (!force && kids->len > 0)
			walk_node(w, g_array_index(kids, guint, 0), level + 1, msg_depth + 1, false);
	} else if (p->multipart) {
		walk_multipart(w, i, level, msg_depth, force);
	} else {
		char *name = part_filename(p);

		add_entry(w, p, force || !is_inline_text(p, name != NULL), msg_depth, name);
	}
}

GPtrArray *
mime_structure_parts(const GPtrArray *parts)
{
	struct walk w = { .in = parts };

	w.out = g_ptr_array_new_with_free_func((GDestroyNotify)mime_part_entry_free);
	if (parts == NULL || parts->len == 0)
		return w.out;
	w.children = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	for (guint i = 0; i < parts->len; i++)
		g_ptr_array_add(w.children, g_array_new(FALSE, FALSE, sizeof(guint)));
	for (guint i = 0; i < parts->len; i++) {
		const struct imap_part *p = parts->pdata[i];

		if (p->parent >= 0 && (guint)p->parent < i)
			g_array_append_val(w.children->pdata[p->parent], i);
	}
	walk_node(&w, 0, 0, 0, false);
	g_ptr_array_unref(w.children);
	return w.out;
}

GBytes *
mime_transfer_decode(const char *encoding, const char *bytes, size_t len)
{
	GMimeContentEncoding enc = encoding ? g_mime_content_encoding_from_string(encoding) :
					      GMIME_CONTENT_ENCODING_DEFAULT;
	GMimeEncoding state;
	char *out;
	size_t n;

	if (enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
	    enc != GMIME_CONTENT_ENCODING_UUENCODE)
		return g_bytes_new(bytes, len);
	g_mime_encoding_init_decode(&state, enc);
	out = g_malloc(g_mime_encoding_outlen(&state, len) + 16);
	n = g_mime_encoding_flush(&state, bytes, len, out);
	return g_bytes_new_take(out, n);
}

/* ---- what the viewer fetches (#14) --------------------------------------- */

struct plan {
	const GPtrArray *in;
	GPtrArray *children; /* per node: GArray of child indexes */
	GPtrArray *sections; /* char *: the parts shown */
	bool prefer_html;
	bool whole;
};

/* A signature or an encryption covers the exact bytes. */
static bool
is_sealed(const struct imap_part *p)
{
	return is_type(p, "multipart", "signed") || is_type(p, "multipart", "encrypted") ||
	       is_type(p, "application", "pkcs7-mime") || is_type(p, "application", "x-pkcs7-mime");
}

bool
mime_structure_sealed(const GPtrArray *parts)
{
	for (guint i = 0; parts != NULL && i < parts->len; i++) {
		const struct imap_part *p = parts->pdata[i];

		if (is_type(p, "multipart", "encrypted") ||
		    is_type(p, "application", "pkcs7-mime") ||
		    is_type(p, "application", "x-pkcs7-mime"))
			return true;
	}
	return false;
}

static void plan_node(struct plan *pl, guint i, unsigned level);

/* The alternative shown: the preferred text type, else the other, else
 * the last (richest) part, which may be a multipart of its own. */
static void
plan_alternative(struct plan *pl, GArray *kids, unsigned level)
{
	const char *want[] = { pl->prefer_html ? "html" : "plain", pl->prefer_html ? "plain" : "html" };

	for (size_t w = 0; w < TERN_ARRAY_LEN(want); w++)
		for (guint k = 0; k < kids->len; k++) {
			guint ci = g_array_index(kids, guint, k);

			if (is_type(pl->in->pdata[ci], "text", want[w])) {
				plan_node(pl, ci, level + 1);
				return;
			}
		}
	if (kids->len > 0)
		plan_node(pl, g_array_index(kids, guint, kids->len - 1), level + 1);
}

static void
plan_node(struct plan *pl, guint i, unsigned level)
{
	const struct imap_part *p = pl->in->pdata[i];
	GArray *kids = pl->children->pdata[i];

	if (level > MIME_MAX_DEPTH) {
		pl->whole = true;
		return;
	}
	if (p->multipart && strcmp(p->subtype, "alternative") == 0) {
		plan_alternative(pl, kids, level);
	} else if (p->multipart || is_message(p)) {
		for (guint k = 0; k < kids->len; k++)
			plan_node(pl, g_array_index(kids, guint, k), level + 1);
	} else {
		char *name = part_filename(p);

		if (is_inline_text(p, name != NULL))
			g_ptr_array_add(pl->sections, g_strdup(p->section));
		g_free(name);
	}
}

int
mime_structure_plan(const GPtrArray *parts, bool prefer_html, guint max, char ***sections_r)
{
	struct plan pl = { .in = parts, .prefer_html = prefer_html };
	const struct imap_part *root;

	*sections_r = NULL;
	if (parts == NULL || parts->len == 0 || parts->len > MIME_MAX_PARTS)
		return -1;
	for (guint i = 0; i < parts->len; i++) {
		const struct imap_part *p = parts->pdata[i];

		if ((i == 0) != (p->parent < 0) || (p->parent >= 0 && (guint)p->parent >= i))
			return -1; /* not the pre-order core/imap gives */
		if (is_sealed(p))
			return MIME_FETCH_WHOLE;
	}
	root = parts->pdata[0];
	if (!root->multipart && !is_message(root)) {
		/* One part: the text is the message; anything else is only listed. */
		if (is_inline_text(root, false))
			return MIME_FETCH_WHOLE;
		*sections_r = g_new0(char *, 1);
		return MIME_FETCH_PARTS;
	}
	pl.children = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	for (guint i = 0; i < parts->len; i++)
		g_ptr_array_add(pl.children, g_array_new(FALSE, FALSE, sizeof(guint)));
	for (guint i = 1; i < parts->len; i++)
		g_array_append_val(pl.children->pdata[((const struct imap_part *)parts->pdata[i])->parent], i);
	pl.sections = g_ptr_array_new_with_free_func(g_free);
	plan_node(&pl, 0, 0);
	g_ptr_array_unref(pl.children);
	if (pl.whole || pl.sections->len > max) {
		g_ptr_array_unref(pl.sections);
		return MIME_FETCH_WHOLE;
	}
	g_ptr_array_add(pl.sections, NULL);
	*sections_r = (char **)g_ptr_array_free(pl.sections, FALSE);
	return MIME_FETCH_PARTS;
}

/* The header's fields but its Content-* ones (continuation lines too). */
static void
header_without_content(GString *out, const char *h, size_t len)
{
	const char *p = h, *end = h + len;
	bool skip = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;
		size_t n = (size_t)(next - p);

		if (n <= 2 && (*p == '\r' || *p == '\n'))
			break; /* the blank line */
		if (*p != ' ' && *p != '\t')
			skip = n >= 8 && g_ascii_strncasecmp(p, "Content-", 8) == 0;
		if (!skip) {
			g_string_append_len(out, p, (gssize)(nl != NULL && nl > p && nl[-1] == '\r' ?
							      n - 2 : (nl != NULL ? n - 1 : n)));
			g_string_append(out, "\r\n");
		}
		p = next;
	}
}

/* s ends with the text (s may hold NULs: its length, not strlen). */
static bool
ends_with(const GString *s, const char *text)
{
	size_t n = strlen(text);

	return s->len >= n && memcmp(s->str + s->len - n, text, n) == 0;
}

GBytes *
mime_partial_message(GBytes *header, const GPtrArray *mimes, const GPtrArray *bodies)
{
	GString *m = g_string_new(NULL);
	char *uuid = g_uuid_string_random();
	char *boundary = g_strdup_printf("=-tern-partial-%s", uuid);
	gsize len = 0;
	const char *h = header != NULL ? g_bytes_get_data(header, &len) : NULL;

	if (h != NULL)
		header_without_content(m, h, len);
	g_string_append_printf(m, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
				  "boundary=\"%s\"\r\n\r\n", boundary);
	for (guint i = 0; bodies != NULL && i < bodies->len; i++) {
		GBytes *mime = i < mimes->len ? mimes->pdata[i] : NULL;
		GBytes *body = bodies->pdata[i];
		const char *d;
		gsize n;

		if (body == NULL)
			continue;
		g_string_append_printf(m, "--%s\r\n", boundary);
		if (mime != NULL) {
			d = g_bytes_get_data(mime, &n);
			g_string_append_len(m, d, (gssize)n);
			/* a MIME header cut short must still end before the body */
			if (!ends_with(m, "\n\n") && !ends_with(m, "\n\r\n"))
				g_string_append(m, ends_with(m, "\n") ? "\r\n" : "\r\n\r\n");
		} else {
			g_string_append(m, "Content-Type: text/plain\r\n\r\n");
		}
		d = g_bytes_get_data(body, &n);
		g_string_append_len(m, d, (gssize)n);
		g_string_append(m, "\r\n");
	}
	g_string_append_printf(m, "--%s--\r\n", boundary);
	g_free(boundary);
	g_free(uuid);
	return g_string_free_to_bytes(m);
}

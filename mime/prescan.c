/* tern — mime/: bound the structure GMime will build, before it builds it.
 *
 * One linear pass over the raw message follows the MIME structure the way a
 * parser does (header blocks, Content-Type multipart boundaries, delimiter
 * lines, message/rfc822 bodies) and finds the first line where the nesting
 * would exceed MIME_MAX_DEPTH or the part count MIME_MAX_PARTS. GMime then
 * parses only the bytes before that line: a message of 50,000 parts or 10,000
 * levels costs what 10,000 parts or 32 levels cost, and still shows them.
 *
 * The same pass bounds what GMime builds from headers (it parses every address
 * header into objects as it reads it: 200,000 empty groups would be 200,000
 * objects): a header field longer than MIME_MAX_HEADER_LEN is cut there, and
 * fields past MIME_MAX_HEADER_FIELDS in a block (or MIME_MAX_HEADER_FIELDS_TOTAL
 * in the message) are left out, Content-* fields excepted. Those byte ranges
 * are returned; only then does the parse work on a copy. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "mime/mime-private.h"

/* Longest Content-Type value collected; a longer one counts as a multipart
 * whose boundary we cannot see (conservative: it only deepens the count). */
#define PRESCAN_MAX_CTYPE 8192

struct level {
	char *boundary; /* NULL: an attached message, or a boundary we cannot read */
	size_t len;
	bool digest;    /* multipart/digest: parts without Content-Type are messages */
};

struct prescan {
	struct level stack[MIME_MAX_DEPTH + 1];
	unsigned depth;
	unsigned parts;
	bool in_headers;
	bool in_ctype;   /* collecting a (folded) Content-Type value */
	bool have_ctype; /* this header block had a Content-Type */
	GString *ctype;
	bool ctype_too_long;
	/* the header field being read */
	bool field_open;
	bool field_drop;     /* leave the whole field out */
	size_t field_start;  /* offset of its first byte */
	size_t field_end;    /* offset of the LF ending its last line (or len) */
	unsigned block_fields, total_fields;
	GArray *drops;       /* struct mime_range */
};

static void
add_drop(struct prescan *ps, size_t start, size_t end)
{
	struct mime_range r = { start, end };

	if (end > start)
		g_array_append_val(ps->drops, r);
}

/* The field ends where the line at next begins. */
static void
field_close(struct prescan *ps, size_t next)
{
	if (!ps->field_open)
		return;
	ps->field_open = false;
	if (ps->field_drop)
		add_drop(ps, ps->field_start, next);
	else if (ps->field_end - ps->field_start > MIME_MAX_HEADER_LEN)
		add_drop(ps, ps->field_start + MIME_MAX_HEADER_LEN, ps->field_end);
}

static void
field_open(struct prescan *ps, const char *line, size_t start, size_t lf)
{
	bool content = g_ascii_strncasecmp(line, "content-", 8) == 0;

	ps->field_open = true;
	ps->field_start = start;
	ps->field_end = lf;
	ps->block_fields++;
	ps->total_fields++;
	ps->field_drop = !content && (ps->block_fields > MIME_MAX_HEADER_FIELDS ||
				      ps->total_fields > MIME_MAX_HEADER_FIELDS_TOTAL);
}

static void
pop_to(struct prescan *ps, unsigned depth)
{
	while (ps->depth > depth) {
		ps->depth--;
		g_free(ps->stack[ps->depth].boundary);
		ps->stack[ps->depth].boundary = NULL;
	}
}

/* Returns false when the push would exceed MIME_MAX_DEPTH. */
static bool
push(struct prescan *ps, const char *boundary, bool digest)
{
	if (ps->depth >= MIME_MAX_DEPTH)
		return false;
	ps->stack[ps->depth].boundary = g_strdup(boundary);
	ps->stack[ps->depth].len = boundary ? strlen(boundary) : 0;
	ps->stack[ps->depth].digest = digest;
	ps->depth++;
	return true;
}

static bool
is_message_type(GMimeContentType *ct)
{
	static const char *const subtypes[] = { "rfc822", "news", "global", "rfc2822" };

	for (size_t i = 0; i < TERN_ARRAY_LEN(subtypes); i++)
		if (g_mime_content_type_is_type(ct, "message", subtypes[i]))
			return true;
	return false;
}

/* End of a header block. Returns false when the structure gets too deep. */
static bool
headers_end(struct prescan *ps)
{
	GMimeContentType *ct;
	bool ok = true;

	ps->in_headers = false;
	if (!ps->have_ctype) {
		if (ps->depth == 0 || !ps->stack[ps->depth - 1].digest)
			return true;
		ps->in_headers = true; /* a digest's default part is message/rfc822 */
		return push(ps, NULL, false);
	}
	if (ps->ctype_too_long)
		return push(ps, NULL, false); /* conservative: count it as a level */
	ct = g_mime_content_type_parse(mime_parser_options(), ps->ctype->str);
	if (g_mime_content_type_is_type(ct, "multipart", "*")) {
		const char *b = g_mime_content_type_get_parameter(ct, "boundary");

		if (b != NULL && *b != '\0')
			ok = push(ps, b, g_mime_content_type_is_type(ct, "multipart", "digest"));
	} else if (is_message_type(ct)) {
		ok = push(ps, NULL, false);
		ps->in_headers = true; /* the attached message's own headers follow */
	}
	g_object_unref(ct);
	return ok;
}

static void
header_line(struct prescan *ps, const char *line, size_t n, size_t start, size_t lf)
{
	static const char name[] = "content-type:";

	if (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
		if (ps->field_open)
			ps->field_end = lf;
		if (ps->in_ctype) {
			if (ps->ctype->len + n > PRESCAN_MAX_CTYPE)
				ps->ctype_too_long = true;
			else
				g_string_append_len(ps->ctype, line, (gssize)n);
		}
		return;
	}
	ps->in_ctype = false;
	field_close(ps, start);
	field_open(ps, line, start, lf);
	if (ps->have_ctype || n < sizeof name - 1 ||
	    g_ascii_strncasecmp(line, name, sizeof name - 1) != 0)
		return;
	ps->in_ctype = ps->have_ctype = true;
	ps->ctype_too_long = n > PRESCAN_MAX_CTYPE;
	g_string_assign(ps->ctype, "");
	if (!ps->ctype_too_long)
		g_string_append_len(ps->ctype, line + sizeof name - 1,
				    (gssize)(n - (sizeof name - 1)));
}

static void
new_header_block(struct prescan *ps)
{
	ps->in_headers = true;
	ps->in_ctype = ps->have_ctype = ps->ctype_too_long = false;
	ps->block_fields = 0;
}

static bool
only_lwsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* A delimiter line "--boundary" or "--boundary--" of a level on the stack:
 * returns that level + 1, or 0. Sets *close_r for the closing form. */
static unsigned
match_delimiter(const struct prescan *ps, const char *line, size_t n, bool *close_r)
{
	if (n < 2 || line[0] != '-' || line[1] != '-')
		return 0;
	for (unsigned d = ps->depth; d-- > 0;) {
		const struct level *lv = &ps->stack[d];
		size_t rest;

		if (lv->boundary == NULL || n - 2 < lv->len ||
		    memcmp(line + 2, lv->boundary, lv->len) != 0)
			continue;
		rest = 2 + lv->len;
		*close_r = n - rest >= 2 && line[rest] == '-' && line[rest + 1] == '-';
		if (only_lwsp(line + rest + (*close_r ? 2 : 0), n - rest - (*close_r ? 2 : 0)))
			return d + 1;
	}
	return 0;
}

/* One line at offset start (n bytes without CR LF; its LF at offset lf).
 * Returns false to cut here. */
static bool
prescan_line(struct prescan *ps, const char *line, size_t n, size_t start, size_t lf)
{
	bool close = false;
	unsigned level = match_delimiter(ps, line, n, &close);

	if (level > 0 || n == 0)
		field_close(ps, start);
	if (level > 0) {
		if (close) {
			pop_to(ps, level - 1);
			ps->in_headers = false;
			return true;
		}
		pop_to(ps, level);
		if (++ps->parts > MIME_MAX_PARTS)
			return false;
		new_header_block(ps);
		return true;
	}
	if (!ps->in_headers)
		return true;
	if (n == 0) {
		if (!headers_end(ps))
			return false;
		if (ps->in_headers) /* message/rfc822: a new header block */
			new_header_block(ps);
		return true;
	}
	header_line(ps, line, n, start, lf);
	return true;
}

void
mime_prescan(const char *bytes, size_t len, struct mime_prescan *out)
{
	struct prescan ps = { .depth = 0 };
	size_t pos = 0, cut = len;

	ps.ctype = g_string_new(NULL);
	ps.drops = g_array_new(FALSE, FALSE, sizeof(struct mime_range));
	new_header_block(&ps);
	while (pos < len) {
		const char *nl = memchr(bytes + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - bytes) : len;
		size_t n = end - pos;

		if (n > 0 && bytes[end - 1] == '\r')
			n--;
		if (!prescan_line(&ps, bytes + pos, n, pos, end)) {
			cut = pos;
			break;
		}
		pos = nl ? end + 1 : len;
	}
	field_close(&ps, cut);
	pop_to(&ps, 0);
	g_string_free(ps.ctype, TRUE);
	out->cut = cut;
	out->truncated = cut < len || ps.drops->len > 0;
	out->drops = ps.drops;
}

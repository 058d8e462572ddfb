/* tern — core/imap/fetch.c: layer 2 for FETCH: UID, FLAGS, INTERNALDATE,
 * RFC822.SIZE, MODSEQ, ENVELOPE, BODYSTRUCTURE, BODY[…]/BINARY[…] data.
 *
 * Basic fields are decoded strictly; BODYSTRUCTURE extension data, which
 * servers fill in unevenly, is taken when it has the expected shape and
 * otherwise ignored. Unknown FETCH items are skipped with their value.
 * BODYSTRUCTURE depth and part count and address-list length are capped
 * (struct imap_limits); a PREVIEW is cut at IMAP_PREVIEW_MAX_CHARS. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"
#include "core/imap/maildate.h"

static int
fetch_fail(struct imap_decoder *dec, const char *what)
{
	return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
			 _("IMAP protocol error: bad %s in FETCH response"), what);
}

/* ======================================================================== */
/* INTERNALDATE                                                             */
/* ======================================================================== */

static int
two_digits(const char *s, unsigned *v)
{
	if (!g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]))
		return -1;
	*v = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	return 0;
}

int
imap_parse_datetime(const char *s, size_t len, int64_t *time_r, int *offset_r)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned day, month = 0, year, hh, mi, ss, zh, zm;
	char buf[32];
	const char *p;

	/* "d-Mon-yyyy…" becomes " d-Mon-yyyy…" */
	if (len + 1 >= sizeof(buf))
		return -1;
	memcpy(buf + 1, s, len);
	buf[len + 1] = '\0';
	p = buf + 1;
	if (len >= 2 && s[1] == '-') {
		buf[0] = ' ';
		p = buf;
		len++;
	}
	if (len != 26 || p[2] != '-' || p[6] != '-' || p[11] != ' ' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	if (p[0] == ' ') {
		if (!g_ascii_isdigit(p[1]))
			return -1;
		day = (unsigned)(p[1] - '0');
	} else if (two_digits(p, &day) < 0) {
		return -1;
	}
	month = maildate_month(p + 3);
	if (month == 0 || two_digits(p + 7, &year) < 0 || two_digits(p + 9, &hh) < 0)
		return -1;
	year = year * 100 + hh;
	if (two_digits(p + 12, &hh) < 0 || two_digits(p + 15, &mi) < 0 ||
	    two_digits(p + 18, &ss) < 0 || two_digits(p + 22, &zh) < 0 ||
	    two_digits(p + 24, &zm) < 0)
		return -1;
	if (day < 1 || day > mdays[month - 1] || hh > 23 || mi > 59 || ss > 60 || zh > 23 || zm > 59)
		return -1;
	*offset_r = (int)(zh * 60 + zm) * (p[21] == '-' ? -1 : 1);
	*time_r = maildate_days_from_civil(year, month, day) * 86400 + hh * 3600 + mi * 60 + ss -
		  (int64_t)*offset_r * 60;
	return 0;
}

/* ======================================================================== */
/* ENVELOPE                                                                 */
/* ======================================================================== */

static int
address_list(struct imap_decoder *dec, const struct imap_arg *arg, struct imap_address_list *list)
{
	struct imap_address *addrs;
	size_t n;

	if (arg->type == IMAP_ARG_NIL)
		return 0;
	if (arg->type != IMAP_ARG_LIST)
		return fetch_fail(dec, "address list");
	n = MIN(arg->n_children, dec->limits->max_addresses);
	list->truncated = n < arg->n_children;
	addrs = imap_resp_alloc(dec->resp, n * sizeof(*addrs));
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *a = &arg->children[i];

		if (a->type != IMAP_ARG_LIST || a->n_children != 4 ||
		    imap_dec_nstring(dec, &a->children[0], "address", &addrs[i].name) < 0 ||
		    imap_dec_nstring(dec, &a->children[1], "address", &addrs[i].adl) < 0 ||
		    imap_dec_nstring(dec, &a->children[2], "address", &addrs[i].mailbox) < 0 ||
		    imap_dec_nstring(dec, &a->children[3], "address", &addrs[i].host) < 0)
			return fetch_fail(dec, "address");
	}
	list->addrs = addrs;
	list->n_addrs = n;
	return 0;
}

static int
envelope(struct imap_decoder *dec, const struct imap_arg *arg, const struct imap_envelope **env_r)
{
	struct imap_envelope *env;
	const struct imap_arg *a;

	if (arg->type != IMAP_ARG_LIST || arg->n_children != 10)
		return fetch_fail(dec, "ENVELOPE");
	a = arg->children;
	env = imap_resp_alloc(dec->resp, sizeof(*env));
	if (imap_dec_nstring(dec, &a[0], "envelope date", &env->date) < 0 ||
	    imap_dec_nstring(dec, &a[1], "envelope subject", &env->subject) < 0 ||
	    address_list(dec, &a[2], &env->from) < 0 || address_list(dec, &a[3], &env->sender) < 0 ||
	    address_list(dec, &a[4], &env->reply_to) < 0 || address_list(dec, &a[5], &env->to) < 0 ||
	    address_list(dec, &a[6], &env->cc) < 0 || address_list(dec, &a[7], &env->bcc) < 0 ||
	    imap_dec_nstring(dec, &a[8], "envelope in-reply-to", &env->in_reply_to) < 0 ||
	    imap_dec_nstring(dec, &a[9], "envelope message-id", &env->message_id) < 0)
		return -1;
	env->subject_len = env->subject != NULL ? a[1].len : 0;
	*env_r = env;
	return 0;
}

/* ======================================================================== */
/* BODYSTRUCTURE                                                            */
/* ======================================================================== */

/* body-fld-param: NIL or "(" string SP string *(SP string SP string) ")" */
static int
body_params(struct imap_decoder *dec, const struct imap_arg *arg,
	    const struct imap_body_param **params_r, size_t *n_r)
{
	struct imap_body_param *params;

	*params_r = NULL;
	*n_r = 0;
	if (arg->type == IMAP_ARG_NIL)
		return 0;
	if (arg->type != IMAP_ARG_LIST || arg->n_children % 2 != 0)
		return fetch_fail(dec, "body parameters");
	params = imap_resp_alloc(dec->resp, (arg->n_children / 2) * sizeof(*params));
	for (size_t i = 0; i < arg->n_children / 2; i++) {
		if (imap_dec_string(dec, &arg->children[2 * i], "body parameter", &params[i].name) < 0 ||
		    imap_dec_string(dec, &arg->children[2 * i + 1], "body parameter",
				    &params[i].value) < 0)
			return -1;
	}
	*params_r = params;
	*n_r = arg->n_children / 2;
	return 0;
}

/* Extension data from a[0]: body-fld-dsp [SP body-fld-lang [SP body-fld-loc
 * *(SP body-extension)]]; malformed pieces are ignored. */
static void
body_ext(struct imap_decoder *dec, const struct imap_arg *a, size_t n, struct imap_body *body)
{
	GError *ignored = NULL;
	struct imap_decoder quiet = *dec;
	bool ok;

	quiet.error = &ignored;
	if (n >= 1 && a[0].type == IMAP_ARG_LIST && a[0].n_children == 2 &&
	    imap_arg_is_string(&a[0].children[0])) {
		if (body_params(&quiet, &a[0].children[1], &body->disposition_params,
				&body->n_disposition_params) == 0)
			body->disposition = a[0].children[0].data;
		g_clear_error(&ignored);
	}
	if (n >= 2 && imap_arg_is_string(&a[1])) {
		const char **lang = imap_resp_alloc(dec->resp, 2 * sizeof(*lang));

		lang[0] = a[1].data;
		body->language = lang;
	} else if (n >= 2 && a[1].type == IMAP_ARG_LIST) {
		if (imap_dec_strv(&quiet, a[1].children, a[1].n_children, false, "language",
				  &body->language) < 0)
			body->language = NULL;
		g_clear_error(&ignored);
	}
	if (n >= 3) {
		const char *loc = imap_arg_nstring(&a[2], &ok);

		if (ok)
			body->location = loc;
	}
}

static int body_node(struct imap_decoder *dec, const struct imap_arg *arg, unsigned depth,
		     const char *section, struct imap_body *body);

static char *
child_section(const char *prefix, size_t i)
{
	if (*prefix == '\0')
		return g_strdup_printf("%zu", i + 1);
	return g_strdup_printf("%s.%zu", prefix, i + 1);
}

static int
body_multipart(struct imap_decoder *dec, const struct imap_arg *arg, unsigned depth,
	       struct imap_body *body)
{
	const struct imap_arg *a = arg->children;
	size_t n = arg->n_children, nparts = 0;
	struct imap_body *parts;

	while (nparts < n && a[nparts].type == IMAP_ARG_LIST)
		nparts++;
	if (nparts == n)
		return fetch_fail(dec, "multipart without a subtype");
	parts = imap_resp_alloc(dec->resp, nparts * sizeof(*parts));
	for (size_t i = 0; i < nparts; i++) {
		char *section = child_section(body->section, i);
		int ret = body_node(dec, &a[i], depth + 1, section, &parts[i]);

		g_free(section);
		if (ret < 0)
			return -1;
	}
	body->type = "multipart";
	body->parts = parts;
	body->n_parts = nparts;
	if (imap_dec_string(dec, &a[nparts], "multipart subtype", &body->subtype) < 0)
		return -1;
	/* body-ext-mpart: params, then dsp, lang, loc */
	if (n > nparts + 1) {
		GError *ignored = NULL;
		struct imap_decoder quiet = *dec;

		quiet.error = &ignored;
		if (body_params(&quiet, &a[nparts + 1], &body->params, &body->n_params) < 0)
			g_clear_error(&ignored);
		body_ext(dec, a + nparts + 2, n - nparts - 2, body);
	}
	return 0;
}

/* message/rfc822: envelope, body, lines follow the basic fields (a[7]…). */
static int
body_message(struct imap_decoder *dec, const struct imap_arg *a, size_t n, unsigned depth,
	     struct imap_body *body, size_t *next_r)
{
	struct imap_body *inner;
	char *section;
	int ret;

	if (n < 10 || a[8].type != IMAP_ARG_LIST || a[8].n_children == 0)
		return fetch_fail(dec, "message/rfc822 body");
	if (envelope(dec, &a[7], &body->envelope) < 0)
		return -1;
	inner = imap_resp_alloc(dec->resp, sizeof(*inner));
	if (a[8].children[0].type == IMAP_ARG_LIST)
		section = g_strdup(body->section);
	else
		section = g_strdup_printf("%s.1", body->section);
	ret = body_node(dec, &a[8], depth + 1, section, inner);
	g_free(section);
	if (ret < 0)
		return -1;
	body->message_body = inner;
	if (imap_dec_u64(dec, &a[9], "body lines", &body->lines) < 0)
		return -1;
	*next_r = 10;
	return 0;
}

static int
body_single(struct imap_decoder *dec, const struct imap_arg *arg, unsigned depth,
	    struct imap_body *body)
{
	const struct imap_arg *a = arg->children;
	size_t n = arg->n_children, next = 7;
	bool ok;

	if (n < 7 || imap_dec_string(dec, &a[0], "body type", &body->type) < 0 ||
	    imap_dec_string(dec, &a[1], "body subtype", &body->subtype) < 0 ||
	    body_params(dec, &a[2], &body->params, &body->n_params) < 0 ||
	    imap_dec_nstring(dec, &a[3], "body id", &body->id) < 0 ||
	    imap_dec_nstring(dec, &a[4], "body description", &body->description) < 0 ||
	    imap_dec_nstring(dec, &a[5], "body encoding", &body->encoding) < 0 ||
	    imap_dec_u64(dec, &a[6], "body size", &body->size) < 0)
		return fetch_fail(dec, "body");
	if (g_ascii_strcasecmp(body->type, "MESSAGE") == 0 &&
	    (g_ascii_strcasecmp(body->subtype, "RFC822") == 0 ||
	     g_ascii_strcasecmp(body->subtype, "GLOBAL") == 0) &&
	    n > 7 && a[7].type == IMAP_ARG_LIST) {
		if (body_message(dec, a, n, depth, body, &next) < 0)
			return -1;
	} else if (g_ascii_strcasecmp(body->type, "TEXT") == 0) {
		if (n < 8 || imap_dec_u64(dec, &a[7], "body lines", &body->lines) < 0)
			return fetch_fail(dec, "text body");
		next = 8;
	}
	/* body-ext-1part: md5, then dsp, lang, loc */
	if (n > next) {
		const char *md5 = imap_arg_nstring(&a[next], &ok);

		if (ok)
			body->md5 = md5;
		body_ext(dec, a + next + 1, n - next - 1, body);
	}
	return 0;
}

static int
body_node(struct imap_decoder *dec, const struct imap_arg *arg, unsigned depth,
	  const char *section, struct imap_body *body)
{
	if (depth > dec->limits->max_body_depth)
		return imap_fail(dec->error, IMAP_ERROR_LIMIT,
				 _("BODYSTRUCTURE nested deeper than %u"), dec->limits->max_body_depth);
	if (++dec->n_body_parts > dec->limits->max_body_parts)
		return imap_fail(dec->error, IMAP_ERROR_LIMIT,
				 ngettext("BODYSTRUCTURE has more than %u part",
					  "BODYSTRUCTURE has more than %u parts",
					  dec->limits->max_body_parts),
				 dec->limits->max_body_parts);
	if (arg->type != IMAP_ARG_LIST || arg->n_children == 0)
		return fetch_fail(dec, "BODYSTRUCTURE");
	body->section = imap_resp_strdup(dec->resp, section, strlen(section));
	if (arg->children[0].type == IMAP_ARG_LIST)
		return body_multipart(dec, arg, depth, body);
	return body_single(dec, arg, depth, body);
}

static int
bodystructure(struct imap_decoder *dec, const struct imap_arg *arg, const struct imap_body **body_r)
{
	struct imap_body *body = imap_resp_alloc(dec->resp, sizeof(*body));
	bool multi = arg->type == IMAP_ARG_LIST && arg->n_children > 0 &&
		     arg->children[0].type == IMAP_ARG_LIST;

	dec->n_body_parts = 0;
	if (body_node(dec, arg, 1, multi ? "" : "1", body) < 0)
		return -1;
	*body_r = body;
	return 0;
}

/* ======================================================================== */
/* BODY[section]<origin> data                                               */
/* ======================================================================== */

/* Splits "BODY[1.2]<0>" / "BINARY[1]" / "RFC822.TEXT". Returns 1 when name
 * is a body data item, 0 when not, -1 when it is malformed. */
static int
body_item_name(struct imap_decoder *dec, const struct imap_arg *name, struct imap_fetch_body *fb)
{
	const char *s = name->data, *lb, *rb;
	uint64_t origin;

	if (imap_arg_atom_is(name, "RFC822") || imap_arg_atom_is(name, "RFC822.HEADER") ||
	    imap_arg_atom_is(name, "RFC822.TEXT")) {
		char *up = g_ascii_strup(s, (gssize)name->len);

		fb->item = imap_resp_strdup(dec->resp, up, name->len);
		g_free(up);
		return 1;
	}
	lb = strchr(s, '[');
	if (lb == NULL)
		return 0;
	if (lb - s == 4 && g_ascii_strncasecmp(s, "BODY", 4) == 0)
		fb->item = "BODY";
	else if (lb - s == 6 && g_ascii_strncasecmp(s, "BINARY", 6) == 0)
		fb->item = "BINARY";
	else
		return 0;
	rb = strchr(lb, ']');
	if (rb == NULL)
		return fetch_fail(dec, "body section");
	fb->section = imap_resp_strdup(dec->resp, lb + 1, (size_t)(rb - lb - 1));
	if (rb[1] == '\0')
		return 1;
	if (rb[1] != '<' || s[name->len - 1] != '>' ||
	    imap_parse_number(rb + 2, (size_t)(s + name->len - 1 - (rb + 2)), UINT32_MAX, &origin) < 0)
		return fetch_fail(dec, "body origin");
	fb->has_origin = true;
	fb->origin = (uint32_t)origin;
	return 1;
}

static int
body_data(struct imap_decoder *dec, const struct imap_arg *val, struct imap_fetch_body *fb)
{
	if (val->type == IMAP_ARG_NIL)
		return 0;
	if (val->type == IMAP_ARG_LITERAL)
		fb->data = g_bytes_new_from_bytes(dec->resp->raw, val->raw_offset, val->len);
	else if (val->type == IMAP_ARG_STRING)
		fb->data = g_bytes_new(val->data, val->len);
	else
		return fetch_fail(dec, "body data");
	imap_resp_keep_bytes(dec->resp, fb->data);
	return 0;
}

/* ======================================================================== */
/* PREVIEW (RFC 8970)                                                       */
/* ======================================================================== */

/* A cleaned preview: IMAP_PREVIEW_MAX_CHARS characters of at most 4 bytes. */
#define PREVIEW_MAX_BYTES (IMAP_PREVIEW_MAX_CHARS * 4)

/* Appends one character of a preview to out (*o bytes used, room for
 * PREVIEW_MAX_BYTES): controls (C0, DEL, C1) and the bidi overrides are
 * dropped, a run of white space (line ends and the Unicode line and
 * paragraph separators too) becomes one space, never a leading one.
 * Returns whether a character was appended. */
static bool
preview_put(char *out, size_t *o, gunichar ch)
{
	if (ch == '\t' || ch == '\n' || ch == '\r' || ch == ' ' || ch == 0x2028 || ch == 0x2029) {
		if (*o == 0 || out[*o - 1] == ' ')
			return false;
		out[(*o)++] = ' ';
		return true;
	}
	if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || (ch >= 0x202a && ch <= 0x202e) ||
	    (ch >= 0x2066 && ch <= 0x2069))
		return false;
	*o += (size_t)g_unichar_to_utf8(ch, out + *o);
	return true;
}

/* Whether the eight bytes at p are printable ASCII without two spaces in
 * a row (kept as they are), tested together. A space found where there
 * is none (the test may say so of a byte after a space) only sends the
 * bytes one at a time. */
static bool
preview_plain8(const guchar *p)
{
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
	const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
	guint64 x, below, above, sp, space;

	memcpy(&x, p, 8);
	below = (x - ones * 0x20) & ~x;    /* a byte under 0x20 */
	above = (x + ones * 0x01) | x;     /* a byte over 0x7e */
	sp = x ^ (ones * ' ');
	space = (sp - ones) & ~sp & high;  /* the spaces */
	return ((below | above) & high) == 0 && (space & (space << 8)) == 0;
}

/* The text the server sent made safe to show: one line of valid UTF-8
 * (an invalid byte becomes U+FFFD), at most IMAP_PREVIEW_MAX_CHARS
 * characters however long the server's was (the walk stops there, so a
 * huge literal costs one pass at most). Built on the stack and copied
 * once into the response: a cold load cleans one a message, and a
 * GString grown a character at a time was a sixth of the reading
 * thread's time at 100,000 messages (perf). */
static const char *
preview_clean(struct imap_decoder *dec, const char *s, size_t len, size_t *len_r)
{
	char out[PREVIEW_MAX_BYTES];
	const guchar *p = (const guchar *)s, *end = p + len;
	size_t o = 0;
	unsigned n = 0;

	while (p < end && n < IMAP_PREVIEW_MAX_CHARS) {
		gunichar ch = *p;

		/* most of a preview: words kept as they are, and single spaces */
		if (end - p >= 8 && n + 8 <= IMAP_PREVIEW_MAX_CHARS &&
		    (ch != ' ' || (o > 0 && out[o - 1] != ' ')) && preview_plain8(p)) {
			memcpy(out + o, p, 8);
			o += 8;
			n += 8;
			p += 8;
			continue;
		}
		if (ch > ' ' && ch < 0x7f) {
			out[o++] = (char)ch;
			n++;
			p++;
			continue;
		}
		if (ch == ' ' && o > 0 && out[o - 1] != ' ') {
			out[o++] = ' ';
			n++;
			p++;
			continue;
		}
		if (ch == 0) {
			p++;
			continue;
		}
		if (ch < 0x80) {
			p++;
		} else {
			ch = g_utf8_get_char_validated((const char *)p, end - p);
			if (ch == (gunichar)-1 || ch == (gunichar)-2) {
				ch = 0xfffd;
				p++;
			} else {
				p = (const guchar *)g_utf8_next_char(p);
			}
		}
		n += preview_put(out, &o, ch);
	}
	if (o > 0 && out[o - 1] == ' ')
		o--;
	*len_r = o;
	return imap_resp_strdup(dec->resp, out, o);
}

/* preview-text: nstring (a literal too); NIL is "not ready" under LAZY. */
static int
fetch_preview(struct imap_decoder *dec, const struct imap_arg *val, struct imap_fetch *f)
{
	const char *data;

	f->preview = NULL;
	f->preview_len = 0;
	if (val->type == IMAP_ARG_NIL)
		return 0;
	if (val->type == IMAP_ARG_LITERAL)
		data = (const char *)g_bytes_get_data(dec->resp->raw, NULL) + val->raw_offset;
	else if (val->type == IMAP_ARG_STRING)
		data = val->data;
	else
		return fetch_fail(dec, "PREVIEW");
	f->preview = preview_clean(dec, data, val->len, &f->preview_len);
	return 0;
}

/* ======================================================================== */
/* FETCH                                                                    */
/* ======================================================================== */

static int
fetch_flags(struct imap_decoder *dec, const struct imap_arg *val, struct imap_fetch *f)
{
	if (val->type != IMAP_ARG_LIST)
		return fetch_fail(dec, "FLAGS");
	return imap_dec_strv(dec, val->children, val->n_children, true, "FLAGS", &f->flags);
}

static int
fetch_internaldate(struct imap_decoder *dec, const struct imap_arg *val, struct imap_fetch *f)
{
	if (!imap_arg_is_string(val) ||
	    imap_parse_datetime(val->data, val->len, &f->internaldate, &f->internaldate_offset) < 0)
		return fetch_fail(dec, "INTERNALDATE");
	return 0;
}

static int
fetch_modseq(struct imap_decoder *dec, const struct imap_arg *val, struct imap_fetch *f)
{
	if (val->type != IMAP_ARG_LIST || val->n_children != 1)
		return fetch_fail(dec, "MODSEQ");
	return imap_dec_u64(dec, &val->children[0], "MODSEQ", &f->modseq);
}

static int
fetch_item(struct imap_decoder *dec, const struct imap_arg *name, const struct imap_arg *val,
	   struct imap_fetch *f, struct imap_fetch_body *bodies)
{
	struct imap_fetch_body fb = {0};
	int ret;

	if (name->type != IMAP_ARG_ATOM)
		return fetch_fail(dec, "item name");
	if (imap_arg_atom_is(name, "UID")) {
		f->present |= IMAP_FETCH_UID;
		return imap_dec_u32(dec, val, "UID", true, &f->uid);
	}
	if (imap_arg_atom_is(name, "FLAGS")) {
		f->present |= IMAP_FETCH_FLAGS;
		return fetch_flags(dec, val, f);
	}
	if (imap_arg_atom_is(name, "INTERNALDATE")) {
		f->present |= IMAP_FETCH_INTERNALDATE;
		return fetch_internaldate(dec, val, f);
	}
	if (imap_arg_atom_is(name, "RFC822.SIZE")) {
		f->present |= IMAP_FETCH_RFC822_SIZE;
		return imap_dec_u64(dec, val, "RFC822.SIZE", &f->rfc822_size);
	}
	if (imap_arg_atom_is(name, "MODSEQ")) {
		f->present |= IMAP_FETCH_MODSEQ;
		return fetch_modseq(dec, val, f);
	}
	if (imap_arg_atom_is(name, "ENVELOPE")) {
		f->present |= IMAP_FETCH_ENVELOPE;
		return envelope(dec, val, &f->envelope);
	}
	if (imap_arg_atom_is(name, "PREVIEW")) {
		f->present |= IMAP_FETCH_PREVIEW;
		return fetch_preview(dec, val, f);
	}
	if (imap_arg_atom_is(name, "BODYSTRUCTURE") ||
	    (imap_arg_atom_is(name, "BODY") && val->type == IMAP_ARG_LIST)) {
		f->present |= IMAP_FETCH_BODYSTRUCTURE;
		return bodystructure(dec, val, &f->body);
	}
	ret = body_item_name(dec, name, &fb);
	if (ret <= 0)
		return ret; /* unknown item: skipped */
	if (body_data(dec, val, &fb) < 0)
		return -1;
	f->present |= IMAP_FETCH_BODY;
	bodies[f->n_bodies++] = fb;
	return 0;
}

int
imap_decode_fetch(struct imap_decoder *dec, const struct imap_arg *items, struct imap_fetch *f)
{
	const struct imap_arg *a = items->children;
	size_t n = items->n_children;
	struct imap_fetch_body *bodies;

	if (n % 2 != 0)
		return fetch_fail(dec, "item list");
	bodies = imap_resp_alloc(dec->resp, (n / 2) * sizeof(*bodies));
	f->bodies = bodies;
	for (size_t i = 0; i < n; i += 2) {
		if (fetch_item(dec, &a[i], &a[i + 1], f, bodies) < 0)
			return -1;
	}
	return 0;
}

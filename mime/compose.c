/* tern — mime/: building messages to send: replies, forwards, new messages,
 * the headers-on-top draft file and the bytes on the wire (mime.h). */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "core/text/text.h"
#include "mime/mime-private.h"

/* Lines longer than this (columns) make the body format=flowed; flowed
 * lines are wrapped at FLOW_WIDTH. */
#define FLOW_LIMIT 78
#define FLOW_WIDTH 72

G_DEFINE_QUARK(tern-mime-compose-error-quark, mime_compose_error)

/* ---- Small helpers ---- */

/* One line: every control (C0, DEL) becomes a space, trimmed. Transfer full. */
static char *
one_line(const char *s)
{
	char *out = g_strdup(s != NULL ? s : "");

	for (char *p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (!g_utf8_validate(out, -1, NULL)) {
		char *valid = g_utf8_make_valid(out, -1);

		g_free(out);
		out = valid;
	}
	return g_strstrip(out);
}

/* An addr-spec we will put on the wire: local@domain, no blank, control,
 * or bracket, one '@' (a quoted local part is not accepted). */
static bool
addr_is_valid(const char *a)
{
	const char *at;

	if (a == NULL || *a == '\0' || strlen(a) > 320)
		return false;
	at = strrchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0' || strchr(a, '@') != at)
		return false;
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\\\"", *p) != NULL)
			return false;
	for (const char *p = at + 1; *p != '\0'; p++)
		if (!((unsigned char)*p >= 0x80 || g_ascii_isalnum(*p) || *p == '-' || *p == '.'))
			return false;
	return at[1] != '.' && a[strlen(a) - 1] != '.';
}

/* Every mailbox of a list, groups flattened (transfer none, into out). */
static void
mailboxes(InternetAddressList *list, GPtrArray *out)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			g_ptr_array_add(out, ia);
		else if (INTERNET_ADDRESS_IS_GROUP(ia))
			mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				  out);
	}
}

static const char *
mbox_addr(InternetAddress *ia)
{
	return internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
}

/* A clean copy of a mailbox: name and address on one line. */
static InternetAddress *
mbox_clean(InternetAddress *ia)
{
	char *name = one_line(internet_address_get_name(ia));
	char *addr = one_line(mbox_addr(ia));
	InternetAddress *out;

	for (char *p = addr; *p != '\0'; p++)
		if (*p == ' ')
			*p = '_';
	out = internet_address_mailbox_new(name[0] != '\0' ? name : NULL, addr);
	g_free(name);
	g_free(addr);
	return out;
}

/* Address list as UTF-8 text for the draft ("Name <a@b>, c@d"). */
static char *
list_text(InternetAddressList *list)
{
	char *s = internet_address_list_to_string(list, NULL, FALSE);

	return s != NULL ? s : g_strdup("");
}

static InternetAddressList *
parse_list(const char *text)
{
	InternetAddressList *l = text != NULL ? internet_address_list_parse(NULL, text) : NULL;

	return l != NULL ? l : internet_address_list_new();
}

static void
list_append_text(InternetAddressList *dst, const char *text)
{
	InternetAddressList *l = parse_list(text);

	internet_address_list_append(dst, l);
	g_object_unref(l);
}

/* ---- mailto: URLs (RFC 6068) ---- */

/* n bytes of s percent-decoded (RFC 3986): NULL, with *error set, on a bad
 * escape, a NUL or invalid UTF-8. Transfer full. */
static char *
pct_decode(const char *s, size_t n, GError **error)
{
	GString *out = g_string_sized_new(n);

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			g_string_append_c(out, s[i]);
			continue;
		}
		if (i + 2 >= n || !g_ascii_isxdigit(s[i + 1]) || !g_ascii_isxdigit(s[i + 2]))
			goto bad;
		g_string_append_c(out, (char)(g_ascii_xdigit_value(s[i + 1]) * 16 +
					      g_ascii_xdigit_value(s[i + 2])));
		i += 2;
	}
	if (strlen(out->str) != out->len || !g_utf8_validate(out->str, out->len, NULL))
		goto bad;
	return g_string_free(out, FALSE);
bad:
	g_string_free(out, TRUE);
	g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
		    _("the mailto: URL has a bad %%-escape, a NUL or invalid UTF-8"));
	return NULL;
}

/* Every mailbox of text must be an address tern can send to; then appended
 * to *list_r (", "-separated). */
static int
mailto_addresses(const char *text, char **list_r, GError **error)
{
	char *line = one_line(text);
	InternetAddressList *l = parse_list(line);
	GPtrArray *mb = g_ptr_array_new();
	int rc = 0;

	mailboxes(l, mb);
	if (mb->len == 0 && line[0] != '\0')
		rc = -1;
	for (guint i = 0; i < mb->len && rc == 0; i++)
		if (!addr_is_valid(mbox_addr(mb->pdata[i])))
			rc = -1;
	if (rc < 0) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
			    _("the mailto: URL's '%s' is not an e-mail address"), line);
	} else if (line[0] != '\0') {
		char *joined = *list_r != NULL ? g_strdup_printf("%s, %s", *list_r, line) :
						g_strdup(line);

		g_free(*list_r);
		*list_r = joined;
	}
	g_ptr_array_unref(mb);
	g_object_unref(l);
	g_free(line);
	return rc;
}

/* One hfield "name=value" (both decoded): to/cc/bcc/subject/body/in-reply-to
 * are used, any other is ignored (RFC 6068 section 3 allows that). */
static int
mailto_field(struct mime_draft *d, const char *name, const char *value, GError **error)
{
	if (g_ascii_strcasecmp(name, "to") == 0)
		return mailto_addresses(value, &d->to, error);
	if (g_ascii_strcasecmp(name, "cc") == 0)
		return mailto_addresses(value, &d->cc, error);
	if (g_ascii_strcasecmp(name, "bcc") == 0)
		return mailto_addresses(value, &d->bcc, error);
	if (g_ascii_strcasecmp(name, "subject") == 0) {
		g_free(d->subject);
		d->subject = one_line(value);
	} else if (g_ascii_strcasecmp(name, "in-reply-to") == 0) {
		char *id = one_line(value);

		g_free(d->in_reply_to);
		d->in_reply_to = NULL;
		if (id[0] == '<' && id[strlen(id) - 1] == '>' && strchr(id, ' ') == NULL &&
		    strchr(id + 1, '<') == NULL)
			d->in_reply_to = g_strdup(id);
		g_free(id);
	} else if (g_ascii_strcasecmp(name, "body") == 0) {
		char **lines = g_strsplit(value, "\r\n", -1);

		g_free(d->body);
		d->body = g_strjoinv("\n", lines); /* RFC 6068: line breaks are %0D%0A */
		g_strfreev(lines);
		g_strdelimit(d->body, "\r", '\n');
		if (d->body[0] != '\0' && !g_str_has_suffix(d->body, "\n")) {
			char *b = g_strconcat(d->body, "\n", NULL);

			g_free(d->body);
			d->body = b;
		}
	}
	return 0;
}

static int
mailto_hfields(struct mime_draft *d, const char *q, GError **error)
{
	char **fields = g_strsplit(q, "&", MIME_MAX_MAILTO_FIELDS + 1);
	int rc = 0;

	if (g_strv_length(fields) > MIME_MAX_MAILTO_FIELDS) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("the mailto: URL has more than %d fields"), MIME_MAX_MAILTO_FIELDS);
		rc = -1;
	}
	for (char **f = fields; rc == 0 && *f != NULL; f++) {
		const char *eq = strchr(*f, '=');
		char *name, *value;

		if (**f == '\0' || eq == NULL)
			continue; /* "a=b&&c=d", or a bare word: nothing to use */
		name = pct_decode(*f, eq - *f, error);
		value = name != NULL ? pct_decode(eq + 1, strlen(eq + 1), error) : NULL;
		rc = value != NULL ? mailto_field(d, name, value, error) : -1;
		g_free(name);
		g_free(value);
	}
	g_strfreev(fields);
	return rc;
}

int
mime_draft_from_mailto(const char *url, const struct mime_identities *ids,
		       struct mime_draft **d_r, GError **error)
{
	struct mime_draft *d;
	const char *q;
	char *to;
	int rc;

	*d_r = NULL;
	if (g_ascii_strncasecmp(url, "mailto:", 7) != 0 || strlen(url) > MIME_MAX_MAILTO) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("not a mailto: URL of at most %d bytes"), MIME_MAX_MAILTO);
		return -1;
	}
	url += 7;
	q = strchr(url, '?');
	to = pct_decode(url, q != NULL ? (size_t)(q - url) : strlen(url), error);
	if (to == NULL)
		return -1;
	d = mime_draft_new(ids);
	rc = mailto_addresses(to, &d->to, error);
	g_free(to);
	if (rc == 0 && q != NULL)
		rc = mailto_hfields(d, q + 1, error);
	if (rc < 0)
		mime_draft_free(&d);
	*d_r = d;
	return rc;
}

/* List-Post (RFC 2369): "<mailto:list@host>", maybe among other URLs, or
 * "NO": the first mailto: address, or NULL. Transfer full. */
static char *
mime_message_list_post_of(GMimeMessage *m)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(m), "List-Post");
	char *found = NULL;

	if (v == NULL || strlen(v) > MIME_MAX_MAILTO)
		return NULL;
	for (const char *p = strchr(v, '<'); p != NULL && found == NULL;
	     p = strchr(p + 1, '<')) {
		const char *end = strchr(p, '>'), *q;
		char *addr;

		if (end == NULL)
			break;
		if (end - p < 8 || g_ascii_strncasecmp(p + 1, "mailto:", 7) != 0)
			continue;
		for (q = p + 8; q < end && *q != '?'; q++)
			;
		addr = pct_decode(p + 8, q - (p + 8), NULL);
		if (addr != NULL) {
			g_strstrip(addr);
			if (addr_is_valid(addr))
				found = g_strdup(addr);
		}
		g_free(addr);
	}
	return found;
}

char *
mime_message_list_post(struct mime_message *m)
{
	return m != NULL && m->message != NULL ? mime_message_list_post_of(m->message) : NULL;
}

/* ---- Identities ---- */

struct identity {
	char *display; /* "Name <a@b>" */
	char *addr;
};

struct mime_identities {
	GArray *ids; /* struct identity; [0] the default when has_default */
	bool has_default;
};

static void
identity_clear(gpointer p)
{
	struct identity *id = p;

	g_free(id->display);
	g_free(id->addr);
}

static void
identities_add(struct mime_identities *ids, const char *text)
{
	InternetAddressList *l = parse_list(text);
	GPtrArray *mb = g_ptr_array_new();

	mailboxes(l, mb);
	for (guint i = 0; i < mb->len; i++) {
		InternetAddress *c = mbox_clean(mb->pdata[i]);
		struct identity id;

		if (!addr_is_valid(mbox_addr(c))) {
			g_object_unref(c);
			continue;
		}
		id.addr = g_strdup(mbox_addr(c));
		id.display = internet_address_to_string(c, NULL, FALSE);
		g_array_append_val(ids->ids, id);
		g_object_unref(c);
	}
	g_ptr_array_unref(mb);
	g_object_unref(l);
}

struct mime_identities *
mime_identities_new(const char *from, const char *alternates, const char *user)
{
	struct mime_identities *ids = g_new0(struct mime_identities, 1);

	ids->ids = g_array_new(FALSE, TRUE, sizeof(struct identity));
	g_array_set_clear_func(ids->ids, identity_clear);
	if (from != NULL)
		identities_add(ids, from);
	else if (user != NULL && strchr(user, '@') != NULL)
		identities_add(ids, user);
	ids->has_default = ids->ids->len > 0;
	if (alternates != NULL) {
		char *alt = g_strdup(alternates);

		g_strdelimit(alt, " \t", ',');
		identities_add(ids, alt);
		g_free(alt);
	}
	return ids;
}

void
mime_identities_free(struct mime_identities **idsp)
{
	struct mime_identities *ids = *idsp;

	if (ids == NULL)
		return;
	g_array_unref(ids->ids);
	g_free(ids);
	*idsp = NULL;
}

const char *
mime_identities_default(const struct mime_identities *ids)
{
	if (ids == NULL || !ids->has_default)
		return NULL;
	return g_array_index(ids->ids, struct identity, 0).display;
}

GPtrArray *
mime_identities_list(const struct mime_identities *ids)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; ids != NULL && i < ids->ids->len; i++)
		g_ptr_array_add(out, g_array_index(ids->ids, struct identity, i).display);
	return out;
}

static const struct identity *
identity_of(const struct mime_identities *ids, const char *addr)
{
	for (guint i = 0; ids != NULL && addr != NULL && i < ids->ids->len; i++) {
		const struct identity *id = &g_array_index(ids->ids, struct identity, i);

		if (g_ascii_strcasecmp(id->addr, addr) == 0)
			return id;
	}
	return NULL;
}

/* ---- Drafts ---- */

struct mime_draft *
mime_draft_new(const struct mime_identities *ids)
{
	struct mime_draft *d = g_new0(struct mime_draft, 1);

	d->from = g_strdup(mime_identities_default(ids));
	d->body = g_strdup("");
	d->attach = g_ptr_array_new_with_free_func(g_free);
	return d;
}

void
mime_draft_free(struct mime_draft **dp)
{
	struct mime_draft *d = *dp;

	if (d == NULL)
		return;
	g_free(d->from);
	g_free(d->to);
	g_free(d->cc);
	g_free(d->bcc);
	g_free(d->reply_to);
	g_free(d->subject);
	g_free(d->in_reply_to);
	g_free(d->references);
	g_free(d->original);
	g_free(d->postponed);
	g_free(d->crypt);
	g_free(d->body);
	g_ptr_array_unref(d->attach);
	if (d->attach_message != NULL)
		g_bytes_unref(d->attach_message);
	g_free(d);
	*dp = NULL;
}

static InternetAddressList *
orig_list(GMimeMessage *m, GMimeAddressType type)
{
	return m != NULL ? g_mime_message_get_addresses(m, type) : NULL;
}

/* The identity the original was addressed to (To, then Cc), else the default. */
static char *
choose_from(GMimeMessage *m, const struct mime_identities *ids)
{
	static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };
	const struct identity *found = NULL;
	GPtrArray *mb = g_ptr_array_new();

	for (size_t t = 0; t < TERN_ARRAY_LEN(types); t++)
		mailboxes(orig_list(m, types[t]), mb);
	for (guint i = 0; i < mb->len && found == NULL; i++)
		found = identity_of(ids, mbox_addr(mb->pdata[i]));
	g_ptr_array_unref(mb);
	return g_strdup(found != NULL ? found->display : mime_identities_default(ids));
}

/* Add the mailboxes of src to dst (cleaned), skipping the user's own
 * (when skip_own) and any already in dst or in also (may be NULL). */
static void
list_add(InternetAddressList *dst, InternetAddressList *src, InternetAddressList *also,
	 const struct mime_identities *ids, bool skip_own)
{
	GPtrArray *mb = g_ptr_array_new(), *have = g_ptr_array_new();

	mailboxes(src, mb);
	for (guint i = 0; i < mb->len; i++) {
		const char *addr = mbox_addr(mb->pdata[i]);
		bool dup = false;

		if (!addr_is_valid(addr) || (skip_own && identity_of(ids, addr) != NULL))
			continue;
		g_ptr_array_set_size(have, 0);
		mailboxes(dst, have);
		mailboxes(also, have);
		for (guint j = 0; j < have->len && !dup; j++)
			dup = g_ascii_strcasecmp(mbox_addr(have->pdata[j]), addr) == 0;
		if (!dup) {
			InternetAddress *c = mbox_clean(mb->pdata[i]);

			internet_address_list_add(dst, c);
			g_object_unref(c);
		}
	}
	g_ptr_array_unref(have);
	g_ptr_array_unref(mb);
}

static char *
list_text_or_null(InternetAddressList *l)
{
	return internet_address_list_length(l) > 0 ? list_text(l) : NULL;
}

/* Mail-Followup-To as a list (transfer full), or NULL when there is none. */
static InternetAddressList *
followup_to(GMimeMessage *m)
{
	const char *v = m != NULL ? g_mime_object_get_header(GMIME_OBJECT(m),
							      "Mail-Followup-To") : NULL;
	InternetAddressList *l;

	if (v == NULL || strlen(v) > MIME_MAX_MAILTO)
		return NULL;
	l = parse_list(v);
	if (internet_address_list_length(l) == 0)
		g_clear_object(&l);
	return l;
}

/* The list's posting address (List-Post's first mailto:) as a list
 * (transfer full), or NULL. */
static InternetAddressList *
list_post(GMimeMessage *m)
{
	char *addr = m != NULL ? mime_message_list_post_of(m) : NULL;
	InternetAddressList *l = NULL;

	if (addr != NULL) {
		l = internet_address_list_new();
		InternetAddress *ia = internet_address_mailbox_new(NULL, addr);

		internet_address_list_add(l, ia);
		g_object_unref(ia);
		g_free(addr);
	}
	return l;
}

/* Reply to the list, or to all when the author asked for it with
 * Mail-Followup-To: the list (or Mail-Followup-To) alone, the user's own
 * addresses left out. False when there is neither (mode ALL: no MFT). */
static bool
reply_followup(InternetAddressList *to, GMimeMessage *m, enum mime_reply_mode mode,
	       const struct mime_identities *ids)
{
	InternetAddressList *l = followup_to(m);

	if (l == NULL && mode == MIME_REPLY_LIST)
		l = list_post(m);
	if (l == NULL)
		return false;
	list_add(to, l, NULL, ids, true);
	g_object_unref(l);
	return true;
}

bool
mime_message_has_list(struct mime_message *m)
{
	InternetAddressList *l;
	char *post;

	if (m == NULL || m->message == NULL)
		return false;
	if ((post = mime_message_list_post_of(m->message)) != NULL) {
		g_free(post);
		return true;
	}
	l = followup_to(m->message);
	if (l != NULL)
		g_object_unref(l);
	return l != NULL;
}

static void
reply_recipients(struct mime_draft *d, GMimeMessage *m, enum mime_reply_mode mode,
		 const struct mime_identities *ids)
{
	InternetAddressList *to = internet_address_list_new();
	InternetAddressList *cc = internet_address_list_new();
	InternetAddressList *rt = m != NULL ? g_mime_message_get_reply_to(m) : NULL;

	if (mode != MIME_REPLY_SENDER && reply_followup(to, m, mode, ids))
		goto out;
	if (rt == NULL || internet_address_list_length(rt) == 0)
		rt = orig_list(m, GMIME_ADDRESS_TYPE_FROM);
	list_add(to, rt, NULL, ids, true);
	if (internet_address_list_length(to) == 0) /* a reply to one's own message */
		list_add(to, orig_list(m, GMIME_ADDRESS_TYPE_TO), NULL, ids, false);
	if (mode == MIME_REPLY_ALL) {
		list_add(cc, orig_list(m, GMIME_ADDRESS_TYPE_TO), to, ids, true);
		list_add(cc, orig_list(m, GMIME_ADDRESS_TYPE_CC), to, ids, true);
	}
out:
	d->to = list_text_or_null(to);
	d->cc = list_text_or_null(cc);
	g_object_unref(to);
	g_object_unref(cc);
}

/* "Re: subject" without stacking (prefix "Re: ", test "re:"). */
static char *
prefixed_subject(GMimeMessage *m, const char *prefix, const char *const *seen)
{
	char *s = one_line(m != NULL ? g_mime_message_get_subject(m) : NULL);
	char *out;

	for (const char *const *p = seen; *p != NULL; p++)
		if (g_ascii_strncasecmp(s, *p, strlen(*p)) == 0)
			return s;
	out = g_strconcat(prefix, s, NULL);
	g_free(s);
	return out;
}

/* A message id as "<id>", or NULL when it holds what an id cannot. */
static char *
clean_id(const char *id)
{
	if (id == NULL || *id == '\0' || strlen(id) > 250)
		return NULL;
	for (const char *p = id; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '<' || *p == '>')
			return NULL;
	return g_strdup_printf("<%s>", id);
}

static void
reply_threading(struct mime_draft *d, GMimeMessage *m)
{
	const char *refs_raw;
	GMimeReferences *refs;
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	char *own = clean_id(m != NULL ? g_mime_message_get_message_id(m) : NULL);
	GString *out = g_string_new(NULL);

	refs_raw = m != NULL ? g_mime_object_get_header(GMIME_OBJECT(m), "References") : NULL;
	refs = refs_raw != NULL ? g_mime_references_parse(NULL, refs_raw) : NULL;
	for (int i = 0; refs != NULL && i < g_mime_references_length(refs); i++) {
		char *id = clean_id(g_mime_references_get_message_id(refs, i));

		if (id != NULL)
			g_ptr_array_add(ids, id);
	}
	if (ids->len == 0 && m != NULL) { /* no References: the parent's parent */
		const char *irt = g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To");
		GMimeReferences *r = irt != NULL ? g_mime_references_parse(NULL, irt) : NULL;
		char *id = r != NULL && g_mime_references_length(r) > 0 ?
				   clean_id(g_mime_references_get_message_id(r, 0)) :
				   NULL;

		if (id != NULL)
			g_ptr_array_add(ids, id);
		if (r != NULL)
			g_mime_references_free(r);
	}
	if (refs != NULL)
		g_mime_references_free(refs);
	if (own != NULL)
		g_ptr_array_add(ids, g_strdup(own));
	/* trimmed: the thread's root and the newest ones */
	for (guint i = 0; i < ids->len; i++) {
		if (i > 0 && i + (MIME_MAX_REFERENCES - 1) < ids->len)
			continue;
		g_string_append_printf(out, "%s%s", out->len > 0 ? " " : "",
				       (char *)ids->pdata[i]);
	}
	d->in_reply_to = own;
	d->references = out->len > 0 ? g_string_free(out, FALSE) : (g_string_free(out, TRUE), NULL);
	g_ptr_array_unref(ids);
}

/* The original's text as display lines (flowed paragraphs joined), each
 * with prefix before it; tern's notices are left out. */
static void
append_text(GString *body, struct mime_message *orig, const char *quote)
{
	struct mime_render_opts opts;
	struct mime_rendered *r;

	mime_render_opts_init(&opts);
	r = mime_render(orig, &opts);
	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		if (l->kind == MIME_LINE_NOTICE)
			continue;
		if (quote == NULL)
			g_string_append(body, l->text);
		else if (l->text[0] == '\0')
			g_string_append(body, quote);
		else
			g_string_append_printf(body, "%s%s%s", quote,
					       l->text[0] == '>' ? "" : " ", l->text);
		g_string_append_c(body, '\n');
	}
	mime_rendered_free(&r);
}

static char *
sender_name(GMimeMessage *m)
{
	GPtrArray *mb = g_ptr_array_new();
	char *name = NULL;

	mailboxes(orig_list(m, GMIME_ADDRESS_TYPE_FROM), mb);
	if (mb->len > 0) {
		const char *n = internet_address_get_name(mb->pdata[0]);

		name = one_line(n != NULL && *n != '\0' ? n : mbox_addr(mb->pdata[0]));
	}
	g_ptr_array_unref(mb);
	return name != NULL ? name : g_strdup("someone");
}

static char *
orig_date(GMimeMessage *m, const char *fmt)
{
	GDateTime *dt = m != NULL ? g_mime_message_get_date(m) : NULL;

	return dt != NULL ? g_date_time_format(dt, fmt) : NULL;
}

struct mime_draft *
mime_draft_reply(struct mime_message *orig, enum mime_reply_mode mode,
		 const struct mime_identities *ids)
{
	static const char *const seen[] = { "re:", NULL };
	struct mime_draft *d = mime_draft_new(ids);
	GMimeMessage *m = orig->message;
	GString *body = g_string_new(NULL);
	char *name = sender_name(m), *date = orig_date(m, "%a, %d %b %Y %H:%M %z");

	g_free(d->from);
	d->from = choose_from(m, ids);
	reply_recipients(d, m, mode, ids);
	d->subject = prefixed_subject(m, "Re: ", seen);
	reply_threading(d, m);
	if (date != NULL)
		g_string_append_printf(body, "On %s, %s wrote:\n", date, name);
	else
		g_string_append_printf(body, "%s wrote:\n", name);
	append_text(body, orig, ">");
	g_string_append_c(body, '\n');
	g_free(d->body);
	d->body = g_string_free(body, FALSE);
	g_free(name);
	g_free(date);
	return d;
}

/* ids (a space-separated "<a> <b>" text) added to out when not there yet. */
static void
ids_add(GPtrArray *out, const char *text)
{
	char **w = text != NULL ? g_strsplit_set(text, " \t", -1) : NULL;

	for (guint i = 0; w != NULL && w[i] != NULL; i++) {
		bool dup = w[i][0] == '\0';

		for (guint j = 0; j < out->len && !dup; j++)
			dup = strcmp(out->pdata[j], w[i]) == 0;
		if (!dup)
			g_ptr_array_add(out, g_strdup(w[i]));
	}
	g_strfreev(w);
}

/* The ids of a and b, once each, as one text; at most max kept (the first
 * and the newest), 0 = all. NULL when there is none. Transfer full. */
static char *
ids_merge(const char *a, const char *b, guint max)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(NULL);

	ids_add(ids, a);
	ids_add(ids, b);
	for (guint i = 0; i < ids->len; i++) {
		if (max > 0 && i > 0 && i + (max - 1) < ids->len)
			continue;
		g_string_append_printf(out, "%s%s", out->len > 0 ? " " : "",
				       (char *)ids->pdata[i]);
	}
	g_ptr_array_unref(ids);
	return out->len > 0 ? g_string_free(out, FALSE) : (g_string_free(out, TRUE), NULL);
}

void
mime_draft_merge(struct mime_draft *d, const struct mime_draft *more,
		 const struct mime_identities *ids)
{
	InternetAddressList *to = parse_list(d->to), *cc = internet_address_list_new();
	InternetAddressList *more_to = parse_list(more->to), *more_cc = parse_list(more->cc);
	InternetAddressList *old_cc = parse_list(d->cc);
	char *s;

	list_add(to, more_to, NULL, ids, true);
	list_add(cc, old_cc, to, ids, true);
	list_add(cc, more_cc, to, ids, true);
	g_free(d->to);
	g_free(d->cc);
	d->to = list_text_or_null(to);
	d->cc = list_text_or_null(cc);
	s = ids_merge(d->in_reply_to, more->in_reply_to, 0);
	g_free(d->in_reply_to);
	d->in_reply_to = s;
	s = ids_merge(d->references, more->references, MIME_MAX_REFERENCES);
	g_free(d->references);
	d->references = s;
	s = g_strconcat(d->body != NULL ? d->body : "", "\n",
			more->body != NULL ? more->body : "", NULL);
	g_free(d->body);
	d->body = s;
	g_object_unref(to);
	g_object_unref(cc);
	g_object_unref(more_to);
	g_object_unref(more_cc);
	g_object_unref(old_cc);
}

static void
forward_header(GString *body, GMimeMessage *m, const char *label, GMimeAddressType type)
{
	InternetAddressList *l = orig_list(m, type);
	char *t, *v;

	if (l == NULL || internet_address_list_length(l) == 0)
		return;
	t = list_text(l);
	v = one_line(t);
	g_string_append_printf(body, "%s: %s\n", label, v);
	g_free(t);
	g_free(v);
}

struct mime_draft *
mime_draft_forward(struct mime_message *orig, GBytes *orig_bytes, bool as_attachment,
		   const struct mime_identities *ids)
{
	static const char *const seen[] = { "fwd:", "fw:", NULL };
	struct mime_draft *d = mime_draft_new(ids);
	GMimeMessage *m = orig->message;
	GString *body = g_string_new("\n");

	g_free(d->from);
	d->from = choose_from(m, ids);
	d->subject = prefixed_subject(m, "Fwd: ", seen);
	if (as_attachment) {
		d->attach_message = g_bytes_ref(orig_bytes);
	} else {
		char *date = orig_date(m, "%a, %d %b %Y %H:%M:%S %z");
		char *subject = one_line(m != NULL ? g_mime_message_get_subject(m) : NULL);

		g_string_append(body, "---------- Forwarded message ----------\n");
		forward_header(body, m, "From", GMIME_ADDRESS_TYPE_FROM);
		if (date != NULL)
			g_string_append_printf(body, "Date: %s\n", date);
		g_string_append_printf(body, "Subject: %s\n", subject);
		forward_header(body, m, "To", GMIME_ADDRESS_TYPE_TO);
		forward_header(body, m, "Cc", GMIME_ADDRESS_TYPE_CC);
		g_string_append_c(body, '\n');
		append_text(body, orig, NULL);
		g_free(date);
		g_free(subject);
	}
	g_free(d->body);
	d->body = g_string_free(body, FALSE);
	return d;
}

/* An address header of m as draft text (cleaned, one line), or NULL. */
static char *
stored_list(GMimeMessage *m, GMimeAddressType type, const char *name)
{
	InternetAddressList *l = internet_address_list_new();
	char *text;

	if (type != (GMimeAddressType)-1) {
		list_add(l, orig_list(m, type), NULL, NULL, false);
	} else {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(m), name);
		InternetAddressList *p = v != NULL ? parse_list(v) : NULL;

		if (p != NULL) {
			list_add(l, p, NULL, NULL, false);
			g_object_unref(p);
		}
	}
	text = list_text_or_null(l);
	g_object_unref(l);
	return text;
}

struct mime_draft *
mime_draft_from_stored(struct mime_message *stored, const struct mime_identities *ids)
{
	struct mime_draft *d = mime_draft_new(ids);
	GMimeMessage *m = stored->message;
	GString *body = g_string_new(NULL);
	const char *v;

	if (m == NULL)
		return d;
	v = g_mime_object_get_header(GMIME_OBJECT(m), "From");
	if (v != NULL) {
		char *from = stored_list(m, GMIME_ADDRESS_TYPE_FROM, NULL);

		if (from != NULL) {
			g_free(d->from);
			d->from = from;
		}
	}
	d->to = stored_list(m, GMIME_ADDRESS_TYPE_TO, NULL);
	d->cc = stored_list(m, GMIME_ADDRESS_TYPE_CC, NULL);
	d->bcc = stored_list(m, (GMimeAddressType)-1, "Bcc");
	if (g_mime_message_get_subject(m) != NULL)
		d->subject = one_line(g_mime_message_get_subject(m));
	if ((v = g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To")) != NULL) {
		char *id = g_mime_utils_decode_message_id(v);

		d->in_reply_to = clean_id(id);
		g_free(id);
	}
	if ((v = g_mime_object_get_header(GMIME_OBJECT(m), "References")) != NULL) {
		char *r = one_line(v);

		d->references = r[0] != '\0' ? r : (g_free(r), NULL);
	}
	append_text(body, stored, NULL);
	g_free(d->body);
	d->body = g_string_free(body, FALSE);
	return d;
}

void
mime_draft_add_signature(struct mime_draft *d, const char *sig)
{
	GString *b;

	if (sig == NULL || sig[strspn(sig, " \t\r\n")] == '\0')
		return;
	b = g_string_new(d->body);
	if (b->len > 0 && b->str[b->len - 1] != '\n')
		g_string_append_c(b, '\n');
	if (!g_str_has_prefix(sig, "-- \n"))
		g_string_append(b, "-- \n");
	g_string_append(b, sig);
	if (b->str[b->len - 1] != '\n')
		g_string_append_c(b, '\n');
	g_free(d->body);
	d->body = g_string_free(b, FALSE);
}

char *
mime_draft_format(const struct mime_draft *d)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "From: %s\n", d->from != NULL ? d->from : "");
	g_string_append_printf(s, "To: %s\n", d->to != NULL ? d->to : "");
	g_string_append_printf(s, "Cc: %s\n", d->cc != NULL ? d->cc : "");
	g_string_append_printf(s, "Bcc: %s\n", d->bcc != NULL ? d->bcc : "");
	g_string_append_printf(s, "Subject: %s\n", d->subject != NULL ? d->subject : "");
	if (d->reply_to != NULL)
		g_string_append_printf(s, "Reply-To: %s\n", d->reply_to);
	if (d->in_reply_to != NULL)
		g_string_append_printf(s, "In-Reply-To: %s\n", d->in_reply_to);
	if (d->references != NULL)
		g_string_append_printf(s, "References: %s\n", d->references);
	for (guint i = 0; i < d->attach->len; i++)
		g_string_append_printf(s, "Attach: %s\n", (char *)d->attach->pdata[i]);
	if (d->original != NULL)
		g_string_append_printf(s, "X-Tern-Original: %s\n", d->original);
	if (d->postponed != NULL)
		g_string_append_printf(s, "X-Tern-Postponed: %s\n", d->postponed);
	if (d->crypt != NULL)
		g_string_append_printf(s, "X-Tern-Crypt: %s\n", d->crypt);
	g_string_append_c(s, '\n');
	g_string_append(s, d->body != NULL ? d->body : "");
	return g_string_free(s, FALSE);
}

/* ---- Reading a draft back ---- */

enum draft_field { DF_FROM, DF_TO, DF_CC, DF_BCC, DF_REPLY_TO, DF_SUBJECT, DF_IN_REPLY_TO,
		   DF_REFERENCES, DF_ATTACH, DF_ORIGINAL, DF_POSTPONED, DF_CRYPT, DF_COUNT };
static const char *const draft_fields[DF_COUNT] = {
	"From", "To", "Cc", "Bcc", "Reply-To", "Subject", "In-Reply-To", "References",
	"Attach", "X-Tern-Original", "X-Tern-Postponed", "X-Tern-Crypt",
};

struct header_line {
	char *name;
	char *value; /* unfolded */
	int line;
};

static void
header_line_free(gpointer p)
{
	struct header_line *h = p;

	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

/* Split the header block; *body_r points after the blank line. */
static int
split_headers(const char *text, size_t len, GPtrArray *out, const char **body_r,
	      GError **error)
{
	const char *p = text, *end = text + len;
	int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl != NULL ? nl + 1 : end;
		char *l;

		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			p = next;
			break;
		}
		l = g_strndup(p, n);
		if ((l[0] == ' ' || l[0] == '\t') && out->len > 0) {
			struct header_line *h = out->pdata[out->len - 1];
			char *v = g_strconcat(h->value, " ", g_strstrip(l), NULL);

			g_free(h->value);
			h->value = v;
		} else {
			char *colon = strchr(l, ':');
			char *blank = strpbrk(l, " \t");
			struct header_line *h;

			if (colon == NULL || colon == l || (blank != NULL && blank < colon)) {
				g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
					    _("line %d: expected a header (Name: value) or a blank "
					      "line before the text"), line);
				g_free(l);
				return -1;
			}
			h = g_new0(struct header_line, 1);
			h->name = g_strndup(l, (gsize)(colon - l));
			h->value = g_strdup(colon + 1);
			g_strstrip(h->value);
			h->line = line;
			g_ptr_array_add(out, h);
		}
		g_free(l);
		p = next;
	}
	*body_r = p;
	return 0;
}

static int
field_of(const char *name)
{
	for (int i = 0; i < DF_COUNT; i++)
		if (g_ascii_strcasecmp(name, draft_fields[i]) == 0)
			return i;
	return -1;
}

/* Split an address list on commas outside quotes and angle brackets. */
static GPtrArray *
split_addresses(const char *value)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const char *start = value;
	bool quoted = false;
	int angle = 0;

	for (const char *p = value;; p++) {
		if (*p == '\0' || (*p == ',' && !quoted && angle == 0)) {
			char *piece = g_strstrip(g_strndup(start, (gsize)(p - start)));

			if (piece[0] != '\0')
				g_ptr_array_add(out, piece);
			else
				g_free(piece);
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (*p == '"' && (p == value || p[-1] != '\\')) {
			quoted = !quoted;
		} else if (*p == '<' && !quoted) {
			angle++;
		} else if (*p == '>' && !quoted && angle > 0) {
			angle--;
		}
	}
	return out;
}

/* Angle brackets balanced (at most one pair) and quotes closed. */
static bool
piece_balanced(const char *piece)
{
	bool quoted = false;
	int open = 0, close = 0;

	for (const char *p = piece; *p != '\0'; p++) {
		if (*p == '\\' && quoted && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '<')
			open++;
		else if (!quoted && *p == '>')
			close++;
	}
	return !quoted && open == close && open <= 1;
}

/* Parse and check one address field; *text_r gets the normalised list
 * (NULL when empty). */
static int
check_addresses(const struct header_line *h, bool single, char **text_r, GError **error)
{
	GPtrArray *pieces = split_addresses(h->value);
	InternetAddressList *all = internet_address_list_new();
	int rc = 0;

	for (guint i = 0; i < pieces->len && rc == 0; i++) {
		const char *piece = pieces->pdata[i];
		InternetAddressList *l = internet_address_list_parse(NULL, piece);
		GPtrArray *mb = g_ptr_array_new();

		mailboxes(l, mb);
		if (mb->len != 1 || !addr_is_valid(mbox_addr(mb->pdata[0])) ||
		    !piece_balanced(piece)) {
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
				    _("line %d: %s: '%s' is not an e-mail address"), h->line,
				    h->name, piece);
			rc = -1;
		} else {
			InternetAddress *c = mbox_clean(mb->pdata[0]);

			internet_address_list_add(all, c);
			g_object_unref(c);
		}
		g_ptr_array_unref(mb);
		if (l != NULL)
			g_object_unref(l);
	}
	if (rc == 0 && single && pieces->len > 1) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
			    _("line %d: %s: one address only"), h->line, h->name);
		rc = -1;
	}
	if (rc == 0)
		*text_r = list_text_or_null(all);
	g_object_unref(all);
	g_ptr_array_unref(pieces);
	return rc;
}

/* X-Tern-Crypt: sign, encrypt, both or none; another word is an error (a
 * typo must not send in clear what was meant to be encrypted). */
static int
crypt_field(const struct header_line *h, struct mime_draft *d, GError **error)
{
	struct mime_protect p = { 0 };

	if (!mime_crypt_parse(h->value, &p)) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("line %d: %s: 'sign', 'encrypt' or 'opportunistic', or 'none'"),
			    h->line, h->name);
		return -1;
	}
	g_free(d->crypt);
	d->crypt = g_strdup(mime_crypt_name(&p));
	return 0;
}

/* A header value of message ids: printable ASCII only. */
static int
check_ids(const struct header_line *h, char **text_r, GError **error)
{
	for (const char *p = h->value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
				    _("line %d: %s holds a character a message id cannot"),
				    h->line, h->name);
			return -1;
		}
	}
	*text_r = h->value[0] != '\0' ? g_strdup(h->value) : NULL;
	return 0;
}

static int
draft_set(struct mime_draft *d, int field, const struct header_line *h, GError **error)
{
	char **addr_fields[] = { [DF_FROM] = &d->from, [DF_TO] = &d->to, [DF_CC] = &d->cc,
				 [DF_BCC] = &d->bcc, [DF_REPLY_TO] = &d->reply_to };
	char *v = NULL;

	switch (field) {
	case DF_FROM:
	case DF_TO:
	case DF_CC:
	case DF_BCC:
	case DF_REPLY_TO:
		if (check_addresses(h, field == DF_FROM, &v, error) < 0)
			return -1;
		g_free(*addr_fields[field]);
		*addr_fields[field] = v;
		return 0;
	case DF_SUBJECT:
		g_free(d->subject);
		d->subject = h->value[0] != '\0' ? one_line(h->value) : NULL;
		return 0;
	case DF_IN_REPLY_TO:
	case DF_REFERENCES:
		if (check_ids(h, &v, error) < 0)
			return -1;
		g_free(field == DF_IN_REPLY_TO ? d->in_reply_to : d->references);
		*(field == DF_IN_REPLY_TO ? &d->in_reply_to : &d->references) = v;
		return 0;
	case DF_ATTACH:
		if (h->value[0] != '\0')
			g_ptr_array_add(d->attach, g_strdup(h->value));
		return 0;
	case DF_ORIGINAL:
		g_free(d->original);
		d->original = h->value[0] != '\0' ? one_line(h->value) : NULL;
		return 0;
	case DF_POSTPONED:
		g_free(d->postponed);
		d->postponed = h->value[0] != '\0' ? one_line(h->value) : NULL;
		return 0;
	case DF_CRYPT:
		return crypt_field(h, d, error);
	}
	return 0;
}

/* Is the header block that of a draft (only the draft's fields)? */
static bool
is_draft(GPtrArray *headers)
{
	for (guint i = 0; i < headers->len; i++)
		if (field_of(((struct header_line *)headers->pdata[i])->name) < 0)
			return false;
	return true;
}

static int
draft_from_headers(GPtrArray *headers, const char *body, size_t body_len,
		   struct mime_draft **d_r, GError **error)
{
	struct mime_draft *d = mime_draft_new(NULL);

	for (guint i = 0; i < headers->len; i++) {
		const struct header_line *h = headers->pdata[i];
		int f = field_of(h->name);

		if (f < 0) {
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
				    _("line %d: a draft has no header '%s' (From, To, Cc, Bcc, "
				      "Subject, Reply-To, In-Reply-To, References, Attach)"),
				    h->line, h->name);
			mime_draft_free(&d);
			return -1;
		}
		if (draft_set(d, f, h, error) < 0) {
			mime_draft_free(&d);
			return -1;
		}
	}
	g_free(d->body);
	d->body = g_utf8_make_valid(body, (gssize)body_len);
	/* CRLF from an editor that kept them */
	for (char *p = d->body, *q = d->body;; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		*q++ = *p;
		if (*p == '\0')
			break;
	}
	*d_r = d;
	return 0;
}

int
mime_draft_parse(const char *text, size_t len, struct mime_draft **d_r, GError **error)
{
	GPtrArray *headers = g_ptr_array_new_with_free_func(header_line_free);
	const char *body = NULL;
	int rc = -1;

	if (len > MIME_MAX_DRAFT) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("the draft is too large"));
	} else if (split_headers(text, len, headers, &body, error) == 0) {
		rc = draft_from_headers(headers, body, (size_t)(text + len - body), d_r, error);
	}
	g_ptr_array_unref(headers);
	return rc;
}

/* ---- Building ---- */

void
mime_outgoing_free(struct mime_outgoing **op)
{
	struct mime_outgoing *o = *op;

	if (o == NULL)
		return;
	g_free(o->message_id);
	g_free(o->sender);
	if (o->rcpts != NULL)
		g_ptr_array_unref(o->rcpts);
	if (o->data != NULL)
		g_bytes_unref(o->data);
	g_free(o->bcc_field);
	g_free(o->subject);
	g_free(o->original);
	g_free(o->crypt);
	g_free(o);
	*op = NULL;
}

/* One line of flowed text wrapped at FLOW_WIDTH (RFC 3676): soft breaks
 * end in a space; the quote prefix repeats; space-stuffing. */
static void
flow_line(GString *out, const char *line)
{
	size_t depth = strspn(line, ">");
	const char *text = line + depth;
	GString *prefix = g_string_new_len(line, (gssize)depth);
	char *content;
	const char *p;

	if (depth > 0 && *text == ' ')
		text++;
	content = g_strdup(text);
	g_strchomp(content);
	if (depth > 0 || content[0] == ' ' || g_str_has_prefix(content, "From "))
		g_string_append_c(prefix, ' ');
	p = content;
	while (g_utf8_strlen(p, -1) > FLOW_WIDTH) {
		const char *cut = g_utf8_offset_to_pointer(p, FLOW_WIDTH);
		const char *sp = cut;

		while (sp > p && *sp != ' ')
			sp--;
		if (sp == p) { /* one long word: break at the next space */
			sp = strchr(cut, ' ');
			if (sp == NULL)
				break;
		}
		g_string_append(out, prefix->str);
		g_string_append_len(out, p, sp + 1 - p);
		g_string_append_c(out, '\n');
		p = sp + 1;
	}
	g_string_append_printf(out, "%s%s\n", prefix->str, p);
	g_string_free(prefix, TRUE);
	g_free(content);
}

/* The body as sent: format=flowed when a line is too long. Transfer full. */
static char *
body_text(const char *body, bool *flowed_r)
{
	char **lines = g_strsplit(body != NULL ? body : "", "\n", -1);
	guint n = g_strv_length(lines);
	GString *out;

	*flowed_r = false;
	for (guint i = 0; i < n && !*flowed_r; i++)
		*flowed_r = g_utf8_strlen(lines[i], -1) > FLOW_LIMIT;
	if (!*flowed_r) {
		g_strfreev(lines);
		return g_strdup(body != NULL ? body : "");
	}
	out = g_string_new(NULL);
	for (guint i = 0; i < n; i++) {
		if (i == n - 1 && lines[i][0] == '\0')
			break; /* the final newline */
		if (strcmp(lines[i], "-- ") == 0)
			g_string_append(out, "-- \n");
		else
			flow_line(out, lines[i]);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

static GMimeObject *
text_part(const char *body)
{
	bool flowed;
	char *text = body_text(body, &flowed);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(part), w);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	if (flowed)
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "format", "flowed");
	g_mime_part_set_content_encoding(
		GMIME_PART(part),
		g_mime_part_get_best_content_encoding(GMIME_PART(part),
						      GMIME_ENCODING_CONSTRAINT_7BIT));
	g_object_unref(w);
	g_object_unref(st);
	g_free(text);
	return GMIME_OBJECT(part);
}

/* Read a file to attach: no symlink, a regular file, bounded, read once. */
static GBytes *
read_attachment(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	GByteArray *buf;
	struct stat st;
	int saved;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MIME_MAX_ATTACHMENT) {
		saved = fd < 0 ? errno : (!S_ISREG(st.st_mode) ? EINVAL : EFBIG);
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ATTACHMENT,
			    _("cannot attach %s: %s"), path,
			    saved == EINVAL ? _("not a regular file") : g_strerror(saved));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = g_byte_array_sized_new((guint)st.st_size);
	for (;;) {
		guint8 chunk[65536];
		ssize_t n = read(fd, chunk, sizeof chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf->len + (gsize)n > MIME_MAX_ATTACHMENT) {
			saved = n < 0 ? errno : EFBIG;
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ATTACHMENT,
				    _("cannot attach %s: %s"), path, g_strerror(saved));
			g_byte_array_unref(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
	}
	close(fd);
	return g_byte_array_free_to_bytes(buf);
}

static GMimeObject *
message_part(GBytes *data)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(g_bytes_get_data(data, NULL),
							    g_bytes_get_size(data));
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(p, mime_parser_options());
	GMimeMessagePart *mp = g_mime_message_part_new_with_message("rfc822", m);

	g_mime_object_set_disposition(GMIME_OBJECT(mp), "inline");
	if (m != NULL)
		g_object_unref(m);
	g_object_unref(p);
	g_object_unref(st);
	return GMIME_OBJECT(mp);
}

static GMimeObject *
file_part(const char *path, GBytes *data)
{
	char *ctype = g_content_type_guess(path, g_bytes_get_data(data, NULL),
					   MIN(g_bytes_get_size(data), 4096), NULL);
	char *mtype = g_content_type_get_mime_type(ctype);
	const char *type = mtype != NULL && strchr(mtype, '/') != NULL ? mtype :
									  "application/octet-stream";
	char *base = g_path_get_basename(path);
	GMimePart *part;
	GMimeStream *st;
	GMimeDataWrapper *w;

	if (g_ascii_strcasecmp(type, "message/rfc822") == 0) {
		GMimeObject *o = message_part(data);

		g_free(ctype);
		g_free(mtype);
		g_free(base);
		return o;
	}
	{
		char *major = g_strndup(type, strcspn(type, "/"));

		part = g_mime_part_new_with_type(major, strchr(type, '/') + 1);
		g_free(major);
	}
	st = g_mime_stream_mem_new_with_buffer(g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_mime_part_set_filename(part, base);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_content_encoding(
		part, g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT));
	g_object_unref(w);
	g_object_unref(st);
	g_free(ctype);
	g_free(mtype);
	g_free(base);
	return GMIME_OBJECT(part);
}

static int
add_attachments(GMimeMultipart *mp, const struct mime_draft *d, GError **error)
{
	if (d->attach->len > MIME_MAX_ATTACHMENTS) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ATTACHMENT,
			    _("too many attachments (at most %d)"), MIME_MAX_ATTACHMENTS);
		return -1;
	}
	for (guint i = 0; i < d->attach->len; i++) {
		char *path = g_strstrip(g_strdup(d->attach->pdata[i]));
		char *full = g_str_has_prefix(path, "~/") ?
				     g_build_filename(g_get_home_dir(), path + 2, NULL) :
				     g_strdup(path);
		GBytes *data = read_attachment(full, error);
		GMimeObject *o;

		g_free(path);
		if (data == NULL) {
			g_free(full);
			return -1;
		}
		o = file_part(full, data);
		g_mime_multipart_add(mp, o);
		g_object_unref(o);
		g_bytes_unref(data);
		g_free(full);
	}
	if (d->attach_message != NULL) {
		GMimeObject *o = message_part(d->attach_message);

		g_mime_multipart_add(mp, o);
		g_object_unref(o);
	}
	return 0;
}

/* The envelope: sender and every recipient once; NULL sender when From
 * is unusable. */
static void
envelope(struct mime_outgoing *o, GMimeMessage *m, InternetAddressList *bcc)
{
	static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };
	GPtrArray *mb = g_ptr_array_new();

	mailboxes(g_mime_message_get_from(m), mb);
	o->sender = mb->len > 0 ? g_strdup(mbox_addr(mb->pdata[0])) : NULL;
	g_ptr_array_set_size(mb, 0);
	for (size_t t = 0; t < TERN_ARRAY_LEN(types); t++)
		mailboxes(g_mime_message_get_addresses(m, types[t]), mb);
	mailboxes(bcc, mb);
	o->rcpts = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < mb->len; i++) {
		const char *a = mbox_addr(mb->pdata[i]);
		bool dup = false;

		for (guint j = 0; j < o->rcpts->len && !dup; j++)
			dup = g_ascii_strcasecmp(o->rcpts->pdata[j], a) == 0;
		if (!dup)
			g_ptr_array_add(o->rcpts, g_strdup(a));
	}
	g_ptr_array_unref(mb);
}

/* Every line ends in CRLF. */
static GBytes *
to_crlf(const char *s)
{
	GString *out = g_string_sized_new(strlen(s) + strlen(s) / 32);

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			g_string_append_c(out, '\r');
		g_string_append_c(out, *p);
	}
	if (out->len > 0 && out->str[out->len - 1] != '\n')
		g_string_append(out, "\r\n");
	return g_string_free_to_bytes(out);
}

/* Date, Message-ID (on From's domain) when missing; then the wire form. */
static int
finish(GMimeMessage *m, InternetAddressList *bcc, const char *original,
       struct mime_outgoing **out_r, GError **error)
{
	struct mime_outgoing *o = g_new0(struct mime_outgoing, 1);
	GMimeFormatOptions *fo = g_mime_format_options_new();
	char *s;

	envelope(o, m, bcc);
	if (o->sender == NULL || !addr_is_valid(o->sender)) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
			    _("no usable From address: set 'from' for the account, or write a "
			      "From line"));
		goto fail;
	}
	for (guint i = 0; i < o->rcpts->len; i++) {
		if (!addr_is_valid(o->rcpts->pdata[i])) {
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
				    _("'%s' is not an e-mail address"), (char *)o->rcpts->pdata[i]);
			goto fail;
		}
	}
	if (o->rcpts->len == 0) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_NO_RCPT,
			    _("the message has no recipient (To, Cc or Bcc)"));
		goto fail;
	}
	if (g_mime_message_get_date(m) == NULL) {
		GDateTime *now = g_date_time_new_now_local();

		g_mime_message_set_date(m, now);
		g_date_time_unref(now);
	}
	if (g_mime_message_get_message_id(m) == NULL) {
		char *id = g_mime_utils_generate_message_id(strrchr(o->sender, '@') + 1);

		g_mime_message_set_message_id(m, id);
		g_free(id);
	}
	o->message_id = g_strdup_printf("<%s>", g_mime_message_get_message_id(m));
	o->subject = g_strdup(g_mime_message_get_subject(m));
	o->original = g_strdup(original);
	if (internet_address_list_length(bcc) > 0) {
		char *b = internet_address_list_to_string(bcc, NULL, TRUE);

		o->bcc_field = g_strdup_printf("Bcc: %s\r\n", b);
		g_free(b);
	}
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	o->data = to_crlf(s);
	g_free(s);
	g_mime_format_options_free(fo);
	*out_r = o;
	return 0;
fail:
	g_mime_format_options_free(fo);
	mime_outgoing_free(&o);
	return -1;
}

int
mime_draft_build(const struct mime_draft *d, const struct mime_identities *ids,
		 struct mime_outgoing **out_r, GError **error)
{
	GMimeMessage *m = g_mime_message_new(FALSE);
	InternetAddressList *bcc = parse_list(d->bcc);
	const char *from = d->from != NULL ? d->from : mime_identities_default(ids);
	GMimeObject *body = text_part(d->body);
	int rc = -1;

	list_append_text(g_mime_message_get_from(m), from);
	list_append_text(g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO), d->to);
	list_append_text(g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC), d->cc);
	if (d->reply_to != NULL)
		list_append_text(g_mime_message_get_reply_to(m), d->reply_to);
	g_mime_message_set_subject(m, d->subject != NULL ? d->subject : "", "utf-8");
	if (d->in_reply_to != NULL)
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", d->in_reply_to, NULL);
	if (d->references != NULL)
		g_mime_object_set_header(GMIME_OBJECT(m), "References", d->references, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "User-Agent", "tern/" PACKAGE_VERSION, NULL);
	if (d->attach->len > 0 || d->attach_message != NULL) {
		GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mp, body);
		g_object_unref(body);
		body = GMIME_OBJECT(mp);
		if (add_attachments(mp, d, error) < 0)
			goto out;
	}
	g_mime_message_set_mime_part(m, body);
	rc = finish(m, bcc, d->original, out_r, error);
out:
	g_object_unref(body);
	g_object_unref(bcc);
	g_object_unref(m);
	return rc;
}

/* ---- A whole RFC 5322 message ---- */

static int
outgoing_from_message(const char *text, size_t len, const struct mime_identities *ids,
		      struct mime_outgoing **out_r, GError **error)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(text, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(p, mime_parser_options());
	InternetAddressList *bcc = NULL;
	char *original = NULL;
	int rc = -1;

	if (m == NULL) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("cannot read the message"));
		goto out;
	}
	if (internet_address_list_length(g_mime_message_get_from(m)) == 0)
		list_append_text(g_mime_message_get_from(m), mime_identities_default(ids));
	bcc = internet_address_list_new();
	list_add(bcc, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_BCC), NULL, ids, false);
	{
		const char *orig = g_mime_object_get_header(GMIME_OBJECT(m), "X-Tern-Original");

		original = orig != NULL ? one_line(orig) : NULL;
	}
	while (g_mime_object_remove_header(GMIME_OBJECT(m), "Bcc"))
		;
	while (g_mime_object_remove_header(GMIME_OBJECT(m), "X-Tern-Original"))
		;
	while (g_mime_object_remove_header(GMIME_OBJECT(m), "X-Tern-Postponed"))
		;
	while (g_mime_object_remove_header(GMIME_OBJECT(m), "X-Tern-Crypt"))
		;
	rc = finish(m, bcc, original, out_r, error);
out:
	if (bcc != NULL)
		g_object_unref(bcc);
	if (m != NULL)
		g_object_unref(m);
	g_free(original);
	g_object_unref(p);
	g_object_unref(st);
	return rc;
}

/* Every address of the message's To, Cc and Bcc must be usable: GMime
 * reads what it can, so a bad one is found here, by name. */
static int
check_message_addresses(const char *text, size_t len, GPtrArray *headers, GError **error)
{
	for (guint i = 0; i < headers->len; i++) {
		const struct header_line *h = headers->pdata[i];
		int f = field_of(h->name);
		char *v = NULL;

		if (f != DF_TO && f != DF_CC && f != DF_BCC && f != DF_FROM)
			continue;
		if (check_addresses(h, f == DF_FROM, &v, error) < 0)
			return -1;
		g_free(v);
	}
	return 0;
}

int
mime_outgoing_from_text(const char *text, size_t len, const struct mime_identities *ids,
			struct mime_outgoing **out_r, GError **error)
{
	GPtrArray *headers = g_ptr_array_new_with_free_func(header_line_free);
	struct mime_draft *d = NULL;
	const char *body = NULL;
	int rc = -1;

	if (len > MIME_MAX_DRAFT + MIME_MAX_ATTACHMENT * 2) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("the message is too large"));
		goto out;
	}
	if (split_headers(text, len, headers, &body, error) < 0)
		goto out;
	if (!is_draft(headers)) {
		if (check_message_addresses(text, len, headers, error) == 0)
			rc = outgoing_from_message(text, len, ids, out_r, error);
		goto out;
	}
	if (len > MIME_MAX_DRAFT) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("the draft is too large"));
		goto out;
	}
	if (draft_from_headers(headers, body, (size_t)(text + len - body), &d, error) == 0)
		rc = mime_draft_build(d, ids, out_r, error);
	if (rc == 0 && d->crypt != NULL)
		(*out_r)->crypt = g_strdup(d->crypt);
out:
	mime_draft_free(&d);
	g_ptr_array_unref(headers);
	return rc;
}

/* ---- Bounce (redirect unchanged) ---- */

/* "Name: value\r\n" with value folded by GMime as it wrote it (LF) made CRLF. */
static void
resent_field(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, "%s: ", name);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			g_string_append_c(out, '\r');
		g_string_append_c(out, *p);
	}
	if (out->str[out->len - 1] != '\n')
		g_string_append(out, "\r\n");
}

/* The recipients typed for a bounce: cleaned mailboxes, each valid, each
 * once. NULL (and error) when one is bad or there is none. */
static InternetAddressList *
bounce_rcpts(const char *to, GError **error)
{
	InternetAddressList *parsed = parse_list(to), *out = internet_address_list_new();
	GPtrArray *mb = g_ptr_array_new();

	list_add(out, parsed, NULL, NULL, false);
	mailboxes(parsed, mb);
	for (guint i = 0; i < mb->len; i++) {
		if (!addr_is_valid(mbox_addr(mb->pdata[i]))) {
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
				    _("'%s' is not an e-mail address"), mbox_addr(mb->pdata[i]));
			g_clear_object(&out);
			break;
		}
	}
	if (out != NULL && mb->len == 0 && to != NULL && strlen(to) <= MIME_MAX_MAILTO) {
		char *shown = one_line(to);

		/* GMime found no mailbox in what was typed */
		if (shown[0] != '\0') {
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
				    _("'%s' is not an e-mail address"), shown);
			g_clear_object(&out);
		}
		g_free(shown);
	}
	if (out != NULL && (internet_address_list_length(out) == 0 ||
			    (to != NULL && strlen(to) > MIME_MAX_MAILTO))) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_NO_RCPT,
			    _("no recipient to bounce the message to"));
		g_clear_object(&out);
	}
	g_ptr_array_unref(mb);
	g_object_unref(parsed);
	return out;
}

int
mime_bounce_build(GBytes *orig, const char *to, const struct mime_identities *ids,
		  struct mime_outgoing **out_r, GError **error)
{
	const char *from = mime_identities_default(ids);
	InternetAddressList *from_l = parse_list(from), *rcpts = bounce_rcpts(to, error);
	struct mime_outgoing *o;
	GPtrArray *mb = g_ptr_array_new();
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GString *out;
	GDateTime *now;
	char *s, *id;
	struct mime_message *msg;

	mailboxes(from_l, mb);
	if (rcpts == NULL || mb->len == 0 || !addr_is_valid(mbox_addr(mb->pdata[0]))) {
		if (rcpts != NULL)
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS,
				    _("no usable From address: set 'from' for the account"));
		g_clear_object(&rcpts);
		g_ptr_array_unref(mb);
		g_object_unref(from_l);
		g_mime_format_options_free(fo);
		return -1;
	}
	o = g_new0(struct mime_outgoing, 1);
	o->sender = g_strdup(mbox_addr(mb->pdata[0]));
	o->no_sent_copy = true;
	g_ptr_array_set_size(mb, 0);
	mailboxes(rcpts, mb);
	o->rcpts = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < mb->len; i++)
		g_ptr_array_add(o->rcpts, g_strdup(mbox_addr(mb->pdata[i])));
	/* RFC 5322 3.6.6: the Resent- block goes on top, the rest unchanged */
	out = g_string_new(NULL);
	s = internet_address_list_to_string(from_l, fo, TRUE);
	resent_field(out, "Resent-From", s);
	g_free(s);
	s = internet_address_list_to_string(rcpts, fo, TRUE);
	resent_field(out, "Resent-To", s);
	g_free(s);
	now = g_date_time_new_now_local();
	s = g_mime_utils_header_format_date(now);
	resent_field(out, "Resent-Date", s);
	g_free(s);
	g_date_time_unref(now);
	id = g_mime_utils_generate_message_id(strrchr(o->sender, '@') + 1);
	o->message_id = g_strdup_printf("<%s>", id);
	resent_field(out, "Resent-Message-ID", o->message_id);
	g_free(id);
	g_string_append_len(out, g_bytes_get_data(orig, NULL), (gssize)g_bytes_get_size(orig));
	o->data = g_string_free_to_bytes(out);
	msg = mime_message_parse_bytes(orig);
	if (msg->message != NULL && g_mime_message_get_subject(msg->message) != NULL)
		o->subject = one_line(g_mime_message_get_subject(msg->message));
	mime_message_free(&msg);
	g_ptr_array_unref(mb);
	g_object_unref(rcpts);
	g_object_unref(from_l);
	g_mime_format_options_free(fo);
	*out_r = o;
	return 0;
}

/* ---- Address lists for completion ---- */

static void
mailbox_entry_free(gpointer p)
{
	struct mime_mailbox *m = p;

	g_free(m->display);
	g_free(m->addr);
	g_free(m);
}

GPtrArray *
mime_address_list_split(const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(mailbox_entry_free);
	InternetAddressList *l;
	GPtrArray *mb;

	if (text == NULL || strlen(text) > MIME_MAX_HEADER_LEN)
		return out;
	l = parse_list(text);
	mb = g_ptr_array_new();
	mailboxes(l, mb);
	for (guint i = 0; i < mb->len; i++) {
		InternetAddress *c = mbox_clean(mb->pdata[i]);
		struct mime_mailbox *m;

		if (addr_is_valid(mbox_addr(c))) {
			m = g_new0(struct mime_mailbox, 1);
			m->display = internet_address_to_string(c, NULL, FALSE);
			m->addr = g_strdup(mbox_addr(c));
			g_ptr_array_add(out, m);
		}
		g_object_unref(c);
	}
	g_ptr_array_unref(mb);
	g_object_unref(l);
	return out;
}

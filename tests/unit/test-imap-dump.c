/* tern — a stable text form of decoded IMAP responses, for the golden
 * transcript tests and the fuzz target (which uses it to touch every
 * decoded field). */
#include "config.h"
#include "core/common.h"

#include "tests/unit/test-imap-dump.h"

static void
str(GString *out, const char *s)
{
	char *e;

	if (s == NULL) {
		g_string_append(out, "NIL");
		return;
	}
	e = g_strescape(s, NULL);
	g_string_append_printf(out, "\"%s\"", e);
	g_free(e);
}

static void
bytes(GString *out, const char *s, size_t len)
{
	g_string_append_printf(out, "%zu:\"", len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"')
			g_string_append_printf(out, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			g_string_append_c(out, (char)c);
		else if (c == '\r')
			g_string_append(out, "\\r");
		else if (c == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_printf(out, "\\x%02x", c);
	}
	g_string_append_c(out, '"');
}

static void
strv(GString *out, const char *const *v)
{
	g_string_append_c(out, '[');
	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			g_string_append_c(out, ' ');
		str(out, v[i]);
	}
	g_string_append_c(out, ']');
}

static void
seqset(GString *out, const struct imap_seqset *set)
{
	char *s;

	if (set == NULL) {
		g_string_append(out, "NIL");
		return;
	}
	s = imap_seqset_format(set);
	g_string_append(out, s);
	g_free(s);
}

static void
args(GString *out, const struct imap_arg *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(out, ' ');
		switch (a[i].type) {
		case IMAP_ARG_NIL: g_string_append(out, "NIL"); break;
		case IMAP_ARG_ATOM: g_string_append(out, a[i].data); break;
		case IMAP_ARG_STRING: str(out, a[i].data); break;
		case IMAP_ARG_LITERAL:
			g_string_append(out, a[i].literal8 ? "~" : "");
			g_string_append(out, "{");
			bytes(out, a[i].data, a[i].len);
			g_string_append(out, "}");
			break;
		case IMAP_ARG_LIST:
			g_string_append_c(out, '(');
			args(out, a[i].children, a[i].n_children);
			g_string_append_c(out, ')');
			break;
		}
	}
}

static void
code(GString *out, const struct imap_resp_code *c)
{
	if (c->code == IMAP_CODE_NONE)
		return;
	g_string_append_printf(out, " [%s", c->name);
	if (c->args != NULL) {
		g_string_append(out, " args=");
		str(out, c->args);
	}
	if (c->number != 0)
		g_string_append_printf(out, " number=%" G_GUINT32_FORMAT, c->number);
	if (c->modseq != 0)
		g_string_append_printf(out, " modseq=%" G_GUINT64_FORMAT, c->modseq);
	if (c->strv != NULL) {
		g_string_append(out, " strv=");
		strv(out, c->strv);
	}
	if (c->set1 != NULL) {
		g_string_append(out, " set1=");
		seqset(out, c->set1);
	}
	if (c->set2 != NULL) {
		g_string_append(out, " set2=");
		seqset(out, c->set2);
	}
	g_string_append_printf(out, "%s]", c->code == IMAP_CODE_UNKNOWN ? " (unknown)" : "");
}

static void
addresses(GString *out, const char *name, const struct imap_address_list *l)
{
	g_string_append_printf(out, " %s=(", name);
	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct imap_address *a = &l->addrs[i];

		g_string_append(out, i > 0 ? " (" : "(");
		str(out, a->name);
		g_string_append_c(out, ' ');
		str(out, a->adl);
		g_string_append_c(out, ' ');
		str(out, a->mailbox);
		g_string_append_c(out, ' ');
		str(out, a->host);
		g_string_append_c(out, ')');
	}
	g_string_append_printf(out, ")%s", l->truncated ? "+truncated" : "");
}

static void
envelope(GString *out, const struct imap_envelope *e, int indent)
{
	g_string_append_printf(out, "%*senvelope: date=", indent, "");
	str(out, e->date);
	g_string_append(out, " subject=");
	if (e->subject != NULL)
		bytes(out, e->subject, e->subject_len);
	else
		g_string_append(out, "NIL");
	addresses(out, "from", &e->from);
	addresses(out, "sender", &e->sender);
	addresses(out, "reply-to", &e->reply_to);
	addresses(out, "to", &e->to);
	addresses(out, "cc", &e->cc);
	addresses(out, "bcc", &e->bcc);
	g_string_append(out, " in-reply-to=");
	str(out, e->in_reply_to);
	g_string_append(out, " message-id=");
	str(out, e->message_id);
	g_string_append_c(out, '\n');
}

static void
params(GString *out, const char *label, const struct imap_body_param *p, size_t n)
{
	if (n == 0)
		return;
	g_string_append_printf(out, " %s=(", label);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(out, ' ');
		str(out, p[i].name);
		g_string_append_c(out, '=');
		str(out, p[i].value);
	}
	g_string_append_c(out, ')');
}

static void
body(GString *out, const struct imap_body *b, int indent)
{
	g_string_append_printf(out, "%*spart \"%s\": %s/%s", indent, "", b->section, b->type,
			       b->subtype);
	params(out, "params", b->params, b->n_params);
	if (b->n_parts == 0) {
		g_string_append(out, " id=");
		str(out, b->id);
		g_string_append(out, " desc=");
		str(out, b->description);
		g_string_append(out, " enc=");
		str(out, b->encoding);
		g_string_append_printf(out, " size=%" G_GUINT64_FORMAT " lines=%" G_GUINT64_FORMAT,
				       b->size, b->lines);
		if (b->md5 != NULL) {
			g_string_append(out, " md5=");
			str(out, b->md5);
		}
	}
	if (b->disposition != NULL) {
		g_string_append(out, " disposition=");
		str(out, b->disposition);
		params(out, "dparams", b->disposition_params, b->n_disposition_params);
	}
	if (b->language != NULL) {
		g_string_append(out, " language=");
		strv(out, b->language);
	}
	if (b->location != NULL) {
		g_string_append(out, " location=");
		str(out, b->location);
	}
	g_string_append_c(out, '\n');
	if (b->envelope != NULL)
		envelope(out, b->envelope, indent + 2);
	if (b->message_body != NULL)
		body(out, b->message_body, indent + 2);
	for (size_t i = 0; i < b->n_parts; i++)
		body(out, &b->parts[i], indent + 2);
}

static void
fetch(GString *out, const struct imap_fetch *f)
{
	g_string_append_printf(out, " seq=%" G_GUINT32_FORMAT, f->seq);
	if (f->present & IMAP_FETCH_UID)
		g_string_append_printf(out, " uid=%" G_GUINT32_FORMAT, f->uid);
	if (f->present & IMAP_FETCH_FLAGS) {
		g_string_append(out, " flags=");
		strv(out, f->flags);
	}
	if (f->present & IMAP_FETCH_INTERNALDATE)
		g_string_append_printf(out, " internaldate=%" G_GINT64_FORMAT "%+d", f->internaldate,
				       f->internaldate_offset);
	if (f->present & IMAP_FETCH_RFC822_SIZE)
		g_string_append_printf(out, " size=%" G_GUINT64_FORMAT, f->rfc822_size);
	if (f->present & IMAP_FETCH_MODSEQ)
		g_string_append_printf(out, " modseq=%" G_GUINT64_FORMAT, f->modseq);
	g_string_append_c(out, '\n');
	if (f->envelope != NULL)
		envelope(out, f->envelope, 2);
	if (f->body != NULL)
		body(out, f->body, 2);
	for (size_t i = 0; i < f->n_bodies; i++) {
		const struct imap_fetch_body *fb = &f->bodies[i];

		g_string_append_printf(out, "  %s", fb->item);
		if (fb->section != NULL)
			g_string_append_printf(out, "[%s]", fb->section);
		if (fb->has_origin)
			g_string_append_printf(out, "<%" G_GUINT32_FORMAT ">", fb->origin);
		g_string_append_c(out, ' ');
		if (fb->data != NULL) {
			gsize len;
			const char *d = g_bytes_get_data(fb->data, &len);

			bytes(out, d, len);
		} else {
			g_string_append(out, "NIL");
		}
		g_string_append_c(out, '\n');
	}
}

static void
list(GString *out, const struct imap_list *l)
{
	g_string_append(out, " attrs=");
	strv(out, l->attributes);
	g_string_append_printf(out, " flags=0x%x special=0x%x delim=", l->flags, l->special_use);
	if (l->delimiter != '\0')
		g_string_append_printf(out, "'%c'", l->delimiter);
	else
		g_string_append(out, "NIL");
	g_string_append(out, " raw=");
	bytes(out, l->raw_name, l->raw_name_len);
	g_string_append(out, " name=");
	str(out, l->name);
	if (l->old_name != NULL) {
		g_string_append(out, " oldname=");
		str(out, l->old_name);
	}
	if (l->childinfo_subscribed)
		g_string_append(out, " childinfo=subscribed");
}

static void
mstatus(GString *out, const struct imap_mailbox_status *s)
{
	g_string_append(out, " raw=");
	bytes(out, s->raw_name, s->raw_name_len);
	g_string_append(out, " name=");
	str(out, s->name);
	if (s->present & IMAP_MSTATUS_MESSAGES)
		g_string_append_printf(out, " messages=%" G_GUINT32_FORMAT, s->messages);
	if (s->present & IMAP_MSTATUS_RECENT)
		g_string_append_printf(out, " recent=%" G_GUINT32_FORMAT, s->recent);
	if (s->present & IMAP_MSTATUS_UIDNEXT)
		g_string_append_printf(out, " uidnext=%" G_GUINT32_FORMAT, s->uidnext);
	if (s->present & IMAP_MSTATUS_UIDVALIDITY)
		g_string_append_printf(out, " uidvalidity=%" G_GUINT32_FORMAT, s->uidvalidity);
	if (s->present & IMAP_MSTATUS_UNSEEN)
		g_string_append_printf(out, " unseen=%" G_GUINT32_FORMAT, s->unseen);
	if (s->present & IMAP_MSTATUS_DELETED)
		g_string_append_printf(out, " deleted=%" G_GUINT32_FORMAT, s->deleted);
	if (s->present & IMAP_MSTATUS_HIGHESTMODSEQ)
		g_string_append_printf(out, " highestmodseq=%" G_GUINT64_FORMAT, s->highestmodseq);
	if (s->present & IMAP_MSTATUS_SIZE)
		g_string_append_printf(out, " size=%" G_GUINT64_FORMAT, s->size);
}

static void
esearch(GString *out, const struct imap_esearch *e)
{
	g_string_append(out, " tag=");
	str(out, e->tag);
	if (e->uid)
		g_string_append(out, " UID");
	if (e->present & IMAP_ESEARCH_MIN)
		g_string_append_printf(out, " min=%" G_GUINT32_FORMAT, e->min);
	if (e->present & IMAP_ESEARCH_MAX)
		g_string_append_printf(out, " max=%" G_GUINT32_FORMAT, e->max);
	if (e->present & IMAP_ESEARCH_COUNT)
		g_string_append_printf(out, " count=%" G_GUINT32_FORMAT, e->count);
	if (e->present & IMAP_ESEARCH_MODSEQ)
		g_string_append_printf(out, " modseq=%" G_GUINT64_FORMAT, e->modseq);
	if (e->present & IMAP_ESEARCH_ALL) {
		g_string_append(out, " all=");
		seqset(out, e->all);
	}
	if (e->present & IMAP_ESEARCH_PARTIAL) {
		g_string_append_printf(out, " partial=%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT "=",
				       e->partial_first, e->partial_last);
		if (e->partial != NULL)
			seqset(out, e->partial);
		else
			g_string_append(out, "NIL");
	}
}

static void
thread(GString *out, const struct imap_thread *th)
{
	for (size_t t = 0; t < th->n_threads; t++) {
		size_t end = t + 1 < th->n_threads ? th->starts[t + 1] : th->n_numbers;

		g_string_append(out, " [");
		for (size_t i = th->starts[t]; i < end; i++)
			g_string_append_printf(out, i > th->starts[t] ? " %" G_GUINT32_FORMAT :
									"%" G_GUINT32_FORMAT,
					       th->numbers[i]);
		g_string_append_c(out, ']');
	}
}

static void
namespace_(GString *out, const char *label, const struct imap_namespace_entry *e, size_t n)
{
	g_string_append_printf(out, " %s=(", label);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(out, ' ');
		str(out, e[i].prefix);
		g_string_append_printf(out, "/'%c'", e[i].delimiter != '\0' ? e[i].delimiter : '0');
	}
	g_string_append_c(out, ')');
}

static void
data(GString *out, const struct imap_response *r)
{
	switch (r->type) {
	case IMAP_DATA_STATUS:
		code(out, &r->u.status.code);
		g_string_append(out, " text=");
		str(out, r->u.status.text);
		break;
	case IMAP_DATA_CONTINUATION:
		code(out, &r->u.cont.code);
		g_string_append(out, " text=");
		str(out, r->u.cont.text);
		break;
	case IMAP_DATA_CAPABILITY:
	case IMAP_DATA_ENABLED:
	case IMAP_DATA_FLAGS:
		g_string_append_c(out, ' ');
		strv(out, r->u.strv);
		break;
	case IMAP_DATA_LIST: list(out, &r->u.list); break;
	case IMAP_DATA_MAILBOX_STATUS: mstatus(out, &r->u.mstatus); break;
	case IMAP_DATA_EXISTS:
	case IMAP_DATA_RECENT:
	case IMAP_DATA_EXPUNGE:
		g_string_append_printf(out, " %" G_GUINT32_FORMAT, r->u.number);
		break;
	case IMAP_DATA_VANISHED:
		g_string_append(out, r->u.vanished.earlier ? " (EARLIER) " : " ");
		seqset(out, r->u.vanished.uids);
		break;
	case IMAP_DATA_SEARCH:
		for (size_t i = 0; i < r->u.search.n_numbers; i++)
			g_string_append_printf(out, " %" G_GUINT32_FORMAT, r->u.search.numbers[i]);
		if (r->u.search.has_modseq)
			g_string_append_printf(out, " modseq=%" G_GUINT64_FORMAT, r->u.search.modseq);
		break;
	case IMAP_DATA_ESEARCH: esearch(out, &r->u.esearch); break;
	case IMAP_DATA_THREAD: thread(out, &r->u.thread); break;
	case IMAP_DATA_FETCH: fetch(out, &r->u.fetch); return;
	case IMAP_DATA_NAMESPACE:
		namespace_(out, "personal", r->u.namespace_.personal, r->u.namespace_.n_personal);
		namespace_(out, "other", r->u.namespace_.other, r->u.namespace_.n_other);
		namespace_(out, "shared", r->u.namespace_.shared, r->u.namespace_.n_shared);
		break;
	case IMAP_DATA_UNKNOWN:
		g_string_append(out, " args: ");
		args(out, r->args, r->n_args);
		break;
	}
	g_string_append_c(out, '\n');
}

void
test_imap_dump(GString *out, const struct imap_response *r)
{
	static const char *const kinds[] = {"*", "TAGGED", "+"};

	g_string_append(out, kinds[r->kind]);
	if (r->tag != NULL)
		g_string_append_printf(out, " %s", r->tag);
	g_string_append_printf(out, " %s", r->name);
	data(out, r);
}

/* tern — ui/tui/answer: answers that start from one or several whole
 * messages: ; r / ; R / ; L / ; f (one answer to every tagged message),
 * bounce (redirect unchanged, with Resent- fields) and edit as new.
 *
 * Each gathers the messages' bytes first (the viewer's copy, the cache,
 * else one FETCH each on the open connection), then makes the draft and
 * hands it to compose.c, which owns the message being written and the
 * outbox. This file owns nothing that outlives a gathering. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "core/smtp/smtp.h"
#include "mime/mime.h"
#include "ui/send.h"
#include "ui/tui/tui-private.h"

/* Most messages one answer takes (; r on a folder tagged whole). */
#define ANSWER_MAX_TAGGED 200

struct gather;
typedef void gather_fn(struct tui *t, struct gather *g);

/* The messages' bytes, in the order of uids; `ready` runs once all are
 * here (never when one could not be had: that is said instead). */
struct gather {
	int refs;
	struct tui *t;
	enum action a;
	bool attach;            /* ; f: each original as message/rfc822 */
	char *folder;
	guint32 uidvalidity;
	GArray *uids;
	GPtrArray *raws;        /* GBytes *, NULL until fetched */
	guint waiting;
	bool failed;
	char *bounce_to;        /* bounce: the recipients typed */
	gather_fn *ready;
	GPtrArray *plain;       /* ; r R L: raws parsed, the encrypted ones decrypted
				 * (compose_decrypt_originals()), borrowed while
				 * answering; NULL: not asked */
};

static struct gather *
gather_ref(struct gather *g)
{
	g->refs++;
	return g;
}

static void
gather_unref(gpointer p)
{
	struct gather *g = p;

	if (g == NULL || --g->refs > 0)
		return;
	g_free(g->folder);
	g_array_unref(g->uids);
	g_ptr_array_unref(g->raws);
	g_free(g->bounce_to);
	g_free(g);
}

static void
gather_maybe_ready(struct gather *g)
{
	if (g->waiting > 0)
		return;
	if (g->failed)
		return; /* said already */
	if (g->t->compose != NULL && g->ready != NULL && g->bounce_to == NULL) {
		tui_error(g->t, _("A message is being written: finish it first."));
		return;
	}
	g->ready(g->t, g);
}

/* One FETCH of a gathering: which message it brings. */
struct slot {
	struct gather *g;
	guint i;
};

static void
slot_free(gpointer p)
{
	struct slot *s = p;

	gather_unref(s->g);
	g_free(s);
}

static void
gather_fetched(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data,
	       void *ud)
{
	struct tui_op *op = ud;
	struct slot *s = op->data;
	struct gather *g = s->g;
	guint i = s->i;

	(void)c;
	g->waiting--;
	if (!tui_op_current(op) || st != TERN_OK || data == NULL) {
		if (!g->failed && tui_op_current(op))
			tui_error(op->t, _("Cannot fetch the message to answer: %s"),
				  detail != NULL ? detail : _("no reason given"));
		g->failed = true;
	} else {
		g->raws->pdata[i] = g_bytes_ref(data);
	}
	gather_maybe_ready(g);
	tui_op_free(op);
}

/* The bytes of one message of the open folder, without the network, or NULL. */
static GBytes *
raw_at_hand(struct tui *t, guint32 uid)
{
	if (t->viewer.uid == uid && t->viewer.raw != NULL && t->viewer.cut_of == 0)
		return g_bytes_ref(t->viewer.raw);
	return cache_body_get(t, t->folder, uid);
}

/* Gather uids (transfer full) of the open folder, then ready(). */
static void
gather_start(struct tui *t, enum action a, GArray *uids, gather_fn *ready, struct gather **g_r)
{
	struct gather *g = g_new0(struct gather, 1);
	bool online = t->client != NULL && t->conn == CONN_READY && t->selected;

	g->refs = 1;
	g->t = t;
	g->a = a;
	g->folder = g_strdup(t->folder);
	g->uidvalidity = t->info.uidvalidity;
	g->uids = uids;
	g->raws = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g->ready = ready;
	g_ptr_array_set_size(g->raws, uids->len);
	for (guint i = 0; i < uids->len; i++)
		g->raws->pdata[i] = raw_at_hand(t, g_array_index(uids, guint32, i));
	if (g_r != NULL)
		*g_r = g;
	for (guint i = 0; i < uids->len; i++) {
		if (g->raws->pdata[i] != NULL)
			continue;
		if (!online) {
			tui_error(t, _("Offline, and the message is not in the cache: cannot answer "
				       "it."));
			g->failed = true;
			break;
		}
		struct slot *s = g_new0(struct slot, 1);

		s->g = gather_ref(g);
		s->i = i;
		g->waiting++;
		imap_client_fetch_body(t->client, g_array_index(uids, guint32, i), "", false,
				       gather_fetched, tui_op_new(t, s, slot_free));
	}
	if (g->waiting > 0)
		tui_info(t, _("Fetching the messages to answer…"));
}

/* ---- ; r, ; R, ; L, ; f ----------------------------------------------------------- */

/* The draft answering the i-th original; a decrypted parse of it when
 * there is one (g->plain). */
static struct mime_draft *
draft_of(struct gather *g, guint i, const struct mime_identities *ids)
{
	GBytes *raw = g->raws->pdata[i];
	struct mime_message *own = g->plain != NULL ? NULL : mime_message_parse_bytes(raw);
	struct mime_message *msg = own != NULL ? own : g->plain->pdata[i];
	struct mime_draft *d;

	if (g->a == ACTION_FORWARD)
		d = mime_draft_forward(msg, raw, g->attach, ids);
	else
		d = mime_draft_reply(msg, g->a == ACTION_REPLY_ALL    ? MIME_REPLY_ALL :
					  g->a == ACTION_REPLY_LIST ? MIME_REPLY_LIST :
								      MIME_REPLY_SENDER, ids);
	mime_message_free(&own);
	return d;
}

/* Each original as a file beside the draft (the draft file names its
 * attachments by path; compose_end() removes them with it). */
static bool
attach_originals(struct tui *t, struct gather *g, struct mime_draft *d)
{
	char *dir = compose_attach_dir(t);
	GError *err = NULL;

	g_clear_pointer(&d->attach_message, g_bytes_unref);
	for (guint i = 0; dir != NULL && i < g->raws->len; i++) {
		char *name = g_strdup_printf("message-%u.eml", i + 1);
		char *path = g_build_filename(dir, name, NULL);
		GBytes *b = g->raws->pdata[i];

		g_free(name);
		if (!g_file_set_contents_full(path, g_bytes_get_data(b, NULL),
					      (gssize)g_bytes_get_size(b),
					      G_FILE_SET_CONTENTS_NONE, 0600, &err)) {
			tui_error(t, _("Cannot write the message: %s"), err->message);
			g_error_free(err);
			g_free(path);
			g_free(dir);
			return false;
		}
		g_ptr_array_add(d->attach, path);
	}
	g_free(dir);
	return true;
}

/* Is one of the messages answered encrypted (pgp_encrypt_replies)? */
static bool
any_encrypted(const GPtrArray *raws)
{
	bool enc = false;

	for (guint i = 0; !enc && i < raws->len; i++) {
		struct mime_message *msg = mime_message_parse_bytes(raws->pdata[i]);

		enc = mime_message_is_encrypted(msg);
		mime_message_free(&msg);
	}
	return enc;
}

static void answer_many_ready(struct tui *t, struct gather *g);

/* The encrypted originals are decrypted: the answer quotes their text. */
static void
many_decrypted(struct tui *t, GPtrArray *raws, GPtrArray *msgs, void *ud)
{
	struct gather *g = ud;

	g->plain = msgs;
	answer_many_ready(t, g);
	g->plain = NULL;
}

static void
answer_many_ready(struct tui *t, struct gather *g)
{
	struct mime_identities *ids;
	struct mime_draft *d = NULL;
	bool encrypted = g->a != ACTION_FORWARD && t->account->pgp_encrypt_replies &&
			 any_encrypted(g->raws);

	/* Decrypted text goes only into a reply that starts encrypted, and
	 * only after a thread decrypted it (the interface never waits on
	 * gpg-agent) */
	if (encrypted && g->plain == NULL) {
		compose_decrypt_originals(t, g->raws, many_decrypted, gather_ref(g), gather_unref);
		return;
	}
	ids = send_identities(t->account);
	for (guint i = 0; i < g->raws->len; i++) {
		struct mime_draft *one = draft_of(g, i, ids);

		if (d == NULL) {
			d = one;
			continue;
		}
		if (!g->attach)
			mime_draft_merge(d, one, ids);
		mime_draft_free(&one);
	}
	if (g->attach && !attach_originals(t, g, d)) {
		mime_draft_free(&d);
		mime_identities_free(&ids);
		return;
	}
	if (g->uidvalidity != 0)
		d->original = send_original_format_set(g->a == ACTION_FORWARD, g->uidvalidity,
						       g->uids, g->folder);
	if (encrypted) {
		struct mime_protect p;

		send_protect_defaults(t->account, true, &p);
		d->crypt = g_strdup(mime_crypt_name(&p));
	}
	mime_identities_free(&ids);
	compose_begin(t, d, false);
}

/* The tagged messages' UIDs in the list's order, or NULL (said why). */
static GArray *
tagged_uids(struct tui *t)
{
	GPtrArray *tagged = message_list_tagged(t->list);
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (guint i = 0; i < tagged->len; i++)
		g_array_append_val(uids, ((struct msg *)tagged->pdata[i])->uid);
	g_ptr_array_free(tagged, TRUE);
	if (uids->len == 0 || uids->len > ANSWER_MAX_TAGGED) {
		if (uids->len == 0)
			tui_error(t, _("No message is tagged."));
		else
			tui_error(t, _("Too many tagged messages to answer at once (at most %d)."),
				  ANSWER_MAX_TAGGED);
		g_array_unref(uids);
		return NULL;
	}
	return uids;
}

static void
start_many(struct tui *t, enum action a, bool attach)
{
	GArray *uids = tagged_uids(t);
	struct gather *g = NULL;

	if (uids == NULL)
		return;
	gather_start(t, a, uids, answer_many_ready, &g);
	g->attach = attach;
	gather_maybe_ready(g);
	gather_unref(g);
}

static void
forward_how_done(struct tui *t, const char *answer, void *ud)
{
	start_many(t, ACTION_FORWARD, answer != NULL);
}

void
answer_tagged(struct tui *t, enum action a)
{
	if (t->compose != NULL)
		return;
	if (a != ACTION_FORWARD) {
		start_many(t, a, false);
		return;
	}
	prompt_start(t, PROMPT_CONFIRM,
		     _("Forward each message as an attachment? [y: attached, other: inline] "), "",
		     forward_how_done, NULL, NULL);
}

/* ---- bounce ------------------------------------------------------------------------- */

static void
bounce_ready(struct tui *t, struct gather *g)
{
	struct mime_identities *ids = send_identities(t->account);
	struct mime_outgoing *o = NULL;
	GError *err = NULL;

	for (guint i = 0; i < g->raws->len; i++) {
		if (mime_bounce_build(g->raws->pdata[i], g->bounce_to, ids, &o, &err) < 0 ||
		    compose_queue(t, o, &err) < 0) {
			tui_error(t, _("Not bounced: %s"), err->message);
			g_clear_error(&err);
			mime_outgoing_free(&o);
			break;
		}
		mime_outgoing_free(&o);
	}
	mime_identities_free(&ids);
	tui_info(t, _("Bouncing…"));
	compose_send_queued(t);
}

static void
bounce_to_done(struct tui *t, const char *text, void *ud)
{
	GArray *uids = ud;
	struct gather *g = NULL;

	if (text == NULL || *text == '\0')
		return;
	gather_start(t, ACTION_BOUNCE, g_array_ref(uids), bounce_ready, &g);
	g->bounce_to = g_strdup(text);
	gather_maybe_ready(g);
	gather_unref(g);
}

void
answer_bounce(struct tui *t, bool tagged)
{
	GArray *uids;
	struct msg *m = tui_current(t);

	if (!smtp_configured(t->account)) {
		tui_error(t, _("Account %s has neither smtp_host nor sendmail_command: tern cannot "
			       "send."), t->account->name);
		return;
	}
	if (tagged) {
		uids = tagged_uids(t);
	} else if (m == NULL) {
		tui_error(t, _("No message selected."));
		return;
	} else {
		uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		g_array_append_val(uids, m->uid);
	}
	if (uids == NULL)
		return;
	complete_prepare(t);
	prompt_start(t, PROMPT_ADDRESS,
		     ngettext("Bounce the message to: ", "Bounce the %u messages to: ", uids->len),
		     "", bounce_to_done, uids, (GDestroyNotify)g_array_unref);
}

/* ---- edit as new -------------------------------------------------------------------- */

static void
edit_new_ready(struct tui *t, struct gather *g)
{
	struct mime_identities *ids = send_identities(t->account);
	struct mime_message *msg = mime_message_parse_bytes(g->raws->pdata[0]);
	struct mime_draft *d = mime_draft_from_stored(msg, ids);
	const GPtrArray *atts = mime_message_attachments(msg);
	char *dir = NULL;
	GError *err = NULL;

	/* a new message: not an answer to what the original answered */
	g_clear_pointer(&d->in_reply_to, g_free);
	g_clear_pointer(&d->references, g_free);
	for (guint i = 0; i < atts->len; i++) {
		const struct mime_attachment *a = atts->pdata[i];
		char *path = NULL;

		if (a->depth > 0)
			continue; /* inside an attached message: it goes with it */
		if (dir == NULL && (dir = compose_attach_dir(t)) == NULL)
			break;
		if (mime_attachment_save(msg, a->index, dir, false, &path, &err) < 0) {
			tui_error(t, _("An attachment is left out: %s"), err->message);
			g_clear_error(&err);
			continue;
		}
		g_ptr_array_add(d->attach, path);
	}
	g_free(dir);
	mime_message_free(&msg);
	mime_identities_free(&ids);
	compose_begin(t, d, false);
}

void
answer_edit_new(struct tui *t)
{
	struct msg *m = tui_current(t);
	GArray *uids;
	struct gather *g = NULL;

	if (t->compose != NULL)
		return;
	if (m == NULL) {
		tui_error(t, _("No message selected."));
		return;
	}
	uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_array_append_val(uids, m->uid);
	gather_start(t, ACTION_EDIT_NEW, uids, edit_new_ready, &g);
	gather_maybe_ready(g);
	gather_unref(g);
}

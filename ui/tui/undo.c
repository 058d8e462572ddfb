/* tern — ui/tui/undo: z takes back the session's changes, newest first.
 * This file owns the undo stack.
 *
 * A flag change remembers, for each message, whether it had the flag
 * before, so undoing a tagged change gives every message its own state
 * back. It is undone on the open folder's connection (the folder must be
 * open). A move (archive, delete to Trash, move) is taken back on a
 * connection of its own, opened for it and closed after: the shared
 * connection never leaves the open folder, so nothing typed meanwhile can
 * act on the wrong folder. One move is taken back at a time. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/model/query.h"
#include "ui/tui/tui-private.h"

enum undo_kind {
	UNDO_FLAG,
	UNDO_MOVE,
};

struct undo_entry {
	enum undo_kind kind;
	char *folder;      /* where it happened */
	GArray *uids;      /* FLAG: the messages whose flag changed; MOVE: moved */
	guint flag_bit;    /* FLAG */
	bool added;        /* FLAG: added (else removed) */
	char *dest;        /* MOVE: where they went */
	GArray *dest_uids; /* MOVE: their UIDs there (COPYUID), or NULL */
	GPtrArray *mids;   /* MOVE: their Message-IDs, to find them without COPYUID */
	guint serial;      /* MOVE: made at the key; the answer finds it by this */
	bool waiting;      /* MOVE: the server has not answered yet */
};

/* A move being taken back on its own connection. */
struct undo_run {
	struct tui *t;
	struct undo_entry *e;
	struct imap_client *client;
	enum tern_status st;
	char *detail;
	guint moved;
	bool cancelled;    /* undo_free(): its callbacks only return */
};

static void
entry_free(gpointer p)
{
	struct undo_entry *e = p;

	g_free(e->folder);
	g_free(e->dest);
	if (e->uids != NULL)
		g_array_unref(e->uids);
	if (e->dest_uids != NULL)
		g_array_unref(e->dest_uids);
	if (e->mids != NULL)
		g_ptr_array_unref(e->mids);
	g_free(e);
}

static void
push(struct tui *t, struct undo_entry *e)
{
	if (t->undo == NULL)
		t->undo = g_ptr_array_new_with_free_func(entry_free);
	if (t->undo->len >= TUI_UNDO_DEPTH)
		g_ptr_array_remove_index(t->undo, 0);
	g_ptr_array_add(t->undo, e);
}

void
undo_push_flag(struct tui *t, const char *folder, const GArray *changed, guint bit, bool added)
{
	struct undo_entry *e;

	if (changed == NULL || changed->len == 0)
		return;
	e = g_new0(struct undo_entry, 1);
	e->kind = UNDO_FLAG;
	e->folder = g_strdup(folder);
	e->uids = g_array_copy((GArray *)changed);
	e->flag_bit = bit;
	e->added = added;
	push(t, e);
}

guint
undo_begin_move(struct tui *t, const char *src, const GArray *uids, const char *dest,
		GPtrArray *mids)
{
	static guint serial;
	struct undo_entry *e = g_new0(struct undo_entry, 1);

	e->kind = UNDO_MOVE;
	e->folder = g_strdup(src);
	e->uids = g_array_copy((GArray *)uids);
	e->dest = g_strdup(dest);
	e->mids = mids != NULL ? g_ptr_array_ref(mids) : NULL;
	e->serial = ++serial != 0 ? serial : ++serial;
	e->waiting = true;
	push(t, e);
	return e->serial;
}

void
undo_end_move(struct tui *t, guint serial, bool done, const GArray *dest_uids)
{
	for (guint i = 0; serial != 0 && t->undo != NULL && i < t->undo->len; i++) {
		struct undo_entry *e = t->undo->pdata[i];

		if (e->serial != serial)
			continue;
		if (!done) {
			/* it did not happen: a z that waited for it has
			 * nothing left to take back */
			if (i == t->undo->len - 1)
				t->undo_after_move = false;
			g_ptr_array_remove_index(t->undo, i);
			return;
		}
		e->waiting = false;
		if (dest_uids != NULL && dest_uids->len > 0)
			e->dest_uids = g_array_copy((GArray *)dest_uids);
		/* z came while it was on its way: now it can be taken back */
		if (t->undo_after_move && i == t->undo->len - 1) {
			t->undo_after_move = false;
			undo_last(t);
		}
		return;
	}
}

void
undo_forget_flag(struct tui *t, const GArray *uids, guint bit)
{
	struct undo_entry *e;

	if (t->undo == NULL || t->undo->len == 0)
		return;
	e = t->undo->pdata[t->undo->len - 1];
	if (e->kind == UNDO_FLAG && e->flag_bit == bit && e->uids->len <= uids->len)
		g_ptr_array_remove_index(t->undo, t->undo->len - 1);
}

void
undo_free(struct tui *t)
{
	if (t->undo_run != NULL) {
		/* Its client is freed without calling back; the entry goes. */
		struct undo_run *r = t->undo_run;

		t->undo_run = NULL;
		r->cancelled = true;
		imap_client_free(&r->client);
		entry_free(r->e);
		g_free(r->detail);
		g_free(r);
		t->undo_run = NULL;
	}
	if (t->undo != NULL)
		g_ptr_array_unref(t->undo);
	t->undo = NULL;
}

/* ---- flags ------------------------------------------------------------------- */

static void
undo_flag(struct tui *t, struct undo_entry *e)
{
	guint n = e->uids->len;

	if (!actions_change_flag(t, e->uids, e->flag_bit, !e->added))
		return;
	message_list_select_uid(t->list, g_array_index(e->uids, guint32, 0));
	tui_info(t, ngettext("Flag change undone (%u message).", "Flag change undone (%u messages).",
			     n),
		 n);
}

/* ---- moves, on a connection of their own ------------------------------------ */

static gboolean
run_free_idle(gpointer p)
{
	struct undo_run *r = p;

	imap_client_free(&r->client);
	entry_free(r->e);
	g_free(r->detail);
	g_free(r);
	return G_SOURCE_REMOVE;
}

/* The last step: say how it went, bring the open folder up to date, and
 * let the client go (not here: we are inside its callback). */
static void
run_finish(struct undo_run *r, enum tern_status st, const char *detail)
{
	struct tui *t = r->t;
	struct undo_entry *e = r->e;

	t->undo_run = NULL;
	if (st == TERN_OK) {
		if (g_strcmp0(t->folder, e->folder) == 0) {
			conn_expect_returning(t, e->mids);
			conn_sync(t); /* they come back with new UIDs */
		}
		conn_refresh_folders(t);
		tui_info(t, ngettext("Move undone (%u message back in %s).",
				     "Move undone (%u messages back in %s).", r->moved),
			 r->moved, e->folder);
	} else {
		t->undo_after_move = false; /* a z that waited stops at the failure */
		tui_error(t, _("Could not move back from %s: %s"), e->dest,
			  detail != NULL ? detail : _("no reason given"));
	}
	g_idle_add(run_free_idle, r);
	if (t->undo_after_move) {
		t->undo_after_move = false;
		undo_last(t);
	}
}

static void
moved_cb(struct imap_client *c, enum tern_status st, const char *detail,
	 const struct imap_copy_result *result, void *p)
{
	struct undo_run *r = p;

	(void)c;
	if (r->cancelled)
		return;
	(void)result;
	run_finish(r, st, detail);
}

static void
move_back(struct undo_run *r, const GArray *uids)
{
	r->moved = uids->len;
	live_expect(r->t, r->e->folder, uids->len); /* back where they were: no new mail */
	imap_client_copy(r->client, uids, r->e->folder, true, moved_cb, r);
}

static void
found_cb(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids, void *p)
{
	struct undo_run *r = p;

	(void)c;
	if (r->cancelled)
		return;
	if (st != TERN_OK) {
		run_finish(r, st, detail);
		return;
	}
	if (uids == NULL || uids->len == 0) {
		run_finish(r, TERN_ERR_MSG, _("the messages are no longer there"));
		return;
	}
	move_back(r, uids);
}

/* A search token; text is borrowed (it must outlive the search call). */
static struct query_token *
token(enum query_token_type type, const char *text)
{
	struct query_token *tk = g_new0(struct query_token, 1);

	tk->type = type;
	tk->text = (char *)text;
	return tk;
}

/* Without COPYUID: look for the messages by Message-ID
 * (OR HEADER Message-ID a OR HEADER Message-ID b ...). */
static void
find_by_mid(struct undo_run *r)
{
	GPtrArray *tokens = g_ptr_array_new_with_free_func(g_free);
	guint n = r->e->mids->len;

	for (guint i = 0; i < n; i++) {
		if (i + 1 < n)
			g_ptr_array_add(tokens, token(QUERY_TOK_ATOM, "OR"));
		g_ptr_array_add(tokens, token(QUERY_TOK_ATOM, "HEADER"));
		g_ptr_array_add(tokens, token(QUERY_TOK_STRING, "Message-ID"));
		g_ptr_array_add(tokens, token(QUERY_TOK_STRING, r->e->mids->pdata[i]));
	}
	imap_client_search(r->client, tokens, false, found_cb, r);
	g_ptr_array_unref(tokens);
}

static void
selected_cb(struct imap_client *c, enum tern_status st, const char *detail,
	    const struct imap_mailbox_info *info, void *p)
{
	struct undo_run *r = p;

	(void)c;
	if (r->cancelled)
		return;
	(void)info;
	if (st != TERN_OK) {
		run_finish(r, st, detail);
		return;
	}
	if (r->e->dest_uids != NULL)
		move_back(r, r->e->dest_uids);
	else
		find_by_mid(r);
}

static void
connected_cb(struct imap_client *c, enum tern_status st, const char *detail, void *p)
{
	struct undo_run *r = p;

	(void)c;
	if (r->cancelled)
		return;
	if (st != TERN_OK) {
		run_finish(r, st, detail);
		return;
	}
	imap_client_select(r->client, r->e->dest, false, selected_cb, r);
}

static void
undo_move(struct tui *t, struct undo_entry *e)
{
	static const struct imap_client_callbacks cb = { 0 };
	struct undo_run *r;
	const char *secret = NULL;

	if (tui_secret_get(t, &secret) < 0) {
		push(t, e); /* back on the stack: z may try again */
		return;
	}
	r = g_new0(struct undo_run, 1);
	r->t = t;
	r->e = e;
	r->client = imap_client_new(t->account, secret, &cb, r);
	t->undo_run = r;
	imap_client_connect(r->client, connected_cb, r);
	tui_info(t, _("Moving back from %s…"), e->dest);
}

/* ---- z -------------------------------------------------------------------------- */

void
undo_last(struct tui *t)
{
	struct undo_entry *e;

	if (t->undo == NULL || t->undo->len == 0) {
		tui_info(t, _("Nothing to undo."));
		return;
	}
	if (t->undo_run != NULL) {
		/* the key is not lost: the next step back follows this one */
		t->undo_after_move = true;
		tui_info(t, _("Still taking back the last move: the change before it follows."));
		return;
	}
	e = t->undo->pdata[t->undo->len - 1];
	if (e->waiting) {
		/* the key is not lost: the move is taken back once the server
		 * has done it (undo_end_move()) */
		t->undo_after_move = true;
		tui_info(t, _("The last move is still on its way to the server: it is taken back "
			      "once it is done."));
		return;
	}
	if (e->kind == UNDO_FLAG) {
		if (g_strcmp0(e->folder, t->folder) != 0) {
			tui_error(t, _("The last change was in %s: open it to undo."), e->folder);
			return;
		}
		undo_flag(t, e);
		g_ptr_array_remove_index(t->undo, t->undo->len - 1);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY) {
		tui_error(t, _("Not connected: a move is taken back only with the server."));
		return;
	}
	if (e->dest_uids == NULL && e->mids == NULL) {
		tui_error(t, _("Cannot undo: the server did not say where the messages went."));
		g_ptr_array_remove_index(t->undo, t->undo->len - 1);
		return;
	}
	/* Out of the stack, owned by the run from here. */
	g_ptr_array_set_free_func(t->undo, NULL);
	g_ptr_array_remove_index(t->undo, t->undo->len - 1);
	g_ptr_array_set_free_func(t->undo, entry_free);
	undo_move(t, e);
}

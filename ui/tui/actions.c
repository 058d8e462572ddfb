/* tern — ui/tui/actions: what each key does.
 *
 * Changes show at once and the server confirms in the background: a flag
 * change sets the flag on screen, then UID STORE; a move or delete hides
 * the messages (the selection goes to the next one), then MOVE. A refusal
 * or a lost connection puts things back and says why. z takes back the
 * last flag change or move. With ; first, an action applies to every
 * tagged message. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

static const char *const flag_seen[] = { "\\Seen", NULL };
static const char *const flag_flagged[] = { "\\Flagged", NULL };
static const char *const flag_deleted[] = { "\\Deleted", NULL };

/* ---- what an action applies to ------------------------------------------- */

/* How a change to the open folder can be made now. */
enum change_mode {
	CHANGE_NONE,  /* not at all (and the user was told why) */
	CHANGE_SEND,  /* to the server */
	CHANGE_QUEUE, /* into the cache's journal, sent on the next connect */
};

static enum change_mode
can_change(struct tui *t)
{
	if (t->folder != NULL && t->client != NULL && t->conn == CONN_READY) {
		if (!t->selected) {
			tui_error(t, _("%s is still opening; try again in a moment."), t->folder);
			return CHANGE_NONE;
		}
		if (t->info.read_only) {
			tui_error(t, _("%s is read-only."), t->folder);
			return CHANGE_NONE;
		}
		return CHANGE_SEND;
	}
	if (cache_can_queue(t))
		return CHANGE_QUEUE;
	tui_error(t, _("Not connected: the change was not made."));
	return CHANGE_NONE;
}

/* The UIDs an action applies to: the tagged messages after ;, else the
 * current one. NULL (and a message) when there are none. Transfer full. */
static GArray *
targets(struct tui *t, bool prefix)
{
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));

	if (prefix) {
		GPtrArray *tagged = message_list_tagged(t->list);

		for (guint i = 0; i < tagged->len; i++)
			g_array_append_val(uids, ((struct msg *)tagged->pdata[i])->uid);
		g_ptr_array_free(tagged, TRUE);
		if (uids->len == 0)
			tui_error(t, _("No message is tagged."));
	} else {
		struct msg *m = tui_current(t);

		if (m != NULL)
			g_array_append_val(uids, m->uid);
		else
			tui_error(t, _("No message selected."));
	}
	if (uids->len == 0) {
		g_array_unref(uids);
		return NULL;
	}
	return uids;
}

/* ---- flags ------------------------------------------------------------------ */

struct flag_data {
	GArray *uids;
	struct pending *pending; /* written ahead; ended by the answer */
	guint bit;
	const char *name;     /* IMAP flag name (static) */
	bool add;
};

static void
flag_data_free(gpointer p)
{
	struct flag_data *fd = p;

	pending_end(&fd->pending, TERN_ERR_CANCELLED);
	g_array_unref(fd->uids);
	g_free(fd);
}

/* Show a flag change (before the server confirms it, or while it waits in
 * the journal). */
static void
show_bit(struct tui *t, const GArray *uids, guint bit, bool add)
{
	for (guint i = 0; i < uids->len; i++) {
		struct msg *m = message_list_get(t->list, g_array_index(uids, guint32, i));

		if (m != NULL)
			message_list_set_flags(t->list, m, add ? m->flags | bit : m->flags & ~bit);
	}
	tui_dirty(t);
}

/* The answer to a change: a change whose answer the connection lost stays
 * in the journal, to be sent again on reconnect. True when it was queued. */
static bool
queue_if_lost(struct tui *t, struct pending **p, enum tern_status st, bool current)
{
	if (!pending_end(p, st))
		return false;
	if (current)
		tui_info(t, _("Connection lost: the change is queued and will be sent on "
			      "reconnect."));
	return true;
}

static enum store_action_kind
flag_kind(bool add)
{
	return add ? STORE_ACTION_FLAGS_ADD : STORE_ACTION_FLAGS_REMOVE;
}

static void
store_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct flag_data *fd = op->data;
	bool current = tui_op_current(op);

	if (st == TERN_OK) {
		pending_end(&fd->pending, st);
		if (current)
			cache_flag_bit(t, fd->uids, fd->bit, fd->add);
	} else if (!queue_if_lost(t, &fd->pending, st, current) && current) {
		show_bit(t, fd->uids, fd->bit, !fd->add);
		undo_forget_flag(t, fd->uids, fd->bit);
		tui_error(t, _("The server did not change the flags: %s"), detail);
	}
	tui_op_free(op);
}

/* Change a flag of uids in the open folder: send it, or queue it. */
static bool
change_flag(struct tui *t, enum change_mode mode, GArray *uids, guint bit,
	    const char *const *name, bool add)
{
	struct flag_data *fd;

	if (mode == CHANGE_QUEUE) {
		if (cache_queue(t, flag_kind(add), uids, name[0]) < 0)
			return false;
		show_bit(t, uids, bit, add);
		return true;
	}
	fd = g_new0(struct flag_data, 1);
	fd->uids = g_array_ref(uids);
	fd->pending = pending_begin(t, t->folder, t->info.uidvalidity, flag_kind(add), uids,
				    name[0]);
	fd->bit = bit;
	fd->name = name[0];
	fd->add = add;
	show_bit(t, uids, bit, add);
	imap_client_store(t->client, uids, add, name, store_done, tui_op_new(t, fd, flag_data_free));
	return true;
}

static void
queued_info(struct tui *t)
{
	tui_info(t, _("Not connected: the change is queued and will be sent on reconnect."));
}

void
actions_mark_seen(struct tui *t, guint32 uid)
{
	enum change_mode mode = CHANGE_NONE;
	GArray *uids;

	if (t->folder != NULL && t->client != NULL && t->conn == CONN_READY && t->selected &&
	    !t->info.read_only)
		mode = CHANGE_SEND;
	else if (t->conn != CONN_READY && cache_can_queue(t))
		mode = CHANGE_QUEUE;
	if (mode == CHANGE_NONE)
		return;
	uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_array_append_val(uids, uid);
	change_flag(t, mode, uids, IMAP_FLAG_SEEN, flag_seen, true);
	g_array_unref(uids);
}

static const char *const *
flag_name(guint bit)
{
	static const char *const flag_answered[] = { "\\Answered", NULL };

	return bit == IMAP_FLAG_SEEN ? flag_seen : bit == IMAP_FLAG_ANSWERED ? flag_answered :
										 flag_flagged;
}

bool
actions_change_flag(struct tui *t, GArray *uids, guint bit, bool add)
{
	enum change_mode mode = can_change(t);

	return mode != CHANGE_NONE && change_flag(t, mode, uids, bit, flag_name(bit), add);
}

/* The messages among uids whose bit is not already as add wants it: what
 * the change changes, and so what its undo gives back. Transfer full. */
static GArray *
changed_by(struct tui *t, const GArray *uids, guint bit, bool add)
{
	GArray *changed = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (guint i = 0; i < uids->len; i++) {
		guint32 uid = g_array_index(uids, guint32, i);
		struct msg *m = message_list_get(t->list, uid);

		if (m == NULL || !(m->flags & bit) == add)
			g_array_append_val(changed, uid);
	}
	return changed;
}

static void
toggle_flag(struct tui *t, bool prefix, guint bit, const char *const *name)
{
	enum change_mode mode = can_change(t);
	GArray *uids, *changed;
	struct msg *first;
	bool add;

	if (mode == CHANGE_NONE || (uids = targets(t, prefix)) == NULL)
		return;
	first = message_list_get(t->list, g_array_index(uids, guint32, 0));
	add = first == NULL || !(first->flags & bit);
	changed = changed_by(t, uids, bit, add);
	if (!change_flag(t, mode, uids, bit, name, add)) {
		g_array_unref(changed);
		g_array_unref(uids);
		return;
	}
	undo_push_flag(t, t->folder, changed, bit, add);
	g_array_unref(changed);
	if (mode == CHANGE_QUEUE)
		queued_info(t);
	else if (prefix)
		tui_info(t, ngettext("%u message changed.", "%u messages changed.", uids->len),
			 uids->len);
	g_array_unref(uids);
}

/* ---- the whole folder read (C-r) ------------------------------------------------ */

/* Every message of the open folder is in the list: not while the server
 * or the cache is still handing them in. */
static bool
list_complete(struct tui *t)
{
	if (t->cache_walk != NULL)
		return false;
	return t->conn == CONN_READY ? t->loaded : true;
}

/* The unread messages of the list (search or not, hidden ones aside):
 * what marking the folder read changes, and so what z gives back.
 * Transfer full. */
static GArray *
unread_uids(struct tui *t)
{
	GArray *all = message_list_uids(t->list);
	GArray *unread = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (guint i = 0; i < all->len; i++) {
		struct msg *m = message_list_get(t->list, g_array_index(all, guint32, i));

		if (m != NULL && !(m->flags & IMAP_FLAG_SEEN) && !m->hidden)
			g_array_append_val(unread, m->uid);
	}
	g_array_unref(all);
	return unread;
}

/* One UID STORE 1:N +FLAGS.SILENT (\Seen), N the highest UID the list
 * knows: not 1:*, which would also mark mail that came after the key and
 * that the user never saw. The journal is written ahead with the unread
 * UIDs themselves, so a lost answer sends exactly those. */
static void
send_folder_read(struct tui *t, GArray *unread)
{
	struct flag_data *fd = g_new0(struct flag_data, 1);
	guint32 last = t->top_uid;

	/* never 0, which would be "*" */
	for (guint i = 0; i < unread->len; i++)
		last = MAX(last, g_array_index(unread, guint32, i));
	fd->uids = g_array_ref(unread);
	fd->pending = pending_begin(t, t->folder, t->info.uidvalidity, STORE_ACTION_FLAGS_ADD,
				    unread, flag_seen[0]);
	fd->bit = IMAP_FLAG_SEEN;
	fd->name = flag_seen[0];
	fd->add = true;
	show_bit(t, unread, IMAP_FLAG_SEEN, true);
	imap_client_store_range(t->client, 1, last, true, flag_seen, store_done,
				tui_op_new(t, fd, flag_data_free));
}

static void
mark_folder_read(struct tui *t)
{
	enum change_mode mode = can_change(t);
	GArray *unread;

	if (mode == CHANGE_NONE)
		return;
	if (!list_complete(t)) {
		tui_error(t, _("%s is still loading; try again when all of it is here."),
			  t->folder);
		return;
	}
	unread = unread_uids(t);
	if (unread->len == 0) {
		tui_info(t, _("Every message in %s is read already."), t->folder);
		g_array_unref(unread);
		return;
	}
	if (mode == CHANGE_QUEUE) {
		if (!change_flag(t, mode, unread, IMAP_FLAG_SEEN, flag_seen, true)) {
			g_array_unref(unread);
			return;
		}
	} else {
		send_folder_read(t, unread);
	}
	undo_push_flag(t, t->folder, unread, IMAP_FLAG_SEEN, true);
	if (mode == CHANGE_QUEUE)
		queued_info(t);
	else
		tui_info(t, ngettext("Marked %u message of %s read (z takes it back).",
				     "Marked %u messages of %s read (z takes it back).", unread->len),
			 unread->len, t->folder);
	g_array_unref(unread);
}

/* ---- moves ------------------------------------------------------------------- */

struct move_data {
	struct tui *t;
	GArray *uids;
	GPtrArray *mids; /* Message-IDs, for undo without COPYUID (or NULL) */
	char *src;
	struct pending *pending; /* written ahead (not for expunge) */
	guint undo_serial;       /* its undo step, made at the key (0: none) */
	char *dest;
	bool expunge; /* delete for good: STORE \Deleted, then UID EXPUNGE */
};

static void
move_data_free(gpointer p)
{
	struct move_data *md = p;

	pending_end(&md->pending, TERN_ERR_CANCELLED);
	if (md->undo_serial != 0)
		undo_end_move(md->t, md->undo_serial, false, NULL);
	g_array_unref(md->uids);
	if (md->mids != NULL)
		g_ptr_array_unref(md->mids);
	g_free(md->src);
	g_free(md->dest);
	g_free(md);
}

static void
set_hidden(struct tui *t, const GArray *uids, bool hidden)
{
	for (guint i = 0; i < uids->len; i++) {
		struct msg *m = message_list_get(t->list, g_array_index(uids, guint32, i));

		if (m != NULL) {
			message_list_set_hidden(t->list, m, hidden);
			if (hidden)
				message_list_set_tagged(t->list, m, false);
		}
	}
	message_list_refresh(t->list);
	tui_dirty(t);
}

static void
remove_all(struct tui *t, const GArray *uids)
{
	message_list_remove_many(t->list, (const guint32 *)(void *)uids->data, uids->len);
	cache_remove(t, (const guint32 *)(void *)uids->data, uids->len);
	tui_dirty(t);
}

/* Gone from the list only: the journal keeps the move, and the cached rows
 * stay until the server did it. */
static void
forget_queued(struct tui *t, const GArray *uids)
{
	message_list_remove_many(t->list, (const guint32 *)(void *)uids->data, uids->len);
	tui_dirty(t);
}

static void
move_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_copy_result *result, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct move_data *md = op->data;
	bool current = tui_op_current(op);

	/* The undo step was made at the key: it counts only when done. */
	undo_end_move(t, md->undo_serial, st == TERN_OK,
		      result != NULL ? result->dst_uids : NULL);
	md->undo_serial = 0;
	if (queue_if_lost(t, &md->pending, st, current)) {
		if (current)
			forget_queued(t, md->uids);
		tui_op_free(op);
		return;
	}
	if (!current) {
		tui_op_free(op);
		return;
	}
	if (st != TERN_OK) {
		live_unexpect(t, md->dest, md->uids->len);
		set_hidden(t, md->uids, false);
		tui_error(t, _("Not moved to %s: %s"), md->dest, detail);
	} else {
		remove_all(t, md->uids);
		tui_info(t, ngettext("Moved %u message to %s.", "Moved %u messages to %s.",
				     md->uids->len), md->uids->len, md->dest);
		conn_refresh_folders(t);
	}
	tui_op_free(op);
}

/* After hiding: the viewer follows the selection when it has the focus. */
static void
viewer_follow(struct tui *t, const GArray *uids)
{
	bool shown = false;

	for (guint i = 0; i < uids->len; i++)
		shown = shown || g_array_index(uids, guint32, i) == t->viewer.uid;
	if (!shown)
		return;
	if (t->focus == PANE_VIEWER && t->list->sel != NULL) {
		viewer_open(t, t->list->sel);
	} else {
		viewer_close(t);
		if (t->focus == PANE_VIEWER)
			t->focus = PANE_LIST;
	}
}

/* The Message-IDs of these messages, or NULL when one has none (or there
 * are too many to look for). Transfer full. */
static GPtrArray *
message_ids(struct tui *t, const GArray *uids)
{
	GPtrArray *mids;

	if (uids->len > TUI_UNDO_MAX_FIND)
		return NULL;
	mids = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < uids->len; i++) {
		struct msg *m = message_list_get(t->list, g_array_index(uids, guint32, i));
		const char *mid = m != NULL ? message_list_message_id(t->list, m) : NULL;

		if (mid == NULL || *mid == '\0' || strpbrk(mid, "\r\n") != NULL) {
			g_ptr_array_unref(mids);
			return NULL;
		}
		g_ptr_array_add(mids, g_strdup(mid));
	}
	return mids;
}

static void
move_uids(struct tui *t, enum change_mode mode, GArray *uids, const char *dest)
{
	struct move_data *md;
	struct tui_op *op;

	if (strcmp(dest, t->folder) == 0) {
		tui_error(t, _("The messages are already in %s."), dest);
		return;
	}
	if (mode == CHANGE_QUEUE) {
		if (cache_queue(t, STORE_ACTION_MOVE, uids, dest) < 0)
			return;
		set_hidden(t, uids, true);
		viewer_follow(t, uids);
		forget_queued(t, uids);
		queued_info(t);
		return;
	}
	md = g_new0(struct move_data, 1);
	md->uids = g_array_ref(uids);
	md->mids = message_ids(t, uids);
	md->src = g_strdup(t->folder);
	md->pending = pending_begin(t, t->folder, t->info.uidvalidity, STORE_ACTION_MOVE, uids,
				    dest);
	md->dest = g_strdup(dest);
	md->t = t;
	md->undo_serial = undo_begin_move(t, md->src, uids, dest, md->mids);
	set_hidden(t, uids, true);
	viewer_follow(t, uids);
	op = tui_op_new(t, md, move_data_free);
	live_expect(t, dest, uids->len); /* the user's own: no new mail there */
	imap_client_copy(t->client, uids, dest, true, move_done, op);
}

/* Delete for good: hide, STORE +\Deleted, then UID EXPUNGE. */
static void
expunge_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct move_data *md = op->data;

	if (tui_op_current(op)) {
		if (st == TERN_OK) {
			remove_all(t, md->uids);
			tui_info(t, ngettext("Deleted %u message for good.",
					     "Deleted %u messages for good.", md->uids->len),
				 md->uids->len);
		} else {
			set_hidden(t, md->uids, false);
			tui_error(t, _("Not deleted: %s"), detail);
		}
	}
	tui_op_free(op);
}

static void
delete_store_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct move_data *md = op->data;

	if (!tui_op_current(op) || t->client == NULL) {
		tui_op_free(op);
		return;
	}
	if (st != TERN_OK) {
		set_hidden(t, md->uids, false);
		tui_error(t, _("Not deleted: %s"), detail);
		tui_op_free(op);
		return;
	}
	show_bit(t, md->uids, IMAP_FLAG_DELETED, true);
	cache_flag_bit(t, md->uids, IMAP_FLAG_DELETED, true);
	imap_client_expunge(t->client, md->uids, expunge_done, op);
}

static void
confirm_expunge(struct tui *t, const char *answer, void *ud)
{
	GArray *uids = ud;
	struct move_data *md;
	struct tui_op *op;
	enum change_mode mode;

	if (answer == NULL) {
		tui_info(t, _("Nothing deleted."));
		return;
	}
	mode = can_change(t);
	if (mode == CHANGE_QUEUE)
		tui_error(t, _("Not connected: deleting for good is never queued; nothing was "
			       "deleted."));
	if (mode != CHANGE_SEND)
		return;
	md = g_new0(struct move_data, 1);
	md->uids = g_array_ref(uids);
	md->src = g_strdup(t->folder);
	md->expunge = true;
	set_hidden(t, uids, true);
	viewer_follow(t, uids);
	op = tui_op_new(t, md, move_data_free);
	imap_client_store(t->client, uids, true, flag_deleted, delete_store_done, op);
}

static void
delete_msgs(struct tui *t, bool prefix)
{
	const char *trash = conn_role_folder(t, FOLDER_ROLE_TRASH);
	enum change_mode mode = can_change(t);
	GArray *uids;
	char *q;

	if (mode == CHANGE_NONE || (uids = targets(t, prefix)) == NULL)
		return;
	if (trash != NULL && strcmp(trash, t->folder) != 0) {
		move_uids(t, mode, uids, trash);
		g_array_unref(uids);
		return;
	}
	if (mode == CHANGE_QUEUE) {
		tui_error(t, trash == NULL ? _("Not connected, and no Trash folder is known (set "
					       "trash in the account): nothing was deleted.") :
					     _("Not connected: deleting for good is never queued; "
					       "nothing was deleted."));
		g_array_unref(uids);
		return;
	}
	q = g_strdup_printf(ngettext("Delete %u message for good (it cannot be undone)? [y/N] ",
				     "Delete %u messages for good (it cannot be undone)? [y/N] ",
				     uids->len), uids->len);
	prompt_start(t, PROMPT_CONFIRM, q, "", confirm_expunge, uids, (GDestroyNotify)g_array_unref);
	g_free(q);
}

static void
archive_msgs(struct tui *t, bool prefix)
{
	const char *dest = conn_role_folder(t, FOLDER_ROLE_ARCHIVE);
	enum change_mode mode = can_change(t);
	GArray *uids;

	if (mode == CHANGE_NONE)
		return;
	if (dest == NULL) {
		tui_error(t, _("No archive folder: the server marks none \\Archive; set "
			       "archive_folder in [ui]."));
		return;
	}
	if ((uids = targets(t, prefix)) == NULL)
		return;
	move_uids(t, mode, uids, dest);
	g_array_unref(uids);
}

/* The folder the move or copy prompt named, or NULL (said so). */
static const char *
prompted_folder(struct tui *t, const char *text)
{
	struct folder_node *n;

	if (text == NULL || *text == '\0')
		return NULL;
	n = folder_tree_find(t->folders, text);
	if (n == NULL || !n->selectable) {
		tui_error(t, _("There is no folder %s (Tab completes names)."), text);
		return NULL;
	}
	return n->name;
}

static void
move_prompt_done(struct tui *t, const char *text, void *ud)
{
	const char *dest = prompted_folder(t, text);
	enum change_mode mode;

	if (dest != NULL && (mode = can_change(t)) != CHANGE_NONE)
		move_uids(t, mode, ud, dest);
}

static void
move_msgs(struct tui *t, bool prefix)
{
	GArray *uids;
	char *label;

	if (can_change(t) == CHANGE_NONE || (uids = targets(t, prefix)) == NULL)
		return;
	label = g_strdup_printf(ngettext("Move %u message to: ", "Move %u messages to: ",
					 uids->len), uids->len);
	prompt_start(t, PROMPT_MOVE, label, "", move_prompt_done, uids,
		     (GDestroyNotify)g_array_unref);
	g_free(label);
}

/* ---- copies (C) ----------------------------------------------------------------- */

struct copy_data {
	GArray *uids;
	char *dest;
	struct pending *pending; /* written ahead; ended by the answer */
};

static void
copy_data_free(gpointer p)
{
	struct copy_data *cd = p;

	pending_end(&cd->pending, TERN_ERR_CANCELLED);
	g_array_unref(cd->uids);
	g_free(cd->dest);
	g_free(cd);
}

static void
copy_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_copy_result *result, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct copy_data *cd = op->data;
	bool current = tui_op_current(op);

	if (queue_if_lost(t, &cd->pending, st, current) || !current) {
		tui_op_free(op);
		return;
	}
	if (st != TERN_OK) {
		live_unexpect(t, cd->dest, cd->uids->len);
		tui_error(t, _("Not copied to %s: %s"), cd->dest, detail);
	} else {
		tui_info(t, ngettext("Copied %u message to %s.", "Copied %u messages to %s.",
				     cd->uids->len), cd->uids->len, cd->dest);
		conn_refresh_folders(t); /* the destination's count */
	}
	tui_op_free(op);
}

/* A copy changes nothing here, so nothing is shown before the answer and
 * z has nothing to take back (the copies are deleted like any message). */
static void
copy_uids(struct tui *t, enum change_mode mode, GArray *uids, const char *dest)
{
	struct copy_data *cd;

	if (mode == CHANGE_QUEUE) {
		if (cache_queue(t, STORE_ACTION_COPY, uids, dest) == 0)
			queued_info(t);
		return;
	}
	cd = g_new0(struct copy_data, 1);
	cd->uids = g_array_ref(uids);
	cd->dest = g_strdup(dest);
	cd->pending = pending_begin(t, t->folder, t->info.uidvalidity, STORE_ACTION_COPY, uids,
				    dest);
	tui_notice(t, ngettext("Copying %u message to %s…", "Copying %u messages to %s…",
			       uids->len), uids->len, dest);
	live_expect(t, dest, uids->len); /* the user's own: no new mail there */
	imap_client_copy(t->client, uids, dest, false, copy_done,
			 tui_op_new(t, cd, copy_data_free));
}

static void
copy_prompt_done(struct tui *t, const char *text, void *ud)
{
	const char *dest = prompted_folder(t, text);
	enum change_mode mode;

	if (dest != NULL && (mode = can_change(t)) != CHANGE_NONE)
		copy_uids(t, mode, ud, dest);
}

/* C: the folder prompt of m (PROMPT_MOVE completes folder names). */
static void
copy_msgs(struct tui *t, bool prefix)
{
	GArray *uids;
	char *label;

	if (can_change(t) == CHANGE_NONE || (uids = targets(t, prefix)) == NULL)
		return;
	label = g_strdup_printf(ngettext("Copy %u message to: ", "Copy %u messages to: ",
					 uids->len), uids->len);
	prompt_start(t, PROMPT_MOVE, label, "", copy_prompt_done, uids,
		     (GDestroyNotify)g_array_unref);
	g_free(label);
}

/* ---- moving around -------------------------------------------------------------- */

static gssize
page(const struct tui_rect *r)
{
	return r->h > 1 ? r->h - 1 : 1;
}

/* How far a move key goes in a pane of this height. */
static gssize
move_delta(enum action a, const struct tui_rect *r)
{
	switch (a) {
	case ACTION_DOWN: return 1;
	case ACTION_UP: return -1;
	case ACTION_PAGE_DOWN: return page(r);
	case ACTION_PAGE_UP: return -page(r);
	case ACTION_TOP: return -G_MAXINT32;
	default: return G_MAXINT32;
	}
}

static void next_message(struct tui *t, int dir);

static void
move_in_pane(struct tui *t, enum action a)
{
	switch (t->focus) {
	case PANE_FOLDERS:
		folder_tree_move(t->folders, move_delta(a, &t->lay.folders));
		break;
	case PANE_LIST:
		message_list_refresh(t->list);
		message_list_move(t->list, move_delta(a, &t->lay.list));
		break;
	case PANE_VIEWER:
		if (a == ACTION_TOP || a == ACTION_BOTTOM)
			viewer_scroll_to(t, a == ACTION_BOTTOM);
		else if (a == ACTION_PAGE_DOWN && viewer_at_end(t))
			next_message(t, 1); /* Space at the end reads on (mutt) */
		else
			viewer_scroll(t, move_delta(a, &t->lay.viewer));
		break;
	}
}

static void
open_message(struct tui *t, struct msg *m)
{
	viewer_open(t, m);
	t->focus = PANE_VIEWER;
	tui_relayout(t);
}

static void
open_selected(struct tui *t)
{
	struct folder_node *n;

	switch (t->focus) {
	case PANE_FOLDERS:
		n = folder_tree_selected(t->folders);
		if (n == NULL)
			return;
		if (!n->selectable) {
			folder_tree_toggle(t->folders, n);
			return;
		}
		conn_open_folder(t, n->name);
		t->focus = PANE_LIST;
		break;
	case PANE_LIST:
		message_list_refresh(t->list);
		if (t->list->sel != NULL)
			open_message(t, t->list->sel);
		break;
	case PANE_VIEWER:
		viewer_scroll(t, 1);
		break;
	}
}

/* The panes on screen now, left to right (top to bottom). */
static int
panes_shown(struct tui *t, enum tui_pane order[3])
{
	int n = 0;

	if (t->lay.folders.w > 0)
		order[n++] = PANE_FOLDERS;
	if (t->lay.list.w > 0)
		order[n++] = PANE_LIST;
	if (t->lay.viewer.w > 0 && t->viewer.uid != 0)
		order[n++] = PANE_VIEWER;
	return n;
}

static void
next_pane(struct tui *t, int dir)
{
	enum tui_pane order[3];
	int n = panes_shown(t, order), at = 0;

	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
		if (order[i] == t->focus)
			at = i;
	if (dir == 0) {
		t->focus = order[(at + 1) % n];
		return;
	}
	at += dir;
	if (at < 0 || at >= n) {
		/* l in the list without an open message: open it */
		if (dir > 0 && t->focus == PANE_LIST)
			open_selected(t);
		return;
	}
	t->focus = order[at];
}

/* The list's selection goes to the message the viewer shows. */
static void
select_current(struct tui *t)
{
	struct msg *cur = tui_current(t);

	message_list_refresh(t->list);
	if (t->focus == PANE_VIEWER && cur != NULL && cur != t->list->sel)
		message_list_select_uid(t->list, cur->uid);
}

static void
next_unread(struct tui *t, int dir)
{
	select_current(t);
	if (!message_list_next_unread(t->list, dir)) {
		tui_info(t, dir > 0 ? _("No unread message below.") : _("No unread message above."));
		return;
	}
	if (t->focus == PANE_VIEWER)
		viewer_open(t, t->list->sel);
	if (t->focus == PANE_FOLDERS)
		t->focus = PANE_LIST;
}

/* The next (previous) message in the list, read or not, opened. */
static void
next_message(struct tui *t, int dir)
{
	guint row;

	select_current(t);
	row = t->list->sel_row;
	if (t->list->sel == NULL || (dir > 0 && row + 1 >= t->list->view->len) ||
	    (dir < 0 && row == 0)) {
		tui_info(t, dir > 0 ? _("This is the last message.") :
				      _("This is the first message."));
		return;
	}
	message_list_move(t->list, dir);
	open_message(t, t->list->sel);
}

static void
close_message(struct tui *t)
{
	viewer_close(t);
	t->focus = PANE_LIST;
	if (t->zoom == LAYOUT_ZOOM_VIEWER)
		t->zoom = LAYOUT_ZOOM_NONE;
	tui_relayout(t);
}

static void
confirm_quit_done(struct tui *t, const char *answer, void *ud)
{
	(void)ud;
	if (answer != NULL)
		tui_quit(t, TERN_EXIT_OK);
}

static void
back(struct tui *t)
{
	switch (t->focus) {
	case PANE_VIEWER:
		if (!viewer_leave_mode(t, false))
			close_message(t);
		break;
	case PANE_FOLDERS:
		t->focus = PANE_LIST;
		break;
	case PANE_LIST:
		if (t->cfg->ui.confirm_quit)
			prompt_start(t, PROMPT_CONFIRM, _("Quit tern? [y/N] "), "", confirm_quit_done,
				     NULL, NULL);
		else
			tui_quit(t, TERN_EXIT_OK);
		break;
	}
}

static void
untag_all(struct tui *t)
{
	GPtrArray *tagged = message_list_tagged(t->list);

	for (guint i = 0; i < tagged->len; i++)
		message_list_set_tagged(t->list, tagged->pdata[i], false);
	if (tagged->len > 0)
		tui_info(t, ngettext("Untagged %u message.", "Untagged %u messages.", tagged->len),
			 tagged->len);
	else
		tui_info(t, _("No message is tagged."));
	g_ptr_array_free(tagged, TRUE);
	tui_dirty(t);
}

static void
drop_tags_done(struct tui *t, const char *answer, void *ud)
{
	(void)ud;
	if (answer != NULL)
		untag_all(t);
}

/* Esc: one thing at a time, the closest first. */
static void
clear_view(struct tui *t)
{
	if (t->viewer.uid != 0 && t->focus == PANE_VIEWER && viewer_leave_mode(t, true)) {
		/* back to the message's text first */
	} else if (t->viewer.uid != 0 && t->focus != PANE_FOLDERS) {
		close_message(t);
	} else if (t->search != NULL) {
		g_clear_pointer(&t->search, g_free);
		t->searching = false; /* the server's answer, still coming, is for nothing */
		message_list_set_filter(t->list, NULL);
		tui_info(t, _("Showing every message."));
	} else if (t->list->tagged > 0 && t->focus == PANE_LIST) {
		char *q = g_strdup_printf(ngettext("Drop the tag of %u message? [y/N] ",
						   "Drop the tags of %u messages? [y/N] ",
						   t->list->tagged),
					  t->list->tagged);

		prompt_start(t, PROMPT_CONFIRM, q, "", drop_tags_done, NULL, NULL);
		g_free(q);
	} else {
		g_clear_pointer(&t->message, g_free);
	}
}

/* ud: the scope (bool, true for all folders), which Tab flipped. */
static void
search_done_prompt(struct tui *t, const char *text, void *ud)
{
	const bool *all = ud;

	if (text == NULL)
		return;
	if (*text == '\0') {
		clear_view(t);
		return;
	}
	if (*all) {
		results_start(t, text);
	} else {
		results_free(t); /* this folder's matches show in its list */
		conn_search(t, text);
	}
}

static void
tag(struct tui *t)
{
	struct msg *m = tui_current(t);

	if (m == NULL) {
		tui_error(t, _("No message selected."));
		return;
	}
	message_list_set_tagged(t->list, m, !m->tagged);
	if (t->focus == PANE_LIST)
		message_list_move(t->list, 1);
}

/* Every message the list shows (the search's matches when one is on). */
static void
tag_all(struct tui *t)
{
	guint n = 0;

	message_list_refresh(t->list);
	for (guint i = 0; i < t->list->view->len; i++) {
		struct msg *m = t->list->view->pdata[i];

		if (!m->tagged) {
			message_list_set_tagged(t->list, m, true);
			n++;
		}
	}
	tui_info(t, ngettext("Tagged %u message (; applies an action to them).",
			     "Tagged %u messages (; applies an action to them).", t->list->tagged),
		 t->list->tagged);
	(void)n;
}

static void
zoom(struct tui *t)
{
	static const enum layout_zoom of_pane[] = {
		[PANE_FOLDERS] = LAYOUT_ZOOM_FOLDERS,
		[PANE_LIST] = LAYOUT_ZOOM_LIST,
		[PANE_VIEWER] = LAYOUT_ZOOM_VIEWER,
	};

	t->zoom = t->zoom != LAYOUT_ZOOM_NONE ? LAYOUT_ZOOM_NONE : of_pane[t->focus];
	tui_relayout(t);
}

/* ---- the table: what each action does ------------------------------------------ */

typedef void action_fn(struct tui *t, enum action a, bool tagged);

static void run_move(struct tui *t, enum action a, bool tagged) { move_in_pane(t, a); }
static void run_next_pane(struct tui *t, enum action a, bool tagged) { next_pane(t, 0); }
static void run_pane_left(struct tui *t, enum action a, bool tagged) { next_pane(t, -1); }
static void run_pane_right(struct tui *t, enum action a, bool tagged) { next_pane(t, 1); }
static void run_open(struct tui *t, enum action a, bool tagged) { open_selected(t); }
static void run_next_message(struct tui *t, enum action a, bool tagged) { next_message(t, 1); }
static void run_prev_message(struct tui *t, enum action a, bool tagged) { next_message(t, -1); }
static void run_back(struct tui *t, enum action a, bool tagged) { back(t); }
static void run_quit(struct tui *t, enum action a, bool tagged) { tui_quit(t, TERN_EXIT_OK); }
static void run_clear(struct tui *t, enum action a, bool tagged) { clear_view(t); }
static void run_next_unread(struct tui *t, enum action a, bool tagged) { next_unread(t, 1); }
static void run_prev_unread(struct tui *t, enum action a, bool tagged) { next_unread(t, -1); }
static void run_delete(struct tui *t, enum action a, bool tagged) { delete_msgs(t, tagged); }
static void run_archive(struct tui *t, enum action a, bool tagged) { archive_msgs(t, tagged); }
static void run_move_to(struct tui *t, enum action a, bool tagged) { move_msgs(t, tagged); }
static void run_copy_to(struct tui *t, enum action a, bool tagged) { copy_msgs(t, tagged); }
static void run_folder_read(struct tui *t, enum action a, bool tagged) { mark_folder_read(t); }
static void run_tag(struct tui *t, enum action a, bool tagged) { tag(t); }
static void run_tag_all(struct tui *t, enum action a, bool tagged) { tag_all(t); }
static void run_untag_all(struct tui *t, enum action a, bool tagged) { untag_all(t); }
static void run_undo(struct tui *t, enum action a, bool tagged) { undo_last(t); }
static void run_sync(struct tui *t, enum action a, bool tagged) { conn_sync(t); }
static void run_zoom(struct tui *t, enum action a, bool tagged) { zoom(t); }
static void run_suspend(struct tui *t, enum action a, bool tagged) { tui_suspend(t); }
static void run_account(struct tui *t, enum action a, bool tagged) { tui_next_account(t); }
static void run_redraw(struct tui *t, enum action a, bool tagged) { clearok(curscr, TRUE); }
static void
run_answer(struct tui *t, enum action a, bool tagged)
{
	if (tagged)
		answer_tagged(t, a);
	else
		compose_answer(t, a);
}

static void run_bounce(struct tui *t, enum action a, bool tagged) { answer_bounce(t, tagged); }
static void run_edit_new(struct tui *t, enum action a, bool tagged) { answer_edit_new(t); }
static void run_compose(struct tui *t, enum action a, bool tagged) { compose_new(t); }
static void run_resume(struct tui *t, enum action a, bool tagged) { compose_resume(t); }
static void run_goto(struct tui *t, enum action a, bool tagged) { folder_pane_goto_prompt(t); }
static void run_pipe(struct tui *t, enum action a, bool tagged) { toolbox_pipe(t); }
static void run_parts(struct tui *t, enum action a, bool tagged) { parts_open(t); }
static void run_save_message(struct tui *t, enum action a, bool tagged) { toolbox_save_message(t); }
static void run_links(struct tui *t, enum action a, bool tagged) { toolbox_links(t); }

/* n and N in the viewer: the next match while a find is on, else (as in
 * the list) the next unread message. */
static void
run_find_next(struct tui *t, enum action a, bool tagged)
{
	int dir = a == ACTION_FIND_NEXT ? 1 : -1;

	if (t->viewer.find != NULL)
		viewer_find_next(t, dir);
	else
		next_unread(t, dir);
}

static void
run_view_mode(struct tui *t, enum action a, bool tagged)
{
	viewer_set_mode(t, a == ACTION_SOURCE ? VIEW_SOURCE : VIEW_HEADERS);
}

static void
find_done(struct tui *t, const char *text, void *ud)
{
	if (text != NULL)
		viewer_find(t, text);
}

static void
run_find(struct tui *t, enum action a, bool tagged)
{
	if (t->viewer.uid == 0) {
		tui_error(t, _("No message is open."));
		return;
	}
	prompt_start(t, PROMPT_TEXT, _("Find in the message: "),
		     t->viewer.find != NULL ? t->viewer.find : "", find_done, NULL, NULL);
}

static void
run_flag(struct tui *t, enum action a, bool tagged)
{
	toggle_flag(t, tagged, IMAP_FLAG_FLAGGED, flag_flagged);
}

static void
run_toggle_read(struct tui *t, enum action a, bool tagged)
{
	toggle_flag(t, tagged, IMAP_FLAG_SEEN, flag_seen);
}

static void
run_tag_prefix(struct tui *t, enum action a, bool tagged)
{
	if (t->list->tagged == 0)
		tui_error(t, _("No message is tagged (t tags one, T all shown)."));
	else
		t->tag_prefix = true;
}

static void
run_search(struct tui *t, enum action a, bool tagged)
{
	bool *all = g_new0(bool, 1);

	prompt_start(t, PROMPT_SEARCH, _("Search: "), t->search != NULL ? t->search : "",
		     search_done_prompt, all, g_free);
	prompt_set_scope(t->prompt, all);
}

static void
run_threads(struct tui *t, enum action a, bool tagged)
{
	message_list_set_threaded(t->list, !t->list->threaded);
	tui_info(t, t->list->threaded ? _("Threaded view.") : _("Flat view."));
}

static void
run_sort(struct tui *t, enum action a, bool tagged)
{
	message_list_set_sort(t->list, (t->list->sort + 1) % MESSAGE_SORT_COUNT);
	tui_info(t, _("Sorted %s."), message_sort_label(t->list->sort));
}

static void
run_collapse(struct tui *t, enum action a, bool tagged)
{
	if (t->focus == PANE_FOLDERS)
		folder_tree_toggle(t->folders, folder_tree_selected(t->folders));
	else
		tui_info(t, _("c folds folders: go to the folder pane first (h)."));
}

static void
run_folder_pane(struct tui *t, enum action a, bool tagged)
{
	t->show_folders = !t->show_folders;
	tui_relayout(t);
}

static void
run_help(struct tui *t, enum action a, bool tagged)
{
	t->help = true;
	t->help_top = 0;
}

/* Indexed by enum action, beside keymap.c's table of names and keys. */
static action_fn *const action_table[ACTION_COUNT] = {
	[ACTION_DOWN] = run_move,
	[ACTION_UP] = run_move,
	[ACTION_PAGE_DOWN] = run_move,
	[ACTION_PAGE_UP] = run_move,
	[ACTION_TOP] = run_move,
	[ACTION_BOTTOM] = run_move,
	[ACTION_NEXT_PANE] = run_next_pane,
	[ACTION_PANE_LEFT] = run_pane_left,
	[ACTION_PANE_RIGHT] = run_pane_right,
	[ACTION_OPEN] = run_open,
	[ACTION_NEXT_MESSAGE] = run_next_message,
	[ACTION_PREV_MESSAGE] = run_prev_message,
	[ACTION_BACK] = run_back,
	[ACTION_QUIT] = run_quit,
	[ACTION_SEARCH] = run_search,
	[ACTION_CLEAR] = run_clear,
	[ACTION_NEXT_UNREAD] = run_next_unread,
	[ACTION_PREV_UNREAD] = run_prev_unread,
	[ACTION_FLAG] = run_flag,
	[ACTION_TOGGLE_READ] = run_toggle_read,
	[ACTION_DELETE] = run_delete,
	[ACTION_ARCHIVE] = run_archive,
	[ACTION_MOVE] = run_move_to,
	[ACTION_COPY] = run_copy_to,
	[ACTION_FOLDER_READ] = run_folder_read,
	[ACTION_TAG] = run_tag,
	[ACTION_TAG_ALL] = run_tag_all,
	[ACTION_UNTAG_ALL] = run_untag_all,
	[ACTION_TAG_PREFIX] = run_tag_prefix,
	[ACTION_THREADS] = run_threads,
	[ACTION_SORT] = run_sort,
	[ACTION_ZOOM] = run_zoom,
	[ACTION_UNDO] = run_undo,
	[ACTION_SYNC] = run_sync,
	[ACTION_HELP] = run_help,
	[ACTION_COLLAPSE] = run_collapse,
	[ACTION_FOLDER_PANE] = run_folder_pane,
	[ACTION_REDRAW] = run_redraw,
	[ACTION_SUSPEND] = run_suspend,
	[ACTION_ACCOUNT] = run_account,
	[ACTION_REPLY] = run_answer,
	[ACTION_REPLY_ALL] = run_answer,
	[ACTION_FORWARD] = run_answer,
	[ACTION_COMPOSE] = run_compose,
	[ACTION_RESUME] = run_resume,
	[ACTION_GOTO_FOLDER] = run_goto,
	[ACTION_REPLY_LIST] = run_answer,
	[ACTION_BOUNCE] = run_bounce,
	[ACTION_EDIT_NEW] = run_edit_new,
	[ACTION_PARTS] = run_parts,
	[ACTION_PIPE] = run_pipe,
	[ACTION_FULL_HEADERS] = run_view_mode,
	[ACTION_SOURCE] = run_view_mode,
	[ACTION_SAVE_MESSAGE] = run_save_message,
	[ACTION_LINKS] = run_links,
	[ACTION_FIND] = run_find,
	[ACTION_FIND_NEXT] = run_find_next,
	[ACTION_FIND_PREV] = run_find_next,
	/* ACTION_SEND ... ACTION_ABORT, ACTION_TOGGLE_SIGN, ACTION_TOGGLE_ENCRYPT:
	 * compose_key(), on the review screen */
};

void
actions_run(struct tui *t, enum action a)
{
	bool tagged = t->tag_prefix;

	t->tag_prefix = false;
	tui_dirty(t);
	if (t->draining) {
		/* Waiting for the last answers before quitting: q quits now. */
		if (a == ACTION_QUIT || a == ACTION_BACK)
			tui_quit(t, t->exit_code);
		return;
	}
	if ((int)a > ACTION_NONE && a < ACTION_COUNT && action_table[a] != NULL)
		action_table[a](t, a, tagged);
}

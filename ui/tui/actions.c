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
	bool current = tui_op_end(op);

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
	return bit == IMAP_FLAG_SEEN ? flag_seen : flag_flagged;
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

/* ---- moves ------------------------------------------------------------------- */

struct move_data {
	GArray *uids;
	GPtrArray *mids; /* Message-IDs, for undo without COPYUID (or NULL) */
	char *src;
	struct pending *pending; /* written ahead (not for expunge) */
	char *dest;
	bool expunge; /* delete for good: STORE \Deleted, then UID EXPUNGE */
};

static void
move_data_free(gpointer p)
{
	struct move_data *md = p;

	pending_end(&md->pending, TERN_ERR_CANCELLED);
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
	for (guint i = 0; i < uids->len; i++)
		message_list_remove(t->list, g_array_index(uids, guint32, i));
	cache_remove(t, (const guint32 *)(void *)uids->data, uids->len);
	tui_dirty(t);
}

/* Gone from the list only: the journal keeps the move, and the cached rows
 * stay until the server did it. */
static void
forget_queued(struct tui *t, const GArray *uids)
{
	for (guint i = 0; i < uids->len; i++)
		message_list_remove(t->list, g_array_index(uids, guint32, i));
	tui_dirty(t);
}

static void
move_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_copy_result *result, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct move_data *md = op->data;
	bool current = tui_op_end(op);

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
		set_hidden(t, md->uids, false);
		tui_error(t, _("Not moved to %s: %s"), md->dest, detail);
	} else {
		remove_all(t, md->uids);
		undo_push_move(t, md->src, md->uids, md->dest,
			       result != NULL ? result->dst_uids : NULL, md->mids);
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
	set_hidden(t, uids, true);
	viewer_follow(t, uids);
	op = tui_op_new(t, md, move_data_free);
	imap_client_copy(t->client, uids, dest, true, move_done, op);
}

/* Delete for good: hide, STORE +\Deleted, then UID EXPUNGE. */
static void
expunge_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct move_data *md = op->data;

	if (tui_op_end(op)) {
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

	if (!tui_op_end(op) || t->client == NULL) {
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

static void
move_prompt_done(struct tui *t, const char *text, void *ud)
{
	GArray *uids = ud;
	struct folder_node *n;
	enum change_mode mode;

	if (text == NULL || *text == '\0')
		return;
	n = folder_tree_find(t->folders, text);
	if (n == NULL || !n->selectable) {
		tui_error(t, _("There is no folder %s (Tab completes names)."), text);
		return;
	}
	mode = can_change(t);
	if (mode != CHANGE_NONE)
		move_uids(t, mode, uids, n->name);
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

/* ---- moving around -------------------------------------------------------------- */

static gssize
page(struct tui *t, const struct tui_rect *r)
{
	(void)t;
	return r->h > 1 ? r->h - 1 : 1;
}

static void
move_in_pane(struct tui *t, enum action a)
{
	switch (t->focus) {
	case PANE_FOLDERS: {
		gssize p = page(t, &t->lay.folders);

		folder_tree_move(t->folders, a == ACTION_DOWN ? 1 : a == ACTION_UP ? -1 :
					     a == ACTION_PAGE_DOWN ? p : a == ACTION_PAGE_UP ? -p :
					     a == ACTION_TOP ? -G_MAXINT32 : G_MAXINT32);
		break;
	}
	case PANE_LIST: {
		gssize p = page(t, &t->lay.list);

		message_list_refresh(t->list);
		message_list_move(t->list, a == ACTION_DOWN ? 1 : a == ACTION_UP ? -1 :
					   a == ACTION_PAGE_DOWN ? p : a == ACTION_PAGE_UP ? -p :
					   a == ACTION_TOP ? -G_MAXINT32 : G_MAXINT32);
		break;
	}
	case PANE_VIEWER: {
		gssize p = page(t, &t->lay.viewer);

		if (a == ACTION_TOP || a == ACTION_BOTTOM)
			viewer_scroll_to(t, a == ACTION_BOTTOM);
		else
			viewer_scroll(t, a == ACTION_DOWN ? 1 : a == ACTION_UP ? -1 :
					 a == ACTION_PAGE_DOWN ? p : -p);
		break;
	}
	}
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
		if (t->list->sel == NULL)
			return;
		viewer_open(t, t->list->sel);
		t->focus = PANE_VIEWER;
		break;
	case PANE_VIEWER:
		viewer_scroll(t, 1);
		break;
	}
}

static void
next_pane(struct tui *t, int dir)
{
	enum tui_pane order[3];
	int n = 0, at = 0;

	if (t->lay.show_folders)
		order[n++] = PANE_FOLDERS;
	order[n++] = PANE_LIST;
	if (t->viewer.uid != 0)
		order[n++] = PANE_VIEWER;
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

static void
next_unread(struct tui *t, int dir)
{
	struct msg *cur = tui_current(t);

	message_list_refresh(t->list);
	if (t->focus == PANE_VIEWER && cur != NULL && cur != t->list->sel) {
		for (guint i = 0; i < t->list->view->len; i++)
			if (t->list->view->pdata[i] == cur)
				message_list_select_row(t->list, i);
	}
	if (!message_list_next_unread(t->list, dir)) {
		tui_info(t, dir > 0 ? _("No unread message below.") : _("No unread message above."));
		return;
	}
	if (t->focus == PANE_VIEWER)
		viewer_open(t, t->list->sel);
	if (t->focus == PANE_FOLDERS)
		t->focus = PANE_LIST;
}

static void
back(struct tui *t)
{
	switch (t->focus) {
	case PANE_VIEWER:
		t->focus = PANE_LIST;
		break;
	case PANE_FOLDERS:
		t->focus = PANE_LIST;
		break;
	case PANE_LIST:
		tui_quit(t, TERN_EXIT_OK);
		break;
	}
}

static void
clear_view(struct tui *t)
{
	if (t->search != NULL) {
		g_clear_pointer(&t->search, g_free);
		message_list_set_filter(t->list, NULL);
		tui_info(t, _("Showing every message."));
	} else if (t->focus == PANE_VIEWER) {
		viewer_close(t);
		t->focus = PANE_LIST;
	} else {
		g_clear_pointer(&t->message, g_free);
	}
}

static void
search_done_prompt(struct tui *t, const char *text, void *ud)
{
	if (text == NULL)
		return;
	if (*text == '\0') {
		clear_view(t);
		return;
	}
	conn_search(t, text);
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

static void
mail_action(struct tui *t, enum action a, bool prefix)
{
	switch (a) {
	case ACTION_FLAG:
		toggle_flag(t, prefix, IMAP_FLAG_FLAGGED, flag_flagged);
		break;
	case ACTION_TOGGLE_READ:
		toggle_flag(t, prefix, IMAP_FLAG_SEEN, flag_seen);
		break;
	case ACTION_DELETE:
		delete_msgs(t, prefix);
		break;
	case ACTION_ARCHIVE:
		archive_msgs(t, prefix);
		break;
	case ACTION_MOVE:
		move_msgs(t, prefix);
		break;
	default:
		break;
	}
}

static void
view_action(struct tui *t, enum action a)
{
	switch (a) {
	case ACTION_SEARCH:
		prompt_start(t, PROMPT_SEARCH, _("Search: "), t->search != NULL ? t->search : "",
			     search_done_prompt, NULL, NULL);
		break;
	case ACTION_THREADS:
		message_list_set_threaded(t->list, !t->list->threaded);
		tui_info(t, t->list->threaded ? _("Threaded view.") : _("Flat view."));
		break;
	case ACTION_SORT:
		message_list_set_sort(t->list, (t->list->sort + 1) % MESSAGE_SORT_COUNT);
		tui_info(t, _("Sorted %s."), message_sort_label(t->list->sort));
		break;
	case ACTION_COLLAPSE:
		if (t->focus == PANE_FOLDERS)
			folder_tree_toggle(t->folders, folder_tree_selected(t->folders));
		else
			tui_info(t, _("c folds folders: go to the folder pane first (h)."));
		break;
	case ACTION_FOLDER_PANE:
		t->show_folders = !t->show_folders;
		viewer_resize(t);
		break;
	case ACTION_HELP:
		t->help = true;
		t->help_top = 0;
		break;
	case ACTION_REDRAW:
		clearok(curscr, TRUE);
		break;
	case ACTION_SUSPEND:
		tui_suspend(t);
		break;
	case ACTION_ACCOUNT:
		tui_next_account(t);
		break;
	default:
		break;
	}
}

void
actions_run(struct tui *t, enum action a)
{
	bool prefix = t->tag_prefix;

	t->tag_prefix = false;
	tui_dirty(t);
	if (t->draining) {
		/* Waiting for the last answers before quitting: q quits now. */
		if (a == ACTION_QUIT || a == ACTION_BACK)
			tui_quit(t, t->exit_code);
		return;
	}
	switch (a) {
	case ACTION_DOWN:
	case ACTION_UP:
	case ACTION_PAGE_DOWN:
	case ACTION_PAGE_UP:
	case ACTION_TOP:
	case ACTION_BOTTOM:
		move_in_pane(t, a);
		break;
	case ACTION_NEXT_PANE:
		next_pane(t, 0);
		break;
	case ACTION_PANE_LEFT:
	case ACTION_PANE_RIGHT:
		next_pane(t, a == ACTION_PANE_LEFT ? -1 : 1);
		break;
	case ACTION_OPEN:
		open_selected(t);
		break;
	case ACTION_BACK:
		back(t);
		break;
	case ACTION_QUIT:
		tui_quit(t, TERN_EXIT_OK);
		break;
	case ACTION_CLEAR:
		clear_view(t);
		break;
	case ACTION_NEXT_UNREAD:
	case ACTION_PREV_UNREAD:
		next_unread(t, a == ACTION_NEXT_UNREAD ? 1 : -1);
		break;
	case ACTION_FLAG:
	case ACTION_TOGGLE_READ:
	case ACTION_DELETE:
	case ACTION_ARCHIVE:
	case ACTION_MOVE:
		mail_action(t, a, prefix);
		break;
	case ACTION_TAG:
		tag(t);
		break;
	case ACTION_TAG_PREFIX:
		if (t->list->tagged == 0)
			tui_error(t, _("No message is tagged (t tags one)."));
		else
			t->tag_prefix = true;
		break;
	case ACTION_UNDO:
		undo_last(t);
		break;
	case ACTION_SYNC:
		conn_sync(t);
		break;
	default:
		view_action(t, a);
		break;
	}
}

/* tern — ui/tui/conn: the account's connection, seen from the interface.
 *
 * Opening a folder: SELECT, then the newest screenful (the highest UIDs;
 * for a folder not cached, sorted other than by date or threaded, the
 * first screen in the server's order: ESORT PARTIAL, THREAD=REFS),
 * then the rest in UID ranges going down, one command at a time, so the
 * first screen comes after one round trip and anything the user asks for
 * meanwhile waits for one range at most. Then IDLE (or a poll): new mail,
 * expunges and flag changes by other clients arrive as events. A lost
 * connection shows "offline, reconnecting", retries with a growing delay,
 * and on success reloads the open folder in place (merging, then dropping
 * what the server no longer has). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap.h"
#include "core/model/query.h"
#include "core/text/text.h"
#include "ui/tui/tui-private.h"

static void connection_lost(struct tui *t, const char *detail);
static gboolean free_client_idle(gpointer data);
static void begin_select(struct tui *t, bool reload);

/* ---- operations in flight ------------------------------------------------- */

/* The generation an op of this scope is made in and compared with. */
static guint
scope_gen(const struct tui *t, enum tui_op_scope scope)
{
	return scope == OP_CONNECTION ? t->conn_gen : t->gen;
}

static struct tui_op *
op_new(struct tui *t, enum tui_op_scope scope, void *data, GDestroyNotify data_free)
{
	struct tui_op *op = g_new0(struct tui_op, 1);

	if (t->ops == NULL)
		t->ops = g_hash_table_new(g_direct_hash, g_direct_equal);
	op->t = t;
	op->scope = scope;
	op->gen = scope_gen(t, scope);
	op->data = data;
	op->data_free = data_free;
	g_hash_table_add(t->ops, op);
	return op;
}

struct tui_op *
tui_op_new(struct tui *t, void *data, GDestroyNotify data_free)
{
	return op_new(t, OP_FOLDER, data, data_free);
}

struct tui_op *
tui_op_new_conn(struct tui *t, void *data, GDestroyNotify data_free)
{
	return op_new(t, OP_CONNECTION, data, data_free);
}

bool
tui_op_current(struct tui_op *op)
{
	return !op->t->quitting && op->gen == scope_gen(op->t, op->scope);
}

/* The client is replaced, lost or stopped: every op made on it is stale,
 * whatever its scope. */
static void
conn_new_generation(struct tui *t)
{
	t->conn_gen++;
	t->gen++;
}

static void
op_destroy(struct tui_op *op)
{
	if (op->data_free != NULL)
		op->data_free(op->data);
	g_free(op);
}

void
tui_op_free(struct tui_op *op)
{
	if (op == NULL)
		return;
	g_hash_table_remove(op->t->ops, op);
	op_destroy(op);
}

/* The end of an operation whose answer needs nothing of its data: frees
 * it; true when the answer is still wanted (tui_op_current()). */
static bool
op_end(struct tui_op *op)
{
	bool current = tui_op_current(op);

	tui_op_free(op);
	return current;
}

const char *
conn_role_folder(struct tui *t, enum folder_role role)
{
	if (role == FOLDER_ROLE_ARCHIVE && t->cfg->ui.archive_folder != NULL)
		return t->cfg->ui.archive_folder;
	GHashTableIter it;
	gpointer v;

	if (t->client != NULL)
		return imap_client_role_folder(t->client, role);
	/* Offline: the account's setting, else the folder pane as last listed. */
	switch (role) {
	case FOLDER_ROLE_TRASH: if (t->account->trash) return t->account->trash; break;
	case FOLDER_ROLE_ARCHIVE: if (t->account->archive) return t->account->archive; break;
	default: break;
	}
	g_hash_table_iter_init(&it, t->folders->by_name);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct folder_node *n = v;

		if (n->role == role && n->selectable)
			return n->name;
	}
	return NULL;
}

/* ---- events from the server ------------------------------------------------ */

static void fetch_new(struct tui *t);
static void reconcile(struct tui *t);

/* Messages gone from the server: from the list in one pass, from the
 * cache in one transaction. */
static void
remove_uids(struct tui *t, const guint32 *uids, guint n)
{
	if (n == 0)
		return;
	message_list_remove_many(t->list, uids, n);
	cache_remove(t, uids, n);
	tui_dirty(t);
}

/* The gathered EXPUNGEs go: from the list and the cache when their folder
 * is still the open one, else from the cache alone. */
void
conn_flush_gone(struct tui *t)
{
	GArray *uids = t->gone_uids;

	if (t->gone_source != 0)
		g_source_remove(t->gone_source);
	t->gone_source = 0;
	if (uids == NULL)
		return;
	t->gone_uids = NULL;
	if (g_strcmp0(t->gone_folder, t->folder) == 0 && t->gone_uidvalidity == t->cache_uidvalidity)
		remove_uids(t, (const guint32 *)(void *)uids->data, uids->len);
	else
		cache_remove_in(t, t->gone_folder, t->gone_uidvalidity,
				(const guint32 *)(void *)uids->data, uids->len);
	g_array_unref(uids);
	g_clear_pointer(&t->gone_folder, g_free);
}

static gboolean
gone_cb(gpointer ud)
{
	struct tui *t = ud;

	t->gone_source = 0;
	conn_flush_gone(t);
	return G_SOURCE_REMOVE;
}

/* A server without QRESYNC answers a big delete with an EXPUNGE a message,
 * thousands in a row: they are gathered and go together once the
 * responses at hand are read (an idle above the keys' priority), not one
 * search of the whole list and one cache transaction each. Any other
 * event takes them first, so the order holds. */
static void
gone_add(struct tui *t, guint32 uid)
{
	if (t->gone_uids != NULL && (g_strcmp0(t->gone_folder, t->folder) != 0 ||
				     t->gone_uidvalidity != t->cache_uidvalidity))
		conn_flush_gone(t);
	if (t->gone_uids == NULL) {
		t->gone_uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		t->gone_folder = g_strdup(t->folder);
		t->gone_uidvalidity = t->cache_uidvalidity;
	}
	g_array_append_val(t->gone_uids, uid);
	if (t->gone_source == 0)
		t->gone_source = g_idle_add_full(G_PRIORITY_HIGH, gone_cb, t, NULL);
}

static void
on_flags(struct tui *t, const struct imap_summary *s)
{
	struct msg *m;

	if (s == NULL || s->uid == 0) {
		t->resync_needed = true;
		return;
	}
	m = message_list_get(t->list, s->uid);
	if (m != NULL) {
		message_list_set_flags(t->list, m, s->flags);
		tui_dirty(t);
	}
	cache_set_flags(t, s);
}

static void
on_event(struct imap_client *c, const struct imap_event *ev, void *ud)
{
	struct tui *t = ud;

	if (c != t->client || live_event(t, ev))
		return;
	if (ev->type != IMAP_EVENT_EXPUNGE)
		conn_flush_gone(t);
	switch (ev->type) {
	case IMAP_EVENT_EXISTS:
		if (t->selected)
			fetch_new(t);
		else if (t->loading && t->cache_synced)
			t->fetch_new_again = true; /* after the resync */
		break;
	case IMAP_EVENT_EXPUNGE:
		if (!t->selected)
			break;
		if (ev->summary != NULL && ev->summary->uid != 0) {
			gone_add(t, ev->summary->uid);
		} else {
			conn_flush_gone(t);
			t->resync_needed = true;
			if (t->loaded)
				reconcile(t);
		}
		break;
	case IMAP_EVENT_VANISHED:
		if (ev->uids != NULL)
			remove_uids(t, (const guint32 *)(void *)ev->uids->data, ev->uids->len);
		break;
	case IMAP_EVENT_FLAGS:
		if (t->selected)
			on_flags(t, ev->summary);
		break;
	case IMAP_EVENT_ALERT:
		tui_error(t, _("Server alert: %s"), ev->text != NULL ? ev->text : "");
		break;
	case IMAP_EVENT_BYE:
		tui_info(t, _("The server is closing the connection: %s"),
			 ev->text != NULL ? ev->text : "");
		break;
	case IMAP_EVENT_CLOSED:
		connection_lost(t, ev->text);
		break;
	case IMAP_EVENT_STATUS:
		break; /* live.c's */
	}
}

/* ---- connecting ------------------------------------------------------------ */

static void
folders_done(struct imap_client *c, enum tern_status st, const char *detail,
	     GPtrArray *folders, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;

	if (tui_op_current(op)) {
		if (st == TERN_OK) {
			cache_counts_cancel(t); /* the server's counts are newer */
			folder_tree_set(t->folders, folders);
			cache_put_folders(t, folders);
			live_folders(t, folders);
			if (t->focus != PANE_FOLDERS && t->folder != NULL)
				folder_tree_select_name(t->folders, t->folder);
			/* The Sent folder is known now: send what waits. */
			compose_connected(t);
		} else if (st != TERN_ERR_CONN) {
			tui_error(t, _("Cannot list the folders: %s"), detail);
		}
		tui_dirty(t);
	}
	tui_op_free(op);
}

static void
list_folders(struct tui *t)
{
	struct tui_op *op;

	if (t->client == NULL || t->conn != CONN_READY)
		return;
	op = tui_op_new_conn(t, NULL, NULL); /* every folder's: outlives a folder switch */
	imap_client_poll_folders(t->client, folders_done, op);
}

/* The LIST held back until the open folder's first screen. */
static void
list_when_first_screen(struct tui *t)
{
	if (t->list_pending) {
		t->list_pending = false;
		list_folders(t);
	}
}

static gboolean
folders_timer_cb(gpointer ud)
{
	struct tui *t = ud;

	t->folders_timer = 0;
	list_folders(t);
	return G_SOURCE_REMOVE;
}

static gboolean
folders_poll_cb(gpointer ud)
{
	list_folders(ud);
	return G_SOURCE_CONTINUE;
}

void
conn_refresh_folders(struct tui *t)
{
	if (t->folders_timer == 0)
		t->folders_timer = g_timeout_add(500, folders_timer_cb, t);
}

/* Connected (and the journal sent): open the folder, then list. */
static void
connected(struct tui *t)
{
	t->conn = CONN_READY;
	/* the summaries' form as probed on this server (its cold loads do not
	 * go through a resync, which would apply it) */
	store_summary_form_apply(t->store, t->client);
	/* The folder first: its first screen should not wait for the
	 * counts of every other folder (LIST comes after that screen). */
	t->list_pending = true;
	if (t->folder == NULL) {
		t->folder = g_strdup("INBOX");
		begin_select(t, false);
	} else {
		begin_select(t, message_list_size(t->list) > 0);
	}
	if (t->folders_poll == 0)
		t->folders_poll = g_timeout_add_seconds(TUI_POLL_INTERVAL, folders_poll_cb, t);
	tui_dirty(t);
}

static void
replay_warn(const struct store_action *a, const char *why, void *ud)
{
	struct tui_op *op = ud;

	if (tui_op_current(op))
		tui_error(op->t, _("A queued %s in %s was dropped: %s"), store_action_describe(a),
			  a->folder != NULL ? a->folder : "", why);
}

static void
replay_done(struct imap_client *c, enum tern_status st, const char *detail, guint sent,
	    void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	bool current = tui_op_current(op);

	tui_op_free(op);
	t->replay = NULL;
	cache_journal_changed(t);
	if (!current)
		return;
	if (st == TERN_OK || st == TERN_ERR_NO) {
		if (st == TERN_ERR_NO)
			tui_error(t, _("The cache cannot be used: %s"), detail != NULL ? detail : "");
		else if (sent > 0)
			tui_info(t, ngettext("Sent %u queued change.", "Sent %u queued changes.", sent),
				 sent);
		connected(t);
		return;
	}
	connection_lost(t, detail);
}

static void
connect_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	bool current = tui_op_current(op);
	guint queued;

	tui_op_free(op);
	if (!current)
		return;
	if (st != TERN_OK) {
		if (st == TERN_ERR_AUTH && imap_client_login_refused(c))
			tui_secret_refused(t); /* $ looks it up again */
		if (st == TERN_ERR_AUTH || st == TERN_ERR_CONFIG || st == TERN_ERR_PROTOCOL) {
			/* Trying again would only repeat it: wait for $, which
			 * starts a new client (not freed here: we are inside
			 * one of its callbacks). */
			conn_new_generation(t);
			g_idle_add(free_client_idle, t->client);
			t->client = NULL;
			t->conn = CONN_OFFLINE;
			tui_error(t, _("%s: %s (press $ to try again)"), t->account->name,
				  detail != NULL ? detail : "");
			return;
		}
		connection_lost(t, detail);
		return;
	}
	if (t->reconnect_delay > 0)
		tui_info(t, _("Connected again."));
	t->reconnect_delay = 0;
	queued = cache_can_replay(t) ? cache_queued(t) : 0;
	if (queued > 0) {
		/* What was changed offline goes first; the folder opens after. */
		tui_info(t, ngettext("Sending %u queued change…", "Sending %u queued changes…",
				     queued), queued);
		t->replay = store_journal_replay(t->store, t->client, replay_warn, replay_done,
						 tui_op_new_conn(t, NULL, NULL));
		tui_dirty(t);
		return;
	}
	connected(t);
}

/* The summaries' PREVIEW: LAZY where the list shows previews. */
static enum imap_preview_mode
preview_mode(const struct tui *t)
{
	return t->cfg->ui.preview ? IMAP_PREVIEW_LAZY : IMAP_PREVIEW_OFF;
}

void
conn_start(struct tui *t)
{
	static const struct imap_client_callbacks cb = { .event = on_event };
	const char *secret = NULL;
	struct tui_op *op;

	if (t->client != NULL)
		return;
	/* Each attempt asks: a token may have expired, a refused secret is
	 * looked up again. */
	if (tui_secret_get(t, &secret) < 0) {
		t->conn = CONN_OFFLINE;
		tui_dirty(t);
		return;
	}
	t->conn = CONN_CONNECTING;
	t->client = imap_client_new(t->account, secret, &cb, t);
	/* LAZY: a first screen never waits for the server to make
	 * previews; those it has not made yet come for the rows on screen
	 * (conn_previews_for_screen()), and so do those of the rest of the
	 * load, which goes without (load_next()) */
	imap_client_set_preview(t->client, preview_mode(t));
	/* The connection's own: a folder opened from the cache while it is
	 * made must not make its answer stale (that left "Connecting" on
	 * the status line for good, and the folder never selected). */
	op = tui_op_new_conn(t, NULL, NULL);
	imap_client_connect(t->client, connect_done, op);
	tui_dirty(t);
}

static gboolean
free_client_idle(gpointer data)
{
	struct imap_client *c = data;

	imap_client_free(&c);
	return G_SOURCE_REMOVE;
}

static gboolean
reconnect_cb(gpointer ud)
{
	struct tui *t = ud;

	t->reconnect_timer = 0;
	conn_start(t);
	return G_SOURCE_REMOVE;
}

static void
stop_timers(struct tui *t)
{
	if (t->poll_timer != 0)
		g_source_remove(t->poll_timer);
	t->poll_timer = 0;
	if (t->reconnect_timer != 0)
		g_source_remove(t->reconnect_timer);
	t->reconnect_timer = 0;
	if (t->folders_timer != 0)
		g_source_remove(t->folders_timer);
	t->folders_timer = 0;
	if (t->folders_poll != 0)
		g_source_remove(t->folders_poll);
	t->folders_poll = 0;
}

static void
connection_lost(struct tui *t, const char *detail)
{
	if (t->client == NULL)
		return;
	conn_new_generation(t);
	/* Not freed here: we are inside one of its callbacks. */
	g_idle_add(free_client_idle, t->client);
	t->client = NULL;
	live_detach(t); /* the client answered all before it closed */
	/* A server that drops us over a SORT or THREAD is not asked again. */
	if (t->order_asked)
		t->order_off = true;
	t->order_asked = false;
	t->load_after_order = false;
	t->conn = CONN_OFFLINE;
	t->selected = false;
	t->loading = false;
	t->fetching_new = false;
	t->searching = false;
	t->viewer.loading = false;
	conn_forget_returning(t);
	stop_timers(t);
	t->reconnect_delay = t->reconnect_delay == 0 ? 1 :
						       MIN(t->reconnect_delay * 2, TUI_RECONNECT_MAX);
	t->reconnect_timer = g_timeout_add_seconds(t->reconnect_delay, reconnect_cb, t);
	tui_error(t, _("Connection lost: %s"), detail != NULL ? detail : _("no reason given"));
}

void
conn_stop(struct tui *t)
{
	conn_flush_gone(t);
	conn_new_generation(t); /* callbacks the client makes while it closes are stale */
	stop_timers(t);
	/* Its command in flight never calls back once the client is gone. */
	store_replay_cancel(t->replay);
	t->replay = NULL;
	imap_client_free(&t->client);
	live_detach(t);
	if (t->ops != NULL) {
		GHashTableIter it;
		gpointer k;

		g_hash_table_iter_init(&it, t->ops);
		while (g_hash_table_iter_next(&it, &k, NULL))
			op_destroy(k);
		g_hash_table_destroy(t->ops);
		t->ops = NULL;
	}
}

/* ---- loading a folder ---------------------------------------------------- */

/* A folder is loaded newest first in ranges of message sequence numbers,
 * which are dense: one round trip per TUI_LOAD_CHUNK messages however far
 * apart the UIDs are (UID ranges cost one per TUI_LOAD_CHUNK UIDs: ~500
 * round trips for 310 messages under UIDNEXT 1,000,000). Going down from
 * the top, an EXPUNGE can only move a message not yet loaded into the next
 * range, never out of it (at worst one comes twice; the list keeps one). */
struct load_data {
	guint32 lo, hi; /* sequence numbers; hi 0: "lo:*" */
	bool sizeless;  /* the first screen, fetched without sizes: not cached */
};

static void load_next(struct tui *t);

/* cache: write them to the cache; sizeless: they came without sizes
 * (and are not cached: the load brings them again with theirs). */
static void
add_batch(struct tui *t, const struct imap_summary *batch, guint n, bool cache, bool sizeless)
{
	if (cache && !sizeless)
		cache_put(t, batch, n);
	for (guint i = 0; i < n; i++) {
		struct msg *m = sizeless ? message_list_add_sizeless(t->list, &batch[i]) :
					   message_list_add(t->list, &batch[i]);

		if (m != NULL && batch[i].uid > t->top_uid)
			t->top_uid = batch[i].uid;
	}
	tui_dirty(t);
}

static void
load_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct tui_op *op = ud;
	const struct load_data *ld = op->data;

	if (tui_op_current(op))
		add_batch(op->t, batch, n, true, ld != NULL && ld->sizeless);
}

static gboolean
poll_cb(gpointer ud)
{
	fetch_new(ud);
	return G_SOURCE_CONTINUE;
}

/* Loaded: watch the folder. */
static void
start_live(struct tui *t)
{
	if (t->client == NULL)
		return;
	if (imap_client_has_cap(t->client, "IDLE")) {
		imap_client_idle(t->client);
	} else if (t->poll_timer == 0) {
		t->poll_timer = g_timeout_add_seconds(t->cfg->ui.poll_interval, poll_cb, t);
	}
}

bool
conn_previews_shown(struct tui *t)
{
	/* offline or still connecting: what the cache has */
	return t->cfg->ui.preview &&
	       (t->client == NULL || t->conn != CONN_READY || imap_client_has_preview(t->client));
}

static void
preview_got(struct imap_client *c, guint32 uid, const char *preview, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct msg *m;

	if (!tui_op_current(op))
		return;
	m = message_list_get(t->list, uid);
	if (m == NULL)
		return;
	message_list_set_preview(t->list, m, preview);
	cache_set_preview(t, uid, preview);
	tui_dirty(t);
}

static void
previews_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;

	if (tui_op_current(op))
		op->t->previews_busy = false;
	tui_op_free(op);
}

/* PREVIEW without LAZY for the rows on screen whose preview the summaries
 * did not bring (the server had not made it yet, or the cache is older):
 * once the folder is selected and rows are shown (a big folder's first
 * screen need not wait for the rest to load: the fetch goes between two of
 * the load's), one fetch at a time, a message asked once (a server that
 * answers NIL again is not asked in a loop). */
void
conn_previews_for_screen(struct tui *t)
{
	struct message_list *ml = t->list;
	GArray *uids;
	char *set;
	guint end;

	if (!conn_previews_shown(t) || t->client == NULL || t->conn != CONN_READY ||
	    !t->selected || ml->view->len == 0 ||
	    (t->previews_busy && t->previews_gen == t->gen))
		return;
	/* the view as last drawn (a view not refreshed yet is asked after
	 * the next drawing) */
	uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	end = MIN(ml->view->len, ml->top + MAX(ml->height, (guint)TUI_FIRST_SCREEN));
	for (guint i = ml->top; i < end; i++) {
		struct msg *m = ml->view->pdata[i];

		if (m->preview == 0 && !m->preview_asked) {
			m->preview_asked = 1;
			g_array_append_val(uids, m->uid);
		}
	}
	if (uids->len > 0) {
		/* a screenful of UIDs: one set, far under any line limit */
		char **sets = imap_uids_format((const uint32_t *)(void *)uids->data, uids->len,
					       G_MAXSIZE);

		set = sets[0];
		if (set != NULL) {
			t->previews_busy = true;
			t->previews_gen = t->gen;
			imap_client_fetch_previews(t->client, set, preview_got, previews_done,
						   tui_op_new(t, NULL, NULL));
		}
		g_strfreev(sets);
	}
	g_array_unref(uids);
}

static void
finish_load(struct tui *t)
{
	list_when_first_screen(t);
	t->loading = false;
	t->loaded = true;
	if (!t->cache_synced)
		cache_finish_folder(t, &t->info);
	results_listed(t);
	if (t->resync_needed)
		reconcile(t);
	conn_previews_for_screen(t);
	start_live(t);
	tui_dirty(t);
}

static void
load_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui *t = ((struct tui_op *)ud)->t;

	if (!op_end(ud))
		return;
	list_when_first_screen(t);
	if (st != TERN_OK) {
		t->loading = false;
		if (st != TERN_ERR_CONN)
			tui_error(t, _("Loading %s stopped: %s"), t->folder, detail);
		tui_dirty(t);
		return;
	}
	/* one command at a time: the server's first screen (order_done)
	 * goes before the rest of the load */
	if (t->order_asked)
		t->load_after_order = true;
	else
		load_next(t);
}

static void
fetch_range(struct tui *t, guint32 lo, guint32 hi, bool sizeless)
{
	struct load_data *ld = g_new0(struct load_data, 1);
	struct tui_op *op = tui_op_new(t, ld, g_free);
	char set[32];

	ld->lo = lo;
	ld->hi = hi;
	ld->sizeless = sizeless;
	if (hi == 0)
		g_snprintf(set, sizeof(set), "%u:*", lo);
	else
		g_snprintf(set, sizeof(set), "%u:%u", lo, hi);
	if (sizeless)
		imap_client_set_sizes(t->client, false);
	imap_client_fetch_summaries_seq(t->client, set, load_batch, load_done, op);
	imap_client_set_sizes(t->client, true);
}

/* The next range of sequence numbers down, or the end. */
static void
load_next(struct tui *t)
{
	guint32 hi, lo;
	bool top;

	if (t->load_low <= 1) {
		finish_load(t);
		return;
	}
	/* After a first screen without sizes: from the top again ("lo:*",
	 * what came meanwhile included), sizes and all. */
	top = t->load_from_top;
	t->load_from_top = false;
	hi = t->load_low - 1;
	lo = hi > TUI_LOAD_CHUNK ? hi - TUI_LOAD_CHUNK + 1 : 1;
	t->load_low = lo;
	/* Below the first screen without PREVIEW: even LAZY doubles the load
	 * on a server that has not made them yet (Dovecot 2.3, 10,000
	 * messages: 0.17 s without, 0.32 s with; bench-preview.py). Rows get
	 * theirs when they are shown (conn_previews_for_screen()). */
	imap_client_set_preview(t->client, IMAP_PREVIEW_OFF);
	fetch_range(t, lo, top ? 0 : hi, false);
	imap_client_set_preview(t->client, preview_mode(t));
}

/* How many messages make the first screen: a screenful and some. */
static guint
first_screen(struct tui *t)
{
	return MAX(TUI_FIRST_SCREEN, (guint)MAX(t->lay.list.h, 0) * 2);
}

/* The newest screenful by sequence number (the date order's first
 * screen: one round trip), then the rest going down. A folder bigger
 * than a screenful shows its first screen without sizes, which the load
 * brings after it: the server may need a walk of the whole folder to
 * find them (Dovecot's maildir, 1 s at 1,000,000 messages; see
 * imap_client_set_sizes()), while the first screen needs none; the size
 * order sorts the newest screenful only once they are in. */
static void
load_newest(struct tui *t)
{
	guint first = first_screen(t);

	if (t->info.exists > first) {
		t->load_low = t->info.exists + 1;
		t->load_from_top = true;
		fetch_range(t, t->info.exists - first + 1, 0, true);
	} else {
		t->load_low = 1;
		fetch_range(t, 1, 0, false);
	}
}

/* ---- the first screen in the server's order --------------------------- */

/* Messages asked for in the server's order: a first screen, in one set. */
static guint
order_count(struct tui *t)
{
	return MIN(first_screen(t), TUI_ORDER_MAX);
}

/* A folder not cached yet, sorted by something other than the date or
 * threaded: the newest messages are not the first screen. The server
 * says which are (ESORT with PARTIAL, or THREAD=REFS, which has no
 * PARTIAL), their summaries come, and the list sorts and threads them as
 * it always does. The newest screenful is asked for first and the load
 * goes on as in the date order: a server that has never sorted this
 * folder can take seconds to build its index (Dovecot 2.3: 7-11 s for a
 * first SORT of 100,000, 10-17 s for THREAD), and the screen must not
 * stay empty meanwhile. The server's first screen joins the list when it
 * comes, above what is there. */

/* The server's first screen is in, or will not come: the load goes on. */
static void
order_done(struct tui *t)
{
	t->order_asked = false;
	if (t->load_after_order && t->client != NULL) {
		t->load_after_order = false;
		load_next(t);
	}
}

/* The first-screen summaries are in. */
static void
order_fetch_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui *t = ((struct tui_op *)ud)->t;

	if (!op_end(ud))
		return;
	list_when_first_screen(t);
	/* The server's first rows sort above the newest screenful already
	 * shown; a cursor the user left on the first row goes to the new
	 * first row rather than following its message down the list. */
	message_list_refresh(t->list);
	if (t->order_top_uid != 0 && t->list->sel != NULL &&
	    t->list->sel->uid == t->order_top_uid) {
		message_list_select_row(t->list, 0);
		t->list->top = 0;
	}
	if (st != TERN_ERR_CONN)
		order_done(t);
	tui_dirty(t);
}

/* Summaries of these UIDs (at most TUI_ORDER_MAX: one command). */
static void
fetch_order(struct tui *t, const guint32 *uids, guint n)
{
	char **sets = imap_uids_format((const uint32_t *)uids, n, TUI_ORDER_SET_MAX);
	struct tui_op *op = tui_op_new(t, NULL, NULL);

	message_list_refresh(t->list);
	t->order_top_uid = t->list->sel != NULL && t->list->sel_row == 0 ? t->list->sel->uid : 0;
	/* n is small enough that one set holds it (TUI_ORDER_SET_MAX) */
	imap_client_fetch_summaries(t->client, sets[0], load_batch, order_fetch_done, op);
	g_strfreev(sets);
}

/* After the server's answer: its first screen's summaries. */
static void
order_answered(struct tui_op *op, enum tern_status st, const guint32 *uids, guint n)
{
	struct tui *t = op->t;

	if (!tui_op_current(op)) {
		tui_op_free(op);
		return;
	}
	tui_op_free(op);
	/* Refused, or the answer broke the connection (a protocol error
	 * comes before the connection's end): not asked again. */
	if (st != TERN_OK)
		t->order_off = true;
	if (st == TERN_ERR_CONN)
		return;
	if (n == 0 || t->client == NULL) {
		order_done(t);
		return;
	}
	fetch_order(t, uids, n);
}

static void
sort_answered(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	      void *ud)
{
	struct tui_op *op = ud;
	guint n = st == TERN_OK ? MIN(uids->len, order_count(op->t)) : 0;

	order_answered(op, st, (const guint32 *)uids->data, n);
}

/* The newest threads (REFS puts them last), whole, up to a first screen
 * of messages: a thread bigger than what is left gives its first ones
 * (the root and the early replies, drawn first). */
static void
thread_answered(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
		GArray *starts, void *ud)
{
	struct tui_op *op = ud;
	guint first = order_count(op->t);
	GArray *pick = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (guint i = starts->len; st == TERN_OK && i > 0 && pick->len < first; i--) {
		guint from = g_array_index(starts, guint32, i - 1);
		guint to = i < starts->len ? g_array_index(starts, guint32, i) : uids->len;

		if (from > to || to > uids->len)
			break; /* client.c makes them ascending; never trust twice */
		to = MIN(to, from + (first - pick->len));
		g_array_append_vals(pick, &g_array_index(uids, guint32, from), to - from);
	}
	order_answered(op, st, (const guint32 *)pick->data, pick->len);
	g_array_unref(pick);
}

/* Asks the server for the first screen's order when the view needs it
 * and the server can (after load_newest(), whose answer comes first). */
static bool
ask_order(struct tui *t)
{
	const struct message_list *ml = t->list;
	static const enum imap_sort_key keys[MESSAGE_SORT_COUNT] = {
		[MESSAGE_SORT_DATE_ASC] = IMAP_SORT_DATE,
		[MESSAGE_SORT_FROM] = IMAP_SORT_FROM,
		[MESSAGE_SORT_SUBJECT] = IMAP_SORT_SUBJECT,
		[MESSAGE_SORT_SIZE_DESC] = IMAP_SORT_SIZE_DESC,
	};

	if (t->order_off || t->client == NULL)
		return false;
	if (ml->threaded) {
		/* REFS orders threads by their newest message: the date order's */
		if (ml->sort != MESSAGE_SORT_DATE_DESC || !imap_client_offers_thread_refs(t->client) ||
		    t->info.exists > TUI_THREAD_ORDER_MAX_EXISTS)
			return false;
		t->order_asked = true;
		imap_client_thread_refs(t->client, thread_answered, tui_op_new(t, NULL, NULL));
		return true;
	}
	if (ml->sort == MESSAGE_SORT_DATE_DESC || ml->sort >= MESSAGE_SORT_COUNT ||
	    !imap_client_offers_sort_first(t->client))
		return false;
	t->order_asked = true;
	imap_client_sort_first(t->client, keys[ml->sort], order_count(t), sort_answered,
			       tui_op_new(t, NULL, NULL));
	return true;
}

static void
select_done(struct imap_client *c, enum tern_status st, const char *detail,
	    const struct imap_mailbox_info *info, void *ud)
{
	struct tui *t = ((struct tui_op *)ud)->t;

	if (!op_end(ud))
		return;
	if (st != TERN_OK) {
		t->loading = false;
		list_when_first_screen(t);
		if (st != TERN_ERR_CONN)
			tui_error(t, _("Cannot open %s: %s"), t->folder, detail);
		tui_dirty(t);
		return;
	}
	t->info = *info;
	t->selected = true;
	if (t->cache_uidvalidity != 0 && t->cache_uidvalidity != info->uidvalidity) {
		message_list_clear(t->list); /* shown from a cache the server no longer matches */
		t->top_uid = 0;
	}
	cache_start_folder(t, info);
	message_list_reserve(t->list, info->exists);
	viewer_resume(t);
	if (info->read_only)
		tui_info(t, _("%s is read-only."), t->folder);
	if (info->uidnext > 1 && info->uidnext - 1 > t->top_uid)
		t->top_uid = info->uidnext - 1;
	if (info->exists == 0) {
		t->load_low = 1;
		finish_load(t);
		return;
	}
	load_newest(t);
	if (message_list_size(t->list) == 0)
		ask_order(t);
	tui_dirty(t);
}

/* ---- resyncing a cached folder ------------------------------------------- */

static void
sync_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct tui_op *op = ud;

	if (tui_op_current(op))
		add_batch(op->t, batch, n, false, false); /* the store keeps them itself */
}

static void
sync_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_mailbox_info *info, const struct store_sync_result *res, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	bool replace;

	if (!tui_op_current(op)) {
		tui_op_free(op);
		return;
	}
	tui_op_free(op);
	if (st == TERN_ERR_NO && info == NULL) {
		/* The store failed, not the server: go on without it. */
		t->cache_broken = true;
		tui_error(t, _("The cache cannot be used: %s"), detail != NULL ? detail : "");
		begin_select(t, true);
		return;
	}
	if (st != TERN_OK) {
		t->loading = false;
		list_when_first_screen(t);
		if (st != TERN_ERR_CONN)
			tui_error(t, _("Cannot open %s: %s"), t->folder, detail);
		tui_dirty(t);
		return;
	}
	t->info = *info;
	t->selected = true;
	replace = res->uidvalidity_changed || t->cache_uidvalidity != info->uidvalidity;
	/* Nothing vanished or changed flags: the rows shown (and those still
	 * coming from the cache) are the server's, and new ones came through
	 * sync_batch; only otherwise is the cache walked again. */
	if (replace || res->vanished > 0 || res->changed > 0)
		cache_reload_folder(t, info->uidvalidity, replace);
	viewer_resume(t);
	if (info->read_only)
		tui_info(t, _("%s is read-only."), t->folder);
	if (info->uidnext > 1 && info->uidnext - 1 > t->top_uid)
		t->top_uid = info->uidnext - 1;
	t->load_low = 1;
	finish_load(t);
	if (t->fetch_new_again) {
		t->fetch_new_again = false;
		fetch_new(t);
	}
}

static void
begin_select(struct tui *t, bool reload)
{
	struct store_folder f;
	struct tui_op *op;

	t->selected = false;
	t->loading = true;
	t->loaded = false;
	t->reload = reload;
	t->resync_needed = reload;
	t->fetching_new = false;
	t->fetch_new_again = false;
	t->order_asked = false; /* a folder left meanwhile: its answer is stale */
	t->load_after_order = false;
	t->load_from_top = false;
	if (!reload)
		t->top_uid = 0;
	t->cache_synced = false;
	if (t->client == NULL || t->conn != CONN_READY)
		return; /* after the reconnect */
	op = tui_op_new(t, NULL, NULL);
	if (!t->cache_read_only && cache_folder(t, t->folder, &f) == 1 && f.uidnext != 0) {
		/* Shown from the cache already: only what changed comes. */
		t->cache_synced = true;
		t->resync_needed = false;
		store_sync_folder(t->store, t->client, t->folder, false, sync_batch, sync_done, op);
	} else {
		imap_client_select(t->client, t->folder, false, select_done, op);
	}
	tui_dirty(t);
}

void
conn_open_folder(struct tui *t, const char *name)
{
	bool shown;

	results_folder_opening(t, name);
	if (t->folder != NULL && strcmp(name, t->folder) == 0 && (t->selected || t->loading))
		return;
	t->gen++;
	live_leaving(t);
	g_free(t->folder);
	t->folder = g_strdup(name);
	live_opened(t, name);
	message_list_clear(t->list);
	g_clear_pointer(&t->search, g_free);
	viewer_clear(&t->viewer);
	t->tag_prefix = false;
	t->top_uid = 0;
	t->cache_uidvalidity = 0;
	if (t->poll_timer != 0) {
		g_source_remove(t->poll_timer);
		t->poll_timer = 0;
	}
	if (t->client != NULL)
		imap_client_idle_stop(t->client);
	shown = cache_show_folder(t);
	if (shown)
		results_listed(t);
	begin_select(t, shown);
	tui_dirty(t);
}

/* ---- new mail -------------------------------------------------------------- */

struct new_data {
	guint32 old_top;
	guint unread;
	guint32 select_uid; /* a message brought back by undo, to select */
};

/* A message undo brings back is no new mail: true when m is one (and
 * forgotten from the set); *select_r gets it when it is the one to select. */
static bool
brought_back(struct tui *t, struct msg *m, guint32 *select_r)
{
	const char *mid;

	if (t->returning == NULL || m == NULL)
		return false;
	mid = message_list_message_id(t->list, m);
	if (mid == NULL || !g_hash_table_remove(t->returning, mid))
		return false;
	if (g_strcmp0(mid, t->select_mid) == 0)
		*select_r = m->uid;
	if (g_hash_table_size(t->returning) == 0)
		g_clear_pointer(&t->returning, g_hash_table_destroy);
	return true;
}

static void
new_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct tui_op *op = ud;
	struct new_data *nd = op->data;

	if (!tui_op_current(op))
		return;
	add_batch(op->t, batch, n, true, false);
	for (guint i = 0; i < n; i++) {
		struct msg *m = message_list_get(op->t->list, batch[i].uid);

		if (brought_back(op->t, m, &nd->select_uid))
			continue;
		if (batch[i].uid > nd->old_top && !(batch[i].flags & IMAP_FLAG_SEEN))
			nd->unread++;
	}
}

static void
new_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct new_data *nd = op->data;

	if (tui_op_current(op)) {
		t->fetching_new = false;
		if (nd->select_uid != 0) {
			message_list_select_uid(t->list, nd->select_uid);
			g_clear_pointer(&t->select_mid, g_free);
		}
		live_new_mail(t, t->folder, nd->unread);
		if (t->fetch_new_again) {
			t->fetch_new_again = false;
			fetch_new(t);
		}
		tui_dirty(t);
	}
	tui_op_free(op);
}

static void
fetch_new(struct tui *t)
{
	struct new_data *nd;
	struct tui_op *op;
	char set[32];

	if (t->client == NULL || !t->selected)
		return;
	if (t->fetching_new) {
		t->fetch_new_again = true;
		return;
	}
	t->fetching_new = true;
	nd = g_new0(struct new_data, 1);
	nd->old_top = t->top_uid;
	op = tui_op_new(t, nd, g_free);
	g_snprintf(set, sizeof(set), "%u:*", t->top_uid + 1);
	imap_client_fetch_summaries(t->client, set, new_batch, new_done, op);
}

/* ---- what the server no longer has ------------------------------------------ */

static void
reconcile_done(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	       void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;

	if (tui_op_current(op) && st == TERN_OK && uids != NULL) {
		GHashTable *have = g_hash_table_new(g_direct_hash, g_direct_equal);
		GArray *gone = g_array_new(FALSE, FALSE, sizeof(guint32));
		GArray *held = message_list_uids(t->list);

		for (guint i = 0; i < uids->len; i++)
			g_hash_table_add(have, GUINT_TO_POINTER(g_array_index(uids, guint32, i)));
		for (guint i = 0; i < held->len; i++)
			if (!g_hash_table_contains(have, GUINT_TO_POINTER(g_array_index(held, guint32, i))))
				g_array_append_val(gone, g_array_index(held, guint32, i));
		g_array_unref(held);
		remove_uids(t, (const guint32 *)(void *)gone->data, gone->len);
		g_array_free(gone, TRUE);
		g_hash_table_destroy(have);
		tui_dirty(t);
	}
	tui_op_free(op);
}

static void
reconcile(struct tui *t)
{
	static struct query_token all = { QUERY_TOK_ATOM, (char *)"ALL" };
	GPtrArray *tokens;
	struct tui_op *op;

	if (t->client == NULL || !t->selected)
		return;
	t->resync_needed = false;
	tokens = g_ptr_array_new();
	g_ptr_array_add(tokens, &all);
	op = tui_op_new(t, NULL, NULL);
	imap_client_search(t->client, tokens, false, reconcile_done, op);
	g_ptr_array_unref(tokens);
}

void
conn_forget(struct tui *t)
{
	t->conn = CONN_OFFLINE;
	t->reconnect_delay = 0;
	t->selected = t->loading = t->loaded = t->reload = false;
	t->searching = t->fetching_new = t->fetch_new_again = t->resync_needed = false;
	t->list_pending = false;
	t->top_uid = 0;
	t->load_low = 0;
	memset(&t->info, 0, sizeof t->info);
	conn_forget_returning(t);
	g_clear_pointer(&t->folder, g_free);
	g_clear_pointer(&t->search, g_free);
}

void
conn_set_folder(struct tui *t, const char *name)
{
	g_free(t->folder);
	t->folder = g_strdup(name);
}

void
conn_expect_returning(struct tui *t, const GPtrArray *mids)
{
	conn_forget_returning(t);
	if (mids == NULL || mids->len == 0)
		return;
	/* Already here (the server told us before the undo's answer came). */
	if (message_list_select_mid(t->list, mids->pdata[0]))
		return;
	t->returning = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < mids->len; i++)
		g_hash_table_add(t->returning, g_strdup(mids->pdata[i]));
	t->select_mid = g_strdup(mids->pdata[0]);
}

void
conn_forget_returning(struct tui *t)
{
	g_clear_pointer(&t->returning, g_hash_table_destroy);
	g_clear_pointer(&t->select_mid, g_free);
}

void
conn_sync(struct tui *t)
{
	if (t->g->offline) {
		tui_info(t, _("offline (--offline): showing cached mail only"));
		return;
	}
	if (t->client == NULL) {
		if (t->reconnect_timer != 0)
			g_source_remove(t->reconnect_timer);
		t->reconnect_timer = 0;
		conn_start(t);
		return;
	}
	if (t->conn != CONN_READY)
		return;
	list_folders(t);
	if (t->selected) {
		fetch_new(t);
		if (t->loaded)
			reconcile(t);
	}
	tui_info(t, _("Checking for new mail…"));
}

/* ---- search ------------------------------------------------------------------ */

/* Show only what the search found. */
/* keep_place: the server's answer replacing the cache's matches, which the
 * user may already be working in: the selected message stays selected
 * when the answer holds it too. */
static void
show_search(struct tui *t, const char *text, const GArray *uids, bool keep_place)
{
	const struct msg *before = t->list->sel;

	g_free(t->search);
	t->search = g_strdup(text);
	message_list_set_filter(t->list, uids);
	message_list_refresh(t->list);
	if (!keep_place || before == NULL || t->list->sel != before)
		message_list_select_row(t->list, 0);
	t->focus = PANE_LIST;
}

/* A search sent to the server: the query, and how many cached messages
 * the local index showed meanwhile. */
struct search_op {
	char *text;
	guint local;  /* shown before the server answered (0: none) */
	guint serial; /* t->message_serial once the cache's matches were told */
};

static void
search_op_free(gpointer p)
{
	struct search_op *so = p;

	g_free(so->text);
	g_free(so);
}

static void
search_done(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	    void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct search_op *so = op->data;

	/* Esc while the server searched (the cache's matches were shown)
	 * cleared the search: its answer must not bring it back */
	if (tui_op_current(op) && t->searching) {
		guint n = uids != NULL ? uids->len : 0;

		t->searching = false;
		if (st == TERN_OK) {
			/* the server's answer is the result: it replaces the
			 * cache's, which it holds unless the cache is stale */
			/* what a key pressed meanwhile said (Untagged…) is not
			 * overwritten by a count the user has already seen */
			bool quiet = so->local > 0 && t->message_serial != so->serial;

			show_search(t, so->text, uids, so->local > 0);
			if (n == 0)
				tui_info(t, _("No message matches."));
			else if (so->local > 0 && n > so->local)
				tui_info(t, ngettext("The server found %u more message than the cache.",
						     "The server found %u more messages than the cache.",
						     n - so->local),
					 n - so->local);
			else if (so->local > 0 && !quiet) /* replaces "the server is searching" */
				tui_info(t, ngettext("%u message matches.", "%u messages match.", n),
					 n);
		} else {
			tui_error(t, _("Search failed: %s"), detail);
		}
		tui_dirty(t);
	}
	tui_op_free(op);
}

/* Connected: what the cache (its summaries and full-text index) finds is
 * shown at once, while the server searches. Returns how many. */
static guint
search_local_first(struct tui *t, const char *text, const struct query *q)
{
	GArray *uids = cache_search(t, q);
	guint n = uids != NULL ? uids->len : 0;

	if (n > 0) {
		show_search(t, text, uids, false);
		tui_info(t, ngettext("%u cached message matches; the server is searching...",
				     "%u cached messages match; the server is searching...", n),
			 n);
	}
	if (uids != NULL)
		g_array_unref(uids);
	return n;
}

/* Not connected: search what the cache holds. */
static void
search_offline(struct tui *t, const char *text, const struct query *q)
{
	GArray *uids = cache_search(t, q);

	if (uids == NULL) {
		tui_error(t, _("Search needs the server, and it is not connected."));
		return;
	}
	show_search(t, text, uids, false);
	if (uids->len == 0)
		tui_info(t, _("No cached message matches (offline: headers and bodies read)."));
	else
		tui_info(t, ngettext("%u cached message matches (offline: headers and bodies read).",
				     "%u cached messages match (offline: headers and bodies read).",
				     uids->len), uids->len);
	g_array_unref(uids);
	tui_dirty(t);
}

void
conn_search(struct tui *t, const char *text)
{
	struct query *q = NULL;
	GError *err = NULL;
	GPtrArray *tokens;
	struct tui_op *op;
	struct search_op *so;

	if (query_parse(text, &q, &err) < 0) {
		tui_error(t, _("Search: %s"), err->message);
		g_error_free(err);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY) {
		search_offline(t, text, q);
		query_free(&q);
		return;
	}
	if (!t->selected) {
		tui_error(t, _("%s is still opening; try again in a moment."), t->folder);
		query_free(&q);
		return;
	}
	so = g_new0(struct search_op, 1);
	so->text = g_strdup(text);
	so->local = search_local_first(t, text, q);
	so->serial = t->message_serial;
	tokens = query_to_imap(q);
	op = tui_op_new(t, so, search_op_free);
	t->searching = true;
	imap_client_search(t->client, tokens, query_needs_utf8(q), search_done, op);
	g_ptr_array_unref(tokens);
	query_free(&q);
	tui_dirty(t);
}

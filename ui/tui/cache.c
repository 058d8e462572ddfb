/* tern — ui/tui/cache: the interface on the account's SQLite cache.
 *
 * A folder opens on what the cache holds (no round trip), then conn.c
 * resyncs it in the background. Events from the server, the user's own
 * flag changes and moves, and bodies the viewer fetched are written back
 * here, so the next start (or an offline one) shows the same thing.
 *
 * A cache that cannot be written is not a reason to stop reading mail: a
 * failed write is logged, said once on the message line, and the cache is
 * left alone for the rest of the session. */
#include "config.h"
#include "core/common.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/imap/imap.h"
#include "core/log.h"
#include "core/model/flags.h"
#include "core/store/store.h"
#include "ui/tui/tui-private.h"

/* Cached rows added per idle call once the first screen is drawn, at
 * most; a call also ends after CACHE_WALK_SLICE_US (a key waits for one
 * call: 2,000 rows took 8-36 ms at 1,000,000 messages on a busy machine). */
#define CACHE_WALK_CHUNK 2000
#define CACHE_WALK_SLICE_US (8 * 1000)
/* The nice value of the thread that reads the cached rows. */
#define CACHE_WALK_READER_NICE 10

/* A folder's first load writes its rows in large transactions (a commit
 * per batch of 500 rewrote the same index pages into the WAL 200 times at
 * 100,000 messages), committed after CACHE_LOAD_TXN_ROWS rows or
 * CACHE_LOAD_TXN_MS after they began, whichever comes first, so that
 * another tern waits for the lock no longer than that; WAL checkpoints wait
 * for the end of the load (store_bulk_begin() in store.h). */
#define CACHE_LOAD_TXN_ROWS 10000
#define CACHE_LOAD_TXN_MS 100

static void walk_stop(struct tui *t);

/* A store call failed: say so once, then stop writing. */
void
cache_failed(struct tui *t, GError *err)
{
	log_warn("cache: %s", err != NULL ? err->message : "?");
	if (!t->cache_broken)
		tui_error(t, _("The cache cannot be used: %s"), err != NULL ? err->message : "");
	t->cache_broken = true;
	g_clear_error(&err);
}

static bool
store_writable(struct tui *t)
{
	return t->store != NULL && !t->cache_read_only && !t->cache_broken;
}

static bool
can_write(struct tui *t)
{
	return store_writable(t) && t->folder != NULL && t->cache_uidvalidity != 0;
}

void
cache_open(struct tui *t)
{
	GError *err = NULL;
	char *warning = NULL;
	char *path;
	int rc;

	if (t->g->no_cache)
		return;
	path = store_account_path(t->account->name);
	/* --offline creates no cache, but an existing one takes the changes
	 * queued for later; one we may not write is read from only. */
	t->cache_read_only = false;
	if (t->g->offline && !g_file_test(path, G_FILE_TEST_EXISTS)) {
		t->cache_read_only = true;
		g_free(path);
		return;
	}
	rc = store_open(path, 0, &t->store, &warning, &err);
	if (rc < 0 && t->g->offline) {
		g_clear_error(&err);
		t->cache_read_only = true;
		rc = store_open(path, STORE_OPEN_READ_ONLY, &t->store, &warning, &err);
	}
	if (rc < 0) {
		if (!g_error_matches(err, STORE_ERROR, STORE_ERROR_MISSING))
			tui_error(t, _("The cache cannot be used: %s"), err->message);
		g_clear_error(&err);
		t->store = NULL;
	}
	if (warning != NULL)
		tui_error(t, "%s", warning);
	g_free(warning);
	g_free(path);
}

/* ---- the load's transactions ---------------------------------------------- */

static void
load_txn_commit(struct tui *t)
{
	GError *err = NULL;

	if (t->cache_load_timer != 0)
		g_source_remove(t->cache_load_timer);
	t->cache_load_timer = 0;
	t->cache_load_rows = 0;
	if (t->store != NULL && store_bulk_commit(t->store, &err) < 0)
		cache_failed(t, err);
}

static gboolean
load_txn_timeout(gpointer ud)
{
	struct tui *t = ud;

	t->cache_load_timer = 0;
	load_txn_commit(t);
	return G_SOURCE_REMOVE;
}

/* The load is over (done, failed or left): commit, and checkpoint the WAL
 * (in a thread: 0.8 s at 1,000,000 messages). */
static void
load_txn_end(struct tui *t)
{
	GError *err = NULL;

	load_txn_commit(t);
	if (t->store != NULL && store_bulk_end_background(t->store, &err) < 0)
		cache_failed(t, err);
}

/* Before writing n rows of the load. */
static void
load_txn_rows(struct tui *t, guint n)
{
	GError *err = NULL;

	if (!store_bulk_open(t->store)) {
		if (store_bulk_begin(t->store, &err) < 0) {
			cache_failed(t, err);
			return;
		}
		t->cache_load_rows = 0;
		if (t->cache_load_timer == 0 && store_bulk_open(t->store))
			t->cache_load_timer = g_timeout_add(CACHE_LOAD_TXN_MS, load_txn_timeout, t);
	}
	t->cache_load_rows += n;
}

void
cache_close(struct tui *t)
{
	if (t->store != NULL)
		load_txn_end(t);
	walk_stop(t);
	cache_counts_cancel(t);
	store_free(&t->store);
	t->queued_known = false;
	t->cache_broken = false;
	t->cache_uidvalidity = 0;
}

bool
cache_usable(struct tui *t)
{
	return t->store != NULL && !t->cache_broken;
}

int
cache_folder(struct tui *t, const char *folder, struct store_folder *f_r)
{
	GError *err = NULL;
	int found;

	if (!cache_usable(t))
		return 0;
	found = store_folder_get(t->store, folder, f_r, &err);
	if (found < 0) {
		cache_failed(t, err);
		return 0;
	}
	return found;
}

GArray *
cache_exact_summaries(struct tui *t, const char *folder, const struct imap_mailbox_info *info,
		      GArray *uids)
{
	struct store_folder f;
	GArray *sums = NULL;
	GError *err = NULL;
	guint kept = 0, j = 0;

	/* any flag change or expunge raises HIGHESTMODSEQ: equal, the rows
	 * are what the server has */
	if (info->highestmodseq == 0 || cache_folder(t, folder, &f) != 1 ||
	    f.uidvalidity != info->uidvalidity || f.uidnext != info->uidnext ||
	    f.highestmodseq != info->highestmodseq)
		return NULL;
	if (store_messages_load(t->store, folder, info->uidvalidity, uids, &sums, &err) < 0) {
		cache_failed(t, err);
		return NULL;
	}
	for (guint i = 0; i < uids->len; i++) { /* both in UID order */
		guint32 uid = g_array_index(uids, guint32, i);

		if (j < sums->len && g_array_index(sums, struct imap_summary, j).uid == uid)
			j++;
		else
			g_array_index(uids, guint32, kept++) = uid;
	}
	g_array_set_size(uids, kept);
	return sums;
}

/* ---- opening a folder on its cached rows --------------------------------- *
 *
 * The newest screenful is read at once and drawn; the rest comes in
 * chunks, newest first, from an idle source, so keys wait for one chunk
 * at most and only one row at a time is in memory besides the list. */

/* The rest of a folder, below its first screen, is read on a worker
 * thread with its own connection, CACHE_WALK_BATCH rows a batch, at most
 * CACHE_WALK_AHEAD batches ahead of the main thread (which adds them to
 * the list in slices of CACHE_WALK_SLICE_US): at 1,000,000 messages the
 * reading (SQLite, copying, hashing) was half of a 2.15 s load done on
 * the main thread between keys. */
#define CACHE_WALK_BATCH 2048
#define CACHE_WALK_AHEAD 8

/* What the worker shares with the main thread: all under mu but store,
 * which is the worker's until it is joined. */
struct walk_reader {
	GMutex mu;
	GCond room;            /* a batch was taken, or cancel */
	GQueue ready;          /* struct message_list_batch *, read, not yet added */
	gint cancel;           /* atomic too: the worker looks at every row */
	bool done;             /* the worker queued its last batch */
	GError *error;         /* ... and failed so */
	GSource *wake;         /* the main thread's: ready when a batch is queued */
	GThread *thread;
	/* the worker's alone */
	struct store *store;
	char *folder;
	guint32 uidvalidity;
	guint32 below;
	struct message_list_seeds seeds;
	struct message_list_batch *filling;
	gint64 delay_us;       /* tests: hold each batch this long (TERN_TEST_WALK_DELAY_MS) */
};

/* Values of cache_walk.touched: a UID the main thread changed in the
 * cache while the worker reads an older snapshot of it. */
#define TOUCH_REMOVED 0x80000000u /* expunged or moved away: its row is stale */
#define TOUCH_FLAGS 0x40000000u   /* with these flags (the low bits) */
#define TOUCH_KNOWN 0x20000000u   /* changed in the list, which is newer */

struct cache_walk {
	struct tui *t;
	guint source;
	struct store *store;
	guint32 uidvalidity;
	guint32 below;  /* the next chunk: UIDs below this (0: from the top) */
	guint32 low;    /* lowest UID of this chunk */
	guint n;        /* rows in this chunk */
	gint64 deadline; /* monotonic: this chunk ends then (0: no limit) */
	bool late;      /* ... and it did, before its last row */
	bool prune;     /* at the end, drop what the walk did not meet */
	struct store_overlay *ov; /* the journal's queued changes, shown over the rows */
	/* the worker's rows (NULL: read here, in slices) */
	struct walk_reader *rd;
	struct message_list_batch *adding; /* taken from rd, added up to next */
	guint next;
	GHashTable *touched;    /* uid -> TOUCH_*, since the worker began */
};

static void reader_stop(struct walk_reader **rdp);

static void
walk_stop(struct tui *t)
{
	struct cache_walk *w = t->cache_walk;

	if (w == NULL)
		return;
	if (w->source != 0)
		g_source_remove(w->source);
	reader_stop(&w->rd);
	message_list_batch_free(&w->adding);
	if (w->touched != NULL)
		g_hash_table_destroy(w->touched);
	store_overlay_free(&w->ov);
	g_free(w);
	t->cache_walk = NULL;
}

static bool
walk_row(const struct imap_summary *s, void *ud)
{
	struct cache_walk *w = ud;
	struct tui *t = w->t;

	struct imap_summary shown;
	guint flags = s->flags;

	w->low = s->uid;
	w->n++;
	/* What waits in the journal shows over the row; the cached row stays
	 * as the server last said, so a change it refuses leaves nothing wrong. */
	if (!store_overlay_apply(w->ov, s->uid, &flags)) {
		message_list_remove(t->list, s->uid); /* a queued move takes it away */
		return true;
	}
	if (flags != s->flags) {
		shown = *s; /* the same strings, other flags */
		shown.flags = flags;
		s = &shown;
	}
	/* Known: its flags are updated (and it is marked as still cached). */
	message_list_add(t->list, s);
	if (s->uid > t->top_uid)
		t->top_uid = s->uid;
	if (w->deadline != 0 && w->n % 64 == 0 && g_get_monotonic_time() > w->deadline) {
		w->late = true;
		return false;
	}
	return true;
}

/* Add (or update) the next LIMIT cached summaries of the open folder in
 * the list. Returns 1 when more may follow, 0 at the end, -1 on error. */
static int
load_into_list(struct tui *t, struct cache_walk *w, guint limit, gint64 deadline)
{
	GError *err = NULL;

	w->n = 0;
	w->deadline = deadline;
	w->late = false;
	if (store_messages_each(t->store, t->folder, w->uidvalidity, w->below, limit, walk_row, w,
				&err) < 0) {
		cache_failed(t, err);
		return -1;
	}
	tui_dirty(t);
	if ((w->n < limit && !w->late) || w->low <= 1)
		return 0;
	w->below = w->low;
	return 1;
}

static void
walk_end(struct tui *t)
{
	if (t->cache_walk->prune)
		message_list_remove_unmarked(t->list);
	walk_stop(t);
	/* the folder pane's count of the open folder: what the walk showed
	 * (counts_cb() leaves it alone) */
	if (t->folder != NULL)
		folder_tree_set_counts(t->folders, t->folder, t->list->total, t->list->unread);
	tui_dirty(t);
}

static gboolean
walk_cb(gpointer ud)
{
	struct tui *t = ud;
	struct cache_walk *w = t->cache_walk;
	int r;

	/* The folder, its UIDVALIDITY or the store changed meanwhile. */
	if (!cache_usable(t) || t->store != w->store || t->folder == NULL ||
	    t->cache_uidvalidity != w->uidvalidity) {
		w->source = 0;
		walk_stop(t);
		return G_SOURCE_REMOVE;
	}
	r = load_into_list(t, w, CACHE_WALK_CHUNK, g_get_monotonic_time() + CACHE_WALK_SLICE_US);
	if (r == 1)
		return G_SOURCE_CONTINUE;
	w->source = 0;
	if (r == 0)
		walk_end(t);
	else
		walk_stop(t);
	return G_SOURCE_REMOVE;
}

/* ---- the worker ----------------------------------------------------------- */

/* Queue the batch being filled; false when the walk was cancelled. Waits
 * while CACHE_WALK_AHEAD batches wait already (memory stays bounded). */
static bool
reader_push(struct walk_reader *rd)
{
	gint64 until = g_get_monotonic_time() + rd->delay_us;
	bool go_on;

	g_mutex_lock(&rd->mu);
	while (!rd->cancel && rd->delay_us > 0 && g_get_monotonic_time() < until)
		g_cond_wait_until(&rd->room, &rd->mu, until);
	while (rd->ready.length >= CACHE_WALK_AHEAD && !rd->cancel)
		g_cond_wait(&rd->room, &rd->mu);
	go_on = !rd->cancel;
	if (go_on) {
		g_queue_push_tail(&rd->ready, rd->filling);
		rd->filling = NULL;
	}
	g_mutex_unlock(&rd->mu);
	/* after the unlock: see walk_batches_cb() */
	if (go_on)
		g_source_set_ready_time(rd->wake, 0);
	return go_on;
}

static bool
reader_row(const struct imap_summary *s, void *ud)
{
	struct walk_reader *rd = ud;

	if (rd->filling == NULL)
		rd->filling = message_list_batch_new(&rd->seeds, CACHE_WALK_BATCH);
	message_list_batch_add(rd->filling, s);
	if (message_list_batch_len(rd->filling) >= CACHE_WALK_BATCH)
		return reader_push(rd);
	return !g_atomic_int_get(&rd->cancel);
}

static gpointer
reader_main(gpointer ud)
{
	struct walk_reader *rd = ud;
	GError *err = NULL;
	int rc;

	/* Below the interface's own thread (and the terminal's): a key
	 * waited for this one's time slice too, up to 62 ms at 1,000,000
	 * where it was 23 without it. Linux: a thread's nice value. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), CACHE_WALK_READER_NICE);

	/* one statement, one snapshot: what the main thread writes meanwhile
	 * it records in cache_walk.touched */
	rc = store_messages_each(rd->store, rd->folder, rd->uidvalidity, rd->below, 0, reader_row,
				 rd, &err);
	if (rc == 0 && rd->filling != NULL && !g_atomic_int_get(&rd->cancel))
		reader_push(rd);
	message_list_batch_free(&rd->filling);
	g_mutex_lock(&rd->mu);
	rd->done = true;
	rd->error = err;
	g_mutex_unlock(&rd->mu);
	g_source_set_ready_time(rd->wake, 0);
	return NULL;
}

static gboolean
reader_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
	(void)src;
	return cb(ud);
}

static GSourceFuncs reader_funcs = { .dispatch = reader_dispatch };

/* Read the open folder's rows below w->below on a worker thread; false
 * when it cannot be (a read-only cache has no second connection). */
static bool
reader_start(struct tui *t, struct cache_walk *w, GSourceFunc cb)
{
	struct walk_reader *rd;
	struct store *another = NULL;
	GError *err = NULL;

	if (store_open_another(t->store, &another, &err) < 0) {
		g_clear_error(&err);
		return false;
	}
	rd = g_new0(struct walk_reader, 1);
	g_mutex_init(&rd->mu);
	g_cond_init(&rd->room);
	g_queue_init(&rd->ready);
	rd->store = another;
	rd->folder = g_strdup(t->folder);
	rd->uidvalidity = w->uidvalidity;
	rd->below = w->below;
	message_list_seeds(t->list, &rd->seeds);
	/* the tests' way to quit, switch folders or see a change from the
	 * server while the rows are still coming */
	if (g_getenv("TERN_TEST_WALK_DELAY_MS") != NULL)
		rd->delay_us = g_ascii_strtoll(g_getenv("TERN_TEST_WALK_DELAY_MS"), NULL, 10) * 1000;
	rd->wake = g_source_new(&reader_funcs, sizeof(GSource));
	g_source_set_priority(rd->wake, G_PRIORITY_DEFAULT_IDLE); /* below redraws and keys */
	g_source_set_callback(rd->wake, cb, t, NULL);
	g_source_set_ready_time(rd->wake, -1);
	g_source_attach(rd->wake, NULL);
	w->rd = rd;
	w->touched = g_hash_table_new(g_direct_hash, g_direct_equal);
	rd->thread = g_thread_new("tern-cache-walk", reader_main, rd);
	return true;
}

static void
batch_free(gpointer b)
{
	message_list_batch_free((struct message_list_batch **)&b);
}

static void
reader_stop(struct walk_reader **rdp)
{
	struct walk_reader *rd = *rdp;

	if (rd == NULL)
		return;
	g_mutex_lock(&rd->mu);
	g_atomic_int_set(&rd->cancel, 1);
	g_cond_broadcast(&rd->room);
	g_mutex_unlock(&rd->mu);
	g_thread_join(rd->thread);
	g_source_destroy(rd->wake);
	g_source_unref(rd->wake);
	g_queue_clear_full(&rd->ready, batch_free);
	g_clear_error(&rd->error);
	store_free(&rd->store);
	g_free(rd->folder);
	g_mutex_clear(&rd->mu);
	g_cond_clear(&rd->room);
	g_free(rd);
	*rdp = NULL;
}

/* The next batch to add (transfer full), or NULL when none waits. When
 * none waits and more will come, the wake source sleeps until one does;
 * *done_r says none will. */
static struct message_list_batch *
reader_take(struct walk_reader *rd, bool *done_r)
{
	struct message_list_batch *b;

	g_mutex_lock(&rd->mu);
	b = g_queue_pop_head(&rd->ready);
	if (b != NULL)
		g_cond_signal(&rd->room);
	else if (!rd->done) /* the worker's next push wakes it after this */
		g_source_set_ready_time(rd->wake, -1);
	*done_r = b == NULL && rd->done;
	g_mutex_unlock(&rd->mu);
	return b;
}

/* What the main thread changes in the cache while the worker reads it. */
static void
walk_touch(struct tui *t, guint32 uid, guint value)
{
	struct cache_walk *w = t->cache_walk;

	if (w != NULL && w->touched != NULL)
		g_hash_table_insert(w->touched, GUINT_TO_POINTER(uid), GUINT_TO_POINTER(value));
}

/* Row i of a batch from the worker into the list. Its snapshot may be
 * older than the list: a row the main thread changed since (touched) does
 * not undo that change, and a message already listed keeps its flags
 * unless this walk is there to bring the cache's (prune). */
static void
walk_add_row(struct tui *t, struct cache_walk *w, const struct message_list_batch *b, guint i)
{
	guint32 uid = message_list_batch_uid(b, i);
	guint flags = message_list_batch_flags(b, i);
	bool update = w->prune;
	gpointer v;

	if (g_hash_table_lookup_extended(w->touched, GUINT_TO_POINTER(uid), NULL, &v)) {
		guint touch = GPOINTER_TO_UINT(v);

		if (touch & TOUCH_REMOVED)
			return;
		if (touch & TOUCH_FLAGS)
			flags = touch & ~(TOUCH_FLAGS | TOUCH_KNOWN);
		update = false;
	}
	if (!store_overlay_apply(w->ov, uid, &flags)) {
		message_list_remove(t->list, uid); /* a queued move takes it away */
		return;
	}
	if (message_list_add_prepared(t->list, b, i, flags, update) != NULL && uid > t->top_uid)
		t->top_uid = uid;
}

/* Add what the worker read, for CACHE_WALK_SLICE_US at most. */
static gboolean
walk_batches_cb(gpointer ud)
{
	struct tui *t = ud;
	struct cache_walk *w = t->cache_walk;
	gint64 deadline = g_get_monotonic_time() + CACHE_WALK_SLICE_US;
	GError *err = NULL;
	bool done = false;

	if (!cache_usable(t) || t->store != w->store || t->folder == NULL ||
	    t->cache_uidvalidity != w->uidvalidity) {
		walk_stop(t);
		return G_SOURCE_REMOVE;
	}
	for (;;) {
		guint n;

		if (w->adding == NULL) {
			w->adding = reader_take(w->rd, &done);
			w->next = 0;
			if (w->adding == NULL)
				break;
		}
		n = message_list_batch_len(w->adding);
		for (; w->next < n; w->next++) {
			message_list_batch_prefetch(t->list, w->adding, w->next);
			walk_add_row(t, w, w->adding, w->next);
			if (w->next % 64 == 63 && g_get_monotonic_time() > deadline)
				break;
		}
		if (w->next >= n)
			message_list_batch_free(&w->adding);
		if (g_get_monotonic_time() > deadline) {
			tui_dirty(t);
			return G_SOURCE_CONTINUE; /* the wake source stays ready */
		}
	}
	tui_dirty(t);
	if (!done)
		return G_SOURCE_CONTINUE; /* asleep until the next batch */
	g_mutex_lock(&w->rd->mu);
	err = g_steal_pointer(&w->rd->error);
	g_mutex_unlock(&w->rd->mu);
	if (err != NULL) {
		cache_failed(t, err);
		walk_stop(t);
	} else {
		walk_end(t);
	}
	return G_SOURCE_REMOVE;
}

/* The first screen is drawn: read the rest on a worker (started only
 * now, it took the CPU from the first screen's drawing: 31 -> 65 ms at
 * 100,000), or here in slices when the cache has no second connection. */
static gboolean
walk_begin_cb(gpointer ud)
{
	struct tui *t = ud;
	struct cache_walk *w = t->cache_walk;

	w->source = 0;
	if (cache_usable(t) && t->store == w->store && t->folder != NULL &&
	    t->cache_uidvalidity == w->uidvalidity && reader_start(t, w, walk_batches_cb))
		return G_SOURCE_REMOVE;
	w->source = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, walk_cb, t, NULL);
	return G_SOURCE_REMOVE;
}

/* Show the newest screenful now, the rest from an idle source. With
 * prune, messages the cache no longer holds go at the end. */
static int
walk_start(struct tui *t, guint32 uidvalidity, bool prune)
{
	struct cache_walk *w;
	guint first = MAX(TUI_FIRST_SCREEN, (guint)MAX(t->lay.list.h, 0) * 2);
	GError *err = NULL;
	int r;

	walk_stop(t);
	w = g_new0(struct cache_walk, 1);
	w->t = t;
	w->store = t->store;
	w->uidvalidity = uidvalidity;
	w->prune = prune;
	t->cache_walk = w;
	if (store_overlay_new(t->store, t->folder, uidvalidity, &w->ov, &err) < 0) {
		cache_failed(t, err);
		walk_stop(t);
		return -1;
	}
	if (prune)
		message_list_unmark_all(t->list);
	r = load_into_list(t, w, first, 0);
	if (r < 0) {
		walk_stop(t);
		return -1;
	}
	if (r == 0)
		walk_end(t);
	else /* below the redraws and the keys */
		w->source = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, walk_begin_cb, t, NULL);
	return 0;
}

bool
cache_show_folder(struct tui *t)
{
	struct store_folder f;

	walk_stop(t);
	if (t->folder == NULL || cache_folder(t, t->folder, &f) != 1)
		return false;
	t->cache_uidvalidity = f.uidvalidity;
	/* the cached UIDs lie under its UIDNEXT: at most that many */
	if (f.uidnext > 1)
		message_list_reserve(t->list, f.uidnext - 1);
	if (walk_start(t, f.uidvalidity, false) < 0) {
		t->cache_uidvalidity = 0;
		return false;
	}
	return true;
}

void
cache_reload_folder(struct tui *t, guint32 uidvalidity, bool replace)
{
	if (!cache_usable(t) || t->folder == NULL)
		return;
	if (replace)
		message_list_clear(t->list);
	t->cache_uidvalidity = uidvalidity;
	walk_start(t, uidvalidity, true);
}

void
cache_put_folders(struct tui *t, const GPtrArray *folders)
{
	GError *err = NULL;

	if (cache_can_replay(t) && store_folder_list_put(t->store, folders, &err) < 0)
		cache_failed(t, err);
}

/* Folders known only by their cached messages (a cache from before the
 * folder list was kept). */
static GPtrArray *
folders_from_names(struct tui *t, GPtrArray *names)
{
	GPtrArray *folders = g_ptr_array_new_with_free_func((GDestroyNotify)imap_folder_free);

	for (guint i = 0; i < names->len; i++) {
		struct imap_folder *f = g_new0(struct imap_folder, 1);

		f->name = g_strdup(names->pdata[i]);
		f->wire_name = g_strdup(names->pdata[i]);
		f->delimiter = '/';
		f->attr_names = g_ptr_array_new_with_free_func(g_free);
		f->role = g_ascii_strcasecmp(f->name, "INBOX") == 0 ? FOLDER_ROLE_INBOX :
								      FOLDER_ROLE_NONE;
		f->messages = -1;
		f->unseen = -1;
		g_ptr_array_add(folders, f);
	}
	return folders;
}

/* The cached folders' counts into the folder pane (cache_show_folders()). */
static gboolean
counts_cb(gpointer ud)
{
	struct tui *t = ud;
	GPtrArray *names = NULL;

	t->cache_counts_source = 0;
	if (!cache_usable(t) || store_folder_names(t->store, &names, NULL) < 0)
		return G_SOURCE_REMOVE;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		struct store_folder sf;
		guint n = 0, unseen = 0;

		/* The open folder shown from the cache gets the counts of its
		 * walk (walk_end()): counted here they cost a slice as long as
		 * the folder is big (50 ms at 1,000,000), keys waiting. */
		if (t->cache_uidvalidity != 0 && g_strcmp0(name, t->folder) == 0)
			continue;
		if (store_folder_get(t->store, name, &sf, NULL) == 1 && sf.uidnext != 0 &&
		    store_messages_counts(t->store, name, sf.uidvalidity, &n, &unseen, NULL) == 0)
			folder_tree_set_counts(t->folders, name, n, unseen);
	}
	g_ptr_array_unref(names);
	tui_dirty(t);
	return G_SOURCE_REMOVE;
}

void
cache_show_folders(struct tui *t)
{
	GPtrArray *names = NULL, *folders = NULL;
	GError *err = NULL;

	if (!cache_usable(t))
		return;
	if (store_folder_list_get(t->store, &folders, &err) < 0 ||
	    (folders->len == 0 && store_folder_names(t->store, &names, &err) < 0)) {
		if (folders != NULL)
			g_ptr_array_unref(folders);
		cache_failed(t, err);
		return;
	}
	if (names != NULL) {
		g_ptr_array_unref(folders);
		folders = folders_from_names(t, names);
		g_ptr_array_unref(names);
	}
	folder_tree_set(t->folders, folders);
	if (t->folder != NULL)
		folder_tree_select_name(t->folders, t->folder);
	g_ptr_array_unref(folders);
	/* The counts of the folders whose messages are cached are the cache's,
	 * read once the first screen is drawn (redraws go at a higher
	 * priority): they read an index entry per cached message, 4 ms at
	 * 100,000 and 27 ms at 300,000, which the first screen does not need.
	 * Until then the pane shows the counts as last listed. */
	if (t->cache_counts_source == 0)
		t->cache_counts_source = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, counts_cb, t,
							 NULL);
	tui_dirty(t);
}

void
cache_counts_cancel(struct tui *t)
{
	if (t->cache_counts_source != 0)
		g_source_remove(t->cache_counts_source);
	t->cache_counts_source = 0;
}

static bool
any_row(const struct imap_summary *s, void *ud)
{
	*(bool *)ud = true;
	return false;
}

void
cache_start_folder(struct tui *t, const struct imap_mailbox_info *info)
{
	struct store_folder f = { .uidvalidity = info->uidvalidity };
	GError *err = NULL;

	t->cache_uidvalidity = info->uidvalidity;
	t->cache_had_rows = false;
	if (t->cache_read_only || !cache_usable(t) || info->uidvalidity == 0)
		return;
	load_txn_end(t); /* an earlier load that never finished */
	/* one row is enough to know (cache_finish_folder()) */
	if (store_messages_each(t->store, t->folder, info->uidvalidity, 0, 1, any_row,
				&t->cache_had_rows, &err) < 0) {
		cache_failed(t, err);
		return;
	}
	/* UIDNEXT 0 until the whole folder is in: an interrupted load is
	 * fetched again by the next resync. */
	if (store_folder_set(t->store, t->folder, &f, &err) < 0)
		cache_failed(t, err);
}

void
cache_finish_folder(struct tui *t, const struct imap_mailbox_info *info)
{
	struct store_folder f = { .uidvalidity = info->uidvalidity,
				  .uidnext = info->uidnext,
				  .highestmodseq = info->highestmodseq };
	GError *err = NULL;

	GArray *uids = NULL, *gone;

	if (!can_write(t) || info->uidvalidity != t->cache_uidvalidity || info->uidnext == 0)
		return;
	load_txn_end(t);
	/* Rows of an earlier, interrupted load that the server no longer has
	 * (none when the load began on no rows: a walk of every UID, 180 ms
	 * at 1,000,000, saved). */
	if (!t->cache_had_rows)
		goto done;
	if (store_messages_uids(t->store, t->folder, info->uidvalidity, &uids, &err) < 0) {
		cache_failed(t, err);
		return;
	}
	gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < uids->len; i++) {
		guint32 uid = g_array_index(uids, guint32, i);

		if (uid < info->uidnext && message_list_get(t->list, uid) == NULL)
			g_array_append_val(gone, uid);
	}
	g_array_unref(uids);
	cache_remove(t, (const guint32 *)(void *)gone->data, gone->len);
	g_array_unref(gone);
done:
	if (!t->cache_broken && store_folder_set(t->store, t->folder, &f, &err) < 0)
		cache_failed(t, err);
}

void
cache_put(struct tui *t, const struct imap_summary *sums, guint n)
{
	GError *err = NULL;

	for (guint i = 0; i < n; i++)
		walk_touch(t, sums[i].uid, TOUCH_FLAGS | sums[i].flags);
	if (n == 0 || !can_write(t))
		return;
	load_txn_rows(t, n);
	if (store_messages_put(t->store, t->folder, t->cache_uidvalidity, sums, n, &err) < 0)
		cache_failed(t, err);
	else if (t->cache_load_rows >= CACHE_LOAD_TXN_ROWS)
		load_txn_commit(t);
}

void
cache_set_preview(struct tui *t, guint32 uid, const char *preview)
{
	GError *err = NULL;

	if (!can_write(t))
		return;
	if (store_message_set_preview(t->store, t->folder, t->cache_uidvalidity, uid, preview,
				      &err) < 0)
		cache_failed(t, err);
}

void
cache_set_flags(struct tui *t, const struct imap_summary *s)
{
	GError *err = NULL;

	walk_touch(t, s->uid, TOUCH_FLAGS | s->flags);
	if (!can_write(t))
		return;
	if (store_messages_set_flags(t->store, t->folder, t->cache_uidvalidity, s, 1, &err) < 0)
		cache_failed(t, err);
}

void
cache_flag_bit(struct tui *t, const GArray *uids, guint bit, bool add)
{
	const char *flags[] = { flags_to_imap(bit), NULL };
	GError *err = NULL;

	for (guint i = 0; uids != NULL && i < uids->len; i++)
		walk_touch(t, g_array_index(uids, guint32, i), TOUCH_KNOWN);
	if (uids == NULL || uids->len == 0 || flags[0] == NULL || !can_write(t))
		return;
	if (store_messages_change_flags(t->store, t->folder, t->cache_uidvalidity, uids, add,
					flags, &err) < 0)
		cache_failed(t, err);
}

void
cache_remove(struct tui *t, const guint32 *uids, guint n)
{
	for (guint i = 0; i < n; i++)
		walk_touch(t, uids[i], TOUCH_REMOVED);
	cache_remove_in(t, t->folder, t->cache_uidvalidity, uids, n);
}

void
cache_remove_in(struct tui *t, const char *folder, guint32 uidvalidity, const guint32 *uids,
		guint n)
{
	GError *err = NULL;

	if (n == 0 || !store_writable(t) || folder == NULL || uidvalidity == 0)
		return;
	if (store_messages_remove(t->store, folder, uidvalidity, uids, n, &err) < 0)
		cache_failed(t, err);
}

GBytes *
cache_body_get(struct tui *t, const char *folder, guint32 uid)
{
	GBytes *data = NULL;
	GError *err = NULL;
	int found;

	if (!cache_usable(t) || t->cache_uidvalidity == 0 || g_strcmp0(folder, t->folder) != 0)
		return NULL;
	found = store_body_get(t->store, folder, t->cache_uidvalidity, uid, &data, &err);
	if (found < 0)
		cache_failed(t, err);
	return found == 1 ? data : NULL;
}

void
cache_body_put(struct tui *t, const char *folder, guint32 uid, GBytes *data)
{
	GError *err = NULL;

	if (!can_write(t) || g_strcmp0(folder, t->folder) != 0)
		return;
	if (store_body_put(t->store, folder, t->cache_uidvalidity, uid, data, &err) < 0)
		cache_failed(t, err);
}

void
cache_text_put(struct tui *t, const char *folder, guint32 uid, const char *text)
{
	GError *err = NULL;

	if (!can_write(t) || g_strcmp0(folder, t->folder) != 0)
		return;
	if (store_text_put(t->store, folder, t->cache_uidvalidity, uid, text, &err) < 0)
		cache_failed(t, err);
}

GBytes *
cache_part_get(struct tui *t, const char *folder, guint32 uid, const char *item)
{
	GBytes *data = NULL;
	GError *err = NULL;
	int found;

	if (!cache_usable(t) || t->cache_uidvalidity == 0 || g_strcmp0(folder, t->folder) != 0)
		return NULL;
	found = store_part_get(t->store, folder, t->cache_uidvalidity, uid, item, &data, &err);
	if (found < 0)
		cache_failed(t, err);
	return found == 1 ? data : NULL;
}

void
cache_part_put(struct tui *t, const char *folder, guint32 uid, const char *item, GBytes *data)
{
	GError *err = NULL;

	if (data == NULL || !can_write(t) || g_strcmp0(folder, t->folder) != 0)
		return;
	if (store_part_put(t->store, folder, t->cache_uidvalidity, uid, item, data, &err) < 0)
		cache_failed(t, err);
}

/* ---- the journal: changes made while the server cannot take them ---------- */

bool
cache_can_queue(struct tui *t)
{
	return can_write(t);
}

bool
cache_can_replay(struct tui *t)
{
	return cache_usable(t) && !t->cache_read_only;
}

static int
journal_add(struct tui *t, bool claimed, const char *folder, guint32 uidvalidity,
	    enum store_action_kind kind, const GArray *uids, const char *arg, gint64 *id_r)
{
	char **sets;
	GError *err = NULL;
	int rc;

	if (!cache_can_replay(t) || folder == NULL || uidvalidity == 0 || uids == NULL ||
	    uids->len == 0)
		return -1;
	sets = imap_uids_format((const uint32_t *)(const void *)uids->data, uids->len, G_MAXSIZE);
	rc = (claimed ? store_journal_add_claimed : store_journal_add)(
		t->store, kind, folder, uidvalidity, sets[0], arg, id_r, &err);
	g_strfreev(sets);
	cache_journal_changed(t);
	if (rc < 0) {
		cache_failed(t, err);
		return -1;
	}
	return 0;
}

int
cache_queue_in(struct tui *t, const char *folder, guint32 uidvalidity,
	       enum store_action_kind kind, const GArray *uids, const char *arg)
{
	return journal_add(t, false, folder, uidvalidity, kind, uids, arg, NULL);
}

int
cache_journal_begin(struct tui *t, const char *folder, guint32 uidvalidity,
		    enum store_action_kind kind, const GArray *uids, const char *arg,
		    gint64 *id_r)
{
	return journal_add(t, true, folder, uidvalidity, kind, uids, arg, id_r);
}

int
cache_journal_end(struct tui *t, gint64 id, bool done)
{
	GError *err = NULL;
	int rc;

	if (!cache_can_replay(t))
		return -1;
	rc = done ? store_journal_done(t->store, id, &err) :
		    store_journal_release(t->store, id, &err);
	cache_journal_changed(t);
	if (rc < 0)
		cache_failed(t, err);
	return rc;
}

int
cache_queue(struct tui *t, enum store_action_kind kind, const GArray *uids, const char *arg)
{
	if (!can_write(t))
		return -1;
	return cache_queue_in(t, t->folder, t->cache_uidvalidity, kind, uids, arg);
}

void
cache_outbox_changed(struct tui *t)
{
	guint n = 0;

	if (cache_usable(t) && store_outbox_count(t->store, &n, NULL) < 0)
		n = 0;
	t->outbox_waiting = cache_usable(t) ? n : 0;
	tui_dirty(t);
}

/* Counted once after each change we make (the status line asks at every
 * redraw while offline). */
guint
cache_queued(struct tui *t)
{
	guint n = 0;

	if (!cache_usable(t))
		return 0;
	if (t->queued_known)
		return t->queued;
	if (store_journal_count(t->store, &n, NULL) < 0)
		return 0;
	t->queued = n;
	t->queued_known = true;
	return n;
}

void
cache_journal_changed(struct tui *t)
{
	t->queued_known = false;
	tui_dirty(t);
}

/* ---- searching the cached summaries (offline) ------------------------------ */

struct search_walk {
	struct tui *t;
	const struct query *q;
	const struct store_text_search *text; /* the full-text index's answers */
	GArray *uids;
};

static bool
search_one(const struct imap_summary *s, void *ud)
{
	struct search_walk *w = ud;
	struct msg *m = message_list_get(w->t->list, s->uid);

	/* Not shown (a queued move, or past the list's bound): no match.
	 * The flags are those shown, queued changes included. */
	if (m != NULL && store_summary_matches_text(w->q, s, m->flags, w->text))
		g_array_append_val(w->uids, s->uid);
	return true;
}

GArray *
cache_search(struct tui *t, const struct query *q)
{
	struct search_walk w = { .t = t, .q = q };
	struct store_text_search *text = NULL;
	GError *err = NULL;

	if (!cache_usable(t) || t->folder == NULL || t->cache_uidvalidity == 0)
		return NULL;
	if (store_text_search_new(t->store, t->folder, t->cache_uidvalidity, q, &text, &err) < 0) {
		cache_failed(t, err);
		return NULL;
	}
	w.text = text;
	w.uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (store_messages_each(t->store, t->folder, t->cache_uidvalidity, 0, 0, search_one, &w,
				&err) < 0) {
		cache_failed(t, err);
		g_clear_pointer(&w.uids, g_array_unref);
	}
	store_text_search_free(&text);
	return w.uids;
}

/* ---- the cache's matches in every cached folder (all-folder search) ----- */

/* The cache's first answer is cut after this long: it runs before the
 * server is asked, and walking a 100,000-message folder took 1.1 s before
 * the first row showed (bench-search-all). The server's answer brings
 * what it left out. */
#define CACHE_SEARCH_ALL_US (150 * 1000)

struct all_walk {
	const struct query *q;
	const struct store_text_search *text;
	const char *folder;
	cache_found_fn *fn;
	void *ud;
	gint64 deadline; /* monotonic */
	guint n;
	bool late;
};

static bool
all_one(const struct imap_summary *s, void *ud)
{
	struct all_walk *w = ud;

	if (store_summary_matches_text(w->q, s, s->flags, w->text))
		w->fn(w->folder, s, w->ud);
	if (++w->n % 256 == 0 && g_get_monotonic_time() > w->deadline)
		w->late = true;
	return !w->late;
}

void
cache_search_all(struct tui *t, const struct query *q, cache_found_fn *fn, void *ud)
{
	GPtrArray *folders = NULL;
	GError *err = NULL;
	gint64 deadline = g_get_monotonic_time() + CACHE_SEARCH_ALL_US;
	bool late = false;

	if (!cache_usable(t) || store_folder_list_get(t->store, &folders, &err) < 0) {
		if (err != NULL)
			cache_failed(t, err);
		return;
	}
	for (guint i = 0; i < folders->len && !late; i++) {
		const struct imap_folder *f = folders->pdata[i];
		struct all_walk w = { .q = q, .folder = f->name, .fn = fn, .ud = ud,
				      .deadline = deadline };
		struct store_text_search *text = NULL;
		struct store_folder sf;
		int rc;

		if ((f->attrs & IMAP_FOLDER_NOSELECT) || cache_folder(t, f->name, &sf) != 1 ||
		    sf.uidnext == 0)
			continue;
		if (store_text_search_new(t->store, f->name, sf.uidvalidity, q, &text, &err) < 0) {
			cache_failed(t, err);
			break;
		}
		w.text = text;
		rc = store_messages_each(t->store, f->name, sf.uidvalidity, 0, 0, all_one, &w, &err);
		late = w.late;
		store_text_search_free(&text);
		if (rc < 0) {
			cache_failed(t, err);
			break;
		}
	}
	g_ptr_array_unref(folders);
}

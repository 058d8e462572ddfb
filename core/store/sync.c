/* tern — core/store/sync: open a folder and bring its cache up to date
 * (store_sync_folder() in store.h). One chain of client operations:
 *
 *   SELECT (QRESYNC (uidvalidity modseq)) or plain SELECT
 *   -> cold:      UID FETCH 1:* summaries
 *   -> QRESYNC:   apply VANISHED (EARLIER) and the changed FLAGS
 *   -> CONDSTORE: UID FETCH 1:* (FLAGS) (CHANGEDSINCE m), UID SEARCH ALL
 *   -> full:      UID FETCH 1:* (FLAGS), every cached UID compared
 *   -> new:       UID FETCH uidnext:* summaries
 *   -> the folder's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ written last.
 */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/model/query.h"
#include "core/store/store-private.h"
#include "core/store/writer.h"

/* Summaries are written many batches to a transaction: a commit per
 * batch of 500 rewrote the same index pages into the WAL 200 times at
 * 100,000 messages (store_messages_put() of 100,000: 1.8 s one commit
 * per 500, 0.9 s one per 10,000). The transaction is committed after
 * SYNC_TXN_ROWS rows, and SYNC_TXN_MS after it began whatever came, so
 * a slow server never keeps another process off the cache for longer. */
#define SYNC_TXN_ROWS 10000
#define SYNC_TXN_MS 100

struct sync_op {
	struct store *s;
	struct imap_client *c;
	char *folder;
	imap_summaries_fn *batch;
	store_sync_fn *done;
	void *ud;

	bool found;                 /* the folder was cached */
	struct store_folder cached;
	struct imap_mailbox_info info;
	struct store_sync_result result;
	GHashTable *seen;           /* full diff and cold: UIDs the server has */
	bool prune;                 /* cold with the same UIDVALIDITY: drop the unseen */
	bool probe;                 /* a big cold load probes the summary form first */
	guint32 max_new_uid;
	GError *error;              /* a store failure: the first one wins */
	bool txn;                   /* a transaction of ours is open (txn_open()) */
	guint txn_rows;             /* rows written in it */
	guint txn_timer;            /* commits it SYNC_TXN_MS after it began */
	struct store_writer *writer; /* the new rows' writer thread (writer_put()) */
	guint free_hook;            /* sync_op_dropped() when the client goes first */
	enum tern_status st;
	char *detail;
};

static void sync_new(struct sync_op *op);
static void remove_unseen(struct sync_op *op, GHashTable *present);
static bool store_ok(struct sync_op *op, int rc, GError *err);

/* ---- Writes grouped in transactions -------------------------------------- */

/* Commit our transaction, if one is open. A row that failed was undone
 * alone (its error is op->error), so what succeeded is kept, as when each
 * batch was its own transaction. */
static void
txn_close(struct sync_op *op)
{
	GError *err = NULL;

	if (op->txn_timer != 0) {
		g_source_remove(op->txn_timer);
		op->txn_timer = 0;
	}
	if (!op->txn)
		return;
	op->txn = false;
	op->txn_rows = 0;
	store_ok(op, store_commit(op->s, &err), err);
}

static gboolean
txn_timeout(gpointer ud)
{
	struct sync_op *op = ud;

	op->txn_timer = 0;
	txn_close(op);
	return G_SOURCE_REMOVE;
}

/* Before writing rows: open a transaction unless one is (ours, or the
 * caller's: then the rows go into that one). Only for a caller that
 * shows nothing while it waits (op->batch NULL: the command line): the
 * interface writes the user's own changes to the store during a resync,
 * and each must be committed when its call returns, not with our rows. */
static void
txn_open(struct sync_op *op)
{
	GError *err = NULL;

	if (op->batch != NULL || op->txn || store_in_txn(op->s) || store_is_read_only(op->s))
		return;
	if (!store_ok(op, store_begin(op->s, &err), err))
		return;
	op->txn = true;
	op->txn_timer = g_timeout_add(SYNC_TXN_MS, txn_timeout, op);
}

/* After writing N rows: commit once there are enough. */
static void
txn_wrote(struct sync_op *op, guint n)
{
	if (!op->txn)
		return;
	op->txn_rows += n;
	if (op->txn_rows >= SYNC_TXN_ROWS)
		txn_close(op);
}

/* Wait for the writer thread: every row it was given is committed (or
 * its error is op->error) when this returns. */
static void
writer_finish(struct sync_op *op)
{
	GError *err = NULL;

	store_ok(op, store_writer_finish(&op->writer, &err), err);
}

static void
sync_op_free(struct sync_op *op)
{
	if (op->seen != NULL)
		g_hash_table_unref(op->seen);
	g_clear_error(&op->error);
	g_free(op->detail);
	g_free(op->folder);
	g_free(op);
}

static void
sync_finish(struct sync_op *op)
{
	enum tern_status st;
	const char *detail;

	imap_client_remove_free_hook(op->c, op->free_hook);
	writer_finish(op);
	txn_close(op);
	st = op->st;
	detail = op->detail;
	if (st == TERN_OK && op->error != NULL) {
		st = TERN_ERR_NO;
		detail = op->error->message;
	}
	op->done(op->c, st, detail, st == TERN_OK ? &op->info : NULL,
		 st == TERN_OK ? &op->result : NULL, op->ud);
	sync_op_free(op);
}

/* The client was freed with this resync unfinished: its answers will not
 * come, nor will done. The writer's rows are committed; the folder's state
 * is not written, so the next open resyncs again. An open transaction of
 * ours is left to the store (committed with the next write or rolled back
 * when it is freed): the store may already be gone. */
static void
sync_op_dropped(gpointer ud)
{
	struct sync_op *op = ud;

	if (op->txn_timer != 0)
		g_source_remove(op->txn_timer);
	writer_finish(op);
	sync_op_free(op);
}

static void
sync_fail(struct sync_op *op, enum tern_status st, const char *detail)
{
	op->st = st;
	g_free(op->detail);
	op->detail = g_strdup(detail != NULL ? detail : _("the folder could not be resynchronised"));
	sync_finish(op);
}

/* Record a store error (keeps the first). */
static bool
store_ok(struct sync_op *op, int rc, GError *err)
{
	if (rc == 0)
		return true;
	if (op->error == NULL)
		op->error = err;
	else
		g_clear_error(&err);
	return false;
}

/* Last step: the folder's state, written only when all the rest is in. */
static void
sync_commit(struct sync_op *op)
{
	struct store_folder f = {
		.uidvalidity = op->info.uidvalidity,
		.uidnext = op->info.uidnext,
		.highestmodseq = op->info.highestmodseq,
	};
	GError *err = NULL;

	/* the rows are in before the folder says they are */
	writer_finish(op);
	txn_close(op);
	if (f.uidnext == 0) /* a server without UIDNEXT: what we saw */
		f.uidnext = MAX(op->cached.uidnext, op->max_new_uid + 1);
	if (op->prune && op->error == NULL)
		remove_unseen(op, op->seen);
	if (op->error == NULL)
		store_ok(op, store_folder_set(op->s, op->folder, &f, &err), err);
	sync_finish(op);
}

/* ---- New messages -------------------------------------------------------- */

/* The command line's new rows go to a writer thread (core/store/writer.c)
 * so that reading the server never waits for SQLite; started at the first
 * batch, after our own transaction is committed (it would keep the writer
 * off the lock). Not for the interface (op->batch: it shows each batch
 * from the cache's connection as it comes) nor inside a caller's
 * transaction. Returns false when the rows must be written here. */
static bool
writer_put(struct sync_op *op, struct imap_client *c, const struct imap_summary *rows, guint n)
{
	GError *err = NULL;

	if (op->batch != NULL || store_in_txn(op->s) || store_is_read_only(op->s))
		return false;
	if (op->writer == NULL) {
		txn_close(op);
		if (op->error != NULL)
			return true; /* nothing more is written */
		if (store_writer_start(op->s, op->folder, op->info.uidvalidity,
				       imap_client_server_is_local(c), &op->writer, &err) < 0) {
			g_error_free(err); /* written here instead */
			return false;
		}
	}
	store_writer_put(op->writer, rows, n);
	return true;
}

static void
new_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct sync_op *op = ud;
	GError *err = NULL;
	guint first = 0;

	/* "N:*" also answers the highest existing UID when it is below N */
	while (first < n && batch[first].uid < op->cached.uidnext)
		first++;
	for (guint i = first; i < n; i++) {
		if (batch[i].uid < op->cached.uidnext)
			continue;
		op->max_new_uid = MAX(op->max_new_uid, batch[i].uid);
		op->result.added++;
		if (op->prune)
			g_hash_table_add(op->seen, GUINT_TO_POINTER(batch[i].uid));
	}
	if (first == n || op->error != NULL)
		return;
	if (writer_put(op, c, batch + first, n - first))
		return;
	txn_open(op);
	if (op->error != NULL)
		return;
	if (store_ok(op, store_messages_put(op->s, op->folder, op->info.uidvalidity,
					    batch + first, n - first, &err), err) &&
	    op->batch != NULL)
		op->batch(c, batch + first, n - first, op->ud);
	txn_wrote(op, n - first);
}

static void
new_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct sync_op *op = ud;

	if (st != TERN_OK) {
		sync_fail(op, st, detail);
		return;
	}
	sync_commit(op);
}

static void
sync_new(struct sync_op *op)
{
	char *set;

	if (op->info.exists == 0 ||
	    (op->info.uidnext != 0 && op->info.uidnext <= op->cached.uidnext)) {
		sync_commit(op);
		return;
	}
	set = g_strdup_printf("%u:*", MAX(op->cached.uidnext, 1u));
	imap_client_fetch_summaries(op->c, set, new_batch, new_done, op);
	g_free(set);
}

/* ---- Flags (CONDSTORE and full diff) ------------------------------------ */

static void
flags_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct sync_op *op = ud;
	GError *err = NULL;

	if (op->seen != NULL)
		for (guint i = 0; i < n; i++)
			g_hash_table_add(op->seen, GUINT_TO_POINTER(batch[i].uid));
	op->result.changed += n;
	if (op->error == NULL)
		txn_open(op);
	if (op->error == NULL)
		store_ok(op, store_messages_set_flags(op->s, op->folder, op->info.uidvalidity, batch,
						      n, &err), err);
	txn_wrote(op, n);
}

/* Remove the cached UIDs below the cached UIDNEXT that the server lacks. */
static void
remove_unseen(struct sync_op *op, GHashTable *present)
{
	GArray *cached = NULL, *gone;
	GError *err = NULL;

	if (!store_ok(op, store_messages_uids(op->s, op->folder, op->info.uidvalidity, &cached,
					      &err), err))
		return;
	gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < cached->len; i++) {
		guint32 uid = g_array_index(cached, guint32, i);

		if (!g_hash_table_contains(present, GUINT_TO_POINTER(uid)))
			g_array_append_val(gone, uid);
	}
	op->result.vanished += gone->len;
	if (gone->len > 0)
		store_ok(op, store_messages_remove(op->s, op->folder, op->info.uidvalidity,
						   (const guint32 *)(void *)gone->data, gone->len,
						   &err), err);
	g_array_unref(gone);
	g_array_unref(cached);
}

static void
full_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct sync_op *op = ud;

	if (st != TERN_OK) {
		sync_fail(op, st, detail);
		return;
	}
	remove_unseen(op, op->seen);
	sync_new(op);
}

static void
search_all_done(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
		void *ud)
{
	struct sync_op *op = ud;
	GHashTable *present;

	if (st != TERN_OK) {
		sync_fail(op, st, detail);
		return;
	}
	present = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < uids->len; i++)
		g_hash_table_add(present, GUINT_TO_POINTER(g_array_index(uids, guint32, i)));
	remove_unseen(op, present);
	g_hash_table_unref(present);
	sync_new(op);
}

static void
changedsince_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct sync_op *op = ud;
	struct query_token all = { .type = QUERY_TOK_ATOM, .text = (char *)"ALL" };
	GPtrArray *tokens;

	if (st != TERN_OK) {
		sync_fail(op, st, detail);
		return;
	}
	tokens = g_ptr_array_new();
	g_ptr_array_add(tokens, &all);
	imap_client_search(op->c, tokens, false, search_all_done, op);
	g_ptr_array_unref(tokens);
}

/* ---- SELECT --------------------------------------------------------------- */

/* The probe has told the client which form to use: the load goes on. */
static void
probe_done(struct imap_client *c, void *ud)
{
	sync_new(ud);
}

/* Nothing usable is cached: fetch everything. Under a new UIDVALIDITY the
 * folder's rows go first; under the same one (a body cached by `show`, an
 * interrupted cold open) the bodies stay and the rows the server no longer
 * has are pruned at the end. */
static void
sync_cold(struct sync_op *op)
{
	struct store_folder f = { .uidvalidity = op->info.uidvalidity };
	GError *err = NULL;

	op->result.method = STORE_SYNC_COLD;
	if (op->found && op->cached.uidvalidity != op->info.uidvalidity)
		op->result.uidvalidity_changed = true;
	if (op->found && op->cached.uidvalidity == op->info.uidvalidity) {
		op->prune = true;
		op->seen = g_hash_table_new(NULL, NULL);
	} else {
		store_ok(op, store_folder_drop(op->s, op->folder, &err), err);
		op->result.whole = true;
	}
	if (op->error == NULL)
		store_ok(op, store_folder_set(op->s, op->folder, &f, &err), err);
	if (op->error != NULL) {
		sync_finish(op);
		return;
	}
	memset(&op->cached, 0, sizeof op->cached);
	op->cached.uidnext = 1;
	if (op->probe && op->info.exists >= STORE_PROBE_MIN_MESSAGES)
		store_summary_probe(op->s, op->c, op->info.exists, probe_done, op);
	else
		sync_new(op);
}

static void
apply_qresync(struct sync_op *op, GArray *vanished, GArray *changed)
{
	GError *err = NULL;

	op->result.method = STORE_SYNC_QRESYNC;
	op->result.vanished = vanished->len;
	op->result.changed = changed->len;
	if (vanished->len > 0)
		store_ok(op, store_messages_remove(op->s, op->folder, op->info.uidvalidity,
						   (const guint32 *)(void *)vanished->data,
						   vanished->len, &err), err);
	if (changed->len > 0 && op->error == NULL)
		store_ok(op, store_messages_set_flags(op->s, op->folder, op->info.uidvalidity,
						      (const struct imap_summary *)(void *)
							      changed->data,
						      changed->len, &err), err);
	if (op->error != NULL)
		sync_finish(op);
	else
		sync_new(op);
}

static void
select_done(struct imap_client *c, enum tern_status st, const char *detail,
	    const struct imap_mailbox_info *info, GArray *vanished, GArray *changed, void *ud)
{
	struct sync_op *op = ud;
	bool warm;

	if (st != TERN_OK) {
		sync_fail(op, st, detail);
		return;
	}
	op->info = *info;
	warm = op->found && op->cached.uidvalidity == info->uidvalidity &&
	       info->uidvalidity != 0 && op->cached.uidnext != 0;
	if (!warm) {
		sync_cold(op);
	} else if (imap_client_enabled(c, "QRESYNC") && op->cached.highestmodseq != 0 &&
		   info->highestmodseq != 0) {
		apply_qresync(op, vanished, changed);
	} else if (imap_client_enabled(c, "CONDSTORE") && op->cached.highestmodseq != 0 &&
		   info->highestmodseq != 0) {
		op->result.method = STORE_SYNC_CONDSTORE;
		if (info->highestmodseq == op->cached.highestmodseq)
			changedsince_done(c, TERN_OK, NULL, op); /* no flag changed */
		else
			imap_client_fetch_flags(c, "1:*", op->cached.highestmodseq, flags_batch,
						changedsince_done, op);
	} else if (info->exists == 0) {
		GHashTable *none = g_hash_table_new(NULL, NULL);

		op->result.method = STORE_SYNC_FULL;
		remove_unseen(op, none);
		g_hash_table_unref(none);
		sync_commit(op);
	} else {
		op->result.method = STORE_SYNC_FULL;
		op->seen = g_hash_table_new(NULL, NULL);
		imap_client_fetch_flags(c, "1:*", 0, flags_batch, full_done, op);
	}
}

void
store_sync_folder(struct store *s, struct imap_client *c, const char *folder, bool read_only,
		  imap_summaries_fn *batch, store_sync_fn *done, void *ud)
{
	struct sync_op *op = g_new0(struct sync_op, 1);
	GError *err = NULL;
	int found;

	op->s = s;
	op->c = c;
	op->folder = g_strdup(folder);
	op->batch = batch;
	op->done = done;
	op->ud = ud;
	found = store_folder_get(s, folder, &op->cached, &err);
	if (found < 0) {
		/* an unreadable cache: open the folder as if nothing were cached */
		store_ok(op, -1, err);
		found = 0;
	}
	op->found = found == 1;
	op->free_hook = imap_client_add_free_hook(c, sync_op_dropped, op);
	op->probe = store_summary_form_apply(s, c);
	imap_client_select_resync(c, folder, read_only, op->found ? op->cached.uidvalidity : 0,
				  op->found ? op->cached.highestmodseq : 0, select_done, op);
}

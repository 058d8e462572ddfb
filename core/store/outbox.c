/* tern — core/store: the outbox, messages waiting to be sent (store.h). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "core/store/store-private.h"

#define OUTBOX_COLUMNS                                                                     \
	"id, message_id, state, sender, rcpts, bcc_field, subject, copy_to_sent, "         \
	"sent_folder, orig_folder, orig_uidvalidity, orig_uid, orig_flag, detail, created, " \
	"attempts, claimed_pid, claimed_at, orig_uids"

static sqlite3_stmt *
prepare(struct store *s, const char *sql, GError **error)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, error, _("cannot prepare a statement"));
		return NULL;
	}
	return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? g_strdup((const char *)t) : NULL;
}

/* Step and finalise a statement that returns no rows; *changes_r (may be
 * NULL) gets the rows it changed. */
static int
run(struct store *s, sqlite3_stmt *st, int *changes_r, GError **error)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, error, _("cannot write"));
	if (changes_r != NULL)
		*changes_r = sqlite3_changes(store_db(s));
	return 0;
}

static int
begin(struct store *s, bool *own_r, GError **error)
{
	if (store_bulk_commit(s, error) < 0) /* a folder's rows are not the outbox's */
		return -1;
	*own_r = !store_in_txn(s);
	return *own_r ? store_begin(s, error) : 0;
}

static int
end(struct store *s, bool own, int rc, GError **error)
{
	if (!own)
		return rc;
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, error) < 0 ? -1 : rc;
}

void
store_outbox_entry_free(struct store_outbox_entry **ep)
{
	struct store_outbox_entry *e = *ep;

	if (e == NULL)
		return;
	g_free(e->message_id);
	g_free(e->sender);
	g_strfreev(e->rcpts);
	if (e->data != NULL)
		g_bytes_unref(e->data);
	g_free(e->bcc_field);
	g_free(e->subject);
	g_free(e->sent_folder);
	g_free(e->orig_folder);
	g_free(e->orig_flag);
	g_free(e->orig_uids);
	g_free(e->detail);
	g_free(e);
	*ep = NULL;
}

const char *
store_outbox_state_name(enum store_outbox_state state)
{
	switch (state) {
	case STORE_OUTBOX_QUEUED: return _("queued");
	case STORE_OUTBOX_SENDING: return _("sending");
	case STORE_OUTBOX_MAYBE_SENT: return _("may have been sent");
	case STORE_OUTBOX_FAILED: return _("failed");
	case STORE_OUTBOX_SENT: return _("sent, copy to Sent waiting");
	}
	return "?";
}

int
store_outbox_add(struct store *s, const struct store_outbox_entry *e, bool claim, gint64 *id_r,
		 GError **error)
{
	sqlite3_stmt *st;
	char *rcpts;
	gsize len = 0;
	const void *data;
	int rc;

	if (store_refuse_read_only(s, error) < 0)
		return -1;
	st = prepare(s, "INSERT INTO outbox (message_id, sender, rcpts, data, bcc_field, subject, "
			"copy_to_sent, sent_folder, orig_folder, orig_uidvalidity, orig_uid, "
			"orig_flag, created, claimed_pid, claimed_at, orig_uids) VALUES (?1, ?2, ?3, "
			"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
		     error);
	if (st == NULL)
		return -1;
	rcpts = g_strjoinv("\n", e->rcpts);
	data = g_bytes_get_data(e->data, &len);
	bind_text(st, 1, e->message_id);
	bind_text(st, 2, e->sender);
	bind_text(st, 3, rcpts);
	sqlite3_bind_blob64(st, 4, data != NULL ? data : "", len, SQLITE_STATIC);
	bind_text(st, 5, e->bcc_field);
	bind_text(st, 6, e->subject);
	sqlite3_bind_int(st, 7, e->copy_to_sent);
	bind_text(st, 8, e->sent_folder);
	bind_text(st, 9, e->orig_folder);
	sqlite3_bind_int64(st, 10, e->orig_uidvalidity);
	sqlite3_bind_int64(st, 11, e->orig_uid);
	bind_text(st, 12, e->orig_flag);
	sqlite3_bind_int64(st, 13, g_get_real_time() / G_USEC_PER_SEC);
	sqlite3_bind_int64(st, 14, claim ? (gint64)getpid() : 0);
	sqlite3_bind_int64(st, 15, claim ? g_get_real_time() / G_USEC_PER_SEC : 0);
	bind_text(st, 16, e->orig_uids);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	g_free(rcpts);
	if (rc == SQLITE_CONSTRAINT) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_EXISTS,
			    _("the outbox already holds message %s"), e->message_id);
		return -1;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, error, _("cannot write"));
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(store_db(s));
	return 0;
}

static struct store_outbox_entry *
row_to_entry(sqlite3_stmt *st)
{
	struct store_outbox_entry *e = g_new0(struct store_outbox_entry, 1);
	char *rcpts;

	e->id = sqlite3_column_int64(st, 0);
	e->message_id = column_dup(st, 1);
	e->state = (enum store_outbox_state)sqlite3_column_int(st, 2);
	e->sender = column_dup(st, 3);
	rcpts = column_dup(st, 4);
	e->rcpts = g_strsplit(rcpts != NULL ? rcpts : "", "\n", -1);
	g_free(rcpts);
	e->bcc_field = column_dup(st, 5);
	e->subject = column_dup(st, 6);
	e->copy_to_sent = sqlite3_column_int(st, 7) != 0;
	e->sent_folder = column_dup(st, 8);
	e->orig_folder = column_dup(st, 9);
	e->orig_uidvalidity = (guint32)sqlite3_column_int64(st, 10);
	e->orig_uid = (guint32)sqlite3_column_int64(st, 11);
	e->orig_flag = column_dup(st, 12);
	e->detail = column_dup(st, 13);
	e->created = sqlite3_column_int64(st, 14);
	e->attempts = (guint)sqlite3_column_int(st, 15);
	e->orig_uids = column_dup(st, 18);
	return e;
}

static int
load_data(struct store *s, struct store_outbox_entry *e, GError **error)
{
	sqlite3_stmt *st = prepare(s, "SELECT data FROM outbox WHERE id = ?1", error);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, e->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e->data = g_bytes_new(sqlite3_column_blob(st, 0),
				      (gsize)sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, error, _("cannot read"));
}

/* SENDING rows whose process is gone: the data may have reached the server. */
static int
hold_interrupted(struct store *s, GError **error)
{
	sqlite3_stmt *st = prepare(s, "SELECT id, claimed_pid, claimed_at FROM outbox WHERE "
				      "state = 1", error);
	GArray *dead = g_array_new(FALSE, FALSE, sizeof(gint64));
	int rc = 0;

	if (st == NULL) {
		g_array_unref(dead);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64(st, 0);
		gint64 pid = sqlite3_column_int64(st, 1);

		/* a live sender may take long on a big message: only its death counts */
		if (pid == (gint64)getpid() ||
		    !store_claim_is_live(pid, g_get_real_time() / G_USEC_PER_SEC))
			g_array_append_val(dead, id);
	}
	sqlite3_finalize(st);
	for (guint i = 0; i < dead->len && rc == 0; i++)
		rc = store_outbox_failed(s, g_array_index(dead, gint64, i),
					 STORE_OUTBOX_MAYBE_SENT,
					 _("tern stopped while the message was going out: it may "
					   "have been sent"),
					 error);
	g_array_unref(dead);
	return rc;
}

static int
claim_first(struct store *s, gint64 after, struct store_outbox_entry **e_r, GError **error)
{
	sqlite3_stmt *st;
	struct store_outbox_entry *e = NULL;
	int rc;

	if (hold_interrupted(s, error) < 0)
		return -1;
	st = prepare(s, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state IN (0, 4) AND id > ?1 "
			"ORDER BY id",
		     error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_claim_is_live(sqlite3_column_int64(st, 16), sqlite3_column_int64(st, 17)) &&
		    sqlite3_column_int64(st, 16) != (gint64)getpid())
			continue;
		e = row_to_entry(st);
		break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, error, _("cannot read"));
	if (e == NULL)
		return 0;
	st = prepare(s, "UPDATE outbox SET claimed_pid = ?2, claimed_at = ?3 WHERE id = ?1", error);
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, e->id);
		sqlite3_bind_int64(st, 2, (gint64)getpid());
		sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
	}
	if (run(s, st, NULL, error) < 0 || load_data(s, e, error) < 0) {
		store_outbox_entry_free(&e);
		return -1;
	}
	*e_r = e;
	return 1;
}

int
store_outbox_claim(struct store *s, gint64 after, struct store_outbox_entry **e_r,
		   GError **error)
{
	bool own;
	int rc;

	*e_r = NULL;
	if (store_refuse_read_only(s, error) < 0 || begin(s, &own, error) < 0)
		return -1;
	rc = claim_first(s, after, e_r, error);
	rc = end(s, own, rc, error);
	if (rc < 0)
		store_outbox_entry_free(e_r);
	return rc;
}

int
store_outbox_sending(struct store *s, gint64 id, GError **error)
{
	sqlite3_stmt *st = prepare(s, "UPDATE outbox SET state = 1, claimed_pid = ?2, "
				      "claimed_at = ?3, attempts = attempts + 1 WHERE id = ?1",
				   error);

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (gint64)getpid());
		sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
	}
	return run(s, st, NULL, error);
}

int
store_outbox_failed(struct store *s, gint64 id, enum store_outbox_state state, const char *detail,
		    GError **error)
{
	sqlite3_stmt *st = prepare(s, "UPDATE outbox SET state = ?2, detail = ?3, claimed_pid = 0, "
				      "claimed_at = 0 WHERE id = ?1",
				   error);

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, (int)state);
		bind_text(st, 3, detail);
	}
	return run(s, st, NULL, error);
}

int
store_outbox_release(struct store *s, gint64 id, GError **error)
{
	sqlite3_stmt *st = prepare(s, "UPDATE outbox SET claimed_pid = 0, claimed_at = 0 "
				      "WHERE id = ?1", error);

	if (st != NULL)
		sqlite3_bind_int64(st, 1, id);
	return run(s, st, NULL, error);
}

static int
sent_in_txn(struct store *s, const struct store_outbox_entry *e, GError **error)
{
	sqlite3_stmt *st;

	if (e->orig_folder != NULL && e->orig_flag != NULL &&
	    (e->orig_uid != 0 || e->orig_uids != NULL)) {
		char *uid = e->orig_uids != NULL ? g_strdup(e->orig_uids) :
						   g_strdup_printf("%u", e->orig_uid);
		int rc = store_journal_add(s, STORE_ACTION_FLAGS_ADD, e->orig_folder,
					   e->orig_uidvalidity, uid, e->orig_flag, NULL, error);

		g_free(uid);
		if (rc < 0)
			return -1;
	}
	if (!e->copy_to_sent)
		st = prepare(s, "DELETE FROM outbox WHERE id = ?1", error);
	else
		st = prepare(s, "UPDATE outbox SET state = 4, detail = NULL WHERE id = ?1", error);
	if (st != NULL)
		sqlite3_bind_int64(st, 1, e->id);
	return run(s, st, NULL, error);
}

int
store_outbox_sent(struct store *s, const struct store_outbox_entry *e, GError **error)
{
	bool own;

	if (begin(s, &own, error) < 0)
		return -1;
	return end(s, own, sent_in_txn(s, e, error), error);
}

static int
by_message_id(struct store *s, const char *sql, const char *message_id, GError **error)
{
	sqlite3_stmt *st;
	int changes = 0;

	if (store_refuse_read_only(s, error) < 0)
		return -1;
	st = prepare(s, sql, error);
	if (st != NULL)
		bind_text(st, 1, message_id);
	if (run(s, st, &changes, error) < 0)
		return -1;
	return changes > 0 ? 1 : 0;
}

int
store_outbox_remove(struct store *s, const char *message_id, GError **error)
{
	return by_message_id(s, "DELETE FROM outbox WHERE message_id = ?1", message_id, error);
}

int
store_outbox_retry(struct store *s, const char *message_id, GError **error)
{
	return by_message_id(s, "UPDATE outbox SET state = 0, claimed_pid = 0, claimed_at = 0 "
				"WHERE message_id = ?1 AND state IN (0, 2, 3)",
			     message_id, error);
}

static void
entry_free_one(gpointer p)
{
	struct store_outbox_entry *e = p;

	store_outbox_entry_free(&e);
}

int
store_outbox_list(struct store *s, GPtrArray **entries_r, GError **error)
{
	sqlite3_stmt *st;
	GPtrArray *out;
	int rc;

	/* a sender that died going out is listed as what it is: may have been sent */
	if (!store_is_read_only(s) && hold_interrupted(s, error) < 0)
		return -1;
	st = prepare(s, "SELECT " OUTBOX_COLUMNS " FROM outbox ORDER BY id", error);
	if (st == NULL)
		return -1;
	out = g_ptr_array_new_with_free_func(entry_free_one);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, row_to_entry(st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(out);
		return store_fail(s, error, _("cannot read"));
	}
	*entries_r = out;
	return 0;
}

int
store_outbox_count(struct store *s, guint *n_r, GError **error)
{
	sqlite3_stmt *st = prepare(s, "SELECT count(*) FROM outbox WHERE state <> 4", error);
	int rc;

	*n_r = 0;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n_r = (guint)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, error, _("cannot read"));
}

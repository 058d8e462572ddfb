/* tern — core/store: searching the local full-text index (store.h).
 *
 * store.c keeps the index's rows in step with the cache; this file asks
 * it. A value from the query reaches FTS5 only inside a string (a phrase
 * in double quotes, its own quotes doubled), so quotes, NEAR, AND, '*',
 * '^' or column filters in it are text to find, never syntax. */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/model/query.h"
#include "core/store/store-private.h"
#include "core/text/text.h"

/* Shortest value the trigram index can look up (characters). */
#define FTS_TRIGRAM_MIN 3

/* One value asked: body only or headers and body. */
struct text_hits {
	GHashTable *uids; /* set of UIDs (GUINT_TO_POINTER) whose text holds it */
};

struct store_text_search {
	GHashTable *by_key; /* "b" or "t" + value -> struct text_hits * */
};

static void
text_hits_free(gpointer p)
{
	struct text_hits *h = p;

	g_hash_table_unref(h->uids);
	g_free(h);
}

static char *
hits_key(const char *text, bool body_only)
{
	return g_strconcat(body_only ? "b" : "t", text, NULL);
}

/* The value as one FTS5 phrase restricted to the columns: the only
 * syntax in it is ours. Transfer full. */
static char *
fts_phrase(const char *text, bool body_only)
{
	GString *q = g_string_new(body_only ? "{body} : \"" : "{hdr body} : \"");

	for (const char *c = text; *c != '\0'; c++) {
		if (*c == '"')
			g_string_append_c(q, '"');
		g_string_append_c(q, *c);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}

/* The value as a LIKE pattern (ESCAPE '\'), for values the trigram
 * cannot look up. Transfer full. */
static char *
like_pattern(const char *text)
{
	GString *q = g_string_new("%");

	for (const char *c = text; *c != '\0'; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			g_string_append_c(q, '\\');
		g_string_append_c(q, *c);
	}
	g_string_append_c(q, '%');
	return g_string_free(q, FALSE);
}

/* uidvalidity is UNINDEXED: checking it reads each hit's whole row, which
 * made a word in 10% of 100,000 messages cost 125 ms against 39 ms for
 * the index alone (and 334 ms against 38 ms for one in 40%). It is only
 * checked where a folder may hold rows of another UIDVALIDITY
 * (folder_mixed()). */
static const char *const sql_match =
	"SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3 AND "
	"uidvalidity = ?4";
static const char *const sql_match_one_validity =
	"SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3";
/* A folder's rows of another UIDVALIDITY than ?2: each an index seek.
 * Every full-text row comes with a summary or a body of its UIDVALIDITY
 * (a row's headers are written with its summary, its text with its body,
 * and a folder's new UIDVALIDITY drops the three of every other), so when
 * neither table holds another, the index holds none either. */
static const char *const sql_other_validity =
	"SELECT 1 FROM messages WHERE folder = ?1 AND uidvalidity < ?2 UNION ALL "
	"SELECT 1 FROM messages WHERE folder = ?1 AND uidvalidity > ?2 UNION ALL "
	"SELECT 1 FROM bodies WHERE folder = ?1 AND uidvalidity < ?2 UNION ALL "
	"SELECT 1 FROM bodies WHERE folder = ?1 AND uidvalidity > ?2 LIMIT 1";

/* 1 when the folder (id) may hold full-text rows of another UIDVALIDITY
 * than uidvalidity, 0 when not, -1 on error. */
static int
folder_mixed(struct store *s, gint64 id, guint32 uidvalidity, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), sql_other_validity, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, error, _("cannot prepare a statement"));
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, error, _("cannot read"));
	return rc == SQLITE_ROW;
}
static const char *const sql_like_body =
	"SELECT rowid FROM fts WHERE rowid BETWEEN ?2 AND ?3 AND uidvalidity = ?4 AND "
	"body LIKE ?1 ESCAPE '\\'";
static const char *const sql_like_text =
	"SELECT rowid FROM fts WHERE rowid BETWEEN ?2 AND ?3 AND uidvalidity = ?4 AND "
	"(body LIKE ?1 ESCAPE '\\' OR hdr LIKE ?1 ESCAPE '\\')";

/* The UIDs of the folder (id) whose text holds text. */
static int
find_hits(struct store *s, gint64 id, guint32 uidvalidity, bool mixed, const char *text,
	  bool body_only, GHashTable *uids, GError **error)
{
	bool trigram = g_utf8_strlen(text, -1) >= FTS_TRIGRAM_MIN;
	char *arg = trigram ? fts_phrase(text, body_only) : like_pattern(text);
	const char *sql = !trigram ? (body_only ? sql_like_body : sql_like_text) :
			  mixed ? sql_match : sql_match_one_validity;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		rc = store_fail(s, error, _("cannot prepare a statement"));
		goto out;
	}
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, STORE_FTS_ROWID(id, 0));
	sqlite3_bind_int64(st, 3, STORE_FTS_ROWID(id, G_MAXUINT32));
	if (sql != sql_match_one_validity)
		sqlite3_bind_int64(st, 4, uidvalidity);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		guint32 uid = (guint32)(sqlite3_column_int64(st, 0) & G_MAXUINT32);

		g_hash_table_add(uids, GUINT_TO_POINTER(uid));
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(s, error, _("cannot read"));
out:
	sqlite3_finalize(st);
	g_free(arg);
	return rc;
}

struct collect {
	struct store *s;
	struct store_text_search *t;
	gint64 id;
	guint32 uidvalidity;
	int mixed; /* folder_mixed(), asked before the first lookup; -1 not yet */
	GError **error;
	int rc;
};

static void
collect_one(const char *text, bool body_only, void *ud)
{
	struct collect *c = ud;
	char *key = hits_key(text, body_only);
	struct text_hits *h;

	if (c->rc < 0 || g_hash_table_contains(c->t->by_key, key)) {
		g_free(key);
		return;
	}
	h = g_new0(struct text_hits, 1);
	h->uids = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_hash_table_insert(c->t->by_key, key, h);
	if (c->id <= 0)
		return;
	if (c->mixed < 0 && (c->mixed = folder_mixed(c->s, c->id, c->uidvalidity, c->error)) < 0) {
		c->rc = -1;
		return;
	}
	c->rc = find_hits(c->s, c->id, c->uidvalidity, c->mixed == 1, text, body_only, h->uids,
			  c->error);
}

int
store_text_search_new(struct store *s, const char *folder, guint32 uidvalidity,
		      const struct query *q, struct store_text_search **t_r, GError **error)
{
	struct collect c = { .s = s, .uidvalidity = uidvalidity, .mixed = -1, .error = error };

	*t_r = NULL;
	c.id = store_folder_id(s, folder, error);
	if (c.id < 0)
		return -1;
	c.t = g_new0(struct store_text_search, 1);
	c.t->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, text_hits_free);
	query_each_text(q, collect_one, &c);
	if (c.rc < 0) {
		store_text_search_free(&c.t);
		return -1;
	}
	*t_r = c.t;
	return 0;
}

void
store_text_search_free(struct store_text_search **tp)
{
	struct store_text_search *t = *tp;

	if (t == NULL)
		return;
	g_hash_table_unref(t->by_key);
	g_free(t);
	*tp = NULL;
}

struct one_message {
	const struct store_text_search *t;
	guint32 uid;
};

static bool
text_has(const char *text, bool body_only, void *ud)
{
	struct one_message *m = ud;
	char *key = hits_key(text, body_only);
	struct text_hits *h = g_hash_table_lookup(m->t->by_key, key);

	g_free(key);
	return h != NULL && g_hash_table_contains(h->uids, GUINT_TO_POINTER(m->uid));
}

bool
store_summary_matches_text(const struct query *q, const struct imap_summary *s, guint flags,
			   const struct store_text_search *t)
{
	char *from = s->from != NULL ? text_decode_header(s->from) : NULL;
	char *to = s->to != NULL ? text_decode_header(s->to) : NULL;
	char *cc = s->cc != NULL ? text_decode_header(s->cc) : NULL;
	char *subject = s->subject != NULL ? text_decode_header(s->subject) : NULL;
	struct one_message m = { .t = t, .uid = s->uid };
	struct query_summary qs = {
		.from = from, .to = to, .cc = cc, .subject = subject,
		.internaldate = s->internaldate, .size = s->size,
		.flags = flags, /* IMAP_FLAG_* == FLAG_* */
		.text_has = t != NULL ? text_has : NULL, .text_ud = &m,
	};
	bool match = query_match(q, &qs);

	g_free(from);
	g_free(to);
	g_free(cc);
	g_free(subject);
	return match;
}

int
store_text_index_size(struct store *s, guint64 *rows_r, guint64 *bytes_r, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*rows_r = *bytes_r = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM fts", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, error, _("cannot prepare a statement"));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*rows_r = (guint64)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, error, _("cannot read"));
	/* dbstat is an optional SQLite feature: without it the size is 0 */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'fts%'",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		*bytes_r = (guint64)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* tern — core/store: the SQLite cache of one account (store.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/model/query.h"
#include "core/store/store-private.h"
#include "core/text/text.h"

/* Seconds between two full PRAGMA quick_check runs on one file: the check
 * reads the whole file, 50 ms of the 60 ms it took to open a folder of
 * 100,000 cached messages. Every open checks the header and the schema. */
#define STORE_FULL_CHECK_INTERVAL_S (24 * 3600)
/* Most text parts of one message put into the full-text index. */
#define STORE_FTS_PARTS_MAX 64
/* Milliseconds a statement waits for another process's lock. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* Longest keyword list kept for one message (bytes). */
#define STORE_KEYWORDS_MAX 4096

/* Prepared statements, by purpose. */
enum stmt {
	ST_FOLDER_GET,
	ST_FOLDER_INSERT,
	ST_FOLDER_UPDATE,
	ST_FOLDER_DELETE,
	ST_FOLDER_NAMES,
	ST_FLIST_CLEAR,
	ST_FLIST_PUT,
	ST_FLIST_ALL,
	ST_MSG_DROP_FOLDER,
	ST_MSG_DROP_OTHER_VALIDITY,
	ST_MSG_PUT,
	ST_MSG_FLAGS,
	ST_MSG_REMOVE,
	ST_MSG_UIDS,
	ST_MSG_LOAD_ALL,
	ST_MSG_LOAD_ONE,
	ST_MSG_EACH,
	ST_MSG_BY_DATE,
	ST_MSG_LIST,
	ST_MSG_UID_BOUNDS,
	ST_MSG_COUNT,
	ST_MSG_PREVIEW,
	ST_BODY_DROP_FOLDER,
	ST_BODY_DROP_OTHER_VALIDITY,
	ST_BODY_PUT,
	ST_BODY_GET,
	ST_BODY_TOUCH,
	ST_BODY_REMOVE,
	ST_BODY_TOTAL,
	ST_BODY_OLDEST,
	ST_PART_DROP_FOLDER,
	ST_PART_DROP_OTHER_VALIDITY,
	ST_PART_PUT,
	ST_PART_GET,
	ST_PART_TOUCH,
	ST_PART_REMOVE,
	ST_PART_OLDEST,
	ST_JOURNAL_ADD,
	ST_JOURNAL_ADD_CLAIMED,
	ST_JOURNAL_FIRST,
	ST_JOURNAL_CLAIM,
	ST_JOURNAL_DONE,
	ST_JOURNAL_RELEASE,
	ST_JOURNAL_COUNT,
	ST_JOURNAL_ALL,
	ST_FTS_SET_HDR,
	ST_FTS_HAS_ROW,
	ST_FTS_FOLDER_ANY,
	ST_FTS_BODY_CACHED,
	ST_FTS_PART_TEXTS,
	ST_FTS_SET_BODY,
	ST_FTS_INSERT,
	ST_FTS_REMOVE,
	ST_FTS_CLEAR_BODY,
	ST_FTS_REMOVE_EMPTY,
	ST_FTS_DROP_FOLDER,
	ST_FTS_DROP_OTHER_VALIDITY,
	ST_COUNT
};

#define MSG_COLUMNS                                                                        \
	"uid, flags, keywords, modseq, internaldate, internaldate_tz, date, date_tz, size, " \
	"from_full, from_name, from_addr, to_list, cc_list, subject, message_id, "            \
	"in_reply_to, refs, preview"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_FOLDER_GET] = "SELECT id, uidvalidity, uidnext, highestmodseq FROM folders "
			  "WHERE name = ?1",
	[ST_FOLDER_INSERT] = "INSERT INTO folders (name, uidvalidity, uidnext, highestmodseq) "
			     "VALUES (?1, ?2, ?3, ?4)",
	[ST_FOLDER_UPDATE] = "UPDATE folders SET uidvalidity = ?2, uidnext = ?3, "
			     "highestmodseq = ?4 WHERE id = ?1",
	[ST_FOLDER_DELETE] = "DELETE FROM folders WHERE id = ?1",
	[ST_FOLDER_NAMES] = "SELECT name FROM folders ORDER BY name",
	[ST_FLIST_CLEAR] = "DELETE FROM folder_list",
	[ST_FLIST_PUT] = "INSERT INTO folder_list (position, name, wire_name, delimiter, attrs, "
			 "attr_names, role, messages, unseen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			 "?8, ?9)",
	[ST_FLIST_ALL] = "SELECT name, wire_name, delimiter, attrs, attr_names, role, messages, "
			 "unseen FROM folder_list ORDER BY position",
	[ST_MSG_DROP_FOLDER] = "DELETE FROM messages WHERE folder = ?1",
	[ST_MSG_DROP_OTHER_VALIDITY] = "DELETE FROM messages WHERE folder = ?1 AND "
				       "uidvalidity <> ?2",
	[ST_MSG_PUT] = "INSERT OR REPLACE INTO messages (folder, uidvalidity, " MSG_COLUMNS
		       ", list_from, list_subject) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		       "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
		       /* a summary asked with PREVIEW (LAZY) may come without
			* one: the preview already cached stays */
		       "coalesce(?23, (SELECT preview FROM messages WHERE folder = ?1 AND "
		       "uidvalidity = ?2 AND uid = ?3)), ?21, ?22)",
	/* a row already equal is not written: a full FLAGS diff of a big,
	 * unchanged folder then dirties no page */
	[ST_MSG_FLAGS] = "UPDATE messages SET flags = ?4, keywords = ?5, "
			 "modseq = CASE WHEN ?6 > 0 THEN ?6 ELSE modseq END "
			 "WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3 AND "
			 "(flags <> ?4 OR keywords IS NOT ?5 OR (?6 > 0 AND modseq <> ?6))",
	[ST_MSG_REMOVE] = "DELETE FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND "
			  "uid = ?3",
	[ST_MSG_UIDS] = "SELECT uid FROM messages WHERE folder = ?1 AND uidvalidity = ?2 "
			"ORDER BY uid",
	[ST_MSG_LOAD_ALL] = "SELECT " MSG_COLUMNS " FROM messages WHERE folder = ?1 AND "
			    "uidvalidity = ?2 ORDER BY uid",
	[ST_MSG_LOAD_ONE] = "SELECT " MSG_COLUMNS " FROM messages WHERE folder = ?1 AND "
			    "uidvalidity = ?2 AND uid = ?3",
	[ST_MSG_EACH] = "SELECT " MSG_COLUMNS " FROM messages WHERE folder = ?1 AND "
			"uidvalidity = ?2 AND uid < ?3 ORDER BY uid DESC LIMIT ?4",
	/* walks the messages_date index backwards: no sort, no temp b-tree */
	[ST_MSG_BY_DATE] = "SELECT " MSG_COLUMNS " FROM messages WHERE folder = ?1 AND "
			   "uidvalidity = ?2 ORDER BY date DESC, uid DESC LIMIT ?3",
	/* one sequential scan of the folder's rows, what the list shows */
	[ST_MSG_LIST] = "SELECT uid, flags, keywords, date, date_tz, size, list_from, "
			"list_subject, from_full, subject, preview FROM messages WHERE folder = ?1 "
			"AND uidvalidity = ?2 AND uid BETWEEN ?3 AND ?4",
	/* the lowest and highest UID: two seeks in the primary key */
	[ST_MSG_UID_BOUNDS] = "SELECT (SELECT uid FROM messages WHERE folder = ?1 AND "
			      "uidvalidity = ?2 ORDER BY uid LIMIT 1), (SELECT uid FROM messages "
			      "WHERE folder = ?1 AND uidvalidity = ?2 ORDER BY uid DESC LIMIT 1)",
	/* two narrow indexes rather than the rows: the date index holds every
	 * message, messages_unseen only the unseen ones (68 ms -> 3 ms at
	 * 100,000, what the folder pane asks for each cached folder) */
	[ST_MSG_COUNT] = "SELECT (SELECT count(*) FROM messages INDEXED BY messages_date "
			 "WHERE folder = ?1 AND uidvalidity = ?2), "
			 "(SELECT count(*) FROM messages INDEXED BY messages_unseen "
			 "WHERE folder = ?1 AND uidvalidity = ?2 AND (flags & 1) = 0)",
	[ST_MSG_PREVIEW] = "UPDATE messages SET preview = ?4 WHERE folder = ?1 AND "
			   "uidvalidity = ?2 AND uid = ?3",
	[ST_BODY_DROP_FOLDER] = "DELETE FROM bodies WHERE folder = ?1",
	[ST_BODY_DROP_OTHER_VALIDITY] = "DELETE FROM bodies WHERE folder = ?1 AND "
					"uidvalidity <> ?2",
	[ST_BODY_PUT] = "INSERT OR REPLACE INTO bodies (folder, uidvalidity, uid, size, "
			"last_used, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_BODY_GET] = "SELECT data FROM bodies WHERE folder = ?1 AND uidvalidity = ?2 AND "
			"uid = ?3",
	[ST_BODY_TOUCH] = "UPDATE bodies SET last_used = ?4 WHERE folder = ?1 AND "
			  "uidvalidity = ?2 AND uid = ?3",
	[ST_BODY_REMOVE] = "DELETE FROM bodies WHERE folder = ?1 AND uidvalidity = ?2 AND "
			   "uid = ?3",
	/* the cap holds whole bodies and parts together */
	[ST_BODY_TOTAL] = "SELECT (SELECT coalesce(sum(size), 0) FROM bodies) + "
			  "(SELECT coalesce(sum(size), 0) FROM parts)",
	[ST_BODY_OLDEST] = "DELETE FROM bodies WHERE rowid = (SELECT rowid FROM bodies "
			   "ORDER BY last_used LIMIT 1) RETURNING folder, uidvalidity, uid",
	[ST_PART_DROP_FOLDER] = "DELETE FROM parts WHERE folder = ?1",
	[ST_PART_DROP_OTHER_VALIDITY] = "DELETE FROM parts WHERE folder = ?1 AND "
					"uidvalidity <> ?2",
	[ST_PART_PUT] = "INSERT OR REPLACE INTO parts (folder, uidvalidity, uid, section, size, "
			"last_used, data) VALUES (?1, ?2, ?3, ?5, ?4, ?6, ?7)",
	[ST_PART_GET] = "SELECT data FROM parts WHERE folder = ?1 AND uidvalidity = ?2 AND "
			"uid = ?3 AND section = ?4",
	[ST_PART_TOUCH] = "UPDATE parts SET last_used = ?5 WHERE folder = ?1 AND "
			  "uidvalidity = ?2 AND uid = ?3 AND section = ?4",
	[ST_PART_REMOVE] = "DELETE FROM parts WHERE folder = ?1 AND uidvalidity = ?2 AND "
			   "uid = ?3",
	/* a part older than every whole body goes first */
	[ST_PART_OLDEST] = "DELETE FROM parts WHERE rowid = (SELECT rowid FROM parts WHERE "
			   "last_used < coalesce((SELECT min(last_used) FROM bodies), "
			   "9223372036854775807) ORDER BY last_used LIMIT 1) "
			   "RETURNING folder, uidvalidity, uid, section",
	[ST_JOURNAL_ADD] = "INSERT INTO journal (kind, folder, uidvalidity, uids, arg, created) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_JOURNAL_ADD_CLAIMED] = "INSERT INTO journal (kind, folder, uidvalidity, uids, arg, "
				   "created, claimed_pid, claimed_at) "
				   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)",
	[ST_JOURNAL_FIRST] = "SELECT id, kind, folder, uidvalidity, uids, arg, claimed_pid, "
			     "claimed_at FROM journal ORDER BY id LIMIT 1",
	[ST_JOURNAL_CLAIM] = "UPDATE journal SET claimed_pid = ?2, claimed_at = ?3 WHERE id = ?1",
	[ST_JOURNAL_DONE] = "DELETE FROM journal WHERE id = ?1",
	[ST_JOURNAL_RELEASE] = "UPDATE journal SET claimed_pid = 0, claimed_at = 0 WHERE id = ?1",
	[ST_JOURNAL_COUNT] = "SELECT count(*) FROM journal",
	[ST_JOURNAL_ALL] = "SELECT id, kind, folder, uidvalidity, uids, arg FROM journal "
			   "ORDER BY id",
	/* the index's rowid is STORE_FTS_ROWID(folder id, uid): a message is
	 * found, and a folder's range dropped, without a scan */
	[ST_FTS_BODY_CACHED] = "SELECT 1 FROM bodies WHERE folder = ?1 AND uidvalidity = ?2 AND "
			       "uid = ?3",
	/* the viewer's text parts: BODY[1.2] and BODY[1.2.MIME] */
	[ST_FTS_PART_TEXTS] = "SELECT section, data FROM parts WHERE folder = ?1 AND "
			      "uidvalidity = ?2 AND uid = ?3 AND section GLOB 'BODY[[][0-9]*' "
			      "ORDER BY section LIMIT 2 * " G_STRINGIFY(STORE_FTS_PARTS_MAX),
	[ST_FTS_SET_HDR] = "UPDATE fts SET uidvalidity = ?2, hdr = ?3 WHERE rowid = ?1",
	[ST_FTS_HAS_ROW] = "SELECT 1 FROM fts WHERE rowid = ?1",
	[ST_FTS_FOLDER_ANY] = "SELECT 1 FROM fts WHERE rowid BETWEEN ?1 AND ?2 LIMIT 1",
	[ST_FTS_SET_BODY] = "UPDATE fts SET uidvalidity = ?2, body = ?3 WHERE rowid = ?1",
	[ST_FTS_INSERT] = "INSERT INTO fts (rowid, uidvalidity, hdr, body) "
			  "VALUES (?1, ?2, ?3, ?4)",
	[ST_FTS_REMOVE] = "DELETE FROM fts WHERE rowid = ?1",
	[ST_FTS_CLEAR_BODY] = "UPDATE fts SET body = '' WHERE rowid = ?1 AND body <> ''",
	[ST_FTS_REMOVE_EMPTY] = "DELETE FROM fts WHERE rowid = ?1 AND hdr = ''",
	[ST_FTS_DROP_FOLDER] = "DELETE FROM fts WHERE rowid BETWEEN ?1 AND ?2",
	[ST_FTS_DROP_OTHER_VALIDITY] = "DELETE FROM fts WHERE rowid BETWEEN ?1 AND ?2 AND "
				       "uidvalidity <> ?3",
};

/* Schema migrations: step i brings user_version from i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1: the tables */
	"CREATE TABLE folders ("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" uidvalidity INTEGER NOT NULL DEFAULT 0, uidnext INTEGER NOT NULL DEFAULT 0,"
	" highestmodseq INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE messages ("
	" folder INTEGER NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" flags INTEGER NOT NULL DEFAULT 0, keywords TEXT, modseq INTEGER NOT NULL DEFAULT 0,"
	" internaldate INTEGER, internaldate_tz INTEGER, date INTEGER, date_tz INTEGER,"
	" size INTEGER, from_full TEXT, from_name TEXT, from_addr TEXT, to_list TEXT,"
	" cc_list TEXT, subject TEXT, message_id TEXT, in_reply_to TEXT, refs TEXT,"
	" PRIMARY KEY (folder, uidvalidity, uid)) WITHOUT ROWID;"
	"CREATE TABLE bodies ("
	" folder INTEGER NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" size INTEGER NOT NULL, last_used INTEGER NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY (folder, uidvalidity, uid));"
	"CREATE TABLE journal ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL, folder TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL, uids TEXT NOT NULL, arg TEXT,"
	" created INTEGER NOT NULL, claimed_pid INTEGER NOT NULL DEFAULT 0,"
	" claimed_at INTEGER NOT NULL DEFAULT 0);",
	/* 1 -> 2: eviction walks bodies by last use */
	"CREATE INDEX bodies_lru ON bodies (last_used);",
	/* 2 -> 3: the folder list as last listed (offline folder pane, moves) */
	"CREATE TABLE folder_list ("
	" position INTEGER PRIMARY KEY, name TEXT NOT NULL, wire_name TEXT NOT NULL,"
	" delimiter INTEGER NOT NULL DEFAULT 0, attrs INTEGER NOT NULL DEFAULT 0,"
	" attr_names TEXT, role INTEGER NOT NULL DEFAULT 0,"
	" messages INTEGER NOT NULL DEFAULT -1, unseen INTEGER NOT NULL DEFAULT -1);",
	/* 3 -> 4: the newest screenful by date without reading the folder
	 * (the index carries the primary key, so ties go by UID) */
	"CREATE INDEX messages_date ON messages (folder, uidvalidity, date);"
	/* and when the whole file was last checked (check_health()) */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;",
	/* 4 -> 5: the outbox (core/store/outbox.c) */
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,"
	" state INTEGER NOT NULL DEFAULT 0, sender TEXT NOT NULL, rcpts TEXT NOT NULL,"
	" data BLOB NOT NULL, bcc_field TEXT, subject TEXT,"
	" copy_to_sent INTEGER NOT NULL DEFAULT 1, sent_folder TEXT,"
	" orig_folder TEXT, orig_uidvalidity INTEGER NOT NULL DEFAULT 0,"
	" orig_uid INTEGER NOT NULL DEFAULT 0, orig_flag TEXT, detail TEXT,"
	" created INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	" claimed_pid INTEGER NOT NULL DEFAULT 0, claimed_at INTEGER NOT NULL DEFAULT 0);",
	/* 5 -> 6: one answer to several messages flags them all */
	"ALTER TABLE outbox ADD COLUMN orig_uids TEXT;",
	/* 6 -> 7: parts of messages fetched alone (the viewer's text, saved
	 * attachments) and their BODYSTRUCTURE, by fetch item
	 * ("BODY[1.2]", "BODY[HEADER]", "BINARY[2]", "BODYSTRUCTURE") */
	"CREATE TABLE parts ("
	" folder INTEGER NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" section TEXT NOT NULL, size INTEGER NOT NULL, last_used INTEGER NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY (folder, uidvalidity, uid, section));"
	"CREATE INDEX parts_lru ON parts (last_used);",
	/* 7 -> 8: From and Subject already decoded to UTF-8 (what list prints),
	 * so a whole-folder list decodes nothing; NULL in rows written before
	 * (store_messages_list() decodes those itself) */
	"ALTER TABLE messages ADD COLUMN list_from TEXT;"
	"ALTER TABLE messages ADD COLUMN list_subject TEXT;",
	/* 8 -> 9: the local full-text index (trigram: substrings, as IMAP
	 * SEARCH matches) over From, To, Cc, Subject (hdr) and the text of a
	 * cached body (body); rowid is STORE_FTS_ROWID(folder, uid). Only
	 * messages whose text is cached have a row (fts_put_headers()); the
	 * bodies cached before are indexed when next cached. */
	"CREATE VIRTUAL TABLE fts USING fts5(uidvalidity UNINDEXED, hdr, body,"
	" tokenize = 'trigram');",
	/* 9 -> 10: the unseen messages of a folder counted without reading its
	 * rows (ST_MSG_COUNT); flags in the key makes the index covering */
	"CREATE INDEX messages_unseen ON messages (folder, uidvalidity, flags) "
	"WHERE (flags & 1) = 0;",
	/* 10 -> 11: the server's PREVIEW (RFC 8970) of a message, NULL while
	 * unknown (rows written before, or not ready under LAZY) */
	"ALTER TABLE messages ADD COLUMN preview TEXT;",
	/* 11 -> 12: the summary form chosen by the probe (core/store/probe.c)
	 * for the server last probed */
	"CREATE TABLE summary_form ("
	" id INTEGER PRIMARY KEY CHECK (id = 1), server TEXT NOT NULL,"
	" form INTEGER NOT NULL, headers_us INTEGER NOT NULL DEFAULT 0,"
	" envelope_us INTEGER NOT NULL DEFAULT 0, probed INTEGER NOT NULL DEFAULT 0);",
};
#define STORE_SCHEMA_VERSION ((int)TERN_ARRAY_LEN(migrations))

struct store {
	sqlite3 *db;
	char *path;
	bool read_only;
	bool in_txn;
	bool bulk_txn;     /* the open transaction is store_bulk_begin()'s */
	bool bulk;         /* between store_bulk_begin() and store_bulk_end() */
	guint64 body_limit;
	sqlite3_stmt *stmt[ST_COUNT];
	GHashTable *folder_ids; /* name -> gint64 id (boxed in the pointer) */
	gint64 checked_at;      /* a full check passed at this time: record it */
	store_list_fn *observer; /* sees each row store_messages_put() wrote */
	void *observer_ud;
	GThread *checkpointer;  /* store_bulk_end_background()'s, until joined */
};

G_DEFINE_QUARK(tern-store-error-quark, store_error)

static void checkpoint_join(struct store *s);

/* ------------------------------------------------------------------ */
/* Paths                                                              */
/* ------------------------------------------------------------------ */

char *
store_safe_name(const char *name)
{
	GString *out = g_string_new(NULL);
	bool cut = false;

	for (const char *p = name; p != NULL && *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (out->len + 3 > STORE_SAFE_NAME_MAX - 17) {
			cut = true;
			break;
		}
		if (g_ascii_isalnum(ch) || ch == '-' || ch == '_')
			g_string_append_c(out, (char)ch);
		else
			g_string_append_printf(out, "%%%02X", ch);
	}
	if (cut) {
		char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, name, -1);

		g_string_append_printf(out, "~%.16s", sum);
		g_free(sum);
	}
	if (out->len == 0)
		g_string_append_c(out, '_');
	return g_string_free(out, FALSE);
}

char *
store_account_path(const char *account)
{
	char *safe = store_safe_name(account);
	char *file = g_strconcat(safe, ".db", NULL);
	char *path = g_build_filename(g_get_user_cache_dir(), "tern", file, NULL);

	g_free(file);
	g_free(safe);
	return path;
}

const char *
store_path(struct store *s)
{
	return s->path;
}

/* ------------------------------------------------------------------ */
/* Errors and statements                                              */
/* ------------------------------------------------------------------ */

static int
fail(struct store *s, GError **error, const char *what)
{
	g_set_error(error, STORE_ERROR, STORE_ERROR_IO, _("cache %s: %s (%s)"), s->path, what,
		    sqlite3_errmsg(s->db));
	return -1;
}

static sqlite3_stmt *
stmt_get(struct store *s, enum stmt which, GError **error)
{
	sqlite3_stmt *st = s->stmt[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			fail(s, error, _("cannot prepare a statement"));
			return NULL;
		}
		s->stmt[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Step a statement that returns no rows. */
static int
step_done(struct store *s, sqlite3_stmt *st, GError **error)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, error, _("cannot write"));
	return 0;
}

static int
exec(struct store *s, const char *sql, GError **error)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_IO, _("cache %s: %s"), s->path,
			    msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? g_strdup((const char *)t) : NULL;
}

/* ------------------------------------------------------------------ */
/* Open, check, migrate                                               */
/* ------------------------------------------------------------------ */

static int
pragma_int(struct store *s, const char *sql, gint64 *v_r, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, error, _("cannot read the schema"));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return fail(s, error, _("cannot read the schema"));
	return 0;
}

/* PRAGMA quick_check: 0 when it answers "ok", 1 when the file is damaged
 * or not a database, -1 (error set) when it could not run (busy, I/O):
 * then nothing is moved aside. */
static int
full_check(struct store *s, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	int out = 1;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		out = t != NULL && strcmp((const char *)t, "ok") == 0 ? 0 : 1;
	} else if (rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT) {
		fail(s, error, _("cannot check the file"));
		out = -1;
	}
	sqlite3_finalize(st);
	return out;
}

/* When the last full check passed (0: never, or no meta table yet). Reading
 * it parses the header and the whole schema: returns 1 when that fails as
 * a damaged file would, -1 (error set) when it could not run, else 0. */
static int
last_check(struct store *s, gint64 *at_r, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'checked'", -1,
				    &st, NULL);

	*at_r = 0;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*at_r = sqlite3_column_int64(st, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	} else if (rc == SQLITE_ERROR) {
		rc = SQLITE_OK; /* no meta table: an older schema, or a new file */
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return 1;
	if (rc != SQLITE_OK)
		return fail(s, error, _("cannot check the file"));
	return 0;
}

/* The header and schema on every open; the whole file (quick_check) when
 * the last full check is older than STORE_FULL_CHECK_INTERVAL_S. Returns
 * as full_check(). */
static int
check_health(struct store *s, GError **error)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 at = 0;
	int rc = last_check(s, &at, error);

	if (rc != 0)
		return rc;
	if (at <= now && now - at < STORE_FULL_CHECK_INTERVAL_S)
		return 0;
	rc = full_check(s, error);
	if (rc == 0)
		s->checked_at = now;
	return rc;
}

/* Remember a passed full check (after migrate(): the meta table exists).
 * A lost stamp only means another check next time. */
static void
record_check(struct store *s)
{
	char *sql;

	if (s->read_only || s->checked_at == 0)
		return;
	sql = g_strdup_printf("INSERT OR REPLACE INTO meta (key, value) VALUES ('checked', %"
			      G_GINT64_FORMAT ")", s->checked_at);
	exec(s, sql, NULL);
	g_free(sql);
	s->checked_at = 0;
}

static int
migrate(struct store *s, GError **error)
{
	gint64 version = 0;

	if (pragma_int(s, "PRAGMA user_version", &version, error) < 0)
		return -1;
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if (version > STORE_SCHEMA_VERSION || version < 0) {
		char version_str[32];

		g_snprintf(version_str, sizeof version_str, "%" G_GINT64_FORMAT, (gint64)version);
		g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT,
			    /* the number as a string: a format macro inside _() breaks xgettext */
			    _("cache %s has schema version %s, newer than this tern knows (%d)"),
			    s->path, version_str, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (s->read_only) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT,
			    _("cache %s has an old schema and is opened read-only"), s->path);
		return -1;
	}
	if (exec(s, "BEGIN IMMEDIATE", error) < 0)
		return -1;
	/* another process may have migrated while we waited for the lock */
	if (pragma_int(s, "PRAGMA user_version", &version, error) < 0) {
		exec(s, "ROLLBACK", NULL);
		return -1;
	}
	for (gint64 v = version; v < STORE_SCHEMA_VERSION; v++) {
		char *bump = g_strdup_printf("PRAGMA user_version = %" G_GINT64_FORMAT, v + 1);
		int rc = exec(s, migrations[v], error);

		if (rc == 0)
			rc = exec(s, bump, error);
		g_free(bump);
		if (rc < 0) {
			exec(s, "ROLLBACK", NULL);
			return -1;
		}
	}
	return exec(s, "COMMIT", error);
}

static void
close_db(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
}

/* Open the file and check it; returns 0, -1 for an I/O error (error set),
 * or 1 when the file is damaged or not a database (no error). */
static int
try_open(struct store *s, GError **error)
{
	int flags = s->read_only ? SQLITE_OPEN_READONLY :
				   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	GError *err = NULL;
	int rc;

	flags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK) {
		if (s->db != NULL && sqlite3_errcode(s->db) == SQLITE_NOTADB)
			return 1;
		fail(s, error, _("cannot open"));
		return -1;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 0);
	rc = check_health(s, error);
	if (rc != 0)
		return rc;
	/* A new file gets pages of 16 KiB (an existing one keeps its own): a
	 * message's row is some 600 bytes, and a folder's first load made
	 * 11% less work with a quarter as many pages to split, log and copy
	 * back (and the same for the whole-folder scan). */
	if (!s->read_only &&
	    exec(s, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; "
		    "PRAGMA synchronous = NORMAL;", &err) < 0) {
		int code = sqlite3_errcode(s->db);

		if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
			g_error_free(err);
			return 1;
		}
		g_propagate_error(error, err);
		return -1;
	}
	exec(s, "PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;", NULL);
	if (migrate(s, &err) < 0) {
		int code = sqlite3_errcode(s->db);

		if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT ||
		    g_error_matches(err, STORE_ERROR, STORE_ERROR_CORRUPT)) {
			if (s->read_only) {
				g_propagate_error(error, err);
				return -1;
			}
			g_error_free(err);
			return 1;
		}
		g_propagate_error(error, err);
		return -1;
	}
	record_check(s);
	return 0;
}

/* Move the damaged file (and its WAL) aside as PATH.corrupt. */
static void
move_aside(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char *aside = g_strconcat(path, ".corrupt", NULL);

	if (rename(path, aside) < 0)
		unlink(path);
	for (size_t i = 0; i < TERN_ARRAY_LEN(sfx); i++) {
		char *p = g_strconcat(path, sfx[i], NULL);

		unlink(p);
		g_free(p);
	}
	g_free(aside);
}

/* Once, before SQLite's first connection: no memory statistics, which
 * took a global mutex around each of its allocations (tern reads none;
 * the cache writer and the reading thread contended for it). */
static void
library_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		g_once_init_leave(&done, 1);
	}
}

int
store_open(const char *path, unsigned flags, struct store **store_r, char **warning_r,
	   GError **error)
{
	struct store *s;
	int rc;

	library_init();
	*store_r = NULL;
	if (warning_r != NULL)
		*warning_r = NULL;
	if (flags & STORE_OPEN_READ_ONLY) {
		if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
			g_set_error(error, STORE_ERROR, STORE_ERROR_MISSING,
				    _("nothing is cached yet (%s does not exist)"), path);
			return -1;
		}
	} else {
		char *dir = g_path_get_dirname(path);

		rc = g_mkdir_with_parents(dir, 0700);
		g_free(dir);
		if (rc < 0) {
			g_set_error(error, STORE_ERROR, STORE_ERROR_IO,
				    _("cannot create the cache directory for %s: %s"), path,
				    g_strerror(errno));
			return -1;
		}
	}
	s = g_new0(struct store, 1);
	s->path = g_strdup(path);
	s->read_only = (flags & STORE_OPEN_READ_ONLY) != 0;
	s->body_limit = STORE_BODY_LIMIT_DEFAULT;
	s->folder_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	rc = try_open(s, error);
	if (rc == 1 && s->read_only) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT,
			    _("the cache %s is damaged"), path);
		rc = -1;
	} else if (rc == 1) {
		close_db(s);
		move_aside(path);
		if (warning_r != NULL)
			*warning_r = g_strdup_printf(_("the cache %s was damaged; it was moved "
						       "to %s.corrupt and is rebuilt"),
						     path, path);
		rc = try_open(s, error);
		if (rc == 1) {
			g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT,
				    _("the cache %s cannot be rebuilt"), path);
			rc = -1;
		}
	}
	if (rc < 0) {
		if (warning_r != NULL) {
			g_free(*warning_r);
			*warning_r = NULL;
		}
		store_free(&s);
		return -1;
	}
	if (!s->read_only)
		chmod(path, 0600);
	*store_r = s;
	return 0;
}

/* A second connection on s's file, for another thread (the command line's
 * cache writer, core/store/writer.c): s has already checked and migrated
 * the file, so nothing of that is done again, and a damaged file is an
 * error here, never moved aside under the first connection. */
int
store_open_another(struct store *s, struct store **store_r, GError **error)
{
	struct store *o;

	*store_r = NULL;
	if (s->read_only) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_USAGE, "read-only store");
		return -1;
	}
	o = g_new0(struct store, 1);
	o->path = g_strdup(s->path);
	o->body_limit = s->body_limit;
	o->observer = s->observer;
	o->observer_ud = s->observer_ud;
	o->folder_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (sqlite3_open_v2(o->path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		fail(o, error, _("cannot open"));
		store_free(&o);
		return -1;
	}
	sqlite3_busy_timeout(o->db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(o->db, 0);
	/* WAL is the file's (set by the first connection); these are ours */
	if (exec(o, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; "
		    "PRAGMA temp_store = MEMORY;", error) < 0) {
		store_free(&o);
		return -1;
	}
	*store_r = o;
	return 0;
}

void
store_free(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	store_bulk_end(s, NULL); /* a folder's rows are kept, as after each commit */
	checkpoint_join(s);
	if (s->in_txn)
		store_rollback(s);
	close_db(s);
	g_hash_table_unref(s->folder_ids);
	g_free(s->path);
	g_free(s);
	*sp = NULL;
}

int
store_begin(struct store *s, GError **error)
{
	if (s->in_txn) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_USAGE, "nested transaction");
		return -1;
	}
	if (exec(s, s->read_only ? "BEGIN" : "BEGIN IMMEDIATE", error) < 0)
		return -1;
	s->in_txn = true;
	return 0;
}

int
store_commit(struct store *s, GError **error)
{
	if (!s->in_txn)
		return 0;
	if (exec(s, "COMMIT", error) < 0) {
		store_rollback(s);
		return -1;
	}
	s->in_txn = false;
	s->bulk_txn = false;
	return 0;
}

void
store_rollback(struct store *s)
{
	s->bulk_txn = false;
	if (!s->in_txn)
		return;
	exec(s, "ROLLBACK", NULL);
	s->in_txn = false;
	/* ids learnt inside the transaction may be gone */
	g_hash_table_remove_all(s->folder_ids);
}

/* ---- Bulk writes ----------------------------------------------------------- */

/* SQLite's default: a checkpoint once the WAL has this many pages. */
#define STORE_AUTOCHECKPOINT_PAGES 1000
/* A load's own connection (store_tune_for_load()): its page cache, in KiB
 * as PRAGMA cache_size takes them (negative), and its WAL checkpoints. */
#define STORE_LOAD_CACHE_KIB -32768
#define STORE_LOAD_CHECKPOINT_BYTES (16 * 1024 * 1024)

void
store_tune_for_load(struct store *s)
{
	gint64 page = 0;

	exec(s, "PRAGMA cache_size = " G_STRINGIFY(STORE_LOAD_CACHE_KIB), NULL);
	/* in bytes, whatever the file's page size (4 KiB for an older one) */
	if (pragma_int(s, "PRAGMA page_size", &page, NULL) < 0 || page < 512)
		page = 4096;
	sqlite3_wal_autocheckpoint(s->db, (int)(STORE_LOAD_CHECKPOINT_BYTES / page));
}

int
store_bulk_begin(struct store *s, GError **error)
{
	if (s->read_only || s->in_txn)
		return 0;
	if (!s->bulk) {
		/* the WAL grows through the load; store_bulk_end() checkpoints */
		sqlite3_wal_autocheckpoint(s->db, 0);
		s->bulk = true;
	}
	if (store_begin(s, error) < 0)
		return -1;
	s->bulk_txn = true;
	return 0;
}

bool
store_bulk_open(struct store *s)
{
	return s->bulk_txn;
}

int
store_bulk_commit(struct store *s, GError **error)
{
	if (!s->bulk_txn)
		return 0;
	s->bulk_txn = false;
	return store_commit(s, error);
}

/* The checkpoint itself: the WAL copied back without waiting for anyone,
 * then, when nobody is using it, emptied. The last connection to close
 * deletes the WAL, and deleting one a load left (16 MiB and more)
 * took the command line 9 ms at exit; emptied here, that is done while
 * the caller goes on. */
static void
wal_copy_back(sqlite3 *db)
{
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK)
		return;
	sqlite3_busy_timeout(db, 0); /* busy: left as it is */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

/* The background checkpoint, on a connection of its own (a connection
 * belongs to one thread at a time: the store's is the main thread's):
 * one the caller handed over (closed here once done), or a new one on
 * path. */
struct checkpoint_job {
	struct store *db;
	char *path;
};

static gpointer
checkpoint_thread(gpointer data)
{
	struct checkpoint_job *job = data;
	sqlite3 *db = NULL;

	if (job->db != NULL) {
		wal_copy_back(job->db->db);
		store_free(&job->db);
	} else if (sqlite3_open_v2(job->path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
		   /* A new connection learns that the file is in WAL mode when
		    * it first reads it: checkpointed before, it did nothing
		    * (SQLite said OK). */
		   sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL) == SQLITE_OK) {
		wal_copy_back(db);
	}
	sqlite3_close(db);
	g_free(job->path);
	g_free(job);
	return NULL;
}

/* Wait for the background checkpoint, then checkpoint as usual again. */
static void
checkpoint_join(struct store *s)
{
	if (s->checkpointer == NULL)
		return;
	g_thread_join(s->checkpointer);
	s->checkpointer = NULL;
	if (s->db != NULL)
		sqlite3_wal_autocheckpoint(s->db, STORE_AUTOCHECKPOINT_PAGES);
}

void
store_checkpoint_background_on(struct store *s, struct store **another)
{
	struct checkpoint_job *job;

	if (s->read_only) {
		store_free(another);
		return;
	}
	checkpoint_join(s); /* one at a time */
	/* Automatic checkpoints stay off until it is joined (the next load's
	 * end, or store_free()): the next commit here would run one of the
	 * whole WAL itself. */
	sqlite3_wal_autocheckpoint(s->db, 0);
	job = g_new0(struct checkpoint_job, 1);
	if (another != NULL) {
		job->db = *another;
		*another = NULL;
	}
	if (job->db == NULL)
		job->path = g_strdup(s->path);
	s->checkpointer = g_thread_new("tern-checkpoint", checkpoint_thread, job);
}

void
store_checkpoint_background(struct store *s)
{
	store_checkpoint_background_on(s, NULL);
}

int
store_bulk_end_background(struct store *s, GError **error)
{
	int rc = store_bulk_commit(s, error);

	if (!s->bulk)
		return rc;
	s->bulk = false;
	if (rc == 0 && !s->in_txn)
		store_checkpoint_background(s);
	else
		sqlite3_wal_autocheckpoint(s->db, STORE_AUTOCHECKPOINT_PAGES);
	return rc;
}

int
store_bulk_end(struct store *s, GError **error)
{
	int rc = store_bulk_commit(s, error);

	if (!s->bulk)
		return rc;
	s->bulk = false;
	sqlite3_wal_autocheckpoint(s->db, STORE_AUTOCHECKPOINT_PAGES);
	/* PASSIVE: never waits for another process's readers */
	if (rc == 0 && !s->in_txn &&
	    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) !=
		    SQLITE_OK &&
	    sqlite3_errcode(s->db) != SQLITE_BUSY)
		rc = fail(s, error, _("cannot write"));
	return rc;
}

/* Run fn inside a transaction unless one is open already. */
#define STORE_TXN_BEGIN(s, error, own)                             \
	do {                                                       \
		(own) = !(s)->in_txn;                              \
		if ((own) && store_begin((s), (error)) < 0)        \
			return -1;                                 \
	} while (0)

static int
txn_end(struct store *s, bool own, int rc, GError **error)
{
	if (!own)
		return rc;
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, error);
}

static int
refuse_read_only_only(struct store *s, GError **error)
{
	if (!s->read_only)
		return 0;
	g_set_error(error, STORE_ERROR, STORE_ERROR_USAGE, _("cache %s is open read-only"),
		    s->path);
	return -1;
}

/* Every write but store_messages_put() passes here first: a bulk
 * transaction is committed before it, so that the write is committed when
 * its call returns, as it would be without one (the user's own changes and
 * the outbox must not wait for, or be rolled back with, a folder's rows). */
static int
refuse_read_only(struct store *s, GError **error)
{
	if (refuse_read_only_only(s, error) < 0)
		return -1;
	return store_bulk_commit(s, error);
}

/* ------------------------------------------------------------------ */
/* The full-text index's rows (the search is in fts.c)                */
/* ------------------------------------------------------------------ */

/* Set one column (ST_FTS_SET_HDR or ST_FTS_SET_BODY) of a message's row,
 * making the row when there is none. text: transfer full (may be NULL). */
static int
fts_set(struct store *s, enum stmt which, gint64 id, guint32 uidvalidity, guint32 uid,
	char *text, GError **error)
{
	gint64 rowid = STORE_FTS_ROWID(id, uid);
	sqlite3_stmt *st = stmt_get(s, which, error);
	const char *t = text != NULL ? text : "";
	int rc = -1;

	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_text(st, 3, t, -1, SQLITE_STATIC);
	if (step_done(s, st, error) < 0)
		goto out;
	rc = 0;
	if (sqlite3_changes(s->db) > 0)
		goto out;
	if ((st = stmt_get(s, ST_FTS_INSERT, error)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_text(st, 3, which == ST_FTS_SET_HDR ? t : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, which == ST_FTS_SET_BODY ? t : "", -1, SQLITE_STATIC);
	rc = step_done(s, st, error);
out:
	g_free(text);
	return rc;
}

/* From, To, Cc and Subject decoded, one a line, at most
 * STORE_FTS_HEADER_MAX bytes. Transfer full. */
static char *
fts_header_text(const struct imap_summary *m)
{
	const char *raw[4] = { m->from, m->to, m->cc, m->subject };
	GString *out = g_string_new(NULL);

	for (int i = 0; i < 4; i++) {
		char *dec = raw[i] != NULL ? text_decode_header_utf8(raw[i]) : NULL;

		if (i > 0)
			g_string_append_c(out, '\n');
		if (dec != NULL)
			g_string_append(out, dec);
		g_free(dec);
	}
	if (out->len > STORE_FTS_HEADER_MAX) {
		const char *end;

		g_utf8_validate(out->str, STORE_FTS_HEADER_MAX, &end);
		g_string_truncate(out, (gsize)(end - out->str));
	}
	return g_string_free(out, FALSE);
}

/* Only a message whose text is indexed gets its headers in too: indexing
 * the headers of every summary made a cold load's cache writes 2.6 times
 * slower (12-13.7 s against 4.6-5 s for 100,000) and the file about 1 KB a
 * message bigger, for nothing the header match (store_summary_matches)
 * does not already find. */
static int
fts_put_headers(struct store *s, gint64 id, guint32 uidvalidity, const struct imap_summary *m,
		GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_FTS_HAS_ROW, error);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, STORE_FTS_ROWID(id, m->uid));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
	return fts_set(s, ST_FTS_SET_HDR, id, uidvalidity, m->uid, fts_header_text(m), error);
}

/* The body left the cache: its text leaves the index (the headers stay
 * while the summary is cached; a row with neither goes). */
static int
fts_clear_body(struct store *s, gint64 id, guint32 uid, GError **error)
{
	enum stmt which[2] = { ST_FTS_CLEAR_BODY, ST_FTS_REMOVE_EMPTY };

	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = stmt_get(s, which[i], error);

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, STORE_FTS_ROWID(id, uid));
		if (step_done(s, st, error) < 0)
			return -1;
	}
	return 0;
}

/* 1 when the message's whole body is cached, 0 when not, -1. */
static int
body_cached(struct store *s, gint64 id, guint32 uidvalidity, guint32 uid, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_FTS_BODY_CACHED, error);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, error, _("cannot read"));
	return rc == SQLITE_ROW;
}

/* Is item a part's text or its MIME header ("BODY[1.2]", "BODY[1.2.MIME]")? */
static bool
item_is_text_part(const char *item)
{
	return g_str_has_prefix(item, "BODY[") && g_ascii_isdigit(item[5]);
}

/* The message's text parts cached alone, paired with their MIME headers
 * (a part without its header is left out): mimes and bodies get GBytes
 * (transfer full). */
static int
collect_text_parts(struct store *s, gint64 id, guint32 uidvalidity, guint32 uid,
		   GPtrArray *mimes, GPtrArray *bodies, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_FTS_PART_TEXTS, error);
	GHashTable *mime = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify)g_bytes_unref);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *datas = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	int rc;

	if (st == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sec = (const char *)sqlite3_column_text(st, 0);
		GBytes *data = g_bytes_new(sqlite3_column_blob(st, 1),
					   (gsize)sqlite3_column_bytes(st, 1));

		if (g_str_has_suffix(sec, ".MIME]")) {
			/* "BODY[1.2.MIME]" pairs with "BODY[1.2]" */
			char *body = g_strndup(sec, strlen(sec) - strlen(".MIME]"));

			g_hash_table_replace(mime, g_strconcat(body, "]", NULL), data);
			g_free(body);
		} else {
			g_ptr_array_add(names, g_strdup(sec));
			g_ptr_array_add(datas, data);
		}
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
	for (guint i = 0; rc == 0 && i < names->len; i++) {
		GBytes *m = g_hash_table_lookup(mime, names->pdata[i]);

		if (m == NULL)
			continue;
		g_ptr_array_add(mimes, g_bytes_ref(m));
		g_ptr_array_add(bodies, g_bytes_ref(datas->pdata[i]));
	}
out:
	g_hash_table_unref(mime);
	g_ptr_array_unref(names);
	g_ptr_array_unref(datas);
	return rc;
}

/* The message's body text from its text parts cached alone, when its
 * whole body is not cached (that one is indexed itself); none: the
 * body's text leaves the index. */
static int
fts_index_parts(struct store *s, gint64 id, guint32 uidvalidity, guint32 uid, GError **error)
{
	GPtrArray *mimes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GPtrArray *bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	int rc = body_cached(s, id, uidvalidity, uid, error);

	if (rc == 0)
		rc = collect_text_parts(s, id, uidvalidity, uid, mimes, bodies, error);
	if (rc == 0 && bodies->len == 0)
		rc = fts_clear_body(s, id, uid, error);
	else if (rc == 0)
		rc = fts_set(s, ST_FTS_SET_BODY, id, uidvalidity, uid,
			     text_extract_parts((GBytes *const *)mimes->pdata,
						(GBytes *const *)bodies->pdata, bodies->len,
						STORE_FTS_TEXT_MAX),
			     error);
	g_ptr_array_unref(mimes);
	g_ptr_array_unref(bodies);
	return rc < 0 ? -1 : 0;
}

static int
fts_remove(struct store *s, gint64 id, guint32 uid, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_FTS_REMOVE, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, STORE_FTS_ROWID(id, uid));
	return step_done(s, st, error);
}

/* A folder's rows: all of them, or those of another UIDVALIDITY. */
static int
fts_drop(struct store *s, gint64 id, bool keep_validity, guint32 uidvalidity, GError **error)
{
	sqlite3_stmt *st =
		stmt_get(s, keep_validity ? ST_FTS_DROP_OTHER_VALIDITY : ST_FTS_DROP_FOLDER, error);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, STORE_FTS_ROWID(id, 0));
	sqlite3_bind_int64(st, 2, STORE_FTS_ROWID(id, G_MAXUINT32));
	if (keep_validity)
		sqlite3_bind_int64(st, 3, uidvalidity);
	return step_done(s, st, error);
}

/* ------------------------------------------------------------------ */
/* Folders                                                            */
/* ------------------------------------------------------------------ */

/* Returns 1 with *id_r and *f_r (may be NULL), 0 when not cached, -1. */
static int
folder_lookup(struct store *s, const char *folder, gint64 *id_r, struct store_folder *f_r,
	      GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_FOLDER_GET, error);
	int rc;

	if (st == NULL)
		return -1;
	bind_text(st, 1, folder);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		if (f_r != NULL) {
			f_r->uidvalidity = (guint32)sqlite3_column_int64(st, 1);
			f_r->uidnext = (guint32)sqlite3_column_int64(st, 2);
			f_r->highestmodseq = (guint64)sqlite3_column_int64(st, 3);
		}
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return fail(s, error, _("cannot read"));
}

/* The folder's id, or 0 when it is not cached (-1 on error). */
static gint64
folder_id(struct store *s, const char *folder, GError **error)
{
	gpointer v;
	gint64 id = 0;
	int rc;

	if (g_hash_table_lookup_extended(s->folder_ids, folder, NULL, &v))
		return GPOINTER_TO_SIZE(v);
	rc = folder_lookup(s, folder, &id, NULL, error);
	if (rc < 0)
		return -1;
	if (rc == 1)
		g_hash_table_insert(s->folder_ids, g_strdup(folder), GSIZE_TO_POINTER((gsize)id));
	return id;
}

int
store_folder_get(struct store *s, const char *folder, struct store_folder *f_r, GError **error)
{
	gint64 id;

	memset(f_r, 0, sizeof *f_r);
	return folder_lookup(s, folder, &id, f_r, error);
}

static int
drop_rows(struct store *s, gint64 id, bool keep_validity, guint32 uidvalidity, GError **error)
{
	enum stmt which[3] = { keep_validity ? ST_MSG_DROP_OTHER_VALIDITY : ST_MSG_DROP_FOLDER,
			       keep_validity ? ST_BODY_DROP_OTHER_VALIDITY : ST_BODY_DROP_FOLDER,
			       keep_validity ? ST_PART_DROP_OTHER_VALIDITY : ST_PART_DROP_FOLDER };

	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *st = stmt_get(s, which[i], error);

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		if (keep_validity)
			sqlite3_bind_int64(st, 2, uidvalidity);
		if (step_done(s, st, error) < 0)
			return -1;
	}
	return fts_drop(s, id, keep_validity, uidvalidity, error);
}

static int
folder_write(struct store *s, const char *folder, const struct store_folder *f, GError **error)
{
	struct store_folder old;
	sqlite3_stmt *st;
	gint64 id = 0;
	int found = folder_lookup(s, folder, &id, &old, error);

	if (found < 0)
		return -1;
	if (found == 1 && old.uidvalidity != f->uidvalidity &&
	    drop_rows(s, id, true, f->uidvalidity, error) < 0)
		return -1;
	st = stmt_get(s, found == 1 ? ST_FOLDER_UPDATE : ST_FOLDER_INSERT, error);
	if (st == NULL)
		return -1;
	if (found == 1)
		sqlite3_bind_int64(st, 1, id);
	else
		bind_text(st, 1, folder);
	sqlite3_bind_int64(st, 2, f->uidvalidity);
	sqlite3_bind_int64(st, 3, f->uidnext);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)MIN(f->highestmodseq, (guint64)G_MAXINT64));
	return step_done(s, st, error);
}

int
store_folder_set(struct store *s, const char *folder, const struct store_folder *f,
		 GError **error)
{
	bool own;

	if (refuse_read_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	return txn_end(s, own, folder_write(s, folder, f, error), error);
}

int
store_folder_drop(struct store *s, const char *folder, GError **error)
{
	gint64 id = 0;
	sqlite3_stmt *st;
	bool own;
	int rc;

	if (refuse_read_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	rc = folder_lookup(s, folder, &id, NULL, error);
	if (rc == 1) {
		rc = drop_rows(s, id, false, 0, error);
		st = rc == 0 ? stmt_get(s, ST_FOLDER_DELETE, error) : NULL;
		if (st != NULL) {
			sqlite3_bind_int64(st, 1, id);
			rc = step_done(s, st, error);
		} else {
			rc = -1;
		}
	}
	g_hash_table_remove(s->folder_ids, folder);
	return txn_end(s, own, rc < 0 ? -1 : 0, error);
}

/* Run a statement without parameters and collect a row_fn(row) per row
 * (NULL rows are skipped) into *out_r, transfer full. */
static int
collect_ptrs(struct store *s, enum stmt which, gpointer (*row_fn)(sqlite3_stmt *st),
	     GDestroyNotify free_fn, GPtrArray **out_r, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, which, error);
	GPtrArray *out;
	int rc;

	*out_r = NULL;
	if (st == NULL)
		return -1;
	out = g_ptr_array_new_with_free_func(free_fn);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		gpointer p = row_fn(st);

		if (p != NULL)
			g_ptr_array_add(out, p);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(out);
		return fail(s, error, _("cannot read"));
	}
	*out_r = out;
	return 0;
}

static gpointer
row_to_name(sqlite3_stmt *st)
{
	return column_dup(st, 0);
}

int
store_folder_names(struct store *s, GPtrArray **names_r, GError **error)
{
	return collect_ptrs(s, ST_FOLDER_NAMES, row_to_name, g_free, names_r, error);
}

static int
flist_put_one(struct store *s, sqlite3_stmt *st, gint64 pos, const struct imap_folder *f,
	      GError **error)
{
	char *attrs = NULL;
	int rc;

	if (f->attr_names != NULL && f->attr_names->len > 0) {
		GString *j = g_string_new(NULL);

		for (guint i = 0; i < f->attr_names->len; i++)
			g_string_append_printf(j, "%s%s", i > 0 ? " " : "",
					       (const char *)f->attr_names->pdata[i]);
		attrs = g_string_free(j, FALSE);
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, pos);
	bind_text(st, 2, f->name);
	bind_text(st, 3, f->wire_name != NULL ? f->wire_name : f->name);
	sqlite3_bind_int(st, 4, (unsigned char)f->delimiter);
	sqlite3_bind_int64(st, 5, f->attrs);
	bind_text(st, 6, attrs);
	sqlite3_bind_int(st, 7, (int)f->role);
	sqlite3_bind_int64(st, 8, f->messages);
	sqlite3_bind_int64(st, 9, f->unseen);
	rc = step_done(s, st, error);
	g_free(attrs);
	return rc;
}

int
store_folder_list_put(struct store *s, const GPtrArray *folders, GError **error)
{
	sqlite3_stmt *st;
	bool own;
	int rc;

	if (refuse_read_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	st = stmt_get(s, ST_FLIST_CLEAR, error);
	rc = st != NULL ? step_done(s, st, error) : -1;
	st = rc == 0 ? stmt_get(s, ST_FLIST_PUT, error) : NULL;
	for (guint i = 0; st != NULL && rc == 0 && i < folders->len; i++) {
		const struct imap_folder *f = folders->pdata[i];

		if (f != NULL && f->name != NULL)
			rc = flist_put_one(s, st, i, f, error);
	}
	if (st == NULL)
		rc = -1;
	return txn_end(s, own, rc, error);
}

static gpointer
row_to_folder(sqlite3_stmt *st)
{
	struct imap_folder *f = g_new0(struct imap_folder, 1);
	const char *attrs = (const char *)sqlite3_column_text(st, 4);
	char **split = attrs != NULL && attrs[0] != '\0' ? g_strsplit(attrs, " ", -1) : NULL;
	int role = sqlite3_column_int(st, 5);

	f->name = column_dup(st, 0);
	f->wire_name = column_dup(st, 1);
	f->delimiter = (char)(sqlite3_column_int(st, 2) & 0xff);
	f->attrs = (guint)sqlite3_column_int64(st, 3);
	f->attr_names = g_ptr_array_new_with_free_func(g_free);
	for (char **p = split; p != NULL && *p != NULL; p++)
		g_ptr_array_add(f->attr_names, g_strdup(*p));
	g_strfreev(split);
	f->role = role >= 0 && role <= FOLDER_ROLE_NONE ? (enum folder_role)role :
							  FOLDER_ROLE_NONE;
	f->messages = sqlite3_column_int64(st, 6);
	f->unseen = sqlite3_column_int64(st, 7);
	if (f->name == NULL || f->wire_name == NULL) {
		imap_folder_free(f);
		return NULL;
	}
	return f;
}

int
store_folder_list_get(struct store *s, GPtrArray **folders_r, GError **error)
{
	return collect_ptrs(s, ST_FLIST_ALL, row_to_folder, (GDestroyNotify)imap_folder_free,
			    folders_r, error);
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */
/* ------------------------------------------------------------------ */

/* The folder's id, which must exist (STORE_ERROR_USAGE otherwise). */
static gint64
need_folder(struct store *s, const char *folder, GError **error)
{
	gint64 id = folder_id(s, folder, error);

	if (id == 0)
		g_set_error(error, STORE_ERROR, STORE_ERROR_USAGE,
			    "folder '%s' is not in the cache", folder);
	return id > 0 ? id : -1;
}

char *
store_keywords_join(char **keywords)
{
	char *joined;

	if (keywords == NULL || keywords[0] == NULL)
		return NULL;
	joined = g_strjoinv(" ", keywords);
	if (strlen(joined) > STORE_KEYWORDS_MAX)
		joined[STORE_KEYWORDS_MAX] = '\0';
	return joined;
}

/* ?21 and ?22: From and Subject as list prints them, decoded once when
 * written rather than on every read; NULL when that is the raw column
 * itself (list_text() knows it again in one pass): most are, and the copy
 * was a twelfth of a cold load's row. dec[i] is the decoded text or NULL;
 * the caller frees them. */
void
store_list_texts(const struct imap_summary *m, char *dec[2])
{
	const char *raw[2] = { m->from, m->subject };

	for (int i = 0; i < 2; i++) {
		size_t len;

		/* nearly always: the decoded text is the raw one */
		dec[i] = raw[i] == NULL || text_header_is_plain(raw[i], &len)
				 ? NULL
				 : text_decode_header_utf8(raw[i]);
	}
}

void
store_observe_row(struct store *s, const struct imap_summary *m, const char *keywords,
		  char *const dec[2])
{
	/* as store_messages_list() reads it back */
	struct store_list_row r = {
		.uid = m->uid, .flags = m->flags & ~(guint)IMAP_FLAG_RECENT,
		.keywords = keywords, .date = m->date, .date_tz = m->date_tz, .size = m->size,
		.from = dec[0] != NULL ? dec[0] : m->from,
		.subject = dec[1] != NULL ? dec[1] : m->subject, .preview = m->preview,
	};

	if (s->observer != NULL)
		s->observer(&r, s->observer_ud);
}

/* Whether any message of the folder has a row in the full-text index:
 * 1, 0, or -1 on error. Asked once a store_messages_put() rather than
 * once a row: a cold load's folder has none, and the per-row lookup was
 * a ninth of its cache writes (perf, 100,000 messages). */
static int
fts_folder_indexed(struct store *s, gint64 id, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_FTS_FOLDER_ANY, error);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, STORE_FTS_ROWID(id, 0));
	sqlite3_bind_int64(st, 2, STORE_FTS_ROWID(id, G_MAXUINT32));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
}

/* indexed: the folder has rows in the full-text index (fts_folder_indexed()),
 * so this message's headers may have to go in too. */
static int
put_one(struct store *s, sqlite3_stmt *st, gint64 id, guint32 uidvalidity,
	const struct imap_summary *m, char *const listed[2], bool indexed, GError **error)
{
	char *kw = store_keywords_join(m->keywords);
	char *dec[2] = { NULL, NULL };
	int rc;

	if (listed == NULL)
		store_list_texts(m, dec);
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, m->uid);
	sqlite3_bind_int64(st, 4, m->flags & ~(guint)IMAP_FLAG_RECENT);
	bind_text(st, 5, kw);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)MIN(m->modseq, (guint64)G_MAXINT64));
	sqlite3_bind_int64(st, 7, m->internaldate);
	sqlite3_bind_int(st, 8, m->internaldate_tz);
	sqlite3_bind_int64(st, 9, m->date);
	sqlite3_bind_int(st, 10, m->date_tz);
	sqlite3_bind_int64(st, 11, m->size);
	bind_text(st, 12, m->from);
	bind_text(st, 13, m->from_name);
	bind_text(st, 14, m->from_addr);
	bind_text(st, 15, m->to);
	bind_text(st, 16, m->cc);
	bind_text(st, 17, m->subject);
	bind_text(st, 18, m->message_id);
	bind_text(st, 19, m->in_reply_to);
	bind_text(st, 20, m->references);
	bind_text(st, 21, listed != NULL ? listed[0] : dec[0]);
	bind_text(st, 22, listed != NULL ? listed[1] : dec[1]);
	bind_text(st, 23, m->preview);
	rc = step_done(s, st, error);
	if (rc == 0 && listed == NULL)
		store_observe_row(s, m, kw, dec);
	g_free(kw);
	g_free(dec[0]);
	g_free(dec[1]);
	if (rc < 0)
		return -1;
	return indexed ? fts_put_headers(s, id, uidvalidity, m, error) : 0;
}

/* store_messages_put(), with the list texts of each row made already
 * (listed[i], as store_list_texts()) or made here (listed NULL). */
static int
messages_put(struct store *s, const char *folder, guint32 uidvalidity,
	     const struct imap_summary *sums, char *const (*listed)[2], guint n, GError **error)
{
	sqlite3_stmt *st;
	gint64 id;
	bool own;
	int indexed;
	int rc = 0;

	/* joins a bulk transaction (store_bulk_begin()) */
	if (refuse_read_only_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	id = need_folder(s, folder, error);
	indexed = id > 0 ? fts_folder_indexed(s, id, error) : -1;
	st = indexed >= 0 ? stmt_get(s, ST_MSG_PUT, error) : NULL;
	if (st == NULL)
		rc = -1;
	for (guint i = 0; rc == 0 && i < n; i++)
		rc = put_one(s, st, id, uidvalidity, &sums[i], listed != NULL ? listed[i] : NULL,
			     indexed == 1, error);
	return txn_end(s, own, rc, error);
}

int
store_messages_put_listed(struct store *s, const char *folder, guint32 uidvalidity,
			  const struct imap_summary *sums, char *const (*listed)[2], guint n,
			  GError **error)
{
	return messages_put(s, folder, uidvalidity, sums, listed, n, error);
}

int
store_messages_put(struct store *s, const char *folder, guint32 uidvalidity,
		   const struct imap_summary *sums, guint n, GError **error)
{
	return messages_put(s, folder, uidvalidity, sums, NULL, n, error);
}

int
store_message_set_preview(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
			  const char *preview, GError **error)
{
	sqlite3_stmt *st;
	gint64 id;

	if (refuse_read_only(s, error) < 0)
		return -1;
	id = need_folder(s, folder, error);
	st = id > 0 ? stmt_get(s, ST_MSG_PREVIEW, error) : NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	bind_text(st, 4, preview);
	return step_done(s, st, error);
}

int
store_messages_set_flags(struct store *s, const char *folder, guint32 uidvalidity,
			 const struct imap_summary *sums, guint n, GError **error)
{
	sqlite3_stmt *st;
	gint64 id;
	bool own;
	int rc = 0;

	if (refuse_read_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	id = need_folder(s, folder, error);
	st = id > 0 ? stmt_get(s, ST_MSG_FLAGS, error) : NULL;
	if (st == NULL)
		rc = -1;
	for (guint i = 0; rc == 0 && i < n; i++) {
		char *kw = store_keywords_join(sums[i].keywords);

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, uidvalidity);
		sqlite3_bind_int64(st, 3, sums[i].uid);
		sqlite3_bind_int64(st, 4, sums[i].flags & ~(guint)IMAP_FLAG_RECENT);
		bind_text(st, 5, kw);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)MIN(sums[i].modseq, (guint64)G_MAXINT64));
		rc = step_done(s, st, error);
		g_free(kw);
	}
	return txn_end(s, own, rc, error);
}

int
store_messages_remove(struct store *s, const char *folder, guint32 uidvalidity,
		      const guint32 *uids, guint n, GError **error)
{
	enum stmt which[3] = { ST_MSG_REMOVE, ST_BODY_REMOVE, ST_PART_REMOVE };
	gint64 id;
	bool own;
	int rc = 0;

	if (refuse_read_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	id = need_folder(s, folder, error);
	if (id < 0)
		rc = -1;
	for (int w = 0; rc == 0 && w < 3; w++) {
		sqlite3_stmt *st = stmt_get(s, which[w], error);

		if (st == NULL)
			rc = -1;
		for (guint i = 0; rc == 0 && i < n; i++) {
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, uidvalidity);
			sqlite3_bind_int64(st, 3, uids[i]);
			rc = step_done(s, st, error);
		}
	}
	for (guint i = 0; rc == 0 && i < n; i++)
		rc = fts_remove(s, id, uids[i], error);
	return txn_end(s, own, rc, error);
}

int
store_messages_uids(struct store *s, const char *folder, guint32 uidvalidity, GArray **uids_r,
		    GError **error)
{
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	gint64 id = folder_id(s, folder, error);
	sqlite3_stmt *st;
	int rc;

	if (id < 0) {
		g_array_unref(uids);
		return -1;
	}
	*uids_r = uids;
	if (id == 0)
		return 0;
	st = stmt_get(s, ST_MSG_UIDS, error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		guint32 uid = (guint32)sqlite3_column_int64(st, 0);

		g_array_append_val(uids, uid);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*uids_r = NULL;
		g_array_unref(uids);
		return fail(s, error, _("cannot read"));
	}
	return 0;
}

static void
row_to_summary(sqlite3_stmt *st, struct imap_summary *m)
{
	const char *kw = (const char *)sqlite3_column_text(st, 2);

	memset(m, 0, sizeof *m);
	m->uid = (guint32)sqlite3_column_int64(st, 0);
	m->flags = (guint)sqlite3_column_int64(st, 1);
	m->keywords = kw != NULL && kw[0] != '\0' ? g_strsplit(kw, " ", -1) : NULL;
	m->modseq = (guint64)sqlite3_column_int64(st, 3);
	m->internaldate = sqlite3_column_int64(st, 4);
	m->internaldate_tz = sqlite3_column_int(st, 5);
	m->date = sqlite3_column_int64(st, 6);
	m->date_tz = sqlite3_column_int(st, 7);
	m->size = (guint32)sqlite3_column_int64(st, 8);
	m->from = column_dup(st, 9);
	m->from_name = column_dup(st, 10);
	m->from_addr = column_dup(st, 11);
	m->to = column_dup(st, 12);
	m->cc = column_dup(st, 13);
	m->subject = column_dup(st, 14);
	m->message_id = column_dup(st, 15);
	m->in_reply_to = column_dup(st, 16);
	m->references = column_dup(st, 17);
	m->preview = column_dup(st, 18);
}

static void
free_summaries(GArray *sums)
{
	for (guint i = 0; i < sums->len; i++)
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	g_array_unref(sums);
}

/* Append the rows st yields. */
static int
collect_rows(struct store *s, sqlite3_stmt *st, GArray *sums, GError **error)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct imap_summary m;

		row_to_summary(st, &m);
		g_array_append_val(sums, m);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
}

int
store_messages_load(struct store *s, const char *folder, guint32 uidvalidity,
		    const GArray *uids, GArray **sums_r, GError **error)
{
	GArray *sums = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	gint64 id = folder_id(s, folder, error);
	sqlite3_stmt *st;
	int rc = 0;

	*sums_r = NULL;
	if (id < 0)
		goto fail;
	if (id == 0)
		goto out;
	st = stmt_get(s, uids == NULL ? ST_MSG_LOAD_ALL : ST_MSG_LOAD_ONE, error);
	if (st == NULL)
		goto fail;
	if (uids == NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, uidvalidity);
		rc = collect_rows(s, st, sums, error);
	}
	for (guint i = 0; uids != NULL && rc == 0 && i < uids->len; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, uidvalidity);
		sqlite3_bind_int64(st, 3, g_array_index(uids, guint32, i));
		rc = collect_rows(s, st, sums, error);
	}
	if (rc < 0)
		goto fail;
out:
	*sums_r = sums;
	return 0;
fail:
	free_summaries(sums);
	return -1;
}

/* row_to_summary() with the strings borrowed from the statement (valid
 * until its next step): the walks promise fn no more, and a folder-sized
 * walk then allocates nothing per row but the keywords. */
static void
row_to_summary_borrowed(sqlite3_stmt *st, struct imap_summary *m)
{
	const char *kw = (const char *)sqlite3_column_text(st, 2);
	char **str[] = { &m->from, &m->from_name, &m->from_addr, &m->to, &m->cc,
			 &m->subject, &m->message_id, &m->in_reply_to, &m->references,
			 &m->preview };

	memset(m, 0, sizeof *m);
	m->uid = (guint32)sqlite3_column_int64(st, 0);
	m->flags = (guint)sqlite3_column_int64(st, 1);
	m->keywords = kw != NULL && kw[0] != '\0' ? g_strsplit(kw, " ", -1) : NULL;
	m->modseq = (guint64)sqlite3_column_int64(st, 3);
	m->internaldate = sqlite3_column_int64(st, 4);
	m->internaldate_tz = sqlite3_column_int(st, 5);
	m->date = sqlite3_column_int64(st, 6);
	m->date_tz = sqlite3_column_int(st, 7);
	m->size = (guint32)sqlite3_column_int64(st, 8);
	for (size_t i = 0; i < TERN_ARRAY_LEN(str); i++)
		*str[i] = (char *)sqlite3_column_text(st, 9 + (int)i);
}

/* Hand fn the rows st yields, one at a time, until it says stop. */
static int
walk_rows(struct store *s, sqlite3_stmt *st, store_each_fn *fn, void *ud, GError **error)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct imap_summary m;
		bool go_on;

		row_to_summary_borrowed(st, &m);
		go_on = fn(&m, ud);
		g_strfreev(m.keywords);
		if (!go_on) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
}

/* The folder's statement WHICH with ?1 and ?2 bound (*st_r), or *st_r
 * NULL when the folder is not cached. Returns -1 on error. */
static int
folder_walk_stmt(struct store *s, const char *folder, guint32 uidvalidity, enum stmt which,
		 sqlite3_stmt **st_r, GError **error)
{
	gint64 id = folder_id(s, folder, error);

	*st_r = NULL;
	if (id <= 0)
		return (int)MIN(id, 0);
	*st_r = stmt_get(s, which, error);
	if (*st_r == NULL)
		return -1;
	sqlite3_bind_int64(*st_r, 1, id);
	sqlite3_bind_int64(*st_r, 2, uidvalidity);
	return 0;
}

int
store_messages_each(struct store *s, const char *folder, guint32 uidvalidity, guint32 below,
		    guint limit, store_each_fn *fn, void *ud, GError **error)
{
	sqlite3_stmt *st;
	int rc = folder_walk_stmt(s, folder, uidvalidity, ST_MSG_EACH, &st, error);

	if (rc < 0 || st == NULL)
		return rc;
	sqlite3_bind_int64(st, 3, below != 0 ? (gint64)below : (gint64)G_MAXUINT32 + 1);
	sqlite3_bind_int64(st, 4, limit != 0 ? (gint64)limit : -1);
	return walk_rows(s, st, fn, ud, error);
}

int
store_messages_by_date(struct store *s, const char *folder, guint32 uidvalidity, guint limit,
		       store_each_fn *fn, void *ud, GError **error)
{
	sqlite3_stmt *st;
	int rc = folder_walk_stmt(s, folder, uidvalidity, ST_MSG_BY_DATE, &st, error);

	if (rc < 0 || st == NULL)
		return rc;
	sqlite3_bind_int64(st, 3, limit != 0 ? (gint64)limit : -1);
	return walk_rows(s, st, fn, ud, error);
}

/* Column i as text, or else the raw column j: as it is when it is plain
 * (bind_list_text() stores none then), decoded for rows written before
 * schema 6 (then *tmp holds it; the caller frees). */
static const char *
list_text(sqlite3_stmt *st, int i, int j, char **tmp)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	const char *raw;
	size_t len;

	if (t != NULL)
		return t;
	raw = (const char *)sqlite3_column_text(st, j);
	if (raw == NULL || text_header_is_plain(raw, &len))
		return raw; /* bind_list_text() left it out */
	*tmp = text_decode_header_utf8(raw);
	return *tmp;
}

int
store_messages_list(struct store *s, const char *folder, guint32 uidvalidity,
		    store_list_fn *fn, void *ud, GError **error)
{
	return store_messages_list_range(s, folder, uidvalidity, 0, G_MAXUINT32, fn, ud, error);
}

int
store_messages_uid_bounds(struct store *s, const char *folder, guint32 uidvalidity,
			  guint32 *lo_r, guint32 *hi_r, GError **error)
{
	sqlite3_stmt *st;
	int rc = folder_walk_stmt(s, folder, uidvalidity, ST_MSG_UID_BOUNDS, &st, error);

	*lo_r = *hi_r = 0;
	if (rc < 0 || st == NULL)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*lo_r = (guint32)sqlite3_column_int64(st, 0);
		*hi_r = (guint32)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fail(s, error, _("cannot read"));
}

int
store_messages_list_range(struct store *s, const char *folder, guint32 uidvalidity, guint32 lo,
			  guint32 hi, store_list_fn *fn, void *ud, GError **error)
{
	sqlite3_stmt *st;
	int rc = folder_walk_stmt(s, folder, uidvalidity, ST_MSG_LIST, &st, error);

	if (rc < 0 || st == NULL)
		return rc;
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_list_row r;
		char *tmp[2] = { NULL, NULL };
		bool go_on;

		r.uid = (guint32)sqlite3_column_int64(st, 0);
		r.flags = (guint)sqlite3_column_int64(st, 1);
		r.keywords = (const char *)sqlite3_column_text(st, 2);
		r.date_null = sqlite3_column_type(st, 3) == SQLITE_NULL;
		r.date = sqlite3_column_int64(st, 3);
		r.date_tz = sqlite3_column_int(st, 4);
		r.size = (guint32)sqlite3_column_int64(st, 5);
		r.from = list_text(st, 6, 8, &tmp[0]);
		r.subject = list_text(st, 7, 9, &tmp[1]);
		r.preview = (const char *)sqlite3_column_text(st, 10);
		go_on = fn(&r, ud);
		g_free(tmp[0]);
		g_free(tmp[1]);
		if (!go_on) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
}

void
store_set_row_observer(struct store *s, store_list_fn *fn, void *ud)
{
	s->observer = fn;
	s->observer_ud = ud;
}

static int
count_query(struct store *s, sqlite3_stmt *st, guint64 *n_r, GError **error)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*n_r = (guint64)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fail(s, error, _("cannot read"));
}

int
store_messages_counts(struct store *s, const char *folder, guint32 uidvalidity, guint *n_r,
		      guint *unseen_r, GError **error)
{
	gint64 id = folder_id(s, folder, error);
	sqlite3_stmt *st;
	int rc;

	*n_r = 0;
	if (unseen_r != NULL)
		*unseen_r = 0;
	if (id <= 0)
		return id < 0 ? -1 : 0;
	st = stmt_get(s, ST_MSG_COUNT, error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n_r = (guint)CLAMP(sqlite3_column_int64(st, 0), 0, G_MAXUINT);
		if (unseen_r != NULL)
			*unseen_r = (guint)CLAMP(sqlite3_column_int64(st, 1), 0, G_MAXUINT);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fail(s, error, _("cannot read"));
}

int
store_messages_count(struct store *s, const char *folder, guint32 uidvalidity, guint *n_r,
		     GError **error)
{
	return store_messages_counts(s, folder, uidvalidity, n_r, NULL, error);
}

bool
store_summary_matches(const struct query *q, const struct imap_summary *s, guint flags)
{
	return store_summary_matches_text(q, s, flags, NULL);
}

/* ------------------------------------------------------------------ */
/* Bodies                                                             */
/* ------------------------------------------------------------------ */

void
store_set_body_limit(struct store *s, guint64 bytes)
{
	s->body_limit = bytes;
}

int
store_body_total(struct store *s, guint64 *bytes_r, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_BODY_TOTAL, error);

	*bytes_r = 0;
	return st == NULL ? -1 : count_query(s, st, bytes_r, error);
}

/* Evict the least recently used part older than every body, and its text
 * from the index. Returns 1 when one went, 0 when there was none, -1. */
static int
evict_oldest_part(struct store *s, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_PART_OLDEST, error);
	gint64 id = 0, uidvalidity = 0, uid = 0;
	bool text = false;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		uidvalidity = sqlite3_column_int64(st, 1);
		uid = sqlite3_column_int64(st, 2);
		text = item_is_text_part((const char *)sqlite3_column_text(st, 3));
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, error, _("cannot write"));
	if (id == 0)
		return 0;
	if (text && fts_index_parts(s, id, (guint32)uidvalidity, (guint32)uid, error) < 0)
		return -1;
	return 1;
}

/* Evict the least recently used body, and its text from the index.
 * Returns 1 when one went, 0 when there was none, -1. */
static int
evict_oldest_body(struct store *s, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_BODY_OLDEST, error);
	gint64 id = 0, uidvalidity = 0, uid = 0;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		uidvalidity = sqlite3_column_int64(st, 1);
		uid = sqlite3_column_int64(st, 2);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, error, _("cannot write"));
	if (id == 0)
		return 0;
	/* what text parts of it are cached alone stay searchable */
	return fts_index_parts(s, id, (guint32)uidvalidity, (guint32)uid, error) < 0 ? -1 : 1;
}

/* Evict least recently used bodies until the total fits the cap. */
static int
evict(struct store *s, GError **error)
{
	guint64 total = 0;

	for (;;) {
		if (store_body_total(s, &total, error) < 0)
			return -1;
		if (total <= s->body_limit)
			return 0;
		switch (evict_oldest_part(s, error)) {
		case -1: return -1;
		case 1: continue;
		}
		switch (evict_oldest_body(s, error)) {
		case -1: return -1;
		case 0: return 0;
		}
	}
}

/* A strictly increasing use stamp (microseconds; ties broken upward). */
static gint64
use_stamp(void)
{
	static gint64 last;
	gint64 now = g_get_real_time();

	if (now <= last)
		now = last + 1;
	last = now;
	return now;
}

int
store_body_put(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
	       GBytes *data, GError **error)
{
	gsize len = 0;
	const void *p = g_bytes_get_data(data, &len);
	sqlite3_stmt *st;
	char *text;
	gint64 id;
	bool own;
	int rc = 0;

	if (refuse_read_only(s, error) < 0)
		return -1;
	if (len > s->body_limit || len > (gsize)G_MAXINT)
		return 0; /* too big to keep */
	/* rendered before the write lock is taken: other processes wait less */
	text = text_extract_body(p, len, STORE_FTS_TEXT_MAX);
	if (s->in_txn) {
		own = false;
	} else if (store_begin(s, error) < 0) {
		g_free(text);
		return -1;
	} else {
		own = true;
	}
	id = need_folder(s, folder, error);
	st = id > 0 ? stmt_get(s, ST_BODY_PUT, error) : NULL;
	if (st == NULL)
		rc = -1;
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, uidvalidity);
		sqlite3_bind_int64(st, 3, uid);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
		sqlite3_bind_int64(st, 5, use_stamp());
		sqlite3_bind_blob(st, 6, p != NULL ? p : "", (int)len, SQLITE_STATIC);
		rc = step_done(s, st, error);
	}
	if (rc == 0)
		rc = fts_set(s, ST_FTS_SET_BODY, id, uidvalidity, uid, g_steal_pointer(&text), error);
	g_free(text);
	if (rc == 0)
		rc = evict(s, error);
	return txn_end(s, own, rc, error);
}

int
store_text_put(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
	       const char *text, GError **error)
{
	char *copy;
	gint64 id;
	bool own;
	int rc;

	if (refuse_read_only(s, error) < 0)
		return -1;
	/* a cut character becomes U+FFFD: the index takes valid UTF-8 */
	copy = text_make_valid(text, (gssize)strnlen(text, STORE_FTS_TEXT_MAX));
	if (s->in_txn) {
		own = false;
	} else if (store_begin(s, error) < 0) {
		g_free(copy);
		return -1;
	} else {
		own = true;
	}
	id = folder_id(s, folder, error);
	if (id <= 0) {
		g_free(copy);
		rc = id < 0 ? -1 : 0;
	} else {
		rc = fts_set(s, ST_FTS_SET_BODY, id, uidvalidity, uid, copy, error);
	}
	return txn_end(s, own, rc, error);
}

int
store_body_get(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
	       GBytes **data_r, GError **error)
{
	gint64 id = folder_id(s, folder, error);
	sqlite3_stmt *st;
	int rc;

	*data_r = NULL;
	if (id <= 0)
		return id < 0 ? -1 : 0;
	st = stmt_get(s, ST_BODY_GET, error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*data_r = g_bytes_new(sqlite3_column_blob(st, 0),
				      (gsize)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, error, _("cannot read"));
	if (rc == SQLITE_DONE)
		return 0;
	if (!s->read_only) {
		st = stmt_get(s, ST_BODY_TOUCH, NULL);
		if (st != NULL) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, uidvalidity);
			sqlite3_bind_int64(st, 3, uid);
			sqlite3_bind_int64(st, 4, use_stamp());
			step_done(s, st, NULL); /* a lost touch only ages the body */
		}
	}
	return 1;
}

int
store_part_put(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
	       const char *item, GBytes *data, GError **error)
{
	gsize len = 0;
	const void *p = g_bytes_get_data(data, &len);
	sqlite3_stmt *st;
	gint64 id;
	bool own;
	int rc = 0;

	if (refuse_read_only(s, error) < 0)
		return -1;
	if (len > s->body_limit || len > (gsize)G_MAXINT)
		return 0; /* too big to keep */
	STORE_TXN_BEGIN(s, error, own);
	id = need_folder(s, folder, error);
	st = id > 0 ? stmt_get(s, ST_PART_PUT, error) : NULL;
	if (st == NULL)
		rc = -1;
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, uidvalidity);
		sqlite3_bind_int64(st, 3, uid);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
		sqlite3_bind_text(st, 5, item, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, use_stamp());
		sqlite3_bind_blob(st, 7, p != NULL ? p : "", (int)len, SQLITE_STATIC);
		rc = step_done(s, st, error);
	}
	if (rc == 0 && item_is_text_part(item))
		rc = fts_index_parts(s, id, uidvalidity, uid, error);
	if (rc == 0)
		rc = evict(s, error);
	return txn_end(s, own, rc, error);
}

static void
part_touch(struct store *s, gint64 id, guint32 uidvalidity, guint32 uid, const char *item)
{
	sqlite3_stmt *st = s->read_only ? NULL : stmt_get(s, ST_PART_TOUCH, NULL);

	if (st == NULL)
		return;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_text(st, 4, item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, use_stamp());
	step_done(s, st, NULL); /* a lost touch only ages the part */
}

int
store_part_get(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
	       const char *item, GBytes **data_r, GError **error)
{
	gint64 id = folder_id(s, folder, error);
	sqlite3_stmt *st;
	int rc;

	*data_r = NULL;
	if (id <= 0)
		return id < 0 ? -1 : 0;
	st = stmt_get(s, ST_PART_GET, error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_text(st, 4, item, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*data_r = g_bytes_new(sqlite3_column_blob(st, 0),
				      (gsize)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, error, _("cannot read"));
	if (rc == SQLITE_DONE)
		return 0;
	part_touch(s, id, uidvalidity, uid, item);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Journal                                                            */
/* ------------------------------------------------------------------ */

void
store_action_free(struct store_action **ap)
{
	struct store_action *a = *ap;

	if (a == NULL)
		return;
	g_free(a->folder);
	g_free(a->uids);
	g_free(a->arg);
	g_free(a);
	*ap = NULL;
}

static int
journal_insert(struct store *s, enum stmt which, enum store_action_kind kind, const char *folder,
	       guint32 uidvalidity, const char *uids, const char *arg, gint64 *id_r,
	       GError **error)
{
	sqlite3_stmt *st;

	if (refuse_read_only(s, error) < 0)
		return -1;
	if (kind < STORE_ACTION_FLAGS_ADD || kind > STORE_ACTION_COPY || folder == NULL ||
	    uids == NULL) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_USAGE, "bad journal entry");
		return -1;
	}
	st = stmt_get(s, which, error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, kind);
	bind_text(st, 2, folder);
	sqlite3_bind_int64(st, 3, uidvalidity);
	bind_text(st, 4, uids);
	bind_text(st, 5, arg);
	sqlite3_bind_int64(st, 6, g_get_real_time() / G_USEC_PER_SEC);
	if (which == ST_JOURNAL_ADD_CLAIMED)
		sqlite3_bind_int64(st, 7, (gint64)getpid());
	if (step_done(s, st, error) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_journal_add(struct store *s, enum store_action_kind kind, const char *folder,
		  guint32 uidvalidity, const char *uids, const char *arg, gint64 *id_r,
		  GError **error)
{
	return journal_insert(s, ST_JOURNAL_ADD, kind, folder, uidvalidity, uids, arg, id_r,
			      error);
}

int
store_journal_add_claimed(struct store *s, enum store_action_kind kind, const char *folder,
			  guint32 uidvalidity, const char *uids, const char *arg, gint64 *id_r,
			  GError **error)
{
	return journal_insert(s, ST_JOURNAL_ADD_CLAIMED, kind, folder, uidvalidity, uids, arg,
			      id_r, error);
}

static bool
claim_is_live(gint64 pid, gint64 at)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (pid <= 0)
		return false;
	if (now - at > STORE_CLAIM_STALE_S)
		return false;
	if (pid == (gint64)getpid())
		return true;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static gpointer
row_to_action(sqlite3_stmt *st)
{
	struct store_action *a = g_new0(struct store_action, 1);

	a->id = sqlite3_column_int64(st, 0);
	a->kind = (enum store_action_kind)sqlite3_column_int(st, 1);
	a->folder = column_dup(st, 2);
	a->uidvalidity = (guint32)sqlite3_column_int64(st, 3);
	a->uids = column_dup(st, 4);
	a->arg = column_dup(st, 5);
	return a;
}

/* Inside the transaction: read the first entry and claim it. */
static int
claim_first(struct store *s, struct store_action **a_r, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_JOURNAL_FIRST, error);
	struct store_action *a;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : fail(s, error, _("cannot read"));
	}
	if (claim_is_live(sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 7))) {
		sqlite3_reset(st);
		return 0;
	}
	a = row_to_action(st);
	sqlite3_reset(st);
	st = stmt_get(s, ST_JOURNAL_CLAIM, error);
	if (st == NULL) {
		store_action_free(&a);
		return -1;
	}
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, (gint64)getpid());
	sqlite3_bind_int64(st, 3, g_get_real_time() / G_USEC_PER_SEC);
	if (step_done(s, st, error) < 0) {
		store_action_free(&a);
		return -1;
	}
	*a_r = a;
	return 1;
}

static void
action_free_one(gpointer p)
{
	struct store_action *a = p;

	store_action_free(&a);
}

int
store_journal_list(struct store *s, GPtrArray **actions_r, GError **error)
{
	return collect_ptrs(s, ST_JOURNAL_ALL, row_to_action,
			    action_free_one, actions_r, error);
}

int
store_journal_claim(struct store *s, struct store_action **a_r, GError **error)
{
	bool own;
	int rc;

	*a_r = NULL;
	if (refuse_read_only(s, error) < 0)
		return -1;
	STORE_TXN_BEGIN(s, error, own);
	rc = claim_first(s, a_r, error);
	if (txn_end(s, own, rc < 0 ? -1 : 0, error) < 0) {
		store_action_free(a_r);
		return -1;
	}
	return rc;
}

static int
journal_by_id(struct store *s, enum stmt which, gint64 id, GError **error)
{
	sqlite3_stmt *st;

	if (refuse_read_only(s, error) < 0)
		return -1;
	st = stmt_get(s, which, error);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return step_done(s, st, error);
}

int
store_journal_done(struct store *s, gint64 id, GError **error)
{
	return journal_by_id(s, ST_JOURNAL_DONE, id, error);
}

int
store_journal_release(struct store *s, gint64 id, GError **error)
{
	return journal_by_id(s, ST_JOURNAL_RELEASE, id, error);
}

int
store_journal_count(struct store *s, guint *n_r, GError **error)
{
	sqlite3_stmt *st = stmt_get(s, ST_JOURNAL_COUNT, error);
	guint64 n = 0;

	*n_r = 0;
	if (st == NULL || count_query(s, st, &n, error) < 0)
		return -1;
	*n_r = (guint)MIN(n, G_MAXUINT);
	return 0;
}

/* ---- For the other files of the module (store-private.h) ---- */

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int
store_fail(struct store *s, GError **error, const char *what)
{
	return fail(s, error, what);
}

int
store_refuse_read_only(struct store *s, GError **error)
{
	return refuse_read_only(s, error);
}

bool
store_is_read_only(struct store *s)
{
	return s->read_only;
}

bool
store_claim_is_live(gint64 pid, gint64 at)
{
	return claim_is_live(pid, at);
}

gint64
store_folder_id(struct store *s, const char *folder, GError **error)
{
	return folder_id(s, folder, error);
}

bool
store_in_txn(struct store *s)
{
	return s->in_txn;
}

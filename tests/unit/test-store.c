/* tern — tests for core/store: paths, open/migrate/rebuild, folders,
 * summaries, bodies (LRU) and the journal. */
#include "config.h"

#include "core/common.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/model/query.h"
#include "core/store/store-private.h"
#include "core/store/store.h"
#include "core/store/writer.h"
#include "core/text/text.h"

static char *tmpdir;

static char *
db_path(const char *name)
{
	return g_build_filename(tmpdir, name, NULL);
}

static struct store *
open_ok(const char *path)
{
	struct store *s = NULL;
	GError *err = NULL;
	char *warn = NULL;

	g_assert_cmpint(store_open(path, 0, &s, &warn, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_null(warn);
	return s;
}

static void
test_safe_name(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "personal", "personal" },
		{ "me@example.com", "me%40example%2Ecom" },
		{ "../../etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd" },
		{ ".hidden", "%2Ehidden" },
		{ "", "_" },
		{ "a b", "a%20b" },
		{ "Zürich", "Z%C3%BCrich" },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++) {
		char *s = store_safe_name(cases[i].in);

		g_assert_cmpstr(s, ==, cases[i].out);
		g_free(s);
	}
	{
		char *longname = g_strnfill(500, '/');
		char *s = store_safe_name(longname);
		char *other = g_strnfill(501, '/');
		char *s2 = store_safe_name(other);

		g_assert_cmpuint(strlen(s), <=, STORE_SAFE_NAME_MAX);
		g_assert_null(strchr(s, '/'));
		g_assert_cmpstr(s, !=, s2); /* the hash tells long names apart */
		g_free(s);
		g_free(s2);
		g_free(longname);
		g_free(other);
	}
	{
		char *p = store_account_path("a/../b");
		char *dir = g_build_filename(g_get_user_cache_dir(), "tern", NULL);
		char *base = g_path_get_basename(p);
		char *parent = g_path_get_dirname(p);

		g_assert_cmpstr(parent, ==, dir);
		g_assert_cmpstr(base, ==, "a%2F%2E%2E%2Fb.db");
		g_free(p);
		g_free(dir);
		g_free(base);
		g_free(parent);
	}
}

static gint64
user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	gint64 v = -1;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), ==,
			SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* One integer from SQL on the file (-1 when no row). */
static gint64
sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	gint64 v = -1;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
}

static void
test_open_migrate(void)
{
	char *path = db_path("open.db");
	struct store *s = open_ok(path);
	struct store_folder f = { 0 };
	sqlite3 *db = NULL;
	GError *err = NULL;
	char *mode = NULL;

	g_assert_cmpstr(store_path(s), ==, path);
	store_free(&s);
	g_assert_null(s);
	g_assert_cmpint(user_version(path), ==, 12);

	/* A version-1 file (no LRU index, nor what versions 3 to 10 added)
	 * is migrated on open. */
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "DROP INDEX bodies_lru; DROP TABLE folder_list;"
				     "DROP INDEX messages_date; DROP INDEX messages_unseen; DROP TABLE meta; DROP TABLE outbox; DROP TABLE parts; DROP TABLE fts; DROP TABLE summary_form;"
				     "ALTER TABLE messages DROP COLUMN list_from; ALTER TABLE messages DROP COLUMN preview;"
				     "ALTER TABLE messages DROP COLUMN list_subject; PRAGMA user_version = 1;"
				     "INSERT INTO folders (name, uidvalidity) VALUES ('X', 7);",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	s = open_ok(path);
	g_assert_cmpint(user_version(path), ==, 12);
	g_assert_cmpint(store_folder_get(s, "X", &f, &err), ==, 1);
	g_assert_cmpuint(f.uidvalidity, ==, 7);
	store_free(&s);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE "
				"name = 'messages_date' AND type = 'index'"), ==, 1);

	/* A version-2 file (no folder list, date index or meta table) with
	 * summaries in it migrates on open; they stay, and the date walk reads
	 * them. */
	sql_exec(path, "DROP TABLE folder_list; DROP INDEX messages_date; DROP INDEX messages_unseen; DROP TABLE meta; DROP TABLE outbox; DROP TABLE parts; DROP TABLE fts; DROP TABLE summary_form;"
		       "ALTER TABLE messages DROP COLUMN list_from; ALTER TABLE messages DROP COLUMN preview;"
		       "ALTER TABLE messages DROP COLUMN list_subject; PRAGMA user_version = 2;"
		       "INSERT INTO messages (folder, uidvalidity, uid, date) "
		       "SELECT id, 7, 5, 100 FROM folders WHERE name = 'X';"
		       "INSERT INTO messages (folder, uidvalidity, uid, date) "
		       "SELECT id, 7, 6, 50 FROM folders WHERE name = 'X';");
	s = open_ok(path);
	g_assert_cmpint(user_version(path), ==, 12);
	{
		guint n = 0;

		g_assert_cmpint(store_messages_count(s, "X", 7, &n, &err), ==, 0);
		g_assert_cmpuint(n, ==, 2);
	}
	store_free(&s);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE "
				"name = 'messages_date' AND type = 'index'"), ==, 1);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE "
				"name = 'meta' AND type = 'table'"), ==, 1);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE "
				"name = 'messages_unseen' AND type = 'index'"), ==, 1);
	/* the newest-by-date walk reads the index, it does not sort */
	{
		sqlite3 *plan_db = NULL;
		sqlite3_stmt *st = NULL;
		bool uses_index = false, sorts = false;

		g_assert_cmpint(sqlite3_open(path, &plan_db), ==, SQLITE_OK);
		g_assert_cmpint(sqlite3_prepare_v2(plan_db, "EXPLAIN QUERY PLAN SELECT uid, subject FROM "
						   "messages WHERE folder = ?1 AND uidvalidity = ?2 "
						   "ORDER BY date DESC, uid DESC LIMIT ?3", -1, &st,
						   NULL), ==, SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(st, 3);

			uses_index |= strstr(detail, "messages_date") != NULL;
			sorts |= strstr(detail, "TEMP B-TREE") != NULL;
		}
		sqlite3_finalize(st);
		sqlite3_close(plan_db);
		g_assert_true(uses_index);
		g_assert_false(sorts);
	}

	/* WAL mode is set. */
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;

		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			mode = g_strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	g_assert_cmpstr(mode, ==, "wal");
	g_free(mode);

	/* Read-only open of a missing cache. */
	{
		char *missing = db_path("missing.db");

		g_assert_cmpint(store_open(missing, STORE_OPEN_READ_ONLY, &s, NULL, &err), ==, -1);
		g_assert_error(err, STORE_ERROR, STORE_ERROR_MISSING);
		g_clear_error(&err);
		g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
		g_free(missing);
	}
	g_free(path);
}

static void
test_corrupt(void)
{
	static const char *const garbage[] = {
		"this is not a database at all, just some text\n",
		"SQLite format 3", /* a real header, then garbage */
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(garbage); i++) {
		char *path = db_path("corrupt.db");
		char *aside = g_strconcat(path, ".corrupt", NULL);
		struct store *s = NULL;
		struct store_folder f = { .uidvalidity = 3, .uidnext = 10 };
		GError *err = NULL;
		char *warn = NULL;
		char *page = g_malloc0(8192);

		if (i == 1)
			memset(page + 16, 0xab, 8192 - 16);
		memcpy(page, garbage[i], strlen(garbage[i]));
		g_assert_true(g_file_set_contents(path, page, 8192, NULL));
		g_free(page);
		/* read-only refuses, and moves nothing */
		g_assert_cmpint(store_open(path, STORE_OPEN_READ_ONLY, &s, &warn, &err), ==, -1);
		g_assert_error(err, STORE_ERROR, STORE_ERROR_CORRUPT);
		g_clear_error(&err);
		g_assert_null(warn);
		/* read-write rebuilds with a warning */
		g_assert_cmpint(store_open(path, 0, &s, &warn, &err), ==, 0);
		g_assert_no_error(err);
		g_assert_nonnull(warn);
		g_assert_nonnull(strstr(warn, "damaged"));
		g_assert_true(g_file_test(aside, G_FILE_TEST_EXISTS));
		g_assert_cmpint(store_folder_set(s, "INBOX", &f, &err), ==, 0);
		store_free(&s);
		g_free(warn);
		warn = NULL;
		s = open_ok(path);
		g_assert_cmpint(store_folder_get(s, "INBOX", &f, &err), ==, 1);
		g_assert_cmpuint(f.uidnext, ==, 10);
		store_free(&s);
		unlink(path);
		unlink(aside);
		g_free(aside);
		g_free(path);
	}
}

static void
fill_summary(struct imap_summary *m, guint32 uid)
{
	memset(m, 0, sizeof *m);
	m->uid = uid;
	m->flags = (uid % 3 == 0 ? IMAP_FLAG_SEEN : 0) | IMAP_FLAG_RECENT;
	if (uid % 5 == 0)
		m->keywords = g_strsplit("$Label1 work", " ", -1);
	m->internaldate = 1700000000 + uid;
	m->internaldate_tz = 60;
	m->date = 1700000000 - uid;
	m->date_tz = -300;
	m->size = 1000 + uid;
	m->modseq = 100 + uid;
	m->from = g_strdup_printf("=?UTF-8?Q?J=C3=B6rg?= <u%u@example.com>", uid);
	m->from_name = g_strdup("=?UTF-8?Q?J=C3=B6rg?=");
	m->from_addr = g_strdup_printf("u%u@example.com", uid);
	m->to = g_strdup("a@b, c@d");
	m->subject = uid % 7 == 0 ? NULL : g_strdup_printf("subject \xff %u", uid);
	m->message_id = g_strdup_printf("<%u@x>", uid);
	m->references = uid > 1 ? g_strdup_printf("<%u@x>", uid - 1) : NULL;
}

/* PREVIEW: kept with the summary, left alone by a summary that came
 * without one (LAZY's NIL), set later by store_message_set_preview(). */
static void
test_preview(void)
{
	char *path = db_path("preview.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 5, .uidnext = 10 };
	struct imap_summary m[2];
	GArray *sums = NULL;
	GError *err = NULL;

	g_assert_cmpint(store_folder_set(s, "P", &f, &err), ==, 0);
	fill_summary(&m[0], 1);
	fill_summary(&m[1], 2);
	m[0].preview = g_strdup("first words");
	g_assert_cmpint(store_messages_put(s, "P", 5, m, 2, &err), ==, 0);
	g_free(m[0].preview);
	m[0].preview = NULL; /* again, as LAZY gives it: NIL */
	g_assert_cmpint(store_messages_put(s, "P", 5, m, 1, &err), ==, 0);
	g_assert_cmpint(store_message_set_preview(s, "P", 5, 2, "", &err), ==, 0);
	g_assert_cmpint(store_messages_load(s, "P", 5, NULL, &sums, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(sums->len, ==, 2);
	g_assert_cmpstr(g_array_index(sums, struct imap_summary, 0).preview, ==, "first words");
	g_assert_cmpstr(g_array_index(sums, struct imap_summary, 1).preview, ==, "");
	for (guint i = 0; i < sums->len; i++)
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	g_array_unref(sums);
	imap_summary_clear(&m[0]);
	imap_summary_clear(&m[1]);
	store_free(&s);
	unlink(path);
	g_free(path);
}

static void
check_summary(const struct imap_summary *got, guint32 uid)
{
	struct imap_summary want;

	fill_summary(&want, uid);
	g_assert_cmpuint(got->uid, ==, uid);
	g_assert_cmpuint(got->flags, ==, want.flags & ~(guint)IMAP_FLAG_RECENT);
	if (want.keywords == NULL)
		g_assert_null(got->keywords);
	else
		g_assert_true(g_strv_equal((const char *const *)got->keywords,
					   (const char *const *)want.keywords));
	g_assert_cmpint(got->internaldate, ==, want.internaldate);
	g_assert_cmpint(got->internaldate_tz, ==, want.internaldate_tz);
	g_assert_cmpint(got->date, ==, want.date);
	g_assert_cmpint(got->date_tz, ==, want.date_tz);
	g_assert_cmpuint(got->size, ==, want.size);
	g_assert_cmpuint(got->modseq, ==, want.modseq);
	g_assert_cmpstr(got->from, ==, want.from);
	g_assert_cmpstr(got->from_name, ==, want.from_name);
	g_assert_cmpstr(got->from_addr, ==, want.from_addr);
	g_assert_cmpstr(got->to, ==, want.to);
	g_assert_cmpstr(got->cc, ==, want.cc);
	g_assert_cmpstr(got->subject, ==, want.subject);
	g_assert_cmpstr(got->message_id, ==, want.message_id);
	g_assert_cmpstr(got->in_reply_to, ==, want.in_reply_to);
	g_assert_cmpstr(got->references, ==, want.references);
	imap_summary_clear(&want);
}

static void
free_sums(GArray *sums)
{
	for (guint i = 0; i < sums->len; i++)
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	g_array_unref(sums);
}

static void
put_range(struct store *s, const char *folder, guint32 uidvalidity, guint32 from, guint32 to)
{
	GArray *batch = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	GError *err = NULL;

	for (guint32 uid = from; uid <= to; uid++) {
		struct imap_summary m;

		fill_summary(&m, uid);
		g_array_append_val(batch, m);
	}
	g_assert_cmpint(store_messages_put(s, folder, uidvalidity,
					   (struct imap_summary *)(void *)batch->data, batch->len,
					   &err), ==, 0);
	g_assert_no_error(err);
	free_sums(batch);
}

struct each_seen {
	GArray *uids;
	guint stop_after; /* 0: never stop */
};

static bool
each_cb(const struct imap_summary *sum, void *ud)
{
	struct each_seen *e = ud;

	check_summary(sum, sum->uid);
	g_array_append_val(e->uids, sum->uid);
	return e->stop_after == 0 || e->uids->len < e->stop_after;
}

/* store_messages_each: newest first, bounded by UID and count, stoppable. */
static void
check_each(struct store *s)
{
	struct each_seen e = { .uids = g_array_new(FALSE, FALSE, sizeof(guint32)) };
	GError *err = NULL;

	g_assert_cmpint(store_messages_each(s, "INBOX", 42, 0, 0, each_cb, &e, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(e.uids->len, ==, 100);
	for (guint i = 0; i < e.uids->len; i++)
		g_assert_cmpuint(g_array_index(e.uids, guint32, i), ==, 100 - i);
	g_array_set_size(e.uids, 0);
	g_assert_cmpint(store_messages_each(s, "INBOX", 42, 51, 10, each_cb, &e, &err), ==, 0);
	g_assert_cmpuint(e.uids->len, ==, 10);
	g_assert_cmpuint(g_array_index(e.uids, guint32, 0), ==, 50);
	g_assert_cmpuint(g_array_index(e.uids, guint32, 9), ==, 41);
	g_array_set_size(e.uids, 0);
	e.stop_after = 3;
	g_assert_cmpint(store_messages_each(s, "INBOX", 42, 0, 0, each_cb, &e, &err), ==, 0);
	g_assert_cmpuint(e.uids->len, ==, 3);
	/* another UIDVALIDITY, an unknown folder: nothing */
	g_array_set_size(e.uids, 0);
	g_assert_cmpint(store_messages_each(s, "INBOX", 43, 0, 0, each_cb, &e, &err), ==, 0);
	g_assert_cmpint(store_messages_each(s, "Nowhere", 42, 0, 0, each_cb, &e, &err), ==, 0);
	g_assert_cmpuint(e.uids->len, ==, 0);
	g_assert_no_error(err);
	g_array_unref(e.uids);
}

struct date_seen {
	GArray *uids;
	guint stop_after; /* 0: never stop */
};

static bool
by_date_cb(const struct imap_summary *sum, void *ud)
{
	struct date_seen *e = ud;

	g_array_append_val(e->uids, sum->uid);
	return e->stop_after == 0 || e->uids->len < e->stop_after;
}

static void
assert_uids(GArray *got, const guint32 *want, guint n)
{
	g_assert_cmpuint(got->len, ==, n);
	for (guint i = 0; i < n; i++)
		g_assert_cmpuint(g_array_index(got, guint32, i), ==, want[i]);
	g_array_set_size(got, 0);
}

/* store_messages_by_date: newest date first, equal dates highest UID
 * first, bounded by a count, stoppable, per folder and UIDVALIDITY. */
static void
test_by_date(void)
{
	static const gint64 dates[] = { 300, 100, 300, 200, 100, 400 }; /* UIDs 1..6 */
	static const guint32 all[] = { 6, 3, 1, 4, 5, 2 };
	char *path = db_path("by-date.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 5, .uidnext = 7 };
	struct date_seen e = { .uids = g_array_new(FALSE, FALSE, sizeof(guint32)) };
	GArray *batch = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	GError *err = NULL;

	g_assert_cmpint(store_folder_set(s, "D", &f, &err), ==, 0);
	g_assert_cmpint(store_folder_set(s, "E", &f, &err), ==, 0);
	for (guint32 uid = 1; uid <= 6; uid++) {
		struct imap_summary m;

		fill_summary(&m, uid);
		m.date = dates[uid - 1];
		g_array_append_val(batch, m);
	}
	g_assert_cmpint(store_messages_put(s, "D", 5, (struct imap_summary *)(void *)batch->data,
					   batch->len, &err), ==, 0);
	free_sums(batch);
	put_range(s, "E", 5, 1, 3);

	g_assert_cmpint(store_messages_by_date(s, "D", 5, 0, by_date_cb, &e, &err), ==, 0);
	assert_uids(e.uids, all, 6);
	g_assert_cmpint(store_messages_by_date(s, "D", 5, 3, by_date_cb, &e, &err), ==, 0);
	assert_uids(e.uids, all, 3);
	e.stop_after = 2;
	g_assert_cmpint(store_messages_by_date(s, "D", 5, 0, by_date_cb, &e, &err), ==, 0);
	assert_uids(e.uids, all, 2);
	e.stop_after = 0;
	/* the rows are whole (fill_summary's date in E: UID 1 is the newest) */
	{
		static const guint32 e_order[] = { 1, 2, 3 };
		struct each_seen whole = { .uids = g_array_new(FALSE, FALSE, sizeof(guint32)) };

		g_assert_cmpint(store_messages_by_date(s, "E", 5, 0, each_cb, &whole, &err), ==, 0);
		assert_uids(whole.uids, e_order, 3);
		g_array_unref(whole.uids);
	}
	/* another UIDVALIDITY, an unknown folder: nothing */
	g_assert_cmpint(store_messages_by_date(s, "D", 6, 0, by_date_cb, &e, &err), ==, 0);
	g_assert_cmpint(store_messages_by_date(s, "Nowhere", 5, 0, by_date_cb, &e, &err), ==, 0);
	g_assert_cmpuint(e.uids->len, ==, 0);
	/* a flag change keeps the order; a removed message leaves it */
	{
		struct imap_summary m = { .uid = 3, .flags = IMAP_FLAG_FLAGGED };
		guint32 gone = 6;
		static const guint32 after[] = { 3, 1, 4, 5, 2 };

		g_assert_cmpint(store_messages_set_flags(s, "D", 5, &m, 1, &err), ==, 0);
		g_assert_cmpint(store_messages_remove(s, "D", 5, &gone, 1, &err), ==, 0);
		g_assert_cmpint(store_messages_by_date(s, "D", 5, 0, by_date_cb, &e, &err), ==, 0);
		assert_uids(e.uids, after, 5);
	}
	g_assert_no_error(err);
	g_array_unref(e.uids);
	store_free(&s);
	g_free(path);
}

/* A header decoder that shows it ran. */
static char *
mark_decoder(const char *raw)
{
	return g_strdup_printf("dec(%s)", raw);
}

struct list_seen {
	GHashTable *rows; /* uid -> "flags|keywords|date|tz|size|from|subject" */
	guint stop_after; /* 0: never stop */
};

static bool
list_cb(const struct store_list_row *r, void *ud)
{
	struct list_seen *e = ud;

	g_hash_table_insert(e->rows, GUINT_TO_POINTER(r->uid),
			    g_strdup_printf("%u|%s|%" G_GINT64_FORMAT "|%d|%u|%s|%s", r->flags,
					    r->keywords ? r->keywords : "-", r->date, r->date_tz,
					    r->size, r->from ? r->from : "-",
					    r->subject ? r->subject : "-"));
	return e->stop_after == 0 || g_hash_table_size(e->rows) < e->stop_after;
}

static const char *
list_row(struct list_seen *e, guint32 uid)
{
	return g_hash_table_lookup(e->rows, GUINT_TO_POINTER(uid));
}

/* store_messages_list: every row of the folder and UIDVALIDITY, From and
 * Subject decoded when written (and when read, for rows an older tern
 * wrote), flags as they are now, removed rows gone, stoppable. */
static void
test_list(void)
{
	char *path = db_path("list.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 5, .uidnext = 11 };
	struct list_seen e = { .rows = g_hash_table_new_full(NULL, NULL, NULL, g_free) };
	GError *err = NULL;

	text_set_header_decoder(mark_decoder);
	g_assert_cmpint(store_folder_set(s, "L", &f, &err), ==, 0);
	put_range(s, "L", 5, 1, 10);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM messages WHERE list_from LIKE "
				"'dec(%'"), ==, 10);
	g_assert_cmpint(store_messages_list(s, "L", 5, list_cb, &e, &err), ==, 0);
	g_assert_cmpuint(g_hash_table_size(e.rows), ==, 10);
	g_assert_cmpstr(list_row(&e, 1), ==, "0|-|1699999999|-300|1001|"
			"dec(=?UTF-8?Q?J=C3=B6rg?= <u1@example.com>)|dec(subject \xef\xbf\xbd 1)");
	g_assert_cmpstr(list_row(&e, 5), ==, "0|$Label1 work|1699999995|-300|1005|"
			"dec(=?UTF-8?Q?J=C3=B6rg?= <u5@example.com>)|dec(subject \xef\xbf\xbd 5)");
	g_assert_cmpstr(list_row(&e, 7), ==, "0|-|1699999993|-300|1007|"
			"dec(=?UTF-8?Q?J=C3=B6rg?= <u7@example.com>)|-");
	/* a plain From and Subject are not stored twice, and list as they are */
	{
		struct imap_summary m = { .uid = 1, .from = "a@b.example", .subject = "Plain",
					  .date = 1, .size = 1 };
		struct list_seen p = { .rows = g_hash_table_new_full(NULL, NULL, NULL, g_free) };

		g_assert_cmpint(store_folder_set(s, "P", &f, &err), ==, 0);
		g_assert_cmpint(store_messages_put(s, "P", 5, &m, 1, &err), ==, 0);
		g_assert_cmpint(sql_int(path, "SELECT count(*) FROM messages WHERE subject = 'Plain' "
					"AND list_from IS NULL AND list_subject IS NULL"), ==, 1);
		g_assert_cmpint(store_messages_list(s, "P", 5, list_cb, &p, &err), ==, 0);
		g_assert_cmpstr(list_row(&p, 1), ==, "0|-|1|0|1|a@b.example|Plain");
		g_hash_table_unref(p.rows);
	}
	/* a row written before the decoded columns existed */
	sql_exec(path, "UPDATE messages SET list_from = NULL, list_subject = NULL WHERE uid = 2");
	/* a flag change, a removal */
	{
		struct imap_summary m = { .uid = 3, .flags = IMAP_FLAG_FLAGGED };
		guint32 gone = 4;

		g_assert_cmpint(store_messages_set_flags(s, "L", 5, &m, 1, &err), ==, 0);
		g_assert_cmpint(store_messages_remove(s, "L", 5, &gone, 1, &err), ==, 0);
	}
	g_hash_table_remove_all(e.rows);
	g_assert_cmpint(store_messages_list(s, "L", 5, list_cb, &e, &err), ==, 0);
	g_assert_cmpuint(g_hash_table_size(e.rows), ==, 9);
	g_assert_null(list_row(&e, 4));
	g_assert_cmpstr(list_row(&e, 2), ==, "0|-|1699999998|-300|1002|"
			"dec(=?UTF-8?Q?J=C3=B6rg?= <u2@example.com>)|dec(subject \xef\xbf\xbd 2)");
	{
		char *flagged = g_strdup_printf("%u|-|", (guint)IMAP_FLAG_FLAGGED);

		g_assert_true(g_str_has_prefix(list_row(&e, 3), flagged));
		g_free(flagged);
	}
	/* stoppable; another UIDVALIDITY or folder: nothing */
	g_hash_table_remove_all(e.rows);
	e.stop_after = 2;
	g_assert_cmpint(store_messages_list(s, "L", 5, list_cb, &e, &err), ==, 0);
	g_assert_cmpuint(g_hash_table_size(e.rows), ==, 2);
	g_hash_table_remove_all(e.rows);
	g_assert_cmpint(store_messages_list(s, "L", 6, list_cb, &e, &err), ==, 0);
	g_assert_cmpint(store_messages_list(s, "Nowhere", 5, list_cb, &e, &err), ==, 0);
	g_assert_cmpuint(g_hash_table_size(e.rows), ==, 0);
	g_assert_no_error(err);
	text_set_header_decoder(NULL);
	g_hash_table_unref(e.rows);
	store_free(&s);
	g_free(path);
}

/* The whole file is checked when the last full check is older than a day
 * (and the time is recorded); the header and schema on every open. */
static void
test_health_check(void)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC; /* before the open stamps it */
	char *path = db_path("health.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 1, .uidnext = 2 };
	GError *err = NULL;
	char *warn = NULL;

	g_assert_cmpint(store_folder_set(s, "INBOX", &f, &err), ==, 0);
	store_free(&s);
	g_assert_cmpint(sql_int(path, "SELECT value FROM meta WHERE key = 'checked'"), >=, now);
	/* a stale stamp: checked again, and the stamp moves */
	sql_exec(path, "UPDATE meta SET value = 1000 WHERE key = 'checked'");
	s = open_ok(path);
	store_free(&s);
	g_assert_cmpint(sql_int(path, "SELECT value FROM meta WHERE key = 'checked'"), >=, now);
	/* a stamp from the future (a clock set back) does not hold either */
	sql_exec(path, "UPDATE meta SET value = 99999999999 WHERE key = 'checked'");
	s = open_ok(path);
	store_free(&s);
	g_assert_cmpint(sql_int(path, "SELECT value FROM meta WHERE key = 'checked'"), <=,
			g_get_real_time() / G_USEC_PER_SEC);
	/* with a fresh stamp, a damaged schema page is still found */
	{
		char *data = NULL;
		gsize len = 0;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		g_assert_cmpuint(len, >=, 4096);
		memset(data + 100, 0xab, 4096 - 100);
		g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
		g_free(data);
	}
	g_assert_cmpint(store_open(path, 0, &s, &warn, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_nonnull(warn);
	g_assert_nonnull(strstr(warn, "damaged"));
	store_free(&s);
	g_free(warn);
	{
		char *aside = g_strconcat(path, ".corrupt", NULL);

		unlink(aside);
		g_free(aside);
	}
	unlink(path);
	g_free(path);
}

static void
test_messages(void)
{
	char *path = db_path("messages.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 42, .uidnext = 101, .highestmodseq = 900 };
	GError *err = NULL;
	GArray *sums = NULL, *uids = NULL;
	guint n = 0;

	/* summaries need the folder first */
	g_assert_cmpint(store_messages_put(s, "INBOX", 42, NULL, 0, &err), ==, -1);
	g_assert_error(err, STORE_ERROR, STORE_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_cmpint(store_folder_get(s, "INBOX", &f, &err), ==, 0);
	f = (struct store_folder){ .uidvalidity = 42, .uidnext = 101, .highestmodseq = 900 };
	g_assert_cmpint(store_folder_set(s, "INBOX", &f, &err), ==, 0);
	g_assert_cmpint(store_folder_set(s, "Other", &f, &err), ==, 0);
	put_range(s, "INBOX", 42, 1, 100);
	put_range(s, "Other", 42, 1, 10);
	g_assert_cmpint(store_messages_load(s, "INBOX", 42, NULL, &sums, &err), ==, 0);
	g_assert_cmpuint(sums->len, ==, 100);
	for (guint i = 0; i < sums->len; i++)
		check_summary(&g_array_index(sums, struct imap_summary, i), i + 1);
	free_sums(sums);
	check_each(s);
	{
		guint total = 0, unseen = 0;

		/* every third is \Seen: 33 of 100 */
		g_assert_cmpint(store_messages_counts(s, "INBOX", 42, &total, &unseen, &err), ==, 0);
		g_assert_cmpuint(total, ==, 100);
		g_assert_cmpuint(unseen, ==, 67);
		g_assert_cmpint(store_messages_counts(s, "Nowhere", 42, &total, &unseen, &err), ==,
				0);
		g_assert_cmpuint(total, ==, 0);
		g_assert_cmpuint(unseen, ==, 0);
	}

	/* flags of cached messages only */
	{
		struct imap_summary upd[2] = { { .uid = 5, .flags = IMAP_FLAG_FLAGGED, .modseq = 5000 },
					       { .uid = 500, .flags = IMAP_FLAG_SEEN } };
		GArray *one = g_array_new(FALSE, FALSE, sizeof(guint32));
		guint32 u = 5;

		g_array_append_val(one, u);
		u = 777; /* not cached: left out */
		g_array_append_val(one, u);
		g_assert_cmpint(store_messages_set_flags(s, "INBOX", 42, upd, 2, &err), ==, 0);
		g_assert_cmpint(store_messages_load(s, "INBOX", 42, one, &sums, &err), ==, 0);
		g_assert_cmpuint(sums->len, ==, 1);
		g_assert_cmpuint(g_array_index(sums, struct imap_summary, 0).flags, ==,
				 IMAP_FLAG_FLAGGED);
		g_assert_null(g_array_index(sums, struct imap_summary, 0).keywords);
		g_assert_cmpuint(g_array_index(sums, struct imap_summary, 0).modseq, ==, 5000);
		free_sums(sums);
		g_array_unref(one);
		/* the unseen count (read from its own index) follows a flag change */
		{
			guint total = 0, unseen = 0;
			struct imap_summary seen[2] = { { .uid = 5, .flags = IMAP_FLAG_SEEN },
							{ .uid = 7, .flags = IMAP_FLAG_SEEN } };

			g_assert_cmpint(store_messages_counts(s, "INBOX", 42, &total, &unseen, &err),
					==, 0);
			g_assert_cmpuint(unseen, ==, 67);
			g_assert_cmpint(store_messages_set_flags(s, "INBOX", 42, seen, 2, &err), ==, 0);
			g_assert_cmpint(store_messages_counts(s, "INBOX", 42, &total, &unseen, &err),
					==, 0);
			g_assert_cmpuint(total, ==, 100);
			g_assert_cmpuint(unseen, ==, 65);
			seen[0].flags = IMAP_FLAG_FLAGGED;
			g_assert_cmpint(store_messages_set_flags(s, "INBOX", 42, seen, 1, &err), ==, 0);
			g_assert_cmpint(store_messages_counts(s, "INBOX", 42, &total, &unseen, &err),
					==, 0);
			g_assert_cmpuint(unseen, ==, 66);
		}
	}

	/* remove */
	{
		guint32 gone[] = { 1, 2, 3, 99999 };

		g_assert_cmpint(store_messages_remove(s, "INBOX", 42, gone, 4, &err), ==, 0);
		g_assert_cmpint(store_messages_uids(s, "INBOX", 42, &uids, &err), ==, 0);
		g_assert_cmpuint(uids->len, ==, 97);
		g_assert_cmpuint(g_array_index(uids, guint32, 0), ==, 4);
		g_array_unref(uids);
	}

	/* a new UIDVALIDITY drops the folder's rows, not the other folder's */
	f.uidvalidity = 43;
	g_assert_cmpint(store_folder_set(s, "INBOX", &f, &err), ==, 0);
	g_assert_cmpint(store_messages_count(s, "INBOX", 42, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(store_messages_count(s, "INBOX", 43, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(store_messages_count(s, "Other", 42, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 10);

	/* drop */
	g_assert_cmpint(store_folder_drop(s, "Other", &err), ==, 0);
	g_assert_cmpint(store_folder_get(s, "Other", &f, &err), ==, 0);
	g_assert_cmpint(store_messages_count(s, "Other", 42, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	{
		GPtrArray *names = NULL;

		g_assert_cmpint(store_folder_names(s, &names, &err), ==, 0);
		g_assert_cmpuint(names->len, ==, 1);
		g_assert_cmpstr(names->pdata[0], ==, "INBOX");
		g_ptr_array_unref(names);
	}
	g_assert_no_error(err);
	store_free(&s);
	g_free(path);
}

static void
test_many(void)
{
	char *path = db_path("many.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 1, .uidnext = 100001 };
	GError *err = NULL;
	GArray *sums = NULL;
	gint64 t0, t1, t2;

	g_assert_cmpint(store_folder_set(s, "Big", &f, &err), ==, 0);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(store_begin(s, &err), ==, 0);
	for (guint32 base = 1; base <= 100000; base += 500)
		put_range(s, "Big", 1, base, base + 499);
	g_assert_cmpint(store_commit(s, &err), ==, 0);
	t1 = g_get_monotonic_time();
	g_assert_cmpint(store_messages_load(s, "Big", 1, NULL, &sums, &err), ==, 0);
	t2 = g_get_monotonic_time();
	g_assert_cmpuint(sums->len, ==, 100000);
	check_summary(&g_array_index(sums, struct imap_summary, 99999), 100000);
	free_sums(sums);
	g_test_message("100,000 summaries: insert %.3f s, load %.3f s", (t1 - t0) / 1e6,
		       (t2 - t1) / 1e6);
	/* rollback leaves nothing */
	g_assert_cmpint(store_begin(s, &err), ==, 0);
	g_assert_cmpint(store_folder_drop(s, "Big", &err), ==, 0);
	store_rollback(s);
	g_assert_cmpint(store_folder_get(s, "Big", &f, &err), ==, 1);
	g_assert_no_error(err);
	store_free(&s);
	g_free(path);
}

static void
test_bodies(void)
{
	char *path = db_path("bodies.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 9, .uidnext = 100 };
	GError *err = NULL;
	GBytes *got = NULL;
	guint64 total = 0;
	char block[1000];

	memset(block, 'x', sizeof block);
	g_assert_cmpint(store_folder_set(s, "INBOX", &f, &err), ==, 0);
	store_set_body_limit(s, 3500);
	for (guint32 uid = 1; uid <= 3; uid++) {
		GBytes *b = g_bytes_new(block, sizeof block);

		g_assert_cmpint(store_body_put(s, "INBOX", 9, uid, b, &err), ==, 0);
		g_bytes_unref(b);
	}
	/* use 1, so 2 is the least recently used */
	g_assert_cmpint(store_body_get(s, "INBOX", 9, 1, &got, &err), ==, 1);
	g_assert_cmpuint(g_bytes_get_size(got), ==, sizeof block);
	g_bytes_unref(got);
	{
		GBytes *b = g_bytes_new(block, sizeof block);

		g_assert_cmpint(store_body_put(s, "INBOX", 9, 4, b, &err), ==, 0);
		g_bytes_unref(b);
	}
	g_assert_cmpint(store_body_get(s, "INBOX", 9, 2, &got, &err), ==, 0);
	g_assert_null(got);
	for (guint32 uid = 1; uid <= 4; uid += (uid == 1 ? 2 : 1)) {
		g_assert_cmpint(store_body_get(s, "INBOX", 9, uid, &got, &err), ==, 1);
		g_bytes_unref(got);
	}
	g_assert_cmpint(store_body_total(s, &total, &err), ==, 0);
	g_assert_cmpuint(total, ==, 3000);
	/* bigger than the cap: not kept */
	{
		char *big = g_malloc0(5000);
		GBytes *b = g_bytes_new_take(big, 5000);

		g_assert_cmpint(store_body_put(s, "INBOX", 9, 5, b, &err), ==, 0);
		g_bytes_unref(b);
		g_assert_cmpint(store_body_get(s, "INBOX", 9, 5, &got, &err), ==, 0);
	}
	/* an unknown folder has no bodies; a wrong UIDVALIDITY neither */
	g_assert_cmpint(store_body_get(s, "Nope", 9, 1, &got, &err), ==, 0);
	g_assert_cmpint(store_body_get(s, "INBOX", 8, 1, &got, &err), ==, 0);
	/* an expunged message's body goes with it */
	{
		guint32 gone = 1;

		g_assert_cmpint(store_messages_remove(s, "INBOX", 9, &gone, 1, &err), ==, 0);
		g_assert_cmpint(store_body_get(s, "INBOX", 9, 1, &got, &err), ==, 0);
	}
	g_assert_no_error(err);
	store_free(&s);
	g_free(path);
}

static void
set_claim(const char *path, gint64 id, gint64 pid, gint64 at)
{
	sqlite3 *db = NULL;
	char *sql = g_strdup_printf("UPDATE journal SET claimed_pid = %" G_GINT64_FORMAT
				    ", claimed_at = %" G_GINT64_FORMAT " WHERE id = %" G_GINT64_FORMAT,
				    pid, at, id);

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	g_free(sql);
}

/* A bulk transaction: its rows are invisible to another process until it is
 * committed, and any other write commits it first, so that write (and the
 * rows before it) are on disk when its call returns. */
static void
test_bulk(void)
{
	char *path = db_path("bulk.db");
	struct store *s = open_ok(path), *other = open_ok(path);
	struct store_folder f = { .uidvalidity = 1 };
	GError *err = NULL;
	GArray *uids = NULL;
	guint n = 0;

	g_assert_cmpint(store_folder_set(s, "Load", &f, &err), ==, 0);
	g_assert_cmpint(store_bulk_begin(s, &err), ==, 0);
	g_assert_true(store_bulk_open(s));
	put_range(s, "Load", 1, 1, 500);
	put_range(s, "Load", 1, 501, 1000);
	g_assert_true(store_bulk_open(s));
	g_assert_cmpint(store_messages_uids(other, "Load", 1, &uids, &err), ==, 0);
	g_assert_cmpuint(uids->len, ==, 0);
	g_clear_pointer(&uids, g_array_unref);
	/* the user's change: committed with the rows before it, at once */
	g_assert_cmpint(store_journal_add(s, STORE_ACTION_FLAGS_ADD, "Load", 1, "1", "\\Seen",
					  NULL, &err), ==, 0);
	g_assert_false(store_bulk_open(s));
	g_assert_false(store_in_txn(s));
	g_assert_cmpint(store_journal_count(other, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(store_messages_uids(other, "Load", 1, &uids, &err), ==, 0);
	g_assert_cmpuint(uids->len, ==, 1000);
	g_clear_pointer(&uids, g_array_unref);
	/* a bulk transaction begun again, committed by the caller */
	g_assert_cmpint(store_bulk_begin(s, &err), ==, 0);
	put_range(s, "Load", 1, 1001, 1500);
	g_assert_cmpint(store_bulk_commit(s, &err), ==, 0);
	g_assert_false(store_in_txn(s));
	/* not begun inside another transaction: its writes are that one's */
	g_assert_cmpint(store_begin(s, &err), ==, 0);
	g_assert_cmpint(store_bulk_begin(s, &err), ==, 0);
	g_assert_false(store_bulk_open(s));
	g_assert_cmpint(store_commit(s, &err), ==, 0);
	/* store_free() keeps an open bulk transaction's rows */
	g_assert_cmpint(store_bulk_begin(s, &err), ==, 0);
	put_range(s, "Load", 1, 1501, 2000);
	g_assert_cmpint(store_bulk_end(s, &err), ==, 0);
	g_assert_cmpint(store_bulk_begin(s, &err), ==, 0);
	put_range(s, "Load", 1, 2001, 2500);
	store_free(&s);
	g_assert_cmpint(store_messages_uids(other, "Load", 1, &uids, &err), ==, 0);
	g_assert_cmpuint(uids->len, ==, 2500);
	g_clear_pointer(&uids, g_array_unref);
	g_assert_no_error(err);
	store_free(&other);
	g_free(path);
}

/* Bytes of the database file itself (its WAL aside). */
static goffset
file_size(const char *path)
{
	GStatBuf st;

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	return (goffset)st.st_size;
}

/* store_bulk_end_background(): the rows are committed when it returns;
 * the store goes on working (and a second load ends) while its checkpoint
 * runs in a thread; store_free() waits for it. */
static void
test_bulk_background(void)
{
	char *path = db_path("bulk-bg.db");
	struct store *s = open_ok(path), *other = open_ok(path);
	struct store_folder f = { .uidvalidity = 1 };
	GError *err = NULL;
	GArray *uids = NULL;
	goffset before;

	g_assert_cmpint(store_folder_set(s, "Load", &f, &err), ==, 0);
	before = file_size(path);
	for (guint32 round = 0; round < 2; round++) {
		g_assert_cmpint(store_bulk_begin(s, &err), ==, 0);
		for (guint32 from = 1; from <= 3000; from += 500)
			put_range(s, "Load", 1, round * 3000 + from, round * 3000 + from + 499);
		g_assert_cmpint(store_bulk_end_background(s, &err), ==, 0);
		g_assert_false(store_bulk_open(s));
		g_assert_false(store_in_txn(s));
		g_assert_cmpint(store_messages_uids(other, "Load", 1, &uids, &err), ==, 0);
		g_assert_cmpuint(uids->len, ==, (round + 1) * 3000);
		g_clear_pointer(&uids, g_array_unref);
		/* writes and reads go on meanwhile */
		g_assert_cmpint(store_journal_add(s, STORE_ACTION_FLAGS_ADD, "Load", 1, "1",
						  "\\Seen", NULL, &err), ==, 0);
		g_assert_cmpint(store_messages_uids(s, "Load", 1, &uids, &err), ==, 0);
		g_assert_cmpuint(uids->len, ==, (round + 1) * 3000);
		g_clear_pointer(&uids, g_array_unref);
	}
	store_free(&s); /* joins the checkpoint; not the last connection */
	/* the checkpoint copied the load into the file: it did not leave it
	 * all to the last connection's close (a connection of its own knew
	 * nothing of the WAL before it read the file) */
	g_assert_cmpint(file_size(path), >, before + 6000 * 100);
	g_assert_cmpint(store_messages_uids(other, "Load", 1, &uids, &err), ==, 0);
	g_assert_cmpuint(uids->len, ==, 6000);
	g_clear_pointer(&uids, g_array_unref);
	g_assert_no_error(err);
	store_free(&other);
	g_free(path);
}

/* The writer thread (core/store/writer.c): the rows it is given are copies
 * (the caller frees its own at once), committed while it runs (another
 * connection sees them before the end), all there after
 * store_writer_finish(); a failure comes back from it. */
static void
put_range_writer(struct store_writer *w, guint32 from, guint32 to)
{
	GArray *batch = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));

	for (guint32 uid = from; uid <= to; uid++) {
		struct imap_summary m;

		fill_summary(&m, uid);
		g_array_append_val(batch, m);
	}
	store_writer_put(w, (struct imap_summary *)(void *)batch->data, batch->len);
	free_sums(batch);
}

static guint
uids_now(struct store *s, const char *folder)
{
	GArray *uids = NULL;
	GError *err = NULL;
	guint n;

	g_assert_cmpint(store_messages_uids(s, folder, 1, &uids, &err), ==, 0);
	g_assert_no_error(err);
	n = uids->len;
	g_array_unref(uids);
	return n;
}

static void
test_writer(void)
{
	char *path = db_path("writer.db");
	struct store *s = open_ok(path), *other = open_ok(path);
	struct store_folder f = { .uidvalidity = 1 };
	struct store_writer *w = NULL;
	GError *err = NULL;
	GArray *sums = NULL;
	gint64 deadline;
	goffset before;

	g_assert_cmpint(store_folder_set(s, "W", &f, &err), ==, 0);
	before = file_size(path);
	g_assert_cmpint(store_writer_start(s, "W", 1, false, &w, &err), ==, 0);
	g_assert_no_error(err);
	put_range_writer(w, 1, 1000);
	/* committed at most 100 ms after the transaction began, not at the end */
	deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
	while (uids_now(other, "W") == 0 && g_get_monotonic_time() < deadline)
		g_usleep(10000);
	g_assert_cmpuint(uids_now(other, "W"), >, 0);
	for (guint32 base = 1001; base <= 25000; base += 1000)
		put_range_writer(w, base, base + 999);
	g_assert_cmpint(store_writer_finish(&w, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_null(w);
	g_assert_cmpint(store_writer_finish(&w, &err), ==, 0); /* NULL: nothing */
	g_assert_cmpint(store_messages_load(other, "W", 1, NULL, &sums, &err), ==, 0);
	g_assert_cmpuint(sums->len, ==, 25000);
	for (guint i = 0; i < sums->len; i++)
		check_summary(&g_array_index(sums, struct imap_summary, i), i + 1);
	free_sums(sums);

	/* another connection holds the write lock past the busy timeout;
	 * more batches than the writer queues: the caller waits, then the
	 * writer drops them after its error */
	g_assert_cmpint(store_writer_start(s, "W", 1, false, &w, &err), ==, 0);
	g_assert_cmpint(store_begin(other, &err), ==, 0);
	for (guint32 uid = 25001; uid <= 25200; uid++)
		put_range_writer(w, uid, uid);
	g_assert_cmpint(store_writer_finish(&w, &err), ==, -1);
	g_assert_error(err, STORE_ERROR, STORE_ERROR_IO);
	g_clear_error(&err);
	store_rollback(other);
	g_assert_cmpuint(uids_now(other, "W"), ==, 25000);
	/* the WAL the writer left was copied back by the caller's background
	 * checkpoint, before the last connection's close would */
	store_free(&s);
	g_assert_cmpint(file_size(path), >, before + 25000 * 100);
	store_free(&other);
	g_free(path);
}

/* How many cores a thread of this process may run on, as
 * /proc/self/task/T/status lists them: the calling thread's (newest
 * false), or the newest thread's (the one started last). */
static int
task_cpus(bool newest)
{
	GDir *d = g_dir_open("/proc/self/task", 0, NULL);
	gint64 want = newest ? 0 : (gint64)gettid();
	char *path, *status = NULL, *line, *end;
	const char *tid;
	char **parts;
	int n = 0;

	while (newest && d != NULL && (tid = g_dir_read_name(d)) != NULL)
		want = MAX(want, g_ascii_strtoll(tid, NULL, 10));
	if (d != NULL)
		g_dir_close(d);
	path = g_strdup_printf("/proc/self/task/%" G_GINT64_FORMAT "/status", want);
	if (!g_file_get_contents(path, &status, NULL, NULL) ||
	    (line = strstr(status, "Cpus_allowed_list:")) == NULL) {
		g_free(path);
		g_free(status);
		return -1;
	}
	if ((end = strchr(line, '\n')) != NULL)
		*end = '\0';
	parts = g_strsplit(line + strlen("Cpus_allowed_list:"), ",", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		unsigned lo = 0, hi = 0;
		int k = sscanf(parts[i], "%u-%u", &lo, &hi);

		n += k == 2 ? (int)(hi - lo + 1) : k == 1 ? 1 : 0;
	}
	g_strfreev(parts);
	g_free(path);
	g_free(status);
	return n;
}

/* With the server on this machine and two cores, the reading thread and
 * the writer keep to one core for the load, and the caller gets its cores
 * back when it ends; with more cores, or a server elsewhere, nothing is
 * narrowed. */
static void
test_writer_one_core(void)
{
	char *path = db_path("writer-core.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 1 };
	int all = task_cpus(false);
	GError *err = NULL;
	struct {
		const char *cpus;
		bool local;
		int want;
	} cases[] = {
		{ "2", true, 1 }, { "2", false, all }, { "8", true, all }, { "1", true, 1 },
	};

	g_assert_cmpint(all, >=, 1);
	g_assert_cmpint(store_folder_set(s, "C", &f, &err), ==, 0);
	for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
		struct store_writer *w = NULL;

		g_setenv("TERN_TEST_CPUS", cases[k].cpus, TRUE);
		g_assert_cmpint(store_writer_start(s, "C", 1, cases[k].local, &w, &err), ==, 0);
		put_range_writer(w, k * 100 + 1, k * 100 + 100);
		g_assert_cmpint(task_cpus(false), ==, cases[k].want);
		g_assert_cmpint(task_cpus(true), ==, cases[k].want); /* the writer */
		g_assert_cmpint(store_writer_finish(&w, &err), ==, 0);
		g_assert_cmpint(task_cpus(false), ==, all);
	}
	g_unsetenv("TERN_TEST_CPUS");
	store_free(&s);
	g_free(path);
}

/* What a load left in the WAL is copied back and the WAL emptied by the
 * background checkpoint when nobody uses it, so that the last close has
 * no big file to delete (9 ms at the end of a 100,000-message list). */
static void
test_writer_wal_emptied(void)
{
	char *path = db_path("writer-wal.db");
	char *wal = g_strconcat(path, "-wal", NULL);
	struct store *s = open_ok(path), *other = open_ok(path);
	struct store_folder f = { .uidvalidity = 1 };
	struct store_writer *w = NULL;
	GError *err = NULL;

	g_assert_cmpint(store_folder_set(s, "W", &f, &err), ==, 0);
	g_assert_cmpint(store_writer_start(s, "W", 1, false, &w, &err), ==, 0);
	for (guint32 base = 1; base <= 5000; base += 500)
		put_range_writer(w, base, base + 499);
	g_assert_cmpint(store_writer_finish(&w, &err), ==, 0);
	g_assert_no_error(err);
	store_free(&s); /* joins the checkpoint; other keeps the WAL from deletion */
	g_assert_cmpint(file_size(wal), ==, 0);
	g_assert_cmpuint(uids_now(other, "W"), ==, 5000);
	store_free(&other);
	g_free(wal);
	g_free(path);
}

/* store_set_row_observer(): each row written is shown as
 * store_messages_list() reads it back, field by field, whether written on
 * the caller's connection or by the writer thread (decoded From and
 * Subject, plain or not; keywords joined; \\Recent dropped; preview or
 * none). */
struct seen_row {
	guint32 uid;
	guint flags;
	gint64 date;
	int date_tz;
	guint32 size;
	bool date_null;
	char *keywords, *from, *subject, *preview;
};

static void
seen_row_free(gpointer p)
{
	struct seen_row *r = p;

	g_free(r->keywords);
	g_free(r->from);
	g_free(r->subject);
	g_free(r->preview);
	g_free(r);
}

static bool
keep_row(const struct store_list_row *r, void *ud)
{
	struct seen_row *k = g_new0(struct seen_row, 1);

	k->uid = r->uid;
	k->flags = r->flags;
	k->date = r->date;
	k->date_tz = r->date_tz;
	k->size = r->size;
	k->date_null = r->date_null;
	k->keywords = g_strdup(r->keywords);
	k->from = g_strdup(r->from);
	k->subject = g_strdup(r->subject);
	k->preview = g_strdup(r->preview);
	g_ptr_array_add(ud, k);
	return true;
}

static void
observer_batch(GArray *batch, guint32 from, guint32 to)
{
	for (guint32 uid = from; uid <= to; uid++) {
		struct imap_summary m;

		fill_summary(&m, uid);
		if (uid % 2 == 0) { /* plain ones, bound as they are */
			g_free(m.from);
			m.from = g_strdup_printf("Plain Name <p%u@example.com>", uid);
			g_free(m.subject);
			m.subject = g_strdup_printf("plain subject %u", uid);
		}
		if (uid % 4 == 0)
			m.preview = g_strdup_printf("preview %u", uid);
		g_array_append_val(batch, m);
	}
}

static void
test_row_observer(void)
{
	char *path = db_path("observer.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 1 };
	struct store_writer *w = NULL;
	GPtrArray *seen = g_ptr_array_new_with_free_func(seen_row_free);
	GPtrArray *read = g_ptr_array_new_with_free_func(seen_row_free);
	GArray *batch = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	GError *err = NULL;

	g_assert_cmpint(store_folder_set(s, "O", &f, &err), ==, 0);
	store_set_row_observer(s, keep_row, seen);
	observer_batch(batch, 1, 40);
	g_assert_cmpint(store_messages_put(s, "O", 1, (struct imap_summary *)(void *)batch->data,
					   batch->len, &err), ==, 0);
	free_sums(batch);
	g_assert_cmpint(store_writer_start(s, "O", 1, false, &w, &err), ==, 0);
	batch = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	observer_batch(batch, 41, 100);
	store_writer_put(w, (struct imap_summary *)(void *)batch->data, batch->len);
	free_sums(batch);
	g_assert_cmpint(store_writer_finish(&w, &err), ==, 0);
	g_assert_no_error(err);
	store_set_row_observer(s, NULL, NULL);
	g_assert_cmpint(store_messages_list(s, "O", 1, keep_row, read, &err), ==, 0);
	g_assert_cmpuint(seen->len, ==, 100);
	g_assert_cmpuint(read->len, ==, 100);
	for (guint i = 0; i < 100; i++) {
		const struct seen_row *a = seen->pdata[i], *b = read->pdata[i];

		g_assert_cmpuint(a->uid, ==, i + 1);
		g_assert_cmpuint(a->uid, ==, b->uid);
		g_assert_cmpuint(a->flags, ==, b->flags);
		g_assert_cmpint(a->date, ==, b->date);
		g_assert_cmpint(a->date_tz, ==, b->date_tz);
		g_assert_cmpuint(a->size, ==, b->size);
		g_assert_cmpint(a->date_null, ==, b->date_null);
		g_assert_cmpstr(a->keywords, ==, b->keywords);
		g_assert_cmpstr(a->from, ==, b->from);
		g_assert_cmpstr(a->subject, ==, b->subject);
		g_assert_cmpstr(a->preview, ==, b->preview);
	}
	/* the others went through the decoder (none is registered here:
	 * made valid UTF-8), the plain ones were kept */
	g_assert_cmpstr(((struct seen_row *)seen->pdata[0])->subject, ==, "subject \xef\xbf\xbd 1");
	g_assert_cmpstr(((struct seen_row *)seen->pdata[1])->subject, ==, "plain subject 2");
	g_assert_false(((struct seen_row *)seen->pdata[0])->flags & IMAP_FLAG_RECENT);
	/* stopped: nothing more is seen */
	batch = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	observer_batch(batch, 101, 101);
	g_assert_cmpint(store_messages_put(s, "O", 1, (struct imap_summary *)(void *)batch->data,
					   batch->len, &err), ==, 0);
	free_sums(batch);
	g_assert_cmpuint(seen->len, ==, 100);
	g_ptr_array_unref(seen);
	g_ptr_array_unref(read);
	store_free(&s);
	g_free(path);
}

static void
test_journal(void)
{
	char *path = db_path("journal.db");
	struct store *s = open_ok(path);
	struct store_action *a = NULL;
	GError *err = NULL;
	gint64 id1 = 0, id2 = 0, now = g_get_real_time() / G_USEC_PER_SEC;
	guint n = 0;
	pid_t child;

	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 0);
	g_assert_cmpint(store_journal_add(s, STORE_ACTION_FLAGS_ADD, "INBOX", 7, "1:3",
					  "\\Seen \\Flagged", &id1, &err), ==, 0);
	g_assert_cmpint(store_journal_add(s, STORE_ACTION_MOVE, "INBOX", 7, "4", "Archive", &id2,
					  &err), ==, 0);
	g_assert_cmpint(store_journal_add(s, 99, "INBOX", 7, "4", NULL, NULL, &err), ==, -1);
	g_clear_error(&err);
	g_assert_cmpint(id1, <, id2);
	g_assert_cmpint(store_journal_count(s, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 2);
	{
		GPtrArray *all = NULL;

		g_assert_cmpint(store_journal_list(s, &all, &err), ==, 0);
		g_assert_cmpuint(all->len, ==, 2);
		g_assert_cmpint(((struct store_action *)all->pdata[0])->id, ==, id1);
		g_assert_cmpstr(((struct store_action *)all->pdata[1])->arg, ==, "Archive");
		g_ptr_array_unref(all);
	}

	/* the oldest first */
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	g_assert_cmpint(a->id, ==, id1);
	g_assert_cmpint(a->kind, ==, STORE_ACTION_FLAGS_ADD);
	g_assert_cmpstr(a->folder, ==, "INBOX");
	g_assert_cmpuint(a->uidvalidity, ==, 7);
	g_assert_cmpstr(a->uids, ==, "1:3");
	g_assert_cmpstr(a->arg, ==, "\\Seen \\Flagged");
	store_action_free(&a);
	/* claimed by a live process (us): nothing else is handed out, order kept */
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 0);
	g_assert_null(a);
	/* released: first in line again */
	g_assert_cmpint(store_journal_release(s, id1, &err), ==, 0);
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	g_assert_cmpint(a->id, ==, id1);
	store_action_free(&a);

	/* a claim by a dead process is taken over */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	set_claim(path, id1, child, now);
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	g_assert_cmpint(a->id, ==, id1);
	store_action_free(&a);
	/* a stale claim too, even by a live process */
	set_claim(path, id1, getppid(), now - STORE_CLAIM_STALE_S - 10);
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	store_action_free(&a);
	/* a fresh claim of a live other process blocks the line */
	set_claim(path, id1, getppid(), now);
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 0);
	set_claim(path, id1, 0, 0);

	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	g_assert_cmpint(store_journal_done(s, a->id, &err), ==, 0);
	store_action_free(&a);
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	g_assert_cmpint(a->id, ==, id2);
	g_assert_cmpint(a->kind, ==, STORE_ACTION_MOVE);
	g_assert_cmpstr(a->arg, ==, "Archive");
	g_assert_cmpint(store_journal_done(s, a->id, &err), ==, 0);
	store_action_free(&a);
	g_assert_cmpint(store_journal_count(s, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_no_error(err);
	store_free(&s);
	g_free(path);
}

static struct imap_folder *
folder_new(const char *name, char delim, enum folder_role role, gint64 messages,
	   const char *attr)
{
	struct imap_folder *f = g_new0(struct imap_folder, 1);

	f->name = g_strdup(name);
	f->wire_name = g_strdup(name);
	f->delimiter = delim;
	f->role = role;
	f->messages = messages;
	f->unseen = messages < 0 ? -1 : messages / 2;
	f->attr_names = g_ptr_array_new_with_free_func(g_free);
	if (attr != NULL)
		g_ptr_array_add(f->attr_names, g_strdup(attr));
	return f;
}

/* The folder list is kept whole and given back as put. */
static void
test_folder_list(void)
{
	char *path = db_path("flist.db");
	struct store *s = open_ok(path);
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)imap_folder_free);
	GPtrArray *out = NULL;
	GError *err = NULL;

	g_assert_cmpint(store_folder_list_get(s, &out, &err), ==, 0);
	g_assert_cmpuint(out->len, ==, 0);
	g_ptr_array_unref(out);
	g_ptr_array_add(in, folder_new("INBOX", '/', FOLDER_ROLE_INBOX, 10, "\\HasNoChildren"));
	g_ptr_array_add(in, folder_new("Lists", '/', FOLDER_ROLE_NONE, -1, "\\Noselect"));
	g_ptr_array_add(in, folder_new("Zürich", '\0', FOLDER_ROLE_TRASH, 0, NULL));
	g_assert_cmpint(store_folder_list_put(s, in, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(store_folder_list_get(s, &out, &err), ==, 0);
	g_assert_cmpuint(out->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		struct imap_folder *a = in->pdata[i], *b = out->pdata[i];

		g_assert_cmpstr(a->name, ==, b->name);
		g_assert_cmpstr(a->wire_name, ==, b->wire_name);
		g_assert_cmpint(a->delimiter, ==, b->delimiter);
		g_assert_cmpint(a->role, ==, b->role);
		g_assert_cmpint(a->messages, ==, b->messages);
		g_assert_cmpint(a->unseen, ==, b->unseen);
		g_assert_cmpuint(a->attr_names->len, ==, b->attr_names->len);
		if (a->attr_names->len > 0)
			g_assert_cmpstr(a->attr_names->pdata[0], ==, b->attr_names->pdata[0]);
	}
	g_ptr_array_unref(out);
	g_ptr_array_remove_range(in, 1, 2);
	g_assert_cmpint(store_folder_list_put(s, in, &err), ==, 0);
	g_assert_cmpint(store_folder_list_get(s, &out, &err), ==, 0);
	g_assert_cmpuint(out->len, ==, 1);
	g_ptr_array_unref(out);
	g_ptr_array_unref(in);
	store_free(&s);
	g_free(path);
}

/* What replay reads back from a journal row, which is on disk and may be
 * damaged: bad UID sets and flag names give NULL, never a wild value. */
static void
test_action_parse(void)
{
	struct store_action a = { .kind = STORE_ACTION_FLAGS_ADD, .folder = "INBOX" };
	GArray *uids;
	char **flags;

	a.uids = "5,9:11";
	uids = store_action_uids(&a);
	g_assert_nonnull(uids);
	g_assert_cmpuint(uids->len, ==, 4);
	g_assert_cmpuint(g_array_index(uids, guint32, 3), ==, 11);
	g_array_unref(uids);
	for (const char *const *bad = (const char *const[]){ "", "0", "5:*", "x", "1:4294967296",
							     NULL };
	     *bad != NULL; bad++) {
		a.uids = (char *)*bad;
		g_assert_null(store_action_uids(&a));
	}
	a.uids = "1:1000001"; /* more than a journal entry may expand to */
	g_assert_null(store_action_uids(&a));

	a.arg = "\\Seen $Label1";
	flags = store_action_flags(&a);
	g_assert_nonnull(flags);
	g_assert_cmpstr(flags[0], ==, "\\Seen");
	g_assert_cmpstr(flags[1], ==, "$Label1");
	g_assert_null(flags[2]);
	g_strfreev(flags);
	for (const char *const *bad = (const char *const[]){ "", "\\Bogus", "a(b", "x  y",
							     "\\Seen\r\n", NULL };
	     *bad != NULL; bad++) {
		a.arg = (char *)*bad;
		g_assert_null(store_action_flags(&a));
	}
	a.kind = STORE_ACTION_MOVE;
	g_assert_cmpstr(store_action_describe(&a), ==, "move");
}

/* The outbox: add, claim, the data going out, a sender that died (held as
 * "may have been sent", never claimed again), retry, sent (the original's
 * flag in the journal), removed. */
static void
test_outbox(void)
{
	char *path = db_path("outbox.db");
	struct store *s = open_ok(path);
	char *rcpts[] = { (char *)"a@example.org", (char *)"b@example.org", NULL };
	struct store_outbox_entry in = {
		.message_id = (char *)"<m1@example.net>", .sender = (char *)"me@example.net",
		.rcpts = rcpts, .data = g_bytes_new_static("x\r\n", 3), .copy_to_sent = true,
		.orig_folder = (char *)"INBOX", .orig_uidvalidity = 7, .orig_uid = 42,
		.orig_flag = (char *)"\\Answered",
	};
	struct store_outbox_entry *e = NULL;
	GError *err = NULL;
	guint n = 0;

	g_assert_cmpint(store_outbox_add(s, &in, false, NULL, &err), ==, 0);
	g_assert_cmpint(store_outbox_add(s, &in, false, NULL, &err), ==, -1);
	g_assert_error(err, STORE_ERROR, STORE_ERROR_EXISTS);
	g_clear_error(&err);
	g_assert_cmpint(store_outbox_claim(s, 0, &e, &err), ==, 1);
	g_assert_cmpstr(e->rcpts[1], ==, "b@example.org");
	g_assert_cmpuint(g_bytes_get_size(e->data), ==, 3);
	g_assert_cmpint(store_outbox_sending(s, e->id, &err), ==, 0);
	store_outbox_entry_free(&e);
	/* the sender is gone (a pid that does not exist) */
	sql_exec(path, "UPDATE outbox SET claimed_pid = 2147480000");
	g_assert_cmpint(store_outbox_claim(s, 0, &e, &err), ==, 0);
	g_assert_cmpint(sql_int(path, "SELECT state FROM outbox"), ==, STORE_OUTBOX_MAYBE_SENT);
	g_assert_cmpint(store_outbox_count(s, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(store_outbox_retry(s, "<m1@example.net>", &err), ==, 1);
	g_assert_cmpint(store_outbox_claim(s, 0, &e, &err), ==, 1);
	g_assert_cmpint(store_outbox_sent(s, e, &err), ==, 0);
	g_assert_cmpint(store_journal_count(s, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(store_outbox_count(s, &n, &err), ==, 0);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(sql_int(path, "SELECT state FROM outbox"), ==, STORE_OUTBOX_SENT);
	store_outbox_entry_free(&e);
	g_assert_cmpint(store_outbox_remove(s, "<m1@example.net>", &err), ==, 1);
	g_assert_cmpint(store_outbox_remove(s, "<m1@example.net>", &err), ==, 0);
	g_bytes_unref(in.data);
	store_free(&s);
	g_free(path);
}

/* One answer to several messages: each original's flag, one journal entry
 * on the UID set. */
static void
test_outbox_uids(void)
{
	char *path = db_path("outbox-uids.db");
	struct store *s = open_ok(path);
	char *rcpts[] = { (char *)"a@example.org", NULL };
	struct store_outbox_entry in = {
		.message_id = (char *)"<m2@example.net>", .sender = (char *)"me@example.net",
		.rcpts = rcpts, .data = g_bytes_new_static("x\r\n", 3), .copy_to_sent = false,
		.orig_folder = (char *)"INBOX", .orig_uidvalidity = 7, .orig_uid = 3,
		.orig_flag = (char *)"$Forwarded", .orig_uids = (char *)"3,5,9",
	};
	struct store_outbox_entry *e = NULL;
	struct store_action *a = NULL;
	GError *err = NULL;

	g_assert_cmpint(store_outbox_add(s, &in, false, NULL, &err), ==, 0);
	g_assert_cmpint(store_outbox_claim(s, 0, &e, &err), ==, 1);
	g_assert_cmpstr(e->orig_uids, ==, "3,5,9");
	g_assert_cmpint(store_outbox_sent(s, e, &err), ==, 0);
	g_assert_cmpint(store_journal_claim(s, &a, &err), ==, 1);
	g_assert_cmpstr(a->uids, ==, "3,5,9");
	g_assert_cmpstr(a->arg, ==, "$Forwarded");
	store_action_free(&a);
	store_outbox_entry_free(&e);
	g_bytes_unref(in.data);
	store_free(&s);
	g_free(path);
}

/* ---- the full-text index ---- */

/* A stand-in for mime/'s extractor: the bytes are the text. */
static char *
raw_extractor(const void *data, gsize len, gsize max)
{
	return g_strndup(data, MIN(len, max + 100)); /* more than asked: the store cuts */
}

/* And for parts: each MIME header's first line, then the content. */
static char *
raw_parts_extractor(GBytes *const *mimes, GBytes *const *bodies, guint n, gsize max)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < n; i++) {
		gsize ml = 0, bl = 0;
		const char *m = g_bytes_get_data(mimes[i], &ml);
		const char *b = g_bytes_get_data(bodies[i], &bl);

		g_string_append_len(out, m, (gssize)MIN(ml, 12));
		g_string_append_c(out, ' ');
		g_string_append_len(out, b, (gssize)bl);
		g_string_append_c(out, '\n');
	}
	if (out->len > max)
		g_string_truncate(out, max);
	return g_string_free(out, FALSE);
}

static void
put_part(struct store *s, guint32 uidvalidity, guint32 uid, const char *item, const char *text)
{
	GBytes *b = g_bytes_new(text, strlen(text));
	GError *err = NULL;

	g_assert_cmpint(store_part_put(s, "F", uidvalidity, uid, item, b, &err), ==, 0);
	g_assert_no_error(err);
	g_bytes_unref(b);
}

static void
put_text(struct store *s, guint32 uidvalidity, guint32 uid, const char *text, gsize len)
{
	GBytes *b = g_bytes_new(text, len);
	GError *err = NULL;

	g_assert_cmpint(store_body_put(s, "F", uidvalidity, uid, b, &err), ==, 0);
	g_assert_no_error(err);
	g_bytes_unref(b);
}

/* The cached UIDs the query matches offline, "1,3" (transfer full). */
static char *
fts_find(struct store *s, guint32 uidvalidity, const char *text)
{
	struct store_text_search *t = NULL;
	struct query *q = NULL;
	GArray *sums = NULL;
	GError *err = NULL;
	GString *out = g_string_new(NULL);

	g_assert_cmpint(query_parse(text, &q, &err), ==, 0);
	g_assert_cmpint(store_text_search_new(s, "F", uidvalidity, q, &t, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(store_messages_load(s, "F", uidvalidity, NULL, &sums, &err), ==, 0);
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *m = &g_array_index(sums, struct imap_summary, i);

		if (store_summary_matches_text(q, m, m->flags, t))
			g_string_append_printf(out, "%s%u", out->len > 0 ? "," : "", m->uid);
	}
	free_sums(sums);
	store_text_search_free(&t);
	g_assert_null(t);
	query_free(&q);
	return g_string_free(out, FALSE);
}

#define FTS_IS(s, v, query, want)                       \
	do {                                            \
		char *got_ = fts_find((s), (v), (query)); \
		g_assert_cmpstr(got_, ==, (want));      \
		g_free(got_);                           \
	} while (0)

static void
test_fts(void)
{
	char *path = db_path("fts.db");
	struct store *s = open_ok(path);
	struct store_folder f = { .uidvalidity = 5, .uidnext = 11 };
	const char *hostile = "say \"quoted\" NEAR(alpha beta) star* {hdr} : x OR y ^caret";
	GError *err = NULL;

	text_set_body_extractor(raw_extractor);
	g_assert_cmpint(store_folder_set(s, "F", &f, &err), ==, 0);
	put_range(s, "F", 5, 1, 6);
	put_text(s, 5, 1, "the Zebra crossing", 18);
	put_text(s, 5, 2, hostile, strlen(hostile));
	put_text(s, 5, 3, "ok\0zebra after a NUL", 20);

	/* a body word of a cached body, any case, and not of the others */
	FTS_IS(s, 5, "body:zebra", "1");
	FTS_IS(s, 5, "ZEBRA", "1");
	FTS_IS(s, 5, "-body:zebra", "2,3,4,5,6");
	/* text: finds headers through the index and locally */
	FTS_IS(s, 5, "text:u4@example", "4");
	FTS_IS(s, 5, "body:u4@example", "");
	/* shorter than a trigram: a scan, still literal */
	FTS_IS(s, 5, "body:ze", "1");
	FTS_IS(s, 5, "body:%", "");
	FTS_IS(s, 5, "body:_", "");
	/* FTS syntax in a value is text to find (FTS5 would read it otherwise) */
	FTS_IS(s, 5, "body:\"\\\"quoted\\\"\"", "2");
	FTS_IS(s, 5, "body:\"NEAR(alpha beta)\"", "2");
	FTS_IS(s, 5, "body:\"NEAR(alpha gamma)\"", "");
	FTS_IS(s, 5, "body:\"alpha beta\"", "2");
	FTS_IS(s, 5, "body:\"beta alpha\"", "");
	FTS_IS(s, 5, "body:\"star*\"", "2");
	FTS_IS(s, 5, "body:\"zeb*\"", "");
	FTS_IS(s, 5, "body:\"zebra OR crossing\"", "");
	FTS_IS(s, 5, "body:\"x OR y\"", "2");
	FTS_IS(s, 5, "body:\"{hdr} : x\"", "2");
	FTS_IS(s, 5, "body:\"{hdr} : u4\"", "");
	FTS_IS(s, 5, "body:\"^caret\"", "2");
	FTS_IS(s, 5, "body:\"\\\"\"", "2");
	FTS_IS(s, 5, "body:\"\\\"\\\"\"", "");
	/* a NUL ends the indexed text; what came before is found */
	FTS_IS(s, 5, "body:ok", "3");
	FTS_IS(s, 5, "body:\"after a nul\"", "");

	/* a summary put again over an indexed message re-indexes its headers
	 * (store_messages_put() asks once whether the folder has any row) */
	sql_exec(path, "UPDATE fts SET hdr = ''");
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts WHERE hdr LIKE '%u2@example%'"),
			==, 0);
	put_range(s, "F", 5, 2, 2);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts WHERE hdr LIKE '%u2@example%'"),
			==, 1);

	/* a huge body: the first STORE_FTS_TEXT_MAX bytes are indexed */
	{
		gsize n = 4 * STORE_FTS_TEXT_MAX;
		char *big = g_malloc(n);

		memset(big, 'q', n);
		memcpy(big, "early-word ", 11);
		memcpy(big + STORE_FTS_TEXT_MAX + 10, " late-word ", 11);
		put_text(s, 5, 4, big, n);
		g_free(big);
		FTS_IS(s, 5, "body:early-word", "4");
		FTS_IS(s, 5, "body:late-word", "");
		g_assert_cmpint(sql_int(path, "SELECT max(length(CAST(body AS BLOB))) FROM fts"),
				<=, STORE_FTS_TEXT_MAX);
	}

	/* an expunged message leaves the index */
	{
		guint32 gone = 1;

		g_assert_cmpint(store_messages_remove(s, "F", 5, &gone, 1, &err), ==, 0);
		FTS_IS(s, 5, "body:zebra", "");
		g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts WHERE body LIKE '%zebra%'"),
				==, 0);
	}

	/* an evicted body's text leaves it; its headers stay */
	store_set_body_limit(s, 2 * STORE_FTS_TEXT_MAX);
	put_text(s, 5, 5, "fresh ibex", 10);
	FTS_IS(s, 5, "body:early-word", "");
	FTS_IS(s, 5, "body:ibex", "5");
	FTS_IS(s, 5, "text:u4@example", "4");

	/* a body cached before its summary is found once the summary is */
	put_text(s, 6 - 1, 9, "lonely okapi", 12);
	FTS_IS(s, 5, "body:okapi", "");
	put_range(s, "F", 5, 9, 9);
	FTS_IS(s, 5, "body:okapi", "9");

	/* text parts cached alone (the viewer's BODY[x] with BODY[x.MIME]) */
	text_set_parts_extractor(raw_parts_extractor);
	store_set_body_limit(s, STORE_BODY_LIMIT_DEFAULT);
	put_part(s, 5, 6, "BODYSTRUCTURE", "narwhal structure");
	put_part(s, 5, 6, "BINARY[2]", "narwhal attachment");
	put_part(s, 5, 6, "BODY[1]", "a narwhal swims");
	FTS_IS(s, 5, "body:narwhal", ""); /* no MIME header yet: not known as text */
	put_part(s, 5, 6, "BODY[1.MIME]", "Content-Type: text/plain\r\n\r\n");
	FTS_IS(s, 5, "body:narwhal", "6");
	FTS_IS(s, 5, "body:\"Content-Type a narwhal\"", "6");
	put_part(s, 5, 6, "BODY[3.MIME]", "Content-Type: text/html\r\n\r\n");
	put_part(s, 5, 6, "BODY[3]", "and a dugong");
	FTS_IS(s, 5, "body:narwhal body:dugong", "6");
	/* a whole body, once cached, is what is indexed, and when it is evicted
	 * the parts are again */
	put_text(s, 5, 6, "the whole manatee", 17);
	FTS_IS(s, 5, "body:manatee", "6");
	FTS_IS(s, 5, "body:narwhal", "");
	store_set_body_limit(s, 10); /* evicts the older bodies and parts */
	{
		GBytes *b = g_bytes_new("tapir", 5);

		g_assert_cmpint(store_part_put(s, "F", 5, 9, "BODY[1]", b, &err), ==, 0);
		g_bytes_unref(b);
	}
	FTS_IS(s, 5, "body:manatee", "");
	text_set_parts_extractor(NULL);

	/* a UIDVALIDITY change empties the folder's index */
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts"), >, 0);
	f.uidvalidity = 6;
	g_assert_cmpint(store_folder_set(s, "F", &f, &err), ==, 0);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts"), ==, 0);
	FTS_IS(s, 6, "body:ibex", "");

	/* and dropping the folder drops its rows */
	put_range(s, "F", 6, 1, 2);
	/* a summary alone makes no row: the header match finds it */
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts"), ==, 0);
	store_set_body_limit(s, STORE_BODY_LIMIT_DEFAULT);
	put_text(s, 6, 1, "ibex one", 8);
	put_text(s, 6, 2, "ibex two", 8);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts"), ==, 2);
	g_assert_cmpint(store_folder_drop(s, "F", &err), ==, 0);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts"), ==, 0);

	/* a body written late for the old UIDVALIDITY (an answer that was on
	 * its way): its row is not a match of the new one's message 3, though
	 * the index is asked without reading each row's UIDVALIDITY where the
	 * folder holds only one */
	g_assert_cmpint(store_folder_set(s, "F", &f, &err), ==, 0);
	put_range(s, "F", 6, 3, 3);
	put_text(s, 6, 3, "okapi new", 9);
	FTS_IS(s, 6, "body:okapi", "3");
	put_text(s, 5, 3, "ibex stale", 10);
	FTS_IS(s, 6, "body:ibex", "");
	FTS_IS(s, 6, "body:okapi", "");
	f.uidvalidity = 7;
	g_assert_cmpint(store_folder_set(s, "F", &f, &err), ==, 0);
	f.uidvalidity = 6;
	g_assert_cmpint(store_folder_set(s, "F", &f, &err), ==, 0);
	g_assert_cmpint(sql_int(path, "SELECT count(*) FROM fts"), ==, 0);

	g_assert_no_error(err);
	text_set_body_extractor(NULL);
	store_free(&s);
	g_free(path);
}

/* The summary form: one choice per account cache, for the server that
 * was probed; another server is not given it; the client asks for the
 * stored form under auto and for the configured one otherwise. */
static void
test_summary_form(void)
{
	char *path = db_path("summary-form.db");
	struct store *s = open_ok(path), *ro = NULL;
	struct store_summary_form f = { .form = IMAP_SUMMARY_ENVELOPE, .headers_us = 1500,
					.envelope_us = 900, .probed = 1700000000 };
	struct store_summary_form got;
	struct account a = { .name = (char *)"t" };
	struct imap_client *c = imap_client_new(&a, NULL, NULL, NULL);
	char *server = imap_client_server_id(c), *line;
	GError *err = NULL;

	/* nothing stored: headers, and a probe may store a choice */
	g_assert_cmpint(store_summary_form_get(s, "Dovecot ready. | IMAP4REV1", &got, &err), ==, 0);
	g_assert_true(store_summary_form_apply(s, c));
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_HEADERS);
	line = store_summary_form_describe(s, c);
	g_assert_nonnull(strstr(line, "not probed"));
	g_free(line);

	/* stored for another server: still nothing for this one */
	g_assert_cmpint(store_summary_form_set(s, "Other ready. | IMAP4REV1", &f, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_true(store_summary_form_apply(s, c));
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_HEADERS);

	/* stored for this one: used, no probe; the other server's row is gone */
	g_assert_cmpint(store_summary_form_set(s, server, &f, &err), ==, 0);
	g_assert_cmpint(store_summary_form_get(s, server, &got, &err), ==, 1);
	g_assert_cmpint(got.form, ==, IMAP_SUMMARY_ENVELOPE);
	g_assert_cmpint(got.headers_us, ==, 1500);
	g_assert_cmpint(got.envelope_us, ==, 900);
	g_assert_cmpint(got.probed, ==, 1700000000);
	g_assert_cmpint(store_summary_form_get(s, "Other ready. | IMAP4REV1", &got, &err), ==, 0);
	g_assert_false(store_summary_form_apply(s, c));
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_ENVELOPE);
	line = store_summary_form_describe(s, c);
	g_assert_cmpstr(line, ==,
			"envelope (probed on this server: headers 1.5 ms, envelope 0.9 ms)");
	g_free(line);

	/* the configured form wins over the stored one */
	a.summary_fetch = CONFIG_SUMMARY_FETCH_HEADERS;
	g_assert_false(store_summary_form_apply(s, c));
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_HEADERS);
	line = store_summary_form_describe(s, c);
	g_assert_cmpstr(line, ==, "headers (set by summary_fetch)");
	g_free(line);
	a.summary_fetch = CONFIG_SUMMARY_FETCH_ENVELOPE;
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_ENVELOPE);

	/* without a cache: headers, and nothing to probe into */
	a.summary_fetch = CONFIG_SUMMARY_FETCH_AUTO;
	g_assert_false(store_summary_form_apply(NULL, c));
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_HEADERS);
	store_free(&s);

	/* a read-only cache: the stored choice is read, none is written */
	g_assert_cmpint(store_open(path, STORE_OPEN_READ_ONLY, &ro, NULL, &err), ==, 0);
	g_assert_false(store_summary_form_apply(ro, c));
	g_assert_cmpint(imap_client_summary_form(c), ==, IMAP_SUMMARY_ENVELOPE);
	g_assert_cmpint(store_summary_form_set(ro, server, &f, &err), ==, -1);
	g_assert_nonnull(err);
	g_clear_error(&err);
	store_free(&ro);
	imap_client_free(&c);
	g_free(server);
	g_free(path);
}

int
main(int argc, char **argv)
{
	int rc;

	tmpdir = g_dir_make_tmp("tern-store-XXXXXX", NULL);
	g_setenv("XDG_CACHE_HOME", tmpdir, TRUE);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/store/safe-name", test_safe_name);
	g_test_add_func("/store/open-migrate", test_open_migrate);
	g_test_add_func("/store/preview", test_preview);
	g_test_add_func("/store/outbox-uids", test_outbox_uids);
	g_test_add_func("/store/corrupt", test_corrupt);
	g_test_add_func("/store/health-check", test_health_check);
	g_test_add_func("/store/by-date", test_by_date);
	g_test_add_func("/store/list", test_list);
	g_test_add_func("/store/messages", test_messages);
	g_test_add_func("/store/many", test_many);
	g_test_add_func("/store/bodies", test_bodies);
	g_test_add_func("/store/bulk", test_bulk);
	g_test_add_func("/store/bulk-background", test_bulk_background);
	g_test_add_func("/store/writer-wal-emptied", test_writer_wal_emptied);
	g_test_add_func("/store/writer", test_writer);
	g_test_add_func("/store/writer-one-core", test_writer_one_core);
	g_test_add_func("/store/row-observer", test_row_observer);
	g_test_add_func("/store/journal", test_journal);
	g_test_add_func("/store/action-parse", test_action_parse);
	g_test_add_func("/store/folder-list", test_folder_list);
	g_test_add_func("/store/outbox", test_outbox);
	g_test_add_func("/store/fts", test_fts);
	g_test_add_func("/store/summary-form", test_summary_form);
	rc = g_test_run();
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			rc = 1;
		g_free(cmd);
	}
	g_free(tmpdir);
	return rc;
}

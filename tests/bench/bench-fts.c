/* tern — benchmark of the local full-text index (core/store/fts.c).
 *
 *   tests/bench/bench-fts [N]
 *
 * Fills a fresh cache in a temporary directory with N (default 100,000)
 * summaries (store_messages_put(), which indexes their headers) and puts
 * about 1 KiB of generated body text for each into the index (made of
 * syllables, so the trigrams are varied as in mail; written with SQL, as
 * store_body_put() would after rendering: its eviction check sums the
 * bodies table on every put, which is not what is measured here), then
 * prints the time
 * of the index lookups an offline search makes (median of 5 runs) for a
 * rare word, a word in every tenth message, a phrase of two, a common
 * word, a word shorter than a trigram (a
 * scan), and a whole offline search (index plus the walk of the folder's
 * summaries), and the index's size per message. Prints; asserts nothing
 * timed. Built with the sanitizers the figures are upper bounds. */
#include "config.h"

#include "core/common.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/query.h"
#include "core/store/store.h"
#include "core/text/text.h"

#define BATCH 1000

static const char *const syllables[] = {
	"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "do", "fe",
	"gu", "hi", "jo", "be", "co", "da", "el", "fi", "go", "ha", "in", "ju",
};

/* A word of 2 to 4 syllables from the generator. */
static void
append_word(GString *out, GRand *r)
{
	int n = g_rand_int_range(r, 2, 5);

	for (int i = 0; i < n; i++)
		g_string_append(out, syllables[g_rand_int_range(r, 0, TERN_ARRAY_LEN(syllables))]);
}

static GBytes *
make_body(GRand *r, guint32 uid)
{
	GString *out = g_string_new(NULL);

	while (out->len < 1024) {
		append_word(out, r);
		g_string_append_c(out, ' ');
	}
	/* one word only message 77 holds, one that every tenth holds */
	if (uid == 77)
		g_string_append(out, "xylophonist ");
	if (uid % 10 == 0)
		g_string_append(out, "quarterly report ");
	return g_string_free_to_bytes(out);
}

static void
fill_summary(struct imap_summary *m, guint32 uid)
{
	memset(m, 0, sizeof *m);
	m->uid = uid;
	m->internaldate = 1700000000 + uid;
	m->date = 1700000000 + uid;
	m->size = 2000;
	m->from = g_strdup_printf("Sender %u <s%u@example.org>", uid % 500, uid % 500);
	m->to = g_strdup("me@example.org");
	m->subject = g_strdup_printf("Message number %u", uid);
	m->message_id = g_strdup_printf("<%u@bench>", uid);
}

static void
die(GError *err)
{
	fprintf(stderr, "bench-fts: %s\n", err != NULL ? err->message : "failed");
	exit(1);
}

static void
fill_summaries(struct store *s, guint32 n)
{
	GError *err = NULL;

	for (guint32 from = 1; from <= n; from += BATCH) {
		struct imap_summary sums[BATCH];
		guint k = 0;

		for (guint32 uid = from; uid < from + BATCH && uid <= n; uid++)
			fill_summary(&sums[k++], uid);
		if (store_messages_put(s, "INBOX", 1, sums, k, &err) < 0)
			die(err);
		for (guint i = 0; i < k; i++)
			imap_summary_clear(&sums[i]);
	}
}

static void
sql_ok(sqlite3 *db, int rc)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		fprintf(stderr, "bench-fts: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
}

/* The body text of every message into the index (a row with its headers,
 * as store_body_put() makes once a body is cached; a summary alone has no
 * row since dd6429d). */
static void
fill_bodies(const char *path, guint32 n)
{
	GRand *r = g_rand_new_with_seed(16);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	sql_ok(db, sqlite3_open(path, &db));
	sql_ok(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL));
	sql_ok(db, sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO fts (rowid, uidvalidity, hdr, body) "
				      "VALUES (((SELECT id FROM folders WHERE name = 'INBOX') << 32) | ?1,"
				      " 1, ?3, ?2)", -1, &st, NULL));
	for (guint32 uid = 1; uid <= n; uid++) {
		GBytes *b = make_body(r, uid);
		gsize len = 0;
		const char *text = g_bytes_get_data(b, &len);

		char *hdr = g_strdup_printf("Sender %u <s%u@example.org> tern@example.org "
					    "Message number %u", uid % 500, uid % 500, uid);

		sqlite3_bind_int64(st, 1, uid);
		sqlite3_bind_text(st, 2, text, (int)len, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hdr, -1, g_free);
		sql_ok(db, sqlite3_step(st));
		sqlite3_reset(st);
		g_bytes_unref(b);
	}
	sqlite3_finalize(st);
	sql_ok(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
	sqlite3_close(db);
	g_rand_free(r);
}

struct walk {
	const struct query *q;
	const struct store_text_search *t;
	guint hits;
};

static bool
walk_one(const struct imap_summary *sum, void *ud)
{
	struct walk *w = ud;

	if (store_summary_matches_text(w->q, sum, sum->flags, w->t))
		w->hits++;
	return true;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median ms of 5 runs of the index lookups (or, whole, the whole search). */
static void
measure(struct store *s, const char *text, bool whole)
{
	struct query *q = NULL;
	GError *err = NULL;
	double ms[5];
	guint hits = 0;

	if (query_parse(text, &q, &err) < 0)
		die(err);
	for (int run = 0; run < 5; run++) {
		struct store_text_search *t = NULL;
		gint64 t0 = g_get_monotonic_time();
		struct walk w = { .q = q };

		if (store_text_search_new(s, "INBOX", 1, q, &t, &err) < 0)
			die(err);
		w.t = t;
		if (whole && store_messages_each(s, "INBOX", 1, 0, 0, walk_one, &w, &err) < 0)
			die(err);
		ms[run] = (double)(g_get_monotonic_time() - t0) / 1000.0;
		hits = w.hits;
		store_text_search_free(&t);
	}
	qsort(ms, 5, sizeof ms[0], cmp_double);
	if (whole)
		printf("  %-36s %8.1f ms  (%u matches, whole offline search)\n", text, ms[2], hits);
	else
		printf("  %-36s %8.1f ms  (index lookup)\n", text, ms[2]);
	query_free(&q);
}

int
main(int argc, char **argv)
{
	guint32 n = argc > 1 ? (guint32)strtoul(argv[1], NULL, 10) : 100000;
	char *dir = g_dir_make_tmp("tern-bench-fts-XXXXXX", NULL);
	char *path = g_build_filename(dir, "bench.db", NULL);
	struct store_folder f = { .uidvalidity = 1, .uidnext = n + 1 };
	struct store *s = NULL;
	GError *err = NULL;
	guint64 rows = 0, bytes = 0;
	gint64 t0;

	if (n == 0 || store_open(path, 0, &s, NULL, &err) < 0)
		die(err);
	if (store_folder_set(s, "INBOX", &f, &err) < 0)
		die(err);
	t0 = g_get_monotonic_time();
	fill_summaries(s, n);
	printf("bench-fts: %u messages, 1 KiB of text each\n", n);
	printf("  store_messages_put (headers indexed): %.1f s\n",
	       (double)(g_get_monotonic_time() - t0) / 1e6);
	store_free(&s);
	t0 = g_get_monotonic_time();
	fill_bodies(path, n);
	printf("  body text into the index:             %.1f s\n",
	       (double)(g_get_monotonic_time() - t0) / 1e6);
	if (store_open(path, 0, &s, NULL, &err) < 0)
		die(err);
	measure(s, "body:xylophonist", false);
	measure(s, "body:quarterly", false);
	measure(s, "body:\"quarterly report\"", false);
	measure(s, "body:kalo", false);
	measure(s, "body:ka", false);
	measure(s, "body:xylophonist", true);
	measure(s, "text:\"number 4242\"", true);
	if (store_text_index_size(s, &rows, &bytes, &err) < 0)
		die(err);
	printf("  index: %" G_GUINT64_FORMAT " rows, %" G_GUINT64_FORMAT
	       " bytes (FTS tables), %.0f bytes per message\n",
	       rows, bytes, rows > 0 ? (double)bytes / (double)rows : 0.0);
	store_free(&s);
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			fprintf(stderr, "bench-fts: could not remove %s\n", dir);
		g_free(cmd);
	}
	g_free(path);
	g_free(dir);
	return 0;
}

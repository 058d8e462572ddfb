/* tern — tests for core/imap/client against the scripted fake server
 * (tests/fake/fake-imapd.py) on 127.0.0.1: what client.h promises about
 * callbacks (never inside the call, none after free, the pending answers
 * before the end of the connection), reconnecting with a new client, and
 * the memory a hostile EXISTS may cost. */
#include "config.h"
#include "core/common.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "core/config/config.h"
#include "core/imap/client.h"
#include "core/log.h"
#include "core/model/query.h"

#define RUN_LIMIT_S 5 /* no test should wait longer for anything */

/* ---- the fake server (one connection per process) ---- */

struct fake {
	GSubprocess *proc;
	guint16 port;
	char *script;
};

static struct fake *
fake_start(const char *script)
{
	struct fake *f = g_new0(struct fake, 1);
	char *py = g_test_build_filename(G_TEST_DIST, "tests", "fake", "fake-imapd.py", NULL);
	GError *error = NULL;
	GDataInputStream *out;
	char *line;
	int fd = g_file_open_tmp("tern-fake-XXXXXX.script", &f->script, &error);

	g_assert_no_error(error);
	close(fd);
	g_file_set_contents(f->script, script, -1, &error);
	g_assert_no_error(error);
	f->proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "python3", py,
				   "--timeout", "5", f->script, NULL);
	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->proc));
	line = g_data_input_stream_read_line(out, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "PORT "));
	f->port = (guint16)atoi(line + 5);
	g_free(line);
	g_object_unref(out);
	g_free(py);
	return f;
}

/* Wait for the server to exit; returns its exit status (0: the client did
 * what the script expected). */
static int
fake_finish(struct fake **fp)
{
	struct fake *f = *fp;
	GError *error = NULL;
	int st;

	g_subprocess_wait(f->proc, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(f->proc));
	st = g_subprocess_get_exit_status(f->proc);
	g_object_unref(f->proc);
	unlink(f->script);
	g_free(f->script);
	g_free(f);
	*fp = NULL;
	return st;
}

/* Greeting and LOGIN, as every script starts. */
#define LOGIN_SCRIPT                                                                               \
	"S: * OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE ESEARCH] fake ready\n"                   \
	"C~ \\S+ LOGIN \\S+ \\S+\n"                                                                \
	"S: $TAG OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE ESEARCH] logged in\n"

/* ---- a client and a record of every callback ---- */

struct tctx {
	struct account account;
	struct imap_client *c;
	bool in_call;          /* a client call is running: no callback may fire */
	int inside;            /* callbacks that fired inside a call */
	int connected;         /* connect answers */
	enum tern_status conn_st;
	int answers;           /* operation answers */
	GString *order;        /* one letter per callback: a = answer, C = CLOSED */
	int closed;
	int alerts;
	enum tern_status last_st;
	bool free_on_closed;   /* free the client from the CLOSED event */
	struct imap_mailbox_info info;
	guint summaries;
	GArray *expunged;      /* the UID of each EXPUNGE event (guint32) */
	GArray *map_events;    /* struct map_event: each EXPUNGE and FLAGS event, in order */
	gint64 first_expunge_us, last_expunge_us; /* monotonic time of the first and last EXPUNGE */
};

/* What the sequence-number map answered: an EXPUNGE's UID ('x') or the
 * UID of a flag update that came without one ('f'). */
struct map_event {
	char kind;
	guint32 seq, uid;
};

static void
note(struct tctx *t, char what)
{
	if (t->in_call)
		t->inside++;
	g_string_append_c(t->order, what);
}

static void
note_map_event(struct tctx *t, const struct imap_event *ev)
{
	struct map_event me = { ev->type == IMAP_EVENT_EXPUNGE ? 'x' : 'f', ev->seq,
				ev->summary->uid };

	if (t->map_events == NULL)
		t->map_events = g_array_new(FALSE, FALSE, sizeof(struct map_event));
	g_array_append_val(t->map_events, me);
	if (me.kind != 'x')
		return;
	t->last_expunge_us = g_get_monotonic_time();
	if (t->first_expunge_us == 0)
		t->first_expunge_us = t->last_expunge_us;
}

static void
on_event(struct imap_client *c, const struct imap_event *ev, void *ud)
{
	struct tctx *t = ud;

	if (ev->type == IMAP_EVENT_ALERT) {
		t->alerts++;
		return;
	}
	if (ev->type == IMAP_EVENT_EXPUNGE || ev->type == IMAP_EVENT_FLAGS)
		note_map_event(t, ev);
	if (ev->type == IMAP_EVENT_EXPUNGE) {
		if (t->expunged == NULL)
			t->expunged = g_array_new(FALSE, FALSE, sizeof(guint32));
		g_array_append_val(t->expunged, ev->summary->uid);
		return;
	}
	if (ev->type != IMAP_EVENT_CLOSED)
		return;
	note(t, 'C');
	t->closed++;
	if (t->free_on_closed)
		imap_client_free(&t->c); /* client.h: allowed from CLOSED */
}

static void
on_connect(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct tctx *t = ud;

	note(t, 'c');
	t->connected++;
	t->conn_st = st;
}

static void
answer(struct tctx *t, enum tern_status st)
{
	note(t, 'a');
	t->answers++;
	t->last_st = st;
}

static void
on_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	answer(ud, st);
}

static void
on_copy(struct imap_client *c, enum tern_status st, const char *detail,
	const struct imap_copy_result *r, void *ud)
{
	answer(ud, st);
}

static void
on_select(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_mailbox_info *info, void *ud)
{
	struct tctx *t = ud;

	if (info != NULL)
		t->info = *info;
	answer(t, st);
}

static void
on_folders(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *f,
	   void *ud)
{
	answer(ud, st);
}

static void
on_uids(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids, void *ud)
{
	answer(ud, st);
}

static void
on_body(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data, void *ud)
{
	answer(ud, st);
}

static void
on_structure(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *parts,
	     void *ud)
{
	answer(ud, st);
}

static void
on_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct tctx *t = ud;

	if (t->in_call)
		t->inside++;
	t->summaries += n;
}

static gboolean
wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* Turn the loop until cond, for secs at most. */
#define RUN_UNTIL_FOR(cond, secs)                                                                  \
	do {                                                                                       \
		gint64 d_ = g_get_monotonic_time() + (secs) * G_USEC_PER_SEC;                      \
		guint w_ = g_timeout_add(20, wake, NULL);                                          \
		while (!(cond) && g_get_monotonic_time() < d_)                                     \
			g_main_context_iteration(NULL, TRUE);                                      \
		g_source_remove(w_);                                                               \
		g_assert_true(cond);                                                               \
	} while (0)
#define RUN_UNTIL(cond) RUN_UNTIL_FOR(cond, RUN_LIMIT_S)

/* Turn the loop for a while (for what must NOT happen). */
static void
run_for_ms(int ms)
{
	gint64 d = g_get_monotonic_time() + ms * 1000;
	guint w = g_timeout_add(10, wake, NULL);

	while (g_get_monotonic_time() < d)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(w);
}

static struct tctx *
tctx_new(struct fake *f)
{
	static const struct imap_client_callbacks cb = { .event = on_event };
	struct tctx *t = g_new0(struct tctx, 1);

	t->account.name = (char *)"test";
	t->account.host = (char *)"127.0.0.1";
	t->account.port = f->port;
	t->account.tls = CONFIG_TLS_NONE;
	t->account.user = (char *)"me";
	t->account.auth = CONFIG_AUTH_LOGIN;
	t->account.timeout = 5;
	t->order = g_string_new(NULL);
	t->c = imap_client_new(&t->account, "secret", &cb, t);
	return t;
}

static void
tctx_connect(struct tctx *t)
{
	t->in_call = true;
	imap_client_connect(t->c, on_connect, t);
	t->in_call = false;
	RUN_UNTIL(t->connected == 1);
	g_assert_cmpint(t->conn_st, ==, TERN_OK);
	g_string_truncate(t->order, 0);
}

static void
tctx_free(struct tctx **tp)
{
	struct tctx *t = *tp;

	imap_client_free(&t->c);
	run_for_ms(20); /* let GIO finish its cancelled work */
	g_string_free(t->order, TRUE);
	if (t->expunged != NULL)
		g_array_unref(t->expunged);
	if (t->map_events != NULL)
		g_array_unref(t->map_events);
	g_free(t);
	*tp = NULL;
}

static GArray *
uids_of(guint32 a, guint32 b)
{
	GArray *u = g_array_new(FALSE, FALSE, sizeof(guint32));

	g_array_append_val(u, a);
	g_array_append_val(u, b);
	return u;
}

/* Every kind of call, each expecting one answer. Returns how many. */
static int
call_everything(struct tctx *t)
{
	static const char *const seen[] = { "\\Seen", NULL };
	struct query_token all = { .type = QUERY_TOK_ATOM, .text = (char *)"ALL" };
	GPtrArray *tokens = g_ptr_array_new();
	GArray *uids = uids_of(3, 7);
	GBytes *msg = g_bytes_new_static("Subject: x\r\n\r\nhi\r\n", 18);
	int n = 0;

	g_ptr_array_add(tokens, &all);
	t->in_call = true;
	imap_client_store(t->c, uids, true, seen, on_done, t), n++;
	imap_client_copy(t->c, uids, "Archive", false, on_copy, t), n++;
	imap_client_copy(t->c, uids, "Archive", true, on_copy, t), n++;
	imap_client_expunge(t->c, uids, on_done, t), n++;
	imap_client_select(t->c, "INBOX", false, on_select, t), n++;
	imap_client_list_folders(t->c, true, on_folders, t), n++;
	imap_client_fetch_summaries(t->c, "1:*", on_batch, on_done, t), n++;
	imap_client_fetch_summaries_seq(t->c, "1:*", on_batch, on_done, t), n++;
	imap_client_fetch_flags(t->c, "1:*", 0, on_batch, on_done, t), n++;
	imap_client_search(t->c, tokens, false, on_uids, t), n++;
	imap_client_fetch_body(t->c, 3, "", false, on_body, t), n++;
	imap_client_fetch_head(t->c, 3, 1024, false, on_body, t), n++;
	imap_client_fetch_structure(t->c, 3, on_structure, t), n++;
	imap_client_append(t->c, "INBOX", NULL, msg, on_copy, t), n++;
	imap_client_store_range(t->c, 1, 500, true, seen, on_done, t), n++;
	/* answered without the server (arguments refused, nothing to do) */
	imap_client_fetch_body(t->c, 0, "", false, on_body, t), n++;
	imap_client_fetch_structure(t->c, 0, on_structure, t), n++;
	imap_client_store(t->c, uids, true, NULL, on_done, t), n++;
	imap_client_store_range(t->c, 0, 5, true, seen, on_done, t), n++;
	imap_client_store_range(t->c, 9, 5, true, seen, on_done, t), n++;
	imap_client_fetch_summaries(t->c, "1:x", on_batch, on_done, t), n++;
	t->in_call = false;
	g_bytes_unref(msg);
	g_array_unref(uids);
	g_ptr_array_unref(tokens);
	return n;
}

/* ---- tests ---- */

/* A session that already failed: each call answers once, from the loop,
 * never inside the call (the old code freed the STORE and COPY ops inside
 * the call and then wrote to them: a heap use-after-free under ASan). */
static void
test_call_after_failure(void)
{
	struct fake *f = fake_start(LOGIN_SCRIPT "CLOSE\n");
	struct tctx *t = tctx_new(f);
	int n;

	tctx_connect(t);
	RUN_UNTIL(t->closed == 1);
	n = call_everything(t);
	g_assert_cmpint(t->inside, ==, 0);
	g_assert_cmpint(t->answers, ==, 0);
	RUN_UNTIL(t->answers == n);
	run_for_ms(50);
	g_assert_cmpint(t->answers, ==, n); /* exactly once each */
	g_assert_cmpint(t->inside, ==, 0);
	g_assert_cmpint(t->closed, ==, 1);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* The same calls before the failure, then the server goes away: every
 * operation is answered (TERN_ERR_CONN), and only then the CLOSED event,
 * from whose callback the client may be freed. */
static void
test_lost_answers_then_closed(void)
{
	struct fake *f = fake_start(LOGIN_SCRIPT
				    "C~ \\S+ UID STORE 3,7 \\+FLAGS.SILENT \\(\\\\Seen\\)\n"
				    "CLOSE\n");
	struct tctx *t = tctx_new(f);
	int n;

	tctx_connect(t);
	n = call_everything(t);
	g_assert_cmpint(t->inside, ==, 0);
	t->free_on_closed = true;
	RUN_UNTIL(t->closed == 1);
	g_assert_null(t->c);
	g_assert_cmpint(t->answers, ==, n);
	/* n answers, then the end */
	g_assert_cmpuint(t->order->len, ==, (guint)n + 1);
	g_assert_true(strchr(t->order->str, 'C') == t->order->str + n);
	run_for_ms(50);
	g_assert_cmpint(t->answers, ==, n);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* Free with commands in flight, queued, and answers waiting on the loop:
 * no callback fires, inside free or after it (client.h). */
static void
test_free_in_flight(void)
{
	struct fake *f = fake_start(LOGIN_SCRIPT "C~ \\S+ UID STORE .*\n"
				    "S: * OK [ALERT] got it\n"
				    "EXPECT_EOF\n");
	struct tctx *t = tctx_new(f);
	int answered;

	tctx_connect(t);
	call_everything(t);
	RUN_UNTIL(t->alerts == 1); /* the STORE is in flight, the rest queued */
	/* what was answered without the server may have come already */
	answered = t->answers;
	g_string_truncate(t->order, 0);
	/* and one more whose answer waits for the loop */
	imap_client_fetch_body(t->c, 0, "", false, on_body, t);
	t->in_call = true;
	imap_client_free(&t->c);
	t->in_call = false;
	g_assert_null(t->c);
	g_assert_cmpint(t->inside, ==, 0);
	run_for_ms(100);
	g_assert_cmpint(t->answers, ==, answered);
	g_assert_cmpint(t->closed, ==, 0);
	g_assert_cmpuint(t->order->len, ==, 0);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* PREVIEW: asked with LAZY in the summaries where offered; NIL stays
 * unknown; imap_client_fetch_previews() asks without LAZY and reports the
 * UIDs it asked for only (a hostile server's answer for another UID is
 * dropped), with a 100 KB preview cut at 256 characters. */
static GPtrArray *previews_got;

static void
on_summaries_preview(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(previews_got, g_strdup_printf("%u=%s", batch[i].uid,
							      batch[i].preview != NULL ?
							      batch[i].preview : "(null)"));
	on_batch(c, batch, n, ud);
}

static void
on_preview(struct imap_client *c, guint32 uid, const char *preview, void *ud)
{
	g_ptr_array_add(previews_got, g_strdup_printf("%u:%zu:%.10s", uid,
						      (size_t)g_utf8_strlen(preview, -1), preview));
}

#define PREVIEW_CAPS "IMAP4rev1 UIDPLUS PREVIEW"

static void
test_previews(void)
{
	GString *big = g_string_new(NULL);
	char *script;
	struct fake *f;
	struct tctx *t;

	for (int i = 0; i < 100000; i++)
		g_string_append_c(big, (char)('a' + i % 26));
	script = g_strdup_printf(
		"S: * OK [CAPABILITY " PREVIEW_CAPS "] fake ready\n"
		"C~ \\S+ LOGIN \\S+ \\S+\n"
		"S: $TAG OK [CAPABILITY " PREVIEW_CAPS "] logged in\n"
		"C~ \\S+ SELECT INBOX\n"
		"S: * 2 EXISTS\n"
		"S: * OK [UIDVALIDITY 7] ok\n"
		"S: $TAG OK [READ-WRITE] selected\n"
		"C~ \\S+ FETCH 1:\\* \\(UID FLAGS .*HEADER\\.FIELDS .* PREVIEW \\(LAZY\\)\\)\n"
		"S: * 1 FETCH (UID 5 FLAGS () INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" "
		"RFC822.SIZE 10 ENVELOPE (NIL \"one\" NIL NIL NIL NIL NIL NIL NIL \"<1@x>\") "
		"PREVIEW NIL)\n"
		"S: * 2 FETCH (UID 6 FLAGS () INTERNALDATE \"01-Jan-2024 11:00:00 +0000\" "
		"RFC822.SIZE 10 ENVELOPE (NIL \"two\" NIL NIL NIL NIL NIL NIL NIL \"<2@x>\") "
		"PREVIEW \"Hi there\")\n"
		"S: $TAG OK fetched\n"
		"C~ \\S+ UID FETCH 5 \\(UID PREVIEW\\)\n"
		"S: * 2 FETCH (UID 6 PREVIEW \"stolen\")\n"
		"S: * 9 FETCH (UID 77 PREVIEW \"not asked\")\n"
		"S: * 1 FETCH (UID 5 PREVIEW {%zu}\n"
		"S: %s)\n"
		"S: $TAG OK fetched\n"
		"C~ \\S+ LOGOUT\n"
		"S: * BYE bye\n"
		"S: $TAG OK bye\n",
		big->len, big->str);
	f = fake_start(script);
	t = tctx_new(f);
	previews_got = g_ptr_array_new_with_free_func(g_free);
	tctx_connect(t);
	g_assert_true(imap_client_has_preview(t->c));
	imap_client_set_preview(t->c, IMAP_PREVIEW_LAZY);
	imap_client_select(t->c, "INBOX", false, on_select, t);
	imap_client_fetch_summaries_seq(t->c, "1:*", on_summaries_preview, on_done, t);
	RUN_UNTIL(t->answers == 2);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	g_assert_cmpuint(previews_got->len, ==, 2);
	g_assert_cmpstr(previews_got->pdata[0], ==, "5=(null)");
	g_assert_cmpstr(previews_got->pdata[1], ==, "6=Hi there");
	g_ptr_array_set_size(previews_got, 0);
	imap_client_fetch_previews(t->c, "5", on_preview, on_done, t);
	RUN_UNTIL(t->answers == 3);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	g_assert_cmpuint(previews_got->len, ==, 1);
	g_assert_cmpstr(previews_got->pdata[0], ==, "5:256:abcdefghij");
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 4);
	g_assert_cmpint(t->inside, ==, 0);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_ptr_array_unref(previews_got);
	g_string_free(big, TRUE);
	g_free(script);
}

/* Without PREVIEW offered: summaries do not ask for it, and
 * imap_client_fetch_previews() sends nothing and answers TERN_OK. */
static void
test_previews_not_offered(void)
{
	struct fake *f = fake_start(LOGIN_SCRIPT "C~ \\S+ SELECT INBOX\n"
				    "S: * 1 EXISTS\n"
				    "S: * OK [UIDVALIDITY 7] ok\n"
				    "S: $TAG OK [READ-WRITE] selected\n"
				    "C~ \\S+ FETCH 1:\\* \\((?!.*PREVIEW)UID FLAGS .*\\)\n"
				    "S: $TAG OK fetched\n"
				    "C~ \\S+ LOGOUT\n"
				    "S: * BYE bye\n"
				    "S: $TAG OK bye\n");
	struct tctx *t = tctx_new(f);

	previews_got = g_ptr_array_new_with_free_func(g_free);
	tctx_connect(t);
	imap_client_set_preview(t->c, IMAP_PREVIEW_LAZY);
	g_assert_false(imap_client_has_preview(t->c));
	imap_client_select(t->c, "INBOX", false, on_select, t);
	imap_client_fetch_summaries_seq(t->c, "1:*", on_batch, on_done, t);
	t->in_call = true;
	imap_client_fetch_previews(t->c, "1", on_preview, on_done, t);
	t->in_call = false;
	RUN_UNTIL(t->answers == 3);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	g_assert_cmpuint(previews_got->len, ==, 0);
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 4);
	g_assert_cmpint(t->inside, ==, 0);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_ptr_array_unref(previews_got);
}

/* The connection drops with SELECT in flight; the owner frees the client
 * from CLOSED and connects a new one, which works. */
static void
test_reconnect(void)
{
	struct fake *f1 = fake_start(LOGIN_SCRIPT "C~ \\S+ SELECT INBOX\n"
				     "CLOSE\n");
	struct fake *f2 = fake_start(LOGIN_SCRIPT "C~ \\S+ SELECT INBOX\n"
				     "S: * 2 EXISTS\n"
				     "S: * OK [UIDVALIDITY 7] ok\n"
				     "S: * OK [UIDNEXT 900001] ok\n"
				     "S: $TAG OK [READ-WRITE] selected\n"
				     "C~ \\S+ FETCH 1:\\* \\(UID FLAGS .*\n"
				     "S: * 1 FETCH (UID 5 FLAGS (\\Seen) INTERNALDATE "
				     "\"01-Jan-2024 10:00:00 +0000\" RFC822.SIZE 10 ENVELOPE "
				     "(NIL \"one\" NIL NIL NIL NIL NIL NIL NIL \"<1@x>\"))\n"
				     "S: * 2 FETCH (UID 900000 FLAGS () INTERNALDATE "
				     "\"01-Jan-2024 11:00:00 +0000\" RFC822.SIZE 10 ENVELOPE "
				     "(NIL \"two\" NIL NIL NIL NIL NIL NIL NIL \"<2@x>\"))\n"
				     "S: $TAG OK fetched\n"
				     "C~ \\S+ LOGOUT\n"
				     "S: * BYE bye\n"
				     "S: $TAG OK bye\n");
	struct tctx *t = tctx_new(f1);
	struct tctx *t2;

	tctx_connect(t);
	t->in_call = true;
	imap_client_select(t->c, "INBOX", false, on_select, t);
	t->in_call = false;
	t->free_on_closed = true;
	RUN_UNTIL(t->closed == 1);
	g_assert_cmpstr(t->order->str, ==, "aC");
	g_assert_cmpint(t->last_st, ==, TERN_ERR_CONN);
	g_assert_cmpint(t->inside, ==, 0);

	t2 = tctx_new(f2);
	tctx_connect(t2);
	t2->in_call = true;
	imap_client_select(t2->c, "INBOX", false, on_select, t2);
	/* by sequence number: one command for the whole folder */
	imap_client_fetch_summaries_seq(t2->c, "1:*", on_batch, on_done, t2);
	t2->in_call = false;
	RUN_UNTIL(t2->answers == 2);
	g_assert_cmpint(t2->last_st, ==, TERN_OK);
	g_assert_cmpuint(t2->info.exists, ==, 2);
	g_assert_cmpuint(t2->info.uidnext, ==, 900001);
	g_assert_cmpuint(t2->summaries, ==, 2);
	t2->in_call = true;
	imap_client_logout(t2->c, on_done, t2);
	t2->in_call = false;
	RUN_UNTIL(t2->answers == 3);
	g_assert_cmpint(t2->inside, ==, 0);
	tctx_free(&t2);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f1), ==, 0);
	g_assert_cmpint(fake_finish(&f2), ==, 0);
}

/* A whole folder's flag change is one command on a UID range, whatever
 * the number of messages; a range ending in IMAP_SEQ_STAR (0) is "N:*";
 * an empty range sends nothing and is answered OK, from the loop. */
static void
test_store_range(void)
{
	static const char *const seen[] = { "\\Seen", NULL };
	struct fake *f = fake_start(LOGIN_SCRIPT
				    "C~ \\S+ UID STORE 1:100000 \\+FLAGS.SILENT \\(\\\\Seen\\)\n"
				    "S: $TAG OK stored\n"
				    "C~ \\S+ UID STORE 7:\\* -FLAGS.SILENT \\(\\\\Seen\\)\n"
				    "S: $TAG OK stored\n"
				    "C~ \\S+ LOGOUT\n"
				    "S: * BYE bye\n"
				    "S: $TAG OK bye\n");
	struct tctx *t = tctx_new(f);

	tctx_connect(t);
	t->in_call = true;
	imap_client_store_range(t->c, 1, 100000, true, seen, on_done, t);
	imap_client_store_range(t->c, 5, 1, true, seen, on_done, t);
	imap_client_store_range(t->c, 7, 0, false, seen, on_done, t);
	t->in_call = false;
	RUN_UNTIL(t->answers == 3);
	g_assert_cmpint(t->inside, ==, 0);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 4);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

static long
max_rss_kb(void)
{
	struct rusage ru;

	g_assert_cmpint(getrusage(RUSAGE_SELF, &ru), ==, 0);
	return ru.ru_maxrss;
}

/* One "* 60000000 EXISTS" line (and a FETCH for a sequence number near it)
 * costs no memory in proportion: the old map allocated 4 bytes per
 * announced message, about 240 MB here. Runs first, while the peak RSS is
 * still this test's own. */
static void
test_huge_exists(void)
{
	struct fake *f = fake_start(LOGIN_SCRIPT "C~ \\S+ SELECT INBOX\n"
				    "S: * 60000000 EXISTS\n"
				    "S: * OK [UIDVALIDITY 7] ok\n"
				    "S: * OK [UIDNEXT 60000001] ok\n"
				    "S: $TAG OK [READ-WRITE] selected\n"
				    "C~ \\S+ UID FETCH 1 \\(UID FLAGS\\)\n"
				    "S: * 60000001 EXISTS\n"
				    "S: * 59999999 FETCH (UID 59999999 FLAGS ())\n"
				    "S: * 1 FETCH (UID 1 FLAGS ())\n"
				    "S: $TAG OK done\n"
				    "C~ \\S+ LOGOUT\n"
				    "S: * BYE bye\n"
				    "S: $TAG OK bye\n");
	struct tctx *t = tctx_new(f);
	long before = max_rss_kb(), grew;

	tctx_connect(t);
	imap_client_select(t->c, "INBOX", false, on_select, t);
	RUN_UNTIL(t->answers == 1);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	g_assert_cmpuint(t->info.exists, ==, 60000000);
	imap_client_fetch_flags(t->c, "1", 0, on_batch, on_done, t);
	RUN_UNTIL(t->answers == 2);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 3);
	grew = max_rss_kb() - before;
	g_test_message("peak RSS grew by %ld kB", grew);
	g_assert_cmpint(grew, <, 32 * 1024);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* The sequence-number map learnt the way a folder is loaded, newest
 * first, one range below the other (each range ascending), then VANISHED
 * and EXPUNGE: each EXPUNGE names the UID that held its sequence number
 * after what went before it (the map widens downwards by more than a
 * range, and a VANISHED set goes in one pass). */
static void assert_uids(GArray *got, const guint32 *want, guint n);

static void
test_map_ranges_vanished(void)
{
	GString *script = g_string_new(LOGIN_SCRIPT "C~ \\S+ SELECT INBOX\n"
				       "S: * 300 EXISTS\n"
				       "S: * OK [UIDVALIDITY 7] ok\n"
				       "S: * OK [UIDNEXT 1301] ok\n"
				       "S: $TAG OK [READ-WRITE] selected\n"
				       "C~ \\S+ UID FETCH 1:\\* \\(UID FLAGS\\)\n");
	static const guint32 want[] = { 1002, 1152, 1293, 1001 };
	struct fake *f;
	struct tctx *t;

	for (guint top = 300; top > 0; top -= 50)
		for (guint seq = top - 49; seq <= top; seq++)
			g_string_append_printf(script, "S: * %u FETCH (UID %u FLAGS ())\n", seq,
					       1000 + seq);
	g_string_append(script, "S: $TAG OK done\n"
				"C~ \\S+ UID FETCH 1 \\(UID FLAGS\\)\n"
				"S: * VANISHED 1003,1100:1149\n"
				"S: * 2 EXPUNGE\n"
				"S: * 100 EXPUNGE\n"
				"S: * 240 EXPUNGE\n"
				"S: * 1 EXPUNGE\n"
				"S: $TAG OK done\n"
				"C~ \\S+ LOGOUT\n"
				"S: * BYE bye\n"
				"S: $TAG OK bye\n");
	f = fake_start(script->str);
	t = tctx_new(f);
	tctx_connect(t);
	imap_client_select(t->c, "INBOX", false, on_select, t);
	RUN_UNTIL(t->answers == 1);
	imap_client_fetch_flags(t->c, "1:*", 0, on_batch, on_done, t);
	RUN_UNTIL(t->answers == 2);
	g_assert_cmpuint(t->summaries, ==, 300);
	imap_client_fetch_flags(t->c, "1", 0, on_batch, on_done, t);
	RUN_UNTIL(t->answers == 3);
	g_assert_nonnull(t->expunged);
	assert_uids(t->expunged, want, TERN_ARRAY_LEN(want));
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 4);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_string_free(script, TRUE);
}

/* ---- the sequence-number map against a naive model ---- */

/* client.c's MSGMAP_SLACK: the room the map keeps beyond twice what it
 * learned. */
#define NAIVE_SLACK (64u * 1024)

/* The map as it was before an EXPUNGE only marked its slot: one array,
 * each EXPUNGE a g_array_remove_index(); the same window, the same bound,
 * the same widening downwards. */
struct naive_map {
	GArray *u; /* guint32 */
	guint32 base;
	guint learned;
};

static guint32
naive_uid(const struct naive_map *m, guint32 seq)
{
	if (seq < m->base || seq - m->base >= m->u->len)
		return 0;
	return g_array_index(m->u, guint32, seq - m->base);
}

static bool
naive_reach(struct naive_map *m, guint32 seq)
{
	guint len = m->u->len;
	guint64 want, room = 2 * ((guint64)m->learned + 1) + NAIVE_SLACK;

	if (len == 0) {
		m->base = seq;
		g_array_set_size(m->u, 1);
		return true;
	}
	if (seq >= m->base && seq - m->base < len)
		return true;
	want = seq > m->base ? (guint64)seq - m->base + 1 : (guint64)m->base - seq + len;
	if (want > room)
		return false;
	if (seq < m->base) {
		guint64 gap = MIN(MIN(MAX((guint64)m->base - seq, (guint64)len / 2), room - len),
				  (guint64)m->base - 1);

		guint32 *zeros = g_new0(guint32, gap);

		g_array_prepend_vals(m->u, zeros, (guint)gap);
		g_free(zeros);
		m->base -= (guint32)gap;
		return true;
	}
	g_array_set_size(m->u, (guint)want);
	return true;
}

static void
naive_learn(struct naive_map *m, guint32 seq, guint32 uid)
{
	if (!naive_reach(m, seq))
		return;
	if (g_array_index(m->u, guint32, seq - m->base) == 0)
		m->learned++;
	g_array_index(m->u, guint32, seq - m->base) = uid;
}

static guint32
naive_expunge(struct naive_map *m, guint32 seq)
{
	guint32 uid = naive_uid(m, seq);

	if (seq < m->base) {
		m->base--;
	} else if (seq - m->base < m->u->len) {
		if (uid != 0)
			m->learned--;
		g_array_remove_index(m->u, seq - m->base);
	}
	return uid;
}

/* VANISHED uids (any order): the known ones go. */
static void
naive_vanished(struct naive_map *m, const GArray *uids)
{
	for (guint i = 0; i < m->u->len;) {
		guint32 u = g_array_index(m->u, guint32, i);
		bool gone = false;

		for (guint j = 0; j < uids->len && u != 0; j++)
			gone = gone || g_array_index(uids, guint32, j) == u;
		if (gone) {
			m->learned--;
			g_array_remove_index(m->u, i);
		} else {
			i++;
		}
	}
}

/* One round's script and what the client should answer: the folder as
 * the server has it (truth), the model, and the events expected. */
struct map_gen {
	GRand *r;
	GString *script;
	GArray *folder; /* guint32: the UID of each sequence number, 1-based */
	struct naive_map m;
	GArray *want;   /* struct map_event */
	guint32 next_uid;
};

static void
gen_want(struct map_gen *g, char kind, guint32 seq, guint32 uid)
{
	struct map_event e = { kind, seq, uid };

	/* The model itself never names a UID the folder does not have there. */
	if (uid != 0)
		g_assert_cmpuint(uid, ==, g_array_index(g->folder, guint32, seq - 1));
	g_array_append_val(g->want, e);
}

static void
gen_learn(struct map_gen *g, guint32 seq)
{
	guint32 uid = g_array_index(g->folder, guint32, seq - 1);

	g_string_append_printf(g->script, "S: * %u FETCH (UID %u)\n", seq, uid);
	naive_learn(&g->m, seq, uid);
}

static void
gen_lookup(struct map_gen *g, guint32 seq)
{
	g_string_append_printf(g->script, "S: * %u FETCH (FLAGS ())\n", seq);
	gen_want(g, 'f', seq, naive_uid(&g->m, seq));
}

static void
gen_expunge(struct map_gen *g, guint32 seq)
{
	g_string_append_printf(g->script, "S: * %u EXPUNGE\n", seq);
	gen_want(g, 'x', seq, naive_expunge(&g->m, seq));
	g_array_remove_index(g->folder, seq - 1);
}

static void
gen_exists(struct map_gen *g)
{
	for (gint n = g_rand_int_range(g->r, 1, 20); n > 0; n--) {
		g_array_append_val(g->folder, g->next_uid);
		g->next_uid += (guint32)g_rand_int_range(g->r, 1, 4);
	}
	g_string_append_printf(g->script, "S: * %u EXISTS\n", g->folder->len);
}

static gint
uid_order(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

/* Some UIDs the map knows (a run of neighbours now and then) and one the
 * folder never had. */
static void
gen_vanished(struct map_gen *g)
{
	GArray *gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 bogus = g->next_uid + 1000;

	g_array_append_val(gone, bogus);
	for (gint n = g_rand_int_range(g->r, 1, 8); n > 0 && g->m.u->len > 0; n--) {
		guint i = (guint)g_rand_int_range(g->r, 0, (gint32)g->m.u->len);
		guint run = g_rand_boolean(g->r) ? 1 : (guint)g_rand_int_range(g->r, 2, 30);

		for (; run > 0 && i < g->m.u->len; run--, i++)
			if (g_array_index(g->m.u, guint32, i) != 0)
				g_array_append_val(gone, g_array_index(g->m.u, guint32, i));
	}
	g_array_sort(gone, uid_order);
	g_string_append(g->script, "S: * VANISHED ");
	for (guint i = 0; i < gone->len; i++) {
		guint32 u = g_array_index(gone, guint32, i);

		if (i > 0 && u == g_array_index(gone, guint32, i - 1))
			continue;
		g_string_append_printf(g->script, "%s%u", i > 0 ? "," : "", u);
		for (guint j = 0; j < g->folder->len; j++)
			if (g_array_index(g->folder, guint32, j) == u) {
				g_array_remove_index(g->folder, j);
				break;
			}
	}
	g_string_append_c(g->script, '\n');
	naive_vanished(&g->m, gone);
	g_array_unref(gone);
}

/* A sequence number just inside or just outside the map's bound, above
 * or below its window (where a wrong count of the UIDs learned shows),
 * or 0 when that is not in the folder. */
static guint32
gen_edge_seq(struct map_gen *g)
{
	gint64 room = 2 * ((gint64)g->m.learned + 1) + NAIVE_SLACK;
	gint64 seq = g_rand_boolean(g->r) ? (gint64)g->m.base + room - 1
					  : (gint64)g->m.base + g->m.u->len - room;

	seq += g_rand_int_range(g->r, -2, 3);
	return seq >= 1 && seq <= g->folder->len ? (guint32)seq : 0;
}

/* A sequence number of the folder, mostly near the model's window. */
static guint32
gen_seq(struct map_gen *g)
{
	guint32 n = g->folder->len, lo, hi, edge;

	if (g_rand_int_range(g->r, 0, 10) == 0 && (edge = gen_edge_seq(g)) != 0)
		return edge;
	if (g_rand_int_range(g->r, 0, 5) == 0 || g->m.u->len == 0)
		return (guint32)g_rand_int_range(g->r, 1, (gint32)n + 1);
	lo = g->m.base > 5 ? g->m.base - 5 : 1;
	hi = MIN(n, g->m.base + g->m.u->len + 5);
	if (lo > hi)
		lo = hi;
	return (guint32)g_rand_int_range(g->r, (gint32)lo, (gint32)hi + 1);
}

/* A storm: many EXPUNGEs in a row (the same sequence number, as a server
 * removing a block sends them, or scattered), a lookup now and then. */
static void
gen_storm(struct map_gen *g)
{
	guint32 same = gen_seq(g);
	bool scattered = g_rand_boolean(g->r);

	for (gint n = g_rand_int_range(g->r, 10, 150); n > 0 && g->folder->len > 0; n--) {
		guint32 seq = scattered ? gen_seq(g) : MIN(same, g->folder->len);

		gen_expunge(g, seq);
		if (g_rand_int_range(g->r, 0, 8) == 0 && g->folder->len > 0)
			gen_lookup(g, gen_seq(g));
	}
}

static void
gen_op(struct map_gen *g)
{
	gint dice = g_rand_int_range(g->r, 0, 100);

	if (g->folder->len == 0 || dice < 4) {
		gen_exists(g);
	} else if (dice < 8) {
		gen_vanished(g);
	} else if (dice < 12) {
		gen_storm(g);
	} else if (dice < 45) {
		gen_expunge(g, gen_seq(g));
	} else if (dice < 60) {
		gen_learn(g, gen_seq(g));
	} else if (dice < 70) {
		guint32 seq = gen_seq(g); /* whether it was kept */

		gen_learn(g, seq);
		gen_lookup(g, seq);
	} else {
		gen_lookup(g, gen_seq(g));
	}
}

/* The folder of a new SELECT and its first UIDs learnt, the way a folder
 * is loaded: ranges from the top down (each ascending) or from the bottom
 * up, with holes, from above sequence number 1. A big folder learnt in a
 * small part puts far sequence numbers beyond the map's bound. */
static void
gen_select(struct map_gen *g, bool big)
{
	guint32 n = (guint32)(big ? g_rand_int_range(g->r, 100000, 200000)
				  : g_rand_int_range(g->r, 20, 3000));
	guint32 lo, hi, chunk = (guint32)g_rand_int_range(g->r, 1, 80);
	bool down = g_rand_boolean(g->r);

	g_array_set_size(g->folder, 0);
	g->next_uid = (guint32)g_rand_int_range(g->r, 1, 500);
	for (guint32 i = 0; i < n; i++) {
		g_array_append_val(g->folder, g->next_uid);
		g->next_uid += (guint32)g_rand_int_range(g->r, 1, 4);
	}
	g_array_set_size(g->m.u, 0);
	g->m.base = 0;
	g->m.learned = 0;
	g_string_append_printf(g->script,
			       "C~ \\S+ SELECT INBOX\n"
			       "S: * %u EXISTS\n"
			       "S: $TAG OK [READ-WRITE] selected\n"
			       "C~ \\S+ UID FETCH 1 \\(UID FLAGS\\)\n",
			       n);
	lo = (guint32)g_rand_int_range(g->r, 2, (gint32)n + 1);
	hi = lo + (guint32)g_rand_int_range(g->r, 0, 2000); /* not in MIN(): drawn once */
	hi = MIN(n, hi);
	for (guint32 k = 0; k <= (hi - lo) / chunk; k++) {
		guint32 first = down ? hi - MIN(hi - lo, (k + 1) * chunk - 1) : lo + k * chunk;
		guint32 last = down ? hi - k * chunk : MIN(hi, first + chunk - 1);

		for (guint32 seq = first; seq <= last; seq++)
			if (g_rand_int_range(g->r, 0, 5) != 0)
				gen_learn(g, seq);
	}
}

static void
assert_map_events(const GArray *got, const GArray *want, guint round)
{
	guint n = got != NULL ? got->len : 0;

	for (guint i = 0; i < MIN(n, want->len); i++) {
		const struct map_event *a = &g_array_index(got, struct map_event, i);
		const struct map_event *b = &g_array_index(want, struct map_event, i);

		if (a->kind != b->kind || a->seq != b->seq || a->uid != b->uid)
			g_error("round %u, event %u: got %c %u uid %u, want %c %u uid %u", round,
				i, a->kind, a->seq, a->uid, b->kind, b->seq, b->uid);
	}
	g_assert_cmpuint(n, ==, want->len);
}

#define MAP_ROUNDS 40

/* Random maps (holes, base above 1, some beyond the bound) taken through
 * random interleavings of EXPUNGE (alone and in storms), FETCH with a UID,
 * flag updates without one (a lookup), VANISHED and EXISTS: every EXPUNGE
 * and every lookup names the UID the naive model names, step by step.
 * Each round is a new SELECT; the rounds are the same on every run. */
static void
test_map_model(void)
{
	GString *script = g_string_new(LOGIN_SCRIPT);
	GPtrArray *wants = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	struct map_gen g = { .r = g_rand_new_with_seed(20261204), .script = script };
	struct fake *f;
	struct tctx *t;

	g.folder = g_array_new(FALSE, FALSE, sizeof(guint32));
	g.m.u = g_array_new(FALSE, TRUE, sizeof(guint32));
	for (guint round = 0; round < MAP_ROUNDS; round++) {
		g.want = g_array_new(FALSE, FALSE, sizeof(struct map_event));
		gen_select(&g, round % 5 == 4);
		for (gint n = g_rand_int_range(g.r, 100, 600); n > 0; n--)
			gen_op(&g);
		g_string_append(script, "S: $TAG OK done\n");
		g_ptr_array_add(wants, g.want);
	}
	g_string_append(script, "C~ \\S+ LOGOUT\nS: * BYE bye\nS: $TAG OK bye\n");
	f = fake_start(script->str);
	t = tctx_new(f);
	tctx_connect(t);
	for (guint round = 0; round < MAP_ROUNDS; round++) {
		imap_client_select(t->c, "INBOX", false, on_select, t);
		RUN_UNTIL(t->answers == (int)(2 * round + 1));
		g_assert_cmpint(t->last_st, ==, TERN_OK);
		imap_client_fetch_flags(t->c, "1", 0, on_batch, on_done, t);
		RUN_UNTIL(t->answers == (int)(2 * round + 2));
		g_assert_cmpint(t->last_st, ==, TERN_OK);
		assert_map_events(t->map_events, g_ptr_array_index(wants, round), round);
		if (t->map_events != NULL)
			g_array_set_size(t->map_events, 0);
	}
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 2 * MAP_ROUNDS + 1);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_ptr_array_unref(wants);
	g_array_unref(g.folder);
	g_array_unref(g.m.u);
	g_rand_free(g.r);
	g_string_free(script, TRUE);
}

/* Turn the loop until cond, for as long as a big folder may take on a
 * loaded machine with the sanitizers. */
#define RUN_UNTIL_SLOW(cond) RUN_UNTIL_FOR(cond, 300)

/* The storm's folder: the UID of the message first at sequence number
 * seq (gaps between UIDs, as in a folder that lost some). */
static guint32
storm_uid(guint32 seq)
{
	return 3 * seq + 11;
}

/* Flag updates without a UID at a few sequence numbers of a folder whose
 * UIDs are survivors (1-based), each expected to name its UID. */
static void
storm_lookups(GString *script, GArray *want, const GArray *survivors)
{
	for (guint32 seq = 1; seq <= survivors->len; seq += MAX(1, survivors->len / 97)) {
		struct map_event e = { 'f', seq, g_array_index(survivors, guint32, seq - 1) };

		g_string_append_printf(script, "S: * %u FETCH (FLAGS ())\n", seq);
		g_array_append_val(want, e);
	}
}

/* What the storm cost, from client.c's debug log: one compaction (at the
 * FETCH past the map's end) that drops the k marked slots, after plain
 * EXPUNGEs that moved no more than 32 slots for each of the map's (its
 * MSGMAP_MOVES_PER_SLOT). The old map logged nothing and moved about
 * k * n / 2 slots (10^9 here). */
static void
assert_storm_cost(guint32 n, guint32 k)
{
	char *path = g_build_filename(g_get_user_cache_dir(), "tern", "tern.log", NULL);
	char *text = NULL;
	guint len = 0, left = 0, compactions = 0;
	guint64 moved = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	for (const char *at = text; (at = strstr(at, "sequence map: ")) != NULL; at++) {
		g_assert_cmpint(sscanf(at, "sequence map: %u slots compacted to %u, %" G_GUINT64_FORMAT,
				       &len, &left, &moved), ==, 3);
		compactions++;
	}
	g_test_message("the storm moved %" G_GUINT64_FORMAT " slots (%.1f per slot of the map), "
		       "then marked; %u compaction(s), %u slots to %u", moved, (double)moved / n,
		       compactions, len, left);
	g_assert_cmpuint(compactions, ==, 1);
	g_assert_cmpuint(left, ==, n - k);
	g_assert_cmpuint(moved, <=, 32 * (guint64)n);
	unlink(path);
	g_free(path);
	g_free(text);
}

/* K EXPUNGEs of messages at random places, lowest first (each one's
 * sequence number is its first one less those gone before it), from a
 * map of N that knows every UID: each names the right UID, and so do
 * lookups after them, after the map widened (an EXISTS and a FETCH past
 * its end) and after a VANISHED; the slots moved are counted
 * (assert_storm_cost()). The time from the first EXPUNGE to the last is
 * printed, never asserted: the old map moved its whole tail for each
 * (10,000 into 1,000,000: 2 * 10^10 bytes). TERN_TEST_STORM_N sets N
 * (default 200,000). */
static void
test_map_expunge_storm(void)
{
	const char *env = g_getenv("TERN_TEST_STORM_N");
	guint32 n = env != NULL ? (guint32)g_ascii_strtoull(env, NULL, 10) : 200000;
	guint32 k = MIN(10000, n / 2), gone_uid;
	GString *script = g_string_new(LOGIN_SCRIPT);
	GArray *want = g_array_new(FALSE, FALSE, sizeof(struct map_event));
	GArray *survivors = g_array_new(FALSE, FALSE, sizeof(guint32));
	GRand *r = g_rand_new_with_seed(42);
	guint8 *chosen = g_new0(guint8, n);
	struct fake *f;
	struct tctx *t;

	g_assert_cmpuint(n, >=, 100);
	g_string_append_printf(script, "C~ \\S+ SELECT INBOX\nS: * %u EXISTS\n"
				       "S: $TAG OK [READ-WRITE] selected\n"
				       "C~ \\S+ UID FETCH 1:\\* \\(UID FLAGS\\)\n", n);
	for (guint32 seq = 1; seq <= n; seq++)
		g_string_append_printf(script, "S: * %u FETCH (UID %u FLAGS ())\n", seq,
				       storm_uid(seq));
	g_string_append(script, "S: $TAG OK done\nC~ \\S+ UID FETCH 1 \\(UID FLAGS\\)\nCORK\n");
	for (guint32 i = 0; i < k;) {
		guint32 p = (guint32)g_rand_int_range(r, 0, (gint32)n);

		i += chosen[p] == 0;
		chosen[p] = 1;
	}
	for (guint32 p = 0, i = 0; p < n; p++) {
		struct map_event e = { 'x', p + 1 - i, storm_uid(p + 1) };

		if (chosen[p] == 0) {
			g_array_append_val(survivors, e.uid);
			continue;
		}
		g_string_append_printf(script, "S: * %u EXPUNGE\n", e.seq);
		g_array_append_val(want, e);
		i++;
	}
	storm_lookups(script, want, survivors);
	/* Past the window's end: the map leaves the marking. */
	g_array_append_val(survivors, (guint32){ storm_uid(n + 1) });
	g_string_append_printf(script, "S: * %u EXISTS\nS: * %u FETCH (UID %u)\n",
			       survivors->len, survivors->len, storm_uid(n + 1));
	storm_lookups(script, want, survivors);
	/* And a VANISHED on the compacted map. */
	gone_uid = g_array_index(survivors, guint32, 1);
	g_array_remove_index(survivors, 1);
	g_string_append_printf(script, "S: * VANISHED %u\n", gone_uid);
	storm_lookups(script, want, survivors);
	g_string_append(script, "UNCORK\nS: $TAG OK done\n"
				"C~ \\S+ LOGOUT\nS: * BYE bye\nS: $TAG OK bye\n");

	f = fake_start(script->str);
	t = tctx_new(f);
	tctx_connect(t);
	/* After the client is made: the log gets no protocol trace from it. */
	g_assert_cmpint(log_open(), ==, 0);
	imap_client_select(t->c, "INBOX", false, on_select, t);
	RUN_UNTIL(t->answers == 1);
	imap_client_fetch_flags(t->c, "1:*", 0, on_batch, on_done, t);
	RUN_UNTIL_SLOW(t->answers == 2);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	g_assert_cmpuint(t->summaries, ==, n);
	imap_client_fetch_flags(t->c, "1", 0, on_batch, on_done, t);
	RUN_UNTIL_SLOW(t->answers == 3);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	assert_map_events(t->map_events, want, 0);
	log_close();
	assert_storm_cost(n, k);
	g_test_message("%u EXPUNGEs into a map of %u: %.1f ms from the first to the last", k, n,
		       (double)(t->last_expunge_us - t->first_expunge_us) / 1000.0);
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 4);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(chosen);
	g_rand_free(r);
	g_array_unref(survivors);
	g_array_unref(want);
	g_string_free(script, TRUE);
}

/* ---- the server's order for a first screen ---- */

struct order_res {
	struct tctx *t;
	GArray *uids, *starts;
};

static void
on_sorted(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	  void *ud)
{
	struct order_res *r = ud;

	r->uids = g_array_copy(uids);
	answer(r->t, st);
}

static void
on_threaded(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	    GArray *starts, void *ud)
{
	struct order_res *r = ud;

	r->uids = g_array_copy(uids);
	r->starts = g_array_copy(starts);
	answer(r->t, st);
}

static void
assert_uids(GArray *got, const guint32 *want, guint n)
{
	g_assert_cmpuint(got->len, ==, n);
	for (guint i = 0; i < n; i++)
		g_assert_cmpuint(g_array_index(got, guint32, i), ==, want[i]);
}

#define ORDER_CAPS "IMAP4rev1 IDLE ESEARCH ESORT CONTEXT=SEARCH SORT SORT=DISPLAY THREAD=REFS"

/* ESORT with PARTIAL keeps the server's order and no more UIDs than asked
 * ("1:4000000000" is not an allocation), ignores another command's
 * ESEARCH; THREAD comes flattened with each thread's start. */
static void
test_server_order(void)
{
	static const guint32 sorted[] = { 9, 4, 1 };
	static const guint32 threaded[] = { 4, 3, 10, 1, 2, 5, 11 };
	static const guint32 starts[] = { 0, 1, 3 };
	struct fake *f = fake_start("S: * OK [CAPABILITY " ORDER_CAPS "] fake ready\n"
				    "C~ \\S+ LOGIN \\S+ \\S+\n"
				    "S: $TAG OK [CAPABILITY " ORDER_CAPS "] logged in\n"
				    "C~ \\S+ SELECT INBOX\n"
				    "S: * 11 EXISTS\n"
				    "S: $TAG OK [READ-WRITE] selected\n"
				    "C~ \\S+ UID SORT RETURN \\(PARTIAL 1:3\\) \\(DISPLAYFROM\\) "
				    "UTF-8 ALL\n"
				    "S: * ESEARCH (TAG \"zz9\") UID PARTIAL (1:3 7:8)\n"
				    "S: * ESEARCH (TAG \"$TAG\") UID PARTIAL (1:3 9,4,1:4000000000)\n"
				    "S: $TAG OK sorted\n"
				    "C~ \\S+ UID THREAD REFS UTF-8 ALL\n"
				    "S: * THREAD (4)(3 10)(1 (2 5)(11))\n"
				    "S: $TAG OK threaded\n"
				    "C~ \\S+ LOGOUT\n"
				    "S: * BYE bye\n"
				    "S: $TAG OK bye\n");
	struct tctx *t = tctx_new(f);
	struct order_res rs = { t, NULL, NULL }, rt = { t, NULL, NULL };

	tctx_connect(t);
	g_assert_true(imap_client_offers_sort_first(t->c));
	g_assert_true(imap_client_offers_thread_refs(t->c));
	imap_client_select(t->c, "INBOX", false, on_select, t);
	RUN_UNTIL(t->answers == 1);
	t->in_call = true;
	imap_client_sort_first(t->c, IMAP_SORT_FROM, 3, on_sorted, &rs);
	imap_client_thread_refs(t->c, on_threaded, &rt);
	t->in_call = false;
	RUN_UNTIL(t->answers == 3);
	g_assert_cmpint(t->inside, ==, 0);
	g_assert_cmpint(t->last_st, ==, TERN_OK);
	assert_uids(rs.uids, sorted, G_N_ELEMENTS(sorted));
	assert_uids(rt.uids, threaded, G_N_ELEMENTS(threaded));
	assert_uids(rt.starts, starts, G_N_ELEMENTS(starts));
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 4);
	g_array_unref(rs.uids);
	g_array_unref(rt.uids);
	g_array_unref(rt.starts);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* Without ESORT and THREAD=REFS nothing is sent: TERN_ERR_NO from the loop. */
static void
test_server_order_missing(void)
{
	struct fake *f = fake_start(LOGIN_SCRIPT
				    "C~ \\S+ LOGOUT\n"
				    "S: * BYE bye\n"
				    "S: $TAG OK bye\n");
	struct tctx *t = tctx_new(f);
	struct order_res rs = { t, NULL, NULL }, rt = { t, NULL, NULL };

	tctx_connect(t);
	g_assert_false(imap_client_offers_sort_first(t->c));
	g_assert_false(imap_client_offers_thread_refs(t->c));
	t->in_call = true;
	imap_client_sort_first(t->c, IMAP_SORT_SUBJECT, 50, on_sorted, &rs);
	imap_client_thread_refs(t->c, on_threaded, &rt);
	t->in_call = false;
	RUN_UNTIL(t->answers == 2);
	g_assert_cmpint(t->inside, ==, 0);
	g_assert_cmpint(t->last_st, ==, TERN_ERR_NO);
	g_assert_cmpuint(rs.uids->len, ==, 0);
	g_assert_cmpuint(rt.uids->len, ==, 0);
	imap_client_logout(t->c, on_done, t);
	RUN_UNTIL(t->answers == 3);
	g_array_unref(rs.uids);
	g_array_unref(rt.uids);
	g_array_unref(rt.starts);
	tctx_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

static void
drop_log(const char *domain, GLogLevelFlags level, const char *msg, gpointer ud)
{
}

int
main(int argc, char **argv)
{
	/* The debug log (test_map_expunge_storm) goes to a directory of our
	 * own: set before GLib first looks the cache directory up. */
	char *cache = g_dir_make_tmp("tern-test-client-XXXXXX", NULL);
	char *cache_tern = g_build_filename(cache, "tern", NULL);
	int rc;

	g_assert_nonnull(cache);
	g_setenv("XDG_CACHE_HOME", cache, TRUE);
	g_test_init(&argc, &argv, NULL);
	g_log_set_handler("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_log, NULL); /* chatter */
	g_test_add_func("/imap-client/huge-exists", test_huge_exists);
	g_test_add_func("/imap-client/call-after-failure", test_call_after_failure);
	g_test_add_func("/imap-client/lost-answers-then-closed", test_lost_answers_then_closed);
	g_test_add_func("/imap-client/free-in-flight", test_free_in_flight);
	g_test_add_func("/imap-client/reconnect", test_reconnect);
	g_test_add_func("/imap-client/previews", test_previews);
	g_test_add_func("/imap-client/previews-not-offered", test_previews_not_offered);
	g_test_add_func("/imap-client/store-range", test_store_range);
	g_test_add_func("/imap-client/server-order", test_server_order);
	g_test_add_func("/imap-client/server-order-missing", test_server_order_missing);
	g_test_add_func("/imap-client/map-ranges-vanished", test_map_ranges_vanished);
	g_test_add_func("/imap-client/map-model", test_map_model);
	g_test_add_func("/imap-client/map-expunge-storm", test_map_expunge_storm);
	rc = g_test_run();
	rmdir(cache_tern);
	rmdir(cache);
	g_free(cache_tern);
	g_free(cache);
	return rc;
}

/* tern — tests for core/imap/client against the scripted fake server
 * (tests/fake/fake-imapd.py) on 127.0.0.1: what client.h promises about
 * callbacks (never inside the call, none after free, the pending answers
 * before the end of the connection), reconnecting with a new client, and
 * the memory a hostile EXISTS may cost. */
#include "config.h"
#include "core/common.h"

#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "core/config/config.h"
#include "core/imap/client.h"
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
};

static void
note(struct tctx *t, char what)
{
	if (t->in_call)
		t->inside++;
	g_string_append_c(t->order, what);
}

static void
on_event(struct imap_client *c, const struct imap_event *ev, void *ud)
{
	struct tctx *t = ud;

	if (ev->type == IMAP_EVENT_ALERT) {
		t->alerts++;
		return;
	}
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

#define RUN_UNTIL(cond)                                                                            \
	do {                                                                                       \
		gint64 d_ = g_get_monotonic_time() + RUN_LIMIT_S * G_USEC_PER_SEC;                 \
		guint w_ = g_timeout_add(20, wake, NULL);                                          \
		while (!(cond) && g_get_monotonic_time() < d_)                                     \
			g_main_context_iteration(NULL, TRUE);                                      \
		g_source_remove(w_);                                                               \
		g_assert_true(cond);                                                               \
	} while (0)

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
	return g_test_run();
}

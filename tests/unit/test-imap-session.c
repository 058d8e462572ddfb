/* tern — the sans-I/O session engine fed with transcripts: what it sends,
 * which handler gets which response, continuation handling, stop_reading,
 * failure; every transcript fed whole and one byte at a time. */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/imap/session.h"

struct rec {
	GString *sent;       /* everything the session sent */
	GString *events;     /* what the handlers saw, one line each */
	bool failed;
	struct imap_session *s;
	bool stop_on_ok;     /* the done handler stops reading (STARTTLS) */
};

static void
rec_send(void *ud, const void *buf, size_t len, bool sensitive)
{
	struct rec *r = ud;

	g_string_append_len(r->sent, buf, len);
}

static void
rec_untagged(void *ud, const struct imap_response *resp)
{
	struct rec *r = ud;

	g_string_append_printf(r->events, "global %s\n", resp->name);
}

static void
rec_failed(void *ud, enum tern_status st, const char *detail)
{
	struct rec *r = ud;

	r->failed = true;
	g_string_append_printf(r->events, "failed %d\n", st);
}

static bool
cmd_untagged(struct imap_session *s, const struct imap_response *resp, void *ud)
{
	struct rec *r = ud;

	if (resp->type != IMAP_DATA_FETCH && resp->type != IMAP_DATA_SEARCH)
		return false;
	g_string_append_printf(r->events, "cmd %s\n", resp->name);
	return true;
}

static void
cmd_done(struct imap_session *s, const struct imap_response *resp, enum tern_status st,
	 const char *detail, void *ud)
{
	struct rec *r = ud;

	g_string_append_printf(r->events, "done %s %d\n", resp != NULL ? resp->tag : "-", st);
	if (r->stop_on_ok && st == TERN_OK)
		imap_session_stop_reading(s);
}

static void
cmd_cont(struct imap_session *s, const struct imap_response *resp, void *ud)
{
	struct rec *r = ud;

	g_string_append(r->events, "cont\n");
	imap_session_send_line(s, "DONE", false);
}

static const struct imap_session_ops ops = {
	.send = rec_send,
	.untagged = rec_untagged,
	.failed = rec_failed,
};

static const struct imap_cmd_handlers handlers = {
	.untagged = cmd_untagged,
	.continuation = cmd_cont,
	.done = cmd_done,
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof *r);
	r->sent = g_string_new(NULL);
	r->events = g_string_new(NULL);
	r->s = imap_session_new(&ops, NULL, r);
}

static void
rec_clear(struct rec *r)
{
	imap_session_free(&r->s);
	g_string_free(r->sent, TRUE);
	g_string_free(r->events, TRUE);
}

/* Feed text whole (step 0) or in pieces of step bytes. */
static size_t
feed(struct rec *r, const char *text, size_t step)
{
	size_t len = strlen(text), used = 0;

	if (step == 0)
		return imap_session_feed(r->s, text, len);
	while (used < len) {
		size_t n = MIN(step, len - used);
		size_t u = imap_session_feed(r->s, text + used, n);

		used += u;
		if (u < n)
			break;
	}
	return used;
}

static void
run_pipeline(size_t step)
{
	struct rec r;
	GError *err = NULL;

	rec_init(&r);
	g_assert_cmpint(imap_session_submit(r.s, &handlers, &r, &err, "UID FETCH 1:* (FLAGS)"), ==, 0);
	g_assert_cmpint(imap_session_submit(r.s, &handlers, &r, &err, "UID SEARCH ALL"), ==, 0);
	/* one command in flight at a time */
	g_assert_cmpstr(r.sent->str, ==, "t1 UID FETCH 1:* (FLAGS)\r\n");
	feed(&r, "* 1 FETCH (UID 5 FLAGS (\\Seen))\r\n* 3 EXISTS\r\n"
		 "* 2 FETCH (UID 6 FLAGS ())\r\nt1 OK done\r\n", step);
	g_assert_cmpstr(r.sent->str, ==, "t1 UID FETCH 1:* (FLAGS)\r\nt2 UID SEARCH ALL\r\n");
	feed(&r, "* SEARCH 5 6\r\n* 1 EXPUNGE\r\nt2 NO [TRYCREATE] nope\r\n", step);
	g_assert_cmpstr(r.events->str, ==,
			"cmd FETCH\nglobal EXISTS\ncmd FETCH\ndone t1 0\n"
			"cmd SEARCH\nglobal EXPUNGE\ndone t2 3\n");
	g_assert_true(imap_session_idle(r.s));
	rec_clear(&r);
}

static void
test_pipeline_whole(void)
{
	run_pipeline(0);
}

static void
test_pipeline_bytes(void)
{
	run_pipeline(1);
	run_pipeline(7);
}

static void
submit_piped(struct rec *r, bool pipeline, const char *fmt, const char *arg)
{
	struct imap_command *cmd = imap_command_new(imap_session_tags(r->s),
						    imap_session_command_options(r->s), NULL,
						    fmt, arg);

	/* no continuation handler: one would keep it out of the pipeline */
	static const struct imap_cmd_handlers h = { .untagged = cmd_untagged, .done = cmd_done };

	g_assert_nonnull(cmd);
	cmd->pipeline = pipeline;
	imap_session_submit_command(r->s, cmd, &h, r);
}

/* A command that takes the ESEARCH with its own TAG only (as the
 * client's search does). */
struct tagged_cmd {
	struct rec *r;
	const char *tag;
};

static bool
tagged_untagged(struct imap_session *s, const struct imap_response *resp, void *ud)
{
	struct tagged_cmd *tc = ud;

	if (resp->type != IMAP_DATA_ESEARCH || resp->u.esearch.tag == NULL ||
	    strcmp(resp->u.esearch.tag, tc->tag) != 0)
		return false;
	g_string_append_printf(tc->r->events, "esearch %s\n", tc->tag);
	return true;
}

static void
tagged_done(struct imap_session *s, const struct imap_response *resp, enum tern_status st,
	    const char *detail, void *ud)
{
	struct tagged_cmd *tc = ud;

	g_string_append_printf(tc->r->events, "done %s %d\n", tc->tag, st);
}

/* An ESEARCH goes to the command its TAG names, even when an older one is
 * still in flight; other untagged data goes to the oldest only. */
static void
test_pipeline_esearch_tag(void)
{
	static const struct imap_cmd_handlers h = { .untagged = tagged_untagged,
						    .done = tagged_done };
	struct rec r;
	struct tagged_cmd a, b;
	struct imap_command *cmd;

	rec_init(&r);
	a = (struct tagged_cmd){ &r, "t1" };
	b = (struct tagged_cmd){ &r, "t2" };
	cmd = imap_command_new(imap_session_tags(r.s), imap_session_command_options(r.s), NULL,
			       "UID SEARCH RETURN (ALL) ALL");
	cmd->pipeline = true;
	imap_session_submit_command(r.s, cmd, &h, &a);
	cmd = imap_command_new(imap_session_tags(r.s), imap_session_command_options(r.s), NULL,
			       "UID SEARCH RETURN (ALL) ALL");
	cmd->pipeline = true;
	imap_session_submit_command(r.s, cmd, &h, &b);
	feed(&r, "* ESEARCH (TAG \"t2\") UID ALL 4\r\n* 3 EXISTS\r\n"
		 "* ESEARCH (TAG \"t1\") UID ALL 1\r\nt1 OK\r\nt2 OK\r\n", 1);
	g_assert_cmpstr(r.events->str, ==,
			"esearch t2\nglobal EXISTS\nesearch t1\ndone t1 0\ndone t2 0\n");
	rec_clear(&r);
}

/* Pipelined commands all go at once; the answers come in order, each to
 * its own command; a command not pipelined waits until they are all
 * answered, and so does one whose literal waits for "+". */
static void
test_pipeline_many(void)
{
	struct rec r;

	rec_init(&r);
	submit_piped(&r, true, "EXAMINE %m", "a");
	submit_piped(&r, true, "UID SEARCH TEXT %s", "x");
	submit_piped(&r, true, "EXAMINE %m", "b");
	submit_piped(&r, false, "NOOP", NULL);
	g_assert_cmpstr(r.sent->str, ==, "t1 EXAMINE a\r\nt2 UID SEARCH TEXT x\r\nt3 EXAMINE b\r\n");
	feed(&r, "* 2 EXISTS\r\nt1 OK [READ-ONLY] done\r\n* SEARCH 1 2\r\nt2 OK done\r\n", 1);
	g_assert_cmpstr(r.events->str, ==, "global EXISTS\ndone t1 0\ncmd SEARCH\ndone t2 0\n");
	g_assert_false(strstr(r.sent->str, "NOOP") != NULL);
	feed(&r, "t3 NO no such folder\r\n", 0);
	g_assert_nonnull(strstr(r.sent->str, "t4 NOOP\r\n"));
	feed(&r, "t4 OK\r\n", 0);
	g_assert_true(imap_session_idle(r.s));
	/* a literal that waits for "+" is not pipelined */
	g_string_truncate(r.sent, 0);
	submit_piped(&r, true, "EXAMINE %m", "c");
	submit_piped(&r, true, "UID SEARCH TEXT %s", "a\r\nb");
	g_assert_cmpstr(r.sent->str, ==, "t5 EXAMINE c\r\n");
	feed(&r, "t5 OK\r\n", 0);
	g_assert_cmpstr(r.sent->str, ==, "t5 EXAMINE c\r\nt6 UID SEARCH TEXT {4}\r\n");
	feed(&r, "+ go\r\nt6 OK\r\n", 0);
	g_assert_true(imap_session_idle(r.s));
	rec_clear(&r);
}

/* A synchronizing literal waits for "+" before its data. */
static void
test_sync_literal(void)
{
	struct rec r;
	GError *err = NULL;

	rec_init(&r);
	/* a mailbox name's CR LF is hidden in modified UTF-7 ... */
	g_assert_cmpint(imap_session_submit(r.s, &handlers, &r, &err, "SELECT %m", "Caf\xc3\xa9\r\nX"),
			==, 0);
	g_assert_cmpstr(r.sent->str, ==, "t1 SELECT Caf&AOkADQAK-X\r\n");
	feed(&r, "t1 OK selected\r\n", 0);
	g_string_truncate(r.sent, 0);
	g_string_truncate(r.events, 0);
	/* ... and a string's goes as a literal, sent only after "+" */
	g_assert_cmpint(imap_session_submit(r.s, &handlers, &r, &err, "LOGIN %s x", "a\r\nb"), ==, 0);
	g_assert_cmpstr(r.sent->str, ==, "t2 LOGIN {4}\r\n");
	feed(&r, "+ go ahead\r\n", 1);
	g_assert_cmpstr(r.sent->str, ==, "t2 LOGIN {4}\r\na\r\nb x\r\n");
	feed(&r, "t2 OK in\r\n", 0);
	g_assert_cmpstr(r.events->str, ==, "done t2 0\n");
	rec_clear(&r);
}

/* IDLE-like: a "+" the chunks did not ask for goes to the handler. */
static void
test_continuation_handler(void)
{
	struct rec r;

	rec_init(&r);
	imap_session_submit(r.s, &handlers, &r, NULL, "IDLE");
	feed(&r, "+ idling\r\n* 4 EXISTS\r\nt1 OK IDLE done\r\n", 1);
	g_assert_cmpstr(r.sent->str, ==, "t1 IDLE\r\nDONE\r\n");
	g_assert_cmpstr(r.events->str, ==, "cont\nglobal EXISTS\ndone t1 0\n");
	rec_clear(&r);
}

/* STARTTLS: bytes after the OK are not used (the caller discards them). */
static void
test_stop_reading(void)
{
	struct rec r;
	const char *text = "t1 OK begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n";
	size_t used;

	rec_init(&r);
	r.stop_on_ok = true;
	imap_session_submit(r.s, &handlers, &r, NULL, "STARTTLS");
	used = feed(&r, text, 0);
	g_assert_cmpuint(used, ==, strlen("t1 OK begin TLS\r\n"));
	g_assert_cmpstr(r.events->str, ==, "done t1 0\n");
	rec_clear(&r);
}

/* A tagged answer to a command never sent, and garbage, fail the session
 * and finish every queued command. */
static void
test_failures(void)
{
	struct rec r;

	rec_init(&r);
	imap_session_submit(r.s, &handlers, &r, NULL, "NOOP");
	imap_session_submit(r.s, &handlers, &r, NULL, "NOOP");
	feed(&r, "t9 OK who asked\r\n", 0);
	g_assert_true(r.failed);
	g_assert_cmpstr(r.events->str, ==, "done - 5\ndone - 5\nfailed 5\n");
	/* after failing, submissions finish at once and nothing is sent */
	g_string_truncate(r.sent, 0);
	imap_session_submit(r.s, &handlers, &r, NULL, "NOOP");
	g_assert_cmpstr(r.sent->str, ==, "");
	rec_clear(&r);

	rec_init(&r);
	imap_session_submit(r.s, &handlers, &r, NULL, "NOOP");
	feed(&r, "* 1 FETCH {99999999999999999999}\r\n", 0);
	g_assert_true(r.failed);
	rec_clear(&r);
}

/* Arguments the builder refuses queue nothing. */
static void
test_refused_arguments(void)
{
	struct rec r;
	GError *err = NULL;

	rec_init(&r);
	g_assert_cmpint(imap_session_submit(r.s, &handlers, &r, &err, "FLAG %a", "two words"), ==, -1);
	g_assert_nonnull(err);
	g_clear_error(&err);
	rec_clear(&r);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/session/pipeline/whole", test_pipeline_whole);
	g_test_add_func("/session/pipeline/bytes", test_pipeline_bytes);
	g_test_add_func("/session/pipeline/many", test_pipeline_many);
	g_test_add_func("/session/pipeline/esearch-tag", test_pipeline_esearch_tag);
	g_test_add_func("/session/sync-literal", test_sync_literal);
	g_test_add_func("/session/continuation", test_continuation_handler);
	g_test_add_func("/session/stop-reading", test_stop_reading);
	g_test_add_func("/session/failures", test_failures);
	g_test_add_func("/session/refused-arguments", test_refused_arguments);
	return g_test_run();
}

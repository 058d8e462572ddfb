/* tern — tests for the search query language: IMAP output, errors with
 * their column, and local matching. */
#include "config.h"

#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/flags.h"
#include "core/model/query.h"

struct imap_case {
	const char *query;
	const char *imap; /* query_tokens_format() of the result, or NULL */
	const char *error; /* the exact error when imap is NULL */
};

static const struct imap_case imap_cases[] = {
	/* terms */
	{ "alice", "TEXT \"alice\"", NULL },
	{ "from:alice", "FROM \"alice\"", NULL },
	{ "FROM:alice", "FROM \"alice\"", NULL },
	{ "to:bob cc:carol", "TO \"bob\" CC \"carol\"", NULL },
	{ "subject:\"q3 report\"", "SUBJECT \"q3 report\"", NULL },
	{ "body:x text:y", "BODY \"x\" TEXT \"y\"", NULL },
	{ "\"two words\"", "TEXT \"two words\"", NULL },
	{ "\"say \\\"hi\\\" \\\\ there\"", "TEXT \"say \\\"hi\\\" \\\\ there\"", NULL },
	{ "\"back\\slash\"", "TEXT \"back\\\\slash\"", NULL },
	{ "from:a@b.example", "FROM \"a@b.example\"", NULL },
	{ "from:a:b", "FROM \"a:b\"", NULL },
	{ "12:30", "TEXT \"12:30\"", NULL },
	{ "a-b", "TEXT \"a-b\"", NULL },
	{ "\"OR\" \"NOT\" or not", "TEXT \"OR\" TEXT \"NOT\" TEXT \"or\" TEXT \"not\"", NULL },
	{ "\"http://x\"", "TEXT \"http://x\"", NULL },
	{ "  \t spaced \t ", "TEXT \"spaced\"", NULL },
	{ "\"a\tb\"", "TEXT \"a b\"", NULL },
	{ "subject:ünïcode", "SUBJECT \"ünïcode\"", NULL },
	/* is: */
	{ "is:unread", "UNSEEN", NULL },
	{ "is:read is:flagged is:unflagged", "SEEN FLAGGED UNFLAGGED", NULL },
	{ "is:answered is:unanswered", "ANSWERED UNANSWERED", NULL },
	{ "is:deleted is:undeleted IS:Draft", "DELETED UNDELETED DRAFT", NULL },
	/* dates */
	{ "since:2024-01-01", "SINCE 1-Jan-2024", NULL },
	{ "before:2024-02-01 on:2024-01-05", "BEFORE 1-Feb-2024 ON 5-Jan-2024", NULL },
	{ "on:2024-2-29", "ON 29-Feb-2024", NULL },
	{ "on:2000-02-29", "ON 29-Feb-2000", NULL },
	{ "since:1999-12-31", "SINCE 31-Dec-1999", NULL },
	/* sizes */
	{ "larger:1M", "LARGER 1048576", NULL },
	{ "smaller:10K", "SMALLER 10240", NULL },
	{ "larger:10k smaller:2m", "LARGER 10240 SMALLER 2097152", NULL },
	{ "larger:0", "LARGER 0", NULL },
	{ "larger:4294967295", "LARGER 4294967295", NULL },
	{ "larger:4095M", "LARGER 4293918720", NULL },
	{ "larger:4194303K", "LARGER 4294966272", NULL },
	/* negation and precedence */
	{ "-from:x", "NOT FROM \"x\"", NULL },
	{ "NOT from:x", "NOT FROM \"x\"", NULL },
	{ "-is:read from:bob", "NOT SEEN FROM \"bob\"", NULL },
	{ "--a", "NOT NOT TEXT \"a\"", NULL },
	{ "a b OR c", "TEXT \"a\" OR TEXT \"b\" TEXT \"c\"", NULL },
	{ "a OR b c", "OR TEXT \"a\" TEXT \"b\" TEXT \"c\"", NULL },
	{ "a OR b OR c", "OR TEXT \"a\" OR TEXT \"b\" TEXT \"c\"", NULL },
	{ "a OR (b OR c) OR d", "OR TEXT \"a\" OR TEXT \"b\" OR TEXT \"c\" TEXT \"d\"", NULL },
	{ "NOT (a OR b)", "NOT OR TEXT \"a\" TEXT \"b\"", NULL },
	{ "-(a b)", "NOT ( TEXT \"a\" TEXT \"b\" )", NULL },
	{ "(a b) OR c", "OR ( TEXT \"a\" TEXT \"b\" ) TEXT \"c\"", NULL },
	{ "(a b) c", "TEXT \"a\" TEXT \"b\" TEXT \"c\"", NULL },
	{ "((a))", "TEXT \"a\"", NULL },
	{ "-a OR b", "OR NOT TEXT \"a\" TEXT \"b\"", NULL },
	{ "NOT a OR NOT b", "OR NOT TEXT \"a\" NOT TEXT \"b\"", NULL },
	{ "from:alice subject:\"q3 report\" is:unread since:2024-01-01 before:2024-02-01",
	  "FROM \"alice\" SUBJECT \"q3 report\" UNSEEN SINCE 1-Jan-2024 BEFORE 1-Feb-2024", NULL },
	{ "(from:a OR from:b) -(is:read OR larger:1K)",
	  "OR FROM \"a\" FROM \"b\" NOT OR SEEN LARGER 1024", NULL },
	{ "from:(a)", NULL, "column 1: empty value for 'from:'" },
	/* errors */
	{ "", NULL, "column 1: empty query" },
	{ "   ", NULL, "column 1: empty query" },
	{ "from:alice frm:bob", NULL, "column 12: unknown field 'frm'" },
	{ "http://x", NULL, "column 1: unknown field 'http'" },
	{ "(a b", NULL, "column 5: missing ')'" },
	{ "((a) b", NULL, "column 7: missing ')'" },
	{ "a)", NULL, "column 2: unexpected ')'" },
	{ ")", NULL, "column 1: unexpected ')'" },
	{ "()", NULL, "column 2: empty parentheses" },
	{ "a ()", NULL, "column 4: empty parentheses" },
	{ "from:", NULL, "column 1: empty value for 'from:'" },
	{ "a from: b", NULL, "column 3: empty value for 'from:'" },
	{ "subject:\"\"", NULL, "column 1: empty value for 'subject:'" },
	{ "a \"\"", NULL, "column 3: empty quoted string" },
	{ "a \"b", NULL, "column 3: missing closing '\"'" },
	{ "subject:\"b", NULL, "column 9: missing closing '\"'" },
	{ "- a", NULL, "column 1: '-' must be followed by a term" },
	{ "a -", NULL, "column 3: '-' must be followed by a term" },
	{ "(a -)", NULL, "column 4: '-' must be followed by a term" },
	{ "NOT", NULL, "column 1: missing term after NOT" },
	{ "a NOT", NULL, "column 3: missing term after NOT" },
	{ "NOT OR a", NULL, "column 1: missing term after NOT" },
	{ "-NOT", NULL, "column 2: missing term after NOT" },
	{ "OR a", NULL, "column 1: OR needs a term on each side" },
	{ "a OR", NULL, "column 3: OR needs a term on each side" },
	{ "a OR OR b", NULL, "column 3: OR needs a term on each side" },
	{ "(a OR) b", NULL, "column 4: OR needs a term on each side" },
	{ "is:new", NULL, "column 4: unknown value 'new' for is: (unread, read, flagged, "
			  "unflagged, answered, unanswered, deleted, undeleted, draft)" },
	{ "since:2024-02-30", NULL, "column 7: invalid date '2024-02-30' (expected YYYY-MM-DD)" },
	{ "since:2023-02-29", NULL, "column 7: invalid date '2023-02-29' (expected YYYY-MM-DD)" },
	{ "on:2024-13-01", NULL, "column 4: invalid date '2024-13-01' (expected YYYY-MM-DD)" },
	{ "on:2024-00-10", NULL, "column 4: invalid date '2024-00-10' (expected YYYY-MM-DD)" },
	{ "on:0000-01-01", NULL, "column 4: invalid date '0000-01-01' (expected YYYY-MM-DD)" },
	{ "on:24-01-01", NULL, "column 4: invalid date '24-01-01' (expected YYYY-MM-DD)" },
	{ "on:2024-01-01x", NULL, "column 4: invalid date '2024-01-01x' (expected YYYY-MM-DD)" },
	{ "on:2024-001-01", NULL, "column 4: invalid date '2024-001-01' (expected YYYY-MM-DD)" },
	{ "before:yesterday", NULL, "column 8: invalid date 'yesterday' (expected YYYY-MM-DD)" },
	{ "larger:1G", NULL, "column 8: invalid size '1G' (a number, optionally followed by K "
			     "or M)" },
	{ "larger:-1", NULL, "column 8: invalid size '-1' (a number, optionally followed by K "
			     "or M)" },
	{ "larger:K", NULL, "column 8: invalid size 'K' (a number, optionally followed by K "
			    "or M)" },
	{ "larger:1KK", NULL, "column 8: invalid size '1KK' (a number, optionally followed by K "
			      "or M)" },
	{ "larger:4294967296", NULL, "column 8: size '4294967296' is too large" },
	{ "larger:4096M", NULL, "column 8: size '4096M' is too large" },
	{ "larger:4194304K", NULL, "column 8: size '4194304K' is too large" },
	{ "larger:99999999999999999999999", NULL,
	  "column 8: size '99999999999999999999999' is too large" },
	{ "ä frm:x", NULL, "column 3: unknown field 'frm'" },
	{ "a\nb", NULL, "column 2: control character" },
	{ "a\x1b[31m", NULL, "column 2: control character" },
	{ "ab\xff", NULL, "column 3: invalid UTF-8" },
};

static void
test_imap(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(imap_cases); i++) {
		const struct imap_case *c = &imap_cases[i];
		struct query *q = NULL;
		GError *error = NULL;
		gsize offset = G_MAXSIZE;
		int rc;

		g_test_message("query: %s", c->query);
		rc = query_parse_at(c->query, &q, &offset, &error);
		if (c->imap != NULL) {
			GPtrArray *tokens;
			char *got;

			g_assert_no_error(error);
			g_assert_cmpint(rc, ==, 0);
			tokens = query_to_imap(q);
			got = query_tokens_format(tokens);
			g_assert_cmpstr(got, ==, c->imap);
			g_free(got);
			g_ptr_array_unref(tokens);
			query_free(&q);
			g_assert_null(q);
		} else {
			g_assert_cmpint(rc, ==, -1);
			g_assert_null(q);
			g_assert_error(error, QUERY_ERROR, QUERY_ERROR_PARSE);
			g_assert_cmpstr(error->message, ==, c->error);
			/* the offset is the message's column, for the prompt's cursor */
			g_assert_cmpuint(offset, <=, strlen(c->query));
			if (g_str_has_prefix(c->error, "column "))
				g_assert_cmpint(g_utf8_pointer_to_offset(c->query, c->query + offset) + 1,
						==, atoi(c->error + 7));
			g_error_free(error);
		}
	}
}

static void
test_tokens(void)
{
	struct query *q = NULL;
	GPtrArray *t;
	const struct query_token *tok;

	g_assert_cmpint(query_parse("-(from:\"a b\" OR is:read) larger:1K", &q, NULL), ==, 0);
	t = query_to_imap(q);
	g_assert_cmpuint(t->len, ==, 7);
	static const enum query_token_type types[] = {
		QUERY_TOK_ATOM, QUERY_TOK_ATOM, QUERY_TOK_ATOM, QUERY_TOK_STRING,
		QUERY_TOK_ATOM, QUERY_TOK_ATOM, QUERY_TOK_ATOM,
	};
	static const char *const texts[] = { "NOT", "OR", "FROM", "a b", "SEEN", "LARGER",
					     "1024" };
	for (guint i = 0; i < 7; i++) {
		tok = t->pdata[i];
		g_assert_cmpint(tok->type, ==, types[i]);
		g_assert_cmpstr(tok->text, ==, texts[i]);
	}
	g_ptr_array_unref(t);
	query_free(&q);

	g_assert_cmpint(query_parse("NOT (a b)", &q, NULL), ==, 0);
	t = query_to_imap(q);
	g_assert_cmpuint(t->len, ==, 7);
	tok = t->pdata[1];
	g_assert_cmpint(tok->type, ==, QUERY_TOK_OPEN);
	g_assert_cmpstr(tok->text, ==, "(");
	tok = t->pdata[6];
	g_assert_cmpint(tok->type, ==, QUERY_TOK_CLOSE);
	g_assert_cmpstr(tok->text, ==, ")");
	g_ptr_array_unref(t);
	query_free(&q);
	query_free(&q); /* NULL is fine */
}

static void
test_utf8(void)
{
	static const struct {
		const char *query;
		bool utf8;
	} cases[] = {
		{ "from:alice", false },      { "subject:caf\xc3\xa9", true },
		{ "a OR -(b \"\xe2\x82\xac\")", true }, { "since:2024-01-01 is:read", false },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++) {
		struct query *q = NULL;

		g_assert_cmpint(query_parse(cases[i].query, &q, NULL), ==, 0);
		g_assert_cmpint(query_needs_utf8(q), ==, cases[i].utf8);
		query_free(&q);
	}
}

static void
test_limits(void)
{
	GString *s = g_string_new(NULL);
	struct query *q = NULL;
	GError *error = NULL;

	/* nesting */
	for (int i = 0; i < QUERY_MAX_DEPTH; i++)
		g_string_append_c(s, '(');
	g_string_append_c(s, 'a');
	for (int i = 0; i < QUERY_MAX_DEPTH; i++)
		g_string_append_c(s, ')');
	g_assert_cmpint(query_parse(s->str, &q, &error), ==, 0);
	query_free(&q);
	g_string_prepend_c(s, '(');
	g_string_append_c(s, ')');
	g_assert_cmpint(query_parse(s->str, &q, &error), ==, -1);
	g_assert_error(error, QUERY_ERROR, QUERY_ERROR_PARSE);
	g_assert_nonnull(strstr(error->message, "nested too deeply"));
	g_clear_error(&error);

	g_string_truncate(s, 0);
	for (int i = 0; i < 100; i++)
		g_string_append(s, "-");
	g_string_append(s, "a");
	g_assert_cmpint(query_parse(s->str, &q, &error), ==, -1);
	g_assert_nonnull(strstr(error->message, "nested too deeply"));
	g_clear_error(&error);

	/* terms */
	g_string_truncate(s, 0);
	for (int i = 0; i < QUERY_MAX_TERMS; i++)
		g_string_append(s, "a ");
	g_assert_cmpint(query_parse(s->str, &q, &error), ==, 0);
	query_free(&q);
	g_string_append(s, "b");
	g_assert_cmpint(query_parse(s->str, &q, &error), ==, -1);
	g_assert_cmpstr(error->message, ==, "column 513: too many terms (at most 256)");
	g_clear_error(&error);

	/* length */
	g_string_truncate(s, 0);
	g_string_append_c(s, '"');
	for (int i = 0; i < QUERY_MAX_LEN; i++)
		g_string_append_c(s, 'x');
	g_string_append_c(s, '"');
	g_assert_cmpint(query_parse(s->str, &q, &error), ==, -1);
	g_assert_nonnull(strstr(error->message, "too long"));
	g_clear_error(&error);
	g_string_free(s, TRUE);
}

/* Local matching. */
struct match_case {
	const char *query;
	bool match;
};

static void
test_match(void)
{
	/* 2024-01-05 10:00:00 UTC (the tests run with TZ=UTC) */
	const struct query_summary s = {
		.from = "Alice Liddell <alice@example.com>",
		.to = "Bob <bob@example.com>",
		.cc = NULL,
		.subject = "Q3 Report: Straße",
		.internaldate = 1704448800,
		.size = 2048,
		.flags = FLAG_SEEN | FLAG_ANSWERED,
	};
	static const struct match_case cases[] = {
		{ "from:alice", true },
		{ "from:ALICE", true },
		{ "from:bob", false },
		{ "to:bob", true },
		{ "cc:bob", false },
		{ "-cc:bob", true },
		{ "subject:\"q3 report\"", true },
		{ "subject:STRASSE", true },
		{ "subject:straße", true },
		{ "alice", true },
		{ "report", true },
		{ "bob@example", true },
		{ "carol", false },
		{ "body:report", false },
		{ "-body:report", true },
		{ "text:report", true },
		{ "is:read", true },
		{ "is:unread", false },
		{ "is:answered", true },
		{ "is:unanswered", false },
		{ "is:flagged", false },
		{ "is:unflagged", true },
		{ "is:deleted", false },
		{ "is:undeleted", true },
		{ "is:draft", false },
		{ "since:2024-01-05", true },
		{ "since:2024-01-06", false },
		{ "before:2024-01-05", false },
		{ "before:2024-01-06", true },
		{ "on:2024-01-05", true },
		{ "on:2024-01-04", false },
		{ "larger:2K", false },
		{ "larger:2047", true },
		{ "smaller:2K", false },
		{ "smaller:2049", true },
		{ "from:alice is:unread", false },
		{ "from:alice OR is:unread", true },
		{ "carol OR (bob is:read)", true },
		{ "NOT (alice OR carol)", false },
		{ "-(carol OR is:flagged) alice", true },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++) {
		struct query *q = NULL;

		g_test_message("match: %s", cases[i].query);
		g_assert_cmpint(query_parse(cases[i].query, &q, NULL), ==, 0);
		g_assert_cmpint(query_match(q, &s), ==, cases[i].match);
		query_free(&q);
	}

	/* missing strings never match */
	{
		const struct query_summary empty = { 0 };
		struct query *q = NULL;

		g_assert_cmpint(query_parse("from:a OR subject:a OR a", &q, NULL), ==, 0);
		g_assert_false(query_match(q, &empty));
		query_free(&q);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/query/imap", test_imap);
	g_test_add_func("/query/tokens", test_tokens);
	g_test_add_func("/query/utf8", test_utf8);
	g_test_add_func("/query/limits", test_limits);
	g_test_add_func("/query/match", test_match);
	return g_test_run();
}

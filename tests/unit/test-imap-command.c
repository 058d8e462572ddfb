/* tern — tests for the IMAP command builder (core/imap/command.c). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap.h"

/* All chunks joined, with "|WAIT|" after each chunk that waits for "+". */
static char *
joined(const struct imap_command *cmd)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < cmd->n_chunks; i++) {
		gsize len;
		const char *d = g_bytes_get_data(cmd->chunks[i].data, &len);

		g_string_append_len(out, d, (gssize)len);
		if (cmd->chunks[i].wait_continuation)
			g_string_append(out, "|WAIT|");
	}
	g_assert_false(cmd->chunks[cmd->n_chunks - 1].wait_continuation);
	return g_string_free(out, FALSE);
}

/* Checks that the command is exactly one line per segment: no CR or LF
 * except the CRLF ending a segment ("{n}" CRLF or the final CRLF), given
 * that literal bodies are skipped. Returns the number of line segments. */
static int
check_framing(const struct imap_command *cmd)
{
	GByteArray *all = g_byte_array_new();
	size_t pos = 0;
	int segments = 0;

	for (size_t i = 0; i < cmd->n_chunks; i++) {
		gsize len;
		const guint8 *d = g_bytes_get_data(cmd->chunks[i].data, &len);

		g_byte_array_append(all, d, (guint)len);
	}
	while (pos < all->len) {
		guint8 *lf = memchr(all->data + pos, '\n', all->len - pos);
		size_t end, brace;
		guint64 n;

		g_assert_nonnull(lf);
		end = (size_t)(lf - all->data);
		g_assert_cmpuint(end, >, pos);
		g_assert_cmpint(all->data[end - 1], ==, '\r');
		for (size_t i = pos; i < end - 1; i++) {
			g_assert_cmpint(all->data[i], !=, '\r');
			g_assert_cmpint(all->data[i], !=, '\0');
		}
		segments++;
		if (end < pos + 2 || all->data[end - 2] != '}') {
			pos = end + 1;
			continue;
		}
		/* "{digits}" or "{digits+}" at the end announces a literal */
		brace = end - 2;
		if (brace > pos && all->data[brace - 1] == '+')
			brace--;
		while (brace > pos && g_ascii_isdigit(all->data[brace - 1]))
			brace--;
		if (brace == pos || all->data[brace - 1] != '{' || !g_ascii_isdigit(all->data[brace])) {
			pos = end + 1;
			continue;
		}
		n = g_ascii_strtoull((const char *)all->data + brace, NULL, 10);
		pos = end + 1 + n;
	}
	g_assert_cmpuint(pos, ==, all->len);
	g_byte_array_unref(all);
	return segments;
}

static struct imap_tag_counter tags;

static void
assert_cmd(struct imap_command *cmd, const char *expected)
{
	char *s;

	g_assert_nonnull(cmd);
	s = joined(cmd);
	g_assert_cmpstr(s, ==, expected);
	check_framing(cmd);
	g_free(s);
}

static void
test_tags(void)
{
	struct imap_tag_counter c;
	struct imap_command *cmd;
	GError *err = NULL;

	imap_tag_counter_init(&c, "t");
	cmd = imap_command_new(&c, NULL, &err, "NOOP");
	g_assert_cmpstr(cmd->tag, ==, "t1");
	assert_cmd(cmd, "t1 NOOP\r\n");
	imap_command_free(&cmd);
	cmd = imap_command_new(&c, NULL, &err, "CAPABILITY");
	g_assert_cmpstr(cmd->tag, ==, "t2");
	imap_command_free(&cmd);
	/* a failed command does not use a tag */
	g_assert_null(imap_command_new(&c, NULL, &err, "STORE 1 +FLAGS (%f)", "not a flag"));
	g_clear_error(&err);
	cmd = imap_command_new(&c, NULL, &err, "NOOP");
	g_assert_cmpstr(cmd->tag, ==, "t3");
	imap_command_free(&cmd);
	imap_tag_counter_init(&c, "a b*c{");
	cmd = imap_command_new(&c, NULL, &err, "NOOP");
	g_assert_cmpstr(cmd->tag, ==, "abc1");
	imap_command_free(&cmd);
}

struct quote_row {
	const char *in;
	const char *out; /* with the default (sync) options */
};

static const struct quote_row quote_rows[] = {
	{"simple", "X1 SELECT simple\r\n"},
	{"", "X1 SELECT \"\"\r\n"},
	{"two words", "X1 SELECT \"two words\"\r\n"},
	{"quo\"te", "X1 SELECT \"quo\\\"te\"\r\n"},
	{"back\\slash", "X1 SELECT \"back\\\\slash\"\r\n"},
	{"NIL", "X1 SELECT \"NIL\"\r\n"},
	{"nil", "X1 SELECT \"nil\"\r\n"},
	{"a%b", "X1 SELECT \"a%b\"\r\n"},
	{"a*b", "X1 SELECT \"a*b\"\r\n"},
	{"a]b", "X1 SELECT \"a]b\"\r\n"},
	{"(paren)", "X1 SELECT \"(paren)\"\r\n"},
	{"{5}", "X1 SELECT \"{5}\"\r\n"},
	{"`backquote`", "X1 SELECT `backquote`\r\n"},
	{"../etc/passwd", "X1 SELECT ../etc/passwd\r\n"},
	{"%n%s", "X1 SELECT \"%n%s\"\r\n"},
	{"cr\rlf\n", "X1 SELECT {6}\r\n|WAIT|cr\rlf\n\r\n"},
	{"x\r\nA2 DELETE INBOX", "X1 SELECT {18}\r\n|WAIT|x\r\nA2 DELETE INBOX\r\n"},
	{"caf\xc3\xa9", "X1 SELECT {5}\r\n|WAIT|caf\xc3\xa9\r\n"},
	{"tab\there", "X1 SELECT {8}\r\n|WAIT|tab\there\r\n"},
};

static void
test_astring(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(quote_rows); i++) {
		struct imap_tag_counter c;
		struct imap_command *cmd;
		GError *err = NULL;

		imap_tag_counter_init(&c, "X");
		cmd = imap_command_new(&c, NULL, &err, "SELECT %s", quote_rows[i].in);
		g_assert_no_error(err);
		assert_cmd(cmd, quote_rows[i].out);
		imap_command_free(&cmd);
	}
}

static void
test_long_string_literal(void)
{
	char *big = g_strnfill(IMAP_COMMAND_QUOTED_MAX + 1, 'a');
	char *expected = g_strdup_printf("X1 SEARCH TEXT {%u}\r\n|WAIT|%s\r\n",
					 IMAP_COMMAND_QUOTED_MAX + 1, big);
	struct imap_tag_counter c;
	struct imap_command *cmd;
	GError *err = NULL;

	imap_tag_counter_init(&c, "X");
	cmd = imap_command_new(&c, NULL, &err, "SEARCH TEXT %s", big);
	assert_cmd(cmd, expected);
	imap_command_free(&cmd);
	g_free(expected);
	g_free(big);
}

static void
test_literal_modes(void)
{
	struct imap_command_options o = {0};
	struct imap_command *cmd;
	GError *err = NULL;
	char *big = g_strnfill(5000, 'x');
	char *s, *expected;

	imap_tag_counter_init(&tags, "t");
	o.literal_mode = IMAP_LITERAL_SYNC;
	cmd = imap_command_new(&tags, &o, &err, "LOGIN %s %P", "me\n", "pw\r");
	assert_cmd(cmd, "t1 LOGIN {3}\r\n|WAIT|me\n {3}\r\n|WAIT|pw\r\r\n");
	g_assert_cmpuint(cmd->n_chunks, ==, 3);
	g_assert_cmpstr(cmd->log_line, ==, "t1 LOGIN {3}<3 bytes> <redacted>");
	imap_command_free(&cmd);

	o.literal_mode = IMAP_LITERAL_PLUS;
	cmd = imap_command_new(&tags, &o, &err, "LOGIN %s %P", "me\n", "pw\r");
	assert_cmd(cmd, "t2 LOGIN {3+}\r\nme\n {3+}\r\npw\r\r\n");
	g_assert_cmpuint(cmd->n_chunks, ==, 1);
	imap_command_free(&cmd);

	/* LITERAL-: non-synchronizing up to 4096 bytes only */
	o.literal_mode = IMAP_LITERAL_MINUS;
	cmd = imap_command_new(&tags, &o, &err, "APPEND INBOX %L %L", "a\r\n", (size_t)3, big,
			       (size_t)5000);
	s = joined(cmd);
	expected = g_strdup_printf("t3 APPEND INBOX {3+}\r\na\r\n {5000}\r\n|WAIT|%s\r\n", big);
	g_assert_cmpstr(s, ==, expected);
	check_framing(cmd);
	g_free(s);
	g_free(expected);
	imap_command_free(&cmd);
	cmd = imap_command_new(&tags, &o, &err, "APPEND INBOX %L", big, (size_t)4096);
	g_assert_cmpuint(cmd->n_chunks, ==, 1);
	imap_command_free(&cmd);
	g_free(big);
}

static void
test_nul_refused(void)
{
	struct imap_command_options o = {.literal_mode = IMAP_LITERAL_PLUS};
	struct imap_command *cmd;
	GError *err = NULL;

	imap_tag_counter_init(&tags, "t");
	/* %s stops at the C string's NUL: the embedded one is in %L data */
	cmd = imap_command_new(&tags, &o, &err, "APPEND INBOX %L", "a\0b", (size_t)3);
	g_assert_null(cmd);
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
	/* with BINARY, literal8 */
	o.binary = true;
	cmd = imap_command_new(&tags, &o, &err, "APPEND INBOX %L", "a\0b", (size_t)3);
	g_assert_no_error(err);
	{
		gsize len;
		const char *d = g_bytes_get_data(cmd->chunks[0].data, &len);

		static const char expected[] = "t1 APPEND INBOX ~{3+}\r\na\0b\r\n";

		g_assert_cmpmem(d, len, expected, sizeof(expected) - 1);
	}
	imap_command_free(&cmd);
}

struct mailbox_row {
	const char *name;
	const char *out;
	bool utf8;
};

static const struct mailbox_row mailbox_rows[] = {
	{"INBOX", "t1 SELECT INBOX\r\n", false},
	{"inbox", "t1 SELECT INBOX\r\n", false},
	{"Entw\xc3\xbcrfe", "t1 SELECT Entw&APw-rfe\r\n", false},
	{"Entw\xc3\xbcrfe", "t1 SELECT \"Entw\xc3\xbcrfe\"\r\n", true},
	{"Tom & Jerry", "t1 SELECT \"Tom &- Jerry\"\r\n", false},
	{"a\r\nt2 DELETE INBOX", "t1 SELECT \"a&AA0ACg-t2 DELETE INBOX\"\r\n", false},
	{"a\r\nt2 DELETE INBOX", "t1 SELECT {18}\r\n|WAIT|a\r\nt2 DELETE INBOX\r\n", true},
	{"../../etc", "t1 SELECT ../../etc\r\n", false},
	{"say \"hi\"", "t1 SELECT \"say \\\"hi\\\"\"\r\n", false},
	{"`rm -rf`", "t1 SELECT \"`rm -rf`\"\r\n", false},
	{"%n%s%x", "t1 SELECT \"%n%s%x\"\r\n", false},
	{"\xf0\x9f\x93\xa7", "t1 SELECT &2D3c5w-\r\n", false},
};

static void
test_mailbox(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(mailbox_rows); i++) {
		struct imap_command_options o = {.utf8_accept = mailbox_rows[i].utf8};
		struct imap_command *cmd;
		GError *err = NULL;

		imap_tag_counter_init(&tags, "t");
		cmd = imap_command_new(&tags, &o, &err, "SELECT %m", mailbox_rows[i].name);
		g_assert_no_error(err);
		assert_cmd(cmd, mailbox_rows[i].out);
		imap_command_free(&cmd);
	}
}

static void
test_mailbox_invalid_utf8(void)
{
	struct imap_command *cmd;
	GError *err = NULL;

	imap_tag_counter_init(&tags, "t");
	cmd = imap_command_new(&tags, NULL, &err, "SELECT %m", "bad\xff");
	g_assert_null(cmd);
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
	/* a raw name as the server sent it goes through as it is */
	cmd = imap_command_new(&tags, NULL, &err, "SELECT %r", "Bad&AGE-");
	assert_cmd(cmd, "t1 SELECT Bad&AGE-\r\n");
	imap_command_free(&cmd);
}

static void
test_typed(void)
{
	struct imap_seqset *set = imap_seqset_parse("1:5,7,300:*", -1, IMAP_SEQSET_ALLOW_STAR, NULL);
	struct imap_command *cmd;
	GError *err = NULL;

	imap_tag_counter_init(&tags, "t");
	cmd = imap_command_new(&tags, NULL, &err,
			       "UID STORE %q +FLAGS.SILENT (%f %f) (UNCHANGEDSINCE %U) %u%%", set,
			       "\\Seen", "$Junk", (uint64_t)18446744073709551615u, 4294967295u);
	g_assert_no_error(err);
	assert_cmd(cmd, "t1 UID STORE 1:5,7,300:* +FLAGS.SILENT (\\Seen $Junk) "
			"(UNCHANGEDSINCE 18446744073709551615) 4294967295%\r\n");
	imap_command_free(&cmd);
	cmd = imap_command_new(&tags, NULL, &err, "ENABLE %a", "UTF8=ACCEPT");
	assert_cmd(cmd, "t2 ENABLE UTF8=ACCEPT\r\n");
	imap_command_free(&cmd);
	cmd = imap_command_new(&tags, NULL, &err, "SEARCH CHARSET UTF-8 SUBJECT %S", "x");
	assert_cmd(cmd, "t3 SEARCH CHARSET UTF-8 SUBJECT \"x\"\r\n");
	imap_command_free(&cmd);
	imap_seqset_free(&set);
}

static void
test_refusals(void)
{
	static const char *const bad_atoms[] = {"", "a b", "a(", "\\", "\\a b", "x\r\n", "caf\xc3\xa9",
						"a]", "a\"", "%"};
	struct imap_seqset *empty = imap_seqset_new();
	struct imap_command_options o = {.max_line = 64};
	char *big = g_strnfill(100, '1');
	struct imap_command *cmd;
	GError *err = NULL;

	imap_tag_counter_init(&tags, "t");
	for (size_t i = 0; i < TERN_ARRAY_LEN(bad_atoms); i++) {
		cmd = imap_command_new(&tags, NULL, &err, "STORE 1 +FLAGS (%f)", bad_atoms[i]);
		g_assert_null(cmd);
		g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
		g_clear_error(&err);
	}
	g_assert_null(imap_command_new(&tags, NULL, &err, "FETCH %q", empty));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
	g_assert_null(imap_command_new(&tags, NULL, &err, "NOOP\r\nX"));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
	g_assert_null(imap_command_new(&tags, NULL, &err, "NOOP %"));
	g_clear_error(&err);
	g_assert_null(imap_command_new(&tags, NULL, &err, "NOOP %z"));
	g_clear_error(&err);
	g_assert_null(imap_command_new(&tags, NULL, &err, "SELECT %s", (const char *)NULL));
	g_clear_error(&err);
	/* line cap */
	g_assert_null(imap_command_new(&tags, &o, &err, "UID FETCH %a FLAGS", big));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
	g_assert_cmpuint(tags.next, ==, 1);
	imap_seqset_free(&empty);
	g_free(big);
}

static void
test_quote_astring(void)
{
	GError *err = NULL;
	char *s = imap_quote_astring("a \"b\"", &err);

	g_assert_cmpstr(s, ==, "\"a \\\"b\\\"\"");
	g_free(s);
	s = imap_quote_astring("atom", &err);
	g_assert_cmpstr(s, ==, "atom");
	g_free(s);
	g_assert_null(imap_quote_astring("a\nb", &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imap/command/tags", test_tags);
	g_test_add_func("/imap/command/astring", test_astring);
	g_test_add_func("/imap/command/long-string-literal", test_long_string_literal);
	g_test_add_func("/imap/command/literal-modes", test_literal_modes);
	g_test_add_func("/imap/command/nul-refused", test_nul_refused);
	g_test_add_func("/imap/command/mailbox", test_mailbox);
	g_test_add_func("/imap/command/mailbox-invalid-utf8", test_mailbox_invalid_utf8);
	g_test_add_func("/imap/command/typed", test_typed);
	g_test_add_func("/imap/command/refusals", test_refusals);
	g_test_add_func("/imap/command/quote-astring", test_quote_astring);
	return g_test_run();
}

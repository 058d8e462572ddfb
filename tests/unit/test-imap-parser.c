/* tern — tests for the IMAP response parser (core/imap/parser.c, tree.c,
 * decode.c, fetch.c).
 *
 * Transcripts under tests/data/imap/NAME.txt are server output with LF line
 * ends (converted to CRLF before feeding; literal sizes count the CRLFs).
 * Each is fed whole, one byte at a time, and split in two at every
 * boundary; the decoded results must be identical and equal the golden
 * NAME.expected (regenerate with TERN_IMAP_REGEN=1 after checking the
 * difference by hand). Invalid rows must give a protocol error, never a
 * crash, a hang or a large allocation. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap.h"
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif
#include "tests/unit/test-imap-dump.h"

static const char *const transcripts[] = {
	"rfc9051",
	"dovecot-select",
	"dovecot-list",
	"dovecot-fetch",
};

/* ---- helpers ------------------------------------------------------------ */

static char *
data_path(const char *name, const char *ext)
{
	const char *srcdir = g_getenv("TERN_SRCDIR");
	char *file = g_strconcat(name, ext, NULL);
	char *path;

	if (srcdir == NULL)
		srcdir = g_getenv("G_TEST_SRCDIR");
	g_assert_nonnull(srcdir);
	path = g_build_filename(srcdir, "tests", "data", "imap", file, NULL);
	g_free(file);
	return path;
}

static GByteArray *
load_transcript(const char *name)
{
	char *path = data_path(name, ".txt");
	char *text = NULL;
	gsize len;
	GByteArray *out = g_byte_array_new();
	GError *err = NULL;

	g_file_get_contents(path, &text, &len, &err);
	g_assert_no_error(err);
	for (gsize i = 0; i < len; i++) {
		if (text[i] == '\n')
			g_byte_array_append(out, (const guint8 *)"\r", 1);
		g_byte_array_append(out, (const guint8 *)&text[i], 1);
	}
	g_free(text);
	g_free(path);
	return out;
}

/* Drains the parser into out; returns false on error (message in out). */
static bool
drain(struct imap_parser *p, GString *out)
{
	for (;;) {
		GError *err = NULL;
		struct imap_response *r = imap_parser_next(p, &err);

		if (r == NULL) {
			if (err != NULL) {
				g_string_append_printf(out, "ERROR %d: %s\n", err->code, err->message);
				g_error_free(err);
				return false;
			}
			return true;
		}
		test_imap_dump(out, r);
		imap_response_free(&r);
	}
}

/* Feeds data in pieces of at most step bytes (0 = whole), with a split at
 * split (0 = none). Returns the dump. */
static char *
run(const guint8 *data, size_t len, size_t step, size_t split, const struct imap_limits *limits)
{
	struct imap_parser *p = imap_parser_new(limits);
	GString *out = g_string_new(NULL);
	size_t pos = 0;

	while (pos < len) {
		size_t n = len - pos;

		if (step > 0 && n > step)
			n = step;
		if (split > pos && split < pos + n)
			n = split - pos;
		imap_parser_feed(p, data + pos, n);
		pos += n;
		if (!drain(p, out))
			break;
	}
	if (pos == len && imap_parser_pending(p) != 0 && !imap_parser_failed(p))
		g_string_append_printf(out, "INCOMPLETE %zu\n", imap_parser_pending(p));
	imap_parser_free(&p);
	return g_string_free(out, FALSE);
}

/* ---- transcripts --------------------------------------------------------- */

static void
test_transcript(gconstpointer name_p)
{
	const char *name = name_p;
	GByteArray *data = load_transcript(name);
	char *whole = run(data->data, data->len, 0, 0, NULL);
	char *bytewise = run(data->data, data->len, 1, 0, NULL);
	char *path = data_path(name, ".expected");
	char *expected = NULL;

	if (strstr(whole, "ERROR") != NULL)
		g_error("%s:\n%s", name, whole);
	g_assert_null(strstr(whole, "INCOMPLETE"));
	g_assert_cmpstr(whole, ==, bytewise);
	for (size_t split = 1; split < data->len; split++) {
		char *s = run(data->data, data->len, 0, split, NULL);

		if (strcmp(s, whole) != 0)
			g_error("%s: split at %zu differs:\n%s", name, split, s);
		g_free(s);
	}
	/* odd chunk sizes too */
	for (size_t step = 2; step < 20; step++) {
		char *s = run(data->data, data->len, step, 0, NULL);

		g_assert_cmpstr(s, ==, whole);
		g_free(s);
	}
	if (g_getenv("TERN_IMAP_REGEN") != NULL) {
		g_assert_true(g_file_set_contents(path, whole, -1, NULL));
	} else {
		g_assert_true(g_file_get_contents(path, &expected, NULL, NULL));
		g_assert_cmpstr(whole, ==, expected);
	}
	g_free(expected);
	g_free(path);
	g_free(whole);
	g_free(bytewise);
	g_byte_array_unref(data);
}

/* ---- single responses ---------------------------------------------------- */

static struct imap_response *
parse_one(const char *text, size_t len, bool utf8)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_response *r;
	GError *err = NULL;

	imap_parser_set_utf8_accept(p, utf8);
	imap_parser_feed(p, text, len);
	r = imap_parser_next(p, &err);
	g_assert_no_error(err);
	g_assert_nonnull(r);
	g_assert_cmpuint(imap_parser_pending(p), ==, 0);
	imap_parser_free(&p);
	return r;
}

#define PARSE(lit) parse_one(lit, sizeof(lit) - 1, false)

static void
test_bodystructure_sections(void)
{
	GByteArray *data = load_transcript("dovecot-fetch");
	struct imap_response *r = parse_one((const char *)data->data,
					    (size_t)((guint8 *)memchr(data->data, '\n', data->len) -
						     data->data) + 1,
					    false);
	const struct imap_body *b = r->u.fetch.body;

	g_assert_cmpint(r->type, ==, IMAP_DATA_FETCH);
	g_assert_cmpuint(r->u.fetch.uid, ==, 101);
	g_assert_cmpstr(b->type, ==, "multipart");
	g_assert_cmpstr(b->subtype, ==, "mixed");
	g_assert_cmpstr(b->section, ==, "");
	g_assert_cmpuint(b->n_parts, ==, 3);
	g_assert_cmpstr(b->parts[0].section, ==, "1");
	g_assert_cmpstr(b->parts[0].parts[1].section, ==, "1.2");
	g_assert_cmpstr(b->parts[0].parts[1].subtype, ==, "html");
	g_assert_cmpstr(b->parts[1].disposition, ==, "attachment");
	g_assert_cmpstr(b->parts[1].disposition_params[0].value, ==, "q3.pdf");
	g_assert_cmpuint(b->parts[1].size, ==, 40000);
	g_assert_cmpstr(b->parts[2].section, ==, "3");
	g_assert_cmpstr(b->parts[2].envelope->subject, ==, "Original");
	g_assert_cmpstr(b->parts[2].message_body->section, ==, "3");
	g_assert_cmpstr(b->parts[2].message_body->parts[1].section, ==, "3.2");
	g_assert_cmpstr(b->parts[2].message_body->parts[1].id, ==, "<img1@x>");
	g_assert_cmpuint(b->parts[2].lines, ==, 40);
	g_assert_cmpstr(b->language[1], ==, "de");
	/* 31-Jan-2024 12:00:00 +0100 = 2024-01-31T11:00:00Z */
	g_assert_cmpint(r->u.fetch.internaldate, ==, 1706698800);
	g_assert_cmpint(r->u.fetch.internaldate_offset, ==, 60);
	g_assert_cmpuint(r->u.fetch.envelope->to.n_addrs, ==, 2);
	g_assert_cmpstr(r->u.fetch.envelope->cc.addrs[0].mailbox, ==, "team");
	g_assert_null(r->u.fetch.envelope->cc.addrs[0].host);
	imap_response_free(&r);
	g_byte_array_unref(data);
}

static void
test_body_literal_bytes(void)
{
	static const char resp[] = "* 7 FETCH (UID 9 BINARY[1] ~{5}\r\na\0b\0c BODY[]<10> {0}\r\n)\r\n";
	struct imap_response *r = PARSE(resp);
	const struct imap_fetch_body *fb = r->u.fetch.bodies;
	gsize len;
	const char *d = g_bytes_get_data(fb[0].data, &len);
	GBytes *keep = g_bytes_ref(fb[0].data);

	g_assert_cmpuint(r->u.fetch.n_bodies, ==, 2);
	g_assert_cmpstr(fb[0].item, ==, "BINARY");
	g_assert_cmpstr(fb[0].section, ==, "1");
	g_assert_cmpmem(d, len, "a\0b\0c", 5);
	g_assert_true(fb[1].has_origin);
	g_assert_cmpuint(fb[1].origin, ==, 10);
	g_assert_cmpuint(g_bytes_get_size(fb[1].data), ==, 0);
	imap_response_free(&r);
	/* the data outlives the response when referenced */
	d = g_bytes_get_data(keep, &len);
	g_assert_cmpmem(d, len, "a\0b\0c", 5);
	g_bytes_unref(keep);
}

static void
test_utf8_accept(void)
{
	static const char resp[] = "* LIST () \"/\" \"Entw\xc3\xbcrfe\"\r\n";
	static const char bad[] = "* LIST () \"/\" \"Entw\xfc rfe\"\r\n";
	struct imap_response *r = parse_one(resp, sizeof(resp) - 1, true);

	g_assert_cmpstr(r->u.list.name, ==, "Entw\xc3\xbcrfe");
	imap_response_free(&r);
	r = parse_one(bad, sizeof(bad) - 1, true);
	g_assert_null(r->u.list.name);
	g_assert_cmpuint(r->u.list.raw_name_len, ==, 9);
	imap_response_free(&r);
	/* without UTF8=ACCEPT, "&" sequences are decoded */
	r = PARSE("* LIST () \"/\" \"&AOQ-\"\r\n");
	g_assert_cmpstr(r->u.list.name, ==, "\xc3\xa4");
	imap_response_free(&r);
}

static void
test_continuation(void)
{
	struct imap_response *r = PARSE("+\r\n");

	g_assert_cmpint(r->kind, ==, IMAP_RESPONSE_CONTINUATION);
	g_assert_cmpstr(r->u.cont.text, ==, "");
	imap_response_free(&r);
	r = PARSE("+ Ready for literal data {5}\r\n");
	g_assert_cmpstr(r->u.cont.text, ==, "Ready for literal data {5}");
	imap_response_free(&r);
	/* a status text ending in "{5}" is text, not a literal */
	r = PARSE("* OK [ALERT] disk {5}\r\n");
	g_assert_cmpint(r->u.status.code.code, ==, IMAP_CODE_ALERT);
	g_assert_cmpstr(r->u.status.text, ==, "disk {5}");
	imap_response_free(&r);
}

static void
test_empty_groups_truncated(void)
{
	GString *s = g_string_new("* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL (");
	struct imap_response *r;

	for (int i = 0; i < 5000; i++)
		g_string_append(s, "(NIL NIL \"g\" NIL)(NIL NIL NIL NIL)");
	g_string_append(s, ") NIL NIL NIL NIL))\r\n");
	r = parse_one(s->str, s->len, false);
	g_assert_cmpuint(r->u.fetch.envelope->to.n_addrs, ==, IMAP_DEFAULT_MAX_ADDRESSES);
	g_assert_true(r->u.fetch.envelope->to.truncated);
	imap_response_free(&r);
	g_string_free(s, TRUE);
}

/* ---- invalid input ------------------------------------------------------- */

struct bad_row {
	const char *name;
	const char *data;
	int code;
};

static const struct bad_row bad_rows[] = {
	{"literal 2^31", "* 1 FETCH (BODY[] {2147483648}\r\n", IMAP_ERROR_LIMIT},
	{"literal 2^32", "* 1 FETCH (BODY[] {4294967296}\r\n", IMAP_ERROR_LIMIT},
	{"literal 2^64", "* 1 FETCH (BODY[] {18446744073709551616}\r\n", IMAP_ERROR_LIMIT},
	{"literal 400 digits",
	 "* 1 FETCH (BODY[] {"
	 "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
	 "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
	 "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
	 "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
	 "999999999999999999999999999999999999999999999999}\r\n", IMAP_ERROR_LIMIT},
	{"non-body literal over 1 MiB", "* 1 FETCH (ENVELOPE (NIL {1048577}\r\n", IMAP_ERROR_LIMIT},
	{"LIST literal over 1 MiB", "* LIST () \"/\" {2000000}\r\n", IMAP_ERROR_LIMIT},
	{"UID overflows 32 bits", "* 1 FETCH (UID 4294967296)\r\n", IMAP_ERROR_PROTOCOL},
	{"UID 0", "* 1 FETCH (UID 0)\r\n", IMAP_ERROR_PROTOCOL},
	{"negative UID", "* 1 FETCH (UID -5)\r\n", IMAP_ERROR_PROTOCOL},
	{"sequence 0", "* 0 FETCH (UID 5)\r\n", IMAP_ERROR_PROTOCOL},
	{"EXISTS overflow", "* 99999999999 EXISTS\r\n", IMAP_ERROR_PROTOCOL},
	{"MODSEQ overflows 64 bits", "* 1 FETCH (MODSEQ (18446744073709551616))\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"RFC822.SIZE not a number", "* 1 FETCH (RFC822.SIZE 12a)\r\n", IMAP_ERROR_PROTOCOL},
	{"UIDVALIDITY overflow", "* OK [UIDVALIDITY 4294967296] x\r\n", IMAP_ERROR_PROTOCOL},
	{"UIDVALIDITY 0", "* OK [UIDVALIDITY 0] x\r\n", IMAP_ERROR_PROTOCOL},
	{"HIGHESTMODSEQ junk", "* OK [HIGHESTMODSEQ -1] x\r\n", IMAP_ERROR_PROTOCOL},
	{"COPYUID with UID 0", "a1 OK [COPYUID 5 0:3 4:7] x\r\n", IMAP_ERROR_PROTOCOL},
	{"COPYUID with star", "a1 OK [COPYUID 5 1:* 4:7] x\r\n", IMAP_ERROR_PROTOCOL},
	{"unterminated code", "a1 OK [ALERT x\r\n", IMAP_ERROR_PROTOCOL},
	{"unterminated quote", "* LIST () \"/\" \"abc\r\n", IMAP_ERROR_PROTOCOL},
	{"bad escape", "* LIST () \"/\" \"a\\bc\"\r\n", IMAP_ERROR_PROTOCOL},
	{"NUL in quoted", "* LIST () \"/\" \"a\0c\"\r\n", IMAP_ERROR_PROTOCOL},
	{"unterminated list", "* FLAGS (\\Seen\r\n", IMAP_ERROR_PROTOCOL},
	{"stray paren", "* FLAGS \\Seen)\r\n", IMAP_ERROR_PROTOCOL},
	{"no space", "* FLAGS (\\Seen)x\r\n", IMAP_ERROR_PROTOCOL},
	{"atom touching quote", "* X a\"b\"\r\n", IMAP_ERROR_PROTOCOL},
	{"atom touching literal", "* X a{3}\r\nabc\r\n", IMAP_ERROR_PROTOCOL},
	{"lone CR", "* X a\rb\r\n", IMAP_ERROR_PROTOCOL},
	{"empty untagged", "* \r\n", IMAP_ERROR_PROTOCOL},
	{"no tag", "\r\n", IMAP_ERROR_PROTOCOL},
	{"tagged non-status", "a1 FETCH x\r\n", IMAP_ERROR_PROTOCOL},
	{"bad tag", "a(1 OK x\r\n", IMAP_ERROR_PROTOCOL},
	{"untagged number without name", "* 5\r\n", IMAP_ERROR_PROTOCOL},
	{"untagged list first", "* (a) b\r\n", IMAP_ERROR_PROTOCOL},
	{"FETCH odd items", "* 1 FETCH (UID)\r\n", IMAP_ERROR_PROTOCOL},
	{"PREVIEW a list", "* 1 FETCH (PREVIEW (\"a\"))\r\n", IMAP_ERROR_PROTOCOL},
	{"PREVIEW an atom", "* 1 FETCH (PREVIEW abc)\r\n", IMAP_ERROR_PROTOCOL},
	{"FETCH not a list", "* 1 FETCH UID 5\r\n", IMAP_ERROR_PROTOCOL},
	{"ENVELOPE short", "* 1 FETCH (ENVELOPE (NIL NIL))\r\n", IMAP_ERROR_PROTOCOL},
	{"address short", "* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL)) NIL NIL NIL NIL NIL NIL NIL))\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"INTERNALDATE bad month", "* 1 FETCH (INTERNALDATE \"17-Foo-1996 02:44:25 -0700\")\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"INTERNALDATE 31 Feb", "* 1 FETCH (INTERNALDATE \"31-Feb-1996 02:44:25 -0700\")\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"INTERNALDATE hour 24", "* 1 FETCH (INTERNALDATE \"17-Jul-1996 24:44:25 -0700\")\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"BODYSTRUCTURE empty", "* 1 FETCH (BODYSTRUCTURE ())\r\n", IMAP_ERROR_PROTOCOL},
	{"BODYSTRUCTURE multipart without subtype", "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)))\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"BODYSTRUCTURE size overflow",
	 "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 99999999999999999999 1))\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"body origin junk", "* 1 FETCH (BODY[]<x> \"a\")\r\n", IMAP_ERROR_PROTOCOL},
	{"body origin overflow", "* 1 FETCH (BODY[]<4294967296> \"a\")\r\n", IMAP_ERROR_PROTOCOL},
	{"body data is a list", "* 1 FETCH (BODY[] (a))\r\n", IMAP_ERROR_PROTOCOL},
	{"unterminated section", "* 1 FETCH (BODY[1 \"a\")\r\n", IMAP_ERROR_PROTOCOL},
	{"SEARCH 0", "* SEARCH 1 0 3\r\n", IMAP_ERROR_PROTOCOL},
	{"SEARCH negative", "* SEARCH 1 -3\r\n", IMAP_ERROR_PROTOCOL},
	{"ESEARCH bad ALL", "* ESEARCH ALL 1,\r\n", IMAP_ERROR_PROTOCOL},
	{"PARTIAL not a list", "* ESEARCH UID PARTIAL 1:5\r\n", IMAP_ERROR_PROTOCOL},
	{"PARTIAL one item", "* ESEARCH UID PARTIAL (1:5)\r\n", IMAP_ERROR_PROTOCOL},
	{"PARTIAL range 0", "* ESEARCH UID PARTIAL (0:5 1)\r\n", IMAP_ERROR_PROTOCOL},
	{"PARTIAL range overflow", "* ESEARCH UID PARTIAL (1:4294967296 1)\r\n",
	 IMAP_ERROR_PROTOCOL},
	{"PARTIAL mixed signs", "* ESEARCH UID PARTIAL (1:-5 1)\r\n", IMAP_ERROR_PROTOCOL},
	{"PARTIAL no colon", "* ESEARCH UID PARTIAL (15 1)\r\n", IMAP_ERROR_PROTOCOL},
	{"PARTIAL bad set", "* ESEARCH UID PARTIAL (1:5 3,,4)\r\n", IMAP_ERROR_PROTOCOL},
	{"THREAD 0", "* THREAD (1 0)\r\n", IMAP_ERROR_PROTOCOL},
	{"THREAD empty thread", "* THREAD ()\r\n", IMAP_ERROR_PROTOCOL},
	{"THREAD atom at top", "* THREAD 5\r\n", IMAP_ERROR_PROTOCOL},
	{"THREAD number after branch", "* THREAD (1 (2)(3) 4)\r\n", IMAP_ERROR_PROTOCOL},
	{"THREAD string", "* THREAD (1 \"2\")\r\n", IMAP_ERROR_PROTOCOL},
	{"THREAD overflow", "* THREAD (4294967296)\r\n", IMAP_ERROR_PROTOCOL},
	{"VANISHED empty", "* VANISHED\r\n", IMAP_ERROR_PROTOCOL},
	{"VANISHED uid 0", "* VANISHED 0:5\r\n", IMAP_ERROR_PROTOCOL},
	{"LIST bad delimiter", "* LIST () \"//\" x\r\n", IMAP_ERROR_PROTOCOL},
	{"LIST too few", "* LIST () \"/\"\r\n", IMAP_ERROR_PROTOCOL},
	{"STATUS odd", "* STATUS x (MESSAGES)\r\n", IMAP_ERROR_PROTOCOL},
	{"STATUS overflow", "* STATUS x (MESSAGES 4294967296)\r\n", IMAP_ERROR_PROTOCOL},
	{"literal short then EOF", "* 1 FETCH (BODY[] {10}\r\nabc", -1},
	{"NUL in status text", "* OK a\0b\r\n", IMAP_ERROR_PROTOCOL},
};

static void
check_bad(const struct bad_row *row, size_t len, size_t step)
{
	struct imap_parser *p = imap_parser_new(NULL);
	GError *err = NULL;
	struct imap_response *r = NULL;
	size_t pos = 0;

	while (pos < len && err == NULL) {
		size_t n = step > 0 ? MIN(step, len - pos) : len - pos;

		imap_parser_feed(p, row->data + pos, n);
		pos += n;
		while ((r = imap_parser_next(p, &err)) != NULL)
			imap_response_free(&r);
	}
	if (row->code < 0) {
		/* incomplete: no response, no error, waiting for more */
		g_assert_no_error(err);
		g_assert_cmpuint(imap_parser_pending(p), >, 0);
	} else {
		if (err == NULL)
			g_error("%s: no error", row->name);
		g_assert_error(err, IMAP_ERROR, row->code);
		g_clear_error(&err);
		g_assert_true(imap_parser_failed(p));
		/* refuses everything afterwards */
		imap_parser_feed(p, "* 1 EXISTS\r\n", 12);
		g_assert_null(imap_parser_next(p, &err));
		g_assert_error(err, IMAP_ERROR, IMAP_ERROR_FAILED);
		g_clear_error(&err);
	}
	imap_parser_free(&p);
}

static void
test_bad_rows(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(bad_rows); i++) {
		const struct bad_row *row = &bad_rows[i];
		/* rows with an embedded NUL: length up to the final CRLF */
		size_t len = strlen(row->data);

		if (strstr(row->name, "NUL") != NULL)
			len += strlen(row->data + len + 1) + 1;
		g_test_message("%s", row->name);
		check_bad(row, len, 0);
		check_bad(row, len, 1);
	}
}

/* PREVIEW (RFC 8970): NIL stays NULL ("not ready"), the text comes out on
 * one line without controls, cut at IMAP_PREVIEW_MAX_CHARS characters. */
struct preview_row {
	const char *name;
	const char *data;
	const char *want; /* NULL: NIL */
};

static const struct preview_row preview_rows[] = {
	{"plain", "* 1 FETCH (UID 7 PREVIEW \"Hello, world\")\r\n", "Hello, world"},
	{"NIL (LAZY, not ready)", "* 1 FETCH (UID 7 PREVIEW NIL)\r\n", NULL},
	{"empty: no text", "* 1 FETCH (UID 7 PREVIEW \"\")\r\n", ""},
	{"literal with line ends", "* 1 FETCH (UID 7 PREVIEW {14}\r\nline1\r\n\r\nline2)\r\n",
	 "line1 line2"},
	{"controls dropped", "* 1 FETCH (UID 7 PREVIEW {11}\r\na\x1b[31mb\x07\x7f" "c\t)\r\n",
	 "a[31mbc"},
	{"blank runs: one space, none at the ends",
	 "* 1 FETCH (UID 7 PREVIEW \"  a \t b\xe2\x80\xa8" "c  \")\r\n", "a b c"},
	{"C1 and bidi dropped", "* 1 FETCH (UID 7 PREVIEW \"x\xc2\x9by\xe2\x80\xaez\")\r\n", "xyz"},
	{"invalid UTF-8", "* 1 FETCH (UID 7 PREVIEW \"a\xff" "b\")\r\n", "a\xef\xbf\xbd" "b"},
	{"NUL in a literal", "* 1 FETCH (UID 7 PREVIEW {3}\r\na\0b)\r\n", "ab"},
	{"UTF-8 kept", "* 1 FETCH (UID 7 PREVIEW \"Gr\xc3\xbc\xc3\x9f" "e \xe6\x97\xa5\")\r\n",
	 "Gr\xc3\xbc\xc3\x9f" "e \xe6\x97\xa5"},
};

static void
check_preview(const guint8 *data, size_t len, size_t step, const char *want)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_response *r = NULL;
	GError *err = NULL;

	for (size_t pos = 0; pos < len && r == NULL; pos += step) {
		imap_parser_feed(p, data + pos, MIN(step, len - pos));
		r = imap_parser_next(p, &err);
		g_assert_no_error(err);
	}
	g_assert_nonnull(r);
	g_assert_cmpint(r->type, ==, IMAP_DATA_FETCH);
	g_assert_true(r->u.fetch.present & IMAP_FETCH_PREVIEW);
	g_assert_cmpuint(r->u.fetch.uid, ==, 7);
	g_assert_cmpstr(r->u.fetch.preview, ==, want);
	imap_response_free(&r);
	imap_parser_free(&p);
}

static void
test_preview(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(preview_rows); i++) {
		const struct preview_row *row = &preview_rows[i];
		size_t len = strlen(row->data);

		if (strstr(row->name, "NUL") != NULL)
			len += strlen(row->data + len + 1) + 1;
		g_test_message("%s", row->name);
		check_preview((const guint8 *)row->data, len, len, row->want);
		check_preview((const guint8 *)row->data, len, 1, row->want);
	}
}

/* The rules of a cleaned preview one character at a time (as fetch.c
 * applied them before it took eight plain bytes at once): controls, C1
 * and the bidi overrides dropped, white space runs made one space (none
 * leading or trailing), an invalid byte U+FFFD, NUL skipped, at most
 * IMAP_PREVIEW_MAX_CHARS characters. */
static char *
preview_model(const guchar *p, size_t len)
{
	GString *out = g_string_new(NULL);
	const guchar *end = p + len;
	unsigned n = 0;

	while (p < end && n < IMAP_PREVIEW_MAX_CHARS) {
		gunichar ch = *p;

		if (ch < 0x80) {
			p++;
		} else {
			ch = g_utf8_get_char_validated((const char *)p, end - p);
			if (ch == (gunichar)-1 || ch == (gunichar)-2) {
				ch = 0xfffd;
				p++;
			} else {
				p = (const guchar *)g_utf8_next_char(p);
			}
		}
		if (ch == 0)
			continue;
		if (ch == '\t' || ch == '\n' || ch == '\r' || ch == ' ' || ch == 0x2028 ||
		    ch == 0x2029) {
			if (out->len > 0 && out->str[out->len - 1] != ' ') {
				g_string_append_c(out, ' ');
				n++;
			}
			continue;
		}
		if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || (ch >= 0x202a && ch <= 0x202e) ||
		    (ch >= 0x2066 && ch <= 0x2069))
			continue;
		g_string_append_unichar(out, ch);
		n++;
	}
	if (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

/* Random previews of words, runs of spaces and every kind of byte the
 * cleaning treats apart, long enough to reach the cap: the same as
 * preview_model() says, whatever the eight-byte steps meet. */
static void
test_preview_runs(void)
{
	static const char *const pieces[] = {
		"word", "quarterly", "a", "ABCDEFGHIJKLMNOP", " ", "  ", "   ", "\t", "\r\n",
		"\"", "\\", "~", "!", "\x7f", "\x01", "\xc3\xa9", "\xc2\x85", "\xe2\x80\xa8",
		"\xe2\x80\xae", "\xff", "\xc3", "\xf0\x9f\x98\x80", "0123456789",
	};
	GRand *rnd = g_rand_new_with_seed(17);

	for (int t = 0; t < 3000; t++) {
		GString *data = g_string_new(NULL);
		GString *line = g_string_new(NULL);
		guint pieces_n = (guint)g_rand_int_range(rnd, 0, 160);
		char *want;

		for (guint i = 0; i < pieces_n; i++) {
			g_string_append(data, pieces[g_rand_int_range(rnd, 0, TERN_ARRAY_LEN(pieces))]);
			if (g_rand_int_range(rnd, 0, 40) == 0)
				g_string_append_c(data, '\0');
		}
		want = preview_model((const guchar *)data->str, data->len);
		g_string_printf(line, "* 1 FETCH (UID 7 PREVIEW {%" G_GSIZE_FORMAT "}\r\n", data->len);
		g_string_append_len(line, data->str, (gssize)data->len);
		g_string_append(line, ")\r\n");
		check_preview((const guint8 *)line->str, line->len, line->len, want);
		g_free(want);
		g_string_free(line, TRUE);
		g_string_free(data, TRUE);
	}
	g_rand_free(rnd);
}

/* A response's pieces share blocks (parser.c): under AddressSanitizer the
 * bytes after each piece stay poisoned, so a read past a string or a list
 * is caught as with an allocation each. Elsewhere nothing to check. */
static void
test_arena_bounds(void)
{
#ifdef TEST_ASAN
	const char *text = "* 1 FETCH (UID 5 FLAGS (\\Seen) PREVIEW \"hello\")\r\n";
	struct imap_response *r = parse_one(text, strlen(text), false);
	const char *pv = r->u.fetch.preview;
	const struct imap_arg *items = &r->args[2];

	g_assert_cmpstr(pv, ==, "hello");
	g_assert_false(__asan_address_is_poisoned(pv + 5));
	g_assert_true(__asan_address_is_poisoned(pv + 6));
	g_assert_cmpuint(items->n_children, ==, 6);
	g_assert_true(__asan_address_is_poisoned(items->children + items->n_children));
	g_assert_true(__asan_address_is_poisoned(items->children[0].data +
						 items->children[0].len + 1));
	imap_response_free(&r);
#else
	g_test_skip("not built with AddressSanitizer");
#endif
}

/* A 100 KB preview (a hostile server): cut at IMAP_PREVIEW_MAX_CHARS
 * characters, whatever their width in bytes. */
static void
test_preview_long(void)
{
	GString *s = g_string_new(NULL);
	const char *pv;
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_response *r;
	GError *err = NULL;

	g_string_printf(s, "* 3 FETCH (UID 9 PREVIEW {%u}\r\n", 100000u);
	for (unsigned i = 0; i < 100000 / 2; i++)
		g_string_append(s, "\xc3\xa9"); /* é */
	g_string_append(s, ")\r\n");
	imap_parser_feed(p, s->str, s->len);
	r = imap_parser_next(p, &err);
	g_assert_no_error(err);
	g_assert_nonnull(r);
	pv = r->u.fetch.preview;
	g_assert_nonnull(pv);
	g_assert_true(g_utf8_validate(pv, -1, NULL));
	g_assert_cmpuint(g_utf8_strlen(pv, -1), ==, IMAP_PREVIEW_MAX_CHARS);
	imap_response_free(&r);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

/* A line that never ends: the parser fails once max_line is passed and
 * never buffers more than the cap. */
static void
test_endless_line(void)
{
	struct imap_parser *p = imap_parser_new(NULL);
	char *chunk = g_malloc(65536);
	GError *err = NULL;
	size_t fed = 0;

	memset(chunk, 'a', 65536);
	imap_parser_feed(p, "* X ", 4);
	while (fed < 64u * 1024 * 1024) {
		imap_parser_feed(p, chunk, 65536);
		fed += 65536;
		g_assert_cmpuint(imap_parser_pending(p), <=, IMAP_DEFAULT_MAX_LINE + 65536);
		if (imap_parser_next(p, &err) == NULL && err != NULL)
			break;
	}
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_assert_cmpuint(fed, <=, IMAP_DEFAULT_MAX_LINE + 65536);
	g_assert_cmpuint(imap_parser_pending(p), ==, 0);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_free(chunk);
}

/* The same inside a literal-continued line and with a small custom cap. */
static void
test_line_cap_across_literals(void)
{
	struct imap_limits limits;
	struct imap_parser *p;
	GError *err = NULL;
	GString *s = g_string_new("* 1 FETCH (X ");

	imap_limits_init(&limits);
	limits.max_line = 100;
	for (int i = 0; i < 20; i++)
		g_string_append(s, "{1}\r\nx ");
	p = imap_parser_new(&limits);
	imap_parser_feed(p, s->str, s->len);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

static void
test_literal_total_cap(void)
{
	struct imap_limits limits;
	struct imap_parser *p;
	GError *err = NULL;
	GString *s = g_string_new("* 1 FETCH (BODY[1] {60}\r\n");

	imap_limits_init(&limits);
	limits.max_literal_total = 100;
	g_string_append_printf(s, "%60s BODY[2] {60}\r\n", "");
	p = imap_parser_new(&limits);
	imap_parser_feed(p, s->str, s->len);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

static void
test_deep_nesting(void)
{
	GString *s = g_string_new("* 1 FETCH (BODYSTRUCTURE ");
	struct imap_parser *p = imap_parser_new(NULL);
	GError *err = NULL;

	for (int i = 0; i < 10000; i++)
		g_string_append_c(s, '(');
	g_string_append(s, "\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1");
	for (int i = 0; i < 10000; i++)
		g_string_append(s, " \"mixed\")");
	g_string_append(s, ")\r\n");
	imap_parser_feed(p, s->str, s->len);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

/* Multiparts nested within the list cap but beyond the BODYSTRUCTURE cap. */
static void
test_body_depth_cap(void)
{
	GString *s = g_string_new("* 1 FETCH (BODYSTRUCTURE ");
	struct imap_parser *p = imap_parser_new(NULL);
	GError *err = NULL;
	int depth = IMAP_DEFAULT_MAX_BODY_DEPTH + 5;

	for (int i = 0; i < depth; i++)
		g_string_append_c(s, '(');
	g_string_append(s, "\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1");
	for (int i = 0; i < depth - 1; i++)
		g_string_append(s, ") \"mixed\"");
	g_string_append(s, "))\r\n");
	imap_parser_feed(p, s->str, s->len);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

static void
test_body_parts_cap(void)
{
	GString *s = g_string_new("* 1 FETCH (BODYSTRUCTURE (");
	struct imap_parser *p = imap_parser_new(NULL);
	GError *err = NULL;

	for (unsigned i = 0; i < IMAP_DEFAULT_MAX_BODY_PARTS + 1; i++)
		g_string_append(s, "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
	g_string_append(s, " \"mixed\"))\r\n");
	imap_parser_feed(p, s->str, s->len);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

/* 200,000 empty groups: refused by the caps (line/arguments) without
 * allocating more than they allow. */
static void
test_many_empty_groups(void)
{
	GString *s = g_string_new("* 1 FETCH (ENVELOPE (NIL NIL (");
	struct imap_parser *p = imap_parser_new(NULL);
	GError *err = NULL;

	for (int i = 0; i < 200000; i++)
		g_string_append(s, "(NIL NIL \"g\" NIL)(NIL NIL NIL NIL)");
	g_string_append(s, ") NIL NIL NIL NIL NIL NIL NIL))\r\n");
	imap_parser_feed(p, s->str, s->len);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
	g_string_free(s, TRUE);
}

static void
test_max_args(void)
{
	struct imap_limits limits;
	struct imap_parser *p;
	GError *err = NULL;

	imap_limits_init(&limits);
	limits.max_args = 10;
	p = imap_parser_new(&limits);
	imap_parser_feed(p, "* SEARCH 1 2 3 4 5 6 7 8 9 10 11\r\n", 34);
	g_assert_null(imap_parser_next(p, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_LIMIT);
	g_clear_error(&err);
	imap_parser_free(&p);
}

/* Feeds one response and returns its dump (or the error). */
static char *
dump_one(const char *text, const struct imap_limits *limits)
{
	return run((const guint8 *)text, strlen(text), 0, 0, limits);
}

/* ESORT with PARTIAL as Dovecot 2.3.19 sends it: the numbers stay in the
 * order sent (the sort order), not sorted. */
static void
test_esearch_partial(void)
{
	char *out = dump_one("* ESEARCH (TAG \"t5\") UID PARTIAL (1:5 20,15,21,17,28)\r\n"
			     "* ESEARCH (TAG \"t6\") UID PARTIAL (-1:-50 NIL)\r\n"
			     "* ESEARCH (TAG \"t7\") UID COUNT 3 PARTIAL (2:4 9:11,3)\r\n",
			     NULL);

	g_assert_cmpstr(out, ==,
			"* ESEARCH tag=\"t5\" UID partial=1:5=20,15,21,17,28\n"
			"* ESEARCH tag=\"t6\" UID partial=-1:-50=NIL\n"
			"* ESEARCH tag=\"t7\" UID count=3 partial=2:4=9:11,3\n");
	g_free(out);
}

/* THREAD as Dovecot sends it (adjacent lists, branches, a thread whose
 * root is missing), flattened in pre-order with each thread's start. */
static void
test_thread(void)
{
	char *out = dump_one("* THREAD (4)(3 10)(1 (2 5)(11)(12))((6)(7 (8)(9)))\r\n"
			     "* THREAD\r\n",
			     NULL);

	g_assert_cmpstr(out, ==, "* THREAD [4] [3 10] [1 2 5 11 12] [6 7 8 9]\n* THREAD\n");
	g_free(out);
}

/* Hostile THREAD answers: nesting past IMAP_THREAD_MAX_DEPTH fails even
 * when the parser would allow it; a huge flat answer is bounded by the
 * parser's argument cap, and one under it decodes in full. */
static void
test_thread_bounds(void)
{
	struct imap_limits limits;
	GString *s = g_string_new("* THREAD ");
	char *out;

	imap_limits_init(&limits);
	limits.max_depth = 400;
	for (unsigned i = 0; i < IMAP_THREAD_MAX_DEPTH + 2; i++)
		g_string_append_printf(s, "(%u ", i + 1);
	g_string_append(s, "(1000)(1001)");
	for (unsigned i = 0; i < IMAP_THREAD_MAX_DEPTH + 2; i++)
		g_string_append_c(s, ')');
	g_string_append(s, "\r\n");
	out = dump_one(s->str, &limits);
	g_assert_true(g_str_has_prefix(out, "ERROR"));
	g_assert_nonnull(strstr(out, "thread nesting"));
	g_free(out);

	/* 100,000 one-message threads: all of them, in order */
	g_string_assign(s, "* THREAD ");
	for (unsigned i = 1; i <= 100000; i++)
		g_string_append_printf(s, "(%u)", i);
	g_string_append(s, "\r\n");
	{
		struct imap_parser *p = imap_parser_new(NULL);
		struct imap_response *r;
		GError *err = NULL;

		imap_parser_feed(p, s->str, s->len);
		r = imap_parser_next(p, &err);
		g_assert_no_error(err);
		g_assert_nonnull(r);
		g_assert_cmpint(r->type, ==, IMAP_DATA_THREAD);
		g_assert_cmpuint(r->u.thread.n_threads, ==, 100000);
		g_assert_cmpuint(r->u.thread.n_numbers, ==, 100000);
		g_assert_cmpuint(r->u.thread.numbers[99999], ==, 100000);
		g_assert_cmpuint(r->u.thread.starts[99999], ==, 99999);
		imap_response_free(&r);
		imap_parser_free(&p);
	}
	/* past the argument cap: refused */
	limits.max_depth = IMAP_DEFAULT_MAX_DEPTH;
	limits.max_args = 1000;
	out = dump_one(s->str, &limits);
	g_assert_true(g_str_has_prefix(out, "ERROR"));
	g_free(out);
	g_string_free(s, TRUE);
}

static void
test_reset(void)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_response *r;
	GError *err = NULL;

	imap_parser_feed(p, "a1 OK Begin TLS\r\n* garbage before TLS", 37);
	r = imap_parser_next(p, &err);
	g_assert_nonnull(r);
	imap_response_free(&r);
	g_assert_cmpuint(imap_parser_pending(p), ==, 20);
	imap_parser_reset(p);
	g_assert_cmpuint(imap_parser_pending(p), ==, 0);
	imap_parser_feed(p, "* 2 EXISTS\r\n", 12);
	r = imap_parser_next(p, &err);
	g_assert_no_error(err);
	g_assert_cmpint(r->type, ==, IMAP_DATA_EXISTS);
	g_assert_cmpuint(r->u.number, ==, 2);
	imap_response_free(&r);
	imap_parser_free(&p);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < TERN_ARRAY_LEN(transcripts); i++) {
		char *path = g_strdup_printf("/imap/parser/transcript/%s", transcripts[i]);

		g_test_add_data_func(path, transcripts[i], test_transcript);
		g_free(path);
	}
	g_test_add_func("/imap/parser/bodystructure-sections", test_bodystructure_sections);
	g_test_add_func("/imap/parser/body-literal-bytes", test_body_literal_bytes);
	g_test_add_func("/imap/parser/utf8-accept", test_utf8_accept);
	g_test_add_func("/imap/parser/continuation", test_continuation);
	g_test_add_func("/imap/parser/empty-groups-truncated", test_empty_groups_truncated);
	g_test_add_func("/imap/parser/bad-rows", test_bad_rows);
	g_test_add_func("/imap/parser/preview", test_preview);
	g_test_add_func("/imap/parser/preview-long", test_preview_long);
	g_test_add_func("/imap/parser/preview-runs", test_preview_runs);
	g_test_add_func("/imap/parser/arena-bounds", test_arena_bounds);
	g_test_add_func("/imap/parser/endless-line", test_endless_line);
	g_test_add_func("/imap/parser/line-cap-across-literals", test_line_cap_across_literals);
	g_test_add_func("/imap/parser/literal-total-cap", test_literal_total_cap);
	g_test_add_func("/imap/parser/deep-nesting", test_deep_nesting);
	g_test_add_func("/imap/parser/body-depth-cap", test_body_depth_cap);
	g_test_add_func("/imap/parser/body-parts-cap", test_body_parts_cap);
	g_test_add_func("/imap/parser/many-empty-groups", test_many_empty_groups);
	g_test_add_func("/imap/parser/max-args", test_max_args);
	g_test_add_func("/imap/parser/reset", test_reset);
	g_test_add_func("/imap/parser/esearch-partial", test_esearch_partial);
	g_test_add_func("/imap/parser/thread", test_thread);
	g_test_add_func("/imap/parser/thread-bounds", test_thread_bounds);
	return g_test_run();
}

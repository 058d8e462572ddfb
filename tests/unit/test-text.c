/* Unit tests for core/text: sanitiser, JSON strings, display width, wrapping. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"

struct san_case {
	const char *in;
	gssize len;
	unsigned flags;
	const char *out;
};

static const struct san_case san_cases[] = {
	{ "plain text", -1, 0, "plain text" },
	{ "", -1, 0, "" },
	/* C0 controls, ESC, DEL */
	{ "a\x1b]52;c;Zm9v\x07z", -1, 0, "a^[]52;c;Zm9v^Gz" },
	{ "\x01\x02\x1f", -1, 0, "^A^B^_" },
	{ "x\x7fy", -1, 0, "x^?y" },
	{ "nul\0byte", 8, 0, "nul^@byte" },
	{ "\x1b[31mred", -1, TEXT_SANITIZE_MULTILINE, "^[[31mred" },
	/* one-line mode: TAB, LF, CRLF become spaces; lone CR is visible */
	{ "a\tb\nc\r\nd", -1, 0, "a b c d" },
	{ "over\rwrite", -1, 0, "over^Mwrite" },
	/* multi-line: TAB and LF kept, CRLF normalised, lone CR visible */
	{ "a\tb\r\nc\nd\re", -1, TEXT_SANITIZE_MULTILINE, "a\tb\nc\nd^Me" },
	{ "end\r", -1, TEXT_SANITIZE_MULTILINE, "end^M" },
	/* C1 as code points, raw C1 bytes are invalid UTF-8 */
	{ "\xc2\x9b" "31m", -1, 0, "<U+009B>31m" },
	{ "\xc2\x85", -1, 0, "<U+0085>" },
	{ "\x9b" "31m", -1, 0, "\xef\xbf\xbd" "31m" },
	/* bidi controls and separators */
	{ "abc\xe2\x80\xae" "fdp.exe", -1, 0, "abc<U+202E>fdp.exe" },
	{ "\xe2\x81\xa6x\xe2\x81\xa9", -1, 0, "<U+2066>x<U+2069>" },
	{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", -1, 0, "<U+200E><U+200F><U+061C>" },
	{ "\xe2\x80\xa8", -1, 0, "<U+2028>" },
	/* invalid UTF-8 */
	{ "a\xffz", -1, 0, "a\xef\xbf\xbdz" },
	{ "\xc3", -1, 0, "\xef\xbf\xbd" },
	{ "\xc0\xaf", -1, 0, "\xef\xbf\xbd\xef\xbf\xbd" },        /* overlong */
	{ "\xed\xa0\x80", -1, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
	{ "\xe2\x82", -1, 0, "\xef\xbf\xbd" },                    /* truncated: one U+FFFD */
	{ "\xf4\x90\x80\x80", -1, 0,
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
	/* ordinary non-ASCII kept */
	{ "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", -1, 0,
	  "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80" },
};

static void
test_sanitize_table(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(san_cases); i++) {
		const struct san_case *c = &san_cases[i];
		char *out = text_sanitize(c->in, c->len, c->flags);

		g_test_message("case %zu", i);
		g_assert_cmpstr(out, ==, c->out);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_free(out);
	}
}

static void
test_sanitize_null_and_append(void)
{
	GString *s = g_string_new("x:");
	char *out = text_sanitize(NULL, -1, 0);

	g_assert_cmpstr(out, ==, "");
	g_free(out);
	text_sanitize_append(s, "\x1b", -1, 0);
	g_assert_cmpstr(s->str, ==, "x:^[");
	g_string_free(s, TRUE);
}

/* Every byte value, alone and in every pair: output is valid UTF-8 and holds
 * no control character other than TAB/LF. */
static void
test_sanitize_exhaustive_bytes(void)
{
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			char in[2] = { (char)a, (char)b };
			char *out = text_sanitize(in, 2, TEXT_SANITIZE_MULTILINE);

			g_assert_true(g_utf8_validate(out, -1, NULL));
			for (const char *p = out; *p; p = g_utf8_next_char(p)) {
				gunichar u = g_utf8_get_char(p);

				g_assert_true(u == '\t' || u == '\n' || !text_unichar_is_unsafe(u));
			}
			g_free(out);
		}
	}
}

static void
test_sanitize_big(void)
{
	size_t n = 20 * 1024 * 1024;
	char *big = g_malloc(n);
	char *out;

	for (size_t i = 0; i < n; i++)
		big[i] = (i % 80 == 79) ? '\n' : (char)('a' + i % 26);
	big[1000] = '\x1b';
	out = text_sanitize(big, (gssize)n, TEXT_SANITIZE_MULTILINE);
	g_assert_cmpuint(strlen(out), ==, n + 1);
	g_assert_true(strncmp(out + 1000, "^[", 2) == 0);
	g_free(out);
	g_free(big);
}

static void
test_make_valid(void)
{
	char *out = text_make_valid("a\x1b\xffz", -1);

	g_assert_cmpstr(out, ==, "a\x1b\xef\xbf\xbdz");
	g_free(out);
}

struct json_case {
	const char *in;
	size_t len;
	const char *out;
};

static const struct json_case json_cases[] = {
	{ "hello", (size_t)-1, "\"hello\"" },
	{ "", (size_t)-1, "\"\"" },
	{ "q\"b\\s/", (size_t)-1, "\"q\\\"b\\\\s/\"" },
	{ "a\nb\tc\rd", (size_t)-1, "\"a\\u000ab\\u0009c\\u000dd\"" },
	{ "\x1b]0;x\x07", (size_t)-1, "\"\\u001b]0;x\\u0007\"" },
	{ "\x7f", (size_t)-1, "\"\\u007f\"" },
	{ "\xc2\x9b", (size_t)-1, "\"\\u009b\"" },
	{ "\xe2\x80\xae" "x", (size_t)-1, "\"\\u202ex\"" },
	{ "\xe2\x80\xa8", (size_t)-1, "\"\\u2028\"" },
	{ "bad\xff", (size_t)-1, "\"bad\xef\xbf\xbd\"" },
	{ "nul\0x", 5, "\"nul\\u0000x\"" },
	{ "\xe6\x97\xa5\xf0\x9f\x98\x80", (size_t)-1, "\"\xe6\x97\xa5\xf0\x9f\x98\x80\"" },
	/* across the eight-byte runs of plain text */
	{ "1234567\xe6\x97\xa5" "abcdefgh", (size_t)-1, "\"1234567\xe6\x97\xa5" "abcdefgh\"" },
	{ "abcdefgh\xc2\x9bijklmno\"", (size_t)-1, "\"abcdefgh\\u009bijklmno\\\"\"" },
	{ "abcdefghijklmno\xff", (size_t)-1, "\"abcdefghijklmno\xef\xbf\xbd\"" },
	{ "abcdefgh\x7f", (size_t)-1, "\"abcdefgh\\u007f\"" },
	{ "abcdefg\0hijklmnop", 16, "\"abcdefg\\u0000hijklmno\"" },
};

static void
test_json(void)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < TERN_ARRAY_LEN(json_cases); i++) {
		g_string_truncate(s, 0);
		text_json_escape(s, json_cases[i].in, json_cases[i].len);
		g_assert_cmpstr(s->str, ==, json_cases[i].out);
	}
	g_string_truncate(s, 0);
	text_json_escape(s, NULL, 0);
	g_assert_cmpstr(s->str, ==, "null");
	g_string_free(s, TRUE);
}

/* The byte-by-byte escaping of ASCII that text_json_escape() did before
 * it skipped plain runs eight bytes at a time. */
static void
json_reference(GString *out, const guchar *p, size_t n)
{
	g_string_append_c(out, '"');
	for (size_t i = 0; i < n; i++) {
		guchar c = p[i];

		g_assert_cmpuint(c, <, 0x80);
		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\u%04x", (unsigned)c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}

/* Random ASCII with every special byte, at every offset from an eight-byte
 * boundary: the same as one byte at a time. */
static void
test_json_runs(void)
{
	static const char alphabet[] = "abcXYZ 019~!\"\\\x01\x1f\x7f\t";
	GRand *r = g_rand_new_with_seed(29);
	GString *got = g_string_new(NULL), *want = g_string_new(NULL);
	char buf[64];

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)g_rand_int_range(r, 0, (gint32)sizeof buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = g_rand_int_range(r, 0, 8) == 0
					 ? alphabet[g_rand_int_range(r, 0, sizeof alphabet - 1)]
					 : (char)g_rand_int_range(r, 0x20, 0x7f);
		g_string_truncate(got, 0);
		g_string_truncate(want, 0);
		text_json_escape(got, buf, n);
		json_reference(want, (const guchar *)buf, n);
		g_assert_cmpstr(got->str, ==, want->str);
	}
	g_string_free(got, TRUE);
	g_string_free(want, TRUE);
	g_rand_free(r);
}

static void
test_width(void)
{
	g_assert_cmpuint(text_width("abc", -1), ==, 3);
	g_assert_cmpuint(text_width("", -1), ==, 0);
	g_assert_cmpuint(text_width("\xe6\x97\xa5\xe6\x9c\xac", -1), ==, 4); /* 日本 */
	g_assert_cmpuint(text_width("e\xcc\x81", -1), ==, 1);              /* e + U+0301 */
	g_assert_cmpuint(text_width("\xef\xbc\xa1", -1), ==, 2);            /* fullwidth A */
	g_assert_cmpuint(text_width("\xff", -1), ==, 1);                    /* U+FFFD */
	g_assert_cmpuint(text_width("\xe2\x80\x8b", -1), ==, 0);            /* ZWSP */
	g_assert_cmpuint(text_unichar_width(0x1F600), ==, 2);
}

static void
check_trunc(const char *in, size_t cols, const char *ell, const char *want)
{
	char *out = text_truncate(in, -1, cols, ell);

	g_assert_cmpstr(out, ==, want);
	g_assert_cmpuint(text_width(out, -1), <=, cols);
	g_free(out);
}

static void
test_truncate(void)
{
	check_trunc("hello", 10, NULL, "hello");
	check_trunc("hello", 5, "\xe2\x80\xa6", "hello");
	check_trunc("hello world", 5, NULL, "hello");
	check_trunc("hello world", 5, "\xe2\x80\xa6", "hell\xe2\x80\xa6");
	/* 日本語: never split a wide character */
	check_trunc("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3, NULL, "\xe6\x97\xa5");
	check_trunc("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4, NULL, "\xe6\x97\xa5\xe6\x9c\xac");
	check_trunc("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4, "\xe2\x80\xa6",
		    "\xe6\x97\xa5\xe2\x80\xa6");
	/* a combining mark stays with its base */
	check_trunc("e\xcc\x81x", 1, NULL, "e\xcc\x81");
	check_trunc("abc", 0, "\xe2\x80\xa6", "");
	check_trunc("a\xff" "bc", 2, NULL, "a\xef\xbf\xbd");
}

static void
test_pad(void)
{
	char *out = text_pad("ab", -1, 5, NULL);

	g_assert_cmpstr(out, ==, "ab   ");
	g_free(out);
	out = text_pad("\xe6\x97\xa5\xe6\x9c\xac", -1, 3, NULL);
	g_assert_cmpstr(out, ==, "\xe6\x97\xa5 ");
	g_free(out);
	out = text_pad("abcdef", -1, 4, "\xe2\x80\xa6");
	g_assert_cmpstr(out, ==, "abc\xe2\x80\xa6");
	g_free(out);
}

static void
check_wrap(const char *in, size_t width, const char *const *want)
{
	GPtrArray *lines = text_wrap(in, -1, width);
	size_t n = g_strv_length((char **)want);

	for (size_t i = 0; i < lines->len; i++)
		g_test_message("line %zu: '%s'", i, (char *)lines->pdata[i]);
	g_assert_cmpuint(lines->len, ==, n);
	for (size_t i = 0; i < n; i++) {
		g_assert_cmpstr(lines->pdata[i], ==, want[i]);
		if (width > 0)
			g_assert_cmpuint(text_width(lines->pdata[i], -1), <=, width);
	}
	g_ptr_array_unref(lines);
}

static void
test_wrap(void)
{
	check_wrap("", 10, (const char *const[]){ "", NULL });
	check_wrap("short", 10, (const char *const[]){ "short", NULL });
	check_wrap("the quick brown fox jumps", 10,
		   (const char *const[]){ "the quick", "brown fox", "jumps", NULL });
	check_wrap("abcdefghijklmnop", 5,
		   (const char *const[]){ "abcde", "fghij", "klmno", "p", NULL });
	check_wrap("a\nb\n\nc\n", 10, (const char *const[]){ "a", "b", "", "c", NULL });
	check_wrap("\tx", 20, (const char *const[]){ "        x", NULL });
	check_wrap("    indented_long_word", 10,
		   (const char *const[]){ "    indent", "ed_long_wo", "rd", NULL });
	/* 日本語日本語 at width 5: two wide characters per line */
	check_wrap("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac", 5,
		   (const char *const[]){ "\xe6\x97\xa5\xe6\x9c\xac", "\xe8\xaa\x9e\xe6\x97\xa5",
					  "\xe6\x9c\xac", NULL });
	check_wrap("no wrap at all here", 0,
		   (const char *const[]){ "no wrap at all here", NULL });
}

static char *
fake_decoder(const char *raw)
{
	if (strcmp(raw, "fail") == 0)
		return NULL;
	return g_strdup_printf("[%s\x1b]", raw);
}

static void
test_header_hook(void)
{
	char *s;

	text_set_header_decoder(NULL);
	s = text_decode_header("a\x1b" "b");
	g_assert_cmpstr(s, ==, "a^[b");
	g_free(s);
	text_set_header_decoder(fake_decoder);
	s = text_decode_header("x");
	g_assert_cmpstr(s, ==, "[x^[]");
	g_free(s);
	s = text_decode_header_utf8("x");
	g_assert_cmpstr(s, ==, "[x\x1b]");
	g_free(s);
	s = text_decode_header("fail");
	g_assert_cmpstr(s, ==, "fail");
	g_free(s);
	s = text_decode_header(NULL);
	g_assert_cmpstr(s, ==, "");
	g_free(s);
	text_set_header_decoder(NULL);
}

/* The test runs in the C locale (no setlocale()): ASCII. */
static void
test_locale_ascii(void)
{
	char *s = text_for_locale("Z\xc3\xbcrich \xe6\x97\xa5 \xe2\x94\x82 \xe2\x94\x94\xe2\x94\x80> "
				  "a\xe2\x80\xa6 e\xcc\x81 \xff", -1);
	char *bytes = text_to_locale("Caf\xc3\xa9 \xe4\xb8\xad", -1);

	g_assert_false(text_locale_is_utf8());
	for (const char *p = s; *p != '\0'; p++)
		g_assert_cmpint((unsigned char)*p, <, 0x80);
	g_assert_true(g_str_has_prefix(s, "Z"));
	g_assert_true(g_str_has_suffix(s, "rich ? | `-> a... e ?"));
	g_assert_cmpuint(text_width(s, -1), ==, strlen(s));
	g_assert_true(g_str_has_suffix(bytes, " ?"));
	for (const char *p = bytes; *p != '\0'; p++)
		g_assert_cmpint((unsigned char)*p, <, 0x80);
	g_free(s);
	g_free(bytes);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/text/sanitize/table", test_sanitize_table);
	g_test_add_func("/text/locale/ascii", test_locale_ascii);
	g_test_add_func("/text/sanitize/null-append", test_sanitize_null_and_append);
	g_test_add_func("/text/sanitize/exhaustive-bytes", test_sanitize_exhaustive_bytes);
	g_test_add_func("/text/sanitize/20mb", test_sanitize_big);
	g_test_add_func("/text/make-valid", test_make_valid);
	g_test_add_func("/text/json", test_json);
	g_test_add_func("/text/json-runs", test_json_runs);
	g_test_add_func("/text/width", test_width);
	g_test_add_func("/text/truncate", test_truncate);
	g_test_add_func("/text/pad", test_pad);
	g_test_add_func("/text/wrap", test_wrap);
	g_test_add_func("/text/header-hook", test_header_hook);
	return g_test_run();
}

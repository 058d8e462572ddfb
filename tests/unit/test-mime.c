/* Unit tests for mime/: header decoding, charsets, choosing and rendering
 * bodies (plain, flowed, HTML), structure, attachments and saving. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text/text.h"
#include "mime/mime.h"

/* Parses msg, renders with the given width and flags, returns the formatted
 * output (transfer full). */
static char *
show(const char *msg, size_t width, bool prefer_html, bool all_headers)
{
	struct mime_message *m = mime_message_parse(msg, strlen(msg));
	struct mime_render_opts opts;
	struct mime_rendered *r;
	char *out;

	mime_render_opts_init(&opts);
	opts.width = width;
	opts.prefer_html = prefer_html;
	opts.all_headers = all_headers;
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	mime_rendered_free(&r);
	mime_message_free(&m);
	return out;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL) {
		g_test_message("output:\n%s", hay);
		g_test_message("missing: %s", needle);
		g_test_fail();
	}
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL) {
		g_test_message("output:\n%s", hay);
		g_test_message("unexpected: %s", needle);
		g_test_fail();
	}
}

/* ---- Headers ---- */

struct hdr_case {
	const char *raw;
	const char *decoded;
};

static const struct hdr_case hdr_cases[] = {
	{ "plain subject", "plain subject" },
	{ "=?UTF-8?Q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "=?utf-8?b?Y2Fmw6k=?=", "caf\xc3\xa9" },
	{ "=?iso-8859-1?q?caf=E9_au_lait?=", "caf\xc3\xa9 au lait" },
	/* whitespace between adjacent encoded-words is dropped, elsewhere kept */
	{ "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },
	{ "=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?= c", "ab c" },
	{ "x =?UTF-8?Q?a?= y", "x a y" },
	/* a multi-byte character split across two words (€ = E2 82 AC) */
	{ "=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=", "\xe2\x82\xac" },
	{ "=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "\xe2\x82\xac" },
	/* unknown or wrong charset labels fall back */
	{ "=?x-unknown?Q?caf=E9?=", "caf\xc3\xa9" },
	{ "=?x-unknown?Q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "=?us-ascii?Q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "=?utf-8?Q?caf=E9?=", "caf\xc3\xa9" },
	/* RFC 2231 language suffix */
	{ "=?utf-8*en?Q?hi?=", "hi" },
	/* inside quotes and words (common breakage) */
	{ "\"=?UTF-8?Q?J=C3=B6rg?=\" <j@example.org>", "\"J\xc3\xb6rg\" <j@example.org>" },
	{ "pre=?UTF-8?Q?X?=post", "preXpost" },
	/* unlabelled 8-bit: UTF-8, else windows-1252 */
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "caf\xe9 \x80", "caf\xc3\xa9 \xe2\x82\xac" },
	/* malformed words are left alone */
	{ "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	{ "=?UTF-8?Q?no end", "=?UTF-8?Q?no end" },
	{ "=?", "=?" },
	{ "=?UTF-8?Q?bad=ZZhex?=", "bad=ZZhex" },
	{ "=?koi8-r?B?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
	{ "=?ISO-2022-JP?B?GyRCJEskWyRzGyhC?=", "\xe3\x81\xab\xe3\x81\xbb\xe3\x82\x93" },
	{ "", "" },
};

static void
test_header_decode(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(hdr_cases); i++) {
		char *d = mime_header_decode(hdr_cases[i].raw);

		g_test_message("case %zu: %s", i, hdr_cases[i].raw);
		g_assert_cmpstr(d, ==, hdr_cases[i].decoded);
		g_free(d);
	}
}

/* text_header_is_plain()'s promise, which the cache's bulk write relies
 * on to skip decoding: what it calls plain decodes to itself. */
static void
test_header_plain(void)
{
	static const char *const plain[] = { "plain subject", "", "a\tb \x01 c",
					     "Re: [list] = ? x", "\"A, B\" <a@b.example>" };
	static const char *const not_plain[] = { "=?", "caf\xc3\xa9", "a\r\n b", "a\nb",
						 "x=?UTF-8?Q?a?=" };
	char *big = g_strnfill(4096, 'x');
	size_t len;

	for (size_t i = 0; i < TERN_ARRAY_LEN(hdr_cases); i++) {
		char *d;

		if (!text_header_is_plain(hdr_cases[i].raw, &len))
			continue;
		d = text_decode_header_utf8(hdr_cases[i].raw);
		g_assert_cmpstr(d, ==, hdr_cases[i].raw);
		g_assert_cmpuint(len, ==, strlen(hdr_cases[i].raw));
		g_free(d);
	}
	for (size_t i = 0; i < TERN_ARRAY_LEN(plain); i++) {
		char *d = text_decode_header_utf8(plain[i]);

		g_assert_true(text_header_is_plain(plain[i], &len));
		g_assert_cmpuint(len, ==, strlen(plain[i]));
		g_assert_cmpstr(d, ==, plain[i]);
		g_free(d);
	}
	for (size_t i = 0; i < TERN_ARRAY_LEN(not_plain); i++)
		g_assert_false(text_header_is_plain(not_plain[i], &len));
	g_assert_false(text_header_is_plain(NULL, &len));
	g_assert_false(text_header_is_plain(big, &len));
	big[4095] = '\0';
	g_assert_true(text_header_is_plain(big, &len));
	g_assert_cmpuint(len, ==, 4095);
	g_free(big);
}

/* ESC inside an encoded-word decodes, then the sanitiser shows it. */
static void
test_header_escape(void)
{
	const char *raw = "=?UTF-8?Q?a=1B]52;c;Zm9v=07?=";
	char *d = mime_header_decode(raw), *s, *out;

	g_assert_cmpstr(d, ==, "a\x1b]52;c;Zm9v\x07");
	g_free(d);
	s = text_decode_header(raw); /* core's hook, registered by mime_init() */
	g_assert_cmpstr(s, ==, "a^[]52;c;Zm9v^G");
	g_free(s);
	out = show("From: =?UTF-8?Q?Eve=1B[2J?= <eve@example.org>\n"
		   "Subject: =?UTF-8?Q?a=1B]52;c;Zm9v=07?=\n"
		   "\n"
		   "body \x1b[31mred\x1b[0m \xe2\x80\xae" "gnp.exe\n",
		   0, false, false);
	assert_contains(out, "Subject: a^[]52;c;Zm9v^G\n");
	assert_contains(out, "From: Eve^[[2J <eve@example.org>\n");
	assert_contains(out, "body ^[[31mred^[[0m <U+202E>gnp.exe\n");
	g_assert_null(strchr(out, '\x1b'));
	g_free(out);
}

static void
test_headers_mode(void)
{
	char *out = show("Received: from x\n\tby y\n"
			 "From: a@example.org\n"
			 "X-Thing: =?UTF-8?Q?caf=C3=A9?=\n"
			 "Subject: s\n"
			 "\n"
			 "hi\n",
			 0, false, true);

	g_assert_cmpstr(out, ==,
			"Received: from x by y\n"
			"From: a@example.org\n"
			"X-Thing: caf\xc3\xa9\n"
			"Subject: s\n"
			"\n"
			"hi\n");
	g_free(out);
}

static void
test_standard_headers(void)
{
	char *out = show("From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\n"
			 "To: a@example.org, =?UTF-8?B?5pel5pys?= <b@example.org>\n"
			 "Cc: c@example.org\n"
			 "Date: Wed, 31 Jan 2024 13:00:00 +0100\n"
			 "Subject: hello\n"
			 "\n"
			 "hi\n",
			 0, false, false);

	g_assert_cmpstr(out, ==,
			"From: Andr\xc3\xa9 <andre@example.org>\n"
			"To: a@example.org, \xe6\x97\xa5\xe6\x9c\xac <b@example.org>\n"
			"Cc: c@example.org\n"
			"Date: Wed, 31 Jan 2024 12:00:00 +0000\n"
			"Subject: hello\n"
			"\n"
			"hi\n");
	g_free(out);
	out = show("Subject: no date\n\nx\n", 0, false, false);
	g_assert_cmpstr(out, ==, "From: \nTo: \nDate: \nSubject: no date\n\nx\n");
	g_free(out);
	out = show("Date: not a date\n\nx\n", 0, false, false);
	assert_contains(out, "Date: not a date\n");
	g_free(out);
}

/* ---- Charsets ---- */

struct cs_case {
	const char *charset;
	const char *in;
	const char *out;
};

static const struct cs_case cs_cases[] = {
	{ "iso-8859-1", "caf\xe9", "caf\xc3\xa9" },
	{ "ISO-8859-15", "\xa4", "\xe2\x82\xac" },
	{ NULL, "caf\xc3\xa9", "caf\xc3\xa9" },
	{ NULL, "caf\xe9 \x80", "caf\xc3\xa9 \xe2\x82\xac" },
	{ "us-ascii", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "x-no-such-charset", "caf\xe9", "caf\xc3\xa9" },
	{ "utf-8", "caf\xe9", "caf\xc3\xa9" },
	/* mostly UTF-8 with one bad byte keeps the good characters */
	{ "utf-8", "\xc3\xa9t\xc3\xa9 \xff ok", "\xc3\xa9t\xc3\xa9 \xef\xbf\xbd ok" },
	/* windows-1252 holes fall back to ISO-8859-1 (C1 code points) */
	{ NULL, "a\x81z", "a\xc2\x81z" },
	{ "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4",
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
};

static void
test_charsets(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(cs_cases); i++) {
		size_t n = 0;
		char *out = mime_charset_to_utf8(cs_cases[i].charset, cs_cases[i].in,
						 strlen(cs_cases[i].in), &n);

		g_test_message("case %zu", i);
		g_assert_cmpstr(out, ==, cs_cases[i].out);
		g_assert_cmpuint(n, ==, strlen(out));
		g_free(out);
	}
}

/* Inputs with NUL bytes: the length is given. */
struct bin_case {
	const char *charset;
	const char *in;
	size_t len;
	const char *out;
};

#define BIN(cs, lit, out) { cs, lit, sizeof lit - 1, out }

static const struct bin_case unicode_cases[] = {
	/* UTF-16 with a byte order mark, which is not shown and wins over the label */
	BIN("utf-16", "\xff\xfeh\0i\0 \0\xe9\0", "hi \xc3\xa9"),
	BIN("utf-16", "\xfe\xff\0h\0i\0 \0\xe9", "hi \xc3\xa9"),
	BIN("utf-16be", "\xfe\xff\0h\0i", "hi"),
	BIN("utf-16le", "\xff\xfeh\0i\0", "hi"),
	BIN(NULL, "\xff\xfeh\0i\0", "hi"),
	BIN("us-ascii", "\xfe\xff\0h\0i", "hi"),
	/* without one: the label, else the zero bytes say which order */
	BIN("utf-16le", "h\0i\0", "hi"),
	BIN("UTF-16BE", "\0h\0i", "hi"),
	BIN("utf-16", "\0h\0i\0!", "hi!"),
	BIN("utf-16", "h\0i\0!\0", "hi!"),
	BIN(NULL, "h\0e\0l\0l\0o\0", "hello"),
	BIN(NULL, "\0h\0e\0l\0l\0o", "hello"),
	/* non-ASCII and a surrogate pair (U+1F600), unpaired surrogates */
	BIN("utf-16le", "\x3d\xd8\x00\xde", "\xf0\x9f\x98\x80"),
	BIN("utf-16be", "\x04\x1f\x04\x40", "\xd0\x9f\xd1\x80"),
	BIN("utf-16le", "\x3d\xd8" "a\0", "\xef\xbf\xbd" "a"),
	BIN("utf-16le", "a\0b", "a\xef\xbf\xbd"),
	/* UTF-32, both orders, with and without a BOM */
	BIN("utf-32", "\xff\xfe\0\0h\0\0\0i\0\0\0", "hi"),
	BIN("utf-32", "\0\0\xfe\xff\0\0\0h\0\0\0i", "hi"),
	BIN("utf-32", "h\0\0\0i\0\0\0", "hi"),
	BIN("utf-32", "\0\0\0h\0\0\0i", "hi"),
	BIN("utf-32be", "\0\x01\xf6\x00", "\xf0\x9f\x98\x80"),
	BIN(NULL, "h\0\0\0i\0\0\0!\0\0\0", "hi!"),
	BIN("utf-32le", "\0\0\x11\0", "\xef\xbf\xbd"),
	/* a UTF-8 BOM is dropped */
	BIN("utf-8", "\xef\xbb\xbfhi", "hi"),
	BIN(NULL, "\xef\xbb\xbf\xc3\xa9", "\xc3\xa9"),
	/* charset labels iconv does not know by that name (WHATWG labels) */
	BIN("big5_tw", "\xa4\xa4\xa4\xe5", "\xe4\xb8\xad\xe6\x96\x87"),
	BIN("x-x-big5", "\xa4\xa4", "\xe4\xb8\xad"),
	BIN("eucgb2312_cn", "\xd6\xd0\xce\xc4", "\xe4\xb8\xad\xe6\x96\x87"),
	BIN("x-gbk", "\x81\x40", "\xe4\xb8\x82"),
	BIN("gb2312", "\x81\x40", "\xe4\xb8\x82"), /* GBK beyond GB 2312 */
	BIN("x-sjis", "\x93\xfa\x96\x7b", "\xe6\x97\xa5\xe6\x9c\xac"),
	BIN("ms_kanji", "\x93\xfa", "\xe6\x97\xa5"),
	BIN("x-mac-roman", "caf\x8e", "caf\xc3\xa9"),
	BIN("x-mac-cyrillic", "\x8f", "\xd0\x9f"),
	BIN("ks_c_5601-1987", "\xc7\xd1", "\xed\x95\x9c"),
	BIN("x-cp1251", "\xcf", "\xd0\x9f"),
	BIN("cp866", "\x8f", "\xd0\x9f"),
	BIN("iso8859-2", "\xb1", "\xc4\x85"),
	BIN("Latin2", "\xb1", "\xc4\x85"),
	BIN("tis-620", "\xa1", "\xe0\xb8\x81"),
	BIN("koi", "\xf0", "\xd0\x9f"),
	/* an unknown label still falls back to windows-1252 */
	BIN("x-no-such-charset", "caf\xe9", "caf\xc3\xa9"),
	/* ASCII labels keep reading valid UTF-8 as UTF-8 */
	BIN("us-ascii", "caf\xc3\xa9", "caf\xc3\xa9"),
};

static void
test_unicode_and_aliases(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(unicode_cases); i++) {
		const struct bin_case *c = &unicode_cases[i];
		size_t n = 0;
		char *out = mime_charset_to_utf8(c->charset, c->in, c->len, &n);

		g_test_message("case %zu (%s)", i, c->charset ? c->charset : "(none)");
		g_assert_cmpstr(out, ==, c->out);
		g_assert_cmpuint(n, ==, strlen(out));
		g_free(out);
	}
}

/* Parses len bytes (NULs allowed), renders, returns the body (after the
 * header block; transfer full). */
static char *
show_body(const char *msg, size_t len)
{
	struct mime_message *m = mime_message_parse(msg, len);
	struct mime_render_opts opts;
	struct mime_rendered *r;
	char *out, *body;

	mime_render_opts_init(&opts);
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	body = strstr(out, "\n\n");
	body = g_strdup(body ? body + 2 : out);
	g_free(out);
	mime_rendered_free(&r);
	mime_message_free(&m);
	return body;
}

#define SHOW_BODY(lit) show_body(lit, sizeof lit - 1)

static void
test_body_utf16(void)
{
	char *out;

	out = SHOW_BODY("Subject: x\nContent-Type: text/html\n\n"
			"<\0p\0>\0h\0e\0l\0l\0o\0<\0/\0p\0>\0");
	g_assert_cmpstr(out, ==, "hello\n");
	g_free(out);
	out = SHOW_BODY("Subject: x\nContent-Type: text/html; charset=utf-16\n\n"
			"\xfe\xff\0<\0b\0>\0h\0i\0<\0/\0b\0>");
	g_assert_cmpstr(out, ==, "hi\n");
	g_free(out);
	out = SHOW_BODY("Subject: x\nContent-Type: text/plain; charset=utf-16be\n\n"
			"\xfe\xff\0h\0i\0\n");
	g_assert_cmpstr(out, ==, "hi\n");
	g_free(out);
	out = SHOW_BODY("Subject: x\nContent-Type: text/plain\n\n"
			"\xff\xfeh\0i\0\n\0");
	g_assert_cmpstr(out, ==, "hi\n");
	g_free(out);
	out = SHOW_BODY("Subject: x\nContent-Type: text/plain; charset=utf-32\n"
			"Content-Transfer-Encoding: base64\n\n"
			"AAAAaAAAAGkAAAAK\n");
	g_assert_cmpstr(out, ==, "hi\n");
	g_free(out);
}

static void
test_body_charset(void)
{
	char *out = show("Subject: x\n"
			 "Content-Type: text/plain; charset=iso-8859-1\n"
			 "Content-Transfer-Encoding: quoted-printable\n"
			 "\n"
			 "Caf=E9 cr=E8me\n",
			 0, false, false);

	assert_contains(out, "\n\nCaf\xc3\xa9 cr\xc3\xa8me\n");
	g_free(out);
	/* CRLF line ends and a raw C1 code point */
	out = show("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		   "one\r\ntwo \xc2\x9b" "31m\r\n",
		   0, false, false);
	assert_contains(out, "\n\none\ntwo <U+009B>31m\n");
	assert_lacks(out, "\r");
	g_free(out);
}

/* ---- Choosing the body ---- */

static const char alternative_msg[] =
	"From: a@example.org\n"
	"Subject: alt\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/alternative; boundary=\"b1\"\n"
	"\n"
	"--b1\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"The plain version.\n"
	"--b1\n"
	"Content-Type: text/html; charset=utf-8\n"
	"\n"
	"<html><body><p>The <b>HTML</b> version.</p></body></html>\n"
	"--b1--\n";

static void
test_alternative(void)
{
	char *out = show(alternative_msg, 0, false, false);

	assert_contains(out, "The plain version.");
	assert_lacks(out, "HTML");
	assert_lacks(out, "Attachments:");
	g_free(out);
	out = show(alternative_msg, 0, true, false);
	assert_contains(out, "The HTML version.");
	assert_lacks(out, "plain version");
	g_free(out);
}

static void
test_html_only(void)
{
	char *out = show("Subject: h\n"
			 "Content-Type: text/html; charset=iso-8859-1\n"
			 "\n"
			 "<p>Caf\xe9 &amp; cr&egrave;me &euro;5 &lt;tag&gt;</p>\n",
			 0, false, false);

	assert_contains(out, "\n\nCaf\xc3\xa9 & cr\xc3\xa8me \xe2\x82\xac" "5 <tag>\n");
	g_free(out);
}

/* ---- HTML ---- */

static void
check_html(const char *html, const char *want)
{
	char *out = mime_html_to_text(html, strlen(html));

	if (strcmp(out, want) != 0) {
		g_test_message("html: %s", html);
		g_test_message("got:\n%s\n--- want:\n%s\n---", out, want);
		g_test_fail();
	}
	g_free(out);
}

static void
test_html(void)
{
	check_html("<p>one</p><p>two</p>", "one\n\ntwo");
	check_html("a<br>b<br><br>c", "a\nb\n\nc");
	check_html("<div>  lots   of\n\n  space  </div>", "lots of space");
	check_html("<ul><li>apple</li><li>pear</li></ul>", "* apple\n* pear");
	check_html("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two");
	check_html("<ol start=\"7\"><li>seven</li><li>eight</li></ol>", "7. seven\n8. eight");
	check_html("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "* a\n  * b\n* c");
	check_html("<p>before</p><ul><li>x</li></ul><p>after</p>", "before\n\n* x\n\nafter");
	check_html("<h1>Title</h1><p>text</p><h2>Sub</h2>", "# Title\n\ntext\n\n## Sub");
	check_html("<p>said:</p><blockquote><p>quoted</p><p>more</p></blockquote><p>reply</p>",
		   "said:\n\n> quoted\n>\n> more\n\nreply");
	check_html("<blockquote>outer<blockquote>inner</blockquote></blockquote>",
		   "> outer\n>\n> > inner");
	check_html("<table><tr><th>Name</th><th>Qty</th></tr>"
		   "<tr><td>apple</td><td>3</td></tr><tr><td>pear</td><td></td></tr></table>",
		   "Name | Qty\napple | 3\npear");
	check_html("<table><tr><td><p>layout one</p></td><td><p>layout two</p></td></tr></table>",
		   "layout one\n\nlayout two");
	check_html("<head><title>T</title><style>p{color:red}</style></head>"
		   "<body><script>alert(1)</script><p>visible</p><noscript>ns</noscript></body>",
		   "visible\n\nns");
	check_html("<p>see <a href=\"https://example.org/a\">this</a> and "
		   "<a href=\"https://example.org/b\">that</a> and "
		   "<a href=\"https://example.org/a\">again</a></p>",
		   "see this[1] and that[2] and again[1]\n\n"
		   "[1] https://example.org/a\n[2] https://example.org/b");
	check_html("<a href=\"https://example.org/\">https://example.org/</a> "
		   "<a href=\"#top\">top</a> <a href=\"javascript:x()\">js</a> "
		   "<a href=\"mailto:a@example.org\">a@example.org</a>",
		   "https://example.org/ top js a@example.org");
	check_html("<pre>  code\n    indented\n\nend</pre>", "  code\n    indented\n\nend");
	check_html("x&nbsp;y&zwnj;z &#x41;&#66; &quot;q&quot;", "x yz AB \"q\"");
	check_html("<img src=\"x.png\" alt=\"Logo\"> <img src=\"y.png\">", "[Logo]");
	check_html("<p>a</p><hr><p>b</p>", "a\n\n----------\n\nb");
	check_html("<dl><dt>term</dt><dd>definition</dd></dl>", "term\n    definition");
	check_html("", "");
	check_html("<<<>>>&&&", ">>>&&&"); /* libxml2's recovery drops the stray "<<<" */
}

static void
test_html_deep(void)
{
	GString *h = g_string_new(NULL);
	char *out;

	for (int i = 0; i < 5000; i++)
		g_string_append(h, "<div><blockquote>");
	g_string_append(h, "deep");
	out = mime_html_to_text(h->str, h->len);
	g_assert_nonnull(out);
	g_free(out);
	g_string_free(h, TRUE);
}

static void
test_html_render_wrapped(void)
{
	char *out = show("Subject: h\nContent-Type: text/html\n\n"
			 "<p>word word word word word word word word word word word word</p>"
			 "<blockquote>quoted quoted quoted quoted quoted quoted quoted quoted"
			 "</blockquote><a href=\"https://example.org/a/very/long/path/that/is/"
			 "longer/than/the/width\">x</a>",
			 30, false, false);

	g_assert_cmpstr(out, ==,
			"From: \nTo: \nDate: \nSubject: h\n\n"
			"word word word word word word\n"
			"word word word word word word\n"
			"\n"
			"> quoted quoted quoted quoted\n"
			"> quoted quoted quoted quoted\n"
			"\n"
			"x[1]\n"
			"\n"
			"[1] https://example.org/a/very/long/path/that/is/longer/than/the/width\n");
	g_free(out);
}

/* ---- Plain text: quotes, flowed, wrapping ---- */

static void
test_quote_depth(void)
{
	const char *msg = "Subject: q\n\nreply\n> one\n>> two\n> > two too\n>>> three\nnot > quote\n";
	struct mime_message *m = mime_message_parse(msg, strlen(msg));
	struct mime_render_opts opts;
	struct mime_rendered *r;
	static const unsigned want[] = { 0, 1, 2, 2, 3, 0 };

	mime_render_opts_init(&opts);
	r = mime_render(m, &opts);
	g_assert_cmpuint(r->lines->len, ==, TERN_ARRAY_LEN(want));
	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		g_assert_cmpuint(l->quote_depth, ==, want[i]);
		g_assert_cmpint(l->kind, ==, MIME_LINE_TEXT);
	}
	mime_rendered_free(&r);
	mime_message_free(&m);
}

static void
test_flowed(void)
{
	const char *msg = "Subject: f\n"
			  "Content-Type: text/plain; charset=utf-8; format=flowed\n"
			  "\n"
			  "This is a long paragraph that was \n"
			  "soft broken by the sender's \n"
			  "client.\n"
			  "Hard line.\n"
			  ">Quoted soft \n"
			  ">continued.\n"
			  ">>Deeper.\n"
			  " >stuffed, not a quote\n"
			  "-- \n"
			  "sig\n";
	char *out = show(msg, 0, false, false);

	assert_contains(out, "\n\nThis is a long paragraph that was soft broken by the sender's "
			     "client.\nHard line.\n> Quoted soft continued.\n> > Deeper.\n"
			     ">stuffed, not a quote\n-- \nsig\n");
	g_free(out);
	out = show(msg, 30, false, false);
	assert_contains(out, "\n\nThis is a long paragraph that\nwas soft broken by the\n"
			     "sender's client.\nHard line.\n");
	g_free(out);
}

static void
test_flowed_delsp(void)
{
	char *out = show("Subject: f\n"
			 "Content-Type: text/plain; format=flowed; delsp=yes\n"
			 "\n"
			 "\xe6\x97\xa5\xe6\x9c\xac \n"
			 "\xe8\xaa\x9e \n"
			 "end\n",
			 0, false, false);

	assert_contains(out, "\n\n\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" "end\n");
	g_free(out);
}

static void
test_wrap_plain(void)
{
	char *out = show("Subject: w\n\n"
			 "> a quoted line that is much longer than the width allows here\n"
			 "* a bullet item that also goes on for longer than the width\n",
			 32, false, false);

	assert_contains(out, "\n\n> a quoted line that is much\n> longer than the width allows\n"
			     "> here\n* a bullet item that also goes\n  on for longer than the width\n");
	g_free(out);
}

/* ---- Structure ---- */

static const char nested_msg[] =
	"From: outer@example.org\n"
	"Subject: fwd\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"out\"\n"
	"\n"
	"--out\n"
	"Content-Type: text/plain\n"
	"\n"
	"See below.\n"
	"--out\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: inner@example.org\n"
	"To: x@example.org\n"
	"Subject: =?UTF-8?Q?inn=C3=A9r?=\n"
	"Date: Thu, 01 Feb 2024 10:00:00 +0000\n"
	"Content-Type: multipart/mixed; boundary=\"in\"\n"
	"\n"
	"--in\n"
	"Content-Type: text/plain\n"
	"\n"
	"Inner body.\n"
	"--in\n"
	"Content-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0xLjQK\n"
	"--in--\n"
	"--out\n"
	"Content-Type: image/png\n"
	"Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rate.png\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"iVBORw0KGgo=\n"
	"--out--\n";

static void
test_nested_message(void)
{
	char *out = show(nested_msg, 0, false, false);

	g_assert_cmpstr(out, ==,
			"From: outer@example.org\n"
			"To: \n"
			"Date: \n"
			"Subject: fwd\n"
			"\n"
			"See below.\n"
			"\n"
			"[-- Attached message --]\n"
			"From: inner@example.org\n"
			"To: x@example.org\n"
			"Date: Thu, 01 Feb 2024 10:00:00 +0000\n"
			"Subject: inn\xc3\xa9r\n"
			"\n"
			"Inner body.\n"
			"\n"
			"[-- End of attached message --]\n"
			"\n"
			"Attachments:\n"
			"  [1] inn\xc3\xa9r.eml (message/rfc822, 332 bytes)\n"
			"    [2] r\xc3\xa9sum\xc3\xa9.pdf (application/pdf, 9 bytes)\n"
			"  [3] \xe2\x82\xac rate.png (image/png, 8 bytes)\n");
	g_free(out);
}

static void
test_signed_encrypted(void)
{
	char *out = show("Subject: s\n"
			 "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; "
			 "micalg=pgp-sha256; boundary=s\n"
			 "\n"
			 "--s\n"
			 "Content-Type: text/plain\n"
			 "\n"
			 "Signed text.\n"
			 "--s\n"
			 "Content-Type: application/pgp-signature; name=signature.asc\n"
			 "\n"
			 "-----BEGIN PGP SIGNATURE-----\n"
			 "--s--\n",
			 0, false, false);

	assert_contains(out, "[-- Signed (application/pgp-signature), not verified --]\n\n"
			     "Signed text.\n");
	assert_contains(out, "[1] signature.asc (application/pgp-signature,");
	g_free(out);
	out = show("Subject: e\n"
		   "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
		   "boundary=e\n"
		   "\n"
		   "--e\n"
		   "Content-Type: application/pgp-encrypted\n"
		   "\n"
		   "Version: 1\n"
		   "--e\n"
		   "Content-Type: application/octet-stream\n"
		   "\n"
		   "-----BEGIN PGP MESSAGE-----\n"
		   "--e--\n",
		   0, false, false);
	assert_contains(out, "[-- Encrypted (application/pgp-encrypted), not decrypted");
	assert_contains(out, "[1] attachment-1 (application/pgp-encrypted,");
	assert_contains(out, "[2] attachment-2 (application/octet-stream,");
	assert_lacks(out, "BEGIN PGP");
	g_free(out);
}

static void
test_inline_named_and_smime(void)
{
	char *out = show("Subject: n\n"
			 "Content-Type: multipart/mixed; boundary=n\n"
			 "\n"
			 "--n\n"
			 "Content-Type: text/plain\n"
			 "Content-Disposition: inline; filename=notes.txt\n"
			 "\n"
			 "Shown and listed.\n"
			 "--n\n"
			 "Content-Type: text/plain; name=hidden.txt\n"
			 "\n"
			 "Named without disposition: only listed.\n"
			 "--n\n"
			 "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; "
			 "name=smime.p7m\n"
			 "Content-Transfer-Encoding: base64\n"
			 "\n"
			 "MIAGCSqGSIb3DQEHA6CAMIACAQAx\n"
			 "--n--\n",
			 0, false, false);

	assert_contains(out, "\n\nShown and listed.\n\n[-- S/MIME encrypted (application/pkcs7-mime), "
			     "not decrypted");
	assert_lacks(out, "only listed.");
	assert_contains(out, "[1] notes.txt (text/plain,");
	assert_contains(out, "[2] hidden.txt (text/plain,");
	assert_contains(out, "[3] smime.p7m (application/pkcs7-mime,");
	g_free(out);
}

static void
test_delivery_status(void)
{
	char *out = show("Subject: Undelivered\n"
			 "Content-Type: multipart/report; report-type=delivery-status; "
			 "boundary=r\n"
			 "\n"
			 "--r\n"
			 "Content-Type: text/plain\n"
			 "\n"
			 "Delivery failed.\n"
			 "--r\n"
			 "Content-Type: message/delivery-status\n"
			 "\n"
			 "Reporting-MTA: dns; mx.example.org\n"
			 "\n"
			 "Final-Recipient: rfc822; nobody@example.org\n"
			 "Action: failed\n"
			 "Status: 5.1.1\n"
			 "--r\n"
			 "Content-Type: text/rfc822-headers\n"
			 "\n"
			 "Subject: original\n"
			 "--r--\n",
			 0, false, false);

	assert_contains(out, "Delivery failed.\n\nReporting-MTA: dns; mx.example.org\n\n"
			     "Final-Recipient: rfc822; nobody@example.org\nAction: failed\n"
			     "Status: 5.1.1\n\nSubject: original\n");
	assert_lacks(out, "Attachments:");
	g_free(out);
}

static void
test_attachment_list(void)
{
	struct mime_message *m = mime_message_parse(nested_msg, sizeof nested_msg - 1);
	const GPtrArray *atts = mime_message_attachments(m);
	const struct mime_attachment *a;

	g_assert_cmpuint(atts->len, ==, 3);
	a = atts->pdata[1];
	g_assert_cmpuint(a->index, ==, 2);
	g_assert_cmpstr(a->content_type, ==, "application/pdf");
	g_assert_cmpstr(a->filename, ==, "r\xc3\xa9sum\xc3\xa9.pdf");
	g_assert_cmpuint(a->size, ==, 9);
	g_assert_cmpuint(a->depth, ==, 1);
	a = atts->pdata[2];
	g_assert_cmpstr(a->filename, ==, "\xe2\x82\xac rate.png");
	g_assert_cmpuint(a->size, ==, 8);
	mime_message_free(&m);
	g_assert_null(m);
}

/* ---- Safe names and saving ---- */

static void
test_safe_name(void)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "report.pdf", "report.pdf" },
		{ "../../etc/passwd", "passwd" },
		{ "C:\\Users\\x\\evil.exe", "evil.exe" },
		{ ".bashrc", "bashrc" },
		{ "...", "attachment-4" },
		{ "", "attachment-4" },
		{ NULL, "attachment-4" },
		{ "dir/", "attachment-4" },
		{ "a\x1b[2Jb.txt", "a_[2Jb.txt" },
		{ "evil\xe2\x80\xaegpj.exe", "evil_gpj.exe" },
		{ "bad\xff.txt", "bad_.txt" },
		{ " spaced . ", "spaced" },
		{ "\xe6\x97\xa5\xe6\x9c\xac.txt", "\xe6\x97\xa5\xe6\x9c\xac.txt" },
		{ "tab\there", "tab_here" },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++) {
		char *s = mime_attachment_safe_name(cases[i].in, 4);

		g_test_message("case %zu", i);
		g_assert_cmpstr(s, ==, cases[i].out);
		g_free(s);
	}
}

static void
test_safe_name_long(void)
{
	GString *in = g_string_new(NULL);
	char *s;

	for (int i = 0; i < 300; i++)
		g_string_append(in, "\xc3\xa9");
	g_string_append(in, ".tar.gz");
	s = mime_attachment_safe_name(in->str, 1);
	g_assert_cmpuint(strlen(s), <=, MIME_MAX_FILENAME);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_true(g_str_has_suffix(s, ".gz"));
	g_free(s);
	g_string_free(in, TRUE);
}

static void
test_save(void)
{
	struct mime_message *m = mime_message_parse(nested_msg, sizeof nested_msg - 1);
	char *dir = g_dir_make_tmp("tern-test-save-XXXXXX", NULL);
	char *path = NULL, *contents = NULL, *link;
	GError *err = NULL;
	gsize len = 0;

	g_assert_nonnull(dir);
	g_assert_cmpint(mime_attachment_save(m, 2, dir, false, &path, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
	g_assert_cmpmem(contents, len, "%PDF-1.4\n", 9);
	g_free(contents);
	/* no overwrite without force */
	g_assert_cmpint(mime_attachment_save(m, 2, dir, false, NULL, &err), ==, -1);
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST);
	g_clear_error(&err);
	g_assert_cmpint(mime_attachment_save(m, 2, dir, true, NULL, &err), ==, 0);
	g_assert_no_error(err);
	/* never through a symlink, even with force */
	link = g_build_filename(dir, "\xe2\x82\xac rate.png", NULL);
	g_assert_cmpint(symlink("/tmp/tern-test-should-not-exist", link), ==, 0);
	g_assert_cmpint(mime_attachment_save(m, 3, dir, true, NULL, &err), ==, -1);
	g_assert_nonnull(err);
	g_clear_error(&err);
	g_assert_false(g_file_test("/tmp/tern-test-should-not-exist", G_FILE_TEST_EXISTS));
	/* bad index, missing directory */
	g_assert_cmpint(mime_attachment_save(m, 9, dir, false, NULL, &err), ==, -1);
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&err);
	g_assert_cmpint(mime_attachment_save(m, 1, "/nonexistent/dir", false, NULL, &err), ==, -1);
	g_clear_error(&err);
	/* the attached message is saved as a message */
	g_assert_cmpint(mime_attachment_save(m, 1, dir, false, NULL, &err), ==, 0);
	g_unlink(link);
	g_free(link);
	link = g_build_filename(dir, "inn\xc3\xa9r.eml", NULL);
	g_assert_true(g_file_get_contents(link, &contents, &len, NULL));
	g_assert_true(g_str_has_prefix(contents, "From: inner@example.org\n"));
	g_free(contents);
	g_unlink(link);
	g_free(link);
	g_unlink(path);
	g_free(path);
	g_rmdir(dir);
	g_free(dir);
	mime_message_free(&m);
}

/* ---- External renderer and mailcap ---- */

static void
test_mailcap(void)
{
	char *path = NULL, *cmd;
	int fd = g_file_open_tmp("tern-mailcap-XXXXXX", &path, NULL);
	const char *mc = "# comment\n"
			 "image/*; feh %s\n"
			 "text/html; firefox %s; needsterminal\n"
			 "text/html; lynx -dump \\\n"
			 "  -force_html %s; copiousoutput\n";

	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, mc, -1, NULL));
	cmd = mime_mailcap_html_command(path);
	g_assert_cmpstr(cmd, ==, "lynx -dump   -force_html %s");
	g_free(cmd);
	g_unlink(path);
	g_free(path);
	g_assert_null(mime_mailcap_html_command("/nonexistent/mailcap"));
}

static void
test_external_renderer(void)
{
	const char *msg = "Subject: h\nContent-Type: text/html\n\n<p>hello \x1b[31m</p>\n";
	struct mime_message *m = mime_message_parse(msg, strlen(msg));
	struct mime_render_opts opts;
	struct mime_rendered *r;
	char *out;

	mime_render_opts_init(&opts);
	/* the temporary file is private, and the command gets its path, no shell */
	opts.html_command = "stat -c 'mode=%a' %s";
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	assert_contains(out, "\n\nmode=600\n");
	g_free(out);
	mime_rendered_free(&r);
	opts.html_command = "cat";
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	assert_contains(out, "<p>hello ^[[31m</p>");
	g_free(out);
	mime_rendered_free(&r);
	/* a missing renderer falls back to the built-in one, with a notice */
	opts.html_command = "/nonexistent/renderer %s";
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	assert_contains(out, "[-- The HTML renderer failed");
	assert_contains(out, "hello"); /* libxml2 drops the ESC, which XML does not allow */
	g_assert_null(strchr(out, '\x1b'));
	g_free(out);
	mime_rendered_free(&r);
	mime_message_free(&m);
}

static void
test_parse_bytes(void)
{
	GBytes *b = g_bytes_new(alternative_msg, sizeof alternative_msg - 1);
	struct mime_message *m = mime_message_parse_bytes(b);
	struct mime_render_opts opts;
	struct mime_rendered *r;

	g_bytes_unref(b); /* the message holds its own reference */
	mime_render_opts_init(&opts);
	r = mime_render(m, &opts);
	mime_message_free(&m);
	g_assert_cmpstr(r->subject, ==, "alt");
	g_assert_false(r->truncated);
	mime_rendered_free(&r);
	g_assert_null(r);
}

static void
test_empty_and_garbage(void)
{
	char *out = show("", 0, false, false);

	g_assert_cmpstr(out, ==, "From: \nTo: \nDate: \nSubject: \n\n");
	g_free(out);
	out = show("no headers at all, just text\n", 0, false, false);
	g_assert_nonnull(out);
	g_free(out);
	out = show("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n"
		   "unterminated\n",
		   0, false, false);
	assert_contains(out, "unterminated\n");
	g_free(out);
}

/* The text the full-text index gets: rendered body lines, no headers, no
 * HTML markup, NULs gone, cut on a character boundary at max. */
static void
test_body_text(void)
{
	static const char html[] =
		"From: a@b\r\nSubject: hidden subject\r\nMIME-Version: 1.0\r\n"
		"Content-Type: text/html; charset=utf-8\r\n\r\n"
		"<p>Hello wom<b>bat</b> at the caf&eacute;</p><script>evil()</script>\r\n";
	static const char nul[] =
		"Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		"YWJjAABkZWY=\r\n"; /* "abc\0\0def" */
	char *text = mime_body_text(html, sizeof html - 1, 4096);
	char *t2;

	g_assert_nonnull(text);
	g_assert_nonnull(strstr(text, "wombat"));
	g_assert_nonnull(strstr(text, "caf\xc3\xa9"));
	g_assert_null(strstr(text, "<b>"));
	g_assert_null(strstr(text, "hidden subject"));
	g_free(text);
	/* the hook core calls: valid UTF-8, no NUL inside, at most max */
	text = text_extract_body(html, sizeof html - 1, 9);
	g_assert_nonnull(text);
	g_assert_cmpuint(strlen(text), <=, 9);
	g_assert_true(g_utf8_validate(text, -1, NULL));
	t2 = text_extract_body(nul, sizeof nul - 1, 4096);
	g_assert_nonnull(t2);
	g_assert_nonnull(strstr(t2, "abc"));
	g_free(t2);
	g_free(text);
	/* cut inside a two-byte character: the character goes whole */
	text = mime_body_text(html, sizeof html - 1, strlen("Hello wombat at the caf") + 1);
	g_assert_cmpstr(text, ==, "Hello wombat at the caf");
	g_free(text);
	/* parts fetched alone: the MIME header says how to decode */
	{
		GBytes *mimes[1] = { g_bytes_new_static(
			"Content-Type: text/plain; charset=utf-8\r\n"
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n", 88) };
		GBytes *bodies[1] = { g_bytes_new_static("pla=C3=A9typus\r\n", 16) };

		text = text_extract_parts(mimes, bodies, 1, 4096);
		g_assert_nonnull(text);
		g_assert_nonnull(strstr(text, "pla\xc3\xa9typus"));
		g_free(text);
		g_bytes_unref(mimes[0]);
		g_bytes_unref(bodies[0]);
	}
	g_assert_null(mime_body_text("Subject: x\r\n\r\n", 14, 4096));
}

/* Two threads decode at once (the command line's cache writer decodes
 * From and Subject while the reading thread may decode too): the cached
 * converters are shared, and ISO-2022-JP's has state between calls. */
#define DECODE_ROUNDS 5000

static gpointer
decode_many(gpointer ud)
{
	const char *const *raw = ud;
	static const char *const want[] = { "J\xc3\xb6rg", "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
					    "\xc5\x81\xc3\xb3" "d\xc5\xba" };
	guint bad = 0;

	for (guint i = 0; i < DECODE_ROUNDS; i++) {
		for (guint j = 0; j < G_N_ELEMENTS(want); j++) {
			char *d = mime_header_decode(raw[j]);

			bad += g_strcmp0(d, want[j]) != 0;
			g_free(d);
		}
	}
	return GUINT_TO_POINTER(bad);
}

static void
test_header_decode_threads(void)
{
	static const char *const raw[] = { "=?ISO-8859-1?Q?J=F6rg?=", "=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=",
					   "=?ISO-8859-2?Q?=A3=F3d=BC?=" };
	GThread *t[2];

	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		t[i] = g_thread_new("decode", decode_many, (gpointer)raw);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		g_assert_cmpuint(GPOINTER_TO_UINT(g_thread_join(t[i])), ==, 0);
}

/* One encoded word between plain words, in the charsets the decoder takes
 * apart (UTF-8 by any name, UTF-16, Latin-1, one iconv does not know),
 * over random bytes (byte order marks, bad bytes, NULs, characters of
 * every width), B or Q, folded or not: what mime_charset_to_utf8() makes
 * of the bytes, between the same words. */
static void
test_header_decode_words(void)
{
	static const char *const charsets[] = { "utf-8", "UTF-8", "utf8", "utf-16", "iso-8859-1",
						"x-unknown" };
	static const char *const pieces[] = { "a", "Zz", "\xc3\xa9", "\xe2\x82\xac",
					      "\xf0\x9f\x98\x80", "\xef\xbb\xbf", "\xff\xfe",
					      "\xfe\xff", "\x80", "\xc3", "\0", " ", "?", "=", "_" };
	GRand *rnd = g_rand_new_with_seed(11);

	for (int t = 0; t < 4000; t++) {
		const char *cs = charsets[g_rand_int_range(rnd, 0, TERN_ARRAY_LEN(charsets))];
		GString *bytes = g_string_new(NULL), *h = g_string_new(NULL);
		guint n = (guint)g_rand_int_range(rnd, 0, 12);
		bool folded = g_rand_boolean(rnd);
		char *b64, *want_text, *got;
		GString *want;
		size_t want_len;

		for (guint i = 0; i < n; i++) {
			const char *p = pieces[g_rand_int_range(rnd, 0, TERN_ARRAY_LEN(pieces))];

			g_string_append_len(bytes, p, p[0] == '\0' ? 1 : (gssize)strlen(p));
		}
		if (bytes->len == 0)
			g_string_append_c(bytes, 'x');
		g_string_append(h, folded ? "Re:\r\n " : "Re: ");
		if (g_rand_boolean(rnd)) {
			b64 = g_base64_encode((const guchar *)bytes->str, bytes->len);
			g_string_append_printf(h, "=?%s?B?%s?=", cs, b64);
			g_free(b64);
		} else {
			g_string_append_printf(h, "=?%s?Q?", cs);
			for (size_t i = 0; i < bytes->len; i++)
				g_string_append_printf(h, "=%02X", (guchar)bytes->str[i]);
			g_string_append(h, "?=");
		}
		g_string_append(h, " end");
		want_text = mime_charset_to_utf8(cs, bytes->str, bytes->len, &want_len);
		want = g_string_new("Re: ");
		g_string_append_len(want, want_text, (gssize)want_len);
		g_string_append(want, " end");
		got = mime_header_decode(h->str);
		/* as the C string the decoder returns (a NUL ends it) */
		if (strcmp(got, want->str) != 0)
			g_error("%s: got \"%s\", want \"%s\"", h->str, got, want->str);
		g_free(got);
		g_free(want_text);
		g_string_free(want, TRUE);
		g_string_free(h, TRUE);
		g_string_free(bytes, TRUE);
	}
	g_rand_free(rnd);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/mime/header/decode", test_header_decode);
	g_test_add_func("/mime/header/plain", test_header_plain);
	g_test_add_func("/mime/header/decode-words", test_header_decode_words);
	g_test_add_func("/mime/header/decode-threads", test_header_decode_threads);
	g_test_add_func("/mime/header/escape", test_header_escape);
	g_test_add_func("/mime/header/all-headers", test_headers_mode);
	g_test_add_func("/mime/header/standard", test_standard_headers);
	g_test_add_func("/mime/charset/convert", test_charsets);
	g_test_add_func("/mime/charset/body", test_body_charset);
	g_test_add_func("/mime/charset/unicode-aliases", test_unicode_and_aliases);
	g_test_add_func("/mime/charset/body-utf16", test_body_utf16);
	g_test_add_func("/mime/body/alternative", test_alternative);
	g_test_add_func("/mime/body/html-only", test_html_only);
	g_test_add_func("/mime/html/render", test_html);
	g_test_add_func("/mime/html/deep", test_html_deep);
	g_test_add_func("/mime/html/wrapped", test_html_render_wrapped);
	g_test_add_func("/mime/text/quote-depth", test_quote_depth);
	g_test_add_func("/mime/text/flowed", test_flowed);
	g_test_add_func("/mime/text/flowed-delsp", test_flowed_delsp);
	g_test_add_func("/mime/text/wrap", test_wrap_plain);
	g_test_add_func("/mime/structure/nested-message", test_nested_message);
	g_test_add_func("/mime/structure/signed-encrypted", test_signed_encrypted);
	g_test_add_func("/mime/structure/delivery-status", test_delivery_status);
	g_test_add_func("/mime/structure/inline-named-smime", test_inline_named_and_smime);
	g_test_add_func("/mime/attachments/list", test_attachment_list);
	g_test_add_func("/mime/attachments/safe-name", test_safe_name);
	g_test_add_func("/mime/attachments/safe-name-long", test_safe_name_long);
	g_test_add_func("/mime/attachments/save", test_save);
	g_test_add_func("/mime/html/mailcap", test_mailcap);
	g_test_add_func("/mime/html/external", test_external_renderer);
	g_test_add_func("/mime/parse/bytes", test_parse_bytes);
	g_test_add_func("/mime/body-text", test_body_text);
	g_test_add_func("/mime/parse/empty-garbage", test_empty_and_garbage);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}

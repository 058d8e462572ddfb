/* Hostile messages: each must parse and render in bounded time and memory
 * (no wall-clock assertions: the test just runs them under the sanitizers). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "mime/mime.h"

static struct mime_rendered *
render(GString *msg, struct mime_message **m_r)
{
	struct mime_render_opts opts;

	*m_r = mime_message_parse(msg->str, msg->len);
	mime_render_opts_init(&opts);
	opts.width = 80;
	return mime_render(*m_r, &opts);
}

static void
test_many_parts(void)
{
	GString *s = g_string_new("Subject: wide\nContent-Type: multipart/mixed; boundary=x\n\n");
	struct mime_message *m;
	struct mime_rendered *r;
	char *out;

	for (int i = 0; i < 50000; i++)
		g_string_append_printf(s, "--x\nContent-Type: application/octet-stream\n\n%d\n", i);
	g_string_append(s, "--x--\n");
	r = render(s, &m);
	g_assert_true(mime_message_truncated(m));
	g_assert_true(r->truncated);
	g_assert_cmpuint(r->attachments->len, >, 100);
	g_assert_cmpuint(r->attachments->len, <=, MIME_MAX_PARTS);
	out = mime_rendered_format(r);
	g_assert_nonnull(strstr(out, "exceeds tern's limits"));
	g_free(out);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

static void
test_deep_nesting(void)
{
	GString *s = g_string_new("Subject: deep\n");
	struct mime_message *m;
	struct mime_rendered *r;

	for (int i = 0; i < 10000; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n",
				       i, i);
	g_string_append(s, "Content-Type: text/plain\n\nhello\n");
	for (int i = 9999; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	r = render(s, &m);
	g_assert_true(r->truncated);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

static void
test_deep_messages(void)
{
	GString *s = g_string_new("Subject: deep\n");
	struct mime_message *m;
	struct mime_rendered *r;

	for (int i = 0; i < 10000; i++)
		g_string_append(s, "Content-Type: message/rfc822\n\nSubject: again\n");
	g_string_append(s, "\nbottom\n");
	r = render(s, &m);
	g_assert_true(r->truncated);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

static void
test_many_encoded_words(void)
{
	GString *s = g_string_new("Subject: ");
	struct mime_message *m;
	struct mime_rendered *r;
	char *d;

	for (int i = 0; i < 20000; i++)
		g_string_append(s, i % 2 ? "=?UTF-8?Q?a=C3=A9?= " : "=?ISO-8859-1?Q?b=E9?= ");
	d = mime_header_decode(s->str + 9);
	g_assert_true(g_utf8_validate(d, -1, NULL));
	/* decoded up to MIME_MAX_HEADER_LEN bytes of raw header */
	g_assert_cmpuint(strlen(d), >, 3000);
	g_assert_cmpuint(strlen(d), <=, 20000 * 3);
	g_free(d);
	g_string_append(s, "\nFrom: ");
	for (int i = 0; i < 20000; i++)
		g_string_append(s, "=?x-bogus?B?/w==?=");
	g_string_append(s, "\n\nbody\n");
	r = render(s, &m);
	g_assert_nonnull(r->subject);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

static void
test_empty_groups(void)
{
	GString *s = g_string_new("Subject: groups\nTo: ");
	struct mime_message *m;
	struct mime_rendered *r;

	for (int i = 0; i < 200000; i++)
		g_string_append(s, "g:;,");
	g_string_append(s, "\nCc: ");
	for (int i = 0; i < 200000; i++)
		g_string_append(s, ":;");
	g_string_append(s, "\n\nbody\n");
	r = render(s, &m);
	g_assert_nonnull(r->to);
	g_assert_cmpuint(strlen(r->to), <=, 4 * 8192);
	g_assert_true(r->truncated);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

static void
test_long_line(void)
{
	GString *s = g_string_new("Subject: long\n\n");
	struct mime_message *m;
	struct mime_rendered *r;

	for (int i = 0; i < 2 * 1024 * 1024; i++)
		g_string_append_c(s, i % 7 ? 'x' : ' ');
	g_string_append(s, "\n");
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "\x1b[2J\r");
	r = render(s, &m);
	g_assert_cmpuint(r->lines->len, >, 1000);
	/* every escape shown, none left raw, whatever the wrapping did */
	{
		GString *all = g_string_new(NULL);
		guint shown = 0;

		for (guint i = 0; i < r->lines->len; i++) {
			const char *text = ((struct mime_line *)r->lines->pdata[i])->text;

			g_assert_null(strchr(text, '\x1b'));
			g_assert_null(strchr(text, '\r'));
			g_string_append(all, text);
		}
		for (const char *p = all->str; (p = strstr(p, "^[[2J")) != NULL; p += 5)
			shown++;
		g_assert_cmpuint(shown, ==, 100000);
		g_string_free(all, TRUE);
	}
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

static void
test_huge_html(void)
{
	GString *s = g_string_new("Subject: html\nContent-Type: text/html\n\n");
	struct mime_message *m;
	struct mime_rendered *r;

	for (int i = 0; i < 20000; i++)
		g_string_append(s, "<table><tr><td><a href=\"http://x/\">");
	for (int i = 0; i < 20000; i++)
		g_string_append_printf(s, "<a href=\"http://e.org/%d\">l</a>", i);
	r = render(s, &m);
	/* Rendered, not merely allocated: the outer link is listed under the
	 * text, and every line fits the width. (libxml2 stops at its depth
	 * limit, so the 20000 inner links do not show.) */
	g_assert_cmpuint(r->lines->len, >, 1);
	g_assert_cmpstr(((struct mime_line *)r->lines->pdata[r->lines->len - 1])->text, ==,
			"[1] http://x/");
	for (guint i = 0; i < r->lines->len; i++)
		g_assert_cmpuint(g_utf8_strlen(((struct mime_line *)r->lines->pdata[i])->text, -1),
				 <=, 80);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

/* Deep quoting must not be repeated on every wrapped line (amplification). */
static void
test_deep_quotes(void)
{
	GString *s = g_string_new("Subject: q\nContent-Type: text/plain; format=flowed\n\n");
	GString *h = g_string_new("Subject: h\nContent-Type: text/html\n\n");
	struct mime_message *m;
	struct mime_rendered *r;
	size_t total = 0;

	for (int i = 0; i < 20000; i++)
		g_string_append_c(s, '>');
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "word ");
	g_string_append(s, "\n");
	r = render(s, &m);
	for (guint i = 0; i < r->lines->len; i++)
		total += strlen(((struct mime_line *)r->lines->pdata[i])->text);
	g_assert_cmpuint(total, <, 4 * s->len);
	mime_rendered_free(&r);
	mime_message_free(&m);
	for (int i = 0; i < 150; i++)
		g_string_append(h, "<blockquote><ul><li>");
	for (int i = 0; i < 100000; i++)
		g_string_append(h, "x<br>");
	r = render(h, &m);
	total = 0;
	for (guint i = 0; i < r->lines->len; i++)
		total += strlen(((struct mime_line *)r->lines->pdata[i])->text);
	g_assert_cmpuint(total, <, 100 * 100000);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
	g_string_free(h, TRUE);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/mime/hostile/50000-parts", test_many_parts);
	g_test_add_func("/mime/hostile/10000-deep-multipart", test_deep_nesting);
	g_test_add_func("/mime/hostile/10000-deep-messages", test_deep_messages);
	g_test_add_func("/mime/hostile/20000-encoded-words", test_many_encoded_words);
	g_test_add_func("/mime/hostile/200000-empty-groups", test_empty_groups);
	g_test_add_func("/mime/hostile/long-lines-controls", test_long_line);
	g_test_add_func("/mime/hostile/html-deep-many-links", test_huge_html);
	g_test_add_func("/mime/hostile/deep-quotes", test_deep_quotes);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}

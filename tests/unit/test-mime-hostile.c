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

/* ---- Signed and encrypted structures (the walk, not GPGME: engine off) ---- */

static struct mime_rendered *
render_crypto(GString *msg, struct mime_message **m_r, const struct mime_crypto **c_r)
{
	struct mime_render_opts opts;

	*m_r = mime_message_parse(msg->str, msg->len);
	*c_r = mime_message_process_crypto(*m_r);
	mime_render_opts_init(&opts);
	opts.width = 80;
	return mime_render(*m_r, &opts);
}

static unsigned
count_lines(const struct mime_rendered *r, const char *text)
{
	unsigned n = 0;

	for (guint i = 0; i < r->lines->len; i++)
		if (strstr(((struct mime_line *)r->lines->pdata[i])->text, text) != NULL)
			n++;
	return n;
}

/* 10,000 multipart/signed nested: the walk stops at the depth and
 * MIME_MAX_CRYPTO_PARTS bounds, and says the signature is not checked. */
static void
test_crypto_deep_signed(void)
{
	GString *s = g_string_new("Subject: deep signed\n");
	struct mime_message *m;
	const struct mime_crypto *c;
	struct mime_rendered *r;

	for (int i = 0; i < 10000; i++)
		g_string_append_printf(s, "Content-Type: multipart/signed; boundary=b%d; "
				       "protocol=\"application/pgp-signature\"\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\nhello\n");
	for (int i = 9999; i >= 0; i--)
		g_string_append_printf(s, "--b%d\nContent-Type: application/pgp-signature\n\n"
				       "x\n--b%d--\n", i, i);
	r = render_crypto(s, &m, &c);
	g_assert_cmpint(c->signature, ==, MIME_SIG_ERROR);
	g_assert_cmpint(c->protocol, ==, MIME_CRYPTO_OPENPGP);
	g_assert_true(r->crypto != NULL && r->crypto->signature == MIME_SIG_ERROR);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

/* 5,000 encrypted parts side by side: at most MIME_MAX_CRYPTO_PARTS tried,
 * each failure framed as such, the rest left as they are. */
static void
test_crypto_many_encrypted(void)
{
	GString *s = g_string_new("Subject: many\nContent-Type: multipart/mixed; boundary=x\n\n");
	struct mime_message *m;
	const struct mime_crypto *c;
	struct mime_rendered *r;

	for (int i = 0; i < 5000; i++)
		g_string_append_printf(s, "--x\nContent-Type: multipart/encrypted; boundary=e%d; "
				       "protocol=\"application/pgp-encrypted\"\n\n--e%d\n"
				       "Content-Type: application/pgp-encrypted\n\nVersion: 1\n--e%d\n"
				       "Content-Type: application/octet-stream\n\nx\n--e%d--\n",
				       i, i, i, i);
	g_string_append(s, "--x--\n");
	r = render_crypto(s, &m, &c);
	g_assert_true(c->encrypted);
	g_assert_false(c->decrypted);
	g_assert_true(c->partly_encrypted);
	g_assert_nonnull(c->error);
	g_assert_cmpuint(count_lines(r, "could not be decrypted"), ==, MIME_MAX_CRYPTO_PARTS);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

/* Inline markers: 100,000 BEGIN lines with no END are text; 50 whole
 * blocks: MIME_MAX_INLINE_PGP looked at, the rest is text. */
static void
test_crypto_inline_markers(void)
{
	GString *s = g_string_new("Subject: inline\nContent-Type: text/plain\n\n");
	struct mime_message *m;
	const struct mime_crypto *c;
	struct mime_rendered *r;

	for (int i = 0; i < 100000; i++)
		g_string_append(s, i % 2 ? "-----BEGIN PGP MESSAGE-----\n"
					 : "-----BEGIN PGP SIGNED MESSAGE-----\n");
	r = render_crypto(s, &m, &c);
	g_assert_cmpint(c->protocol, ==, MIME_CRYPTO_NONE);
	g_assert_false(c->inline_pgp);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_truncate(s, 0);
	g_string_append(s, "Subject: inline\nContent-Type: text/plain\n\n");
	for (int i = 0; i < 50; i++)
		g_string_append_printf(s, "text %d\n-----BEGIN PGP MESSAGE-----\n\nx\n"
				       "-----END PGP MESSAGE-----\n", i);
	r = render_crypto(s, &m, &c);
	g_assert_true(c->inline_pgp);
	g_assert_true(c->encrypted);
	g_assert_false(c->decrypted);
	g_assert_cmpuint(count_lines(r, "could not read"), ==, MIME_MAX_INLINE_PGP);
	g_assert_cmpuint(count_lines(r, "text 49"), ==, 1);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_string_free(s, TRUE);
}

/* Odd shapes: no parts, one part, S/MIME without a type, signed-data that
 * is not DER. None may crash; none claims a good signature. */
static void
test_crypto_odd_shapes(void)
{
	static const char *const msgs[] = {
		"Content-Type: multipart/encrypted; boundary=e\n\n--e--\n",
		"Content-Type: multipart/signed; boundary=s; protocol=application/pgp-signature\n\n"
		"--s\nContent-Type: text/plain\n\nonly one part\n--s--\n",
		"Content-Type: multipart/signed; boundary=s\n\n--s\n\nno protocol\n--s--\n",
		"Content-Type: application/pkcs7-mime\n\nnot der\n",
		"Content-Type: application/pkcs7-mime; smime-type=signed-data\n"
		"Content-Transfer-Encoding: base64\n\nAAAA\n",
		"Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data\n\n\x01\x02\n",
		"Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\n"
		"-----END PGP SIGNATURE-----",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(msgs); i++) {
		GString *s = g_string_new("Subject: odd\n");
		struct mime_message *m;
		const struct mime_crypto *c;
		struct mime_rendered *r;
		char *out;

		g_string_append(s, msgs[i]);
		r = render_crypto(s, &m, &c);
		g_assert_cmpint(c->signature, !=, MIME_SIG_GOOD);
		out = mime_rendered_format(r);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_free(out);
		mime_rendered_free(&r);
		mime_message_free(&m);
		g_string_free(s, TRUE);
	}
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	mime_crypto_set_engine(false);
	g_test_add_func("/mime/hostile/50000-parts", test_many_parts);
	g_test_add_func("/mime/hostile/10000-deep-multipart", test_deep_nesting);
	g_test_add_func("/mime/hostile/10000-deep-messages", test_deep_messages);
	g_test_add_func("/mime/hostile/20000-encoded-words", test_many_encoded_words);
	g_test_add_func("/mime/hostile/200000-empty-groups", test_empty_groups);
	g_test_add_func("/mime/hostile/long-lines-controls", test_long_line);
	g_test_add_func("/mime/hostile/html-deep-many-links", test_huge_html);
	g_test_add_func("/mime/hostile/deep-quotes", test_deep_quotes);
	g_test_add_func("/mime/hostile/crypto-10000-deep-signed", test_crypto_deep_signed);
	g_test_add_func("/mime/hostile/crypto-5000-encrypted", test_crypto_many_encrypted);
	g_test_add_func("/mime/hostile/crypto-inline-markers", test_crypto_inline_markers);
	g_test_add_func("/mime/hostile/crypto-odd-shapes", test_crypto_odd_shapes);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}

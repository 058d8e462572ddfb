/* Unit tests for mime/compose.c: replies (recipients, From, subject,
 * threading, quoting), forwards, the draft file both ways, building the
 * wire form (Bcc out, CRLF, Message-ID), bad addresses and hostile values. */
#include "config.h"
#include "core/common.h"

#include <string.h>
#include <strings.h>

#include "mime/mime.h"

#define ORIGINAL                                                                        \
	"From: Alice Example <alice@example.org>\r\n"                                      \
	"To: Me <me@example.net>, bob@example.org\r\n"                                     \
	"Cc: carol@example.org, ME2@example.net\r\n"                                       \
	"Subject: hello there\r\n"                                                        \
	"Date: Wed, 31 Jan 2024 12:00:00 +0000\r\n"                                       \
	"Message-ID: <orig@example.org>\r\n"                                              \
	"References: <root@example.org> <parent@example.org>\r\n"                         \
	"Content-Type: text/plain; charset=utf-8\r\n"                                     \
	"\r\n"                                                                            \
	"first line\r\n"                                                                  \
	"> an older quote\r\n"

static struct mime_identities *
ids_new(void)
{
	return mime_identities_new("Me <me@example.net>", "me2@example.net, me3@example.net",
				   "me");
}

static struct mime_draft *
reply_to(const char *msg, enum mime_reply_mode mode, struct mime_identities *ids)
{
	struct mime_message *m = mime_message_parse(msg, strlen(msg));
	struct mime_draft *d = mime_draft_reply(m, mode, ids);

	mime_message_free(&m);
	return d;
}

static void
test_reply_sender(void)
{
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = reply_to(ORIGINAL, MIME_REPLY_SENDER, ids);

	g_assert_cmpstr(d->to, ==, "Alice Example <alice@example.org>");
	g_assert_null(d->cc);
	g_assert_cmpstr(d->from, ==, "Me <me@example.net>");
	g_assert_cmpstr(d->subject, ==, "Re: hello there");
	g_assert_cmpstr(d->in_reply_to, ==, "<orig@example.org>");
	g_assert_cmpstr(d->references, ==,
			"<root@example.org> <parent@example.org> <orig@example.org>");
	g_assert_nonnull(strstr(d->body, "On Wed, 31 Jan 2024 12:00 +0000, Alice Example wrote:\n"));
	g_assert_nonnull(strstr(d->body, "\n> first line\n>> an older quote\n"));
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

static void
test_reply_all(void)
{
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = reply_to(ORIGINAL, MIME_REPLY_ALL, ids);

	g_assert_cmpstr(d->to, ==, "Alice Example <alice@example.org>");
	/* neither me@ nor the alternate ME2@ (any case) */
	g_assert_cmpstr(d->cc, ==, "bob@example.org, carol@example.org");
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

static void
test_reply_identity_and_subject(void)
{
	static const char msg[] = "From: x@example.org\r\nTo: me3@example.net\r\n"
				  "Reply-To: list@example.org\r\nSubject: RE: again\r\n\r\nhi\r\n";
	static const char own[] = "From: Me <me@example.net>\r\nTo: zed@example.org\r\n"
				  "Subject: mine\r\n\r\nhi\r\n";
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = reply_to(msg, MIME_REPLY_ALL, ids);

	g_assert_cmpstr(d->from, ==, "me3@example.net");
	g_assert_cmpstr(d->to, ==, "list@example.org");
	g_assert_null(d->cc);
	g_assert_cmpstr(d->subject, ==, "RE: again");
	g_assert_null(d->in_reply_to);
	mime_draft_free(&d);
	/* a reply to one's own message goes to its recipients */
	d = reply_to(own, MIME_REPLY_SENDER, ids);
	g_assert_cmpstr(d->to, ==, "zed@example.org");
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

static void
test_reply_flowed(void)
{
	static const char msg[] =
		"From: a@example.org\r\nTo: me@example.net\r\nSubject: f\r\n"
		"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
		"one two \r\nthree\r\n> quoted \r\n> more\r\n";
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = reply_to(msg, MIME_REPLY_SENDER, ids);

	g_assert_nonnull(strstr(d->body, "\n> one two three\n>> quoted more\n"));
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

static void
test_reply_hostile(void)
{
	static const char msg[] =
		"From: =?UTF-8?Q?Eve=0D=0ABcc:_x@evil.example?= <eve@example.org>\r\n"
		"To: me@example.net\r\n"
		"Subject: =?UTF-8?Q?hi=0D=0ABcc:_y@evil.example?=\r\n\r\nbody\r\n";
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = reply_to(msg, MIME_REPLY_SENDER, ids);
	char *text = mime_draft_format(d);
	struct mime_draft *back = NULL;
	GError *err = NULL;

	g_assert_null(strstr(text, "\nBcc: x@"));
	g_assert_null(strstr(text, "\nBcc: y@"));
	g_assert_nonnull(strstr(text, "\nBcc: \n"));
	g_assert_cmpint(mime_draft_parse(text, strlen(text), &back, &err), ==, 0);
	g_assert_null(back->bcc);
	mime_draft_free(&back);
	g_free(text);
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

static void
test_forward(void)
{
	struct mime_identities *ids = ids_new();
	struct mime_message *m = mime_message_parse(ORIGINAL, strlen(ORIGINAL));
	GBytes *bytes = g_bytes_new_static(ORIGINAL, strlen(ORIGINAL));
	struct mime_draft *d = mime_draft_forward(m, bytes, false, ids);
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	const char *data;

	g_assert_cmpstr(d->subject, ==, "Fwd: hello there");
	g_assert_null(d->to);
	g_assert_nonnull(strstr(d->body, "---------- Forwarded message ----------\n"
					 "From: Alice Example <alice@example.org>\n"));
	g_assert_nonnull(strstr(d->body, "\nfirst line\n> an older quote\n"));
	mime_draft_free(&d);

	d = mime_draft_forward(m, bytes, true, ids);
	d->to = g_strdup("dave@example.org");
	g_assert_cmpint(mime_draft_build(d, ids, &o, &err), ==, 0);
	data = g_bytes_get_data(o->data, NULL);
	g_assert_nonnull(strstr(data, "multipart/mixed"));
	g_assert_nonnull(strstr(data, "Content-Type: message/rfc822"));
	g_assert_nonnull(strstr(data, "Message-ID: <orig@example.org>"));
	mime_outgoing_free(&o);
	mime_draft_free(&d);
	g_bytes_unref(bytes);
	mime_message_free(&m);
	mime_identities_free(&ids);
}

static void
test_draft_round_trip(void)
{
	static const char text[] =
		"From: Me <me@example.net>\n"
		"To: \"Smith, Ann\" <ann@example.org>, bob@example.org\n"
		"Cc: \n"
		"Bcc: secret@example.org\n"
		"Subject: caf\xc3\xa9 menu\n"
		"In-Reply-To: <x@example.org>\n"
		"X-Tern-Postponed: 7 42 Drafts\n"
		"\n"
		"Hello\n-- \nsig\n";
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = NULL;
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	const char *data;
	gsize len;

	g_assert_cmpint(mime_draft_parse(text, strlen(text), &d, &err), ==, 0);
	g_assert_cmpstr(d->to, ==, "\"Smith, Ann\" <ann@example.org>, bob@example.org");
	g_assert_null(d->cc);
	g_assert_cmpstr(d->body, ==, "Hello\n-- \nsig\n");
	g_assert_cmpstr(d->postponed, ==, "7 42 Drafts");
	{
		char *again = mime_draft_format(d);

		g_assert_nonnull(strstr(again, "\nX-Tern-Postponed: 7 42 Drafts\n"));
		g_free(again);
	}
	g_assert_cmpint(mime_draft_build(d, ids, &o, &err), ==, 0);
	data = g_bytes_get_data(o->data, &len);
	g_assert_null(g_strstr_len(data, (gssize)len, "X-Tern-Postponed"));
	g_assert_null(g_strstr_len(data, (gssize)len, "Bcc"));
	g_assert_null(g_strstr_len(data, (gssize)len, "secret@"));
	g_assert_cmpstr(o->bcc_field, ==, "Bcc: secret@example.org\r\n");
	g_assert_cmpuint(o->rcpts->len, ==, 3);
	g_assert_cmpstr(o->rcpts->pdata[2], ==, "secret@example.org");
	g_assert_cmpstr(o->sender, ==, "me@example.net");
	g_assert_true(g_str_has_suffix(o->message_id, "@example.net>"));
	g_assert_nonnull(g_strstr_len(data, (gssize)len, "Subject: =?UTF-8?"));
	g_assert_nonnull(g_strstr_len(data, (gssize)len, "In-Reply-To: <x@example.org>\r\n"));
	g_assert_nonnull(g_strstr_len(data, (gssize)len, "charset=utf-8"));
	for (gsize i = 0; i < len; i++)
		if (data[i] == '\n')
			g_assert_true(i > 0 && data[i - 1] == '\r');
	mime_outgoing_free(&o);
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

struct bad_case {
	const char *text;
	int code;
	const char *says;
};

static const struct bad_case bad_cases[] = {
	{ "To: bob\n\nhi\n", MIME_COMPOSE_ERROR_ADDRESS, "line 1: To: 'bob' is not an e-mail address" },
	{ "From: me@example.net\nTo: alice@example.org, bob@\n\nhi\n", MIME_COMPOSE_ERROR_ADDRESS,
	  "line 2: To: 'bob@'" },
	{ "To: a@example.org b@example.org\n\nhi\n", MIME_COMPOSE_ERROR_ADDRESS, "line 1: To:" },
	{ "Cc: <a@example.org\n\nhi\n", MIME_COMPOSE_ERROR_ADDRESS, "line 1: Cc:" },
	{ "To: a@example.org\nFrom: a@x.org, b@x.org\n\nhi\n", MIME_COMPOSE_ERROR_ADDRESS, "one address" },
	{ "To:\nSubject: none\n\nhi\n", MIME_COMPOSE_ERROR_NO_RCPT, "no recipient" },
	{ "To: a@example.org\nthis is text\n", MIME_COMPOSE_ERROR_SYNTAX, "line 2" },
	{ "To: a@example.org\nAttach: /nonexistent/file\n\nhi\n", MIME_COMPOSE_ERROR_ATTACHMENT,
	  "/nonexistent/file" },
	/* a typo must not send in clear what was meant to be encrypted */
	{ "To: a@example.org\nX-Tern-Crypt: encrytp\n\nhi\n", MIME_COMPOSE_ERROR_SYNTAX,
	  "line 2: X-Tern-Crypt:" },
};

static void
test_bad_drafts(void)
{
	struct mime_identities *ids = ids_new();

	for (size_t i = 0; i < TERN_ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct mime_outgoing *o = NULL;
		GError *err = NULL;

		g_test_message("case %zu", i);
		g_assert_cmpint(mime_outgoing_from_text(c->text, strlen(c->text), ids, &o, &err),
				==, -1);
		g_assert_null(o);
		g_assert_error(err, MIME_COMPOSE_ERROR, c->code);
		if (strstr(err->message, c->says) == NULL)
			g_error("case %zu: '%s' lacks '%s'", i, err->message, c->says);
		g_error_free(err);
	}
	mime_identities_free(&ids);
}

/* X-Tern-Crypt: kept through the file, handed to the sender, never sent. */
static void
test_draft_crypt(void)
{
	static const char text[] = "To: bob@example.org\nX-Tern-Crypt:  encrypt sign\n\nhi\n";
	static const char raw[] = "From: me@example.net\r\nTo: bob@example.org\r\n"
				  "X-Tern-Crypt: sign\r\nSubject: s\r\n\r\nhi\r\n";
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = NULL;
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	char *again;
	struct mime_protect p = { 0 };

	g_assert_cmpint(mime_draft_parse(text, strlen(text), &d, &err), ==, 0);
	g_assert_cmpstr(d->crypt, ==, "sign encrypt");
	again = mime_draft_format(d);
	g_assert_nonnull(strstr(again, "\nX-Tern-Crypt: sign encrypt\n"));
	g_free(again);
	mime_draft_free(&d);
	g_assert_cmpint(mime_outgoing_from_text(text, strlen(text), ids, &o, &err), ==, 0);
	g_assert_cmpstr(o->crypt, ==, "sign encrypt");
	g_assert_null(g_strstr_len(g_bytes_get_data(o->data, NULL), -1, "X-Tern-Crypt"));
	mime_outgoing_free(&o);
	g_assert_cmpint(mime_outgoing_from_text(raw, strlen(raw), ids, &o, &err), ==, 0);
	g_assert_null(g_strstr_len(g_bytes_get_data(o->data, NULL), -1, "X-Tern-Crypt"));
	mime_outgoing_free(&o);

	g_assert_true(mime_crypt_parse("none", &p) && !p.sign && !p.encrypt);
	g_assert_true(mime_crypt_parse("encrypt", &p) && !p.sign && p.encrypt);
	g_assert_false(mime_crypt_parse("sign maybe", &p));
	g_assert_false(mime_crypt_parse(NULL, &p));
	g_assert_true(!p.sign && p.encrypt); /* untouched on failure */
	g_assert_true(mime_crypt_parse("sign opportunistic", &p) && p.sign && !p.encrypt &&
		      p.opportunistic);
	g_assert_cmpstr(mime_crypt_name(&p), ==, "sign opportunistic");
	g_assert_true(mime_crypt_parse("encrypt opportunistic", &p) && p.encrypt &&
		      !p.opportunistic);
	p = (struct mime_protect){ .sign = true };
	g_assert_cmpstr(mime_crypt_name(&p), ==, "sign");
	p = (struct mime_protect){ 0 };
	g_assert_cmpstr(mime_crypt_name(&p), ==, "none");
	mime_identities_free(&ids);
}

static void
test_rfc5322_message(void)
{
	static const char msg[] = "From: Me <me@example.net>\nTo: a@example.org\n"
				  "Bcc: hidden@example.org\nSubject: plain\n"
				  "MIME-Version: 1.0\nContent-Type: text/plain\n\nbody\n";
	struct mime_identities *ids = ids_new();
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	const char *data;

	g_assert_cmpint(mime_outgoing_from_text(msg, strlen(msg), ids, &o, &err), ==, 0);
	data = g_bytes_get_data(o->data, NULL);
	g_assert_null(strstr(data, "hidden"));
	g_assert_nonnull(strstr(data, "\r\nDate: "));
	g_assert_nonnull(strcasestr(data, "\r\nMessage-ID: <"));
	g_assert_cmpuint(o->rcpts->len, ==, 2);
	g_assert_cmpstr(o->bcc_field, ==, "Bcc: hidden@example.org\r\n");
	mime_outgoing_free(&o);
	mime_identities_free(&ids);
}

static void
test_signature_and_flowed(void)
{
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = mime_draft_new(ids);
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	GString *longline = g_string_new(NULL);
	const char *data;

	for (int i = 0; i < 30; i++)
		g_string_append(longline, "word ");
	g_free(d->body);
	d->body = g_strdup_printf("%s\n", longline->str);
	d->to = g_strdup("a@example.org");
	mime_draft_add_signature(d, "Me\n");
	g_assert_true(g_str_has_suffix(d->body, "\n-- \nMe\n"));
	g_assert_cmpint(mime_draft_build(d, ids, &o, &err), ==, 0);
	data = g_bytes_get_data(o->data, NULL);
	g_assert_nonnull(strstr(data, "format=flowed"));
	g_assert_nonnull(strstr(data, "word \r\nword"));
	g_assert_nonnull(strstr(data, "\r\n-- \r\nMe\r\n"));
	g_string_free(longline, TRUE);
	mime_outgoing_free(&o);
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

#define LIST_MESSAGE(extra)                                                             \
	"From: Alice Example <alice@example.org>\r\n"                                      \
	"To: Dev List <dev@lists.example.org>\r\n"                                         \
	"Cc: bob@example.org, me@example.net\r\n"                                          \
	"Subject: [dev] release\r\n"                                                      \
	"Message-ID: <list1@example.org>\r\n"                                             \
	"List-Id: <dev.lists.example.org>\r\n" extra                                      \
	"Content-Type: text/plain\r\n"                                                    \
	"\r\n"                                                                            \
	"ship it\r\n"

static void
test_reply_list(void)
{
	static const struct {
		const char *headers;
		enum mime_reply_mode mode;
		const char *to, *cc, *post;
	} rows[] = {
		{ "List-Post: <mailto:dev@lists.example.org>\r\n", MIME_REPLY_LIST,
		  "dev@lists.example.org", NULL, "dev@lists.example.org" },
		/* other URLs first, a query after the address, %-escapes */
		{ "List-Post: <https://lists.example.org/post>,\r\n"
		  " <mailto:dev%2Dpost@lists.example.org?subject=post>\r\n", MIME_REPLY_LIST,
		  "dev-post@lists.example.org", NULL, "dev-post@lists.example.org" },
		/* no posting: a plain reply */
		{ "List-Post: NO (posting not allowed)\r\n", MIME_REPLY_LIST,
		  "Alice Example <alice@example.org>", NULL, NULL },
		{ "", MIME_REPLY_LIST, "Alice Example <alice@example.org>", NULL, NULL },
		/* a hostile List-Post cannot smuggle a second recipient */
		{ "List-Post: <mailto:dev@lists.example.org%0D%0ABcc:%20evil@x.org>\r\n",
		  MIME_REPLY_LIST, "Alice Example <alice@example.org>", NULL, NULL },
		/* Mail-Followup-To wins, for list and all; never the user */
		{ "List-Post: <mailto:dev@lists.example.org>\r\n"
		  "Mail-Followup-To: dev@lists.example.org, me@example.net\r\n",
		  MIME_REPLY_LIST, "dev@lists.example.org", NULL, "dev@lists.example.org" },
		{ "Mail-Followup-To: dev@lists.example.org, carol@example.org\r\n",
		  MIME_REPLY_ALL, "dev@lists.example.org, carol@example.org", NULL, NULL },
		/* without it, reply-all is as before */
		{ "List-Post: <mailto:dev@lists.example.org>\r\n", MIME_REPLY_ALL,
		  "Alice Example <alice@example.org>",
		  "Dev List <dev@lists.example.org>, bob@example.org", "dev@lists.example.org" },
		/* a plain reply ignores both */
		{ "Mail-Followup-To: dev@lists.example.org\r\n", MIME_REPLY_SENDER,
		  "Alice Example <alice@example.org>", NULL, NULL },
	};
	struct mime_identities *ids = ids_new();

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *text = g_strdup_printf(LIST_MESSAGE("%s"), rows[i].headers);
		struct mime_message *m = mime_message_parse(text, strlen(text));
		struct mime_draft *d = mime_draft_reply(m, rows[i].mode, ids);
		char *post = mime_message_list_post(m);

		g_test_message("row %zu", i);
		g_assert_cmpstr(d->to, ==, rows[i].to);
		g_assert_cmpstr(d->cc, ==, rows[i].cc);
		g_assert_cmpstr(post, ==, rows[i].post);
		g_assert_cmpint(mime_message_has_list(m), ==,
				rows[i].post != NULL || strstr(rows[i].headers, "Followup") != NULL);
		g_assert_cmpstr(d->subject, ==, "Re: [dev] release");
		g_free(post);
		mime_draft_free(&d);
		mime_message_free(&m);
		g_free(text);
	}
	mime_identities_free(&ids);
}

static void
test_from_stored(void)
{
	static const char stored[] =
		"From: Me <me@example.net>\r\n"
		"To: Ann <ann@example.org>, bob@example.org\r\n"
		"Bcc: secret@example.org\r\n"
		"Subject: =?UTF-8?Q?caf=C3=A9?= plans\r\n"
		"In-Reply-To: <x@example.org>\r\n"
		"References: <r@example.org> <x@example.org>\r\n"
		"X-Evil: 1\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"\r\n"
		"half written\r\n";
	struct mime_identities *ids = ids_new();
	struct mime_message *m = mime_message_parse(stored, strlen(stored));
	struct mime_draft *d = mime_draft_from_stored(m, ids), *back = NULL;
	char *text = mime_draft_format(d);
	GError *err = NULL;

	g_assert_cmpstr(d->from, ==, "Me <me@example.net>");
	g_assert_cmpstr(d->to, ==, "Ann <ann@example.org>, bob@example.org");
	g_assert_null(d->cc);
	g_assert_cmpstr(d->bcc, ==, "secret@example.org");
	g_assert_cmpstr(d->subject, ==, "caf\xc3\xa9 plans");
	g_assert_cmpstr(d->in_reply_to, ==, "<x@example.org>");
	g_assert_cmpstr(d->references, ==, "<r@example.org> <x@example.org>");
	g_assert_cmpstr(d->body, ==, "half written\n");
	/* and it reads back as a draft */
	g_assert_cmpint(mime_draft_parse(text, strlen(text), &back, &err), ==, 0);
	g_assert_cmpstr(back->to, ==, d->to);
	mime_draft_free(&back);
	g_free(text);
	mime_draft_free(&d);
	mime_message_free(&m);
	mime_identities_free(&ids);
}

static void
test_mailto(void)
{
	static const struct {
		const char *url;
		int rc;
		const char *to, *cc, *bcc, *subject, *body, *irt;
	} rows[] = {
		{ "mailto:alice@example.org", 0, "alice@example.org", NULL, NULL, NULL, "", NULL },
		{ "MAILTO:alice@example.org,bob@example.org?subject=hi%20there&body=line%201%0D%0A"
		  "line%202&cc=carol@example.org&bcc=dave@example.org&X-Evil=1&in-reply-to=%3Cx@y%3E",
		  0, "alice@example.org,bob@example.org", "carol@example.org", "dave@example.org",
		  "hi there", "line 1\nline 2\n", "<x@y>" },
		/* to= adds to the path's; an empty path is fine */
		{ "mailto:?to=a@example.org&to=b@example.org&subject=%E2%82%AC", 0,
		  "a@example.org, b@example.org", NULL, NULL, "\xe2\x82\xac", "", NULL },
		/* a subject cannot carry a header; an unknown field is ignored */
		{ "mailto:a@example.org?subject=x%0D%0ABcc:%20evil@example.org&from=evil@x.org", 0,
		  "a@example.org", NULL, NULL, "x  Bcc: evil@example.org", "", NULL },
		/* a bad in-reply-to is dropped */
		{ "mailto:a@example.org?In-Reply-To=%3Cx%3E%20%3Cy%3E", 0, "a@example.org", NULL,
		  NULL, NULL, "", NULL },
		{ "mailto:a@example.org?body=%", -1 },
		{ "mailto:a@example.org?body=%4", -1 },
		{ "mailto:a@example.org?body=%zz", -1 },
		{ "mailto:a@example.org?body=%00", -1 },
		{ "mailto:a@example.org?body=%FF", -1 },
		{ "mailto:bob", -1 },
		{ "mailto:a@example.org?cc=not%20an%20address", -1 },
		{ "http://example.org/", -1 },
	};
	struct mime_identities *ids = ids_new();

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct mime_draft *d = NULL;
		GError *err = NULL;
		int rc = mime_draft_from_mailto(rows[i].url, ids, &d, &err);

		g_test_message("row %zu: %s", i, rows[i].url);
		g_assert_cmpint(rc, ==, rows[i].rc);
		if (rc < 0) {
			int want = strstr(rows[i].url, "%") != NULL || i == G_N_ELEMENTS(rows) - 1 ?
					   MIME_COMPOSE_ERROR_SYNTAX :
					   MIME_COMPOSE_ERROR_ADDRESS;

			if (strstr(rows[i].url, "cc=") != NULL)
				want = MIME_COMPOSE_ERROR_ADDRESS;
			g_assert_null(d);
			g_assert_error(err, MIME_COMPOSE_ERROR, want);
			g_error_free(err);
			continue;
		}
		g_assert_cmpstr(d->to, ==, rows[i].to);
		g_assert_cmpstr(d->cc, ==, rows[i].cc);
		g_assert_cmpstr(d->bcc, ==, rows[i].bcc);
		g_assert_cmpstr(d->subject, ==, rows[i].subject);
		g_assert_cmpstr(d->body != NULL ? d->body : "", ==, rows[i].body);
		g_assert_cmpstr(d->in_reply_to, ==, rows[i].irt);
		g_assert_cmpstr(d->from, ==, "Me <me@example.net>");
		mime_draft_free(&d);
	}
	/* bounds: a URL over the cap, and too many fields */
	{
		GString *big = g_string_new("mailto:a@example.org?body=");
		struct mime_draft *d = NULL;
		GError *err = NULL;

		while (big->len <= MIME_MAX_MAILTO)
			g_string_append(big, "xxxxxxxx");
		g_assert_cmpint(mime_draft_from_mailto(big->str, ids, &d, &err), ==, -1);
		g_clear_error(&err);
		g_string_assign(big, "mailto:a@example.org?");
		for (int i = 0; i <= MIME_MAX_MAILTO_FIELDS; i++)
			g_string_append(big, "x=1&");
		g_assert_cmpint(mime_draft_from_mailto(big->str, ids, &d, &err), ==, -1);
		g_assert_error(err, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX);
		g_clear_error(&err);
		g_string_free(big, TRUE);
	}
	mime_identities_free(&ids);
}

/* ; R: one reply to two messages. */
static void
test_merge(void)
{
	static const char second[] =
		"From: Bob <bob@example.org>\r\n"
		"To: me@example.net, dave@example.org, Alice <ALICE@example.org>\r\n"
		"Cc: me3@example.net, erin@example.org\r\n"
		"Subject: other\r\n"
		"Message-ID: <second@example.org>\r\n"
		"References: <root@example.org>\r\n"
		"\r\n"
		"second text\r\n";
	struct mime_identities *ids = ids_new();
	struct mime_draft *d = reply_to(ORIGINAL, MIME_REPLY_ALL, ids);
	struct mime_draft *more = reply_to(second, MIME_REPLY_ALL, ids);

	mime_draft_merge(d, more, ids);
	/* each address once (any case), none of the user's */
	g_assert_cmpstr(d->to, ==, "Alice Example <alice@example.org>, Bob <bob@example.org>");
	g_assert_cmpstr(d->cc, ==, "carol@example.org, dave@example.org, erin@example.org");
	g_assert_cmpstr(d->in_reply_to, ==, "<orig@example.org> <second@example.org>");
	g_assert_cmpstr(d->references, ==,
			"<root@example.org> <parent@example.org> <orig@example.org> "
			"<second@example.org>");
	g_assert_cmpstr(d->subject, ==, "Re: hello there");
	g_assert_nonnull(strstr(d->body, "Alice Example wrote:\n> first line\n"));
	g_assert_nonnull(strstr(d->body, "\nBob wrote:\n> second text\n"));
	g_assert_true(strstr(d->body, "Alice Example wrote") < strstr(d->body, "Bob wrote"));
	mime_draft_free(&more);
	mime_draft_free(&d);
	mime_identities_free(&ids);
}

/* Bounce: the Resent- block on top, the bytes unchanged, the envelope to
 * the addresses given only; a typed value cannot add a header or a
 * recipient. */
static void
test_bounce(void)
{
	struct mime_identities *ids = ids_new();
	GBytes *orig = g_bytes_new_static(ORIGINAL, strlen(ORIGINAL));
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	const char *data;
	gsize len;

	g_assert_cmpint(mime_bounce_build(orig, "Zed <zed@example.org>, y@example.org, "
					  "zed@example.org", ids, &o, &err), ==, 0);
	data = g_bytes_get_data(o->data, &len);
	g_assert_true(g_str_has_prefix(data, "Resent-From: Me <me@example.net>\r\n"
					     "Resent-To: Zed <zed@example.org>, y@example.org\r\n"
					     "Resent-Date: "));
	g_assert_nonnull(strstr(data, "\r\nResent-Message-ID: <"));
	g_assert_true(len > strlen(ORIGINAL) &&
		      memcmp(data + len - strlen(ORIGINAL), ORIGINAL, strlen(ORIGINAL)) == 0);
	g_assert_cmpstr(o->sender, ==, "me@example.net");
	g_assert_cmpuint(o->rcpts->len, ==, 2);
	g_assert_cmpstr(o->rcpts->pdata[0], ==, "zed@example.org");
	g_assert_cmpstr(o->rcpts->pdata[1], ==, "y@example.org");
	g_assert_true(o->no_sent_copy);
	g_assert_cmpstr(o->subject, ==, "hello there");
	g_assert_nonnull(strstr(data, o->message_id));
	mime_outgoing_free(&o);
	/* a line break typed into a name stays in the name */
	g_assert_cmpint(mime_bounce_build(orig, "\"X\r\nBcc: evil@example.org\" <x@example.org>",
					  ids, &o, &err), ==, 0);
	g_assert_cmpuint(o->rcpts->len, ==, 1);
	g_assert_null(strstr(g_bytes_get_data(o->data, NULL), "\r\nBcc:"));
	mime_outgoing_free(&o);
	g_assert_cmpint(mime_bounce_build(orig, "not an address", ids, &o, &err), ==, -1);
	g_assert_error(err, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS);
	g_clear_error(&err);
	g_assert_cmpint(mime_bounce_build(orig, "a@example.org, bob", ids, &o, &err), ==, -1);
	g_assert_error(err, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ADDRESS);
	g_clear_error(&err);
	g_assert_cmpint(mime_bounce_build(orig, "", ids, &o, &err), ==, -1);
	g_assert_error(err, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_NO_RCPT);
	g_clear_error(&err);
	g_assert_null(o);
	g_bytes_unref(orig);
	mime_identities_free(&ids);
}

/* Completion's reading of address lists: raw (RFC 2047) or typed. */
static void
test_address_split(void)
{
	static const struct {
		const char *in;
		const char *out; /* displays joined by " | " */
	} rows[] = {
		{ "=?UTF-8?Q?Ren=C3=A9e?= <renee@example.org>, b@example.org",
		  "Renée <renee@example.org> | b@example.org" },
		{ "team: a@example.org, c@example.org;", "a@example.org | c@example.org" },
		{ "=?UTF-8?Q?Eve=0D=0AX-Evil=3A_1?= <eve@example.org>",
		  "\"Eve  X-Evil: 1\" <eve@example.org>" },
		{ "bob, not valid", "" },
		{ "", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		GPtrArray *mb = mime_address_list_split(rows[i].in);
		GString *got = g_string_new(NULL);

		for (guint j = 0; j < mb->len; j++)
			g_string_append_printf(got, "%s%s", j > 0 ? " | " : "",
					       ((struct mime_mailbox *)mb->pdata[j])->display);
		g_assert_cmpstr(got->str, ==, rows[i].out);
		g_string_free(got, TRUE);
		g_ptr_array_unref(mb);
	}
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/compose/reply/sender", test_reply_sender);
	g_test_add_func("/compose/reply/all", test_reply_all);
	g_test_add_func("/compose/reply/identity-subject", test_reply_identity_and_subject);
	g_test_add_func("/compose/reply/flowed", test_reply_flowed);
	g_test_add_func("/compose/reply/hostile", test_reply_hostile);
	g_test_add_func("/compose/forward", test_forward);
	g_test_add_func("/compose/merge", test_merge);
	g_test_add_func("/compose/bounce", test_bounce);
	g_test_add_func("/compose/address-split", test_address_split);
	g_test_add_func("/compose/reply/list", test_reply_list);
	g_test_add_func("/compose/mailto", test_mailto);
	g_test_add_func("/compose/draft/from-stored", test_from_stored);
	g_test_add_func("/compose/draft/round-trip", test_draft_round_trip);
	g_test_add_func("/compose/draft/bad", test_bad_drafts);
	g_test_add_func("/compose/draft/crypt", test_draft_crypt);
	g_test_add_func("/compose/rfc5322", test_rfc5322_message);
	g_test_add_func("/compose/signature-flowed", test_signature_and_flowed);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}

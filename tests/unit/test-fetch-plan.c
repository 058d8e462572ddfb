/* What the viewer fetches of a message from its BODYSTRUCTURE (#14):
 * mime_structure_plan() table-driven, mime_partial_message() rendered, and
 * the cache's form of a structure (imap_parts_serialize/_deserialize),
 * damaged bytes included. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/client.h"
#include "mime/mime.h"

/* One node: "section type/subtype parent [disposition]"; a "multipart"
 * type makes a container. */
static struct imap_part *
node(const char *section, const char *type, const char *subtype, int parent,
     const char *disposition)
{
	struct imap_part *p = g_new0(struct imap_part, 1);

	p->section = g_strdup(section);
	p->type = g_strdup(type);
	p->subtype = g_strdup(subtype);
	p->params = g_new0(char *, 1);
	p->disposition = g_strdup(disposition);
	p->disposition_params = g_new0(char *, 1);
	p->size = 100;
	p->parent = parent;
	p->multipart = strcmp(type, "multipart") == 0;
	return p;
}

/* Rows of "section type subtype parent disposition|-", ';'-separated. */
static GPtrArray *
structure(const char *rows)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)imap_part_free);
	char **v = g_strsplit(rows, ";", -1);

	for (char **r = v; *r != NULL; r++) {
		char **f = g_strsplit(g_strstrip(*r), " ", -1);

		g_assert_cmpuint(g_strv_length(f), ==, 5);
		g_ptr_array_add(out, node(strcmp(f[0], "-") == 0 ? "" : f[0], f[1], f[2],
					  atoi(f[3]), strcmp(f[4], "-") == 0 ? NULL : f[4]));
		g_strfreev(f);
	}
	g_strfreev(v);
	return out;
}

static const struct {
	const char *name;
	const char *rows;
	bool prefer_html;
	int plan;
	const char *sections; /* space-separated, for MIME_FETCH_PARTS */
} plans[] = {
	{ "text and a PDF", "- multipart mixed -1 -; 1 text plain 0 -; 2 application pdf 0 attachment",
	  false, MIME_FETCH_PARTS, "1" },
	{ "alternative, plain preferred",
	  "- multipart mixed -1 -; 1 multipart alternative 0 -; 1.1 text plain 1 -;"
	  "1.2 text html 1 -; 2 image png 0 attachment", false, MIME_FETCH_PARTS, "1.1" },
	{ "alternative, HTML preferred",
	  "- multipart mixed -1 -; 1 multipart alternative 0 -; 1.1 text plain 1 -;"
	  "1.2 text html 1 -; 2 image png 0 attachment", true, MIME_FETCH_PARTS, "1.2" },
	{ "a text attachment is not shown", "- multipart mixed -1 -; 1 text plain 0 -;"
	  "2 text plain 0 attachment", false, MIME_FETCH_PARTS, "1" },
	{ "inside an attached message", "- multipart mixed -1 -; 1 text plain 0 -;"
	  "2 message rfc822 0 -; 2.1 text plain 2 -", false, MIME_FETCH_PARTS, "1 2.1" },
	{ "one non-text part: nothing to fetch", "1 application pdf -1 attachment", false,
	  MIME_FETCH_PARTS, "" },
	{ "one text part: whole", "1 text plain -1 -", false, MIME_FETCH_WHOLE, NULL },
	{ "signed: whole", "- multipart signed -1 -; 1 text plain 0 -;"
	  "2 application pgp-signature 0 -", false, MIME_FETCH_WHOLE, NULL },
	{ "encrypted deep inside: whole", "- multipart mixed -1 -; 1 text plain 0 -;"
	  "2 message rfc822 0 -; 2.1 multipart encrypted 2 -; 2.1.1 application pgp-encrypted 3 -;"
	  "2.1.2 application octet-stream 3 -", false, MIME_FETCH_WHOLE, NULL },
	{ "S/MIME: whole", "- multipart mixed -1 -; 1 application pkcs7-mime 0 -", false,
	  MIME_FETCH_WHOLE, NULL },
	{ "a parent after its child: refused", "- multipart mixed -1 -; 1 text plain 2 -;"
	  "2 text plain 0 -", false, -1, NULL },
	{ "two roots: refused", "- multipart mixed -1 -; 1 text plain -1 -", false, -1, NULL },
};

static void
test_plan(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(plans); i++) {
		GPtrArray *s = structure(plans[i].rows);
		char **sections = NULL;
		int plan = mime_structure_plan(s, plans[i].prefer_html, 16, &sections);

		g_test_message("%s", plans[i].name);
		g_assert_cmpint(plan, ==, plans[i].plan);
		if (plan == MIME_FETCH_PARTS) {
			char *got = g_strjoinv(" ", sections);

			g_assert_cmpstr(got, ==, plans[i].sections);
			g_free(got);
		} else {
			g_assert_null(sections);
		}
		g_strfreev(sections);
		g_ptr_array_unref(s);
	}
}

/* More text parts than the caller takes: the whole message. */
static void
test_plan_max(void)
{
	GString *rows = g_string_new("- multipart mixed -1 -");
	GPtrArray *s;
	char **sections = NULL;

	for (int i = 1; i <= 20; i++)
		g_string_append_printf(rows, "; %d text plain 0 -", i);
	s = structure(rows->str);
	g_assert_cmpint(mime_structure_plan(s, false, 16, &sections), ==, MIME_FETCH_WHOLE);
	g_assert_cmpint(mime_structure_plan(s, false, 20, &sections), ==, MIME_FETCH_PARTS);
	g_assert_cmpuint(g_strv_length(sections), ==, 20);
	g_strfreev(sections);
	g_ptr_array_unref(s);
	g_string_free(rows, TRUE);
}

static void
test_partial_message(void)
{
	static const char header[] =
		"From: Alice <alice@example.org>\r\nSubject: partial\r\n"
		"Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\nX-Keep: yes\r\n\r\n";
	static const char mime[] = "Content-Type: text/plain; charset=iso-8859-1\r\n"
				   "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	static const char body[] = "caf=E9 au lait\r\n--outer\r\nnot a boundary of ours\r\n";
	GBytes *h = g_bytes_new_static(header, strlen(header));
	GPtrArray *mimes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GPtrArray *bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	struct mime_render_opts opts;
	struct mime_message *m;
	struct mime_rendered *r;
	GBytes *raw;
	char *out;

	g_ptr_array_add(mimes, g_bytes_new_static(mime, strlen(mime)));
	g_ptr_array_add(bodies, g_bytes_new_static(body, strlen(body)));
	g_ptr_array_add(mimes, NULL); /* the server sent no MIME header: text/plain */
	g_ptr_array_add(bodies, g_bytes_new_static("second\r\n", 8));
	g_ptr_array_add(mimes, NULL);
	g_ptr_array_add(bodies, NULL); /* nor the part: left out */
	/* a MIME header cut short (no blank line): its body stays a body */
	g_ptr_array_add(mimes, g_bytes_new_static("Content-Type: text/plain", 24));
	g_ptr_array_add(bodies, g_bytes_new_static("third\r\n", 7));
	raw = mime_partial_message(h, mimes, bodies);
	g_assert_null(g_strstr_len(g_bytes_get_data(raw, NULL), (gssize)g_bytes_get_size(raw),
				   "boundary=\"outer\""));
	m = mime_message_parse_bytes(raw);
	mime_render_opts_init(&opts);
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	g_assert_nonnull(strstr(out, "Subject: partial"));
	g_assert_nonnull(strstr(out, "caf\u00e9 au lait"));
	g_assert_nonnull(strstr(out, "not a boundary of ours"));
	g_assert_nonnull(strstr(out, "second"));
	g_assert_nonnull(strstr(out, "third"));
	g_free(out);
	mime_rendered_free(&r);
	mime_message_free(&m);
	g_bytes_unref(raw);
	g_ptr_array_unref(mimes);
	g_ptr_array_unref(bodies);
	g_bytes_unref(h);
}

static void
test_serialize(void)
{
	GPtrArray *s = structure("- multipart mixed -1 -; 1 text plain 0 -;"
				 "2 application pdf 0 attachment");
	struct imap_part *pdf = s->pdata[2];
	GBytes *b, *junk;
	GPtrArray *back;

	g_strfreev(pdf->params);
	pdf->params = g_strsplit("name,a.pdf", ",", -1);
	pdf->encoding = g_strdup("base64");
	pdf->size = 19 * 1024 * 1024;
	pdf->child = 1;
	b = imap_parts_serialize(s);
	back = imap_parts_deserialize(b);
	g_assert_nonnull(back);
	g_assert_cmpuint(back->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		const struct imap_part *x = s->pdata[i], *y = back->pdata[i];

		g_assert_cmpstr(x->section, ==, y->section);
		g_assert_cmpstr(x->type, ==, y->type);
		g_assert_cmpstr(x->subtype, ==, y->subtype);
		g_assert_cmpstr(x->disposition, ==, y->disposition);
		g_assert_cmpstr(x->encoding, ==, y->encoding);
		g_assert_true(g_strv_equal((const char *const *)x->params,
					   (const char *const *)y->params));
		g_assert_cmpuint(x->size, ==, y->size);
		g_assert_cmpint(x->parent, ==, y->parent);
		g_assert_cmpuint(x->child, ==, y->child);
		g_assert_true(x->multipart == y->multipart);
	}
	g_ptr_array_unref(back);
	/* damaged or foreign bytes are no structure, and no crash */
	junk = g_bytes_new_static("\xff\x01garbage", 9);
	g_assert_null(imap_parts_deserialize(junk));
	g_bytes_unref(junk);
	junk = g_bytes_new_static("", 0);
	g_assert_null(imap_parts_deserialize(junk));
	g_bytes_unref(junk);
	for (gsize cut = 1; cut < g_bytes_get_size(b); cut += 7) {
		GBytes *part = g_bytes_new_from_bytes(b, 0, cut);
		GPtrArray *p = imap_parts_deserialize(part);

		if (p != NULL) /* a shorter array that reads: still pre-order */
			for (guint i = 0; i < p->len; i++)
				g_assert_cmpint(((struct imap_part *)p->pdata[i])->parent, <,
						(int)i);
		if (p != NULL)
			g_ptr_array_unref(p);
		g_bytes_unref(part);
	}
	g_bytes_unref(b);
	g_ptr_array_unref(s);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/fetch-plan/plan", test_plan);
	g_test_add_func("/fetch-plan/plan-max", test_plan_max);
	g_test_add_func("/fetch-plan/partial-message", test_partial_message);
	g_test_add_func("/fetch-plan/serialize", test_serialize);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}

/* Every message of the project's corpus (tests/data/corpus/: messages copied
 * from other projects' test data, and edge cases made by
 * tests/fixtures/gencorpus.py) parses and renders; ../shared/corpus adds its
 * messages when it is there, and is never required. A chosen dozen (and
 * tern's own test messages in tests/data/mime/) match their golden output.
 *
 * Regenerate the golden files after checking the new output by eye:
 *     TERN_UPDATE_GOLDEN=1 make check TESTS=tests/unit/test-mime-corpus
 * (they are written to $TERN_SRCDIR/tests/data/mime/NAME.out). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "mime/mime.h"

#define GOLDEN_WIDTH 72

/* Corpus messages (under tests/data/corpus/) with a golden file, and what
 * each one covers. */
static const char *const corpus_golden[] = {
	"python-email/msg_02.txt",  /* a digest of messages inside multipart/mixed */
	"python-email/msg_05.txt",  /* multipart/report with an attached message */
	"python-email/msg_07.txt",  /* text and a base64 image attachment */
	"python-email/msg_15.txt",  /* broken: alternative reuses its parent's boundary */
	"python-email/msg_16.txt",  /* message/delivery-status (a bounce) */
	"python-email/msg_19.txt",  /* no header at all: shown as text */
	"python-email/msg_36.txt",  /* message/external-body inside alternative */
	"python-email/msg_42.txt",  /* message/rfc822 nested in mixed */
	"python-email/msg_44.txt",  /* two attachments with the same name */
	"python-email/msg_45.txt",  /* multipart/signed (PGP) */
	"python-email/msg_46.txt",  /* message/rfc822 at the top level */
	"mimekit/body.3.txt",       /* alternative: HTML first, plain second */
	"mimekit/body.4.txt",       /* related: HTML only, with inline images */
	"mimekit/body.5.txt",       /* alternative > related > HTML */
	"mimekit/issue1130.txt",    /* format=flowed; delsp=yes, quoted-printable */
	"mimekit/epilogue.txt",     /* quoting, a postscript attachment, epilogue */
	"mimekit/disposition-notification.txt", /* MDN */
	"mimekit/multipart-digest.txt", /* digest nested in a message */
	"mimekit/empty-multipart.txt", /* a multipart with no parts */
};

/* tern's own messages (tests/data/mime/NAME.eml) for what the corpus lacks. */
static const char *const local_golden[] = {
	"rfc2047-names",  /* encoded-words in From/To/Subject and in file names */
	"html-only",      /* lists, table, links, script and style */
	"charsets",       /* koi8-r, iso-8859-2, unlabelled 8-bit, windows-1252 */
	"flowed-delsp",   /* format=flowed with DelSp and quotes */
	"broken-boundary",/* a multipart whose closing boundary never comes */
};

static char *
corpus_dir(void)
{
	const char *src = g_getenv("TERN_SRCDIR");

	return g_build_filename(src ? src : ".", "tests", "data", "corpus", NULL);
}

static char *
shared_corpus_dir(void)
{
	const char *src = g_getenv("TERN_SRCDIR");

	return g_build_filename(src ? src : ".", "..", "shared", "corpus", NULL);
}

static char *
data_dir(void)
{
	const char *src = g_getenv("TERN_SRCDIR");

	return g_build_filename(src ? src : ".", "tests", "data", "mime", NULL);
}

static char *
render_text(const char *bytes, size_t len, const struct mime_render_opts *opts,
	    struct mime_rendered **r_r)
{
	struct mime_message *m = mime_message_parse(bytes, len);
	struct mime_rendered *r = mime_render(m, opts);
	char *out = mime_rendered_format(r);

	mime_message_free(&m);
	if (r_r != NULL)
		*r_r = r;
	else
		mime_rendered_free(&r);
	return out;
}

/* What every rendering must be: valid UTF-8, no control character but LF, and
 * lines no wider than the width (links and deep quotes aside). */
static void
check_output(const char *name, const char *out, const struct mime_rendered *r, size_t width)
{
	if (!g_utf8_validate(out, -1, NULL)) {
		g_test_message("%s: output is not valid UTF-8", name);
		g_test_fail();
	}
	for (const char *p = out; *p; p++) {
		if ((guchar)*p < 0x20 && *p != '\n') {
			g_test_message("%s: raw control 0x%02x in output", name, (guchar)*p);
			g_test_fail();
			break;
		}
	}
	for (guint i = 0; width > 0 && i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		if (l->kind != MIME_LINE_LINK && l->kind != MIME_LINE_HEADER && l->quote_depth < 10 &&
		    text_width(l->text, -1) > width) {
			g_test_message("%s: line %u wider than %zu: %s", name, i, width, l->text);
			g_test_fail();
		}
	}
}

static void
render_all_ways(const char *name, const char *bytes, size_t len)
{
	static const struct {
		size_t width;
		bool prefer_html, all_headers;
	} ways[] = { { 72, false, false }, { 0, true, false }, { 30, false, true } };

	for (size_t i = 0; i < TERN_ARRAY_LEN(ways); i++) {
		struct mime_render_opts opts;
		struct mime_rendered *r = NULL;
		char *out;

		mime_render_opts_init(&opts);
		opts.width = ways[i].width;
		opts.prefer_html = ways[i].prefer_html;
		opts.all_headers = ways[i].all_headers;
		out = render_text(bytes, len, &opts, &r);
		check_output(name, out, r, opts.width);
		g_free(out);
		mime_rendered_free(&r);
	}
}

/* Render every file one folder below root; returns how many. */
static unsigned
render_tree(const char *root)
{
	GDir *top = g_dir_open(root, 0, NULL);
	const char *sub;
	unsigned count = 0;

	while (top != NULL && (sub = g_dir_read_name(top)) != NULL) {
		char *subdir = g_build_filename(root, sub, NULL);
		GDir *d = g_dir_open(subdir, 0, NULL);
		const char *f;

		while (d != NULL && (f = g_dir_read_name(d)) != NULL) {
			char *path = g_build_filename(subdir, f, NULL), *bytes = NULL;
			gsize len = 0;

			if (g_file_get_contents(path, &bytes, &len, NULL)) {
				render_all_ways(path, bytes, len);
				count++;
			}
			g_free(bytes);
			g_free(path);
		}
		if (d != NULL)
			g_dir_close(d);
		g_free(subdir);
	}
	if (top != NULL)
		g_dir_close(top);
	return count;
}

static void
test_corpus_all(void)
{
	char *root = corpus_dir(), *shared = shared_corpus_dir();
	unsigned own = render_tree(root), more = render_tree(shared);

	g_test_message("%u corpus messages rendered, and %u from %s", own, more, shared);
	g_assert_cmpuint(own, >=, 60);
	g_free(root);
	g_free(shared);
}

/* Compares out with DATA/NAME.out (or writes it when TERN_UPDATE_GOLDEN=1). */
static void
check_golden(const char *name, const char *out)
{
	char *dir = data_dir(), *file = g_strconcat(name, ".out", NULL);
	char *path = g_build_filename(dir, file, NULL), *want = NULL;
	const char *update = g_getenv("TERN_UPDATE_GOLDEN");

	if (update != NULL && strcmp(update, "1") == 0) {
		GError *err = NULL;

		if (!g_file_set_contents(path, out, -1, &err))
			g_error("cannot write %s: %s", path, err->message);
		g_test_message("wrote %s", path);
	} else if (!g_file_get_contents(path, &want, NULL, NULL)) {
		g_test_message("%s: golden file missing (TERN_UPDATE_GOLDEN=1 writes it)", path);
		g_test_fail();
	} else if (strcmp(want, out) != 0) {
		char **a = g_strsplit(want, "\n", -1), **b = g_strsplit(out, "\n", -1);
		guint i = 0;

		while (a[i] != NULL && b[i] != NULL && strcmp(a[i], b[i]) == 0)
			i++;
		g_test_message("%s differs at line %u:\n  want: %s\n  got:  %s", path, i + 1,
			       a[i] ? a[i] : "(end)", b[i] ? b[i] : "(end)");
		g_strfreev(a);
		g_strfreev(b);
		g_test_fail();
	}
	g_free(want);
	g_free(path);
	g_free(file);
	g_free(dir);
}

static void
golden_one(const char *name, const char *path)
{
	struct mime_render_opts opts;
	char *bytes = NULL, *out;
	gsize len = 0;

	if (!g_file_get_contents(path, &bytes, &len, NULL)) {
		g_test_message("cannot read %s", path);
		g_test_fail();
		return;
	}
	mime_render_opts_init(&opts);
	opts.width = GOLDEN_WIDTH;
	out = render_text(bytes, len, &opts, NULL);
	check_golden(name, out);
	g_free(out);
	g_free(bytes);
}

static void
test_corpus_golden(void)
{
	char *root = corpus_dir();

	for (size_t i = 0; i < TERN_ARRAY_LEN(corpus_golden); i++) {
		char *path = g_build_filename(root, corpus_golden[i], NULL);
		char *name = g_strdup(corpus_golden[i]), *dot = strrchr(name, '.');

		if (dot != NULL && strcmp(dot, ".txt") == 0)
			*dot = '\0';
		g_strdelimit(name, "/", '_');
		golden_one(name, path);
		g_free(name);
		g_free(path);
	}
	g_free(root);
}

static void
test_local_golden(void)
{
	char *dir = data_dir();

	for (size_t i = 0; i < TERN_ARRAY_LEN(local_golden); i++) {
		char *file = g_strconcat(local_golden[i], ".eml", NULL);
		char *path = g_build_filename(dir, file, NULL), *bytes = NULL;
		gsize len = 0;

		golden_one(local_golden[i], path);
		if (g_file_get_contents(path, &bytes, &len, NULL))
			render_all_ways(path, bytes, len);
		g_free(bytes);
		g_free(path);
		g_free(file);
	}
	g_free(dir);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/mime/corpus/all", test_corpus_all);
	g_test_add_func("/mime/corpus/golden", test_corpus_golden);
	g_test_add_func("/mime/golden/local", test_local_golden);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}

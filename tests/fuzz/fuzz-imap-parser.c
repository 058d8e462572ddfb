/* tern — libFuzzer target for the IMAP response parser.
 *
 * The input is server output. It is fed whole, then split at a point chosen
 * from the data, then one byte at a time (short inputs); every response is
 * decoded by layer 2 and dumped (which reads every decoded field), and the
 * three dumps, errors included, must be identical. Then the same bytes go
 * through the mUTF-7 decoder, the set parser and the command builder, whose
 * round-trip properties are checked.
 *
 * Build: ./configure --enable-fuzzing CC=clang && make tests/fuzz/fuzz-imap-parser
 * Run:   tests/fuzz/fuzz-imap-parser -dict=tests/fuzz/imap.dict CORPUS_DIR */
#include "config.h"
#include "core/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/imap/imap.h"
#include "tests/unit/test-imap-dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small caps so that the fuzzer reaches them quickly. */
static void
fuzz_limits(struct imap_limits *l)
{
	imap_limits_init(l);
	l->max_line = 16384;
	l->max_literal = 4096;
	l->max_body_literal = 8192;
	l->max_literal_total = 12000;
	l->max_depth = 16;
	l->max_args = 2000;
	l->max_body_depth = 8;
	l->max_body_parts = 50;
	l->max_addresses = 20;
}

static char *
run(const uint8_t *data, size_t size, size_t step, size_t split, bool utf8)
{
	struct imap_limits limits;
	struct imap_parser *p;
	GString *out = g_string_new(NULL);
	size_t pos = 0;
	bool failed = false;

	fuzz_limits(&limits);
	p = imap_parser_new(&limits);
	imap_parser_set_utf8_accept(p, utf8);
	while (pos < size && !failed) {
		size_t n = size - pos;

		if (step > 0 && n > step)
			n = step;
		if (split > pos && split < pos + n)
			n = split - pos;
		imap_parser_feed(p, data + pos, n);
		pos += n;
		for (;;) {
			GError *err = NULL;
			struct imap_response *r = imap_parser_next(p, &err);

			if (r == NULL) {
				if (err != NULL) {
					g_string_append_printf(out, "ERROR %d %s\n", err->code,
							       err->message);
					g_error_free(err);
					failed = true;
				}
				break;
			}
			test_imap_dump(out, r);
			imap_response_free(&r);
		}
	}
	imap_parser_free(&p);
	return g_string_free(out, FALSE);
}

static void
check_same(const char *a, const char *b)
{
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "split-dependent result:\n--- whole\n%s\n--- split\n%s\n", a, b);
		abort();
	}
}

static void
fuzz_parser(const uint8_t *data, size_t size)
{
	bool utf8 = size > 0 && (data[0] & 1);
	char *whole = run(data, size, 0, 0, utf8);
	char *split = run(data, size, 0, size > 1 ? 1 + data[size / 2] % (size - 1) : 0, utf8);

	check_same(whole, split);
	if (size <= 4096) {
		char *bytes = run(data, size, 1, 0, utf8);

		check_same(whole, bytes);
		g_free(bytes);
	}
	g_free(split);
	g_free(whole);
}

static void
fuzz_mutf7(const char *s, size_t len)
{
	char *dec = imap_mutf7_decode(s, (gssize)len, NULL);
	char *enc;

	if (dec != NULL) {
		/* decoded names re-encode and decode to the same text */
		enc = imap_mutf7_encode(dec, -1, NULL);
		if (enc == NULL)
			abort();
		g_free(dec);
		dec = imap_mutf7_decode(enc, -1, NULL);
		if (dec == NULL)
			abort();
		g_free(enc);
		g_free(dec);
	}
	enc = imap_mutf7_encode(s, (gssize)len, NULL);
	if (enc != NULL) {
		dec = imap_mutf7_decode(enc, -1, NULL);
		if (dec == NULL || strlen(dec) != len || memcmp(dec, s, len) != 0)
			abort();
		g_free(dec);
		g_free(enc);
	}
}

static void
fuzz_seqset(const char *s, size_t len)
{
	struct imap_seqset *set = imap_seqset_parse(s, (gssize)len, IMAP_SEQSET_ALLOW_STAR, NULL);
	struct imap_seqset *again;
	char *f, *g;

	if (set == NULL)
		return;
	f = imap_seqset_format(set);
	again = imap_seqset_parse(f, -1, IMAP_SEQSET_ALLOW_STAR, NULL);
	if (again == NULL)
		abort();
	g = imap_seqset_format(again);
	if (strcmp(f, g) != 0)
		abort();
	(void)imap_seqset_count(set, 100);
	(void)imap_seqset_contains(set, 7, 0);
	g_free(f);
	g_free(g);
	imap_seqset_free(&set);
	imap_seqset_free(&again);
}

/* Whatever the argument, the command has one line per segment: a CR, LF
 * or NUL only inside literals. */
static void
check_command(const struct imap_command *cmd)
{
	GByteArray *all = g_byte_array_new();
	size_t pos = 0;

	for (size_t i = 0; i < cmd->n_chunks; i++) {
		gsize len;
		const guint8 *d = g_bytes_get_data(cmd->chunks[i].data, &len);

		g_byte_array_append(all, d, (guint)len);
	}
	while (pos < all->len) {
		guint8 *lf = memchr(all->data + pos, '\n', all->len - pos);
		size_t end, brace;

		if (lf == NULL)
			abort();
		end = (size_t)(lf - all->data);
		if (end < pos + 1 || all->data[end - 1] != '\r')
			abort();
		for (size_t i = pos; i < end - 1; i++) {
			if (all->data[i] == '\r' || all->data[i] == '\0')
				abort();
		}
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
		pos = end + 1 + g_ascii_strtoull((const char *)all->data + brace, NULL, 10);
	}
	if (pos != all->len)
		abort();
	g_byte_array_unref(all);
}

static void
fuzz_command(const char *s, const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {"SELECT %m", "LOGIN %s %P", "SEARCH SUBJECT %S",
					   "STORE 1 +FLAGS (%f)", "SELECT %r", "ENABLE %a"};
	struct imap_command_options o = {0};
	struct imap_tag_counter tags;

	imap_tag_counter_init(&tags, "f");
	o.literal_mode = size > 0 ? data[0] % 3 : 0;
	o.utf8_accept = size > 1 && (data[1] & 1);
	for (size_t i = 0; i < TERN_ARRAY_LEN(fmts); i++) {
		struct imap_command *cmd = imap_command_new(&tags, &o, NULL, fmts[i], s, s);

		if (cmd != NULL) {
			check_command(cmd);
			imap_command_free(&cmd);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	fuzz_parser(data, size);
	if (size > 4096)
		return 0;
	s = g_strndup((const char *)data, size);
	fuzz_mutf7((const char *)data, size);
	fuzz_seqset((const char *)data, size);
	fuzz_command(s, data, size);
	g_free(s);
	return 0;
}

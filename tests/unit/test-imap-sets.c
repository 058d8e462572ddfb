/* tern — tests for sequence/UID sets (core/imap/uidset.c) and modified
 * UTF-7 (core/imap/mutf7.c). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap.h"

struct set_row {
	const char *in;
	unsigned flags;
	const char *formatted; /* NULL: must be refused */
	uint64_t count;        /* with star_value 1000 */
};

static const struct set_row set_rows[] = {
	{"5", 0, "5", 1},
	{"5,9", 0, "5,9", 2},
	{"100:200", 0, "100:200", 101},
	{"200:100", 0, "100:200", 101},
	{"300:*", IMAP_SEQSET_ALLOW_STAR, "300:*", 701},
	{"*:300", IMAP_SEQSET_ALLOW_STAR, "300:*", 701},
	{"*", IMAP_SEQSET_ALLOW_STAR, "*", 1},
	{"*:*", IMAP_SEQSET_ALLOW_STAR, "*", 1},
	{"1:4294967295", 0, "1:4294967295", 4294967295u},
	{"4294967295", 0, "4294967295", 1},
	{"1,1,1", 0, "1,1,1", 3},
	{"2000:*", IMAP_SEQSET_ALLOW_STAR, "2000:*", 1001},
	{"300:*", 0, NULL, 0},
	{"*", 0, NULL, 0},
	{"", 0, NULL, 0},
	{"1,", 0, NULL, 0},
	{",1", 0, NULL, 0},
	{"1,,2", 0, NULL, 0},
	{":5", 0, NULL, 0},
	{"5:", 0, NULL, 0},
	{"1:2:3", 0, NULL, 0},
	{"0", 0, NULL, 0},
	{"0:5", 0, NULL, 0},
	{"05", 0, NULL, 0},
	{"-1", 0, NULL, 0},
	{"+1", 0, NULL, 0},
	{"4294967296", 0, NULL, 0},
	{"99999999999999999999999", 0, NULL, 0},
	{" 1", 0, NULL, 0},
	{"1 ", 0, NULL, 0},
	{"1, 2", 0, NULL, 0},
	{"a", 0, NULL, 0},
	{"1\n", 0, NULL, 0},
	{"**", IMAP_SEQSET_ALLOW_STAR, NULL, 0},
	{"$", IMAP_SEQSET_ALLOW_STAR, NULL, 0},
};

static void
test_seqset_parse(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(set_rows); i++) {
		const struct set_row *row = &set_rows[i];
		GError *err = NULL;
		struct imap_seqset *set = imap_seqset_parse(row->in, -1, row->flags, &err);
		char *s;

		g_test_message("set \"%s\"", row->in);
		if (row->formatted == NULL) {
			g_assert_null(set);
			g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
			g_clear_error(&err);
			continue;
		}
		g_assert_no_error(err);
		s = imap_seqset_format(set);
		g_assert_cmpstr(s, ==, row->formatted);
		g_assert_cmpuint(imap_seqset_count(set, 1000), ==, row->count);
		g_free(s);
		imap_seqset_free(&set);
		g_assert_null(set);
	}
}

static void
test_seqset_contains(void)
{
	struct imap_seqset *set = imap_seqset_parse("1:5,9,300:*", -1, IMAP_SEQSET_ALLOW_STAR, NULL);
	struct imap_seqset *copy = imap_seqset_copy(set);

	g_assert_true(imap_seqset_contains(copy, 1, 0));
	g_assert_true(imap_seqset_contains(copy, 5, 0));
	g_assert_false(imap_seqset_contains(copy, 6, 0));
	g_assert_true(imap_seqset_contains(copy, 9, 0));
	g_assert_true(imap_seqset_contains(copy, 4000000000u, 0));
	g_assert_false(imap_seqset_contains(copy, 400, 350));
	/* 300:* with * = 200 is 200:300 */
	g_assert_true(imap_seqset_contains(copy, 250, 200));
	imap_seqset_free(&set);
	imap_seqset_free(&copy);
}

static void
test_seqset_to_array(void)
{
	struct imap_seqset *set = imap_seqset_parse("9,1:3,2", -1, 0, NULL);
	GError *err = NULL;
	size_t n;
	uint32_t *v = imap_seqset_to_array(set, 100, &n, &err);

	g_assert_no_error(err);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpuint(v[0], ==, 1);
	g_assert_cmpuint(v[3], ==, 9);
	g_free(v);
	imap_seqset_free(&set);
	set = imap_seqset_parse("1:4294967295", -1, 0, NULL);
	g_assert_null(imap_seqset_to_array(set, 1000000, &n, &err));
	g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
	g_clear_error(&err);
	imap_seqset_free(&set);
	set = imap_seqset_parse("1:*", -1, IMAP_SEQSET_ALLOW_STAR, NULL);
	g_assert_null(imap_seqset_to_array(set, 1000000, &n, &err));
	g_clear_error(&err);
	imap_seqset_free(&set);
}

static void
test_uids_format(void)
{
	static const uint32_t uids[] = {10, 1, 2, 3, 4, 5, 7, 9, 0, 5, 4294967295u, 4294967294u};
	char **v = imap_uids_format(uids, TERN_ARRAY_LEN(uids), 1000);
	uint32_t *many;

	g_assert_cmpuint(g_strv_length(v), ==, 1);
	g_assert_cmpstr(v[0], ==, "1:5,7,9:10,4294967294:4294967295");
	g_strfreev(v);
	/* split by length (at least 21, the longest range) */
	v = imap_uids_format(uids, TERN_ARRAY_LEN(uids), 5);
	g_assert_cmpstr(v[0], ==, "1:5,7,9:10");
	g_assert_cmpstr(v[1], ==, "4294967294:4294967295");
	g_assert_null(v[2]);
	g_strfreev(v);
	v = imap_uids_format(NULL, 0, 100);
	g_assert_null(v[0]);
	g_strfreev(v);
	/* 100,000 scattered UIDs split under 1000 bytes each */
	many = g_new(uint32_t, 100000);
	for (uint32_t i = 0; i < 100000; i++)
		many[i] = i * 2 + 1;
	v = imap_uids_format(many, 100000, 1000);
	{
		size_t total = 0;

		for (size_t i = 0; v[i] != NULL; i++) {
			struct imap_seqset *set = imap_seqset_parse(v[i], -1, 0, NULL);

			g_assert_cmpuint(strlen(v[i]), <=, 1000);
			g_assert_nonnull(set);
			total += imap_seqset_count(set, 0);
			imap_seqset_free(&set);
		}
		g_assert_cmpuint(total, ==, 100000);
	}
	g_strfreev(v);
	g_free(many);
}

/* ---- modified UTF-7 ----------------------------------------------------- */

struct mutf7_row {
	const char *utf8;
	const char *mutf7;
};

static const struct mutf7_row mutf7_rows[] = {
	{"INBOX", "INBOX"},
	{"", ""},
	{"&", "&-"},
	{"Tom & Jerry", "Tom &- Jerry"},
	{"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
	{"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-"},             /* 日本語 */
	{"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	 "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},                              /* RFC 3501 */
	{"\xf0\x9f\x93\xa7", "&2D3c5w-"},                                   /* U+1F4E7 */
	{"a\tb", "a&AAk-b"},
	{"\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-"},
};

static void
test_mutf7_roundtrip(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(mutf7_rows); i++) {
		GError *err = NULL;
		char *enc = imap_mutf7_encode(mutf7_rows[i].utf8, -1, &err);
		char *dec;

		g_assert_no_error(err);
		g_assert_cmpstr(enc, ==, mutf7_rows[i].mutf7);
		dec = imap_mutf7_decode(enc, -1, &err);
		g_assert_no_error(err);
		g_assert_cmpstr(dec, ==, mutf7_rows[i].utf8);
		g_free(enc);
		g_free(dec);
	}
}

static const char *const mutf7_bad[] = {
	"&",          /* unterminated */
	"&AOQ",       /* unterminated */
	"&AGE-",      /* "a" in disguise */
	"&ACY-",      /* "&" in disguise */
	"&AOQ=-",     /* "=" is not modified base64 */
	"&AOQ/-",     /* "/" is not modified base64 (it is ",") */
	"&AOR-",      /* non-zero padding bits */
	"&AOQA-",     /* a partial UTF-16 unit (extra base64 character) */
	"&2D0-",      /* lone high surrogate */
	"&3KcA5A-",   /* lone low surrogate */
	"&AAA-",      /* U+0000 */
	"\xc3\xa4",   /* raw 8-bit */
	"a\tb",       /* raw control */
	"&2D0A5A-",   /* high surrogate followed by U+00E4 */
};

static void
test_mutf7_bad(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(mutf7_bad); i++) {
		GError *err = NULL;
		char *dec = imap_mutf7_decode(mutf7_bad[i], -1, &err);

		g_test_message("mutf7 \"%s\"", mutf7_bad[i]);
		g_assert_null(dec);
		g_assert_error(err, IMAP_ERROR, IMAP_ERROR_PROTOCOL);
		g_clear_error(&err);
	}
	/* encoding refuses invalid UTF-8 and NUL within the length */
	{
		GError *err = NULL;

		g_assert_null(imap_mutf7_encode("a\xff", -1, &err));
		g_assert_error(err, IMAP_ERROR, IMAP_ERROR_INVALID);
		g_clear_error(&err);
		g_assert_null(imap_mutf7_encode("a\0b", 3, &err));
		g_clear_error(&err);
	}
}

/* Every BMP and some astral code points round-trip. */
static void
test_mutf7_all(void)
{
	GString *s = g_string_new(NULL);
	char *enc, *dec;

	for (gunichar c = 1; c < 0x30000; c++) {
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		g_string_append_unichar(s, c);
	}
	enc = imap_mutf7_encode(s->str, (gssize)s->len, NULL);
	g_assert_nonnull(enc);
	dec = imap_mutf7_decode(enc, -1, NULL);
	g_assert_cmpstr(dec, ==, s->str);
	g_free(enc);
	g_free(dec);
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imap/seqset/parse", test_seqset_parse);
	g_test_add_func("/imap/seqset/contains", test_seqset_contains);
	g_test_add_func("/imap/seqset/to-array", test_seqset_to_array);
	g_test_add_func("/imap/seqset/uids-format", test_uids_format);
	g_test_add_func("/imap/mutf7/roundtrip", test_mutf7_roundtrip);
	g_test_add_func("/imap/mutf7/bad", test_mutf7_bad);
	g_test_add_func("/imap/mutf7/all", test_mutf7_all);
	return g_test_run();
}

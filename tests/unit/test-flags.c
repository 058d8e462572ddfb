/* tern — tests for flag names and the words of `tern flag`. */
#include "config.h"

#include "core/common.h"

#include <string.h>

#include "core/model/flags.h"

struct words_case {
	const char *words;  /* space separated */
	const char *add;    /* expected, joined with spaces; NULL: an error */
	const char *remove; /* expected, or the error message */
};

static const struct words_case words_cases[] = {
	{ "seen", "\\Seen", "" },
	{ "+seen", "\\Seen", "" },
	{ "-seen", "", "\\Seen" },
	{ "SEEN Flagged -ANSWERED +deleted -draft", "\\Seen \\Flagged \\Deleted",
	  "\\Answered \\Draft" },
	{ "\\Seen -\\flagged", "\\Seen", "\\Flagged" },
	{ "$Junk -NonJunk +work_2024", "$Junk work_2024", "NonJunk" },
	{ "seen seen +SEEN", "\\Seen", "" },
	{ "$Label1 -$label2", "$Label1", "$label2" },
	{ "a[b", "a[b", "" },
	{ "x-y.z", "x-y.z", "" },
	/* errors */
	{ "seen -seen", NULL, "'seen' is both added and removed" },
	{ "-$Junk +$junk", NULL, "'$junk' is both added and removed" },
	{ "+", NULL,
	  "'+' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up to 64 "
	  "characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "-", NULL,
	  "'-' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up to 64 "
	  "characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "\\Recent", NULL,
	  "'\\Recent' is not a flag: use seen, flagged, answered, deleted, draft or a keyword "
	  "(up to 64 characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "seen a(b", NULL,
	  "'a(b' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up to "
	  "64 characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "a]", NULL,
	  "'a]' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up to "
	  "64 characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "caf\xc3\xa9", NULL,
	  "'caf?\?' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up "
	  "to 64 characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "a%", NULL,
	  "'a%' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up to "
	  "64 characters, no spaces, controls or ( ) { } % * \" \\ ])" },
	{ "--seen", NULL,
	  "'--seen' is not a flag: use seen, flagged, answered, deleted, draft or a keyword (up "
	  "to 64 characters, no spaces, controls or ( ) { } % * \" \\ ])" },
};

static char *
join(const GPtrArray *a)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < a->len; i++)
		g_string_append_printf(s, i > 0 ? " %s" : "%s", (const char *)a->pdata[i]);
	return g_string_free(s, FALSE);
}

static void
test_words(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(words_cases); i++) {
		const struct words_case *c = &words_cases[i];
		char **words = g_strsplit(c->words, " ", -1);
		struct flags_change *ch = NULL;
		GError *error = NULL;
		int rc;

		g_test_message("words: %s", c->words);
		rc = flags_parse_words((const char *const *)words, g_strv_length(words), &ch,
				       &error);
		if (c->add != NULL) {
			char *add, *remove;

			g_assert_no_error(error);
			g_assert_cmpint(rc, ==, 0);
			add = join(ch->add);
			remove = join(ch->remove);
			g_assert_cmpstr(add, ==, c->add);
			g_assert_cmpstr(remove, ==, c->remove);
			g_free(add);
			g_free(remove);
			flags_change_free(&ch);
			g_assert_null(ch);
		} else {
			g_assert_cmpint(rc, ==, -1);
			g_assert_null(ch);
			g_assert_error(error, FLAGS_ERROR, FLAGS_ERROR_INVALID);
			g_assert_cmpstr(error->message, ==, c->remove);
			g_error_free(error);
		}
		g_strfreev(words);
	}
}

static void
test_word_limits(void)
{
	struct flags_change *ch = NULL;
	GError *error = NULL;
	char long_kw[FLAGS_MAX_KEYWORD_LEN + 2];
	const char *words[FLAGS_MAX_WORDS + 1];

	g_assert_cmpint(flags_parse_words(NULL, 0, &ch, &error), ==, -1);
	g_assert_cmpstr(error->message, ==, "no flag given");
	g_clear_error(&error);

	memset(long_kw, 'k', sizeof(long_kw) - 1);
	long_kw[FLAGS_MAX_KEYWORD_LEN + 1] = '\0';
	words[0] = long_kw;
	g_assert_cmpint(flags_parse_words(words, 1, &ch, &error), ==, -1);
	g_clear_error(&error);
	long_kw[FLAGS_MAX_KEYWORD_LEN] = '\0';
	g_assert_cmpint(flags_parse_words(words, 1, &ch, &error), ==, 0);
	flags_change_free(&ch);

	for (int i = 0; i <= FLAGS_MAX_WORDS; i++)
		words[i] = "seen";
	g_assert_cmpint(flags_parse_words(words, FLAGS_MAX_WORDS, &ch, &error), ==, 0);
	flags_change_free(&ch);
	g_assert_cmpint(flags_parse_words(words, FLAGS_MAX_WORDS + 1, &ch, &error), ==, -1);
	g_assert_cmpstr(error->message, ==, "too many flags (at most 64)");
	g_clear_error(&error);
	words[0] = "a\tb";
	g_assert_cmpint(flags_parse_words(words, 1, &ch, &error), ==, -1);
	g_assert_true(g_str_has_prefix(error->message, "'a?b' is not a flag"));
	g_clear_error(&error);
}

static void
test_names(void)
{
	static const struct {
		const char *name;
		guint bit;
	} cases[] = {
		{ "\\Seen", FLAG_SEEN },	 { "\\SEEN", FLAG_SEEN },
		{ "\\Answered", FLAG_ANSWERED }, { "\\Flagged", FLAG_FLAGGED },
		{ "\\Deleted", FLAG_DELETED },	 { "\\Draft", FLAG_DRAFT },
		{ "\\Recent", FLAG_RECENT },	 { "Seen", 0 },
		{ "$Junk", 0 },			 { "\\*", 0 },
		{ "", 0 },			 { "\\", 0 },
		{ "\\dRAFT", FLAG_DRAFT },	 { "\\deleted", FLAG_DELETED },
		{ "\\D", 0 },			 { "\\Deletedx", 0 },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++)
		g_assert_cmpuint(flags_from_imap(cases[i].name), ==, cases[i].bit);
	g_assert_cmpstr(flags_to_imap(FLAG_SEEN), ==, "\\Seen");
	g_assert_cmpstr(flags_to_imap(FLAG_RECENT), ==, "\\Recent");
	g_assert_null(flags_to_imap(FLAG_SEEN | FLAG_DRAFT));
	g_assert_null(flags_to_imap(0));
	g_assert_true(flags_keyword_is_valid("$Forwarded"));
	g_assert_false(flags_keyword_is_valid(""));
	g_assert_false(flags_keyword_is_valid("a b"));
	g_assert_false(flags_keyword_is_valid("a{1}"));
	g_assert_false(flags_keyword_is_valid("\\Seen"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/flags/words", test_words);
	g_test_add_func("/flags/word-limits", test_word_limits);
	g_test_add_func("/flags/names", test_names);
	return g_test_run();
}

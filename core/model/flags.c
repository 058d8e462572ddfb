/* tern — message flags and the words of `tern flag`. */
#include "config.h"

#include "core/common.h"

#include <string.h>

#include "core/model/flags.h"

G_DEFINE_QUARK(tern-flags-error-quark, flags_error)

static const struct {
	guint bit;
	const char *imap;
	const char *word; /* for `tern flag`; NULL: cannot be set */
} system_flags[] = {
	{ FLAG_SEEN, "\\Seen", "seen" },
	{ FLAG_ANSWERED, "\\Answered", "answered" },
	{ FLAG_FLAGGED, "\\Flagged", "flagged" },
	{ FLAG_DELETED, "\\Deleted", "deleted" },
	{ FLAG_DRAFT, "\\Draft", "draft" },
	{ FLAG_RECENT, "\\Recent", NULL },
};

guint
flags_from_imap(const char *name)
{
	/* asked for every flag of every message a load reads: a keyword
	 * (no backslash) is no system flag, and only the names with the
	 * same second letter are compared */
	if (name[0] != '\\' || name[1] == '\0')
		return 0;
	for (size_t i = 0; i < TERN_ARRAY_LEN(system_flags); i++)
		if (g_ascii_tolower(name[1]) == g_ascii_tolower(system_flags[i].imap[1]) &&
		    g_ascii_strcasecmp(name, system_flags[i].imap) == 0)
			return system_flags[i].bit;
	return 0;
}

const char *
flags_to_imap(guint flag)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(system_flags); i++)
		if (flag == system_flags[i].bit)
			return system_flags[i].imap;
	return NULL;
}

bool
flags_keyword_is_valid(const char *keyword)
{
	size_t len = strlen(keyword);

	if (len == 0 || len > FLAGS_MAX_KEYWORD_LEN)
		return false;
	for (const char *p = keyword; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

/* The IMAP name for a word without its sign, or NULL. Transfer full. */
static char *
word_to_flag(const char *name)
{
	const char *bare = name[0] == '\\' ? name + 1 : name;

	for (size_t i = 0; i < TERN_ARRAY_LEN(system_flags); i++)
		if (system_flags[i].word != NULL &&
		    g_ascii_strcasecmp(bare, system_flags[i].word) == 0)
			return g_strdup(system_flags[i].imap);
	/* "--x" is more likely a slip than the keyword "-x" */
	if (name[0] != '+' && name[0] != '-' && flags_keyword_is_valid(name))
		return g_strdup(name);
	return NULL;
}

static bool
list_has(const GPtrArray *list, const char *flag)
{
	for (guint i = 0; i < list->len; i++) {
		const char *f = list->pdata[i];

		/* system flags compare case-insensitively, so do keywords (RFC 3501) */
		if (g_ascii_strcasecmp(f, flag) == 0)
			return true;
	}
	return false;
}

void
flags_change_free(struct flags_change **change)
{
	if (*change == NULL)
		return;
	g_ptr_array_unref((*change)->add);
	g_ptr_array_unref((*change)->remove);
	g_free(*change);
	*change = NULL;
}

static int
bad_word(GError **error, const char *word)
{
	char *shown = g_utf8_make_valid(word, -1);

	g_strcanon(shown, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			  "!#$&'+,-./:;<=>?@[^_`|~ (){}%*\"\\]", '?');
	g_set_error(error, FLAGS_ERROR, FLAGS_ERROR_INVALID,
		    ngettext("'%s' is not a flag: use seen, flagged, answered, deleted, draft or a "
			     "keyword (up to %d character, no spaces, controls or ( ) { } %% * \" \\ ])",
			     "'%s' is not a flag: use seen, flagged, answered, deleted, draft or a "
			     "keyword (up to %d characters, no spaces, controls or ( ) { } %% * \" \\ ])",
			     FLAGS_MAX_KEYWORD_LEN),
		    shown, FLAGS_MAX_KEYWORD_LEN);
	g_free(shown);
	return -1;
}

int
flags_parse_words(const char *const *words, guint n, struct flags_change **change_r,
		  GError **error)
{
	struct flags_change *ch = g_new0(struct flags_change, 1);

	ch->add = g_ptr_array_new_with_free_func(g_free);
	ch->remove = g_ptr_array_new_with_free_func(g_free);
	if (n == 0) {
		g_set_error(error, FLAGS_ERROR, FLAGS_ERROR_INVALID, _("no flag given"));
		goto fail;
	}
	if (n > FLAGS_MAX_WORDS) {
		g_set_error(error, FLAGS_ERROR, FLAGS_ERROR_INVALID, _("too many flags (at most %d)"),
			    FLAGS_MAX_WORDS);
		goto fail;
	}
	for (guint i = 0; i < n; i++) {
		const char *w = words[i];
		bool remove = w[0] == '-';
		const char *name = w[0] == '+' || w[0] == '-' ? w + 1 : w;
		char *flag = word_to_flag(name);

		if (flag == NULL) {
			bad_word(error, w);
			goto fail;
		}
		if (list_has(remove ? ch->add : ch->remove, flag)) {
			g_set_error(error, FLAGS_ERROR, FLAGS_ERROR_INVALID,
				    _("'%s' is both added and removed"), name);
			g_free(flag);
			goto fail;
		}
		if (list_has(remove ? ch->remove : ch->add, flag))
			g_free(flag);
		else
			g_ptr_array_add(remove ? ch->remove : ch->add, flag);
	}
	*change_r = ch;
	return 0;
fail:
	flags_change_free(&ch);
	return -1;
}

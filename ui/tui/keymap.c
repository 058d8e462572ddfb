/* tern — ui/tui/keymap: actions, their default keys and the [keys] table.
 *
 * A key spec is the canonical spelling config_parse_keys() produces: one
 * printable character, C-x, M-x, or a key name (Up, PageDown, Enter, ...).
 * The ncurses side (ui/tui/input.c) turns key presses into the same
 * spellings, so lookups are plain string compares. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "ui/tui/keymap.h"

#define G_MOVE N_("Moving")
#define G_MAIL N_("Messages")
#define G_VIEW N_("View")
#define G_PROG N_("Program")

static const struct action_info actions[ACTION_COUNT] = {
	[ACTION_NONE] = { NULL, NULL, NULL, NULL },
	[ACTION_DOWN] = { "down", "j Down", N_("next line"), G_MOVE },
	[ACTION_UP] = { "up", "k Up", N_("previous line"), G_MOVE },
	[ACTION_PAGE_DOWN] = { "page_down", "PageDown Space", N_("next page"), G_MOVE },
	[ACTION_PAGE_UP] = { "page_up", "PageUp -", N_("previous page"), G_MOVE },
	[ACTION_TOP] = { "top", "g Home", N_("first line"), G_MOVE },
	[ACTION_BOTTOM] = { "bottom", "G End", N_("last line"), G_MOVE },
	[ACTION_NEXT_PANE] = { "next_pane", "Tab", N_("next pane"), G_MOVE },
	[ACTION_PANE_LEFT] = { "pane_left", "h Left", N_("pane to the left (or above)"),
			       G_MOVE },
	[ACTION_PANE_RIGHT] = { "pane_right", "l Right", N_("pane to the right (or below)"),
				G_MOVE },
	[ACTION_OPEN] = { "open", "Enter", N_("open the folder or message"), G_MOVE },
	[ACTION_BACK] = { "back", "q", N_("go back; quit from the message list"), G_PROG },
	[ACTION_QUIT] = { "quit", "Q C-c", N_("quit at once"), G_PROG },
	[ACTION_SEARCH] = { "search", "/", N_("search this folder (from: subject: is:unread ...)"),
			    G_VIEW },
	[ACTION_CLEAR] = { "clear", "Esc", N_("clear the search, the tag prefix or the message"),
			   G_VIEW },
	[ACTION_NEXT_UNREAD] = { "next_unread", "n", N_("next unread message"), G_MOVE },
	[ACTION_PREV_UNREAD] = { "prev_unread", "N", N_("previous unread message"), G_MOVE },
	[ACTION_FLAG] = { "flag", "s F", N_("toggle flagged"), G_MAIL },
	[ACTION_TOGGLE_READ] = { "toggle_read", "u U", N_("toggle read"), G_MAIL },
	[ACTION_DELETE] = { "delete", "d", N_("delete (move to Trash; in Trash, delete for good)"),
			    G_MAIL },
	[ACTION_ARCHIVE] = { "archive", "a", N_("archive"), G_MAIL },
	[ACTION_MOVE] = { "move", "m", N_("move to a folder (Tab completes)"), G_MAIL },
	[ACTION_TAG] = { "tag", "t", N_("tag or untag the message"), G_MAIL },
	[ACTION_TAG_PREFIX] = { "tag_prefix", ";", N_("apply the next action to all tagged"),
				G_MAIL },
	[ACTION_THREADS] = { "threads", "T", N_("toggle the threaded view"), G_VIEW },
	[ACTION_SORT] = { "sort", "o", N_("next sort order"), G_VIEW },
	[ACTION_UNDO] = { "undo", "z", N_("undo the last flag change or move"), G_MAIL },
	[ACTION_SYNC] = { "sync", "$", N_("check for new mail and changes now"), G_PROG },
	[ACTION_HELP] = { "help", "? F1", N_("this help"), G_PROG },
	[ACTION_COLLAPSE] = { "collapse", "c", N_("fold or unfold a folder's subfolders"), G_VIEW },
	[ACTION_FOLDER_PANE] = { "folder_pane", "B", N_("show or hide the folder pane"), G_VIEW },
	[ACTION_REDRAW] = { "redraw", "C-l", N_("redraw the screen"), G_PROG },
	[ACTION_SUSPEND] = { "suspend", "C-z", N_("suspend (resume with fg)"), G_PROG },
	[ACTION_ACCOUNT] = { "account", "A", N_("switch to the next account"), G_PROG },
};

struct keymap {
	GHashTable *by_key;  /* spec -> GINT_TO_POINTER(action) */
	char *keys[ACTION_COUNT]; /* specs bound to each action */
};

const struct action_info *
keymap_action_info(enum action a)
{
	if ((int)a <= ACTION_NONE || a >= ACTION_COUNT)
		return &actions[ACTION_NONE];
	return &actions[a];
}

enum action
keymap_action_by_name(const char *name)
{
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
		if (strcmp(actions[a].name, name) == 0)
			return (enum action)a;
	return ACTION_NONE;
}

static void
bind_keys(struct keymap *km, enum action a, const char *specs)
{
	char **words = g_strsplit(specs, " ", -1);

	for (char **w = words; *w != NULL; w++)
		if (**w != '\0')
			g_hash_table_replace(km->by_key, g_strdup(*w), GINT_TO_POINTER(a));
	g_strfreev(words);
}

/* After all binds: the keys that still lead to each action, in the order
 * the action lists them. */
static void
collect_keys(struct keymap *km, const char *const specs[ACTION_COUNT])
{
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
		char **words = g_strsplit(specs[a], " ", -1);
		GString *out = g_string_new(NULL);

		for (char **w = words; *w != NULL; w++) {
			if (**w == '\0' ||
			    GPOINTER_TO_INT(g_hash_table_lookup(km->by_key, *w)) != a)
				continue;
			if (out->len > 0)
				g_string_append_c(out, ' ');
			g_string_append(out, *w);
		}
		g_strfreev(words);
		km->keys[a] = g_string_free(out, FALSE);
	}
}

struct keymap *
keymap_new(GHashTable *overrides, char **error_r)
{
	struct keymap *km = g_new0(struct keymap, 1);
	const char *specs[ACTION_COUNT] = { NULL };

	km->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
		specs[a] = actions[a].default_keys;
	if (overrides != NULL) {
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, overrides);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			enum action a = keymap_action_by_name(k);

			if (a == ACTION_NONE) {
				*error_r = g_strdup_printf(
					_("[keys]: unknown action '%s' (the help screen, key ?, "
					  "lists them)"), (const char *)k);
				keymap_free(&km);
				return NULL;
			}
			specs[a] = v;
		}
	}
	/* Defaults first, then overrides, so an override's key wins. */
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
		if (specs[a] == actions[a].default_keys)
			bind_keys(km, a, specs[a]);
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
		if (specs[a] != actions[a].default_keys)
			bind_keys(km, a, specs[a]);
	collect_keys(km, specs);
	return km;
}

void
keymap_free(struct keymap **kmp)
{
	struct keymap *km = *kmp;

	if (km == NULL)
		return;
	g_hash_table_destroy(km->by_key);
	for (int a = 0; a < ACTION_COUNT; a++)
		g_free(km->keys[a]);
	g_free(km);
	*kmp = NULL;
}

enum action
keymap_lookup(const struct keymap *km, const char *spec)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(km->by_key, spec));
}

const char *
keymap_keys(const struct keymap *km, enum action a)
{
	if ((int)a <= ACTION_NONE || a >= ACTION_COUNT || km->keys[a] == NULL)
		return "";
	return km->keys[a];
}

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

#define IN_VIEWER(keys) { [KEYCTX_VIEWER] = (keys) }
#define IN_COMPOSE(keys) { [KEYCTX_COMPOSE] = (keys) }
#define IN_LISTS(keys) { [KEYCTX_LIST] = (keys), [KEYCTX_FOLDERS] = (keys) }
#define WITH_MESSAGES(keys) { [KEYCTX_LIST] = (keys), [KEYCTX_VIEWER] = (keys) }
#define G_SEND N_("Writing")

static const struct action_info actions[ACTION_COUNT] = {
	[ACTION_NONE] = { NULL, NULL, NULL, NULL, { NULL } },
	[ACTION_DOWN] = { "down", "j Down", N_("next line"), G_MOVE, { NULL } },
	[ACTION_UP] = { "up", "k Up", N_("previous line"), G_MOVE, { NULL } },
	[ACTION_PAGE_DOWN] = { "page_down", "PageDown Space",
			       N_("next page (at the end of a message: the next message)"), G_MOVE,
			       { NULL } },
	[ACTION_PAGE_UP] = { "page_up", "PageUp -", N_("previous page"), G_MOVE, { NULL } },
	[ACTION_TOP] = { "top", "g Home", N_("first line"), G_MOVE, { NULL } },
	[ACTION_BOTTOM] = { "bottom", "G End", N_("last line"), G_MOVE, { NULL } },
	[ACTION_NEXT_PANE] = { "next_pane", "Tab", N_("next pane"), G_MOVE, { NULL } },
	[ACTION_PANE_LEFT] = { "pane_left", "h Left", N_("pane to the left (or above)"), G_MOVE,
			       { NULL } },
	[ACTION_PANE_RIGHT] = { "pane_right", "l Right", N_("pane to the right (or below)"),
				G_MOVE, { NULL } },
	[ACTION_OPEN] = { "open", "Enter", N_("open the folder or message"), G_MOVE, { NULL } },
	[ACTION_NEXT_MESSAGE] = { "next_message", "", N_("next message, read or not"), G_MOVE,
				  IN_VIEWER("J") },
	[ACTION_PREV_MESSAGE] = { "prev_message", "", N_("previous message, read or not"),
				  G_MOVE, IN_VIEWER("K") },
	[ACTION_BACK] = { "back", "q", N_("go back: close the message; quit from the list"),
			  G_PROG, { NULL } },
	[ACTION_QUIT] = { "quit", "Q C-c", N_("quit at once"), G_PROG, { NULL } },
	[ACTION_SEARCH] = { "search", "/", N_("search this folder (from: subject: is:unread ...)"),
			    G_VIEW, { NULL } },
	[ACTION_CLEAR] = { "clear", "Esc",
			   N_("clear the search, the tags, the open message or the message line"),
			   G_VIEW, { NULL } },
	[ACTION_NEXT_UNREAD] = { "next_unread", "n", N_("next unread message"), G_MOVE, { NULL } },
	[ACTION_PREV_UNREAD] = { "prev_unread", "N", N_("previous unread message"), G_MOVE,
				 { NULL } },
	[ACTION_FLAG] = { "flag", "s F", N_("toggle flagged"), G_MAIL, { NULL } },
	[ACTION_TOGGLE_READ] = { "toggle_read", "u U", N_("toggle read"), G_MAIL, { NULL } },
	[ACTION_DELETE] = { "delete", "d", N_("delete (move to Trash; in Trash, delete for good)"),
			    G_MAIL, { NULL } },
	[ACTION_ARCHIVE] = { "archive", "a", N_("archive"), G_MAIL, { NULL } },
	[ACTION_MOVE] = { "move", "m", N_("move to a folder (Tab completes)"), G_MAIL, { NULL } },
	[ACTION_TAG] = { "tag", "t", N_("tag or untag the message"), G_MAIL, { NULL } },
	[ACTION_TAG_ALL] = { "tag_all", "T", N_("tag every message shown (the search's matches)"),
			     G_MAIL, { NULL } },
	[ACTION_UNTAG_ALL] = { "untag_all", "C-t", N_("untag every message"), G_MAIL, { NULL } },
	[ACTION_TAG_PREFIX] = { "tag_prefix", ";", N_("apply the next action to all tagged"),
				G_MAIL, { NULL } },
	[ACTION_THREADS] = { "threads", "O", N_("toggle the threaded view"), G_VIEW, { NULL } },
	[ACTION_SORT] = { "sort", "o", N_("next sort order"), G_VIEW, { NULL } },
	[ACTION_ZOOM] = { "zoom", "Z", N_("give the focused pane the whole screen, or back"),
			  G_VIEW, { NULL } },
	[ACTION_UNDO] = { "undo", "z", N_("undo the last change (again: the one before)"), G_MAIL,
			  { NULL } },
	[ACTION_SYNC] = { "sync", "$", N_("check for new mail and changes now"), G_PROG, { NULL } },
	[ACTION_HELP] = { "help", "? F1", N_("this help"), G_PROG, { NULL } },
	[ACTION_COLLAPSE] = { "collapse", "c", N_("fold or unfold a folder's subfolders"), G_VIEW,
			      { NULL } },
	[ACTION_FOLDER_PANE] = { "folder_pane", "B", N_("show or hide the folder pane"), G_VIEW,
				 { NULL } },
	[ACTION_REDRAW] = { "redraw", "C-l", N_("redraw the screen"), G_PROG, { NULL } },
	[ACTION_SUSPEND] = { "suspend", "C-z", N_("suspend (resume with fg)"), G_PROG, { NULL } },
	[ACTION_ACCOUNT] = { "account", "A", N_("switch to the next account"), G_PROG, { NULL } },
	[ACTION_REPLY] = { "reply", "r", N_("reply to the sender"), G_SEND, { NULL } },
	[ACTION_REPLY_ALL] = { "reply_all", "R", N_("reply to all (never to yourself)"), G_SEND,
			       { NULL } },
	[ACTION_FORWARD] = { "forward", "f", N_("forward the message"), G_SEND, { NULL } },
	[ACTION_COMPOSE] = { "compose", "M", N_("write a new message"), G_SEND, { NULL } },
	[ACTION_RESUME] = { "resume", "P", N_("finish a message kept for later"), G_SEND,
			    { NULL } },
	[ACTION_GOTO_FOLDER] = { "goto_folder", "", N_("go to a folder by name (Tab completes "
						       "any part)"), G_MOVE, IN_LISTS("J") },
	[ACTION_PARTS] = { "parts", "", N_("the list of parts: s save, o open (mailcap), | pipe"),
			   G_MAIL, IN_VIEWER("v") },
	[ACTION_PIPE] = { "pipe", "", N_("pipe the message to a command (its output is shown)"),
			  G_MAIL, IN_VIEWER("|") },
	[ACTION_FULL_HEADERS] = { "full_headers", "", N_("show every header, or back"), G_VIEW,
				  IN_VIEWER("H") },
	[ACTION_SOURCE] = { "source", "", N_("show the message's source, or back"), G_VIEW,
			    IN_VIEWER("V") },
	[ACTION_SAVE_MESSAGE] = { "save_message", "", N_("save the message as an .eml file"),
				  G_MAIL, IN_VIEWER("S") },
	[ACTION_LINKS] = { "links", "", N_("open a numbered link (http, https, mailto)"), G_VIEW,
			   IN_VIEWER("b") },
	[ACTION_FIND] = { "find", "", N_("find text in the message"), G_VIEW, IN_VIEWER("/") },
	[ACTION_FIND_NEXT] = { "find_next", "", N_("next match in the message"), G_VIEW,
			       IN_VIEWER("n") },
	[ACTION_FIND_PREV] = { "find_prev", "", N_("previous match in the message"), G_VIEW,
			       IN_VIEWER("N") },
	[ACTION_SEND] = { "send", "", N_("send the message"), G_SEND, IN_COMPOSE("y") },
	[ACTION_EDIT] = { "edit", "", N_("edit the message again"), G_SEND, IN_COMPOSE("e") },
	[ACTION_EDIT_TO] = { "edit_to", "", N_("change To"), G_SEND, IN_COMPOSE("t") },
	[ACTION_EDIT_CC] = { "edit_cc", "", N_("change Cc"), G_SEND, IN_COMPOSE("c") },
	[ACTION_EDIT_BCC] = { "edit_bcc", "", N_("change Bcc"), G_SEND, IN_COMPOSE("b") },
	[ACTION_EDIT_SUBJECT] = { "edit_subject", "", N_("change the subject"), G_SEND,
				  IN_COMPOSE("s") },
	[ACTION_ATTACH] = { "attach", "", N_("attach a file"), G_SEND, IN_COMPOSE("a") },
	[ACTION_DETACH] = { "detach", "", N_("drop the last attachment"), G_SEND,
			    IN_COMPOSE("D") },
	[ACTION_IDENTITY] = { "identity", "", N_("send from the next of your addresses"), G_SEND,
			      IN_COMPOSE("i") },
	[ACTION_POSTPONE] = { "postpone", "", N_("keep the message for later (P resumes it)"),
			      G_SEND, IN_COMPOSE("p") },
	[ACTION_ABORT] = { "abort", "", N_("drop the message (asks when you wrote something)"),
			   G_SEND, IN_COMPOSE("q") },
	[ACTION_REPLY_LIST] = { "reply_list", "L", N_("reply to the mailing list (List-Post, "
						      "Mail-Followup-To)"), G_SEND, { NULL } },
	[ACTION_COPY] = { "copy", "C", N_("copy to a folder (Tab completes)"), G_MAIL, { NULL } },
	[ACTION_FOLDER_READ] = { "folder_read", "", N_("mark the whole folder read (z takes it "
						      "back)"), G_MAIL, WITH_MESSAGES("C-r") },
	/* mutt's b opens links here and B shows the folder pane: > for
	 * "send it on", as a shell redirects */
	[ACTION_BOUNCE] = { "bounce", ">", N_("bounce: redirect the message unchanged "
					      "(Resent- fields)"), G_SEND, { NULL } },
	[ACTION_EDIT_NEW] = { "edit_as_new", "E", N_("edit as new: the message in the editor as a "
						     "new one"), G_SEND, { NULL } },
	[ACTION_TOGGLE_SIGN] = { "toggle_sign", "", N_("sign the message (PGP/MIME) or not"),
				 G_SEND, IN_COMPOSE("S") },
	[ACTION_TOGGLE_ENCRYPT] = { "toggle_encrypt", "",
				    N_("encrypt the message (PGP/MIME) or not"), G_SEND,
				    IN_COMPOSE("E") },
};

static const char *const context_names[KEYCTX_COUNT] = {
	[KEYCTX_FOLDERS] = "folders",
	[KEYCTX_LIST] = "list",
	[KEYCTX_VIEWER] = "viewer",
	[KEYCTX_COMPOSE] = "compose",
};

/* One binding table: every context's (index KEYCTX_COUNT) or one context's. */
struct bindings {
	GHashTable *by_key;  /* spec -> GINT_TO_POINTER(action) */
	char *keys[ACTION_COUNT]; /* specs bound to each action */
};

struct keymap {
	struct bindings b[KEYCTX_COUNT + 1];
};

#define ALL_CONTEXTS KEYCTX_COUNT

const char *
keymap_context_name(enum keyctx c)
{
	return (int)c >= 0 && c < KEYCTX_COUNT ? context_names[c] : "";
}

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
bind_keys(struct bindings *b, enum action a, const char *specs)
{
	char **words;

	if (specs == NULL)
		return;
	words = g_strsplit(specs, " ", -1);
	for (char **w = words; *w != NULL; w++)
		if (**w != '\0')
			g_hash_table_replace(b->by_key, g_strdup(*w), GINT_TO_POINTER(a));
	g_strfreev(words);
}

/* After all binds: the keys that still lead to each action, in the order
 * the action lists them. */
static void
collect_keys(struct bindings *b, const char *const specs[ACTION_COUNT])
{
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
		char **words = g_strsplit(specs[a] != NULL ? specs[a] : "", " ", -1);
		GString *out = g_string_new(NULL);

		for (char **w = words; *w != NULL; w++) {
			if (**w == '\0' ||
			    GPOINTER_TO_INT(g_hash_table_lookup(b->by_key, *w)) != a)
				continue;
			if (out->len > 0)
				g_string_append_c(out, ' ');
			g_string_append(out, *w);
		}
		g_strfreev(words);
		b->keys[a] = g_string_free(out, FALSE);
	}
}

/* Build one table from its default specs and the overrides for it.
 * Defaults first, then overrides, so an override's key wins. */
static void
build(struct bindings *b, const char *defaults[ACTION_COUNT], const char *specs[ACTION_COUNT])
{
	b->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
		if (specs[a] == defaults[a])
			bind_keys(b, a, specs[a]);
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++)
		if (specs[a] != defaults[a])
			bind_keys(b, a, specs[a]);
	collect_keys(b, specs);
}

/* "viewer/flag" -> KEYCTX_VIEWER and "flag"; "flag" -> ALL_CONTEXTS. */
static int
split_override(const char *key, const char **action_r)
{
	const char *slash = strchr(key, '/');

	*action_r = key;
	if (slash == NULL)
		return ALL_CONTEXTS;
	for (int c = 0; c < KEYCTX_COUNT; c++) {
		if (strlen(context_names[c]) == (size_t)(slash - key) &&
		    strncmp(context_names[c], key, (size_t)(slash - key)) == 0) {
			*action_r = slash + 1;
			return c;
		}
	}
	return -1;
}

struct keymap *
keymap_new(GHashTable *overrides, char **error_r)
{
	struct keymap *km = g_new0(struct keymap, 1);
	const char *defaults[KEYCTX_COUNT + 1][ACTION_COUNT] = { { NULL } };
	const char *specs[KEYCTX_COUNT + 1][ACTION_COUNT] = { { NULL } };

	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
		defaults[ALL_CONTEXTS][a] = actions[a].default_keys;
		for (int c = 0; c < KEYCTX_COUNT; c++)
			defaults[c][a] = actions[a].context_keys[c];
	}
	memcpy(specs, defaults, sizeof(specs));
	if (overrides != NULL) {
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, overrides);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			const char *name;
			int c = split_override(k, &name);
			enum action a = c < 0 ? ACTION_NONE : keymap_action_by_name(name);

			if (a == ACTION_NONE) {
				*error_r = g_strdup_printf(
					c < 0 ? _("[keys]: unknown context in '%s' (folders, list, "
						  "viewer or compose)") :
						_("[keys]: unknown action '%s' (the help screen, key "
						  "?, lists them)"),
					c < 0 ? (const char *)k : name);
				keymap_free(&km);
				return NULL;
			}
			specs[c][a] = v;
		}
	}
	for (int c = 0; c <= KEYCTX_COUNT; c++)
		build(&km->b[c], defaults[c], specs[c]);
	return km;
}

void
keymap_free(struct keymap **kmp)
{
	struct keymap *km = *kmp;

	if (km == NULL)
		return;
	for (int c = 0; c <= KEYCTX_COUNT; c++) {
		if (km->b[c].by_key != NULL)
			g_hash_table_destroy(km->b[c].by_key);
		for (int a = 0; a < ACTION_COUNT; a++)
			g_free(km->b[c].keys[a]);
	}
	g_free(km);
	*kmp = NULL;
}

enum action
keymap_lookup(const struct keymap *km, enum keyctx ctx, const char *spec)
{
	gpointer v;

	if ((int)ctx >= 0 && ctx < KEYCTX_COUNT &&
	    g_hash_table_lookup_extended(km->b[ctx].by_key, spec, NULL, &v))
		return GPOINTER_TO_INT(v);
	return GPOINTER_TO_INT(g_hash_table_lookup(km->b[ALL_CONTEXTS].by_key, spec));
}

const char *
keymap_keys(const struct keymap *km, enum action a)
{
	if ((int)a <= ACTION_NONE || a >= ACTION_COUNT || km->b[ALL_CONTEXTS].keys[a] == NULL)
		return "";
	return km->b[ALL_CONTEXTS].keys[a];
}

const char *
keymap_context_keys(const struct keymap *km, enum keyctx ctx, enum action a)
{
	if ((int)a <= ACTION_NONE || a >= ACTION_COUNT || (int)ctx < 0 || ctx >= KEYCTX_COUNT ||
	    km->b[ctx].keys[a] == NULL)
		return "";
	return km->b[ctx].keys[a];
}

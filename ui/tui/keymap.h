/* tern — ui/tui/keymap: actions, their default keys and the [keys] table (pure). */
#ifndef TERN_TUI_KEYMAP_H
#define TERN_TUI_KEYMAP_H

#include "core/common.h"

enum action {
	ACTION_NONE = 0,
	ACTION_DOWN,
	ACTION_UP,
	ACTION_PAGE_DOWN,
	ACTION_PAGE_UP,
	ACTION_TOP,
	ACTION_BOTTOM,
	ACTION_NEXT_PANE,
	ACTION_PANE_LEFT,
	ACTION_PANE_RIGHT,
	ACTION_OPEN,
	ACTION_BACK,
	ACTION_QUIT,
	ACTION_SEARCH,
	ACTION_CLEAR,
	ACTION_NEXT_UNREAD,
	ACTION_PREV_UNREAD,
	ACTION_FLAG,
	ACTION_TOGGLE_READ,
	ACTION_DELETE,
	ACTION_ARCHIVE,
	ACTION_MOVE,
	ACTION_TAG,
	ACTION_TAG_PREFIX,
	ACTION_THREADS,
	ACTION_SORT,
	ACTION_UNDO,
	ACTION_SYNC,
	ACTION_HELP,
	ACTION_COLLAPSE,
	ACTION_FOLDER_PANE,
	ACTION_REDRAW,
	ACTION_SUSPEND,
	ACTION_ACCOUNT,
	ACTION_NEXT_MESSAGE,
	ACTION_PREV_MESSAGE,
	ACTION_TAG_ALL,
	ACTION_UNTAG_ALL,
	ACTION_ZOOM,
	ACTION_REPLY,
	ACTION_REPLY_ALL,
	ACTION_FORWARD,
	ACTION_COMPOSE,
	ACTION_RESUME,
	ACTION_GOTO_FOLDER,
	/* the viewer's toolbox (#14) */
	ACTION_PARTS,
	ACTION_PIPE,
	ACTION_FULL_HEADERS,
	ACTION_SOURCE,
	ACTION_SAVE_MESSAGE,
	ACTION_LINKS,
	ACTION_FIND,
	ACTION_FIND_NEXT,
	ACTION_FIND_PREV,
	/* the review screen of a message being written */
	ACTION_SEND,
	ACTION_EDIT,
	ACTION_EDIT_TO,
	ACTION_EDIT_CC,
	ACTION_EDIT_BCC,
	ACTION_EDIT_SUBJECT,
	ACTION_ATTACH,
	ACTION_DETACH,
	ACTION_IDENTITY,
	ACTION_POSTPONE,
	ACTION_ABORT,
	ACTION_REPLY_LIST,
	ACTION_COPY,
	ACTION_FOLDER_READ,
	ACTION_BOUNCE,
	ACTION_EDIT_NEW,
	ACTION_TOGGLE_SIGN,    /* review screen: sign (PGP/MIME) or not */
	ACTION_TOGGLE_ENCRYPT, /* review screen: encrypt or not */
	ACTION_COUNT
};

/* Where a key is pressed: the focused pane. A binding of a context wins
 * over a binding of every context (so J can be "next message" in the
 * viewer and unbound in the list). */
enum keyctx {
	KEYCTX_FOLDERS,
	KEYCTX_LIST,
	KEYCTX_VIEWER,
	KEYCTX_COMPOSE, /* the review screen before sending */
	KEYCTX_COUNT
};

struct action_info {
	const char *name;         /* the [keys] name, e.g. "page_down" */
	const char *default_keys; /* canonical key specs, space separated, in every context */
	const char *help;         /* N_() description */
	const char *group;        /* N_() heading in the help screen */
	/* default keys in one context only (NULL: none) */
	const char *context_keys[KEYCTX_COUNT];
};

/* "folders", "list", "viewer": the [keys CONTEXT] group names. */
const char *keymap_context_name(enum keyctx c);

/* The table, indexed by enum action (ACTION_NONE has a NULL name). */
const struct action_info *keymap_action_info(enum action a);

/* The action called name, or ACTION_NONE. */
enum action keymap_action_by_name(const char *name);

struct keymap;

/* A keymap of the defaults with overrides (action name -> canonical key
 * specs, as config.h's cfg->keys; may be NULL). An override replaces that
 * action's default keys; a key bound by an override wins over a default.
 * An override named "CONTEXT/action" (from [keys CONTEXT]) replaces the
 * action's keys in that context only.
 * Returns NULL with *error_r set (transfer full) when an override names an
 * unknown action or context. Returns: transfer full (keymap_free()). */
struct keymap *keymap_new(GHashTable *overrides, char **error_r);
void keymap_free(struct keymap **km);

/* The action bound to a canonical key spec ("j", "C-l", "M-x", "PageDown")
 * in this context: its own binding, else the binding of every context. */
enum action keymap_lookup(const struct keymap *km, enum keyctx ctx, const char *spec);

/* The keys bound to an action in every context, space separated ("" when
 * none). Transfer none, valid as long as km. */
const char *keymap_keys(const struct keymap *km, enum action a);
/* The keys bound to an action in one context only ("" when none). */
const char *keymap_context_keys(const struct keymap *km, enum keyctx ctx, enum action a);

#endif

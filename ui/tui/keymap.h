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
	ACTION_COUNT
};

struct action_info {
	const char *name;         /* the [keys] name, e.g. "page_down" */
	const char *default_keys; /* canonical key specs, space separated */
	const char *help;         /* N_() description */
	const char *group;        /* N_() heading in the help screen */
};

/* The table, indexed by enum action (ACTION_NONE has a NULL name). */
const struct action_info *keymap_action_info(enum action a);

/* The action called name, or ACTION_NONE. */
enum action keymap_action_by_name(const char *name);

struct keymap;

/* A keymap of the defaults with overrides (action name -> canonical key
 * specs, as config.h's cfg->keys; may be NULL). An override replaces that
 * action's default keys; a key bound by an override wins over a default.
 * Returns NULL with *error_r set (transfer full) when an override names an
 * unknown action. Returns: transfer full (keymap_free()). */
struct keymap *keymap_new(GHashTable *overrides, char **error_r);
void keymap_free(struct keymap **km);

/* The action bound to a canonical key spec ("j", "C-l", "M-x", "PageDown"). */
enum action keymap_lookup(const struct keymap *km, const char *spec);

/* The keys bound to an action, space separated ("" when none).
 * Transfer none, valid as long as km. */
const char *keymap_keys(const struct keymap *km, enum action a);

#endif

/* tern — ui/tui/folder-tree: the folder pane's tree (pure: no terminal). */
#ifndef TERN_TUI_FOLDER_TREE_H
#define TERN_TUI_FOLDER_TREE_H

#include "core/common.h"
#include "core/imap/client.h"

/* Folders kept; a longer LIST is cut here. */
#define FOLDER_TREE_MAX 20000
/* Levels of hierarchy; deeper names hang from the last level whole. */
#define FOLDER_TREE_MAX_DEPTH 16

struct folder_node {
	char *name;        /* full decoded name (what commands use), or the
	                    * path of a level the server did not list */
	char *label;       /* the last component */
	int depth;
	enum folder_role role;
	bool selectable;   /* listed, without \Noselect / \NonExistent */
	bool collapsed;
	gint64 messages;   /* -1 unknown */
	gint64 unseen;     /* -1 unknown */
	struct folder_node *parent;
	GPtrArray *children; /* struct folder_node * (owned) */
};

struct folder_tree {
	GPtrArray *roots;    /* struct folder_node * (owned) */
	GPtrArray *rows;     /* visible nodes in order (transfer none) */
	GHashTable *by_name; /* name -> node (transfer none) */
	guint sel;           /* selected row */
	guint top;           /* first row on screen */
};

/* Returns: transfer full (folder_tree_free()). */
struct folder_tree *folder_tree_new(void);
void folder_tree_free(struct folder_tree **t);

/* Replace the folders with a LIST result (struct imap_folder *). Folds and
 * the selected folder are kept by name. INBOX comes first, then the
 * special-use folders in enum folder_role order, then the rest by name. */
void folder_tree_set(struct folder_tree *t, const GPtrArray *folders);

struct folder_node *folder_tree_find(struct folder_tree *t, const char *name);
/* The selected node, or NULL. Transfer none. */
struct folder_node *folder_tree_selected(struct folder_tree *t);
/* Select the row of this folder (unfolding its parents); false if absent. */
bool folder_tree_select_name(struct folder_tree *t, const char *name);
void folder_tree_move(struct folder_tree *t, gssize delta);
void folder_tree_toggle(struct folder_tree *t, struct folder_node *n);
void folder_tree_scroll(struct folder_tree *t, guint height);
/* Change a folder's counts (unknown: -1). */
void folder_tree_set_counts(struct folder_tree *t, const char *name, gint64 messages,
			    gint64 unseen);

/* The unread messages of the folders under n (not n's own; unknown
 * counts as 0): what a folded folder shows besides its own. */
gint64 folder_tree_unseen_below(const struct folder_node *n);

/* Completion for every folder prompt: the selectable folders whose name
 * contains text anywhere (case-insensitively: "dovecot" finds
 * "Lists/dovecot", "kunden/" the children of Kunden) are appended to
 * matches (char *, transfer none), those that start with it first, each
 * group in tree order. Returns what the prompt's text becomes: the one
 * match's name; the longest common prefix when every match starts with
 * text; else (or with none) a copy of text. Transfer full. */
char *folder_tree_complete(struct folder_tree *t, const char *text, GPtrArray *matches);

#endif

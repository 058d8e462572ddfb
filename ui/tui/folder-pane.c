/* tern — ui/tui/folder-pane: draws the folder tree with unread counts (a
 * folded folder counts the folders inside it too) and a "*" on folders
 * with new mail not opened since. */
#include "config.h"
#include "core/common.h"

#include "ui/tui/tui-private.h"

static void
draw_node(struct tui *t, const struct folder_node *n, int y, const struct tui_rect *r,
	  attr_t base, bool is_sel)
{
	GString *label = g_string_new(NULL);
	char count[32] = "";
	int cw = 0;
	attr_t a = base;
	bool open = t->folder != NULL && g_strcmp0(t->folder, n->name) == 0;
	gint64 unseen = n->unseen;
	bool marked = live_marked(t, n->name);

	for (int i = 0; i < n->depth && i < FOLDER_TREE_MAX_DEPTH; i++)
		g_string_append(label, " ");
	g_string_append(label, n->children->len == 0 ? " " : n->collapsed ? "+" : "-");
	g_string_append(label, n->label);
	/* folded: its own unread and those of the folders inside */
	if (n->collapsed)
		unseen = MAX(n->unseen, 0) + folder_tree_unseen_below(n);
	/* "*": new mail came since the folder was last opened (live.c) */
	if (unseen > 0 || marked) {
		char *c = unseen > 0 ? draw_count((guint64)unseen) : g_strdup("");

		g_snprintf(count, sizeof(count), " %s%s", marked ? "*" : "", c);
		g_free(c);
		cw = (int)strlen(count);
	}
	if (!is_sel) {
		if (open)
			a = t->attrs[COLOR_FOLDER_OPEN];
		else if (unseen > 0 || marked)
			a = t->attrs[COLOR_FOLDER_UNREAD];
		else
			a = t->attrs[COLOR_FOLDER];
		if (!n->selectable)
			a |= A_DIM;
	}
	if (cw >= r->w - 4)
		cw = 0;
	draw_text(y, r->x, r->w - cw, label->str, a);
	if (cw > 0)
		draw_text_right(y, r->x + r->w - cw, cw, count, a);
	g_string_free(label, TRUE);
}

void
folder_pane_draw(struct tui *t, const struct tui_rect *r, bool focused)
{
	struct folder_tree *ft = t->folders;

	/* The open folder's counts are ours, and newer than the last LIST. */
	if (t->folder != NULL && t->loaded && t->search == NULL)
		folder_tree_set_counts(ft, t->folder, t->list->total, t->list->unread);
	folder_tree_scroll(ft, (guint)r->h);
	if (ft->rows->len == 0) {
		draw_text(r->y, r->x, r->w,
			  t->conn == CONN_READY ? _(" (no folders)") : _(" …"),
			  t->attrs[COLOR_FOLDER]);
		return;
	}
	for (int i = 0; i < r->h && ft->top + (guint)i < ft->rows->len; i++) {
		guint row = ft->top + (guint)i;
		bool is_sel = row == ft->sel;
		attr_t a = is_sel ? t->attrs[focused ? COLOR_SELECTION : COLOR_SELECTION_INACTIVE] :
				    A_NORMAL;

		draw_node(t, ft->rows->pdata[row], r->y + i, r, a, is_sel);
	}
}

static void
goto_done(struct tui *t, const char *text, void *ud)
{
	struct folder_node *n;

	(void)ud;
	if (text == NULL || *text == '\0')
		return;
	n = folder_tree_find(t->folders, text);
	if (n == NULL || !n->selectable) {
		tui_error(t, _("There is no folder %s (Tab completes names)."), text);
		return;
	}
	folder_tree_select_name(t->folders, n->name);
	conn_open_folder(t, n->name);
	t->focus = PANE_LIST;
}

void
folder_pane_goto_prompt(struct tui *t)
{
	prompt_start(t, PROMPT_MOVE, _("Go to folder: "), "", goto_done, NULL, NULL);
}

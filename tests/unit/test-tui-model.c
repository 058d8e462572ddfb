/* Unit tests for the TUI's pure parts: layout, keymap, message list,
 * threading, folder tree. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "ui/tui/folder-tree.h"
#include "ui/tui/keymap.h"
#include "ui/tui/layout.h"
#include "ui/tui/message-list.h"
#include "ui/tui/message-thread.h"

/* ---- layout -------------------------------------------------------------- */

static void
check_inside(const struct tui_rect *r, int rows, int cols)
{
	g_assert_cmpint(r->y, >=, 0);
	g_assert_cmpint(r->x, >=, 0);
	g_assert_cmpint(r->y + r->h, <=, rows);
	g_assert_cmpint(r->x + r->w, <=, cols);
}

static void
test_layout_sizes(void)
{
	static const int sizes[][2] = { { 24, 80 }, { 30, 100 }, { 6, 24 }, { 50, 200 },
					{ 24, 49 }, { 7, 30 }, { 100, 300 } };

	for (size_t i = 0; i < TERN_ARRAY_LEN(sizes); i++) {
		for (int beside = 0; beside < 2; beside++) {
			int rows = sizes[i][0], cols = sizes[i][1];
			struct layout l;

			layout_compute(rows, cols, true, beside, &l);
			g_assert_false(l.too_small);
			check_inside(&l.list, rows, cols);
			check_inside(&l.viewer, rows, cols);
			check_inside(&l.viewer_sep, rows, cols);
			check_inside(&l.folders, rows, cols);
			g_assert_cmpint(l.list.h, >=, 1);
			g_assert_cmpint(l.viewer.h, >=, 1);
			g_assert_cmpint(l.list.w, >=, 10);
			g_assert_cmpint(l.status.y, ==, rows - 2);
			g_assert_cmpint(l.message.y, ==, rows - 1);
			if (l.show_folders) {
				g_assert_cmpint(l.list.x, ==, l.folders.w + 1);
			} else {
				g_assert_cmpint(l.list.x, ==, 0);
			}
			if (l.beside) {
				g_assert_cmpint(l.viewer.x, ==, l.list.x + l.list.w + 1);
				g_assert_cmpint(l.viewer.x + l.viewer.w, ==, cols);
			} else {
				g_assert_cmpint(l.viewer.y, ==, l.list.y + l.list.h + 1);
				g_assert_cmpint(l.viewer.y + l.viewer.h, ==, rows - 2);
				g_assert_cmpint(l.list.x + l.list.w, ==, cols);
			}
		}
	}
}

static void
test_layout_small(void)
{
	struct layout l;

	layout_compute(5, 80, true, false, &l);
	g_assert_true(l.too_small);
	layout_compute(24, 23, true, false, &l);
	g_assert_true(l.too_small);
	layout_compute(24, 40, true, false, &l);
	g_assert_false(l.show_folders); /* too narrow for it */
	layout_compute(24, 80, false, false, &l);
	g_assert_false(l.show_folders);
	g_assert_cmpint(l.list.w, ==, 80);
}

/* ---- keymap -------------------------------------------------------------- */

static void
test_keymap_defaults(void)
{
	char *err = NULL;
	struct keymap *km = keymap_new(NULL, &err);

	g_assert_nonnull(km);
	g_assert_cmpint(keymap_lookup(km, "j"), ==, ACTION_DOWN);
	g_assert_cmpint(keymap_lookup(km, "Down"), ==, ACTION_DOWN);
	g_assert_cmpint(keymap_lookup(km, "?"), ==, ACTION_HELP);
	g_assert_cmpint(keymap_lookup(km, "s"), ==, ACTION_FLAG);
	g_assert_cmpint(keymap_lookup(km, "F"), ==, ACTION_FLAG);
	g_assert_cmpint(keymap_lookup(km, ";"), ==, ACTION_TAG_PREFIX);
	g_assert_cmpint(keymap_lookup(km, "x"), ==, ACTION_NONE);
	g_assert_cmpstr(keymap_keys(km, ACTION_TOP), ==, "g Home");
	/* every action has a name, a help text and at least one default key */
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
		const struct action_info *ai = keymap_action_info(a);

		g_assert_nonnull(ai->name);
		g_assert_nonnull(ai->help);
		g_assert_cmpstr(keymap_keys(km, a), !=, "");
		g_assert_cmpint(keymap_action_by_name(ai->name), ==, a);
	}
	keymap_free(&km);
	g_assert_null(km);
}

static void
test_keymap_overrides(void)
{
	GHashTable *o = g_hash_table_new(g_str_hash, g_str_equal);
	char *err = NULL;
	struct keymap *km;

	/* "down" now only on "x"; "j" moves to "up", taking it from "down". */
	g_hash_table_insert(o, "down", "x");
	g_hash_table_insert(o, "up", "j Up");
	km = keymap_new(o, &err);
	g_assert_nonnull(km);
	g_assert_cmpint(keymap_lookup(km, "x"), ==, ACTION_DOWN);
	g_assert_cmpint(keymap_lookup(km, "j"), ==, ACTION_UP);
	g_assert_cmpint(keymap_lookup(km, "k"), ==, ACTION_NONE);
	g_assert_cmpint(keymap_lookup(km, "Down"), ==, ACTION_NONE);
	g_assert_cmpstr(keymap_keys(km, ACTION_DOWN), ==, "x");
	keymap_free(&km);
	/* a key an override takes from a default action */
	g_hash_table_remove_all(o);
	g_hash_table_insert(o, "archive", "d");
	km = keymap_new(o, &err);
	g_assert_cmpint(keymap_lookup(km, "d"), ==, ACTION_ARCHIVE);
	g_assert_cmpstr(keymap_keys(km, ACTION_DELETE), ==, "");
	keymap_free(&km);
	/* unknown action */
	g_hash_table_insert(o, "explode", "e");
	km = keymap_new(o, &err);
	g_assert_null(km);
	g_assert_nonnull(strstr(err, "explode"));
	g_free(err);
	g_hash_table_destroy(o);
}

/* ---- message list -------------------------------------------------------- */

static void
add(struct message_list *ml, guint32 uid, gint64 date, guint flags, const char *subject,
    const char *mid, const char *refs)
{
	struct imap_summary s = { 0 };

	s.uid = uid;
	s.date = date;
	s.flags = flags;
	s.size = uid * 10;
	s.subject = (char *)subject;
	s.from_name = (char *)"Alice";
	s.from_addr = (char *)"alice@example.org";
	s.message_id = (char *)mid;
	s.references = (char *)refs;
	g_assert_nonnull(message_list_add(ml, &s));
}

static GString *
view_uids(struct message_list *ml)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < ml->view->len; i++)
		g_string_append_printf(s, "%s%u", i ? "," : "",
				       ((struct msg *)ml->view->pdata[i])->uid);
	return s;
}

static void
assert_view(struct message_list *ml, const char *want)
{
	GString *s = view_uids(ml);

	g_assert_cmpstr(s->str, ==, want);
	g_string_free(s, TRUE);
}

static void
test_list_merge(void)
{
	struct message_list *ml = message_list_new();

	/* newest screenful first, then older batches */
	add(ml, 9, 900, IMAP_FLAG_SEEN, "nine", NULL, NULL);
	add(ml, 10, 1000, 0, "ten", NULL, NULL);
	message_list_refresh(ml);
	assert_view(ml, "10,9");
	g_assert_nonnull(ml->sel);
	g_assert_cmpuint(ml->sel->uid, ==, 10);
	message_list_move(ml, 1);
	g_assert_cmpuint(ml->sel->uid, ==, 9);
	for (guint32 u = 1; u <= 8; u++)
		add(ml, u, u * 100, IMAP_FLAG_SEEN, "old", NULL, NULL);
	message_list_refresh(ml);
	assert_view(ml, "10,9,8,7,6,5,4,3,2,1");
	g_assert_cmpuint(ml->sel->uid, ==, 9); /* the selection stayed */
	g_assert_cmpuint(ml->sel_row, ==, 1);
	g_assert_cmpuint(ml->total, ==, 10);
	g_assert_cmpuint(ml->unread, ==, 1);
	/* new mail at the top keeps the selected message */
	add(ml, 11, 1100, 0, "new", NULL, NULL);
	message_list_refresh(ml);
	g_assert_cmpuint(ml->sel->uid, ==, 9);
	g_assert_cmpuint(ml->sel_row, ==, 2);
	g_assert_cmpuint(ml->unread, ==, 2);
	/* an update of a known UID changes flags only */
	add(ml, 11, 1100, IMAP_FLAG_SEEN, "new", NULL, NULL);
	g_assert_cmpuint(ml->unread, ==, 1);
	g_assert_cmpuint(g_hash_table_size(ml->by_uid), ==, 11);
	message_list_free(&ml);
}

static void
test_list_hide_selects_next(void)
{
	struct message_list *ml = message_list_new();
	struct msg *m;

	for (guint32 u = 1; u <= 5; u++)
		add(ml, u, u, 0, "s", NULL, NULL);
	message_list_refresh(ml);
	message_list_select_row(ml, 1); /* uid 4 */
	m = ml->sel;
	g_assert_cmpuint(m->uid, ==, 4);
	message_list_set_hidden(ml, m, true);
	message_list_refresh(ml);
	assert_view(ml, "5,3,2,1");
	g_assert_cmpuint(ml->sel->uid, ==, 3); /* the next one, not the top */
	g_assert_cmpuint(ml->total, ==, 4);
	/* the server refused: it comes back */
	message_list_set_hidden(ml, m, false);
	message_list_refresh(ml);
	assert_view(ml, "5,4,3,2,1");
	/* hiding the last row selects the one above */
	message_list_select_row(ml, 4);
	message_list_set_hidden(ml, ml->sel, true);
	message_list_refresh(ml);
	g_assert_cmpuint(ml->sel->uid, ==, 2);
	/* expunged */
	message_list_remove(ml, 2);
	message_list_refresh(ml);
	assert_view(ml, "5,4,3");
	g_assert_cmpuint(ml->sel->uid, ==, 3);
	message_list_free(&ml);
}

static void
test_list_filter_sort_unread(void)
{
	struct message_list *ml = message_list_new();
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 u2 = 2, u4 = 4;

	add(ml, 1, 10, 0, "Zebra", NULL, NULL);
	add(ml, 2, 20, IMAP_FLAG_SEEN, "Re: apple", NULL, NULL);
	add(ml, 3, 30, IMAP_FLAG_SEEN, "mango", NULL, NULL);
	add(ml, 4, 40, 0, "banana", NULL, NULL);
	message_list_refresh(ml);
	assert_view(ml, "4,3,2,1");
	g_assert_true(message_list_next_unread(ml, 1));
	g_assert_cmpuint(ml->sel->uid, ==, 1);
	g_assert_false(message_list_next_unread(ml, 1));
	g_assert_true(message_list_next_unread(ml, -1));
	g_assert_cmpuint(ml->sel->uid, ==, 4);
	message_list_set_sort(ml, MESSAGE_SORT_SUBJECT);
	message_list_refresh(ml);
	assert_view(ml, "2,4,3,1"); /* "Re: apple" sorts as apple */
	message_list_set_sort(ml, MESSAGE_SORT_DATE_ASC);
	message_list_refresh(ml);
	assert_view(ml, "1,2,3,4");
	message_list_set_sort(ml, MESSAGE_SORT_SIZE_DESC);
	message_list_refresh(ml);
	assert_view(ml, "4,3,2,1");
	g_array_append_val(uids, u2);
	g_array_append_val(uids, u4);
	message_list_set_filter(ml, uids);
	message_list_refresh(ml);
	assert_view(ml, "4,2");
	message_list_set_filter(ml, NULL);
	message_list_refresh(ml);
	assert_view(ml, "4,3,2,1");
	g_array_free(uids, TRUE);
	message_list_free(&ml);
}

static void
test_list_scroll(void)
{
	struct message_list *ml = message_list_new();

	for (guint32 u = 1; u <= 100; u++)
		add(ml, u, u, 0, "s", NULL, NULL);
	message_list_refresh(ml);
	message_list_scroll(ml, 10);
	g_assert_cmpuint(ml->top, ==, 0);
	message_list_move(ml, 15);
	message_list_scroll(ml, 10);
	g_assert_cmpuint(ml->top, ==, 6);
	g_assert_cmpuint(ml->sel_row, ==, 15);
	message_list_select_row(ml, 1000);
	message_list_scroll(ml, 10);
	g_assert_cmpuint(ml->sel_row, ==, 99);
	g_assert_cmpuint(ml->top, ==, 90);
	message_list_select_row(ml, -5);
	message_list_scroll(ml, 10);
	g_assert_cmpuint(ml->top, ==, 0);
	message_list_free(&ml);
}

/* ---- threads -------------------------------------------------------------- */

static void
test_thread_basic(void)
{
	struct message_list *ml = message_list_new();
	GString *s;

	add(ml, 1, 100, 0, "Plan", "<a@x>", NULL);
	add(ml, 2, 200, 0, "Re: Plan", "<b@x>", "<a@x>");
	add(ml, 3, 300, 0, "Other", "<c@x>", NULL);
	add(ml, 4, 400, 0, "Re: Plan", "<d@x>", "<a@x> <b@x>");
	add(ml, 5, 500, 0, "Re: Plan", "<e@x>", "<a@x>");
	/* its parent is missing: joins "Other" by subject */
	add(ml, 6, 600, 0, "Re: Other", "<f@x>", "<missing@x>");
	message_list_set_threaded(ml, true);
	message_list_refresh(ml);
	/* threads in the order of their newest member (newest first) */
	s = view_uids(ml);
	g_assert_cmpstr(s->str, ==, "3,6,1,2,4,5");
	g_string_free(s, TRUE);
	g_assert_cmpstr(message_list_get(ml, 1)->tree, ==, "");
	g_assert_cmpstr(message_list_get(ml, 2)->tree, ==, "├─>");
	g_assert_cmpstr(message_list_get(ml, 4)->tree, ==, "│ └─>");
	g_assert_cmpstr(message_list_get(ml, 5)->tree, ==, "└─>");
	g_assert_cmpstr(message_list_get(ml, 6)->tree, ==, "└─>");
	message_list_free(&ml);
}

static void
test_thread_hostile(void)
{
	struct message_list *ml = message_list_new();
	char mid[64], refs[64];

	/* a loop: a says its parent is b, b says a */
	add(ml, 1, 1, 0, "x", "<a@x>", "<b@x>");
	add(ml, 2, 2, 0, "y", "<b@x>", "<a@x>");
	/* duplicate ids, self reference, garbage */
	add(ml, 3, 3, 0, "z", "<a@x>", "<a@x>");
	add(ml, 4, 4, 0, "w", "<<>>", "<> < > no brackets <");
	/* a long chain: linear time, no deep recursion */
	for (guint32 u = 10; u < 20010; u++) {
		g_snprintf(mid, sizeof(mid), "<%u@chain>", u);
		g_snprintf(refs, sizeof(refs), "<%u@chain>", u - 1);
		add(ml, u, u, 0, "Re: chain", mid, refs);
	}
	message_list_set_threaded(ml, true);
	message_list_refresh(ml);
	g_assert_cmpuint(ml->view->len, ==, 4 + 20000);
	/* each message appears exactly once */
	{
		GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);

		for (guint i = 0; i < ml->view->len; i++)
			g_assert_true(g_hash_table_add(seen, ml->view->pdata[i]));
		g_hash_table_destroy(seen);
	}
	/* deep replies stop indenting */
	g_assert_cmpuint(g_utf8_strlen(message_list_get(ml, 20009)->tree, -1), <=,
			 MESSAGE_THREAD_MAX_INDENT * 2 + 1);
	message_list_free(&ml);
}

static void
test_base_subject(void)
{
	g_assert_cmpstr(message_thread_base_subject("Re: Fwd: AW:  hello"), ==, "hello");
	g_assert_cmpstr(message_thread_base_subject("Re[3]: x"), ==, "x");
	g_assert_cmpstr(message_thread_base_subject("Rex: x"), ==, "Rex: x");
	g_assert_cmpstr(message_thread_base_subject(NULL), ==, "");
	g_assert_true(message_thread_is_reply(" re: x"));
	g_assert_false(message_thread_is_reply("x re: y"));
}

/* ---- folder tree --------------------------------------------------------- */

static struct imap_folder *
folder(const char *name, guint attrs, enum folder_role role, gint64 unseen)
{
	struct imap_folder *f = g_new0(struct imap_folder, 1);

	f->name = g_strdup(name);
	f->wire_name = g_strdup(name);
	f->delimiter = '/';
	f->attrs = attrs;
	f->role = role;
	f->messages = 10;
	f->unseen = unseen;
	return f;
}

static void
free_folder(gpointer p)
{
	struct imap_folder *f = p;

	g_free(f->name);
	g_free(f->wire_name);
	g_free(f);
}

static GString *
rows(struct folder_tree *t)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < t->rows->len; i++) {
		struct folder_node *n = t->rows->pdata[i];

		g_string_append_printf(s, "%s%d:%s%s", i ? "," : "", n->depth, n->label,
				       n->selectable ? "" : "!");
	}
	return s;
}

static void
test_folder_tree(void)
{
	GPtrArray *fs = g_ptr_array_new_with_free_func(free_folder);
	struct folder_tree *t = folder_tree_new();
	GPtrArray *matches = g_ptr_array_new();
	GString *s;
	char *c;

	g_ptr_array_add(fs, folder("Zeta", 0, FOLDER_ROLE_NONE, 0));
	g_ptr_array_add(fs, folder("Trash", 0, FOLDER_ROLE_TRASH, 0));
	g_ptr_array_add(fs, folder("Lists/tern-devel", 0, FOLDER_ROLE_NONE, 5));
	g_ptr_array_add(fs, folder("Projects/2026/Q4", 0, FOLDER_ROLE_NONE, 0));
	g_ptr_array_add(fs, folder("Projects", IMAP_FOLDER_NOSELECT, FOLDER_ROLE_NONE, -1));
	g_ptr_array_add(fs, folder("Sent", 0, FOLDER_ROLE_SENT, 0));
	g_ptr_array_add(fs, folder("INBOX", 0, FOLDER_ROLE_INBOX, 3));
	g_ptr_array_add(fs, folder("Archive", 0, FOLDER_ROLE_ARCHIVE, 0));
	folder_tree_set(t, fs);
	s = rows(t);
	g_assert_cmpstr(s->str, ==,
			"0:INBOX,0:Sent,0:Archive,0:Trash,0:Lists!,1:tern-devel,"
			"0:Projects!,1:2026!,2:Q4,0:Zeta");
	g_string_free(s, TRUE);
	/* fold Projects, keep the fold through a new LIST */
	folder_tree_toggle(t, folder_tree_find(t, "Projects"));
	folder_tree_select_name(t, "Zeta");
	folder_tree_set(t, fs);
	s = rows(t);
	g_assert_cmpstr(s->str, ==,
			"0:INBOX,0:Sent,0:Archive,0:Trash,0:Lists!,1:tern-devel,0:Projects!,0:Zeta");
	g_string_free(s, TRUE);
	g_assert_cmpstr(folder_tree_selected(t)->name, ==, "Zeta");
	/* selecting a folded folder unfolds */
	g_assert_true(folder_tree_select_name(t, "Projects/2026/Q4"));
	g_assert_cmpstr(folder_tree_selected(t)->name, ==, "Projects/2026/Q4");
	/* completion: case-insensitive, only selectable, common prefix */
	c = folder_tree_complete(t, "pro", matches);
	g_assert_cmpstr(c, ==, "Projects/2026/Q4");
	g_assert_cmpuint(matches->len, ==, 1);
	g_free(c);
	g_ptr_array_set_size(matches, 0);
	c = folder_tree_complete(t, "", matches);
	g_assert_cmpuint(matches->len, ==, 7);
	g_assert_cmpstr(c, ==, "");
	g_free(c);
	g_ptr_array_set_size(matches, 0);
	c = folder_tree_complete(t, "nothing", matches);
	g_assert_cmpstr(c, ==, "nothing");
	g_assert_cmpuint(matches->len, ==, 0);
	g_free(c);
	g_ptr_array_free(matches, TRUE);
	g_ptr_array_free(fs, TRUE);
	folder_tree_free(&t);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tui/layout/sizes", test_layout_sizes);
	g_test_add_func("/tui/layout/small", test_layout_small);
	g_test_add_func("/tui/keymap/defaults", test_keymap_defaults);
	g_test_add_func("/tui/keymap/overrides", test_keymap_overrides);
	g_test_add_func("/tui/list/merge", test_list_merge);
	g_test_add_func("/tui/list/hide-selects-next", test_list_hide_selects_next);
	g_test_add_func("/tui/list/filter-sort-unread", test_list_filter_sort_unread);
	g_test_add_func("/tui/list/scroll", test_list_scroll);
	g_test_add_func("/tui/thread/basic", test_thread_basic);
	g_test_add_func("/tui/thread/hostile", test_thread_hostile);
	g_test_add_func("/tui/thread/base-subject", test_base_subject);
	g_test_add_func("/tui/folders/tree", test_folder_tree);
	return g_test_run();
}

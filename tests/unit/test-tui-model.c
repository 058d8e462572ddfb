/* Unit tests for the TUI's pure parts: layout, keymap, message list,
 * threading, folder tree. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
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
			struct layout_want w = { .folders = true, .beside = beside, .viewer = true };

			layout_compute(rows, cols, &w, &l);
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
	struct layout_want w = { .folders = true, .viewer = true };

	layout_compute(5, 80, &w, &l);
	g_assert_true(l.too_small);
	layout_compute(24, 23, &w, &l);
	g_assert_true(l.too_small);
	layout_compute(24, 40, &w, &l);
	g_assert_false(l.show_folders); /* too narrow for it */
	w.folders = false;
	layout_compute(24, 80, &w, &l);
	g_assert_false(l.show_folders);
	g_assert_cmpint(l.list.w, ==, 80);
}

/* The list has every row until a message is opened; full and zoom give
 * one pane the whole area. */
static void
test_layout_panes(void)
{
	struct layout l;
	struct layout_want w = { .folders = true };

	layout_compute(24, 80, &w, &l);
	g_assert_cmpint(l.list.h, ==, 22);
	g_assert_cmpint(l.viewer.h, ==, 0);
	g_assert_cmpint(l.viewer_sep.h, ==, 0);
	w.viewer = true;
	layout_compute(24, 80, &w, &l);
	g_assert_cmpint(l.list.h, ==, 8);
	g_assert_cmpint(l.viewer.h, ==, 13);
	w.full = true;
	layout_compute(24, 80, &w, &l);
	g_assert_cmpint(l.list.w, ==, 0);
	g_assert_cmpint(l.viewer.h, ==, 21);
	g_assert_cmpint(l.viewer.x, ==, l.folders.w + 1);
	w.full = false;
	w.zoom = LAYOUT_ZOOM_VIEWER;
	layout_compute(24, 80, &w, &l);
	g_assert_false(l.show_folders);
	g_assert_cmpint(l.list.w, ==, 0);
	g_assert_cmpint(l.viewer.w, ==, 80);
	w.zoom = LAYOUT_ZOOM_LIST;
	layout_compute(24, 80, &w, &l);
	g_assert_cmpint(l.list.w, ==, 80);
	g_assert_cmpint(l.list.h, ==, 22);
	g_assert_cmpint(l.viewer.w, ==, 0);
	w.zoom = LAYOUT_ZOOM_FOLDERS;
	layout_compute(24, 80, &w, &l);
	g_assert_cmpint(l.folders.w, ==, 80);
	g_assert_cmpint(l.list.w, ==, 0);
	/* zooming the viewer with no message open zooms nothing */
	w.viewer = false;
	w.zoom = LAYOUT_ZOOM_VIEWER;
	layout_compute(24, 80, &w, &l);
	g_assert_true(l.show_folders);
	g_assert_cmpint(l.list.h, ==, 22);
}

/* ---- keymap -------------------------------------------------------------- */

static void
test_keymap_defaults(void)
{
	char *err = NULL;
	struct keymap *km = keymap_new(NULL, &err);

	g_assert_nonnull(km);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "j"), ==, ACTION_DOWN);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "Down"), ==, ACTION_DOWN);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "?"), ==, ACTION_HELP);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "s"), ==, ACTION_FLAG);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "F"), ==, ACTION_FLAG);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, ";"), ==, ACTION_TAG_PREFIX);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "x"), ==, ACTION_NONE);
	g_assert_cmpstr(keymap_keys(km, ACTION_TOP), ==, "g Home");
	/* every action has a name, a help text and at least one default key */
	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
		const struct action_info *ai = keymap_action_info(a);

		g_assert_nonnull(ai->name);
		g_assert_nonnull(ai->help);
		bool bound = *keymap_keys(km, a) != '\0';

		for (int c = 0; c < KEYCTX_COUNT; c++)
			bound = bound || *keymap_context_keys(km, c, a) != '\0';
		g_assert_true(bound);
		g_assert_cmpint(keymap_action_by_name(ai->name), ==, a);
	}
	keymap_free(&km);
	g_assert_null(km);
}

/* A key of one pane wins there and only there; [keys viewer] rebinds in
 * the viewer only; an unknown context is refused. */
static void
test_keymap_contexts(void)
{
	GHashTable *o = g_hash_table_new(g_str_hash, g_str_equal);
	char *err = NULL;
	struct keymap *km = keymap_new(NULL, &err);

	g_assert_cmpint(keymap_lookup(km, KEYCTX_VIEWER, "J"), ==, ACTION_NEXT_MESSAGE);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "J"), ==, ACTION_GOTO_FOLDER);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "K"), ==, ACTION_NONE);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_VIEWER, "j"), ==, ACTION_DOWN);
	g_assert_cmpstr(keymap_context_keys(km, KEYCTX_VIEWER, ACTION_PREV_MESSAGE), ==, "K");
	keymap_free(&km);
	g_hash_table_insert(o, "viewer/flag", "x");
	g_hash_table_insert(o, "list/next_message", "C-n");
	km = keymap_new(o, &err);
	g_assert_nonnull(km);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_VIEWER, "x"), ==, ACTION_FLAG);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "x"), ==, ACTION_NONE);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "s"), ==, ACTION_FLAG);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "C-n"), ==, ACTION_NEXT_MESSAGE);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_VIEWER, "C-n"), ==, ACTION_NONE);
	keymap_free(&km);
	g_hash_table_remove_all(o);
	g_hash_table_insert(o, "pager/flag", "x");
	km = keymap_new(o, &err);
	g_assert_null(km);
	g_assert_nonnull(strstr(err, "pager"));
	g_free(err);
	g_hash_table_destroy(o);
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
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "x"), ==, ACTION_DOWN);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "j"), ==, ACTION_UP);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "k"), ==, ACTION_NONE);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "Down"), ==, ACTION_NONE);
	g_assert_cmpstr(keymap_keys(km, ACTION_DOWN), ==, "x");
	keymap_free(&km);
	/* a key an override takes from a default action */
	g_hash_table_remove_all(o);
	g_hash_table_insert(o, "archive", "d");
	km = keymap_new(o, &err);
	g_assert_cmpint(keymap_lookup(km, KEYCTX_LIST, "d"), ==, ACTION_ARCHIVE);
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
	g_assert_cmpuint(message_list_size(ml), ==, 11);
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

/* ---- the compact index --------------------------------------------------- */

/* A stand-in for GMime's RFC 2047 decoder (not linked here): the encoded
 * words these tests use. */
static char *
fake_decoder(const char *raw)
{
	static const char *const words[][2] = {
		{ "=?utf-8?q?J=C3=BCrgen?=", "Jürgen" },
		{ "=?iso-8859-1?q?Andr=E9?= <a@x>", "André <a@x>" },
		{ "=?utf-8?b?w5xiZXI=?=", "Über" },
		{ "=?utf-8?q?=C3=89mile?=", "Émile" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(words); i++)
		if (strcmp(raw, words[i][0]) == 0)
			return g_strdup(words[i][1]);
	return g_strdup(raw);
}

static void
test_strtab(void)
{
	struct strtab st;
	guint32 a, b, ids[3000];
	char buf[32];

	strtab_init(&st);
	g_assert_cmpuint(strtab_intern(&st, NULL, 0), ==, 0);
	g_assert_null(strtab_get(&st, 0));
	a = strtab_intern(&st, "alice", 5);
	b = strtab_intern(&st, "bob", 3);
	g_assert_cmpuint(a, !=, 0);
	g_assert_cmpuint(b, !=, a);
	g_assert_cmpuint(strtab_intern(&st, "alice", 5), ==, a);
	/* only n bytes count: a prefix is another string */
	g_assert_cmpuint(strtab_intern(&st, "alice@x", 5), ==, a);
	g_assert_cmpuint(strtab_intern(&st, "ali", 3), !=, a);
	g_assert_cmpuint(strtab_intern(&st, "", 0), !=, 0);
	g_assert_cmpstr(strtab_get(&st, strtab_intern(&st, "", 0)), ==, "");
	g_assert_cmpstr(strtab_get(&st, a), ==, "alice");
	g_assert_null(strtab_get(&st, 100000));
	/* past several growths every id still names its string */
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_snprintf(buf, sizeof(buf), "s%u", i);
		ids[i] = strtab_intern(&st, buf, strlen(buf));
	}
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_snprintf(buf, sizeof(buf), "s%u", i);
		g_assert_cmpstr(strtab_get(&st, ids[i]), ==, buf);
		g_assert_cmpuint(strtab_intern(&st, buf, strlen(buf)), ==, ids[i]);
	}
	g_assert_cmpuint(strtab_intern(&st, "bob", 3), ==, b);
	strtab_clear(&st);
	g_assert_null(strtab_get(&st, a));
	g_assert_cmpuint(strtab_intern(&st, "bob", 3), ==, 1);
	strtab_clear(&st);
}

static void
add_from(struct message_list *ml, guint32 uid, gint64 date, const char *name, const char *addr,
	 const char *subject)
{
	struct imap_summary s = { 0 };

	s.uid = uid;
	s.date = date;
	s.size = 100;
	s.from_name = (char *)name;
	s.from_addr = (char *)addr;
	s.subject = (char *)subject;
	g_assert_nonnull(message_list_add(ml, &s));
}

static void
test_list_uid_lookup(void)
{
	struct message_list *ml = message_list_new();
	GRand *r = g_rand_new_with_seed(7);
	GArray *uids;
	GHashTable *seen;
	guint32 *order = g_new(guint32, 30000);

	/* UIDs in a scrambled order, with gaps */
	for (guint i = 0; i < 30000; i++)
		order[i] = i * 3 + 1;
	for (guint i = 30000 - 1; i > 0; i--) {
		guint j = g_rand_int_range(r, 0, (gint32)i + 1);
		guint32 x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (guint i = 0; i < 30000; i++)
		add_from(ml, order[i], order[i], "A", "a@x", "s");
	g_assert_cmpuint(message_list_size(ml), ==, 30000);
	for (guint32 u = 0; u < 90010; u++) {
		struct msg *m = message_list_get(ml, u);

		if (u % 3 == 1 && u < 90000) {
			g_assert_nonnull(m);
			g_assert_cmpuint(m->uid, ==, u);
		} else {
			g_assert_null(m);
		}
	}
	/* remove every other one; the rest stay found */
	for (guint32 u = 1; u < 90000; u += 6)
		message_list_remove(ml, u);
	g_assert_cmpuint(message_list_size(ml), ==, 15000);
	for (guint32 u = 1; u < 90000; u += 3)
		g_assert_true((message_list_get(ml, u) != NULL) == (u % 6 == 4));
	/* freed records are used again */
	for (guint32 u = 1; u < 90000; u += 6)
		add_from(ml, u, u, "B", "b@x", "t");
	g_assert_cmpuint(ml->used, ==, 30000);
	uids = message_list_uids(ml);
	g_assert_cmpuint(uids->len, ==, 30000);
	seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < uids->len; i++) {
		guint32 u = g_array_index(uids, guint32, i);

		g_assert_true(g_hash_table_add(seen, GUINT_TO_POINTER(u)));
		g_assert_cmpuint(message_list_get(ml, u)->uid, ==, u);
	}
	g_assert_cmpstr(message_list_from(ml, message_list_get(ml, 7)), ==, "B");
	g_assert_cmpstr(message_list_from(ml, message_list_get(ml, 4)), ==, "A");
	message_list_refresh(ml);
	g_assert_cmpuint(ml->view->len, ==, 30000);
	g_assert_cmpuint(((struct msg *)ml->view->pdata[0])->uid, ==, 89998);
	g_hash_table_destroy(seen);
	g_array_unref(uids);
	g_free(order);
	g_rand_free(r);
	message_list_free(&ml);
}

static void
test_list_fields(void)
{
	struct message_list *ml = message_list_new();
	struct imap_summary s = { 0 };
	struct msg *m, *m2;
	const guint32 *refs;
	guint n;

	s.uid = 1;
	s.from_name = (char *)"=?utf-8?q?J=C3=BCrgen?=";
	s.from_addr = (char *)"j@x";
	s.to = (char *)"=?iso-8859-1?q?Andr=E9?= <a@x>";
	s.subject = (char *)"=?utf-8?b?w5xiZXI=?=";
	s.message_id = (char *)" <one@x> ";
	s.in_reply_to = (char *)"<zero@x>";
	m = message_list_add(ml, &s);
	g_assert_cmpstr(message_list_from(ml, m), ==, "Jürgen");
	g_assert_cmpstr(message_list_to(ml, m), ==, "André <a@x>");
	g_assert_cmpstr(message_list_subject(ml, m), ==, "Über");
	g_assert_true(message_list_has_to(ml, m));
	g_assert_cmpstr(message_list_message_id(ml, m), ==, "<one@x>");
	/* In-Reply-To stands in for missing References */
	refs = message_list_refs(ml, m, &n);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpstr(strtab_get(&ml->ids, refs[0]), ==, "<zero@x>");
	/* an empty name: the address; no brackets: kept as it came */
	memset(&s, 0, sizeof(s));
	s.uid = 2;
	s.from_name = (char *)"";
	s.from_addr = (char *)"j@x";
	s.message_id = (char *)"bare@x";
	s.references = (char *)"<zero@x> <> <one@x>";
	s.in_reply_to = (char *)"<ignored@x>";
	m2 = message_list_add(ml, &s);
	g_assert_cmpstr(message_list_from(ml, m2), ==, "j@x");
	g_assert_cmpstr(message_list_subject(ml, m2), ==, "");
	g_assert_false(message_list_has_to(ml, m2));
	g_assert_cmpstr(message_list_message_id(ml, m2), ==, "bare@x");
	g_assert_true(m2->mid_raw);
	refs = message_list_refs(ml, m2, &n);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpstr(strtab_get(&ml->ids, refs[0]), ==, "<zero@x>");
	g_assert_cmpstr(strtab_get(&ml->ids, refs[1]), ==, "<one@x>");
	/* a shared sender is kept once */
	g_assert_cmpuint(m->from_addr, ==, m2->from_addr);
	/* none at all */
	memset(&s, 0, sizeof(s));
	s.uid = 3;
	m = message_list_add(ml, &s);
	g_assert_null(message_list_message_id(ml, m));
	g_assert_cmpstr(message_list_from(ml, m), ==, "");
	g_assert_null(message_list_refs(ml, m, &n));
	g_assert_cmpuint(n, ==, 0);
	/* the decoded strings are bounded */
	for (guint32 u = 10; u < 10 + MESSAGE_LIST_DECODED_MAX + 10; u++) {
		char subj[32];

		g_snprintf(subj, sizeof(subj), "subject %u", u);
		add_from(ml, u, u, "N", "n@x", subj);
		message_list_subject(ml, message_list_get(ml, u));
	}
	g_assert_cmpuint(g_hash_table_size(ml->decoded), >, MESSAGE_LIST_DECODED_MAX);
	message_list_scroll(ml, 10);
	g_assert_cmpuint(g_hash_table_size(ml->decoded), ==, 0);
	message_list_free(&ml);
}

static void
test_list_sort_from(void)
{
	struct message_list *ml = message_list_new();

	add_from(ml, 1, 10, "zed", "z@x", "b");
	add_from(ml, 2, 20, "", "adam@x", "a");
	add_from(ml, 3, 30, "=?utf-8?q?=C3=89mile?=", "e@x", "Re: c");
	add_from(ml, 4, 40, "Bea", "b@x", "Fwd: a");
	add_from(ml, 5, 50, "bea", "b2@x", "d");
	message_list_set_sort(ml, MESSAGE_SORT_FROM);
	message_list_refresh(ml);
	/* casefolded; equal keys newest first; É after z in code points */
	assert_view(ml, "2,5,4,1,3");
	/* arrivals merge into the sorted list */
	add_from(ml, 6, 5, "Carl", "c@x", "e");
	add_from(ml, 7, 60, "aaron", "aa@x", "a");
	message_list_refresh(ml);
	assert_view(ml, "7,2,5,4,6,1,3");
	message_list_set_sort(ml, MESSAGE_SORT_SUBJECT);
	message_list_refresh(ml);
	assert_view(ml, "7,4,2,1,3,5,6");
	message_list_set_sort(ml, MESSAGE_SORT_DATE_DESC);
	message_list_refresh(ml);
	assert_view(ml, "7,5,4,3,2,1,6");
	g_assert_cmpuint(ml->keys[0]->len, ==, 0); /* keys go with their order */
	message_list_free(&ml);
}

static int
cmp_date_desc(gconstpointer a, gconstpointer b)
{
	const guint32 *x = a, *y = b; /* uid, date */

	if (x[1] != y[1])
		return x[1] > y[1] ? -1 : 1;
	return x[0] > y[0] ? -1 : x[0] < y[0];
}

/* Batches in any order merge to what one sort gives. */
static void
test_list_merge_batches(void)
{
	struct message_list *ml = message_list_new();
	GRand *r = g_rand_new_with_seed(11);
	GArray *want = g_array_new(FALSE, FALSE, sizeof(guint32) * 2);
	guint32 uid = 1;

	while (uid < 5000) {
		guint n = g_rand_int_range(r, 1, 400);

		for (guint i = 0; i < n; i++, uid++) {
			guint32 rec[2] = { uid, g_rand_int_range(r, 0, 1000) };

			add_from(ml, uid, rec[1], "x", "x@x", "s");
			g_array_append_val(want, rec);
		}
		message_list_refresh(ml);
	}
	g_array_sort(want, cmp_date_desc);
	g_assert_cmpuint(ml->view->len, ==, want->len);
	for (guint i = 0; i < want->len; i++)
		g_assert_cmpuint(((struct msg *)ml->view->pdata[i])->uid, ==,
				 ((guint32 *)(void *)want->data)[i * 2]);
	g_array_free(want, TRUE);
	g_rand_free(r);
	message_list_free(&ml);
}

/* The view kept across refreshes (only the rows after the first message
 * that moved are made again) is what a view made from nothing is: batches
 * that go at the end, overlap it a little, or land anywhere, under a
 * filter and with hidden messages. */
static void
test_list_merge_view(void)
{
	struct message_list *ml = message_list_new();
	GRand *r = g_rand_new_with_seed(17);
	GArray *shown = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 uid = 1;
	gint64 date = 1000000;

	for (guint32 u = 1; u < 7000; u++) /* every UID the loop below adds */
		if (u % 3 != 0)
			g_array_append_val(shown, u);
	message_list_set_filter(ml, shown);
	while (uid < 6000) {
		guint n = g_rand_int_range(r, 1, 300);
		int kind = g_rand_int_range(r, 0, 3);

		for (guint i = 0; i < n; i++, uid++) {
			/* older and older (the load), with some overlap, or anywhere */
			gint64 d = kind == 2 ? g_rand_int_range(r, 0, 1000000) :
					       date - g_rand_int_range(r, 0, kind == 1 ? 500 : 1);
			date -= 100;
			add_from(ml, uid, d, "x", "x@x", "s");
		}
		/* now and then a batch hides one (a full rebuild) */
		if (g_rand_int_range(r, 0, 5) == 0)
			message_list_set_hidden(ml, message_list_get(ml, uid - 1), true);
		message_list_refresh(ml);
		{
			GPtrArray *want = g_ptr_array_new();

			for (guint i = 0; i < ml->all->len; i++) {
				struct msg *m = ml->all->pdata[i];

				if (i > 0) {
					const struct msg *p = ml->all->pdata[i - 1];

					g_assert_true(p->date > m->date ||
						      (p->date == m->date && p->uid > m->uid));
				}
				if (!m->hidden && m->uid % 3 != 0)
					g_ptr_array_add(want, m);
			}
			g_assert_cmpuint(ml->view->len, ==, want->len);
			for (guint i = 0; i < want->len; i++)
				g_assert_true(ml->view->pdata[i] == want->pdata[i]);
			g_ptr_array_free(want, TRUE);
		}
	}
	g_array_free(shown, TRUE);
	g_rand_free(r);
	message_list_free(&ml);
}

static void
test_list_prune(void)
{
	struct message_list *ml = message_list_new();

	for (guint32 u = 1; u <= 10; u++)
		add_from(ml, u, u, "x", "x@x", "s");
	message_list_set_tagged(ml, message_list_get(ml, 3), true);
	message_list_refresh(ml);
	message_list_select_row(ml, 7); /* uid 3 */
	message_list_unmark_all(ml);
	/* the walk meets the even ones; 11 arrives meanwhile */
	for (guint32 u = 2; u <= 10; u += 2)
		message_list_mark(ml, message_list_get(ml, u));
	add_from(ml, 11, 11, "x", "x@x", "s");
	g_assert_cmpuint(message_list_remove_unmarked(ml), ==, 5);
	g_assert_cmpuint(message_list_size(ml), ==, 6);
	g_assert_cmpuint(ml->total, ==, 6);
	g_assert_cmpuint(ml->unread, ==, 6);
	g_assert_cmpuint(ml->tagged, ==, 0);
	g_assert_null(message_list_get(ml, 3));
	message_list_refresh(ml);
	assert_view(ml, "11,10,8,6,4,2");
	g_assert_cmpuint(ml->sel->uid, ==, 2); /* its row went to the last one */
	g_assert_cmpuint(message_list_remove_unmarked(ml), ==, 0);
	/* the records come back once each */
	for (guint32 u = 21; u <= 25; u++)
		add_from(ml, u, u, "y", "y@x", "s");
	g_assert_cmpuint(ml->used, ==, 11);
	g_assert_cmpuint(message_list_size(ml), ==, 11);
	message_list_refresh(ml);
	assert_view(ml, "25,24,23,22,21,11,10,8,6,4,2");
	message_list_clear(ml);
	g_assert_cmpuint(message_list_size(ml), ==, 0);
	g_assert_null(message_list_get(ml, 2));
	add_from(ml, 2, 2, "x", "x@x", "s");
	message_list_refresh(ml);
	assert_view(ml, "2");
	message_list_free(&ml);
}

/* message_list_remove_many(): the listed ones go (unknown and repeated UIDs
 * skipped), counts and the tag count follow, the view keeps the others,
 * some of which wait in the pending batch, and the records come back. */
static void
test_list_remove_many(void)
{
	struct message_list *ml = message_list_new();
	static const guint32 gone[] = { 9, 3, 99, 3, 5, 1 };

	for (guint32 u = 1; u <= 10; u++)
		add_from(ml, u, u, "x", "x@x", "s");
	message_list_set_tagged(ml, message_list_get(ml, 3), true);
	message_list_set_tagged(ml, message_list_get(ml, 4), true);
	message_list_refresh(ml);
	add_from(ml, 11, 11, "x", "x@x", "s"); /* pending, not in the view yet */
	add_from(ml, 12, 12, "x", "x@x", "s");
	message_list_remove_many(ml, gone, TERN_ARRAY_LEN(gone));
	message_list_remove_many(ml, (const guint32[]){ 12 }, 1);
	g_assert_cmpuint(message_list_size(ml), ==, 7);
	g_assert_cmpuint(ml->total, ==, 7);
	g_assert_cmpuint(ml->unread, ==, 7);
	g_assert_cmpuint(ml->tagged, ==, 1);
	g_assert_null(message_list_get(ml, 3));
	g_assert_nonnull(message_list_get(ml, 4));
	message_list_refresh(ml);
	assert_view(ml, "11,10,8,7,6,4,2");
	for (guint32 u = 21; u <= 25; u++)
		add_from(ml, u, u, "y", "y@x", "s");
	g_assert_cmpuint(ml->used, ==, 12);
	message_list_refresh(ml);
	assert_view(ml, "25,24,23,22,21,11,10,8,7,6,4,2");
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
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 1)), ==, "");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 2)), ==, "├─>");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 4)), ==, "│ └─>");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 5)), ==, "└─>");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 6)), ==, "└─>");
	message_list_free(&ml);
}

/* The threaded view waits MESSAGE_LIST_THREAD_INTERVAL between rebuilds
 * while messages stream in, but not while it does not fill the screen:
 * a first screen whose summaries come in two batches shows both at once
 * (they waited 0.7 s). */
static void
test_thread_first_screen(void)
{
	struct message_list *ml = message_list_new();

	message_list_set_threaded(ml, true);
	message_list_scroll(ml, 10);
	add(ml, 1, 100, 0, "Plan", "<a@x>", NULL);
	add(ml, 2, 200, 0, "Re: Plan", "<b@x>", "<a@x>");
	g_assert_false(message_list_refresh(ml));
	assert_view(ml, "1,2");
	/* the second batch: the view is shorter than the screen */
	add(ml, 3, 300, 0, "Other", "<c@x>", NULL);
	g_assert_false(message_list_refresh(ml));
	assert_view(ml, "3,1,2");
	/* a screenful shown: additions wait for the interval again */
	for (guint32 u = 10; u < 20; u++) {
		char mid[32];

		g_snprintf(mid, sizeof(mid), "<m%u@x>", u);
		add(ml, u, 1000 + u, 0, "Busy", mid, NULL);
	}
	g_assert_false(message_list_refresh(ml));
	g_assert_cmpuint(ml->view->len, ==, 13);
	add(ml, 30, 5000, 0, "Late", "<late@x>", NULL);
	g_assert_true(message_list_refresh(ml));
	g_assert_cmpuint(ml->view->len, ==, 13);
	message_list_free(&ml);
}

static void
add_irt(struct message_list *ml, guint32 uid, gint64 date, const char *subject, const char *mid,
	const char *irt)
{
	struct imap_summary s = { 0 };

	s.uid = uid;
	s.date = date;
	s.subject = (char *)subject;
	s.message_id = (char *)mid;
	s.in_reply_to = (char *)irt;
	g_assert_nonnull(message_list_add(ml, &s));
}

static void
test_thread_in_reply_to(void)
{
	struct message_list *ml = message_list_new();

	add_irt(ml, 1, 100, "Start", "<a@x>", NULL);
	add_irt(ml, 2, 200, "Re: Start", "<b@x>", "<a@x>");
	/* References win over In-Reply-To; the missing <m@x> is skipped */
	add(ml, 3, 300, 0, "Re: Start", "<c@x>", "<a@x> <m@x>");
	add_irt(ml, 4, 400, "Other", "<d@x>", "<nowhere@x>");
	add_irt(ml, 5, 500, "Re: Start", "<e@x>", "<b@x>");
	message_list_set_threaded(ml, true);
	message_list_refresh(ml);
	assert_view(ml, "1,2,5,3,4");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 2)), ==, "├─>");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 5)), ==, "│ └─>");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 3)), ==, "└─>");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 4)), ==, "");
	/* removal: the reply to 2 hangs from the root then */
	message_list_remove(ml, 2);
	message_list_refresh(ml);
	assert_view(ml, "1,3,5,4");
	message_list_free(&ml);
}

/* A References longer than what is kept: its tail (the parent) counts. */
static void
test_thread_long_references(void)
{
	struct message_list *ml = message_list_new();
	GString *refs = g_string_new(NULL);

	add(ml, 1, 100, 0, "Root", "<root@x>", NULL);
	add(ml, 2, 200, 0, "Other", "<other@x>", NULL);
	/* 500 ancestors nobody has (about 14 KB), then the real parent */
	for (int i = 0; i < 500; i++)
		g_string_append_printf(refs, "<gone-%d@somewhere.example> ", i);
	g_string_append(refs, "<root@x>");
	add(ml, 3, 300, 0, "Zzz", "<reply@x>", refs->str);
	message_list_set_threaded(ml, true);
	message_list_refresh(ml);
	assert_view(ml, "1,3,2");
	g_assert_cmpstr(message_list_tree(ml, message_list_get(ml, 3)), ==, "└─>");
	g_string_free(refs, TRUE);
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
	g_assert_cmpuint(g_utf8_strlen(message_list_tree(ml, message_list_get(ml, 20009)), -1), <=,
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
	/* a folded folder counts the unread inside it (Lists/tern-devel: 5) */
	g_assert_cmpint(folder_tree_unseen_below(folder_tree_find(t, "Lists")), ==, 5);
	g_assert_cmpint(folder_tree_unseen_below(folder_tree_find(t, "Zeta")), ==, 0);
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
	/* anywhere in the path: one match is taken whole */
	c = folder_tree_complete(t, "DEVEL", matches);
	g_assert_cmpstr(c, ==, "Lists/tern-devel");
	g_assert_cmpuint(matches->len, ==, 1);
	g_free(c);
	g_ptr_array_set_size(matches, 0);
	/* several, some only inside: the text stays, those starting with it first */
	c = folder_tree_complete(t, "t", matches);
	g_assert_cmpstr(c, ==, "t");
	g_assert_cmpuint(matches->len, ==, 5);
	g_assert_cmpstr(matches->pdata[0], ==, "Trash");
	g_assert_cmpstr(matches->pdata[1], ==, "Sent");
	g_free(c);
	g_ptr_array_set_size(matches, 0);
	/* a parent's path lists its children */
	c = folder_tree_complete(t, "projects/", matches);
	g_assert_cmpstr(c, ==, "Projects/2026/Q4");
	g_free(c);
	g_ptr_array_set_size(matches, 0);
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
	g_test_add_func("/tui/layout/panes", test_layout_panes);
	g_test_add_func("/tui/keymap/defaults", test_keymap_defaults);
	g_test_add_func("/tui/keymap/overrides", test_keymap_overrides);
	g_test_add_func("/tui/keymap/contexts", test_keymap_contexts);
	g_test_add_func("/tui/list/merge", test_list_merge);
	g_test_add_func("/tui/list/hide-selects-next", test_list_hide_selects_next);
	g_test_add_func("/tui/list/filter-sort-unread", test_list_filter_sort_unread);
	g_test_add_func("/tui/list/scroll", test_list_scroll);
	text_set_header_decoder(fake_decoder);
	g_test_add_func("/tui/list/strtab", test_strtab);
	g_test_add_func("/tui/list/uid-lookup", test_list_uid_lookup);
	g_test_add_func("/tui/list/fields", test_list_fields);
	g_test_add_func("/tui/list/sort-from", test_list_sort_from);
	g_test_add_func("/tui/list/merge-batches", test_list_merge_batches);
	g_test_add_func("/tui/list/merge-view", test_list_merge_view);
	g_test_add_func("/tui/list/prune", test_list_prune);
	g_test_add_func("/tui/list/remove-many", test_list_remove_many);
	g_test_add_func("/tui/thread/basic", test_thread_basic);
	g_test_add_func("/tui/thread/first-screen", test_thread_first_screen);
	g_test_add_func("/tui/thread/in-reply-to", test_thread_in_reply_to);
	g_test_add_func("/tui/thread/long-references", test_thread_long_references);
	g_test_add_func("/tui/thread/hostile", test_thread_hostile);
	g_test_add_func("/tui/thread/base-subject", test_base_subject);
	g_test_add_func("/tui/folders/tree", test_folder_tree);
	return g_test_run();
}

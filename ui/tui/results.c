/* tern — ui/tui/results: the `/` prompt's all-folders scope (#16 "Search
 * everywhere"). The search runs on a second connection of its own, so the
 * open folder stays selected on the first: LIST, then for each selectable
 * folder EXAMINE, UID SEARCH and the matches' summaries, one folder after
 * the other. The matches stream into one list drawn in the list pane,
 * newest first, with a folder column. Enter opens one in its folder (the
 * folder opens as from the folder pane; the message is selected and
 * opened once it is listed); acting on a result in place (flag, move,
 * delete, tag) is refused with a message naming the way round: open it.
 *
 * This file owns t->results and everything in it; the others ask
 * results_active() and hand it keys and the pane to draw. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/model/query.h"
#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* Matches kept in all (the rest are counted, not listed). */
#define RESULTS_MAX 10000
/* A folder column wider than this is cut. */
#define RESULTS_FOLDER_COLS 20

struct result {
	char *folder;  /* decoded name */
	guint32 uid;
	gint64 date;
	char *from;    /* decoded, sanitised */
	char *subject; /* decoded, sanitised */
};

struct results {
	struct tui *t;
	struct imap_client *client; /* owned: freed before the rest */
	GPtrArray *tokens;          /* the query's IMAP criteria */
	bool utf8;
	GPtrArray *folders;         /* char *: still to search */
	char *current;              /* being searched, or NULL */
	GArray *rows;               /* struct result, newest first */
	guint sel, top;
	guint searched, failed, dropped;
	bool done;
	/* Enter: the message to select once its folder lists it */
	char *open_folder;
	guint32 open_uid;
};

static void next_folder(struct results *r);

static void
result_clear(gpointer p)
{
	struct result *x = p;

	g_free(x->folder);
	g_free(x->from);
	g_free(x->subject);
}

bool
results_active(struct tui *t)
{
	return t->results != NULL;
}

void
results_free(struct tui *t)
{
	struct results *r = t->results;

	if (r == NULL)
		return;
	t->results = NULL;
	if (r->client != NULL)
		imap_client_free(&r->client); /* nothing of ours fires after this */
	if (r->tokens != NULL)
		g_ptr_array_unref(r->tokens);
	if (r->folders != NULL)
		g_ptr_array_unref(r->folders);
	g_free(r->current);
	g_array_unref(r->rows);
	g_free(r->open_folder);
	g_free(r);
}

static void
finish(struct results *r, const char *error)
{
	struct tui *t = r->t;

	r->done = true;
	g_clear_pointer(&r->current, g_free);
	if (error != NULL)
		tui_error(t, _("All folders: %s"), error);
	else if (r->failed > 0)
		tui_error(t, ngettext("%u match in %u folders; %u folder could not be searched.",
				      "%u matches in %u folders; %u folders could not be searched.",
				      r->rows->len),
			  r->rows->len, r->searched, r->failed);
	else
		tui_info(t, ngettext("%u match in %u folders.", "%u matches in %u folders.",
				     r->rows->len),
			 r->rows->len, r->searched);
	tui_dirty(t);
}

/* Newest first: where a message of this date goes. */
static guint
insert_pos(GArray *rows, gint64 date)
{
	guint lo = 0, hi = rows->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (g_array_index(rows, struct result, mid).date >= date)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *
shown(const char *raw)
{
	char *dec = text_decode_header_utf8(raw != NULL ? raw : "");
	char *s = text_sanitize(dec, -1, 0);

	g_free(dec);
	return s;
}

static void
add_summary(struct results *r, const struct imap_summary *s)
{
	struct result x;
	guint at;

	if (r->rows->len >= RESULTS_MAX) {
		r->dropped++;
		return;
	}
	x.folder = g_strdup(r->current);
	x.uid = s->uid;
	x.date = s->date;
	x.from = shown(s->from_name != NULL && *s->from_name != '\0' ? s->from_name :
								       s->from_addr);
	x.subject = shown(s->subject);
	at = insert_pos(r->rows, x.date);
	g_array_insert_val(r->rows, at, x);
	if (at <= r->sel && r->rows->len > 1 && r->sel + 1 < r->rows->len)
		r->sel++; /* the selection stays on its message */
}

static void
summaries_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct results *r = ud;

	(void)c;
	for (guint i = 0; i < n; i++)
		add_summary(r, &batch[i]);
	tui_dirty(r->t);
}

static void
summaries_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct results *r = ud;

	(void)c;
	(void)detail;
	if (st != TERN_OK)
		r->failed++;
	next_folder(r);
}

static void
search_done(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	    void *ud)
{
	struct results *r = ud;
	GString *set;

	(void)detail;
	if (st != TERN_OK || uids == NULL || uids->len == 0) {
		if (st != TERN_OK)
			r->failed++;
		next_folder(r);
		return;
	}
	set = g_string_new(NULL);
	for (guint i = 0; i < uids->len; i++)
		g_string_append_printf(set, "%s%u", i > 0 ? "," : "",
				       g_array_index(uids, guint32, i));
	imap_client_fetch_summaries(c, set->str, summaries_batch, summaries_done, r);
	g_string_free(set, TRUE);
}

static void
select_done(struct imap_client *c, enum tern_status st, const char *detail,
	    const struct imap_mailbox_info *info, void *ud)
{
	struct results *r = ud;

	(void)detail;
	(void)info;
	if (st == TERN_ERR_CONN) {
		finish(r, detail);
		return;
	}
	if (st != TERN_OK) {
		r->failed++; /* an unreadable folder is skipped */
		next_folder(r);
		return;
	}
	imap_client_search(c, r->tokens, r->utf8, search_done, r);
}

static void
next_folder(struct results *r)
{
	g_clear_pointer(&r->current, g_free);
	if (r->folders->len == 0) {
		finish(r, NULL);
		return;
	}
	r->current = g_ptr_array_steal_index(r->folders, 0);
	r->searched++;
	imap_client_select(r->client, r->current, true, select_done, r);
	tui_dirty(r->t);
}

static void
folders_done(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *folders,
	     void *ud)
{
	struct results *r = ud;

	(void)c;
	if (st != TERN_OK) {
		finish(r, detail);
		return;
	}
	for (guint i = 0; i < folders->len; i++) {
		const struct imap_folder *f = folders->pdata[i];

		if (!(f->attrs & IMAP_FOLDER_NOSELECT))
			g_ptr_array_add(r->folders, g_strdup(f->name));
	}
	next_folder(r);
}

static void
connect_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct results *r = ud;

	if (st != TERN_OK) {
		finish(r, detail);
		return;
	}
	imap_client_list_folders(c, false, folders_done, r);
}

void
results_start(struct tui *t, const char *text)
{
	struct query *q = NULL;
	GError *err = NULL;
	const char *secret = NULL;
	struct results *r;

	if (query_parse(text, &q, &err) < 0) {
		tui_error(t, _("Search: %s"), err->message);
		g_error_free(err);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY || tui_secret_get(t, &secret) < 0) {
		tui_error(t, _("Searching all folders needs the server."));
		query_free(&q);
		return;
	}
	results_free(t);
	r = g_new0(struct results, 1);
	r->t = t;
	r->tokens = query_to_imap(q);
	r->utf8 = query_needs_utf8(q);
	query_free(&q);
	r->folders = g_ptr_array_new_with_free_func(g_free);
	r->rows = g_array_new(FALSE, TRUE, sizeof(struct result));
	g_array_set_clear_func(r->rows, result_clear);
	r->client = imap_client_new(t->account, secret, NULL, r);
	t->results = r;
	t->focus = PANE_LIST;
	imap_client_connect(r->client, connect_done, r);
	tui_info(t, _("Searching all folders…"));
	tui_dirty(t);
}

/* ---- the pane ------------------------------------------------------------- */

static void
draw_result(struct tui *t, const struct result *x, int y, const struct tui_rect *rc, attr_t a)
{
	int x0 = rc->x, end = rc->x + rc->w;
	int from_w = CLAMP(rc->w / 5, 8, 20);
	GDateTime *d = g_date_time_new_from_unix_local(x->date);
	char *date = d != NULL ? g_date_time_format(d, "%Y-%m-%d") : g_strdup("");
	char *folder = text_sanitize(x->folder, -1, 0);

	(void)t;
	draw_fill(y, x0, rc->w, a);
	if (x0 < end) {
		draw_text(y, x0, MIN(RESULTS_FOLDER_COLS, end - x0), folder, a);
		x0 += RESULTS_FOLDER_COLS + 1;
	}
	if (x0 < end) {
		draw_text(y, x0, MIN(10, end - x0), date, a);
		x0 += 11;
	}
	if (x0 < end) {
		draw_text(y, x0, MIN(from_w, end - x0), x->from, a);
		x0 += from_w + 1;
	}
	if (x0 < end)
		draw_text(y, x0, end - x0, *x->subject != '\0' ? x->subject : _("(no subject)"), a);
	g_free(folder);
	g_free(date);
	if (d != NULL)
		g_date_time_unref(d);
}

void
results_draw(struct tui *t, const struct tui_rect *rc, bool focused)
{
	struct results *r = t->results;
	int h = rc->h - 1;
	char *head;

	if (r->current != NULL)
		head = g_strdup_printf(_("All folders: %u found, searching %s… (Esc closes)"),
				       r->rows->len, r->current);
	else
		head = g_strdup_printf(_("All folders: %u found (Enter opens, Esc closes)"),
				       r->rows->len);
	{
		char *safe = text_sanitize(head, -1, 0);

		draw_text(rc->y, rc->x, rc->w, safe, t->attrs[COLOR_INFO]);
		g_free(safe);
	}
	g_free(head);
	if (h <= 0)
		return;
	if (r->sel < r->top)
		r->top = r->sel;
	if (r->sel >= r->top + (guint)h)
		r->top = r->sel - (guint)h + 1;
	for (int i = 0; i < h && r->top + (guint)i < r->rows->len; i++) {
		guint row = r->top + (guint)i;
		attr_t a = A_NORMAL;

		if (row == r->sel)
			a = t->attrs[focused ? COLOR_SELECTION : COLOR_SELECTION_INACTIVE];
		draw_result(t, &g_array_index(r->rows, struct result, row), rc->y + 1 + i, rc, a);
	}
}

/* ---- keys ----------------------------------------------------------------- */

static void
move_sel(struct results *r, gssize delta)
{
	gssize to = (gssize)r->sel + delta;

	if (r->rows->len == 0)
		return;
	r->sel = (guint)CLAMP(to, 0, (gssize)r->rows->len - 1);
}

static void
open_result(struct tui *t)
{
	struct results *r = t->results;
	const struct result *x;
	char *folder;
	guint32 uid;

	if (r->sel >= r->rows->len) {
		tui_error(t, _("No message selected."));
		return;
	}
	x = &g_array_index(r->rows, struct result, r->sel);
	folder = g_strdup(x->folder);
	uid = x->uid;
	results_free(t); /* from the loop: a key, not a callback of its client */
	g_free(t->open_folder);
	t->open_folder = folder;
	t->open_uid = uid;
	conn_open_folder(t, folder); /* may list it at once (the cache) */
	folder_tree_select_name(t->folders, folder);
	results_listed(t);
}

void
results_folder_opening(struct tui *t, const char *name)
{
	results_free(t);
	if (name == NULL || g_strcmp0(name, t->open_folder) != 0)
		g_clear_pointer(&t->open_folder, g_free);
}

/* A folder's messages were listed (shown from the cache or loaded): the
 * message Enter chose in the results, when there, is selected and opened. */
void
results_listed(struct tui *t)
{
	if (t->open_folder == NULL || g_strcmp0(t->folder, t->open_folder) != 0)
		return;
	if (message_list_select_uid(t->list, t->open_uid)) {
		g_clear_pointer(&t->open_folder, g_free);
		viewer_open(t, t->list->sel);
		t->focus = PANE_VIEWER;
		tui_relayout(t);
	}
}

/* A key while the results are shown in the list pane. True when handled
 * here (the rest, quitting and help and panes, go on as usual). */
bool
results_key(struct tui *t, enum action a)
{
	struct results *r = t->results;

	switch (a) {
	case ACTION_DOWN: move_sel(r, 1); break;
	case ACTION_UP: move_sel(r, -1); break;
	case ACTION_PAGE_DOWN: move_sel(r, (gssize)MAX(t->lay.list.h - 2, 1)); break;
	case ACTION_PAGE_UP: move_sel(r, -(gssize)MAX(t->lay.list.h - 2, 1)); break;
	case ACTION_TOP: move_sel(r, -(gssize)r->rows->len); break;
	case ACTION_BOTTOM: move_sel(r, (gssize)r->rows->len); break;
	case ACTION_OPEN: open_result(t); break;
	case ACTION_BACK:
	case ACTION_CLEAR:
		results_free(t);
		tui_info(t, _("Showing every message."));
		break;
	case ACTION_QUIT:
	case ACTION_HELP:
	case ACTION_SEARCH:
	case ACTION_NEXT_PANE:
	case ACTION_PANE_LEFT:
	case ACTION_PANE_RIGHT:
	case ACTION_FOLDER_PANE:
	case ACTION_REDRAW:
	case ACTION_SUSPEND:
	case ACTION_NONE:
		return false;
	default:
		tui_error(t, _("All-folder results: only opening works here; open the message "
			       "(Enter) to flag, move or delete it in its folder."));
		break;
	}
	tui_dirty(t);
	return true;
}

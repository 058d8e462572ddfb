/* tern — ui/tui/results: the `/` prompt's all-folders scope (#16 "Search
 * everywhere"). The search runs on a second connection of its own, so the
 * open folder stays selected on the first: LIST, then every selectable
 * folder's EXAMINE, UID SEARCH and the matches' summaries, pipelined
 * (core/imap/search-all.c). The matches stream into one list drawn in the list pane,
 * newest first, with a folder column. Enter opens one in its folder (the
 * folder opens as from the folder pane; the message is selected and
 * opened once it is listed). Once the search is done, F, m and d act on
 * the selected result (or, after ;, the tagged ones) in place, on the same
 * second connection (SELECT each folder, then UID STORE or UID MOVE), one
 * change at a time; the rest (reply, pipe...) is refused with a message
 * naming the way round: open it.
 *
 * This file owns t->results and everything in it; the others ask
 * results_active() and hand it keys and the pane to draw. */
#include "config.h"
#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/query.h"
#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* Matches kept in all, the newest (the rest are counted, not listed). */
#define RESULTS_MAX 10000
/* A folder column wider than this is cut. */
#define RESULTS_FOLDER_COLS 20

struct result {
	char *folder;  /* decoded name */
	guint32 uid;
	guint flags;   /* IMAP_FLAG_*, as the server confirmed */
	bool tagged;
	gint64 date;
	char *from;    /* decoded, sanitised */
	char *subject; /* decoded, sanitised */
	bool local;    /* from the cache, the server's search of its folder not in yet */
};

struct results {
	struct tui *t;
	struct imap_client *client; /* owned: freed before the rest */
	GPtrArray *tokens;          /* the query's IMAP criteria */
	bool utf8;
	GPtrArray *folders;         /* char *: every folder searched */
	struct imap_search_all *sa; /* the search, until results_free() */
	char *current;              /* the folder that answered last, or NULL */
	GArray *rows;               /* struct result, newest first */
	guint sel, top;
	bool moved;                 /* the user moved the selection */
	guint searched, failed, dropped;
	guint tagged;               /* rows tagged */
	bool done;
	bool prefix;                /* ; was pressed: the next change is for the tagged */
	struct act *act;            /* the change in flight on a result, or NULL */
};

/* A change to some results (F, m, d; with ; every tagged one), on the
 * results' connection: one folder at a time (SELECT, then one UID STORE
 * or UID MOVE for its messages). */
struct act {
	GPtrArray *groups; /* struct group *: a folder and its UIDs */
	guint at;          /* the group in flight */
	guint count;       /* messages changed so far */
	char *dest;        /* move: the folder; NULL: flag */
	bool add;          /* flag: set (else clear) \Flagged */
};

struct group {
	char *folder;
	GArray *uids; /* guint32 */
};

static void
group_free(gpointer p)
{
	struct group *g = p;

	g_free(g->folder);
	g_array_unref(g->uids);
	g_free(g);
}

static void
act_free(struct act **ap)
{
	struct act *a = *ap;

	if (a == NULL)
		return;
	*ap = NULL;
	g_ptr_array_unref(a->groups);
	g_free(a->dest);
	g_free(a);
}

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
	imap_search_all_free(&r->sa);
	if (r->tokens != NULL)
		g_ptr_array_unref(r->tokens);
	if (r->folders != NULL)
		g_ptr_array_unref(r->folders);
	g_free(r->current);
	g_array_unref(r->rows);
	act_free(&r->act); /* its callback will not come: the client is gone */
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
add_summary(struct results *r, const char *folder, const struct imap_summary *s, bool local)
{
	struct result x = { 0 };
	guint at;

	if (r->rows->len >= RESULTS_MAX) {
		/* full: the newest are kept, the oldest counted */
		r->dropped++;
		if (s->date <= g_array_index(r->rows, struct result, r->rows->len - 1).date)
			return;
		g_array_remove_index(r->rows, r->rows->len - 1);
	}
	x.folder = g_strdup(folder);
	x.uid = s->uid;
	x.flags = s->flags;
	x.date = s->date;
	x.from = shown(s->from_name != NULL && *s->from_name != '\0' ? s->from_name :
								       s->from_addr);
	x.subject = shown(s->subject);
	x.local = local;
	at = insert_pos(r->rows, x.date);
	g_array_insert_val(r->rows, at, x);
	/* once moved, the selection stays on its message; until then it
	 * stays on the top row, the newest (the cache's first answer comes
	 * in another order than the server's) */
	if (r->moved && at <= r->sel && r->rows->len > 1 && r->sel + 1 < r->rows->len)
		r->sel++;
}

static void
found(const char *folder, const struct imap_summary *batch, guint n, void *ud)
{
	struct results *r = ud;

	g_free(r->current);
	r->current = g_strdup(folder);
	for (guint i = 0; i < n; i++)
		add_summary(r, folder, &batch[i], false);
	tui_dirty(r->t);
}

static int
cmp_u32(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

/* The server's matches of a folder replace the cache's first answer:
 * a listed match it confirms stays (and is not fetched again), one it
 * does not leaves the list. */
static void
merge_local(struct results *r, const char *folder, GArray *uids)
{
	GHashTable *listed = g_hash_table_new(NULL, NULL);
	guint kept = 0;

	for (guint i = 0; i < r->rows->len;) {
		struct result *x = &g_array_index(r->rows, struct result, i);

		if (!x->local || strcmp(x->folder, folder) != 0) {
			i++;
		} else if (bsearch(&x->uid, uids->data, uids->len, sizeof(guint32), cmp_u32)) {
			x->local = false;
			g_hash_table_add(listed, GUINT_TO_POINTER(x->uid));
			i++;
		} else {
			g_array_remove_index(r->rows, i);
			if (r->sel > i)
				r->sel--;
		}
	}
	if (r->sel >= r->rows->len)
		r->sel = r->rows->len > 0 ? r->rows->len - 1 : 0;
	for (guint i = 0; i < uids->len; i++) {
		guint32 uid = g_array_index(uids, guint32, i);

		if (!g_hash_table_contains(listed, GUINT_TO_POINTER(uid)))
			g_array_index(uids, guint32, kept++) = uid;
	}
	g_array_set_size(uids, kept);
	g_hash_table_unref(listed);
}

/* The server's matches of a folder: what the cache listed is kept where
 * the server confirms it, what the cache holds exactly is listed from
 * it, and the search fetches the rest. */
static void
matched(const char *folder, const struct imap_mailbox_info *info, GArray *uids, void *ud)
{
	struct results *r = ud;
	GArray *sums;

	merge_local(r, folder, uids);
	tui_dirty(r->t);
	sums = uids->len > 0 ? cache_exact_summaries(r->t, folder, info, uids) : NULL;

	if (sums == NULL)
		return;
	for (guint i = 0; i < sums->len; i++) {
		add_summary(r, folder, &g_array_index(sums, struct imap_summary, i), false);
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	}
	g_array_unref(sums);
	tui_dirty(r->t);
}

static void
folder_failed(const char *folder, const char *detail, void *ud)
{
	struct results *r = ud;

	(void)folder;
	(void)detail;
	r->failed++; /* an unreadable folder is skipped */
}

static void
search_done(enum tern_status st, const char *detail, void *ud)
{
	struct results *r = ud;

	r->searched = r->folders->len;
	finish(r, st != TERN_OK ? detail : NULL);
}

static void
local_found(const char *folder, const struct imap_summary *s, void *ud)
{
	add_summary(ud, folder, s, true);
}

static const struct imap_search_all_ops ops = { .matched = matched,
						 .found = found,
						 .failed = folder_failed,
						 .done = search_done };

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
	if (r->folders->len == 0) {
		finish(r, NULL);
		return;
	}
	r->current = g_strdup(r->folders->pdata[0]);
	r->sa = imap_search_all_start(c, (const char *const *)r->folders->pdata, r->folders->len,
				      r->tokens, r->utf8, RESULTS_MAX, &ops, r);
	tui_dirty(r->t);
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
	r->folders = g_ptr_array_new_with_free_func(g_free);
	r->rows = g_array_new(FALSE, TRUE, sizeof(struct result));
	g_array_set_clear_func(r->rows, result_clear);
	r->client = imap_client_new(t->account, secret, NULL, r);
	t->results = r;
	cache_search_all(t, q, local_found, r); /* the cache's answer, at once */
	query_free(&q);
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
	char flags[4] = { x->tagged ? '*' : ' ', x->flags & IMAP_FLAG_SEEN ? ' ' : 'N',
			  x->flags & IMAP_FLAG_FLAGGED ? 'F' : ' ', '\0' }; /* as the list's */

	draw_fill(y, x0, rc->w, a);
	x0 += draw_text_at(y, x0, MIN(3, end - x0), flags, a) + 1;
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
	else if (!r->done)
		head = g_strdup(_("All folders: connecting… (Esc closes)"));
	else
		head = g_strdup_printf(_("All folders: %u found (Enter opens, Esc closes)"),
				       r->rows->len);
	if (r->dropped > 0) {
		char *more = g_strdup_printf(_("%s; %u older not listed"), head, r->dropped);

		g_free(head);
		head = more;
	}
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
	r->moved = true;
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

/* ---- changes in place ----------------------------------------------------- */

static gssize
find_row(struct results *r, const char *folder, guint32 uid)
{
	for (guint i = 0; i < r->rows->len; i++) {
		const struct result *x = &g_array_index(r->rows, struct result, i);

		if (x->uid == uid && strcmp(x->folder, folder) == 0)
			return (gssize)i;
	}
	return -1;
}

/* The group in flight went through: its rows follow. */
static void
group_applied(struct results *r, const struct group *g)
{
	for (guint i = 0; i < g->uids->len; i++) {
		gssize row = find_row(r, g->folder, g_array_index(g->uids, guint32, i));
		struct result *x;

		if (row < 0)
			continue;
		x = &g_array_index(r->rows, struct result, row);
		if (r->act->dest == NULL) {
			x->flags = r->act->add ? x->flags | IMAP_FLAG_FLAGGED :
						 x->flags & ~(guint)IMAP_FLAG_FLAGGED;
			continue;
		}
		if (x->tagged)
			r->tagged--;
		g_array_remove_index(r->rows, (guint)row);
		if (((guint)row < r->sel || r->sel >= r->rows->len) && r->sel > 0)
			r->sel--; /* the selection stays on its message */
	}
	r->act->count += g->uids->len;
}

static void act_next(struct results *r);

/* One group answered: on to the next, or an error ends the change (what
 * went through stays done, the rows showing it). */
static void
group_done(struct results *r, enum tern_status st, const char *detail)
{
	struct group *g = r->act->groups->pdata[r->act->at];

	if (st != TERN_OK) {
		tui_error(r->t, _("%s: %s"), g->folder, detail != NULL ? detail : "");
		act_free(&r->act);
		tui_dirty(r->t);
		return;
	}
	group_applied(r, g);
	r->act->at++;
	act_next(r);
}

static void
flag_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	(void)c;
	group_done(ud, st, detail);
}

static void
move_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_copy_result *result, void *ud)
{
	(void)c;
	(void)result;
	group_done(ud, st, detail);
}

static void
act_selected(struct imap_client *c, enum tern_status st, const char *detail,
	     const struct imap_mailbox_info *info, void *ud)
{
	struct results *r = ud;
	struct group *g = r->act->groups->pdata[r->act->at];
	static const char *const flagged[] = { "\\Flagged", NULL };

	(void)info;
	if (st != TERN_OK)
		group_done(r, st, detail);
	else if (r->act->dest == NULL)
		imap_client_store(c, g->uids, r->act->add, flagged, flag_done, r);
	else
		imap_client_copy(c, g->uids, r->act->dest, true, move_done, r);
}

static void
act_next(struct results *r)
{
	struct act *a = r->act;

	if (a->at < a->groups->len) {
		struct group *g = a->groups->pdata[a->at];

		imap_client_select(r->client, g->folder, false, act_selected, r);
		return;
	}
	if (a->dest != NULL)
		tui_info(r->t, ngettext("Moved %u message to %s.", "Moved %u messages to %s.",
					a->count),
			 a->count, a->dest);
	else if (a->add)
		tui_info(r->t, ngettext("Flagged %u message.", "Flagged %u messages.", a->count),
			 a->count);
	else
		tui_info(r->t, ngettext("Unflagged %u message.", "Unflagged %u messages.", a->count),
			 a->count);
	act_free(&r->act);
	tui_dirty(r->t);
}

/* The results a change is for: the tagged ones after ;, else the
 * selected one; NULL (and says why) when none or not now. */
static GPtrArray *
act_targets(struct tui *t)
{
	struct results *r = t->results;
	bool tagged = r->prefix;
	GPtrArray *out;

	r->prefix = false;
	if (!r->done || r->act != NULL) {
		tui_error(t, _("All-folder results: wait until the search and the last change "
			       "are done."));
		return NULL;
	}
	if (!tagged && r->sel >= r->rows->len) {
		tui_error(t, _("No message selected."));
		return NULL;
	}
	out = g_ptr_array_new();
	for (guint i = 0; i < r->rows->len; i++)
		if (tagged ? g_array_index(r->rows, struct result, i).tagged : i == r->sel)
			g_ptr_array_add(out, &g_array_index(r->rows, struct result, i));
	return out;
}

/* Start a change on targets (struct result *, transfer none): grouped by
 * folder, in the order met. */
static void
act_start(struct tui *t, GPtrArray *targets, const char *dest)
{
	struct results *r = t->results;
	struct act *a = g_new0(struct act, 1);

	a->groups = g_ptr_array_new_with_free_func(group_free);
	a->dest = g_strdup(dest);
	for (guint i = 0; i < targets->len; i++) {
		const struct result *x = targets->pdata[i];
		struct group *g = NULL;

		if (!(x->flags & IMAP_FLAG_FLAGGED))
			a->add = true; /* flag unless every one is flagged */
		for (guint j = 0; j < a->groups->len && g == NULL; j++)
			if (strcmp(((struct group *)a->groups->pdata[j])->folder, x->folder) == 0)
				g = a->groups->pdata[j];
		if (g == NULL) {
			g = g_new0(struct group, 1);
			g->folder = g_strdup(x->folder);
			g->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
			g_ptr_array_add(a->groups, g);
		}
		g_array_append_val(g->uids, x->uid);
	}
	if (dest != NULL)
		live_expect(t, dest, targets->len); /* the user's own: no new mail there */
	r->act = a;
	act_next(r);
	tui_dirty(t);
}

static void
move_prompt_done(struct tui *t, const char *text, void *ud)
{
	bool tagged = *(bool *)ud;
	GPtrArray *targets;

	if (text == NULL || *text == '\0' || t->results == NULL)
		return;
	t->results->prefix = tagged;
	if ((targets = act_targets(t)) == NULL)
		return;
	for (guint i = 0; i < targets->len; i++) {
		const struct result *x = targets->pdata[i];

		if (strcmp(text, x->folder) == 0) {
			tui_error(t, _("A message is already in %s."), x->folder);
			g_ptr_array_unref(targets);
			return;
		}
	}
	act_start(t, targets, text);
	g_ptr_array_unref(targets);
}

static void
move_prompt(struct tui *t, guint n)
{
	bool *tagged = g_new(bool, 1);
	char *label = g_strdup_printf(ngettext("Move %u message to: ", "Move %u messages to: ", n),
				      n);

	*tagged = t->results->prefix;
	t->results->prefix = false;
	prompt_start(t, PROMPT_MOVE, label, "", move_prompt_done, tagged, g_free);
	g_free(label);
}

static void
act_key(struct tui *t, enum action a)
{
	struct results *r = t->results;
	bool tagged = r->prefix;
	GPtrArray *targets = act_targets(t);
	const char *trash = conn_role_folder(t, FOLDER_ROLE_TRASH);

	if (targets == NULL)
		return;
	if (targets->len == 0) {
		tui_error(t, _("No message is tagged (t tags one, T all shown)."));
	} else if (a == ACTION_FLAG) {
		act_start(t, targets, NULL);
	} else if (a == ACTION_MOVE) {
		r->prefix = tagged; /* for the prompt's answer */
		move_prompt(t, targets->len);
	} else if (trash == NULL) { /* ACTION_DELETE: to Trash, as in a folder */
		tui_error(t, _("All-folder results: no Trash folder is known; open the message "
			       "(Enter) to delete it for good."));
	} else {
		for (guint i = 0; i < targets->len; i++)
			if (strcmp(((const struct result *)targets->pdata[i])->folder, trash) == 0) {
				tui_error(t, _("All-folder results: deleting for good is done in the "
					       "folder; open the message (Enter)."));
				g_ptr_array_unref(targets);
				return;
			}
		act_start(t, targets, trash);
	}
	g_ptr_array_unref(targets);
}

static void
tag_key(struct tui *t, enum action a)
{
	struct results *r = t->results;

	switch (a) {
	case ACTION_TAG:
		if (r->sel < r->rows->len) {
			struct result *x = &g_array_index(r->rows, struct result, r->sel);

			x->tagged = !x->tagged;
			r->tagged = x->tagged ? r->tagged + 1 : r->tagged - 1;
			move_sel(r, 1);
		}
		break;
	case ACTION_TAG_ALL:
	case ACTION_UNTAG_ALL:
		for (guint i = 0; i < r->rows->len; i++)
			g_array_index(r->rows, struct result, i).tagged = a == ACTION_TAG_ALL;
		r->tagged = a == ACTION_TAG_ALL ? r->rows->len : 0;
		break;
	default: /* ACTION_TAG_PREFIX */
		if (r->tagged == 0)
			tui_error(t, _("No message is tagged (t tags one, T all shown)."));
		else
			r->prefix = true;
		break;
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
	case ACTION_FLAG:
	case ACTION_MOVE:
	case ACTION_DELETE: act_key(t, a); break;
	case ACTION_TAG:
	case ACTION_TAG_ALL:
	case ACTION_UNTAG_ALL:
	case ACTION_TAG_PREFIX: tag_key(t, a); break;
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
		r->prefix = false;
		tui_error(t, _("All-folder results: only open, flag, move, delete and tags work "
			       "here; open the message (Enter) for the rest."));
		break;
	}
	tui_dirty(t);
	return true;
}

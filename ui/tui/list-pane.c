/* tern — ui/tui/list-pane: draws the message list.
 *
 * One row a message: a tag mark and the flags (N new, F flagged, A
 * answered, D deleted), the date, the sender (the recipient in Sent and
 * Drafts), then the subject, after the thread branch in threaded view,
 * then (dimmed) the server's preview of the text where it offers one.
 *
 * Narrow (under NARROW_COLS): the date is month and day, with the year in
 * front when the messages shown span years or are not of this year; the
 * thread branch gets at most a third of what is left for the subject, cut
 * from its left (the arrow stays). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

#define FLAGS_COLS 4
#define NARROW_COLS 60

struct columns {
	int date_w;
	int from_w;
	bool narrow;
	bool year;    /* narrow: with the year */
	bool show_to;
	bool preview; /* the preview column after the subject */
};

static char *
format_date(struct tui *t, const struct msg *m, const struct columns *c)
{
	GDateTime *dt = g_date_time_new_from_unix_local(m->date);
	const char *fmt = !c->narrow ? t->cfg->ui.date_format : c->year ? "%y-%m-%d" : "%m-%d";
	char *s;

	if (dt == NULL)
		return g_strdup("?");
	s = g_date_time_format(dt, fmt);
	g_date_time_unref(dt);
	return s != NULL ? s : g_strdup("?");
}

static void
flag_chars(const struct msg *m, char out[FLAGS_COLS + 1])
{
	out[0] = m->tagged ? '*' : ' ';
	out[1] = !(m->flags & IMAP_FLAG_SEEN) ? 'N' : ' ';
	out[2] = m->flags & IMAP_FLAG_FLAGGED ? 'F' : ' ';
	out[3] = m->flags & IMAP_FLAG_DELETED ? 'D' : m->flags & IMAP_FLAG_ANSWERED ? 'A' : ' ';
	out[4] = '\0';
}

static attr_t
row_attr(struct tui *t, const struct msg *m)
{
	attr_t a = A_NORMAL;

	if (m->flags & IMAP_FLAG_DELETED)
		a = t->attrs[COLOR_DELETED];
	else if (m->tagged)
		a = t->attrs[COLOR_TAGGED];
	else if (m->flags & IMAP_FLAG_FLAGGED)
		a = t->attrs[COLOR_FLAGGED];
	if (!(m->flags & IMAP_FLAG_SEEN))
		a |= t->attrs[COLOR_UNREAD];
	return a;
}

/* The end of s that fits in cols columns. Transfer none (points into s). */
static const char *
tail_cols(const char *s, int cols)
{
	int w = (int)text_width(s, -1);

	while (*s != '\0' && w > cols) {
		const char *next = g_utf8_next_char(s);
		char *ch = g_strndup(s, (gsize)(next - s));

		w -= (int)text_width(ch, -1);
		g_free(ch);
		s = next;
	}
	return s;
}

/* The messages shown span years, or are of another year than this one. */
static bool
spans_years(struct message_list *ml)
{
	gint64 lo = G_MAXINT64, hi = G_MININT64;
	GDateTime *now, *a, *b;
	bool years;

	for (guint i = 0; i < ml->view->len; i++) {
		const struct msg *m = ml->view->pdata[i];

		lo = MIN(lo, m->date);
		hi = MAX(hi, m->date);
	}
	if (ml->view->len == 0)
		return false;
	now = g_date_time_new_now_local();
	a = g_date_time_new_from_unix_local(lo);
	b = g_date_time_new_from_unix_local(hi);
	years = a == NULL || b == NULL || g_date_time_get_year(a) != g_date_time_get_year(b) ||
		g_date_time_get_year(b) != g_date_time_get_year(now);
	g_date_time_unref(now);
	if (a != NULL)
		g_date_time_unref(a);
	if (b != NULL)
		g_date_time_unref(b);
	return years;
}

static void
draw_row(struct tui *t, struct msg *m, int y, const struct tui_rect *r,
	 const struct columns *c, attr_t sel)
{
	char flags[FLAGS_COLS + 1];
	attr_t a = sel != A_NORMAL ? sel | (row_attr(t, m) & A_BOLD) : row_attr(t, m);
	int x = r->x, end = r->x + r->w;
	char *date = format_date(t, m, c);
	struct message_list *ml = t->list;
	const char *who = c->show_to && message_list_has_to(ml, m) ? message_list_to(ml, m) :
								     message_list_from(ml, m);
	const char *tree = ml->threaded ? message_list_tree(ml, m) : "";

	draw_fill(y, x, r->w, a);
	flag_chars(m, flags);
	x += draw_text_at(y, x, MIN(FLAGS_COLS, end - x), flags, a) + 1;
	if (x < end) {
		draw_text(y, x, MIN(c->date_w, end - x), date, a);
		x += c->date_w + 1;
	}
	if (x < end) {
		draw_text(y, x, MIN(c->from_w, end - x), who, a);
		x += c->from_w + 1;
	}
	if (x < end && *tree != '\0') {
		/* the subject first: the branch, cut from the left, gets a third */
		const char *shown = c->narrow ? tail_cols(tree, (end - x) / 3) : tree;

		x += draw_text_at(y, x, end - x, shown,
				  sel != A_NORMAL ? a : t->attrs[COLOR_THREAD_TREE]);
	}
	if (x < end) {
		const char *subj = message_list_subject(ml, m);
		const char *preview = c->preview ? message_list_preview(ml, m) : NULL;

		if (preview == NULL || *preview == '\0') {
			draw_text(y, x, end - x, *subj != '\0' ? subj : _("(no subject)"), a);
		} else {
			x += draw_text_at(y, x, end - x, *subj != '\0' ? subj : _("(no subject)"), a);
			draw_text(y, x + 2, end - x - 2, preview, a | A_DIM);
		}
	}
	g_free(date);
}

static void
compute_columns(struct tui *t, const struct tui_rect *r, struct columns *c)
{
	struct msg probe = { 0 };
	char *sample;

	c->narrow = r->w < NARROW_COLS;
	c->year = c->narrow && spans_years(t->list);
	probe.date = 1700000000; /* a wide day and month */
	sample = format_date(t, &probe, c);
	c->date_w = MIN((int)text_width(sample, -1), 24);
	g_free(sample);
	c->from_w = CLAMP(r->w / 4, 8, 24);
	c->show_to = false;
	c->preview = conn_previews_shown(t);
	if (t->folder != NULL) {
		const char *sent = conn_role_folder(t, FOLDER_ROLE_SENT);
		const char *drafts = conn_role_folder(t, FOLDER_ROLE_DRAFTS);

		c->show_to = g_strcmp0(sent, t->folder) == 0 || g_strcmp0(drafts, t->folder) == 0;
	}
}

static const char *
empty_text(struct tui *t)
{
	if (t->folder == NULL)
		return t->conn == CONN_READY ? _("No folder open.") : "";
	if (t->loading && t->list->total == 0)
		return _("Loading…");
	if (t->search != NULL)
		return _("No message matches. Esc shows all.");
	return _("No messages.");
}

void
list_pane_draw(struct tui *t, const struct tui_rect *r, bool focused)
{
	struct message_list *ml = t->list;
	struct columns c;

	if (results_active(t)) {
		results_draw(t, r, focused);
		return;
	}
	message_list_scroll(ml, (guint)r->h);
	if (ml->view->len == 0) {
		draw_text(r->y, r->x, r->w, empty_text(t), t->attrs[COLOR_INFO]);
		return;
	}
	compute_columns(t, r, &c);
	for (int i = 0; i < r->h && ml->top + (guint)i < ml->view->len; i++) {
		guint row = ml->top + (guint)i;
		attr_t sel = A_NORMAL;

		if (row == ml->sel_row)
			sel = t->attrs[focused ? COLOR_SELECTION : COLOR_SELECTION_INACTIVE];
		draw_row(t, ml->view->pdata[row], r->y + i, r, &c, sel);
	}
}

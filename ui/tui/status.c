/* tern — ui/tui/status: the status bar (account, folder, counts, view,
 * background work) and the message line (last error, info, prompt). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* What runs in the background, or NULL. Transfer full. */
static char *
background(struct tui *t)
{
	switch (t->conn) {
	case CONN_OFFLINE: {
		/* not after a refused login: that waits for $ */
		bool again = !t->g->offline && t->reconnect_timer != 0;
		guint queued = cache_queued(t);

		if (queued > 0 && again)
			return g_strdup_printf(ngettext("offline — %u change queued, reconnecting",
							"offline — %u changes queued, reconnecting",
							queued),
					       queued);
		if (queued > 0)
			return g_strdup_printf(ngettext("offline — %u change queued",
							"offline — %u changes queued", queued),
					       queued);
		if (t->store != NULL)
			return g_strdup(again ? _("offline — showing cached mail, reconnecting") :
						_("offline — showing cached mail"));
		return g_strdup(again ? _("offline, reconnecting") : _("offline"));
	}
	case CONN_CONNECTING:
		return g_strdup_printf(_("Connecting to %s"), t->account->host != NULL ?
								t->account->host : t->account->name);
	case CONN_READY:
		break;
	}
	if (t->folder != NULL && !t->selected && t->loading)
		return g_strdup_printf(_("Opening %s"), t->folder);
	if (t->loading && t->folder != NULL) {
		char *have = draw_count(message_list_size(t->list));
		char *all = draw_count(t->info.exists);
		char *s = g_strdup_printf(_("Loading %s %s / %s"), t->folder, have, all);

		g_free(have);
		g_free(all);
		return s;
	}
	if (t->searching)
		return g_strdup(_("Searching"));
	if (t->viewer.loading)
		return g_strdup(_("Fetching the message"));
	return NULL;
}

static void
status_bar(struct tui *t)
{
	const struct tui_rect *r = &t->lay.status;
	attr_t a = t->attrs[COLOR_STATUS];
	GString *s = g_string_new(NULL);
	char *bg = background(t);
	int right = 0;

	g_string_append_printf(s, " %s", t->account->name);
	if (t->folder != NULL) {
		char *total = draw_count(t->list->total), *unread = draw_count(t->list->unread);

		g_string_append_printf(s, ": %s  ", t->folder);
		g_string_append_printf(s, ngettext("%s message", "%s messages", t->list->total),
				       total);
		if (t->list->unread > 0)
			g_string_append_printf(s, ngettext(", %s unread", ", %s unread",
							   t->list->unread), unread);
		g_free(total);
		g_free(unread);
	}
	g_string_append_printf(s, "  [%s%s]", message_sort_label(t->list->sort),
			       t->list->threaded ? _(", threads") : "");
	if (t->search != NULL)
		g_string_append_printf(s, ngettext("  search \"%s\": %u match",
						   "  search \"%s\": %u matches",
						   t->list->view->len),
				       t->search, t->list->view->len);
	right = bg != NULL ? MIN((int)text_width(bg, -1) + 2, r->w / 2) : 0;
	if (t->search != NULL && (int)text_width(s->str, -1) > r->w - right) {
		/* too narrow: the match count goes first, the query is left out */
		char *count = g_strdup_printf(ngettext(" %u match |", " %u matches |",
						       t->list->view->len),
					      t->list->view->len);

		g_string_prepend(s, count);
		g_free(count);
	}
	if (t->list->tagged > 0)
		g_string_append_printf(s, ngettext("  %u tagged", "  %u tagged", t->list->tagged),
				       t->list->tagged);
	if (t->tag_prefix)
		g_string_append(s, _("  ; (next action: all tagged)"));
	if (t->outbox_waiting > 0)
		g_string_append_printf(s, ngettext("  %u message waiting to be sent",
						   "  %u messages waiting to be sent",
						   t->outbox_waiting),
				       t->outbox_waiting);
	draw_fill(r->y, r->x, r->w, a);
	if (bg != NULL) {
		draw_text_right(r->y, r->x + r->w - right, right - 1, bg, a | A_BOLD);
	}
	draw_text_at(r->y, r->x, r->w - right, s->str, a);
	g_string_free(s, TRUE);
	g_free(bg);
}

void
status_draw(struct tui *t)
{
	const struct tui_rect *r = &t->lay.message;

	status_bar(t);
	if (t->prompt != NULL) {
		prompt_draw(t);
		return;
	}
	if (t->message != NULL)
		draw_text(r->y, r->x, r->w, t->message,
			  t->attrs[t->message_is_error ? COLOR_ERROR : COLOR_INFO]);
}

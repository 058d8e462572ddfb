/* tern — ui/tui/prompt: a one-line editor on the message line.
 *
 * Keys: characters insert, Backspace/Delete, Left/Right, Home/End (C-a,
 * C-e), C-u clears, Enter accepts, Esc (or C-g) cancels. Text given to
 * start with is replaced by the first character typed (the editing keys
 * keep it). A confirmation takes one key: y accepts, anything else
 * declines.
 *
 * The folder prompt (move, go to folder): Tab completes with
 * folder_tree_complete(), a name found anywhere in a folder's path, and
 * lists the candidates on the row above; Enter on a name that is no
 * folder but has one candidate completes it first.
 *
 * The search prompt: Enter on a query the parser cannot read keeps the
 * prompt open, the text as typed, the cursor where the error is and the
 * error above. Up and Down walk the queries searched before, kept across
 * runs in $XDG_STATE_HOME/tern/search-history (newest last, at most
 * PROMPT_HISTORY_MAX, written whole to a temporary file and renamed). */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/log.h"
#include "core/model/query.h"
#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* Queries kept in the search history. */
#define PROMPT_HISTORY_MAX 500
/* A history file bigger than this is not read (bytes). */
#define PROMPT_HISTORY_FILE_MAX (PROMPT_HISTORY_MAX * (TUI_PROMPT_MAX + 1))

/* ---- search history --------------------------------------------------------- */

static char *
history_path(void)
{
	return g_build_filename(g_get_user_state_dir(), "tern", "search-history", NULL);
}

/* Transfer full: char *, oldest first; empty when there is no file. */
static GPtrArray *
history_load(void)
{
	GPtrArray *h = g_ptr_array_new_with_free_func(g_free);
	char *path = history_path(), *data = NULL;
	gsize len = 0;
	GStatBuf st;
	char **lines;

	if (g_stat(path, &st) != 0 || st.st_size > PROMPT_HISTORY_FILE_MAX ||
	    !g_file_get_contents(path, &data, &len, NULL))
		goto out;
	lines = g_strsplit(data, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		if (**l != '\0' && strlen(*l) <= TUI_PROMPT_MAX && g_utf8_validate(*l, -1, NULL))
			g_ptr_array_add(h, g_strdup(*l));
	g_strfreev(lines);
	if (h->len > PROMPT_HISTORY_MAX)
		g_ptr_array_remove_range(h, 0, h->len - PROMPT_HISTORY_MAX);
out:
	g_free(data);
	g_free(path);
	return h;
}

/* Add text as the newest entry (an older copy goes) and write the file. */
static void
history_add(GPtrArray *h, const char *text)
{
	char *path = history_path(), *dir = g_path_get_dirname(path);
	GString *out = g_string_new(NULL);
	GError *err = NULL;

	if (*text == '\0' || strchr(text, '\n') != NULL)
		goto out;
	for (guint i = h->len; i-- > 0;)
		if (strcmp(h->pdata[i], text) == 0)
			g_ptr_array_remove_index(h, i);
	g_ptr_array_add(h, g_strdup(text));
	if (h->len > PROMPT_HISTORY_MAX)
		g_ptr_array_remove_range(h, 0, h->len - PROMPT_HISTORY_MAX);
	for (guint i = 0; i < h->len; i++)
		g_string_append_printf(out, "%s\n", (char *)h->pdata[i]);
	if (g_mkdir_with_parents(dir, 0700) != 0 ||
	    !g_file_set_contents_full(path, out->str, (gssize)out->len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
		log_warn("search history %s: %s", path, err != NULL ? err->message : g_strerror(errno));
	g_clear_error(&err);
out:
	g_string_free(out, TRUE);
	g_free(dir);
	g_free(path);
}

/* Up (older, -1) or Down (newer, +1) through the history. */
static void
history_walk(struct prompt *p, int dir)
{
	guint to;

	if (p->history == NULL || (dir < 0 && p->hist_pos == 0) ||
	    (dir > 0 && p->hist_pos >= p->history->len))
		return;
	if (p->hist_pos == p->history->len) {
		g_free(p->draft);
		p->draft = g_strdup(p->text->str);
	}
	to = dir < 0 ? p->hist_pos - 1 : p->hist_pos + 1;
	p->hist_pos = to;
	g_string_assign(p->text, to < p->history->len ? p->history->pdata[to] :
			p->draft != NULL ? p->draft : "");
	p->cursor = p->text->len;
}

void
prompt_free(struct prompt **pp)
{
	struct prompt *p = *pp;

	if (p == NULL)
		return;
	if (p->ud_free != NULL)
		p->ud_free(p->ud);
	if (p->history != NULL)
		g_ptr_array_unref(p->history);
	g_free(p->draft);
	g_free(p->note);
	g_free(p->label);
	g_string_free(p->text, TRUE);
	g_free(p);
	*pp = NULL;
}

void
prompt_start(struct tui *t, enum prompt_kind kind, const char *label, const char *initial,
	     prompt_done_fn *done, void *ud, GDestroyNotify ud_free)
{
	struct prompt *p = g_new0(struct prompt, 1);

	prompt_free(&t->prompt);
	p->kind = kind;
	p->label = g_strdup(label);
	p->text = g_string_new(initial);
	p->cursor = p->text->len;
	p->done = done;
	p->ud = ud;
	p->ud_free = ud_free;
	p->fresh = p->text->len > 0;
	if (kind == PROMPT_SEARCH) {
		p->history = history_load();
		p->hist_pos = p->history->len;
	}
	t->prompt = p;
	tui_dirty(t);
}

/* Close the prompt and call its done (text NULL: cancelled). */
static void
finish(struct tui *t, bool accept)
{
	struct prompt *p = t->prompt;
	char *text = accept ? g_strdup(p->text->str) : NULL;

	t->prompt = NULL;
	p->done(t, text, p->ud);
	prompt_free(&p);
	g_free(text);
	tui_dirty(t);
}

static size_t
prev_char(const GString *s, size_t i)
{
	if (i == 0)
		return 0;
	return (size_t)(g_utf8_find_prev_char(s->str, s->str + i) - s->str);
}

static size_t
next_char(const GString *s, size_t i)
{
	if (i >= s->len)
		return s->len;
	return (size_t)(g_utf8_next_char(s->str + i) - s->str);
}

static void
set_note(struct prompt *p, bool error, const char *note)
{
	g_free(p->note);
	p->note = g_strdup(note);
	p->note_is_error = error;
}

/* Tab in a folder prompt (and Enter on a name that is no folder). Returns
 * how many folders matched. */
static guint
complete(struct tui *t)
{
	struct prompt *p = t->prompt;
	GPtrArray *matches = g_ptr_array_new();
	char *common = folder_tree_complete(t->folders, p->text->str, matches);
	guint n = matches->len;

	if (n == 0) {
		set_note(p, true, _("No folder name contains that."));
	} else if (n > 1) {
		GString *list = g_string_new(NULL);

		for (guint i = 0; i < n && i < TUI_COMPLETE_SHOWN; i++)
			g_string_append_printf(list, "%s%s", i ? "  " : "",
					       (char *)matches->pdata[i]);
		if (n > TUI_COMPLETE_SHOWN)
			g_string_append_printf(list, ngettext("  … (%u folder)", "  … (%u folders)",
							      n), n);
		set_note(p, false, list->str);
		g_string_free(list, TRUE);
	} else {
		g_clear_pointer(&p->note, g_free);
	}
	g_string_assign(p->text, common);
	p->cursor = p->text->len;
	g_free(common);
	g_ptr_array_free(matches, TRUE);
	return n;
}

/* Enter: true when the prompt may close with its text. */
static bool
accept_check(struct tui *t)
{
	struct prompt *p = t->prompt;
	struct folder_node *n;
	struct query *q = NULL;
	GError *err = NULL;
	gsize at = 0;

	switch (p->kind) {
	case PROMPT_MOVE:
		n = folder_tree_find(t->folders, p->text->str);
		if ((n != NULL && n->selectable) || p->text->len == 0)
			return true;
		/* one candidate: show it, the next Enter takes it */
		return complete(t) != 1 ? true : false;
	case PROMPT_SEARCH:
		if (p->text->len == 0)
			return true;
		if (query_parse_at(p->text->str, &q, &at, &err) < 0) {
			char *msg = g_strdup_printf(_("Search: %s"), err->message);

			set_note(p, true, msg);
			g_free(msg);
			g_error_free(err);
			p->cursor = at;
			p->fresh = false;
			return false;
		}
		query_free(&q);
		history_add(p->history, p->text->str);
		return true;
	case PROMPT_CONFIRM:
	case PROMPT_TEXT:
	case PROMPT_ADDRESS:
	case PROMPT_PATH:
		break;
	}
	return true;
}

static void
insert(struct prompt *p, gunichar wc)
{
	char buf[8];
	int n = g_unichar_to_utf8(wc, buf);

	if (p->fresh) { /* the text given was a suggestion: typing replaces it */
		g_string_truncate(p->text, 0);
		p->cursor = 0;
		p->fresh = false;
	}
	if (p->text->len + (size_t)n > TUI_PROMPT_MAX)
		return;
	g_string_insert_len(p->text, (gssize)p->cursor, buf, n);
	p->cursor += (size_t)n;
}

/* The key types a character (no editing key). */
static bool
types_char(const char *spec, gunichar wc)
{
	char ch[8];

	if (strcmp(spec, "Space") == 0)
		return true;
	if (wc < 0x20 || wc == 0x7f || !g_unichar_validate(wc))
		return false;
	ch[g_unichar_to_utf8(wc, ch)] = '\0';
	return strcmp(spec, ch) == 0;
}

static const char *
scope_label(bool all)
{
	return all ? _("Search all folders: ") : _("Search: ");
}

void
prompt_set_scope(struct prompt *p, bool *all)
{
	p->scope_all = all;
	g_free(p->label);
	p->label = g_strdup(scope_label(*all));
}

/* Tab in a scoped search prompt: this folder <-> all folders (kept apart
 * from completion, which the search prompt has none of). */
static void
flip_scope(struct prompt *p)
{
	*p->scope_all = !*p->scope_all;
	g_free(p->label);
	p->label = g_strdup(scope_label(*p->scope_all));
}

void
prompt_key(struct tui *t, const char *spec, gunichar wc)
{
	struct prompt *p = t->prompt;

	tui_dirty(t);
	if (p->kind == PROMPT_CONFIRM) {
		finish(t, strcmp(spec, "y") == 0 || strcmp(spec, "Y") == 0);
		return;
	}
	if (strcmp(spec, "Enter") != 0 && strcmp(spec, "Tab") != 0)
		g_clear_pointer(&p->note, g_free); /* shown until the next key */
	if (!types_char(spec, wc))
		p->fresh = false; /* an editing key keeps the text given */
	if (strcmp(spec, "Enter") == 0) {
		if (accept_check(t))
			finish(t, true);
	} else if (strcmp(spec, "Up") == 0 || strcmp(spec, "C-p") == 0) {
		history_walk(p, -1);
	} else if (strcmp(spec, "Down") == 0 || strcmp(spec, "C-n") == 0) {
		history_walk(p, +1);
	} else if (strcmp(spec, "Esc") == 0 || strcmp(spec, "C-g") == 0) {
		finish(t, false);
	} else if (strcmp(spec, "Backspace") == 0 || strcmp(spec, "C-h") == 0) {
		size_t from = prev_char(p->text, p->cursor);

		if (from == p->cursor && p->text->len == 0) {
			finish(t, false); /* Backspace on nothing: leave */
			return;
		}
		g_string_erase(p->text, (gssize)from, (gssize)(p->cursor - from));
		p->cursor = from;
	} else if (strcmp(spec, "Delete") == 0 || strcmp(spec, "C-d") == 0) {
		size_t to = next_char(p->text, p->cursor);

		g_string_erase(p->text, (gssize)p->cursor, (gssize)(to - p->cursor));
	} else if (strcmp(spec, "Left") == 0 || strcmp(spec, "C-b") == 0) {
		p->cursor = prev_char(p->text, p->cursor);
	} else if (strcmp(spec, "Right") == 0 || strcmp(spec, "C-f") == 0) {
		p->cursor = next_char(p->text, p->cursor);
	} else if (strcmp(spec, "Home") == 0 || strcmp(spec, "C-a") == 0) {
		p->cursor = 0;
	} else if (strcmp(spec, "End") == 0 || strcmp(spec, "C-e") == 0) {
		p->cursor = p->text->len;
	} else if (strcmp(spec, "C-u") == 0) {
		g_string_truncate(p->text, 0);
		p->cursor = 0;
	} else if (strcmp(spec, "Tab") == 0) {
		if (p->scope_all != NULL)
			flip_scope(p);
		else if (p->kind == PROMPT_MOVE)
			complete(t);
		else
			complete_tab(t, p);
	} else if (strcmp(spec, "Space") == 0) {
		insert(p, ' ');
	} else if (wc >= 0x20 && !text_unichar_is_unsafe(wc) && g_unichar_validate(wc)) {
		insert(p, wc);
	}
}

/* For completion (complete.c): the text, a new one (the cursor at its
 * end), a note on the row above. */
const char *
prompt_text(const struct prompt *p)
{
	return p->text->str;
}

void
prompt_set_text(struct prompt *p, const char *text)
{
	g_string_assign(p->text, text);
	if (p->text->len > TUI_PROMPT_MAX)
		g_string_truncate(p->text, (gsize)(g_utf8_find_prev_char(
			p->text->str, p->text->str + TUI_PROMPT_MAX + 1) - p->text->str));
	p->cursor = p->text->len;
	p->fresh = false;
}

void
prompt_set_note(struct prompt *p, bool error, const char *note)
{
	set_note(p, error, note);
}

void
prompt_draw(struct tui *t)
{
	struct prompt *p = t->prompt;
	const struct tui_rect *r = &t->lay.message;
	int lw, avail, before_w, x;
	char *before, *narrow;
	const char *shown;

	draw_fill(r->y, r->x, r->w, A_NORMAL);
	lw = draw_text_at(r->y, r->x, r->w / 2, p->label, t->attrs[COLOR_PROMPT]);
	avail = r->w - lw - 1;
	if (avail <= 0)
		return;
	/* Keep the cursor in view: drop characters from the left. Measured
	 * as drawn: narrowed to the locale's charset (a copy in UTF-8). */
	before = text_for_locale(p->text->str, (gssize)p->cursor);
	before_w = (int)text_width(before, -1);
	narrow = text_for_locale(p->text->str, -1);
	shown = narrow;
	while (before_w >= avail && *shown != '\0') {
		const char *next = g_utf8_next_char(shown);
		char *ch = g_strndup(shown, (gsize)(next - shown));

		before_w -= (int)text_width(ch, -1);
		g_free(ch);
		shown = next;
	}
	x = r->x + lw;
	/* text given to start with shows as selected: typing replaces it */
	draw_text_at(r->y, x, avail, shown, p->fresh ? A_REVERSE : A_NORMAL);
	g_free(before);
	g_free(narrow);
	if (p->note != NULL) /* over the status bar, the row above */
		draw_text(t->lay.status.y, t->lay.status.x, t->lay.status.w, p->note,
			  t->attrs[p->note_is_error ? COLOR_ERROR : COLOR_INFO]);
	if (p->kind != PROMPT_CONFIRM) {
		move(r->y, x + before_w);
		curs_set(1);
	}
}

/* A bracketed paste (term.c): the text goes in as typed, character by
 * character, so the prompt's own limits apply; Enter is still the user's. */
void
prompt_paste(struct tui *t, const char *text)
{
	for (const char *c = text; *c != '\0'; c = g_utf8_next_char(c))
		insert(t->prompt, g_utf8_get_char(c));
	tui_dirty(t);
}

/* tern — ui/tui/prompt: a one-line editor on the message line.
 *
 * Keys: characters insert, Backspace/Delete, Left/Right, Home/End (C-a,
 * C-e), C-u clears, Enter accepts, Esc (or C-g) cancels. In the folder
 * prompt Tab completes a folder name (case-insensitively), and lists the
 * candidates when there are several. A confirmation takes one key: y
 * accepts, anything else declines. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

void
prompt_free(struct prompt **pp)
{
	struct prompt *p = *pp;

	if (p == NULL)
		return;
	if (p->ud_free != NULL)
		p->ud_free(p->ud);
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
complete(struct tui *t)
{
	struct prompt *p = t->prompt;
	GPtrArray *matches = g_ptr_array_new();
	char *common = folder_tree_complete(t->folders, p->text->str, matches);

	if (matches->len == 0) {
		tui_info(t, _("No folder starts with that."));
	} else if (matches->len > 1) {
		GString *list = g_string_new(NULL);

		for (guint i = 0; i < matches->len && i < TUI_COMPLETE_SHOWN; i++)
			g_string_append_printf(list, "%s%s", i ? "  " : "",
					       (char *)matches->pdata[i]);
		if (matches->len > TUI_COMPLETE_SHOWN)
			g_string_append(list, "  …");
		tui_info(t, "%s", list->str);
		g_string_free(list, TRUE);
	}
	g_string_assign(p->text, common);
	p->cursor = p->text->len;
	g_free(common);
	g_ptr_array_free(matches, TRUE);
}

static void
insert(struct prompt *p, gunichar wc)
{
	char buf[8];
	int n = g_unichar_to_utf8(wc, buf);

	if (p->text->len + (size_t)n > TUI_PROMPT_MAX)
		return;
	g_string_insert_len(p->text, (gssize)p->cursor, buf, n);
	p->cursor += (size_t)n;
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
	if (strcmp(spec, "Enter") == 0) {
		finish(t, true);
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
		if (p->kind == PROMPT_MOVE)
			complete(t);
	} else if (strcmp(spec, "Space") == 0) {
		insert(p, ' ');
	} else if (wc >= 0x20 && !text_unichar_is_unsafe(wc) && g_unichar_validate(wc)) {
		insert(p, wc);
	}
}

void
prompt_draw(struct tui *t)
{
	struct prompt *p = t->prompt;
	const struct tui_rect *r = &t->lay.message;
	int lw, avail, before_w, x;
	char *before;
	const char *shown;

	draw_fill(r->y, r->x, r->w, A_NORMAL);
	lw = draw_text_at(r->y, r->x, r->w / 2, p->label, t->attrs[COLOR_PROMPT]);
	avail = r->w - lw - 1;
	if (avail <= 0)
		return;
	/* Keep the cursor in view: drop characters from the left. */
	before = g_strndup(p->text->str, p->cursor);
	before_w = (int)text_width(before, -1);
	shown = p->text->str;
	while (before_w >= avail && *shown != '\0') {
		const char *next = g_utf8_next_char(shown);
		char *ch = g_strndup(shown, (gsize)(next - shown));

		before_w -= (int)text_width(ch, -1);
		g_free(ch);
		shown = next;
	}
	x = r->x + lw;
	draw_text_at(r->y, x, avail, shown, A_NORMAL);
	g_free(before);
	if (p->kind != PROMPT_CONFIRM) {
		move(r->y, x + before_w);
		curs_set(1);
	}
}

/* tern — ui/tui/help: the help screen, built from the keymap so it lists
 * exactly the keys in force (defaults and [keys]). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "ui/tui/tui-private.h"

/* The help lines: a heading per group, then "keys  description". */
static GPtrArray *
help_lines(struct tui *t)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const char *groups[8] = { NULL };
	int ngroups = 0;

	for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
		const char *g = keymap_action_info(a)->group;
		bool seen = false;

		for (int i = 0; i < ngroups; i++)
			seen = seen || strcmp(groups[i], g) == 0;
		if (!seen && ngroups < (int)TERN_ARRAY_LEN(groups))
			groups[ngroups++] = g;
	}
	g_ptr_array_add(lines, g_strdup(_("tern — keys (q, Esc or ? closes; j/k scroll)")));
	for (int i = 0; i < ngroups; i++) {
		g_ptr_array_add(lines, g_strdup(""));
		g_ptr_array_add(lines, g_strdup_printf("#%s", _(groups[i])));
		for (int a = ACTION_NONE + 1; a < ACTION_COUNT; a++) {
			const struct action_info *ai = keymap_action_info(a);
			GString *keys = g_string_new(keymap_keys(t->km, a));

			if (strcmp(ai->group, groups[i]) != 0) {
				g_string_free(keys, TRUE);
				continue;
			}
			/* Keys of one pane only: "viewer: J". */
			for (int c = 0; c < KEYCTX_COUNT; c++) {
				const char *ck = keymap_context_keys(t->km, c, a);

				if (*ck != '\0')
					g_string_append_printf(keys, "%s%s: %s",
							       keys->len > 0 ? ", " : "",
							       keymap_context_name(c), ck);
			}
			g_ptr_array_add(lines, g_strdup_printf("%s\t%s  (%s)",
							       keys->len > 0 ? keys->str : _("(none)"),
							       _(ai->help), ai->name));
			g_string_free(keys, TRUE);
		}
	}
	g_ptr_array_add(lines, g_strdup(""));
	g_ptr_array_add(lines, g_strdup(_("#Prompts")));
	g_ptr_array_add(lines, g_strdup(_("Tab\tcomplete a folder name")));
	g_ptr_array_add(lines, g_strdup(_("Esc\tcancel")));
	g_ptr_array_add(lines, g_strdup(""));
	g_ptr_array_add(lines, g_strdup(_("Search: from: to: cc: subject: body: text: is:unread "
					  "is:flagged since:2024-01-01 before: on: larger:1M "
					  "smaller:10K -term, a OR b, ( )")));
	g_ptr_array_add(lines, g_strdup(_("Change keys in [keys] and colours in [colors] of the "
					  "configuration file (tern-config(5)).")));
	return lines;
}

void
help_draw(struct tui *t)
{
	GPtrArray *lines = help_lines(t);
	int h = LINES - 2, key_w = 16;

	if (t->help_top + (guint)h > lines->len)
		t->help_top = lines->len > (guint)h ? lines->len - (guint)h : 0;
	for (int i = 0; i < h && t->help_top + (guint)i < lines->len; i++) {
		const char *l = lines->pdata[t->help_top + i];
		const char *tab = strchr(l, '\t');

		if (*l == '#') {
			draw_text(i, 1, COLS - 2, l + 1, t->attrs[COLOR_HEADER_NAME]);
		} else if (tab != NULL) {
			char *keys = g_strndup(l, (gsize)(tab - l));

			draw_text(i, 2, key_w, keys, t->attrs[COLOR_HELP_KEY]);
			draw_text(i, 3 + key_w, COLS - 4 - key_w, tab + 1, A_NORMAL);
			g_free(keys);
		} else {
			draw_text(i, 1, COLS - 2, l, A_NORMAL);
		}
	}
	g_ptr_array_unref(lines);
}

bool
help_key(struct tui *t, enum action a)
{
	switch (a) {
	case ACTION_DOWN:
		t->help_top++;
		break;
	case ACTION_UP:
		if (t->help_top > 0)
			t->help_top--;
		break;
	case ACTION_PAGE_DOWN:
		t->help_top += (guint)MAX(LINES - 3, 1);
		break;
	case ACTION_PAGE_UP:
		t->help_top = t->help_top > (guint)MAX(LINES - 3, 1) ?
				      t->help_top - (guint)MAX(LINES - 3, 1) : 0;
		break;
	case ACTION_TOP:
		t->help_top = 0;
		break;
	case ACTION_BOTTOM:
		t->help_top = G_MAXUINT / 2;
		break;
	case ACTION_QUIT:
		tui_quit(t, TERN_EXIT_OK);
		break;
	case ACTION_REDRAW:
		clearok(curscr, TRUE);
		break;
	default:
		/* q, Esc, ? and anything else close the help */
		t->help = false;
		break;
	}
	tui_dirty(t);
	return true;
}

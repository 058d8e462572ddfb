/* tern — ui/tui/colors: screen elements, their default look and [colors].
 *
 * Defaults use only the eight ANSI colours and attributes, so they look
 * right on 8-, 16- and 256-colour terminals alike. A configured colour the
 * terminal lacks is brought down to the nearest it has (256 -> 16 -> 8,
 * brightX -> X + bold). NO_COLOR (any value) or a terminal without colours
 * keeps only the attributes. */
#include "config.h"
#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "ui/tui/tui-private.h"

struct color_default {
	const char *name;
	int fg, bg;
	unsigned attrs;    /* CONFIG_ATTR_* with colour */
	unsigned mono;     /* CONFIG_ATTR_* without */
};

#define D CONFIG_COLOR_DEFAULT
#define BOLD CONFIG_ATTR_BOLD
#define UNDER CONFIG_ATTR_UNDERLINE
#define REV CONFIG_ATTR_REVERSE

static const struct color_default defaults[COLOR_COUNT] = {
	[COLOR_NORMAL] = { "normal", D, D, 0, 0 },
	[COLOR_STATUS] = { "status", COLOR_WHITE, COLOR_BLUE, 0, REV },
	[COLOR_INFO] = { "info", D, D, 0, 0 },
	[COLOR_ERROR] = { "error", COLOR_RED, D, BOLD, BOLD },
	[COLOR_SELECTION] = { "selection", COLOR_BLACK, COLOR_CYAN, 0, REV },
	[COLOR_SELECTION_INACTIVE] = { "selection_inactive", D, D, REV, UNDER },
	[COLOR_UNREAD] = { "unread", D, D, BOLD, BOLD },
	[COLOR_FLAGGED] = { "flagged", COLOR_RED, D, 0, 0 },
	[COLOR_TAGGED] = { "tagged", COLOR_MAGENTA, D, BOLD, BOLD },
	[COLOR_DELETED] = { "deleted", COLOR_BLUE, D, 0, 0 },
	[COLOR_FOLDER] = { "folder", D, D, 0, 0 },
	[COLOR_FOLDER_UNREAD] = { "folder_unread", D, D, BOLD, BOLD },
	[COLOR_FOLDER_OPEN] = { "folder_open", COLOR_CYAN, D, BOLD, BOLD },
	[COLOR_HEADER_NAME] = { "header_name", COLOR_CYAN, D, BOLD, BOLD },
	[COLOR_HEADER_VALUE] = { "header_value", D, D, 0, 0 },
	[COLOR_SUBJECT] = { "subject", D, D, BOLD, BOLD },
	[COLOR_QUOTE] = { "quote", COLOR_CYAN, D, 0, 0 },
	[COLOR_QUOTE_TWO] = { "quote_two", COLOR_GREEN, D, 0, 0 },
	[COLOR_QUOTE_THREE] = { "quote_three", COLOR_MAGENTA, D, 0, 0 },
	[COLOR_NOTICE] = { "notice", COLOR_YELLOW, D, 0, BOLD },
	[COLOR_ATTACHMENT] = { "attachment", COLOR_GREEN, D, 0, 0 },
	[COLOR_SEPARATOR] = { "separator", COLOR_BLUE, D, 0, 0 },
	[COLOR_THREAD_TREE] = { "thread_tree", COLOR_BLUE, D, 0, 0 },
	[COLOR_PROMPT] = { "prompt", D, D, BOLD, BOLD },
	[COLOR_HELP_KEY] = { "help_key", COLOR_YELLOW, D, BOLD, BOLD },
	/* Reverse video and bold: no colour a message's text is drawn in. */
	[COLOR_CRYPTO_GOOD] = { "crypto_good", COLOR_GREEN, D, REV | BOLD, REV | BOLD },
	[COLOR_CRYPTO_BAD] = { "crypto_bad", COLOR_RED, D, REV | BOLD, REV | BOLD | UNDER },
};

#undef D

static int
find_elem(const char *name)
{
	for (int i = 0; i < COLOR_COUNT; i++)
		if (strcmp(defaults[i].name, name) == 0)
			return i;
	return -1;
}

int
colors_check(const struct config *cfg, char **error_r)
{
	GHashTableIter it;
	gpointer k, v;

	if (cfg->colors == NULL)
		return 0;
	g_hash_table_iter_init(&it, cfg->colors);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (find_elem(k) < 0) {
			GString *names = g_string_new(NULL);

			for (int i = 0; i < COLOR_COUNT; i++)
				g_string_append_printf(names, "%s%s", i ? ", " : "", defaults[i].name);
			*error_r = g_strdup_printf(_("%s: [colors]: unknown element '%s' "
						     "(known: %s)"),
						   cfg->path, (const char *)k, names->str);
			g_string_free(names, TRUE);
			return -1;
		}
	}
	return 0;
}

static attr_t
to_attrs(unsigned a)
{
	attr_t r = A_NORMAL;

	if (a & CONFIG_ATTR_BOLD)
		r |= A_BOLD;
	if (a & CONFIG_ATTR_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & CONFIG_ATTR_REVERSE)
		r |= A_REVERSE;
	return r;
}

/* A 256-colour index brought down to the 8 or 16 the terminal has. */
static int
reduce_color(int c, int have, bool *bold_r)
{
	static const int cube[6] = { 0, 95, 135, 175, 215, 255 };
	int r, g, b, level;

	if (c < 0 || c < have)
		return c;
	if (c >= 16 && c < 232) {
		c -= 16;
		r = cube[c / 36];
		g = cube[(c / 6) % 6];
		b = cube[c % 6];
	} else if (c >= 232) {
		r = g = b = 8 + 10 * (c - 232);
	} else {
		r = g = b = 0; /* 8..15 on an 8-colour terminal */
	}
	if (c >= 8 && c < 16 && have >= 8) {
		*bold_r = true;
		return c - 8;
	}
	/* Nearest of the basic colours: each channel on or off. */
	level = (r + g + b) / 3;
	c = (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0);
	if (c == 0 && level > 60)
		c = 7; /* a grey */
	if (have >= 16 && (r > 200 || g > 200 || b > 200) && c != 0)
		c += 8;
	else if (r > 200 || g > 200 || b > 200)
		*bold_r = true;
	return c;
}

static bool
use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return (nc == NULL || *nc == '\0') && has_colors();
}

int
colors_init(struct tui *t, char **error_r)
{
	bool color = use_color();

	if (colors_check(t->cfg, error_r) < 0)
		return -1;
	if (color) {
		start_color();
		use_default_colors();
	}
	for (int i = 0; i < COLOR_COUNT; i++) {
		const struct color_default *d = &defaults[i];
		const struct config_color *c =
			t->cfg->colors != NULL ? g_hash_table_lookup(t->cfg->colors, d->name) : NULL;
		int fg = c != NULL ? c->fg : d->fg, bg = c != NULL ? c->bg : d->bg;
		unsigned attrs = c != NULL ? c->attrs : color ? d->attrs : d->mono;
		bool bold = false;

		if (!color) {
			t->attrs[i] = to_attrs(attrs);
			continue;
		}
		fg = reduce_color(fg, COLORS, &bold);
		bg = reduce_color(bg, COLORS, &bold);
		if (fg == CONFIG_COLOR_DEFAULT && bg == CONFIG_COLOR_DEFAULT) {
			t->attrs[i] = to_attrs(attrs) | (bold ? A_BOLD : 0);
			continue;
		}
		init_pair((short)(i + 1), (short)fg, (short)bg);
		t->attrs[i] = COLOR_PAIR(i + 1) | to_attrs(attrs) | (bold ? A_BOLD : 0);
	}
	return 0;
}

/* tern — ui/tui/term: what the interface asks of the terminal.
 *
 * Before the screen starts: can this terminal be driven at all (a TERM that
 * terminfo knows and that can move the cursor; "dumb" cannot)? ncurses'
 * own answer is to print "Error opening terminal" and exit(1), which no
 * caller can tell from a server's NO.
 *
 * Bracketed paste: while the screen is up, the terminal is asked to wrap
 * what is pasted in ESC [ 200 ~ ... ESC [ 201 ~, which ncurses reports as
 * two key codes of ours. What comes between them is text for the prompt
 * that is open, never keys: a pasted "dd" does not delete two messages.
 * The pasted text is owned here (t->paste) until the end mark, or until
 * PASTE_TIMEOUT_MS pass without a byte of it: an end mark lost on the way
 * must not swallow every key after it. */
#include "config.h"
#include "core/common.h"

#include <string.h>
#include <unistd.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* last: it defines a macro for every capability name (lines, columns...) */
#include <term.h>

#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"
#define PASTE_TIMEOUT_MS 1000

int
term_check(char **err_r)
{
	const char *name = g_getenv("TERM");
	int err = 0;
	char *cup;
	bool usable;

	if (name == NULL || *name == '\0') {
		*err_r = g_strdup(_("TERM is not set: the interface needs to know the terminal "
				    "type (the commands work without it)"));
		return -1;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		char *safe = text_sanitize(name, -1, TEXT_SANITIZE_ONE_LINE);

		*err_r = g_strdup_printf(_("unknown terminal type '%s' (TERM): try "
					   "TERM=xterm-256color or TERM=vt220; the commands "
					   "work without it"),
					 safe);
		g_free(safe);
		return -1;
	}
	cup = tigetstr("cup");
	usable = cup != NULL && cup != (char *)-1 && tigetflag("hc") <= 0;
	del_curterm(cur_term);
	if (!usable) {
		char *safe = text_sanitize(name, -1, TEXT_SANITIZE_ONE_LINE);

		*err_r = g_strdup_printf(_("the terminal type '%s' (TERM) cannot move the "
					   "cursor, which the interface needs; the commands "
					   "work without it"),
					 safe);
		g_free(safe);
		return -1;
	}
	return 0;
}

void
term_paste_on(void)
{
	define_key("\033[200~", TUI_KEY_PASTE_BEGIN);
	define_key("\033[201~", TUI_KEY_PASTE_END);
	putp(PASTE_ON);
	fflush(stdout);
}

void
term_paste_off(void)
{
	putp(PASTE_OFF);
	fflush(stdout);
}

/* Keep c of a paste: a line break becomes a space (a prompt is one line),
 * other controls are dropped. The cap is the prompt's. */
static void
paste_add(struct tui *t, gunichar c)
{
	char buf[8];
	int n;

	if (c == '\r' || c == '\n' || c == '\t')
		c = ' ';
	if (c < 0x20 || !g_unichar_validate(c) || text_unichar_is_unsafe(c))
		return;
	n = g_unichar_to_utf8(c, buf);
	if (t->paste->len + (gsize)n <= TUI_PROMPT_MAX)
		g_string_append_len(t->paste, buf, n);
}

static void
paste_finish(struct tui *t)
{
	GString *text = t->paste;

	t->paste = NULL;
	if (t->paste_timer != 0)
		g_source_remove(t->paste_timer);
	t->paste_timer = 0;
	if (t->prompt != NULL)
		prompt_paste(t, text->str);
	else if (text->len > 0)
		tui_info(t,
			 _("Pasted text is not taken as keys: paste into a prompt (/ to search)"));
	g_string_free(text, TRUE);
}

static gboolean
paste_expired(gpointer ud)
{
	struct tui *t = ud;

	t->paste_timer = 0;
	if (t->paste != NULL)
		paste_finish(t);
	tui_dirty(t);
	return G_SOURCE_REMOVE;
}

/* The paste is still coming: its deadline moves on. */
static void
paste_touch(struct tui *t)
{
	if (t->paste_timer != 0)
		g_source_remove(t->paste_timer);
	t->paste_timer = g_timeout_add(PASTE_TIMEOUT_MS, paste_expired, t);
}

bool
term_paste_key(struct tui *t, int kind, wint_t ch)
{
	if (kind == KEY_CODE_YES && ch == TUI_KEY_PASTE_BEGIN) {
		if (t->paste == NULL)
			t->paste = g_string_new(NULL);
		paste_touch(t);
		return true;
	}
	if (t->paste == NULL)
		return false;
	if (kind == KEY_CODE_YES && ch == TUI_KEY_PASTE_END) {
		paste_finish(t);
		return true;
	}
	if (kind == OK)
		paste_add(t, (gunichar)ch);
	paste_touch(t);
	return true;
}

void
term_paste_free(struct tui *t)
{
	if (t->paste != NULL)
		g_string_free(t->paste, TRUE);
	t->paste = NULL;
	if (t->paste_timer != 0)
		g_source_remove(t->paste_timer);
	t->paste_timer = 0;
}

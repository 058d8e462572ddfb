/* tern — ui/tui: the three-pane interface.
 *
 * Everything runs on one GLib main loop: key presses come from a watch on
 * stdin (ncurses in nodelay mode), SIGWINCH/SIGTERM/SIGHUP/SIGINT from
 * g_unix_signal_add() (set before initscr(), so ncurses keeps its hands off
 * them), server work from the IMAP client's callbacks. Nothing draws when
 * it changes something: it calls tui_dirty(), and one source redraws the
 * whole screen once per loop turn (ncurses sends only what changed). */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "core/log.h"
#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* ---- messages ------------------------------------------------------------- */

static gboolean
info_expired(gpointer ud)
{
	struct tui *t = ud;

	t->info_timer = 0;
	if (!t->message_is_error)
		g_clear_pointer(&t->message, g_free);
	tui_dirty(t);
	return G_SOURCE_REMOVE;
}

enum message_kind { MESSAGE_INFO, MESSAGE_NOTICE, MESSAGE_ERROR };

static void
set_message(struct tui *t, enum message_kind kind, const char *fmt, va_list ap)
{
	g_free(t->message);
	t->message = g_strdup_vprintf(fmt, ap);
	t->message_is_error = kind == MESSAGE_ERROR;
	t->message_serial++;
	if (t->info_timer != 0)
		g_source_remove(t->info_timer);
	t->info_timer = kind == MESSAGE_INFO ?
				g_timeout_add_seconds(TUI_INFO_TIMEOUT, info_expired, t) : 0;
	if (kind == MESSAGE_ERROR)
		log_warn("%s", t->message);
	tui_dirty(t);
}

void
tui_info(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(t, MESSAGE_INFO, fmt, ap);
	va_end(ap);
}

void
tui_notice(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(t, MESSAGE_NOTICE, fmt, ap);
	va_end(ap);
}

void
tui_error(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(t, MESSAGE_ERROR, fmt, ap);
	va_end(ap);
}

/* ---- drawing -------------------------------------------------------------- */

static gboolean
thread_timer_cb(gpointer ud)
{
	struct tui *t = ud;

	t->thread_timer = 0;
	tui_dirty(t);
	return G_SOURCE_REMOVE;
}

static void
draw_separators(struct tui *t)
{
	const struct layout *l = &t->lay;
	attr_t a = t->attrs[COLOR_SEPARATOR];

	attrset(a);
	if (l->folders_sep.h > 0)
		draw_vline(l->folders_sep.y, l->folders_sep.x, l->folders_sep.h);
	if (l->beside && l->viewer_sep.h > 0)
		draw_vline(l->viewer_sep.y, l->viewer_sep.x, l->viewer_sep.h);
	attrset(A_NORMAL);
}

/* Each pane: its key context and how it draws; tui.c loops over them. */
static const struct pane_entry {
	enum tui_pane pane;
	enum keyctx ctx;
	void (*draw)(struct tui *t, const struct tui_rect *r, bool focused);
} panes[] = {
	{ PANE_FOLDERS, KEYCTX_FOLDERS, folder_pane_draw },
	{ PANE_LIST, KEYCTX_LIST, list_pane_draw },
	{ PANE_VIEWER, KEYCTX_VIEWER, viewer_pane_draw },
};

static const struct tui_rect *
pane_rect(struct tui *t, enum tui_pane p)
{
	switch (p) {
	case PANE_FOLDERS: return &t->lay.folders;
	case PANE_VIEWER: return &t->lay.viewer;
	default: return &t->lay.list;
	}
}

static enum keyctx
pane_context(enum tui_pane p)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(panes); i++)
		if (panes[i].pane == p)
			return panes[i].ctx;
	return KEYCTX_LIST;
}

/* Where the panes go now; the focus moves off a pane that is not shown. */
void
tui_layout(struct tui *t)
{
	struct layout_want w = {
		.folders = t->show_folders,
		.beside = t->beside,
		.viewer = t->viewer.uid != 0,
		.full = t->full,
		.zoom = t->zoom,
	};

	layout_compute(LINES, COLS, &w, &t->lay);
	if (pane_rect(t, t->focus)->w == 0) {
		if (t->lay.list.w > 0)
			t->focus = PANE_LIST;
		else if (t->lay.viewer.w > 0 && t->viewer.uid != 0)
			t->focus = PANE_VIEWER;
		else if (t->lay.folders.w > 0)
			t->focus = PANE_FOLDERS;
	}
}

void
tui_relayout(struct tui *t)
{
	tui_layout(t);
	viewer_resize(t);
	tui_dirty(t);
}

static void
tui_redraw(struct tui *t)
{
	struct layout *l = &t->lay;

	if (message_list_refresh(t->list) && t->thread_timer == 0)
		t->thread_timer = g_timeout_add(MESSAGE_LIST_THREAD_INTERVAL / 1000,
						thread_timer_cb, t);
	tui_layout(t);
	erase();
	curs_set(0);
	if (l->too_small) {
		draw_text_at(0, 0, COLS, _("terminal too small"), A_NORMAL);
		refresh();
		return;
	}
	if (t->help) {
		help_draw(t);
	} else if (compose_reviewing(t)) {
		compose_draw(t);
	} else {
		for (size_t i = 0; i < TERN_ARRAY_LEN(panes); i++) {
			const struct tui_rect *r = pane_rect(t, panes[i].pane);

			if (r->w > 0 && r->h > 0)
				panes[i].draw(t, r, t->focus == panes[i].pane);
		}
		draw_separators(t);
	}
	status_draw(t);
	/* The cursor is hidden but for a prompt: leave it where the last
	 * change put it instead of moving it back (bytes on a slow link). */
	leaveok(stdscr, t->prompt == NULL);
	refresh();
}

/* Keys are waiting on the terminal: they are read first, and the screen
 * drawn once for all of them (a held key over a slow link). */
static bool
keys_waiting(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

static gboolean
redraw_cb(gpointer ud)
{
	struct tui *t = ud;

	t->redraw_source = 0;
	if (t->screen_up && !keys_waiting()) {
		tui_redraw(t); /* else on_stdin() reads them and marks dirty again */
		/* the list has just scrolled to where the rows on screen are */
		conn_previews_for_screen(t);
	}
	return G_SOURCE_REMOVE;
}

void
tui_dirty(struct tui *t)
{
	/* Default priority, like the sockets: an idle-priority source would
	 * starve while a folder streams in. */
	if (t->redraw_source == 0)
		t->redraw_source = g_idle_add_full(G_PRIORITY_DEFAULT, redraw_cb, t, NULL);
}

static void
quit_now(struct tui *t)
{
	if (t->drain_timer != 0)
		g_source_remove(t->drain_timer);
	t->drain_timer = 0;
	t->quitting = true;
	g_main_loop_quit(t->loop);
}

static gboolean
drain_expired(gpointer ud)
{
	struct tui *t = ud;

	t->drain_timer = 0;
	quit_now(t);
	return G_SOURCE_REMOVE;
}

/* Changes still waiting for the server's answer: wait for them (the
 * account's timeout at most) before quitting; asked again, quit now (they
 * stay queued in the journal either way). */
void
tui_quit(struct tui *t, int code)
{
	guint n = pending_count(t);

	t->exit_code = code;
	if (t->draining || n == 0 || t->client == NULL || t->conn != CONN_READY) {
		quit_now(t);
		return;
	}
	t->draining = true;
	t->drain_timer = g_timeout_add_seconds(t->account->timeout, drain_expired, t);
	tui_notice(t, ngettext("Sending %u change before quitting (q again: quit now, it "
			       "stays queued)…",
			       "Sending %u changes before quitting (q again: quit now, they "
			       "stay queued)…", n),
		   n);
}

void
tui_quit_check(struct tui *t)
{
	if (t->draining && !t->quitting && pending_count(t) == 0)
		quit_now(t);
}

struct msg *
tui_current(struct tui *t)
{
	if (t->focus == PANE_VIEWER && t->viewer.uid != 0)
		return message_list_get(t->list, t->viewer.uid);
	message_list_refresh(t->list);
	return t->list->sel;
}

/* ---- keys ----------------------------------------------------------------- */

static const struct {
	int code;
	const char *name;
} key_names[] = {
	{ KEY_UP, "Up" },	    { KEY_DOWN, "Down" },	  { KEY_LEFT, "Left" },
	{ KEY_RIGHT, "Right" },	    { KEY_PPAGE, "PageUp" },	  { KEY_NPAGE, "PageDown" },
	{ KEY_HOME, "Home" },	    { KEY_END, "End" },		  { KEY_ENTER, "Enter" },
	{ KEY_BTAB, "BackTab" },    { KEY_BACKSPACE, "Backspace" }, { KEY_DC, "Delete" },
	{ KEY_IC, "Insert" },	    { KEY_A1, "Home" },		  { KEY_C1, "End" },
	{ KEY_A3, "PageUp" },	    { KEY_C3, "PageDown" },
};

/* The keymap spelling of a key press into buf; false for keys we ignore. */
static bool
key_spec(int kind, wint_t ch, char *buf, size_t n)
{
	if (kind == KEY_CODE_YES) {
		for (size_t i = 0; i < TERN_ARRAY_LEN(key_names); i++) {
			if (key_names[i].code == (int)ch) {
				g_strlcpy(buf, key_names[i].name, n);
				return true;
			}
		}
		if (ch >= KEY_F(1) && ch <= KEY_F(12)) {
			g_snprintf(buf, n, "F%d", (int)(ch - KEY_F0));
			return true;
		}
		return false;
	}
	switch (ch) {
	case '\t':
		g_strlcpy(buf, "Tab", n);
		return true;
	case '\r':
	case '\n':
		g_strlcpy(buf, "Enter", n);
		return true;
	case 27:
		g_strlcpy(buf, "Esc", n);
		return true;
	case 127:
	case 8:
		g_strlcpy(buf, "Backspace", n);
		return true;
	case ' ':
		g_strlcpy(buf, "Space", n);
		return true;
	default:
		break;
	}
	if (ch >= 1 && ch <= 26) {
		g_snprintf(buf, n, "C-%c", (char)('a' + ch - 1));
		return true;
	}
	if (ch < 32 || ch == 0x7f || !g_unichar_validate((gunichar)ch) ||
	    text_unichar_is_unsafe((gunichar)ch))
		return false;
	buf[g_unichar_to_utf8((gunichar)ch, buf)] = '\0';
	return true;
}

static void
handle_key(struct tui *t, const char *spec, gunichar wc)
{
	enum action a;

	if (t->prompt != NULL) {
		prompt_key(t, spec, wc);
		return;
	}
	a = keymap_lookup(t->km, compose_reviewing(t) ? KEYCTX_COMPOSE : pane_context(t->focus),
			  spec);
	if (t->help) {
		help_key(t, a);
		return;
	}
	if (parts_shown(t) && t->focus == PANE_VIEWER && !compose_reviewing(t) &&
	    t->viewer.mode != VIEW_OUTPUT) {
		parts_key(t, a, spec);
		return;
	}
	if (compose_reviewing(t)) {
		compose_key(t, a);
		return;
	}
	if (results_active(t) && t->focus == PANE_LIST && results_key(t, a))
		return;
	if (a == ACTION_NONE) {
		char *safe = text_sanitize(spec, -1, 0);

		tui_info(t, _("%s: no action (press ? for the keys)"), safe);
		g_free(safe);
		return;
	}
	actions_run(t, a);
}

/* Read every key waiting; ESC then a key within the same read is M-key. */
static gboolean
on_stdin(gint fd, GIOCondition cond, gpointer ud)
{
	struct tui *t = ud;

	if (cond & (G_IO_HUP | G_IO_ERR)) {
		tui_quit(t, TERN_EXIT_OK); /* the terminal went away */
		return G_SOURCE_CONTINUE;  /* removed by tui_main() */
	}
	for (int i = 0; i < 512 && !t->quitting; i++) {
		char spec[32], inner[24];
		wint_t ch;
		int kind = get_wch(&ch);

		if (kind == ERR)
			break;
		if (term_paste_key(t, kind, ch))
			continue;
		if (kind == KEY_CODE_YES && ch == KEY_RESIZE)
			continue;
		if (kind == OK && ch == 27 && t->prompt == NULL) {
			wint_t ch2;
			int kind2 = get_wch(&ch2);

			if (kind2 != ERR) {
				if (key_spec(kind2, ch2, inner, sizeof(inner))) {
					g_snprintf(spec, sizeof(spec), "M-%s", inner);
					handle_key(t, spec, 0);
				}
				continue;
			}
		}
		if (key_spec(kind, ch, spec, sizeof(spec)))
			handle_key(t, spec, kind == OK ? (gunichar)ch : 0);
	}
	tui_dirty(t);
	return G_SOURCE_CONTINUE;
}

/* ---- signals and the terminal --------------------------------------------- */

static void
update_size(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}

static gboolean
on_winch(gpointer ud)
{
	struct tui *t = ud;

	if (t->screen_up) {
		update_size();
		clearok(curscr, TRUE);
		tui_relayout(t);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
on_terminate(gpointer ud)
{
	tui_quit(ud, TERN_EXIT_OK);
	return G_SOURCE_CONTINUE;
}

/* Ctrl-Z: give the terminal back, stop, and take it again on fg. */
void
tui_suspend(struct tui *t)
{
	struct sigaction dfl = { 0 }, old;

	term_paste_off();
	def_prog_mode();
	endwin();
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGTSTP, &dfl, &old);
	kill(0, SIGTSTP);
	/* ... continued */
	sigaction(SIGTSTP, &old, NULL);
	reset_prog_mode();
	term_paste_on();
	update_size();
	clearok(curscr, TRUE);
	tui_relayout(t);
}

static void
screen_start(struct tui *t)
{
	crash_guard_save_modes();
	initscr();
	raw(); /* ^Z, ^C and ^S are keys: suspend and quit are ours */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	idlok(stdscr, TRUE); /* rows that move (the list scrolling) move on the terminal */
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	term_paste_on();
	crash_guard_arm();
	t->screen_up = true;
}

static void
screen_stop(struct tui *t)
{
	if (!t->screen_up)
		return;
	crash_guard_disarm();
	term_paste_off();
	endwin();
	t->screen_up = false;
}

/* ---- start-up --------------------------------------------------------------- */

/* Show the account's cache at once (INBOX and the cached folders), then
 * connect unless --offline. */
static void
tui_open_account(struct tui *t)
{
	cache_open(t);
	conn_set_folder(t, "INBOX");
	cache_show_folders(t);
	if (!cache_show_folder(t) && t->g->offline && t->store == NULL)
		tui_error(t, _("offline: nothing is cached yet, so there is nothing to show"));
	cache_outbox_changed(t);
	compose_announce_kept(t);
	if (!t->g->offline)
		conn_start(t);
	tui_dirty(t);
}

/* Ask for the password on the terminal (echo off), before the screen starts. */
static char *
ask_password(const struct account *a)
{
	struct termios old, quiet;
	char buf[1024];
	bool restore;
	char *out = NULL;

	if (!isatty(STDIN_FILENO))
		return NULL;
	fprintf(stderr, _("Password for %s: "), a->name);
	fflush(stderr);
	restore = tcgetattr(STDIN_FILENO, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, sizeof(buf), stdin) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		out = g_strdup(buf);
	}
	memset(buf, 0, sizeof(buf));
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return out;
}

static void
secret_destroy(gpointer p)
{
	struct account_secret *s = p;

	account_secret_free(&s);
}

/* The account's one secret lookup, made on first use. */
static struct account_secret *
secret_for(struct tui *t, const struct account *a)
{
	struct account_secret *s;

	if (t->secrets == NULL)
		t->secrets = g_hash_table_new_full(NULL, NULL, NULL, secret_destroy);
	s = g_hash_table_lookup(t->secrets, a);
	if (s == NULL) {
		s = account_secret_new(a);
		g_hash_table_insert(t->secrets, (gpointer)a, s);
	}
	return s;
}

/* Look it up. A command that runs with the screen up gets the terminal
 * (pinentry), as Ctrl-Z gives it to the shell; it is killed after
 * CONFIG_COMMAND_TIMEOUT seconds. */
static int
secret_lookup(struct tui *t, const struct account *a, const char **secret_r, GError **error)
{
	struct account_secret *s = secret_for(t, a);
	bool give = t->screen_up && account_secret_will_run(s);
	int rc;

	if (give) {
		def_prog_mode();
		endwin();
	}
	rc = account_secret_get(s, secret_r, error);
	if (give) {
		reset_prog_mode();
		update_size();
		clearok(curscr, TRUE);
		viewer_resize(t);
		tui_dirty(t);
	}
	return rc;
}

/* Before the screen starts: a password nobody configured is asked for. */
static int
get_secret(struct tui *t)
{
	const struct account *a = t->account;
	const char *secret = NULL;
	GError *err = NULL;
	char *typed;

	if (secret_lookup(t, a, &secret, &err) == 0)
		return 0;
	if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD)) {
		g_error_free(err);
		typed = ask_password(a);
		if (typed == NULL)
			return TERN_EXIT_CONFIG;
		account_secret_set(secret_for(t, a), typed);
		config_secret_free(&typed);
		return 0;
	}
	tern_error("%s", err->message);
	g_error_free(err);
	return TERN_EXIT_CONFIG;
}

/* The next account in file order, after the current one. */
static const struct account *
next_account(struct tui *t)
{
	GPtrArray *all = t->cfg->accounts;

	for (guint i = 0; i < all->len; i++)
		if (all->pdata[i] == t->account)
			return all->pdata[(i + 1) % all->len];
	return all->pdata[0];
}

/* Its password or token, without asking (the screen is ours now).
 * Returns 0, or -1 after saying why. */
static int
switch_secret(struct tui *t, const struct account *a)
{
	const char *secret = NULL;
	GError *err = NULL;

	if (t->g->offline || secret_lookup(t, a, &secret, &err) == 0)
		return 0;
	if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD))
		tui_error(t, _("%s: no password in the configuration (set password_command); "
			       "start tern with -a %s to type it"), a->name, a->name);
	else
		tui_error(t, "%s", err->message);
	g_error_free(err);
	return -1;
}

int
tui_secret_get(struct tui *t, const char **secret_r)
{
	GError *err = NULL;

	if (secret_lookup(t, t->account, secret_r, &err) == 0)
		return 0;
	if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD))
		tui_error(t, _("%s: the password was refused; start tern again to type it"),
			  t->account->name);
	else
		tui_error(t, _("%s: %s (press $ to try again)"), t->account->name, err->message);
	g_error_free(err);
	return -1;
}

void
tui_secret_refused(struct tui *t)
{
	account_secret_refused(secret_for(t, t->account));
}

/* Everything the open account showed goes; the screen settings stay. */
static void
close_account(struct tui *t)
{
	guint lost;

	/* A render still running is dropped when it ends (viewer_clear()). */
	conn_stop(t);
	results_folder_opening(t, NULL); /* its connection is the old account's */
	compose_free_all(t);
	if ((lost = pending_abandon(t)) > 0)
		tern_error(ngettext("%u change could not be sent nor queued.",
				    "%u changes could not be sent nor queued.", lost),
			   lost);
	cache_close(t);
	conn_forget(t);
	viewer_clear(&t->viewer);
	prompt_free(&t->prompt);
	undo_free(t);
	message_list_clear(t->list);
	live_free(t); /* the next account's folders are other folders */
	live_init(t);
	folder_tree_free(&t->folders);
	t->folders = folder_tree_new();
	t->tag_prefix = false;
	t->focus = PANE_LIST;
}

void
tui_next_account(struct tui *t)
{
	const struct account *next = next_account(t);

	if (next == t->account) {
		tui_info(t, _("%s is the only account."), t->account->name);
		return;
	}
	if (switch_secret(t, next) < 0)
		return;
	close_account(t);
	t->account = next;
	tui_open_account(t);
	tui_info(t, _("Account %s."), t->account->name);
}

/* Read the configuration into t->cfg; with none and a terminal, offer the
 * first-run setup and read what it wrote. */
static int
read_config(struct tui *t)
{
	GError *err = NULL;
	char *path;
	int rc;

	if (config_load(t->g->config_path, &t->cfg, &err) == 0)
		return 0;
	if (!g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_MISSING) || !isatty(STDIN_FILENO)) {
		tern_error("%s", err->message);
		if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_MISSING))
			fprintf(stderr, _("Create it (mode 0600) with an account like this:\n\n%s"),
				config_example_text());
		g_error_free(err);
		return TERN_EXIT_CONFIG;
	}
	g_clear_error(&err);
	path = t->g->config_path != NULL ? g_strdup(t->g->config_path) : config_default_path();
	rc = tui_setup(t->g, path);
	g_free(path);
	if (rc != 0)
		return rc;
	if (config_load(t->g->config_path, &t->cfg, &err) < 0) {
		tern_error("%s", err->message);
		g_error_free(err);
		return TERN_EXIT_CONFIG;
	}
	return 0;
}

/* The configuration and everything built from it (warnings shown, keymap,
 * colours checked): one path whether the file was there or just written. */
static int
load_config(struct tui *t)
{
	char *msg = NULL;
	int rc = read_config(t);

	if (rc != 0)
		return rc;
	for (guint i = 0; i < t->cfg->warnings->len; i++)
		tern_error(_("warning: %s"), (char *)t->cfg->warnings->pdata[i]);
	t->km = keymap_new(t->cfg->keys, &msg);
	if (t->km == NULL || colors_check(t->cfg, &msg) < 0) {
		tern_error("%s: %s", t->cfg->path, msg);
		g_free(msg);
		return TERN_EXIT_CONFIG;
	}
	return 0;
}

static int
tui_prepare(struct tui *t)
{
	GError *err = NULL;
	int rc = load_config(t);

	if (rc != 0)
		return rc;
	t->account = config_pick_account(t->cfg, t->g->account, &err);
	if (t->account == NULL) {
		tern_error("%s", err->message);
		g_error_free(err);
		return TERN_EXIT_CONFIG;
	}
	mime_set_fallback_charset(t->cfg->ui.fallback_charset);
	if (!t->g->offline && (rc = get_secret(t)) != 0)
		return rc;
	t->show_folders = t->cfg->ui.folder_pane;
	t->beside = t->cfg->ui.layout == CONFIG_LAYOUT_BESIDE;
	t->full = t->cfg->ui.layout == CONFIG_LAYOUT_FULL;
	t->list = message_list_new();
	message_list_set_threaded(t->list, t->cfg->ui.threading);
	t->folders = folder_tree_new();
	live_init(t);
	t->focus = PANE_LIST;
	return 0;
}

static void
tui_free(struct tui *t)
{
	guint lost;

	viewer_wait(t);
	toolbox_free(t);
	results_free(t);
	results_folder_opening(t, NULL);
	parts_free(t);
	conn_stop(t);
	compose_free_all(t);
	if ((lost = pending_abandon(t)) > 0)
		tern_error(ngettext("%u change could not be sent nor queued.",
				    "%u changes could not be sent nor queued.", lost),
			   lost);
	cache_close(t);
	viewer_clear(&t->viewer);
	prompt_free(&t->prompt);
	undo_free(t);
	live_free(t);
	conn_forget_returning(t);
	if (t->redraw_source != 0)
		g_source_remove(t->redraw_source);
	if (t->thread_timer != 0)
		g_source_remove(t->thread_timer);
	if (t->info_timer != 0)
		g_source_remove(t->info_timer);
	if (t->drain_timer != 0)
		g_source_remove(t->drain_timer);
	message_list_free(&t->list);
	folder_tree_free(&t->folders);
	g_free(t->folder);
	g_free(t->search);
	g_free(t->message);
	term_paste_free(t);
	keymap_free(&t->km);
	if (t->secrets != NULL)
		g_hash_table_destroy(t->secrets);
	config_free(&t->cfg);
	if (t->loop != NULL)
		g_main_loop_unref(t->loop);
}

int
tui_main(const struct tern_globals *g)
{
	struct tui t = { 0 };
	guint sources[4], stdin_source;
	char *err = NULL;
	int rc;

	t.g = g;
	t.exit_code = TERN_EXIT_OK;
	mime_init();
	/* A terminal pinentry would fight with the screen: the viewer says
	 * when a key needs its passphrase instead (tern(1)). */
	mime_crypto_set_passphrase_prompt(false);
	if (g->debug && log_open() < 0)
		tern_error(_("warning: cannot open the log file"));
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		tern_error(_("the interface needs a terminal (see 'tern --help' for commands)"));
		rc = TERN_EXIT_USAGE;
		goto out;
	}
	if (term_check(&err) < 0) {
		tern_error("%s", err);
		g_free(err);
		rc = TERN_EXIT_CONFIG;
		goto out;
	}
	rc = tui_prepare(&t);
	if (rc != 0)
		goto out;
	if (g->mailto != NULL && compose_mailto(&t, g->mailto, false, &err) < 0) {
		tern_error("%s", err);
		g_free(err);
		rc = TERN_EXIT_USAGE;
		goto out;
	}
	t.loop = g_main_loop_new(NULL, FALSE);
	/* Before initscr(): ncurses then leaves these signals alone. */
	sources[0] = g_unix_signal_add(SIGWINCH, on_winch, &t);
	sources[1] = g_unix_signal_add(SIGTERM, on_terminate, &t);
	sources[2] = g_unix_signal_add(SIGHUP, on_terminate, &t);
	sources[3] = g_unix_signal_add(SIGINT, on_terminate, &t);
	screen_start(&t);
	if (colors_init(&t, &err) < 0) {
		screen_stop(&t);
		tern_error("%s", err);
		g_free(err);
		rc = TERN_EXIT_CONFIG;
		goto out_sources;
	}
	stdin_source = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &t);
	tui_open_account(&t);
	if (!text_locale_is_utf8() && t.message == NULL)
		tui_notice(&t, _("The locale's character set is %s, not UTF-8: what it cannot "
				 "show appears as ?"),
			   text_locale_charset());
	if (g->mailto != NULL)
		compose_mailto(&t, g->mailto, true, NULL);
	tui_dirty(&t);
	g_main_loop_run(t.loop);
	screen_stop(&t);
	rc = t.exit_code;
	g_source_remove(stdin_source);
out_sources:
	for (size_t i = 0; i < TERN_ARRAY_LEN(sources); i++)
		g_source_remove(sources[i]);
out:
	tui_free(&t);
	log_close();
	mime_shutdown();
	return rc;
}

/* tern — ui/tui: what the files of the interface share. Only ui/tui/ includes
 * this (and so only ui/tui/ sees ncurses). */
#ifndef TERN_TUI_PRIVATE_H
#define TERN_TUI_PRIVATE_H

#include <curses.h>

#include "core/config/config.h"
#include "core/imap/client.h"
#include "core/store/store.h"
#include "mime/mime.h"
#include "ui/main.h"
#include "ui/tui/folder-tree.h"
#include "ui/tui/keymap.h"
#include "ui/tui/layout.h"
#include "ui/tui/message-list.h"

/* The newest messages fetched first when a folder opens (at least). */
#define TUI_FIRST_SCREEN 50
/* The rest is fetched in ranges of this many sequence numbers (dense,
 * unlike UIDs), newest first, so that what the user asks for meanwhile
 * waits for one range, not the folder. */
#define TUI_LOAD_CHUNK 2000
/* The first screen in the server's order: at most this many UIDs, so
 * that they fit one set of TUI_ORDER_SET_MAX bytes (11 bytes each). */
#define TUI_ORDER_MAX 500
#define TUI_ORDER_SET_MAX 7000
/* THREAD answers for the whole folder, some 7 bytes a message on one
 * line: above this many messages it could pass the parser's line cap
 * (IMAP_DEFAULT_MAX_LINE, 4 MiB), which would cost the connection. */
#define TUI_THREAD_ORDER_MAX_EXISTS 300000
/* The folder list (its tree) is made again this often (s); counts come
 * sooner (live.c, [ui] poll_interval without NOTIFY). */
#define TUI_POLL_INTERVAL 60
/* Reconnect after 1 s, doubling up to this (s). */
#define TUI_RECONNECT_MAX 60
/* Informational messages fade after this (s); errors stay. */
#define TUI_INFO_TIMEOUT 8
/* Longest text typed at a prompt (bytes). */
#define TUI_PROMPT_MAX 1024
/* A message up to this size is fetched whole to be shown: one round trip
 * (BODY[]) costs less than two (BODYSTRUCTURE and the header, then the
 * parts shown) when a round trip is worth more than 64 KiB of transfer,
 * as it is from 10 Mbit/s at 50 ms up. */
#define TUI_VIEW_WHOLE (64 * 1024)
/* Only for servers whose BODYSTRUCTURE is unusable: a bigger message is
 * fetched this far to be shown (its text comes first, attachments after
 * it are cut short). */
#define TUI_VIEW_HEAD (1024 * 1024)
/* Messages a move may have for z to find them again by Message-ID. */
#define TUI_UNDO_MAX_FIND 200
/* Steps z can take back. */
#define TUI_UNDO_DEPTH 100
/* Folders listed in a completion message. */
#define TUI_COMPLETE_SHOWN 8

enum tui_pane {
	PANE_FOLDERS,
	PANE_LIST,
	PANE_VIEWER,
};

/* Screen elements that take a colour from [colors]. */
enum color_elem {
	COLOR_NORMAL = 0,
	COLOR_STATUS,
	COLOR_INFO,
	COLOR_ERROR,
	COLOR_SELECTION,
	COLOR_SELECTION_INACTIVE,
	COLOR_UNREAD,
	COLOR_FLAGGED,
	COLOR_TAGGED,
	COLOR_DELETED,
	COLOR_FOLDER,
	COLOR_FOLDER_UNREAD,
	COLOR_FOLDER_OPEN,
	COLOR_HEADER_NAME,
	COLOR_HEADER_VALUE,
	COLOR_SUBJECT,
	COLOR_QUOTE,
	COLOR_QUOTE_TWO,
	COLOR_QUOTE_THREE,
	COLOR_NOTICE,
	COLOR_ATTACHMENT,
	COLOR_SEPARATOR,
	COLOR_THREAD_TREE,
	COLOR_PROMPT,
	COLOR_HELP_KEY,
	COLOR_CRYPTO_GOOD,     /* the viewer's signature/encryption status, all well */
	COLOR_CRYPTO_BAD,      /* ... anything short of that */
	COLOR_COUNT
};

enum conn_state {
	CONN_OFFLINE,
	CONN_CONNECTING,
	CONN_READY,
};

enum prompt_kind {
	PROMPT_SEARCH,
	PROMPT_MOVE,
	PROMPT_CONFIRM,
	PROMPT_TEXT,     /* a line of text, nothing more (a header, a path) */
	PROMPT_ADDRESS,  /* addresses (To, Cc, Bcc, bounce): Tab completes the last */
	PROMPT_PATH,     /* a file's path: Tab completes it (no shell, ~ expanded) */
};

struct tui;
typedef void prompt_done_fn(struct tui *t, const char *text, void *ud);

struct prompt {
	enum prompt_kind kind;
	char *label;          /* translated, e.g. "Search: " */
	GString *text;
	size_t cursor;        /* byte offset in text */
	prompt_done_fn *done; /* Enter (text) or Esc (NULL); confirm: "y" or NULL */
	void *ud;
	GDestroyNotify ud_free;

	/* ---- prompt.c's own (#19 items 6 and 8) ---- */
	bool fresh;           /* pre-filled: the first character typed replaces it */
	char *note;           /* completions or an error, on the row above */
	bool note_is_error;
	GPtrArray *history;   /* search prompt: char *, oldest first, or NULL */
	bool *scope_all;      /* search prompt: the caller's scope, Tab flips it */
	guint hist_pos;       /* index in history; history->len: the text typed */
	char *draft;          /* the text typed, while Up/Down walk the history */
};

/* One viewer line, ready to draw. */
struct view_line {
	char *text;            /* sanitised */
	enum color_elem color;
	int name_cols;         /* header lines: columns of "Name:" drawn in COLOR_HEADER_NAME */
};

/* What the viewer shows of the open message (H and V toggle). */
enum viewer_mode {
	VIEW_TEXT,             /* the main headers and the text */
	VIEW_HEADERS,          /* every header, decoded, and the text */
	VIEW_SOURCE,           /* the message as fetched, sanitised */
	VIEW_OUTPUT,           /* a command's output (toolbox.c), until the next key */
};

struct viewer {
	guint32 uid;           /* 0: nothing open */
	char *folder;
	bool loading;
	bool waiting;          /* for the folder to open: then fetch (or mark read) */
	guint render_seq;      /* the newest render; older results are dropped */
	guint renders_pending; /* worker threads still running */
	GBytes *raw;
	guint32 cut_of;        /* raw is only the start of a message this big, or 0 */
	GPtrArray *structure;  /* struct imap_part *: raw holds only the parts shown
				  (mime_partial_message()), the others are listed
				  from this; NULL when raw is the whole message */
	bool no_structure;     /* the server's BODYSTRUCTURE was unusable: the
				  first TUI_VIEW_HEAD bytes instead (kept for the
				  session: viewer_clear() leaves it) */
	int width;             /* width rendered for */
	GPtrArray *lines;      /* struct view_line * */
	guint top;
	char *error;
	/* ---- #14: the viewer's toolbox (viewer.c owns these) ---- */
	enum viewer_mode mode;
	GPtrArray *links;      /* char *: the numbered links of the text, as shown */
	char *find;            /* / in the viewer: the text looked for, or NULL */
	gssize find_line;      /* the line of the current match, -1: none */
	GPtrArray *output;     /* VIEW_OUTPUT: struct view_line * */
	/* ---- #15: signed and encrypted mail (viewer.c owns these) ---- */
	GPtrArray *status;     /* struct view_line *: tern's crypto status, drawn above
				  the text in COLOR_CRYPTO_*, never scrolled with it */
	guint slow_timer;      /* a render that may wait for gpg-agent: says so if long */
	bool slow;             /* ... and it has been long */
	struct mime_message *unwrapped; /* the newest render's parse of a signed or
				  encrypted message, decrypted (memory only), or
				  NULL: what v lists (viewer_take_unwrapped()) */
};

/* What an operation's answer belongs to, and so what makes it stale. */
enum tui_op_scope {
	OP_FOLDER,     /* the folder open when it was asked (and its connection) */
	OP_CONNECTION, /* the connection alone: opening another folder meanwhile
			  leaves it current (connecting, the journal's replay,
			  LIST, an APPEND to Drafts) */
};

/* An operation waiting for the server. Each carries the generation it was
 * made in (the folder's or the connection's, by scope): a callback for an
 * older one only frees its state. */
struct tui_op {
	struct tui *t;
	enum tui_op_scope scope;
	guint gen;
	void *data;
	GDestroyNotify data_free;
};

struct tui {
	const struct tern_globals *g;
	struct config *cfg;
	const struct account *account;
	GHashTable *secrets; /* struct account * -> struct account_secret *, kept for
			      * reconnects and account switches (tui.c) */
	struct keymap *km;
	GMainLoop *loop;
	int exit_code;
	bool quitting;          /* the loop is told to stop */
	bool draining;          /* quitting once the changes below are answered */
	guint drain_timer;
	GHashTable *pending;    /* struct pending *: changes waiting for an answer */

	/* the connection */
	struct imap_client *client;
	enum conn_state conn;
	guint reconnect_timer;
	guint reconnect_delay;
	guint poll_timer;
	bool previews_busy;     /* a PREVIEW fetch for the rows on screen is out */
	guint previews_gen;     /* ... made in this generation (gen) */
	guint folders_timer;    /* a LIST soon (after moves) */
	guint folders_poll;     /* LIST now and then: other folders' counts */
	bool list_pending;      /* LIST after the open folder's first screen */
	GHashTable *ops;        /* struct tui_op * waiting for a callback */
	/* conn.c's: the generations tui_op_current() compares. A folder
	 * opened bumps gen alone; a connection lost, refused or stopped bumps
	 * both (conn_new_generation()), so a folder's answers also die with
	 * its connection but the connection's own outlive a folder switch. */
	guint gen;
	guint conn_gen;

	/* folders */
	struct folder_tree *folders;

	/* the account's cache (NULL: --no-cache, or none to read offline) */
	struct store *store;
	bool cache_read_only;   /* nothing is written (--offline without a cache file) */
	bool cache_broken;      /* a write failed: left alone from then on */
	bool cache_synced;      /* the open folder resyncs through the store */
	guint32 cache_uidvalidity; /* of the open folder's rows, 0: none */
	struct store_replay *replay; /* queued changes being sent, or NULL */
	struct cache_walk *cache_walk; /* the rest of the cached rows coming in */
	guint cache_counts_source; /* the cached folders' counts, after the first screen */
	guint cache_load_rows;  /* rows in the load's open transaction (cache.c) */
	guint cache_load_timer; /* commits that transaction (cache.c) */
	bool cache_had_rows;    /* the load's folder had cached rows before it (cache.c) */

	/* the open folder */
	char *folder;           /* NULL: none */
	struct imap_mailbox_info info;
	bool selected;          /* SELECT succeeded */
	bool loading;
	bool loaded;
	bool reload;            /* reloading a folder already shown (reconnect) */
	guint32 load_low;       /* lowest sequence number asked for so far */
	bool load_from_top;     /* the first screen came without sizes: the load's
				   first range goes from the top again */
	/* conn.c's: the first screen's order asked of the server (ESORT,
	 * THREAD); once a connection died with it in flight, not again */
	bool order_asked;
	bool load_after_order;  /* the load's next range waits for the server's first screen */
	guint32 order_top_uid;  /* selected on the first row while it came (0: moved or none) */
	bool order_off;
	guint32 top_uid;        /* highest UID known; new mail is above */
	bool fetching_new;
	bool fetch_new_again;
	bool resync_needed;     /* an expunge we could not place: compare UID lists */
	/* EXPUNGEs gathered until the responses at hand are read (conn.c
	 * gone_add()), with the folder they were in */
	GArray *gone_uids;
	char *gone_folder;
	guint32 gone_uidvalidity;
	guint gone_source;
	struct message_list *list;
	char *search;           /* the active search, or NULL */
	bool searching;
	/* results.c's: the all-folder search's results (list pane), and the
	 * message Enter chose there, opened once its folder lists it */
	struct results *results;
	char *open_folder;
	guint32 open_uid;

	/* viewer */
	struct viewer viewer;

	/* screen */
	struct layout lay;
	enum tui_pane focus;
	bool show_folders;
	bool beside;
	bool full;              /* layout = full: an open message replaces the list */
	enum layout_zoom zoom;  /* Z: one pane has the whole screen */
	bool screen_up;         /* initscr() done, endwin() not yet */
	guint redraw_source;
	guint thread_timer;
	guint info_timer;
	struct prompt *prompt;
	GString *paste;         /* a bracketed paste being read, or NULL (term.c) */
	guint paste_timer;      /* its end mark is late: take it as ended (term.c) */
	bool help;
	guint help_top;
	bool tag_prefix;
	char *message;          /* the message line: last error or info */
	bool message_is_error;
	guint message_serial;   /* counts messages set: has another said something since? */
	struct compose *compose; /* the message being reviewed, or NULL (compose.c) */
	struct complete *complete; /* address completion's index, or NULL (complete.c) */
	struct parts_view *parts; /* v: the parts list over the viewer, or NULL (parts.c) */
	struct outbox_run *outbox; /* the outbox being sent, or NULL (compose.c) */
	struct quote_job *quote;   /* an original being decrypted to answer it, or
				      NULL (compose.c) */
	GPtrArray *drafts_runs;    /* struct drafts_run *: sent drafts being removed
				      from Drafts (compose.c) */
	guint outbox_waiting;   /* messages not sent yet, for the status line */
	guint queued;           /* the journal's length, when queued_known (cache.c) */
	bool queued_known;
	GPtrArray *undo;        /* struct undo_entry *, oldest first (undo.c) */
	struct undo_run *undo_run; /* a move being taken back, or NULL */
	bool undo_after_move;        /* z while the last move was on its way, or while
				     * one was being taken back: done when that is
				     * (undo.c) */
	struct imap_watch *watch; /* every folder's counts (live.c) */
	bool live_attached;     /* the watch has this connection (live.c) */
	GHashTable *live_marked; /* folder names with new mail not opened yet (live.c) */
	guint live_command;     /* child watch of new_mail_command running, or 0 */
	GHashTable *returning;  /* Message-IDs undo brings back (conn.c): no new mail */
	char *select_mid;       /* of those, the one to select when it comes */
	attr_t attrs[COLOR_COUNT];
};

/* ---- tui.c ---------------------------------------------------------------- */
/* Mark the screen for a redraw at the end of this loop turn. */
void tui_dirty(struct tui *t);
/* Show an informational message (fades) or an error (stays). Formats are
 * translated by the caller; arguments are sanitised when drawn. */
void tui_info(struct tui *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void tui_error(struct tui *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A message that stays until replaced, but is no error (progress). */
void tui_notice(struct tui *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Quit with code; changes waiting for the server are given the account's
 * timeout to be answered first (asked again: at once). */
void tui_quit(struct tui *t, int code);
/* pending.c calls this when a change ended: quits once the last is in. */
void tui_quit_check(struct tui *t);
/* The message the actions apply to: the viewer's when it has the focus,
 * else the selected one (NULL when none). */
struct msg *tui_current(struct tui *t);
/* Compute t->lay from the panes wanted (the focus leaves a hidden pane). */
void tui_layout(struct tui *t);
/* The same after something changed what is shown, and redraw. */
void tui_relayout(struct tui *t);
/* A: close this account and open the next one of the configuration. */
void tui_next_account(struct tui *t);
/* The open account's secret for a connection (core/config's one lookup; a
 * command gets the terminal, the screen suspended). 0, or -1 after saying
 * why on the status line. *secret_r: transfer none, NULL for PREAUTH. */
int tui_secret_get(struct tui *t, const char **secret_r);
/* The server refused it: the next tui_secret_get() looks it up again. */
void tui_secret_refused(struct tui *t);
/* Ctrl-Z: give the terminal back and stop; redraw on resume. */
void tui_suspend(struct tui *t);

/* ---- pending.c ------------------------------------------------------------ */
/* The user's changes between the key press and the server's answer: see
 * pending.c. pending_begin() writes the change ahead into the journal
 * (claimed by this process) before its command is sent. Transfer full. */
struct pending;
struct pending *pending_begin(struct tui *t, const char *folder, guint32 uidvalidity,
			      enum store_action_kind kind, const GArray *uids, const char *arg);
/* The answer came (OK or refused: forgotten) or was lost (any other
 * status: it stays queued for the next connection). Frees *p and sets it
 * to NULL; NULL is a no-op. True when the change is now queued. */
bool pending_end(struct pending **p, enum tern_status st);
guint pending_count(struct tui *t);
/* After conn_stop(): end whatever is still open as lost; returns how many
 * could not be queued. */
guint pending_abandon(struct tui *t);

/* ---- crash.c -------------------------------------------------------------- */
/* Remember the shell's terminal modes (call before initscr()). */
void crash_guard_save_modes(void);
/* After initscr(): a fatal signal restores the terminal before the process
 * dies (the handler that was there before still runs). */
void crash_guard_arm(void);
/* Before endwin(): put the previous handlers back. */
void crash_guard_disarm(void);

/* ---- setup.c -------------------------------------------------------------- */
/* First run: no configuration at path. Asks for an account on the terminal
 * and writes the file. Returns 0 or an exit code (after printing why). */
int tui_setup(const struct tern_globals *g, const char *path);

/* ---- colors.c ------------------------------------------------------------- */
/* Start colours (unless NO_COLOR or a monochrome terminal) and fill
 * t->attrs from the defaults and [colors]. Returns -1 with *error_r for an
 * unknown element name. */
int colors_init(struct tui *t, char **error_r);
/* Check [colors] element names (before the terminal starts). */
int colors_check(const struct config *cfg, char **error_r);

/* ---- term.c --------------------------------------------------------------- */
/* Key codes of ours for the marks around a bracketed paste. */
#define TUI_KEY_PASTE_BEGIN (KEY_MAX + 1)
#define TUI_KEY_PASTE_END (KEY_MAX + 2)
/* Before initscr(): 0 when TERM names a terminal the interface can drive,
 * else -1 and a message for the user (transfer full). */
int term_check(char **err_r);
/* After initscr(): ask for bracketed paste; before endwin(): stop it. */
void term_paste_on(void);
void term_paste_off(void);
/* A key read: true when it belongs to a paste (taken as text for the open
 * prompt at the end mark, never as a key). */
bool term_paste_key(struct tui *t, int kind, wint_t ch);
void term_paste_free(struct tui *t);

/* ---- draw.c --------------------------------------------------------------- */
/* Draw s (sanitised here, one line) at y,x in exactly w columns, truncated
 * with an ellipsis; or right-aligned. */
void draw_text(int y, int x, int w, const char *s, attr_t attr);
void draw_text_right(int y, int x, int w, const char *s, attr_t attr);
/* Draw s (sanitised) without padding; returns the columns used. */
int draw_text_at(int y, int x, int w, const char *s, attr_t attr);
void draw_fill(int y, int x, int w, attr_t attr);
/* A line of the interface's own (pane borders): ACS in UTF-8, else ASCII. */
void draw_vline(int y, int x, int h);
void draw_hline(int y, int x, int w);
/* "42,000": a count with thousands separators. Transfer full. */
char *draw_count(guint64 n);

/* ---- panes ---------------------------------------------------------------- */
void folder_pane_draw(struct tui *t, const struct tui_rect *r, bool focused);
void list_pane_draw(struct tui *t, const struct tui_rect *r, bool focused);
/* The viewer in r, its title bar in t->lay.viewer_sep. */
void viewer_pane_draw(struct tui *t, const struct tui_rect *r, bool focused);
void status_draw(struct tui *t);
void help_draw(struct tui *t);
/* Help screen keys; true when the key was used. */
bool help_key(struct tui *t, enum action a);

/* ---- viewer.c ------------------------------------------------------------- */
/* Open message m of the open folder in the viewer (fetches it). */
void viewer_open(struct tui *t, struct msg *m);
void viewer_close(struct tui *t);
/* The open folder is selected now: do what the viewer waited for. */
void viewer_resume(struct tui *t);
void viewer_clear(struct viewer *v);
/* Wait for the rendering threads to end (at exit). */
void viewer_wait(struct tui *t);
void viewer_scroll(struct tui *t, gssize delta);
void viewer_scroll_to(struct tui *t, bool end);
/* The last line of the open message is on screen. */
bool viewer_at_end(struct tui *t);
/* The viewer's width changed: render again. */
void viewer_resize(struct tui *t);

/* ---- prompt.c ------------------------------------------------------------- */
void prompt_start(struct tui *t, enum prompt_kind kind, const char *label, const char *initial,
		  prompt_done_fn *done, void *ud, GDestroyNotify ud_free);
/* A key while a prompt is open: spec as keymap specs, wc the character
 * typed (0 for none). */
void prompt_key(struct tui *t, const char *spec, gunichar wc);
void prompt_draw(struct tui *t);
/* Pasted text (one line, controls removed) typed into the open prompt. */
void prompt_paste(struct tui *t, const char *text);
void prompt_free(struct prompt **p);
/* A search prompt with a scope: Tab flips *all (this folder / all
 * folders) and the label says which; all is the caller's (its ud). */
void prompt_set_scope(struct prompt *p, bool *all);
/* For complete.c: the text (transfer none), a new text (cursor at the
 * end), a note on the row above (NULL: none). */
const char *prompt_text(const struct prompt *p);
void prompt_set_text(struct prompt *p, const char *text);
void prompt_set_note(struct prompt *p, bool error, const char *note);

/* ---- complete.c ----------------------------------------------------------- */
/* Tab in an address or path prompt: true when p is one (see complete.c). */
bool complete_tab(struct tui *t, struct prompt *p);
/* Start reading the cache's addresses in the background (once per
 * account), when a prompt that completes them opens. */
void complete_prepare(struct tui *t);
/* The address index and a running address_book_command go (the account
 * closes). */
void complete_free(struct tui *t);

/* ---- conn.c --------------------------------------------------------------- */
void conn_start(struct tui *t);
void conn_stop(struct tui *t);
/* Remove the EXPUNGEd messages gathered so far (conn.c gone_add()). */
void conn_flush_gone(struct tui *t);
void conn_open_folder(struct tui *t, const char *name);
void conn_sync(struct tui *t);
/* Undo brings these messages back into the open folder (Message-IDs,
 * copied): they are no new mail, and the first is selected when it comes. */
void conn_expect_returning(struct tui *t, const GPtrArray *mids);
void conn_forget_returning(struct tui *t);
/* After conn_stop(): the connection's and the open folder's state goes
 * (closing an account). */
void conn_forget(struct tui *t);
/* The folder to open (before connecting: the one shown from the cache). */
void conn_set_folder(struct tui *t, const char *name);
/* List the folders again soon (their counts changed). */
void conn_refresh_folders(struct tui *t);
void conn_search(struct tui *t, const char *query);
/* An operation on the open folder (OP_FOLDER) / on the connection alone
 * (OP_CONNECTION). data (transfer full) is freed with data_free by
 * tui_op_free(), or by conn_stop() for an op never answered. */
struct tui_op *tui_op_new(struct tui *t, void *data, GDestroyNotify data_free);
struct tui_op *tui_op_new_conn(struct tui *t, void *data, GDestroyNotify data_free);
/* The answer is still wanted: not quitting, and nothing of its scope
 * changed since it was made (the folder and the connection, or the
 * connection alone). */
bool tui_op_current(struct tui_op *op);
void tui_op_free(struct tui_op *op);
/* The folder with a role (the account's configured name or the server's
 * special-use), or NULL. */
const char *conn_role_folder(struct tui *t, enum folder_role role);
/* The list shows the preview column: [ui] preview, and the server offers
 * PREVIEW (offline: the cached previews show). */
bool conn_previews_shown(struct tui *t);
/* Ask for the previews of the rows on screen that have none (after a
 * drawing: the rows on screen are known then), one fetch at a time, each
 * message once. */
void conn_previews_for_screen(struct tui *t);

/* ---- cache.c -------------------------------------------------------------- */
/* Open the account's cache (read-only with --offline; none with --no-cache). */
void cache_open(struct tui *t);
void cache_close(struct tui *t);
bool cache_usable(struct tui *t);
/* 1 and *f_r when the folder is cached, else 0. */
int cache_folder(struct tui *t, const char *folder, struct store_folder *f_r);
/* The cached summaries of those uids (ascending) when the cache holds the
 * folder exactly as info (its EXAMINE) says, else NULL; the UIDs found are
 * removed from uids. Transfer full (imap_summary_clear() each). */
GArray *cache_exact_summaries(struct tui *t, const char *folder,
			      const struct imap_mailbox_info *info, GArray *uids);
/* Show the open folder's cached messages; false when it has none. */
bool cache_show_folder(struct tui *t);
/* After a resync: the list becomes what the cache holds (replace: clear
 * it first, the UIDVALIDITY changed). */
void cache_reload_folder(struct tui *t, guint32 uidvalidity, bool replace);
/* The folder pane from the cached folder names (offline). */
void cache_show_folders(struct tui *t);
/* Drop the cached counts not yet shown (the server listed newer ones). */
void cache_counts_cancel(struct tui *t);
/* Keep the folder list the server gave (for the next offline start). */
void cache_put_folders(struct tui *t, const GPtrArray *folders);
/* A folder loaded from the server without the store's resync: its row
 * first (incomplete), then complete once every summary is in. */
void cache_start_folder(struct tui *t, const struct imap_mailbox_info *info);
void cache_finish_folder(struct tui *t, const struct imap_mailbox_info *info);
/* Write what the server said (or the user did) about the open folder. */
/* A preview came for a message of the open folder. */
void cache_set_preview(struct tui *t, guint32 uid, const char *preview);
void cache_put(struct tui *t, const struct imap_summary *sums, guint n);
void cache_set_flags(struct tui *t, const struct imap_summary *s);
void cache_flag_bit(struct tui *t, const GArray *uids, guint bit, bool add);
void cache_remove(struct tui *t, const guint32 *uids, guint n);
/* The same in a folder other than the open one. */
void cache_remove_in(struct tui *t, const char *folder, guint32 uidvalidity, const guint32 *uids,
		     guint n);
/* A cached body of the open folder, or NULL. Transfer full. */
/* Changes made while the server cannot take them wait in the journal and
 * are sent on the next connect (store_journal_replay()). */
bool cache_can_queue(struct tui *t);
/* The journal can be sent (and its entries forgotten). */
bool cache_can_replay(struct tui *t);
int cache_queue(struct tui *t, enum store_action_kind kind, const GArray *uids, const char *arg);
/* The same for a folder that may not be the open one (a change the
 * server did not answer because the connection was lost). */
/* Write ahead (pending.c): into the journal, claimed by this process. */
int cache_journal_begin(struct tui *t, const char *folder, guint32 uidvalidity,
			enum store_action_kind kind, const GArray *uids, const char *arg,
			gint64 *id_r);
/* done: the server answered, forget it; else release it to the queue. */
int cache_journal_end(struct tui *t, gint64 id, bool done);
/* A cache call failed: say so once, and leave the cache alone after. */
void cache_failed(struct tui *t, GError *err);
/* The journal changed (here, or a replay ended): count it again. */
void cache_journal_changed(struct tui *t);
/* The outbox changed: recount t->outbox_waiting. */
void cache_outbox_changed(struct tui *t);
int cache_queue_in(struct tui *t, const char *folder, guint32 uidvalidity,
		   enum store_action_kind kind, const GArray *uids, const char *arg);
/* Offline search: the UIDs of the open folder's cached summaries that q
 * matches (text: and words look in the headers only; body: never
 * matches), or NULL when nothing is cached. Transfer full. */
struct query;
GArray *cache_search(struct tui *t, const struct query *q);
/* The cached summaries of every cached folder that q matches (body: and
 * text: through the full-text index), as fn(folder, summary) (both
 * transfer none, valid during the call), one folder after the other, each
 * newest first, cut after 150 ms: the all-folder search's first answer. */
typedef void cache_found_fn(const char *folder, const struct imap_summary *s, void *ud);
void cache_search_all(struct tui *t, const struct query *q, cache_found_fn *fn, void *ud);
/* Actions in the journal (of any folder). */
guint cache_queued(struct tui *t);
GBytes *cache_body_get(struct tui *t, const char *folder, guint32 uid);
/* A part by fetch item ("BODY[1.2]", "BINARY[2]", "BODYSTRUCTURE"; see
 * store_part_put()): transfer full, or NULL. */
GBytes *cache_part_get(struct tui *t, const char *folder, guint32 uid, const char *item);
void cache_part_put(struct tui *t, const char *folder, guint32 uid, const char *item,
		    GBytes *data);
void cache_body_put(struct tui *t, const char *folder, guint32 uid, GBytes *data);
/* The full-text index's text of a cached message (a decrypted one's:
 * cache_decrypted). */
void cache_text_put(struct tui *t, const char *folder, guint32 uid, const char *text);

/* ---- actions.c ------------------------------------------------------------ */
void actions_run(struct tui *t, enum action a);
/* Set \Seen on one message on the server (the viewer showed it from the cache). */
void actions_mark_seen(struct tui *t, guint32 uid);
/* Set (add) or clear a flag bit (IMAP_FLAG_SEEN or IMAP_FLAG_FLAGGED) of
 * these messages of the open folder: sent, or queued offline. False (and
 * the user told why) when it cannot be done now. */
bool actions_change_flag(struct tui *t, GArray *uids, guint bit, bool add);

/* ---- compose.c ------------------------------------------------------------ */
/* Answering mail: see compose.c. r/R/f: a reply (all) or forward of the
 * current message; M: a new one; P: the newest kept. */
void compose_answer(struct tui *t, enum action a);
void compose_new(struct tui *t);
void compose_resume(struct tui *t);
/* tern mailto:URL: a message from the URL (RFC 6068), in the editor when
 * start, else only checked. -1 and *error_r (may be NULL; transfer full)
 * when the URL cannot be read. */
int compose_mailto(struct tui *t, const char *url, bool start, char **error_r);
/* On start: say when unfinished messages are kept. */
void compose_announce_kept(struct tui *t);
/* The review screen is up: keys go to compose_key(), compose_draw() draws. */
bool compose_reviewing(struct tui *t);
void compose_key(struct tui *t, enum action a);
void compose_draw(struct tui *t);
/* Connected and the folders listed: send what waits in the outbox. */
void compose_connected(struct tui *t);
/* After conn_stop(): drop the review (its file stays) and let a message
 * going out finish. */
void compose_free_all(struct tui *t);
/* Start writing d (transfer full) in the editor, as r or M do (fresh: an
 * unchanged file after the editor means nothing was written). */
void compose_begin(struct tui *t, struct mime_draft *d, bool fresh);
/* A new directory under the drafts directory for files tern attaches by
 * itself (removed with the draft when it is sent or dropped), or NULL
 * (said why). Transfer full. */
char *compose_attach_dir(struct tui *t);
/* Put a built message in the outbox; compose_send_queued() then starts
 * the run. */
int compose_queue(struct tui *t, const struct mime_outgoing *o, GError **error);
void compose_send_queued(struct tui *t);

/* ---- answer.c ------------------------------------------------------------- */
/* ; r, ; R, ; L, ; f: one answer to all the tagged messages (; f asks
 * inline or attached). */
void answer_tagged(struct tui *t, enum action a);
/* Bounce the current message (or the tagged ones): the addresses asked,
 * then into the outbox unchanged under Resent- fields. */
void answer_bounce(struct tui *t, bool tagged);
/* Edit as new: the current message in the editor as a new message. */
void answer_edit_new(struct tui *t);

/* ---- undo.c --------------------------------------------------------------- */
/* The session's changes, taken back newest first by z (see undo.c). */
struct undo_entry;
struct undo_run;
/* changed: the messages whose flag bit was set (added) or cleared by it,
 * only those whose state it changed. Copied. */
void undo_push_flag(struct tui *t, const char *folder, const GArray *changed, guint bit,
		    bool added);
/* A move, at the key (so z takes steps back in the order they were made);
 * mids (may be NULL) referenced. Returns its serial for undo_end_move(). */
guint undo_begin_move(struct tui *t, const char *src, const GArray *uids, const char *dest,
		      GPtrArray *mids);
/* The server's answer: done, with the UIDs there (COPYUID, may be NULL,
 * copied), or not (the step goes). An unknown serial is a no-op. */
void undo_end_move(struct tui *t, guint serial, bool done, const GArray *dest_uids);
/* The server refused the newest flag change: it is no undo step. */
void undo_forget_flag(struct tui *t, const GArray *uids, guint bit);
/* z. */
void undo_last(struct tui *t);
/* Forget every step (and stop a move being taken back, without a callback). */
void undo_free(struct tui *t);

/* ---- #14: the viewer's toolbox (viewer.c, toolbox.c) --------------- */
/* H, V: show every header, or the source; again: back to the text. */
void viewer_set_mode(struct tui *t, enum viewer_mode mode);
/* / in the viewer: find text (case ignored for ASCII) from the top line
 * down; n/N: the next or previous match (wraps). */
void viewer_find(struct tui *t, const char *text);
void viewer_find_next(struct tui *t, int dir);
/* Show text (a command's output: sanitised here) in the viewer until
 * another mode is chosen. */
void viewer_show_output(struct tui *t, const char *title, const char *text, size_t len);
/* q, Esc: a command's output, every header or the source ends (back to
 * the text); with find (Esc), also the highlighted search. False when
 * there was none. */
bool viewer_leave_mode(struct tui *t, bool find);
/* The message as fetched (transfer none), or NULL; *cut_r: only its start,
 * or only the parts shown (not the message as it is). */
GBytes *viewer_raw(struct tui *t, bool *cut_r);
/* The message's BODYSTRUCTURE when the viewer holds only the parts it
 * shows (transfer none), else NULL. */
const GPtrArray *viewer_structure(struct tui *t);
/* The open message parsed, verified and decrypted by the viewer's last
 * render (transfer full: the viewer forgets it), or NULL when it is
 * neither signed nor encrypted. *busy_r: a render is still running (it
 * may be waiting for gpg-agent). */
struct mime_message *viewer_take_unwrapped(struct tui *t, bool *busy_r);
/* Gives it back (transfer full) when uid is still open and no newer
 * render has made another; else frees it. */
void viewer_return_unwrapped(struct tui *t, guint32 uid, struct mime_message *msg);
/* The whole message (fetched for a pipe, a save, the source) of the one
 * the viewer holds only in part: kept, cached and shown from now on. */
void viewer_have_whole(struct tui *t, guint32 uid, GBytes *whole);
/* What the viewer would show of message uid (size: its RFC822.SIZE): the
 * whole message when small, signed or encrypted, else its header and text
 * parts only (mime_partial_message()), for a reply that quotes the text.
 * fn gets raw (transfer none) or NULL and why; never inside this call, and
 * not at all when the connection or folder changed first. ud_free (may be
 * NULL) frees ud after fn, or when fn will not come. */
/* Called with the originals (GBytes *) and their parses, the encrypted ones
 * decrypted (struct mime_message *, in the same order; both transfer none). */
typedef void quote_ready_fn(struct tui *t, GPtrArray *raws, GPtrArray *msgs, void *ud);
/* Decrypt the encrypted ones of raws in a thread, for a reply's quote, then
 * ready(); nothing if the interface lets go first (gpg_timeout) or is
 * going. ud_free(ud) at the end either way. (compose.c) */
void compose_decrypt_originals(struct tui *t, GPtrArray *raws, quote_ready_fn *ready, void *ud,
			       GDestroyNotify ud_free);
typedef void shown_fn(struct tui *t, GBytes *raw, const char *detail, void *ud);
void viewer_fetch_shown(struct tui *t, guint32 uid, guint32 size, shown_fn *fn, void *ud,
			GDestroyNotify ud_free);
/* toolbox.c: | pipe, S save as .eml, b open a link. */
void toolbox_pipe(struct tui *t);
void toolbox_save_message(struct tui *t);
void toolbox_links(struct tui *t);
/* Forget running commands' callbacks (at exit). */
void toolbox_free(struct tui *t);

/* ---- results.c: the all-folder search (#16) -------------------------------- */
struct results;
/* Search every selectable folder on a connection of its own; the matches
 * show in the list pane as they come (replacing earlier results). */
void results_start(struct tui *t, const char *text);
bool results_active(struct tui *t);
void results_draw(struct tui *t, const struct tui_rect *r, bool focused);
/* A key for the list pane while results show: true when handled. */
bool results_key(struct tui *t, enum action a);
/* The open folder's messages are listed: select the message chosen. */
void results_listed(struct tui *t);
/* A folder opens: the results close; a choice for another folder is dropped. */
void results_folder_opening(struct tui *t, const char *name);
/* Closes the results (and their connection). */
void results_free(struct tui *t);
/* fn(t, the whole open message, arg) now, or once it is fetched when only
 * its start is here (arg: transfer full, freed after fn). */
typedef void with_message_fn(struct tui *t, GBytes *raw, char *arg);
void toolbox_with_message(struct tui *t, with_message_fn *fn, char *arg);
/* Run a command line with /bin/sh -c in the background, input on its
 * stdin; its output shown in the viewer under title (NULL: "Output of
 * COMMAND"), its status on the status line. */
void toolbox_run_command(struct tui *t, GBytes *input, const char *command, const char *title);
/* Ask where to save bytes (dir: NULL for save_dir; name: a safe file
 * name); never overwrites without asking, never follows a symbolic link. */
void toolbox_save_prompt(struct tui *t, GBytes *bytes, const char *dir, const char *name);
/* parts.c: v, the list of parts over the viewer (s save, o open with the
 * mailcap entry for its type, | pipe, q back). */
void parts_open(struct tui *t);
bool parts_shown(struct tui *t);
void parts_key(struct tui *t, enum action a, const char *spec);
void parts_draw(struct tui *t, const struct tui_rect *r);
/* Close the list (message changed) / and at exit remove the private files. */
void parts_close(struct tui *t);
void parts_free(struct tui *t);

/* ---- live.c: every folder's counts, new mail anywhere (#16) ------------------ */
void live_init(struct tui *t);
/* After conn_stop() (the client is gone). */
void live_free(struct tui *t);
/* A folder list the interface made (struct imap_folder *, with UIDNEXT):
 * the first of a connection starts the watch (NOTIFY, else polling). */
void live_folders(struct tui *t, const GPtrArray *folders);
/* The connection ended (closed or freed). */
void live_detach(struct tui *t);
/* The client's events go here first: true when it took it. */
bool live_event(struct tui *t, const struct imap_event *ev);
/* The open folder is left / another opened (its new-mail mark goes). */
void live_leaving(struct tui *t);
void live_opened(struct tui *t, const char *folder);
/* New mail: mark the folder (unless open), say where, run new_mail_command. */
void live_new_mail(struct tui *t, const char *folder, guint count);
bool live_marked(struct tui *t, const char *folder);
/* The user's own move, copy or APPEND brings n messages to folder (it
 * failed: unexpect). */
void live_expect(struct tui *t, const char *folder, guint n);
void live_unexpect(struct tui *t, const char *folder, guint n);

/* ---- #19 triage: declarations added for folder-pane.c ------------------------ */
/* Ask for a folder by name (the folder prompt: Tab completes any part of
 * its path) and open it. For a go-to-folder key. */
void folder_pane_goto_prompt(struct tui *t);

#endif

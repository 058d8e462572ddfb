/* tern — core/store: the SQLite cache of one account.
 *
 * One database per account under $XDG_CACHE_HOME/tern/ (store_account_path()),
 * in WAL mode with a busy timeout so that a TUI and a CLI can share it. It
 * keeps folders (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ), message summaries
 * keyed by (folder, UIDVALIDITY, UID), bodies fetched for reading (total
 * size capped, least recently used evicted first) and a journal of actions
 * waiting for the server (claimed inside a transaction, replayed in order).
 *
 * The schema carries its version in PRAGMA user_version and is migrated
 * step by step on open. A file that is not a database at all, whose header
 * or schema cannot be read, or that fails PRAGMA quick_check (run over the
 * whole file when the last one is older than a day) is moved aside and the
 * cache is rebuilt empty; the open then succeeds and hands back a warning
 * (core never prints).
 *
 * Every call is synchronous and returns 0 (or 1/0 where it says "found")
 * or -1 with a GError in STORE_ERROR. Strings are stored exactly as the
 * server sent them.
 */
#ifndef TERN_STORE_H
#define TERN_STORE_H

#include "core/common.h"
#include "core/imap/client.h"

struct store;

#define STORE_ERROR (store_error_quark())
GQuark store_error_quark(void);
enum store_error_code {
	STORE_ERROR_IO,       /* SQLite failed (disk full, locked past the timeout…) */
	STORE_ERROR_CORRUPT,  /* the file is damaged and could not be rebuilt */
	STORE_ERROR_MISSING,  /* read-only open of a cache that does not exist */
	STORE_ERROR_USAGE,    /* bad arguments */
	STORE_ERROR_EXISTS,   /* the outbox already holds that Message-ID */
};

/* Default cap of the bodies table, in bytes (store_set_body_limit()). */
#define STORE_BODY_LIMIT_DEFAULT (64u * 1024 * 1024)
/* Longest safe file name store_safe_name() makes (bytes, before ".db"). */
#define STORE_SAFE_NAME_MAX 80
/* Most bytes of a body's text put into the full-text index: the first
 * 256 KiB of what a reader sees; the rest of a longer body is not found
 * by body: offline. */
#define STORE_FTS_TEXT_MAX (256u * 1024)
/* Most bytes of one message's From, To, Cc and Subject indexed. */
#define STORE_FTS_HEADER_MAX (16u * 1024)
/* A journal claim older than this is taken over by another process. */
#define STORE_CLAIM_STALE_S 300

/* A file name made of NAME: letters, digits, '-' and '_' kept; every other
 * byte as %XX; a name that would be too long is cut and ends with a hash of
 * the whole. Never empty, never starts with '.', never holds '/'.
 * Transfer full. */
char *store_safe_name(const char *name);

/* $XDG_CACHE_HOME/tern/<store_safe_name(account)>.db. Transfer full. */
char *store_account_path(const char *account);

enum {
	STORE_OPEN_READ_ONLY = 1u << 0, /* do not create; never write (offline reading) */
};

/* Open (creating the directory and the file unless read-only) and migrate.
 * A damaged file is renamed to PATH.corrupt and rebuilt: *warning_r (may be
 * NULL) then gets a translated sentence (transfer full), else NULL.
 * Read-only: a missing file is STORE_ERROR_MISSING; a damaged one is
 * STORE_ERROR_CORRUPT (nothing is moved).
 * *store_r: transfer full (store_free()). */
int store_open(const char *path, unsigned flags, struct store **store_r, char **warning_r,
	       GError **error);
void store_free(struct store **s);
/* Another connection on the file of s (open, not read-only), for another
 * thread; each connection is used by one thread only. */
int store_open_another(struct store *s, struct store **store_r, GError **error);

/* The file this store was opened on. Transfer none. */
const char *store_path(struct store *s);

/* One transaction around many calls (every call outside one is its own).
 * begin takes the write lock at once (BEGIN IMMEDIATE). Not nested. */
int store_begin(struct store *s, GError **error);
int store_commit(struct store *s, GError **error);
void store_rollback(struct store *s);

/* A bulk write: a folder's first load in the interface, whose rows come in
 * batches between which the user goes on working. store_bulk_begin() opens
 * a transaction (unless one is open) that store_messages_put() calls join;
 * any other write commits it first, so that write is committed when its
 * call returns. The caller commits it with store_bulk_commit() often enough
 * that other processes get the write lock (the command line's sync commits
 * 100 ms after it began). WAL checkpoints wait from the first
 * store_bulk_begin() to store_bulk_end(), which commits, turns them back on
 * and runs one that waits for nobody. */
int store_bulk_begin(struct store *s, GError **error);
/* For a connection that only writes one load (the cache writer's): a page
 * cache that holds the date index's leaves (their inserts are not in UID
 * order: at 1,000,000 messages SQLite's default 2 MiB made every insert
 * read a page back), and WAL checkpoints every 16 MiB rather than 4 (each
 * rewrote the same index pages: a sixth of the writer's time at
 * 1,000,000), still on the writer's thread during the load, so the end of
 * the load has little left to copy (at 32 MiB, the command line's list of
 * 100,000 waited 30 ms at its end for that copy). */
void store_tune_for_load(struct store *s);
bool store_bulk_open(struct store *s);
int store_bulk_commit(struct store *s, GError **error);
int store_bulk_end(struct store *s, GError **error);
/* The same, with the checkpoint in a thread on a connection of its own:
 * the WAL of a 1,000,000-message load takes 0.8 s to copy back, which the
 * interface's main loop cannot wait for. The store stays usable; automatic
 * checkpoints resume once the thread is joined (by the next bulk end, or
 * store_free(), which waits for it). */
int store_bulk_end_background(struct store *s, GError **error);
/* That thread alone, for rows another connection of s's file committed
 * (core/store/writer.c): the WAL they left is copied back while the caller
 * goes on, instead of by the caller's next commit. A no-op read-only. */
void store_checkpoint_background(struct store *s);
/* The same on *another (store_open_another(), no transaction open), taken
 * (*another is NULL after) and closed by that thread when it is done:
 * closing a load's connection, its page cache freed, is time the caller
 * need not wait either. */
void store_checkpoint_background_on(struct store *s, struct store **another);

/* ---- Folders ---------------------------------------------------------- */

struct store_folder {
	guint32 uidvalidity;
	guint32 uidnext;        /* UIDNEXT when the cache was last complete */
	guint64 highestmodseq;  /* 0: unknown (no CONDSTORE) */
};

/* Returns 1 and fills *f_r when the folder is cached, 0 when not, -1 on error. */
int store_folder_get(struct store *s, const char *folder, struct store_folder *f_r,
		     GError **error);
/* Create or update. When f->uidvalidity differs from the cached one every
 * message and body of the folder is dropped first. */
int store_folder_set(struct store *s, const char *folder, const struct store_folder *f,
		     GError **error);
/* Forget a folder with its messages and bodies. */
int store_folder_drop(struct store *s, const char *folder, GError **error);
/* Names of the cached folders (char *, transfer full). */
int store_folder_names(struct store *s, GPtrArray **names_r, GError **error);

/* The account's folder list as last listed (struct imap_folder *), for the
 * folder pane and moves offline: put replaces it whole; get gives it in
 * the order put (empty when never listed; transfer full). */
int store_folder_list_put(struct store *s, const GPtrArray *folders, GError **error);
int store_folder_list_get(struct store *s, GPtrArray **folders_r, GError **error);

/* ---- Message summaries ------------------------------------------------ */

/* Insert or replace summaries (\Recent is not kept). The folder must have
 * been set with this uidvalidity. */
int store_messages_put(struct store *s, const char *folder, guint32 uidvalidity,
		       const struct imap_summary *sums, guint n, GError **error);
/* A cached message's PREVIEW (imap_summary.preview); a message not in the
 * cache is ignored. */
int store_message_set_preview(struct store *s, const char *folder, guint32 uidvalidity,
			      guint32 uid, const char *preview, GError **error);
/* New flags (and modseq when not 0) of cached messages; summaries not in
 * the cache are ignored. Only uid, flags, keywords and modseq are read. */
int store_messages_set_flags(struct store *s, const char *folder, guint32 uidvalidity,
			     const struct imap_summary *sums, guint n, GError **error);
/* Forget these UIDs (and their bodies). */
int store_messages_remove(struct store *s, const char *folder, guint32 uidvalidity,
			  const guint32 *uids, guint n, GError **error);
/* The cached UIDs, ascending (guint32, transfer full). */
int store_messages_uids(struct store *s, const char *folder, guint32 uidvalidity,
			GArray **uids_r, GError **error);
/* Summaries of the given UIDs (guint32 ascending; NULL: all), in UID order.
 * *sums_r: GArray of struct imap_summary, transfer full (clear each with
 * imap_summary_clear(), then unref). UIDs not cached are left out. */
int store_messages_load(struct store *s, const char *folder, guint32 uidvalidity,
			const GArray *uids, GArray **sums_r, GError **error);
/* Walk the cached summaries of the folder whose UID is below BELOW (0: no
 * bound), highest UID first, at most LIMIT of them (0: all), one row in
 * memory at a time. fn gets each (transfer none, valid during the call)
 * and returns false to stop; it must not call the store. A folder not
 * cached walks nothing. */
typedef bool store_each_fn(const struct imap_summary *sum, void *ud);
int store_messages_each(struct store *s, const char *folder, guint32 uidvalidity,
			guint32 below, guint limit, store_each_fn *fn, void *ud, GError **error);
/* Walk the cached summaries of the folder newest first by the date column
 * (the Date header, INTERNALDATE when it was missing: what list sorts
 * by), equal dates highest UID first, at most LIMIT (0: all), one row in
 * memory at a time, read through an index (no sort of the folder). fn
 * as for store_messages_each(). */
int store_messages_by_date(struct store *s, const char *folder, guint32 uidvalidity,
			   guint limit, store_each_fn *fn, void *ud, GError **error);
/* What `list` shows of one cached message, borrowed from the store
 * (transfer none, valid during the callback only). from and subject are
 * decoded UTF-8 (as text_decode_header_utf8() gives), NULL when the
 * message has none; keywords are space-separated, or NULL. */
struct store_list_row {
	guint32 uid;
	guint flags;
	const char *keywords;
	gint64 date;
	bool date_null; /* no date column: sorts after every date, as SQL does */
	int date_tz;
	guint32 size;
	const char *from;
	const char *subject;
	const char *preview; /* NULL when unknown */
};
typedef bool store_list_fn(const struct store_list_row *row, void *ud);
/* Walk every cached message of the folder in one sequential scan, in no
 * promised order (UID order today), one row at a time and nothing
 * allocated per row: the whole-folder list. fn returns false to stop; it
 * must not call the store. A folder not cached walks nothing. */
int store_messages_list(struct store *s, const char *folder, guint32 uidvalidity,
			store_list_fn *fn, void *ud, GError **error);
/* The same for the UIDs lo..hi alone (a part of the folder another
 * connection can scan at the same time). */
int store_messages_list_range(struct store *s, const char *folder, guint32 uidvalidity,
			      guint32 lo, guint32 hi, store_list_fn *fn, void *ud,
			      GError **error);
/* The folder's lowest and highest cached UID (both 0 when it has none). */
int store_messages_uid_bounds(struct store *s, const char *folder, guint32 uidvalidity,
			      guint32 *lo_r, guint32 *hi_r, GError **error);
/* From now on, show every row store_messages_put() writes through s to fn,
 * as store_messages_list() would read it back, once it is written (fn's
 * return is ignored; it must not call the store). Connections opened from
 * s with store_open_another() afterwards show theirs too, on the thread
 * that writes them. Rows given to a cache writer on s (writer.h) are shown
 * by store_writer_put(), on its caller's thread, as they will be written;
 * should the writer fail, store_writer_finish() says so. NULL stops. */
void store_set_row_observer(struct store *s, store_list_fn *fn, void *ud);
/* Number of cached messages of the folder. */
int store_messages_count(struct store *s, const char *folder, guint32 uidvalidity,
			 guint *n_r, GError **error);
/* The same, and how many of them are not \Seen (unseen_r may be NULL). */
int store_messages_counts(struct store *s, const char *folder, guint32 uidvalidity,
			  guint *n_r, guint *unseen_r, GError **error);

/* Offline search: does q match this cached summary, with these flags (its
 * own, or as shown with queued changes)? Headers are decoded first;
 * query_match() says what it looks at. body: never matches here. */
struct query;
bool store_summary_matches(const struct query *q, const struct imap_summary *s, guint flags);

/* ---- The local full-text index (core/store/fts.c) -------------------
 *
 * An FTS5 table with the trigram tokenizer (substrings, case-insensitive)
 * over the From, To, Cc and Subject (decoded) of every cached summary and
 * the text of every cached whole body (text_extract_body(): HTML as
 * rendered text, the first STORE_FTS_TEXT_MAX bytes). It follows the
 * cache in the same transactions: removing a message, a UIDVALIDITY
 * change, dropping a folder and evicting a body take their text out.
 * Parts cached alone (store_part_put()) are not indexed. */

/* The answers of the index for one query in one folder: for each body:
 * and text: value of q, the UIDs whose text holds it. A value is taken
 * literally, never as FTS syntax; one shorter than three characters
 * (below the trigram) is looked for by a scan of the folder's rows (ASCII
 * case-insensitive). *t_r: transfer full (store_text_search_free()). */
struct store_text_search;
int store_text_search_new(struct store *s, const char *folder, guint32 uidvalidity,
			  const struct query *q, struct store_text_search **t_r, GError **error);
void store_text_search_free(struct store_text_search **t);
/* store_summary_matches() with the index's answers (t may be NULL: none). */
bool store_summary_matches_text(const struct query *q, const struct imap_summary *s,
				guint flags, const struct store_text_search *t);
/* Rows and bytes of the index (the bytes of its shadow tables, as
 * dbstat counts them, or 0 when dbstat is missing), for the benchmark. */
int store_text_index_size(struct store *s, guint64 *rows_r, guint64 *bytes_r, GError **error);

/* ---- Bodies --------------------------------------------------------- */

/* Cap of the bodies table (bytes); puts beyond it evict the least recently
 * used bodies; a body bigger than the cap is not kept. */
void store_set_body_limit(struct store *s, guint64 bytes);
int store_body_put(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
		   GBytes *data, GError **error);
/* Returns 1 with *data_r (transfer full) and marks it used, 0 when not
 * cached, -1 on error. In a read-only store the use is not recorded. */
int store_body_get(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
		   GBytes **data_r, GError **error);
/* Total bytes of cached bodies. */
int store_body_total(struct store *s, guint64 *bytes_r, GError **error);
/* The full-text index's body text of a cached message, replaced by text
 * (at most STORE_FTS_TEXT_MAX bytes are kept): the decrypted text of an
 * encrypted one, which store_body_put() cannot see, when the user lets it
 * be cached (cache_decrypted). The message's removal or its body's
 * eviction takes it out as any body text. 0 or -1. */
int store_text_put(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
		   const char *text, GError **error);

/* ---- Parts of messages fetched alone -------------------------------- */

/* A part, keyed by its fetch item as the client asked for it:
 * "BODY[1.2]" (as sent, transfer-encoded), "BODY[1.2.MIME]",
 * "BODY[HEADER]", "BINARY[2]" (decoded), "BODYSTRUCTURE" (the structure,
 * imap_parts_serialize()). A whole message is never among them: a cached
 * part never passes for a whole body (store_body_get() does not see
 * them). The bodies' cap (store_set_body_limit()) holds bodies and parts
 * together; removing a message or a UIDVALIDITY change drops its parts. */
int store_part_put(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
		   const char *item, GBytes *data, GError **error);
/* 1 with *data_r (transfer full), 0 when not cached, -1 on error. */
int store_part_get(struct store *s, const char *folder, guint32 uidvalidity, guint32 uid,
		   const char *item, GBytes **data_r, GError **error);

/* ---- Journal of actions waiting for the server ----------------------- */

enum store_action_kind {
	STORE_ACTION_FLAGS_ADD = 1,    /* arg: IMAP flag names, space-separated */
	STORE_ACTION_FLAGS_REMOVE = 2, /* arg: as above */
	STORE_ACTION_MOVE = 3,         /* arg: destination folder (UTF-8) */
	STORE_ACTION_COPY = 4,         /* arg: destination folder */
};

struct store_action {
	gint64 id;              /* increasing: the replay order */
	enum store_action_kind kind;
	char *folder;
	guint32 uidvalidity;    /* of folder when queued; replay refuses another */
	char *uids;             /* UID set, e.g. "5,9:12" */
	char *arg;
};

void store_action_free(struct store_action **a);

/* Queue an action; *id_r (may be NULL) gets its id. */
int store_journal_add(struct store *s, enum store_action_kind kind, const char *folder,
		      guint32 uidvalidity, const char *uids, const char *arg, gint64 *id_r,
		      GError **error);
/* Write ahead: queue an action that this process is sending now, claimed
 * by it, so no other process sends it meanwhile. Then store_journal_done()
 * when the server answered, store_journal_release() when the answer was
 * lost (it waits in line like any queued action). If the process dies in
 * between, the claim goes stale and the next replay sends it. */
int store_journal_add_claimed(struct store *s, enum store_action_kind kind, const char *folder,
			      guint32 uidvalidity, const char *uids, const char *arg,
			      gint64 *id_r, GError **error);
/* Claim the oldest action, inside one write transaction, for this process.
 * Returns 1 with *a_r (transfer full), 0 when the journal is empty or its
 * oldest action is claimed by a live process (order is kept), -1 on error.
 * A claim whose process is gone, or older than STORE_CLAIM_STALE_S, is
 * taken over. */
int store_journal_claim(struct store *s, struct store_action **a_r, GError **error);
/* The server did it: forget the action. */
int store_journal_done(struct store *s, gint64 id, GError **error);
/* It could not reach the server: unclaim, it stays first in line. */
int store_journal_release(struct store *s, gint64 id, GError **error);
/* Every queued action, oldest first, claimed or not (struct store_action *,
 * transfer full): what the interface shows over the cached state. */
int store_journal_list(struct store *s, GPtrArray **actions_r, GError **error);
/* Number of queued actions. */
int store_journal_count(struct store *s, guint *n_r, GError **error);

/* Send the queued actions on c, oldest first, each in its folder (SELECT,
 * then the action), and bring the cache in step with what the server did
 * (flags changed, moved messages gone from their folder). An action the
 * server refused, whose folder's UIDVALIDITY changed, or that is damaged
 * is dropped: warn (may be NULL) gets it and a translated reason. When
 * the connection fails first the action is released, stays first in
 * line, and done gets that status. done (called once, from the main
 * loop): TERN_OK when the journal is empty or what is left is claimed by
 * another live process; sent counts the actions the server did. Another
 * folder is left selected on c: select what you want afterwards. s and c
 * must outlive the replay, or store_replay_cancel() it first. Returns the
 * replay (transfer none: it frees itself before done returns). */
typedef void store_replay_warn_fn(const struct store_action *a, const char *why, void *ud);
typedef void store_replay_done_fn(struct imap_client *c, enum tern_status st,
				  const char *detail, guint sent, void *ud);
struct store_replay;
struct store_replay *store_journal_replay(struct store *s, struct imap_client *c,
					  store_replay_warn_fn *warn, store_replay_done_fn *done,
					  void *ud);
/* Stop a replay before done; a claimed action is released (it stays first
 * in line). Only right before c is freed: a command in flight must never
 * call back. */
void store_replay_cancel(struct store_replay *r);

/* A translated name of the action's kind ("flag change", "move"...).
 * Transfer none. */
const char *store_action_describe(const struct store_action *a);
/* Its UIDs (guint32, transfer full), or NULL when the set is damaged or
 * empty. */
GArray *store_action_uids(const struct store_action *a);
/* Its flag names (a flag change; transfer full, g_strfreev()), or NULL
 * when one is not a system flag or a valid keyword. */
char **store_action_flags(const struct store_action *a);

/* What the queued actions on one folder will do, to show it before they
 * are sent: the cached rows keep what the server last said, and this is
 * laid over them. System flags and moves only (keywords are not shown).
 * *ov_r is NULL when nothing is queued for the folder; transfer full. */
struct store_overlay;
int store_overlay_new(struct store *s, const char *folder, guint32 uidvalidity,
		      struct store_overlay **ov_r, GError **error);
void store_overlay_free(struct store_overlay **ov);
/* How many messages queued moves take away. */
guint store_overlay_moved(const struct store_overlay *ov);
/* The flags of uid as they will be (in place); false when a queued move
 * takes it away. ov may be NULL (nothing queued). */
bool store_overlay_apply(const struct store_overlay *ov, guint32 uid, guint *flags);

/* Add (add) or remove these IMAP flag names (system flags and keywords) on
 * the cached summaries of uids, as the server will (or did); their modseq
 * becomes unknown, so the next resync brings the server's. */
int store_messages_change_flags(struct store *s, const char *folder, guint32 uidvalidity,
				const GArray *uids, bool add, const char *const *flags,
				GError **error);

/* ---- The outbox: messages waiting to be sent (core/store/outbox.c) ------
 *
 * Keyed by Message-ID. A row is claimed (inside a transaction) by the
 * process that sends it; it is marked SENDING when the server accepted
 * DATA (smtp_data_fn); a SENDING row whose process is gone is found by the
 * next claim and becomes MAYBE_SENT, which is never sent again unless the
 * user says so (store_outbox_retry()). After the server accepted it a row
 * is SENT while its copy to the Sent folder waits (then removed); the
 * original's flag (\Answered, $Forwarded) goes to the journal at once. */

enum store_outbox_state {
	STORE_OUTBOX_QUEUED = 0,     /* waits to be sent */
	STORE_OUTBOX_SENDING = 1,    /* the message is going out */
	STORE_OUTBOX_MAYBE_SENT = 2, /* interrupted after the data: held for the user */
	STORE_OUTBOX_FAILED = 3,     /* refused for good (5xx): held for the user */
	STORE_OUTBOX_SENT = 4,       /* sent; the copy to Sent waits */
};

struct store_outbox_entry {
	gint64 id;
	char *message_id;       /* "<id@domain>" */
	enum store_outbox_state state;
	char *sender;           /* envelope */
	char **rcpts;           /* NULL-terminated addr-specs */
	GBytes *data;           /* the bytes transmitted (no Bcc); NULL in lists */
	char *bcc_field;        /* "Bcc: ...\r\n" for the Sent copy, or NULL */
	char *subject;          /* UTF-8, or NULL */
	bool copy_to_sent;
	char *sent_folder;      /* NULL: the \Sent special-use folder */
	char *orig_folder;      /* the message answered or forwarded, or NULL */
	guint32 orig_uidvalidity, orig_uid;
	char *orig_flag;        /* "\\Answered" or "$Forwarded", or NULL */
	char *orig_uids;        /* several originals (; r, ; f): a UID set "3,7,9"
				   that stands for orig_uid; or NULL */
	char *detail;           /* the last failure, or NULL */
	gint64 created;         /* unix time */
	guint attempts;
};
void store_outbox_entry_free(struct store_outbox_entry **e);

/* Queue a message (state QUEUED; id, state, detail, created, attempts of
 * e are ignored). STORE_ERROR_EXISTS when the Message-ID is there. *id_r
 * (may be NULL) gets the row. The row is claimed by this process at once
 * when claim (the caller sends it now). */
int store_outbox_add(struct store *s, const struct store_outbox_entry *e, bool claim,
		     gint64 *id_r, GError **error);
/* Claim the oldest row after row `after` (0: from the start) to work on:
 * QUEUED (to send) or SENT (its copy to Sent), not claimed by another live
 * process. SENDING rows of dead processes become MAYBE_SENT first. Returns
 * 1 with *e_r (transfer full, with data), 0 when there is nothing to do,
 * -1. */
int store_outbox_claim(struct store *s, gint64 after, struct store_outbox_entry **e_r,
		       GError **error);
/* The claimed row: the data is going out now. */
int store_outbox_sending(struct store *s, gint64 id, GError **error);
/* The claimed row failed: QUEUED (try later), FAILED or MAYBE_SENT, with
 * the reason; the claim is released. */
int store_outbox_failed(struct store *s, gint64 id, enum store_outbox_state state,
			const char *detail, GError **error);
/* The claimed row was sent: the original's flag goes to the journal, and
 * the row becomes SENT (its copy waits; the claim is kept) or is removed
 * when no copy is wanted. Both in one transaction. */
int store_outbox_sent(struct store *s, const struct store_outbox_entry *e, GError **error);
/* Forget a row (its copy is in Sent, or the user dropped it). Returns 1
 * when it was there, 0 when not. */
int store_outbox_remove(struct store *s, const char *message_id, GError **error);
/* Unclaim a row (a copy to Sent that could not be made now). */
int store_outbox_release(struct store *s, gint64 id, GError **error);
/* The user says send it again: MAYBE_SENT, FAILED (or QUEUED) become
 * QUEUED. Returns 1 when the row was there, 0 when not. */
int store_outbox_retry(struct store *s, const char *message_id, GError **error);
/* Every row, oldest first, without data (struct store_outbox_entry *,
 * transfer full). A SENDING row whose sender died is made MAYBE_SENT
 * first (unless the store is read-only): it is listed as what it is. */
int store_outbox_list(struct store *s, GPtrArray **entries_r, GError **error);
/* Rows not yet sent (QUEUED, SENDING, MAYBE_SENT, FAILED): what the status
 * line counts. */
int store_outbox_count(struct store *s, guint *n_r, GError **error);
/* A translated word for the state ("queued", "may have been sent"...).
 * Transfer none. */
const char *store_outbox_state_name(enum store_outbox_state state);

/* ---- Resync: open a folder on the server and bring its cache up to date -- */

enum store_sync_method {
	STORE_SYNC_COLD,      /* nothing usable cached: every summary fetched */
	STORE_SYNC_QRESYNC,   /* SELECT (QRESYNC ...): VANISHED (EARLIER) + changed FETCH */
	STORE_SYNC_CONDSTORE, /* UID FETCH (FLAGS) (CHANGEDSINCE) + UID SEARCH ALL */
	STORE_SYNC_FULL,      /* UID FETCH 1:* (FLAGS): every flag compared */
};

struct store_sync_result {
	enum store_sync_method method;
	bool uidvalidity_changed; /* the cached rows were dropped */
	guint vanished;           /* messages removed from the cache */
	guint changed;            /* flag updates applied */
	guint added;              /* summaries fetched and stored */
	bool whole;               /* every cached row of the folder was written
	                           * by this resync (cold, nothing kept) */
};

/* st, detail: as imap_client_select (TERN_ERR_FOLDER when the server says
 * NO), or TERN_ERR_NO with the store's error when the cache cannot be
 * written. info and result: transfer none, valid during the call; NULL on
 * failure. */
typedef void store_sync_fn(struct imap_client *c, enum tern_status st, const char *detail,
			   const struct imap_mailbox_info *info,
			   const struct store_sync_result *result, void *ud);

/* SELECT (EXAMINE when read_only) FOLDER on c and resync its cache: QRESYNC
 * when enabled, else CONDSTORE, else a FLAGS diff of all UIDs; summaries of
 * new messages (UID >= the cached UIDNEXT) are fetched; a UIDVALIDITY
 * change drops the folder's rows first. The folder's UIDNEXT and
 * HIGHESTMODSEQ are written last, so an interrupted resync is redone.
 * batch (may be NULL) sees the new summaries as they are stored (transfer
 * none). Without batch the summaries are written many batches to a
 * transaction (committed at the latest 100 ms after it began): the
 * caller must not write to s until done. Afterwards the cache equals the server as seen at SELECT time
 * (store_messages_load()). s and c must outlive the operation; done is
 * called exactly once, from the main loop. */
void store_sync_folder(struct store *s, struct imap_client *c, const char *folder,
		       bool read_only, imap_summaries_fn *batch, store_sync_fn *done, void *ud);

/* ---- Summary form (core/store/probe.c) ---- */

/* A cold load of at least this many messages probes the server when
 * summary_fetch = auto and nothing is stored for it; the probe fetches
 * the newest STORE_PROBE_RANGE of them four times. */
#define STORE_PROBE_MIN_MESSAGES 5000
#define STORE_PROBE_RANGE 1000
/* ENVELOPE is chosen when its fetch took at least this much less time
 * (percent) than the header fields' fetch; closer is a tie. */
#define STORE_PROBE_MARGIN_PCT 10

/* The probe's choice for one server. */
struct store_summary_form {
	enum imap_summary_form form;
	gint64 headers_us;  /* the probe's second fetch in each form, 0 when refused */
	gint64 envelope_us;
	gint64 probed;      /* when, seconds since the epoch */
};
/* The choice stored for the server named server (imap_client_server_id()):
 * 1 found, 0 when none is, or one for another server. */
int store_summary_form_get(struct store *s, const char *server, struct store_summary_form *f_r,
			   GError **error);
/* Keeps f for server, replacing what was stored for any server. */
int store_summary_form_set(struct store *s, const char *server,
			   const struct store_summary_form *f, GError **error);
/* Tells c which form to use under summary_fetch = auto: the stored choice
 * for its server, else headers. True when nothing is stored and a probe
 * could store one (a writable cache). s may be NULL (no cache).
 * store_sync_folder() calls it; a caller that loads a folder without it
 * calls it once after connecting. */
bool store_summary_form_apply(struct store *s, struct imap_client *c);
/* One line saying which form c uses and why, for `tern config check`.
 * s may be NULL. Transfer full. */
char *store_summary_form_describe(struct store *s, struct imap_client *c);
/* The probe (core/store/probe.c): the newest STORE_PROBE_RANGE of the
 * selected folder's exists messages fetched in each form, headers first,
 * twice; the faster second fetch wins (headers on a tie,
 * STORE_PROBE_MARGIN_PCT) and goes to the client
 * (imap_client_set_summary_form()) and the cache. A form answered NO or
 * BAD loses; nothing is decided or stored when the connection fails.
 * done comes from the loop, never inside this call. */
typedef void store_probe_fn(struct imap_client *c, void *ud);
void store_summary_probe(struct store *s, struct imap_client *c, guint32 exists,
			 store_probe_fn *done, void *ud);

/* ---- Addresses seen (core/store/addresses.c) ---- */

/* Longest address field value read (longer ones are left out). */
#define STORE_ADDRESS_FIELD_MAX 4096

struct store_address_field {
	char *value;  /* a From, To or Cc value as stored (raw, comma-separated) */
	guint count;  /* how many messages carry it */
};
void store_address_field_free(gpointer f);

/* The From, To and Cc values of every cached message, each once, the most
 * used first, at most max. One pass over the messages: call it once and
 * keep the result, not per keypress. *fields_r: transfer full, a GPtrArray
 * of struct store_address_field * that frees them. */
int store_address_fields(struct store *s, guint max, GPtrArray **fields_r, GError **error);

#endif

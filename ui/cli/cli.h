/* tern — ui/cli: shared plumbing of the non-interactive commands. */
#ifndef TERN_UI_CLI_H
#define TERN_UI_CLI_H

#include <stdio.h>

#include "core/config/config.h"
#include "core/imap/client.h"
#include "core/store/store.h"
#include "ui/main.h"

/* One command's connection to its account, run synchronously on a private
 * main loop. */
struct cli_ctx {
	const struct tern_globals *g;
	struct config *cfg;
	const struct account *account;
	struct imap_client *client;
	GMainLoop *loop;
	bool waiting;
	bool finished;         /* cli_finish() ran, cli_wait() has not returned it yet */
	enum tern_status st;   /* result of the last wait */
	char *detail;
	bool closed;           /* the server or network ended the session */
	bool connected;        /* logged in: cli_close() logs out */
	bool logging_out;      /* cli_logout_early() sent LOGOUT: cli_close() waits for it */
	guint32 exists;        /* messages in the selected folder */
	guint32 uidvalidity;   /* of the folder cli_select() (or offline, the cache) opened */
	bool opened;           /* cli_open_config() ran: cli_close() undoes it */
	struct store *store;   /* the account's cache, or NULL (--no-cache, unusable) */
	bool sync_whole;       /* the last cli_open_folder() wrote every cached row of its
	                        * folder itself (store_sync_result.whole) */
	bool offline;          /* --offline: no client, the cache only */
	bool hold_unreached;   /* cli_open_action(): keep connection errors in held_error */
	char *held_error;      /* the connection error not printed yet, or NULL */
};

/* Load the config, pick the account, get its secret, connect and log in.
 * Prints one error line and returns its exit code on failure, else 0. */
int cli_open(const struct tern_globals *g, struct cli_ctx *ctx);
/* Like cli_open, for an action that is queued in the journal when the
 * server cannot be reached: a connection error (cli_unreached()) of
 * cli_open, cli_select and cli_resolve_uids is not printed but kept in
 * ctx->held_error; the caller queues the action or prints it
 * (cli_print_held()). The account's cache is opened whenever it exists. */
int cli_open_action(const struct tern_globals *g, struct cli_ctx *ctx);
/* Send LOGOUT now, without waiting for the answer, when the server is
 * needed no more but the command still has work of its own (printing a
 * whole folder from the cache): cli_close() then finds the answer in
 * instead of waiting a round trip for it. */
void cli_logout_early(struct cli_ctx *ctx);
/* Print a held connection error (if any) and forget it. */
void cli_print_held(struct cli_ctx *ctx);
/* True for the statuses that mean the server never answered: the
 * connection could not be made, or was lost, or timed out. */
bool cli_unreached(enum tern_status st);
/* Like cli_fail, but a connection error is held when ctx->hold_unreached. */
int cli_ctx_fail(struct cli_ctx *ctx, enum tern_status st, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
/* Open the account's existing cache into ctx->store (never creates one;
 * --no-cache: none). Returns 0, or -1 when there is no usable cache. */
int cli_open_existing_store(struct cli_ctx *ctx);

/* Replay the journal of queued actions (ui/cli/journal.c), oldest first,
 * each exactly once: run by cli_open after logging in. An action whose
 * folder changed UIDVALIDITY, or that the server refuses, is dropped with
 * a warning; a connection error puts it back and fails (exit code, printed
 * or held as above). Returns 0 when the journal is done (or cannot be
 * read: a warning). */
int cli_journal_replay(struct cli_ctx *ctx);
/* Apply a flag change made on the server to the cached summaries of those
 * UIDs (those not cached are ignored); failures are logged only. */
void cli_cache_flags(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity,
		     const GArray *uids, bool add, const char *const *flags);

/* After cli_open_config(): connect, log in, replay the journal and flush
 * the outbox (as cli_open; hold: as cli_open_action). */
int cli_connect(struct cli_ctx *ctx, bool hold);

/* Send what waits in the outbox (ui/cli/outbox.c): queued messages by
 * SMTP, then the copies to Sent by APPEND; a failure is a warning on
 * stderr, never this command's exit code. Returns how many messages were
 * sent (their flags wait in the journal). */
int cli_outbox_flush(struct cli_ctx *ctx);
/* APPEND a message (as built, Bcc kept) with \Draft to the account's
 * `drafts`, else the \Drafts folder, logging in first when needed.
 * 0, or the exit status after saying why. */
int cli_postpone(struct cli_ctx *ctx, GBytes *data);

/* Load the config and pick the account only (no network). */
int cli_open_config(const struct tern_globals *g, struct cli_ctx *ctx);
/* Like cli_open, and open the account's cache (unless --no-cache; a
 * damaged cache is rebuilt with a warning on stderr; one that cannot be
 * opened is used as none). With --offline: the cache only, ctx->client
 * stays NULL; no cache is exit 69. */
int cli_open_cached(const struct tern_globals *g, struct cli_ctx *ctx);
/* Open a folder: with a cache, SELECT/EXAMINE and resync it (store.h);
 * offline, from the cache (exit 69 when it is not cached). info_r gets
 * what the server (or the cache) says. */
int cli_open_folder(struct cli_ctx *ctx, const char *folder, bool read_only,
		    struct imap_mailbox_info *info_r);
/* Summaries of the given UIDs (NULL: all) of an opened folder: from the
 * cache when there is one (what it lacks is fetched), else from the
 * server. *out_r as cli_fetch_summaries(). */
/* Queued changes (flag changes and moves waiting in the journal) shown
 * over summaries of the folder: flags as they will be, moved ones taken
 * out (cleared). */
void cli_overlay_summaries(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity,
			   GArray *sums);
int cli_folder_summaries(struct cli_ctx *ctx, const char *folder,
			 const struct imap_mailbox_info *info, GArray *uids, GArray **out_r);
/* Open FOLDER and get message UID whole: from the cache's bodies when it
 * is there (and, online, still in the folder), else fetched (and kept in
 * the cache). Offline and not cached: exit 69. */
/* What a reader sees of a message: the whole of a cached, signed or
 * encrypted one (as cli_fetch_message()), else its header and text parts
 * only (mime_partial_message(): a reply quotes the text, not 20 MB of
 * attachments). The folder is opened read-only; \Seen is not set. */
int cli_fetch_shown(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		    guint32 uid, GBytes **data_r);
/* One imap_client_fetch_parts() on the selected folder, waited for; each
 * out-parameter (may be NULL) gets what came, transfer full, or NULL.
 * 0, or an exit code after printing why. */
int cli_fetch_parts(struct cli_ctx *ctx, guint32 uid, guint what, const char *const *sections,
		    GPtrArray **structure_r, GBytes **header_r, GPtrArray **data_r,
		    GPtrArray **mime_r);
/* The same, saying nothing: -1 with ctx->st and ctx->detail on failure. */
int cli_fetch_parts_try(struct cli_ctx *ctx, guint32 uid, guint what,
			const char *const *sections, GPtrArray **structure_r, GBytes **header_r,
			GPtrArray **data_r, GPtrArray **mime_r);
/* A part in the cache by fetch item (store_part_put()), for the folder
 * cli_select() opened (offline: as the cache has it): 1 and *data_r
 * (transfer full), or 0. cli_keep_part() puts one there (not offline). */
int cli_cached_part(struct cli_ctx *ctx, const char *folder, guint32 uid, const char *item,
		    GBytes **data_r);
void cli_keep_part(struct cli_ctx *ctx, const char *folder, guint32 uid, const char *item,
		   GBytes *data);
/* cli_fetch_message() on a context cli_open_cached() opened already. */
int cli_fetch_opened(struct cli_ctx *ctx, const char *folder, guint32 uid, bool mark_read,
		     GBytes **data_r);
/* cmd-parts.c: UID's BODYSTRUCTURE, flattened (struct imap_part *,
 * transfer full): opens the context (cli_open_cached()) and FOLDER
 * read-only and fetches it, keeping it in the cache; --offline: from the
 * cache. 0, or an exit code after printing why. */
int cli_message_structure(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
			  guint32 uid, GPtrArray **structure_r);
/* One part's content (e: from mime_structure_parts()) of the message in
 * the selected folder: BINARY.PEEK where the server offers it and e is a
 * leaf (*decoded_r true), else BODY.PEEK as sent (*decoded_r false). */
/* mime_message_process_crypto() waiting at most MIME_CRYPTO_WAIT_S for
 * gpg-agent (ui/cli/cmd-parts.c). 0, or an exit code after printing why;
 * *msgp is then NULL (left to the worker). */
struct mime_message;
int cli_process_crypto(struct mime_message **msgp);

struct mime_part_entry;
int cli_fetch_section(struct cli_ctx *ctx, guint32 uid, const struct mime_part_entry *e,
		      GBytes **data_r, bool *decoded_r);
int cli_fetch_message(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		      guint32 uid, bool mark_read, GBytes **data_r);

/* Log out and free everything. */
void cli_close(struct cli_ctx *ctx);

/* Run the loop until cli_finish() is called. Returns ctx->st. */
enum tern_status cli_wait(struct cli_ctx *ctx);
/* Record a result and stop cli_wait(). */
void cli_finish(struct cli_ctx *ctx, enum tern_status st, const char *detail);
/* imap_done_fn that calls cli_finish() (ud = ctx). */
void cli_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud);

/* Print "tern: DETAIL" (sanitised) and return the exit code for st. */
int cli_fail(enum tern_status st, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* SELECT/EXAMINE a folder; on failure prints and returns the exit code. */
int cli_select(struct cli_ctx *ctx, const char *folder, bool read_only,
	       struct imap_mailbox_info *info_r);

/* Resolve a user's UID set (may use '*') to the UIDs that exist in the
 * selected folder (UID SEARCH UID set). Usage errors print and return 64;
 * no match prints and returns 69. *uids_r is transfer full. */
int cli_resolve_uids(struct cli_ctx *ctx, const char *set, GArray **uids_r);

/* UID SEARCH with query tokens; *uids_r transfer full (may be empty).
 * Failures print and return the exit code. */
int cli_search_uids(struct cli_ctx *ctx, GPtrArray *tokens, bool utf8, GArray **uids_r);

/* Fetch summaries of the given UIDs (NULL: all) of the selected folder.
 * Returns a GArray of struct imap_summary (transfer full; clear each). */
int cli_fetch_summaries(struct cli_ctx *ctx, GArray *uids, GArray **out_r);
void cli_summaries_free(GArray *sums);

/* Print a summary list (list/search) in plain or JSON form. */
void cli_print_summaries(GArray *sums, bool json, FILE *out);
/* Sort and limit per --sort/--limit; returns 0 or a usage exit code. */
int cli_sort_limit(GArray *sums, const char *sort, const char *limit);

/* Write sanitised one-line text. */
void cli_puts_safe(FILE *out, const char *s);
/* Plain output in any locale: s sanitised (one line) and narrowed to the
 * locale's charset, still UTF-8 for measuring widths (transfer full); the
 * mark of a cut ("…", or "." outside UTF-8); and UTF-8 text written in the
 * locale's charset. --json output stays UTF-8 and does not use these. */
char *cli_shown(const char *s);
const char *cli_ellipsis(void);
void cli_puts_text(FILE *out, const char *s);

int cli_cmd_folders(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_list(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_search(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_show(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_save(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_flag(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_move(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_copy(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_delete(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_config(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_send(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_reply(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_forward(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_bounce(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_compose(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_outbox(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_parts(const struct tern_globals *g, int argc, char **argv);
int cli_cmd_pipe(const struct tern_globals *g, int argc, char **argv);
/* tern watch (ui/cli/cmd-watch.c). */
int cli_cmd_watch(const struct tern_globals *g, int argc, char **argv);
/* tern show --part SECTION (ui/cli/cmd-parts.c): that part with its transfer
 * encoding undone; text in UTF-8 and sanitised on a terminal, bytes as they
 * are otherwise. Opens ctx itself. Returns the exit code. */
int cli_show_part(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		  guint32 uid, const char *section);

#endif

/* tern — ui/cli: shared plumbing of the non-interactive commands. */
#ifndef TERN_UI_CLI_H
#define TERN_UI_CLI_H

#include <stdio.h>

#include "core/config/config.h"
#include "core/imap/client.h"
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
	guint32 exists;        /* messages in the selected folder */
	bool opened;           /* cli_open_config() ran: cli_close() undoes it */
};

/* Load the config, pick the account, get its secret, connect and log in.
 * Prints one error line and returns its exit code on failure, else 0. */
int cli_open(const struct tern_globals *g, struct cli_ctx *ctx);
/* Load the config and pick the account only (no network). */
int cli_open_config(const struct tern_globals *g, struct cli_ctx *ctx);
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

#endif

/* tern — ui/cli: config, connection and output shared by the commands. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/imap/imap.h"
#include "core/log.h"
#include "core/model/flags.h"
#include "core/model/query.h"
#include "core/text/text.h"
#include "mime/mime.h"
#include "ui/cli/cli.h"

int
cli_fail(enum tern_status st, const char *fmt, ...)
{
	va_list ap;
	char *msg, *safe;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	safe = text_sanitize(msg, -1, TEXT_SANITIZE_ONE_LINE);
	fputs("tern: ", stderr);
	cli_puts_text(stderr, safe);
	fputc('\n', stderr);
	g_free(safe);
	g_free(msg);
	return tern_status_exit_code(st);
}

bool
cli_unreached(enum tern_status st)
{
	return st == TERN_ERR_CONN || st == TERN_ERR_UNREACHABLE;
}

int
cli_ctx_fail(struct cli_ctx *ctx, enum tern_status st, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (ctx->hold_unreached && cli_unreached(st)) {
		g_free(ctx->held_error);
		ctx->held_error = msg;
		return tern_status_exit_code(st);
	}
	rc = cli_fail(st, "%s", msg);
	g_free(msg);
	return rc;
}

void
cli_print_held(struct cli_ctx *ctx)
{
	if (ctx->held_error != NULL)
		cli_fail(TERN_OK, "%s", ctx->held_error);
	g_clear_pointer(&ctx->held_error, g_free);
}

void
cli_puts_safe(FILE *out, const char *s)
{
	char *safe = cli_shown(s);

	cli_puts_text(out, safe);
	g_free(safe);
}

char *
cli_shown(const char *s)
{
	char *safe = text_sanitize(s != NULL ? s : "", -1, TEXT_SANITIZE_ONE_LINE);
	char *narrow;

	if (text_locale_is_utf8())
		return safe;
	narrow = text_for_locale(safe, -1);
	g_free(safe);
	return narrow;
}

const char *
cli_ellipsis(void)
{
	return text_locale_is_utf8() ? "…" : ".";
}

void
cli_puts_text(FILE *out, const char *s)
{
	char *bytes;

	if (text_locale_is_utf8()) {
		fputs(s, out);
		return;
	}
	bytes = text_to_locale(s, -1);
	fputs(bytes, out);
	g_free(bytes);
}

void
cli_finish(struct cli_ctx *ctx, enum tern_status st, const char *detail)
{
	ctx->st = st;
	g_free(ctx->detail);
	ctx->detail = g_strdup(detail);
	ctx->waiting = false;
	ctx->finished = true;
	g_main_loop_quit(ctx->loop);
}

void
cli_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	cli_finish(ud, st, detail);
}

enum tern_status
cli_wait(struct cli_ctx *ctx)
{
	/* The result may already be in (an answer made without the server). */
	ctx->waiting = !ctx->finished;
	while (ctx->waiting)
		g_main_loop_run(ctx->loop);
	ctx->finished = false;
	return ctx->st;
}

static void
on_event(struct imap_client *c, const struct imap_event *ev, void *ud)
{
	struct cli_ctx *ctx = ud;

	switch (ev->type) {
	case IMAP_EVENT_ALERT: {
		char *t = text_decode_header(ev->text);

		cli_fail(TERN_OK, _("server alert: %s"), t);
		g_free(t);
		break;
	}
	case IMAP_EVENT_CLOSED:
		ctx->closed = true;
		if (ctx->waiting)
			cli_finish(ctx, ev->status, ev->text);
		break;
	default:
		break;
	}
}

int
cli_open_config(const struct tern_globals *g, struct cli_ctx *ctx)
{
	GError *err = NULL;

	memset(ctx, 0, sizeof *ctx);
	ctx->g = g;
	ctx->opened = true;
	mime_init();
	if (g->debug && log_open() < 0)
		cli_fail(TERN_OK, _("warning: cannot open the log file"));
	if (config_load(g->config_path, &ctx->cfg, &err) < 0) {
		int rc = cli_fail(TERN_ERR_CONFIG, "%s", err->message);

		if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_MISSING))
			fprintf(stderr, _("Create it (mode 0600) with an account like this:\n\n%s"),
				config_example_text());
		g_error_free(err);
		return rc;
	}
	for (guint i = 0; i < ctx->cfg->warnings->len; i++)
		cli_fail(TERN_OK, _("warning: %s"), (char *)ctx->cfg->warnings->pdata[i]);
	ctx->account = config_pick_account(ctx->cfg, g->account, &err);
	if (ctx->account == NULL) {
		int rc = cli_fail(TERN_ERR_CONFIG, "%s", err->message);

		g_error_free(err);
		return rc;
	}
	mime_set_fallback_charset(ctx->cfg->ui.fallback_charset);
	ctx->loop = g_main_loop_new(NULL, FALSE);
	return 0;
}

/* Connect with the account's secret (one lookup, shared with the interface:
 * core/config's account_secret). The client copies it. */
static int
new_client(struct cli_ctx *ctx)
{
	static const struct imap_client_callbacks cb = { .event = on_event };
	struct account_secret *s = account_secret_new(ctx->account);
	const char *secret = NULL;
	GError *err = NULL;
	int rc = 0;

	if (account_secret_get(s, &secret, &err) < 0) {
		rc = cli_fail(TERN_ERR_CONFIG, "%s", err->message);
		g_error_free(err);
	} else {
		ctx->client = imap_client_new(ctx->account, secret, &cb, ctx);
	}
	account_secret_free(&s);
	return rc;
}

int
cli_connect(struct cli_ctx *ctx, bool hold)
{
	int rc;

	ctx->hold_unreached = hold;
	if (ctx->g->offline)
		return cli_fail(TERN_ERR_CONN, _("--offline: this command needs the server"));
	rc = new_client(ctx);
	if (rc != 0)
		return rc;
	imap_client_connect(ctx->client, cli_done, ctx);
	if (cli_wait(ctx) != TERN_OK) {
		const char *d = ctx->detail != NULL ? ctx->detail : _("cannot connect");

		return cli_ctx_fail(ctx, ctx->st, "%s: %s", ctx->account->name, d);
	}
	ctx->connected = true;
	/* What waits in the journal goes first, in order; then the outbox
	 * (whose flags go to the journal again). */
	if (cli_open_existing_store(ctx) != 0)
		return 0;
	rc = cli_journal_replay(ctx);
	if (rc == 0 && cli_outbox_flush(ctx) > 0)
		rc = cli_journal_replay(ctx);
	return rc;
}

static int
open_connect(const struct tern_globals *g, struct cli_ctx *ctx, bool hold)
{
	int rc = cli_open_config(g, ctx);

	if (rc != 0)
		return rc;
	return cli_connect(ctx, hold);
}

int
cli_open(const struct tern_globals *g, struct cli_ctx *ctx)
{
	return open_connect(g, ctx, false);
}

int
cli_open_action(const struct tern_globals *g, struct cli_ctx *ctx)
{
	return open_connect(g, ctx, true);
}

void
cli_logout_early(struct cli_ctx *ctx)
{
	if (ctx->client == NULL || !ctx->connected || ctx->closed || ctx->logging_out)
		return;
	imap_client_logout(ctx->client, cli_done, ctx);
	ctx->logging_out = true;
	/* one turn of the loop writes it (the socket is writable) */
	g_main_context_iteration(g_main_loop_get_context(ctx->loop), FALSE);
}

void
cli_close(struct cli_ctx *ctx)
{
	cli_logout_early(ctx);
	if (ctx->logging_out)
		cli_wait(ctx);
	cli_print_held(ctx);
	imap_client_free(&ctx->client);
	store_free(&ctx->store);
	if (ctx->loop != NULL)
		g_main_loop_unref(ctx->loop);
	config_free(&ctx->cfg);
	g_free(ctx->detail);
	if (ctx->opened) {
		log_close();
		mime_shutdown();
	}
	memset(ctx, 0, sizeof *ctx);
}

/* ---- SELECT ---------------------------------------------------------- */

struct select_wait {
	struct cli_ctx *ctx;
	struct imap_mailbox_info info;
};

static void
select_cb(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_mailbox_info *info, void *ud)
{
	struct select_wait *w = ud;

	if (info != NULL)
		w->info = *info;
	cli_finish(w->ctx, st, detail);
}

int
cli_select(struct cli_ctx *ctx, const char *folder, bool read_only,
	   struct imap_mailbox_info *info_r)
{
	struct select_wait w = { .ctx = ctx };

	imap_client_select(ctx->client, folder, read_only, select_cb, &w);
	if (cli_wait(ctx) != TERN_OK)
		return cli_ctx_fail(ctx, ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("cannot open the folder"));
	if (info_r != NULL)
		*info_r = w.info;
	ctx->exists = w.info.exists;
	ctx->uidvalidity = w.info.uidvalidity;
	return 0;
}

/* ---- UID sets -------------------------------------------------------- */

struct uids_wait {
	struct cli_ctx *ctx;
	GArray *uids;
};

static void
uids_cb(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids, void *ud)
{
	struct uids_wait *w = ud;

	if (uids != NULL)
		w->uids = g_array_ref(uids);
	cli_finish(w->ctx, st, detail);
}

int
cli_search_uids(struct cli_ctx *ctx, GPtrArray *tokens, bool utf8, GArray **uids_r)
{
	struct uids_wait w = { .ctx = ctx };

	imap_client_search(ctx->client, tokens, utf8, uids_cb, &w);
	if (cli_wait(ctx) != TERN_OK) {
		if (w.uids != NULL)
			g_array_unref(w.uids);
		return cli_fail(ctx->st, _("search failed: %s"),
				ctx->detail != NULL ? ctx->detail : "");
	}
	*uids_r = w.uids != NULL ? w.uids : g_array_new(FALSE, FALSE, sizeof(guint32));
	return 0;
}

int
cli_resolve_uids(struct cli_ctx *ctx, const char *set, GArray **uids_r)
{
	struct uids_wait w = { .ctx = ctx };
	struct imap_seqset *parsed;
	GPtrArray *tokens;
	struct query_token t_uid = { .type = QUERY_TOK_ATOM, .text = (char *)"UID" };
	struct query_token t_set = { .type = QUERY_TOK_ATOM };
	GError *err = NULL;
	char *canonical;

	parsed = imap_seqset_parse(set, -1, IMAP_SEQSET_ALLOW_STAR, &err);
	if (parsed == NULL) {
		int rc = cli_fail(TERN_ERR_USAGE, _("bad UID set '%s': %s"), set, err->message);

		g_error_free(err);
		return rc;
	}
	canonical = imap_seqset_format(parsed);
	imap_seqset_free(&parsed);
	t_set.text = canonical;
	tokens = g_ptr_array_new();
	g_ptr_array_add(tokens, &t_uid);
	g_ptr_array_add(tokens, &t_set);
	imap_client_search(ctx->client, tokens, false, uids_cb, &w);
	cli_wait(ctx);
	g_ptr_array_unref(tokens);
	g_free(canonical);
	if (ctx->st != TERN_OK) {
		if (w.uids != NULL)
			g_array_unref(w.uids);
		return cli_ctx_fail(ctx, ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("search failed"));
	}
	if (w.uids == NULL || w.uids->len == 0) {
		if (w.uids != NULL)
			g_array_unref(w.uids);
		return cli_fail(TERN_ERR_MSG, _("no message matches UID set '%s'"), set);
	}
	*uids_r = w.uids;
	return 0;
}

/* ---- Summaries ------------------------------------------------------- */

struct sum_wait {
	struct cli_ctx *ctx;
	GArray *out;
};

static void
sum_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct sum_wait *w = ud;

	/* Keep what list and search print (the batch's strings are cleared
	 * after us): the rest would only cost memory on a big folder. */
	for (guint i = 0; i < n; i++) {
		struct imap_summary s = batch[i];

		s.keywords = g_strdupv(batch[i].keywords);
		s.from = g_strdup(s.from);
		s.from_name = g_strdup(s.from_name);
		s.from_addr = g_strdup(s.from_addr);
		s.subject = g_strdup(s.subject);
		s.preview = g_strdup(s.preview);
		s.to = s.cc = s.message_id = s.in_reply_to = s.references = NULL;
		g_array_append_val(w->out, s);
	}
}

static void
sum_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct sum_wait *w = ud;

	cli_finish(w->ctx, st, detail);
}

void
cli_summaries_free(GArray *sums)
{
	if (sums == NULL)
		return;
	for (guint i = 0; i < sums->len; i++)
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	g_array_unref(sums);
}

int
cli_fetch_summaries(struct cli_ctx *ctx, GArray *uids, GArray **out_r)
{
	struct sum_wait w = { .ctx = ctx };
	char **sets;

	w.out = g_array_sized_new(FALSE, TRUE, sizeof(struct imap_summary),
				  uids != NULL ? uids->len : ctx->exists);
	if (uids == NULL) {
		imap_client_fetch_summaries(ctx->client, "1:*", sum_batch, sum_done, &w);
		cli_wait(ctx);
	} else {
		sets = imap_uids_format((const uint32_t *)(void *)uids->data, uids->len, 4000);
		ctx->st = TERN_OK;
		for (char **s = sets; *s != NULL && ctx->st == TERN_OK; s++) {
			imap_client_fetch_summaries(ctx->client, *s, sum_batch, sum_done, &w);
			cli_wait(ctx);
		}
		g_strfreev(sets);
	}
	if (ctx->st != TERN_OK) {
		cli_summaries_free(w.out);
		return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("cannot fetch the message list"));
	}
	*out_r = w.out;
	return 0;
}

/* ---- The cache -------------------------------------------------------- */

G_STATIC_ASSERT(FLAG_SEEN == IMAP_FLAG_SEEN && FLAG_ANSWERED == IMAP_FLAG_ANSWERED &&
		FLAG_FLAGGED == IMAP_FLAG_FLAGGED && FLAG_DELETED == IMAP_FLAG_DELETED &&
		FLAG_DRAFT == IMAP_FLAG_DRAFT);

/* Open the account's cache into ctx->store; returns 0 (with or without a
 * cache online), or an exit code when offline and there is none. */
static int
open_store(struct cli_ctx *ctx)
{
	char *path = store_account_path(ctx->account->name);
	char *warning = NULL;
	GError *err = NULL;
	int rc = 0;

	if (store_open(path, 0, &ctx->store, &warning, &err) < 0) {
		if (ctx->offline)
			rc = cli_fail(TERN_ERR_FOLDER, _("--offline: nothing is cached for account "
							 "'%s' (%s)"),
				      ctx->account->name, err->message);
		else
			cli_fail(TERN_OK, _("warning: the cache is not used: %s"), err->message);
		g_error_free(err);
	}
	if (warning != NULL)
		cli_fail(TERN_OK, _("warning: %s"), warning);
	g_free(warning);
	g_free(path);
	return rc;
}

int
cli_open_existing_store(struct cli_ctx *ctx)
{
	char *path;
	bool exists;

	if (ctx->store != NULL)
		return 0;
	if (ctx->g->no_cache)
		return -1;
	path = store_account_path(ctx->account->name);
	exists = g_file_test(path, G_FILE_TEST_EXISTS);
	g_free(path);
	if (!exists)
		return -1;
	open_store(ctx);
	return ctx->store != NULL ? 0 : -1;
}

int
cli_open_cached(const struct tern_globals *g, struct cli_ctx *ctx)
{
	int rc;

	if (!g->offline)
		rc = cli_open(g, ctx);
	else
		rc = cli_open_config(g, ctx);
	if (rc != 0)
		return rc;
	ctx->offline = g->offline;
	if (g->offline && g->no_cache)
		return cli_fail(TERN_ERR_USAGE, _("--offline needs the cache; it cannot go with "
						  "--no-cache"));
	if (g->no_cache || ctx->store != NULL)
		return 0;
	if (g->offline) {
		char *path = store_account_path(ctx->account->name);
		bool exists = g_file_test(path, G_FILE_TEST_EXISTS);

		g_free(path);
		if (!exists)
			return cli_fail(TERN_ERR_FOLDER,
					_("--offline: nothing is cached for account '%s' yet"),
					ctx->account->name);
	}
	return open_store(ctx);
}

struct sync_wait {
	struct cli_ctx *ctx;
	struct imap_mailbox_info info;
};

static void
sync_cb(struct imap_client *c, enum tern_status st, const char *detail,
	const struct imap_mailbox_info *info, const struct store_sync_result *res, void *ud)
{
	struct sync_wait *w = ud;

	if (info != NULL)
		w->info = *info;
	w->ctx->sync_whole = res != NULL && res->whole;
	if (res != NULL)
		log_debug("resync: method %d, %u vanished, %u changed, %u new%s", (int)res->method,
			  res->vanished, res->changed, res->added,
			  res->uidvalidity_changed ? ", UIDVALIDITY changed" : "");
	cli_finish(w->ctx, st, detail);
}

/* The cached state of a folder, or an exit code (69) when it is not cached. */
static int
offline_folder(struct cli_ctx *ctx, const char *folder, struct store_folder *f_r)
{
	GError *err = NULL;
	int found = store_folder_get(ctx->store, folder, f_r, &err);

	if (found < 0) {
		int rc = cli_fail(TERN_ERR_NO, "%s", err->message);

		g_error_free(err);
		return rc;
	}
	if (found == 0 || f_r->uidnext == 0)
		return cli_fail(TERN_ERR_FOLDER, _("--offline: folder '%s' is not cached"), folder);
	return 0;
}

int
cli_open_folder(struct cli_ctx *ctx, const char *folder, bool read_only,
		struct imap_mailbox_info *info_r)
{
	struct sync_wait w = { .ctx = ctx };

	ctx->sync_whole = false;
	if (ctx->offline) {
		struct store_folder f;
		GError *err = NULL;
		guint n = 0;
		int rc = offline_folder(ctx, folder, &f);

		if (rc != 0)
			return rc;
		if (store_messages_count(ctx->store, folder, f.uidvalidity, &n, &err) < 0) {
			rc = cli_fail(TERN_ERR_NO, "%s", err->message);
			g_error_free(err);
			return rc;
		}
		memset(info_r, 0, sizeof *info_r);
		info_r->exists = n;
		info_r->uidvalidity = f.uidvalidity;
		info_r->uidnext = f.uidnext;
		info_r->highestmodseq = f.highestmodseq;
		info_r->read_only = true;
		return 0;
	}
	if (ctx->store == NULL)
		return cli_select(ctx, folder, read_only, info_r);
	store_sync_folder(ctx->store, ctx->client, folder, read_only, NULL, sync_cb, &w);
	if (cli_wait(ctx) != TERN_OK)
		return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("cannot open the folder"));
	*info_r = w.info;
	return 0;
}

/* Queued changes shown over cached summaries: flags as they will be, and
 * what a queued move takes away left out. */
void
cli_overlay_summaries(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity, GArray *sums)
{
	struct store_overlay *ov = NULL;
	GError *err = NULL;
	guint kept = 0;

	if (store_overlay_new(ctx->store, folder, uidvalidity, &ov, &err) < 0) {
		log_warn("cache: %s", err->message);
		g_error_free(err);
		return;
	}
	if (ov == NULL)
		return;
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);

		if (store_overlay_apply(ov, s->uid, &s->flags))
			g_array_index(sums, struct imap_summary, kept++) = *s;
		else
			imap_summary_clear(s);
	}
	g_array_set_size(sums, kept);
	store_overlay_free(&ov);
}

int
cli_folder_summaries(struct cli_ctx *ctx, const char *folder,
		     const struct imap_mailbox_info *info, GArray *uids, GArray **out_r)
{
	GArray *sums = NULL, *missing;
	GError *err = NULL;
	guint j = 0;
	int rc;

	if (ctx->store == NULL)
		return cli_fetch_summaries(ctx, uids, out_r);
	if (store_messages_load(ctx->store, folder, info->uidvalidity, uids, &sums, &err) < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		return rc;
	}
	if (uids == NULL || sums->len == uids->len || ctx->offline) {
		cli_overlay_summaries(ctx, folder, info->uidvalidity, sums);
		*out_r = sums;
		return 0;
	}
	/* Arrived after the resync (both lists are in UID order). */
	missing = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < uids->len; i++) {
		guint32 uid = g_array_index(uids, guint32, i);

		if (j < sums->len && g_array_index(sums, struct imap_summary, j).uid == uid)
			j++;
		else
			g_array_append_val(missing, uid);
	}
	{
		GArray *more = NULL;

		rc = cli_fetch_summaries(ctx, missing, &more);
		if (rc == 0) {
			g_array_append_vals(sums, more->data, more->len);
			g_array_unref(more); /* the strings moved to sums */
		}
	}
	g_array_unref(missing);
	if (rc != 0) {
		cli_summaries_free(sums);
		return rc;
	}
	cli_overlay_summaries(ctx, folder, info->uidvalidity, sums);
	*out_r = sums;
	return 0;
}

/* Offline: the cached body, or exit 69. */
static int
offline_message(struct cli_ctx *ctx, const char *folder, guint32 uid, GBytes **data_r)
{
	struct store_folder f;
	GError *err = NULL;
	int rc = offline_folder(ctx, folder, &f);
	int found;

	if (rc != 0)
		return rc;
	ctx->uidvalidity = f.uidvalidity;
	found = store_body_get(ctx->store, folder, f.uidvalidity, uid, data_r, &err);
	if (found < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		return rc;
	}
	if (found == 0)
		return cli_fail(TERN_ERR_MSG, _("--offline: message %u of '%s' is not cached"), uid,
				folder);
	return 0;
}

/* Keep a fetched body (item NULL) or part; the folder's row is made when
 * it is missing (its UIDNEXT 0 tells a later list that its summaries are
 * not cached). */
static void
keep_item(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity, guint32 uid,
	  const char *item, GBytes *data)
{
	struct store_folder f;
	GError *err = NULL;
	int found = store_folder_get(ctx->store, folder, &f, &err);

	if (found == 1 && f.uidvalidity != uidvalidity)
		found = 0;
	if (found == 0) {
		memset(&f, 0, sizeof f);
		f.uidvalidity = uidvalidity;
		found = store_folder_set(ctx->store, folder, &f, &err) == 0;
	}
	if (found == 1 && item == NULL)
		store_body_put(ctx->store, folder, uidvalidity, uid, data, &err);
	else if (found == 1)
		store_part_put(ctx->store, folder, uidvalidity, uid, item, data, &err);
	if (err != NULL) {
		log_warn("cache: %s", err->message);
		g_error_free(err);
	}
}

struct body_wait {
	struct cli_ctx *ctx;
	GBytes *data;
};

static void
body_cb(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data, void *ud)
{
	struct body_wait *w = ud;

	if (data != NULL)
		w->data = g_bytes_ref(data);
	cli_finish(w->ctx, st, detail);
}

static int
fetch_body(struct cli_ctx *ctx, guint32 uid, bool mark_read, GBytes **data_r)
{
	struct body_wait w = { .ctx = ctx };

	imap_client_fetch_body(ctx->client, uid, "", mark_read, body_cb, &w);
	if (cli_wait(ctx) != TERN_OK) {
		if (w.data != NULL)
			g_bytes_unref(w.data);
		return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("cannot fetch the message"));
	}
	*data_r = w.data;
	return 0;
}

int
cli_fetch_message(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		  guint32 uid, bool mark_read, GBytes **data_r)
{
	int rc = cli_open_cached(g, ctx);

	return rc != 0 ? rc : cli_fetch_opened(ctx, folder, uid, mark_read, data_r);
}

int
cli_fetch_opened(struct cli_ctx *ctx, const char *folder, guint32 uid, bool mark_read,
		 GBytes **data_r)
{
	struct imap_mailbox_info info;
	GBytes *cached = NULL;
	GError *err = NULL;
	int rc;

	if (ctx->offline && mark_read)
		return cli_fail(TERN_ERR_CONN, _("--offline: --mark-read needs the server"));
	if (ctx->offline)
		return offline_message(ctx, folder, uid, data_r);
	rc = cli_select(ctx, folder, !mark_read, &info);
	if (rc != 0)
		return rc;
	if (ctx->store != NULL && !mark_read &&
	    store_body_get(ctx->store, folder, info.uidvalidity, uid, &cached, &err) == 1) {
		char *set = g_strdup_printf("%u", uid);
		GArray *uids = NULL;

		/* still in the folder? (a UID is never reused under one UIDVALIDITY) */
		rc = cli_resolve_uids(ctx, set, &uids);
		g_free(set);
		if (uids != NULL)
			g_array_unref(uids);
		if (rc != 0) {
			g_bytes_unref(cached);
			return rc;
		}
		*data_r = cached;
		return 0;
	}
	g_clear_error(&err);
	rc = fetch_body(ctx, uid, mark_read, data_r);
	if (rc == 0 && ctx->store != NULL)
		keep_item(ctx, folder, info.uidvalidity, uid, NULL, *data_r);
	return rc;
}

void
cli_keep_part(struct cli_ctx *ctx, const char *folder, guint32 uid, const char *item,
	      GBytes *data)
{
	if (ctx->store != NULL && !ctx->offline && ctx->uidvalidity != 0 && data != NULL)
		keep_item(ctx, folder, ctx->uidvalidity, uid, item, data);
}

int
cli_cached_part(struct cli_ctx *ctx, const char *folder, guint32 uid, const char *item,
		GBytes **data_r)
{
	struct store_folder f;
	GError *err = NULL;
	guint32 uidvalidity = ctx->uidvalidity;
	int found;

	*data_r = NULL;
	if (ctx->store == NULL)
		return 0;
	if (ctx->offline) {
		if (store_folder_get(ctx->store, folder, &f, &err) != 1) {
			g_clear_error(&err);
			return 0;
		}
		uidvalidity = ctx->uidvalidity = f.uidvalidity;
	}
	if (uidvalidity == 0)
		return 0;
	found = store_part_get(ctx->store, folder, uidvalidity, uid, item, data_r, &err);
	if (found < 0) {
		log_warn("cache: %s", err->message);
		g_error_free(err);
		return 0;
	}
	return found;
}

/* ---- what is shown: the header and text parts of a big message ---- */

struct parts_wait {
	struct cli_ctx *ctx;
	GPtrArray *structure;
	GBytes *header;
	GPtrArray *data, *mime;
};

static void
parts_cb(struct imap_client *c, enum tern_status st, const char *detail,
	 const struct imap_parts_result *res, void *ud)
{
	struct parts_wait *w = ud;

	if (res != NULL) {
		if (res->structure != NULL)
			w->structure = g_ptr_array_ref(res->structure);
		if (res->header != NULL)
			w->header = g_bytes_ref(res->header);
		w->data = g_ptr_array_ref(res->data);
		w->mime = g_ptr_array_ref(res->mime);
	}
	cli_finish(w->ctx, st, detail);
}

static void
parts_wait_clear(struct parts_wait *w)
{
	if (w->structure != NULL)
		g_ptr_array_unref(w->structure);
	if (w->header != NULL)
		g_bytes_unref(w->header);
	if (w->data != NULL)
		g_ptr_array_unref(w->data);
	if (w->mime != NULL)
		g_ptr_array_unref(w->mime);
	memset(w, 0, sizeof *w);
}

int
cli_fetch_parts(struct cli_ctx *ctx, guint32 uid, guint what, const char *const *sections,
		GPtrArray **structure_r, GBytes **header_r, GPtrArray **data_r,
		GPtrArray **mime_r)
{
	if (cli_fetch_parts_try(ctx, uid, what, sections, structure_r, header_r, data_r,
				mime_r) == 0)
		return 0;
	return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
				  _("cannot fetch the message"));
}

int
cli_fetch_parts_try(struct cli_ctx *ctx, guint32 uid, guint what, const char *const *sections,
		    GPtrArray **structure_r, GBytes **header_r, GPtrArray **data_r,
		    GPtrArray **mime_r)
{
	struct parts_wait w = { .ctx = ctx };

	imap_client_fetch_parts(ctx->client, uid, what, sections, parts_cb, &w);
	if (cli_wait(ctx) != TERN_OK) {
		parts_wait_clear(&w);
		return -1;
	}
	if (structure_r != NULL)
		*structure_r = g_steal_pointer(&w.structure);
	if (header_r != NULL)
		*header_r = g_steal_pointer(&w.header);
	if (data_r != NULL)
		*data_r = g_steal_pointer(&w.data);
	if (mime_r != NULL)
		*mime_r = g_steal_pointer(&w.mime);
	parts_wait_clear(&w);
	return 0;
}

int
cli_fetch_shown(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		guint32 uid, GBytes **data_r)
{
	struct imap_mailbox_info info;
	GPtrArray *structure = NULL, *data = NULL, *mime = NULL;
	GBytes *header = NULL, *cached = NULL;
	GError *err = NULL;
	char **sections = NULL;
	int rc, plan = -1;

	if ((rc = cli_open_cached(g, ctx)) != 0)
		return rc;
	if (ctx->offline)
		return cli_fetch_message(g, ctx, folder, uid, false, data_r);
	if ((rc = cli_select(ctx, folder, true, &info)) != 0)
		return rc;
	if (ctx->store != NULL &&
	    store_body_get(ctx->store, folder, info.uidvalidity, uid, &cached, &err) == 1) {
		*data_r = cached;
		return 0;
	}
	g_clear_error(&err);
	rc = cli_fetch_parts(ctx, uid, IMAP_PARTS_STRUCTURE | IMAP_PARTS_HEADER, NULL, &structure,
			     &header, NULL, NULL);
	if (rc == 0 && structure != NULL && header != NULL)
		plan = mime_structure_plan(structure, false, IMAP_MAX_FETCH_SECTIONS, &sections);
	if (rc == 0 && (plan != MIME_FETCH_PARTS || sections[0] == NULL)) {
		/* signed, encrypted, no usable structure: the whole message */
		rc = fetch_body(ctx, uid, false, data_r);
		if (rc == 0 && ctx->store != NULL)
			keep_item(ctx, folder, info.uidvalidity, uid, NULL, *data_r);
	} else if (rc == 0) {
		rc = cli_fetch_parts(ctx, uid, IMAP_PARTS_MIME, (const char *const *)sections, NULL,
				     NULL, &data, &mime);
		if (rc == 0)
			*data_r = mime_partial_message(header, mime, data);
	}
	g_strfreev(sections);
	if (structure != NULL)
		g_ptr_array_unref(structure);
	if (header != NULL)
		g_bytes_unref(header);
	if (data != NULL)
		g_ptr_array_unref(data);
	if (mime != NULL)
		g_ptr_array_unref(mime);
	return rc;
}

/* tern — ui/cli: config, connection and output shared by the commands. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/imap/imap.h"
#include "core/log.h"
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
	fprintf(stderr, "tern: %s\n", safe);
	g_free(safe);
	g_free(msg);
	return tern_status_exit_code(st);
}

void
cli_puts_safe(FILE *out, const char *s)
{
	char *safe = text_sanitize(s != NULL ? s : "", -1, TEXT_SANITIZE_ONE_LINE);

	fputs(safe, out);
	g_free(safe);
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

static int
get_secret(const struct account *a, char **secret_r)
{
	GError *err = NULL;
	int rc;

	*secret_r = NULL;
	if (a->auth == CONFIG_AUTH_XOAUTH2 || a->auth == CONFIG_AUTH_OAUTHBEARER)
		rc = account_get_oauth_token(a, secret_r, &err);
	else
		rc = account_get_password(a, secret_r, &err);
	if (rc == 0)
		return 0;
	if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD) && a->tunnel != NULL) {
		g_error_free(err);
		return 0; /* a tunnel greets with PREAUTH */
	}
	rc = cli_fail(TERN_ERR_CONFIG, "%s", err->message);
	g_error_free(err);
	return rc;
}

int
cli_open(const struct tern_globals *g, struct cli_ctx *ctx)
{
	static const struct imap_client_callbacks cb = { .event = on_event };
	char *secret = NULL;
	int rc;

	rc = cli_open_config(g, ctx);
	if (rc != 0)
		return rc;
	if (g->offline)
		return cli_fail(TERN_ERR_CONN, _("--offline: this command needs the server (the "
						 "cache is not built yet)"));
	rc = get_secret(ctx->account, &secret);
	if (rc != 0)
		return rc;
	ctx->client = imap_client_new(ctx->account, secret, &cb, ctx);
	config_secret_free(&secret);
	imap_client_connect(ctx->client, cli_done, ctx);
	if (cli_wait(ctx) != TERN_OK) {
		const char *d = ctx->detail != NULL ? ctx->detail : _("cannot connect");

		return cli_fail(ctx->st, "%s: %s", ctx->account->name, d);
	}
	ctx->connected = true;
	return 0;
}

void
cli_close(struct cli_ctx *ctx)
{
	if (ctx->client != NULL && ctx->connected && !ctx->closed) {
		imap_client_logout(ctx->client, cli_done, ctx);
		cli_wait(ctx);
	}
	imap_client_free(&ctx->client);
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
		return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("cannot open the folder"));
	if (info_r != NULL)
		*info_r = w.info;
	ctx->exists = w.info.exists;
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
		return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail : _("search failed"));
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

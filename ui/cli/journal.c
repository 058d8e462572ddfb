/* tern — ui/cli: before a command that reached the server, the actions
 * queued while it could not be reached are sent, in order (core/store
 * replays them; see cmd-modify.c for the queuing side). */
#include "config.h"

#include "core/log.h"
#include "ui/cli/cli.h"

static void
warn_dropped(const struct store_action *a, const char *why, void *ud)
{
	cli_fail(TERN_OK, _("warning: queued %s on '%s' (UIDs %s) dropped: %s"),
		 store_action_describe(a), a->folder != NULL ? a->folder : "",
		 a->uids != NULL ? a->uids : "", why);
}

static void
replay_done(struct imap_client *c, enum tern_status st, const char *detail, guint sent,
	    void *ud)
{
	cli_finish(ud, st, detail);
}

int
cli_journal_replay(struct cli_ctx *ctx)
{
	if (ctx->store == NULL || ctx->client == NULL)
		return 0;
	store_journal_replay(ctx->store, ctx->client, warn_dropped, replay_done, ctx);
	switch (cli_wait(ctx)) {
	case TERN_OK:
		return 0;
	case TERN_ERR_NO: /* the cache, not the server */
		cli_fail(TERN_OK, _("warning: the journal of queued actions: %s"),
			 ctx->detail != NULL ? ctx->detail : "");
		return 0;
	default:
		return cli_ctx_fail(ctx, ctx->st, _("%s: queued actions not sent: %s"),
				    ctx->account->name,
				    ctx->detail != NULL ? ctx->detail : _("connection lost"));
	}
}

void
cli_cache_flags(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity,
		const GArray *uids, bool add, const char *const *flags)
{
	GError *err = NULL;

	if (ctx->store != NULL &&
	    store_messages_change_flags(ctx->store, folder, uidvalidity, uids, add, flags,
					&err) < 0) {
		log_warn("cache: %s", err->message);
		g_error_free(err);
	}
}

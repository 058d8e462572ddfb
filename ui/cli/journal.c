/* tern — ui/cli: replaying the journal of actions queued while the server
 * could not be reached (core/store keeps them; see cmd-modify.c for the
 * queuing side).
 *
 * Each action is claimed (inside a transaction), sent, and then forgotten
 * when the server answered, OK or NO: a NO will never succeed, so it is
 * reported and dropped. When the connection fails before the answer the
 * claim is released and the action stays first in line. A tern killed in
 * between leaves a claim whose process is gone; the next run takes it
 * over and sends the action again. Flag changes and moves are idempotent
 * on the server (a moved message is no longer in the source folder), so
 * they happen once; only a COPY whose answer was lost may be made twice.
 */
#include "config.h"

#include <string.h>

#include "core/imap/imap.h"
#include "core/log.h"
#include "core/model/flags.h"
#include "ui/cli/cli.h"

/* A queued UID set never expands to more than this (the journal is ours,
 * but the file is on disk and may be damaged). */
#define JOURNAL_MAX_UIDS 1000000
/* Flag names in one queued flag change. */
#define JOURNAL_MAX_FLAGS FLAGS_MAX_WORDS

enum replay_result {
	REPLAY_DONE,   /* the server answered (or the action cannot apply): forget it */
	REPLAY_RETRY,  /* the connection failed first: keep it */
};

struct replay_wait {
	struct cli_ctx *ctx;
	struct imap_mailbox_info info;
};

static void
select_cb(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_mailbox_info *info, void *ud)
{
	struct replay_wait *w = ud;

	if (info != NULL)
		w->info = *info;
	cli_finish(w->ctx, st, detail);
}

static void
copy_cb(struct imap_client *c, enum tern_status st, const char *detail,
	const struct imap_copy_result *result, void *ud)
{
	cli_finish(ud, st, detail);
}

/* The server answered (whatever it said), as opposed to a connection that
 * failed or a reply that could not be read. */
static bool
answered(enum tern_status st)
{
	return st == TERN_OK || st == TERN_ERR_NO || st == TERN_ERR_MSG ||
	       st == TERN_ERR_FOLDER || st == TERN_ERR_USAGE;
}

static const char *
describe(const struct store_action *a)
{
	switch (a->kind) {
	case STORE_ACTION_FLAGS_ADD:
	case STORE_ACTION_FLAGS_REMOVE:
		return _("flag change");
	case STORE_ACTION_MOVE:
		return _("move");
	case STORE_ACTION_COPY:
		return _("copy");
	}
	return _("action");
}

static void
warn_dropped(const struct store_action *a, const char *why)
{
	cli_fail(TERN_OK, _("warning: queued %s on '%s' (UIDs %s) dropped: %s"), describe(a),
		 a->folder, a->uids, why);
}

static GArray *
action_uids(const struct store_action *a)
{
	struct imap_seqset *set;
	GArray *uids = NULL;
	GError *err = NULL;
	uint32_t *arr;
	size_t n = 0;

	set = imap_seqset_parse(a->uids != NULL ? a->uids : "", -1, 0, &err);
	if (set != NULL) {
		arr = imap_seqset_to_array(set, JOURNAL_MAX_UIDS, &n, &err);
		if (arr != NULL) {
			uids = g_array_sized_new(FALSE, FALSE, sizeof(guint32), (guint)n);
			g_array_append_vals(uids, arr, (guint)n);
			g_free(arr);
		}
		imap_seqset_free(&set);
	}
	if (err != NULL) {
		log_warn("journal: bad UID set: %s", err->message);
		g_error_free(err);
	}
	return uids;
}

/* ---- The cache follows what the server did ----------------------------- */

static void
keywords_change(struct imap_summary *s, const char *kw, bool add)
{
	GPtrArray *out = g_ptr_array_new();
	bool had = false;

	for (char **k = s->keywords; k != NULL && *k != NULL; k++) {
		if (g_ascii_strcasecmp(*k, kw) == 0) {
			had = true;
			if (!add)
				continue;
		}
		g_ptr_array_add(out, g_strdup(*k));
	}
	if (add && !had)
		g_ptr_array_add(out, g_strdup(kw));
	g_ptr_array_add(out, NULL);
	g_strfreev(s->keywords);
	s->keywords = (char **)g_ptr_array_free(out, FALSE);
}

void
cli_cache_flags(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity,
		const GArray *uids, bool add, const char *const *flags)
{
	GArray *sums = NULL;
	GError *err = NULL;

	if (ctx->store == NULL)
		return;
	if (store_messages_load(ctx->store, folder, uidvalidity, uids, &sums, &err) < 0)
		goto out;
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);

		for (const char *const *f = flags; *f != NULL; f++) {
			guint bit = flags_from_imap(*f);

			if (bit != 0)
				s->flags = add ? (s->flags | bit) : (s->flags & ~bit);
			else if (**f != '\\')
				keywords_change(s, *f, add);
		}
		s->modseq = 0; /* unknown: the next resync brings the server's */
	}
	store_messages_set_flags(ctx->store, folder, uidvalidity, (struct imap_summary *)sums->data,
				 sums->len, &err);
out:
	if (err != NULL) {
		log_warn("cache: %s", err->message);
		g_error_free(err);
	}
	cli_summaries_free(sums);
}

static void
cache_moved(struct cli_ctx *ctx, const struct store_action *a, const GArray *uids)
{
	GError *err = NULL;

	if (store_messages_remove(ctx->store, a->folder, a->uidvalidity,
				  (const guint32 *)(const void *)uids->data, uids->len, &err) < 0) {
		log_warn("cache: %s", err->message);
		g_error_free(err);
	}
}

/* ---- One action ------------------------------------------------------------ */

static enum tern_status
send_action(struct cli_ctx *ctx, const struct store_action *a, const GArray *uids)
{
	char **flags;
	bool add = a->kind == STORE_ACTION_FLAGS_ADD;

	switch (a->kind) {
	case STORE_ACTION_FLAGS_ADD:
	case STORE_ACTION_FLAGS_REMOVE:
		flags = g_strsplit(a->arg != NULL ? a->arg : "", " ", JOURNAL_MAX_FLAGS + 1);
		if (flags[0] == NULL || g_strv_length(flags) > JOURNAL_MAX_FLAGS) {
			g_strfreev(flags);
			cli_finish(ctx, TERN_ERR_USAGE, _("no valid flag names"));
			break;
		}
		imap_client_store(ctx->client, uids, add, (const char *const *)flags, cli_done, ctx);
		cli_wait(ctx);
		if (ctx->st == TERN_OK)
			cli_cache_flags(ctx, a->folder, a->uidvalidity, uids, add,
					(const char *const *)flags);
		g_strfreev(flags);
		return ctx->st;
	case STORE_ACTION_MOVE:
	case STORE_ACTION_COPY:
		imap_client_copy(ctx->client, uids, a->arg != NULL ? a->arg : "",
				 a->kind == STORE_ACTION_MOVE, copy_cb, ctx);
		cli_wait(ctx);
		if (ctx->st == TERN_OK && a->kind == STORE_ACTION_MOVE)
			cache_moved(ctx, a, uids);
		return ctx->st;
	default:
		cli_finish(ctx, TERN_ERR_USAGE, _("unknown action"));
		break;
	}
	return cli_wait(ctx);
}

static enum replay_result
replay_one(struct cli_ctx *ctx, const struct store_action *a)
{
	struct replay_wait w = { .ctx = ctx };
	GArray *uids = action_uids(a);
	enum replay_result res = REPLAY_DONE;
	char *why;

	if (uids == NULL || uids->len == 0 || a->folder == NULL) {
		warn_dropped(a, _("the journal entry is damaged"));
		goto out;
	}
	imap_client_select(ctx->client, a->folder, false, select_cb, &w);
	if (cli_wait(ctx) != TERN_OK) {
		if (!answered(ctx->st))
			res = REPLAY_RETRY;
		else
			warn_dropped(a, ctx->detail != NULL ? ctx->detail :
				     _("the folder cannot be opened"));
		goto out;
	}
	ctx->exists = w.info.exists;
	if (w.info.uidvalidity != a->uidvalidity) {
		why = g_strdup_printf(_("the folder's UIDVALIDITY changed (%u, now %u): those "
					"UIDs are other messages now"),
				      a->uidvalidity, w.info.uidvalidity);
		warn_dropped(a, why);
		g_free(why);
		goto out;
	}
	if (send_action(ctx, a, uids) == TERN_OK) {
		log_debug("journal: replayed action %" G_GINT64_FORMAT, a->id);
	} else if (answered(ctx->st)) {
		why = g_strdup_printf(_("the server refused it: %s"),
				      ctx->detail != NULL ? ctx->detail : "");
		warn_dropped(a, why);
		g_free(why);
	} else {
		res = REPLAY_RETRY;
	}
out:
	if (uids != NULL)
		g_array_unref(uids);
	return res;
}

int
cli_journal_replay(struct cli_ctx *ctx)
{
	struct store_action *a = NULL;
	GError *err = NULL;
	int rc = 0;

	if (ctx->store == NULL || ctx->client == NULL)
		return 0;
	for (;;) {
		int found = store_journal_claim(ctx->store, &a, &err);

		if (found <= 0)
			break;
		if (replay_one(ctx, a) == REPLAY_RETRY) {
			store_journal_release(ctx->store, a->id, &err);
			rc = cli_ctx_fail(ctx, ctx->st, _("%s: queued actions not sent: %s"),
					  ctx->account->name,
					  ctx->detail != NULL ? ctx->detail : _("connection lost"));
			break;
		}
		if (store_journal_done(ctx->store, a->id, &err) < 0)
			break;
		store_action_free(&a);
	}
	store_action_free(&a);
	if (err != NULL) {
		cli_fail(TERN_OK, _("warning: the journal of queued actions: %s"), err->message);
		g_error_free(err);
	}
	return rc;
}

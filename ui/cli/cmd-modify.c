/* tern — `tern flag`, `move`, `copy`, `delete`. */
#include "config.h"

#include <string.h>

#include "core/imap/imap.h"
#include "core/model/flags.h"
#include "core/smtp/smtp.h"
#include "ui/cli/cli.h"

static void
copy_cb(struct imap_client *c, enum tern_status st, const char *detail,
	const struct imap_copy_result *result, void *ud)
{
	cli_finish(ud, st, detail);
}

/* ---- Queuing: an action that cannot reach the server waits in the journal --
 *
 * With --offline, or when the connection cannot be made or is lost before
 * the server answered, the action is written to the cache's journal with
 * the folder's UIDVALIDITY and the UIDs as resolved (by the server when it
 * got that far, else from the cache; a set with '*' is then refused, since
 * only the server knows its highest UID), and the next command that
 * connects sends it (journal.c). The command exits 74 saying so. Usage
 * errors and a NO are never queued, and neither is a permanent deletion
 * (delete --expunge, or delete in the Trash): it must not happen later by
 * surprise. */

struct queued {
	enum store_action_kind kind;
	const char *arg; /* transfer none */
};

struct modify {
	struct cli_ctx ctx;
	const char *folder;
	const char *set;
	GArray *uids;         /* as the server resolved them, or NULL */
	guint32 uidvalidity;  /* of folder from SELECT, 0 before */
	const char *queued;   /* translated: "flag change queued, ..." */
};

static void
modify_clear(struct modify *m)
{
	if (m->uids != NULL)
		g_array_unref(m->uids);
	m->uids = NULL;
	cli_close(&m->ctx);
}

/* The UID set's syntax, checked before anything is sent or queued. */
static int
check_set(const char *set)
{
	GError *err = NULL;
	struct imap_seqset *parsed = imap_seqset_parse(set, -1, IMAP_SEQSET_ALLOW_STAR, &err);
	int rc;

	if (parsed != NULL) {
		imap_seqset_free(&parsed);
		return 0;
	}
	rc = cli_fail(TERN_ERR_USAGE, _("bad UID set '%s': %s"), set, err->message);
	g_error_free(err);
	return rc;
}

static bool
set_has_star(const struct imap_seqset *set)
{
	for (size_t i = 0; i < set->n_ranges; i++)
		if (set->ranges[i].first == IMAP_SEQ_STAR || set->ranges[i].last == IMAP_SEQ_STAR)
			return true;
	return false;
}

/* Without the server: the cached UIDs of the folder that the user's set
 * names. Returns 0, or prints why not and returns its exit code. */
static int
resolve_cached(struct modify *m)
{
	struct cli_ctx *ctx = &m->ctx;
	struct imap_seqset *set = imap_seqset_parse(m->set, -1, IMAP_SEQSET_ALLOW_STAR, NULL);
	struct store_folder f;
	GArray *all = NULL;
	GError *err = NULL;
	int found, rc = 0;

	found = store_folder_get(ctx->store, m->folder, &f, &err);
	if (found < 0 || (found == 1 && f.uidnext != 0 &&
			  store_messages_uids(ctx->store, m->folder, f.uidvalidity, &all, &err) < 0)) {
		rc = cli_fail(TERN_ERR_NO, _("nothing queued: %s"), err->message);
		goto out;
	}
	if (found == 0 || f.uidnext == 0) {
		rc = cli_fail(TERN_ERR_FOLDER, _("nothing queued: folder '%s' is not cached"),
			      m->folder);
		goto out;
	}
	if (set == NULL || set_has_star(set)) {
		rc = cli_fail(TERN_ERR_USAGE, _("nothing queued: UID set '%s' uses '*', which only "
						"the server can resolve; name the UIDs"), m->set);
		goto out;
	}
	m->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < all->len; i++) {
		guint32 uid = g_array_index(all, guint32, i);

		if (imap_seqset_contains(set, uid, 0))
			g_array_append_val(m->uids, uid);
	}
	m->uidvalidity = f.uidvalidity;
	if (m->uids->len == 0)
		rc = cli_fail(TERN_ERR_MSG, _("nothing queued: no cached message matches UID set "
					      "'%s'"), m->set);
out:
	g_clear_error(&err);
	imap_seqset_free(&set);
	if (all != NULL)
		g_array_unref(all);
	return rc;
}

static int
journal_write(struct modify *m, const struct queued *acts, guint n)
{
	struct store *st = m->ctx.store;
	char **sets = imap_uids_format((const uint32_t *)(void *)m->uids->data, m->uids->len,
				       G_MAXSIZE);
	GError *err = NULL;
	int rc = 0;

	if (store_begin(st, &err) < 0)
		goto out;
	for (guint i = 0; i < n && rc == 0; i++)
		rc = store_journal_add(st, acts[i].kind, m->folder, m->uidvalidity, sets[0],
				       acts[i].arg, NULL, &err);
	if (rc == 0)
		rc = store_commit(st, &err);
	if (rc < 0)
		store_rollback(st);
out:
	g_strfreev(sets);
	if (err == NULL)
		return 0;
	rc = cli_fail(TERN_ERR_NO, _("nothing queued: %s"), err->message);
	g_error_free(err);
	return rc;
}

/* Queue acts, offline or when the server could not be reached (a held
 * error): returns 74 when queued, else the exit code of why not (printed).
 * n == 0 (nothing left to do) returns rc. */
static int
queue_or_fail(struct modify *m, int rc, const struct queued *acts, guint n)
{
	struct cli_ctx *ctx = &m->ctx;
	bool offline = ctx->g != NULL && ctx->g->offline;
	int qrc;

	if (n == 0)
		return rc;
	if (cli_open_existing_store(ctx) < 0) {
		cli_print_held(ctx);
		qrc = cli_fail(TERN_ERR_FOLDER,
			       ctx->g->no_cache ? _("nothing queued: --no-cache keeps no journal") :
			       _("nothing queued: nothing is cached for account '%s'"),
			       ctx->account->name);
		return offline ? qrc : rc;
	}
	if (m->uids == NULL || m->uidvalidity == 0) {
		if (m->uids != NULL)
			g_array_unref(m->uids);
		m->uids = NULL;
		qrc = resolve_cached(m);
		if (qrc != 0) {
			cli_print_held(ctx);
			return offline ? qrc : rc;
		}
	}
	if (journal_write(m, acts, n) != 0) {
		cli_print_held(ctx);
		return rc;
	}
	if (offline) {
		cli_fail(TERN_OK, _("--offline: %s"), m->queued);
	} else {
		cli_fail(TERN_OK, _("the server cannot be reached (%s): %s"), ctx->held_error,
			 m->queued);
		g_clear_pointer(&ctx->held_error, g_free);
	}
	return tern_status_exit_code(TERN_ERR_CONN);
}

/* Offline: the config and the cache, no network. */
static int
open_offline(const struct tern_globals *g, struct modify *m)
{
	int rc = cli_open_config(g, &m->ctx);

	if (rc == 0 && g->no_cache)
		rc = cli_fail(TERN_ERR_USAGE, _("--offline needs the cache; it cannot go with "
						"--no-cache"));
	return rc;
}

/* SELECT folder and resolve the UID set (connection errors held). */
static int
open_uids_selected(struct modify *m)
{
	struct imap_mailbox_info info;
	int rc = cli_select(&m->ctx, m->folder, false, &info);

	if (rc == 0)
		m->uidvalidity = info.uidvalidity;
	if (rc == 0)
		rc = cli_resolve_uids(&m->ctx, m->set, &m->uids);
	return rc;
}

/* Connect, then as above. */
static int
open_uids(const struct tern_globals *g, struct modify *m)
{
	int rc = cli_open_action(g, &m->ctx);

	return rc != 0 ? rc : open_uids_selected(m);
}

static int
store(struct modify *m, bool add, GPtrArray *flags)
{
	struct cli_ctx *ctx = &m->ctx;

	if (flags->len == 0)
		return 0;
	g_ptr_array_add(flags, NULL);
	imap_client_store(ctx->client, m->uids, add, (const char *const *)flags->pdata, cli_done,
			  ctx);
	cli_wait(ctx);
	if (ctx->st == TERN_OK)
		cli_cache_flags(ctx, m->folder, m->uidvalidity, m->uids, add,
				(const char *const *)flags->pdata);
	g_ptr_array_remove_index(flags, flags->len - 1);
	if (ctx->st != TERN_OK)
		return cli_ctx_fail(ctx, ctx->st, _("the server refused to change flags: %s"),
				    ctx->detail != NULL ? ctx->detail : "");
	return 0;
}

int
cli_cmd_flag(const struct tern_globals *g, int argc, char **argv)
{
	struct cli_args args;
	struct modify m = { .queued = _("flag change queued, it will be sent on the next "
					"connection") };
	struct flags_change *change = NULL;
	struct queued acts[2];
	char *add = NULL, *remove = NULL;
	GError *ferr = NULL;
	char *err = NULL;
	guint n = 0;
	int rc;

	if (cli_args_parse(argc, argv, NULL, &args, &err) < 0 || args.pos->len < 3) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern flag FOLDER UIDSET [+|-]FLAG..."));
		goto out;
	}
	if (flags_parse_words((const char *const *)args.pos->pdata + 2, args.pos->len - 2, &change,
			      &ferr) < 0) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", ferr->message);
		g_error_free(ferr);
		goto out;
	}
	m.folder = args.pos->pdata[0];
	m.set = args.pos->pdata[1];
	rc = check_set(m.set);
	if (rc != 0)
		goto out;
	rc = g->offline ? open_offline(g, &m) : open_uids(g, &m);
	if (rc == 0 && !g->offline)
		rc = store(&m, true, change->add);
	if (change->add->len > 0 && (rc != 0 || g->offline)) {
		g_ptr_array_add(change->add, NULL);
		add = g_strjoinv(" ", (char **)change->add->pdata);
		g_ptr_array_remove_index(change->add, change->add->len - 1);
		acts[n++] = (struct queued){ STORE_ACTION_FLAGS_ADD, add };
	}
	if (rc == 0 && !g->offline)
		rc = store(&m, false, change->remove);
	if (change->remove->len > 0 && (rc != 0 || g->offline)) {
		g_ptr_array_add(change->remove, NULL);
		remove = g_strjoinv(" ", (char **)change->remove->pdata);
		g_ptr_array_remove_index(change->remove, change->remove->len - 1);
		acts[n++] = (struct queued){ STORE_ACTION_FLAGS_REMOVE, remove };
	}
	if (g->offline ? rc == 0 : m.ctx.held_error != NULL)
		rc = queue_or_fail(&m, rc, acts, n);
out:
	g_free(add);
	g_free(remove);
	flags_change_free(&change);
	modify_clear(&m);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}
static int
move_or_copy(const struct tern_globals *g, int argc, char **argv, bool move)
{
	struct cli_args args;
	struct modify m = { .queued = move ? _("move queued, it will be sent on the next "
					       "connection") :
				      _("copy queued, it will be sent on the next connection") };
	struct queued act = { move ? STORE_ACTION_MOVE : STORE_ACTION_COPY, NULL };
	char *err = NULL;
	int rc;

	if (cli_args_parse(argc, argv, NULL, &args, &err) < 0 || args.pos->len != 3) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err : move ?
			      _("usage: tern move FOLDER UIDSET DEST") :
			      _("usage: tern copy FOLDER UIDSET DEST"));
		goto out;
	}
	m.folder = args.pos->pdata[0];
	m.set = args.pos->pdata[1];
	act.arg = args.pos->pdata[2];
	rc = check_set(m.set);
	if (rc != 0)
		goto out;
	rc = g->offline ? open_offline(g, &m) : open_uids(g, &m);
	if (rc == 0 && !g->offline) {
		imap_client_copy(m.ctx.client, m.uids, act.arg, move, copy_cb, &m.ctx);
		if (cli_wait(&m.ctx) != TERN_OK)
			rc = cli_ctx_fail(&m.ctx, m.ctx.st, move ? _("move failed: %s") :
					  _("copy failed: %s"),
					  m.ctx.detail != NULL ? m.ctx.detail : "");
		else if (m.ctx.detail != NULL)
			cli_fail(TERN_OK, "%s", m.ctx.detail);
	}
	if (g->offline ? rc == 0 : m.ctx.held_error != NULL)
		rc = queue_or_fail(&m, rc, &act, 1);
out:
	modify_clear(&m);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

int
cli_cmd_move(const struct tern_globals *g, int argc, char **argv)
{
	return move_or_copy(g, argc, argv, true);
}

int
cli_cmd_copy(const struct tern_globals *g, int argc, char **argv)
{
	return move_or_copy(g, argc, argv, false);
}

static void
folders_cb(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *folders,
	   void *ud)
{
	cli_finish(ud, st, detail);
}

/* STORE \Deleted and UID EXPUNGE: for good, never queued. */
static int
expunge(struct modify *m)
{
	const char *deleted[] = { "\\Deleted", NULL };
	struct cli_ctx *ctx = &m->ctx;

	imap_client_store(ctx->client, m->uids, true, deleted, cli_done, ctx);
	if (cli_wait(ctx) == TERN_OK) {
		imap_client_expunge(ctx->client, m->uids, cli_done, ctx);
		cli_wait(ctx);
	}
	if (ctx->st != TERN_OK)
		return cli_fail(ctx->st, _("delete failed: %s"), ctx->detail != NULL ? ctx->detail : "");
	return 0;
}

/* Online: LIST for the Trash, SELECT, resolve, then move to the Trash or
 * (in the Trash, or with --expunge) delete for good. *trash_r: the Trash
 * (transfer none) when known, even when the connection failed. */
static int
delete_online(const struct tern_globals *g, struct modify *m, bool for_good, const char **trash_r)
{
	struct cli_ctx *ctx = &m->ctx;
	int rc = cli_open_action(g, ctx);

	if (rc != 0) {
		*trash_r = ctx->account != NULL ? ctx->account->trash : NULL;
		return rc;
	}
	*trash_r = ctx->account->trash;
	imap_client_list_folders(ctx->client, false, folders_cb, ctx);
	if (cli_wait(ctx) != TERN_OK)
		return cli_ctx_fail(ctx, ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("LIST failed"));
	*trash_r = imap_client_role_folder(ctx->client, FOLDER_ROLE_TRASH);
	if (!for_good && *trash_r != NULL && strcmp(*trash_r, m->folder) == 0)
		for_good = true;
	if (!for_good && *trash_r == NULL)
		return cli_fail(TERN_ERR_FOLDER, _("the server names no Trash folder (set 'trash = "
						   "NAME' in the account, or use --expunge)"));
	rc = open_uids_selected(m);
	if (rc != 0)
		return rc;
	if (for_good) {
		/* the Trash name must not make a failure below look queueable */
		*trash_r = NULL;
		ctx->hold_unreached = false;
		return expunge(m);
	}
	imap_client_copy(ctx->client, m->uids, *trash_r, true, copy_cb, ctx);
	if (cli_wait(ctx) != TERN_OK)
		return cli_ctx_fail(ctx, ctx->st, _("delete failed: %s"),
				    ctx->detail != NULL ? ctx->detail : "");
	if (ctx->detail != NULL)
		cli_fail(TERN_OK, "%s", ctx->detail);
	return 0;
}

int
cli_cmd_delete(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "expunge", NULL }, { NULL, NULL } };
	struct cli_args args;
	struct modify m = { .queued = _("delete (move to the Trash) queued, it will be sent on "
					"the next connection") };
	struct queued act = { STORE_ACTION_MOVE, NULL };
	const char *trash = NULL;
	char *err = NULL;
	bool for_good;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 2) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern delete FOLDER UIDSET [--expunge]"));
		goto out;
	}
	m.folder = args.pos->pdata[0];
	m.set = args.pos->pdata[1];
	for_good = cli_args_has(&args, "expunge");
	rc = check_set(m.set);
	if (rc != 0)
		goto out;
	if (g->offline) {
		rc = open_offline(g, &m);
		trash = rc == 0 ? m.ctx.account->trash : NULL;
	} else {
		rc = delete_online(g, &m, for_good, &trash);
		if (m.ctx.held_error == NULL)
			goto out;
	}
	if (rc != 0 && g->offline)
		goto out;
	/* Not queued: offline exits 74 (it needs the server); online keeps the
	 * connection error's own code. */
	if (for_good || (trash != NULL && strcmp(trash, m.folder) == 0)) {
		cli_print_held(&m.ctx);
		cli_fail(TERN_ERR_CONN, _("a permanent deletion needs the server: it is never "
					  "queued, so that it cannot happen later by surprise"));
		rc = g->offline ? tern_status_exit_code(TERN_ERR_CONN) : rc;
		goto out;
	}
	if (trash == NULL) {
		cli_print_held(&m.ctx);
		cli_fail(TERN_ERR_CONN, _("nothing queued: without the server the Trash folder is "
					  "not known (set 'trash = NAME' in the account)"));
		rc = g->offline ? tern_status_exit_code(TERN_ERR_CONN) : rc;
		goto out;
	}
	act.arg = trash;
	rc = queue_or_fail(&m, rc, &act, 1);
out:
	modify_clear(&m);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

/* The account's SMTP login, one line; 0 or the exit status. */
static int
check_smtp(const struct account *a)
{
	char *detail = NULL;
	enum smtp_result r;
	int rc = 0;

	if (a->sendmail_command != NULL) {
		printf(_("[%s] sending: sendmail_command (not run by config check)\n"), a->name);
		return 0;
	}
	if (a->smtp_host == NULL)
		return 0;
	printf(_("[%s] smtp "), a->name);
	fflush(stdout);
	r = smtp_check_login(a, &detail);
	if (r == SMTP_SENT) {
		printf(_("ok: %s\n"), detail);
	} else {
		rc = smtp_result_exit_code(r);
		printf(_("failed (exit %d): %s\n"), rc, detail != NULL ? detail : "");
	}
	g_free(detail);
	return rc;
}

int
cli_cmd_config(const struct tern_globals *g, int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	int rc, worst = 0;

	if (argc != 1 || strcmp(argv[0], "check") != 0)
		return cli_fail(TERN_ERR_USAGE, _("usage: tern config check"));
	rc = cli_open_config(g, &ctx);
	if (rc != 0) {
		cli_close(&ctx);
		return rc;
	}
	printf(_("%s: configuration is valid\n"), ctx.cfg->path);
	for (guint i = 0; i < ctx.cfg->accounts->len; i++) {
		const struct account *a = ctx.cfg->accounts->pdata[i];
		struct tern_globals g2 = *g;
		struct cli_ctx one = { 0 };
		char *how;

		g2.account = a->name;
		printf("[%s] ", a->name);
		fflush(stdout);
		rc = cli_open(&g2, &one);
		if (rc == 0) {
			how = imap_client_describe(one.client);
			printf(_("ok: %s; logged in as %s; %s%s%s\n"), how,
			       a->user != NULL ? a->user : _("(preauthenticated)"),
			       imap_client_has_cap(one.client, "IMAP4REV2") ? "IMAP4rev2" : "IMAP4rev1",
			       imap_client_has_cap(one.client, "QRESYNC") ? ", QRESYNC" : "",
			       imap_client_has_cap(one.client, "IDLE") ? ", IDLE" : "");
			g_free(how);
			cli_open_existing_store(&one);
			how = store_summary_form_describe(one.store, one.client);
			printf(_("[%s] summaries: %s\n"), a->name, how);
			g_free(how);
		} else {
			printf(_("failed (exit %d)\n"), rc);
			worst = rc;
		}
		rc = check_smtp(a);
		worst = rc != 0 ? rc : worst;
		cli_close(&one);
	}
	cli_close(&ctx);
	return worst;
}

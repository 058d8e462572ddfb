/* tern — `tern flag`, `move`, `copy`, `delete`. */
#include "config.h"

#include <string.h>

#include "core/model/flags.h"
#include "ui/cli/cli.h"

static void
copy_cb(struct imap_client *c, enum tern_status st, const char *detail,
	const struct imap_copy_result *result, void *ud)
{
	cli_finish(ud, st, detail);
}

/* Connect, SELECT folder, resolve the UID set. */
static int
open_uids(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
	  const char *set, GArray **uids_r)
{
	int rc = cli_open(g, ctx);

	if (rc == 0)
		rc = cli_select(ctx, folder, false, NULL);
	if (rc == 0)
		rc = cli_resolve_uids(ctx, set, uids_r);
	return rc;
}

static int
store(struct cli_ctx *ctx, GArray *uids, bool add, GPtrArray *flags)
{
	if (flags->len == 0)
		return 0;
	g_ptr_array_add(flags, NULL);
	imap_client_store(ctx->client, uids, add, (const char *const *)flags->pdata, cli_done, ctx);
	g_ptr_array_remove_index(flags, flags->len - 1);
	if (cli_wait(ctx) != TERN_OK)
		return cli_fail(ctx->st, _("the server refused to change flags: %s"),
				ctx->detail != NULL ? ctx->detail : "");
	return 0;
}

int
cli_cmd_flag(const struct tern_globals *g, int argc, char **argv)
{
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct flags_change *change = NULL;
	GArray *uids = NULL;
	GError *ferr = NULL;
	char *err = NULL;
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
	rc = open_uids(g, &ctx, args.pos->pdata[0], args.pos->pdata[1], &uids);
	if (rc == 0)
		rc = store(&ctx, uids, true, change->add);
	if (rc == 0)
		rc = store(&ctx, uids, false, change->remove);
out:
	flags_change_free(&change);
	if (uids != NULL)
		g_array_unref(uids);
	cli_close(&ctx);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

static int
move_or_copy(const struct tern_globals *g, int argc, char **argv, bool move)
{
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	GArray *uids = NULL;
	char *err = NULL;
	int rc;

	if (cli_args_parse(argc, argv, NULL, &args, &err) < 0 || args.pos->len != 3) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err : move ?
			      _("usage: tern move FOLDER UIDSET DEST") :
			      _("usage: tern copy FOLDER UIDSET DEST"));
		goto out;
	}
	rc = open_uids(g, &ctx, args.pos->pdata[0], args.pos->pdata[1], &uids);
	if (rc != 0)
		goto out;
	imap_client_copy(ctx.client, uids, args.pos->pdata[2], move, copy_cb, &ctx);
	if (cli_wait(&ctx) != TERN_OK)
		rc = cli_fail(ctx.st, move ? _("move failed: %s") : _("copy failed: %s"),
			      ctx.detail != NULL ? ctx.detail : "");
	else if (ctx.detail != NULL)
		cli_fail(TERN_OK, "%s", ctx.detail);
out:
	if (uids != NULL)
		g_array_unref(uids);
	cli_close(&ctx);
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

int
cli_cmd_delete(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "expunge", NULL }, { NULL, NULL } };
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	GArray *uids = NULL;
	char *err = NULL;
	const char *trash;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 2) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern delete FOLDER UIDSET [--expunge]"));
		goto out;
	}
	rc = cli_open(g, &ctx);
	if (rc != 0)
		goto out;
	imap_client_list_folders(ctx.client, false, folders_cb, &ctx);
	if (cli_wait(&ctx) != TERN_OK) {
		rc = cli_fail(ctx.st, "%s", ctx.detail != NULL ? ctx.detail : _("LIST failed"));
		goto out;
	}
	trash = imap_client_role_folder(ctx.client, FOLDER_ROLE_TRASH);
	rc = cli_select(&ctx, args.pos->pdata[0], false, NULL);
	if (rc == 0)
		rc = cli_resolve_uids(&ctx, args.pos->pdata[1], &uids);
	if (rc != 0)
		goto out;
	if (cli_args_has(&args, "expunge") ||
	    (trash != NULL && strcmp(trash, args.pos->pdata[0]) == 0)) {
		const char *deleted[] = { "\\Deleted", NULL };

		imap_client_store(ctx.client, uids, true, deleted, cli_done, &ctx);
		if (cli_wait(&ctx) == TERN_OK) {
			imap_client_expunge(ctx.client, uids, cli_done, &ctx);
			cli_wait(&ctx);
		}
		if (ctx.st != TERN_OK)
			rc = cli_fail(ctx.st, _("delete failed: %s"),
				      ctx.detail != NULL ? ctx.detail : "");
		goto out;
	}
	if (trash == NULL) {
		rc = cli_fail(TERN_ERR_FOLDER, _("the server names no Trash folder (set 'trash = NAME' "
						 "in the account, or use --expunge)"));
		goto out;
	}
	imap_client_copy(ctx.client, uids, trash, true, copy_cb, &ctx);
	if (cli_wait(&ctx) != TERN_OK)
		rc = cli_fail(ctx.st, _("delete failed: %s"), ctx.detail != NULL ? ctx.detail : "");
	else if (ctx.detail != NULL)
		cli_fail(TERN_OK, "%s", ctx.detail);
out:
	if (uids != NULL)
		g_array_unref(uids);
	cli_close(&ctx);
	g_free(err);
	cli_args_clear(&args);
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
		} else {
			printf(_("failed (exit %d)\n"), rc);
			worst = rc;
		}
		cli_close(&one);
	}
	cli_close(&ctx);
	return worst;
}

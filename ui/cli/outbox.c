/* tern — ui/cli: the outbox. What could not be sent is sent by the next
 * command that logs in (cli_outbox_flush(), after the journal); `tern
 * outbox` lists what waits and lets the user send again or drop. */
#include "config.h"

#include <string.h>

#include "core/log.h"
#include "core/smtp/smtp.h"
#include "core/text/text.h"
#include "ui/cli/cli.h"

struct copy_wait {
	struct cli_ctx *ctx;
};

static void
copy_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_copy_result *result, void *ud)
{
	cli_finish(ud, st, detail);
}

static void
folders_done(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *folders,
	     void *ud)
{
	cli_finish(ud, st, detail);
}

/* The folder configured, else the one with the special-use role. */
static const char *
role_folder(struct cli_ctx *ctx, const char *configured, enum folder_role role)
{
	const char *f = configured;

	if (f == NULL)
		f = imap_client_role_folder(ctx->client, role);
	if (f == NULL) {
		imap_client_list_folders(ctx->client, false, folders_done, ctx);
		if (cli_wait(ctx) == TERN_OK)
			f = imap_client_role_folder(ctx->client, role);
	}
	return f;
}

/* The Sent folder: the account's `sent`, else the \Sent special-use one. */
static const char *
sent_folder(struct cli_ctx *ctx, const struct store_outbox_entry *e)
{
	return role_folder(ctx, e->sent_folder, FOLDER_ROLE_SENT);
}

int
cli_postpone(struct cli_ctx *ctx, GBytes *data)
{
	static const char *const flags[] = { "\\Draft", "\\Seen", NULL };
	const char *folder;
	int rc;

	if (ctx->client == NULL || !ctx->connected || ctx->closed) {
		rc = cli_connect(ctx, false);
		if (rc != 0)
			return rc;
	}
	folder = role_folder(ctx, ctx->account->drafts, FOLDER_ROLE_DRAFTS);
	if (folder == NULL)
		return cli_fail(TERN_ERR_NO, _("no Drafts folder (set 'drafts' for the account)"));
	imap_client_append(ctx->client, folder, flags, data, copy_done, ctx);
	if (cli_wait(ctx) != TERN_OK)
		return cli_ctx_fail(ctx, ctx->st, _("cannot keep the message in '%s': %s"), folder,
				    ctx->detail != NULL ? ctx->detail : "");
	cli_fail(TERN_OK, _("the message is kept in '%s'"), folder);
	return 0;
}

/* APPEND the Sent copy (Bcc kept, \Seen). Returns the status. */
static enum tern_status
copy_to_sent(struct cli_ctx *ctx, const struct store_outbox_entry *e)
{
	static const char *const flags[] = { "\\Seen", NULL };
	const char *folder = sent_folder(ctx, e);
	GByteArray *copy;
	GBytes *bytes;
	gsize len;
	const guint8 *data;

	if (folder == NULL) {
		cli_fail(TERN_OK, _("warning: no Sent folder (set 'sent' for the account): no copy "
				    "of %s kept"), e->message_id);
		return TERN_ERR_NO;
	}
	copy = g_byte_array_new();
	if (e->bcc_field != NULL)
		g_byte_array_append(copy, (const guint8 *)e->bcc_field, (guint)strlen(e->bcc_field));
	data = g_bytes_get_data(e->data, &len);
	g_byte_array_append(copy, data, (guint)len);
	bytes = g_byte_array_free_to_bytes(copy);
	imap_client_append(ctx->client, folder, flags, bytes, copy_done, ctx);
	cli_wait(ctx);
	g_bytes_unref(bytes);
	if (ctx->st != TERN_OK && tern_status_answered(ctx->st))
		cli_fail(TERN_OK, _("warning: the copy of %s to '%s' was refused: %s"),
			 e->message_id, folder, ctx->detail != NULL ? ctx->detail : "");
	return ctx->st;
}

static void
warn_store(GError *err)
{
	cli_fail(TERN_OK, _("warning: the outbox: %s"), err->message);
	g_error_free(err);
}

/* One claimed row: send it (QUEUED), then its copy (SENT). */
static void
flush_one(struct cli_ctx *ctx, struct store_outbox_entry *e, bool *smtp_down, bool *imap_down,
	  int *sent)
{
	GError *err = NULL;

	if (e->state == STORE_OUTBOX_QUEUED) {
		char *detail = NULL;
		enum smtp_result r;

		if (*smtp_down) {
			if (store_outbox_release(ctx->store, e->id, &err) < 0)
				warn_store(err);
			return;
		}
		r = smtp_send_entry(ctx->store, ctx->account, e, &detail);
		if (r != SMTP_SENT) {
			cli_fail(TERN_OK, _("warning: queued message %s not sent: %s"), e->message_id,
				 detail != NULL ? detail : "");
			*smtp_down = r == SMTP_RETRY || r == SMTP_AUTH || r == SMTP_CONFIG;
			g_free(detail);
			return;
		}
		g_free(detail);
		cli_fail(TERN_OK, _("queued message %s sent"), e->message_id);
		(*sent)++;
		if (!e->copy_to_sent)
			return;
	}
	if (*imap_down) {
		if (store_outbox_release(ctx->store, e->id, &err) < 0)
			warn_store(err);
		return;
	}
	if (!tern_status_answered(copy_to_sent(ctx, e))) {
		*imap_down = true;
		if (store_outbox_release(ctx->store, e->id, &err) < 0)
			warn_store(err);
		return;
	}
	if (store_outbox_remove(ctx->store, e->message_id, &err) < 0)
		warn_store(err);
}

int
cli_outbox_flush(struct cli_ctx *ctx)
{
	bool smtp_down = false, imap_down = false;
	gint64 after = 0;
	int sent = 0;

	if (ctx->store == NULL || ctx->client == NULL || ctx->offline)
		return 0;
	for (;;) {
		struct store_outbox_entry *e = NULL;
		GError *err = NULL;
		int rc = store_outbox_claim(ctx->store, after, &e, &err);

		if (rc < 0)
			warn_store(err);
		if (rc <= 0)
			break;
		after = e->id;
		flush_one(ctx, e, &smtp_down, &imap_down, &sent);
		store_outbox_entry_free(&e);
	}
	return sent;
}

/* ---- tern outbox ---- */

/* A JSON string, quoted (transfer full). */
static char *
json_string(const char *s)
{
	GString *out = g_string_new(NULL);

	text_json_escape(out, s, strlen(s));
	return g_string_free(out, FALSE);
}

static void
print_json(GPtrArray *entries)
{
	static const char *const states[] = { "queued", "sending", "maybe_sent", "failed",
					      "sent" };

	fputs("[", stdout);
	for (guint i = 0; i < entries->len; i++) {
		const struct store_outbox_entry *e = entries->pdata[i];
		char *id = json_string(e->message_id);
		char *subj = json_string(e->subject != NULL ? e->subject : "");
		char *detail = json_string(e->detail != NULL ? e->detail : "");
		GString *rcpts = g_string_new(NULL);

		for (char **r = e->rcpts; *r != NULL; r++) {
			char *q = json_string(*r);

			g_string_append_printf(rcpts, "%s%s", rcpts->len > 0 ? ", " : "", q);
			g_free(q);
		}
		printf("%s{\"message_id\": %s, \"status\": \"%s\", \"subject\": %s, "
		       "\"recipients\": [%s], \"created\": %" G_GINT64_FORMAT ", \"attempts\": %u, "
		       "\"detail\": %s}",
		       i > 0 ? ", " : "", id, states[MIN((guint)e->state, 4u)], subj, rcpts->str,
		       e->created, e->attempts, e->detail != NULL ? detail : "null");
		g_string_free(rcpts, TRUE);
		g_free(id);
		g_free(subj);
		g_free(detail);
	}
	fputs("]\n", stdout);
}

static void
print_plain(GPtrArray *entries)
{
	for (guint i = 0; i < entries->len; i++) {
		const struct store_outbox_entry *e = entries->pdata[i];
		char *rcpts = g_strjoinv(", ", e->rcpts);

		cli_puts_safe(stdout, e->message_id);
		printf("  %s  ", store_outbox_state_name(e->state));
		cli_puts_safe(stdout, rcpts);
		fputs("  ", stdout);
		cli_puts_safe(stdout, e->subject != NULL ? e->subject : "");
		if (e->detail != NULL) {
			fputs("\n    ", stdout);
			cli_puts_safe(stdout, e->detail);
		}
		fputc('\n', stdout);
		g_free(rcpts);
	}
}

/* After "send": what came of it (0 sent, else the row's state's status). */
static int
outbox_sent_status(struct cli_ctx *ctx, const char *id, int connect_rc)
{
	GPtrArray *left = NULL;
	GError *err = NULL;
	int rc = 0;

	if (store_outbox_list(ctx->store, &left, &err) < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		return rc;
	}
	for (guint i = 0; i < left->len; i++) {
		const struct store_outbox_entry *e = left->pdata[i];

		if (strcmp(e->message_id, id) != 0)
			continue;
		if (e->state == STORE_OUTBOX_FAILED) {
			rc = cli_fail(TERN_ERR_NO, _("message %s refused; kept in the outbox as "
						     "failed: %s"), id, e->detail != NULL ? e->detail : "");
		} else {
			cli_fail(TERN_OK, _("message %s is still in the outbox%s%s"), id,
				 e->detail != NULL && connect_rc == 0 ? ": " : "",
				 e->detail != NULL && connect_rc == 0 ? e->detail : "");
			rc = connect_rc != 0 ? connect_rc : TERN_EXIT_IOERR;
		}
	}
	g_ptr_array_unref(left);
	return rc;
}

/* "retry", "send" (retry, then log in: the outbox is sent) or "drop" one
 * message, by Message-ID (with or without <>). */
static int
outbox_action(struct cli_ctx *ctx, const char *verb, const char *arg)
{
	char *id = arg[0] == '<' ? g_strdup(arg) : g_strdup_printf("<%s>", arg);
	GError *err = NULL;
	int found, rc = 0;

	if (strcmp(verb, "retry") == 0 || strcmp(verb, "send") == 0)
		found = store_outbox_retry(ctx->store, id, &err);
	else
		found = store_outbox_remove(ctx->store, id, &err);
	if (found < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
	} else if (found == 0) {
		rc = cli_fail(TERN_ERR_USAGE, _("no message %s in the outbox (or it is being sent)"),
			      id);
	} else if (strcmp(verb, "send") == 0) {
		rc = outbox_sent_status(ctx, id, cli_connect(ctx, true));
	}
	g_free(id);
	return rc;
}

int
cli_cmd_outbox(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "json", NULL }, { NULL, NULL } };
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	GPtrArray *entries = NULL;
	GError *err = NULL;
	char *msg = NULL;
	const char *verb;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &msg) < 0 || args.pos->len == 1 ||
	    args.pos->len > 2 ||
	    (args.pos->len == 2 && strcmp(args.pos->pdata[0], "retry") != 0 &&
	     strcmp(args.pos->pdata[0], "send") != 0 && strcmp(args.pos->pdata[0], "drop") != 0)) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", msg != NULL ? msg :
			      _("usage: tern outbox [--json] | tern outbox retry|send|drop "
				"MESSAGE-ID"));
		goto out;
	}
	verb = args.pos->len == 2 ? args.pos->pdata[0] : NULL;
	rc = cli_open_config(g, &ctx);
	if (rc != 0)
		goto out;
	if (cli_open_existing_store(&ctx) != 0) {
		if (verb != NULL)
			rc = cli_fail(TERN_ERR_USAGE, _("the outbox is empty"));
		else if (cli_args_has(&args, "json"))
			fputs("[]\n", stdout);
		goto out;
	}
	if (verb != NULL) {
		rc = outbox_action(&ctx, verb, args.pos->pdata[1]);
		goto out;
	}
	if (store_outbox_list(ctx.store, &entries, &err) < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		goto out;
	}
	if (cli_args_has(&args, "json"))
		print_json(entries);
	else
		print_plain(entries);
	g_ptr_array_unref(entries);
out:
	g_free(msg);
	cli_args_clear(&args);
	cli_close(&ctx);
	return rc;
}

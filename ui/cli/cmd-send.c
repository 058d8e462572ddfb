/* tern — ui/cli: send, reply, forward, compose (DESIGN.md "Sending").
 *
 * reply/forward/compose write a headers-on-top draft (to a file with -o,
 * else stdout) for the user to edit and give to `tern send`; with
 * --body-file they send at once, with --print they print the message as it
 * would go out. A draft of a reply or forward carries X-Tern-Original
 * ("answered UIDVALIDITY UID FOLDER"), so that sending it flags the
 * original; that header is never sent. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/smtp/smtp.h"
#include "core/text/text.h"
#include "mime/mime.h"
#include "ui/cli/cli.h"
#include "ui/send.h"

/* The signing and encryption options every sending command takes. */
#define CLI_PROTECT_OPTS                                                                  \
	{ "sign", NULL }, { "no-sign", NULL }, { "encrypt", NULL }, { "no-encrypt", NULL }

/* Most bytes read from --body-file or stdin. */
#define SEND_MAX_INPUT (16 * 1024 * 1024)

/* A file ("-": stdin), bounded. Prints and returns an exit code on failure. */
static int
read_input(const char *path, GString **out_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	GString *s;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return cli_fail(TERN_ERR_USAGE, _("cannot read %s: %s"), path, g_strerror(errno));
	s = g_string_new(NULL);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (s->len + n > SEND_MAX_INPUT) {
			if (f != stdin)
				fclose(f);
			g_string_free(s, TRUE);
			return cli_fail(TERN_ERR_USAGE, _("%s is too large"), path);
		}
		g_string_append_len(s, buf, (gssize)n);
	}
	if (f != stdin)
		fclose(f);
	*out_r = s;
	return 0;
}

/* ---- Sending ---- */

struct send_outcome {
	const char *status;    /* "sent" | "queued" | "failed" */
	const char *sent_copy; /* "appended" | "queued" | "none" */
};

static void
print_outcome(const struct mime_outgoing *o, const struct send_outcome *out)
{
	GString *s = g_string_new("{\"message_id\": ");

	text_json_escape(s, o->message_id, (size_t)-1);
	g_string_append_printf(s, ", \"status\": \"%s\", \"sent_copy\": \"%s\"}\n", out->status,
			       out->sent_copy);
	fputs(s->str, stdout);
	g_string_free(s, TRUE);
}

static int
open_outbox(struct cli_ctx *ctx)
{
	char *path, *warning = NULL;
	GError *err = NULL;

	if (ctx->store != NULL)
		return 0;
	if (ctx->g->no_cache)
		return -1;
	path = store_account_path(ctx->account->name);
	if (store_open(path, 0, &ctx->store, &warning, &err) < 0) {
		cli_fail(TERN_OK, _("warning: the cache is not used: %s"), err->message);
		g_error_free(err);
	}
	if (warning != NULL)
		cli_fail(TERN_OK, _("warning: %s"), warning);
	g_free(warning);
	g_free(path);
	return ctx->store != NULL ? 0 : -1;
}

/* Without a cache: send once, nothing is queued. */
static int
send_uncached(struct cli_ctx *ctx, const struct mime_outgoing *o, struct send_outcome *out)
{
	struct smtp_envelope env = { o->sender, (const char *const *)o->rcpts->pdata,
				     o->rcpts->len, o->data };
	char *detail = NULL;
	enum smtp_result r = smtp_submit(ctx->account, &env, NULL, NULL, &detail);
	int rc = smtp_result_exit_code(r);

	out->status = r == SMTP_SENT ? "sent" : "failed";
	out->sent_copy = "none";
	if (r != SMTP_SENT)
		cli_fail(TERN_OK, _("message %s not sent (nothing is queued without the cache): "
				    "%s"), o->message_id, detail != NULL ? detail : "");
	g_free(detail);
	return rc;
}

/* After SMTP accepted it: log in for the copy to Sent and the flag. */
static void
after_sent(struct cli_ctx *ctx, const struct store_outbox_entry *e, struct send_outcome *out)
{
	GPtrArray *left = NULL;
	bool waiting = false;

	out->sent_copy = e->copy_to_sent ? "queued" : "none";
	if (!e->copy_to_sent && e->orig_folder == NULL)
		return;
	if (ctx->client != NULL && ctx->connected && !ctx->closed) {
		/* already logged in (reply, forward): the copy, then the flag */
		cli_outbox_flush(ctx);
		cli_journal_replay(ctx);
	} else if (ctx->g->offline || cli_connect(ctx, true) != 0) {
		cli_print_held(ctx);
		cli_fail(TERN_OK, _("the copy to Sent and the original's flag wait for the next "
				    "connection"));
		return;
	}
	if (e->copy_to_sent && store_outbox_list(ctx->store, &left, NULL) == 0) {
		for (guint i = 0; i < left->len; i++)
			waiting |= strcmp(((struct store_outbox_entry *)left->pdata[i])->message_id,
					  e->message_id) == 0;
		g_ptr_array_unref(left);
		out->sent_copy = waiting ? "queued" : "appended";
	}
}

static int
send_queued(struct cli_ctx *ctx, const struct mime_outgoing *o, struct send_outcome *out)
{
	struct store_outbox_entry e;
	GError *err = NULL;
	char *detail = NULL;
	enum smtp_result r;
	int rc;

	send_entry_init(&e, ctx->account, o);
	if (store_outbox_add(ctx->store, &e, true, &e.id, &err) < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		goto out;
	}
	r = smtp_send_entry(ctx->store, ctx->account, &e, &detail);
	rc = smtp_result_exit_code(r);
	out->status = r == SMTP_SENT ? "sent" : r == SMTP_REFUSED ? "failed" : "queued";
	out->sent_copy = "none";
	switch (r) {
	case SMTP_SENT:
		after_sent(ctx, &e, out);
		break;
	case SMTP_REFUSED:
		cli_fail(TERN_OK, _("message %s refused; kept in the outbox as failed: %s"),
			 o->message_id, detail);
		break;
	case SMTP_MAYBE_SENT:
		cli_fail(TERN_OK, _("message %s may have been sent; held in the outbox, not sent "
				    "again unless you say so (tern outbox): %s"),
			 o->message_id, detail);
		break;
	default:
		cli_fail(TERN_OK, _("message %s queued in the outbox: %s"), o->message_id, detail);
		break;
	}
	g_free(detail);
out:
	send_entry_clear(&e);
	return rc;
}

/* Queue and send a built message; prints the outcome (--json). */
static int
send_outgoing(struct cli_ctx *ctx, const struct mime_outgoing *o, bool json)
{
	struct send_outcome out = { "failed", "none" };
	int rc;

	if (!smtp_configured(ctx->account))
		return cli_fail(TERN_ERR_CONFIG, _("account '%s' has neither 'smtp_host' nor "
						   "'sendmail_command': tern cannot send"),
				ctx->account->name);
	if (open_outbox(ctx) < 0)
		rc = send_uncached(ctx, o, &out);
	else
		rc = send_queued(ctx, o, &out);
	if (json)
		print_outcome(o, &out);
	return rc;
}

static int
compose_error(GError *err)
{
	enum tern_status st = TERN_ERR_USAGE;
	int rc;

	if (g_error_matches(err, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_ATTACHMENT))
		st = TERN_ERR_NO;
	rc = cli_fail(st, "%s", err->message);
	g_error_free(err);
	return rc;
}

/* --sign / --no-sign / --encrypt / --no-encrypt over the draft's
 * X-Tern-Crypt (crypt, may be NULL), else the account's defaults
 * (send_protect_defaults()). */
static void
protect_choose(const struct cli_args *args, const struct account *a, bool orig_encrypted,
	       const char *crypt, struct mime_protect *p_r)
{
	send_protect_choice(a, crypt, orig_encrypted, p_r);
	p_r->sign = (p_r->sign || cli_args_has(args, "sign")) && !cli_args_has(args, "no-sign");
	p_r->encrypt = (p_r->encrypt || cli_args_has(args, "encrypt")) &&
		       !cli_args_has(args, "no-encrypt");
	p_r->opportunistic = p_r->opportunistic && !p_r->encrypt &&
			     !cli_args_has(args, "no-encrypt");
}

static bool
protect_any(const struct mime_protect *p)
{
	return p->sign || p->encrypt || p->opportunistic;
}

/* Sign and/or encrypt o as chosen; prints and returns an exit code on
 * failure (then nothing may be sent or queued). */
static int
protect_outgoing(struct mime_outgoing *o, const struct mime_protect *p)
{
	GError *err = NULL;

	if (mime_outgoing_protect(o, p, &err) == 0)
		return 0;
	return compose_error(err);
}

int
cli_cmd_send(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "json", NULL }, { "sign", NULL },
					       { "no-sign", NULL }, { "encrypt", NULL },
					       { "no-encrypt", NULL }, { NULL, NULL } };
	struct mime_protect prot;
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct mime_identities *ids = NULL;
	struct mime_outgoing *o = NULL;
	GString *text = NULL;
	GError *err = NULL;
	char *msg = NULL;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &msg) < 0 || args.pos->len > 1) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", msg != NULL ? msg :
			      _("usage: tern send [FILE | -] [--sign | --no-sign] "
				"[--encrypt] [--json]"));
		goto out;
	}
	rc = cli_open_config(g, &ctx);
	if (rc != 0)
		goto out;
	rc = read_input(args.pos->len == 1 ? args.pos->pdata[0] : "-", &text);
	if (rc != 0)
		goto out;
	ids = send_identities(ctx.account);
	if (mime_outgoing_from_text(text->str, text->len, ids, &o, &err) < 0) {
		rc = compose_error(err);
		goto out;
	}
	protect_choose(&args, ctx.account, false, o->crypt, &prot);
	if ((rc = protect_outgoing(o, &prot)) != 0)
		goto out;
	rc = send_outgoing(&ctx, o, cli_args_has(&args, "json"));
out:
	mime_outgoing_free(&o);
	mime_identities_free(&ids);
	if (text != NULL)
		g_string_free(text, TRUE);
	g_free(msg);
	cli_args_clear(&args);
	cli_close(&ctx);
	return rc;
}

/* ---- reply, forward, compose ---- */

static int
parse_uid(const char *s, guint32 *uid_r)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXUINT32, &v, NULL))
		return cli_fail(TERN_ERR_USAGE, _("bad UID '%s': a number from 1 to 4294967295"), s);
	*uid_r = (guint32)v;
	return 0;
}

/* -o FILE is the short form of --output FILE: take it out first. */
static void
take_short_output(int *argc, char **argv, const char **out_r)
{
	for (int i = 0; i + 1 < *argc; i++)
		if (strcmp(argv[i], "-o") == 0) {
			*out_r = argv[i + 1];
			memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof(char *));
			*argc -= 2;
			return;
		}
}

static int
write_text(const char *path, const char *text)
{
	GError *err = NULL;
	int rc;

	if (path == NULL || strcmp(path, "-") == 0) {
		fputs(text, stdout);
		return 0;
	}
	if (g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
		return 0;
	rc = cli_fail(TERN_ERR_NO, "%s", err->message);
	g_error_free(err);
	return rc;
}

/* What to do with a finished draft: write it (the default), print the
 * message as built (--print), keep it in Drafts (--postpone, with
 * --body-file), or send it (--body-file). */
static int
finish_draft(struct cli_ctx *ctx, struct mime_draft *d, const struct cli_args *args,
	     const char *output, const struct mime_identities *ids, bool orig_encrypted)
{
	struct mime_protect prot;
	const char *body_file = cli_args_get(args, "body-file");
	struct mime_outgoing *o = NULL;
	GError *err = NULL;
	char *text;
	int rc;

	if (cli_args_has(args, "postpone") && (body_file == NULL || cli_args_has(args, "print")))
		return cli_fail(TERN_ERR_USAGE, _("--postpone goes with --body-file (and not "
						  "--print)"));

	if (body_file != NULL) {
		GString *body = NULL;

		rc = read_input(body_file, &body);
		if (rc != 0)
			return rc;
		text = g_strconcat(d->body, body->str, NULL);
		g_free(d->body);
		d->body = text;
		g_string_free(body, TRUE);
	}
	{
		char *warning = NULL, *sig = send_signature(ctx->account, &warning);

		if (warning != NULL)
			cli_fail(TERN_OK, _("warning: %s"), warning);
		mime_draft_add_signature(d, sig);
		g_free(warning);
		g_free(sig);
	}
	protect_choose(args, ctx->account, orig_encrypted, d->crypt, &prot);
	if (body_file == NULL && !cli_args_has(args, "print")) {
		/* the draft file says what `tern send` will do with it (no line
		 * when that is nothing, as the account says) */
		struct mime_protect def;

		send_protect_defaults(ctx->account, false, &def);
		g_free(d->crypt);
		d->crypt = protect_any(&prot) || protect_any(&def) ?
				   g_strdup(mime_crypt_name(&prot)) : NULL;
		text = mime_draft_format(d);
		rc = write_text(output, text);
		g_free(text);
		return rc;
	}
	if (mime_draft_build(d, ids, &o, &err) < 0)
		return compose_error(err);
	if (cli_args_has(args, "postpone")) {
		GByteArray *copy = g_byte_array_new();
		gsize len;
		const guint8 *data = g_bytes_get_data(o->data, &len);
		GBytes *bytes;

		if (o->bcc_field != NULL)
			g_byte_array_append(copy, (const guint8 *)o->bcc_field,
					    (guint)strlen(o->bcc_field));
		g_byte_array_append(copy, data, (guint)len);
		bytes = g_byte_array_free_to_bytes(copy);
		rc = cli_postpone(ctx, bytes);
		g_bytes_unref(bytes);
	} else if ((rc = protect_outgoing(o, &prot)) != 0) {
		/* refused: nothing printed, sent or queued */
	} else if (cli_args_has(args, "print")) {
		gsize len;
		const char *data = g_bytes_get_data(o->data, &len);

		fwrite(data, 1, len, stdout);
		rc = 0;
	} else {
		/* the connection to the folder is not needed to send */
		rc = send_outgoing(ctx, o, cli_args_has(args, "json"));
	}
	mime_outgoing_free(&o);
	return rc;
}

static int
answer(const struct tern_globals *g, int argc, char **argv, bool forward)
{
	static const struct cli_opt reply_opts[] = {
		{ "all", NULL }, { "list", NULL }, { "output", "FILE" }, { "body-file", "FILE" },
		{ "print", NULL }, { "postpone", NULL },
		{ "json", NULL }, CLI_PROTECT_OPTS, { NULL, NULL },
	};
	static const struct cli_opt forward_opts[] = {
		{ "attach", NULL }, { "to", "ADDRESSES" }, { "output", "FILE" },
		{ "body-file", "FILE" }, { "print", NULL }, { "postpone", NULL }, { "json", NULL },
		CLI_PROTECT_OPTS, { NULL, NULL },
	};
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct mime_identities *ids = NULL;
	struct mime_message *msg = NULL;
	bool orig_encrypted = false;
	struct mime_draft *d = NULL;
	const char *output = NULL, *folder;
	GBytes *data = NULL;
	char *err = NULL;
	guint32 uid;
	int rc;

	take_short_output(&argc, argv, &output);
	if (cli_args_parse(argc, argv, forward ? forward_opts : reply_opts, &args, &err) < 0 ||
	    args.pos->len != 2 || (cli_args_has(&args, "all") && cli_args_has(&args, "list"))) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err : forward ?
			      _("usage: tern forward FOLDER UID [--attach] [--to ADDRESSES] "
				"[-o FILE] [--body-file FILE [--postpone] | --print] [--sign] "
				"[--encrypt]") :
			      _("usage: tern reply FOLDER UID [--all | --list] [-o FILE] "
				"[--body-file FILE [--postpone] | --print] [--sign] "
				"[--encrypt]"));
		goto out;
	}
	if (cli_args_has(&args, "output"))
		output = cli_args_get(&args, "output");
	folder = args.pos->pdata[0];
	if ((rc = parse_uid(args.pos->pdata[1], &uid)) != 0)
		goto out;
	/* A forward --attach carries the message whole; a reply or an inline
	 * forward only its text, so a big one's attachments stay on the server. */
	if (forward && cli_args_has(&args, "attach"))
		rc = cli_fetch_message(g, &ctx, folder, uid, false, &data);
	else
		rc = cli_fetch_shown(g, &ctx, folder, uid, &data);
	if (rc != 0)
		goto out;
	ids = send_identities(ctx.account);
	msg = mime_message_parse_bytes(data);
	/* a reply: decrypted first, so that it quotes the text (and is encrypted
	 * again by default); a forward is left as it was, never decrypted into
	 * a message that may go out in clear */
	if (!forward)
		orig_encrypted = mime_message_process_crypto(msg)->encrypted;
	if (forward) {
		d = mime_draft_forward(msg, data, cli_args_has(&args, "attach"), ids);
		d->to = g_strdup(cli_args_get(&args, "to"));
	} else if (cli_args_has(&args, "list") && !mime_message_has_list(msg)) {
		rc = cli_fail(TERN_ERR_NO, _("message %u has neither List-Post nor "
					     "Mail-Followup-To: not a list message"), uid);
		goto out;
	} else {
		d = mime_draft_reply(msg, cli_args_has(&args, "list") ? MIME_REPLY_LIST :
					  cli_args_has(&args, "all")  ? MIME_REPLY_ALL :
									MIME_REPLY_SENDER, ids);
	}
	if (ctx.uidvalidity != 0)
		d->original = send_original_format(forward, ctx.uidvalidity, uid, folder);
	if (d->attach_message != NULL && !cli_args_has(&args, "print") &&
	    !cli_args_has(&args, "body-file")) {
		/* a draft file carries the attached message as a file beside it */
		char *path = g_strdup_printf("%s.eml", output != NULL && strcmp(output, "-") != 0 ?
							       output :
							       "tern-forward");

		rc = write_text(path, g_bytes_get_data(data, NULL));
		g_ptr_array_add(d->attach, path);
		g_clear_pointer(&d->attach_message, g_bytes_unref);
		if (rc != 0)
			goto out;
	}
	rc = finish_draft(&ctx, d, &args, output, ids, orig_encrypted);
out:
	mime_draft_free(&d);
	mime_message_free(&msg);
	if (data != NULL)
		g_bytes_unref(data);
	mime_identities_free(&ids);
	g_free(err);
	cli_args_clear(&args);
	cli_close(&ctx);
	return rc;
}

int
cli_cmd_reply(const struct tern_globals *g, int argc, char **argv)
{
	return answer(g, argc, argv, false);
}

int
cli_cmd_forward(const struct tern_globals *g, int argc, char **argv)
{
	return answer(g, argc, argv, true);
}

int
cli_cmd_compose(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "to", "ADDRESSES" }, { "subject", "TEXT" }, { "output", "FILE" },
		{ "body-file", "FILE" }, { "print", NULL }, { "postpone", NULL }, { "json", NULL },
		CLI_PROTECT_OPTS, { NULL, NULL },
	};
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct mime_identities *ids = NULL;
	struct mime_draft *d = NULL;
	const char *output = NULL;
	char *err = NULL;
	int rc;

	take_short_output(&argc, argv, &output);
	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 0) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern compose [--to ADDRESSES] [--subject TEXT] [-o FILE] "
				"[--body-file FILE [--postpone] | --print] [--sign] "
				"[--encrypt]"));
		goto out;
	}
	if (cli_args_has(&args, "output"))
		output = cli_args_get(&args, "output");
	rc = cli_open_config(g, &ctx);
	if (rc != 0)
		goto out;
	ids = send_identities(ctx.account);
	d = mime_draft_new(ids);
	d->to = g_strdup(cli_args_get(&args, "to"));
	d->subject = g_strdup(cli_args_get(&args, "subject"));
	rc = finish_draft(&ctx, d, &args, output, ids, false);
out:
	mime_draft_free(&d);
	mime_identities_free(&ids);
	g_free(err);
	cli_args_clear(&args);
	cli_close(&ctx);
	return rc;
}

/* ---- bounce ---- */

/* Every --to value (the option may repeat), joined as one address list.
 * Transfer full; NULL when there is none. */
static char *
all_to(int argc, char **argv)
{
	GString *out = g_string_new(NULL);

	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = NULL;

		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (g_str_has_prefix(argv[i], "--to="))
			v = argv[i] + 5;
		if (v != NULL)
			g_string_append_printf(out, "%s%s", out->len > 0 ? ", " : "", v);
	}
	return out->len > 0 ? g_string_free(out, FALSE) : (g_string_free(out, TRUE), NULL);
}

int
cli_cmd_bounce(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "to", "ADDRESS" }, { "json", NULL },
					       { NULL, NULL } };
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct mime_identities *ids = NULL;
	struct mime_outgoing *o = NULL;
	GBytes *data = NULL;
	GError *gerr = NULL;
	char *err = NULL, *to = all_to(argc, argv);
	guint32 uid;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 2 ||
	    to == NULL) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern bounce FOLDER UID --to ADDRESS [--to ADDRESS...] "
				"[--json]"));
		goto out;
	}
	if ((rc = parse_uid(args.pos->pdata[1], &uid)) != 0)
		goto out;
	rc = cli_fetch_message(g, &ctx, args.pos->pdata[0], uid, false, &data);
	if (rc != 0)
		goto out;
	ids = send_identities(ctx.account);
	if (mime_bounce_build(data, to, ids, &o, &gerr) < 0) {
		rc = compose_error(gerr);
		goto out;
	}
	rc = send_outgoing(&ctx, o, cli_args_has(&args, "json"));
out:
	mime_outgoing_free(&o);
	mime_identities_free(&ids);
	if (data != NULL)
		g_bytes_unref(data);
	g_free(to);
	g_free(err);
	cli_args_clear(&args);
	cli_close(&ctx);
	return rc;
}

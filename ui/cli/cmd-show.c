/* tern — `tern show` and `tern save`. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "core/text/text.h"
#include "mime/mime.h"
#include "ui/cli/cli.h"

static int
parse_uid(const char *s, guint32 *uid_r)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXUINT32, &v, NULL))
		return cli_fail(TERN_ERR_USAGE, _("bad UID '%s': a number from 1 to 4294967295"), s);
	*uid_r = (guint32)v;
	return 0;
}

/* Connect (or, offline, the cache), open FOLDER and get message UID whole. */
static int
fetch_message(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
	      guint32 uid, bool mark_read, GBytes **data_r)
{
	return cli_fetch_message(g, ctx, folder, uid, mark_read, data_r);
}

static void
json_str(GString *j, const char *s)
{
	if (s == NULL)
		g_string_append(j, "null");
	else
		text_json_escape(j, s, (size_t)-1);
}

/* The text lines of the message as shown (tern's own notices and the
 * headers of attached messages left out), one string. */
static void
json_text(GString *j, const struct mime_rendered *r)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		if (l->kind == MIME_LINE_TEXT || l->kind == MIME_LINE_LINK)
			g_string_append_printf(text, "%s\n", l->text);
	}
	json_str(j, text->str);
	g_string_free(text, TRUE);
}

/* "crypto": what verification and decryption found (tern(1) documents it). */
static void
json_crypto(GString *j, const struct mime_crypto *c)
{
	g_string_append(j, "{\"protocol\": ");
	json_str(j, mime_crypto_protocol_name(c->protocol));
	g_string_append(j, ", \"signature\": ");
	json_str(j, mime_sig_name(c->signature));
	g_string_append(j, ", \"signed_part\": ");
	json_str(j, mime_signed_part_name(c->signed_part));
	g_string_append(j, ", \"signer\": ");
	json_str(j, c->signer);
	g_string_append(j, ", \"key\": ");
	json_str(j, c->key);
	g_string_append(j, ", \"trust\": ");
	json_str(j, mime_trust_name(c->trust));
	g_string_append_printf(j, ", \"signer_matches_from\": %s, \"several_signers\": %s, "
			       "\"encrypted\": %s, "
			       "\"decrypted\": %s, \"partly_encrypted\": %s, \"inline\": %s, "
			       "\"recipients\": [",
			       c->signer_matches_from ? "true" : "false",
			       c->several_signers ? "true" : "false", c->encrypted ? "true" : "false", c->decrypted ? "true" : "false",
			       c->partly_encrypted ? "true" : "false", c->inline_pgp ? "true" : "false");
	for (guint i = 0; i < c->recipients->len; i++) {
		if (i > 0)
			g_string_append(j, ", ");
		json_str(j, c->recipients->pdata[i]);
	}
	g_string_append(j, "], \"error\": ");
	json_str(j, c->error);
	g_string_append_c(j, '}');
}

/* tern show --json: {"uid", "folder", "headers": [{"name", "value"}],
 * "text", "parts": [{"index", "type", "size", "filename", "disposition"}],
 * "crypto": {...}}. Strings as DESIGN.md's JSON rules say: decoded, every
 * control escaped. */
static void
show_json(struct mime_message *msg, const struct mime_rendered *r, const char *folder,
	  guint32 uid)
{
	GString *j = g_string_new(NULL);
	GPtrArray *headers = mime_message_headers(msg);

	g_string_append_printf(j, "{\"uid\": %u, \"folder\": ", uid);
	json_str(j, folder);
	g_string_append(j, ", \"headers\": [");
	for (guint i = 0; i < headers->len; i++) {
		const struct mime_header *h = headers->pdata[i];

		g_string_append(j, i ? ", {\"name\": " : "{\"name\": ");
		json_str(j, h->name);
		g_string_append(j, ", \"value\": ");
		json_str(j, h->value);
		g_string_append_c(j, '}');
	}
	g_string_append(j, "], \"text\": ");
	json_text(j, r);
	g_string_append(j, ", \"parts\": [");
	for (guint i = 0; i < r->attachments->len; i++) {
		const struct mime_attachment *a = r->attachments->pdata[i];

		g_string_append_printf(j, "%s{\"index\": %u, \"type\": ", i ? ", " : "",
				       a->index);
		json_str(j, a->content_type);
		g_string_append_printf(j, ", \"size\": %" G_GUINT64_FORMAT ", \"filename\": ",
				       a->size);
		json_str(j, a->filename);
		g_string_append(j, ", \"disposition\": ");
		json_str(j, a->disposition);
		g_string_append_c(j, '}');
	}
	g_string_append(j, "], \"crypto\": ");
	json_crypto(j, r->crypto);
	g_string_append(j, "}\n");
	fputs(j->str, stdout);
	g_string_free(j, TRUE);
	g_ptr_array_unref(headers);
}

int
cli_cmd_show(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "raw", NULL }, { "headers", NULL }, { "mark-read", NULL }, { "json", NULL },
		{ "part", "SECTION" }, { NULL, NULL },
	};
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	GBytes *data = NULL;
	char *err = NULL;
	guint32 uid;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 2 ||
	    cli_args_has(&args, "raw") + cli_args_has(&args, "headers") +
			    cli_args_has(&args, "json") + cli_args_has(&args, "part") > 1 ||
	    (cli_args_has(&args, "part") && cli_args_has(&args, "mark-read"))) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern show FOLDER UID [--raw | --headers | --json | "
				"--part SECTION] [--mark-read]"));
		goto out;
	}
	if ((rc = parse_uid(args.pos->pdata[1], &uid)) != 0)
		goto out;
	if (cli_args_has(&args, "part")) {
		rc = cli_show_part(g, &ctx, args.pos->pdata[0], uid, cli_args_get(&args, "part"));
		goto out;
	}
	rc = fetch_message(g, &ctx, args.pos->pdata[0], uid, cli_args_has(&args, "mark-read"),
			   &data);
	if (rc != 0)
		goto out;
	if (cli_args_has(&args, "raw")) {
		gsize len;
		const char *bytes = g_bytes_get_data(data, &len);

		/* The bytes as fetched for a pipe; a terminal still gets them
		 * through the sanitiser (nothing raw reaches a terminal). */
		if (isatty(STDOUT_FILENO)) {
			char *safe = text_sanitize(bytes, len, TEXT_SANITIZE_MULTILINE);

			cli_puts_text(stdout, safe);
			g_free(safe);
		} else {
			fwrite(bytes, 1, len, stdout);
		}
	} else {
		struct mime_message *msg = mime_message_parse_bytes(data);
		struct mime_render_opts o;
		struct mime_rendered *r;
		char *text;

		/* May wait for gpg-agent, never forever. */
		if ((rc = cli_process_crypto(&msg)) != 0)
			goto out;
		mime_render_opts_init(&o);
		o.all_headers = cli_args_has(&args, "headers");
		o.prefer_html = ctx.cfg->ui.prefer_html;
		o.html_command = ctx.cfg->ui.html_renderer;
		o.width = isatty(STDOUT_FILENO) && !cli_args_has(&args, "json") ? 80 : 0;
		r = mime_render(msg, &o);
		if (cli_args_has(&args, "json")) {
			show_json(msg, r, args.pos->pdata[0], uid);
		} else {
			text = mime_rendered_format(r);
			cli_puts_text(stdout, text);
			g_free(text);
		}
		mime_rendered_free(&r);
		mime_message_free(&msg);
	}
out:
	if (data != NULL)
		g_bytes_unref(data);
	cli_close(&ctx);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

/* One part saved (or why not); rc updated as the whole-message way does. */
static void
save_report(int rc_one, GError *e, const char *path, int *rc)
{
	if (rc_one < 0) {
		int r = cli_fail(g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT) ?
					 TERN_ERR_MSG : TERN_ERR_USAGE, "%s", e->message);

		if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_EXIST))
			fprintf(stderr, _("tern: use --force to overwrite\n"));
		*rc = r == TERN_EXIT_USAGE ? TERN_EXIT_FAILURE : r;
		return;
	}
	fputs(_("saved "), stdout);
	cli_puts_safe(stdout, path);
	fputc('\n', stdout);
}

static const struct mime_part_entry *
entry_of(const GPtrArray *entries, guint index)
{
	for (guint i = 0; i < entries->len; i++)
		if (((struct mime_part_entry *)entries->pdata[i])->index == index)
			return entries->pdata[i];
	return NULL;
}

/* The parts asked for (all attachments when none), each fetched alone
 * (BINARY where offered): the rest of the message stays on the server.
 * *whole_r: the message must be fetched whole instead (signed or
 * encrypted: never through BINARY; no usable structure). */
static int
save_by_parts(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder, guint32 uid,
	      GArray *parts, const char *dir, bool force, bool *whole_r)
{
	GPtrArray *structure = NULL, *entries = NULL;
	char **sections = NULL;
	int rc = cli_message_structure(g, ctx, folder, uid, &structure);

	*whole_r = true;
	if (rc != 0 || mime_structure_plan(structure, false, IMAP_MAX_FETCH_SECTIONS,
					   &sections) != MIME_FETCH_PARTS)
		goto out;
	*whole_r = false;
	entries = mime_structure_parts(structure);
	for (guint i = 0; parts->len == 0 && i < entries->len; i++) {
		guint idx = ((struct mime_part_entry *)entries->pdata[i])->index;

		if (idx != 0)
			g_array_append_val(parts, idx);
	}
	if (parts->len == 0) {
		rc = cli_fail(TERN_ERR_MSG, _("message %u has no attachments"), uid);
		goto out;
	}
	for (guint i = 0; i < parts->len; i++) {
		guint idx = g_array_index(parts, guint, i);
		const struct mime_part_entry *e = entry_of(entries, idx);
		GBytes *data = NULL, *bytes;
		bool decoded = false;
		GError *err = NULL;
		char *path = NULL;
		gsize len;
		const char *d;

		if (e == NULL) {
			g_set_error(&err, G_FILE_ERROR, G_FILE_ERROR_NOENT, _("no attachment %u"), idx);
			save_report(-1, err, NULL, &rc);
			g_error_free(err);
			continue;
		}
		if ((rc = cli_fetch_section(ctx, uid, e, &data, &decoded)) != 0)
			break; /* said why; the connection may be gone */
		d = g_bytes_get_data(data, &len);
		bytes = decoded || e->message ? g_bytes_ref(data) :
						mime_transfer_decode(e->encoding, d, len);
		save_report(mime_bytes_save(bytes, e->filename, idx, dir, force, &path, &err), err,
			    path, &rc);
		g_clear_error(&err);
		g_free(path);
		g_bytes_unref(bytes);
		g_bytes_unref(data);
	}
out:
	g_strfreev(sections);
	if (entries != NULL)
		g_ptr_array_unref(entries);
	if (structure != NULL)
		g_ptr_array_unref(structure);
	return rc;
}

int
cli_cmd_save(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "output", "DIR" }, { "force", NULL }, { NULL, NULL },
	};
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct mime_message *msg = NULL;
	GBytes *data = NULL;
	GArray *parts = g_array_new(FALSE, FALSE, sizeof(guint));
	const char *dir = ".";
	char *err = NULL;
	guint32 uid;
	int rc;

	/* -o DIR is the short form of --output DIR: take it out first. */
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], "-o") == 0) {
			dir = argv[i + 1];
			memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 2) * sizeof(char *));
			argc -= 2;
			break;
		}
	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len < 2) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern save FOLDER UID [PART...] [-o DIR] [--force]"));
		goto out;
	}
	if (cli_args_has(&args, "output"))
		dir = cli_args_get(&args, "output");
	if ((rc = parse_uid(args.pos->pdata[1], &uid)) != 0)
		goto out;
	for (guint i = 2; i < args.pos->len; i++) {
		guint64 v;

		if (!g_ascii_string_to_unsigned(args.pos->pdata[i], 10, 1, 100000, &v, NULL)) {
			rc = cli_fail(TERN_ERR_USAGE, _("bad part number '%s'"),
				      (char *)args.pos->pdata[i]);
			goto out;
		}
		g_array_append_val(parts, v);
	}
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		rc = cli_fail(TERN_ERR_USAGE, _("'%s' is not a directory"), dir);
		goto out;
	}
	if (!g->offline) {
		bool whole = true;

		rc = save_by_parts(g, &ctx, args.pos->pdata[0], uid, parts, dir,
				   cli_args_has(&args, "force"), &whole);
		if (rc != 0 || !whole)
			goto out;
		rc = cli_fetch_opened(&ctx, args.pos->pdata[0], uid, false, &data);
	} else {
		rc = fetch_message(g, &ctx, args.pos->pdata[0], uid, false, &data);
	}
	if (rc != 0)
		goto out;
	{
		const GPtrArray *atts;

		msg = mime_message_parse_bytes(data);
		/* The parts of an encrypted message are the decrypted ones, as
		 * tern show lists them. */
		if ((rc = cli_process_crypto(&msg)) != 0)
			goto out;
		atts = mime_message_attachments(msg);
		if (parts->len == 0)
			for (guint i = 0; i < atts->len; i++) {
				guint idx = ((struct mime_attachment *)atts->pdata[i])->index;

				g_array_append_val(parts, idx);
			}
		if (parts->len == 0) {
			rc = cli_fail(TERN_ERR_MSG, _("message %u has no attachments"), uid);
			goto out;
		}
		for (guint i = 0; i < parts->len; i++) {
			GError *e = NULL;
			char *path = NULL;

			if (mime_attachment_save(msg, g_array_index(parts, guint, i), dir,
						 cli_args_has(&args, "force"), &path, &e) < 0) {
				rc = cli_fail(g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT) ?
						      TERN_ERR_MSG : TERN_ERR_USAGE,
					      "%s", e->message);
				if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_EXIST))
					fprintf(stderr, _("tern: use --force to overwrite\n"));
				g_error_free(e);
				if (rc == TERN_EXIT_USAGE)
					rc = TERN_EXIT_FAILURE;
				continue;
			}
			fputs(_("saved "), stdout);
			cli_puts_safe(stdout, path);
			fputc('\n', stdout);
			g_free(path);
		}
	}
out:
	mime_message_free(&msg);
	if (data != NULL)
		g_bytes_unref(data);
	g_array_unref(parts);
	cli_close(&ctx);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

/* tern — `tern parts` (the structure from BODYSTRUCTURE, no body fetched),
 * `tern show --part SECTION` and `tern pipe`. */
#include "config.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
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

struct structure_wait {
	struct cli_ctx *ctx;
	GPtrArray *parts; /* struct imap_part *, ours */
};

static void
structure_cb(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *parts,
	     void *ud)
{
	struct structure_wait *w = ud;

	if (parts != NULL)
		w->parts = g_ptr_array_ref(parts);
	cli_finish(w->ctx, st, detail);
}

/* UID's structure from the cache (cached by the viewer or an earlier
 * tern parts), as imap_client_fetch_structure() gives it, or NULL. */
static GPtrArray *
cached_structure(struct cli_ctx *ctx, const char *folder, guint32 uid)
{
	GBytes *b = NULL;
	GPtrArray *parts;

	if (cli_cached_part(ctx, folder, uid, "BODYSTRUCTURE", &b) != 1)
		return NULL;
	parts = imap_parts_deserialize(b);
	g_bytes_unref(b);
	return parts;
}

int
cli_message_structure(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		      guint32 uid, GPtrArray **structure_r)
{
	struct structure_wait w = { .ctx = ctx };
	struct imap_mailbox_info info;
	GBytes *keep;
	int rc;

	*structure_r = NULL;
	if ((rc = cli_open_cached(g, ctx)) != 0)
		return rc;
	if (ctx->offline && (*structure_r = cached_structure(ctx, folder, uid)) == NULL)
		return cli_fail(TERN_ERR_MSG, _("--offline: the structure of message %u of '%s' "
						"is not cached"), uid, folder);
	if (ctx->offline)
		return 0;
	if ((rc = cli_select(ctx, folder, true, &info)) != 0)
		return rc;
	imap_client_fetch_structure(ctx->client, uid, structure_cb, &w);
	if (cli_wait(ctx) != TERN_OK) {
		if (w.parts != NULL)
			g_ptr_array_unref(w.parts);
		return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
					  _("cannot fetch the message structure"));
	}
	keep = imap_parts_serialize(w.parts);
	cli_keep_part(ctx, folder, uid, "BODYSTRUCTURE", keep);
	g_bytes_unref(keep);
	*structure_r = w.parts;
	return 0;
}

int
cli_process_crypto(struct mime_message **msgp)
{
	if (mime_message_process_crypto_bounded(msgp, MIME_CRYPTO_WAIT_S))
		return 0;
	/* Like a server that does not answer: the service is unavailable. */
	return cli_fail(TERN_ERR_UNREACHABLE,
			_("gpg-agent did not answer within %d s (a pinentry waiting for a "
			  "passphrase?): the message was not verified nor decrypted"),
			MIME_CRYPTO_WAIT_S);
}

/* UID's parts from its structure alone (mime_structure_parts, transfer
 * full), every one with its IMAP section. */
static int
structure_parts(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder,
		guint32 uid, GPtrArray **entries_r)
{
	GPtrArray *structure;
	int rc = cli_message_structure(g, ctx, folder, uid, &structure);

	if (rc != 0)
		return rc;
	*entries_r = mime_structure_parts(structure);
	g_ptr_array_unref(structure);
	return 0;
}

/* UID's parts as tern save numbers them (transfer full): from the
 * structure without the body, but for an encrypted message from the
 * whole one decrypted. */
static int
fetch_parts(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder, guint32 uid,
	    GPtrArray **entries_r)
{
	GPtrArray *structure;
	int rc = cli_message_structure(g, ctx, folder, uid, &structure);
	GBytes *data = NULL;
	struct mime_message *msg;

	*entries_r = NULL;
	if (rc != 0)
		return rc;
	if (!mime_structure_sealed(structure)) {
		*entries_r = mime_structure_parts(structure);
		g_ptr_array_unref(structure);
		return 0;
	}
	/* Encrypted (or S/MIME signed-data): the parts are those inside, as
	 * the viewer and tern save number them; only the whole message,
	 * unwrapped, has them. */
	g_ptr_array_unref(structure);
	if ((rc = cli_fetch_opened(ctx, folder, uid, false, &data)) != 0)
		return rc;
	msg = mime_message_parse_bytes(data);
	g_bytes_unref(data);
	if ((rc = cli_process_crypto(&msg)) != 0)
		return rc;
	*entries_r = mime_message_parts(msg);
	mime_message_free(&msg);
	return 0;
}

static void
json_str(GString *j, const char *s)
{
	if (s == NULL)
		g_string_append(j, "null");
	else
		text_json_escape(j, s, (size_t)-1);
}

static void
print_parts_json(const GPtrArray *entries)
{
	GString *j = g_string_new("[");

	for (guint i = 0; i < entries->len; i++) {
		const struct mime_part_entry *e = entries->pdata[i];

		g_string_append(j, i ? ", {\"part\": " : "{\"part\": ");
		json_str(j, e->section);
		if (e->index > 0)
			g_string_append_printf(j, ", \"index\": %u", e->index);
		else
			g_string_append(j, ", \"index\": null");
		g_string_append(j, ", \"type\": ");
		json_str(j, e->content_type);
		g_string_append_printf(j, ", \"size\": %" G_GUINT64_FORMAT ", \"filename\": ",
				       e->size);
		json_str(j, e->filename);
		g_string_append(j, ", \"disposition\": ");
		json_str(j, e->disposition);
		g_string_append_printf(j, ", \"depth\": %u}", e->depth);
	}
	g_string_append(j, "]\n");
	fputs(j->str, stdout);
	g_string_free(j, TRUE);
}

/* One line a part: section (or - inside an encrypted part: it has none),
 * save number (or -), type, size, name; indented two spaces per attached
 * message it is inside. */
static void
print_parts_plain(const GPtrArray *entries)
{
	for (guint i = 0; i < entries->len; i++) {
		const struct mime_part_entry *e = entries->pdata[i];
		char idx[16];

		if (e->index > 0)
			g_snprintf(idx, sizeof idx, "%u", e->index);
		else
			g_strlcpy(idx, "-", sizeof idx);
		printf("%*s%-8s %4s  %-30s %10" G_GUINT64_FORMAT "  ", (int)MIN(e->depth, 8) * 2,
		       "", e->section != NULL ? e->section : "-", idx, e->content_type, e->size);
		if (e->filename != NULL)
			cli_puts_safe(stdout, e->filename);
		fputc('\n', stdout);
	}
}

int
cli_cmd_parts(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "json", NULL }, { NULL, NULL } };
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	GPtrArray *entries = NULL;
	char *err = NULL;
	guint32 uid;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 2) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
			      _("usage: tern parts FOLDER UID [--json]"));
		goto out;
	}
	if ((rc = parse_uid(args.pos->pdata[1], &uid)) != 0)
		goto out;
	if ((rc = fetch_parts(g, &ctx, args.pos->pdata[0], uid, &entries)) != 0)
		goto out;
	if (cli_args_has(&args, "json"))
		print_parts_json(entries);
	else
		print_parts_plain(entries);
out:
	if (entries != NULL)
		g_ptr_array_unref(entries);
	cli_close(&ctx);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

/* ---- tern show --part ---- */

static bool
section_ok(const char *s)
{
	bool digit = false;

	for (; *s != '\0'; s++) {
		if (g_ascii_isdigit(*s))
			digit = true;
		else if (*s != '.' || !digit)
			return false;
		else
			digit = false;
	}
	return digit;
}

/* The part's bytes, its transfer encoding undone (decoded: already so). */
static void
write_part(const struct mime_part_entry *e, GBytes *data, bool decoded)
{
	gsize len;
	const char *raw = g_bytes_get_data(data, &len);
	GBytes *dec = e->message || decoded ? g_bytes_ref(data) :
					      mime_transfer_decode(e->encoding, raw, len);
	const char *bytes = g_bytes_get_data(dec, &len);

	if (isatty(STDOUT_FILENO)) {
		/* nothing raw reaches a terminal: text in UTF-8, all of it sanitised */
		size_t n = len;
		char *utf8 = g_str_has_prefix(e->content_type, "text/") ?
				     mime_charset_to_utf8(e->charset, bytes, len, &n) :
				     g_strndup(bytes, len);
		char *safe = text_sanitize(utf8, (gssize)n, TEXT_SANITIZE_MULTILINE);

		cli_puts_text(stdout, safe);
		g_free(safe);
		g_free(utf8);
	} else {
		fwrite(bytes, 1, len, stdout);
	}
	g_bytes_unref(dec);
}

/* A part's content: BINARY.PEEK (RFC 3516: the server undoes the
 * transfer encoding, so base64 does not cross the wire) where offered and
 * the part is a leaf, else BODY.PEEK. *decoded_r says which came. */
int
cli_fetch_section(struct cli_ctx *ctx, guint32 uid, const struct mime_part_entry *e,
		  GBytes **data_r, bool *decoded_r)
{
	const char *sections[] = { e->section, NULL };
	bool binary = !e->message && imap_client_has_cap(ctx->client, "BINARY");
	GPtrArray *data = NULL;
	int rc;

	/* A NO to BINARY (e.g. [UNKNOWN-CTE]: the server cannot undo that
	 * encoding) is no end: BODY.PEEK, and tern decodes. */
	if (binary && cli_fetch_parts_try(ctx, uid, IMAP_PARTS_BINARY, sections, NULL, NULL,
					  &data, NULL) < 0) {
		if (ctx->st != TERN_ERR_NO)
			return cli_fail(ctx->st, "%s", ctx->detail != NULL ? ctx->detail :
						  _("cannot fetch the part"));
		binary = false;
	}
	rc = data != NULL ? 0 : cli_fetch_parts(ctx, uid, 0, sections, NULL, NULL, &data, NULL);

	*data_r = NULL;
	*decoded_r = binary;
	if (rc == 0 && data->pdata[0] != NULL)
		*data_r = g_bytes_ref(data->pdata[0]);
	else if (rc == 0)
		rc = cli_fail(TERN_ERR_MSG, _("the server sent no part %s of message %u"),
			      e->section, uid);
	if (data != NULL)
		g_ptr_array_unref(data);
	return rc;
}

int
cli_show_part(const struct tern_globals *g, struct cli_ctx *ctx, const char *folder, guint32 uid,
	      const char *section)
{
	const struct mime_part_entry *e = NULL;
	GPtrArray *entries = NULL;
	GBytes *data = NULL;
	bool decoded = false;
	int rc;

	if (!section_ok(section))
		return cli_fail(TERN_ERR_USAGE, _("bad part '%s': a section such as 1 or 2.1 "
						  "(see tern parts)"), section);
	if ((rc = structure_parts(g, ctx, folder, uid, &entries)) != 0)
		return rc;
	for (guint i = 0; i < entries->len && e == NULL; i++)
		if (strcmp(((struct mime_part_entry *)entries->pdata[i])->section, section) == 0)
			e = entries->pdata[i];
	if (e == NULL) {
		rc = cli_fail(TERN_ERR_MSG, _("message %u has no part %s"), uid, section);
		goto out;
	}
	if (ctx->offline) {
		char *item = g_strdup_printf("BINARY[%s]", section);

		decoded = true;
		if (cli_cached_part(ctx, folder, uid, item, &data) != 1)
			rc = cli_fail(TERN_ERR_MSG, _("--offline: part %s of message %u is not "
						      "cached"), section, uid);
		g_free(item);
		if (rc != 0)
			goto out;
	} else if ((rc = cli_fetch_section(ctx, uid, e, &data, &decoded)) != 0) {
		goto out;
	}
	write_part(e, data, decoded);
out:
	if (data != NULL)
		g_bytes_unref(data);
	g_ptr_array_unref(entries);
	return rc;
}

/* ---- tern pipe ---- */

/* FOLDER UID COMMAND [ARG...]: --text before COMMAND; from COMMAND on,
 * every word is the command's (as env(1) does). */
static int
parse_pipe_args(int argc, char **argv, bool *text_r, GPtrArray *pos)
{
	bool options = true;
	int i;

	for (i = 0; i < argc && pos->len < 3; i++) {
		if (options && strcmp(argv[i], "--") == 0)
			options = false;
		else if (options && strcmp(argv[i], "--text") == 0)
			*text_r = true;
		else if (options && g_str_has_prefix(argv[i], "--"))
			return cli_fail(TERN_ERR_USAGE, _("unknown option '%s'"), argv[i]);
		else
			g_ptr_array_add(pos, argv[i]);
	}
	if (pos->len < 3)
		return cli_fail(TERN_ERR_USAGE, "%s",
				_("usage: tern pipe FOLDER UID [--text] COMMAND [ARG...]"));
	for (; i < argc; i++)
		g_ptr_array_add(pos, argv[i]);
	g_ptr_array_add(pos, NULL);
	return 0;
}

/* The message as tern show prints it (no wrapping), transfer full. */
static GBytes *
message_text(struct cli_ctx *ctx, GBytes *data)
{
	gsize len;
	const char *bytes = g_bytes_get_data(data, &len);
	struct mime_message *msg = mime_message_parse(bytes, len);
	struct mime_render_opts o;
	struct mime_rendered *r;
	char *text;

	mime_render_opts_init(&o);
	o.prefer_html = ctx->cfg->ui.prefer_html;
	o.html_command = ctx->cfg->ui.html_renderer;
	r = mime_render(msg, &o);
	text = mime_rendered_format(r);
	mime_rendered_free(&r);
	mime_message_free(&msg);
	return g_bytes_new_take(text, strlen(text));
}

/* Runs argv (no shell) with input on its stdin; its stdout and stderr are
 * ours. Returns 0 when it ran (its status on stderr when not 0). */
static int
run_command(char **argv, GBytes *input)
{
	GError *err = NULL;
	GSubprocess *p;
	char *name;

	signal(SIGPIPE, SIG_IGN); /* a command that stops reading is not our error */
	p = g_subprocess_newv((const char *const *)argv, G_SUBPROCESS_FLAGS_STDIN_PIPE, &err);
	if (p == NULL) {
		int rc = cli_fail(TERN_ERR_NO, _("cannot run %s: %s"), argv[0], err->message);

		g_error_free(err);
		return rc;
	}
	if (!g_subprocess_communicate(p, input, NULL, NULL, NULL, &err)) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
			log_warn("pipe: %s", err->message);
		g_clear_error(&err);
		g_subprocess_wait(p, NULL, NULL);
	}
	name = text_sanitize(argv[0], -1, TEXT_SANITIZE_ONE_LINE);
	if (g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) != 0)
		fprintf(stderr, _("tern: %s exited with status %d\n"), name,
			g_subprocess_get_exit_status(p));
	else if (g_subprocess_get_if_signaled(p))
		fprintf(stderr, _("tern: %s was killed by signal %d\n"), name,
			g_subprocess_get_term_sig(p));
	g_free(name);
	g_object_unref(p);
	return 0;
}

int
cli_cmd_pipe(const struct tern_globals *g, int argc, char **argv)
{
	GPtrArray *pos = g_ptr_array_new();
	struct cli_ctx ctx = { 0 };
	GBytes *data = NULL, *input = NULL;
	bool text = false;
	guint32 uid;
	int rc;

	if ((rc = parse_pipe_args(argc, argv, &text, pos)) != 0)
		goto out;
	if ((rc = parse_uid(pos->pdata[1], &uid)) != 0)
		goto out;
	rc = cli_fetch_message(g, &ctx, pos->pdata[0], uid, false, &data);
	if (rc != 0)
		goto out;
	input = text ? message_text(&ctx, data) : g_bytes_ref(data);
	rc = run_command((char **)pos->pdata + 2, input);
out:
	if (input != NULL)
		g_bytes_unref(input);
	if (data != NULL)
		g_bytes_unref(data);
	cli_close(&ctx);
	g_ptr_array_unref(pos);
	return rc;
}

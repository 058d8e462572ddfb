/* tern — ui/send: shared by `tern send|reply|forward` and the interface's
 * composer (see send.h). */
#include "config.h"

#include <string.h>

#include "ui/send.h"

/* Most bytes of a signature. */
#define SEND_SIGNATURE_MAX (64 * 1024)

struct mime_identities *
send_identities(const struct account *a)
{
	return mime_identities_new(a->from, a->alternates, a->user);
}

static char *
signature_command(const char *command)
{
	char *out = NULL, **argv = NULL;
	int status = 0;

	if (!g_shell_parse_argv(command, NULL, &argv, NULL))
		return NULL;
	if (!g_spawn_sync(NULL, argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL |
				  G_SPAWN_CHILD_INHERITS_STDIN,
			  NULL, NULL, &out, NULL, &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL) || strlen(out) > SEND_SIGNATURE_MAX)
		g_clear_pointer(&out, g_free);
	g_strfreev(argv);
	return out;
}

char *
send_signature(const struct account *a, char **warning_r)
{
	char *out = NULL;
	gsize len = 0;

	if (a->signature_file != NULL) {
		if (!g_file_get_contents(a->signature_file, &out, &len, NULL) ||
		    len > SEND_SIGNATURE_MAX) {
			g_clear_pointer(&out, g_free);
			if (warning_r != NULL)
				*warning_r = g_strdup_printf(_("cannot read signature_file %s"),
							     a->signature_file);
		}
	} else if (a->signature_command != NULL) {
		out = signature_command(a->signature_command);
		if (out == NULL && warning_r != NULL)
			*warning_r = g_strdup(_("signature_command failed"));
	}
	if (out != NULL && !g_utf8_validate(out, -1, NULL)) {
		char *v = g_utf8_make_valid(out, -1);

		g_free(out);
		out = v;
	}
	return out;
}

char *
send_original_format(bool forward, guint32 uidvalidity, guint32 uid, const char *folder)
{
	return g_strdup_printf("%s %u %u %s", forward ? "forwarded" : "answered", uidvalidity,
			       uid, folder);
}

char *
send_original_format_set(bool forward, guint32 uidvalidity, const GArray *uids,
			 const char *folder)
{
	GString *set = g_string_new(NULL);
	char *out;

	for (guint i = 0; i < uids->len && i < SEND_MAX_ORIGINALS; i++)
		g_string_append_printf(set, "%s%u", i > 0 ? "," : "",
				       g_array_index(uids, guint32, i));
	out = g_strdup_printf("%s %u %s %s", forward ? "forwarded" : "answered", uidvalidity,
			      set->str, folder);
	g_string_free(set, TRUE);
	return out;
}

/* "5" or "5,9,12": the first UID, and *several_r set when there are more.
 * Digits and commas only, each UID in range, at most SEND_MAX_ORIGINALS. */
static bool
uids_parse(const char *text, guint32 *first_r, bool *several_r)
{
	char **w = g_strsplit(text, ",", SEND_MAX_ORIGINALS + 1);
	guint n = g_strv_length(w);
	bool ok = n >= 1 && n <= SEND_MAX_ORIGINALS;

	for (guint i = 0; ok && i < n; i++) {
		guint64 u;

		ok = g_ascii_string_to_unsigned(w[i], 10, 1, G_MAXUINT32, &u, NULL);
		if (ok && i == 0)
			*first_r = (guint32)u;
	}
	*several_r = n > 1;
	g_strfreev(w);
	return ok;
}

static void
original_parse(const char *text, struct store_outbox_entry *e)
{
	char **w = text != NULL ? g_strsplit(text, " ", 4) : NULL;
	guint64 v;
	guint32 u = 0;
	bool several = false;

	if (w != NULL && g_strv_length(w) == 4 &&
	    (strcmp(w[0], "answered") == 0 || strcmp(w[0], "forwarded") == 0) &&
	    g_ascii_string_to_unsigned(w[1], 10, 1, G_MAXUINT32, &v, NULL) &&
	    uids_parse(w[2], &u, &several) && w[3][0] != '\0') {
		e->orig_flag = g_strdup(w[0][0] == 'a' ? "\\Answered" : "$Forwarded");
		e->orig_uidvalidity = (guint32)v;
		e->orig_uid = u;
		e->orig_uids = several ? g_strdup(w[2]) : NULL;
		e->orig_folder = g_strdup(w[3]);
	}
	g_strfreev(w);
}

void
send_entry_init(struct store_outbox_entry *e, const struct account *a,
		const struct mime_outgoing *o)
{
	GPtrArray *rcpts = g_ptr_array_new();

	memset(e, 0, sizeof(*e));
	e->message_id = o->message_id;
	e->sender = o->sender;
	e->data = o->data;
	e->bcc_field = o->bcc_field;
	e->subject = o->subject;
	e->copy_to_sent = a->copy_to_sent && !o->no_sent_copy;
	e->sent_folder = a->sent;
	for (guint i = 0; i < o->rcpts->len; i++)
		g_ptr_array_add(rcpts, o->rcpts->pdata[i]);
	g_ptr_array_add(rcpts, NULL);
	e->rcpts = (char **)g_ptr_array_free(rcpts, FALSE);
	original_parse(o->original, e);
}

void
send_entry_clear(struct store_outbox_entry *e)
{
	g_free(e->rcpts); /* the array only: the strings are o's */
	g_free(e->orig_folder);
	g_free(e->orig_flag);
	g_free(e->orig_uids);
	e->rcpts = NULL;
	e->orig_folder = e->orig_flag = e->orig_uids = NULL;
}

void
send_protect_defaults(const struct account *a, bool answers_encrypted, struct mime_protect *p_r)
{
	*p_r = (struct mime_protect){
		.sign = a->crypt_default_sign,
		.encrypt = a->crypt_default_encrypt ||
			   (answers_encrypted && a->pgp_encrypt_replies),
		.key = a->pgp_key,
		.smime_key = a->smime_key,
	};
	p_r->opportunistic = a->crypt_opportunistic_encrypt && !p_r->encrypt;
}

void
send_protect_choice(const struct account *a, const char *crypt, bool answers_encrypted,
		    struct mime_protect *p_r)
{
	send_protect_defaults(a, answers_encrypted, p_r);
	mime_crypt_parse(crypt, p_r); /* NULL or unreadable: the defaults stay */
}

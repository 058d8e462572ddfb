/* tern — core/smtp: handing a message to sendmail_command (smtp.h). */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "core/log.h"
#include "core/smtp/smtp.h"

/* sendmail's "temporary failure, try again" (sysexits.h EX_TEMPFAIL). */
#define SENDMAIL_TEMPFAIL 75

/* The message with LF line ends, as a local mailer expects it. */
static GBytes *
to_lf(GBytes *data)
{
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	GString *out = g_string_sized_new(len);

	for (gsize i = 0; i < len; i++)
		if (!(p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
			g_string_append_c(out, p[i]);
	return g_string_free_to_bytes(out);
}

static char *
first_line(GBytes *b)
{
	gsize len = 0;
	const char *p = b != NULL ? g_bytes_get_data(b, &len) : NULL;
	size_t n = p != NULL ? strcspn(p, "\n") : 0;

	return g_strndup(p != NULL ? p : "", MIN(MIN(n, len), 300));
}

enum smtp_result
smtp_sendmail(const struct account *a, const struct smtp_envelope *env, smtp_data_fn *on_data,
	      void *ud, char **detail_r)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	GSubprocess *p = NULL;
	GBytes *in = NULL, *err_out = NULL;
	GError *err = NULL;
	char **words = NULL, *why;
	enum smtp_result r = SMTP_CONFIG;
	int status;

	if (!g_shell_parse_argv(a->sendmail_command, NULL, &words, &err)) {
		*detail_r = g_strdup_printf(_("sendmail_command: %s"), err->message);
		goto out;
	}
	for (char **w = words; *w != NULL; w++)
		g_ptr_array_add(argv, g_str_has_prefix(*w, "~/") ?
				      g_build_filename(g_get_home_dir(), *w + 2, NULL) :
				      g_strdup(*w));
	g_ptr_array_add(argv, g_strdup("--"));
	for (guint i = 0; i < env->n_rcpts; i++)
		g_ptr_array_add(argv, g_strdup(env->rcpts[i]));
	g_ptr_array_add(argv, NULL);
	if (on_data != NULL)
		on_data(ud);
	p = g_subprocess_newv((const char *const *)argv->pdata,
			      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_PIPE,
			      &err);
	if (p == NULL) {
		*detail_r = g_strdup_printf(_("sendmail_command: %s"), err->message);
		r = SMTP_RETRY; /* nothing ran, nothing went out */
		goto out;
	}
	in = to_lf(env->data);
	if (!g_subprocess_communicate(p, in, NULL, NULL, &err_out, &err)) {
		*detail_r = g_strdup_printf(_("sendmail_command: %s"), err->message);
		r = SMTP_MAYBE_SENT;
		goto out;
	}
	status = g_subprocess_get_status(p);
	why = first_line(err_out);
	log_debug("sendmail_command: status %d: %s", status, why);
	if (g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0) {
		r = SMTP_SENT;
		*detail_r = why;
		why = NULL;
	} else if (g_subprocess_get_if_exited(p) &&
		   g_subprocess_get_exit_status(p) == SENDMAIL_TEMPFAIL) {
		r = SMTP_RETRY;
		*detail_r = g_strdup_printf(_("sendmail_command says to try later: %s"), why);
	} else if (g_subprocess_get_if_exited(p)) {
		r = SMTP_REFUSED;
		*detail_r = g_strdup_printf(_("sendmail_command failed (exit %d): %s"),
					    g_subprocess_get_exit_status(p), why);
	} else {
		r = SMTP_MAYBE_SENT;
		*detail_r = g_strdup_printf(_("sendmail_command was killed: the message may have "
					      "been sent"));
	}
	g_free(why);
out:
	g_clear_error(&err);
	g_strfreev(words);
	g_ptr_array_unref(argv);
	if (in != NULL)
		g_bytes_unref(in);
	if (err_out != NULL)
		g_bytes_unref(err_out);
	if (p != NULL)
		g_object_unref(p);
	return r;
}

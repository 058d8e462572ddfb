/* tern — passwords and OAuth tokens: from the file or from a command.
 *
 * The command runs without a shell: its words are split as a shell would
 * (g_shell_parse_argv), a leading "~/" in a word is expanded, and nothing else
 * is interpreted. Its stdin is /dev/null, its stdout is read up to a cap, its
 * stderr goes to an unlinked temporary file so a chatty command can neither
 * block nor reach the terminal; the first line of it explains a failure. It
 * is killed when it has not finished within CONFIG_COMMAND_TIMEOUT seconds.
 *
 * struct account_secret is the one lookup the CLI and the interface share:
 * it keeps the secret for the connections an account makes and decides when
 * to look it up again. */
#include "config.h"

#include "core/common.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "core/config/config-private.h"

#define STDERR_SHOWN 4096 /* bytes of stderr read for the message */
#define STDERR_CHARS 200  /* characters of it shown */

void
config_secret_free(char **secret)
{
	if (*secret == NULL)
		return;
	memset(*secret, 0, strlen(*secret));
	g_free(*secret);
	*secret = NULL;
}

static char **
command_argv(const char *command, GError **error)
{
	char **argv = NULL;

	if (!g_shell_parse_argv(command, NULL, &argv, error))
		return NULL;
	for (char **w = argv; *w != NULL; w++) {
		char *x = config_expand_home(*w);

		g_free(*w);
		*w = x;
	}
	return argv;
}

/* One run of a command on a private main context, so that its output, its
 * exit and a timeout can all be waited for without running the caller's
 * main loop (whose handlers must not run inside the call). */
struct command_run {
	GMainContext *ctx;
	GSubprocess *proc;
	GCancellable *cancel;
	GString *out;
	char chunk[4096];
	int pending;   /* asynchronous calls not finished */
	bool eof, exited, too_long, timed_out;
	GError *err;
};

static void read_more(struct command_run *r);

static void
read_done(GObject *src, GAsyncResult *res, gpointer ud)
{
	struct command_run *r = ud;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res,
					      r->err == NULL ? &r->err : NULL);

	r->pending--;
	if (n <= 0) {
		r->eof = n == 0;
		return;
	}
	/* Read up to CONFIG_MAX_COMMAND_OUTPUT (+1 to notice more). */
	if (r->out->len + (gsize)n > CONFIG_MAX_COMMAND_OUTPUT) {
		r->too_long = true;
		return;
	}
	g_string_append_len(r->out, r->chunk, n);
	read_more(r);
}

static void
read_more(struct command_run *r)
{
	r->pending++;
	g_input_stream_read_async(g_subprocess_get_stdout_pipe(r->proc), r->chunk,
				  sizeof(r->chunk), G_PRIORITY_DEFAULT, r->cancel, read_done, r);
}

static void
wait_done(GObject *src, GAsyncResult *res, gpointer ud)
{
	struct command_run *r = ud;

	r->pending--;
	r->exited = g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
}

static gboolean
run_timed_out(gpointer ud)
{
	struct command_run *r = ud;

	r->timed_out = true;
	return G_SOURCE_REMOVE;
}

/* Wait for the end of the output and the exit, at most timeout_ms; on a
 * timeout, too much output or a read error the command is killed. Returns
 * true when it ended by itself with its output read. */
static bool
run_wait(struct command_run *r, guint timeout_ms)
{
	GSource *timer = g_timeout_source_new(timeout_ms);
	bool whole;

	g_source_set_callback(timer, run_timed_out, r, NULL);
	g_source_attach(timer, r->ctx);
	r->pending++;
	g_subprocess_wait_async(r->proc, r->cancel, wait_done, r);
	read_more(r);
	while (!(r->eof && r->exited) && !r->timed_out && !r->too_long && r->err == NULL)
		g_main_context_iteration(r->ctx, TRUE);
	whole = r->eof && r->exited;
	if (!whole) {
		g_subprocess_force_exit(r->proc);
		g_cancellable_cancel(r->cancel);
	}
	while (r->pending > 0)
		g_main_context_iteration(r->ctx, TRUE);
	g_source_destroy(timer);
	g_source_unref(timer);
	return whole;
}

/* The first line of what the command wrote on stderr, made printable. */
static char *
stderr_line(int fd)
{
	char buf[STDERR_SHOWN];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return g_strdup("");
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return g_strdup("");
	return config_sanitize_line(buf, (gsize)n, STDERR_CHARS);
}

static void
set_exit_error(GSubprocess *proc, const char *what, int err_fd, GError **error)
{
	char *line = stderr_line(err_fd);
	char *status;

	if (g_subprocess_get_if_exited(proc))
		status = g_strdup_printf(_("exit %d"), g_subprocess_get_exit_status(proc));
	else
		status = g_strdup_printf(_("killed by signal %d"),
					 g_subprocess_get_term_sig(proc));
	if (line[0] != '\0')
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, _("%s failed (%s): %s"),
			    what, status, line);
	else
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, _("%s failed (%s)"),
			    what, status);
	g_free(status);
	g_free(line);
}

/* Check the output and cut the trailing CR/LF. Takes out. */
static int
finish_output(GString *out, const char *what, char **output_r, GError **error)
{
	gsize len = out->len;

	while (len > 0 && (out->str[len - 1] == '\n' || out->str[len - 1] == '\r'))
		len--;
	g_string_truncate(out, len);
	if (len == 0)
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, _("%s printed nothing"),
			    what);
	else if (memchr(out->str, '\0', len) != NULL)
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND,
			    _("%s printed a NUL byte"), what);
	else if (memchr(out->str, '\n', len) != NULL || memchr(out->str, '\r', len) != NULL)
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND,
			    _("%s printed more than one line (it is not run by a shell: for "
			      "a pipe, write sh -c '... | head -n 1')"), what);
	else {
		*output_r = g_string_free(out, FALSE);
		return 0;
	}
	memset(out->str, 0, out->len);
	g_string_free(out, TRUE);
	return -1;
}

static GSubprocess *
spawn(char **argv, int err_fd, const char *what, GError **error)
{
	GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	GError *err = NULL;
	GSubprocess *proc;

	/* stdin is /dev/null by default */
	g_subprocess_launcher_take_stderr_fd(l, err_fd);
	proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv, &err);
	g_object_unref(l);
	if (proc == NULL) {
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, _("%s: cannot run '%s': %s"),
			    what, argv[0], err->message);
		g_error_free(err);
	}
	return proc;
}

static void
set_run_error(struct command_run *r, const char *what, guint timeout_ms, GError **error)
{
	if (r->timed_out)
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND,
			    ngettext("%s did not finish within %u second",
				     "%s did not finish within %u seconds", (timeout_ms + 999) / 1000),
			    what, (timeout_ms + 999) / 1000);
	else if (r->too_long)
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND,
			    ngettext("%s printed more than %d byte", "%s printed more than %d bytes",
				     CONFIG_MAX_COMMAND_OUTPUT),
			    what, CONFIG_MAX_COMMAND_OUTPUT);
	else
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, "%s: %s", what,
			    r->err != NULL ? r->err->message : _("cannot read its output"));
}

int
config_run_command_timeout(const char *command, const char *what, guint timeout_ms,
			   char **output_r, GError **error)
{
	struct command_run r = { 0 };
	GError *err = NULL;
	char **argv = NULL;
	char *tmp_path = NULL;
	int err_fd = -1, rc = -1;

	r.ctx = g_main_context_new();
	r.cancel = g_cancellable_new();
	r.out = g_string_new(NULL);
	g_main_context_push_thread_default(r.ctx);
	argv = command_argv(command, &err);
	if (argv == NULL) {
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND,
			    _("%s: cannot split the command into words: %s"), what, err->message);
		goto out;
	}
	err_fd = g_file_open_tmp("tern-cmd-XXXXXX", &tmp_path, &err);
	if (err_fd < 0) {
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, "%s: %s", what,
			    err->message);
		goto out;
	}
	unlink(tmp_path);
	r.proc = spawn(argv, dup(err_fd), what, error);
	if (r.proc == NULL)
		goto out;
	if (!run_wait(&r, timeout_ms)) {
		set_run_error(&r, what, timeout_ms, error);
		goto out;
	}
	if (!g_subprocess_get_successful(r.proc)) {
		set_exit_error(r.proc, what, err_fd, error);
		goto out;
	}
	rc = finish_output(g_steal_pointer(&r.out), what, output_r, error);
out:
	g_main_context_pop_thread_default(r.ctx);
	if (r.out != NULL) {
		memset(r.out->str, 0, r.out->len);
		g_string_free(r.out, TRUE);
	}
	if (err_fd >= 0)
		close(err_fd);
	g_clear_error(&err);
	g_clear_error(&r.err);
	g_clear_object(&r.proc);
	g_clear_object(&r.cancel);
	g_main_context_unref(r.ctx);
	g_free(tmp_path);
	g_strfreev(argv);
	return rc;
}

int
config_run_command(const char *command, const char *what, char **output_r, GError **error)
{
	return config_run_command_timeout(command, what, CONFIG_COMMAND_TIMEOUT * 1000, output_r,
					  error);
}

int
account_get_password(const struct account *a, char **password_r, GError **error)
{
	if (a->password != NULL) {
		*password_r = g_strdup(a->password);
		return 0;
	}
	if (a->password_command != NULL)
		return config_run_command(a->password_command, "password_command", password_r,
					  error);
	g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD,
		    _("account '%s' has neither 'password' nor 'password_command'"), a->name);
	return -1;
}

int
account_get_smtp_secret(const struct account *a, char **secret_r, GError **error)
{
	if (a->smtp_auth == CONFIG_SMTP_AUTH_XOAUTH2 || a->smtp_auth == CONFIG_SMTP_AUTH_OAUTHBEARER)
		return account_get_oauth_token(a, secret_r, error);
	if (a->smtp_password_command != NULL)
		return config_run_command(a->smtp_password_command, "smtp_password_command",
					  secret_r, error);
	return account_get_password(a, secret_r, error);
}

const char *
account_smtp_user(const struct account *a)
{
	return a->smtp_user != NULL ? a->smtp_user : a->user;
}

int
account_get_oauth_token(const struct account *a, char **token_r, GError **error)
{
	if (a->oauth_token_command != NULL)
		return config_run_command(a->oauth_token_command, "oauth_token_command",
					  token_r, error);
	g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD,
		    _("account '%s' has no 'oauth_token_command'"), a->name);
	return -1;
}

/* ---- the secret kept for an account's connections ------------------------ */

enum secret_source {
	SECRET_NONE,    /* a tunnel without a password: PREAUTH */
	SECRET_FILE,    /* password = ... */
	SECRET_COMMAND, /* password_command */
	SECRET_TOKEN,   /* oauth_token_command */
	SECRET_TYPED,   /* neither: the caller asks (account_secret_set) */
};

struct account_secret {
	const struct account *account;
	enum secret_source source;
	char *secret;     /* NULL until looked up or typed */
	gint64 fetched;   /* monotonic time of the lookup (tokens) */
	guint runs;       /* commands run so far */
};

static bool
account_uses_oauth(const struct account *a)
{
	return a->auth == CONFIG_AUTH_XOAUTH2 || a->auth == CONFIG_AUTH_OAUTHBEARER;
}

struct account_secret *
account_secret_new(const struct account *a)
{
	struct account_secret *s = g_new0(struct account_secret, 1);

	s->account = a;
	if (account_uses_oauth(a) && a->oauth_token_command != NULL)
		s->source = SECRET_TOKEN;
	else if (a->password != NULL)
		s->source = SECRET_FILE;
	else if (a->password_command != NULL)
		s->source = SECRET_COMMAND;
	else if (a->tunnel != NULL)
		s->source = SECRET_NONE;
	else
		s->source = SECRET_TYPED;
	return s;
}

void
account_secret_free(struct account_secret **s)
{
	if (*s == NULL)
		return;
	config_secret_free(&(*s)->secret);
	g_free(*s);
	*s = NULL;
}

static bool
token_expired(const struct account_secret *s)
{
	gint64 age = g_get_monotonic_time() - s->fetched;

	return age >= (gint64)s->account->oauth_token_lifetime * G_USEC_PER_SEC;
}

bool
account_secret_will_run(const struct account_secret *s)
{
	switch (s->source) {
	case SECRET_COMMAND:
		return s->secret == NULL;
	case SECRET_TOKEN:
		return s->secret == NULL || token_expired(s);
	default:
		return false;
	}
}

int
account_secret_get(struct account_secret *s, const char **secret_r, GError **error)
{
	const struct account *a = s->account;
	int rc = 0;

	*secret_r = NULL;
	switch (s->source) {
	case SECRET_NONE:
		return 0;
	case SECRET_FILE:
		*secret_r = a->password;
		return 0;
	case SECRET_TYPED:
		if (s->secret == NULL) {
			g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD,
				    _("account '%s' has neither 'password' nor 'password_command'"),
				    a->name);
			return -1;
		}
		break;
	case SECRET_COMMAND:
	case SECRET_TOKEN:
		if (!account_secret_will_run(s))
			break;
		config_secret_free(&s->secret);
		s->runs++;
		rc = config_run_command(s->source == SECRET_TOKEN ? a->oauth_token_command :
								    a->password_command,
					s->source == SECRET_TOKEN ? "oauth_token_command" :
								    "password_command",
					&s->secret, error);
		s->fetched = g_get_monotonic_time();
		break;
	}
	if (rc == 0)
		*secret_r = s->secret;
	return rc;
}

void
account_secret_set(struct account_secret *s, const char *secret)
{
	config_secret_free(&s->secret);
	s->secret = g_strdup(secret);
	s->fetched = g_get_monotonic_time();
}

void
account_secret_refused(struct account_secret *s)
{
	/* A password from the file is what it is: nothing to look up again. */
	if (s->source != SECRET_FILE)
		config_secret_free(&s->secret);
}

guint
account_secret_runs(const struct account_secret *s)
{
	return s->runs;
}

/* tern — passwords and OAuth tokens: from the file or from a command.
 *
 * The command runs without a shell: its words are split as a shell would
 * (g_shell_parse_argv), a leading "~/" in a word is expanded, and nothing else
 * is interpreted. Its stdin is /dev/null, its stdout is read up to a cap, its
 * stderr goes to an unlinked temporary file so a chatty command can neither
 * block nor reach the terminal; the first line of it explains a failure. */
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

/* Read stdout up to CONFIG_MAX_COMMAND_OUTPUT (+1 to notice more). */
static int
read_stdout(GSubprocess *proc, GString *out, bool *too_long_r, GError **error)
{
	GInputStream *in = g_subprocess_get_stdout_pipe(proc);
	char chunk[4096];

	*too_long_r = false;
	for (;;) {
		gssize n = g_input_stream_read(in, chunk, sizeof(chunk), NULL, error);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (out->len + (gsize)n > CONFIG_MAX_COMMAND_OUTPUT) {
			*too_long_r = true;
			return 0;
		}
		g_string_append_len(out, chunk, n);
	}
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

int
config_run_command(const char *command, const char *what, char **output_r, GError **error)
{
	GSubprocess *proc = NULL;
	GString *out = g_string_new(NULL);
	GError *err = NULL;
	char **argv = NULL;
	char *tmp_path = NULL;
	bool too_long = false;
	int err_fd = -1, rc = -1;

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
	proc = spawn(argv, dup(err_fd), what, error);
	if (proc == NULL)
		goto out;
	if (read_stdout(proc, out, &too_long, &err) < 0 || too_long) {
		g_subprocess_force_exit(proc);
		g_subprocess_wait(proc, NULL, NULL);
		if (too_long)
			g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND,
				    ngettext("%s printed more than %d byte", "%s printed more than %d bytes",
					     CONFIG_MAX_COMMAND_OUTPUT),
				    what, CONFIG_MAX_COMMAND_OUTPUT);
		else
			g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, "%s: %s", what,
				    err->message);
		goto out;
	}
	if (!g_subprocess_wait(proc, NULL, &err)) {
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND, "%s: %s", what,
			    err->message);
		goto out;
	}
	if (!g_subprocess_get_successful(proc)) {
		set_exit_error(proc, what, err_fd, error);
		goto out;
	}
	rc = finish_output(g_steal_pointer(&out), what, output_r, error);
out:
	if (out != NULL) {
		memset(out->str, 0, out->len);
		g_string_free(out, TRUE);
	}
	if (err_fd >= 0)
		close(err_fd);
	g_clear_error(&err);
	g_clear_object(&proc);
	g_free(tmp_path);
	g_strfreev(argv);
	return rc;
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

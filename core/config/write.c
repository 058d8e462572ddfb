/* tern — write a first configuration file; the example shown when none exists. */
#include "config.h"

#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config/config-private.h"

const char *
config_example_text(void)
{
	return _("[account personal]\n"
		 "host = imap.example.com\n"
		 "user = me@example.com\n"
		 "# a command that prints the password (run without a shell)\n"
		 "password_command = pass show mail/me\n"
		 "default = true\n");
}

static const char *const tls_names[] = { "implicit", "starttls", "none" };
static const char *const auth_names[] = { "auto", "plain", "login", "xoauth2", "oauthbearer" };

static void
set_opt(GKeyFile *kf, const char *group, const char *key, const char *value)
{
	if (value != NULL)
		g_key_file_set_string(kf, group, key, value);
}

static char *
account_text(const struct account *a)
{
	GKeyFile *kf = g_key_file_new();
	char *group = g_strdup_printf("account %s", a->name);
	char *text;

	g_key_file_set_comment(kf, NULL, NULL, _(" tern configuration: see tern-config(5)"),
			       NULL);
	if (a->tunnel != NULL) {
		g_key_file_set_string(kf, group, "tunnel", a->tunnel);
	} else {
		set_opt(kf, group, "host", a->host);
		if (a->port != 0)
			g_key_file_set_integer(kf, group, "port", (int)a->port);
		g_key_file_set_string(kf, group, "tls", tls_names[a->tls]);
	}
	set_opt(kf, group, "user", a->user);
	set_opt(kf, group, "password", a->password);
	set_opt(kf, group, "password_command", a->password_command);
	if (a->auth != CONFIG_AUTH_AUTO)
		g_key_file_set_string(kf, group, "auth", auth_names[a->auth]);
	set_opt(kf, group, "oauth_token_command", a->oauth_token_command);
	if (a->is_default)
		g_key_file_set_boolean(kf, group, "default", TRUE);
	text = g_key_file_to_data(kf, NULL, NULL);
	g_key_file_free(kf);
	g_free(group);
	return text;
}

static int
write_all(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (gsize)n;
	}
	return 0;
}

int
config_write_new(const char *path, const struct account *a, GError **error)
{
	struct config *check = NULL;
	char *text = NULL, *dir = NULL;
	int fd = -1, rc = -1, saved;

	if (a->name == NULL || !config_name_is_valid(a->name)) {
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID,
			    _("invalid account name '%s' (use letters, digits and . _ @ + -)"),
			    a->name != NULL ? a->name : "");
		return -1;
	}
	text = account_text(a);
	if (config_load_data(path, text, strlen(text), &check, error) < 0)
		goto out;
	dir = g_path_get_dirname(path);
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		saved = errno;
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_IO, _("%s: cannot create: %s"), dir,
			    g_strerror(saved));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		saved = errno;
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_IO, _("%s: cannot create: %s"), path,
			    g_strerror(saved));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		saved = errno;
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_IO, _("%s: cannot write: %s"), path,
			    g_strerror(saved));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		saved = errno;
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_IO, _("%s: cannot write: %s"), path,
			    g_strerror(saved));
		unlink(path);
		rc = -1;
	}
	config_free(&check);
	if (text != NULL)
		memset(text, 0, strlen(text));
	g_free(text);
	g_free(dir);
	return rc;
}

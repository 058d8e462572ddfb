/* tern — ui/tui/setup: first run. With no configuration file, ask on the
 * terminal (plain lines, before the screen starts) for one account and
 * write it with config_write_new(), which checks it like any config. */
#include "config.h"
#include "core/common.h"

#include <stdio.h>
#include <string.h>

#include "core/config/config.h"
#include "ui/tui/tui-private.h"

#define SETUP_MAX_ANSWER 1024

/* One answer; def when empty. NULL at end of input. Transfer full. */
static char *
ask(const char *question, const char *def)
{
	char buf[SETUP_MAX_ANSWER];

	if (def != NULL && *def != '\0')
		printf("%s [%s]: ", question, def);
	else
		printf("%s: ", question);
	fflush(stdout);
	if (fgets(buf, sizeof(buf), stdin) == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	g_strstrip(buf);
	if (*buf == '\0' && def != NULL)
		return g_strdup(def);
	return g_strdup(buf);
}

static bool
yes(const char *answer)
{
	return answer != NULL && (*answer == '\0' || *answer == 'y' || *answer == 'Y');
}

static void
account_clear(struct account *a)
{
	g_free(a->host);
	g_free(a->user);
	g_free(a->password_command);
	g_free(a->tunnel);
	memset(a, 0, sizeof(*a));
}

/* The security answer, asked again until it is one we know; false at end
 * of input. Clear text is allowed on this machine only: offered there. */
static bool
ask_tls(const char *host, enum config_tls *tls_r)
{
	bool loopback = config_host_is_loopback(host);

	for (;;) {
		char *tls = ask(loopback ? _("Security: implicit (TLS, port 993), starttls "
					     "(port 143) or none (clear text, this machine only)") :
					   _("Security: implicit (TLS, port 993) or starttls (port 143)"),
				"implicit");
		bool known = true;

		if (tls == NULL)
			return false;
		if (g_ascii_strcasecmp(tls, "implicit") == 0)
			*tls_r = CONFIG_TLS_IMPLICIT;
		else if (g_ascii_strcasecmp(tls, "starttls") == 0)
			*tls_r = CONFIG_TLS_STARTTLS;
		else if (loopback && g_ascii_strcasecmp(tls, "none") == 0)
			*tls_r = CONFIG_TLS_NONE;
		else
			known = false;
		g_free(tls);
		if (known)
			return true;
		printf("%s\n", loopback ? _("Please answer implicit, starttls or none.") :
					  _("Please answer implicit or starttls."));
	}
}

/* Fill a from the answers; false at end of input. */
static bool
ask_account(struct account *a)
{
	char *port = NULL;
	bool ok = false;

	a->name = (char *)"main";
	a->is_default = true;
	a->auth = CONFIG_AUTH_AUTO;
	if ((a->host = ask(_("IMAP server (host name)"), NULL)) == NULL)
		goto out;
	if (!ask_tls(a->host, &a->tls))
		goto out;
	if ((port = ask(_("Port"), a->tls == CONFIG_TLS_IMPLICIT ? "993" : "143")) == NULL)
		goto out;
	a->port = (guint)g_ascii_strtoull(port, NULL, 10);
	if ((a->user = ask(_("User name"), NULL)) == NULL)
		goto out;
	a->password_command = ask(_("A command that prints the password (e.g. pass show "
				    "mail), or empty to type it at each start"),
				  "");
	if (a->password_command == NULL)
		goto out;
	if (*a->password_command == '\0')
		g_clear_pointer(&a->password_command, g_free);
	ok = true;
out:
	g_free(port);
	return ok;
}

int
tui_setup(const struct tern_globals *g, const char *path)
{
	struct account a = { 0 };
	GError *err = NULL;
	char *answer;
	int rc = TERN_EXIT_CONFIG;

	(void)g;
	printf(_("tern has no configuration file yet (%s).\n"), path);
	answer = ask(_("Set up an account now? (Y/n)"), "");
	if (!yes(answer)) {
		g_free(answer);
		printf(_("Create it (mode 0600) with an account like this:\n\n%s"),
		       config_example_text());
		return TERN_EXIT_CONFIG;
	}
	g_free(answer);
	if (!ask_account(&a)) {
		printf("\n");
		goto out;
	}
	if (config_write_new(path, &a, &err) < 0) {
		tern_error("%s", err->message);
		g_error_free(err);
		goto out;
	}
	printf(_("Wrote %s.\n"), path);
	rc = 0;
out:
	a.name = NULL;
	account_clear(&a);
	return rc;
}

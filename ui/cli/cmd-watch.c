/* tern — ui/cli/cmd-watch: `tern watch [--json]`, one line per folder that
 * changed, as it happens (for status bars), from the same watch as the
 * interface's folder pane (core/imap/watch.c). Nothing is printed at start;
 * a dropped link is connected again with a growing delay (1 s doubling to
 * WATCH_RECONNECT_MAX), and what changed meanwhile is printed then. SIGINT
 * and SIGTERM end it with 0. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#include "core/imap/watch.h"
#include "core/log.h"
#include "core/text/text.h"
#include "ui/cli/cli.h"

/* Reconnect after 1 s, doubling up to this (s). */
#define WATCH_RECONNECT_MAX 60

struct watch_run {
	struct cli_ctx ctx;          /* config, account and loop (no client) */
	struct account_secret *secret;
	struct imap_client *client;
	struct imap_watch *watch;
	bool json;
	guint delay;                 /* the next reconnect's, s */
	guint timer;                 /* the reconnect, or 0 */
	int rc;
};

static const char *const event_names[] = {
	[WATCH_NEW] = "new",
	[WATCH_EXPUNGE] = "expunge",
	[WATCH_FLAGS] = "flags",
	[WATCH_STATUS] = "status",
};

static void
print_json(const struct watch_change *ch)
{
	GString *j = g_string_new("{\"folder\": ");

	text_json_escape(j, ch->folder, (size_t)-1);
	g_string_append_printf(j, ", \"messages\": %u, \"unseen\": %u, \"event\": \"%s\"}\n",
			       ch->messages, ch->unseen, event_names[ch->event]);
	fputs(j->str, stdout);
	g_string_free(j, TRUE);
}

static void
print_plain(const struct watch_change *ch)
{
	char *line;

	switch (ch->event) {
	case WATCH_NEW:
		line = g_strdup_printf(ngettext("%s: %u new message (%u messages, %u unseen)",
						"%s: %u new messages (%u messages, %u unseen)",
						ch->added),
				       ch->folder, ch->added, ch->messages, ch->unseen);
		break;
	case WATCH_EXPUNGE:
		line = g_strdup_printf(_("%s: messages removed (%u messages, %u unseen)"),
				       ch->folder, ch->messages, ch->unseen);
		break;
	case WATCH_FLAGS:
		line = g_strdup_printf(_("%s: flags changed (%u messages, %u unseen)"), ch->folder,
				       ch->messages, ch->unseen);
		break;
	default:
		line = g_strdup_printf(_("%s: %u messages, %u unseen"), ch->folder, ch->messages,
				       ch->unseen);
		break;
	}
	cli_puts_safe(stdout, line);
	fputc('\n', stdout);
	g_free(line);
}

static void
changed(const struct watch_change *ch, void *ud)
{
	struct watch_run *run = ud;

	if (run->json)
		print_json(ch);
	else
		print_plain(ch);
	fflush(stdout); /* a status bar reads it now, not when a buffer fills */
}

static void start(struct watch_run *run);

static gboolean
reconnect_cb(gpointer ud)
{
	struct watch_run *run = ud;

	run->timer = 0;
	start(run);
	return G_SOURCE_REMOVE;
}

static gboolean
free_client_idle(gpointer data)
{
	struct imap_client *c = data;

	imap_client_free(&c);
	return G_SOURCE_REMOVE;
}

/* The connection failed or ended: give the client up (not inside its own
 * callback) and try again later; a refused login or a bad configuration
 * would only repeat, so that ends the command. */
static void
lost(struct watch_run *run, enum tern_status st, const char *detail)
{
	imap_watch_detach(run->watch);
	g_idle_add(free_client_idle, run->client);
	run->client = NULL;
	if (st == TERN_ERR_AUTH || st == TERN_ERR_CONFIG) {
		run->rc = cli_fail(st, "%s: %s", run->ctx.account->name,
				   detail != NULL ? detail : _("cannot connect"));
		g_main_loop_quit(run->ctx.loop);
		return;
	}
	run->delay = run->delay == 0 ? 1 : MIN(run->delay * 2, WATCH_RECONNECT_MAX);
	cli_fail(TERN_OK, ngettext("%s: %s (connecting again in %u second)",
				   "%s: %s (connecting again in %u seconds)", run->delay),
		 run->ctx.account->name, detail != NULL ? detail : _("connection lost"),
		 run->delay);
	run->timer = g_timeout_add_seconds(run->delay, reconnect_cb, run);
}

static void
on_event(struct imap_client *c, const struct imap_event *ev, void *ud)
{
	struct watch_run *run = ud;

	if (c != run->client || imap_watch_event(run->watch, ev))
		return;
	if (ev->type == IMAP_EVENT_CLOSED)
		lost(run, ev->status == TERN_OK ? TERN_ERR_CONN : ev->status, ev->text);
}

static void
connected(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct watch_run *run = ud;

	if (c != run->client)
		return;
	if (st != TERN_OK) {
		if (st == TERN_ERR_AUTH && imap_client_login_refused(c))
			account_secret_refused(run->secret);
		lost(run, st, detail);
		return;
	}
	if (run->delay > 0)
		cli_fail(TERN_OK, _("%s: connected again"), run->ctx.account->name);
	run->delay = 0;
	imap_watch_attach(run->watch, c, NULL);
}

static void
start(struct watch_run *run)
{
	static const struct imap_client_callbacks cb = { .event = on_event };
	const char *secret = NULL;
	GError *err = NULL;

	if (account_secret_get(run->secret, &secret, &err) < 0) {
		run->rc = cli_fail(TERN_ERR_CONFIG, "%s", err->message);
		g_error_free(err);
		g_main_loop_quit(run->ctx.loop);
		return;
	}
	run->client = imap_client_new(run->ctx.account, secret, &cb, run);
	imap_client_connect(run->client, connected, run);
}

static gboolean
on_signal(gpointer ud)
{
	struct watch_run *run = ud;

	g_main_loop_quit(run->ctx.loop);
	return G_SOURCE_CONTINUE;
}

int
cli_cmd_watch(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "json", NULL }, { NULL, NULL } };
	struct watch_run run = { 0 };
	struct cli_args args;
	char *err = NULL;
	guint sig_int, sig_term;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 0) {
		run.rc = cli_fail(TERN_ERR_USAGE, "%s",
				  err != NULL ? err : _("usage: tern watch [--json]"));
		g_free(err);
		cli_args_clear(&args);
		return run.rc;
	}
	run.json = cli_args_has(&args, "json");
	cli_args_clear(&args);
	if ((run.rc = cli_open_config(g, &run.ctx)) != 0) {
		cli_close(&run.ctx);
		return run.rc;
	}
	if (g->offline) {
		cli_close(&run.ctx);
		return cli_fail(TERN_ERR_CONN, _("--offline: this command needs the server"));
	}
	run.secret = account_secret_new(run.ctx.account);
	run.watch = imap_watch_new(run.ctx.cfg->ui.poll_interval, changed, &run);
	sig_int = g_unix_signal_add(SIGINT, on_signal, &run);
	sig_term = g_unix_signal_add(SIGTERM, on_signal, &run);
	start(&run);
	if (run.rc == 0)
		g_main_loop_run(run.ctx.loop);
	g_source_remove(sig_int);
	g_source_remove(sig_term);
	if (run.timer != 0)
		g_source_remove(run.timer);
	imap_client_free(&run.client);
	imap_watch_free(&run.watch);
	/* a client given up just before the end is freed by its idle */
	while (g_main_context_iteration(NULL, FALSE))
		;
	account_secret_free(&run.secret);
	cli_close(&run.ctx);
	return run.rc;
}

/* tern — a test driver for the selected folder's sequence-number map
 * (core/imap/client.c): open FOLDER of the config's account, learn every
 * UID (UID FETCH 1:* (UID FLAGS)), print "READY <messages>", then IDLE and
 * print one line for each update that the map answers:
 *   EXPUNGE <seq> <uid>   an EXPUNGE and the UID the map gave it (0: unknown)
 *   FLAGS <seq> <uid>     a flag update, with its UID or the map's
 * until stdin ends; then LOGOUT. --debug writes the protocol trace to the
 * log, as tern --debug does.
 *   imap-events [--debug] CONFIG FOLDER
 * Exit codes as tern's. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "core/common.h"
#include "core/config/config.h"
#include "core/imap/client.h"
#include "core/log.h"

struct run {
	GMainLoop *loop;
	enum tern_status st;
	char *detail;
	guint32 exists;
};

static void
finished(struct run *r, enum tern_status st, const char *detail)
{
	r->st = st;
	g_free(r->detail);
	r->detail = g_strdup(detail);
	g_main_loop_quit(r->loop);
}

static void
on_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	finished(ud, st, detail);
}

static void
on_select(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_mailbox_info *info, void *ud)
{
	struct run *r = ud;

	if (info != NULL)
		r->exists = info->exists;
	finished(r, st, detail);
}

static void
on_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
}

static void
on_event(struct imap_client *c, const struct imap_event *ev, void *ud)
{
	if (ev->type == IMAP_EVENT_EXPUNGE)
		printf("EXPUNGE %u %u\n", ev->seq, ev->summary->uid);
	else if (ev->type == IMAP_EVENT_FLAGS)
		printf("FLAGS %u %u\n", ev->seq, ev->summary->uid);
	else
		return;
	fflush(stdout);
}

/* stdin ended (or said anything): time to leave. */
static gboolean
on_stdin(gint fd, GIOCondition cond, gpointer ud)
{
	g_main_loop_quit(((struct run *)ud)->loop);
	return G_SOURCE_REMOVE;
}

/* Each step answers once, from the loop. */
static bool
step_ok(struct run *r)
{
	g_main_loop_run(r->loop);
	return r->st == TERN_OK;
}

static void
watch(struct imap_client *c, struct run *r)
{
	printf("READY %u\n", r->exists);
	fflush(stdout);
	imap_client_idle(c);
	g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, r);
	g_main_loop_run(r->loop);
}

/* Connect, open the folder, learn its UIDs, watch, leave; r->st says how
 * far it went. */
static void
session(struct imap_client *c, struct run *r, const char *folder)
{
	imap_client_connect(c, on_done, r);
	if (!step_ok(r))
		return;
	imap_client_select(c, folder, false, on_select, r);
	if (!step_ok(r))
		return;
	imap_client_fetch_flags(c, "1:*", 0, on_batch, on_done, r);
	if (!step_ok(r))
		return;
	watch(c, r);
	imap_client_logout(c, on_done, r);
	step_ok(r);
}

int
main(int argc, char **argv)
{
	static const struct imap_client_callbacks cb = { .event = on_event };
	struct run r = { 0 };
	struct config *cfg = NULL;
	const struct account *a;
	struct imap_client *c;
	GError *err = NULL;
	char *pw = NULL;
	int i = 1;

	if (argc > 1 && strcmp(argv[1], "--debug") == 0) {
		i++;
		if (log_open() < 0)
			fprintf(stderr, "imap-events: no log\n");
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: imap-events [--debug] CONFIG FOLDER\n");
		return TERN_EXIT_USAGE;
	}
	if (config_load(argv[i], &cfg, &err) < 0 || (a = config_pick_account(cfg, NULL, &err)) == NULL ||
	    account_get_password(a, &pw, &err) < 0) {
		fprintf(stderr, "imap-events: %s\n", err->message);
		g_error_free(err);
		config_free(&cfg);
		return TERN_EXIT_CONFIG;
	}
	r.loop = g_main_loop_new(NULL, FALSE);
	c = imap_client_new(a, pw, &cb, &r);
	config_secret_free(&pw);
	session(c, &r, argv[i + 1]);
	if (r.st != TERN_OK)
		fprintf(stderr, "imap-events: %s\n", r.detail != NULL ? r.detail : "failed");
	g_free(r.detail);
	imap_client_free(&c);
	g_main_loop_unref(r.loop);
	config_free(&cfg);
	log_close();
	return tern_status_exit_code(r.st);
}

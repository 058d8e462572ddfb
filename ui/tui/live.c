/* tern — ui/tui/live: every folder's counts and new mail anywhere (#16).
 *
 * core/imap/watch.c keeps the folders' counts (NOTIFY, else a poll every
 * poll_interval) and tells what changed; here that reaches the screen: the
 * folder pane's counts, a mark on each folder with new mail until it is
 * opened, the status line saying where, and `new_mail_command`. The open
 * folder's news come through conn.c (EXISTS), which calls live_new_mail()
 * the same way. The user's own moves and copies are announced first
 * (live_expect()), so that they are no new mail. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/watch.h"
#include "core/log.h"
#include "ui/tui/tui-private.h"

/* Folders marked as having new mail (more are not marked). */
#define LIVE_MAX_MARKED FOLDER_TREE_MAX

static void
command_ended(GPid pid, gint status, gpointer data)
{
	struct tui *t = data;

	g_spawn_close_pid(pid);
	t->live_command = 0;
}

/* new_mail_command FOLDER COUNT, without a shell, its output to /dev/null
 * (the screen is ours). One at a time: new mail while it runs is still
 * marked and told, but starts no second one (a flood starts one). */
static void
run_command(struct tui *t, const char *folder, guint count)
{
	const char *cmd = t->cfg->ui.new_mail_command;
	char **argv = NULL, **full;
	GError *err = NULL;
	GPid pid;
	guint n;

	if (cmd == NULL || t->live_command != 0)
		return;
	if (!g_shell_parse_argv(cmd, NULL, &argv, &err)) {
		tui_error(t, _("new_mail_command: %s"), err->message);
		g_error_free(err);
		return;
	}
	n = g_strv_length(argv);
	full = g_new0(char *, n + 3);
	memcpy(full, argv, n * sizeof(char *));
	full[n] = (char *)folder;
	full[n + 1] = g_strdup_printf("%u", count);
	if (g_spawn_async(NULL, full, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL, NULL, &pid, &err)) {
		t->live_command = g_child_watch_add(pid, command_ended, t);
	} else {
		tui_error(t, _("new_mail_command: %s"), err->message);
		g_error_free(err);
	}
	g_free(full[n + 1]);
	g_free(full);
	g_strfreev(argv);
}

void
live_new_mail(struct tui *t, const char *folder, guint count)
{
	if (count == 0 || folder == NULL)
		return;
	if (g_strcmp0(folder, t->folder) != 0 && folder_tree_find(t->folders, folder) != NULL &&
	    g_hash_table_size(t->live_marked) < LIVE_MAX_MARKED)
		g_hash_table_add(t->live_marked, g_strdup(folder));
	tui_info(t, ngettext("New mail in %s: %u message", "New mail in %s: %u messages", count),
		 folder, count);
	run_command(t, folder, count);
	tui_dirty(t);
}

static void
changed(const struct watch_change *ch, void *ud)
{
	struct tui *t = ud;

	log_debug("watch: %s changed (%d): %u messages, %u unseen, %u new", ch->folder,
		  (int)ch->event, ch->messages, ch->unseen, ch->added);
	folder_tree_set_counts(t->folders, ch->folder, ch->messages, ch->unseen);
	if (ch->event == WATCH_NEW)
		live_new_mail(t, ch->folder, ch->added);
	tui_dirty(t);
}

void
live_init(struct tui *t)
{
	t->watch = imap_watch_new(t->cfg->ui.poll_interval, changed, t);
	t->live_marked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void
live_free(struct tui *t)
{
	imap_watch_free(&t->watch);
	g_clear_pointer(&t->live_marked, g_hash_table_destroy);
	if (t->live_command != 0)
		g_source_remove(t->live_command); /* it runs on; nobody waits */
	t->live_command = 0;
}

void
live_folders(struct tui *t, const GPtrArray *folders)
{
	if (t->watch == NULL || t->client == NULL)
		return;
	if (!t->live_attached) {
		/* The first list of this connection: the watch starts from it
		 * (after a reconnect, what changed meanwhile is news). */
		t->live_attached = true;
		imap_watch_set_selected(t->watch, t->folder);
		imap_watch_attach(t->watch, t->client, folders);
		return;
	}
	imap_watch_folders(t->watch, folders);
}

void
live_detach(struct tui *t)
{
	t->live_attached = false;
	if (t->watch != NULL)
		imap_watch_detach(t->watch);
}

bool
live_event(struct tui *t, const struct imap_event *ev)
{
	return t->watch != NULL && imap_watch_event(t->watch, ev);
}

void
live_leaving(struct tui *t)
{
	if (t->watch == NULL || t->folder == NULL || !t->loaded)
		return;
	imap_watch_set_counts(t->watch, t->folder, t->list->total, t->list->unread,
			      MAX(t->info.uidnext, t->top_uid + 1));
}

void
live_opened(struct tui *t, const char *folder)
{
	if (t->live_marked != NULL && folder != NULL)
		g_hash_table_remove(t->live_marked, folder);
	if (t->watch != NULL)
		imap_watch_set_selected(t->watch, folder);
}

bool
live_marked(struct tui *t, const char *folder)
{
	return t->live_marked != NULL && g_hash_table_contains(t->live_marked, folder);
}

void
live_expect(struct tui *t, const char *folder, guint n)
{
	if (t->watch != NULL)
		imap_watch_expect(t->watch, folder, n);
}

void
live_unexpect(struct tui *t, const char *folder, guint n)
{
	if (t->watch != NULL)
		imap_watch_unexpect(t->watch, folder, n);
}

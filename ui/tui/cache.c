/* tern — ui/tui/cache: the interface on the account's SQLite cache.
 *
 * A folder opens on what the cache holds (no round trip), then conn.c
 * resyncs it in the background. Events from the server, the user's own
 * flag changes and moves, and bodies the viewer fetched are written back
 * here, so the next start (or an offline one) shows the same thing.
 *
 * A cache that cannot be written is not a reason to stop reading mail: a
 * failed write is logged, said once on the message line, and the cache is
 * left alone for the rest of the session. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/log.h"
#include "core/store/store.h"
#include "ui/tui/tui-private.h"

/* A store call failed: say so once, then stop writing. */
static void
cache_failed(struct tui *t, GError *err)
{
	log_warn("cache: %s", err != NULL ? err->message : "?");
	if (!t->cache_broken)
		tui_error(t, _("The cache cannot be used: %s"), err != NULL ? err->message : "");
	t->cache_broken = true;
	g_clear_error(&err);
}

static bool
can_write(struct tui *t)
{
	return t->store != NULL && !t->cache_read_only && !t->cache_broken &&
	       t->folder != NULL && t->cache_uidvalidity != 0;
}

void
cache_open(struct tui *t)
{
	GError *err = NULL;
	char *warning = NULL;
	char *path;

	if (t->g->no_cache)
		return;
	path = store_account_path(t->account->name);
	t->cache_read_only = t->g->offline;
	if (store_open(path, t->cache_read_only ? STORE_OPEN_READ_ONLY : 0, &t->store, &warning,
		       &err) < 0) {
		if (!g_error_matches(err, STORE_ERROR, STORE_ERROR_MISSING))
			tui_error(t, _("The cache cannot be used: %s"), err->message);
		g_clear_error(&err);
		t->store = NULL;
	} else if (warning != NULL) {
		tui_error(t, "%s", warning);
	}
	g_free(warning);
	g_free(path);
}

void
cache_close(struct tui *t)
{
	store_free(&t->store);
	t->cache_broken = false;
	t->cache_uidvalidity = 0;
}

bool
cache_usable(struct tui *t)
{
	return t->store != NULL && !t->cache_broken;
}

int
cache_folder(struct tui *t, const char *folder, struct store_folder *f_r)
{
	GError *err = NULL;
	int found;

	if (!cache_usable(t))
		return 0;
	found = store_folder_get(t->store, folder, f_r, &err);
	if (found < 0) {
		cache_failed(t, err);
		return 0;
	}
	return found;
}

/* Add (or update) every cached summary of the open folder in the list;
 * with prune, drop what the cache does not hold. */
static int
load_into_list(struct tui *t, guint32 uidvalidity, bool prune)
{
	GArray *sums = NULL;
	GHashTable *have = NULL;
	GError *err = NULL;

	if (store_messages_load(t->store, t->folder, uidvalidity, NULL, &sums, &err) < 0) {
		cache_failed(t, err);
		return -1;
	}
	if (prune)
		have = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);
		struct msg *m = message_list_get(t->list, s->uid);

		if (m != NULL)
			message_list_set_flags(t->list, m, s->flags);
		else
			message_list_add(t->list, s);
		if (s->uid > t->top_uid)
			t->top_uid = s->uid;
		if (have != NULL)
			g_hash_table_add(have, GUINT_TO_POINTER(s->uid));
		imap_summary_clear(s);
	}
	g_array_unref(sums);
	if (have != NULL) {
		GArray *gone = g_array_new(FALSE, FALSE, sizeof(guint32));
		GHashTableIter it;
		gpointer k;

		g_hash_table_iter_init(&it, t->list->by_uid);
		while (g_hash_table_iter_next(&it, &k, NULL))
			if (!g_hash_table_contains(have, k))
				g_array_append_vals(gone, &(guint32){ GPOINTER_TO_UINT(k) }, 1);
		for (guint i = 0; i < gone->len; i++)
			message_list_remove(t->list, g_array_index(gone, guint32, i));
		g_array_free(gone, TRUE);
		g_hash_table_destroy(have);
	}
	tui_dirty(t);
	return 0;
}

bool
cache_show_folder(struct tui *t)
{
	struct store_folder f;

	if (t->folder == NULL || cache_folder(t, t->folder, &f) != 1)
		return false;
	if (load_into_list(t, f.uidvalidity, false) < 0)
		return false;
	t->cache_uidvalidity = f.uidvalidity;
	return true;
}

void
cache_reload_folder(struct tui *t, guint32 uidvalidity, bool replace)
{
	if (!cache_usable(t) || t->folder == NULL)
		return;
	if (replace)
		message_list_clear(t->list);
	t->cache_uidvalidity = uidvalidity;
	load_into_list(t, uidvalidity, true);
}

void
cache_show_folders(struct tui *t)
{
	GPtrArray *names = NULL, *folders;
	GError *err = NULL;

	if (!cache_usable(t))
		return;
	if (store_folder_names(t->store, &names, &err) < 0) {
		cache_failed(t, err);
		return;
	}
	folders = g_ptr_array_new_with_free_func((GDestroyNotify)imap_folder_free);
	for (guint i = 0; i < names->len; i++) {
		struct imap_folder *f = g_new0(struct imap_folder, 1);
		struct store_folder sf;
		guint n = 0;

		f->name = g_strdup(names->pdata[i]);
		f->wire_name = g_strdup(names->pdata[i]);
		f->delimiter = '/';
		f->attr_names = g_ptr_array_new_with_free_func(g_free);
		f->role = g_ascii_strcasecmp(f->name, "INBOX") == 0 ? FOLDER_ROLE_INBOX :
								      FOLDER_ROLE_NONE;
		f->messages = -1;
		f->unseen = -1;
		if (store_folder_get(t->store, f->name, &sf, NULL) == 1 &&
		    store_messages_count(t->store, f->name, sf.uidvalidity, &n, NULL) == 0)
			f->messages = n;
		g_ptr_array_add(folders, f);
	}
	folder_tree_set(t->folders, folders);
	if (t->folder != NULL)
		folder_tree_select_name(t->folders, t->folder);
	g_ptr_array_unref(folders);
	g_ptr_array_unref(names);
	tui_dirty(t);
}

void
cache_start_folder(struct tui *t, const struct imap_mailbox_info *info)
{
	struct store_folder f = { .uidvalidity = info->uidvalidity };
	GError *err = NULL;

	t->cache_uidvalidity = info->uidvalidity;
	if (t->cache_read_only || !cache_usable(t) || info->uidvalidity == 0)
		return;
	/* UIDNEXT 0 until the whole folder is in: an interrupted load is
	 * fetched again by the next resync. */
	if (store_folder_set(t->store, t->folder, &f, &err) < 0)
		cache_failed(t, err);
}

void
cache_finish_folder(struct tui *t, const struct imap_mailbox_info *info)
{
	struct store_folder f = { .uidvalidity = info->uidvalidity,
				  .uidnext = info->uidnext,
				  .highestmodseq = info->highestmodseq };
	GError *err = NULL;

	GArray *uids = NULL, *gone;

	if (!can_write(t) || info->uidvalidity != t->cache_uidvalidity || info->uidnext == 0)
		return;
	/* Rows of an earlier, interrupted load that the server no longer has. */
	if (store_messages_uids(t->store, t->folder, info->uidvalidity, &uids, &err) < 0) {
		cache_failed(t, err);
		return;
	}
	gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < uids->len; i++) {
		guint32 uid = g_array_index(uids, guint32, i);

		if (uid < info->uidnext && message_list_get(t->list, uid) == NULL)
			g_array_append_val(gone, uid);
	}
	g_array_unref(uids);
	cache_remove(t, (const guint32 *)(void *)gone->data, gone->len);
	g_array_unref(gone);
	if (!t->cache_broken && store_folder_set(t->store, t->folder, &f, &err) < 0)
		cache_failed(t, err);
}

void
cache_put(struct tui *t, const struct imap_summary *sums, guint n)
{
	GError *err = NULL;

	if (n == 0 || !can_write(t))
		return;
	if (store_messages_put(t->store, t->folder, t->cache_uidvalidity, sums, n, &err) < 0)
		cache_failed(t, err);
}

void
cache_set_flags(struct tui *t, const struct imap_summary *s)
{
	GError *err = NULL;

	if (!can_write(t))
		return;
	if (store_messages_set_flags(t->store, t->folder, t->cache_uidvalidity, s, 1, &err) < 0)
		cache_failed(t, err);
}

void
cache_flag_bit(struct tui *t, const GArray *uids, guint bit, bool add)
{
	GArray *sums = NULL;
	GError *err = NULL;

	if (uids == NULL || uids->len == 0 || !can_write(t))
		return;
	/* Through the cached summaries, so that keywords stay. */
	if (store_messages_load(t->store, t->folder, t->cache_uidvalidity, uids, &sums, &err) < 0) {
		cache_failed(t, err);
		return;
	}
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);

		s->flags = add ? s->flags | bit : s->flags & ~bit;
		s->modseq = 0;
	}
	if (sums->len > 0 &&
	    store_messages_set_flags(t->store, t->folder, t->cache_uidvalidity,
				     (const struct imap_summary *)(void *)sums->data, sums->len,
				     &err) < 0)
		cache_failed(t, err);
	for (guint i = 0; i < sums->len; i++)
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	g_array_unref(sums);
}

void
cache_remove(struct tui *t, const guint32 *uids, guint n)
{
	GError *err = NULL;

	if (n == 0 || !can_write(t))
		return;
	if (store_messages_remove(t->store, t->folder, t->cache_uidvalidity, uids, n, &err) < 0)
		cache_failed(t, err);
}

GBytes *
cache_body_get(struct tui *t, const char *folder, guint32 uid)
{
	GBytes *data = NULL;
	GError *err = NULL;
	int found;

	if (!cache_usable(t) || t->cache_uidvalidity == 0 || g_strcmp0(folder, t->folder) != 0)
		return NULL;
	found = store_body_get(t->store, folder, t->cache_uidvalidity, uid, &data, &err);
	if (found < 0)
		cache_failed(t, err);
	return found == 1 ? data : NULL;
}

void
cache_body_put(struct tui *t, const char *folder, guint32 uid, GBytes *data)
{
	GError *err = NULL;

	if (!can_write(t) || g_strcmp0(folder, t->folder) != 0)
		return;
	if (store_body_put(t->store, folder, t->cache_uidvalidity, uid, data, &err) < 0)
		cache_failed(t, err);
}

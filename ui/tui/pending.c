/* tern — ui/tui/pending: the user's changes between the key press and the
 * server's answer. This file is their one owner.
 *
 * A change is written ahead into the cache's journal, claimed by this
 * process, before its command is sent: the server's answer (done or
 * refused) deletes it; a lost answer (the connection dropped, tern quit
 * before it came) releases it, and it waits in line to be sent by the next
 * connection; if tern is killed, the claim goes stale and the next run
 * sends it. Without a usable cache it is kept in memory only, and a lost
 * answer queues it in the journal if one can be written by then.
 *
 * Quitting while changes wait for their answer keeps the loop running
 * (bounded by the account's timeout, the status line says so) until the
 * last one is answered; what is still open then stays in the journal. */
#include "config.h"
#include "core/common.h"

#include "core/log.h"
#include "ui/tui/tui-private.h"

struct pending {
	struct tui *t;
	char *folder;
	guint32 uidvalidity;
	enum store_action_kind kind;
	GArray *uids;
	char *arg;
	gint64 journal_id; /* 0: not written ahead */
};

struct pending *
pending_begin(struct tui *t, const char *folder, guint32 uidvalidity,
	      enum store_action_kind kind, const GArray *uids, const char *arg)
{
	struct pending *p = g_new0(struct pending, 1);

	p->t = t;
	p->folder = g_strdup(folder);
	p->uidvalidity = uidvalidity;
	p->kind = kind;
	p->uids = g_array_copy((GArray *)uids);
	p->arg = g_strdup(arg);
	if (cache_journal_begin(t, folder, uidvalidity, kind, uids, arg, &p->journal_id) < 0)
		p->journal_id = 0;
	if (t->pending == NULL)
		t->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_hash_table_add(t->pending, p);
	return p;
}

static void
pending_destroy(struct pending *p)
{
	g_array_unref(p->uids);
	g_free(p->folder);
	g_free(p->arg);
	g_free(p);
}

bool
pending_end(struct pending **pp, enum tern_status st)
{
	struct pending *p = *pp;
	struct tui *t;
	bool queued = false;

	if (p == NULL)
		return false;
	*pp = NULL;
	t = p->t;
	if (st == TERN_OK || tern_status_answered(st)) {
		if (p->journal_id != 0)
			cache_journal_end(t, p->journal_id, true);
	} else if (p->journal_id != 0) {
		queued = cache_journal_end(t, p->journal_id, false) == 0;
	} else {
		queued = cache_queue_in(t, p->folder, p->uidvalidity, p->kind, p->uids,
					p->arg) == 0;
		if (!queued)
			log_warn("a change to %s could not be sent nor queued", p->folder);
	}
	g_hash_table_remove(t->pending, p);
	pending_destroy(p);
	tui_quit_check(t);
	return queued;
}

guint
pending_count(struct tui *t)
{
	return t->pending != NULL ? g_hash_table_size(t->pending) : 0;
}

/* At the very end: every change still open is ended as lost (queued).
 * Returns how many could not be queued. */
guint
pending_abandon(struct tui *t)
{
	GHashTableIter it;
	gpointer k;
	guint lost = 0;

	if (t->pending == NULL)
		return 0;
	for (;;) {
		struct pending *p;

		g_hash_table_iter_init(&it, t->pending);
		if (!g_hash_table_iter_next(&it, &k, NULL))
			break;
		p = k;
		if (!pending_end(&p, TERN_ERR_CANCELLED))
			lost++;
	}
	g_hash_table_destroy(t->pending);
	t->pending = NULL;
	return lost;
}

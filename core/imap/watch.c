/* tern — core/imap/watch: every folder's counts, kept live (watch.h).
 *
 * The table is keyed twice: by the name as LIST sent it (modified UTF-7)
 * and by the decoded UTF-8 name, because Dovecot 2.3's NOTIFY names folders
 * in UTF-8 in its STATUS lines. Each entry is compared with each update and
 * only a change is told. */
#include "config.h"

#include <string.h>

#include "core/imap/watch.h"
#include "core/log.h"

struct watch_entry {
	char *name;         /* decoded UTF-8 (the key of by_name) */
	char *wire;         /* as LIST sent it (the key of by_wire) */
	bool has_messages, has_unseen;
	guint32 messages, unseen;
	guint32 uidnext;    /* 0: unknown */
	guint own;          /* the user's own messages still to come */
	gint64 own_since;   /* monotonic µs of the last imap_watch_expect() */
};

/* One command of the watch waiting for the client's answer. */
struct watch_op {
	struct imap_watch *w;
};

enum watch_state {
	WATCH_DETACHED,
	WATCH_LISTING,   /* the first LIST of this connection */
	WATCH_NOTIFY,    /* NOTIFY SET sent or on */
	WATCH_POLLING,
};

struct imap_watch {
	guint poll_interval;
	imap_watch_fn *fn;
	void *ud;
	struct imap_client *client; /* transfer none; NULL when detached */
	enum watch_state state;
	bool primed;                /* the table was filled once */
	GHashTable *by_name;        /* char * -> struct watch_entry * (owned) */
	GHashTable *by_wire;        /* char * -> struct watch_entry * */
	char *selected;
	guint timer;
	guint relist_timer;         /* a LIST soon: a STATUS named an unknown folder */
	struct watch_op *list_op;   /* a LIST in flight, or NULL */
	struct watch_op *notify_op; /* NOTIFY in flight, or NULL */
};

static void
entry_free(gpointer p)
{
	struct watch_entry *e = p;

	g_free(e->name);
	g_free(e->wire);
	g_free(e);
}

struct imap_watch *
imap_watch_new(guint poll_interval, imap_watch_fn *fn, void *ud)
{
	struct imap_watch *w = g_new0(struct imap_watch, 1);

	w->poll_interval = MAX(poll_interval, 1);
	w->fn = fn;
	w->ud = ud;
	w->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
	w->by_wire = g_hash_table_new(g_str_hash, g_str_equal);
	return w;
}

void
imap_watch_free(struct imap_watch **wp)
{
	struct imap_watch *w = *wp;

	if (w == NULL)
		return;
	imap_watch_detach(w);
	g_hash_table_destroy(w->by_wire);
	g_hash_table_destroy(w->by_name);
	g_free(w->selected);
	g_free(w);
	*wp = NULL;
}

/* ---- comparing ------------------------------------------------------------ */

/* What an update says, in the table's terms. */
struct watch_update {
	guint present; /* IMAP_FSTATUS_* */
	guint32 messages, unseen, uidnext;
};

static guint
take_own(struct watch_entry *e, guint32 added)
{
	guint own;

	if (e->own > 0 && g_get_monotonic_time() - e->own_since > WATCH_OWN_TIMEOUT * G_USEC_PER_SEC)
		e->own = 0;
	own = MIN(e->own, added);
	e->own -= own;
	return own;
}

/* What changed, or -1 for nothing; *added_r: new messages not the user's. */
static int
classify(struct watch_entry *e, const struct watch_update *u, guint32 *added_r)
{
	bool more = false;
	guint32 added = 0;

	*added_r = 0;
	if ((u->present & IMAP_FSTATUS_UIDNEXT) && e->uidnext != 0) {
		if (u->uidnext > e->uidnext)
			added = u->uidnext - e->uidnext;
	} else if ((u->present & IMAP_FSTATUS_MESSAGES) && e->has_messages &&
		   u->messages > e->messages) {
		added = u->messages - e->messages; /* no UIDNEXT to compare: the count will do */
	}
	if (added > 0) {
		*added_r = added - take_own(e, added);
		return *added_r > 0 ? WATCH_NEW : WATCH_STATUS;
	}
	if ((u->present & IMAP_FSTATUS_MESSAGES) && e->has_messages) {
		if (u->messages < e->messages)
			return WATCH_EXPUNGE;
		more = u->messages > e->messages;
	}
	if ((u->present & IMAP_FSTATUS_UNSEEN) && e->has_unseen && u->unseen != e->unseen)
		return more ? WATCH_STATUS : WATCH_FLAGS;
	return more ? WATCH_STATUS : -1;
}

static void
store_update(struct watch_entry *e, const struct watch_update *u)
{
	if (u->present & IMAP_FSTATUS_MESSAGES) {
		e->messages = u->messages;
		e->has_messages = true;
	}
	if (u->present & IMAP_FSTATUS_UNSEEN) {
		e->unseen = u->unseen;
		e->has_unseen = true;
	}
	if ((u->present & IMAP_FSTATUS_UIDNEXT) && u->uidnext > e->uidnext)
		e->uidnext = u->uidnext;
}

/* Compare, store, and tell a change (unless quiet or the folder is open). */
static void
apply(struct imap_watch *w, struct watch_entry *e, const struct watch_update *u, bool quiet)
{
	struct watch_change ch = { .folder = e->name };
	guint32 added;
	int kind = classify(e, u, &added);

	store_update(e, u);
	if (kind < 0 || quiet || g_strcmp0(w->selected, e->name) == 0)
		return;
	ch.event = (enum watch_event)kind;
	ch.messages = e->messages;
	ch.unseen = e->has_unseen ? e->unseen : 0;
	ch.added = added;
	w->fn(&ch, w->ud);
}

static struct watch_entry *
lookup(struct imap_watch *w, const char *wire, const char *name)
{
	struct watch_entry *e = g_hash_table_lookup(w->by_wire, wire);

	if (e == NULL && name != NULL)
		e = g_hash_table_lookup(w->by_name, name);
	/* Dovecot 2.3 after NOTIFY: the UTF-8 name where LIST gave mUTF-7. */
	if (e == NULL && g_utf8_validate(wire, -1, NULL))
		e = g_hash_table_lookup(w->by_name, wire);
	return e;
}

static void list_now(struct imap_watch *w);

static gboolean
relist_cb(gpointer data)
{
	struct imap_watch *w = data;

	w->relist_timer = 0;
	list_now(w);
	return G_SOURCE_REMOVE;
}

static void
relist_soon(struct imap_watch *w)
{
	if (w->client != NULL && w->relist_timer == 0 && w->state != WATCH_LISTING)
		w->relist_timer = g_timeout_add_seconds(WATCH_RELIST_DELAY, relist_cb, w);
}

bool
imap_watch_event(struct imap_watch *w, const struct imap_event *ev)
{
	const struct imap_folder_status *fs = ev->fstatus;
	struct watch_update u;
	struct watch_entry *e;

	if (ev->type != IMAP_EVENT_STATUS || fs == NULL)
		return false;
	e = lookup(w, fs->wire_name, fs->name);
	if (e == NULL) {
		/* A folder no LIST named (made since, or a lie): nothing is
		 * kept, but the list is made again soon (once however many). */
		relist_soon(w);
		return true;
	}
	u.present = fs->present;
	u.messages = fs->messages;
	u.unseen = fs->unseen;
	u.uidnext = fs->uidnext;
	apply(w, e, &u, false);
	return true;
}

/* ---- folder lists --------------------------------------------------------- */

static struct watch_entry *
add_entry(struct imap_watch *w, const struct imap_folder *f)
{
	struct watch_entry *e;

	if (g_hash_table_size(w->by_name) >= WATCH_MAX_FOLDERS ||
	    g_hash_table_contains(w->by_wire, f->wire_name))
		return NULL;
	e = g_new0(struct watch_entry, 1);
	e->name = g_strdup(f->name);
	e->wire = g_strdup(f->wire_name);
	g_hash_table_replace(w->by_name, e->name, e);
	g_hash_table_insert(w->by_wire, e->wire, e);
	return e;
}

/* A folder no longer listed goes (deleted or renamed by another client). */
static void
drop_unlisted(struct imap_watch *w, GHashTable *listed)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, w->by_name);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct watch_entry *e = v;

		if (!g_hash_table_contains(listed, e->wire)) {
			g_hash_table_remove(w->by_wire, e->wire);
			g_hash_table_iter_remove(&it);
		}
	}
}

static void
learn_folders(struct imap_watch *w, const GPtrArray *folders, bool quiet)
{
	GHashTable *listed = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; folders != NULL && i < folders->len; i++) {
		const struct imap_folder *f = folders->pdata[i];
		struct watch_update u = { 0 };
		struct watch_entry *e;
		bool fresh = false;

		if (f->name == NULL || f->wire_name == NULL || f->messages < 0 ||
		    (f->attrs & IMAP_FOLDER_NOSELECT))
			continue;
		g_hash_table_add(listed, f->wire_name);
		if ((e = g_hash_table_lookup(w->by_wire, f->wire_name)) == NULL) {
			if ((e = add_entry(w, f)) == NULL)
				continue;
			/* Made since the first list: it was empty then, so
			 * what it holds came (the first list is the start). */
			fresh = !w->primed;
			e->has_messages = e->has_unseen = w->primed;
		}
		u.present = IMAP_FSTATUS_MESSAGES;
		u.messages = (guint32)MIN(f->messages, G_MAXUINT32);
		if (f->unseen >= 0) {
			u.present |= IMAP_FSTATUS_UNSEEN;
			u.unseen = (guint32)MIN(f->unseen, G_MAXUINT32);
		}
		if (f->uidnext != 0) {
			u.present |= IMAP_FSTATUS_UIDNEXT;
			u.uidnext = f->uidnext;
		}
		apply(w, e, &u, quiet || fresh);
	}
	if (folders != NULL && folders->len > 0)
		drop_unlisted(w, listed);
	g_hash_table_destroy(listed);
}

void
imap_watch_folders(struct imap_watch *w, const GPtrArray *folders)
{
	learn_folders(w, folders, !w->primed);
	w->primed = true;
}

void
imap_watch_set_selected(struct imap_watch *w, const char *name)
{
	g_free(w->selected);
	w->selected = g_strdup(name);
}

void
imap_watch_set_counts(struct imap_watch *w, const char *name, guint32 messages, guint32 unseen,
		      guint32 uidnext)
{
	struct watch_entry *e = name != NULL ? g_hash_table_lookup(w->by_name, name) : NULL;
	struct watch_update u = { .present = IMAP_FSTATUS_MESSAGES | IMAP_FSTATUS_UNSEEN,
				  .messages = messages, .unseen = unseen, .uidnext = uidnext };

	if (e == NULL)
		return;
	if (uidnext != 0)
		u.present |= IMAP_FSTATUS_UIDNEXT;
	store_update(e, &u);
	e->own = 0; /* what the owner knows includes its own arrivals */
}

void
imap_watch_expect(struct imap_watch *w, const char *folder, guint n)
{
	struct watch_entry *e = folder != NULL ? g_hash_table_lookup(w->by_name, folder) : NULL;

	/* The open folder's arrivals are the owner's to tell (EXISTS), and
	 * a credit left there would hide real mail after it is left. */
	if (e == NULL || g_strcmp0(folder, w->selected) == 0)
		return;
	take_own(e, 0); /* forget what is too old first */
	e->own = (guint)MIN((guint64)e->own + n, G_MAXUINT);
	e->own_since = g_get_monotonic_time();
}

void
imap_watch_unexpect(struct imap_watch *w, const char *folder, guint n)
{
	struct watch_entry *e = folder != NULL ? g_hash_table_lookup(w->by_name, folder) : NULL;

	if (e != NULL)
		e->own -= MIN(e->own, n);
}

/* ---- talking to the server ------------------------------------------------ */

static void start_notify(struct imap_watch *w);
static void start_poll(struct imap_watch *w, guint seconds);

static void
list_done(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *folders,
	  void *ud)
{
	struct watch_op *op = ud;
	struct imap_watch *w = op->w;

	g_free(op);
	if (w == NULL)
		return;
	w->list_op = NULL;
	if (st != TERN_OK) {
		log_debug("watch: LIST failed: %s", detail != NULL ? detail : "");
		return; /* the connection's end, or tried again at the next poll */
	}
	imap_watch_folders(w, folders);
	if (w->state == WATCH_LISTING)
		start_notify(w);
}

static void
list_now(struct imap_watch *w)
{
	if (w->client == NULL || w->list_op != NULL)
		return;
	w->list_op = g_new0(struct watch_op, 1);
	w->list_op->w = w;
	imap_client_poll_folders(w->client, list_done, w->list_op);
}

static gboolean
poll_cb(gpointer data)
{
	list_now(data);
	return G_SOURCE_CONTINUE;
}

static void
start_poll(struct imap_watch *w, guint seconds)
{
	if (w->timer != 0)
		g_source_remove(w->timer);
	w->timer = g_timeout_add_seconds(seconds, poll_cb, w);
}

static void
notify_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct watch_op *op = ud;
	struct imap_watch *w = op->w;

	g_free(op);
	if (w == NULL)
		return;
	w->notify_op = NULL;
	if (st == TERN_OK) {
		start_poll(w, MAX(WATCH_SAFETY_POLL, w->poll_interval));
		return;
	}
	if (st != TERN_ERR_NO)
		return; /* the connection ended */
	log_debug("watch: no NOTIFY (%s): polling every %u s", detail != NULL ? detail : "",
		  w->poll_interval);
	w->state = WATCH_POLLING;
	start_poll(w, w->poll_interval);
}

static void
start_notify(struct imap_watch *w)
{
	w->state = WATCH_NOTIFY;
	w->notify_op = g_new0(struct watch_op, 1);
	w->notify_op->w = w;
	imap_client_notify(w->client, notify_done, w->notify_op);
}

void
imap_watch_attach(struct imap_watch *w, struct imap_client *c, const GPtrArray *folders)
{
	imap_watch_detach(w);
	w->client = c;
	if (folders != NULL) {
		imap_watch_folders(w, folders);
		start_notify(w);
		return;
	}
	w->state = WATCH_LISTING;
	list_now(w);
}

void
imap_watch_detach(struct imap_watch *w)
{
	/* The client answered everything before it closed, or was freed and
	 * answers nothing: what still waits is forgotten here. */
	g_free(w->list_op);
	w->list_op = NULL;
	g_free(w->notify_op);
	w->notify_op = NULL;
	if (w->timer != 0)
		g_source_remove(w->timer);
	w->timer = 0;
	if (w->relist_timer != 0)
		g_source_remove(w->relist_timer);
	w->relist_timer = 0;
	w->client = NULL;
	w->state = WATCH_DETACHED;
}

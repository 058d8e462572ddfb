/* tern — core/store: sending the journal of actions queued while the server
 * could not be reached, and keeping the cache in step with what they do.
 *
 * Each action is claimed (inside a transaction), sent, and then forgotten
 * when the server answered, OK or NO: a NO will never succeed, so it is
 * reported and dropped. When the connection fails before the answer the
 * claim is released and the action stays first in line. A tern killed in
 * between leaves a claim whose process is gone; the next run takes it over
 * and sends the action again. Flag changes and moves are idempotent on the
 * server (a moved message is no longer in the source folder), so they
 * happen once; only a COPY whose answer was lost may be made twice.
 *
 * The CLI (before its command) and the TUI (after each connect) both run
 * it; it is asynchronous, so the TUI keeps drawing meanwhile. */
#include "config.h"

#include <string.h>

#include "core/imap/imap.h"
#include "core/log.h"
#include "core/model/flags.h"
#include "core/store/store.h"

/* A queued UID set never expands to more than this (the journal is ours,
 * but the file is on disk and may be damaged). */
#define REPLAY_MAX_UIDS 1000000

/* ---- The cache follows a flag change ------------------------------------- */

static void
keywords_change(struct imap_summary *s, const char *kw, bool add)
{
	GPtrArray *out = g_ptr_array_new();
	bool had = false;

	for (char **k = s->keywords; k != NULL && *k != NULL; k++) {
		if (g_ascii_strcasecmp(*k, kw) == 0) {
			had = true;
			if (!add)
				continue;
		}
		g_ptr_array_add(out, g_strdup(*k));
	}
	if (add && !had)
		g_ptr_array_add(out, g_strdup(kw));
	g_ptr_array_add(out, NULL);
	g_strfreev(s->keywords);
	s->keywords = (char **)g_ptr_array_free(out, FALSE);
}

int
store_messages_change_flags(struct store *s, const char *folder, guint32 uidvalidity,
			    const GArray *uids, bool add, const char *const *flags,
			    GError **error)
{
	GArray *sums = NULL;
	int rc;

	if (uids == NULL || uids->len == 0)
		return 0;
	if (store_messages_load(s, folder, uidvalidity, uids, &sums, error) < 0)
		return -1;
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *m = &g_array_index(sums, struct imap_summary, i);

		for (const char *const *f = flags; *f != NULL; f++) {
			guint bit = flags_from_imap(*f);

			if (bit != 0)
				m->flags = add ? (m->flags | bit) : (m->flags & ~bit);
			else if (**f != '\\')
				keywords_change(m, *f, add);
		}
		m->modseq = 0; /* unknown: the next resync brings the server's */
	}
	rc = sums->len == 0 ? 0 :
			      store_messages_set_flags(s, folder, uidvalidity,
						       (const struct imap_summary *)(void *)sums->data,
						       sums->len, error);
	for (guint i = 0; i < sums->len; i++)
		imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
	g_array_unref(sums);
	return rc;
}

const char *
store_action_describe(const struct store_action *a)
{
	switch (a->kind) {
	case STORE_ACTION_FLAGS_ADD:
	case STORE_ACTION_FLAGS_REMOVE:
		return _("flag change");
	case STORE_ACTION_MOVE:
		return _("move");
	case STORE_ACTION_COPY:
		return _("copy");
	}
	return _("action");
}

GArray *
store_action_uids(const struct store_action *a)
{
	struct imap_seqset *set;
	GArray *uids = NULL;
	GError *err = NULL;
	uint32_t *arr;
	size_t n = 0;

	set = imap_seqset_parse(a->uids != NULL ? a->uids : "", -1, 0, &err);
	if (set != NULL) {
		arr = imap_seqset_to_array(set, REPLAY_MAX_UIDS, &n, &err);
		if (arr != NULL) {
			uids = g_array_sized_new(FALSE, FALSE, sizeof(guint32), (guint)n);
			g_array_append_vals(uids, arr, (guint)n);
			g_free(arr);
		}
		imap_seqset_free(&set);
	}
	if (err != NULL) {
		log_warn("journal: bad UID set: %s", err->message);
		g_error_free(err);
	}
	if (uids != NULL && uids->len == 0)
		g_clear_pointer(&uids, g_array_unref);
	return uids;
}

char **
store_action_flags(const struct store_action *a)
{
	char **flags = g_strsplit(a->arg != NULL ? a->arg : "", " ", FLAGS_MAX_WORDS + 1);
	guint n = g_strv_length(flags);

	for (guint i = 0; i < n; i++) {
		if (flags[i][0] == '\0' || strpbrk(flags[i], "\r\n") != NULL ||
		    (flags[i][0] == '\\' ? flags_from_imap(flags[i]) == 0 :
					  !flags_keyword_is_valid(flags[i])))
			n = 0;
	}
	if (n == 0 || n > FLAGS_MAX_WORDS)
		g_clear_pointer(&flags, g_strfreev);
	return flags;
}

/* ---- Replay ---------------------------------------------------------------- */

struct store_replay {
	guint idle;             /* the start, not run yet */
	struct store *s;
	struct imap_client *c;
	store_replay_warn_fn *warn;
	store_replay_done_fn *done;
	void *ud;
	struct store_action *a; /* the claimed action */
	GArray *uids;
	char **flags;
	guint sent;
};

static void replay_next(struct store_replay *r);

static void
action_clear(struct store_replay *r)
{
	store_action_free(&r->a);
	if (r->uids != NULL)
		g_clear_pointer(&r->uids, g_array_unref);
	g_clear_pointer(&r->flags, g_strfreev);
}

static void
replay_finish(struct store_replay *r, enum tern_status st, const char *detail)
{
	action_clear(r);
	r->done(r->c, st, detail, r->sent, r->ud);
	g_free(r);
}

static void
store_failed(struct store_replay *r, GError *err)
{
	char *msg = g_strdup(err != NULL ? err->message : "?");

	g_clear_error(&err);
	replay_finish(r, TERN_ERR_NO, msg);
	g_free(msg);
}

/* Forget the claimed action, with a warning when it was dropped, and go on. */
static void
forget(struct store_replay *r, const char *dropped_why)
{
	GError *err = NULL;

	if (dropped_why != NULL) {
		log_warn("journal: action %" G_GINT64_FORMAT " on %s (UIDs %s) dropped: %s",
			 r->a->id, r->a->folder != NULL ? r->a->folder : "",
			 r->a->uids != NULL ? r->a->uids : "", dropped_why);
		if (r->warn != NULL)
			r->warn(r->a, dropped_why, r->ud);
	}
	if (store_journal_done(r->s, r->a->id, &err) < 0) {
		store_failed(r, err);
		return;
	}
	action_clear(r);
	replay_next(r);
}

/* The connection failed first: the action stays first in line. */
static void
keep(struct store_replay *r, enum tern_status st, const char *detail)
{
	GError *err = NULL;

	if (store_journal_release(r->s, r->a->id, &err) < 0) {
		log_warn("journal: %s", err->message);
		g_error_free(err);
	}
	replay_finish(r, st, detail != NULL ? detail : _("connection lost"));
}

/* After the server's answer to the action itself. */
static void
sent(struct store_replay *r, enum tern_status st, const char *detail)
{
	GError *err = NULL;
	char *why;
	int rc = 0;

	if (!tern_status_answered(st)) {
		keep(r, st, detail);
		return;
	}
	if (st != TERN_OK) {
		why = g_strdup_printf(_("the server refused it: %s"), detail != NULL ? detail : "");
		forget(r, why);
		g_free(why);
		return;
	}
	log_debug("journal: replayed action %" G_GINT64_FORMAT, r->a->id);
	r->sent++;
	switch (r->a->kind) {
	case STORE_ACTION_FLAGS_ADD:
	case STORE_ACTION_FLAGS_REMOVE:
		rc = store_messages_change_flags(r->s, r->a->folder, r->a->uidvalidity, r->uids,
						 r->a->kind == STORE_ACTION_FLAGS_ADD,
						 (const char *const *)r->flags, &err);
		break;
	case STORE_ACTION_MOVE:
		rc = store_messages_remove(r->s, r->a->folder, r->a->uidvalidity,
					   (const guint32 *)(void *)r->uids->data, r->uids->len,
					   &err);
		break;
	case STORE_ACTION_COPY:
		break;
	}
	if (rc < 0) {
		/* The server did it: the cache is only behind until the next resync. */
		log_warn("cache: %s", err->message);
		g_clear_error(&err);
	}
	forget(r, NULL);
}

static void
store_cb(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	sent(ud, st, detail);
}

static void
copy_cb(struct imap_client *c, enum tern_status st, const char *detail,
	const struct imap_copy_result *result, void *ud)
{
	sent(ud, st, detail);
}

static void
select_cb(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_mailbox_info *info, void *ud)
{
	struct store_replay *r = ud;
	struct store_action *a = r->a;
	char *why;

	if (st != TERN_OK) {
		if (!tern_status_answered(st))
			keep(r, st, detail);
		else
			forget(r, detail != NULL ? detail : _("the folder cannot be opened"));
		return;
	}
	if (info->uidvalidity != a->uidvalidity) {
		why = g_strdup_printf(_("the folder's UIDVALIDITY changed (%u, now %u): those "
					"UIDs are other messages now"),
				      a->uidvalidity, info->uidvalidity);
		forget(r, why);
		g_free(why);
		return;
	}
	if (a->kind == STORE_ACTION_MOVE || a->kind == STORE_ACTION_COPY)
		imap_client_copy(c, r->uids, a->arg, a->kind == STORE_ACTION_MOVE, copy_cb, r);
	else
		imap_client_store(c, r->uids, a->kind == STORE_ACTION_FLAGS_ADD,
				  (const char *const *)r->flags, store_cb, r);
}

static void
replay_next(struct store_replay *r)
{
	GError *err = NULL;
	int found;

	for (;;) {
		struct store_action *a;

		found = store_journal_claim(r->s, &r->a, &err);
		if (found < 0) {
			store_failed(r, err);
			return;
		}
		if (found == 0) {
			replay_finish(r, TERN_OK, NULL);
			return;
		}
		a = r->a;
		r->uids = store_action_uids(a);
		if (a->kind == STORE_ACTION_FLAGS_ADD || a->kind == STORE_ACTION_FLAGS_REMOVE)
			r->flags = store_action_flags(a);
		if (r->uids != NULL && a->folder != NULL && a->folder[0] != '\0' &&
		    ((a->kind == STORE_ACTION_FLAGS_ADD || a->kind == STORE_ACTION_FLAGS_REMOVE) ?
			     r->flags != NULL :
			     (a->kind == STORE_ACTION_MOVE || a->kind == STORE_ACTION_COPY) &&
				     a->arg != NULL && a->arg[0] != '\0'))
			break;
		log_warn("journal: action %" G_GINT64_FORMAT " is damaged; dropped", a->id);
		if (r->warn != NULL)
			r->warn(a, _("the journal entry is damaged"), r->ud);
		if (store_journal_done(r->s, a->id, &err) < 0) {
			store_failed(r, err);
			return;
		}
		action_clear(r);
	}
	imap_client_select(r->c, r->a->folder, false, select_cb, r);
}

static gboolean
replay_start(gpointer ud)
{
	struct store_replay *r = ud;

	r->idle = 0;
	replay_next(r);
	return G_SOURCE_REMOVE;
}

struct store_replay *
store_journal_replay(struct store *s, struct imap_client *c, store_replay_warn_fn *warn,
		     store_replay_done_fn *done, void *ud)
{
	struct store_replay *r = g_new0(struct store_replay, 1);

	r->s = s;
	r->c = c;
	r->warn = warn;
	r->done = done;
	r->ud = ud;
	/* From the main loop, so that done never runs inside this call. */
	r->idle = g_idle_add(replay_start, r);
	return r;
}

void
store_replay_cancel(struct store_replay *r)
{
	GError *err = NULL;

	if (r == NULL)
		return;
	if (r->idle != 0)
		g_source_remove(r->idle);
	if (r->a != NULL && store_journal_release(r->s, r->a->id, &err) < 0) {
		log_warn("journal: %s", err->message);
		g_error_free(err);
	}
	action_clear(r);
	g_free(r);
}

/* ---- What the journal will change, shown before it is sent --------------- */

struct overlay_entry {
	guint add;     /* flag bits set by queued changes */
	guint remove;  /* and cleared */
	bool moved;    /* a queued move takes it away */
};

struct store_overlay {
	GHashTable *by_uid; /* uid -> struct overlay_entry * */
	guint moved;
};

static struct overlay_entry *
overlay_entry(struct store_overlay *ov, guint32 uid)
{
	struct overlay_entry *e = g_hash_table_lookup(ov->by_uid, GUINT_TO_POINTER(uid));

	if (e == NULL) {
		e = g_new0(struct overlay_entry, 1);
		g_hash_table_insert(ov->by_uid, GUINT_TO_POINTER(uid), e);
	}
	return e;
}

/* One queued action, on top of those before it. */
static void
overlay_add(struct store_overlay *ov, const struct store_action *a)
{
	GArray *uids = store_action_uids(a);
	char **flags = NULL;
	guint bits = 0;

	if (uids == NULL)
		return;
	if (a->kind == STORE_ACTION_FLAGS_ADD || a->kind == STORE_ACTION_FLAGS_REMOVE) {
		flags = store_action_flags(a);
		for (char **f = flags; f != NULL && *f != NULL; f++)
			bits |= flags_from_imap(*f);
	}
	for (guint i = 0; i < uids->len; i++) {
		struct overlay_entry *e;

		if (a->kind == STORE_ACTION_COPY || (bits == 0 && a->kind != STORE_ACTION_MOVE))
			break;
		e = overlay_entry(ov, g_array_index(uids, guint32, i));
		if (a->kind == STORE_ACTION_MOVE) {
			ov->moved += !e->moved;
			e->moved = true;
		} else if (a->kind == STORE_ACTION_FLAGS_ADD) {
			e->add |= bits;
			e->remove &= ~bits;
		} else {
			e->remove |= bits;
			e->add &= ~bits;
		}
	}
	g_strfreev(flags);
	g_array_unref(uids);
}

int
store_overlay_new(struct store *s, const char *folder, guint32 uidvalidity,
		  struct store_overlay **ov_r, GError **error)
{
	struct store_overlay *ov = NULL;
	GPtrArray *all = NULL;

	*ov_r = NULL;
	if (store_journal_list(s, &all, error) < 0)
		return -1;
	for (guint i = 0; i < all->len; i++) {
		const struct store_action *a = all->pdata[i];

		if (a->folder == NULL || strcmp(a->folder, folder) != 0 ||
		    a->uidvalidity != uidvalidity)
			continue;
		if (ov == NULL) {
			ov = g_new0(struct store_overlay, 1);
			ov->by_uid = g_hash_table_new_full(NULL, NULL, NULL, g_free);
		}
		overlay_add(ov, a);
	}
	g_ptr_array_unref(all);
	*ov_r = ov;
	return 0;
}

void
store_overlay_free(struct store_overlay **ovp)
{
	struct store_overlay *ov = *ovp;

	if (ov == NULL)
		return;
	g_hash_table_destroy(ov->by_uid);
	g_free(ov);
	*ovp = NULL;
}

guint
store_overlay_moved(const struct store_overlay *ov)
{
	return ov != NULL ? ov->moved : 0;
}

bool
store_overlay_apply(const struct store_overlay *ov, guint32 uid, guint *flags)
{
	const struct overlay_entry *e;

	if (ov == NULL ||
	    (e = g_hash_table_lookup(ov->by_uid, GUINT_TO_POINTER(uid))) == NULL)
		return true;
	*flags = (*flags | e->add) & ~e->remove;
	return !e->moved;
}

/* tern — core/imap/search-all: one query over many folders (#16 "Search
 * everywhere"), on a connection given to it alone, pipelined.
 *
 * IMAP has no search over several folders that Dovecot 2.3 offers (RFC
 * 7377 MULTISEARCH is not there), and SEARCH needs a selected folder. But
 * the server runs commands in the order they come and EXAMINE waits for
 * the commands before it, so "EXAMINE a, UID SEARCH, EXAMINE b, UID
 * SEARCH, ..." can all be on the wire at once and each answer still
 * belongs to the folder examined just before it. A folder with matches
 * gets a second EXAMINE and its summaries' UID FETCH, pipelined behind
 * the searches already sent. SEARCHRES ($) would save that EXAMINE but
 * is not everywhere; the second EXAMINE costs one short command.
 *
 * A folder the server refuses (deleted or renamed meanwhile, unreadable)
 * is reported through ops->failed and the others go on: a refused
 * EXAMINE leaves no folder selected (RFC 3501 6.3.1), so the SEARCH
 * behind it is refused too and never answers for another folder. */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/imap/client.h"
#include "core/imap/imap.h"

/* Folders in progress at once: each is two commands in flight (four with
 * matches), under the session's pipelining cap. */
#define SEARCH_ALL_WINDOW 8
/* Longest UID set in one UID FETCH: Dovecot refuses lines over 64 KiB. */
#define SEARCH_ALL_SET_MAX 4000

/* One folder being searched: the ud of its commands. */
struct folder_run {
	struct imap_search_all *sa;
	guint index;  /* in sa->folders */
	char *refused; /* why its EXAMINE was refused, or NULL */
	struct imap_mailbox_info info; /* what its first EXAMINE said */
	bool examined;
	guint fetches; /* UID FETCHes not answered yet */
	enum tern_status fetch_st; /* the first that failed, or TERN_OK */
	char *fetch_detail;
};

struct imap_search_all {
	struct imap_client *c; /* transfer none */
	struct imap_search_all_ops ops;
	void *ud;
	GPtrArray *folders; /* char *, decoded names */
	GPtrArray *tokens;  /* the query's criteria (a ref) */
	bool utf8;
	guint max_per_folder;
	guint next;          /* the next folder to start */
	GPtrArray *running;  /* struct folder_run *, owned */
	enum tern_status lost; /* TERN_OK, or why the connection ended */
	char *lost_detail;
	bool done;
};

static void start_folders(struct imap_search_all *sa);

static void
folder_run_free(gpointer p)
{
	struct folder_run *fr = p;

	g_free(fr->refused);
	g_free(fr->fetch_detail);
	g_free(fr);
}

static const char *
folder_name(const struct folder_run *fr)
{
	return fr->sa->folders->pdata[fr->index];
}

/* The connection is gone: no more folders, one report at the end. */
static bool
is_lost(enum tern_status st)
{
	return st == TERN_ERR_CONN || st == TERN_ERR_CANCELLED;
}

static void
note_lost(struct imap_search_all *sa, enum tern_status st, const char *detail)
{
	if (sa->lost != TERN_OK)
		return;
	sa->lost = st;
	sa->lost_detail = g_strdup(detail != NULL ? detail : _("the connection was lost"));
}

/* A folder is over (searched, or refused with why): start the next ones,
 * or say the search is done. */
static void
folder_over(struct folder_run *fr, enum tern_status st, const char *why)
{
	struct imap_search_all *sa = fr->sa;

	if (is_lost(st))
		note_lost(sa, st, why);
	else if (st != TERN_OK && sa->lost == TERN_OK && sa->ops.failed != NULL)
		sa->ops.failed(folder_name(fr), why != NULL ? why : _("no reason given"), sa->ud);
	g_ptr_array_remove_fast(sa->running, fr); /* frees fr */
	start_folders(sa);
}

static void
examined(struct imap_client *c, enum tern_status st, const char *detail,
	 const struct imap_mailbox_info *info, void *ud)
{
	struct folder_run *fr = ud;

	(void)c;
	if (st == TERN_OK && !fr->examined) {
		fr->info = *info;
		fr->examined = true;
	}
	if (st != TERN_OK && fr->refused == NULL)
		fr->refused = g_strdup(detail != NULL ? detail : _("no reason given"));
	if (is_lost(st))
		note_lost(fr->sa, st, detail);
}

static void
summaries_batch(struct imap_client *c, const struct imap_summary *batch, guint n, void *ud)
{
	struct folder_run *fr = ud;
	struct imap_search_all *sa = fr->sa;

	(void)c;
	if (fr->refused == NULL && sa->lost == TERN_OK)
		sa->ops.found(folder_name(fr), batch, n, sa->ud);
}

static void
summaries_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct folder_run *fr = ud;

	(void)c;
	if (st != TERN_OK && fr->fetch_st == TERN_OK) {
		fr->fetch_st = st;
		fr->fetch_detail = g_strdup(detail);
	}
	if (--fr->fetches > 0)
		return;
	st = fr->fetch_st;
	if (fr->refused != NULL && !is_lost(st))
		st = TERN_ERR_FOLDER;
	folder_over(fr, st, fr->refused != NULL ? fr->refused : fr->fetch_detail);
}

static void
searched(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids, void *ud)
{
	struct folder_run *fr = ud;
	struct imap_search_all *sa = fr->sa;
	GArray *want;
	char **sets;
	guint from = 0, n = 0;

	if (fr->refused != NULL || st != TERN_OK || uids == NULL || sa->lost != TERN_OK) {
		/* behind a refused EXAMINE the server says BAD: no folder */
		if (fr->refused != NULL && !is_lost(st))
			st = TERN_ERR_FOLDER;
		folder_over(fr, st, fr->refused != NULL ? fr->refused : detail);
		return;
	}
	/* the newest (highest UIDs) when a cap is asked */
	if (sa->max_per_folder > 0 && uids->len > sa->max_per_folder)
		from = uids->len - sa->max_per_folder;
	want = g_array_sized_new(FALSE, FALSE, sizeof(guint32), uids->len - from);
	g_array_append_vals(want, &g_array_index(uids, guint32, from), uids->len - from);
	/* the caller takes what its cache holds exactly; the rest are fetched */
	if (sa->ops.matched != NULL)
		sa->ops.matched(folder_name(fr), &fr->info, want, sa->ud);
	if (want->len == 0) {
		g_array_unref(want);
		folder_over(fr, TERN_OK, NULL);
		return;
	}
	sets = imap_uids_format((const uint32_t *)(void *)want->data, want->len,
				SEARCH_ALL_SET_MAX);
	g_array_unref(want);
	while (sets[n] != NULL)
		n++;
	/* the searches already sent have moved the selection on */
	imap_client_select(c, folder_name(fr), true, examined, fr);
	fr->fetches = n;
	for (guint i = n; i-- > 0;) /* the newest first */
		imap_client_fetch_summaries(c, sets[i], summaries_batch, summaries_done, fr);
	g_strfreev(sets);
}

static void
start_one(struct imap_search_all *sa)
{
	struct folder_run *fr = g_new0(struct folder_run, 1);

	fr->sa = sa;
	fr->index = sa->next++;
	g_ptr_array_add(sa->running, fr);
	imap_client_select(sa->c, folder_name(fr), true, examined, fr);
	imap_client_search(sa->c, sa->tokens, sa->utf8, searched, fr);
}

static void
start_folders(struct imap_search_all *sa)
{
	while (sa->lost == TERN_OK && sa->running->len < SEARCH_ALL_WINDOW &&
	       sa->next < sa->folders->len)
		start_one(sa);
	if (sa->running->len > 0 || sa->done)
		return;
	sa->done = true;
	imap_client_set_pipeline(sa->c, false);
	sa->ops.done(sa->lost, sa->lost_detail, sa->ud);
}

struct imap_search_all *
imap_search_all_start(struct imap_client *c, const char *const *folders, guint n_folders,
		      GPtrArray *tokens, bool utf8, guint max_per_folder,
		      const struct imap_search_all_ops *ops, void *ud)
{
	struct imap_search_all *sa;

	if (n_folders == 0)
		return NULL;
	sa = g_new0(struct imap_search_all, 1);
	sa->c = c;
	sa->ops = *ops;
	sa->ud = ud;
	sa->folders = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n_folders; i++)
		g_ptr_array_add(sa->folders, g_strdup(folders[i]));
	sa->tokens = g_ptr_array_ref(tokens);
	sa->utf8 = utf8;
	sa->max_per_folder = max_per_folder;
	sa->running = g_ptr_array_new_with_free_func(folder_run_free);
	imap_client_set_pipeline(c, true);
	start_folders(sa);
	return sa;
}

void
imap_search_all_free(struct imap_search_all **sap)
{
	struct imap_search_all *sa = *sap;

	if (sa == NULL)
		return;
	*sap = NULL;
	g_ptr_array_unref(sa->running);
	g_ptr_array_unref(sa->folders);
	g_ptr_array_unref(sa->tokens);
	g_free(sa->lost_detail);
	g_free(sa);
}

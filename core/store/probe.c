/* tern — core/store/probe: which form the summaries ask for on this
 * account's server when summary_fetch = auto (store.h "Summary form").
 *
 * Dovecot serves BODY.PEEK[HEADER.FIELDS (...)] for about two thirds of
 * what ENVELOPE costs it; another server may be the other way round. So
 * the first cold load of a big folder fetches the newest
 * STORE_PROBE_RANGE messages both ways, headers, envelope, headers,
 * envelope, and compares the second fetch of each: the first read of a
 * form makes the server parse the messages and fill its cache, which is
 * the warm-up, not the cost of the form. The faster form is kept in the
 * summary_form table with what names the server (imap_client_server_id()),
 * so the probe runs once per account and server, and again when the
 * server changes. The probe's summaries are thrown away: the load fetches
 * the whole folder after it, and the user sees only its time (a few
 * tens of milliseconds on Dovecot).
 */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "core/store/store-private.h"

/* A row per account database: the last server probed. */
#define SQL_GET "SELECT form, headers_us, envelope_us, probed FROM summary_form " \
	"WHERE id = 1 AND server = ?1"
#define SQL_SET "INSERT OR REPLACE INTO summary_form (id, server, form, headers_us, " \
	"envelope_us, probed) VALUES (1, ?1, ?2, ?3, ?4, ?5)"

int
store_summary_form_get(struct store *s, const char *server, struct store_summary_form *f_r,
		       GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(f_r, 0, sizeof *f_r);
	if (sqlite3_prepare_v2(store_db(s), SQL_GET, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, error, _("cannot read"));
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f_r->form = sqlite3_column_int(st, 0) == IMAP_SUMMARY_ENVELOPE ?
			IMAP_SUMMARY_ENVELOPE : IMAP_SUMMARY_HEADERS;
		f_r->headers_us = sqlite3_column_int64(st, 1);
		f_r->envelope_us = sqlite3_column_int64(st, 2);
		f_r->probed = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(s, error, _("cannot read"));
}

int
store_summary_form_set(struct store *s, const char *server, const struct store_summary_form *f,
		       GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_refuse_read_only(s, error) < 0)
		return -1;
	if (sqlite3_prepare_v2(store_db(s), SQL_SET, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, error, _("cannot write"));
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)f->form);
	sqlite3_bind_int64(st, 3, f->headers_us);
	sqlite3_bind_int64(st, 4, f->envelope_us);
	sqlite3_bind_int64(st, 5, f->probed);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, error, _("cannot write"));
	return 0;
}

/* The stored choice for c's server: 1 found, 0 not, -1 unreadable. */
static int
stored_form(struct store *s, struct imap_client *c, struct store_summary_form *f_r)
{
	char *server = imap_client_server_id(c);
	GError *err = NULL;
	int found = store_summary_form_get(s, server, f_r, &err);

	if (found < 0) {
		log_warn("summaries: %s", err->message);
		g_error_free(err);
	}
	g_free(server);
	return found;
}

bool
store_summary_form_apply(struct store *s, struct imap_client *c)
{
	const struct account *account = imap_client_account(c);
	struct store_summary_form f;

	if (account->summary_fetch != CONFIG_SUMMARY_FETCH_AUTO) {
		log_debug("summaries: %s, set by summary_fetch",
			  imap_summary_form_name(imap_client_summary_form(c)));
		return false;
	}
	if (s != NULL && stored_form(s, c, &f) == 1) {
		imap_client_set_summary_form(c, f.form);
		log_debug("summaries: %s, as probed on this server",
			  imap_summary_form_name(f.form));
		return false;
	}
	imap_client_set_summary_form(c, IMAP_SUMMARY_HEADERS);
	log_debug("summaries: headers, this server not probed");
	return s != NULL && !store_is_read_only(s);
}

char *
store_summary_form_describe(struct store *s, struct imap_client *c)
{
	const struct account *account = imap_client_account(c);
	struct store_summary_form f;

	if (account->summary_fetch != CONFIG_SUMMARY_FETCH_AUTO)
		return g_strdup_printf(_("%s (set by summary_fetch)"),
				       imap_summary_form_name(imap_client_summary_form(c)));
	if (s == NULL)
		return g_strdup(_("headers (summary_fetch = auto, without a cache)"));
	if (stored_form(s, c, &f) == 1)
		return g_strdup_printf(_("%s (probed on this server: headers %.1f ms, envelope "
					 "%.1f ms)"),
				       imap_summary_form_name(f.form), f.headers_us / 1000.0,
				       f.envelope_us / 1000.0);
	return g_strdup_printf(_("headers (summary_fetch = auto: not probed on this server yet; "
				 "the first load of a folder of %u messages or more probes it)"),
			       (guint)STORE_PROBE_MIN_MESSAGES);
}

/* ---- The probe ----------------------------------------------------------- */

/* The rounds, in order; the last of each form is the one compared. */
static const enum imap_summary_form probe_rounds[] = {
	IMAP_SUMMARY_HEADERS, IMAP_SUMMARY_ENVELOPE, IMAP_SUMMARY_HEADERS, IMAP_SUMMARY_ENVELOPE,
};
#define PROBE_ROUNDS ((guint)TERN_ARRAY_LEN(probe_rounds))

struct probe {
	struct store *s;
	struct imap_client *c;
	store_probe_fn *done;
	void *ud;
	char *set;            /* the newest STORE_PROBE_RANGE sequence numbers */
	guint round;          /* in flight */
	gint64 started;       /* g_get_monotonic_time() at its submission */
	gint64 began;         /* and at the first round's */
	gint64 us[2];         /* by form: the last round's time */
	bool refused[2];      /* by form: NO or BAD */
	bool lost;            /* the connection failed: nothing is decided */
	guint free_hook;      /* probe_free() when the client goes first */
};

static void probe_next(struct probe *p);

/* Also when the client is freed with the probe unfinished (no answer, no
 * done: nothing is decided). */
static void
probe_free(gpointer ud)
{
	struct probe *p = ud;

	g_free(p->set);
	g_free(p);
}

/* ENVELOPE replaces the default only when it is clearly faster: two
 * fetches of 1,000 that differ by a few percent are a tie (the machine's
 * load decides those), and a tie keeps what core/imap/header.c was
 * measured against. */
static bool
envelope_wins(gint64 headers_us, gint64 envelope_us)
{
	return envelope_us * 100 < headers_us * (100 - STORE_PROBE_MARGIN_PCT);
}

/* Keeps the faster form (headers on a tie: the default), or the one the
 * server did not refuse, in the client and in the cache. */
static void
probe_decide(struct probe *p)
{
	struct store_summary_form f = { .headers_us = p->us[IMAP_SUMMARY_HEADERS],
					.envelope_us = p->us[IMAP_SUMMARY_ENVELOPE],
					.probed = g_get_real_time() / G_USEC_PER_SEC };
	GError *err = NULL;
	char *server;

	if (p->lost || (p->refused[0] && p->refused[1]))
		return;
	if (p->refused[IMAP_SUMMARY_HEADERS])
		f.form = IMAP_SUMMARY_ENVELOPE;
	else if (p->refused[IMAP_SUMMARY_ENVELOPE])
		f.form = IMAP_SUMMARY_HEADERS;
	else
		f.form = envelope_wins(f.headers_us, f.envelope_us) ? IMAP_SUMMARY_ENVELOPE :
			IMAP_SUMMARY_HEADERS;
	imap_client_set_summary_form(p->c, f.form);
	log_debug("summaries: probe of %s: headers %" G_GINT64_FORMAT " us%s, envelope %"
		  G_GINT64_FORMAT " us%s: %s (the probe took %" G_GINT64_FORMAT " ms)", p->set,
		  f.headers_us, p->refused[IMAP_SUMMARY_HEADERS] ? " (refused)" : "",
		  f.envelope_us, p->refused[IMAP_SUMMARY_ENVELOPE] ? " (refused)" : "",
		  imap_summary_form_name(f.form), (g_get_monotonic_time() - p->began) / 1000);
	server = imap_client_server_id(p->c);
	if (store_summary_form_set(p->s, server, &f, &err) < 0) {
		log_warn("summaries: the probe's choice is not kept: %s", err->message);
		g_error_free(err);
	}
	g_free(server);
}

static void
probe_round_done(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct probe *p = ud;
	enum imap_summary_form form = probe_rounds[p->round];

	if (st == TERN_OK)
		p->us[form] = g_get_monotonic_time() - p->started;
	else if (st == TERN_ERR_NO || st == TERN_ERR_PROTOCOL)
		p->refused[form] = true; /* NO, or BAD (a protocol error of ours) */
	else
		p->lost = true;
	p->round++;
	probe_next(p);
}

/* The next round the server has not refused, or the end. */
static void
probe_next(struct probe *p)
{
	while (p->round < PROBE_ROUNDS && p->refused[probe_rounds[p->round]])
		p->round++;
	if (p->round >= PROBE_ROUNDS || p->lost) {
		imap_client_remove_free_hook(p->c, p->free_hook);
		probe_decide(p);
		p->done(p->c, p->ud);
		probe_free(p);
		return;
	}
	p->started = g_get_monotonic_time();
	imap_client_fetch_summaries_form(p->c, probe_rounds[p->round], p->set, NULL,
					 probe_round_done, p);
}

void
store_summary_probe(struct store *s, struct imap_client *c, guint32 exists, store_probe_fn *done,
		    void *ud)
{
	struct probe *p = g_new0(struct probe, 1);

	p->s = s;
	p->c = c;
	p->done = done;
	p->ud = ud;
	p->began = g_get_monotonic_time();
	p->set = g_strdup_printf("%u:%u",
				 exists > STORE_PROBE_RANGE ? exists - STORE_PROBE_RANGE + 1 : 1u,
				 MAX(exists, 1u));
	p->free_hook = imap_client_add_free_hook(c, probe_free, p);
	probe_next(p);
}

/* tern — core/store/writer: a folder's summaries written on a thread of
 * their own (writer.h).
 *
 * The command line's cold `list` spent about a fifth of its time in
 * store_messages_put() (SQLite, and the From and Subject decoded for the
 * list columns) on the thread that reads the server. Here that thread
 * only decodes From and Subject (the few that need it), shows the rows to
 * the row observer and copies each batch (one block, no allocation per
 * message) into a queue: the two threads then take about the same time.
 * The writer thread, sole user of its own connection, writes the batches
 * in transactions of WRITER_TXN_ROWS rows committed at most WRITER_TXN_MS
 * after they began, so another process still gets the lock; when it is
 * done, what it left in the WAL is checkpointed in the background.
 *
 * With the server on the same machine and two cores or fewer, the two
 * threads keep to one core for the load (share_core()). The server then
 * has the other to itself: with three threads wanting two cores (and a
 * reader woken by the server's data apt to be placed on the server's
 * core), a local Dovecot was taken off its core about 150 times a
 * 100,000-message load, 70 ms in all, and one core for tern made that load
 * 55 ms faster. tern's own CPU for it (0.58 s) fits in the server's time
 * to answer (0.7 s), so one core loses it nothing.
 */
#include "config.h"

#include <sched.h>
#include <string.h>

#include "core/common.h"
#include "core/log.h"
#include "core/store/store-private.h"
#include "core/store/writer.h"

/* As core/store/sync.c's transactions on the main connection. */
#define WRITER_TXN_ROWS 10000
#define WRITER_TXN_MS 100
/* Batches queued at most (the server's batches are 500 rows): when the
 * writer falls behind (another process holds the lock, a slow disk) the
 * reading thread waits instead of holding the whole folder in copies. */
#define WRITER_QUEUE_MAX 64
/* Most cores on which the threads keep to one for a local server. */
#define WRITER_SHARE_MAX_CPUS 2

/* One queued batch: the summaries, their list texts
 * (store_list_texts()) and every string they point to, in one block.
 * n == 0 is the "finish" message. */
struct writer_batch {
	guint n;
	char *(*listed)[2];
	struct imap_summary sums[];
};

struct store_writer {
	struct store *main;    /* the caller's connection */
	struct store *db;      /* the writer thread's own connection */
	char *folder;
	guint32 uidvalidity;
	GAsyncQueue *queue;    /* struct writer_batch * */
	GThread *thread;
	GMutex lock;           /* queued and room */
	GCond room;            /* signalled when a batch was taken */
	guint queued;          /* batches pushed, not yet written */
#ifdef __linux__
	bool shared;           /* the caller's affinity was narrowed: saved */
	cpu_set_t saved;
#endif
	/* owned by the writer thread until it is joined: */
	bool txn;
	gint64 txn_began;      /* monotonic µs */
	guint txn_rows;
	GError *error;         /* the first failure; later batches are dropped */
};

/* ---- The copy (reading thread) ------------------------------------------ */

static gsize
str_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static guint
strv_len0(char **v)
{
	return v != NULL ? g_strv_length(v) : 0;
}

/* The fixed strings of a summary, in the order they are copied. */
#define SUMMARY_STRS 12

static void
summary_strs(const struct imap_summary *m, char *const dec[2], const char *f[SUMMARY_STRS])
{
	f[0] = m->from, f[1] = m->from_name, f[2] = m->from_addr, f[3] = m->to, f[4] = m->cc;
	f[5] = m->subject, f[6] = m->message_id, f[7] = m->in_reply_to, f[8] = m->references;
	f[9] = m->preview, f[10] = dec[0], f[11] = dec[1];
}

/* Bytes of the strings of m and its list texts dec, each measured once
 * (size[k] for the k-th of summary_strs()), and its keyword pointers
 * (with the NULL). */
static gsize
summary_text_size(const struct imap_summary *m, char *const dec[2], gsize size[SUMMARY_STRS],
		  guint *ptrs)
{
	const char *f[SUMMARY_STRS];
	gsize n = 0;
	guint kw = strv_len0(m->keywords);

	summary_strs(m, dec, f);
	for (size_t i = 0; i < SUMMARY_STRS; i++)
		n += size[i] = str_size(f[i]);
	for (guint i = 0; i < kw; i++)
		n += str_size(m->keywords[i]);
	*ptrs += m->keywords != NULL ? kw + 1 : 0;
	return n;
}

/* s (size bytes with its NUL, 0 for NULL) copied to *text. */
static char *
put_str(char **text, const char *s, gsize size)
{
	char *at = *text;

	if (s == NULL)
		return NULL;
	memcpy(at, s, size);
	*text += size;
	return at;
}

/* Make *m (a byte copy of its original) and listed point into the block. */
static void
summary_relink(struct imap_summary *m, char *const dec[2], const gsize size[SUMMARY_STRS],
	       char *listed[2], char ***ptrs, char **text)
{
	const char *f[SUMMARY_STRS];
	char *to[SUMMARY_STRS];
	char **kw = m->keywords;

	summary_strs(m, dec, f);
	for (size_t i = 0; i < SUMMARY_STRS; i++)
		to[i] = put_str(text, f[i], size[i]);
	m->from = to[0], m->from_name = to[1], m->from_addr = to[2], m->to = to[3];
	m->cc = to[4], m->subject = to[5], m->message_id = to[6], m->in_reply_to = to[7];
	m->references = to[8], m->preview = to[9], listed[0] = to[10], listed[1] = to[11];
	if (kw == NULL)
		return;
	m->keywords = *ptrs;
	for (guint i = 0; kw[i] != NULL; i++)
		*(*ptrs)++ = put_str(text, kw[i], str_size(kw[i]));
	*(*ptrs)++ = NULL;
}

/* The batch of sums with the list texts dec[i] (freed here). */
static struct writer_batch *
batch_copy(const struct imap_summary *sums, char *(*dec)[2], guint n)
{
	gsize text = 0, (*size)[SUMMARY_STRS] = g_malloc_n(n, sizeof *size);
	guint ptrs = 2 * n;
	struct writer_batch *b;
	char **p;
	char *t;

	for (guint i = 0; i < n; i++)
		text += summary_text_size(&sums[i], dec[i], size[i], &ptrs);
	b = g_malloc(sizeof *b + n * sizeof b->sums[0] + ptrs * sizeof(char *) + text);
	b->n = n;
	memcpy(b->sums, sums, n * sizeof b->sums[0]);
	b->listed = (char *(*)[2])(void *)(b->sums + n);
	p = (char **)(void *)(b->listed + n);
	t = (char *)(p + ptrs - 2 * n);
	for (guint i = 0; i < n; i++) {
		summary_relink(&b->sums[i], dec[i], size[i], b->listed[i], &p, &t);
		g_free(dec[i][0]);
		g_free(dec[i][1]);
	}
	g_free(size);
	return b;
}

/* ---- One core for a local server ---------------------------------------- */

/* How many cores tern may use (TERN_TEST_CPUS stands in for a test). */
static guint
cpus(void)
{
	const char *t = g_getenv("TERN_TEST_CPUS");
	guint64 n;

	if (t != NULL && g_ascii_string_to_unsigned(t, 10, 1, 4096, &n, NULL))
		return (guint)n;
	return g_get_num_processors();
}

/* The calling thread kept to the core it is on, the writer thread (started
 * after) too; the mask it had is saved in w. */
static void
share_core(struct store_writer *w, bool server_local)
{
#ifdef __linux__
	cpu_set_t one;
	int cpu;

	if (!server_local || cpus() > WRITER_SHARE_MAX_CPUS ||
	    sched_getaffinity(0, sizeof w->saved, &w->saved) < 0 || (cpu = sched_getcpu()) < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	w->shared = sched_setaffinity(0, sizeof one, &one) == 0;
	if (w->shared)
		log_debug("cache writer: on cpu %d with the reading thread (server on this "
			  "machine, %u cpus)", cpu, cpus());
#else
	(void)w;
	(void)server_local;
#endif
}

static void
unshare_core(struct store_writer *w)
{
#ifdef __linux__
	if (w->shared && sched_setaffinity(0, sizeof w->saved, &w->saved) == 0)
		log_debug("cache writer: the reading thread's cpus restored (%d)",
			  CPU_COUNT(&w->saved));
#else
	(void)w;
#endif
}

/* How many cores the calling thread may run on (for the log). */
static int
thread_cpus(void)
{
#ifdef __linux__
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
#endif
	return -1;
}

/* ---- The writer thread --------------------------------------------------- */

static void
keep_error(struct store_writer *w, GError *err)
{
	if (w->error == NULL)
		w->error = err;
	else
		g_clear_error(&err);
}

static void
txn_commit(struct store_writer *w)
{
	GError *err = NULL;

	if (!w->txn)
		return;
	w->txn = false;
	w->txn_rows = 0;
	if (store_commit(w->db, &err) < 0)
		keep_error(w, err);
}

static void
write_batch(struct store_writer *w, const struct writer_batch *b)
{
	GError *err = NULL;

	if (w->error != NULL)
		return;
	if (!w->txn) {
		if (store_begin(w->db, &err) < 0) {
			keep_error(w, err);
			return;
		}
		w->txn = true;
		w->txn_began = g_get_monotonic_time();
	}
	/* a row that fails is undone alone; what succeeded is committed */
	if (store_messages_put_listed(w->db, w->folder, w->uidvalidity, b->sums,
				      (char *const(*)[2])b->listed, b->n, &err) < 0)
		keep_error(w, err);
	w->txn_rows += b->n;
}

/* µs left before the open transaction must be committed (0: now). */
static gint64
txn_left(const struct store_writer *w)
{
	gint64 end = w->txn_began + WRITER_TXN_MS * G_TIME_SPAN_MILLISECOND;

	return MAX(end - g_get_monotonic_time(), 0);
}

static gpointer
writer_main(gpointer ud)
{
	struct store_writer *w = ud;

	log_debug("cache writer: started, %d cpus", thread_cpus());
	for (;;) {
		struct writer_batch *b;

		if (w->txn && (w->txn_rows >= WRITER_TXN_ROWS || txn_left(w) == 0))
			txn_commit(w);
		b = w->txn ? g_async_queue_timeout_pop(w->queue, (guint64)txn_left(w)) :
			     g_async_queue_pop(w->queue);
		if (b == NULL)
			continue; /* the time ran out: committed above */
		if (b->n == 0) {
			g_free(b);
			break;
		}
		write_batch(w, b);
		g_free(b);
		g_mutex_lock(&w->lock);
		w->queued--;
		g_cond_signal(&w->room);
		g_mutex_unlock(&w->lock);
	}
	txn_commit(w);
	return NULL;
}

/* ---- API ------------------------------------------------------------------ */

int
store_writer_start(struct store *s, const char *folder, guint32 uidvalidity, bool server_local,
		   struct store_writer **w_r, GError **error)
{
	struct store_writer *w;
	struct store *db = NULL;

	*w_r = NULL;
	if (store_open_another(s, &db, error) < 0)
		return -1;
	store_set_row_observer(db, NULL, NULL); /* store_writer_put() shows them */
	store_tune_for_load(db);
	w = g_new0(struct store_writer, 1);
	w->main = s;
	w->db = db;
	w->folder = g_strdup(folder);
	w->uidvalidity = uidvalidity;
	w->queue = g_async_queue_new();
	g_mutex_init(&w->lock);
	g_cond_init(&w->room);
	share_core(w, server_local);
	w->thread = g_thread_new("tern-cache-writer", writer_main, w);
	*w_r = w;
	return 0;
}

void
store_writer_put(struct store_writer *w, const struct imap_summary *sums, guint n)
{
	char *(*dec)[2];
	struct writer_batch *b;

	if (n == 0)
		return;
	/* The list texts are made, and the rows shown to the observer, here:
	 * the writer thread fell behind the reading one by a sixth of a cold
	 * load at the end, the second core idle meanwhile. */
	dec = g_malloc_n(n, sizeof *dec);
	for (guint i = 0; i < n; i++) {
		char *kw = store_keywords_join(sums[i].keywords);

		store_list_texts(&sums[i], dec[i]);
		store_observe_row(w->main, &sums[i], kw, dec[i]);
		g_free(kw);
	}
	b = batch_copy(sums, dec, n);
	g_free(dec);
	/* the writer takes one at least every busy timeout, so this ends */
	g_mutex_lock(&w->lock);
	while (w->queued >= WRITER_QUEUE_MAX)
		g_cond_wait(&w->room, &w->lock);
	w->queued++;
	g_mutex_unlock(&w->lock);
	g_async_queue_push(w->queue, b);
}

int
store_writer_finish(struct store_writer **wp, GError **error)
{
	struct store_writer *w = *wp;
	struct writer_batch *stop;
	int rc = 0;

	if (w == NULL)
		return 0;
	stop = g_new0(struct writer_batch, 1);
	g_async_queue_push(w->queue, stop);
	g_thread_join(w->thread);
	unshare_core(w); /* the printing after the load may take both */
	if (w->error != NULL) {
		g_propagate_error(error, w->error);
		rc = -1;
	}
	g_async_queue_unref(w->queue);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->room);
	/* Up to 16 MiB of WAL are left (store_tune_for_load()): the caller's
	 * next commit (the folder's state, at once) would copy them back
	 * itself, 45 ms at 100,000 messages before the command line's list
	 * could be printed; a thread does it while that is printed, on the
	 * writer's connection, which it then closes. */
	store_checkpoint_background_on(w->main, &w->db);
	g_free(w->folder);
	g_free(w);
	*wp = NULL;
	return rc;
}

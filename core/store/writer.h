/* tern — core/store/writer: a folder's new summaries written to the cache
 * on a thread with its own connection, so the thread that reads the
 * server never waits for SQLite (the command line's cold load).
 *
 * One writer for one folder at a time; the caller's connection must hold
 * no transaction while the writer runs (it would keep the writer off the
 * lock). Nothing written is visible to the caller before
 * store_writer_finish() returns.
 */
#ifndef TERN_STORE_WRITER_H
#define TERN_STORE_WRITER_H

#include "core/store/store.h"

struct store_writer;

/* A second connection on the file of s and its thread. *w_r: transfer
 * full (store_writer_finish(), from the same thread). server_local: the
 * server runs on this machine; on a machine of two cores or fewer the
 * calling thread and the writer then keep to the core the caller is on
 * until store_writer_finish(), leaving the server the other. */
int store_writer_start(struct store *s, const char *folder, guint32 uidvalidity,
		       bool server_local, struct store_writer **w_r, GError **error);
/* Queue a copy of the rows (store_messages_put() on the writer thread);
 * s's row observer sees them now, as they will be written. */
void store_writer_put(struct store_writer *w, const struct imap_summary *sums, guint n);
/* Wait until every queued row is written and committed, then stop the
 * thread and close its connection. -1 with the first failure (the rows
 * before it are kept, the ones after it are not written). NULL is a no-op. */
int store_writer_finish(struct store_writer **w, GError **error);

#endif

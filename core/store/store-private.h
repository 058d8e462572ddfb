/* tern — inside core/store: what its files share beyond store.h. */
#ifndef TERN_STORE_PRIVATE_H
#define TERN_STORE_PRIVATE_H

#include <sqlite3.h>

#include "core/store/store.h"

/* The database handle (transfer none). */
sqlite3 *store_db(struct store *s);
/* Set a STORE_ERROR_IO "cache PATH: what (sqlite's message)"; returns -1. */
int store_fail(struct store *s, GError **error, const char *what);
int store_refuse_read_only(struct store *s, GError **error);
bool store_is_read_only(struct store *s);
/* A claim by a live process, younger than STORE_CLAIM_STALE_S. */
bool store_claim_is_live(gint64 pid, gint64 at);
bool store_in_txn(struct store *s);

/* The full-text index's rowid of a message: folder id and UID side by
 * side (folder ids are small, so it stays positive); a folder's rows are
 * one range. */
#define STORE_FTS_ROWID(folder_id, uid) (((gint64)(folder_id) << 32) | (gint64)(uid))
/* The folder's id, 0 when it is not cached, -1 on error. */
gint64 store_folder_id(struct store *s, const char *folder, GError **error);

/* The keywords column: space-separated, cut at STORE_KEYWORDS_MAX bytes;
 * NULL for none. Transfer full. */
char *store_keywords_join(char **keywords);
/* From and Subject as the list shows them (the columns list_from and
 * list_subject): dec[i] decoded, or NULL when the raw text is shown as it
 * is (or there is none). The caller frees both. */
void store_list_texts(const struct imap_summary *m, char *dec[2]);
/* Shows m to s's row observer (store_set_row_observer()) as
 * store_messages_list() would read it back, keywords joined and dec as
 * store_list_texts() made them. */
void store_observe_row(struct store *s, const struct imap_summary *m, const char *keywords,
		       char *const dec[2]);
/* store_messages_put() with each row's list texts made already by
 * store_list_texts() (listed[i]), and no row shown to the observer: the
 * cache writer (writer.c) makes and shows them on the thread that reads
 * the server, which has the CPU to spare, and writes them on its own. */
int store_messages_put_listed(struct store *s, const char *folder, guint32 uidvalidity,
			      const struct imap_summary *sums, char *const (*listed)[2], guint n,
			      GError **error);

#endif

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

#endif

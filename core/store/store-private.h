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

#endif

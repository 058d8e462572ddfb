/* tern — ui/cli/list-json: what `tern list --json` prints of a message,
 * and the whole folder's list from the cache. */
#ifndef TERN_UI_CLI_LIST_JSON_H
#define TERN_UI_CLI_LIST_JSON_H

#include <stdio.h>

#include "core/store/store.h"

/* "2024-01-31T12:00:00+01:00": t (unix time) at tz minutes east of UTC. */
void list_json_date(char buf[40], gint64 t, int tz);
/* v in decimal. */
void list_json_uint(GString *j, guint32 v);
/* The system flags in bit order as JSON strings (\Recent left out);
 * returns whether none was written. */
bool list_json_flag_bits(GString *j, guint flags);

/* The whole folder's rows, kept to be sorted and printed. */
struct list_json;
struct list_json *list_json_new(void);
void list_json_free(struct list_json **lj);
/* A store_list_fn: keeps the row in ud, a struct list_json. Rows must come
 * in ascending UID order for list_json_print() to take them. */
bool list_json_keep(const struct store_list_row *r, void *ud);
/* Print the folder as `list FOLDER --json` does (newest first, flags as
 * ov's queued changes show them, what a queued move takes away left out).
 * seen: the folder's every row, kept by list_json_keep() as they were
 * written, or NULL: then they are read from s. Returns 0, or -1 with error
 * when the cache cannot be read. */
int list_json_print(struct store *s, const char *folder, guint32 uidvalidity,
		    struct list_json *seen, const struct store_overlay *ov, FILE *out,
		    GError **error);

#endif

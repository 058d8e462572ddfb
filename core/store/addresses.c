/* tern — core/store: the address fields seen in the cache, for address
 * completion (store.h). */
#include "config.h"

#include <string.h>

#include "core/store/store-private.h"

/* One pass over the messages: each From, To and Cc value once, with how
 * many messages carry it. The caller splits the lists into addresses. */
#define ADDRESS_FIELDS_SQL                                                                 \
	"SELECT v, COUNT(*) AS n FROM (SELECT from_full AS v FROM messages UNION ALL "     \
	"SELECT to_list FROM messages UNION ALL SELECT cc_list FROM messages) "            \
	"WHERE v IS NOT NULL AND v <> '' AND length(v) <= ?2 GROUP BY v ORDER BY n DESC LIMIT ?1"

void
store_address_field_free(gpointer p)
{
	struct store_address_field *f = p;

	g_free(f->value);
	g_free(f);
}

int
store_address_fields(struct store *s, guint max, GPtrArray **fields_r, GError **error)
{
	sqlite3_stmt *st = NULL;
	GPtrArray *out;
	int rc;

	*fields_r = NULL;
	if (sqlite3_prepare_v2(store_db(s), ADDRESS_FIELDS_SQL, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, error, _("cannot prepare a statement"));
	sqlite3_bind_int64(st, 1, max);
	sqlite3_bind_int64(st, 2, STORE_ADDRESS_FIELD_MAX);
	out = g_ptr_array_new_with_free_func(store_address_field_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_address_field *f = g_new0(struct store_address_field, 1);

		f->value = g_strdup((const char *)sqlite3_column_text(st, 0));
		f->count = (guint)sqlite3_column_int64(st, 1);
		g_ptr_array_add(out, f);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(out);
		return store_fail(s, error, _("cannot read"));
	}
	*fields_r = out;
	return 0;
}

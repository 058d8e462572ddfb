/* tern — ui/cli/list-json: `tern list FOLDER --json` of a whole folder
 * (list-json.h), and the pieces of a message's JSON it shares with the
 * other lists.
 *
 * The whole folder is read in one sequential scan of the cache's decoded
 * columns (no index walk, no decoding, nothing allocated per message),
 * sorted here, then printed. On a big folder two threads share the work
 * (the machine's second core was idle while the first scanned and then
 * formatted): the scan is cut at the middle UID, each half read on its own
 * SQLite connection and sorted, the halves merged; then the helper formats
 * every other chunk of rows while the caller formats and writes the
 * others, in order, a few chunks ahead at most. What it prints is what the
 * streaming path (cmd-list.c's json_one()) prints, byte for byte.
 */
#include "config.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/cli/cli.h"
#include "ui/cli/list-json.h"

/* Folders with fewer rows are listed by one thread (starting the second
 * and its connection costs about a millisecond). */
#define LIST_JSON_PARALLEL_MIN 20000
/* Rows formatted at a time, and how many such chunks the helper may have
 * formatted that are not written yet. */
#define LIST_JSON_CHUNK_ROWS 1024
#define LIST_JSON_CHUNKS_AHEAD 8

static void
json_str(GString *out, const char *s)
{
	text_json_escape(out, s, (size_t)-1);
}

/* The GLib way, kept for dates outside 1000..9999 (the fast path's %04d
 * would differ from GLib's unpadded or refused years). */
static char *
format_iso_date_glib(gint64 t, int tz)
{
	GTimeZone *zone = g_time_zone_new_offset(tz * 60);
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *dt = utc != NULL ? g_date_time_to_timezone(utc, zone) : NULL;
	char *s = dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z") : g_strdup("");

	if (dt != NULL)
		g_date_time_unref(dt);
	if (utc != NULL)
		g_date_time_unref(utc);
	g_time_zone_unref(zone);
	return s;
}

/* v (0 <= v < 10^width) as WIDTH decimal digits, zero-padded. */
static void
put_digits(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Year, month (1-12) and day of the proleptic Gregorian calendar from days
 * since 1970-01-01 (Howard Hinnant's civil_from_days). */
static void
civil_from_days(gint64 days, int *y_r, int *m_r, int *d_r)
{
	gint64 z = days + 719468;
	gint64 era = (z >= 0 ? z : z - 146096) / 146097;
	gint64 doe = z - era * 146097;
	gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	gint64 mp = (5 * doy + 2) / 153;

	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(yoe + era * 400 + (*m_r <= 2));
}

/* "2024-01-31T12:00:00+01:00" into buf: what format_iso_date_glib() gives
 * (checked against it on 3 million random times and offsets), without a
 * GTimeZone, two GDateTimes and a format string per message. */
void
list_json_date(char buf[40], gint64 t, int tz)
{
	/* 1000-01-01 and 9999-12-31 23:59:59, local time, as unix time */
	const gint64 lo = -30610224000LL, hi = 253402300799LL;
	gint64 local = t + (gint64)tz * 60;
	gint64 days, secs;
	int y, m, d, off;
	char *slow;

	if (tz < -24 * 60 || tz > 24 * 60 || local < lo || local > hi || t < lo || t > hi) {
		slow = format_iso_date_glib(t, tz);
		g_strlcpy(buf, slow, 40);
		g_free(slow);
		return;
	}
	days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	secs = local - days * 86400;
	civil_from_days(days, &y, &m, &d);
	off = tz < 0 ? -tz : tz;
	/* by hand: snprintf alone was a tenth of a big folder's JSON time */
	put_digits(buf, y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (int)(secs / 3600), 2);
	buf[13] = ':';
	put_digits(buf + 14, (int)(secs / 60 % 60), 2);
	buf[16] = ':';
	put_digits(buf + 17, (int)(secs % 60), 2);
	buf[19] = tz < 0 ? '-' : '+';
	put_digits(buf + 20, off / 60, 2);
	buf[22] = ':';
	put_digits(buf + 23, off % 60, 2);
	buf[25] = '\0';
}

static char *
put_len(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put_len((p), (lit), sizeof(lit) - 1)

static char *
put_uint(char *p, guint32 v)
{
	char digits[16];
	int i = (int)sizeof digits;

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return put_len(p, digits + i, sizeof digits - (size_t)i);
}

/* printf's cost, twice a message, is worth avoiding on a big folder */
void
list_json_uint(GString *j, guint32 v)
{
	char digits[16];

	g_string_append_len(j, digits, put_uint(digits, v) - digits);
}

/* The system flags in bit order (\Recent is left out); returns whether
 * none was written. */
bool
list_json_flag_bits(GString *j, guint flags)
{
	bool first = true;

	for (guint bit = FLAG_SEEN; bit <= FLAG_DRAFT; bit <<= 1) {
		if (!(flags & bit))
			continue;
		if (!first)
			g_string_append(j, ", ");
		json_str(j, flags_to_imap(bit));
		first = false;
	}
	return first;
}

/* ---- The whole folder ---------------------------------------------------- */

/* What list prints of one message, and what it sorts by; its strings wait
 * in an arena, escaped (most of what its JSON takes). */
struct json_row {
	gint64 date;
	gsize text;        /* from, subject and preview as JSON strings, then the
			    * keywords NUL-terminated (json_row_texts()) */
	guint32 uid;
	guint32 size;
	guint flags;
	int date_tz;
	guint32 from_len, subject_len, preview_len; /* preview_len 0: null */
	bool date_null;
	guint8 part;       /* whose arena: the list_json that kept it */
};

struct list_json {
	GString *arena;    /* the rows' strings, one after the other */
	GArray *rows;      /* of struct json_row */
	bool unordered;    /* a UID came twice or out of order */
	guint8 part;
};

struct list_json *
list_json_new(void)
{
	struct list_json *lj = g_new0(struct list_json, 1);

	lj->arena = g_string_sized_new(1 << 20);
	lj->rows = g_array_new(FALSE, FALSE, sizeof(struct json_row));
	return lj;
}

void
list_json_free(struct list_json **ljp)
{
	if (*ljp == NULL)
		return;
	g_array_unref((*ljp)->rows);
	g_string_free((*ljp)->arena, TRUE);
	g_clear_pointer(ljp, g_free);
}

/* str as a JSON string at the arena's end ("" for NULL); its length. */
static guint32
arena_put_json(GString *arena, const char *str)
{
	gsize at = arena->len;

	text_json_escape(arena, str != NULL ? str : "", (size_t)-1);
	return (guint32)(arena->len - at);
}

/* The strings are kept already escaped: escaping while copying them here
 * costs the load little more than the copy did, and takes most of the
 * formatting out of the time after the load, when only printing is left. */
bool
list_json_keep(const struct store_list_row *r, void *ud)
{
	struct list_json *lj = ud;
	struct json_row row = { .date = r->date, .text = lj->arena->len, .uid = r->uid,
				.size = r->size, .flags = r->flags, .date_tz = r->date_tz,
				.date_null = r->date_null, .part = lj->part };

	if (lj->rows->len > 0 &&
	    r->uid <= g_array_index(lj->rows, struct json_row, lj->rows->len - 1).uid)
		lj->unordered = true;
	row.from_len = arena_put_json(lj->arena, r->from);
	row.subject_len = arena_put_json(lj->arena, r->subject);
	row.preview_len = r->preview != NULL ? arena_put_json(lj->arena, r->preview) : 0;
	if (r->keywords != NULL)
		g_string_append(lj->arena, r->keywords);
	g_string_append_c(lj->arena, '\0');
	g_array_append_val(lj->rows, row);
	return true;
}

/* Keywords as the space-separated column has them (as g_strsplit() would
 * cut it: row_to_summary() does). */
static void
json_keywords(GString *j, const char *kw, bool first)
{
	const char *p = kw;

	if (kw == NULL || kw[0] == '\0')
		return;
	for (;;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp != NULL ? (size_t)(sp - p) : strlen(p);

		if (!first)
			g_string_append(j, ", ");
		text_json_escape(j, p, len);
		first = false;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
}

/* A string literal appended without measuring it again. */
#define APPEND_LIT(j, lit) g_string_append_len((j), (lit), sizeof(lit) - 1)

/* The system flags as list_json_flag_bits() writes them, by bit. */
#define JSON_FLAG_BITS 5
static const char *json_flag_names[JSON_FLAG_BITS];

static gpointer
json_flag_names_init(gpointer unused)
{
	(void)unused;
	for (guint k = 0; k < JSON_FLAG_BITS; k++) {
		GString *j = g_string_new(NULL);

		list_json_flag_bits(j, FLAG_SEEN << k);
		json_flag_names[k] = g_string_free(j, FALSE); /* kept for the process */
	}
	return NULL;
}

/* Room for what a row writes besides its strings and keywords: the
 * literals, two numbers, a date and every system flag. */
#define JSON_ROW_FIXED_MAX 256

/* json_one()'s object for a kept row, written straight into room made
 * once: its strings are copied as they were escaped, and the date, which
 * is digits and -T:+ only, needs no escaping. This runs a million times
 * for a big folder, after the load, with nothing else left to do; a
 * GString append a field cost as much as the copies. */
static void
json_row_put(GString *j, const struct json_row *r, const char *text)
{
	static GOnce names_once = G_ONCE_INIT;
	const char *subject = text + r->from_len;
	const char *preview = subject + r->subject_len;
	const char *keywords = preview + r->preview_len;
	gsize at = j->len;
	char date[40];
	bool first = true;
	char *p;

	g_once(&names_once, json_flag_names_init, NULL);
	list_json_date(date, r->date, r->date_tz);
	g_string_set_size(j, at + JSON_ROW_FIXED_MAX + r->from_len + r->subject_len +
				     r->preview_len);
	p = j->str + at;
	p = PUT_LIT(p, "{\"uid\": ");
	p = put_uint(p, r->uid);
	p = PUT_LIT(p, ", \"date\": \"");
	p = put_len(p, date, strlen(date));
	p = PUT_LIT(p, "\", \"from\": ");
	p = put_len(p, text, r->from_len);
	p = PUT_LIT(p, ", \"subject\": ");
	p = put_len(p, subject, r->subject_len);
	p = PUT_LIT(p, ", \"flags\": [");
	for (guint k = 0; k < JSON_FLAG_BITS; k++) {
		if (!(r->flags & (FLAG_SEEN << k)))
			continue;
		if (!first)
			p = PUT_LIT(p, ", ");
		p = put_len(p, json_flag_names[k], strlen(json_flag_names[k]));
		first = false;
	}
	if (keywords[0] != '\0') {
		/* rare: the GString way, then on after what it wrote */
		g_string_truncate(j, (gsize)(p - j->str));
		json_keywords(j, keywords, first);
		at = j->len;
		g_string_set_size(j, at + JSON_ROW_FIXED_MAX + r->preview_len);
		p = j->str + at;
	}
	p = PUT_LIT(p, "], \"size\": ");
	p = put_uint(p, r->size);
	p = PUT_LIT(p, ", \"preview\": ");
	if (r->preview_len == 0)
		p = PUT_LIT(p, "null");
	else
		p = put_len(p, preview, r->preview_len);
	*p++ = '}';
	g_string_truncate(j, (gsize)(p - j->str));
}

/* Newest first, equal dates highest UID first; no date after every date
 * (ST_MSG_BY_DATE's ORDER BY date DESC, uid DESC). */
static int
json_row_cmp(gconstpointer a, gconstpointer b)
{
	const struct json_row *x = a, *y = b;

	if (x->date_null != y->date_null)
		return x->date_null ? 1 : -1;
	if (x->date != y->date)
		return x->date > y->date ? -1 : 1;
	return x->uid > y->uid ? -1 : x->uid < y->uid;
}

/* Sorts rows by json_row_cmp(). They come by UID, and in most folders
 * dates grow with UIDs: rows already in the reverse order are reversed
 * in one pass instead (the sort took 5 ms of the 100,000-message list's
 * time after the load, compares that find nothing to move). */
static void
rows_sort(GArray *rows)
{
	struct json_row *r = (struct json_row *)(void *)rows->data;
	guint n = rows->len, i;

	for (i = 1; i < n && json_row_cmp(&r[i], &r[i - 1]) < 0; i++)
		;
	if (i < n) {
		g_array_sort(rows, json_row_cmp);
		return;
	}
	for (guint a = 0, b = n > 0 ? n - 1 : 0; a < b; a++, b--) {
		struct json_row t = r[a];

		r[a] = r[b];
		r[b] = t;
	}
}

/* ---- Reading: one scan, or two halves at once ------------------------------ */

struct json_scan {
	struct store *db;  /* the scanning thread's own connection */
	const char *folder;
	guint32 uidvalidity, lo, hi;
	struct list_json *lj;
	GError *error;
	int rc;
};

static gpointer
scan_main(gpointer ud)
{
	struct json_scan *sc = ud;

	sc->rc = store_messages_list_range(sc->db, sc->folder, sc->uidvalidity, sc->lo, sc->hi,
					   list_json_keep, sc->lj, &sc->error);
	if (sc->rc == 0)
		rows_sort(sc->lj->rows);
	return NULL;
}

/* Two sorted runs into one. */
static GArray *
rows_merge(GArray *a, GArray *b)
{
	GArray *m = g_array_sized_new(FALSE, FALSE, sizeof(struct json_row), a->len + b->len);
	guint i = 0, j = 0;

	while (i < a->len && j < b->len) {
		const struct json_row *x = &g_array_index(a, struct json_row, i);
		const struct json_row *y = &g_array_index(b, struct json_row, j);

		if (json_row_cmp(y, x) < 0) {
			g_array_append_vals(m, y, 1);
			j++;
		} else {
			g_array_append_vals(m, x, 1);
			i++;
		}
	}
	g_array_append_vals(m, &g_array_index(a, struct json_row, i), a->len - i);
	g_array_append_vals(m, &g_array_index(b, struct json_row, j), b->len - j);
	return m;
}

/* The second half's reader, or NULL when one thread reads all: a small
 * folder, or no second connection (a read-only cache). */
static GThread *
scan_start(struct store *s, const char *folder, guint32 uidvalidity, guint32 *hi_r,
	   struct json_scan *sc)
{
	guint32 lo, hi;

	*hi_r = G_MAXUINT32;
	if (store_messages_uid_bounds(s, folder, uidvalidity, &lo, &hi, NULL) < 0 ||
	    hi - lo < LIST_JSON_PARALLEL_MIN || store_open_another(s, &sc->db, NULL) < 0)
		return NULL;
	sc->folder = folder;
	sc->uidvalidity = uidvalidity;
	sc->lo = lo + (hi - lo) / 2 + 1;
	sc->hi = G_MAXUINT32;
	sc->lj = list_json_new();
	sc->lj->part = 1;
	*hi_r = sc->lo - 1;
	return g_thread_new("tern-list-scan", scan_main, sc);
}

/* The folder's rows, sorted, into lj (part 0) and *other_r (part 1, or
 * NULL). Each connection reads in its own transaction: a change another
 * process commits between them shows in one half only, each row whole. */
static int
scan_all(struct store *s, const char *folder, guint32 uidvalidity, struct list_json *lj,
	 struct list_json **other_r, GError **error)
{
	struct json_scan sc = { 0 };
	guint32 hi;
	GThread *t = scan_start(s, folder, uidvalidity, &hi, &sc);
	int rc = store_messages_list_range(s, folder, uidvalidity, 0, hi, list_json_keep, lj,
					   error);

	if (rc == 0)
		rows_sort(lj->rows);
	*other_r = NULL;
	if (t == NULL)
		return rc;
	g_thread_join(t);
	store_free(&sc.db);
	if (rc == 0 && sc.rc < 0) {
		g_propagate_error(error, sc.error);
		sc.error = NULL;
		rc = -1;
	}
	g_clear_error(&sc.error);
	if (rc == 0) {
		GArray *m = rows_merge(lj->rows, sc.lj->rows);

		g_array_unref(lj->rows);
		lj->rows = m;
		*other_r = sc.lj;
	} else {
		list_json_free(&sc.lj);
	}
	return rc;
}

/* ---- Writing: chunks formatted by two threads, written in order ------------ */

struct json_out {
	const struct json_row *rows;
	guint n, chunks;
	const GString *arenas[2];
	const struct store_overlay *ov;
	GMutex lock;
	GCond cond;
	GString **ready;  /* chunk k formatted by the helper (odd k), until written */
	guint written;    /* chunks written */
	GPtrArray *spare; /* buffers written, to be formatted into again */
};

/* A buffer for a chunk: one already written if there is one (a new one
 * each time touched 37 MB of fresh pages for 100,000 rows). */
static GString *
chunk_buffer(struct json_out *o)
{
	GString *buf = NULL;

	g_mutex_lock(&o->lock);
	if (o->spare->len > 0)
		buf = g_ptr_array_steal_index_fast(o->spare, o->spare->len - 1);
	g_mutex_unlock(&o->lock);
	if (buf == NULL)
		return g_string_sized_new(LIST_JSON_CHUNK_ROWS * 512);
	g_string_truncate(buf, 0);
	return buf;
}

/* Chunk k: each row kept after the queued changes, as ",\n  {...}". */
static GString *
chunk_format(struct json_out *o, guint k)
{
	guint end = MIN(o->n, (k + 1) * LIST_JSON_CHUNK_ROWS);
	GString *buf = chunk_buffer(o);

	for (guint i = k * LIST_JSON_CHUNK_ROWS; i < end; i++) {
		struct json_row r = o->rows[i];

		if (!store_overlay_apply(o->ov, r.uid, &r.flags))
			continue; /* a queued move takes it away */
		g_string_append(buf, ",\n  ");
		json_row_put(buf, &r, o->arenas[r.part]->str + r.text);
	}
	return buf;
}

static gpointer
format_main(gpointer ud)
{
	struct json_out *o = ud;

	for (guint k = 1; k < o->chunks; k += 2) {
		GString *buf;

		g_mutex_lock(&o->lock);
		while (k > o->written + LIST_JSON_CHUNKS_AHEAD)
			g_cond_wait(&o->cond, &o->lock);
		g_mutex_unlock(&o->lock);
		buf = chunk_format(o, k);
		g_mutex_lock(&o->lock);
		o->ready[k] = buf;
		g_cond_broadcast(&o->cond);
		g_mutex_unlock(&o->lock);
	}
	return NULL;
}

/* Chunk k, formatted here or waited for. */
static GString *
chunk_next(struct json_out *o, guint k, bool helped)
{
	GString *buf;

	if (!helped || k % 2 == 0)
		return chunk_format(o, k);
	g_mutex_lock(&o->lock);
	while (o->ready[k] == NULL)
		g_cond_wait(&o->cond, &o->lock);
	buf = o->ready[k];
	o->ready[k] = NULL;
	g_mutex_unlock(&o->lock);
	return buf;
}

static void
string_free(gpointer s)
{
	g_string_free(s, TRUE);
}

static void
rows_write(GArray *rows, const GString *arena0, const GString *arena1,
	   const struct store_overlay *ov, FILE *out)
{
	struct json_out o = { .rows = (const struct json_row *)(void *)rows->data, .n = rows->len,
			      .arenas = { arena0, arena1 }, .ov = ov };
	bool helped, any = false;
	GThread *t = NULL;

	o.chunks = (o.n + LIST_JSON_CHUNK_ROWS - 1) / LIST_JSON_CHUNK_ROWS;
	helped = o.n >= LIST_JSON_PARALLEL_MIN;
	g_mutex_init(&o.lock);
	g_cond_init(&o.cond);
	o.ready = g_new0(GString *, o.chunks + 1);
	o.spare = g_ptr_array_new_with_free_func(string_free);
	if (helped)
		t = g_thread_new("tern-list-format", format_main, &o);
	fputc('[', out);
	for (guint k = 0; k < o.chunks; k++) {
		GString *buf = chunk_next(&o, k, helped);

		/* the first row written has no comma before it */
		if (buf->len > 0)
			fwrite(buf->str + (any ? 0 : 1), 1, buf->len - (any ? 0 : 1), out);
		any = any || buf->len > 0;
		g_mutex_lock(&o.lock);
		g_ptr_array_add(o.spare, buf);
		o.written = k + 1;
		g_cond_broadcast(&o.cond);
		g_mutex_unlock(&o.lock);
	}
	if (t != NULL)
		g_thread_join(t);
	fputs(any ? "\n]\n" : "]\n", out);
	g_free(o.ready);
	g_ptr_array_unref(o.spare);
	g_mutex_clear(&o.lock);
	g_cond_clear(&o.cond);
}

int
list_json_print(struct store *s, const char *folder, guint32 uidvalidity,
		struct list_json *seen, const struct store_overlay *ov, FILE *out,
		GError **error)
{
	struct list_json *lj = seen, *other = NULL;
	int rc = 0;

	if (lj == NULL || lj->unordered) {
		lj = list_json_new();
		rc = scan_all(s, folder, uidvalidity, lj, &other, error);
	} else {
		rows_sort(lj->rows);
	}
	if (rc == 0)
		rows_write(lj->rows, lj->arena, other != NULL ? other->arena : NULL, ov, out);
	list_json_free(&other);
	if (lj != seen)
		list_json_free(&lj);
	return rc;
}

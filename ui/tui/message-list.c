/* tern — ui/tui/message-list: the messages of the open folder as rows.
 *
 * `all` stays sorted: messages that arrive go to `pending`, which a refresh
 * sorts and merges in (linear), so a folder that streams in 100,000
 * messages in batches costs a merge per batch, not a sort. The view is the
 * filtered (and perhaps threaded) copy the pane draws. */
#include "config.h"
#include "core/common.h"

#include <string.h>
#include <sys/mman.h>

#include "core/text/text.h"
#include "ui/tui/message-list.h"
#include "ui/tui/message-thread.h"

const char *
message_sort_label(enum message_sort s)
{
	switch (s) {
	case MESSAGE_SORT_DATE_DESC:
		return _("newest first");
	case MESSAGE_SORT_DATE_ASC:
		return _("oldest first");
	case MESSAGE_SORT_FROM:
		return _("by sender");
	case MESSAGE_SORT_SUBJECT:
		return _("by subject");
	case MESSAGE_SORT_SIZE_DESC:
		return _("largest first");
	case MESSAGE_SORT_COUNT:
		break;
	}
	return "";
}

/* ---- the big tables --------------------------------------------------------- */

/* The open-addressing tables (the UID map, the strings' slots) are probed
 * at random, and at 1,000,000 messages a probe missed the TLB as well as
 * the cache (16 MiB of 4 KiB pages). One of TABLE_HUGE_MIN bytes or more
 * is a mapping of its own, asked to be backed by huge pages: still the
 * system's zeroed pages, resident where touched (2 MiB at a time). A
 * load's main-thread time fell by about a sixth. */
#define TABLE_HUGE_MIN ((gsize)4 << 20)

static void *
table_new(gsize size)
{
	void *p;

	if (size < TABLE_HUGE_MIN)
		return g_malloc0(size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		g_error("cannot map %" G_GSIZE_FORMAT " bytes", size); /* as g_malloc() would */
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

static void
table_free(void *p, gsize size)
{
	if (p == NULL)
		return;
	if (size < TABLE_HUGE_MIN)
		g_free(p);
	else
		munmap(p, size);
}

/* ---- interned strings ---------------------------------------------------- */

static guint64
hash_mix(guint64 h, guint64 w)
{
	h = (h ^ w) * 0xBF58476D1CE4E5B9u;
	return h ^ (h >> 31);
}

/* Seeded per table, so that hostile headers cannot be made to collide
 * (which would make every lookup walk them all). Eight bytes a step
 * (FNV-1a's byte a step was a tenth of a big folder's load): each step a
 * bijection of the state and the word, the seed in from the start. */
static guint32
str_hash(guint32 seed, const char *s, gsize n)
{
	guint64 h = ((guint64)seed << 32 | seed) ^ (n * 0x9E3779B97F4A7C15u);
	guint64 w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = hash_mix(h, w);
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = hash_mix(h, w);
	}
	h *= 0x94D049BB133111EBu;
	return (guint32)(h ^ (h >> 32));
}

void
strtab_init(struct strtab *st)
{
	memset(st, 0, sizeof(*st));
}

void
strtab_clear(struct strtab *st)
{
	if (st->chunk != NULL)
		g_string_chunk_free(st->chunk);
	if (st->strs != NULL)
		g_ptr_array_free(st->strs, TRUE);
	table_free(st->slots, sizeof(struct strtab_slot) * st->cap);
	strtab_init(st);
}

static void
strtab_grow(struct strtab *st)
{
	guint cap = st->cap != 0 ? st->cap * 2 : 1024;
	struct strtab_slot *slots = table_new(sizeof(struct strtab_slot) * cap);

	for (guint old = 0; old < st->cap; old++) {
		guint i;

		if (st->slots[old].id == 0)
			continue;
		i = st->slots[old].hash & (cap - 1);
		while (slots[i].id != 0)
			i = (i + 1) & (cap - 1);
		slots[i] = st->slots[old];
	}
	table_free(st->slots, sizeof(struct strtab_slot) * st->cap);
	st->slots = slots;
	st->cap = cap;
}

static void
strtab_start(struct strtab *st)
{
	if (st->strs != NULL)
		return;
	st->seed = g_random_int();
	st->chunk = g_string_chunk_new(64 * 1024);
	st->strs = g_ptr_array_new();
	g_ptr_array_add(st->strs, NULL); /* id 0 */
}

/* Room for n strings without growing. */
static void
strtab_reserve(struct strtab *st, guint n)
{
	strtab_start(st);
	while ((gsize)n * 4 >= (gsize)st->cap * 3)
		strtab_grow(st);
}

/* strtab_intern() of s, whose hash under the table's seed is h. */
static guint32
strtab_intern_hashed(struct strtab *st, const char *s, gsize n, guint32 h)
{
	guint i;
	guint32 id;

	/* At most three slots in four used: probes stay short. */
	if ((gsize)st->strs->len * 4 >= (gsize)st->cap * 3)
		strtab_grow(st);
	i = h & (st->cap - 1);
	while ((id = st->slots[i].id) != 0) {
		if (st->slots[i].hash == h) {
			const char *have = st->strs->pdata[id];

			if (strncmp(have, s, n) == 0 && have[n] == '\0')
				return id;
		}
		i = (i + 1) & (st->cap - 1);
	}
	id = st->strs->len;
	g_ptr_array_add(st->strs, g_string_chunk_insert_len(st->chunk, s, (gssize)n));
	st->slots[i].id = id;
	st->slots[i].hash = h;
	return id;
}

guint32
strtab_intern(struct strtab *st, const char *s, gsize n)
{
	if (s == NULL)
		return 0;
	strtab_start(st);
	return strtab_intern_hashed(st, s, n, str_hash(st->seed, s, n));
}

const char *
strtab_get(const struct strtab *st, guint32 id)
{
	if (id == 0 || st->strs == NULL || id >= st->strs->len)
		return NULL;
	return st->strs->pdata[id];
}

/* ---- records and the UID map --------------------------------------------- */

static struct msg *
msg_at(const struct message_list *ml, guint32 idx)
{
	return &((struct msg *)ml->blocks->pdata[idx / MESSAGE_LIST_BLOCK])[idx % MESSAGE_LIST_BLOCK];
}

static guint
uid_home(const struct message_list *ml, guint32 uid)
{
	guint32 h = (uid ^ ml->uid_seed) * 0x9E3779B1u;

	h ^= h >> 15;
	h *= 0x85EBCA77u;
	return (h ^ (h >> 13)) & (ml->uid_cap - 1);
}

/* The slot holding uid, or the empty one where it would go. */
static guint
uid_slot(const struct message_list *ml, guint32 uid)
{
	guint i = uid_home(ml, uid);

	while (ml->uid_slots[i].idx != 0 && ml->uid_slots[i].uid != uid)
		i = (i + 1) & (ml->uid_cap - 1);
	return i;
}

static void
uid_grow(struct message_list *ml)
{
	struct uid_slot *old = ml->uid_slots;
	guint old_cap = ml->uid_cap;

	if (old_cap == 0)
		ml->uid_seed = g_random_int();
	ml->uid_cap = old_cap != 0 ? old_cap * 2 : 1024;
	ml->uid_slots = table_new(sizeof(struct uid_slot) * ml->uid_cap);
	for (guint i = 0; i < old_cap; i++)
		if (old[i].idx != 0)
			ml->uid_slots[uid_slot(ml, old[i].uid)] = old[i];
	table_free(old, sizeof(struct uid_slot) * old_cap);
}

/* Backward-shift deletion: no tombstones, lookups stay short. */
static void
uid_delete(struct message_list *ml, guint i)
{
	guint mask = ml->uid_cap - 1, j = i;

	for (;;) {
		guint k;

		j = (j + 1) & mask;
		if (ml->uid_slots[j].idx == 0)
			break;
		k = uid_home(ml, ml->uid_slots[j].uid);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			ml->uid_slots[i] = ml->uid_slots[j];
			i = j;
		}
	}
	ml->uid_slots[i].idx = 0;
}

static guint32
alloc_record(struct message_list *ml)
{
	guint32 idx;

	if (ml->free_slots->len > 0) {
		idx = g_array_index(ml->free_slots, guint32, ml->free_slots->len - 1);
		g_array_set_size(ml->free_slots, ml->free_slots->len - 1);
		return idx;
	}
	if (ml->used % MESSAGE_LIST_BLOCK == 0)
		g_ptr_array_add(ml->blocks, g_new(struct msg, MESSAGE_LIST_BLOCK));
	return ml->used++;
}

/* ---- the list ------------------------------------------------------------ */

struct message_list *
message_list_new(void)
{
	struct message_list *ml = g_new0(struct message_list, 1);

	ml->blocks = g_ptr_array_new_with_free_func(g_free);
	ml->free_slots = g_array_new(FALSE, FALSE, sizeof(guint32));
	ml->ref_pool = g_array_new(FALSE, FALSE, sizeof(guint32));
	ml->decoded = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	ml->keys[0] = g_ptr_array_new_with_free_func(g_free);
	ml->keys[1] = g_ptr_array_new_with_free_func(g_free);
	ml->keys_sort = -1;
	ml->all = g_ptr_array_new();
	ml->pending = g_ptr_array_new();
	ml->view = g_ptr_array_new();
	return ml;
}

static void
drop_keys(struct message_list *ml)
{
	g_ptr_array_set_size(ml->keys[0], 0);
	g_ptr_array_set_size(ml->keys[1], 0);
	ml->keys_sort = -1;
}

/* A fresh, empty array: set_size(0) would keep the old capacity. */
static void
renew(GPtrArray **a)
{
	g_ptr_array_free(*a, TRUE);
	*a = g_ptr_array_new();
}

void
message_list_clear(struct message_list *ml)
{
	renew(&ml->all);
	renew(&ml->pending);
	renew(&ml->view);
	g_ptr_array_set_size(ml->blocks, 0);
	ml->used = 0;
	ml->count = 0;
	g_array_set_size(ml->free_slots, 0);
	table_free(ml->uid_slots, sizeof(struct uid_slot) * ml->uid_cap);
	ml->uid_slots = NULL;
	ml->uid_cap = 0;
	strtab_clear(&ml->strings);
	strtab_clear(&ml->ids);
	strtab_clear(&ml->trees);
	g_array_free(ml->ref_pool, TRUE);
	ml->ref_pool = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_hash_table_remove_all(ml->decoded);
	drop_keys(ml);
	g_clear_pointer(&ml->filter, g_hash_table_destroy);
	ml->sel = NULL;
	ml->sel_row = 0;
	ml->top = 0;
	ml->total = ml->unread = ml->tagged = 0;
	ml->view_stale = false;
	ml->thread_built = 0;
}

void
message_list_free(struct message_list **mlp)
{
	struct message_list *ml = *mlp;

	if (ml == NULL)
		return;
	message_list_clear(ml);
	g_ptr_array_free(ml->all, TRUE);
	g_ptr_array_free(ml->pending, TRUE);
	g_ptr_array_free(ml->view, TRUE);
	g_ptr_array_free(ml->blocks, TRUE);
	g_array_free(ml->free_slots, TRUE);
	g_array_free(ml->ref_pool, TRUE);
	g_hash_table_destroy(ml->decoded);
	g_ptr_array_free(ml->keys[0], TRUE);
	g_ptr_array_free(ml->keys[1], TRUE);
	g_free(ml);
	*mlp = NULL;
}

/* Length of a raw field cut (on a UTF-8 boundary when valid) at
 * MESSAGE_LIST_MAX_FIELD. */
static gsize
cut_len(const char *s)
{
	size_t n = strnlen(s, MESSAGE_LIST_MAX_FIELD);

	while (n > 0 && n == MESSAGE_LIST_MAX_FIELD && ((guchar)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static guint32
keep(struct strtab *st, const char *s)
{
	return s != NULL ? strtab_intern(st, s, cut_len(s)) : 0;
}

/* The next "<...>" in [*p, end) (advanced past it): false when there is
 * none, else *id_r and *n_r say where it is ("<" to ">"). */
static bool
next_id_span(const char **p, const char *end, const char **id_r, gsize *n_r)
{
	for (;;) {
		const char *s = *p, *open, *close;

		if (s == NULL || s >= end)
			return false;
		open = memchr(s, '<', (size_t)(end - s));
		if (open == NULL)
			return false;
		close = memchr(open, '>', (size_t)(end - open));
		if (close == NULL) {
			*p = end;
			return false;
		}
		*p = close + 1;
		if (close == open + 1)
			continue; /* "<>" */
		*id_r = open;
		*n_r = (gsize)(close - open + 1);
		return true;
	}
}

/* The next "<...>" in [*p, end) (advanced past it): its id in ids, as
 * "<...>", or 0 when there is none. */
static guint32
next_id(struct strtab *ids, const char **p, const char *end)
{
	const char *id;
	gsize n;

	return next_id_span(p, end, &id, &n) ? strtab_intern(ids, id, n) : 0;
}

/* References (or, without any, In-Reply-To) as ids into the ref pool. The
 * parent is the last reference, so a long References keeps its tail: the
 * last MESSAGE_LIST_MAX_FIELD bytes, and of those the last
 * MESSAGE_THREAD_MAX_REFS ids. */
static void
keep_refs(struct message_list *ml, struct msg *m, const char *refs, const char *in_reply_to)
{
	guint32 id;

	m->refs = ml->ref_pool->len;
	m->nrefs = 0;
	if (refs != NULL) {
		/* bounded: the parser caps a header line */
		size_t len = strlen(refs);
		const char *p = len > MESSAGE_LIST_MAX_FIELD ? refs + len - MESSAGE_LIST_MAX_FIELD :
							       refs;
		const char *end = refs + len;

		/* a cut id at the start is skipped: next_id looks for '<' first */
		while ((id = next_id(&ml->ids, &p, end)) != 0) {
			if (m->nrefs < MESSAGE_THREAD_MAX_REFS) {
				g_array_append_val(ml->ref_pool, id);
				m->nrefs++;
			} else {
				guint32 *r = &g_array_index(ml->ref_pool, guint32, m->refs);

				memmove(r, r + 1, (MESSAGE_THREAD_MAX_REFS - 1) * sizeof(*r));
				r[MESSAGE_THREAD_MAX_REFS - 1] = id;
			}
		}
	}
	if (m->nrefs == 0 && in_reply_to != NULL) {
		const char *p = in_reply_to;

		id = next_id(&ml->ids, &p, p + cut_len(p));
		if (id != 0) {
			g_array_append_val(ml->ref_pool, id);
			m->nrefs = 1;
		}
	}
}

static void
count_msg(struct message_list *ml, const struct msg *m, int sign)
{
	if (m->hidden)
		return;
	ml->total += sign;
	if (!(m->flags & IMAP_FLAG_SEEN))
		ml->unread += sign;
}

/* The size came for a message listed without: in the size order it
 * moves, so everything is sorted again. */
static void
set_size(struct message_list *ml, struct msg *m, guint32 size)
{
	m->sizeless = 0;
	if (m->size == size)
		return;
	m->size = size;
	if (ml->sort == MESSAGE_SORT_SIZE_DESC) {
		ml->resort = true;
		ml->view_stale = true;
	}
}

/* A zeroed record for a new uid (*idx_r: its index), not linked yet; NULL
 * past MESSAGE_LIST_MAX. */
static struct msg *
record_new(struct message_list *ml, guint32 uid, guint32 *idx_r)
{
	struct msg *m;

	if (uid == 0 || ml->count >= MESSAGE_LIST_MAX)
		return NULL;
	if ((gsize)(ml->count + 1) * 4 > (gsize)ml->uid_cap * 3)
		uid_grow(ml);
	*idx_r = alloc_record(ml);
	m = msg_at(ml, *idx_r);
	memset(m, 0, sizeof(*m));
	m->uid = uid;
	return m;
}

/* A filled record into the UID map, the counts and pending. */
static void
record_link(struct message_list *ml, struct msg *m, guint32 idx)
{
	guint i = uid_slot(ml, m->uid);

	m->live = 1;
	m->kept = 1;
	ml->uid_slots[i].uid = m->uid;
	ml->uid_slots[i].idx = idx + 1;
	ml->count++;
	g_ptr_array_add(ml->pending, m);
	count_msg(ml, m, 1);
}

struct msg *
message_list_add(struct message_list *ml, const struct imap_summary *s)
{
	struct msg *m = message_list_get(ml, s->uid);
	guint32 idx;
	const char *p, *end;

	if (m != NULL) {
		message_list_set_flags(ml, m, s->flags);
		if (s->preview != NULL)
			message_list_set_preview(ml, m, s->preview);
		if (m->sizeless)
			set_size(ml, m, s->size);
		m->kept = 1;
		return m;
	}
	m = record_new(ml, s->uid, &idx);
	if (m == NULL)
		return NULL;
	m->flags = s->flags;
	m->size = s->size;
	m->date = s->date;
	m->date_tz = (gint16)CLAMP(s->date_tz, -24 * 60, 24 * 60);
	m->from_name = keep(&ml->strings, s->from_name);
	m->from_addr = keep(&ml->strings, s->from_addr != NULL ? s->from_addr : s->from);
	m->to = keep(&ml->strings, s->to);
	m->subject = keep(&ml->strings, s->subject);
	m->preview = keep(&ml->strings, s->preview);
	p = s->message_id;
	end = p != NULL ? p + cut_len(p) : NULL;
	m->message_id = next_id(&ml->ids, &p, end);
	if (m->message_id == 0 && s->message_id != NULL) {
		m->message_id = keep(&ml->ids, s->message_id);
		m->mid_raw = 1;
	}
	keep_refs(ml, m, s->references, s->in_reply_to);
	record_link(ml, m, idx);
	return m;
}

struct msg *
message_list_add_sizeless(struct message_list *ml, const struct imap_summary *s)
{
	struct msg *m = message_list_get(ml, s->uid);
	/* known: the size it has (or its lack) stays; new: it has none yet */
	guint8 sizeless = m != NULL ? m->sizeless : 1;

	m = message_list_add(ml, s);
	if (m != NULL)
		m->sizeless = sizeless;
	return m;
}

/* ---- rows prepared on another thread ------------------------------------- *
 *
 * A big folder's cached rows are read on a worker thread (ui/tui/cache.c),
 * and what needs no table is done there too: each field is cut, copied
 * into the batch and hashed with the seed of the table it goes to, the
 * Message-IDs and References found. The main thread then only probes its
 * tables, the slots of rows a little ahead fetched early so that their
 * cache misses overlap (interning was 60 % of a 1,000,000-row load, most
 * of it waiting for memory). */

enum { PF_FROM_NAME, PF_FROM_ADDR, PF_TO, PF_SUBJECT, PF_PREVIEW, PF_MID, PF_COUNT };

struct pfield {
	guint32 off;  /* in the batch's arena */
	guint32 len;
	guint32 hash; /* under the seed of its table */
};

struct prow {
	gint64 date;
	guint32 uid;
	guint32 flags;
	guint32 size;
	guint32 refs;   /* the first of nrefs in the batch's refs */
	gint16 date_tz;
	guint8 present; /* a bit per PF_*: the field is there (else NULL) */
	guint8 mid_raw;
	guint8 nrefs;
	struct pfield f[PF_COUNT];
};

struct message_list_batch {
	struct message_list_seeds seeds;
	GByteArray *arena;
	GArray *rows; /* struct prow */
	GArray *refs; /* struct pfield, Message-IDs */
};

void
message_list_seeds(struct message_list *ml, struct message_list_seeds *seeds_r)
{
	strtab_start(&ml->strings);
	strtab_start(&ml->ids);
	seeds_r->strings = ml->strings.seed;
	seeds_r->ids = ml->ids.seed;
}

struct message_list_batch *
message_list_batch_new(const struct message_list_seeds *seeds, guint rows)
{
	struct message_list_batch *b = g_new0(struct message_list_batch, 1);

	b->seeds = *seeds;
	b->arena = g_byte_array_sized_new(rows * 128);
	b->rows = g_array_sized_new(FALSE, FALSE, sizeof(struct prow), rows);
	b->refs = g_array_new(FALSE, FALSE, sizeof(struct pfield));
	return b;
}

void
message_list_batch_free(struct message_list_batch **bp)
{
	struct message_list_batch *b = *bp;

	if (b == NULL)
		return;
	g_byte_array_unref(b->arena);
	g_array_unref(b->rows);
	g_array_unref(b->refs);
	g_free(b);
	*bp = NULL;
}

guint
message_list_batch_len(const struct message_list_batch *b)
{
	return b->rows->len;
}

guint32
message_list_batch_uid(const struct message_list_batch *b, guint i)
{
	return g_array_index(b->rows, struct prow, i).uid;
}

guint
message_list_batch_flags(const struct message_list_batch *b, guint i)
{
	return g_array_index(b->rows, struct prow, i).flags;
}

static struct pfield
batch_put(struct message_list_batch *b, const char *s, gsize n, guint32 seed)
{
	struct pfield f = { .off = b->arena->len, .len = (guint32)n,
			    .hash = str_hash(seed, s, n) };

	g_byte_array_append(b->arena, (const guint8 *)s, (guint)n);
	return f;
}

static void
batch_field(struct message_list_batch *b, struct prow *r, int k, const char *s)
{
	if (s == NULL)
		return;
	r->present |= (guint8)(1u << k);
	r->f[k] = batch_put(b, s, cut_len(s), b->seeds.strings);
}

/* keep_refs(), with the ids kept in the batch. */
static void
batch_refs(struct message_list_batch *b, struct prow *r, const char *refs,
	   const char *in_reply_to)
{
	const char *ids[MESSAGE_THREAD_MAX_REFS], *id;
	gsize lens[MESSAGE_THREAD_MAX_REFS], n;
	guint k = 0;

	r->refs = b->refs->len;
	if (refs != NULL) {
		size_t len = strlen(refs);
		const char *p = len > MESSAGE_LIST_MAX_FIELD ? refs + len - MESSAGE_LIST_MAX_FIELD :
							       refs;

		/* the last MESSAGE_THREAD_MAX_REFS, oldest first */
		while (next_id_span(&p, refs + len, &id, &n)) {
			if (k == MESSAGE_THREAD_MAX_REFS) {
				memmove(ids, ids + 1, (k - 1) * sizeof(*ids));
				memmove(lens, lens + 1, (k - 1) * sizeof(*lens));
				k--;
			}
			ids[k] = id;
			lens[k++] = n;
		}
	}
	if (k == 0 && in_reply_to != NULL) {
		const char *p = in_reply_to;

		if (next_id_span(&p, p + cut_len(p), &id, &n)) {
			ids[0] = id;
			lens[k++] = n;
		}
	}
	for (guint i = 0; i < k; i++) {
		struct pfield f = batch_put(b, ids[i], lens[i], b->seeds.ids);

		g_array_append_val(b->refs, f);
	}
	r->nrefs = (guint8)k;
}

void
message_list_batch_add(struct message_list_batch *b, const struct imap_summary *s)
{
	struct prow r = { 0 };
	const char *p = s->message_id, *id;
	gsize n;

	r.uid = s->uid;
	r.flags = s->flags;
	r.size = s->size;
	r.date = s->date;
	r.date_tz = (gint16)CLAMP(s->date_tz, -24 * 60, 24 * 60);
	batch_field(b, &r, PF_FROM_NAME, s->from_name);
	batch_field(b, &r, PF_FROM_ADDR, s->from_addr != NULL ? s->from_addr : s->from);
	batch_field(b, &r, PF_TO, s->to);
	batch_field(b, &r, PF_SUBJECT, s->subject);
	batch_field(b, &r, PF_PREVIEW, s->preview);
	if (p != NULL && next_id_span(&p, p + cut_len(p), &id, &n)) {
		r.present |= 1u << PF_MID;
		r.f[PF_MID] = batch_put(b, id, n, b->seeds.ids);
	} else if (s->message_id != NULL) {
		r.present |= 1u << PF_MID;
		r.mid_raw = 1;
		r.f[PF_MID] = batch_put(b, s->message_id, cut_len(s->message_id), b->seeds.ids);
	}
	batch_refs(b, &r, s->references, s->in_reply_to);
	g_array_append_val(b->rows, r);
}

static bool
seeds_match(const struct message_list *ml, const struct message_list_batch *b)
{
	return ml->strings.strs != NULL && ml->ids.strs != NULL &&
	       ml->strings.seed == b->seeds.strings && ml->ids.seed == b->seeds.ids;
}

/* The id of a batch field in st (0: absent); hashed again when the table
 * was started anew since the batch was made. */
static guint32
batch_intern(struct strtab *st, const struct message_list_batch *b, const struct pfield *f,
	     bool hashed)
{
	const char *s = (const char *)b->arena->data + f->off;

	strtab_start(st);
	return strtab_intern_hashed(st, s, f->len, hashed ? f->hash : str_hash(st->seed, s, f->len));
}

static guint32
row_intern(struct message_list *ml, const struct message_list_batch *b, const struct prow *r,
	   int k, bool hashed)
{
	if (!(r->present & (1u << k)))
		return 0;
	return batch_intern(k == PF_MID ? &ml->ids : &ml->strings, b, &r->f[k], hashed);
}

static void
prefetch(const void *p)
{
#if defined(__GNUC__)
	__builtin_prefetch(p);
#else
	(void)p;
#endif
}

/* The three steps of an intern that miss the cache: the slot, the
 * string's pointer, the string. Each is fetched a few rows before it is
 * needed, the later ones once the earlier ones are in (for the string's
 * home slot only: most probes end there). */
#define PREFETCH_SLOT 12
#define PREFETCH_PTR 7
#define PREFETCH_STR 3

static void
prefetch_field(const struct strtab *st, guint32 h, int step)
{
	const struct strtab_slot *slot = &st->slots[h & (st->cap - 1)];

	if (step == 0) {
		prefetch(slot);
	} else if (slot->id != 0 && slot->hash == h && slot->id < st->strs->len) {
		if (step == 1)
			prefetch(&st->strs->pdata[slot->id]);
		else
			prefetch(st->strs->pdata[slot->id]);
	}
}

static void
prefetch_row(const struct message_list *ml, const struct message_list_batch *b, guint i, int step)
{
	const struct prow *r;

	if (i >= b->rows->len)
		return;
	r = &g_array_index(b->rows, struct prow, i);
	if (step == 0)
		prefetch(&ml->uid_slots[uid_home(ml, r->uid)]);
	for (int k = 0; k < PF_MID; k++)
		if (r->present & (1u << k))
			prefetch_field(&ml->strings, r->f[k].hash, step);
	if (r->present & (1u << PF_MID))
		prefetch_field(&ml->ids, r->f[PF_MID].hash, step);
	for (guint j = 0; j < r->nrefs; j++)
		prefetch_field(&ml->ids, g_array_index(b->refs, struct pfield, r->refs + j).hash,
			       step);
}

void
message_list_batch_prefetch(const struct message_list *ml, const struct message_list_batch *b,
			    guint i)
{
	if (ml->uid_cap == 0 || !seeds_match(ml, b) || ml->strings.cap == 0 || ml->ids.cap == 0)
		return;
	prefetch_row(ml, b, i + PREFETCH_SLOT, 0);
	prefetch_row(ml, b, i + PREFETCH_PTR, 1);
	prefetch_row(ml, b, i + PREFETCH_STR, 2);
}

/* A known message met again: update (or only fill in what it lacks). */
static void
batch_known(struct message_list *ml, struct msg *m, const struct message_list_batch *b,
	    const struct prow *r, guint flags, bool update)
{
	if (update)
		message_list_set_flags(ml, m, flags);
	if ((update || m->preview == 0) && (r->present & (1u << PF_PREVIEW)))
		m->preview = row_intern(ml, b, r, PF_PREVIEW, seeds_match(ml, b));
	if (m->sizeless)
		set_size(ml, m, r->size);
	m->kept = 1;
}

struct msg *
message_list_add_prepared(struct message_list *ml, const struct message_list_batch *b, guint i,
			  guint flags, bool update)
{
	const struct prow *r = &g_array_index(b->rows, struct prow, i);
	struct msg *m = message_list_get(ml, r->uid);
	bool hashed = seeds_match(ml, b);
	guint32 idx;

	if (m != NULL) {
		batch_known(ml, m, b, r, flags, update);
		return m;
	}
	m = record_new(ml, r->uid, &idx);
	if (m == NULL)
		return NULL;
	m->flags = flags;
	m->size = r->size;
	m->date = r->date;
	m->date_tz = r->date_tz;
	m->from_name = row_intern(ml, b, r, PF_FROM_NAME, hashed);
	m->from_addr = row_intern(ml, b, r, PF_FROM_ADDR, hashed);
	m->to = row_intern(ml, b, r, PF_TO, hashed);
	m->subject = row_intern(ml, b, r, PF_SUBJECT, hashed);
	m->preview = row_intern(ml, b, r, PF_PREVIEW, hashed);
	m->message_id = row_intern(ml, b, r, PF_MID, hashed);
	m->mid_raw = r->mid_raw;
	m->refs = ml->ref_pool->len;
	m->nrefs = r->nrefs;
	for (guint j = 0; j < r->nrefs; j++) {
		guint32 id = batch_intern(&ml->ids, b,
					  &g_array_index(b->refs, struct pfield, r->refs + j), hashed);

		g_array_append_val(ml->ref_pool, id);
	}
	record_link(ml, m, idx);
	return m;
}

void
message_list_reserve(struct message_list *ml, guint n)
{
	n = MIN(n, (guint)MESSAGE_LIST_MAX);
	while ((gsize)n * 4 > (gsize)ml->uid_cap * 3)
		uid_grow(ml);
	/* Most messages have a Message-ID of their own; header values repeat
	 * more (senders, and subjects of replies: 590,000 distinct in
	 * 1,000,000 generated messages): room for half as many, a table
	 * twice too big would cost its pages (8 MiB at 1,000,000). */
	strtab_reserve(&ml->ids, n);
	strtab_reserve(&ml->strings, n / 2);
}

struct msg *
message_list_get(struct message_list *ml, guint32 uid)
{
	guint i;

	if (ml->uid_cap == 0 || uid == 0)
		return NULL;
	i = uid_slot(ml, uid);
	return ml->uid_slots[i].idx != 0 ? msg_at(ml, ml->uid_slots[i].idx - 1) : NULL;
}

guint
message_list_size(const struct message_list *ml)
{
	return ml->count;
}

GArray *
message_list_uids(const struct message_list *ml)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(guint32), ml->count);

	for (guint32 i = 0; i < ml->used; i++) {
		const struct msg *m = msg_at(ml, i);

		if (m->live)
			g_array_append_val(out, m->uid);
	}
	return out;
}

/* Take m out of the counts and the UID map; the caller drops it from the
 * arrays, then frees its record. */
static void
unlink_msg(struct message_list *ml, struct msg *m)
{
	count_msg(ml, m, -1);
	if (m->tagged)
		ml->tagged--;
	if (ml->sel == m)
		ml->sel = NULL;
	uid_delete(ml, uid_slot(ml, m->uid));
	m->live = 0;
	ml->count--;
	ml->view_stale = true;
}

static void
free_record(struct message_list *ml, struct msg *m)
{
	for (guint b = 0; b < ml->blocks->len; b++) {
		struct msg *base = ml->blocks->pdata[b];

		if (m >= base && m < base + MESSAGE_LIST_BLOCK) {
			guint32 idx = b * MESSAGE_LIST_BLOCK + (guint32)(m - base);

			g_array_append_val(ml->free_slots, idx);
			return;
		}
	}
}

void
message_list_remove(struct message_list *ml, guint32 uid)
{
	struct msg *m = message_list_get(ml, uid);

	if (m == NULL)
		return;
	unlink_msg(ml, m);
	if (!g_ptr_array_remove(ml->pending, m))
		g_ptr_array_remove(ml->all, m);
	g_ptr_array_remove_fast(ml->view, m); /* rebuilt on refresh, keep no dangling row */
	free_record(ml, m);
}

void
message_list_unmark_all(struct message_list *ml)
{
	for (guint32 i = 0; i < ml->used; i++)
		msg_at(ml, i)->kept = 0;
}

void
message_list_mark(struct message_list *ml, struct msg *m)
{
	(void)ml;
	m->kept = 1;
}

static void
drop_dead(GPtrArray *a)
{
	guint o = 0;

	for (guint i = 0; i < a->len; i++)
		if (((struct msg *)a->pdata[i])->live)
			a->pdata[o++] = a->pdata[i];
	g_ptr_array_set_size(a, o);
}

guint
message_list_remove_unmarked(struct message_list *ml)
{
	GArray *gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint n;

	for (guint32 i = 0; i < ml->used; i++) {
		struct msg *m = msg_at(ml, i);

		if (m->live && !m->kept) {
			unlink_msg(ml, m);
			g_array_append_val(gone, i);
		}
	}
	n = gone->len;
	if (n > 0) {
		/* One pass over each array, not one per message. */
		drop_dead(ml->all);
		drop_dead(ml->pending);
		drop_dead(ml->view);
		g_array_append_vals(ml->free_slots, gone->data, gone->len);
	}
	g_array_free(gone, TRUE);
	return n;
}

void
message_list_remove_many(struct message_list *ml, const guint32 *uids, guint n)
{
	GPtrArray *gone;

	if (n <= 1) {
		if (n == 1)
			message_list_remove(ml, uids[0]);
		return;
	}
	gone = g_ptr_array_sized_new(n);
	for (guint i = 0; i < n; i++) {
		struct msg *m = message_list_get(ml, uids[i]);

		if (m == NULL)
			continue; /* not listed, or named twice */
		unlink_msg(ml, m);
		g_ptr_array_add(gone, m);
	}
	if (gone->len > 0) {
		/* One pass over each array, not a search and a memmove of the
		 * whole folder a message (minutes for ten thousand gone from a
		 * million). */
		drop_dead(ml->all);
		drop_dead(ml->pending);
		drop_dead(ml->view);
		for (guint i = 0; i < gone->len; i++)
			free_record(ml, gone->pdata[i]);
	}
	g_ptr_array_free(gone, TRUE);
}

void
message_list_set_flags(struct message_list *ml, struct msg *m, guint flags)
{
	if (m->flags == flags)
		return;
	count_msg(ml, m, -1);
	m->flags = flags;
	count_msg(ml, m, 1);
}

void
message_list_set_hidden(struct message_list *ml, struct msg *m, bool hidden)
{
	if (m->hidden == hidden)
		return;
	count_msg(ml, m, -1);
	m->hidden = hidden;
	count_msg(ml, m, 1);
	ml->view_stale = true;
}

void
message_list_set_tagged(struct message_list *ml, struct msg *m, bool tagged)
{
	if (m->tagged == tagged)
		return;
	m->tagged = tagged;
	if (tagged)
		ml->tagged++;
	else
		ml->tagged--;
}

void
message_list_set_filter(struct message_list *ml, const GArray *uids)
{
	g_clear_pointer(&ml->filter, g_hash_table_destroy);
	if (uids != NULL) {
		ml->filter = g_hash_table_new(g_direct_hash, g_direct_equal);
		for (guint i = 0; i < uids->len; i++)
			g_hash_table_add(ml->filter,
					 GUINT_TO_POINTER(g_array_index(uids, guint32, i)));
	}
	ml->view_stale = true;
}

void
message_list_set_sort(struct message_list *ml, enum message_sort sort)
{
	if (ml->sort == sort)
		return;
	ml->sort = sort;
	ml->resort = true;
	ml->view_stale = true;
}

void
message_list_set_threaded(struct message_list *ml, bool threaded)
{
	ml->threaded = threaded;
	ml->thread_built = 0;
	ml->view_stale = true;
}

/* ---- decoded fields ------------------------------------------------------ */

enum { DECODE_HEADER, DECODE_VALID };

static const char *
decoded(struct message_list *ml, guint32 id, int kind)
{
	gpointer key = GSIZE_TO_POINTER((gsize)id * 4 + (gsize)kind);
	char *s = g_hash_table_lookup(ml->decoded, key);

	if (s == NULL) {
		const char *raw = strtab_get(&ml->strings, id);

		s = kind == DECODE_HEADER ? text_decode_header_utf8(raw) : text_make_valid(raw, -1);
		g_hash_table_insert(ml->decoded, key, s);
	}
	return s;
}

const char *
message_list_from(struct message_list *ml, const struct msg *m)
{
	const char *raw = strtab_get(&ml->strings, m->from_name);

	if (raw != NULL && *raw != '\0') {
		const char *s = decoded(ml, m->from_name, DECODE_HEADER);

		if (*s != '\0')
			return s;
	}
	return decoded(ml, m->from_addr, DECODE_VALID);
}

const char *
message_list_to(struct message_list *ml, const struct msg *m)
{
	return decoded(ml, m->to, DECODE_HEADER);
}

const char *
message_list_subject(struct message_list *ml, const struct msg *m)
{
	return decoded(ml, m->subject, DECODE_HEADER);
}

const char *
message_list_preview(const struct message_list *ml, const struct msg *m)
{
	return strtab_get(&ml->strings, m->preview);
}

void
message_list_set_preview(struct message_list *ml, struct msg *m, const char *preview)
{
	m->preview = keep(&ml->strings, preview);
}

bool
message_list_has_to(const struct message_list *ml, const struct msg *m)
{
	(void)ml;
	return m->to != 0;
}

const char *
message_list_message_id(const struct message_list *ml, const struct msg *m)
{
	return strtab_get(&ml->ids, m->message_id);
}

const char *
message_list_tree(const struct message_list *ml, const struct msg *m)
{
	const char *s = strtab_get(&ml->trees, m->tree);

	return s != NULL ? s : "";
}

const guint32 *
message_list_refs(const struct message_list *ml, const struct msg *m, guint *n_r)
{
	*n_r = m->nrefs;
	if (m->nrefs == 0)
		return NULL;
	return &g_array_index(ml->ref_pool, guint32, m->refs);
}

/* ---- sorting ------------------------------------------------------------- */

/* "Re: Fwd: [list] Hello" sorts as "hello": drop reply and forward
 * prefixes, then casefold. One key per distinct string, made when first
 * compared, kept while the order is by sender or subject. */
static const char *
sort_key(struct message_list *ml, guint32 id, int kind)
{
	GPtrArray *keys = ml->keys[kind];
	char *k;

	if (id >= keys->len)
		g_ptr_array_set_size(keys, MAX(ml->strings.strs != NULL ? ml->strings.strs->len : 0,
					       id + 1));
	k = keys->pdata[id];
	if (k == NULL) {
		const char *raw = strtab_get(&ml->strings, id);
		char *text = kind == DECODE_HEADER ? text_decode_header_utf8(raw) :
						     text_make_valid(raw, -1);

		if (ml->sort == MESSAGE_SORT_SUBJECT)
			k = g_utf8_casefold(message_thread_base_subject(text), -1);
		else
			k = g_utf8_casefold(text, -1);
		g_free(text);
		keys->pdata[id] = k;
	}
	return k;
}

static const char *
msg_key(struct message_list *ml, const struct msg *m)
{
	const char *raw;

	if (ml->sort == MESSAGE_SORT_SUBJECT)
		return sort_key(ml, m->subject, DECODE_HEADER);
	raw = strtab_get(&ml->strings, m->from_name);
	if (raw != NULL && *raw != '\0') {
		const char *k = sort_key(ml, m->from_name, DECODE_HEADER);

		if (*k != '\0')
			return k;
	}
	return sort_key(ml, m->from_addr, DECODE_VALID);
}

static int
cmp_uid(const struct msg *a, const struct msg *b)
{
	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static int
cmp_date(const struct msg *a, const struct msg *b)
{
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return cmp_uid(a, b);
}

static int
cmp_msgs(struct message_list *ml, const struct msg *a, const struct msg *b)
{
	int r;

	switch (ml->sort) {
	case MESSAGE_SORT_DATE_ASC:
		return cmp_date(a, b);
	case MESSAGE_SORT_FROM:
	case MESSAGE_SORT_SUBJECT:
		r = strcmp(msg_key(ml, a), msg_key(ml, b));
		return r != 0 ? r : -cmp_date(a, b);
	case MESSAGE_SORT_SIZE_DESC:
		if (a->size != b->size)
			return a->size > b->size ? -1 : 1;
		return -cmp_date(a, b);
	case MESSAGE_SORT_DATE_DESC:
	case MESSAGE_SORT_COUNT:
		break;
	}
	return -cmp_date(a, b);
}

static int
cmp_sort_ptr(gconstpointer a, gconstpointer b, gpointer ud)
{
	const struct msg *ma = *(struct msg *const *)a, *mb = *(struct msg *const *)b;

	return cmp_msgs(ud, ma, mb);
}

static void
prepare_keys(struct message_list *ml)
{
	if (ml->keys_sort != (int)ml->sort)
		drop_keys(ml);
	if (ml->sort == MESSAGE_SORT_FROM || ml->sort == MESSAGE_SORT_SUBJECT)
		ml->keys_sort = (int)ml->sort;
}

/* Returns how many messages at the start of all stayed where they were:
 * a folder loading newest first in the date order adds its batches at
 * the end, or close to it. */
static guint
merge_pending(struct message_list *ml)
{
	guint i, j, k;

	prepare_keys(ml);
	if (ml->resort) {
		g_ptr_array_extend_and_steal(ml->all, ml->pending);
		ml->pending = g_ptr_array_new();
		g_ptr_array_sort_with_data(ml->all, cmp_sort_ptr, ml);
		ml->resort = false;
		return 0;
	}
	if (ml->pending->len == 0)
		return ml->all->len;
	g_ptr_array_sort_with_data(ml->pending, cmp_sort_ptr, ml);
	if (ml->all->len == 0 ||
	    cmp_msgs(ml, ml->all->pdata[ml->all->len - 1], ml->pending->pdata[0]) <= 0) {
		k = ml->all->len;
		g_ptr_array_extend_and_steal(ml->all, ml->pending);
		ml->pending = g_ptr_array_new();
		return k;
	}
	/* In place, from the back: no second copy of the list. */
	i = ml->all->len;
	j = ml->pending->len;
	k = i + j;
	g_ptr_array_set_size(ml->all, k);
	while (j > 0) {
		if (i > 0 && cmp_msgs(ml, ml->all->pdata[i - 1], ml->pending->pdata[j - 1]) > 0)
			ml->all->pdata[--k] = ml->all->pdata[--i];
		else
			ml->all->pdata[--k] = ml->pending->pdata[--j];
	}
	g_ptr_array_set_size(ml->pending, 0);
	return k; /* where the first of them went: all before it stayed */
}

/* ---- the view ------------------------------------------------------------ */

static bool
visible(const struct message_list *ml, const struct msg *m)
{
	return !m->hidden &&
	       (ml->filter == NULL || g_hash_table_contains(ml->filter, GUINT_TO_POINTER(m->uid)));
}

/* The view's rows that come before all[from] (from > 0): the view is a
 * sorted part of all (not threaded), so they are those that sort before. */
static guint
rows_before(struct message_list *ml, guint from)
{
	const struct msg *last = ml->all->pdata[from - 1];
	guint lo = 0, hi = ml->view->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (cmp_msgs(ml, ml->view->pdata[mid], last) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The view from all[from] on (from > 0: the view's rows for all[0..from)
 * are there and stay; the rest is made again). */
static void
rebuild_view(struct message_list *ml, guint from)
{
	g_ptr_array_set_size(ml->view, from > 0 ? rows_before(ml, from) : 0);
	for (guint i = from; i < ml->all->len; i++) {
		struct msg *m = ml->all->pdata[i];

		m->in_view = visible(ml, m);
		if (m->in_view)
			g_ptr_array_add(ml->view, m);
	}
	if (ml->threaded) {
		GPtrArray *rows = message_thread_order(ml, ml->view);

		g_ptr_array_free(ml->view, TRUE);
		ml->view = rows;
		ml->thread_built = g_get_monotonic_time();
	}
}

static gssize
find_row(const struct message_list *ml, const struct msg *m)
{
	if (m == NULL || !m->in_view)
		return -1;
	/* Most often it has not moved far. */
	if (ml->sel_row < ml->view->len && ml->view->pdata[ml->sel_row] == m)
		return ml->sel_row;
	for (guint i = 0; i < ml->view->len; i++)
		if (ml->view->pdata[i] == m)
			return i;
	return -1;
}

bool
message_list_refresh(struct message_list *ml)
{
	guint offset = ml->sel_row >= ml->top ? ml->sel_row - ml->top : 0;
	guint kept;
	gssize row;

	if (!ml->view_stale && ml->pending->len == 0 && !ml->resort)
		return false;
	/* Only additions: the threaded view may wait a little, once it
	 * fills the screen (a first screen in several batches does not). */
	if (ml->threaded && !ml->view_stale && ml->thread_built != 0 && !ml->resort &&
	    g_get_monotonic_time() - ml->thread_built < MESSAGE_LIST_THREAD_INTERVAL &&
	    ml->view->len >= MAX(ml->height, 1))
		return true;
	/* The rows of the messages that stayed in place stay: a folder
	 * loading in batches costs each batch, not the folder so far
	 * (1,000,000 messages: 500 batches). */
	kept = merge_pending(ml);
	rebuild_view(ml, ml->view_stale || ml->threaded ? 0 : kept);
	ml->view_stale = false;
	row = find_row(ml, ml->sel);
	if (row < 0) {
		/* Gone (moved away, filtered out): its row goes to the message
		 * that took its place (nothing selected yet: the first). */
		row = (gssize)ml->sel_row;
		if (row >= (gssize)ml->view->len)
			row = (gssize)ml->view->len - 1;
	}
	ml->sel = row >= 0 ? ml->view->pdata[row] : NULL;
	ml->sel_row = row >= 0 ? (guint)row : 0;
	/* At the top, stay there (new mail shows); else keep the selected
	 * message where it was on the screen. */
	if (ml->top != 0)
		ml->top = ml->sel_row >= offset ? ml->sel_row - offset : 0;
	return false;
}

void
message_list_select_row(struct message_list *ml, gssize row)
{
	if (ml->view->len == 0) {
		ml->sel = NULL;
		ml->sel_row = 0;
		return;
	}
	if (row < 0)
		row = 0;
	if (row >= (gssize)ml->view->len)
		row = (gssize)ml->view->len - 1;
	ml->sel_row = (guint)row;
	ml->sel = ml->view->pdata[row];
}

bool
message_list_select_uid(struct message_list *ml, guint32 uid)
{
	struct msg *m = message_list_get(ml, uid);

	if (m == NULL)
		return false;
	message_list_refresh(ml);
	for (guint i = 0; i < ml->view->len; i++) {
		if (ml->view->pdata[i] == m) {
			message_list_select_row(ml, i);
			return true;
		}
	}
	return false;
}

bool
message_list_select_mid(struct message_list *ml, const char *mid)
{
	message_list_refresh(ml);
	for (guint i = 0; i < ml->view->len; i++) {
		if (g_strcmp0(message_list_message_id(ml, ml->view->pdata[i]), mid) == 0) {
			message_list_select_row(ml, i);
			return true;
		}
	}
	return false;
}

void
message_list_move(struct message_list *ml, gssize delta)
{
	message_list_select_row(ml, (gssize)ml->sel_row + delta);
}

bool
message_list_next_unread(struct message_list *ml, int dir)
{
	gssize n = (gssize)ml->view->len;

	for (gssize i = (gssize)ml->sel_row + dir; i >= 0 && i < n; i += dir) {
		const struct msg *m = ml->view->pdata[i];

		if (!(m->flags & IMAP_FLAG_SEEN)) {
			message_list_select_row(ml, i);
			return true;
		}
	}
	return false;
}

void
message_list_scroll(struct message_list *ml, guint height)
{
	guint len = ml->view->len;

	ml->height = height;
	/* Before the rows are drawn: what they decode stays valid for them. */
	if (g_hash_table_size(ml->decoded) > MESSAGE_LIST_DECODED_MAX)
		g_hash_table_remove_all(ml->decoded);
	if (height == 0)
		return;
	if (ml->sel_row < ml->top)
		ml->top = ml->sel_row;
	if (ml->sel_row >= ml->top + height)
		ml->top = ml->sel_row - height + 1;
	if (len <= height)
		ml->top = 0;
	else if (ml->top > len - height)
		ml->top = len - height;
}

GPtrArray *
message_list_tagged(struct message_list *ml)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < ml->view->len; i++) {
		struct msg *m = ml->view->pdata[i];

		if (m->tagged)
			g_ptr_array_add(out, m);
	}
	return out;
}

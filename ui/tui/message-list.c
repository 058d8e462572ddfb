/* tern — ui/tui/message-list: the messages of the open folder as rows.
 *
 * `all` stays sorted: messages that arrive go to `pending`, which a refresh
 * sorts and merges in (linear), so a folder that streams in 100,000
 * messages in batches costs a merge per batch, not a sort. The view is the
 * filtered (and perhaps threaded) copy the pane draws. */
#include "config.h"
#include "core/common.h"

#include <string.h>

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

static void
msg_free(gpointer p)
{
	struct msg *m = p;

	g_free(m->from);
	g_free(m->to);
	g_free(m->subject);
	g_free(m->sort_key);
	g_free(m->tree);
	g_free(m);
}

struct message_list *
message_list_new(void)
{
	struct message_list *ml = g_new0(struct message_list, 1);

	ml->by_uid = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, msg_free);
	ml->all = g_ptr_array_new();
	ml->pending = g_ptr_array_new();
	ml->view = g_ptr_array_new();
	ml->strings = g_string_chunk_new(64 * 1024);
	return ml;
}

void
message_list_clear(struct message_list *ml)
{
	g_ptr_array_set_size(ml->all, 0);
	g_ptr_array_set_size(ml->pending, 0);
	g_ptr_array_set_size(ml->view, 0);
	g_hash_table_remove_all(ml->by_uid);
	g_string_chunk_clear(ml->strings);
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
	g_hash_table_destroy(ml->by_uid);
	g_string_chunk_free(ml->strings);
	g_free(ml);
	*mlp = NULL;
}

/* A raw field into the string chunk, cut (on a UTF-8 boundary when valid)
 * at MESSAGE_LIST_MAX_FIELD. */
static const char *
keep(struct message_list *ml, const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strnlen(s, MESSAGE_LIST_MAX_FIELD);
	while (n > 0 && n == MESSAGE_LIST_MAX_FIELD && ((guchar)s[n] & 0xC0) == 0x80)
		n--;
	return g_string_chunk_insert_len(ml->strings, s, (gssize)n);
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

struct msg *
message_list_add(struct message_list *ml, const struct imap_summary *s)
{
	struct msg *m = g_hash_table_lookup(ml->by_uid, GUINT_TO_POINTER(s->uid));

	if (m != NULL) {
		message_list_set_flags(ml, m, s->flags);
		return m;
	}
	if (s->uid == 0 || g_hash_table_size(ml->by_uid) >= MESSAGE_LIST_MAX)
		return NULL;
	m = g_new0(struct msg, 1);
	m->uid = s->uid;
	m->flags = s->flags;
	m->size = s->size;
	m->date = s->date;
	m->date_tz = s->date_tz;
	m->from_name_raw = keep(ml, s->from_name);
	m->from_addr = keep(ml, s->from_addr != NULL ? s->from_addr : s->from);
	m->to_raw = keep(ml, s->to);
	m->subject_raw = keep(ml, s->subject);
	m->message_id = keep(ml, s->message_id);
	m->in_reply_to = keep(ml, s->in_reply_to);
	m->references = keep(ml, s->references);
	g_hash_table_insert(ml->by_uid, GUINT_TO_POINTER(m->uid), m);
	g_ptr_array_add(ml->pending, m);
	count_msg(ml, m, 1);
	return m;
}

struct msg *
message_list_get(struct message_list *ml, guint32 uid)
{
	return g_hash_table_lookup(ml->by_uid, GUINT_TO_POINTER(uid));
}

void
message_list_remove(struct message_list *ml, guint32 uid)
{
	struct msg *m = message_list_get(ml, uid);

	if (m == NULL)
		return;
	count_msg(ml, m, -1);
	if (m->tagged)
		ml->tagged--;
	if (!g_ptr_array_remove(ml->pending, m))
		g_ptr_array_remove(ml->all, m);
	g_ptr_array_remove_fast(ml->view, m); /* rebuilt below, keep no dangling row */
	if (ml->sel == m)
		ml->sel = NULL;
	g_hash_table_remove(ml->by_uid, GUINT_TO_POINTER(uid));
	ml->view_stale = true;
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

const char *
msg_from(struct msg *m)
{
	if (m->from == NULL) {
		if (m->from_name_raw != NULL && *m->from_name_raw != '\0')
			m->from = text_decode_header_utf8(m->from_name_raw);
		if (m->from == NULL || *m->from == '\0') {
			g_free(m->from);
			m->from = text_make_valid(m->from_addr != NULL ? m->from_addr : "", -1);
		}
	}
	return m->from;
}

const char *
msg_to(struct msg *m)
{
	if (m->to == NULL)
		m->to = text_decode_header_utf8(m->to_raw);
	return m->to;
}

const char *
msg_subject(struct msg *m)
{
	if (m->subject == NULL)
		m->subject = text_decode_header_utf8(m->subject_raw);
	return m->subject;
}

/* ---- sorting ------------------------------------------------------------- */

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
cmp_key(const struct msg *a, const struct msg *b)
{
	int r = strcmp(a->sort_key, b->sort_key);

	return r != 0 ? r : -cmp_date(a, b);
}

static int
cmp_msgs(const struct msg *a, const struct msg *b, enum message_sort s)
{
	switch (s) {
	case MESSAGE_SORT_DATE_ASC:
		return cmp_date(a, b);
	case MESSAGE_SORT_FROM:
	case MESSAGE_SORT_SUBJECT:
		return cmp_key(a, b);
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

	return cmp_msgs(ma, mb, (enum message_sort)GPOINTER_TO_INT(ud));
}

/* "Re: Fwd: [list] Hello" sorts as "hello": drop reply and forward
 * prefixes, then casefold. */
static void
make_sort_key(struct msg *m, enum message_sort s)
{
	const char *text;

	g_free(m->sort_key);
	if (s == MESSAGE_SORT_FROM) {
		text = msg_from(m);
	} else {
		text = message_thread_base_subject(msg_subject(m));
	}
	m->sort_key = g_utf8_casefold(text, -1);
}

static void
prepare_keys(GPtrArray *a, enum message_sort s)
{
	if (s != MESSAGE_SORT_FROM && s != MESSAGE_SORT_SUBJECT)
		return;
	for (guint i = 0; i < a->len; i++)
		make_sort_key(a->pdata[i], s);
}

static void
merge_pending(struct message_list *ml)
{
	GPtrArray *out;
	guint i = 0, j = 0;

	if (ml->resort) {
		g_ptr_array_extend_and_steal(ml->all, ml->pending);
		ml->pending = g_ptr_array_new();
		prepare_keys(ml->all, ml->sort);
		g_ptr_array_sort_with_data(ml->all, cmp_sort_ptr, GINT_TO_POINTER(ml->sort));
		ml->resort = false;
		return;
	}
	if (ml->pending->len == 0)
		return;
	prepare_keys(ml->pending, ml->sort);
	g_ptr_array_sort_with_data(ml->pending, cmp_sort_ptr, GINT_TO_POINTER(ml->sort));
	out = g_ptr_array_sized_new(ml->all->len + ml->pending->len);
	while (i < ml->all->len || j < ml->pending->len) {
		if (j >= ml->pending->len ||
		    (i < ml->all->len &&
		     cmp_msgs(ml->all->pdata[i], ml->pending->pdata[j], ml->sort) <= 0))
			g_ptr_array_add(out, ml->all->pdata[i++]);
		else
			g_ptr_array_add(out, ml->pending->pdata[j++]);
	}
	g_ptr_array_free(ml->all, TRUE);
	ml->all = out;
	g_ptr_array_set_size(ml->pending, 0);
}

/* ---- the view ------------------------------------------------------------ */

static bool
visible(const struct message_list *ml, const struct msg *m)
{
	return !m->hidden &&
	       (ml->filter == NULL || g_hash_table_contains(ml->filter, GUINT_TO_POINTER(m->uid)));
}

static void
rebuild_view(struct message_list *ml)
{
	g_ptr_array_set_size(ml->view, 0);
	for (guint i = 0; i < ml->all->len; i++) {
		struct msg *m = ml->all->pdata[i];

		m->in_view = visible(ml, m);
		if (m->in_view)
			g_ptr_array_add(ml->view, m);
	}
	if (ml->threaded) {
		GPtrArray *rows = message_thread_order(ml->view, ml->sort);

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
	gssize row;

	if (!ml->view_stale && ml->pending->len == 0 && !ml->resort)
		return false;
	/* Only additions: the threaded view may wait a little. */
	if (ml->threaded && !ml->view_stale && ml->thread_built != 0 && !ml->resort &&
	    g_get_monotonic_time() - ml->thread_built < MESSAGE_LIST_THREAD_INTERVAL &&
	    ml->view->len > 0)
		return true;
	merge_pending(ml);
	rebuild_view(ml);
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

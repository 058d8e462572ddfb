/* tern — ui/tui/message-thread: JWZ-style threading.
 *
 * As in Jamie Zawinski's algorithm: one container per Message-ID, linked by
 * each References chain (never making a loop), a message's parent being the
 * last of its references; containers without a message (referenced but not
 * here) are skipped, their children hanging from the nearest ancestor that
 * has one; roots whose subject is a reply join the root with that subject.
 * Everything is iterative and bounded: a hostile chain of 100,000 replies
 * costs linear time and no stack. The list hands Message-IDs over as
 * small ids, so a container is found by indexing, not hashing. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/tui/message-thread.h"

struct container {
	struct msg *msg;
	struct container *parent;
	/* The tree of messages (empty containers skipped). */
	struct container *eparent;
	GPtrArray *kids;
	bool is_parent; /* some container has this one as parent */
	guint index;  /* position in the input */
	guint min;    /* smallest index in the subtree */
};

struct threader {
	struct message_list *ml;
	guint32 *by_id;          /* Message-ID id -> container index + 1 */
	guint n_ids;
	struct container *pool;  /* every container, in the order made */
	guint n_pool, max_pool;
	GHashTable *subjects;    /* subject id -> decoded subject (owned) */
};

static const char *const reply_prefixes[] = { "re", "fwd", "fw", "aw", "sv", "wg", "antw" };

/* Length of one "Re:" / "Re[2]:" / "Fwd:" prefix at s, or 0. */
static size_t
prefix_len(const char *s)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(reply_prefixes); i++) {
		size_t n = strlen(reply_prefixes[i]);

		if (g_ascii_strncasecmp(s, reply_prefixes[i], n) != 0)
			continue;
		if (s[n] == '[') {
			size_t d = n + 1;

			while (g_ascii_isdigit(s[d]) && d < n + 6)
				d++;
			if (s[d] != ']')
				continue;
			n = d + 1;
		}
		if (s[n] == ':')
			return n + 1;
	}
	return 0;
}

const char *
message_thread_base_subject(const char *s)
{
	if (s == NULL)
		return "";
	for (;;) {
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		n = prefix_len(s);
		if (n == 0)
			return s;
		s += n;
	}
}

bool
message_thread_is_reply(const char *s)
{
	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	return prefix_len(s) > 0;
}

static struct container *
new_container(struct threader *t)
{
	g_assert(t->n_pool < t->max_pool);
	return &t->pool[t->n_pool++];
}

static struct container *
lookup(struct threader *t, guint32 id)
{
	if (id >= t->n_ids)
		return new_container(t); /* not in the table: cannot happen */
	if (t->by_id[id] == 0) {
		new_container(t);
		t->by_id[id] = t->n_pool;
	}
	return &t->pool[t->by_id[id] - 1];
}

/* Is a the same as b or one of its ancestors? (Unknown past the walk
 * limit: say yes, which only refuses a link.) */
static bool
is_ancestor(const struct container *a, const struct container *b)
{
	for (int i = 0; b != NULL; b = b->parent, i++) {
		if (b == a || i >= MESSAGE_THREAD_MAX_WALK)
			return true;
	}
	return false;
}

static void
set_parent(struct container *c, struct container *parent)
{
	/* Only a container with children can close a loop. */
	if (parent == c || (parent != NULL && c->is_parent && is_ancestor(c, parent)))
		return;
	c->parent = parent;
	if (parent != NULL)
		parent->is_parent = true;
}

static void
add_message(struct threader *t, struct msg *m, guint index)
{
	struct container *c = NULL, *prev = NULL;
	const guint32 *refs;
	guint nrefs;

	if (m->message_id != 0 && !m->mid_raw) {
		c = lookup(t, m->message_id);
		if (c->msg != NULL) /* a duplicate Message-ID: keep apart */
			c = NULL;
	}
	if (c == NULL)
		c = new_container(t);
	c->msg = m;
	c->index = index;
	/* In-Reply-To stands here as the only reference when there is none. */
	refs = message_list_refs(t->ml, m, &nrefs);
	for (guint i = 0; i < nrefs && i < MESSAGE_THREAD_MAX_REFS; i++) {
		struct container *r = lookup(t, refs[i]);

		if (prev != NULL && r->parent == NULL && r != prev)
			set_parent(r, prev);
		prev = r;
	}
	if (prev != c)
		set_parent(c, prev);
}

/* The nearest ancestor that holds a message. */
static struct container *
message_parent(struct container *c)
{
	c = c->parent;
	for (int i = 0; c != NULL && c->msg == NULL; i++) {
		if (i >= MESSAGE_THREAD_MAX_WALK)
			return NULL;
		c = c->parent;
	}
	return c;
}

static void
add_kid(struct container *parent, struct container *kid)
{
	if (parent->kids == NULL)
		parent->kids = g_ptr_array_new();
	g_ptr_array_add(parent->kids, kid);
	kid->eparent = parent;
}

/* Roots whose subject is a reply join a root with the same base subject
 * that is not a reply (or the first root with it). */
static const char *
subject(struct threader *t, const struct msg *m)
{
	gpointer key = GUINT_TO_POINTER(m->subject);
	char *s = g_hash_table_lookup(t->subjects, key);

	if (s == NULL) {
		s = text_decode_header_utf8(strtab_get(&t->ml->strings, m->subject));
		g_hash_table_insert(t->subjects, key, s);
	}
	return s;
}

static GPtrArray *
group_by_subject(struct threader *t, GPtrArray *roots)
{
	GHashTable *by_subject = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < roots->len; i++) {
		struct container *r = roots->pdata[i];
		const char *subj = subject(t, r->msg), *base = message_thread_base_subject(subj);
		struct container *old;

		if (*base == '\0')
			continue;
		old = g_hash_table_lookup(by_subject, base);
		if (old == NULL || (message_thread_is_reply(subject(t, old->msg)) &&
				    !message_thread_is_reply(subj)))
			g_hash_table_insert(by_subject, (gpointer)base, r);
	}
	for (guint i = 0; i < roots->len; i++) {
		struct container *r = roots->pdata[i];
		const char *subj = subject(t, r->msg);
		struct container *home = g_hash_table_lookup(
			by_subject, message_thread_base_subject(subj));

		if (home != NULL && home != r && message_thread_is_reply(subj))
			add_kid(home, r);
		else
			g_ptr_array_add(out, r);
	}
	g_hash_table_destroy(by_subject);
	return out;
}

static int
cmp_kid_date(gconstpointer a, gconstpointer b)
{
	const struct container *ca = *(struct container *const *)a;
	const struct container *cb = *(struct container *const *)b;

	if (ca->msg->date != cb->msg->date)
		return ca->msg->date < cb->msg->date ? -1 : 1;
	return ca->msg->uid < cb->msg->uid ? -1 : ca->msg->uid > cb->msg->uid;
}

static int
cmp_root_min(gconstpointer a, gconstpointer b)
{
	const struct container *ca = *(struct container *const *)a;
	const struct container *cb = *(struct container *const *)b;

	return ca->min < cb->min ? -1 : ca->min > cb->min;
}

/* Post-order over every tree: sort children by date, compute min. */
static void
compute_min(struct container *root)
{
	GPtrArray *stack = g_ptr_array_new();
	GArray *pos = g_array_new(FALSE, FALSE, sizeof(guint));
	guint zero = 0;

	g_ptr_array_add(stack, root);
	g_array_append_val(pos, zero);
	while (stack->len > 0) {
		struct container *c = stack->pdata[stack->len - 1];
		guint *i = &g_array_index(pos, guint, pos->len - 1);

		if (*i == 0) {
			c->min = c->index;
			if (c->kids != NULL)
				g_ptr_array_sort(c->kids, cmp_kid_date);
		}
		if (c->kids != NULL && *i < c->kids->len) {
			struct container *k = c->kids->pdata[(*i)++];

			g_ptr_array_add(stack, k);
			g_array_append_val(pos, zero);
			continue;
		}
		g_ptr_array_set_size(stack, stack->len - 1);
		g_array_set_size(pos, pos->len - 1);
		if (c->eparent != NULL && c->min < c->eparent->min)
			c->eparent->min = c->min;
	}
	g_ptr_array_free(stack, TRUE);
	g_array_free(pos, TRUE);
}

/* The branch drawn before a reply's subject: one column pair per level
 * ("│ " while that ancestor has later siblings), then "├─>" or "└─>". */
static guint32
tree_prefix(struct message_list *ml, GString *s, const GArray *last, guint depth)
{
	guint shown = MIN(depth, MESSAGE_THREAD_MAX_INDENT);

	g_string_truncate(s, 0);
	if (depth > 0) {
		for (guint d = 1; d < shown; d++)
			g_string_append(s, g_array_index(last, gboolean, d) ? "  " : "│ ");
		g_string_append(s, g_array_index(last, gboolean, shown) ? "└─>" : "├─>");
	}
	/* A handful of distinct branches: each kept once. */
	return strtab_intern(&ml->trees, s->str, s->len);
}

/* Pre-order output of one tree, with each row's branch. */
static void
emit_tree(struct message_list *ml, struct container *root, GPtrArray *rows, GString *buf)
{
	GPtrArray *stack = g_ptr_array_new();
	GArray *pos = g_array_new(FALSE, FALSE, sizeof(guint));
	GArray *last = g_array_new(FALSE, TRUE, sizeof(gboolean));
	guint zero = 0;
	gboolean yes = TRUE;

	g_ptr_array_add(stack, root);
	g_array_append_val(pos, zero);
	g_array_append_val(last, yes);
	while (stack->len > 0) {
		guint depth = stack->len - 1;
		struct container *c = stack->pdata[depth];
		guint *i = &g_array_index(pos, guint, depth);

		if (*i == 0) {
			c->msg->tree = tree_prefix(ml, buf, last, depth);
			g_ptr_array_add(rows, c->msg);
		}
		if (c->kids != NULL && *i < c->kids->len) {
			gboolean is_last = *i + 1 == c->kids->len;

			g_ptr_array_add(stack, c->kids->pdata[(*i)++]);
			g_array_append_val(pos, zero);
			g_array_set_size(last, depth + 1);
			g_array_append_val(last, is_last);
			continue;
		}
		g_ptr_array_set_size(stack, depth);
		g_array_set_size(pos, depth);
	}
	g_ptr_array_free(stack, TRUE);
	g_array_free(pos, TRUE);
	g_array_free(last, TRUE);
}

GPtrArray *
message_thread_order(struct message_list *ml, GPtrArray *msgs)
{
	struct threader t = { .ml = ml };
	GPtrArray *roots = g_ptr_array_new(), *grouped, *rows;
	GString *buf = g_string_new(NULL);

	/* Each Message-ID has at most one container, and each message at
	 * most one of its own besides. */
	t.n_ids = ml->ids.strs != NULL ? ml->ids.strs->len : 0;
	t.by_id = g_new0(guint32, MAX(t.n_ids, 1));
	t.max_pool = t.n_ids + msgs->len;
	t.pool = g_new0(struct container, MAX(t.max_pool, 1));
	t.subjects = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	for (guint i = 0; i < msgs->len; i++)
		add_message(&t, msgs->pdata[i], i);
	for (guint i = 0; i < t.n_pool; i++) {
		struct container *c = &t.pool[i], *p;

		if (c->msg == NULL)
			continue;
		p = message_parent(c);
		if (p != NULL)
			add_kid(p, c);
		else
			g_ptr_array_add(roots, c);
	}
	grouped = group_by_subject(&t, roots);
	for (guint i = 0; i < grouped->len; i++)
		compute_min(grouped->pdata[i]);
	g_ptr_array_sort(grouped, cmp_root_min);
	rows = g_ptr_array_sized_new(msgs->len);
	for (guint i = 0; i < grouped->len; i++)
		emit_tree(ml, grouped->pdata[i], rows, buf);
	g_ptr_array_free(roots, TRUE);
	g_ptr_array_free(grouped, TRUE);
	for (guint i = 0; i < t.n_pool; i++)
		if (t.pool[i].kids != NULL)
			g_ptr_array_free(t.pool[i].kids, TRUE);
	g_free(t.pool);
	g_free(t.by_id);
	g_hash_table_destroy(t.subjects);
	g_string_free(buf, TRUE);
	return rows;
}

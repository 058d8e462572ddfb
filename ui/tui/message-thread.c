/* tern — ui/tui/message-thread: JWZ-style threading.
 *
 * As in Jamie Zawinski's algorithm: one container per Message-ID, linked by
 * each References chain (never making a loop), a message's parent being the
 * last of its references; containers without a message (referenced but not
 * here) are skipped, their children hanging from the nearest ancestor that
 * has one; roots whose subject is a reply join the root with that subject.
 * Everything is iterative and bounded: a hostile chain of 100,000 replies
 * costs linear time and no stack. */
#include "config.h"
#include "core/common.h"

#include <string.h>

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
	GHashTable *by_id; /* id (in chunk) -> struct container * */
	GPtrArray *all;    /* every container (owned) */
	GStringChunk *ids;
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

/* The next "<...>" in *p (advanced past it), or NULL. */
static const char *
next_id(struct threader *t, const char **p)
{
	const char *s = *p, *open, *close;

	if (s == NULL)
		return NULL;
	open = strchr(s, '<');
	if (open == NULL)
		return NULL;
	close = strchr(open, '>');
	if (close == NULL || close == open + 1) {
		*p = close != NULL ? close + 1 : NULL;
		return close != NULL ? next_id(t, p) : NULL;
	}
	*p = close + 1;
	return g_string_chunk_insert_len(t->ids, open + 1, close - open - 1);
}

static struct container *
new_container(struct threader *t)
{
	struct container *c = g_new0(struct container, 1);

	g_ptr_array_add(t->all, c);
	return c;
}

static struct container *
lookup(struct threader *t, const char *id)
{
	struct container *c = g_hash_table_lookup(t->by_id, id);

	if (c == NULL) {
		c = new_container(t);
		g_hash_table_insert(t->by_id, (gpointer)id, c);
	}
	return c;
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
	const char *p = m->message_id, *id = next_id(t, &p);
	struct container *c = NULL, *prev = NULL;
	int nrefs = 0;

	if (id != NULL) {
		c = lookup(t, id);
		if (c->msg != NULL) /* a duplicate Message-ID: keep apart */
			c = NULL;
	}
	if (c == NULL)
		c = new_container(t);
	c->msg = m;
	c->index = index;
	p = m->references;
	while (nrefs++ < MESSAGE_THREAD_MAX_REFS && (id = next_id(t, &p)) != NULL) {
		struct container *r = lookup(t, id);

		if (prev != NULL && r->parent == NULL && r != prev)
			set_parent(r, prev);
		prev = r;
	}
	if (prev == NULL && m->in_reply_to != NULL) {
		p = m->in_reply_to;
		if ((id = next_id(t, &p)) != NULL)
			prev = lookup(t, id);
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
static GPtrArray *
group_by_subject(GPtrArray *roots)
{
	GHashTable *by_subject = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < roots->len; i++) {
		struct container *r = roots->pdata[i];
		const char *subj = msg_subject(r->msg), *base = message_thread_base_subject(subj);
		struct container *old;

		if (*base == '\0')
			continue;
		old = g_hash_table_lookup(by_subject, base);
		if (old == NULL || (message_thread_is_reply(msg_subject(old->msg)) &&
				    !message_thread_is_reply(subj)))
			g_hash_table_insert(by_subject, (gpointer)base, r);
	}
	for (guint i = 0; i < roots->len; i++) {
		struct container *r = roots->pdata[i];
		const char *subj = msg_subject(r->msg);
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
static char *
tree_prefix(const GArray *last, guint depth)
{
	GString *s = g_string_new(NULL);
	guint shown = MIN(depth, MESSAGE_THREAD_MAX_INDENT);

	if (depth == 0)
		return g_string_free(s, FALSE);
	for (guint d = 1; d < shown; d++)
		g_string_append(s, g_array_index(last, gboolean, d) ? "  " : "│ ");
	g_string_append(s, g_array_index(last, gboolean, shown) ? "└─>" : "├─>");
	return g_string_free(s, FALSE);
}

/* Pre-order output of one tree, with each row's branch. */
static void
emit_tree(struct container *root, GPtrArray *rows)
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
			g_free(c->msg->tree);
			c->msg->tree = tree_prefix(last, depth);
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

static void
container_free(gpointer p)
{
	struct container *c = p;

	if (c->kids != NULL)
		g_ptr_array_free(c->kids, TRUE);
	g_free(c);
}

GPtrArray *
message_thread_order(GPtrArray *msgs, enum message_sort sort)
{
	struct threader t;
	GPtrArray *roots = g_ptr_array_new(), *grouped, *rows;

	(void)sort; /* threads follow the order msgs are in */
	t.by_id = g_hash_table_new(g_str_hash, g_str_equal);
	t.all = g_ptr_array_new_with_free_func(container_free);
	t.ids = g_string_chunk_new(16 * 1024);
	for (guint i = 0; i < msgs->len; i++)
		add_message(&t, msgs->pdata[i], i);
	for (guint i = 0; i < t.all->len; i++) {
		struct container *c = t.all->pdata[i], *p;

		if (c->msg == NULL)
			continue;
		p = message_parent(c);
		if (p != NULL)
			add_kid(p, c);
		else
			g_ptr_array_add(roots, c);
	}
	grouped = group_by_subject(roots);
	for (guint i = 0; i < grouped->len; i++)
		compute_min(grouped->pdata[i]);
	g_ptr_array_sort(grouped, cmp_root_min);
	rows = g_ptr_array_sized_new(msgs->len);
	for (guint i = 0; i < grouped->len; i++)
		emit_tree(grouped->pdata[i], rows);
	g_ptr_array_free(roots, TRUE);
	g_ptr_array_free(grouped, TRUE);
	g_ptr_array_free(t.all, TRUE);
	g_hash_table_destroy(t.by_id);
	g_string_chunk_free(t.ids);
	return rows;
}

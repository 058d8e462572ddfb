/* tern — ui/tui/folder-tree: the folder pane's tree.
 *
 * Built from LIST by splitting each name at its delimiter; a level the
 * server did not list ("a" for "a/b") becomes a node that cannot be
 * opened. Rows are the nodes not hidden inside a folded parent. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/text/text.h"
#include "ui/tui/folder-tree.h"

static void
node_free(gpointer p)
{
	struct folder_node *n = p;

	g_free(n->name);
	g_free(n->label);
	g_ptr_array_free(n->children, TRUE);
	g_free(n);
}

static struct folder_node *
node_new(const char *name, const char *label, int depth, struct folder_node *parent)
{
	struct folder_node *n = g_new0(struct folder_node, 1);

	n->name = g_strdup(name);
	n->label = text_make_valid(label, -1); /* collated and drawn */
	n->depth = depth;
	n->parent = parent;
	n->role = FOLDER_ROLE_NONE;
	n->messages = n->unseen = -1;
	n->children = g_ptr_array_new_with_free_func(node_free);
	return n;
}

struct folder_tree *
folder_tree_new(void)
{
	struct folder_tree *t = g_new0(struct folder_tree, 1);

	t->roots = g_ptr_array_new_with_free_func(node_free);
	t->rows = g_ptr_array_new();
	t->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	return t;
}

void
folder_tree_free(struct folder_tree **tp)
{
	struct folder_tree *t = *tp;

	if (t == NULL)
		return;
	g_ptr_array_free(t->rows, TRUE);
	g_ptr_array_free(t->roots, TRUE);
	g_hash_table_destroy(t->by_name);
	g_free(t);
	*tp = NULL;
}

static int
role_rank(const struct folder_node *n)
{
	if (n->depth == 0 && g_ascii_strcasecmp(n->name, "INBOX") == 0)
		return -1;
	return (int)n->role;
}

static int
cmp_nodes(gconstpointer a, gconstpointer b)
{
	const struct folder_node *na = *(struct folder_node *const *)a;
	const struct folder_node *nb = *(struct folder_node *const *)b;
	int ra = role_rank(na), rb = role_rank(nb);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return g_utf8_collate(na->label, nb->label);
}

static void
sort_level(GPtrArray *level)
{
	g_ptr_array_sort(level, cmp_nodes);
	for (guint i = 0; i < level->len; i++)
		sort_level(((struct folder_node *)level->pdata[i])->children);
}

/* The node for the path of the first `depth + 1` parts, made when missing. */
static struct folder_node *
get_level(struct folder_tree *t, char **parts, int depth, char delim)
{
	GPtrArray *level = t->roots;
	struct folder_node *parent = NULL, *n = NULL;
	GString *path = g_string_new(NULL);

	for (int d = 0; d <= depth; d++) {
		if (d > 0)
			g_string_append_c(path, delim);
		g_string_append(path, parts[d]);
		n = g_hash_table_lookup(t->by_name, path->str);
		if (n == NULL) {
			n = node_new(path->str, parts[d], d, parent);
			g_ptr_array_add(level, n);
			g_hash_table_insert(t->by_name, n->name, n);
		}
		parent = n;
		level = n->children;
	}
	g_string_free(path, TRUE);
	return n;
}

static void
add_folder(struct folder_tree *t, const struct imap_folder *f)
{
	char delim[2] = { f->delimiter, '\0' };
	char **parts;
	int depth;
	struct folder_node *n;

	if (f->name == NULL || *f->name == '\0')
		return;
	if (f->delimiter != '\0')
		parts = g_strsplit(f->name, delim, FOLDER_TREE_MAX_DEPTH);
	else
		parts = g_strsplit(f->name, "", 1);
	depth = (int)g_strv_length(parts) - 1;
	/* "a//b" or a leading delimiter: keep the name whole. */
	for (int i = 0; i <= depth; i++) {
		if (*parts[i] == '\0') {
			g_strfreev(parts);
			parts = g_strsplit(f->name, "", 1);
			depth = 0;
			break;
		}
	}
	n = get_level(t, parts, depth, f->delimiter);
	g_strfreev(parts);
	n->selectable = !(f->attrs & (IMAP_FOLDER_NOSELECT | IMAP_FOLDER_NONEXISTENT));
	n->role = f->role;
	n->messages = f->messages;
	n->unseen = f->unseen;
}

static void
add_rows(struct folder_tree *t, GPtrArray *level)
{
	for (guint i = 0; i < level->len; i++) {
		struct folder_node *n = level->pdata[i];

		g_ptr_array_add(t->rows, n);
		if (!n->collapsed)
			add_rows(t, n->children);
	}
}

static void
rebuild_rows(struct folder_tree *t, const char *keep_sel)
{
	g_ptr_array_set_size(t->rows, 0);
	add_rows(t, t->roots);
	if (keep_sel == NULL || !folder_tree_select_name(t, keep_sel))
		t->sel = t->rows->len == 0 ? 0 : MIN(t->sel, t->rows->len - 1);
}

static void
remember_folds(GPtrArray *level, GHashTable *folded)
{
	for (guint i = 0; i < level->len; i++) {
		struct folder_node *n = level->pdata[i];

		if (n->collapsed)
			g_hash_table_add(folded, g_strdup(n->name));
		remember_folds(n->children, folded);
	}
}

void
folder_tree_set(struct folder_tree *t, const GPtrArray *folders)
{
	GHashTable *folded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct folder_node *sel = folder_tree_selected(t);
	char *sel_name = sel != NULL ? g_strdup(sel->name) : NULL;
	GHashTableIter it;
	gpointer k, v;

	remember_folds(t->roots, folded);
	g_hash_table_remove_all(t->by_name);
	g_ptr_array_set_size(t->rows, 0);
	g_ptr_array_set_size(t->roots, 0);
	for (guint i = 0; folders != NULL && i < folders->len && i < FOLDER_TREE_MAX; i++)
		add_folder(t, folders->pdata[i]);
	sort_level(t->roots);
	g_hash_table_iter_init(&it, t->by_name);
	while (g_hash_table_iter_next(&it, &k, &v))
		((struct folder_node *)v)->collapsed = g_hash_table_contains(folded, k);
	rebuild_rows(t, sel_name);
	g_free(sel_name);
	g_hash_table_destroy(folded);
}

struct folder_node *
folder_tree_find(struct folder_tree *t, const char *name)
{
	return name != NULL ? g_hash_table_lookup(t->by_name, name) : NULL;
}

struct folder_node *
folder_tree_selected(struct folder_tree *t)
{
	return t->sel < t->rows->len ? t->rows->pdata[t->sel] : NULL;
}

bool
folder_tree_select_name(struct folder_tree *t, const char *name)
{
	struct folder_node *n = folder_tree_find(t, name);
	bool unfolded = false;

	if (n == NULL)
		return false;
	for (struct folder_node *p = n->parent; p != NULL; p = p->parent) {
		if (p->collapsed) {
			p->collapsed = false;
			unfolded = true;
		}
	}
	if (unfolded) {
		g_ptr_array_set_size(t->rows, 0);
		add_rows(t, t->roots);
	}
	for (guint i = 0; i < t->rows->len; i++) {
		if (t->rows->pdata[i] == n) {
			t->sel = i;
			return true;
		}
	}
	return false;
}

void
folder_tree_move(struct folder_tree *t, gssize delta)
{
	gssize s = (gssize)t->sel + delta;

	if (t->rows->len == 0)
		return;
	if (s < 0)
		s = 0;
	if (s >= (gssize)t->rows->len)
		s = (gssize)t->rows->len - 1;
	t->sel = (guint)s;
}

void
folder_tree_toggle(struct folder_tree *t, struct folder_node *n)
{
	struct folder_node *sel = folder_tree_selected(t);

	if (n == NULL || n->children->len == 0)
		return;
	n->collapsed = !n->collapsed;
	/* The selection may have been inside: select the folded node. */
	for (struct folder_node *p = sel; p != NULL; p = p->parent)
		if (p->parent == n && n->collapsed)
			sel = n;
	g_ptr_array_set_size(t->rows, 0);
	add_rows(t, t->roots);
	for (guint i = 0; i < t->rows->len; i++)
		if (t->rows->pdata[i] == sel)
			t->sel = i;
}

void
folder_tree_scroll(struct folder_tree *t, guint height)
{
	guint len = t->rows->len;

	if (height == 0)
		return;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + height)
		t->top = t->sel - height + 1;
	if (len <= height)
		t->top = 0;
	else if (t->top > len - height)
		t->top = len - height;
}

void
folder_tree_set_counts(struct folder_tree *t, const char *name, gint64 messages, gint64 unseen)
{
	struct folder_node *n = folder_tree_find(t, name);

	if (n == NULL)
		return;
	n->messages = messages;
	n->unseen = unseen;
}

gint64
folder_tree_unseen_below(const struct folder_node *n)
{
	gint64 sum = 0;

	for (guint i = 0; i < n->children->len; i++) {
		const struct folder_node *c = n->children->pdata[i];

		if (c->unseen > 0)
			sum += c->unseen;
		sum += folder_tree_unseen_below(c);
	}
	return sum;
}

/* Where the folded text is in n's folded name: 0 none, 1 inside, 2 at
 * the start. */
static int
match_rank(const struct folder_node *n, const char *folded_text)
{
	char *valid = text_make_valid(n->name, -1);
	char *f = g_utf8_casefold(valid, -1);
	int rank = 0;

	if (g_str_has_prefix(f, folded_text))
		rank = 2;
	else if (strstr(f, folded_text) != NULL)
		rank = 1;
	g_free(f);
	g_free(valid);
	return rank;
}

static void
complete_level(GPtrArray *level, const char *folded_text, int rank, GPtrArray *matches)
{
	for (guint i = 0; i < level->len; i++) {
		struct folder_node *n = level->pdata[i];

		if (n->selectable && match_rank(n, folded_text) == rank)
			g_ptr_array_add(matches, n->name);
		complete_level(n->children, folded_text, rank, matches);
	}
}

/* Length in bytes of the common prefix of a and b, compared
 * case-insensitively by character and cut on a character boundary. */
static size_t
common_prefix(const char *a, const char *b)
{
	const char *pa = a, *pb = b;

	while (*pa != '\0' && *pb != '\0') {
		gunichar ca = g_unichar_tolower(g_utf8_get_char(pa));
		gunichar cb = g_unichar_tolower(g_utf8_get_char(pb));

		if (ca != cb)
			break;
		pa = g_utf8_next_char(pa);
		pb = g_utf8_next_char(pb);
	}
	return (size_t)(pa - a);
}

char *
folder_tree_complete(struct folder_tree *t, const char *text, GPtrArray *matches)
{
	char *valid = text_make_valid(text, -1);
	char *folded = g_utf8_casefold(valid, -1);
	guint first = matches->len, starting;
	size_t n;
	const char *name;

	complete_level(t->roots, folded, 2, matches);
	starting = matches->len - first;
	complete_level(t->roots, folded, 1, matches);
	g_free(folded);
	g_free(valid);
	if (matches->len == first)
		return g_strdup(text);
	name = matches->pdata[first];
	if (matches->len - first == 1)
		return g_strdup(name);
	if (starting < matches->len - first)
		return g_strdup(text); /* found inside names: nothing in common to add */
	n = strlen(name);
	for (guint i = first + 1; i < matches->len; i++)
		n = MIN(n, common_prefix(name, matches->pdata[i]));
	if (g_utf8_strlen(name, (gssize)n) < g_utf8_strlen(text, -1))
		return g_strdup(text);
	return g_strndup(name, n);
}

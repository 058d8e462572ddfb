/* tern — ui/tui/complete: Tab in an address prompt (To, Cc, Bcc, bounce)
 * and in a path prompt (attach a file). This file owns t->complete: the
 * address index and the cycling state.
 *
 * Addresses: the word after the last comma is looked for (case-folded,
 * anywhere in the name or the address) among the addresses of the cache,
 * the most used first, and among what the account's address_book_command
 * answers (mutt's query_command: the query as the last argument, run
 * without a shell, a first line of its own, then "address<TAB>name[<TAB>
 * other]" lines). The index is built on the first Tab of the session: one
 * pass over the cache, never one per key. The command runs in the
 * background; its answer is used if the prompt still holds what was asked.
 * The index is read in a worker thread too (its own read-only handle on the
 * cache): on 100,000 messages that one pass takes a few hundred ms, which
 * the screen does not wait for; complete_prepare() starts it when a prompt
 * that completes addresses opens.
 * One match replaces the word; several: the first, the list on the row
 * above, and each Tab the next. Matches that come later (the command's, or
 * the index's when it was still being read) join the end of the list, so
 * what the user is looking at does not move.
 *
 * Paths: ~ expanded, no shell; the directory is listed (bounded) and the
 * longest common beginning of the names filled in, a '/' after a directory. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include <gio/gio.h>

#include "core/log.h"
#include "core/text/text.h"
#include "mime/mime.h"
#include "ui/tui/tui-private.h"

/* Most address fields read from the cache, and most addresses indexed. */
#define COMPLETE_MAX_FIELDS 20000
#define COMPLETE_MAX_ADDRESSES 50000
/* Most matches offered for one word. */
#define COMPLETE_MAX_MATCHES 50
/* address_book_command: most bytes read, the longest line, the most
 * lines, and the time it may take. */
#define ADDRBOOK_MAX_OUTPUT (256 * 1024)
#define ADDRBOOK_MAX_LINE 1024
#define ADDRBOOK_MAX_LINES 500
#define ADDRBOOK_TIMEOUT_S 10
/* Most directory entries looked at for one Tab. */
#define COMPLETE_MAX_DIR_ENTRIES 10000

struct known_address {
	char *display; /* "Name <a@b>" */
	char *folded;  /* display case-folded, for matching */
	guint count;
};

struct addrbook_query;

struct complete {
	GPtrArray *index;         /* struct known_address *, most used first; NULL: not built */
	bool building;            /* a worker thread is reading it */
	/* cycling: the prompt, the text before the word, the matches, the one shown */
	const struct prompt *prompt;
	char *head;
	char *shown;              /* the prompt's whole text after the last Tab */
	GPtrArray *matches;       /* char * */
	guint at;
	struct addrbook_query *query; /* running, or NULL */
	/* a Tab before the index was read: answered when it is */
	const struct prompt *waiting;
	char *waiting_text;
};

struct addrbook_query {
	struct tui *t;
	GSubprocess *proc;
	GCancellable *cancel;
	GString *out;
	char buf[4096];
	guint timer;
	const struct prompt *prompt; /* what it was asked for */
	char *text;
	bool done;
};

static void known_free(gpointer p);

/* Queries and index builds not finished yet (complete_free() waits for them). */
static guint live_queries, live_builds;

/* ---- the state ------------------------------------------------------------------- */

static struct complete *
state(struct tui *t)
{
	if (t->complete == NULL)
		t->complete = g_new0(struct complete, 1);
	return t->complete;
}

static void
cycle_clear(struct complete *c)
{
	/* (the index build's waiting prompt is kept: it is another matter) */
	c->prompt = NULL;
	g_clear_pointer(&c->head, g_free);
	g_clear_pointer(&c->shown, g_free);
	g_clear_pointer(&c->matches, g_ptr_array_unref);
	c->at = 0;
}

static void
query_stop(struct addrbook_query *q)
{
	/* the callbacks still to come see done and only free */
	q->done = true;
	g_cancellable_cancel(q->cancel);
	if (q->proc != NULL)
		g_subprocess_force_exit(q->proc);
	if (q->timer != 0)
		g_source_remove(q->timer);
	q->timer = 0;
}

void
complete_free(struct tui *t)
{
	struct complete *c = t->complete;

	if (c == NULL)
		return;
	if (c->query != NULL) {
		query_stop(c->query);
		c->query->t = NULL; /* freed by its last callback: */
	}
	/* a cancelled read ends at once; a build is one query */
	while (live_queries > 0 || live_builds > 0)
		g_main_context_iteration(NULL, TRUE);
	cycle_clear(c);
	if (c->index != NULL)
		g_ptr_array_unref(c->index);
	g_free(c->waiting_text);
	g_free(c);
	t->complete = NULL;
}

/* ---- the index of the cache's addresses ----------------------------------------- */

static void
known_free(gpointer p)
{
	struct known_address *k = p;

	g_free(k->display);
	g_free(k->folded);
	g_free(k);
}

static gint
most_used(gconstpointer a, gconstpointer b)
{
	const struct known_address *ka = *(struct known_address *const *)a;
	const struct known_address *kb = *(struct known_address *const *)b;

	return ka->count != kb->count ? (ka->count > kb->count ? -1 : 1) :
					g_strcmp0(ka->display, kb->display);
}

/* Each field's addresses counted by address (case-insensitive). */
static void
index_add_field(GHashTable *by_addr, GPtrArray *index, const struct store_address_field *f)
{
	GPtrArray *mb = mime_address_list_split(f->value);

	for (guint i = 0; i < mb->len && index->len < COMPLETE_MAX_ADDRESSES; i++) {
		const struct mime_mailbox *m = mb->pdata[i];
		char *key = g_ascii_strdown(m->addr, -1);
		struct known_address *k = g_hash_table_lookup(by_addr, key);

		if (k == NULL) {
			k = g_new0(struct known_address, 1);
			k->display = g_strdup(m->display);
			k->folded = g_utf8_casefold(m->display, -1);
			g_ptr_array_add(index, k);
			g_hash_table_insert(by_addr, key, k);
		} else {
			g_free(key);
			if (strchr(k->display, '<') == NULL && strchr(m->display, '<') != NULL) {
				/* the same address with its name: shown with it */
				g_free(k->display);
				g_free(k->folded);
				k->display = g_strdup(m->display);
				k->folded = g_utf8_casefold(m->display, -1);
			}
		}
		k->count += f->count;
	}
	g_ptr_array_unref(mb);
}

/* The index from the cache at path (in a worker thread). Transfer full. */
static GPtrArray *
index_build(const char *path)
{
	GPtrArray *index = g_ptr_array_new_with_free_func(known_free), *fields = NULL;
	GHashTable *by_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct store *s = NULL;
	char *warning = NULL;
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();

	if (store_open(path, STORE_OPEN_READ_ONLY, &s, &warning, &err) < 0 ||
	    store_address_fields(s, COMPLETE_MAX_FIELDS, &fields, &err) < 0) {
		log_warn("address completion: %s", err->message);
		g_clear_error(&err);
	}
	for (guint i = 0; fields != NULL && i < fields->len; i++)
		index_add_field(by_addr, index, fields->pdata[i]);
	g_ptr_array_sort(index, most_used);
	log_debug("address completion: %u addresses indexed in %" G_GINT64_FORMAT " ms",
		  index->len, (g_get_monotonic_time() - t0) / 1000);
	if (fields != NULL)
		g_ptr_array_unref(fields);
	g_hash_table_unref(by_addr);
	store_free(&s);
	g_free(warning);
	return index;
}

struct build {
	struct tui *t;
	char *path;
	GPtrArray *index;
};

static void
build_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
	struct build *b = data;

	(void)task;
	(void)src;
	(void)cancel;
	b->index = index_build(b->path);
}

static void offer_more(struct tui *t, struct prompt *p, GPtrArray *more);
static GPtrArray *cache_matches(struct complete *c, const char *word);
static const char *word_of(const char *text);
static bool unchanged(struct complete *c, const struct prompt *p, const char *asked);

/* The index is here: a prompt that asked meanwhile gets its matches. */
static void
build_done(GObject *src, GAsyncResult *res, gpointer ud)
{
	struct build *b = ud;
	struct tui *t = b->t;
	struct complete *c = t->complete;

	(void)src;
	(void)res;
	live_builds--;
	if (c != NULL && c->building) {
		c->building = false;
		c->index = b->index;
		b->index = NULL;
		if (t->prompt != NULL && t->prompt == c->waiting && c->waiting_text != NULL &&
		    unchanged(c, t->prompt, c->waiting_text))
			offer_more(t, t->prompt, cache_matches(c, word_of(c->waiting_text)));
		c->waiting = NULL;
		g_clear_pointer(&c->waiting_text, g_free);
		tui_dirty(t);
	}
	if (b->index != NULL)
		g_ptr_array_unref(b->index);
	g_free(b->path);
	g_free(b);
}

void
complete_prepare(struct tui *t)
{
	struct complete *c = state(t);
	struct build *b;
	GTask *task;

	if (c->index != NULL || c->building)
		return;
	if (t->store == NULL) {
		c->index = g_ptr_array_new_with_free_func(known_free);
		return;
	}
	b = g_new0(struct build, 1);
	b->t = t;
	b->path = g_strdup(store_path(t->store));
	c->building = true;
	live_builds++;
	task = g_task_new(NULL, NULL, build_done, b);
	g_task_set_task_data(task, b, NULL);
	g_task_run_in_thread(task, build_thread);
	g_object_unref(task);
}

/* ---- showing matches -------------------------------------------------------------- */

/* The word being completed: after the last comma, blanks skipped. */
static const char *
word_of(const char *text)
{
	const char *w = strrchr(text, ',');

	w = w != NULL ? w + 1 : text;
	while (*w == ' ')
		w++;
	return w;
}

static void
show_match(struct prompt *p, struct complete *c)
{
	GString *list = g_string_new(NULL);
	char *text = g_strconcat(c->head, c->matches->pdata[c->at], NULL);

	prompt_set_text(p, text);
	g_free(c->shown);
	c->shown = text;
	for (guint i = 0; c->matches->len > 1 && i < c->matches->len && i < TUI_COMPLETE_SHOWN;
	     i++)
		g_string_append_printf(list, "%s%s%s%s", i > 0 ? "  " : "", i == c->at ? "[" : "",
				       (char *)c->matches->pdata[i], i == c->at ? "]" : "");
	if (c->matches->len > TUI_COMPLETE_SHOWN)
		g_string_append_printf(list, ngettext("  … (%u address)", "  … (%u addresses)",
						      c->matches->len), c->matches->len);
	prompt_set_note(p, false, list->len > 0 ? list->str : NULL);
	g_string_free(list, TRUE);
}

static void
add_match(GPtrArray *matches, const char *display)
{
	for (guint i = 0; i < matches->len; i++)
		if (g_utf8_collate(matches->pdata[i], display) == 0)
			return;
	if (matches->len < COMPLETE_MAX_MATCHES)
		g_ptr_array_add(matches, g_strdup(display));
}

/* The cache's addresses containing word. */
static GPtrArray *
cache_matches(struct complete *c, const char *word)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	char *folded = g_utf8_casefold(word, -1);

	for (guint i = 0; i < c->index->len && out->len < COMPLETE_MAX_MATCHES; i++) {
		const struct known_address *k = c->index->pdata[i];

		if (strstr(k->folded, folded) != NULL)
			add_match(out, k->display);
	}
	g_free(folded);
	return out;
}

/* Start cycling through matches (transfer full) for the word of p. */
static void
offer(struct tui *t, struct prompt *p, GPtrArray *matches)
{
	struct complete *c = state(t);
	const char *text = prompt_text(p);

	cycle_clear(c);
	if (matches->len == 0) {
		g_ptr_array_unref(matches);
		return;
	}
	c->prompt = p;
	c->head = g_strndup(text, (gsize)(word_of(text) - text));
	c->matches = matches;
	show_match(p, c);
}

/* The prompt still holds asked (what was there at Tab), or what completion
 * put there since: the user has not typed meanwhile. */
static bool
unchanged(struct complete *c, const struct prompt *p, const char *asked)
{
	const char *now = prompt_text(p);

	return strcmp(now, asked) == 0 ||
	       (c->prompt == p && c->shown != NULL && strcmp(now, c->shown) == 0);
}

/* More matches (transfer full) after those shown now for p, if any. */
static void
offer_more(struct tui *t, struct prompt *p, GPtrArray *more)
{
	struct complete *c = state(t);
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);

	if (c->matches != NULL && c->prompt == p && c->shown != NULL &&
	    strcmp(prompt_text(p), c->shown) == 0) {
		/* what is shown stays first; the user may be cycling */
		for (guint i = 0; i < c->matches->len; i++)
			add_match(all, c->matches->pdata[i]);
		for (guint i = 0; i < more->len; i++)
			add_match(all, more->pdata[i]);
		g_ptr_array_unref(c->matches);
		c->matches = all;
		g_ptr_array_unref(more);
		show_match(p, c);
		return;
	}
	g_ptr_array_unref(all);
	if (more->len == 0 && c->matches == NULL)
		prompt_set_note(p, true, _("No address matches."));
	offer(t, p, more);
}

/* ---- address_book_command --------------------------------------------------------- */

static void
query_free(struct addrbook_query *q)
{
	if (q->timer != 0)
		g_source_remove(q->timer);
	g_clear_object(&q->proc);
	g_clear_object(&q->cancel);
	g_string_free(q->out, TRUE);
	g_free(q->text);
	g_free(q);
	live_queries--;
}

/* One line of the command's answer as "Name <address>", or NULL when it
 * is not one: too long, not UTF-8, a control character, no valid address. */
static char *
addrbook_line(const char *line)
{
	char **f;
	char *out = NULL, *typed;
	GPtrArray *mb;

	if (strlen(line) > ADDRBOOK_MAX_LINE || !g_utf8_validate(line, -1, NULL))
		return NULL;
	for (const char *p = line; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar wc = g_utf8_get_char(p);

		if (wc != '\t' && (g_unichar_iscntrl(wc) || text_unichar_is_unsafe(wc)))
			return NULL;
	}
	f = g_strsplit(line, "\t", 3);
	if (f[0] == NULL || f[0][0] == '\0' || strchr(f[0], ',') != NULL) {
		g_strfreev(f);
		return NULL;
	}
	/* the name quoted for the parser: a quote or backslash in it is escaped */
	if (f[1] != NULL && f[1][0] != '\0') {
		GString *q = g_string_new("\"");

		for (const char *p = f[1]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(q, '\\');
			g_string_append_c(q, *p);
		}
		g_string_append_printf(q, "\" <%s>", f[0]);
		typed = g_string_free(q, FALSE);
	} else {
		typed = g_strdup(f[0]);
	}
	mb = mime_address_list_split(typed);
	if (mb->len == 1)
		out = g_strdup(((struct mime_mailbox *)mb->pdata[0])->display);
	g_ptr_array_unref(mb);
	g_free(typed);
	g_strfreev(f);
	return out;
}

/* The answer's lines after the first, as matches. */
static GPtrArray *
addrbook_parse(const char *out)
{
	GPtrArray *matches = g_ptr_array_new_with_free_func(g_free);
	char **lines = g_strsplit(out, "\n", ADDRBOOK_MAX_LINES + 2);

	for (guint i = 1; lines[i] != NULL && i <= ADDRBOOK_MAX_LINES; i++) {
		char *m;

		g_strchomp(lines[i]);
		m = addrbook_line(lines[i]);
		if (m != NULL)
			add_match(matches, m);
		g_free(m);
	}
	g_strfreev(lines);
	return matches;
}

/* The command answered (or was stopped): its matches before the cache's,
 * if the prompt still holds what was asked. */
static void
query_finish(struct addrbook_query *q)
{
	struct tui *t = q->t;
	struct prompt *p = t != NULL ? t->prompt : NULL;
	GPtrArray *matches;

	if (t != NULL && t->complete != NULL && t->complete->query == q)
		t->complete->query = NULL;
	if (q->done || p == NULL || p != q->prompt || t->complete == NULL ||
	    !unchanged(t->complete, p, q->text)) {
		query_free(q);
		return;
	}
	q->done = true;
	matches = addrbook_parse(q->out->str);
	offer_more(t, p, matches);
	tui_dirty(t);
	query_free(q);
}

static void query_read(struct addrbook_query *q);

static void
query_got(GObject *src, GAsyncResult *res, gpointer ud)
{
	struct addrbook_query *q = ud;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);

	if (n > 0 && !q->done && q->out->len + (gsize)n <= ADDRBOOK_MAX_OUTPUT) {
		g_string_append_len(q->out, q->buf, n);
		query_read(q);
		return;
	}
	if (n > 0 && !q->done) /* more than the cap: what came so far is used */
		g_subprocess_force_exit(q->proc);
	query_finish(q);
}

static void
query_read(struct addrbook_query *q)
{
	g_input_stream_read_async(g_subprocess_get_stdout_pipe(q->proc), q->buf, sizeof q->buf,
				  G_PRIORITY_DEFAULT, q->cancel, query_got, q);
}

static gboolean
query_timeout(gpointer ud)
{
	struct addrbook_query *q = ud;

	q->timer = 0;
	if (q->t != NULL && q->t->prompt == q->prompt)
		prompt_set_note(q->t->prompt, true, _("address_book_command took too long."));
	query_stop(q);
	return G_SOURCE_REMOVE;
}

/* Run address_book_command with the word as its last argument. */
static void
query_start(struct tui *t, struct prompt *p, const char *asked, const char *word)
{
	struct complete *c = state(t);
	struct addrbook_query *q;
	char **words = NULL;
	GPtrArray *argv;
	GError *err = NULL;
	GSubprocess *proc;

	if (!g_shell_parse_argv(t->account->address_book_command, NULL, &words, &err)) {
		prompt_set_note(p, true, err->message);
		g_error_free(err);
		return;
	}
	argv = g_ptr_array_new();
	for (guint i = 0; words[i] != NULL; i++)
		g_ptr_array_add(argv, words[i]);
	g_ptr_array_add(argv, (gpointer)word);
	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_newv((const char *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE |
					 G_SUBPROCESS_FLAGS_STDIN_INHERIT,
				 &err);
	g_ptr_array_unref(argv);
	g_strfreev(words);
	if (proc == NULL) {
		prompt_set_note(p, true, err->message);
		g_error_free(err);
		return;
	}
	if (c->query != NULL) {
		query_stop(c->query);
		c->query = NULL;
	}
	q = g_new0(struct addrbook_query, 1);
	live_queries++;
	q->t = t;
	q->proc = proc;
	q->cancel = g_cancellable_new();
	q->out = g_string_new(NULL);
	q->prompt = p;
	q->text = g_strdup(asked);
	q->timer = g_timeout_add_seconds(ADDRBOOK_TIMEOUT_S, query_timeout, q);
	c->query = q;
	query_read(q);
}

/* ---- Tab -------------------------------------------------------------------------- */

static void
complete_address(struct tui *t, struct prompt *p)
{
	struct complete *c = state(t);
	const char *text = prompt_text(p), *word;
	char *asked;

	if (c->prompt == p && c->shown != NULL && strcmp(text, c->shown) == 0 &&
	    c->matches->len > 1) {
		c->at = (c->at + 1) % c->matches->len; /* Tab again: the next */
		show_match(p, c);
		return;
	}
	if (*word_of(text) == '\0')
		return;
	asked = g_strdup(text); /* the text changes below */
	word = g_strdup(word_of(text));
	complete_prepare(t);
	if (c->building) {
		c->waiting = p;
		g_free(c->waiting_text);
		c->waiting_text = g_strdup(asked);
		prompt_set_note(p, false, _("Reading the addresses in the cache…"));
	} else {
		offer(t, p, cache_matches(c, word));
	}
	if (t->account->address_book_command != NULL)
		query_start(t, p, asked, word);
	else if (!c->building && c->matches == NULL)
		prompt_set_note(p, true, _("No address matches."));
	g_free((char *)word);
	g_free(asked);
}

/* "~" and "~/..." as the home directory; "" as ".". Transfer full. */
static char *
expand_dir(const char *typed)
{
	if (typed[0] == '\0')
		return g_strdup(".");
	if (typed[0] == '~' && (typed[1] == '/' || typed[1] == '\0'))
		return g_build_filename(g_get_home_dir(), typed + 1, NULL);
	return g_strdup(typed);
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The longest beginning a and b share, on a character boundary. */
static gsize
common_len(const char *a, const char *b)
{
	const char *p = a, *q = b;

	while (*p != '\0' && *q != '\0') {
		const char *np = g_utf8_next_char(p), *nq = g_utf8_next_char(q);

		if (np - p != nq - q || memcmp(p, q, (size_t)(np - p)) != 0)
			break;
		p = np;
		q = nq;
	}
	return (gsize)(p - a);
}

static void
complete_path(struct tui *t, struct prompt *p)
{
	const char *text = prompt_text(p);
	char *typed = g_strcmp0(text, "~") == 0 ? g_strdup("~/") : g_strdup(text);
	const char *slash = strrchr(typed, '/');
	char *dir_typed = slash != NULL ? g_strndup(typed, (gsize)(slash - typed + 1)) : g_strdup("");
	const char *base = slash != NULL ? slash + 1 : typed;
	char *dir = expand_dir(dir_typed), *common = NULL, *out;
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	guint seen = 0;

	(void)t;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL && seen++ < COMPLETE_MAX_DIR_ENTRIES)
		if (g_str_has_prefix(name, base) && (name[0] != '.' || base[0] == '.') &&
		    g_utf8_validate(name, -1, NULL))
			g_ptr_array_add(names, g_strdup(name));
	if (d != NULL)
		g_dir_close(d);
	g_ptr_array_sort(names, by_name);
	for (guint i = 0; i < names->len; i++)
		common = common == NULL ? g_strdup(names->pdata[i]) :
			 (common[common_len(common, names->pdata[i])] = '\0', common);
	if (names->len == 0) {
		prompt_set_note(p, true, _("No file name begins with that."));
	} else {
		char *full = g_build_filename(dir, common, NULL);
		bool is_dir = names->len == 1 && g_file_test(full, G_FILE_TEST_IS_DIR);

		out = g_strconcat(dir_typed, common, is_dir ? "/" : "", NULL);
		prompt_set_text(p, out);
		g_free(out);
		g_free(full);
		if (names->len > 1) {
			GString *list = g_string_new(NULL);

			for (guint i = 0; i < names->len && i < TUI_COMPLETE_SHOWN; i++)
				g_string_append_printf(list, "%s%s", i > 0 ? "  " : "",
						       (char *)names->pdata[i]);
			if (names->len > TUI_COMPLETE_SHOWN)
				g_string_append_printf(list, ngettext("  … (%u file)",
								      "  … (%u files)", names->len),
						       names->len);
			prompt_set_note(p, false, list->str);
			g_string_free(list, TRUE);
		}
	}
	g_free(common);
	g_ptr_array_unref(names);
	g_free(dir);
	g_free(dir_typed);
	g_free(typed);
}

bool
complete_tab(struct tui *t, struct prompt *p)
{
	switch (p->kind) {
	case PROMPT_ADDRESS: complete_address(t, p); return true;
	case PROMPT_PATH: complete_path(t, p); return true;
	default: return false;
	}
}

/* tern — `tern folders`, `tern list`, `tern search`. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/model/query.h"
#include "core/text/text.h"
#include "ui/cli/cli.h"
#include "ui/cli/list-json.h"

/* Most entries --limit accepts (more is the same as all). */
#define CLI_LIMIT_MAX 100000000

static const struct cli_opt list_opts[] = {
	{ "json", NULL },
	{ "limit", "N" },
	{ "sort", "KEY" },
	{ "all", NULL }, /* search: every folder (#16) */
	{ NULL, NULL },
};

static int
terminal_width(FILE *out)
{
	struct winsize ws;
	const char *cols;

	if (!isatty(fileno(out)))
		return 0;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	cols = g_getenv("COLUMNS");
	return cols != NULL && atoi(cols) > 0 ? atoi(cols) : 80;
}

/* ---- folders --------------------------------------------------------- */

struct folders_wait {
	struct cli_ctx *ctx;
	GPtrArray *folders;
};

static void
folders_cb(struct imap_client *c, enum tern_status st, const char *detail, GPtrArray *folders,
	   void *ud)
{
	struct folders_wait *w = ud;

	if (folders != NULL)
		w->folders = g_ptr_array_ref(folders);
	cli_finish(w->ctx, st, detail);
}

static int
folder_cmp(gconstpointer a, gconstpointer b)
{
	const struct imap_folder *x = *(struct imap_folder *const *)a;
	const struct imap_folder *y = *(struct imap_folder *const *)b;

	if (x->role != y->role)
		return (int)x->role - (int)y->role;
	return g_utf8_collate(x->name, y->name);
}

static const char *
special_use_name(const struct imap_folder *f)
{
	for (guint i = 0; f->attr_names != NULL && i < f->attr_names->len; i++) {
		const char *a = f->attr_names->pdata[i];
		static const char *const uses[] = { "\\All", "\\Archive", "\\Drafts", "\\Flagged",
						    "\\Junk", "\\Sent", "\\Trash", "\\Important" };

		for (size_t j = 0; j < TERN_ARRAY_LEN(uses); j++)
			if (g_ascii_strcasecmp(a, uses[j]) == 0)
				return uses[j];
	}
	return NULL;
}

static void
json_str(GString *out, const char *s)
{
	text_json_escape(out, s, (size_t)-1);
}

static void
print_folders_json(GPtrArray *folders, FILE *out)
{
	GString *j = g_string_new("[");

	for (guint i = 0; i < folders->len; i++) {
		const struct imap_folder *f = folders->pdata[i];
		char delim[2] = { f->delimiter, '\0' };

		g_string_append(j, i == 0 ? "\n  {" : ",\n  {");
		g_string_append(j, "\"name\": ");
		json_str(j, f->name);
		g_string_append(j, ", \"delimiter\": ");
		json_str(j, f->delimiter != '\0' ? delim : NULL);
		g_string_append(j, ", \"attributes\": [");
		for (guint k = 0; k < f->attr_names->len; k++) {
			if (k > 0)
				g_string_append(j, ", ");
			json_str(j, f->attr_names->pdata[k]);
		}
		g_string_append(j, "], \"special_use\": ");
		json_str(j, special_use_name(f));
		if (f->attrs & IMAP_FOLDER_NOSELECT || f->messages < 0)
			g_string_append(j, ", \"messages\": null, \"unseen\": null}");
		else
			g_string_append_printf(j, ", \"messages\": %" G_GINT64_FORMAT
					       ", \"unseen\": %" G_GINT64_FORMAT "}",
					       f->messages, f->unseen < 0 ? 0 : f->unseen);
	}
	g_string_append(j, folders->len > 0 ? "\n]\n" : "]\n");
	fputs(j->str, out);
	g_string_free(j, TRUE);
}

static void
print_folders_plain(GPtrArray *folders, FILE *out)
{
	for (guint i = 0; i < folders->len; i++) {
		const struct imap_folder *f = folders->pdata[i];
		char *name = cli_shown(f->name);
		char *padded = text_pad(name, -1, 32, NULL);
		char *line;

		if (f->attrs & IMAP_FOLDER_NOSELECT || f->messages < 0)
			line = g_strdup_printf("%s %8s %8s\n", padded, "-", "-");
		else
			line = g_strdup_printf("%s %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "\n",
					       padded, f->messages, f->unseen < 0 ? 0 : f->unseen);
		cli_puts_text(out, line);
		g_free(line);
		g_free(padded);
		g_free(name);
	}
}

/* --offline: the folder list the last LIST left in the cache (this
 * command's or the interface's), with the counts it had then. Shell
 * completion asks for it, so it must not wait for a network. */
static int
cached_folders(struct cli_ctx *ctx, GPtrArray **folders_r)
{
	GError *err = NULL;
	int rc = 0;

	if (store_folder_list_get(ctx->store, folders_r, &err) < 0) {
		rc = cli_fail(TERN_ERR_FOLDER, _("--offline: %s"), err->message);
		g_error_free(err);
	} else if ((*folders_r)->len == 0) {
		rc = cli_fail(TERN_ERR_FOLDER, _("--offline: no folder list is cached for account "
						 "'%s' yet (run tern folders once)"),
			      ctx->account->name);
	}
	return rc;
}

/* Keep what the server listed for --offline (and the interface's start). */
static void
cache_folders(struct cli_ctx *ctx, GPtrArray *folders)
{
	GError *err = NULL;

	if (ctx->store != NULL && store_folder_list_put(ctx->store, folders, &err) < 0) {
		cli_fail(TERN_OK, _("warning: the cache is not used: %s"), err->message);
		g_error_free(err);
	}
}

int
cli_cmd_folders(const struct tern_globals *g, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { "json", NULL }, { NULL, NULL } };
	struct cli_args args;
	struct cli_ctx ctx;
	struct folders_wait w = { .ctx = &ctx };
	char *err = NULL;
	int rc;

	if (cli_args_parse(argc, argv, opts, &args, &err) < 0 || args.pos->len != 0) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err : _("usage: tern folders [--json]"));
		g_free(err);
		cli_args_clear(&args);
		return rc;
	}
	rc = cli_open_cached(g, &ctx);
	if (rc == 0 && ctx.offline) {
		rc = cached_folders(&ctx, &w.folders);
	} else if (rc == 0) {
		imap_client_list_folders(ctx.client, true, folders_cb, &w);
		if (cli_wait(&ctx) != TERN_OK)
			rc = cli_fail(ctx.st, "%s", ctx.detail != NULL ? ctx.detail : _("LIST failed"));
		else
			cache_folders(&ctx, w.folders);
	}
	if (rc == 0) {
		g_ptr_array_sort(w.folders, folder_cmp);
		if (cli_args_has(&args, "json"))
			print_folders_json(w.folders, stdout);
		else
			print_folders_plain(w.folders, stdout);
	}
	if (w.folders != NULL)
		g_ptr_array_unref(w.folders);
	cli_close(&ctx);
	cli_args_clear(&args);
	return rc;
}

/* ---- list and search --------------------------------------------------- */

static char *
decoded(const char *raw)
{
	return raw != NULL ? text_decode_header(raw) : g_strdup("");
}

static char *
format_local_date(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_local(t);
	char *s = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("\?\?\?\?-\?\?-\?\? \?\?:\?\?");

	if (dt != NULL)
		g_date_time_unref(dt);
	return s;
}

/* Where list prints: JSON or lines, one message at a time, so a folder
 * streamed from the cache is never held whole. */
struct list_out {
	FILE *out;
	bool json;
	guint n;
	GString *buf;  /* JSON waiting to be written */
	GString *line; /* plain: the line being made */
	int width;     /* plain: the terminal's, 0 when piped */
	const char *folder; /* search --all: the entry's folder (a column, a field) */
};

/* The system flags, then keywords. */
static void
json_flags(GString *j, const struct imap_summary *s)
{
	bool first = list_json_flag_bits(j, s->flags);

	for (char **k = s->keywords; k != NULL && *k != NULL; k++) {
		if (!first)
			g_string_append(j, ", ");
		json_str(j, *k);
		first = false;
	}
}

static void
json_one(struct list_out *o, const struct imap_summary *s)
{
	GString *j = o->buf;
	char date[40];
	/* JSON carries the real text: controls become \uXXXX escapes in
	 * json_str(), not the display sanitiser's ^[ */
	char *from = s->from != NULL ? text_decode_header_utf8(s->from) : g_strdup("");
	char *subject = s->subject != NULL ? text_decode_header_utf8(s->subject) : g_strdup("");

	list_json_date(date, s->date, s->date_tz);
	if (o->folder != NULL) {
		g_string_append(j, o->n == 0 ? "\n  {\"folder\": " : ",\n  {\"folder\": ");
		json_str(j, o->folder);
		g_string_append(j, ", \"uid\": ");
	} else {
		g_string_append(j, o->n == 0 ? "\n  {\"uid\": " : ",\n  {\"uid\": ");
	}
	list_json_uint(j, s->uid);
	g_string_append(j, ", \"date\": ");
	json_str(j, date);
	g_string_append(j, ", \"from\": ");
	json_str(j, from);
	g_string_append(j, ", \"subject\": ");
	json_str(j, subject);
	g_string_append(j, ", \"flags\": [");
	json_flags(j, s);
	g_string_append(j, "], \"size\": ");
	list_json_uint(j, s->size);
	g_string_append(j, ", \"preview\": ");
	json_str(j, s->preview);
	g_string_append_c(j, '}');
	if (j->len > 65536) {
		/* stream: a big folder's JSON is never held whole */
		fwrite(j->str, 1, j->len, o->out);
		g_string_truncate(j, 0);
	}
	g_free(from);
	g_free(subject);
}

static void
plain_one(struct list_out *o, const struct imap_summary *s)
{
	char *date = format_local_date(s->date);
	char *name = decoded(s->from_name != NULL && s->from_name[0] != '\0' ? s->from_name :
									s->from_addr);
	char *subject = decoded(s->subject);
	char *from_safe = cli_shown(name);
	char *subj_safe = cli_shown(subject);
	char *from_col = text_pad(from_safe, -1, 20, cli_ellipsis());
	char flags[5];

	snprintf(flags, sizeof flags, "%c%c%c%c", s->flags & IMAP_FLAG_SEEN ? ' ' : 'N',
		 s->flags & IMAP_FLAG_FLAGGED ? 'F' : ' ', s->flags & IMAP_FLAG_ANSWERED ? 'A' : ' ',
		 s->flags & IMAP_FLAG_DELETED ? 'D' : ' ');
	g_string_printf(o->line, "%6u  %s  %s  %s  %s", s->uid, date, flags, from_col, subj_safe);
	if (o->folder != NULL) {
		char *f = text_sanitize(o->folder, -1, TEXT_SANITIZE_ONE_LINE);
		char *col = text_pad(f, -1, 16, "…");

		g_string_prepend(o->line, "  ");
		g_string_prepend(o->line, col);
		g_free(col);
		g_free(f);
	}
	if (o->width > 0) {
		char *cut = text_truncate(o->line->str, o->line->len, (size_t)o->width,
					  cli_ellipsis());

		g_string_assign(o->line, cut);
		g_free(cut);
	}
	g_string_append_c(o->line, '\n');
	cli_puts_text(o->out, o->line->str);
	g_free(from_col);
	g_free(subj_safe);
	g_free(from_safe);
	g_free(subject);
	g_free(name);
	g_free(date);
}

static void
list_out_begin(struct list_out *o, bool json, FILE *out)
{
	memset(o, 0, sizeof *o);
	o->out = out;
	o->json = json;
	if (json) {
		o->buf = g_string_sized_new(65536 + 4096);
		g_string_append_c(o->buf, '[');
	} else {
		o->line = g_string_new(NULL);
		o->width = terminal_width(out);
	}
}

static void
list_out_one(struct list_out *o, const struct imap_summary *s)
{
	if (o->json)
		json_one(o, s);
	else
		plain_one(o, s);
	o->n++;
}

static void
list_out_end(struct list_out *o)
{
	if (o->json) {
		g_string_append(o->buf, o->n > 0 ? "\n]\n" : "]\n");
		fwrite(o->buf->str, 1, o->buf->len, o->out);
		g_string_free(o->buf, TRUE);
	} else {
		g_string_free(o->line, TRUE);
	}
}

void
cli_print_summaries(GArray *sums, bool json, FILE *out)
{
	struct list_out o;

	list_out_begin(&o, json, out);
	for (guint i = 0; i < sums->len; i++)
		list_out_one(&o, &g_array_index(sums, struct imap_summary, i));
	list_out_end(&o);
}

/* Sort keys; the decoded strings are compared case-folded. */
static int sort_key; /* 0 date, 1 from, 2 subject, 3 size */
static int sort_dir;

static int
summary_cmp(gconstpointer a, gconstpointer b)
{
	const struct imap_summary *x = a, *y = b;
	int c = 0;

	switch (sort_key) {
	case 0: c = x->date < y->date ? -1 : x->date > y->date; break;
	case 3: c = x->size < y->size ? -1 : x->size > y->size; break;
	default: {
		const char *rx = sort_key == 1 ? (x->from_name ? x->from_name : x->from_addr) : x->subject;
		const char *ry = sort_key == 1 ? (y->from_name ? y->from_name : y->from_addr) : y->subject;
		char *dx = decoded(rx), *dy = decoded(ry);
		char *fx = g_utf8_casefold(dx, -1), *fy = g_utf8_casefold(dy, -1);

		c = g_utf8_collate(fx, fy);
		g_free(fx); g_free(fy); g_free(dx); g_free(dy);
		break;
	}
	}
	if (c == 0)
		c = x->uid < y->uid ? -1 : x->uid > y->uid;
	return c * sort_dir;
}

int
cli_sort_limit(GArray *sums, const char *sort, const char *limit)
{
	static const char *const keys[] = { "date", "from", "subject", "size" };
	const char *k = sort != NULL ? sort : "-date";
	guint64 n = 0;
	bool found = false;

	sort_dir = 1;
	if (k[0] == '-') {
		sort_dir = -1;
		k++;
	} else if (k[0] == '+') {
		k++;
	}
	for (size_t i = 0; i < TERN_ARRAY_LEN(keys); i++)
		if (strcmp(k, keys[i]) == 0) {
			sort_key = (int)i;
			found = true;
		}
	if (!found)
		return cli_fail(TERN_ERR_USAGE, _("unknown sort key '%s' (date, from, subject, size; "
						  "'-' for descending)"), sort);
	if (limit != NULL && (!g_ascii_string_to_unsigned(limit, 10, 1, CLI_LIMIT_MAX, &n, NULL)))
		return cli_fail(TERN_ERR_USAGE, _("--limit needs a positive number, not '%s'"), limit);
	/* --limit N gives the newest N, then they are shown in the asked order */
	if (limit != NULL && n < sums->len) {
		int key = sort_key, dir = sort_dir;

		sort_key = 0;
		sort_dir = -1;
		g_array_sort(sums, summary_cmp);
		for (guint i = (guint)n; i < sums->len; i++)
			imap_summary_clear(&g_array_index(sums, struct imap_summary, i));
		g_array_set_size(sums, (guint)n);
		sort_key = key;
		sort_dir = dir;
	}
	g_array_sort(sums, summary_cmp);
	return 0;
}

/* Offline search: keep the summaries q matches, body: and text: asking
 * the cache's full-text index (what it holds of cached bodies). */
static int
filter_offline(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity, GArray *sums,
	       const struct query *q)
{
	struct store_text_search *t = NULL;
	GError *err = NULL;
	guint kept = 0;

	if (ctx->store != NULL &&
	    store_text_search_new(ctx->store, folder, uidvalidity, q, &t, &err) < 0) {
		int rc = cli_fail(TERN_ERR_FOLDER, _("--offline: %s"), err->message);

		g_error_free(err);
		return rc;
	}
	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);

		if (store_summary_matches_text(q, s, s->flags, t))
			g_array_index(sums, struct imap_summary, kept++) = *s;
		else
			imap_summary_clear(s);
	}
	g_array_set_size(sums, kept);
	store_text_search_free(&t);
	return 0;
}

/* ---- list from the cache, newest first through the date index ----------- */

struct cache_walk {
	struct list_out *out; /* print each one, or */
	GArray *keep;         /* keep what list shows of each */
	const struct store_overlay *ov; /* queued changes shown over the rows, or NULL */
	guint want;           /* rows wanted (0: all) */
	guint n;              /* rows taken */
};

static bool
cache_walk_cb(const struct imap_summary *row, void *ud)
{
	struct cache_walk *w = ud;
	const struct imap_summary *sum = row;
	struct imap_summary s, shown;
	guint flags = row->flags;

	if (!store_overlay_apply(w->ov, row->uid, &flags))
		return true; /* a queued move takes it away */
	if (flags != row->flags) {
		shown = *row; /* the same strings, other flags */
		shown.flags = flags;
		sum = &shown;
	}
	w->n++;
	if (w->out != NULL) {
		list_out_one(w->out, sum);
		return w->want == 0 || w->n < w->want;
	}
	memset(&s, 0, sizeof s);
	s.uid = sum->uid;
	s.flags = sum->flags;
	s.keywords = g_strdupv(sum->keywords);
	s.internaldate = sum->internaldate;
	s.internaldate_tz = sum->internaldate_tz;
	s.date = sum->date;
	s.date_tz = sum->date_tz;
	s.size = sum->size;
	s.modseq = sum->modseq;
	s.from = g_strdup(sum->from);
	s.from_name = g_strdup(sum->from_name);
	s.from_addr = g_strdup(sum->from_addr);
	s.subject = g_strdup(sum->subject);
	s.preview = g_strdup(sum->preview);
	g_array_append_val(w->keep, s);
	return w->want == 0 || w->n < w->want;
}

/* The default order (newest first). */
static bool
by_date(const char *sort)
{
	return sort == NULL || strcmp(sort, "-date") == 0;
}

/* `list FOLDER --json` of every message in the default order: the path of
 * list_json_print() (and of the rows a cold load keeps for it). */
static bool
whole_json(const char *sort, const char *limit, bool json)
{
	return json && limit == NULL && by_date(sort);
}

/* `list` over a cached folder without loading it: the default order
 * (-date) streams straight from the store, LIMIT rows at most; another
 * order with --limit takes the newest LIMIT and sorts only those.
 * Returns 1 when it is not for this path (another order, no limit: every
 * summary is needed to sort), else 0 or an exit code. */
static int
list_from_cache(struct cli_ctx *ctx, const char *folder, guint32 uidvalidity,
		const char *sort, const char *limit, bool json, struct list_json *seen)
{
	struct cache_walk w = { 0 };
	struct store_overlay *ov = NULL;
	struct list_out o;
	guint64 n = 0;
	guint rows;
	GError *err = NULL;
	int rc;

	if (limit != NULL && !g_ascii_string_to_unsigned(limit, 10, 1, CLI_LIMIT_MAX, &n, NULL))
		return 1; /* cli_sort_limit() says why */
	if (!by_date(sort) && n == 0)
		return 1;
	if (store_overlay_new(ctx->store, folder, uidvalidity, &ov, &err) < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		return rc;
	}
	w.ov = ov;
	w.want = (guint)n;
	/* the rest is the cache's: the server's answer comes meanwhile */
	cli_logout_early(ctx);
	/* rows a queued move hides are read and skipped */
	rows = n == 0 ? 0 : (guint)MIN(n + store_overlay_moved(ov), (guint64)G_MAXUINT);
	if (whole_json(sort, limit, json)) {
		/* the rows a cold load has just written, as it wrote them */
		rc = list_json_print(ctx->store, folder, uidvalidity, ctx->sync_whole ? seen : NULL,
				     ov, stdout, &err);
	} else if (by_date(sort)) {
		list_out_begin(&o, json, stdout);
		w.out = &o;
		rc = store_messages_by_date(ctx->store, folder, uidvalidity, rows, cache_walk_cb,
					    &w, &err);
		list_out_end(&o);
	} else {
		w.keep = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
		rc = store_messages_by_date(ctx->store, folder, uidvalidity, rows, cache_walk_cb,
					    &w, &err);
		if (rc == 0) {
			cli_sort_limit(w.keep, sort, NULL);
			cli_print_summaries(w.keep, json, stdout);
		}
		cli_summaries_free(w.keep);
	}
	store_overlay_free(&ov);
	if (rc < 0) {
		rc = cli_fail(TERN_ERR_NO, "%s", err->message);
		g_error_free(err);
		return rc;
	}
	return 0;
}

/* --json prints each message's preview: the summaries ask PREVIEW without
 * LAZY (the server makes those it has not yet; the plain lines do not show
 * them, so they go without). [ui] preview = false asks none. */
static void
want_previews(struct cli_ctx *ctx, bool json)
{
	if (ctx->client != NULL && json && ctx->cfg->ui.preview)
		imap_client_set_preview(ctx->client, IMAP_PREVIEW_FULL);
}

/* ---- search --all: every selectable folder (#16 "Search everywhere") -- */

/* A message found, and the folder it is in. */
struct found {
	struct imap_summary s; /* owned */
	const char *folder;    /* transfer none: the folder list's */
};

static int
found_cmp(gconstpointer a, gconstpointer b)
{
	const struct found *x = a, *y = b;
	int c = summary_cmp(&x->s, &y->s);

	return c != 0 ? c : strcmp(x->folder, y->folder);
}

/* What a found message keeps of a summary the search hands over. */
static void
summary_dup(struct imap_summary *d, const struct imap_summary *s)
{
	memset(d, 0, sizeof *d);
	d->uid = s->uid;
	d->flags = s->flags;
	d->keywords = g_strdupv(s->keywords);
	d->internaldate = s->internaldate;
	d->internaldate_tz = s->internaldate_tz;
	d->date = s->date;
	d->date_tz = s->date_tz;
	d->size = s->size;
	d->modseq = s->modseq;
	d->from = g_strdup(s->from);
	d->from_name = g_strdup(s->from_name);
	d->from_addr = g_strdup(s->from_addr);
	d->subject = g_strdup(s->subject);
}

/* The pipelined search's state (core/imap/search-all.c). */
struct all_wait {
	struct cli_ctx *ctx;
	GArray *found; /* struct found */
	GHashTable *validity; /* folder (the search's string) -> its UIDVALIDITY */
	guint failed;
	enum tern_status last_st;
};

/* Summaries of one folder into found, queued changes shown over them
 * (the summaries move into found). */
static void
all_keep(struct all_wait *w, const char *folder, GArray *sums)
{
	guint32 v = GPOINTER_TO_UINT(g_hash_table_lookup(w->validity, folder));

	if (w->ctx->store != NULL)
		cli_overlay_summaries(w->ctx, folder, v, sums);
	for (guint i = 0; i < sums->len; i++) {
		struct found f = { g_array_index(sums, struct imap_summary, i), folder };

		g_array_append_val(w->found, f);
	}
	g_array_unref(sums); /* not cleared: found owns the strings now */
}

/* Whether the cache holds the folder as the server has it now: the same
 * UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ (any flag change or expunge
 * raises the last), so its summaries and flags are exact. */
static bool
cache_exact(struct cli_ctx *ctx, const char *folder, const struct imap_mailbox_info *info)
{
	struct store_folder f;

	return ctx->store != NULL && info->highestmodseq != 0 &&
	       store_folder_get(ctx->store, folder, &f, NULL) == 1 &&
	       f.uidvalidity == info->uidvalidity && f.uidnext == info->uidnext &&
	       f.highestmodseq == info->highestmodseq;
}

/* The matches an exact cache holds are taken from it; the search fetches
 * the rest. */
static void
all_matched(const char *folder, const struct imap_mailbox_info *info, GArray *uids, void *ud)
{
	struct all_wait *w = ud;
	GArray *sums = NULL;
	GError *err = NULL;
	guint kept = 0, j = 0;

	g_hash_table_insert(w->validity, (gpointer)folder, GUINT_TO_POINTER(info->uidvalidity));
	if (!cache_exact(w->ctx, folder, info))
		return;
	if (store_messages_load(w->ctx->store, folder, info->uidvalidity, uids, &sums, &err) < 0) {
		g_error_free(err); /* fetched from the server instead */
		return;
	}
	/* both in UID order: keep the UIDs the cache did not have */
	for (guint i = 0; i < uids->len; i++) {
		guint32 uid = g_array_index(uids, guint32, i);

		if (j < sums->len && g_array_index(sums, struct imap_summary, j).uid == uid)
			j++;
		else
			g_array_index(uids, guint32, kept++) = uid;
	}
	g_array_set_size(uids, kept);
	all_keep(w, folder, sums);
}

static void
all_found(const char *folder, const struct imap_summary *batch, guint n, void *ud)
{
	struct all_wait *w = ud;
	GArray *sums = g_array_sized_new(FALSE, TRUE, sizeof(struct imap_summary), n);

	g_array_set_size(sums, n);
	for (guint i = 0; i < n; i++)
		summary_dup(&g_array_index(sums, struct imap_summary, i), &batch[i]);
	all_keep(w, folder, sums);
}

static void
all_failed(const char *folder, const char *detail, void *ud)
{
	struct all_wait *w = ud;
	char *name = text_sanitize(folder, -1, TEXT_SANITIZE_ONE_LINE);

	w->failed++;
	w->last_st = TERN_ERR_FOLDER;
	/* detail names the folder when the server refused to open it */
	if (strstr(detail, folder) != NULL)
		cli_fail(TERN_ERR_FOLDER, "%s", detail);
	else
		cli_fail(TERN_ERR_FOLDER, _("folder '%s': %s"), name, detail);
	g_free(name);
}

static void
all_done(enum tern_status st, const char *detail, void *ud)
{
	struct all_wait *w = ud;

	cli_finish(w->ctx, st, detail);
}

/* --limit N: the newest N of all, then the asked order (as cli_sort_limit()). */
static void
sort_found(GArray *found, const char *limit)
{
	guint64 n = 0;

	if (limit != NULL && g_ascii_string_to_unsigned(limit, 10, 1, CLI_LIMIT_MAX, &n, NULL) &&
	    n < found->len) {
		int key = sort_key, dir = sort_dir;

		sort_key = 0;
		sort_dir = -1;
		g_array_sort(found, found_cmp);
		for (guint i = (guint)n; i < found->len; i++)
			imap_summary_clear(&g_array_index(found, struct found, i).s);
		g_array_set_size(found, (guint)n);
		sort_key = key;
		sort_dir = dir;
	}
	g_array_sort(found, found_cmp);
}

/* --offline: every cached folder's cached summaries, matched here (body:
 * and text: through the cache's full-text index, which holds the text of
 * the cached bodies). A folder the cache does not hold is left out
 * without a word: offline, there is nothing of it to search. */
static int
search_all_offline(struct cli_ctx *ctx, const struct query *q, GPtrArray *folders,
		   GArray *found, guint *tried_r, guint *failed_r)
{
	int rc = 0;

	for (guint i = 0; i < folders->len; i++) {
		const struct imap_folder *f = folders->pdata[i];
		struct imap_mailbox_info info;
		struct store_folder sf;
		GArray *sums = NULL;
		int r;

		if ((f->attrs & IMAP_FOLDER_NOSELECT) ||
		    store_folder_get(ctx->store, f->name, &sf, NULL) != 1 || sf.uidnext == 0)
			continue;
		(*tried_r)++;
		if ((r = cli_open_folder(ctx, f->name, true, &info)) != 0 ||
		    (r = cli_folder_summaries(ctx, f->name, &info, NULL, &sums)) != 0 ||
		    (r = filter_offline(ctx, f->name, info.uidvalidity, sums, q)) != 0) {
			(*failed_r)++;
			rc = r;
			if (sums != NULL)
				cli_summaries_free(sums);
			continue;
		}
		for (guint j = 0; j < sums->len; j++) {
			struct found x = { g_array_index(sums, struct imap_summary, j), f->name };

			g_array_append_val(found, x); /* the strings move into found */
		}
		g_array_unref(sums);
	}
	return rc;
}

/* Every selectable folder, Junk and Trash included, pipelined on the
 * command's connection (imap_search_all_start()); a folder that fails is
 * reported and skipped: the exit status is 0 unless every folder failed. */
static int
search_all(const struct tern_globals *g, struct cli_args *args, const struct query *q)
{
	struct cli_ctx ctx;
	struct folders_wait w = { .ctx = &ctx };
	struct all_wait aw = { .ctx = &ctx };
	static const struct imap_search_all_ops ops = { .matched = all_matched,
							 .found = all_found,
							 .failed = all_failed,
							 .done = all_done };
	struct imap_search_all *sa = NULL;
	GPtrArray *names = g_ptr_array_new();
	GPtrArray *tokens = NULL;
	int rc;

	aw.found = g_array_new(FALSE, TRUE, sizeof(struct found));
	aw.validity = g_hash_table_new(g_str_hash, g_str_equal);
	if ((rc = cli_open_cached(g, &ctx)) != 0)
		goto out;
	want_previews(&ctx, cli_args_has(args, "json"));
	if (ctx.offline) {
		guint tried = 0;

		/* cli_open_cached() made sure of the cache */
		if ((rc = cached_folders(&ctx, &w.folders)) != 0)
			goto out;
		rc = search_all_offline(&ctx, q, w.folders, aw.found, &tried, &aw.failed);
		if (tried > 0 && aw.failed == tried)
			goto out;
		rc = 0;
		goto print;
	}
	imap_client_list_folders(ctx.client, false, folders_cb, &w);
	if (cli_wait(&ctx) != TERN_OK) {
		rc = cli_fail(ctx.st, "%s", ctx.detail != NULL ? ctx.detail : _("LIST failed"));
		goto out;
	}
	for (guint i = 0; i < w.folders->len; i++) {
		const struct imap_folder *f = w.folders->pdata[i];

		if (!(f->attrs & IMAP_FOLDER_NOSELECT))
			g_ptr_array_add(names, f->name);
	}
	tokens = query_to_imap(q);
	sa = imap_search_all_start(ctx.client, (const char *const *)names->pdata, names->len,
				   tokens, query_needs_utf8(q), 0, &ops, &aw);
	if (sa != NULL && cli_wait(&ctx) != TERN_OK) {
		rc = cli_fail(ctx.st, "%s", ctx.detail != NULL ? ctx.detail : _("search failed"));
		goto out;
	}
	if (names->len > 0 && aw.failed == names->len) {
		rc = cli_fail(aw.last_st, _("no folder could be searched"));
		goto out;
	}
print:
	sort_found(aw.found, cli_args_get(args, "limit"));
	{
		struct list_out o;

		list_out_begin(&o, cli_args_has(args, "json"), stdout);
		for (guint i = 0; i < aw.found->len; i++) {
			o.folder = g_array_index(aw.found, struct found, i).folder;
			list_out_one(&o, &g_array_index(aw.found, struct found, i).s);
		}
		list_out_end(&o);
	}
out:
	if (tokens != NULL)
		g_ptr_array_unref(tokens);
	for (guint i = 0; i < aw.found->len; i++)
		imap_summary_clear(&g_array_index(aw.found, struct found, i).s);
	cli_close(&ctx);
	imap_search_all_free(&sa); /* after the client: no callback comes */
	if (w.folders != NULL)
		g_ptr_array_unref(w.folders);
	g_ptr_array_unref(names);
	g_array_unref(aw.found);
	g_hash_table_unref(aw.validity);
	return rc;
}

/* `list FOLDER --json` in the default order prints every row of the
 * folder: when the resync turns out to be a cold load, the rows are kept
 * as the cache writer writes them (on its thread), so that printing need
 * not read them all back. NULL when the command is not that one. */
static struct list_json *
watch_whole_list(struct cli_ctx *ctx, struct cli_args *args, bool search)
{
	const char *sort = cli_args_get(args, "sort");
	struct list_json *w;

	if (search || ctx->store == NULL || ctx->offline ||
	    !whole_json(sort, cli_args_get(args, "limit"), cli_args_has(args, "json")))
		return NULL;
	w = list_json_new();
	store_set_row_observer(ctx->store, list_json_keep, w);
	return w;
}

static int
list_or_search(const struct tern_globals *g, int argc, char **argv, bool search)
{
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct imap_mailbox_info info;
	struct query *q = NULL;
	GArray *uids = NULL, *sums = NULL;
	struct list_json *seen = NULL;
	const char *folder;
	char *err = NULL;
	int rc;

	bool all;

	rc = cli_args_parse(argc, argv, list_opts, &args, &err);
	all = rc == 0 && cli_args_has(&args, "all");
	if (rc < 0 || (all && !search) ||
	    (search ? args.pos->len < (all ? 1u : 2u) : args.pos->len != 1)) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
				      search ? _("usage: tern search FOLDER QUERY... | "
						 "search --all QUERY...") :
					       _("usage: tern list FOLDER"));
		goto out_args;
	}
	if (search) {
		GString *joined = g_string_new(NULL);
		GError *qerr = NULL;
		char *text;

		/* QUERY is the rest of the words joined by spaces */
		for (guint i = all ? 0 : 1; i < args.pos->len; i++) {
			if (joined->len > 0)
				g_string_append_c(joined, ' ');
			g_string_append(joined, args.pos->pdata[i]);
		}
		text = g_string_free(joined, FALSE);
		if (query_parse(text, &q, &qerr) < 0) {
			rc = cli_fail(TERN_ERR_USAGE, _("bad query: %s"), qerr->message);
			g_error_free(qerr);
			g_free(text);
			goto out_args;
		}
		g_free(text);
	}
	/* Check the sort and limit before going to the server. */
	{
		GArray *empty = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));

		rc = cli_sort_limit(empty, cli_args_get(&args, "sort"), cli_args_get(&args, "limit"));
		g_array_unref(empty);
		if (rc != 0)
			goto out_args;
	}
	if (all) {
		rc = search_all(g, &args, q);
		goto out_args;
	}
	rc = cli_open_cached(g, &ctx);
	if (rc != 0)
		goto out;
	want_previews(&ctx, cli_args_has(&args, "json"));
	folder = args.pos->pdata[0];
	seen = watch_whole_list(&ctx, &args, search);
	rc = cli_open_folder(&ctx, folder, true, &info);
	if (ctx.store != NULL)
		store_set_row_observer(ctx.store, NULL, NULL);
	if (rc != 0)
		goto out;
	if (search && ctx.offline) {
		/* over the cached summaries */
		if ((rc = cli_folder_summaries(&ctx, folder, &info, NULL, &sums)) != 0)
			goto out;
		if ((rc = filter_offline(&ctx, folder, info.uidvalidity, sums, q)) != 0)
			goto out;
	} else if (search) {
		GPtrArray *tokens = query_to_imap(q);

		rc = cli_search_uids(&ctx, tokens, query_needs_utf8(q), &uids);
		g_ptr_array_unref(tokens);
		if (rc != 0)
			goto out;
		if (uids->len == 0) {
			sums = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
		} else if ((rc = cli_folder_summaries(&ctx, folder, &info, uids, &sums)) != 0) {
			goto out;
		}
	} else if (info.exists == 0) {
		sums = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	} else if (ctx.store != NULL &&
		   (rc = list_from_cache(&ctx, folder, info.uidvalidity, cli_args_get(&args, "sort"),
					 cli_args_get(&args, "limit"),
					 cli_args_has(&args, "json"), seen)) != 1) {
		goto out;
	} else if ((rc = cli_folder_summaries(&ctx, folder, &info, NULL, &sums)) != 0) {
		goto out;
	}
	cli_logout_early(&ctx);
	cli_sort_limit(sums, cli_args_get(&args, "sort"), cli_args_get(&args, "limit"));
	cli_print_summaries(sums, cli_args_has(&args, "json"), stdout);
out:
	cli_summaries_free(sums);
	if (uids != NULL)
		g_array_unref(uids);
	cli_close(&ctx);
	list_json_free(&seen);
out_args:
	if (q != NULL)
		query_free(&q);
	g_free(err);
	cli_args_clear(&args);
	return rc;
}

int
cli_cmd_list(const struct tern_globals *g, int argc, char **argv)
{
	return list_or_search(g, argc, argv, false);
}

int
cli_cmd_search(const struct tern_globals *g, int argc, char **argv)
{
	return list_or_search(g, argc, argv, true);
}

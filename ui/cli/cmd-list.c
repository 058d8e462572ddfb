/* tern — `tern folders`, `tern list`, `tern search`. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/model/query.h"
#include "core/text/text.h"
#include "ui/cli/cli.h"

/* Most entries --limit accepts (more is the same as all). */
#define CLI_LIMIT_MAX 100000000

static const struct cli_opt list_opts[] = {
	{ "json", NULL },
	{ "limit", "N" },
	{ "sort", "KEY" },
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
		char *name = text_sanitize(f->name, -1, TEXT_SANITIZE_ONE_LINE);
		char *padded = text_pad(name, -1, 32, NULL);

		if (f->attrs & IMAP_FOLDER_NOSELECT || f->messages < 0)
			fprintf(out, "%s %8s %8s\n", padded, "-", "-");
		else
			fprintf(out, "%s %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "\n", padded,
				f->messages, f->unseen < 0 ? 0 : f->unseen);
		g_free(padded);
		g_free(name);
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
	rc = cli_open(g, &ctx);
	if (rc == 0) {
		imap_client_list_folders(ctx.client, true, folders_cb, &w);
		if (cli_wait(&ctx) != TERN_OK) {
			rc = cli_fail(ctx.st, "%s", ctx.detail != NULL ? ctx.detail : _("LIST failed"));
		} else {
			g_ptr_array_sort(w.folders, folder_cmp);
			if (cli_args_has(&args, "json"))
				print_folders_json(w.folders, stdout);
			else
				print_folders_plain(w.folders, stdout);
		}
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
format_iso_date(gint64 t, int tz)
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

static char *
format_local_date(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_local(t);
	char *s = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("\?\?\?\?-\?\?-\?\? \?\?:\?\?");

	if (dt != NULL)
		g_date_time_unref(dt);
	return s;
}

static void
flag_names(const struct imap_summary *s, GPtrArray *out)
{
	/* the system flags in bit order (\Recent is left out), then keywords */
	for (guint bit = FLAG_SEEN; bit <= FLAG_DRAFT; bit <<= 1)
		if (s->flags & bit)
			g_ptr_array_add(out, (gpointer)flags_to_imap(bit));
	for (char **k = s->keywords; k != NULL && *k != NULL; k++)
		g_ptr_array_add(out, *k);
}

static void
print_json(GArray *sums, FILE *out)
{
	GString *j = g_string_new("[");

	for (guint i = 0; i < sums->len; i++) {
		const struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);
		char *date = format_iso_date(s->date, s->date_tz);
		/* JSON carries the real text: controls become \uXXXX escapes
		 * in json_str(), not the display sanitiser's ^[ */
		char *from = s->from != NULL ? text_decode_header_utf8(s->from) : g_strdup("");
		char *subject = s->subject != NULL ? text_decode_header_utf8(s->subject) : g_strdup("");
		GPtrArray *flags = g_ptr_array_new();

		g_string_append_printf(j, "%s\n  {\"uid\": %u, \"date\": ", i == 0 ? "" : ",", s->uid);
		json_str(j, date);
		g_string_append(j, ", \"from\": ");
		json_str(j, from);
		g_string_append(j, ", \"subject\": ");
		json_str(j, subject);
		g_string_append(j, ", \"flags\": [");
		flag_names(s, flags);
		for (guint k = 0; k < flags->len; k++) {
			if (k > 0)
				g_string_append(j, ", ");
			json_str(j, flags->pdata[k]);
		}
		g_string_append_printf(j, "], \"size\": %u}", s->size);
		if (j->len > 65536) {
			/* stream: a big folder's JSON is never held whole */
			fwrite(j->str, 1, j->len, out);
			g_string_truncate(j, 0);
		}
		g_ptr_array_unref(flags);
		g_free(date);
		g_free(from);
		g_free(subject);
	}
	g_string_append(j, sums->len > 0 ? "\n]\n" : "]\n");
	fputs(j->str, out);
	g_string_free(j, TRUE);
}

static void
print_plain(GArray *sums, FILE *out)
{
	int width = terminal_width(out);
	GString *line = g_string_new(NULL);

	for (guint i = 0; i < sums->len; i++) {
		const struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);
		char *date = format_local_date(s->date);
		char *name = decoded(s->from_name != NULL && s->from_name[0] != '\0' ? s->from_name :
										 s->from_addr);
		char *subject = decoded(s->subject);
		char *from_safe = text_sanitize(name, -1, TEXT_SANITIZE_ONE_LINE);
		char *subj_safe = text_sanitize(subject, -1, TEXT_SANITIZE_ONE_LINE);
		char *from_col = text_pad(from_safe, -1, 20, "…");
		char flags[5];

		snprintf(flags, sizeof flags, "%c%c%c%c", s->flags & IMAP_FLAG_SEEN ? ' ' : 'N',
			 s->flags & IMAP_FLAG_FLAGGED ? 'F' : ' ',
			 s->flags & IMAP_FLAG_ANSWERED ? 'A' : ' ',
			 s->flags & IMAP_FLAG_DELETED ? 'D' : ' ');
		g_string_printf(line, "%6u  %s  %s  %s  %s", s->uid, date, flags, from_col, subj_safe);
		if (width > 0) {
			char *cut = text_truncate(line->str, line->len, (size_t)width, "…");

			fprintf(out, "%s\n", cut);
			g_free(cut);
		} else {
			fprintf(out, "%s\n", line->str);
		}
		g_free(from_col);
		g_free(subj_safe);
		g_free(from_safe);
		g_free(subject);
		g_free(name);
		g_free(date);
	}
	g_string_free(line, TRUE);
}

void
cli_print_summaries(GArray *sums, bool json, FILE *out)
{
	if (json)
		print_json(sums, out);
	else
		print_plain(sums, out);
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

/* Offline search: keep the summaries q matches (decoded text). */
static void
filter_offline(GArray *sums, const struct query *q)
{
	guint kept = 0;

	for (guint i = 0; i < sums->len; i++) {
		struct imap_summary *s = &g_array_index(sums, struct imap_summary, i);
		char *from = s->from != NULL ? text_decode_header(s->from) : NULL;
		char *to = s->to != NULL ? text_decode_header(s->to) : NULL;
		char *cc = s->cc != NULL ? text_decode_header(s->cc) : NULL;
		char *subject = s->subject != NULL ? text_decode_header(s->subject) : NULL;
		struct query_summary qs = {
			.from = from, .to = to, .cc = cc, .subject = subject,
			.internaldate = s->internaldate, .size = s->size,
			.flags = s->flags, /* IMAP_FLAG_* == FLAG_* (common.c) */
		};

		if (query_match(q, &qs))
			g_array_index(sums, struct imap_summary, kept++) = *s;
		else
			imap_summary_clear(s);
		g_free(from);
		g_free(to);
		g_free(cc);
		g_free(subject);
	}
	g_array_set_size(sums, kept);
}

static int
list_or_search(const struct tern_globals *g, int argc, char **argv, bool search)
{
	struct cli_args args;
	struct cli_ctx ctx = { 0 };
	struct imap_mailbox_info info;
	struct query *q = NULL;
	GArray *uids = NULL, *sums = NULL;
	const char *folder;
	char *err = NULL;
	int rc;

	if (cli_args_parse(argc, argv, list_opts, &args, &err) < 0 ||
	    (search ? args.pos->len < 2 : args.pos->len != 1)) {
		rc = cli_fail(TERN_ERR_USAGE, "%s", err != NULL ? err :
				      search ? _("usage: tern search FOLDER QUERY...") :
					       _("usage: tern list FOLDER"));
		goto out_args;
	}
	if (search) {
		GString *joined = g_string_new(NULL);
		GError *qerr = NULL;
		char *text;

		/* QUERY is the rest of the words joined by spaces */
		for (guint i = 1; i < args.pos->len; i++) {
			if (i > 1)
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
	rc = cli_open_cached(g, &ctx);
	if (rc != 0)
		goto out;
	folder = args.pos->pdata[0];
	rc = cli_open_folder(&ctx, folder, true, &info);
	if (rc != 0)
		goto out;
	if (search && ctx.offline) {
		/* over the cached summaries */
		if ((rc = cli_folder_summaries(&ctx, folder, &info, NULL, &sums)) != 0)
			goto out;
		filter_offline(sums, q);
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
	} else if ((rc = cli_folder_summaries(&ctx, folder, &info, NULL, &sums)) != 0) {
		goto out;
	}
	cli_sort_limit(sums, cli_args_get(&args, "sort"), cli_args_get(&args, "limit"));
	cli_print_summaries(sums, cli_args_has(&args, "json"), stdout);
out:
	cli_summaries_free(sums);
	if (uids != NULL)
		g_array_unref(uids);
	cli_close(&ctx);
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

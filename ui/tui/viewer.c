/* tern — ui/tui/viewer: the message viewer.
 *
 * Opening a message fetches what it shows. A small one (TUI_VIEW_WHOLE)
 * comes whole (BODY[] when it is unread, which marks it read on the
 * server, else BODY.PEEK[]). A bigger one costs two round trips: its
 * BODYSTRUCTURE and header, then the text parts shown with their MIME
 * headers (BODY.PEEK[1.2.MIME] BODY.PEEK[1.2]) in one UID FETCH, \Seen
 * set as for a cached body; its other parts are listed from the structure
 * and fetched when saved or opened (parts.c). Signed and encrypted
 * messages come whole (a signature covers the exact bytes). Only a server
 * whose BODYSTRUCTURE is unusable gets the first TUI_VIEW_HEAD bytes.
 * Whole bodies, parts and structures go to the cache. mime/
 * parses and renders it in a worker thread, so neither a slow server nor a
 * large or odd message (or an external HTML renderer) holds the keyboard.
 * The lines are kept sanitised, with a colour each: header names, quoted
 * text by depth, tern's notices, the attachment list.
 *
 * Signed and encrypted mail is verified and decrypted in the same worker
 * (mime_message_process_crypto()), so a gpg-agent that is slow or waits
 * for a passphrase never holds the keyboard; after MIME_CRYPTO_WAIT_S the
 * viewer says what it is waiting for. The status it finds is drawn on rows
 * of its own above the text, in COLOR_CRYPTO_*, which no line of the
 * message is ever drawn in: a message cannot imitate it. Only the fetched
 * (encrypted) bytes go to the cache; decrypted text stays in memory. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include <gio/gio.h>

#include "core/log.h"
#include "core/text/text.h"
#include "ui/tui/tui-private.h"

/* Longest wait for running renders when tern quits (a gpg-agent that never
 * answers must not keep tern from exiting). */
#define VIEWER_WAIT_MAX_S 5

static void
view_line_free(gpointer p)
{
	struct view_line *l = p;

	g_free(l->text);
	g_free(l);
}

static void
add_line(GPtrArray *lines, const char *text, enum color_elem color, int name_cols)
{
	struct view_line *l = g_new0(struct view_line, 1);

	l->text = text_sanitize(text, -1, TEXT_SANITIZE_ONE_LINE);
	l->color = color;
	l->name_cols = name_cols;
	g_ptr_array_add(lines, l);
}

void
viewer_clear(struct viewer *v)
{
	v->uid = 0;
	g_clear_pointer(&v->folder, g_free);
	g_clear_pointer(&v->raw, g_bytes_unref);
	v->cut_of = 0;
	g_clear_pointer(&v->structure, g_ptr_array_unref);
	g_clear_pointer(&v->lines, g_ptr_array_unref);
	g_clear_pointer(&v->error, g_free);
	v->loading = false;
	v->waiting = false;
	v->render_seq++; /* a render still running is for nothing now */
	v->top = 0;
	v->width = 0;
	v->mode = VIEW_TEXT;
	g_clear_pointer(&v->links, g_ptr_array_unref);
	g_clear_pointer(&v->find, g_free);
	v->find_line = -1;
	g_clear_pointer(&v->output, g_ptr_array_unref);
	g_clear_pointer(&v->status, g_ptr_array_unref);
	mime_message_free(&v->unwrapped);
	g_clear_handle_id(&v->slow_timer, g_source_remove);
	v->slow = false;
}

/* ---- rendering (worker thread) --------------------------------------------- */

struct render_job {
	guint seq;
	GBytes *raw;
	guint32 cut_of;   /* raw is the start of a message this big, or 0 */
	GPtrArray *structure; /* raw holds the parts shown of this, or NULL */
	GBytes *header;       /* H of such a message: its own header (BODY[HEADER]) */
	enum viewer_mode mode;
	struct mime_render_opts opts;
	char *html_command;
	GPtrArray *lines; /* the result */
	GPtrArray *links; /* char *: the numbered links */
	GPtrArray *status; /* struct view_line *: the crypto status, or NULL */
	struct mime_message *msg; /* the parse, when signed or encrypted (for v) */
	bool cache_decrypted;     /* the config's: make text */
	char *text;               /* the decrypted text for the cache's index, or NULL */
};

static void
render_job_free(gpointer p)
{
	struct render_job *j = p;

	g_bytes_unref(j->raw);
	mime_message_free(&j->msg);
	g_free(j->text);
	if (j->header != NULL)
		g_bytes_unref(j->header);
	if (j->structure != NULL)
		g_ptr_array_unref(j->structure);
	g_free(j->html_command);
	if (j->lines != NULL)
		g_ptr_array_unref(j->lines);
	if (j->links != NULL)
		g_ptr_array_unref(j->links);
	if (j->status != NULL)
		g_ptr_array_unref(j->status);
	g_free(j);
}

/* "Name: value", wrapped under the value. */
static void
add_header(GPtrArray *lines, const char *name, const char *value, size_t width,
	   enum color_elem color)
{
	char *label = g_strdup_printf("%s ", name);
	int name_cols = (int)text_width(label, -1);
	size_t value_w = width > (size_t)name_cols + 10 ? width - (size_t)name_cols : 0;
	GPtrArray *parts;

	if (value == NULL) {
		g_free(label);
		return;
	}
	parts = text_wrap(value, -1, value_w);
	for (guint i = 0; i < parts->len; i++) {
		char *line = g_strdup_printf("%*s%s", i == 0 ? 0 : name_cols, i == 0 ? label : "",
					     (char *)parts->pdata[i]);

		add_line(lines, line, color, i == 0 ? name_cols : 0);
		g_free(line);
	}
	g_ptr_array_unref(parts);
	g_free(label);
}

static enum color_elem
body_color(const struct mime_line *l)
{
	switch (l->kind) {
	case MIME_LINE_NOTICE:
		return COLOR_NOTICE;
	case MIME_LINE_HEADER:
		return COLOR_HEADER_VALUE;
	case MIME_LINE_LINK:
		return COLOR_ATTACHMENT;
	case MIME_LINE_TEXT:
		break;
	}
	switch (l->quote_depth) {
	case 0:
		return COLOR_NORMAL;
	case 1:
		return COLOR_QUOTE;
	case 2:
		return COLOR_QUOTE_TWO;
	default:
		return COLOR_QUOTE_THREE;
	}
}

/* Only the start of a big message was fetched: say so, once, above it. */
static void
add_cut_notice(GPtrArray *lines, gsize have, guint32 size, size_t width)
{
	char *h = g_format_size(have), *all = g_format_size(size);
	char *text = g_strdup_printf(_("[Only the first %s of this %s message was fetched: "
				       "attachments after it are cut short; tern save gets them "
				       "whole.]"), h, all);
	GPtrArray *parts = text_wrap(text, -1, width);

	for (guint i = 0; i < parts->len; i++)
		add_line(lines, parts->pdata[i], COLOR_NOTICE, 0);
	add_line(lines, "", COLOR_NORMAL, 0);
	g_ptr_array_unref(parts);
	g_free(text);
	g_free(h);
	g_free(all);
}

/* "[N] URL" lines of the HTML renderer: the URL, when it is one a
 * browser may be given as shown (printable ASCII, no space). */
static void
collect_link(GPtrArray *links, const char *text)
{
	const char *url = strstr(text, "] ");
	char *end;
	guint64 n = g_ascii_strtoull(text + 1, &end, 10);

	if (text[0] != '[' || url == NULL || end != url || n != links->len + 1)
		return;
	url += 2;
	for (const char *p = url; *p != '\0'; p++)
		if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f)
			return;
	g_ptr_array_add(links, g_strdup(url));
}

/* V: the message as fetched, one line per line, sanitised. */
static GPtrArray *
source_lines(GBytes *raw)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(view_line_free);
	gsize len;
	const char *p = g_bytes_get_data(raw, &len), *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		line = text_make_valid(p, (gssize)n);
		add_line(lines, line, COLOR_NORMAL, 0);
		g_free(line);
		p = nl ? nl + 1 : end;
	}
	return lines;
}

/* The attachments of a message fetched in parts, from its structure:
 * the same numbers and names as the whole message's list. */
static void
add_listed(GPtrArray *lines, const GPtrArray *structure)
{
	GPtrArray *entries = mime_structure_parts(structure);
	bool first = true;

	for (guint i = 0; i < entries->len; i++) {
		const struct mime_part_entry *e = entries->pdata[i];
		struct mime_attachment a = { .index = e->index, .content_type = e->content_type,
					     .size = e->size, .depth = e->depth };
		char *d, *line;

		if (e->index == 0)
			continue;
		if (first) {
			add_line(lines, "", COLOR_NORMAL, 0);
			add_line(lines, _("Attachments (v fetches one to save or open it):"),
				 COLOR_HEADER_NAME, 0);
			first = false;
		}
		a.filename = mime_attachment_safe_name(e->filename, e->index);
		d = mime_attachment_describe(&a);
		line = g_strdup_printf("  %s", d);
		add_line(lines, line, COLOR_ATTACHMENT, 0);
		g_free(line);
		g_free(d);
		g_free(a.filename);
	}
	g_ptr_array_unref(entries);
}

static GPtrArray *
render_lines(const struct mime_rendered *r, size_t width, gsize have, guint32 cut_of,
	     const GPtrArray *structure)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(view_line_free);

	if (r->all_headers) {
		/* H: every header, decoded, in order */
		for (guint i = 0; i < r->headers->len; i++) {
			const struct mime_header *h = r->headers->pdata[i];
			char *name = g_strdup_printf("%s:", h->name);

			add_header(lines, name, h->value, width, COLOR_HEADER_VALUE);
			g_free(name);
		}
	} else {
		add_header(lines, _("From:"), r->from, width, COLOR_HEADER_VALUE);
		add_header(lines, _("To:"), r->to, width, COLOR_HEADER_VALUE);
		add_header(lines, _("Cc:"), r->cc, width, COLOR_HEADER_VALUE);
		add_header(lines, _("Date:"), r->date, width, COLOR_HEADER_VALUE);
		add_header(lines, _("Subject:"), r->subject != NULL ? r->subject : "", width,
			   COLOR_SUBJECT);
	}
	add_line(lines, "", COLOR_NORMAL, 0);
	if (cut_of != 0)
		add_cut_notice(lines, have, cut_of, width);
	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		add_line(lines, l->text, body_color(l), 0);
	}
	if (structure != NULL) {
		add_listed(lines, structure);
	} else if (r->attachments != NULL && r->attachments->len > 0) {
		add_line(lines, "", COLOR_NORMAL, 0);
		add_line(lines, _("Attachments:"), COLOR_HEADER_NAME, 0);
		for (guint i = 0; i < r->attachments->len; i++) {
			char *d = mime_attachment_describe(r->attachments->pdata[i]);
			char *line = g_strdup_printf("  %s", d);

			add_line(lines, line, COLOR_ATTACHMENT, 0);
			g_free(line);
			g_free(d);
		}
	}
	return lines;
}

/* The status lines, each wrapped to the width (never cut: a warning that
 * does not fit must still be read whole). */
static GPtrArray *
status_lines(const struct mime_rendered *r, size_t width)
{
	GPtrArray *st = mime_crypto_status_lines(r->crypto);
	GPtrArray *lines = NULL;

	for (guint i = 0; i < st->len; i++) {
		const struct mime_status_line *l = st->pdata[i];
		GPtrArray *parts = text_wrap(l->text, -1, width);

		if (lines == NULL)
			lines = g_ptr_array_new_with_free_func(view_line_free);
		for (guint k = 0; k < parts->len; k++)
			add_line(lines, parts->pdata[k],
				 l->warning ? COLOR_CRYPTO_BAD : COLOR_CRYPTO_GOOD, 0);
		g_ptr_array_unref(parts);
	}
	g_ptr_array_unref(st);
	return lines;
}

/* H on a message held in parts: the header the server has (raw's is
 * rebuilt, its Content-* fields left out) over the parts shown. */
static void
take_headers(struct mime_rendered *r, GBytes *header)
{
	struct mime_render_opts o;
	struct mime_message *hm = mime_message_parse_bytes(header);
	struct mime_rendered *hr;

	mime_render_opts_init(&o);
	o.all_headers = true;
	hr = mime_render(hm, &o);
	mime_message_free(&hm);
	g_ptr_array_unref(r->headers);
	r->headers = g_steal_pointer(&hr->headers);
	hr->headers = g_ptr_array_new();
	r->all_headers = true;
	mime_rendered_free(&hr);
}

static void
render_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	struct render_job *j = data;
	struct mime_message *msg;
	struct mime_rendered *r;

	j->links = g_ptr_array_new_with_free_func(g_free);
	if (j->mode == VIEW_SOURCE) {
		j->lines = source_lines(j->raw);
		g_task_return_boolean(task, TRUE);
		return;
	}
	msg = mime_message_parse_bytes(j->raw);
	/* May wait for gpg-agent: this is why it runs here. */
	mime_message_process_crypto(msg);
	j->opts.html_command = j->html_command;
	j->opts.all_headers = j->mode == VIEW_HEADERS && j->header == NULL;
	r = mime_render(msg, &j->opts);
	/* cache_decrypted: the text of a whole message that was decrypted */
	if (j->cache_decrypted && r->crypto != NULL && r->crypto->decrypted &&
	    j->structure == NULL && j->cut_of == 0)
		j->text = mime_message_text(msg, STORE_FTS_TEXT_MAX);
	/* Kept for v: its parts are the decrypted ones (a whole message only). */
	if (r->crypto != NULL && r->crypto->protocol != MIME_CRYPTO_NONE && j->structure == NULL &&
	    j->cut_of == 0)
		j->msg = g_steal_pointer(&msg);
	mime_message_free(&msg);
	if (j->header != NULL)
		take_headers(r, j->header);
	j->lines = render_lines(r, j->opts.width, g_bytes_get_size(j->raw), j->cut_of,
				j->structure);
	j->status = status_lines(r, j->opts.width);
	for (guint i = 0; i < r->lines->len; i++) {
		const struct mime_line *l = r->lines->pdata[i];

		if (l->kind == MIME_LINE_LINK)
			collect_link(j->links, l->text);
	}
	mime_rendered_free(&r);
	g_task_return_boolean(task, TRUE);
}

static void
render_done(GObject *source, GAsyncResult *res, gpointer ud)
{
	struct tui *t = ud;
	struct viewer *v = &t->viewer;
	struct render_job *j = g_task_get_task_data(G_TASK(res));

	v->renders_pending--;
	/* Only the newest render counts (the message or the width changed). */
	if (j->seq == v->render_seq && v->uid != 0) {
		g_clear_handle_id(&v->slow_timer, g_source_remove);
		v->slow = false;
		g_clear_pointer(&v->lines, g_ptr_array_unref);
		v->lines = g_steal_pointer(&j->lines);
		g_clear_pointer(&v->status, g_ptr_array_unref);
		v->status = g_steal_pointer(&j->status);
		g_clear_pointer(&v->links, g_ptr_array_unref);
		v->links = g_steal_pointer(&j->links);
		if (j->msg != NULL) {
			mime_message_free(&v->unwrapped);
			v->unwrapped = g_steal_pointer(&j->msg);
		}
		if (j->text != NULL)
			cache_text_put(t, v->folder, v->uid, j->text);
		tui_dirty(t);
	}
}

/* The render has not come back: gpg-agent is waiting (for a passphrase in a
 * pinentry, or it does not answer), or an external HTML renderer is slow
 * (it has its own time limit). Say so; the keyboard works meanwhile and
 * another message can be opened. */
static gboolean
render_slow(gpointer ud)
{
	struct tui *t = ud;

	t->viewer.slow_timer = 0;
	t->viewer.slow = true;
	/* The render does not say what it waits for: name both candidates. */
	tui_error(t, _("Still working on the message after %d s: gpg-agent is not answering "
		       "(a pinentry waiting for a passphrase?), or the HTML renderer is slow"),
		  MIME_CRYPTO_WAIT_S);
	tui_dirty(t);
	return G_SOURCE_REMOVE;
}

static void
start_render(struct tui *t)
{
	struct viewer *v = &t->viewer;
	struct render_job *j;
	GTask *task;

	if (v->raw == NULL)
		return;
	j = g_new0(struct render_job, 1);
	j->raw = g_bytes_ref(v->raw);
	j->cut_of = v->cut_of;
	j->structure = v->structure != NULL ? g_ptr_array_ref(v->structure) : NULL;
	j->mode = v->mode == VIEW_OUTPUT ? VIEW_TEXT : v->mode;
	if (j->mode == VIEW_HEADERS && v->structure != NULL)
		j->header = cache_part_get(t, v->folder, v->uid, "BODY[HEADER]");
	j->seq = ++v->render_seq;
	mime_render_opts_init(&j->opts);
	/* Drawn one column in from the pane's edge. */
	j->opts.width = v->width > 21 ? (size_t)v->width - 1 : 20;
	j->opts.prefer_html = t->cfg->ui.prefer_html;
	j->html_command = g_strdup(t->cfg->ui.html_renderer);
	j->cache_decrypted = t->cfg->ui.cache_decrypted;
	v->renders_pending++;
	g_clear_handle_id(&v->slow_timer, g_source_remove);
	v->slow = false;
	v->slow_timer = g_timeout_add_seconds(MIME_CRYPTO_WAIT_S, render_slow, t);
	task = g_task_new(NULL, NULL, render_done, t);
	g_task_set_task_data(task, j, render_job_free);
	g_task_run_in_thread(task, render_thread);
	g_object_unref(task);
}

void
viewer_wait(struct tui *t)
{
	gint64 until = g_get_monotonic_time() + VIEWER_WAIT_MAX_S * G_USEC_PER_SEC;

	while (t->viewer.renders_pending > 0 && g_get_monotonic_time() < until)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(20 * 1000);
}

/* ---- fetching ----------------------------------------------------------------- */

static bool viewer_must_wait(struct tui *t);

struct fetch_data {
	guint32 uid;
	guint32 size;   /* the message's, when only its start is asked for; else 0 */
	bool marked;    /* we showed it read at once */
	guint old_flags;
};

static void
body_done(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data,
	  void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct fetch_data *fd = op->data;
	bool current = tui_op_current(op);

	if (current && st != TERN_OK && fd->marked) {
		struct msg *m = message_list_get(t->list, fd->uid);

		if (m != NULL)
			message_list_set_flags(t->list, m, fd->old_flags);
	}
	if (current && t->viewer.uid == fd->uid) {
		t->viewer.loading = false;
		if (st == TERN_OK && data != NULL) {
			/* Only what is whole goes to the cache. */
			if (fd->size == 0 || g_bytes_get_size(data) >= fd->size)
				cache_body_put(t, t->viewer.folder, fd->uid, data);
			else
				t->viewer.cut_of = fd->size;
			if (fd->marked) {
				GArray *one = g_array_new(FALSE, FALSE, sizeof(guint32));

				g_array_append_val(one, fd->uid);
				cache_flag_bit(t, one, IMAP_FLAG_SEEN, true);
				g_array_unref(one);
			}
			t->viewer.raw = g_bytes_ref(data);
			start_render(t);
		} else {
			t->viewer.error = g_strdup(detail != NULL ? detail :
							  _("the message could not be fetched"));
			tui_error(t, _("Cannot show the message: %s"), t->viewer.error);
		}
		tui_dirty(t);
	}
	tui_op_free(op);
}

/* The whole message, or its first TUI_VIEW_HEAD bytes when head. */
static void
fetch_whole(struct tui *t, struct msg *m, bool head)
{
	struct fetch_data *fd = g_new0(struct fetch_data, 1);
	struct tui_op *op;
	bool mark;

	fd->uid = m->uid;
	fd->old_flags = m->flags;
	mark = !(m->flags & IMAP_FLAG_SEEN) && !t->info.read_only;
	if (mark) {
		message_list_set_flags(t->list, m, m->flags | IMAP_FLAG_SEEN);
		fd->marked = true;
	}
	op = tui_op_new(t, fd, g_free);
	if (head && m->size > TUI_VIEW_HEAD) {
		fd->size = m->size;
		imap_client_fetch_head(t->client, m->uid, TUI_VIEW_HEAD, mark, body_done, op);
	} else {
		imap_client_fetch_body(t->client, m->uid, "", mark, body_done, op);
	}
}

/* The fetch items of the parts shown, as the cache keys them. */
static char *
item_name(const char *section, const char *suffix)
{
	return g_strdup_printf("BODY[%s%s]", section, suffix);
}

/* raw := the parts shown of a message fetched in parts; shown and marked
 * read as a cached body is. */
static void
show_partial(struct tui *t, GPtrArray *structure, GBytes *header, const GPtrArray *mimes,
	     const GPtrArray *bodies)
{
	struct viewer *v = &t->viewer;
	struct msg *m = message_list_get(t->list, v->uid);

	v->loading = false;
	g_clear_pointer(&v->raw, g_bytes_unref);
	g_clear_pointer(&v->structure, g_ptr_array_unref);
	v->raw = mime_partial_message(header, mimes, bodies);
	v->structure = g_ptr_array_ref(structure);
	if (m != NULL && !(m->flags & IMAP_FLAG_SEEN)) {
		if (viewer_must_wait(t))
			v->waiting = true;
		else
			actions_mark_seen(t, m->uid);
	}
	start_render(t);
	tui_dirty(t);
}

/* Every part shown, from the cache: true when all were there. */
static bool
open_cached_parts(struct tui *t, guint32 uid)
{
	GBytes *sb = cache_part_get(t, t->folder, uid, "BODYSTRUCTURE");
	GPtrArray *structure = sb != NULL ? imap_parts_deserialize(sb) : NULL;
	GBytes *header = cache_part_get(t, t->folder, uid, "BODY[HEADER]");
	GPtrArray *mimes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GPtrArray *bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	char **sections = NULL;
	bool ok = structure != NULL && header != NULL &&
		  mime_structure_plan(structure, t->cfg->ui.prefer_html, IMAP_MAX_FETCH_SECTIONS,
				      &sections) == MIME_FETCH_PARTS;

	for (guint i = 0; ok && sections[i] != NULL; i++) {
		char *mi = item_name(sections[i], ".MIME"), *bi = item_name(sections[i], "");
		GBytes *mb = cache_part_get(t, t->folder, uid, mi);
		GBytes *bb = cache_part_get(t, t->folder, uid, bi);

		ok = mb != NULL && bb != NULL;
		g_ptr_array_add(mimes, mb);
		g_ptr_array_add(bodies, bb);
		g_free(mi);
		g_free(bi);
	}
	if (ok)
		show_partial(t, structure, header, mimes, bodies);
	g_strfreev(sections);
	g_ptr_array_unref(mimes);
	g_ptr_array_unref(bodies);
	if (structure != NULL)
		g_ptr_array_unref(structure);
	if (header != NULL)
		g_bytes_unref(header);
	if (sb != NULL)
		g_bytes_unref(sb);
	return ok;
}

struct parts_fetch {
	guint32 uid;
	GPtrArray *structure;
	GBytes *header;
	char **sections;
};

static void
parts_fetch_free(gpointer p)
{
	struct parts_fetch *pf = p;

	if (pf == NULL)
		return;
	if (pf->structure != NULL)
		g_ptr_array_unref(pf->structure);
	if (pf->header != NULL)
		g_bytes_unref(pf->header);
	g_strfreev(pf->sections);
	g_free(pf);
}

static bool
fetch_still_wanted(struct tui_op *op, guint32 uid)
{
	return tui_op_current(op) && op->t->viewer.uid == uid && op->t->viewer.loading;
}

static void
fetch_failed(struct tui *t, enum tern_status st, const char *detail)
{
	struct viewer *v = &t->viewer;

	v->loading = false;
	v->error = g_strdup(detail != NULL ? detail : _("the message could not be fetched"));
	tui_error(t, _("Cannot show the message: %s"), v->error);
	if (st == TERN_ERR_PROTOCOL) {
		/* The server's answer broke a bound or the grammar (a BODYSTRUCTURE
		 * too deep, a literal too long): no structure from this server
		 * again, and the message once it has reconnected. */
		v->no_structure = true;
		g_clear_pointer(&v->error, g_free);
		v->loading = true;
		v->waiting = true;
	}
	tui_dirty(t);
}

static void
shown_parts_done(struct imap_client *c, enum tern_status st, const char *detail,
		 const struct imap_parts_result *res, void *ud)
{
	struct tui_op *op = ud;
	struct parts_fetch *pf = op->data;
	struct tui *t = op->t;

	if (!fetch_still_wanted(op, pf->uid))
		goto out;
	if (st != TERN_OK) {
		fetch_failed(t, st, detail);
		goto out;
	}
	for (guint i = 0; pf->sections[i] != NULL; i++) {
		char *mi = item_name(pf->sections[i], ".MIME"), *bi = item_name(pf->sections[i], "");

		if (res->data->pdata[i] == NULL)
			log_warn("viewer: the server sent no BODY[%s] of UID %u", pf->sections[i],
				 pf->uid);
		cache_part_put(t, t->viewer.folder, pf->uid, mi, res->mime->pdata[i]);
		cache_part_put(t, t->viewer.folder, pf->uid, bi, res->data->pdata[i]);
		g_free(mi);
		g_free(bi);
	}
	show_partial(t, pf->structure, pf->header, res->mime, res->data);
out:
	tui_op_free(op);
}

/* The shown sections of a message whose structure and header came. */
static void
fetch_shown(struct tui *t, struct parts_fetch *pf)
{
	const char *const *sections = (const char *const *)pf->sections;

	if (sections[0] == NULL) {
		/* Nothing to show but the header and the list. */
		GPtrArray *none = g_ptr_array_new();

		show_partial(t, pf->structure, pf->header, none, none);
		g_ptr_array_unref(none);
		parts_fetch_free(pf);
		return;
	}
	imap_client_fetch_parts(t->client, pf->uid, IMAP_PARTS_MIME, sections, shown_parts_done,
				tui_op_new(t, pf, parts_fetch_free));
}

static void
structure_done(struct imap_client *c, enum tern_status st, const char *detail,
	       const struct imap_parts_result *res, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	guint32 uid = GPOINTER_TO_UINT(op->data);
	struct msg *m = message_list_get(t->list, uid);
	struct parts_fetch *pf;
	int plan = -1;
	char **sections = NULL;

	if (!fetch_still_wanted(op, uid) || m == NULL) {
		tui_op_free(op);
		return;
	}
	tui_op_free(op);
	if (st != TERN_OK) {
		fetch_failed(t, st, detail);
		return;
	}
	if (res->structure != NULL && res->header != NULL)
		plan = mime_structure_plan(res->structure, t->cfg->ui.prefer_html,
					   IMAP_MAX_FETCH_SECTIONS, &sections);
	if (plan != MIME_FETCH_PARTS) {
		/* Signed or encrypted (whole), or no usable structure (the start). */
		if (plan < 0)
			t->viewer.no_structure = true;
		fetch_whole(t, m, plan < 0);
		return;
	}
	pf = g_new0(struct parts_fetch, 1);
	pf->uid = uid;
	pf->structure = g_ptr_array_ref(res->structure);
	pf->header = g_bytes_ref(res->header);
	pf->sections = sections;
	{
		GBytes *sb = imap_parts_serialize(res->structure);

		cache_part_put(t, t->viewer.folder, uid, "BODYSTRUCTURE", sb);
		cache_part_put(t, t->viewer.folder, uid, "BODY[HEADER]", res->header);
		g_bytes_unref(sb);
	}
	fetch_shown(t, pf);
}

static void
viewer_fetch(struct tui *t, struct msg *m)
{
	t->viewer.loading = true;
	/* a size not known yet may be any: the parts shown only */
	if ((m->size <= TUI_VIEW_WHOLE && !m->sizeless) || t->viewer.no_structure)
		fetch_whole(t, m, t->viewer.no_structure);
	else
		imap_client_fetch_parts(t->client, m->uid, IMAP_PARTS_STRUCTURE | IMAP_PARTS_HEADER,
					NULL, structure_done,
					tui_op_new(t, GUINT_TO_POINTER(m->uid), NULL));
	tui_dirty(t);
}

/* ---- what is shown, for another caller (a reply quotes the text only) ---------- */

struct shown {
	guint32 uid;
	shown_fn *fn;
	void *ud;
	GDestroyNotify ud_free;
	GBytes *header;
	char **sections;
};

static void
shown_free(gpointer p)
{
	struct shown *sh = p;

	if (sh == NULL)
		return; /* handed on to the next step */
	if (sh->header != NULL)
		g_bytes_unref(sh->header);
	g_strfreev(sh->sections);
	if (sh->ud_free != NULL)
		sh->ud_free(sh->ud);
	g_free(sh);
}

static void
shown_whole_done(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data,
		 void *ud)
{
	struct tui_op *op = ud;
	struct shown *sh = op->data;

	if (tui_op_current(op))
		sh->fn(op->t, st == TERN_OK ? data : NULL, detail, sh->ud);
	tui_op_free(op);
}

static void
shown_parts_came(struct imap_client *c, enum tern_status st, const char *detail,
		 const struct imap_parts_result *res, void *ud)
{
	struct tui_op *op = ud;
	struct shown *sh = op->data;
	GBytes *raw;

	if (tui_op_current(op) && st != TERN_OK) {
		sh->fn(op->t, NULL, detail, sh->ud);
	} else if (tui_op_current(op)) {
		raw = mime_partial_message(sh->header, res->mime, res->data);
		sh->fn(op->t, raw, NULL, sh->ud);
		g_bytes_unref(raw);
	}
	tui_op_free(op);
}

static void
shown_structure_came(struct imap_client *c, enum tern_status st, const char *detail,
		     const struct imap_parts_result *res, void *ud)
{
	struct tui_op *op = ud;
	struct shown *sh = op->data;
	struct tui *t = op->t;
	int plan = -1;


	if (!tui_op_current(op) || st != TERN_OK) {
		if (tui_op_current(op))
			sh->fn(t, NULL, detail, sh->ud);
		tui_op_free(op);
		return;
	}
	if (res->structure != NULL && res->header != NULL)
		plan = mime_structure_plan(res->structure, t->cfg->ui.prefer_html,
					   IMAP_MAX_FETCH_SECTIONS, &sh->sections);
	op->data = NULL; /* sh goes on with the next step */
	tui_op_free(op);
	if (plan != MIME_FETCH_PARTS || sh->sections[0] == NULL) {
		/* signed, encrypted, no structure, or nothing but attachments */
		imap_client_fetch_body(t->client, sh->uid, "", false, shown_whole_done,
				       tui_op_new(t, sh, shown_free));
		return;
	}
	sh->header = g_bytes_ref(res->header);
	imap_client_fetch_parts(t->client, sh->uid, IMAP_PARTS_MIME,
				(const char *const *)sh->sections, shown_parts_came,
				tui_op_new(t, sh, shown_free));
}

void
viewer_fetch_shown(struct tui *t, guint32 uid, guint32 size, shown_fn *fn, void *ud,
		   GDestroyNotify ud_free)
{
	struct shown *sh = g_new0(struct shown, 1);

	sh->uid = uid;
	sh->fn = fn;
	sh->ud = ud;
	sh->ud_free = ud_free;
	if (size <= TUI_VIEW_WHOLE)
		imap_client_fetch_body(t->client, uid, "", false, shown_whole_done,
				       tui_op_new(t, sh, shown_free));
	else
		imap_client_fetch_parts(t->client, uid, IMAP_PARTS_STRUCTURE | IMAP_PARTS_HEADER,
					NULL, shown_structure_came, tui_op_new(t, sh, shown_free));
}

/* Connecting, or the folder is still being opened: the server part
 * (fetch, or \Seen for a cached body) waits for viewer_resume(). */
static bool
viewer_must_wait(struct tui *t)
{
	return t->client != NULL && (t->conn == CONN_CONNECTING || !t->selected);
}

void
viewer_open(struct tui *t, struct msg *m)
{
	struct viewer *v = &t->viewer;

	if (v->uid == m->uid && g_strcmp0(v->folder, t->folder) == 0 && v->error == NULL)
		return;
	viewer_clear(v);
	parts_close(t);
	v->uid = m->uid;
	v->folder = g_strdup(t->folder);
	tui_layout(t); /* the viewer's place, now that it is open */
	v->width = t->lay.viewer.w > 0 ? t->lay.viewer.w : 80;
	if ((v->raw = cache_body_get(t, t->folder, m->uid)) != NULL) {
		/* Read from the cache: no round trip, works offline. */
		if (!(m->flags & IMAP_FLAG_SEEN)) {
			if (viewer_must_wait(t))
				v->waiting = true;
			else
				actions_mark_seen(t, m->uid);
		}
		start_render(t);
		tui_dirty(t);
		return;
	}
	if (open_cached_parts(t, m->uid))
		return;
	if (viewer_must_wait(t)) {
		v->loading = true;
		v->waiting = true;
		tui_dirty(t);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY) {
		v->error = g_strdup(_("offline, and not in the cache"));
		tui_error(t, _("Cannot show the message: offline, and not in the cache"));
		return;
	}
	viewer_fetch(t, m);
}

void
viewer_resume(struct tui *t)
{
	struct viewer *v = &t->viewer;
	struct msg *m;

	if (!v->waiting || v->uid == 0 || g_strcmp0(v->folder, t->folder) != 0)
		return;
	v->waiting = false;
	m = message_list_get(t->list, v->uid);
	if (m == NULL || t->client == NULL || t->conn != CONN_READY) {
		v->loading = false;
		if (v->raw == NULL && v->error == NULL)
			v->error = g_strdup(_("the message is no longer in the folder"));
		tui_dirty(t);
		return;
	}
	if (v->raw != NULL) {
		if (!(m->flags & IMAP_FLAG_SEEN))
			actions_mark_seen(t, m->uid);
		return;
	}
	viewer_fetch(t, m);
}

void
viewer_close(struct tui *t)
{
	viewer_clear(&t->viewer);
	tui_dirty(t);
}

void
viewer_resize(struct tui *t)
{
	struct viewer *v = &t->viewer;

	if (v->uid == 0 || t->lay.viewer.w <= 0 || t->lay.viewer.w == v->width)
		return;
	v->width = t->lay.viewer.w;
	start_render(t);
}

/* ---- scrolling and drawing -------------------------------------------------- */

/* The lines on screen: the message's, or a command's output. */
static GPtrArray *
shown_lines(const struct viewer *v)
{
	return v->mode == VIEW_OUTPUT ? v->output : v->lines;
}

/* Rows of the crypto status above the text (at most all but one). */
static guint
status_rows(struct tui *t)
{
	const struct viewer *v = &t->viewer;
	guint h = t->lay.viewer.h > 1 ? (guint)t->lay.viewer.h : 1;

	if (v->status == NULL || v->lines == NULL || v->mode == VIEW_OUTPUT)
		return 0;
	return MIN(v->status->len, h - 1);
}

/* Rows for the text: the pane less the status. */
static guint
text_rows(struct tui *t)
{
	guint h = t->lay.viewer.h > 0 ? (guint)t->lay.viewer.h : 1;

	return h - status_rows(t) > 0 ? h - status_rows(t) : 1;
}

static guint
max_top(struct tui *t)
{
	GPtrArray *lines = shown_lines(&t->viewer);
	guint n = lines != NULL ? lines->len : 0;
	guint h = text_rows(t);

	return n > h ? n - h : 0;
}

void
viewer_scroll(struct tui *t, gssize delta)
{
	gssize top = (gssize)t->viewer.top + delta;

	if (top < 0)
		top = 0;
	if ((guint)top > max_top(t))
		top = (gssize)max_top(t);
	t->viewer.top = (guint)top;
	tui_dirty(t);
}

bool
viewer_at_end(struct tui *t)
{
	return t->viewer.uid != 0 && shown_lines(&t->viewer) != NULL &&
	       t->viewer.top >= max_top(t);
}

void
viewer_scroll_to(struct tui *t, bool end)
{
	t->viewer.top = end ? max_top(t) : 0;
	tui_dirty(t);
}

static void
draw_title(struct tui *t, const struct tui_rect *sep, bool focused)
{
	struct viewer *v = &t->viewer;
	GPtrArray *lines = shown_lines(v);
	attr_t a = t->attrs[COLOR_SEPARATOR] | (focused ? A_BOLD : 0);
	char *pos = NULL;

	if (t->lay.beside)
		return; /* a plain line, drawn with the others */
	attrset(a);
	draw_hline(sep->y, sep->x, sep->w);
	attrset(A_NORMAL);
	if (lines != NULL && lines->len > text_rows(t)) {
		guint shown = MIN(v->top + text_rows(t), lines->len);

		pos = g_strdup_printf(" %u%% ", (guint)((guint64)shown * 100 / lines->len));
		draw_text_right(sep->y, sep->x, sep->w - 2, pos, a);
	}
	g_free(pos);
}

/* Where the text looked for is in s (ASCII case ignored), or NULL. */
static const char *
find_in(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s != '\0'; s++)
		if (g_ascii_strncasecmp(s, needle, n) == 0)
			return s;
	return NULL;
}

/* Every match on a drawn line, in reverse video. */
static void
draw_match(struct tui *t, int y, int x, int w, const char *text)
{
	const char *m = text;
	size_t n = strlen(t->viewer.find);

	while (n > 0 && (m = find_in(m, t->viewer.find)) != NULL) {
		int col = (int)text_width(text, m - text);
		char *match = g_strndup(m, n);

		if (col < w)
			draw_text_at(y, x + col, w - col, match,
				     t->attrs[COLOR_SELECTION] | A_REVERSE);
		g_free(match);
		m += n;
	}
}

/* tern's status, full width in its own colour, on rows the text never uses. */
static void
draw_status(struct tui *t, const struct tui_rect *r, guint rows)
{
	for (guint i = 0; i < rows; i++) {
		const struct view_line *l = t->viewer.status->pdata[i];
		attr_t a = t->attrs[l->color];

		attrset(a);
		mvhline(r->y + (int)i, r->x, ' ', r->w);
		attrset(A_NORMAL);
		draw_text(r->y + (int)i, r->x + 1, r->w - 1, l->text, a);
	}
}

void
viewer_pane_draw(struct tui *t, const struct tui_rect *pane, bool focused)
{
	struct viewer *v = &t->viewer;
	const struct tui_rect *sep = &t->lay.viewer_sep;
	GPtrArray *lines = shown_lines(v);
	struct tui_rect text = *pane;
	const struct tui_rect *r = pane;

	draw_title(t, sep, focused);
	if (parts_shown(t) && v->mode != VIEW_OUTPUT) {
		parts_draw(t, r);
		return;
	}
	if (v->uid == 0) {
		draw_text(r->y, r->x + 1, r->w - 1,
			  _("Enter opens the selected message; ? lists the keys."),
			  t->attrs[COLOR_INFO]);
		return;
	}
	if (lines == NULL) {
		draw_text(r->y, r->x + 1, r->w - 1,
			  v->error != NULL ? v->error
			  : v->slow ? _("Still working on the message: gpg-agent is not "
					 "answering (a pinentry waiting for a passphrase?), or the "
					 "HTML renderer is slow.")
				    : _("Loading the message…"),
			  t->attrs[v->error != NULL || v->slow ? COLOR_ERROR : COLOR_INFO]);
		return;
	}
	if (status_rows(t) > 0) {
		draw_status(t, pane, status_rows(t));
		text.y += (int)status_rows(t);
		text.h -= (int)status_rows(t);
		r = &text;
	}
	if (v->top > max_top(t))
		v->top = max_top(t);
	for (int i = 0; i < r->h && v->top + (guint)i < lines->len; i++) {
		const struct view_line *l = lines->pdata[v->top + i];
		int x = r->x + 1, w = r->w - 1;

		if (v->find != NULL && v->mode != VIEW_OUTPUT) {
			draw_text(r->y + i, x, w, l->text, t->attrs[l->color]);
			draw_match(t, r->y + i, x, w, l->text);
			continue;
		}
		if (l->name_cols > 0 && l->name_cols < w) {
			char *name = g_strndup(l->text, strlen(l->text));
			char *cut = text_truncate(name, -1, (size_t)l->name_cols, NULL);
			int used = draw_text_at(r->y + i, x, l->name_cols, cut,
						t->attrs[COLOR_HEADER_NAME]);

			draw_text(r->y + i, x + used, w - used, l->text + strlen(cut),
				  t->attrs[l->color]);
			g_free(cut);
			g_free(name);
			continue;
		}
		draw_text(r->y + i, x, w, l->text, t->attrs[l->color]);
	}
}

/* ---- #14: modes, finding, output ---------------------------------------------- */

static void
mode_with_whole(struct tui *t, GBytes *raw, char *arg)
{
	if (t->viewer.structure == NULL)
		viewer_set_mode(t, strcmp(arg, "V") == 0 ? VIEW_SOURCE : VIEW_HEADERS);
}

static bool
have_header(struct tui *t)
{
	GBytes *h = cache_part_get(t, t->viewer.folder, t->viewer.uid, "BODY[HEADER]");

	if (h == NULL)
		return false;
	g_bytes_unref(h);
	return true;
}

void
viewer_set_mode(struct tui *t, enum viewer_mode mode)
{
	struct viewer *v = &t->viewer;

	if (v->uid == 0 || v->raw == NULL) {
		tui_error(t, _("No message is open."));
		return;
	}
	if (v->structure != NULL && mode != VIEW_TEXT && v->mode != mode &&
	    !(mode == VIEW_HEADERS && have_header(t))) {
		/* The source is the message's own bytes, not the parts shown:
		 * fetched whole first; so is the header when the cache has
		 * not kept it (BODY[HEADER], fetched with the structure). */
		toolbox_with_message(t, mode_with_whole, g_strdup(mode == VIEW_SOURCE ? "V" : "H"));
		return;
	}
	v->mode = v->mode == mode ? VIEW_TEXT : mode;
	v->top = 0;
	v->find_line = -1;
	g_clear_pointer(&v->lines, g_ptr_array_unref);
	start_render(t);
	tui_dirty(t);
}

GBytes *
viewer_raw(struct tui *t, bool *cut_r)
{
	if (cut_r != NULL)
		*cut_r = t->viewer.cut_of != 0 || t->viewer.structure != NULL;
	return t->viewer.uid != 0 ? t->viewer.raw : NULL;
}

struct mime_message *
viewer_take_unwrapped(struct tui *t, bool *busy_r)
{
	*busy_r = t->viewer.uid != 0 && t->viewer.renders_pending > 0;
	return t->viewer.uid != 0 ? g_steal_pointer(&t->viewer.unwrapped) : NULL;
}

void
viewer_return_unwrapped(struct tui *t, guint32 uid, struct mime_message *msg)
{
	if (uid != 0 && t->viewer.uid == uid && t->viewer.unwrapped == NULL)
		t->viewer.unwrapped = msg;
	else
		mime_message_free(&msg);
}

const GPtrArray *
viewer_structure(struct tui *t)
{
	return t->viewer.uid != 0 ? t->viewer.structure : NULL;
}

void
viewer_have_whole(struct tui *t, guint32 uid, GBytes *whole)
{
	struct viewer *v = &t->viewer;

	if (v->uid != uid || (v->cut_of == 0 && v->structure == NULL))
		return;
	cache_body_put(t, v->folder, uid, whole);
	g_clear_pointer(&v->raw, g_bytes_unref);
	v->raw = g_bytes_ref(whole);
	v->cut_of = 0;
	g_clear_pointer(&v->structure, g_ptr_array_unref);
	start_render(t);
	tui_dirty(t);
}

void
viewer_show_output(struct tui *t, const char *title, const char *text, size_t len)
{
	struct viewer *v = &t->viewer;
	GPtrArray *lines = g_ptr_array_new_with_free_func(view_line_free);
	const char *p = text, *end = text + len;

	add_line(lines, title, COLOR_HEADER_NAME, 0);
	add_line(lines, "", COLOR_NORMAL, 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = text_make_valid(p, (gssize)n);

		add_line(lines, line, COLOR_NORMAL, 0);
		g_free(line);
		p = nl ? nl + 1 : end;
	}
	g_clear_pointer(&v->output, g_ptr_array_unref);
	v->output = lines;
	v->mode = VIEW_OUTPUT;
	v->top = 0;
	tui_dirty(t);
}

static bool
line_matches(struct viewer *v, guint i)
{
	return find_in(((struct view_line *)v->lines->pdata[i])->text, v->find) != NULL;
}

void
viewer_find_next(struct tui *t, int dir)
{
	struct viewer *v = &t->viewer;
	guint n = v->lines != NULL ? v->lines->len : 0, h;
	gssize from;

	if (v->find == NULL || n == 0) {
		tui_error(t, _("Nothing to find: / looks for text in the message."));
		return;
	}
	from = v->find_line >= 0 ? v->find_line : (dir > 0 ? (gssize)v->top - 1 : (gssize)v->top);
	for (guint k = 1; k <= n; k++) {
		guint i = (guint)(((from + (gssize)k * dir) % (gssize)n + (gssize)n) % (gssize)n);

		if (!line_matches(v, i))
			continue;
		if ((dir > 0 && (gssize)i <= from) || (dir < 0 && (gssize)i >= from))
			tui_info(t, _("Search wrapped."));
		v->find_line = (gssize)i;
		h = text_rows(t);
		if (i < v->top || i >= v->top + h)
			v->top = i > 2 ? i - 2 : 0;
		if (v->top > max_top(t))
			v->top = max_top(t);
		tui_dirty(t);
		return;
	}
	tui_error(t, _("Not found in this message."));
	v->find_line = -1;
	tui_dirty(t);
}

void
viewer_find(struct tui *t, const char *text)
{
	struct viewer *v = &t->viewer;

	g_clear_pointer(&v->find, g_free);
	v->find_line = -1;
	if (v->mode == VIEW_OUTPUT)
		v->mode = VIEW_TEXT;
	if (text == NULL || *text == '\0') {
		tui_dirty(t);
		return;
	}
	v->find = g_strdup(text);
	viewer_find_next(t, 1);
}

bool
viewer_leave_mode(struct tui *t, bool find)
{
	struct viewer *v = &t->viewer;

	if (v->mode == VIEW_OUTPUT) {
		v->mode = VIEW_TEXT;
		v->top = 0;
		g_clear_pointer(&v->output, g_ptr_array_unref);
	} else if (v->mode != VIEW_TEXT) {
		viewer_set_mode(t, v->mode); /* the same mode again: back to the text */
	} else if (find && v->find != NULL) {
		g_clear_pointer(&v->find, g_free);
		v->find_line = -1;
	} else {
		return false;
	}
	tui_dirty(t);
	return true;
}

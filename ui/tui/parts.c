/* tern — ui/tui/parts: v, the list of a message's parts over the viewer
 * (#14): type, size, name and nesting of each attachment, as tern save
 * numbers them. s saves one (toolbox_save_prompt), | pipes one to a
 * command, o (or Enter) opens one with its mailcap entry (RFC 1524:
 * ~/.mailcap, then /etc/mailcap).
 *
 * Mailcap commands are shell command lines by the RFC (Debian's rely on
 * it), so they run with /bin/sh -c as mutt runs them; what stands for %s
 * is a path tern builds itself, of [A-Za-z0-9._/-] only, in a private
 * directory (0700; the file 0600), never text from the message. %t is the
 * type made a token; %{...} parameters are left empty. copiousoutput
 * entries show their output in the viewer; needsterminal ones (or any,
 * without a graphical display) get the terminal, curses suspended;
 * graphical ones start detached. The private files stay until tern exits.
 *
 * When the viewer holds only the parts it shows, the list comes from the
 * BODYSTRUCTURE and a part is fetched when it is saved, opened or piped:
 * BINARY.PEEK[section] where the server offers BINARY (it undoes the
 * transfer encoding), else BODY.PEEK[section] decoded here; progress on
 * the status line; Esc cancels. A cancelled fetch is not cut off: its
 * answer is read to the end and dropped (the connection stays in step
 * and usable; cutting it would mean a reconnect and re-select), and
 * nothing waits for it. Fetched parts go to the cache. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "core/text/text.h"
#include "ui/tui/tui-private.h"

struct parts_view {
	guint32 uid;
	GBytes *raw;              /* the whole message, or NULL: listed from */
	struct mime_message *msg; /* ... its parse, or NULL */
	bool unwrapped;           /* msg is the viewer's, decrypted: given back */
	GPtrArray *entries;       /* struct mime_part_entry *: the structure's list */
	GPtrArray *listed;        /* struct mime_attachment *, one per attachment entry */
	GPtrArray *listed_entry;  /* the entry of each (transfer none) */
	guint sel;
	/* the part being fetched, if any */
	guint fetch_seq;          /* of the fetch running, 0: none */
	guint timer;              /* its progress */
	guint64 fetch_start;      /* imap_client_received() when it began */
	guint64 fetch_size;       /* what the structure says */
};

/* Numbers the part fetches, so that an answer knows whether it still
 * counts (its list may be closed, or the fetch cancelled). */
static guint fetch_counter;

/* The private directory of opened parts, made on first use (0700). */
static char *private_dir;
static guint private_files;

bool
parts_shown(struct tui *t)
{
	return t->parts != NULL && t->parts->uid == t->viewer.uid && t->viewer.uid != 0;
}

void
parts_close(struct tui *t)
{
	struct parts_view *p = t->parts;

	if (p == NULL)
		return;
	if (p->timer != 0)
		g_source_remove(p->timer);
	if (p->unwrapped)
		viewer_return_unwrapped(t, p->uid, g_steal_pointer(&p->msg));
	mime_message_free(&p->msg);
	if (p->raw != NULL)
		g_bytes_unref(p->raw);
	if (p->entries != NULL)
		g_ptr_array_unref(p->entries);
	if (p->listed != NULL)
		g_ptr_array_unref(p->listed);
	if (p->listed_entry != NULL)
		g_ptr_array_unref(p->listed_entry);
	g_clear_pointer(&t->parts, g_free);
	tui_dirty(t);
}

/* The list of msg (transfer full), parsed from raw; unwrapped: it is the
 * viewer's (given back on close). */
static void
parts_show_msg(struct tui *t, GBytes *raw, struct mime_message *msg, bool unwrapped)
{
	struct parts_view *p;

	parts_close(t);
	p = g_new0(struct parts_view, 1);
	p->uid = t->viewer.uid;
	p->raw = g_bytes_ref(raw);
	p->msg = msg;
	p->unwrapped = unwrapped;
	t->parts = p;
	if (mime_message_attachments(p->msg)->len == 0) {
		parts_close(t);
		tui_info(t, _("This message has no attachments."));
		return;
	}
	tui_info(t, _("s saves, o opens, | pipes the part; q goes back."));
	tui_dirty(t);
}

static void
parts_show(struct tui *t, GBytes *raw, char *arg)
{
	parts_show_msg(t, raw, mime_message_parse_bytes(raw), false);
}

static void
attachment_free(gpointer p)
{
	struct mime_attachment *a = p;

	g_free(a->filename);
	g_free(a);
}

/* The list of a message the viewer holds in part, from its structure. */
static void
parts_show_structure(struct tui *t, const GPtrArray *structure)
{
	struct parts_view *p;

	parts_close(t);
	p = g_new0(struct parts_view, 1);
	p->uid = t->viewer.uid;
	p->entries = mime_structure_parts(structure);
	p->listed = g_ptr_array_new_with_free_func(attachment_free);
	p->listed_entry = g_ptr_array_new();
	for (guint i = 0; i < p->entries->len; i++) {
		struct mime_part_entry *e = p->entries->pdata[i];
		struct mime_attachment *a;

		if (e->index == 0)
			continue;
		a = g_new0(struct mime_attachment, 1);
		a->index = e->index;
		a->content_type = e->content_type; /* a token: owned by the entry */
		a->filename = mime_attachment_safe_name(e->filename, e->index);
		a->size = e->size;
		a->depth = e->depth;
		a->disposition = e->disposition;
		g_ptr_array_add(p->listed, a);
		g_ptr_array_add(p->listed_entry, e);
	}
	t->parts = p;
	if (p->listed->len == 0) {
		parts_close(t);
		tui_info(t, _("This message has no attachments."));
		return;
	}
	tui_info(t, _("s saves, o opens, | pipes the part; q goes back."));
	tui_dirty(t);
}

void
parts_open(struct tui *t)
{
	const GPtrArray *structure = viewer_structure(t);
	bool busy = false;
	struct mime_message *msg = viewer_take_unwrapped(t, &busy);
	GBytes *raw = viewer_raw(t, NULL);

	/* A signed or encrypted message: the parts the viewer's render found
	 * inside (decrypted), numbered as tern save numbers them. */
	if (msg != NULL && raw != NULL)
		parts_show_msg(t, raw, msg, true);
	else if (structure != NULL)
		parts_show_structure(t, structure);
	else if (busy)
		tui_info(t, _("The message is still being read (verified or decrypted); "
			      "try v again when it shows."));
	else
		toolbox_with_message(t, parts_show, NULL);
	if (msg != NULL && raw == NULL)
		mime_message_free(&msg);
}

static const GPtrArray *
attachments(struct tui *t)
{
	return t->parts->msg != NULL ? mime_message_attachments(t->parts->msg) : t->parts->listed;
}

static const struct mime_attachment *
selected(struct tui *t)
{
	const GPtrArray *atts = attachments(t);

	if (t->parts->sel >= atts->len)
		t->parts->sel = atts->len > 0 ? atts->len - 1 : 0;
	return atts->len > 0 ? atts->pdata[t->parts->sel] : NULL;
}

/* ---- opening with mailcap -------------------------------------------------- */

static bool
path_is_safe(const char *path)
{
	for (const char *c = path; *c != '\0'; c++)
		if (!g_ascii_isalnum(*c) && strchr("._/-", *c) == NULL)
			return false;
	return *path == '/';
}

/* A new 0600 file in the private directory holding bytes, named from
 * [A-Za-z0-9.-] only (the extension of the part's safe name kept, so that
 * programs recognise the type). Transfer full, or NULL after saying why. */
static char *
private_file(struct tui *t, const struct mime_attachment *a, GBytes *bytes)
{
	const char *dot = strrchr(a->filename, '.');
	GString *name = g_string_new(NULL);
	GError *err = NULL;
	char *path;
	gsize len;
	const char *d = g_bytes_get_data(bytes, &len);
	int fd;

	if (private_dir == NULL) {
		const char *tmp = g_get_tmp_dir();
		char *tmpl = g_build_filename(path_is_safe(tmp) ? tmp : "/tmp", "tern-XXXXXX", NULL);

		private_dir = g_mkdtemp_full(tmpl, 0700);
		if (private_dir == NULL)
			g_free(tmpl);
		if (private_dir == NULL || !path_is_safe(private_dir)) {
			tui_error(t, _("Cannot make a private directory: %s"), g_strerror(errno));
			g_clear_pointer(&private_dir, g_free);
			g_string_free(name, TRUE);
			return NULL;
		}
	}
	g_string_printf(name, "part-%u-%u", ++private_files, a->index);
	if (dot != NULL && strlen(dot) <= 10) {
		g_string_append_c(name, '.');
		for (const char *c = dot + 1; *c != '\0'; c++)
			if (g_ascii_isalnum(*c))
				g_string_append_c(name, *c);
	}
	path = g_build_filename(private_dir, name->str, NULL);
	g_string_free(name, TRUE);
	fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, d, len) != (ssize_t)len || close(fd) != 0) {
		tui_error(t, _("Cannot write %s: %s"), path, g_strerror(errno));
		if (fd >= 0)
			g_unlink(path);
		g_free(path);
		g_clear_error(&err);
		return NULL;
	}
	return path;
}

/* The command line with %s (path: checked safe), %t (a token) and %%
 * replaced, %{name} left empty. Without %s, the file is its stdin. */
static char *
expand_command(const char *cmd, const char *path, const char *type)
{
	GString *out = g_string_new(NULL);
	bool used = false;

	for (const char *c = cmd; *c != '\0'; c++) {
		if (*c != '%' || c[1] == '\0') {
			g_string_append_c(out, *c);
			continue;
		}
		c++;
		if (*c == 's') {
			g_string_append(out, path);
			used = true;
		} else if (*c == 't') {
			for (const char *p = type; *p != '\0'; p++)
				g_string_append_c(out, g_ascii_isalnum(*p) || strchr("/.+-", *p) ?
							       *p : '_');
		} else if (*c == '{') {
			const char *end = strchr(c, '}');

			c = end != NULL ? end : c + strlen(c) - 1;
		} else {
			g_string_append_c(out, *c);
		}
	}
	if (!used)
		g_string_append_printf(out, " < %s", path);
	return g_string_free(out, FALSE);
}

/* The entry's test= passes (run by the shell, like the command). */
static bool
entry_test_passes(const struct mime_mailcap_entry *e)
{
	int status = 0;
	char *argv[] = { "/bin/sh", "-c", e->test, NULL };

	if (e->test == NULL)
		return true;
	if (strstr(e->test, "%s") != NULL)
		return false;
	return g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL |
			    G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) &&
	       g_spawn_check_wait_status(status, NULL);
}

/* The first entry for type whose test passes, ~/.mailcap first. */
static struct mime_mailcap_entry *
find_entry(const char *type, GPtrArray **keep_r)
{
	char *user = g_build_filename(g_get_home_dir(), ".mailcap", NULL);
	const char *files[] = { user, "/etc/mailcap" };
	struct mime_mailcap_entry *found = NULL;

	*keep_r = NULL;
	for (size_t f = 0; f < TERN_ARRAY_LEN(files) && found == NULL; f++) {
		GPtrArray *es = mime_mailcap_entries(files[f], type);

		for (guint i = 0; i < es->len && found == NULL; i++)
			if (entry_test_passes(es->pdata[i]))
				found = es->pdata[i];
		if (found != NULL)
			*keep_r = es;
		else
			g_ptr_array_unref(es);
	}
	g_free(user);
	return found;
}

static void
detached_exited(GObject *source, GAsyncResult *res, gpointer ud)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
}

static void
run_in_terminal(struct tui *t, const char *cmd)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	GError *err = NULL;
	int status = 0;
	bool ok;

	def_prog_mode();
	endwin();
	ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
			  &status, &err);
	reset_prog_mode();
	clearok(curscr, TRUE);
	tui_relayout(t);
	if (!ok) {
		tui_error(t, _("Cannot run %s: %s"), cmd, err->message);
		g_error_free(err);
	} else if (!g_spawn_check_wait_status(status, NULL)) {
		tui_error(t, _("%s ended with an error."), cmd);
	}
}

static void
run_detached(struct tui *t, const char *cmd)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	GError *err = NULL;
	GSubprocess *p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
						     G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
						     G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err);

	if (p == NULL) {
		tui_error(t, _("Cannot run %s: %s"), cmd, err->message);
		g_error_free(err);
		return;
	}
	tui_info(t, _("Started %s."), cmd);
	g_subprocess_wait_async(p, NULL, detached_exited, NULL);
	g_object_unref(p);
}

static void
open_part(struct tui *t, const struct mime_attachment *a, GBytes *bytes, char *arg)
{
	GPtrArray *keep = NULL;
	struct mime_mailcap_entry *e = find_entry(a->content_type, &keep);
	char *path, *cmd;
	bool graphical = g_getenv("DISPLAY") != NULL || g_getenv("WAYLAND_DISPLAY") != NULL;

	if (e == NULL) {
		tui_error(t, _("No mailcap entry for %s (~/.mailcap, /etc/mailcap): s saves it."),
			  a->content_type);
		return;
	}
	path = private_file(t, a, bytes);
	if (path == NULL)
		goto out;
	cmd = expand_command(e->command, path, a->content_type);
	if (e->copiousoutput)
		toolbox_run_command(t, NULL, cmd, a->filename);
	else if (e->needsterminal || !graphical)
		run_in_terminal(t, cmd);
	else
		run_detached(t, cmd);
	g_free(cmd);
	g_free(path);
out:
	g_ptr_array_unref(keep);
}

/* ---- keys and drawing ---------------------------------------------------------- */

/* ---- a part's bytes: from the message, the cache, or the server ---------------- */

typedef void part_fn(struct tui *t, const struct mime_attachment *a, GBytes *bytes, char *arg);

struct part_fetch {
	guint seq;
	guint32 uid;
	unsigned index;
	part_fn *fn;
	char *arg;
	char *section;
	char *encoding;
	bool binary;
};

static void
part_fetch_free(gpointer p)
{
	struct part_fetch *pf = p;

	if (pf == NULL)
		return; /* handed on to a retry */
	g_free(pf->arg);
	g_free(pf->section);
	g_free(pf->encoding);
	g_free(pf);
}

static char *
binary_item(const char *section)
{
	return g_strdup_printf("BINARY[%s]", section);
}

static void
fetch_stop(struct parts_view *p)
{
	p->fetch_seq = 0;
	if (p->timer != 0)
		g_source_remove(p->timer);
	p->timer = 0;
}

static gboolean
fetch_progress(gpointer ud)
{
	struct tui *t = ud;
	struct parts_view *p = t->parts;
	char *have, *all;
	guint64 now;

	if (p == NULL || t->client == NULL)
		return G_SOURCE_CONTINUE;
	now = imap_client_received(t->client);
	/* a new connection counts from 0 again */
	have = g_format_size(now >= p->fetch_start ? now - p->fetch_start : 0);
	all = g_format_size(p->fetch_size);
	tui_notice(t, _("Fetching the part: %s of about %s… (Esc cancels)"), have, all);
	g_free(have);
	g_free(all);
	return G_SOURCE_CONTINUE;
}

/* The list and the fetch this answer is for are still there. */
static const struct mime_attachment *
fetch_current(struct tui *t, const struct part_fetch *pf)
{
	const GPtrArray *atts;

	if (!parts_shown(t) || t->parts->fetch_seq != pf->seq || t->parts->uid != pf->uid)
		return NULL;
	atts = attachments(t);
	for (guint i = 0; i < atts->len; i++)
		if (((struct mime_attachment *)atts->pdata[i])->index == pf->index)
			return atts->pdata[i];
	return NULL;
}

static void fetch_part(struct tui *t, struct part_fetch *pf);

static void
part_fetched(struct imap_client *c, enum tern_status st, const char *detail,
	     const struct imap_parts_result *res, void *ud)
{
	struct tui_op *op = ud;
	struct part_fetch *pf = op->data;
	struct tui *t = op->t;
	const struct mime_attachment *a = tui_op_current(op) ? fetch_current(t, pf) : NULL;
	GBytes *data = st == TERN_OK ? res->data->pdata[0] : NULL, *bytes;
	gsize len;
	const char *d;

	if (a == NULL)
		goto out; /* cancelled, or the list closed */
	if (st == TERN_ERR_NO && pf->binary) {
		/* e.g. [UNKNOWN-CTE]: the server cannot decode it, so tern does */
		op->data = NULL;
		pf->binary = false;
		fetch_part(t, pf);
		goto out;
	}
	fetch_stop(t->parts);
	if (data == NULL) {
		tui_error(t, _("Cannot fetch part %s: %s"), pf->section,
			  st != TERN_OK && detail != NULL ? detail : _("the server sent none"));
		goto out;
	}
	d = g_bytes_get_data(data, &len);
	bytes = pf->binary ? g_bytes_ref(data) : mime_transfer_decode(pf->encoding, d, len);
	{
		char *item = binary_item(pf->section);

		cache_part_put(t, t->viewer.folder, pf->uid, item, bytes);
		g_free(item);
	}
	tui_info(t, _("Fetched part %s."), pf->section);
	pf->fn(t, a, bytes, pf->arg);
	g_bytes_unref(bytes);
out:
	tui_op_free(op);
}

static void
fetch_part(struct tui *t, struct part_fetch *pf)
{
	const char *sections[] = { pf->section, NULL };

	imap_client_fetch_parts(t->client, pf->uid, pf->binary ? IMAP_PARTS_BINARY : 0, sections,
				part_fetched, tui_op_new(t, pf, part_fetch_free));
}

/* fn(t, a, its decoded bytes, arg) now, or once fetched (arg: transfer full). */
static void
with_part(struct tui *t, const struct mime_attachment *a, part_fn *fn, char *arg)
{
	struct parts_view *p = t->parts;
	const struct mime_part_entry *e;
	struct part_fetch *pf;
	GBytes *bytes;
	char *item;

	if (p->msg != NULL) {
		bytes = mime_attachment_bytes(p->msg, a->index);
		if (bytes != NULL) {
			fn(t, a, bytes, arg);
			g_bytes_unref(bytes);
		}
		g_free(arg);
		return;
	}
	e = p->listed_entry->pdata[0];
	for (guint i = 0; i < p->listed->len; i++)
		if (p->listed->pdata[i] == a)
			e = p->listed_entry->pdata[i];
	item = binary_item(e->section);
	bytes = cache_part_get(t, t->viewer.folder, p->uid, item);
	g_free(item);
	if (bytes != NULL) {
		fn(t, a, bytes, arg);
		g_bytes_unref(bytes);
		g_free(arg);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY) {
		tui_error(t, _("This part is not in the cache, and the server cannot be reached."));
		g_free(arg);
		return;
	}
	if (p->fetch_seq != 0) {
		tui_error(t, _("A part is being fetched already (Esc cancels it)."));
		g_free(arg);
		return;
	}
	pf = g_new0(struct part_fetch, 1);
	pf->seq = p->fetch_seq = ++fetch_counter;
	pf->uid = p->uid;
	pf->index = a->index;
	pf->fn = fn;
	pf->arg = arg;
	pf->section = g_strdup(e->section);
	pf->encoding = g_strdup(e->encoding);
	/* An attached message is saved as it is; BINARY is for leaf parts. */
	pf->binary = !e->message && imap_client_has_cap(t->client, "BINARY");
	p->fetch_start = imap_client_received(t->client);
	p->fetch_size = e->size;
	p->timer = g_timeout_add(250, fetch_progress, t);
	fetch_progress(t);
	fetch_part(t, pf);
}

static void
cancel_fetch(struct tui *t)
{
	fetch_stop(t->parts);
	tui_info(t, _("Cancelled: the rest of the part is read and dropped."));
}

/* ---- keys and drawing ---------------------------------------------------------- */

static void
save_with(struct tui *t, const struct mime_attachment *a, GBytes *bytes, char *arg)
{
	toolbox_save_prompt(t, bytes, NULL, a->filename);
}

static void
pipe_with(struct tui *t, const struct mime_attachment *a, GBytes *bytes, char *command)
{
	toolbox_run_command(t, bytes, command, NULL);
}

static void
pipe_part_done(struct tui *t, const char *text, void *ud)
{
	const struct mime_attachment *a;

	if (text == NULL || *text == '\0' || !parts_shown(t) || (a = selected(t)) == NULL)
		return;
	with_part(t, a, pipe_with, g_strdup(text));
}

void
parts_key(struct tui *t, enum action a, const char *spec)
{
	const GPtrArray *atts = attachments(t);
	const struct mime_attachment *at = selected(t);

	if (t->parts->fetch_seq != 0 && (a == ACTION_CLEAR || a == ACTION_BACK))
		cancel_fetch(t);
	else if (a == ACTION_DOWN && t->parts->sel + 1 < atts->len)
		t->parts->sel++;
	else if (a == ACTION_UP && t->parts->sel > 0)
		t->parts->sel--;
	else if (a == ACTION_BACK || a == ACTION_CLEAR || strcmp(spec, "v") == 0)
		parts_close(t);
	else if (at != NULL && strcmp(spec, "s") == 0)
		with_part(t, at, save_with, NULL);
	else if (at != NULL && (strcmp(spec, "o") == 0 || a == ACTION_OPEN))
		with_part(t, at, open_part, NULL);
	else if (at != NULL && strcmp(spec, "|") == 0)
		prompt_start(t, PROMPT_TEXT, _("Pipe the part to: "), "", pipe_part_done, NULL,
			     NULL);
	else
		tui_info(t, _("s saves, o opens, | pipes the part; q goes back."));
	tui_dirty(t);
}

void
parts_draw(struct tui *t, const struct tui_rect *r)
{
	const GPtrArray *atts = attachments(t);

	draw_text(r->y, r->x + 1, r->w - 1,
		  _("Parts (j/k choose; s save, o open, | pipe, q back):"),
		  t->attrs[COLOR_HEADER_NAME]);
	for (guint i = 0; i < atts->len && (int)i + 2 < r->h; i++) {
		const struct mime_attachment *a = atts->pdata[i];
		char *size = g_format_size(a->size);
		char *line = g_strdup_printf("%*s%2u  %-24s %9s  %s", (int)MIN(a->depth, 6) * 2, "",
					     a->index, a->content_type, size, a->filename);
		attr_t attr = i == t->parts->sel ? t->attrs[COLOR_SELECTION] :
						   t->attrs[COLOR_ATTACHMENT];

		draw_text(r->y + 2 + (int)i, r->x + 1, r->w - 1, line, attr);
		g_free(line);
		g_free(size);
	}
}

static void
remove_private_dir(void)
{
	GDir *d;
	const char *name;

	if (private_dir == NULL)
		return;
	if ((d = g_dir_open(private_dir, 0, NULL)) != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(private_dir, name, NULL);

			g_unlink(p);
			g_free(p);
		}
		g_dir_close(d);
	}
	g_rmdir(private_dir);
	g_clear_pointer(&private_dir, g_free);
}

void
parts_free(struct tui *t)
{
	parts_close(t);
	remove_private_dir();
}

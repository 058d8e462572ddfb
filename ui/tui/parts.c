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
 * graphical ones start detached. The private files stay until tern exits. */
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
	GBytes *raw;
	struct mime_message *msg;
	guint sel;
};

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
	mime_message_free(&p->msg);
	g_bytes_unref(p->raw);
	g_clear_pointer(&t->parts, g_free);
	tui_dirty(t);
}

static void
parts_show(struct tui *t, GBytes *raw, char *arg)
{
	struct parts_view *p;

	parts_close(t);
	p = g_new0(struct parts_view, 1);
	p->uid = t->viewer.uid;
	p->raw = g_bytes_ref(raw);
	p->msg = mime_message_parse_bytes(p->raw);
	t->parts = p;
	if (mime_message_attachments(p->msg)->len == 0) {
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
	toolbox_with_message(t, parts_show, NULL);
}

static const struct mime_attachment *
selected(struct tui *t)
{
	const GPtrArray *atts = mime_message_attachments(t->parts->msg);

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
open_part(struct tui *t, const struct mime_attachment *a)
{
	GPtrArray *keep = NULL;
	struct mime_mailcap_entry *e = find_entry(a->content_type, &keep);
	GBytes *bytes;
	char *path, *cmd;
	bool graphical = g_getenv("DISPLAY") != NULL || g_getenv("WAYLAND_DISPLAY") != NULL;

	if (e == NULL) {
		tui_error(t, _("No mailcap entry for %s (~/.mailcap, /etc/mailcap): s saves it."),
			  a->content_type);
		return;
	}
	bytes = mime_attachment_bytes(t->parts->msg, a->index);
	path = bytes != NULL ? private_file(t, a, bytes) : NULL;
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
	if (bytes != NULL)
		g_bytes_unref(bytes);
	g_ptr_array_unref(keep);
}

/* ---- keys and drawing ---------------------------------------------------------- */

static void
pipe_part_done(struct tui *t, const char *text, void *ud)
{
	const struct mime_attachment *a;
	GBytes *bytes;

	if (text == NULL || *text == '\0' || !parts_shown(t) || (a = selected(t)) == NULL)
		return;
	bytes = mime_attachment_bytes(t->parts->msg, a->index);
	if (bytes != NULL) {
		toolbox_run_command(t, bytes, text, NULL);
		g_bytes_unref(bytes);
	}
}

void
parts_key(struct tui *t, enum action a, const char *spec)
{
	const GPtrArray *atts = mime_message_attachments(t->parts->msg);
	const struct mime_attachment *at = selected(t);
	GBytes *bytes;

	if (a == ACTION_DOWN && t->parts->sel + 1 < atts->len)
		t->parts->sel++;
	else if (a == ACTION_UP && t->parts->sel > 0)
		t->parts->sel--;
	else if (a == ACTION_BACK || a == ACTION_CLEAR || strcmp(spec, "v") == 0)
		parts_close(t);
	else if (at != NULL && strcmp(spec, "s") == 0 &&
		 (bytes = mime_attachment_bytes(t->parts->msg, at->index)) != NULL) {
		toolbox_save_prompt(t, bytes, NULL, at->filename);
		g_bytes_unref(bytes);
	} else if (at != NULL && (strcmp(spec, "o") == 0 || a == ACTION_OPEN))
		open_part(t, at);
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
	const GPtrArray *atts = mime_message_attachments(t->parts->msg);

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

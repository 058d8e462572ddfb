/* tern — ui/tui/toolbox: what the viewer does with the open message beyond
 * showing it (#14): | pipes it to a command (the output shown in the
 * viewer, the status on the status line), S saves it as an .eml file, b
 * opens one of its numbered links.
 *
 * A message of which only the start (TUI_VIEW_HEAD) or the parts shown
 * were fetched is fetched whole first, and the viewer keeps it. Commands run in the background (GSubprocess): the screen
 * stays usable; their callbacks check that the interface still waits for
 * them (toolbox_free() cancels them at exit). */
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

/* Output of a piped command kept for the viewer (bytes). */
#define TOOLBOX_OUTPUT_MAX (1024 * 1024)

/* Commands still running: GCancellable * (cancelled by toolbox_free()). */
static GPtrArray *running;

/* ---- the whole message, then a continuation ------------------------------------ */

struct whole {
	with_message_fn *fn;
	char *arg;
	guint32 uid;
};

static void
whole_free(gpointer p)
{
	struct whole *w = p;

	g_free(w->arg);
	g_free(w);
}

static void
whole_done(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data,
	   void *ud)
{
	struct tui_op *op = ud;
	struct whole *w = op->data;
	struct tui *t = op->t;

	if (tui_op_current(op) && t->viewer.uid == w->uid) {
		if (st == TERN_OK && data != NULL) {
			viewer_have_whole(t, w->uid, data);
			w->fn(t, data, w->arg);
		}
		else
			tui_error(t, _("Cannot fetch the message: %s"),
				  detail != NULL ? detail : "?");
	}
	tui_op_free(op);
}

/* fn(t, the whole message, arg) now when the viewer has it whole, else
 * once it is fetched (arg: transfer full). */
void
toolbox_with_message(struct tui *t, with_message_fn *fn, char *arg)
{
	bool cut = false;
	GBytes *raw = viewer_raw(t, &cut);
	struct whole *w;

	if (raw == NULL) {
		tui_error(t, _("No message is open."));
		g_free(arg);
		return;
	}
	if (!cut) {
		fn(t, raw, arg);
		g_free(arg);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY) {
		tui_error(t, _("Only the start of this message is here, and the server cannot "
			       "be reached."));
		g_free(arg);
		return;
	}
	w = g_new0(struct whole, 1);
	w->fn = fn;
	w->arg = arg;
	w->uid = t->viewer.uid;
	tui_notice(t, _("Fetching the whole message…"));
	imap_client_fetch_body(t->client, w->uid, "", false, whole_done,
			       tui_op_new(t, w, whole_free));
}

/* ---- | pipe ------------------------------------------------------------------- */

struct pipe_run {
	struct tui *t;
	GCancellable *cancel;
	char *command;
	char *title;
};

static void
pipe_run_free(struct pipe_run *r)
{
	g_ptr_array_remove(running, r->cancel);
	g_object_unref(r->cancel);
	g_free(r->command);
	g_free(r->title);
	g_free(r);
}

static void
pipe_finished(GObject *source, GAsyncResult *res, gpointer ud)
{
	struct pipe_run *r = ud;
	GSubprocess *p = G_SUBPROCESS(source);
	GBytes *out = NULL;
	GError *err = NULL;
	bool ok = g_subprocess_communicate_finish(p, res, &out, NULL, &err);
	struct tui *t = r->t;

	if (g_cancellable_is_cancelled(r->cancel))
		goto out; /* tern is closing: nobody waits for this */
	if (!ok && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)) {
		tui_error(t, _("Pipe to %s: %s"), r->command, err->message);
		goto out;
	}
	if (!ok)
		g_subprocess_wait(p, NULL, NULL);
	if (out != NULL && g_bytes_get_size(out) > 0) {
		gsize n;
		const char *d = g_bytes_get_data(out, &n);
		viewer_show_output(t, r->title, d, MIN(n, (gsize)TOOLBOX_OUTPUT_MAX));
	}
	if (g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0)
		tui_info(t, _("%s ran (status 0)."), r->command);
	else if (g_subprocess_get_if_exited(p))
		tui_error(t, _("%s exited with status %d."), r->command,
			  g_subprocess_get_exit_status(p));
	else
		tui_error(t, _("%s was killed by signal %d."), r->command,
			  g_subprocess_get_term_sig(p));
out:
	g_clear_error(&err);
	if (out != NULL)
		g_bytes_unref(out);
	pipe_run_free(r);
}

void
toolbox_run_command(struct tui *t, GBytes *input, const char *command, const char *title)
{
	const char *argv[] = { "/bin/sh", "-c", command, NULL };
	struct pipe_run *r;
	GError *err = NULL;
	GSubprocess *p;

	/* The user's own command line, run by the shell as mutt's | does. */
	p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					    G_SUBPROCESS_FLAGS_STDERR_MERGE, &err);
	if (p == NULL) {
		tui_error(t, _("Cannot run %s: %s"), command, err->message);
		g_error_free(err);
		return;
	}
	r = g_new0(struct pipe_run, 1);
	r->t = t;
	r->cancel = g_cancellable_new();
	r->command = g_strdup(command);
	r->title = title != NULL ? g_strdup(title) :
				   g_strdup_printf(_("Output of %s (q or Esc: back to the message)"),
						   command);
	if (running == NULL)
		running = g_ptr_array_new();
	g_ptr_array_add(running, r->cancel);
	tui_notice(t, _("Running %s…"), command);
	if (input == NULL) {
		GBytes *none = g_bytes_new(NULL, 0); /* never the terminal */

		g_subprocess_communicate_async(p, none, r->cancel, pipe_finished, r);
		g_bytes_unref(none);
	} else {
		g_subprocess_communicate_async(p, input, r->cancel, pipe_finished, r);
	}
	g_object_unref(p);
}

static void
pipe_with(struct tui *t, GBytes *raw, char *command)
{
	toolbox_run_command(t, raw, command, NULL);
}

static void
pipe_prompt_done(struct tui *t, const char *text, void *ud)
{
	if (text == NULL || *text == '\0')
		return;
	toolbox_with_message(t, pipe_with, g_strdup(text));
}

void
toolbox_pipe(struct tui *t)
{
	if (viewer_raw(t, NULL) == NULL) {
		tui_error(t, _("No message is open."));
		return;
	}
	prompt_start(t, PROMPT_TEXT, _("Pipe the message to: "), "", pipe_prompt_done, NULL,
		     NULL);
}

/* ---- S save as .eml ------------------------------------------------------------ */

/* "~/x" is under $HOME. Transfer full. */
static char *
expand_home(const char *path)
{
	if (g_str_has_prefix(path, "~/"))
		return g_build_filename(g_get_home_dir(), path + 2, NULL);
	return g_strdup(path);
}

static int
write_file(const char *path, GBytes *data, bool overwrite, GError **error)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
	int fd = g_open(path, flags, 0600);
	gsize len;
	const char *p = g_bytes_get_data(data, &len);

	if (fd < 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			g_unlink(path);
			errno = e;
			goto fail;
		}
		p += n;
		len -= (gsize)n;
	}
	if (close(fd) == 0)
		return 0;
fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s", g_strerror(errno));
	return -1;
}

struct save_req {
	GBytes *bytes;
	char *path;
};

static void
save_req_free(gpointer p)
{
	struct save_req *r = p;

	g_bytes_unref(r->bytes);
	g_free(r->path);
	g_free(r);
}

static void
save_write(struct tui *t, struct save_req *r, bool overwrite)
{
	GError *err = NULL;

	if (write_file(r->path, r->bytes, overwrite, &err) < 0) {
		tui_error(t, _("Cannot save %s: %s"), r->path, err->message);
		g_error_free(err);
		return;
	}
	tui_info(t, _("Saved %s."), r->path);
}

static void
save_confirm_done(struct tui *t, const char *text, void *ud)
{
	if (text == NULL) {
		tui_info(t, _("Not saved."));
		return;
	}
	save_write(t, ud, true);
}

static void
save_prompt_done(struct tui *t, const char *text, void *ud)
{
	struct save_req *r = ud, *again;
	char *q, *name;

	if (text == NULL || *text == '\0')
		return;
	g_free(r->path);
	r->path = expand_home(text);
	if (g_file_test(r->path, G_FILE_TEST_IS_DIR)) {
		tui_error(t, _("%s is a directory: give a file name."), r->path);
		return;
	}
	if (!g_file_test(r->path, G_FILE_TEST_EXISTS) &&
	    !g_file_test(r->path, G_FILE_TEST_IS_SYMLINK)) {
		save_write(t, r, false);
		return;
	}
	/* this prompt's ud is freed when it closes: the question gets a copy */
	again = g_new0(struct save_req, 1);
	again->bytes = g_bytes_ref(r->bytes);
	again->path = g_strdup(r->path);
	name = g_path_get_basename(r->path);
	q = g_strdup_printf(_("%s exists. Overwrite it? (y/n) "), name);
	prompt_start(t, PROMPT_CONFIRM, q, NULL, save_confirm_done, again, save_req_free);
	g_free(q);
	g_free(name);
}

void
toolbox_save_prompt(struct tui *t, GBytes *bytes, const char *dir_or_null, const char *name)
{
	struct save_req *r = g_new0(struct save_req, 1);
	const char *dir = dir_or_null != NULL ? dir_or_null :
			  t->cfg->ui.save_dir != NULL ? t->cfg->ui.save_dir : ".";
	char *d = expand_home(dir);
	char *path = g_build_filename(d, name, NULL);

	r->bytes = g_bytes_ref(bytes);
	prompt_start(t, PROMPT_TEXT, _("Save to: "), path, save_prompt_done, r, save_req_free);
	g_free(path);
	g_free(d);
}

/* A name from the subject, as a directory entry that is safe
 * (mime_attachment_safe_name). Transfer full. */
static char *
default_eml_name(struct tui *t)
{
	struct msg *m = message_list_get(t->list, t->viewer.uid);
	const char *subject = m != NULL ? message_list_subject(t->list, m) : NULL;
	char *decoded = subject != NULL ? mime_header_decode(subject) : g_strdup("");
	char *name = g_strdup_printf("%.80s.eml", *decoded ? decoded : "message");
	char *safe = mime_attachment_safe_name(name, 1);

	g_free(name);
	g_free(decoded);
	return safe;
}

static void
save_message_with(struct tui *t, GBytes *raw, char *arg)
{
	char *name = default_eml_name(t);

	toolbox_save_prompt(t, raw, NULL, name);
	g_free(name);
}

void
toolbox_save_message(struct tui *t)
{
	toolbox_with_message(t, save_message_with, NULL);
}

/* ---- b links ----------------------------------------------------------------- */

/* Only these are given to a browser: never javascript:, file: or data:. */
static bool
link_allowed(const char *url)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };

	for (size_t i = 0; i < TERN_ARRAY_LEN(schemes); i++)
		if (g_ascii_strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
			return true;
	return false;
}

static void
browser_exited(GObject *source, GAsyncResult *res, gpointer ud)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
}

static void
open_link(struct tui *t, guint n, const char *url)
{
	const char *cmd = t->cfg->ui.browser;
	char **words = NULL;
	GPtrArray *argv;
	GError *err = NULL;
	GSubprocess *p;
	int argc = 0;

	if (cmd == NULL || *cmd == '\0')
		cmd = g_getenv("BROWSER");
	if (cmd == NULL || *cmd == '\0')
		cmd = "xdg-open";
	if (!g_shell_parse_argv(cmd, &argc, &words, &err)) {
		tui_error(t, _("Cannot run the browser %s: %s"), cmd, err->message);
		g_error_free(err);
		return;
	}
	argv = g_ptr_array_new();
	for (int i = 0; i < argc; i++)
		g_ptr_array_add(argv, words[i]);
	g_ptr_array_add(argv, (gpointer)url);
	g_ptr_array_add(argv, NULL);
	/* No shell, the URL one word of its own; the browser's output would
	 * only scribble over the screen. */
	p = g_subprocess_newv((const char *const *)argv->pdata,
			      G_SUBPROCESS_FLAGS_STDIN_INHERIT | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err);
	if (p == NULL) {
		tui_error(t, _("Cannot run the browser %s: %s"), cmd, err->message);
		g_error_free(err);
	} else {
		tui_info(t, _("Opened link %u: %s"), n, url);
		g_subprocess_wait_async(p, NULL, browser_exited, NULL);
		g_object_unref(p);
	}
	g_ptr_array_unref(argv);
	g_strfreev(words);
}

/* ---- y: a link to the terminal's clipboard (OSC 52) ------------------------------ */

/* Longest link put on the clipboard (bytes before base64); terminals cap
 * the sequence (xterm at 100,000 bytes), and no real link is this long. */
#define TOOLBOX_OSC52_MAX 8192

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ESC ] 52 ; c ; base64 BEL, written straight to the terminal while curses
 * stays up: an OSC draws nothing and moves no cursor, so curses' picture
 * of the screen stays true. Not wrapped for tmux (its DCS passthrough
 * needs allow-passthrough): tmux with set-clipboard on takes the plain
 * sequence into its buffer and hands it to the outer terminal. The URL is
 * base64 inside: nothing of the message reaches the terminal raw. */
static void
copy_link(struct tui *t, guint n, const char *url)
{
	size_t len = strlen(url);
	char *b64, *seq;
	int rc;

	if (!t->cfg->ui.osc52) {
		tui_error(t, _("Copying a link needs osc52 = true in [ui] (it reaches the "
			       "clipboard of the machine your terminal runs on)."));
		return;
	}
	if (len > TOOLBOX_OSC52_MAX) {
		tui_error(t, _("Link %u is too long to copy."), n);
		return;
	}
	b64 = g_base64_encode((const guchar *)url, len);
	seq = g_strdup_printf("\033]52;c;%s\007", b64);
	fflush(stdout); /* after whatever curses wrote */
	rc = write_all(STDOUT_FILENO, seq, strlen(seq));
	g_free(seq);
	g_free(b64);
	if (rc < 0)
		tui_error(t, _("Cannot write to the terminal: %s"), g_strerror(errno));
	else
		tui_info(t, _("Copied link %u to the clipboard: %s"), n, url);
}

/* "3" opens link 3; "y3" or "3y" copies it. */
static void
links_prompt_done(struct tui *t, const char *text, void *ud)
{
	GPtrArray *links = t->viewer.links;
	char *word;
	guint64 n;
	bool ok, copy = false;
	size_t len;

	if (text == NULL || *text == '\0')
		return;
	word = g_strstrip(g_strdup(text));
	len = strlen(word);
	if (len > 0 && (word[0] == 'y' || word[len - 1] == 'y')) {
		copy = true;
		if (word[0] == 'y')
			memmove(word, word + 1, len);
		else
			word[len - 1] = '\0';
		g_strstrip(word);
	}
	if (copy && *word == '\0' && links != NULL && links->len == 1)
		n = 1, ok = true; /* "y" alone: the only link */
	else
		ok = links != NULL &&
		     g_ascii_string_to_unsigned(word, 10, 1, links->len, &n, NULL);
	g_free(word);
	if (!ok) {
		tui_error(t, _("No link %s in this message."), text);
		return;
	}
	if (copy) {
		copy_link(t, (guint)n, links->pdata[n - 1]);
		return;
	}
	if (!link_allowed(links->pdata[n - 1])) {
		tui_error(t, _("Link %u is not opened: only http, https and mailto links are."),
			  (guint)n);
		return;
	}
	open_link(t, (guint)n, links->pdata[n - 1]);
}

void
toolbox_links(struct tui *t)
{
	GPtrArray *links = t->viewer.links;
	char *label;

	if (links == NULL || links->len == 0) {
		tui_error(t, _("This message has no numbered links."));
		return;
	}
	label = t->cfg->ui.osc52 ?
			g_strdup_printf(_("Open link (1-%u; y and its number copies it): "),
					links->len) :
			g_strdup_printf(_("Open link (1-%u): "), links->len);
	prompt_start(t, PROMPT_TEXT, label, links->len == 1 ? "1" : "", links_prompt_done, NULL,
		     NULL);
	g_free(label);
}

void
toolbox_free(struct tui *t)
{
	for (guint i = 0; running != NULL && i < running->len; i++)
		g_cancellable_cancel(running->pdata[i]);
}

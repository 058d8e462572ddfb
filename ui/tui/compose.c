/* tern — ui/tui/compose: answering mail in the interface, and the outbox.
 * This file owns the message being written (t->compose) and the outbox
 * run (t->outbox).
 *
 * r, R, f and M make a draft (mime/compose.c: recipients, identity,
 * quoting, signature), write it as a headers-on-top file under the cache
 * directory and run $VISUAL or $EDITOR on it with the screen suspended.
 * The file stays there until the message is in the outbox or the user
 * aborts: a message being written survives a dropped link or a killed
 * tern, and P resumes it. After the editor comes the review screen: the
 * headers and attachments as they will go out, and keys to edit again,
 * change one header, attach or drop a file, choose the From identity,
 * postpone, send or abort.
 *
 * Sending puts the built message in the cache's outbox and starts the
 * outbox run: each waiting message goes to the SMTP server in a worker
 * thread (libcurl blocks) with a store of its own, then its copy is
 * appended to Sent on the open connection and the row is removed. The
 * run starts after each folder list (the first comes right after
 * connecting), when the Sent folder is known. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "core/log.h"
#include "core/model/query.h"
#include "core/smtp/smtp.h"
#include "mime/mime.h"
#include "ui/send.h"
#include "ui/tui/tui-private.h"

/* Most bytes of a draft file read back from the editor. */
#define COMPOSE_MAX_FILE (16 * 1024 * 1024)

struct compose {
	char *path;               /* the draft file, mode 0600 */
	char *written;            /* what tern wrote there (did the user write?) */
	bool fresh;               /* a new message (M): unchanged after the editor = abort */
	struct mime_draft *d;     /* the file parsed, or NULL (error says why) */
	char *error;
	struct mime_identities *ids;
	guint from_index;         /* i: the identity chosen last */
	/* P with several kept: the choice first (path is NULL until made) */
	GPtrArray *pick;          /* char *: the kept files, newest first */
	GPtrArray *pick_labels;   /* char *: what the list shows of each */
	guint pick_at;
};

struct outbox_run {
	struct tui *t;
	const struct account *account;
	char *store_path;
	struct store_outbox_entry *e;
	enum smtp_result result;
	char *detail;
	gint64 after;             /* the last row worked on */
	bool again;               /* something was queued meanwhile */
	bool thread;              /* a worker thread has the entry */
	bool stopping;            /* the interface is closing: wait, start nothing */
};

static const char *drafts_folder(struct tui *t);
static struct drafts_run *drafts_run_start(struct tui *t, const char *folder, bool resume);

/* ---- the draft file ------------------------------------------------------------ */

static char *
drafts_dir(void)
{
	return g_build_filename(g_get_user_cache_dir(), "tern", "drafts", NULL);
}

/* The prefix of this account's draft files. Transfer full. */
static char *
draft_prefix(struct tui *t)
{
	char *safe = store_safe_name(t->account->name);
	char *p = g_strconcat(safe, "-", NULL);

	g_free(safe);
	return p;
}

/* Write text to a new file of its own (0600, in a 0700 directory). */
static char *
draft_create(struct tui *t, const char *text, GError **error)
{
	static guint seq;
	char *dir = drafts_dir(), *prefix = draft_prefix(t), *name, *path;
	int fd;

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    _("cannot create %s: %s"), dir, g_strerror(errno));
		g_free(dir);
		g_free(prefix);
		return NULL;
	}
	name = g_strdup_printf("%s%" G_GINT64_FORMAT "-%d-%u.txt", prefix,
			       g_get_real_time() / G_USEC_PER_SEC, (int)getpid(), ++seq);
	path = g_build_filename(dir, name, NULL);
	g_free(dir);
	g_free(prefix);
	g_free(name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    _("cannot write %s: %s"), path, g_strerror(errno));
		if (fd >= 0)
			unlink(path);
		g_free(path);
		return NULL;
	}
	return path;
}

static char *
draft_read(const char *path, GError **error)
{
	char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	if (len > COMPOSE_MAX_FILE || memchr(text, '\0', len) != NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    _("%s is too large or not text"), path);
		g_free(text);
		return NULL;
	}
	return text;
}

/* g_ptr_array_sort() hands pointers to the elements. */
static gint
newest_first(gconstpointer a, gconstpointer b)
{
	char *ka = g_utf8_collate_key_for_filename(*(char *const *)a, -1);
	char *kb = g_utf8_collate_key_for_filename(*(char *const *)b, -1);
	gint r = strcmp(kb, ka);

	g_free(ka);
	g_free(kb);
	return r;
}

/* The account's kept drafts, newest first (char * paths, transfer full). */
static GPtrArray *
drafts_kept(struct tui *t)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	char *dir = drafts_dir(), *prefix = draft_prefix(t);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_prefix(name, prefix) && g_str_has_suffix(name, ".txt"))
			g_ptr_array_add(out, g_build_filename(dir, name, NULL));
	if (d != NULL)
		g_dir_close(d);
	/* the names carry the time, the pid and a count: the greatest is the
	 * newest (compared as numbers: "-10" comes after "-9") */
	g_ptr_array_sort(out, newest_first);
	g_free(dir);
	g_free(prefix);
	return out;
}

/* ---- the composition ------------------------------------------------------------ */

static void
compose_free(struct compose **cp)
{
	struct compose *c = *cp;

	if (c == NULL)
		return;
	g_free(c->path);
	g_free(c->written);
	mime_draft_free(&c->d);
	g_free(c->error);
	mime_identities_free(&c->ids);
	if (c->pick != NULL)
		g_ptr_array_unref(c->pick);
	if (c->pick_labels != NULL)
		g_ptr_array_unref(c->pick_labels);
	g_free(c);
	*cp = NULL;
}

/* The files tern itself put beside the draft to attach (compose_attach_dir():
 * the originals of ; f, the attachments of edit as new) go with it. */
static void
remove_own_attachments(struct compose *c)
{
	char *dir = drafts_dir();

	for (guint i = 0; c->d != NULL && i < c->d->attach->len; i++) {
		const char *path = c->d->attach->pdata[i];
		char *parent = g_path_get_dirname(path), *top = g_path_get_dirname(parent);

		if (strcmp(top, dir) == 0 && strstr(parent, "-att-") != NULL) {
			unlink(path);
			g_rmdir(parent); /* once empty */
		}
		g_free(parent);
		g_free(top);
	}
	g_free(dir);
}

/* Close the review; the file goes too unless keep. */
static void
compose_end(struct tui *t, bool keep)
{
	if (t->compose != NULL && !keep && t->compose->path != NULL) {
		remove_own_attachments(t->compose);
		unlink(t->compose->path);
	}
	compose_free(&t->compose);
	tui_relayout(t);
}

char *
compose_attach_dir(struct tui *t)
{
	static guint seq;
	char *dir = drafts_dir(), *prefix = draft_prefix(t), *name, *path;

	name = g_strdup_printf("%satt-%" G_GINT64_FORMAT "-%d-%u", prefix,
			       g_get_real_time() / G_USEC_PER_SEC, (int)getpid(), ++seq);
	path = g_build_filename(dir, name, NULL);
	g_free(dir);
	g_free(prefix);
	g_free(name);
	if (g_mkdir_with_parents(path, 0700) < 0) {
		tui_error(t, _("cannot create %s: %s"), path, g_strerror(errno));
		g_free(path);
		return NULL;
	}
	return path;
}

/* Run the editor on the file, the screen given back meanwhile. */
static bool
run_editor(struct tui *t, const char *path)
{
	const char *ed = g_getenv("VISUAL");
	char **words = NULL;
	GPtrArray *argv;
	GError *err = NULL;
	int argc = 0, status = 0;
	bool ok;

	if (ed == NULL || *ed == '\0')
		ed = g_getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	if (!g_shell_parse_argv(ed, &argc, &words, &err)) {
		tui_error(t, _("Cannot run the editor %s: %s"), ed, err->message);
		g_error_free(err);
		return false;
	}
	argv = g_ptr_array_new();
	for (int i = 0; i < argc; i++)
		g_ptr_array_add(argv, words[i]);
	g_ptr_array_add(argv, (gpointer)path);
	g_ptr_array_add(argv, NULL);
	def_prog_mode();
	endwin();
	ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
			  &status, &err);
	reset_prog_mode();
	clearok(curscr, TRUE);
	tui_relayout(t);
	g_ptr_array_unref(argv);
	g_strfreev(words);
	if (!ok) {
		tui_error(t, _("Cannot run the editor %s: %s"), ed, err->message);
		g_error_free(err);
		return false;
	}
	if (!g_spawn_check_wait_status(status, NULL))
		tui_error(t, _("The editor ended with an error; the message is kept for review."));
	return true;
}

/* Read the file back into the review (an error is shown there). */
static void
review_load(struct tui *t)
{
	struct compose *c = t->compose;
	GError *err = NULL;
	char *text = draft_read(c->path, &err);

	mime_draft_free(&c->d);
	g_clear_pointer(&c->error, g_free);
	if (text == NULL || mime_draft_parse(text, strlen(text), &c->d, &err) < 0) {
		c->error = g_strdup(err != NULL ? err->message : _("cannot read the message"));
		g_clear_error(&err);
	}
	g_free(text);
	tui_dirty(t);
}

/* The editor, then the review. */
static void
edit(struct tui *t)
{
	struct compose *c = t->compose;
	char *now;

	if (!run_editor(t, c->path))
		return;
	now = draft_read(c->path, NULL);
	if (c->fresh && now != NULL && g_strcmp0(now, c->written) == 0) {
		g_free(now);
		compose_end(t, false);
		tui_info(t, _("Nothing written: the message is dropped."));
		return;
	}
	g_free(now);
	review_load(t);
}

/* Start writing d (transfer full) in a file of its own; encrypt: it
 * answers an encrypted message (pgp_encrypt_replies). A choice d already
 * carries (X-Tern-Crypt) stays; else the account's defaults go into the
 * file, so the review screen shows them. */
static void
compose_start(struct tui *t, struct mime_draft *d, bool fresh, bool encrypt)
{
	struct compose *c;
	struct mime_protect p;
	char *warning = NULL, *sig = send_signature(t->account, &warning);
	GError *err = NULL;

	if (warning != NULL)
		tui_error(t, "%s", warning);
	mime_draft_add_signature(d, sig);
	g_free(warning);
	g_free(sig);
	c = g_new0(struct compose, 1);
	c->ids = send_identities(t->account);
	c->fresh = fresh;
	send_protect_defaults(t->account, encrypt, &p);
	if (d->crypt == NULL && (p.sign || p.encrypt || p.opportunistic))
		d->crypt = g_strdup(mime_crypt_name(&p));
	c->written = mime_draft_format(d);
	mime_draft_free(&d);
	c->path = draft_create(t, c->written, &err);
	if (c->path == NULL) {
		tui_error(t, _("Cannot write the message: %s"), err->message);
		g_error_free(err);
		compose_free(&c);
		return;
	}
	t->compose = c;
	edit(t);
}

void
compose_begin(struct tui *t, struct mime_draft *d, bool fresh)
{
	compose_start(t, d, fresh, false);
}

/* ---- r, R, f, M, P -------------------------------------------------------------- */

struct answer {
	enum action a;
	guint32 uid;
};

/* The viewer's decrypted parse of message uid when it shows it (its render
 * decrypted it off the UI thread), so a reply quotes the text the user
 * read; NULL otherwise: the encrypted original quotes nothing. Given back
 * with viewer_return_unwrapped(). */
static struct mime_message *
decrypted_original(struct tui *t, guint32 uid)
{
	bool busy;

	if (t->viewer.uid != uid || g_strcmp0(t->viewer.folder, t->folder) != 0)
		return NULL;
	return viewer_take_unwrapped(t, &busy);
}

/* The answer to raw (msg: its parse; encrypted: a reply to an encrypted
 * message); plain (transfer none, may be NULL): raw decrypted, quoted
 * instead of it. */
static void
answer_build(struct tui *t, const struct answer *an, GBytes *raw, struct mime_message *msg,
	     struct mime_message *plain, bool encrypted)
{
	struct mime_identities *ids = send_identities(t->account);
	struct mime_draft *d;

	if (an->a == ACTION_FORWARD)
		d = mime_draft_forward(msg, raw, false, ids);
	else
		d = mime_draft_reply(plain != NULL ? plain : msg,
				     an->a == ACTION_REPLY_ALL	? MIME_REPLY_ALL :
				     an->a == ACTION_REPLY_LIST ? MIME_REPLY_LIST :
								  MIME_REPLY_SENDER,
				     ids);
	if (t->info.uidvalidity != 0)
		d->original = send_original_format(an->a == ACTION_FORWARD, t->info.uidvalidity,
						   an->uid, t->folder);
	mime_identities_free(&ids);
	compose_start(t, d, false, encrypted);
}

/* ---- decrypting an original the viewer does not show, for the quote ---- */

/* The viewer's render is not there to decrypt it: a thread does, as the
 * viewer's does, and the answer starts when it is done. The interface lets
 * go after gpg_timeout (a gpg-agent that never answers). Nothing decrypted
 * is written anywhere. One job at a time (t->quote). */
struct quote_job {
	struct tui *t;        /* NULL once the interface let go (t->quote no longer j) */
	GPtrArray *raws;      /* GBytes *: the originals */
	GPtrArray *msgs;      /* struct mime_message *: the thread's parses, decrypted */
	quote_ready_fn *ready;
	void *ud;
	GDestroyNotify ud_free;
	guint timer;
	bool leaving;         /* the interface is going: no answer to start */
};

static void
message_free_one(gpointer p)
{
	struct mime_message *m = p;

	mime_message_free(&m);
}

static void
quote_job_free(gpointer p)
{
	struct quote_job *j = p;

	g_ptr_array_unref(j->raws);
	g_ptr_array_unref(j->msgs);
	if (j->ud_free != NULL)
		j->ud_free(j->ud);
	g_free(j);
}

static void
quote_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	struct quote_job *j = data;

	for (guint i = 0; i < j->raws->len; i++) {
		struct mime_message *m = mime_message_parse_bytes(j->raws->pdata[i]);

		/* may wait for gpg-agent: this is why it runs here */
		if (mime_message_is_encrypted(m))
			mime_message_process_crypto(m);
		g_ptr_array_add(j->msgs, m);
	}
	g_task_return_boolean(task, TRUE);
}

/* The interface forgets j (its thread may still run). */
static void
quote_let_go(struct tui *t, struct quote_job *j)
{
	g_clear_handle_id(&j->timer, g_source_remove);
	j->t = NULL;
	t->quote = NULL;
}

static void
quote_done(GObject *source, GAsyncResult *res, gpointer ud)
{
	struct quote_job *j = g_task_get_task_data(G_TASK(res));
	struct tui *t = j->t;

	if (t == NULL)
		return; /* too late, or the interface is going */
	quote_let_go(t, j);
	if (j->leaving)
		return;
	if (t->compose != NULL) {
		tui_error(t, _("Another message is being written: the answer is not started."));
		return;
	}
	j->ready(t, j->raws, j->msgs, j->ud);
	tui_dirty(t);
}

static gboolean
quote_late(gpointer ud)
{
	struct quote_job *j = ud;
	struct tui *t = j->t;

	j->timer = 0;
	quote_let_go(t, j);
	tui_error(t, _("Cannot decrypt the message to quote it: gpg-agent did not answer in "
		       "%u seconds"), t->cfg->ui.gpg_timeout);
	tui_dirty(t);
	return G_SOURCE_REMOVE;
}

void
compose_decrypt_originals(struct tui *t, GPtrArray *raws, quote_ready_fn *ready, void *ud,
			  GDestroyNotify ud_free)
{
	struct quote_job *j;
	GTask *task;

	if (t->quote != NULL) {
		tui_error(t, _("Still decrypting a message to answer."));
		if (ud_free != NULL)
			ud_free(ud);
		return;
	}
	j = g_new0(struct quote_job, 1);
	j->t = t;
	j->raws = g_ptr_array_ref(raws);
	j->msgs = g_ptr_array_new_with_free_func(message_free_one);
	j->ready = ready;
	j->ud = ud;
	j->ud_free = ud_free;
	t->quote = j;
	j->timer = g_timeout_add_seconds(t->cfg->ui.gpg_timeout, quote_late, j);
	tui_info(t, _("Decrypting the message to answer…"));
	task = g_task_new(NULL, NULL, quote_done, NULL);
	g_task_set_task_data(task, j, quote_job_free);
	g_task_run_in_thread(task, quote_thread);
	g_object_unref(task);
}

/* One original decrypted for r, R, L. */
static void
one_decrypted(struct tui *t, GPtrArray *raws, GPtrArray *msgs, void *ud)
{
	struct mime_message *m = msgs->pdata[0];

	answer_build(t, ud, raws->pdata[0], m, m, true);
}

/* The interface is going: wait a little for a decryption under way (its
 * callback frees it), then let it go. */
static void
quote_wait(struct tui *t)
{
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	if (t->quote != NULL)
		t->quote->leaving = true;
	while (t->quote != NULL && g_get_monotonic_time() < until)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(20 * 1000);
	if (t->quote != NULL)
		quote_let_go(t, t->quote);
}

static void
answer_with(struct tui *t, const struct answer *an, GBytes *raw)
{
	struct mime_message *msg = mime_message_parse_bytes(raw);
	struct mime_message *plain = NULL;
	bool encrypted = an->a != ACTION_FORWARD && mime_message_is_encrypted(msg);

	if (an->a == ACTION_REPLY_LIST && !mime_message_has_list(msg)) {
		tui_error(t, _("Not a list message: neither List-Post nor Mail-Followup-To."));
		mime_message_free(&msg);
		return;
	}
	/* Decrypted text goes only into a reply that starts encrypted: the
	 * viewer's when it shows the message, else decrypted for it. */
	if (encrypted && t->account->pgp_encrypt_replies) {
		plain = decrypted_original(t, an->uid);
		if (plain == NULL) {
			GPtrArray *raws = g_ptr_array_new_with_free_func(
			    (GDestroyNotify)g_bytes_unref);

			g_ptr_array_add(raws, g_bytes_ref(raw));
			compose_decrypt_originals(t, raws, one_decrypted,
						  g_memdup2(an, sizeof *an), g_free);
			g_ptr_array_unref(raws);
			mime_message_free(&msg);
			return;
		}
	}
	answer_build(t, an, raw, msg, plain, encrypted);
	if (plain != NULL)
		viewer_return_unwrapped(t, an->uid, plain);
	mime_message_free(&msg);
}

static void
original_done(struct tui *t, GBytes *raw, const char *detail, void *ud)
{
	if (raw != NULL)
		answer_with(t, ud, raw);
	else
		tui_error(t, _("Cannot fetch the message to answer: %s"),
			  detail != NULL ? detail : "");
}

/* r, R, L, f: on the message the actions apply to; its text from the viewer,
 * the cache or the server. */
void
compose_answer(struct tui *t, enum action a)
{
	struct msg *m = tui_current(t);
	struct answer *an;
	GBytes *raw = NULL;

	if (t->compose != NULL)
		return;
	if (m == NULL) {
		tui_error(t, _("No message selected."));
		return;
	}
	an = g_new0(struct answer, 1);
	an->a = a;
	an->uid = m->uid;
	if (t->viewer.uid == m->uid && t->viewer.raw != NULL && t->viewer.cut_of == 0)
		raw = g_bytes_ref(t->viewer.raw);
	else
		raw = cache_body_get(t, t->folder, m->uid);
	if (raw != NULL) {
		answer_with(t, an, raw);
		g_bytes_unref(raw);
		g_free(an);
		return;
	}
	if (t->client == NULL || t->conn != CONN_READY || !t->selected) {
		tui_error(t, _("Offline, and the message is not in the cache: cannot answer it."));
		g_free(an);
		return;
	}
	tui_info(t, _("Fetching the message to answer…"));
	/* Its text is what a reply quotes and an inline forward carries: not
	 * the 20 MB of attachments of a big one. */
	viewer_fetch_shown(t, m->uid, m->sizeless ? G_MAXUINT32 : m->size, original_done, an,
			   g_free);
}

/* M */
void
compose_new(struct tui *t)
{
	struct mime_identities *ids;

	if (t->compose != NULL)
		return;
	ids = send_identities(t->account);
	compose_start(t, mime_draft_new(ids), true, false);
	mime_identities_free(&ids);
}

int
compose_mailto(struct tui *t, const char *url, bool start, char **error_r)
{
	struct mime_identities *ids = send_identities(t->account);
	struct mime_draft *d = NULL;
	GError *err = NULL;

	if (mime_draft_from_mailto(url, ids, &d, &err) < 0) {
		if (error_r != NULL)
			*error_r = g_strdup(err->message);
		g_error_free(err);
		mime_identities_free(&ids);
		return -1;
	}
	mime_identities_free(&ids);
	if (start && t->compose == NULL)
		compose_start(t, d, false, false); /* the URL asked for it: kept even unchanged */
	else
		mime_draft_free(&d);
	return 0;
}

/* Open the kept file path (transfer full) on the review screen. */
static void
resume_file(struct tui *t, struct compose *c, char *path)
{
	c->path = path;
	c->written = draft_read(c->path, NULL);
	t->compose = c;
	review_load(t);
}

/* One row of the picker: date, recipients, subject of a kept file. */
static char *
pick_label(const char *path)
{
	char *text = draft_read(path, NULL), *when = NULL, *out;
	struct mime_draft *d = NULL;
	GStatBuf st;

	if (g_stat(path, &st) == 0) {
		GDateTime *dt = g_date_time_new_from_unix_local(st.st_mtime);

		when = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : NULL;
		if (dt != NULL)
			g_date_time_unref(dt);
	}
	if (text == NULL || mime_draft_parse(text, strlen(text), &d, NULL) < 0)
		out = g_strdup_printf("%s  %s", when != NULL ? when : "?",
				      _("(cannot be read as a message: e edits it)"));
	else
		out = g_strdup_printf("%s  %-30.30s  %s", when != NULL ? when : "?",
				      d->to != NULL ? d->to : _("(no recipient)"),
				      d->subject != NULL ? d->subject : _("(no subject)"));
	mime_draft_free(&d);
	g_free(text);
	g_free(when);
	return out;
}

/* P with several kept: choose one (j/k, Enter; q leaves them all kept). */
static void
pick_start(struct tui *t, GPtrArray *kept)
{
	struct compose *c = g_new0(struct compose, 1);

	c->ids = send_identities(t->account);
	c->pick = g_ptr_array_ref(kept);
	c->pick_labels = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < kept->len; i++)
		g_ptr_array_add(c->pick_labels, pick_label(kept->pdata[i]));
	t->compose = c;
	tui_relayout(t);
}

static void
pick_key(struct tui *t, enum action a)
{
	struct compose *c = t->compose;

	switch (a) {
	case ACTION_DOWN:
		if (c->pick_at + 1 < c->pick->len)
			c->pick_at++;
		break;
	case ACTION_UP:
		if (c->pick_at > 0)
			c->pick_at--;
		break;
	case ACTION_OPEN: {
		char *path = g_strdup(c->pick->pdata[c->pick_at]);

		g_clear_pointer(&c->pick, g_ptr_array_unref);
		g_clear_pointer(&c->pick_labels, g_ptr_array_unref);
		resume_file(t, c, path);
		break;
	}
	case ACTION_ABORT:
	case ACTION_BACK:
	case ACTION_CLEAR:
		compose_end(t, true);
		break;
	default:
		tui_info(t, _("j and k choose, Enter resumes the message, q leaves them kept."));
		break;
	}
	tui_dirty(t);
}

static void
pick_draw(struct tui *t)
{
	struct compose *c = t->compose;

	draw_text(0, 0, COLS, _("Messages kept for later: Enter resumes one, q leaves them"),
		  t->attrs[COLOR_SUBJECT] | A_BOLD);
	for (guint i = 0; i < c->pick_labels->len && (int)i + 2 < LINES - 2; i++)
		draw_text((int)i + 2, 1, COLS - 2, c->pick_labels->pdata[i],
			  i == c->pick_at ? A_REVERSE : t->attrs[COLOR_HEADER_VALUE]);
}

/* P: the one draft kept for this account, or a choice when there are
 * several; with none here, the newest in the Drafts folder. */
void
compose_resume(struct tui *t)
{
	GPtrArray *kept;
	struct compose *c;

	if (t->compose != NULL)
		return;
	kept = drafts_kept(t);
	if (kept->len == 0) {
		const char *folder = t->client != NULL && t->conn == CONN_READY ?
					     drafts_folder(t) : NULL;

		g_ptr_array_unref(kept);
		if (folder == NULL) {
			tui_info(t, _("No message is waiting to be finished."));
			return;
		}
		/* nothing kept here: the newest in the Drafts folder */
		tui_info(t, _("Fetching the newest message in %s…"), folder);
		drafts_run_start(t, folder, true);
		return;
	}
	if (kept->len > 1) {
		pick_start(t, kept);
		g_ptr_array_unref(kept);
		return;
	}
	c = g_new0(struct compose, 1);
	c->ids = send_identities(t->account);
	resume_file(t, c, g_strdup(kept->pdata[0]));
	g_ptr_array_unref(kept);
}

void
compose_announce_kept(struct tui *t)
{
	GPtrArray *kept = drafts_kept(t);

	if (kept->len > 0)
		tui_info(t, ngettext("%u unfinished message is kept: P resumes it.",
				     "%u unfinished messages are kept: P lists them.",
				     kept->len),
			 kept->len);
	g_ptr_array_unref(kept);
}

/* ---- the Drafts folder ------------------------------------------------------------- */

/* Work in the Drafts folder on a connection of its own (the shared one
 * stays on the open folder). Removing a sent message's postponed copy:
 * SELECT, the UIDVALIDITY checked, UID STORE +\Deleted and UID EXPUNGE of
 * exactly that UID. Resuming (P with nothing kept here): EXAMINE, the
 * newest message not \Deleted, fetched and opened on the review screen. */
struct drafts_run {
	struct tui *t;
	struct imap_client *client;
	guint32 uidvalidity;
	GArray *uids;
	char *folder;
	bool resume;
};

static void resume_stored(struct tui *t, GBytes *raw, guint32 uidvalidity, guint32 uid,
			  const char *folder);

static gboolean
drafts_run_free_idle(gpointer p)
{
	struct drafts_run *r = p;

	imap_client_free(&r->client);
	g_array_unref(r->uids);
	g_free(r->folder);
	g_free(r);
	return G_SOURCE_REMOVE;
}

/* The last step (inside the client's callback: freed from the loop). */
static void
drafts_run_finish(struct drafts_run *r, enum tern_status st, const char *detail)
{
	g_ptr_array_remove(r->t->drafts_runs, r);
	if (st != TERN_OK && r->resume)
		tui_error(r->t, _("Cannot resume a message from %s: %s"), r->folder,
			  detail != NULL ? detail : _("no reason given"));
	else if (st != TERN_OK)
		tui_error(r->t, _("The sent message's draft stays in %s: %s"), r->folder,
			  detail != NULL ? detail : _("no reason given"));
	g_idle_add(drafts_run_free_idle, r);
}

static void
drafts_expunged(struct imap_client *c, enum tern_status st, const char *detail, void *p)
{
	(void)c;
	drafts_run_finish(p, st, detail);
}

static void
drafts_deleted(struct imap_client *c, enum tern_status st, const char *detail, void *p)
{
	struct drafts_run *r = p;

	if (st != TERN_OK) {
		drafts_run_finish(r, st, detail);
		return;
	}
	imap_client_expunge(c, r->uids, drafts_expunged, r);
}

static void
drafts_fetched(struct imap_client *c, enum tern_status st, const char *detail, GBytes *data,
	       void *p)
{
	struct drafts_run *r = p;

	(void)c;
	if (st == TERN_OK && data != NULL)
		resume_stored(r->t, data, r->uidvalidity, g_array_index(r->uids, guint32, 0),
			      r->folder);
	drafts_run_finish(r, st, detail);
}

static void
drafts_found(struct imap_client *c, enum tern_status st, const char *detail, GArray *uids,
	     void *p)
{
	struct drafts_run *r = p;
	guint32 newest = 0;

	if (st != TERN_OK) {
		drafts_run_finish(r, st, detail);
		return;
	}
	for (guint i = 0; uids != NULL && i < uids->len; i++)
		newest = MAX(newest, g_array_index(uids, guint32, i));
	if (newest == 0) {
		tui_info(r->t, _("No message is waiting to be finished."));
		drafts_run_finish(r, TERN_OK, NULL);
		return;
	}
	g_array_append_val(r->uids, newest);
	imap_client_fetch_body(c, newest, "", false, drafts_fetched, r);
}

static void
drafts_search(struct drafts_run *r)
{
	static struct query_token undeleted = { QUERY_TOK_ATOM, (char *)"UNDELETED" };
	GPtrArray *tokens = g_ptr_array_new();

	g_ptr_array_add(tokens, &undeleted);
	imap_client_search(r->client, tokens, false, drafts_found, r);
	g_ptr_array_unref(tokens);
}

static void
drafts_selected(struct imap_client *c, enum tern_status st, const char *detail,
		const struct imap_mailbox_info *info, void *p)
{
	static const char *const deleted[] = { "\\Deleted", NULL };
	struct drafts_run *r = p;

	if (st != TERN_OK) {
		drafts_run_finish(r, st, detail);
		return;
	}
	if (r->resume && info != NULL) {
		r->uidvalidity = info->uidvalidity;
		drafts_search(r);
		return;
	}
	if (info == NULL || info->uidvalidity != r->uidvalidity) {
		drafts_run_finish(r, TERN_ERR_FOLDER, _("its UIDVALIDITY changed"));
		return;
	}
	imap_client_store(c, r->uids, true, deleted, drafts_deleted, r);
}

static void
drafts_connected(struct imap_client *c, enum tern_status st, const char *detail, void *p)
{
	struct drafts_run *r = p;

	if (st != TERN_OK) {
		drafts_run_finish(r, st, detail);
		return;
	}
	imap_client_select(c, r->folder, r->resume, drafts_selected, r);
}

/* A run on folder, its connection under way (NULL without a secret). The
 * first callback comes from the loop, after the caller set the run up. */
static struct drafts_run *
drafts_run_start(struct tui *t, const char *folder, bool resume)
{
	static const struct imap_client_callbacks cb = { 0 };
	const char *secret = NULL;
	struct drafts_run *r;

	if (tui_secret_get(t, &secret) < 0)
		return NULL;
	r = g_new0(struct drafts_run, 1);
	r->t = t;
	r->resume = resume;
	r->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	r->folder = g_strdup(folder);
	r->client = imap_client_new(t->account, secret, &cb, r);
	if (t->drafts_runs == NULL)
		t->drafts_runs = g_ptr_array_new();
	g_ptr_array_add(t->drafts_runs, r);
	imap_client_connect(r->client, drafts_connected, r);
	return r;
}

/* Remove the copy a draft's X-Tern-Postponed names ("UIDVALIDITY UID FOLDER"). */
static void
drafts_remove(struct tui *t, const char *postponed)
{
	struct drafts_run *r;
	guint64 uidvalidity, uid;
	char *end;

	uidvalidity = g_ascii_strtoull(postponed, &end, 10);
	if (end == postponed || *end != ' ' || uidvalidity == 0 || uidvalidity > G_MAXUINT32)
		return;
	uid = g_ascii_strtoull(end + 1, &end, 10);
	if (*end != ' ' || uid == 0 || uid > G_MAXUINT32 || end[1] == '\0')
		return;
	r = drafts_run_start(t, end + 1, false);
	if (r != NULL) {
		r->uidvalidity = (guint32)uidvalidity;
		g_array_append_val(r->uids, (guint32){ (guint32)uid });
	}
}

/* The account's Drafts folder, or NULL. Transfer none. */
static const char *
drafts_folder(struct tui *t)
{
	if (t->account->drafts != NULL)
		return t->account->drafts;
	return t->client != NULL ? imap_client_role_folder(t->client, FOLDER_ROLE_DRAFTS) : NULL;
}

/* A message fetched from Drafts, on the review screen as a file of its own
 * that notes where it came from (sending it removes it there). */
static void
resume_stored(struct tui *t, GBytes *raw, guint32 uidvalidity, guint32 uid, const char *folder)
{
	struct mime_identities *ids;
	struct mime_message *msg;
	struct mime_draft *d;
	struct compose *c;
	GError *err = NULL;

	if (t->compose != NULL) {
		tui_info(t, _("A message is being written: P again once it is done."));
		return;
	}
	ids = send_identities(t->account);
	msg = mime_message_parse_bytes(raw);
	d = mime_draft_from_stored(msg, ids);
	mime_message_free(&msg);
	d->postponed = g_strdup_printf("%u %u %s", uidvalidity, uid, folder);
	c = g_new0(struct compose, 1);
	c->ids = ids;
	c->written = mime_draft_format(d);
	mime_draft_free(&d);
	c->path = draft_create(t, c->written, &err);
	if (c->path == NULL) {
		tui_error(t, _("Cannot write the message: %s"), err->message);
		g_error_free(err);
		compose_free(&c);
		return;
	}
	t->compose = c;
	review_load(t);
	tui_relayout(t);
}

/* A postponed copy on its way to Drafts: the file to note it in. */
struct postponing {
	char *path;
	char *folder;
};

static void
postponing_free(gpointer p)
{
	struct postponing *pp = p;

	g_free(pp->path);
	g_free(pp->folder);
	g_free(pp);
}

/* Note where the copy went in the draft file (if it is still kept), so
 * that sending it removes the copy; a copy noted before is removed now. */
static void
note_postponed(struct tui *t, struct postponing *pp, const struct imap_copy_result *res)
{
	struct mime_draft *d = NULL;
	char *text, *old = NULL;

	if (res == NULL || res->uidvalidity == 0 || res->dst_uids == NULL ||
	    res->dst_uids->len != 1) {
		tui_info(t, _("The message is kept, and in %s (without UIDPLUS tern cannot remove "
			      "it there once sent)."), pp->folder);
		return;
	}
	text = draft_read(pp->path, NULL);
	if (text == NULL || mime_draft_parse(text, strlen(text), &d, NULL) < 0 ||
	    (t->compose != NULL && g_strcmp0(t->compose->path, pp->path) == 0)) {
		g_free(text);
		mime_draft_free(&d);
		return; /* sent, dropped or being written again meanwhile */
	}
	old = d->postponed;
	d->postponed = g_strdup_printf("%u %u %s", res->uidvalidity,
				       g_array_index(res->dst_uids, guint32, 0), pp->folder);
	g_free(text);
	text = mime_draft_format(d);
	if (g_file_set_contents(pp->path, text, -1, NULL))
		chmod(pp->path, 0600);
	if (old != NULL)
		drafts_remove(t, old);
	tui_info(t, _("The message is kept, and in %s: P resumes it."), pp->folder);
	g_free(old);
	g_free(text);
	mime_draft_free(&d);
}

static void
postponed_done(struct imap_client *c, enum tern_status st, const char *detail,
	       const struct imap_copy_result *result, void *ud)
{
	struct tui_op *op = ud;
	struct tui *t = op->t;
	struct postponing *pp = op->data;

	(void)c;
	if (tui_op_current(op)) {
		if (st == TERN_OK)
			note_postponed(t, pp, result);
		else
			tui_error(t, _("The message is kept here, not in %s: %s"), pp->folder,
				  detail != NULL ? detail : "");
	}
	tui_op_free(op);
}

/* p: the message as it would go out (Bcc kept), \Draft, into the account's
 * Drafts folder when connected; the file stays as it is in any case. */
static void
postpone_to_drafts(struct tui *t)
{
	static const char *const flags[] = { "\\Draft", "\\Seen", NULL };
	struct compose *c = t->compose;
	const char *folder = NULL;
	struct mime_outgoing *o = NULL;
	struct postponing *pp;
	GByteArray *copy;
	GBytes *bytes;
	GError *err = NULL;
	gsize len;
	const guint8 *data;

	if (c->d == NULL || t->client == NULL || t->conn != CONN_READY)
		return;
	folder = drafts_folder(t);
	if (folder == NULL)
		return;
	if (mime_draft_build(c->d, c->ids, &o, &err) < 0) {
		tui_info(t, _("The message is kept here only: %s"), err->message);
		g_error_free(err);
		return;
	}
	copy = g_byte_array_new();
	if (o->bcc_field != NULL)
		g_byte_array_append(copy, (const guint8 *)o->bcc_field, (guint)strlen(o->bcc_field));
	data = g_bytes_get_data(o->data, &len);
	g_byte_array_append(copy, data, (guint)len);
	bytes = g_byte_array_free_to_bytes(copy);
	pp = g_new0(struct postponing, 1);
	pp->path = g_strdup(c->path);
	pp->folder = g_strdup(folder);
	live_expect(t, folder, 1); /* the user's own draft: no new mail */
	/* The connection's: the copy is noted in the draft file even when
	 * another folder is opened before the APPEND is answered. */
	imap_client_append(t->client, folder, flags, bytes, postponed_done,
			   tui_op_new_conn(t, pp, postponing_free));
	g_bytes_unref(bytes);
	mime_outgoing_free(&o);
}

/* ---- the review screen ------------------------------------------------------------ */

bool
compose_reviewing(struct tui *t)
{
	return t->compose != NULL;
}

/* The draft as the file holds it now, after a change made here. */
static void
review_save(struct tui *t)
{
	struct compose *c = t->compose;
	char *text = mime_draft_format(c->d);
	GError *err = NULL;

	if (!g_file_set_contents_full(c->path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &err)) {
		tui_error(t, _("Cannot write the message: %s"), err->message);
		g_error_free(err);
	}
	g_free(text);
	tui_dirty(t);
}

enum header_field { FIELD_TO, FIELD_CC, FIELD_BCC, FIELD_SUBJECT };

static char **
field_of(struct mime_draft *d, enum header_field f)
{
	switch (f) {
	case FIELD_TO: return &d->to;
	case FIELD_CC: return &d->cc;
	case FIELD_BCC: return &d->bcc;
	default: return &d->subject;
	}
}

static void
header_done(struct tui *t, const char *text, void *ud)
{
	struct compose *c = t->compose;
	char **field;
	char *saved, *formatted;
	struct mime_draft *check = NULL;
	GError *err = NULL;

	if (text == NULL || c == NULL || c->d == NULL)
		return;
	field = field_of(c->d, GPOINTER_TO_INT(ud));
	saved = *field;
	*field = *text != '\0' ? g_strdup(text) : NULL;
	/* checked the way the file is: a bad address is refused here */
	formatted = mime_draft_format(c->d);
	if (mime_draft_parse(formatted, strlen(formatted), &check, &err) < 0) {
		tui_error(t, "%s", err->message);
		g_error_free(err);
		g_free(*field);
		*field = saved;
	} else {
		g_free(saved);
		review_save(t);
	}
	mime_draft_free(&check);
	g_free(formatted);
}

static void
edit_header(struct tui *t, enum header_field f)
{
	static const char *const labels[] = { N_("To: "), N_("Cc: "), N_("Bcc: "),
					      N_("Subject: ") };
	const char *now;

	if (t->compose->d == NULL) {
		tui_error(t, _("Fix the message first (e edits it)."));
		return;
	}
	now = *field_of(t->compose->d, f);
	if (f != FIELD_SUBJECT)
		complete_prepare(t);
	prompt_start(t, f == FIELD_SUBJECT ? PROMPT_TEXT : PROMPT_ADDRESS, _(labels[f]),
		     now != NULL ? now : "", header_done,
		     GINT_TO_POINTER(f), NULL);
}

static void
attach_done(struct tui *t, const char *text, void *ud)
{
	struct compose *c = t->compose;
	char *path;
	GStatBuf st;

	(void)ud;
	if (text == NULL || *text == '\0' || c == NULL || c->d == NULL)
		return;
	path = g_str_has_prefix(text, "~/") ? g_build_filename(g_get_home_dir(), text + 2, NULL) :
					      g_strdup(text);
	if (g_lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		tui_error(t, _("Not attached: %s is not a file."), path);
		g_free(path);
		return;
	}
	g_ptr_array_add(c->d->attach, path);
	review_save(t);
}

static void
abort_done(struct tui *t, const char *answer, void *ud)
{
	(void)ud;
	if (answer == NULL)
		return;
	compose_end(t, false);
	tui_info(t, _("Message dropped."));
}

static void
abort_compose(struct tui *t)
{
	struct compose *c = t->compose;
	char *now = draft_read(c->path, NULL);
	bool written = now == NULL || g_strcmp0(now, c->written) != 0;

	g_free(now);
	if (!written) {
		compose_end(t, false);
		tui_info(t, _("Message dropped."));
		return;
	}
	prompt_start(t, PROMPT_CONFIRM, _("Drop this message (what you wrote is lost)? [y/N] "),
		     "", abort_done, NULL, NULL);
}

/* i: the next of the account's identities as From. */
static void
next_identity(struct tui *t)
{
	struct compose *c = t->compose;
	GPtrArray *all = mime_identities_list(c->ids);

	if (c->d == NULL || all->len < 2) {
		tui_info(t, _("The account has one identity (add alternates to have more)."));
		g_ptr_array_unref(all);
		return;
	}
	c->from_index = (c->from_index + 1) % all->len;
	g_free(c->d->from);
	c->d->from = g_strdup(all->pdata[c->from_index]);
	g_ptr_array_unref(all);
	review_save(t);
}

static void outbox_start(struct tui *t);

/* ---- signing and encrypting (S, E) ---- */

/* One mime_outgoing_protect() in a thread of its own, so that an agent
 * that never answers cannot hang the interface. Shared by the thread and
 * the waiter: the last one to let go frees it. */
struct protect_job {
	GMutex lock;
	GCond cond;
	int refs;
	bool done;
	struct mime_outgoing *o;
	struct mime_protect p;
	char *key;
	char *smime_key;
	GError *err;
	int rc;
};

static void
protect_job_unref(struct protect_job *j)
{
	bool last;

	g_mutex_lock(&j->lock);
	last = --j->refs == 0;
	g_mutex_unlock(&j->lock);
	if (!last)
		return;
	mime_outgoing_free(&j->o);
	g_clear_error(&j->err);
	g_free(j->key);
	g_free(j->smime_key);
	g_mutex_clear(&j->lock);
	g_cond_clear(&j->cond);
	g_free(j);
}

static gpointer
protect_thread(gpointer data)
{
	struct protect_job *j = data;
	int rc = mime_outgoing_protect(j->o, &j->p, &j->err);

	g_mutex_lock(&j->lock);
	j->rc = rc;
	j->done = true;
	g_cond_signal(&j->cond);
	g_mutex_unlock(&j->lock);
	protect_job_unref(j);
	return NULL;
}

/* Wait for j at most timeout seconds (gpg_timeout: gpg-agent, and the
 * pinentry it shows for the signing key's passphrase); true when it
 * finished in time (then *o_r is its message). */
static bool
protect_wait(struct protect_job *j, guint timeout, struct mime_outgoing **o_r, GError **error)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout * G_TIME_SPAN_SECOND;
	bool done;

	g_mutex_lock(&j->lock);
	while (!j->done && g_cond_wait_until(&j->cond, &j->lock, end))
		;
	done = j->done;
	if (done && j->rc == 0)
		*o_r = g_steal_pointer(&j->o);
	else if (done)
		g_propagate_error(error, g_steal_pointer(&j->err));
	g_mutex_unlock(&j->lock);
	if (!done)
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_CRYPTO,
			    _("not sent: gpg-agent did not answer in %u seconds (the message is "
			      "kept here)"), timeout);
	return done;
}

/* What S and E chose: the draft's X-Tern-Crypt (the file carries it
 * through the editor and p), else the account's default. */
static void
compose_crypt(struct tui *t, struct mime_protect *p_r)
{
	const char *crypt = t->compose->d != NULL ? t->compose->d->crypt : NULL;

	send_protect_choice(t->account, crypt, false, p_r);
}

/* Sign and/or encrypt *o_r (replaced by the result; NULL on failure) as the
 * review screen says. Signing may need the key's passphrase: the screen is
 * given to gpg-agent's pinentry meanwhile, as to the editor. */
static int
protect(struct tui *t, struct mime_outgoing **o_r, GError **error)
{
	struct protect_job *j;
	struct mime_protect p;
	GThread *th;
	bool sign;

	compose_crypt(t, &p);
	sign = p.sign;
	if (!p.sign && !p.encrypt && !p.opportunistic)
		return 0;
	j = g_new0(struct protect_job, 1);
	g_mutex_init(&j->lock);
	g_cond_init(&j->cond);
	j->refs = 2;
	j->o = g_steal_pointer(o_r);
	j->key = g_strdup(t->account->pgp_key);
	j->p = p;
	j->p.key = j->key;
	j->smime_key = g_strdup(p.smime_key); /* the thread may outlive the account */
	j->p.smime_key = j->smime_key;
	if (sign) {
		def_prog_mode();
		endwin();
		printf("%s\n", _("tern: signing the message (gpg-agent may ask for the key's "
				  "passphrase)…"));
		fflush(stdout);
	}
	th = g_thread_new("tern-protect", protect_thread, j);
	g_thread_unref(th); /* the job, not the thread, is waited for */
	protect_wait(j, t->cfg->ui.gpg_timeout, o_r, error);
	if (sign) {
		reset_prog_mode();
		clearok(curscr, TRUE);
		tui_relayout(t);
	}
	protect_job_unref(j);
	return *o_r != NULL ? 0 : -1;
}

/* S, E: the choice goes into the draft's file. */
static void
toggle_protect(struct tui *t, bool toggle_encrypt)
{
	struct compose *c = t->compose;
	struct mime_protect p;

	if (c->d == NULL)
		return;
	compose_crypt(t, &p);
	if (toggle_encrypt) {
		/* from "if every key is there", E means: encrypt, or refuse */
		p.encrypt = p.opportunistic || !p.encrypt;
		p.opportunistic = false;
		tui_info(t, p.encrypt ? _("The message will be encrypted (to every recipient and "
					  "to you).") : _("The message will be sent in clear."));
	} else {
		p.sign = !p.sign;
		tui_info(t, p.sign ? _("The message will be signed.") :
				     _("The message will not be signed."));
	}
	g_free(c->d->crypt);
	c->d->crypt = g_strdup(mime_crypt_name(&p));
	review_save(t);
}

/* y: into the outbox, and the outbox run sends it. */
static void
send_now(struct tui *t)
{
	struct compose *c = t->compose;
	struct mime_outgoing *o = NULL;
	struct store_outbox_entry e;
	GError *err = NULL;

	if (c->d == NULL) {
		tui_error(t, _("The message cannot be sent as it is: %s (e edits it)"), c->error);
		return;
	}
	if (!smtp_configured(t->account)) {
		tui_error(t, _("Account %s has neither smtp_host nor sendmail_command: tern cannot "
			       "send (p keeps the message)."), t->account->name);
		return;
	}
	if (!cache_can_replay(t)) {
		tui_error(t, _("Sending needs the cache (the outbox is there); p keeps the "
			       "message."));
		return;
	}
	if (mime_draft_build(c->d, c->ids, &o, &err) < 0 || protect(t, &o, &err) < 0) {
		tui_error(t, "%s", err->message);
		g_error_free(err);
		mime_outgoing_free(&o);
		return;
	}
	send_entry_init(&e, t->account, o);
	if (store_outbox_add(t->store, &e, false, NULL, &err) < 0) {
		tui_error(t, _("Not sent: %s (p keeps the message)"), err->message);
		g_error_free(err);
	} else {
		if (c->d->postponed != NULL)
			drafts_remove(t, c->d->postponed); /* its copy in Drafts goes */
		compose_end(t, false); /* the outbox has it now */
		tui_info(t, _("Sending…"));
		outbox_start(t);
	}
	send_entry_clear(&e);
	mime_outgoing_free(&o);
}

void
compose_key(struct tui *t, enum action a)
{
	if (t->compose->pick != NULL) {
		pick_key(t, a);
		return;
	}
	switch (a) {
	case ACTION_SEND: send_now(t); break;
	case ACTION_EDIT: edit(t); break;
	case ACTION_EDIT_TO: edit_header(t, FIELD_TO); break;
	case ACTION_EDIT_CC: edit_header(t, FIELD_CC); break;
	case ACTION_EDIT_BCC: edit_header(t, FIELD_BCC); break;
	case ACTION_EDIT_SUBJECT: edit_header(t, FIELD_SUBJECT); break;
	case ACTION_ATTACH:
		prompt_start(t, PROMPT_PATH, _("Attach the file: "), "", attach_done, NULL, NULL);
		break;
	case ACTION_DETACH:
		if (t->compose->d != NULL && t->compose->d->attach->len > 0) {
			g_ptr_array_remove_index(t->compose->d->attach,
						 t->compose->d->attach->len - 1);
			review_save(t);
		}
		break;
	case ACTION_IDENTITY: next_identity(t); break;
	case ACTION_TOGGLE_SIGN: toggle_protect(t, false); break;
	case ACTION_TOGGLE_ENCRYPT: toggle_protect(t, true); break;
	case ACTION_POSTPONE:
		postpone_to_drafts(t);
		compose_end(t, true);
		tui_info(t, _("The message is kept: P resumes it."));
		break;
	case ACTION_ABORT: abort_compose(t); break;
	case ACTION_HELP: t->help = true; t->help_top = 0; break;
	case ACTION_REDRAW: clearok(curscr, TRUE); break;
	case ACTION_SUSPEND: tui_suspend(t); break;
	default:
		tui_info(t, _("y sends, e edits, p keeps it for later, q drops it (? lists the "
			      "keys)."));
		break;
	}
	tui_dirty(t);
}

static void
draw_field(struct tui *t, int y, const char *name, const char *value)
{
	int w = draw_text_at(y, 1, 10, name, t->attrs[COLOR_HEADER_NAME]);

	draw_text(y, 1 + w + 1, COLS - w - 3, value != NULL ? value : "",
		  t->attrs[COLOR_HEADER_VALUE]);
}

/* "Sign: yes  Encrypt: no": what S and E chose. */
static void
draw_protect(struct tui *t, int y)
{
	struct mime_protect p;
	char *text;

	compose_crypt(t, &p);
	text = g_strdup_printf(_("Sign: %s  Encrypt: %s%s"), p.sign ? _("yes") : _("no"),
			       p.encrypt	   ? _("yes") :
			       p.opportunistic ? _("if every recipient has a key") :
						 _("no"),
			       p.smime_key != NULL ? _("  (S/MIME)") : "");

	draw_text(y, 1, COLS - 2, text, t->attrs[COLOR_HEADER_NAME]);
	g_free(text);
}

void
compose_draw(struct tui *t)
{
	struct compose *c = t->compose;
	struct mime_draft *d = c->d;
	char **lines;
	int y = 2;

	if (c->pick != NULL) {
		pick_draw(t);
		return;
	}

	draw_text(0, 0, COLS, _("Review: y send, e edit, t/c/b/s To/Cc/Bcc/Subject, a attach, "
				"D drop the last attachment, i From, S sign, E encrypt, "
				"p keep for later, q drop"),
		  t->attrs[COLOR_SUBJECT] | A_BOLD);
	if (d == NULL) {
		draw_text(y, 1, COLS - 2, c->error, t->attrs[COLOR_ERROR]);
		return;
	}
	draw_field(t, y++, _("From:"), d->from != NULL ? d->from :
					mime_identities_default(c->ids));
	draw_field(t, y++, _("To:"), d->to);
	draw_field(t, y++, _("Cc:"), d->cc);
	draw_field(t, y++, _("Bcc:"), d->bcc);
	draw_field(t, y++, _("Subject:"), d->subject);
	draw_protect(t, y++);
	for (guint i = 0; i < d->attach->len && y < LINES - 4; i++) {
		char *label = g_strdup_printf(_("Attach %u:"), i + 1);

		draw_field(t, y++, label, d->attach->pdata[i]);
		g_free(label);
	}
	y++;
	lines = g_strsplit(d->body != NULL ? d->body : "", "\n", -1);
	for (guint i = 0; lines[i] != NULL && y < LINES - 2; i++)
		draw_text(y++, 1, COLS - 2, lines[i], t->attrs[COLOR_HEADER_VALUE]);
	g_strfreev(lines);
}

/* ---- the outbox run --------------------------------------------------------------- */

static void outbox_next(struct outbox_run *r);

static void
run_free(struct outbox_run *r)
{
	store_outbox_entry_free(&r->e);
	g_free(r->store_path);
	g_free(r->detail);
	g_free(r);
}

static void
outbox_stop(struct outbox_run *r)
{
	r->t->outbox = NULL;
	run_free(r);
}

static void
send_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
	struct outbox_run *r = data;
	struct store *s = NULL;
	char *warning = NULL;
	GError *err = NULL;

	(void)task;
	(void)src;
	(void)cancel;
	if (store_open(r->store_path, 0, &s, &warning, &err) < 0) {
		r->result = SMTP_RETRY;
		r->detail = g_strdup(err->message);
		g_error_free(err);
	} else {
		r->result = smtp_send_entry(s, r->account, r->e, &r->detail);
	}
	g_free(warning);
	store_free(&s);
}

/* The originals of e that are in the open folder's list. Transfer full. */
static GArray *
originals_here(struct tui *t, const struct store_outbox_entry *e)
{
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	char **w;

	if (e->orig_folder == NULL || g_strcmp0(e->orig_folder, t->folder) != 0 ||
	    e->orig_uidvalidity != t->info.uidvalidity)
		return uids;
	w = g_strsplit(e->orig_uids != NULL ? e->orig_uids : "", ",", -1);
	if (e->orig_uids == NULL)
		g_array_append_val(uids, e->orig_uid);
	for (guint i = 0; w[i] != NULL; i++) {
		guint64 u;
		guint32 uid;

		if (!g_ascii_string_to_unsigned(w[i], 10, 1, G_MAXUINT32, &u, NULL))
			continue;
		uid = (guint32)u;
		g_array_append_val(uids, uid);
	}
	g_strfreev(w);
	for (guint i = uids->len; i-- > 0;)
		if (message_list_get(t->list, g_array_index(uids, guint32, i)) == NULL)
			g_array_remove_index(uids, i);
	return uids;
}

static void
forwarded_stored(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	(void)c;
	(void)st;
	(void)detail;
	tui_op_free(ud); /* the journal has it too: replayed on the next connection */
}

/* The originals, if they are in the open folder: \Answered shows at once,
 * $Forwarded is stored at once (the journal entry that store_outbox_sent()
 * made would wait for the next connection). */
static void
mark_original(struct tui *t, const struct store_outbox_entry *e)
{
	static const char *const forwarded[] = { "$Forwarded", NULL };
	GArray *uids = originals_here(t, e);

	if (uids->len > 0 && g_strcmp0(e->orig_flag, "\\Answered") == 0)
		actions_change_flag(t, uids, IMAP_FLAG_ANSWERED, true);
	else if (uids->len > 0 && g_strcmp0(e->orig_flag, "$Forwarded") == 0 &&
		 t->client != NULL && t->conn == CONN_READY && t->selected)
		imap_client_store(t->client, uids, true, forwarded, forwarded_stored,
				  tui_op_new(t, NULL, NULL));
	g_array_unref(uids);
}

static void
say_result(struct tui *t, const struct store_outbox_entry *e, enum smtp_result r,
	   const char *detail)
{
	const char *what = e->subject != NULL ? e->subject : e->message_id;

	switch (r) {
	case SMTP_SENT:
		tui_info(t, _("Sent: %s"), what);
		break;
	case SMTP_REFUSED:
		tui_error(t, _("Refused, kept in the outbox as failed (tern outbox): %s (%s)"),
			  what, detail != NULL ? detail : "");
		break;
	case SMTP_MAYBE_SENT:
		tui_error(t, _("May have been sent, held in the outbox, not sent again unless "
			       "you say so (tern outbox): %s (%s)"),
			  what, detail != NULL ? detail : "");
		break;
	default:
		tui_error(t, _("Not sent, it waits in the outbox for the next connection: %s "
			       "(%s)"),
			  what, detail != NULL ? detail : "");
		break;
	}
}

static void
copy_done(struct imap_client *c, enum tern_status st, const char *detail,
	  const struct imap_copy_result *result, void *ud)
{
	struct outbox_run *r = ud;
	GError *err = NULL;

	(void)c;
	(void)result;
	if (st == TERN_OK || tern_status_answered(st)) {
		if (st != TERN_OK)
			tui_error(r->t, _("The copy of %s to Sent was refused: %s"), r->e->message_id,
				  detail != NULL ? detail : "");
		if (store_outbox_remove(r->t->store, r->e->message_id, &err) < 0)
			cache_failed(r->t, err);
	} else if (store_outbox_release(r->t->store, r->e->id, &err) < 0) {
		cache_failed(r->t, err);
	}
	outbox_next(r);
}

/* The copy to Sent (Bcc kept, \Seen) on the open connection. */
static void
copy_to_sent(struct outbox_run *r)
{
	static const char *const flags[] = { "\\Seen", NULL };
	struct tui *t = r->t;
	const char *folder = r->e->sent_folder;
	GByteArray *copy;
	GBytes *bytes;
	gsize len;
	const guint8 *data;
	GError *err = NULL;

	if (folder == NULL && t->client != NULL)
		folder = imap_client_role_folder(t->client, FOLDER_ROLE_SENT);
	if (t->client == NULL || t->conn != CONN_READY || folder == NULL) {
		if (folder == NULL && t->client != NULL)
			tui_error(t, _("No Sent folder (set sent for the account): no copy of %s "
				       "kept."), r->e->message_id);
		if (store_outbox_release(t->store, r->e->id, &err) < 0)
			cache_failed(t, err);
		outbox_next(r);
		return;
	}
	copy = g_byte_array_new();
	if (r->e->bcc_field != NULL)
		g_byte_array_append(copy, (const guint8 *)r->e->bcc_field,
				    (guint)strlen(r->e->bcc_field));
	data = g_bytes_get_data(r->e->data, &len);
	g_byte_array_append(copy, data, (guint)len);
	bytes = g_byte_array_free_to_bytes(copy);
	live_expect(t, folder, 1); /* the user's own copy: no new mail in Sent */
	imap_client_append(t->client, folder, flags, bytes, copy_done, r);
	g_bytes_unref(bytes);
}

static void
send_done(GObject *src, GAsyncResult *res, gpointer ud)
{
	struct outbox_run *r = ud;
	struct tui *t = r->t;

	(void)src;
	(void)res;
	r->thread = false;
	if (r->stopping)
		return; /* compose_free_all() frees it */
	say_result(t, r->e, r->result, r->detail);
	g_clear_pointer(&r->detail, g_free);
	cache_outbox_changed(t);
	if (r->result == SMTP_SENT) {
		mark_original(t, r->e);
		if (r->e->copy_to_sent) {
			copy_to_sent(r);
			return;
		}
	}
	outbox_next(r);
}

static void
outbox_next(struct outbox_run *r)
{
	struct tui *t = r->t;
	struct store_outbox_entry *e = NULL;
	GError *err = NULL;
	GTask *task;
	int rc;

	store_outbox_entry_free(&r->e);
	if (!cache_can_replay(t)) {
		outbox_stop(r);
		return;
	}
	rc = store_outbox_claim(t->store, r->after, &e, &err);
	if (rc < 0)
		cache_failed(t, err);
	if (rc <= 0) {
		if (r->again) {
			r->again = false;
			r->after = 0;
			outbox_next(r);
			return;
		}
		cache_outbox_changed(t);
		outbox_stop(r);
		return;
	}
	r->after = e->id;
	r->e = e;
	if (e->state == STORE_OUTBOX_SENT) {
		copy_to_sent(r);
		return;
	}
	r->thread = true;
	task = g_task_new(NULL, NULL, send_done, r);
	g_task_set_task_data(task, r, NULL);
	g_task_run_in_thread(task, send_thread);
	g_object_unref(task);
}

/* Send what waits in the outbox (and the copies to Sent). */
static void
outbox_start(struct tui *t)
{
	struct outbox_run *r;

	if (t->outbox != NULL) {
		t->outbox->again = true;
		return;
	}
	if (!cache_can_replay(t) || !smtp_configured(t->account))
		return;
	r = g_new0(struct outbox_run, 1);
	r->t = t;
	r->account = t->account;
	r->store_path = g_strdup(store_path(t->store));
	t->outbox = r;
	outbox_next(r);
}

int
compose_queue(struct tui *t, const struct mime_outgoing *o, GError **error)
{
	struct store_outbox_entry e;
	int rc;

	if (!cache_can_replay(t)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    _("sending needs the cache (the outbox is there)"));
		return -1;
	}
	send_entry_init(&e, t->account, o);
	rc = store_outbox_add(t->store, &e, false, NULL, error);
	send_entry_clear(&e);
	return rc;
}

void
compose_send_queued(struct tui *t)
{
	cache_outbox_changed(t);
	outbox_start(t);
}

void
compose_connected(struct tui *t)
{
	outbox_start(t);
}

void
compose_free_all(struct tui *t)
{
	struct outbox_run *r = t->outbox;

	quote_wait(t);
	compose_free(&t->compose);
	complete_free(t);
	/* a draft's removal not finished: its client goes without calling back,
	 * the copy stays in Drafts */
	for (guint i = 0; t->drafts_runs != NULL && i < t->drafts_runs->len; i++)
		drafts_run_free_idle(t->drafts_runs->pdata[i]);
	g_clear_pointer(&t->drafts_runs, g_ptr_array_unref);
	if (r == NULL)
		return;
	/* After conn_stop(): no copy to Sent calls back any more. A message
	 * going out is let finish (it must not be cut after its data); the
	 * thread records its answer in its own store. */
	r->stopping = true;
	while (r->thread)
		g_main_context_iteration(NULL, TRUE);
	t->outbox = NULL;
	run_free(r);
}

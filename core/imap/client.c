/* tern — core/imap/client: net + session on the GLib main loop (client.h).
 *
 * Connection set-up is a small state machine (greeting, CAPABILITY,
 * STARTTLS, CAPABILITY again, authentication, ENABLE, COMPRESS); each
 * operation is a command (or a short chain of them) whose handlers collect
 * untagged data and finish with one callback. Callbacks to the caller are
 * never made from inside the call that queued them: an answer that does not
 * come from the server (arguments refused, nothing to send, a connection
 * that failed or fails while a command is queued) goes through one queue,
 * the "later" queue below, drained from one main-loop source; that is also
 * where the end of the connection is told. imap_client_free() drops that
 * queue and mutes every answer (client_may_answer()). */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/imap/client.h"
#include "core/imap/imap.h"
#include "core/imap/maildate.h"
#include "core/imap/session.h"
#include "core/log.h"
#include "core/model/query.h"
#include "core/net/net.h"

/* Summaries handed to the caller per batch. */
#define CLIENT_SUMMARY_BATCH 500
/* Bytes a summary batch's string chunk grows by (about a hundred summaries). */
#define CLIENT_SUMMARY_TEXT_CHUNK (64 * 1024)
/* Longest UID set in one command line (split beyond). */
#define CLIENT_UIDSET_MAX 4000
/* Most UIDs a SEARCH answer may expand to. */
#define CLIENT_SEARCH_MAX (16u * 1024 * 1024)
/* Most messages a folder may announce (EXISTS) before we call it hostile. */
#define CLIENT_EXISTS_MAX (64u * 1024 * 1024)
/* Most bytes of the greeting kept to name the server (imap_client_server_id()). */
#define CLIENT_GREETING_MAX 200
/* Most bytes of the capabilities in imap_client_server_id(). */
#define CLIENT_SERVER_ID_MAX 2048
/* Sequence numbers the map may hold beyond twice the UIDs it learned: the
 * room for a gap such as the next range of a folder loaded from the top. */
#define MSGMAP_SLACK (64u * 1024)
/* Slots that EXPUNGEs may move, per slot of the map, between two
 * compactions before they are only marked (struct msgmap). */
#define MSGMAP_MOVES_PER_SLOT 32

/* The selected folder's sequence-number-to-UID map: a window of
 * consecutive sequence numbers [base, base + len), 0 where the UID is not
 * known yet. It grows only as UIDs are learned (never for an EXISTS), and
 * its length stays within 2 * learned + MSGMAP_SLACK, so its memory
 * follows what the server sent, not what it announced. A UID that would
 * break the bound is not kept: an EXPUNGE of it then reports UID 0, which
 * callers already treat as "resync".
 *
 * A server without QRESYNC sends one EXPUNGE a message; removing each at
 * once (a memmove of the tail) made k of them from a map of N cost k * N
 * (10,000 from 1,000,000: 2 * 10^10 bytes). A lone EXPUNGE still moves the
 * tail, cheaper than anything else; once those moved MSGMAP_MOVES_PER_SLOT
 * times the map's length, the next ones only mark their slot gone: while
 * some are (live != NULL), the window's i-th sequence number is the i-th
 * live slot of uids, found in a Fenwick tree that counts the live slots
 * (O(log N)). Lookups and learning inside the window work on the marked
 * map as they are; what must move the slots (widening the window,
 * VANISHED) first drops the gone ones in one pass (msgmap_compact()), and
 * the count of moves starts again. A storm costs O(N + k log N); while the
 * marking lasts, the tree takes as much memory again as uids. */
struct msgmap {
	GArray *uids;   /* guint32 slots; NULL when no folder is selected */
	guint32 base;   /* sequence number of the first live slot */
	guint learned;  /* live slots with a UID */
	guint32 *live;  /* NULL, or a Fenwick tree over uids (1-based, uids->len + 1
			   entries) counting the slots not expunged */
	guint n_live;   /* slots not expunged, while live != NULL */
	guint64 moved;  /* slots EXPUNGEs moved since the folder was selected or
			   the map last compacted */
};

enum client_state {
	CLIENT_IDLE,      /* not connected yet */
	CLIENT_CONNECTING,
	CLIENT_GREETING,
	CLIENT_STARTTLS,  /* waiting for the handshake */
	CLIENT_SETUP,     /* CAPABILITY / AUTH / ENABLE / COMPRESS */
	CLIENT_READY,
	CLIENT_CLOSED,
	CLIENT_FREEING,   /* inside imap_client_free(): nothing is answered */
};

struct imap_client {
	const struct account *account;
	char *secret;
	struct imap_client_callbacks cb;
	void *ud;

	struct net_conn *conn;
	struct imap_session *session;
	enum client_state state;
	GHashTable *caps;      /* upper-case capability -> itself */
	bool preauth;
	bool utf8;
	bool pipeline; /* imap_client_set_pipeline() */
	bool qresync, condstore;
	enum imap_preview_mode preview; /* PREVIEW in summaries (imap_client_set_preview()) */
	enum imap_summary_form summary_auto; /* imap_client_set_summary_form() */
	guint summary_refused; /* 1 << form: the server said NO or BAD to that form */
	char *greeting;        /* the greeting's words without digits (imap_client_server_id()) */
	bool no_sizes;         /* summaries without RFC822.SIZE (imap_client_set_sizes()) */
	imap_done_fn *connect_done;
	void *connect_ud;
	bool closing;          /* closed on purpose (logout / free) */
	bool login_refused;    /* the server said NO to LOGIN / AUTHENTICATE */

	/* The selected folder. */
	char *selected;
	struct imap_mailbox_info info;
	struct msgmap map;     /* sequence number -> UID */

	GPtrArray *folders;    /* last LIST result, struct imap_folder * */
	bool idling;           /* IDLE requested */
	bool idle_sent;        /* IDLE in flight */
	bool idle_done_sent;
	guint idle_timer;      /* re-issues IDLE every 25 minutes */
	char *pending_ir;      /* SASL initial response waiting for "+" (no SASL-IR) */

	guint64 received;      /* bytes read from the server (after decompression):
				  the progress of a long answer */
	GQueue later;          /* struct later *, answered from the loop in order */
	enum tern_status lost_st; /* why the connection ended (CLIENT_CLOSED) */
	char *lost_detail;
	guint later_source;    /* the source draining it, 0 when none */
	GHashTable *free_hooks; /* id -> struct free_hook *: imap_client_add_free_hook() */
	guint free_hook_next;
};

struct free_hook {
	GDestroyNotify fn;
	void *ud;
};

static void client_send_idle(struct imap_client *c);
static void forget_ir(struct imap_client *c);
static void run_free_hooks(struct imap_client *c);
static void later_command(struct imap_client *c, const struct imap_cmd_handlers *h, void *ud,
			  enum tern_status st, const char *detail);
static void later_closed(struct imap_client *c, enum tern_status st, const char *detail);

/* The one check before any answer to the caller (an operation's callback,
 * an event): none once imap_client_free() has begun, as client.h promises. */
static bool
client_may_answer(const struct imap_client *c)
{
	return c->state != CLIENT_FREEING;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

void
imap_folder_free(struct imap_folder *f)
{
	if (f == NULL)
		return;
	g_free(f->name);
	g_free(f->wire_name);
	if (f->attr_names != NULL)
		g_ptr_array_unref(f->attr_names);
	g_free(f);
}

void
imap_summary_clear(struct imap_summary *s)
{
	g_strfreev(s->keywords);
	g_free(s->from);
	g_free(s->from_name);
	g_free(s->from_addr);
	g_free(s->to);
	g_free(s->cc);
	g_free(s->subject);
	g_free(s->message_id);
	g_free(s->in_reply_to);
	g_free(s->references);
	g_free(s->preview);
	memset(s, 0, sizeof *s);
}

static guint
flags_from_strv(const char *const *flags, char ***keywords_r)
{
	GPtrArray *kw = NULL;
	guint bits = 0;

	for (; flags != NULL && *flags != NULL; flags++) {
		guint bit = flags_from_imap(*flags);

		bits |= bit;
		if (bit == 0 && keywords_r != NULL && (*flags)[0] != '\\') {
			if (kw == NULL)
				kw = g_ptr_array_new();
			g_ptr_array_add(kw, g_strdup(*flags));
		}
	}
	if (keywords_r != NULL) {
		if (kw != NULL) {
			g_ptr_array_add(kw, NULL);
			*keywords_r = (char **)g_ptr_array_free(kw, FALSE);
		} else {
			*keywords_r = NULL;
		}
	}
	return bits;
}

static void
set_caps(struct imap_client *c, const char *const *strv)
{
	g_hash_table_remove_all(c->caps);
	for (; strv != NULL && *strv != NULL; strv++) {
		char *up = g_ascii_strup(*strv, -1);

		g_hash_table_add(c->caps, up);
	}
}

bool
imap_client_has_cap(struct imap_client *c, const char *cap)
{
	char *up = g_ascii_strup(cap, -1);
	bool has = g_hash_table_contains(c->caps, up);

	g_free(up);
	return has;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const struct account *
imap_client_account(struct imap_client *c)
{
	return c->account;
}

char *
imap_client_server_id(struct imap_client *c)
{
	GPtrArray *caps = g_ptr_array_new();
	GString *id = g_string_new(c->greeting != NULL ? c->greeting : "");
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, c->caps);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(caps, key);
	g_ptr_array_sort(caps, compare_strings);
	g_string_append(id, " |");
	for (guint i = 0; i < caps->len; i++) {
		const char *cap = caps->pdata[i];

		if (id->len + strlen(cap) + 1 > CLIENT_SERVER_ID_MAX)
			break;
		g_string_append_printf(id, " %s", cap);
	}
	g_ptr_array_unref(caps);
	return g_string_free(id, FALSE);
}

/* Detail for a NO/BAD answer: the server's text, or a generic sentence. */
static const char *
server_text(const struct imap_response *r, const char *fallback)
{
	if (r != NULL && r->u.status.text != NULL && r->u.status.text[0] != '\0')
		return r->u.status.text;
	return fallback;
}

/* ------------------------------------------------------------------ */
/* Events and the connection's end                                    */
/* ------------------------------------------------------------------ */

static void
emit(struct imap_client *c, const struct imap_event *ev)
{
	if (c->cb.event != NULL && client_may_answer(c))
		c->cb.event(c, ev, c->ud);
}

static void
connect_finish(struct imap_client *c, enum tern_status st, const char *detail)
{
	imap_done_fn *done = c->connect_done;

	c->connect_done = NULL;
	if (st == TERN_OK)
		c->state = CLIENT_READY;
	if (done != NULL && client_may_answer(c))
		done(c, st, detail, c->connect_ud);
}

/* The connection is over (error or peer closed): fail every command,
 * tell the caller once. This may happen inside a call (a write that
 * fails), so both go through the later queue: the commands' answers
 * first, then the connect answer or the CLOSED event. */
static void
client_lost(struct imap_client *c, enum tern_status st, const char *detail)
{
	if (c->state == CLIENT_CLOSED || c->state == CLIENT_FREEING)
		return;
	c->state = CLIENT_CLOSED;
	c->lost_st = st;
	c->lost_detail = g_strdup(detail);
	log_debug("connection ended: %s", detail != NULL ? detail : "");
	if (c->conn != NULL)
		net_conn_close(c->conn);
	imap_session_fail(c->session, st, detail);
	later_closed(c, st, detail);
}

static void
session_failed(void *ud, enum tern_status st, const char *detail)
{
	struct imap_client *c = ud;

	/* A protocol error before TLS is up on a STARTTLS connection is a
	 * refused downgrade, like a missing STARTTLS. */
	if (c->state == CLIENT_GREETING && c->account->tls == CONFIG_TLS_STARTTLS)
		st = TERN_ERR_AUTH;
	client_lost(c, st, detail);
}

static void
session_send(void *ud, const void *buf, size_t len, bool sensitive)
{
	struct imap_client *c = ud;

	if (c->conn != NULL && net_conn_write(c->conn, buf, len) < 0)
		client_lost(c, TERN_ERR_CONN, _("cannot send to the server (connection lost)"));
	else if (c->conn != NULL)
		net_conn_expect_reply(c->conn, TRUE);
}

static void
session_trace(void *ud, bool from_server, const char *line)
{
	log_debug("%s %s", from_server ? "S:" : "C:", line);
}

/* ------------------------------------------------------------------ */
/* Answers given later, from the main loop                            */
/* ------------------------------------------------------------------ */

/* What the later queue holds: one command's end (its done handler runs
 * with r == NULL), or the end of the connection (the connect answer when
 * it was connecting, else the CLOSED event). */
enum later_kind {
	LATER_COMMAND,
	LATER_CONNECT,
	LATER_CLOSED,
};

struct later {
	enum later_kind kind;
	const struct imap_cmd_handlers *h; /* LATER_COMMAND: static handlers */
	void *ud;
	enum tern_status st;
	char *detail;
};

static void
later_run(struct imap_client *c, struct later *l)
{
	struct imap_event ev = { .type = IMAP_EVENT_CLOSED, .status = l->st, .text = l->detail };

	switch (l->kind) {
	case LATER_COMMAND:
		if (l->h->done != NULL)
			l->h->done(c->session, NULL, l->st, l->detail, l->ud);
		break;
	case LATER_CONNECT:
		connect_finish(c, l->st, l->detail);
		break;
	case LATER_CLOSED:
		if (!c->closing)
			emit(c, &ev);
		break;
	}
	g_free(l->detail);
	g_free(l);
}

/* One answer per turn, in order. The answer may free the client: nothing
 * of it is touched after later_run() (free removes this source when more
 * was queued; removing a source from its own callback is allowed). */
static gboolean
later_dispatch(gpointer data)
{
	struct imap_client *c = data;
	struct later *l = g_queue_pop_head(&c->later);
	bool more = !g_queue_is_empty(&c->later);

	if (!more)
		c->later_source = 0;
	if (l != NULL)
		later_run(c, l);
	return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
later_push(struct imap_client *c, struct later *l)
{
	if (c->state == CLIENT_FREEING) {
		/* free() is draining: run it now, muted (ops free themselves) */
		later_run(c, l);
		return;
	}
	if (l->kind == LATER_COMMAND && !g_queue_is_empty(&c->later) &&
	    ((struct later *)g_queue_peek_tail(&c->later))->kind != LATER_COMMAND)
		/* the end of the connection stays last, even for a command
		 * made after it (the owner may free the client there) */
		g_queue_insert_before(&c->later, g_queue_peek_tail_link(&c->later), l);
	else
		g_queue_push_tail(&c->later, l);
	/* G_PRIORITY_DEFAULT: before an owner's idle callback that frees us */
	if (c->later_source == 0)
		c->later_source = g_idle_add_full(G_PRIORITY_DEFAULT, later_dispatch, c, NULL);
}

/* Finish a command's handlers h (with ud) from the loop: done(r = NULL). */
static void
later_command(struct imap_client *c, const struct imap_cmd_handlers *h, void *ud,
	      enum tern_status st, const char *detail)
{
	struct later *l = g_new0(struct later, 1);

	l->kind = LATER_COMMAND;
	l->h = h;
	l->ud = ud;
	l->st = st;
	l->detail = g_strdup(detail);
	later_push(c, l);
}

static void
later_closed(struct imap_client *c, enum tern_status st, const char *detail)
{
	struct later *l = g_new0(struct later, 1);

	l->kind = c->connect_done != NULL ? LATER_CONNECT : LATER_CLOSED;
	l->st = st;
	l->detail = g_strdup(detail);
	later_push(c, l);
}

/* Every command goes through the session wrapped in one of these, so an
 * end without an answer (r == NULL: the session failed, even inside the
 * call that submitted it) reaches the command's handlers from the loop. */
struct client_cmd {
	struct imap_client *c;
	const struct imap_cmd_handlers *h;
	void *ud;
};

static bool
cmd_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct client_cmd *cc = ud;

	return cc->h->untagged != NULL && cc->h->untagged(s, r, cc->ud);
}

static void
cmd_continuation(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct client_cmd *cc = ud;

	cc->h->continuation(s, r, cc->ud);
}

static void
cmd_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	 const char *detail, void *ud)
{
	struct client_cmd cc = *(struct client_cmd *)ud;

	g_free(ud);
	if (r == NULL)
		later_command(cc.c, cc.h, cc.ud, st, detail);
	else if (cc.h->done != NULL)
		cc.h->done(s, r, st, detail, cc.ud);
}

static void
client_submit_command(struct imap_client *c, struct imap_command *cmd,
		      const struct imap_cmd_handlers *h, void *ud)
{
	/* Two tables: a command without a continuation handler keeps the
	 * session's "nobody asked for it" protocol error. */
	static const struct imap_cmd_handlers plain = { .untagged = cmd_untagged,
							.done = cmd_done };
	static const struct imap_cmd_handlers cont = { .untagged = cmd_untagged,
						       .continuation = cmd_continuation,
						       .done = cmd_done };
	struct client_cmd *cc;

	if (c->state == CLIENT_CLOSED) {
		/* Gone already: answered from the loop with the reason. */
		imap_command_free(&cmd);
		later_command(c, h, ud, c->lost_st, c->lost_detail);
		return;
	}
	cc = g_new0(struct client_cmd, 1);
	cc->c = c;
	cc->h = h;
	cc->ud = ud;
	cmd->pipeline = c->pipeline;
	imap_session_submit_command(c->session, cmd, h->continuation != NULL ? &cont : &plain, cc);
}

/* Build a command (imap_command_new's format) and queue it with handlers h
 * (static) and ud. Returns 0, or -1 with *error set when the arguments are
 * refused: then nothing was queued and nothing will be answered. */
static int
client_submit(struct imap_client *c, const struct imap_cmd_handlers *h, void *ud,
	      GError **error, const char *fmt, ...)
{
	struct imap_command *cmd;
	va_list ap;

	va_start(ap, fmt);
	cmd = imap_command_newv(imap_session_tags(c->session),
				imap_session_command_options(c->session), error, fmt, ap);
	va_end(ap);
	if (cmd == NULL)
		return -1;
	client_submit_command(c, cmd, h, ud);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The sequence-number-to-UID map (struct msgmap)                     */
/* ------------------------------------------------------------------ */

static void
msgmap_clear(struct msgmap *m)
{
	if (m->uids != NULL)
		g_array_unref(m->uids);
	g_free(m->live);
	memset(m, 0, sizeof *m);
}

/* A new folder: an empty map, whatever the folder holds. */
static void
msgmap_reset(struct msgmap *m)
{
	msgmap_clear(m);
	m->uids = g_array_new(FALSE, TRUE, sizeof(guint32));
}

/* Sequence numbers in the window. */
static guint
msgmap_len(const struct msgmap *m)
{
	return m->live != NULL ? m->n_live : m->uids->len;
}

static guint
lowbit(guint i)
{
	return i & (~i + 1);
}

/* The slot of uids holding the window's i-th sequence number (0-based,
 * i < msgmap_len()): the (i + 1)-th live slot, found by descending the
 * Fenwick tree from its highest power of two. */
static guint
msgmap_slot(const struct msgmap *m, guint i)
{
	guint len = m->uids->len, pos = 0, rest = i + 1, step = 1;

	if (m->live == NULL)
		return i;
	while (step <= len / 2)
		step <<= 1;
	for (; step > 0; step >>= 1) {
		if (pos + step <= len && m->live[pos + step] < rest) {
			pos += step;
			rest -= m->live[pos];
		}
	}
	return pos; /* the live slot is pos + 1 in the tree's 1-based count */
}

/* The marking begins: every slot live. A node of a Fenwick tree covers
 * lowbit(its index) slots, so all-live needs no sums. */
static void
msgmap_start_marking(struct msgmap *m)
{
	guint len = m->uids->len;

	m->live = g_new(guint32, (gsize)len + 1);
	m->live[0] = 0;
	for (guint i = 1; i <= len; i++)
		m->live[i] = lowbit(i);
	m->n_live = len;
}

/* Drop the expunged slots in one pass and leave the marking. The tree is
 * first taken back to one count per slot: undoing, from the top, the
 * linear build that adds each node to its parent. */
static void
msgmap_compact(struct msgmap *m)
{
	guint32 *t = m->live, *u;
	guint len, o = 0;

	if (t == NULL)
		return;
	len = m->uids->len;
	for (guint i = len; i > 0; i--)
		if (i + lowbit(i) <= len)
			t[i + lowbit(i)] -= t[i];
	u = (guint32 *)(void *)m->uids->data;
	for (guint i = 0; i < len; i++)
		if (t[i + 1] != 0)
			u[o++] = u[i];
	g_array_set_size(m->uids, o);
	g_free(t);
	/* Read by test-imap-client: what a storm cost stays countable. */
	log_debug("sequence map: %u slots compacted to %u, %" G_GUINT64_FORMAT
		  " moved before the marking", len, o, m->moved);
	m->live = NULL;
	m->n_live = 0;
	m->moved = 0;
}

static guint32
msgmap_uid(const struct msgmap *m, guint32 seq)
{
	if (m->uids == NULL || seq < m->base || seq - m->base >= msgmap_len(m))
		return 0;
	return g_array_index(m->uids, guint32, msgmap_slot(m, seq - m->base));
}

/* Widen the window to hold seq, when the bound allows. */
static bool
msgmap_reach(struct msgmap *m, guint32 seq)
{
	guint len;
	guint64 want;

	if (seq >= m->base && seq - m->base < msgmap_len(m))
		return true;
	msgmap_compact(m);
	len = m->uids->len;
	if (len == 0) {
		m->base = seq;
		g_array_set_size(m->uids, 1);
		return true;
	}
	want = seq > m->base ? (guint64)seq - m->base + 1 : (guint64)m->base - seq + len;
	if (want > 2 * ((guint64)m->learned + 1) + MSGMAP_SLACK)
		return false;
	if (seq < m->base) {
		/* A folder loaded newest first learns one range below the
		 * other: the window widens downwards by half its length at
		 * least (within the bound, not below 1), so that a memmove of
		 * all of it comes once per doubling, not once per range. */
		guint32 *u;
		guint64 gap = m->base - seq, more = MAX(gap, (guint64)len / 2);
		guint64 room = 2 * ((guint64)m->learned + 1) + MSGMAP_SLACK - len;

		gap = MIN(MIN(more, room), (guint64)m->base - 1);
		g_array_set_size(m->uids, len + (guint)gap);
		u = (guint32 *)(void *)m->uids->data;
		memmove(u + gap, u, len * sizeof *u);
		memset(u, 0, gap * sizeof *u);
		m->base -= (guint32)gap;
		return true;
	}
	g_array_set_size(m->uids, (guint)want);
	return true;
}

static void
msgmap_learn(struct msgmap *m, guint32 seq, guint32 uid)
{
	guint32 *slot;

	if (m->uids == NULL || seq == 0 || uid == 0 || !msgmap_reach(m, seq))
		return;
	slot = &g_array_index(m->uids, guint32, msgmap_slot(m, seq - m->base));
	if (*slot == 0)
		m->learned++;
	*slot = uid;
}

/* The slot i goes and the tail moves down. */
static void
msgmap_move_out(struct msgmap *m, guint i)
{
	if (g_array_index(m->uids, guint32, i) != 0)
		m->learned--;
	m->moved += m->uids->len - i - 1;
	g_array_remove_index(m->uids, i);
}

/* The window's i-th sequence number is marked gone: O(log N), nothing
 * moves. */
static void
msgmap_mark_gone(struct msgmap *m, guint i)
{
	guint len = m->uids->len, p;

	if (m->live == NULL)
		msgmap_start_marking(m);
	p = msgmap_slot(m, i);
	if (g_array_index(m->uids, guint32, p) != 0)
		m->learned--;
	for (guint j = p + 1; j <= len; j += lowbit(j))
		m->live[j]--;
	m->n_live--;
}

/* Remove the window's i-th sequence number: moved out while the moves stay
 * within their allowance, marked gone from then on. */
static void
msgmap_remove_at(struct msgmap *m, guint i)
{
	guint64 tail = m->uids->len - i - 1;

	if (m->live == NULL &&
	    m->moved + tail <= (guint64)m->uids->len * MSGMAP_MOVES_PER_SLOT)
		msgmap_move_out(m, i);
	else
		msgmap_mark_gone(m, i);
}

/* EXPUNGE seq: returns its UID (0 unknown); the ones above move down. */
static guint32
msgmap_expunge(struct msgmap *m, guint32 seq)
{
	guint32 uid = msgmap_uid(m, seq);

	if (m->uids == NULL || seq == 0)
		return 0;
	if (seq < m->base)
		m->base--;
	else if (seq - m->base < msgmap_len(m))
		msgmap_remove_at(m, seq - m->base);
	return uid;
}

static int
uid_cmp(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

/* VANISHED uids (sorted, distinct): the known ones go, those above move
 * down, in one pass over the map whatever their number (a search and a
 * memmove of the map a UID took seconds for ten thousand gone from a big
 * folder). Each entry is looked up in uids, which does not trust the
 * server's UIDs to grow with its sequence numbers. */
static void
msgmap_vanished(struct msgmap *m, const guint32 *uids, size_t n)
{
	guint32 *u;
	guint o = 0;

	if (m->uids == NULL || n == 0)
		return;
	msgmap_compact(m);
	u = (guint32 *)(void *)m->uids->data;
	for (guint i = 0; i < m->uids->len; i++) {
		if (u[i] != 0 && bsearch(&u[i], uids, n, sizeof *uids, uid_cmp) != NULL) {
			m->learned--;
			continue;
		}
		u[o++] = u[i];
	}
	g_array_set_size(m->uids, o);
}

/* ------------------------------------------------------------------ */
/* Untagged responses nobody claimed: updates for the selected folder  */
/* ------------------------------------------------------------------ */

static void
handle_exists(struct imap_client *c, guint32 n)
{
	struct imap_event ev = { .type = IMAP_EVENT_EXISTS, .count = n };

	if (n > CLIENT_EXISTS_MAX) {
		imap_session_fail(c->session, TERN_ERR_PROTOCOL,
				  _("the server announced an impossible number of messages"));
		return;
	}
	c->info.exists = n; /* the map grows only as UIDs come */
	emit(c, &ev);
}

static void
handle_expunge(struct imap_client *c, guint32 seq)
{
	struct imap_event ev = { .type = IMAP_EVENT_EXPUNGE, .seq = seq };
	struct imap_summary s = { 0 };

	s.uid = msgmap_expunge(&c->map, seq);
	if (c->info.exists > 0)
		c->info.exists--;
	ev.summary = &s;
	emit(c, &ev);
}

static void
remember_uid(struct imap_client *c, guint32 seq, guint32 uid)
{
	if (seq <= CLIENT_EXISTS_MAX)
		msgmap_learn(&c->map, seq, uid);
}

static void
handle_fetch_update(struct imap_client *c, const struct imap_fetch *f)
{
	struct imap_event ev = { .type = IMAP_EVENT_FLAGS, .seq = f->seq };
	struct imap_summary s = { 0 };

	if (f->present & IMAP_FETCH_UID)
		remember_uid(c, f->seq, f->uid);
	if (!(f->present & IMAP_FETCH_FLAGS))
		return;
	s.uid = f->present & IMAP_FETCH_UID ? f->uid : 0;
	if (s.uid == 0)
		s.uid = msgmap_uid(&c->map, f->seq);
	s.flags = flags_from_strv(f->flags, &s.keywords);
	s.modseq = f->modseq;
	ev.summary = &s;
	emit(c, &ev);
	g_strfreev(s.keywords);
}

static void
handle_status_untagged(struct imap_client *c, const struct imap_response *r)
{
	const struct imap_status_data *st = &r->u.status;
	struct imap_event ev = { 0 };

	if (st->code.code == IMAP_CODE_CAPABILITY)
		set_caps(c, st->code.strv);
	if (st->code.code == IMAP_CODE_ALERT) {
		ev.type = IMAP_EVENT_ALERT;
		ev.text = st->text;
		emit(c, &ev);
	}
	if (st->status == IMAP_STATUS_BYE && !c->closing) {
		char *d;

		ev.type = IMAP_EVENT_BYE;
		ev.text = st->text;
		if (c->state == CLIENT_READY)
			emit(c, &ev);
		/* The server is going away: fail what is in flight now and
		 * write nothing more on this socket. */
		d = g_strdup_printf(_("the server ended the session: %s"),
				    server_text(r, _("no reason given")));
		client_lost(c, TERN_ERR_CONN, d);
		g_free(d);
	}
}

/* A STATUS no command claimed: NOTIFY's news of another folder. */
static void
handle_status_data(struct imap_client *c, const struct imap_mailbox_status *ms)
{
	struct imap_folder_status fs = { 0 };
	struct imap_event ev = { .type = IMAP_EVENT_STATUS, .fstatus = &fs };
	char *wire;

	if (c->state != CLIENT_READY || memchr(ms->raw_name, '\0', ms->raw_name_len) != NULL)
		return; /* a name with a NUL is no folder we could have listed */
	wire = g_strndup(ms->raw_name, ms->raw_name_len);
	fs.wire_name = wire;
	fs.name = ms->name;
	if (ms->present & IMAP_MSTATUS_MESSAGES) {
		fs.present |= IMAP_FSTATUS_MESSAGES;
		fs.messages = ms->messages;
	}
	if (ms->present & IMAP_MSTATUS_UNSEEN) {
		fs.present |= IMAP_FSTATUS_UNSEEN;
		fs.unseen = ms->unseen;
	}
	if (ms->present & IMAP_MSTATUS_UIDNEXT) {
		fs.present |= IMAP_FSTATUS_UIDNEXT;
		fs.uidnext = ms->uidnext;
	}
	emit(c, &ev);
	g_free(wire);
}

static void greeting(struct imap_client *c, const struct imap_response *r);
static bool starttls_needed(struct imap_client *c);

static void
session_untagged(void *ud, const struct imap_response *r)
{
	struct imap_client *c = ud;

	if (c->state == CLIENT_GREETING) {
		greeting(c, r);
		return;
	}
	/* Before TLS is up on a STARTTLS connection, and while STARTTLS is in
	 * flight, the clear text is anyone's: only the greeting and the answer
	 * to CAPABILITY (claimed by that command) are read; the rest goes. */
	if (starttls_needed(c)) {
		log_debug("dropped an untagged response sent in clear before TLS");
		return;
	}
	switch (r->type) {
	case IMAP_DATA_STATUS:
		handle_status_untagged(c, r);
		break;
	case IMAP_DATA_CAPABILITY:
		set_caps(c, r->u.strv);
		break;
	case IMAP_DATA_EXISTS:
		handle_exists(c, r->u.number);
		break;
	case IMAP_DATA_EXPUNGE:
		handle_expunge(c, r->u.number);
		break;
	case IMAP_DATA_VANISHED: {
		size_t n = 0;
		uint32_t *uids = imap_seqset_to_array(r->u.vanished.uids, CLIENT_EXISTS_MAX, &n,
						      NULL);
		GArray *arr = g_array_new(FALSE, FALSE, sizeof(guint32));
		struct imap_event ev = { .type = IMAP_EVENT_VANISHED, .uids = arr };

		if (uids != NULL)
			g_array_append_vals(arr, uids, n);
		msgmap_vanished(&c->map, uids, uids != NULL ? n : 0);
		if (!r->u.vanished.earlier && c->info.exists >= n)
			c->info.exists -= n;
		emit(c, &ev);
		g_array_unref(arr);
		g_free(uids);
		break;
	}
	case IMAP_DATA_FETCH:
		handle_fetch_update(c, &r->u.fetch);
		break;
	case IMAP_DATA_MAILBOX_STATUS:
		handle_status_data(c, &r->u.mstatus);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Connection set-up                                                  */
/* ------------------------------------------------------------------ */

static void step_capability(struct imap_client *c);
static void step_auth(struct imap_client *c);
static void step_enable(struct imap_client *c);

static void
refuse(struct imap_client *c, const char *detail)
{
	client_lost(c, TERN_ERR_AUTH, detail);
}

/* What of a greeting names the server: its words without a digit (a
 * greeting may carry the time, an address or a session id, which change
 * from one connection to the next), printable ASCII, at most
 * CLIENT_GREETING_MAX bytes. Transfer full. */
static char *
greeting_words(const char *text)
{
	GString *out = g_string_new(NULL);
	char **words = g_strsplit_set(text != NULL ? text : "", " \t", -1);

	for (char **w = words; *w != NULL; w++) {
		bool keep = **w != '\0';

		for (const char *p = *w; *p != '\0' && keep; p++)
			keep = *p > ' ' && *p < 0x7f && !g_ascii_isdigit(*p);
		if (keep && out->len + strlen(*w) + 1 <= CLIENT_GREETING_MAX)
			g_string_append_printf(out, "%s%s", out->len > 0 ? " " : "", *w);
	}
	g_strfreev(words);
	return g_string_free(out, FALSE);
}

static void
greeting(struct imap_client *c, const struct imap_response *r)
{
	const struct imap_status_data *st = &r->u.status;

	if (r->type != IMAP_DATA_STATUS) {
		refuse(c, _("the server did not greet like an IMAP server"));
		return;
	}
	c->state = CLIENT_SETUP;
	switch (st->status) {
	case IMAP_STATUS_OK:
		break;
	case IMAP_STATUS_PREAUTH:
		if (!net_conn_is_tunnel(c->conn)) {
			refuse(c, _("the server greeted with PREAUTH, which tern accepts only on a "
				    "tunnel (a possible downgrade attack)"));
			return;
		}
		c->preauth = true;
		break;
	case IMAP_STATUS_BYE:
		client_lost(c, TERN_ERR_CONN, server_text(r, _("the server refused the connection")));
		return;
	default:
		refuse(c, _("the server did not greet like an IMAP server"));
		return;
	}
	/* Capabilities in a STARTTLS connection's greeting are not trusted. */
	if (st->code.code == IMAP_CODE_CAPABILITY && c->account->tls != CONFIG_TLS_STARTTLS)
		set_caps(c, st->code.strv);
	g_free(c->greeting);
	c->greeting = greeting_words(st->text);
	step_capability(c);
}

static void
after_starttls(struct imap_client *c)
{
	/* Nothing learnt before TLS is used after it. */
	g_hash_table_remove_all(c->caps);
	c->state = CLIENT_SETUP;
	step_capability(c);
}

static void
starttls_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	      const char *detail, void *ud)
{
	struct imap_client *c = ud;

	if (r == NULL)
		return; /* the session failed: client_lost() reports */
	if (st != TERN_OK) {
		refuse(c, _("the server refused STARTTLS; tern will not continue without TLS"));
		return;
	}
	/* Whatever came with or after the OK is discarded (injection). */
	imap_session_stop_reading(s);
	imap_session_reset_input(s);
	c->state = CLIENT_STARTTLS;
	if (net_conn_start_tls(c->conn) < 0)
		refuse(c, _("cannot start TLS"));
}

static bool
starttls_needed(struct imap_client *c)
{
	return c->account->tls == CONFIG_TLS_STARTTLS && !net_conn_is_tls(c->conn) &&
	       !net_conn_is_tunnel(c->conn);
}

/* Capabilities are known: STARTTLS if required, else authenticate. */
static void
after_capability(struct imap_client *c)
{
	static const struct imap_cmd_handlers h = { .done = starttls_done };
	struct imap_session *s = c->session;

	if (starttls_needed(c)) {
		if (!imap_client_has_cap(c, "STARTTLS")) {
			refuse(c, _("the server does not offer STARTTLS; tern will not continue "
				    "without TLS"));
			return;
		}
		client_submit(c, &h, c, NULL, "STARTTLS");
		return;
	}
	if (imap_client_has_cap(c, "LITERAL+"))
		imap_session_command_options(s)->literal_mode = IMAP_LITERAL_PLUS;
	else if (imap_client_has_cap(c, "LITERAL-"))
		imap_session_command_options(s)->literal_mode = IMAP_LITERAL_MINUS;
	if (c->preauth)
		step_enable(c);
	else
		step_auth(c);
}

static void
capability_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
		const char *detail, void *ud)
{
	struct imap_client *c = ud;

	if (r == NULL)
		return;
	if (st != TERN_OK) {
		client_lost(c, TERN_ERR_PROTOCOL, server_text(r, _("CAPABILITY failed")));
		return;
	}
	after_capability(c);
}

static bool
capability_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct imap_client *c = ud;

	if (r->type == IMAP_DATA_CAPABILITY) {
		set_caps(c, r->u.strv);
		return true;
	}
	return false;
}

static void
step_capability(struct imap_client *c)
{
	static const struct imap_cmd_handlers h = {
		.untagged = capability_untagged,
		.done = capability_done,
	};

	if (g_hash_table_size(c->caps) > 0 && !starttls_needed(c)) {
		/* Known from the greeting or a response code: go on at once. */
		after_capability(c);
		return;
	}
	client_submit(c, &h, c, NULL, "CAPABILITY");
}

static void
auth_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	  const char *detail, void *ud)
{
	struct imap_client *c = ud;
	static const struct imap_cmd_handlers h = {
		.untagged = capability_untagged,
		.done = NULL,
	};

	forget_ir(c);
	if (r == NULL)
		return;
	if (st != TERN_OK) {
		char *d;

		c->login_refused = true;
		d = g_strdup_printf(_("login refused: %s"), server_text(r, _("no reason given")));
		client_lost(c, TERN_ERR_AUTH, d);
		g_free(d);
		return;
	}
	if (r->u.status.code.code == IMAP_CODE_CAPABILITY)
		set_caps(c, r->u.status.code.strv);
	else
		client_submit(c, &h, c, NULL, "CAPABILITY");
	step_enable(c);
}

static void
forget_ir(struct imap_client *c)
{
	if (c->pending_ir != NULL) {
		memset(c->pending_ir, 0, strlen(c->pending_ir));
		g_free(c->pending_ir);
		c->pending_ir = NULL;
	}
}

static void
auth_continuation(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct imap_client *c = ud;

	/* Without SASL-IR the first "+" asks for the initial response. Any
	 * other "+" carries the server's error (XOAUTH2/OAUTHBEARER): answer
	 * empty so the tagged NO follows. */
	if (c->pending_ir != NULL) {
		imap_session_send_line(s, c->pending_ir, true);
		forget_ir(c);
	} else {
		imap_session_send_line(s, "", false);
	}
}

static char *
sasl_initial(struct imap_client *c, const char *mech)
{
	const char *user = c->account->user != NULL ? c->account->user : "";
	const char *secret = c->secret != NULL ? c->secret : "";
	GString *raw = g_string_new(NULL);
	char *b64;

	if (strcmp(mech, "PLAIN") == 0) {
		g_string_append_c(raw, '\0');
		g_string_append(raw, user);
		g_string_append_c(raw, '\0');
		g_string_append(raw, secret);
	} else if (strcmp(mech, "XOAUTH2") == 0) {
		g_string_append_printf(raw, "user=%s\001auth=Bearer %s\001\001", user, secret);
	} else { /* OAUTHBEARER, RFC 7628 */
		g_string_append_printf(raw, "n,a=%s,\001auth=Bearer %s\001\001", user, secret);
	}
	b64 = g_base64_encode((const guchar *)raw->str, raw->len);
	memset(raw->str, 0, raw->len);
	g_string_free(raw, TRUE);
	return b64;
}

static bool
auth_allowed_in_clear(struct imap_client *c)
{
	return net_conn_is_tls(c->conn) || net_conn_is_tunnel(c->conn) ||
	       net_conn_is_loopback(c->conn);
}

static void
step_auth(struct imap_client *c)
{
	static const struct imap_cmd_handlers h = {
		.continuation = auth_continuation,
		.done = auth_done,
	};
	const char *mech = NULL;
	GError *err = NULL;
	int rc;

	if (!auth_allowed_in_clear(c)) {
		refuse(c, _("refusing to send a password without TLS to a host that is not "
			    "loopback"));
		return;
	}
	switch (c->account->auth) {
	case CONFIG_AUTH_XOAUTH2: mech = "XOAUTH2"; break;
	case CONFIG_AUTH_OAUTHBEARER: mech = "OAUTHBEARER"; break;
	case CONFIG_AUTH_PLAIN: mech = "PLAIN"; break;
	case CONFIG_AUTH_LOGIN: mech = NULL; break;
	case CONFIG_AUTH_AUTO:
		mech = imap_client_has_cap(c, "AUTH=PLAIN") ? "PLAIN" : NULL;
		break;
	}
	if (mech == NULL && imap_client_has_cap(c, "LOGINDISABLED")) {
		refuse(c, _("the server does not allow LOGIN here"));
		return;
	}
	if (mech == NULL) {
		rc = client_submit(c, &h, c, &err, "LOGIN %P %P",
				   c->account->user != NULL ? c->account->user : "",
				   c->secret != NULL ? c->secret : "");
	} else {
		char *ir = sasl_initial(c, mech);

		if (imap_client_has_cap(c, "SASL-IR")) {
			rc = client_submit(c, &h, c, &err, "AUTHENTICATE %a %P",
					   mech, ir);
			memset(ir, 0, strlen(ir));
			g_free(ir);
		} else {
			c->pending_ir = ir;
			rc = client_submit(c, &h, c, &err, "AUTHENTICATE %a", mech);
		}
	}
	if (rc < 0) {
		client_lost(c, TERN_ERR_AUTH, err->message);
		g_error_free(err);
	}
}

static bool
enable_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct imap_client *c = ud;

	if (r->type != IMAP_DATA_ENABLED)
		return false;
	for (const char *const *e = r->u.strv; e != NULL && *e != NULL; e++) {
		if (g_ascii_strcasecmp(*e, "UTF8=ACCEPT") == 0) {
			c->utf8 = true;
			imap_session_set_utf8_accept(s, true);
		} else if (g_ascii_strcasecmp(*e, "QRESYNC") == 0) {
			c->qresync = c->condstore = true;
		} else if (g_ascii_strcasecmp(*e, "CONDSTORE") == 0) {
			c->condstore = true;
		}
	}
	return true;
}

static void
compress_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	      const char *detail, void *ud)
{
	struct imap_client *c = ud;

	if (r == NULL)
		return;
	if (st == TERN_OK) {
		/* The rest of this read is already compressed. */
		imap_session_stop_reading(s);
		if (net_conn_start_compress(c->conn) < 0) {
			client_lost(c, TERN_ERR_CONN, _("cannot start compression"));
			return;
		}
	}
	connect_finish(c, TERN_OK, NULL);
}

bool
imap_client_server_is_local(struct imap_client *c)
{
	return c->conn != NULL && net_conn_is_loopback(c->conn);
}

static bool
want_compress(struct imap_client *c)
{
	if (!c->account->compress || !imap_client_has_cap(c, "COMPRESS=DEFLATE") ||
	    net_conn_is_compressed(c->conn))
		return false;
	/* On loopback it only costs CPU; tests force it to exercise the path. */
	return !net_conn_is_loopback(c->conn) || g_getenv("TERN_FORCE_COMPRESS") != NULL;
}

static void
after_enable(struct imap_client *c)
{
	static const struct imap_cmd_handlers h = { .done = compress_done };

	if (want_compress(c))
		client_submit(c, &h, c, NULL, "COMPRESS DEFLATE");
	else
		connect_finish(c, TERN_OK, NULL);
}

static void
enable_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	if (r != NULL)
		after_enable(ud);
}

/* Tests exercise the CONDSTORE and FLAGS-diff resyncs, and the EXPUNGEs
 * of a server without QRESYNC, against a Dovecot that offers everything:
 * TERN_TEST_DISABLE=QRESYNC,CONDSTORE makes tern neither enable nor use
 * them. */
static bool
test_disabled(const char *ext)
{
	const char *off = g_getenv("TERN_TEST_DISABLE");

	return off != NULL && ext[0] != '\0' && strstr(off, ext) != NULL;
}

static void
step_enable(struct imap_client *c)
{
	static const struct imap_cmd_handlers h = {
		.untagged = enable_untagged,
		.done = enable_done,
	};
	GString *what = g_string_new(NULL);

	c->state = CLIENT_SETUP;
	if (imap_client_has_cap(c, "QRESYNC") && !test_disabled("QRESYNC"))
		g_string_append(what, " QRESYNC");
	if (imap_client_has_cap(c, "CONDSTORE") && !test_disabled("CONDSTORE"))
		g_string_append(what, " CONDSTORE");
	if (imap_client_has_cap(c, "UTF8=ACCEPT"))
		g_string_append(what, " UTF8=ACCEPT");
	if (what->len > 0 && imap_client_has_cap(c, "ENABLE")) {
		if (strstr(what->str, "QRESYNC") && strstr(what->str, "UTF8"))
			client_submit(c, &h, c, NULL,
				      "ENABLE QRESYNC CONDSTORE UTF8=ACCEPT");
		else if (strstr(what->str, "QRESYNC"))
			client_submit(c, &h, c, NULL, "ENABLE QRESYNC CONDSTORE");
		else if (strstr(what->str, "CONDSTORE") && strstr(what->str, "UTF8"))
			client_submit(c, &h, c, NULL, "ENABLE CONDSTORE UTF8=ACCEPT");
		else if (strstr(what->str, "CONDSTORE"))
			client_submit(c, &h, c, NULL, "ENABLE CONDSTORE");
		else
			client_submit(c, &h, c, NULL, "ENABLE UTF8=ACCEPT");
	} else {
		after_enable(c);
	}
	g_string_free(what, TRUE);
}

/* ------------------------------------------------------------------ */
/* net callbacks                                                      */
/* ------------------------------------------------------------------ */

static void
net_connected(struct net_conn *conn, enum tern_status st, const char *detail, void *ud)
{
	struct imap_client *c = ud;

	if (st != TERN_OK) {
		/* Could not reach the server at all: 69, not a lost connection. */
		client_lost(c, st == TERN_ERR_CONN ? TERN_ERR_UNREACHABLE : st, detail);
		return;
	}
	c->state = CLIENT_GREETING;
	net_conn_expect_reply(conn, TRUE);
}

static gsize
net_data(struct net_conn *conn, const char *buf, gsize len, void *ud)
{
	struct imap_client *c = ud;
	gsize used;

	used = imap_session_feed(c->session, buf, len);
	c->received += used;
	if (c->conn != NULL && c->state != CLIENT_CLOSED)
		net_conn_expect_reply(c->conn, !imap_session_idle(c->session) && !c->idle_sent);
	return used;
}

static void
net_tls_done(struct net_conn *conn, enum tern_status st, const char *detail, void *ud)
{
	struct imap_client *c = ud;

	if (st != TERN_OK) {
		client_lost(c, st, detail);
		return;
	}
	after_starttls(c);
}

static void
net_closed(struct net_conn *conn, enum tern_status st, const char *detail, void *ud)
{
	struct imap_client *c = ud;

	if (st == TERN_OK)
		st = TERN_ERR_CONN;
	client_lost(c, st, detail != NULL ? detail : _("the server closed the connection"));
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */
/* ------------------------------------------------------------------ */

struct imap_client *
imap_client_new(const struct account *account, const char *secret,
		const struct imap_client_callbacks *cb, void *ud)
{
	struct imap_client *c = g_new0(struct imap_client, 1);
	/* No trace without a log: the session would copy every response's
	 * first line for nothing (1.5% of a cold load's time). */
	const struct imap_session_ops ops = {
		.send = session_send,
		.untagged = session_untagged,
		.failed = session_failed,
		.trace = log_enabled() ? session_trace : NULL,
	};

	c->account = account;
	c->secret = g_strdup(secret);
	if (cb != NULL)
		c->cb = *cb;
	c->ud = ud;
	c->caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->session = imap_session_new(&ops, NULL, c);
	g_queue_init(&c->later);
	return c;
}

void
imap_client_free(struct imap_client **cp)
{
	struct imap_client *c = *cp;

	if (c == NULL)
		return;
	/* From here on client_may_answer() is false: the operations still
	 * queued or in flight end (and free themselves) without an answer. */
	c->state = CLIENT_FREEING;
	c->closing = true;
	c->connect_done = NULL;
	c->cb.event = NULL;
	if (c->idle_timer != 0)
		g_source_remove(c->idle_timer);
	if (c->later_source != 0)
		g_source_remove(c->later_source);
	while (!g_queue_is_empty(&c->later))
		later_run(c, g_queue_pop_head(&c->later));
	if (c->conn != NULL) {
		net_conn_close(c->conn);
		net_conn_unref(&c->conn);
	}
	imap_session_free(&c->session);
	forget_ir(c);
	g_hash_table_unref(c->caps);
	if (c->secret != NULL) {
		memset(c->secret, 0, strlen(c->secret));
		g_free(c->secret);
	}
	g_free(c->selected);
	g_free(c->lost_detail);
	g_free(c->greeting);
	msgmap_clear(&c->map);
	if (c->folders != NULL)
		g_ptr_array_unref(c->folders);
	run_free_hooks(c);
	g_free(c);
	*cp = NULL;
}

/* Last: what the operations above this client keep for an answer that
 * will not come now. */
static void
run_free_hooks(struct imap_client *c)
{
	GHashTable *hooks = c->free_hooks;
	GHashTableIter it;
	gpointer v;

	if (hooks == NULL)
		return;
	c->free_hooks = NULL;
	g_hash_table_iter_init(&it, hooks);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct free_hook *h = v;

		h->fn(h->ud);
	}
	g_hash_table_unref(hooks);
}

guint
imap_client_add_free_hook(struct imap_client *c, GDestroyNotify fn, void *ud)
{
	struct free_hook *h = g_new(struct free_hook, 1);

	if (c->free_hooks == NULL)
		c->free_hooks = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	h->fn = fn;
	h->ud = ud;
	c->free_hook_next = c->free_hook_next == G_MAXUINT ? 1 : c->free_hook_next + 1;
	g_hash_table_insert(c->free_hooks, GUINT_TO_POINTER(c->free_hook_next), h);
	return c->free_hook_next;
}

void
imap_client_remove_free_hook(struct imap_client *c, guint id)
{
	if (c->free_hooks != NULL && id != 0)
		g_hash_table_remove(c->free_hooks, GUINT_TO_POINTER(id));
}

void
imap_client_connect(struct imap_client *c, imap_done_fn *done, void *ud)
{
	static const struct net_callbacks ncb = {
		.connected = net_connected,
		.data = net_data,
		.tls_done = net_tls_done,
		.closed = net_closed,
	};
	const struct account *a = c->account;
	struct net_opts o = { 0 };

	c->connect_done = done;
	c->connect_ud = ud;
	c->state = CLIENT_CONNECTING;
	o.host = a->host;
	o.port = (guint16)a->port;
	o.tunnel = a->tunnel;
	o.ca_file = a->ca_file;
	o.fingerprint = a->tls_fingerprint;
	o.timeout_s = a->timeout;
	switch (a->tls) {
	case CONFIG_TLS_IMPLICIT: o.tls = NET_TLS_IMPLICIT; break;
	case CONFIG_TLS_STARTTLS: o.tls = NET_TLS_STARTTLS; break;
	case CONFIG_TLS_NONE: o.tls = NET_TLS_NONE; break;
	}
	log_debug("connecting to %s", a->tunnel != NULL ? "a tunnel" : a->host);
	c->conn = net_conn_new(&o, &ncb, c);
	net_conn_connect(c->conn);
}

bool
imap_client_login_refused(struct imap_client *c)
{
	return c->login_refused;
}

char *
imap_client_describe(struct imap_client *c)
{
	char *tls = c->conn != NULL ? net_conn_describe_tls(c->conn) : NULL;
	char *out;
	const char *how;

	if (tls != NULL)
		how = tls;
	else if (c->conn != NULL && net_conn_is_tunnel(c->conn))
		how = _("tunnel");
	else
		how = _("no TLS (loopback)");
	out = g_strdup_printf("%s%s", how,
			      c->conn != NULL && net_conn_is_compressed(c->conn) ?
				      _(", COMPRESS=DEFLATE") : "");
	g_free(tls);
	return out;
}

/* ------------------------------------------------------------------ */
/* Operations: common bits                                            */
/* ------------------------------------------------------------------ */

/* Ends IDLE before a command is queued; IDLE is resumed when the
 * session runs dry. */
static void
before_command(struct imap_client *c)
{
	if (c->idle_sent && !c->idle_done_sent) {
		c->idle_done_sent = true;
		imap_session_send_line(c->session, "DONE", false);
	}
}

static void
after_command(struct imap_client *c)
{
	if (c->idling && !c->idle_sent && imap_session_idle(c->session) &&
	    c->state == CLIENT_READY)
		client_send_idle(c);
}

/* ------------------------------------------------------------------ */
/* LIST                                                               */
/* ------------------------------------------------------------------ */

struct list_op {
	struct imap_client *c;
	imap_folders_fn *done;
	void *ud;
	GPtrArray *folders;
	GHashTable *by_wire; /* wire name -> struct imap_folder * */
	bool with_status;
	bool with_uidnext;   /* imap_client_poll_folders() */
	guint status_pending;
	enum tern_status st;
	char *detail;
};

static enum folder_role
role_of(const struct imap_client *c, const struct imap_list *l, const char *name)
{
	const struct account *a = c->account;

	if (g_ascii_strcasecmp(name, "INBOX") == 0)
		return FOLDER_ROLE_INBOX;
	if (a->trash != NULL && strcmp(a->trash, name) == 0)
		return FOLDER_ROLE_TRASH;
	if (a->archive != NULL && strcmp(a->archive, name) == 0)
		return FOLDER_ROLE_ARCHIVE;
	if (a->sent != NULL && strcmp(a->sent, name) == 0)
		return FOLDER_ROLE_SENT;
	if (a->drafts != NULL && strcmp(a->drafts, name) == 0)
		return FOLDER_ROLE_DRAFTS;
	if (l->special_use & IMAP_SPECIAL_DRAFTS) return FOLDER_ROLE_DRAFTS;
	if (l->special_use & IMAP_SPECIAL_SENT) return FOLDER_ROLE_SENT;
	if (l->special_use & IMAP_SPECIAL_ARCHIVE) return FOLDER_ROLE_ARCHIVE;
	if (l->special_use & IMAP_SPECIAL_JUNK) return FOLDER_ROLE_JUNK;
	if (l->special_use & IMAP_SPECIAL_TRASH) return FOLDER_ROLE_TRASH;
	if (l->special_use & IMAP_SPECIAL_ALL) return FOLDER_ROLE_ALL;
	if (l->special_use & IMAP_SPECIAL_FLAGGED) return FOLDER_ROLE_FLAGGED;
	return FOLDER_ROLE_NONE;
}

/* Where the server marks no folder with a role (no SPECIAL-USE: Courier,
 * older servers), the names clients usually give them, most usual first.
 * Each is looked for at the top and under INBOX (INBOX.Trash, INBOX/Trash). */
static const struct {
	enum folder_role role;
	const char *name;
} usual_names[] = {
	{ FOLDER_ROLE_TRASH, "Trash" },
	{ FOLDER_ROLE_TRASH, "Deleted Items" },
	{ FOLDER_ROLE_TRASH, "Deleted Messages" },
	{ FOLDER_ROLE_TRASH, "Papierkorb" },
	{ FOLDER_ROLE_TRASH, "Corbeille" },
	{ FOLDER_ROLE_SENT, "Sent" },
	{ FOLDER_ROLE_SENT, "Sent Items" },
	{ FOLDER_ROLE_SENT, "Sent Messages" },
	{ FOLDER_ROLE_SENT, "Gesendet" },
	{ FOLDER_ROLE_SENT, "Gesendete Objekte" },
	{ FOLDER_ROLE_DRAFTS, "Drafts" },
	{ FOLDER_ROLE_DRAFTS, "Entwürfe" },
	{ FOLDER_ROLE_ARCHIVE, "Archive" },
	{ FOLDER_ROLE_ARCHIVE, "Archives" },
	{ FOLDER_ROLE_JUNK, "Junk" },
	{ FOLDER_ROLE_JUNK, "Spam" },
	{ FOLDER_ROLE_JUNK, "Junk E-mail" },
};

/* f is the folder `name`, at the top (under_inbox false) or one level
 * under INBOX; names compare case-insensitively. */
static bool
folder_is_named(const struct imap_folder *f, const char *name, bool under_inbox)
{
	const char *rest = f->name;
	char *a, *b;
	bool same;

	if (under_inbox) {
		if (f->delimiter == '\0' || g_ascii_strncasecmp(rest, "INBOX", 5) != 0 ||
		    rest[5] != f->delimiter)
			return false;
		rest += 6;
	}
	a = g_utf8_casefold(rest, -1);
	b = g_utf8_casefold(name, -1);
	same = strcmp(a, b) == 0;
	g_free(a);
	g_free(b);
	return same;
}

static struct imap_folder *
find_usual(GPtrArray *folders, const char *name)
{
	for (int under_inbox = 0; under_inbox <= 1; under_inbox++) {
		for (guint i = 0; i < folders->len; i++) {
			struct imap_folder *f = folders->pdata[i];

			if (f->role == FOLDER_ROLE_NONE && !(f->attrs & IMAP_FOLDER_NOSELECT) &&
			    g_utf8_validate(f->name, -1, NULL) &&
			    folder_is_named(f, name, under_inbox))
				return f;
		}
	}
	return NULL;
}

/* Give each role no folder has (by SPECIAL-USE or the account's setting)
 * to the first folder with one of its usual names. */
static void
guess_roles(GPtrArray *folders)
{
	bool has[FOLDER_ROLE_NONE + 1] = { false };

	for (guint i = 0; i < folders->len; i++)
		has[((struct imap_folder *)folders->pdata[i])->role] = true;
	for (size_t i = 0; i < TERN_ARRAY_LEN(usual_names); i++) {
		struct imap_folder *f;

		if (has[usual_names[i].role])
			continue;
		if ((f = find_usual(folders, usual_names[i].name)) != NULL) {
			f->role = usual_names[i].role;
			has[f->role] = true;
		}
	}
}

static guint
folder_attrs(const struct imap_list *l)
{
	guint a = 0;

	if (l->flags & IMAP_MAILBOX_NOSELECT) a |= IMAP_FOLDER_NOSELECT;
	if (l->flags & IMAP_MAILBOX_HASCHILDREN) a |= IMAP_FOLDER_HASCHILDREN;
	if (l->flags & IMAP_MAILBOX_HASNOCHILDREN) a |= IMAP_FOLDER_HASNOCHILDREN;
	if (l->flags & IMAP_MAILBOX_NOINFERIORS) a |= IMAP_FOLDER_NOINFERIORS;
	if (l->flags & IMAP_MAILBOX_NONEXISTENT) a |= IMAP_FOLDER_NONEXISTENT | IMAP_FOLDER_NOSELECT;
	if (l->flags & IMAP_MAILBOX_SUBSCRIBED) a |= IMAP_FOLDER_SUBSCRIBED;
	if (l->flags & IMAP_MAILBOX_MARKED) a |= IMAP_FOLDER_MARKED;
	return a;
}

/* False for a folder the list does not hold (NOTIFY's news of one named in
 * UTF-8, say): it goes on to the event callback. */
static bool
apply_status(struct list_op *op, const struct imap_mailbox_status *ms)
{
	struct imap_folder *f = g_hash_table_lookup(op->by_wire, ms->raw_name);

	if (f == NULL)
		return false;
	if (ms->present & IMAP_MSTATUS_MESSAGES)
		f->messages = ms->messages;
	if (ms->present & IMAP_MSTATUS_UNSEEN)
		f->unseen = ms->unseen;
	if (ms->present & IMAP_MSTATUS_UIDNEXT)
		f->uidnext = ms->uidnext;
	return true;
}

static bool
list_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct list_op *op = ud;
	const struct imap_list *l;
	struct imap_folder *f;

	if (r->type == IMAP_DATA_MAILBOX_STATUS)
		return apply_status(op, &r->u.mstatus);
	if (r->type != IMAP_DATA_LIST || r->u.list.lsub)
		return false;
	l = &r->u.list;
	if (g_hash_table_contains(op->by_wire, l->raw_name))
		return true; /* a duplicate: keep the first */
	f = g_new0(struct imap_folder, 1);
	f->attrs = folder_attrs(l);
	if (memchr(l->raw_name, '\0', l->raw_name_len) != NULL) {
		/* A NUL cannot be sent back: a C string would cut the name
		 * into another folder's. Show it (NUL as U+FFFD), never use it. */
		GString *shown = g_string_sized_new(l->raw_name_len + 8);

		for (size_t i = 0; i < l->raw_name_len; i++)
			if (l->raw_name[i] == '\0')
				g_string_append(shown, "\xef\xbf\xbd");
			else
				g_string_append_c(shown, l->raw_name[i]);
		f->wire_name = g_string_free(shown, FALSE);
		f->name = g_strdup(f->wire_name);
		f->attrs |= IMAP_FOLDER_NOSELECT;
	} else {
		f->wire_name = g_strndup(l->raw_name, l->raw_name_len);
		f->name = g_strdup(l->name != NULL ? l->name : f->wire_name);
	}
	f->delimiter = l->delimiter;
	f->attr_names = g_ptr_array_new_with_free_func(g_free);
	for (const char *const *a = l->attributes; a != NULL && *a != NULL; a++)
		g_ptr_array_add(f->attr_names, g_strdup(*a));
	f->role = role_of(op->c, l, f->name);
	f->messages = f->unseen = -1;
	g_ptr_array_add(op->folders, f);
	g_hash_table_insert(op->by_wire, f->wire_name, f);
	return true;
}

static void
list_op_finish(struct list_op *op)
{
	struct imap_client *c = op->c;

	if (op->st == TERN_OK) {
		guess_roles(op->folders);
		if (c->folders != NULL)
			g_ptr_array_unref(c->folders);
		c->folders = g_ptr_array_ref(op->folders);
	}
	if (client_may_answer(c))
		op->done(c, op->st, op->detail, op->folders, op->ud);
	g_ptr_array_unref(op->folders);
	g_hash_table_unref(op->by_wire);
	g_free(op->detail);
	g_free(op);
	after_command(c);
}

static void
status_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	struct list_op *op = ud;

	if (r == NULL && op->st == TERN_OK) {
		op->st = st;
		g_free(op->detail);
		op->detail = g_strdup(detail);
	}
	if (--op->status_pending == 0)
		list_op_finish(op);
}

static void
list_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	  const char *detail, void *ud)
{
	struct list_op *op = ud;
	static const struct imap_cmd_handlers h = { .untagged = list_untagged,
						    .done = status_done };
	bool list_status = imap_client_has_cap(op->c, "LIST-STATUS");

	op->st = st;
	op->detail = g_strdup(detail);
	if (st != TERN_OK || !op->with_status || list_status) {
		list_op_finish(op);
		return;
	}
	/* STATUS for each selectable folder, pipelined through the queue. */
	op->status_pending = 1;
	for (guint i = 0; i < op->folders->len; i++) {
		struct imap_folder *f = op->folders->pdata[i];

		if (f->attrs & IMAP_FOLDER_NOSELECT)
			continue;
		if (client_submit(op->c, &h, op, NULL,
				  op->with_uidnext ? "STATUS %r (MESSAGES UNSEEN UIDNEXT)" :
						     "STATUS %r (MESSAGES UNSEEN)",
				  f->wire_name) == 0)
			op->status_pending++;
	}
	if (--op->status_pending == 0)
		list_op_finish(op);
}

void
imap_client_list_folders(struct imap_client *c, bool with_status, imap_folders_fn *done,
			 void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = list_untagged, .done = list_done };
	struct list_op *op = g_new0(struct list_op, 1);

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->with_status = with_status;
	op->folders = g_ptr_array_new_with_free_func((GDestroyNotify)imap_folder_free);
	op->by_wire = g_hash_table_new(g_str_hash, g_str_equal);
	before_command(c);
	if (with_status && imap_client_has_cap(c, "LIST-STATUS") &&
	    imap_client_has_cap(c, "SPECIAL-USE"))
		client_submit(c, &h, op, NULL,
			      "LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))");
	else if (with_status && imap_client_has_cap(c, "LIST-STATUS"))
		client_submit(c, &h, op, NULL,
			      "LIST \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN))");
	else if (imap_client_has_cap(c, "SPECIAL-USE"))
		client_submit(c, &h, op, NULL, "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
	else
		client_submit(c, &h, op, NULL, "LIST \"\" \"*\"");
}

void
imap_client_poll_folders(struct imap_client *c, imap_folders_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = list_untagged, .done = list_done };
	struct list_op *op = g_new0(struct list_op, 1);
	bool special = imap_client_has_cap(c, "SPECIAL-USE");

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->with_status = op->with_uidnext = true;
	op->folders = g_ptr_array_new_with_free_func((GDestroyNotify)imap_folder_free);
	op->by_wire = g_hash_table_new(g_str_hash, g_str_equal);
	before_command(c);
	if (imap_client_has_cap(c, "LIST-STATUS")) /* one round trip for every folder */
		client_submit(c, &h, op, NULL,
			      special ? "LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN "
					"UIDNEXT))" :
					"LIST \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))");
	else
		client_submit(c, &h, op, NULL,
			      special ? "LIST \"\" \"*\" RETURN (SPECIAL-USE)" : "LIST \"\" \"*\"");
}

const char *
imap_client_role_folder(struct imap_client *c, enum folder_role role)
{
	const struct account *a = c->account;

	switch (role) {
	case FOLDER_ROLE_TRASH: if (a->trash) return a->trash; break;
	case FOLDER_ROLE_ARCHIVE: if (a->archive) return a->archive; break;
	case FOLDER_ROLE_SENT: if (a->sent) return a->sent; break;
	case FOLDER_ROLE_DRAFTS: if (a->drafts) return a->drafts; break;
	default: break;
	}
	for (guint i = 0; c->folders != NULL && i < c->folders->len; i++) {
		struct imap_folder *f = c->folders->pdata[i];

		if (f->role == role)
			return f->name;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* SELECT                                                             */
/* ------------------------------------------------------------------ */

struct select_op {
	struct imap_client *c;
	imap_select_fn *done;
	void *ud;
	GDestroyNotify muted;  /* frees ud when the answer is dropped (the
				* resync's own state), or NULL: ud is the caller's */
	struct imap_mailbox_info info;
	char *name;
};

static bool
select_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct select_op *op = ud;

	switch (r->type) {
	case IMAP_DATA_EXISTS:
		if (r->u.number > CLIENT_EXISTS_MAX)
			return false; /* the generic handler refuses it */
		op->info.exists = r->u.number;
		return true;
	case IMAP_DATA_FLAGS:
	case IMAP_DATA_RECENT:
		return true;
	case IMAP_DATA_STATUS:
		switch (r->u.status.code.code) {
		case IMAP_CODE_UIDVALIDITY: op->info.uidvalidity = r->u.status.code.number; break;
		case IMAP_CODE_UIDNEXT: op->info.uidnext = r->u.status.code.number; break;
		case IMAP_CODE_HIGHESTMODSEQ: op->info.highestmodseq = r->u.status.code.modseq; break;
		case IMAP_CODE_PERMANENTFLAGS:
			op->info.permanent_flags = flags_from_strv(r->u.status.code.strv, NULL);
			break;
		default: return false;
		}
		return true;
	default:
		return false;
	}
}

static void
select_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	struct select_op *op = ud;
	struct imap_client *c = op->c;

	if (st == TERN_OK) {
		if (r->u.status.code.code == IMAP_CODE_READ_ONLY)
			op->info.read_only = true;
		g_free(c->selected);
		c->selected = g_strdup(op->name);
		c->info = op->info;
		msgmap_reset(&c->map); /* nothing allocated for the EXISTS */
	} else if (r != NULL) {
		char *d = g_strdup_printf(_("cannot open folder '%s': %s"), op->name,
					  server_text(r, _("no reason given")));

		g_free(c->selected);
		c->selected = NULL;
		if (client_may_answer(c))
			op->done(c, TERN_ERR_FOLDER, d, NULL, op->ud);
		g_free(d);
		goto out;
	}
	if (client_may_answer(c))
		op->done(c, st, detail, st == TERN_OK ? &op->info : NULL, op->ud);
out:
	if (!client_may_answer(c) && op->muted != NULL)
		op->muted(op->ud);
	g_free(op->name);
	g_free(op);
	after_command(c);
}

void
imap_client_select(struct imap_client *c, const char *folder, bool read_only,
		   imap_select_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = select_untagged,
						    .done = select_done };
	struct select_op *op = g_new0(struct select_op, 1);
	GError *err = NULL;

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->name = g_strdup(folder);
	before_command(c);
	if (client_submit(c, &h, op, &err, read_only ? "EXAMINE %m" : "SELECT %m", folder) < 0) {
		char *d = g_strdup_printf(_("bad folder name: %s"), err->message);

		later_command(c, &h, op, TERN_ERR_USAGE, d);
		g_free(d);
		g_error_free(err);
	}
}

void
imap_client_set_pipeline(struct imap_client *c, bool on)
{
	c->pipeline = on;
}

const char *
imap_client_selected(struct imap_client *c)
{
	return c->selected;
}

/* ------------------------------------------------------------------ */
/* Summaries                                                          */
/* ------------------------------------------------------------------ */

struct summaries_op {
	struct imap_client *c;
	imap_summaries_fn *batch_fn;
	imap_done_fn *done;
	void *ud;
	GArray *batch; /* struct imap_summary */
	/* The batch's strings, freed with it at once (but the keywords):
	 * one allocation each was a tenth of the reading thread's time in a
	 * cold load, with as many frees after each batch. */
	GStringChunk *text;
	GString *scratch; /* an address list being formatted */
	struct imap_header_envelope *he; /* the last header block parsed */
	guint pending; /* commands in flight */
	enum tern_status st;
	char *detail;
	/* what was asked, to ask it again in the other form (summaries_retry()) */
	bool by_uid;
	bool fixed;    /* the form was the caller's (imap_client_fetch_summaries_form()) */
	enum imap_summary_form form;
	char *settext;
	guint received; /* summaries that came */
};

/* s (len bytes, or up to its NUL when len < 0) in the batch's chunk. */
static char *
batch_str(struct summaries_op *op, const char *s, gssize len)
{
	if (s == NULL)
		return NULL;
	return g_string_chunk_insert_len(op->text, s, len);
}

/* Appends "Name <mailbox@host>" (or "mailbox@host") of one address; name
 * may be NULL. Appended, not printed: a cold load formats From and every
 * To and Cc address of each message, and g_strdup_printf() with its
 * intermediate copies was a twelfth of the reading thread's time. */
static void
address_append(GString *out, const struct imap_address *a, bool with_name)
{
	bool named = with_name && a->name != NULL && a->name[0] != '\0';

	if (named) {
		g_string_append(out, a->name);
		g_string_append(out, " <");
	}
	if (a->mailbox != NULL)
		g_string_append(out, a->mailbox);
	if (a->host != NULL && a->host[0] != '\0') {
		g_string_append_c(out, '@');
		g_string_append(out, a->host);
	}
	if (named)
		g_string_append_c(out, '>');
}

static char *
format_address(struct summaries_op *op, const struct imap_address *a, bool with_name)
{
	g_string_truncate(op->scratch, 0);
	address_append(op->scratch, a, with_name);
	return batch_str(op, op->scratch->str, (gssize)op->scratch->len);
}

/* The first real address (group markers skipped), or NULL. */
static const struct imap_address *
first_address(const struct imap_address_list *l)
{
	for (size_t i = 0; i < l->n_addrs; i++)
		if (l->addrs[i].host != NULL)
			return &l->addrs[i];
	return NULL;
}

static char *
format_address_list(struct summaries_op *op, const struct imap_address_list *l)
{
	GString *out = op->scratch;
	bool any = false;

	g_string_truncate(out, 0);
	for (size_t i = 0; i < l->n_addrs; i++) {
		if (l->addrs[i].host == NULL)
			continue;
		if (any)
			g_string_append(out, ", ");
		address_append(out, &l->addrs[i], true);
		any = true;
		if (out->len > 4096)
			break; /* enough for a summary */
	}
	return any ? batch_str(op, out->str, (gssize)out->len) : NULL;
}

/* The header block of the summary fetch, the BODY[HEADER.FIELDS (…)] item,
 * or NULL. */
static GBytes *
summary_header_block(const struct imap_fetch *f)
{
	for (size_t i = 0; i < f->n_bodies; i++) {
		const struct imap_fetch_body *b = &f->bodies[i];

		if (b->data != NULL && b->section != NULL &&
		    g_ascii_strncasecmp(b->section, "HEADER.FIELDS", 13) == 0)
			return b->data;
	}
	return NULL;
}

/* Fills s from f, its strings in the batch's chunk: the envelope from
 * ENVELOPE when the server sent one (as tern asked before), else parsed
 * from the header block (summary_header_block(), or NULL); References
 * from that block. */
static void
summary_from_fetch(struct summaries_op *op, struct imap_summary *s, const struct imap_fetch *f,
		   GBytes *block)
{
	/* the header parser reads only this one */
	static const struct imap_limits limits = { .max_addresses = IMAP_DEFAULT_MAX_ADDRESSES };
	struct imap_header_envelope *he = NULL;
	const struct imap_envelope *e = f->envelope;
	const struct imap_address *from;

	if (block != NULL) {
		gsize len;
		const char *data = g_bytes_get_data(block, &len);

		if (data == NULL)
			data = "";
		if (op->he == NULL)
			op->he = imap_header_envelope_parse(data, len, &limits);
		else
			imap_header_envelope_reparse(op->he, data, len, &limits);
		he = op->he;
		if (e == NULL)
			e = imap_header_envelope_get(he);
	}

	s->uid = f->uid;
	s->flags = flags_from_strv(f->flags, &s->keywords);
	s->internaldate = f->internaldate;
	s->internaldate_tz = f->internaldate_offset;
	s->size = f->rfc822_size > G_MAXUINT32 ? G_MAXUINT32 : (guint32)f->rfc822_size;
	s->modseq = f->modseq;
	if (e == NULL || e->date == NULL ||
	    maildate_parse(e->date, &s->date, &s->date_tz) < 0) {
		s->date = s->internaldate;
		s->date_tz = s->internaldate_tz;
	}
	if (e != NULL) {
		from = first_address(&e->from);
		if (from != NULL) {
			s->from = format_address(op, from, true);
			s->from_addr = format_address(op, from, false);
			s->from_name = batch_str(op, from->name, -1);
		}
		s->to = format_address_list(op, &e->to);
		s->cc = format_address_list(op, &e->cc);
		s->subject = e->subject != NULL ? batch_str(op, e->subject, (gssize)e->subject_len)
					       : NULL;
		s->message_id = batch_str(op, e->message_id, -1);
		s->in_reply_to = batch_str(op, e->in_reply_to, -1);
	}
	if (he != NULL)
		s->references = batch_str(op, imap_header_envelope_references(he), -1);
	s->preview = batch_str(op, f->preview, (gssize)f->preview_len);
}

static void
flush_batch(struct summaries_op *op)
{
	if (op->batch->len > 0 && op->batch_fn != NULL && client_may_answer(op->c))
		op->batch_fn(op->c, (const struct imap_summary *)(void *)op->batch->data,
			     op->batch->len, op->ud);
	for (guint i = 0; i < op->batch->len; i++)
		g_strfreev(g_array_index(op->batch, struct imap_summary, i).keywords);
	g_array_set_size(op->batch, 0);
	g_string_chunk_clear(op->text);
}

static bool
summaries_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct summaries_op *op = ud;
	const struct imap_fetch *f = &r->u.fetch;
	struct imap_summary sum = { 0 };
	GBytes *block;

	if (r->type != IMAP_DATA_FETCH || !(f->present & IMAP_FETCH_UID))
		return false;
	block = summary_header_block(f);
	if (!(f->present & IMAP_FETCH_ENVELOPE) && block == NULL)
		return false; /* an unsolicited flag update */
	/* Not the probe's: its newest 1,000 learnt first made the map widen
	 * downwards one sequence number at a time under the load's 1:* that
	 * follows (a memmove each: 1.7 s more at 100,000). */
	if (!op->fixed)
		remember_uid(op->c, f->seq, f->uid);
	summary_from_fetch(op, &sum, f, block);
	op->received++;
	g_array_append_val(op->batch, sum);
	if (op->batch->len >= CLIENT_SUMMARY_BATCH)
		flush_batch(op);
	return true;
}

static bool summaries_retry(struct summaries_op *op, const struct imap_response *r,
			    enum tern_status st, const char *detail);

static void
summaries_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	       const char *detail, void *ud)
{
	struct summaries_op *op = ud;
	struct imap_client *c = op->c;

	if (summaries_retry(op, r, st, detail))
		return;
	if (st != TERN_OK && op->st == TERN_OK) {
		op->st = st;
		op->detail = g_strdup(detail);
	}
	if (--op->pending > 0)
		return;
	flush_batch(op);
	if (client_may_answer(c))
		op->done(c, op->st, op->detail, op->ud);
	g_array_unref(op->batch);
	g_string_chunk_free(op->text);
	g_string_free(op->scratch, TRUE);
	imap_header_envelope_free(&op->he);
	g_free(op->detail);
	g_free(op->settext);
	g_free(op);
	after_command(c);
}

static struct summaries_op *
summaries_op_new(struct imap_client *c, imap_summaries_fn *batch_fn, imap_done_fn *done,
		 void *ud)
{
	struct summaries_op *op = g_new0(struct summaries_op, 1);

	op->c = c;
	op->batch_fn = batch_fn;
	op->done = done;
	op->ud = ud;
	op->batch = g_array_sized_new(FALSE, TRUE, sizeof(struct imap_summary),
				      CLIENT_SUMMARY_BATCH);
	op->text = g_string_chunk_new(CLIENT_SUMMARY_TEXT_CHUNK);
	op->scratch = g_string_sized_new(256);
	op->pending = 1;
	return op;
}

/* The items of a summary; MODSEQ with CONDSTORE; the envelope as the
 * header fields or as ENVELOPE (imap_client_summary_form()). Dovecot
 * serves the header fields from its cache for 65-80 % of ENVELOPE's cost
 * (tests/bench/bench-floor.py prints both floors) and core/imap/header.c
 * builds the same envelope from them for about 1 us a message; another
 * server may be faster with ENVELOPE, which lacks only References. */
#define SUMMARY_ITEMS "(UID FLAGS INTERNALDATE RFC822.SIZE "
#define SUMMARY_HEADERS "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID " \
	"IN-REPLY-TO REFERENCES)])"
#define SUMMARY_ENVELOPE "ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)])"
#define SUMMARY_FORMATS(cmd, tail) \
	{ cmd " %q " SUMMARY_ITEMS tail, cmd " %q " SUMMARY_ITEMS "MODSEQ " tail }

/* [form][by_uid][condstore] */
static const char *const summary_formats[2][2][2] = {
	[IMAP_SUMMARY_HEADERS] = { SUMMARY_FORMATS("FETCH", SUMMARY_HEADERS),
				   SUMMARY_FORMATS("UID FETCH", SUMMARY_HEADERS) },
	[IMAP_SUMMARY_ENVELOPE] = { SUMMARY_FORMATS("FETCH", SUMMARY_ENVELOPE),
				    SUMMARY_FORMATS("UID FETCH", SUMMARY_ENVELOPE) },
};

static enum imap_summary_form
other_form(enum imap_summary_form form)
{
	return form == IMAP_SUMMARY_HEADERS ? IMAP_SUMMARY_ENVELOPE : IMAP_SUMMARY_HEADERS;
}

enum imap_summary_form
imap_client_summary_form(struct imap_client *c)
{
	enum imap_summary_form form = c->summary_auto;

	if (c->account->summary_fetch == CONFIG_SUMMARY_FETCH_ENVELOPE)
		form = IMAP_SUMMARY_ENVELOPE;
	else if (c->account->summary_fetch == CONFIG_SUMMARY_FETCH_HEADERS)
		form = IMAP_SUMMARY_HEADERS;
	/* what the server refused is not asked again while the other works */
	if ((c->summary_refused & (1u << form)) &&
	    !(c->summary_refused & (1u << other_form(form))))
		form = other_form(form);
	return form;
}

void
imap_client_set_summary_form(struct imap_client *c, enum imap_summary_form form)
{
	c->summary_auto = form;
}

const char *
imap_summary_form_name(enum imap_summary_form form)
{
	return form == IMAP_SUMMARY_ENVELOPE ? "envelope" : "headers";
}

/* A summary format with PREVIEW added before its closing parenthesis,
 * or NULL when summaries go without (transfer full). */
static char *
summary_format_preview(struct imap_client *c, const char *fmt)
{
	size_t len = strlen(fmt);

	if (c->preview == IMAP_PREVIEW_OFF || !imap_client_has_preview(c) || len == 0 ||
	    fmt[len - 1] != ')')
		return NULL;
	return g_strdup_printf("%.*s %s)", (int)(len - 1), fmt,
			       c->preview == IMAP_PREVIEW_LAZY ? "PREVIEW (LAZY)" : "PREVIEW");
}

/* The summary format as this client sends it now: without RFC822.SIZE
 * (imap_client_set_sizes()), with PREVIEW (transfer full). */
static char *
summary_format(struct imap_client *c, const char *fmt)
{
	const char *size = c->no_sizes ? strstr(fmt, "RFC822.SIZE ") : NULL;
	char *sized = size != NULL ? g_strdup_printf("%.*s%s", (int)(size - fmt), fmt,
						     size + strlen("RFC822.SIZE ")) :
				     g_strdup(fmt);
	char *with_preview = summary_format_preview(c, sized);

	if (with_preview == NULL)
		return sized;
	g_free(sized);
	return with_preview;
}

/* Submits op's FETCH in op->form; -1 (err set) when the set is bad. */
static int
summaries_submit(struct summaries_op *op, GError **err)
{
	static const struct imap_cmd_handlers h = { .untagged = summaries_untagged,
						    .done = summaries_done };
	struct imap_client *c = op->c;
	const char *fmt = summary_formats[op->form][op->by_uid][c->condstore];
	/* the probe times the envelope alone: PREVIEW would make the server
	 * read the bodies in its first round */
	char *sent = op->fixed ? g_strdup(fmt) : summary_format(c, fmt);
	struct imap_seqset *set;
	int rc = -1;

	set = imap_seqset_parse(op->settext, -1, IMAP_SEQSET_ALLOW_STAR, err);
	if (set != NULL) {
		before_command(c);
		rc = client_submit(c, &h, op, err, sent, set);
		imap_seqset_free(&set);
	}
	g_free(sent);
	return rc;
}

/* A NO or BAD to a summary fetch before any summary came: the server may
 * not serve that form (a proxy that refuses BODY.PEEK[HEADER.FIELDS], a
 * server without ENVELOPE). Asks the same in the other form, once, and
 * remembers the refusal for the connection's later fetches. True when
 * asked again (op goes on). */
static bool
summaries_retry(struct summaries_op *op, const struct imap_response *r, enum tern_status st,
		const char *detail)
{
	struct imap_client *c = op->c;
	GError *err = NULL;

	if (st == TERN_OK || r == NULL || op->fixed || op->received > 0 || op->pending != 1 ||
	    (c->summary_refused & (1u << other_form(op->form))) || !client_may_answer(c))
		return false;
	c->summary_refused |= 1u << op->form;
	log_warn("summaries: the server refused the %s form (%s), asking with %s",
		 imap_summary_form_name(op->form), detail != NULL ? detail : "",
		 imap_summary_form_name(other_form(op->form)));
	op->form = other_form(op->form);
	if (summaries_submit(op, &err) == 0)
		return true;
	g_error_free(err);
	return false;
}

/* FETCH (by_uid: UID FETCH) of summaries for the set text, in form. */
static void
fetch_summaries(struct imap_client *c, bool by_uid, bool fixed, enum imap_summary_form form,
		const char *settext, imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = summaries_untagged,
						    .done = summaries_done };
	struct summaries_op *op = summaries_op_new(c, batch_fn, done, ud);
	GError *err = NULL;

	op->by_uid = by_uid;
	op->fixed = fixed;
	op->form = form;
	op->settext = g_strdup(settext);
	if (summaries_submit(op, &err) < 0) {
		later_command(c, &h, op, TERN_ERR_USAGE, err->message);
		g_error_free(err);
	}
}

void
imap_client_fetch_summaries(struct imap_client *c, const char *uidset,
			    imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud)
{
	fetch_summaries(c, true, false, imap_client_summary_form(c), uidset, batch_fn, done, ud);
}

void
imap_client_fetch_summaries_seq(struct imap_client *c, const char *seqset,
				imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud)
{
	fetch_summaries(c, false, false, imap_client_summary_form(c), seqset, batch_fn, done, ud);
}

void
imap_client_fetch_summaries_form(struct imap_client *c, enum imap_summary_form form,
				 const char *seqset, imap_summaries_fn *batch_fn,
				 imap_done_fn *done, void *ud)
{
	fetch_summaries(c, false, true, form, seqset, batch_fn, done, ud);
}

void
imap_client_set_preview(struct imap_client *c, enum imap_preview_mode mode)
{
	c->preview = mode;
}

void
imap_client_set_sizes(struct imap_client *c, bool sizes)
{
	c->no_sizes = !sizes;
}

bool
imap_client_has_preview(struct imap_client *c)
{
	return imap_client_has_cap(c, "PREVIEW");
}

/* ------------------------------------------------------------------ */
/* PREVIEW of messages already listed                                 */
/* ------------------------------------------------------------------ */

struct previews_op {
	struct imap_client *c;
	imap_preview_fn *fn;
	imap_done_fn *done;
	void *ud;
	struct imap_seqset *set; /* what was asked: an answer for another UID is dropped */
};

static bool
previews_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct previews_op *op = ud;
	const struct imap_fetch *f = &r->u.fetch;

	if (r->type != IMAP_DATA_FETCH || !(f->present & IMAP_FETCH_PREVIEW) ||
	    !(f->present & IMAP_FETCH_UID))
		return false;
	remember_uid(op->c, f->seq, f->uid);
	if (f->preview != NULL && imap_seqset_contains(op->set, f->uid, UINT32_MAX) &&
	    client_may_answer(op->c))
		op->fn(op->c, f->uid, f->preview, op->ud);
	return true;
}

static void
previews_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	      const char *detail, void *ud)
{
	struct previews_op *op = ud;
	struct imap_client *c = op->c;

	if (client_may_answer(c))
		op->done(c, st, detail, op->ud);
	imap_seqset_free(&op->set);
	g_free(op);
	after_command(c);
}

void
imap_client_fetch_previews(struct imap_client *c, const char *uidset, imap_preview_fn *fn,
			   imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = previews_untagged,
						    .done = previews_done };
	struct previews_op *op = g_new0(struct previews_op, 1);
	GError *err = NULL;

	op->c = c;
	op->fn = fn;
	op->done = done;
	op->ud = ud;
	op->set = imap_seqset_parse(uidset, -1, IMAP_SEQSET_ALLOW_STAR, &err);
	if (op->set == NULL) {
		later_command(c, &h, op, TERN_ERR_USAGE, err->message);
		g_error_free(err);
		return;
	}
	if (!imap_client_has_preview(c)) {
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	before_command(c);
	if (client_submit(c, &h, op, &err, "UID FETCH %q (UID PREVIEW)", op->set) < 0) {
		later_command(c, &h, op, TERN_ERR_USAGE, err->message);
		g_error_free(err);
	}
}

/* ------------------------------------------------------------------ */
/* SEARCH                                                             */
/* ------------------------------------------------------------------ */

struct search_op {
	struct imap_client *c;
	imap_uids_fn *done;
	void *ud;
	GArray *uids;
	char *tag;   /* our command's tag, for ESEARCH (TAG ...) */
};

static int
cmp_uid(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

static bool
search_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct search_op *op = ud;

	if (r->type == IMAP_DATA_SEARCH) {
		for (size_t i = 0; i < r->u.search.n_numbers && op->uids->len < CLIENT_SEARCH_MAX;
		     i++)
			g_array_append_val(op->uids, r->u.search.numbers[i]);
		return true;
	}
	if (r->type == IMAP_DATA_ESEARCH) {
		size_t n = 0;
		uint32_t *arr;

		/* an ESEARCH for another command is not ours */
		if (r->u.esearch.tag != NULL && op->tag != NULL &&
		    strcmp(r->u.esearch.tag, op->tag) != 0)
			return false;
		if (r->u.esearch.all == NULL)
			return true;
		arr = imap_seqset_to_array(r->u.esearch.all, CLIENT_SEARCH_MAX, &n, NULL);
		if (arr != NULL)
			g_array_append_vals(op->uids, arr, n);
		g_free(arr);
		return true;
	}
	return false;
}

static void
search_finish(struct search_op *op, enum tern_status st, const char *detail)
{
	struct imap_client *c = op->c;

	g_array_sort(op->uids, cmp_uid);
	if (client_may_answer(c))
		op->done(c, st, detail, op->uids, op->ud);
	g_array_unref(op->uids);
	g_free(op->tag);
	g_free(op);
	after_command(c);
}

static void
search_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	search_finish(ud, st, detail);
}

/* Appends one search string as an astring or a literal; returns false
 * when it cannot be sent (NUL). */
static bool
append_search_string(struct imap_client *c, GPtrArray *chunks, GString *line, const char *str,
		     GString *log)
{
	char *q = imap_quote_astring(str, NULL);
	enum imap_literal_mode mode = imap_session_command_options(c->session)->literal_mode;
	size_t len = strlen(str);
	bool plus;
	struct imap_command_chunk *ch;

	if (q != NULL && strlen(q) <= IMAP_COMMAND_QUOTED_MAX) {
		g_string_append(line, q);
		g_string_append(log, q);
		g_free(q);
		return true;
	}
	g_free(q);
	plus = mode == IMAP_LITERAL_PLUS ||
	       (mode == IMAP_LITERAL_MINUS && len <= IMAP_LITERAL_MINUS_MAX);
	g_string_append_printf(line, "{%zu%s}\r\n", len, plus ? "+" : "");
	g_string_append_printf(log, "{%zu%s} <%zu bytes>", len, plus ? "+" : "", len);
	ch = g_new0(struct imap_command_chunk, 1);
	ch->data = g_bytes_new(line->str, line->len);
	ch->wait_continuation = !plus;
	g_ptr_array_add(chunks, ch);
	g_string_assign(line, "");
	g_string_append_len(line, str, len);
	return true;
}

static struct imap_command *
build_search(struct imap_client *c, GPtrArray *tokens, bool utf8)
{
	struct imap_tag_counter *tags = imap_session_tags(c->session);
	struct imap_command *cmd = g_new0(struct imap_command, 1);
	GPtrArray *chunks = g_ptr_array_new();
	GString *line = g_string_new(NULL), *log = g_string_new(NULL);
	bool need_space = false;

	cmd->tag = g_strdup_printf("%s%" G_GUINT64_FORMAT, tags->prefix, tags->next++);
	g_string_printf(line, "%s UID SEARCH", cmd->tag);
	if (imap_client_has_cap(c, "ESEARCH"))
		g_string_append(line, " RETURN (ALL)");
	if (utf8 && !c->utf8)
		g_string_append(line, " CHARSET UTF-8");
	g_string_append(log, line->str);
	need_space = true;
	for (guint i = 0; i < tokens->len; i++) {
		const struct query_token *t = tokens->pdata[i];

		if (need_space && t->type != QUERY_TOK_CLOSE) {
			g_string_append_c(line, ' ');
			g_string_append_c(log, ' ');
		}
		need_space = t->type != QUERY_TOK_OPEN;
		switch (t->type) {
		case QUERY_TOK_OPEN:
			g_string_append_c(line, '(');
			g_string_append_c(log, '(');
			break;
		case QUERY_TOK_CLOSE:
			g_string_append_c(line, ')');
			g_string_append_c(log, ')');
			break;
		case QUERY_TOK_ATOM:
			/* atoms come from the query module's own vocabulary */
			for (const char *p = t->text; *p != '\0'; p++)
				if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("(){\"\\", *p))
					goto bad;
			g_string_append(line, t->text);
			g_string_append(log, t->text);
			break;
		case QUERY_TOK_STRING:
			if (!append_search_string(c, chunks, line, t->text, log))
				goto bad;
			break;
		}
	}
	g_string_append(line, "\r\n");
	{
		struct imap_command_chunk *ch = g_new0(struct imap_command_chunk, 1);

		ch->data = g_bytes_new(line->str, line->len);
		g_ptr_array_add(chunks, ch);
	}
	cmd->n_chunks = chunks->len;
	cmd->chunks = g_new0(struct imap_command_chunk, chunks->len);
	for (guint i = 0; i < chunks->len; i++) {
		cmd->chunks[i] = *(struct imap_command_chunk *)chunks->pdata[i];
		g_free(chunks->pdata[i]);
	}
	g_ptr_array_unref(chunks);
	g_string_free(line, TRUE);
	cmd->log_line = g_string_free(log, FALSE);
	return cmd;
bad:
	for (guint i = 0; i < chunks->len; i++) {
		g_bytes_unref(((struct imap_command_chunk *)chunks->pdata[i])->data);
		g_free(chunks->pdata[i]);
	}
	g_ptr_array_unref(chunks);
	g_string_free(line, TRUE);
	g_string_free(log, TRUE);
	cmd->n_chunks = 0;
	imap_command_free(&cmd);
	return NULL;
}

void
imap_client_search(struct imap_client *c, GPtrArray *tokens, bool utf8, imap_uids_fn *done,
		   void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = search_untagged,
						    .done = search_done };
	struct search_op *op = g_new0(struct search_op, 1);
	struct imap_command *cmd;

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < tokens->len; i++) {
		const struct query_token *t = tokens->pdata[i];

		if (t->type == QUERY_TOK_STRING && strpbrk(t->text, "\r\n") != NULL) {
			later_command(c, &h, op, TERN_ERR_USAGE,
				      _("a search string cannot hold a line break"));
			return;
		}
	}
	cmd = build_search(c, tokens, utf8);
	if (cmd == NULL) {
		later_command(c, &h, op, TERN_ERR_USAGE,
			      _("the search cannot be expressed in IMAP"));
		return;
	}
	before_command(c);
	op->tag = g_strdup(cmd->tag);
	client_submit_command(c, cmd, &h, op);
}

/* ------------------------------------------------------------------ */
/* The server's order for a first screen: ESORT PARTIAL, THREAD=REFS  */
/* ------------------------------------------------------------------ */

/* Dovecot 2.3 answers UID SORT RETURN (PARTIAL ...) but announces only
 * ESORT and CONTEXT=SEARCH: PARTIAL came with CONTEXT=SEARCH (RFC 5267
 * 4.4), and RFC 9394 names it on its own. */
bool
imap_client_offers_sort_first(struct imap_client *c)
{
	return imap_client_has_cap(c, "ESORT") &&
	       (imap_client_has_cap(c, "PARTIAL") || imap_client_has_cap(c, "CONTEXT=SORT") ||
		imap_client_has_cap(c, "CONTEXT=SEARCH"));
}

bool
imap_client_offers_thread_refs(struct imap_client *c)
{
	return imap_client_has_cap(c, "THREAD=REFS");
}

struct order_op {
	struct imap_client *c;
	imap_uids_fn *sorted;     /* SORT */
	imap_threads_fn *threaded; /* THREAD */
	void *ud;
	char *tag;
	GArray *uids;
	GArray *starts;           /* THREAD: index of each thread's first UID */
	guint max;                /* UIDs kept at most (SORT: the count asked) */
};

/* The PARTIAL numbers in the order sent (seqset ranges ascend), at most
 * op->max of them: a server cannot make "1:4294967295" an allocation. */
static void
order_add_set(struct order_op *op, const struct imap_seqset *set)
{
	for (size_t i = 0; set != NULL && i < set->n_ranges; i++) {
		const struct imap_seq_range *r = &set->ranges[i];

		if (r->first == IMAP_SEQ_STAR || r->last == IMAP_SEQ_STAR)
			continue;
		for (uint64_t u = r->first; u <= r->last && op->uids->len < op->max; u++) {
			guint32 v = (guint32)u;

			g_array_append_val(op->uids, v);
		}
	}
}

static bool
order_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct order_op *op = ud;

	if (op->sorted != NULL && r->type == IMAP_DATA_ESEARCH) {
		if (r->u.esearch.tag == NULL || op->tag == NULL ||
		    strcmp(r->u.esearch.tag, op->tag) != 0)
			return false; /* another command's */
		if (r->u.esearch.present & IMAP_ESEARCH_PARTIAL)
			order_add_set(op, r->u.esearch.partial);
		return true;
	}
	if (op->threaded != NULL && r->type == IMAP_DATA_THREAD) {
		const struct imap_thread *th = &r->u.thread;

		if (op->uids->len + th->n_numbers > op->max)
			return true; /* past the cap: dropped */
		for (size_t i = 0; i < th->n_threads; i++) {
			guint32 start = op->uids->len + th->starts[i];

			g_array_append_val(op->starts, start);
		}
		g_array_append_vals(op->uids, th->numbers, th->n_numbers);
		return true;
	}
	return false;
}

static void
order_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	   const char *detail, void *ud)
{
	struct order_op *op = ud;
	struct imap_client *c = op->c;

	if (client_may_answer(c)) {
		if (op->sorted != NULL)
			op->sorted(c, st, detail, op->uids, op->ud);
		else
			op->threaded(c, st, detail, op->uids, op->starts, op->ud);
	}
	g_array_unref(op->uids);
	g_array_unref(op->starts);
	g_free(op->tag);
	g_free(op);
	after_command(c);
}

static struct order_op *
order_op_new(struct imap_client *c, void *ud)
{
	struct order_op *op = g_new0(struct order_op, 1);

	op->c = c;
	op->ud = ud;
	op->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	op->starts = g_array_new(FALSE, FALSE, sizeof(guint32));
	op->max = CLIENT_SEARCH_MAX;
	return op;
}

static void
order_submit(struct imap_client *c, struct order_op *op, bool offered, const char *fmt, ...)
{
	static const struct imap_cmd_handlers h = { .untagged = order_untagged,
						    .done = order_done };
	struct imap_command *cmd = NULL;
	va_list ap;

	if (offered) {
		va_start(ap, fmt);
		cmd = imap_command_newv(imap_session_tags(c->session),
					imap_session_command_options(c->session), NULL, fmt, ap);
		va_end(ap);
	}
	if (cmd == NULL) {
		later_command(c, &h, op, TERN_ERR_NO, _("the server cannot sort or thread"));
		return;
	}
	before_command(c);
	op->tag = g_strdup(cmd->tag);
	client_submit_command(c, cmd, &h, op);
}

/* The sort criteria, indexed by enum imap_sort_key: fixed words that
 * become part of the command's format. */
static const char *const sort_criteria[] = {
	[IMAP_SORT_DATE] = "DATE",
	[IMAP_SORT_FROM] = "FROM",
	[IMAP_SORT_SUBJECT] = "SUBJECT",
	[IMAP_SORT_SIZE_DESC] = "REVERSE SIZE",
};

void
imap_client_sort_first(struct imap_client *c, enum imap_sort_key key, guint32 count,
		       imap_uids_fn *done, void *ud)
{
	struct order_op *op = order_op_new(c, ud);
	const char *crit = (guint)key < TERN_ARRAY_LEN(sort_criteria) ? sort_criteria[key] : "DATE";
	char *fmt;

	op->sorted = done;
	op->max = count;
	if (key == IMAP_SORT_FROM && imap_client_has_cap(c, "SORT=DISPLAY"))
		crit = "DISPLAYFROM"; /* the display name, as the local sort */
	fmt = g_strdup_printf("UID SORT RETURN (PARTIAL 1:%%u) (%s) UTF-8 ALL", crit);
	order_submit(c, op, imap_client_offers_sort_first(c) && count > 0, fmt, count);
	g_free(fmt);
}

void
imap_client_thread_refs(struct imap_client *c, imap_threads_fn *done, void *ud)
{
	struct order_op *op = order_op_new(c, ud);

	op->threaded = done;
	order_submit(c, op, imap_client_offers_thread_refs(c), "UID THREAD REFS UTF-8 ALL");
}

/* ------------------------------------------------------------------ */
/* Bodies                                                             */
/* ------------------------------------------------------------------ */

struct body_op {
	struct imap_client *c;
	imap_body_fn *done;
	void *ud;
	guint32 uid;
	char *section;
	bool partial;  /* BODY[]<0.n>: the data comes with an origin, 0 */
	GBytes *data;
};

static bool
body_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct body_op *op = ud;
	const struct imap_fetch *f = &r->u.fetch;

	if (r->type != IMAP_DATA_FETCH || !(f->present & IMAP_FETCH_UID) || f->uid != op->uid ||
	    !(f->present & IMAP_FETCH_BODY))
		return false;
	remember_uid(op->c, f->seq, f->uid);
	for (size_t i = 0; i < f->n_bodies; i++) {
		const struct imap_fetch_body *b = &f->bodies[i];

		if (b->section != NULL && strcmp(b->section, op->section) == 0 && b->data != NULL &&
		    (op->partial ? !b->has_origin || b->origin == 0 : !b->has_origin)) {
			if (op->data != NULL)
				g_bytes_unref(op->data);
			op->data = g_bytes_ref(b->data);
		}
	}
	if (f->present & IMAP_FETCH_FLAGS)
		handle_fetch_update(op->c, f);
	return true;
}

static void
body_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	  const char *detail, void *ud)
{
	struct body_op *op = ud;
	struct imap_client *c = op->c;

	if (st == TERN_OK && op->data == NULL) {
		char *d = g_strdup_printf(_("no message with UID %u in this folder"), op->uid);

		if (client_may_answer(c))
			op->done(c, TERN_ERR_MSG, d, NULL, op->ud);
		g_free(d);
	} else if (client_may_answer(c)) {
		op->done(c, st, detail, st == TERN_OK ? op->data : NULL, op->ud);
	}
	if (op->data != NULL)
		g_bytes_unref(op->data);
	g_free(op->section);
	g_free(op);
	after_command(c);
}

static bool
valid_section(const char *s)
{
	for (; *s != '\0'; s++)
		if (!g_ascii_isalnum(*s) && *s != '.')
			return false;
	return true;
}

static struct body_op *
body_op_new(struct imap_client *c, guint32 uid, const char *section, bool partial,
	    imap_body_fn *done, void *ud)
{
	struct body_op *op = g_new0(struct body_op, 1);

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->uid = uid;
	op->section = g_strdup(section);
	op->partial = partial;
	return op;
}

void
imap_client_fetch_body(struct imap_client *c, guint32 uid, const char *section, bool mark_seen,
		       imap_body_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = body_untagged, .done = body_done };
	struct body_op *op;
	GError *err = NULL;
	int rc;

	if (section == NULL)
		section = "";
	op = body_op_new(c, uid, section, false, done, ud);
	if (uid == 0 || !valid_section(section)) {
		/* Invalid arguments: no such message (no data), from the loop. */
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	before_command(c);
	if (section[0] == '\0')
		rc = client_submit(c, &h, op, &err,
				   mark_seen ? "UID FETCH %u (UID BODY[])" :
					     "UID FETCH %u (UID BODY.PEEK[])", uid);
	else
		rc = client_submit(c, &h, op, &err,
				   mark_seen ? "UID FETCH %u (UID BODY[%a])" :
					     "UID FETCH %u (UID BODY.PEEK[%a])", uid, section);
	if (rc < 0) {
		g_error_free(err);
		later_command(c, &h, op, TERN_OK, NULL);
	}
}

void
imap_client_fetch_head(struct imap_client *c, guint32 uid, guint32 max_bytes, bool mark_seen,
		       imap_body_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = body_untagged, .done = body_done };
	struct body_op *op = body_op_new(c, uid, "", true, done, ud);

	if (uid == 0 || max_bytes == 0) {
		/* Invalid arguments: no such message (no data), from the loop. */
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	before_command(c);
	if (client_submit(c, &h, op, NULL,
			  mark_seen ? "UID FETCH %u (UID BODY[]<0.%u>)" :
				      "UID FETCH %u (UID BODY.PEEK[]<0.%u>)", uid, max_bytes) < 0)
		later_command(c, &h, op, TERN_OK, NULL);
}

/* ------------------------------------------------------------------ */
/* BODYSTRUCTURE, flattened                                           */
/* ------------------------------------------------------------------ */

struct structure_op {
	struct imap_client *c;
	imap_structure_fn *done;
	void *ud;
	guint32 uid;
	GPtrArray *parts; /* struct imap_part *, or NULL until the FETCH came */
};

void
imap_part_free(struct imap_part *p)
{
	if (p == NULL)
		return;
	g_free(p->section);
	g_free(p->type);
	g_free(p->subtype);
	g_strfreev(p->params);
	g_free(p->disposition);
	g_strfreev(p->disposition_params);
	g_free(p->encoding);
	g_free(p);
}

/* The cache's form of a flattened structure (GVariant, by value). */
#define PARTS_VARIANT "a(sssasmsasmstiub)"

GBytes *
imap_parts_serialize(const GPtrArray *parts)
{
	GVariantBuilder b;
	GVariant *v;
	GBytes *out;

	g_variant_builder_init(&b, G_VARIANT_TYPE(PARTS_VARIANT));
	for (guint i = 0; i < parts->len; i++) {
		const struct imap_part *p = parts->pdata[i];
		const char *const none[] = { NULL };

		g_variant_builder_add(&b, "(sss^asms^asmstiub)", p->section, p->type, p->subtype,
				      p->params ? (const char *const *)p->params : none,
				      p->disposition,
				      p->disposition_params ?
					      (const char *const *)p->disposition_params : none,
				      p->encoding, (guint64)p->size, (gint32)p->parent,
				      (guint32)p->child, (gboolean)p->multipart);
	}
	v = g_variant_ref_sink(g_variant_builder_end(&b));
	out = g_variant_get_data_as_bytes(v);
	g_variant_unref(v);
	return out;
}

static bool
strv_even(char **v)
{
	return g_strv_length(v) % 2 == 0;
}

GPtrArray *
imap_parts_deserialize(GBytes *data)
{
	GVariant *raw = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(PARTS_VARIANT),
								    data, FALSE));
	GVariant *v = g_variant_get_normal_form(raw); /* the cache may be damaged */
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)imap_part_free);
	gsize n = g_variant_n_children(v);
	bool ok = n > 0 && n <= IMAP_DEFAULT_MAX_BODY_PARTS;

	for (gsize i = 0; i < n && ok; i++) {
		struct imap_part *p = g_new0(struct imap_part, 1);
		gint32 parent;
		guint32 child;
		gboolean multi;
		guint64 size;

		g_variant_get_child(v, i, "(sss^asms^asmstiub)", &p->section, &p->type, &p->subtype,
				    &p->params, &p->disposition, &p->disposition_params,
				    &p->encoding, &size, &parent, &child, &multi);
		p->size = size;
		p->parent = parent;
		p->child = child;
		p->multipart = multi;
		g_ptr_array_add(out, p);
		ok = (i == 0 ? parent == -1 : parent >= 0 && (gsize)parent < i) &&
		     strv_even(p->params) && strv_even(p->disposition_params);
	}
	g_variant_unref(v);
	g_variant_unref(raw);
	if (!ok)
		g_clear_pointer(&out, g_ptr_array_unref);
	return out;
}

static char **
params_strv(const struct imap_body_param *params, size_t n)
{
	char **v = g_new0(char *, 2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		v[2 * i] = g_strdup(params[i].name ? params[i].name : "");
		v[2 * i + 1] = g_strdup(params[i].value ? params[i].value : "");
	}
	return v;
}

/* Pre-order: a node, then its parts (or a message's enclosed body). The
 * tree is already bounded by the parser (depth and part count). */
static void
flatten_body(GPtrArray *out, const struct imap_body *b, int parent, unsigned child)
{
	struct imap_part *p = g_new0(struct imap_part, 1);
	int me = (int)out->len;

	p->section = g_strdup(b->section ? b->section : "");
	p->type = g_ascii_strdown(b->type ? b->type : "application", -1);
	p->subtype = g_ascii_strdown(b->subtype ? b->subtype : "octet-stream", -1);
	p->params = params_strv(b->params, b->n_params);
	p->disposition = b->disposition ? g_ascii_strdown(b->disposition, -1) : NULL;
	p->disposition_params = params_strv(b->disposition_params, b->n_disposition_params);
	p->encoding = b->encoding ? g_ascii_strdown(b->encoding, -1) : NULL;
	p->size = b->size;
	p->parent = parent;
	p->child = child;
	p->multipart = b->parts != NULL || g_ascii_strcasecmp(p->type, "multipart") == 0;
	g_ptr_array_add(out, p);
	for (size_t i = 0; i < b->n_parts; i++)
		flatten_body(out, &b->parts[i], me, (unsigned)i);
	if (b->message_body != NULL)
		flatten_body(out, b->message_body, me, 0);
}

static bool
structure_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct structure_op *op = ud;
	const struct imap_fetch *f = &r->u.fetch;

	if (r->type != IMAP_DATA_FETCH || !(f->present & IMAP_FETCH_UID) || f->uid != op->uid ||
	    !(f->present & IMAP_FETCH_BODYSTRUCTURE) || f->body == NULL)
		return false;
	remember_uid(op->c, f->seq, f->uid);
	if (op->parts != NULL)
		g_ptr_array_unref(op->parts);
	op->parts = g_ptr_array_new_with_free_func((GDestroyNotify)imap_part_free);
	flatten_body(op->parts, f->body, -1, 0);
	return true;
}

static void
structure_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	       const char *detail, void *ud)
{
	struct structure_op *op = ud;
	struct imap_client *c = op->c;

	if (st == TERN_OK && op->parts == NULL) {
		char *d = g_strdup_printf(_("no message with UID %u in this folder"), op->uid);

		if (client_may_answer(c))
			op->done(c, TERN_ERR_MSG, d, NULL, op->ud);
		g_free(d);
	} else if (client_may_answer(c)) {
		op->done(c, st, detail, st == TERN_OK ? op->parts : NULL, op->ud);
	}
	if (op->parts != NULL)
		g_ptr_array_unref(op->parts);
	g_free(op);
	after_command(c);
}

void
imap_client_fetch_structure(struct imap_client *c, guint32 uid, imap_structure_fn *done,
			    void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = structure_untagged,
						    .done = structure_done };
	struct structure_op *op = g_new0(struct structure_op, 1);

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->uid = uid;
	if (uid == 0) {
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	before_command(c);
	if (client_submit(c, &h, op, NULL, "UID FETCH %u (UID BODYSTRUCTURE)", uid) < 0)
		later_command(c, &h, op, TERN_OK, NULL);
}

/* ------------------------------------------------------------------ */
/* Several parts of one message in one UID FETCH                      */
/* ------------------------------------------------------------------ */

guint64
imap_client_received(struct imap_client *c)
{
	return c->received;
}

struct parts_op {
	struct imap_client *c;
	imap_parts_fn *done;
	void *ud;
	guint32 uid;
	guint what;
	char **sections;
	bool answered;  /* a FETCH for the UID came (its items may be NIL) */
	struct imap_parts_result res;
};

/* A section number as BODYSTRUCTURE numbers parts ("1", "2.1.3"): it is
 * written into the command's format text, so it may hold nothing else. */
static bool
section_number_ok(const char *s)
{
	unsigned levels = 0;

	if (*s == '\0' || strlen(s) > IMAP_MAX_SECTION_LEN)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.' && (p == s || p[-1] == '.' || p[1] == '\0' || ++levels > 64))
			return false;
		if (*p != '.' && !g_ascii_isdigit(*p))
			return false;
	}
	return true;
}

static int
section_index(const struct parts_op *op, const char *section, size_t len)
{
	for (guint i = 0; op->sections[i] != NULL; i++)
		if (strlen(op->sections[i]) == len && strncmp(op->sections[i], section, len) == 0)
			return (int)i;
	return -1;
}

static void
slot_set(GPtrArray *slots, int i, GBytes *data)
{
	if (i < 0 || data == NULL)
		return;
	if (slots->pdata[i] != NULL)
		g_bytes_unref(slots->pdata[i]);
	slots->pdata[i] = g_bytes_ref(data);
}

/* One body item of the answer into its slot: HEADER, N.MIME, or N. */
static void
parts_take_body(struct parts_op *op, const struct imap_fetch_body *b)
{
	size_t n;

	if (b->section == NULL || b->data == NULL || b->has_origin)
		return;
	n = strlen(b->section);
	if (strcmp(b->item, "BODY") == 0 && g_ascii_strcasecmp(b->section, "HEADER") == 0) {
		if (op->res.header != NULL)
			g_bytes_unref(op->res.header);
		op->res.header = g_bytes_ref(b->data);
	} else if (strcmp(b->item, "BODY") == 0 && n > 5 &&
		   g_ascii_strcasecmp(b->section + n - 5, ".MIME") == 0) {
		slot_set(op->res.mime, section_index(op, b->section, n - 5), b->data);
	} else if (strcmp(b->item, (op->what & IMAP_PARTS_BINARY) ? "BINARY" : "BODY") == 0) {
		slot_set(op->res.data, section_index(op, b->section, n), b->data);
	}
}

static bool
parts_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct parts_op *op = ud;
	const struct imap_fetch *f = &r->u.fetch;

	if (r->type != IMAP_DATA_FETCH || !(f->present & IMAP_FETCH_UID) || f->uid != op->uid ||
	    !(f->present & (IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE)))
		return false;
	remember_uid(op->c, f->seq, f->uid);
	op->answered = true;
	if ((f->present & IMAP_FETCH_BODYSTRUCTURE) && f->body != NULL) {
		if (op->res.structure != NULL)
			g_ptr_array_unref(op->res.structure);
		op->res.structure = g_ptr_array_new_with_free_func((GDestroyNotify)imap_part_free);
		flatten_body(op->res.structure, f->body, -1, 0);
	}
	for (size_t i = 0; i < f->n_bodies; i++)
		parts_take_body(op, &f->bodies[i]);
	if (f->present & IMAP_FETCH_FLAGS)
		handle_fetch_update(op->c, f);
	return true;
}

static void
parts_op_free(struct parts_op *op)
{
	if (op->res.structure != NULL)
		g_ptr_array_unref(op->res.structure);
	if (op->res.header != NULL)
		g_bytes_unref(op->res.header);
	g_ptr_array_unref(op->res.data);
	g_ptr_array_unref(op->res.mime);
	g_strfreev(op->sections);
	g_free(op);
}

static void
parts_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	   const char *detail, void *ud)
{
	struct parts_op *op = ud;
	struct imap_client *c = op->c;
	if (st == TERN_OK && !op->answered) {
		char *d = g_strdup_printf(_("no message with UID %u in this folder"), op->uid);

		if (client_may_answer(c))
			op->done(c, TERN_ERR_MSG, d, NULL, op->ud);
		g_free(d);
	} else if (client_may_answer(c)) {
		op->done(c, st, detail, st == TERN_OK ? &op->res : NULL, op->ud);
	}
	parts_op_free(op);
	after_command(c);
}

/* "UID FETCH %u (UID BODYSTRUCTURE BODY.PEEK[HEADER] BODY.PEEK[1.MIME]
 * BODY.PEEK[1] ...)": the sections were checked to be numbers. */
static char *
parts_format(const struct parts_op *op)
{
	GString *f = g_string_new("UID FETCH %u (UID");

	if (op->what & IMAP_PARTS_STRUCTURE)
		g_string_append(f, " BODYSTRUCTURE");
	if (op->what & IMAP_PARTS_HEADER)
		g_string_append(f, " BODY.PEEK[HEADER]");
	for (guint i = 0; op->sections[i] != NULL; i++) {
		if (op->what & IMAP_PARTS_MIME)
			g_string_append_printf(f, " BODY.PEEK[%s.MIME]", op->sections[i]);
		g_string_append_printf(f, " %s.PEEK[%s]",
				       (op->what & IMAP_PARTS_BINARY) ? "BINARY" : "BODY",
				       op->sections[i]);
	}
	g_string_append_c(f, ')');
	return g_string_free(f, FALSE);
}

void
imap_client_fetch_parts(struct imap_client *c, guint32 uid, guint what,
			const char *const *sections, imap_parts_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = parts_untagged,
						    .done = parts_done };
	struct parts_op *op = g_new0(struct parts_op, 1);
	guint n = sections != NULL ? g_strv_length((char **)sections) : 0;
	bool ok = uid != 0 && n <= IMAP_MAX_FETCH_SECTIONS &&
		  (n > 0 || (what & (IMAP_PARTS_STRUCTURE | IMAP_PARTS_HEADER)));
	char *fmt;

	op->c = c;
	op->done = done;
	op->ud = ud;
	op->uid = uid;
	op->what = what;
	op->sections = g_strdupv(n > 0 ? (char **)sections : (char *[]){ NULL });
	op->res.data = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	op->res.mime = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_ptr_array_set_size(op->res.data, (gint)n);
	g_ptr_array_set_size(op->res.mime, (gint)n);
	for (guint i = 0; i < n && ok; i++)
		ok = section_number_ok(sections[i]);
	if ((what & IMAP_PARTS_BINARY) && !imap_client_has_cap(c, "BINARY"))
		ok = false;
	if (!ok) {
		/* Invalid arguments: no such message (no data), from the loop. */
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	fmt = parts_format(op);
	before_command(c);
	if (client_submit(c, &h, op, NULL, fmt, uid) < 0)
		later_command(c, &h, op, TERN_OK, NULL);
	g_free(fmt);
}

/* ------------------------------------------------------------------ */
/* STORE, COPY, MOVE, EXPUNGE                                         */
/* ------------------------------------------------------------------ */

/* A chain of commands finished by one callback; the first failure wins. */
struct chain_op {
	struct imap_client *c;
	imap_done_fn *done;
	imap_copy_fn *copy_done;
	void *ud;
	guint pending;
	enum tern_status st;
	char *detail;
	bool trycreate;
	/* copy / move */
	GArray *uids;
	char *dest;
	bool move;
	int stage; /* 0 copy, 1 store \Deleted, 2 expunge */
	struct imap_copy_result result;
};

static struct chain_op *
chain_new(struct imap_client *c, const GArray *uids, void *ud)
{
	struct chain_op *op = g_new0(struct chain_op, 1);

	op->c = c;
	op->ud = ud;
	op->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (uids != NULL)
		g_array_append_vals(op->uids, uids->data, uids->len);
	return op;
}

static void
chain_free(struct chain_op *op)
{
	g_array_unref(op->uids);
	if (op->result.src_uids != NULL)
		g_array_unref(op->result.src_uids);
	if (op->result.dst_uids != NULL)
		g_array_unref(op->result.dst_uids);
	g_free(op->dest);
	g_free(op->detail);
	g_free(op);
}

static void
chain_note(struct chain_op *op, const struct imap_response *r, enum tern_status st,
	   const char *detail)
{
	if (r != NULL && r->u.status.code.code == IMAP_CODE_TRYCREATE)
		op->trycreate = true;
	if (r != NULL && r->u.status.code.code == IMAP_CODE_COPYUID) {
		const struct imap_resp_code *code = &r->u.status.code;
		size_t ns = 0, nd = 0;
		uint32_t *src = imap_seqset_to_array(code->set1, CLIENT_SEARCH_MAX, &ns, NULL);
		uint32_t *dst = imap_seqset_to_array(code->set2, CLIENT_SEARCH_MAX, &nd, NULL);

		/* COPYUID lists both sets in the same order; to_array sorts,
		 * which keeps the pairing for the usual ascending answers. */
		if (src != NULL && dst != NULL && ns == nd) {
			if (op->result.src_uids == NULL) {
				op->result.src_uids = g_array_new(FALSE, FALSE, sizeof(guint32));
				op->result.dst_uids = g_array_new(FALSE, FALSE, sizeof(guint32));
			}
			op->result.uidvalidity = code->number;
			g_array_append_vals(op->result.src_uids, src, ns);
			g_array_append_vals(op->result.dst_uids, dst, nd);
		}
		g_free(src);
		g_free(dst);
	}
	if (st != TERN_OK && op->st == TERN_OK) {
		op->st = st;
		op->detail = g_strdup(detail != NULL && detail[0] != '\0' ? detail :
				      _("the server refused"));
	}
}

static void
chain_finish(struct chain_op *op)
{
	struct imap_client *c = op->c;

	if (!client_may_answer(c))
		; /* imap_client_free(): no answer */
	else if (op->copy_done != NULL)
		op->copy_done(c, op->st, op->detail, &op->result, op->ud);
	else
		op->done(c, op->st, op->detail, op->ud);
	chain_free(op);
	after_command(c);
}

/* Queue one command per piece of op's UID set; fmt has %q first. Returns
 * how many were queued; arguments the builder refuses (a bad flag or
 * folder name) are noted on op as a usage error. */
static guint
submit_per_uidset(struct chain_op *op, const struct imap_cmd_handlers *h, const char *fmt,
		  const char *arg)
{
	char **sets = imap_uids_format((const uint32_t *)(const void *)op->uids->data,
				       op->uids->len, CLIENT_UIDSET_MAX);
	guint n = 0;

	for (char **s = sets; *s != NULL; s++) {
		struct imap_seqset *set = imap_seqset_parse(*s, -1, 0, NULL);
		GError *err = NULL;

		if (set == NULL)
			continue;
		if (client_submit(op->c, h, op, &err, fmt, set, arg) == 0) {
			n++;
		} else {
			chain_note(op, NULL, TERN_ERR_USAGE, err->message);
			g_error_free(err);
		}
		imap_seqset_free(&set);
	}
	g_strfreev(sets);
	return n;
}

static void
store_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	   const char *detail, void *ud)
{
	struct chain_op *op = ud;

	chain_note(op, r, st, detail);
	if (--op->pending == 0)
		chain_finish(op);
}

static bool
store_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	return false; /* flag echoes go to the event callback */
}

void
imap_client_store(struct imap_client *c, const GArray *uids, bool add, const char *const *flags,
		  imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = store_untagged,
						    .done = store_done };
	struct chain_op *op = chain_new(c, uids, ud);

	op->done = done;
	before_command(c);
	/* Our own hold on op while submitting (isync takes its reference the
	 * same way); no answer comes inside this call, but op is only
	 * released below, after the last write to it. */
	op->pending = 1;
	for (; flags != NULL && *flags != NULL; flags++)
		op->pending += submit_per_uidset(op, &h,
						 add ? "UID STORE %q +FLAGS.SILENT (%f)" :
						       "UID STORE %q -FLAGS.SILENT (%f)", *flags);
	if (op->pending == 1) {
		/* Nothing to send (no UIDs or flags): the hold is answered OK
		 * from the loop. */
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	op->pending--;
}

/* One UID STORE per flag on a set the caller names ("1:500", "1:*"): a
 * change to a whole folder is one command, not one per message. */
void
imap_client_store_range(struct imap_client *c, guint32 first, guint32 last, bool add,
			const char *const *flags, imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = store_untagged,
						    .done = store_done };
	struct chain_op *op = chain_new(c, NULL, ud);
	struct imap_seqset *set = imap_seqset_new();

	op->done = done;
	before_command(c);
	op->pending = 1; /* our hold while submitting, as in imap_client_store() */
	if (first != 0 && (last == IMAP_SEQ_STAR || first <= last)) {
		imap_seqset_add_range(set, first, last);
		for (; flags != NULL && *flags != NULL; flags++) {
			GError *err = NULL;

			if (client_submit(c, &h, op, &err,
					  add ? "UID STORE %q +FLAGS.SILENT (%f)" :
						"UID STORE %q -FLAGS.SILENT (%f)", set, *flags) == 0) {
				op->pending++;
			} else {
				chain_note(op, NULL, TERN_ERR_USAGE, err->message);
				g_error_free(err);
			}
		}
	}
	imap_seqset_free(&set);
	if (op->pending == 1) {
		later_command(c, &h, op, op->st, op->detail);
		return;
	}
	op->pending--;
}

static void move_step(struct chain_op *op);

static void
move_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	  const char *detail, void *ud)
{
	struct chain_op *op = ud;

	chain_note(op, r, st, detail);
	if (--op->pending > 0)
		return;
	if (op->st != TERN_OK) {
		if (op->trycreate) {
			g_free(op->detail);
			op->detail = g_strdup_printf(_("folder '%s' does not exist"), op->dest);
			op->st = TERN_ERR_FOLDER;
		}
		chain_finish(op);
		return;
	}
	op->stage++;
	move_step(op);
}

/* MOVE sends COPYUID in an untagged OK before its EXPUNGEs (RFC 6851). */
static bool
move_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	if (r->type != IMAP_DATA_STATUS || r->u.status.status != IMAP_STATUS_OK ||
	    r->u.status.code.code != IMAP_CODE_COPYUID)
		return false;
	chain_note(ud, r, TERN_OK, NULL);
	return true;
}

static void
move_step(struct chain_op *op)
{
	static const struct imap_cmd_handlers h = { .untagged = move_untagged,
						    .done = move_done };
	struct imap_client *c = op->c;
	bool native = imap_client_has_cap(c, "MOVE");

	op->pending = 1; /* our hold while submitting */
	if (op->stage == 0) {
		const char *fmt = !op->move ? "UID COPY %q %m" : native ? "UID MOVE %q %m" :
									  "UID COPY %q %m";

		op->pending += submit_per_uidset(op, &h, fmt, op->dest);
	} else if (op->stage == 1 && op->move && !native) {
		op->pending += submit_per_uidset(op, &h,
						 "UID STORE %q +FLAGS.SILENT (%f)", "\\Deleted");
	} else if (op->stage == 2 && op->move && !native) {
		if (imap_client_has_cap(c, "UIDPLUS"))
			op->pending += submit_per_uidset(op, &h, "UID EXPUNGE %q", NULL);
		else
			op->detail = g_strdup(_("copied; the originals are marked deleted but not "
						"expunged (the server lacks UIDPLUS)"));
	} else {
		/* Only reached from move_done(), on the loop. */
		op->pending = 0;
		chain_finish(op);
		return;
	}
	if (op->pending > 1) {
		op->pending--;
		return;
	}
	/* This stage sent nothing (refused, or nothing to do): move_done()
	 * takes it from the loop, with the hold. */
	later_command(c, &h, op, TERN_OK, NULL);
}

void
imap_client_copy(struct imap_client *c, const GArray *uids, const char *dest_folder, bool move,
		 imap_copy_fn *done, void *ud)
{
	struct chain_op *op = chain_new(c, uids, ud);

	op->copy_done = done;
	op->dest = g_strdup(dest_folder);
	op->move = move;
	before_command(c);
	if (op->uids->len == 0) {
		static const struct imap_cmd_handlers h = { .done = move_done };

		/* Nothing to copy: answered OK from the loop. */
		op->stage = 3;
		op->pending = 1;
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	move_step(op);
}

void
imap_client_expunge(struct imap_client *c, const GArray *uids, imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = store_untagged,
						    .done = store_done };
	struct chain_op *op = chain_new(c, uids, ud);

	op->done = done;
	before_command(c);
	op->pending = 1; /* our hold while submitting, as in imap_client_store() */
	if (!imap_client_has_cap(c, "UIDPLUS")) {
		later_command(c, &h, op, TERN_ERR_NO,
			      _("the server lacks UIDPLUS: tern never sends a plain EXPUNGE "
				"that could remove other clients' deleted messages"));
		return;
	}
	op->pending += submit_per_uidset(op, &h, "UID EXPUNGE %q", NULL);
	if (op->pending == 1) {
		later_command(c, &h, op, TERN_OK, NULL); /* no UIDs: nothing to do */
		return;
	}
	op->pending--;
}

/* ------------------------------------------------------------------ */
/* NOTIFY (RFC 5465)                                                  */
/* ------------------------------------------------------------------ */

struct notify_op {
	struct imap_client *c;
	imap_done_fn *done;
	void *ud;
};

static void
notify_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	struct notify_op *op = ud;
	struct imap_client *c = op->c;

	if (r != NULL && st != TERN_OK) {
		char *d = g_strdup_printf(_("the server refused NOTIFY: %s"),
					  server_text(r, _("no reason given")));

		if (client_may_answer(c))
			op->done(c, TERN_ERR_NO, d, op->ud);
		g_free(d);
	} else if (client_may_answer(c)) {
		op->done(c, st, detail, op->ud);
	}
	g_free(op);
	after_command(c);
}

void
imap_client_notify(struct imap_client *c, imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .done = notify_done };
	struct notify_op *op = g_new0(struct notify_op, 1);

	op->c = c;
	op->done = done;
	op->ud = ud;
	if (!imap_client_has_cap(c, "NOTIFY")) {
		later_command(c, &h, op, TERN_ERR_NO, _("the server does not offer NOTIFY"));
		return;
	}
	before_command(c);
	/* New mail without FETCH items: the selected folder's EXISTS leads
	 * to the same summary fetch as under IDLE. */
	client_submit(c, &h, op, NULL,
		      "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
		      "(personal (MessageNew MessageExpunge FlagChange))");
}

/* ------------------------------------------------------------------ */
/* IDLE and LOGOUT                                                    */
/* ------------------------------------------------------------------ */

static void
idle_continuation(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct imap_client *c = ud;

	/* "+ idling": nothing to do; a command queued meanwhile ends it. */
	if (!c->idling || imap_session_pending(s) > 1)
		before_command(c);
	else if (c->conn != NULL)
		net_conn_expect_reply(c->conn, FALSE);
}

static void
idle_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	  const char *detail, void *ud)
{
	struct imap_client *c = ud;

	c->idle_sent = false;
	c->idle_done_sent = false;
	if (r == NULL)
		return;
	if (st != TERN_OK)
		c->idling = false; /* the server does not want it; callers poll */
	after_command(c);
}

static gboolean
idle_restart(gpointer data)
{
	struct imap_client *c = data;

	/* IDLE is re-issued every 25 minutes (RFC 2177 asks for < 30). */
	if (c->idle_sent)
		before_command(c);
	return G_SOURCE_CONTINUE;
}

static void
client_send_idle(struct imap_client *c)
{
	static const struct imap_cmd_handlers h = { .continuation = idle_continuation,
						    .done = idle_done };

	if (!imap_client_has_cap(c, "IDLE") || c->selected == NULL)
		return;
	c->idle_sent = true;
	c->idle_done_sent = false;
	client_submit(c, &h, c, NULL, "IDLE");
}

void
imap_client_idle(struct imap_client *c)
{
	c->idling = true;
	if (c->idle_timer == 0)
		c->idle_timer = g_timeout_add_seconds(25 * 60, idle_restart, c);
	after_command(c);
}

void
imap_client_idle_stop(struct imap_client *c)
{
	c->idling = false;
	before_command(c);
}

struct logout_op {
	struct imap_client *c;
	imap_done_fn *done;
	void *ud;
};

static void
logout_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	struct logout_op *op = ud;

	if (op->done != NULL && client_may_answer(op->c))
		op->done(op->c, TERN_OK, NULL, op->ud);
	g_free(op);
}

void
imap_client_logout(struct imap_client *c, imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .done = logout_done };
	struct logout_op *op = g_new0(struct logout_op, 1);

	op->c = c;
	op->done = done;
	op->ud = ud;
	c->closing = true;
	c->idling = false;
	if (c->state != CLIENT_READY) {
		later_command(c, &h, op, TERN_OK, NULL); /* nothing to log out of */
		return;
	}
	before_command(c);
	client_submit(c, &h, op, NULL, "LOGOUT");
}

/* ------------------------------------------------------------------ */
/* APPEND                                                             */
/* ------------------------------------------------------------------ */

static void
append_done(struct imap_session *s, const struct imap_response *r, enum tern_status st,
	    const char *detail, void *ud)
{
	struct chain_op *op = ud;

	chain_note(op, r, st, detail);
	if (r != NULL && r->u.status.code.code == IMAP_CODE_APPENDUID) {
		size_t n = 0;
		uint32_t *uids = imap_seqset_to_array(r->u.status.code.set2, CLIENT_SEARCH_MAX, &n,
						      NULL);

		op->result.uidvalidity = r->u.status.code.number;
		op->result.dst_uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		if (uids != NULL)
			g_array_append_vals(op->result.dst_uids, uids, n);
		g_free(uids);
	}
	if (op->st != TERN_OK && op->trycreate) {
		g_free(op->detail);
		op->detail = g_strdup_printf(_("folder '%s' does not exist"), op->dest);
		op->st = TERN_ERR_FOLDER;
	}
	chain_finish(op);
}

void
imap_client_append(struct imap_client *c, const char *folder, const char *const *flags,
		   GBytes *data, imap_copy_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .done = append_done };
	struct chain_op *op = chain_new(c, NULL, ud);
	GString *fl = g_string_new(NULL);
	GError *err = NULL;
	gsize len;
	const void *bytes = g_bytes_get_data(data, &len);
	int rc;

	op->copy_done = done;
	op->dest = g_strdup(folder);
	/* Flags are checked one by one by the builder (%f) through STORE-like
	 * validation; APPEND takes them as one list, so accept only flags the
	 * builder would accept as atoms. */
	for (; flags != NULL && *flags != NULL; flags++) {
		char *q = imap_quote_astring(*flags, NULL);
		bool ok = q != NULL && strcmp(q, *flags) == 0;

		g_free(q);
		if (!ok && (*flags)[0] == '\\')
			ok = strspn(*flags + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
			     strlen(*flags + 1);
		if (!ok) {
			op->st = TERN_ERR_USAGE;
			op->detail = g_strdup_printf(_("bad flag '%s'"), *flags);
			break;
		}
		if (fl->len > 0)
			g_string_append_c(fl, ' ');
		g_string_append(fl, *flags);
	}
	if (op->st != TERN_OK) {
		/* Answer from the loop with the usage error. */
		g_string_free(fl, TRUE);
		later_command(c, &h, op, TERN_OK, NULL);
		return;
	}
	before_command(c);
	/* The flag list was validated above: atoms and \System flags only. */
	if (fl->len > 0) {
		char *fmt = g_strdup_printf("APPEND %%m (%s) %%L", fl->str);

		for (char *p = fmt; *p != '\0'; p++)
			if (*p == '%' && p[1] != 'm' && p[1] != 'L')
				*p = '_';
		rc = client_submit(c, &h, op, &err, fmt, folder, bytes, (size_t)len);
		g_free(fmt);
	} else {
		rc = client_submit(c, &h, op, &err, "APPEND %m %L", folder, bytes,
				   (size_t)len);
	}
	g_string_free(fl, TRUE);
	if (rc < 0) {
		later_command(c, &h, op, TERN_ERR_USAGE, err->message);
		g_error_free(err);
	}
}

/* ------------------------------------------------------------------ */
/* Resync of a cached folder (QRESYNC / CONDSTORE)                    */
/* ------------------------------------------------------------------ */

bool
imap_client_enabled(struct imap_client *c, const char *ext)
{
	if (test_disabled(ext))
		return false;
	if (g_ascii_strcasecmp(ext, "QRESYNC") == 0)
		return c->qresync;
	if (g_ascii_strcasecmp(ext, "CONDSTORE") == 0)
		return c->condstore;
	if (g_ascii_strcasecmp(ext, "UTF8=ACCEPT") == 0)
		return c->utf8;
	return false;
}

/* A SELECT whose VANISHED (EARLIER) and FETCH answers are collected; the
 * plain select_op does the rest and calls resync_select_finish(). */
struct resync_op {
	imap_resync_select_fn *done;
	void *ud;
	GArray *vanished; /* guint32 */
	GArray *changed;  /* struct imap_summary (flags only) */
};

static void
resync_op_free(gpointer ud)
{
	struct resync_op *rop = ud;

	for (guint i = 0; i < rop->changed->len; i++)
		imap_summary_clear(&g_array_index(rop->changed, struct imap_summary, i));
	g_array_unref(rop->changed);
	g_array_unref(rop->vanished);
	g_free(rop);
}

static void
resync_select_finish(struct imap_client *c, enum tern_status st, const char *detail,
		     const struct imap_mailbox_info *info, void *ud)
{
	struct resync_op *rop = ud;

	rop->done(c, st, detail, info, rop->vanished, rop->changed, rop->ud);
	resync_op_free(rop);
}

static bool
resync_select_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct select_op *op = ud;
	struct resync_op *rop = op->ud;

	if (r->type == IMAP_DATA_VANISHED && r->u.vanished.earlier) {
		size_t n = 0;
		uint32_t *uids = imap_seqset_to_array(r->u.vanished.uids, CLIENT_SEARCH_MAX, &n,
						      NULL);

		if (uids != NULL && rop->vanished->len + n <= CLIENT_SEARCH_MAX)
			g_array_append_vals(rop->vanished, uids, n);
		g_free(uids);
		return true;
	}
	if (r->type == IMAP_DATA_FETCH && (r->u.fetch.present & IMAP_FETCH_UID) &&
	    (r->u.fetch.present & IMAP_FETCH_FLAGS)) {
		struct imap_summary sum = { 0 };

		if (rop->changed->len >= CLIENT_EXISTS_MAX)
			return true;
		sum.uid = r->u.fetch.uid;
		sum.flags = flags_from_strv(r->u.fetch.flags, &sum.keywords);
		sum.modseq = r->u.fetch.modseq;
		g_array_append_val(rop->changed, sum);
		return true;
	}
	return select_untagged(s, r, ud);
}

void
imap_client_select_resync(struct imap_client *c, const char *folder, bool read_only,
			  guint32 uidvalidity, guint64 modseq, imap_resync_select_fn *done,
			  void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = resync_select_untagged,
						    .done = select_done };
	struct select_op *op = g_new0(struct select_op, 1);
	struct resync_op *rop = g_new0(struct resync_op, 1);
	GError *err = NULL;
	int rc;

	rop->done = done;
	rop->ud = ud;
	rop->vanished = g_array_new(FALSE, FALSE, sizeof(guint32));
	rop->changed = g_array_new(FALSE, TRUE, sizeof(struct imap_summary));
	op->c = c;
	op->done = resync_select_finish;
	op->muted = resync_op_free;
	op->ud = rop;
	op->name = g_strdup(folder);
	before_command(c);
	if (imap_client_enabled(c, "QRESYNC") && uidvalidity != 0 && modseq != 0)
		rc = client_submit(c, &h, op, &err,
				   read_only ? "EXAMINE %m (QRESYNC (%u %U))" :
					     "SELECT %m (QRESYNC (%u %U))",
				   folder, (unsigned int)uidvalidity, (uint64_t)modseq);
	else
		rc = client_submit(c, &h, op, &err,
				   read_only ? "EXAMINE %m" : "SELECT %m", folder);
	if (rc < 0) {
		char *d = g_strdup_printf(_("bad folder name: %s"), err->message);

		later_command(c, &h, op, TERN_ERR_USAGE, d);
		g_free(d);
		g_error_free(err);
	}
}

static bool
flags_untagged(struct imap_session *s, const struct imap_response *r, void *ud)
{
	struct summaries_op *op = ud;
	const struct imap_fetch *f = &r->u.fetch;
	struct imap_summary sum = { 0 };

	if (r->type != IMAP_DATA_FETCH || !(f->present & IMAP_FETCH_UID) ||
	    !(f->present & IMAP_FETCH_FLAGS))
		return false;
	remember_uid(op->c, f->seq, f->uid);
	sum.uid = f->uid;
	sum.flags = flags_from_strv(f->flags, &sum.keywords);
	sum.modseq = f->modseq;
	g_array_append_val(op->batch, sum);
	if (op->batch->len >= CLIENT_SUMMARY_BATCH)
		flush_batch(op);
	return true;
}

void
imap_client_fetch_flags(struct imap_client *c, const char *uidset, guint64 changedsince,
			imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud)
{
	static const struct imap_cmd_handlers h = { .untagged = flags_untagged,
						    .done = summaries_done };
	struct summaries_op *op = summaries_op_new(c, batch_fn, done, ud);
	struct imap_seqset *set;
	GError *err = NULL;
	int rc;

	if (changedsince != 0 && !imap_client_enabled(c, "CONDSTORE")) {
		later_command(c, &h, op, TERN_ERR_USAGE, _("CHANGEDSINCE needs CONDSTORE"));
		return;
	}
	set = imap_seqset_parse(uidset, -1, IMAP_SEQSET_ALLOW_STAR, &err);
	if (set == NULL) {
		later_command(c, &h, op, TERN_ERR_USAGE, err->message);
		g_error_free(err);
		return;
	}
	before_command(c);
	if (changedsince != 0)
		rc = client_submit(c, &h, op, &err, "UID FETCH %q (UID FLAGS) (CHANGEDSINCE %U)",
				   set, (uint64_t)changedsince);
	else
		rc = client_submit(c, &h, op, &err, "UID FETCH %q (UID FLAGS)", set);
	imap_seqset_free(&set);
	if (rc < 0) {
		later_command(c, &h, op, TERN_ERR_USAGE, err->message);
		g_error_free(err);
	}
}

/* tern — the sans-I/O IMAP command engine (see session.h). */
#include "config.h"

#include <string.h>

#include "core/common.h"
#include "core/imap/session.h"

/* Longest excerpt of a server response written to the protocol trace. */
#define SESSION_TRACE_MAX 300
/* Most pipelined commands in flight at once (imap_command.pipeline). */
#define SESSION_PIPELINE_MAX 32

struct pending_cmd {
	struct imap_command *cmd;
	struct imap_cmd_handlers h;
	void *ud;
	size_t next_chunk; /* first chunk not sent yet */
};

struct imap_session {
	struct imap_session_ops ops;
	void *ud;
	struct imap_parser *parser;
	struct imap_tag_counter tags;
	struct imap_command_options opts;
	GQueue queue;               /* struct pending_cmd *, not sent yet */
	/* Sent, not answered yet, oldest first: one command, or several that
	 * were all submitted with cmd->pipeline (none waits for a "+"). */
	GQueue flight;
	bool failed;
	bool stop_reading;
};

static void
pending_free(struct pending_cmd *p)
{
	imap_command_free(&p->cmd);
	g_free(p);
}

struct imap_session *
imap_session_new(const struct imap_session_ops *ops, const struct imap_limits *limits, void *ud)
{
	struct imap_session *s = g_new0(struct imap_session, 1);

	s->ops = *ops;
	s->ud = ud;
	s->parser = imap_parser_new(limits);
	imap_tag_counter_init(&s->tags, "t");
	s->opts.literal_mode = IMAP_LITERAL_SYNC;
	g_queue_init(&s->queue);
	g_queue_init(&s->flight);
	return s;
}

static void
finish(struct imap_session *s, struct pending_cmd *p, enum tern_status st, const char *detail)
{
	if (p->h.done != NULL)
		p->h.done(s, NULL, st, detail, p->ud);
	pending_free(p);
}

static void
finish_all(struct imap_session *s, enum tern_status st, const char *detail)
{
	struct pending_cmd *p;

	while ((p = g_queue_pop_head(&s->flight)) != NULL)
		finish(s, p, st, detail);
	while ((p = g_queue_pop_head(&s->queue)) != NULL)
		finish(s, p, st, detail);
}

void
imap_session_free(struct imap_session **sp)
{
	struct imap_session *s = *sp;

	if (s == NULL)
		return;
	s->failed = true;
	finish_all(s, TERN_ERR_CANCELLED, _("cancelled"));
	imap_parser_free(&s->parser);
	g_free(s);
	*sp = NULL;
}

struct imap_command_options *
imap_session_command_options(struct imap_session *s)
{
	return &s->opts;
}

void
imap_session_set_utf8_accept(struct imap_session *s, bool on)
{
	s->opts.utf8_accept = on;
	imap_parser_set_utf8_accept(s->parser, on);
}

static void
trace(struct imap_session *s, bool from_server, const char *line)
{
	if (s->ops.trace != NULL)
		s->ops.trace(s->ud, from_server, line);
}

/* Send chunks of p (the newest in flight) until one waits for "+". */
static void
send_chunks(struct imap_session *s, struct pending_cmd *p)
{
	while (p->next_chunk < p->cmd->n_chunks) {
		const struct imap_command_chunk *c = &p->cmd->chunks[p->next_chunk++];
		gsize len;
		const void *data = g_bytes_get_data(c->data, &len);

		s->ops.send(s->ud, data, len, false);
		/* A send that fails ends the session, and p with it. */
		if (s->failed || g_queue_peek_tail(&s->flight) != p || c->wait_continuation)
			break;
	}
}

/* A pipelined command sends all its chunks at once: none waits for "+",
 * and it has no use for one (AUTHENTICATE, IDLE). */
static bool
pipelinable(const struct pending_cmd *p)
{
	const struct imap_command *cmd = p->cmd;

	if (!cmd->pipeline || p->h.continuation != NULL)
		return false;
	for (size_t i = 0; i < cmd->n_chunks; i++)
		if (cmd->chunks[i].wait_continuation)
			return false;
	return true;
}

/* Whether the next queued command may go now: nothing in flight, or it
 * and everything in flight are pipelined and the depth cap leaves room.
 * The server answers pipelined commands in order (EXAMINE waits for the
 * commands before it), so their untagged data stays attributable. */
static bool
may_send(struct imap_session *s, const struct pending_cmd *next)
{
	const struct pending_cmd *last = g_queue_peek_tail(&s->flight);

	if (last == NULL)
		return true;
	return pipelinable(next) && pipelinable(last) &&
	       g_queue_get_length(&s->flight) < SESSION_PIPELINE_MAX;
}

static void
send_next(struct imap_session *s)
{
	while (!s->failed && !g_queue_is_empty(&s->queue) &&
	       may_send(s, g_queue_peek_head(&s->queue))) {
		struct pending_cmd *p = g_queue_pop_head(&s->queue);

		g_queue_push_tail(&s->flight, p);
		trace(s, false, p->cmd->log_line);
		send_chunks(s, p);
	}
}

struct imap_tag_counter *
imap_session_tags(struct imap_session *s)
{
	return &s->tags;
}

int
imap_session_submit(struct imap_session *s, const struct imap_cmd_handlers *h, void *ud,
		    GError **error, const char *fmt, ...)
{
	struct imap_command *cmd;
	va_list ap;

	va_start(ap, fmt);
	cmd = imap_command_newv(&s->tags, &s->opts, error, fmt, ap);
	va_end(ap);
	if (cmd == NULL)
		return -1;
	imap_session_submit_command(s, cmd, h, ud);
	return 0;
}

void
imap_session_submit_command(struct imap_session *s, struct imap_command *cmd,
			    const struct imap_cmd_handlers *h, void *ud)
{
	struct pending_cmd *p;

	p = g_new0(struct pending_cmd, 1);
	p->cmd = cmd;
	if (h != NULL)
		p->h = *h;
	p->ud = ud;
	if (s->failed) {
		/* Finished at once, inside this call (the session has no loop):
		 * the caller defers the answer (the client's later queue). */
		finish(s, p, TERN_ERR_CONN, _("the connection is closed"));
		return;
	}
	g_queue_push_tail(&s->queue, p);
	send_next(s);
}

void
imap_session_send_line(struct imap_session *s, const char *line, bool sensitive)
{
	char *buf;

	if (s->failed)
		return;
	trace(s, false, sensitive ? "<redacted>" : line);
	buf = g_strconcat(line, "\r\n", NULL);
	s->ops.send(s->ud, buf, strlen(buf), sensitive);
	g_free(buf);
}

bool
imap_session_idle(struct imap_session *s)
{
	return g_queue_is_empty(&s->flight) && g_queue_is_empty(&s->queue);
}

guint
imap_session_pending(struct imap_session *s)
{
	return g_queue_get_length(&s->queue) + g_queue_get_length(&s->flight);
}

void
imap_session_fail(struct imap_session *s, enum tern_status st, const char *detail)
{
	if (s->failed)
		return;
	s->failed = true;
	finish_all(s, st, detail);
	if (s->ops.failed != NULL)
		s->ops.failed(s->ud, st, detail);
}

void
imap_session_stop_reading(struct imap_session *s)
{
	s->stop_reading = true;
}

void
imap_session_reset_input(struct imap_session *s)
{
	imap_parser_reset(s->parser);
}

static void
trace_response(struct imap_session *s, const struct imap_response *r)
{
	gsize len;
	const char *raw;
	char *line;
	size_t n = 0;

	if (s->ops.trace == NULL || r->raw == NULL)
		return;
	raw = g_bytes_get_data(r->raw, &len);
	while (n < len && n < SESSION_TRACE_MAX && raw[n] != '\r' && raw[n] != '\n')
		n++;
	line = g_strndup(raw, n);
	trace(s, true, line);
	g_free(line);
}

/* The command in flight with this tag, or NULL. */
static GList *
flight_find(struct imap_session *s, const char *tag)
{
	for (GList *l = s->flight.head; l != NULL; l = l->next)
		if (strcmp(tag, ((struct pending_cmd *)l->data)->cmd->tag) == 0)
			return l;
	return NULL;
}

static void
dispatch_tagged(struct imap_session *s, const struct imap_response *r)
{
	GList *l = flight_find(s, r->tag);
	struct pending_cmd *p;
	enum tern_status st;

	if (l == NULL) {
		imap_session_fail(s, TERN_ERR_PROTOCOL,
				  _("the server answered a command that was not sent"));
		return;
	}
	p = l->data;
	g_queue_delete_link(&s->flight, l);
	switch (r->u.status.status) {
	case IMAP_STATUS_OK: st = TERN_OK; break;
	case IMAP_STATUS_NO: st = TERN_ERR_NO; break;
	default: st = TERN_ERR_PROTOCOL; break;
	}
	if (p->h.done != NULL)
		p->h.done(s, r, st, r->u.status.text, p->ud);
	pending_free(p);
	send_next(s);
}

static void
dispatch_continuation(struct imap_session *s, const struct imap_response *r)
{
	/* only the newest in flight may wait for a "+" (pipelinable()) */
	struct pending_cmd *p = g_queue_peek_tail(&s->flight);

	if (p == NULL) {
		imap_session_fail(s, TERN_ERR_PROTOCOL,
				  _("the server sent a continuation request nobody asked for"));
		return;
	}
	if (p->next_chunk > 0 && p->next_chunk < p->cmd->n_chunks &&
	    p->cmd->chunks[p->next_chunk - 1].wait_continuation) {
		send_chunks(s, p);
		return;
	}
	if (p->h.continuation != NULL)
		p->h.continuation(s, r, p->ud);
	else
		imap_session_fail(s, TERN_ERR_PROTOCOL,
				  _("the server sent a continuation request nobody asked for"));
}

/* An untagged response goes to the oldest command in flight: the server
 * answers pipelined commands in order, so it is the one being worked on
 * (an unsolicited FETCH or EXISTS meanwhile is not a later command's).
 * Only data that names its command (ESEARCH's TAG) may go to another. */
static bool
offer_untagged(struct imap_session *s, const struct imap_response *r)
{
	struct pending_cmd *p = g_queue_peek_head(&s->flight);
	GList *l;

	if (p != NULL && p->h.untagged != NULL && p->h.untagged(s, r, p->ud))
		return true;
	if (r->type != IMAP_DATA_ESEARCH || r->u.esearch.tag == NULL ||
	    (l = flight_find(s, r->u.esearch.tag)) == NULL || l->data == p)
		return false;
	p = l->data;
	return p->h.untagged != NULL && p->h.untagged(s, r, p->ud);
}

static void
dispatch(struct imap_session *s, const struct imap_response *r)
{
	trace_response(s, r);
	switch (r->kind) {
	case IMAP_RESPONSE_TAGGED:
		dispatch_tagged(s, r);
		break;
	case IMAP_RESPONSE_CONTINUATION:
		dispatch_continuation(s, r);
		break;
	case IMAP_RESPONSE_UNTAGGED:
		if (!offer_untagged(s, r) && s->ops.untagged != NULL)
			s->ops.untagged(s->ud, r);
		break;
	}
}

size_t
imap_session_feed(struct imap_session *s, const void *buf, size_t len)
{
	if (s->failed)
		return len;
	imap_parser_feed(s->parser, buf, len);
	while (!s->failed) {
		GError *err = NULL;
		struct imap_response *r = imap_parser_next(s->parser, &err);

		if (r == NULL) {
			if (err != NULL) {
				/* the parser's message says "IMAP protocol error: ..." */
				imap_session_fail(s, TERN_ERR_PROTOCOL, err->message);
				g_error_free(err);
			}
			break;
		}
		dispatch(s, r);
		imap_response_free(&r);
		if (s->stop_reading) {
			size_t rest = imap_parser_pending(s->parser);

			s->stop_reading = false;
			imap_parser_reset(s->parser);
			return rest <= len ? len - rest : 0;
		}
	}
	return len;
}

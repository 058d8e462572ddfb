/* tern — core/imap/session: the sans-I/O IMAP command engine.
 *
 * The session owns the response parser and the command queue. Bytes from
 * the server go in through imap_session_feed(); bytes for the server come
 * out through ops->send. It sends one command at a time (waiting for "+"
 * between the chunks of a command with synchronizing literals), routes each
 * untagged response first to the command in flight, then to ops->untagged,
 * and finishes each command with its done handler. No I/O, no timers: the
 * same session runs under the client on the main loop and in unit tests fed
 * with transcripts.
 */
#ifndef TERN_IMAP_SESSION_H
#define TERN_IMAP_SESSION_H

#include "core/common.h"
#include "core/imap/imap.h"

struct imap_session;

/* Handlers of one command; any may be NULL. ud is the command's own. */
struct imap_cmd_handlers {
	/* An untagged response while this command is in flight; return true
	 * when it was this command's data (else it goes to ops->untagged). */
	bool (*untagged)(struct imap_session *s, const struct imap_response *r, void *ud);
	/* A continuation request "+" that the command's chunks did not use
	 * (AUTHENTICATE, IDLE). The handler may call imap_session_send_line(). */
	void (*continuation)(struct imap_session *s, const struct imap_response *r, void *ud);
	/* The tagged answer (r->u.status), or r == NULL when the session
	 * failed or was closed before it came (st/detail say why). With
	 * r == NULL it may run inside imap_session_submit() (a session that
	 * has failed, or fails while sending): the caller defers what it
	 * tells its own caller. */
	void (*done)(struct imap_session *s, const struct imap_response *r, enum tern_status st,
		     const char *detail, void *ud);
};

struct imap_session_ops {
	/* Bytes to send to the server (always whole chunks). */
	void (*send)(void *ud, const void *buf, size_t len, bool sensitive);
	/* An untagged response no command claimed. */
	void (*untagged)(void *ud, const struct imap_response *r);
	/* The session failed for good (protocol error, violated bound): the
	 * connection must be closed. Commands are finished with r == NULL. */
	void (*failed)(void *ud, enum tern_status st, const char *detail);
	/* Protocol trace (one line, credentials already redacted); may be NULL. */
	void (*trace)(void *ud, bool from_server, const char *line);
};

/* Transfer full; ops is copied, ud is not owned. */
struct imap_session *imap_session_new(const struct imap_session_ops *ops,
				      const struct imap_limits *limits, void *ud);
/* Finishes every queued command with TERN_ERR_CANCELLED and frees. */
void imap_session_free(struct imap_session **s);

/* The command builder options in force (literal mode, UTF-8). */
struct imap_command_options *imap_session_command_options(struct imap_session *s);
void imap_session_set_utf8_accept(struct imap_session *s, bool on);

/* Feed received bytes. Returns how many were used: less than len only
 * when a handler called imap_session_stop_reading() (STARTTLS, COMPRESS),
 * in which case the bytes after the response that ended it are not used
 * (the caller discards or re-feeds them). */
size_t imap_session_feed(struct imap_session *s, const void *buf, size_t len);

/* From a handler: stop after the current response. With discard the
 * unused bytes are dropped (STARTTLS), else the return value of feed tells
 * the caller where they start (COMPRESS). */
void imap_session_stop_reading(struct imap_session *s);

/* Build a command from fmt (see imap_command_new) and queue it. Returns 0,
 * or -1 with *error set when the arguments are refused (nothing queued). */
int imap_session_submit(struct imap_session *s, const struct imap_cmd_handlers *h, void *ud,
			GError **error, const char *fmt, ...);

/* Queue a command built by the caller (transfer full); its tag must come
 * from imap_session_tags(). */
void imap_session_submit_command(struct imap_session *s, struct imap_command *cmd,
				 const struct imap_cmd_handlers *h, void *ud);
/* The session's tag counter, for imap_session_submit_command(). */
struct imap_tag_counter *imap_session_tags(struct imap_session *s);

/* Send one raw line (CRLF added) inside the command in flight: SASL
 * responses, "DONE" for IDLE. sensitive lines are redacted in the trace. */
void imap_session_send_line(struct imap_session *s, const char *line, bool sensitive);

/* True when no command is queued or in flight. */
bool imap_session_idle(struct imap_session *s);

/* Number of commands queued or in flight. */
guint imap_session_pending(struct imap_session *s);

/* Fail the session: finish every command with (st, detail), no more
 * input is parsed. Idempotent. */
void imap_session_fail(struct imap_session *s, enum tern_status st, const char *detail);

/* Drop buffered input and reset the parser (after STARTTLS). */
void imap_session_reset_input(struct imap_session *s);

#endif

/* tern — core/smtp: sending one message of the outbox (smtp.h). */
#include "config.h"

#include "core/log.h"
#include "core/smtp/smtp.h"

struct mark {
	struct store *s;
	gint64 id;
};

/* The server accepted DATA: from now on the message may arrive. */
static void
mark_sending(void *ud)
{
	struct mark *m = ud;
	GError *err = NULL;

	if (store_outbox_sending(m->s, m->id, &err) < 0) {
		log_warn("outbox: %s", err->message);
		g_error_free(err);
	}
}

static enum store_outbox_state
state_after(enum smtp_result r)
{
	switch (r) {
	case SMTP_REFUSED: return STORE_OUTBOX_FAILED;
	case SMTP_MAYBE_SENT: return STORE_OUTBOX_MAYBE_SENT;
	default: return STORE_OUTBOX_QUEUED;
	}
}

enum smtp_result
smtp_send_entry(struct store *s, const struct account *a, const struct store_outbox_entry *e,
		char **detail_r)
{
	struct mark m = { s, e->id };
	struct smtp_envelope env = {
		.sender = e->sender,
		.rcpts = (const char *const *)e->rcpts,
		.n_rcpts = g_strv_length(e->rcpts),
		.data = e->data,
	};
	GError *err = NULL;
	char *detail = NULL;
	enum smtp_result r = smtp_submit(a, &env, mark_sending, &m, &detail);
	int rc;

	if (r == SMTP_SENT)
		rc = store_outbox_sent(s, e, &err);
	else
		rc = store_outbox_failed(s, e->id, state_after(r), detail, &err);
	if (rc < 0) {
		/* the server's answer stands; the cache is behind (logged) */
		log_warn("outbox: %s: %s", e->message_id, err->message);
		g_error_free(err);
	}
	log_debug("outbox: %s: result %d", e->message_id, (int)r);
	if (detail_r != NULL)
		*detail_r = detail;
	else
		g_free(detail);
	return r;
}

/* tern — core/smtp: hand one message to the account's mail submission
 * server (DESIGN.md "Sending"): SMTP through libcurl with IMAP's TLS rules
 * (smtp_tls implicit, starttls — required, never downgraded — or none, to a
 * loopback host only; smtp_ca_file, else ca_file; an smtp_tls_fingerprint
 * pin on the whole certificate), AUTH with the account's secret lookup, a
 * timeout on time without progress; or the account's sendmail_command, run
 * without a shell, the message on its stdin and the recipients after "--".
 *
 * The call blocks (run it in a worker thread to keep a screen drawing: it
 * touches no global state but libcurl's, initialised once here). Every
 * recipient must be accepted: one refused RCPT aborts the whole send and
 * the detail names the address. */
#ifndef TERN_CORE_SMTP_H
#define TERN_CORE_SMTP_H

#include "core/common.h"
#include "core/config/config.h"
#include "core/store/store.h"

enum smtp_result {
	SMTP_SENT,       /* the server accepted the message */
	SMTP_RETRY,      /* not sent, try later: unreachable, timeout before the data, 4xx */
	SMTP_REFUSED,    /* not sent, and it will not be: a 5xx (the detail says to what) */
	SMTP_AUTH,       /* not sent: TLS not trusted or not possible (a refused or
			  * injected STARTTLS), AUTH refused or required (530, 534, 535, 538) */
	SMTP_MAYBE_SENT, /* the end of the data went out and no answer came back */
	SMTP_CONFIG,     /* nothing to send with, or the secret lookup failed */
};

/* The message: envelope sender, recipients (addr-specs) and the bytes as
 * transmitted (CRLF). Transfer none. */
struct smtp_envelope {
	const char *sender;
	const char *const *rcpts;
	guint n_rcpts;
	GBytes *data;
};

/* Called once, in the sending thread, right before the first byte of the
 * message goes out (the server accepted DATA; for sendmail_command, before
 * the command starts): from then on a failure may have delivered it. */
typedef void smtp_data_fn(void *ud);

/* Send env with the account's SMTP settings or sendmail_command. *detail_r
 * (may be NULL) gets a translated sentence for anything but SMTP_SENT (or
 * the server's final answer), transfer full. */
enum smtp_result smtp_submit(const struct account *a, const struct smtp_envelope *env,
			     smtp_data_fn *on_data, void *ud, char **detail_r);

/* tern config check: connect to smtp_host, EHLO, STARTTLS or TLS as set,
 * AUTH, QUIT; no message. SMTP_SENT when all went well (*detail_r: how,
 * e.g. "smtps://host:465; logged in"), else as smtp_submit(). Transfer full. */
enum smtp_result smtp_check_login(const struct account *a, char **detail_r);

/* True when the account can send at all (smtp_host or sendmail_command). */
bool smtp_configured(const struct account *a);

/* The exit status that goes with a result (0, 74, 1, 77, 74, 78). */
int smtp_result_exit_code(enum smtp_result r);

/* Send one claimed outbox row (store_outbox_claim()) and record what came
 * of it: SENDING when the data starts, then SENT (the original's flag to
 * the journal), QUEUED again (SMTP_RETRY, SMTP_AUTH, SMTP_CONFIG), FAILED
 * (SMTP_REFUSED) or MAYBE_SENT, with the detail. Blocks; in a thread, give
 * it a store of its own (store_open() on the same path). */
enum smtp_result smtp_send_entry(struct store *s, const struct account *a,
				 const struct store_outbox_entry *e, char **detail_r);

/* internal: sendmail.c */
enum smtp_result smtp_sendmail(const struct account *a, const struct smtp_envelope *env,
			       smtp_data_fn *on_data, void *ud, char **detail_r);

#endif

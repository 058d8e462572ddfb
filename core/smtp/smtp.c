/* tern — core/smtp: SMTP submission through libcurl (smtp.h). */
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "core/smtp/smtp.h"

/* Seconds to establish the connection (as IMAP's connect). */
#define SMTP_CONNECT_TIMEOUT_S 15
/* Longest server reply line kept for a message. */
#define SMTP_MAX_REPLY 512

/* One transfer. */
struct xfer {
	const struct account *a;
	const guint8 *data;
	gsize len, pos;
	bool started;    /* the first byte of the message was asked for (DATA accepted) */
	bool eof;        /* all of it was handed over: the final "." follows */
	bool pin_failed;
	bool logged_in;  /* a 235 answered AUTH */
	smtp_data_fn *on_data;
	void *ud;
	char *last_cmd;  /* the last command sent (AUTH redacted) */
	char *last_rcpt; /* the address of the last RCPT TO */
	char *last_reply;
	char *fail_cmd;  /* the command the first 4xx/5xx answered, and that answer */
	char *fail_reply;
	char *fail_rcpt; /* the address, when fail_cmd is a RCPT */
};

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t room = size * nitems, n = MIN(room, x->len - x->pos);

	if (!x->started) {
		x->started = true;
		if (x->on_data != NULL)
			x->on_data(x->ud);
	}
	memcpy(buf, x->data + x->pos, n);
	x->pos += n;
	if (x->pos == x->len) /* libcurl, knowing the size, may not ask again */
		x->eof = true;
	return n;
}

/* A copy of a protocol line without its line end, bounded. */
static char *
line_of(const char *data, size_t size)
{
	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	return g_strndup(data, MIN(size, SMTP_MAX_REPLY));
}

static bool
command_is_safe(const char *line)
{
	static const char *const safe[] = { "EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT",
					    "STARTTLS", "RSET", "NOOP", NULL };

	for (const char *const *s = safe; *s != NULL; s++)
		if (g_ascii_strncasecmp(line, *s, strlen(*s)) == 0)
			return true;
	return false;
}

/* The reply code of a reply line, 0 when it has none. */
static int
reply_code(const char *line)
{
	if (line == NULL || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
	    !g_ascii_isdigit(line[2]) || (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
		return 0;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* The first refusal is what the user needs to read: what libcurl says
 * after it (the answer to QUIT, or RSET) says nothing. */
static void
keep_failure(struct xfer *x, const char *line)
{
	if (x->fail_reply != NULL || reply_code(line) < 400)
		return;
	x->fail_reply = g_strdup(line);
	x->fail_cmd = g_strdup(x->last_cmd != NULL ? x->last_cmd : "");
	if (g_ascii_strncasecmp(x->fail_cmd, "RCPT", 4) == 0 && x->last_rcpt != NULL)
		x->fail_rcpt = g_strdup(x->last_rcpt);
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	struct xfer *x = ud;
	char *line;

	if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN) {
		if (type == CURLINFO_TEXT && log_enabled()) {
			line = line_of(data, size);
			log_debug("smtp: * %s", line);
			g_free(line);
		}
		return 0;
	}
	line = line_of(data, size);
	if (type == CURLINFO_HEADER_OUT) {
		if (!command_is_safe(line)) { /* AUTH and its answers */
			g_free(line);
			line = g_strdup(g_ascii_strncasecmp(line, "AUTH", 4) == 0 ?
						"AUTH <redacted>" : "<redacted>");
		}
		if (g_ascii_strncasecmp(line, "RCPT TO:", 8) == 0) {
			g_free(x->last_rcpt);
			x->last_rcpt = g_strdup(line + 8);
			g_strdelimit(x->last_rcpt, "<>", ' ');
			g_strstrip(x->last_rcpt);
		}
		log_debug("smtp: > %s", line);
		g_free(x->last_cmd);
		x->last_cmd = line;
	} else {
		log_debug("smtp: < %s", line);
		keep_failure(x, line);
		x->logged_in |= reply_code(line) == 235;
		g_free(x->last_reply);
		x->last_reply = line;
	}
	return 0;
}

/* The pin decides: the whole certificate's SHA-256. */
static int
pin_verify(X509_STORE_CTX *xs, void *arg)
{
	struct xfer *x = arg;
	X509 *cert = X509_STORE_CTX_get0_cert(xs);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (cert != NULL && X509_digest(cert, EVP_sha256(), md, &len) == 1 && len == 32 &&
	    CRYPTO_memcmp(md, x->a->smtp_tls_fingerprint_sha256, 32) == 0)
		return 1;
	x->pin_failed = true;
	return 0;
}

static CURLcode
ssl_ctx_cb(CURL *h, void *ctx, void *ud)
{
	struct xfer *x = ud;
	const char *ca = x->a->smtp_ca_file != NULL ? x->a->smtp_ca_file : x->a->ca_file;

	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (x->a->smtp_tls_fingerprint != NULL)
		SSL_CTX_set_cert_verify_callback(ctx, pin_verify, x);
	else if (ca != NULL && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

/* libcurl, opened when tern first sends (tern_lib_load()). */
static struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *h);
	const char *(*easy_strerror)(CURLcode code);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} curl_api;

#define CURL_SYMBOL(f) { "curl_" #f, offsetof(struct curl_api, f) }

/* NULL, or why libcurl cannot be used (kept for the process). */
static gpointer
global_init(gpointer unused)
{
	static const struct tern_lib_symbol syms[] = {
		CURL_SYMBOL(global_init), CURL_SYMBOL(easy_init), CURL_SYMBOL(easy_setopt),
		CURL_SYMBOL(easy_perform), CURL_SYMBOL(easy_strerror), CURL_SYMBOL(easy_cleanup),
		CURL_SYMBOL(easy_getinfo), CURL_SYMBOL(slist_append), CURL_SYMBOL(slist_free_all),
	};
	char *error = NULL;

	if (tern_lib_load(TERN_CURL_SONAME, syms, TERN_ARRAY_LEN(syms), &curl_api, &error) < 0)
		return error;
	if (curl_api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return g_strdup(_("libcurl could not be initialised"));
	return NULL;
}

/* A handle, or NULL with *detail_r when libcurl cannot be had. */
static CURL *
curl_open(char **detail_r)
{
	static GOnce once = G_ONCE_INIT;
	const char *error = g_once(&once, global_init, NULL);
	CURL *h = error == NULL ? curl_api.easy_init() : NULL;

	if (h == NULL)
		*detail_r = g_strdup_printf(_("cannot send: %s"),
					    error != NULL ? error : _("libcurl gave no handle"));
	return h;
}

bool
smtp_configured(const struct account *a)
{
	return a->smtp_host != NULL || a->sendmail_command != NULL;
}

int
smtp_result_exit_code(enum smtp_result r)
{
	switch (r) {
	case SMTP_SENT: return TERN_EXIT_OK;
	case SMTP_RETRY: return TERN_EXIT_IOERR;
	case SMTP_REFUSED: return TERN_EXIT_FAILURE;
	case SMTP_AUTH: return TERN_EXIT_NOPERM;
	case SMTP_MAYBE_SENT: return TERN_EXIT_IOERR;
	case SMTP_CONFIG: return TERN_EXIT_CONFIG;
	}
	return TERN_EXIT_FAILURE;
}

static char *
smtp_url(const struct account *a)
{
	bool v6 = strchr(a->smtp_host, ':') != NULL;

	return g_strdup_printf("%s://%s%s%s:%u", a->smtp_tls == CONFIG_TLS_IMPLICIT ? "smtps" : "smtp",
			       v6 ? "[" : "", a->smtp_host, v6 ? "]" : "", a->smtp_port);
}

/* Login settings; -1 with *detail_r when the secret cannot be had. */
static int
set_login(CURL *h, const struct account *a, char **secret_r, char **detail_r)
{
	static const char *const mech[] = {
		[CONFIG_SMTP_AUTH_PLAIN] = "AUTH=PLAIN", [CONFIG_SMTP_AUTH_LOGIN] = "AUTH=LOGIN",
		[CONFIG_SMTP_AUTH_XOAUTH2] = "AUTH=XOAUTH2",
		[CONFIG_SMTP_AUTH_OAUTHBEARER] = "AUTH=OAUTHBEARER",
	};
	GError *err = NULL;

	if (a->smtp_auth == CONFIG_SMTP_AUTH_NONE)
		return 0;
	if (account_get_smtp_secret(a, secret_r, &err) < 0) {
		if (g_error_matches(err, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD) &&
		    a->smtp_auth == CONFIG_SMTP_AUTH_AUTO) {
			g_error_free(err); /* no secret at all: send without AUTH */
			return 0;
		}
		*detail_r = g_strdup(err->message);
		g_error_free(err);
		return -1;
	}
	curl_api.easy_setopt(h, CURLOPT_USERNAME, account_smtp_user(a));
	if (a->smtp_auth == CONFIG_SMTP_AUTH_XOAUTH2 || a->smtp_auth == CONFIG_SMTP_AUTH_OAUTHBEARER)
		curl_api.easy_setopt(h, CURLOPT_XOAUTH2_BEARER, *secret_r);
	else
		curl_api.easy_setopt(h, CURLOPT_PASSWORD, *secret_r);
	if (a->smtp_auth != CONFIG_SMTP_AUTH_AUTO)
		curl_api.easy_setopt(h, CURLOPT_LOGIN_OPTIONS, mech[a->smtp_auth]);
	return 0;
}

static void
set_transport(CURL *h, const struct account *a, struct xfer *x, char *url)
{
	curl_api.easy_setopt(h, CURLOPT_URL, url);
	curl_api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)SMTP_CONNECT_TIMEOUT_S);
	curl_api.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_api.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)a->timeout);
	curl_api.easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)a->timeout);
	curl_api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (a->smtp_tls == CONFIG_TLS_STARTTLS)
		curl_api.easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (a->smtp_tls != CONFIG_TLS_NONE) {
		curl_api.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_api.easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
				     a->smtp_tls_fingerprint != NULL ? 0L : 2L);
		curl_api.easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		curl_api.easy_setopt(h, CURLOPT_SSL_CTX_DATA, x);
	}
	curl_api.easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_api.easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_api.easy_setopt(h, CURLOPT_DEBUGDATA, x);
}

/* What a refusal means: the login (530 authentication required, 534, 535
 * credentials refused, 538 encryption required) is the user's to fix, as
 * is a refused recipient; anything else 5xx is the message's. */
static enum smtp_result
classify_refusal(struct xfer *x, int code, char **detail_r)
{
	const char *reply = x->fail_reply != NULL ? x->fail_reply : x->last_reply;

	if (reply == NULL)
		reply = "";
	if (code == 530 || code == 534 || code == 535 || code == 538) {
		*detail_r = g_strdup_printf(_("the SMTP server refused the login: %s"), reply);
		return SMTP_AUTH;
	}
	if (x->fail_rcpt != NULL && code >= 500) {
		*detail_r = g_strdup_printf(_("the SMTP server refused the recipient %s: %s"),
					    x->fail_rcpt, reply);
		return SMTP_REFUSED;
	}
	if (code >= 500) {
		*detail_r = g_strdup_printf(_("the SMTP server refused the message: %s"), reply);
		return SMTP_REFUSED;
	}
	*detail_r = g_strdup_printf(_("the SMTP server said to try later: %s"), reply);
	return SMTP_RETRY;
}

/* What a failed transfer means. */
static enum smtp_result
classify(CURL *h, CURLcode rc, struct xfer *x, const char *errbuf, char **detail_r)
{
	long code = 0;
	const char *reply = x->fail_reply != NULL ? x->fail_reply :
			    x->last_reply != NULL ? x->last_reply : "";

	curl_api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (x->fail_reply != NULL)
		code = reply_code(x->fail_reply);
	if (x->last_cmd != NULL && g_ascii_strncasecmp(x->last_cmd, "STARTTLS", 8) == 0 &&
	    code < 400 && rc != CURLE_PEER_FAILED_VERIFICATION && !x->pin_failed) {
		/* libcurl refuses a STARTTLS answer with data behind it (an
		 * injection before the handshake), or the handshake failed */
		*detail_r = g_strdup_printf(_("SMTP STARTTLS failed, nothing was sent in clear: "
					      "%s"), errbuf);
		return SMTP_AUTH;
	}
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		*detail_r = g_strdup_printf(_("the SMTP server refused the login: %s"), reply);
		return SMTP_AUTH;
	case CURLE_USE_SSL_FAILED:
		*detail_r = g_strdup(_("the SMTP server does not offer STARTTLS; tern does not "
				       "send in clear"));
		return SMTP_AUTH;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		*detail_r = x->pin_failed ?
				    g_strdup(_("the SMTP server's certificate does not match "
					       "smtp_tls_fingerprint")) :
				    g_strdup_printf(_("SMTP TLS: %s"), errbuf);
		return SMTP_AUTH;
	default:
		break;
	}
	if (x->eof && code < 400) {
		*detail_r = g_strdup_printf(_("the connection ended after the whole message was "
					      "sent and before the server answered (%s): it may "
					      "have been delivered"), errbuf);
		return SMTP_MAYBE_SENT;
	}
	if (code >= 400)
		return classify_refusal(x, (int)code, detail_r);
	*detail_r = g_strdup_printf(_("cannot reach the SMTP server %s: %s"), x->a->smtp_host,
				    errbuf);
	return SMTP_RETRY;
}

static enum smtp_result
submit_curl(const struct account *a, const struct smtp_envelope *env, smtp_data_fn *on_data,
	    void *ud, char **detail_r)
{
	struct xfer x = { .a = a, .on_data = on_data, .ud = ud };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpts = NULL;
	char *url = smtp_url(a), *from, *secret = NULL;
	enum smtp_result res = SMTP_CONFIG;
	CURLcode rc;
	CURL *h;

	h = curl_open(detail_r);
	if (h == NULL) {
		g_free(url);
		return SMTP_CONFIG;
	}
	x.data = g_bytes_get_data(env->data, &x.len);
	set_transport(h, a, &x, url);
	if (set_login(h, a, &secret, detail_r) < 0)
		goto out;
	from = g_strdup_printf("<%s>", env->sender);
	curl_api.easy_setopt(h, CURLOPT_MAIL_FROM, from);
	for (guint i = 0; i < env->n_rcpts; i++) {
		char *r = g_strdup_printf("<%s>", env->rcpts[i]);

		rcpts = curl_api.slist_append(rcpts, r);
		g_free(r);
	}
	curl_api.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_api.easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_api.easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_api.easy_setopt(h, CURLOPT_READDATA, &x);
	curl_api.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x.len);
	curl_api.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_api.easy_perform(h);
	if (errbuf[0] == '\0')
		g_strlcpy(errbuf, curl_api.easy_strerror(rc), sizeof errbuf);
	if (rc == CURLE_OK) {
		res = SMTP_SENT;
		*detail_r = g_strdup(x.last_reply != NULL ? x.last_reply : "");
	} else {
		res = classify(h, rc, &x, errbuf, detail_r);
	}
	log_debug("smtp: result %d (curl %d): %s", (int)res, (int)rc, *detail_r);
	g_free(from);
out:
	curl_api.slist_free_all(rcpts);
	curl_api.easy_cleanup(h);
	config_secret_free(&secret);
	g_free(url);
	g_free(x.last_cmd);
	g_free(x.last_rcpt);
	g_free(x.last_reply);
	g_free(x.fail_cmd);
	g_free(x.fail_reply);
	g_free(x.fail_rcpt);
	return res;
}

enum smtp_result
smtp_check_login(const struct account *a, char **detail_r)
{
	struct xfer x = { .a = a };
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = smtp_url(a), *secret = NULL, *detail = NULL;
	enum smtp_result res = SMTP_CONFIG;
	CURLcode rc;
	CURL *h;

	h = curl_open(&detail);
	if (h == NULL) {
		g_free(url);
		goto done;
	}
	set_transport(h, a, &x, url);
	if (set_login(h, a, &secret, &detail) < 0)
		goto out;
	curl_api.easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L); /* greeting, EHLO, TLS, AUTH */
	curl_api.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_api.easy_perform(h);
	if (errbuf[0] == '\0')
		g_strlcpy(errbuf, curl_api.easy_strerror(rc), sizeof errbuf);
	if (rc == CURLE_OK) {
		res = SMTP_SENT;
		detail = g_strdup_printf("%s%s; %s", url,
					 a->smtp_tls == CONFIG_TLS_STARTTLS ? " (STARTTLS)" : "",
					 x.logged_in ? _("logged in") : _("no login"));
	} else {
		res = classify(h, rc, &x, errbuf, &detail);
	}
	log_debug("smtp: check %d (curl %d): %s", (int)res, (int)rc, detail);
out:
	curl_api.easy_cleanup(h); /* QUIT */
	config_secret_free(&secret);
	g_free(url);
	g_free(x.last_cmd);
	g_free(x.last_rcpt);
	g_free(x.last_reply);
	g_free(x.fail_cmd);
	g_free(x.fail_reply);
	g_free(x.fail_rcpt);
done:
	if (detail_r != NULL)
		*detail_r = detail;
	else
		g_free(detail);
	return res;
}

enum smtp_result
smtp_submit(const struct account *a, const struct smtp_envelope *env, smtp_data_fn *on_data,
	    void *ud, char **detail_r)
{
	char *detail = NULL;
	enum smtp_result r;

	if (a->sendmail_command != NULL)
		r = smtp_sendmail(a, env, on_data, ud, &detail);
	else if (a->smtp_host != NULL)
		r = submit_curl(a, env, on_data, ud, &detail);
	else {
		r = SMTP_CONFIG;
		detail = g_strdup_printf(_("account '%s' has neither 'smtp_host' nor "
					   "'sendmail_command': tern cannot send"), a->name);
	}
	if (detail_r != NULL)
		*detail_r = detail;
	else
		g_free(detail);
	return r;
}

/* tern — core/net: TLS with OpenSSL 3 over memory BIOs.
 *
 * conn.c reads and writes the socket; this file only turns ciphertext into
 * plaintext and back, and decides whether the peer is trusted: the system
 * CA store plus ca_file and the host name, or else a SHA-256 pin of the
 * leaf certificate. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include <gio/gio.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/net/net-private.h"

#define NET_TLS_NAMES_MAX 4 /* certificate names quoted in an error */

struct net_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	char *host;
	gboolean have_pin;
	guint8 pin[32];
	/* first verification failure seen by verify_cb */
	int verr;
	int vdepth;
	X509 *vcert;
};

static char *
openssl_error(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return g_strdup(r ? r : _("unknown error"));
}

int
net_fingerprint_parse(const char *text, guint8 digest_r[32], char **err_r)
{
	const char *p = text;
	int n = 0;

	if (g_ascii_strncasecmp(p, "sha256:", 7) == 0)
		p += 7;
	for (; *p; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (!g_ascii_isxdigit(*p) || n >= 64)
			goto bad;
		if (n % 2 == 0)
			digest_r[n / 2] = (guint8)(g_ascii_xdigit_value(*p) << 4);
		else
			digest_r[n / 2] |= (guint8)g_ascii_xdigit_value(*p);
		n++;
	}
	if (n == 64)
		return 0;
bad:
	if (err_r)
		*err_r = g_strdup(_("a fingerprint is \"sha256:\" and 64 hex digits"));
	return -1;
}

static char *
format_fingerprint(const guint8 *md, unsigned len)
{
	GString *s = g_string_new("sha256:");

	for (unsigned i = 0; i < len; i++)
		g_string_append_printf(s, i ? ":%02X" : "%02X", md[i]);
	return g_string_free(s, FALSE);
}

/* "a.example, b.example" from the SANs, else the subject CN. */
static char *
cert_names(X509 *cert)
{
	GString *s = g_string_new(NULL);
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int count = 0;

	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		char *name = NULL;

		if (gn->type == GEN_DNS) {
			const unsigned char *d = ASN1_STRING_get0_data(gn->d.dNSName);
			name = g_strndup((const char *)d, ASN1_STRING_length(gn->d.dNSName));
		} else if (gn->type == GEN_IPADD) {
			const unsigned char *d = ASN1_STRING_get0_data(gn->d.iPAddress);
			int l = ASN1_STRING_length(gn->d.iPAddress);
			GInetAddress *a = NULL;

			if (l == 4 || l == 16)
				a = g_inet_address_new_from_bytes(d, l == 4 ? G_SOCKET_FAMILY_IPV4
									    : G_SOCKET_FAMILY_IPV6);
			if (a)
				name = g_inet_address_to_string(a);
			g_clear_object(&a);
		}
		if (!name)
			continue;
		if (count == NET_TLS_NAMES_MAX) {
			g_string_append(s, ", ...");
			g_free(name);
			break;
		}
		g_string_append_printf(s, "%s%s", count ? ", " : "", name);
		count++;
		g_free(name);
	}
	GENERAL_NAMES_free(sans);
	if (count == 0) {
		char cn[256];

		if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
					      sizeof(cn)) > 0)
			g_string_append(s, cn);
		else
			g_string_append(s, _("no name"));
	}
	return g_string_free(s, FALSE);
}

static int
verify_cb(int ok, X509_STORE_CTX *xctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct net_tls *t = SSL_get_app_data(ssl);

	if (t->have_pin)
		return 1; /* the pin decides, after the handshake */
	if (!ok && t->verr == 0) {
		t->verr = X509_STORE_CTX_get_error(xctx);
		t->vdepth = X509_STORE_CTX_get_error_depth(xctx);
		t->vcert = X509_STORE_CTX_get0_cert(xctx);
		if (t->vcert)
			X509_up_ref(t->vcert);
	}
	return ok;
}

static int
setup_ctx(struct net_tls *t, const char *ca_file, enum tern_status *st_r, char **err_r)
{
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(t->ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, verify_cb);
	if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
		ERR_clear_error(); /* no system store: ca_file or a pin may do */
	if (ca_file && SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1) {
		char *why = openssl_error();

		*st_r = TERN_ERR_CONFIG;
		*err_r = g_strdup_printf(_("cannot load ca_file %s: %s"), ca_file, why);
		g_free(why);
		return -1;
	}
	return 0;
fail:
	*st_r = TERN_ERR_AUTH;
	*err_r = openssl_error();
	return -1;
}

static int
setup_ssl(struct net_tls *t, enum tern_status *st_r, char **err_r)
{
	t->ssl = SSL_new(t->ctx);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rbio || !t->wbio) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		t->rbio = t->wbio = NULL;
		goto fail;
	}
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_app_data(t->ssl, t);
	SSL_set_connect_state(t->ssl);
	if (g_hostname_is_ip_address(t->host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), t->host) != 1)
			goto fail;
	} else {
		if (SSL_set_tlsext_host_name(t->ssl, t->host) != 1 ||
		    SSL_set1_host(t->ssl, t->host) != 1)
			goto fail;
	}
	return 0;
fail:
	*st_r = TERN_ERR_AUTH;
	*err_r = openssl_error();
	return -1;
}

int
net_tls_new(struct net_tls **t_r, const char *host, const char *ca_file, const char *fingerprint,
	    enum tern_status *st_r, char **err_r)
{
	struct net_tls *t = g_new0(struct net_tls, 1);

	t->host = g_strdup(host ? host : "");
	if (fingerprint) {
		if (net_fingerprint_parse(fingerprint, t->pin, err_r) < 0) {
			*st_r = TERN_ERR_CONFIG;
			goto fail;
		}
		t->have_pin = TRUE;
	}
	if (setup_ctx(t, ca_file, st_r, err_r) < 0 || setup_ssl(t, st_r, err_r) < 0)
		goto fail;
	*t_r = t;
	return 0;
fail:
	net_tls_free(&t);
	return -1;
}

void
net_tls_free(struct net_tls **tp)
{
	struct net_tls *t = *tp;

	if (!t)
		return;
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	X509_free(t->vcert);
	g_free(t->host);
	g_free(t);
	*tp = NULL;
}

void
net_tls_feed(struct net_tls *t, const void *p, gsize n)
{
	while (n > 0) {
		int chunk = n > G_MAXINT ? G_MAXINT : (int)n;
		int w = BIO_write(t->rbio, p, chunk);

		g_assert(w == chunk); /* memory BIOs grow */
		p = (const guint8 *)p + w;
		n -= (gsize)w;
	}
}

int
net_tls_drain(struct net_tls *t, struct net_buf *out)
{
	char tmp[16384];
	int n;

	while ((n = BIO_read(t->wbio, tmp, sizeof(tmp))) > 0)
		if (net_buf_append(out, tmp, (gsize)n) < 0)
			return -1;
	return 0;
}

/* The detail for a failed verification. */
static char *
verify_error(struct net_tls *t)
{
	const char *why = X509_verify_cert_error_string(t->verr);
	char *names, *msg;

	if ((t->verr == X509_V_ERR_HOSTNAME_MISMATCH ||
	     t->verr == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
	    t->vcert) {
		names = cert_names(t->vcert);
		msg = g_strdup_printf(_("certificate is for %s, not %s"), names, t->host);
		g_free(names);
		return msg;
	}
	return g_strdup_printf(_("certificate not trusted: %s"), why);
}

static int
check_pin(struct net_tls *t, char **err_r)
{
	X509 *cert = SSL_get0_peer_certificate(t->ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char *seen;

	if (!cert || X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32) {
		*err_r = g_strdup(_("the server sent no usable certificate"));
		return -1;
	}
	if (CRYPTO_memcmp(md, t->pin, 32) == 0)
		return 0;
	seen = format_fingerprint(md, len);
	*err_r =
	    g_strdup_printf(_("certificate fingerprint %s does not match the pinned one"), seen);
	g_free(seen);
	return -1;
}

int
net_tls_handshake(struct net_tls *t, enum tern_status *st_r, char **err_r)
{
	int r, e;
	char *why;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		*st_r = TERN_ERR_AUTH;
		if (t->have_pin)
			return check_pin(t, err_r) < 0 ? -1 : 1;
		if (!SSL_get0_peer_certificate(t->ssl) ||
		    SSL_get_verify_result(t->ssl) != X509_V_OK) {
			*err_r = g_strdup(_("certificate not trusted"));
			return -1;
		}
		return 1;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	*st_r = TERN_ERR_AUTH;
	if (t->verr != 0) {
		ERR_clear_error();
		*err_r = verify_error(t);
		return -1;
	}
	why = openssl_error();
	*err_r = g_strdup_printf(_("TLS handshake failed: %s"), why);
	g_free(why);
	return -1;
}

gssize
net_tls_read(struct net_tls *t, void *buf, gsize cap, char **err_r)
{
	int r, e;
	char *why;

	ERR_clear_error();
	r = SSL_read(t->ssl, buf, cap > G_MAXINT ? G_MAXINT : (int)cap);
	if (r > 0)
		return r;
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		return -1;
	why = openssl_error();
	*err_r = g_strdup_printf(_("TLS error: %s"), why);
	g_free(why);
	return -2;
}

gssize
net_tls_write(struct net_tls *t, const void *buf, gsize len, char **err_r)
{
	int r, e;
	char *why;

	ERR_clear_error();
	r = SSL_write(t->ssl, buf, len > G_MAXINT ? G_MAXINT : (int)len);
	if (r > 0)
		return r;
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	why = openssl_error();
	*err_r = g_strdup_printf(_("TLS error: %s"), why);
	g_free(why);
	return -2;
}

void
net_tls_shutdown(struct net_tls *t)
{
	ERR_clear_error();
	if (SSL_is_init_finished(t->ssl))
		SSL_shutdown(t->ssl);
	ERR_clear_error();
}

char *
net_tls_describe(struct net_tls *t)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(t->ssl);

	return g_strdup_printf("%s %s", SSL_get_version(t->ssl),
			       cipher ? SSL_CIPHER_get_name(cipher) : "?");
}

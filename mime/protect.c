/* tern — mime/protect: signing and encrypting an outgoing message as
 * PGP/MIME (RFC 3156) with GMime's GMimeGpgContext, or S/MIME (RFC 8551)
 * with its GMimePkcs7Context when the account names a certificate
 * (issue 15 c).
 *
 * The message is protected once, when it is finalised: the outbox and the
 * Sent copy hold the bytes made here, and a retry sends them unchanged.
 * Keys are looked up with GPGME first so that a refusal can name every
 * address that has no usable key; nothing is signed or encrypted then. */
#include "config.h"

#include <gpgme.h>
#include <string.h>

#include "mime/mime-private.h"

/* Most recipients checked for keys (the envelope's list is bounded too). */
#define PROTECT_MAX_RCPTS 1000

/* A key that can do what is asked now: not revoked, expired, disabled or
 * invalid, with a subkey that can. */
static bool
key_usable(gpgme_key_t key, bool for_sign)
{
	if (key->revoked || key->expired || key->disabled || key->invalid)
		return false;
	for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next) {
		if (s->revoked || s->expired || s->disabled || s->invalid)
			continue;
		if (for_sign ? (s->can_sign && s->secret) : s->can_encrypt)
			return true;
	}
	return false;
}

/* Whether email (a user id's, "a@b", or "<a@b>" as gpgsm gives a
 * certificate's subjectAltName) is addr, ASCII case ignored. */
static bool
email_is(const char *email, const char *addr)
{
	size_t n = strlen(email);

	if (n >= 2 && email[0] == '<' && email[n - 1] == '>')
		return n - 2 == strlen(addr) && g_ascii_strncasecmp(email + 1, addr, n - 2) == 0;
	return g_ascii_strcasecmp(email, addr) == 0;
}

/* A user id of key whose address is addr (ASCII case ignored), not revoked. */
static bool
key_has_address(gpgme_key_t key, const char *addr)
{
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next)
		if (!u->revoked && !u->invalid && u->email != NULL && email_is(u->email, addr))
			return true;
	return false;
}

/* The fingerprint of the first usable key for pattern: an address (its
 * user id must carry it exactly) or, for signing, a fingerprint or id.
 * Transfer full; NULL when there is none. */
static char *
key_find(gpgme_ctx_t ctx, const char *pattern, bool for_sign)
{
	bool is_addr = strchr(pattern, '@') != NULL;
	/* gpgsm finds a certificate by its address with "<a@b>" too */
	char *pat = is_addr ? g_strdup_printf("<%s>", pattern) : g_strdup(pattern);
	gpgme_key_t key = NULL;
	char *fpr = NULL;

	if (gpgme_op_keylist_start(ctx, pat, for_sign ? 1 : 0) == 0) {
		while (fpr == NULL && gpgme_op_keylist_next(ctx, &key) == 0) {
			if (key_usable(key, for_sign) && key->fpr != NULL &&
			    (!is_addr || key_has_address(key, pattern)))
				fpr = g_strdup(key->fpr);
			gpgme_key_unref(key);
		}
		gpgme_op_keylist_end(ctx);
	}
	g_free(pat);
	return fpr;
}

/* Add addr's usable encryption key to fprs (once), or addr to missing. */
static void
recipient_key(gpgme_ctx_t ctx, const char *addr, GPtrArray *fprs, GString *missing)
{
	char *fpr = key_find(ctx, addr, false);
	guint i;

	if (fpr == NULL) {
		g_string_append_printf(missing, "%s%s", missing->len > 0 ? ", " : "", addr);
		return;
	}
	for (i = 0; i < fprs->len && strcmp(fprs->pdata[i], fpr) != 0; i++)
		;
	if (i < fprs->len)
		g_free(fpr);
	else
		g_ptr_array_add(fprs, fpr);
}

/* The fingerprints to encrypt to: every recipient's and the sender's own
 * (the signing key's when one is named; so the Sent copy can be read).
 * When one has no usable key, -1 and an error naming every such address. */
static int
recipient_keys(gpgme_ctx_t ctx, const struct mime_outgoing *o, const char *self, GPtrArray *fprs,
	       GError **error)
{
	GString *missing;
	int rc = 0;

	if (o->rcpts->len > PROTECT_MAX_RCPTS) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_KEY,
			    _("not encrypted, nothing sent: more than %d recipients"),
			    PROTECT_MAX_RCPTS);
		return -1;
	}
	missing = g_string_new(NULL);
	for (guint i = 0; i < o->rcpts->len; i++)
		recipient_key(ctx, o->rcpts->pdata[i], fprs, missing);
	recipient_key(ctx, self != NULL ? self : o->sender, fprs, missing);
	if (missing->len > 0) {
		if (gpgme_get_protocol(ctx) == GPGME_PROTOCOL_CMS)
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_KEY,
				    _("not encrypted, nothing sent: no usable S/MIME certificate "
				      "for %s"), missing->str);
		else
			g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_KEY,
				    _("not encrypted, nothing sent: no usable OpenPGP key for %s"),
				    missing->str);
		rc = -1;
	}
	g_string_free(missing, TRUE);
	return rc;
}

/* The signing key's fingerprint (key, else the secret key for the sender). */
static char *
signing_key(gpgme_ctx_t ctx, const struct mime_outgoing *o, const char *key, GError **error)
{
	const char *want = key != NULL ? key : o->sender;
	char *fpr = key_find(ctx, want, true);

	if (fpr == NULL && gpgme_get_protocol(ctx) == GPGME_PROTOCOL_CMS)
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_KEY,
			    _("not signed, nothing sent: no usable S/MIME certificate with a "
			      "secret key for %s"), want);
	else if (fpr == NULL)
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_KEY,
			    _("not signed, nothing sent: no usable OpenPGP secret key for %s"),
			    want);
	return fpr;
}

/* A GPGME context for p's protocol, or NULL. */
static gpgme_ctx_t
protect_gpgme(const struct mime_protect *p)
{
	gpgme_ctx_t ctx = NULL;

	if (gpgme_new(&ctx) != 0)
		return NULL;
	gpgme_set_protocol(ctx, p->smime_key != NULL ? GPGME_PROTOCOL_CMS : GPGME_PROTOCOL_OpenPGP);
	return ctx;
}

/* The key that signs, and the sender's own among the recipients. */
static const char *
own_key(const struct mime_protect *p)
{
	return p->smime_key != NULL ? p->smime_key : p->key;
}

/* The keys, before anything is built. */
static int
protect_keys(const struct mime_outgoing *o, const struct mime_protect *p, char **sign_fpr_r,
	     GPtrArray *fprs, GError **error)
{
	gpgme_ctx_t ctx = protect_gpgme(p);
	int rc = -1;

	if (ctx == NULL) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_CRYPTO,
			    _("GnuPG cannot be used (GPGME)"));
		return -1;
	}
	if (p->sign && (*sign_fpr_r = signing_key(ctx, o, own_key(p), error)) == NULL)
		goto out;
	if (p->encrypt && recipient_keys(ctx, o, own_key(p), fprs, error) < 0)
		goto out;
	rc = 0;
out:
	gpgme_release(ctx);
	return rc;
}

/* A 7bit leaf of type/subtype holding stream. */
static GMimeObject *
leaf_new(const char *type, const char *subtype, GMimeStream *stream)
{
	GMimePart *leaf = g_mime_part_new_with_type(type, subtype);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(stream,
								  GMIME_CONTENT_ENCODING_7BIT);

	g_mime_part_set_content(leaf, w);
	g_mime_part_set_content_encoding(leaf, GMIME_CONTENT_ENCODING_7BIT);
	g_object_unref(w);
	return GMIME_OBJECT(leaf);
}

/* part encrypted (and signed) as RFC 3156's multipart/encrypted. Built
 * here rather than by g_mime_multipart_encrypted_encrypt(), which in
 * Debian's GMime 3.2.13 leaks its format options on every call. Transfer
 * full; NULL with error set. */
static GMimeObject *
encrypt_part(GMimeCryptoContext *ctx, GMimeObject *part, const struct mime_protect *p,
	     const char *sign_fpr, GPtrArray *fprs, GError **error)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *clear = g_mime_stream_mem_new();
	GMimeStream *cipher = g_mime_stream_mem_new();
	GMimeStream *version;
	GMimeMultipart *mp = NULL;
	GMimeObject *leaf;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	g_mime_object_write_to_stream(part, fo, clear);
	g_mime_format_options_free(fo);
	g_mime_stream_reset(clear);
	/* the keys were checked above: validity is not gpg's web of trust */
	if (g_mime_crypto_context_encrypt(ctx, p->sign, sign_fpr, GMIME_ENCRYPT_ALWAYS_TRUST, fprs,
					  clear, cipher, error) < 0)
		goto out;
	g_mime_stream_reset(cipher);
	mp = GMIME_MULTIPART(g_mime_multipart_encrypted_new());
	version = g_mime_stream_mem_new_with_buffer("Version: 1\n", strlen("Version: 1\n"));
	leaf = leaf_new("application", "pgp-encrypted", version);
	g_mime_multipart_add(mp, leaf);
	g_object_unref(leaf);
	g_object_unref(version);
	leaf = leaf_new("application", "octet-stream", cipher);
	g_mime_multipart_add(mp, leaf);
	g_object_unref(leaf);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(mp), "protocol",
						 "application/pgp-encrypted");
	g_mime_multipart_set_boundary(mp, NULL); /* a fresh random one */
out:
	g_object_unref(clear);
	g_object_unref(cipher);
	return GMIME_OBJECT(mp);
}

/* S/MIME: multipart/signed (application/pkcs7-signature, readable without
 * S/MIME), then enveloped-data around it when encrypting. Transfer full. */
static GMimeObject *
protect_part_smime(GMimeObject *part, const struct mime_protect *p, const char *sign_fpr,
		   GPtrArray *fprs, GError **error)
{
	GMimeCryptoContext *ctx = g_mime_pkcs7_context_new();
	GMimeObject *inner = p->sign ? GMIME_OBJECT(g_mime_multipart_signed_sign(
					   ctx, part, sign_fpr, error)) :
				       g_object_ref(part);
	GMimeObject *out = NULL;

	g_object_unref(ctx);
	if (inner == NULL || !p->encrypt)
		return inner;
	/* the certificates were checked above */
	out = GMIME_OBJECT(g_mime_application_pkcs7_mime_encrypt(inner, GMIME_ENCRYPT_ALWAYS_TRUST,
								 fprs, error));
	g_object_unref(inner);
	return out;
}

/* The signed or encrypted body that replaces part. Transfer full. */
static GMimeObject *
protect_part(GMimeObject *part, const struct mime_protect *p, const char *sign_fpr, GPtrArray *fprs,
	     GError **error)
{
	GMimeCryptoContext *ctx;
	GMimeObject *out;

	if (p->smime_key != NULL)
		return protect_part_smime(part, p, sign_fpr, fprs, error);
	ctx = g_mime_gpg_context_new();

	if (p->encrypt)
		out = encrypt_part(ctx, part, p, sign_fpr, fprs, error);
	else
		out = GMIME_OBJECT(g_mime_multipart_signed_sign(ctx, part, sign_fpr, error));
	g_object_unref(ctx);
	return out;
}

static GMimeMessage *
message_parse(GBytes *data)
{
	gsize len;
	const guint8 *bytes = g_bytes_get_data(data, &len);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer((const char *)bytes, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(parser, mime_parser_options());

	g_object_unref(parser);
	g_object_unref(st);
	return m;
}

static GBytes *
message_bytes(GMimeMessage *m)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GString *out;
	char *s;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	g_mime_format_options_free(fo);
	out = g_string_new(s);
	if (out->len < 2 || strcmp(out->str + out->len - 2, "\r\n") != 0)
		g_string_append(out, "\r\n");
	g_free(s);
	return g_string_free_to_bytes(out);
}

bool
mime_outgoing_will_encrypt(const struct mime_outgoing *o, const struct mime_protect *p)
{
	GPtrArray *fprs;
	gpgme_ctx_t ctx = NULL;
	bool all;

	if (p->encrypt || !p->opportunistic)
		return p->encrypt;
	if (o->bcc_field != NULL || (ctx = protect_gpgme(p)) == NULL)
		return false;
	fprs = g_ptr_array_new_with_free_func(g_free);
	all = recipient_keys(ctx, o, own_key(p), fprs, NULL) == 0;
	g_ptr_array_unref(fprs);
	gpgme_release(ctx);
	return all;
}

int
mime_outgoing_protect(struct mime_outgoing *o, const struct mime_protect *asked, GError **error)
{
	/* opportunistic: settled here, once, as encrypt or not */
	struct mime_protect eff = *asked, *p = &eff;
	GPtrArray *fprs = g_ptr_array_new_with_free_func(g_free);
	GError *gerr = NULL;
	GMimeMessage *m = NULL;
	GMimeObject *prot = NULL;
	char *sign_fpr = NULL;
	int rc = -1;

	eff.encrypt = mime_outgoing_will_encrypt(o, asked);
	if (!p->sign && !p->encrypt) {
		rc = 0;
		goto out;
	}
	if (p->encrypt && o->bcc_field != NULL) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_KEY,
			    _("not encrypted, nothing sent: tern does not encrypt a message with "
			      "Bcc recipients (their keys would show in every copy); send them "
			      "their own message"));
		goto out;
	}
	if (protect_keys(o, p, &sign_fpr, fprs, error) < 0)
		goto out;
	m = message_parse(o->data);
	if (m == NULL || g_mime_message_get_mime_part(m) == NULL) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_SYNTAX,
			    _("the message cannot be read back to sign or encrypt it"));
		goto out;
	}
	prot = protect_part(g_mime_message_get_mime_part(m), p, sign_fpr, fprs, &gerr);
	if (prot == NULL) {
		g_set_error(error, MIME_COMPOSE_ERROR, MIME_COMPOSE_ERROR_CRYPTO,
			    p->encrypt ? _("not encrypted, nothing sent: %s")
				       : _("not signed, nothing sent: %s"),
			    gerr != NULL ? gerr->message : _("GnuPG failed"));
		g_clear_error(&gerr);
		goto out;
	}
	g_mime_message_set_mime_part(m, prot);
	g_bytes_unref(o->data);
	o->data = message_bytes(m);
	rc = 0;
out:
	g_clear_object(&prot);
	g_clear_object(&m);
	g_free(sign_fpr);
	g_ptr_array_unref(fprs);
	return rc;
}

bool
mime_message_is_encrypted(const struct mime_message *msg)
{
	GMimeObject *top = msg->message != NULL ? g_mime_message_get_mime_part(msg->message) : NULL;

	if (top == NULL)
		return false;
	if (GMIME_IS_MULTIPART_ENCRYPTED(top))
		return true;
	return GMIME_IS_APPLICATION_PKCS7_MIME(top) &&
	       g_mime_application_pkcs7_mime_get_smime_type(GMIME_APPLICATION_PKCS7_MIME(top)) ==
		   GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA;
}

bool
mime_crypt_parse(const char *value, struct mime_protect *p_r)
{
	char **w = value != NULL ? g_strsplit_set(value, " \t", 8) : NULL;
	bool sign = false, encrypt = false, opportunistic = false, ok = w != NULL;

	for (guint i = 0; ok && w[i] != NULL; i++) {
		if (strcmp(w[i], "sign") == 0)
			sign = true;
		else if (strcmp(w[i], "encrypt") == 0)
			encrypt = true;
		else if (strcmp(w[i], "opportunistic") == 0)
			opportunistic = true;
		else
			ok = w[i][0] == '\0' || strcmp(w[i], "none") == 0;
	}
	g_strfreev(w);
	if (ok) {
		p_r->sign = sign;
		p_r->encrypt = encrypt;
		p_r->opportunistic = opportunistic && !encrypt;
	}
	return ok;
}

const char *
mime_crypt_name(const struct mime_protect *p)
{
	if (p->encrypt)
		return p->sign ? "sign encrypt" : "encrypt";
	if (p->opportunistic)
		return p->sign ? "sign opportunistic" : "opportunistic";
	return p->sign ? "sign" : "none";
}

/* tern — mime/: signed and encrypted mail.
 *
 * One pass over the parsed message, before it is rendered: multipart/signed
 * and S/MIME signed-data are verified, multipart/encrypted and S/MIME
 * enveloped-data are decrypted (GMime's GMimeGpgContext / GMimePkcs7Context,
 * which drive GPGME), and text/plain parts holding an inline PGP block are
 * verified or decrypted through GPGME itself. Decrypted content replaces the
 * encrypted part in the GMime tree (memory only), so the renderer, the
 * attachment list and saving all see it; the caller's bytes, which are what
 * a cache stores, are never touched.
 *
 * The status describes what the reader is shown: a signature counts as
 * covering "all" only when the signed part is the whole body, else
 * "partial"; nothing inside an attached message (message/rfc822) counts. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include <gpgme.h>

#include "core/text/text.h"
#include "mime/mime-private.h"

#define PGP_SIGNED_BEGIN "-----BEGIN PGP SIGNED MESSAGE-----"
#define PGP_SIGNATURE_END "-----END PGP SIGNATURE-----"
#define PGP_MESSAGE_BEGIN "-----BEGIN PGP MESSAGE-----"
#define PGP_MESSAGE_END "-----END PGP MESSAGE-----"
/* Longest inline PGP block given to GPGME (bytes); a longer one stays text. */
#define INLINE_PGP_MAX_LEN (16 * 1024 * 1024)

static bool engine_off; /* tests and the fuzzer: never call GPGME */
static bool no_prompt;	/* the interface: no pinentry for decryption */

struct walk {
	struct mime_message *msg;
	struct mime_crypto *c;
	GPtrArray *signer_emails; /* char *: every address of the first signing key */
	unsigned containers;	  /* signed/encrypted containers processed */
	unsigned parts;
	bool decrypt_failed;
};

void
mime_crypto_set_engine(bool on)
{
	engine_off = !on;
}

void
mime_crypto_set_passphrase_prompt(bool allowed)
{
	no_prompt = !allowed;
}

/* What GMime reports when asked without an engine. */
static GError *
engine_off_error(void)
{
	return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no crypto engine");
}

void
mime_crypto_init(void)
{
	gpgme_check_version(NULL);
	g_mime_crypto_context_register("application/pgp-encrypted", g_mime_gpg_context_new);
	g_mime_crypto_context_register("application/pgp-signature", g_mime_gpg_context_new);
	g_mime_crypto_context_register("application/pkcs7-signature", g_mime_pkcs7_context_new);
	g_mime_crypto_context_register("application/x-pkcs7-signature", g_mime_pkcs7_context_new);
	g_mime_crypto_context_register("application/pkcs7-mime", g_mime_pkcs7_context_new);
	g_mime_crypto_context_register("application/x-pkcs7-mime", g_mime_pkcs7_context_new);
}

/* ---- The status record ---- */

static void
segments_free(gpointer p)
{
	g_ptr_array_unref(p);
}

static void
segment_free(gpointer p)
{
	struct mime_inline_segment *s = p;

	g_free(s->text);
	g_free(s);
}

void
mime_crypto_free(struct mime_crypto **cp)
{
	struct mime_crypto *c = *cp;

	if (c == NULL)
		return;
	g_free(c->signer);
	g_free(c->key);
	g_free(c->error);
	g_ptr_array_unref(c->recipients);
	g_free(c);
	*cp = NULL;
}

static struct mime_crypto *
crypto_new(void)
{
	struct mime_crypto *c = g_new0(struct mime_crypto, 1);

	c->recipients = g_ptr_array_new_with_free_func(g_free);
	return c;
}

struct mime_crypto *
mime_crypto_copy(const struct mime_crypto *c)
{
	/* not crypto_new(): its recipients array would be overwritten */
	struct mime_crypto *d = g_new(struct mime_crypto, 1);

	*d = *c;
	d->signer = g_strdup(c->signer);
	d->key = g_strdup(c->key);
	d->error = g_strdup(c->error);
	d->recipients = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < c->recipients->len; i++)
		g_ptr_array_add(d->recipients, g_strdup(c->recipients->pdata[i]));
	return d;
}

void
mime_crypto_clear(struct mime_message *msg)
{
	mime_crypto_free(&msg->crypto);
	g_clear_pointer(&msg->crypto_marks, g_hash_table_unref);
	g_clear_pointer(&msg->inline_pgp, g_hash_table_unref);
}

static void
mark(struct walk *w, GMimeObject *obj, int flags)
{
	int old = GPOINTER_TO_INT(g_hash_table_lookup(w->msg->crypto_marks, obj));

	g_hash_table_insert(w->msg->crypto_marks, obj, GINT_TO_POINTER(old | flags));
}

static void
note_protocol(struct walk *w, enum mime_crypto_protocol p)
{
	if (w->c->protocol == MIME_CRYPTO_NONE)
		w->c->protocol = p;
}

static void
note_encrypted(struct walk *w, enum mime_crypto_protocol p, bool whole)
{
	note_protocol(w, p);
	w->c->encrypted = true;
	if (!whole)
		w->c->partly_encrypted = true;
}

static void
note_error(struct walk *w, const char *what, const GError *err)
{
	if (w->c->error != NULL)
		return;
	w->c->error = g_strdup_printf(
	    "%s: %s", what, err != NULL && err->message ? err->message : _("unknown error"));
}

/* A key's hex id, bounded and checked (it came from a library parsing
 * hostile input). */
static char *
hex_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return NULL;
	while (n < 128 && g_ascii_isxdigit(s[n]))
		n++;
	return n > 0 && s[n] == '\0' ? g_ascii_strup(s, (gssize)n) : NULL;
}

/* ---- Signatures: one record whichever library checked them ---- */

struct sig_found {
	enum mime_sig status;
	char *name, *email, *key;
	enum mime_trust trust;
	GPtrArray *emails; /* char *: every address of the key */
};

/* GMime's status bits of one signature (GPGME's summary). A good
 * signature by a key of unknown validity has none of them. */
static enum mime_sig
sig_from_summary(unsigned summary)
{
	if (summary & GMIME_SIGNATURE_STATUS_RED)
		return MIME_SIG_BAD;
	if (summary & GMIME_SIGNATURE_STATUS_KEY_MISSING)
		return MIME_SIG_UNKNOWN_KEY;
	if (summary & GMIME_SIGNATURE_STATUS_KEY_REVOKED)
		return MIME_SIG_REVOKED;
	if (summary & (GMIME_SIGNATURE_STATUS_KEY_EXPIRED | GMIME_SIGNATURE_STATUS_SIG_EXPIRED))
		return MIME_SIG_EXPIRED;
	if (summary & GMIME_SIGNATURE_STATUS_SYS_ERROR)
		return MIME_SIG_ERROR;
	return MIME_SIG_GOOD;
}

static enum mime_trust
trust_of_validity(int v)
{
	switch (v) {
	case GMIME_VALIDITY_FULL:
	case GMIME_VALIDITY_ULTIMATE:
		return MIME_TRUST_FULL;
	case GMIME_VALIDITY_MARGINAL:
		return MIME_TRUST_MARGINAL;
	case GMIME_VALIDITY_NEVER:
		return MIME_TRUST_NEVER;
	default:
		return MIME_TRUST_UNKNOWN;
	}
}

static void
sig_found_clear(struct sig_found *s)
{
	g_free(s->name);
	g_free(s->email);
	g_free(s->key);
	if (s->emails != NULL)
		g_ptr_array_unref(s->emails);
	memset(s, 0, sizeof *s);
}

/* The first signature of a GMime list (NULL or empty: an error). */
static void
sig_from_gmime(GMimeSignatureList *list, struct sig_found *s)
{
	GMimeSignature *sig;
	GMimeCertificate *cert;

	memset(s, 0, sizeof *s);
	s->emails = g_ptr_array_new_with_free_func(g_free);
	if (list == NULL || g_mime_signature_list_length(list) < 1) {
		s->status = MIME_SIG_ERROR;
		return;
	}
	sig = g_mime_signature_list_get_signature(list, 0);
	cert = g_mime_signature_get_certificate(sig);
	s->status = sig_from_summary(g_mime_signature_get_status(sig));
	if (cert == NULL)
		return;
	s->name = g_strdup(g_mime_certificate_get_name(cert));
	s->email = g_strdup(g_mime_certificate_get_email(cert));
	s->key = hex_id(g_mime_certificate_get_fingerprint(cert));
	if (s->key == NULL)
		s->key = hex_id(g_mime_certificate_get_key_id(cert));
	s->trust = s->status == MIME_SIG_UNKNOWN_KEY
		       ? MIME_TRUST_NONE
		       : trust_of_validity(g_mime_certificate_get_id_validity(cert));
	if (s->email != NULL)
		g_ptr_array_add(s->emails, g_strdup(s->email));
}

/* How bad a signature state is: of several signed parts, the worst is the
 * one described (a good part must not vouch for a bad one beside it). */
static int
sig_severity(enum mime_sig s)
{
	static const int severity[] = {
	    [MIME_SIG_NONE] = 0,	[MIME_SIG_GOOD] = 1,	[MIME_SIG_ERROR] = 2,
	    [MIME_SIG_UNKNOWN_KEY] = 3, [MIME_SIG_EXPIRED] = 4, [MIME_SIG_REVOKED] = 5,
	    [MIME_SIG_BAD] = 6,
	};

	return severity[s];
}

/* Two key ids (hex, upper case) name the same key when one ends the other (a
 * long key id is the end of the fingerprint); an unknown one differs from none. */
static bool
same_key(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return true;
	la = strlen(a);
	lb = strlen(b);
	return la <= lb ? strcmp(b + lb - la, a) == 0 : strcmp(a + la - lb, b) == 0;
}

/* Records a signature. The first one met makes the status, unless a later
 * one is worse; any signed part that is not the whole body, or a second
 * signed part, makes it partial; parts signed by different keys are said
 * to be. */
static void
note_signature(struct walk *w, struct sig_found *s, enum mime_crypto_protocol proto, bool whole)
{
	struct mime_crypto *c = w->c;

	note_protocol(w, proto);
	if (c->signature != MIME_SIG_NONE) {
		c->signed_part = MIME_SIGNED_PARTIAL;
		if (!same_key(s->key, c->key))
			c->several_signers = true;
		if (sig_severity(s->status) <= sig_severity(c->signature)) {
			sig_found_clear(s);
			return;
		}
		g_clear_pointer(&c->key, g_free);
		g_clear_pointer(&c->signer, g_free);
		g_ptr_array_set_size(w->signer_emails, 0);
		whole = false;
	}
	c->signature = s->status;
	c->signed_part = whole ? MIME_SIGNED_ALL : MIME_SIGNED_PARTIAL;
	c->trust = s->trust;
	c->key = g_steal_pointer(&s->key);
	if (s->status != MIME_SIG_UNKNOWN_KEY && (s->name != NULL || s->email != NULL)) {
		if (s->name != NULL && *s->name != '\0' && s->email != NULL)
			c->signer = g_strdup_printf("%s <%s>", s->name, s->email);
		else
			c->signer = g_strdup(s->email != NULL ? s->email : s->name);
	}
	g_ptr_array_extend_and_steal(w->signer_emails, g_steal_pointer(&s->emails));
	sig_found_clear(s);
}

/* ---- Recipients ---- */

static void
add_recipient(struct walk *w, const char *id)
{
	char *hex = hex_id(id);

	if (hex == NULL)
		return;
	for (guint i = 0; i < w->c->recipients->len; i++)
		if (strcmp(w->c->recipients->pdata[i], hex) == 0) {
			g_free(hex);
			return;
		}
	g_ptr_array_add(w->c->recipients, hex);
}

static void
recipients_from_gmime(struct walk *w, GMimeDecryptResult *res)
{
	GMimeCertificateList *list = res ? g_mime_decrypt_result_get_recipients(res) : NULL;
	int n = list ? g_mime_certificate_list_length(list) : 0;

	for (int i = 0; i < n && i < 64; i++) {
		GMimeCertificate *cert = g_mime_certificate_list_get_certificate(list, i);
		const char *id = g_mime_certificate_get_fingerprint(cert);

		add_recipient(w, id != NULL && *id ? id : g_mime_certificate_get_key_id(cert));
	}
}

/* Never asks: nothing here may bring up a pinentry. *hook (optional)
 * records that a passphrase was wanted. */
static gpgme_error_t
no_passphrase(void *hook, const char *uid_hint, const char *info, int prev_bad, int fd)
{
	if (hook != NULL)
		*(bool *)hook = true;
	return gpg_error(GPG_ERR_CANCELED);
}

/* The keys an OpenPGP message is encrypted to, when it cannot be decrypted
 * (GMime gives no result then): GPGME's decrypt result lists them even when
 * it fails; the passphrase is never asked for here. */
static void
recipients_listonly(struct walk *w, const char *bytes, size_t len, gpgme_protocol_t proto)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_decrypt_result_t res;

	if (gpgme_new(&ctx) != 0)
		return;
	gpgme_set_protocol(ctx, proto);
	if (gpgme_data_new_from_mem(&in, bytes, len, 0) != 0 || gpgme_data_new(&out) != 0)
		goto out;
	gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	gpgme_set_passphrase_cb(ctx, no_passphrase, NULL);
	gpgme_op_decrypt(ctx, in, out);
	res = gpgme_op_decrypt_result(ctx);
	for (gpgme_recipient_t r = res ? res->recipients : NULL; r != NULL; r = r->next)
		add_recipient(w, r->keyid);
out:
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_release(ctx);
}

/* ---- The walk ---- */

static GMimeObject *walk_object(struct walk *w, GMimeObject *obj, unsigned depth, bool whole);

static bool
may_process(struct walk *w)
{
	return w->containers++ < MIME_MAX_CRYPTO_PARTS;
}

static enum mime_crypto_protocol
protocol_param(GMimeObject *obj)
{
	const char *p = g_mime_object_get_content_type_parameter(obj, "protocol");

	if (p == NULL)
		return MIME_CRYPTO_NONE;
	if (g_ascii_strcasecmp(p, "application/pgp-signature") == 0 ||
	    g_ascii_strcasecmp(p, "application/pgp-encrypted") == 0)
		return MIME_CRYPTO_OPENPGP;
	if (g_ascii_strcasecmp(p, "application/pkcs7-signature") == 0 ||
	    g_ascii_strcasecmp(p, "application/x-pkcs7-signature") == 0)
		return MIME_CRYPTO_SMIME;
	return MIME_CRYPTO_NONE;
}

static GMimeObject *
walk_signed(struct walk *w, GMimeMultipartSigned *mps, unsigned depth, bool whole)
{
	GMimeObject *obj = GMIME_OBJECT(mps);
	enum mime_crypto_protocol proto = protocol_param(obj);
	GError *err = NULL;
	GMimeSignatureList *list;
	struct sig_found s;

	if (proto == MIME_CRYPTO_NONE || !may_process(w))
		return NULL; /* shown as "not verified" */
	if (engine_off)
		err = engine_off_error(), list = NULL;
	else
		list = g_mime_multipart_signed_verify(mps, GMIME_VERIFY_NONE, &err);
	sig_from_gmime(list, &s);
	if (list == NULL)
		note_error(w, _("the signature could not be checked"), err);
	g_clear_error(&err);
	if (list != NULL)
		g_object_unref(list);
	note_signature(w, &s, proto, whole);
	mark(w, obj, MIME_MARK_VERIFIED | (whole ? 0 : MIME_MARK_PARTIAL));
	/* What is signed may itself hold more (an encrypted part, say). */
	if (g_mime_multipart_get_count(GMIME_MULTIPART(mps)) > 0) {
		GMimeObject *content = g_mime_multipart_get_part(GMIME_MULTIPART(mps), 0);
		GMimeObject *repl = walk_object(w, content, depth + 1, whole);

		if (repl != NULL) {
			GMimeObject *old = g_mime_multipart_replace(GMIME_MULTIPART(mps), 0, repl);

			g_object_unref(repl);
			if (old != NULL)
				g_object_unref(old);
		}
	}
	return NULL;
}

/* Takes the decrypted entity (transfer full) through the walk again and
 * marks it; returns it for the caller to put in place of the encrypted one. */
static GMimeObject *
decrypted(struct walk *w, GMimeObject *dec, GMimeDecryptResult *res,
	  enum mime_crypto_protocol proto, unsigned depth, bool whole)
{
	GMimeSignatureList *sigs = res ? g_mime_decrypt_result_get_signatures(res) : NULL;
	GMimeObject *inner;

	recipients_from_gmime(w, res);
	if (sigs != NULL && g_mime_signature_list_length(sigs) > 0) {
		struct sig_found s;

		sig_from_gmime(sigs, &s);
		note_signature(w, &s, proto, whole);
	}
	inner = walk_object(w, dec, depth + 1, whole);
	if (inner != NULL) {
		g_object_unref(dec);
		dec = inner;
	}
	mark(w, dec, MIME_MARK_DECRYPTED | (whole ? 0 : MIME_MARK_PARTIAL));
	return dec;
}

/* The bytes of an object as written (what GPGME would be given). */
static GByteArray *
object_bytes(GMimeObject *obj)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));

		if (content != NULL)
			g_mime_data_wrapper_write_to_stream(content, mem);
	} else {
		g_mime_object_write_to_stream(obj, NULL, mem);
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return bytes;
}

static void
decrypt_failed(struct walk *w, GMimeObject *cipher, gpgme_protocol_t proto, const GError *err)
{
	w->decrypt_failed = true;
	note_error(w, _("cannot decrypt"), err);
	if (cipher != NULL && proto == GPGME_PROTOCOL_OpenPGP && !engine_off) {
		GByteArray *b = object_bytes(cipher);

		recipients_listonly(w, (const char *)b->data, b->len, proto);
		g_byte_array_unref(b);
	}
}

static void sig_from_gpgme(gpgme_ctx_t ctx, gpgme_verify_result_t vr, struct sig_found *s);

/* The message for a decryption that wanted a passphrase tern did not give. */
#define NEEDS_PASSPHRASE                                                                           \
	N_("the secret key needs its passphrase, which tern's interface does not ask "             \
	   "for: unlock the key in gpg-agent first (tern show in a shell asks)")

/* Parses decrypted bytes as a MIME entity (transfer full), or NULL. */
static GMimeObject *
parse_entity(const char *bytes, size_t len)
{
	GMimeStream *mem = g_mime_stream_mem_new_with_buffer(bytes, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(mem);
	GMimeObject *obj = g_mime_parser_construct_part(parser, mime_parser_options());

	g_object_unref(parser);
	g_object_unref(mem);
	return obj;
}

/* PGP/MIME decryption without a pinentry (the interface): what
 * g_mime_multipart_encrypted_decrypt() does, through GPGME in loopback mode
 * with no passphrase. Notes recipients and signatures; transfer full. */
static GMimeObject *
decrypt_no_prompt(struct walk *w, GMimeObject *cipher, bool whole, GError **err)
{
	GByteArray *b = object_bytes(cipher);
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t e = gpg_error(GPG_ERR_GENERAL);
	GMimeObject *obj = NULL;
	bool asked = false;

	if (gpgme_new(&ctx) != 0)
		goto out;
	gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	gpgme_set_passphrase_cb(ctx, no_passphrase, &asked);
	if (gpgme_data_new_from_mem(&in, (const char *)b->data, b->len, 0) != 0 ||
	    gpgme_data_new(&out) != 0)
		goto out;
	e = gpgme_op_decrypt_verify(ctx, in, out);
	{
		gpgme_decrypt_result_t dr = gpgme_op_decrypt_result(ctx);

		for (gpgme_recipient_t r = dr ? dr->recipients : NULL; r != NULL; r = r->next)
			add_recipient(w, r->keyid);
	}
	if (e == 0) {
		gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
		size_t n = 0;
		char *p;

		if (vr != NULL && vr->signatures != NULL) {
			struct sig_found s;

			sig_from_gpgme(ctx, vr, &s);
			note_signature(w, &s, MIME_CRYPTO_OPENPGP, whole);
		}
		p = gpgme_data_release_and_get_mem(out, &n);
		out = NULL;
		obj = p != NULL ? parse_entity(p, n) : NULL;
		gpgme_free(p);
	}
out:
	if (obj == NULL)
		g_set_error_literal(err, G_IO_ERROR, G_IO_ERROR_FAILED,
				    asked ? _(NEEDS_PASSPHRASE) : gpgme_strerror(e));
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_release(ctx);
	g_byte_array_unref(b);
	return obj;
}

static GMimeObject *
walk_encrypted(struct walk *w, GMimeMultipartEncrypted *mpe, unsigned depth, bool whole)
{
	GMimeMultipart *mp = GMIME_MULTIPART(mpe);
	GMimeDecryptResult *res = NULL;
	GError *err = NULL;
	GMimeObject *dec, *cipher;

	note_encrypted(w, MIME_CRYPTO_OPENPGP, whole);
	if (!may_process(w))
		return NULL;
	cipher = g_mime_multipart_get_count(mp) > 1 ? g_mime_multipart_get_part(mp, 1) : NULL;
	if (engine_off)
		err = engine_off_error(), dec = NULL;
	else if (no_prompt && cipher != NULL && GMIME_IS_PART(cipher))
		dec = decrypt_no_prompt(w, cipher, whole, &err);
	else
		dec = g_mime_multipart_encrypted_decrypt(mpe, GMIME_DECRYPT_NONE, NULL, &res, &err);
	if (dec == NULL) {
		mark(w, GMIME_OBJECT(mpe), MIME_MARK_FAILED);
		/* the recipients are known already when GPGME was asked directly */
		decrypt_failed(w, no_prompt ? NULL : cipher, GPGME_PROTOCOL_OpenPGP, err);
		g_clear_error(&err);
		if (res != NULL)
			g_object_unref(res);
		return NULL;
	}
	dec = decrypted(w, dec, res, MIME_CRYPTO_OPENPGP, depth, whole);
	if (res != NULL)
		g_object_unref(res);
	return dec;
}

/* The interface: would gpgsm's decryption of p7 bring up the agent's
 * pinentry (GPGME has no loopback mode for gpgsm)? */
static bool
smime_locked(GMimeObject *p7)
{
	GByteArray *b = object_bytes(p7);
	bool locked = mime_smime_needs_passphrase(b->data, b->len);

	g_byte_array_unref(b);
	return locked;
}

static GMimeObject *
walk_pkcs7(struct walk *w, GMimeApplicationPkcs7Mime *p7, unsigned depth, bool whole)
{
	GMimeSecureMimeType type = g_mime_application_pkcs7_mime_get_smime_type(p7);
	GError *err = NULL;

	note_protocol(w, MIME_CRYPTO_SMIME);
	if (type == GMIME_SECURE_MIME_TYPE_ENVELOPED_DATA) {
		GMimeDecryptResult *res = NULL;
		GMimeObject *dec;

		note_encrypted(w, MIME_CRYPTO_SMIME, whole);
		if (!may_process(w))
			return NULL;
		if (engine_off)
			err = engine_off_error(), dec = NULL;
		else if (no_prompt && smime_locked(GMIME_OBJECT(p7)))
			err = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED,
						  _(NEEDS_PASSPHRASE)),
			dec = NULL;
		else
			dec = g_mime_application_pkcs7_mime_decrypt(p7, GMIME_DECRYPT_NONE, NULL,
								    &res, &err);
		if (dec == NULL) {
			mark(w, GMIME_OBJECT(p7), MIME_MARK_FAILED);
			decrypt_failed(w, NULL, GPGME_PROTOCOL_CMS, err);
			g_clear_error(&err);
			if (res != NULL)
				g_object_unref(res);
			return NULL;
		}
		dec = decrypted(w, dec, res, MIME_CRYPTO_SMIME, depth, whole);
		if (res != NULL)
			g_object_unref(res);
		return dec;
	}
	if (type == GMIME_SECURE_MIME_TYPE_SIGNED_DATA) {
		GMimeObject *entity = NULL, *inner;
		GMimeSignatureList *list;
		struct sig_found s;

		if (!may_process(w))
			return NULL;
		if (engine_off)
			err = engine_off_error(), list = NULL;
		else
			list = g_mime_application_pkcs7_mime_verify(p7, GMIME_VERIFY_NONE, &entity,
								    &err);
		sig_from_gmime(list, &s);
		if (list == NULL)
			note_error(w, _("the signature could not be checked"), err);
		g_clear_error(&err);
		if (list != NULL)
			g_object_unref(list);
		note_signature(w, &s, MIME_CRYPTO_SMIME, whole);
		if (entity == NULL)
			return NULL;
		inner = walk_object(w, entity, depth + 1, whole);
		if (inner != NULL) {
			g_object_unref(entity);
			entity = inner;
		}
		mark(w, entity, MIME_MARK_VERIFIED | (whole ? 0 : MIME_MARK_PARTIAL));
		return entity;
	}
	return NULL;
}

static void
walk_multipart(struct walk *w, GMimeMultipart *mp, unsigned depth, bool whole)
{
	int count = g_mime_multipart_get_count(mp);

	for (int i = 0; i < count; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		/* A signed or encrypted alternative beside another one is only
		 * part of the message: the reader may be shown the other. */
		GMimeObject *repl = walk_object(w, child, depth + 1, whole && count == 1);

		if (repl != NULL) {
			GMimeObject *old = g_mime_multipart_replace(mp, i, repl);

			g_object_unref(repl);
			if (old != NULL)
				g_object_unref(old);
		}
	}
}

/* ---- Inline PGP (GPGME) ---- */

/* The first line at or after from that is exactly marker (CR allowed). */
static const char *
find_line(const char *text, size_t len, size_t from, const char *marker)
{
	size_t n = strlen(marker);

	for (size_t i = from; i + n <= len; i++) {
		if (i > 0 && text[i - 1] != '\n')
			continue;
		if (memcmp(text + i, marker, n) == 0 &&
		    (i + n == len || text[i + n] == '\n' || text[i + n] == '\r'))
			return text + i;
	}
	return NULL;
}

static void
add_segment(GPtrArray *segs, enum mime_inline_kind kind, const char *charset, const char *text,
	    size_t len)
{
	struct mime_inline_segment *s = g_new0(struct mime_inline_segment, 1);

	s->kind = kind;
	s->text = mime_charset_to_utf8(charset, text, len, NULL);
	g_ptr_array_add(segs, s);
}

static bool
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isspace(s[i]))
			return false;
	return true;
}

static void
gpgme_key_info(gpgme_ctx_t ctx, const char *fpr, struct sig_found *s)
{
	gpgme_key_t key = NULL;

	if (fpr == NULL || gpgme_get_key(ctx, fpr, &key, 0) != 0 || key == NULL)
		return;
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		if (u->revoked || u->invalid)
			continue;
		if (s->name == NULL && s->email == NULL) {
			s->name = g_strdup(u->name);
			s->email = g_strdup(u->email);
			s->trust = trust_of_validity((int)u->validity);
		}
		if (u->email != NULL && g_ptr_array_find_with_equal_func(
					    s->emails, u->email, g_str_equal, NULL) == FALSE)
			g_ptr_array_add(s->emails, g_strdup(u->email));
	}
	gpgme_key_unref(key);
}

/* GPGME's status of one signature (an error code and the summary bits). */
static enum mime_sig
sig_from_gpgme_status(gpg_err_code_t code, unsigned summary)
{
	switch (code) {
	case GPG_ERR_NO_ERROR:
		return summary & GPGME_SIGSUM_KEY_REVOKED ? MIME_SIG_REVOKED : MIME_SIG_GOOD;
	case GPG_ERR_BAD_SIGNATURE:
		return MIME_SIG_BAD;
	case GPG_ERR_NO_PUBKEY:
		return MIME_SIG_UNKNOWN_KEY;
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_SIG_EXPIRED:
		return MIME_SIG_EXPIRED;
	case GPG_ERR_CERT_REVOKED:
		return MIME_SIG_REVOKED;
	default:
		return MIME_SIG_ERROR;
	}
}

static void
sig_from_gpgme(gpgme_ctx_t ctx, gpgme_verify_result_t vr, struct sig_found *s)
{
	gpgme_signature_t sig = vr ? vr->signatures : NULL;
	gpg_err_code_t code;

	memset(s, 0, sizeof *s);
	s->emails = g_ptr_array_new_with_free_func(g_free);
	if (sig == NULL) {
		s->status = MIME_SIG_ERROR;
		return;
	}
	code = gpg_err_code(sig->status);
	s->status = sig_from_gpgme_status(code, sig->summary);
	s->key = hex_id(sig->fpr);
	if (s->status != MIME_SIG_UNKNOWN_KEY)
		gpgme_key_info(ctx, sig->fpr, s);
	if (s->status == MIME_SIG_UNKNOWN_KEY)
		s->trust = MIME_TRUST_NONE;
	else if (s->trust == MIME_TRUST_NONE)
		s->trust = MIME_TRUST_UNKNOWN;
}

/* Verifies (clearsigned) or decrypts (armored message) one block; *out_r
 * gets the text it covers. False when GPGME could not read it at all. */
static bool
inline_block(struct walk *w, const char *block, size_t len, bool encrypted, bool whole,
	     GByteArray **out_r)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t e;
	bool ok = false, asked = false;

	if (engine_off || gpgme_new(&ctx) != 0)
		return false;
	gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (no_prompt) {
		gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		gpgme_set_passphrase_cb(ctx, no_passphrase, &asked);
	}
	if (gpgme_data_new_from_mem(&in, block, len, 0) != 0 || gpgme_data_new(&out) != 0)
		goto done;
	e = encrypted ? gpgme_op_decrypt_verify(ctx, in, out) : gpgme_op_verify(ctx, in, NULL, out);
	if (encrypted) {
		gpgme_decrypt_result_t dr = gpgme_op_decrypt_result(ctx);

		for (gpgme_recipient_t r = dr ? dr->recipients : NULL; r != NULL; r = r->next)
			add_recipient(w, r->keyid);
	}
	if (e != 0 && encrypted) {
		GError *err = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED,
						  asked ? _(NEEDS_PASSPHRASE) : gpgme_strerror(e));

		w->decrypt_failed = true;
		note_error(w, _("cannot decrypt"), err);
		g_error_free(err);
		goto done;
	}
	{
		gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);

		if (!encrypted || (vr != NULL && vr->signatures != NULL)) {
			struct sig_found s;

			sig_from_gpgme(ctx, vr, &s);
			note_signature(w, &s, MIME_CRYPTO_OPENPGP, whole);
		}
	}
	{
		size_t n = 0;
		char *p = gpgme_data_release_and_get_mem(out, &n);

		out = NULL;
		*out_r = g_byte_array_new();
		if (p != NULL)
			g_byte_array_append(*out_r, (const guint8 *)p, (guint)MIN(n, G_MAXUINT));
		gpgme_free(p);
	}
	ok = true;
done:
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_release(ctx);
	return ok;
}

/* The next inline block from pos: its start, end (after its END line) and
 * kind; false when there is none. */
static bool
next_block(const char *text, size_t len, size_t pos, size_t *start_r, size_t *end_r,
	   bool *encrypted_r)
{
	const char *s = find_line(text, len, pos, PGP_SIGNED_BEGIN);
	const char *m = find_line(text, len, pos, PGP_MESSAGE_BEGIN);
	const char *e;

	*encrypted_r = m != NULL && (s == NULL || m < s);
	if (*encrypted_r)
		s = m;
	if (s == NULL)
		return false;
	e = find_line(text, len, (size_t)(s - text),
		      *encrypted_r ? PGP_MESSAGE_END : PGP_SIGNATURE_END);
	if (e == NULL)
		return false;
	e += strlen(*encrypted_r ? PGP_MESSAGE_END : PGP_SIGNATURE_END);
	while ((size_t)(e - text) < len && (*e == '\r' || *e == '\n')) {
		e++;
		if (e[-1] == '\n')
			break;
	}
	*start_r = (size_t)(s - text);
	*end_r = (size_t)(e - text);
	return *end_r - *start_r <= INLINE_PGP_MAX_LEN;
}

static void
walk_inline(struct walk *w, GMimePart *part, bool whole)
{
	GByteArray *bytes = mime_part_decoded(part);
	const char *text = (const char *)bytes->data;
	const char *charset =
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	size_t len = bytes->len, pos = 0, start, end;
	GPtrArray *segs = NULL;
	bool enc;
	unsigned blocks = 0;

	while (blocks < MIME_MAX_INLINE_PGP && next_block(text, len, pos, &start, &end, &enc)) {
		GByteArray *out = NULL;
		size_t s2, e2;
		bool enc2;
		/* The block is the whole text only when nothing but blanks is around
		 * it and no other block follows. */
		bool alone = whole && blocks == 0 && blank(text, start) &&
			     blank(text + end, len - end) &&
			     !next_block(text, len, end, &s2, &e2, &enc2);

		if (segs == NULL)
			segs = g_ptr_array_new_with_free_func(segment_free);
		if (!may_process(w))
			break;
		blocks++;
		note_protocol(w, MIME_CRYPTO_OPENPGP);
		w->c->inline_pgp = true;
		if (enc)
			note_encrypted(w, MIME_CRYPTO_OPENPGP, alone);
		if (!blank(text + pos, start - pos))
			add_segment(segs, MIME_INLINE_PLAIN, charset, text + pos, start - pos);
		if (inline_block(w, text + start, end - start, enc, alone, &out)) {
			add_segment(segs, enc ? MIME_INLINE_DECRYPTED : MIME_INLINE_SIGNED, charset,
				    (const char *)out->data, out->len);
			g_byte_array_unref(out);
		} else {
			/* Not read at all: an encrypted block stays encrypted. */
			if (enc && !w->decrypt_failed) {
				GError *err = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED,
								  _("GPGME could not read it"));

				w->decrypt_failed = true;
				note_error(w, _("cannot decrypt"), err);
				g_error_free(err);
			}
			add_segment(segs, MIME_INLINE_FAILED, charset, text + start, end - start);
		}
		pos = end;
	}
	if (segs != NULL) {
		if (pos < len && !blank(text + pos, len - pos))
			add_segment(segs, MIME_INLINE_PLAIN, charset, text + pos, len - pos);
		g_hash_table_insert(w->msg->inline_pgp, part, segs);
	}
	g_byte_array_unref(bytes);
}

static GMimeObject *
walk_object(struct walk *w, GMimeObject *obj, unsigned depth, bool whole)
{
	if (obj == NULL || depth > MIME_MAX_DEPTH || w->parts++ >= MIME_MAX_PARTS)
		return NULL;
	/* An attached message keeps its own signatures to itself. */
	if (GMIME_IS_MESSAGE_PART(obj))
		return NULL;
	if (GMIME_IS_MULTIPART_ENCRYPTED(obj))
		return walk_encrypted(w, GMIME_MULTIPART_ENCRYPTED(obj), depth, whole);
	if (GMIME_IS_MULTIPART_SIGNED(obj))
		return walk_signed(w, GMIME_MULTIPART_SIGNED(obj), depth, whole);
	if (GMIME_IS_MULTIPART(obj)) {
		walk_multipart(w, GMIME_MULTIPART(obj), depth, whole);
		return NULL;
	}
	if (GMIME_IS_APPLICATION_PKCS7_MIME(obj))
		return walk_pkcs7(w, GMIME_APPLICATION_PKCS7_MIME(obj), depth, whole);
	if (GMIME_IS_PART(obj) && mime_part_is_inline_text(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		if (ct == NULL || g_mime_content_type_is_type(ct, "text", "plain"))
			walk_inline(w, GMIME_PART(obj), whole);
	}
	return NULL;
}

/* The From address (the first mailbox), or NULL. */
static char *
from_address(struct mime_message *msg)
{
	InternetAddressList *list = g_mime_message_get_from(msg->message);
	char *addr = NULL;

	if (list != NULL && internet_address_list_length(list) > 0) {
		InternetAddress *a = internet_address_list_get_address(list, 0);

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			addr = g_strdup(
			    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
	}
	return addr;
}

const struct mime_crypto *
mime_message_process_crypto(struct mime_message *msg)
{
	struct walk w = {.msg = msg};
	GMimeObject *top, *repl;
	char *from;

	if (msg->crypto != NULL)
		return msg->crypto;
	g_assert(msg->attachments == NULL && "process crypto before listing attachments");
	msg->crypto = crypto_new();
	msg->crypto_marks = g_hash_table_new(NULL, NULL);
	msg->inline_pgp = g_hash_table_new_full(NULL, NULL, NULL, segments_free);
	if (msg->message == NULL)
		return msg->crypto;
	w.c = msg->crypto;
	w.signer_emails = g_ptr_array_new_with_free_func(g_free);
	top = g_mime_message_get_mime_part(msg->message);
	repl = walk_object(&w, top, 0, true);
	if (repl != NULL) {
		g_mime_message_set_mime_part(msg->message, repl);
		g_object_unref(repl);
	}
	w.c->decrypted = w.c->encrypted && !w.decrypt_failed;
	from = from_address(msg);
	for (guint i = 0; from != NULL && i < w.signer_emails->len; i++)
		if (g_ascii_strcasecmp(w.signer_emails->pdata[i], from) == 0)
			w.c->signer_matches_from = true;
	g_free(from);
	g_ptr_array_unref(w.signer_emails);
	return msg->crypto;
}

/* ---- Names and status lines ---- */

const char *
mime_crypto_protocol_name(enum mime_crypto_protocol p)
{
	return p == MIME_CRYPTO_OPENPGP ? "openpgp" : p == MIME_CRYPTO_SMIME ? "smime" : NULL;
}

const char *
mime_sig_name(enum mime_sig s)
{
	static const char *const names[] = {
	    [MIME_SIG_NONE] = "none",	    [MIME_SIG_GOOD] = "good",
	    [MIME_SIG_BAD] = "bad",	    [MIME_SIG_UNKNOWN_KEY] = "unknown-key",
	    [MIME_SIG_EXPIRED] = "expired", [MIME_SIG_REVOKED] = "revoked",
	    [MIME_SIG_ERROR] = "error",
	};

	return names[s];
}

const char *
mime_signed_part_name(enum mime_signed_part s)
{
	return s == MIME_SIGNED_ALL ? "all" : s == MIME_SIGNED_PARTIAL ? "partial" : "none";
}

const char *
mime_trust_name(enum mime_trust t)
{
	static const char *const names[] = {
	    [MIME_TRUST_NONE] = NULL,	  [MIME_TRUST_UNKNOWN] = "unknown",
	    [MIME_TRUST_NEVER] = "never", [MIME_TRUST_MARGINAL] = "marginal",
	    [MIME_TRUST_FULL] = "full",
	};

	return names[t];
}

static void
status_free(gpointer p)
{
	struct mime_status_line *l = p;

	g_free(l->text);
	g_free(l);
}

static void
status_add(GPtrArray *out, bool warning, char *text)
{
	struct mime_status_line *l = g_new(struct mime_status_line, 1);

	l->text = text_sanitize(text, -1, TEXT_SANITIZE_ONE_LINE);
	l->warning = warning;
	g_ptr_array_add(out, l);
	g_free(text);
}

static const char *
proto_label(const struct mime_crypto *c)
{
	if (c->protocol == MIME_CRYPTO_SMIME)
		return "S/MIME";
	return c->inline_pgp ? _("inline OpenPGP") : "OpenPGP";
}

static char *
key_label(const struct mime_crypto *c)
{
	return g_strdup(c->key != NULL ? c->key : "?");
}

static const char *
trust_label(enum mime_trust t)
{
	switch (t) {
	case MIME_TRUST_FULL:
		return _("the key is trusted");
	case MIME_TRUST_MARGINAL:
		return _("the key is marginally trusted");
	case MIME_TRUST_NEVER:
		return _("the key is marked as never to be trusted");
	default:
		return _("the key is NOT trusted (not certified)");
	}
}

static void
signature_line(GPtrArray *out, const struct mime_crypto *c)
{
	char *key = key_label(c);
	const char *who = c->signer != NULL ? c->signer : "?";

	switch (c->signature) {
	case MIME_SIG_GOOD:
		status_add(out, c->trust != MIME_TRUST_FULL && c->trust != MIME_TRUST_MARGINAL,
			   g_strdup_printf(_("Good signature (%s) from %s, key %s; %s"),
					   proto_label(c), who, key, trust_label(c->trust)));
		status_add(out, !c->signer_matches_from,
			   g_strdup(c->signer_matches_from
					? _("The signing key's address is the From address.")
					: _("The signing key's address is NOT the From address.")));
		break;
	case MIME_SIG_BAD:
		status_add(out, true,
			   g_strdup_printf(_("BAD signature (%s), key %s: the message "
					     "was changed after it was signed, or the "
					     "signature is forged"),
					   proto_label(c), key));
		break;
	case MIME_SIG_UNKNOWN_KEY:
		status_add(out, true,
			   g_strdup_printf(_("Signed (%s) with an unknown key %s: "
					     "not verified"),
					   proto_label(c), key));
		break;
	case MIME_SIG_EXPIRED:
		status_add(out, true,
			   g_strdup_printf(_("Signature (%s) from %s with an EXPIRED "
					     "key or signature, key %s"),
					   proto_label(c), who, key));
		break;
	case MIME_SIG_REVOKED:
		status_add(out, true,
			   g_strdup_printf(_("Signature (%s) from %s with a REVOKED "
					     "key %s"),
					   proto_label(c), who, key));
		break;
	case MIME_SIG_ERROR:
		status_add(out, true,
			   g_strdup_printf(_("Signed (%s): the signature could not be "
					     "checked (%s)"),
					   proto_label(c), c->error != NULL ? c->error : "?"));
		break;
	case MIME_SIG_NONE:
		break;
	}
	g_free(key);
}

static char *
recipients_text(const struct mime_crypto *c)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < c->recipients->len && i < 8; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)c->recipients->pdata[i]);
	if (s->len == 0)
		g_string_append(s, "?");
	return g_string_free(s, FALSE);
}

GPtrArray *
mime_crypto_status_lines(const struct mime_crypto *c)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(status_free);
	char *rcpt;

	if (c == NULL)
		return out;
	if (c->encrypted) {
		rcpt = recipients_text(c);
		if (c->decrypted)
			status_add(out, false,
				   g_strdup_printf(_("Encrypted (%s) to key %s: "
						     "decrypted"),
						   proto_label(c), rcpt));
		else
			status_add(out, true,
				   g_strdup_printf(
				       _("Encrypted (%s) to key %s: NOT decrypted (%s)"),
				       proto_label(c), rcpt, c->error != NULL ? c->error : "?"));
		g_free(rcpt);
	}
	if (c->partly_encrypted)
		status_add(out, true,
			   g_strdup(_("Only PART of this message was encrypted: the "
				      "text between the \"encrypted\" markers; the "
				      "rest was sent in clear.")));
	signature_line(out, c);
	if (c->signed_part == MIME_SIGNED_PARTIAL)
		status_add(out, true,
			   g_strdup(_("Only PART of this message is signed: the text "
				      "between the \"signed\" markers; the rest is "
				      "NOT signed.")));
	if (c->several_signers)
		status_add(out, true,
			   g_strdup(_("Its parts are signed by DIFFERENT keys: the "
				      "signature described is the worst one, not "
				      "necessarily that of every part.")));
	return out;
}

/* ---- A bounded wait ---- */

/* Shared by the caller and the worker: whichever leaves last frees it. */
struct bounded {
	gint refs;
	GMutex lock;
	GCond cond;
	bool done;	/* the worker finished */
	bool abandoned; /* the caller stopped waiting: the worker frees msg */
	struct mime_message *msg;
};

static void
bounded_unref(struct bounded *b)
{
	if (!g_atomic_int_dec_and_test(&b->refs))
		return;
	g_mutex_clear(&b->lock);
	g_cond_clear(&b->cond);
	g_free(b);
}

static gpointer
bounded_thread(gpointer p)
{
	struct bounded *b = p;
	bool abandoned;

	mime_message_process_crypto(b->msg);
	g_mutex_lock(&b->lock);
	b->done = true;
	abandoned = b->abandoned;
	g_cond_signal(&b->cond);
	g_mutex_unlock(&b->lock);
	if (abandoned)
		mime_message_free(&b->msg);
	bounded_unref(b);
	return NULL;
}

bool
mime_message_process_crypto_bounded(struct mime_message **msgp, guint seconds)
{
	struct bounded *b = g_new0(struct bounded, 1);
	gint64 until = g_get_monotonic_time() + (gint64)seconds * G_TIME_SPAN_SECOND;
	bool done;

	g_assert(msgp != NULL && *msgp != NULL && (*msgp)->bytes != NULL);
	g_mutex_init(&b->lock);
	g_cond_init(&b->cond);
	b->refs = 2;
	b->msg = *msgp;
	g_thread_unref(g_thread_new("tern-crypto", bounded_thread, b));
	g_mutex_lock(&b->lock);
	while (!b->done && g_cond_wait_until(&b->cond, &b->lock, until))
		;
	done = b->done;
	b->abandoned = !done;
	g_mutex_unlock(&b->lock);
	if (!done)
		*msgp = NULL;
	bounded_unref(b);
	return done;
}

/* ---- The parts list of an unwrapped message ---- */

struct parts_walk {
	GPtrArray *out;	    /* struct mime_part_entry * */
	GHashTable *index;  /* GMimeObject * -> its attachment number */
	GHashTable *marks;  /* msg->crypto_marks */
	unsigned parts;
};

/* Content the crypto pass put in place of what the server has. */
static bool
unwrapped(struct parts_walk *pw, GMimeObject *obj)
{
	int m = GPOINTER_TO_INT(g_hash_table_lookup(pw->marks, obj));

	return (m & MIME_MARK_DECRYPTED) ||
	       ((m & MIME_MARK_VERIFIED) && !GMIME_IS_MULTIPART_SIGNED(obj));
}

/* A lower case token (letters, digits, "!#$&^_.+-") of at most 127
 * bytes, or NULL. */
static char *
token_of(const char *s)
{
	char *out;

	if (s == NULL || *s == '\0')
		return NULL;
	out = g_ascii_strdown(s, MIN(strlen(s), 127));
	for (char *q = out; *q != '\0'; q++)
		if (!g_ascii_isalnum(*q) && strchr("!#$&^_.+-", *q) == NULL)
			*q = '_';
	return out;
}

/* "type/subtype", each a token as mime_structure_parts() gives them. */
static char *
type_token(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = token_of(ct ? g_mime_content_type_get_media_type(ct) : NULL);
	char *sub = token_of(ct ? g_mime_content_type_get_media_subtype(ct) : NULL);
	char *out = g_strdup_printf("%s/%s", type ? type : "text", sub ? sub : "plain");

	g_free(type);
	g_free(sub);
	return out;
}

static char *
child_section(const char *section, int n)
{
	if (section == NULL)
		return NULL;
	return *section ? g_strdup_printf("%s.%d", section, n) : g_strdup_printf("%d", n);
}

static void
parts_add(struct parts_walk *pw, GMimeObject *obj, const char *section, unsigned msg_depth)
{
	struct mime_part_entry *e = g_new0(struct mime_part_entry, 1);
	const char *name = g_mime_object_get_content_disposition_parameter(obj, "filename");
	GMimeContentEncoding enc;

	if (name == NULL)
		name = g_mime_object_get_content_type_parameter(obj, "name");
	e->section = g_strdup(section);
	e->index = GPOINTER_TO_UINT(g_hash_table_lookup(pw->index, obj));
	e->content_type = type_token(obj);
	e->filename = name != NULL && *name != '\0' ? text_make_valid(name, -1) : NULL;
	e->disposition = token_of(g_mime_object_get_disposition(obj));
	e->charset = token_of(g_mime_object_get_content_type_parameter(obj, "charset"));
	e->depth = msg_depth;
	e->message = GMIME_IS_MESSAGE_PART(obj);
	if (GMIME_IS_PART(obj)) {
		GByteArray *bytes = mime_part_decoded(GMIME_PART(obj));

		e->size = bytes->len;
		g_byte_array_unref(bytes);
		enc = g_mime_part_get_content_encoding(GMIME_PART(obj));
		if (enc != GMIME_CONTENT_ENCODING_DEFAULT)
			e->encoding = token_of(g_mime_content_encoding_to_string(enc));
	}
	g_ptr_array_add(pw->out, e);
}

/* obj is at section (IMAP's numbering; NULL: none, it was unwrapped).
 * Attached messages are entered as mime_message_attachments() enters them:
 * not when forced to be an attachment. */
static void
parts_node(struct parts_walk *pw, GMimeObject *obj, const char *section, unsigned level,
	   unsigned msg_depth, bool force)
{
	char *own = NULL;

	if (obj == NULL || level > MIME_MAX_DEPTH || pw->parts++ >= MIME_MAX_PARTS)
		return;
	if (unwrapped(pw, obj))
		section = NULL;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;

		parts_add(pw, obj, section, msg_depth);
		if (body == NULL || force)
			return;
		own = GMIME_IS_MULTIPART(body) ? g_strdup(section) : child_section(section, 1);
		parts_node(pw, body, own, level + 1, msg_depth + 1, false);
	} else if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		bool alternative = ct && g_mime_content_type_is_type(ct, "multipart", "alternative");
		bool encrypted = GMIME_IS_MULTIPART_ENCRYPTED(obj), signed_ = GMIME_IS_MULTIPART_SIGNED(obj);
		int count = g_mime_multipart_get_count(mp);

		for (int i = 0; i < count; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);
			GMimeContentType *cct = g_mime_object_get_content_type(child);
			bool text = cct && (g_mime_content_type_is_type(cct, "text", "plain") ||
					    g_mime_content_type_is_type(cct, "text", "html"));
			bool f = force || encrypted || (signed_ && i > 0) ||
				 (alternative && GMIME_IS_PART(child) && !text);
			char *cs = child_section(section, i + 1);

			parts_node(pw, child, cs, level + 1, msg_depth, f);
			g_free(cs);
		}
	} else if (GMIME_IS_PART(obj)) {
		parts_add(pw, obj, section, msg_depth);
	}
	g_free(own);
}

GPtrArray *
mime_message_parts(struct mime_message *msg)
{
	struct parts_walk pw = { 0 };
	const GPtrArray *atts = mime_message_attachments(msg);
	GMimeObject *top;

	pw.out = g_ptr_array_new_with_free_func((GDestroyNotify)mime_part_entry_free);
	if (msg->message == NULL)
		return pw.out;
	pw.index = g_hash_table_new(NULL, NULL);
	pw.marks = msg->crypto_marks != NULL ? g_hash_table_ref(msg->crypto_marks) :
					       g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < atts->len; i++)
		g_hash_table_insert(pw.index, msg->att_objects->pdata[i],
				    GUINT_TO_POINTER(((struct mime_attachment *)atts->pdata[i])->index));
	top = g_mime_message_get_mime_part(msg->message);
	parts_node(&pw, top, top != NULL && GMIME_IS_MULTIPART(top) ? "" : "1", 0, 0, false);
	g_hash_table_unref(pw.index);
	g_hash_table_unref(pw.marks);
	return pw.out;
}

/* tern — mime/smime-lock: whether decrypting an S/MIME message would make
 * gpg-agent ask for a passphrase (issue 15).
 *
 * GPGME's gpgsm engine has no loopback pinentry mode, so gpgsm, asked to
 * decrypt for a key the agent has not unlocked, brings up the agent's
 * pinentry, which in a terminal draws over the interface's screen. The
 * interface asks first: the enveloped-data's recipients (issuer serial
 * numbers, read with OpenSSL's CMS parser from bytes bounded by the
 * caller), the certificates in gpgsm with a secret key that match them,
 * and for each the agent's KEYINFO (protected? passphrase cached?). */
#include "config.h"

#include <gpgme.h>
#include <openssl/cms.h>
#include <string.h>

#include "mime/mime-private.h"

/* Most recipients of one message looked at. */
#define SMIME_LOCK_MAX_RCPTS 64

/* "00AB12" and "AB12" are one serial number: hex without leading zeros. */
static char *
serial_canon(const char *hex)
{
	while (hex[0] == '0' && hex[1] != '\0')
		hex++;
	return g_ascii_strup(hex, -1);
}

/* The serial numbers of der's key-transport recipients (transfer full),
 * or NULL when der is not enveloped-data OpenSSL can read. */
static GPtrArray *
recipient_serials(const guint8 *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = len <= G_MAXLONG ? d2i_CMS_ContentInfo(NULL, &p, (long)len) : NULL;
	STACK_OF(CMS_RecipientInfo) *ris = cms != NULL ? CMS_get0_RecipientInfos(cms) : NULL;
	GPtrArray *out = NULL;

	if (ris == NULL)
		goto out;
	out = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < sk_CMS_RecipientInfo_num(ris) && i < SMIME_LOCK_MAX_RCPTS; i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);
		ASN1_OCTET_STRING *keyid = NULL;
		X509_NAME *issuer = NULL;
		ASN1_INTEGER *sno = NULL;
		BIGNUM *bn;
		char *hex;

		if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS ||
		    CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &sno) != 1 ||
		    sno == NULL || (bn = ASN1_INTEGER_to_BN(sno, NULL)) == NULL)
			continue;
		hex = BN_bn2hex(bn);
		if (hex != NULL)
			g_ptr_array_add(out, serial_canon(hex));
		OPENSSL_free(hex);
		BN_free(bn);
	}
out:
	CMS_ContentInfo_free(cms);
	return out;
}

struct keyinfo {
	bool seen;
	bool locked; /* protected, and the passphrase not cached */
};

/* "S KEYINFO GRIP TYPE SERIALNO IDSTR CACHED PROTECTION ..." */
static gpgme_error_t
keyinfo_status(void *opaque, const char *status, const char *args)
{
	struct keyinfo *ki = opaque;
	char **f;

	if (status == NULL || strcmp(status, "KEYINFO") != 0 || args == NULL)
		return 0;
	f = g_strsplit(args, " ", 8);
	if (g_strv_length(f) >= 6) {
		ki->seen = true;
		ki->locked = strcmp(f[5], "P") == 0 && strcmp(f[4], "1") != 0;
	}
	g_strfreev(f);
	return 0;
}

/* Whether the agent holds grip's key protected and locked; unknown (no
 * agent to ask): locked, as gpgsm would then start one that asks. */
static bool
grip_locked(const char *grip)
{
	const char *sock = gpgme_get_dirinfo("agent-socket");
	struct keyinfo ki = { false, true };
	gpgme_error_t op_err = 0;
	gpgme_ctx_t a = NULL;
	char *cmd;

	if (sock == NULL || strspn(grip, "0123456789ABCDEFabcdef") != strlen(grip) ||
	    gpgme_new(&a) != 0)
		return true;
	gpgme_set_protocol(a, GPGME_PROTOCOL_ASSUAN);
	cmd = g_strdup_printf("KEYINFO %s", grip);
	if (gpgme_ctx_set_engine_info(a, GPGME_PROTOCOL_ASSUAN, sock, NULL) != 0 ||
	    gpgme_op_assuan_transact_ext(a, cmd, NULL, NULL, NULL, NULL, keyinfo_status, &ki,
					 &op_err) != 0 || op_err != 0 || !ki.seen)
		ki.locked = true;
	g_free(cmd);
	gpgme_release(a);
	return ki.locked;
}

static bool
serial_wanted(const GPtrArray *serials, const char *serial)
{
	char *c = serial_canon(serial);
	bool found = false;

	for (guint i = 0; !found && i < serials->len; i++)
		found = strcmp(serials->pdata[i], c) == 0;
	g_free(c);
	return found;
}

bool
mime_smime_needs_passphrase(const guint8 *der, size_t len)
{
	GPtrArray *serials = recipient_serials(der, len);
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	bool any_open = false, any_locked = false;

	if (serials == NULL || serials->len == 0 || gpgme_new(&ctx) != 0)
		goto out;
	gpgme_set_protocol(ctx, GPGME_PROTOCOL_CMS);
	/* listing secret keys starts the agent when it is not running */
	if (gpgme_op_keylist_start(ctx, NULL, 1) != 0)
		goto out;
	while (!any_open && gpgme_op_keylist_next(ctx, &key) == 0) {
		if (key->issuer_serial != NULL && key->subkeys != NULL &&
		    key->subkeys->keygrip != NULL && serial_wanted(serials, key->issuer_serial)) {
			if (grip_locked(key->subkeys->keygrip))
				any_locked = true;
			else
				any_open = true;
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
out:
	if (ctx != NULL)
		gpgme_release(ctx);
	if (serials != NULL)
		g_ptr_array_unref(serials);
	/* one key that decrypts without asking is enough */
	return any_locked && !any_open;
}

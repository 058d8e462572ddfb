/* tern — ui/send: what the command line and the interface share to answer
 * mail: the account's identities and signature, the X-Tern-Original mark
 * of a reply or forward, and an outbox row for a built message. */
#ifndef TERN_UI_SEND_H
#define TERN_UI_SEND_H

#include "core/common.h"
#include "core/config/config.h"
#include "core/store/store.h"
#include "mime/mime.h"

/* The account's from + alternates. Transfer full (mime_identities_free()). */
struct mime_identities *send_identities(const struct account *a);

/* signature_file, else signature_command's output (run without a shell,
 * bounded), else NULL; valid UTF-8. *warning_r (may be NULL) gets a
 * translated sentence when one is set but cannot be read. Transfer full. */
char *send_signature(const struct account *a, char **warning_r);

/* What a message does when its draft says nothing (no X-Tern-Crypt): the
 * account's crypt_default_sign, crypt_default_encrypt and
 * crypt_opportunistic_encrypt; answers_encrypted: it answers an encrypted
 * message, and pgp_encrypt_replies makes it encrypted. p_r->key and
 * p_r->smime_key are the account's pgp_key and smime_key (transfer none,
 * valid while a is). */
void send_protect_defaults(const struct account *a, bool answers_encrypted,
			   struct mime_protect *p_r);
/* The draft's X-Tern-Crypt (crypt, may be NULL) when it says something,
 * else send_protect_defaults(). */
void send_protect_choice(const struct account *a, const char *crypt, bool answers_encrypted,
			 struct mime_protect *p_r);

/* X-Tern-Original: "answered|forwarded UIDVALIDITY UID FOLDER". Transfer full. */
char *send_original_format(bool forward, guint32 uidvalidity, guint32 uid, const char *folder);
/* The same for several originals (; r, ; f): "answered UIDVALIDITY 3,7,9
 * FOLDER"; each gets the flag once the message is sent. At most
 * SEND_MAX_ORIGINALS (guint32 UIDs). Transfer full. */
#define SEND_MAX_ORIGINALS 1000
char *send_original_format_set(bool forward, guint32 uidvalidity, const GArray *uids,
			       const char *folder);

/* An outbox row for o (borrowing o's strings and bytes; rcpts and the
 * original's fields are the entry's own: free with send_entry_clear()). */
void send_entry_init(struct store_outbox_entry *e, const struct account *a,
		     const struct mime_outgoing *o);
void send_entry_clear(struct store_outbox_entry *e);

#endif

/* tern — mime/: what only the mime module sees. */
#ifndef TERN_MIME_PRIVATE_H
#define TERN_MIME_PRIVATE_H

#include <gmime/gmime.h>

#include "mime/mime.h"

struct mime_message {
	GBytes *bytes;          /* our reference when parsed from GBytes, else NULL */
	GByteArray *wrapper;    /* points into the caller's bytes; we own only the struct */
	GByteArray *copy;       /* our own bytes when headers had to be cut, else NULL */
	GMimeStream *stream;    /* mem stream over wrapper (owner FALSE) */
	GMimeMessage *message;  /* NULL when GMime found no header: then the bytes are
				   shown as plain text */
	const char *data;       /* the bytes given to GMime */
	size_t data_len;
	bool truncated;
	GPtrArray *attachments; /* struct mime_attachment *, built lazily */
	GPtrArray *att_objects; /* GMimeObject * (transfer none) parallel to attachments */
	/* crypto.c, after mime_message_process_crypto(): */
	struct mime_crypto *crypto;
	GHashTable *crypto_marks; /* GMimeObject * -> GINT_TO_POINTER(MIME_MARK_* flags) */
	GHashTable *inline_pgp;   /* GMimePart * -> GPtrArray of struct mime_inline_segment * */
};

/* How the renderer frames a part the crypto pass looked at. */
enum {
	MIME_MARK_VERIFIED = 1,  /* a multipart/signed (or S/MIME signed content) checked */
	MIME_MARK_DECRYPTED = 2, /* content that was encrypted */
	MIME_MARK_PARTIAL = 4,   /* it is not the whole message: show where it starts and ends */
	MIME_MARK_FAILED = 8,    /* encrypted, and decrypting it failed */
};

/* An inline PGP text part, cut into what the block covers and the rest. */
enum mime_inline_kind { MIME_INLINE_PLAIN, MIME_INLINE_SIGNED, MIME_INLINE_DECRYPTED,
			MIME_INLINE_FAILED };
struct mime_inline_segment {
	enum mime_inline_kind kind;
	char *text; /* UTF-8, controls kept (the renderer sanitises) */
};

/* crypto.c: frees what the crypto pass keeps in msg (mime_message_free()). */
void mime_crypto_clear(struct mime_message *msg);
/* crypto.c: registers GMime's OpenPGP and S/MIME contexts (mime_init()). */
void mime_crypto_init(void);

/* structure.c: frees one struct mime_part_entry. */
void mime_part_entry_free(struct mime_part_entry *e);

/* mime.c: the parser options every parse and decode uses (transfer none). */
GMimeParserOptions *mime_parser_options(void);
const char *mime_fallback_charset(void);

/* prescan.c: how many bytes of the message to give GMime (cut) so that it
 * never builds more than MIME_MAX_DEPTH levels or MIME_MAX_PARTS parts, and
 * which byte ranges to leave out (drops, in order) so that no header field is
 * longer than MIME_MAX_HEADER_LEN and no block has too many fields.
 * truncated: something was cut or left out. Free drops with g_array_unref. */
struct mime_range {
	size_t start, end;
};
struct mime_prescan {
	size_t cut;
	bool truncated;
	GArray *drops; /* struct mime_range */
};
void mime_prescan(const char *bytes, size_t len, struct mime_prescan *out);

/* message.c: the raw value of the first header called name (transfer none). */
const char *mime_object_raw_header(GMimeObject *obj, const char *name);
/* message.c: part classification shared by the attachment list and the renderer. */
bool mime_part_is_displayable(GMimeObject *obj);
bool mime_part_is_inline_text(GMimeObject *obj);
bool mime_part_is_attachment(GMimeObject *obj);

/* mime/smime-lock.c: whether decrypting the S/MIME enveloped-data der
 * (len bytes, the caller's bound) needs a passphrase gpg-agent has not
 * cached for every certificate of the user it is encrypted to (then gpgsm
 * would bring up the agent's pinentry). false when it cannot tell which:
 * no matching secret key, or not enveloped-data. */
bool mime_smime_needs_passphrase(const guint8 *der, size_t len);
/* Decoded content of a leaf part (transfer full, GByteArray). */
GByteArray *mime_part_decoded(GMimePart *part);
/* Decoded content converted to UTF-8 (transfer full). */
char *mime_part_text(GMimePart *part, size_t *len_r);
/* "type/subtype" lower case (transfer full). */
char *mime_object_type(GMimeObject *obj);

/* lines.c: turn UTF-8 text into display lines. */
struct mime_lines {
	GPtrArray *lines; /* struct mime_line * (transfer none: the render result owns it) */
	size_t width;
};
void mime_lines_add_text(struct mime_lines *out, const char *utf8, size_t len, bool flowed,
			 bool delsp, enum mime_line_kind kind);
void mime_lines_add(struct mime_lines *out, const char *text, unsigned depth,
		    enum mime_line_kind kind);
void mime_line_free(gpointer line);
unsigned mime_quote_depth(const char *s, size_t len, size_t *prefix_len_r);

/* html.c: the body text and the link URLs apart (links get their own line
 * kind and are never wrapped); links: char *, g_free. */
void mime_html_render_parts(const char *html, size_t len, GString *text, GPtrArray *links);
char *mime_html_external(const char *command, const char *html, size_t len, GError **error);

/* unicode.c: the iconv name for a charset label iconv may not know by that
 * spelling (WHATWG Encoding Standard labels, '_' read as '-'), or NULL.
 * Transfer none (static). */
const char *mime_charset_alias(const char *label);
/* UTF-16/UTF-32 text to UTF-8 (transfer full; never fails once chosen): the
 * byte order mark wins over the label; a UTF-16/32 label without one, or
 * text whose zero bytes say so, guesses the byte order (else little
 * endian). A UTF-8 BOM is dropped. NULL when the text is none of these. */
char *mime_unicode_to_utf8(const char *charset, const char *bytes, size_t len, size_t *len_r);

/* html.c: a mailcap entry split at unescaped ';', fields trimmed
 * (transfer full). */
GPtrArray *mime_mailcap_fields(const char *entry);

/* mime_charset_to_utf8() of bytes appended to out. */
void mime_charset_append_utf8(GString *out, const char *charset, const char *bytes, size_t len);

/* Closes the converters charset.c keeps open (mime_shutdown()). */
void mime_charset_cleanup(void);

#endif

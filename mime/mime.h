/* tern — mime/: GMime 3 wrappers. The only layer that includes GMime.
 *
 * Parse a fetched message, decode its headers (RFC 2047/2231, 8-bit fallback),
 * choose what to show (text/plain, else HTML rendered to text), convert every
 * text part to UTF-8, reflow format=flowed, list and save attachments.
 *
 * Every string this module returns for display has passed core/text's
 * sanitiser; strings documented as "UTF-8, controls kept" are for matching and
 * JSON (pass them to text_json_escape() or text_sanitize() before printing).
 *
 * Typical use (tern show):
 *     struct mime_message *msg = mime_message_parse(bytes, len);
 *     struct mime_render_opts opts;
 *     mime_render_opts_init(&opts);
 *     opts.width = 80;
 *     struct mime_rendered *r = mime_render(msg, &opts);
 *     char *text = mime_rendered_format(r);
 *     fputs(text, stdout);
 *     g_free(text); mime_rendered_free(&r); mime_message_free(&msg);
 */
#ifndef TERN_MIME_H
#define TERN_MIME_H

#include "core/common.h"

/* ---- Bounds (a message is hostile) ---------------------------------------- */

/* Deepest nesting of multiparts and message/rfc822 shown; deeper is cut. */
#define MIME_MAX_DEPTH 32
/* Most MIME parts parsed in one message; the rest is cut (and said so). */
#define MIME_MAX_PARTS 10000
/* Longest header field parsed or decoded; the rest of a longer one is dropped. */
#define MIME_MAX_HEADER_LEN (64 * 1024)
/* Most header fields parsed in one header block, and in the whole message
 * (Content-* fields are always kept); the others are left out. */
#define MIME_MAX_HEADER_FIELDS 1000
#define MIME_MAX_HEADER_FIELDS_TOTAL 50000
/* Longest HTML part given to the HTML renderer; the rest is dropped. */
#define MIME_MAX_HTML_LEN (32 * 1024 * 1024)
/* Deepest HTML element nesting walked by the built-in renderer. */
#define MIME_MAX_HTML_DEPTH 200
/* Most bytes read from an external HTML renderer, and its time limit. */
#define MIME_MAX_RENDERER_OUTPUT (16 * 1024 * 1024)
#define MIME_RENDERER_TIMEOUT_S 20
/* Longest file name produced by mime_attachment_safe_name(), in bytes. */
#define MIME_MAX_FILENAME 200

/* ---- Set-up ---------------------------------------------------------------- */

/* Initialise GMime once at start-up, and register mime_header_decode() as
 * core's header decoder (text_set_header_decoder()). */
void mime_init(void);
void mime_shutdown(void);

/* Charset tried for unlabelled 8-bit text (headers and bodies) that is not
 * valid UTF-8. Default "windows-1252". Call at start-up (not thread-safe).
 * NULL restores the default. */
void mime_set_fallback_charset(const char *charset);

/* ---- Headers ----------------------------------------------------------------- */

/* Decodes a raw header value as it came from the server: unfolds it, decodes
 * RFC 2047 encoded-words (also inside quotes and words, merged across adjacent
 * words so split multi-byte characters survive; unknown or wrong charset
 * labels fall back to UTF-8, then the fallback charset), and reads unlabelled
 * 8-bit text as UTF-8 else the fallback charset. At most MIME_MAX_HEADER_LEN
 * bytes of raw are read. Returns valid UTF-8 with controls kept (sanitise
 * before display). raw may be NULL (returns ""). Transfer full (g_free).
 * Matches text_header_decoder, and is registered as core's decoder. */
char *mime_header_decode(const char *raw);

/* Converts bytes in charset (may be NULL: unlabelled) to UTF-8: the declared
 * charset, else UTF-8 when valid, else the fallback charset, else ISO-8859-1
 * (never fails). The result is valid UTF-8, controls kept. *len_r (optional)
 * gets its length. Transfer full. */
char *mime_charset_to_utf8(const char *charset, const char *bytes, size_t len, size_t *len_r);

/* ---- Messages ------------------------------------------------------------------- */

struct mime_message;

/* Parses a whole RFC 5322 message. Never fails: anything GMime cannot read
 * becomes an empty or partial message (a good reader shows what it can).
 * mime_message_parse() BORROWS bytes: they must stay valid and unchanged until
 * mime_message_free() (no copy of the message is made; parts refer into it).
 * mime_message_parse_bytes() takes its own reference on bytes instead.
 * Structure past MIME_MAX_DEPTH / MIME_MAX_PARTS is cut (mime_message_truncated()).
 * Transfer full: free with mime_message_free(). */
struct mime_message *mime_message_parse(const char *bytes, size_t len);
struct mime_message *mime_message_parse_bytes(GBytes *bytes);
void mime_message_free(struct mime_message **msg);

/* True when part of the message was left out because it exceeded a bound. */
bool mime_message_truncated(const struct mime_message *msg);

/* ---- Attachments ------------------------------------------------------------------ */

struct mime_attachment {
	unsigned index;     /* 1-based: the number tern show prints and tern save takes */
	char *content_type; /* "image/png", lower case, sanitised */
	char *filename;     /* decoded, passed through mime_attachment_safe_name(): never
			       NULL, safe to use as a file name in a directory */
	guint64 size;       /* bytes of the decoded content */
	unsigned depth;     /* nesting: 0 at top level, +1 inside each attached message */
	char *disposition;  /* Content-Disposition's value, lower case ("attachment",
			       "inline"), or NULL when the part has none */
};

/* The attachments of msg, in order: every part that is not shown as body text
 * (non-text types, disposition attachment, signatures, the parts of an
 * encrypted message, the alternatives other than text/plain and text/html),
 * every part with a file name (also when shown inline, so it can be saved),
 * and every attached message (message/rfc822, also shown inline).
 * The list is the same whatever the render options are. Transfer none: a
 * GPtrArray of struct mime_attachment *, valid until mime_message_free(). */
const GPtrArray *mime_message_attachments(struct mime_message *msg);

/* A file name that is safe to create in a directory: the last path component
 * of name (after '/' or '\'), controls, bidi controls, DEL and invalid UTF-8
 * replaced by '_' (U+FFFD for invalid bytes), leading dots and spaces and
 * trailing dots and spaces removed, at most MIME_MAX_FILENAME bytes (cut on a
 * character boundary, keeping a short extension), other UTF-8 kept. NULL, empty
 * or nothing left → "attachment-INDEX". Transfer full. */
char *mime_attachment_safe_name(const char *name, unsigned index);

/* Writes the decoded content of attachment `index` (1-based) to
 * DIR/<its filename>. Never follows a symlink at that name (O_NOFOLLOW) and
 * never overwrites an existing file unless force (O_CREAT|O_EXCL; with force,
 * O_TRUNC). A partial file is removed on error. *path_r (optional) gets the
 * path written (transfer full). Returns 0, or -1 with error set (G_FILE_ERROR:
 * G_FILE_ERROR_EXIST when the file exists, G_FILE_ERROR_NOENT for a bad index
 * or directory, ...). */
int mime_attachment_save(struct mime_message *msg, unsigned index, const char *dir, bool force,
			 char **path_r, GError **error);

/* The same for content fetched on its own (a part by BINARY): written to
 * DIR/mime_attachment_safe_name(name, index) with the same care. */
int mime_bytes_save(GBytes *bytes, const char *name, unsigned index, const char *dir, bool force,
		    char **path_r, GError **error);

/* ---- Structure without the body (BODYSTRUCTURE) ------------------------------------ */

struct imap_part; /* core/imap/client.h */

/* One leaf part or attached message of a BODYSTRUCTURE (multipart
 * containers are not listed). */
struct mime_part_entry {
	char *section;       /* IMAP section ("2.1"), letters, digits and '.' only */
	unsigned index;      /* the attachment number tern save takes (as in
				mime_message_attachments()), 0 for body text */
	char *content_type;  /* "text/plain", lower case, a token */
	guint64 size;        /* octets, as the server reports */
	char *filename;      /* decoded (RFC 2231/2047), valid UTF-8 but not
				sanitised nor made safe, or NULL */
	char *disposition;   /* lower case token, or NULL */
	char *encoding;      /* Content-Transfer-Encoding, lower case token, or NULL */
	char *charset;       /* charset parameter (a token), or NULL */
	unsigned depth;      /* nesting: +1 inside each attached message */
	bool message;        /* message/rfc822 (or global, news) */
};

/* The parts of a flattened BODYSTRUCTURE (GPtrArray of struct imap_part *
 * from imap_client_fetch_structure()), in order. Transfer full: a GPtrArray
 * of struct mime_part_entry * that frees them. */
GPtrArray *mime_structure_parts(const GPtrArray *parts);

/* The same list from a parsed message, after mime_message_process_crypto()
 * (mime/crypto.c): an encrypted message lists its decrypted tree, an
 * S/MIME signed-data one the parts inside the signature, numbered as
 * mime_message_attachments() numbers them (what tern save takes). section
 * is NULL for a part inside decrypted or S/MIME-signed content (it has no
 * IMAP section: it only exists once tern has unwrapped it); size is the
 * decoded size. Transfer full, as mime_structure_parts(). */
GPtrArray *mime_message_parts(struct mime_message *msg);

/* Whether a BODYSTRUCTURE holds encrypted or S/MIME signed-data content,
 * whose parts only the whole message, unwrapped, can list. */
bool mime_structure_sealed(const GPtrArray *parts);

/* What the viewer fetches of a message, from its BODYSTRUCTURE. */
enum mime_fetch_plan {
	MIME_FETCH_PARTS = 0, /* the header and the sections named */
	MIME_FETCH_WHOLE = 1, /* the whole message */
};
/* MIME_FETCH_WHOLE when the message must be fetched whole: signed or
 * encrypted anywhere (multipart/signed, multipart/encrypted,
 * application/pkcs7-mime: a signature covers the exact bytes), a message
 * that is one text part, nesting past MIME_MAX_DEPTH, or more than max
 * parts shown. Else MIME_FETCH_PARTS and *sections_r (NULL-terminated,
 * transfer full, maybe empty): the text parts shown, as mime_render()
 * chooses them (of an alternative the plain or the HTML one as
 * prefer_html; every inline text part, also inside attached messages).
 * -1 when parts is not a pre-order flattened structure. */
int mime_structure_plan(const GPtrArray *parts, bool prefer_html, guint max, char ***sections_r);

/* A message to render from a partial fetch: the header (its Content-*
 * fields left out), then one multipart/mixed holding each fetched part
 * with its MIME header (mimes[i] may be NULL: text/plain; bodies[i] NULL:
 * left out). Transfer full. */
GBytes *mime_partial_message(GBytes *header, const GPtrArray *mimes, const GPtrArray *bodies);

/* Undoes a Content-Transfer-Encoding (base64, quoted-printable, uuencode;
 * anything else is copied). Transfer full. */
GBytes *mime_transfer_decode(const char *encoding, const char *bytes, size_t len);

/* ---- Signed and encrypted mail (mime/crypto.c) ------------------------------------
 *
 * PGP/MIME (RFC 3156) and S/MIME through GMime's GPGME contexts; inline PGP
 * (a clearsigned or armored encrypted block in text/plain) through GPGME.
 * Decrypted content lives in memory only: it replaces the encrypted part in
 * the parsed message, never the bytes the caller gave (which are what a
 * cache keeps). Signed parts inside an attached message (message/rfc822) are
 * not verified for the outer message's status: an attached signed message
 * must not lend its signature to the one that carries it. */

/* Most inline PGP blocks looked at in one text part; the rest stays text. */
#define MIME_MAX_INLINE_PGP 8
/* Most encrypted or signed containers processed in one message. */
#define MIME_MAX_CRYPTO_PARTS 16

enum mime_crypto_protocol { MIME_CRYPTO_NONE, MIME_CRYPTO_OPENPGP, MIME_CRYPTO_SMIME };
enum mime_sig {
	MIME_SIG_NONE,        /* not signed */
	MIME_SIG_GOOD,        /* the signature verifies */
	MIME_SIG_BAD,         /* it does not: the content was changed or it is forged */
	MIME_SIG_UNKNOWN_KEY, /* no public key to check it with */
	MIME_SIG_EXPIRED,     /* the key or the signature has expired */
	MIME_SIG_REVOKED,     /* the key is revoked */
	MIME_SIG_ERROR,       /* it could not be checked */
};
enum mime_signed_part {
	MIME_SIGNED_NONE,
	MIME_SIGNED_ALL,     /* the whole text the reader sees is covered */
	MIME_SIGNED_PARTIAL, /* a signed part sits among unsigned ones (or text
				around an inline block) */
};
/* How far the key is known to belong to the signer (its user id's validity). */
enum mime_trust { MIME_TRUST_NONE, MIME_TRUST_UNKNOWN, MIME_TRUST_NEVER, MIME_TRUST_MARGINAL,
		  MIME_TRUST_FULL };

struct mime_crypto {
	enum mime_crypto_protocol protocol; /* of the first signed or encrypted part */
	enum mime_sig signature;            /* of the first signature met */
	enum mime_signed_part signed_part;
	char *signer;       /* "Name <address>" as in the key (UTF-8, NOT sanitised), or NULL */
	char *key;          /* the signing key's fingerprint (or key id), or NULL */
	enum mime_trust trust;
	bool signer_matches_from; /* an address of the key is the From address */
	bool several_signers; /* signed parts by different keys (then signature, signer
				 and key describe the worst of them) */
	bool encrypted;     /* some part was encrypted */
	bool decrypted;     /* ... and could be decrypted (every one) */
	bool partly_encrypted; /* an encrypted part sits among parts sent in clear
				  (or text around an inline block) */
	bool inline_pgp;    /* the signature or encryption is inline PGP */
	GPtrArray *recipients; /* char *: the keys it was encrypted to (key ids or
				  fingerprints, hex) */
	char *error;        /* why decryption or verification failed (UTF-8, NOT
			       sanitised), or NULL */
};

/* Verifies and decrypts what msg holds (the first MIME_MAX_CRYPTO_PARTS
 * containers). Runs gpg/gpgsm through GPGME and may wait for gpg-agent (and
 * the pinentry it starts): call it off the interface thread. Call it at most
 * once, before mime_render() and mime_message_attachments(), which then see
 * the decrypted parts. Returns the status: transfer none, valid until
 * mime_message_free(). */
const struct mime_crypto *mime_message_process_crypto(struct mime_message *msg);

/* Seconds tern waits for verification and decryption (gpg-agent, and a
 * pinentry it starts) before it says the agent is not answering: the
 * viewer's notice and the command line's limit. */
#define MIME_CRYPTO_WAIT_S 15

/* mime_message_process_crypto() in a worker thread, waiting at most
 * seconds for it (a gpg-agent that never answers must not hang a command).
 * true: done, *msgp processed. false: it did not end in time; *msgp is
 * left to the worker, which frees it if it ever ends, and is set to NULL.
 * *msgp must own its bytes (mime_message_parse_bytes()). */
bool mime_message_process_crypto_bounded(struct mime_message **msgp, guint seconds);

/* Tests and the fuzzer: with the engine off the structure walk and the
 * inline block search run as usual but GPGME is never called (signatures
 * are "error", decryption fails). Call before any other thread runs. */
void mime_crypto_set_engine(bool on);

/* Whether gpg-agent may ask for a passphrase (its pinentry) while a
 * message is decrypted. true (the default, the command line): it may.
 * false (the interface, whose screen a terminal pinentry would fight
 * over): OpenPGP decryption goes through GPGME in loopback mode with no
 * passphrase given, and S/MIME is not decrypted when the agent says the
 * recipient's key is protected and not unlocked (GPGME has no loopback
 * mode for gpgsm); so a key the agent has not unlocked fails at once and
 * the error says so. Call before any other thread runs. */
void mime_crypto_set_passphrase_prompt(bool allowed);

/* A copy of c (transfer full), and its destructor. */
struct mime_crypto *mime_crypto_copy(const struct mime_crypto *c);
void mime_crypto_free(struct mime_crypto **c);

/* One line of the status a reader sees above the body, translated and
 * sanitised. warning: not a fully good state (bad or unchecked signature,
 * untrusted key, address not the sender's, partly signed, not decrypted). */
struct mime_status_line {
	char *text;
	bool warning;
};
/* The status lines of c (empty when neither signed nor encrypted).
 * Transfer full: a GPtrArray of struct mime_status_line * that frees them. */
GPtrArray *mime_crypto_status_lines(const struct mime_crypto *c);
/* The JSON names of the enums ("openpgp", "unknown-key", "partial", "full"...);
 * NULL for MIME_CRYPTO_NONE and MIME_TRUST_NONE. Transfer none (static). */
const char *mime_crypto_protocol_name(enum mime_crypto_protocol p);
const char *mime_sig_name(enum mime_sig s);
const char *mime_signed_part_name(enum mime_signed_part s);
const char *mime_trust_name(enum mime_trust t);

/* ---- Rendering ------------------------------------------------------------------- */

struct mime_render_opts {
	size_t width;             /* wrap body lines to this many columns; 0 = no wrap
				     (format=flowed paragraphs then come out as one line) */
	bool prefer_html;         /* in multipart/alternative show the HTML (as text) */
	bool all_headers;         /* --headers: every header of the message, decoded */
	const char *html_command; /* external renderer, mailcap style, e.g.
				     "w3m -dump -T text/html %s" (%s = a 0600 temp file
				     holding the HTML; without %s the file is stdin).
				     Run without a shell. NULL = built-in renderer. */
};

/* Defaults: width 0, plain text preferred, the usual five headers, built-in HTML. */
void mime_render_opts_init(struct mime_render_opts *opts);

enum mime_line_kind {
	MIME_LINE_TEXT,   /* body text */
	MIME_LINE_HEADER, /* a header line of an attached message ("Subject: ...") */
	MIME_LINE_NOTICE, /* tern's own note: "[-- Attached message --]", "signed, not verified" */
	MIME_LINE_LINK,   /* the numbered URL list under an HTML body: "[1] https://..." */
};

struct mime_line {
	char *text;           /* one display line: sanitised UTF-8, no LF, TABs expanded,
				 at most width columns when width > 0 (quote markers kept) */
	unsigned quote_depth; /* 0, or how many '>' levels quote this line */
	enum mime_line_kind kind;
};

struct mime_header {
	char *name;  /* as in the message (sanitised) */
	char *value; /* decoded, sanitised, one line */
};

/* Every header of the message in order, for a program (tern show --json):
 * name as in the message and value unfolded and decoded (RFC 2047), both
 * valid UTF-8 but NOT sanitised (escape them: text_json_escape()). Empty
 * when the message has no header. Transfer full: a GPtrArray of struct
 * mime_header * with its free function set. */
GPtrArray *mime_message_headers(struct mime_message *msg);

struct mime_rendered {
	/* Decoded and sanitised one-line values; NULL when the header is absent. */
	char *from, *to, *cc, *subject;
	char *date; /* local time "Wed, 31 Jan 2024 12:00:00 +0000", or the raw value
		       (sanitised) when unreadable; NULL when absent */
	GPtrArray *headers;     /* struct mime_header *: every header in order when
				   opts->all_headers, else empty */
	GPtrArray *lines;       /* struct mime_line *: the body */
	GPtrArray *attachments; /* struct mime_attachment *: a copy of
				   mime_message_attachments(), owned here */
	bool all_headers;       /* copied from the options */
	bool truncated;         /* the message structure was cut (a notice line says so) */
	struct mime_crypto *crypto; /* a copy of what mime_message_process_crypto()
				       found, or NULL when it was not called */
};

/* Renders msg for display. Never fails. Transfer full: free with
 * mime_rendered_free(). msg may be freed before the result. */
struct mime_rendered *mime_render(struct mime_message *msg, const struct mime_render_opts *opts);
void mime_rendered_free(struct mime_rendered **r);

/* The body text of a whole message for the local full-text index (the
 * text_body_extractor mime_init() registers): the body lines of
 * mime_render() with the built-in HTML renderer, unwrapped, plain text
 * preferred, joined by LF, without headers, notices or link lists, at
 * most max bytes (cut on a character boundary); NULL when there is no
 * text. Nothing is decrypted. Transfer full. */
char *mime_body_text(const void *data, gsize len, gsize max);
/* The same for a message already parsed, after
 * mime_message_process_crypto(): an encrypted message's decrypted text
 * (for cache_decrypted). Transfer full. */
char *mime_message_text(struct mime_message *msg, gsize max);
/* The same for parts fetched alone (the text_parts_extractor): each part's
 * MIME header and content, n of them, as mime_partial_message() puts them
 * together. Transfer full. */
char *mime_parts_text(GBytes *const *mimes, GBytes *const *bodies, guint n, gsize max);

/* Exactly what `tern show FOLDER UID` prints: when r->crypto has status
 * lines, each first as "[tern] LINE" (tern's, never the message's: the
 * message's own text starts after the headers), then "From:", "To:", "Cc:" (only when
 * present), "Date:", "Subject:" (or, with all_headers, every header), a blank
 * line, the body lines, and when there are attachments a blank line then
 * "Attachments:" and one line each: "  [N] NAME (TYPE, SIZE)". Every line ends
 * in LF. Transfer full. */
char *mime_rendered_format(const struct mime_rendered *r);

/* One attachment list line without the leading spaces: "[N] NAME (TYPE, SIZE)".
 * Transfer full. */
char *mime_attachment_describe(const struct mime_attachment *a);

/* Reads a mailcap file and returns the command of the first entry for
 * text/html (or text/ *) that has the copiousoutput flag and no
 * needsterminal, e.g. "w3m -dump -T text/html %s". NULL when there is none or
 * the file cannot be read. Transfer full. */
char *mime_mailcap_html_command(const char *path);

/* One mailcap entry (RFC 1524) for a type. The command is a shell command
 * line by the RFC (run it with /bin/sh -c); its % escapes are the caller's
 * to replace. */
struct mime_mailcap_entry {
	char *command;
	char *test;          /* test= command, or NULL */
	bool copiousoutput;
	bool needsterminal;
};

/* The entries of a mailcap file for type ("image/png": also "image/ *" and
 * "image"), in file order; empty when the file cannot be read. Transfer
 * full: a GPtrArray of struct mime_mailcap_entry * that frees them. */
GPtrArray *mime_mailcap_entries(const char *path, const char *type);

/* The decoded content of attachment index (1-based; an attached message
 * as its bytes), or NULL for a bad index. Transfer full. */
GBytes *mime_attachment_bytes(struct mime_message *msg, unsigned index);

/* The HTML renderer alone (tests, and for callers holding HTML): renders UTF-8
 * HTML to plain text lines separated by LF, with links numbered "[1]" and the
 * list of URLs at the end. Not sanitised (it goes through mime_render()'s line
 * handling). Transfer full. */
char *mime_html_to_text(const char *html, size_t len);

/* ---- Composing (mime/compose.c) -------------------------------------------------
 *
 * A message being written is a struct mime_draft: plain UTF-8 fields that
 * the editor (the CLI's draft file, the interface's review screen) shows
 * and changes. mime_draft_reply() / mime_draft_forward() / mime_draft_new()
 * make one; mime_draft_format() writes it as a "headers on top" file for
 * $EDITOR and mime_draft_parse() reads that file back (with clear errors
 * for bad addresses); mime_draft_build() turns it into the bytes to send.
 *
 * The headers-on-top file: a header block (From, To, Cc, Bcc, Subject,
 * Reply-To, In-Reply-To, References, Attach — one file path each, may
 * repeat — and X-Tern-Original), a blank line, then the body. Continuation
 * lines start with a blank. A file whose header block holds anything else
 * (MIME-Version, Date, Content-Type...) is an RFC 5322 message:
 * mime_outgoing_from_text() sends it as it is.
 *
 * Values from the original message never put a line break into a header:
 * CR, LF, NUL and other controls in names and subjects become spaces. */

/* Longest file a draft may attach (bytes), and the most attachments. */
#define MIME_MAX_ATTACHMENT (64 * 1024 * 1024)
#define MIME_MAX_ATTACHMENTS 100
/* Longest draft file read back (headers and body, without attachments). */
#define MIME_MAX_DRAFT (16 * 1024 * 1024)
/* Most message ids kept in References (the first and the newest). */
#define MIME_MAX_REFERENCES 20
/* The longest mailto: URL, List-Post or Mail-Followup-To read, and the most
 * hfields a mailto: URL may have. */
#define MIME_MAX_MAILTO 8192
#define MIME_MAX_MAILTO_FIELDS 64

#define MIME_COMPOSE_ERROR (mime_compose_error_quark())
GQuark mime_compose_error_quark(void);
enum mime_compose_error_code {
	MIME_COMPOSE_ERROR_ADDRESS,    /* a bad address: the message says which, and the line */
	MIME_COMPOSE_ERROR_NO_RCPT,    /* no recipient at all */
	MIME_COMPOSE_ERROR_SYNTAX,     /* the draft file cannot be read as one */
	MIME_COMPOSE_ERROR_ATTACHMENT, /* an attachment cannot be read */
	MIME_COMPOSE_ERROR_KEY,        /* signing/encrypting: a key is missing or unusable
					  (the message names the addresses), or Bcc */
	MIME_COMPOSE_ERROR_CRYPTO,     /* GnuPG failed to sign or encrypt */
};

/* The user's addresses, from the account: from ("Name <a@b>") first, then
 * alternates. Parsed by mime_identities_new(); transfer full
 * (mime_identities_free()). */
struct mime_identities;
struct mime_identities *mime_identities_new(const char *from, const char *alternates,
					    const char *user);
void mime_identities_free(struct mime_identities **ids);
/* The default From ("Name <a@b>", UTF-8), or NULL when the account names
 * no address (no from, and user is not an address). Transfer none. */
const char *mime_identities_default(const struct mime_identities *ids);
/* Every identity as "Name <a@b>" (the default first): the From choices.
 * Transfer container (the strings are ids', valid as long as ids). */
GPtrArray *mime_identities_list(const struct mime_identities *ids);

enum mime_reply_mode {
	MIME_REPLY_SENDER, /* Reply-To, else From */
	MIME_REPLY_ALL,    /* and every To and Cc, the user's own addresses left out;
			      Mail-Followup-To instead of them all when there is one */
	MIME_REPLY_LIST,   /* Mail-Followup-To, else List-Post's address, else as SENDER */
};

struct mime_draft {
	char *from;        /* "Name <a@b>", UTF-8; NULL: the default identity */
	char *to, *cc, *bcc, *reply_to; /* address lists, UTF-8, comma-separated, or NULL */
	char *subject;     /* UTF-8, one line, or NULL */
	char *in_reply_to; /* "<id>" or NULL */
	char *references;  /* "<id1> <id2>..." or NULL */
	char *original;    /* X-Tern-Original: opaque to mime/ (the CLI's "answered
			      FOLDER..."), kept through the file, never sent; or NULL */
	char *postponed;   /* X-Tern-Postponed: where its copy in Drafts is (the
			      interface's "UIDVALIDITY UID FOLDER"), opaque to mime/,
			      kept through the file, never sent; or NULL */
	char *crypt;       /* X-Tern-Crypt: "sign", "encrypt", "sign encrypt",
			      "opportunistic"... or "none" (mime_crypt_parse()): signing and encrypting as chosen
			      when it is sent, kept through the file, never sent; or
			      NULL: the account's defaults */
	char *body;        /* UTF-8, LF line ends */
	GPtrArray *attach; /* char *: file paths to attach */
	GBytes *attach_message; /* a whole message to attach as message/rfc822, or NULL */
};

/* An empty draft (From = the default identity). Transfer full. */
struct mime_draft *mime_draft_new(const struct mime_identities *ids);
void mime_draft_free(struct mime_draft **d);

/* A reply to orig: To/Cc by mode (the user's own addresses never among
 * them; a reply to one's own message goes to its To), From = the identity
 * the original was addressed to (else the default), "Re: " once,
 * In-Reply-To and References (trimmed to MIME_MAX_REFERENCES), and a body
 * of an attribution line ("On DATE, NAME wrote:") and the original's text
 * quoted with "> " (format=flowed paragraphs joined first). Transfer full. */
struct mime_draft *mime_draft_reply(struct mime_message *orig, enum mime_reply_mode mode,
				    const struct mime_identities *ids);
/* A draft from a message kept in the Drafts folder (one another program,
 * or this one, put there): its From, To, Cc, Bcc, Subject, In-Reply-To,
 * References (one line each, cleaned) and its text as shown; attachments
 * are not carried. Transfer full. */
struct mime_draft *mime_draft_from_stored(struct mime_message *stored,
					  const struct mime_identities *ids);
/* The list's posting address: List-Post's first mailto: (RFC 2369), an
 * addr-spec, or NULL when the message has none (or "NO"). Transfer full. */
char *mime_message_list_post(struct mime_message *m);
/* True when MIME_REPLY_LIST has a list to answer: List-Post or
 * Mail-Followup-To. */
bool mime_message_has_list(struct mime_message *m);
/* A new draft from a mailto: URL (RFC 6068): the addresses before "?" and
 * the to, cc, bcc, subject, body and in-reply-to hfields, %-decoded (body
 * line breaks as LF); any other hfield is ignored. At most MIME_MAX_MAILTO
 * bytes and MIME_MAX_MAILTO_FIELDS fields; a bad escape, NUL or invalid
 * UTF-8 is MIME_COMPOSE_ERROR_SYNTAX, a bad address _ADDRESS. Header values
 * are made one line. 0 and *d_r (transfer full), or -1 and *error. */
int mime_draft_from_mailto(const char *url, const struct mime_identities *ids,
			   struct mime_draft **d_r, GError **error);
/* A forward of orig: "Fwd: " once, From as for a reply. inline: the body
 * holds a "Forwarded message" header block and the original's text;
 * else orig_bytes is attached whole as message/rfc822 (attach_message).
 * Transfer full. */
struct mime_draft *mime_draft_forward(struct mime_message *orig, GBytes *orig_bytes,
				      bool as_attachment, const struct mime_identities *ids);
/* Answering several messages in one (; r, ; f): more's recipients added
 * to d's (To to To, Cc to Cc; each address once, none of the user's own,
 * none in Cc that is in To), more's In-Reply-To and References added to
 * d's (each id once; References trimmed to MIME_MAX_REFERENCES), and
 * more's body (its attribution line and quote, or its forwarded block)
 * after d's, a blank line between. d's From and Subject stay. */
void mime_draft_merge(struct mime_draft *d, const struct mime_draft *more,
		      const struct mime_identities *ids);
/* Append the signature below a "-- " line (nothing when sig is NULL or
 * empty; a signature that already starts with "-- " is not given another). */
void mime_draft_add_signature(struct mime_draft *d, const char *sig);

/* The headers-on-top text of d, LF line ends (empty To/Cc/Bcc/Subject
 * lines are written so the user can fill them in). Transfer full. */
char *mime_draft_format(const struct mime_draft *d);
/* Read a headers-on-top file back. Addresses are checked: a bad one is
 * MIME_COMPOSE_ERROR_ADDRESS "line N: To: 'bob' is not an e-mail address".
 * Returns 0 with *d_r (transfer full) or -1 with error. */
int mime_draft_parse(const char *text, size_t len, struct mime_draft **d_r, GError **error);

/* A message ready to send. */
struct mime_outgoing {
	char *message_id;  /* "<id@domain>" */
	char *sender;      /* the envelope sender (From's address) */
	GPtrArray *rcpts;  /* char *: every To, Cc and Bcc address, once each */
	GBytes *data;      /* the message as transmitted: CRLF, no Bcc header */
	char *bcc_field;   /* "Bcc: ...\r\n" to put on top of data for the Sent copy,
			      or NULL */
	char *subject;     /* UTF-8 (for the outbox list), or NULL */
	char *original;    /* the draft's X-Tern-Original, or NULL */
	char *crypt;       /* the draft's X-Tern-Crypt (never transmitted), or NULL */
	bool no_sent_copy; /* a bounce: never copied to Sent */
};
void mime_outgoing_free(struct mime_outgoing **o);

/* Build d: a text/plain UTF-8 body (quoted-printable when a line or byte
 * needs it; format=flowed when a line is longer than 78 columns), the
 * attachments (read with O_NOFOLLOW, typed by GIO, RFC 2231 file names),
 * RFC 2047 headers, a fresh Message-ID on From's domain and Date. From
 * defaults to mime_identities_default(ids). No recipient:
 * MIME_COMPOSE_ERROR_NO_RCPT. Transfer full. */
int mime_draft_build(const struct mime_draft *d, const struct mime_identities *ids,
		     struct mime_outgoing **out_r, GError **error);

/* A bounce (mutt's bounce, alpine's redirect): orig's bytes unchanged
 * under a Resent-From (the default identity), Resent-To (to, an address
 * list: each one checked), Resent-Date and a fresh Resent-Message-ID
 * (which is also o->message_id, the outbox key). The envelope goes to the
 * addresses of to only; no Bcc field, no original to flag. Transfer full. */
int mime_bounce_build(GBytes *orig, const char *to, const struct mime_identities *ids,
		      struct mime_outgoing **out_r, GError **error);

/* One mailbox of an address list, for completion. */
struct mime_mailbox {
	char *display; /* "Name <a@b>" or "a@b": UTF-8, one line, controls made blanks */
	char *addr;    /* "a@b", checked as mime_draft_build() checks recipients */
};
/* The mailboxes of an address list (raw from the server, RFC 2047 decoded
 * here, or typed), groups flattened, invalid addresses left out; at most
 * MIME_MAX_HEADER_LEN bytes read. Transfer full: a GPtrArray of struct
 * mime_mailbox * that frees them. */
GPtrArray *mime_address_list_split(const char *text);

/* What `tern send` reads: a headers-on-top draft (built as above) or an
 * RFC 5322 message (recipients from To/Cc/Bcc, Bcc taken out of what is
 * transmitted, From, Date and Message-ID added when missing, CRLF). */
int mime_outgoing_from_text(const char *text, size_t len, const struct mime_identities *ids,
			    struct mime_outgoing **out_r, GError **error);

/* ---- Signing and encrypting (mime/protect.c) ------------------------------------ */

struct mime_protect {
	bool sign;       /* PGP/MIME multipart/signed (inside the encryption when both) */
	bool encrypt;    /* PGP/MIME multipart/encrypted to every recipient and the sender */
	bool opportunistic; /* without encrypt: encrypt when every recipient and the
			       sender has a usable key, else send in clear (no error) */
	const char *key; /* the signing key (fingerprint, key id or address); NULL:
			    the secret key whose user id carries o->sender */
	const char *smime_key; /* non-NULL: S/MIME instead (RFC 8551), with this
				  certificate (fingerprint or address, as gpgsm
				  knows it): multipart/signed with
				  application/pkcs7-signature, and
				  application/pkcs7-mime enveloped-data around it */
};
/* Replace o->data's body by its signed and/or encrypted form (RFC 3156, or
 * S/MIME when p->smime_key is set; keys then come from gpgsm),
 * once, when the message is finalised: what is queued and copied to Sent is
 * the result. Encrypting needs a usable key for every recipient and for the
 * sender (the Sent copy stays readable); when one is missing, -1 and
 * MIME_COMPOSE_ERROR_KEY naming every such address, o untouched. A message
 * with Bcc is not encrypted (MIME_COMPOSE_ERROR_KEY): one ciphertext for
 * all would name the Bcc recipients' keys to everyone. Signing asks for the
 * key's passphrase through gpg-agent's own pinentry (the caller gives it the
 * terminal). Nothing to do: 0. */
int mime_outgoing_protect(struct mime_outgoing *o, const struct mime_protect *p,
			  GError **error);
/* Whether p asks for encryption of o: encrypt, or opportunistic and every
 * recipient and the sender has a usable OpenPGP key (looked up with GPGME;
 * Bcc is never encrypted opportunistically). */
bool mime_outgoing_will_encrypt(const struct mime_outgoing *o, const struct mime_protect *p);
/* X-Tern-Crypt's value: the words "sign" and "encrypt" or "opportunistic"
 * (encrypt when every key is there), or "none", blanks between. true with
 * p_r's sign, encrypt and opportunistic set (key untouched); false (p_r
 * untouched) when value is NULL or holds another word. */
bool mime_crypt_parse(const char *value, struct mime_protect *p_r);
/* The value for p's choice ("encrypt" wins over "opportunistic"). Transfer
 * none (static). */
const char *mime_crypt_name(const struct mime_protect *p);
/* Whether the message as a whole is encrypted (PGP/MIME multipart/encrypted
 * or S/MIME enveloped-data at the top): a reply to it starts encrypted
 * (pgp_encrypt_replies). Looks at the structure only; runs no GnuPG. */
bool mime_message_is_encrypted(const struct mime_message *msg);

#endif

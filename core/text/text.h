/* tern — core/text: the one display sanitiser, UTF-8 display width, JSON strings.
 *
 * GLib only (no GMime, no ncurses): every layer may use it. Everything that came
 * from a server or a message passes text_sanitize() (or text_json_escape() for
 * --json) before it reaches a terminal (DESIGN.md "Rules that protect the user").
 *
 * Invalid UTF-8 always becomes U+FFFD (one per maximal invalid subpart, as the
 * WHATWG/Unicode "best practice" decoders do). All functions are linear in the
 * input and safe on multi-megabyte bodies. A length of -1 means "NUL-terminated";
 * with an explicit length, NUL bytes are ordinary (control) bytes. */
#ifndef TERN_TEXT_H
#define TERN_TEXT_H

#include "core/common.h"

/* ---- The sanitiser ------------------------------------------------------ */

enum text_sanitize_flags {
	/* One-line field (subject, name, folder): TAB and LF become a space,
	 * CRLF becomes one space. This is the default (flags = 0). */
	TEXT_SANITIZE_ONE_LINE = 0,
	/* Body text: TAB and LF are kept, CRLF is normalised to LF. */
	TEXT_SANITIZE_MULTILINE = 1 << 0,
};

/* What becomes a visible escape:
 *   C0 controls U+0000–U+001F (except TAB/LF as above)  ^@ ^A … ^[ (ESC) … ^_
 *   a lone CR (not part of CRLF)                          ^M
 *   DEL U+007F                                            ^?
 *   C1 controls U+0080–U+009F (as UTF-8 code points)      <U+009B>
 *   bidi controls U+061C U+200E U+200F U+202A–U+202E U+2066–U+2069, and the
 *   line/paragraph separators U+2028 U+2029             <U+202E>
 * Raw bytes 0x80–0x9F are invalid UTF-8 and become U+FFFD like any other
 * invalid sequence. Everything else is copied unchanged. */

/* Returns a new valid UTF-8 string safe to print. Transfer full (g_free).
 * s may be NULL (returns ""). */
char *text_sanitize(const char *s, gssize len, unsigned flags);

/* Same, appended to out. */
void text_sanitize_append(GString *out, const char *s, gssize len, unsigned flags);

/* True when c would be escaped by the sanitiser (controls, DEL, C1, bidi). */
bool text_unichar_is_unsafe(gunichar c);

/* Returns a new copy of s with every invalid UTF-8 sequence replaced by U+FFFD
 * and nothing else changed (controls are kept: for matching, sorting, JSON).
 * Transfer full. s may be NULL (returns ""). */
char *text_make_valid(const char *s, gssize len);

/* ---- JSON ---------------------------------------------------------------- */

/* Appends s as one complete JSON string literal, surrounding double quotes
 * included: `"` and `\` are backslash-escaped; every C0 control, DEL, C1
 * control, bidi control and U+2028/U+2029 is written as a lower-case `\uXXXX`
 * escape (so LF is `\u000a`); invalid UTF-8 becomes U+FFFD; all other text is
 * kept as UTF-8. s == NULL appends the JSON literal `null`. len may be
 * (size_t)-1 for a NUL-terminated s. */
void text_json_escape(GString *out, const char *s, size_t len);

/* ---- Display width ------------------------------------------------------- */

/* Columns one character takes: 0 for controls, combining marks and other
 * zero-width characters; 2 for wide (CJK, fullwidth, most emoji); else 1.
 * East-Asian "ambiguous" characters count as 1. */
unsigned text_unichar_width(gunichar c);

/* Display columns of a UTF-8 string (invalid sequences count as U+FFFD, 1
 * column; controls count 0 — measure sanitised text). */
size_t text_width(const char *s, gssize len);

/* Returns a new string of at most cols columns, never splitting a character
 * (zero-width marks that follow the last kept character are kept with it).
 * When s is wider than cols and ellipsis is not NULL (e.g. "…"), the ellipsis
 * is appended and its width counted within cols. Invalid UTF-8 becomes
 * U+FFFD. Transfer full. */
char *text_truncate(const char *s, gssize len, size_t cols, const char *ellipsis);

/* text_truncate() then right-pad with spaces to exactly cols columns (a wide
 * character that does not fit in the last column is replaced by a space).
 * Transfer full. */
char *text_pad(const char *s, gssize len, size_t cols, const char *ellipsis);

/* Splits s at LF, expands TABs to 8-column stops and wraps each line to at most
 * width display columns, at spaces when possible and hard otherwise (a single
 * character wider than width gets a line of its own). The spaces at a soft
 * break are dropped. An empty s gives one empty line; a trailing LF does not
 * add an empty last line. width 0 means "do not wrap". Transfer full: a
 * GPtrArray of newly allocated UTF-8 strings with g_free as its free function. */
GPtrArray *text_wrap(const char *s, gssize len, size_t width);

/* Like text_wrap(), but the continuation lines of each LF-separated line are
 * wrapped to rest_width (the caller indents them: a hanging indent). */
GPtrArray *text_wrap_hanging(const char *s, gssize len, size_t width, size_t rest_width);

/* ---- Header decoding hook ------------------------------------------------ */

/* A decoder turns a raw header value as the server sent it (RFC 2047
 * encoded-words, 8-bit bytes in some charset) into UTF-8. It returns a new
 * string (transfer full, g_free) or NULL when it cannot decode. mime/
 * registers GMime's in mime_init(); core never includes GMime. */
typedef char *(*text_header_decoder)(const char *raw);

/* Installs the decoder (NULL removes it). Call once at start-up, before any
 * thread uses text_decode_header*(). */
void text_set_header_decoder(text_header_decoder decoder);

/* Decoded text of a raw header value, valid UTF-8, controls kept (for JSON,
 * sorting, threading, searching). Without a decoder: a valid-UTF-8 copy.
 * raw may be NULL (returns ""). Transfer full. */
char *text_decode_header_utf8(const char *raw);

/* Whether text_decode_header_utf8(raw) is raw itself, found in one pass
 * without a copy: ASCII, no encoded-word ("=?"), no line break, shorter
 * than 4 KiB (a decoder must return such a value unchanged). *len_r is
 * its length when it is. For the cache's bulk writes, where nearly every
 * From and Subject is plain. */
bool text_header_is_plain(const char *raw, size_t *len_r);

/* Decoded and sanitised (one-line mode): ready to display. Without a decoder:
 * a sanitised copy. raw may be NULL (returns ""). Transfer full. */
char *text_decode_header(const char *raw);

/* ---- Body text hook (for the local full-text index) ------------------------ */

/* An extractor turns a whole RFC 5322 message (bytes as cached) into the
 * text a reader sees of its body: text parts decoded to UTF-8, HTML as
 * rendered text, no headers. It returns at most max bytes (cut on a
 * character boundary), or NULL when there is nothing to read. Transfer
 * full (g_free). mime/ registers one in mime_init(); core never includes
 * GMime. */
typedef char *(*text_body_extractor)(const void *data, gsize len, gsize max);

/* Installs the extractor (NULL removes it). Call once at start-up. */
void text_set_body_extractor(text_body_extractor extractor);

/* The body text of a message for indexing: valid UTF-8 without NULs,
 * at most max bytes; NULL without an extractor or when there is no text.
 * Transfer full. */
char *text_extract_body(const void *data, gsize len, gsize max);

/* The same for parts fetched alone: n parts, each its MIME header
 * (mimes[i], BODY[x.MIME]) and its content as sent (bodies[i], BODY[x]),
 * none NULL. mime/ registers one in mime_init(). Transfer full. */
typedef char *(*text_parts_extractor)(GBytes *const *mimes, GBytes *const *bodies, guint n,
				       gsize max);
void text_set_parts_extractor(text_parts_extractor extractor);
char *text_extract_parts(GBytes *const *mimes, GBytes *const *bodies, guint n, gsize max);

/* ---- The locale's charset (core/text/charset.c) -------------------------- */

/* Whether the locale (as setlocale() left LC_CTYPE at the first call) uses
 * UTF-8. */
bool text_locale_is_utf8(void);

/* The locale's charset name (nl_langinfo(CODESET)). Transfer none. */
const char *text_locale_charset(void);

/* s (UTF-8) narrowed to what the locale's charset can hold, still UTF-8 so
 * its width can be measured: a character the charset lacks becomes an ASCII
 * look-alike (box drawing, arrows, dashes, the ellipsis), else iconv's
 * transliteration, else "?"; a zero-width one is dropped. In a UTF-8 locale
 * a copy (invalid sequences as U+FFFD). Transfer full. */
char *text_for_locale(const char *s, gssize len);

/* s (UTF-8) in the locale's charset, narrowed as text_for_locale() does:
 * the bytes to write to the terminal. In a UTF-8 locale a valid copy.
 * Transfer full. */
char *text_to_locale(const char *s, gssize len);

#endif

/* tern — the search query language (DESIGN.md "Search query language").
 *
 * Gmail-like: terms separated by spaces are ANDed.
 *
 *   from:X to:X cc:X subject:X body:X text:X   header/body contains X
 *   WORD or "QUOTED WORDS"                      the same as text:
 *   is:unread read flagged unflagged answered unanswered deleted undeleted draft
 *   since:YYYY-MM-DD before:YYYY-MM-DD on:YYYY-MM-DD   internal date
 *   larger:N smaller:N                          size in bytes, N may end in K or M (1024)
 *   -TERM or NOT TERM                           negation
 *   A OR B                                      binds tighter than the AND: a b OR c = a (b OR c)
 *   ( ... )                                     grouping
 *
 * Field names and is: values are case-insensitive; OR and NOT are operators
 * only when written in capitals and unquoted. A value is a bare word (up to a
 * space or a parenthesis) or a quoted string with \" and \\ escapes. A word
 * that starts with letters and a colon must name a field: "re:" or "http://"
 * are searched for when quoted. A query that cannot be read is an error
 * "column N: ..." (N counts characters from 1) — a usage error, exit 64. */
#ifndef TERN_CORE_MODEL_QUERY_H
#define TERN_CORE_MODEL_QUERY_H

#include "core/common.h"

#define QUERY_ERROR (query_error_quark())
GQuark query_error_quark(void);
enum query_error_code {
	QUERY_ERROR_PARSE, /* the message starts with "column N: " */
};

#define QUERY_MAX_LEN 4096  /* bytes of query text */
#define QUERY_MAX_TERMS 256 /* terms and operators */
#define QUERY_MAX_DEPTH 32  /* nesting of ( ), NOT and - */

struct query; /* opaque */

/* Parse text (UTF-8). On success *q_r is transfer full (query_free()). On
 * failure -1 with QUERY_ERROR_PARSE; *q_r untouched. */
int query_parse(const char *text, struct query **q_r, GError **error);
/* The same; on failure *offset_r (may be NULL) is where the error is, a
 * byte offset into text on a character boundary (the column of the
 * message, for an editor's cursor). */
int query_parse_at(const char *text, struct query **q_r, gsize *offset_r, GError **error);
void query_free(struct query **q);

/* A token of IMAP SEARCH criteria. */
enum query_token_type {
	QUERY_TOK_ATOM,   /* send as is: FROM, UNSEEN, OR, NOT, 1-Jan-2024, 1048576 */
	QUERY_TOK_STRING, /* a string to send quoted or as a literal; not quoted here */
	QUERY_TOK_OPEN,   /* "(" */
	QUERY_TOK_CLOSE,  /* ")" */
};

struct query_token {
	enum query_token_type type;
	char *text; /* UTF-8; "(" and ")" for OPEN and CLOSE */
};

/* The query as IMAP SEARCH criteria (RFC 3501 search-key): AND is
 * juxtaposition, OR is binary prefix ("OR a OR b c"), NOT is prefix, and an
 * AND inside OR or NOT is parenthesised. Returns a GPtrArray of struct
 * query_token * with its free function set, transfer full. String tokens may
 * hold any Unicode but no control characters; send CHARSET UTF-8 when
 * query_needs_utf8(). */
GPtrArray *query_to_imap(const struct query *q);

/* True when a string of the query is not ASCII. */
bool query_needs_utf8(const struct query *q);

/* The tokens as one line, strings in double quotes with \" and \\ escaped
 * (for logs and tests; not for the wire). Transfer full. */
char *query_tokens_format(const GPtrArray *tokens);

/* What local matching sees of a message. Strings are decoded UTF-8 (NULL
 * when missing); flags are FLAG_* bits of core/model/flags.h. */
struct query_summary {
	const char *from;
	const char *to;
	const char *cc;
	const char *subject;
	gint64 internaldate; /* unix time */
	guint32 size;
	guint flags;
	/* Does the message's indexed text hold text (a body: or text: value
	 * as written in the query)? body_only: the body's text alone (body:),
	 * else headers and body (text: and bare words). NULL: nothing is
	 * indexed, body: never matches. */
	bool (*text_has)(const char *text, bool body_only, void *ud);
	void *text_ud;
};

/* Calls fn once for each body: and text: value of q (bare words too), as
 * written in the query (transfer none, valid while q lives), with
 * body_only true for body:. What query_summary.text_has is asked. */
typedef void query_text_fn(const char *text, bool body_only, void *ud);
void query_each_text(const struct query *q, query_text_fn *fn, void *ud);

/* Evaluate q on a cached summary, for offline search. Strings match as
 * case-insensitive substrings (g_utf8_casefold). Offline, text: and bare
 * words look in subject, from, to and cc, and in the indexed text when
 * s->text_has is set; body: asks text_has only, and never matches without
 * it (so -body:x then matches everything). Dates compare the internal date's day in the
 * local time zone. */
bool query_match(const struct query *q, const struct query_summary *s);

#endif

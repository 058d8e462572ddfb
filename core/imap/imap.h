/* tern — core/imap: the sans-I/O IMAP response parser, typed responses,
 * modified UTF-7, sequence/UID sets and the command builder.
 *
 * Nothing here reads or writes a socket. The caller feeds the bytes it
 * received (imap_parser_feed) and pulls complete, decoded responses
 * (imap_parser_next); it asks the command builder for the chunks to send.
 *
 * Two layers (STYLE.md "The IMAP parser"):
 *   Layer 1 frames one response (line + literals) incrementally, with every
 *           size checked against struct imap_limits before it is buffered,
 *           and builds an argument tree (struct imap_arg).
 *   Layer 2 decodes that tree into a typed result (struct imap_response's
 *           union: status + response code, CAPABILITY, LIST, STATUS, FETCH…).
 * Both run inside imap_parser_next(); a response whose layer 2 decoding fails
 * is a protocol error like any other.
 *
 * Memory: one response in flight costs a small multiple of
 *     max_line + max_literal_total + max_args * sizeof(struct imap_arg)
 * (its raw bytes, a copy of its atoms and quoted strings, the tree and the
 * decoded structures; literal data is never copied), plus the bytes fed but
 * not yet consumed. Nothing the server announces is allocated before it
 * has been checked against these caps; a line is counted as it arrives, so
 * an endless one fails as soon as it passes max_line.
 *
 * Strings from the server are kept as the server sent them (no RFC 2047
 * decoding; that is mime/'s job). Every string pointer in a response is
 * NUL-terminated and owned by the response ("transfer none, valid until
 * imap_response_free()"); a literal may contain NUL bytes, so use the
 * explicit length where one is given. Mailbox names are also given decoded
 * to UTF-8. */
#ifndef TERN_IMAP_H
#define TERN_IMAP_H

#include "core/common.h"

#include <string.h>

/* ======================================================================== */
/* Errors                                                                   */
/* ======================================================================== */

#define IMAP_ERROR (imap_error_quark())
GQuark imap_error_quark(void);

enum imap_error_code {
	/* The server sent something that is not IMAP (bad syntax, a bad
	 * number, UID 0, invalid modified UTF-7 where it is required…). */
	IMAP_ERROR_PROTOCOL,
	/* The server exceeded a bound of struct imap_limits (line length,
	 * literal size, nesting, argument count, overflow). Also a protocol
	 * error: the connection must be closed. */
	IMAP_ERROR_LIMIT,
	/* The caller's input is invalid (a UID set typed by the user, a NUL in
	 * a command argument, an atom with spaces). Maps to TERN_ERR_USAGE. */
	IMAP_ERROR_INVALID,
	/* The parser already failed once and refuses further input. */
	IMAP_ERROR_FAILED,
};

/* ======================================================================== */
/* Limits                                                                   */
/* ======================================================================== */

/* Bytes of one response outside its literals (all line segments together).
 * A SEARCH answer for 500,000 UIDs fits. */
#define IMAP_DEFAULT_MAX_LINE (4u * 1024 * 1024)
/* One literal anywhere except a body item (ENVELOPE subject, LIST name…). */
#define IMAP_DEFAULT_MAX_LITERAL (1u * 1024 * 1024)
/* One literal of a BODY[…], BINARY[…], RFC822, RFC822.HEADER/TEXT item. */
#define IMAP_DEFAULT_MAX_BODY_LITERAL (64u * 1024 * 1024)
/* All literals of one response together. */
#define IMAP_DEFAULT_MAX_LITERAL_TOTAL (72u * 1024 * 1024)
/* Nesting of parenthesised lists. */
#define IMAP_DEFAULT_MAX_DEPTH 64u
/* Arguments (atoms, strings, literals, NILs, lists) in one response. */
#define IMAP_DEFAULT_MAX_ARGS 1000000u
/* BODYSTRUCTURE: nesting of multiparts and message/rfc822, and parts in all. */
#define IMAP_DEFAULT_MAX_BODY_DEPTH 32u
#define IMAP_DEFAULT_MAX_BODY_PARTS 5000u
/* Addresses (group markers included) kept per ENVELOPE address list; the
 * rest are dropped and the list is marked truncated. */
#define IMAP_DEFAULT_MAX_ADDRESSES 1000u

struct imap_limits {
	size_t max_line;
	size_t max_literal;
	size_t max_body_literal;
	size_t max_literal_total;
	unsigned max_depth;
	unsigned max_args;
	unsigned max_body_depth;
	unsigned max_body_parts;
	unsigned max_addresses;
};

/* Fills *limits with the IMAP_DEFAULT_* values. */
void imap_limits_init(struct imap_limits *limits);

/* ======================================================================== */
/* Sequence / UID sets (uidset.c)                                           */
/* ======================================================================== */

/* A range first:last with first <= last, both in 1..UINT32_MAX, or with
 * IMAP_SEQ_STAR ("*", the largest number in use) in place of either. After
 * parsing, a range with a star is kept as {n, STAR} (n may be STAR: "*" or
 * "*:*", which is valid syntax and means "the last message"). */
#define IMAP_SEQ_STAR 0u

struct imap_seq_range {
	uint32_t first;
	uint32_t last;
};

/* A set as a list of ranges, in the order given (not merged, not sorted) —
 * what the server or the user wrote, in compact form. */
struct imap_seqset {
	struct imap_seq_range *ranges;
	size_t n_ranges;
	size_t priv_alloc; /* private: allocated ranges */
};

enum imap_seqset_flags {
	IMAP_SEQSET_ALLOW_STAR = 1 << 0, /* accept "*" (user input, SEARCH keys) */
};

/* Parses "5", "5,9", "100:200", "300:*" strictly: no empty set, no empty
 * element ("1,", ",1", "1,,2"), no 0, no sign, no spaces, no number above
 * 4294967295, no ":" without both ends, "*" only with IMAP_SEQSET_ALLOW_STAR.
 * len may be -1 for NUL-terminated. Returns a new set (transfer full, free
 * with imap_seqset_free) or NULL with IMAP_ERROR_INVALID set. */
struct imap_seqset *imap_seqset_parse(const char *s, gssize len, unsigned flags,
				      GError **error);

/* An empty set to fill with imap_seqset_add_range(). Transfer full. */
struct imap_seqset *imap_seqset_new(void);

/* Appends first:last (swapped when first > last; either may be STAR). */
void imap_seqset_add_range(struct imap_seqset *set, uint32_t first, uint32_t last);

/* A deep copy. Transfer full. */
struct imap_seqset *imap_seqset_copy(const struct imap_seqset *set);

void imap_seqset_free(struct imap_seqset **set);

/* True when n is in the set. star_value is what "*" stands for (the
 * largest UID or sequence number in use); 0 means unknown, and "*" is then
 * taken as 4294967295. As in IMAP, "300:*" with * = 200 means 200:300. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t star_value);

/* Number of values the set covers (overlaps counted twice; "*" resolved
 * with star_value as above). */
uint64_t imap_seqset_count(const struct imap_seqset *set, uint32_t star_value);

/* The set in IMAP syntax, as given ("1:5,7,300:*"). Transfer full. */
char *imap_seqset_format(const struct imap_seqset *set);

/* Expands a set without stars into a sorted array of distinct numbers.
 * Refuses (IMAP_ERROR_INVALID) a set with a star or more than max_count
 * values. Returns a new array (transfer full, g_free) and its size. */
uint32_t *imap_seqset_to_array(const struct imap_seqset *set, size_t max_count,
			       size_t *n_r, GError **error);

/* Formats numbers (any order, duplicates allowed, 0 ignored) as compressed
 * sets "1:5,7,9:10", sorted, split so that no string is longer than max_len
 * bytes (max_len >= 21 so any one range fits; smaller values are raised to
 * 21). Returns a NULL-terminated array of new strings (transfer full,
 * g_strfreev); an empty input gives an empty array. */
char **imap_uids_format(const uint32_t *uids, size_t n, size_t max_len);

/* ======================================================================== */
/* Modified UTF-7 (mutf7.c, RFC 3501 5.1.3)                                 */
/* ======================================================================== */

/* Decodes a modified UTF-7 mailbox name to UTF-8. Strict: only printable
 * US-ASCII input, "&-" for "&", base64 runs closed by "-", no bad base64
 * characters, no leftover bits that are not zero, no partial UTF-16 unit,
 * valid surrogate pairs, no U+0000, and no printable ASCII hidden in a
 * base64 run. len may be -1. Returns new UTF-8 (transfer full) or NULL with
 * IMAP_ERROR_PROTOCOL: the caller may show the raw name instead. */
char *imap_mutf7_decode(const char *s, gssize len, GError **error);

/* Encodes valid UTF-8 (no NUL) to modified UTF-7. Returns a new string
 * (transfer full) or NULL with IMAP_ERROR_INVALID for invalid UTF-8. */
char *imap_mutf7_encode(const char *utf8, gssize len, GError **error);

/* ======================================================================== */
/* Layer 1: the argument tree                                               */
/* ======================================================================== */

enum imap_arg_type {
	IMAP_ARG_NIL,
	IMAP_ARG_ATOM,    /* also numbers, flags (\Seen), BODY[1.2]<0> */
	IMAP_ARG_STRING,  /* quoted string, escapes removed */
	IMAP_ARG_LITERAL, /* {n} or ~{n} (literal8 set) */
	IMAP_ARG_LIST,    /* ( … ) */
};

struct imap_arg {
	enum imap_arg_type type;
	bool literal8;
	/* ATOM/STRING/LITERAL: the bytes, NUL-terminated (a literal may also
	 * contain NULs: use len). NULL for NIL and LIST. */
	const char *data;
	size_t len;
	/* LIST: its elements. */
	struct imap_arg *children;
	size_t n_children;
	/* LITERAL: offset of data in the response's raw bytes. */
	size_t raw_offset;
};

/* Type helpers (NULL-safe). */
bool imap_arg_is_string(const struct imap_arg *arg);  /* STRING or LITERAL */
bool imap_arg_is_astring(const struct imap_arg *arg); /* ATOM, STRING or LITERAL */
/* True when arg is an ATOM equal to word, ignoring ASCII case. Inline:
 * word is nearly always a literal, whose length is then known, so the
 * decoder's chain of item names (eight a message in a folder's load)
 * compares only the one of the right length. */
static inline bool
imap_arg_atom_is(const struct imap_arg *arg, const char *word)
{
	return arg != NULL && arg->type == IMAP_ARG_ATOM && strlen(word) == arg->len &&
	       g_ascii_strcasecmp(arg->data, word) == 0;
}
/* For nstring positions: NULL for NIL, the data for an astring, and
 * *ok_r = false for anything else (a list). */
const char *imap_arg_nstring(const struct imap_arg *arg, bool *ok_r);
/* Numbers: an atom of ASCII digits only, overflow-checked. 0 on success. */
int imap_arg_uint32(const struct imap_arg *arg, uint32_t *value_r);
int imap_arg_uint64(const struct imap_arg *arg, uint64_t *value_r);

/* ======================================================================== */
/* Layer 2: typed responses                                                 */
/* ======================================================================== */

enum imap_response_kind {
	IMAP_RESPONSE_UNTAGGED,     /* "* …" */
	IMAP_RESPONSE_TAGGED,       /* "t12 OK …" (always a status) */
	IMAP_RESPONSE_CONTINUATION, /* "+ …" */
};

/* What the response carries (which member of the union is valid). */
enum imap_data_type {
	IMAP_DATA_STATUS,       /* OK/NO/BAD/BYE/PREAUTH, tagged or untagged */
	IMAP_DATA_CONTINUATION, /* u.cont */
	IMAP_DATA_CAPABILITY,   /* u.strv */
	IMAP_DATA_ENABLED,      /* u.strv */
	IMAP_DATA_FLAGS,        /* u.strv */
	IMAP_DATA_LIST,         /* u.list (LIST or LSUB: see list.lsub) */
	IMAP_DATA_MAILBOX_STATUS, /* u.mstatus (the STATUS response) */
	IMAP_DATA_EXISTS,       /* u.number */
	IMAP_DATA_RECENT,       /* u.number */
	IMAP_DATA_EXPUNGE,      /* u.number (a sequence number, >= 1) */
	IMAP_DATA_VANISHED,     /* u.vanished */
	IMAP_DATA_SEARCH,       /* u.search */
	IMAP_DATA_ESEARCH,      /* u.esearch */
	IMAP_DATA_FETCH,        /* u.fetch */
	IMAP_DATA_NAMESPACE,    /* u.namespace */
	IMAP_DATA_THREAD,       /* u.thread */
	IMAP_DATA_UNKNOWN,      /* anything else: use name and args */
};

enum imap_status {
	IMAP_STATUS_OK,
	IMAP_STATUS_NO,
	IMAP_STATUS_BAD,
	IMAP_STATUS_BYE,
	IMAP_STATUS_PREAUTH,
};

/* Response codes: [CODE args] in a status response or continuation. */
enum imap_code {
	IMAP_CODE_NONE,          /* no [ … ] */
	IMAP_CODE_UNKNOWN,       /* kept as name + args text */
	IMAP_CODE_ALERT,
	IMAP_CODE_CAPABILITY,    /* strv */
	IMAP_CODE_PERMANENTFLAGS, /* strv (may contain "\*") */
	IMAP_CODE_UIDVALIDITY,   /* number */
	IMAP_CODE_UIDNEXT,       /* number */
	IMAP_CODE_UNSEEN,        /* number */
	IMAP_CODE_HIGHESTMODSEQ, /* modseq */
	IMAP_CODE_NOMODSEQ,
	IMAP_CODE_APPENDUID,     /* number = uidvalidity, set2 = the new UID(s) */
	IMAP_CODE_COPYUID,       /* number = uidvalidity, set1 = source, set2 = dest */
	IMAP_CODE_TRYCREATE,
	IMAP_CODE_READ_ONLY,
	IMAP_CODE_READ_WRITE,
	IMAP_CODE_CLOSED,
	IMAP_CODE_PARSE,
	IMAP_CODE_BADCHARSET,    /* strv (may be empty) */
	IMAP_CODE_UIDNOTSTICKY,
	IMAP_CODE_NONEXISTENT,
	IMAP_CODE_ALREADYEXISTS,
	IMAP_CODE_AUTHENTICATIONFAILED,
	IMAP_CODE_AUTHORIZATIONFAILED,
	IMAP_CODE_UNAVAILABLE,
	IMAP_CODE_EXPIRED,
	IMAP_CODE_PRIVACYREQUIRED,
	IMAP_CODE_CONTACTADMIN,
	IMAP_CODE_NOPERM,
	IMAP_CODE_INUSE,
	IMAP_CODE_EXPUNGEISSUED,
	IMAP_CODE_CORRUPTION,
	IMAP_CODE_SERVERBUG,
	IMAP_CODE_CLIENTBUG,
	IMAP_CODE_CANNOT,
	IMAP_CODE_LIMIT,
	IMAP_CODE_OVERQUOTA,
	IMAP_CODE_NOTSAVED,
	IMAP_CODE_HASCHILDREN,
	IMAP_CODE_UNKNOWN_CTE,
	IMAP_CODE_MODIFIED,      /* set1 = the UIDs/sequence numbers not stored */
};

struct imap_resp_code {
	enum imap_code code;
	const char *name;   /* upper-cased code name, NULL for NONE */
	const char *args;   /* raw text after "NAME ", NULL when none */
	uint32_t number;    /* UIDVALIDITY UIDNEXT UNSEEN; uidvalidity of APPENDUID/COPYUID */
	uint64_t modseq;    /* HIGHESTMODSEQ */
	const char *const *strv; /* CAPABILITY PERMANENTFLAGS BADCHARSET; NULL-terminated */
	const struct imap_seqset *set1; /* COPYUID source, MODIFIED */
	const struct imap_seqset *set2; /* COPYUID destination, APPENDUID */
};

/* OK/NO/BAD/BYE/PREAUTH with its response code and human-readable text. */
struct imap_status_data {
	enum imap_status status;
	struct imap_resp_code code;
	const char *text; /* may be "" */
};

/* "+ …": text is everything after "+ " (base64 for SASL), code is parsed
 * when the text starts with "[". */
struct imap_continuation {
	struct imap_resp_code code;
	const char *text;
};

/* Mailbox attributes (LIST/LSUB), independent of case. */
enum imap_mailbox_flags {
	IMAP_MAILBOX_NOSELECT = 1 << 0,
	IMAP_MAILBOX_NOINFERIORS = 1 << 1,
	IMAP_MAILBOX_MARKED = 1 << 2,
	IMAP_MAILBOX_UNMARKED = 1 << 3,
	IMAP_MAILBOX_HASCHILDREN = 1 << 4,
	IMAP_MAILBOX_HASNOCHILDREN = 1 << 5,
	IMAP_MAILBOX_NONEXISTENT = 1 << 6,
	IMAP_MAILBOX_SUBSCRIBED = 1 << 7,
	IMAP_MAILBOX_REMOTE = 1 << 8,
};

/* SPECIAL-USE (RFC 6154). A mailbox may have several. */
enum imap_special_use {
	IMAP_SPECIAL_ALL = 1 << 0,
	IMAP_SPECIAL_ARCHIVE = 1 << 1,
	IMAP_SPECIAL_DRAFTS = 1 << 2,
	IMAP_SPECIAL_FLAGGED = 1 << 3,
	IMAP_SPECIAL_JUNK = 1 << 4,
	IMAP_SPECIAL_SENT = 1 << 5,
	IMAP_SPECIAL_TRASH = 1 << 6,
	IMAP_SPECIAL_IMPORTANT = 1 << 7,
};

struct imap_list {
	bool lsub;               /* an LSUB response */
	const char *const *attributes; /* as sent, NULL-terminated */
	unsigned flags;          /* enum imap_mailbox_flags */
	unsigned special_use;    /* enum imap_special_use */
	char delimiter;          /* '\0' for NIL (flat namespace) */
	/* The name exactly as sent (modified UTF-7 unless UTF8=ACCEPT): use it
	 * to address the mailbox (command builder's %r). */
	const char *raw_name;
	size_t raw_name_len;
	/* The name in UTF-8, or NULL when it was not valid modified UTF-7
	 * (or, with UTF8=ACCEPT, not valid UTF-8): show the raw name then.
	 * "INBOX" in any case is always given as "INBOX". */
	const char *name;
	/* Extended data (RFC 5258): OLDNAME, decoded like name (NULL if none
	 * or invalid). CHILDINFO and unknown items are tolerated and skipped. */
	const char *old_name;
	bool childinfo_subscribed; /* CHILDINFO ("SUBSCRIBED") */
};

enum imap_mstatus_items {
	IMAP_MSTATUS_MESSAGES = 1 << 0,
	IMAP_MSTATUS_RECENT = 1 << 1,
	IMAP_MSTATUS_UIDNEXT = 1 << 2,
	IMAP_MSTATUS_UIDVALIDITY = 1 << 3,
	IMAP_MSTATUS_UNSEEN = 1 << 4,
	IMAP_MSTATUS_HIGHESTMODSEQ = 1 << 5,
	IMAP_MSTATUS_SIZE = 1 << 6,
	IMAP_MSTATUS_DELETED = 1 << 7,
};

/* The STATUS response. Only the items in present are meaningful. */
struct imap_mailbox_status {
	const char *raw_name;
	size_t raw_name_len;
	const char *name; /* UTF-8 or NULL, as in struct imap_list */
	unsigned present; /* enum imap_mstatus_items */
	uint32_t messages, recent, uidnext, uidvalidity, unseen, deleted;
	uint64_t highestmodseq, size;
};

struct imap_vanished {
	bool earlier; /* VANISHED (EARLIER) */
	const struct imap_seqset *uids;
};

struct imap_search {
	const uint32_t *numbers; /* UIDs or sequence numbers, as sent */
	size_t n_numbers;
	bool has_modseq;
	uint64_t modseq;
};

enum imap_esearch_items {
	IMAP_ESEARCH_MIN = 1 << 0,
	IMAP_ESEARCH_MAX = 1 << 1,
	IMAP_ESEARCH_COUNT = 1 << 2,
	IMAP_ESEARCH_ALL = 1 << 3,
	IMAP_ESEARCH_MODSEQ = 1 << 4,
	IMAP_ESEARCH_PARTIAL = 1 << 5,
};

struct imap_esearch {
	const char *tag; /* (TAG "t5"), NULL when absent */
	bool uid;        /* the UID indicator */
	unsigned present; /* enum imap_esearch_items */
	uint32_t min, max, count;
	uint64_t modseq;
	const struct imap_seqset *all; /* ALL; NULL when absent */
	/* PARTIAL (RFC 9394): the range asked for (negative counts from the
	 * end) and the numbers in it, in the order sent (for ESORT, the sort
	 * order); NULL when the range is empty (NIL). */
	int64_t partial_first, partial_last;
	const struct imap_seqset *partial;
};

/* THREAD (RFC 5256): every number in the order sent (each thread's
 * messages in pre-order, threads one after another) and where each
 * top-level thread starts in it. Nesting deeper than
 * IMAP_THREAD_MAX_DEPTH fails the response. */
#define IMAP_THREAD_MAX_DEPTH 64u
struct imap_thread {
	const uint32_t *numbers;
	size_t n_numbers;
	const uint32_t *starts; /* index into numbers of each thread's first */
	size_t n_threads;
};

/* One address of an ENVELOPE address list. Group syntax (RFC 3501 7.4.2):
 * a group start has mailbox = group name and host = NULL; the group end has
 * mailbox = NULL and host = NULL. All strings raw, NULL for NIL. */
struct imap_address {
	const char *name;
	const char *adl;
	const char *mailbox;
	const char *host;
};

struct imap_address_list {
	const struct imap_address *addrs;
	size_t n_addrs;
	bool truncated; /* more than limits.max_addresses were sent */
};

/* ENVELOPE. Strings raw (RFC 2047 words not decoded), NULL for NIL. */
struct imap_envelope {
	const char *date;
	const char *subject;
	size_t subject_len; /* a literal subject may contain NUL */
	struct imap_address_list from, sender, reply_to, to, cc, bcc;
	const char *in_reply_to;
	const char *message_id;
};

/* An ENVELOPE built from a header block: the data of
 * BODY[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO
 * REFERENCES)] (core/imap/header.c). The same strings ENVELOPE gives (raw,
 * RFC 2047 words undecoded, fields unfolded and trimmed, addresses split
 * into name / mailbox / host with group markers), plus References. Sender,
 * Reply-To and Bcc stay empty. A mailbox without a domain has host "".
 * Never fails: whatever the bytes, the result is bounded (64 KiB of each
 * field, limits->max_addresses per address list). */
struct imap_header_envelope;

/* transfer full: free with imap_header_envelope_free(). */
struct imap_header_envelope *imap_header_envelope_parse(const char *data, size_t len,
							const struct imap_limits *limits);
/* he parsed again from data, as imap_header_envelope_parse() would: what
 * it gave before (its envelope, its strings) is gone, its buffers are
 * reused (a cold load parses one header a message). */
void imap_header_envelope_reparse(struct imap_header_envelope *he, const char *data, size_t len,
				  const struct imap_limits *limits);
/* transfer none, valid until imap_header_envelope_free() or a reparse. */
const struct imap_envelope *imap_header_envelope_get(const struct imap_header_envelope *he);
/* The References value, or NULL when absent or empty; transfer none. */
const char *imap_header_envelope_references(const struct imap_header_envelope *he);
void imap_header_envelope_free(struct imap_header_envelope **he);

struct imap_body_param {
	const char *name;
	const char *value;
};

/* One node of BODYSTRUCTURE (or of the non-extensible BODY). */
struct imap_body {
	/* "multipart" for multiparts (the server sends no type there); the
	 * subtype as sent. Compare ignoring case. */
	const char *type;
	const char *subtype;
	const struct imap_body_param *params; /* Content-Type parameters */
	size_t n_params;
	/* IMAP part number for BODY[section]: "1", "2.1"…; "" for the root
	 * multipart (its parts are "1", "2"…); for a message/rfc822 part "2",
	 * an enclosed multipart is "2" too and an enclosed single part "2.1". */
	const char *section;

	/* single parts */
	const char *id, *description, *encoding; /* NULL for NIL */
	uint64_t size;  /* body-fld-octs */
	uint64_t lines; /* text/… and message/rfc822 only */
	const struct imap_envelope *envelope; /* message/rfc822 only */
	const struct imap_body *message_body; /* message/rfc822 only */
	const char *md5;

	/* multiparts */
	const struct imap_body *parts;
	size_t n_parts;

	/* extension data (NULL / 0 when absent) */
	const char *disposition; /* "attachment", "inline" … as sent */
	const struct imap_body_param *disposition_params;
	size_t n_disposition_params;
	const char *const *language; /* NULL-terminated, or NULL */
	const char *location;
};

/* Fetched body data: BODY[section]<origin>, BINARY[section]<origin>,
 * RFC822, RFC822.HEADER, RFC822.TEXT. */
struct imap_fetch_body {
	const char *item;    /* "BODY", "BINARY", "RFC822", "RFC822.HEADER", "RFC822.TEXT" */
	const char *section; /* text inside [ ], "" for BODY[]; NULL for RFC822* */
	bool has_origin;
	uint32_t origin;     /* <origin> */
	/* The data (transfer none; g_bytes_ref() it to keep it after the
	 * response is freed). NULL for NIL. A literal8 may contain NULs. */
	GBytes *data;
};

enum imap_fetch_items {
	IMAP_FETCH_UID = 1 << 0,
	IMAP_FETCH_FLAGS = 1 << 1,
	IMAP_FETCH_INTERNALDATE = 1 << 2,
	IMAP_FETCH_RFC822_SIZE = 1 << 3,
	IMAP_FETCH_ENVELOPE = 1 << 4,
	IMAP_FETCH_BODYSTRUCTURE = 1 << 5, /* BODYSTRUCTURE or BODY (no section) */
	IMAP_FETCH_MODSEQ = 1 << 6,
	IMAP_FETCH_BODY = 1 << 7,          /* at least one entry in bodies */
	IMAP_FETCH_PREVIEW = 1 << 8,       /* PREVIEW (RFC 8970), maybe NIL */
};

/* RFC 8970 allows a preview of at most 256 characters; a longer one is
 * cut there. */
#define IMAP_PREVIEW_MAX_CHARS 256

struct imap_fetch {
	uint32_t seq;       /* message sequence number (>= 1) */
	unsigned present;   /* enum imap_fetch_items */
	uint32_t uid;       /* >= 1 */
	const char *const *flags; /* NULL-terminated, as sent (e.g. "\\Seen") */
	/* INTERNALDATE: seconds since the epoch (UTC) and the zone it was
	 * given in, in minutes east of UTC (for GDateTime use
	 * g_time_zone_new_offset(offset * 60)). */
	int64_t internaldate;
	int internaldate_offset;
	uint64_t rfc822_size;
	uint64_t modseq;
	const struct imap_envelope *envelope;
	const struct imap_body *body;  /* BODYSTRUCTURE */
	const struct imap_fetch_body *bodies;
	size_t n_bodies;
	/* PREVIEW: valid UTF-8 on one line, controls dropped, at most
	 * IMAP_PREVIEW_MAX_CHARS characters; "" when the server has none to
	 * give; NULL for NIL (under LAZY: not ready yet, ask again later). */
	const char *preview;
	size_t preview_len;
};

struct imap_namespace_entry {
	const char *prefix; /* raw (modified UTF-7) */
	char delimiter;     /* '\0' for NIL */
};

/* NAMESPACE (RFC 2342): three lists, each possibly empty. */
struct imap_namespace {
	const struct imap_namespace_entry *personal, *other, *shared;
	size_t n_personal, n_other, n_shared;
};

struct imap_response {
	enum imap_response_kind kind;
	const char *tag;  /* TAGGED only, else NULL */
	enum imap_data_type type;
	/* The response name, upper-cased: "OK", "FETCH", "LIST"…; "+" for a
	 * continuation. */
	const char *name;
	union {
		struct imap_status_data status;
		struct imap_continuation cont;
		const char *const *strv;
		struct imap_list list;
		struct imap_mailbox_status mstatus;
		uint32_t number;
		struct imap_vanished vanished;
		struct imap_search search;
		struct imap_esearch esearch;
		struct imap_fetch fetch;
		struct imap_namespace namespace_;
		struct imap_thread thread;
	} u;
	/* Layer 1: every argument after the tag (for "* 3 FETCH (…)": "3",
	 * "FETCH", the list). Empty for status responses and continuations,
	 * whose text is not tokenised. */
	const struct imap_arg *args;
	size_t n_args;
	/* The whole response as received (line segments and literals; each
	 * literal is followed by one extra NUL byte). Transfer none. */
	GBytes *raw;
	/* private */
	struct imap_resp_block *priv_arena; /* parser.c's response memory */
	GPtrArray *priv_allocs;  /* g_free, or NULL */
	struct imap_resp_kept *priv_bytes; /* GBytes to unref, in priv_arena, or NULL */
};

/* Frees a response and everything it points to; sets *resp to NULL. */
void imap_response_free(struct imap_response **resp);

/* Upper-case name of a status: "OK", "NO", "BAD", "BYE", "PREAUTH". */
const char *imap_status_name(enum imap_status status);

/* ======================================================================== */
/* The parser                                                               */
/* ======================================================================== */

struct imap_parser;

/* limits may be NULL for the defaults; it is copied. Transfer full. */
struct imap_parser *imap_parser_new(const struct imap_limits *limits);
void imap_parser_free(struct imap_parser **parser);

/* Decode mailbox names as UTF-8 instead of modified UTF-7 (after
 * "ENABLE UTF8=ACCEPT" succeeded). Applies to responses returned by
 * imap_parser_next() from now on. */
void imap_parser_set_utf8_accept(struct imap_parser *parser, bool on);

/* Appends received bytes (any split). Call imap_parser_next() until it
 * returns NULL after each feed: unconsumed input is buffered as is. Feeding
 * a failed parser does nothing. */
void imap_parser_feed(struct imap_parser *parser, const void *buf, size_t len);

/* The next complete response (transfer full, imap_response_free), or NULL:
 * with *error unset when more input is needed, with *error set (domain
 * IMAP_ERROR) on a protocol error or a violated limit. After an error the
 * parser is failed for good: every later call returns IMAP_ERROR_FAILED and
 * the connection must be closed. */
struct imap_response *imap_parser_next(struct imap_parser *parser, GError **error);

/* True once the parser has failed. */
bool imap_parser_failed(const struct imap_parser *parser);

/* Bytes fed and not yet returned as responses (e.g. to check that nothing
 * was pipelined before STARTTLS; then call imap_parser_reset()). */
size_t imap_parser_pending(const struct imap_parser *parser);

/* Drops buffered input and a partial response and clears the failed
 * state (after STARTTLS or a reconnect). */
void imap_parser_reset(struct imap_parser *parser);

/* ======================================================================== */
/* The command builder (command.c)                                          */
/* ======================================================================== */

/* Increasing tags "<prefix><n>", n from 1. prefix: 1–8 letters. */
struct imap_tag_counter {
	char prefix[9];
	uint64_t next;
};

void imap_tag_counter_init(struct imap_tag_counter *counter, const char *prefix);

enum imap_literal_mode {
	IMAP_LITERAL_SYNC,  /* only {n}: wait for "+" after each */
	IMAP_LITERAL_PLUS,  /* LITERAL+ (RFC 7888): {n+} for any size */
	IMAP_LITERAL_MINUS, /* LITERAL-: {n+} up to 4096 bytes, {n} beyond */
};

/* Longest line segment a built command may have (RFC 7162 section 4
 * recommends 8192); split long UID sets with imap_uids_format(). */
#define IMAP_COMMAND_DEFAULT_MAX_LINE 8192u
/* Strings longer than this go as literals even when they could be quoted. */
#define IMAP_COMMAND_QUOTED_MAX 1024u
/* Non-synchronizing literals under LITERAL- (RFC 7888). */
#define IMAP_LITERAL_MINUS_MAX 4096u

struct imap_command_options {
	enum imap_literal_mode literal_mode;
	bool utf8_accept;   /* UTF8=ACCEPT enabled: names and strings in UTF-8 */
	bool binary;        /* BINARY: ~{n} literal8 allowed for %L data */
	size_t max_line;    /* 0 = IMAP_COMMAND_DEFAULT_MAX_LINE */
};

/* One piece to send. After a chunk whose wait_continuation is true, the
 * sender must wait for a continuation request ("+") before sending the next
 * chunk (a tagged NO/BAD instead ends the command). The last chunk ends in
 * CRLF and never waits. */
struct imap_command_chunk {
	GBytes *data;
	bool wait_continuation;
};

struct imap_command {
	char *tag;
	struct imap_command_chunk *chunks;
	size_t n_chunks;
	/* Bytes of the command with literal contents replaced by "<n bytes>"
	 * and every argument marked sensitive (%P) as "<redacted>", for the
	 * protocol trace. */
	char *log_line;
	/* May be sent while other pipelined commands are in flight (the
	 * session ignores it for a command that waits for a "+"). */
	bool pipeline;
};

void imap_command_free(struct imap_command **cmd);

/* Builds "<tag> <fmt expanded>\r\n". Nothing is pasted raw: each directive
 * validates and quotes its argument itself, and the format's own text must
 * be printable ASCII (a CR, LF or NUL in fmt is refused).
 *   %a  const char *  atom (non-empty, ATOM-CHARs only), else refused
 *   %f  const char *  flag: "\Seen" style system flag or a keyword atom
 *   %s  const char *  astring: atom when possible, else quoted, else literal
 *   %S  const char *  string: quoted, else literal (never a bare atom)
 *   %P  const char *  like %s, but shown as "<redacted>" in log_line
 *   %m  const char *  mailbox name in UTF-8: modified UTF-7 (or UTF-8 under
 *                     utf8_accept), then as %s; "INBOX" in any case -> INBOX
 *   %r  const char *  mailbox name already encoded (struct imap_list's
 *                     raw_name), as %s
 *   %q  const struct imap_seqset *   a sequence/UID set
 *   %u  unsigned int (uint32_t)       a number
 *   %U  uint64_t                      a number (MODSEQ)
 *   %L  const void *, size_t          message data as a literal ({n}, or
 *                     ~{n} when options->binary and the data has NUL)
 *   %%  a "%"
 * A string goes as a literal when it contains CR, LF, 8-bit bytes (unless
 * utf8_accept), or is longer than IMAP_COMMAND_QUOTED_MAX; a NUL anywhere
 * is refused (IMAP_ERROR_INVALID), as is a line segment longer than
 * max_line. On success returns a new command (transfer full) and takes the
 * next tag from counter; on error returns NULL and the counter is unchanged.
 * options may be NULL (sync literals, no UTF-8, no BINARY). */
struct imap_command *imap_command_new(struct imap_tag_counter *counter,
				      const struct imap_command_options *options,
				      GError **error, const char *fmt, ...);
struct imap_command *imap_command_newv(struct imap_tag_counter *counter,
				       const struct imap_command_options *options,
				       GError **error, const char *fmt, va_list ap);

/* Quotes one astring the way %s does, for use outside a command (tests,
 * logs). Literals are not possible here: returns NULL with
 * IMAP_ERROR_INVALID when the string would need one. Transfer full. */
char *imap_quote_astring(const char *s, GError **error);

#endif

/* tern — message flags: the bitmask the model keeps, IMAP names, and the
 * [+|-]FLAG words of `tern flag`. */
#ifndef TERN_CORE_MODEL_FLAGS_H
#define TERN_CORE_MODEL_FLAGS_H

#include "core/common.h"

/* System flags as bits. Keywords are kept by name elsewhere. */
#define FLAG_SEEN 0x01u
#define FLAG_ANSWERED 0x02u
#define FLAG_FLAGGED 0x04u
#define FLAG_DELETED 0x08u
#define FLAG_DRAFT 0x10u
#define FLAG_RECENT 0x20u

#define FLAGS_MAX_KEYWORD_LEN 64 /* bytes; longer keywords are refused */
#define FLAGS_MAX_WORDS 64       /* words in one `tern flag` */

#define FLAGS_ERROR (flags_error_quark())
GQuark flags_error_quark(void);
enum flags_error_code {
	FLAGS_ERROR_INVALID, /* a word is not a flag: a usage error (exit 64) */
};

/* The bit of a system flag name as IMAP writes it ("\Seen", any case), or 0
 * for a keyword or anything else. */
guint flags_from_imap(const char *name);

/* The IMAP name of one bit ("\\Seen"), or NULL if flag is not exactly one
 * known bit. Transfer none (static). */
const char *flags_to_imap(guint flag);

/* True for a keyword tern will send: 1..FLAGS_MAX_KEYWORD_LEN characters of
 * an IMAP atom (printable ASCII without space and ( ) { } % * " \ ]). */
bool flags_keyword_is_valid(const char *keyword);

/* The flags to add and to remove, as IMAP names ("\\Seen", "$Junk"); each
 * name at most once. */
struct flags_change {
	GPtrArray *add;    /* char *, transfer full */
	GPtrArray *remove; /* char *, transfer full */
};

/* Parse `tern flag` words: "[+|-]NAME", NAME one of seen flagged answered
 * deleted draft (any case, or written \Seen etc.), else a keyword (case
 * kept, not itself starting with + or -). No sign means add. A name both added and removed, an empty name or
 * an invalid keyword is an error (FLAGS_ERROR_INVALID) naming the word.
 * *change_r is transfer full: free with flags_change_free(). */
int flags_parse_words(const char *const *words, guint n, struct flags_change **change_r,
		      GError **error);
void flags_change_free(struct flags_change **change);

#endif

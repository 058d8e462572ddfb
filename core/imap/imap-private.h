/* tern — core/imap internals shared by parser.c, decode.c, fetch.c.
 * Only core/imap/ may include this. */
#ifndef TERN_IMAP_PRIVATE_H
#define TERN_IMAP_PRIVATE_H

#include "core/imap/imap.h"

/* Hard ceiling on list nesting whatever the caller configures: the tree
 * builder recurses once per level. */
#define IMAP_MAX_DEPTH_CEILING 512u

/* Error helpers: set *error (if error is not NULL) and return -1. */
int imap_fail(GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* ---- response-owned memory --------------------------------------------- */

struct imap_response *imap_response_new(GBytes *raw);
/* Zeroed memory freed with the response. */
void *imap_resp_alloc(struct imap_response *resp, size_t size);
/* A copy of size bytes freed with the response. */
void *imap_resp_memdup(struct imap_response *resp, const void *data, size_t size);
/* A NUL-terminated copy freed with the response. */
const char *imap_resp_strdup(struct imap_response *resp, const char *s, size_t len);
/* Keeps a GBytes reference until the response is freed (takes ownership). */
GBytes *imap_resp_keep_bytes(struct imap_response *resp, GBytes *bytes);
/* Keeps a seqset until the response is freed (takes ownership). */
const struct imap_seqset *imap_resp_keep_seqset(struct imap_response *resp,
						struct imap_seqset *set);

/* ---- layer 1 ------------------------------------------------------------ */

/* Whether the len bytes at s are OK, NO, BAD, BYE or PREAUTH, in any case:
 * a status response's word, whose text is not tokenised. */
bool imap_is_status_word(const char *s, size_t len);

/* Parses the complete response in resp->raw into resp (tag, kind, args,
 * status text). */
int imap_tree_build(struct imap_response *resp, const struct imap_limits *limits,
		    GError **error);

/* Tokenises text (no literals allowed) into a list of args owned by resp:
 * used for the arguments of response codes. */
int imap_tree_parse_text(struct imap_response *resp, const char *text, size_t len,
			 const struct imap_limits *limits, const struct imap_arg **args_r,
			 size_t *n_r, GError **error);

/* ---- layer 2 ------------------------------------------------------------ */

struct imap_decoder {
	struct imap_response *resp;
	const struct imap_limits *limits;
	bool utf8_accept;
	unsigned n_body_parts;
	GError **error;
};

int imap_decode_response(struct imap_decoder *dec);
int imap_decode_resp_code(struct imap_decoder *dec, const char *name, const char *args,
			  struct imap_resp_code *code);
int imap_decode_fetch(struct imap_decoder *dec, const struct imap_arg *items,
		      struct imap_fetch *fetch);

/* Decoding helpers shared by decode.c and fetch.c; each sets dec->error
 * and returns -1 on failure. */
int imap_dec_nstring(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
		     const char **value_r);
int imap_dec_string(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
		    const char **value_r);
int imap_dec_u32(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
		 bool nonzero, uint32_t *value_r);
int imap_dec_u64(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
		 uint64_t *value_r);
int imap_dec_strv(struct imap_decoder *dec, const struct imap_arg *args, size_t n,
		  bool atoms_only, const char *what, const char *const **strv_r);

/* Parses "dd-Mon-yyyy hh:mm:ss +zzzz" (the INTERNALDATE date-time). */
int imap_parse_datetime(const char *s, size_t len, int64_t *time_r, int *offset_r);

/* Parses an unsigned decimal of only digits, overflow-checked against max. */
int imap_parse_number(const char *s, size_t len, uint64_t max, uint64_t *value_r);

#endif

/* tern — core/imap/parser.c: layer 1 of the IMAP response parser.
 *
 * Two steps per response:
 *  1. Framing (incremental, resumable): bytes fed are copied into the
 *     current response buffer one line segment or literal at a time. A line
 *     segment ending in "{n}" CRLF announces a literal: n is read as digits
 *     only, checked against its cap before anything is buffered, then
 *     exactly n bytes are taken whatever they contain. Status responses and
 *     continuations carry free text and never literals. Every segment is
 *     counted against max_line as it arrives, so an endless line fails as
 *     soon as the cap is passed. Each literal is followed in the buffer by
 *     one NUL byte so that literal data is NUL-terminated in place.
 *  2. Tree building (on the complete response, so the result cannot depend
 *     on how the bytes were split): tokens become struct imap_arg nodes. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"

/* The most a response's buffer is given before it needs it. */
#define FRAME_HINT_MAX 16384

enum frame_state {
	FRAME_LINE,
	FRAME_LITERAL,
};

struct imap_parser {
	struct imap_limits limits;
	bool utf8_accept;
	bool failed;
	char *failure; /* message of the error that failed the parser */

	GByteArray *in; /* fed, not yet framed */
	size_t in_pos;

	/* the response being framed */
	GByteArray *cur;
	guint cur_hint;       /* bytes to give the next one at once (the last one's) */
	enum frame_state state;
	size_t seg_start;     /* offset in cur of the current line segment */
	size_t line_total;    /* line bytes of this response so far */
	size_t literal_total; /* literal bytes of this response so far */
	size_t literal_left;
	bool classified;      /* first segment seen */
	bool no_literals;     /* status response or continuation */
	bool is_fetch;        /* "* n FETCH" */
};

G_DEFINE_QUARK(tern-imap-error-quark, imap_error)

int
imap_fail(GError **error, int code, const char *fmt, ...)
{
	va_list ap;

	if (error == NULL || *error != NULL)
		return -1;
	va_start(ap, fmt);
	*error = g_error_new_valist(IMAP_ERROR, code, fmt, ap);
	va_end(ap);
	return -1;
}

void
imap_limits_init(struct imap_limits *limits)
{
	limits->max_line = IMAP_DEFAULT_MAX_LINE;
	limits->max_literal = IMAP_DEFAULT_MAX_LITERAL;
	limits->max_body_literal = IMAP_DEFAULT_MAX_BODY_LITERAL;
	limits->max_literal_total = IMAP_DEFAULT_MAX_LITERAL_TOTAL;
	limits->max_depth = IMAP_DEFAULT_MAX_DEPTH;
	limits->max_args = IMAP_DEFAULT_MAX_ARGS;
	limits->max_body_depth = IMAP_DEFAULT_MAX_BODY_DEPTH;
	limits->max_body_parts = IMAP_DEFAULT_MAX_BODY_PARTS;
	limits->max_addresses = IMAP_DEFAULT_MAX_ADDRESSES;
}

/* ======================================================================== */
/* Response memory                                                          */
/* ======================================================================== */

/* Response memory: its lists, strings and decoded parts, bumped from
 * blocks freed with it. A folder's load parses a FETCH a message, and
 * one allocation for each of these (and a free after) was a sixth of the
 * reading thread's time. Sizes are rounded to RESP_ALIGN. */
#define RESP_BLOCK_SIZE 4096
#define RESP_ALIGN 16

/* Under AddressSanitizer every piece keeps a poisoned zone after it, and
 * what is not handed out stays poisoned, so that a read past a string or
 * a list is still caught as it was with one allocation each. */
#if defined(__SANITIZE_ADDRESS__)
#define RESP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESP_ASAN 1
#endif
#endif
#ifdef RESP_ASAN
#include <sanitizer/asan_interface.h>
#define RESP_REDZONE RESP_ALIGN
#define resp_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define resp_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define RESP_REDZONE 0
#define resp_poison(p, n) ((void)(p), (void)(n))
#define resp_unpoison(p, n) ((void)(p), (void)(n))
#endif

struct imap_resp_block {
	struct imap_resp_block *next;
	size_t used, size;
	/* then size bytes, at RESP_ALIGN */
};

/* A GBytes the response holds a reference to, listed in its own memory. */
struct imap_resp_kept {
	GBytes *bytes;
	struct imap_resp_kept *next;
};

#define RESP_BLOCK_HEAD ((sizeof(struct imap_resp_block) + RESP_ALIGN - 1) & ~(size_t)(RESP_ALIGN - 1))

/* One block of RESP_BLOCK_SIZE a thread keeps from a response it freed
 * for the next one it makes: a load makes and frees one a message (and a
 * block this size is past malloc's fast per-thread cache). Not under
 * AddressSanitizer, whose delayed reuse of freed memory catches a read
 * of a response already freed. */
#ifndef RESP_ASAN
static GPrivate resp_spare = G_PRIVATE_INIT(g_free);

static struct imap_resp_block *
resp_spare_take(void)
{
	struct imap_resp_block *b = g_private_get(&resp_spare);

	if (b != NULL)
		g_private_set(&resp_spare, NULL);
	return b;
}

static bool
resp_spare_keep(struct imap_resp_block *b)
{
	if (b->size != RESP_BLOCK_SIZE || g_private_get(&resp_spare) != NULL)
		return false;
	g_private_set(&resp_spare, b);
	return true;
}
#else
#define resp_spare_take() NULL
#define resp_spare_keep(b) ((void)(b), false)
#endif

static struct imap_resp_block *
resp_block_new(size_t size)
{
	struct imap_resp_block *b = size == RESP_BLOCK_SIZE ? resp_spare_take() : NULL;

	if (b == NULL)
		b = g_malloc(RESP_BLOCK_HEAD + size);

	b->next = NULL;
	b->used = 0;
	b->size = size;
	resp_poison((char *)b + RESP_BLOCK_HEAD, size);
	return b;
}

/* size bytes (not zeroed) that live as long as resp. */
static void *
resp_bump(struct imap_response *resp, size_t size)
{
	struct imap_resp_block *b = resp->priv_arena;
	size_t want = size;
	char *p;

	if (size > G_MAXSIZE / 2)
		g_error("imap: response allocation of %zu bytes", size);
	size = (size + RESP_REDZONE + RESP_ALIGN - 1) & ~(size_t)(RESP_ALIGN - 1);
	if (size > RESP_BLOCK_SIZE / 4) {
		/* a big one gets a block of its own, after the current one,
		 * which goes on serving the small ones */
		struct imap_resp_block *own = resp_block_new(size);

		own->used = size;
		if (b == NULL) {
			resp->priv_arena = own;
		} else {
			own->next = b->next;
			b->next = own;
		}
		p = (char *)own + RESP_BLOCK_HEAD;
	} else {
		if (b == NULL || b->size - b->used < size) {
			b = resp_block_new(RESP_BLOCK_SIZE);
			b->next = resp->priv_arena;
			resp->priv_arena = b;
		}
		p = (char *)b + RESP_BLOCK_HEAD + b->used;
		b->used += size;
	}
	resp_unpoison(p, want);
	return p;
}

struct imap_response *
imap_response_new(GBytes *raw)
{
	struct imap_response *resp = g_new0(struct imap_response, 1);

	resp->raw = raw;
	return resp;
}

void
imap_response_free(struct imap_response **resp_p)
{
	struct imap_response *resp = *resp_p;

	if (resp == NULL)
		return;
	/* the kept GBytes live in the arena: let go before it */
	for (struct imap_resp_kept *k = resp->priv_bytes; k != NULL; k = k->next)
		g_bytes_unref(k->bytes);
	for (struct imap_resp_block *b = resp->priv_arena, *next; b != NULL; b = next) {
		next = b->next;
		resp_unpoison((char *)b + RESP_BLOCK_HEAD, b->size);
		if (!resp_spare_keep(b))
			g_free(b);
	}
	if (resp->priv_allocs != NULL)
		g_ptr_array_unref(resp->priv_allocs);
	if (resp->raw != NULL)
		g_bytes_unref(resp->raw);
	g_free(resp);
	*resp_p = NULL;
}

void *
imap_resp_alloc(struct imap_response *resp, size_t size)
{
	return memset(resp_bump(resp, size > 0 ? size : 1), 0, size > 0 ? size : 1);
}

void *
imap_resp_memdup(struct imap_response *resp, const void *data, size_t size)
{
	return memcpy(resp_bump(resp, size > 0 ? size : 1), data, size);
}

const char *
imap_resp_strdup(struct imap_response *resp, const char *s, size_t len)
{
	char *p = resp_bump(resp, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Something allocated elsewhere that lives as long as resp. */
static void
resp_keep_alloc(struct imap_response *resp, gpointer p)
{
	if (resp->priv_allocs == NULL)
		resp->priv_allocs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(resp->priv_allocs, p);
}

GBytes *
imap_resp_keep_bytes(struct imap_response *resp, GBytes *bytes)
{
	struct imap_resp_kept *k = resp_bump(resp, sizeof *k);

	k->bytes = bytes;
	k->next = resp->priv_bytes;
	resp->priv_bytes = k;
	return bytes;
}

const struct imap_seqset *
imap_resp_keep_seqset(struct imap_response *resp, struct imap_seqset *set)
{
	/* A seqset is two g_malloc blocks (see uidset.c): both go to the
	 * response's allocation list. */
	if (set->ranges != NULL)
		resp_keep_alloc(resp, set->ranges);
	resp_keep_alloc(resp, set);
	return set;
}

const char *
imap_status_name(enum imap_status status)
{
	switch (status) {
	case IMAP_STATUS_OK: return "OK";
	case IMAP_STATUS_NO: return "NO";
	case IMAP_STATUS_BAD: return "BAD";
	case IMAP_STATUS_BYE: return "BYE";
	case IMAP_STATUS_PREAUTH: return "PREAUTH";
	}
	return "?";
}

/* ======================================================================== */
/* Argument helpers                                                         */
/* ======================================================================== */

bool
imap_arg_is_string(const struct imap_arg *arg)
{
	return arg != NULL && (arg->type == IMAP_ARG_STRING || arg->type == IMAP_ARG_LITERAL);
}

bool
imap_arg_is_astring(const struct imap_arg *arg)
{
	return arg != NULL && (arg->type == IMAP_ARG_ATOM || imap_arg_is_string(arg));
}

const char *
imap_arg_nstring(const struct imap_arg *arg, bool *ok_r)
{
	*ok_r = true;
	if (arg != NULL && arg->type == IMAP_ARG_NIL)
		return NULL;
	if (imap_arg_is_astring(arg))
		return arg->data;
	*ok_r = false;
	return NULL;
}

int
imap_parse_number(const char *s, size_t len, uint64_t max, uint64_t *value_r)
{
	uint64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*value_r = v;
	return 0;
}

int
imap_arg_uint32(const struct imap_arg *arg, uint32_t *value_r)
{
	uint64_t v;

	if (arg == NULL || arg->type != IMAP_ARG_ATOM ||
	    imap_parse_number(arg->data, arg->len, UINT32_MAX, &v) < 0)
		return -1;
	*value_r = (uint32_t)v;
	return 0;
}

int
imap_arg_uint64(const struct imap_arg *arg, uint64_t *value_r)
{
	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return -1;
	return imap_parse_number(arg->data, arg->len, UINT64_MAX, value_r);
}

/* ======================================================================== */
/* Framing                                                                  */
/* ======================================================================== */

struct imap_parser *
imap_parser_new(const struct imap_limits *limits)
{
	struct imap_parser *parser = g_new0(struct imap_parser, 1);

	if (limits != NULL)
		parser->limits = *limits;
	else
		imap_limits_init(&parser->limits);
	if (parser->limits.max_depth > IMAP_MAX_DEPTH_CEILING)
		parser->limits.max_depth = IMAP_MAX_DEPTH_CEILING;
	parser->in = g_byte_array_new();
	parser->cur = g_byte_array_new();
	return parser;
}

static void
frame_reset(struct imap_parser *parser)
{
	/* sized as the last one: a load's FETCH responses are alike, and
	 * growing each from nothing took several reallocations */
	if (parser->cur == NULL)
		parser->cur = g_byte_array_sized_new(parser->cur_hint);
	g_byte_array_set_size(parser->cur, 0);
	parser->state = FRAME_LINE;
	parser->seg_start = 0;
	parser->line_total = 0;
	parser->literal_total = 0;
	parser->literal_left = 0;
	parser->classified = false;
	parser->no_literals = false;
	parser->is_fetch = false;
}

void
imap_parser_free(struct imap_parser **parser_p)
{
	struct imap_parser *parser = *parser_p;

	if (parser == NULL)
		return;
	g_byte_array_unref(parser->in);
	if (parser->cur != NULL)
		g_byte_array_unref(parser->cur);
	g_free(parser->failure);
	g_free(parser);
	*parser_p = NULL;
}

void
imap_parser_set_utf8_accept(struct imap_parser *parser, bool on)
{
	parser->utf8_accept = on;
}

bool
imap_parser_failed(const struct imap_parser *parser)
{
	return parser->failed;
}

size_t
imap_parser_pending(const struct imap_parser *parser)
{
	return (parser->in->len - parser->in_pos) + parser->cur->len;
}

void
imap_parser_reset(struct imap_parser *parser)
{
	g_byte_array_set_size(parser->in, 0);
	parser->in_pos = 0;
	frame_reset(parser);
	parser->failed = false;
	g_clear_pointer(&parser->failure, g_free);
}

void
imap_parser_feed(struct imap_parser *parser, const void *buf, size_t len)
{
	if (parser->failed || len == 0)
		return;
	/* Compact consumed input before growing. */
	if (parser->in_pos == parser->in->len) {
		g_byte_array_set_size(parser->in, 0);
		parser->in_pos = 0;
	} else if (parser->in_pos > 65536 && parser->in_pos > parser->in->len / 2) {
		g_byte_array_remove_range(parser->in, 0, (guint)parser->in_pos);
		parser->in_pos = 0;
	}
	g_byte_array_append(parser->in, buf, (guint)len);
}

static int
parser_fail(struct imap_parser *parser, GError **error, GError *err)
{
	parser->failed = true;
	g_free(parser->failure);
	parser->failure = g_strdup(err->message);
	g_propagate_error(error, err);
	frame_reset(parser);
	g_byte_array_set_size(parser->in, 0);
	parser->in_pos = 0;
	return -1;
}

bool
imap_is_status_word(const char *s, size_t len)
{
	static const char *const words[] = {"OK", "NO", "BAD", "BYE", "PREAUTH"};

	for (size_t i = 0; i < TERN_ARRAY_LEN(words); i++) {
		if (len == strlen(words[i]) && g_ascii_strncasecmp(s, words[i], len) == 0)
			return true;
	}
	return false;
}

/* Looks at the first line segment: "+ …" and "<tag> OK|NO|BAD|BYE|PREAUTH"
 * carry free text (no literals); "* <n> FETCH" may carry body literals. */
static void
frame_classify(struct imap_parser *parser)
{
	const guint8 *s = parser->cur->data;
	size_t len = parser->cur->len;
	size_t a, b, c;

	for (a = 0; a < len && s[a] != ' ' && s[a] != '\r' && s[a] != '\n'; a++)
		;
	if (a == 1 && s[0] == '+') {
		parser->no_literals = true;
		return;
	}
	if (a >= len || s[a] != ' ')
		return;
	for (b = a + 1; b < len && s[b] != ' ' && s[b] != '\r' && s[b] != '\n' && s[b] != '['; b++)
		;
	if (imap_is_status_word((const char *)s + a + 1, b - a - 1)) {
		parser->no_literals = true;
		return;
	}
	if (!(a == 1 && s[0] == '*') || b >= len || s[b] != ' ')
		return;
	for (size_t i = a + 1; i < b; i++) {
		if (!g_ascii_isdigit(s[i]))
			return;
	}
	for (c = b + 1; c < len && g_ascii_isalpha(s[c]); c++)
		;
	parser->is_fetch = (c - b - 1 == 5 && g_ascii_strncasecmp((const char *)s + b + 1, "FETCH", 5) == 0);
}

static bool
ends_with_ci(const guint8 *start, const guint8 *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - start) >= n && g_ascii_strncasecmp((const char *)end - n, word, n) == 0;
}

/* Is the token before the literal at seg[0..brace) a body item name
 * (BODY[…]<n>, BINARY[…]<n>, RFC822, RFC822.HEADER, RFC822.TEXT)? Only
 * then does the body cap apply. */
static bool
frame_literal_is_body(const guint8 *seg, size_t brace)
{
	const guint8 *end = seg + brace;
	const guint8 *p;

	if (end > seg && end[-1] == '~')
		end--;
	if (end == seg || end[-1] != ' ')
		return false;
	end--;
	if (end > seg && end[-1] == '>') {
		while (end > seg && end[-1] != '<')
			end--;
		if (end == seg)
			return false;
		end--;
	}
	if (end > seg && end[-1] == ']') {
		while (end > seg && end[-1] != '[')
			end--;
		if (end == seg)
			return false;
		end--;
		p = end;
		if (!ends_with_ci(seg, p, "BODY") && !ends_with_ci(seg, p, "BINARY"))
			return false;
		p -= ends_with_ci(seg, p, "BODY") ? 4 : 6;
	} else {
		p = end;
		if (ends_with_ci(seg, p, "RFC822"))
			p -= 6;
		else if (ends_with_ci(seg, p, "RFC822.TEXT"))
			p -= 11;
		else if (ends_with_ci(seg, p, "RFC822.HEADER"))
			p -= 13;
		else
			return false;
	}
	return p > seg && (p[-1] == ' ' || p[-1] == '(');
}

/* The current segment ends in LF. If it ends in "{n}" or "{n+}" (CR)LF,
 * sets *size_r and returns 1; returns 0 when it does not announce a
 * literal; -1 with error when the size is too big. */
static int
frame_literal(struct imap_parser *parser, size_t *size_r, GError **error)
{
	const guint8 *seg = parser->cur->data + parser->seg_start;
	size_t len = parser->cur->len - parser->seg_start;
	size_t end = len - 1, digits_end, brace, cap;
	uint64_t size;

	if (end > 0 && seg[end - 1] == '\r')
		end--;
	if (end == 0 || seg[end - 1] != '}')
		return 0;
	digits_end = end - 1;
	if (digits_end > 0 && seg[digits_end - 1] == '+')
		digits_end--;
	brace = digits_end;
	while (brace > 0 && g_ascii_isdigit(seg[brace - 1]))
		brace--;
	if (brace == 0 || brace == digits_end || seg[brace - 1] != '{')
		return 0;
	brace--;
	cap = parser->limits.max_literal;
	if (parser->is_fetch && frame_literal_is_body(seg, brace))
		cap = parser->limits.max_body_literal;
	if (imap_parse_number((const char *)seg + brace + 1, digits_end - brace - 1, cap, &size) < 0)
		return imap_fail(error, IMAP_ERROR_LIMIT,
				 ngettext("IMAP literal larger than the limit of %zu byte",
					  "IMAP literal larger than the limit of %zu bytes", cap),
				 cap);
	if (size > parser->limits.max_literal_total - parser->literal_total)
		return imap_fail(error, IMAP_ERROR_LIMIT,
				 ngettext("IMAP response literals exceed the limit of %zu byte",
					  "IMAP response literals exceed the limit of %zu bytes",
					  parser->limits.max_literal_total),
				 parser->limits.max_literal_total);
	*size_r = (size_t)size;
	return 1;
}

/* Copies input up to the end of the current line segment. Returns 1 when a
 * whole segment is in cur, 0 when more input is needed, -1 on error. */
static int
frame_line(struct imap_parser *parser, GError **error)
{
	const guint8 *p = parser->in->data + parser->in_pos;
	size_t avail = parser->in->len - parser->in_pos;
	const guint8 *lf = memchr(p, '\n', avail);
	size_t n = lf != NULL ? (size_t)(lf - p) + 1 : avail;

	if (n > parser->limits.max_line - parser->line_total)
		return imap_fail(error, IMAP_ERROR_LIMIT,
				 ngettext("IMAP response line longer than the limit of %zu byte",
					  "IMAP response line longer than the limit of %zu bytes",
					  parser->limits.max_line),
				 parser->limits.max_line);
	g_byte_array_append(parser->cur, p, (guint)n);
	parser->in_pos += n;
	parser->line_total += n;
	return lf != NULL ? 1 : 0;
}

static void
frame_literal_data(struct imap_parser *parser)
{
	size_t avail = parser->in->len - parser->in_pos;
	size_t n = MIN(avail, parser->literal_left);

	g_byte_array_append(parser->cur, parser->in->data + parser->in_pos, (guint)n);
	parser->in_pos += n;
	parser->literal_left -= n;
	if (parser->literal_left == 0) {
		static const guint8 nul = 0;

		g_byte_array_append(parser->cur, &nul, 1);
		parser->state = FRAME_LINE;
		parser->seg_start = parser->cur->len;
	}
}

/* Advances framing. Returns 1 when cur holds a complete response, 0 when
 * more input is needed, -1 on error. */
static int
frame_step(struct imap_parser *parser, GError **error)
{
	for (;;) {
		size_t size = 0;
		int ret;

		if (parser->state == FRAME_LITERAL) {
			frame_literal_data(parser);
			if (parser->state == FRAME_LITERAL)
				return 0;
			continue;
		}
		if (parser->in_pos == parser->in->len)
			return 0;
		ret = frame_line(parser, error);
		if (ret <= 0)
			return ret;
		if (!parser->classified) {
			frame_classify(parser);
			parser->classified = true;
		}
		if (parser->no_literals)
			return 1;
		ret = frame_literal(parser, &size, error);
		if (ret < 0)
			return -1;
		if (ret == 0)
			return 1;
		parser->literal_total += size;
		parser->literal_left = size;
		parser->state = FRAME_LITERAL;
	}
}

struct imap_response *
imap_parser_next(struct imap_parser *parser, GError **error)
{
	struct imap_response *resp = NULL;
	struct imap_decoder dec = {0};
	GError *err = NULL;
	GBytes *raw;
	int ret;

	if (parser->failed) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_FAILED,
			    _("IMAP parser stopped after an earlier error: %s"), parser->failure);
		return NULL;
	}
	ret = frame_step(parser, &err);
	if (ret < 0) {
		parser_fail(parser, error, err);
		return NULL;
	}
	if (ret == 0)
		return NULL;

	parser->cur_hint = MIN(parser->cur->len + 64, FRAME_HINT_MAX);
	raw = g_byte_array_free_to_bytes(parser->cur);
	parser->cur = NULL;
	frame_reset(parser);
	resp = imap_response_new(raw);
	if (imap_tree_build(resp, &parser->limits, &err) < 0)
		goto fail;
	dec.resp = resp;
	dec.limits = &parser->limits;
	dec.utf8_accept = parser->utf8_accept;
	dec.error = &err;
	if (imap_decode_response(&dec) < 0)
		goto fail;
	return resp;
fail:
	imap_response_free(&resp);
	parser_fail(parser, error, err);
	return NULL;
}

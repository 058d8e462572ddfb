/* tern — core/imap/header.c: an ENVELOPE built from a header block, the
 * answer to BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID
 * IN-REPLY-TO REFERENCES)].
 *
 * Dovecot answers that fetch for about two thirds of the cost of ENVELOPE
 * (it reads the fields from its cache instead of building the structure),
 * so the summaries ask for it and build here what ENVELOPE gives: the raw
 * date, subject, message-id and in-reply-to, and address lists split into
 * name / mailbox / host with group markers (RFC 3501 7.4.2).
 *
 * The block comes from the server or a sender: hostile. Two passes, both
 * linear in the input:
 *   1. fields: split into header lines, unfold, keep the first occurrence of
 *      each wanted field, at most HEADER_FIELD_MAX bytes of its value; NUL
 *      and CR/LF dropped, TAB made a space;
 *   2. addresses: a small tokenizer (atoms, quoted strings, comments,
 *      domain literals, specials) under a state machine that accepts
 *      RFC 5322 with its obs- forms (routes, missing commas, phrases with
 *      dots), group syntax, and never fails: unterminated quotes, comments
 *      and angle brackets end at the end of the value. At most
 *      limits->max_addresses entries per list, as for ENVELOPE.
 * RFC 2047 words are left as sent (mime/'s decoder hook does them later). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap.h"

/* Bytes kept of one field's unfolded value; the rest is dropped. A summary
 * shows a line of it, and 64 KiB holds some two thousand addresses, more than
 * limits->max_addresses. */
#define HEADER_FIELD_MAX (64u * 1024)
/* Comment nesting followed; deeper parentheses count as text. */
#define HEADER_COMMENT_DEPTH 32u

enum header_field {
	FIELD_FROM,
	FIELD_TO,
	FIELD_CC,
	FIELD_SUBJECT,
	FIELD_DATE,
	FIELD_MESSAGE_ID,
	FIELD_IN_REPLY_TO,
	FIELD_REFERENCES,
	FIELD_COUNT
};

static const char *const field_names[FIELD_COUNT] = {
	[FIELD_FROM] = "From",
	[FIELD_TO] = "To",
	[FIELD_CC] = "Cc",
	[FIELD_SUBJECT] = "Subject",
	[FIELD_DATE] = "Date",
	[FIELD_MESSAGE_ID] = "Message-ID",
	[FIELD_IN_REPLY_TO] = "In-Reply-To",
	[FIELD_REFERENCES] = "References",
};

struct imap_header_envelope {
	struct imap_envelope env;
	const char *references;
	GStringChunk *strings; /* every string above */
	GPtrArray *arrays;     /* the address arrays */
};

/* ------------------------------------------------------------------------ */
/* Pass 1: fields                                                           */
/* ------------------------------------------------------------------------ */

static int
field_index(const char *name, size_t len)
{
	for (int i = 0; i < FIELD_COUNT; i++) {
		if (strlen(field_names[i]) == len && g_ascii_strncasecmp(name, field_names[i], len) == 0)
			return i;
	}
	return -1;
}

/* End of the line starting at p: the byte after its LF, or end. */
static const char *
line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	return lf != NULL ? lf + 1 : end;
}

/* Appends one physical line's bytes to the field value, unfolded. */
static void
append_unfolded(GString *v, const char *p, const char *e)
{
	for (; p < e && v->len < HEADER_FIELD_MAX; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\0')
			continue;
		g_string_append_c(v, *p == '\t' ? ' ' : *p);
	}
}

/* Splits data into fields; values[i] is the first field i's unfolded value
 * (NULL when absent). A line that is neither a field nor a continuation is
 * skipped, and so are its continuations. */
static void
split_fields(const char *data, size_t len, GString *values[FIELD_COUNT])
{
	const char *p = data, *end = data + len;
	GString *cur = NULL;

	while (p < end) {
		const char *e = line_end(p, end), *colon;
		int i;

		if (*p == ' ' || *p == '\t') {
			if (cur != NULL)
				append_unfolded(cur, p, e);
			p = e;
			continue;
		}
		cur = NULL;
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon != NULL) {
			const char *n_end = colon;

			while (n_end > p && (n_end[-1] == ' ' || n_end[-1] == '\t'))
				n_end--; /* obs-optional: "Subject :" */
			i = field_index(p, (size_t)(n_end - p));
			if (i >= 0 && values[i] == NULL) {
				values[i] = g_string_sized_new(MIN((size_t)(e - colon), 256));
				cur = values[i];
				append_unfolded(cur, colon + 1, e);
			}
		}
		p = e;
	}
}

/* ------------------------------------------------------------------------ */
/* Pass 2: addresses                                                        */
/* ------------------------------------------------------------------------ */

enum tok_type {
	TOK_END,
	TOK_ATOM,    /* atext run, dots included (obs-phrase, obs-local-part) */
	TOK_QUOTED,  /* quoted string; text is its content, unescaped */
	TOK_DOMLIT,  /* [domain literal], brackets kept */
	TOK_SPECIAL, /* one of < > @ , : ; */
};

struct tok {
	enum tok_type type;
	char special;
	GString *text;
};

struct lexer {
	const char *p, *end;
	GString *comment; /* the last comment seen (for "addr (Name)") */
};

static bool
is_special(char c)
{
	return c == '<' || c == '>' || c == '@' || c == ',' || c == ':' || c == ';';
}

/* Skips a comment starting at '(' and keeps its text (nesting followed to
 * HEADER_COMMENT_DEPTH, unterminated: to the end). */
static void
lex_comment(struct lexer *lx)
{
	unsigned depth = 0;

	g_string_truncate(lx->comment, 0);
	while (lx->p < lx->end) {
		char c = *lx->p++;

		if (c == '\\' && lx->p < lx->end) {
			g_string_append_c(lx->comment, *lx->p++);
			continue;
		}
		if (c == '(' && depth++ == 0)
			continue;
		if (c == ')' && --depth == 0)
			break;
		if (depth > HEADER_COMMENT_DEPTH)
			depth = HEADER_COMMENT_DEPTH;
		g_string_append_c(lx->comment, c);
	}
	g_strstrip(lx->comment->str);
	g_string_set_size(lx->comment, strlen(lx->comment->str));
}

static void
lex_quoted(struct lexer *lx, struct tok *t)
{
	lx->p++; /* the opening quote */
	while (lx->p < lx->end && *lx->p != '"') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			lx->p++;
		g_string_append_c(t->text, *lx->p++);
	}
	if (lx->p < lx->end)
		lx->p++;
	t->type = TOK_QUOTED;
}

static void
lex_domlit(struct lexer *lx, struct tok *t)
{
	while (lx->p < lx->end && *lx->p != ']') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			lx->p++;
		g_string_append_c(t->text, *lx->p++);
	}
	if (lx->p < lx->end)
		lx->p++;
	g_string_append_c(t->text, ']');
	t->type = TOK_DOMLIT;
}

/* The next token; whitespace and comments skipped. Never fails. */
static void
lex_next(struct lexer *lx, struct tok *t)
{
	g_string_truncate(t->text, 0);
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
			lx->p++;
		if (lx->p >= lx->end) {
			t->type = TOK_END;
			return;
		}
		if (*lx->p != '(')
			break;
		lex_comment(lx);
	}
	if (*lx->p == '"') {
		lex_quoted(lx, t);
	} else if (*lx->p == '[') {
		lex_domlit(lx, t);
	} else if (is_special(*lx->p) || *lx->p == ')' || *lx->p == ']' || *lx->p == '\\') {
		/* a stray ) ] or \ is taken as the special ',' would be ignored:
		 * make it an atom of its own so the state machine moves on */
		t->special = *lx->p++;
		t->type = is_special(t->special) ? TOK_SPECIAL : TOK_ATOM;
		if (t->type == TOK_ATOM)
			g_string_append_c(t->text, t->special);
	} else {
		while (lx->p < lx->end && !is_special(*lx->p) && *lx->p != ' ' && *lx->p != '\t' &&
		       *lx->p != '(' && *lx->p != '"' && *lx->p != '[' && *lx->p != ')' &&
		       *lx->p != ']' && *lx->p != '\\')
			g_string_append_c(t->text, *lx->p++);
		t->type = TOK_ATOM;
	}
}

/* The state of one address list being read. */
struct addr_reader {
	struct imap_header_envelope *he;
	const struct imap_limits *limits;
	struct lexer lx;
	struct tok tok;
	GArray *out;          /* struct imap_address */
	bool truncated;
	GString *phrase;      /* words with single spaces: a display name */
	GString *local;       /* the same words without spaces: a local part */
	bool phrase_quoted;   /* a quoted string was among them */
};

static const char *
keep(struct addr_reader *r, const GString *s)
{
	return g_string_chunk_insert_len(r->he->strings, s->str, (gssize)s->len);
}

static void
push(struct addr_reader *r, const char *name, const char *mailbox, const char *host)
{
	struct imap_address a = { .name = name, .mailbox = mailbox, .host = host };

	if (host != NULL && host[0] == '\0' && mailbox[0] == '\0')
		return; /* "<>", "@": nothing to show or answer */
	if (r->out->len >= r->limits->max_addresses) {
		r->truncated = true;
		return;
	}
	g_array_append_val(r->out, a);
}

/* Reads words (atoms, quoted strings) into phrase and local until a special
 * or the end. */
static void
read_words(struct addr_reader *r)
{
	g_string_truncate(r->phrase, 0);
	g_string_truncate(r->local, 0);
	r->phrase_quoted = false;
	while (r->tok.type == TOK_ATOM || r->tok.type == TOK_QUOTED || r->tok.type == TOK_DOMLIT) {
		if (r->phrase->len > 0)
			g_string_append_c(r->phrase, ' ');
		g_string_append_len(r->phrase, r->tok.text->str, (gssize)r->tok.text->len);
		if (r->tok.type == TOK_QUOTED) {
			r->phrase_quoted = true;
			g_string_append_c(r->local, '"');
			g_string_append_len(r->local, r->tok.text->str, (gssize)r->tok.text->len);
			g_string_append_c(r->local, '"');
		} else {
			g_string_append_len(r->local, r->tok.text->str, (gssize)r->tok.text->len);
		}
		lex_next(&r->lx, &r->tok);
	}
}

/* After '@': the domain, its words joined without spaces while a dot joins
 * them ("x . example"); a word after a blank without a dot starts the next
 * address (obs: a missing comma). */
static const char *
read_domain(struct addr_reader *r)
{
	g_string_truncate(r->local, 0);
	lex_next(&r->lx, &r->tok);
	while (r->tok.type == TOK_ATOM || r->tok.type == TOK_QUOTED || r->tok.type == TOK_DOMLIT) {
		if (r->local->len > 0 && r->local->str[r->local->len - 1] != '.' &&
		    r->tok.text->str[0] != '.')
			break;
		g_string_append_len(r->local, r->tok.text->str, (gssize)r->tok.text->len);
		lex_next(&r->lx, &r->tok);
	}
	return keep(r, r->local);
}

static bool
at_special(const struct addr_reader *r, char c)
{
	return r->tok.type == TOK_SPECIAL && r->tok.special == c;
}

/* Inside <…>, after '<': an optional obs-route ("@a,@b:") and an addr-spec;
 * pushes the address with the given name. Unterminated: ends at the end. */
static void
read_angle(struct addr_reader *r, const char *name)
{
	const char *mailbox, *host = "";

	lex_next(&r->lx, &r->tok);
	if (at_special(r, '@')) {
		/* obs-route: dropped, as it is meaningless today */
		while (r->tok.type != TOK_END && !at_special(r, ':') && !at_special(r, '>'))
			lex_next(&r->lx, &r->tok);
		if (at_special(r, ':'))
			lex_next(&r->lx, &r->tok);
	}
	read_words(r);
	mailbox = keep(r, r->local);
	if (at_special(r, '@'))
		host = read_domain(r);
	/* anything else up to '>' is junk */
	while (r->tok.type != TOK_END && !at_special(r, '>'))
		lex_next(&r->lx, &r->tok);
	if (at_special(r, '>'))
		lex_next(&r->lx, &r->tok);
	push(r, name, mailbox, host);
}

/* One mailbox, or a group when groups is true. The current token is its
 * first. Consumes through the address; the caller handles ',' and ';'. */
static void
read_address(struct addr_reader *r, bool groups)
{
	const char *name = NULL, *mailbox, *host;

	g_string_truncate(r->lx.comment, 0);
	read_words(r);
	if (at_special(r, '<')) {
		if (r->phrase->len > 0)
			name = keep(r, r->phrase);
		read_angle(r, name);
		return;
	}
	if (at_special(r, ':') && groups) {
		push(r, NULL, keep(r, r->phrase), NULL);
		lex_next(&r->lx, &r->tok);
		while (r->tok.type != TOK_END && !at_special(r, ';')) {
			if (at_special(r, ',') || at_special(r, ':') || at_special(r, '>'))
				lex_next(&r->lx, &r->tok);
			else
				read_address(r, false);
		}
		if (at_special(r, ';'))
			lex_next(&r->lx, &r->tok);
		push(r, NULL, NULL, NULL);
		return;
	}
	if (r->local->len == 0 && !at_special(r, '@')) {
		lex_next(&r->lx, &r->tok); /* a stray special: skip it */
		return;
	}
	mailbox = keep(r, r->local);
	host = at_special(r, '@') ? read_domain(r) : "";
	/* "addr (Name)": the comment is the name, as ENVELOPE has it */
	if (r->lx.comment->len > 0)
		name = keep(r, r->lx.comment);
	push(r, name, mailbox, host);
}

static void
parse_addresses(struct imap_header_envelope *he, const struct imap_limits *limits,
		const GString *value, struct imap_address_list *list)
{
	struct addr_reader r = {
		.he = he,
		.limits = limits,
		.lx = { value->str, value->str + value->len, g_string_new(NULL) },
		.tok = { .text = g_string_new(NULL) },
		.out = g_array_new(FALSE, TRUE, sizeof(struct imap_address)),
		.phrase = g_string_new(NULL),
		.local = g_string_new(NULL),
	};

	lex_next(&r.lx, &r.tok);
	while (r.tok.type != TOK_END) {
		if (at_special(&r, ',') || at_special(&r, ';') || at_special(&r, '>'))
			lex_next(&r.lx, &r.tok);
		else
			read_address(&r, true);
	}
	list->n_addrs = r.out->len;
	list->truncated = r.truncated;
	list->addrs = (const struct imap_address *)(void *)r.out->data;
	g_ptr_array_add(he->arrays, g_array_free(r.out, FALSE));
	g_string_free(r.lx.comment, TRUE);
	g_string_free(r.tok.text, TRUE);
	g_string_free(r.phrase, TRUE);
	g_string_free(r.local, TRUE);
}

/* ------------------------------------------------------------------------ */
/* The envelope                                                             */
/* ------------------------------------------------------------------------ */

/* The value without surrounding blanks, kept; NULL for an absent field. */
static const char *
keep_value(struct imap_header_envelope *he, GString *v, size_t *len_r)
{
	const char *s, *e;

	if (v == NULL)
		return NULL;
	s = v->str;
	e = v->str + v->len;
	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	if (len_r != NULL)
		*len_r = (size_t)(e - s);
	return g_string_chunk_insert_len(he->strings, s, e - s);
}

struct imap_header_envelope *
imap_header_envelope_parse(const char *data, size_t len, const struct imap_limits *limits)
{
	struct imap_header_envelope *he = g_new0(struct imap_header_envelope, 1);
	GString *values[FIELD_COUNT] = { NULL };
	struct imap_envelope *env = &he->env;
	static const struct imap_address_list empty = { NULL, 0, false };

	he->strings = g_string_chunk_new(MIN(len + 64, 4096));
	he->arrays = g_ptr_array_new_with_free_func(g_free);
	split_fields(data, len, values);
	env->date = keep_value(he, values[FIELD_DATE], NULL);
	env->subject = keep_value(he, values[FIELD_SUBJECT], &env->subject_len);
	env->message_id = keep_value(he, values[FIELD_MESSAGE_ID], NULL);
	env->in_reply_to = keep_value(he, values[FIELD_IN_REPLY_TO], NULL);
	he->references = keep_value(he, values[FIELD_REFERENCES], NULL);
	if (he->references != NULL && he->references[0] == '\0')
		he->references = NULL;
	env->from = env->to = env->cc = empty;
	if (values[FIELD_FROM] != NULL)
		parse_addresses(he, limits, values[FIELD_FROM], &env->from);
	if (values[FIELD_TO] != NULL)
		parse_addresses(he, limits, values[FIELD_TO], &env->to);
	if (values[FIELD_CC] != NULL)
		parse_addresses(he, limits, values[FIELD_CC], &env->cc);
	for (int i = 0; i < FIELD_COUNT; i++) {
		if (values[i] != NULL)
			g_string_free(values[i], TRUE);
	}
	return he;
}

const struct imap_envelope *
imap_header_envelope_get(const struct imap_header_envelope *he)
{
	return &he->env;
}

const char *
imap_header_envelope_references(const struct imap_header_envelope *he)
{
	return he->references;
}

void
imap_header_envelope_free(struct imap_header_envelope **he)
{
	if (*he == NULL)
		return;
	g_string_chunk_free((*he)->strings);
	g_ptr_array_unref((*he)->arrays);
	g_clear_pointer(he, g_free);
}

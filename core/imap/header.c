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
 *      and CR/LF dropped, TAB made a space. The values are copied once, into
 *      one buffer that the second pass may rewrite in place;
 *   2. addresses: a small tokenizer (atoms, quoted strings, comments,
 *      domain literals, specials; tokens are spans of that buffer, quoted
 *      pairs undone in place) under a state machine that accepts RFC 5322
 *      with its obs- forms (routes, missing commas, phrases with dots),
 *      group syntax, and never fails: unterminated quotes, comments and
 *      angle brackets end at the end of the value. At most
 *      limits->max_addresses entries per list, as for ENVELOPE.
 * RFC 2047 words are left as sent (mime/'s decoder hook does them later).
 * It runs once per message of a folder's first load, so it allocates a few
 * blocks per header, not per field or per character. */
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

/* Each name with its length, compared first (a load looks up every line
 * of every header). */
#define FIELD(name) { name, sizeof(name) - 1 }
static const struct {
	const char *name;
	size_t len;
} field_names[FIELD_COUNT] = {
    [FIELD_FROM] = FIELD("From"),
    [FIELD_TO] = FIELD("To"),
    [FIELD_CC] = FIELD("Cc"),
    [FIELD_SUBJECT] = FIELD("Subject"),
    [FIELD_DATE] = FIELD("Date"),
    [FIELD_MESSAGE_ID] = FIELD("Message-ID"),
    [FIELD_IN_REPLY_TO] = FIELD("In-Reply-To"),
    [FIELD_REFERENCES] = FIELD("References"),
};
#undef FIELD

struct imap_header_envelope {
	struct imap_envelope env;
	const char *references;
	GStringChunk *strings; /* every string above */
	GArray *addrs;	       /* struct imap_address: From, To and Cc's entries */
	/* Kept from one parse to the next (imap_header_envelope_reparse()):
	 * a cold load parses a header a message, and the dozen allocations
	 * of each parse were a sixteenth of its reading thread's time. */
	GString *phrase, *local; /* read_lists()'s words */
	char *buf;		 /* split_fields()'s values */
	size_t buf_size;
	size_t kept;		 /* header bytes parsed since strings was cleared */
};

/* Header bytes parsed before the strings of earlier parses are freed. */
#define HEADER_KEEP_MAX (64 * 1024)

/* A piece of the value buffer: not NUL-terminated. */
struct span {
	char *p;
	size_t n;
};

/* ------------------------------------------------------------------------ */
/* Pass 1: fields                                                           */
/* ------------------------------------------------------------------------ */

static int
field_index(const char *name, size_t len)
{
	for (int i = 0; i < FIELD_COUNT; i++) {
		if (field_names[i].len == len &&
		    g_ascii_strncasecmp(name, field_names[i].name, len) == 0)
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

/* Appends one physical line's bytes to the value v (which ends at *w),
 * unfolded, up to HEADER_FIELD_MAX bytes in all. */
static void
append_unfolded(struct span *v, const char *p, const char *e)
{
	char *w = v->p + v->n, *start = w;
	size_t n = MIN((size_t)(e - p), HEADER_FIELD_MAX - v->n);

	/* copied whole, then the few bytes to drop or change are fixed up */
	memcpy(w, p, n);
	for (char *r = start; r < start + n; r++) {
		if (*r == '\r' || *r == '\n' || *r == '\0')
			continue;
		*w++ = *r == '\t' ? ' ' : *r;
	}
	v->n = (size_t)(w - v->p);
}

/* Splits data into fields: values[i] is the first field i's unfolded value
 * (p NULL when absent), copied into buf, which has room for
 * MIN(len, FIELD_COUNT * HEADER_FIELD_MAX) bytes. A line that is neither
 * a field nor a continuation is skipped, and so are its continuations. */
static void
split_fields(const char *data, size_t len, char *buf, struct span values[FIELD_COUNT])
{
	const char *p = data, *end = data + len;
	struct span *cur = NULL;
	char *w = buf;

	while (p < end) {
		const char *e = line_end(p, end), *colon;

		if (*p == ' ' || *p == '\t') {
			if (cur != NULL)
				append_unfolded(cur, p, e);
			p = e;
			continue;
		}
		if (cur != NULL)
			w = cur->p + cur->n;
		cur = NULL;
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon != NULL) {
			const char *n_end = colon;
			int i;

			while (n_end > p && (n_end[-1] == ' ' || n_end[-1] == '\t'))
				n_end--; /* obs-optional: "Subject :" */
			i = field_index(p, (size_t)(n_end - p));
			if (i >= 0 && values[i].p == NULL) {
				values[i].p = w;
				cur = &values[i];
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
	struct span text;
};

struct lexer {
	char *p, *end;
	struct span comment; /* the last comment seen (for "addr (Name)") */
};

static bool
is_special(char c)
{
	return c == '<' || c == '>' || c == '@' || c == ',' || c == ':' || c == ';';
}

/* Ends an atom: blanks, specials and the starts of other tokens. */
static bool
ends_atom(char c)
{
	switch (c) {
	case '<':
	case '>':
	case '@':
	case ',':
	case ':':
	case ';':
	case ' ':
	case '(':
	case ')':
	case '"':
	case '[':
	case ']':
	case '\\':
		return true;
	default:
		return false;
	}
}

/* Undoes quoted pairs from lx->p until the closing byte close (or, for a
 * comment, its matching parenthesis); the text is written over itself, so
 * it starts where lx->p did. Unterminated: to the end (*closed_r false). */
static struct span
lex_quoted_text(struct lexer *lx, char close, bool *closed_r)
{
	char *w = lx->p;
	struct span t = {lx->p, 0};
	unsigned depth = 1;

	*closed_r = false;
	while (lx->p < lx->end) {
		char c = *lx->p++;

		if (c == '\\' && lx->p < lx->end) {
			*w++ = *lx->p++;
			continue;
		}
		if (close == ')' && c == '(') {
			depth++;
		} else if (c == close && --depth == 0) {
			*closed_r = true;
			break;
		}
		*w++ = c;
	}
	t.n = (size_t)(w - t.p);
	return t;
}

/* Skips a comment starting at '(' and keeps its text, trimmed. */
static void
lex_comment(struct lexer *lx)
{
	struct span t;
	bool closed;

	lx->p++;
	t = lex_quoted_text(lx, ')', &closed);
	while (t.n > 0 && t.p[0] == ' ') {
		t.p++;
		t.n--;
	}
	while (t.n > 0 && t.p[t.n - 1] == ' ')
		t.n--;
	lx->comment = t;
}

/* The next token; whitespace and comments skipped. Never fails. */
static void
lex_next(struct lexer *lx, struct tok *t)
{
	for (;;) {
		while (lx->p < lx->end && *lx->p == ' ')
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
		bool closed;

		lx->p++;
		t->text = lex_quoted_text(lx, '"', &closed);
		t->type = TOK_QUOTED;
	} else if (*lx->p == '[') {
		/* the text is written from just after the '[', which stays; a ']'
		 * that closed it goes back right after the text (never past where
		 * it was) */
		bool closed;
		char *open = lx->p++;
		struct span in = lex_quoted_text(lx, ']', &closed);

		t->text.p = open;
		t->text.n = in.n + 1;
		if (closed)
			open[t->text.n++] = ']';
		t->type = TOK_DOMLIT;
	} else if (is_special(*lx->p)) {
		t->special = *lx->p++;
		t->type = TOK_SPECIAL;
	} else if (ends_atom(*lx->p)) {
		/* a stray ) ] or \: an atom of its own, so that the state machine
		 * moves on */
		t->text.p = lx->p++;
		t->text.n = 1;
		t->type = TOK_ATOM;
	} else {
		t->text.p = lx->p;
		while (lx->p < lx->end && !ends_atom(*lx->p))
			lx->p++;
		t->text.n = (size_t)(lx->p - t->text.p);
		t->type = TOK_ATOM;
	}
}

/* The state of the address lists being read. */
struct addr_reader {
	struct imap_header_envelope *he;
	const struct imap_limits *limits;
	struct lexer lx;
	struct tok tok;
	GArray *out; /* struct imap_address, all lists */
	guint first; /* the current list's first entry in out */
	bool truncated;
	GString *phrase; /* words with single spaces: a display name */
	GString *local;	 /* the same words without spaces: a local part */
};

static const char *
keep(struct addr_reader *r, const char *s, size_t n)
{
	return g_string_chunk_insert_len(r->he->strings, s, (gssize)n);
}

static void
push(struct addr_reader *r, const char *name, const char *mailbox, const char *host)
{
	struct imap_address a = {.name = name, .mailbox = mailbox, .host = host};

	if (host != NULL && host[0] == '\0' && mailbox[0] == '\0')
		return; /* "<>", "@": nothing to show or answer */
	if (r->out->len - r->first >= r->limits->max_addresses) {
		r->truncated = true;
		return;
	}
	g_array_append_val(r->out, a);
}

static bool
is_word(const struct tok *t)
{
	return t->type == TOK_ATOM || t->type == TOK_QUOTED || t->type == TOK_DOMLIT;
}

/* Reads words (atoms, quoted strings) into phrase and local until a special
 * or the end. */
static void
read_words(struct addr_reader *r)
{
	g_string_truncate(r->phrase, 0);
	g_string_truncate(r->local, 0);
	while (is_word(&r->tok)) {
		const struct span *w = &r->tok.text;

		if (r->phrase->len > 0)
			g_string_append_c(r->phrase, ' ');
		g_string_append_len(r->phrase, w->p, (gssize)w->n);
		if (r->tok.type == TOK_QUOTED)
			g_string_append_c(r->local, '"');
		g_string_append_len(r->local, w->p, (gssize)w->n);
		if (r->tok.type == TOK_QUOTED)
			g_string_append_c(r->local, '"');
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
	while (is_word(&r->tok)) {
		if (r->local->len > 0 && r->local->str[r->local->len - 1] != '.' &&
		    r->tok.text.p[0] != '.')
			break;
		g_string_append_len(r->local, r->tok.text.p, (gssize)r->tok.text.n);
		lex_next(&r->lx, &r->tok);
	}
	return keep(r, r->local->str, r->local->len);
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
	mailbox = keep(r, r->local->str, r->local->len);
	if (at_special(r, '@'))
		host = read_domain(r);
	/* anything else up to '>' is junk */
	while (r->tok.type != TOK_END && !at_special(r, '>'))
		lex_next(&r->lx, &r->tok);
	if (at_special(r, '>'))
		lex_next(&r->lx, &r->tok);
	push(r, name, mailbox, host);
}

/* group = display-name ":" [group-list] ";", after the ':'. */
static void read_address(struct addr_reader *r, bool groups);

static void
read_group(struct addr_reader *r)
{
	push(r, NULL, keep(r, r->phrase->str, r->phrase->len), NULL);
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
}

/* One mailbox, or a group when groups is true. The current token is its
 * first. Consumes through the address; the caller handles ',' and ';'. */
static void
read_address(struct addr_reader *r, bool groups)
{
	const char *name = NULL, *mailbox, *host;

	r->lx.comment.n = 0;
	read_words(r);
	if (at_special(r, '<')) {
		if (r->phrase->len > 0)
			name = keep(r, r->phrase->str, r->phrase->len);
		read_angle(r, name);
		return;
	}
	if (at_special(r, ':') && groups) {
		read_group(r);
		return;
	}
	if (r->local->len == 0 && !at_special(r, '@')) {
		lex_next(&r->lx, &r->tok); /* a stray special: skip it */
		return;
	}
	mailbox = keep(r, r->local->str, r->local->len);
	host = at_special(r, '@') ? read_domain(r) : "";
	/* "addr (Name)": the comment is the name, as ENVELOPE has it */
	if (r->lx.comment.n > 0)
		name = keep(r, r->lx.comment.p, r->lx.comment.n);
	push(r, name, mailbox, host);
}

/* Reads one list; its entries are r->out's from r->first on. */
static void
parse_addresses(struct addr_reader *r, const struct span *value, struct imap_address_list *list)
{
	r->first = r->out->len;
	r->truncated = false;
	r->lx.p = value->p;
	r->lx.end = value->p + value->n;
	r->lx.comment.n = 0;
	lex_next(&r->lx, &r->tok);
	while (r->tok.type != TOK_END) {
		if (at_special(r, ',') || at_special(r, ';') || at_special(r, '>'))
			lex_next(&r->lx, &r->tok);
		else
			read_address(r, true);
	}
	list->n_addrs = r->out->len - r->first;
	list->truncated = r->truncated;
}

/* ------------------------------------------------------------------------ */
/* The envelope                                                             */
/* ------------------------------------------------------------------------ */

/* The value without surrounding blanks, kept; NULL for an absent field. */
static const char *
keep_value(struct imap_header_envelope *he, const struct span *v, size_t *len_r)
{
	const char *s, *e;

	if (v->p == NULL)
		return NULL;
	s = v->p;
	e = v->p + v->n;
	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	if (len_r != NULL)
		*len_r = (size_t)(e - s);
	return g_string_chunk_insert_len(he->strings, s, e - s);
}

/* From, To and Cc into he->env; the strings go to he->strings, the
 * entries to he->addrs (which must not grow once they are pointed to). */
static void
read_lists(struct imap_header_envelope *he, const struct imap_limits *limits,
	   struct span values[FIELD_COUNT])
{
	static const int fields[3] = {FIELD_FROM, FIELD_TO, FIELD_CC};
	struct imap_address_list *lists[3] = {&he->env.from, &he->env.to, &he->env.cc};
	struct addr_reader r = {
	    .he = he,
	    .limits = limits,
	    .out = he->addrs,
	    .phrase = he->phrase,
	    .local = he->local,
	};
	guint start[3] = {0};

	for (int i = 0; i < 3; i++) {
		start[i] = r.out->len;
		if (values[fields[i]].p != NULL)
			parse_addresses(&r, &values[fields[i]], lists[i]);
	}
	for (int i = 0; i < 3; i++)
		lists[i]->addrs = lists[i]->n_addrs > 0 ? &g_array_index(r.out, struct imap_address,
									 start[i])
						: NULL;
}

void
imap_header_envelope_reparse(struct imap_header_envelope *he, const char *data, size_t len,
			     const struct imap_limits *limits)
{
	struct span values[FIELD_COUNT] = {{NULL, 0}};
	struct imap_envelope *env = &he->env;
	size_t need = MIN(len, (size_t)FIELD_COUNT * HEADER_FIELD_MAX) + 1;

	memset(env, 0, sizeof *env);
	he->references = NULL;
	/* the strings of earlier parses are let go by the chunk's worth, not
	 * one block a parse */
	if (he->kept >= HEADER_KEEP_MAX) {
		g_string_chunk_clear(he->strings);
		he->kept = 0;
	}
	he->kept += len;
	g_array_set_size(he->addrs, 0);
	if (need > he->buf_size) {
		g_free(he->buf);
		he->buf = g_malloc(need);
		he->buf_size = need;
	}
	split_fields(data, len, he->buf, values);
	env->date = keep_value(he, &values[FIELD_DATE], NULL);
	env->subject = keep_value(he, &values[FIELD_SUBJECT], &env->subject_len);
	env->message_id = keep_value(he, &values[FIELD_MESSAGE_ID], NULL);
	env->in_reply_to = keep_value(he, &values[FIELD_IN_REPLY_TO], NULL);
	he->references = keep_value(he, &values[FIELD_REFERENCES], NULL);
	if (he->references != NULL && he->references[0] == '\0')
		he->references = NULL;
	read_lists(he, limits, values);
}

struct imap_header_envelope *
imap_header_envelope_parse(const char *data, size_t len, const struct imap_limits *limits)
{
	struct imap_header_envelope *he = g_new0(struct imap_header_envelope, 1);

	he->strings = g_string_chunk_new(4096);
	he->addrs = g_array_new(FALSE, TRUE, sizeof(struct imap_address));
	he->phrase = g_string_sized_new(64);
	he->local = g_string_sized_new(64);
	imap_header_envelope_reparse(he, data, len, limits);
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
	g_array_unref((*he)->addrs);
	g_string_free((*he)->phrase, TRUE);
	g_string_free((*he)->local, TRUE);
	g_free((*he)->buf);
	g_clear_pointer(he, g_free);
}

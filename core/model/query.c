/* tern — the search query language: a lexer, a recursive-descent parser
 * (depth-capped), IMAP SEARCH output and local evaluation. */
#include "config.h"

#include "core/common.h"

#include <string.h>

#include "core/model/flags.h"
#include "core/model/query.h"

G_DEFINE_QUARK(tern-query-error-quark, query_error)

enum value_kind { V_STRING, V_FLAG, V_DATE, V_SIZE };

enum field_id { F_FROM, F_TO, F_CC, F_SUBJECT, F_BODY, F_TEXT, F_IS, F_SINCE, F_BEFORE, F_ON,
		F_LARGER, F_SMALLER };

struct field_def {
	const char *name;
	enum field_id id;
	enum value_kind kind;
	const char *imap; /* the search key; NULL for is: (the value names it) */
};

static const struct field_def fields[] = {
	{ "from", F_FROM, V_STRING, "FROM" },
	{ "to", F_TO, V_STRING, "TO" },
	{ "cc", F_CC, V_STRING, "CC" },
	{ "subject", F_SUBJECT, V_STRING, "SUBJECT" },
	{ "body", F_BODY, V_STRING, "BODY" },
	{ "text", F_TEXT, V_STRING, "TEXT" },
	{ "is", F_IS, V_FLAG, NULL },
	{ "since", F_SINCE, V_DATE, "SINCE" },
	{ "before", F_BEFORE, V_DATE, "BEFORE" },
	{ "on", F_ON, V_DATE, "ON" },
	{ "larger", F_LARGER, V_SIZE, "LARGER" },
	{ "smaller", F_SMALLER, V_SIZE, "SMALLER" },
};
#define FIELD_TEXT (&fields[F_TEXT])

static const struct is_def {
	const char *name;
	const char *imap;
	guint bit;
	bool set; /* the bit must be set (true) or clear */
} is_values[] = {
	{ "unread", "UNSEEN", FLAG_SEEN, false },
	{ "read", "SEEN", FLAG_SEEN, true },
	{ "flagged", "FLAGGED", FLAG_FLAGGED, true },
	{ "unflagged", "UNFLAGGED", FLAG_FLAGGED, false },
	{ "answered", "ANSWERED", FLAG_ANSWERED, true },
	{ "unanswered", "UNANSWERED", FLAG_ANSWERED, false },
	{ "deleted", "DELETED", FLAG_DELETED, true },
	{ "undeleted", "UNDELETED", FLAG_DELETED, false },
	{ "draft", "DRAFT", FLAG_DRAFT, true },
};

enum node_type { N_AND, N_OR, N_NOT, N_TERM };

struct node {
	enum node_type type;
	GPtrArray *children;           /* AND, OR: 2 or more; NOT: 1 */
	const struct field_def *field; /* TERM */
	const struct is_def *is;       /* TERM is: */
	char *text;                    /* TERM: string value, IMAP date, or size in decimal */
	char *folded;                  /* V_STRING: text normalised and case-folded */
	guint32 number;                /* V_DATE: julian day; V_SIZE: bytes */
};

struct query {
	struct node *root;
};

/* Lexer. */

enum tok_type { T_END, T_TERM, T_LPAREN, T_RPAREN, T_NEG, T_OR, T_NOT };

struct tok {
	enum tok_type type;
	gsize start;                   /* byte offset */
	const struct field_def *field; /* T_TERM: NULL for a bare word */
	char *value;                   /* T_TERM */
	gsize value_start;
};

struct parser {
	const char *text;
	gsize len;
	gsize pos;
	struct tok cur;
	int terms;
	GError **error;
	gsize err_offset; /* byte offset of the error */
};

static int G_GNUC_PRINTF(3, 4)
perr(struct parser *p, gsize offset, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p->err_offset = offset;
	/* the text was validated as UTF-8 before lexing */
	g_set_error(p->error, QUERY_ERROR, QUERY_ERROR_PARSE, _("column %ld: %s"),
		    g_utf8_pointer_to_offset(p->text, p->text + offset) + 1, msg);
	g_free(msg);
	return -1;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A bare run ends at a blank, a parenthesis or a quote. */
static bool
ends_bare(char c)
{
	return c == '\0' || is_blank(c) || c == '(' || c == ')' || c == '"';
}

/* "..." with \" and \\ (a tab inside becomes a space); p->pos at the
 * opening quote. */
static int
lex_quoted(struct parser *p, char **value_r)
{
	gsize open = p->pos;
	GString *s = g_string_new(NULL);

	p->pos++;
	while (p->pos < p->len && p->text[p->pos] != '"') {
		char c = p->text[p->pos];

		if (c == '\\' && p->pos + 1 < p->len &&
		    (p->text[p->pos + 1] == '"' || p->text[p->pos + 1] == '\\'))
			c = p->text[++p->pos];
		g_string_append_c(s, c == '\t' ? ' ' : c); /* no controls in IMAP strings */
		p->pos++;
	}
	if (p->pos >= p->len) {
		g_string_free(s, TRUE);
		return perr(p, open, _("missing closing '\"'"));
	}
	p->pos++;
	*value_r = g_string_free(s, FALSE);
	return 0;
}

static const struct field_def *
find_field(const char *name, gsize len)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(fields); i++)
		if (strlen(fields[i].name) == len && g_ascii_strncasecmp(fields[i].name, name, len) == 0)
			return &fields[i];
	return NULL;
}

/* Length of a field prefix "letters:" at s, or 0. */
static gsize
field_prefix_len(const char *s, gsize run)
{
	gsize i = 0;

	while (i < run && g_ascii_isalpha(s[i]))
		i++;
	return i > 0 && i < run && s[i] == ':' ? i : 0;
}

/* A word: an operator, FIELD:VALUE or a bare word. */
static int
lex_word(struct parser *p, struct tok *t)
{
	const char *s = p->text + p->pos;
	gsize run = 0, flen;

	while (!ends_bare(s[run]))
		run++;
	if ((run == 2 && strncmp(s, "OR", 2) == 0) || (run == 3 && strncmp(s, "NOT", 3) == 0)) {
		t->type = run == 2 ? T_OR : T_NOT;
		p->pos += run;
		return 0;
	}
	t->type = T_TERM;
	flen = field_prefix_len(s, run);
	if (flen == 0) {
		t->field = NULL;
		t->value = g_strndup(s, run);
		t->value_start = p->pos;
		p->pos += run;
		return 0;
	}
	t->field = find_field(s, flen);
	if (t->field == NULL) {
		char *name = g_strndup(s, flen);

		perr(p, p->pos, _("unknown field '%s'"), name);
		g_free(name);
		return -1;
	}
	p->pos += flen + 1;
	t->value_start = p->pos;
	if (run == flen + 1 && p->text[p->pos] == '"')
		return lex_quoted(p, &t->value);
	t->value = g_strndup(s + flen + 1, run - flen - 1);
	p->pos += run - flen - 1;
	return 0;
}

static void
tok_clear(struct tok *t)
{
	g_free(t->value);
	memset(t, 0, sizeof(*t));
}

/* Read the next token into p->cur. */
static int
lex_next(struct parser *p)
{
	struct tok *t = &p->cur;
	char c;

	tok_clear(t);
	while (p->pos < p->len && is_blank(p->text[p->pos]))
		p->pos++;
	t->start = p->pos;
	if (p->pos >= p->len) {
		t->type = T_END;
		return 0;
	}
	c = p->text[p->pos];
	if (c == '(' || c == ')') {
		t->type = c == '(' ? T_LPAREN : T_RPAREN;
		p->pos++;
		return 0;
	}
	if (c == '-') {
		char next = p->text[p->pos + 1];

		if (next == '\0' || is_blank(next) || next == ')')
			return perr(p, p->pos, _("'-' must be followed by a term"));
		t->type = T_NEG;
		p->pos++;
		return 0;
	}
	if (c == '"') {
		t->type = T_TERM;
		t->value_start = p->pos;
		return lex_quoted(p, &t->value);
	}
	return lex_word(p, t);
}

/* Nodes. */

static void
node_free(gpointer ptr)
{
	struct node *n = ptr;

	if (n == NULL)
		return;
	if (n->children != NULL)
		g_ptr_array_unref(n->children);
	g_free(n->text);
	g_free(n->folded);
	g_free(n);
}

static struct node *
node_new(enum node_type type)
{
	struct node *n = g_new0(struct node, 1);

	n->type = type;
	if (type != N_TERM)
		n->children = g_ptr_array_new_with_free_func(node_free);
	return n;
}

static char *
fold(const char *s)
{
	char *norm = g_utf8_normalize(s, -1, G_NORMALIZE_DEFAULT);
	char *folded = g_utf8_casefold(norm != NULL ? norm : s, -1);

	g_free(norm);
	return folded;
}

static int
term_flag(struct parser *p, const struct tok *t, struct node *n)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(is_values); i++) {
		if (g_ascii_strcasecmp(t->value, is_values[i].name) == 0) {
			n->is = &is_values[i];
			n->text = g_strdup(is_values[i].imap);
			return 0;
		}
	}
	return perr(p, t->value_start,
		    _("unknown value '%s' for is: (unread, read, flagged, unflagged, answered, "
		      "unanswered, deleted, undeleted, draft)"), t->value);
}

/* 1..max digits at *s; advances *s. */
static bool
read_digits(const char **s, int min, int max, guint *n_r)
{
	guint n = 0;
	int i = 0;

	while (i < max && g_ascii_isdigit((*s)[i]))
		n = n * 10 + (guint)((*s)[i++] - '0');
	*s += i;
	*n_r = n;
	return i >= min;
}

/* YYYY-MM-DD, a real calendar date. */
static int
term_date(struct parser *p, const struct tok *t, struct node *n)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *s = t->value;
	guint y, m, d;
	GDate date;

	if (!read_digits(&s, 4, 4, &y) || *s++ != '-' || !read_digits(&s, 1, 2, &m) ||
	    *s++ != '-' || !read_digits(&s, 1, 2, &d) || *s != '\0' ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return perr(p, t->value_start, _("invalid date '%s' (expected YYYY-MM-DD)"),
			    t->value);
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	n->number = g_date_get_julian(&date);
	n->text = g_strdup_printf("%u-%s-%04u", d, months[m - 1], y);
	return 0;
}

/* N, NK or NM (1024); at most G_MAXUINT32. */
static int
term_size(struct parser *p, const struct tok *t, struct node *n)
{
	const char *s = t->value;
	guint64 v = 0, mul = 1;

	if (!g_ascii_isdigit(*s))
		goto bad;
	for (; g_ascii_isdigit(*s); s++) {
		v = v * 10 + (guint64)(*s - '0');
		if (v > G_MAXUINT32)
			goto big;
	}
	if (*s == 'k' || *s == 'K')
		mul = 1024;
	else if (*s == 'm' || *s == 'M')
		mul = 1024 * 1024;
	if (mul > 1)
		s++;
	if (*s != '\0')
		goto bad;
	if (v > G_MAXUINT32 / mul)
		goto big;
	n->number = (guint32)(v * mul);
	n->text = g_strdup_printf("%" G_GUINT32_FORMAT, n->number);
	return 0;
bad:
	return perr(p, t->value_start, _("invalid size '%s' (a number, optionally followed by K "
					  "or M)"), t->value);
big:
	return perr(p, t->value_start, _("size '%s' is too large"), t->value);
}

static int
make_term(struct parser *p, struct node **n_r)
{
	struct tok *t = &p->cur;
	const struct field_def *f = t->field != NULL ? t->field : FIELD_TEXT;
	struct node *n;
	int rc = 0;

	if (t->value[0] == '\0') {
		if (t->field != NULL)
			return perr(p, t->start, _("empty value for '%s:'"), t->field->name);
		return perr(p, t->start, _("empty quoted string"));
	}
	n = node_new(N_TERM);
	n->field = f;
	switch (f->kind) {
	case V_STRING:
		n->text = g_strdup(t->value);
		n->folded = fold(t->value);
		break;
	case V_FLAG: rc = term_flag(p, t, n); break;
	case V_DATE: rc = term_date(p, t, n); break;
	case V_SIZE: rc = term_size(p, t, n); break;
	}
	if (rc < 0) {
		node_free(n);
		return -1;
	}
	*n_r = n;
	return 0;
}

/* Parser. */

static int parse_and(struct parser *p, int depth, struct node **n_r);

static int
count_term(struct parser *p)
{
	if (++p->terms > QUERY_MAX_TERMS)
		return perr(p, p->cur.start, _("too many terms (at most %d)"), QUERY_MAX_TERMS);
	return 0;
}

static bool
ends_operand(enum tok_type type)
{
	return type == T_END || type == T_RPAREN || type == T_OR;
}

/* Hand n to the caller once the next token is read; free it on error. */
static int
take_and_advance(struct parser *p, struct node *n, struct node **n_r)
{
	if (lex_next(p) < 0) {
		node_free(n);
		return -1;
	}
	*n_r = n;
	return 0;
}

/* A term, negated or grouped. */
static int
parse_unary(struct parser *p, int depth, struct node **n_r)
{
	struct tok *t = &p->cur;
	gsize start = t->start;
	struct node *child = NULL, *n = NULL;

	if (depth > QUERY_MAX_DEPTH)
		return perr(p, start, ngettext("the query is nested too deeply (at most %d level)",
				     "the query is nested too deeply (at most %d levels)",
				     QUERY_MAX_DEPTH),
			    QUERY_MAX_DEPTH);
	if (count_term(p) < 0)
		return -1;
	switch (t->type) {
	case T_TERM:
		if (make_term(p, &n) < 0)
			return -1;
		return take_and_advance(p, n, n_r);
	case T_NEG:
	case T_NOT:
		if (lex_next(p) < 0)
			return -1;
		if (ends_operand(t->type))
			return perr(p, start, _("missing term after %s"),
				    p->text[start] == '-' ? "-" : "NOT");
		if (parse_unary(p, depth + 1, &child) < 0)
			return -1;
		n = node_new(N_NOT);
		g_ptr_array_add(n->children, child);
		*n_r = n;
		return 0;
	case T_LPAREN:
		if (lex_next(p) < 0 || parse_and(p, depth + 1, &child) < 0)
			return -1;
		if (t->type != T_RPAREN) {
			node_free(child);
			return perr(p, t->start, _("missing ')'"));
		}
		return take_and_advance(p, child, n_r);
	case T_OR:
		return perr(p, start, _("OR needs a term on each side"));
	case T_RPAREN:
		return perr(p, start, _("unexpected ')'"));
	case T_END:
		break;
	}
	return perr(p, start, _("missing term"));
}

/* Add child to a node of type, flattening a child of the same type. */
static void
adopt(struct node *parent, struct node *child)
{
	if (child->type == parent->type && child->type != N_NOT && child->type != N_TERM) {
		for (guint i = 0; i < child->children->len; i++)
			g_ptr_array_add(parent->children, child->children->pdata[i]);
		g_ptr_array_set_free_func(child->children, NULL);
		node_free(child);
	} else {
		g_ptr_array_add(parent->children, child);
	}
}

/* The node, or its only child. */
static struct node *
collapse(struct node *n)
{
	struct node *only;

	if (n->children->len != 1)
		return n;
	only = n->children->pdata[0];
	g_ptr_array_set_free_func(n->children, NULL);
	node_free(n);
	return only;
}

/* term (OR term)* */
static int
parse_or(struct parser *p, int depth, struct node **n_r)
{
	struct node *n = node_new(N_OR), *child = NULL;

	for (;;) {
		gsize or_at;

		if (parse_unary(p, depth, &child) < 0)
			goto fail;
		adopt(n, child);
		if (p->cur.type != T_OR)
			break;
		or_at = p->cur.start;
		if (count_term(p) < 0 || lex_next(p) < 0)
			goto fail;
		if (ends_operand(p->cur.type)) {
			perr(p, or_at, _("OR needs a term on each side"));
			goto fail;
		}
	}
	*n_r = collapse(n);
	return 0;
fail:
	node_free(n);
	return -1;
}

/* or_expr+ up to ')' or the end. */
static int
parse_and(struct parser *p, int depth, struct node **n_r)
{
	struct node *n = node_new(N_AND), *child = NULL;

	while (p->cur.type != T_END && p->cur.type != T_RPAREN) {
		if (parse_or(p, depth, &child) < 0) {
			node_free(n);
			return -1;
		}
		adopt(n, child);
	}
	if (n->children->len == 0) {
		node_free(n);
		if (depth > 0)
			return perr(p, p->cur.start, _("empty parentheses"));
		if (p->cur.type == T_RPAREN)
			return perr(p, p->cur.start, _("unexpected ')'"));
		return perr(p, 0, _("empty query"));
	}
	*n_r = collapse(n);
	return 0;
}

/* UTF-8, no control characters, bounded. */
static int
check_text(struct parser *p)
{
	const char *end = NULL;

	if (p->len > QUERY_MAX_LEN) {
		g_set_error(p->error, QUERY_ERROR, QUERY_ERROR_PARSE,
			    ngettext("the query is too long (at most %d byte)",
				     "the query is too long (at most %d bytes)", QUERY_MAX_LEN),
			    QUERY_MAX_LEN);
		return -1;
	}
	if (!g_utf8_validate(p->text, (gssize)p->len, &end)) {
		p->len = (gsize)(end - p->text); /* columns count up to the bad byte */
		return perr(p, p->len, _("invalid UTF-8"));
	}
	for (const char *s = p->text; *s != '\0'; s = g_utf8_next_char(s)) {
		gunichar c = g_utf8_get_char(s);

		if (c != '\t' && g_unichar_iscntrl(c))
			return perr(p, (gsize)(s - p->text), _("control character"));
	}
	return 0;
}

int
query_parse(const char *text, struct query **q_r, GError **error)
{
	return query_parse_at(text, q_r, NULL, error);
}

int
query_parse_at(const char *text, struct query **q_r, gsize *offset_r, GError **error)
{
	struct parser p = { 0 };
	struct node *root = NULL;
	int rc = -1;

	p.text = text;
	p.len = strlen(text);
	p.error = error;
	p.err_offset = p.len; /* too long: the end */
	if (check_text(&p) < 0 || lex_next(&p) < 0 || parse_and(&p, 0, &root) < 0)
		goto out;
	if (p.cur.type == T_RPAREN) {
		perr(&p, p.cur.start, _("unexpected ')'"));
		node_free(root);
		goto out;
	}
	*q_r = g_new0(struct query, 1);
	(*q_r)->root = root;
	rc = 0;
out:
	if (rc < 0 && offset_r != NULL)
		*offset_r = MIN(p.err_offset, strlen(text));
	tok_clear(&p.cur);
	return rc;
}

void
query_free(struct query **q)
{
	if (*q == NULL)
		return;
	node_free((*q)->root);
	g_free(*q);
	*q = NULL;
}

/* IMAP output. */

static void
token_free(gpointer ptr)
{
	struct query_token *t = ptr;

	g_free(t->text);
	g_free(t);
}

static void
emit(GPtrArray *out, enum query_token_type type, const char *text)
{
	struct query_token *t = g_new0(struct query_token, 1);

	t->type = type;
	t->text = g_strdup(text);
	g_ptr_array_add(out, t);
}

static void
emit_term(GPtrArray *out, const struct node *n)
{
	if (n->field->kind == V_FLAG) {
		emit(out, QUERY_TOK_ATOM, n->text);
		return;
	}
	emit(out, QUERY_TOK_ATOM, n->field->imap);
	emit(out, n->field->kind == V_STRING ? QUERY_TOK_STRING : QUERY_TOK_ATOM, n->text);
}

/* single: the node must come out as one search-key. Depth is bounded by
 * QUERY_MAX_DEPTH through the parser. */
static void
emit_node(GPtrArray *out, const struct node *n, bool single)
{
	guint i;

	switch (n->type) {
	case N_TERM:
		emit_term(out, n);
		break;
	case N_NOT:
		emit(out, QUERY_TOK_ATOM, "NOT");
		emit_node(out, n->children->pdata[0], true);
		break;
	case N_OR:
		for (i = 0; i + 1 < n->children->len; i++) {
			emit(out, QUERY_TOK_ATOM, "OR");
			emit_node(out, n->children->pdata[i], true);
		}
		emit_node(out, n->children->pdata[i], true);
		break;
	case N_AND:
		if (single)
			emit(out, QUERY_TOK_OPEN, "(");
		for (i = 0; i < n->children->len; i++)
			emit_node(out, n->children->pdata[i], false);
		if (single)
			emit(out, QUERY_TOK_CLOSE, ")");
		break;
	}
}

GPtrArray *
query_to_imap(const struct query *q)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(token_free);

	emit_node(out, q->root, false);
	return out;
}

static bool
node_needs_utf8(const struct node *n)
{
	if (n->type == N_TERM) {
		if (n->field->kind != V_STRING)
			return false;
		for (const char *s = n->text; *s != '\0'; s++)
			if ((unsigned char)*s >= 0x80)
				return true;
		return false;
	}
	for (guint i = 0; i < n->children->len; i++)
		if (node_needs_utf8(n->children->pdata[i]))
			return true;
	return false;
}

bool
query_needs_utf8(const struct query *q)
{
	return node_needs_utf8(q->root);
}

char *
query_tokens_format(const GPtrArray *tokens)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < tokens->len; i++) {
		const struct query_token *t = tokens->pdata[i];

		if (i > 0)
			g_string_append_c(s, ' ');
		if (t->type != QUERY_TOK_STRING) {
			g_string_append(s, t->text);
			continue;
		}
		g_string_append_c(s, '"');
		for (const char *c = t->text; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				g_string_append_c(s, '\\');
			g_string_append_c(s, *c);
		}
		g_string_append_c(s, '"');
	}
	return g_string_free(s, FALSE);
}

/* Local evaluation. */

static bool
contains(const char *haystack, const char *needle_folded)
{
	char *valid, *folded;
	bool found;

	if (haystack == NULL)
		return false;
	valid = g_utf8_make_valid(haystack, -1);
	folded = fold(valid);
	found = strstr(folded, needle_folded) != NULL;
	g_free(folded);
	g_free(valid);
	return found;
}

static guint32
local_day(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_local(t);
	GDate date;
	int y, m, d;

	if (dt == NULL)
		return 0;
	g_date_time_get_ymd(dt, &y, &m, &d);
	g_date_time_unref(dt);
	g_date_clear(&date, 1);
	if (!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return 0;
	g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	return g_date_get_julian(&date);
}

static bool
match_term(const struct node *n, const struct query_summary *s)
{
	switch (n->field->id) {
	case F_FROM: return contains(s->from, n->folded);
	case F_TO: return contains(s->to, n->folded);
	case F_CC: return contains(s->cc, n->folded);
	case F_SUBJECT: return contains(s->subject, n->folded);
	case F_BODY: return s->text_has != NULL && s->text_has(n->text, true, s->text_ud);
	case F_TEXT:
		return contains(s->subject, n->folded) || contains(s->from, n->folded) ||
		       contains(s->to, n->folded) || contains(s->cc, n->folded) ||
		       (s->text_has != NULL && s->text_has(n->text, false, s->text_ud));
	case F_IS: return ((s->flags & n->is->bit) != 0) == n->is->set;
	case F_SINCE: return local_day(s->internaldate) >= n->number;
	case F_BEFORE: return local_day(s->internaldate) < n->number;
	case F_ON: return local_day(s->internaldate) == n->number;
	case F_LARGER: return s->size > n->number;
	case F_SMALLER: return s->size < n->number;
	}
	return false;
}

static bool
match_node(const struct node *n, const struct query_summary *s)
{
	switch (n->type) {
	case N_TERM:
		return match_term(n, s);
	case N_NOT:
		return !match_node(n->children->pdata[0], s);
	case N_OR:
		for (guint i = 0; i < n->children->len; i++)
			if (match_node(n->children->pdata[i], s))
				return true;
		return false;
	case N_AND:
		for (guint i = 0; i < n->children->len; i++)
			if (!match_node(n->children->pdata[i], s))
				return false;
		return true;
	}
	return false;
}

bool
query_match(const struct query *q, const struct query_summary *s)
{
	return match_node(q->root, s);
}

static void
each_text(const struct node *n, query_text_fn *fn, void *ud)
{
	if (n->type == N_TERM) {
		if (n->field->id == F_BODY || n->field->id == F_TEXT)
			fn(n->text, n->field->id == F_BODY, ud);
		return;
	}
	for (guint i = 0; i < n->children->len; i++)
		each_text(n->children->pdata[i], fn, ud);
}

void
query_each_text(const struct query *q, query_text_fn *fn, void *ud)
{
	each_text(q->root, fn, ud);
}

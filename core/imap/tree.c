/* tern — core/imap/tree.c: layer 1, second step: one complete framed
 * response becomes a tag, a kind and an argument tree (struct imap_arg).
 *
 * Runs on the whole response at once (framing already bounded its size),
 * so it never needs to resume. Nesting is bounded by limits->max_depth,
 * the number of nodes by limits->max_args. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"

/* Elements of open lists a cursor holds without an allocation: a FETCH
 * of a folder's summaries has some twenty. */
#define CURSOR_STACK_OWN 64

struct cursor {
	struct imap_response *resp;
	const struct imap_limits *limits;
	const char *s;
	size_t pos, len;
	size_t base; /* offset of s in resp->raw, for literals */
	bool allow_literals;
	unsigned n_args;
	GString *tmp; /* a quoted string with escapes, made when one comes */
	/* the elements of the lists being read, innermost last: each list
	 * takes its own off the top, once, at the exact size (a list grown
	 * on its own reallocated a tenth of a big FETCH's parse time); in
	 * the cursor itself until a response has more than it holds */
	struct imap_arg *stack;
	size_t stack_len, stack_cap;
	struct imap_arg stack_own[CURSOR_STACK_OWN];
	GError **error;
};

/* Appends arg to the stack. */
static void
stack_push(struct cursor *c, const struct imap_arg *arg)
{
	if (c->stack_len == c->stack_cap) {
		size_t cap = c->stack_cap * 2;

		if (c->stack == c->stack_own)
			c->stack = g_memdup2(c->stack_own, sizeof c->stack_own);
		c->stack = g_renew(struct imap_arg, c->stack, cap);
		c->stack_cap = cap;
	}
	c->stack[c->stack_len++] = *arg;
}

/* At the final (CR)LF of the response, or at the end of a text. */
static bool
cur_at_end(const struct cursor *c)
{
	if (c->pos >= c->len)
		return true;
	if (c->s[c->pos] == '\n')
		return c->pos + 1 == c->len;
	if (c->s[c->pos] == '\r')
		return c->pos + 2 == c->len && c->s[c->pos + 1] == '\n';
	return false;
}

static int
cur_fail(struct cursor *c, const char *what)
{
	return imap_fail(c->error, IMAP_ERROR_PROTOCOL, _("IMAP protocol error: %s at byte %zu"),
			 what, c->pos);
}

static bool
is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

static int
count_arg(struct cursor *c)
{
	if (++c->n_args > c->limits->max_args)
		return imap_fail(c->error, IMAP_ERROR_LIMIT,
				 ngettext("IMAP response has more than %u argument",
					  "IMAP response has more than %u arguments",
					  c->limits->max_args),
				 c->limits->max_args);
	return 0;
}

/* The bytes of a quoted string from c->pos (after the opening quote) that
 * need no unescaping: up to the first '"', '\\', CR, LF or NUL. */
static size_t
quoted_run(const struct cursor *c)
{
	size_t p = c->pos;

	while (p < c->len) {
		char ch = c->s[p];

		if (ch == '"' || ch == '\\' || ch == '\r' || ch == '\n' || ch == '\0')
			break;
		p++;
	}
	return p - c->pos;
}

static int
read_quoted(struct cursor *c, struct imap_arg *arg)
{
	size_t run;

	c->pos++;
	/* Most quoted strings (a PREVIEW, an INTERNALDATE) have no escape:
	 * copied once from the response, not a byte at a time. */
	run = quoted_run(c);
	if (c->pos + run < c->len && c->s[c->pos + run] == '"') {
		arg->type = IMAP_ARG_STRING;
		arg->data = imap_resp_strdup(c->resp, c->s + c->pos, run);
		arg->len = run;
		c->pos += run + 1;
		return 0;
	}
	if (c->tmp == NULL)
		c->tmp = g_string_new(NULL);
	g_string_truncate(c->tmp, 0);
	for (;;) {
		unsigned char ch;

		run = quoted_run(c);
		g_string_append_len(c->tmp, c->s + c->pos, (gssize)run);
		c->pos += run;
		if (c->pos >= c->len)
			return cur_fail(c, _("unterminated quoted string"));
		ch = (unsigned char)c->s[c->pos++];
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->pos >= c->len)
				return cur_fail(c, _("unterminated quoted string"));
			ch = (unsigned char)c->s[c->pos++];
			if (ch != '\\' && ch != '"')
				return cur_fail(c, _("bad escape in quoted string"));
			g_string_append_c(c->tmp, (char)ch);
		} else if (ch == '\r' || ch == '\n') {
			return cur_fail(c, _("unterminated quoted string"));
		} else {
			return cur_fail(c, _("NUL in quoted string"));
		}
	}
	arg->type = IMAP_ARG_STRING;
	arg->data = imap_resp_strdup(c->resp, c->tmp->str, c->tmp->len);
	arg->len = c->tmp->len;
	return 0;
}

static int
read_literal(struct cursor *c, struct imap_arg *arg)
{
	size_t start;
	uint64_t size;

	if (!c->allow_literals)
		return cur_fail(c, _("literal not allowed here"));
	if (c->s[c->pos] == '~') {
		arg->literal8 = true;
		c->pos++;
	}
	if (c->pos >= c->len || c->s[c->pos] != '{')
		return cur_fail(c, _("bad literal"));
	start = ++c->pos;
	while (c->pos < c->len && g_ascii_isdigit(c->s[c->pos]))
		c->pos++;
	if (imap_parse_number(c->s + start, c->pos - start, c->len, &size) < 0)
		return cur_fail(c, _("bad literal size"));
	if (c->pos < c->len && c->s[c->pos] == '+')
		c->pos++;
	if (c->pos < c->len && c->s[c->pos] == '}')
		c->pos++;
	else
		return cur_fail(c, _("bad literal"));
	if (c->pos < c->len && c->s[c->pos] == '\r')
		c->pos++;
	if (c->pos >= c->len || c->s[c->pos] != '\n')
		return cur_fail(c, _("literal not followed by CRLF"));
	c->pos++;
	/* Framing put the data and one NUL after it here. */
	if (size >= c->len - c->pos || c->s[c->pos + size] != '\0')
		return cur_fail(c, _("literal framing mismatch"));
	arg->type = IMAP_ARG_LITERAL;
	arg->data = c->s + c->pos;
	arg->len = (size_t)size;
	arg->raw_offset = c->base + c->pos;
	c->pos += (size_t)size + 1;
	return 0;
}

static int
read_atom(struct cursor *c, struct imap_arg *arg)
{
	size_t start = c->pos;

	while (c->pos < c->len) {
		unsigned char ch = (unsigned char)c->s[c->pos];

		if (ch == '[') {
			/* section spec: anything but CTLs up to "]" */
			c->pos++;
			while (c->pos < c->len && c->s[c->pos] != ']') {
				if (is_ctl((unsigned char)c->s[c->pos]))
					return cur_fail(c, _("unterminated [ in atom"));
				c->pos++;
			}
			if (c->pos >= c->len)
				return cur_fail(c, _("unterminated [ in atom"));
			c->pos++;
			continue;
		}
		if (ch == ' ' || ch == '(' || ch == ')' || ch == '"' || ch == '{' || is_ctl(ch))
			break;
		c->pos++;
	}
	if (c->pos == start)
		return cur_fail(c, _("unexpected character"));
	arg->data = imap_resp_strdup(c->resp, c->s + start, c->pos - start);
	arg->len = c->pos - start;
	arg->type = IMAP_ARG_ATOM;
	if (arg->len == 3 && g_ascii_strcasecmp(arg->data, "NIL") == 0) {
		arg->type = IMAP_ARG_NIL;
		arg->data = NULL;
		arg->len = 0;
	}
	return 0;
}

static int read_list(struct cursor *c, unsigned depth, bool in_list, struct imap_arg **children_r,
		     size_t *n_r);

static int
read_token(struct cursor *c, unsigned depth, struct imap_arg *arg)
{
	char ch = c->s[c->pos];

	if (count_arg(c) < 0)
		return -1;
	if (ch == '(') {
		if (depth + 1 > c->limits->max_depth)
			return imap_fail(c->error, IMAP_ERROR_LIMIT,
					 _("IMAP lists nested deeper than %u"), c->limits->max_depth);
		c->pos++;
		arg->type = IMAP_ARG_LIST;
		return read_list(c, depth + 1, true, &arg->children, &arg->n_children);
	}
	if (ch == '"')
		return read_quoted(c, arg);
	if (ch == '{' || (ch == '~' && c->pos + 1 < c->len && c->s[c->pos + 1] == '{'))
		return read_literal(c, arg);
	return read_atom(c, arg);
}

/* Reads tokens up to ")" (in_list) or the end. */
static int
read_list(struct cursor *c, unsigned depth, bool in_list, struct imap_arg **children_r,
	  size_t *n_r)
{
	size_t base = c->stack_len;
	int ret = -1;

	for (;;) {
		struct imap_arg arg = {0};

		while (c->pos < c->len && c->s[c->pos] == ' ')
			c->pos++;
		if (cur_at_end(c)) {
			if (in_list) {
				cur_fail(c, _("unterminated list"));
				goto out;
			}
			break;
		}
		if (c->s[c->pos] == ')') {
			if (!in_list) {
				cur_fail(c, _("unexpected )"));
				goto out;
			}
			c->pos++;
			break;
		}
		if (read_token(c, depth, &arg) < 0)
			goto out;
		stack_push(c, &arg);
		if (!cur_at_end(c) && c->s[c->pos] != ' ' && c->s[c->pos] != ')' &&
		    c->s[c->pos] != '(') {
			cur_fail(c, _("missing space between arguments"));
			goto out;
		}
	}
	ret = 0;
out:
	*n_r = c->stack_len - base;
	*children_r = NULL;
	if (*n_r > 0) {
		*children_r = imap_resp_memdup(c->resp,
					       &c->stack[base],
					       *n_r * sizeof(struct imap_arg));
	}
	c->stack_len = base;
	return ret;
}

/* The word after the tag, up to SP, "[" or the end. */
static size_t
peek_word(const struct cursor *c)
{
	size_t p = c->pos;

	while (p < c->len && c->s[p] != ' ' && c->s[p] != '[' && c->s[p] != '\r' && c->s[p] != '\n')
		p++;
	return p - c->pos;
}

static bool
is_tag_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\+]", ch) == NULL;
}

/* Text to the end of the line: no NUL, no CR or LF inside. */
static int
read_text(struct cursor *c, const char **text_r)
{
	size_t start = c->pos;

	while (!cur_at_end(c)) {
		char ch = c->s[c->pos];

		if (ch == '\0' || ch == '\r' || ch == '\n')
			return cur_fail(c, _("control character in response text"));
		c->pos++;
	}
	*text_r = imap_resp_strdup(c->resp, c->s + start, c->pos - start);
	return 0;
}

/* "[" name [SP args] "]" [SP] */
static int
read_code(struct cursor *c, struct imap_resp_code *code)
{
	size_t start = ++c->pos;
	char *name;

	while (c->pos < c->len && c->s[c->pos] != ' ' && c->s[c->pos] != ']') {
		if (is_ctl((unsigned char)c->s[c->pos]))
			return cur_fail(c, _("bad response code"));
		c->pos++;
	}
	if (c->pos == start || c->pos >= c->len)
		return cur_fail(c, _("bad response code"));
	name = g_ascii_strup(c->s + start, (gssize)(c->pos - start));
	code->name = imap_resp_strdup(c->resp, name, strlen(name));
	g_free(name);
	code->code = IMAP_CODE_UNKNOWN;
	if (c->s[c->pos] == ' ') {
		start = ++c->pos;
		while (c->pos < c->len && c->s[c->pos] != ']') {
			if (is_ctl((unsigned char)c->s[c->pos]))
				return cur_fail(c, _("unterminated response code"));
			c->pos++;
		}
		if (c->pos >= c->len)
			return cur_fail(c, _("unterminated response code"));
		code->args = imap_resp_strdup(c->resp, c->s + start, c->pos - start);
	}
	c->pos++; /* "]" */
	if (c->pos < c->len && c->s[c->pos] == ' ')
		c->pos++;
	return 0;
}

/* resp-text after the status word or "+": [SP ["[" code "]" [SP]] text] */
static int
read_resp_text(struct cursor *c, struct imap_resp_code *code, const char **text_r)
{
	if (cur_at_end(c)) {
		*text_r = "";
		return 0;
	}
	if (c->s[c->pos] == ' ')
		c->pos++;
	else if (c->s[c->pos] != '[')
		return cur_fail(c, _("missing space after status"));
	if (c->pos < c->len && c->s[c->pos] == '[' && read_code(c, code) < 0)
		return -1;
	return read_text(c, text_r);
}

static int
read_status(struct cursor *c, size_t word_len)
{
	struct imap_response *resp = c->resp;
	static const char *const names[] = {"OK", "NO", "BAD", "BYE", "PREAUTH"};
	char *word = g_ascii_strup(c->s + c->pos, (gssize)word_len);
	int ret = -1;

	for (size_t i = 0; i < TERN_ARRAY_LEN(names); i++) {
		if (strcmp(word, names[i]) == 0) {
			resp->u.status.status = (enum imap_status)i;
			resp->name = names[i];
			ret = 0;
		}
	}
	g_free(word);
	if (ret < 0)
		return cur_fail(c, _("tagged response without OK, NO or BAD"));
	resp->type = IMAP_DATA_STATUS;
	c->pos += word_len;
	return read_resp_text(c, &resp->u.status.code, &resp->u.status.text);
}

static int
read_untagged(struct cursor *c)
{
	struct imap_response *resp = c->resp;
	size_t word_len = peek_word(c);
	struct imap_arg *args;
	size_t n;

	if (imap_is_status_word(c->s + c->pos, word_len))
		return read_status(c, word_len);
	if (read_list(c, 0, false, &args, &n) < 0)
		return -1;
	resp->args = args;
	resp->n_args = n;
	if (n == 0)
		return cur_fail(c, _("empty untagged response"));
	return 0;
}

static void
cursor_init(struct cursor *c, struct imap_response *resp, const struct imap_limits *limits,
	    const char *s, size_t len, GError **error)
{
	/* field by field: stack_own needs no zeroing */
	c->resp = resp;
	c->limits = limits;
	c->s = s;
	c->pos = 0;
	c->len = len;
	c->base = 0;
	c->allow_literals = false;
	c->n_args = 0;
	c->tmp = NULL;
	c->stack = c->stack_own;
	c->stack_len = 0;
	c->stack_cap = CURSOR_STACK_OWN;
	c->error = error;
}

static void
cursor_clear(struct cursor *c)
{
	if (c->tmp != NULL)
		g_string_free(c->tmp, TRUE);
	if (c->stack != c->stack_own)
		g_free(c->stack);
}

int
imap_tree_build(struct imap_response *resp, const struct imap_limits *limits, GError **error)
{
	struct cursor c;
	gsize len;
	const char *s = g_bytes_get_data(resp->raw, &len);
	size_t tag_len;
	int ret = -1;

	cursor_init(&c, resp, limits, s, len, error);
	c.allow_literals = true;
	tag_len = 0;
	while (tag_len < len && s[tag_len] != ' ' && s[tag_len] != '\r' && s[tag_len] != '\n')
		tag_len++;
	if (tag_len == 1 && s[0] == '+') {
		resp->kind = IMAP_RESPONSE_CONTINUATION;
		resp->type = IMAP_DATA_CONTINUATION;
		resp->name = "+";
		c.pos = 1;
		ret = read_resp_text(&c, &resp->u.cont.code, &resp->u.cont.text);
		goto out;
	}
	if (tag_len >= len || s[tag_len] != ' ') {
		cur_fail(&c, _("response without a tag"));
		goto out;
	}
	c.pos = tag_len + 1;
	if (tag_len == 1 && s[0] == '*') {
		resp->kind = IMAP_RESPONSE_UNTAGGED;
		ret = read_untagged(&c);
		goto out;
	}
	for (size_t i = 0; i < tag_len; i++) {
		if (!is_tag_char((unsigned char)s[i])) {
			c.pos = i;
			cur_fail(&c, _("bad tag"));
			goto out;
		}
	}
	resp->kind = IMAP_RESPONSE_TAGGED;
	resp->tag = imap_resp_strdup(resp, s, tag_len);
	ret = read_status(&c, peek_word(&c));
out:
	cursor_clear(&c);
	return ret;
}

int
imap_tree_parse_text(struct imap_response *resp, const char *text, size_t len,
		     const struct imap_limits *limits, const struct imap_arg **args_r, size_t *n_r,
		     GError **error)
{
	struct cursor c;
	struct imap_arg *args;
	int ret;

	cursor_init(&c, resp, limits, text, len, error);
	ret = read_list(&c, 0, false, &args, n_r);
	*args_r = args;
	cursor_clear(&c);
	return ret;
}

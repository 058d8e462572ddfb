/* tern — core/imap/command.c: the one function that builds IMAP commands.
 *
 * Every argument is passed typed and quoted here; nothing from the user or
 * the server is pasted into a command line. A string that cannot be quoted
 * (CR, LF, 8-bit without UTF8=ACCEPT, long) becomes a literal; a NUL is
 * refused. The output is a list of chunks: after a synchronizing literal
 * announcement the sender waits for "+" before sending the next chunk. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"

struct builder {
	const struct imap_command_options *opts;
	size_t max_line;
	GArray *chunks;   /* struct imap_command_chunk */
	GByteArray *cur;  /* bytes of the chunk being built */
	size_t seg_len;   /* bytes of the current line segment */
	GString *log;
	GError **error;
};

static const struct imap_command_options default_options = {
	.literal_mode = IMAP_LITERAL_SYNC,
};

void
imap_tag_counter_init(struct imap_tag_counter *counter, const char *prefix)
{
	size_t n = 0;

	for (const char *p = prefix; p != NULL && *p != '\0' && n < sizeof(counter->prefix) - 1; p++) {
		if (g_ascii_isalpha(*p))
			counter->prefix[n++] = *p;
	}
	if (n == 0)
		counter->prefix[n++] = 't';
	counter->prefix[n] = '\0';
	counter->next = 1;
}

void
imap_command_free(struct imap_command **cmd_p)
{
	struct imap_command *cmd = *cmd_p;

	if (cmd == NULL)
		return;
	for (size_t i = 0; i < cmd->n_chunks; i++)
		g_bytes_unref(cmd->chunks[i].data);
	g_free(cmd->chunks);
	g_free(cmd->tag);
	g_free(cmd->log_line);
	g_free(cmd);
	*cmd_p = NULL;
}

/* ---- character classes ---------------------------------------------------- */

/* ATOM-CHAR (RFC 9051), and "]" refused too so that an atom is never
 * mistaken for the end of a section. */
static bool
is_atom_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\]", ch) == NULL;
}

static bool
is_atom(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_atom_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

enum quoting {
	QUOTE_ATOM,
	QUOTE_QUOTED,
	QUOTE_LITERAL,
};

/* How a string must be sent. -1 when it contains NUL. */
static int
classify(const char *s, size_t len, bool utf8_ok, bool allow_atom, enum quoting *q_r)
{
	bool eightbit = false, ctl = false;

	if (memchr(s, '\0', len) != NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x80)
			eightbit = true;
		else if (ch < 0x20 || ch == 0x7f)
			ctl = true;
	}
	if (ctl || len > IMAP_COMMAND_QUOTED_MAX ||
	    (eightbit && !(utf8_ok && g_utf8_validate_len(s, len, NULL))))
		*q_r = QUOTE_LITERAL;
	else if (allow_atom && is_atom(s, len) && g_ascii_strcasecmp(s, "NIL") != 0)
		*q_r = QUOTE_ATOM;
	else
		*q_r = QUOTE_QUOTED;
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static int
emit(struct builder *b, const char *s, size_t len, bool to_log)
{
	if (len > b->max_line - b->seg_len)
		return imap_fail(b->error, IMAP_ERROR_INVALID,
				 ngettext("IMAP command longer than %zu byte",
					  "IMAP command longer than %zu bytes", b->max_line),
				 b->max_line);
	g_byte_array_append(b->cur, (const guint8 *)s, (guint)len);
	b->seg_len += len;
	if (to_log)
		g_string_append_len(b->log, s, (gssize)len);
	return 0;
}

static void
end_chunk(struct builder *b, bool wait)
{
	struct imap_command_chunk chunk;

	chunk.data = g_byte_array_free_to_bytes(b->cur);
	chunk.wait_continuation = wait;
	g_array_append_val(b->chunks, chunk);
	b->cur = g_byte_array_new();
}

static int
emit_literal(struct builder *b, const void *data, size_t len, bool literal8, bool sensitive)
{
	bool nonsync = b->opts->literal_mode == IMAP_LITERAL_PLUS ||
		       (b->opts->literal_mode == IMAP_LITERAL_MINUS && len <= IMAP_LITERAL_MINUS_MAX);
	char head[48];
	int n;

	n = g_snprintf(head, sizeof(head), "%s{%zu%s}\r\n", literal8 ? "~" : "", len,
		       nonsync ? "+" : "");
	if (emit(b, head, (size_t)n - 2, !sensitive) < 0 || emit(b, "\r\n", 2, false) < 0)
		return -1;
	if (sensitive)
		g_string_append(b->log, "<redacted>");
	else
		g_string_append_printf(b->log, "<%zu bytes>", len);
	if (!nonsync)
		end_chunk(b, true);
	g_byte_array_append(b->cur, data, (guint)len);
	b->seg_len = 0;
	return 0;
}

static int
emit_quoted(struct builder *b, const char *s, size_t len, bool sensitive)
{
	GString *q = g_string_sized_new(len + 2);
	int ret;

	g_string_append_c(q, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			g_string_append_c(q, '\\');
		g_string_append_c(q, s[i]);
	}
	g_string_append_c(q, '"');
	ret = emit(b, q->str, q->len, !sensitive);
	if (sensitive)
		g_string_append(b->log, "<redacted>");
	g_string_free(q, TRUE);
	return ret;
}

/* %s %S %P %r: atom, quoted or literal. */
static int
emit_string(struct builder *b, const char *s, bool allow_atom, bool sensitive)
{
	size_t len = s != NULL ? strlen(s) : 0;
	enum quoting q;

	if (s == NULL)
		return imap_fail(b->error, IMAP_ERROR_INVALID, _("missing IMAP command argument"));
	if (classify(s, len, b->opts->utf8_accept, allow_atom, &q) < 0)
		return imap_fail(b->error, IMAP_ERROR_INVALID,
				 _("a NUL byte cannot be sent in an IMAP string"));
	if (q == QUOTE_LITERAL)
		return emit_literal(b, s, len, false, sensitive);
	if (q == QUOTE_QUOTED)
		return emit_quoted(b, s, len, sensitive);
	if (sensitive) {
		if (emit(b, s, len, false) < 0)
			return -1;
		g_string_append(b->log, "<redacted>");
		return 0;
	}
	return emit(b, s, len, true);
}

static int
emit_mailbox(struct builder *b, const char *name)
{
	char *encoded;
	int ret;

	if (name == NULL)
		return imap_fail(b->error, IMAP_ERROR_INVALID, _("missing IMAP command argument"));
	if (g_ascii_strcasecmp(name, "INBOX") == 0)
		return emit(b, "INBOX", 5, true);
	if (b->opts->utf8_accept) {
		if (!g_utf8_validate(name, -1, NULL))
			return imap_fail(b->error, IMAP_ERROR_INVALID,
					 _("mailbox name is not valid UTF-8"));
		return emit_string(b, name, true, false);
	}
	encoded = imap_mutf7_encode(name, -1, b->error);
	if (encoded == NULL)
		return -1;
	ret = emit_string(b, encoded, true, false);
	g_free(encoded);
	return ret;
}

static int
emit_atom(struct builder *b, const char *s, bool flag)
{
	const char *atom = s;

	if (s != NULL && flag && s[0] == '\\')
		atom = s + 1;
	if (s == NULL || !is_atom(atom, strlen(atom)))
		return imap_fail(b->error, IMAP_ERROR_INVALID, _("\"%s\" is not a valid IMAP %s"),
				 s != NULL ? s : "", flag ? _("flag") : _("atom"));
	return emit(b, s, strlen(s), true);
}

static int
emit_set(struct builder *b, const struct imap_seqset *set)
{
	char *s;
	int ret;

	if (set == NULL || set->n_ranges == 0)
		return imap_fail(b->error, IMAP_ERROR_INVALID, _("empty message set"));
	s = imap_seqset_format(set);
	ret = emit(b, s, strlen(s), true);
	g_free(s);
	return ret;
}

static int
emit_data(struct builder *b, const void *data, size_t len)
{
	bool literal8 = data != NULL && memchr(data, '\0', len) != NULL;

	if (data == NULL && len > 0)
		return imap_fail(b->error, IMAP_ERROR_INVALID, _("missing IMAP command argument"));
	if (literal8 && !b->opts->binary)
		return imap_fail(b->error, IMAP_ERROR_INVALID,
				 _("message data with NUL bytes needs the server's BINARY extension"));
	return emit_literal(b, data != NULL ? data : "", len, literal8, false);
}

static int
emit_number(struct builder *b, uint64_t v)
{
	char s[24];
	int n = g_snprintf(s, sizeof(s), "%" G_GUINT64_FORMAT, v);

	return emit(b, s, (size_t)n, true);
}

/* One directive; *ap advanced. */
static int
directive(struct builder *b, char d, va_list *ap)
{
	switch (d) {
	case 'a': return emit_atom(b, va_arg(*ap, const char *), false);
	case 'f': return emit_atom(b, va_arg(*ap, const char *), true);
	case 's': return emit_string(b, va_arg(*ap, const char *), true, false);
	case 'S': return emit_string(b, va_arg(*ap, const char *), false, false);
	case 'P': return emit_string(b, va_arg(*ap, const char *), true, true);
	case 'r': return emit_string(b, va_arg(*ap, const char *), true, false);
	case 'm': return emit_mailbox(b, va_arg(*ap, const char *));
	case 'q': return emit_set(b, va_arg(*ap, const struct imap_seqset *));
	case 'u': return emit_number(b, va_arg(*ap, unsigned int));
	case 'U': return emit_number(b, va_arg(*ap, uint64_t));
	case '%': return emit(b, "%", 1, true);
	case 'L': {
		const void *data = va_arg(*ap, const void *);
		size_t len = va_arg(*ap, size_t);

		return emit_data(b, data, len);
	}
	default:
		return imap_fail(b->error, IMAP_ERROR_INVALID,
				 "imap_command_new: unknown directive %%%c", d);
	}
}

static int
expand(struct builder *b, const char *fmt, va_list *ap)
{
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p == '%') {
			if (p[1] == '\0')
				return imap_fail(b->error, IMAP_ERROR_INVALID,
						 "imap_command_new: %% at the end of the format");
			if (directive(b, *++p, ap) < 0)
				return -1;
			continue;
		}
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return imap_fail(b->error, IMAP_ERROR_INVALID,
					 "imap_command_new: control or 8-bit byte in the format");
		if (emit(b, p, 1, true) < 0)
			return -1;
	}
	return 0;
}

struct imap_command *
imap_command_newv(struct imap_tag_counter *counter, const struct imap_command_options *options,
		  GError **error, const char *fmt, va_list ap)
{
	struct builder b = {0};
	struct imap_command *cmd = NULL;
	char *tag = g_strdup_printf("%s%" G_GUINT64_FORMAT, counter->prefix, counter->next);
	va_list ap2;
	int ret;

	b.opts = options != NULL ? options : &default_options;
	b.max_line = b.opts->max_line != 0 ? b.opts->max_line : IMAP_COMMAND_DEFAULT_MAX_LINE;
	b.chunks = g_array_new(FALSE, TRUE, sizeof(struct imap_command_chunk));
	b.cur = g_byte_array_new();
	b.log = g_string_new(NULL);
	b.error = error;
	va_copy(ap2, ap);
	ret = emit(&b, tag, strlen(tag), true);
	if (ret == 0)
		ret = emit(&b, " ", 1, true);
	if (ret == 0)
		ret = expand(&b, fmt, &ap2);
	if (ret == 0)
		ret = emit(&b, "\r\n", 2, false);
	va_end(ap2);
	if (ret < 0)
		goto out;
	end_chunk(&b, false);
	cmd = g_new0(struct imap_command, 1);
	cmd->tag = g_steal_pointer(&tag);
	cmd->n_chunks = b.chunks->len;
	cmd->chunks = (struct imap_command_chunk *)(void *)g_array_free(b.chunks, FALSE);
	b.chunks = NULL;
	cmd->log_line = g_string_free(b.log, FALSE);
	b.log = NULL;
	counter->next++;
out:
	if (b.chunks != NULL) {
		for (guint i = 0; i < b.chunks->len; i++)
			g_bytes_unref(g_array_index(b.chunks, struct imap_command_chunk, i).data);
		g_array_free(b.chunks, TRUE);
	}
	g_byte_array_unref(b.cur);
	if (b.log != NULL)
		g_string_free(b.log, TRUE);
	g_free(tag);
	return cmd;
}

struct imap_command *
imap_command_new(struct imap_tag_counter *counter, const struct imap_command_options *options,
		 GError **error, const char *fmt, ...)
{
	struct imap_command *cmd;
	va_list ap;

	va_start(ap, fmt);
	cmd = imap_command_newv(counter, options, error, fmt, ap);
	va_end(ap);
	return cmd;
}

char *
imap_quote_astring(const char *s, GError **error)
{
	size_t len = strlen(s);
	enum quoting q;
	GString *out;

	if (classify(s, len, false, true, &q) < 0 || q == QUOTE_LITERAL) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    _("string cannot be sent without a literal"));
		return NULL;
	}
	if (q == QUOTE_ATOM)
		return g_strdup(s);
	out = g_string_new("\"");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, s[i]);
	}
	g_string_append_c(out, '"');
	return g_string_free(out, FALSE);
}

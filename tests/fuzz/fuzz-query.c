/* tern — libFuzzer target for the search query language: parse, turn into
 * IMAP tokens, check their shape, and match against a fixed summary. */
#include "config.h"

#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/flags.h"
#include "core/model/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parentheses balance and strings carry no control characters. */
static void
check_tokens(const GPtrArray *tokens)
{
	int depth = 0;

	if (tokens->len == 0)
		abort();
	for (guint i = 0; i < tokens->len; i++) {
		const struct query_token *t = tokens->pdata[i];

		if (t->type == QUERY_TOK_OPEN)
			depth++;
		if (t->type == QUERY_TOK_CLOSE && --depth < 0)
			abort();
		if (t->text == NULL || !g_utf8_validate(t->text, -1, NULL))
			abort();
		for (const char *c = t->text; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
		if (t->type == QUERY_TOK_STRING && t->text[0] == '\0')
			abort();
	}
	if (depth != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct query_summary summary = {
		.from = "Alice <alice@example.com>",
		.to = "bob@example.com",
		.subject = "Q3 report",
		.internaldate = 1704448800,
		.size = 2048,
		.flags = FLAG_SEEN,
	};
	char *text = g_strndup((const char *)data, size);
	struct query *q = NULL;
	GError *error = NULL;

	if (query_parse(text, &q, &error) == 0) {
		GPtrArray *tokens = query_to_imap(q);
		char *line = query_tokens_format(tokens);

		check_tokens(tokens);
		(void)query_needs_utf8(q);
		(void)query_match(q, &summary);
		g_free(line);
		g_ptr_array_unref(tokens);
		query_free(&q);
	} else if (error == NULL || !g_str_has_prefix(error->message, "column ") ||
		   q != NULL) {
		if (strlen(text) <= QUERY_MAX_LEN)
			abort();
	}
	g_clear_error(&error);
	g_free(text);
	return 0;
}

/* tern — find the line of every group and key of the config file.
 *
 * GKeyFile reads the values but reports no line numbers, so the text is
 * scanned here with GKeyFile's own rules to say where things are and to
 * report syntax errors with their line. */
#include "config.h"

#include "core/common.h"

#include <string.h>

#include "core/config/config-private.h"

static void
entry_free(gpointer p)
{
	struct config_entry *e = p;

	g_free(e->key);
	g_free(e);
}

static void
group_free(gpointer p)
{
	struct config_group *g = p;

	g_free(g->name);
	g_ptr_array_unref(g->entries);
	g_free(g);
}

void
config_scan_free(struct config_scan **scan)
{
	if (*scan == NULL)
		return;
	g_ptr_array_unref((*scan)->groups);
	g_free(*scan);
	*scan = NULL;
}

static struct config_group *
scan_find_group(struct config_scan *scan, const char *name)
{
	for (guint i = 0; i < scan->groups->len; i++) {
		struct config_group *g = scan->groups->pdata[i];

		if (strcmp(g->name, name) == 0)
			return g;
	}
	return NULL;
}

static bool
has_control(const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* "[name]" (line already stripped of leading blanks and the final CR). */
static int
scan_group_line(struct config_scan *scan, const char *s, gsize len, int lineno,
		struct config_group **cur_r, char **msg_r)
{
	struct config_group *g;
	char *name;

	while (len > 0 && g_ascii_isspace(s[len - 1]))
		len--;
	if (len < 2 || s[len - 1] != ']') {
		*msg_r = g_strdup(_("a group header must end with ']'"));
		return -1;
	}
	s++;
	len -= 2;
	if (len == 0 || memchr(s, '[', len) != NULL || memchr(s, ']', len) != NULL ||
	    has_control(s, len)) {
		*msg_r = g_strdup(_("invalid group name"));
		return -1;
	}
	name = g_strndup(s, len);
	g = scan_find_group(scan, name);
	if (g == NULL) {
		g = g_new0(struct config_group, 1);
		g->name = name;
		g->line = lineno;
		g->entries = g_ptr_array_new_with_free_func(entry_free);
		g_ptr_array_add(scan->groups, g);
	} else {
		g_free(name);
	}
	*cur_r = g;
	return 0;
}

/* "key = value". */
static int
scan_key_line(struct config_group *cur, const char *s, gsize len, int lineno, char **msg_r)
{
	const char *eq = memchr(s, '=', len);
	gsize klen;
	char *key;

	if (eq == NULL) {
		*msg_r = g_strdup(_("expected 'key = value', a [group] or a # comment"));
		return -1;
	}
	klen = (gsize)(eq - s);
	while (klen > 0 && g_ascii_isspace(s[klen - 1]))
		klen--;
	if (klen == 0) {
		*msg_r = g_strdup(_("missing key name before '='"));
		return -1;
	}
	key = g_strndup(s, klen);
	for (gsize i = 0; i < klen; i++) {
		if (!g_ascii_isalnum(key[i]) && key[i] != '_' && key[i] != '-' && key[i] != '.') {
			*msg_r = g_strdup_printf(_("invalid key name '%s'"), key);
			g_free(key);
			return -1;
		}
	}
	if (cur == NULL) {
		*msg_r = g_strdup_printf(_("key '%s' is outside any [group]"), key);
		g_free(key);
		return -1;
	}
	for (guint i = 0; i < cur->entries->len; i++) {
		struct config_entry *e = cur->entries->pdata[i];

		if (strcmp(e->key, key) == 0) {
			*msg_r = g_strdup_printf(_("'%s' is already set on line %d"), key,
						 e->line);
			g_free(key);
			return -1;
		}
	}
	struct config_entry *e = g_new0(struct config_entry, 1);
	e->key = key;
	e->line = lineno;
	g_ptr_array_add(cur->entries, e);
	return 0;
}

int
config_scan(const char *data, gsize len, struct config_scan **scan_r, int *line_r, char **msg_r)
{
	struct config_scan *scan = g_new0(struct config_scan, 1);
	struct config_group *cur = NULL;
	const char *p = data, *end = data + len;
	int lineno = 0;

	scan->groups = g_ptr_array_new_with_free_func(group_free);
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *s = p;
		gsize n;

		lineno++;
		p = nl != NULL ? nl + 1 : end;
		if (!g_utf8_validate(s, eol - s, NULL)) {
			*msg_r = g_strdup(_("invalid UTF-8 (or a NUL byte)"));
			goto fail;
		}
		if (eol > s && eol[-1] == '\r')
			eol--;
		while (s < eol && g_ascii_isspace(*s))
			s++;
		n = (gsize)(eol - s);
		if (n == 0 || *s == '#')
			continue;
		if (*s == '[') {
			if (scan_group_line(scan, s, n, lineno, &cur, msg_r) < 0)
				goto fail;
		} else if (scan_key_line(cur, s, n, lineno, msg_r) < 0) {
			goto fail;
		}
	}
	*scan_r = scan;
	return 0;
fail:
	*line_r = lineno;
	config_scan_free(&scan);
	return -1;
}

/* tern — mime/: HTML to readable text (libxml2's HTML parser, a tree walk), and
 * the optional external renderer from a mailcap entry. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "mime/mime-private.h"

/* Longest line prefix (quote marks, list indents) in bytes: deeper nesting is
 * not indented further, so that a hostile nest cannot multiply the output. */
#define HTML_MAX_PREFIX 64
/* Most links numbered in one message; later ones are left unnumbered. */
#define HTML_MAX_LINKS 1000
/* Longest mailcap file read. */
#define MAILCAP_MAX_SIZE (1024 * 1024)

struct html_ctx {
	GString *out;
	GString *prefix;      /* written at the start of every line: "> ", list indent */
	unsigned nl;          /* line ends owed before the next text */
	gsize blank_prefix;   /* prefix bytes on owed blank lines: what the lines
				 before and after have in common */
	unsigned in_item;     /* inside <li>: nested lists are not set apart */
	bool started;         /* some text has been written */
	bool space;           /* a collapsed space is owed before the next text */
	unsigned pre;         /* inside <pre> */
	bool pre_start;       /* no text yet in this <pre>: a first LF is ignored */
	char bullet[24];      /* pending list marker for the next line */
	gsize bullet_prefix;  /* the prefix length to write before the bullet */
	bool ordered;         /* the innermost list is <ol> */
	long counter;         /* its next number */
	GPtrArray *links;     /* char *: URLs in order */
	GHashTable *link_ids; /* URL → number (GUINT_TO_POINTER) */
};

enum html_kind { H_INLINE, H_SKIP, H_BLOCK1, H_BLOCK2 };

struct html_tag {
	const char *name;
	enum html_kind kind;
};

static const struct html_tag html_tags[] = {
	{ "script", H_SKIP },     { "style", H_SKIP },     { "head", H_SKIP },
	{ "title", H_SKIP },      { "template", H_SKIP },  { "object", H_SKIP },
	{ "embed", H_SKIP },      { "applet", H_SKIP },    { "iframe", H_SKIP },
	{ "frame", H_SKIP },      { "svg", H_SKIP },       { "math", H_SKIP },
	{ "select", H_SKIP },     { "datalist", H_SKIP },  { "p", H_BLOCK2 },
	{ "ul", H_BLOCK2 },       { "ol", H_BLOCK2 },      { "dl", H_BLOCK2 },
	{ "table", H_BLOCK2 },    { "blockquote", H_BLOCK2 }, { "pre", H_BLOCK2 },
	{ "h1", H_BLOCK2 },       { "h2", H_BLOCK2 },      { "h3", H_BLOCK2 },
	{ "h4", H_BLOCK2 },       { "h5", H_BLOCK2 },      { "h6", H_BLOCK2 },
	{ "hr", H_BLOCK2 },       { "address", H_BLOCK2 }, { "figure", H_BLOCK2 },
	{ "fieldset", H_BLOCK2 }, { "form", H_BLOCK1 },    { "div", H_BLOCK1 },
	{ "li", H_BLOCK1 },       { "tr", H_BLOCK1 },      { "dt", H_BLOCK1 },
	{ "dd", H_BLOCK1 },       { "section", H_BLOCK1 }, { "article", H_BLOCK1 },
	{ "header", H_BLOCK1 },   { "footer", H_BLOCK1 },  { "nav", H_BLOCK1 },
	{ "main", H_BLOCK1 },     { "aside", H_BLOCK1 },   { "center", H_BLOCK1 },
	{ "caption", H_BLOCK1 },  { "details", H_BLOCK1 }, { "summary", H_BLOCK1 },
	{ "figcaption", H_BLOCK1 }, { "legend", H_BLOCK1 }, { "td", H_BLOCK1 },
	{ "th", H_BLOCK1 },       { "br", H_BLOCK1 },      { "tbody", H_INLINE },
};

static enum html_kind
tag_kind(const xmlNode *n)
{
	const char *name = (const char *)n->name;

	for (size_t i = 0; i < TERN_ARRAY_LEN(html_tags); i++)
		if (g_ascii_strcasecmp(name, html_tags[i].name) == 0)
			return html_tags[i].kind;
	return H_INLINE;
}

static bool
is_tag(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

/* ---- Output ---- */

/* Asks for n line ends (1 = a new line, 2 = a blank line) before the next text. */
static void
html_break(struct html_ctx *c, unsigned n)
{
	if (!c->started)
		return;
	if (c->nl == 0)
		c->blank_prefix = c->prefix->len;
	if (c->nl < n)
		c->nl = n;
	c->space = false;
}

/* Ends a blockquote or list indent: back to the first saved bytes. */
static void
prefix_pop(struct html_ctx *c, gsize saved)
{
	g_string_truncate(c->prefix, saved);
	if (c->blank_prefix > saved)
		c->blank_prefix = saved;
}

static void
append_prefix_trimmed(struct html_ctx *c, gsize len)
{
	gsize n = len;

	while (n > 0 && c->prefix->str[n - 1] == ' ')
		n--;
	g_string_append_len(c->out, c->prefix->str, (gssize)n);
}

/* Writes text (no LF) where it belongs: on a new line after owed line ends,
 * after the prefix and a pending bullet, or after an owed space. */
static void
html_emit(struct html_ctx *c, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (c->nl > 0 || !c->started) {
		if (c->started) {
			for (unsigned k = 0; k < c->nl; k++) {
				g_string_append_c(c->out, '\n');
				if (k + 1 < c->nl)
					append_prefix_trimmed(c, MIN(c->blank_prefix,
								     c->prefix->len));
			}
		}
		if (c->bullet[0] != '\0') {
			g_string_append_len(c->out, c->prefix->str, (gssize)c->bullet_prefix);
			g_string_append(c->out, c->bullet);
			c->bullet[0] = '\0';
		} else {
			g_string_append_len(c->out, c->prefix->str, (gssize)c->prefix->len);
		}
		c->nl = 0;
		c->started = true;
	} else if (c->space) {
		g_string_append_c(c->out, ' ');
	}
	c->space = false;
	g_string_append_len(c->out, s, (gssize)n);
}

static bool
is_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Text of a text node: NBSP becomes a space, invisible filler (zero-width
 * space/non-joiner, BOM, soft hyphen, CGJ) is dropped. */
static GString *
clean_text(const char *s)
{
	GString *t = g_string_new(NULL);

	for (const char *p = s; *p;) {
		const char *next = g_utf8_next_char(p);
		gunichar u = g_utf8_get_char_validated(p, -1);

		if (u == (gunichar)-1 || u == (gunichar)-2) {
			g_string_append(t, "\xEF\xBF\xBD");
			p++;
			continue;
		}
		if (u == 0xA0)
			g_string_append_c(t, ' ');
		else if (u == 0x200B || u == 0x200C || u == 0xFEFF || u == 0xAD || u == 0x34F)
			;
		else
			g_string_append_len(t, p, next - p);
		p = next;
	}
	return t;
}

static void
html_text(struct html_ctx *c, const char *content)
{
	GString *t;
	const char *p;

	if (content == NULL)
		return;
	t = clean_text(content);
	if (c->pre > 0) {
		p = t->str;
		if (c->pre_start && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (c->pre_start && p[0] == '\n')
			p++;
		c->pre_start = false;
		for (;;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			html_emit(c, p, n);
			if (nl == NULL)
				break;
			if (c->started)
				c->nl++;
			p = nl + 1;
		}
		g_string_free(t, TRUE);
		return;
	}
	for (p = t->str; *p;) {
		const char *w = p;

		if (is_html_space(*p)) {
			while (*p && is_html_space(*p))
				p++;
			if (c->started && c->nl == 0)
				c->space = true;
			continue;
		}
		while (*p && !is_html_space(*p))
			p++;
		html_emit(c, w, (size_t)(p - w));
	}
	g_string_free(t, TRUE);
}

/* ---- Tree walk ---- */

static void walk(struct html_ctx *c, xmlNode *n, unsigned depth);

static void
walk_children(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	for (xmlNode *k = n->children; k != NULL; k = k->next)
		walk(c, k, depth + 1);
}

/* libxml2, opened when tern first renders HTML (tern_lib_load()). */
static struct xml_api {
	htmlDocPtr (*read_memory)(const char *buffer, int size, const char *url,
				  const char *encoding, int options);
	void (*free_doc)(xmlDocPtr doc);
	xmlChar *(*get_prop)(const xmlNode *node, const xmlChar *name);
	xmlFreeFunc *free; /* the variable xmlFree */
} xml_api;

/* NULL, or why libxml2 cannot be used (kept for the process). */
static gpointer
xml_load(gpointer unused)
{
	static const struct tern_lib_symbol syms[] = {
		{ "htmlReadMemory", offsetof(struct xml_api, read_memory) },
		{ "xmlFreeDoc", offsetof(struct xml_api, free_doc) },
		{ "xmlGetProp", offsetof(struct xml_api, get_prop) },
		{ "xmlFree", offsetof(struct xml_api, free) },
	};
	char *error = NULL;

	if (tern_lib_load(TERN_LIBXML_SONAME, syms, TERN_ARRAY_LEN(syms), &xml_api, &error) < 0)
		return error;
	return NULL;
}

static void
xml_free(void *p)
{
	if (p != NULL)
		(*xml_api.free)(p);
}

static char *
attr(xmlNode *n, const char *name)
{
	return (char *)xml_api.get_prop(n, (const xmlChar *)name);
}

static void
html_link(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	char *href = attr(n, "href");
	gsize mark = c->out->len;
	gpointer id;
	char *h;

	walk_children(c, n, depth);
	if (href == NULL)
		return;
	h = g_strstrip(href);
	if (*h == '\0' || *h == '#' || g_ascii_strncasecmp(h, "javascript:", 11) == 0)
		goto out;
	/* a link whose text is its own address needs no number */
	while (mark < c->out->len && is_html_space(c->out->str[mark]))
		mark++;
	if (strcmp(c->out->str + mark, h) == 0 ||
	    (g_ascii_strncasecmp(h, "mailto:", 7) == 0 && strcmp(c->out->str + mark, h + 7) == 0))
		goto out;
	id = g_hash_table_lookup(c->link_ids, h);
	if (id == NULL) {
		if (c->links->len >= HTML_MAX_LINKS)
			goto out;
		g_ptr_array_add(c->links, g_strdup(h));
		id = GUINT_TO_POINTER(c->links->len);
		g_hash_table_insert(c->link_ids, g_strdup(h), id);
	}
	{
		char ref[32];
		int len = g_snprintf(ref, sizeof ref, "[%u]", GPOINTER_TO_UINT(id));

		if (c->started && c->nl == 0 && !c->space)
			g_string_append(c->out, ref); /* glued to the link text */
		else
			html_emit(c, ref, (size_t)len);
	}
out:
	xml_free(href);
}

static void
html_list_item(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	gsize saved = c->prefix->len;
	size_t w;

	html_break(c, 1);
	if (c->ordered)
		g_snprintf(c->bullet, sizeof c->bullet, "%ld. ", c->counter++);
	else
		g_strlcpy(c->bullet, "* ", sizeof c->bullet);
	c->bullet_prefix = saved;
	w = strlen(c->bullet);
	for (size_t i = 0; i < w && c->prefix->len < HTML_MAX_PREFIX; i++)
		g_string_append_c(c->prefix, ' ');
	c->in_item++;
	walk_children(c, n, depth);
	c->in_item--;
	prefix_pop(c, saved);
	c->bullet[0] = '\0';
	html_break(c, 1);
}

static void
html_list(struct html_ctx *c, xmlNode *n, unsigned depth, bool ordered)
{
	bool saved_ordered = c->ordered;
	long saved_counter = c->counter;
	char *start = ordered ? attr(n, "start") : NULL;
	gsize saved_prefix = c->prefix->len;

	c->ordered = ordered;
	c->counter = 1;
	if (start != NULL) {
		char *end;
		long v = strtol(start, &end, 10);

		if (end != start && v >= 0 && v < 1000000)
			c->counter = v;
		xml_free(start);
	}
	html_break(c, c->in_item ? 1 : 2);
	walk_children(c, n, depth);
	c->ordered = saved_ordered;
	c->counter = saved_counter;
	prefix_pop(c, saved_prefix);
	html_break(c, c->in_item ? 1 : 2);
}

/* True when the subtree holds an element that makes a line break (then its
 * table row is laid out as blocks rather than "a | b | c"). */
static bool
has_block(xmlNode *n, unsigned depth)
{
	if (depth > MIME_MAX_HTML_DEPTH)
		return false;
	for (xmlNode *k = n->children; k != NULL; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (tag_kind(k) == H_BLOCK1 || tag_kind(k) == H_BLOCK2)
			return true;
		if (has_block(k, depth + 1))
			return true;
	}
	return false;
}

static bool
has_text(xmlNode *n, unsigned depth)
{
	if (depth > MIME_MAX_HTML_DEPTH)
		return false;
	for (xmlNode *k = n->children; k != NULL; k = k->next) {
		if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
			GString *t = clean_text((const char *)k->content);
			bool any = false;

			for (gsize i = 0; i < t->len && !any; i++)
				any = !is_html_space(t->str[i]);
			g_string_free(t, TRUE);
			if (any)
				return true;
		} else if (k->type == XML_ELEMENT_NODE && tag_kind(k) != H_SKIP) {
			if (is_tag(k, "img")) {
				char *alt = attr(k, "alt");
				bool any = alt && *g_strstrip(alt);

				xml_free(alt);
				if (any)
					return true;
			}
			if (has_text(k, depth + 1))
				return true;
		}
	}
	return false;
}

static bool
is_cell(xmlNode *n)
{
	return is_tag(n, "td") || is_tag(n, "th");
}

/* A table row: simple cells on one line separated by " | ", or, when a cell
 * holds blocks (layout tables), each cell as a block of its own. */
static void
html_row(struct html_ctx *c, xmlNode *row, unsigned depth)
{
	bool simple = true;
	unsigned written = 0;

	for (xmlNode *k = row->children; k != NULL && simple; k = k->next)
		if (is_cell(k) && has_block(k, depth + 1))
			simple = false;
	html_break(c, 1);
	for (xmlNode *k = row->children; k != NULL; k = k->next) {
		if (!is_cell(k)) {
			if (k->type == XML_ELEMENT_NODE)
				walk(c, k, depth + 1);
			continue;
		}
		if (!simple) {
			html_break(c, 1);
			walk_children(c, k, depth + 1);
			html_break(c, 1);
			continue;
		}
		if (!has_text(k, depth + 1))
			continue;
		if (written++ > 0 && c->started && c->nl == 0) {
			g_string_append(c->out, " |");
			c->space = true;
		}
		walk_children(c, k, depth + 1);
	}
	html_break(c, 1);
}

static void
html_quote(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	gsize saved = c->prefix->len;

	html_break(c, 2);
	if (c->prefix->len < HTML_MAX_PREFIX)
		g_string_append(c->prefix, "> ");
	walk_children(c, n, depth);
	html_break(c, 2);
	/* the blank line after the quote is outside it */
	prefix_pop(c, saved);
}

static void
html_heading(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	int level = n->name[1] - '0';
	char marks[8];

	html_break(c, 2);
	if (level < 1 || level > 6)
		level = 1;
	memset(marks, '#', (size_t)level);
	html_emit(c, marks, (size_t)level);
	c->space = true;
	walk_children(c, n, depth);
	html_break(c, 2);
}

static void
html_image(struct html_ctx *c, xmlNode *n)
{
	char *alt = attr(n, "alt");
	char *t;

	if (alt == NULL)
		return;
	t = g_strstrip(alt);
	if (*t != '\0') {
		char *s = g_strdup_printf("[%s]", t);
		GString *clean = clean_text(s);

		html_emit(c, clean->str, clean->len);
		g_string_free(clean, TRUE);
		g_free(s);
	}
	xml_free(alt);
}

static void
html_element(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	enum html_kind kind = tag_kind(n);

	if (kind == H_SKIP)
		return;
	if (is_tag(n, "br")) {
		if (c->started)
			c->nl = c->nl < 2 ? c->nl + 1 : 2;
		c->space = false;
	} else if (is_tag(n, "hr")) {
		html_break(c, 2);
		html_emit(c, "----------", 10);
		html_break(c, 2);
	} else if (is_tag(n, "a")) {
		html_link(c, n, depth);
	} else if (is_tag(n, "img")) {
		html_image(c, n);
	} else if (is_tag(n, "li")) {
		html_list_item(c, n, depth);
	} else if (is_tag(n, "ul") || is_tag(n, "ol")) {
		html_list(c, n, depth, is_tag(n, "ol"));
	} else if (is_tag(n, "tr")) {
		html_row(c, n, depth);
	} else if (is_tag(n, "blockquote")) {
		html_quote(c, n, depth);
	} else if (g_ascii_tolower(n->name[0]) == 'h' && n->name[1] >= '1' && n->name[1] <= '6' &&
		   n->name[2] == '\0') {
		html_heading(c, n, depth);
	} else if (is_tag(n, "pre")) {
		html_break(c, 2);
		c->pre++;
		c->pre_start = true;
		walk_children(c, n, depth);
		c->pre--;
		html_break(c, 2);
	} else if (is_tag(n, "dd")) {
		gsize saved = c->prefix->len;

		html_break(c, 1);
		if (c->prefix->len < HTML_MAX_PREFIX)
			g_string_append(c->prefix, "    ");
		walk_children(c, n, depth);
		prefix_pop(c, saved);
		html_break(c, 1);
	} else {
		unsigned b = kind == H_BLOCK2 ? 2 : kind == H_BLOCK1 ? 1 : 0;

		if (b)
			html_break(c, b);
		walk_children(c, n, depth);
		if (b)
			html_break(c, b);
	}
}

static void
walk(struct html_ctx *c, xmlNode *n, unsigned depth)
{
	if (depth > MIME_MAX_HTML_DEPTH)
		return;
	switch (n->type) {
	case XML_ELEMENT_NODE:
		html_element(c, n, depth);
		break;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		html_text(c, (const char *)n->content);
		break;
	default:
		break;
	}
}

/* Renders html into text (LF-separated lines) and the list of link URLs
 * (transfer full, char *, g_free). */
static void
html_render(const char *html, size_t len, GString *text, GPtrArray *links)
{
	static GOnce once = G_ONCE_INIT;
	struct html_ctx c = { .out = text, .links = links };
	const char *error;
	htmlDocPtr doc;

	if (len > MIME_MAX_HTML_LEN)
		len = MIME_MAX_HTML_LEN;
	if (len == 0)
		return;
	error = g_once(&once, xml_load, NULL);
	if (error != NULL) {
		g_string_append_printf(text, _("[HTML not shown: %s]"), error);
		return;
	}
	doc = xml_api.read_memory(html, (int)len, NULL, "UTF-8",
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				     HTML_PARSE_RECOVER | HTML_PARSE_COMPACT);
	if (doc == NULL)
		return;
	c.prefix = g_string_new(NULL);
	c.link_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (xmlNode *n = doc->children; n != NULL; n = n->next)
		walk(&c, n, 0);
	g_hash_table_unref(c.link_ids);
	g_string_free(c.prefix, TRUE);
	xml_api.free_doc(doc);
}

char *
mime_html_to_text(const char *html, size_t len)
{
	GString *text = g_string_new(NULL);
	GPtrArray *links = g_ptr_array_new_with_free_func(g_free);

	html_render(html, len, text, links);
	if (links->len > 0)
		g_string_append(text, "\n");
	for (guint i = 0; i < links->len; i++)
		g_string_append_printf(text, "\n[%u] %s", i + 1, (char *)links->pdata[i]);
	g_ptr_array_unref(links);
	return g_string_free(text, FALSE);
}

void
mime_html_render_parts(const char *html, size_t len, GString *text, GPtrArray *links)
{
	html_render(html, len, text, links);
}

/* ---- External renderer ---- */

/* Replaces the mailcap % escapes in one argv word; sets *used_file_r when %s
 * appeared. */
static char *
expand_word(const char *word, const char *path, bool *used_file_r)
{
	GString *w = g_string_new(NULL);

	for (const char *p = word; *p; p++) {
		if (p[0] != '%') {
			g_string_append_c(w, *p);
		} else if (p[1] == 's') {
			g_string_append(w, path);
			*used_file_r = true;
			p++;
		} else if (p[1] == 't') {
			g_string_append(w, "text/html");
			p++;
		} else if (strncmp(p, "%{charset}", 10) == 0) {
			g_string_append(w, "utf-8");
			p += 9;
		} else if (p[1] == '%') {
			g_string_append_c(w, '%');
			p++;
		} else {
			g_string_append_c(w, '%');
		}
	}
	return g_string_free(w, FALSE);
}

/* Reads the child's stdout until EOF, the output cap or the time limit. */
static void
read_output(GSubprocess *proc, GString *out)
{
	GInputStream *in = g_subprocess_get_stdout_pipe(proc);
	int fd = g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(in));
	gint64 deadline = g_get_monotonic_time() + (gint64)MIME_RENDERER_TIMEOUT_S * G_USEC_PER_SEC;
	char buf[8192];

	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, (int)MIN(left, G_MAXINT));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n > MIME_MAX_RENDERER_OUTPUT) {
			g_string_append_len(out, buf, (gssize)(MIME_MAX_RENDERER_OUTPUT - out->len));
			break;
		}
		g_string_append_len(out, buf, n);
	}
	g_subprocess_force_exit(proc); /* harmless when it has exited */
	g_subprocess_wait(proc, NULL, NULL);
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			errno = e;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *
mime_html_external(const char *command, const char *html, size_t len, GError **error)
{
	char **argv = NULL, *path = NULL, *result = NULL;
	GSubprocessLauncher *launcher = NULL;
	GSubprocess *proc = NULL;
	bool used_file = false;
	GString *out;
	int argc = 0, fd;

	if (!g_shell_parse_argv(command, &argc, &argv, error))
		return NULL;
	fd = g_file_open_tmp("tern-html-XXXXXX.html", &path, error); /* mode 0600 */
	if (fd < 0)
		goto out;
	if (write_all(fd, html, len) < 0 || close(fd) < 0) {
		int e = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
			    g_strerror(e));
		goto out;
	}
	for (int i = 0; i < argc; i++) {
		char *w = expand_word(argv[i], path, &used_file);

		g_free(argv[i]);
		argv[i] = w;
	}
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	if (!used_file)
		g_subprocess_launcher_set_stdin_file_path(launcher, path);
	proc = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, error);
	if (proc == NULL)
		goto out;
	out = g_string_new(NULL);
	read_output(proc, out);
	if (out->len == 0 && !(g_subprocess_get_if_exited(proc) &&
			       g_subprocess_get_exit_status(proc) == 0)) {
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
			    _("the HTML renderer \"%s\" failed"), argv[0]);
		g_string_free(out, TRUE);
		goto out;
	}
	result = g_string_free(out, FALSE);
out:
	if (path != NULL) {
		unlink(path);
		g_free(path);
	}
	g_clear_object(&proc);
	g_clear_object(&launcher);
	g_strfreev(argv);
	return result;
}

/* ---- mailcap ---- */

/* Splits a mailcap entry at unescaped ';'; fields are trimmed. */
GPtrArray *
mime_mailcap_fields(const char *entry)
{
	GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
	GString *f = g_string_new(NULL);

	for (const char *p = entry;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			g_string_append_c(f, *++p);
			continue;
		}
		if (*p == ';' || *p == '\0') {
			g_ptr_array_add(fields, g_strstrip(g_strdup(f->str)));
			g_string_truncate(f, 0);
			if (*p == '\0')
				break;
			continue;
		}
		g_string_append_c(f, *p);
	}
	g_string_free(f, TRUE);
	return fields;
}

static bool
mailcap_type_matches(const char *type)
{
	return g_ascii_strcasecmp(type, "text/html") == 0 ||
	       g_ascii_strcasecmp(type, "text/*") == 0 || g_ascii_strcasecmp(type, "text") == 0;
}

static char *
mailcap_entry_command(const char *entry)
{
	GPtrArray *f = mime_mailcap_fields(entry);
	bool copious = false, terminal = false, test = false;
	char *cmd = NULL;

	if (f->len >= 2 && mailcap_type_matches(f->pdata[0])) {
		for (guint i = 2; i < f->len; i++) {
			const char *flag = f->pdata[i];

			copious |= g_ascii_strcasecmp(flag, "copiousoutput") == 0;
			terminal |= g_ascii_strcasecmp(flag, "needsterminal") == 0;
			test |= g_ascii_strncasecmp(flag, "test", 4) == 0;
		}
		if (copious && !terminal && !test && *(char *)f->pdata[1] != '\0')
			cmd = g_strdup(f->pdata[1]);
	}
	g_ptr_array_unref(f);
	return cmd;
}

char *
mime_mailcap_html_command(const char *path)
{
	char *contents = NULL, *cmd = NULL, **lines;
	gsize len = 0;
	GString *entry;

	if (!g_file_get_contents(path, &contents, &len, NULL))
		return NULL;
	if (len > MAILCAP_MAX_SIZE) {
		g_free(contents);
		return NULL;
	}
	lines = g_strsplit(contents, "\n", -1);
	entry = g_string_new(NULL);
	for (char **l = lines; *l != NULL && cmd == NULL; l++) {
		size_t n = strlen(*l);

		if (n > 0 && (*l)[n - 1] == '\\') { /* continued on the next line */
			g_string_append_len(entry, *l, (gssize)(n - 1));
			continue;
		}
		g_string_append(entry, *l);
		g_strstrip(entry->str);
		if (entry->str[0] != '\0' && entry->str[0] != '#')
			cmd = mailcap_entry_command(entry->str);
		g_string_truncate(entry, 0);
	}
	g_string_free(entry, TRUE);
	g_strfreev(lines);
	g_free(contents);
	return cmd;
}

static void
mailcap_entry_free(gpointer p)
{
	struct mime_mailcap_entry *e = p;

	g_free(e->command);
	g_free(e->test);
	g_free(e);
}

/* "image/png" matches "image/png", "image/ *" and "image". */
static bool
mailcap_type_is(const char *pattern, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t major = slash ? (size_t)(slash - type) : strlen(type);

	if (g_ascii_strcasecmp(pattern, type) == 0)
		return true;
	if (strlen(pattern) == major && g_ascii_strncasecmp(pattern, type, major) == 0)
		return true;
	return strlen(pattern) == major + 2 && g_ascii_strncasecmp(pattern, type, major) == 0 &&
	       pattern[major] == '/' && pattern[major + 1] == '*';
}

static void
mailcap_add(GPtrArray *out, const char *entry, const char *type)
{
	GPtrArray *f = mime_mailcap_fields(entry);
	struct mime_mailcap_entry *e;

	if (f->len < 2 || !mailcap_type_is(f->pdata[0], type) || *(char *)f->pdata[1] == '\0') {
		g_ptr_array_unref(f);
		return;
	}
	e = g_new0(struct mime_mailcap_entry, 1);
	e->command = g_strdup(f->pdata[1]);
	for (guint i = 2; i < f->len; i++) {
		const char *flag = f->pdata[i];

		e->copiousoutput |= g_ascii_strcasecmp(flag, "copiousoutput") == 0;
		e->needsterminal |= g_ascii_strcasecmp(flag, "needsterminal") == 0;
		if (g_ascii_strncasecmp(flag, "test", 4) == 0 && strchr(flag, '=') != NULL)
			e->test = g_strdup(g_strstrip(strchr(flag, '=') + 1));
	}
	g_ptr_array_add(out, e);
	g_ptr_array_unref(f);
}

GPtrArray *
mime_mailcap_entries(const char *path, const char *type)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(mailcap_entry_free);
	char *contents = NULL, **lines;
	gsize len = 0;
	GString *entry;

	if (!g_file_get_contents(path, &contents, &len, NULL))
		return out;
	if (len > MAILCAP_MAX_SIZE) {
		g_free(contents);
		return out;
	}
	lines = g_strsplit(contents, "\n", -1);
	entry = g_string_new(NULL);
	for (char **l = lines; *l != NULL; l++) {
		size_t n = strlen(*l);

		if (n > 0 && (*l)[n - 1] == '\\') {
			g_string_append_len(entry, *l, (gssize)(n - 1));
			continue;
		}
		g_string_append(entry, *l);
		g_strstrip(entry->str);
		if (entry->str[0] != '\0' && entry->str[0] != '#')
			mailcap_add(out, entry->str, type);
		g_string_truncate(entry, 0);
	}
	g_string_free(entry, TRUE);
	g_strfreev(lines);
	g_free(contents);
	return out;
}

/* tern — mime/: parsing a message, its attachment list, saving attachments. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/text/text.h"
#include "mime/mime-private.h"

/* Bytes kept after the last dot as the extension when a name is shortened. */
#define SAFE_NAME_MAX_EXT 16

/* Copies bytes[0..cut) without the dropped ranges (only for hostile input). */
static GByteArray *
copy_without(const char *bytes, const struct mime_prescan *ps)
{
	GByteArray *copy = g_byte_array_sized_new((guint)ps->cut);
	size_t pos = 0;

	for (guint i = 0; i < ps->drops->len; i++) {
		const struct mime_range *r = &g_array_index(ps->drops, struct mime_range, i);

		g_byte_array_append(copy, (const guint8 *)bytes + pos, (guint)(r->start - pos));
		pos = r->end;
	}
	g_byte_array_append(copy, (const guint8 *)bytes + pos, (guint)(ps->cut - pos));
	return copy;
}

static struct mime_message *
parse_borrowed(const char *bytes, size_t len, GBytes *ref)
{
	struct mime_message *msg = g_new0(struct mime_message, 1);
	struct mime_prescan ps;
	GMimeParser *parser;

	if (bytes == NULL)
		bytes = "", len = 0;
	msg->bytes = ref;
	if (len > G_MAXUINT) { /* GByteArray lengths are guint */
		len = G_MAXUINT;
		msg->truncated = true;
	}
	mime_prescan(bytes, len, &ps);
	msg->truncated |= ps.truncated;
	if (ps.drops->len > 0) {
		msg->copy = copy_without(bytes, &ps);
		msg->stream = g_mime_stream_mem_new_with_byte_array(msg->copy);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(msg->stream), FALSE);
	} else {
		/* A GByteArray that points into the caller's bytes: the stream
		 * never writes, never frees them (owner FALSE), and GMime's parts
		 * are substreams of it, so the message is never copied. */
		msg->wrapper = g_byte_array_new();
		msg->wrapper->data = (guint8 *)bytes;
		msg->wrapper->len = (guint)ps.cut;
		msg->stream = g_mime_stream_mem_new_with_byte_array(msg->wrapper);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(msg->stream), FALSE);
	}
	g_array_unref(ps.drops);
	msg->data = msg->copy ? (const char *)msg->copy->data : bytes;
	msg->data_len = msg->copy ? msg->copy->len : ps.cut;
	parser = g_mime_parser_new_with_stream(msg->stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg->message = g_mime_parser_construct_message(parser, mime_parser_options());
	g_object_unref(parser);
	return msg;
}

struct mime_message *
mime_message_parse(const char *bytes, size_t len)
{
	return parse_borrowed(bytes, len, NULL);
}

struct mime_message *
mime_message_parse_bytes(GBytes *bytes)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(bytes, &len);

	return parse_borrowed(data, len, g_bytes_ref(bytes));
}

static void
attachment_free(gpointer p)
{
	struct mime_attachment *a = p;

	g_free(a->content_type);
	g_free(a->filename);
	g_free(a->disposition);
	g_free(a);
}

void
mime_message_free(struct mime_message **msgp)
{
	struct mime_message *msg = *msgp;

	if (msg == NULL)
		return;
	g_clear_pointer(&msg->attachments, g_ptr_array_unref);
	g_clear_pointer(&msg->att_objects, g_ptr_array_unref);
	mime_crypto_clear(msg);
	g_clear_object(&msg->message);
	g_clear_object(&msg->stream);
	if (msg->wrapper != NULL) {
		/* Frees the array struct only: the data belongs to the caller. */
		msg->wrapper->data = NULL;
		msg->wrapper->len = 0;
		g_byte_array_unref(msg->wrapper);
	}
	g_clear_pointer(&msg->copy, g_byte_array_unref);
	g_clear_pointer(&msg->bytes, g_bytes_unref);
	g_free(msg);
	*msgp = NULL;
}

bool
mime_message_truncated(const struct mime_message *msg)
{
	return msg->truncated;
}

const char *
mime_object_raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) : NULL;
	const char *raw;

	if (h == NULL)
		return NULL;
	raw = g_mime_header_get_raw_value(h);
	return raw ? raw : g_mime_header_get_value(h);
}

/* ---- Part classification ---- */

char *
mime_object_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	char *lower = g_ascii_strdown(type, -1);
	char *clean = text_sanitize(lower, -1, TEXT_SANITIZE_ONE_LINE);

	g_free(type);
	g_free(lower);
	return clean;
}

bool
mime_part_is_displayable(GMimeObject *obj)
{
	static const char *const message_text[] = {
		"delivery-status",        "disposition-notification",
		"feedback-report",        "global-delivery-status",
		"global-disposition-notification", "global-headers",
	};
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	if (!GMIME_IS_PART(obj))
		return false;
	if (ct == NULL || g_mime_content_type_is_type(ct, "text", "*"))
		return true;
	for (size_t i = 0; i < TERN_ARRAY_LEN(message_text); i++)
		if (g_mime_content_type_is_type(ct, "message", message_text[i]))
			return true;
	return false;
}

static bool
has_filename(GMimeObject *obj)
{
	const char *name = g_mime_part_get_filename(GMIME_PART(obj));

	return name != NULL && *name != '\0';
}

/* A leaf part shown as body text: a text type, not marked as an attachment,
 * and not named unless explicitly inline. */
bool
mime_part_is_inline_text(GMimeObject *obj)
{
	const char *disp = g_mime_object_get_disposition(obj);

	if (!GMIME_IS_PART(obj) || !mime_part_is_displayable(obj))
		return false;
	if (disp != NULL && g_ascii_strcasecmp(disp, "attachment") == 0)
		return false;
	return !has_filename(obj) || (disp != NULL && g_ascii_strcasecmp(disp, "inline") == 0);
}

/* A leaf part in the attachment list: everything not shown as body text, and
 * named parts even when shown (so that they can be saved). */
bool
mime_part_is_attachment(GMimeObject *obj)
{
	if (!GMIME_IS_PART(obj))
		return false;
	return !mime_part_is_inline_text(obj) || has_filename(obj);
}

static bool
is_plain_or_html(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct != NULL && (g_mime_content_type_is_type(ct, "text", "plain") ||
			      g_mime_content_type_is_type(ct, "text", "html"));
}

/* ---- Decoded content ---- */

GByteArray *
mime_part_decoded(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	if (content != NULL)
		g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return bytes;
}

char *
mime_part_text(GMimePart *part, size_t *len_r)
{
	GByteArray *bytes = mime_part_decoded(part);
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
									 "charset");
	char *text = mime_charset_to_utf8(charset, (const char *)bytes->data, bytes->len, len_r);

	g_byte_array_unref(bytes);
	return text;
}

static guint64
object_size(GMimeObject *obj)
{
	GMimeStream *null = g_mime_stream_null_new();
	guint64 size;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner != NULL)
			g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, null);
	} else if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));

		if (content != NULL)
			g_mime_data_wrapper_write_to_stream(content, null);
	}
	size = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return size;
}

/* ---- The attachment list ---- */

static char *
message_part_name(GMimeObject *obj, unsigned index)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	const char *fn = g_mime_object_get_content_disposition_parameter(obj, "filename");
	const char *subject;
	char *decoded, *name, *safe;

	if (fn == NULL)
		fn = g_mime_object_get_content_type_parameter(obj, "name");
	if (fn != NULL && *fn != '\0')
		return mime_attachment_safe_name(fn, index);
	subject = inner ? mime_object_raw_header(GMIME_OBJECT(inner), "Subject") : NULL;
	if (subject == NULL || *subject == '\0')
		return g_strdup_printf("message-%u.eml", index);
	decoded = mime_header_decode(subject);
	name = g_strdup_printf("%.100s.eml", decoded);
	safe = mime_attachment_safe_name(name, index);
	g_free(decoded);
	g_free(name);
	return safe;
}

/* A second "report.pdf" in one message becomes "report-2.pdf" (N = its
 * index), so that saving them all never collides. */
static char *
unique_name(GHashTable *seen, char *name, unsigned index)
{
	const char *dot;
	char *alt, *safe;

	if (!g_hash_table_contains(seen, name))
		return name;
	dot = strrchr(name, '.');
	if (dot == NULL || dot == name)
		dot = name + strlen(name);
	alt = g_strdup_printf("%.*s-%u%s", (int)(dot - name), name, index, dot);
	safe = mime_attachment_safe_name(alt, index);
	g_free(alt);
	g_free(name);
	return safe;
}

/* A token of letters, digits and "-" (lower case), or NULL. */
static char *
disposition_of(GMimeObject *obj)
{
	const char *d = g_mime_object_get_disposition(obj);
	size_t n = 0;

	if (d == NULL)
		return NULL;
	while (n < 64 && (g_ascii_isalnum(d[n]) || d[n] == '-'))
		n++;
	return n > 0 ? g_ascii_strdown(d, (gssize)n) : NULL;
}

static void
add_attachment(struct mime_message *msg, GHashTable *seen, GMimeObject *obj,
	       unsigned msg_depth)
{
	struct mime_attachment *a = g_new0(struct mime_attachment, 1);
	char *name;

	a->index = msg->attachments->len + 1;
	a->content_type = mime_object_type(obj);
	if (GMIME_IS_MESSAGE_PART(obj))
		name = message_part_name(obj, a->index);
	else
		name = mime_attachment_safe_name(g_mime_part_get_filename(GMIME_PART(obj)),
						 a->index);
	a->filename = unique_name(seen, name, a->index);
	g_hash_table_add(seen, g_strdup(a->filename));
	a->size = object_size(obj);
	a->depth = msg_depth;
	a->disposition = disposition_of(obj);
	g_ptr_array_add(msg->attachments, a);
	g_ptr_array_add(msg->att_objects, obj);
}

struct collect {
	struct mime_message *msg;
	GHashTable *names; /* file names given so far */
	unsigned parts;
};

static void collect(struct collect *c, GMimeObject *obj, unsigned level, unsigned msg_depth,
		    bool force);

static void
collect_multipart(struct collect *c, GMimeMultipart *mp, unsigned level, unsigned msg_depth,
		  bool force)
{
	bool encrypted = GMIME_IS_MULTIPART_ENCRYPTED(mp);
	bool signed_ = GMIME_IS_MULTIPART_SIGNED(mp);
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	bool alternative = ct && g_mime_content_type_is_type(ct, "multipart", "alternative");
	int count = g_mime_multipart_get_count(mp);

	for (int i = 0; i < count; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		bool f = force || encrypted || (signed_ && i > 0) ||
			 (alternative && GMIME_IS_PART(child) && !is_plain_or_html(child));

		collect(c, child, level + 1, msg_depth, f);
	}
}

static void
collect(struct collect *c, GMimeObject *obj, unsigned level, unsigned msg_depth, bool force)
{
	if (obj == NULL || level > MIME_MAX_DEPTH || c->parts >= MIME_MAX_PARTS)
		return;
	c->parts++;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		add_attachment(c->msg, c->names, obj, msg_depth);
		if (inner != NULL && !force)
			collect(c, g_mime_message_get_mime_part(inner), level + 1, msg_depth + 1,
				false);
	} else if (GMIME_IS_MULTIPART(obj)) {
		collect_multipart(c, GMIME_MULTIPART(obj), level, msg_depth, force);
	} else if (GMIME_IS_PART(obj)) {
		if (force || mime_part_is_attachment(obj))
			add_attachment(c->msg, c->names, obj, msg_depth);
	}
}

const GPtrArray *
mime_message_attachments(struct mime_message *msg)
{
	struct collect c = { .msg = msg };

	if (msg->attachments != NULL)
		return msg->attachments;
	msg->attachments = g_ptr_array_new_with_free_func(attachment_free);
	msg->att_objects = g_ptr_array_new();
	c.names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (msg->message != NULL)
		collect(&c, g_mime_message_get_mime_part(msg->message), 0, 0, false);
	g_hash_table_unref(c.names);
	return msg->attachments;
}

/* ---- Safe file names ---- */

static bool
name_char_ok(gunichar u)
{
	return !text_unichar_is_unsafe(u) && u != '/' && u != '\\' && u != 0xFFFD;
}

/* Cuts s (valid UTF-8) to at most max bytes on a character boundary. */
static void
cut_utf8(GString *s, size_t max)
{
	const char *end;

	if (s->len <= max)
		return;
	end = g_utf8_find_prev_char(s->str, s->str + max + 1);
	g_string_truncate(s, end ? (gsize)(end - s->str) : 0);
}

static void
shorten(GString *s)
{
	const char *dot = strrchr(s->str, '.');
	char *ext = NULL;

	if (s->len <= MIME_MAX_FILENAME)
		return;
	if (dot != NULL && dot != s->str && strlen(dot) <= SAFE_NAME_MAX_EXT) {
		ext = g_strdup(dot);
		g_string_truncate(s, (gsize)(dot - s->str));
	}
	cut_utf8(s, MIME_MAX_FILENAME - (ext ? strlen(ext) : 0));
	if (ext != NULL)
		g_string_append(s, ext);
	g_free(ext);
}

char *
mime_attachment_safe_name(const char *name, unsigned index)
{
	char *valid = text_make_valid(name ? name : "", -1);
	const char *base = valid, *p;
	GString *out = g_string_new(NULL);
	gsize start;

	for (p = valid; *p; p++) /* the last path component */
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (p = base; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (name_char_ok(u))
			g_string_append_unichar(out, u);
		else
			g_string_append_c(out, '_');
	}
	for (start = 0; start < out->len && (out->str[start] == '.' || out->str[start] == ' ');)
		start++;
	g_string_erase(out, 0, (gssize)start);
	while (out->len > 0 && (out->str[out->len - 1] == '.' || out->str[out->len - 1] == ' '))
		g_string_truncate(out, out->len - 1);
	shorten(out);
	if (out->len == 0)
		g_string_printf(out, "attachment-%u", index);
	g_free(valid);
	return g_string_free(out, FALSE);
}

/* ---- Saving ---- */

static int
write_object(GMimeObject *obj, int fd)
{
	GMimeStream *fs = g_mime_stream_fs_new(fd); /* owns fd from here */
	ssize_t n = 0;
	int rc = 0;

	errno = 0;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner != NULL)
			n = g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, fs);
	} else {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));

		if (content != NULL)
			n = g_mime_data_wrapper_write_to_stream(content, fs);
	}
	if (n < 0 || g_mime_stream_flush(fs) < 0)
		rc = -1;
	if (g_mime_stream_close(fs) < 0)
		rc = -1;
	g_object_unref(fs);
	return rc;
}

/* Writes bytes to fd and closes it. */
static int
write_bytes(GBytes *bytes, int fd)
{
	gsize len;
	const char *p = g_bytes_get_data(bytes, &len);
	int rc = 0;

	errno = 0;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		p += n;
		len -= (gsize)n;
	}
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

/* DIR/name (a safe name: one component) written by obj or bytes, never
 * through a symlink, never over a file unless force. */
static int
save_in(const char *dir, const char *name, GMimeObject *obj, GBytes *bytes, bool force,
	char **path_r, GError **error)
{
	int dfd = -1, fd, flags, rc = -1;
	char *path = g_build_filename(dir, name, NULL);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), _("%s: %s"), dir,
			    g_strerror(e));
		goto out;
	}
	flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
	fd = openat(dfd, name, flags, 0666);
	if (fd < 0) {
		int e = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), _("%s: %s"), path,
			    e == EEXIST ? _("file exists (use --force to overwrite)")
					: g_strerror(e));
		goto out;
	}
	if ((obj != NULL ? write_object(obj, fd) : write_bytes(bytes, fd)) < 0) {
		int e = errno ? errno : EIO;

		unlinkat(dfd, name, 0);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), _("%s: %s"), path,
			    g_strerror(e));
		goto out;
	}
	rc = 0;
	if (path_r != NULL) {
		*path_r = path;
		path = NULL;
	}
out:
	if (dfd >= 0)
		close(dfd);
	g_free(path);
	return rc;
}

int
mime_attachment_save(struct mime_message *msg, unsigned index, const char *dir, bool force,
		     char **path_r, GError **error)
{
	const GPtrArray *atts = mime_message_attachments(msg);
	const struct mime_attachment *a;

	if (index == 0 || index > atts->len) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, _("no attachment %u"), index);
		return -1;
	}
	a = atts->pdata[index - 1];
	return save_in(dir, a->filename, msg->att_objects->pdata[index - 1], NULL, force, path_r,
		       error);
}

int
mime_bytes_save(GBytes *bytes, const char *name, unsigned index, const char *dir, bool force,
		char **path_r, GError **error)
{
	char *safe = mime_attachment_safe_name(name, index);
	int rc = save_in(dir, safe, NULL, bytes, force, path_r, error);

	g_free(safe);
	return rc;
}

GBytes *
mime_attachment_bytes(struct mime_message *msg, unsigned index)
{
	const GPtrArray *atts = mime_message_attachments(msg);
	GMimeObject *obj;
	GMimeStream *mem;
	GByteArray *bytes;

	if (index == 0 || index > atts->len)
		return NULL;
	obj = msg->att_objects->pdata[index - 1];
	mem = g_mime_stream_mem_new();
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner != NULL)
			g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
	} else {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));

		if (content != NULL)
			g_mime_data_wrapper_write_to_stream(content, mem);
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return g_byte_array_free_to_bytes(bytes);
}

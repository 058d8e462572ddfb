/* tern — core/imap/mutf7.c: modified UTF-7 mailbox names (RFC 3501 5.1.3).
 *
 * Printable US-ASCII stands for itself except "&", written "&-". Anything
 * else is UTF-16, base64-encoded with "," instead of "/", between "&" and
 * "-". Decoding is strict so that one name has one spelling: a name that
 * fails is shown raw by the caller. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == ',')
		return 63;
	return -1;
}

struct utf16_state {
	uint32_t high; /* pending high surrogate, 0 if none */
};

/* Adds one UTF-16 unit; returns -1 for an invalid sequence or a code point
 * that must not be encoded. */
static int
utf16_unit(struct utf16_state *st, uint32_t unit, GString *out)
{
	uint32_t cp;

	if (unit >= 0xD800 && unit <= 0xDBFF) {
		if (st->high != 0)
			return -1;
		st->high = unit;
		return 0;
	}
	if (unit >= 0xDC00 && unit <= 0xDFFF) {
		if (st->high == 0)
			return -1;
		cp = 0x10000 + ((st->high - 0xD800) << 10) + (unit - 0xDC00);
		st->high = 0;
	} else {
		if (st->high != 0)
			return -1;
		cp = unit;
	}
	if (cp == 0 || (cp >= 0x20 && cp <= 0x7e))
		return -1; /* NUL, or printable ASCII in disguise */
	g_string_append_unichar(out, (gunichar)cp);
	return 0;
}

/* Decodes the base64 run starting at s[*pos] (after "&") through "-". */
static int
decode_run(const char *s, size_t len, size_t *pos, GString *out)
{
	struct utf16_state st = {0};
	uint32_t bits = 0;
	unsigned nbits = 0;
	size_t i = *pos;

	for (; i < len && s[i] != '-'; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			if (utf16_unit(&st, (bits >> nbits) & 0xFFFF, out) < 0)
				return -1;
		}
		bits &= (1u << nbits) - 1;
	}
	if (i >= len || i == *pos)
		return -1; /* unterminated, or "&-" handled by the caller */
	if (nbits >= 6 || bits != 0 || st.high != 0)
		return -1; /* a partial unit or non-zero padding */
	*pos = i + 1;
	return 0;
}

char *
imap_mutf7_decode(const char *s, gssize slen, GError **error)
{
	size_t len = slen < 0 ? strlen(s) : (size_t)slen;
	GString *out = g_string_sized_new(len);
	size_t i = 0;

	while (i < len) {
		char ch = s[i];

		if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e)
			goto fail;
		if (ch != '&') {
			g_string_append_c(out, ch);
			i++;
			continue;
		}
		i++;
		if (i < len && s[i] == '-') {
			g_string_append_c(out, '&');
			i++;
			continue;
		}
		if (decode_run(s, len, &i, out) < 0)
			goto fail;
	}
	return g_string_free(out, FALSE);
fail:
	g_string_free(out, TRUE);
	g_set_error(error, IMAP_ERROR, IMAP_ERROR_PROTOCOL,
		    _("mailbox name is not valid modified UTF-7"));
	return NULL;
}

struct b64_writer {
	GString *out;
	uint32_t bits;
	unsigned nbits;
	bool open;
};

static void
b64_put16(struct b64_writer *w, uint32_t unit)
{
	if (!w->open) {
		g_string_append_c(w->out, '&');
		w->open = true;
	}
	w->bits = (w->bits << 16) | unit;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		g_string_append_c(w->out, b64chars[(w->bits >> w->nbits) & 0x3F]);
	}
	w->bits &= (1u << w->nbits) - 1;
}

static void
b64_close(struct b64_writer *w)
{
	if (!w->open)
		return;
	if (w->nbits > 0)
		g_string_append_c(w->out, b64chars[(w->bits << (6 - w->nbits)) & 0x3F]);
	g_string_append_c(w->out, '-');
	w->bits = 0;
	w->nbits = 0;
	w->open = false;
}

char *
imap_mutf7_encode(const char *utf8, gssize slen, GError **error)
{
	size_t len = slen < 0 ? strlen(utf8) : (size_t)slen;
	struct b64_writer w = {0};
	const char *p = utf8, *end = utf8 + len;

	if (!g_utf8_validate_len(utf8, len, NULL)) {
		g_set_error(error, IMAP_ERROR, IMAP_ERROR_INVALID,
			    _("mailbox name is not valid UTF-8"));
		return NULL;
	}
	w.out = g_string_sized_new(len + 8);
	while (p < end) {
		gunichar cp = g_utf8_get_char(p);

		p = g_utf8_next_char(p);
		if (cp >= 0x20 && cp <= 0x7e) {
			b64_close(&w);
			g_string_append(w.out, cp == '&' ? "&-" : (char[]){(char)cp, 0});
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			b64_put16(&w, 0xD800 + (cp >> 10));
			b64_put16(&w, 0xDC00 + (cp & 0x3FF));
		} else {
			b64_put16(&w, cp);
		}
	}
	b64_close(&w);
	return g_string_free(w.out, FALSE);
}

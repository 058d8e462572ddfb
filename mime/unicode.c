/* tern — mime/: UTF-16 and UTF-32 text (byte order mark or a guess from
 * where the zero bytes are), and the charset labels iconv does not know by
 * the spelling mail uses (WHATWG Encoding Standard labels and a few seen in
 * the wild). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "mime/mime-private.h"

/* Bytes looked at to guess a byte order. */
#define UNICODE_SNIFF_MAX 4096

/* ---- Charset aliases ---- */

struct charset_alias {
	const char *label; /* lower case, '_' written as '-' */
	const char *iconv_name;
};

/* Tried when a label fails in iconv (unknown, or its text is not valid in
 * what iconv calls by that name: the WHATWG meaning is then a superset,
 * e.g. gb2312 is decoded as GBK). Latin-1 and ASCII labels are not here:
 * mime_charset_to_utf8's own fallbacks read those. */
static const struct charset_alias charset_aliases[] = {
	{ "unicode-1-1-utf-8", "UTF-8" }, { "unicode11utf8", "UTF-8" },
	{ "unicode20utf8", "UTF-8" }, { "x-unicode20utf8", "UTF-8" },
	{ "866", "IBM866" }, { "cp866", "IBM866" }, { "csibm866", "IBM866" },
	{ "csisolatin2", "ISO-8859-2" }, { "iso-ir-101", "ISO-8859-2" },
	{ "iso8859-2", "ISO-8859-2" }, { "iso88592", "ISO-8859-2" }, { "l2", "ISO-8859-2" },
	{ "latin2", "ISO-8859-2" },
	{ "csisolatin3", "ISO-8859-3" }, { "iso-ir-109", "ISO-8859-3" },
	{ "iso8859-3", "ISO-8859-3" }, { "iso88593", "ISO-8859-3" }, { "l3", "ISO-8859-3" },
	{ "latin3", "ISO-8859-3" },
	{ "csisolatin4", "ISO-8859-4" }, { "iso-ir-110", "ISO-8859-4" },
	{ "iso8859-4", "ISO-8859-4" }, { "iso88594", "ISO-8859-4" }, { "l4", "ISO-8859-4" },
	{ "latin4", "ISO-8859-4" },
	{ "csisolatincyrillic", "ISO-8859-5" }, { "cyrillic", "ISO-8859-5" },
	{ "iso-ir-144", "ISO-8859-5" }, { "iso8859-5", "ISO-8859-5" }, { "iso88595", "ISO-8859-5" },
	{ "arabic", "ISO-8859-6" }, { "asmo-708", "ISO-8859-6" }, { "csiso88596e", "ISO-8859-6" },
	{ "csiso88596i", "ISO-8859-6" }, { "csisolatinarabic", "ISO-8859-6" },
	{ "ecma-114", "ISO-8859-6" }, { "iso-8859-6-e", "ISO-8859-6" },
	{ "iso-8859-6-i", "ISO-8859-6" }, { "iso-ir-127", "ISO-8859-6" },
	{ "iso8859-6", "ISO-8859-6" }, { "iso88596", "ISO-8859-6" },
	{ "csisolatingreek", "ISO-8859-7" }, { "ecma-118", "ISO-8859-7" },
	{ "elot-928", "ISO-8859-7" }, { "greek", "ISO-8859-7" }, { "greek8", "ISO-8859-7" },
	{ "iso-ir-126", "ISO-8859-7" }, { "iso8859-7", "ISO-8859-7" },
	{ "iso88597", "ISO-8859-7" }, { "sun-eu-greek", "ISO-8859-7" },
	{ "csiso88598e", "ISO-8859-8" }, { "csisolatinhebrew", "ISO-8859-8" },
	{ "hebrew", "ISO-8859-8" }, { "iso-8859-8-e", "ISO-8859-8" },
	{ "iso-ir-138", "ISO-8859-8" }, { "iso8859-8", "ISO-8859-8" },
	{ "iso88598", "ISO-8859-8" }, { "visual", "ISO-8859-8" },
	{ "csiso88598i", "ISO-8859-8" }, { "iso-8859-8-i", "ISO-8859-8" },
	{ "logical", "ISO-8859-8" },
	{ "csisolatin6", "ISO-8859-10" }, { "iso-ir-157", "ISO-8859-10" },
	{ "iso8859-10", "ISO-8859-10" }, { "iso885910", "ISO-8859-10" },
	{ "l6", "ISO-8859-10" }, { "latin6", "ISO-8859-10" },
	{ "iso8859-13", "ISO-8859-13" }, { "iso885913", "ISO-8859-13" },
	{ "iso8859-14", "ISO-8859-14" }, { "iso885914", "ISO-8859-14" },
	{ "csisolatin9", "ISO-8859-15" }, { "iso8859-15", "ISO-8859-15" },
	{ "iso885915", "ISO-8859-15" }, { "l9", "ISO-8859-15" },
	{ "cskoi8r", "KOI8-R" }, { "koi", "KOI8-R" }, { "koi8", "KOI8-R" },
	{ "koi8-ru", "KOI8-U" },
	{ "csmacintosh", "MACINTOSH" }, { "mac", "MACINTOSH" }, { "x-mac-roman", "MACINTOSH" },
	{ "x-mac-cyrillic", "MAC-CYRILLIC" }, { "x-mac-ukrainian", "MAC-CYRILLIC" },
	{ "x-mac-ce", "MAC-CENTRALEUROPE" }, { "x-mac-centraleurroman", "MAC-CENTRALEUROPE" },
	{ "dos-874", "WINDOWS-874" }, { "iso-8859-11", "WINDOWS-874" },
	{ "iso8859-11", "WINDOWS-874" }, { "iso885911", "WINDOWS-874" },
	{ "tis-620", "WINDOWS-874" },
	{ "x-cp1250", "WINDOWS-1250" }, { "x-cp1251", "WINDOWS-1251" },
	{ "x-cp1252", "WINDOWS-1252" }, { "x-cp1253", "WINDOWS-1253" },
	{ "x-cp1254", "WINDOWS-1254" }, { "x-cp1255", "WINDOWS-1255" },
	{ "x-cp1256", "WINDOWS-1256" }, { "x-cp1257", "WINDOWS-1257" },
	{ "x-cp1258", "WINDOWS-1258" },
	{ "chinese", "GBK" }, { "csgb2312", "GBK" }, { "csiso58gb231280", "GBK" },
	{ "gb2312", "GBK" }, { "gb-2312", "GBK" }, { "gb-2312-80", "GBK" }, { "gbk", "GBK" },
	{ "iso-ir-58", "GBK" }, { "x-gbk", "GBK" }, { "cp936", "GBK" }, { "euc-cn", "GBK" },
	{ "x-euc-cn", "GBK" }, { "eucgb2312-cn", "GBK" },
	{ "gb18030", "GB18030" },
	{ "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" }, { "cn-big5", "BIG5-HKSCS" },
	{ "csbig5", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" }, { "x-big5", "BIG5-HKSCS" },
	{ "big5-tw", "BIG5-HKSCS" }, { "cp950", "BIG5-HKSCS" },
	{ "cseucpkdfmtjapanese", "EUC-JP" }, { "euc-jp", "EUC-JP" }, { "x-euc-jp", "EUC-JP" },
	{ "csiso2022jp", "ISO-2022-JP" },
	{ "csshiftjis", "CP932" }, { "ms932", "CP932" }, { "ms-kanji", "CP932" },
	{ "shift-jis", "CP932" }, { "sjis", "CP932" }, { "windows-31j", "CP932" },
	{ "x-sjis", "CP932" }, { "x-ms-cp932", "CP932" },
	{ "cseuckr", "CP949" }, { "csksc56011987", "CP949" }, { "euc-kr", "CP949" },
	{ "iso-ir-149", "CP949" }, { "korean", "CP949" }, { "ks-c-5601-1987", "CP949" },
	{ "ks-c-5601-1989", "CP949" }, { "ksc5601", "CP949" }, { "ksc-5601", "CP949" },
	{ "windows-949", "CP949" }, { "x-windows-949", "CP949" },
};

const char *
mime_charset_alias(const char *label)
{
	char norm[64];
	size_t i;

	if (label == NULL || strlen(label) >= sizeof norm)
		return NULL;
	for (i = 0; label[i] != '\0'; i++)
		norm[i] = label[i] == '_' ? '-' : g_ascii_tolower(label[i]);
	norm[i] = '\0';
	for (i = 0; i < TERN_ARRAY_LEN(charset_aliases); i++)
		if (strcmp(charset_aliases[i].label, norm) == 0)
			return charset_aliases[i].iconv_name;
	return NULL;
}

/* ---- UTF-16 and UTF-32 ---- */

enum unicode_form { FORM_NONE, FORM_UTF8, FORM_16LE, FORM_16BE, FORM_32LE, FORM_32BE };

struct unicode_label {
	const char *label;
	size_t len;
	enum unicode_form form; /* FORM_NONE: byte order unknown */
	unsigned unit;          /* 2 or 4 */
};

#define L(label) label, sizeof(label) - 1
static const struct unicode_label unicode_labels[] = {
	{ L("utf-16"), FORM_NONE, 2 },	  { L("utf16"), FORM_NONE, 2 },
	{ L("ucs-2"), FORM_NONE, 2 },	  { L("ucs2"), FORM_NONE, 2 },
	{ L("unicode"), FORM_NONE, 2 },	  { L("csunicode"), FORM_NONE, 2 },
	{ L("iso-10646-ucs-2"), FORM_NONE, 2 }, { L("unicodefeff"), FORM_16LE, 2 },
	{ L("utf-16le"), FORM_16LE, 2 },	  { L("utf16le"), FORM_16LE, 2 },
	{ L("ucs-2le"), FORM_16LE, 2 },	  { L("utf-16be"), FORM_16BE, 2 },
	{ L("utf16be"), FORM_16BE, 2 },	  { L("ucs-2be"), FORM_16BE, 2 },
	{ L("unicodefffe"), FORM_16BE, 2 },  { L("utf-32"), FORM_NONE, 4 },
	{ L("utf32"), FORM_NONE, 4 },	  { L("ucs-4"), FORM_NONE, 4 },
	{ L("ucs4"), FORM_NONE, 4 },	  { L("utf-32le"), FORM_32LE, 4 },
	{ L("utf32le"), FORM_32LE, 4 },	  { L("ucs-4le"), FORM_32LE, 4 },
	{ L("utf-32be"), FORM_32BE, 4 },	  { L("utf32be"), FORM_32BE, 4 },
	{ L("ucs-4be"), FORM_32BE, 4 },
};
#undef L

/* Asked for every encoded word (a cold load decodes a From or Subject a
 * message): only the labels of the charset's length are compared. */
static const struct unicode_label *
unicode_label(const char *charset)
{
	size_t len = charset != NULL ? strlen(charset) : 0;

	for (size_t i = 0; charset != NULL && i < TERN_ARRAY_LEN(unicode_labels); i++)
		if (unicode_labels[i].len == len &&
		    g_ascii_strcasecmp(unicode_labels[i].label, charset) == 0)
			return &unicode_labels[i];
	return NULL;
}

/* The byte order mark, which wins over any label (as in the WHATWG
 * decode algorithm); *skip_r gets its length. */
static enum unicode_form
sniff_bom(const guchar *b, size_t len, size_t *skip_r)
{
	static const struct {
		const char *bom;
		size_t len;
		enum unicode_form form;
	} boms[] = {
		{ "\xff\xfe\0\0", 4, FORM_32LE }, { "\0\0\xfe\xff", 4, FORM_32BE },
		{ "\xef\xbb\xbf", 3, FORM_UTF8 }, { "\xff\xfe", 2, FORM_16LE },
		{ "\xfe\xff", 2, FORM_16BE },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(boms); i++)
		if (len >= boms[i].len && memcmp(b, boms[i].bom, boms[i].len) == 0) {
			*skip_r = boms[i].len;
			return boms[i].form;
		}
	return FORM_NONE;
}

/* Zero bytes counted by position modulo 4 over the first bytes. */
static void
count_zeros(const guchar *b, size_t len, size_t zeros[4], size_t *n_r)
{
	size_t n = MIN(len, (size_t)UNICODE_SNIFF_MAX) & ~(size_t)3;

	memset(zeros, 0, 4 * sizeof zeros[0]);
	for (size_t i = 0; i < n; i++)
		zeros[i % 4] += b[i] == 0;
	*n_r = n / 4;
}

/* A guess from mostly-ASCII text: UTF-32LE has zero bytes 2 and 3 in every
 * unit and rarely byte 0, UTF-16LE zero odd bytes and few zero even ones. */
static enum unicode_form
guess_form(const guchar *b, size_t len, unsigned unit)
{
	size_t z[4], n, even, odd;

	count_zeros(b, len, z, &n);
	if (n == 0)
		return FORM_NONE;
	if (unit != 2 && z[2] == n && z[3] == n && z[0] * 4 < n)
		return FORM_32LE;
	if (unit != 2 && z[0] == n && z[1] == n && z[3] * 4 < n)
		return FORM_32BE;
	if (unit == 4)
		return FORM_NONE;
	even = z[0] + z[2], odd = z[1] + z[3];
	if (odd * 10 >= n * 2 * 6 && even * 10 <= n * 2)
		return FORM_16LE;
	if (even * 10 >= n * 2 * 6 && odd * 10 <= n * 2)
		return FORM_16BE;
	return FORM_NONE;
}

static guint32
read_unit(const guchar *p, enum unicode_form form)
{
	switch (form) {
	case FORM_16LE: return p[0] | (guint32)p[1] << 8;
	case FORM_16BE: return (guint32)p[0] << 8 | p[1];
	case FORM_32LE: return p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
	case FORM_32BE: return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
	default: return 0xFFFD;
	}
}

/* Never fails: an unpaired surrogate, a code point past U+10FFFF or a
 * trailing partial unit is one U+FFFD. */
static char *
decode_form(const guchar *b, size_t len, enum unicode_form form, size_t *len_r)
{
	size_t unit = (form == FORM_16LE || form == FORM_16BE) ? 2 : 4;
	GString *out = g_string_sized_new(len + 1);
	size_t i = 0;

	for (; i + unit <= len; i += unit) {
		guint32 c = read_unit(b + i, form);

		if (unit == 2 && c >= 0xD800 && c <= 0xDBFF && i + 4 <= len) {
			guint32 lo = read_unit(b + i + 2, form);

			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
			c = 0xFFFD;
		g_string_append_unichar(out, c);
	}
	if (i < len)
		g_string_append_unichar(out, 0xFFFD);
	*len_r = out->len;
	return g_string_free(out, FALSE);
}

char *
mime_unicode_to_utf8(const char *charset, const char *bytes, size_t len, size_t *len_r)
{
	const guchar *b = (const guchar *)bytes;
	const struct unicode_label *lab = unicode_label(charset);
	size_t skip = 0;
	enum unicode_form form = sniff_bom(b, len, &skip);

	if (form == FORM_UTF8) {
		/* the rest is read as UTF-8 by the caller's rules */
		if (!g_utf8_validate_len(bytes + skip, len - skip, NULL))
			return NULL;
		*len_r = len - skip;
		return g_strndup(bytes + skip, len - skip);
	}
	if (form == FORM_NONE && lab != NULL)
		form = lab->form;
	if (form == FORM_NONE)
		form = guess_form(b, len, lab ? lab->unit : 0);
	if (form == FORM_NONE && lab != NULL) /* WHATWG: "utf-16" is little endian */
		form = lab->unit == 2 ? FORM_16LE : FORM_32LE;
	if (form == FORM_NONE)
		return NULL;
	return decode_form(b + skip, len - skip, form, len_r);
}

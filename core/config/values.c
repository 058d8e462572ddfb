/* tern — parsers for the values of the config file. */
#include "config.h"

#include "core/common.h"

#include <gio/gio.h>
#include <string.h>

#include "core/config/config-private.h"

bool
config_parse_bool(const char *s, bool *b_r)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < TERN_ARRAY_LEN(yes); i++) {
		if (g_ascii_strcasecmp(s, yes[i]) == 0) {
			*b_r = true;
			return true;
		}
		if (g_ascii_strcasecmp(s, no[i]) == 0) {
			*b_r = false;
			return true;
		}
	}
	return false;
}

/* Decimal digits only, no sign, overflow-checked, min <= n <= max. */
bool
config_parse_uint(const char *s, guint min, guint max, guint *n_r)
{
	guint64 n = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!g_ascii_isdigit(*s))
			return false;
		n = n * 10 + (guint64)(*s - '0');
		if (n > max)
			return false;
	}
	if (n < min)
		return false;
	*n_r = (guint)n;
	return true;
}

/* "sha256:" then 32 bytes in hex, with or without ':' between bytes. */
bool
config_parse_fingerprint(const char *s, guint8 fp_r[32], char **canonical_r)
{
	GString *canon;
	guint n = 0;

	if (g_ascii_strncasecmp(s, "sha256:", 7) != 0)
		return false;
	s += 7;
	while (*s != '\0') {
		int hi, lo;

		if (n > 0 && *s == ':')
			s++;
		hi = g_ascii_xdigit_value(s[0]);
		lo = hi >= 0 ? g_ascii_xdigit_value(s[1]) : -1;
		if (hi < 0 || lo < 0 || n >= 32)
			return false;
		fp_r[n++] = (guint8)(hi << 4 | lo);
		s += 2;
	}
	if (n != 32)
		return false;
	canon = g_string_new("sha256:");
	for (guint i = 0; i < 32; i++)
		g_string_append_printf(canon, i > 0 ? ":%02X" : "%02X", fp_r[i]);
	*canonical_r = g_string_free(canon, FALSE);
	return true;
}

static int
parse_color_name(const char *s)
{
	static const char *const names[] = { "black", "red",     "green", "yellow",
					     "blue",  "magenta", "cyan",  "white" };
	guint n;

	if (g_ascii_strcasecmp(s, "default") == 0)
		return CONFIG_COLOR_DEFAULT;
	for (size_t i = 0; i < TERN_ARRAY_LEN(names); i++) {
		if (g_ascii_strcasecmp(s, names[i]) == 0)
			return (int)i;
		if (g_ascii_strncasecmp(s, "bright", 6) == 0 &&
		    g_ascii_strcasecmp(s + 6, names[i]) == 0)
			return (int)i + 8;
	}
	if (g_ascii_strncasecmp(s, "color", 5) == 0 && config_parse_uint(s + 5, 0, 255, &n))
		return (int)n;
	return -2;
}

static unsigned int
parse_attr_name(const char *s)
{
	if (g_ascii_strcasecmp(s, "bold") == 0)
		return CONFIG_ATTR_BOLD;
	if (g_ascii_strcasecmp(s, "underline") == 0)
		return CONFIG_ATTR_UNDERLINE;
	if (g_ascii_strcasecmp(s, "reverse") == 0)
		return CONFIG_ATTR_REVERSE;
	return 0;
}

/* "FG [BG] [bold|underline|reverse]...". */
bool
config_parse_color(const char *s, struct config_color *c_r, char **msg_r)
{
	char **words = g_strsplit_set(s, " \t", -1);
	struct config_color c = { CONFIG_COLOR_DEFAULT, CONFIG_COLOR_DEFAULT, 0 };
	int ncolors = 0, nwords = 0;
	bool ok = false;

	for (char **w = words; *w != NULL; w++) {
		int color;
		unsigned int attr;

		if (**w == '\0')
			continue;
		nwords++;
		color = parse_color_name(*w);
		attr = parse_attr_name(*w);
		if (color != -2 && ncolors < 2 && c.attrs == 0) {
			if (ncolors++ == 0)
				c.fg = color;
			else
				c.bg = color;
		} else if (attr != 0) {
			c.attrs |= attr;
		} else {
			*msg_r = g_strdup_printf(
				_("'%s' is not a colour or attribute (expected \"FG BG "
				  "[bold|underline|reverse]\", colours default, black, red, green, "
				  "yellow, blue, magenta, cyan, white, brightX or color0..color255)"),
				*w);
			goto out;
		}
	}
	if (nwords == 0) {
		*msg_r = g_strdup(_("empty colour"));
		goto out;
	}
	*c_r = c;
	ok = true;
out:
	g_strfreev(words);
	return ok;
}

static bool
hostname_is_valid(const char *s)
{
	gsize len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

bool
config_check_host(const char *s, char **ascii_r, char **msg_r)
{
	char *ascii;

	if (g_hostname_is_ip_address(s)) {
		*ascii_r = g_strdup(s);
		return true;
	}
	ascii = g_hostname_is_non_ascii(s) ? g_hostname_to_ascii(s) : g_strdup(s);
	if (ascii == NULL || !hostname_is_valid(ascii)) {
		g_free(ascii);
		if (s[0] == '[')
			*msg_r = g_strdup(_("invalid host name (write an IPv6 address "
					    "without brackets)"));
		else
			*msg_r = g_strdup_printf(_("invalid host name '%s'"), s);
		return false;
	}
	*ascii_r = ascii;
	return true;
}

bool
config_host_is_loopback(const char *host)
{
	GInetAddress *addr;
	bool loop;

	if (host == NULL)
		return false;
	if (g_ascii_strcasecmp(host, "localhost") == 0 ||
	    g_ascii_strcasecmp(host, "localhost.") == 0)
		return true;
	addr = g_inet_address_new_from_string(host);
	if (addr == NULL)
		return false;
	loop = g_inet_address_get_is_loopback(addr);
	g_object_unref(addr);
	return loop;
}

bool
config_check_command(const char *s, char **msg_r)
{
	GError *err = NULL;
	char **argv = NULL;

	if (!g_shell_parse_argv(s, NULL, &argv, &err)) {
		*msg_r = g_strdup_printf(_("cannot split the command into words: %s"),
					 err->message);
		g_error_free(err);
		return false;
	}
	g_strfreev(argv);
	return true;
}

bool
config_name_is_valid(const char *s)
{
	gsize len = strlen(s);

	if (len == 0 || len > CONFIG_MAX_NAME_LEN || s[0] == '.')
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isalnum(*s) && strchr("._@+-", *s) == NULL)
			return false;
	return true;
}

bool
config_ident_is_valid(const char *s)
{
	gsize len = strlen(s);

	if (len == 0 || len > CONFIG_MAX_NAME_LEN)
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_islower(*s) && *s != '_')
			return false;
	return true;
}

char *
config_expand_home(const char *s)
{
	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0'))
		return g_strconcat(g_get_home_dir(), s + 1, NULL);
	return g_strdup(s);
}

static bool
unichar_is_unsafe(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *
config_sanitize_line(const char *data, gsize len, gsize max)
{
	const char *nl = memchr(data, '\n', len);
	gsize n = nl != NULL ? (gsize)(nl - data) : len;
	GString *out = g_string_new(NULL);
	const char *p;
	char *valid;

	while (n > 0 && (data[n - 1] == '\r' || data[n - 1] == ' '))
		n--;
	valid = g_utf8_make_valid(data, (gssize)n);
	for (p = valid; *p != '\0' && max > 0; p = g_utf8_next_char(p), max--) {
		gunichar c = g_utf8_get_char(p);

		g_string_append_unichar(out, unichar_is_unsafe(c) ? 0xfffd : c);
	}
	if (*p != '\0')
		g_string_append(out, "\u2026");
	g_free(valid);
	return g_string_free(out, FALSE);
}

static const char *const named_keys[] = {
	"Up",	 "Down",      "Left",	"Right",  "PageUp", "PageDown", "Home", "End",
	"Enter", "Tab",	      "BackTab", "Space",  "Backspace", "Delete", "Insert", "Esc",
	"F1",	 "F2",	      "F3",	"F4",	  "F5",	    "F6",	"F7",	"F8",
	"F9",	 "F10",	      "F11",	"F12",
};

/* One key spec; appends its canonical spelling to out. */
static bool
parse_one_key(const char *w, bool allow_meta, GString *out)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(named_keys); i++) {
		if (g_ascii_strcasecmp(w, named_keys[i]) == 0) {
			g_string_append(out, named_keys[i]);
			return true;
		}
	}
	if ((w[0] == 'C' || w[0] == 'c') && w[1] == '-' && g_ascii_isalpha(w[2]) &&
	    w[3] == '\0') {
		g_string_append_printf(out, "C-%c", g_ascii_tolower(w[2]));
		return true;
	}
	if (allow_meta && (w[0] == 'M' || w[0] == 'm') && w[1] == '-' && w[2] != '\0') {
		g_string_append(out, "M-");
		return parse_one_key(w + 2, false, out);
	}
	if (w[0] != '\0' && *g_utf8_next_char(w) == '\0') {
		gunichar c = g_utf8_get_char(w);

		if (!g_unichar_isgraph(c) || unichar_is_unsafe(c))
			return false;
		g_string_append(out, w);
		return true;
	}
	return false;
}

bool
config_parse_keys(const char *value, char **canonical_r)
{
	char **words;
	GString *out;
	bool ok = true;
	int n = 0;

	if (!g_utf8_validate(value, -1, NULL))
		return false;
	words = g_strsplit_set(value, " \t", -1);
	out = g_string_new(NULL);
	for (char **w = words; *w != NULL && ok; w++) {
		if (**w == '\0')
			continue;
		if (n++ > 0)
			g_string_append_c(out, ' ');
		ok = parse_one_key(*w, true, out);
	}
	g_strfreev(words);
	if (!ok || n == 0) {
		g_string_free(out, TRUE);
		return false;
	}
	*canonical_r = g_string_free(out, FALSE);
	return true;
}

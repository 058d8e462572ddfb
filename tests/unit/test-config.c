/* tern — tests for core/config: the file, its errors with FILE:LINE, the
 * account choice, password commands and the first-run writer. */
#include "config.h"

#include "core/common.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config/config.h"

static const char valid_text[] =
	"# tern test config\n"
	"\n"
	"[account personal]\n"
	"host = imap.example.com\n"
	"user = me@example.com\n"
	"  # indented comment\n"
	"password_command = printf 'pw\\\\n'\n"
	"auth=plain\n"
	"tls_fingerprint = sha256:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
	"ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n"
	"compress = false\n"
	"timeout = 30\n"
	"default = true\n"
	"trash = Deleted\\sItems\n"
	"\n"
	"[account work]\r\n"
	"summary_fetch = Envelope\r\n"
	"host = 127.0.0.1\r\n"
	"tls = none\r\n"
	"port = 1143\r\n"
	"user = w\r\n"
	"password = secret\r\n"
	"[account remote]\n"
	"tunnel = ssh mail.example.com /usr/lib/dovecot/imap\n"
	"[account st]\n"
	"host = localhost\n"
	"tls = STARTTLS\n"
	"user = u\n"
	"auth = xoauth2\n"
	"oauth_token_command = get-token\n"
	"[ui]\n"
	"layout = beside\n"
	"threading = yes\n"
	"date_format = %d.%m.%Y\n"
	"[keys]\n"
	"next_message = j Down\n"
	"page_down = c-D pagedown\n"
	"quit = q M-x F12\n"
	"[colors]\n"
	"status = brightwhite blue bold\n"
	"unread = color208 default underline reverse\n"
	"quoted = green\n";

static void
test_valid(void)
{
	struct config *cfg = NULL;
	GError *error = NULL;
	const struct account *a;
	const struct config_color *c;

	config_load_data("t.conf", valid_text, strlen(valid_text), &cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	g_assert_cmpuint(cfg->accounts->len, ==, 4);
	g_assert_cmpuint(cfg->warnings->len, ==, 0);

	a = cfg->accounts->pdata[0];
	g_assert_cmpstr(a->name, ==, "personal");
	g_assert_cmpstr(a->host, ==, "imap.example.com");
	g_assert_cmpuint(a->port, ==, 993);
	g_assert_cmpint(a->tls, ==, CONFIG_TLS_IMPLICIT);
	g_assert_cmpstr(a->user, ==, "me@example.com");
	g_assert_cmpstr(a->password_command, ==, "printf 'pw\\n'"); /* \\ in the file */
	g_assert_null(a->password);
	g_assert_cmpint(a->auth, ==, CONFIG_AUTH_PLAIN);
	g_assert_cmpstr(a->tls_fingerprint, ==,
			"sha256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
			"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
	g_assert_cmpuint(a->tls_fingerprint_sha256[0], ==, 0xab);
	g_assert_cmpuint(a->tls_fingerprint_sha256[31], ==, 0x89);
	g_assert_false(a->compress);
	g_assert_cmpuint(a->timeout, ==, 30);
	g_assert_true(a->is_default);
	g_assert_cmpstr(a->trash, ==, "Deleted Items");
	g_assert_cmpint(a->line, ==, 3);
	g_assert_cmpint(a->summary_fetch, ==, CONFIG_SUMMARY_FETCH_AUTO);

	a = cfg->accounts->pdata[1];
	g_assert_cmpstr(a->name, ==, "work");
	g_assert_cmpuint(a->port, ==, 1143);
	g_assert_cmpint(a->tls, ==, CONFIG_TLS_NONE);
	g_assert_cmpstr(a->password, ==, "secret");
	g_assert_cmpint(a->summary_fetch, ==, CONFIG_SUMMARY_FETCH_ENVELOPE);
	g_assert_true(a->compress);
	g_assert_cmpuint(a->timeout, ==, 60);
	g_assert_false(a->is_default);

	a = cfg->accounts->pdata[2];
	g_assert_cmpstr(a->name, ==, "remote");
	g_assert_null(a->host);
	g_assert_cmpstr(a->tunnel, ==, "ssh mail.example.com /usr/lib/dovecot/imap");
	g_assert_cmpint(a->tls, ==, CONFIG_TLS_NONE);

	a = cfg->accounts->pdata[3];
	g_assert_cmpint(a->tls, ==, CONFIG_TLS_STARTTLS);
	g_assert_cmpuint(a->port, ==, 143);
	g_assert_cmpint(a->auth, ==, CONFIG_AUTH_XOAUTH2);

	g_assert_cmpint(cfg->ui.layout, ==, CONFIG_LAYOUT_BESIDE);
	g_assert_true(cfg->ui.threading);
	g_assert_true(cfg->ui.folder_pane);
	g_assert_false(cfg->ui.prefer_html);
	g_assert_cmpstr(cfg->ui.date_format, ==, "%d.%m.%Y");
	g_assert_cmpstr(cfg->ui.fallback_charset, ==, "windows-1252");

	g_assert_cmpstr(g_hash_table_lookup(cfg->keys, "next_message"), ==, "j Down");
	g_assert_cmpstr(g_hash_table_lookup(cfg->keys, "page_down"), ==, "C-d PageDown");
	g_assert_cmpstr(g_hash_table_lookup(cfg->keys, "quit"), ==, "q M-x F12");
	c = g_hash_table_lookup(cfg->colors, "status");
	g_assert_nonnull(c);
	g_assert_cmpint(c->fg, ==, 15);
	g_assert_cmpint(c->bg, ==, 4);
	g_assert_cmpuint(c->attrs, ==, CONFIG_ATTR_BOLD);
	c = g_hash_table_lookup(cfg->colors, "unread");
	g_assert_cmpint(c->fg, ==, 208);
	g_assert_cmpint(c->bg, ==, CONFIG_COLOR_DEFAULT);
	g_assert_cmpuint(c->attrs, ==, CONFIG_ATTR_UNDERLINE | CONFIG_ATTR_REVERSE);
	c = g_hash_table_lookup(cfg->colors, "quoted");
	g_assert_cmpint(c->fg, ==, 2);
	g_assert_cmpint(c->bg, ==, CONFIG_COLOR_DEFAULT);

	config_free(&cfg);
	g_assert_null(cfg);
}

#define HOST "[account a]\nhost = imap.example.com\nuser = u\n"

struct error_case {
	const char *text;
	const char *message; /* the exact error; a final '*' matches any rest (GLib's words) */
};

static const struct error_case error_cases[] = {
	/* syntax */
	{ "[account a]\nhost imap\n",
	  "t.conf:2: expected 'key = value', a [group] or a # comment" },
	{ "# c\nhost = x\n", "t.conf:2: key 'host' is outside any [group]" },
	{ "[account a\n", "t.conf:1: a group header must end with ']'" },
	{ "[]\n", "t.conf:1: invalid group name" },
	{ HOST " = x\n", "t.conf:4: missing key name before '='" },
	{ HOST "\n  \n\thost = y\n", "t.conf:6: 'host' is already set on line 2" },
	{ HOST "[ui]\n[account a]\nuser = v\n", "t.conf:6: 'user' is already set on line 3" },
	{ HOST "trash = \xff\n", "t.conf:4: invalid UTF-8 (or a NUL byte)" },
	/* groups and keys */
	{ HOST "[accounts]\n", "t.conf:4: unknown group [accounts] (expected [account NAME], "
			       "[ui], [keys], [keys CONTEXT] or [colors])" },
	{ HOST "[keys pager]\nflag = x\n", "t.conf:4: unknown key context [keys pager] "
					   "(expected list, viewer, folders or compose)" },
	{ "[account]\nhost = x\n", "t.conf:1: missing account name: write [account NAME]" },
	{ "[account  ]\nhost = x\n", "t.conf:1: missing account name: write [account NAME]" },
	{ "[account a/b]\n", "t.conf:1: invalid account name 'a/b' (use letters, digits and "
			     ". _ @ + -)" },
	{ HOST "[account  a ]\n", "t.conf:4: account 'a' is already defined on line 1" },
	{ HOST "# x\n\n  hots = 1\n", "t.conf:6: unknown key 'hots' in [account a]" },
	{ HOST "[ui]\nlayuot = below\n", "t.conf:5: unknown key 'layuot' in [ui]" },
	{ HOST "host[de] = x\n", "t.conf:4: invalid key name 'host[de]'" },
	{ HOST "ho st = x\n", "t.conf:4: invalid key name 'ho st'" },
	{ HOST "k[de = x\n", "t.conf:4: invalid key name 'k[de'" },
	/* values */
	{ HOST "port = 0\n", "t.conf:4: port must be a number from 1 to 65535, not '0'" },
	{ HOST "port = 65536\n", "t.conf:4: port must be a number from 1 to 65535, not '65536'" },
	{ HOST "port = 99999999999999999999\n",
	  "t.conf:4: port must be a number from 1 to 65535, not '99999999999999999999'" },
	{ HOST "port = -1\n", "t.conf:4: port must be a number from 1 to 65535, not '-1'" },
	{ HOST "port = 1 43\n", "t.conf:4: port must be a number from 1 to 65535, not '1 43'" },
	{ HOST "port =\n", "t.conf:4: 'port' has an empty value" },
	{ HOST "summary_fetch = fast\n",
	  "t.conf:4: summary_fetch must be one of auto | envelope | headers, not 'fast'" },
	{ HOST "summary_fetch =\n", "t.conf:4: 'summary_fetch' has an empty value" },
	{ HOST "tls = ssl\n",
	  "t.conf:4: tls must be one of implicit | starttls | none, not 'ssl'" },
	{ HOST "auth = cram-md5\n", "t.conf:4: auth must be one of auto | plain | login | "
				    "xoauth2 | oauthbearer, not 'cram-md5'" },
	{ HOST "compress = maybe\n", "t.conf:4: compress must be true or false, not 'maybe'" },
	{ HOST "timeout = 0\n",
	  "t.conf:4: timeout must be a number of seconds from 1 to 86400, not '0'" },
	{ HOST "timeout = 10s\n",
	  "t.conf:4: timeout must be a number of seconds from 1 to 86400, not '10s'" },
	{ HOST "tls_fingerprint = AB:CD\n",
	  "t.conf:4: tls_fingerprint must be \"sha256:\" and 32 bytes in hex (AB:CD:...), "
	  "not 'AB:CD'" },
	{ HOST "tls_fingerprint = sha256:ABCD\n",
	  "t.conf:4: tls_fingerprint must be \"sha256:\" and 32 bytes in hex (AB:CD:...), "
	  "not 'sha256:ABCD'" },
	{ HOST "password_command = pass 'show\n",
	  "t.conf:4: cannot split the command into words: *" },
	{ HOST "ca_file = /nonexistent/ca.pem\n",
	  "t.conf:4: ca_file: no such file '/nonexistent/ca.pem'" },
	{ HOST "trash = a\\qb\n", "t.conf:4: unknown escape '\\q' (use \\s \\n \\t \\r \\\\)" },
	{ HOST "trash = a\\nb\n", "t.conf:4: control character in the value of 'trash'" },
	{ "[account h]\nhost = imap..example\nuser = u\n",
	  "t.conf:2: invalid host name 'imap..example'" },
	{ "[account h]\nhost = [::1]\nuser = u\n",
	  "t.conf:2: invalid host name (write an IPv6 address without brackets)" },
	{ HOST "[ui]\nlayout = left\n", "t.conf:5: layout must be one of below | beside | full, not 'left'" },
	{ HOST "[ui]\nfallback_charset = no-such-charset\n",
	  "t.conf:5: unknown character set 'no-such-charset'" },
	{ HOST "[keys]\nNext = j\n", "t.conf:5: invalid action name 'Next'" },
	{ HOST "[keys]\nnext = C-1\n",
	  "t.conf:5: invalid key 'C-1' (expected a character, C-x, M-x, or a key name such as "
	  "Down, PageDown, Enter, Tab, Space, F1)" },
	{ HOST "[keys]\nnext = F13\n",
	  "t.conf:5: invalid key 'F13' (expected a character, C-x, M-x, or a key name such as "
	  "Down, PageDown, Enter, Tab, Space, F1)" },
	{ HOST "[colors]\nstatus = white purple\n",
	  "t.conf:5: 'purple' is not a colour or attribute (expected \"FG BG "
	  "[bold|underline|reverse]\", colours default, black, red, green, yellow, blue, "
	  "magenta, cyan, white, brightX or color0..color255)" },
	{ HOST "[colors]\nstatus = color256\n",
	  "t.conf:5: 'color256' is not a colour or attribute (expected \"FG BG "
	  "[bold|underline|reverse]\", colours default, black, red, green, yellow, blue, "
	  "magenta, cyan, white, brightX or color0..color255)" },
	{ HOST "[colors]\nstatus = red blue green\n",
	  "t.conf:5: 'green' is not a colour or attribute (expected \"FG BG "
	  "[bold|underline|reverse]\", colours default, black, red, green, yellow, blue, "
	  "magenta, cyan, white, brightX or color0..color255)" },
	/* combinations */
	{ "[account r]\ntunnel = ssh x imap\nuser = u\nhost = x\n",
	  "t.conf:4: account 'r' has both 'host' and 'tunnel': choose one" },
	{ "[account r]\nhost = x\nuser = u\n\ntunnel = ssh x imap\n",
	  "t.conf:5: account 'r' has both 'host' and 'tunnel': choose one" },
	{ "[account r]\ntunnel = ssh x imap\nport = 143\n",
	  "t.conf:3: 'port' has no meaning with 'tunnel' (account 'r')" },
	{ "[account r]\nuser = u\n", "t.conf:1: account 'r' needs 'host' or 'tunnel'" },
	{ "[account r]\nhost = x\n", "t.conf:1: account 'r' needs 'user'" },
	{ HOST "default = true\n[account b]\nhost = y\nuser = v\n# d\ndefault = yes\n",
	  "t.conf:9: accounts 'a' and 'b' both say default = true" },
	{ HOST "tls = none\n", "t.conf:4: tls = none is only allowed for a loopback host "
			       "(localhost, 127.0.0.1, ::1), not 'imap.example.com'" },
	{ "[account a]\nhost = 10.0.0.1\ntls = none\nuser = u\n",
	  "t.conf:3: tls = none is only allowed for a loopback host "
	  "(localhost, 127.0.0.1, ::1), not '10.0.0.1'" },
	{ "[account a]\nhost = ::1\ntls = none\nuser = u\ntls_fingerprint = sha256:"
	  "0000000000000000000000000000000000000000000000000000000000000000\n",
	  "t.conf:5: tls_fingerprint has no meaning with tls = none" },
	{ HOST "password = x\npassword_command = pass x\n",
	  "t.conf:5: account 'a' has both 'password' and 'password_command': choose one" },
	{ HOST "auth = xoauth2\n", "t.conf:4: auth = xoauth2 needs 'oauth_token_command'" },
	{ HOST "auth = OAuthBearer\n",
	  "t.conf:4: auth = oauthbearer needs 'oauth_token_command'" },
	{ "[ui]\nthreading = true\n", "t.conf: no account is configured (add an [account NAME] "
				      "group)" },
	{ "", "t.conf: no account is configured (add an [account NAME] group)" },
};

static void
test_errors(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct config *cfg = NULL;
		GError *error = NULL;

		g_test_message("case %zu: %s", i, c->text);
		g_assert_cmpint(config_load_data("t.conf", c->text, strlen(c->text), &cfg, &error),
				==, -1);
		g_assert_null(cfg);
		g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID);
		if (g_str_has_suffix(c->message, "*")) {
			g_assert_cmpint(strncmp(error->message, c->message, strlen(c->message) - 1),
					==, 0);
		} else {
			g_assert_cmpstr(error->message, ==, c->message);
		}
		g_error_free(error);
	}
}

static void
test_loopback(void)
{
	static const struct {
		const char *host;
		bool loopback;
	} cases[] = {
		{ "localhost", true },	{ "LOCALHOST", true },	   { "127.0.0.1", true },
		{ "127.1.2.3", true },	{ "::1", true },	   { "128.0.0.1", false },
		{ "::2", false },	{ "localhost.evil", false }, { "10.0.0.1", false },
		{ "example.com", false },
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++)
		g_assert_cmpint(config_host_is_loopback(cases[i].host), ==, cases[i].loopback);
	g_assert_false(config_host_is_loopback(NULL));
}

static void
test_keys(void)
{
	static const struct {
		const char *in, *out; /* out NULL: invalid */
	} cases[] = {
		{ "j", "j" },		  { "?", "?" },		   { "ä", "ä" },
		{ "C-d", "C-d" },	  { "c-D", "C-d" },	   { "Down", "Down" },
		{ "pagedown", "PageDown" }, { "ENTER", "Enter" },   { "tab", "Tab" },
		{ "Space", "Space" },	  { "F1", "F1" },	   { "f12", "F12" },
		{ "M-x", "M-x" },	  { "M-Enter", "M-Enter" }, { "  j   k ", "j k" },
		{ "F0", NULL },		  { "F13", NULL },	   { "C-", NULL },
		{ "C-dd", NULL },	  { "M-", NULL },	   { "M-M-x", NULL },
		{ "jj", NULL },		  { "", NULL },		   { "   ", NULL },
		{ "\xe2\x80\xae", NULL }, /* U+202E bidi override */
	};

	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++) {
		char *canon = NULL;
		bool ok = config_parse_keys(cases[i].in, &canon);

		g_test_message("key '%s'", cases[i].in);
		g_assert_cmpint(ok, ==, cases[i].out != NULL);
		g_assert_cmpstr(canon, ==, cases[i].out);
		g_free(canon);
	}
}

static void
pick_check(const char *text, const char *name, const char *want, const char *want_error)
{
	struct config *cfg = NULL;
	GError *error = NULL;
	const struct account *a;

	g_assert_cmpint(config_load_data("t.conf", text, strlen(text), &cfg, &error), ==, 0);
	g_assert_no_error(error);
	a = config_pick_account(cfg, name, &error);
	if (want != NULL) {
		g_assert_no_error(error);
		g_assert_nonnull(a);
		g_assert_cmpstr(a->name, ==, want);
	} else {
		g_assert_null(a);
		g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_ACCOUNT);
		g_assert_cmpstr(error->message, ==, want_error);
		g_error_free(error);
	}
	config_free(&cfg);
}

#define ACC_A "[account a]\nhost = x\nuser = u\n"
#define ACC_B "[account b]\nhost = y\nuser = u\n"

static void
test_pick(void)
{
	pick_check(ACC_A, NULL, "a", NULL);
	pick_check(ACC_A ACC_B, "b", "b", NULL);
	pick_check(ACC_A ACC_B "default = true\n", NULL, "b", NULL);
	pick_check(ACC_A "default = true\n" ACC_B, "b", "b", NULL);
	pick_check(ACC_A "default = false\n" ACC_B, NULL, NULL,
		   "t.conf has several accounts and none says default = true: choose one "
		   "with -a (a, b)");
	pick_check(ACC_A ACC_B, "x", NULL, "no account named 'x' in t.conf; accounts: a, b");
	pick_check(ACC_A, "A", NULL, "no account named 'A' in t.conf; accounts: a");
}

static char *
write_temp(const char *dir, const char *name, const char *text, int mode)
{
	char *path = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
	return path;
}

static void
test_file(void)
{
	char *dir = g_dir_make_tmp("tern-test-config-XXXXXX", NULL);
	char *p644, *p600, *pcmd, *missing;
	struct config *cfg = NULL;
	GError *error = NULL;

	g_assert_nonnull(dir);
	p644 = write_temp(dir, "c644", ACC_A "password = pw\n", 0644);
	p600 = write_temp(dir, "c600", ACC_A "password = pw\n", 0600);
	pcmd = write_temp(dir, "ccmd", ACC_A "password_command = pass x\n", 0644);
	missing = g_build_filename(dir, "nope", NULL);

	g_assert_cmpint(config_load(p644, &cfg, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->warnings->len, ==, 1);
	g_assert_true(g_str_has_prefix(cfg->warnings->pdata[0], p644));
	g_assert_nonnull(strstr(cfg->warnings->pdata[0], "chmod 600"));
	g_assert_cmpstr(cfg->path, ==, p644);
	config_free(&cfg);

	g_assert_cmpint(config_load(p600, &cfg, &error), ==, 0);
	g_assert_cmpuint(cfg->warnings->len, ==, 0);
	config_free(&cfg);

	g_assert_cmpint(config_load(pcmd, &cfg, &error), ==, 0);
	g_assert_cmpuint(cfg->warnings->len, ==, 0);
	config_free(&cfg);

	g_assert_cmpint(config_load(missing, &cfg, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_MISSING);
	g_assert_null(cfg);
	g_clear_error(&error);

	g_assert_cmpint(config_load(dir, &cfg, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_IO);
	g_clear_error(&error);

	g_assert_nonnull(strstr(config_example_text(), "[account "));
	g_remove(p644);
	g_remove(p600);
	g_remove(pcmd);
	g_rmdir(dir);
	g_free(p644);
	g_free(p600);
	g_free(pcmd);
	g_free(missing);
	g_free(dir);
}

/* main() points XDG_CONFIG_HOME at an empty directory before GLib reads it. */
/* ca_file with tls = none has no effect: a warning naming FILE:LINE, not an
 * error. */
static void
test_ca_file_no_tls(void)
{
	char *dir = g_dir_make_tmp("tern-test-config-XXXXXX", NULL);
	char *ca = write_temp(dir, "ca.pem", "not used\n", 0644);
	char *text = g_strdup_printf("[account a]\nhost = 127.0.0.1\ntls = none\nuser = u\n"
				     "ca_file = %s\n", ca);
	struct config *cfg = NULL;
	GError *error = NULL;

	g_assert_cmpint(config_load_data("t.conf", text, strlen(text), &cfg, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->warnings->len, ==, 1);
	g_assert_true(g_str_has_prefix(cfg->warnings->pdata[0], "t.conf:5: ca_file"));
	config_free(&cfg);
	g_remove(ca);
	g_rmdir(dir);
	g_free(text);
	g_free(ca);
	g_free(dir);
}

static void
test_default_path(void)
{
	const char *home = g_getenv("XDG_CONFIG_HOME");
	char *path = config_default_path();
	char *want = g_build_filename(home, "tern", "config", NULL);
	struct config *cfg = NULL;
	GError *error = NULL;

	g_assert_cmpstr(path, ==, want);
	g_assert_cmpint(config_load(NULL, &cfg, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_MISSING);
	g_assert_true(g_str_has_prefix(error->message, want));
	g_assert_null(cfg);
	g_clear_error(&error);
	g_free(path);
	g_free(want);
}

static void
test_write_new(void)
{
	char *dir = g_dir_make_tmp("tern-test-config-XXXXXX", NULL);
	char *path = g_build_filename(dir, "sub", "tern", "config", NULL);
	char *sub = g_build_filename(dir, "sub", NULL);
	char *subtern = g_build_filename(dir, "sub", "tern", NULL);
	struct account a = { 0 };
	struct config *cfg = NULL;
	GError *error = NULL;
	GStatBuf st;

	a.name = "me";
	a.host = "imap.example.com";
	a.user = "me@example.com";
	a.password_command = "pass show 'mail/me x'";
	a.tls = CONFIG_TLS_STARTTLS;
	a.is_default = true;
	g_assert_cmpint(config_write_new(path, &a, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(g_stat(subtern, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);

	g_assert_cmpint(config_load(path, &cfg, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->accounts->len, ==, 1);
	{
		const struct account *b = cfg->accounts->pdata[0];

		g_assert_cmpstr(b->name, ==, "me");
		g_assert_cmpstr(b->host, ==, "imap.example.com");
		g_assert_cmpint(b->tls, ==, CONFIG_TLS_STARTTLS);
		g_assert_cmpuint(b->port, ==, 143);
		g_assert_cmpstr(b->password_command, ==, "pass show 'mail/me x'");
		g_assert_true(b->is_default);
	}
	config_free(&cfg);

	/* never overwrites */
	g_assert_cmpint(config_write_new(path, &a, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_IO);
	g_clear_error(&error);

	/* an invalid account writes nothing */
	g_remove(path);
	a.tls = CONFIG_TLS_NONE;
	g_assert_cmpint(config_write_new(path, &a, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

	g_rmdir(subtern);
	g_rmdir(sub);
	g_rmdir(dir);
	g_free(path);
	g_free(sub);
	g_free(subtern);
	g_free(dir);
}

/* password_command: run without a shell. */
struct command_case {
	const char *command;
	const char *output;  /* NULL: an error */
	const char *message; /* the error, or NULL */
};

static void
test_password_command(void)
{
	char *dir = g_dir_make_tmp("tern-test-config-XXXXXX", NULL);
	char *script = g_build_filename(dir, "pw.sh", NULL);
	char *script_cmd = g_strdup_printf("sh '%s' \"two words\"", script);
	const struct command_case cases[] = {
		{ "printf 'pw\\n'", "pw", NULL },
		{ "printf 'pw\\r\\n\\n'", "pw", NULL },
		{ "printf '%s' '$HOME;x'", "$HOME;x", NULL },
		{ "printf ' sp '", " sp ", NULL },
		{ script_cmd, "two words", NULL },
		{ "sh -c 'echo \"bad \033[31m thing\" >&2; exit 3'", NULL,
		  "password_command failed (exit 3): bad \xef\xbf\xbd[31m thing" },
		{ "false", NULL, "password_command failed (exit 1)" },
		{ "true", NULL, "password_command printed nothing" },
		{ "printf '\\n'", NULL, "password_command printed nothing" },
		{ "printf 'a\\nb\\n'", NULL,
		  "password_command printed more than one line (it is not run by a shell: for a "
		  "pipe, write sh -c '... | head -n 1')" },
		{ "head -c 70000 /dev/zero", NULL, "password_command printed more than 65536 bytes" },
		{ "sh -c 'kill -9 $$'", NULL, "password_command failed (killed by signal 9)" },
	};
	struct account a = { 0 };

	g_assert_true(g_file_set_contents(script, "printf '%s\\n' \"$1\"\n", -1, NULL));
	a.name = "a";
	for (size_t i = 0; i < TERN_ARRAY_LEN(cases); i++) {
		char *pw = NULL;
		GError *error = NULL;
		int rc;

		g_test_message("command: %s", cases[i].command);
		a.password_command = (char *)cases[i].command;
		rc = account_get_password(&a, &pw, &error);
		if (cases[i].output != NULL) {
			g_assert_no_error(error);
			g_assert_cmpint(rc, ==, 0);
			g_assert_cmpstr(pw, ==, cases[i].output);
		} else {
			g_assert_cmpint(rc, ==, -1);
			g_assert_null(pw);
			g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND);
			g_assert_cmpstr(error->message, ==, cases[i].message);
			g_clear_error(&error);
		}
		config_secret_free(&pw);
		g_assert_null(pw);
	}

	/* a command that does not exist */
	{
		char *pw = NULL;
		GError *error = NULL;

		a.password_command = "/nonexistent/tern-pw";
		g_assert_cmpint(account_get_password(&a, &pw, &error), ==, -1);
		g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND);
		g_assert_true(g_str_has_prefix(error->message,
					       "password_command: cannot run '/nonexistent/tern-pw'"));
		g_clear_error(&error);

		/* password wins over nothing; neither is NO_PASSWORD */
		a.password_command = NULL;
		a.password = "direct";
		g_assert_cmpint(account_get_password(&a, &pw, &error), ==, 0);
		g_assert_cmpstr(pw, ==, "direct");
		config_secret_free(&pw);
		a.password = NULL;
		g_assert_cmpint(account_get_password(&a, &pw, &error), ==, -1);
		g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD);
		g_clear_error(&error);

		a.oauth_token_command = "printf tok";
		g_assert_cmpint(account_get_oauth_token(&a, &pw, &error), ==, 0);
		g_assert_cmpstr(pw, ==, "tok");
		config_secret_free(&pw);
	}

	g_remove(script);
	g_rmdir(dir);
	g_free(script);
	g_free(script_cmd);
	g_free(dir);
}

/* A command that counts its runs in a file and prints "<prefix>-<n>". */
static char *
counting_command(const char *dir, const char *prefix, char **count_file_r)
{
	char *script = g_build_filename(dir, "count.sh", NULL);
	char *count = g_build_filename(dir, "count", NULL);
	char *cmd = g_strdup_printf("sh '%s' '%s' %s", script, count, prefix);

	g_assert_true(g_file_set_contents(script,
					  "n=$(cat \"$1\" 2>/dev/null || echo 0)\n"
					  "n=$((n + 1))\n"
					  "echo $n > \"$1\"\n"
					  "echo \"$2-$n\"\n", -1, NULL));
	g_unlink(count);
	*count_file_r = count;
	g_free(script);
	return cmd;
}

static int
file_count(const char *path)
{
	char *text = NULL;
	int n = 0;

	if (g_file_get_contents(path, &text, NULL, NULL))
		n = atoi(text);
	g_free(text);
	return n;
}

static void
expect_secret(struct account_secret *s, const char *want)
{
	const char *got = NULL;
	GError *error = NULL;

	g_assert_cmpint(account_secret_get(s, &got, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(got, ==, want);
}

/* The OAuth token: fetched once, used again while younger than its
 * lifetime, fetched again when older or after a refusal. */
static void
test_secret_token(void)
{
	char *dir = g_dir_make_tmp("tern-test-secret-XXXXXX", NULL);
	char *count = NULL;
	char *cmd = counting_command(dir, "tok", &count);
	struct account a = { .name = "a", .auth = CONFIG_AUTH_XOAUTH2,
			     .oauth_token_command = cmd, .oauth_token_lifetime = 1 };
	struct account_secret *s = account_secret_new(&a);

	g_assert_true(account_secret_will_run(s));
	expect_secret(s, "tok-1");
	g_assert_false(account_secret_will_run(s));
	expect_secret(s, "tok-1"); /* a reconnect within the lifetime */
	g_assert_cmpint(file_count(count), ==, 1);
	account_secret_refused(s); /* the server said no */
	g_assert_true(account_secret_will_run(s));
	expect_secret(s, "tok-2");
	g_usleep(1100 * 1000); /* older than its lifetime of 1 s */
	g_assert_true(account_secret_will_run(s));
	expect_secret(s, "tok-3");
	expect_secret(s, "tok-3");
	g_assert_cmpint(file_count(count), ==, 3);
	g_assert_cmpuint(account_secret_runs(s), ==, 3);
	account_secret_free(&s);
	g_assert_null(s);

	g_unlink(count);
	g_free(count);
	count = g_build_filename(dir, "count.sh", NULL);
	g_unlink(count);
	g_rmdir(dir);
	g_free(cmd);
	g_free(count);
	g_free(dir);
}

/* A password: the command runs once, and again only after a refusal, never
 * because time passed; a typed one is kept until refused; one from the
 * file is never looked up again. */
static void
test_secret_password(void)
{
	char *dir = g_dir_make_tmp("tern-test-secret-XXXXXX", NULL);
	char *count = NULL;
	char *cmd = counting_command(dir, "pw", &count);
	struct account a = { .name = "a", .password_command = cmd, .oauth_token_lifetime = 1 };
	struct account_secret *s = account_secret_new(&a);
	const char *got = NULL;
	GError *error = NULL;

	expect_secret(s, "pw-1");
	g_usleep(1100 * 1000);
	expect_secret(s, "pw-1"); /* time alone changes nothing for a password */
	g_assert_false(account_secret_will_run(s));
	g_assert_cmpint(file_count(count), ==, 1);
	account_secret_refused(s);
	expect_secret(s, "pw-2");
	g_assert_cmpint(file_count(count), ==, 2);
	account_secret_free(&s);

	/* nothing configured: NO_PASSWORD until typed; refused: forgotten */
	a.password_command = NULL;
	s = account_secret_new(&a);
	g_assert_cmpint(account_secret_get(s, &got, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD);
	g_clear_error(&error);
	account_secret_set(s, "typed");
	expect_secret(s, "typed");
	expect_secret(s, "typed");
	account_secret_refused(s);
	g_assert_cmpint(account_secret_get(s, &got, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_NO_PASSWORD);
	g_clear_error(&error);
	account_secret_free(&s);

	/* from the file */
	a.password = "direct";
	s = account_secret_new(&a);
	expect_secret(s, "direct");
	account_secret_refused(s);
	expect_secret(s, "direct");
	g_assert_cmpuint(account_secret_runs(s), ==, 0);
	account_secret_free(&s);

	/* a tunnel without a password: PREAUTH, no secret and no error */
	a.password = NULL;
	a.tunnel = "true";
	s = account_secret_new(&a);
	g_assert_cmpint(account_secret_get(s, &got, &error), ==, 0);
	g_assert_null(got);
	account_secret_free(&s);

	g_unlink(count);
	g_free(count);
	count = g_build_filename(dir, "count.sh", NULL);
	g_unlink(count);
	g_rmdir(dir);
	g_free(cmd);
	g_free(count);
	g_free(dir);
}

/* A command that hangs (a pinentry nobody answers) is killed. */
static void
test_command_timeout(void)
{
	gint64 t0 = g_get_monotonic_time();
	char *out = NULL;
	GError *error = NULL;

	g_assert_cmpint(config_run_command_timeout("sleep 30", "password_command", 300, &out,
						   &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND);
	g_assert_cmpstr(error->message, ==, "password_command did not finish within 1 second");
	g_assert_null(out);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
	g_clear_error(&error);
	/* one that closes its output but goes on running is killed too */
	g_assert_cmpint(config_run_command_timeout("sh -c 'echo pw; exec >&-; sleep 30'",
						   "password_command", 300, &out, &error), ==, -1);
	g_assert_error(error, CONFIG_ERROR, CONFIG_ERROR_COMMAND);
	g_clear_error(&error);
	g_assert_cmpint(config_run_command_timeout("printf ok", "password_command", 5000, &out,
						   &error), ==, 0);
	g_assert_cmpstr(out, ==, "ok");
	config_secret_free(&out);
}

int
main(int argc, char **argv)
{
	char *xdg = g_dir_make_tmp("tern-test-xdg-XXXXXX", NULL);
	int rc;

	g_setenv("XDG_CONFIG_HOME", xdg, TRUE);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/valid", test_valid);
	g_test_add_func("/config/errors", test_errors);
	g_test_add_func("/config/loopback", test_loopback);
	g_test_add_func("/config/keys", test_keys);
	g_test_add_func("/config/pick-account", test_pick);
	g_test_add_func("/config/file", test_file);
	g_test_add_func("/config/ca-file-no-tls", test_ca_file_no_tls);
	g_test_add_func("/config/default-path", test_default_path);
	g_test_add_func("/config/write-new", test_write_new);
	g_test_add_func("/config/password-command", test_password_command);
	g_test_add_func("/config/command-timeout", test_command_timeout);
	g_test_add_func("/config/secret/token", test_secret_token);
	g_test_add_func("/config/secret/password", test_secret_password);
	rc = g_test_run();
	g_rmdir(xdg);
	g_free(xdg);
	return rc;
}

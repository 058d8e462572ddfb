/* tern — read and check the configuration file (DESIGN.md "Configuration"). */
#include "config.h"

#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config/config-private.h"

G_DEFINE_QUARK(tern-config-error-quark, config_error)

G_STATIC_ASSERT(sizeof(enum config_tls) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_auth) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_layout) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_smtp_auth) == sizeof(int));
G_STATIC_ASSERT(sizeof(enum config_summary_fetch) == sizeof(int));

enum key_kind {
	K_STRING,      /* any non-empty text */
	K_COMMAND,     /* a command line g_shell_parse_argv() can split */
	K_PATH,        /* an existing regular file, "~/" expanded */
	K_HOST,
	K_PORT,
	K_ENUM,        /* one of choices[] */
	K_BOOL,
	K_TIMEOUT,
	K_FINGERPRINT,
	K_DATEFMT,
	K_CHARSET,
	K_ADDRESS,     /* "Name <a@b>" or "a@b" (checked loosely; mime/ parses it) */
	K_ADDRESSES,   /* addresses separated by commas or blanks */
};

struct key_def {
	const char *name;
	enum key_kind kind;
	size_t off;                  /* of the field in struct account / config_ui */
	const char *const *choices;  /* K_ENUM: NULL-terminated, index = value */
};

static const char *const tls_choices[] = { "implicit", "starttls", "none", NULL };
static const char *const auth_choices[] = { "auto", "plain", "login", "xoauth2", "oauthbearer",
					    NULL };
static const char *const smtp_auth_choices[] = { "auto", "plain", "login", "xoauth2",
						 "oauthbearer", "none", NULL };
static const char *const layout_choices[] = { "below", "beside", "full", NULL };
static const char *const summary_fetch_choices[] = { "auto", "envelope", "headers", NULL };

#define ACC(f) offsetof(struct account, f)
static const struct key_def account_keys[] = {
	{ "host", K_HOST, ACC(host), NULL },
	{ "port", K_PORT, ACC(port), NULL },
	{ "tls", K_ENUM, ACC(tls), tls_choices },
	{ "user", K_STRING, ACC(user), NULL },
	{ "password", K_STRING, ACC(password), NULL },
	{ "password_command", K_COMMAND, ACC(password_command), NULL },
	{ "auth", K_ENUM, ACC(auth), auth_choices },
	{ "oauth_token_command", K_COMMAND, ACC(oauth_token_command), NULL },
	{ "oauth_token_lifetime", K_TIMEOUT, ACC(oauth_token_lifetime), NULL },
	{ "ca_file", K_PATH, ACC(ca_file), NULL },
	{ "tls_fingerprint", K_FINGERPRINT, ACC(tls_fingerprint), NULL },
	{ "compress", K_BOOL, ACC(compress), NULL },
	{ "timeout", K_TIMEOUT, ACC(timeout), NULL },
	{ "default", K_BOOL, ACC(is_default), NULL },
	{ "tunnel", K_COMMAND, ACC(tunnel), NULL },
	{ "trash", K_STRING, ACC(trash), NULL },
	{ "archive", K_STRING, ACC(archive), NULL },
	{ "sent", K_STRING, ACC(sent), NULL },
	{ "drafts", K_STRING, ACC(drafts), NULL },
	{ "smtp_host", K_HOST, ACC(smtp_host), NULL },
	{ "smtp_port", K_PORT, ACC(smtp_port), NULL },
	{ "smtp_tls", K_ENUM, ACC(smtp_tls), tls_choices },
	{ "smtp_user", K_STRING, ACC(smtp_user), NULL },
	{ "smtp_auth", K_ENUM, ACC(smtp_auth), smtp_auth_choices },
	{ "smtp_password_command", K_COMMAND, ACC(smtp_password_command), NULL },
	{ "smtp_ca_file", K_PATH, ACC(smtp_ca_file), NULL },
	{ "smtp_tls_fingerprint", K_FINGERPRINT, ACC(smtp_tls_fingerprint), NULL },
	{ "from", K_ADDRESS, ACC(from), NULL },
	{ "alternates", K_ADDRESSES, ACC(alternates), NULL },
	{ "copy_to_sent", K_BOOL, ACC(copy_to_sent), NULL },
	{ "signature_file", K_PATH, ACC(signature_file), NULL },
	{ "signature_command", K_COMMAND, ACC(signature_command), NULL },
	{ "sendmail_command", K_COMMAND, ACC(sendmail_command), NULL },
	{ "address_book_command", K_COMMAND, ACC(address_book_command), NULL },
	{ "pgp_key", K_STRING, ACC(pgp_key), NULL },
	{ "pgp_sign", K_BOOL, ACC(crypt_default_sign), NULL }, /* the old name */
	{ "pgp_encrypt_replies", K_BOOL, ACC(pgp_encrypt_replies), NULL },
	{ "crypt_default_sign", K_BOOL, ACC(crypt_default_sign), NULL },
	{ "crypt_default_encrypt", K_BOOL, ACC(crypt_default_encrypt), NULL },
	{ "crypt_opportunistic_encrypt", K_BOOL, ACC(crypt_opportunistic_encrypt), NULL },
	{ "smime_key", K_STRING, ACC(smime_key), NULL },
	{ "summary_fetch", K_ENUM, ACC(summary_fetch), summary_fetch_choices },
};
enum { AK_HOST, AK_PORT, AK_TLS, AK_USER, AK_PASSWORD, AK_PASSWORD_COMMAND, AK_AUTH,
       AK_OAUTH, AK_OAUTH_LIFETIME, AK_CA_FILE, AK_FINGERPRINT, AK_COMPRESS, AK_TIMEOUT,
       AK_DEFAULT, AK_TUNNEL, AK_TRASH, AK_ARCHIVE, AK_SENT, AK_DRAFTS, AK_SMTP_HOST,
       AK_SMTP_PORT, AK_SMTP_TLS, AK_SMTP_USER, AK_SMTP_AUTH, AK_SMTP_PASSWORD_COMMAND,
       AK_SMTP_CA_FILE, AK_SMTP_FINGERPRINT, AK_FROM, AK_ALTERNATES, AK_COPY_TO_SENT,
       AK_SIGNATURE_FILE, AK_SIGNATURE_COMMAND, AK_SENDMAIL_COMMAND, AK_ADDRESS_BOOK_COMMAND,
       AK_PGP_KEY, AK_PGP_SIGN, AK_PGP_ENCRYPT_REPLIES, AK_CRYPT_DEFAULT_SIGN,
       AK_CRYPT_DEFAULT_ENCRYPT, AK_CRYPT_OPPORTUNISTIC_ENCRYPT, AK_SMIME_KEY, AK_SUMMARY_FETCH,
       AK_COUNT };
G_STATIC_ASSERT(TERN_ARRAY_LEN(account_keys) == AK_COUNT);

#define UI(f) offsetof(struct config_ui, f)
static const struct key_def ui_keys[] = {
	{ "layout", K_ENUM, UI(layout), layout_choices },
	{ "date_format", K_DATEFMT, UI(date_format), NULL },
	{ "threading", K_BOOL, UI(threading), NULL },
	{ "folder_pane", K_BOOL, UI(folder_pane), NULL },
	{ "prefer_html", K_BOOL, UI(prefer_html), NULL },
	{ "html_renderer", K_COMMAND, UI(html_renderer), NULL },
	{ "fallback_charset", K_CHARSET, UI(fallback_charset), NULL },
	{ "archive_folder", K_STRING, UI(archive_folder), NULL },
	{ "confirm_quit", K_BOOL, UI(confirm_quit), NULL },
	{ "save_dir", K_STRING, UI(save_dir), NULL },
	{ "browser", K_COMMAND, UI(browser), NULL },
	{ "osc52", K_BOOL, UI(osc52), NULL },
	{ "poll_interval", K_TIMEOUT, UI(poll_interval), NULL },
	{ "new_mail_command", K_COMMAND, UI(new_mail_command), NULL },
	{ "gpg_timeout", K_TIMEOUT, UI(gpg_timeout), NULL },
	{ "cache_decrypted", K_BOOL, UI(cache_decrypted), NULL },
	{ "preview", K_BOOL, UI(preview), NULL },
};

struct load {
	const char *file;
	GKeyFile *kf;
	struct config *cfg;
	GError **error;
};

/* Line of each account key (0: not set), for messages about combinations. */
struct account_lines {
	int key[AK_COUNT];
	int group;
};

static int G_GNUC_PRINTF(3, 4)
fail_at(struct load *ld, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		g_set_error(ld->error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "%s:%d: %s", ld->file,
			    line, msg);
	else
		g_set_error(ld->error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "%s: %s", ld->file, msg);
	g_free(msg);
	return -1;
}

static void
account_free(gpointer p)
{
	struct account *a = p;

	g_free(a->name);
	g_free(a->host);
	g_free(a->user);
	config_secret_free(&a->password);
	g_free(a->password_command);
	g_free(a->oauth_token_command);
	g_free(a->ca_file);
	g_free(a->tls_fingerprint);
	g_free(a->tunnel);
	g_free(a->trash);
	g_free(a->archive);
	g_free(a->sent);
	g_free(a->drafts);
	g_free(a->smtp_host);
	g_free(a->smtp_user);
	g_free(a->smtp_password_command);
	g_free(a->smtp_ca_file);
	g_free(a->smtp_tls_fingerprint);
	g_free(a->from);
	g_free(a->alternates);
	g_free(a->signature_file);
	g_free(a->signature_command);
	g_free(a->sendmail_command);
	g_free(a->address_book_command);
	g_free(a->pgp_key);
	g_free(a->smime_key);
	g_free(a);
}

void
config_free(struct config **cfg)
{
	struct config *c = *cfg;

	if (c == NULL)
		return;
	g_free(c->path);
	g_ptr_array_unref(c->accounts);
	g_free(c->ui.date_format);
	g_free(c->ui.html_renderer);
	g_free(c->ui.fallback_charset);
	g_free(c->ui.archive_folder);
	g_free(c->ui.save_dir);
	g_free(c->ui.browser);
	g_free(c->ui.new_mail_command);
	g_hash_table_unref(c->keys);
	g_hash_table_unref(c->colors);
	g_ptr_array_unref(c->warnings);
	g_free(c);
	*cfg = NULL;
}

static struct config *
config_new(const char *path)
{
	struct config *c = g_new0(struct config, 1);

	c->path = g_strdup(path);
	c->accounts = g_ptr_array_new_with_free_func(account_free);
	c->ui.layout = CONFIG_LAYOUT_BELOW;
	c->ui.date_format = g_strdup("%Y-%m-%d %H:%M");
	c->ui.folder_pane = true;
	c->ui.preview = true;
	c->ui.poll_interval = 60;
	c->ui.gpg_timeout = 120;
	c->ui.fallback_charset = g_strdup("windows-1252");
	c->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c->colors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c->warnings = g_ptr_array_new_with_free_func(g_free);
	return c;
}

/* GKeyFile's escapes: \s \n \t \r \\. */
static bool
unescape(const char *raw, char **out_r, char *bad_r)
{
	GString *out = g_string_sized_new(strlen(raw));

	for (const char *p = raw; *p != '\0'; p++) {
		if (*p != '\\') {
			g_string_append_c(out, *p);
			continue;
		}
		switch (*++p) {
		case 's': g_string_append_c(out, ' '); break;
		case 'n': g_string_append_c(out, '\n'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case '\\': g_string_append_c(out, '\\'); break;
		default:
			*bad_r = *p;
			g_string_free(out, TRUE);
			return false;
		}
	}
	*out_r = g_string_free(out, FALSE);
	return true;
}

/* The value of group/key: GKeyFile's raw value, surrounding blanks removed,
 * escapes decoded; never empty, no control characters. */
static int
get_value(struct load *ld, const char *group, const struct config_entry *e, char **value_r)
{
	char *raw = g_key_file_get_value(ld->kf, group, e->key, NULL);
	char *value = NULL;
	char bad = 0;

	if (raw == NULL)
		return fail_at(ld, e->line, _("cannot read the value of '%s'"), e->key);
	g_strstrip(raw);
	if (!unescape(raw, &value, &bad)) {
		g_free(raw);
		if (bad == '\0')
			return fail_at(ld, e->line, _("a value may not end with '\\'"));
		return fail_at(ld, e->line, _("unknown escape '\\%c' (use \\s \\n \\t \\r \\\\)"),
			       bad);
	}
	g_free(raw);
	if (value[0] == '\0') {
		g_free(value);
		return fail_at(ld, e->line, _("'%s' has an empty value"), e->key);
	}
	if (strlen(value) > CONFIG_MAX_VALUE_LEN) {
		g_free(value);
		return fail_at(ld, e->line, _("the value of '%s' is too long"), e->key);
	}
	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			config_secret_free(&value);
			return fail_at(ld, e->line, _("control character in the value of '%s'"),
				       e->key);
		}
	}
	*value_r = value;
	return 0;
}

static const struct key_def *
find_key(const struct key_def *defs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

static int
parse_enum(struct load *ld, const struct config_entry *e, const struct key_def *def,
	   const char *value, int *field)
{
	char *list;

	for (int i = 0; def->choices[i] != NULL; i++) {
		if (g_ascii_strcasecmp(value, def->choices[i]) == 0) {
			*field = i;
			return 0;
		}
	}
	list = g_strjoinv(" | ", (char **)def->choices);
	fail_at(ld, e->line, _("%s must be one of %s, not '%s'"), e->key, list, value);
	g_free(list);
	return -1;
}

/* A loose check of an address in the config ("Name <a@b>" or "a@b"): the
 * message builder parses it for real. */
static bool
address_is_plausible(const char *s, char **msg_r)
{
	const char *lt = strrchr(s, '<');
	const char *addr = lt != NULL ? lt + 1 : s;
	size_t len = lt != NULL ? strcspn(addr, ">") : strlen(addr);
	const char *at = memchr(addr, '@', len);

	if (at != NULL && at > addr && at < addr + len - 1 && (lt == NULL || addr[len] == '>') &&
	    memchr(addr, ' ', len) == NULL)
		return true;
	*msg_r = g_strdup_printf(_("'%s' is not an e-mail address (write a@example.org or "
				   "Name <a@example.org>)"), s);
	return false;
}

static int
check_string_kind(struct load *ld, const struct config_entry *e, enum key_kind kind,
		  char **value)
{
	char *msg = NULL, *other = NULL;

	switch (kind) {
	case K_COMMAND:
		if (!config_check_command(*value, &msg))
			break;
		return 0;
	case K_HOST:
		if (!config_check_host(*value, &other, &msg))
			break;
		g_free(*value);
		*value = other;
		return 0;
	case K_PATH:
		other = config_expand_home(*value);
		g_free(*value);
		*value = other;
		if (!g_file_test(*value, G_FILE_TEST_IS_REGULAR)) {
			msg = g_strdup_printf(_("%s: no such file '%s'"), e->key, *value);
			break;
		}
		return 0;
	case K_DATEFMT: {
		GDateTime *dt = g_date_time_new_from_unix_utc(0);
		char *s = g_date_time_format(dt, *value);

		g_date_time_unref(dt);
		g_free(s);
		if (s == NULL) {
			msg = g_strdup_printf(_("invalid date format '%s'"), *value);
			break;
		}
		return 0;
	}
	case K_ADDRESS:
		if (!address_is_plausible(*value, &msg))
			break;
		return 0;
	case K_ADDRESSES: {
		char **words = g_strsplit_set(*value, ", \t", -1);
		bool good = true;

		for (char **w = words; *w != NULL && good; w++)
			good = **w == '\0' || address_is_plausible(*w, &msg);
		g_strfreev(words);
		if (!good)
			break;
		return 0;
	}
	case K_CHARSET: {
		GIConv cd = g_iconv_open("UTF-8", *value);

		if (cd == (GIConv)-1) {
			msg = g_strdup_printf(_("unknown character set '%s'"), *value);
			break;
		}
		g_iconv_close(cd);
		return 0;
	}
	default:
		return 0;
	}
	fail_at(ld, e->line, "%s", msg);
	g_free(msg);
	return -1;
}

/* Parse one value into the field of base that def describes. */
static int
parse_key(struct load *ld, const struct config_entry *e, const struct key_def *def,
	  const char *value_in, void *base)
{
	void *field = (char *)base + def->off;
	char *value, *canon = NULL;
	guint n;

	switch (def->kind) {
	case K_PORT:
		if (!config_parse_uint(value_in, 1, 65535, &n))
			return fail_at(ld, e->line, _("port must be a number from 1 to 65535, "
						      "not '%s'"), value_in);
		*(guint *)field = n;
		return 0;
	case K_TIMEOUT:
		if (!config_parse_uint(value_in, 1, CONFIG_MAX_TIMEOUT, &n))
			return strcmp(e->key, "timeout") == 0 ?
				fail_at(ld, e->line, _("timeout must be a number of seconds from "
						       "1 to %d, not '%s'"),
					CONFIG_MAX_TIMEOUT, value_in) :
				fail_at(ld, e->line, _("%s must be a number of seconds from 1 to %d, "
						       "not '%s'"),
					e->key, CONFIG_MAX_TIMEOUT, value_in);
		*(guint *)field = n;
		return 0;
	case K_BOOL:
		if (!config_parse_bool(value_in, (bool *)field))
			return fail_at(ld, e->line, _("%s must be true or false, not '%s'"),
				       e->key, value_in);
		return 0;
	case K_ENUM:
		return parse_enum(ld, e, def, value_in, (int *)field);
	case K_FINGERPRINT: {
		struct account *a = base;
		bool smtp = def->off == ACC(smtp_tls_fingerprint);

		if (!config_parse_fingerprint(value_in, smtp ? a->smtp_tls_fingerprint_sha256 :
							       a->tls_fingerprint_sha256, &canon))
			return fail_at(ld, e->line, _("%s must be "
						      "\"sha256:\" and 32 bytes in hex "
						      "(AB:CD:...), not '%s'"), e->key, value_in);
		g_free(*(char **)field);
		*(char **)field = canon;
		return 0;
	}
	default:
		break;
	}
	value = g_strdup(value_in);
	if (check_string_kind(ld, e, def->kind, &value) < 0) {
		g_free(value);
		return -1;
	}
	g_free(*(char **)field);
	*(char **)field = value;
	return 0;
}

/* Read every key of a group against a table. lines_r (may be NULL) gets the
 * line of each key by table index. */
static int
parse_table_group(struct load *ld, const struct config_group *g, const struct key_def *defs,
		  size_t ndefs, void *base, int *lines_r)
{
	for (guint i = 0; i < g->entries->len; i++) {
		const struct config_entry *e = g->entries->pdata[i];
		const struct key_def *def = find_key(defs, ndefs, e->key);
		char *value = NULL;
		int rc;

		if (def == NULL)
			return fail_at(ld, e->line, _("unknown key '%s' in [%s]"), e->key,
				       g->name);
		if (get_value(ld, g->name, e, &value) < 0)
			return -1;
		rc = parse_key(ld, e, def, value, base);
		config_secret_free(&value);
		if (rc < 0)
			return -1;
		if (lines_r != NULL)
			lines_r[def - defs] = e->line;
	}
	return 0;
}

static int
later(int a, int b)
{
	return a > b ? a : b;
}

/* Combinations of keys in one account. */
static int
check_tunnel(struct load *ld, struct account *a, const struct account_lines *l)
{
	static const int meaningless[] = { AK_PORT, AK_TLS, AK_CA_FILE, AK_FINGERPRINT };

	if (a->host != NULL)
		return fail_at(ld, later(l->key[AK_HOST], l->key[AK_TUNNEL]),
			       _("account '%s' has both 'host' and 'tunnel': choose one"),
			       a->name);
	for (size_t i = 0; i < TERN_ARRAY_LEN(meaningless); i++) {
		int k = meaningless[i];

		if (l->key[k] != 0)
			return fail_at(ld, l->key[k],
				       _("'%s' has no meaning with 'tunnel' (account '%s')"),
				       account_keys[k].name, a->name);
	}
	a->tls = CONFIG_TLS_NONE;
	return 0;
}

static int
check_host(struct load *ld, struct account *a, const struct account_lines *l)
{
	if (l->key[AK_PORT] == 0)
		a->port = a->tls == CONFIG_TLS_IMPLICIT ? 993 : 143;
	if (a->tls == CONFIG_TLS_NONE && !config_host_is_loopback(a->host))
		return fail_at(ld, l->key[AK_TLS],
			       _("tls = none is only allowed for a loopback host (localhost, "
				 "127.0.0.1, ::1), not '%s'"), a->host);
	if (a->tls == CONFIG_TLS_NONE && l->key[AK_FINGERPRINT] != 0)
		return fail_at(ld, l->key[AK_FINGERPRINT],
			       _("tls_fingerprint has no meaning with tls = none"));
	if (a->tls == CONFIG_TLS_NONE && l->key[AK_CA_FILE] != 0)
		g_ptr_array_add(ld->cfg->warnings,
				g_strdup_printf(_("%s:%d: ca_file has no effect with tls = none "
						  "(account '%s'): ignored"),
						ld->file, l->key[AK_CA_FILE], a->name));
	if (a->user == NULL)
		return fail_at(ld, l->group, _("account '%s' needs 'user'"), a->name);
	return 0;
}

/* The sending keys of one account. */
static int
check_smtp(struct load *ld, struct account *a, const struct account_lines *l)
{
	static const int need_host[] = { AK_SMTP_PORT, AK_SMTP_TLS, AK_SMTP_USER, AK_SMTP_AUTH,
					 AK_SMTP_PASSWORD_COMMAND, AK_SMTP_CA_FILE,
					 AK_SMTP_FINGERPRINT };

	if (a->smtp_host != NULL && a->sendmail_command != NULL)
		return fail_at(ld, later(l->key[AK_SMTP_HOST], l->key[AK_SENDMAIL_COMMAND]),
			       _("account '%s' has both 'smtp_host' and 'sendmail_command': "
				 "choose one"), a->name);
	if (a->smtp_host == NULL) {
		for (size_t i = 0; i < TERN_ARRAY_LEN(need_host); i++)
			if (l->key[need_host[i]] != 0)
				return fail_at(ld, l->key[need_host[i]],
					       _("'%s' has no meaning without 'smtp_host' "
						 "(account '%s')"),
					       account_keys[need_host[i]].name, a->name);
		return 0;
	}
	if (l->key[AK_SMTP_PORT] == 0)
		a->smtp_port = a->smtp_tls == CONFIG_TLS_IMPLICIT ? 465 :
			       a->smtp_tls == CONFIG_TLS_STARTTLS ? 587 : 25;
	if (a->smtp_tls == CONFIG_TLS_NONE && !config_host_is_loopback(a->smtp_host))
		return fail_at(ld, l->key[AK_SMTP_TLS],
			       _("smtp_tls = none is only allowed for a loopback smtp_host "
				 "(localhost, 127.0.0.1, ::1), not '%s'"), a->smtp_host);
	if (a->smtp_tls == CONFIG_TLS_NONE &&
	    (l->key[AK_SMTP_FINGERPRINT] != 0 || l->key[AK_SMTP_CA_FILE] != 0))
		return fail_at(ld, later(l->key[AK_SMTP_FINGERPRINT], l->key[AK_SMTP_CA_FILE]),
			       _("smtp_ca_file and smtp_tls_fingerprint have no meaning with "
				 "smtp_tls = none"));
	if ((a->smtp_auth == CONFIG_SMTP_AUTH_XOAUTH2 ||
	     a->smtp_auth == CONFIG_SMTP_AUTH_OAUTHBEARER) && a->oauth_token_command == NULL)
		return fail_at(ld, l->key[AK_SMTP_AUTH], _("smtp_auth = %s needs "
							   "'oauth_token_command'"),
			       smtp_auth_choices[a->smtp_auth]);
	if (a->smtp_auth != CONFIG_SMTP_AUTH_NONE && account_smtp_user(a) == NULL)
		return fail_at(ld, l->group, _("account '%s' needs 'smtp_user' (or smtp_auth = "
					       "none)"), a->name);
	return 0;
}

static int
check_account(struct load *ld, struct account *a, const struct account_lines *l)
{
	if (a->host == NULL && a->tunnel == NULL)
		return fail_at(ld, l->group, _("account '%s' needs 'host' or 'tunnel'"),
			       a->name);
	if (a->tunnel != NULL ? check_tunnel(ld, a, l) < 0 : check_host(ld, a, l) < 0)
		return -1;
	if (a->password != NULL && a->password_command != NULL)
		return fail_at(ld, later(l->key[AK_PASSWORD], l->key[AK_PASSWORD_COMMAND]),
			       _("account '%s' has both 'password' and 'password_command': "
				 "choose one"), a->name);
	if ((a->auth == CONFIG_AUTH_XOAUTH2 || a->auth == CONFIG_AUTH_OAUTHBEARER) &&
	    a->oauth_token_command == NULL)
		return fail_at(ld, l->key[AK_AUTH],
			       _("auth = %s needs 'oauth_token_command'"),
			       auth_choices[a->auth]);
	if (l->key[AK_PGP_SIGN] != 0 && l->key[AK_CRYPT_DEFAULT_SIGN] != 0)
		return fail_at(ld, later(l->key[AK_PGP_SIGN], l->key[AK_CRYPT_DEFAULT_SIGN]),
			       _("pgp_sign is the old name of crypt_default_sign: set only one "
				 "(account '%s')"), a->name);
	return check_smtp(ld, a, l);
}

static int
parse_account(struct load *ld, const struct config_group *g, const char *name_text)
{
	struct account_lines lines = { { 0 }, g->line };
	struct account *a;
	char *name = g_strstrip(g_strdup(name_text));

	if (!config_name_is_valid(name)) {
		fail_at(ld, g->line, _("invalid account name '%s' (use letters, digits and . _ @ "
				       "+ -)"), name);
		g_free(name);
		return -1;
	}
	const struct account *dup = config_find_account(ld->cfg, name);
	if (dup != NULL) {
		fail_at(ld, g->line, _("account '%s' is already defined on line %d"), name,
			dup->line);
		g_free(name);
		return -1;
	}
	if (ld->cfg->accounts->len >= CONFIG_MAX_ACCOUNTS) {
		g_free(name);
		return fail_at(ld, g->line, _("too many accounts (at most %d)"),
			       CONFIG_MAX_ACCOUNTS);
	}
	a = g_new0(struct account, 1);
	a->name = name;
	a->line = g->line;
	a->tls = CONFIG_TLS_IMPLICIT;
	a->auth = CONFIG_AUTH_AUTO;
	a->summary_fetch = CONFIG_SUMMARY_FETCH_AUTO;
	a->compress = true;
	a->timeout = 60;
	a->oauth_token_lifetime = CONFIG_OAUTH_TOKEN_LIFETIME;
	a->smtp_tls = CONFIG_TLS_IMPLICIT;
	a->copy_to_sent = true;
	a->pgp_encrypt_replies = true;
	g_ptr_array_add(ld->cfg->accounts, a);
	if (parse_table_group(ld, g, account_keys, TERN_ARRAY_LEN(account_keys), a,
			      lines.key) < 0)
		return -1;
	return check_account(ld, a, &lines);
}

/* [keys] binds in every pane, [keys CONTEXT] in one: stored as
 * "CONTEXT/action" (the interface checks the context names). */
static int
parse_keys_group(struct load *ld, const struct config_group *g, const char *context)
{
	for (guint i = 0; i < g->entries->len; i++) {
		const struct config_entry *e = g->entries->pdata[i];
		char *value = NULL, *canon = NULL;

		if (!config_ident_is_valid(e->key))
			return fail_at(ld, e->line, _("invalid action name '%s'"), e->key);
		if (get_value(ld, g->name, e, &value) < 0)
			return -1;
		if (!config_parse_keys(value, &canon)) {
			fail_at(ld, e->line, _("invalid key '%s' (expected a character, C-x, M-x, "
					       "or a key name such as Down, PageDown, Enter, "
					       "Tab, Space, F1)"), value);
			g_free(value);
			return -1;
		}
		g_free(value);
		g_hash_table_replace(ld->cfg->keys,
				     context != NULL ? g_strdup_printf("%s/%s", context, e->key) :
						       g_strdup(e->key),
				     canon);
	}
	return 0;
}

static int
parse_colors_group(struct load *ld, const struct config_group *g)
{
	for (guint i = 0; i < g->entries->len; i++) {
		const struct config_entry *e = g->entries->pdata[i];
		struct config_color c;
		char *value = NULL, *msg = NULL;

		if (!config_ident_is_valid(e->key))
			return fail_at(ld, e->line, _("invalid element name '%s'"), e->key);
		if (get_value(ld, g->name, e, &value) < 0)
			return -1;
		if (!config_parse_color(value, &c, &msg)) {
			fail_at(ld, e->line, "%s", msg);
			g_free(msg);
			g_free(value);
			return -1;
		}
		g_free(value);
		g_hash_table_replace(ld->cfg->colors, g_strdup(e->key),
				     g_memdup2(&c, sizeof(c)));
	}
	return 0;
}

static int
parse_group(struct load *ld, const struct config_group *g)
{
	if (g_str_has_prefix(g->name, "account") &&
	    (g->name[7] == '\0' || g_ascii_isspace(g->name[7]))) {
		if (g->name[7] == '\0' || g->name[strspn(g->name + 7, " \t") + 7] == '\0')
			return fail_at(ld, g->line, _("missing account name: write [account NAME]"));
		return parse_account(ld, g, g->name + 7);
	}
	if (strcmp(g->name, "ui") == 0)
		return parse_table_group(ld, g, ui_keys, TERN_ARRAY_LEN(ui_keys), &ld->cfg->ui,
					 NULL);
	if (strcmp(g->name, "keys") == 0)
		return parse_keys_group(ld, g, NULL);
	if (g_str_has_prefix(g->name, "keys ")) {
		const char *ctx = g->name + 5 + strspn(g->name + 5, " \t");

		if (strcmp(ctx, "list") != 0 && strcmp(ctx, "viewer") != 0 &&
		    strcmp(ctx, "folders") != 0 && strcmp(ctx, "compose") != 0)
			return fail_at(ld, g->line, _("unknown key context [keys %s] (expected "
						      "list, viewer, folders or compose)"), ctx);
		return parse_keys_group(ld, g, ctx);
	}
	if (strcmp(g->name, "colors") == 0)
		return parse_colors_group(ld, g);
	return fail_at(ld, g->line, _("unknown group [%s] (expected [account NAME], [ui], "
				      "[keys], [keys CONTEXT] or [colors])"), g->name);
}

/* At most one default account; at least one account. */
static int
check_accounts(struct load *ld, const struct config_scan *scan)
{
	const struct account *def = NULL;

	if (ld->cfg->accounts->len == 0)
		return fail_at(ld, 0, _("no account is configured (add an [account NAME] "
					"group)"));
	for (guint i = 0; i < ld->cfg->accounts->len; i++) {
		const struct account *a = ld->cfg->accounts->pdata[i];

		if (!a->is_default)
			continue;
		if (def != NULL) {
			int line = a->line;

			/* point at the "default" line of the second account */
			for (guint j = 0; j < scan->groups->len; j++) {
				const struct config_group *g = scan->groups->pdata[j];

				for (guint k = 0; g->line == a->line && k < g->entries->len; k++) {
					const struct config_entry *e = g->entries->pdata[k];

					if (strcmp(e->key, "default") == 0)
						line = e->line;
				}
			}
			return fail_at(ld, line, _("accounts '%s' and '%s' both say default = "
						   "true"), def->name, a->name);
		}
		def = a;
	}
	return 0;
}

int
config_load_data(const char *name, const char *data, gsize len, struct config **cfg_r,
		 GError **error)
{
	struct config_scan *scan = NULL;
	struct load ld = { name, NULL, NULL, error };
	GError *kf_error = NULL;
	char *msg = NULL;
	int line = 0, rc = -1;

	if (len > CONFIG_MAX_FILE_SIZE)
		return fail_at(&ld, 0, _("the file is too large"));
	if (config_scan(data, len, &scan, &line, &msg) < 0) {
		fail_at(&ld, line, "%s", msg);
		g_free(msg);
		return -1;
	}
	ld.kf = g_key_file_new();
	if (!g_key_file_load_from_data(ld.kf, data, len, G_KEY_FILE_NONE, &kf_error)) {
		fail_at(&ld, 0, "%s", kf_error->message);
		g_error_free(kf_error);
		goto out;
	}
	ld.cfg = config_new(name);
	for (guint i = 0; i < scan->groups->len; i++)
		if (parse_group(&ld, scan->groups->pdata[i]) < 0)
			goto out;
	if (check_accounts(&ld, scan) < 0)
		goto out;
	*cfg_r = g_steal_pointer(&ld.cfg);
	rc = 0;
out:
	config_free(&ld.cfg);
	g_key_file_free(ld.kf);
	config_scan_free(&scan);
	return rc;
}

char *
config_default_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "tern", "config", NULL);
}

/* Read the whole file, bounded; st_r gets its mode. */
static int
read_file(const char *path, char **data_r, gsize *len_r, struct stat *st_r, GError **error)
{
	GString *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int saved;

	if (fd < 0) {
		saved = errno;
		g_set_error(error, CONFIG_ERROR,
			    saved == ENOENT ? CONFIG_ERROR_MISSING : CONFIG_ERROR_IO,
			    _("%s: cannot open: %s"), path, g_strerror(saved));
		return -1;
	}
	if (fstat(fd, st_r) < 0 || !S_ISREG(st_r->st_mode)) {
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_IO, _("%s: not a regular file"),
			    path);
		close(fd);
		return -1;
	}
	buf = g_string_new(NULL);
	for (;;) {
		char chunk[8192];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf->len + (gsize)n > CONFIG_MAX_FILE_SIZE) {
			saved = n < 0 ? errno : EFBIG;
			g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_IO, _("%s: cannot read: %s"),
				    path, g_strerror(saved));
			g_string_free(buf, TRUE);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	*len_r = buf->len;
	*data_r = g_string_free(buf, FALSE);
	return 0;
}

int
config_load(const char *path, struct config **cfg_r, GError **error)
{
	char *default_path = path == NULL ? config_default_path() : NULL;
	const char *file = path != NULL ? path : default_path;
	struct config *cfg = NULL;
	struct stat st;
	char *data = NULL;
	gsize len = 0;
	int rc = -1;

	if (read_file(file, &data, &len, &st, error) < 0)
		goto out;
	if (config_load_data(file, data, len, &cfg, error) < 0)
		goto out;
	for (guint i = 0; i < cfg->accounts->len; i++) {
		const struct account *a = cfg->accounts->pdata[i];

		if (a->password != NULL && (st.st_mode & 077) != 0) {
			g_ptr_array_add(cfg->warnings,
					g_strdup_printf(_("%s: this file holds a password and other "
							  "users can read it (chmod 600 %s)"),
							file, file));
			break;
		}
	}
	*cfg_r = cfg;
	rc = 0;
out:
	if (data != NULL)
		memset(data, 0, len);
	g_free(data);
	g_free(default_path);
	return rc;
}

const struct account *
config_find_account(const struct config *cfg, const char *name)
{
	for (guint i = 0; i < cfg->accounts->len; i++) {
		const struct account *a = cfg->accounts->pdata[i];

		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

static char *
account_names(const struct config *cfg)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < cfg->accounts->len; i++) {
		const struct account *a = cfg->accounts->pdata[i];

		g_string_append_printf(s, i > 0 ? ", %s" : "%s", a->name);
	}
	return g_string_free(s, FALSE);
}

const struct account *
config_pick_account(const struct config *cfg, const char *name, GError **error)
{
	const struct account *a = NULL;
	char *names;

	if (name != NULL)
		a = config_find_account(cfg, name);
	else if (cfg->accounts->len == 1)
		a = cfg->accounts->pdata[0];
	else
		for (guint i = 0; i < cfg->accounts->len && a == NULL; i++)
			if (((const struct account *)cfg->accounts->pdata[i])->is_default)
				a = cfg->accounts->pdata[i];
	if (a != NULL)
		return a;
	names = account_names(cfg);
	if (name != NULL)
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_ACCOUNT,
			    _("no account named '%s' in %s; accounts: %s"), name, cfg->path, names);
	else
		g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_ACCOUNT,
			    _("%s has several accounts and none says default = true: choose one "
			      "with -a (%s)"), cfg->path, names);
	g_free(names);
	return NULL;
}

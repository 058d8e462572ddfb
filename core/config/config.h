/* tern — the configuration file and its accounts (DESIGN.md "Configuration").
 *
 * The file is an INI file read with GKeyFile: `[account NAME]` groups, one
 * `[ui]`, `[keys]` and `[colors]`. Every key is checked; an unknown group or
 * key, a bad value or an inconsistent account is an error "FILE:LINE: message"
 * and no configuration is returned at all. Surrounding whitespace of a value
 * is ignored (write `\s` for a space that matters); GKeyFile's escapes
 * `\s \n \t \r \\` are understood, and control characters are refused.
 *
 * Nothing here prints: warnings are collected in struct config for the caller
 * to show. Messages are translated with _(). */
#ifndef TERN_CORE_CONFIG_H
#define TERN_CORE_CONFIG_H

#include "core/common.h"

#define CONFIG_ERROR (config_error_quark())
GQuark config_error_quark(void);

enum config_error_code {
	CONFIG_ERROR_MISSING,     /* the file does not exist (first run) */
	CONFIG_ERROR_IO,          /* it exists but cannot be read or written */
	CONFIG_ERROR_INVALID,     /* syntax or value error: "FILE:LINE: ..." */
	CONFIG_ERROR_ACCOUNT,     /* config_pick_account(): no such / ambiguous */
	CONFIG_ERROR_NO_PASSWORD, /* neither password nor password_command: ask */
	CONFIG_ERROR_COMMAND,     /* password/oauth_token command failed */
};

enum config_tls {
	CONFIG_TLS_IMPLICIT, /* TLS from the first byte (port 993) */
	CONFIG_TLS_STARTTLS, /* plain then STARTTLS, required (port 143) */
	CONFIG_TLS_NONE,     /* clear text; loopback hosts and tunnels only */
};

enum config_auth {
	CONFIG_AUTH_AUTO,
	CONFIG_AUTH_PLAIN,
	CONFIG_AUTH_LOGIN,
	CONFIG_AUTH_XOAUTH2,
	CONFIG_AUTH_OAUTHBEARER,
};

/* How tern authenticates to the SMTP server (smtp_auth). */
enum config_smtp_auth {
	CONFIG_SMTP_AUTH_AUTO,
	CONFIG_SMTP_AUTH_PLAIN,
	CONFIG_SMTP_AUTH_LOGIN,
	CONFIG_SMTP_AUTH_XOAUTH2,
	CONFIG_SMTP_AUTH_OAUTHBEARER,
	CONFIG_SMTP_AUTH_NONE, /* no AUTH at all (a local relay) */
};

/* How summaries ask for the envelope (summary_fetch): decided per server
 * by a one-time probe, or fixed. */
enum config_summary_fetch {
	CONFIG_SUMMARY_FETCH_AUTO,
	CONFIG_SUMMARY_FETCH_ENVELOPE,
	CONFIG_SUMMARY_FETCH_HEADERS,
};

enum config_layout {
	CONFIG_LAYOUT_BELOW,  /* viewer below the message list */
	CONFIG_LAYOUT_BESIDE, /* viewer to the right of the message list */
	CONFIG_LAYOUT_FULL,   /* an open message replaces the list (mutt's pager) */
};

/* Caps on what a config file may hold. */
#define CONFIG_MAX_FILE_SIZE (1024 * 1024)
#define CONFIG_MAX_VALUE_LEN 4096
#define CONFIG_MAX_ACCOUNTS 64
#define CONFIG_MAX_NAME_LEN 64     /* account, action and color element names */
#define CONFIG_MAX_TIMEOUT 86400   /* seconds */
#define CONFIG_MAX_COMMAND_OUTPUT (64 * 1024)
#define CONFIG_COMMAND_TIMEOUT 120 /* seconds a password or token command may take */
#define CONFIG_OAUTH_TOKEN_LIFETIME 3000 /* seconds a token is used, by default */

/* One account. All strings are UTF-8, NULL when not set; the struct and its
 * strings belong to the struct config that holds it. */
struct account {
	char *name;            /* from "[account NAME]": [A-Za-z0-9._@+-], not starting with '.' */
	char *host;            /* NULL for a tunnel account; IDN hosts are stored in ASCII form */
	guint port;            /* 993 for implicit TLS, 143 otherwise, unless set */
	enum config_tls tls;   /* CONFIG_TLS_NONE for a tunnel account */
	char *user;
	char *password;        /* at most one of password / password_command */
	char *password_command;
	enum config_auth auth;
	char *oauth_token_command; /* required for xoauth2 / oauthbearer */
	guint oauth_token_lifetime; /* seconds a token is used before the command runs again */
	char *ca_file;         /* "~/" expanded */
	char *tls_fingerprint; /* canonical "sha256:AB:CD:..." or NULL */
	guint8 tls_fingerprint_sha256[32]; /* the same, as bytes (when set) */
	bool compress;         /* default true */
	guint timeout;         /* seconds without progress, default 60, 1..CONFIG_MAX_TIMEOUT */
	bool is_default;       /* "default = true" */
	char *tunnel;          /* command whose stdin/stdout is the IMAP stream */
	/* Folder names for servers without SPECIAL-USE (NULL: ask the server). */
	char *trash;
	char *archive;
	char *sent;
	char *drafts;
	/* Sending (DESIGN.md "Sending"); NULL / defaults when not set. */
	char *smtp_host;       /* IDN in ASCII form; NULL: no SMTP (sendmail_command, or none) */
	guint smtp_port;       /* 465 implicit, 587 starttls, 25 none, unless set */
	enum config_tls smtp_tls; /* default implicit; none only to a loopback smtp_host */
	char *smtp_user;       /* NULL: user */
	enum config_smtp_auth smtp_auth;
	char *smtp_password_command; /* NULL: the IMAP secret */
	char *smtp_ca_file;    /* NULL: ca_file */
	char *smtp_tls_fingerprint; /* canonical, or NULL (the IMAP pin does not carry) */
	guint8 smtp_tls_fingerprint_sha256[32];
	char *from;            /* "Name <addr>" or "addr"; NULL: user when it is an address */
	char *alternates;      /* more addresses of the user, separated by commas or blanks */
	bool copy_to_sent;     /* default true */
	char *signature_file;  /* "~/" expanded */
	char *signature_command;
	char *sendmail_command; /* run without a shell instead of SMTP */
	char *address_book_command; /* mutt's query_command: run without a shell, the
				       query as its last argument; NULL: none */
	/* PGP/MIME for outgoing mail (issue 15 c). */
	char *pgp_key;         /* the signing key (fingerprint, id or address);
				  NULL: the secret key for the From address */
	/* Signing and encrypting by default (ui/send.c send_protect_defaults()
	 * turns these into a message's choice); all default false. */
	bool crypt_default_sign;    /* sign every message ("pgp_sign", the old name) */
	bool crypt_default_encrypt; /* encrypt every message (refused when a key is
				       missing, as an explicit choice is) */
	bool crypt_opportunistic_encrypt; /* encrypt when every recipient has a
					     usable key, else send in clear */
	bool pgp_encrypt_replies; /* a reply to an encrypted message starts with
				     encryption on; default true */
	char *smime_key;       /* an S/MIME certificate (fingerprint or address, as
				  gpgsm knows it): outgoing mail is signed and
				  encrypted with S/MIME instead of PGP/MIME; NULL */
	enum config_summary_fetch summary_fetch; /* default auto */
	int line; /* line of the first "[account NAME]" header, for messages */
};

/* A colour pair for one screen element ("fg bg [bold|underline|reverse]..."). */
#define CONFIG_COLOR_DEFAULT (-1)
#define CONFIG_ATTR_BOLD 0x1u
#define CONFIG_ATTR_UNDERLINE 0x2u
#define CONFIG_ATTR_REVERSE 0x4u
struct config_color {
	int fg;             /* CONFIG_COLOR_DEFAULT, or 0..255 (8..15 = brightX) */
	int bg;
	unsigned int attrs; /* CONFIG_ATTR_* */
};

struct config_ui {
	enum config_layout layout;   /* default below */
	char *date_format;           /* g_date_time_format() format, default "%Y-%m-%d %H:%M" */
	bool threading;              /* default false */
	bool folder_pane;            /* default true */
	bool prefer_html;            /* default false */
	char *html_renderer;         /* mailcap-style command ("%s" = file, else stdin) or NULL */
	char *fallback_charset;      /* for 8-bit text without a charset, default "windows-1252" */
	char *archive_folder;        /* NULL: the \Archive special-use folder */
	bool confirm_quit;           /* q on the list asks first; default false */
	char *save_dir;              /* where the viewer saves (prompt default), or NULL:
				      * the current directory */
	char *browser;               /* command that opens a link (the URL is added as
				      * its last word), or NULL: $BROWSER, else xdg-open */
	bool osc52;                  /* y in the links prompt copies a link to the
				      * terminal's clipboard (OSC 52); default false:
				      * over SSH it reaches the local machine */
	guint poll_interval;         /* s between checks without NOTIFY/IDLE, default 60 */
	char *new_mail_command;      /* run without a shell with the folder and the
				      * count added as two words on new mail, or NULL */
	guint gpg_timeout;           /* s the interface waits for gpg-agent (and its
				      * pinentry) to sign a message, default 120 */
	bool cache_decrypted;        /* the viewer puts a decrypted message's text in
				      * the cache's full-text index; default false:
				      * nothing decrypted is written */
	bool preview;                /* the list's preview column (and PREVIEW in the
				      * summaries) where the server offers PREVIEW;
				      * default true */
};

struct config {
	char *path;           /* the file read (as given, or the default path) */
	GPtrArray *accounts;  /* struct account *, in file order, at least one */
	struct config_ui ui;
	GHashTable *keys;     /* action (char *) -> canonical key specs (char *, space
	                       * separated); "CONTEXT/action" from [keys CONTEXT] */
	GHashTable *colors;   /* element (char *) -> struct config_color * */
	GPtrArray *warnings;  /* char *, "FILE: message", translated; may be empty */
};

/* Path of the default file: $XDG_CONFIG_HOME/tern/config. Transfer full. */
char *config_default_path(void);

/* Read and check a configuration file; path NULL means config_default_path().
 * On success *cfg_r is set (free with config_free()) and 0 is returned. On
 * failure -1 with error set and *cfg_r untouched: CONFIG_ERROR_MISSING when
 * the file does not exist, CONFIG_ERROR_IO when it cannot be read,
 * CONFIG_ERROR_INVALID with "FILE:LINE: message" otherwise. A file that holds
 * a password and can be read by group or others adds a warning. */
int config_load(const char *path, struct config **cfg_r, GError **error);

/* The same from text in memory; name is used in messages (and as cfg->path).
 * No file-mode warning is made. */
int config_load_data(const char *name, const char *data, gsize len, struct config **cfg_r,
		     GError **error);

void config_free(struct config **cfg);

/* Choose the account: the one called name when name != NULL, else the one
 * with default = true, else the only one. Returns NULL with error
 * CONFIG_ERROR_ACCOUNT when there is no such account or several without a
 * default. Transfer none: valid as long as cfg. */
const struct account *config_pick_account(const struct config *cfg, const char *name,
					  GError **error);

/* The account called name, or NULL. Transfer none. */
const struct account *config_find_account(const struct config *cfg, const char *name);

/* The password: `password`, or the output of `password_command` run without
 * a shell (words split like a shell would, a leading "~/" expanded), stdin
 * from /dev/null, stdout read up to CONFIG_MAX_COMMAND_OUTPUT, trailing CR/LF
 * removed. Fails (CONFIG_ERROR_COMMAND) when the command cannot run, exits
 * non-zero, prints nothing or more than one line; CONFIG_ERROR_NO_PASSWORD when
 * neither key is set (the caller may prompt). Blocks until the command ends.
 * *password_r is transfer full: free it with config_secret_free(). */
int account_get_password(const struct account *a, char **password_r, GError **error);

/* The SMTP secret: the OAuth token for smtp_auth xoauth2/oauthbearer, else
 * the output of smtp_password_command, else account_get_password(). As
 * account_get_password(); transfer full (config_secret_free()). */
int account_get_smtp_secret(const struct account *a, char **secret_r, GError **error);
/* The SMTP login name: smtp_user, else user (may be NULL). Transfer none. */
const char *account_smtp_user(const struct account *a);

/* The OAuth bearer token from oauth_token_command, as above. */
int account_get_oauth_token(const struct account *a, char **token_r, GError **error);

/* Overwrite a secret with zeros and free it; sets *secret to NULL. */
void config_secret_free(char **secret);

/* Run a command of the config (password_command style: no shell) and return
 * its one line of output. what names it in messages ("password_command").
 * The command is killed, and the call fails, when it has not finished within
 * CONFIG_COMMAND_TIMEOUT seconds (timeout_ms for the second form). The
 * caller's main loop does not run meanwhile. Transfer full. */
int config_run_command(const char *command, const char *what, char **output_r,
		       GError **error);
int config_run_command_timeout(const char *command, const char *what, guint timeout_ms,
			       char **output_r, GError **error);

/* ---- The secret an account logs in with, for all its connections ---------
 *
 * One lookup for the CLI and the interface. The source is chosen once:
 * oauth_token_command (auth = xoauth2 / oauthbearer), else password, else
 * password_command, else nothing for a tunnel (PREAUTH), else a password the
 * caller asks for and hands over with account_secret_set().
 *
 * - a password (from the file, the command or typed) is kept in memory and
 *   used for every reconnect; password_command runs again only after
 *   account_secret_refused();
 * - an OAuth token is fetched again when it is older than the account's
 *   oauth_token_lifetime, or after account_secret_refused(). */
struct account_secret;

/* account must outlive it. Transfer full (account_secret_free()). Runs
 * nothing yet. */
struct account_secret *account_secret_new(const struct account *account);
/* Wipes the kept secret and frees; sets *s to NULL. */
void account_secret_free(struct account_secret **s);

/* The secret for the next login, running the command when due (blocking,
 * as config_run_command()). 0 with *secret_r NULL for a tunnel without a
 * password; -1 with error: CONFIG_ERROR_COMMAND when the command failed,
 * CONFIG_ERROR_NO_PASSWORD when nothing is configured and nothing was
 * typed (the caller may ask). *secret_r: transfer none, valid until the
 * next call on s. */
int account_secret_get(struct account_secret *s, const char **secret_r, GError **error);

/* True when the next account_secret_get() will run a command (the
 * interface gives the terminal to it, for pinentry). */
bool account_secret_will_run(const struct account_secret *s);

/* A password the user typed: kept like one from password_command (copied). */
void account_secret_set(struct account_secret *s, const char *secret);

/* The server refused the secret (login refused): the next get looks it up
 * again; a typed one is forgotten (get then fails with NO_PASSWORD). */
void account_secret_refused(struct account_secret *s);

/* How many times a command ran (for tests and the log). */
guint account_secret_runs(const struct account_secret *s);

/* True for "localhost", 127.0.0.0/8 and ::1. */
bool config_host_is_loopback(const char *host);

/* A short example of an account block for the "no configuration" message,
 * translated. Transfer none (static). */
const char *config_example_text(void);

/* Write a new configuration file holding one account (first-run setup): the
 * fields of a that are set (name, host, port, tls, user, password or
 * password_command, auth, oauth_token_command, tunnel, is_default). The
 * result is checked like config_load() before anything is written. The file
 * is created with mode 0600 and must not exist yet; missing parent
 * directories are created with mode 0700. Returns 0 or -1 with error. */
int config_write_new(const char *path, const struct account *a, GError **error);

/* Check one key binding value: one or more key specs separated by spaces,
 * each a printable character ("j", "?"), C-x (x a letter), M-x, or a named key
 * (Up Down Left Right PageUp PageDown Home End Enter Tab BackTab Space
 * Backspace Delete Insert Esc F1..F12), named keys in any case. On success
 * *canonical_r (transfer full) is the normalised spelling. */
bool config_parse_keys(const char *value, char **canonical_r);

#endif

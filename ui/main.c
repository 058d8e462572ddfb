/* tern — argument parsing and dispatch. Global options come before the
 * command; each command parses its own words with cli_args_parse(). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text/text.h"
#include "ui/main.h"

void
tern_error(const char *fmt, ...)
{
	va_list ap;
	char *msg, *out;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	out = text_to_locale(msg, -1); /* in the locale's charset, ? for the rest */
	fprintf(stderr, "tern: %s\n", out);
	g_free(out);
	g_free(msg);
}

static const struct cli_opt *
find_opt(const struct cli_opt *opts, const char *name, size_t len)
{
	for (; opts != NULL && opts->name != NULL; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

int
cli_args_parse(int argc, char **argv, const struct cli_opt *opts,
	       struct cli_args *args, char **error_r)
{
	bool options_done = false;

	args->opts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	args->pos = g_ptr_array_new();
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		const struct cli_opt *o;
		const char *eq;
		size_t len;

		if (options_done || strncmp(w, "--", 2) != 0) {
			g_ptr_array_add(args->pos, argv[i]);
			continue;
		}
		if (w[2] == '\0') {
			options_done = true;
			continue;
		}
		eq = strchr(w + 2, '=');
		len = eq != NULL ? (size_t)(eq - (w + 2)) : strlen(w + 2);
		o = find_opt(opts, w + 2, len);
		if (o == NULL) {
			*error_r = g_strdup_printf(_("unknown option '%s'"), w);
			return -1;
		}
		if (o->value_name == NULL) {
			if (eq != NULL) {
				*error_r = g_strdup_printf(_("option '--%s' takes no value"), o->name);
				return -1;
			}
			g_hash_table_replace(args->opts, (gpointer)o->name, g_strdup(""));
		} else if (eq != NULL) {
			g_hash_table_replace(args->opts, (gpointer)o->name, g_strdup(eq + 1));
		} else if (i + 1 < argc) {
			g_hash_table_replace(args->opts, (gpointer)o->name, g_strdup(argv[++i]));
		} else {
			*error_r = g_strdup_printf(_("option '--%s' needs a value (%s)"),
						   o->name, o->value_name);
			return -1;
		}
	}
	return 0;
}

void
cli_args_clear(struct cli_args *args)
{
	g_clear_pointer(&args->opts, g_hash_table_unref);
	g_clear_pointer(&args->pos, g_ptr_array_unref);
}

bool
cli_args_has(const struct cli_args *args, const char *name)
{
	return g_hash_table_contains(args->opts, name);
}

const char *
cli_args_get(const struct cli_args *args, const char *name)
{
	return g_hash_table_lookup(args->opts, name);
}

static void
print_help(FILE *out)
{
	fprintf(out, _("Usage: tern [-c FILE] [-a ACCOUNT] [OPTION...] [COMMAND [ARG...]]\n"
		       "A terminal IMAP mail reader. Without a command, tern opens its interface.\n\n"));
	fprintf(out, _("Commands:\n"));
	for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
		fprintf(out, "  tern %-44s %s\n", c->synopsis, _(c->summary));
	fprintf(out, _("\nA mailto: URL instead of a command (tern mailto:ADDRESS?subject=...)\n"
		       "opens the interface with a message to it being written.\n"));
	fprintf(out, _("\nGlobal options (before the command):\n"
		       "  -c, --config FILE   read this configuration file\n"
		       "  -a, --account NAME  use this account\n"
		       "      --debug         write a protocol trace (credentials redacted) to the log\n"
		       "      --no-cache      neither read nor write the local cache\n"
		       "      --offline       never connect; read from the cache\n"
		       "  -h, --help          show this help and exit\n"
		       "  -V, --version       show the version and exit\n"));
	fprintf(out, _("\nExit status: 0 ok, 1 refused by the server, 64 usage, 69 unavailable,\n"
		       "74 I/O error, 76 protocol error, 77 authentication or TLS refused,\n"
		       "78 configuration error.\n"));
}

/* Parse the global options; returns the index of the command word (argc if
 * none), or -1 after printing an error. */
static int
parse_globals(int argc, char **argv, struct tern_globals *g, bool *done_r, int *rc_r)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (w[0] != '-' || w[1] == '\0')
			break;
		if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
			print_help(stdout);
			*done_r = true;
			*rc_r = TERN_EXIT_OK;
			return i;
		} else if (strcmp(w, "-V") == 0 || strcmp(w, "--version") == 0) {
			printf("tern %s\n", PACKAGE_VERSION);
			*done_r = true;
			*rc_r = TERN_EXIT_OK;
			return i;
		} else if (strcmp(w, "-c") == 0 || strcmp(w, "--config") == 0 ||
			   strcmp(w, "-a") == 0 || strcmp(w, "--account") == 0) {
			if (i + 1 >= argc) {
				tern_error(_("option '%s' needs a value"), w);
				return -1;
			}
			if (w[1] == 'c' || w[2] == 'c')
				g->config_path = argv[++i];
			else
				g->account = argv[++i];
		} else if (strcmp(w, "--debug") == 0) {
			g->debug = true;
		} else if (strcmp(w, "--no-cache") == 0) {
			g->no_cache = true;
		} else if (strcmp(w, "--offline") == 0) {
			g->offline = true;
		} else if (strcmp(w, "--") == 0) {
			return i + 1;
		} else {
			tern_error(_("unknown option '%s' (see 'tern --help')"), w);
			return -1;
		}
	}
	return i;
}

int
main(int argc, char **argv)
{
	struct tern_globals g = { 0 };
	bool done = false;
	int rc = TERN_EXIT_OK;
	int cmd;
	/* TERN_LOCALEDIR: a catalogue that is not installed (tests) */
	const char *localedir = g_getenv("TERN_LOCALEDIR");

	setlocale(LC_ALL, "");
	if (localedir == NULL || *localedir == '\0')
		localedir = LOCALEDIR;
	bindtextdomain(GETTEXT_PACKAGE, localedir);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	cmd = parse_globals(argc, argv, &g, &done, &rc);
	if (cmd < 0)
		return TERN_EXIT_USAGE;
	if (done)
		return rc;
	if (cmd >= argc)
		return tui_main(&g);
	if (g_ascii_strncasecmp(argv[cmd], "mailto:", 7) == 0) {
		if (cmd + 1 != argc) {
			tern_error(_("usage: tern [OPTION...] mailto:URL"));
			return TERN_EXIT_USAGE;
		}
		g.mailto = argv[cmd];
		return tui_main(&g);
	}
	for (const struct cli_command *c = cli_commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[cmd]) != 0)
			continue;
		if (c->run == NULL) {
			tern_error(_("'%s' is not built yet"), c->name);
			return TERN_EXIT_FAILURE;
		}
		return c->run(&g, argc - cmd - 1, argv + cmd + 1);
	}
	tern_error(_("unknown command '%s' (see 'tern --help')"), argv[cmd]);
	return TERN_EXIT_USAGE;
}

/* tern — the program: global options and command dispatch. */
#ifndef TERN_UI_MAIN_H
#define TERN_UI_MAIN_H

#include "core/common.h"

/* Global options, parsed before the command word. */
struct tern_globals {
	const char *config_path; /* -c FILE, or NULL for the default path */
	const char *account;     /* -a NAME, or NULL */
	bool debug;
	bool no_cache;
	bool offline;
	const char *mailto;      /* tern mailto:URL: the interface opens the composer */
};

/* One option a command accepts; value_name != NULL if it takes a value. */
struct cli_opt {
	const char *name;       /* long name without "--", e.g. "json" */
	const char *value_name; /* e.g. "N", or NULL for a flag */
};

/* A command's words after parsing: its options and its positionals. */
struct cli_args {
	GHashTable *opts;        /* name -> value ("" for flags); transfer full */
	GPtrArray *pos;          /* char* positionals, transfer none (argv) */
};

/* Parse argv (after the command word) against opts: --name, --name=V,
 * --name V; "--" ends options; every other word is positional, even one
 * starting with "-". Returns 0, or -1 with *error_r set (caller frees). */
int cli_args_parse(int argc, char **argv, const struct cli_opt *opts,
		   struct cli_args *args, char **error_r);
void cli_args_clear(struct cli_args *args);
bool cli_args_has(const struct cli_args *args, const char *name);
const char *cli_args_get(const struct cli_args *args, const char *name);

/* A command: returns the exit code. */
typedef int cli_command_fn(const struct tern_globals *g, int argc, char **argv);

struct cli_command {
	const char *name;
	const char *synopsis;  /* untranslated usage line after "tern " */
	const char *summary;   /* N_() one-line description */
	cli_command_fn *run;   /* NULL: not built yet */
};

/* The table of commands, terminated by a NULL name (ui/cli/commands.c). */
extern const struct cli_command cli_commands[];

/* Print "tern: MESSAGE" to stderr (one line, already translated). */
void tern_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Run the TUI (ui/tui). */
int tui_main(const struct tern_globals *g);

#endif

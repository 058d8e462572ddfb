/* tern — inside core/config: the line scanner and value parsers. */
#ifndef TERN_CORE_CONFIG_PRIVATE_H
#define TERN_CORE_CONFIG_PRIVATE_H

#include "core/config/config.h"

/* GKeyFile gives no line numbers, so the file is also scanned here with the
 * same rules (leading whitespace skipped, '#' lines and blank lines are
 * comments, "[group]", "key = value", a final CR removed). */
struct config_entry {
	char *key;
	int line;
};

struct config_group {
	char *name;        /* as GKeyFile sees it */
	int line;          /* first header line */
	GPtrArray *entries; /* struct config_entry *, file order, repeated groups merged */
};

struct config_scan {
	GPtrArray *groups; /* struct config_group *, order of first appearance */
};

/* Scan text; on a syntax error returns -1 with its line in *line_r and the
 * message in *msg_r (translated, caller frees). A key repeated in a group
 * is an error. */
int config_scan(const char *data, gsize len, struct config_scan **scan_r, int *line_r,
		char **msg_r);
void config_scan_free(struct config_scan **scan);

/* Value parsers: return true and fill the result, or false with *msg_r set
 * (translated, caller frees). */
bool config_parse_bool(const char *s, bool *b_r);
bool config_parse_uint(const char *s, guint min, guint max, guint *n_r);
bool config_parse_fingerprint(const char *s, guint8 fp_r[32], char **canonical_r);
bool config_parse_color(const char *s, struct config_color *c_r, char **msg_r);
bool config_check_host(const char *s, char **ascii_r, char **msg_r);
bool config_check_command(const char *s, char **msg_r);
bool config_name_is_valid(const char *s);
bool config_ident_is_valid(const char *s); /* [a-z_], 1..CONFIG_MAX_NAME_LEN */

/* "~/x" -> "$HOME/x", "~" -> "$HOME"; otherwise a copy. Transfer full. */
char *config_expand_home(const char *s);

/* Printable first line of some bytes for a message: controls and bidi
 * controls replaced, invalid UTF-8 repaired, at most max characters.
 * Transfer full. */
char *config_sanitize_line(const char *data, gsize len, gsize max);

#endif

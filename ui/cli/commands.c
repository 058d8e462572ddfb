/* tern — the command table. Each command lives in its own file under ui/cli. */
#include "config.h"

#include "ui/main.h"

const struct cli_command cli_commands[] = {
	{ "folders", "folders [--json]", N_("list the folders with message counts"), NULL },
	{ "list", "list FOLDER [--json] [--limit N] [--sort KEY]", N_("list messages, newest first"), NULL },
	{ "search", "search FOLDER QUERY... [--json] [--limit N] [--sort KEY]", N_("search a folder on the server"), NULL },
	{ "show", "show FOLDER UID [--raw | --headers] [--mark-read]", N_("show one message"), NULL },
	{ "save", "save FOLDER UID [PART...] [-o DIR] [--force]", N_("save attachments"), NULL },
	{ "flag", "flag FOLDER UIDSET [+|-]FLAG...", N_("set or clear flags"), NULL },
	{ "move", "move FOLDER UIDSET DEST", N_("move messages to another folder"), NULL },
	{ "copy", "copy FOLDER UIDSET DEST", N_("copy messages to another folder"), NULL },
	{ "delete", "delete FOLDER UIDSET [--expunge]", N_("move messages to Trash (or expunge them)"), NULL },
	{ "config", "config check", N_("validate the configuration and try each account"), NULL },
	{ NULL, NULL, NULL, NULL },
};

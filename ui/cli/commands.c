/* tern — the command table. Each command lives in its own file under ui/cli. */
#include "config.h"

#include "ui/cli/cli.h"

const struct cli_command cli_commands[] = {
	{ "folders", "folders [--json]", N_("list the folders with message counts"), cli_cmd_folders },
	{ "list", "list FOLDER [--json] [--limit N] [--sort KEY]", N_("list messages, newest first"), cli_cmd_list },
	{ "search", "search FOLDER|--all QUERY... [--json] [--limit N] [--sort KEY]", N_("search a folder on the server"), cli_cmd_search },
	{ "show", "show FOLDER UID [--raw | --headers | --json | --part SECTION] [--mark-read]", N_("show one message"), cli_cmd_show },
	{ "parts", "parts FOLDER UID [--json]", N_("list a message's parts without fetching its body"), cli_cmd_parts },
	{ "pipe", "pipe FOLDER UID [--text] COMMAND [ARG...]", N_("run a command (no shell) with the message on its stdin"), cli_cmd_pipe },
	{ "save", "save FOLDER UID [PART...] [-o DIR] [--force]", N_("save attachments"), cli_cmd_save },
	{ "flag", "flag FOLDER UIDSET [+|-]FLAG...", N_("set or clear flags"), cli_cmd_flag },
	{ "move", "move FOLDER UIDSET DEST", N_("move messages to another folder"), cli_cmd_move },
	{ "copy", "copy FOLDER UIDSET DEST", N_("copy messages to another folder"), cli_cmd_copy },
	{ "delete", "delete FOLDER UIDSET [--expunge]", N_("move messages to Trash (or expunge them)"), cli_cmd_delete },
	{ "send", "send [FILE | -] [--sign] [--encrypt] [--json]", N_("send a draft or an RFC 5322 message (queued when the server cannot be reached)"), cli_cmd_send },
	{ "reply", "reply FOLDER UID [--all | --list] [-o FILE] [--body-file F [--postpone] | --print] [--sign] [--encrypt]", N_("write a reply draft (or send it with --body-file)"), cli_cmd_reply },
	{ "forward", "forward FOLDER UID [--attach] [--to ADDRS] [-o FILE] [--body-file F [--postpone] | --print] [--sign] [--encrypt]", N_("write a forward draft (or send it with --body-file)"), cli_cmd_forward },
	{ "compose", "compose [--to ADDRS] [--subject S] [-o FILE] [--body-file F [--postpone] | --print] [--sign] [--encrypt]", N_("write a new message draft (or send it with --body-file)"), cli_cmd_compose },
	{ "bounce", "bounce FOLDER UID --to ADDR [--to ADDR...] [--json]", N_("redirect a message unchanged (Resent- fields) to other addresses"), cli_cmd_bounce },
	{ "outbox", "outbox [--json] | outbox retry|send|drop MESSAGE-ID", N_("list the messages waiting to be sent; send one again or drop it"), cli_cmd_outbox },
	{ "watch", "watch [--json]", N_("print a line for each folder that changes, as it happens"), cli_cmd_watch },
	{ "config", "config check", N_("validate the configuration and try each account"), cli_cmd_config },
	{ NULL, NULL, NULL, NULL },
};

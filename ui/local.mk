# ui/: command table and CLI commands; the TUI has its own fragment
tern_SOURCES += ui/cli/commands.c ui/cli/cli.h ui/cli/common.c ui/cli/cmd-list.c \
	ui/cli/cmd-show.c ui/cli/cmd-parts.c ui/cli/cmd-modify.c ui/send.h ui/send.c
include ui/tui/local.mk
include ui/cli/local.mk

# ui/: command table, CLI commands, TUI
tern_SOURCES += ui/cli/commands.c ui/tui/tui.c

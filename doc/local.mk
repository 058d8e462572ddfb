# doc/: the manuals, installed by `make install`, and the tests that keep
# them (and the translations) in step with the program.
dist_man_MANS = doc/tern.1 doc/tern-config.5

# Shell completion: commands, options and the cached folder names
# (tern --offline folders), where bash-completion and Debian's zsh look.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = doc/completion/bash/tern
zshcompletiondir = $(datadir)/zsh/vendor-completions
dist_zshcompletion_DATA = doc/completion/zsh/_tern

# tern(1) and tern-config(5) against --help, core/config's key table, the
# keymap and the colour elements; groff renders them without warnings.
TESTS += tests/doc/test-manpage.sh
EXTRA_DIST += tests/doc/test-manpage.sh

# The CLI and the TUI (tmux) under LANG=de_DE.UTF-8 print German, with the
# catalogue compiled from po/de.po into a temporary TERN_LOCALEDIR.
TESTS += tests/i18n/test-german.sh
EXTRA_DIST += tests/i18n/test-german.sh

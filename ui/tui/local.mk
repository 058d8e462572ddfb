# ui/tui: the three-pane interface (ncursesw).
# Pure parts (no terminal, no network): unit-tested on their own.
TUI_MODEL_SOURCES = ui/tui/layout.h ui/tui/layout.c ui/tui/keymap.h ui/tui/keymap.c \
	ui/tui/message-list.h ui/tui/message-list.c \
	ui/tui/message-thread.h ui/tui/message-thread.c \
	ui/tui/folder-tree.h ui/tui/folder-tree.c

tern_SOURCES += $(TUI_MODEL_SOURCES) ui/tui/tui-private.h ui/tui/tui.c \
	ui/tui/actions.c ui/tui/answer.c ui/tui/cache.c ui/tui/colors.c ui/tui/complete.c ui/tui/compose.c ui/tui/conn.c ui/tui/crash.c ui/tui/draw.c \
	ui/tui/folder-pane.c ui/tui/help.c ui/tui/list-pane.c ui/tui/parts.c ui/tui/pending.c ui/tui/prompt.c \
	ui/tui/setup.c ui/tui/status.c ui/tui/results.c ui/tui/term.c ui/tui/toolbox.c ui/tui/undo.c ui/tui/viewer.c

check_PROGRAMS += tests/unit/test-tui-model
tests_unit_test_tui_model_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tui_model_SOURCES = tests/unit/test-tui-model.c $(TUI_MODEL_SOURCES)
tests_unit_test_tui_model_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-tui-model

# The interface in a real terminal (tmux) against the test Dovecot.
TESTS += tests/tui/test-tui.py tests/tui/test-tui-cache.py tests/tui/test-tui-first.py \
	tests/tui/test-tui-races.py tests/tui/test-tui-keys.py tests/tui/test-tui-compose.py \
	tests/tui/test-tui-mailto.py tests/tui/test-tui-postpone.py
EXTRA_DIST += tests/tui/test-tui.py tests/tui/test-tui-cache.py tests/tui/test-tui-first.py \
	tests/tui/test-tui-races.py tests/tui/test-tui-keys.py tests/tui/test-tui-compose.py \
	tests/tui/test-tui-mailto.py tests/tui/test-tui-postpone.py

# A benchmark, not a test (run it by hand: it prints figures).
EXTRA_DIST += tests/bench/bench-tui.py tests/bench/bench-ssh.py
# Any locale, any terminal, paste and resize (issue 18).
TESTS += tests/tui/test-tui-ssh.py
EXTRA_DIST += tests/tui/test-tui-ssh.py
# The first load's round trips under a sparse UIDNEXT (core-client, #12 bug 5).
TESTS += tests/tui/test-tui-load.py
EXTRA_DIST += tests/tui/test-tui-load.py
TESTS += tests/tui/test-tui-load-cache.py
EXTRA_DIST += tests/tui/test-tui-load-cache.py
# The rest of a cached folder read on a worker thread (issue 17, "at the floor").
TESTS += tests/tui/test-tui-cache-walk.py
EXTRA_DIST += tests/tui/test-tui-cache-walk.py
# Triage habits: folder names, the search prompt, narrow screens (#19).
TESTS += tests/tui/test-tui-triage.py tests/tui/test-tui-fts.py
EXTRA_DIST += tests/tui/test-tui-triage.py tests/tui/test-tui-fts.py
TESTS += tests/tui/test-tui-toolbox.py
EXTRA_DIST += tests/tui/test-tui-toolbox.py
# One answer to the tagged messages, bounce, edit as new (#13).
TESTS += tests/tui/test-tui-answer.py
EXTRA_DIST += tests/tui/test-tui-answer.py
TESTS += tests/tui/test-tui-crypto.py
EXTRA_DIST += tests/tui/test-tui-crypto.py

# Every folder's counts and new mail anywhere (#16), and its test.
tern_SOURCES += ui/tui/live.c
TESTS += tests/tui/test-tui-live.py
EXTRA_DIST += tests/tui/test-tui-live.py

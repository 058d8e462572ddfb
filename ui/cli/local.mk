# ui/cli: the journal of queued actions and its integration test
tern_SOURCES += ui/cli/journal.c
TESTS += tests/integration/test-journal.py
EXTRA_DIST += tests/integration/test-journal.py

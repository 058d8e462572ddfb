# ui/cli: the journal of queued actions and its integration test
tern_SOURCES += ui/cli/journal.c
# ui/cli: list --json of a whole folder (#17)
tern_SOURCES += ui/cli/list-json.c ui/cli/list-json.h
TESTS += tests/integration/test-journal.py
EXTRA_DIST += tests/integration/test-journal.py

# ui/cli: sending (send, reply, forward, compose, outbox) and its integration test
tern_SOURCES += ui/cli/cmd-send.c ui/cli/outbox.c
TESTS += tests/integration/test-send.py
EXTRA_DIST += tests/integration/test-send.py tests/server/smtp_server.py
# tern bounce (#13)
TESTS += tests/integration/test-bounce.py
# kill -9 during a real send (#13)
TESTS += tests/integration/test-send-kill.py
EXTRA_DIST += tests/integration/test-send-kill.py
EXTRA_DIST += tests/integration/test-bounce.py

# ui/cli: tern watch (live counts, #16) and its integration test
tern_SOURCES += ui/cli/cmd-watch.c
TESTS += tests/integration/test-watch.py tests/fake/test-watch-hostile.py \
	tests/integration/test-search-all.py
EXTRA_DIST += tests/integration/test-watch.py tests/fake/test-watch-hostile.py \
	tests/integration/test-search-all.py

# search --all while a folder is deleted (#16, hostile)
TESTS += tests/integration/test-search-all-race.py
EXTRA_DIST += tests/integration/test-search-all-race.py tests/bench/bench-search-all.py

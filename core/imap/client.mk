# core/imap session and client (owned by the lead)
libcore_a_SOURCES += core/log.h core/log.c \
	core/imap/session.h core/imap/session.c \
	core/imap/client.h core/imap/client.c core/imap/maildate.c core/imap/maildate.h \
	core/imap/watch.h core/imap/watch.c core/imap/search-all.c

check_PROGRAMS += tests/unit/test-imap-session
tests_unit_test_imap_session_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_session_SOURCES = tests/unit/test-imap-session.c
tests_unit_test_imap_session_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-session

# client.c on the scripted fake server (tests/fake/fake-imapd.py).
check_PROGRAMS += tests/unit/test-imap-client
tests_unit_test_imap_client_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_client_SOURCES = tests/unit/test-imap-client.c
tests_unit_test_imap_client_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-client

# Folder roles by their usual names when the server marks none (#19 item 10).
TESTS += tests/fake/test-roles.py
EXTRA_DIST += tests/fake/test-roles.py

# A driver for APPEND, used by tests/integration/test-cli.py.
check_PROGRAMS += tests/integration/imap-append
tests_integration_imap_append_CFLAGS = $(UNIT_CFLAGS)
tests_integration_imap_append_SOURCES = tests/integration/imap-append.c
tests_integration_imap_append_LDADD = $(UNIT_LIBS)

# core/imap/watch's comparisons (#16), without a client.
check_PROGRAMS += tests/unit/test-imap-watch
tests_unit_test_imap_watch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_watch_SOURCES = tests/unit/test-imap-watch.c
tests_unit_test_imap_watch_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-watch

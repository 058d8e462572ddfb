# core/net: TCP + OpenSSL TLS, STARTTLS, tunnel, COMPRESS, timeouts.
libcore_a_SOURCES += core/net/net.h core/net/net-private.h \
	core/net/buf.c core/net/conn.c core/net/tls.c core/net/zlib.c

check_PROGRAMS += tests/unit/test-net
tests_unit_test_net_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_net_SOURCES = tests/unit/test-net.c
tests_unit_test_net_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-net
EXTRA_DIST += tests/fake/fake-imapd.py tests/fake/certs.py

# Hostile-server scenarios against the tern CLI (issue 7).
TESTS += tests/fake/test-hostile.py
EXTRA_DIST += tests/fake/test-hostile.py
TESTS += tests/fake/test-auth.py
EXTRA_DIST += tests/fake/test-auth.py

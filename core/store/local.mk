# core/store: the SQLite cache (folders, summaries, bodies, journal).
libcore_a_SOURCES += core/store/store.h core/store/store.c core/store/sync.c core/store/replay.c \
	core/store/writer.h core/store/writer.c \
	core/store/store-private.h core/store/outbox.c core/store/addresses.c \
	core/store/fts.c core/store/probe.c

check_PROGRAMS += tests/unit/test-store
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-store tests/integration/test-cache.py tests/integration/test-fts.py

EXTRA_DIST += tests/integration/test-cache.py tests/bench/bench-cache.py tests/integration/test-fts.py

# FTS query time and index size at 100,000 cached messages (prints only).
noinst_PROGRAMS += tests/bench/bench-fts
tests_bench_bench_fts_CFLAGS = $(UNIT_CFLAGS)
tests_bench_bench_fts_SOURCES = tests/bench/bench-fts.c
tests_bench_bench_fts_LDADD = $(UNIT_LIBS)

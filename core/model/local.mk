# core/model: flags, the search query language (and later the folder tree,
# message index and threads).
libcore_a_SOURCES += core/model/flags.h core/model/flags.c \
	core/model/query.h core/model/query.c

check_PROGRAMS += tests/unit/test-query tests/unit/test-flags
tests_unit_test_query_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_query_SOURCES = tests/unit/test-query.c
tests_unit_test_query_LDADD = $(UNIT_LIBS)
tests_unit_test_flags_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_flags_SOURCES = tests/unit/test-flags.c
tests_unit_test_flags_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-query tests/unit/test-flags

# libFuzzer target (./configure --enable-fuzzing CC=clang).
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-query
tests_fuzz_fuzz_query_CFLAGS = $(CORE_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_query_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_query_SOURCES = tests/fuzz/fuzz-query.c core/model/query.c core/model/flags.c
tests_fuzz_fuzz_query_LDADD = $(GLIB_LIBS) $(LIBINTL)
endif
EXTRA_DIST += tests/fuzz/fuzz-query.c tests/fuzz/corpus/query

# mime/ (owned by the mime module): GMime 3 + libxml2 on top of core.
# One list of the module's sources, for the library and the fuzz target.
MIME_C_SOURCES = mime/mime.c mime/charset.c mime/unicode.c mime/rfc2047.c mime/prescan.c \
	mime/message.c mime/lines.c mime/html.c mime/render.c mime/compose.c mime/structure.c \
	mime/crypto.c mime/protect.c mime/smime-lock.c
libmime_a_SOURCES += mime/mime.h mime/mime-private.h $(MIME_C_SOURCES)

MIME_TEST_LIBS = $(MIME_LIBS) $(CORE_LIBS)

check_PROGRAMS += tests/unit/test-mime
tests_unit_test_mime_CFLAGS = $(MIME_CFLAGS)
tests_unit_test_mime_SOURCES = tests/unit/test-mime.c
tests_unit_test_mime_LDADD = $(MIME_TEST_LIBS)
TESTS += tests/unit/test-mime

check_PROGRAMS += tests/unit/test-mime-corpus
tests_unit_test_mime_corpus_CFLAGS = $(MIME_CFLAGS)
tests_unit_test_mime_corpus_SOURCES = tests/unit/test-mime-corpus.c
tests_unit_test_mime_corpus_LDADD = $(MIME_TEST_LIBS)
TESTS += tests/unit/test-mime-corpus

check_PROGRAMS += tests/unit/test-mime-hostile
tests_unit_test_mime_hostile_CFLAGS = $(MIME_CFLAGS)
tests_unit_test_mime_hostile_SOURCES = tests/unit/test-mime-hostile.c
tests_unit_test_mime_hostile_LDADD = $(MIME_TEST_LIBS)
TESTS += tests/unit/test-mime-hostile

EXTRA_DIST += tests/data/mime tests/data/corpus tests/fixtures/gencorpus.py

# Benchmark: parse + render of a 20 MB message (built, not run by make check).
noinst_PROGRAMS += tests/bench/bench-show
tests_bench_bench_show_CFLAGS = $(MIME_CFLAGS)
tests_bench_bench_show_SOURCES = tests/bench/bench-show.c
tests_bench_bench_show_LDADD = $(MIME_TEST_LIBS)

if FUZZING
# The sources are compiled into the target so that libFuzzer sees their coverage.
noinst_PROGRAMS += tests/fuzz/fuzz-mime
tests_fuzz_fuzz_mime_CFLAGS = $(MIME_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_mime_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_mime_SOURCES = tests/fuzz/fuzz-mime.c core/common.c core/text/text.c $(MIME_C_SOURCES)
tests_fuzz_fuzz_mime_LDADD = $(GMIME_LIBS) $(LIBXML_LIBS) $(GPGME_LIBS) $(OPENSSL_LIBS) $(GLIB_LIBS) \
	$(LIBINTL)
endif
EXTRA_DIST += tests/fuzz/corpus/mime

check_PROGRAMS += tests/unit/test-compose
tests_unit_test_compose_CFLAGS = $(MIME_CFLAGS)
tests_unit_test_compose_SOURCES = tests/unit/test-compose.c
tests_unit_test_compose_LDADD = $(MIME_TEST_LIBS)
TESTS += tests/unit/test-compose

# core/text: the display sanitiser, UTF-8 width helpers, JSON strings.
libcore_a_SOURCES += core/text/text.h core/text/text.c core/text/charset.c

check_PROGRAMS += tests/unit/test-text
tests_unit_test_text_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_text_SOURCES = tests/unit/test-text.c
tests_unit_test_text_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-text

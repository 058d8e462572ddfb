# core/imap: the sans-I/O IMAP response parser, typed responses, modified
# UTF-7, sequence sets and the command builder.
libcore_a_SOURCES += core/imap/imap.h core/imap/imap-private.h \
	core/imap/parser.c core/imap/tree.c core/imap/decode.c core/imap/fetch.c core/imap/header.c \
	core/imap/uidset.c core/imap/mutf7.c core/imap/command.c

# Unit tests: parser (golden transcripts), sets and mUTF-7, command builder.
check_PROGRAMS += tests/unit/test-imap-parser
tests_unit_test_imap_parser_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_parser_SOURCES = tests/unit/test-imap-parser.c \
	tests/unit/test-imap-dump.c tests/unit/test-imap-dump.h
tests_unit_test_imap_parser_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-parser

check_PROGRAMS += tests/unit/test-imap-header
tests_unit_test_imap_header_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_header_SOURCES = tests/unit/test-imap-header.c
tests_unit_test_imap_header_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-header

check_PROGRAMS += tests/unit/test-imap-command
tests_unit_test_imap_command_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_command_SOURCES = tests/unit/test-imap-command.c
tests_unit_test_imap_command_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-command

check_PROGRAMS += tests/unit/test-imap-sets
tests_unit_test_imap_sets_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imap_sets_SOURCES = tests/unit/test-imap-sets.c
tests_unit_test_imap_sets_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-imap-sets

check_PROGRAMS += tests/unit/test-maildate
tests_unit_test_maildate_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_maildate_SOURCES = tests/unit/test-maildate.c
tests_unit_test_maildate_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-maildate

EXTRA_DIST += tests/data/imap/README \
	tests/data/imap/rfc9051.txt tests/data/imap/rfc9051.expected \
	tests/data/imap/dovecot-select.txt tests/data/imap/dovecot-select.expected \
	tests/data/imap/dovecot-list.txt tests/data/imap/dovecot-list.expected \
	tests/data/imap/dovecot-fetch.txt tests/data/imap/dovecot-fetch.expected

# libFuzzer target (./configure --enable-fuzzing CC=clang). The parser
# sources are compiled into the target so that they are instrumented.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-imap-parser
tests_fuzz_fuzz_imap_parser_CFLAGS = $(UNIT_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_imap_parser_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_imap_parser_SOURCES = tests/fuzz/fuzz-imap-parser.c \
	tests/unit/test-imap-dump.c tests/unit/test-imap-dump.h \
	core/imap/parser.c core/imap/tree.c core/imap/decode.c core/imap/fetch.c \
	core/imap/uidset.c core/imap/mutf7.c core/imap/command.c core/imap/maildate.c
tests_fuzz_fuzz_imap_parser_LDADD = $(GLIB_LIBS) $(LIBINTL)
endif
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-header
tests_fuzz_fuzz_header_CFLAGS = $(UNIT_CFLAGS) -fsanitize=fuzzer,address,undefined -g
tests_fuzz_fuzz_header_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_header_SOURCES = tests/fuzz/fuzz-header.c core/imap/header.c
tests_fuzz_fuzz_header_LDADD = $(GLIB_LIBS) $(LIBINTL)
endif
EXTRA_DIST += tests/fuzz/fuzz-imap-parser.c tests/fuzz/imap.dict tests/fuzz/corpus/imap \
	tests/fuzz/fuzz-header.c tests/fuzz/corpus/header

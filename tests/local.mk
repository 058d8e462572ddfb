# tests/: GTest unit tests and TAP scripts, all through automake's TAP driver.
TEST_EXTENSIONS = .sh .py
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
PY_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
PY_LOG_COMPILER = $(PYTHON3)
AM_TESTS_ENVIRONMENT = \
	TZ=UTC; LANG=C.UTF-8; LC_ALL=C.UTF-8; COLUMNS=100; \
	PYTHONDONTWRITEBYTECODE=1; \
	TERN=$(abs_top_builddir)/tern; \
	TERN_SRCDIR=$(abs_top_srcdir); \
	TERN_BUILDDIR=$(abs_top_builddir); \
	G_TEST_SRCDIR=$(abs_srcdir); G_TEST_BUILDDIR=$(abs_builddir); \
	G_SLICE=always-malloc; \
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0; \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1; \
	LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0; \
	export TZ LANG LC_ALL COLUMNS PYTHONDONTWRITEBYTECODE TERN TERN_SRCDIR TERN_BUILDDIR G_SLICE \
	  G_TEST_SRCDIR G_TEST_BUILDDIR ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS;

# Unit tests link the layer they test.
UNIT_CFLAGS = $(CORE_CFLAGS)
UNIT_LIBS = $(CORE_LIBS)

check_PROGRAMS += tests/unit/test-common
tests_unit_test_common_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_common_SOURCES = tests/unit/test-common.c
tests_unit_test_common_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-common

# Test helpers shared by scripts.
EXTRA_DIST += tests/lib/tap.sh tests/lib/ternlib.py tests/lib/cryptolib.py tests/lsan.supp
EXTRA_DIST += tests/server/dovecot_server.py tests/fixtures/genmail.py

# Command-line tests and the layering rule.
TESTS += tests/cli/test-help.sh tests/test-layers.sh tests/test-potfiles.sh \
	tests/test-build-script.sh
EXTRA_DIST += tests/cli/test-help.sh tests/test-layers.sh tests/test-potfiles.sh \
	tests/test-build-script.sh

# Integration tests against a real Dovecot.
TESTS += tests/integration/test-harness.py
EXTRA_DIST += tests/integration/test-harness.py
TESTS += tests/integration/test-cli.py
EXTRA_DIST += tests/integration/test-cli.py
# tern show --json (#19, Smaller).
TESTS += tests/integration/test-show-json.py
EXTRA_DIST += tests/integration/test-show-json.py
TESTS += tests/integration/test-parts.py
TESTS += tests/integration/test-header-envelope.py
TESTS += tests/integration/test-crypto.py
EXTRA_DIST += tests/integration/test-parts.py
EXTRA_DIST += tests/integration/test-header-envelope.py
EXTRA_DIST += tests/integration/test-crypto.py
# #17: the summary form (ENVELOPE or header fields) and its one-time probe.
TESTS += tests/integration/test-summary-form.py tests/fake/test-summary-form-fake.py
EXTRA_DIST += tests/integration/test-summary-form.py tests/fake/test-summary-form-fake.py
# #14/#15: tern parts on encrypted mail; a gpg-agent that never answers.
TESTS += tests/integration/test-crypto-parts.py
EXTRA_DIST += tests/integration/test-crypto-parts.py
# #17: the whole-folder list from the cache is never stale.
TESTS += tests/integration/test-cache-list.py
EXTRA_DIST += tests/integration/test-cache-list.py
# #15 (c): writing signed and encrypted mail.
TESTS += tests/integration/test-crypto-send.py
EXTRA_DIST += tests/integration/test-crypto-send.py
TESTS += tests/tui/test-tui-crypto-send.py
EXTRA_DIST += tests/tui/test-tui-crypto-send.py
TESTS += tests/tui/test-tui-crypto-compose.py
EXTRA_DIST += tests/tui/test-tui-crypto-compose.py
TESTS += tests/tui/test-tui-crypto-smime.py
EXTRA_DIST += tests/tui/test-tui-crypto-smime.py
# #17: the cold load's transactions leave the cache to other processes.
TESTS += tests/integration/test-cache-txn.py
EXTRA_DIST += tests/integration/test-cache-txn.py

# The sequence map's UIDs for EXPUNGEs another client caused, without
# QRESYNC (imap-events prints them).
check_PROGRAMS += tests/integration/imap-events
tests_integration_imap_events_CFLAGS = $(UNIT_CFLAGS)
tests_integration_imap_events_SOURCES = tests/integration/imap-events.c
tests_integration_imap_events_LDADD = $(UNIT_LIBS)
TESTS += tests/integration/test-expunge-map.py
EXTRA_DIST += tests/integration/test-expunge-map.py

# #14's leftovers: C copy, C-r mark the folder read, y copies a link (OSC 52).
TESTS += tests/tui/test-tui-copy.py
EXTRA_DIST += tests/tui/test-tui-copy.py
# #14/#15: v on an encrypted message, H on one held in parts.
TESTS += tests/tui/test-tui-parts2.py
EXTRA_DIST += tests/tui/test-tui-parts2.py
TESTS += tests/tui/test-tui-search-all.py
EXTRA_DIST += tests/tui/test-tui-search-all.py
# the cache's matches first, the server's merged in (#16)
TESTS += tests/tui/test-tui-search-all-fts.py
EXTRA_DIST += tests/tui/test-tui-search-all-fts.py

# bash and zsh completion (doc/completion), folders from the cache (#14).
TESTS += tests/cli/test-completion.py
EXTRA_DIST += tests/cli/test-completion.py
# Fetching only what is read (#14): the viewer against Dovecot, and hostile
# servers on the fake.
TESTS += tests/tui/test-tui-fetch.py tests/fake/test-fetch-hostile.py
check_PROGRAMS += tests/unit/test-fetch-plan
tests_unit_test_fetch_plan_CFLAGS = $(MIME_CFLAGS)
tests_unit_test_fetch_plan_SOURCES = tests/unit/test-fetch-plan.c
tests_unit_test_fetch_plan_LDADD = $(MIME_TEST_LIBS)
TESTS += tests/unit/test-fetch-plan
EXTRA_DIST += tests/tui/test-tui-fetch.py tests/fake/test-fetch-hostile.py
# The viewer on a server whose BODYSTRUCTURE is unusable (scripted fake).
TESTS += tests/fake/test-tui-fetch-fake.py
EXTRA_DIST += tests/fake/test-tui-fetch-fake.py
# The first screen in the server's order: ESORT PARTIAL, THREAD=REFS (#16).
TESTS += tests/tui/test-tui-sorted.py tests/fake/test-tui-order-hostile.py
EXTRA_DIST += tests/tui/test-tui-sorted.py tests/fake/test-tui-order-hostile.py
# ...and its figures (a benchmark, run by hand).
EXTRA_DIST += tests/bench/bench-order.py

# Benchmarks: built, not run by make check.
noinst_PROGRAMS += tests/bench/floor
tests_bench_floor_SOURCES = tests/bench/floor.c
tests_bench_floor_CFLAGS = -O2 -Wall -DFLOOR_ZLIB $(ZLIB_CFLAGS)
tests_bench_floor_LDADD = $(ZLIB_LIBS)
EXTRA_DIST += tests/bench/bench-list.py tests/bench/bench-folder-read.py tests/bench/bench-fetch.py
EXTRA_DIST += tests/bench/bench-floor.py tests/bench/bench-preview.py
# #16 PREVIEW: the list's preview column, list --json's preview field, and
# hostile previews on the fake server.
TESTS += tests/tui/test-tui-preview.py tests/integration/test-preview.py
TESTS += tests/fake/test-preview-hostile.py
EXTRA_DIST += tests/tui/test-tui-preview.py tests/integration/test-preview.py
EXTRA_DIST += tests/fake/test-preview-hostile.py
# The first screen without sizes, the load bringing them after (issue 17).
TESTS += tests/tui/test-tui-first-sizes.py
EXTRA_DIST += tests/tui/test-tui-first-sizes.py
TESTS += tests/tui/test-tui-expunge.py
EXTRA_DIST += tests/tui/test-tui-expunge.py
# A folder opened from the cache while the connection is still being made.
TESTS += tests/tui/test-tui-connecting.py
EXTRA_DIST += tests/tui/test-tui-connecting.py

# core/config: the configuration file and its accounts.
libcore_a_SOURCES += core/config/config.h core/config/config-private.h \
	core/config/config.c core/config/scan.c core/config/values.c \
	core/config/secret.c core/config/write.c

check_PROGRAMS += tests/unit/test-config
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-config

#include "config.h"

#include "core/common.h"

#include <string.h>

static void
test_exit_codes(void)
{
	g_assert_cmpint(tern_status_exit_code(TERN_OK), ==, 0);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_AUTH), ==, 77);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_CONN), ==, 74);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_PROTOCOL), ==, 76);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_FOLDER), ==, 69);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_CONFIG), ==, 78);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_USAGE), ==, 64);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_NO), ==, 1);
	g_assert_cmpint(tern_status_exit_code(TERN_ERR_UNREACHABLE), ==, 69);
}

/* A library opened on first use: its pointers, or a clear error. */
static void
test_lib_load(void)
{
	struct api {
		void *(*get_prop)(const void *node, const unsigned char *name);
		void (*free_doc)(void *doc);
	} api = { 0 };
	const struct tern_lib_symbol syms[] = {
		{ "xmlGetProp", offsetof(struct api, get_prop) },
		{ "xmlFreeDoc", offsetof(struct api, free_doc) },
	};
	const struct tern_lib_symbol missing[] = {
		{ "xmlGetProp", offsetof(struct api, get_prop) },
		{ "tern_no_such_symbol", offsetof(struct api, free_doc) },
	};
	char *error = NULL;

	g_assert_cmpint(tern_lib_load(TERN_LIBXML_SONAME, syms, 2, &api, &error), ==, 0);
	g_assert_null(error);
	g_assert_nonnull(api.get_prop);
	g_assert_nonnull(api.free_doc);
	g_assert_cmpint(tern_lib_load("libtern-no-such.so.0", syms, 2, &api, &error), ==, -1);
	g_assert_nonnull(strstr(error, "libtern-no-such.so.0"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(tern_lib_load(TERN_LIBXML_SONAME, missing, 2, &api, &error), ==, -1);
	g_assert_nonnull(strstr(error, "tern_no_such_symbol"));
	g_free(error);
}

/* libcurl and libxml2 are not loaded at start: with their own
 * dependencies they were half the libraries the dynamic loader mapped and
 * relocated before main(), 5 of every start's 9.5 ms. */
static void
test_lazy_libs(void)
{
	const char *tern = g_getenv("TERN");
	char *argv[] = { "readelf", "-d", (char *)tern, NULL };
	char *out = NULL;
	int status = 0;

	if (tern == NULL) {
		g_test_skip("TERN is not set (run through make check)");
		return;
	}
	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
				   NULL, NULL, &out, NULL, &status, NULL));
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(out, "(NEEDED)"));
	g_assert_nonnull(strstr(out, "[libsqlite3.so"));
	g_assert_null(strstr(out, "[" TERN_CURL_SONAME "]"));
	g_assert_null(strstr(out, "[" TERN_LIBXML_SONAME "]"));
	g_free(out);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/common/exit-codes", test_exit_codes);
	g_test_add_func("/common/lib-load", test_lib_load);
	g_test_add_func("/common/lazy-libs", test_lazy_libs);
	return g_test_run();
}

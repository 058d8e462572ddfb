#include "config.h"

#include "core/common.h"

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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/common/exit-codes", test_exit_codes);
	return g_test_run();
}

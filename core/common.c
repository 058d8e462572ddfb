#include "config.h"
#include "core/common.h"

int
tern_status_exit_code(enum tern_status status)
{
	switch (status) {
	case TERN_OK: return TERN_EXIT_OK;
	case TERN_ERR_MSG:
	case TERN_ERR_FOLDER: return TERN_EXIT_UNAVAILABLE;
	case TERN_ERR_NO: return TERN_EXIT_FAILURE;
	case TERN_ERR_CONN: return TERN_EXIT_IOERR;
	case TERN_ERR_PROTOCOL: return TERN_EXIT_PROTOCOL;
	case TERN_ERR_AUTH: return TERN_EXIT_NOPERM;
	case TERN_ERR_CONFIG: return TERN_EXIT_CONFIG;
	case TERN_ERR_USAGE: return TERN_EXIT_USAGE;
	case TERN_ERR_CANCELLED: return TERN_EXIT_FAILURE;
	case TERN_ERR_UNREACHABLE: return TERN_EXIT_UNAVAILABLE;
	}
	return TERN_EXIT_FAILURE;
}

bool
tern_status_answered(enum tern_status st)
{
	return st == TERN_OK || st == TERN_ERR_NO || st == TERN_ERR_MSG ||
	       st == TERN_ERR_FOLDER || st == TERN_ERR_USAGE;
}

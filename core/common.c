#include "config.h"
#include "core/common.h"

#include <string.h>

#include <gmodule.h>

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

int
tern_lib_load(const char *soname, const struct tern_lib_symbol *syms, size_t n, void *api,
	      char **error_r)
{
	GModule *m = g_module_open(soname, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);

	if (m == NULL) {
		*error_r = g_strdup_printf(_("cannot load %s: %s"), soname, g_module_error());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		gpointer fn = NULL;

		if (!g_module_symbol(m, syms[i].name, &fn) || fn == NULL) {
			*error_r = g_strdup_printf(_("cannot load %s: %s"), soname,
						   g_module_error());
			g_module_close(m);
			return -1;
		}
		/* POSIX: a function's address as dlsym() gives it */
		memcpy((char *)api + syms[i].offset, &fn, sizeof fn);
	}
	g_module_make_resident(m);
	return 0;
}

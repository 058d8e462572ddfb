/* tern — the three-pane interface (ui/tui). */
#include "config.h"

#include "ui/main.h"

int
tui_main(const struct tern_globals *g)
{
	tern_error(_("the interface is not built yet; try 'tern --help'"));
	return TERN_EXIT_FAILURE;
}

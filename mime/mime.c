#include "config.h"

#include <gmime/gmime.h>

#include "mime/mime.h"

void
mime_init(void)
{
	g_mime_init();
}

void
mime_shutdown(void)
{
	g_mime_shutdown();
}

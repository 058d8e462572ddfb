/* tern — mime/: GMime 3 wrappers. The only layer that includes GMime. */
#ifndef TERN_MIME_H
#define TERN_MIME_H

#include "core/common.h"

/* Initialise GMime once at start-up. */
void mime_init(void);
void mime_shutdown(void);

#endif

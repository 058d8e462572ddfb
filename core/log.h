/* tern — the log: a file under the cache directory, written only when
 * --debug is on (log_open). core never prints; this is not the terminal. */
#ifndef TERN_LOG_H
#define TERN_LOG_H

#include "core/common.h"

/* Open $XDG_CACHE_HOME/tern/tern.log for appending (mode 0600). Returns 0
 * or -1 (the caller may warn; logging then stays off). */
int log_open(void);
void log_close(void);
bool log_enabled(void);
void log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif

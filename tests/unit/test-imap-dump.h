/* tern — tests: a stable text form of a decoded IMAP response. */
#ifndef TERN_TEST_IMAP_DUMP_H
#define TERN_TEST_IMAP_DUMP_H

#include "core/imap/imap.h"

/* Appends one or more lines describing r (every decoded field). */
void test_imap_dump(GString *out, const struct imap_response *r);

#endif

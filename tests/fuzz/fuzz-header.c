/* tern — libFuzzer target for the envelope built from a header block
 * (core/imap/header.c): any bytes give a bounded envelope whose strings hold
 * no NUL, CR or LF and whose address lists keep group markers paired. */
#include "config.h"

#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/imap/imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s, size_t max)
{
	if (s == NULL)
		return;
	if (strlen(s) > max || strchr(s, '\r') != NULL || strchr(s, '\n') != NULL)
		abort();
}

static void
check_list(const struct imap_address_list *l, unsigned max)
{
	int depth = 0;

	if (l->n_addrs > max || (l->n_addrs > 0) != (l->addrs != NULL))
		abort();
	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct imap_address *a = &l->addrs[i];

		if (a->host == NULL && a->mailbox != NULL)
			depth++;
		else if (a->host == NULL && --depth < 0)
			abort();
		check_string(a->name, 64 * 1024);
		check_string(a->mailbox, 64 * 1024);
		check_string(a->host, 64 * 1024);
	}
	/* a truncated list may end inside a group */
	if (depth != 0 && !l->truncated)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the header parser reads only max_addresses */
	const struct imap_limits limits = {.max_addresses = 20};
	struct imap_header_envelope *he;
	const struct imap_envelope *e;

	he = imap_header_envelope_parse((const char *)data, size, &limits);
	e = imap_header_envelope_get(he);
	check_string(e->date, 64 * 1024);
	check_string(e->subject, 64 * 1024);
	if (e->subject != NULL && strlen(e->subject) != e->subject_len)
		abort();
	check_string(e->message_id, 64 * 1024);
	check_string(e->in_reply_to, 64 * 1024);
	check_string(imap_header_envelope_references(he), 64 * 1024);
	check_list(&e->from, limits.max_addresses);
	check_list(&e->to, limits.max_addresses);
	check_list(&e->cc, limits.max_addresses);
	imap_header_envelope_free(&he);
	return 0;
}

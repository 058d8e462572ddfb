/* tern — tests for the envelope built from a header block
 * (core/imap/header.c): what ENVELOPE would give, and bounds on hostile
 * input. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap.h"

static struct imap_limits limits;

/* One address list as "name|mailbox|host" entries separated by "; ", NIL
 * for NULL, "…" at the end when truncated. */
static void
dump_list(GString *out, const struct imap_address_list *l)
{
	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct imap_address *a = &l->addrs[i];

		g_string_append_printf(
		    out, "%s%s|%s|%s", i > 0 ? "; " : "", a->name != NULL ? a->name : "NIL",
		    a->mailbox != NULL ? a->mailbox : "NIL", a->host != NULL ? a->host : "NIL");
	}
	if (l->truncated)
		g_string_append(out, "…");
}

static char *
addresses(const char *header, char which)
{
	struct imap_header_envelope *he =
	    imap_header_envelope_parse(header, strlen(header), &limits);
	const struct imap_envelope *e = imap_header_envelope_get(he);
	GString *out = g_string_new(NULL);

	dump_list(out, which == 'f' ? &e->from : which == 't' ? &e->to : &e->cc);
	imap_header_envelope_free(&he);
	g_assert_null(he);
	return g_string_free(out, FALSE);
}

struct addr_row {
	const char *header;
	const char *from; /* dump of From */
};

static const struct addr_row addr_rows[] = {
    {"From: a@b.example\r\n", "NIL|a|b.example"},
    {"From: Jane Doe <jane@x.example>\r\n", "Jane Doe|jane|x.example"},
    {"From: \"Doe, Jane\" <jane@x.example>\r\n", "Doe, Jane|jane|x.example"},
    {"From: \"a \\\"q\\\" b\" <q@x>\r\n", "a \"q\" b|q|x"},
    {"from:   Jane\r\n  Doe\r\n\t<jane@x.example>  \r\n", "Jane Doe|jane|x.example"},
    {"From: jane@x.example (Jane Doe)\r\n", "Jane Doe|jane|x.example"},
    {"From: Jane (the (nested) one) <jane@x>\r\n", "Jane|jane|x"},
    {"From: =?UTF-8?B?w6lsw6g=?= =?UTF-8?Q?x?= <e@x>\r\n",
     "=?UTF-8?B?w6lsw6g=?= =?UTF-8?Q?x?=|e|x"},
    {"From: <@route.example,@r2:jane@x>\r\n", "NIL|jane|x"},
    {"From: Mr. J. Doe <j@x>\r\n", "Mr. J. Doe|j|x"},
    {"From: john . doe @ x . example\r\n", "NIL|john.doe|x.example"},
    {"From: \"odd local\"@x\r\n", "NIL|\"odd local\"|x"},
    {"From: a@[127.0.0.1]\r\n", "NIL|a|[127.0.0.1]"},
    {"From: a@x, b@y,, ,c@z\r\n", "NIL|a|x; NIL|b|y; NIL|c|z"},
    {"From: a@x b@y\r\n", "NIL|a|x; NIL|b|y"},
    {"From: localonly\r\n", "NIL|localonly|"},
    {"From: <>\r\n", ""},
    {"From: Team: a@x, B <b@y>;, c@z\r\n", "NIL|Team|NIL; NIL|a|x; B|b|y; NIL|NIL|NIL; NIL|c|z"},
    {"From: undisclosed-recipients:;\r\n", "NIL|undisclosed-recipients|NIL; NIL|NIL|NIL"},
    {"From: Unterminated \"quote <a@x>\r\n", "NIL|Unterminated\"quote <a@x>\"|"},
    {"From: Jane (unterminated comment <a@x>\r\n", "unterminated comment <a@x>|Jane|"},
    {"From: Jane <jane@x\r\n", "Jane|jane|x"},
    {"From: >>,,;;::@@<<\r\n", "NIL||NIL; NIL|NIL|NIL"},
    {"From: G: H: a@x;\r\n", "NIL|G|NIL; NIL|H|; NIL|a|x; NIL|NIL|NIL"},
    {"Subject: no from here\r\n", ""},
    {"", ""},
    {"From: first@x\r\nFrom: second@y\r\n", "NIL|first|x"},
    {"X-From: no@x\r\nFrom: yes@y\r\n", "NIL|yes|y"},
    {"From : obs@x\r\n", "NIL|obs|x"},
    {" From: continuation without a field\r\nFrom: a@x\r\n", "NIL|a|x"},
    {"From: a@x\n b@y\n", "NIL|a|x; NIL|b|y"},
};

static void
test_addresses(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(addr_rows); i++) {
		char *got = addresses(addr_rows[i].header, 'f');

		if (g_strcmp0(got, addr_rows[i].from) != 0)
			g_error("row %zu %s: got \"%s\", want \"%s\"", i, addr_rows[i].header, got,
				addr_rows[i].from);
		g_free(got);
	}
}

static void
test_fields(void)
{
	static const char h[] = "Date: Mon, 2 Jan 2006\r\n 15:04:05 -0700\r\n"
				"Subject:  Re: a\r\n\tfolded   subject  \r\n"
				"Message-ID: <id1@x>\r\n"
				"In-Reply-To: <id0@x>\r\n"
				"References: <a@x>\r\n <b@x>\r\n\t<id0@x>\r\n"
				"To: t1@x, T2 <t2@y>\r\n"
				"Cc: c@z\r\n"
				"\r\n";
	struct imap_header_envelope *he = imap_header_envelope_parse(h, sizeof(h) - 1, &limits);
	const struct imap_envelope *e = imap_header_envelope_get(he);
	char *to = addresses(h, 't'), *cc = addresses(h, 'c');

	g_assert_cmpstr(e->date, ==, "Mon, 2 Jan 2006 15:04:05 -0700");
	g_assert_cmpstr(e->subject, ==, "Re: a folded   subject");
	g_assert_cmpuint(e->subject_len, ==, strlen(e->subject));
	g_assert_cmpstr(e->message_id, ==, "<id1@x>");
	g_assert_cmpstr(e->in_reply_to, ==, "<id0@x>");
	g_assert_cmpstr(imap_header_envelope_references(he), ==, "<a@x> <b@x> <id0@x>");
	g_assert_cmpstr(to, ==, "NIL|t1|x; T2|t2|y");
	g_assert_cmpstr(cc, ==, "NIL|c|z");
	g_assert_cmpuint(e->from.n_addrs, ==, 0);
	g_assert_null(e->from.addrs);
	g_assert_cmpuint(e->sender.n_addrs + e->reply_to.n_addrs + e->bcc.n_addrs, ==, 0);
	g_free(to);
	g_free(cc);
	imap_header_envelope_free(&he);
	imap_header_envelope_free(&he); /* a second free is harmless */
}

static void
test_absent(void)
{
	struct imap_header_envelope *he = imap_header_envelope_parse("", 0, &limits);
	const struct imap_envelope *e = imap_header_envelope_get(he);

	g_assert_null(e->date);
	g_assert_null(e->subject);
	g_assert_null(e->message_id);
	g_assert_null(e->in_reply_to);
	g_assert_null(imap_header_envelope_references(he));
	imap_header_envelope_free(&he);
	/* an empty References counts as none; an empty Subject is "" */
	he = imap_header_envelope_parse("References:  \r\nSubject:\r\n", 26, &limits);
	g_assert_null(imap_header_envelope_references(he));
	g_assert_cmpstr(imap_header_envelope_get(he)->subject, ==, "");
	imap_header_envelope_free(&he);
}

/* NUL bytes and bare CR/LF inside values are dropped, never truncate. */
static void
test_nul(void)
{
	static const char h[] = "Subject: a\0b\rc\r\nFrom: N\0ame <x\0y@h\0st>\r\n";
	struct imap_header_envelope *he = imap_header_envelope_parse(h, sizeof(h) - 1, &limits);
	const struct imap_envelope *e = imap_header_envelope_get(he);

	g_assert_cmpstr(e->subject, ==, "abc");
	g_assert_cmpuint(e->from.n_addrs, ==, 1);
	g_assert_cmpstr(e->from.addrs[0].name, ==, "Name");
	g_assert_cmpstr(e->from.addrs[0].mailbox, ==, "xy");
	g_assert_cmpstr(e->from.addrs[0].host, ==, "hst");
	imap_header_envelope_free(&he);
}

/* 10,000 addresses: capped at max_addresses and marked truncated. */
static void
test_many_addresses(void)
{
	GString *h = g_string_new("To: ");
	struct imap_header_envelope *he;
	const struct imap_envelope *e;

	for (int i = 0; i < 10000; i++)
		g_string_append_printf(h, "%sU%d <u%d@x>", i > 0 ? ",\r\n " : "", i, i);
	he = imap_header_envelope_parse(h->str, h->len, &limits);
	e = imap_header_envelope_get(he);
	g_assert_cmpuint(e->to.n_addrs, ==, limits.max_addresses);
	g_assert_true(e->to.truncated);
	g_assert_cmpstr(e->to.addrs[0].name, ==, "U0");
	g_assert_cmpstr(e->to.addrs[999].mailbox, ==, "u999");
	imap_header_envelope_free(&he);
	g_string_free(h, TRUE);
}

/* A 10 MB header: each value capped at 64 KiB, unterminated quotes and
 * comments end at the end, and it takes linear time (the test would time
 * out otherwise). */
static void
test_huge(void)
{
	static const char *const fills[] = {"\"", "(", "((((((((", "<",	   "\\",
					    "a",  " ", ":",	   "\r\n "};
	size_t big = 10u * 1024 * 1024;

	for (size_t f = 0; f < G_N_ELEMENTS(fills); f++) {
		GString *h = g_string_sized_new(big + 64);
		struct imap_header_envelope *he;
		const struct imap_envelope *e;

		g_string_append(h, "Subject: ");
		while (h->len < big / 2)
			g_string_append(h, fills[f]);
		g_string_append(h, "\r\nFrom: x ");
		while (h->len < big)
			g_string_append(h, fills[f]);
		he = imap_header_envelope_parse(h->str, h->len, &limits);
		e = imap_header_envelope_get(he);
		g_assert_nonnull(e->subject);
		g_assert_cmpuint(e->subject_len, <=, 64 * 1024);
		g_assert_cmpuint(e->from.n_addrs, <=, limits.max_addresses);
		imap_header_envelope_free(&he);
		g_string_free(h, TRUE);
	}
}

/* Everything a parse gives, as text. */
static char *
dump_all(const struct imap_header_envelope *he)
{
	const struct imap_envelope *e = imap_header_envelope_get(he);
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "date=%s subject=%s/%zu id=%s irt=%s refs=%s\nfrom=",
			       e->date != NULL ? e->date : "NIL",
			       e->subject != NULL ? e->subject : "NIL", e->subject_len,
			       e->message_id != NULL ? e->message_id : "NIL",
			       e->in_reply_to != NULL ? e->in_reply_to : "NIL",
			       imap_header_envelope_references(he) != NULL
				   ? imap_header_envelope_references(he) : "NIL");
	dump_list(out, &e->from);
	g_string_append(out, "\nto=");
	dump_list(out, &e->to);
	g_string_append(out, "\ncc=");
	dump_list(out, &e->cc);
	g_string_append_printf(out, "\nrest=%zu", e->sender.n_addrs + e->reply_to.n_addrs +
						      e->bcc.n_addrs);
	return g_string_free(out, FALSE);
}

/* One envelope parsed again and again (as a load does, one header a
 * message): each time what a fresh parse gives, nothing of the header
 * before left over, whatever their sizes in turn (a big one, then small
 * ones, addresses or none). */
static void
test_reparse(void)
{
	GString *big = g_string_new("To: ");
	struct imap_header_envelope *again = NULL;
	GPtrArray *headers = g_ptr_array_new();
	GRand *rnd = g_rand_new_with_seed(7);

	for (int i = 0; i < 3000; i++)
		g_string_append_printf(big, "%sU%d <u%d@x>", i > 0 ? ", " : "", i, i);
	g_string_append(big, "\r\nSubject: big\r\nReferences: <r@x>\r\n");
	for (size_t i = 0; i < G_N_ELEMENTS(addr_rows); i++)
		g_ptr_array_add(headers, (gpointer)addr_rows[i].header);
	g_ptr_array_add(headers, big->str);
	g_ptr_array_add(headers, "Date: Mon, 2 Jan 2006\r\nSubject: s\r\nMessage-ID: <m@x>\r\n"
				 "In-Reply-To: <i@x>\r\nCc: c@z, D <d@w>\r\n");
	for (int t = 0; t < 2000; t++) {
		const char *h = headers->pdata[g_rand_int_range(rnd, 0, (gint32)headers->len)];
		struct imap_header_envelope *fresh = imap_header_envelope_parse(h, strlen(h), &limits);
		char *want = dump_all(fresh), *got;

		if (again == NULL)
			again = imap_header_envelope_parse(h, strlen(h), &limits);
		else
			imap_header_envelope_reparse(again, h, strlen(h), &limits);
		got = dump_all(again);
		if (strcmp(got, want) != 0)
			g_error("parse %d of %.60s: got\n%s\nwant\n%s", t, h, got, want);
		g_free(got);
		g_free(want);
		imap_header_envelope_free(&fresh);
	}
	imap_header_envelope_free(&again);
	g_ptr_array_unref(headers);
	g_string_free(big, TRUE);
	g_rand_free(rnd);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	imap_limits_init(&limits);
	g_test_add_func("/imap/header/addresses", test_addresses);
	g_test_add_func("/imap/header/fields", test_fields);
	g_test_add_func("/imap/header/absent", test_absent);
	g_test_add_func("/imap/header/nul", test_nul);
	g_test_add_func("/imap/header/many-addresses", test_many_addresses);
	g_test_add_func("/imap/header/huge", test_huge);
	g_test_add_func("/imap/header/reparse", test_reparse);
	return g_test_run();
}

/* tern — tests for core/imap/watch: what a STATUS or a folder list says
 * changed (no client: the table is fed by hand, as the owner would). */
#include "config.h"

#include "core/common.h"

#include <string.h>

#include "core/imap/watch.h"

/* The folders of every case's first list: an ASCII name and one whose
 * LIST name is modified UTF-7. */
static GPtrArray *
folders(gint64 a_msgs, gint64 a_unseen, guint32 a_next)
{
	GPtrArray *l = g_ptr_array_new_with_free_func((GDestroyNotify)imap_folder_free);
	struct imap_folder *f = g_new0(struct imap_folder, 1);

	f->name = g_strdup("Archive");
	f->wire_name = g_strdup("Archive");
	f->messages = a_msgs;
	f->unseen = a_unseen;
	f->uidnext = a_next;
	g_ptr_array_add(l, f);
	f = g_new0(struct imap_folder, 1);
	f->name = g_strdup("Z\xc3\xbcrich");
	f->wire_name = g_strdup("Z&APw-rich");
	f->messages = 2;
	f->unseen = 0;
	f->uidnext = 3;
	g_ptr_array_add(l, f);
	return l;
}

static void
record(const struct watch_change *ch, void *ud)
{
	g_string_append_printf(ud, "%s %d %u %u %u;", ch->folder, (int)ch->event, ch->messages,
			       ch->unseen, ch->added);
}

struct status_case {
	const char *wire;  /* as the STATUS names it */
	guint present;
	guint32 messages, unseen, uidnext;
	const char *own;   /* imap_watch_expect() 2 here first, or NULL */
	const char *want;  /* what was told: "folder event messages unseen added;" */
};

#define M IMAP_FSTATUS_MESSAGES
#define U IMAP_FSTATUS_UNSEEN
#define N IMAP_FSTATUS_UIDNEXT

/* Archive starts at 5 messages, 1 unseen, UIDNEXT 6; Zürich at 2, 0, 3. */
static const struct status_case status_cases[] = {
	/* nothing changed (Dovecot sends such lines): nothing told */
	{ "Archive", M | U | N, 5, 1, 6, NULL, "" },
	{ "Z&APw-rich", M | U | N, 2, 0, 3, NULL, "" },
	/* UIDNEXT up: new mail, as many as it went up */
	{ "Archive", M | U | N, 7, 3, 8, NULL, "Archive 0 7 3 2;" },
	/* the UTF-8 name Dovecot's NOTIFY uses, and the mUTF-7 one of LIST */
	{ "Z\xc3\xbcrich", M | U | N, 3, 1, 4, NULL, "Z\xc3\xbcrich 0 3 1 1;" },
	{ "Z&APw-rich", M | U | N, 3, 1, 4, NULL, "Z\xc3\xbcrich 0 3 1 1;" },
	/* MESSAGES down: an expunge */
	{ "Archive", M | U | N, 4, 1, 6, NULL, "Archive 1 4 1 0;" },
	/* UNSEEN alone, with the rest or as the only item */
	{ "Archive", M | U | N, 5, 0, 6, NULL, "Archive 2 5 0 0;" },
	{ "Archive", U, 0, 2, 0, NULL, "Archive 2 5 2 0;" },
	/* no UIDNEXT: more messages are new ones */
	{ "Archive", M | U, 6, 2, 0, NULL, "Archive 0 6 2 1;" },
	/* the user's own two: told as a count change, not as new mail */
	{ "Archive", M | U | N, 7, 3, 8, "Archive", "Archive 3 7 3 0;" },
	/* two own expected, three came: one is new */
	{ "Archive", M | U | N, 8, 4, 9, "Archive", "Archive 0 8 4 1;" },
	/* a folder no list named: nothing told, nothing kept */
	{ "Elsewhere", M | U | N, 9, 9, 9, NULL, "" },
	{ "Z&APw-rich-", M | U | N, 9, 9, 9, NULL, "" },
	/* the largest counts there are */
	{ "Archive", M | U | N, G_MAXUINT32, G_MAXUINT32, G_MAXUINT32, NULL,
	  "Archive 0 4294967295 4294967295 4294967289;" },
};

static void
test_status(void)
{
	for (size_t i = 0; i < TERN_ARRAY_LEN(status_cases); i++) {
		const struct status_case *c = &status_cases[i];
		GString *told = g_string_new(NULL);
		struct imap_watch *w = imap_watch_new(60, record, told);
		GPtrArray *l = folders(5, 1, 6);
		struct imap_folder_status fs = { .wire_name = c->wire, .present = c->present,
						 .messages = c->messages, .unseen = c->unseen,
						 .uidnext = c->uidnext };
		struct imap_event ev = { .type = IMAP_EVENT_STATUS, .fstatus = &fs };

		imap_watch_folders(w, l); /* the first list: quiet */
		g_assert_cmpstr(told->str, ==, "");
		if (c->own != NULL)
			imap_watch_expect(w, c->own, 2);
		g_assert_true(imap_watch_event(w, &ev));
		if (strcmp(told->str, c->want) != 0)
			g_test_message("case %zu (%s)", i, c->wire);
		g_assert_cmpstr(told->str, ==, c->want);
		imap_watch_free(&w);
		g_assert_null(w);
		g_ptr_array_unref(l);
		g_string_free(told, TRUE);
	}
}

/* The open folder's changes are the owner's: none told; leaving it, what
 * the owner knew is written quietly, and only what comes after is news. */
static void
test_selected(void)
{
	GString *told = g_string_new(NULL);
	struct imap_watch *w = imap_watch_new(60, record, told);
	GPtrArray *l = folders(5, 1, 6);
	struct imap_folder_status fs = { .wire_name = "Archive", .present = M | U | N,
					 .messages = 6, .unseen = 2, .uidnext = 7 };
	struct imap_event ev = { .type = IMAP_EVENT_STATUS, .fstatus = &fs };
	struct imap_event other = { .type = IMAP_EVENT_EXISTS, .count = 3 };

	imap_watch_folders(w, l);
	imap_watch_set_selected(w, "Archive");
	g_assert_true(imap_watch_event(w, &ev));
	g_assert_cmpstr(told->str, ==, "");
	g_assert_false(imap_watch_event(w, &other));
	imap_watch_set_counts(w, "Archive", 7, 2, 8); /* it saw one more */
	imap_watch_set_selected(w, NULL);
	fs.messages = 7;
	fs.uidnext = 8;
	g_assert_true(imap_watch_event(w, &ev));
	g_assert_cmpstr(told->str, ==, "");
	fs.messages = 8;
	fs.uidnext = 9;
	g_assert_true(imap_watch_event(w, &ev));
	g_assert_cmpstr(told->str, ==, "Archive 0 8 2 1;");
	/* undo brings one back to the open folder: no credit is left there
	 * to hide the next real arrival once it is left */
	g_string_truncate(told, 0);
	imap_watch_set_selected(w, "Archive");
	imap_watch_expect(w, "Archive", 1);
	imap_watch_set_selected(w, NULL);
	fs.messages = 9;
	fs.uidnext = 10;
	g_assert_true(imap_watch_event(w, &ev));
	g_assert_cmpstr(told->str, ==, "Archive 0 9 2 1;");
	imap_watch_free(&w);
	g_ptr_array_unref(l);
	g_string_free(told, TRUE);
}

/* Later lists: changes told; a folder made since starts empty (what it
 * holds came); one no longer listed is forgotten; a failed own move is
 * taken back. */
static void
test_lists(void)
{
	GString *told = g_string_new(NULL);
	struct imap_watch *w = imap_watch_new(60, record, told);
	GPtrArray *l = folders(5, 1, 6), *l2 = folders(5, 1, 6), *l3 = folders(6, 2, 7);
	struct imap_folder *f = g_new0(struct imap_folder, 1);
	struct imap_folder_status fs = { .wire_name = "Neu", .present = M | U | N,
					 .messages = 9, .unseen = 9, .uidnext = 99 };
	struct imap_event ev = { .type = IMAP_EVENT_STATUS, .fstatus = &fs };

	f->name = g_strdup("Neu");
	f->wire_name = g_strdup("Neu");
	f->messages = 2;
	f->unseen = 1;
	f->uidnext = 3;
	g_ptr_array_add(l2, f);
	imap_watch_folders(w, l);
	imap_watch_folders(w, l2);
	g_assert_cmpstr(told->str, ==, "Neu 0 2 1 2;");
	g_string_truncate(told, 0);
	imap_watch_expect(w, "Archive", 1);
	imap_watch_unexpect(w, "Archive", 1); /* the move failed */
	imap_watch_folders(w, l3);            /* Neu is gone */
	g_assert_cmpstr(told->str, ==, "Archive 0 6 2 1;");
	g_string_truncate(told, 0);
	g_assert_true(imap_watch_event(w, &ev));
	g_assert_cmpstr(told->str, ==, "");
	imap_watch_free(&w);
	g_ptr_array_unref(l);
	g_ptr_array_unref(l2);
	g_ptr_array_unref(l3);
	g_string_free(told, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imap-watch/status", test_status);
	g_test_add_func("/imap-watch/selected", test_selected);
	g_test_add_func("/imap-watch/lists", test_lists);
	return g_test_run();
}

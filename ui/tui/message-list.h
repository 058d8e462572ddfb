/* tern — ui/tui/message-list: the messages of the open folder, sorted,
 * filtered and threaded into the rows the list pane shows (pure: no
 * terminal, no network). */
#ifndef TERN_TUI_MESSAGE_LIST_H
#define TERN_TUI_MESSAGE_LIST_H

#include "core/common.h"
#include "core/imap/client.h"

/* A folder may hold at most this many messages here; more are ignored. */
#define MESSAGE_LIST_MAX 2000000
/* A header kept for display or threading is cut at this many bytes. */
#define MESSAGE_LIST_MAX_FIELD 4096
/* Threaded view: rebuild at most this often (µs) while messages stream in. */
#define MESSAGE_LIST_THREAD_INTERVAL (700 * 1000)

enum message_sort {
	MESSAGE_SORT_DATE_DESC = 0, /* newest first (the default) */
	MESSAGE_SORT_DATE_ASC,
	MESSAGE_SORT_FROM,
	MESSAGE_SORT_SUBJECT,
	MESSAGE_SORT_SIZE_DESC,
	MESSAGE_SORT_COUNT
};

/* Short translated name of a sort order ("date", "from"...). Transfer none. */
const char *message_sort_label(enum message_sort s);

struct msg {
	guint32 uid;
	guint flags;        /* IMAP_FLAG_*, as shown (changes show before the server confirms) */
	guint32 size;
	gint64 date;        /* unix time */
	int date_tz;        /* minutes east of UTC */
	/* Raw header values as the server sent them (in the list's string
	 * chunk; NULL when absent). */
	const char *from_name_raw;
	const char *from_addr;
	const char *to_raw;
	const char *subject_raw;
	const char *message_id;
	const char *in_reply_to;
	const char *references;
	/* Decoded on first use (message_list_from() ...), controls kept: the
	 * drawing code sanitises. */
	char *from;
	char *to;
	char *subject;
	char *sort_key;
	char *tree;         /* threaded view: the tree drawn before the subject */
	guint hidden : 1;   /* moved or deleted here, not yet confirmed */
	guint tagged : 1;
	guint in_view : 1;
};

struct message_list {
	GHashTable *by_uid;   /* uid -> struct msg * (owned) */
	GPtrArray *all;       /* every message, in sort order */
	GPtrArray *pending;   /* added since the last refresh, unsorted */
	GPtrArray *view;      /* the rows shown (struct msg *, transfer none) */
	GStringChunk *strings;
	GHashTable *filter;   /* search result: uid set, or NULL for all */
	enum message_sort sort;
	bool threaded;
	bool view_stale;
	bool resort;          /* the sort order changed: sort everything */
	gint64 thread_built;  /* monotonic time of the last thread build */
	struct msg *sel;      /* selected message, or NULL */
	guint sel_row;        /* its row in view (valid after refresh) */
	guint top;            /* first row on screen */
	guint height;         /* rows on screen, for paging */
	guint total;          /* messages not hidden */
	guint unread;         /* of those, without \Seen */
	guint tagged;
};

/* Returns: transfer full (message_list_free()). */
struct message_list *message_list_new(void);
void message_list_free(struct message_list **ml);
/* Forget every message (a folder change). */
void message_list_clear(struct message_list *ml);

/* Add a message from a fetched summary, or update the flags of the one
 * already there. Returns it (transfer none), or NULL past MESSAGE_LIST_MAX. */
struct msg *message_list_add(struct message_list *ml, const struct imap_summary *s);
struct msg *message_list_get(struct message_list *ml, guint32 uid);
/* Remove a message for good (expunged). */
void message_list_remove(struct message_list *ml, guint32 uid);
/* Flags changed (by us or another client). */
void message_list_set_flags(struct message_list *ml, struct msg *m, guint flags);
void message_list_set_hidden(struct message_list *ml, struct msg *m, bool hidden);
void message_list_set_tagged(struct message_list *ml, struct msg *m, bool tagged);

/* Show only these UIDs (guint32), or everything when uids is NULL. */
void message_list_set_filter(struct message_list *ml, const GArray *uids);
void message_list_set_sort(struct message_list *ml, enum message_sort sort);
void message_list_set_threaded(struct message_list *ml, bool threaded);

/* Bring view up to date: sort what was added, rebuild the rows, keep the
 * selected message selected (or, when it went away, select the one that
 * took its row) at the same place on screen. Returns true when the
 * threaded view was left stale to be rebuilt later (call again after
 * MESSAGE_LIST_THREAD_INTERVAL). */
bool message_list_refresh(struct message_list *ml);

/* Selection, in rows of the view (call after refresh). */
void message_list_select_row(struct message_list *ml, gssize row);
void message_list_move(struct message_list *ml, gssize delta);
/* Select the next (dir > 0) or previous unread message after the
 * selection; false when there is none. */
bool message_list_next_unread(struct message_list *ml, int dir);
/* Scroll so the selection is on screen in height rows. */
void message_list_scroll(struct message_list *ml, guint height);

/* The tagged messages (struct msg *, transfer container), in view order. */
GPtrArray *message_list_tagged(struct message_list *ml);

/* Decoded fields, decoded on first use. Transfer none, valid as long as m. */
const char *msg_from(struct msg *m);
const char *msg_to(struct msg *m);
const char *msg_subject(struct msg *m);

#endif

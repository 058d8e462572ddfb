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
/* Message records allocated at a time. */
#define MESSAGE_LIST_BLOCK 1024
/* Decoded strings kept for drawing before the cache starts again. */
#define MESSAGE_LIST_DECODED_MAX 4096

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

/* Interned strings: each distinct string is kept once and named by a
 * small id (0 stands for NULL). Strings stay until the table is cleared. */
struct strtab_slot {
	guint32 id;           /* 0: empty */
	guint32 hash;         /* its string's: a probe compares it before
				 reading the string (a cache miss) */
};

struct strtab {
	GStringChunk *chunk;
	GPtrArray *strs;      /* id -> const char * (in chunk); [0] is NULL */
	/* Open addressing, linear probing: a probe's id and hash share a
	 * cache line with the next ones (two arrays cost two misses a probe,
	 * 40 % of a 1,000,000-message load). */
	struct strtab_slot *slots;
	guint cap;            /* slots, a power of two (0: none yet) */
	guint32 seed;         /* random: senders cannot aim at one slot */
};

void strtab_init(struct strtab *st);
void strtab_clear(struct strtab *st);
/* The id of the n bytes at s (added when new; 0 when s is NULL). */
guint32 strtab_intern(struct strtab *st, const char *s, gsize n);
/* Transfer none; NULL for id 0. */
const char *strtab_get(const struct strtab *st, guint32 id);

/* One message: a fixed record, allocated by the list in blocks, with
 * its strings as ids into the list's tables. 56 bytes (the preview's id
 * filled what was padding). */
struct msg {
	gint64 date;        /* unix time */
	guint32 uid;
	guint32 flags;      /* IMAP_FLAG_*, as shown (changes show before the server confirms) */
	guint32 size;
	/* Raw header values as the server sent them: ids in the list's
	 * strings (cut at MESSAGE_LIST_MAX_FIELD). */
	guint32 from_name;
	guint32 from_addr;
	guint32 to;
	guint32 subject;
	/* Threading: the Message-ID ("<id>") as an id in the list's ids, and
	 * the ids of References (or of In-Reply-To when there are none),
	 * nrefs of them at refs in the list's ref pool. */
	guint32 message_id;
	guint32 refs;
	guint32 tree;       /* threaded view: the branch drawn before the subject, in trees */
	guint32 preview;    /* the server's PREVIEW, an id in strings (0: unknown) */
	gint16 date_tz;     /* minutes east of UTC */
	guint8 nrefs;
	guint8 hidden : 1;  /* moved or deleted here, not yet confirmed */
	guint8 tagged : 1;
	guint8 in_view : 1;
	guint8 mid_raw : 1; /* the Message-ID had no "<...>": kept as it came, not threaded */
	guint8 live : 1;    /* a slot in use (else on the free list) */
	guint8 kept : 1;    /* seen by the current cache walk (see message_list_mark) */
	guint8 preview_asked : 1; /* its PREVIEW was asked for alone (conn.c) */
	guint8 sizeless : 1; /* listed from a first screen fetched without its
				size (size 0 until the load brings it) */
};

struct uid_slot {
	guint32 uid;
	guint32 idx;          /* record index + 1; 0: empty */
};

struct message_list {
	/* Records in blocks of MESSAGE_LIST_BLOCK; a record is named by its
	 * index (block * MESSAGE_LIST_BLOCK + slot) and never moves. */
	GPtrArray *blocks;    /* struct msg[MESSAGE_LIST_BLOCK] each */
	guint32 used;         /* slots handed out */
	GArray *free_slots;   /* indices of removed records (guint32) */
	guint count;          /* live records */
	/* UID -> index + 1, open addressing with linear probing; each slot
	 * holds its UID, so a probe reads no record (a cache miss each). */
	struct uid_slot *uid_slots;
	guint uid_cap;
	guint32 uid_seed;     /* random: a server cannot pick UIDs that collide */
	struct strtab strings; /* header values */
	struct strtab ids;     /* Message-IDs */
	struct strtab trees;   /* thread branches */
	GArray *ref_pool;      /* guint32 ids in ids */
	/* Decoded header values for the rows drawn: key (id * 4 + kind) ->
	 * char *, emptied when it grows past MESSAGE_LIST_DECODED_MAX. */
	GHashTable *decoded;
	/* Sort keys by string id, for the from and subject orders only. */
	GPtrArray *keys[2];
	int keys_sort;        /* the order keys were made for (-1: none) */
	GPtrArray *all;       /* every message, in sort order */
	GPtrArray *pending;   /* added since the last refresh, unsorted */
	GPtrArray *view;      /* the rows shown (struct msg *, transfer none) */
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
/* The same for a summary fetched without RFC822.SIZE: a new message is
 * sizeless until message_list_add() brings it again with its size. */
struct msg *message_list_add_sizeless(struct message_list *ml, const struct imap_summary *s);
/* Summaries prepared off the main thread for message_list_add_prepared():
 * their strings cut, copied and hashed with the seeds of the list's tables
 * (message_list_seeds(), asked on the main thread), their Message-IDs and
 * References found. A batch is filled by one thread, then handed over and
 * only read; hashes made for a list cleared since are made again. */
struct message_list_seeds {
	guint32 strings;
	guint32 ids;
};
struct message_list_batch;
void message_list_seeds(struct message_list *ml, struct message_list_seeds *seeds_r);
/* Room for about rows rows. Transfer full (message_list_batch_free()). */
struct message_list_batch *message_list_batch_new(const struct message_list_seeds *seeds,
						  guint rows);
void message_list_batch_free(struct message_list_batch **b);
/* Append s (copied; any thread, no list needed). */
void message_list_batch_add(struct message_list_batch *b, const struct imap_summary *s);
guint message_list_batch_len(const struct message_list_batch *b);
guint32 message_list_batch_uid(const struct message_list_batch *b, guint i);
guint message_list_batch_flags(const struct message_list_batch *b, guint i);
/* Start fetching what adding the rows after i will read (call before
 * adding each row i, in order). */
void message_list_batch_prefetch(const struct message_list *ml,
				 const struct message_list_batch *b, guint i);
/* message_list_add() of row i with these flags. A message already there
 * is updated as message_list_add() does when update, else only given what
 * it lacks (a preview, a size) and marked: its flags stay. */
struct msg *message_list_add_prepared(struct message_list *ml, const struct message_list_batch *b,
				      guint i, guint flags, bool update);
/* Make room for n messages (at most MESSAGE_LIST_MAX) in the UID map and
 * the string tables now, before they come: growing them while a big
 * folder loads rehashes what is there (30 ms at 750,000, keys waiting).
 * The memory is the system's zeroed pages: what no message touches costs
 * nothing resident. */
void message_list_reserve(struct message_list *ml, guint n);
struct msg *message_list_get(struct message_list *ml, guint32 uid);
/* Messages held (hidden ones too). */
guint message_list_size(const struct message_list *ml);
/* Their UIDs, in no order (guint32, transfer full). */
GArray *message_list_uids(const struct message_list *ml);
/* A walk of the cache: unmark every message, mark those the walk meets
 * (messages added meanwhile come marked), then remove the unmarked. */
void message_list_unmark_all(struct message_list *ml);
void message_list_mark(struct message_list *ml, struct msg *m);
guint message_list_remove_unmarked(struct message_list *ml);
/* Remove a message for good (expunged). */
void message_list_remove(struct message_list *ml, guint32 uid);
/* The same for n UIDs at once (those not listed are skipped), in one pass
 * over the folder whatever n is. */
void message_list_remove_many(struct message_list *ml, const guint32 *uids, guint n);
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
/* Select the row of this message (by UID, or by Message-ID as
 * message_list_message_id() gives it); false when it is not shown. */
bool message_list_select_uid(struct message_list *ml, guint32 uid);
bool message_list_select_mid(struct message_list *ml, const char *mid);
/* Select the next (dir > 0) or previous unread message after the
 * selection; false when there is none. */
bool message_list_next_unread(struct message_list *ml, int dir);
/* Scroll so the selection is on screen in height rows. */
void message_list_scroll(struct message_list *ml, guint height);

/* The tagged messages (struct msg *, transfer container), in view order. */
GPtrArray *message_list_tagged(struct message_list *ml);

/* Decoded fields, for drawing. Transfer none, valid until the next
 * message_list_scroll() or message_list_clear(). */
const char *message_list_from(struct message_list *ml, const struct msg *m);
const char *message_list_to(struct message_list *ml, const struct msg *m);
const char *message_list_subject(struct message_list *ml, const struct msg *m);
/* The server's preview (one clean line; "" when it has none), or NULL
 * while unknown. Transfer none, valid until message_list_clear(). */
const char *message_list_preview(const struct message_list *ml, const struct msg *m);
/* A preview came for a message listed already. */
void message_list_set_preview(struct message_list *ml, struct msg *m, const char *preview);
/* True when the message has a To header. */
bool message_list_has_to(const struct message_list *ml, const struct msg *m);
/* The Message-ID ("<id>" when it had one), or NULL. Transfer none. */
const char *message_list_message_id(const struct message_list *ml, const struct msg *m);
/* Threaded view: the branch drawn before the subject ("" for a root).
 * Transfer none. */
const char *message_list_tree(const struct message_list *ml, const struct msg *m);
/* The Message-ID ids a message refers to (n_r of them). Transfer none. */
const guint32 *message_list_refs(const struct message_list *ml, const struct msg *m, guint *n_r);

#endif

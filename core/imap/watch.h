/* tern — core/imap/watch: every folder's counts, kept live (issue #16).
 *
 * One table owns what is known of each listed folder (messages, unseen,
 * UIDNEXT). It learns from NOTIFY's STATUS events (RFC 5465) where the
 * server offers NOTIFY, else from a LIST-STATUS poll every poll_interval
 * seconds (one round trip however many folders), and from any folder list
 * its owner makes. Each update is compared with the table: UIDNEXT up is
 * new mail, MESSAGES down an expunge, UNSEEN alone a flag change; a folder
 * that did not change is dropped (Dovecot sends STATUS for folders that did
 * not). The changed ones go to one callback. The TUI and `tern watch` share
 * it; the owner keeps the client and forwards its events.
 *
 * Bounds: only folders a LIST named are kept (at most WATCH_MAX_FOLDERS);
 * a STATUS for any other name is dropped, so a server flooding STATUS lines
 * costs time, never memory. */
#ifndef TERN_IMAP_WATCH_H
#define TERN_IMAP_WATCH_H

#include "core/common.h"
#include "core/imap/client.h"

/* Folders kept in the table; a longer list is cut here. */
#define WATCH_MAX_FOLDERS 20000
/* With NOTIFY, the table is still compared with a LIST this often (s): it
 * finds a dead link and folders NOTIFY does not cover. */
#define WATCH_SAFETY_POLL 300
/* A STATUS for a folder not in the table makes the list again after (s). */
#define WATCH_RELIST_DELAY 1
/* The user's own arrivals are forgotten when not seen within (s). */
#define WATCH_OWN_TIMEOUT 600

enum watch_event {
	WATCH_NEW,     /* UIDNEXT went up: mail came (added says how many) */
	WATCH_EXPUNGE, /* MESSAGES went down */
	WATCH_FLAGS,   /* only UNSEEN changed */
	WATCH_STATUS,  /* the counts changed otherwise (the user's own move came) */
};

struct watch_change {
	const char *folder;   /* the decoded UTF-8 name, as `tern folders` prints */
	enum watch_event event;
	guint32 messages;
	guint32 unseen;
	guint32 added;        /* WATCH_NEW: messages that came, not the user's own */
};

struct imap_watch;

/* Called for each folder that changed, from imap_watch_event(),
 * imap_watch_folders() (so also from imap_watch_attach() given a list) and
 * the answer to the watch's own LIST; change is transfer none (valid during
 * the call). It must not free the watch. */
typedef void imap_watch_fn(const struct watch_change *change, void *ud);

/* poll_interval: seconds between polls without NOTIFY (>= 1).
 * Returns: transfer full (imap_watch_free()). */
struct imap_watch *imap_watch_new(guint poll_interval, imap_watch_fn *fn, void *ud);
/* Detaches and frees (the same rule as imap_watch_detach()); sets *w to
 * NULL. */
void imap_watch_free(struct imap_watch **w);

/* A connection is ready (c: transfer none, until imap_watch_detach()).
 * folders: a list just made with imap_client_poll_folders() to start from,
 * or NULL: the watch lists first. The first list fills the table quietly;
 * after a reconnect, what changed meanwhile is reported. Then NOTIFY, or
 * the poll when the server has no NOTIFY or refuses it. */
void imap_watch_attach(struct imap_watch *w, struct imap_client *c, const GPtrArray *folders);
/* The connection is gone: call it once the client is closed
 * (IMAP_EVENT_CLOSED: its answers are all in) or freed. Stops polling,
 * forgets what waited for the client, keeps the table. */
void imap_watch_detach(struct imap_watch *w);

/* The owner's event callback hands every event of the client here. True
 * when it was a STATUS (used or dropped). */
bool imap_watch_event(struct imap_watch *w, const struct imap_event *ev);
/* A folder list (struct imap_folder *) the owner made, with status. */
void imap_watch_folders(struct imap_watch *w, const GPtrArray *folders);

/* The owner has this folder open (NULL: none). Its changes are the owner's
 * to tell (EXISTS, EXPUNGE, FETCH), so none is reported for it. */
void imap_watch_set_selected(struct imap_watch *w, const char *name);
/* What the owner knows of a folder it leaves (uidnext 0: unknown),
 * written quietly so that only what comes after is news. */
void imap_watch_set_counts(struct imap_watch *w, const char *name, guint32 messages,
			   guint32 unseen, guint32 uidnext);
/* The user's own move, copy or APPEND brings n messages to folder: they
 * are no new mail there (counted, reported as WATCH_STATUS). Ignored for
 * the open folder (imap_watch_set_selected()). */
void imap_watch_expect(struct imap_watch *w, const char *folder, guint n);
/* It failed: take back n expected messages. */
void imap_watch_unexpect(struct imap_watch *w, const char *folder, guint n);

#endif

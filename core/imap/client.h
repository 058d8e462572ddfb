/* tern — core/imap/client: one IMAP account connection on the GLib main loop.
 *
 * The client joins core/net (bytes) and the sans-I/O session (protocol) and
 * offers asynchronous operations that the CLI and the TUI share. Every
 * operation is queued and finishes with exactly one callback carrying a
 * status and a detail sentence (translated; sanitise before display); the
 * callback never fires from inside the call that queued it, not even when
 * the connection is already gone or breaks while the command is written
 * (TERN_ERR_CONN, from the main loop). Untagged updates that arrive while
 * any command runs (new mail, expunges, flag changes by other clients,
 * alerts, BYE) go to the event callback. When the connection ends, the
 * operations still pending are answered first, then IMAP_EVENT_CLOSED
 * (or the connect callback) comes, so the event callback may free the
 * client. Nothing fires after imap_client_free().
 *
 * Strings from the server are kept as the server sent them (UTF-8 or raw
 * 8-bit); decode headers with text_decode_header() and sanitise for display.
 */
#ifndef TERN_IMAP_CLIENT_H
#define TERN_IMAP_CLIENT_H

#include "core/common.h"
#include "core/config/config.h"
#include "core/model/flags.h"

struct imap_client;

/* Folder attributes (LIST). */
enum {
	IMAP_FOLDER_NOSELECT = 1u << 0,
	IMAP_FOLDER_HASCHILDREN = 1u << 1,
	IMAP_FOLDER_HASNOCHILDREN = 1u << 2,
	IMAP_FOLDER_NOINFERIORS = 1u << 3,
	IMAP_FOLDER_NONEXISTENT = 1u << 4,
	IMAP_FOLDER_SUBSCRIBED = 1u << 5,
	IMAP_FOLDER_MARKED = 1u << 6,
};

/* What a folder is for, from SPECIAL-USE (or the account's folder names);
 * the order is the order the folder pane shows them in. */
enum folder_role {
	FOLDER_ROLE_INBOX = 0,
	FOLDER_ROLE_DRAFTS,
	FOLDER_ROLE_SENT,
	FOLDER_ROLE_ARCHIVE,
	FOLDER_ROLE_JUNK,
	FOLDER_ROLE_TRASH,
	FOLDER_ROLE_ALL,
	FOLDER_ROLE_FLAGGED,
	FOLDER_ROLE_NONE, /* an ordinary folder */
};

struct imap_folder {
	char *name;         /* decoded UTF-8 name (mUTF-7 decoded), as the user sees it */
	char *wire_name;    /* the name exactly as the server sent it (for commands) */
	char delimiter;     /* hierarchy delimiter, '\0' for none */
	guint attrs;        /* IMAP_FOLDER_* */
	GPtrArray *attr_names; /* char *, every attribute as sent ("\\HasNoChildren") */
	enum folder_role role;
	gint64 messages;    /* -1 when unknown (\Noselect, or no STATUS) */
	gint64 unseen;      /* -1 when unknown */
	guint32 uidnext;    /* 0 when unknown (only imap_client_poll_folders() asks) */
};

void imap_folder_free(struct imap_folder *f);

/* Message flags as a bitmask (keywords are kept as strings): the bits and
 * names of core/model/flags.h, under the client's names. */
enum {
	IMAP_FLAG_SEEN = FLAG_SEEN,
	IMAP_FLAG_ANSWERED = FLAG_ANSWERED,
	IMAP_FLAG_FLAGGED = FLAG_FLAGGED,
	IMAP_FLAG_DELETED = FLAG_DELETED,
	IMAP_FLAG_DRAFT = FLAG_DRAFT,
	IMAP_FLAG_RECENT = FLAG_RECENT,
};

/* One message summary (UID FETCH of UID FLAGS INTERNALDATE RFC822.SIZE
 * ENVELOPE and the References header). */
struct imap_summary {
	guint32 uid;
	guint flags;          /* IMAP_FLAG_* */
	char **keywords;      /* NULL-terminated, or NULL */
	gint64 internaldate;  /* unix time */
	int internaldate_tz;  /* its offset, minutes east of UTC */
	gint64 date;          /* Date header as unix time, or internaldate when
	                       * missing or unreadable */
	int date_tz;          /* minutes east of UTC */
	guint32 size;         /* RFC822.SIZE */
	guint64 modseq;       /* 0 without CONDSTORE */
	char *from;           /* first From address as "Name <a@b>" or "a@b", raw */
	char *from_name;      /* its display name, raw (RFC 2047 undecoded), or NULL */
	char *from_addr;      /* "a@b", or NULL */
	char *to;             /* To addresses, raw, comma-separated, or NULL */
	char *cc;
	char *subject;        /* raw (RFC 2047 undecoded), or NULL */
	char *message_id;     /* or NULL */
	char *in_reply_to;    /* or NULL */
	char *references;     /* References header value, unfolded, or NULL */
	/* PREVIEW (RFC 8970) as imap_fetch.preview has it: one clean line,
	 * "" when the server has none, NULL when unknown (not asked, or not
	 * ready under LAZY). */
	char *preview;
};

void imap_summary_clear(struct imap_summary *s);

/* What SELECT/EXAMINE told us. */
struct imap_mailbox_info {
	guint32 exists;
	guint32 uidvalidity;
	guint32 uidnext;
	guint64 highestmodseq; /* 0 with NOMODSEQ / without CONDSTORE */
	bool read_only;
	guint permanent_flags; /* IMAP_FLAG_* that may be set */
};

/* COPYUID / APPENDUID data (UIDPLUS). */
struct imap_copy_result {
	guint32 uidvalidity;   /* 0 when the server sent no COPYUID */
	GArray *src_uids;      /* guint32, or NULL */
	GArray *dst_uids;      /* guint32, same length, or NULL */
};

/* Untagged updates for the selected folder. */
enum imap_event_type {
	IMAP_EVENT_EXISTS,    /* count: new message count */
	IMAP_EVENT_EXPUNGE,   /* seq: message sequence number removed; summary->uid
	                       * its UID when known, else 0 */
	IMAP_EVENT_VANISHED,  /* uids: UIDs removed (QRESYNC) */
	IMAP_EVENT_FLAGS,     /* summary: uid (if known), seq, flags, modseq */
	IMAP_EVENT_ALERT,     /* text: [ALERT] text from the server, raw */
	IMAP_EVENT_BYE,       /* text: the server is closing */
	IMAP_EVENT_CLOSED,    /* the connection ended: status + text */
	IMAP_EVENT_STATUS,    /* status: a folder's STATUS no command asked for
	                       * (NOTIFY, RFC 5465): another folder changed */
};

/* Which items of struct imap_folder_status the server sent. */
enum {
	IMAP_FSTATUS_MESSAGES = 1u << 0,
	IMAP_FSTATUS_UNSEEN = 1u << 1,
	IMAP_FSTATUS_UIDNEXT = 1u << 2,
};

/* An unsolicited STATUS. Dovecot 2.3 names folders in UTF-8 there while
 * LIST gives modified UTF-7: match wire_name against both spellings. */
struct imap_folder_status {
	const char *wire_name; /* as sent (never contains a NUL) */
	const char *name;      /* decoded from modified UTF-7, or NULL */
	guint present;         /* IMAP_FSTATUS_* */
	guint32 messages, unseen, uidnext;
};

struct imap_event {
	enum imap_event_type type;
	guint32 count;
	guint32 seq;
	const GArray *uids;               /* guint32 */
	const struct imap_summary *summary; /* uid, flags, keywords, modseq only */
	enum tern_status status;
	const char *text;
	const struct imap_folder_status *fstatus; /* IMAP_EVENT_STATUS */
};

struct imap_client_callbacks {
	/* Untagged updates and connection state; may be NULL. */
	void (*event)(struct imap_client *c, const struct imap_event *ev, void *ud);
};

typedef void imap_done_fn(struct imap_client *c, enum tern_status st, const char *detail,
			  void *ud);

/* A client for one account. account must outlive the client. secret is the
 * password or OAuth token (copied; may be NULL for a tunnel's PREAUTH).
 * debug: write the protocol trace (credentials redacted) to the log.
 * Returns: transfer full (imap_client_free()). */
struct imap_client *imap_client_new(const struct account *account, const char *secret,
				    const struct imap_client_callbacks *cb, void *ud);

/* Closes the connection and frees; sets *c to NULL. No callback fires
 * inside this call or after it: operations still queued, in flight or
 * waiting for their answer on the loop are dropped unanswered (their ud
 * stays the caller's to free), and no event comes. Call it from the loop,
 * not from inside one of this client's callbacks (IMAP_EVENT_CLOSED, which
 * comes last, excepted). */
void imap_client_free(struct imap_client **c);
/* fn(ud) runs at the end of imap_client_free(), unless removed before:
 * for a layer above whose operation keeps state for an answer that the
 * client will then drop unanswered (core/store/sync.c). Returns the id for
 * imap_client_remove_free_hook() (never 0). */
guint imap_client_add_free_hook(struct imap_client *c, GDestroyNotify fn, void *ud);
void imap_client_remove_free_hook(struct imap_client *c, guint id);

/* Connect, TLS (implicit or STARTTLS, as configured; refusals end with
 * TERN_ERR_AUTH), greeting, CAPABILITY, authentication, ENABLE
 * (CONDSTORE, QRESYNC, UTF8=ACCEPT when offered), COMPRESS when configured
 * and offered. done: TERN_OK when ready for commands. */
void imap_client_connect(struct imap_client *c, imap_done_fn *done, void *ud);

/* True when connecting failed because the server refused the secret (NO to
 * LOGIN or AUTHENTICATE), as opposed to TLS or the network: the caller looks
 * the secret up again (account_secret_refused()). */
bool imap_client_login_refused(struct imap_client *c);

/* Capability test after connect (e.g. "MOVE", "QRESYNC"). */
bool imap_client_has_cap(struct imap_client *c, const char *cap);
/* The server is on this machine (connected over loopback). */
bool imap_client_server_is_local(struct imap_client *c);
/* One line describing the connection: TLS version and cipher, "tunnel", or
 * "plain"; and compression. Transfer full. */
char *imap_client_describe(struct imap_client *c);

/* LIST "" "*" (RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN)) when offered,
 * else STATUS for each selectable folder when with_status).
 * folders: struct imap_folder *, transfer none (valid during the callback;
 * g_ptr_array_ref() it to keep; its free function frees the folders). */
typedef void imap_folders_fn(struct imap_client *c, enum tern_status st, const char *detail,
			     GPtrArray *folders, void *ud);
void imap_client_list_folders(struct imap_client *c, bool with_status, imap_folders_fn *done,
			      void *ud);

/* The same LIST (always with status), asking UIDNEXT as well (folder->uidnext):
 * what core/imap/watch.c compares to tell new mail from other changes. */
void imap_client_poll_folders(struct imap_client *c, imap_folders_fn *done, void *ud);

/* NOTIFY SET (RFC 5465): new mail, expunges and flag changes of the
 * selected folder come as EXISTS/EXPUNGE/FETCH events at any time, those of
 * every other personal folder as IMAP_EVENT_STATUS. done: TERN_OK;
 * TERN_ERR_NO when the server does not offer NOTIFY (nothing is sent) or
 * refuses it (Dovecot without its mailbox list index says
 * NOTIFICATIONOVERFLOW): then the caller polls. */
void imap_client_notify(struct imap_client *c, imap_done_fn *done, void *ud);

/* SELECT (or EXAMINE when read_only) a folder by its decoded name.
 * TERN_ERR_FOLDER when the server says NO. info is transfer none. */
typedef void imap_select_fn(struct imap_client *c, enum tern_status st, const char *detail,
			    const struct imap_mailbox_info *info, void *ud);
void imap_client_select(struct imap_client *c, const char *folder, bool read_only,
			imap_select_fn *done, void *ud);

/* The folder with this role in the last folder list (or the account's
 * configured name), or NULL. Transfer none. */
const char *imap_client_role_folder(struct imap_client *c, enum folder_role role);

/* With on, the commands submitted from now on are pipelined: sent while
 * earlier ones are still in flight (a capped number), answered in order.
 * For a connection of its own that only EXAMINEs, searches and fetches
 * (core/imap/search-all.c); IDLE and commands waiting for "+" are never
 * pipelined. */
void imap_client_set_pipeline(struct imap_client *c, bool on);

/* Name of the selected folder (decoded), or NULL. Transfer none. */
const char *imap_client_selected(struct imap_client *c);

/* UID FETCH summaries for a UID set string ("1:*", "5,9") of the selected
 * folder, in batches: batch_fn gets each batch as it is parsed (summaries
 * transfer none, valid during the call), then done. */
typedef void imap_summaries_fn(struct imap_client *c, const struct imap_summary *batch,
			       guint n, void *ud);
void imap_client_fetch_summaries(struct imap_client *c, const char *uidset,
				 imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud);
/* The same by message sequence number ("1:50", "951:*"): sequence numbers
 * are dense, so a folder loaded in ranges of them costs one round trip per
 * range of messages however sparse its UIDs are. */
void imap_client_fetch_summaries_seq(struct imap_client *c, const char *seqset,
				     imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud);

/* How a summary's envelope is asked: the header fields, parsed by
 * core/imap/header.c, or ENVELOPE with the References header (which
 * ENVELOPE lacks). Both give the same summaries. */
enum imap_summary_form {
	IMAP_SUMMARY_HEADERS = 0, /* BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT ...)] */
	IMAP_SUMMARY_ENVELOPE,    /* ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)] */
};
/* The one answer to which form the summary fetches use: the account's
 * summary_fetch when it is envelope or headers; under auto what
 * imap_client_set_summary_form() said (headers until then). A form the
 * server refused on this connection is not asked again: a fetch answered
 * NO or BAD before any summary is asked once more in the other form. */
enum imap_summary_form imap_client_summary_form(struct imap_client *c);
/* The form to use under summary_fetch = auto (core/store/probe.c). */
void imap_client_set_summary_form(struct imap_client *c, enum imap_summary_form form);
/* "headers" or "envelope" (not translated: a config value). Transfer none. */
const char *imap_summary_form_name(enum imap_summary_form form);
/* FETCH of summaries by sequence set in this form, whatever the account
 * says, without PREVIEW and without the retry in the other form: the
 * probe's timing. The UIDs it sees are not kept in the sequence map. */
void imap_client_fetch_summaries_form(struct imap_client *c, enum imap_summary_form form,
				      const char *seqset, imap_summaries_fn *batch_fn,
				      imap_done_fn *done, void *ud);
/* The account the client was made for. Transfer none. */
const struct account *imap_client_account(struct imap_client *c);
/* What names the server (after connect), for a choice cached per server:
 * the greeting's words without digits and the sorted capabilities, at most
 * about 2 KiB. Transfer full. */
char *imap_client_server_id(struct imap_client *c);

/* Whether summaries carry PREVIEW (RFC 8970) where the server offers it:
 * not at all (the default), PREVIEW (LAZY) (the server answers NIL rather
 * than make a preview now: a folder's first load never waits for them),
 * or PREVIEW (the server makes each one: slower). */
enum imap_preview_mode {
	IMAP_PREVIEW_OFF = 0,
	IMAP_PREVIEW_LAZY,
	IMAP_PREVIEW_FULL,
};
void imap_client_set_preview(struct imap_client *c, enum imap_preview_mode mode);
/* Whether summaries carry RFC822.SIZE (the default); without, their size
 * is 0. A first screen asks without: Dovecot's maildir reads the whole
 * folder's uidlist to find a message's file for its size (1 s at
 * 1,000,000 messages, per session), while the rest comes from its index
 * and cache (1 ms). */
void imap_client_set_sizes(struct imap_client *c, bool sizes);
/* The server offers PREVIEW (after connect). */
bool imap_client_has_preview(struct imap_client *c);

/* UID FETCH (PREVIEW) of a UID set string, without LAZY: the server makes
 * what it has not. fn gets each message's preview (as imap_summary.preview;
 * transfer none, valid during the call) for the UIDs of the set only, then
 * done; nothing is asked (done TERN_OK from the loop) when the server does
 * not offer PREVIEW. */
typedef void imap_preview_fn(struct imap_client *c, guint32 uid, const char *preview, void *ud);
void imap_client_fetch_previews(struct imap_client *c, const char *uidset, imap_preview_fn *fn,
				imap_done_fn *done, void *ud);

/* UID SEARCH with criteria tokens (struct query_token from
 * core/model/query.h, strings quoted or sent as literals here).
 * uids: guint32 ascending, transfer none. */
typedef void imap_uids_fn(struct imap_client *c, enum tern_status st, const char *detail,
			  GArray *uids, void *ud);
void imap_client_search(struct imap_client *c, GPtrArray *tokens, bool utf8,
			imap_uids_fn *done, void *ud);

/* The server's order for the first screen of a folder not cached yet. */

/* True when imap_client_sort_first() can be answered: ESORT with PARTIAL
 * (announced as PARTIAL, CONTEXT=SORT, or CONTEXT=SEARCH as Dovecot 2.3
 * does). */
bool imap_client_offers_sort_first(struct imap_client *c);
/* True when the server offers THREAD=REFS. */
bool imap_client_offers_thread_refs(struct imap_client *c);

enum imap_sort_key {
	IMAP_SORT_DATE,      /* the Date header, oldest first */
	IMAP_SORT_FROM,      /* DISPLAYFROM (RFC 5957) where offered, else FROM */
	IMAP_SORT_SUBJECT,   /* the base subject */
	IMAP_SORT_SIZE_DESC, /* largest first */
};

/* UID SORT RETURN (PARTIAL 1:count) (key) UTF-8 ALL on the selected
 * folder: the UIDs of the first count messages in the server's order,
 * in that order (uids: guint32, transfer none; never more than count,
 * whatever the server sends). TERN_ERR_NO, from the
 * loop and with nothing sent, when imap_client_offers_sort_first() is
 * false or count is 0. */
void imap_client_sort_first(struct imap_client *c, enum imap_sort_key key, guint32 count,
			    imap_uids_fn *done, void *ud);

/* UID THREAD REFS UTF-8 ALL on the selected folder. uids: every UID, each
 * thread in pre-order, threads in the server's order (REFS: by their
 * newest message, oldest thread first); starts: the index in uids of each
 * thread's first UID. Both guint32, transfer none. TERN_ERR_NO from the
 * loop when THREAD=REFS is not offered. The whole folder's answer (there
 * is no PARTIAL for THREAD): the parser's line and argument caps bound
 * it (past them the connection fails as on any protocol error). */
typedef void imap_threads_fn(struct imap_client *c, enum tern_status st, const char *detail,
			     GArray *uids, GArray *starts, void *ud);
void imap_client_thread_refs(struct imap_client *c, imap_threads_fn *done, void *ud);

/* BODY.PEEK[section] of one message ("" = the whole message), or BODY[...]
 * (marks \Seen) when mark_seen. TERN_ERR_MSG when the UID does not exist.
 * data: transfer none (g_bytes_ref() to keep). */
typedef void imap_body_fn(struct imap_client *c, enum tern_status st, const char *detail,
			  GBytes *data, void *ud);
void imap_client_fetch_body(struct imap_client *c, guint32 uid, const char *section,
			    bool mark_seen, imap_body_fn *done, void *ud);
/* The first max_bytes of the whole message (BODY.PEEK[]<0.max_bytes>, or
 * BODY[]<...> when mark_seen): the start of a big message, to show its
 * text without its attachments. The server may send less (the message is
 * smaller); data is what it sent. */
void imap_client_fetch_head(struct imap_client *c, guint32 uid, guint32 max_bytes, bool mark_seen,
			    imap_body_fn *done, void *ud);

/* One node of a message's BODYSTRUCTURE, copied out of the response so it
 * outlives it. imap_client_fetch_structure() gives them in pre-order: a
 * node, then its parts (a message/rfc822 node: its enclosed body). */
struct imap_part {
	char *section;    /* IMAP section as struct imap_body says ("" for the root
			     multipart); raw from the server */
	char *type, *subtype; /* lower case ("multipart" for multiparts) */
	char **params;    /* Content-Type parameters: name, value, name, value, ...,
			     NULL-terminated; raw (RFC 2231/2047 not decoded) */
	char *disposition; /* lower case, or NULL */
	char **disposition_params; /* like params (never NULL) */
	char *encoding;   /* Content-Transfer-Encoding, lower case, or NULL */
	guint64 size;     /* octets as the server reports (may lie) */
	int parent;       /* index of the enclosing node, -1 for the root */
	unsigned child;   /* 0-based position among the parent's parts */
	bool multipart;
};

void imap_part_free(struct imap_part *p);

/* A flattened structure as bytes for the cache, and back: NULL when the
 * bytes are not one (damaged, empty, out of pre-order, more parts than
 * IMAP_DEFAULT_MAX_BODY_PARTS). Both transfer full. */
GBytes *imap_parts_serialize(const GPtrArray *parts);
GPtrArray *imap_parts_deserialize(GBytes *data);

/* UID FETCH uid (UID BODYSTRUCTURE): the structure without the body.
 * parts: GPtrArray of struct imap_part * (transfer none, valid during the
 * call; g_ptr_array_ref() to keep). TERN_ERR_MSG when the UID does not
 * exist. Never called inside this call. */
typedef void imap_structure_fn(struct imap_client *c, enum tern_status st, const char *detail,
			       GPtrArray *parts, void *ud);
void imap_client_fetch_structure(struct imap_client *c, guint32 uid, imap_structure_fn *done,
				 void *ud);

/* Bytes read from the server so far (after decompression), for the
 * progress of a long answer: the caller takes the difference. */
guint64 imap_client_received(struct imap_client *c);

/* What imap_client_fetch_parts() asks for besides the sections. */
enum {
	IMAP_PARTS_STRUCTURE = 1u << 0, /* BODYSTRUCTURE */
	IMAP_PARTS_HEADER = 1u << 1,    /* BODY.PEEK[HEADER]: the message's header */
	IMAP_PARTS_MIME = 1u << 2,      /* BODY.PEEK[N.MIME] of each section too */
	IMAP_PARTS_BINARY = 1u << 3,    /* BINARY.PEEK[N] (RFC 3516: the server
					   undoes the transfer encoding) instead of
					   BODY.PEEK[N]; only when the server offers
					   BINARY (else no data) */
};
/* Most sections in one imap_client_fetch_parts(), and the longest. */
#define IMAP_MAX_FETCH_SECTIONS 16
#define IMAP_MAX_SECTION_LEN 100

/* What one imap_client_fetch_parts() brought; anything the server did
 * not send is NULL. */
struct imap_parts_result {
	GPtrArray *structure; /* struct imap_part *, as imap_client_fetch_structure() */
	GBytes *header;       /* the message's header, blank line included */
	GPtrArray *data;      /* GBytes * or NULL, one per section, in order */
	GPtrArray *mime;      /* GBytes * or NULL: each section's MIME header */
};
/* res: transfer none (valid during the call; ref what you keep), NULL
 * unless st is TERN_OK. */
typedef void imap_parts_fn(struct imap_client *c, enum tern_status st, const char *detail,
			   const struct imap_parts_result *res, void *ud);
/* One UID FETCH uid with the items of what and, for each section
 * ("1", "2.1": numbers and dots only, at most IMAP_MAX_FETCH_SECTIONS),
 * BODY.PEEK[section] (or BINARY.PEEK), so that a message's structure,
 * header and shown parts cost one round trip. Nothing here sets \Seen.
 * Bad arguments (or BINARY not offered) and an answer without a FETCH
 * for the UID: TERN_ERR_MSG (an item answered NIL is a NULL in res). Sizes are not trusted: a part is what came, within the
 * parser's body literal bound. */
void imap_client_fetch_parts(struct imap_client *c, guint32 uid, guint what,
			     const char *const *sections, imap_parts_fn *done, void *ud);

/* UID STORE uids +FLAGS.SILENT / -FLAGS.SILENT (flags: IMAP names, e.g.
 * "\\Seen" or keywords). */
void imap_client_store(struct imap_client *c, const GArray *uids, bool add,
		       const char *const *flags, imap_done_fn *done, void *ud);

/* The same on the UID range first:last (last may be IMAP_SEQ_STAR, "*"),
 * one command per flag whatever the number of messages: "mark the folder
 * read" is UID STORE 1:N +FLAGS.SILENT (\Seen). first 0 or first > last
 * sends nothing and answers OK (from the loop). */
void imap_client_store_range(struct imap_client *c, guint32 first, guint32 last, bool add,
			     const char *const *flags, imap_done_fn *done, void *ud);

/* UID MOVE, else UID COPY + UID STORE +FLAGS.SILENT (\Deleted) + UID EXPUNGE
 * of exactly those UIDs (UIDPLUS); without UIDPLUS the originals stay marked
 * \Deleted and the detail says so. A NO changes nothing (TERN_ERR_NO; with
 * TRYCREATE the detail says the folder does not exist). copy: UID COPY only.
 * result: transfer none. */
typedef void imap_copy_fn(struct imap_client *c, enum tern_status st, const char *detail,
			  const struct imap_copy_result *result, void *ud);
void imap_client_copy(struct imap_client *c, const GArray *uids, const char *dest_folder,
		      bool move, imap_copy_fn *done, void *ud);

/* UID EXPUNGE of exactly these UIDs (needs UIDPLUS; else TERN_ERR_NO and
 * nothing is expunged). */
void imap_client_expunge(struct imap_client *c, const GArray *uids, imap_done_fn *done,
			 void *ud);

/* APPEND a message (bytes as given, CRLF line ends) to a folder with the
 * given flags (IMAP names, NULL-terminated, or NULL) and internal date
 * (0 = now). result->dst_uids holds the new UID when the server sent
 * APPENDUID. A NO changes nothing (TERN_ERR_NO; TERN_ERR_FOLDER with
 * TRYCREATE). data is referenced until done. */
void imap_client_append(struct imap_client *c, const char *folder, const char *const *flags,
			GBytes *data, imap_copy_fn *done, void *ud);

/* IDLE on the selected folder until imap_client_idle_stop() or until a
 * command is queued (which ends IDLE first). Updates arrive as events. */
void imap_client_idle(struct imap_client *c);
void imap_client_idle_stop(struct imap_client *c);

/* LOGOUT and close. */
void imap_client_logout(struct imap_client *c, imap_done_fn *done, void *ud);

/* ---- Resync of a cached folder (RFC 7162) ------------------------------ */

/* True when the extension was ENABLEd on this connection ("QRESYNC",
 * "CONDSTORE", "UTF8=ACCEPT"), not merely offered. */
bool imap_client_enabled(struct imap_client *c, const char *ext);

/* SELECT/EXAMINE for a folder known from the cache. With QRESYNC enabled
 * and uidvalidity and modseq not 0 it sends
 * `SELECT folder (QRESYNC (uidvalidity modseq))`: when the UIDVALIDITY
 * still matches, the server answers with VANISHED (EARLIER) for the UIDs
 * expunged since modseq and FETCH (UID FLAGS MODSEQ) for every message
 * changed since (new ones included). Otherwise a plain SELECT/EXAMINE.
 * vanished: guint32 UIDs; changed: struct imap_summary with uid, flags,
 * keywords and modseq only. Both transfer none (valid during the callback),
 * both empty when the server sent nothing (or when info->uidvalidity is not
 * the cached one: then nothing of the cache holds). */
typedef void imap_resync_select_fn(struct imap_client *c, enum tern_status st,
				   const char *detail, const struct imap_mailbox_info *info,
				   GArray *vanished, GArray *changed, void *ud);
void imap_client_select_resync(struct imap_client *c, const char *folder, bool read_only,
			       guint32 uidvalidity, guint64 modseq,
			       imap_resync_select_fn *done, void *ud);

/* UID FETCH uidset (UID FLAGS) of the selected folder, with
 * (CHANGEDSINCE changedsince) when it is not 0 (needs CONDSTORE enabled;
 * else TERN_ERR_USAGE). batch_fn gets summaries with uid, flags, keywords
 * and modseq only (transfer none, valid during the call), then done. */
void imap_client_fetch_flags(struct imap_client *c, const char *uidset, guint64 changedsince,
			     imap_summaries_fn *batch_fn, imap_done_fn *done, void *ud);

/* One query over many folders, pipelined on a connection given to it
 * alone (core/imap/search-all.c): EXAMINE and UID SEARCH for a few
 * folders at a time, then EXAMINE and the summaries of those with matches. */
struct imap_search_all;
struct imap_search_all_ops {
	/* May be NULL. A folder's matches (UIDs ascending, the newest
	 * max_per_folder; maybe none) and what its EXAMINE said, before their
	 * summaries are fetched: the caller may take those its own cache holds exactly
	 * (same UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ) and report them itself,
	 * removing them from uids; the rest are fetched. */
	void (*matched)(const char *folder, const struct imap_mailbox_info *info, GArray *uids,
			void *ud);
	/* Matches of folder as they come (batch transfer none, valid during
	 * the call); a folder may come in several batches. */
	void (*found)(const char *folder, const struct imap_summary *batch, guint n, void *ud);
	/* A folder that could not be searched (refused, deleted or renamed
	 * meanwhile); the others go on. May be NULL. */
	void (*failed)(const char *folder, const char *detail, void *ud);
	/* The last callback: every folder answered (TERN_OK), or the
	 * connection ended (st, detail) and the folders left were not searched. */
	void (*done)(enum tern_status st, const char *detail, void *ud);
};
/* folders: decoded names (copied); tokens: the query's IMAP criteria
 * (query_to_imap(), a ref is taken); max_per_folder: summaries of the
 * newest that many matches of a folder (0: all). Callbacks come from the
 * loop, never inside this call. Returns NULL (and nothing is called back)
 * when n_folders is 0, else transfer full: free it after done, or after
 * imap_client_free() (then nothing more is called back). */
struct imap_search_all *imap_search_all_start(struct imap_client *c, const char *const *folders,
					      guint n_folders, GPtrArray *tokens, bool utf8,
					      guint max_per_folder,
					      const struct imap_search_all_ops *ops, void *ud);
void imap_search_all_free(struct imap_search_all **sa);

#endif

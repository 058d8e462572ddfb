/* tern — ui/tui/message-thread: JWZ-style threading of a message list (pure). */
#ifndef TERN_TUI_MESSAGE_THREAD_H
#define TERN_TUI_MESSAGE_THREAD_H

#include "core/common.h"
#include "ui/tui/message-list.h"

/* Message-IDs read from one References header. */
#define MESSAGE_THREAD_MAX_REFS 128
/* Steps taken when looking for a loop or an ancestor. */
#define MESSAGE_THREAD_MAX_WALK 4096
/* Levels of indentation drawn; deeper replies line up with the last. */
#define MESSAGE_THREAD_MAX_INDENT 12

/* The subject without its "Re:", "Fwd:", "AW:"... prefixes and leading
 * spaces. Transfer none: points into subject. */
const char *message_thread_base_subject(const char *subject);

/* True when the subject starts with a reply or forward prefix. */
bool message_thread_is_reply(const char *subject);

/* Arrange msgs (struct msg * of ml, in the list's sort order) into threads
 * from Message-ID, References and In-Reply-To, then subjects for orphans
 * whose subject is a reply. A thread sits where its first member sat in
 * msgs; replies follow their parent, oldest first. Sets each message's
 * tree (the drawn branch, "" for a thread's root). Returns the rows:
 * transfer container. */
GPtrArray *message_thread_order(struct message_list *ml, GPtrArray *msgs);

#endif

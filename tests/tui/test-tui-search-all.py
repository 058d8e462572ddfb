#!/usr/bin/env python3
"""Search everywhere (#16): the `/` prompt's scope, in tmux against the
test Dovecot.

Covers: Tab in the search prompt flips the scope to all folders (the label
says so) and back; Enter then searches every folder on a connection of its
own and lists the matches of Archive, INBOX, Projects, Lists and Sent (a
raw ESC in its subject, shown as a visible escape, the pane title
unchanged) in one list with
a folder column, newest first, and the status line counts them; F, m and d act on
a result in place (flagged, moved to Junk, moved to Trash, as a second
IMAP connection sees; the row shows F, the moved ones leave the list);
t tags results and ; m moves the tagged ones; anything else (r) is refused
with a message that says to open the message; Enter opens the chosen one
in its folder (the folder pane and the viewer follow); F then flags it and
m moves it to Junk there. Quits with status
0 and nothing on stderr."""
import importlib.util
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", "test-tui.py")
cache = _load("tui_cache", "test-tui-cache.py")
H = base.HEIGHT

WORD = "zebracorn"
INBOX_MID = "<search-all-inbox@tern.test>"
INBOX_SUBJECT = "Zebracorn notes in the inbox"
ARCHIVE_MID = "<search-all-archive@tern.test>"
ARCHIVE_SUBJECT = "Zebracorn minutes archived"
PROJECT_MID = "<search-all-project@tern.test>"
PROJECT_SUBJECT = "Zebracorn project plan"
LISTS_MID = "<search-all-lists@tern.test>"
LISTS_SUBJECT = "Zebracorn on a mailing list"


def message(subject, mid, date):
    return ("From: Finder <find@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: %s\r\n"
            "Message-ID: %s\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Somewhere.\r\n" % (subject, date, mid)).encode()


def message_line(lines):
    return lines[H - 1] if len(lines) >= H else ""


def status_line(lines):
    return lines[H - 2] if len(lines) >= H else ""


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def run_tests(t, srv, env):
    base.append(srv, "INBOX", message(INBOX_SUBJECT, INBOX_MID, "Thu, 01 Jan 2037 12:00:00 +0000"))
    base.append(srv, "Archive", message(ARCHIVE_SUBJECT, ARCHIVE_MID,
                                        "Fri, 02 Jan 2037 12:00:00 +0000"))
    base.append(srv, "Projects", message(PROJECT_SUBJECT, PROJECT_MID,
                                         "Wed, 31 Dec 2036 12:00:00 +0000"))
    base.append(srv, "Lists", message(LISTS_SUBJECT, LISTS_MID, "Tue, 30 Dec 2036 12:00:00 +0000"))
    # hostile: a raw OSC 0 in the subject (the oldest match, the last row)
    base.append(srv, "Sent", base.raw_message(b"Zebracorn evil \x1b]0;PWNED-TITLE\x07 end",
                                              "<search-all-evil@tern.test>"))
    n = len(srv.mailbox["INBOX"]) + 1
    config = srv.tern_config(env.config, tls="none")
    run = cache.Run(env, config)
    try:
        ok, lines = run.term.wait(lambda ls: base.count_label(n) in status_line(ls))
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        title0 = run.term.display("#{pane_title}")
        check_scope(t, run)
        check_results(t, run)
        t.eq(run.term.display("#{pane_title}"), title0,
             "the hostile subject did not change the pane title")
        check_refused(t, run)
        check_in_place(t, srv, run)
        check_open_flag_move(t, srv, run)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.quit(t, "search all")


def check_scope(t, run):
    run.term.keys("/")
    ok, lines = run.term.wait(lambda ls: message_line(ls).startswith("Search:"))
    t.ok(ok, "/ opens the search prompt on this folder", message_line(lines))
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: message_line(ls).startswith("Search all folders:"))
    t.ok(ok, "Tab: the scope is all folders", message_line(lines))
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: message_line(ls).startswith("Search:"))
    t.ok(ok, "Tab again: back to this folder", message_line(lines))
    run.term.keys("Tab")
    ok, lines = run.term.wait(lambda ls: message_line(ls).startswith("Search all folders:"))
    t.ok(ok, "Tab a third time: all folders", message_line(lines))


def result_rows(lines):
    return [l for l in lines[:H - 2] if WORD in l.lower()]


def check_results(t, run):
    run.term.text(WORD)
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "5 matches in" in message_line(ls), timeout=60)
    t.ok(ok, "the search went through every folder and found 5", message_line(lines))
    rows = result_rows(lines)
    t.eq(len(rows), 5, "five result rows")
    if len(rows) == 5:
        t.ok(ARCHIVE_SUBJECT[:20] in rows[0] and "Archive" in rows[0],
             "newest first: Archive's match on top, with its folder", rows[0])
        t.ok(INBOX_SUBJECT[:20] in rows[1] and "INBOX" in rows[1],
             "then INBOX's, with its folder", rows[1])
        t.ok(PROJECT_SUBJECT[:20] in rows[2] and "Projects" in rows[2],
             "then Projects', with its folder", rows[2])
        t.ok(LISTS_SUBJECT[:20] in rows[3] and "Lists" in rows[3],
             "then Lists', with its folder", rows[3])
        t.ok("Zebracorn evil ^[]0;" in rows[4] and "Sent" in rows[4],
             "then Sent's, its raw ESC shown as a visible escape", rows[4])
    t.ok(any("All folders: 5 found" in l for l in lines), "the pane's title counts them",
         "\n".join(lines))


def check_refused(t, run):
    run.term.keys("r")
    ok, lines = run.term.wait(lambda ls: "only open, flag, move, delete and tags work here"
                              in message_line(ls))
    t.ok(ok, "r (reply) on a result: refused, saying to open it", message_line(lines))


def row_of(lines, subject):
    rows = [l for l in result_rows(lines) if subject[:20] in l]
    return rows[0] if rows else ""


def check_in_place(t, srv, run):
    run.term.keys("j")  # INBOX's match
    time.sleep(0.3)
    run.term.keys("F")
    t.ok(base.wait_server(lambda: "\\Flagged" in (base.server_flags(srv, "INBOX",
                                                                  INBOX_MID) or set())),
         "F on a result flags it in its folder: a second connection sees \\Flagged")
    ok, lines = run.term.wait(lambda ls: "Flagged 1 message." in message_line(ls) and
                              "F" in row_of(ls, INBOX_SUBJECT).split("│")[-1][:3])
    t.ok(ok, "the row shows F", row_of(lines, INBOX_SUBJECT))
    # t on INBOX's and Projects' matches, then ; m: both move
    run.term.keys("t")
    time.sleep(0.2)
    run.term.keys("t")
    ok, lines = run.term.wait(lambda ls: row_of(ls, INBOX_SUBJECT).split("│")[-1][:1] == "*"
                              and row_of(ls, PROJECT_SUBJECT).split("│")[-1][:1] == "*")
    t.ok(ok, "t tags two results (shown with *)", "\n".join(lines))
    run.term.keys("\\;")
    time.sleep(0.2)
    run.term.keys("m")
    ok, lines = run.term.wait(lambda ls: "Move 2 messages to:" in message_line(ls))
    t.ok(ok, "; m on the results asks where to move the 2 tagged", message_line(lines))
    run.term.text("Junk")
    run.term.keys("Enter")
    t.ok(base.wait_server(lambda: cache.copies(srv, "Junk", INBOX_MID) == 1 and
                          cache.copies(srv, "Junk", PROJECT_MID) == 1),
         "; m moves both: a second connection finds them in Junk")
    t.ok(base.wait_server(lambda: cache.copies(srv, "INBOX", INBOX_MID) == 0 and
                          cache.copies(srv, "Projects", PROJECT_MID) == 0),
         "and no longer in INBOX and Projects")
    ok, lines = run.term.wait(lambda ls: "Moved 2 messages to Junk." in message_line(ls) and
                              len(result_rows(ls)) == 3)
    t.ok(ok, "the moved results leave the list", "\n".join(lines))
    # the selection stayed on Lists' match
    run.term.keys("d")
    t.ok(base.wait_server(lambda: cache.copies(srv, "Trash", LISTS_MID) == 1),
         "d on a result moves it to Trash")
    t.ok(base.wait_server(lambda: cache.copies(srv, "Lists", LISTS_MID) == 0),
         "and no longer in Lists")
    ok, lines = run.term.wait(lambda ls: len(result_rows(ls)) == 2)
    t.ok(ok, "two results left", "\n".join(lines))
    t.eq(cache.copies(srv, "Archive", ARCHIVE_MID), 1, "Archive's match was left alone")
    run.term.keys("g")  # back to the top: Archive's match
    time.sleep(0.3)


def check_open_flag_move(t, srv, run):
    before = base.server_flags(srv, "Archive", ARCHIVE_MID)
    t.ok(before is not None and "\\Flagged" not in before,
         "the Archive match is not flagged yet", repr(before))
    run.term.keys("Enter")  # the selection is on the top row: Archive's
    ok, lines = run.term.wait(lambda ls: any("Subject: " + ARCHIVE_SUBJECT in l for l in ls))
    t.ok(ok, "Enter opens the message in the viewer", "\n".join(lines))
    ok, lines = run.term.wait(lambda ls: "Archive" in status_line(ls))
    t.ok(ok, "its folder is open", status_line(lines))
    run.term.keys("F")
    t.ok(base.wait_server(lambda: "\\Flagged" in (base.server_flags(srv, "Archive",
                                                                  ARCHIVE_MID) or set())),
         "F flags it: a second connection sees \\Flagged")
    run.term.keys("m")
    ok, lines = run.term.wait(lambda ls: "to:" in message_line(ls))
    t.ok(ok, "m asks where to", message_line(lines))
    run.term.text("Junk")
    run.term.keys("Enter")
    t.ok(base.wait_server(lambda: cache.copies(srv, "Junk", ARCHIVE_MID) == 1),
         "m moves it: a second connection finds it in Junk")
    t.ok(base.wait_server(lambda: cache.copies(srv, "Archive", ARCHIVE_MID) == 0),
         "and no longer in Archive")
    # back in a folder list: / on this folder again
    run.term.keys("Escape")
    time.sleep(0.3)


if __name__ == "__main__":
    ternlib.run(main)

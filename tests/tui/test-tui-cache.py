#!/usr/bin/env python3
"""The TUI on its cache, in tmux against the test Dovecot.

Covers: a second start shows the folder from the cache; flags changed
from the interface reach the cache; with the server stopped, tern opens
read-only on the cache with the "offline — showing cached mail" banner,
the cached folders, the cached list and a body read before (no network);
a body never fetched says it is not cached; --offline opens on the cache
without connecting; two accounts on the same server, switched with A (the
status line and the folder pane follow); quitting cleanly each time (exit 0, nothing on
stderr)."""
import importlib.util
import json
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("tui_base", os.path.join(HERE, "test-tui.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

WAIT = base.WAIT
BANNER = "offline — showing cached mail"


Run = base.Run


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def open_row(run, row):
    for _ in range(row):
        run.term.keys("j")
    run.term.keys("Enter")


def run_tests(t, srv, env):
    config = srv.tern_config(env.config)
    # The server's directory goes with it: keep its CA for the later runs.
    ca = os.path.join(env.dir, "ca.crt")
    shutil.copy(srv.ca_file, ca)
    with open(config) as f:
        text = f.read().replace(srv.ca_file, ca)
    with open(config, "w") as f:
        f.write(text)
    inbox = base.newest_first(list(srv.mailbox["INBOX"]))
    n = len(inbox)
    label = base.count_label(n)
    first, second = inbox[0], inbox[1]

    # 1. online: fills the cache (list, a body, a flag)
    run = Run(env, config)
    with run.checked(t, "first start"):
        ok, lines = run.term.wait(lambda ls: label in run.status_line(ls) and
                                  any(first.subject[:20] in l for l in ls))
        t.ok(ok, "first start: the list comes from the server", "\n".join(lines))
        open_row(run, 0)
        body = first.body.split("\n")[2][:30]
        ok, lines = run.term.wait_text(body)
        t.ok(ok, "first start: the newest message opens", "\n".join(lines))
        run.term.keys("q")  # back to the list
        time.sleep(0.3)
        run.term.keys("j", "s")  # flag the second message
        ok = base.wait_server(lambda: "\\Flagged" in (base.server_flags(
            srv, "INBOX", second.message_id) or set()))
        t.ok(ok, "first start: the flag reached the server")

    check_accounts(t, srv, env, label)
    moved = check_queue(t, srv, env, config, inbox)
    check_reconnect(t, srv, env, [m for m in inbox if m is not moved])
    check_quit_mid_resync(t, srv, env, [m for m in inbox if m is not moved])
    check_resync(t, srv, env, config, [m for m in inbox if m is not moved])
    check_refused(t, srv, env, config)
    check_big(t, srv, env, config, len(inbox))
    # one message moved away, one expunged, two appended: as many as at first
    label = base.count_label(n)

    # 2. the server is gone: read-only on the cache
    srv.stop()
    run = Run(env, config)
    with run.checked(t, "server stopped"):
        ok, lines = run.term.wait(lambda ls: BANNER in run.status_line(ls) and
                                  label in run.status_line(ls))
        t.ok(ok, "server stopped: the banner and the cached count", "\n".join(lines))
        screen = "\n".join(lines)
        t.ok(first.subject[:20] in screen, "server stopped: the cached list is shown")
        t.ok(lines[0].lstrip().startswith("INBOX"), "server stopped: the folder pane "
             "lists the cached folders", lines[0])
        # the pane first shows the counts of the last folder list; the
        # cache's own count replaces them just after the first screen
        def pane_agrees(ls):
            u = re.search(r"(\d+) unread", run.status_line(ls))
            p = re.match(r"\s*INBOX\s+(\d+)\s*│", ls[0])
            return u is not None and p is not None and p.group(1) == u.group(1)
        ok, lines = run.term.wait(pane_agrees)
        unread = re.search(r"(\d+) unread", run.status_line(lines))
        pane = re.match(r"\s*INBOX\s+(\d+)\s*│", lines[0])
        t.ok(ok and unread and pane and pane.group(1) == unread.group(1),
             "server stopped: the folder pane's unread count is the cache's",
             "%r / %r" % (lines[0], run.status_line(lines)))
        flagged = [l for l in lines[:11] if second.subject[:15] in l]
        t.ok(flagged and re.search(r"│[ *][ N]F", flagged[0]), "server stopped: the flag "
             "set before is in the cache", repr(flagged))
        open_row(run, 0)
        ok, lines = run.term.wait_text(body)
        t.ok(ok, "server stopped: the body read before opens from the cache",
             "\n".join(lines))
        run.term.keys("q")
        time.sleep(0.2)
        open_row(run, 2)
        ok, lines = run.term.wait_text("not in the cache")
        t.ok(ok, "server stopped: a body never fetched says it is not cached",
             "\n".join(lines))

    # 3. --offline: the cache without connecting
    run = Run(env, config, "--offline")
    with run.checked(t, "--offline"):
        ok, lines = run.term.wait(lambda ls: BANNER in run.status_line(ls) and
                                  label in run.status_line(ls))
        t.ok(ok, "--offline: the banner and the cached list", "\n".join(lines))
        t.ok("reconnecting" not in run.status_line(lines), "--offline: it does not reconnect")
        open_row(run, 0)
        ok, lines = run.term.wait_text(body)
        t.ok(ok, "--offline: a cached body opens", "\n".join(lines))
        # body: looks in the full-text index of the bodies read: three words
        # of the first message's body that no other message holds find it
        # (and only it)
        run.term.keys("q")
        others = " ".join((m.body + " " + m.subject + " " + m.from_name + " " +
                           m.from_addr).lower() for m in inbox[1:])
        words = first.body.split("\n")[2].rstrip(".").lower().split()
        word = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)
                if " ".join(words[i:i + 3]) not in others][0]
        run.term.keys("/")
        run.term.text('body:"%s"' % word)
        run.term.keys("Enter")
        ok, lines = run.term.wait_text("cached message")
        t.ok(ok and "1 cached message matches" in "\n".join(lines) and
             any(first.subject[:20] in l for l in lines[:11]),
             "--offline: search body:%s finds the message whose body was read" % word,
             "\n".join(lines))
        run.term.keys("Escape")


def journal(env, account="test"):
    """The rows of the account cache's journal: (kind, folder, uids, arg)."""
    import sqlite3
    db = sqlite3.connect(os.path.join(env.dir, "cache", "tern", account + ".db"))
    try:
        return db.execute("SELECT kind, folder, uids, arg FROM journal ORDER BY id").fetchall()
    finally:
        db.close()


def copies(srv, folder, message_id):
    """How many messages with this Message-ID folder holds."""
    c = srv.imap()
    try:
        c.select(base.imaplib_quote(folder), readonly=True)
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % message_id)
        return len(data[0].split()) if data and data[0] else 0
    finally:
        c.logout()


def kill9(run, config):
    """kill -9 the tern of this run (found by its config path)."""
    import signal
    import subprocess
    out = subprocess.run(["pgrep", "-f", "--", "-c %s" % config], capture_output=True,
                         text=True).stdout.split()
    for pid in out:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    deadline = time.time() + WAIT
    while time.time() < deadline and not os.path.exists(run.status):
        time.sleep(0.1)
    code = open(run.status).read().strip() if os.path.exists(run.status) else "running"
    run.term.kill()
    return code


def check_queue(t, srv, env, config, inbox):
    """--offline: a flag change and a move wait in the journal, shown over
    the cached list; search works on the cached summaries; tern is killed
    with -9; the next start sends both, once, and the journal empties."""
    n = len(inbox)
    # the first unflagged message from row 2 on, and the one after it
    row = next(i for i in range(2, n - 1)
               if "\\Flagged" not in base.server_flags(srv, "INBOX", inbox[i].message_id))
    flag_me, move_me = inbox[row], inbox[row + 1]
    run = Run(env, config, "--offline")
    try:
        ok, lines = run.term.wait(lambda ls: BANNER in run.status_line(ls) and
                                  base.count_label(n) in run.status_line(ls))
        t.ok(ok, "queue: --offline opens on the cache", "\n".join(lines))
        run.term.keys(*(["j"] * row), "s")
        ok, lines = run.term.wait_text("queued")
        t.ok(ok, "queue: s says the flag change is queued", lines[-1])
        flagged = [l for l in lines[:11] if flag_me.subject[:15] in l]
        t.ok(flagged and re.search(r"│[ *][ N]F", flagged[0]),
             "queue: the queued flag shows at once", repr(flagged))
        run.term.keys("j", "m")
        run.term.text("Archive")
        run.term.keys("Enter")
        ok, lines = run.term.wait(lambda ls: base.count_label(n - 1) in run.status_line(ls))
        t.ok(ok, "queue: the queued move takes the message out of the list", "\n".join(lines))
        t.ok(not any(move_me.subject[:20] in l for l in lines[:11]),
             "queue: the moved message is not shown")
        # offline search: the cached summaries, without the moved message
        left = [m for m in inbox if m is not move_me]
        words = {}
        for m in left:
            for w in set(re.findall(r"[a-z]+", m.subject.lower())):
                words[w] = words.get(w, 0) + 1
        word = sorted((w for w, c in words.items() if 2 <= c < len(left) and len(w) > 3),
                      key=lambda w: (-words[w], w))[0]
        want = [m for m in left if word in m.subject.lower()]
        run.term.keys("/")
        run.term.text("subject:" + word)
        run.term.keys("Enter")
        ok, lines = run.term.wait_text("cached message")
        t.ok(ok and ("%d cached message" % len(want)) in "\n".join(lines),
             "queue: offline search subject:%s finds %d cached messages" % (word, len(want)),
             "\n".join(lines))
        rows = [r for r in base.list_rows(lines, 11) if r.strip()]
        t.eq(len(rows), len(want), "queue: the list shows exactly the matches")
        run.term.keys("Escape")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        code = kill9(run, config)
    t.eq(code, "137", "queue: tern was killed with -9")
    rows = journal(env)
    t.eq([(r[0], r[1], r[3]) for r in rows], [(1, "INBOX", "\\Flagged"), (3, "INBOX", "Archive")],
         "queue: the journal holds the flag change, then the move")
    t.ok("\\Flagged" not in base.server_flags(srv, "INBOX", flag_me.message_id),
         "queue: the server is unchanged meanwhile")
    t.eq(copies(srv, "Archive", move_me.message_id), 0, "queue: nothing moved meanwhile")

    # started again offline: the queued changes show over the cached list
    run = Run(env, config, "--offline")
    with run.checked(t, "queue, offline again"):
        ok, lines = run.term.wait(lambda ls: "2 changes queued" in run.status_line(ls) and
                                  base.count_label(n - 1) in run.status_line(ls))
        t.ok(ok, "queue: a new offline start counts 2 queued changes and n - 1 messages",
             "\n".join(lines))
        flagged = [l for l in lines[:11] if flag_me.subject[:15] in l]
        t.ok(flagged and re.search(r"│[ *][ N]F", flagged[0]),
             "queue: the queued flag shows over the cache", repr(flagged))
        t.ok(not any(move_me.subject[:20] in l for l in lines[:11]) or
             sum(1 for m in inbox if move_me.subject[:20] in m.subject) > 1,
             "queue: the queued move still hides the message")

    run = Run(env, config)
    with run.checked(t, "replay"):
        ok, lines = run.term.wait_text("Sent 2 queued changes.")
        t.ok(ok, "replay: the next start sends the 2 queued changes", "\n".join(lines))
        t.ok(base.wait_server(lambda: "\\Flagged" in base.server_flags(
            srv, "INBOX", flag_me.message_id)), "replay: the flag reached the server")
        t.ok(base.wait_server(lambda: copies(srv, "INBOX", move_me.message_id) == 0),
             "replay: the moved message left INBOX")
        t.eq(copies(srv, "Archive", move_me.message_id), 1, "replay: and is in Archive once")
        t.eq(journal(env), [], "replay: the journal is empty")
        ok, lines = run.term.wait(lambda ls: base.count_label(n - 1) in run.status_line(ls) and
                                  "offline" not in run.status_line(ls))
        t.ok(ok, "replay: the list shows %d messages from the server" % (n - 1),
             "\n".join(lines))
        flagged = [l for l in lines[:11] if flag_me.subject[:15] in l]
        t.ok(flagged and re.search(r"│[ *][ N]F", flagged[0]),
             "replay: the flag is shown from the server", repr(flagged))
    # a third start sends nothing again
    run = Run(env, config)
    try:
        ok, lines = run.term.wait(lambda ls: base.count_label(n - 1) in run.status_line(ls))
        t.ok(ok, "replay: a third start shows the same list", "\n".join(lines))
        t.eq(copies(srv, "Archive", move_me.message_id), 1, "replay: still in Archive once")
    finally:
        run.quit(t, "third start")
    return move_me


def check_resync(t, srv, env, config, shown):
    """While tern is not running another client flags one message and
    expunges another; the next start shows the cached list, then the
    server's state after the resync."""
    rows = base.newest_first(shown)
    unflag = next(m for m in rows if "\\Flagged" in base.server_flags(srv, "INBOX", m.message_id))
    victim = rows[-1]
    c = srv.imap()
    try:
        c.select("INBOX")
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % unflag.message_id)
        c.uid("STORE", data[0].split()[0].decode(), "-FLAGS", "(\\Flagged)")
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % victim.message_id)
        c.uid("STORE", data[0].split()[0].decode(), "+FLAGS", "(\\Deleted)")
        c.expunge()
    finally:
        c.logout()
    # and a new message arrives
    # (dated before the others, so the newest stays first for the later steps)
    base.append(srv, "INBOX", base.raw_message(b"Resync newcomer", "<resync-new@example.org>")
                .replace(b"Date: Wed, 31 Dec 2025", b"Date: Wed, 31 Dec 2014"))
    label = base.count_label(len(shown))
    run = Run(env, config)
    with run.checked(t, "resync"):
        # rows showing the victim's subject (others may contain it: "Re: ...")
        like = sum(1 for m in shown if victim.subject[:20] in m.subject) - 1
        ok, lines = run.term.wait(lambda ls: label in run.status_line(ls) and
                                  sum(1 for l in ls[:11] if victim.subject[:20] in l) == like and
                                  any(unflag.subject[:15] in l and
                                      not re.search(r"│[ *][ N]F", l) for l in ls[:11]) and
                                  any("Resync newcomer" in l for l in ls[:11]))
        t.ok(ok, "resync: another client's flag change, expunge and new message show after "
             "the resync", "\n".join(lines))


def check_big(t, srv, env, config, n):
    """A 3 MB message (text, then an attachment): the viewer fetches its
    structure and text only (#14), shows the text and lists the attachment
    (the first-megabyte fallback is for servers without a usable
    BODYSTRUCTURE, which Dovecot is not)."""
    import base64
    blob = base64.encodebytes(bytes(range(256)) * 9000)  # ~3 MB encoded
    raw = (b"From: Big Sender <big@example.org>\r\nTo: tern@example.org\r\n"
           b"Date: Tue, 31 Dec 2013 12:00:00 +0000\r\nMessage-ID: <big@example.org>\r\n"
           b"Subject: Big attachment inside\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"The text of the big message comes first.\r\n"
           b"--b1\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" +
           blob.replace(b"\n", b"\r\n") + b"--b1--\r\n")
    base.append(srv, "INBOX", raw)
    run = Run(env, config)
    with run.checked(t, "big message"):
        ok, lines = run.term.wait(lambda ls: base.count_label(n) in run.status_line(ls) and
                                  any("Big attachment inside" in l for l in ls[:12]))
        t.ok(ok, "big message: listed", "\n".join(lines))
        run.term.keys("G", "Enter")
        ok, lines = run.term.wait(lambda ls: any("comes first" in l for l in ls) and
                                  any("data.bin" in l for l in ls))
        t.ok(ok, "big message: its text shows, and its attachment is listed",
             "\n".join(lines))
        t.ok(not any("Only the first" in l for l in lines),
             "big message: no first-megabyte notice (the parts shown were fetched)",
             "\n".join(lines))
    # the text part the viewer fetched alone (BODY[1] with BODY[1.MIME]) is in
    # the full-text index: found offline by a phrase of it
    r = env.tern("-c", config, "--offline", "search", "INBOX",
                 'body:"big message comes first"', "--json", config=False)
    found = [m["subject"] for m in json.loads(r.stdout.decode() or "[]")]
    t.ok(r.returncode == 0 and found == ["Big attachment inside"],
         "big message: its text part fetched alone is found offline by body:",
         (found, r.stderr[:300]))


def check_refused(t, srv, env, config):
    """A refused login: the cache is shown, the message says $ tries
    again, and the banner does not claim to be reconnecting."""
    bad = base.wrong_password_config(srv, env, config)
    run = Run(env, bad)
    with run.checked(t, "refused login"):
        ok, lines = run.term.wait(lambda ls: "press $ to try again" in ls[-1] and
                                  BANNER in run.status_line(ls))
        t.ok(ok, "refused login: the cache is shown and $ is offered", "\n".join(lines))
        t.ok("reconnecting" not in run.status_line(lines),
             "refused login: the banner does not say reconnecting", run.status_line(lines))


def check_reconnect(t, srv, env, shown):
    """Online through a proxy: a flag change whose connection is cut before
    the server answered is queued; with the server unreachable the next one
    is queued too; when it can be reached again tern reconnects and sends
    both, once."""
    rows = base.newest_first(shown)
    picks = [i for i in range(len(rows))
             if "\\Flagged" not in base.server_flags(srv, "INBOX", rows[i].message_id)][:2]
    if len(picks) < 2:
        t.ok(False, "reconnect: two unflagged messages to flag")
        return
    proxy = ternlib.Proxy(srv.imap_port)
    # plain IMAP, so that the proxy sees the commands
    config = srv.tern_config(os.path.join(env.dir, "config-proxy"), tls="none",
                             port=proxy.port)
    label = base.count_label(len(shown))
    run = Run(env, config)
    with run.checked(t, "reconnect"):
        # online, and INBOX selected (not "Connecting" or "Opening": a
        # change made before the SELECT is refused as "still opening")
        ok, lines = run.term.wait(lambda ls: label in run.status_line(ls) and
                                  not any(w in run.status_line(ls) for w in
                                          ("offline", "Connecting", "Opening", "Loading")) and
                                  "Sent" not in ls[-1])
        t.ok(ok, "reconnect: online through the proxy", "\n".join(lines))
        time.sleep(0.5)
        proxy.mode = "drop-store"
        run.term.keys(*(["j"] * picks[0]), "s")
        ok = base.wait_server(lambda: len(journal(env)) == 1)
        t.ok(ok, "reconnect: a flag change cut off before the answer is queued")
        proxy.set_down()
        ok, lines = run.term.wait(lambda ls: "offline" in run.status_line(ls) and
                                  "1 change queued" in run.status_line(ls))
        t.ok(ok, "reconnect: the server cannot be reached: the offline banner says 1 change "
             "is queued", "\n".join(lines))
        run.term.keys(*(["j"] * (picks[1] - picks[0])), "s")
        ok, lines = run.term.wait(lambda ls: "Not connected: the change is queued" in ls[-1] and
                                  "2 changes queued" in run.status_line(ls))
        t.ok(ok, "reconnect: a change made offline is queued", "\n".join(lines))
        t.eq(len(journal(env)), 2, "reconnect: the journal holds both, in order")
        t.ok("\\Flagged" not in base.server_flags(srv, "INBOX", rows[picks[0]].message_id),
             "reconnect: the cut-off STORE never reached the server")
        proxy.mode = "up"
        ok, lines = run.term.wait_text("Sent 2 queued changes.", timeout=60)
        t.ok(ok, "reconnect: when the server is back, both are sent", "\n".join(lines))
        for i in picks:
            t.ok(base.wait_server(lambda: "\\Flagged" in base.server_flags(
                srv, "INBOX", rows[i].message_id)), "reconnect: row %d is flagged on the server" % i)
        t.eq(journal(env), [], "reconnect: the journal is empty")
        ok, lines = run.term.wait(lambda ls: label in run.status_line(ls) and
                                  "offline" not in run.status_line(ls))
        t.ok(ok, "reconnect: the list is back online", "\n".join(lines))
        proxy.close()


def check_quit_mid_resync(t, srv, env, shown):
    """q while the folder's resync waits for the server's answer to SELECT:
    tern quits at once and frees what the resync kept (the client drops
    the answer; core/store/sync.c's op, the SELECT's own state)."""
    proxy = ternlib.Proxy(srv.imap_port)
    proxy.mode = "hold-select"
    config = srv.tern_config(os.path.join(env.dir, "config-hold"), tls="none",
                             port=proxy.port)
    subject = base.newest_first(shown)[0].subject[:20]
    run = Run(env, config)
    with run.checked(t, "quit mid-resync"):
        ok, lines = run.term.wait(lambda ls: any(subject in l for l in ls) and
                                  "Opening" in run.status_line(ls))
        t.ok(ok, "quit mid-resync: the cached list shows while the SELECT is held",
             "\n".join(lines))
        proxy.close()


def check_accounts(t, srv, env, label):
    """Two accounts on the same Dovecot: A switches, and the folder pane
    and the status line follow."""
    work = srv.tern_config(os.path.join(env.dir, "a1"), name="work", extra="default = true\n")
    home = srv.tern_config(os.path.join(env.dir, "a2"), name="home")
    both = os.path.join(env.dir, "config-two")
    with open(both, "w") as f:
        f.write(open(work).read() + "\n" + open(home).read())
    os.chmod(both, 0o600)
    run = Run(env, both)
    with run.checked(t, "two accounts"):
        ok, lines = run.term.wait(lambda ls: "work: INBOX" in run.status_line(ls) and
                                  label in run.status_line(ls))
        t.ok(ok, "two accounts: the default one opens, named in the status line",
             "\n".join(lines))
        run.term.keys("A")
        ok, lines = run.term.wait(lambda ls: "home: INBOX" in run.status_line(ls) and
                                  label in run.status_line(ls) and
                                  any("Familie & Freunde" in l for l in ls))
        t.ok(ok, "A switches to the other account: status line and folder pane",
             "\n".join(lines))
        ok, lines = run.term.wait_text("Account home")
        t.ok(ok, "A says which account is open", "\n".join(lines))
        run.term.keys("Enter")
        ok, lines = run.term.wait_text("Subject:")
        t.ok(ok, "a message opens on the other account", "\n".join(lines))
        run.term.keys("q", "A")
        ok, lines = run.term.wait(lambda ls: "work: INBOX" in run.status_line(ls) and
                                  label in run.status_line(ls))
        t.ok(ok, "A again: back to the first account", "\n".join(lines))


if __name__ == "__main__":
    ternlib.run(main)

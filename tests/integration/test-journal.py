#!/usr/bin/env python3
"""The journal of actions that could not reach the server, against a real
Dovecot: `flag`, `move`, `copy` and `delete` given --offline, or whose
connection is refused, are queued (exit 74, one line saying so) and the next
command that connects replays them, in order, exactly once; a tern killed
with SIGKILL in the middle of a replay leaves the action to the next run;
a UIDVALIDITY change or a NO drops the action with a warning; usage errors,
NOs and permanent deletions are never queued."""
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402
from ternlib import genmail  # noqa: E402

FOLDERS = {"INBOX": 12, "Work": 3, "Gone": 4}
FAKE = os.path.join(ternlib.SRCDIR, "tests", "fake", "fake-imapd.py")


def journal(env):
    db = os.path.join(env.dir, "cache", "tern", "test.db")
    c = sqlite3.connect(db, timeout=10)
    try:
        return c.execute("SELECT kind, folder, uids, arg FROM journal ORDER BY id").fetchall()
    finally:
        c.close()


def flags(srv, folder, uid):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.uid("FETCH", str(uid), "(FLAGS)")
    c.logout()
    if not data or data[0] is None:
        return None
    return set(re.search(rb"FLAGS \(([^)]*)\)", data[0]).group(1).decode().split())


def message_id(srv, folder, uid):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.uid("FETCH", str(uid), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    c.logout()
    for item in data:
        if isinstance(item, tuple):
            m = re.search(rb"<[^>]+>", item[1])
            if m:
                return m.group(0).decode()
    return None


def count_id(srv, folder, mid):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.uid("SEARCH", "HEADER", "Message-ID", mid)
    c.logout()
    return len(data[0].split())


def uidvalidity(srv, folder):
    c = srv.imap()
    typ, data = c.status('"%s"' % genmail.mutf7(folder), "(UIDVALIDITY)")
    c.logout()
    return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))


class Trace:
    """The protocol trace (--debug) written by the runs after mark()."""

    def __init__(self, env):
        self.path = os.path.join(env.dir, "cache", "tern", "tern.log")
        self.mark()

    def mark(self):
        self.pos = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def new(self):
        if not os.path.exists(self.path):
            return ""
        with open(self.path, errors="replace") as f:
            f.seek(self.pos)
            return f.read()


def stores(text, pattern):
    return len(re.findall(r"UID STORE %s" % pattern, text))


def one_line(r):
    return r.stderr.decode().count("\n") == 1


def test_offline_flag(t, srv, env, tr):
    r = env.tern("list", "INBOX")
    t.eq(r.returncode, 0, "an online list fills the cache")
    r = env.tern("--offline", "flag", "INBOX", "3", "+flagged")
    err = r.stderr.decode()
    t.eq(r.returncode, 74, "--offline flag exits 74")
    t.ok("queued" in err and "offline" in err and one_line(r),
         "and says on one line that the change is queued", err)
    t.ok("\\Flagged" not in flags(srv, "INBOX", 3), "the server is unchanged")
    t.eq(journal(env), [(1, "INBOX", "3", "\\Flagged")], "the journal holds the action")
    r = env.tern("--offline", "list", "INBOX", "--json")
    t.ok(r.returncode == 0 and any(x["uid"] == 3 and "\\Flagged" in x["flags"]
                                   for x in json.loads(r.stdout)),
         "an --offline list already shows the queued flag", r.stdout)
    r = env.tern("--offline", "list", "INBOX", "--sort", "from", "--json")
    t.ok(r.returncode == 0 and any(x["uid"] == 3 and "\\Flagged" in x["flags"]
                                   for x in json.loads(r.stdout)),
         "and so does one sorted by sender (every summary loaded)")
    tr.mark()
    r = env.tern("--debug", "list", "INBOX", "--json")
    t.eq(r.returncode, 0, "the next online list succeeds")
    t.ok("\\Flagged" in flags(srv, "INBOX", 3), "the server now has \\Flagged on UID 3")
    t.eq(stores(tr.new(), r"3 \+FLAGS(\.SILENT)? \(\\Flagged\)"), 1, "sent exactly once")
    t.eq(journal(env), [], "the journal is empty")
    rows = json.loads(r.stdout)
    t.ok(any(x["uid"] == 3 and "\\Flagged" in x["flags"] for x in rows),
         "the list that replayed shows the new flag")
    r = env.tern("--offline", "list", "INBOX", "--json")
    t.ok(r.returncode == 0 and any(x["uid"] == 3 and "\\Flagged" in x["flags"]
                                   for x in json.loads(r.stdout)),
         "and so does a following --offline list (the cache follows)")
    tr.mark()
    r = env.tern("--debug", "folders")
    t.ok(r.returncode == 0 and stores(tr.new(), ".*") == 0, "nothing is sent a second time")


def test_order(t, srv, env, tr):
    a = env.tern("--offline", "flag", "INBOX", "4", "+flagged")
    b = env.tern("--offline", "flag", "INBOX", "4", "-flagged", "+seen")
    t.ok(a.returncode == 74 and b.returncode == 74, "two changes queued")
    t.eq([row[0] for row in journal(env)], [1, 1, 2],
         "the journal holds +flagged, then +seen and -flagged")
    tr.mark()
    r = env.tern("--debug", "folders")
    t.eq(r.returncode, 0, "a command that connects replays them")
    text = tr.new()
    plus = text.find("UID STORE 4 +FLAGS.SILENT (\\Flagged)")
    minus = text.find("UID STORE 4 -FLAGS.SILENT (\\Flagged)")
    t.ok(0 <= plus < minus, "in the order they were queued", text[-2000:])
    f = flags(srv, "INBOX", 4)
    t.ok("\\Flagged" not in f and "\\Seen" in f, "final state: unflagged, seen", f)
    t.eq(journal(env), [], "the journal is empty")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def other_config(env, name, **keys):
    """A copy of the config (same account name, so the same cache) with
    some keys replaced."""
    text = open(env.config).read()
    for k, v in keys.items():
        text = re.sub(r"(?m)^%s = .*$" % k, "%s = %s" % (k, v), text)
    path = os.path.join(env.dir, "config", "tern", name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def test_refused(t, srv, env, tr):
    cfg = other_config(env, "refused", port=closed_port())
    r = env.tern("-c", cfg, "flag", "INBOX", "5", "+answered", config=False)
    err = r.stderr.decode()
    t.eq(r.returncode, 74, "connection refused: flag exits 74")
    t.ok("cannot be reached" in err and "queued" in err and one_line(r),
         "one line: the server cannot be reached, the change is queued", err)
    r = env.tern("-c", cfg, "move", "INBOX", "10", "Work", config=False)
    t.eq(r.returncode, 74, "connection refused: move exits 74 (queued)")
    r = env.tern("-c", cfg, "list", "INBOX", config=False)
    t.eq(r.returncode, 69, "a list against the closed port still fails (69)")
    t.eq(len(journal(env)), 2, "and the actions are still queued")
    mid = message_id(srv, "INBOX", 10)
    r = env.tern("list", "INBOX")
    t.eq(r.returncode, 0, "then the right port: list succeeds")
    t.ok("\\Answered" in flags(srv, "INBOX", 5), "the queued flag change was applied")
    t.ok(flags(srv, "INBOX", 10) is None and count_id(srv, "Work", mid) == 1,
         "the queued move was applied once")
    t.eq(journal(env), [], "the journal is empty")


def test_move(t, srv, env, tr):
    env.tern("list", "Work")
    mid = message_id(srv, "INBOX", 6)
    r = env.tern("--offline", "move", "INBOX", "6", "Work")
    t.ok(r.returncode == 74 and "move queued" in r.stderr.decode(), "--offline move: queued",
         r.stderr)
    t.eq(count_id(srv, "Work", mid), 0, "nothing moved yet")
    for args in ([], ["--limit", "3"], ["--limit", "20", "--sort", "size"]):
        r = env.tern("--offline", "list", "INBOX", "--json", *args)
        rows = json.loads(r.stdout) if r.returncode == 0 else None
        uids = [x["uid"] for x in rows or []]
        t.ok(uids and 6 not in uids and (7 in uids or args[:1] == ["--limit"]) and
             (len(rows) == 3 if args[:2] == ["--limit", "3"] else True),
             "an --offline list %s leaves out the message a queued move takes away"
             % " ".join(args), r.stdout)
    r = env.tern("--offline", "search", "INBOX", "--json", "-is:deleted")
    uids = [x["uid"] for x in json.loads(r.stdout)] if r.returncode == 0 else []
    t.ok(uids and 6 not in uids and 7 in uids, "and so does an --offline search", r.stdout)
    r = env.tern("--offline", "copy", "INBOX", "7", "Work")
    t.ok(r.returncode == 74 and "copy queued" in r.stderr.decode(), "--offline copy: queued")
    mid7 = message_id(srv, "INBOX", 7)
    r = env.tern("list", "Work", "--json")
    t.eq(r.returncode, 0, "the next list replays")
    t.ok(count_id(srv, "Work", mid) == 1 and flags(srv, "INBOX", 6) is None,
         "the moved message is in the destination once, gone from the source")
    t.ok(count_id(srv, "Work", mid7) == 1 and count_id(srv, "INBOX", mid7) == 1,
         "the copied message is in both folders once")
    r2 = env.tern("--offline", "list", "INBOX", "--json")
    uids = [x["uid"] for x in json.loads(r2.stdout)] if r2.returncode == 0 else []
    t.ok(uids and 6 not in uids and 7 in uids,
         "the cache no longer lists the moved message in its source", r2.stdout)
    # the user's set as the cache resolves it: 1:2 and 99 (not cached) -> 1:2
    r = env.tern("--offline", "delete", "INBOX", "1:2,99")
    err = r.stderr.decode()
    t.ok(r.returncode == 74 and "nothing queued" in err and "Trash" in err,
         "--offline delete without a configured Trash: not queued, says why", err)
    cfg = other_config(env, "trash", port=srv.imap_port)
    with open(cfg, "a") as f:
        f.write("trash = Trash\n")
    mids = [message_id(srv, "INBOX", u) for u in (1, 2)]
    r = env.tern("-c", cfg, "--offline", "delete", "INBOX", "1:2,99", config=False)
    t.ok(r.returncode == 74 and "queued" in r.stderr.decode(),
         "--offline delete with 'trash = Trash': queued", r.stderr)
    t.eq(journal(env), [(3, "INBOX", "1:2", "Trash")],
         "as a move of the cached UIDs the set names to the Trash")
    r = env.tern("folders")
    t.ok(r.returncode == 0 and all(count_id(srv, "Trash", m) == 1 for m in mids) and
         all(count_id(srv, "INBOX", m) == 0 for m in mids), "replayed: both are in the Trash")


def test_never_queued(t, srv, env, tr):
    before = journal(env)
    cases = [
        (["--offline", "flag", "INBOX", "x", "+seen"], 64, "a bad UID set"),
        (["--offline", "flag", "INBOX", "8", "+not(valid"], 64, "a bad flag"),
        (["--offline", "flag", "INBOX", "8:*", "+seen"], 64, "a '*' set the cache cannot resolve"),
        (["--offline", "flag", "Nope", "8", "+seen"], 69, "a folder that is not cached"),
        (["--offline", "flag", "INBOX", "999", "+seen"], 69, "a UID that is not cached"),
        (["--offline", "delete", "INBOX", "8", "--expunge"], 74, "delete --expunge"),
        (["flag", "Nope", "8", "+seen"], 69, "online, a folder the server does not have"),
        (["move", "INBOX", "8", "NoSuchFolder"], 69,
         "online, a move the server refuses (NO [TRYCREATE])"),
        (["flag", "INBOX", "8", "+$" + "x" * 200], 64, "a keyword too long"),
    ]
    for argv, rc, desc in cases:
        r = env.tern(*argv)
        t.ok(r.returncode == rc and journal(env) == before,
             "not queued: %s (exit %d)" % (desc, rc), (r.returncode, r.stderr))
    r = env.tern("--offline", "delete", "INBOX", "8", "--expunge")
    t.ok("never queued" in r.stderr.decode(), "a permanent deletion says it is never queued",
         r.stderr)
    r = env.tern("--offline", "--no-cache", "flag", "INBOX", "8", "+seen")
    t.eq(r.returncode, 64, "--offline with --no-cache is a usage error")


def test_dropped(t, srv, env, tr):
    # a NO at replay time: reported, dropped
    r = env.tern("--offline", "move", "INBOX", "8", "NoSuchFolder")
    t.eq(r.returncode, 74, "a move to a folder that does not exist is queued offline")
    r = env.tern("list", "INBOX")
    err = r.stderr.decode()
    t.ok(r.returncode == 0 and "warning" in err and "refused" in err,
         "replayed: the server's NO is a warning", err)
    t.ok(journal(env) == [] and flags(srv, "INBOX", 8) is not None,
         "the action is dropped, the message stays")
    # a UIDVALIDITY change between queue and replay
    env.tern("list", "Gone")
    r = env.tern("--offline", "flag", "Gone", "1", "+flagged")
    t.eq(r.returncode, 74, "a flag change on Gone is queued")
    before = uidvalidity(srv, "Gone")
    c = srv.imap()
    c.delete("Gone")
    c.create("Gone")
    c.append("Gone", "", None, b"From: a@b\r\nSubject: reborn\r\nMessage-ID: <reborn@x>\r\n\r\nx\r\n")
    c.logout()
    t.ok(uidvalidity(srv, "Gone") != before, "Gone was recreated with a new UIDVALIDITY")
    r = env.tern("list", "INBOX")
    err = r.stderr.decode()
    t.ok(r.returncode == 0 and "warning" in err and "UIDVALIDITY" in err,
         "the replay drops the action with a warning naming UIDVALIDITY", err)
    t.ok("\\Flagged" not in flags(srv, "Gone", 1), "the new message 1 is not flagged")
    t.eq(journal(env), [], "the journal is empty")


def fake_script(uidvalidity):
    return ("S: * OK [CAPABILITY IMAP4rev1 UIDPLUS MOVE] fake ready\n"
            "C~ \\S+ LOGIN .*\n"
            "S: $TAG OK [CAPABILITY IMAP4rev1 UIDPLUS MOVE] logged in\n"
            "C~ \\S+ SELECT INBOX\n"
            "S: * 12 EXISTS\n"
            "S: * OK [UIDVALIDITY %d] ok\n"
            "S: * OK [UIDNEXT 100] ok\n"
            "S: $TAG OK [READ-WRITE] selected\n"
            "C~ \\S+ UID STORE 9 \\+FLAGS.* \\(\\\\Flagged\\)\n"
            "SLEEP 60\n" % uidvalidity)


def start_fake(env, name, script_text):
    sdir = os.path.join(env.dir, name)
    os.makedirs(sdir, exist_ok=True)
    script = os.path.join(sdir, "script")
    with open(script, "w") as f:
        f.write(script_text)
    fenv = dict(os.environ, FAKE_IMAPD_VERBOSE="1")
    serr = open(os.path.join(sdir, "stderr"), "w+b")
    fake = subprocess.Popen([sys.executable, FAKE, script, "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=serr, env=fenv)
    port = int(fake.stdout.readline().split()[1])
    cfg = os.path.join(env.dir, "config", "tern", name)
    with open(cfg, "w") as f:
        f.write("[account test]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = u\n"
                "password = p\ntimeout = 60\n" % port)
    os.chmod(cfg, 0o600)
    return fake, serr, cfg


def test_lost(t, srv, env, tr):
    """The connection drops after the STORE was sent, before its answer."""
    script = (fake_script(uidvalidity(srv, "INBOX")).split("C~ \\S+ UID STORE")[0] +
              "C~ \\S+ UID SEARCH UID 11\n"
              "S: * SEARCH 11\n"
              "S: $TAG OK done\n"
              "C~ \\S+ UID STORE 11 \\+FLAGS.* \\(\\\\Draft\\)\n"
              "CLOSE\n")
    fake, serr, cfg = start_fake(env, "lost", script)
    r = env.tern("-c", cfg, "flag", "INBOX", "11", "+draft", config=False)
    fake.wait(timeout=30)
    fake.stdout.close()
    serr.close()
    err = r.stderr.decode()
    t.ok(r.returncode == 74 and "queued" in err and one_line(r),
         "connection lost before the server answered the STORE: queued, exit 74", err)
    t.eq(journal(env), [(1, "INBOX", "11", "\\Draft")], "with the UID the server resolved")
    r = env.tern("list", "INBOX")
    t.ok(r.returncode == 0 and "\\Draft" in flags(srv, "INBOX", 11) and journal(env) == [],
         "replayed on the real server by the next list")


def test_kill(t, srv, env, tr):
    r = env.tern("--offline", "flag", "INBOX", "9", "+flagged")
    t.eq(r.returncode, 74, "a flag change on UID 9 is queued")
    fake, serr, cfg = start_fake(env, "fake", fake_script(uidvalidity(srv, "INBOX")))
    p = subprocess.Popen([ternlib.TERN, "-c", cfg, "list", "INBOX"], env=env.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not seen:
        time.sleep(0.05)
        serr.seek(0)
        seen = b"UID STORE 9" in serr.read()
    p.kill()
    p.wait()
    fake.kill()
    fake.wait()
    fake.stdout.close()
    serr.seek(0)
    transcript = serr.read().decode(errors="replace")
    serr.close()
    t.ok(seen, "the replay sent the STORE to the stalling server, then tern was killed (-9)",
         transcript[-2000:])
    t.eq(len(journal(env)), 1, "the claimed action is still in the journal")
    t.ok("\\Flagged" not in flags(srv, "INBOX", 9), "the real server does not have it yet")
    tr.mark()
    r = env.tern("--debug", "list", "INBOX")
    t.eq(r.returncode, 0, "the next run against the real server succeeds")
    t.ok("\\Flagged" in flags(srv, "INBOX", 9), "it took over the dead process's claim")
    t.eq(stores(tr.new(), r"9 \+FLAGS(\.SILENT)? \(\\Flagged\)"), 1, "and sent it once")
    t.eq(journal(env), [], "the journal is empty")


def main(t):
    srv = ternlib.start_server(t, folders=FOLDERS)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        tr = Trace(env)
        test_offline_flag(t, srv, env, tr)
        test_order(t, srv, env, tr)
        test_refused(t, srv, env, tr)
        test_move(t, srv, env, tr)
        test_never_queued(t, srv, env, tr)
        test_dropped(t, srv, env, tr)
        test_kill(t, srv, env, tr)
        test_lost(t, srv, env, tr)
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)

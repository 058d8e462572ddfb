#!/usr/bin/env python3
"""The sequence-number map against the test Dovecot without QRESYNC, so
that Dovecot sends one EXPUNGE a message (as Gmail does) and tern must name
each one's UID from its own map (core/imap/client.c, struct msgmap).

tests/integration/imap-events opens a folder of 2,000 with
TERN_TEST_DISABLE=QRESYNC,CONDSTORE, learns every UID and idles, printing
the UID its map gives each EXPUNGE and each flag update. Another client
(imaplib) then:
  - expunges 1,200 messages picked at random: the 1,200 EXPUNGEs name
    exactly those UIDs, each the one that held its sequence number then
    (enough of them for the map to stop moving its tail and mark instead);
  - gives 40 of the survivors a keyword: each flag update (no UID in it) names its
    message by the map, after the storm;
  - appends 5 messages, then expunges a run of 300 neighbours (Dovecot
    sends "* N EXPUNGE" with the same N each time) and 100 more at random:
    again exactly those;
  - gives 40 more another keyword: named right again.
The protocol trace shows EXPUNGE responses and no VANISHED; the driver
leaves with status 0 and nothing on stderr (no sanitizer report)."""
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

COUNT = 2000
WAIT = 60  # seconds for one batch of updates; normally well under one


class Events:
    """imap-events on FOLDER, its stdout lines in a queue."""

    def __init__(self, env, folder):
        prog = os.path.join(ternlib.BUILDDIR, "tests", "integration", "imap-events")
        e = dict(env.env, TERN_TEST_DISABLE="QRESYNC,CONDSTORE")
        self.p = subprocess.Popen([prog, "--debug", env.config, folder], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def take(self, n):
        """The next n lines (fewer if the driver ends or WAIT passes)."""
        got, deadline = [], time.monotonic() + WAIT
        while len(got) < n:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            got.append(line)
        return got

    def finish(self):
        self.p.stdin.close()
        try:
            self.p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        return self.p.returncode, self.p.stderr.read().decode("utf-8", "replace")


def replay(t, lines, kind, folder, desc):
    """Each line names the UID at its sequence number in folder (the UIDs
    in order, as the server has them), which EXPUNGEs shorten as they
    come. Returns the UIDs named."""
    named, wrong = [], []
    for line in lines:
        m = re.fullmatch(r"(EXPUNGE|FLAGS) (\d+) (\d+)", line)
        if m is None or m.group(1) != kind:
            wrong.append(line)
            continue
        seq, uid = int(m.group(2)), int(m.group(3))
        want = folder[seq - 1] if 1 <= seq <= len(folder) else None
        if uid != want:
            wrong.append("%s (want uid %s)" % (line, want))
        if kind == "EXPUNGE" and want is not None:
            del folder[seq - 1]
        named.append(uid)
    t.ok(not wrong, desc + ": each names the UID that held its sequence number",
         "\n".join(wrong[:10]))
    return named


def expunge(srv, folder_name, uids):
    c = srv.imap()
    try:
        c.select(folder_name)
        c.uid("STORE", ",".join(str(u) for u in uids), "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
    finally:
        c.logout()


def flag(srv, folder_name, uids, keyword):
    """A keyword no message has yet: each of them changes (the fixture's
    messages have \\Flagged already, some)."""
    c = srv.imap()
    try:
        c.select(folder_name)
        c.uid("STORE", ",".join(str(u) for u in uids), "+FLAGS.SILENT", "(%s)" % keyword)
    finally:
        c.logout()


def append(srv, folder_name, n):
    c = srv.imap()
    try:
        for i in range(n):
            c.append(folder_name, None, None,
                     ("From: a@example.org\r\nSubject: late %d\r\n"
                      "Message-ID: <late-%d@tern.test>\r\n\r\nlate\r\n" % (i, i)).encode())
    finally:
        c.logout()


def all_uids(srv, folder_name):
    c = srv.imap()
    try:
        c.select(folder_name, readonly=True)
        typ, data = c.uid("SEARCH", "ALL")
        return [int(x) for x in data[0].split()]
    finally:
        c.logout()


def storm(t, srv, ev, folder, gone, desc):
    expunge(srv, "Storm", gone)
    named = replay(t, ev.take(len(gone)), "EXPUNGE", folder, desc)
    t.ok(sorted(named) == sorted(gone),
         "%s: the %d EXPUNGEs name exactly the UIDs expunged (%d named)"
         % (desc, len(gone), len(named)))
    t.eq(folder, all_uids(srv, "Storm"), desc + ": what is left is what the server has")


def flags(t, srv, ev, folder, rng, keyword, desc):
    known = [u for u in folder if u <= KNOWN_MAX[0]]
    picked = sorted(rng.sample(known, 40))
    flag(srv, "Storm", picked, keyword)
    named = replay(t, ev.take(len(picked)), "FLAGS", folder, desc)
    t.ok(sorted(named) == picked, desc + ": the 40 flag updates name exactly the flagged UIDs")


KNOWN_MAX = [0]  # the highest UID the driver learned


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 1, "Storm": COUNT})
    env = ternlib.Env()
    ev = None
    try:
        srv.tern_config(env.config)
        folder = all_uids(srv, "Storm")
        t.eq(len(folder), COUNT, "the folder holds %d messages" % COUNT)
        KNOWN_MAX[0] = folder[-1]
        ev = Events(env, "Storm")
        ready = ev.take(1)
        t.eq(ready, ["READY %d" % COUNT], "the driver learned the folder and idles")
        rng = random.Random(17)

        storm(t, srv, ev, folder, sorted(rng.sample(folder, 1200)), "1,200 at random")
        flags(t, srv, ev, folder, rng, "$Storm1", "after the storm")

        append(srv, "Storm", 5)
        folder = all_uids(srv, "Storm")
        start = rng.randrange(0, len(folder) - 5 - 300)
        gone = folder[start:start + 300]
        gone_set = set(gone)
        rest = [u for u in folder[:-5] if u not in gone_set]
        storm(t, srv, ev, folder, sorted(gone + rng.sample(rest, 100)),
              "a run of 300 and 100 more, after an EXISTS")
        flags(t, srv, ev, folder, rng, "$Storm2", "after the second storm")

        rc, err = ev.finish()
        ev = None
        t.ok(rc == 0 and err == "", "the driver leaves with 0 and nothing on stderr",
             "rc %s\n%s" % (rc, err[-3000:]))
        log = os.path.join(env.dir, "cache", "tern", "tern.log")
        trace = open(log, errors="replace").read() if os.path.exists(log) else ""
        enabled = re.findall(r"C: \S+ ENABLE .*", trace)
        t.ok(len(re.findall(r"S: \* \d+ EXPUNGE", trace)) >= 1600 and "VANISHED" not in trace
             and not any("QRESYNC" in e or "CONDSTORE" in e for e in enabled),
             "the trace shows the EXPUNGE responses, no VANISHED; QRESYNC not enabled",
             "\n".join(enabled))
        t.ok(len(re.findall(r"S: \* \d+ FETCH \(FLAGS \(", trace)) >= 80,
             "the 80 flag updates came without a UID: the map named them")
    finally:
        if ev is not None:
            ev.finish()
        env.cleanup()
        srv.stop()


ternlib.run(main)

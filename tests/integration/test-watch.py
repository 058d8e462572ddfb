#!/usr/bin/env python3
"""tern watch [--json] against the test Dovecot (issue 16, "Live counts
everywhere").

A second client (imaplib) appends to, flags in and expunges from folders
tern has not selected; `tern watch --json` must print one JSON line per
change, in order, naming the folder as `tern folders` does (the UTF-8
name: Dovecot 2.3's NOTIFY names folders in UTF-8 where LIST gives
modified UTF-7), with the event new / flags / expunge and the folder's
counts, and nothing for folders that did not change (Dovecot sends STATUS
lines for those too) nor at start. A folder made after the start is
followed too. The same with NOTIFY switched off in Dovecot
(mailbox_list_index = no): the LIST-STATUS poll every poll_interval. A
link cut under it is connected again, and what changed meanwhile is
printed then. SIGTERM ends it with 0; so does SIGINT (plain output)."""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

WAIT = 30  # seconds: the machine is loaded; a line normally comes in < 1 s


def msg(n):
    return ("From: w@example.org\r\nTo: tern@example.org\r\nSubject: watch %d\r\n"
            "Message-ID: <watch-%d@tern.test>\r\n\r\nbody %d\r\n" % (n, n, n)).encode()


class Watch:
    """tern --debug watch ARGS, its stdout lines in a queue."""

    def __init__(self, env, *args):
        self.env = env
        self.log = os.path.join(env.dir, "cache", "tern", "tern.log")
        self.p = subprocess.Popen([ternlib.TERN, "-c", env.config, "--debug", "watch"] +
                                  list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env.env)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.decode("utf-8", "replace").rstrip("\n"))

    def ready(self, n=1):
        """The watch is on (NOTIFY answered, or the poll chosen) for the
        n-th time (connections)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                text = open(self.log, errors="replace").read()
            except OSError:
                text = ""
            if text.count("OK NOTIFY") + text.count("watch: no NOTIFY") >= n:
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def line(self):
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            return None

    def json_line(self):
        line = self.line()
        try:
            return json.loads(line) if line is not None else None
        except ValueError:
            return {"unparsable": line}

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        return rc, self.p.stderr.read().decode("utf-8", "replace")


def counts(c, folder):
    typ, data = c.status(folder, "(MESSAGES UNSEEN)")
    words = data[0].decode().rsplit("(", 1)[1].rstrip(")").split()
    d = dict(zip(words[0::2], words[1::2]))
    return int(d["MESSAGES"]), int(d["UNSEEN"])


def sequence(t, srv, w, label, base):
    """Append, flag, expunge in folders not selected; one line each."""
    c = srv.imap()
    n, u = counts(c, "Archive")
    start = time.monotonic()
    c.append("Archive", None, None, msg(base))
    line = w.json_line()
    t.diag("%s: the line came %.3f s after the APPEND began (a figure, not a test)"
           % (label, time.monotonic() - start))
    t.eq(line, {"folder": "Archive", "messages": n + 1, "unseen": u + 1,
                "event": "new"}, label + ": APPEND in Archive is one 'new' line")
    c.select("Archive")
    typ, data = c.uid("SEARCH", "UNSEEN")
    uid = data[0].split()[-1].decode()
    c.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    t.eq(w.json_line(), {"folder": "Archive", "messages": n + 1, "unseen": u,
                         "event": "flags"}, label + ": \\Seen set in Archive is one 'flags' line")
    c.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    c.expunge()
    t.eq(w.json_line(), {"folder": "Archive", "messages": n, "unseen": u,
                         "event": "expunge"}, label + ": an expunge in Archive is one line")
    c.close()
    zn, zu = counts(c, "Projects/Z&APw-rich")
    c.append("Projects/Z&APw-rich", None, None, msg(base + 1))
    t.eq(w.json_line(), {"folder": "Projects/Z\u00fcrich", "messages": zn + 1,
                         "unseen": zu + 1, "event": "new"},
         label + ": a folder with a non-ASCII name is named in UTF-8")
    c.create("Neu-%d" % base)
    c.append("Neu-%d" % base, None, None, msg(base + 2))
    t.eq(w.json_line(), {"folder": "Neu-%d" % base, "messages": 1, "unseen": 1,
                         "event": "new"}, label + ": a folder made after the start is followed")
    c.logout()


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config, extra="[ui]\npoll_interval = 1\n")
        w = Watch(env, "--json")
        t.ok(w.ready(), "tern watch --json starts NOTIFY on Dovecot")
        sequence(t, srv, w, "NOTIFY", 100)
        rc, err = w.stop(signal.SIGTERM)
        t.eq(rc, 0, "SIGTERM ends tern watch with 0")
        t.eq(err, "", "nothing on stderr")
        t.eq(w.lines.qsize(), 0, "no other line was printed (unchanged folders dropped)")

        # A link cut under it: connected again, what changed meanwhile told.
        proxy = ternlib.Proxy(srv.imap_port)
        srv.tern_config(env.config, port=proxy.port, extra="[ui]\npoll_interval = 1\n")
        os.unlink(w.log)
        w = Watch(env, "--json")
        t.ok(w.ready(), "tern watch through a proxy is on")
        proxy.set_down()
        c = srv.imap()
        n, u = counts(c, "Junk")
        c.append("Junk", None, None, msg(300))
        c.logout()
        proxy.mode = "up"
        t.ok(w.ready(2), "after the link was cut, tern watch connected again")
        t.eq(w.json_line(), {"folder": "Junk", "messages": n + 1, "unseen": u + 1,
                             "event": "new"}, "what came while the link was down is printed")
        rc, err = w.stop(signal.SIGINT)
        t.eq(rc, 0, "SIGINT ends tern watch with 0")
        t.ok("connecting again" in err, "the lost link is said on stderr", err)
        proxy.close()
    finally:
        srv.stop()

    # NOTIFY switched off: the LIST-STATUS poll.
    srv = ternlib.start_server(t, list_index=False)
    try:
        srv.tern_config(env.config, extra="[ui]\npoll_interval = 1\n")
        os.unlink(w.log)
        w = Watch(env, "--json")
        t.ok(w.ready(), "without NOTIFY, tern watch polls")
        t.ok("LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN UIDNEXT))"
             in open(w.log, errors="replace").read(),
             "the poll is one LIST-STATUS for every folder")
        sequence(t, srv, w, "poll", 200)
        rc, err = w.stop(signal.SIGTERM)
        t.eq(rc, 0, "SIGTERM ends the polling tern watch with 0")

        # Plain output: one readable line.
        w = Watch(env)
        t.ok(w.ready(2), "tern watch (plain) polls")
        c = srv.imap()
        c.append("Archive", None, None, msg(400))
        c.logout()
        line = w.line() or ""
        t.ok(line.startswith("Archive: 1 new message ("), "plain: one line saying where", line)
        rc, err = w.stop(signal.SIGTERM)
        t.eq(rc, 0, "SIGTERM ends the plain tern watch with 0")
        r = env.tern("watch", "extra")
        t.eq(r.returncode, 64, "tern watch takes no folder (usage error)")
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)

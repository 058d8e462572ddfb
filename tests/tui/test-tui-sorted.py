#!/usr/bin/env python3
"""The first screen of a folder that is not cached yet comes in the
server's order when the view is not the date order (issue #16): sorted by
sender it is ESORT with PARTIAL, threaded it is THREAD=REFS; the whole
folder loads after, and the local sort and threading take over.

Against the test Dovecot, through a proxy that from some point holds every
FETCH by sequence number (the whole-folder load) while UID FETCH goes
through, so the screen shows what came before the load, for as long as
the test looks:
  - "Senders": 200 messages whose senders sort the other way round from
    their dates (Sender 000 is the oldest). Sorted by sender, the first
    rows are Sender 000, 001, ... (the newest screenful by sequence
    number, today's first screen, holds Sender 150 and up).
  - "Threads": 60 threads of a root and two replies, every root appended
    before every reply, so the newest messages by sequence number are
    replies without their roots. Threaded, the first rows are the newest
    thread, its root first, its replies under it.
Both checks fail without the server's order (nothing is drawn while the
load is held). Also: tern quits with status 0 and nothing on stderr."""
import email.utils
import importlib.util
import os
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
q = base.shell_quote
SENDERS, N_SENDERS = "Senders", 200
THREADS, N_THREADS = "Threads", 60
BASE_TIME = 1700000000  # 2023-11-14


def message(from_name, subject, when, mid, refs=None):
    head = ("From: %s <s%d@example.org>\r\nTo: tern@example.org\r\nDate: %s\r\n"
            "Message-ID: %s\r\nSubject: %s\r\n"
            % (from_name, when % 100000, email.utils.formatdate(when), mid, subject))
    if refs:
        head += "In-Reply-To: %s\r\nReferences: %s\r\n" % (refs[-1], " ".join(refs))
    return (head + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello.\r\n").encode()


def fill(srv):
    """The two folders, by one IMAP connection (APPEND in this order)."""
    c = srv.imap()
    try:
        for name in (SENDERS, THREADS):
            typ, data = c.create(name)
            assert typ == "OK", data
        # Sender NNN's date grows with NNN: by sender is oldest first
        for i in range(N_SENDERS):
            raw = message("Sender %03d" % i, "Note %03d" % i, BASE_TIME + i * 3600,
                          "<s%d@test>" % i)
            typ, data = c.append(SENDERS, None, None, raw)
            assert typ == "OK", data
        # every root first, then every reply: the newest by sequence
        # number are replies whose roots are far below them
        for k in range(N_THREADS):
            raw = message("Root %02d" % k, "Thread %02d" % k, BASE_TIME + k * 36000,
                          "<t%d@test>" % k)
            typ, data = c.append(THREADS, None, None, raw)
            assert typ == "OK", data
        for r in (1, 2):
            for k in range(N_THREADS):
                raw = message("Reply %02d-%d" % (k, r), "Re: Thread %02d" % k,
                              BASE_TIME + k * 36000 + r * 3600, "<t%d.%d@test>" % (k, r),
                              ["<t%d@test>" % k])
                typ, data = c.append(THREADS, None, None, raw)
                assert typ == "OK", data
    finally:
        c.logout()


class Run:
    """One tern in tmux (plain IMAP through the proxy, --debug for the
    protocol trace)."""

    def __init__(self, env, config):
        self.env = env
        self.stderr = os.path.join(env.dir, "stderr")
        self.status = os.path.join(env.dir, "status")
        self.log = os.path.join(env.dir, "cache", "tern", "tern.log")
        for p in (self.stderr, self.status):
            if os.path.exists(p):
                os.unlink(p)
        envs = " ".join("%s=%s" % (k, q(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                                  "LC_ALL") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % q(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s --debug 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, q(ternlib.TERN), q(config), q(self.stderr), q(self.status)))
        self.term = base.Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))

    def status_line(self, lines):
        return lines[base.HEIGHT - 2]

    def rows(self, lines):
        return base.list_rows(lines, base.HEIGHT - 2)

    def trace(self):
        return open(self.log, errors="replace").read() if os.path.exists(self.log) else ""

    def quit(self, t, what):
        self.term.keys("q")
        time.sleep(0.3)
        self.term.keys("q")
        deadline = time.time() + WAIT * 2
        while time.time() < deadline and not os.path.exists(self.status):
            time.sleep(0.1)
        time.sleep(0.2)
        code = open(self.status).read().strip() if os.path.exists(self.status) else "running"
        t.eq(code, "0", "%s: q quits with status 0" % what)
        err = open(self.stderr, errors="replace").read() if os.path.exists(self.stderr) else ""
        t.eq(err, "", "%s: nothing on stderr (no sanitizer report)" % what)

    def kill(self):
        self.term.kill()


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    srv = ternlib.start_server(t, folders={"INBOX": 1})
    proxy = ternlib.Proxy(srv.imap_port)
    try:
        fill(srv)
        check_sorted(t, srv, proxy)
        check_threaded(t, srv, proxy)
        check_loaded(t, srv, proxy)
    finally:
        proxy.close()
        srv.stop()


def open_folder(run, proxy, name, keys):
    """INBOX up (the loop runs, IDLE on), then the view keys, then the
    whole-folder load held, then the folder opened by name (J)."""
    ok, lines = run.term.wait_text("1 message")
    if not ok:
        return ok, lines
    time.sleep(1)
    for k in keys:
        run.term.keys(k)
        time.sleep(0.2)
    proxy.mode = "hold-seq-fetch"
    run.term.keys("J")
    time.sleep(0.3)
    run.term.text(name)
    run.term.keys("Enter")
    return True, lines


def first_rows(run, want, lines_pred=None):
    """Waits until the list's first rows hold the strings of want, in order."""
    def pred(lines):
        rows = run.rows(lines)
        return len(rows) >= len(want) and all(w in rows[i] for i, w in enumerate(want))
    return run.term.wait(pred, timeout=WAIT * 2)


def check_sorted(t, srv, proxy):
    env = ternlib.Env()
    config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=3)
    run = Run(env, config)
    proxy.mode = "up"
    try:
        ok, lines = open_folder(run, proxy, SENDERS, ["o", "o"])
        t.ok(ok, "sorted: tern starts on INBOX", "\n".join(lines))
        want = ["Sender %03d" % i for i in range(10)]
        ok, lines = first_rows(run, want)
        if not ok:
            t.diag("TRACE:\n" + "\n".join(l[:150] for l in run.trace().splitlines() if "C: " in l or " OK " in l or " NO " in l or " BAD " in l)[:8000])
        t.ok(ok, "sorted by sender, not cached: the first rows are Sender 000..009 "
             "before the load finishes", "\n".join(lines))
        t.ok("by sender" in run.status_line(lines), "sorted: the status line says by sender",
             run.status_line(lines))
        trace = run.trace()
        t.ok("UID SORT RETURN (PARTIAL 1:" in trace and "(DISPLAYFROM) UTF-8 ALL" in trace,
             "sorted: the order came from ESORT with PARTIAL (DISPLAYFROM)")
        t.ok("Sender 150" not in "\n".join(run.rows(lines)),
             "sorted: none of the newest screenful by sequence number is shown",
             "\n".join(lines))
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        proxy.mode = "up"
        try:
            run.quit(t, "sorted")
        finally:
            run.kill()
            env.cleanup()


def check_threaded(t, srv, proxy):
    env = ternlib.Env()
    config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=3)
    run = Run(env, config)
    proxy.mode = "up"
    try:
        ok, lines = open_folder(run, proxy, THREADS, ["O"])
        t.ok(ok, "threaded: tern starts on INBOX", "\n".join(lines))
        last = N_THREADS - 1
        want = ["Root %02d" % last, "Reply %02d" % last, "Reply %02d" % last,
                "Root %02d" % (last - 1)]
        ok, lines = first_rows(run, want)
        t.ok(ok, "threaded, not cached: the newest thread's root, then its replies, then "
             "the next thread, before the load finishes", "\n".join(lines))
        rows = run.rows(lines)
        t.ok(len(rows) > 2 and "Re: Thread %02d" % last in rows[1] and
             rows[1].index("Re:") > rows[0].index("Thread %02d" % last),
             "threaded: a reply is drawn under its root, indented", "\n".join(rows[:4]))
        t.ok("UID THREAD REFS UTF-8 ALL" in run.trace(),
             "threaded: the order came from THREAD=REFS")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        proxy.mode = "up"
        try:
            run.quit(t, "threaded")
        finally:
            run.kill()
            env.cleanup()


def check_loaded(t, srv, proxy):
    """Nothing held: the whole load comes after the first screen and the
    local sort keeps it (each message once)."""
    env = ternlib.Env()
    config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=3)
    run = Run(env, config)
    proxy.mode = "up"
    try:
        ok, lines = run.term.wait_text("1 message")
        t.ok(ok, "loaded: tern starts on INBOX", "\n".join(lines))
        time.sleep(1)
        for k in ("o", "o", "J"):
            run.term.keys(k)
            time.sleep(0.2)
        run.term.text(SENDERS)
        run.term.keys("Enter")
        label = base.count_label(N_SENDERS)
        want = ["Sender %03d" % i for i in range(10)]
        ok, lines = run.term.wait(
            lambda ls: label in run.status_line(ls) and
            all(w in run.rows(ls)[i] for i, w in enumerate(want)), timeout=WAIT * 2)
        t.ok(ok, "loaded: %s, still Sender 000..009 first" % label, "\n".join(lines))
        t.ok("UID SORT RETURN (PARTIAL" in run.trace(), "loaded: ESORT asked first")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        try:
            run.quit(t, "loaded")
        finally:
            run.kill()
            env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)

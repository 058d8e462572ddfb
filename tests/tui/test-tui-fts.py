#!/usr/bin/env python3
"""Search in the interface while connected, with the local full-text index
(issue 16), in tmux against the test Dovecot behind a slow link (a proxy
that holds every chunk): what the cache finds (a body read before, by a
word of it) shows at once with "the server is searching", before the
server's answer; the server's answer then replaces it and says how many
more it found (a message whose body was never read)."""
import importlib.util
import os
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
W, H = base.WIDTH, base.HEIGHT
LIST_H = 11


class Run:
    """One tern in tmux; exit status and stderr in files."""
    n = 0

    def __init__(self, env, config):
        Run.n += 1
        self.stderr = os.path.join(env.dir, "stderr-%d" % Run.n)
        self.status = os.path.join(env.dir, "status-%d" % Run.n)
        envs = " ".join("%s=%s" % (k, q(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                                  "TZ", "LANG", "LC_ALL") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % q(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, q(ternlib.TERN), q(config), q(self.stderr), q(self.status)))
        base.HEIGHT_NOW[0] = H
        tenv = dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        for k in ("COLUMNS", "LINES"):
            tenv.pop(k, None)
        self.term = base.Term(cmd, tenv, width=W, height=H,
                              options=[("set", "-g", "window-size", "manual"),
                                       ("resize-window", "-x", str(W), "-y", str(H))])

    def quit(self, t, what):
        self.term.keys("q")
        deadline = time.time() + WAIT
        while time.time() < deadline and not os.path.exists(self.status):
            time.sleep(0.05)
        time.sleep(0.1)
        code = open(self.status).read().strip() if os.path.exists(self.status) else "running"
        t.eq(code, "0", "%s: tern exits with status 0" % what)
        err = open(self.stderr, errors="replace").read() if os.path.exists(self.stderr) else ""
        t.eq(err, "", "%s: nothing on stderr" % what)
        self.term.kill()


def status(lines):
    """The status line and the message line under it."""
    return "\n".join(lines[-2:])


def message(n, body):
    return ("From: Sender %d <s%d@example.org>\r\nTo: me@example.org\r\n"
            "Subject: Fts probe %d\r\nDate: Mon, 02 Mar 2026 10:%02d:00 +0100\r\n"
            "Message-ID: <probe-%d@example.org>\r\n\r\n%s\r\n" % (n, n, n, n, n, body)).encode()


def main(t):
    srv = ternlib.start_server(t, folders={"INBOX": 6})
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    try:
        srv.tern_config(env.config)
        slow = srv.tern_config(os.path.join(env.dir, "slow"), port=proxy.port)
        c = srv.imap()
        for n, body in ((1, "A xenolith in the garden."), (2, "Another xenolith, unread.")):
            c.append("INBOX", None, None, message(n, body))
        c.logout()
        r = env.tern("search", "INBOX", "subject:\"Fts probe 1\"", "--json")
        uid = [m["uid"] for m in __import__("json").loads(r.stdout.decode())][0]
        r = env.tern("show", "INBOX", str(uid))
        t.ok(r.returncode == 0 and b"xenolith" in r.stdout, "show caches probe 1's body",
             r.stderr[:300])
        r = env.tern("list", "INBOX")
        t.ok(r.returncode == 0, "list caches the summaries", r.stderr[:300])

        run = Run(env, slow)
        try:
            ok, lines = run.term.wait(lambda ls: any("Fts probe 2" in l for l in ls[:LIST_H]))
            t.ok(ok, "the list opens through the proxy", "\n".join(lines))
            # let the second connection (the folder watcher) settle first
            time.sleep(1.0)
            proxy.delay = 1.0  # the server's answer takes two chunks: >= 2 s
            run.term.keys("/")
            run.term.text("body:xenolith")
            run.term.keys("Enter")
            ok, lines = run.term.wait(lambda ls: "1 match" in status(ls) or
                                      "2 matches" in status(ls))
            rows = [r for r in base.list_rows(lines, LIST_H) if r.strip()]
            t.ok(ok and "1 match" in status(lines) and len(rows) == 1 and
                 "Fts probe 1" in rows[0],
                 "the cache's match shows at once, before the server's answer",
                 "\n".join(lines))
            ok, lines = run.term.wait(lambda ls: "2 matches" in status(ls), timeout=WAIT + 20)
            rows = [r for r in base.list_rows(lines, LIST_H) if r.strip()]
            t.ok(ok and len(rows) == 2 and any("Fts probe 2" in r for r in rows),
                 "the server's answer then replaces it (a body never read too)",
                 "\n".join(lines))
            t.ok("The server found 1 more message" in "\n".join(lines),
                 "and it says the server found one more", "\n".join(lines))
            # the cursor was on the cache's match (probe 1) when the answer
            # came, and the answer put the newer probe 2 above it: the
            # cursor stays on probe 1 rather than jumping to the first row
            run.term.keys("Enter")
            ok, lines = run.term.wait(lambda ls: any("Subject: " in l for l in ls))
            subject = [l for l in lines if "Subject: " in l]
            t.ok(ok and "Fts probe 1" in subject[0],
                 "the server's answer leaves the cursor on the message it was on",
                 "\n".join(lines))
            run.term.keys("q")
            ok, lines = run.term.wait(lambda ls: not any("Subject: " in l for l in ls))
            t.ok(ok, "q closes the message", "\n".join(lines))
            # Esc while the server's answer is still on its way: the
            # cache's match is shown, the search is cleared, and the late
            # answer must not bring it back (distcheck once saw it do so)
            run.term.keys("Escape")
            ok, lines = run.term.wait(lambda ls: "match" not in status(ls))
            t.ok(ok, "Esc clears the first search", "\n".join(lines))
            run.term.keys("/")
            run.term.text("body:xenolith")
            run.term.keys("Enter")
            ok, lines = run.term.wait(lambda ls: "1 match" in status(ls))
            t.ok(ok, "searched again: the cache's match shows", "\n".join(lines))
            run.term.keys("Escape")
            ok, lines = run.term.wait(lambda ls: "match" not in status(ls))
            t.ok(ok, "Esc clears it before the server answers", "\n".join(lines))
            back, lines = run.term.wait(lambda ls: "match" in status(ls), timeout=8)
            rows = [r for r in base.list_rows(lines, LIST_H) if r.strip()]
            t.ok(not back and len(rows) >= 6,
                 "the server's late answer does not bring the cleared search back",
                 "\n".join(lines))
            proxy.delay = 0
        except BaseException:
            t.diag("screen:\n" + "\n".join(run.term.screen()))
            raise
        finally:
            proxy.delay = 0
            run.quit(t, "search")
    finally:
        proxy.close()
        srv.stop()
        env.cleanup()


ternlib.run(main)

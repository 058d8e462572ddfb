#!/usr/bin/env python3
"""Triage habits (issue 19), in tmux against the test Dovecot.

Covers: the folder prompt finds a folder by any part of its path
("devel" -> Lists/tern-devel) and lists the candidates above the prompt
("projects/"), one candidate taken by Enter after it is shown; a search
query with an error keeps the prompt open with the text and the cursor at
the error's column; a pre-filled query is replaced by the first character
typed, an editing key keeps it; Up walks the queries of an earlier run
(the history file under XDG_STATE_HOME); a folded folder shows the unread
count of the folders inside it; a narrow list keeps the year when the
folder spans years; the status line keeps the match count on a narrow
screen; the viewer wraps a long URL instead of cutting it."""
import importlib.util
import os
import re
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


class Run:
    """One tern in tmux; exit status and stderr in files."""
    n = 0

    def __init__(self, env, config, width=W, height=H):
        Run.n += 1
        self.stderr = os.path.join(env.dir, "stderr-%d" % Run.n)
        self.status = os.path.join(env.dir, "status-%d" % Run.n)
        self.h = height
        envs = " ".join("%s=%s" % (k, q(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                                  "TZ", "LANG", "LC_ALL") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % q(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, q(ternlib.TERN), q(config), q(self.stderr), q(self.status)))
        base.HEIGHT_NOW[0] = height
        tenv = dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        for k in ("COLUMNS", "LINES"):  # make check sets COLUMNS: curses would believe it
            tenv.pop(k, None)
        self.term = base.Term(cmd, tenv,
                              width=width, height=height,
                              options=[("set", "-g", "window-size", "manual"),
                                       ("resize-window", "-x", str(width), "-y", str(height))])

    def last(self, lines):
        return lines[self.h - 1]

    def above(self, lines):
        return lines[self.h - 2]

    def cursor_x(self):
        return int(self.term.display("#{cursor_x}"))

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


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def loaded(run, n):
    label = base.count_label(n)
    return run.term.wait(lambda ls: label in run.above(ls))


def run_tests(t, srv, env):
    config = srv.tern_config(env.config, tls="none")
    n = len(srv.mailbox["INBOX"])
    run = Run(env, config)
    try:
        ok, lines = loaded(run, n)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        check_completion(t, run)
        word = check_search_prompt(t, run, srv)
        check_folded_count(t, run, srv)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        pass
    run.quit(t, "first run")
    check_history(t, env, config, n, word)
    check_narrow(t, srv, env, config, n)


def check_completion(t, run):
    term = run.term
    ok, lines = term.wait_text("tern-devel")  # the folder list is in
    t.ok(ok, "the folder pane lists the folders", "\n".join(lines))
    term.keys("m")
    ok, lines = term.wait(lambda ls: run.last(ls).startswith("Move 1 message to:"))
    t.ok(ok, "m: the folder prompt", run.last(lines))
    term.text("devel")
    term.keys("Tab")
    ok, lines = term.wait(lambda ls: "Lists/tern-devel" in run.last(ls))
    t.ok(ok, "Tab: 'devel' (inside the path) completes to Lists/tern-devel", run.last(lines))
    term.keys("C-u")
    term.text("projects/")
    term.keys("Tab")
    ok, lines = term.wait(lambda ls: all(f in run.above(ls) for f in
                                         ("Projects/2026", "Projects/2026/Q4", "Projects/Zürich")))
    t.ok(ok, "Tab: 'projects/' lists its children above the prompt", run.above(lines))
    t.ok("Projects/" in run.last(lines), "the text becomes their common part", run.last(lines))
    term.keys("C-u")
    term.text("zür")
    term.keys("Enter")
    ok, lines = term.wait(lambda ls: "Projects/Zürich" in run.last(ls))
    t.ok(ok, "Enter on a part with one candidate shows the candidate, prompt open",
         run.last(lines))
    term.keys("Escape")
    time.sleep(0.5)
    ok, lines = term.wait(lambda ls: not run.last(ls).startswith("Move"))
    t.ok(ok, "Esc leaves the folder prompt", run.last(lines))


def check_search_prompt(t, run, srv):
    term = run.term
    term.keys("/")
    ok, lines = term.wait(lambda ls: run.last(ls).startswith("Search:"))
    t.ok(ok, "/: the search prompt", run.last(lines))
    bad = "subject:x frm:y"
    term.text(bad)
    term.keys("Enter")
    time.sleep(0.5)
    ok, lines = term.wait(lambda ls: "unknown field" in run.above(ls))
    t.ok(ok, "a bad query: the error is shown", run.above(lines))
    t.ok(run.last(lines).startswith("Search: " + bad),
         "a bad query: the prompt stays open with the text", run.last(lines))
    t.eq(run.cursor_x(), len("Search: ") + bad.index("frm"),
         "a bad query: the cursor is at the error's column")
    # fix it where the cursor is: delete "frm", type "from"
    term.keys("Delete", "Delete", "Delete")
    term.text("from")
    # a real word, so the search finds something
    left = list(srv.mailbox["INBOX"])
    word = sorted(set(w for m in left for w in re.findall(r"[a-z]{4,}", m.subject.lower())))[0]
    term.keys("C-u")
    term.text("subject:" + word)
    term.keys("Enter")
    want = sum(1 for m in left if word in m.subject.lower())
    label = "%d match%s" % (want, "" if want == 1 else "es")
    ok, lines = term.wait(lambda ls: label in run.above(ls))
    t.ok(ok, "the query searched: %s" % label, run.above(lines))
    # pre-filled: the first character replaces it
    term.keys("/")
    ok, lines = term.wait(lambda ls: run.last(ls).startswith("Search: subject:" + word))
    t.ok(ok, "/ again: the active query is offered", run.last(lines))
    term.text("x")
    ok, lines = term.wait(lambda ls: run.last(ls).rstrip() == "Search: x")
    t.ok(ok, "the first character typed replaces the offered query", run.last(lines))
    term.keys("Escape")
    time.sleep(0.5)  # ESC then a key at once reads as Alt-key
    term.keys("/")
    term.wait(lambda ls: run.last(ls).startswith("Search: subject:"))
    term.keys("End")
    term.text("y")
    ok, lines = term.wait(lambda ls: run.last(ls).rstrip() == "Search: subject:%sy" % word)
    t.ok(ok, "after an editing key (End) typing appends", run.last(lines))
    term.keys("Escape")
    time.sleep(0.5)
    term.keys("Escape")  # the search off
    time.sleep(0.5)
    ok, lines = term.wait(lambda ls: "match" not in run.above(ls))
    t.ok(ok, "Esc: every message again", run.above(lines))
    return word


def check_folded_count(t, run, srv):
    term = run.term
    # Lists/tern-devel's unread, from the server
    c = srv.imap()
    try:
        typ, data = c.status('"Lists/tern-devel"', "(UNSEEN)")
        unseen = int(re.search(rb"UNSEEN (\d+)", data[0]).group(1))
    finally:
        c.logout()
    t.ok(unseen > 0, "Lists/tern-devel has unread mail (%d)" % unseen)
    # folder pane: INBOX, the five special-use folders, Familie & Freunde, Lists
    term.keys("h", "g")
    term.keys(*(["j"] * 7))
    term.keys("c")
    ok, lines = term.wait(lambda ls: any(re.search(r"\+Lists\s+%d\b" % unseen, l.split("│")[0])
                                         for l in ls))
    t.ok(ok, "a folded Lists shows the %d unread of tern-devel" % unseen,
         "\n".join(l.split("│")[0] for l in lines[:14]))
    term.keys("c")
    term.keys("l")


def check_history(t, env, config, n, word):
    path = os.path.join(env.env["XDG_STATE_HOME"], "tern", "search-history")
    t.ok(os.path.exists(path), "the search history is kept in XDG_STATE_HOME")
    if os.path.exists(path):
        lines = open(path, encoding="utf-8").read().splitlines()
        t.eq(lines[-1:], ["subject:" + word], "the history holds the query searched, newest last")
        t.ok("subject:x frm:y" not in lines, "a query with an error is not kept")
        t.eq(oct(os.stat(path).st_mode & 0o777), oct(0o600), "the history is private (0600)")
    run = Run(env, config)
    try:
        ok, lines = loaded(run, n)
        t.ok(ok, "second run: INBOX loaded", "\n".join(lines))
        run.term.keys("/")
        run.term.wait(lambda ls: run.last(ls).startswith("Search:"))
        run.term.keys("Up")
        ok, lines = run.term.wait(lambda ls: run.last(ls).rstrip() == "Search: subject:" + word)
        t.ok(ok, "second run: Up recalls the last query", run.last(lines))
        run.term.keys("Down")
        ok, lines = run.term.wait(lambda ls: run.last(ls).rstrip() == "Search:")
        t.ok(ok, "Down comes back to the (empty) text typed", run.last(lines))
        run.term.keys("Escape")
        time.sleep(0.5)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    run.quit(t, "second run")


URL = "https://lists.example.org/archives/" + "x" * 70 + "/the-end-of-the-url.html"


def check_narrow(t, srv, env, config, n):
    """56 columns: the list is narrow (under 60 beside the folder pane)."""
    mid = "<long-url@tern.test>"
    raw = base.raw_message(b"Link inside", mid,
                           body=("Read this:\r\n" + URL + "\r\n").encode())
    raw = raw.replace(b"Wed, 31 Dec 2025 12:00:00", b"Mon, 31 Mar 2025 12:00:00")
    base.append(srv, "INBOX", raw)
    n += 1
    run = Run(env, config, width=56, height=24)
    try:
        # the window's size is settled (tmux may start it at its default)
        ok, lines = run.term.wait(lambda ls: "Link inside" in "\n".join(ls) and
                                  run.term.display("#{window_width}") == "56")
        t.ok(ok, "narrow: INBOX loaded", "\n".join(lines))
        rows = [l for l in lines if "Link inside" in l or "Alice" in l or "Bob" in l]
        t.ok(any(re.search(r"\b25-03-31\b", l) for l in lines),
             "narrow: a folder spanning years shows the year (25-03-31)", "\n".join(lines))
        t.ok(any(re.search(r"\b24-01-\d\d\b", l) for l in lines),
             "narrow: and 24-01-.. for the older ones", "\n".join(rows))
        # open it (the newest: first row), then look at the viewer
        run.term.keys("g", "Enter")
        ok, lines = run.term.wait(lambda ls: "Read this:" in "\n".join(ls))
        t.ok(ok, "narrow: the message opens", "\n".join(lines))
        screen = "".join(l.split("\u2502", 1)[1].strip() for l in lines if "\u2502" in l)
        t.ok("the-end-of-the-url.html" in screen,
             "the viewer wraps a long URL: its end is on screen", "\n".join(lines))
        t.ok(URL in screen.replace(" ", ""), "the URL's pieces are whole, in order",
             "\n".join(lines))
        t.ok(not any("https" in l and "\u2026" in l for l in lines),
             "the URL is not cut with an ellipsis", "\n".join(lines))
        run.term.keys("Escape")
        time.sleep(0.5)  # ESC then a key at once reads as Alt-key
        run.term.wait(lambda ls: "Read this:" not in "\n".join(ls))
        run.term.keys("/")
        run.term.text("subject:link")
        run.term.keys("Enter")
        ok, lines = run.term.wait(lambda ls: "1 match" in run.above(ls))
        t.ok(ok, "narrow: the status line keeps the match count", run.above(lines))
        run.term.keys("Escape")
        time.sleep(0.5)
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    run.quit(t, "narrow run")


if __name__ == "__main__":
    ternlib.run(main)

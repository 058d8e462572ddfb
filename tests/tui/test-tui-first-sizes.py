#!/usr/bin/env python3
"""A folder's first screen is fetched without RFC822.SIZE, and the load
brings the sizes after it (issue #17): Dovecot's maildir walks the whole
folder's uidlist to find a message's file for its size (1 s at 1,000,000
messages, per session), while everything else on the first screen comes
from its index and cache.

Against the test Dovecot, an INBOX of 200 messages whose size grows with
their date (the newest is the largest), opened with an empty cache and
--debug:
  - the first summary FETCH after the SELECT asks for no RFC822.SIZE
    (fails before: the first screen waited for the sizes);
  - a later summary FETCH asks for RFC822.SIZE from the top ("N:*"), so
    the first screen's messages get theirs;
  - sorted largest first, the rows are the newest messages, largest
    first (a first screen left without its sizes sorts last);
  - the cache holds every message's size as the server says it
    (`tern --offline list INBOX --json`): nothing cached with size 0;
  - opening the newest message before the sizes are in shows its text;
  - tern quits (q) with status 0 and nothing on stderr."""
import email.utils
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

COUNT = 200
BASE_TIME = 1700000000  # 2023-11-14
SUMMARY_FETCH = re.compile(r"C: \S+ (UID )?FETCH (\S+) \(UID FLAGS INTERNALDATE .*"
                           r"HEADER\.FIELDS \(FROM")


def message(i):
    """Note NNN: its date and its size grow with NNN."""
    head = ("From: Sender %03d <s%d@example.org>\r\nTo: tern@example.org\r\nDate: %s\r\n"
            "Message-ID: <size%d@test>\r\nSubject: Note %03d\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain\r\n\r\n"
            % (i, i, email.utils.formatdate(BASE_TIME + i * 3600), i, i))
    return (head + "Body of note %03d.\r\n" % i + "padding line\r\n" * (i * 4)).encode()


def fill(srv):
    c = srv.imap()
    sizes = {}
    try:
        for i in range(COUNT):
            typ, data = c.append("INBOX", None, None, message(i))
            assert typ == "OK", data
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1:*", "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for item in data:
            if isinstance(item, tuple):
                size = int(re.search(rb"RFC822\.SIZE (\d+)", item[0]).group(1))
                mid = re.search(rb"<size(\d+)@test>", item[1]).group(1)
                sizes["Note %03d" % int(mid)] = size
    finally:
        c.logout()
    return sizes


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    srv = ternlib.start_server(t, folders={"INBOX": 0, "Trash": 0})
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def trace_after_select(log):
    trace = open(log, errors="replace").read() if os.path.exists(log) else ""
    m = re.search(r"C: \S+ SELECT \"?INBOX", trace)
    return trace[m.start():] if m else ""


def check_fetches(t, log):
    done = re.compile(r"S: \* 1 FETCH \(UID 1 ")
    deadline = time.time() + 60
    after = ""
    while time.time() < deadline:
        after = trace_after_select(log)
        if done.search(after):
            break
        time.sleep(0.2)
    t.ok(done.search(after) is not None, "the whole folder was loaded")
    fetches = [l for l in after.splitlines() if SUMMARY_FETCH.search(l)]
    t.ok(len(fetches) >= 2, "%d summary FETCH commands" % len(fetches), "\n".join(fetches))
    if not fetches:
        return
    t.ok("RFC822.SIZE" not in fetches[0], "the first screen's FETCH asks for no size",
         fetches[0])
    sized = [l for l in fetches[1:] if "RFC822.SIZE" in l]
    t.ok(any(SUMMARY_FETCH.search(l).group(2).endswith(":*") for l in sized),
         "a later FETCH asks for the sizes from the top", "\n".join(sized))


def check_size_order(t, term):
    """o until largest first: the rows are the newest notes, largest first."""
    for _ in range(6):
        ok, lines = term.wait_text("largest first", timeout=1)
        if ok:
            break
        term.keys("o")
    t.ok(ok, "the list is sorted largest first", "\n".join(lines))
    want = ["Note %03d" % i for i in range(COUNT - 1, COUNT - 6, -1)]
    ok, lines = term.wait(lambda ls: [s for r in ls[:8] for s in want if s in r] == want)
    t.ok(ok, "largest first: %s" % ", ".join(want), "\n".join(lines))


def run_tests(t, srv, env):
    sizes = fill(srv)
    t.eq(len(sizes), COUNT, "the server holds %d notes" % COUNT)
    config = srv.tern_config(env.config)
    log = os.path.join(env.dir, "cache", "tern", "tern.log")
    run = base.Run(env, config, "--debug")
    term = run.term
    try:
        ok, lines = term.wait_text("Note %03d" % (COUNT - 1))
        t.ok(ok, "the first screen shows the newest note", "\n".join(lines))
        # opened at once: its size may not be known yet, its text shows
        term.keys("Enter")
        ok, lines = term.wait_text("Body of note %03d." % (COUNT - 1))
        t.ok(ok, "the newest note opens", "\n".join(lines))
        term.keys("q")
        ok, lines = term.wait_text(base.count_label(COUNT))
        t.ok(ok, "the folder counts %d messages" % COUNT, "\n".join(lines))
        check_fetches(t, log)
        check_size_order(t, term)
    except BaseException:
        t.diag("screen:\n" + "\n".join(term.screen()))
        raise
    finally:
        run.quit(t, "first sizes")
    r = env.tern("--offline", "list", "INBOX", "--json")
    t.ok(r.returncode == 0, "tern --offline list INBOX --json",
         r.stderr.decode(errors="replace"))
    try:
        listed = {m["subject"]: m["size"] for m in json.loads(r.stdout.decode())}
    except ValueError:
        listed = {}
    wrong = ["%s: %s, server %d" % (s, listed.get(s), n) for s, n in sorted(sizes.items())
             if listed.get(s) != n]
    t.ok(len(listed) == COUNT and not wrong,
         "the cache holds every message with the server's size (%d listed)" % len(listed),
         "\n".join(wrong[:10]))


if __name__ == "__main__":
    ternlib.run(main)

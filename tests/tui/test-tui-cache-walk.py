#!/usr/bin/env python3
"""The interface's whole folder from the cache, read on a worker thread
(ui/tui/cache.c): a folder of 6,000 messages (the first screen, then three
batches from the worker) opened from a cache filled by `tern list`.

Covers: a message the server marks unread while the rows still come in
(an IDLE FETCH for a row the worker read before the change) stays unread
when its stale cached row arrives later; --offline with a queued flag change
and a queued move on messages deep in the folder shows the counts the
command line's `--offline list` gives (the journal laid over the worker's
rows); q while the rows still come in quits cleanly, and so does leaving
the folder for another and coming back (the worker stopped, its batches
freed: nothing on stderr under the sanitizers). TERN_TEST_WALK_DELAY_MS
holds each batch so that the load lasts seconds."""
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

_spec = importlib.util.spec_from_file_location("tui_cache",
                                               os.path.join(HERE, "test-tui-cache.py"))
cache = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cache)

FOLDER = "Big"
COUNT = 6000
WAIT = 120  # the whole load, batches held, under the sanitizers


def label(n):
    return "{:,} message{}".format(n, "" if n == 1 else "s")


def counts(status):
    """(messages, unread) the status line shows, or None."""
    m = re.search(r"([\d,]+) messages?(?:, ([\d,]+) unread)?", status)
    if m is None:
        return None
    return int(m.group(1).replace(",", "")), int((m.group(2) or "0").replace(",", ""))


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    srv = ternlib.start_server(t, folders={"INBOX": 1, FOLDER: COUNT, "Other": 1})
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def cached_list(env, config, *args):
    r = env.tern("-c", config, *args, "list", FOLDER, "--json", timeout=300)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else r.stderr)


def unread_of(rows):
    return sum(1 for r in rows if "\\Seen" not in r.get("flags", []))


def open_big(run, online=False):
    """J Big (once INBOX is shown, connected when online): the folder
    opens on its first screen from the cache."""
    def ready(ls):
        status = run.status_line(ls)
        return counts(status) is not None and (not online or all(
            w not in status for w in ("Connecting", "Opening", "Loading")))
    ok, lines = run.term.wait(ready, timeout=WAIT)
    if not ok:
        raise RuntimeError("INBOX not shown:\n" + "\n".join(lines))
    run.term.keys("J")
    run.term.text(FOLDER)
    run.term.keys("Enter")


def run_tests(t, srv, env):
    config = srv.tern_config(env.config)
    rc, rows = cached_list(env, config)
    t.ok(rc == 0 and len(rows) == COUNT, "tern list fills the cache with %d rows" % COUNT,
         repr(rows)[:300])
    check_server_change(t, srv, env, config, rows)
    check_offline_queue(t, env, config)
    check_quit_mid_load(t, env, config)
    check_switch_mid_load(t, env, config)


def run_delayed(env, config, args, delay_ms):
    env.env["TERN_TEST_WALK_DELAY_MS"] = str(delay_ms)
    try:
        return cache.Run(env, config, args)
    finally:
        del env.env["TERN_TEST_WALK_DELAY_MS"]


def check_server_change(t, srv, env, config, rows):
    """Another client marks the oldest read message unread while the
    worker's rows still come (its row is in the last batch, read before
    the change): the stale row must not undo it."""
    unread = [r for r in rows if "\\Seen" not in r.get("flags", [])]
    seen = [r["uid"] for r in rows if "\\Seen" in r.get("flags", [])]
    t.ok(len(unread) > 1 and seen and min(seen) < 1000,
         "the folder has unread messages, and read ones among its oldest", len(unread))
    target = min(seen)
    want = (COUNT, len(unread) + 1)
    run = run_delayed(env, config, "", 3000)
    with run.checked(t, "server change"):
        open_big(run, online=True)
        # selected (the resync done) while the rows still come
        ok, lines = run.term.wait(lambda ls: "Opening" not in run.status_line(ls) and
                                  "Connecting" not in run.status_line(ls) and
                                  0 < (showing(run, ls, FOLDER) or (0,))[0] < COUNT - 1000,
                                  timeout=WAIT)
        t.ok(ok, "server change: %s is selected while its cached rows still come" % FOLDER,
             "\n".join(lines))
        c = srv.imap()
        try:
            c.select(FOLDER)
            typ, _ = c.uid("STORE", str(target), "-FLAGS", "(\\Seen)")
            t.eq(typ, "OK", "server change: another client marks UID %d unread" % target)
        finally:
            c.logout()
        shown = counts(run.status_line(run.term.screen()))
        t.ok(shown is not None and shown[0] < COUNT - 1000,
             "server change: the change came before the last batch", repr(shown))
        ok, lines = run.term.wait(lambda ls: showing(run, ls, FOLDER) == want, timeout=WAIT)
        t.ok(ok, "server change: %s, %d unread once every row is in (the stale row did not "
             "undo the change)" % (label(COUNT), want[1]), run.status_line(lines))
        time.sleep(1)
        t.eq(counts(run.status_line(run.term.screen())), want,
             "server change: and it stays so")


def check_offline_queue(t, env, config):
    """A flag change and a move queued on messages deep in the folder (read
    by the worker, not on the first screen) show over the cached rows."""
    rc, rows = cached_list(env, config, "--offline")
    t.eq(rc, 0, "offline queue: --offline list reads the cache")
    uids = sorted(r["uid"] for r in rows)
    unread = sorted(r["uid"] for r in rows if "\\Seen" not in r.get("flags", []))
    seen_me = unread[:10]
    move_me = [u for u in uids if u not in seen_me][:5]
    r = env.tern("-c", config, "--offline", "flag", FOLDER, ",".join(map(str, seen_me)),
                 "+seen")
    t.ok(b"queued" in r.stderr + r.stdout, "offline queue: the flag change is queued",
         r.stderr)
    r = env.tern("-c", config, "--offline", "move", FOLDER, ",".join(map(str, move_me)),
                 "Other")
    t.ok(b"queued" in r.stderr + r.stdout, "offline queue: the move is queued", r.stderr)
    rc, after = cached_list(env, config, "--offline")
    want = (len(after), unread_of(after))
    t.eq(want, (COUNT - 5, unread_of(rows) - len(seen_me) -
                sum(1 for u in move_me if u in unread)),
         "offline queue: --offline list shows both")
    run = run_delayed(env, config, "--offline", 0)
    with run.checked(t, "offline queue"):
        open_big(run)
        ok, lines = run.term.wait(lambda ls: showing(run, ls, FOLDER) == want and
                                  "2 changes queued" in run.status_line(ls), timeout=WAIT)
        t.ok(ok, "offline queue: the interface shows %s, %d unread, as list does" % (
            label(want[0]), want[1]), run.status_line(lines))


def showing(run, ls, folder):
    """The status line is the folder's: its count, or None."""
    status = run.status_line(ls)
    return counts(status) if re.search(r"\b%s\s" % folder, status) else None


def partial(run):
    """Big shows some of its rows, not all yet."""
    def pred(ls):
        c = showing(run, ls, FOLDER)
        return c is not None and 0 < c[0] < COUNT - 5
    return pred


def check_quit_mid_load(t, env, config):
    run = run_delayed(env, config, "--offline", 5000)
    with run.checked(t, "quit mid-load"):
        open_big(run)
        ok, lines = run.term.wait(partial(run), timeout=WAIT)
        t.ok(ok, "quit mid-load: the first rows show", "\n".join(lines))
        t0 = time.monotonic()
    t.ok(time.monotonic() - t0 < 5, "quit mid-load: tern did not wait for the held batch",
         time.monotonic() - t0)


def check_switch_mid_load(t, env, config):
    run = run_delayed(env, config, "--offline", 2000)
    with run.checked(t, "switch mid-load"):
        open_big(run)
        ok, lines = run.term.wait(partial(run), timeout=WAIT)
        t.ok(ok, "switch mid-load: the first rows show", "\n".join(lines))
        run.term.keys("J")
        run.term.text("INBOX")
        run.term.keys("Enter")
        ok, lines = run.term.wait(lambda ls: (showing(run, ls, "INBOX") or (0,))[0] == 1,
                                  timeout=WAIT)
        t.ok(ok, "switch mid-load: INBOX opens while Big was loading",
             run.status_line(lines))
        open_big(run)
        ok, lines = run.term.wait(lambda ls: (showing(run, ls, FOLDER) or (0,))[0] ==
                                  COUNT - 5, timeout=WAIT)
        t.ok(ok, "switch mid-load: back in Big, every row comes", run.status_line(lines))


if __name__ == "__main__":
    ternlib.run(main)

#!/usr/bin/env python3
"""Everyday triage keys, in tmux against the test Dovecot at 80x24.

Covers: the list has every row until a message is opened, the viewer takes
its share when one is, and closing it gives the rows back; Z zooms the
focused pane; layout = full (an open message replaces the list); Space at
the end of a message opens the next one, J and K go to the next and
previous message in the viewer; T tags every message a search shows, C-t
untags them, Esc on a list with tags asks before dropping them; Esc closes
an open message; confirm_quit asks before q quits; [keys viewer] binds a
key in the viewer only."""
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
races = _load("tui_races", "test-tui-races.py")

W, H = 80, 24
FOLDER = "Lists/tern-devel"  # 141 messages: more than a screenful


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


class Run(races.Run):
    """A run at 80x24 in FOLDER (opened with the folder pane)."""

    def __init__(self, env, config, srv):
        # make check exports COLUMNS: curses would draw 100 columns in 80
        env.env.pop("COLUMNS", None)
        env.env.pop("LINES", None)
        super().__init__(env, config)
        base.HEIGHT_NOW[0] = H
        self.term.run("resize-window", "-x", str(W), "-y", str(H))
        ok, lines = self.term.wait(lambda ls: len(ls) > H - 2 and "messages" in ls[H - 2],
                                   timeout=2 * races.WAIT)
        if not ok:
            raise RuntimeError("tern did not start:\n" + "\n".join(lines))
        time.sleep(1)

    def open_folder(self, path, n):
        # h: folder pane; g top; walk down to the folder by name
        self.term.keys("h", "g")
        for _ in range(40):
            lines = self.term.screen()
            row = next((i for i, l in enumerate(lines[:H - 2])
                        if l.split("│")[0].strip().startswith(path.split("/")[-1])), None)
            if row is not None:
                break
            self.term.keys("j")
            time.sleep(0.05)
        # select that row exactly
        self.term.keys("g")
        for _ in range(row):
            self.term.keys("j")
        self.term.keys("Enter")
        return self.term.wait(lambda ls: path in ls[H - 2] and "messages" in ls[H - 2] and
                              list_row_count(ls) > 0)

    def quit_ok(self, t, what):
        self.term.keys("q")
        time.sleep(0.3)
        self.term.keys("q")
        t.eq(self.exit_code(), "0", "%s: quits with status 0" % what)
        t.eq(self.err(), "", "%s: nothing on stderr" % what)


def list_row_count(lines):
    """Rows of the list drawn (a date column) above the status bar."""
    return sum(1 for l in lines[:H - 2] if base.ROW.match(l.split("│", 1)[-1]) is not None)


def first_row_flagged(lines):
    row = lines[0].split("│", 1)[-1]
    return len(row) > 2 and row[2] == "F"


def separator_rows(lines):
    return [i for i, l in enumerate(lines[:H - 2]) if "──────" in l]


def viewer_subject(lines):
    return races.viewer_subject(lines)


def message_line(lines):
    return lines[H - 1] if len(lines) >= H else ""


def run_tests(t, srv, env):
    config = srv.tern_config(env.config, tls="none")
    n = len(srv.mailbox[FOLDER])
    run = Run(env, config, srv)
    try:
        ok, lines = run.open_folder(FOLDER, n)
        t.ok(ok, "opened %s (%d messages)" % (FOLDER, n), "\n".join(lines))
        check_rows(t, run)
        check_reading(t, run, srv)
        check_zoom(t, run)
        check_tags(t, run)
        run.quit_ok(t, "keys")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()
    check_full_layout(t, srv, env, n)
    check_confirm_quit_and_context_keys(t, srv, env)


def check_rows(t, run):
    lines = run.term.screen()
    t.eq(list_row_count(lines), H - 2, "80x24: the list has all %d rows before a message is "
         "opened" % (H - 2))
    t.eq(separator_rows(lines), [], "80x24: no viewer before a message is opened")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: viewer_subject(ls) is not None)
    t.ok(ok, "Enter opens the message", "\n".join(lines))
    t.eq(separator_rows(lines), [8], "80x24: the viewer below the list (title bar on row 8)")
    t.eq(list_row_count(lines), 8, "80x24: the list keeps 8 rows while a message is open")
    run.term.keys("q")
    ok, lines = run.term.wait(lambda ls: list_row_count(ls) == H - 2)
    t.ok(ok, "q closes the message: the list has its rows back", "\n".join(lines))
    run.term.keys("Enter")
    run.term.wait(lambda ls: viewer_subject(ls) is not None)
    run.term.keys("Tab", "Tab")  # the focus back on the list (through the folders)
    time.sleep(0.2)
    run.term.keys("Escape")
    ok, lines = run.term.wait(lambda ls: list_row_count(ls) == H - 2)
    t.ok(ok, "Esc in the list closes the open message", "\n".join(lines))


def check_reading(t, run, srv):
    run.term.keys("g", "Enter")
    ok, lines = run.term.wait(lambda ls: viewer_subject(ls) is not None)
    first = viewer_subject(lines)
    # Space pages down; at the end it opens the next message
    for _ in range(30):
        run.term.keys("Space")
        time.sleep(0.15)
        s = viewer_subject(run.term.screen())
        if s is not None and s != first:
            break
    lines = run.term.screen()
    second = viewer_subject(lines)
    t.ok(second is not None and second != first,
         "Space at the end of a message opens the next one", "%r -> %r" % (first, second))
    run.term.keys("J")
    ok, lines = run.term.wait(lambda ls: viewer_subject(ls) not in (None, first, second))
    third = viewer_subject(lines)
    t.ok(ok, "J in the viewer opens the next message", "%r" % third)
    run.term.keys("K")
    ok, lines = run.term.wait(lambda ls: viewer_subject(ls) == second)
    t.ok(ok, "K in the viewer opens the previous message", "%r" % viewer_subject(lines))
    run.term.keys("q")


def check_zoom(t, run):
    run.term.keys("g", "Enter")
    run.term.wait(lambda ls: viewer_subject(ls) is not None)
    run.term.keys("Z")
    ok, lines = run.term.wait(lambda ls: list_row_count(ls) == 0 and
                              not any("│" in l for l in ls[:H - 2]))
    t.ok(ok, "Z in the viewer: the message has the whole screen (no list, no folders)",
         "\n".join(lines))
    run.term.keys("Z")
    ok, lines = run.term.wait(lambda ls: list_row_count(ls) == 8)
    t.ok(ok, "Z again: the list and the viewer are back", "\n".join(lines))
    run.term.keys("q")
    run.term.wait(lambda ls: list_row_count(ls) == H - 2)


def check_tags(t, run):
    run.term.keys("/")
    run.term.text("subject:patch")
    run.term.keys("Enter")
    ok, lines = run.term.wait(lambda ls: "match" in ls[H - 2])
    shown = list_row_count(lines)
    t.ok(ok and 0 < shown, "a search shows some messages", "\n".join(lines))
    run.term.keys("T")
    ok, lines = run.term.wait(lambda ls: "Tagged" in message_line(ls))
    t.ok(ok, "T tags every message shown", message_line(lines))
    tagged = sum(1 for l in lines[:H - 2] if "│*" in l)
    t.eq(tagged, shown, "every row shown carries the tag mark")
    run.term.keys("C-t")
    ok, lines = run.term.wait(lambda ls: "Untagged" in message_line(ls) and
                              not any("│*" in l for l in ls[:H - 2]))
    t.ok(ok, "C-t untags every message", message_line(lines))
    run.term.keys("T")
    time.sleep(0.3)
    run.term.keys("Escape")  # first Esc: the search goes
    time.sleep(0.3)
    run.term.keys("Escape")  # then: drop the tags? asks
    ok, lines = run.term.wait(lambda ls: "Drop the tags" in message_line(ls))
    t.ok(ok, "Esc on a list with tags asks before dropping them", message_line(lines))
    run.term.keys("y")
    ok, lines = run.term.wait(lambda ls: not any("│*" in l for l in ls[:H - 2]))
    t.ok(ok, "y drops them", "\n".join(lines))


def check_full_layout(t, srv, env, n):
    cfg = os.path.join(env.dir, "config-full")
    srv.tern_config(cfg, tls="none", extra="\n[ui]\nlayout = full\n")
    run = Run(env, cfg, srv)
    try:
        run.term.keys("Enter")
        ok, lines = run.term.wait(lambda ls: viewer_subject(ls) is not None)
        t.ok(ok and list_row_count(lines) == 0,
             "layout = full: the open message replaces the list", "\n".join(lines))
        run.term.keys("q")
        ok, lines = run.term.wait(lambda ls: list_row_count(ls) > 0 and
                                  viewer_subject(ls) is None)
        t.ok(ok, "layout = full: q gives the list back", "\n".join(lines))
        run.quit_ok(t, "layout = full")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_confirm_quit_and_context_keys(t, srv, env):
    cfg = os.path.join(env.dir, "config-confirm")
    srv.tern_config(cfg, tls="none",
                    extra="\n[ui]\nconfirm_quit = true\n\n[keys viewer]\nflag = x\n")
    run = Run(env, cfg, srv)
    try:
        run.term.keys("x")
        ok, lines = run.term.wait(lambda ls: "no action" in message_line(ls))
        t.ok(ok, "[keys viewer]: x does nothing in the list", message_line(lines))
        flagged = first_row_flagged(run.term.screen())
        run.term.keys("g", "Enter")
        run.term.wait(lambda ls: viewer_subject(ls) is not None)
        run.term.keys("x")
        ok, lines = run.term.wait(lambda ls: first_row_flagged(ls) != flagged)
        t.ok(ok, "[keys viewer]: x toggles the flag in the viewer", "\n".join(lines[:9]))
        run.term.keys("q")  # close the message
        time.sleep(0.3)
        run.term.keys("q")
        ok, lines = run.term.wait(lambda ls: "Quit tern?" in message_line(ls))
        t.ok(ok, "confirm_quit: q on the list asks", message_line(lines))
        run.term.keys("n")
        time.sleep(0.5)
        t.ok(not os.path.exists(run.status), "confirm_quit: n keeps tern running")
        run.term.keys("q")
        run.term.wait(lambda ls: "Quit tern?" in message_line(ls))
        run.term.keys("y")
        t.eq(run.exit_code(), "0", "confirm_quit: y quits with status 0")
        t.eq(run.err(), "", "confirm_quit: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


if __name__ == "__main__":
    ternlib.run(main)

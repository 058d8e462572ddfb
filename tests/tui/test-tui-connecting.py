#!/usr/bin/env python3
"""A folder opened from the cache while the status line says "Connecting
to HOST", in tmux against the test Dovecot.

tern shows the cached folder at once and connects behind it. A link that
stalls (ternlib's Proxy in "stall" mode, released by the test) holds the
connection in "Connecting" for as long as the keys below take, so they
all land inside that window. Once the link is released:

  - J (go to a folder) to another cached folder, and Enter on a folder in
    the folder pane: the status line leaves "Connecting", the folder shown
    is the one chosen, and its messages are the server's (one appended
    between the runs comes, the count is the server's);
  - a flag changed on cached mail while connecting reaches the server,
    even though another folder was opened after it and before the
    connection was up;
  - J while that queued change is being sent (the link stalls at the
    replay's SELECT): the same, the folder chosen opens after it;
  - Enter, J and K in the viewer (next and previous message) while
    connecting: the message K came back to opens from the server;
  - J, and then the login is refused: the refusal is shown (press $)
    and the status line says offline;
  - tern quits cleanly each time (exit 0, nothing on stderr).

Before the fix the folder switch made the connection's own answer stale
(one generation counter for the folder and the connection), so the status
line said "Connecting" for good, the folder was never selected and the
queued flag never sent."""
import contextlib
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

Run = base.Run
CONNECTING = "Connecting to"
# Zeta sorts last in the folder pane: G selects it.
FOLDERS = {"INBOX": 3, "Other": 4, "Zeta": 2}
LONG = 90  # seconds: the sanitizer build on a loaded machine


def main(t):
    base.main_behind_proxy(t, run_tests, folders=dict(FOLDERS))


def status(run, lines):
    return run.status_line(lines)


def shows(run, folder, n):
    """The status line names folder with n messages."""
    want = ": %s  %s" % (folder, base.count_label(n))
    return lambda ls: want in status(run, ls)


def goto(run, folder):
    """J: the go-to-folder prompt, the name, Enter."""
    run.term.keys("J")
    ok, _ = run.term.wait_text("Go to folder:")
    run.term.text(folder)
    run.term.keys("Enter")
    return ok


def fill_cache(t, run):
    """The first start, online: every folder is opened once, so each is
    cached."""
    ok, lines = run.term.wait(shows(run, "INBOX", FOLDERS["INBOX"]))
    t.ok(ok, "first start: INBOX comes from the server", "\n".join(lines))
    # the folder list comes after INBOX's first screen: J needs it
    ok, lines = run.term.wait(lambda ls: any(l.lstrip().startswith("Zeta") for l in ls))
    t.ok(ok, "first start: the folder pane lists the folders", "\n".join(lines))
    for name in ("Other", "Zeta"):
        goto(run, name)
        ok, lines = run.term.wait(shows(run, name, FOLDERS[name]))
        t.ok(ok, "first start: %s opens and is cached" % name, "\n".join(lines))
    ok, lines = run.term.wait(lambda ls: CONNECTING not in status(run, ls))
    t.ok(ok, "first start: the status line is not left on Connecting", status(run, lines))


@contextlib.contextmanager
def stalled(t, env, config, proxy, what):
    """tern on a stalled link: the cached INBOX is shown while the status
    line says Connecting. However the checks end, the link is let go
    before tern is quit."""
    proxy.mode = "stall"
    run = Run(env, config)
    with run.checked(t, what):
        try:
            ok, lines = run.term.wait(lambda ls: CONNECTING in status(run, ls) and
                                      shows(run, "INBOX", FOLDERS["INBOX"])(ls),
                                      timeout=LONG)
            t.ok(ok, "%s: the cached INBOX is shown while connecting" % what,
                 "\n".join(lines))
            yield run
        finally:
            proxy.mode = "up"


def connected_on(t, run, proxy, folder, n, subject, what):
    """Release the link; the status line must leave Connecting and show
    folder with the server's n messages, subject among them."""
    ok, lines = run.term.wait(shows(run, folder, n - 1))
    t.ok(ok and CONNECTING in status(run, lines),
         "%s: %s is shown from the cache while still connecting" % (what, folder),
         status(run, lines))
    proxy.mode = "up"
    ok, lines = run.term.wait(lambda ls: CONNECTING not in status(run, ls), timeout=LONG)
    t.ok(ok, "%s: the status line leaves Connecting once connected" % what,
         status(run, lines))
    ok, lines = run.term.wait(lambda ls: shows(run, folder, n)(ls) and
                              any(subject in l for l in ls), timeout=LONG)
    t.ok(ok, "%s: %s is shown with the server's %d messages (the new one too)"
         % (what, folder, n), "\n".join(lines))
    ok, lines = run.term.wait(lambda ls: not any(w in status(run, ls) for w in
                                                  (CONNECTING, "Opening", "Loading")),
                              timeout=LONG)
    t.ok(ok, "%s: nothing is left running in the status line" % what, status(run, lines))


def check_goto(t, srv, env, config, proxy, inbox):
    """J to a cached folder while connecting, after a flag change on the
    cached INBOX."""
    what = "J while connecting"
    subject = "Arrived while tern was away (Other)"
    base.append(srv, "Other", base.raw_message(subject.encode(), "<away-other@example.org>"))
    with stalled(t, env, config, proxy, what) as run:
        newest = inbox[0]
        before = "\\Flagged" in base.server_flags(srv, "INBOX", newest.message_id)
        run.term.keys("s")  # flag the newest (selected) cached message
        ok, lines = run.term.wait_text("queued")
        t.ok(ok and CONNECTING in status(run, lines),
             "%s: a flag changed while connecting is queued" % what, "\n".join(lines))
        t.ok(goto(run, "Other"), "%s: J asks for a folder" % what)
        connected_on(t, run, proxy, "Other", FOLDERS["Other"] + 1, subject, what)
        t.ok(flag_reached(srv, newest, before),
             "%s: the flag changed while connecting reached the server" % what)


def flag_reached(srv, msg, before):
    """Waits until INBOX's msg is \\Flagged on the server if before it was not,
    or not if it was; whether it came to that."""
    return base.wait_server(lambda: ("\\Flagged" in (base.server_flags(
        srv, "INBOX", msg.message_id) or set())) != before, timeout=LONG)


def check_pane(t, srv, env, config, proxy):
    """Enter on a folder of the folder pane while connecting."""
    what = "folder pane Enter while connecting"
    subject = "Arrived while tern was away (Zeta)"
    base.append(srv, "Zeta", base.raw_message(subject.encode(), "<away-zeta@example.org>"))
    with stalled(t, env, config, proxy, what) as run:
        run.term.keys("h")
        time.sleep(0.3)
        run.term.keys("G")
        time.sleep(0.3)
        run.term.keys("Enter")
        connected_on(t, run, proxy, "Zeta", FOLDERS["Zeta"] + 1, subject, what)


def check_replay(t, srv, env, proxy, inbox):
    """J while the journal's changes are being sent (the connection is
    made, the folder not opened yet): the link stalls at the replay's
    SELECT (plain IMAP, so the proxy sees it), J opens another folder,
    the link goes on."""
    what = "J while the queued changes are sent"
    config = srv.tern_config(os.path.join(env.dir, "config-plain"), tls="none",
                             port=proxy.port, timeout=LONG)
    subject = "News during the replay"
    base.append(srv, "Other", base.raw_message(subject.encode(), "<replay-other@example.org>"))
    with stalled(t, env, config, proxy, what) as run:
        second = inbox[1]
        before = "\\Flagged" in base.server_flags(srv, "INBOX", second.message_id)
        run.term.keys("j", "s")  # flag the second cached message: queued
        ok, lines = run.term.wait_text("queued")
        t.ok(ok, "%s: a flag changed while connecting is queued" % what, "\n".join(lines))
        proxy.mode = "stall-select"  # the connection is made; the replay's SELECT waits
        ok, lines = run.term.wait_text("Sending 1 queued change", timeout=LONG)
        t.ok(ok and CONNECTING in status(run, lines),
             "%s: the queued change is being sent" % what, "\n".join(lines))
        t.ok(goto(run, "Other"), "%s: J asks for a folder" % what)
        connected_on(t, run, proxy, "Other", FOLDERS["Other"] + 2, subject, what)
        t.ok(flag_reached(srv, second, before), "%s: the queued flag reached the server" % what)


def check_viewer(t, srv, env, config, proxy, inbox):
    """Enter on a cached message, then J and K (next and previous
    message in the viewer) while connecting: once connected the viewer
    shows the message K came back to, fetched from the server."""
    what = "viewer J/K while connecting"
    with stalled(t, env, config, proxy, what) as run:
        try:
            first = inbox[0]
            run.term.keys("Enter")
            time.sleep(0.3)
            run.term.keys("J")
            time.sleep(0.3)
            run.term.keys("K")
            time.sleep(0.3)
            ok, lines = run.term.wait(lambda ls: CONNECTING in status(run, ls))
            t.ok(ok, "%s: the keys were pressed while connecting" % what, status(run, lines))
            proxy.mode = "up"
            body = first.body.split("\n")[2][:30]
            ok, lines = run.term.wait_text(body, timeout=LONG)
            t.ok(ok, "%s: the message K came back to opens from the server" % what,
                 "\n".join(lines))
            ok, lines = run.term.wait(lambda ls: not any(w in status(run, ls) for w in
                                                          (CONNECTING, "Opening", "Fetching")),
                                      timeout=LONG)
            t.ok(ok, "%s: the status line leaves Connecting" % what, status(run, lines))
        finally:
            run.term.keys("q")  # the viewer; Run.quit() then quits
            time.sleep(0.3)


def check_refused(t, srv, env, config, proxy):
    """J while connecting, and then the login is refused: the refusal is
    shown (press $) and the status line says offline, not Connecting."""
    what = "J while a refused login is made"
    bad = base.wrong_password_config(srv, env, config)
    with stalled(t, env, bad, proxy, what) as run:
        t.ok(goto(run, "Other"), "%s: J asks for a folder" % what)
        ok, lines = run.term.wait(lambda ls: CONNECTING in status(run, ls) and
                                  ": Other  " in status(run, ls))
        t.ok(ok, "%s: Other is shown from the cache while connecting" % what,
             status(run, lines))
        proxy.mode = "up"
        ok, lines = run.term.wait(lambda ls: "press $ to try again" in ls[-1] and
                                  "offline" in status(run, ls), timeout=LONG)
        t.ok(ok, "%s: the refusal is shown and the status line says offline" % what,
             "\n".join(lines))
        t.ok(CONNECTING not in status(run, lines), "%s: not Connecting" % what,
             status(run, lines))


def run_tests(t, srv, env, proxy):
    config = srv.tern_config(env.config, port=proxy.port, timeout=LONG)
    inbox = base.newest_first(list(srv.mailbox["INBOX"]))
    run = Run(env, config)
    with run.checked(t, "first start"):
        fill_cache(t, run)
    check_goto(t, srv, env, config, proxy, inbox)
    check_pane(t, srv, env, config, proxy)
    check_replay(t, srv, env, proxy, inbox)
    check_viewer(t, srv, env, config, proxy, inbox)
    check_refused(t, srv, env, config, proxy)


if __name__ == "__main__":
    ternlib.run(main)

#!/usr/bin/env python3
"""Races between a key press and the server's answer, in tmux against the
test Dovecot behind a proxy (tls = none, so the proxy sees the commands).

Covers: a flag change typed with q in the same read, over a slow link,
reaches the server before tern exits; a change whose answer never comes is
given the timeout (the status line says so), then stays in the journal and
the next command that connects sends it; the same after tern is killed
(SIGKILL) while the answer is outstanding; undoing a move while keys are
typed (j Enter) never shows or caches another folder's message under this
folder's UID; undo of a tagged change gives each message its own flags
back (checked from a second connection); two moves taken back with z z,
newest first, each said on the message line."""
import importlib.util
import os
import signal
import subprocess
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


class Run:
    """One tern in tmux; exit status and stderr in files."""
    n = 0

    def __init__(self, env, config):
        Run.n += 1
        self.stderr = os.path.join(env.dir, "stderr-%d" % Run.n)
        self.status = os.path.join(env.dir, "status-%d" % Run.n)
        self.config = config
        envs = " ".join("%s=%s" % (k, q(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TZ", "LANG",
                                  "LC_ALL") if k in env.env)
        asan = "ASAN_OPTIONS=%s" % q(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        cmd = ("env %s %s TERM=screen %s -c %s 2>%s; echo $? > %s; sleep 600"
               % (envs, asan, q(ternlib.TERN), q(config), q(self.stderr), q(self.status)))
        self.term = base.Term(cmd, dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8"))

    def status_line(self, lines):
        return lines[base.HEIGHT - 2]

    def exit_code(self, timeout=WAIT):
        deadline = time.time() + timeout
        while time.time() < deadline and not os.path.exists(self.status):
            time.sleep(0.05)
        time.sleep(0.1)
        return open(self.status).read().strip() if os.path.exists(self.status) else "running"

    def err(self):
        return open(self.stderr, errors="replace").read() if os.path.exists(self.stderr) else ""

    def pid(self):
        out = subprocess.run(["pgrep", "-f", "-n", "-x", ".*tern -c %s" % self.config],
                             capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else None

    def kill(self):
        self.term.kill()


def main(t):
    base.main_behind_proxy(t, run_tests)


def flags_of(srv, folder, mid):
    return base.server_flags(srv, folder, mid) or set()


def wait_loaded(run, n):
    label = base.count_label(n)
    return run.term.wait(lambda ls: label in run.status_line(ls))


def newest(srv, folder="INBOX"):
    return base.newest_first(list(srv.mailbox[folder]))


def run_tests(t, srv, env, proxy):
    config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=3)
    direct = srv.tern_config(os.path.join(env.dir, "direct"), tls="none")
    inbox = newest(srv)
    n = len(inbox)
    # rows (newest first) whose message is not flagged yet
    rows = [i for i, m in enumerate(inbox)
            if "\\Flagged" not in flags_of(srv, "INBOX", m.message_id)]
    t.ok(len(rows) >= 3, "three unflagged messages to flag", repr(rows))
    check_flag_then_quit(t, srv, env, proxy, config, inbox, rows[0], n)
    check_answer_never_comes(t, srv, env, proxy, config, direct, inbox, rows[1], n)
    check_killed(t, srv, env, proxy, config, direct, inbox, rows[2], n)
    check_undo_move_race(t, srv, env, proxy, config, n)
    check_undo_in_flight(t, srv, env, proxy, config)
    check_undo_tagged(t, srv, env, direct)
    check_undo_twice(t, srv, env, direct)


def check_flag_then_quit(t, srv, env, proxy, config, inbox, row, n):
    """s and q in one read, over a link with 150 ms each way."""
    m = inbox[row]
    t.ok("\\Flagged" not in flags_of(srv, "INBOX", m.message_id), "s q: not flagged before")
    run = Run(env, config)
    try:
        ok, lines = wait_loaded(run, n)
        t.ok(ok, "s q: INBOX loaded", "\n".join(lines))
        time.sleep(1)  # IDLE is running
        for _ in range(row):
            run.term.keys("j")
        time.sleep(0.3)
        proxy.delay = 0.15
        run.term.keys("s", "q")
        code = run.exit_code()
        t.eq(code, "0", "s q: tern exits with status 0")
        t.eq(run.err(), "", "s q: nothing on stderr")
    finally:
        proxy.delay = 0
        run.kill()
    t.ok("\\Flagged" in flags_of(srv, "INBOX", m.message_id),
         "s q: the flag reached the server before tern exited")


def flag_held(t, run, proxy, n, row, what):
    """INBOX loaded and selected, then s on row with the proxy holding every
    STORE (the answer never comes)."""
    ok, lines = wait_loaded(run, n)
    t.ok(ok, "%s: INBOX loaded" % what, "\n".join(lines))
    time.sleep(1)
    for _ in range(row):
        run.term.keys("j")
    time.sleep(0.3)
    proxy.mode = "hold-store"
    run.term.keys("s")


def check_answer_never_comes(t, srv, env, proxy, config, direct, inbox, row, n):
    m = inbox[row]
    t.ok("\\Flagged" not in flags_of(srv, "INBOX", m.message_id), "held: not flagged before")
    run = Run(env, config)
    try:
        flag_held(t, run, proxy, n, row, "held")
        time.sleep(0.5)
        run.term.keys("q")
        ok, lines = run.term.wait(lambda ls: any("before quitting" in l for l in ls[-2:]))
        t.ok(ok, "held: the status line says a change is being sent before quitting",
             "\n".join(lines))
        started = time.time()
        code = run.exit_code(timeout=WAIT + 10)
        t.eq(code, "0", "held: tern quits with status 0 after the timeout")
        t.diag("quit %.1f s after q (timeout = 3)" % (time.time() - started))
        t.eq(run.err(), "", "held: nothing on stderr")
    finally:
        proxy.mode = "up"
        run.kill()
    t.ok("\\Flagged" not in flags_of(srv, "INBOX", m.message_id),
         "held: the STORE never reached the server")
    r = env.tern("-c", direct, "list", "INBOX", "--limit", "1")
    t.eq(r.returncode, 0, "held: the next command connects (exit 0)")
    t.ok("\\Flagged" in flags_of(srv, "INBOX", m.message_id),
         "held: the next command sent the queued change", r.stderr.decode(errors="replace"))


def check_killed(t, srv, env, proxy, config, direct, inbox, row, n):
    m = inbox[row]
    t.ok("\\Flagged" not in flags_of(srv, "INBOX", m.message_id), "killed: not flagged before")
    run = Run(env, config)
    try:
        flag_held(t, run, proxy, n, row, "killed")
        time.sleep(1)
        pid = run.pid()
        t.ok(pid is not None, "killed: found the process")
        if pid:
            os.kill(pid, signal.SIGKILL)
        code = run.exit_code()
        t.eq(code, str(128 + signal.SIGKILL), "killed: it died of SIGKILL")
    finally:
        proxy.mode = "up"
        run.kill()
    t.ok("\\Flagged" not in flags_of(srv, "INBOX", m.message_id),
         "killed: the STORE never reached the server")
    r = env.tern("-c", direct, "list", "INBOX", "--limit", "1")
    t.eq(r.returncode, 0, "killed: the next command connects (exit 0)")
    t.ok("\\Flagged" in flags_of(srv, "INBOX", m.message_id),
         "killed: the next command sent the change the killed run had made",
         r.stderr.decode(errors="replace"))


def viewer_subject(lines):
    for l in lines:
        i = l.find("Subject: ")
        if i >= 0:
            return l[i + len("Subject: "):].strip()
    return None


def check_undo_move_race(t, srv, env, proxy, config, n):
    """Archive the first message, z, and at once j Enter: the message the
    viewer shows is the one on that row of this folder."""
    run = Run(env, config)
    try:
        ok, lines = wait_loaded(run, n)
        t.ok(ok, "undo race: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("a")
        ok, lines = run.term.wait(lambda ls: any("Moved 1 message" in l for l in ls[-2:]))
        t.ok(ok, "undo race: a archived the message", "\n".join(lines))
        proxy.delay = 0.3
        run.term.keys("z", "j", "Enter")
        time.sleep(4)
        proxy.delay = 0
        ok, lines = run.term.wait(lambda ls: viewer_subject(ls) is not None)
        rows = base.list_rows(lines, 8)
        sel = [r for r in rows if r.strip()]
        t.ok(ok, "undo race: the viewer opened a message", "\n".join(lines))
        subj = viewer_subject(lines) or ""
        # the list row of the opened message (second row) shows its subject
        t.ok(subj != "" and any(subj[:25] in r for r in sel), "undo race: the viewer shows a message of "
             "this folder's list, not the archive's", "%r\n%s" % (subj, "\n".join(lines)))
        run.term.keys("q")
        time.sleep(0.3)
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "undo race: quits with status 0")
        t.eq(run.err(), "", "undo race: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        proxy.delay = 0
        run.kill()


def check_undo_in_flight(t, srv, env, proxy, config):
    """d, then z at once, while the server's answer to the MOVE is still on
    its way (a slow link): the z is not lost (it once said "try again in a
    moment" and did nothing): the move is taken back once it is done."""
    inbox = newest(srv)
    n = len(inbox)
    run = Run(env, config)
    try:
        ok, lines = wait_loaded(run, n)
        t.ok(ok, "z in flight: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        msg = base.message_in_row(inbox, base.list_rows(lines, 1)[0])
        proxy.delay = 0.8
        run.term.keys("g", "d", "z")
        ok, lines = run.term.wait(lambda ls: any("still on its way" in l for l in ls[-2:]))
        t.ok(ok, "z in flight: z came before the server's answer to the move", lines[-1])
        # the link stays slow until the move is done: taking it back goes
        # through it too, so the message is seen in Trash first
        ok = base.wait_server(lambda: base.server_flags(srv, "Trash", msg.message_id)
                              is not None)
        t.ok(ok, "z in flight: d moved the message to Trash (server)")
        proxy.delay = 0
        ok = base.wait_server(lambda: base.server_flags(srv, "INBOX", msg.message_id) is not None
                              and base.server_flags(srv, "Trash", msg.message_id) is None)
        t.ok(ok, "z in flight: the message is back in INBOX and not in Trash (server)")
        ok, lines = run.term.wait(lambda ls: any("Move undone" in l for l in ls[-2:]))
        t.ok(ok, "z in flight: the message line says the move was undone", lines[-1])
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "z in flight: quits with status 0")
        t.eq(run.err(), "", "z in flight: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        proxy.delay = 0
        run.kill()


def goto_row(run, row):
    run.term.keys("g")
    for _ in range(row):
        run.term.keys("j")
    time.sleep(0.2)


def check_undo_tagged(t, srv, env, config):
    """Tag a read and an unread message, ;u (both unread), z: the read one is
    read again, the other stays unread. The same with ;s on a flagged and an
    unflagged one."""
    inbox = newest(srv)
    n = len(inbox)
    state = [flags_of(srv, "INBOX", m.message_id) for m in inbox]
    run = Run(env, config)
    try:
        ok, lines = wait_loaded(run, n)
        t.ok(ok, "tagged undo: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        for bit, key, what in (("\\Seen", "u", "read"), ("\\Flagged", "s", "flagged")):
            state = [flags_of(srv, "INBOX", m.message_id) for m in inbox]
            have = [i for i in range(n) if bit in state[i]]
            lack = [i for i in range(n) if bit not in state[i]]
            if not t.ok(have and lack, "tagged undo: a %s and a not %s message" % (what, what),
                        repr(state)):
                continue
            i, j = have[0], lack[0]
            first, second = sorted((i, j))
            goto_row(run, first)
            run.term.keys("t")
            goto_row(run, second)
            run.term.keys("t")
            time.sleep(0.2)
            run.term.keys("\\;", key)
            want_after = bit not in state[first]  # the first tagged decides
            ok = base.wait_server(lambda: all(
                (bit in flags_of(srv, "INBOX", inbox[k].message_id)) == want_after
                for k in (i, j)))
            t.ok(ok, "tagged undo: ;%s gave both the same state" % key)
            run.term.keys("z")
            ok = base.wait_server(lambda: (
                bit in flags_of(srv, "INBOX", inbox[i].message_id) and
                bit not in flags_of(srv, "INBOX", inbox[j].message_id)))
            t.ok(ok, "tagged undo: z gave each its own %s state back (server)" % what,
                 "%r %r" % (flags_of(srv, "INBOX", inbox[i].message_id),
                            flags_of(srv, "INBOX", inbox[j].message_id)))
            ok, lines = run.term.wait(lambda ls: any("Flag change undone (" in l
                                                     for l in ls[-2:]))
            t.ok(ok, "tagged undo: the message line says what was undone", lines[-1])
            # untag both for the next round
            goto_row(run, first)
            run.term.keys("t")
            goto_row(run, second)
            run.term.keys("t")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "tagged undo: quits with status 0")
        t.eq(run.err(), "", "tagged undo: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_undo_twice(t, srv, env, config):
    """a on the first message, d on the next, then z z: both are back in
    INBOX, newest change first, and the cursor is on the message."""
    inbox = newest(srv)
    n = len(inbox)
    run = Run(env, config)
    try:
        ok, lines = wait_loaded(run, n)
        t.ok(ok, "z z: INBOX loaded", "\n".join(lines))
        time.sleep(1)  # selected, not only drawn from the first screen
        rows = base.list_rows(lines, 2)
        a_msg = base.message_in_row(inbox, rows[0])
        d_msg = base.message_in_row(inbox, rows[1])
        run.term.keys("g", "a")
        ok = base.wait_server(lambda: base.server_flags(srv, "Archive", a_msg.message_id)
                              is not None)
        t.ok(ok, "z z: a archived the first message")
        run.term.keys("d")
        ok = base.wait_server(lambda: base.server_flags(srv, "Trash", d_msg.message_id)
                              is not None)
        t.ok(ok, "z z: d moved the next one to Trash")
        run.term.keys("z")
        ok, lines = run.term.wait(lambda ls: any("Move undone" in l for l in ls[-2:]))
        t.ok(ok, "z z: the first z says the move was undone", lines[-1])
        ok = base.wait_server(lambda: base.server_flags(srv, "INBOX", d_msg.message_id)
                              is not None)
        t.ok(ok, "z z: the first z brought the deleted message back (server)")
        time.sleep(1)
        run.term.keys("Enter")
        ok, lines = run.term.wait(lambda ls: (viewer_subject(ls) or "")[:15] ==
                                  d_msg.subject[:15])
        t.ok(ok, "z z: the cursor is on the message brought back (Enter opens it)",
             "\n".join(lines))
        run.term.keys("q")
        time.sleep(0.3)
        run.term.keys("z")
        ok = base.wait_server(lambda: base.server_flags(srv, "INBOX", a_msg.message_id)
                              is not None)
        t.ok(ok, "z z: the second z brought the archived message back (server)")
        t.ok(base.server_flags(srv, "Archive", a_msg.message_id) is None and
             base.server_flags(srv, "Trash", d_msg.message_id) is None,
             "z z: nothing left in Archive or Trash")
        ok, lines = wait_loaded(run, n)
        t.ok(ok, "z z: the list has every message again", "\n".join(lines))
        run.term.keys("z")
        ok, lines = run.term.wait(lambda ls: any("Nothing to undo" in l for l in ls[-2:]))
        t.ok(ok, "z z: a third z has nothing left to undo", lines[-1])
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "z z: quits with status 0")
        t.eq(run.err(), "", "z z: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


if __name__ == "__main__":
    ternlib.run(main)

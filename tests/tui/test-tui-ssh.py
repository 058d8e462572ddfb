#!/usr/bin/env python3
"""tern over SSH (issue 18): any locale, any terminal, paste and resize.

In tmux against the test Dovecot, with a message whose subject is Chinese
appended as the newest of INBOX:

- LANG=C: the screen is all ASCII (no meta notation such as `~@`, no ACS
  letters such as `qqqq`), folder names and subjects are there with `?`
  (or a transliteration) for what ASCII lacks, the pane border is a `|` in
  the same column on every row, and the message line says once that the
  locale is not UTF-8. The command line's plain output does the same
  (columns line up); --json stays UTF-8. Under KOI8-R too.
- ISO-8859-1 (de_DE.ISO-8859-1, made with localedef into a temporary
  directory when the machine lacks it): the bytes written to the terminal
  (tmux pipe-pane) carry Zürich in Latin-1, Chinese as `?`, and no UTF-8.
- Each TERM of xterm-256color, xterm (8 colours), screen, screen-256color,
  tmux-256color, linux, vt100, vt220 and the 16-colour xterm-16color and
  rxvt-16color starts and draws the same text; a bright colour from
  [colors] is drawn bright with 16 colours, as the plain colour in bold on
  the console (linux) and xterm with 8, not at all on vt220.
- TERM=dumb, an unknown TERM and no TERM: the interface exits 78 with a
  message that names the problem; the command line still works.
- Bracketed paste: text pasted into the search prompt is text (a line
  break does not submit it); pasted with no prompt open it runs no key; a
  paste whose end mark never comes ends after a second.
- A resize clears and redraws the screen once, at the new size.
Each run quits with q: exit status 0, nothing on stderr (no sanitizer
report)."""
import base64
import email.utils
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ternlib  # noqa: E402

WIDTH, HEIGHT = 100, 30
WAIT = 30
SUBJECT = "Chinese 中文 test"
LATIN1 = "de_DE.ISO-8859-1"


class Term:
    count = 0

    def __init__(self, cmd, env, width=WIDTH, height=HEIGHT, record=None):
        Term.count += 1
        self.sock = "tern-ssh-%d-%d" % (os.getpid(), Term.count)
        self.env = dict(env)
        self.env.pop("TMUX", None)
        self.height = height
        self.run("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height),
                 cmd)
        if record is not None:
            self.run("pipe-pane", "-o", "cat >> %s" % shell_quote(record))

    def run(self, *args):
        r = subprocess.run(["tmux", "-L", self.sock] + list(args), env=self.env,
                           capture_output=True, timeout=30)
        return r.stdout.decode("utf-8", "replace")

    def keys(self, *keys):
        self.run("send-keys", *keys)

    def text(self, s):
        self.run("send-keys", "-l", s)

    def screen(self):
        return self.run("capture-pane", "-p").split("\n")[:self.height]

    def styled(self):
        """The screen with its colours and attributes as SGR sequences."""
        return self.run("capture-pane", "-p", "-e").split("\n")[:self.height]

    def wait(self, pred, timeout=WAIT):
        deadline = time.time() + timeout
        lines = self.screen()
        while time.time() < deadline:
            lines = self.screen()
            if pred(lines):
                return True, lines
            time.sleep(0.1)
        return False, lines

    def kill(self):
        self.run("kill-server")


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


class Run:
    """tern in tmux with a TERM and locale variables; stderr and the exit
    status go to files."""
    n = 0

    def __init__(self, env, term, locale, width=WIDTH, height=HEIGHT, record=False,
                 config=None):
        Run.n += 1
        d = os.path.join(env.dir, "run%d" % Run.n)
        os.makedirs(d)
        self.stderr = os.path.join(d, "stderr")
        self.status = os.path.join(d, "status")
        self.record = os.path.join(d, "pipe") if record else None
        envs = " ".join("%s=%s" % (k, shell_quote(env.env[k]))
                        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                                  "XDG_STATE_HOME", "TZ"))
        locs = " ".join("%s=%s" % (k, shell_quote(v)) for k, v in locale.items())
        asan = "ASAN_OPTIONS=%s" % shell_quote(os.environ.get("ASAN_OPTIONS", "detect_leaks=1"))
        unset = "-u TERM" if term is None else ""
        term_set = "TERM=%s" % shell_quote(term) if term is not None else ""
        cmd = ("env -u LC_ALL -u LANG -u LANGUAGE %s %s %s %s %s %s -c %s 2>%s; echo $? > %s; "
               "sleep 600" % (unset, envs, asan, locs, term_set, shell_quote(ternlib.TERN),
                              shell_quote(config or env.config), shell_quote(self.stderr),
                              shell_quote(self.status)))
        tenv = dict(env.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.term = Term(cmd, tenv, width, height, self.record)

    def ready(self):
        """Wait for the folder pane, the list and a status line with no
        work under way: the screen's lines."""
        def settled(ls):
            status = ls[self.term.height - 2]
            return (any("Familie" in l for l in ls) and any("Chinese" in l for l in ls) and
                    "messages" in status and
                    not any(w in status for w in ("Connecting", "Opening", "Loading")))
        return self.term.wait(settled)

    def exit_code(self, timeout=WAIT):
        deadline = time.time() + timeout
        while time.time() < deadline and not os.path.exists(self.status):
            time.sleep(0.1)
        time.sleep(0.2)
        return open(self.status).read().strip() if os.path.exists(self.status) else None

    def err(self):
        return open(self.stderr, errors="replace").read() if os.path.exists(self.stderr) else ""

    def raw(self):
        return open(self.record, "rb").read() if self.record else b""

    def quit(self, t, what):
        self.term.keys("q")
        code = self.exit_code()
        t.eq(code, "0", "%s: q quits with status 0" % what)
        t.eq(self.err(), "", "%s: nothing on stderr" % what)
        self.term.kill()


def append_chinese(srv):
    raw = ("From: Wang <wang@example.org>\r\nTo: tern@example.org\r\n"
           "Subject: =?UTF-8?B?%s?=\r\nDate: %s\r\nMessage-ID: <ssh-1@tern.test>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Body of the Chinese message.\r\n"
           % (base64.b64encode(SUBJECT.encode()).decode(),
              email.utils.formatdate(2145960000))).encode()  # 2038: the newest
    c = srv.imap()
    try:
        typ, data = c.append("INBOX", None, None, raw)
        if typ != "OK":
            raise RuntimeError("APPEND: %r" % data)
    finally:
        c.logout()


def border_column(lines, rows):
    """The column of the folder pane's border on each of the rows."""
    return {l.find("|") for l in lines[:rows]}


def check_ascii(t, env):
    run = Run(env, "screen", {"LANG": "C"})
    try:
        ok, lines = run.ready()
        screen = "\n".join(lines)
        t.ok(ok, "LANG=C: the screen comes up", screen)
        t.ok(all(ord(c) < 0x80 for c in screen), "LANG=C: only ASCII on the screen", screen)
        t.ok("~@" not in screen and "M-" not in screen and "qqqq" not in screen,
             "LANG=C: no meta notation, no alternate-charset letters", screen)
        names = [l.split("|")[0].strip() for l in lines[:14]]
        for folder in ("INBOX", "Drafts", "Sent", "Archive", "Trash", "Familie & Freunde"):
            t.ok(any(n.startswith(folder) for n in names), "LANG=C: folder %s shown" % folder,
                 repr(names))
        t.ok(any(n in ("Z?rich", "Zurich", "Zuerich") for n in names),
             "LANG=C: Zürich shown as Z?rich (or transliterated)", repr(names))
        t.ok("???" in names, "LANG=C: 日本語 shown as ???", repr(names))
        t.ok("Chinese ?? test" in lines[0], "LANG=C: the Chinese subject shows ?? (newest row)",
             lines[0])
        t.ok(len(border_column(lines, HEIGHT - 2)) == 1, "LANG=C: the pane border lines up",
             "\n".join(lines))
        ok, lines = run.term.wait(lambda ls: "not UTF-8" in ls[HEIGHT - 1])
        t.ok(ok, "LANG=C: the message line says the locale is not UTF-8",
             lines[HEIGHT - 1] if lines else "")
    finally:
        run.quit(t, "LANG=C")


def made_locale(tmp, source, charset):
    """LOCPATH for source.charset: None when the machine has the locale,
    else a temporary directory with it compiled by localedef (the system's
    locales stay where they are; only tern's environment gets LOCPATH)."""
    name = "%s.%s" % (source, charset)
    have = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    norm = name.lower().replace("-", "")
    if any(l.lower().replace("-", "") == norm for l in have):
        return None
    out = os.path.join(tmp, name)
    r = subprocess.run(["localedef", "-i", source, "-f", charset, out],
                       capture_output=True, text=True)
    if not os.path.isdir(out):
        raise RuntimeError("localedef failed: %s" % r.stderr)
    return tmp


def check_latin1(t, env):
    locpath = made_locale(env.dir, "de_DE", "ISO-8859-1")
    loc = {"LANG": LATIN1, "LC_MESSAGES": "C"}
    if locpath is not None:
        loc["LOCPATH"] = locpath
    run = Run(env, "screen", loc, record=True)
    try:
        ok, lines = run.ready()
        t.ok(ok, "ISO-8859-1: the screen comes up", "\n".join(lines))
        raw = run.raw()
        t.ok(b"Z\xfcrich" in raw, "ISO-8859-1: Zürich is written in Latin-1")
        t.ok(b"Chinese ?? test" in raw, "ISO-8859-1: the Chinese subject is written as ??")
        t.ok(b"\xc3" not in raw and b"\xe2" not in raw and b"\xe6" not in raw,
             "ISO-8859-1: no UTF-8 written to the terminal",
             repr(raw[:400]))
        t.ok(len(border_column(lines, HEIGHT - 2)) == 1, "ISO-8859-1: the pane border lines up",
             "\n".join(lines))
    finally:
        run.quit(t, "ISO-8859-1")


TERMS = ("xterm-256color", "xterm", "xterm-16color", "rxvt-16color", "screen",
         "screen-256color", "tmux-256color", "linux", "vt100", "vt220")


def check_terms(t, env):
    seen = {}
    for name in TERMS:
        run = Run(env, name, {"LANG": "C.UTF-8"})
        try:
            ok, lines = run.ready()
            t.ok(ok, "TERM=%s: starts and draws" % name, "\n".join(lines))
            seen[name] = lines[:HEIGHT - 1]
        finally:
            run.quit(t, "TERM=%s" % name)
    ref = seen["xterm-256color"]
    for name in TERMS[1:]:
        diff = [(i, a, b) for i, (a, b) in enumerate(zip(ref, seen[name])) if a != b]
        t.ok(not diff and len(ref) == HEIGHT - 1,
             "TERM=%s: the screen reads as with xterm-256color" % name,
             "\n".join("%d: %r / %r" % d for d in diff[:5]))


def sgr_params(line):
    """Every SGR parameter in a styled line (capture-pane -e), as numbers."""
    out = set()
    for m in re.finditer(r"\x1b\[([0-9;:]*)m", line):
        out.update(int(p) for p in re.split("[;:]", m.group(1)) if p != "")
    return out


def check_colours(t, env):
    """A bright foreground: its own colour on a 16-colour terminal, the
    plain colour in bold on the console's 8 (and on xterm's), none at all
    on vt220; the status line's blue background everywhere with colours."""
    config = os.path.join(env.dir, "colours.conf")
    with open(env.config) as f, open(config, "w") as out:
        out.write(f.read() + "\n[colors]\nstatus = brightyellow blue\n")
    os.chmod(config, 0o600)  # it holds the password
    want = {  # TERM: (parameters the status line must have, must not have)
        "xterm-16color": ({93, 44}, {1, 33}),
        "rxvt-16color": ({93, 44}, {1, 33}),
        "linux": ({1, 33, 44}, {93}),
        "xterm": ({1, 33, 44}, {93}),
        "vt220": (set(), {33, 93, 44}),
    }
    for name, (have, lack) in want.items():
        run = Run(env, name, {"LANG": "C.UTF-8"}, config=config)
        try:
            ok, lines = run.ready()
            t.ok(ok, "TERM=%s with [colors]: starts and draws" % name, "\n".join(lines))
            status = run.term.styled()[HEIGHT - 2]
            got = sgr_params(status)
            t.ok(have <= got and not (lack & got),
                 "TERM=%s: the status line in %s, not %s" % (name, sorted(have), sorted(lack)),
                 repr(status))
        finally:
            run.quit(t, "TERM=%s with [colors]" % name)


def check_no_terminal(t, env):
    for name, what in (("dumb", "cannot move the cursor"), ("no-such-terminal", "unknown"),
                       (None, "TERM is not set")):
        run = Run(env, name, {"LANG": "C.UTF-8"})
        try:
            code = run.exit_code()
            t.eq(code, "78", "TERM=%s: the interface exits 78" % name)
            t.ok(what in run.err(), "TERM=%s: the message says %r" % (name, what), run.err())
        finally:
            run.term.kill()
    e = dict(env.env, TERM="dumb")
    r = subprocess.run([ternlib.TERN, "-c", env.config, "folders"], capture_output=True,
                       env=e, timeout=120)
    t.ok(r.returncode == 0 and b"INBOX" in r.stdout,
         "TERM=dumb: the command line still works", r.stderr.decode(errors="replace"))


def check_cli_ascii(t, env):
    e = dict(env.env)
    e.pop("LC_ALL", None)
    e.update(LANG="C", LC_ALL="C")
    r = subprocess.run([ternlib.TERN, "-c", env.config, "folders"], capture_output=True,
                       env=e, timeout=120)
    out = r.stdout
    t.ok(r.returncode == 0 and all(b < 0x80 for b in out),
         "CLI, LANG=C: folders prints only ASCII", repr(out))
    text = out.decode("ascii", "replace").splitlines()
    t.ok(any(l.startswith("???") for l in text), "CLI, LANG=C: 日本語 as ???", "\n".join(text))
    t.eq({len(l) for l in text}, {50}, "CLI, LANG=C: the columns line up")
    r = subprocess.run([ternlib.TERN, "-c", env.config, "list", "INBOX", "--limit", "1"],
                       capture_output=True, env=e, timeout=120)
    t.ok(b"Chinese ?? test" in r.stdout, "CLI, LANG=C: list shows the subject with ??",
         repr(r.stdout))
    r = subprocess.run([ternlib.TERN, "-c", env.config, "folders", "--json"],
                       capture_output=True, env=e, timeout=120)
    t.ok("日本語".encode() in r.stdout, "CLI, LANG=C: --json stays UTF-8", repr(r.stdout[:300]))
    # KOI8-R: Cyrillic kept, what it lacks as ? (or transliterated)
    locpath = made_locale(env.dir, "ru_RU", "KOI8-R")
    e = dict(env.env, LANG="ru_RU.KOI8-R", LC_MESSAGES="C")
    e.pop("LC_ALL", None)
    if locpath is not None:
        e["LOCPATH"] = locpath
    r = subprocess.run([ternlib.TERN, "-c", env.config, "list", "INBOX", "--limit", "1"],
                       capture_output=True, env=e, timeout=120)
    t.ok(b"Chinese ?? test" in r.stdout, "CLI, KOI8-R: the Chinese subject with ??",
         repr(r.stdout) + r.stderr.decode(errors="replace"))
    r = subprocess.run([ternlib.TERN, "-c", env.config, "folders"], capture_output=True,
                       env=e, timeout=120)
    text = r.stdout.decode("koi8-r").splitlines()
    t.ok(any(l.startswith("???") for l in text) and
         any(l.startswith(("Projects/Z?rich", "Projects/Zurich")) for l in text),
         "CLI, KOI8-R: folder names in KOI8-R, ? for the rest", "\n".join(text))


def check_paste_resize(t, env):
    run = Run(env, "xterm-256color", {"LANG": "C.UTF-8"}, record=True)
    term = run.term
    try:
        ok, lines = run.ready()
        t.ok(ok, "paste: the screen comes up", "\n".join(lines))
        # no prompt open: pasted text runs no key (jjjj would move 4 down)
        term.run("set-buffer", "jjjj")
        term.run("paste-buffer", "-p")
        ok, lines = term.wait(lambda ls: "Pasted text" in ls[HEIGHT - 1])
        t.ok(ok, "paste with no prompt: a note, no keys", lines[HEIGHT - 1])
        term.keys("Enter")
        ok, lines = term.wait(lambda ls: any("Body of the Chinese message" in l for l in ls))
        t.ok(ok, "paste with no prompt: the cursor did not move (Enter opens the newest)",
             "\n".join(lines))
        term.keys("q")
        term.keys("/")
        ok, lines = term.wait(lambda ls: "Search" in ls[HEIGHT - 1] or "search" in
                              ls[HEIGHT - 1].lower())
        term.run("set-buffer", "subject:pasted\nqq")
        term.run("paste-buffer", "-p")
        ok, lines = term.wait(lambda ls: "subject:pasted qq" in ls[HEIGHT - 1])
        t.ok(ok, "paste into the search prompt: text, the line break a space, no Enter",
             lines[HEIGHT - 1])
        term.keys("C-u")
        # an end mark lost on the way: after a second the paste is over, and
        # the next key is a key again
        term.run("send-keys", "-l", "\x1b[200~lost")
        ok, lines = term.wait(lambda ls: "Pasted" in ls[HEIGHT - 1] or
                              "lost" in ls[HEIGHT - 1], timeout=10)
        t.ok(ok and "lost" in lines[HEIGHT - 1],
             "paste without its end mark: the text arrives after a while", lines[HEIGHT - 1])
        term.text("X")
        ok, lines = term.wait(lambda ls: "lostX" in ls[HEIGHT - 1])
        t.ok(ok, "paste without its end mark: keys are typed again after it",
             lines[HEIGHT - 1])
        term.keys("Escape")
        ok, lines = term.wait(lambda ls: "subject:pasted" not in ls[HEIGHT - 1] and
                              "lost" not in ls[HEIGHT - 1])
        # resize: one clear, the new size drawn
        clear = b"\x1b[2J"  # xterm's erase display, in its clear_screen
        time.sleep(0.5)
        before = len(run.raw())
        term.run("resize-window", "-x", "80", "-y", "24")
        term.height = 24
        ok, lines = term.wait(lambda ls: len(ls) >= 24 and "messages" in ls[22] and
                              all(len(l) <= 80 for l in ls))
        t.ok(ok, "resize: the status bar on the new next-to-last row", "\n".join(lines))
        time.sleep(1.0)
        t.eq(run.raw()[before:].count(clear), 1, "resize: the screen is cleared once")
    finally:
        run.quit(t, "paste and resize")


def main(t):
    if shutil.which("tmux") is None:
        if os.environ.get("TERN_REQUIRE_SERVER") == "1":
            raise RuntimeError("TERN_REQUIRE_SERVER=1 but tmux is not installed")
        t.skip_all("tmux is not installed")
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        append_chinese(srv)
        check_ascii(t, env)
        check_latin1(t, env)
        check_cli_ascii(t, env)
        check_no_terminal(t, env)
        check_paste_resize(t, env)
        check_terms(t, env)
        check_colours(t, env)
    finally:
        env.cleanup()
        srv.stop()


if __name__ == "__main__":
    ternlib.run(main)

#!/usr/bin/env python3
"""Signed and encrypted mail in the viewer (issue 15), in tmux against the
test Dovecot, with keys and messages made by gpg in a throwaway GNUPGHOME.

The crypto status is drawn above the text in its own colour and
attribute (reverse video): a good signature, a bad one (one byte changed),
a message decrypted (its text shown, its signature checked) and one encrypted to a key tern has
not. A plain message whose body holds the very words of a good-signature
line shows them as text, NOT in the status attribute (capture-pane -e),
and has no status row. A message for a key with a passphrase says at once
that the key needs it (tern's interface never lets gpg-agent start a
pinentry over its screen). The cache keeps the encrypted body only: the
decrypted text is in no file under the cache directory.

Then a gpg-agent that accepts connections and never answers (a socket the
test holds): the encrypted message's render waits, the viewer says so
after 15 s, another message can be read meanwhile, and tern quits at once."""
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import cryptolib  # noqa: E402
import ternlib  # noqa: E402


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", "test-tui.py")
races = _load("tui_races", "test-tui-races.py")
WAIT = base.WAIT * 2

SECRET = "pumpernickel is the secret word"
GOOD_LINE = "Good signature (OpenPGP) from " + cryptolib.ALICE


def hdr(subject, mid, day):
    return ("From: Alice Signer <alice@example.org>\r\nTo: tern@example.org\r\n"
            "Subject: %s\r\nDate: Thu, %02d Jan 2037 12:00:00 +0000\r\nMessage-ID: %s\r\n"
            % (subject, day, mid)).encode()


def messages(k):
    te = cryptolib.text_entity
    # newest first in the list: the day gives the row
    return [
        ("Crypto good", k.pgp_signed(hdr("Crypto good", "<tc-good@t>", 9),
                                     te("This text is signed by Alice.\n"))),
        ("Crypto spoof", cryptolib.plain(hdr("Crypto spoof", "<tc-spoof@t>", 8),
                                         GOOD_LINE + ", key " + k.alice +
                                         "; the key is trusted\nReally, believe me.\n")),
        ("Crypto bad", k.pgp_signed(hdr("Crypto bad", "<tc-bad@t>", 7),
                                    te("This text is signed by Alice.\n"),
                                    tamper=(b"signed by", b"signed bx"))),
        ("Crypto encrypted", k.pgp_encrypted(hdr("Crypto encrypted", "<tc-enc@t>", 6),
                                             te(SECRET + "\n"), to=k.alice, sign=True)),
        ("Crypto for Bob", k.pgp_encrypted(hdr("Crypto for Bob", "<tc-bob@t>", 5),
                                           te("only Bob reads this\n"), to=k.bob,
                                           home=k.other)),
        ("Crypto for Pat", k.pgp_encrypted(hdr("Crypto for Pat", "<tc-pat@t>", 4),
                                           te("Pat's passphrase guards this\n"),
                                           to=k.passphrase_key())),
    ]


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed (tools/deps.sh)")
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    keys = None
    try:
        keys = cryptolib.Keys(env.dir)
        env.env["GNUPGHOME"] = keys.home
        msgs = messages(keys)
        c = srv.imap()
        for subject, data in msgs:
            typ, resp = c.append("INBOX", None, None, data)
            t.ok(typ == "OK", "%s: appended" % subject, repr(resp))
        c.logout()
        config = srv.tern_config(env.config, tls="none")
        keys.kill_agents()  # no passphrase cached from making the fixtures
        run_tests(t, srv, env, config, keys, msgs)
        check_silent_agent(t, srv, env, config, keys, msgs)
    finally:
        if keys is not None:
            keys.kill_agents()
        env.cleanup()
        srv.stop()


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def attrs_at(shot, needle):
    """The SGR state (bold, reverse, foreground) where needle starts in a
    capture-pane -e shot, or None when it is not there."""
    pos = shot.find(needle)
    if pos < 0:
        return None
    bold = rev = False
    fg = None
    for m in SGR.finditer(shot[:pos]):
        for p in (m.group(1).split(";") if m.group(1) else ["0"]):
            p = p or "0"
            if p == "0":
                bold = rev = False
                fg = None
            elif p == "1":
                bold = True
            elif p == "22":
                bold = False
            elif p == "7":
                rev = True
            elif p == "27":
                rev = False
            elif p == "39":
                fg = None
            elif len(p) == 2 and p[0] == "3":
                fg = int(p[1])
    return bold, rev, fg


def open_row(run, row, subject):
    if races.viewer_subject(run.term.screen()) is not None:
        run.term.keys("q")  # the list has the keys again
        run.term.wait(lambda ls: races.viewer_subject(ls) is None, WAIT)
    run.term.keys("g")
    for _ in range(row):
        run.term.keys("j")
    run.term.keys("Enter")
    return run.term.wait(lambda ls: races.viewer_subject(ls) == subject, WAIT)


def pane(line):
    """The viewer's part of a screen row (right of the folder pane)."""
    return line.split("\u2502", 1)[1] if "\u2502" in line else line


def status_rows(lines, subject):
    """The rows between the separator above the viewer and the From: line."""
    top = max(i for i, l in enumerate(lines) if pane(l).startswith("\u2500"))
    frm = next((i for i, l in enumerate(lines) if i > top and "From: " in pane(l)), None)
    return [pane(l).strip() for l in lines[top + 1:frm]] if frm is not None else []


def run_tests(t, srv, env, config, k, msgs):
    n = len(srv.mailbox["INBOX"]) + len(msgs)
    run = races.Run(env, config)
    try:
        ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)

        ok, lines = open_row(run, 0, "Crypto good")
        t.ok(ok, "good: opened", "\n".join(lines))
        ok, lines = run.term.wait_text("This text is signed by Alice.", WAIT)
        t.ok(ok, "good: the text is shown", "\n".join(lines))
        ok, lines = run.term.wait(lambda ls: any(GOOD_LINE in l for l in ls), WAIT)
        rows = status_rows(lines, "Crypto good")
        t.ok(ok and rows and rows[0].startswith(GOOD_LINE),
             "good: the status is the first row of the viewer, above From:", "\n".join(lines))
        shot = run.term.run("capture-pane", "-p", "-e")
        a = attrs_at(shot, GOOD_LINE)
        t.ok(a is not None and a[1] and a[2] == 2,
             "good: drawn in the status attribute (reverse, green)", repr(a))

        ok, lines = open_row(run, 1, "Crypto spoof")
        t.ok(ok, "spoof: opened", "\n".join(lines))
        ok, lines = run.term.wait_text("Really, believe me.", WAIT)
        t.ok(ok, "spoof: its text is shown", "\n".join(lines))
        t.eq(status_rows(lines, "Crypto spoof"), [], "spoof: no status row above From:")
        shot = run.term.run("capture-pane", "-p", "-e")
        a = attrs_at(shot, GOOD_LINE)
        t.ok(a is not None and not a[1] and a[2] != 2,
             "spoof: the good-signature words in the body are NOT in the status attribute",
             repr(a))
        body_row = next((i for i, l in enumerate(lines) if GOOD_LINE in l), -1)
        from_row = next((i for i, l in enumerate(lines) if "From: Alice" in l), -1)
        t.ok(body_row > from_row >= 0, "spoof: the words are below the headers, in the text")

        ok, lines = open_row(run, 2, "Crypto bad")
        t.ok(ok, "bad: opened", "\n".join(lines))
        ok, lines = run.term.wait(lambda ls: any("BAD signature" in l for l in ls), WAIT)
        t.ok(ok and status_rows(lines, "Crypto bad")[0].startswith("BAD signature"),
             "bad: the status says BAD, above the headers", "\n".join(lines))
        shot = run.term.run("capture-pane", "-p", "-e")
        a = attrs_at(shot, "BAD signature")
        t.ok(a is not None and a[1] and a[2] == 1, "bad: reverse, red", repr(a))

        ok, lines = open_row(run, 3, "Crypto encrypted")
        t.ok(ok, "encrypted: opened", "\n".join(lines))
        ok, lines = run.term.wait_text(SECRET, WAIT)
        t.ok(ok, "encrypted: the decrypted text is shown", "\n".join(lines))
        t.ok(any(r.startswith("Encrypted (OpenPGP) to key") and r.endswith("decrypted")
                 for r in status_rows(lines, "Crypto encrypted")),
             "encrypted: the status says it was decrypted", "\n".join(lines))
        t.ok(any(r.startswith(GOOD_LINE) for r in status_rows(lines, "Crypto encrypted")),
             "encrypted: and that the signature inside is good", "\n".join(lines))

        ok, lines = open_row(run, 4, "Crypto for Bob")
        t.ok(ok, "for Bob: opened", "\n".join(lines))
        ok, lines = run.term.wait(lambda ls: any("NOT decrypted" in l for l in ls), WAIT)
        t.ok(ok and any("secret key" in l.lower() for l in lines),
             "for Bob: the status says it cannot be decrypted, and why", "\n".join(lines))
        t.ok(k.bob_subkey.upper() in "\n".join(lines), "for Bob: the key it is for is named",
             "\n".join(lines))
        t.ok(not any("only Bob reads this" in l for l in lines), "for Bob: no text shown")

        ok, lines = open_row(run, 5, "Crypto for Pat")
        t.ok(ok, "for Pat: opened", "\n".join(lines))
        start = time.time()
        ok, lines = run.term.wait(lambda ls: any("NOT decrypted" in l for l in ls), WAIT)
        text = " ".join(pane(l).strip() for l in lines)
        t.ok(ok and "needs its passphrase" in text,
             "for Pat: a key with a passphrase is not decrypted, and the status says why "
             "(no pinentry over the screen)", "\n".join(lines))
        t.ok(time.time() - start < 15, "for Pat: at once, not after a pinentry's timeout")
        t.ok(not any("Pat's passphrase guards this" in l for l in lines), "for Pat: no text")

        check_cache(t, env)

        run.term.keys("q")
        ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) is None)
        t.ok(ok, "q closes the message", "\n".join(lines))
        time.sleep(0.5)
        run.term.keys("q")
        code = run.exit_code()
        t.eq(code, "0", "quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


class SilentAgent:
    """Listens where gpg looks for gpg-agent, accepts, and never answers."""

    def __init__(self, home):
        path = subprocess.run(["gpgconf", "--list-dirs", "agent-socket"], capture_output=True,
                              text=True, env=dict(os.environ, GNUPGHOME=home),
                              timeout=60).stdout.strip()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def check_silent_agent(t, srv, env, config, k, msgs):
    k.kill_agents()
    home = os.path.join(env.dir, "h")
    shutil.copytree(k.home, home, ignore=shutil.ignore_patterns("S.*"))
    agent = SilentAgent(home)
    env.env["GNUPGHOME"] = home
    n = len(srv.mailbox["INBOX"]) + len(msgs)
    run = races.Run(env, config)
    try:
        ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "silent agent: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("g", "j", "j", "j", "Enter")  # Crypto encrypted
        ok, lines = run.term.wait_text("gpg-agent is not answering", 15 + WAIT)
        t.ok(ok, "silent agent: after 15 s the viewer says gpg-agent is not answering",
             "\n".join(lines))
        t.ok(not any(SECRET in l for l in lines), "silent agent: nothing decrypted shown")
        # the interface is not held: a message that needs no gpg opens
        run.term.keys("q")  # close it: the list has the keys again
        run.term.wait(lambda ls: not any("Still working on the message:" in l for l in ls), WAIT)
        run.term.keys("g", *(["j"] * len(msgs)), "Enter")  # the newest fixture message
        ok, lines = run.term.wait(lambda ls: (races.viewer_subject(ls) or "").startswith(
            "Re: Meeting budget question"), WAIT)
        t.ok(ok, "silent agent: a plain message opens meanwhile", "\n".join(lines))
        run.term.keys("q")
        run.term.wait(lambda ls: races.viewer_subject(ls) is None, WAIT)
        time.sleep(0.5)
        start = time.time()
        run.term.keys("q")
        code = run.exit_code()
        t.eq(code, "0", "silent agent: tern quits with status 0")
        t.ok(time.time() - start < 15, "silent agent: quitting does not wait for the agent",
             "%.1f s" % (time.time() - start))
        t.eq(run.err(), "", "silent agent: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()
        agent.close()


def check_cache(t, env):
    """The bodies went to the cache as fetched (encrypted); the decrypted
    text is in no file there (the database, its WAL, anything)."""
    root = os.path.join(env.dir, "cache")
    found_secret, found_armor = [], False
    deadline = time.time() + WAIT
    while time.time() < deadline and not found_armor:
        found_secret, found_armor = [], False
        for d, _, files in os.walk(root):
            for f in files:
                data = open(os.path.join(d, f), "rb").read()
                if SECRET.encode() in data:
                    found_secret.append(f)
                if b"-----BEGIN PGP MESSAGE-----" in data:
                    found_armor = True
        time.sleep(0.2)
    t.ok(found_armor, "cache: the encrypted body is cached")
    t.eq(found_secret, [], "cache: the decrypted text is in no cache file")


if __name__ == "__main__":
    ternlib.run(main)

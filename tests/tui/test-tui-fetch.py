#!/usr/bin/env python3
"""Fetching only what is read (issue 14), in tmux against the test Dovecot.

A 20 MB message (a short text and a 19 MB base64 attachment) is appended;
tern talks to Dovecot through ternlib.Proxy, which counts the bytes the
server sends. Covers: opening the message shows its text and lists the
attachment (type, name) while the bytes read stay under a bound far below
the message's size; v then s fetches the attachment (BINARY: the server
decodes it, so fewer bytes than its base64 come) and the file saved holds
the generator's bytes exactly (before that, on a slow link, the
progress shows on the status line and Esc cancels the fetch); the message is not marked read by the
partial fetch until the viewer marks it (\\Seen on the server); after tern
quits, `tern --offline parts INBOX UID` lists the parts from the cached
BODYSTRUCTURE, and opening the message again offline shows its text from
the cached parts while the server cannot be reached. `tern save` fetches
the attachment alone by BINARY too. A signed message over 64 KiB is
fetched whole (a signature covers the exact bytes). A reply, from
`tern reply` or r in the interface on a message neither open nor cached
whole, reads the text only."""
import base64
import importlib.util
import os
import random
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
WAIT = base.WAIT
H = base.HEIGHT

MID = "<fetch-big-1@tern.test>"
SUBJECT = "Big message with an attachment"
TEXT = "The text of the big message: see the attachment."
ATTACHMENT = random.Random(14).randbytes(14 * 1024 * 1024)  # 19 MB in base64
NAME = "big-data.bin"
# What opening it may cost: the summaries are loaded before the count, so
# this is the BODYSTRUCTURE, the header, the text and the protocol around
# them (a few KB), with room for an IDLE or flag update.
SHOW_BOUND = 64 * 1024


def big_message():
    b = "fetch-boundary"
    return ("From: Big <big@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
            "--%s\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
            "--%s--\r\n"
            % (SUBJECT, MID, b, b, TEXT, b, NAME,
               base64.encodebytes(ATTACHMENT).decode().replace("\n", "\r\n"), b)).encode()


SIGNED_MID = "<fetch-signed-1@tern.test>"
SIGNED_SUBJECT = "Signed big message"
SIGNED_TEXT = "This signed text is covered by the signature."


def signed_message():
    """Over TUI_VIEW_WHOLE (64 KiB): only the signature makes it whole."""
    b = "signed-boundary"
    filler = "".join("signed line %d of a long text\r\n" % i for i in range(4000))
    return ("From: Signer <signer@example.org>\r\n"
            "To: tern@example.org\r\n"
            "Subject: %s\r\n"
            "Date: Wed, 31 Dec 2036 12:00:00 +0000\r\n"
            "Message-ID: %s\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; "
            "micalg=pgp-sha256; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n%s"
            "--%s\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n"
            "-----BEGIN PGP SIGNATURE-----\r\nAAAA\r\n-----END PGP SIGNATURE-----\r\n"
            "--%s--\r\n" % (SIGNED_SUBJECT, SIGNED_MID, b, b, SIGNED_TEXT, filler, b, b)
            ).encode()


def screen_has(lines, s):
    return any(s in l for l in lines)


def message_line(lines):
    return lines[H - 1] if len(lines) >= H else ""


def received(proxy):
    with proxy.lock:
        return proxy.received


def main(t):
    base.main_behind_proxy(t, run_tests)


def server_seen(srv, uid):
    c = srv.imap()
    try:
        c.select("INBOX", readonly=True)
        typ, data = c.uid("FETCH", uid, "(FLAGS)")
        return b"\\Seen" in data[0]
    finally:
        c.logout()


def run_tests(t, srv, env, proxy):
    raw = big_message()
    t.ok(len(raw) > 19 * 1024 * 1024, "the message is about 20 MB (%d bytes)" % len(raw))
    c = srv.imap()
    typ, data = c.append("INBOX", None, None, raw)
    t.ok(typ == "OK", "the big message is appended", repr(data))
    signed = signed_message()
    typ, data = c.append("INBOX", None, None, signed)
    t.ok(typ == "OK", "a signed message of %d bytes is appended" % len(signed), repr(data))
    c.select("INBOX", readonly=True)
    typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % MID)
    uid = data[0].split()[-1].decode()
    c.logout()
    save_dir = os.path.join(env.dir, "saved")
    os.makedirs(save_dir)
    config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=60,
                             extra="from = Tern User <tern@example.org>\n")
    with open(config, "a") as f:
        f.write("[ui]\nsave_dir = %s\n" % save_dir)
    n = len(srv.mailbox["INBOX"]) + 2
    run = races.Run(env, config)
    try:
        ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        before = received(proxy)
        run.term.keys("g", "j", "Enter")
        ok, lines = run.term.wait(lambda ls: screen_has(ls, SIGNED_TEXT))
        t.ok(ok, "the signed message shows its text", "\n".join(lines))
        time.sleep(1)
        got = received(proxy) - before
        t.ok(got >= len(signed), "a signed message is fetched whole (%d bytes read, the "
             "message has %d)" % (got, len(signed)))
        run.term.keys("q")
        run.term.wait(lambda ls: races.viewer_subject(ls) is None)
        time.sleep(0.5)
        before = received(proxy)
        run.term.keys("g", "Enter")
        ok, lines = run.term.wait(lambda ls: screen_has(ls, TEXT) and screen_has(ls, NAME))
        t.ok(ok, "the big message shows its text and lists its attachment", "\n".join(lines))
        t.ok(screen_has(lines, "application/octet-stream"), "the attachment's type is listed",
             "\n".join(lines))
        deadline = time.time() + WAIT
        while time.time() < deadline and not server_seen(srv, uid):
            time.sleep(0.2)
        t.ok(server_seen(srv, uid), "the message is marked \\Seen on the server")
        time.sleep(1)
        shown = received(proxy) - before
        t.ok(shown < SHOW_BOUND, "showing it read %d bytes from the server (bound %d)"
             % (shown, SHOW_BOUND))
        run.term.keys("v")
        ok, lines = run.term.wait(lambda ls: screen_has(ls, "Parts (") and screen_has(ls, NAME))
        t.ok(ok, "v lists the parts from the structure", "\n".join(lines))
        check_cancel(t, run, proxy)
        before = received(proxy)
        run.term.keys("s")
        ok, lines = run.term.wait(lambda ls: "Save to:" in message_line(ls), timeout=120)
        t.ok(ok, "s fetches the part, then asks where to save it", message_line(lines))
        saved_bytes = received(proxy) - before
        run.term.keys("Enter")
        want = os.path.join(save_dir, NAME)
        ok, lines = run.term.wait(lambda ls: "Saved" in message_line(ls))
        t.ok(ok and os.path.exists(want), "s: saved in save_dir",
             "%s %r" % (message_line(lines), os.listdir(save_dir)))
        got = open(want, "rb").read() if os.path.exists(want) else b""
        t.ok(got == ATTACHMENT, "the file holds the generator's bytes exactly (%d of %d)"
             % (len(got), len(ATTACHMENT)))
        t.ok(len(ATTACHMENT) <= saved_bytes < len(ATTACHMENT) + 256 * 1024,
             "BINARY: the server sent the decoded part, not its base64 (%d bytes)"
             % saved_bytes)
        run.term.keys("q")
        time.sleep(0.5)
        run.term.keys("q")
        ok, lines = run.term.wait(lambda ls: races.viewer_subject(ls) is None)
        time.sleep(0.5)
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "tern quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()
    check_cli_save(t, env, uid, proxy)
    check_cli_reply(t, env, uid, proxy)
    check_tui_reply(t, env, config, proxy)
    check_offline(t, env, config, uid, proxy)


def check_cancel(t, run, proxy):
    """s on a slow link: progress on the status line, Esc cancels; the
    answer is drained, not saved, and the list stays usable."""
    proxy.delay = 0.05  # per 64 KiB chunk: the part takes some 12 s
    run.term.keys("s")
    ok, lines = run.term.wait(lambda ls: "Fetching the part" in message_line(ls) and
                              "Esc cancels" in message_line(ls))
    t.ok(ok, "s on a slow link: the progress on the status line", message_line(lines))
    run.term.keys("Escape")
    ok, lines = run.term.wait(lambda ls: "Cancelled" in message_line(ls))
    t.ok(ok, "Esc cancels the fetch", message_line(lines))
    t.ok(screen_has(lines, "Parts ("), "the parts list stays open", "\n".join(lines))
    proxy.delay = 0
    last, stable = -1, 0
    deadline = time.time() + 120
    while time.time() < deadline and stable < 4:  # the rest of the answer drained
        now = received(proxy)
        stable = stable + 1 if now == last else 0
        last = now
        time.sleep(0.5)
    lines = run.term.screen()
    t.ok("Save to:" not in message_line(lines) and "Fetched" not in message_line(lines),
         "the cancelled part is not offered for saving when it comes",
         message_line(lines))


def check_cli_reply(t, env, uid, proxy):
    before = received(proxy)
    r = env.tern("reply", "INBOX", uid, "--print")
    got = received(proxy) - before
    t.eq(r.returncode, 0, "tern reply --print: exit 0 (%s)" % r.stderr.decode(errors="replace"))
    t.ok(("> " + TEXT).encode() in r.stdout, "tern reply quotes the text", r.stdout[-400:])
    t.ok(got < SHOW_BOUND, "tern reply read %d bytes, not the attachment (bound %d)"
         % (got, SHOW_BOUND))


EDITOR = """#!/bin/sh
cp "$1" "$0.draft"
"""


def check_tui_reply(t, env, config, proxy):
    """r on the big message, not open and not cached whole: what the viewer
    would show is fetched, the attachment stays on the server."""
    editor = os.path.join(env.dir, "editor.sh")
    with open(editor, "w") as f:
        f.write(EDITOR)
    os.chmod(editor, 0o755)
    env.env["EDITOR"] = editor
    env.env.pop("VISUAL", None)
    cache = os.path.join(env.dir, "cache", "tern")
    saved = cache + ".kept"
    os.rename(cache, saved)
    run = races.Run(env, config)
    try:
        ok, lines = run.term.wait(lambda ls: "messages" in ls[H - 2])
        t.ok(ok, "a fresh start (no cache) loads INBOX", "\n".join(lines))
        time.sleep(1)
        before = received(proxy)
        run.term.keys("g", "r")
        ok, lines = run.term.wait(lambda ls: any("Review:" in l for l in ls), timeout=120)
        t.ok(ok, "r on the big message: the editor ran, the review screen", "\n".join(lines))
        got = received(proxy) - before
        draft = open(editor + ".draft").read() if os.path.exists(editor + ".draft") else ""
        t.ok("> " + TEXT in draft, "the draft quotes the text", draft[-400:])
        t.ok(got < SHOW_BOUND, "r read %d bytes from the server, not the attachment "
             "(bound %d)" % (got, SHOW_BOUND))
        run.term.keys("q")
        run.term.wait(lambda ls: "Drop this message" in ls[H - 1])
        run.term.keys("y")
        run.term.wait(lambda ls: "Message dropped" in ls[H - 1])
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "tern quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()
        import shutil
        shutil.rmtree(cache, ignore_errors=True)
        os.rename(saved, cache)


def check_cli_save(t, env, uid, proxy):
    out = os.path.join(env.dir, "cli-saved")
    os.makedirs(out)
    before = received(proxy)
    r = env.tern("save", "INBOX", uid, "-o", out)
    got = received(proxy) - before
    t.eq(r.returncode, 0, "tern save: exit 0 (%s)" % r.stderr.decode(errors="replace"))
    path = os.path.join(out, NAME)
    t.ok(os.path.exists(path) and open(path, "rb").read() == ATTACHMENT,
         "tern save: the generator's bytes exactly")
    t.ok(got < len(ATTACHMENT) + 256 * 1024,
         "tern save fetched the part alone, by BINARY (%d bytes read)" % got)


def check_offline(t, env, config, uid, proxy):
    r = env.tern("--offline", "parts", "INBOX", uid)
    out = r.stdout.decode(errors="replace")
    t.eq(r.returncode, 0, "tern --offline parts: exit 0 (%s)" % r.stderr.decode(errors="replace"))
    t.ok(NAME in out and "application/octet-stream" in out and "text/plain" in out,
         "tern --offline parts lists the cached structure", out)
    r = env.tern("--offline", "show", "INBOX", uid)
    t.ok(r.returncode != 0, "a cached partial message never passes for a whole one "
         "(tern --offline show: %d)" % r.returncode)
    proxy.set_down()
    run = races.Run(env, config)
    try:
        ok, lines = run.term.wait(lambda ls: screen_has(ls, SUBJECT[:20]))
        t.ok(ok, "the server cannot be reached: the list from the cache", "\n".join(lines))
        run.term.keys("g", "Enter")
        ok, lines = run.term.wait(lambda ls: screen_has(ls, TEXT) and screen_has(ls, NAME))
        t.ok(ok, "the text from the cached parts, and the attachment listed",
             "\n".join(lines))
        run.term.keys("q")
        time.sleep(0.5)
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "tern quits with status 0")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


ternlib.run(main)

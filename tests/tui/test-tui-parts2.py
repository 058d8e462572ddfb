#!/usr/bin/env python3
"""The viewer's parts list and full header on messages it holds in a
special way (issues #14 and #15, loose ends), in tmux against the test
Dovecot through ternlib.Proxy (which counts the bytes the server sends).

- v on an encrypted message lists the decrypted tree (the attachment
  inside, numbered 1 as tern save takes it), not the encrypted envelope
  (application/pgp-encrypted and application/octet-stream): before, the
  list was of the envelope.
- H on a message held in parts (over 64 KiB, its attachment not fetched)
  shows the message's own header from BODY[HEADER], kept with the
  structure, without fetching the whole message: before, H fetched all of
  it (the attachment's bytes)."""
import base64
import importlib.util
import os
import random
import sys
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
WAIT = base.WAIT

SECRET = "the secret text is pumpernickel"
INSIDE = bytes(range(256)) * 4
BIG_TEXT = "The text of the big message, held in parts."
BIG_ATTACHMENT = random.Random(15).randbytes(600 * 1024)
PROBE = "X-Parts2-Probe: header-only"


def hdr(subject, mid, hour):
    return ("From: Alice Signer <alice@example.org>\r\nTo: tern@example.org\r\n"
            "Subject: %s\r\nDate: Thu, 01 Jan 2037 %02d:00:00 +0000\r\nMessage-ID: %s\r\n"
            % (subject, hour, mid)).encode()


def big_message():
    b = "parts2-boundary"
    return (hdr("Parts2 big", "<p2-big@t>", 12) +
            ("%s\r\nMIME-Version: 1.0\r\n"
             "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
             "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
             "--%s\r\nContent-Type: application/octet-stream\r\n"
             "Content-Disposition: attachment; filename=\"big.bin\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n"
             % (PROBE, b, b, BIG_TEXT, b,
                base64.encodebytes(BIG_ATTACHMENT).decode().replace("\n", "\r\n"), b)).encode())


def received(proxy):
    with proxy.lock:
        return proxy.received


def screen_has(lines, s):
    return any(s in l for l in lines)


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed (tools/deps.sh)")
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    proxy = ternlib.Proxy(srv.imap_port)
    keys = None
    try:
        keys = cryptolib.Keys(env.dir)
        env.env["GNUPGHOME"] = keys.home
        enc = keys.pgp_encrypted(hdr("Parts2 encrypted", "<p2-enc@t>", 11),
                                 cryptolib.mixed_entity(SECRET, "inside.bin", INSIDE),
                                 to=keys.alice)
        c = srv.imap()
        for data in (big_message(), enc):
            typ, resp = c.append("INBOX", None, None, data)
            t.ok(typ == "OK", "appended %d bytes" % len(data), repr(resp))
        c.logout()
        config = srv.tern_config(env.config, tls="none", port=proxy.port, timeout=60)
        run_tests(t, srv, env, config, proxy)
    finally:
        proxy.close()
        if keys is not None:
            keys.kill_agents()
        env.cleanup()
        srv.stop()


def run_tests(t, srv, env, config, proxy):
    n = len(srv.mailbox["INBOX"]) + 2
    run = races.Run(env, config)
    try:
        ok, lines = races.wait_loaded(run, n)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        check_big(t, run, proxy)
        run.term.keys("q")
        run.term.wait(lambda ls: races.viewer_subject(ls) is None, WAIT)
        check_encrypted(t, run)
        run.term.keys("q")
        run.term.keys("q")
        run.term.wait(lambda ls: races.viewer_subject(ls) is None, WAIT)
        run.term.keys("q")
        code = run.exit_code()
        t.eq(code, "0", "tern quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_big(t, run, proxy):
    before = received(proxy)
    run.term.keys("g", "Enter")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, BIG_TEXT) and screen_has(ls, "big.bin"))
    t.ok(ok, "H: the big message shows its text, the attachment listed", "\n".join(lines))
    time.sleep(1)
    shown = received(proxy) - before
    t.ok(shown < 64 * 1024, "H: the message is held in parts (%d bytes read)" % shown)
    before = received(proxy)
    run.term.keys("H")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, PROBE) and
                              screen_has(ls, "MIME-Version: 1.0"))
    t.ok(ok, "H: every header of the message", "\n".join(lines))
    t.ok(screen_has(lines, BIG_TEXT), "H: the text still shows under the header",
         "\n".join(lines))
    time.sleep(1)
    got = received(proxy) - before
    t.ok(got < 64 * 1024, "H read %d bytes from the server, not the whole message (%d)"
         % (got, len(BIG_ATTACHMENT)))
    run.term.keys("H")
    ok, lines = run.term.wait(lambda ls: not screen_has(ls, PROBE) and screen_has(ls, BIG_TEXT))
    t.ok(ok, "H again: back to the text", "\n".join(lines))


def check_encrypted(t, run):
    run.term.keys("g", "j", "Enter")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, SECRET), 60)
    t.ok(ok, "v: the encrypted message shows its decrypted text", "\n".join(lines))
    run.term.keys("v")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "Parts (") and
                              screen_has(ls, "inside.bin"))
    t.ok(ok, "v: the parts list shows the attachment inside the encryption", "\n".join(lines))
    rows = [l for l in lines if "inside.bin" in l and "application/octet-stream" in l]
    t.ok(len(rows) >= 1 and rows[-1].split("\u2502")[-1].split()[0] == "1",
         "v: it is number 1, as tern save numbers it", "\n".join(lines))
    t.ok(not screen_has(lines, "pgp-encrypted") and not screen_has(lines, "encrypted.asc"),
         "v: the encrypted envelope is not listed", "\n".join(lines))
    run.term.keys("q")
    run.term.wait(lambda ls: not screen_has(ls, "Parts ("), WAIT)
    run.term.keys("v")
    ok, lines = run.term.wait(lambda ls: screen_has(ls, "Parts (") and
                              screen_has(ls, "inside.bin"))
    t.ok(ok and not screen_has(lines, "pgp-encrypted"),
         "v a second time: the same decrypted list", "\n".join(lines))


if __name__ == "__main__":
    ternlib.run(main)

#!/usr/bin/env python3
"""Writing signed and encrypted mail in the interface (issue 15 part c), in
tmux against the test Dovecot and the test SMTP server, $EDITOR a script.

Alice (tern's throwaway GnuPG home) answers two encrypted messages: the
review screen of a reply to an encrypted message says "Sign: no  Encrypt:
yes" (pgp_encrypt_replies), S turns signing on, y sends: what arrives is
multipart/encrypted that Bob's gpg decrypts (with Alice's good signature
inside) and so does Alice's own key, and the Sent copy is the same bytes.
Answering a sender whose key tern does not have is refused on the review
screen with the address named, nothing sent and nothing in the outbox;
E turns encryption off. With a pgp_key that has a passphrase (and
pgp_sign = true), y hands the terminal to gpg-agent's pinentry-curses; the
passphrase typed there signs and the interface comes back; with a
pinentry that never answers the interface comes back after gpg_timeout,
says so, and nothing is sent."""
import email
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import cryptolib  # noqa: E402
import ternlib  # noqa: E402


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


base = _load("tui_base", os.path.join(HERE, "test-tui.py"))
races = _load("tui_races", os.path.join(HERE, "test-tui-races.py"))
csend = _load("crypto_send", os.path.join(HERE, "..", "integration", "test-crypto-send.py"))

WAIT = 60  # gpg under a sanitizer build on a loaded machine
EDITOR = """#!/bin/sh
printf '%s\\n' "The answer is under the oak tree." >> "$1"
"""


class Run(races.Run):
    def __init__(self, env, config, editor):
        env.env["EDITOR"] = editor
        env.env.pop("VISUAL", None)
        super().__init__(env, config)

    def wait_message(self, text, timeout=WAIT):
        return self.term.wait(lambda ls: text in ls[base.HEIGHT - 1], timeout)


def screen_has(run, text):
    return run.term.wait(lambda ls: any(text in l for l in ls), WAIT)


def check_reply(t, srv, run, k, smtpd):
    run.term.keys("g", "Enter")  # the newest: Bob's encrypted message
    ok, lines = screen_has(run, "Where is it?")
    t.ok(ok, "the viewer shows the decrypted text", "\n".join(lines))
    run.term.keys("r")
    ok, lines = screen_has(run, "Review:")
    t.ok(ok, "r: the review screen", "\n".join(lines))
    ok, lines = screen_has(run, "Sign: no  Encrypt: yes")
    t.ok(ok, "a reply to an encrypted message starts with Encrypt: yes", "\n".join(lines))
    run.term.keys("S")
    ok, lines = screen_has(run, "Sign: yes  Encrypt: yes")
    t.ok(ok, "S turns signing on", "\n".join(lines))
    run.term.keys("y")
    ok, lines = run.wait_message("Sent:")
    t.ok(ok, "y: sent", "\n".join(lines))
    got = smtpd.messages()
    t.ok(len(got) == 1, "the SMTP server got one message", str(len(got)))
    if not got:
        return
    raw = got[0][1]
    t.ok(b"oak tree" not in raw, "the text is not in clear")
    plain, status = csend.decrypt(t, k, raw, k.other, "TUI reply (Bob)")
    t.ok(plain is not None and b"oak tree" in plain, "Bob's key decrypts it", status)
    t.ok(plain is not None and b"> Where is it?" in plain,
         "the reply quotes the decrypted text the viewer showed", repr(plain)[:400])
    t.ok("GOODSIG" in status and ("VALIDSIG " + k.alice) in status,
         "the signature inside is Alice's", status)
    plain, status = csend.decrypt(t, k, raw, k.home, "TUI reply (Alice)")
    t.ok(plain is not None and b"oak tree" in plain, "Alice's own key decrypts it", status)
    mid = email.message_from_bytes(raw)["Message-ID"]
    t.ok(base.wait_server(lambda: csend.sent_copy(srv, mid) == raw, WAIT),
         "the Sent copy on the server is the same bytes")


def check_no_key(t, run, smtpd):
    run.term.keys("q")  # check_reply answered from the viewer: back to the list
    time.sleep(0.3)
    run.term.keys("g", "j", "r")  # the second: from someone without a key
    ok, lines = screen_has(run, "Sign: no  Encrypt: yes")
    t.ok(ok, "no-key reply: review with Encrypt: yes", "\n".join(lines))
    run.term.keys("y")
    ok, lines = run.wait_message("nokey@example.org")
    t.ok(ok, "y: refused, the address without a key named", "\n".join(lines))
    t.ok(any("Review:" in l for l in run.term.screen()), "the review screen stays")
    t.eq(len(smtpd.messages()), 1, "nothing more was sent")
    run.term.keys("E")
    ok, lines = screen_has(run, "Sign: no  Encrypt: no")
    t.ok(ok, "E turns encryption off", "\n".join(lines))
    run.term.keys("S", "p")  # kept for later, signing on
    ok, lines = run.wait_message("kept")
    t.ok(ok, "p keeps the message", "\n".join(lines))
    run.term.keys("P")
    ok, lines = screen_has(run, "Sign: yes  Encrypt: no")
    t.ok(ok, "P: the choice of S and E is kept with the message", "\n".join(lines))
    run.term.keys("q")
    ok, lines = screen_has(run, "Drop this message")
    run.term.keys("y")


def check_passphrase(t, srv, env, k, smtpd, config_text, editor):
    """pgp_key with a passphrase, not cached: y gives the terminal to
    gpg-agent's pinentry-curses, the passphrase typed there signs, and the
    interface comes back and sends."""
    pat = k.passphrase_key("pat-secret")
    k.gpg(k.other, "--import", input=k.gpg(k.home, "--export", "--armor", pat))
    k.kill_agents()
    with open(os.path.join(k.home, "gpg-agent.conf"), "a") as f:
        f.write("pinentry-program /usr/bin/pinentry-curses\n")
    with open(env.config, "a") as f:
        f.write("pgp_key = %s\npgp_sign = true\n" % pat)
    before = len(smtpd.messages())
    run = Run(env, env.config, editor)
    try:
        ok, lines = races.wait_loaded(run, 3)
        t.ok(ok, "passphrase: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("g", "r")
        ok, lines = screen_has(run, "Sign: yes  Encrypt: yes")
        t.ok(ok, "pgp_sign = true: the review starts with Sign: yes", "\n".join(lines))
        run.term.keys("y")
        ok, lines = screen_has(run, "assphrase")
        t.ok(ok and not any("Review:" in l for l in lines),
             "y: the pinentry has the terminal, tern's screen is put away", "\n".join(lines))
        run.term.text("pat-secret")
        # Enter once the pinentry shows all ten characters (sent at once, it
        # is read as part of the passphrase)
        ok, lines = screen_has(run, "Passphrase: " + "*" * 10 + "_")
        t.ok(ok, "the pinentry takes the passphrase", "\n".join(lines))
        run.term.keys("Enter")
        ok, lines = run.wait_message("Sent:")
        t.ok(ok, "after the passphrase the interface is back and the message is sent",
             "\n".join(lines))
        got = smtpd.messages()[before:]
        raw = got[0][1] if got else b""
        if not raw:
            return
        plain, status = csend.decrypt(t, k, raw, k.other, "passphrase (Bob)")
        t.ok(plain is not None and "GOODSIG" in status and ("VALIDSIG " + pat) in status,
             "it is signed by the passphrase key", status)
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "passphrase: quits with status 0")
        t.eq(run.err(), "", "passphrase: nothing on stderr")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def check_silent_agent(t, srv, env, k, smtpd, editor):
    """A pinentry that never answers: after gpg_timeout the interface is
    back on the review screen, says so, and nothing is sent or queued."""
    hang = os.path.join(env.dir, "pinentry-hang.sh")
    with open(hang, "w") as f:
        f.write("#!/bin/sh\nexec sleep 600\n")
    os.chmod(hang, 0o755)
    k.kill_agents()
    with open(os.path.join(k.home, "gpg-agent.conf"), "a") as f:
        f.write("pinentry-program %s\n" % hang)
    with open(env.config, "a") as f:
        f.write("[ui]\ngpg_timeout = 5\n")
    before = len(smtpd.messages())
    run = Run(env, env.config, editor)
    try:
        ok, lines = races.wait_loaded(run, 3)
        t.ok(ok, "silent agent: INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("g", "r")
        ok, lines = screen_has(run, "Sign: yes  Encrypt: yes")
        t.ok(ok, "silent agent: the review screen", "\n".join(lines))
        run.term.keys("y")
        ok, lines = run.wait_message("did not answer in 5 seconds")
        t.ok(ok, "after gpg_timeout the interface is back and says why",
             "\n".join(lines))
        t.ok(any("Review:" in l for l in lines), "the review screen is back", "\n".join(lines))
        t.eq(len(smtpd.messages()), before, "silent agent: nothing sent")
        run.term.keys("q")
        screen_has(run, "Drop this message")
        run.term.keys("y")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "silent agent: quits with status 0")
        t.eq(run.err(), "", "silent agent: nothing on stderr")
        box = json.loads(env.tern("outbox", "--json").stdout.decode())
        t.eq(box, [], "silent agent: nothing in the outbox")
    except BaseException:
        t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        run.kill()


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed (tools/deps.sh)")
    srv = ternlib.start_server(t, folders={"INBOX": 1, "Sent": 0})
    env = ternlib.Env()
    k = None
    smtpd = None
    run = None
    try:
        k = cryptolib.Keys(env.dir)
        env.env["GNUPGHOME"] = k.home
        k.gpg(k.home, "--import", input=k.gpg(k.other, "--export", "--armor", k.bob))
        c = srv.imap()
        for frm, date, mid in ((cryptolib.BOB, "2037", "<tui-enc-bob@t>"),
                               ("No Key <nokey@example.org>", "2036", "<tui-enc-nokey@t>")):
            hdrs = cryptolib.headers("a secret for Alice", mid, frm=frm).replace(
                b"2037", date.encode())
            c.append("INBOX", None, None,
                     k.pgp_encrypted(hdrs, cryptolib.text_entity("Where is it?\n"),
                                     to=k.alice, home=k.other))
        c.logout()
        port = ternlib.free_port()
        smtpd = ternlib.Smtpd(port, os.path.join(env.dir, "spool"))
        config = srv.tern_config(env.config, tls="none", extra=(
            "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
            "from = %s\n" % (port, cryptolib.ALICE)))
        editor = os.path.join(env.dir, "editor.sh")
        with open(editor, "w") as f:
            f.write(EDITOR)
        os.chmod(editor, 0o755)
        run = Run(env, config, editor)
        ok, lines = races.wait_loaded(run, 3)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        check_reply(t, srv, run, k, smtpd)
        check_no_key(t, run, smtpd)
        run.term.keys("g", "t", "t", "\\;", "r")  # one reply to both encrypted messages
        ok, lines = screen_has(run, "Sign: no  Encrypt: yes")
        t.ok(ok, "; r to encrypted messages starts with Encrypt: yes", "\n".join(lines))
        run.term.keys("q")
        screen_has(run, "Drop this message")
        run.term.keys("y")
        run.term.keys("q")
        t.eq(run.exit_code(), "0", "quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
        box = json.loads(env.tern("outbox", "--json").stdout.decode())
        t.eq(box, [], "nothing is left in the outbox")
        run.kill()
        run = None
        check_passphrase(t, srv, env, k, smtpd, config, editor)
        check_silent_agent(t, srv, env, k, smtpd, editor)
    except BaseException:
        if run is not None:
            t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        if run is not None:
            run.kill()
        if smtpd is not None:
            smtpd.stop()
        if k is not None:
            k.kill_agents()
        srv.stop()
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)

#!/usr/bin/env python3
"""The account's crypt defaults in the interface (issue 15), in tmux against
the test Dovecot and the test SMTP server, $EDITOR a script.

With crypt_opportunistic_encrypt = true, M's review screen says "Encrypt:
if every recipient has a key"; to Bob, whose key tern has, y sends
multipart/encrypted that Bob's gpg decrypts; to an address without a key
the same y sends in clear, without a word. E turns the choice into an
explicit yes.

r in the message list on an encrypted message never opened in the viewer
(issue 15): the reply starts encrypted and quotes the decrypted text, as a
reply from the viewer does; Bob's gpg decrypts what arrives and finds the
quote.

cache_decrypted: after that run (the message decrypted for the quote, then
read in the viewer) no byte of the decrypted text is in the cache's files
(the default, false); a run with cache_decrypted = true that opens it
puts the decrypted text in the cache (its full-text index), and a body:
search of the cache finds it."""
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
# the interface's sending test: its Run (the editor given) and waits
tcsend = _load("tui_crypto_send", os.path.join(HERE, "test-tui-crypto-send.py"))
WAIT, Run, screen_has = tcsend.WAIT, tcsend.Run, tcsend.screen_has

# the user's editor: To from the file "to" beside it (when the draft's To
# is empty), and one line of text
EDITOR = """#!/bin/sh
to=$(cat "$(dirname "$0")/to")
sed -i "s/^To: *$/To: $to/" "$1"
printf '%s\\n' "The answer is under the oak tree." >> "$1"
"""


def wait_sent(smtpd, n):
    return base.wait_server(lambda: len(smtpd.messages()) >= n, WAIT)


def new_message(t, run, env, to, what):
    with open(os.path.join(env.dir, "to"), "w") as f:
        f.write(to)
    run.term.keys("M")
    ok, lines = screen_has(run, "Review:")
    t.ok(ok, what + ": M, the review screen", "\n".join(lines))


def check_opportunistic(t, run, env, k, smtpd):
    new_message(t, run, env, "bob@example.org", "opportunistic")
    ok, lines = screen_has(run, "Sign: no  Encrypt: if every recipient has a key")
    t.ok(ok, "crypt_opportunistic_encrypt: the review says so", "\n".join(lines))
    run.term.keys("y")
    t.ok(wait_sent(smtpd, 1), "y: sent to Bob")
    raw = smtpd.messages()[-1][1] if smtpd.messages() else b""
    t.ok(b"oak tree" not in raw, "Bob has a key: the text is not in clear")
    plain, status = csend.decrypt(t, k, raw, k.other, "opportunistic (Bob)")
    t.ok(plain is not None and b"oak tree" in plain, "Bob's key decrypts it", status)

    new_message(t, run, env, "nokey@example.org", "opportunistic, no key")
    ok, lines = screen_has(run, "Encrypt: if every recipient has a key")
    t.ok(ok, "no key: the review says the same", "\n".join(lines))
    run.term.keys("y")
    t.ok(wait_sent(smtpd, 2), "y: sent although nokey@ has no key")
    raw = smtpd.messages()[-1][1] if len(smtpd.messages()) > 1 else b""
    t.ok(b"oak tree" in raw and b"multipart/encrypted" not in raw,
         "no key: sent in clear", repr(raw[:400]))
    ok, lines = run.wait_message("Sent:")
    t.ok(ok and "key" not in lines[base.HEIGHT - 1],
         "no key: the message line says nothing about keys", "\n".join(lines))

    new_message(t, run, env, "nokey@example.org", "E from opportunistic")
    run.term.keys("E")
    ok, lines = screen_has(run, "Sign: no  Encrypt: yes")
    t.ok(ok, "E turns 'if every recipient has a key' into yes", "\n".join(lines))
    run.term.keys("y")
    ok, lines = run.wait_message("nokey@example.org")
    t.ok(ok, "explicit yes: refused, the address without a key named", "\n".join(lines))
    t.eq(len(smtpd.messages()), 2, "nothing more was sent")
    run.term.keys("q")
    screen_has(run, "Drop this message")
    run.term.keys("y")


def check_reply_unopened(t, run, k, smtpd):
    n = len(smtpd.messages())
    run.term.keys("g", "r")  # the newest: Bob's encrypted message, never opened
    ok, lines = screen_has(run, "Sign: no  Encrypt: yes")
    t.ok(ok, "r in the list on an unopened encrypted message: review, Encrypt: yes",
         "\n".join(lines))
    run.term.keys("y")
    t.ok(wait_sent(smtpd, n + 1), "y: the reply is sent")
    raw = smtpd.messages()[-1][1] if len(smtpd.messages()) > n else b""
    t.ok(b"Where is it?" not in raw, "the reply is not in clear")
    plain, status = csend.decrypt(t, k, raw, k.other, "reply from the list (Bob)")
    t.ok(plain is not None and b"> Where is it?" in plain,
         "the reply quotes the decrypted text of a message never opened",
         repr(plain)[:600] + status)


def check_reply_tagged(t, run, k, smtpd):
    """; r on the two messages tagged (the encrypted one and the fixture's
    plain one), none open: one reply, starting encrypted, quoting both
    texts, the encrypted one decrypted. The fixture's sender has no key, so
    y refuses it by name and nothing is sent."""
    n = len(smtpd.messages())
    run.term.keys("g", "t", "t", "\\;", "r")
    ok, lines = screen_has(run, "Sign: no  Encrypt: yes")
    t.ok(ok, "; r on tagged messages, one of them encrypted: review, Encrypt: yes",
         "\n".join(lines))
    ok, lines = screen_has(run, "> Where is it?")
    t.ok(ok and sum(1 for l in lines if l.rstrip().endswith("wrote:")) == 2,
         "; r quotes the encrypted original decrypted, and the plain one, each under its "
         "attribution", "\n".join(lines))
    run.term.keys("y")
    ok, lines = run.wait_message("walter.x69@example.net")
    t.ok(ok, "y: refused, the recipient without a key named", "\n".join(lines))
    t.eq(len(smtpd.messages()), n, "nothing was sent in clear")
    run.term.keys("q")
    screen_has(run, "Drop this message")
    run.term.keys("y")
    run.term.keys("C-t")


def cache_holds(env, needle):
    """Whether any file of the cache (the database, its WAL) holds needle."""
    for root, _, files in os.walk(os.path.join(env.dir, "cache")):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                if needle in f.read():
                    return True
    return False


def open_encrypted(t, run, what):
    run.term.keys("g", "Enter")
    ok, lines = screen_has(run, "Where is it?")
    t.ok(ok, what + ": the viewer shows the decrypted text", "\n".join(lines))


def check_cache_decrypted(t, env, config):
    with open(config, "a") as f:
        f.write("[ui]\ncache_decrypted = true\n")
    run = Run(env, config, os.path.join(env.dir, "editor.sh"))
    try:
        ok, lines = races.wait_loaded(run, 2)
        t.ok(ok, "cache_decrypted = true: INBOX loaded", "\n".join(lines))
        open_encrypted(t, run, "cache_decrypted = true")
        t.ok(base.wait_server(lambda: cache_holds(env, b"Where is it?"), WAIT),
             "cache_decrypted = true: the decrypted text is in the cache")
        run.term.keys("q", "q")
        t.eq(run.exit_code(), "0", "cache_decrypted = true: quits with status 0")
        t.eq(run.err(), "", "cache_decrypted = true: nothing on stderr")
    finally:
        run.kill()
    r = env.tern("--offline", "search", "INBOX", "body:where")
    t.ok(r.returncode == 0 and b"a secret for Alice" in r.stdout,
         "a body: search of the cache finds the decrypted text",
         (r.stdout + r.stderr).decode())


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
        c.append("INBOX", None, None, k.pgp_encrypted(
            cryptolib.headers("a secret for Alice", "<tui-enc-list@t>", frm=cryptolib.BOB),
            cryptolib.text_entity("Where is it?\n"), to=k.alice, home=k.other))
        c.logout()
        port = ternlib.free_port()
        smtpd = ternlib.Smtpd(port, os.path.join(env.dir, "spool"))
        config = srv.tern_config(env.config, tls="none", extra=(
            "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
            "from = %s\ncrypt_opportunistic_encrypt = true\n" % (port, cryptolib.ALICE)))
        editor = os.path.join(env.dir, "editor.sh")
        with open(editor, "w") as f:
            f.write(EDITOR)
        os.chmod(editor, 0o755)
        run = Run(env, config, editor)
        ok, lines = races.wait_loaded(run, 2)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        check_opportunistic(t, run, env, k, smtpd)
        check_reply_unopened(t, run, k, smtpd)
        check_reply_tagged(t, run, k, smtpd)
        open_encrypted(t, run, "cache_decrypted unset")
        run.term.keys("q", "q")
        t.eq(run.exit_code(), "0", "quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
        box = json.loads(env.tern("outbox", "--json").stdout.decode())
        t.eq(box, [], "nothing is left in the outbox")
        run.kill()
        run = None
        t.ok(not cache_holds(env, b"Where is it?"),
             "cache_decrypted unset: nothing decrypted is in the cache's files")
        check_cache_decrypted(t, env, config)
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

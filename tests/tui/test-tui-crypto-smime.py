#!/usr/bin/env python3
"""S/MIME in the interface and gpgsm's pinentry (issue 15), in tmux against
the test Dovecot, certificates made by openssl and imported into a
throwaway gpgsm.

An enveloped-data message to Carol (a key without a passphrase) is
decrypted in the viewer. One to Pam, whose key has a passphrase the agent
has not cached, is not: the status says the key needs its passphrase, and
gpg-agent's pinentry (a script that leaves a mark) never ran over tern's
screen; tern quits cleanly."""
import importlib.util
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

WAIT = 60  # gpgsm under a sanitizer build on a loaded machine


def screen_has(run, text):
    return run.term.wait(lambda ls: any(text in l for l in ls), WAIT)


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed (tools/deps.sh)")
    srv = ternlib.start_server(t, folders={"INBOX": 1})
    env = ternlib.Env()
    k = None
    run = None
    try:
        k = cryptolib.Keys(env.dir)
        env.env["GNUPGHOME"] = k.home
        base_dir = os.path.join(env.dir, "sm")
        os.makedirs(base_dir)
        k.smime_party(base_dir, "Carol Cert", cryptolib.CAROL, k.home, [])
        k.smime_party(base_dir, "Pam Protected", "pam@example.org", k.home, [],
                      passphrase="pam-secret")
        mark = os.path.join(env.dir, "pinentry-ran")
        pinentry = os.path.join(env.dir, "pinentry-mark.sh")
        with open(pinentry, "w") as f:
            f.write("#!/bin/sh\ntouch '%s'\nexit 1\n" % mark)
        os.chmod(pinentry, 0o755)
        with open(os.path.join(k.home, "gpg-agent.conf"), "a") as f:
            f.write("pinentry-program %s\n" % pinentry)
        k.kill_agents()  # no passphrase cached from the import
        c = srv.imap()
        for who, date, mid, text in ((cryptolib.CAROL, "2037", "<sm-carol@t>",
                                      "Carol's word is walnut\n"),
                                     ("pam@example.org", "2036", "<sm-pam@t>",
                                      "Pam's word is hazelnut\n")):
            hdrs = cryptolib.headers("for " + who, mid).replace(b"2037", date.encode())
            c.append("INBOX", None, None,
                     k.smime_enveloped_to(who, hdrs, cryptolib.text_entity(text)))
        c.logout()
        config = srv.tern_config(env.config, tls="none")
        run = races.Run(env, config)
        ok, lines = races.wait_loaded(run, 3)
        t.ok(ok, "INBOX loaded", "\n".join(lines))
        time.sleep(1)
        run.term.keys("g", "Enter")
        ok, lines = screen_has(run, "Carol's word is walnut")
        t.ok(ok, "S/MIME to Carol: the viewer shows the decrypted text", "\n".join(lines))
        run.term.keys("q", "g", "j", "Enter")
        ok, lines = screen_has(run, "needs its passphrase")
        t.ok(ok, "S/MIME to Pam: not decrypted, the status says the key needs its "
             "passphrase", "\n".join(lines))
        t.ok(not any("hazelnut" in l for l in lines), "S/MIME to Pam: no text")
        t.ok(not os.path.exists(mark),
             "gpg-agent's pinentry never ran over the interface's screen")
        run.term.keys("q", "q")
        t.eq(run.exit_code(), "0", "quits with status 0")
        t.eq(run.err(), "", "nothing on stderr")
        run.kill()
        run = None
    except BaseException:
        if run is not None:
            t.diag("screen:\n" + "\n".join(run.term.screen()))
        raise
    finally:
        if run is not None:
            run.kill()
        if k is not None:
            k.kill_agents()
        srv.stop()
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)

#!/usr/bin/env python3
"""Signed and encrypted mail in tern show and tern show --json (issue 15,
Reading), against the test Dovecot.

Throwaway GnuPG homes (tests/lib/cryptolib.py): tern's holds Alice's key
and Carol's S/MIME certificate; Bob's key lives in another home only.
Messages made by gpg and openssl are appended: PGP/MIME signed (good, one
byte changed, by the unknown Bob, signed by Alice with From: someone else,
a signed part next to an unsigned one, a signed message attached to an
unsigned one), encrypted to Alice (with an attachment inside; and signed
too), encrypted to Bob, S/MIME signed and enveloped, inline PGP signed
with text around it and an armored encrypted block. Each is checked in
the JSON crypto object, in the status lines `tern show` prints first
("[tern] ..."), and in the text shown."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import cryptolib  # noqa: E402
import ternlib  # noqa: E402

SECRET = "the secret text is pumpernickel"
ATTACHMENT = bytes(range(256)) * 4


def messages(k):
    h = cryptolib.headers
    te = cryptolib.text_entity
    msgs = {}
    msgs["good"] = k.pgp_signed(h("signed good", "<c-good@t>"), te("Signed by Alice.\n"))
    msgs["bad"] = k.pgp_signed(h("signed bad", "<c-bad@t>"), te("Signed by Alice.\n"),
                               tamper=(b"Alice", b"Alicf"))
    msgs["unknown"] = k.pgp_signed(h("signed unknown", "<c-unknown@t>",
                                     frm="Bob Stranger <bob@example.org>"),
                                   te("Signed by Bob.\n"), home=k.other, signer=k.bob)
    msgs["notfrom"] = k.pgp_signed(h("signed not from", "<c-notfrom@t>",
                                     frm="Alice Signer <ceo@example.com>"),
                                   te("Alice's key, someone else's From.\n"))
    inner_signed = k.pgp_signed(b"", te("Only this part is signed.\n"))
    b = "outer-b"
    msgs["partial"] = (h("partially signed", "<c-partial@t>") +
                       ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                        "boundary=\"%s\"\r\n\r\n--%s\r\n" % (b, b)).encode() +
                       inner_signed.split(b"MIME-Version: 1.0\r\n", 1)[1] +
                       ("\r\n--%s\r\nContent-Type: text/plain\r\n\r\n"
                        "This footer is not signed.\r\n--%s--\r\n" % (b, b)).encode())
    signed_msg = msgs["good"]
    msgs["forwarded"] = (h("forwarded signed", "<c-fwd@t>", frm="Mallory <m@example.org>") +
                         ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                          "boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: text/plain\r\n\r\n"
                          "See the attached message.\r\n--%s\r\n"
                          "Content-Type: message/rfc822\r\n\r\n" % (b, b, b)).encode() +
                         signed_msg + ("\r\n--%s--\r\n" % b).encode())
    msgs["encrypted"] = k.pgp_encrypted(
        h("encrypted", "<c-enc@t>"),
        cryptolib.mixed_entity(SECRET, "inside.bin", ATTACHMENT), to=k.alice)
    msgs["encsigned"] = k.pgp_encrypted(h("encrypted and signed", "<c-encsig@t>"),
                                        te(SECRET + "\n"), to=k.alice, sign=True)
    msgs["enc-unknown"] = k.pgp_encrypted(h("encrypted to Bob", "<c-encbob@t>"),
                                          te("for Bob only\n"), to=k.bob, home=k.other)
    msgs["smime-signed"] = k.smime_signed(
        h("smime signed", "<c-ss@t>", frm="Carol Cert <carol@example.org>"),
        te("S/MIME signed text.\n"))
    msgs["smime-enc"] = k.smime_enveloped(
        h("smime enveloped", "<c-se@t>", frm="Carol Cert <carol@example.org>"),
        te("S/MIME secret text.\n"))
    clear = k.clearsign("The signed lines.\nSecond signed line.\n")
    msgs["inline"] = cryptolib.plain(
        h("inline signed", "<c-inline@t>"),
        "Text before the block, not signed.\n\n" + clear + "\nText after, not signed.\n")
    msgs["inline-all"] = cryptolib.plain(h("inline all", "<c-inline-all@t>"),
                                         k.clearsign("Everything here is signed.\n"))
    msgs["inline-enc"] = cryptolib.plain(h("inline encrypted", "<c-inline-enc@t>"),
                                         k.armor_encrypt("inline secret words\n", k.alice))
    msgs["plain"] = cryptolib.plain(h("plain", "<c-plain@t>"), "Nothing special.\n")
    ed, rita = k.expired_and_revoked()
    msgs["expired"] = k.pgp_signed(h("signed expired", "<c-exp@t>",
                                     frm="Ed Expired <ed@example.org>"),
                                   te("Signed while Ed's key was valid.\n"), signer=ed,
                                   when="20200101T120000!")
    msgs["revoked"] = k.pgp_signed(h("signed revoked", "<c-rev@t>",
                                     frm="Rita Revoked <rita@example.org>"),
                                   te("Signed by Rita before the revocation.\n"), signer=rita)
    rita_part = k.pgp_signed(b"", te("Signed by Rita.\n"), signer=rita).split(
        b"MIME-Version: 1.0\r\n", 1)[1]
    k.revoke_rita()
    # the display name claims Alice; the address is Mallory's
    msgs["spoofname"] = k.pgp_signed(h("signed spoofed name", "<c-spoofname@t>",
                                       frm="\"Alice Signer <alice@example.org>\" "
                                           "<mallory@example.net>"),
                                     te("Mallory got Alice to sign this.\n"))
    many = "".join("--m\r\n" + inner_signed.split(b"MIME-Version: 1.0\r\n", 1)[1].decode() +
                   "\r\n" for _ in range(40))
    msgs["many"] = (h("many signed parts", "<c-many@t>") +
                    ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\""
                     "\r\n\r\n%s--m--\r\n" % many).encode())
    msgs["alternative"] = (h("signed alternative", "<c-alt@t>") +
                           ("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; "
                            "boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\n"
                            "The unsigned plain text the reader sees.\r\n--a\r\n").encode() +
                           inner_signed.split(b"MIME-Version: 1.0\r\n", 1)[1] +
                           b"\r\n--a--\r\n")
    enc_inner = k.pgp_encrypted(b"", te(SECRET + "\n"), to=k.alice)
    msgs["partenc"] = (h("partly encrypted", "<c-partenc@t>") +
                       ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\""
                        "\r\n\r\n--p\r\nContent-Type: text/plain\r\n\r\n"
                        "Sent in clear, before.\r\n--p\r\n").encode() +
                       enc_inner.split(b"MIME-Version: 1.0\r\n", 1)[1] + b"\r\n--p--\r\n")
    msgs["fwd-enc"] = (h("forwarded encrypted", "<c-fwdenc@t>") +
                       ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\""
                        "\r\n\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n"
                        % (b, b)).encode() + msgs["encrypted"] + ("\r\n--%s--\r\n" % b).encode())
    bad_inner = k.pgp_signed(b"", te("Wire the money to Mallory.\n"),
                             tamper=(b"Mallory", b"Mallorz"))
    msgs["mixed"] = (h("good and bad parts", "<c-mixed@t>") +
                     ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\""
                      "\r\n\r\n--%s\r\n" % (b, b)).encode() +
                     inner_signed.split(b"MIME-Version: 1.0\r\n", 1)[1] +
                     ("\r\n--%s\r\n" % b).encode() +
                     bad_inner.split(b"MIME-Version: 1.0\r\n", 1)[1] +
                     ("\r\n--%s--\r\n" % b).encode())
    msgs["two-signers"] = (h("two signers", "<c-two@t>") +
                           ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                            "boundary=\"%s\"\r\n\r\n--%s\r\n" % (b, b)).encode() +
                           inner_signed.split(b"MIME-Version: 1.0\r\n", 1)[1] +
                           ("\r\n--%s\r\n" % b).encode() +
                           rita_part +
                           ("\r\n--%s--\r\n" % b).encode())
    msgs["inline-broken"] = cryptolib.plain(
        h("inline broken", "<c-inline-broken@t>"),
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nno end marker\n"
        "-----BEGIN PGP MESSAGE-----\ngarbage\n")
    return msgs


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed (tools/deps.sh)")
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    keys = None
    try:
        keys = cryptolib.Keys(env.dir)
        keys.smime_setup(env.dir)
        env.env["GNUPGHOME"] = keys.home
        srv.tern_config(env.config, tls="none")
        msgs = messages(keys)
        uids = {}
        c = srv.imap()
        for name, data in msgs.items():
            typ, resp = c.append("INBOX", None, None, data)
            t.ok(typ == "OK", "%s: appended" % name, repr(resp))
        c.select("INBOX", readonly=True)
        for name in msgs:
            mid = msgs[name].split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
            typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", '"%s"' % mid)
            uids[name] = data[0].split()[-1].decode()
        c.logout()
        run_checks(t, env, keys, uids)
    finally:
        if keys is not None:
            keys.kill_agents()
        env.cleanup()
        srv.stop()


def show(t, env, uid, *extra):
    r = env.tern("--no-cache", "show", "INBOX", uid, *extra)
    if r.returncode != 0:
        t.diag("tern show %s: %d %r" % (uid, r.returncode, r.stderr[:500]))
    return r


def crypto_of(t, env, uid, name):
    r = show(t, env, uid, "--json")
    t.eq(r.returncode, 0, "%s: show --json exits 0" % name)
    try:
        doc = json.loads(r.stdout.decode())
    except ValueError as e:
        t.ok(False, "%s: one JSON document" % name, "%s %r" % (e, r.stdout[:300]))
        return {}, {}
    return doc, doc.get("crypto") or {}


def status_lines(r):
    return [l for l in r.stdout.decode(errors="replace").splitlines() if l.startswith("[tern] ")]


def run_checks(t, env, k, uids):
    doc, cr = crypto_of(t, env, uids["good"], "good")
    t.eq((cr.get("protocol"), cr.get("signature"), cr.get("signed_part"), cr.get("signer"),
          cr.get("key"), cr.get("trust"), cr.get("signer_matches_from"), cr.get("encrypted")),
         ("openpgp", "good", "all", cryptolib.ALICE, k.alice, "full", True, False),
         "good: openpgp, good, all, the signer and fingerprint from the key, trust full, "
         "address matches From, not encrypted")
    r = show(t, env, uids["good"])
    st = status_lines(r)
    t.ok(len(st) >= 1 and st[0].startswith("[tern] Good signature (OpenPGP) from " +
                                           cryptolib.ALICE) and k.alice in st[0],
         "good: tern show's first line is tern's status line", repr(st))
    t.ok(r.stdout.decode().startswith("[tern] "), "good: the status comes before the headers")
    t.ok("Signed by Alice." in r.stdout.decode() and "not verified" not in r.stdout.decode(),
         "good: the text is shown, no 'not verified' notice")

    doc, cr = crypto_of(t, env, uids["bad"], "bad")
    t.eq((cr.get("signature"), cr.get("signed_part")), ("bad", "all"),
         "bad: one byte changed is a bad signature")
    r = show(t, env, uids["bad"])
    t.eq(r.returncode, 0, "bad: a bad signature is a finding, exit 0")
    t.ok(any("BAD signature" in l for l in status_lines(r)), "bad: the status says BAD",
         repr(status_lines(r)))

    doc, cr = crypto_of(t, env, uids["unknown"], "unknown")
    t.eq((cr.get("signature"), cr.get("signer"), cr.get("trust")), ("unknown-key", None, None),
         "unknown: Bob's key is unknown, no signer claimed")
    t.ok(cr.get("key") and k.bob.endswith(cr["key"]), "unknown: the key id is given",
         repr(cr.get("key")))
    r = show(t, env, uids["unknown"])
    t.ok(any("unknown key" in l and cr.get("key", "?") in l for l in status_lines(r)),
         "unknown: the status names the key", repr(status_lines(r)))

    doc, cr = crypto_of(t, env, uids["notfrom"], "notfrom")
    t.eq((cr.get("signature"), cr.get("signer_matches_from")), ("good", False),
         "notfrom: good, but the key's address is not From's")
    r = show(t, env, uids["notfrom"])
    t.ok(any("NOT the From address" in l for l in status_lines(r)),
         "notfrom: the status says so", repr(status_lines(r)))

    doc, cr = crypto_of(t, env, uids["partial"], "partial")
    t.eq((cr.get("signature"), cr.get("signed_part")), ("good", "partial"),
         "partial: a signed part next to an unsigned one is partial")
    r = show(t, env, uids["partial"])
    out = r.stdout.decode()
    t.ok(any("Only PART" in l for l in status_lines(r)), "partial: the status says so")
    t.ok(out.find("[-- Begin signed part --]") < out.find("Only this part is signed.") <
         out.find("[-- End of signed part --]") < out.find("This footer is not signed."),
         "partial: markers around the signed part, the footer outside", out)

    doc, cr = crypto_of(t, env, uids["forwarded"], "forwarded")
    t.eq((cr.get("signature"), cr.get("signed_part"), cr.get("signer")), ("none", "none", None),
         "forwarded: an attached signed message lends no signature")
    t.eq(status_lines(show(t, env, uids["forwarded"])), [], "forwarded: no status line")

    doc, cr = crypto_of(t, env, uids["encrypted"], "encrypted")
    t.eq((cr.get("protocol"), cr.get("encrypted"), cr.get("decrypted"), cr.get("signature")),
         ("openpgp", True, True, "none"), "encrypted: decrypted, not signed")
    t.ok(len(cr.get("recipients", [])) == 1, "encrypted: one recipient key",
         repr(cr.get("recipients")))
    t.ok(SECRET in doc.get("text", ""), "encrypted: the decrypted text is shown",
         repr(doc.get("text")))
    t.eq([(p["filename"], p["size"]) for p in doc.get("parts", [])],
         [("inside.bin", len(ATTACHMENT))], "encrypted: the attachment inside is listed")
    r = show(t, env, uids["encrypted"])
    t.ok(any(l.startswith("[tern] Encrypted (OpenPGP) to key") and "decrypted" in l
             for l in status_lines(r)), "encrypted: the status line", repr(status_lines(r)))
    save = os.path.join(env.dir, "save")
    os.makedirs(save)
    r = env.tern("--no-cache", "save", "INBOX", uids["encrypted"], "1", "-o", save)
    t.eq(r.returncode, 0, "encrypted: tern save of the part inside exits 0 (%r)" % r.stderr)
    path = os.path.join(save, "inside.bin")
    t.ok(os.path.exists(path) and open(path, "rb").read() == ATTACHMENT,
         "encrypted: the saved attachment is the decrypted one")

    doc, cr = crypto_of(t, env, uids["encsigned"], "encsigned")
    t.eq((cr.get("encrypted"), cr.get("decrypted"), cr.get("signature"), cr.get("signed_part"),
          cr.get("signer")), (True, True, "good", "all", cryptolib.ALICE),
         "encsigned: decrypted and a good signature inside")

    doc, cr = crypto_of(t, env, uids["enc-unknown"], "enc-unknown")
    t.eq((cr.get("encrypted"), cr.get("decrypted")), (True, False),
         "enc-unknown: encrypted, not decrypted")
    t.eq(cr.get("recipients"), [k.bob_subkey.upper()],
         "enc-unknown: Bob's encryption key is listed")
    t.ok(cr.get("error") and "secret key" in cr["error"].lower(),
         "enc-unknown: the error says there is no secret key", repr(cr.get("error")))
    r = show(t, env, uids["enc-unknown"])
    t.eq(r.returncode, 0, "enc-unknown: exit 0")
    st = status_lines(r)
    t.ok(any("NOT decrypted" in l and "secret key" in l.lower() for l in st),
         "enc-unknown: a clear status line", repr(st))
    t.ok("for Bob only" not in r.stdout.decode(), "enc-unknown: nothing decrypted shown")

    doc, cr = crypto_of(t, env, uids["smime-signed"], "smime-signed")
    t.eq((cr.get("protocol"), cr.get("signature"), cr.get("signed_part"),
          cr.get("signer_matches_from")), ("smime", "good", "all", True),
         "smime-signed: good S/MIME signature from Carol")
    t.ok("S/MIME signed text." in doc.get("text", ""), "smime-signed: its text is shown")

    doc, cr = crypto_of(t, env, uids["smime-enc"], "smime-enc")
    t.eq((cr.get("protocol"), cr.get("encrypted"), cr.get("decrypted")), ("smime", True, True),
         "smime-enc: S/MIME enveloped-data decrypted")
    t.ok("S/MIME secret text." in doc.get("text", ""), "smime-enc: the text is shown",
         repr(doc.get("text")))

    doc, cr = crypto_of(t, env, uids["inline"], "inline")
    t.eq((cr.get("protocol"), cr.get("signature"), cr.get("signed_part"), cr.get("inline"),
          cr.get("signer")), ("openpgp", "good", "partial", True, cryptolib.ALICE),
         "inline: a good inline signature covering part of the text")
    r = show(t, env, uids["inline"])
    out = r.stdout.decode()
    order = [out.find(s) for s in ("[-- The following text is NOT signed or encrypted --]",
                                   "Text before the block",
                                   "[-- Begin OpenPGP signed text --]", "The signed lines.",
                                   "Second signed line.", "[-- End of OpenPGP signed text --]",
                                   "Text after, not signed.")]
    t.ok(-1 not in order and order == sorted(order) and
         out.count("[-- The following text is NOT signed or encrypted --]") == 2,
         "inline: the signed lines between markers, the text around marked unsigned", out)
    t.ok("BEGIN PGP" not in out, "inline: the armor is not shown as text")

    doc, cr = crypto_of(t, env, uids["inline-all"], "inline-all")
    t.eq((cr.get("signature"), cr.get("signed_part")), ("good", "all"),
         "inline-all: a block alone is all of the message")

    doc, cr = crypto_of(t, env, uids["inline-enc"], "inline-enc")
    t.eq((cr.get("encrypted"), cr.get("decrypted"), cr.get("inline")), (True, True, True),
         "inline-enc: an armored block decrypted")
    t.ok("inline secret words" in doc.get("text", ""), "inline-enc: its text shown")

    doc, cr = crypto_of(t, env, uids["expired"], "expired")
    t.eq((cr.get("signature"), cr.get("key")), ("expired", k.ed),
         "expired: a signature by a key that has expired")
    r = show(t, env, uids["expired"])
    t.ok(any("EXPIRED" in l for l in status_lines(r)), "expired: the status says so",
         repr(status_lines(r)))
    doc, cr = crypto_of(t, env, uids["revoked"], "revoked")
    t.eq((cr.get("signature"), cr.get("key")), ("revoked", k.rita),
         "revoked: a signature by a revoked key")
    r = show(t, env, uids["revoked"])
    t.ok(any("REVOKED" in l for l in status_lines(r)), "revoked: the status says so",
         repr(status_lines(r)))
    doc, cr = crypto_of(t, env, uids["spoofname"], "spoofname")
    t.eq((cr.get("signature"), cr.get("signer"), cr.get("signer_matches_from")),
         ("good", cryptolib.ALICE, False),
         "spoofname: Alice's name in From's display name does not make From Alice's")
    doc, cr = crypto_of(t, env, uids["many"], "many")
    t.eq((cr.get("signature"), cr.get("signed_part")), ("good", "partial"),
         "many: 40 signed parts, partial, checked up to the bound")
    r = show(t, env, uids["many"])
    out = r.stdout.decode()
    t.eq(out.count("[-- Begin signed part --]"), 16,
         "many: only MIME_MAX_CRYPTO_PARTS (16) are checked and framed")
    t.eq(out.count("[-- Signed (application/pgp-signature), not verified --]"), 24,
         "many: the rest are shown as not verified")
    doc, cr = crypto_of(t, env, uids["mixed"], "mixed")
    t.eq((cr.get("signature"), cr.get("signed_part"), cr.get("several_signers")),
         ("bad", "partial", False),
         "mixed: a good part does not vouch for a bad one beside it: the status is bad")
    doc, cr = crypto_of(t, env, uids["two-signers"], "two-signers")
    t.eq((cr.get("signed_part"), cr.get("several_signers")), ("partial", True),
         "two-signers: parts signed by different keys are said to be")
    r = show(t, env, uids["two-signers"])
    t.ok(any("DIFFERENT keys" in l for l in status_lines(r)), "two-signers: status line",
         repr(status_lines(r)))
    doc, cr = crypto_of(t, env, uids["many"], "many again")
    t.eq(cr.get("several_signers"), False, "many: 40 parts by one key are not several signers")

    doc, cr = crypto_of(t, env, uids["inline-broken"], "inline-broken")
    t.eq((cr.get("protocol"), cr.get("signature"), cr.get("encrypted")), (None, "none", False),
         "inline-broken: blocks without an end are text, not crypto")
    t.ok("no end marker" in doc.get("text", ""), "inline-broken: the text is shown")

    doc, cr = crypto_of(t, env, uids["alternative"], "alternative")
    t.eq((cr.get("signature"), cr.get("signed_part")), ("good", "partial"),
         "alternative: a signed alternative beside an unsigned one is partial")
    doc, cr = crypto_of(t, env, uids["partenc"], "partenc")
    t.eq((cr.get("encrypted"), cr.get("decrypted"), cr.get("partly_encrypted")),
         (True, True, True), "partenc: an encrypted part beside a clear one")
    r = show(t, env, uids["partenc"])
    out = r.stdout.decode()
    t.ok(any("Only PART of this message was encrypted" in l for l in status_lines(r)),
         "partenc: the status says so", repr(status_lines(r)))
    t.ok(out.find("Sent in clear, before.") < out.find("[-- Begin encrypted part --]") <
         out.find(SECRET) < out.find("[-- End of encrypted part --]"),
         "partenc: markers show where the encrypted content starts and ends", out)
    doc, cr = crypto_of(t, env, uids["fwd-enc"], "fwd-enc")
    t.eq((cr.get("encrypted"), cr.get("protocol")), (False, None),
         "fwd-enc: an encrypted message attached is not decrypted for the outer one")
    out = show(t, env, uids["fwd-enc"]).stdout.decode()
    t.ok(SECRET not in out and "could not be decrypted" not in out and
         "[-- Encrypted (application/pgp-encrypted), not decrypted" in out,
         "fwd-enc: nothing decrypted, and no claim that decrypting failed", out)

    doc, cr = crypto_of(t, env, uids["plain"], "plain")
    t.eq((cr.get("protocol"), cr.get("signature"), cr.get("encrypted")), (None, "none", False),
         "plain: neither")
    t.eq(status_lines(show(t, env, uids["plain"])), [], "plain: no status line")


if __name__ == "__main__":
    ternlib.run(main)

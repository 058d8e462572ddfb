#!/usr/bin/env python3
"""Writing signed and encrypted mail (PGP/MIME, issue 15 part c) from the
command line, against the test Dovecot and the test SMTP server.

Alice (tern's GnuPG home, tests/lib/cryptolib.py) sends to Bob, whose
public key tern's home is given; Bob's own home checks what arrives:
`tern send --sign` arrives as multipart/signed that gpg verifies as
Alice's; `--encrypt` (and `--sign --encrypt`) arrives as
multipart/encrypted that Bob's key and Alice's own key both decrypt, and
the Sent copy on Dovecot is the same bytes. A recipient without a key is
refused with its address named, nothing sent or queued; Bcc with
--encrypt is refused. `compose --print --encrypt` prints the ciphertext;
a reply to an encrypted message is encrypted by default
(pgp_encrypt_replies) and `pgp_sign = true` signs without a flag, as do
crypt_default_sign and crypt_default_encrypt (refusing a recipient without
a key); crypt_opportunistic_encrypt encrypts when every key is there and
sends in clear, silently, when one is missing. An
encrypted message interrupted after DATA and sent again from the outbox
is the same bytes both times (built once, never re-encrypted). Signing
with a passphrase-protected key when no pinentry can ask fails cleanly,
nothing sent or queued. With smime_key the same is S/MIME: multipart/signed
with application/pkcs7-signature and application/pkcs7-mime enveloped-data
that the recipient's gpgsm decrypts and verifies, a recipient without a
certificate refused by name."""
import base64
import email
import email.policy
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import cryptolib  # noqa: E402
import ternlib  # noqa: E402

SECRET = "the cipher text hides marzipan"


def eq(t, got, want, desc, diag=""):
    t.ok(got == want, desc, "got %r, want %r\n%s" % (got, want, diag))


def config(srv, env, port, extra=""):
    srv.tern_config(env.config, extra=(
        "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
        "from = %s\n%s" % (port, cryptolib.ALICE, extra)))


def draft(to, subject, body, bcc=None):
    return ("To: %s\n%sSubject: %s\n\n%s\n" % (to, "Bcc: %s\n" % bcc if bcc else "",
                                               subject, body)).encode()


def head_body(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


def mp_parts(raw):
    """The parts of a multipart entity, byte for byte (RFC 2046 delimiters)."""
    head, body = head_body(raw)
    msg = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)
    b = msg.get_param("boundary").encode()
    pieces = (b"\r\n" + body).split(b"\r\n--" + b)
    return [p[2:] for p in pieces[1:] if not p.startswith(b"--")], msg.get_content_type()


def gpg_status(k, home, *args, input=None):
    status = os.path.join(os.path.dirname(home), "status-%d" % os.getpid())
    try:
        out = k.gpg(home, "--status-file", status, *args, input=input)
    except RuntimeError as e:
        return None, str(e)
    with open(status) as f:
        return out, f.read()


def verify_signed(t, k, raw, what):
    parts, ctype = mp_parts(raw)
    eq(t, ctype, "multipart/signed", what + ": multipart/signed")
    if len(parts) != 2:
        t.ok(False, what + ": two parts", repr(raw[:600]))
        return
    d = os.path.dirname(k.other)
    data, sig = os.path.join(d, "signed.data"), os.path.join(d, "signed.sig")
    open(data, "wb").write(parts[0])
    open(sig, "wb").write(head_body(parts[1])[1])
    _, status = gpg_status(k, k.other, "--verify", sig, data)
    t.ok("GOODSIG" in status and ("VALIDSIG " + k.alice) in status,
         what + ": Bob's gpg verifies Alice's signature", status)


def decrypt(t, k, raw, home, what):
    parts, ctype = mp_parts(raw)
    eq(t, ctype, "multipart/encrypted", what + ": multipart/encrypted")
    if len(parts) != 2:
        return None, ""
    return gpg_status(k, home, "--decrypt", input=head_body(parts[1])[1])


def sent_copy(srv, mid):
    c = srv.imap()
    c.select("Sent", readonly=True)
    uids = c.uid("SEARCH", "HEADER", "Message-ID", mid)[1][0].split()
    data = c.uid("FETCH", uids[0], "(BODY.PEEK[])")[1][0][1] if len(uids) == 1 else None
    c.logout()
    return data


def outbox(env):
    return json.loads(env.tern("outbox", "--json").stdout.decode())


def last(smtpd):
    got = smtpd.messages()
    return got[-1][1] if got else b""


def test_sign(t, env, k, smtpd):
    r = env.tern("send", "--sign", input=draft("bob@example.org", "signed", "Signed text."))
    eq(t, r.returncode, 0, "send --sign: exit 0", r.stderr.decode())
    raw = last(smtpd)
    verify_signed(t, k, raw, "send --sign")
    t.ok(b"Signed text." in raw, "the signed text is readable")


def test_encrypt(t, srv, env, k, smtpd, sign):
    what = "send --encrypt" + (" --sign" if sign else "")
    args = ["send", "--encrypt"] + (["--sign"] if sign else [])
    r = env.tern(*args, input=draft("Bob <bob@example.org>", "enc", SECRET))
    eq(t, r.returncode, 0, what + ": exit 0", r.stderr.decode())
    raw = last(smtpd)
    t.ok(SECRET.encode() not in raw and b"marzipan" not in raw,
         what + ": the text is not in clear")
    plain, status = decrypt(t, k, raw, k.other, what + " (Bob)")
    t.ok(plain is not None and SECRET.encode() in plain,
         what + ": Bob's key decrypts it", status)
    if sign:
        t.ok("GOODSIG" in status and ("VALIDSIG " + k.alice) in status,
             what + ": and the signature inside is Alice's", status)
    plain, status = decrypt(t, k, raw, k.home, what + " (Alice)")
    t.ok(plain is not None and SECRET.encode() in plain,
         what + ": the sender's own key decrypts it too", status)
    mid = email.message_from_bytes(raw)["Message-ID"]
    t.ok(mid is not None and sent_copy(srv, mid) == raw,
         what + ": the Sent copy is the same bytes")


def test_refusals(t, env, smtpd):
    before = len(smtpd.messages())
    r = env.tern("send", "--encrypt", input=draft("bob@example.org, nokey@example.org",
                                                  "no key", SECRET))
    err = r.stderr.decode()
    t.ok(r.returncode != 0 and "nokey@example.org" in err and "bob@" not in err,
         "a recipient without a key: refused, that address named", err)
    r = env.tern("compose", "--to", "bob@example.org, stranger@example.com", "--encrypt",
                 "--body-file", "-", input=b"x\n")
    err = r.stderr.decode()
    t.ok(r.returncode != 0 and "stranger@example.com" in err,
         "compose --encrypt: refused the same way", err)
    r = env.tern("send", "--encrypt", input=draft("bob@example.org", "bcc", SECRET,
                                                  bcc="alice@example.org"))
    t.ok(r.returncode != 0 and "Bcc" in r.stderr.decode(), "--encrypt with Bcc: refused",
         r.stderr.decode())
    eq(t, len(smtpd.messages()), before, "nothing was sent")
    eq(t, outbox(env), [], "nothing is in the outbox")


def test_print_and_reply(t, srv, env, k, smtpd):
    r = env.tern("compose", "--to", "bob@example.org", "--subject", "printed", "--print",
                 "--sign", "--encrypt", "--body-file", "-", input=(SECRET + "\n").encode())
    eq(t, r.returncode, 0, "compose --print --sign --encrypt: exit 0", r.stderr.decode())
    plain, status = decrypt(t, k, r.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
                            k.other, "--print")
    t.ok(plain is not None and SECRET.encode() in plain and "GOODSIG" in status,
         "--print prints the signed and encrypted bytes", status)
    enc = k.pgp_encrypted(cryptolib.headers("for alice", "<c-enc-in@t>",
                                            frm=cryptolib.BOB),
                          cryptolib.text_entity("Bob's secret question\n"), to=k.alice,
                          home=k.other)
    c = srv.imap()
    c.append("INBOX", None, None, enc)
    c.select("INBOX", readonly=True)
    uid = c.uid("SEARCH", "HEADER", "Message-ID", "<c-enc-in@t>")[1][0].split()[-1].decode()
    c.logout()
    r = env.tern("reply", "INBOX", uid, "--print", "--body-file", "-", input=b"answer\n")
    t.ok(r.returncode == 0 and b"multipart/encrypted" in r.stdout and
         b"secret question" not in r.stdout,
         "a reply to an encrypted message is encrypted by default", r.stderr.decode())
    path = os.path.join(env.dir, "reply-draft.txt")
    r = env.tern("reply", "INBOX", uid, "-o", path)
    text = open(path).read() if os.path.exists(path) else ""
    t.ok(r.returncode == 0 and "\nX-Tern-Crypt: encrypt\n" in text,
         "reply -o: the draft says it will be encrypted", text + r.stderr.decode())
    before = len(smtpd.messages())
    r = env.tern("send", path)
    raw = last(smtpd) if len(smtpd.messages()) > before else b""
    t.ok(r.returncode == 0 and b"multipart/encrypted" in raw and b"X-Tern-Crypt" not in raw,
         "tern send of that draft encrypts it without --encrypt", r.stderr.decode())
    with open(path, "w") as f:
        f.write(text.replace("X-Tern-Crypt: encrypt", "X-Tern-Crypt: none"))
    r = env.tern("send", path)
    raw = last(smtpd)
    t.ok(r.returncode == 0 and b"multipart/encrypted" not in raw and b"X-Tern-Crypt" not in raw,
         "X-Tern-Crypt: none in the draft sends it in clear", r.stderr.decode())
    r = env.tern("reply", "INBOX", uid, "--print", "--no-encrypt", "--body-file", "-",
                 input=b"answer\n")
    t.ok(r.returncode == 0 and b"multipart/encrypted" not in r.stdout and
         b"> Bob's secret question" in r.stdout,
         "--no-encrypt: in clear, quoting the decrypted text", r.stderr.decode())


def test_default_sign(t, srv, env, k, smtpd):
    config(srv, env, smtpd.port, "pgp_sign = true\npgp_key = %s\n" % k.alice)
    r = env.tern("compose", "--to", "bob@example.org", "--subject", "default", "--print",
                 "--body-file", "-", input=b"signed by default\n")
    t.ok(r.returncode == 0 and b"multipart/signed" in r.stdout,
         "pgp_sign = true signs without --sign", r.stderr.decode())
    r = env.tern("compose", "--to", "bob@example.org", "--subject", "default", "--print",
                 "--no-sign", "--body-file", "-", input=b"not signed\n")
    t.ok(r.returncode == 0 and b"multipart/signed" not in r.stdout, "--no-sign overrides it")
    config(srv, env, smtpd.port, "pgp_key = 0123456789ABCDEF0123456789ABCDEF01234567\n")
    r = env.tern("send", "--sign", input=draft("bob@example.org", "badkey", "x"))
    t.ok(r.returncode != 0 and "0123456789ABCDEF" in r.stderr.decode(),
         "a pgp_key without a secret key: refused, the key named", r.stderr.decode())
    config(srv, env, smtpd.port)


def test_crypt_defaults(t, srv, env, k, smtpd):
    """crypt_default_sign, crypt_default_encrypt, crypt_opportunistic_encrypt:
    each changes what arrives, with no flag on the command line."""
    config(srv, env, smtpd.port, "crypt_default_sign = true\n")
    r = env.tern("send", input=draft("bob@example.org", "default sign", "Signed text."))
    eq(t, r.returncode, 0, "crypt_default_sign: exit 0", r.stderr.decode())
    verify_signed(t, k, last(smtpd), "crypt_default_sign = true")
    config(srv, env, smtpd.port, "crypt_default_sign = true\npgp_sign = true\n")
    r = env.tern("send", input=draft("bob@example.org", "both", "x"))
    t.ok(r.returncode == 78 and "crypt_default_sign" in r.stderr.decode(),
         "pgp_sign and crypt_default_sign together: a config error", r.stderr.decode())

    config(srv, env, smtpd.port, "crypt_default_encrypt = true\n")
    r = env.tern("send", input=draft("bob@example.org", "default encrypt", SECRET))
    eq(t, r.returncode, 0, "crypt_default_encrypt: exit 0", r.stderr.decode())
    raw = last(smtpd)
    plain, status = decrypt(t, k, raw, k.other, "crypt_default_encrypt (Bob)")
    t.ok(plain is not None and SECRET.encode() in plain and SECRET.encode() not in raw,
         "crypt_default_encrypt = true: encrypted, Bob's key decrypts it", status)
    before = len(smtpd.messages())
    r = env.tern("send", input=draft("nokey@example.org", "default encrypt", SECRET))
    t.ok(r.returncode != 0 and "nokey@example.org" in r.stderr.decode(),
         "crypt_default_encrypt: a recipient without a key is refused, named",
         r.stderr.decode())
    eq(t, len(smtpd.messages()), before, "crypt_default_encrypt without a key: nothing sent")
    r = env.tern("send", "--no-encrypt", input=draft("nokey@example.org", "clear", SECRET))
    t.ok(r.returncode == 0 and SECRET.encode() in last(smtpd),
         "--no-encrypt overrides crypt_default_encrypt", r.stderr.decode())

    config(srv, env, smtpd.port, "crypt_opportunistic_encrypt = true\n")
    r = env.tern("send", input=draft("bob@example.org", "opportunistic", SECRET))
    eq(t, r.returncode, 0, "crypt_opportunistic_encrypt, every key there: exit 0",
       r.stderr.decode())
    raw = last(smtpd)
    plain, status = decrypt(t, k, raw, k.other, "opportunistic (Bob)")
    t.ok(plain is not None and SECRET.encode() in plain and SECRET.encode() not in raw,
         "crypt_opportunistic_encrypt: every recipient has a key, so encrypted", status)
    r = env.tern("send", input=draft("bob@example.org, nokey@example.org", "opp clear",
                                     SECRET))
    raw = last(smtpd)
    t.ok(r.returncode == 0 and r.stderr == b"" and b"multipart/encrypted" not in raw and
         SECRET.encode() in raw and b"opp clear" in raw,
         "crypt_opportunistic_encrypt: one recipient without a key, sent in clear silently",
         r.stderr.decode())
    r = env.tern("send", "--no-encrypt", input=draft("bob@example.org", "opp no", SECRET))
    raw = last(smtpd)
    t.ok(r.returncode == 0 and b"multipart/encrypted" not in raw and b"opp no" in raw,
         "--no-encrypt overrides crypt_opportunistic_encrypt", r.stderr.decode())
    path = os.path.join(env.dir, "opp-draft.txt")
    r = env.tern("compose", "--to", "bob@example.org", "-o", path)
    text = open(path).read() if os.path.exists(path) else ""
    t.ok(r.returncode == 0 and "\nX-Tern-Crypt: opportunistic\n" in text,
         "compose -o: the draft says encryption is opportunistic", text + r.stderr.decode())
    config(srv, env, smtpd.port)


def test_no_pinentry(t, srv, env, k, smtpd):
    """A signing key with a passphrase, the agent's cache empty, and no
    terminal or display for a pinentry: signing fails at once, said so,
    and nothing is sent or queued."""
    pat = k.passphrase_key()
    k.kill_agents()
    config(srv, env, smtpd.port, "pgp_key = %s\n" % pat)
    before = len(smtpd.messages())
    saved = {v: env.env.pop(v, None) for v in ("DISPLAY", "WAYLAND_DISPLAY", "GPG_TTY")}
    r = env.tern("send", "--sign", input=draft("bob@example.org", "pat", "x"), timeout=300)
    env.env.update({v: val for v, val in saved.items() if val is not None})
    err = r.stderr.decode()
    t.ok(r.returncode != 0 and "not signed, nothing sent" in err,
         "no pinentry can ask for the passphrase: refused with a message", err)
    eq(t, len(smtpd.messages()), before, "no pinentry: nothing sent")
    eq(t, outbox(env), [], "no pinentry: nothing in the outbox")
    config(srv, env, smtpd.port)


def gpgsm_status(home, *args, input=None):
    """gpgsm's output and its status lines (None and stderr on failure)."""
    env = dict(os.environ, GNUPGHOME=home, LC_ALL="C")
    r = subprocess.run(["gpgsm", "--batch", "--status-fd", "2"] + list(args), input=input,
                       capture_output=True, env=env, timeout=300)
    status = r.stderr.decode(errors="replace")
    # one of two recipients' keys missing makes the exit status 2: look at
    # what it says instead
    ok = r.returncode == 0 or "DECRYPTION_OKAY" in status
    return (r.stdout if ok else None), status


def text_of(entity):
    """The decoded text/plain parts of a MIME entity (bytes)."""
    msg = email.message_from_bytes(entity)
    return b"".join(p.get_payload(decode=True) or b"" for p in msg.walk()
                    if p.get_content_type() == "text/plain")


def smime_verify(t, home, entity, what):
    """entity: a multipart/signed with application/pkcs7-signature; gpgsm in
    home checks its signature."""
    parts, ctype = mp_parts(cryptolib.crlf(entity.decode(errors="replace")).encode())
    eq(t, ctype, "multipart/signed", what + ": multipart/signed")
    if len(parts) != 2:
        return ""
    head = email.message_from_bytes(head_body(parts[1])[0] + b"\r\n\r\n")
    t.ok(head.get_content_type() == "application/pkcs7-signature",
         what + ": the signature is application/pkcs7-signature", str(head))
    d = os.path.dirname(home)
    data, sig = os.path.join(d, "sm.data"), os.path.join(d, "sm.sig")
    open(data, "wb").write(parts[0])
    open(sig, "wb").write(base64.b64decode(head_body(parts[1])[1]))
    _, status = gpgsm_status(home, "--verify", sig, data)
    return status


def smime_decrypt(t, home, raw, what):
    head, body = head_body(raw)
    msg = email.message_from_bytes(head + b"\r\n\r\n")
    t.ok(msg.get_content_type() == "application/pkcs7-mime" and
         msg.get_param("smime-type") == "enveloped-data",
         what + ": application/pkcs7-mime enveloped-data", str(msg))
    return gpgsm_status(home, "--decrypt", input=base64.b64decode(body))


def test_smime(t, srv, env, k, smtpd):
    """smime_key: Carol (a certificate and key in tern's gpgsm) writes S/MIME
    to Dave, whose certificate tern has; Dave's own gpgsm decrypts and
    verifies what arrives, and Carol's decrypts it too."""
    base = os.path.join(env.dir, "sm")
    os.makedirs(base)
    carol = k.smime_party(base, "Carol Cert", cryptolib.CAROL, k.home, [k.other])
    k.smime_party(base, "Dave Receiver", "dave@example.org", k.other, [k.home])
    srv.tern_config(env.config, extra=(
        "smtp_host = 127.0.0.1\nsmtp_port = %d\nsmtp_tls = none\nsmtp_auth = none\n"
        "from = Carol Cert <%s>\nsmime_key = %s\n" % (smtpd.port, cryptolib.CAROL, carol)))
    r = env.tern("send", "--sign", input=draft("dave@example.org", "smime signed", SECRET))
    eq(t, r.returncode, 0, "S/MIME --sign: exit 0", r.stderr.decode())
    raw = last(smtpd)
    status = smime_verify(t, k.other, raw, "S/MIME --sign")
    t.ok("GOODSIG" in status and ("VALIDSIG " + carol) in status,
         "S/MIME --sign: Dave's gpgsm verifies Carol's signature", status)

    r = env.tern("send", "--sign", "--encrypt",
                 input=draft("Dave <dave@example.org>", "smime both", SECRET))
    eq(t, r.returncode, 0, "S/MIME --sign --encrypt: exit 0", r.stderr.decode())
    raw = last(smtpd)
    t.ok(b"marzipan" not in raw, "S/MIME --encrypt: the text is not in clear")
    plain, status = smime_decrypt(t, k.other, raw, "S/MIME --sign --encrypt")
    t.ok(plain is not None and b"marzipan" in text_of(plain),
         "S/MIME: Dave's gpgsm decrypts it", status + repr(plain)[:600])
    if plain is not None:
        status = smime_verify(t, k.other, plain, "S/MIME signed inside")
        t.ok("GOODSIG" in status and ("VALIDSIG " + carol) in status,
             "S/MIME: and verifies Carol's signature inside", status)
    plain, status = smime_decrypt(t, k.home, raw, "S/MIME (Carol)")
    t.ok(plain is not None and b"marzipan" in text_of(plain),
         "S/MIME: the sender's own certificate decrypts it too", status)

    before = len(smtpd.messages())
    r = env.tern("send", "--encrypt", input=draft("dave@example.org, bob@example.org",
                                                  "smime nokey", SECRET))
    err = r.stderr.decode()
    t.ok(r.returncode != 0 and "bob@example.org" in err and "dave@" not in err and
         "S/MIME" in err,
         "S/MIME: a recipient without a certificate is refused, named", err)
    eq(t, len(smtpd.messages()), before, "S/MIME without a certificate: nothing sent")
    config(srv, env, smtpd.port)


def test_retry(t, srv, env, spool):
    port = ternlib.free_port()
    config(srv, env, port)
    smtpd = ternlib.Smtpd(port, spool, "drop")
    try:
        r = env.tern("send", "--sign", "--encrypt",
                     input=draft("bob@example.org", "retry", SECRET))
        eq(t, r.returncode, 74, "interrupted after DATA: held (exit 74)", r.stderr.decode())
    finally:
        smtpd.stop()
    box = outbox(env)
    t.ok(len(box) == 1, "held in the outbox", str(box))
    first = last(smtpd)
    smtpd = ternlib.Smtpd(port, spool + "-2")
    try:
        r = env.tern("outbox", "send", box[0]["message_id"] if box else "<none>")
        eq(t, r.returncode, 0, "outbox send: sent", r.stderr.decode())
        again = last(smtpd)
        t.ok(first != b"" and again == first,
             "the retry sends the same encrypted bytes (not encrypted again)")
    finally:
        smtpd.stop()


def main(t):
    if not cryptolib.have_tools():
        raise RuntimeError("gpg, gpgsm, gpgconf and openssl are needed")
    srv = ternlib.start_server(t, folders={"INBOX": 1, "Sent": 0})
    env = ternlib.Env()
    smtpd = None
    k = None
    try:
        k = cryptolib.Keys(env.dir)
        env.env["GNUPGHOME"] = k.home
        k.gpg(k.home, "--import", input=k.gpg(k.other, "--export", "--armor", k.bob))
        port = ternlib.free_port()
        config(srv, env, port)
        smtpd = ternlib.Smtpd(port, os.path.join(env.dir, "spool"))
        test_sign(t, env, k, smtpd)
        test_encrypt(t, srv, env, k, smtpd, False)
        test_encrypt(t, srv, env, k, smtpd, True)
        test_refusals(t, env, smtpd)
        test_print_and_reply(t, srv, env, k, smtpd)
        test_default_sign(t, srv, env, k, smtpd)
        test_crypt_defaults(t, srv, env, k, smtpd)
        test_no_pinentry(t, srv, env, k, smtpd)
        test_smime(t, srv, env, k, smtpd)
        smtpd.stop()
        smtpd = None
        test_retry(t, srv, env, os.path.join(env.dir, "spool-drop"))
    finally:
        if smtpd is not None:
            smtpd.stop()
        if k is not None:
            k.kill_agents()
        srv.stop()
        env.cleanup()


if __name__ == "__main__":
    ternlib.run(main)

"""Signed and encrypted test messages made by gpg, gpgsm and openssl themselves
(issue 15). The tests may run these tools to build fixtures; tern may not.

Two throwaway GnuPG homes: tern's (Alice's secret key, an S/MIME
certificate and key for Carol in gpgsm, trusted) and another one (Bob's
secret key, unknown to tern's home). Keys have no passphrase."""
import base64
import os
import shutil
import subprocess

ALICE = "Alice Signer <alice@example.org>"
BOB = "Bob Stranger <bob@example.org>"
CAROL = "carol@example.org"


def _run(argv, home, input=None):
    env = dict(os.environ, GNUPGHOME=home, LC_ALL="C")
    env.pop("GPG_AGENT_INFO", None)
    r = subprocess.run(argv, input=input, capture_output=True, env=env, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0:3], r.returncode,
                                                   r.stderr.decode(errors="replace")))
    return r.stdout


def import_p12(home, key, cert, p12):
    """key and cert into home's gpgsm as a PKCS#12 with no passphrase.
    gpgsm decrypts such a file by trying the empty passphrase in one
    charset after another, and a wrong try passes 3DES-CBC's padding check
    about once in 256: it then fails to parse the key ("error parsing or
    decrypting the PKCS#12 file"), a few runs in a hundred. Each export has
    a fresh salt, so a new file is a new draw."""
    for attempt in range(8):
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", key, "-in", cert, "-out", p12,
                        "-passout", "pass:", "-keypbe", "PBE-SHA1-3DES", "-certpbe",
                        "PBE-SHA1-3DES", "-macalg", "sha1"],
                       check=True, capture_output=True, timeout=120)
        r = subprocess.run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase",
                            "", "--import", p12], env=dict(os.environ, GNUPGHOME=home),
                           capture_output=True, timeout=120)
        if r.returncode == 0:
            return
        if b"error parsing or decrypting the PKCS#12 file" not in r.stderr or attempt == 7:
            raise RuntimeError("gpgsm --import %s failed (%d): %s"
                               % (p12, r.returncode, r.stderr.decode(errors="replace")))


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


class Keys:
    """homes under base: base/g (tern's GNUPGHOME) and base/o (the other one).
    Short names: gpg-agent's socket path must stay short."""

    def __init__(self, base):
        self.home = os.path.join(base, "g")
        self.other = os.path.join(base, "o")
        for h in (self.home, self.other):
            os.makedirs(h, mode=0o700)
            with open(os.path.join(h, "gpg-agent.conf"), "w") as f:
                f.write("allow-loopback-pinentry\n")
        self.gpg(self.home, "--quick-gen-key", ALICE, "ed25519", "sign", "never")
        self.alice = self.fingerprint(self.home, "alice@example.org")
        self.gpg(self.home, "--quick-add-key", self.alice, "cv25519", "encr", "never")
        self.gpg(self.other, "--quick-gen-key", BOB, "ed25519", "sign", "never")
        self.bob = self.fingerprint(self.other, "bob@example.org")
        self.gpg(self.other, "--quick-add-key", self.bob, "cv25519", "encr", "never")
        self.bob_subkey = self.subkey_id(self.other, "bob@example.org")
        # the other side knows Alice (to encrypt to her), tern's side not Bob
        pub = self.gpg(self.home, "--export", "--armor", self.alice)
        self.gpg(self.other, "--import", input=pub)
        self.gpg(self.other, "--quick-lsign-key", self.alice)

    def gpg(self, home, *args, input=None):
        return _run(["gpg", "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback",
                     "--passphrase", ""] + list(args), home, input)

    def fingerprint(self, home, email):
        out = self.gpg(home, "--with-colons", "--list-keys", email).decode()
        for line in out.splitlines():
            if line.startswith("fpr:"):
                return line.split(":")[9]
        raise RuntimeError("no fingerprint for " + email)

    def expired_and_revoked(self):
        """Two more signing keys in tern's home: Ed, made and used in 2020 with a
        one-day lifetime (so expired now), and Rita, whose revocation
        certificate (the one gpg writes at key creation) is imported after
        she signs. Returns (ed, rita) fingerprints."""
        past = "--faked-system-time=20200101T000000!"
        self.gpg(self.home, past, "--quick-gen-key", "Ed Expired <ed@example.org>", "ed25519",
                 "sign", "1d")
        self.ed = self.fingerprint(self.home, "ed@example.org")
        self.gpg(self.home, "--quick-gen-key", "Rita Revoked <rita@example.org>", "ed25519",
                 "sign", "never")
        self.rita = self.fingerprint(self.home, "rita@example.org")
        return self.ed, self.rita

    def revoke_rita(self):
        path = os.path.join(self.home, "openpgp-revocs.d", self.rita + ".rev")
        text = open(path).read().replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----",
                                         "-----BEGIN PGP PUBLIC KEY BLOCK-----")
        self.gpg(self.home, "--import", input=text.encode())

    def passphrase_key(self, passphrase="pat-secret"):
        """Pat's key, in tern's home, protected by a passphrase. The agent
        caches it while making the key: kill_agents() forgets it."""
        def g(*args):
            return _run(["gpg", "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback",
                         "--passphrase", passphrase] + list(args), self.home)
        g("--quick-gen-key", "Pat Passphrase <pat@example.org>", "ed25519", "sign", "never")
        self.pat = self.fingerprint(self.home, "pat@example.org")
        g("--quick-add-key", self.pat, "cv25519", "encr", "never")
        return self.pat

    def subkey_id(self, home, email):
        out = self.gpg(home, "--with-colons", "--list-keys", email).decode()
        return [l.split(":")[4] for l in out.splitlines() if l.startswith("sub:")][0]

    def kill_agents(self):
        for h in (self.home, self.other):
            subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=h),
                           capture_output=True, timeout=60)

    # ---- S/MIME (gpgsm in tern's home, certificate made by openssl) ----

    def smime_setup(self, base):
        d = os.path.join(base, "x509")
        os.makedirs(d)
        self.smime_key = os.path.join(d, "key.pem")
        self.smime_cert = os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "3650", "-subj", "/CN=Carol Cert/emailAddress=" + CAROL,
                        "-addext", "subjectAltName=email:" + CAROL,
                        "-addext", "keyUsage=digitalSignature,keyEncipherment",
                        "-keyout", self.smime_key, "-out", self.smime_cert],
                       check=True, capture_output=True, timeout=120)
        with open(os.path.join(self.home, "gpgsm.conf"), "w") as f:
            f.write("disable-crl-checks\ndisable-policy-checks\n")
        import_p12(self.home, self.smime_key, self.smime_cert, os.path.join(d, "carol.p12"))
        out = _run(["gpgsm", "--with-colons", "--list-keys", CAROL], self.home).decode()
        fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
        with open(os.path.join(self.home, "trustlist.txt"), "a") as f:
            f.write("%s S relax\n" % fpr)
        _run(["gpgconf", "--reload", "gpg-agent"], self.home)
        self.carol = fpr

    def smime_party(self, base, cn, email, secret_home, public_homes, passphrase=""):
        """Another S/MIME certificate (openssl, self-signed) for email: its
        key in secret_home's gpgsm (protected by passphrase there), the
        certificate alone in each of public_homes; trusted (relax) in all of
        them. self.x509[email] = (key.pem, cert.pem). Returns the
        fingerprint."""
        d = os.path.join(base, "x509-" + email.split("@")[0])
        os.makedirs(d)
        key, cert, p12 = (os.path.join(d, n) for n in ("key.pem", "cert.pem", "p.p12"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "3650", "-subj", "/CN=%s/emailAddress=%s" % (cn, email),
                        "-addext", "subjectAltName=email:" + email,
                        "-addext", "keyUsage=digitalSignature,keyEncipherment",
                        "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=120)
        fpr = None
        for home, what in [(secret_home, p12)] + [(h, cert) for h in public_homes]:
            conf = os.path.join(home, "gpgsm.conf")
            if not os.path.exists(conf):
                with open(conf, "w") as f:
                    f.write("disable-crl-checks\ndisable-policy-checks\n")
            if what == p12:
                import_p12(home, key, cert, p12)
            else:
                _run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                      "--import", what], home)
            out = _run(["gpgsm", "--with-colons", "--list-keys", email], home).decode()
            fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
            with open(os.path.join(home, "trustlist.txt"), "a") as f:
                f.write("%s S relax\n" % fpr)
            _run(["gpgconf", "--reload", "gpg-agent"], home)
        if passphrase:
            self._smime_protect(secret_home, email, passphrase, d)
        if not hasattr(self, "x509"):
            self.x509 = {}
        self.x509[email] = (key, cert)
        return fpr

    def _smime_protect(self, home, email, passphrase, d):
        """Give the secret key of email's certificate in home a passphrase
        (gpgsm cannot import a protected PKCS#12 without a pinentry): the
        agent's PASSWD, answered in loopback mode."""
        out = _run(["gpgsm", "--with-colons", "--with-keygrip", "--list-secret-keys", email],
                   home).decode()
        grip = [l.split(":")[9] for l in out.splitlines() if l.startswith("grp:")][0]
        pw = os.path.join(d, "pw")
        with open(pw, "w") as f:
            f.write(passphrase)
        _run(["gpg-connect-agent", "OPTION pinentry-mode=loopback",
              "/definqfile NEW_PASSPHRASE " + pw, "PASSWD " + grip, "/bye"], home)
        os.unlink(pw)

    def smime_enveloped_to(self, email, headers, entity):
        """entity encrypted (openssl) to smime_party()'s certificate for email."""
        out = subprocess.run(["openssl", "smime", "-encrypt", "-aes256", "-crlfeol",
                              self.x509[email][1]],
                             input=entity, capture_output=True, check=True, timeout=60).stdout
        return headers + out

    def gpgsm(self, home, *args, input=None):
        return _run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""] +
                    list(args), home, input)

    def smime_signed(self, headers, entity):
        out = subprocess.run(["openssl", "smime", "-sign", "-signer", self.smime_cert,
                              "-inkey", self.smime_key, "-crlfeol"],
                             input=entity, capture_output=True, check=True, timeout=60).stdout
        return headers + out

    def smime_enveloped(self, headers, entity):
        out = subprocess.run(["openssl", "smime", "-encrypt", "-aes256", "-crlfeol",
                              self.smime_cert],
                             input=entity, capture_output=True, check=True, timeout=60).stdout
        return headers + out

    # ---- OpenPGP ----

    def pgp_signed(self, headers, entity, home=None, signer=None, tamper=None, when=None):
        """headers (bytes, CRLF, ending in a blank-line-less block) + a
        multipart/signed around entity (bytes, CRLF). when: a faked
        system time to sign at (\"20200101T120000!\")."""
        home = home or self.home
        extra = ["--faked-system-time=" + when] if when else []
        sig = self.gpg(home, *extra, "--detach-sign", "--armor", "--digest-algo", "SHA256",
                       "--local-user", signer or self.alice, input=entity)
        if tamper is not None:
            entity = entity.replace(tamper[0], tamper[1], 1)
        b = "tern-signed-boundary"
        return (headers +
                b"MIME-Version: 1.0\r\n"
                b"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
                b" protocol=\"application/pgp-signature\"; boundary=\"" + b.encode() + b"\"\r\n"
                b"\r\n--" + b.encode() + b"\r\n" + entity +
                b"\r\n--" + b.encode() + b"\r\n"
                b"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n" +
                crlf(sig.decode()).encode() +
                b"\r\n--" + b.encode() + b"--\r\n")

    def pgp_encrypted(self, headers, entity, to, home=None, sign=False):
        home = home or self.home
        args = ["--encrypt", "--armor", "--trust-model", "always", "-r", to]
        if sign:
            args = ["--sign", "--local-user", self.alice] + args
        data = self.gpg(home, *args, input=entity)
        b = "tern-encrypted-boundary"
        return (headers +
                b"MIME-Version: 1.0\r\n"
                b"Content-Type: multipart/encrypted;\r\n"
                b" protocol=\"application/pgp-encrypted\"; boundary=\"" + b.encode() + b"\"\r\n"
                b"\r\n--" + b.encode() + b"\r\n"
                b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
                b"\r\n--" + b.encode() + b"\r\n"
                b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n" +
                crlf(data.decode()).encode() +
                b"\r\n--" + b.encode() + b"--\r\n")

    def clearsign(self, text, home=None):
        return self.gpg(home or self.home, "--clearsign", "--local-user", self.alice,
                        input=text.encode()).decode()

    def armor_encrypt(self, text, to):
        return self.gpg(self.home, "--encrypt", "--armor", "--trust-model", "always", "-r", to,
                        input=text.encode()).decode()


def headers(subject, mid, frm="Alice Signer <alice@example.org>"):
    return ("From: %s\r\nTo: tern@example.org\r\nSubject: %s\r\n"
            "Date: Thu, 01 Jan 2037 12:00:00 +0000\r\nMessage-ID: %s\r\n"
            % (frm, subject, mid)).encode()


def text_entity(text):
    return crlf("Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + text).encode()


def mixed_entity(text, filename, data):
    b = "tern-inner-boundary"
    return crlf("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
                "--%s\r\nContent-Type: application/octet-stream\r\n"
                "Content-Disposition: attachment; filename=\"%s\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n"
                % (b, b, text, b, filename, base64.encodebytes(data).decode(), b)).encode()


def plain(hdrs, text):
    return hdrs + b"MIME-Version: 1.0\r\n" + text_entity(text)


def have_tools():
    return all(shutil.which(p) for p in ("gpg", "gpgsm", "gpgconf", "openssl"))

#!/usr/bin/env python3
"""Make test certificates with the openssl command (Python 3 stdlib only).

    certs.py DIR

writes into DIR (which must exist):
  ca.pem ca.key             a test CA
  server.key                the one key every server certificate uses
  server.pem                localhost, 127.0.0.1, ::1, signed by the CA
  other.pem                 other.example, signed by the CA
  expired.pem               localhost, 127.0.0.1, signed by the CA, expired
  selfsigned.pem            localhost, 127.0.0.1, self-signed
Importable: make_certs(dir).
"""

import os
import subprocess
import sys

LOCAL_SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"


def openssl(*args, cwd):
    subprocess.run(("openssl",) + args, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def ec_key(name, cwd):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", name, cwd=cwd)


def signed(name, cn, san, days, cwd):
    ext = name + ".ext"
    with open(os.path.join(cwd, ext), "w") as f:
        f.write(san + "\n")
    openssl("req", "-new", "-key", "server.key", "-subj", "/CN=" + cn,
            "-out", name + ".csr", cwd=cwd)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", str(days), "-extfile", ext,
            "-out", name + ".pem", cwd=cwd)
    os.unlink(os.path.join(cwd, name + ".csr"))
    os.unlink(os.path.join(cwd, ext))


def make_certs(d):
    ec_key("ca.key", d)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=tern test CA",
            "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem", cwd=d)
    ec_key("server.key", d)
    signed("server", "localhost", LOCAL_SAN, 30, d)
    signed("other", "other.example", "subjectAltName=DNS:other.example", 30, d)
    # -days -1: notAfter is a day before notBefore (now), so it has expired
    signed("expired", "localhost", LOCAL_SAN, -1, d)
    openssl("req", "-x509", "-new", "-key", "server.key", "-subj", "/CN=localhost",
            "-days", "30", "-addext", LOCAL_SAN, "-out", "selfsigned.pem", cwd=d)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: certs.py DIR")
    try:
        make_certs(sys.argv[1])
    except subprocess.CalledProcessError as e:
        sys.exit("certs.py: %s failed: %s" % (" ".join(e.cmd), e.stderr.decode(errors="replace")))

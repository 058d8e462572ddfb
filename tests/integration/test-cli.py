#!/usr/bin/env python3
"""The command line against a real Dovecot: every command, its output and
its exit codes, checked against the fixture generator and a second
connection (imaplib)."""
import json
import os
import re
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402
from ternlib import genmail  # noqa: E402

BIG = "Lists/tern-devel"


def jrun(t, env, *args):
    r = env.tern(*args)
    try:
        return r.returncode, json.loads(r.stdout.decode()), r
    except ValueError:
        t.diag("stdout: %r\nstderr: %r" % (r.stdout[:500], r.stderr[:500]))
        return r.returncode, None, r


def imap_uids(srv, folder, *criteria):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.uid("SEARCH", *criteria)
    c.logout()
    return sorted(int(x) for x in data[0].split())


def imap_uids_utf8(srv, folder, key, value):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    c.literal = value.encode("utf-8")
    typ, data = c.uid("SEARCH", "CHARSET", "UTF-8", key)
    c.logout()
    return sorted(int(x) for x in data[0].split())


def message_ids(srv, folder):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    c.logout()
    out = set()
    for item in data:
        if isinstance(item, tuple):
            m = re.search(rb"<[^>]+>", item[1])
            if m:
                out.add(m.group(0).decode())
    return out


def bodies_by_id(srv, folder):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.fetch("1:*", "(BODY.PEEK[])")
    c.logout()
    out = {}
    for item in data:
        if isinstance(item, tuple):
            m = re.search(rb"Message-ID: (<[^>]+>)", item[1])
            if m:
                out[m.group(1).decode()] = item[1]
    return out


def test_folders(t, srv, env, want):
    rc, folders, r = jrun(t, env, "folders", "--json")
    t.eq(rc, 0, "folders --json exits 0")
    if folders is None:
        return
    by_name = {f["name"]: f for f in folders}
    t.eq(sorted(by_name), sorted(want), "folders lists every folder, names decoded")
    t.ok(all(by_name[n]["messages"] == c for n, c in want.items() if n in by_name),
         "message counts equal the generator's",
         {n: by_name[n]["messages"] for n in by_name})
    for name, use in genmail.SPECIAL_USE.items():
        t.eq(by_name.get(name, {}).get("special_use"), use, "%s has special_use %s" % (name, use))
    t.eq(by_name.get("INBOX", {}).get("delimiter"), "/", "the delimiter is given")
    t.eq(folders[0]["name"], "INBOX", "INBOX comes first")
    plain = env.tern("folders")
    t.ok(plain.returncode == 0 and "Projects/Zürich" in plain.stdout.decode(),
         "plain folders output shows decoded names", plain.stdout[:300])


def test_list(t, srv, env):
    gen = genmail.generate_folder(BIG, 1000)
    rc, rows, r = jrun(t, env, "list", BIG, "--json")
    t.eq(rc, 0, "list --json exits 0")
    if rows is None:
        return
    t.eq(len(rows), 1000, "list returns 1,000 entries")
    t.eq(sorted(x["subject"] for x in rows), sorted(m.subject for m in gen),
         "decoded subjects equal the generator's (UTF-8, ISO-8859-1, ISO-2022-JP)")
    by_uid = {x["uid"]: x for x in rows}
    ok = all(by_uid.get(m.index + 1, {}).get("from", "").startswith(m.from_name) for m in gen)
    t.ok(ok, "decoded sender names equal the generator's")
    dates = [x["date"] for x in rows]
    t.ok(dates == sorted(dates, key=lambda d: __import__("datetime").datetime.fromisoformat(d),
                         reverse=True), "list is newest first by default")
    m0 = gen[0]
    t.eq(by_uid[1]["date"], m0.date.isoformat(), "date keeps the Date header's own offset")
    t.eq(set(by_uid[1]["flags"]) - {"\\Recent"}, m0.flags, "flags are the server's")
    t.eq(by_uid[1]["size"], m0.size, "size is RFC822.SIZE")
    rc, rows, r = jrun(t, env, "list", BIG, "--json", "--limit", "5")
    t.ok(rc == 0 and [x["uid"] for x in rows] == [1000, 999, 998, 997, 996],
         "--limit 5 gives the newest five", rows and [x["uid"] for x in rows])
    rc, rows, r = jrun(t, env, "list", "INBOX", "--json", "--sort", "subject")
    t.ok(rc == 0 and [x["subject"].casefold() for x in rows] ==
         sorted(x["subject"].casefold() for x in rows), "--sort subject sorts by subject")
    r = env.tern("list", BIG)
    lines = r.stdout.decode().splitlines()
    t.ok(r.returncode == 0 and len(lines) == 1000, "plain list prints one line a message")
    t.ok(re.match(r"^\s*1000  \d{4}-\d\d-\d\d \d\d:\d\d  ", lines[0]) is not None,
         "plain line: UID, local date", lines[:1])
    r = env.tern("list", "INBOX", "--sort", "sideways")
    t.eq(r.returncode, 64, "an unknown sort key is a usage error")
    r = env.tern("list", "No/Such/Folder")
    t.eq(r.returncode, 69, "an unknown folder exits 69")
    t.eq(len(r.stderr.decode().strip().splitlines()), 1, "... with one line on stderr")


def test_search(t, srv, env):
    cases = [
        (["from:alice"], ["FROM", "alice"]),
        (["is:unread"], ["UNSEEN"]),
        (["subject:meeting", "-is:flagged"], ["SUBJECT", "meeting", "NOT", "FLAGGED"]),
        (["larger:2K"], ["LARGER", "2048"]),
        (["since:2024-01-10", "before:2024-01-15"], ["SINCE", "10-Jan-2024", "BEFORE", "15-Jan-2024"]),
        (["report", "OR", "budget"], ["OR", "TEXT", "report", "TEXT", "budget"]),
        (["-from:bob", "is:flagged"], ["NOT", "FROM", "bob", "FLAGGED"]),
    ]
    for words, crit in cases:
        rc, rows, r = jrun(t, env, "search", BIG, "--json", *words)
        got = sorted(x["uid"] for x in rows) if rows is not None else None
        t.eq(got, imap_uids(srv, BIG, *crit),
             "search %s equals UID SEARCH %s" % (" ".join(words), " ".join(crit)))
    rc, rows, r = jrun(t, env, "search", BIG, "--json", "subject:café")
    got = sorted(x["uid"] for x in rows) if rows is not None else None
    want = imap_uids_utf8(srv, BIG, "SUBJECT", "café")
    t.ok(got == want and len(want) > 0, "a non-ASCII search uses CHARSET UTF-8",
         "got %r want %r" % (got, want))
    r = env.tern("search", BIG, "frm:alice")
    t.eq(r.returncode, 64, "an unreadable query exits 64")
    t.ok(b"column" in r.stderr, "... naming the position", r.stderr)


def flags_of(srv, folder, uid):
    c = srv.imap()
    c.select('"%s"' % genmail.mutf7(folder), readonly=True)
    typ, data = c.uid("FETCH", str(uid), "(FLAGS)")
    c.logout()
    return data[0].decode() if data and data[0] else ""


def test_flag(t, srv, env):
    r = env.tern("flag", "INBOX", "3", "+flagged", "-seen", "+$Label1")
    t.eq(r.returncode, 0, "flag exits 0", )
    f = flags_of(srv, "INBOX", 3)
    t.ok("\\Flagged" in f and "\\Seen" not in f and "$Label1" in f,
         "flag changes are seen from a second connection", f)
    r = env.tern("flag", "INBOX", "3", "-flagged", "seen")
    f = flags_of(srv, "INBOX", 3)
    t.ok(r.returncode == 0 and "\\Flagged" not in f and "\\Seen" in f, "flags come off again", f)
    r = env.tern("flag", "INBOX", "8:*", "+answered")
    t.ok(r.returncode == 0 and all("\\Answered" in flags_of(srv, "INBOX", u) for u in (8, 9, 10)),
         "a UID set with * works")
    r = env.tern("flag", "INBOX", "1,", "+seen")
    t.eq(r.returncode, 64, "a bad UID set exits 64")
    r = env.tern("flag", "INBOX", "500", "+seen")
    t.eq(r.returncode, 69, "a UID that does not exist exits 69")
    r = env.tern("flag", "INBOX", "1", "+bad(word")
    t.eq(r.returncode, 64, "a bad keyword exits 64")


def test_move_copy_delete(t, srv, env):
    before_src = message_ids(srv, BIG)
    gen = {m.message_id: m for m in genmail.generate_folder(BIG, 1000)}
    moved = {gen_id for gen_id, m in gen.items() if m.index < 5}
    r = env.tern("move", BIG, "1:5", "Archive")
    t.eq(r.returncode, 0, "move exits 0")
    after_src = message_ids(srv, BIG)
    arch = bodies_by_id(srv, "Archive")
    t.eq(before_src - after_src, moved, "the moved messages left the source")
    t.ok(all(arch.get(i) == gen[i].raw for i in moved),
         "moved messages arrive byte for byte in the destination")
    r = env.tern("copy", BIG, "6", "Projects/2026/Q4")
    q4 = bodies_by_id(srv, "Projects/2026/Q4")
    mid6 = [i for i, m in gen.items() if m.index == 5][0]
    t.ok(r.returncode == 0 and q4.get(mid6) == gen[mid6].raw and mid6 in message_ids(srv, BIG),
         "copy leaves the source and copies byte for byte")
    r = env.tern("move", BIG, "7", "Does/Not/Exist")
    t.ok(r.returncode != 0 and [i for i, m in gen.items() if m.index == 6][0]
         in message_ids(srv, BIG), "a move refused by the server leaves the source untouched",
         r.stderr)
    r = env.tern("delete", BIG, "10")
    mid10 = [i for i, m in gen.items() if m.index == 9][0]
    t.ok(r.returncode == 0 and mid10 in message_ids(srv, "Trash") and
         mid10 not in message_ids(srv, BIG), "delete moves to Trash", r.stderr)


def test_show(t, srv, env):
    gen = genmail.generate_folder(BIG, 1000)
    # a message with an attachment and one with a non-ASCII subject
    att = next(m for m in gen if m.attachments and m.index >= 20)
    r = env.tern("show", BIG, str(att.index + 1))
    out = r.stdout.decode()
    t.ok(r.returncode == 0 and ("Subject: " + att.subject) in out, "show prints the decoded subject",
         out[:400])
    t.ok(att.body.split("\n")[2] in out, "show prints the body text")
    t.ok(att.attachments[0][0] in out, "show lists the attachment's file name")
    raw = env.tern("show", BIG, str(att.index + 1), "--raw")
    t.ok(raw.stdout == att.raw, "show --raw prints the bytes as fetched")
    unseen = next(m for m in reversed(gen) if "\\Seen" not in m.flags)
    f = flags_of(srv, BIG, unseen.index + 1)
    t.ok("FLAGS" in f and "\\Seen" not in f, "the message to show is unread on the server", f)
    r = env.tern("show", BIG, str(unseen.index + 1))
    f = flags_of(srv, BIG, unseen.index + 1)
    t.ok(r.returncode == 0 and unseen.subject in r.stdout.decode() and
         "FLAGS" in f and "\\Seen" not in f, "show does not mark read", f)
    env.tern("show", BIG, str(unseen.index + 1), "--mark-read")
    t.ok("\\Seen" in flags_of(srv, BIG, unseen.index + 1), "show --mark-read marks read")
    outdir = os.path.join(env.dir, "save")
    os.makedirs(outdir)
    r = env.tern("save", BIG, str(att.index + 1), "-o", outdir)
    name, _, data = att.attachments[0]
    path = os.path.join(outdir, name)
    t.ok(r.returncode == 0 and os.path.exists(path) and open(path, "rb").read() == data,
         "save round-trips the attachment byte for byte", r.stderr)
    r = env.tern("save", BIG, str(att.index + 1), "-o", outdir)
    t.ok(r.returncode != 0, "save does not overwrite without --force")
    r = env.tern("save", BIG, str(att.index + 1), "-o", outdir, "--force")
    t.eq(r.returncode, 0, "save --force overwrites")
    r = env.tern("show", BIG, "99999")
    t.eq(r.returncode, 69, "show of a missing UID exits 69")
    # one message of each header charset and body kind, as the generator made it
    seen = set()
    for m in gen:
        key = (m.charset, m.kind)
        if key in seen:
            continue
        seen.add(key)
        out = env.tern("show", BIG, str(m.index + 1)).stdout.decode()
        head = out.split("\n\n", 1)[0]
        t.ok(("Subject: " + m.subject) in head and ("From: " + m.from_name) in head,
             "show decodes a %s subject and sender (%s body)" % (m.charset, m.kind), head)
        body_line = m.body.split("\n")[2]
        t.ok(body_line in out, "show prints the %s body's text" % m.kind)
    hdr = env.tern("show", BIG, str(att.index + 1), "--headers").stdout.decode()
    t.ok(("Message-ID: " + att.message_id) in hdr and "MIME-Version: 1.0" in hdr,
         "show --headers prints every header", hdr[:300])


def test_config_errors(t, srv, env):
    bad = os.path.join(env.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("[account x]\nhost = 127.0.0.1\nfrobnicate = yes\n")
    r = env.tern("-c", bad, "folders", config=False)
    t.ok(r.returncode == 78 and b"bad.conf:3" in r.stderr, "an unknown key exits 78 with FILE:LINE",
         r.stderr)
    r = env.tern("-c", os.path.join(env.dir, "missing.conf"), "folders", config=False)
    t.eq(r.returncode, 78, "a missing config exits 78")
    os.chmod(bad, 0)
    if os.getuid() != 0:
        r = env.tern("-c", bad, "folders", config=False)
        t.eq(r.returncode, 78, "an unreadable config exits 78")
    wrong = srv.tern_config(os.path.join(env.dir, "wrong.conf"))
    with open(wrong) as f:
        txt = f.read().replace(srv.password, "not-the-password")
    with open(wrong, "w") as f:
        f.write(txt)
    r = env.tern("-c", wrong, "folders", config=False)
    t.eq(r.returncode, 77, "a refused login exits 77")
    closed = os.path.join(env.dir, "closed.conf")
    with open(closed, "w") as f:
        f.write("[account c]\nhost = 127.0.0.1\nport = 1\ntls = none\nuser = u\npassword = p\n")
    os.chmod(closed, 0o600)
    r = env.tern("-c", closed, "folders", config=False)
    t.eq(r.returncode, 69, "an unreachable server exits 69")
    untrusted = os.path.join(env.dir, "untrusted.conf")
    with open(untrusted, "w") as f:
        f.write("[account u]\nhost = 127.0.0.1\nport = %d\ntls = implicit\nuser = %s\n"
                "password = %s\n" % (srv.imaps_port, srv.user, srv.password))
    os.chmod(untrusted, 0o600)
    r = env.tern("-c", untrusted, "folders", config=False)
    t.eq(r.returncode, 77, "an untrusted certificate exits 77")


def test_transports(t, srv, env, want):
    implicit = srv.tern_config(os.path.join(env.dir, "implicit.conf"), tls="implicit")
    r = env.tern("-c", implicit, "folders", "--json", config=False)
    t.ok(r.returncode == 0 and len(json.loads(r.stdout or b"[]")) == len(want),
         "implicit TLS with ca_file works", r.stderr)
    pin = subprocess.run(["openssl", "x509", "-in", os.path.join(srv.dir, "server.crt"),
                          "-noout", "-fingerprint", "-sha256"], capture_output=True, text=True)
    fp = pin.stdout.strip().split("=", 1)[1]
    pinned = os.path.join(env.dir, "pinned.conf")
    with open(pinned, "w") as f:
        f.write("[account p]\nhost = 127.0.0.1\nport = %d\ntls = implicit\nuser = %s\n"
                "password = %s\ntls_fingerprint = sha256:%s\n"
                % (srv.imaps_port, srv.user, srv.password, fp))
    os.chmod(pinned, 0o600)
    r = env.tern("-c", pinned, "folders", config=False)
    t.eq(r.returncode, 0, "a pinned fingerprint is accepted")
    with open(pinned, "w") as f:
        f.write("[account p]\nhost = 127.0.0.1\nport = %d\ntls = implicit\nuser = %s\n"
                "password = %s\ntls_fingerprint = sha256:%s\n"
                % (srv.imaps_port, srv.user, srv.password, "00" * 32))
    r = env.tern("-c", pinned, "folders", config=False)
    t.eq(r.returncode, 77, "a wrong pin is refused with 77")
    tunnel = os.path.join(env.dir, "tunnel.conf")
    with open(tunnel, "w") as f:
        f.write("[account t]\ntunnel = %s\n" % srv.tunnel_command())
    os.chmod(tunnel, 0o600)
    rc, rows, r = jrun(t, env, "-c", tunnel, "list", "INBOX", "--json")
    t.ok(rc == 0 and rows is not None and len(rows) == want["INBOX"],
         "a tunnel (PREAUTH over doveadm exec imap) lists messages", r.stderr)
    rc0, plain, _ = jrun(t, env, "list", BIG, "--json")
    env.env["TERN_FORCE_COMPRESS"] = "1"
    comp = srv.tern_config(os.path.join(env.dir, "comp.conf"), extra="")
    with open(comp) as f:
        txt = f.read().replace("compress = false", "compress = true")
    with open(comp, "w") as f:
        f.write(txt)
    rc1, compressed, r = jrun(t, env, "-c", comp, "list", BIG, "--json")
    cfg = env.tern("-c", comp, "config", "check", config=False)
    del env.env["TERN_FORCE_COMPRESS"]
    t.ok(rc1 == 0 and compressed == plain, "COMPRESS=DEFLATE gives the same list", r.stderr)
    t.ok(b"COMPRESS=DEFLATE" in cfg.stdout, "config check reports the compression", cfg.stdout + cfg.stderr[:3000])


def test_append(t, srv, env):
    """APPEND through the client: 5 MB byte for byte, flags, APPENDUID."""
    prog = os.path.join(ternlib.BUILDDIR, "tests", "integration", "imap-append")
    body = b"".join(b"line %07d of a big message, ......................................\r\n" % i
                    for i in range(5 * 1024 * 1024 // 72))
    msg = (b"From: Big <big@example.org>\r\nSubject: five megabytes\r\n"
           b"Message-ID: <big.append@fixture.tern>\r\n\r\n" + body)
    path = os.path.join(env.dir, "big.eml")
    with open(path, "wb") as f:
        f.write(msg)
    r = subprocess.run([prog, env.config, "Projects", path, "\\Flagged", "$Big"],
                       capture_output=True, env=env.env, timeout=120)
    m = re.match(rb"APPENDUID (\d+) (\d+)", r.stdout)
    t.ok(r.returncode == 0 and m is not None, "APPEND answers with APPENDUID", r.stderr)
    if m is None:
        return
    c = srv.imap()
    c.select("Projects", readonly=True)
    typ, data = c.uid("FETCH", m.group(2).decode(), "(FLAGS BODY.PEEK[])")
    c.logout()
    t.ok(data[0][1] == msg, "a 5 MB APPEND arrives byte for byte (%d bytes)" % len(msg))
    t.ok(b"\\Flagged" in data[0][0] and b"$Big" in data[0][0], "APPEND sets the flags")
    r = subprocess.run([prog, env.config, "No/Such", path], capture_output=True, env=env.env,
                       timeout=120)
    t.eq(r.returncode, 69, "APPEND to a missing folder is refused (TRYCREATE)")
    # a subject with ESC (OSC title) and a bidi override: JSON keeps the real
    # text as \u escapes, the plain output shows visible escapes
    evil = (b"From: x@example.org\r\nSubject: =?UTF-8?Q?a=1B]0;pwned=07b_=E2=80=AE?=\r\n"
            b"Message-ID: <evil@fixture.tern>\r\n\r\nbody\r\n")
    with open(path, "wb") as f:
        f.write(evil)
    subprocess.run([prog, env.config, "Trash", path], capture_output=True, env=env.env,
                   timeout=60)
    r = env.tern("list", "Trash", "--json")
    t.ok(b"\\u001b]0;pwned\\u0007b \\u202e" in r.stdout and b"\x1b" not in r.stdout,
         "JSON escapes ESC, BEL and bidi controls as \\uXXXX", r.stdout[-300:])
    rows = json.loads(r.stdout)
    t.ok(any(x["subject"] == "a\x1b]0;pwned\x07b \u202e" for x in rows),
         "... and decodes back to the real subject")
    r = env.tern("list", "Trash")
    t.ok(b"\x1b" not in r.stdout and b"\x07" not in r.stdout and b"^[" in r.stdout,
         "plain output shows the escape visibly", r.stdout[-300:])


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        srv.tern_config(env.config)
        want = genmail.default_folders()
        test_folders(t, srv, env, want)
        test_list(t, srv, env)
        test_search(t, srv, env)
        test_show(t, srv, env)
        test_flag(t, srv, env)
        test_config_errors(t, srv, env)
        test_transports(t, srv, env, want)
        test_move_copy_delete(t, srv, env)
        test_append(t, srv, env)
    finally:
        srv.stop()
        env.cleanup()


ternlib.run(main)

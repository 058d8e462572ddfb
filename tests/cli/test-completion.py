#!/usr/bin/env python3
"""Shell completion for tern (issue 14, Command line), against the test
Dovecot.

One `tern folders` fills the cache's folder list; `tern --offline folders`
then lists the same names without a server (timed: completion runs it at
every Tab). The bash completion (doc/completion/bash/tern) is sourced in a
non-interactive bash that sets COMP_WORDS and COMP_CWORD and calls _tern:
COMPREPLY must hold a command, a global option, a command's option, the
cached folders (a name with a space and an ampersand quoted for the
shell, a destination of move), the flags of flag, and still the folders
with the server stopped. The zsh completion (doc/completion/zsh/_tern)
passes `zsh -n`, compinit binds it to tern, and in an interactive zsh in
tmux a Tab after "tern move INBOX 1 Arch" completes the folder."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TERN_SRCDIR", "."), "tests", "lib"))
import ternlib  # noqa: E402

BASH_FILE = os.path.join(ternlib.SRCDIR, "doc", "completion", "bash", "tern")
ZSH_DIR = os.path.join(ternlib.SRCDIR, "doc", "completion", "zsh")


def main(t):
    srv = ternlib.start_server(t)
    env = ternlib.Env()
    try:
        run_tests(t, srv, env)
    finally:
        env.cleanup()
        srv.stop()


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def complete(env, words, cword=None):
    """COMPREPLY of _tern for these words (the last one being completed)."""
    if cword is None:
        cword = len(words) - 1
    script = ("source %s || exit 9\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_tern\n"
              "printf '%%s\\n' \"${COMPREPLY[@]}\"\n"
              % (shq(BASH_FILE), " ".join(shq(w) for w in words), cword))
    e = dict(env.env, PATH=os.path.dirname(ternlib.TERN) + ":" + env.env.get("PATH", ""))
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, env=e, timeout=120)
    return [l for l in r.stdout.split("\n") if l], r.stderr


def run_tests(t, srv, env):
    config = srv.tern_config(env.config, tls="none")
    r = env.tern("--offline", "folders")
    t.ok(r.returncode == 69 and b"nothing is cached" in r.stderr,
         "--offline folders before anything is cached: exits 69 saying so",
         repr((r.returncode, r.stderr)))
    env.tern("list", "INBOX", "--limit", "1")
    r = env.tern("--offline", "folders")
    t.ok(r.returncode == 69 and b"run tern folders once" in r.stderr,
         "--offline folders with a cache but no folder list: says to run tern folders once",
         repr((r.returncode, r.stderr)))
    online = env.tern("folders")
    t.eq(online.returncode, 0, "tern folders lists the folders (and keeps them in the cache)")
    start = time.monotonic()
    offline = env.tern("--offline", "folders")
    took = time.monotonic() - start
    t.eq(offline.returncode, 0, "tern --offline folders works without the server")
    t.eq(offline.stdout, online.stdout, "--offline folders lists what the server listed")
    t.diag("tern --offline folders took %.0f ms (%d folders, sanitizer build)"
           % (took * 1000, len(online.stdout.splitlines())))

    got, err = complete(env, ["tern", "co"])
    t.eq(sorted(got), ["compose", "config", "copy"], "bash: tern co<Tab> gives the commands")
    t.eq(err, "", "bash: sourcing and completing print nothing on stderr")
    got, _ = complete(env, ["tern", "--of"])
    t.eq(got, ["--offline"], "bash: a global option")
    got, _ = complete(env, ["tern", "-c", config, "list", "INBOX", "--so"])
    t.eq(got, ["--sort"], "bash: a command's option (after -c FILE and a folder)")
    got, _ = complete(env, ["tern", "-c", config, "list", "Proj"])
    t.eq(sorted(got), ["Projects", "Projects/2026", "Projects/2026/Q4", "Projects/Zürich"],
         "bash: folder names from the cache")
    got, _ = complete(env, ["tern", "list", "Fam"])
    t.eq(got, ["Familie\\ \\&\\ Freunde"],
         "bash: a folder name with a space and & is quoted for the shell")
    got, _ = complete(env, ["tern", "move", "INBOX", "1:3", "Arch"])
    t.eq(got, ["Archive"], "bash: move's destination is a folder")
    got, _ = complete(env, ["tern", "move", "INBOX", "1"], 3)
    t.eq(got, [], "bash: a UID set is not completed")
    got, _ = complete(env, ["tern", "flag", "INBOX", "5", "+fl"])
    t.eq(got, ["+flagged"], "bash: flag's flags")
    got, _ = complete(env, ["tern", "outbox", "re"])
    t.eq(got, ["retry"], "bash: outbox's actions")

    check_zsh(t, env, config)

    srv.stop()
    got, _ = complete(env, ["tern", "list", "Jun"])
    t.eq(got, ["Junk"], "bash: with the server stopped, folders still come from the cache")


def check_zsh(t, env, config):
    zsh = shutil.which("zsh")
    t.ok(zsh is not None, "zsh is installed (tools/deps.sh)")
    if zsh is None:
        return
    r = subprocess.run([zsh, "-n", os.path.join(ZSH_DIR, "_tern")], capture_output=True,
                       text=True)
    t.ok(r.returncode == 0 and r.stderr == "", "zsh -n: _tern parses", r.stderr)
    dump = os.path.join(env.dir, "zcompdump")
    r = subprocess.run([zsh, "-f", "-c", "fpath=(%s $fpath); autoload -Uz compinit; "
                        "compinit -u -d %s; print -r -- $_comps[tern]" % (shq(ZSH_DIR), shq(dump))],
                       capture_output=True, text=True, env=env.env, timeout=120)
    t.eq(r.stdout.strip(), "_tern", "zsh: compinit binds _tern to tern")
    check_zsh_interactive(t, env, zsh, dump)


def check_zsh_interactive(t, env, zsh, dump):
    """Tab in an interactive zsh (in tmux) completes a cached folder."""
    sock = "tern-compl-%d" % os.getpid()
    rc = os.path.join(env.dir, "zdotdir")
    os.makedirs(rc, exist_ok=True)
    with open(os.path.join(rc, ".zshrc"), "w") as f:
        f.write("PS1='zsh-ready> '\nfpath=(%s $fpath)\nautoload -Uz compinit\ncompinit -u -d %s\n"
                "PATH=%s:$PATH\n" % (shq(ZSH_DIR), shq(dump + "-i"),
                                     shq(os.path.dirname(ternlib.TERN))))
    e = dict(env.env, ZDOTDIR=rc, TERM="screen")
    e.pop("TMUX", None)

    def tmux(*args):
        return subprocess.run(["tmux", "-L", sock] + list(args), env=e, capture_output=True,
                              text=True, timeout=30).stdout

    tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "20", zsh, "-i")
    try:
        ok = wait(lambda: "zsh-ready>" in tmux("capture-pane", "-p"))
        t.ok(ok, "zsh: an interactive shell starts", tmux("capture-pane", "-p"))
        tmux("send-keys", "-l", "tern move INBOX 1 Arch")
        tmux("send-keys", "Tab")
        ok = wait(lambda: "tern move INBOX 1 Archive" in tmux("capture-pane", "-p"))
        t.ok(ok, "zsh: Tab completes the destination folder from the cache",
             tmux("capture-pane", "-p"))
    finally:
        tmux("kill-server")


def wait(pred, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


ternlib.run(main)

#!/bin/sh
# tern speaks German under LANG=de_DE.UTF-8: the command line (--help, a usage
# error, a configuration error with FILE:LINE, the missing-config hint) and the
# interface in tmux (status line, help screen). The catalogue is compiled from
# po/de.po into a temporary tree and found through TERN_LOCALEDIR, so nothing
# needs to be installed; a missing de_DE.UTF-8 or fr_FR.UTF-8 locale is built
# with localedef into a directory of its own, named by LOCPATH only for the
# runs in that locale (LOCPATH hides the system's locales, so it must not be
# set for a locale the system has). French --help is checked too.
. "$TERN_SRCDIR/tests/lib/tap.sh"
# ok, and fail (for a following "|| diagnostics") when the check failed
ok_or() { _st=$1; ok "$1" "$2"; [ "$_st" -eq 0 ]; }

command -v msgfmt >/dev/null 2>&1 || skip_all "msgfmt (gettext) is not installed"
[ -f "$TERN_SRCDIR/po/de.po" ] || skip_all "po/de.po is missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tern-i18n.XXXXXX") || exit 1
sock="tern-i18n-$$"
cleanup() {
	command -v tmux >/dev/null 2>&1 && tmux -L "$sock" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

for l in de fr; do
	mkdir -p "$tmp/mo/$l/LC_MESSAGES"
	msgfmt -o "$tmp/mo/$l/LC_MESSAGES/tern.mo" "$TERN_SRCDIR/po/$l.po" ||
		{ echo "Bail out! msgfmt failed on po/$l.po"; exit 1; }
done

# The locales: the system's, else compiled here, each into its own directory.
has_locale() { locale -a 2>/dev/null | tr 'A-Z' 'a-z' | sed 's/utf-8/utf8/' | grep -qx "$1"; }
locpath_de_DE=""
locpath_fr_FR=""
for loc in de_DE fr_FR; do
	lc=$(echo "$loc.utf8" | tr 'A-Z' 'a-z')
	has_locale "$lc" && continue
	command -v localedef >/dev/null 2>&1 || skip_all "no $loc.UTF-8 locale and no localedef to build it"
	mkdir -p "$tmp/locale-$loc"
	localedef -i "$loc" -f UTF-8 "$tmp/locale-$loc/$loc.UTF-8" >"$tmp/localedef.log" 2>&1
	[ -f "$tmp/locale-$loc/$loc.UTF-8/LC_CTYPE" ] ||
		skip_all "no $loc.UTF-8 locale and localedef could not build it (package locales?)"
	eval "locpath_$loc=\$tmp/locale-$loc"
done
# locpath LANG: the LOCPATH for that locale, empty for the system's
locpath() { eval "echo \"\$locpath_$1\""; }

# run LANG ARGS...: tern in that language; stdout+stderr to $tmp/out, exit code in $rc
run() {
	lang=$1
	shift
	lp=$(locpath "$lang")
	env ${lp:+LOCPATH="$lp"} LANG="$lang.UTF-8" LC_ALL="$lang.UTF-8" \
		LANGUAGE="${lang%%_*}" TERN_LOCALEDIR="$tmp/mo" \
		XDG_CONFIG_HOME="$tmp/xdg" XDG_CACHE_HOME="$tmp/cache" \
		"$TERN" "$@" >"$tmp/out" 2>&1 </dev/null
	rc=$?
}
has() { grep -qF -- "$1" "$tmp/out"; }
show() { sed 's/^/#   /' "$tmp/out"; }

plan 16

run de_DE --help
[ $rc -eq 0 ] && has "Aufruf: tern [-c DATEI] [-a KONTO]"; ok_or $? "--help: German usage line"
has "Befehle:" && has "die Ordner mit Nachrichtenzahlen auflisten"; ok_or $? "--help: German command list"
has "Exit-Status: 0 ok"; ok_or $? "--help: German exit codes" || show

run de_DE frobnicate
[ $rc -eq 64 ] && has "tern: unbekannter Befehl „frobnicate“ (siehe „tern --help“)"
ok_or $? "unknown command: German error, exit 64 (got $rc)" || show

run de_DE list
has "Aufruf: tern list ORDNER"; ok_or $? "usage error of a command in German" || show

cfg="$tmp/bad.conf"
printf '[account a]\nhost = imap.example.com\nuser = me\ncolour = blue\n' >"$cfg"
run de_DE -c "$cfg" folders
[ $rc -eq 78 ] && has "$cfg:4: unbekannter Schlüssel „colour“ in [account a]"
ok_or $? "config error: German with FILE:LINE, exit 78 (got $rc)" || show

printf '[account a]\nhost = imap.example.com\nuser = me\nport = 99999\n' >"$cfg"
run de_DE -c "$cfg" folders
has "$cfg:4: port muss eine Zahl von 1 bis 65535 sein, nicht „99999“"
ok_or $? "bad value: German message" || show

run de_DE folders
[ $rc -eq 78 ] && has "Legen Sie sie (mit Modus 0600) mit einem Konto wie diesem an:"
ok_or $? "no config: German hint, exit 78 (got $rc)" || show

printf '[account a]\nhost = 127.0.0.1\nport = 1\nuser = me\npassword_command = echo x\n' >"$cfg"
chmod 600 "$cfg"
run de_DE -c "$cfg" search INBOX 'from:'
[ $rc -eq 64 ] && has "tern: ungültige Suche: Spalte 1: leerer Wert für „from:“"
ok_or $? "query error: German, with its column, exit 64 (got $rc)" || show

run de_DE -c "$cfg" folders
has "keine Verbindung zu 127.0.0.1 Port 1 möglich"; ok_or $? "connection refused: German" || show

run fr_FR --help
has "Usage : tern [-c FICHIER] [-a COMPTE]" && has "lister les dossiers"
ok_or $? "French --help" || show

# Control: without the catalogue the same run is English.
env LANG=C.UTF-8 LC_ALL=C.UTF-8 "$TERN" --help >"$tmp/out" 2>&1
has "Usage: tern [-c FILE]"; ok_or $? "C locale stays English"

# The interface in tmux: offline, so no server is needed.
if ! command -v tmux >/dev/null 2>&1; then
	for i in 1 2 3 4; do echo "ok $((_tap_n + i)) # SKIP tmux is not installed"; done
	exit 0
fi
printf '[account a]\nhost = imap.example.com\nuser = me\npassword_command = echo x\n' >"$cfg"
chmod 600 "$cfg"
lp=$(locpath de_DE)
tmux -L "$sock" -f /dev/null new-session -d -x 100 -y 30 \
	env ${lp:+LOCPATH="$lp"} LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 LANGUAGE=de \
	TERN_LOCALEDIR="$tmp/mo" XDG_CACHE_HOME="$tmp/cache" TERM=screen-256color \
	"$TERN" -c "$cfg" --offline
# wait_for TEXT: poll the pane for up to 10 s
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		tmux -L "$sock" capture-pane -p >"$tmp/out" 2>/dev/null
		has "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
wait_for "offline: noch nichts im Zwischenspeicher"; ok_or $? "TUI: German status message" || show
tmux -L "$sock" send-keys '?'
wait_for "tern — Tasten"; ok_or $? "TUI: German help screen title" || show
has "Bewegen" && has "nächste Zeile"; ok_or $? "TUI: German key descriptions" || show
tmux -L "$sock" send-keys q Q
i=0
while [ $i -lt 50 ] && tmux -L "$sock" has-session 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
! tmux -L "$sock" has-session 2>/dev/null; ok_or $? "TUI: quits with q then Q"

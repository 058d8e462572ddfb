#!/bin/sh
# The manuals are in step with the program: tern(1) lists exactly the commands
# of `tern --help`, its global options and every action of the keymap;
# tern-config(5) names every key of core/config's tables, every [keys] action
# and every [colors] element; both render without a groff warning.
. "$TERN_SRCDIR/tests/lib/tap.sh"
# ok, and fail (for a following "|| diagnostics") when the check failed
ok_or() { _st=$1; ok "$1" "$2"; [ "$_st" -eq 0 ]; }

man1="$TERN_SRCDIR/doc/tern.1"
man5="$TERN_SRCDIR/doc/tern-config.5"
[ -f "$man1" ] && [ -f "$man5" ] || skip_all "doc/tern.1 or doc/tern-config.5 is missing"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tern-doc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

plan 9

# Words that differ between two sorted lists, for diagnostics.
differ() {
	comm -23 "$1" "$2" | sed 's/^/#   only in the program: /'
	comm -13 "$1" "$2" | sed 's/^/#   only in the manual: /'
}

# 1-2: rendering.
for page in "$man1" "$man5"; do
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww -z "$page" >"$tmp/groff" 2>&1
		[ $? -eq 0 ] && [ ! -s "$tmp/groff" ]
		ok_or $? "$(basename "$page") renders without warnings (groff -man -ww)" ||
			sed 's/^/#   /' "$tmp/groff"
	else
		echo "ok $((_tap_n += 1)) # SKIP groff is not installed"
	fi
done

# 3: commands of --help == the tags of tern.1's COMMANDS section.
LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE= "$TERN" --help >"$tmp/help" 2>&1
sed -n 's/^  tern \([a-z][a-z-]*\).*/\1/p' "$tmp/help" | sort -u >"$tmp/cmd-help"
awk '/^\.SH /{ on = ($2 == "COMMANDS") ; next }
     on && prev == ".TP" && $1 == ".B" { print $2 }
     { prev = $1 }' "$man1" | sort -u >"$tmp/cmd-man"
[ -s "$tmp/cmd-help" ] && cmp -s "$tmp/cmd-help" "$tmp/cmd-man"
ok_or $? "tern(1) COMMANDS lists exactly the commands of 'tern --help' ($(wc -l <"$tmp/cmd-help") of them)" ||
	differ "$tmp/cmd-help" "$tmp/cmd-man"

# 4: every long global option of --help is in tern.1.
sed -n 's/^  \(-[a-zA-Z], \)\{0,1\} *--\([a-z-]*\).*/\2/p' "$tmp/help" | sort -u >"$tmp/opt-help"
missing=""
for o in $(cat "$tmp/opt-help"); do
	ro=$(printf '%s' "$o" | sed 's/-/\\-/g') # roff spelling: no\-cache
	awk '/^\.SH /{ on = ($2 == "OPTIONS") } on && /^\.B/' "$man1" |
		grep -qF -- "\\-\\-$ro" || missing="$missing --$o"
done
[ -s "$tmp/opt-help" ] && [ -z "$missing" ]; ok_or $? "tern(1) documents every global option" ||
	diag "missing:$missing"

# 5: every key of core/config's tables is a tag (.B key after .TP/.TQ) in tern-config(5).
sed -n '/^static const struct key_def \(account\|ui\)_keys\[\]/,/^};/s/^[[:space:]]*{ "\([a-z0-9_]*\)", K_.*/\1/p' \
	"$TERN_SRCDIR/core/config/config.c" | sort -u >"$tmp/keys-code"
awk '(prev == ".TP" || prev == ".TQ") && $1 == ".B" && NF == 2 { print $2 } { prev = $1 }' \
	"$man5" | sort -u >"$tmp/keys-man"
missing=$(comm -23 "$tmp/keys-code" "$tmp/keys-man" | tr '\n' ' ')
[ "$(wc -l <"$tmp/keys-code")" -ge 20 ] && [ -z "$missing" ]
ok_or $? "tern-config(5) describes every config key ($(wc -l <"$tmp/keys-code") in core/config)" ||
	diag "missing: $missing"

# 6: tern-config(5) has no key tag that the code does not know (in the key sections).
extra=$(awk '/^\.SH /{ on = ($2 == "ACCOUNTS" || $3 == "[ui]") ; next }
	on && (prev == ".TP" || prev == ".TQ") && $1 == ".B" && NF == 2 { print $2 }
	{ prev = $1 }' "$man5" | sort -u | comm -13 "$tmp/keys-code" - | tr '\n' ' ')
[ -z "$extra" ]; ok_or $? "tern-config(5) names no key the code lacks" || diag "unknown: $extra"

# 7-8: every action of ui/tui/keymap.c is in tern(1) (as "(name)") and tern-config(5).
sed -n 's/^[[:space:]]*\[ACTION_[A-Z_]*\] = { "\([a-z_]*\)", .*/\1/p' \
	"$TERN_SRCDIR/ui/tui/keymap.c" | sort -u >"$tmp/actions"
m1="" m5=""
for a in $(cat "$tmp/actions"); do
	grep -q "^\.RB ( $a )" "$man1" || m1="$m1 $a"
	grep -qw -- "$a" "$man5" || m5="$m5 $a"
done
[ -s "$tmp/actions" ] && [ -z "$m1" ]; ok_or $? "tern(1) lists every TUI action ($(wc -l <"$tmp/actions"))" ||
	diag "missing:$m1"
[ -z "$m5" ]; ok_or $? "tern-config(5) [keys] names every action" || diag "missing:$m5"

# 9: every [colors] element of ui/tui/colors.c is in tern-config(5).
sed -n 's/^[[:space:]]*\[COLOR_[A-Z_]*\] = { "\([a-z_]*\)", .*/\1/p' \
	"$TERN_SRCDIR/ui/tui/colors.c" | sort -u >"$tmp/colors"
missing=""
for c in $(cat "$tmp/colors"); do grep -qw -- "$c" "$man5" || missing="$missing $c"; done
[ -s "$tmp/colors" ] && [ -z "$missing" ]
ok_or $? "tern-config(5) names every [colors] element ($(wc -l <"$tmp/colors"))" ||
	diag "missing:$missing"

#!/bin/sh
# Every source file that marks strings for translation is in po/POTFILES.in,
# and every file listed there exists.
. "$TERN_SRCDIR/tests/lib/tap.sh"
plan 2
cd "$TERN_SRCDIR" || exit 1
listed=$(grep -v '^#' po/POTFILES.in | sort)
marked=$(grep -l -E '(^|[^A-Za-z0-9_])(_|N_|ngettext)\(' $(find core mime ui -name '*.c') | sort)
missing=$(for f in $marked; do printf '%s\n' "$listed" | grep -qxF "$f" || echo "$f"; done)
[ -z "$missing" ]; ok $? "every file with _() strings is in po/POTFILES.in"
[ -n "$missing" ] && diag "missing: $missing"
gone=""
for f in $listed; do [ -f "$f" ] || gone="$gone $f"; done
[ -z "$gone" ]; ok $? "every file in po/POTFILES.in exists"
[ -n "$gone" ] && diag "gone:$gone"
exit 0

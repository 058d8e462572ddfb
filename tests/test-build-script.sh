#!/bin/sh
# tools/build.sh on a source tree whose set-up was cut short: it makes
# what is missing again instead of trusting a half-made tree. Run on a
# copy of the script with stand-ins for autogen.sh and configure (the
# real ones take a minute), which log what ran.
. "$TERN_SRCDIR/tests/lib/tap.sh"
plan 5
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
top=$tmp/top
mkdir -p "$top/tools"
cp "$TERN_SRCDIR/tools/build.sh" "$top/tools/"
cat > "$top/autogen.sh" <<'STUB'
#!/bin/sh
echo autogen >> log
printf '#!/bin/sh\necho configure >> "$(dirname "$0")/log"\nprintf "all:\\n\\t@true\\n" > Makefile\n: > config.h\n' > configure
chmod +x configure
: > Makefile.in
STUB
chmod +x "$top/autogen.sh"

# an autogen.sh cut short after configure, before Makefile.in
printf '#!/bin/sh\necho stale-configure >> "$(dirname "$0")/log"\nexit 1\n' > "$top/configure"
chmod +x "$top/configure"
TERN_BUILD=$tmp/b sh "$top/tools/build.sh" > "$tmp/out" 2>&1
ok $? "build.sh succeeds after an autogen.sh that was cut short"
grep -qx autogen "$top/log"; ok $? "it ran autogen.sh again"
! grep -q stale-configure "$top/log"; ok $? "it did not run the half-made configure"

# a configure cut short in the build directory: Makefile made, config.h not
: > "$top/log"
rm -f "$tmp/b/config.h"
TERN_BUILD=$tmp/b sh "$top/tools/build.sh" > "$tmp/out" 2>&1
ok $? "build.sh succeeds after a configure that was cut short"
grep -qx configure "$top/log"; ok $? "it ran configure again"
exit 0

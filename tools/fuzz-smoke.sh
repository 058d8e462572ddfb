#!/bin/sh
# Build the libFuzzer targets with clang in _build-fuzz/ and run each for
# FUZZ_SECONDS (default 60) on a scratch copy of its seed corpus (with its
# dictionary when there is one). Exits non-zero when a target finds a crash,
# a leak or undefined behaviour; the reproducer is left in _build-fuzz/.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-60}
build=${TERN_FUZZ_BUILD:-$top/_build-fuzz}
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || CC=clang "$top/configure" -q --enable-fuzzing
targets="imap-parser mime query header"
for t in $targets; do make -s -j2 "tests/fuzz/fuzz-$t" >/dev/null; done
rc=0
for t in $targets; do
	case $t in imap-parser) seeds=imap ;; *) seeds=$t ;; esac
	work="$build/fuzz-$t-corpus"
	rm -rf "$work"
	mkdir -p "$work"
	cp -r "$top/tests/fuzz/corpus/$seeds/." "$work/"
	dict=""
	[ -f "$top/tests/fuzz/$seeds.dict" ] && dict="-dict=$top/tests/fuzz/$seeds.dict"
	echo "fuzz-$t: ${secs}s"
	if ! "./tests/fuzz/fuzz-$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$build/crash-$t-" $dict "$work" \
		> "$build/fuzz-$t.log" 2>&1; then
		echo "fuzz-$t FAILED: see $build/fuzz-$t.log"
		tail -n 30 "$build/fuzz-$t.log"
		rc=1
	else
		grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$t.log" | tr '\n' ' '
		echo
	fi
done
exit $rc

#!/usr/bin/env bash
# make test's Swift tests, in three processes at once. Most end-to-end tests wait on real
# streams, daemons and sockets, blocking a thread of Swift's concurrency pool while they do
# (two threads on a two-core machine): one process ran two such tests at a time and used
# about a third of the CPU. Three processes run six. Each process's output is printed
# whole when all are done; any failure fails the run. The test binary is run directly, as
# `swift test` runs it: SwiftPM holds a lock on .build for as long as its tests run, which
# would run three `swift test` one after the other.
set -uo pipefail
tests="$(swift build --show-bin-path)/gridwatchPackageTests.xctest"
run() { "$tests" --testing-library swift-testing "$@"; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
slow='IngestionTests|RestartLeakTests|ReconnectTests|HostileClientTests|CtlMessagesTests|FuzzTests|HTTPConformanceTests|DataDirLockTests'
start=$(date +%s)
run --filter "EndToEndTests\.($slow)/" >"$out/1" 2>&1 & p1=$!
run --filter 'EndToEndTests\.' --skip "EndToEndTests\.($slow)/" >"$out/2" 2>&1 & p2=$!
run --skip 'EndToEndTests\.' >"$out/3" 2>&1 & p3=$!
status=0
for p in $p1 $p2 $p3; do wait "$p" || status=1; done
for i in 1 2 3; do
    echo "=== swift test, part $i of 3"
    cat "$out/$i"
done
grep -h -E "^✔ Test run with|^✘ Test run with" "$out"/1 "$out"/2 "$out"/3
echo "swift tests took $(( $(date +%s) - start )) s in three processes"
exit $status

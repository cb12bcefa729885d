#!/usr/bin/env bash
# make test's Swift tests, in five processes at once. Most end-to-end tests wait on real
# streams, daemons and sockets, blocking a thread of Swift's concurrency pool while they do
# (two threads on a two-core machine): one process ran two such tests at a time and used
# about a third of the CPU. Four processes run eight; the two longest suites (outages and
# reconnects, each minutes of real waiting) get a process of their own. The cluster's
# tests get a fifth: their nodes renew leases on that same pool, and a test blocking both
# of its threads made a node's renewals late and its leases lapse. Each process's
# output is printed whole when all are done; any failure fails the run. The test binary is
# run directly, as `swift test` runs it: SwiftPM holds a lock on .build for as long as its
# tests run, which would run four `swift test` one after the other.
set -uo pipefail
tests="$(swift build --show-bin-path)/gridwatchPackageTests.xctest"
run() { "$tests" --testing-library swift-testing "$@"; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
longest='IngestionTests|ReconnectTests'
slow='RestartLeakTests|HostileClientTests|CtlMessagesTests|FuzzTests|HTTPConformanceTests|DataDirLockTests|ClusterEndToEndTests'
start=$(date +%s)
run --filter "EndToEndTests\.($longest)/" >"$out/1" 2>&1 & p1=$!
run --filter "EndToEndTests\.($slow)/" >"$out/2" 2>&1 & p2=$!
run --filter 'EndToEndTests\.' --skip "EndToEndTests\.($longest|$slow)/" >"$out/3" 2>&1 & p3=$!
run --skip 'EndToEndTests\.|ClusterTests\.' >"$out/4" 2>&1 & p4=$!
run --filter 'ClusterTests\.' >"$out/5" 2>&1 & p5=$!
status=0
for p in $p1 $p2 $p3 $p4 $p5; do wait "$p" || status=1; done
for i in 1 2 3 4 5; do
    echo "=== swift test, part $i of 5"
    cat "$out/$i"
done
grep -h -E "^✔ Test run with|^✘ Test run with" "$out"/1 "$out"/2 "$out"/3 "$out"/4 "$out"/5
echo "swift tests took $(( $(date +%s) - start )) s in five processes"
exit $status

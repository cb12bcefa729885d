#!/usr/bin/env bash
# make test's Swift tests, in eight processes at once. Most end-to-end tests wait on real
# streams, daemons and sockets, blocking a thread of Swift's concurrency pool while they do
# (two threads on a two-core machine): one process ran two such tests at a time and used
# about a third of the CPU. The suites of minutes of real waiting (outages and reconnects,
# stalls, the streams behind clips, notifications and tamper scenes) get processes of their
# own, so that no process holds more than about three minutes of them. The cluster's
# tests get one too: their nodes renew leases on that same pool, and a test blocking both
# of its threads made a node's renewals late and its leases lapse. Each process's
# output is printed whole when all are done; any failure fails the run. The test binary is
# run directly, as `swift test` runs it: SwiftPM holds a lock on .build for as long as its
# tests run, which would run four `swift test` one after the other.
set -uo pipefail
tests="$(swift build --show-bin-path)/gridwatchPackageTests.xctest"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
e2e='EndToEndTests\.'
# The suites of minutes of real waiting (outages, reconnects, stalls, clips, tamper scenes),
# each serialized within itself, spread over processes of their own.
ingest='IngestionTests' reconnect='ReconnectTests' stalls='ReconnectTests/aStallIsShown'
streams='ClipEndToEndTests|NotifyEndToEndTests|TamperEndToEndTests|TicketLoopEndToEndTests|IdleDecodingEndToEndTests'
slow='RestartLeakTests|HostileClientTests|CtlMessagesTests|FuzzTests|HTTPConformanceTests|DataDirLockTests|ClusterEndToEndTests'
parts=(
    "--filter $e2e($ingest)/"
    "--filter $e2e$stalls"
    "--filter $e2e($reconnect)/ --skip $e2e$stalls"
    "--filter $e2e($streams)/"
    "--filter $e2e($slow)/"
    "--filter $e2e --skip $e2e($ingest|$reconnect|$streams|$slow)/"
    "--skip $e2e|ClusterTests\."
    "--filter ClusterTests\."
)
start=$(date +%s)
pids=()
for i in "${!parts[@]}"; do
    # shellcheck disable=SC2086 # each part is a list of options
    ( t0=$(date +%s); "$tests" --testing-library swift-testing ${parts[$i]}; rc=$?
      echo "(this part took $(( $(date +%s) - t0 )) s)"; exit $rc ) >"$out/$i" 2>&1 &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
n=${#parts[@]}
for i in "${!parts[@]}"; do
    echo "=== swift test, part $((i + 1)) of $n: ${parts[$i]}"
    cat "$out/$i"
done
grep -h -E "^✔ Test run with|^✘ Test run with|^\(this part took" "$out"/*
echo "swift tests took $(( $(date +%s) - start )) s in $n processes"
exit $status

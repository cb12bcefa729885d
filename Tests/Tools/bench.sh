#!/usr/bin/env bash
# `make bench`: the ticket store (creation, listing 1M tickets), the shared store (PostgreSQL:
# tickets a second with three nodes, failover), then ingestion cost against
# the decode floor and Motion, and streams per machine.
# Results go to .cache/bench/results.md; Docs/performance.md quotes them.
set -euo pipefail
bin=${1:?usage: bench.sh RELEASE_BIN_DIR [SECONDS]}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache/bench"
mkdir -p "$cache"
. "$root/Tests/Tools/footage.sh"
fetch_vtest "$root/.cache/demo"
/usr/bin/python3 "$root/Tests/Tools/bench_tickets.py" --bin "$bin" --cache "$cache"
/usr/bin/python3 "$root/Tests/Tools/bench_notify.py" --bin "$bin" --cache "$cache"
# The shared store: tickets a second through PostgreSQL with three nodes, failover over 20 kills.
/usr/bin/python3 "$root/Tests/Tools/bench_cluster.py" --bin "$bin" --footage "$root/.cache/demo/vtest.avi" --cache "$cache"
exec /usr/bin/python3 "$root/Tests/Tools/bench.py" --bin "$bin" --footage "$root/.cache/demo/vtest.avi" --cache "$cache" --seconds "$seconds"

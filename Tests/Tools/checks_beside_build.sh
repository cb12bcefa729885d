#!/usr/bin/env bash
# make test, after the programs are built: the test targets build in the background while
# the checks that need only the programs run (the systemd unit, the install, the API
# against promtool, openapi-spec-validator and schemathesis, the console in Chromium).
# Neither waits on real time, so sharing the CPU costs them nothing but minutes, and the
# Swift tests (which do wait on real streams) start afterwards on a quiet machine.
# Usage: checks_beside_build.sh SWIFT BIN_DIR DEMO_CACHE
set -uo pipefail
swift=$1 bin=$2 demo=$3
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
"$swift" build --build-tests >"$log" 2>&1 & build=$!
status=0
"$here/check_units.sh" "$bin" || status=1
"$here/check_install.sh" "$bin" || status=1
"$here/check_api.sh" "$bin" || status=1
bash -c ". '$here/footage.sh' && fetch_vtest '$demo'" || status=1
/usr/bin/python3 "$here/check_console.py" "$bin" "$demo" || status=1
echo "checks took $(( $(date +%s) - start )) s"
if wait "$build"; then
    echo "test targets built in $(( $(date +%s) - start )) s"
else
    cat "$log"
    echo "building the tests failed" >&2
    status=1
fi
exit $status

#!/usr/bin/env bash
# make test: the control API and the metrics against the real outside tools.
#  - openapi-spec-validator on Docs/ref/openapi.yaml;
#  - schemathesis (all checks, fixed seed, bounded examples) against a live gridwatchd with
#    real tickets, through a TCP bridge to its Unix socket (socat), every endpoint but the
#    live event stream (it never ends);
#  - promtool check metrics on the daemon's GET /metrics.
# Usage: check_api.sh BIN_DIR. The Python tools live in .cache/venv (from PyPI).
set -euo pipefail
bin=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.cache/venv"
examples=${SCHEMATHESIS_EXAMPLES:-25}
if [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/openapi-spec-validator" ]; then
    echo "== Installing schemathesis and openapi-spec-validator into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'schemathesis>=4,<5' 'openapi-spec-validator>=0.7'
fi

echo "== openapi-spec-validator Docs/ref/openapi.yaml"
"$venv/bin/openapi-spec-validator" "$root/Docs/ref/openapi.yaml"

work=$(mktemp -d /tmp/gw-api.XXXXXX)
daemon= bridge=
cleanup() {
    [ -n "$bridge" ] && kill "$bridge" 2>/dev/null || true
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Real tickets first (the store's own load generator), then the daemon on the same data.
# The tickets are also in the outbox of a platform that never answers (port 9: refused), so
# the notification series and the queue are live; robot keys and the webhook secret carry
# "s3cret", checked below like the camera password.
"$bin/gridwatch-tools" load-tickets --data-dir "$work/data" --count 60 --evidence-bytes 2000 --spread-days 3 --notify city >/dev/null
echo "whsec_czNjcmV0czNjcmV0czNjcmV0czNjcmV0czNjcmV0" > "$work/city.whsec"
cat > "$work/gw.yml" <<YAML
daemon:
  data_dir: $work/data
  socket: $work/control.sock
  log_level: warning
grids:
  - id: load-town
    name: 负载镇
  - id: load-village
    name: 负载村
    parent: load-town
    workers:
      - {id: li, name: 李娜, phone: "13800000002"}
cameras:
  - id: gate
    name: 东门
    grid: load-village
    source: rtsp://user:s3cret@127.0.0.1:9/stream
    zones:
      - id: bank
        name: 河堤
        polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95]]
notify:
  - id: city
    type: webhook
    url: http://127.0.0.1:9/hook?token=s3cretToken
    secret_file: $work/city.whsec
  - id: group
    type: wecom
    url: http://127.0.0.1:9/cgi-bin/webhook/send?key=s3cretKey
YAML
"$bin/gridwatchd" run --config "$work/gw.yml" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$work/control.sock" ] && break; sleep 0.1; done
[ -S "$work/control.sock" ] || { cat "$work/daemon.log" >&2; echo "check_api: the daemon did not start" >&2; exit 1; }

echo "== promtool check metrics (GET /metrics)"
# The platform's first attempts have failed (connection refused), so its series have values.
for _ in $(seq 100); do
    curl -sf --unix-socket "$work/control.sock" http://localhost/v1/notify | grep -q '"last_error"' && break; sleep 0.1
done
curl -sf --unix-socket "$work/control.sock" http://localhost/metrics > "$work/metrics.txt"
if ! promtool check metrics < "$work/metrics.txt"; then
    echo "check_api: promtool found problems in /metrics" >&2
    exit 1
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$work/control.sock" &
bridge=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done

echo "== schemathesis: all checks, seed 1, $examples examples an operation"
# The state-changing actions run too: the data is this run's own.
"$venv/bin/schemathesis" run "$root/Docs/ref/openapi.yaml" --url "http://127.0.0.1:$port" \
    --checks all --seed 1 --max-examples "$examples" --generation-deterministic \
    --exclude-path /v1/events --exclude-path /v1/backup \
    --no-color > "$work/schemathesis.txt" 2>&1 && st=0 || st=$?
cp "$work/schemathesis.txt" "$root/.cache/schemathesis-last.txt"
tail -40 "$work/schemathesis.txt"
status=$st
curl -sf --unix-socket "$work/control.sock" http://localhost/v1/notify > "$work/notify.json"
curl -sf --unix-socket "$work/control.sock" http://localhost/v1/config > "$work/config.json"
grep -q 'key=\*\*\*' "$work/notify.json" || { echo "check_api: GET /v1/notify lacks the redacted robot URL" >&2; exit 1; }
if grep -q -e "s3cret" -e "czNjcmV0" "$work/schemathesis.txt" "$work/daemon.log" "$work/metrics.txt" "$work/notify.json" "$work/config.json"; then
    echo "check_api: a camera password, robot key or webhook secret appeared in an answer or the log" >&2
    exit 1
fi
exit "$status"

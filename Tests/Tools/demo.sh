#!/usr/bin/env bash
# `make demo`: real footage (Debian's opencv-doc vtest.avi, a pedestrian scene),
# re-encoded to H.264 as a camera sends it, served by a real RTSP server on
# 127.0.0.1:8554, watched by gridwatchd with Config/demo.yml. Prints the tickets,
# saves one ticket's snapshot and prints its path, then stops what it started.
set -euo pipefail
bin=${1:?usage: demo.sh BIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache/demo"
mkdir -p "$cache"
cd "$cache"

. "$root/Tests/Tools/footage.sh"
fetch_vtest "$cache"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

if (exec 3<>/dev/tcp/127.0.0.1/8554) 2>/dev/null; then
    echo "demo: port 8554 on 127.0.0.1 is in use; stop what listens there and try again" >&2
    exit 1
fi

echo "== Starting the RTSP server on 127.0.0.1:8554 / 启动 RTSP 服务"
coproc RTSP { exec /usr/bin/python3 "$root/Tests/Tools/rtsp_server.py" vtest.mp4 --port 8554 --path /vtest --loop --shared --user demo --password demo 2>"$cache/rtsp.log"; }
pids+=("$RTSP_PID")
read -r -t 30 ready <&"${RTSP[0]}" || { echo "demo: RTSP server did not start:" >&2; cat "$cache/rtsp.log" >&2; exit 1; }
echo "   $ready"

rm -rf "$cache/data"
echo "== Starting gridwatchd with Config/demo.yml / 启动 gridwatchd (log: $cache/daemon.log)"
"$bin/gridwatchd" run --config "$root/Config/demo.yml" 2>"$cache/daemon.log" &
pids+=("$!")
ctl() { "$bin/gridwatchctl" "$@" --socket "$cache/control.sock"; }
ctl_quiet() { "$bin/gridwatchctl" "$@" --socket "$cache/control.sock" 2>/dev/null; }

# The web console (console.listen in Config/demo.yml, loopback only) and a demo login.
for _ in $(seq 1 100); do ctl_quiet health >/dev/null && break; sleep 0.1; done
if ! ctl_quiet console-user list --json | grep -q '"name" *: *"demo"'; then
    printf '%s\n' demo-password | ctl console-user add demo --role operator >/dev/null
fi
echo "== Web console / 网页控制台: http://127.0.0.1:8088/  user 用户 demo, password 密码 demo-password"

echo "== Waiting for tickets (up to 3 minutes) / 等待工单"
# Until there are a few tickets, one of them a line crossing (or 3 minutes pass).
for _ in $(seq 1 180); do
    state=$(ctl_quiet tickets --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["total"], int(any(x["kind"] == "crossing" for x in t["tickets"])))' 2>/dev/null || echo "0 0")
    count=${state% *}
    [ "$count" -ge 3 ] && [ "${state#* }" = 1 ] && break
    sleep 1
done
if [ "${count:-0}" -lt 1 ]; then
    echo "demo: no ticket after 3 minutes; daemon log:" >&2
    tail -20 "$cache/daemon.log" >&2
    exit 1
fi

echo
echo "== gridwatchctl health"
ctl health
echo
echo "== gridwatchctl cameras"
ctl cameras
echo
echo "== gridwatchctl tickets"
ctl tickets
first=$(ctl tickets --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tickets"][-1]["id"])')
echo
echo "== gridwatchctl ticket $first"
ctl ticket "$first"
echo
echo "== gridwatchctl snapshot $first -o $cache/ticket-$first.jpg"
ctl snapshot "$first" -o "$cache/ticket-$first.jpg"
echo
echo "Snapshot saved / 快照已保存: $cache/ticket-$first.jpg"
# Work one new ticket a step into the closed loop (a data folder kept from an earlier
# demo may have none left in state new).
fresh=$(ctl tickets --state new --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["tickets"]; print(t[0]["id"] if t else "")')
if [ -n "$fresh" ]; then
  echo
  echo "== gridwatchctl ack $fresh; gridwatchctl dispatch $fresh --to li"
  ctl ack "$fresh" --note "演示 demo"
  ctl dispatch "$fresh" --to li --note "请查看 please check"
  ctl ticket "$fresh" | tail -3
fi
echo
code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode username=demo --data-urlencode password=demo-password http://127.0.0.1:8088/login)
if [ "$code" != 303 ]; then
    echo "demo: the console did not log the demo user in (HTTP $code)" >&2
    exit 1
fi
echo "A ticket's whole life, step by step / 工单处理全过程: Docs/guide/operator.md"
echo
echo "Web console / 网页控制台: http://127.0.0.1:8088/  (demo / demo-password)"
if [ -t 0 ]; then
    echo "Still running: open the console in a browser; Ctrl-C stops the demo / 演示仍在运行，按 Ctrl-C 结束"
    trap 'exit 0' INT TERM
    while kill -0 "${pids[-1]}" 2>/dev/null; do sleep 1; done
fi

#!/usr/bin/env bash
# make eval: scores `gridwatchd replay` (default analysis settings) on real footage
# against truth made by eye (Tests/Eval/*.truth.json, Docs/ref/eval.md).
# Usage: eval.sh BIN_DIR [--json]
# Exits 1 when a target is missed (crossing and zone-entry F1 >= 0.95, nothing on tree.avi,
# each integrity scene's event within its delay and nothing else: Tests/Tools/integrity_eval.py).
# Clips come from Debian's opencv-doc package (vtest.avi, tree.avi) into .cache/eval/;
# their SHA-256 must match the truth files. Nothing is committed.
set -euo pipefail
bin=$1; shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache/eval"
truth="$root/Tests/Eval"
geometry="$truth/vtest.geometry.json"
mkdir -p "$cache"

python3 "$root/Tests/Tools/eval.py" --self-test >&2

need=0
for clip in vtest.avi tree.avi; do [ -f "$cache/$clip" ] || need=1; done
if [ $need = 1 ]; then
    echo "== Fetching Debian's opencv-doc for vtest.avi and tree.avi (real footage)" >&2
    pkg="$cache/pkg"
    rm -rf "$pkg" && mkdir -p "$pkg"
    (cd "$pkg" && apt-get download opencv-doc >/dev/null 2>&1) || {
        apt-get update -qq >/dev/null && (cd "$pkg" && apt-get download opencv-doc >/dev/null)
    }
    dpkg -x "$pkg"/opencv-doc_*.deb "$pkg/x"
    for clip in vtest.avi tree.avi; do
        cp "$pkg/x/usr/share/doc/opencv-doc/examples/data/$clip" "$cache/$clip"
    done
    rm -rf "$pkg"
fi

pairs=()
for clip in vtest tree; do
    want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source"]["sha256"])' "$truth/$clip.truth.json")
    have=$(sha256sum "$cache/$clip.avi" | cut -d' ' -f1)
    if [ "$want" != "$have" ]; then
        echo "eval: $clip.avi has SHA-256 $have, the truth was made on $want (another opencv-doc version?)" >&2
        exit 1
    fi
    "$bin/gridwatchd" replay --input "$cache/$clip.avi" --geometry "$geometry" > "$cache/$clip.events.jsonl"
    pairs+=("$truth/$clip.truth.json=$cache/$clip.events.jsonl")
done
status=0
python3 "$root/Tests/Tools/eval.py" --check "$@" "${pairs[@]}" || status=1
# Decode on demand must not change what is detected: the clips scored above (the default,
# analysis.idle_decode: keyframes) and replayed again with every frame decoded give the
# same events.
for clip in vtest tree; do
    "$bin/gridwatchd" replay --input "$cache/$clip.avi" --geometry "$geometry" --idle-decode keyframes --summary \
        > /dev/null 2> "$cache/$clip.idle-summary.txt"
    "$bin/gridwatchd" replay --input "$cache/$clip.avi" --geometry "$geometry" --idle-decode off \
        > "$cache/$clip.full-events.jsonl"
    echo "== $clip.avi, idle decoding: $(tr -d '\n' < "$cache/$clip.idle-summary.txt")" >&2
    python3 "$root/Tests/Tools/idle_compare.py" "$cache/$clip.full-events.jsonl" "$cache/$clip.events.jsonl" >&2 || status=1
done
# Camera integrity: tamper and day/night scenes made from the same footage (cached).
python3 "$root/Tests/Tools/integrity_eval.py" "$bin" "$cache" "$@" || status=1
exit $status

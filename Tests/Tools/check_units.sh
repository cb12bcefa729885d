#!/usr/bin/env bash
# The systemd unit as `make install` writes it, checked by systemd-analyze: `verify` must
# print nothing at all (it exits 0 on warnings), and the offline security exposure must be
# 2.0 or below ("OK"). BIN: the built binaries' folder (verify checks ExecStart= exists).
set -euo pipefail
bin=${1:?usage: check_units.sh BIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -e "s|/usr/local/bin/|$bin/|g" "$root/systemd/gridwatchd.service" > "$dir/gridwatchd.service"
out=$(systemd-analyze verify "$dir/gridwatchd.service" 2>&1) || true
if [ -n "$out" ]; then
    echo "check_units: systemd-analyze verify is not silent:" >&2
    echo "$out" >&2
    exit 1
fi
score=$(systemd-analyze security --offline=yes "$dir/gridwatchd.service" 2>&1 | sed -n 's/.*Overall exposure level for gridwatchd.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ] || ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    echo "check_units: exposure ${score:-unknown} is above 2.0" >&2
    systemd-analyze security --offline=yes "$dir/gridwatchd.service" >&2 || true
    exit 1
fi
# The sysusers and tmpfiles entries, applied to an empty root.
mkdir -p "$dir/root/etc"
systemd-sysusers --root="$dir/root" "$root/systemd/gridwatch.sysusers" >/dev/null 2>&1 || { echo "check_units: sysusers failed" >&2; exit 1; }
grep -q '^gridwatch:x:[0-9]*:[0-9]*:.*:/var/lib/gridwatch:' "$dir/root/etc/passwd" || { echo "check_units: sysusers made no gridwatch user" >&2; exit 1; }
grep -q '^gridwatch-users:' "$dir/root/etc/group" || { echo "check_units: sysusers made no gridwatch-users group" >&2; exit 1; }
out=$(systemd-tmpfiles --root="$dir/root" --create "$root/systemd/gridwatch.tmpfiles" 2>&1) || { echo "check_units: tmpfiles failed: $out" >&2; exit 1; }
[ -z "$out" ] || { echo "check_units: tmpfiles is not silent: $out" >&2; exit 1; }
for entry in var/lib/gridwatch:750 run/gridwatch:755 etc/gridwatch:750; do
    d=${entry%:*}; mode=${entry#*:}
    [ "$(stat -c %a "$dir/root/$d")" = "$mode" ] || { echo "check_units: $d is not mode $mode" >&2; exit 1; }
done
echo "check_units: systemd-analyze verify silent; security exposure $score (target <= 2.0); sysusers and tmpfiles entries apply"

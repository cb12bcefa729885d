#!/usr/bin/env bash
# `make install-files` into a staging DESTDIR: every file lands, the unit points at PREFIX,
# a second install keeps an edited configuration, and uninstall removes what install put
# there but not the configuration. BIN: the built binaries' folder.
set -euo pipefail
bin=${1:?usage: check_install.sh BIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
m() { make --no-print-directory -C "$root" "$@" DESTDIR="$stage" PREFIX=/opt/gw CONFDIR=/etc/gridwatch BIN="$bin" >/dev/null; }
m install-files
for f in /opt/gw/bin/gridwatchd /opt/gw/bin/gridwatchctl /opt/gw/lib/systemd/system/gridwatchd.service \
         /opt/gw/lib/sysusers.d/gridwatch.conf /opt/gw/lib/tmpfiles.d/gridwatch.conf /opt/gw/share/doc/gridwatch/admin.md \
         /opt/gw/share/doc/gridwatch/gridwatch.yml.example /opt/gw/share/bash-completion/completions/gridwatchctl /etc/gridwatch/gridwatch.yml; do
    [ -e "$stage$f" ] || { echo "check_install: $f was not installed" >&2; exit 1; }
done
grep -q '^ExecStart=/opt/gw/bin/gridwatchd run' "$stage/opt/gw/lib/systemd/system/gridwatchd.service" \
    || { echo "check_install: the unit does not point at PREFIX" >&2; exit 1; }
"$stage/opt/gw/bin/gridwatchd" check-config "$stage/etc/gridwatch/gridwatch.yml" >/dev/null \
    || { echo "check_install: the installed example configuration does not validate" >&2; exit 1; }
echo "# edited by the administrator" >> "$stage/etc/gridwatch/gridwatch.yml"
m install-files
grep -q 'edited by the administrator' "$stage/etc/gridwatch/gridwatch.yml" \
    || { echo "check_install: a second install overwrote the configuration" >&2; exit 1; }
m uninstall
left=$(cd "$stage" && find . -type f | sort)
[ "$left" = "./etc/gridwatch/gridwatch.yml" ] || { echo "check_install: uninstall left: $left" >&2; exit 1; }
echo "check_install: install, reinstall (configuration kept) and uninstall into a staging DESTDIR all right"

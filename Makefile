# Gridwatch: `make demo` and `make test` set up a fresh Debian 12 machine.
# Both install missing system packages with apt-get first.

SWIFT   ?= swift
PREFIX  ?= /usr/local
DESTDIR ?=
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Build: FFmpeg 5.1, SQLite and FreeType headers; run: a font with Chinese for the text on
# snapshots (WenQuanYi Micro Hei). Tests and demo: the ffmpeg CLI, GStreamer's
# RTSP server driven by the system python3, sqlite3, curl, systemd-analyze.
APT_PACKAGES := pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libsqlite3-dev libfreetype-dev fonts-wqy-microhei \
	ffmpeg sqlite3 curl libcurl4 libcurl4-openssl-dev ca-certificates python3 python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly

# make test only (never on a field box: Debian's prometheus starts a server): the API
# checks run promtool (from prometheus), socat, and a venv for schemathesis and
# openapi-spec-validator from PyPI; the console's pages in headless Chromium driven by
# Selenium (all three from Debian).
TEST_PACKAGES := postgresql prometheus socat python3-venv procps openssl chromium chromium-driver python3-selenium

# Benchmarks also compare against Motion 4.5 and OpenCV.
BENCH_PACKAGES := motion python3-opencv postgresql

# Release programs (make release, install, bench, eval) carry Swift's runtime and Foundation
# inside (a field box needs nothing from the toolchain) and are linked by lld with relative
# relocations packed (DT_RELR, glibc 2.36) and no symbol exported: with Foundation's ICU left
# unloaded, a one-camera daemon's resident memory falls from 88 to 75 MB, and to 61 MB with
# the code it runs laid out together (below; Docs/design/release-linking.md).
# Linking Foundation in needs libcurl's link library (libcurl4-openssl-dev) for URLSession.
# Every function gets a section of its own and the linker puts the ones a running daemon
# executes first and together (Sources/gridwatchd/symbol-order.txt, made by
# `make symbol-order`; the compiler's unnamed helpers gathered by private-functions.ld),
# so its code costs the pages it runs, not every 64 KB region one of its functions lies in.
LAYOUT  := $(CURDIR)/Sources/gridwatchd
RELEASE := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
	-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
	-Xlinker --symbol-ordering-file=$(LAYOUT)/symbol-order.txt -Xlinker --no-warn-symbol-ordering \
	-Xlinker -T -Xlinker $(LAYOUT)/private-functions.ld

.PHONY: all deps build release symbol-order test test-deps check-units demo bench eval screenshots clean install install-files uninstall

# Where `make install` puts things (DESTDIR for staging, as packagers use it).
BINDIR     := $(PREFIX)/bin
UNITDIR    := $(PREFIX)/lib/systemd/system
SYSUSERSDIR := $(PREFIX)/lib/sysusers.d
TMPFILESDIR := $(PREFIX)/lib/tmpfiles.d
DOCDIR     := $(PREFIX)/share/doc/gridwatch
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
CONFDIR    ?= /etc/gridwatch

all: build

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing missing packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

# SwiftPM does not recompile Swift modules when only -Xswiftc flags change, nor relink
# when only a file the linker reads changes: a release folder built with other flags is
# removed first, and the programs are relinked when the layout files changed (the flags
# and the layout's checksum are kept beside the folder).
release: deps
	@dir=$$($(SWIFT) build $(RELEASE) --show-bin-path); \
	if [ -d "$$dir" ] && [ "$$(cat "$$dir.flags" 2>/dev/null)" != '$(RELEASE)' ]; then \
		echo "release flags changed: rebuilding $$dir from nothing"; rm -rf "$$dir"; fi; \
	layout=$$(cat "$(LAYOUT)/symbol-order.txt" "$(LAYOUT)/private-functions.ld" | sha256sum | cut -c1-64); \
	if [ "$$(cat "$$dir.layout" 2>/dev/null)" != "$$layout" ]; then \
		rm -f "$$dir/gridwatchd" "$$dir/gridwatchctl" "$$dir/gridwatch-tools"; fi; \
	$(SWIFT) build $(RELEASE) && echo '$(RELEASE)' > "$$dir.flags" && echo "$$layout" > "$$dir.layout"

# The link order of release builds (above); needs Valgrind, takes about 8 minutes. The
# next make release relinks with it.
symbol-order: release
	@dpkg-query -W -f='$${Status}\n' valgrind 2>/dev/null | grep -q '^install ok installed$$' || { \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends valgrind; }
	bash -c '. Tests/Tools/footage.sh && fetch_vtest "$(CURDIR)/.cache/demo"'
	/usr/bin/python3 Tests/Tools/symbol_order.py --bin "$$($(SWIFT) build $(RELEASE) --show-bin-path)" \
		--footage "$(CURDIR)/.cache/demo/vtest.avi" --cache "$(CURDIR)/.cache/bench"

test-deps: deps
	@missing=$$(for p in $(TEST_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The programs first; then the test targets build while the checks that need only the
# programs run (Tests/Tools/checks_beside_build.sh); then the Swift tests on a quiet machine.
test: test-deps
	@start=$$(date +%s); $(SWIFT) build && echo "programs built in $$(( $$(date +%s) - start )) s"
	Tests/Tools/checks_beside_build.sh "$(SWIFT)" "$$($(SWIFT) build --show-bin-path)" "$(CURDIR)/.cache/demo"
	Tests/Tools/run_tests.sh

# systemd-analyze exits 0 on warnings, so any output at all fails; the exposure score
# must stay at 2.0 or below ("OK").
check-units:
	Tests/Tools/check_units.sh "$$($(SWIFT) build --show-bin-path)"

# A PNG of every console page, Chinese and English, wall (1920×1080) and tablet (1280×800)
# sizes, in .cache/screenshots (the browser checks of make test run first).
screenshots: test-deps
	$(SWIFT) build
	bash -c '. Tests/Tools/footage.sh && fetch_vtest "$(CURDIR)/.cache/demo"'
	/usr/bin/python3 Tests/Tools/check_console.py "$$($(SWIFT) build --show-bin-path)" "$(CURDIR)/.cache/demo" --shots "$(CURDIR)/.cache/screenshots"

demo: build
	Tests/Tools/demo.sh "$$($(SWIFT) build --show-bin-path)"

bench: release
	@missing=$$(for p in $(BENCH_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	Tests/Tools/bench.sh "$$($(SWIFT) build $(RELEASE) --show-bin-path)"

# Quality on real footage: replay with default settings over Debian's opencv-doc clips,
# scored against truth made by eye (Docs/ref/eval.md). EVAL_FLAGS=--json for JSON.
eval: release
	Tests/Tools/eval.sh "$$($(SWIFT) build $(RELEASE) --show-bin-path)" $(EVAL_FLAGS)

# make install [PREFIX=/usr/local] [DESTDIR=]: release binaries, the unit (its paths
# rewritten for PREFIX), sysusers and tmpfiles entries, docs, bash completion, and the
# example configuration as $(CONFDIR)/gridwatch.yml unless one is there already.
install: release
	$(MAKE) --no-print-directory install-files BIN="$$($(SWIFT) build $(RELEASE) --show-bin-path)"

install-files:
	@test -n "$(BIN)" || { echo "install-files: BIN (the built binaries' folder) is required" >&2; exit 2; }
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSUSERSDIR)" "$(DESTDIR)$(TMPFILESDIR)" \
		"$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(COMPLETIONDIR)" "$(DESTDIR)$(CONFDIR)"
	install -m 0755 "$(BIN)/gridwatchd" "$(BIN)/gridwatchctl" "$(DESTDIR)$(BINDIR)/"
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/gridwatch|$(DOCDIR)|g' \
		systemd/gridwatchd.service > "$(DESTDIR)$(UNITDIR)/gridwatchd.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/gridwatchd.service"
	install -m 0644 systemd/gridwatch.sysusers "$(DESTDIR)$(SYSUSERSDIR)/gridwatch.conf"
	install -m 0644 systemd/gridwatch.tmpfiles "$(DESTDIR)$(TMPFILESDIR)/gridwatch.conf"
	install -m 0644 README.md Docs/guide/admin.md Docs/guide/operator.md Docs/ref/configuration.md Docs/ref/control-api.md \
		Docs/ref/openapi.yaml "$(DESTDIR)$(DOCDIR)/"
	install -m 0644 Config/gridwatch.yml "$(DESTDIR)$(DOCDIR)/gridwatch.yml.example"
	"$(BIN)/gridwatchctl" --generate-completion-script bash > "$(DESTDIR)$(COMPLETIONDIR)/gridwatchctl"
	@if [ -e "$(DESTDIR)$(CONFDIR)/gridwatch.yml" ]; then \
		echo "kept the existing $(DESTDIR)$(CONFDIR)/gridwatch.yml (the new example is $(DOCDIR)/gridwatch.yml.example)"; \
	else \
		install -m 0640 Config/gridwatch.yml "$(DESTDIR)$(CONFDIR)/gridwatch.yml"; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemd-sysusers "$(SYSUSERSDIR)/gridwatch.conf" && systemd-tmpfiles --create "$(TMPFILESDIR)/gridwatch.conf" && \
		chgrp gridwatch "$(CONFDIR)/gridwatch.yml" && systemctl daemon-reload; \
	fi

# Removes what install put there, except the configuration and the data.
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/gridwatchd" "$(DESTDIR)$(BINDIR)/gridwatchctl" "$(DESTDIR)$(UNITDIR)/gridwatchd.service" \
		"$(DESTDIR)$(SYSUSERSDIR)/gridwatch.conf" "$(DESTDIR)$(TMPFILESDIR)/gridwatch.conf" "$(DESTDIR)$(COMPLETIONDIR)/gridwatchctl"
	rm -rf "$(DESTDIR)$(DOCDIR)"
	@echo "kept $(DESTDIR)$(CONFDIR) and /var/lib/gridwatch (configuration and tickets); remove them by hand if wanted"

clean:
	rm -rf .build .cache

# Gridwatch: `make demo` and `make test` set up a fresh Debian 12 machine.
# Both install missing system packages with apt-get first.

SWIFT   ?= swift
PREFIX  ?= /usr/local
DESTDIR ?=
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Build: FFmpeg 5.1 and SQLite headers. Tests and demo: the ffmpeg CLI, GStreamer's
# RTSP server driven by the system python3, sqlite3, curl, systemd-analyze.
APT_PACKAGES := pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libsqlite3-dev \
	ffmpeg sqlite3 curl python3 python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly

# Benchmarks also compare against Motion 4.5 and OpenCV.
BENCH_PACKAGES := motion python3-opencv

.PHONY: all deps build release test demo bench clean

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

release: deps
	$(SWIFT) build -c release

test: deps
	@start=$$(date +%s); $(SWIFT) build --build-tests && \
		echo "build took $$(( $$(date +%s) - start )) s"
	$(SWIFT) test --skip-build

demo: build
	Tests/Tools/demo.sh "$$($(SWIFT) build --show-bin-path)"

bench: release
	@missing=$$(for p in $(BENCH_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	Tests/Tools/bench.sh "$$($(SWIFT) build -c release --show-bin-path)"

clean:
	rm -rf .build .cache

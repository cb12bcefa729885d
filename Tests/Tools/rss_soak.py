#!/usr/bin/python3
"""Memory over time of one gridwatchd pulling N cameras (issue: does RSS level off?).

Serves the real footage (vtest, re-encoded to H.264 by footage.sh) over RTSP on 127.0.0.1
from one shared, looping GStreamer server, runs the release gridwatchd with N cameras on it,
each with a zone people walk through (so tickets, merged occurrences and snapshots are
written as in use), and samples the daemon's VmRSS, VmHWM, threads and open files every
INTERVAL seconds for MINUTES minutes. Prints one CSV line per sample and a summary:
growth over the first and the last third of the run, in MiB per 10 minutes.

  /usr/bin/python3 Tests/Tools/rss_soak.py --bin .build/release --footage .cache/demo/vtest.mp4 \
      --cameras 8 --minutes 60 --interval 30 [--env MALLOC_ARENA_MAX=2]
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, gridwatch_config, stop  # noqa: E402


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    kib = lambda k: int(fields.get(k, "0 kB").split()[0])
    return kib("VmRSS") / 1024, kib("VmHWM") / 1024, int(fields.get("Threads", "0")), len(os.listdir(f"/proc/{pid}/fd"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--footage", required=True, help="an H.264 file (no B-frames)")
    ap.add_argument("--cameras", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--interval", type=float, default=30)
    ap.add_argument("--cache", default=".cache/soak")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the daemon")
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    cache = os.path.abspath(args.cache)
    server = Server(os.path.abspath(args.footage), "/soak")
    env = dict(os.environ)
    for item in args.env:
        k, _, v = item.partition("=")
        env[k] = v
    config = gridwatch_config(cache, "soak", [server.url] * args.cameras)
    daemon = subprocess.Popen([os.path.join(args.bin, "gridwatchd"), "run", "--config", config],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(cache, "soak.log"), "w"), env=env)
    samples = []
    try:
        start = time.time()
        print("minute,rss_mib,hwm_mib,threads,fds", flush=True)
        while time.time() - start < args.minutes * 60:
            time.sleep(args.interval)
            if daemon.poll() is not None:
                sys.exit(f"rss_soak: gridwatchd exited with {daemon.returncode}")
            rss, hwm, threads, fds = status(daemon.pid)
            minute = (time.time() - start) / 60
            samples.append((minute, rss))
            print(f"{minute:.1f},{rss:.1f},{hwm:.1f},{threads},{fds}", flush=True)
    finally:
        stop(daemon)
        server.stop()

    def slope(part):
        xs = [m for m, _ in part]
        ys = [r for _, r in part]
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        var = sum((x - mx) ** 2 for x in xs) or 1
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var * 10

    third = max(2, len(samples) // 3)
    print(f"summary: cameras={args.cameras} minutes={args.minutes:g} rss first={samples[0][1]:.1f} MiB "
          f"last={samples[-1][1]:.1f} MiB growth first third={slope(samples[:third]):+.2f} MiB/10 min "
          f"last third={slope(samples[-third:]):+.2f} MiB/10 min")


if __name__ == "__main__":
    main()

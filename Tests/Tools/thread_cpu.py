#!/usr/bin/python3
"""Where one camera's CPU goes: gridwatchd (one camera with the bench's zone and tripwire) and
the ffmpeg decode floor side by side on one RTSP stream, each thread's run time over one window
grouped by thread name (the daemon names its threads cam-ID, ana-ID, rec-ID), and the daemon's
resident memory by mapping (`/proc/PID/smaps`). Each `--analysis` line runs one more daemon
beside the others with that line under `analysis:` (settings compared in one window).

    /usr/bin/python3 Tests/Tools/thread_cpu.py --bin .build/release --clip .cache/bench/vtest-360p.mp4 \
        --cache .cache/bench [--seconds 40] [--analysis "batch_seconds: 0" --analysis "batch_seconds: 0.5"]
"""
import argparse
import collections
import os
import re
import subprocess
import time

import bench


def names(pid):
    """tid -> name for every live thread of `pid`."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                out[tid] = f.read().strip()
        except FileNotFoundError:
            pass  # ended between listing and reading
    return out


def by_name(before, after, names, span):
    """ms of CPU per second by thread name, as bench measures it: threads alive at the end,
    each from its own start."""
    per = collections.Counter()
    for tid, seconds in after.since(before).items():
        per[names.get(tid, "?")] += seconds * 1000 / span
    return dict(per.most_common())


def mappings(pid):
    """Resident kB: anonymous memory (heap, stacks, and the written copies of files' private
    pages), and by mapped file the pages read from it (`Rss` less `Anonymous` in smaps)."""
    files = collections.Counter()
    anon = 0
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                current = parts[5] if len(parts) > 5 and not parts[5].startswith("[") else None
            elif line.startswith("Rss:") and current:
                files[current] += int(line.split()[1])
            elif line.startswith("Anonymous:"):
                kb = int(line.split()[1])
                anon += kb
                if current:
                    files[current] -= kb
    return anon, files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--clip", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--warmup", type=float, default=25)
    parser.add_argument("--analysis", action="append", default=[],
                        help="a line added under analysis: in a daemon's config; one daemon each (default: one, as configured)")
    args = parser.parse_args()
    server = bench.Server(os.path.abspath(args.clip), "/cam")
    procs = {}
    try:
        procs["floor"] = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-rtsp_transport", "tcp",
                                           "-i", server.url, "-f", "null", "-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i, line in enumerate(args.analysis or [None]):
            config = bench.gridwatch_config(os.path.abspath(args.cache), f"threads{i}", [server.url])
            if line:
                with open(config) as f:
                    text = f.read()
                with open(config, "w") as f:
                    f.write(f"analysis:\n  {line}\n" + text)
            procs[f"gridwatchd ({line})" if line else "gridwatchd"] = subprocess.Popen(
                [os.path.join(args.bin, "gridwatchd"), "run", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(args.warmup)
        before = {k: bench.cpu_seconds(p.pid) for k, p in procs.items()}
        t0 = time.monotonic()
        time.sleep(args.seconds)
        after = {k: bench.cpu_seconds(p.pid) for k, p in procs.items()}
        span = time.monotonic() - t0
        totals = {}
        for k, p in procs.items():
            rows = by_name(before[k], after[k], names(p.pid), span)
            totals[k] = sum(rows.values())
            print(f"{k}: {totals[k]:.2f} ms of CPU a second")
            for name, ms in rows.items():
                if ms >= 0.01:
                    print(f"    {name:20s} {ms:7.2f}")
        daemons = [k for k in procs if k != "floor"]
        for k in daemons:
            print(f"{k} / floor: {totals[k] / totals['floor']:.3f}")
        anon, maps = mappings(procs[daemons[0]].pid)
        print(f"{daemons[0]} resident: {(anon + sum(maps.values())) / 1024:.1f} MB, anonymous {anon / 1024:.1f} MB, "
              f"mapped files {sum(maps.values()) / 1024:.1f} MB, the largest:")
        for path, kb in maps.most_common(12):
            print(f"    {kb / 1024:6.1f} MB  {path}")
    finally:
        for p in procs.values():
            bench.stop(p)
        server.stop()


if __name__ == "__main__":
    main()

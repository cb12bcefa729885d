#!/usr/bin/python3
"""Two builds of gridwatchd side by side on the mostly idle camera, with the ffmpeg floor:
CPU per stream second and peak memory of each, in the same windows.

    /usr/bin/python3 Tests/Tools/side_by_side.py OLD/gridwatchd NEW/gridwatchd \\
        --clip .cache/bench/idle-360p.mp4 --cache .cache/side [--windows 3]

The clip is `make bench`'s (bench.py's `idle_clip`); each daemon gets a zone and a tripwire
and idle decoding on, as in the bench's idle-camera run."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("old")
parser.add_argument("new")
parser.add_argument("--clip", required=True)
parser.add_argument("--cache", required=True)
parser.add_argument("--windows", type=int, default=3)
args = parser.parse_args()
os.makedirs(args.cache, exist_ok=True)
server = bench.Server(os.path.abspath(args.clip), "/idle")
try:
    for w in range(args.windows):
        rss, anon = {}, {}
        got = bench.measure_together({
            "floor": ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-rtsp_transport", "tcp",
                      "-i", server.url, "-f", "null", "-"],
            "old": [args.old, "run", "--config", bench.gridwatch_config(args.cache, "old", [server.url], idle=True)],
            "new": [args.new, "run", "--config", bench.gridwatch_config(args.cache, "new", [server.url], idle=True)],
        }, 30, 60, rss, anon)
        print(f"window {w}: " + ", ".join(
            f"{k} {v:.4f} CPU s/s ({v / got['floor']:.3f}x) peak {rss[k]:.1f} MB own {anon[k]:.1f} MB"
            for k, v in got.items()), flush=True)
finally:
    server.stop()

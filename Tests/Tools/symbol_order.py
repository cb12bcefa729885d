#!/usr/bin/python3
"""Writes the link order of the daemon's code (Sources/gridwatchd/symbol-order.txt): the
functions a running daemon executes, found by running a release build under Valgrind's
callgrind on two cameras, so that the linker can put them next to each other.

    make symbol-order        (or, with a release build and the bench's clips:)
    /usr/bin/python3 Tests/Tools/symbol_order.py --bin .build/release \\
        --footage .cache/demo/vtest.avi --cache .cache/bench [--seconds 420]

Why: the kernel maps a program's code 64 KB at a time around each page that is touched
(fault-around), so code that runs scattered among code that never runs costs resident
memory for all of it. Listed first and together, the running code costs its own size
(Docs/design/release-linking.md).

Two daemons run at once, each on one camera served over RTSP on 127.0.0.1 with a zone
and a tripwire, for `--seconds` of wall time under callgrind (about 30 times slower than
native, so a few tens of seconds of stream): the mostly idle camera (decode on demand:
keyframes, waking, catching up) and vtest's busy plaza at 640x360 (tracks, crossings,
tickets, snapshots, clips). Every 10 s each gets the API requests an operator's console
and a Prometheus server make. The functions each run executed, in the order callgrind
first saw them, busy camera first, are the list. A function the list misses still runs;
it is only not packed with the others. Names that no longer exist are ignored by the
linker, so an old list only loses some of its effect: regenerate it after large changes.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402

REQUESTS = ["/v1/health", "/v1/cameras", "/v1/tickets", "/v1/tickets?state=open", "/v1/events?limit=20",
            "/v1/stats", "/metrics", "/v1/supervision", "/"]


def executed_functions(callgrind_out, program):
    """Names of the functions callgrind counted costs for in `program`, first seen first.
    The file compresses names: `fn=(12) name` the first time, `fn=(12)` after."""
    objects, names, order, seen = {}, {}, [], set()
    current = None
    with open(callgrind_out, errors="replace") as f:
        for line in f:
            if line.startswith(("ob=", "cob=")):
                m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m:
                    if m.group(2):
                        objects[m.group(1)] = m.group(2)
                    if line.startswith("ob="):
                        current = objects.get(m.group(1))
            elif line.startswith(("fn=", "cfn=")):
                m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if not m:
                    continue
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("fn=") and current == program:
                    name = names.get(m.group(1))
                    # Callgrind names code it has no symbol for by address.
                    if name and not name.startswith("0x") and name not in seen:
                        seen.add(name)
                        order.append(name)
    return order


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="a release build's directory")
    parser.add_argument("--footage", required=True, help="vtest.avi")
    parser.add_argument("--cache", required=True)
    parser.add_argument("--seconds", type=float, default=420, help="wall time of each daemon under callgrind")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "Sources", "gridwatchd", "symbol-order.txt"))
    args = parser.parse_args()
    cache = os.path.abspath(args.cache)
    os.makedirs(cache, exist_ok=True)

    # Valgrind 3.19 cannot read the DWARF 5 the toolchain writes; the symbol table is enough.
    program = os.path.join(cache, "gridwatchd-for-profile")
    subprocess.run(["objcopy", "--strip-debug", os.path.join(args.bin, "gridwatchd"), program], check=True)

    busy = os.path.join(cache, "vtest-360p.mp4")
    if not os.path.exists(busy):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", args.footage, "-an", "-vf", "scale=640:360", "-r", "10",
                        "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p", busy],
                       check=True)
    clips = [("busy", busy), ("idle", bench.idle_clip(args.footage, cache))]

    servers, daemons = [], []
    try:
        for name, clip in clips:
            server = bench.Server(clip, f"/{name}")
            servers.append(server)
            config = bench.gridwatch_config(cache, f"order-{name}", [server.url], idle=True)
            out = os.path.join(cache, f"callgrind-{name}.out")
            daemons.append((name, out, f"{cache}/order-{name}.sock", subprocess.Popen(
                ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=no", f"--callgrind-out-file={out}",
                 program, "run", "--config", config],
                stdout=subprocess.DEVNULL, stderr=open(out + ".log", "w"))))
        print(f"symbol_order: two daemons under callgrind for {args.seconds:.0f} s", flush=True)
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            time.sleep(10)
            for _, _, sock, proc in daemons:
                if proc.poll() is not None:
                    sys.exit(f"symbol_order: a daemon exited early ({proc.returncode}); see its .log in {cache}")
                for path in REQUESTS:
                    subprocess.run(["curl", "-s", "-m", "20", "--unix-socket", sock, "http://gridwatch" + path],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _, _, _, proc in daemons:
            proc.send_signal(signal.SIGTERM)
        for _, _, _, proc in daemons:
            proc.wait(timeout=300)
    finally:
        for _, _, _, proc in daemons:
            if proc.poll() is None:
                proc.kill()
        for server in servers:
            server.stop()

    order, seen = [], set()
    for name, out, _, _ in daemons:
        got = executed_functions(out, program)
        print(f"symbol_order: {name} camera: {len(got)} functions", flush=True)
        for fn in got:
            if fn not in seen:
                seen.add(fn)
                order.append(fn)
    with open(args.out, "w") as f:
        f.write("\n".join(order) + "\n")
    print(f"symbol_order: {len(order)} functions written to {os.path.relpath(args.out)}", flush=True)


if __name__ == "__main__":
    main()

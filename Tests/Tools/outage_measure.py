#!/usr/bin/python3
"""How fast a camera is back after outages, and when a stall is seen (issue 12's figures).

Against a real RTSP server on 127.0.0.1 (GStreamer, looping a still, noisy scene) and the
real gridwatchd with the default reconnect settings:
  - outages: the server is killed, stays away OUTAGE seconds, and is started again on the
    same port; we time from its READY line to the camera decoding new frames;
  - cycles: N times 5 s down / 10 s up; counts the up-windows in which frames came back;
  - stalls: the server is SIGSTOPped; we time from the camera's last new frame to the
    API showing `stalled`, for each stall_timeout given.

  /usr/bin/python3 Tests/Tools/outage_measure.py --bin .build/release \
      [--outages 5,75] [--cycles 20] [--stalls 3,10,30]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import free_port, stop  # noqa: E402


def serve(clip, port):
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "rtsp_server.py"), clip, "--loop",
                             "--port", str(port), "--path", "/cam"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        sys.exit("outage_measure: RTSP server did not start")
    return proc, line.split(" ", 1)[1]


def camera(sock):
    out = subprocess.run(["curl", "-s", "--unix-socket", sock, "http://localhost/v1/cameras/cam"],
                         capture_output=True, text=True, timeout=10)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {}


def wait(sock, cond, timeout):
    end = time.time() + timeout
    while time.time() < end:
        c = camera(sock)
        if c and cond(c):
            return c
        time.sleep(0.05)
    return None


def daemon(bin_dir, work, url, extra=""):
    config = os.path.join(work, "gw.yml")
    with open(config, "w") as f:
        f.write(f"daemon:\n  data_dir: {work}/data\n  socket: {work}/control.sock\n  log_level: info\n"
                f"grids:\n  - id: g\ncameras:\n  - id: cam\n    grid: g\n    source: {url}\n    offline_after: 3600\n{extra}")
    proc = subprocess.Popen([os.path.join(bin_dir, "gridwatchd"), "run", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "daemon.log"), "w"))
    sock = os.path.join(work, "control.sock")
    if not wait(sock, lambda c: c.get("state") == "streaming" and c.get("frames_decoded", 0) > 10, 60):
        sys.exit("outage_measure: camera never streamed")
    return proc, sock


def back_after(sock, clip, port):
    before = camera(sock).get("frames_decoded", 0)
    server, _ = serve(clip, port)
    answered = time.time()
    ok = wait(sock, lambda c: c.get("state") == "streaming" and c.get("frames_decoded", 0) > before, 120)
    return server, (time.time() - answered) if ok else float("inf")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--outages", default="5,75")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--stalls", default="3,10,30")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gw-outage-")
    clip = os.path.join(work, "still.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=10:d=10",
                    "-vf", "noise=alls=4:allf=t", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10",
                    "-pix_fmt", "yuv420p", clip], check=True)
    port = free_port()
    server, url = serve(clip, port)
    proc, sock = daemon(args.bin, work, url)
    try:
        for outage in [float(x) for x in args.outages.split(",") if x]:
            stop(server)
            wait(sock, lambda c: c.get("state") != "streaming", 20)
            time.sleep(outage)
            server, t = back_after(sock, clip, port)
            print(f"outage {outage:g} s: frames again {t:.1f} s after the camera answered", flush=True)
        times = []
        for _ in range(args.cycles):
            stop(server)
            wait(sock, lambda c: c.get("state") != "streaming", 20)
            time.sleep(5)
            up = time.time()
            server, t = back_after(sock, clip, port)
            times.append(t)
            rest = 10 - (time.time() - up)
            if rest > 0:
                time.sleep(rest)
        if times:
            inside = sum(1 for t in times if t <= 10)
            print(f"cycles 5 s down / 10 s up: reconnected in {inside} of {len(times)} up-windows; "
                  f"median {sorted(times)[len(times) // 2]:.1f} s, max {max(times):.1f} s", flush=True)
    finally:
        stop(proc)
        stop(server)
    for stall in [float(x) for x in args.stalls.split(",") if x]:
        server, url = serve(clip, free_port())
        sub = os.path.join(work, f"stall{stall:g}")
        os.makedirs(sub, exist_ok=True)
        proc, sock = daemon(args.bin, sub, url, f"    stall_timeout: {stall:g}\n")
        try:
            server.send_signal(signal.SIGSTOP)
            frames, last = camera(sock).get("frames_decoded", 0), time.time()
            seen = None
            end = time.time() + stall + 30
            while time.time() < end:
                c = camera(sock)
                if c.get("frames_decoded", 0) != frames:
                    frames, last = c.get("frames_decoded", 0), time.time()
                if c.get("state") == "stalled":
                    seen = time.time() - last
                    break
                time.sleep(0.05)
            print(f"stall_timeout {stall:g} s: shown stalled {seen:.2f} s after the last frame" if seen is not None
                  else f"stall_timeout {stall:g} s: never shown stalled (camera now: state {c.get('state')}, "
                       f"frames {c.get('frames_decoded')}, last new frame {time.time() - last:.1f} s ago)", flush=True)
        finally:
            server.send_signal(signal.SIGCONT)
            stop(proc)
            stop(server)


if __name__ == "__main__":
    main()

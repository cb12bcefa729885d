#!/usr/bin/env python3
"""Notification benchmark (make bench): the outbox's cost in the store's write path, and
deliveries per second to a receiver on 127.0.0.1.

1. `gridwatch-tools load-tickets` raises N tickets into fresh stores with 0, 1 and 3
   destinations, in turn, several rounds (side by side on the same machine, same moment):
   the added time per ticket is what the outbox costs.
2. The store with one destination then holds N undelivered changes: gridwatchd starts on
   it with that destination pointing at a minimal asyncio receiver, and the time to drain
   the backlog gives deliveries per second (webhook, signed; concurrency as configured).

Writes .cache/bench/notify.md.
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def load(tools, directory, count, notify):
    shutil.rmtree(directory, ignore_errors=True)
    out = run([tools, "load-tickets", "--data-dir", directory, "--count", str(count)] + sum((["--notify", n] for n in notify), []))
    fields = dict(kv.split("=") for kv in out.split())
    return float(fields["seconds"]) / count * 1000


class Receiver:
    """HTTP/1.1 keep-alive, answers 204 to every POST, counts them."""

    def __init__(self):
        self.count = 0
        self.loop = asyncio.new_event_loop()
        self.port = None
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                self.count += 1
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        writer.close()


def get(sock_path, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


def drain(gridwatchd, directory, count, concurrency, receiver):
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    with open(os.path.join(directory, "whsec"), "w") as f:
        f.write(secret + "\n")
    config = os.path.join(directory, "gridwatch.yml")
    with open(config, "w") as f:
        f.write(f"""daemon:
  data_dir: {directory}
  socket: {directory}/control.sock
grids:
  - id: load-village
notify:
  - id: bench
    type: webhook
    url: http://127.0.0.1:{receiver.port}/hook
    secret_file: whsec
    concurrency: {concurrency}
cameras: []
""")
    before = receiver.count
    start = time.perf_counter()
    daemon = subprocess.Popen([gridwatchd, "run", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sock = os.path.join(directory, "control.sock")
        deadline = time.time() + 600
        while True:
            time.sleep(0.05)
            if daemon.poll() is not None or time.time() > deadline:
                raise SystemExit(f"gridwatchd exited or never drained the outbox (status {daemon.poll()})")
            try:
                d = get(sock, "/v1/notify")["destinations"][0]
            except (OSError, ValueError, KeyError, IndexError):
                continue
            if d["pending"] == 0:
                break
        elapsed = time.perf_counter() - start
        cpu = 0.0
        with open(f"/proc/{daemon.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
    got = receiver.count - before
    return got, elapsed, cpu


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    tools = os.path.abspath(os.path.join(args.bin, "gridwatch-tools"))
    gridwatchd = os.path.abspath(os.path.join(args.bin, "gridwatchd"))
    work = os.path.abspath(os.path.join(args.cache, "notify"))
    os.makedirs(work, exist_ok=True)

    print(f"notify: write path, {args.count} tickets per store, {args.rounds} rounds", flush=True)
    per = {0: [], 1: [], 3: []}
    for r in range(args.rounds):
        for n in (0, 1, 3):
            per[n].append(load(tools, os.path.join(work, f"store{n}"), args.count, [f"d{i}" for i in range(n)] if n != 1 else ["bench"]))
        print("  round %d: %s" % (r + 1, ", ".join(f"{n} destinations {per[n][-1]:.3f} ms" for n in per)), flush=True)
    med = {n: statistics.median(v) for n, v in per.items()}

    receiver = Receiver()
    rates = []
    for concurrency in (1, 4):
        # A fresh backlog each time: the store with one destination, loaded again.
        load(tools, os.path.join(work, "store1"), args.count, ["bench"])
        got, elapsed, cpu = drain(gridwatchd, os.path.join(work, "store1"), args.count, concurrency, receiver)
        rates.append((concurrency, got, elapsed, cpu))
        print(f"  drain, concurrency {concurrency}: {got} deliveries in {elapsed:.2f} s = {got / elapsed:.0f}/s, daemon CPU {cpu:.2f} s "
              f"({cpu / max(got, 1) * 1000:.2f} ms a delivery)", flush=True)

    with open(os.path.join(args.cache, "notify.md"), "w") as f:
        f.write(f"Command: `make bench` (Tests/Tools/bench_notify.py), {args.count} tickets, {args.rounds} rounds, "
                f"{time.strftime('%Y-%m-%d %H:%M')}.\n\n")
        f.write("| destinations | ms per ticket (median) | added per ticket |\n| --- | --- | --- |\n")
        for n in (0, 1, 3):
            f.write(f"| {n} | {med[n]:.3f} | {med[n] - med[0]:+.3f} ms ({(med[n] / med[0] - 1) * 100:+.0f} %) |\n")
        f.write("\n| sender concurrency | deliveries | seconds | per second | daemon CPU per delivery |\n| --- | --- | --- | --- | --- |\n")
        for c, got, elapsed, cpu in rates:
            f.write(f"| {c} | {got} | {elapsed:.2f} | {got / elapsed:.0f} | {cpu / max(got, 1) * 1000:.2f} ms |\n")
    print(open(os.path.join(args.cache, "notify.md")).read())


if __name__ == "__main__":
    sys.exit(main())

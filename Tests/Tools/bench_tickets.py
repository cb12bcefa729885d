#!/usr/bin/env python3
"""Ticket store benchmark: creation throughput with evidence, and list latency with 1 million tickets.

Called by `make bench` (Tests/Tools/bench.sh). Writes .cache/bench/tickets.md.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def get(sock_path, path):
    """One GET over the control socket; returns (status, seconds)."""
    start = time.perf_counter()
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
    elapsed = time.perf_counter() - start
    return int(data.split(b" ", 2)[1]), elapsed


BULK = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
INSERT INTO tickets (camera_id, zone_id, tripwire_id, kind, track_id, trajectory, grid_id, category, severity, state, title,
                     occurred_at, created_at, updated_at, snapshot_path, assignee, acknowledged_at, resolved_at, closed_at,
                     ack_due_at, close_due_at, overdue, escalations, occurrences, last_seen_at, reopen_count, repeat_problem,
                     evidence_purged, archived, evidence_bytes)
SELECT 'load-cam' || (i % 8), NULL, NULL, 'bulk-' || i, i, NULL,
       CASE WHEN i % 3 = 0 THEN 'load-town' ELSE 'load-village' END,
       CASE i % 4 WHEN 0 THEN 'intrusion' WHEN 1 THEN 'hazard' WHEN 2 THEN 'intrusion' ELSE 'corrections' END,
       'medium',
       CASE WHEN i > {count} - 1000 THEN 'new' WHEN i % 50 = 0 THEN 'false_alarm' ELSE 'closed' END,
       '负载测试 Load test #' || i,
       {t0} + i * {step}, {t0} + i * {step}, {t0} + i * {step} + 1200, NULL,
       CASE WHEN i > {count} - 1000 THEN NULL ELSE 'li' END,
       CASE WHEN i > {count} - 1000 THEN NULL ELSE {t0} + i * {step} + 60 END,
       CASE WHEN i > {count} - 1000 THEN NULL ELSE {t0} + i * {step} + 900 END,
       CASE WHEN i > {count} - 1000 THEN NULL ELSE {t0} + i * {step} + 1200 END,
       {t0} + i * {step} + 900, {t0} + i * {step} + 86400,
       CASE WHEN i % 97 = 0 THEN 2 ELSE 0 END, 0, 1 + (i % 11 = 0), {t0} + i * {step}, 0, 0, 0, 0, 0
FROM n;
COMMIT;
ANALYZE;
"""

QUERIES = [
    ("newest page", "/v1/tickets?limit=50"),
    ("open tickets", "/v1/tickets?open=1&limit=50"),
    ("state", "/v1/tickets?state=new&limit=50"),
    ("camera", "/v1/tickets?camera=load-cam3&limit=50"),
    ("grid + category", "/v1/tickets?grid=load-town&category=hazard&limit=50"),
    ("overdue", "/v1/tickets?overdue=1&limit=50"),
    ("one day", "/v1/tickets?since=2026-06-01&until=2026-06-02&limit=50"),
    ("page 100", "/v1/tickets?limit=50&offset=5000"),
    ("title text", "/v1/tickets?q=%23123456&limit=50"),
    ("supervision", "/v1/supervision"),
    ("stats: a month by grid", "/v1/stats?period=month&by=grid"),
]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--reps", type=int, default=15)
    a = p.parse_args()
    gw = os.path.join(os.path.abspath(a.bin), "gridwatchd")
    tools = os.path.join(os.path.abspath(a.bin), "gridwatch-tools")
    cache = os.path.abspath(a.cache)
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores.\n"]

    # Creation through the store's own write path: evidence file (fsync'd) + row + event.
    rows = ["| tickets | evidence per ticket | tickets per second |", "| --- | --- | --- |"]
    for evidence in (0, 40_000):
        d = os.path.join(cache, f"tickets-create-{evidence}")
        shutil.rmtree(d, ignore_errors=True)
        out = run([tools, "load-tickets", "--data-dir", d, "--count", "3000", "--evidence-bytes", str(evidence)]).split()
        rate = float(dict(kv.split("=") for kv in out)["per_second"])
        rows.append(f"| 3000 | {evidence // 1000} KB | {rate:.0f} |")
        print(f"create with {evidence} B evidence: {rate:.0f}/s", flush=True)
    lines += ["### Ticket creation (`gridwatch-tools load-tickets`)\n"] + rows + [""]

    # One million tickets: schema and topology by the store, rows in bulk by SQL.
    d = os.path.join(cache, "tickets-1m")
    db = os.path.join(d, "gridwatch.sqlite")
    if not os.path.exists(db) or int(run(["sqlite3", db, "SELECT count(*) FROM tickets"]).strip() or 0) < a.count:
        shutil.rmtree(d, ignore_errors=True)
        run([tools, "load-tickets", "--data-dir", d, "--count", "1"])
        t0 = time.time() - 365 * 86400
        start = time.time()
        subprocess.run(["sqlite3", db], input=BULK.format(count=a.count - 1, t0=t0, step=365 * 86400 / a.count),
                       check=True, capture_output=True, text=True)
        print(f"bulk insert of {a.count - 1} rows: {time.time() - start:.0f} s", flush=True)
    total = int(run(["sqlite3", db, "SELECT count(*) FROM tickets"]).strip())
    config = os.path.join(cache, "tickets-1m.yml")
    sock = os.path.join(cache, "tickets-1m.sock")
    with open(config, "w") as f:
        f.write(f"daemon:\n  data_dir: {d}\n  socket: {sock}\n  log_level: warning\n"
                "grids:\n  - id: load-town\n  - id: load-village\n    parent: load-town\ncameras: []\n")
    proc = subprocess.Popen([gw, "run", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if get(sock, "/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        rows = ["| query | `GET` | median | 90th percentile | SQLite plan |", "| --- | --- | --- | --- | --- |"]
        for name, path in QUERIES:
            times = []
            for _ in range(a.reps):
                status, t = get(sock, path)
                if status != 200:
                    sys.exit(f"bench: {path} answered {status}")
                times.append(t * 1000)
            times.sort()
            plan = ""
            if path.startswith("/v1/tickets?"):
                query = path.split("?", 1)[1]
                plan = "; ".join(run([tools, "explain-tickets", "--data-dir", d, query]).strip().splitlines())
            p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
            rows.append(f"| {name} | `{path}` | {statistics.median(times):.1f} ms | {p90:.1f} ms | {plan} |")
            print(f"{name}: {statistics.median(times):.1f} ms ({plan})", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    lines += [f"### Listing with {total:,} tickets in the store (over the control socket, {a.reps} runs each)\n"] + rows + [""]
    with open(os.path.join(cache, "tickets.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

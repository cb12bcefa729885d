#!/usr/bin/env python3
"""A webhook receiver for the notification tests, on 127.0.0.1.

Every request is appended to --log as one JSON line (method, path, query, headers, body,
what was answered, when). The answers follow --script, a comma-separated list used in
order for the first requests: a status code (500), "hang" (answer nothing for --hang
seconds, longer than the daemon's timeout), or "429:2" (a status with Retry-After: 2);
after the script, --default (200). A path ending in /robot answers like a messenger robot
({"errcode": 0, "errmsg": "ok"}). --delay slows every answer down (seconds).

Prints "READY http://127.0.0.1:PORT" once listening.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--script", default="")
    p.add_argument("--default", type=int, default=200)
    p.add_argument("--hang", type=float, default=5.0)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    script = [s for s in args.script.split(",") if s]
    lock = threading.Lock()
    count = [0]
    log = open(args.log, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                n = count[0]
                count[0] += 1
            step = script[n] if n < len(script) else str(args.default)
            if args.delay:
                time.sleep(args.delay)
            status, retry_after = 200, None
            if step == "hang":
                time.sleep(args.hang)
                status = 200
            elif ":" in step:
                status, retry_after = int(step.split(":")[0]), step.split(":")[1]
            else:
                status = int(step)
            url = urlsplit(self.path)
            entry = {
                "n": n, "at": time.time(), "method": "POST", "path": url.path, "query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"), "answer": step,
            }
            if url.path.endswith("/robot"):
                reply = json.dumps({"errcode": 0 if status == 200 else 310000, "errmsg": "ok" if status == 200 else "fail"}).encode()
                status = 200
            else:
                reply = b'{"ok": true}' if 200 <= status < 300 else b'{"error": "injected"}'
            try:
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                entry["delivered"] = True
            except (BrokenPipeError, ConnectionResetError):
                entry["delivered"] = False
            with lock:
                log.write(json.dumps(entry, ensure_ascii=False) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

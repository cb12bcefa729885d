#!/usr/bin/python3
"""make bench, the shared store: tickets a second through PostgreSQL with three nodes
writing at once (beside one node, and SQLite, in the same run), and the failover time of
three gridwatchd nodes over repeated kill -9 (median and max).

Starts its own PostgreSQL 15 from Debian's packages (initdb into a temporary folder, as the
postgres user when run as root), on 127.0.0.1 and a free port."""
import argparse, glob, http.client, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postgres:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            sys.exit("PostgreSQL's server is not installed (apt-get install postgresql)")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="gw-bench-pg-")
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.run_as:
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.pg("initdb", "-D", f"{self.dir}/data", "-U", "gridwatch", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        self.pg("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}", "start")

    def pg(self, program, *args):
        subprocess.run(self.run_as + [f"{self.bin}/{program}", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def createdb(self, name):
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "gridwatch", name], check=True)
        return f"postgresql://gridwatch@127.0.0.1:{self.port}/{name}"

    def stop(self):
        try:
            self.pg("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def load(tools, work, count, postgres=None, prefix="load-cam"):
    args = [tools, "load-tickets", "--data-dir", work, "--count", str(count), "--camera-prefix", prefix]
    if postgres:
        args += ["--postgres", postgres]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def tickets_per_second(tools, pg, count):
    """The same load on SQLite, on PostgreSQL from one node, and from three nodes at once."""
    work = tempfile.mkdtemp(prefix="gw-bench-load-")
    out = {}
    try:
        for label, loaders in [("SQLite, one node", 1), ("PostgreSQL, one node", 1), ("PostgreSQL, three nodes at once", 3)]:
            url = None if label.startswith("SQLite") else pg.createdb(f"load{len(out)}")
            start = time.monotonic()
            procs = [load(tools, f"{work}/{len(out)}-{i}", count, url, f"node{i}-cam") for i in range(loaders)]
            for p in procs:
                p.communicate()
                if p.returncode != 0:
                    sys.exit(f"load-tickets failed ({label})")
            seconds = time.monotonic() - start
            out[label] = (loaders * count, seconds)
            print(f"  {label}: {loaders * count} tickets in {seconds:.1f} s = {loaders * count / seconds:.0f} a second", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def get(sock, path):
    conn = http.client.HTTPConnection("localhost", timeout=5)
    conn.sock = socket.socket(socket.AF_UNIX)
    conn.sock.settimeout(5)
    conn.sock.connect(sock)
    conn.request("GET", path)
    body = conn.getresponse().read()
    conn.close()
    return json.loads(body)


def streaming(sock):
    try:
        return {c["id"] for c in get(sock, "/v1/cameras")["cameras"] if c["state"] == "streaming"}
    except OSError:
        return set()
    except ValueError:
        return set()


def failover(bin_dir, pg, footage, kills, lease_timeout, cameras=6):
    """Three nodes, `cameras` file cameras looping real footage; kill -9 a node (in turn),
    time until its cameras stream on the others, start it again, until `kills` kills."""
    url = pg.createdb("failover")
    footage = os.path.abspath(footage)
    work = tempfile.mkdtemp(prefix="gw-bench-failover-")
    procs = {}
    cams = "\n".join(f"""  - id: cam{i}
    grid: town
    source: {footage}
    loop: true
    realtime: true
    zones:
      - id: road
        polygon: [[0.60, 0.42], [0.98, 0.42], [0.98, 0.72], [0.60, 0.68]]""" for i in range(1, cameras + 1))

    def start(node):
        d = f"{work}/{node}"
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/gridwatch.yml", "w") as f:
            f.write(f"""daemon:
  data_dir: {d}/data
  socket: {d}/control.sock
  log_level: warning
  node_id: {node}
  lease_timeout: {lease_timeout}s
store:
  postgres: {url}
grids:
  - id: town
    name: town
    level: town
cameras:
{cams}
""")
        procs[node] = subprocess.Popen([f"{bin_dir}/gridwatchd", "run", "--config", f"{d}/gridwatch.yml"],
                                       stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))

    def sock(node):
        return f"{work}/{node}/control.sock"

    def wait(condition, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return False

    nodes = ["n1", "n2", "n3"]
    times = []

    def fail(why):
        for n in nodes:
            try:
                print(f"--- {n}: streaming {sorted(streaming(sock(n)))}\n" + open(f"{work}/{n}/log").read()[-2000:], file=sys.stderr)
            except OSError:
                pass
        sys.exit(why)
    try:
        for n in nodes:
            start(n)
        for k in range(kills):
            if not wait(lambda: sum(len(streaming(sock(n))) for n in nodes) == cameras and all(streaming(sock(n)) for n in nodes), 120):
                fail(f"failover: cameras not shared out before kill {k + 1}")
            victim = nodes[k % 3]
            others = [n for n in nodes if n != victim]
            lost = streaming(sock(victim))
            procs[victim].kill()
            killed = time.monotonic()
            procs[victim].wait()
            if not wait(lambda: lost <= set().union(*(streaming(sock(n)) for n in others)), lease_timeout * 4):
                fail(f"failover: {victim}'s cameras {sorted(lost)} not taken over")
            times.append(time.monotonic() - killed)
            print(f"  kill {k + 1}: {victim}'s {len(lost)} cameras analysed elsewhere after {times[-1]:.2f} s", flush=True)
            start(victim)
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--footage", required=True, help="a clip the cameras loop (vtest re-encoded as H.264)")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--tickets", type=int, default=3000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--lease-timeout", type=int, default=12)
    args = ap.parse_args()
    pg = Postgres()
    try:
        print(f"== tickets a second through the store ({args.tickets} a node, no evidence)", flush=True)
        rates = tickets_per_second(f"{args.bin}/gridwatch-tools", pg, args.tickets)
        print(f"== failover: three nodes, six cameras, lease_timeout {args.lease_timeout} s, {args.kills} kills", flush=True)
        times = failover(args.bin, pg, args.footage, args.kills, args.lease_timeout)
    finally:
        pg.stop()
    lines = ["| store | tickets | seconds | tickets a second |", "| --- | --- | --- | --- |"]
    for label, (n, s) in rates.items():
        lines.append(f"| {label} | {n} | {s:.1f} | {n / s:.0f} |")
    lines += ["", f"Failover over {len(times)} kills (kill -9 of a node until all its cameras stream on the others; "
              f"lease_timeout {args.lease_timeout} s): median **{statistics.median(times):.1f} s**, max **{max(times):.1f} s**, "
              f"min {min(times):.1f} s."]
    text = "\n".join(lines)
    print(text)
    os.makedirs(args.cache, exist_ok=True)
    with open(os.path.join(args.cache, "cluster.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()

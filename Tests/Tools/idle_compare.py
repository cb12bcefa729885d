#!/usr/bin/python3
"""Compares the events of two `gridwatchd replay` runs of one clip (decode-on-demand off
and on): the same events (kind, rule, direction) at the same stream time within one
analysed frame. Usage: idle_compare.py FULL.jsonl IDLE.jsonl [TOLERANCE_S]
Prints the matched count and every event only one run has; exits 1 if there is any."""
import json
import sys


def keyed(events):
    """Events (dicts as `replay` prints them) as ((type, rule or reason, direction), time)."""
    out = []
    for e in events:
        rule = e.get("zone") or e.get("tripwire") or e.get("reason") or e.get("mode") or ""
        out.append(((e["type"], rule, e.get("direction", "")), e["time"]))
    return out


def load(path):
    with open(path) as f:
        return keyed(json.loads(line) for line in f if line.strip())


def compare(full, idle, tolerance):
    used = set()
    only_full = []
    for key, t in full:
        j = next((i for i, (k2, t2) in enumerate(idle) if i not in used and k2 == key and abs(t2 - t) <= tolerance), None)
        if j is None:
            only_full.append((key, t))
        else:
            used.add(j)
    only_idle = [idle[i] for i in range(len(idle)) if i not in used]
    return len(full) - len(only_full), only_full, only_idle


def main(argv):
    full, idle = load(argv[1]), load(argv[2])
    tolerance = float(argv[3]) if len(argv) > 3 else 0.11
    matched, only_full, only_idle = compare(full, idle, tolerance)
    print(f"{matched} of {len(full)} events the same with idle decoding (±{tolerance:.2f} s); "
          f"{len(only_full)} only with full decoding, {len(only_idle)} only with idle decoding")
    for (kind, rule, direction), t in only_full:
        print(f"  - {kind} {rule} {direction} at {t:.2f} s")
    for (kind, rule, direction), t in only_idle:
        print(f"  + {kind} {rule} {direction} at {t:.2f} s")
    return 0 if not only_full and not only_idle else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

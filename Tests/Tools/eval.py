#!/usr/bin/env python3
"""Scores `gridwatchd replay` events against truth made by eye (Docs/ref/eval.md).

Usage:
  eval.py --self-test
  eval.py [--json] [--check] TRUTH.json=EVENTS.jsonl [TRUTH.json=EVENTS.jsonl ...]

--check also compares with the targets (TARGET_F1 for crossings and zone entries on
every clip with people, no event at all on an empty clip) and exits 1 if one is missed.

Each truth file names its clip; EVENTS.jsonl is what `gridwatchd replay` printed
for that clip. Only the standard library is used.

Rules of the score (kept here as small pure functions):
  * crossings match by line, direction and time (±1 s); zone entries by zone and
    time (±1.5 s); one detection matches at most one truth episode and vice versa
    (greedy on the time distance, closest pairs first).
  * truth events that share a `group` id (people crossing within 1 s of each other
    in the same direction) form one episode: it is found if one detection matches
    within tolerance of any member; further detections of the same rule and
    direction within tolerance of a member are neither true positives nor false
    alarms. So merging or splitting a group is neither rewarded nor punished.
  * `ambiguous` truth events are never misses; detections within tolerance of one
    are ignored.
"""
import json
import sys

TOLERANCE = {"crossing": 1.0, "zone_enter": 1.5}
TARGET_F1 = 0.95
KINDS = ("crossing", "zone_enter")


def episodes_of(events):
    """Truth events → episodes: dicts with key (rule, kind, direction), member times,
    ambiguous flag. Events sharing a group id (and key) form one episode."""
    groups, out = {}, []
    for e in events:
        key = (e["rule"], e["kind"], e["direction"] if e["kind"] == "crossing" else "enter")
        if e.get("ambiguous"):
            # an ambiguous case may last (someone standing on a line or an edge):
            # [time, until_time] is ignored as a whole
            span = [e["time"], e.get("until_time", e["time"])]
            out.append({"key": key, "times": span, "span": True, "ambiguous": True, "size": 1})
        elif e.get("group"):
            g = groups.get((key, e["group"]))
            if g is None:
                g = groups[(key, e["group"])] = {"key": key, "times": [], "ambiguous": False, "size": 0}
                out.append(g)
            g["times"].append(e["time"])
            g["size"] += 1
        else:
            out.append({"key": key, "times": [e["time"]], "ambiguous": False, "size": 1})
    return out


def distance(ep, t):
    if ep.get("span"):
        lo, hi = ep["times"]
        return max(0.0, lo - t, t - hi)
    return min(abs(t - m) for m in ep["times"])


def match(episodes, detections, tolerance):
    """Pure matching of one clip. episodes: from episodes_of; detections: dicts with
    key (rule, kind, direction) and time; tolerance: kind → seconds.
    Returns per kind: tp, fp, miss, errors (|time error| of each true positive),
    ignored, and the lists of matched pairs / false alarms / missed episodes."""
    res = {k: {"tp": 0, "fp": 0, "miss": 0, "ignored": 0, "errors": [],
               "pairs": [], "false_alarms": [], "misses": []} for k in KINDS}
    det = [d for d in detections if d["key"][1] in res]
    pairs = []
    for ei, ep in enumerate(episodes):
        if ep["ambiguous"]:
            continue
        tol = tolerance[ep["key"][1]]
        for di, d in enumerate(det):
            if d["key"] == ep["key"]:
                dist = distance(ep, d["time"])
                if dist <= tol + 1e-9:
                    pairs.append((dist, ei, di))
    pairs.sort()
    used_e, used_d = set(), set()
    for dist, ei, di in pairs:
        if ei in used_e or di in used_d:
            continue
        used_e.add(ei)
        used_d.add(di)
        r = res[episodes[ei]["key"][1]]
        r["tp"] += 1
        r["errors"].append(dist)
        r["pairs"].append((episodes[ei], det[di]))
    for di, d in enumerate(det):
        if di in used_d:
            continue
        r = res[d["key"][1]]
        tol = tolerance[d["key"][1]]
        near = [ep for ep in episodes if ep["key"] == d["key"] and distance(ep, d["time"]) <= tol + 1e-9]
        if any(ep["ambiguous"] or ep["size"] > 1 for ep in near):
            r["ignored"] += 1
        else:
            r["fp"] += 1
            r["false_alarms"].append(d)
    for ei, ep in enumerate(episodes):
        if ei not in used_e and not ep["ambiguous"]:
            r = res[ep["key"][1]]
            r["miss"] += 1
            r["misses"].append(ep)
    return res


def metrics(r, hours=None):
    tp, fp, miss = r["tp"], r["fp"], r["miss"]
    p = tp / (tp + fp) if tp + fp else None
    rc = tp / (tp + miss) if tp + miss else None
    f1 = 2 * p * rc / (p + rc) if p is not None and rc is not None and p + rc > 0 else None
    err = sum(r["errors"]) / len(r["errors"]) if r["errors"] else None
    out = {"tp": tp, "fp": fp, "miss": miss, "ignored": r["ignored"],
           "precision": p, "recall": rc, "f1": f1, "mean_abs_time_error_s": err}
    if hours:
        out["false_alarms_per_hour"] = fp / hours
    return out


def detections_of(lines):
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        e = json.loads(line)
        if e.get("type") == "crossing":
            out.append({"key": (e["tripwire"], "crossing", e["direction"]), "time": e["time"],
                        "frame": e.get("frame"), "track": e.get("track")})
        elif e.get("type") == "zone_enter":
            out.append({"key": (e["zone"], "zone_enter", "enter"), "time": e["time"],
                        "frame": e.get("frame"), "track": e.get("track")})
    return out


def score(truth, lines):
    eps = episodes_of(truth["events"])
    res = match(eps, detections_of(lines), TOLERANCE)
    hours = truth["duration_s"] / 3600.0 if truth.get("empty") else None
    per_kind = {k: metrics(res[k], hours) for k in KINDS}
    both = {key: res["crossing"][key] + res["zone_enter"][key] for key in ("tp", "fp", "miss", "ignored", "errors")}
    per_kind["all"] = metrics(both, hours)
    per_rule = {}
    rules = sorted({e["key"][0:2] for e in eps} | {d["key"][0:2] for d in detections_of(lines)})
    for rule, kind in rules:
        e2 = [e for e in eps if e["key"][0] == rule]
        d2 = [d for d in detections_of(lines) if d["key"][0] == rule]
        per_rule[rule] = metrics(match(e2, d2, TOLERANCE)[kind], hours)
    details = {k: {"false_alarms": [{"rule": d["key"][0], "direction": d["key"][2], "frame": d["frame"], "time": d["time"],
                                     "track": d["track"]} for d in res[k]["false_alarms"]],
                   "misses": [{"rule": ep["key"][0], "direction": ep["key"][2], "times": ep["times"]} for ep in res[k]["misses"]]}
               for k in KINDS}
    return {"clip": truth["clip"], "empty": bool(truth.get("empty")), "duration_s": truth["duration_s"],
            "truth_episodes": {k: sum(1 for e in eps if e["key"][1] == k and not e["ambiguous"]) for k in KINDS},
            "per_kind": per_kind, "per_rule": per_rule, "details": details}


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def table(results):
    rows = ["clip        kind        TP  FP  miss  ign  precision  recall  F1    |dt| s  FA/h"]
    for s in results:
        for k in ("crossing", "zone_enter", "all"):
            m = s["per_kind"][k]
            rows.append(f"{s['clip']:<11} {k:<10} {m['tp']:>3} {m['fp']:>3} {m['miss']:>5} {m['ignored']:>4}  "
                        f"{fmt(m['precision']):>9}  {fmt(m['recall']):>6}  {fmt(m['f1']):<5} {fmt(m['mean_abs_time_error_s']):>6}  "
                        f"{fmt(m.get('false_alarms_per_hour'), 0) if s['empty'] else '-':>5}")
    rows.append("")
    rows.append("per rule      clip        TP  FP  miss  ign  precision  recall  F1")
    for s in results:
        for rule, m in s["per_rule"].items():
            rows.append(f"{rule:<13} {s['clip']:<11} {m['tp']:>3} {m['fp']:>3} {m['miss']:>5} {m['ignored']:>4}  "
                        f"{fmt(m['precision']):>9}  {fmt(m['recall']):>6}  {fmt(m['f1'])}")
    return "\n".join(rows)


def self_test():
    def ev(rule, t, kind="crossing", d="a_to_b", **kw):
        return dict(rule=rule, kind=kind, direction=d, time=t, **kw)

    def dt(rule, t, kind="crossing", d="a_to_b"):
        return {"key": (rule, kind, d if kind == "crossing" else "enter"), "time": t}

    def run(truth, dets):
        r = match(episodes_of(truth), dets, TOLERANCE)
        return {k: (r[k]["tp"], r[k]["fp"], r[k]["miss"], r[k]["ignored"]) for k in KINDS}

    checks = [
        # within ±1 s: a hit; 1.2 s late: a false alarm and a miss
        (run([ev("L", 10.0)], [dt("L", 10.9)])["crossing"], (1, 0, 0, 0)),
        (run([ev("L", 10.0)], [dt("L", 11.2)])["crossing"], (0, 1, 1, 0)),
        # wrong direction or wrong line: no match
        (run([ev("L", 10.0)], [dt("L", 10.0, d="b_to_a")])["crossing"], (0, 1, 1, 0)),
        (run([ev("L", 10.0)], [dt("M", 10.0)])["crossing"], (0, 1, 1, 0)),
        # one to one: two detections for one person, one is a false alarm
        (run([ev("L", 10.0)], [dt("L", 10.0), dt("L", 10.5)])["crossing"], (1, 1, 0, 0)),
        # closest pairs first: 10.0 and 10.8 truth, 10.7 and 9.9 detections → 2 hits
        (run([ev("L", 10.0), ev("L", 10.8)], [dt("L", 10.7), dt("L", 9.9)])["crossing"], (2, 0, 0, 0)),
        # a group of two: one detection (merged) is a full hit, nothing missed
        (run([ev("L", 10.0, group="g"), ev("L", 10.4, group="g")], [dt("L", 10.2)])["crossing"], (1, 0, 0, 0)),
        # ... and three detections (split) are one hit, the rest ignored
        (run([ev("L", 10.0, group="g"), ev("L", 10.4, group="g")],
             [dt("L", 10.0), dt("L", 10.4), dt("L", 11.2)])["crossing"], (1, 0, 0, 2)),
        # ambiguous: not a miss, a detection near it is ignored
        (run([ev("L", 10.0, ambiguous=True)], [dt("L", 10.3)])["crossing"], (0, 0, 0, 1)),
        (run([ev("L", 10.0, ambiguous=True)], [])["crossing"], (0, 0, 0, 0)),
        # an ambiguous span (someone standing on the line 10-20 s): detections in it and within tolerance ignored
        (run([ev("L", 10.0, ambiguous=True, until_time=20.0)], [dt("L", 15.0), dt("L", 20.9), dt("L", 21.5)])["crossing"],
         (0, 1, 0, 2)),
        # zone entries: ±1.5 s
        (run([ev("Z", 10.0, kind="zone_enter")], [dt("Z", 11.4, kind="zone_enter")])["zone_enter"], (1, 0, 0, 0)),
        (run([ev("Z", 10.0, kind="zone_enter")], [dt("Z", 11.6, kind="zone_enter")])["zone_enter"], (0, 1, 1, 0)),
    ]
    bad = [(i, got, want) for i, (got, want) in enumerate(checks) if got != want]
    m = metrics({"tp": 3, "fp": 1, "miss": 2, "ignored": 0, "errors": [0.1, 0.2, 0.3]}, hours=0.5)
    if abs(m["precision"] - 0.75) > 1e-9 or abs(m["recall"] - 0.6) > 1e-9 or abs(m["f1"] - 2 / 3) > 1e-9 \
            or abs(m["mean_abs_time_error_s"] - 0.2) > 1e-9 or m["false_alarms_per_hour"] != 2:
        bad.append(("metrics", m, None))
    # targets: an F1 just under the target, and one event on an empty clip, are each named
    good = {"clip": "a", "empty": False, "per_kind": {"crossing": {"f1": 0.96}, "zone_enter": {"f1": 0.95}, "all": {"fp": 0}}}
    low = {"clip": "b", "empty": False, "per_kind": {"crossing": {"f1": 0.9499}, "zone_enter": {"f1": None}, "all": {"fp": 0}}}
    empty = {"clip": "c", "empty": True, "per_kind": {"crossing": {"f1": None}, "zone_enter": {"f1": None}, "all": {"fp": 1}}}
    if targets_missed([good]) != [] or len(targets_missed([low])) != 2 or len(targets_missed([good, empty])) != 1:
        bad.append(("targets", targets_missed([good, low, empty]), None))
    for b in bad:
        print("self-test FAILED:", b, file=sys.stderr)
    print(f"eval.py self-test: {len(checks) + 2 - len(bad)}/{len(checks) + 2} checks passed")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    as_json = "--json" in argv
    check = "--check" in argv
    pairs = [a for a in argv[1:] if a not in ("--json", "--check")]
    if not pairs or any("=" not in p for p in pairs):
        print(__doc__, file=sys.stderr)
        return 2
    results = []
    for p in pairs:
        tpath, epath = p.split("=", 1)
        with open(tpath) as f:
            truth = json.load(f)
        with open(epath) as f:
            results.append(score(truth, f.readlines()))
    if as_json:
        print(json.dumps({"tolerance_s": TOLERANCE, "clips": results}, indent=1))
    else:
        print(table(results))
    if check:
        missed = targets_missed(results)
        for m in missed:
            print(f"target missed: {m}", file=sys.stderr)
        print(("targets met: " if not missed else "targets NOT met: ")
              + f"crossing and zone-entry F1 >= {TARGET_F1} on clips with people, no events on empty clips", file=sys.stderr)
        return 1 if missed else 0
    return 0


def targets_missed(results):
    """The targets each clip's score misses (pure)."""
    out = []
    for s in results:
        if s["empty"]:
            n = s["per_kind"]["all"]["fp"]
            if n:
                out.append(f"{s['clip']}: {n} events on a clip with nobody in it")
            continue
        for k in KINDS:
            f1 = s["per_kind"][k]["f1"]
            if f1 is None or f1 < TARGET_F1:
                out.append(f"{s['clip']} {k}: F1 {fmt(f1, 3)} < {TARGET_F1}")
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv))

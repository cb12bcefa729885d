#!/usr/bin/env python3
"""Camera-integrity scenes for `make eval`: real footage (Debian opencv-doc's vtest.avi
and tree.avi) changed with the ffmpeg CLI's filters at a known time, replayed with
`gridwatchd replay`, and checked against what must be raised and when.

Each scene names the events it must raise ({type, reason or mode}) within a window after
the change, and nothing else of the integrity kind (tamper, tamper_cleared, scene_mode).
The untouched clips must raise nothing. Prints one line per scene with the detection delay
(seconds from the change to the event) and exits 1 when a scene fails.

Usage: integrity_eval.py BIN_DIR CACHE_DIR [--json]
"""
import json
import os
import subprocess
import sys

ENCODE = ["-an", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p"]
T = 30  # seconds into the clip the picture is tampered with

# name, source, ffmpeg input arguments, filter arguments, the events that must come:
# (type, reason or mode, change time, latest delay allowed).
SCENES = [
    ("vtest", "vtest.avi", [], [], []),
    ("tree (waving tree, looped)", "tree.avi", ["-stream_loop", "2"], [], []),
    ("covered: black cap at 30 s, off at 55 s", "vtest.avi", [],
     ["-vf", f"drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,{T},55)'"],
     [("tamper", "covered", T, 11.5), ("tamper_cleared", "covered", 55, 6.5)]),
    ("covered: translucent cover (85 % gray)", "vtest.avi", [],
     ["-vf", f"drawbox=x=0:y=0:w=iw:h=ih:color=gray@0.85:t=fill:enable='gte(t,{T})'"],
     [("tamper", "covered", T, 11.5)]),
    ("covered: hand-sized dark cover on the waving tree", "tree.avi", ["-stream_loop", "2"],
     ["-vf", f"drawbox=x=0:y=0:w=iw:h=ih:color=0x202020@0.9:t=fill:enable='gte(t,{T})'"],
     [("tamper", "covered", T, 11.5)]),
    ("defocused: blur (sigma 10 px at 768 px)", "vtest.avi", [], ["-vf", f"gblur=sigma=10:enable='gte(t,{T})'"],
     [("tamper", "defocused", T, 21.5)]),
    ("defocused: fogged lens (blur and haze)", "vtest.avi", [],
     ["-vf", f"gblur=sigma=6:enable='gte(t,{T})',eq=contrast=0.6:brightness=0.15:enable='gte(t,{T})'"],
     [("tamper", "defocused", T, 21.5)]),
    ("moved: turned by 120x90 px", "vtest.avi", [],
     ["-vf", f"crop=w=iw-120:h=ih-90:x='if(gte(t,{T}),120,0)':y='if(gte(t,{T}),90,0)',scale=768:576"],
     [("tamper", "moved", T, 21.5)]),
    ("moved: turned on the waving tree", "tree.avi", ["-stream_loop", "2"],
     ["-vf", f"crop=w=iw-60:h=ih-40:x='if(gte(t,{T}),60,0)':y='if(gte(t,{T}),40,0)',scale=320:240"],
     [("tamper", "moved", T, 21.5)]),
    ("frozen: a hung encoder repeats frame 300", "vtest.avi", [],
     ["-filter_complex", "[0][1]freezeframes=first=300:last=700:replace=300"],
     [("tamper", "frozen", T, 17.5), ("tamper_cleared", "frozen", 70, 6.5)]),
    ("infrared switch: colour gone, brighter", "vtest.avi", [],
     ["-vf", f"hue=s=0:enable='gte(t,{T})',eq=brightness=0.15:enable='gte(t,{T})'"],
     [("scene_mode", "night", T, 2)]),
]


def make(cache, name, source, inputs, filters):
    path = os.path.join(cache, "scenes", f"scene{SCENES.index(next(s for s in SCENES if s[0] == name))}.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    src = os.path.join(cache, source)
    args = ["ffmpeg", "-v", "error", "-y"] + inputs + ["-i", src]
    if any("[1]" in f for f in filters):
        args += inputs + ["-i", src]
    subprocess.run(args + filters + ENCODE + [path + ".part.mp4"], check=True)
    os.rename(path + ".part.mp4", path)
    return path


def integrity_events(bin_dir, clip, geometry):
    out = subprocess.run([os.path.join(bin_dir, "gridwatchd"), "replay", "--input", clip, "--geometry", geometry],
                         check=True, capture_output=True, text=True).stdout
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [e for e in events if e["type"] in ("tamper", "tamper_cleared", "scene_mode")]


def check(expected, seen):
    """Matches each expected event to one seen; returns (ok, delays, problems)."""
    problems, delays, left = [], [], list(seen)
    for kind, what, at, within in expected:
        key = "mode" if kind == "scene_mode" else "reason"
        hit = next((e for e in left if e["type"] == kind and e.get(key) == what), None)
        if hit is None:
            problems.append(f"no {kind} {what}")
            continue
        left.remove(hit)
        delay = hit["time"] - at
        delays.append((f"{kind} {what}", delay))
        if delay < 0 or delay > within:
            problems.append(f"{kind} {what} after {delay:.1f} s (allowed 0 to {within} s)")
    problems += [f"unexpected {e['type']} {e.get('reason', e.get('mode'))} at {e['time']:.1f} s" for e in left]
    return not problems, delays, problems


def main(argv):
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    bin_dir, cache = args[0], args[1]
    geometry = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Eval", "vtest.geometry.json")
    results, failed = [], 0
    for name, source, inputs, filters, expected in SCENES:
        clip = os.path.join(cache, source) if not filters and not inputs else make(cache, name, source, inputs, filters)
        if not filters and inputs:
            clip = make(cache, name, source, inputs, ["-vf", "null"])
        ok, delays, problems = check(expected, integrity_events(bin_dir, clip, geometry))
        failed += 0 if ok else 1
        results.append({"scene": name, "ok": ok, "delays": {k: round(v, 1) for k, v in delays}, "problems": problems})
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        print("Camera integrity (tamper at 30 s; delay = seconds from the change to the event)")
        for r in results:
            delays = ", ".join(f"{k} +{v:.1f} s" for k, v in r["delays"].items()) or "nothing raised"
            print(f"  {'ok  ' if r['ok'] else 'FAIL'} {r['scene']}: {delays}" + ("" if r["ok"] else f"  ({'; '.join(r['problems'])})"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

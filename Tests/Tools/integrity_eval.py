#!/usr/bin/env python3
"""Camera-integrity, smoke and fire scenes for `make eval`: real footage (Debian
opencv-doc's vtest.avi and tree.avi) changed with the ffmpeg CLI's filters at a known
time (a cover, a blur, a turn, a freeze, an infrared switch; a flame, a plume of smoke and
their distractors drawn with `geq` and blended on with `overlay`), replayed with
`gridwatchd replay` (smoke and fire on: Tests/Eval/fire.geometry.json), and checked
against what must be raised and when.

Each scene names the events it must raise ({type, reason, mode or zone}) within a window
after the change, and nothing else of these kinds (tamper, tamper_cleared, scene_mode,
fire, smoke). The untouched clips and the distractors must raise nothing. Prints one line
per scene with the detection delay (seconds from the change to the event) and exits 1
when a scene fails.

Usage: integrity_eval.py BIN_DIR CACHE_DIR [--json]
"""
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import idle_clip  # noqa: E402  (the bench's mostly idle camera)
from idle_compare import compare, keyed  # noqa: E402

ENCODE = ["-an", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p"]
T = 30  # seconds into the clip the picture is tampered with
INTEGRITY_KINDS = ("tamper", "tamper_cleared", "scene_mode", "fire", "smoke")

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


# The same tampering on a still camera (the bench's mostly idle clip, scenes/idle-360p.mp4:
# 50 s of one frame of vtest with sensor noise, then 10 s of people), done at 30 s, while
# idle decoding has the camera on keyframes only: the change must wake it and be raised in
# the same time as with every frame decoded.
STILL = "scenes/idle-360p.mp4"
STILL_SCENES = [
    ("still camera covered at 30 s", STILL, [],
     ["-vf", f"drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='gte(t,{T})'"],
     [("tamper", "covered", T, 11.5)]),
    ("still camera defocused at 30 s (blur sigma 8 px at 640 px)", STILL, [],
     ["-vf", f"gblur=sigma=8:enable='gte(t,{T})'"],
     [("tamper", "defocused", T, 21.5)]),
    # A camera turns over a second (a pan, a knock): a picture replaced by another of the
    # same coded size exactly at a keyframe has no sign in the packets (decode-on-demand.md).
    ("still camera turned from 30 s to 31 s by 100x56 px", STILL, [],
     ["-vf", f"crop=w=iw-100:h=ih-56:x='100*clip(t-{T},0,1)':y='56*clip(t-{T},0,1)',scale=640:360"],
     [("tamper", "moved", T, 21.5)]),
    # A still picture's frames often look alike to the frozen check, so the clearing waits
    # for the first change it can see: the people at 50 s, then `clearAfter` (5 s).
    ("still camera frozen from 20 s to 45 s", STILL, [],
     ["-filter_complex", "[0][1]freezeframes=first=200:last=450:replace=200"],
     [("tamper", "frozen", 20, 17.5), ("tamper_cleared", "frozen", 45, 10.5)]),
    # The same beginning half a second before a keyframe: its quiet packets run across it.
    ("still camera frozen from 20.5 s to 45 s", STILL, [],
     ["-filter_complex", "[0][1]freezeframes=first=205:last=450:replace=205"],
     [("tamper", "frozen", 20.5, 17.5), ("tamper_cleared", "frozen", 45, 10.5)]),
    ("still camera switched to infrared at 30 s", STILL, [],
     ["-vf", f"hue=s=0:enable='gte(t,{T})',eq=brightness=0.15:enable='gte(t,{T})'"],
     [("scene_mode", "night", T, 2)]),
]


# Drawn on the footage with geq (x, y in pixels of the drawing, t in seconds). In each
# expression st(i, ...) keeps a value that ld(i) reads back.
def flame(w=90, h=130):
    """A flame: its height flickers (three sines of unrelated frequencies), its tongue
    sways, yellow-white at the core and orange-red at the edge."""
    pre = (f"st(0,{h * 0.72}+{h * 0.17}*sin(2*PI*3.1*T)+{h * 0.09}*sin(2*PI*7.3*T+1)+{h * 0.05}*sin(2*PI*11.7*T+2))"
           f"+st(1,6*sin(2*PI*2.3*T+Y/15)+3*sin(2*PI*5.9*T+Y/7))+st(3,max(0,(Y-({h}-ld(0)))/ld(0)))"
           f"+st(2,abs(X-{w / 2}-ld(1))/(2+{w * 0.36}*ld(3)))")
    g = f"({pre})*0+clip(80+170*(1-ld(2))*ld(3),0,255)"
    b = f"({pre})*0+clip(10+220*max(0,1-2*ld(2))*gt(ld(3),0.6),0,255)"
    a = f"({pre})*0+255*gt(ld(3),0)*clip(1.5*(1-ld(2)),0,1)"
    return f"color=black@0:s={w}x{h}:r=10,format=rgba,geq=r='255':g='{g}':b='{b}':a='{a}'"


def plume(w=320, h=420, rise=16.0, grey=195):
    """Smoke rising from a point at the bottom: its top climbs `rise` px/s, it widens
    upward, drifts right and slowly churns."""
    pre = (f"st(0,min({h},20+{rise}*T))+st(1,{h}-Y)+st(2,50+0.45*ld(1)+10*sin(ld(1)/25-1.5*T))"
           f"+st(3,14+0.45*ld(1))")
    a = (f"({pre})*0+clip(230*gt(ld(0),ld(1))*exp(-pow((X-ld(2))/ld(3),2))*min(1,(ld(0)-ld(1))/50)"
         f"*(0.85+0.15*sin(X/23+Y/31-1.2*T)),0,255)")
    return f"color=black@0:s={w}x{h}:r=10,format=rgba,geq=r='{grey}':g='{grey}':b='{grey - 6}':a='{a}'"


def flag(w=110, h=70):
    """A bright orange flag waving on its pole: folds travel along it."""
    a = "255*lt(abs(Y-35-(X/110)*(6*sin(X/14-9*T)+4*sin(X/7-13*T))),26-X/10)"
    return f"color=black@0:s={w}x{h}:r=10,format=rgba,geq=r='255':g='150+40*sin(X/14-9*T)':b='20':a='{a}'"


def cloud_shadows(w=768, h=576):
    """Two soft cloud shadows drifting right across the scene."""
    a = ("90*exp(-pow((X-mod(40*T,1200)+200)/170,2)-pow((Y-300)/140,2))"
         "+70*exp(-pow((X-mod(40*T+600,1200)+200)/130,2)-pow((Y-120)/90,2))")
    return f"color=black@0:s={w}x{h}:r=10,format=rgba,geq=r='0':g='0':b='0':a='{a}'"


def sky(w=768, h=160):
    """A blue sky with white clouds drifting right."""
    c = ("st(0,exp(-pow((X-mod(25*T,1100)+150)/120,2)-pow((Y-60)/35,2))"
         "+exp(-pow((X-mod(25*T+500,1100)+150)/90,2)-pow((Y-100)/30,2))*(0.8+0.2*sin(X/17)))")
    return (f"color=black:s={w}x{h}:r=10,format=rgb24,geq=r='({c})*0+110+140*min(1,ld(0))'"
            f":g='({c})*0+160+90*min(1,ld(0))':b='({c})*0+230+20*min(1,ld(0))'")


# name, drawings (lavfi inputs 1, 2, ...), filter graph over input 0 (vtest.avi), the events
# that must come: (type, zone, change time, latest delay allowed).
FIRE_SCENES = [
    ("fire: a flame in the field at 30 s", [flame()],
     f"[1]setpts=PTS+{T}/TB[f];[0][f]overlay=x=190:y=370:enable='gte(t,{T})'", [("fire", "field", T, 9)]),
    ("smoke: a plume rising from the field at 30 s", [plume()],
     f"[1]setpts=PTS+{T}/TB[f];[0][f]overlay=x=100:y=130:enable='gte(t,{T})'", [("smoke", "field", T, 20)]),
    ("distractor: a red car drives in at 30 s, parks 20 s, drives off", ["color=0xC81414:s=130x60:r=10"],
     f"[0][1]overlay=x='if(lt(t,{T}),-200,if(lt(t,{T + 4}),-130+90*(t-{T}),if(lt(t,{T + 24}),230,230+90*(t-{T + 24}))))':y=440", []),
    ("distractor: a bright orange flag waving from 30 s", [flag(), "color=0x606060:s=6x160:r=10"],
     f"[0][2]overlay=x=60:y=300[p];[p][1]overlay=x=66:y=300:enable='gte(t,{T})'", []),
    ("distractor: clouds drifting in the sky and their shadows on the ground", [cloud_shadows(), sky()],
     "[0][1]overlay=0:0[s];[2][s]vstack", []),
    ("distractor: colours 2.5x (people in red, orange cones, brick)", [], "[0]eq=saturation=2.5", []),
]


def make_drawn(cache, index, drawings, graph):
    path = os.path.join(cache, "scenes", f"fire{index}.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    args = ["ffmpeg", "-v", "error", "-y", "-i", os.path.join(cache, "vtest.avi")]
    for d in drawings:
        args += ["-f", "lavfi", "-i", d]
    # The drawings never end: the clip's length is vtest's.
    subprocess.run(args + ["-filter_complex", graph, "-t", "80"] + ENCODE + [path + ".part.mp4"], check=True)
    os.rename(path + ".part.mp4", path)
    return path


def make(cache, name, source, inputs, filters, scenes=None):
    if scenes is None:
        path = os.path.join(cache, "scenes", f"scene{SCENES.index(next(s for s in SCENES if s[0] == name))}.mp4")
    else:
        # Named by what makes it: a scene added or changed never finds another's file.
        recipe = json.dumps([source, inputs, filters, ENCODE])
        path = os.path.join(cache, "scenes", f"still-{hashlib.sha1(recipe.encode()).hexdigest()[:12]}.mp4")
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
    events, _ = replay(bin_dir, clip, geometry, idle=False)
    return [e for e in events if e["type"] in INTEGRITY_KINDS]


def replay(bin_dir, clip, geometry, idle):
    """Events and the --summary counters of one replay, decoding every frame or keyframes
    only while the scene is still."""
    r = subprocess.run([os.path.join(bin_dir, "gridwatchd"), "replay", "--input", clip, "--geometry", geometry,
                        "--summary", "--idle-decode", "keyframes" if idle else "off"],
                       check=True, capture_output=True, text=True)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    last = (r.stderr.strip().splitlines() or [""])[-1]
    summary = dict(kv.split("=", 1) for kv in last.split() if "=" in kv)
    return events, summary


def looped_idle_clip(footage, cache):
    """The bench's mostly idle camera (50 s of a still frame of vtest with sensor noise, then
    10 s of its people) three times over: 180 s, three returns to stillness."""
    path = os.path.join(cache, "scenes", "idle-3x.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    one = idle_clip(footage, os.path.join(cache, "scenes"))
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "2", "-i", one, "-c", "copy", path + ".part.mp4"],
                   check=True)
    os.rename(path + ".part.mp4", path)
    return path


def lone_walkers_clip(footage, cache):
    """A still camera on which only a few far walkers move (the back path of vtest, pasted
    into 200x80 px of the still frame for 10 s of every 60), three times over: walkers too
    small to grow the coded frames past the still ones (P-frames 1.0-1.9 kB against the
    still scene's 0.7-1.5 kB), seen only in decoded keyframes."""
    path = os.path.join(cache, "scenes", "lone-3x.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    graph = ("[0]fps=10,scale=640:360,trim=start=20:duration=5,setpts=PTS-STARTPTS,split=3[a][b][c];"
             "[a]trim=end_frame=1,loop=loop=599:size=1:start=0,setpts=N/10/TB,split[s1][s2];[c]reverse[back];"
             "[b][back]concat=n=2:v=1,crop=200:80:0:60[walk];[s2]trim=start_frame=500,setpts=N/10/TB[bg];"
             "[bg][walk]overlay=0:60:shortest=1[mix];[s1]trim=end_frame=500[s0];"
             "[s0][mix]concat=n=2:v=1,noise=alls=3:allf=t[out]")
    one = path + ".one.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", footage, "-filter_complex", graph, "-map", "[out]", "-r", "10",
                    "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p", one], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "2", "-i", one, "-c", "copy", path + ".part.mp4"],
                   check=True)
    os.remove(one)
    os.rename(path + ".part.mp4", path)
    return path


def idle_decoding(bin_dir, cache, scenes):
    """Each scene replayed twice with the lines and zones of vtest (no smoke or fire areas,
    which need every frame and so keep every frame decoded): every frame decoded, then
    analysis.idle_decode: keyframes. The integrity events (tamper, cleared, scene mode)
    must be the same, at the same time within one analysed frame, and come in time; a
    difference in the rule events (zones, lines) is reported, and fails only where `gating`
    says so. `scenes` is [(name, clip, expected integrity events or None, gating)]."""
    geometry = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Eval", "vtest.geometry.json")
    results = []
    for name, clip, expected, gating in scenes:
        full, _ = replay(bin_dir, clip, geometry, idle=False)
        idle, summary = replay(bin_dir, clip, geometry, idle=True)
        matched, only_full, only_idle = compare(keyed(full), keyed(idle), 0.11)
        differ = [("-", k, t) for k, t in only_full] + [("+", k, t) for k, t in only_idle]
        problems, failing = [], []
        for sign, key, t in differ:
            problems.append(f"{sign} {' '.join(part for part in key if part)} at {t:.2f} s")
            if gating or key[0] in INTEGRITY_KINDS:
                failing.append(problems[-1])
        if expected is not None:
            _, _, missed = check(expected, [e for e in idle if e["type"] in INTEGRITY_KINDS])
            problems += [f"idle decoding: {m}" for m in missed]
            failing += [f"idle decoding: {m}" for m in missed]
        decoded, skipped = int(summary.get("decoded", 0)), int(summary.get("skipped", 0))
        results.append({"scene": name, "ok": not problems, "failed": bool(failing), "events": len(full), "same": matched,
                        "keyframe_modes": int(summary.get("keyframe_modes", 0)),
                        "skipped_share": round(skipped / max(1, decoded + skipped), 3), "problems": problems})
    return results


def check(expected, seen):
    """Matches each expected event to one seen; returns (ok, delays, problems)."""
    problems, delays, left = [], [], list(seen)
    for kind, what, at, within in expected:
        key = {"scene_mode": "mode", "fire": "zone", "smoke": "zone"}.get(kind, "reason")
        hit = next((e for e in left if e["type"] == kind and e.get(key) == what), None)
        if hit is None:
            problems.append(f"no {kind} {what}")
            continue
        left.remove(hit)
        delay = hit["time"] - at
        delays.append((f"{kind} {what}", delay))
        if delay < 0 or delay > within:
            problems.append(f"{kind} {what} after {delay:.1f} s (allowed 0 to {within} s)")
    problems += [f"unexpected {e['type']} {e.get('reason', e.get('mode', e.get('zone')))} at {e['time']:.1f} s" for e in left]
    return not problems, delays, problems


def main(argv):
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    bin_dir, cache = args[0], args[1]
    geometry = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Eval", "fire.geometry.json")
    results, failed, idle_scenes = [], 0, []
    for name, source, inputs, filters, expected in SCENES:
        clip = os.path.join(cache, source) if not filters and not inputs else make(cache, name, source, inputs, filters)
        if not filters and inputs:
            clip = make(cache, name, source, inputs, ["-vf", "null"])
        idle_scenes.append((name, clip, expected, True))
        ok, delays, problems = check(expected, integrity_events(bin_dir, clip, geometry))
        failed += 0 if ok else 1
        results.append({"scene": name, "ok": ok, "delays": {k: round(v, 1) for k, v in delays}, "problems": problems})
    for index, (name, drawings, graph, expected) in enumerate(FIRE_SCENES):
        clip = make_drawn(cache, index, drawings, graph)
        ok, delays, problems = check(expected, integrity_events(bin_dir, clip, geometry))
        failed += 0 if ok else 1
        results.append({"scene": name, "ok": ok, "delays": {k: round(v, 1) for k, v in delays}, "problems": problems})
    idle_clip(os.path.join(cache, "vtest.avi"), os.path.join(cache, "scenes"))
    for name, source, inputs, filters, expected in STILL_SCENES:
        clip = make(cache, name, source, inputs, filters, STILL_SCENES)
        idle_scenes.append((name, clip, expected, False))
        ok, delays, problems = check(expected, integrity_events(bin_dir, clip, geometry))
        failed += 0 if ok else 1
        results.append({"scene": name, "ok": ok, "delays": {k: round(v, 1) for k, v in delays}, "problems": problems})
    # The scene idle decoding is for: its rule events must match too.
    idle_scenes.append(("mostly idle camera (50 s still with sensor noise, 10 s people), 3 loops",
                        looped_idle_clip(os.path.join(cache, "vtest.avi"), cache), None, True))
    # Walkers that only decoded keyframes show: the frames skipped before the keyframe that
    # shows them are decoded after all (VideoReader.rewind), so every event is the same.
    idle_scenes.append(("still camera with only far walkers (too small to grow the packets), 3 loops",
                        lone_walkers_clip(os.path.join(cache, "vtest.avi"), cache), None, True))
    idle = idle_decoding(bin_dir, cache, idle_scenes)
    failed += sum(1 for r in idle if r["failed"])
    if as_json:
        print(json.dumps({"scenes": results, "idle_decoding": idle}, ensure_ascii=False, indent=1))
    else:
        print("Camera integrity, smoke and fire (change at 30 s; delay = seconds from the change to the event)")
        for r in results:
            delays = ", ".join(f"{k} +{v:.1f} s" for k, v in r["delays"].items()) or "nothing raised"
            print(f"  {'ok  ' if r['ok'] else 'FAIL'} {r['scene']}: {delays}" + ("" if r["ok"] else f"  ({'; '.join(r['problems'])})"))
        print("Idle decoding against every frame decoded (vtest's lines and zones): the same events?")
        for r in idle:
            mark = "ok  " if r["ok"] else ("FAIL" if r["failed"] else "DIFF")
            went = (f"keyframes only {r['keyframe_modes']} times, {100 * r['skipped_share']:.0f} % of packets not decoded"
                    if r["keyframe_modes"] else "never still long enough for keyframes only")
            print(f"  {mark} {r['scene']}: {r['same']} of {r['events']} events the same; {went}"
                  + ("" if r["ok"] else f"  ({'; '.join(r['problems'])})"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

import Analysis
import DaemonCore
import Foundation
import Testing
import TestSupport

/// A box that moves along straight segments; the scene's truth follows from them.
/// Coordinates are pixels of a 640×360 frame; (x, y) is the box's foot (bottom centre).
struct Mover {
    struct Segment {
        var t0: Double, t1: Double
        var x0: Double, x1: Double
        var y0: Double, y1: Double
        /// Horizontal wobble (pixels, 1 Hz) while on this segment: a person shifting on the spot.
        var jitter: Double = 0
    }
    var width: Int
    var height: Int
    var level = "0xE0E0E0"
    var segments: [Segment]

    /// Straight across from x0 to x1 at foot height y, between t0 and t1.
    static func walk(_ w: Int, _ h: Int, from x0: Double, to x1: Double, y: Double, t0: Double, t1: Double) -> Mover {
        Mover(width: w, height: h, segments: [Segment(t0: t0, t1: t1, x0: x0, x1: x1, y0: y, y1: y)])
    }

    func foot(at t: Double) -> (x: Double, y: Double)? {
        for s in segments where t >= s.t0 && t <= s.t1 {
            let f = s.t1 > s.t0 ? (t - s.t0) / (s.t1 - s.t0) : 0
            return (s.x0 + (s.x1 - s.x0) * f + s.jitter * sin(2 * .pi * t), s.y0 + (s.y1 - s.y0) * f)
        }
        return nil
    }

    /// ffmpeg expression for the box's top-left corner.
    func expression(x: Bool) -> String {
        var e = "-1000"
        for s in segments.reversed() {
            let f = "(t-\(s.t0))/\(max(1e-6, s.t1 - s.t0))"
            let v = x
                ? "\(s.x0)+(\(s.x1 - s.x0))*\(f)+\(s.jitter)*sin(2*PI*t)-\(Double(width) / 2)"
                : "\(s.y0)+(\(s.y1 - s.y0))*\(f)-\(height)"
            e = "if(between(t,\(s.t0),\(s.t1)),\(v),\(e))"
        }
        return e
    }
}

struct Scene {
    var seconds: Int
    var movers: [Mover] = []
    /// Extra filters on the background (noise, light), applied before the movers.
    var backgroundFilter = "noise=alls=6:allf=t"
    /// A filter applied after the movers (a global light change).
    var finalFilter: String?
    /// Extra lavfi inputs composited on the background before the movers, with their overlay options.
    var extras: [(input: String, overlay: String)] = []

    func render(_ path: String) throws {
        var args = ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=10:d=\(seconds)"]
        var graph = "[0]\(backgroundFilter)[bg0]"
        var last = "bg0"
        var input = 1
        for (i, extra) in extras.enumerated() {
            args += ["-f", "lavfi", "-i", extra.input]
            graph += ";[\(last)][\(input)]overlay=\(extra.overlay)[e\(i)]"
            last = "e\(i)"
            input += 1
        }
        for (i, m) in movers.enumerated() {
            args += ["-f", "lavfi", "-i", "color=c=\(m.level):s=\(m.width)x\(m.height):r=10:d=\(seconds)"]
            graph += ";[\(last)][\(input)]overlay=x='\(m.expression(x: true))':y='\(m.expression(x: false))':eval=frame[m\(i)]"
            last = "m\(i)"
            input += 1
        }
        if let finalFilter { graph += ";[\(last)]\(finalFilter)[out]" } else { graph += ";[\(last)]null[out]" }
        args += ["-filter_complex", graph, "-map", "[out]", "-t", "\(seconds)", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p", path]
        try runCommand(Clips.ffmpeg, args)
    }
}

/// An event that should (truth) or did (replay) happen.
struct Observed: Equatable, CustomStringConvertible {
    var kind: String
    var rule: String
    var direction: String?
    var time: Double
    var description: String { "\(kind) \(rule) \(direction ?? "") @\(String(format: "%.1f", time))" }
}

enum Truth {
    static let line = Tripwire(id: "L1", a: Point(x: 0.5, y: 0.15), b: Point(x: 0.5, y: 0.98), direction: .both)
    static let zone = Polygon([Point(x: 0.65, y: 0.45), Point(x: 0.9, y: 0.45), Point(x: 0.9, y: 0.98), Point(x: 0.65, y: 0.98)])

    /// Crossings of L1 and entries/exits of Z1 by each mover, sampled finely. A crossing
    /// is due once the foot is clearly (2 % of the width) past the line; stops and
    /// wobbles on the line do not count twice.
    static func events(_ scene: Scene, loiterAfter: Double? = nil) -> [Observed] {
        var out: [Observed] = []
        for m in scene.movers {
            var side: Tripwire.Side?
            var inside = false
            var enteredAt: Double?
            var loitered = false
            var t = 0.0
            while t <= Double(scene.seconds) {
                if let f = m.foot(at: t) {
                    let p = Point(x: f.x / 640, y: f.y / 360)
                    let d = line.signedDistance(p)
                    if abs(d) > 0.02 {
                        let s: Tripwire.Side = d < 0 ? .a : .b
                        if let old = side, old != s { out.append(Observed(kind: "crossing", rule: "L1", direction: old == .a ? "a_to_b" : "b_to_a", time: t)) }
                        side = s
                    }
                    let isIn = zone.contains(p)
                    if isIn && !inside { out.append(Observed(kind: "zone_enter", rule: "Z1", time: t)); enteredAt = t; loitered = false }
                    if !isIn && inside { out.append(Observed(kind: "zone_exit", rule: "Z1", time: t)); enteredAt = nil }
                    if isIn, let e = enteredAt, let dwell = loiterAfter, !loitered, t - e >= dwell {
                        out.append(Observed(kind: "loiter", rule: "Z1", time: t))
                        loitered = true
                    }
                    inside = isIn
                } else if inside {
                    out.append(Observed(kind: "zone_exit", rule: "Z1", time: t))
                    inside = false
                }
                t += 0.02
            }
        }
        return out.sorted { $0.time < $1.time }
    }
}

struct Score: CustomStringConvertible {
    var truth: Int
    var events: Int
    var matched: Int
    var precision: Double { events == 0 ? 1 : Double(matched) / Double(events) }
    var recall: Double { truth == 0 ? 1 : Double(matched) / Double(truth) }
    var description: String { "precision \(String(format: "%.2f", precision)) recall \(String(format: "%.2f", recall)) (truth \(truth), events \(events), matched \(matched))" }

    /// Each truth event matches at most one replayed event of the same kind, rule and
    /// direction within `tolerance` seconds.
    static func of(_ events: [Observed], against truth: [Observed], kinds: Set<String>, tolerance: Double = 1.2) -> Score {
        let e = events.filter { kinds.contains($0.kind) }, t = truth.filter { kinds.contains($0.kind) }
        var used = Array(repeating: false, count: e.count)
        var matched = 0
        for want in t {
            if let i = e.indices.first(where: { !used[$0] && e[$0].kind == want.kind && e[$0].rule == want.rule && e[$0].direction == want.direction && abs(e[$0].time - want.time) <= tolerance }) {
                used[i] = true
                matched += 1
            }
        }
        return Score(truth: t.count, events: e.count, matched: matched)
    }
}

/// Replays a scene through the real decode → sample → scale → analysis path.
func replay(_ scene: Scene, name: String, loiterAfter: Double? = nil) throws -> [Observed] {
    let dir = try TemporaryDirectory("gw-truth")
    defer { dir.remove() }
    let clip = dir.path("\(name).mp4")
    try scene.render(clip)
    var lines: [String] = []
    _ = try Replay.run(
        input: clip, analysis: AnalysisSettings(),
        zones: [ZoneRule(id: "Z1", polygon: Truth.zone, loiterAfter: loiterAfter)],
        // Flat synthetic backgrounds would read as a covered lens: these scenes test motion.
        tripwires: [TripwireRule(line: Truth.line)], integrity: nil) { lines.append($0) }
    return try lines.map { line in
        let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return Observed(
            kind: o["type"] as! String, rule: (o["tripwire"] ?? o["zone"]) as! String,
            direction: o["direction"] as? String, time: (o["time"] as! NSNumber).doubleValue)
    }
}

/// The ground-truth suite: scenes made with the ffmpeg CLI whose truth is known, run
/// through `replay`. Targets: precision and recall ≥ 0.95 for crossings (with the right
/// direction) and zone entries; zero events on scenes with nothing but distractors.
@Suite(.serialized) struct GroundTruthTests {
    static let crossingKinds: Set<String> = ["crossing"]
    static let zoneKinds: Set<String> = ["zone_enter", "zone_exit"]

    func check(_ name: String, _ scene: Scene, loiterAfter: Double? = nil, kinds: [Set<String>] = [crossingKinds, zoneKinds]) throws {
        let truth = Truth.events(scene, loiterAfter: loiterAfter)
        let events = try replay(scene, name: name, loiterAfter: loiterAfter)
        for k in kinds {
            let score = Score.of(events, against: truth, kinds: k)
            print("quality \(name) \(k.sorted().joined(separator: "+")): \(score)")
            #expect(score.precision >= 0.95 && score.recall >= 0.95, "\(name) \(k): \(score)\nevents: \(events)\ntruth: \(truth)")
        }
    }

    @Test func objectsOfSeveralSizesCrossInBothDirections() throws {
        var scene = Scene(seconds: 34)
        let sizes = [(20, 44), (36, 80), (56, 120)]
        for (i, size) in sizes.enumerated() {
            let t = 1.0 + Double(i) * 11
            // In from the left edge, out at the right; then back the other way.
            scene.movers.append(.walk(size.0, size.1, from: -40, to: 680, y: 320, t0: t, t1: t + 5))
            scene.movers.append(.walk(size.0, size.1, from: 680, to: -40, y: 320, t0: t + 5.5, t1: t + 10.5))
        }
        try check("sizes", scene)
    }

    @Test func twoObjectsCrossTheSameLineInOppositeDirectionsAtOnce() throws {
        var scene = Scene(seconds: 30)
        for i in 0..<3 {
            let t = 1.0 + Double(i) * 9.5
            scene.movers.append(.walk(30, 80, from: 60, to: 580, y: 270, t0: t, t1: t + 7))
            scene.movers.append(.walk(30, 80, from: 580, to: 60, y: 335, t0: t, t1: t + 7))
        }
        try check("opposite", scene, kinds: [Self.crossingKinds])
    }

    @Test func aGroupCrossesTogether() throws {
        var scene = Scene(seconds: 24)
        for (k, (from, to)) in [(40.0, 560.0), (600.0, 80.0)].enumerated() {
            let t = 1.0 + Double(k) * 11
            for j in 0..<3 {
                let offset = Double(j) * 60 * (from < to ? -1 : 1)
                scene.movers.append(.walk(28, 70, from: from + offset, to: to + offset, y: 250 + Double(j) * 40, t0: t, t1: t + 8))
            }
        }
        try check("group", scene, kinds: [Self.crossingKinds])
    }

    @Test func aPersonStoppingOnTheLineCrossesOnce() throws {
        var scene = Scene(seconds: 30)
        for (k, dir) in [1.0, -1.0].enumerated() {
            let t = 1.0 + Double(k) * 14
            let start = 320 - dir * 240, end = 320 + dir * 240
            scene.movers.append(Mover(width: 34, height: 80, segments: [
                .init(t0: t, t1: t + 3, x0: start, x1: 320, y0: 320, y1: 320),
                .init(t0: t + 3, t1: t + 8, x0: 320, x1: 320, y0: 320, y1: 320, jitter: 3),
                .init(t0: t + 8, t1: t + 11, x0: 320, x1: end, y0: 320, y1: 320),
            ]))
        }
        try check("stop-on-line", scene, kinds: [Self.crossingKinds])
    }

    @Test func standingInAZonePastTheDwellTimeIsLoitering() throws {
        var scene = Scene(seconds: 26)
        scene.movers.append(Mover(width: 34, height: 80, segments: [
            .init(t0: 1, t1: 5, x0: 200, x1: 500, y0: 330, y1: 330),
            .init(t0: 5, t1: 17, x0: 500, x1: 500, y0: 330, y1: 330, jitter: 2),
            .init(t0: 17, t1: 21, x0: 500, x1: 630, y0: 330, y1: 330),
        ]))
        try check("loiter", scene, loiterAfter: 6, kinds: [Self.zoneKinds, ["loiter"]])
    }

    // MARK: Distractors: nothing should happen at all.

    func expectNothing(_ name: String, _ scene: Scene) throws {
        let events = try replay(scene, name: name, loiterAfter: 5)
        print("quality \(name): \(events.count) events")
        #expect(events.isEmpty, "\(name): \(events)")
    }

    @Test func heavySensorNoiseRaisesNothing() throws {
        try expectNothing("noise", Scene(seconds: 20, backgroundFilter: "noise=alls=30:allf=t"))
    }

    @Test func aSlowLightRampRaisesNothing() throws {
        try expectNothing("ramp", Scene(seconds: 30, finalFilter: "eq=brightness='-0.25+t/60':eval=frame"))
    }

    @Test func aSuddenGlobalBrightnessJumpRaisesNothing() throws {
        try expectNothing("jump", Scene(seconds: 20, finalFilter: "eq=brightness='if(between(t,6,13),0.3,0)':eval=frame"))
    }

    @Test func aWavingTexturedRegionRaisesNothing() throws {
        // A patch of foliage-like texture swaying ±8 px at 1 Hz across the line and inside the zone.
        var scene = Scene(seconds: 24)
        scene.extras = [
            (input: "cellauto=s=160x120:rule=18:r=10", overlay: "x='250+8*sin(2*PI*t)':y=200:eval=frame"),
            (input: "cellauto=s=80x80:rule=30:r=10", overlay: "x='480+6*sin(2*PI*t*1.3)':y=240:eval=frame"),
        ]
        try expectNothing("waving", scene)
    }

    @Test func rainStreaksRaiseNothing() throws {
        var scene = Scene(seconds: 20)
        // Thin bright streaks falling fast across the whole frame.
        for i in 0..<24 {
            let x = Double(20 + i * 26)
            let phase = Double((i * 7) % 10) / 10
            scene.movers.append(Mover(width: 2, height: 14, level: "0xC8C8C8", segments: (0..<20).map { k in
                let t0 = Double(k) + phase * 0.9
                return .init(t0: t0, t1: t0 + 0.8, x0: x + Double(k % 3) * 5, x1: x + Double(k % 3) * 5 + 10, y0: 0, y1: 380)
            }))
        }
        try expectNothing("rain", scene)
    }
}

/// `replay --draw` and `--trace`: what a person tuning a camera looks at, through real FFmpeg.
@Suite struct ReplayDrawTests {
    @Test func drawsEveryAnalysedFrameAndTracesEveryTrack() throws {
        let dir = try TemporaryDirectory("gw-draw")
        defer { dir.remove() }
        var scene = Scene(seconds: 8)
        scene.movers.append(.walk(36, 80, from: -40, to: 680, y: 320, t0: 1, t1: 7))
        let clip = dir.path("walk.mp4"), drawn = dir.path("why.mp4")
        try scene.render(clip)
        var events: [String] = [], trace: [String] = []
        let summary = try Replay.run(
            input: clip, analysis: AnalysisSettings(), zones: [ZoneRule(id: "Z1", polygon: Truth.zone)],
            tripwires: [TripwireRule(line: Truth.line)], draw: drawn, trace: { trace.append($0) }) { events.append($0) }
        #expect(events.contains { $0.contains("\"crossing\"") }, "\(events)")
        // One drawn frame per analysed frame, at twice the analysis size (320×180 → 640×360), H.264.
        let probe = try runProcess(Clips.ffprobe, ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                   "-show_entries", "stream=codec_name,width,height,nb_frames,nb_read_frames", "-of", "csv=p=0", drawn])
        #expect(probe.status == 0)
        #expect(probe.output.trimmingCharacters(in: .whitespacesAndNewlines) == "h264,640,360,\(summary.analysed),\(summary.analysed)", "\(probe.output)")
        // And every one of them decodes.
        let decoded = try runProcess(Clips.ffmpeg, ["-v", "error", "-i", drawn, "-f", "null", "-"])
        #expect(decoded.status == 0 && decoded.output.isEmpty, "\(decoded.output)")
        // One trace line per analysed frame, JSON, with the walker's confirmed track in the middle of its walk.
        #expect(trace.count == summary.analysed)
        let middle = try JSONSerialization.jsonObject(with: Data(trace[trace.count / 2].utf8)) as! [String: Any]
        let tracks = middle["tracks"] as! [[Any]]
        #expect(tracks.contains { ($0[5] as? NSNumber)?.intValue == 1 }, "\(middle)")
    }
}

@Suite struct ReplayDrawFileTests {
    @Test func partsOfADrawingAreNumberedBeforeTheExtension() {
        #expect(Replay.part(1, of: "/tmp/why.mp4") == "/tmp/why.mp4")
        #expect(Replay.part(2, of: "/tmp/why.mp4") == "/tmp/why-2.mp4")
        #expect(Replay.part(3, of: "/tmp/a.b/why") == "/tmp/a.b/why-3")
    }

    @Test func aDrawingThatCannotBeWrittenIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory("gw-draw-bad")
        defer { dir.remove() }
        let clip = dir.path("walk.mp4")
        try Clips.testPattern(clip, seconds: 1)
        #expect(throws: (any Error).self) {
            _ = try Replay.run(input: clip, analysis: AnalysisSettings(), zones: [], tripwires: [],
                               draw: dir.path("no/such/folder/why.mp4")) { _ in }
        }
    }
}

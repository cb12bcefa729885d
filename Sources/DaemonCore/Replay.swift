import Analysis
import Foundation
import MediaIO

/// `gridwatchd replay`: analyse a video file as fast as the CPU allows, through the same
/// sampler, scaler and analyzer as a live camera, and report every event as one JSON line.
public enum Replay {
    public enum Failure: Error, CustomStringConvertible {
        case geometry(String)
        case camera(String)
        public var description: String {
            switch self {
            case let .geometry(why): "geometry: \(why)"
            case let .camera(why): why
            }
        }
    }

    /// Zones and tripwires from a geometry file:
    /// `{"tripwires":[{"id","a":[x,y],"b":[x,y],"direction"}],"zones":[{"id","polygon":[[x,y],...]}]}`.
    /// Unknown keys are ignored.
    public static func geometry(path: String) throws -> (zones: [ZoneRule], tripwires: [TripwireRule]) {
        let g = try geometryFile(path: path)
        return (g.zones, g.tripwires)
    }

    /// Everything a geometry file says: its rules, which of them are hazards, and where
    /// smoke and fire are looked for (`"fire_smoke": true` at the top: the whole picture;
    /// on a zone: that zone).
    public struct GeometryFile: Sendable {
        public var zones: [ZoneRule] = []
        public var tripwires: [TripwireRule] = []
        public var hazards: Set<String> = []
        public var fireSmoke: [FireSmokeArea] = []
    }

    public static func geometryFile(path: String) throws -> GeometryFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.geometry("cannot read \(path)") }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure.geometry("\(path) is not a JSON object")
        }
        func point(_ any: Any?, _ what: String) throws -> Point {
            guard let xy = any as? [Any], xy.count == 2, let x = (xy[0] as? NSNumber)?.doubleValue, let y = (xy[1] as? NSNumber)?.doubleValue else {
                throw Failure.geometry("\(what) must be [x, y]")
            }
            return Point(x: x, y: y)
        }
        var zones: [ZoneRule] = []
        var hazards: Set<String> = []
        var fireSmoke: [FireSmokeArea] = []
        for (i, z) in ((root["zones"] as? [[String: Any]]) ?? []).enumerated() {
            let id = z["id"] as? String ?? "zone\(i + 1)"
            guard let raw = z["polygon"] as? [Any] else { throw Failure.geometry("zone \(id) has no polygon") }
            let points = try raw.enumerated().map { try point($1, "zone \(id) point \($0)") }
            guard points.count >= 3 else { throw Failure.geometry("zone \(id) needs at least 3 points") }
            zones.append(ZoneRule(id: id, polygon: Polygon(points), loiterAfter: (z["loiter_after"] as? NSNumber)?.doubleValue))
            if z["purpose"] as? String == "hazard" { hazards.insert(id) }
            if z["fire_smoke"] as? Bool == true { fireSmoke.append(FireSmokeArea(id: id, polygon: Polygon(points))) }
        }
        if root["fire_smoke"] as? Bool == true { fireSmoke.append(FireSmokeArea(id: nil, polygon: nil)) }
        var lines: [TripwireRule] = []
        for (i, t) in ((root["tripwires"] as? [[String: Any]]) ?? []).enumerated() {
            let id = t["id"] as? String ?? "line\(i + 1)"
            let direction = (t["direction"] as? String).flatMap(Tripwire.Direction.init(rawValue:)) ?? .both
            lines.append(TripwireRule(line: Tripwire(id: id, a: try point(t["a"], "tripwire \(id) a"), b: try point(t["b"], "tripwire \(id) b"), direction: direction)))
            if t["purpose"] as? String == "hazard" { hazards.insert(id) }
        }
        return GeometryFile(zones: zones, tripwires: lines, hazards: hazards, fireSmoke: fireSmoke)
    }

    /// Smoke or fire as a JSON line: `{"type":"fire","zone":"field"|null,"frame":N,"time":T,"box":[x0,y0,x1,y1]}`
    /// (the box normalized: where in the picture it was found).
    public static func line(_ event: FireSmokeEvent, frame: Int, time: Double) -> String {
        "{\"type\":\"\(event.kind.rawValue)\",\"zone\":\(event.area.map(quoted) ?? "null"),\"frame\":\(frame),\"time\":"
            + String(format: "%.3f", time)
            + String(format: ",\"box\":[%.3f,%.3f,%.3f,%.3f]}", event.box.minX, event.box.minY, event.box.maxX, event.box.maxY)
    }

    /// The file of the `n`th part of a drawing: `why.mp4`, then `why-2.mp4`, `why-3.mp4` ...
    /// (a recording that changes size mid-way is drawn in one part per size).
    public static func part(_ n: Int, of path: String) -> String {
        guard n > 1 else { return path }
        let dot = path.lastIndex(of: ".").flatMap { i in path[i...].contains("/") ? nil : i }
        guard let dot else { return path + "-\(n)" }
        return String(path[..<dot]) + "-\(n)" + String(path[dot...])
    }

    /// One event as a JSON line.
    /// `hazard`: the rule's purpose is hazard (the line says so: `"purpose":"hazard"`).
    public static func line(_ event: AnalysisEvent, frame: Int, time: Double, hazard: Bool = false) -> String {
        var fields: [(String, String)] = [("type", quoted(event.kind.rawValue))]
        fields.append((event.kind == .crossing ? "tripwire" : "zone", quoted(event.ruleID)))
        if hazard { fields.append(("purpose", quoted("hazard"))) }
        if let d = event.direction { fields.append(("direction", quoted(d.rawValue))) }
        fields.append(("frame", "\(frame)"))
        fields.append(("time", String(format: "%.3f", time)))
        if let t = event.trackID { fields.append(("track", "\(t)")) }
        if let c = event.count { fields.append(("count", "\(c)")) }
        if let d = event.dwell { fields.append(("dwell", String(format: "%.1f", d))) }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A tamper, cleared or scene-mode change as a JSON line:
    /// `{"type":"tamper","reason":"covered","frame":N,"time":T}`,
    /// `{"type":"tamper_cleared",...}`, `{"type":"scene_mode","mode":"night",...}`.
    public static func line(_ change: IntegrityEvent, frame: Int, time: Double) -> String {
        let head: String = switch change {
        case let .tamper(reason, _): "\"type\":\"tamper\",\"reason\":\"\(reason.rawValue)\""
        case let .cleared(reason, _): "\"type\":\"tamper_cleared\",\"reason\":\"\(reason.rawValue)\""
        case let .sceneMode(mode, _): "\"type\":\"scene_mode\",\"mode\":\"\(mode.rawValue)\""
        }
        return "{" + head + ",\"frame\":\(frame),\"time\":" + String(format: "%.3f", time) + "}"
    }

    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    public struct Summary: Sendable {
        public var decoded = 0
        /// Packets never decoded (decode-on-demand, the scene still).
        public var skipped = 0
        /// Times decode-on-demand went to keyframes only, and came back, by reason.
        public var keyframeModes = 0
        public var wokenBySize = 0
        public var wokenByAnalysis = 0
        /// Times a decoded keyframe showed something new and the frames skipped before it
        /// were decoded after all.
        public var rewinds = 0
        public var analysed = 0
        public var events = 0
        public var seconds = 0.0
    }

    /// Run the analysis over `input`, calling `emit` with each event's JSON line.
    /// With `draw`, every analysed frame is also written to that video file with what the
    /// analysis saw drawn on it (`ReplayDrawer`).
    public static func run(input: String, analysis: AnalysisSettings, zones: [ZoneRule], tripwires: [TripwireRule], motionMask: [Polygon] = [],
                           integrity: IntegritySettings? = IntegritySettings(), hazards: Set<String> = [], fireSmoke: [FireSmokeArea] = [], draw: String? = nil, trace: ((String) -> Void)? = nil,
                           skipDeblocking: Bool = true, emit: (String) -> Void) throws -> Summary {
        var options = VideoReader.Options()
        options.skipDeblocking = skipDeblocking
        let reader = try VideoReader(url: input, options: options, interrupt: InterruptState())
        let scaler = try GrayScaler(width: analysis.width)
        var sampler = FrameSampler(fps: analysis.fps)
        var analyzer = CameraAnalyzer(motion: analysis.motion, tracker: analysis.tracker, zones: zones, tripwires: tripwires, motionMask: motionMask,
                                      integrity: integrity, fireSmoke: fireSmoke)
        var summary = Summary()
        var first: Double?
        var size: (Int, Int)?
        let started = MonotonicClock.seconds()
        var drawer = ReplayDrawer(zones: zones, tripwires: tripwires)
        var writer: VideoWriter?
        var drawParts = 1
        defer { try? writer?.finish() }
        var lastAnalysed: Double?
        // The same analysis whether every frame is decoded or keyframes only while still.
        analyzer.frameInterval = 1 / analysis.fps
        analyzer.stillWatch = analysis.stillWatch
        reader.keyframeInterval = analysis.idleKeyframeEvery
        while true {
            // Decode-on-demand as a camera does it; here the analysis answers at once.
            reader.stillUntil = analysis.idleDecode ? lastAnalysed.map { analyzer.stillUntil(at: $0, idleAfter: analysis.idleAfter) } ?? -.infinity
                : -.infinity
            reader.keyframeDue = analyzer.nextLearning
            guard let frame = try reader.nextFrame() else { break }
            let index = frame.index
            summary.decoded += 1
            if first == nil { first = frame.time }
            // A keyframe decoded after skipped ones: if it shows something new, the analysis
            // goes back to before it and the skipped frames are decoded after all.
            let rewindable = reader.canRewind && analysis.idleDecode
            let samplerBefore = sampler
            guard sampler.take(frame.time, keyframe: frame.isKeyframe) else { continue }
            let gray = try scaler.gray(frame)
            if let s = size, s != (frame.width, frame.height) { analyzer.reset() }
            size = (frame.width, frame.height)
            let luma = LumaFrame(width: gray.width, height: gray.height, pixels: gray.pixels, u: gray.u, v: gray.v)
            let before = rewindable ? analyzer : nil
            let result = analyzer.process(luma, time: frame.time, keyframe: frame.isKeyframe)
            if let before, analyzer.sawSomethingNew(at: frame.time, idleAfter: analysis.idleAfter) {
                analyzer = before
                sampler = samplerBefore
                reader.rewind()
                summary.decoded -= 1
                continue
            }
            lastAnalysed = frame.time
            summary.analysed += 1
            if let trace {
                let tracks = result.tracks.map { t in
                    String(format: "[%d,%.3f,%.3f,%.3f,%.3f,%d,%d,\"%@\"]", t.id, t.foot.x, t.foot.y, t.box.width, t.box.height,
                           t.confirmed ? 1 : 0, t.observed ? 1 : 0, t.objectClass.rawValue)
                }
                let dets = result.detections.map { d in
                    String(format: "[%.3f,%.3f,%.3f,%.3f,%d]", d.foot.x, d.foot.y, d.box.width, d.box.height, d.split ? 2 : d.joined ? 1 : 0)
                }
                trace(String(format: "{\"frame\":%d,\"time\":%.3f,\"changed\":%.3f,", index, frame.time - (first ?? 0), analyzer.changedShare)
                      + "\"tracks\":[\(tracks.joined(separator: ","))],\"detections\":[\(dets.joined(separator: ","))]}")
            }
            if let draw {
                let picture = drawer.draw(frame: luma, result: result, foreground: analyzer.foreground, scale: analyzer.scale,
                                          time: frame.time, clock: frame.time - (first ?? 0), frameIndex: index)
                if let w = writer, w.width != picture.width || w.height != picture.height {
                    // The recording changed size: this part ends here, the next goes to OUT-2.mp4, ...
                    try w.finish()
                    writer = nil
                    drawParts += 1
                }
                if writer == nil {
                    writer = try VideoWriter(path: Self.part(drawParts, of: draw), width: picture.width, height: picture.height,
                                             fps: max(1, Int(analysis.fps.rounded())))
                }
                try writer?.write(picture)
            }
            for change in result.integrity {
                let at: Double = switch change {
                case let .tamper(_, t), let .cleared(_, t), let .sceneMode(_, t): t
                }
                emit(line(change, frame: index, time: at - (first ?? 0)))
                summary.events += 1
            }
            for event in result.fireSmoke {
                emit(line(event, frame: index, time: event.time - (first ?? 0)))
                summary.events += 1
            }
            for event in result.events {
                emit(line(event, frame: index, time: event.time - (first ?? 0), hazard: hazards.contains(event.ruleID)))
                summary.events += 1
            }
        }
        summary.seconds = MonotonicClock.seconds() - started
        summary.skipped = reader.idle.packetsSkipped
        summary.keyframeModes = reader.idle.entered
        summary.wokenBySize = reader.idle.wokenBySize
        summary.wokenByAnalysis = reader.idle.wokenByAnalysis
        summary.rewinds = reader.idle.rewinds
        return summary
    }
}

import Analysis
import Testing

/// Camera-integrity checks on frames built here: a textured scene with sensor noise, then a
/// cover, a blur, a turn, a frozen encoder or an infrared switch.
@Suite struct IntegrityTests {
    struct Scene {
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        let width = 160, height = 120
        /// A fixed layout of 4-pixel blocks (a small analysis frame keeps the test quick): what a camera's scene is to the checks.
        let base: [UInt8]

        init() {
            var r: UInt64 = 42
            var pixels = [UInt8](repeating: 0, count: 160 * 120)
            var levels: [UInt8] = []
            for _ in 0..<(40 * 30) {
                r = r &* 6364136223846793005 &+ 1442695040888963407
                levels.append(UInt8(40 + (r >> 33) % 170))
            }
            for y in 0..<120 {
                for x in 0..<160 { pixels[y * 160 + x] = levels[(y / 4) * 40 + x / 4] }
            }
            base = pixels
        }

        mutating func noise() -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % 5) - 2
        }

        /// Transformed scenes, made once.
        var made: [String: [UInt8]] = [:]

        /// The scene with sensor noise, optionally changed by `transform` first.
        mutating func frame(colour: Bool = true, _ transform: @escaping ([UInt8]) -> [UInt8] = { $0 }, key: String = "") -> LumaFrame {
            let source: [UInt8]
            if key.isEmpty {
                source = transform(base)
            } else if let cached = made[key] {
                source = cached
            } else {
                source = transform(base)
                made[key] = source
            }
            var pixels = source
            for i in pixels.indices { pixels[i] = UInt8(clamping: Int(source[i]) + noise()) }
            guard colour else {
                let gray = [UInt8](repeating: 128, count: 80 * 60)
                return LumaFrame(width: width, height: height, pixels: pixels, u: gray, v: gray)
            }
            let u = (0..<(80 * 60)).map { UInt8(100 + $0 % 50) }
            return LumaFrame(width: width, height: height, pixels: pixels, u: u, v: u.map { 255 - $0 })
        }
    }

    static func black(_: [UInt8]) -> [UInt8] { [UInt8](repeating: 8, count: 160 * 120) }

    /// A translucent cover: 85 % gray over the scene.
    static func veiled(_ p: [UInt8]) -> [UInt8] { p.map { UInt8((Int($0) * 15 + 128 * 85) / 100) } }

    /// Out of focus: a 7-pixel box blur, across then down.
    static func blurred(_ p: [UInt8]) -> [UInt8] {
        func pass(_ src: [UInt8], step: Int, along: (Int) -> Bool) -> [UInt8] {
            var out = src
            for i in src.indices {
                var s = 0, n = 0
                for d in -3...3 {
                    let j = i + d * step
                    if j >= 0, j < src.count, along(d) && (step != 1 || j / 160 == i / 160) { s += Int(src[j]); n += 1 }
                }
                out[i] = UInt8(s / max(1, n))
            }
            return out
        }
        return pass(pass(p, step: 1) { _ in true }, step: 160) { _ in true }
    }

    /// Turned: the scene shifted by a quarter of the picture.
    static func turned(_ p: [UInt8]) -> [UInt8] {
        (0..<(160 * 120)).map { i in p[(i / 160) * 160 + (i % 160 + 40) % 160] }
    }

    /// Feeds `seconds` of frames at 10 fps from `start`; the events with their times.
    static func run(_ monitor: inout IntegrityMonitor, _ scene: inout Scene, from start: Double, seconds: Double,
                    frame: (inout Scene) -> LumaFrame) -> [IntegrityEvent] {
        var events: [IntegrityEvent] = []
        var t = start
        while t < start + seconds - 1e-9 {
            events += monitor.observe(frame(&scene), time: t)
            t += 0.1
        }
        return events
    }

    @Test(arguments: [
        (TamperReason.covered, 10.0), (.defocused, 20.0), (.moved, 20.0),
    ])
    func eachReasonAlertsAfterItsPersistenceAndClears(reason: TamperReason, persistence: Double) {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        let transform: ([UInt8]) -> [UInt8] = switch reason {
        case .covered: Self.black
        case .defocused: Self.blurred
        default: Self.turned
        }
        #expect(Self.run(&monitor, &scene, from: 0, seconds: 20) { $0.frame() }.isEmpty)
        #expect(monitor.hasBaseline)
        let during = Self.run(&monitor, &scene, from: 20, seconds: persistence + 3) { $0.frame(transform, key: reason.rawValue) }
        guard case let .tamper(raised, at)? = during.first else {
            Issue.record("\(reason): \(during)")
            return
        }
        #expect(raised == reason && during.count == 1, "\(during)")
        // Raised once the condition has held for its persistence (checked once a second).
        #expect(at >= 20 + persistence - 0.01 && at <= 20 + persistence + 1.1, "\(reason) at \(at)")
        #expect(monitor.active == [reason])
        let after = Self.run(&monitor, &scene, from: 23 + persistence, seconds: 8) { $0.frame() }
        guard case let .cleared(cleared, clearedAt)? = after.first else {
            Issue.record("\(reason) not cleared: \(after)")
            return
        }
        #expect(cleared == reason && clearedAt >= 23 + persistence + 5 - 0.01 && clearedAt <= 23 + persistence + 6.1)
        #expect(monitor.active.isEmpty)
    }

    @Test func aReconnectKeepsTheSceneAndWhatWasAlerted() {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        _ = Self.run(&monitor, &scene, from: 0, seconds: 20) { $0.frame() }
        let turned = Self.run(&monitor, &scene, from: 20, seconds: 23) { $0.frame(Self.turned, key: "turned") }
        #expect(turned.count == 1 && monitor.active == [.moved], "\(turned)")
        // The stream drops and comes back, its clock starting again at 0, still turned: no
        // second alert, no relearning the turned picture as the scene.
        monitor.resume()
        #expect(Self.run(&monitor, &scene, from: 0, seconds: 30) { $0.frame(Self.turned, key: "turned") }.isEmpty)
        #expect(monitor.active == [.moved] && monitor.hasBaseline)
        // Turned back: cleared, with its event.
        let back = Self.run(&monitor, &scene, from: 30, seconds: 8) { $0.frame() }
        #expect(back.count == 1 && { if case .cleared(.moved, _) = back[0] { true } else { false } }(), "\(back)")
        // With reset() instead (a new camera), the turned picture would be learnt as the scene.
        var fresh = monitor
        fresh.reset()
        _ = Self.run(&fresh, &scene, from: 0, seconds: 10) { $0.frame(Self.turned, key: "turned") }
        #expect(fresh.active.isEmpty)
    }

    @Test func aTranslucentCoverIsCovered() {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        _ = Self.run(&monitor, &scene, from: 0, seconds: 20) { $0.frame() }
        let events = Self.run(&monitor, &scene, from: 20, seconds: 12) { $0.frame(Self.veiled, key: "veiled") }
        #expect(events.contains { if case .tamper(.covered, _) = $0 { true } else { false } }, "\(events)")
        #expect(!events.contains { if case .sceneMode = $0 { true } else { false } }, "a cover is not night: \(events)")
    }

    @Test func aShortCoverIsNothing() {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        _ = Self.run(&monitor, &scene, from: 0, seconds: 20) { $0.frame() }
        #expect(Self.run(&monitor, &scene, from: 20, seconds: 9) { $0.frame(Self.black) }.isEmpty)
        #expect(Self.run(&monitor, &scene, from: 29, seconds: 20) { $0.frame() }.isEmpty)
    }

    @Test func frozenNeedsNoChangeAtAllAndNoiseKeepsAPictureAlive() {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        #expect(Self.run(&monitor, &scene, from: 0, seconds: 40) { $0.frame() }.isEmpty)
        let still = scene.frame()
        let events = Self.run(&monitor, &scene, from: 40, seconds: 20) { _ in still }
        guard case let .tamper(.frozen, at)? = events.first else {
            Issue.record("\(events)")
            return
        }
        #expect(at >= 40 + 15 - 0.11 && at <= 40 + 15.2, "\(at)")
        let live = Self.run(&monitor, &scene, from: 60, seconds: 6) { $0.frame() }
        #expect(live.contains { if case .cleared(.frozen, _) = $0 { true } else { false } }, "\(live)")
    }

    /// Decode-on-demand looks at a still picture once every few seconds. A freeze building
    /// up says when it will alert, so every frame is decoded again in time; and a frozen
    /// picture looked at sparsely alerts at the same time as one looked at every frame.
    @Test func aFreezeSaysWhenItWillAlertAndAlertsThenHoweverSparselySeen() {
        var scene = Scene()
        var every = IntegrityMonitor()
        _ = Self.run(&every, &scene, from: 0, seconds: 40) { $0.frame() }
        var sparse = every
        #expect(every.nextAlert == nil)
        let still = scene.frame()
        let times = (400...600).map { Double($0) / 10 }
        var all: [IntegrityEvent] = []
        for t in times { all += every.observe(still, time: t) }
        // Sparse: the first two frames, a keyframe every 5 s, then every frame from when the
        // freeze said it would alert.
        var seen: [IntegrityEvent] = []
        for t in [40.0, 40.1] { seen += sparse.observe(still, time: t) }
        let due = try! #require(sparse.nextAlert)
        #expect(abs(due - 55.1) < 1e-6, "\(due)")
        for t in times where t == 45 || t == 50 || t >= due - 1e-9 { seen += sparse.observe(still, time: t) }
        #expect(all.count == 1 && seen == all, "\(all) \(seen)")
        #expect(sparse.nextAlert == nil)
    }

    /// The picture's statistics are checked on the first frame of each second of stream
    /// time, so a sparse and a full look at the same frames check the same ones.
    @Test func statisticsAreCheckedOnTheSameFramesHoweverSparselySeen() {
        var scene = Scene()
        var every = IntegrityMonitor()
        _ = Self.run(&every, &scene, from: 0, seconds: 20) { $0.frame() }
        var sparse = every
        // Covered at 20.55 s: the full look checks 21.0, 22.0, ...; the sparse one sees a
        // keyframe at 20.5 and then every frame from 21.0 (checked at 20.5 and 21.5 if the
        // checks were a second apart whatever the frames: covered 0.5 s later).
        var full: [IntegrityEvent] = []
        var frames: [(Double, LumaFrame)] = []
        for t in (200..<330).map({ Double($0) / 10 }) {
            frames.append((t, t >= 20.55 ? scene.frame(Self.black) : scene.frame()))
        }
        for (time, frame) in frames { full += every.observe(frame, time: time) }
        var partial: [IntegrityEvent] = []
        for (time, frame) in frames where abs(time - 20.5) < 1e-9 || time >= 21 - 1e-9 { partial += sparse.observe(frame, time: time) }
        #expect(!full.isEmpty && partial == full, "\(full) \(partial)")
    }

    @Test func anInfraredSwitchIsASceneModeNotATamper() {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        _ = Self.run(&monitor, &scene, from: 0, seconds: 20) { $0.frame() }
        // Colour gone and the picture brighter: the camera's night mode.
        let night = Self.run(&monitor, &scene, from: 20, seconds: 40) { s in s.frame(colour: false) { $0.map { UInt8(clamping: Int($0) + 30) } } }
        #expect(night.count == 1, "\(night)")
        guard case let .sceneMode(mode, at)? = night.first else { return }
        #expect(mode == .night && at <= 22.1 && monitor.mode == .night)
        // Its own baseline is learnt; covering it at night is still covered.
        let covered = Self.run(&monitor, &scene, from: 60, seconds: 12) { s in s.frame(colour: false, Self.black) }
        #expect(covered.contains { if case .tamper(.covered, _) = $0 { true } else { false } }, "\(covered)")
    }

    @Test func aCameraCoveredFromTheStartIsCovered() {
        var scene = Scene()
        var monitor = IntegrityMonitor()
        let events = Self.run(&monitor, &scene, from: 0, seconds: 12) { $0.frame(Self.black) }
        #expect(events == [.tamper(.covered, time: events.first.map { if case let .tamper(_, t) = $0 { t } else { 0 } } ?? 0)], "\(events)")
    }
}

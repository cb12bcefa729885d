import Analysis
import Foundation
import MediaIO
import Storage
import Tickets

/// The whole configuration, validated. Built only by `GridwatchConfig.load`.
public struct GridwatchConfig: Sendable {
    public var file: String
    public var daemon: DaemonSettings
    public var analysis: AnalysisSettings
    public var grids: [GridConfig]
    public var cameras: [CameraConfig]
    public var tickets = TicketSettings()
    /// Where tickets are sent (`notify:`).
    public var notify: [NotifyDestination] = []
    /// The web console (`console:`); nil: off.
    public var console: ConsoleSettings?
    /// Where tickets are kept (`store:`): the data directory's SQLite file, or a PostgreSQL
    /// database several daemons share.
    public var store: StoreLocation = .sqlite

    public func grid(_ id: String) -> GridConfig? { grids.first { $0.id == id } }
}

public struct DaemonSettings: Sendable, Equatable {
    public var dataDirectory: String = "/var/lib/gridwatch"
    public var socketPath: String = "/run/gridwatch/control.sock"
    /// Permission bits of the control socket.
    public var socketMode: Int = 0o660
    /// Group of the control socket (nil: the daemon's own group).
    public var socketGroup: String?
    public var logLevel: String = "info"
    /// Unix group name → role of its members on the control socket.
    public var roles: [String: Role] = [:]
    /// Loopback address and port for `GET /metrics` over TCP (besides the control socket).
    public var metricsListen: HostPort?
    /// Address and port for platforms' callbacks (`POST /hooks/{destination}`): loopback,
    /// or any address with `hooksTLS`.
    public var hooksListen: HostPort?
    /// Certificate chain and private key (PEM files) for the callback listener.
    public var hooksTLS: TLSFiles?
    /// The time zone of every human-facing time (IANA name such as `Asia/Shanghai`); nil:
    /// the machine's.
    public var timezone: String?
    /// This daemon's name among the nodes sharing a PostgreSQL store (`node_id`; default: the
    /// host name).
    public var nodeID: String = DaemonSettings.hostName
    /// Seconds a node's camera leases last without renewal (`lease_timeout`): a node that
    /// dies loses its cameras to the others after this long.
    public var leaseTimeout: Double = 30

    /// The machine's host name, as `node_id`'s default.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "gridwatch" }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "gridwatch" : name
    }
}

/// A certificate chain and its private key, PEM files (checked when the file is read).
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String
}

public struct HostPort: Sendable, Equatable {
    public var host: String
    public var port: Int

    /// `localhost`, an IPv4 address in 127.0.0.0/8 or `::1`, as addresses (a host name such
    /// as `127.example.com` is not).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } == Array(repeating: 0, count: 15) + [1] }
        return false
    }
}

/// Analysis settings; the top-level block gives defaults that each camera may override.
public struct AnalysisSettings: Sendable, Equatable {
    /// Frames analysed per second of stream.
    public var fps: Double = 10
    /// Width of the gray frame analysed, in pixels.
    public var width: Int = 320
    public var motion = MotionSettings()
    public var tracker = TrackerSettings()
    /// Seconds an object may stay still before it becomes background.
    public var absorbAfter: Double = 60
    /// The camera-integrity checks (covered, defocused, moved, frozen; day and night).
    public var integrity = true
    /// Smoke and fire looked for in the whole picture (experimental; off by default).
    /// Zones may ask for them on their own (`fire_smoke: true` on the zone).
    public var fireSmoke = false
    /// Decode-on-demand (`idle_decode: keyframes`, the default; `off`): once the analysis has
    /// seen nothing move for `idleAfter` seconds, only keyframes are decoded until the
    /// packets' sizes or a keyframe show change (`Docs/design/decode-on-demand.md`). It
    /// detects what decoding every frame does (the analysis learns from the same frames).
    public var idleDecode = true
    /// Seconds of a plainly still picture after which the analysis watches it (learns only
    /// from the keyframes below and from frames where something new shows, with idle
    /// decoding or not: `CameraAnalyzer.stillWatch`) and idle decoding decodes keyframes only.
    public var idleAfter: Double = 3
    /// While still, one keyframe in this many seconds is learnt from, and with idle decoding
    /// decoded (the others only kept for a catch-up): a still picture's keyframes are most
    /// of what decoding it costs.
    public var idleKeyframeEvery: Double = 5
    /// How the analysis treats a still scene, decoded in full or not (`CameraAnalyzer.stillWatch`).
    public var stillWatch: StillWatch { StillWatch(idleAfter: idleAfter, keyframeEvery: idleKeyframeEvery) }
    /// Seconds of stream decoded and analysed as one batch (0: frame by frame). A thread
    /// woken for one frame every 100 ms finds its data gone from the caches; a batch pays
    /// for that once. Alerts come up to this much later (Docs/design/batching.md).
    public var batchSeconds: Double = 0.5

    public init() {
        motion.absorbAfterFrames = Int((absorbAfter * fps).rounded())
    }

    /// A new analysis rate, keeping what is set in seconds (absorption) in seconds.
    public mutating func setFPS(_ newFPS: Double) {
        fps = newFPS
        motion.absorbAfterFrames = Int((absorbAfter * fps).rounded())
    }
}

public struct GridConfig: Sendable, Equatable {
    public enum Level: String, Sendable, CaseIterable { case village, town, county }
    public var id: String
    public var name: String
    public var level: Level
    public var parent: String?
    /// The grid leader and workers, who tickets are dispatched to.
    public var people: [PersonConfig] = []
}

public struct PersonConfig: Sendable, Equatable {
    public enum Role: String, Sendable { case leader, worker }
    public var id: String
    public var name: String
    public var role: Role
    public var phone: String?
}

/// How tickets are handled: deadlines, repeat problems, retention.
public struct TicketSettings: Sendable, Equatable {
    public var policy = StorePolicy()
    /// Evidence (snapshots) older than this is deleted; the ticket and its history stay.
    public var evidenceDays: Double = 90
    /// And beyond this many bytes of evidence, oldest first.
    public var evidenceMaxBytes: Int64 = 10 << 30
    /// Closed tickets older than this are archived (kept, hidden from default lists).
    public var archiveAfterDays: Double = 365
    /// Seconds between deadline and retention checks.
    public var checkEvery: Double = 30
    public init() {}
}

/// What a zone or tripwire is for; decides its tickets' category and who sees them.
public enum RulePurpose: String, Sendable, CaseIterable {
    case intrusion, corrections, hazard

    public var category: TicketCategory {
        switch self {
        case .intrusion: .intrusion
        case .corrections: .corrections
        case .hazard: .hazard
        }
    }
}

/// Which zone events raise tickets.
public enum ZoneAlert: String, Sendable, CaseIterable {
    case enter, exit, loiter, crowd
}

public struct ZoneConfig: Sendable, Equatable {
    public var id: String
    public var name: String
    public var grid: String?
    public var polygon: Polygon
    public var purpose: RulePurpose
    public var severity: Severity
    public var enterFrames: Int
    public var exitFrames: Int
    public var loiterAfter: Double?
    public var crowdAbove: Int?
    public var alertOn: Set<ZoneAlert>
    public var options: RuleOptions
    /// Smoke and fire looked for inside the zone (a field, a haystack yard).
    public var fireSmoke = false

    public var rule: ZoneRule {
        ZoneRule(id: id, polygon: polygon, enterFrames: enterFrames, exitFrames: exitFrames, loiterAfter: loiterAfter, crowdAbove: crowdAbove, options: options)
    }
}

public struct TripwireConfig: Sendable, Equatable {
    public var id: String
    public var name: String
    public var grid: String?
    public var a: Point
    public var b: Point
    public var direction: Tripwire.Direction
    public var purpose: RulePurpose
    public var severity: Severity
    public var options: RuleOptions

    public var rule: TripwireRule {
        TripwireRule(line: Tripwire(id: id, a: a, b: b, direction: direction), options: options)
    }
}

/// Evidence clips: the seconds before and after each alert, copied from the camera's own
/// stream (`Docs/design/evidence-clips.md`).
public struct ClipSettings: Sendable, Equatable {
    /// Whether to record clips; nil: yes, unless the camera has privacy masks
    /// (`CameraConfig.recordsClips`).
    public var enabled: Bool?
    /// Seconds before the event, reached back to a keyframe.
    public var preRoll: Double = 5
    /// Seconds after the event; the clip runs on while the event goes on.
    public var postRoll: Double = 10
    /// The longest clip.
    public var maxClip: Double = 60
    public init() {}
}

public struct CameraConfig: Sendable, Equatable {
    public var id: String
    /// Name, grid, zones, tripwires and masks: what a running camera takes up without
    /// reconnecting (a reload that changes only these does not interrupt the stream).
    public var rules: CameraRules
    public var name: String {
        get { rules.cameraName }
        set { rules.cameraName = newValue }
    }
    public var grid: String {
        get { rules.grid }
        set { rules.grid = newValue }
    }
    /// `rtsp://...` or a file path: the stream analysed (a camera's low-resolution sub-stream).
    /// May contain credentials: never log it, use `redactedSource`.
    public var source: String
    /// The main stream, kept as packets for evidence and never decoded; optional.
    public var record: String?
    public var transport: InputOptions.Transport
    public var loop: Bool
    public var realtime: Bool
    public var decoderThreads: Int
    public var openTimeout: Double
    public var stallTimeout: Double
    /// Down this long (seconds) before a camera-offline ticket is raised.
    public var offlineAfter: Double
    public var reconnectMin: Double
    public var reconnectMax: Double
    /// A session that streamed this long resets the reconnect backoff.
    public var healthyAfter: Double
    /// Skip decoding frames nothing refers to when the stream is at least twice the analysis rate.
    public var skipFrames: Bool
    /// Decode without the deblocking filter (the clips keep the camera's own packets).
    public var skipDeblocking: Bool
    public var recordSeconds: Double
    public var recordMaxBytes: Int
    public var analysis: AnalysisSettings
    public var clips = ClipSettings()
    /// Clips are recorded: asked for, or not refused and no privacy masks (a clip is copied
    /// from the stream: the masks cannot be painted on it).
    public var recordsClips: Bool { clips.enabled ?? privacyMasks.isEmpty }
    public var zones: [ZoneConfig] {
        get { rules.zones }
        set { rules.zones = newValue }
    }
    public var tripwires: [TripwireConfig] {
        get { rules.tripwires }
        set { rules.tripwires = newValue }
    }
    public var motionMasks: [Polygon] { rules.motionMasks }
    public var privacyMasks: [Polygon] { rules.privacyMasks }

    public var redactedSource: String { Redaction.redact(source) }
    public var isFile: Bool { !source.contains("://") }
}

extension GridwatchConfig {
    /// Read and validate the configuration at `path`.
    /// `geometry`: camera id → a geometry file to read instead of `geometry.d/ID.yml` (the
    /// editor's candidate, checked before it replaces the file).
    public static func load(path: String, geometry: [String: String] = [:]) throws(ConfigError) -> GridwatchConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, key: "", message: "cannot read the file: \((error as NSError).localizedDescription)")
        }
        return try parse(text: text, file: path, geometry: geometry)
    }

    /// Validate configuration text; `file` names it in errors. Relative file sources
    /// resolve against the configuration file's folder.
    public static func parse(text: String, file: String, geometry: [String: String] = [:]) throws(ConfigError) -> GridwatchConfig {
        let root = try YAMLLoader.root(text: text, file: file)
        guard root.node?.mapping != nil else {
            throw ConfigError(file: file, line: 1, key: "", message: "expected a mapping with grids and cameras at the top")
        }
        try root.requireMapping(allowed: ["daemon", "analysis", "grids", "cameras", "tickets", "clips", "notify", "console", "store"])
        let baseDirectory = URL(fileURLWithPath: file).deletingLastPathComponent()
        let daemon = try parseDaemon(root["daemon"], baseDirectory: baseDirectory)
        let analysis = try parseAnalysis(root["analysis"], defaults: AnalysisSettings())
        try root["clips"].requireMapping(allowed: Keys.clips.union(["per_ticket"]))
        let clips = try parseClips(root["clips"], defaults: ClipSettings())

        // Sets and dictionaries, never a scan per item: a file may have 200 000 cameras.
        var grids: [GridConfig] = []
        var gridIDs: Set<String> = []
        let gridNodes = try root["grids"].items()
        for node in gridNodes {
            try node.requireMapping(allowed: Keys.grid)
            let id = try identifier(node["id"])
            if !gridIDs.insert(id).inserted { throw node["id"].error("duplicate grid id '\(id)'") }
            var people: [PersonConfig] = []
            if !node["leader"].isMissing { people.append(try parsePerson(node["leader"], role: .leader)) }
            for worker in try node["workers"].items() { people.append(try parsePerson(worker, role: .worker)) }
            grids.append(GridConfig(
                id: id,
                name: try node["name"].string(default: id),
                level: try node["level"].choice(default: .village),
                parent: try node["parent"].optionalString(),
                people: people))
        }
        var personIDs: Set<String> = []
        for (i, grid) in grids.enumerated() {
            for (j, person) in grid.people.enumerated() where !personIDs.insert(person.id).inserted {
                let node = person.role == .leader ? gridNodes[i]["leader"] : try gridNodes[i]["workers"].items()[j - (grid.people.first?.role == .leader ? 1 : 0)]
                throw node["id"].error("duplicate person id '\(person.id)'")
            }
        }
        if grids.isEmpty { throw root["grids"].error("at least one grid is required") }
        for (i, grid) in grids.enumerated() {
            if let parent = grid.parent, !gridIDs.contains(parent) {
                throw gridNodes[i]["parent"].error("no grid with id '\(parent)'")
            }
        }
        if let (i, cycle) = firstParentCycle(grids) {
            throw gridNodes[i]["parent"].error("grid parent cycle \(cycle.joined(separator: " → "))")
        }

        let cameraNodes = try root["cameras"].items()
        var cameras: [CameraConfig] = []
        cameras.reserveCapacity(cameraNodes.count)
        var cameraIDs: Set<String> = []
        cameraIDs.reserveCapacity(cameraNodes.count)
        for node in cameraNodes {
            var camera = try parseCamera(node, grids: gridIDs, defaults: analysis, baseDirectory: baseDirectory, geometry: geometry)
            try node["clips"].requireMapping(allowed: Keys.clips)
            camera.clips = try parseClips(node["clips"], defaults: clips)
            if !cameraIDs.insert(camera.id).inserted { throw node["id"].error("duplicate camera id '\(camera.id)'") }
            cameras.append(camera)
        }
        var config = GridwatchConfig(file: file, daemon: daemon, analysis: analysis, grids: grids, cameras: cameras)
        config.tickets = try parseTickets(root["tickets"])
        config.tickets.policy.clipsPerTicket = try root["clips"]["per_ticket"].int(default: config.tickets.policy.clipsPerTicket, range: 0...100)
        config.notify = try parseNotify(root["notify"], grids: gridIDs, baseDirectory: baseDirectory)
        if config.daemon.hooksListen != nil && !config.notify.contains(where: { $0.kind == .webhook && $0.inbound }) {
            throw root["daemon"]["hooks_listen"].error("no notify destination of type webhook takes callbacks (inbound: true)")
        }
        config.console = try parseConsole(root["console"], baseDirectory: baseDirectory)
        config.store = try parseStore(root["store"], baseDirectory: baseDirectory)
        return config
    }

    /// The cycle of `parent` links (ids, the first again at the end) whose first grid comes
    /// first in the file, with that grid's index. Each grid has one parent, so following the
    /// links from every grid once finds every cycle.
    private static func firstParentCycle(_ grids: [GridConfig]) -> (Int, [String])? {
        var index: [String: Int] = [:]
        for (i, grid) in grids.enumerated() { index[grid.id] = i }
        // 0: not seen; 1: on the walk under way; 2: done.
        var state = [UInt8](repeating: 0, count: grids.count)
        var best: Int?
        for start in grids.indices where state[start] == 0 {
            var walk: [Int] = []
            var i: Int? = start
            while let j = i, state[j] == 0 {
                state[j] = 1
                walk.append(j)
                i = grids[j].parent.flatMap { index[$0] }
            }
            if let j = i, state[j] == 1, let from = walk.firstIndex(of: j) {
                let first = walk[from...].min()!
                if best.map({ first < $0 }) ?? true { best = first }
            }
            for j in walk { state[j] = 2 }
        }
        guard let best else { return nil }
        var cycle = [grids[best].id]
        var i = index[grids[best].parent!]!
        while i != best {
            cycle.append(grids[i].id)
            i = index[grids[i].parent!]!
        }
        cycle.append(grids[best].id)
        return (best, cycle)
    }

    /// The keys each mapping allows, built once (not once per camera).
    private enum Keys {
        static let grid: Set<String> = ["id", "name", "level", "parent", "leader", "workers"]
        static let person: Set<String> = ["id", "name", "phone"]
        static let camera: Set<String> = [
            "id", "name", "grid", "source", "record", "username", "password_file", "password_env", "transport", "loop",
            "realtime", "decoder_threads", "open_timeout", "stall_timeout", "offline_after", "reconnect_min", "reconnect_max",
            "healthy_after", "skip_frames", "skip_deblocking", "record_seconds", "record_max_mb", "analysis", "zones", "tripwires", "masks", "clips",
        ]
        static let analysis: Set<String> = ["fps", "width", "motion", "tracker", "integrity", "fire_smoke", "idle_decode", "idle_after", "idle_keyframe_every", "batch_seconds"]
        static let clips: Set<String> = ["enabled", "pre_roll", "post_roll", "max_clip"]
        static let motion: Set<String> = [
            "threshold", "learning_rate", "foreground_learning_rate", "warmup_frames", "global_change_share", "min_blob_area",
            "max_blob_area", "noise_factor", "flicker_share", "absorb_after",
        ]
        static let tracker: Set<String> = ["confirm_hits", "max_misses"]
        static let masks: Set<String> = ["motion", "privacy"]
        static let zone: Set<String> = [
            "id", "name", "grid", "polygon", "purpose", "severity", "enter_frames", "exit_frames", "loiter_after",
            "crowd_above", "alert_on", "min_size", "cooldown", "schedule", "when", "objects", "fire_smoke",
        ]
        static let tripwire: Set<String> = ["id", "name", "grid", "a", "b", "direction", "purpose", "severity", "min_size", "cooldown", "schedule", "when", "objects"]
    }

    private static func parsePerson(_ node: ConfigNode, role: PersonConfig.Role) throws(ConfigError) -> PersonConfig {
        try node.requireMapping(allowed: Keys.person)
        let id = try identifier(node["id"])
        return PersonConfig(id: id, name: try node["name"].string(default: id), role: role, phone: try node["phone"].optionalString())
    }

    private static func parseDeadline(_ node: ConfigNode, default value: Deadline) throws(ConfigError) -> Deadline {
        Deadline(
            acknowledge: try node["acknowledge"].duration(default: value.acknowledge, range: 60...(30 * 86_400)),
            close: try node["close"].duration(default: value.close, range: 60...(365 * 86_400)))
    }

    /// `clips:` at the top (every camera's defaults) or in a camera (its own).
    private static func parseClips(_ node: ConfigNode, defaults: ClipSettings) throws(ConfigError) -> ClipSettings {
        var c = defaults
        if !node["enabled"].isMissing { c.enabled = try node["enabled"].bool(default: true) }
        c.preRoll = try node["pre_roll"].duration(default: c.preRoll, range: 0...60)
        c.postRoll = try node["post_roll"].duration(default: c.postRoll, range: 1...300)
        c.maxClip = try node["max_clip"].duration(default: c.maxClip, range: 5...600)
        if c.maxClip <= c.preRoll {
            throw node["max_clip"].isMissing ? node["pre_roll"].error("must be shorter than max_clip (\(Int(c.maxClip)) s)")
                : node["max_clip"].error("must be longer than pre_roll (\(Int(c.preRoll)) s)")
        }
        return c
    }

    private static func parseTickets(_ node: ConfigNode) throws(ConfigError) -> TicketSettings {
        try node.requireMapping(allowed: ["deadlines", "repeat", "retention", "check_every"])
        var t = TicketSettings()
        let deadlines = node["deadlines"]
        try deadlines.requireMapping(allowed: Set(TicketCategory.allCases.map(\.rawValue)))
        for category in TicketCategory.allCases {
            let c = deadlines[category.rawValue]
            try c.requireMapping(allowed: Set(["acknowledge", "close"] + Severity.allCases.map(\.rawValue)))
            let base = try parseDeadline(c, default: t.policy.deadlines.deadline(category: category, severity: .medium))
            t.policy.deadlines.byCategory[category] = base
            for severity in Severity.allCases where !c[severity.rawValue].isMissing {
                try c[severity.rawValue].requireMapping(allowed: ["acknowledge", "close"])
                t.policy.deadlines.bySeverity[category, default: [:]][severity] = try parseDeadline(c[severity.rawValue], default: base)
            }
        }
        let r = node["repeat"]
        try r.requireMapping(allowed: ["reopens", "period"])
        t.policy.repeatReopens = try r["reopens"].int(default: t.policy.repeatReopens, range: 1...100)
        t.policy.repeatPeriod = try r["period"].duration(default: t.policy.repeatPeriod, range: 86_400...(366 * 86_400))
        let k = node["retention"]
        try k.requireMapping(allowed: ["evidence_days", "evidence_max_mb", "archive_after_days"])
        t.evidenceDays = try k["evidence_days"].double(default: t.evidenceDays, range: 1...3650)
        t.evidenceMaxBytes = Int64(try k["evidence_max_mb"].int(default: Int(t.evidenceMaxBytes >> 20), range: 1...(1 << 30))) << 20
        t.archiveAfterDays = try k["archive_after_days"].double(default: t.archiveAfterDays, range: 1...36_500)
        t.checkEvery = try node["check_every"].duration(default: t.checkEvery, range: 1...3600)
        return t
    }

    static func identifier(_ node: ConfigNode) throws(ConfigError) -> String {
        let id = try node.string()
        if id.isEmpty || id.unicodeScalars.contains(where: { !isIdentifierScalar($0) }) {
            throw node.error("'\(id)' is not a valid id (letters, digits, '-', '_' and '.')")
        }
        return id
    }

    /// A letter, mark or digit of any script (what Foundation's `CharacterSet.alphanumerics`
    /// holds: Unicode's categories L, M and N), '-', '_' or '.'. From the standard library's
    /// tables: Foundation's character sets load CoreFoundation's Unicode bitmaps at every start.
    static func isIdentifierScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return scalar == "-" || scalar == "_" || scalar == "."
        }
    }

    /// Relative paths in the configuration are relative to the configuration file's folder.
    static func resolve(_ path: String, against base: URL) -> String {
        path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
    }

    /// `console:`: where the web console listens (loopback in plain HTTP, any address with
    /// TLS) and how long an idle session lasts.
    private static func parseConsole(_ node: ConfigNode, baseDirectory: URL) throws(ConfigError) -> ConsoleSettings? {
        guard !node.isMissing else { return nil }
        try node.requireMapping(allowed: ["listen", "tls_cert", "tls_key", "session_idle"])
        let certNode = node["tls_cert"], keyNode = node["tls_key"]
        if certNode.isMissing != keyNode.isMissing {
            throw (certNode.isMissing ? certNode : keyNode).error("is required with \(certNode.isMissing ? "tls_key" : "tls_cert")")
        }
        var tls: TLSFiles?
        if !certNode.isMissing {
            let files = TLSFiles(certificate: resolve(try certNode.string(), against: baseDirectory), key: resolve(try keyNode.string(), against: baseDirectory))
            try TLSFiles.check(files, certNode: certNode, keyNode: keyNode)
            tls = files
        }
        let text = try node["listen"].string()
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw node["listen"].error("expected HOST:PORT, such as \"127.0.0.1:8080\", got '\(text)'")
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let loopback = HostPort.isLoopback(host)
        guard loopback || tls != nil else {
            throw node["listen"].error("the console is served on the loopback interface only (127.0.0.1, ::1 or localhost) unless tls_cert and tls_key are given, got '\(host)'")
        }
        var settings = ConsoleSettings(listen: HostPort(host: host, port: port), tls: tls)
        settings.sessionIdle = try node["session_idle"].duration(default: settings.sessionIdle, range: 60...7 * 86_400)
        return settings
    }

    /// `store:`: absent, SQLite in the data directory; `postgres: URL` (no password in it)
    /// with `password_file` or `password_env`, `tls` and `ca_file`.
    private static func parseStore(_ node: ConfigNode, baseDirectory: URL) throws(ConfigError) -> StoreLocation {
        guard !node.isMissing else { return .sqlite }
        try node.requireMapping(allowed: ["postgres", "password_file", "password_env", "tls", "ca_file", "read_connections", "answer_within"])
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings(url: try node["postgres"].string())
        } catch let error as ConfigError {
            throw error
        } catch {
            // The reason only: a URL is never repeated, whatever it holds.
            throw node["postgres"].error("\(error)")
        }
        let file = try node["password_file"].optionalString().map { resolve($0, against: baseDirectory) }
        let env = try node["password_env"].optionalString()
        if file != nil && env != nil { throw node["password_env"].error("give password_file or password_env, not both") }
        if let file {
            do {
                var password = try String(contentsOfFile: file, encoding: .utf8)
                while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
                settings.password = password
            } catch {
                throw node["password_file"].error("cannot read \(file): \((error as NSError).localizedDescription)")
            }
        } else if let env {
            guard let value = ConfigEnvironment.value(env) else { throw node["password_env"].error("environment variable \(env) is not set") }
            settings.password = value
        }
        settings.tls = try node["tls"].choice(default: PostgresSettings.TLSMode.disable)
        if let ca = try node["ca_file"].optionalString() {
            guard settings.tls == .verifyFull else { throw node["ca_file"].error("is for tls: verify-full") }
            let path = resolve(ca, against: baseDirectory)
            guard FileManager.default.isReadableFile(atPath: path) else { throw node["ca_file"].error("cannot read \(path)") }
            settings.caFile = path
        }
        settings.readConnections = try node["read_connections"].int(default: settings.readConnections, range: 1...32)
        settings.answerWithin = try node["answer_within"].duration(default: settings.answerWithin, range: 1...300)
        return .postgres(settings)
    }

    private static func parseDaemon(_ node: ConfigNode, baseDirectory: URL) throws(ConfigError) -> DaemonSettings {
        try node.requireMapping(allowed: ["data_dir", "socket", "socket_mode", "socket_group", "log_level", "roles", "metrics_listen", "hooks_listen", "hooks_tls_cert", "hooks_tls_key", "timezone", "node_id", "lease_timeout"])
        var roles: [String: Role] = [:]
        for (group, value) in try node["roles"].entries() {
            roles[group] = try value.choice()
        }
        var d = DaemonSettings()
        d.dataDirectory = resolve(try node["data_dir"].string(default: d.dataDirectory), against: baseDirectory)
        d.socketPath = resolve(try node["socket"].string(default: d.socketPath), against: baseDirectory)
        if !node["socket_mode"].isMissing {
            let text = try node["socket_mode"].string()
            guard let mode = Int(text, radix: 8), (0...0o777).contains(mode) else {
                throw node["socket_mode"].error("expected octal permission bits such as \"0660\", got '\(text)'")
            }
            d.socketMode = mode
        }
        d.logLevel = try node["log_level"].string(default: d.logLevel)
        d.socketGroup = try node["socket_group"].optionalString()
        d.roles = roles
        // Metrics have no caller identity: only this machine may read them. Callbacks are
        // signed, but would travel in the clear: off this machine only with TLS.
        let certNode = node["hooks_tls_cert"], keyNode = node["hooks_tls_key"]
        if certNode.isMissing != keyNode.isMissing {
            throw (certNode.isMissing ? certNode : keyNode).error("is required with \(certNode.isMissing ? "hooks_tls_key" : "hooks_tls_cert")")
        }
        if !certNode.isMissing {
            if node["hooks_listen"].isMissing { throw certNode.error("is for hooks_listen, which is not set") }
            let tls = TLSFiles(certificate: resolve(try certNode.string(), against: baseDirectory), key: resolve(try keyNode.string(), against: baseDirectory))
            try TLSFiles.check(tls, certNode: certNode, keyNode: keyNode)
            d.hooksTLS = tls
        }
        for (key, example, what) in [("metrics_listen", "127.0.0.1:9464", "metrics are"), ("hooks_listen", "127.0.0.1:8610", "callbacks are")]
        where !node[key].isMissing {
            let text = try node[key].string()
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
                throw node[key].error("expected HOST:PORT on the loopback interface, such as \"\(example)\", got '\(text)'")
            }
            let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let loopback = HostPort.isLoopback(host)
            if key == "metrics_listen" {
                guard loopback else {
                    throw node[key].error("\(what) served on the loopback interface only (127.0.0.1, ::1 or localhost), got '\(host)'")
                }
                d.metricsListen = HostPort(host: host, port: port)
            } else {
                guard loopback || d.hooksTLS != nil else {
                    throw node[key].error("\(what) served on the loopback interface only (127.0.0.1, ::1 or localhost) unless hooks_tls_cert and hooks_tls_key are given, got '\(host)'")
                }
                d.hooksListen = HostPort(host: host, port: port)
            }
        }
        if !node["timezone"].isMissing {
            let name = try node["timezone"].string()
            guard TimeZone(identifier: name) != nil, name.contains("/") || name == "UTC" else {
                throw node["timezone"].error("'\(name)' is not a time zone name such as Asia/Shanghai or UTC")
            }
            // The C library reads zones from tzdata: without the file it would quietly use UTC.
            guard FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/" + name) else {
                throw node["timezone"].error("no /usr/share/zoneinfo/\(name) on this machine (install tzdata)")
            }
            d.timezone = name
        }
        if !node["node_id"].isMissing { d.nodeID = try identifier(node["node_id"]) }
        d.leaseTimeout = try node["lease_timeout"].duration(default: d.leaseTimeout, range: 5...600)
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        if !levels.contains(d.logLevel) {
            throw node["log_level"].error("'\(d.logLevel)' is not one of: \(levels.joined(separator: ", "))")
        }
        return d
    }

    private static func parseAnalysis(_ node: ConfigNode, defaults: AnalysisSettings) throws(ConfigError) -> AnalysisSettings {
        try node.requireMapping(allowed: Keys.analysis)
        var a = defaults
        a.fps = try node["fps"].double(default: a.fps, range: 0.2...30)
        a.width = try node["width"].int(default: a.width, range: 64...1920)
        let m = node["motion"]
        try m.requireMapping(allowed: Keys.motion)
        a.motion.noiseFactor = try m["noise_factor"].double(default: a.motion.noiseFactor, range: 0...50)
        a.motion.flickerShare = try m["flicker_share"].double(default: a.motion.flickerShare, range: 0.01...1)
        a.absorbAfter = try m["absorb_after"].double(default: a.absorbAfter, range: 0...86_400)
        a.motion.threshold = try m["threshold"].int(default: a.motion.threshold, range: 1...255)
        a.motion.learningRate = try m["learning_rate"].double(default: a.motion.learningRate, range: 0.0001...1)
        a.motion.foregroundLearningRate = try m["foreground_learning_rate"].double(default: a.motion.foregroundLearningRate, range: 0...1)
        a.motion.warmupFrames = try m["warmup_frames"].int(default: a.motion.warmupFrames, range: 1...10_000)
        a.motion.globalChangeShare = try m["global_change_share"].double(default: a.motion.globalChangeShare, range: 0.05...1)
        a.motion.minBlobArea = try m["min_blob_area"].double(default: a.motion.minBlobArea, range: 0...1)
        a.motion.maxBlobArea = try m["max_blob_area"].double(default: a.motion.maxBlobArea, range: 0...1)
        if a.motion.minBlobArea > a.motion.maxBlobArea {
            throw m["min_blob_area"].error("must not be larger than max_blob_area (\(a.motion.maxBlobArea))")
        }
        a.motion.absorbAfterFrames = Int((a.absorbAfter * a.fps).rounded())
        let t = node["tracker"]
        try t.requireMapping(allowed: Keys.tracker)
        a.tracker.confirmHits = try t["confirm_hits"].int(default: a.tracker.confirmHits, range: 1...50)
        a.tracker.maxMisses = try t["max_misses"].int(default: a.tracker.maxMisses, range: 0...100)
        a.integrity = try node["integrity"].bool(default: a.integrity)
        a.fireSmoke = try node["fire_smoke"].bool(default: a.fireSmoke)
        let idle = node["idle_decode"]
        if !idle.isMissing {
            switch try idle.string() {
            case "keyframes": a.idleDecode = true
            case "off": a.idleDecode = false
            default: throw idle.error("must be keyframes or off")
            }
        }
        a.idleAfter = try node["idle_after"].double(default: a.idleAfter, range: 1...3600)
        a.idleKeyframeEvery = try node["idle_keyframe_every"].double(default: a.idleKeyframeEvery, range: 0...60)
        a.batchSeconds = try node["batch_seconds"].double(default: a.batchSeconds, range: 0...2)
        return a
    }

    /// Where a camera's zones, lines and masks drawn in the console are kept: next to the
    /// main file, which the console never rewrites.
    public static func geometryFile(camera id: String, configFile: String) -> String {
        URL(fileURLWithPath: configFile).deletingLastPathComponent().appendingPathComponent("geometry.d").appendingPathComponent(id + ".yml").path
    }

    /// The node holding a camera's `zones`, `tripwires` and `masks`: its geometry file when
    /// there is one (which replaces the main file's), else its own entry.
    private static func geometryNode(_ node: ConfigNode, camera id: String, file: String, override: String?) throws(ConfigError) -> ConfigNode {
        let path = override ?? geometryFile(camera: id, configFile: file)
        guard override != nil || FileManager.default.fileExists(atPath: path) else { return node }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, key: "", message: "cannot read the file: \((error as NSError).localizedDescription)")
        }
        let root = try YAMLLoader.root(text: text, file: path)
        if root.node != nil { try root.requireMapping(allowed: ["zones", "tripwires", "masks"]) }
        return root
    }

    private static func parseCamera(_ node: ConfigNode, grids: Set<String>, defaults: AnalysisSettings, baseDirectory: URL,
                                     geometry: [String: String] = [:]) throws(ConfigError) -> CameraConfig {
        try node.requireMapping(allowed: Keys.camera)
        let id = try identifier(node["id"])
        let grid = try node["grid"].string()
        if !grids.contains(grid) { throw node["grid"].error("no grid with id '\(grid)'") }
        let credentials = try parseCredentials(node, baseDirectory: baseDirectory)
        let source = try parseSource(node["source"], credentials: credentials, baseDirectory: baseDirectory)
        let isFile = !source.contains("://")
        let record = node["record"].isMissing ? nil : try parseSource(node["record"], credentials: credentials, baseDirectory: baseDirectory)
        let reconnectMin = try node["reconnect_min"].double(default: 1, range: 0.1...60)
        let reconnectMax = try node["reconnect_max"].double(default: 60, range: 0.1...3600)
        if reconnectMax < reconnectMin { throw node["reconnect_max"].error("must not be below reconnect_min (\(reconnectMin))") }
        let loop = try node["loop"].bool(default: false)
        if loop && !isFile { throw node["loop"].error("only file sources can loop") }
        let analysis = try parseAnalysis(node["analysis"], defaults: defaults)
        // The scene mode comes from the integrity checks: without them a rule for the night
        // would never run, and one for the day would run at night too.
        func needsIntegrity(_ rule: ConfigNode, _ options: RuleOptions) throws(ConfigError) {
            if !analysis.integrity && options.schedule.mode != nil {
                throw rule["when"].error("needs the integrity checks (analysis.integrity: true), which tell day from night")
            }
        }
        let shapes = try geometryNode(node, camera: id, file: node.file, override: geometry[id])
        var zones: [ZoneConfig] = []
        for z in try shapes["zones"].items() {
            let zone = try parseZone(z, grids: grids)
            if zones.contains(where: { $0.id == zone.id }) { throw z["id"].error("duplicate zone id '\(zone.id)' on camera '\(id)'") }
            try needsIntegrity(z, zone.options)
            zones.append(zone)
        }
        var tripwires: [TripwireConfig] = []
        for t in try shapes["tripwires"].items() {
            let line = try parseTripwire(t, grids: grids)
            if tripwires.contains(where: { $0.id == line.id }) || zones.contains(where: { $0.id == line.id }) {
                throw t["id"].error("duplicate zone or tripwire id '\(line.id)' on camera '\(id)'")
            }
            try needsIntegrity(t, line.options)
            tripwires.append(line)
        }
        let masks = shapes["masks"]
        try masks.requireMapping(allowed: Keys.masks)
        let motionMasks = try masks["motion"].items().map { n throws(ConfigError) in try parsePolygon(n) }
        let privacyMasks = try masks["privacy"].items().map { n throws(ConfigError) in try parsePolygon(n) }
        let rules = CameraRules(cameraName: try node["name"].string(default: id), grid: grid, zones: zones, tripwires: tripwires,
                                motionMasks: motionMasks, privacyMasks: privacyMasks)
        return CameraConfig(
            id: id,
            rules: rules,
            source: source,
            record: record,
            transport: try node["transport"].choice(default: .tcp),
            loop: loop,
            realtime: try node["realtime"].bool(default: true),
            decoderThreads: try node["decoder_threads"].int(default: 1, range: 1...16),
            openTimeout: try node["open_timeout"].double(default: 10, range: 1...120),
            stallTimeout: try node["stall_timeout"].double(default: 10, range: 1...600),
            offlineAfter: try node["offline_after"].double(default: 120, range: 1...86_400),
            reconnectMin: reconnectMin,
            reconnectMax: reconnectMax,
            healthyAfter: try node["healthy_after"].double(default: 60, range: 1...86_400),
            skipFrames: try node["skip_frames"].bool(default: true),
            skipDeblocking: try node["skip_deblocking"].bool(default: true),
            recordSeconds: try node["record_seconds"].double(default: 10, range: 1...600),
            recordMaxBytes: try node["record_max_mb"].int(default: 64, range: 1...4096) * 1_048_576,
            analysis: analysis)
    }

    /// Credentials kept out of the URL: a user name and a password from a file or the environment.
    private static func parseCredentials(_ node: ConfigNode, baseDirectory: URL) throws(ConfigError) -> (user: String, password: String)? {
        let user = try node["username"].optionalString()
        let file = try node["password_file"].optionalString().map { resolve($0, against: baseDirectory) }
        let env = try node["password_env"].optionalString()
        if file != nil && env != nil { throw node["password_env"].error("give password_file or password_env, not both") }
        guard let user else {
            if file != nil || env != nil { throw node["username"].error("is required with password_file or password_env") }
            return nil
        }
        var password = ""
        if let file {
            do {
                password = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw node["password_file"].error("cannot read \(file): \((error as NSError).localizedDescription)")
            }
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
        } else if let env {
            guard let value = ConfigEnvironment.value(env) else {
                throw node["password_env"].error("environment variable \(env) is not set")
            }
            password = value
        }
        return (user, password)
    }

    /// The stream schemes FFmpeg is asked to open; anything else must be a file.
    static let streamSchemes: Set<String> = ["rtsp", "rtsps", "http", "https", "rtmp"]
    static let schemeList = "rtsp://, rtsps://, http://, https://, rtmp://"

    /// A stream URL, or a file path (relative to the configuration's folder). The URL is
    /// checked so that what `Redaction` hides (between `://` and the last `@`) is exactly
    /// what FFmpeg takes for the user name and password. No error repeats the text after the
    /// scheme: it may hold a password.
    private static func parseSource(_ node: ConfigNode, credentials: (user: String, password: String)?, baseDirectory: URL) throws(ConfigError) -> String {
        let source = try node.string()
        guard let separator = source.range(of: "://") else {
            // "rtsp:cam:pw@host" is not a file that happens to be missing.
            guard let colon = source.firstIndex(of: ":"), isScheme(source[..<colon]) else { return resolve(source, against: baseDirectory) }
            let path = resolve(source, against: baseDirectory)
            if FileManager.default.fileExists(atPath: path) { return path }
            let scheme = source[..<colon]
            if streamSchemes.contains(scheme.lowercased()) {
                throw node.error("'\(scheme):' must be followed by '//' for a stream, and no file of that name exists")
            }
            throw node.error("'\(scheme):' is not a stream scheme (\(schemeList)), and no file of that name exists")
        }
        let scheme = source[..<separator.lowerBound]
        guard streamSchemes.contains(scheme.lowercased()) else {
            let named = isScheme(scheme) ? "unsupported scheme '\(scheme)'" : "no scheme before '://'"
            throw node.error("\(named) (use \(schemeList) or a file path)")
        }
        let afterScheme = separator.upperBound
        var hostStart = afterScheme
        if let at = source[afterScheme...].lastIndex(of: "@") {
            guard isUserInformation(source[afterScheme..<at]) else {
                throw node.error("""
                    the user name or password in the URL cannot be read unambiguously: percent-encode / ? # @ in them \
                    as %2F %3F %23 %40 (and % itself, spaces and quotes as %25 %20 %22 %27)
                    """)
            }
            if credentials != nil { throw node.error("has credentials in the URL and username/password keys; use one of them") }
            hostStart = source.index(after: at)
        }
        let rest = source[hostStart...]
        try checkHostAndPort(rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex)], node: node)
        guard let credentials else { return source }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let user = credentials.user.addingPercentEncoding(withAllowedCharacters: allowed) ?? credentials.user
        let password = credentials.password.addingPercentEncoding(withAllowedCharacters: allowed) ?? credentials.password
        return String(source[..<afterScheme]) + "\(user):\(password)@" + String(source[afterScheme...])
    }

    /// RFC 3986 scheme: a letter, then letters, digits, '+', '-' or '.'.
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) }
    }

    /// User information FFmpeg and `Redaction` read alike: unreserved characters, sub-delimiters
    /// but the quote, ':' and %XX escapes; letters beyond ASCII, but no spaces or controls.
    private static func isUserInformation(_ text: Substring) -> Bool {
        let allowed = "-._~!$&()*+,;=:".unicodeScalars
        var scalars = text.unicodeScalars[...]
        while let c = scalars.popFirst() {
            if c == "%" {
                guard let a = scalars.popFirst(), let b = scalars.popFirst(), a.properties.isASCIIHexDigit, b.properties.isASCIIHexDigit else { return false }
            } else if c.isASCII {
                guard c.properties.isAlphabetic || ("0"..."9").contains(c) || allowed.contains(c) else { return false }
            } else if c.properties.isWhitespace || c.properties.generalCategory == .control || c.properties.generalCategory == .format {
                return false
            }
        }
        return true
    }

    /// `host`, `host:port` or `[v6]:port`; the port, when written, in 1...65535.
    private static func checkHostAndPort(_ text: Substring, node: ConfigNode) throws(ConfigError) {
        var host = text, port: Substring?
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { throw node.error("the IPv6 address has no closing ']'") }
            host = text[...close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw node.error("expected ':' and a port after the IPv6 address") }
                port = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        if host.isEmpty { throw node.error("has no host") }
        let valid: Bool
        if host.first == "[" {
            let inner = host.dropFirst().dropLast()
            valid = !inner.isEmpty && inner.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
        } else {
            let allowed = "-._~!$&()*+,;=%".unicodeScalars
            valid = host.unicodeScalars.allSatisfy { !$0.isASCII || $0.properties.isAlphabetic || ("0"..."9").contains($0) || allowed.contains($0) }
        }
        if !valid { throw node.error("the host has characters a URL does not allow there (IPv6 addresses go in brackets)") }
        guard let port, !port.isEmpty else { return }
        guard port.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else { throw node.error("port is not a number") }
        // Five digits at most are repeated: a longer number is more likely a password than a port.
        guard port.count <= 5 else { throw node.error("port is out of range 1...65535") }
        guard let number = Int(port), (1...65535).contains(number) else { throw node.error("port \(port) is out of range 1...65535") }
    }

    /// A rule's filters; `purpose: hazard` has no cooldown by default (every person at the
    /// water is someone to reach; one track's repeats merge into its own ticket).
    private static func parseOptions(_ node: ConfigNode, purpose: RulePurpose) throws(ConfigError) -> RuleOptions {
        var schedule: [Schedule.Window] = []
        var dates: [Schedule.DateRange] = []
        for w in try node["schedule"].items() {
            let text = try w.string()
            if text.contains("..") {
                // A date range: "06-01..09-30" (month-day, both ends included).
                let ends = text.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
                func monthDay(_ s: String) -> Int? {
                    let md = s.split(separator: "-")
                    guard md.count == 2, md[0].count == 2, md[1].count == 2, let m = Int(md[0]), let d = Int(md[1]), (1...12).contains(m) else { return nil }
                    let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
                    return (1...days).contains(d) ? m * 100 + d : nil
                }
                guard ends.count == 2, let start = monthDay(ends[0]), let end = monthDay(ends[1]) else {
                    throw w.error("expected a date range such as \"06-01..09-30\" (month-day, both included), got '\(text)'")
                }
                dates.append(Schedule.DateRange(start: start, end: end))
                continue
            }
            let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
            func minute(_ s: String) -> Int? {
                let hm = s.split(separator: ":")
                guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else { return nil }
                return h * 60 + m
            }
            guard parts.count == 2, let start = minute(parts[0]), let end = minute(parts[1]), start != end else {
                throw w.error("expected a time window such as \"22:00-06:00\" or a date range such as \"06-01..09-30\", got '\(text)'")
            }
            schedule.append(Schedule.Window(start: start % 1440, end: end % 1440 == 0 && end != 0 ? 1440 : end))
        }
        var objects: Set<ObjectClass> = []
        let classes: [ObjectClass] = [.person, .group, .vehicle, .small]
        for item in try node["objects"].items() {
            let text = try item.string()
            guard let c = classes.first(where: { $0.rawValue == text }) else {
                throw item.error("'\(text)' is not one of: \(classes.map(\.rawValue).joined(separator: ", "))")
            }
            objects.insert(c)
        }
        return RuleOptions(
            minSize: try node["min_size"].double(default: 0, range: 0...1),
            cooldown: try node["cooldown"].double(default: purpose == .hazard ? 0 : RuleOptions.defaultCooldown, range: 0...86_400),
            schedule: Schedule(schedule, dates: dates, mode: node["when"].isMissing ? nil : try node["when"].choice()),
            objects: objects)
    }

    private static func parseZone(_ node: ConfigNode, grids: Set<String>) throws(ConfigError) -> ZoneConfig {
        try node.requireMapping(allowed: Keys.zone)
        let purpose: RulePurpose = try node["purpose"].choice(default: .intrusion)
        let id = try identifier(node["id"])
        let grid = try node["grid"].optionalString()
        if let grid, !grids.contains(grid) { throw node["grid"].error("no grid with id '\(grid)'") }
        let polygon = try parsePolygon(node["polygon"])
        let loiter = node["loiter_after"].isMissing ? nil : try node["loiter_after"].double(range: 1...86_400)
        let crowd = node["crowd_above"].isMissing ? nil : try node["crowd_above"].int(range: 1...1000)
        var alertOn: Set<ZoneAlert> = [.enter]
        if loiter != nil { alertOn.insert(.loiter) }
        if crowd != nil { alertOn.insert(.crowd) }
        if !node["alert_on"].isMissing {
            alertOn = []
            for item in try node["alert_on"].items() { alertOn.insert(try item.choice()) }
            if alertOn.contains(.loiter) && loiter == nil { throw node["alert_on"].error("loiter needs loiter_after") }
            if alertOn.contains(.crowd) && crowd == nil { throw node["alert_on"].error("crowd needs crowd_above") }
        }
        return ZoneConfig(
            id: id,
            name: try node["name"].string(default: id),
            grid: grid,
            polygon: polygon,
            purpose: purpose,
            // Hazards (water, fire) are the most urgent thing a camera can see.
            severity: try node["severity"].choice(default: purpose == .hazard ? .critical : .medium),
            enterFrames: try node["enter_frames"].int(default: 2, range: 1...100),
            exitFrames: try node["exit_frames"].int(default: 3, range: 1...1000),
            loiterAfter: loiter,
            crowdAbove: crowd,
            alertOn: alertOn,
            options: try parseOptions(node, purpose: purpose),
            fireSmoke: try node["fire_smoke"].bool(default: false))
    }

    private static func parseTripwire(_ node: ConfigNode, grids: Set<String>) throws(ConfigError) -> TripwireConfig {
        try node.requireMapping(allowed: Keys.tripwire)
        let purpose: RulePurpose = try node["purpose"].choice(default: .intrusion)
        let id = try identifier(node["id"])
        let grid = try node["grid"].optionalString()
        if let grid, !grids.contains(grid) { throw node["grid"].error("no grid with id '\(grid)'") }
        let a = try parsePoint(node["a"]), b = try parsePoint(node["b"])
        if abs(a.x - b.x) + abs(a.y - b.y) < 0.01 { throw node["b"].error("is too close to a: a tripwire needs a length") }
        return TripwireConfig(
            id: id, name: try node["name"].string(default: id), grid: grid, a: a, b: b,
            direction: try node["direction"].choice(default: .both),
            purpose: purpose,
            // Hazards (water, fire) are the most urgent thing a camera can see.
            severity: try node["severity"].choice(default: purpose == .hazard ? .critical : .medium),
            options: try parseOptions(node, purpose: purpose))
    }

    private static func parsePoint(_ node: ConfigNode) throws(ConfigError) -> Point {
        if node.isMissing { throw node.error("is required: a point [x, y] in 0...1") }
        let xy = try node.items()
        if xy.count != 2 { throw node.error("expected a point [x, y]") }
        return Point(x: try xy[0].double(range: 0...1), y: try xy[1].double(range: 0...1))
    }

    private static func parsePolygon(_ node: ConfigNode) throws(ConfigError) -> Polygon {
        if node.isMissing { throw node.error("is required: a list of at least 3 [x, y] points in 0...1") }
        var points: [Point] = []
        for p in try node.items() { points.append(try parsePoint(p)) }
        let polygon = Polygon(points)
        if points.count < 3 { throw node.error("needs at least 3 points, has \(points.count)") }
        if abs(polygon.doubleSignedArea) < 1e-6 { throw node.error("encloses no area") }
        return polygon
    }
}

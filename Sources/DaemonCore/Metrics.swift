import Foundation
import Metrics
import Prometheus
import Storage
import Synchronization
import Tickets

/// Prometheus metrics (swift-metrics, exported by swift-prometheus) at `GET /metrics`.
///
/// Timings are recorded where they happen (decode CPU per frame, analysis per frame, store
/// writes). Counts the workers already keep (frames, drops, errors, reconnects) and the
/// ticket figures are brought up to date when a scrape asks, so the hot paths gain no work.
public enum GridwatchMetrics {
    static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus backend once per process (swift-metrics allows one).
    static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        let fine: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250)]
        factory.durationHistogramBuckets = [
            "gridwatch_decode_cpu_seconds": fine,
            "gridwatch_analysis_seconds": fine,
            "gridwatch_store_write_seconds": fine + [.milliseconds(500), .seconds(1), .seconds(5)],
            "gridwatch_notify_delivery_seconds": [.milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                  .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(15), .seconds(30)],
            "gridwatch_clip_write_seconds": [.milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                             .milliseconds(500), .seconds(1), .seconds(5)],
            "gridwatch_heap_trim_seconds": fine,
        ]
        MetricsSystem.bootstrap(factory)
    }()

    public static func bootstrap() { _ = bootstrapped }

    /// CPU time of the calling thread in nanoseconds (decode cost without network waits).
    static func threadCPUNanos() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}

/// Brings counters and gauges up to date from the cameras and the store, then renders the
/// Prometheus text exposition.
final class MetricsCollector: Sendable {
    private struct CameraCounts {
        var worker: ObjectIdentifier?
        var decoded = 0, skipped = 0, analysed = 0, dropped = 0, errors = 0, reconnects = 0
    }

    private let store: TicketStore
    private let cameras: CameraManager
    private let tickets: TicketService
    private let seen = Mutex<[String: CameraCounts]>([:])
    /// Every camera with series, to remove those of cameras a reload removed.
    private let known = Mutex<Set<String>>([])
    /// (category, state) pairs reported before: set to 0 when they empty, not left stale.
    private let ticketKeys = Mutex<Set<[String]>>([])

    private let notify: NotifyService?
    private let notifyKnown = Mutex<Set<String>>([])

    /// With a shared store: this node's leases.
    private let cluster: ClusterService?
    /// The cluster's counts at the last scrape, for the counters' increments.
    private let clusterSeen = Mutex((takeovers: 0, fenced: 0))

    init(store: TicketStore, cameras: CameraManager, tickets: TicketService, notify: NotifyService? = nil, cluster: ClusterService? = nil) {
        GridwatchMetrics.bootstrap()
        self.cluster = cluster
        self.notify = notify
        self.store = store
        self.cameras = cameras
        self.tickets = tickets
    }

    func render() -> [UInt8] {
        refreshCameras()
        refreshTickets()
        refreshNotify()
        refreshCluster()
        var buffer: [UInt8] = []
        GridwatchMetrics.registry.emit(into: &buffer)
        return Array(Self.withHelp(String(decoding: buffer, as: UTF8.self)).utf8)
    }

    /// What each family means, as `# HELP` (swift-metrics carries no help text, and
    /// swift-prometheus refuses a family registered with two different ones).
    static let help: [String: String] = [
        "gridwatch_camera_state": "1 for the state each camera is in (streaming, connecting, stalled, offline, disabled, ...), 0 for the others.",
        "gridwatch_frames_decoded_total": "Frames decoded from the camera's analysed stream.",
        "gridwatch_frames_skipped_total": "Packets of the camera's analysed stream never decoded because the scene was still (decode-on-demand).",
        "gridwatch_decode_keyframes_only": "1 while the camera decodes keyframes only (its scene is still), 0 while it decodes every frame.",
        "gridwatch_frames_analysed_total": "Frames analysed (the analysis rate samples the decoded frames).",
        "gridwatch_frames_dropped_total": "Frames the analysis had no time for (replaced by a newer one).",
        "gridwatch_decode_errors_total": "Corrupt or undecodable data in the camera's stream.",
        "gridwatch_reconnects_total": "Times the camera's stream was opened again after it failed.",
        "gridwatch_input_fps": "Frames a second decoded from the camera, over the last seconds.",
        "gridwatch_analysed_fps": "Frames a second analysed, over the last seconds.",
        "gridwatch_decode_cpu_seconds": "CPU time of the decode thread per frame (demux, decode, scale), without network waits.",
        "gridwatch_analysis_seconds": "Time to analyse one frame (background, detections, tracker, rules).",
        "gridwatch_store_write_seconds": "Time of one ticket write, failures included.",
        "gridwatch_clips_written_total": "Evidence clips written (MP4, copied from the camera's stream).",
        "gridwatch_clips_shed_total": "Evidence clips dropped because the clip writer was behind (a slow disk).",
        "gridwatch_clips_failed_total": "Evidence clips that could not be written.",
        "gridwatch_clip_write_seconds": "Time spent writing one evidence clip, over all its parts.",
        "gridwatch_heap_trim_seconds": "Time to hand the heap's free pages back to the kernel (every 10 s; allocations on the arena being trimmed wait).",
        "gridwatch_store_pending_alerts": "Alerts the store could not write yet, kept and retried.",
        "gridwatch_store_ok": "1 while ticket writes succeed, 0 while they fail.",
        "gridwatch_tickets_open": "Open tickets by category and state.",
        "gridwatch_tickets_overdue": "Open tickets past a deadline (the supervision list).",
        "gridwatch_notify_delivered_total": "Notifications the destination accepted (2xx, a robot's errcode 0, a program's exit 0).",
        "gridwatch_notify_failures_total": "Failed delivery attempts (tried again on the schedule, or given up as dead letters).",
        "gridwatch_notify_delivery_seconds": "Time of one delivery attempt, failures included.",
        "gridwatch_notify_pending": "Notifications waiting to go to the destination (due now or waiting for a retry).",
        "gridwatch_notify_dead_letters": "Notifications given up after the retry schedule ran out (retry or drop them by hand).",
        "gridwatch_notify_oldest_pending_seconds": "Age of the oldest notification waiting for the destination (0 when none).",
        "gridwatch_notify_last_success_timestamp_seconds": "When the destination last accepted a notification (Unix time; 0 never).",
        "gridwatch_notify_disabled": "1 while the destination is switched off (its receiver answered 410 Gone).",
        "gridwatch_notify_callbacks_total": "Callbacks from platforms (POST /hooks/...), by result: applied, refused.",
        "gridwatch_cluster_leases_held": "Leases this node holds, by kind (camera, job), with a shared store.",
        "gridwatch_cluster_leases_unconfirmed": "Leases past their renewal's deadline kept at work while the database does not answer.",
        "gridwatch_cluster_takeovers_total": "Leases this node was granted that another node held before it (that node's work taken over).",
        "gridwatch_cluster_fenced_writes_total": "Alerts the database refused because their camera's lease had gone to another node.",
        "gridwatch_cluster_database_up": "1 while this node's last lease renewal reached the database, 0 while it did not.",
    ]

    /// The exposition with a `# HELP` line before each family's `# TYPE` line.
    static func withHelp(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 2048)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).split(separator: " ").first.map(String.init) ?? ""
                let base = name.hasSuffix("_total") && help[name] == nil ? String(name.dropLast(6)) : name
                if let text = help[name] ?? help[base] { out += "# HELP \(name) \(text)\n" }
            }
            out += line
            out += "\n"
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    private func refreshCameras() {
        let list = cameras.list()
        // Cameras a reload removed: their series go too, rather than stay frozen.
        let current = Set(list.map(\.config.id))
        let gone = known.withLock { known -> Set<String> in
            defer { known = current }
            return known.subtracting(current)
        }
        seen.withLock { s in for id in gone { s[id] = nil } }
        for id in gone { Self.destroySeries(camera: id) }
        for camera in list {
            let id = camera.config.id
            let dims = [("camera", id)]
            let state = camera.state
            for s in CameraManager.Camera.states {
                Gauge(label: "gridwatch_camera_state", dimensions: dims + [("state", s)]).record(s == state ? 1 : 0)
            }
            guard let worker = camera.worker else { continue }
            let h = worker.health
            let now = CameraCounts(worker: ObjectIdentifier(worker), decoded: h.detect.framesDecoded, skipped: h.detect.packetsSkipped, analysed: h.analysis.framesAnalysed,
                                   dropped: h.framesDropped, errors: h.detect.decodeErrors, reconnects: h.detect.reconnects)
            let before = seen.withLock { s -> CameraCounts in
                defer { s[id] = now }
                // A new worker (restart, reload, re-enable) starts its counts at zero.
                return s[id].flatMap { $0.worker == now.worker ? $0 : nil } ?? CameraCounts()
            }
            func add(_ label: String, _ a: Int, _ b: Int) {
                let delta = max(0, a - b)
                // Incremented by 0 too, so a camera's series exist from its first scrape.
            Counter(label: label, dimensions: dims).increment(by: delta)
            }
            add("gridwatch_frames_decoded_total", now.decoded, before.decoded)
            add("gridwatch_frames_skipped_total", now.skipped, before.skipped)
            Gauge(label: "gridwatch_decode_keyframes_only", dimensions: dims).record(h.detect.decodeMode == .keyframes && h.detect.state == .streaming ? 1 : 0)
            add("gridwatch_frames_analysed_total", now.analysed, before.analysed)
            add("gridwatch_frames_dropped_total", now.dropped, before.dropped)
            add("gridwatch_decode_errors_total", now.errors, before.errors)
            add("gridwatch_reconnects_total", now.reconnects, before.reconnects)
            Gauge(label: "gridwatch_input_fps", dimensions: dims).record(h.inputFPS)
            Gauge(label: "gridwatch_analysed_fps", dimensions: dims).record(h.analysedFPS)
        }
    }

    static let counterNames = ["gridwatch_frames_decoded_total", "gridwatch_frames_skipped_total", "gridwatch_frames_analysed_total", "gridwatch_frames_dropped_total",
                               "gridwatch_decode_errors_total", "gridwatch_reconnects_total"]

    static func destroySeries(camera id: String) {
        let dims = [("camera", id)]
        for name in counterNames { Counter(label: name, dimensions: dims).destroy() }
        for s in CameraManager.Camera.states { Gauge(label: "gridwatch_camera_state", dimensions: dims + [("state", s)]).destroy() }
        Gauge(label: "gridwatch_input_fps", dimensions: dims).destroy()
        Gauge(label: "gridwatch_decode_keyframes_only", dimensions: dims).destroy()
        Gauge(label: "gridwatch_analysed_fps", dimensions: dims).destroy()
        Metrics.Timer(label: "gridwatch_decode_cpu_seconds", dimensions: dims).destroy()
        Metrics.Timer(label: "gridwatch_analysis_seconds", dimensions: dims).destroy()
    }

    static let notifyGauges = ["gridwatch_notify_pending", "gridwatch_notify_dead_letters", "gridwatch_notify_oldest_pending_seconds",
                               "gridwatch_notify_last_success_timestamp_seconds", "gridwatch_notify_disabled"]

    private func refreshNotify() {
        guard let notify else { return }
        let now = Date()
        let list = notify.destinations
        guard let stats = try? store.destinationStatus(list.map(\.id), at: now) else { return }
        let current = Set(list.map(\.id))
        let gone = notifyKnown.withLock { known -> Set<String> in
            defer { known = current }
            return known.subtracting(current)
        }
        for id in gone {
            for name in Self.notifyGauges { Gauge(label: name, dimensions: [("destination", id)]).destroy() }
            for name in ["gridwatch_notify_delivered_total", "gridwatch_notify_failures_total"] { Counter(label: name, dimensions: [("destination", id)]).destroy() }
        }
        for s in stats {
            let dims = [("destination", s.id)]
            Gauge(label: "gridwatch_notify_pending", dimensions: dims).record(s.pending)
            Gauge(label: "gridwatch_notify_dead_letters", dimensions: dims).record(s.dead)
            Gauge(label: "gridwatch_notify_oldest_pending_seconds", dimensions: dims).record(s.oldestPendingAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
            Gauge(label: "gridwatch_notify_last_success_timestamp_seconds", dimensions: dims).record(s.lastSuccessAt?.timeIntervalSince1970 ?? 0)
            Gauge(label: "gridwatch_notify_disabled", dimensions: dims).record(s.disabledAt == nil ? 0 : 1)
            // Series from the first scrape, before anything was sent.
            Counter(label: "gridwatch_notify_delivered_total", dimensions: dims).increment(by: 0)
            Counter(label: "gridwatch_notify_failures_total", dimensions: dims).increment(by: 0)
        }
    }

    private func refreshCluster() {
        guard let cluster else { return }
        let held = cluster.cameraNode.held.count
        Gauge(label: "gridwatch_cluster_leases_held", dimensions: [("kind", "camera")]).record(held)
        Gauge(label: "gridwatch_cluster_leases_held", dimensions: [("kind", "job")]).record(cluster.jobNode.held.count)
        Gauge(label: "gridwatch_cluster_leases_unconfirmed").record(cluster.cameraNode.unconfirmedCount)
        Gauge(label: "gridwatch_cluster_database_up").record(cluster.cameraNode.databaseAway ? 0 : 1)
        let now = (takeovers: cluster.cameraNode.takeovers + cluster.jobNode.takeovers, fenced: tickets.fenced.load(ordering: .relaxed))
        let before = clusterSeen.withLock { seen in
            defer { seen = now }
            return seen
        }
        Counter(label: "gridwatch_cluster_takeovers_total").increment(by: max(0, now.takeovers - before.takeovers))
        Counter(label: "gridwatch_cluster_fenced_writes_total").increment(by: max(0, now.fenced - before.fenced))
    }

    private func refreshTickets() {
        let health = tickets.health
        Gauge(label: "gridwatch_store_pending_alerts").record(health.pending)
        Gauge(label: "gridwatch_store_ok").record(health.ok ? 1 : 0)
        guard let counts = try? store.openTicketCounts(), let overdue = try? store.ticketCount(matching: .supervision(visibleCategories: nil)) else { return }
        Gauge(label: "gridwatch_tickets_overdue").record(overdue)
        let keys = Set(counts.keys.map { [$0.category, $0.state] })
        let stale = ticketKeys.withLock { known -> Set<[String]> in
            defer { known.formUnion(keys) }
            return known.subtracting(keys)
        }
        for (key, n) in counts {
            Gauge(label: "gridwatch_tickets_open", dimensions: [("category", key.category), ("state", key.state)]).record(n)
        }
        for key in stale {
            Gauge(label: "gridwatch_tickets_open", dimensions: [("category", key[0]), ("state", key[1])]).record(0)
        }
    }
}

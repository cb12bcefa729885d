import Catalog
import CHeap
import Cluster
import ControlProtocol
import Foundation
import Synchronization
import Logging
import MediaIO
import Metrics
import ServiceLifecycle
import Storage
import Tickets

/// How a camera's new configuration differs from the running one.
enum CameraChange: Equatable {
    case unchanged
    /// Name, grid, zones, tripwires or masks: applied to the running camera.
    case rules
    /// Anything about the stream or the analysis settings: the camera reconnects.
    case restart

    static func between(_ old: CameraConfig, _ new: CameraConfig) -> CameraChange {
        if old == new { return .unchanged }
        var withNewRules = old
        withNewRules.rules = new.rules
        return withNewRules == new ? .rules : .restart
    }
}

/// Runs one `CameraWorker` per enabled camera; cameras can be switched off and on and the
/// set replaced (a reload) while it runs. Stopping never waits longer than `stopTimeout`
/// for a camera that hangs, and never blocks the caller: a stopped worker is joined on a
/// thread of its own.
public final class CameraManager: Service, Sendable {
    /// Seconds between handing freed heap pages back to the kernel (`gw_heap_trim`).
    static let trimEvery = 10
    static let trimTime = Metrics.Timer(label: "gridwatch_heap_trim_seconds")
    /// How many malloc arenas the daemon may use with `cameras` cameras: one a camera, at
    /// least two, at most glibc's default of eight a core (the cores glibc counts: online,
    /// whatever a CPU quota says). glibc gives each new thread an arena of its own while it
    /// may; with one camera that was a dozen arenas for a dozen mostly idle threads, each
    /// holding freed pages (about 1 MB in all). A camera's two busy threads (stream and
    /// analysis) share one arena's lock at worst (most small allocations are served by each
    /// thread's cache without it), and beyond a few cameras the limit is glibc's own.
    static func arenas(cameras: Int, cores: Int = sysconf(Int32(_SC_NPROCESSORS_ONLN))) -> Int {
        min(8 * max(1, cores), max(2, cameras))
    }

    /// Applies `arenas(cameras:)` once, at start, before the cameras' threads allocate. glibc
    /// fixes its limit the first time a thread needs a new arena after this, so a reload
    /// that adds cameras does not raise it: they share the arenas there are until the next
    /// restart (`Docs/guide/admin.md`).
    static func limitArenas(cameras: Int) {
        gw_heap_limit_arenas(Int32(arenas(cameras: cameras)))
    }

    /// One configured camera: its settings, its worker while it runs, and the switch-off
    /// record while an administrator has it off.
    struct Camera: Sendable {
        var config: CameraConfig
        var worker: CameraWorker?
        var disabled: CameraSwitchRecord?

        /// With a shared store: the lease this node holds on it; nil while another node
        /// (or none yet) has it. Unused on a single box.
        var lease: Lease?
        var leased = false

        /// Every state a camera can be in, as the API and metrics name them.
        static let states = StreamState.allCases.map(\.rawValue) + ["disabled", "elsewhere"]

        /// `disabled` while switched off, `elsewhere` while another node analyses it, else
        /// its worker's stream state.
        var state: String {
            if disabled != nil { return "disabled" }
            if leased && lease == nil { return "elsewhere" }
            return worker?.health.state.rawValue ?? StreamState.connecting.rawValue
        }

        /// Whether this node runs it: switched on, and (with a shared store) leased here.
        var runsHere: Bool { disabled == nil && (!leased || lease != nil) }
    }

    private struct State {
        var cameras: [Camera]
        /// Cameras run only under a lease (`grant`, `revoke`): several daemons share them.
        var leased = false
        /// Workers are created only once `run` has started (and never after it stopped).
        var running = false
        var stopped = false
    }

    private let state: Mutex<State>
    /// Monotonic milliseconds of the health loop's last turn (0 before it starts).
    private let healthBeat = Atomic<Int64>(0)
    /// Called once every enabled camera has been started.
    let onStarted = Mutex<(@Sendable () -> Void)?>(nil)
    /// With a shared store: the lease each alert is raised under (`Alert.lease`).
    let stamper = Stamper()

    /// The lease-stamping function, set once the node's leases run.
    final class Stamper: Sendable {
        let stamp = Mutex<(@Sendable (String) -> LeaseStamp)?>(nil)
        func callAsFunction() -> (@Sendable (String) -> LeaseStamp)? { stamp.withLock { $0 } }
    }
    private let commands: AsyncStream<TicketCommand>.Continuation
    private let logger: Logger
    let stopTimeout: Double
    let events: EventHub
    /// Whether a repeat alert's picture is worth encoding (the store's knowledge of open tickets).
    let ledger: EvidenceLedger
    /// Writes every camera's evidence clips, off the cameras' threads.
    let clips: ClipQueue

    init(config: GridwatchConfig, disabled: [String: CameraSwitchRecord] = [:], commands: AsyncStream<TicketCommand>.Continuation,
         events: EventHub, logger: Logger, stopTimeout: Double = 1, ledger: EvidenceLedger = EvidenceLedger(),
         clipTicket: @escaping @Sendable (String) -> Int64? = { _ in nil }) {
        self.commands = commands
        self.ledger = ledger
        self.events = events
        self.logger = logger
        self.stopTimeout = stopTimeout
        let yield: @Sendable (TicketCommand) -> Void = { commands.yield($0) }
        clips = ClipQueue(directory: URL(fileURLWithPath: config.daemon.dataDirectory), logger: logger, ticketOf: clipTicket, onCommand: yield)
        state = Mutex(State(cameras: config.cameras.map { Camera(config: $0, worker: nil, disabled: disabled[$0.id]) }))
    }

    /// Every configured camera, in configuration order.
    func list() -> [Camera] { state.withLock { $0.cameras } }

    func camera(_ id: String) -> Camera? { state.withLock { s in s.cameras.first { $0.config.id == id } } }

    /// The workers running now.
    var workers: [CameraWorker] { state.withLock { $0.cameras.compactMap(\.worker) } }

    private func makeWorker(_ config: CameraConfig) -> CameraWorker {
        let commands = self.commands
        let stamper = self.stamper
        return CameraWorker(config: config, logger: logger, ledger: ledger, clips: clips, onCommand: { command in
            guard case var .alert(alert) = command, let stamp = stamper() else {
                commands.yield(command)
                return
            }
            alert.lease = stamp(alert.cameraID)
            commands.yield(.alert(alert))
        })
    }

    // MARK: Leases (several daemons, one store)

    /// From now on a camera runs here only while this node holds its lease.
    func runUnderLeases() {
        state.withLock { s in
            s.leased = true
            for i in s.cameras.indices { s.cameras[i].leased = true }
        }
    }

    /// This node now holds `lease`: its camera starts (unless switched off or unknown).
    func grant(_ lease: Lease) {
        let worker = state.withLock { s -> CameraWorker? in
            guard !s.stopped, let i = s.cameras.firstIndex(where: { $0.config.id == lease.id }) else { return nil }
            s.cameras[i].lease = lease
            guard s.running, s.cameras[i].runsHere, s.cameras[i].worker == nil else { return nil }
            s.cameras[i].worker = makeWorker(s.cameras[i].config)
            return s.cameras[i].worker
        }
        worker?.start()
    }

    /// This node no longer holds `lease`: its camera stops; returns once its threads have
    /// (so another node never starts it while it still runs here).
    func revoke(_ lease: Lease) async {
        let worker = state.withLock { s -> CameraWorker? in
            guard let i = s.cameras.firstIndex(where: { $0.config.id == lease.id }) else { return nil }
            s.cameras[i].lease = nil
            defer { s.cameras[i].worker = nil }
            return s.cameras[i].worker
        }
        guard let worker else { return }
        worker.stop()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.join(worker)
                done.resume()
            }
        }
    }

    public func run() async throws {
        clips.start()
        let started = state.withLock { s -> [CameraWorker] in
            s.running = true
            for i in s.cameras.indices where s.cameras[i].runsHere {
                s.cameras[i].worker = makeWorker(s.cameras[i].config)
            }
            return s.cameras.compactMap(\.worker)
        }
        for worker in started { worker.start() }
        onStarted.withLock { $0 }?()
        let off = list().filter { $0.disabled != nil }.map(\.config.id)
        logger.info("cameras started", metadata: ["cameras": "\(started.count)", "disabled": "\(off)"])
        // The health check runs on a plain thread that sleeps on a condition: a wake-up a
        // second there costs a few microseconds, where a timer on the concurrency pool cost
        // ~0.15 ms of CPU a second (a dispatch timer thread waking a pool thread).
        let stop = HealthThreadStop()
        let thread = Thread { [self] in
            var health = HealthCheck()
            var beats = 0
            while !stop.wait(seconds: 1) {
                healthBeat.store(Int64(MonotonicClock.seconds() * 1000), ordering: .releasing)
                checkHealth(&health, now: Date())
                beats += 1
                // Cameras free what they allocate on threads of their own (packets, clip
                // parts, pictures); glibc keeps the freed pages in each thread's arena until
                // asked. Handing them back every few seconds keeps the daemon's memory near
                // what it uses (Docs/performance.md, "Memory: clips written as they come").
                if beats % Self.trimEvery == 0 {
                    let started = MonotonicClock.nanos()
                    gw_heap_trim()
                    Self.trimTime.recordNanoseconds(Int64(MonotonicClock.nanos() - started))
                }
            }
        }
        thread.name = "health"
        thread.start()
        // Returns on graceful shutdown, throws on cancellation: either way, stop.
        try? await gracefulShutdown()
        stop.signal()
        await stopAll()
        // The clips the cameras ended at the stop are written before the stream ends, so
        // the ticket service attaches them.
        let clips = self.clips
        let written = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async { done.resume(returning: clips.finish(timeout: 10)) }
        }
        if !written { logger.warning("clips still being written at stop; left unfinished") }
        // Every alert the cameras raised is now in the stream; the ticket service drains it.
        commands.finish()
    }

    /// Whether the health loop turned within the last `seconds` (true before it starts).
    func healthLoopAlive(within seconds: Double) -> Bool {
        let beat = healthBeat.load(ordering: .acquiring)
        return beat == 0 || MonotonicClock.seconds() * 1000 - Double(beat) <= seconds * 1000
    }

    // MARK: Switching cameras off and on

    enum SwitchError: Error, Equatable {
        case unknownCamera(String)
        case stopping
    }

    /// Switch a camera off: its worker stops, no offline ticket is raised for it, and it stays
    /// off (the caller has stored `record`) until switched on. False if it already was off.
    func disable(_ id: String, record: CameraSwitchRecord) throws(SwitchError) -> Bool {
        let retired = try state.withLock { s throws(SwitchError) -> CameraWorker?? in
            guard !s.stopped else { throw .stopping }
            guard let i = s.cameras.firstIndex(where: { $0.config.id == id }) else { throw .unknownCamera(id) }
            if s.cameras[i].disabled != nil { return .none }
            s.cameras[i].disabled = record
            defer { s.cameras[i].worker = nil }
            return .some(s.cameras[i].worker)
        }
        guard let worker = retired else { return false }
        logger.notice("camera disabled", metadata: ["camera.id": "\(id)", "actor": "\(record.disabledBy)", "reason": "\(record.reason ?? "-")"])
        if let worker { retire(worker) }
        return true
    }

    /// Switch a camera back on: a new worker connects. False if it was on.
    func enable(_ id: String, actor: String) throws(SwitchError) -> Bool {
        let started = try state.withLock { s throws(SwitchError) -> CameraWorker?? in
            guard !s.stopped else { throw .stopping }
            guard let i = s.cameras.firstIndex(where: { $0.config.id == id }) else { throw .unknownCamera(id) }
            guard s.cameras[i].disabled != nil else { return .none }
            s.cameras[i].disabled = nil
            if s.running && s.cameras[i].runsHere { s.cameras[i].worker = makeWorker(s.cameras[i].config) }
            return .some(s.cameras[i].worker)
        }
        guard let worker = started else { return false }
        logger.notice("camera enabled", metadata: ["camera.id": "\(id)", "actor": "\(actor)"])
        worker?.start()
        return true
    }

    // MARK: Reload

    /// What replacing the cameras with `configs` would do, camera by camera.
    func plan(_ configs: [CameraConfig]) -> ConfigChanges {
        let current = Dictionary(uniqueKeysWithValues: list().map { ($0.config.id, $0.config) })
        var changes = ConfigChanges()
        let newIDs = Set(configs.map(\.id))
        changes.removed = current.keys.filter { !newIDs.contains($0) }.sorted()
        for config in configs {
            guard let old = current[config.id] else {
                changes.added.append(config.id)
                continue
            }
            switch CameraChange.between(old, config) {
            case .unchanged: changes.unchanged.append(config.id)
            case .rules: changes.rulesChanged.append(config.id)
            case .restart: changes.restarted.append(config.id)
            }
        }
        return changes
    }

    /// Replace the cameras: new ones start, removed ones stop, changed streams reconnect, and
    /// cameras whose rules alone changed take them up without reconnecting. Cameras switched
    /// off stay off. Untouched cameras are not interrupted.
    func apply(_ configs: [CameraConfig], disabled: [String: CameraSwitchRecord]) {
        var toStart: [CameraWorker] = []
        var toStop: [CameraWorker] = []
        state.withLock { s in
            guard !s.stopped else { return }
            let old = Dictionary(uniqueKeysWithValues: s.cameras.map { ($0.config.id, $0) })
            var next: [Camera] = []
            for config in configs {
                var camera = old[config.id] ?? Camera(config: config, worker: nil, disabled: disabled[config.id], leased: s.leased)
                let change = old[config.id].map { CameraChange.between($0.config, config) }
                camera.config = config
                switch change {
                case .unchanged?:
                    break
                case .rules?:
                    camera.worker?.updateRules(config)
                case .restart?, nil:
                    if let worker = camera.worker { toStop.append(worker) }
                    camera.worker = nil
                    if s.running && camera.runsHere {
                        camera.worker = makeWorker(config)
                        toStart.append(camera.worker!)
                    }
                }
                next.append(camera)
            }
            let kept = Set(configs.map(\.id))
            toStop += old.values.filter { !kept.contains($0.config.id) }.compactMap(\.worker)
            s.cameras = next
        }
        for worker in toStop { retire(worker) }
        for worker in toStart { worker.start() }
    }

    /// Stop a worker and join it on a thread of its own, logging one that hangs.
    private func retire(_ worker: CameraWorker) {
        worker.stop()
        let thread = Thread { [self] in join(worker) }
        thread.name = "retire"
        thread.start()
    }

    /// Waits (blocking) for a stopped worker's threads, at most the stop timeout (5 s at
    /// least), logging one that hangs.
    private func join(_ worker: CameraWorker) {
        if !worker.join(timeout: max(5, stopTimeout)) {
            logger.warning("camera did not stop in time; leaving it", metadata: ["camera.id": "\(worker.config.id)"])
        }
    }

    // MARK: Health

    /// The health thread's memory between checks, by camera id.
    private struct HealthCheck {
        var trackers: [String: (worker: ObjectIdentifier, tracker: CameraOfflineTracker)] = [:]
        var states: [String: String] = [:]
    }

    /// Feed each running camera's state to its offline tracker and act on what it decides;
    /// publish state changes for live screens (seen at this check's pace).
    private func checkHealth(_ check: inout HealthCheck, now: Date) {
        let cameras = list()
        for camera in cameras {
            let id = camera.config.id
            let state = camera.state
            if state != check.states[id] {
                events.publishCamera(id, state: state, previous: check.states[id], at: now)
                check.states[id] = state
            }
            guard let worker = camera.worker else {
                // Switched off: no offline tickets for it.
                check.trackers[id] = nil
                continue
            }
            var entry = check.trackers[id]
            if entry?.worker != ObjectIdentifier(worker) {
                let after = worker.config.offlineAfter
                entry = (ObjectIdentifier(worker), CameraOfflineTracker(offlineAfter: after, stableAfter: min(10, after / 2)))
            }
            if worker.detect.snapshot.state == .streaming {
                entry!.tracker.streaming(at: now)
            } else {
                entry!.tracker.down(at: now)
            }
            switch entry!.tracker.tick(at: now) {
            case .raiseOffline(let since)?:
                worker.setOffline(since)
                // A camera that refuses our credentials is not "offline": say what is wrong.
                let detect = worker.detect.snapshot
                let authFailed = detect.state == .authFailed
                logger.error(authFailed ? "camera refuses its credentials" : "camera offline", metadata: ["camera.id": "\(id)", "since": "\(since)"])
                let title = authFailed ? TicketTitle.cameraAuthFailed(cameraName: camera.config.name) : TicketTitle.cameraOffline(cameraName: camera.config.name)
                commands.yield(.cameraOffline(
                    cameraID: id, gridID: camera.config.grid, title: title.text(.bilingual), since: since,
                    reason: detect.lastError?.text(.bilingual), titleText: title, fault: detect.lastError))
            case .recovered(let downFor)?:
                worker.setOffline(nil)
                commands.yield(.cameraRecovered(cameraID: id, downFor: downFor))
            case nil:
                break
            }
            check.trackers[id] = entry
        }
        let known = Set(cameras.map(\.config.id))
        check.trackers = check.trackers.filter { known.contains($0.key) }
        check.states = check.states.filter { known.contains($0.key) }
    }

    private func stopAll() async {
        let workers = state.withLock { s -> [CameraWorker] in
            s.stopped = true
            // Gone from the list: a lease let go after this (a node's shutdown) finds none to stop.
            defer { for i in s.cameras.indices { s.cameras[i].worker = nil } }
            return s.cameras.compactMap(\.worker)
        }
        for worker in workers { worker.stop() }
        let deadline = stopTimeout
        let logger = self.logger
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                let start = Date()
                for worker in workers {
                    let left = max(0, deadline - Date().timeIntervalSince(start))
                    if !worker.join(timeout: left) {
                        logger.warning("camera did not stop in time; leaving it", metadata: ["camera.id": "\(worker.config.id)"])
                    }
                }
                done.resume()
            }
        }
        logger.info("cameras stopped")
    }
}

/// Wakes the health thread early when the daemon stops.
final class HealthThreadStop: Sendable {
    private let condition = NSCondition()
    private let stopped = Mutex(false)

    /// Wait up to `seconds`; true once stopped.
    func wait(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopped.withLock({ $0 }) { return true }
        _ = condition.wait(until: Date().addingTimeInterval(seconds))
        return stopped.withLock { $0 }
    }

    func signal() {
        condition.lock()
        stopped.withLock { $0 = true }
        condition.broadcast()
        condition.unlock()
    }
}

import Foundation
import Synchronization
import Logging
import ServiceLifecycle
import Tickets

/// Starts one `CameraWorker` per configured camera and stops them on shutdown,
/// never waiting longer than `stopTimeout` for a camera that hangs.
public final class CameraManager: Service, Sendable {
    let workers: [CameraWorker]
    private let commands: AsyncStream<TicketCommand>.Continuation
    private let logger: Logger
    let stopTimeout: Double
    let events: EventHub

    init(config: GridwatchConfig, commands: AsyncStream<TicketCommand>.Continuation, events: EventHub, logger: Logger, stopTimeout: Double = 1) {
        self.commands = commands
        self.events = events
        self.logger = logger
        self.stopTimeout = stopTimeout
        workers = config.cameras.map { camera in
            CameraWorker(
                config: camera,
                logger: logger,
                onAlert: { alert in commands.yield(.alert(alert)) })
        }
    }

    public func run() async throws {
        for worker in workers { worker.start() }
        logger.info("cameras started", metadata: ["cameras": "\(workers.count)"])
        // The health check runs on a plain thread that sleeps on a condition: a wake-up a
        // second there costs a few microseconds, where a timer on the concurrency pool cost
        // ~0.15 ms of CPU a second (a dispatch timer thread waking a pool thread).
        let stop = HealthThreadStop()
        let thread = Thread { [self] in
            var trackers = workers.map { CameraOfflineTracker(offlineAfter: $0.config.offlineAfter, stableAfter: min(10, $0.config.offlineAfter / 2)) }
            var states: [String?] = workers.map { _ in nil }
            while !stop.wait(seconds: 1) {
                let now = Date()
                checkHealth(&trackers, now: now)
                // Camera state changes for live screens (seen at this check's pace).
                for (i, worker) in workers.enumerated() {
                    let state = worker.health.state.rawValue
                    if state != states[i] {
                        events.publishCamera(worker.config.id, state: state, previous: states[i], at: now)
                        states[i] = state
                    }
                }
            }
        }
        thread.name = "health"
        thread.start()
        // Returns on graceful shutdown, throws on cancellation: either way, stop.
        try? await gracefulShutdown()
        stop.signal()
        await stopAll()
        // Every alert the cameras raised is now in the stream; the ticket service drains it.
        commands.finish()
    }

    /// Feed each camera's state to its offline tracker and act on what it decides.
    private func checkHealth(_ trackers: inout [CameraOfflineTracker], now: Date) {
        for (i, worker) in workers.enumerated() {
            let state = worker.detect.snapshot.state
            if state == .streaming {
                trackers[i].streaming(at: now)
            } else {
                trackers[i].down(at: now)
            }
            switch trackers[i].tick(at: now) {
            case .raiseOffline(let since)?:
                worker.setOffline(since)
                logger.error("camera offline", metadata: ["camera.id": "\(worker.config.id)", "since": "\(since)"])
                commands.yield(.cameraOffline(
                    cameraID: worker.config.id, gridID: worker.config.grid,
                    title: TicketTitle.cameraOffline(cameraName: worker.config.name), since: since))
            case .recovered(let downFor)?:
                worker.setOffline(nil)
                commands.yield(.cameraRecovered(cameraID: worker.config.id, downFor: downFor))
            case nil:
                break
            }
        }
    }

    private func stopAll() async {
        for worker in workers { worker.stop() }
        let deadline = stopTimeout
        let logger = self.logger
        let workers = self.workers
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

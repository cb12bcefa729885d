import Foundation
import Logging
import ServiceLifecycle
import Tickets

/// Starts one `CameraWorker` per configured camera and stops them on shutdown,
/// never waiting longer than `stopTimeout` for a camera that hangs.
public final class CameraManager: Service, Sendable {
    let workers: [CameraWorker]
    private let alerts: AsyncStream<Alert>.Continuation
    private let logger: Logger
    let stopTimeout: Double

    init(config: GridwatchConfig, alerts: AsyncStream<Alert>.Continuation, logger: Logger, stopTimeout: Double = 1) {
        self.alerts = alerts
        self.logger = logger
        self.stopTimeout = stopTimeout
        workers = config.cameras.map { camera in
            CameraWorker(
                config: camera,
                gridForZone: { zone in zone.grid ?? camera.grid },
                logger: logger,
                onAlert: { alert in alerts.yield(alert) })
        }
    }

    public func run() async throws {
        for worker in workers { worker.start() }
        logger.info("cameras started", metadata: ["cameras": "\(workers.count)"])
        try? await gracefulShutdown()
        await stopAll()
        // Every alert the cameras raised is now in the stream; the ticket service drains it.
        alerts.finish()
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

import Analysis
import Foundation
import Logging
import MediaIO
import Synchronization
import Tickets

/// What a camera is doing, as health reports show it.
public enum CameraState: String, Sendable {
    case connecting, streaming, backoff, stopped
}

/// A camera's live counters. Written by its thread, read by the control API.
struct CameraRuntime: Sendable {
    var state: CameraState = .connecting
    var info: StreamInfo?
    var framesDecoded = 0
    var framesAnalysed = 0
    var reconnects = 0
    var lastFrameAt: Date?
    var lastError: String?
}

/// Reconnect delays: doubling from `initial` up to `maximum`. Pure; time is passed in.
struct Backoff: Sendable, Equatable {
    var initial: Double = 1
    var maximum: Double = 60
    private(set) var current: Double = 0

    /// The delay before the next attempt.
    mutating func next() -> Double {
        current = current == 0 ? initial : min(maximum, current * 2)
        return current
    }

    mutating func reset() { current = 0 }
}

/// One camera: its own thread runs demux, decode, sampling, scaling and analysis,
/// and hands alerts to `onAlert`. FFmpeg calls block, so this never runs on
/// Swift's cooperative pool.
final class CameraWorker: Sendable {
    let config: CameraConfig
    private let gridForZone: @Sendable (ZoneConfig) -> String
    private let onAlert: @Sendable (Alert) -> Void
    private let logger: Logger
    private let runtime = Mutex(CameraRuntime())
    private let interrupt = InterruptState()
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(config: CameraConfig, gridForZone: @escaping @Sendable (ZoneConfig) -> String, logger: Logger, onAlert: @escaping @Sendable (Alert) -> Void) {
        self.config = config
        self.gridForZone = gridForZone
        self.onAlert = onAlert
        var logger = logger
        logger[metadataKey: "camera.id"] = "\(config.id)"
        self.logger = logger
    }

    var snapshot: CameraRuntime { runtime.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.finished.signal()
        }
        thread.name = "camera-\(config.id)"
        thread.start()
    }

    /// Ask the thread to stop: interrupts any blocking FFmpeg call and any backoff wait.
    func stop() {
        interrupt.stop()
        wake.signal()
    }

    /// Wait up to `timeout` seconds for the thread to finish; false if it did not.
    func join(timeout: Double) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }

    private func update(_ body: (inout CameraRuntime) -> Void) {
        runtime.withLock { body(&$0) }
    }

    private func loop() {
        var backoff = Backoff()
        var attempt = 0
        while !interrupt.isStopped {
            update { $0.state = .connecting }
            if attempt > 0 { update { $0.reconnects += 1 } }
            attempt += 1
            do {
                let healthy = try runSession()
                if healthy { backoff.reset() }
                if interrupt.isStopped { break }
                logger.warning("stream ended", metadata: ["camera.source": "\(config.redactedSource)"])
                update { $0.lastError = "stream ended" }
            } catch {
                if interrupt.isStopped { break }
                let message = Redaction.redact("\(error)")
                logger.error("stream failed", metadata: ["camera.source": "\(config.redactedSource)", "error": "\(message)"])
                update { $0.lastError = message }
            }
            let delay = backoff.next()
            update { $0.state = .backoff }
            logger.info("reconnecting", metadata: ["delay.s": "\(delay)"])
            _ = wake.wait(timeout: .now() + delay)
        }
        update { $0.state = .stopped }
    }

    /// One connection, from open to end or error. Returns whether it delivered frames.
    private func runSession() throws -> Bool {
        var options = VideoReader.Options()
        options.input.transport = config.transport
        options.input.openTimeout = config.openTimeout
        options.decoderThreads = config.decoderThreads
        options.stallTimeout = config.stallTimeout
        options.loop = config.loop
        options.realtime = config.isFile && config.realtime
        let reader = try VideoReader(url: config.source, options: options, interrupt: interrupt)
        let scaler = try GrayScaler(width: config.analysis.width)
        let encoder = try JPEGEncoder()
        var sampler = FrameSampler(fps: config.analysis.fps)
        var analyzer = CameraAnalyzer(
            motion: config.analysis.motion,
            zones: config.zones.map { ZoneSpec(id: $0.id, polygon: $0.polygon, enterFrames: $0.enterFrames, exitFrames: $0.exitFrames) })
        let info = reader.info
        update {
            $0.state = .streaming
            $0.info = info
            $0.lastError = nil
        }
        logger.info("streaming", metadata: ["codec": "\(info.codec)", "size": "\(info.width)x\(info.height)"])
        var analysedSize: (Int, Int)?
        var delivered = false
        while let frame = try reader.nextFrame() {
            delivered = true
            let now = Date()
            update {
                $0.framesDecoded += 1
                $0.lastFrameAt = now
                if $0.info?.width != frame.width || $0.info?.height != frame.height {
                    $0.info?.width = frame.width
                    $0.info?.height = frame.height
                }
            }
            guard sampler.take(frame.time) else { continue }
            let gray = try scaler.gray(frame)
            if let size = analysedSize, size != (gray.width, gray.height) {
                // The camera changed resolution: learn the scene again.
                logger.notice("resolution changed", metadata: ["size": "\(frame.width)x\(frame.height)"])
                analyzer.reset()
            }
            analysedSize = (gray.width, gray.height)
            let result = analyzer.process(LumaFrame(width: gray.width, height: gray.height, pixels: gray.pixels), time: frame.time)
            update { $0.framesAnalysed += 1 }
            for event in result.events where event.kind == .zoneEnter {
                raise(event, frame: frame, encoder: encoder, at: now)
            }
        }
        return delivered
    }

    private func raise(_ event: AnalysisEvent, frame: VideoFrame, encoder: JPEGEncoder, at now: Date) {
        guard let zone = config.zones.first(where: { $0.id == event.zoneID }) else { return }
        var jpeg: [UInt8]?
        do {
            jpeg = try encoder.encode(frame)
        } catch {
            logger.error("snapshot failed", metadata: ["error": "\(error)"])
        }
        logger.info("zone entered", metadata: ["zone.id": "\(zone.id)", "stream.time": "\(String(format: "%.2f", event.time))"])
        onAlert(Alert(
            cameraID: config.id, zoneID: zone.id, gridID: gridForZone(zone),
            category: zone.category, severity: zone.severity,
            title: TicketTitle.zoneEntry(zoneName: zone.name, cameraName: config.name),
            occurredAt: now, snapshotJPEG: jpeg))
    }
}

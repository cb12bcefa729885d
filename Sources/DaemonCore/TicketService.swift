import Foundation
import Logging
import ServiceLifecycle
import Storage
import Tickets

/// Turns alerts into tickets in the store, one at a time, in the order raised.
/// It runs until the alert stream ends, so shutdown writes every pending alert.
public final class TicketService: Service, Sendable {
    private let store: TicketStore
    private let commands: AsyncStream<TicketCommand>
    private let logger: Logger

    init(store: TicketStore, commands: AsyncStream<TicketCommand>, logger: Logger) {
        self.store = store
        self.commands = commands
        self.logger = logger
    }

    public func run() async {
        for await command in commands {
            handle(command)
        }
    }

    func handle(_ command: TicketCommand) {
        let now = Date()
        switch command {
        case .alert(let alert):
            do {
                let ticket = try store.openTicket(alert, at: now)
                logger.notice("ticket raised", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "camera.id": "\(alert.cameraID)",
                    "zone.id": "\(alert.zoneID ?? "-")", "category": "\(alert.category.rawValue)",
                ])
            } catch {
                logger.error("ticket not written", metadata: ["camera.id": "\(alert.cameraID)", "error": "\(error)"])
            }
        case let .cameraOffline(cameraID, gridID, title, since):
            do {
                let (ticket, created) = try store.reportCameraOffline(cameraID: cameraID, gridID: gridID, title: title, since: since, at: now)
                logger.notice(created ? "ticket raised" : "camera offline again", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "camera.id": "\(cameraID)", "category": "camera_offline",
                ])
            } catch {
                logger.error("offline ticket not written", metadata: ["camera.id": "\(cameraID)", "error": "\(error)"])
            }
        case let .cameraRecovered(cameraID, downFor):
            do {
                let ticket = try store.reportCameraRecovered(cameraID: cameraID, downFor: downFor, at: now)
                logger.notice("camera recovered", metadata: [
                    "camera.id": "\(cameraID)", "down.s": "\(Int(downFor))", "ticket.id": "\(ticket?.id ?? 0)",
                ])
            } catch {
                logger.error("recovery not written", metadata: ["camera.id": "\(cameraID)", "error": "\(error)"])
            }
        }
    }
}

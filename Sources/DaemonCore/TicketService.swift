import Foundation
import Logging
import ServiceLifecycle
import Storage
import Tickets

/// Turns alerts into tickets in the store, one at a time, in the order raised.
/// It runs until the alert stream ends, so shutdown writes every pending alert.
public final class TicketService: Service, Sendable {
    private let store: TicketStore
    private let alerts: AsyncStream<Alert>
    private let logger: Logger

    init(store: TicketStore, alerts: AsyncStream<Alert>, logger: Logger) {
        self.store = store
        self.alerts = alerts
        self.logger = logger
    }

    public func run() async {
        for await alert in alerts {
            do {
                let ticket = try store.openTicket(alert, at: Date())
                logger.notice("ticket raised", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "camera.id": "\(alert.cameraID)",
                    "zone.id": "\(alert.zoneID ?? "-")", "category": "\(alert.category.rawValue)",
                ])
            } catch {
                logger.error("ticket not written", metadata: ["camera.id": "\(alert.cameraID)", "error": "\(error)"])
            }
        }
    }
}

import Catalog
import Analysis
import ControlProtocol
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Storage
import Synchronization
import Tickets

/// Routes of the daemon: health, metrics, configuration, reload, backup, people.
extension ControlRoutes {
    func addAdmin(to routes: ControlRouter) {
        routes.get("/v1/health", .readCameras) { _, context in
            let access = try context.who.access
            let statuses = cameraStatuses(access: access)
            let streaming = statuses.filter { $0.state == StreamState.streaming.rawValue }.count
            let disabled = statuses.filter { !$0.enabled }.count
            var all = TicketQuery()
            all.restrict(to: access)
            let total = try store.ticketCount(matching: all)
            var overdue = TicketQuery.supervision(visibleCategories: nil)
            overdue.restrict(to: access)
            let storeHealth = tickets.health
            var health = HealthResponse(
                status: streaming + disabled == statuses.count && storeHealth.ok ? "ok" : "degraded", version: version, startedAt: startedAt,
                camerasTotal: statuses.count, camerasStreaming: streaming, ticketsTotal: total)
            health.camerasDisabled = disabled
            health.ticketsOverdue = try store.ticketCount(matching: overdue)
            health.store = storeHealth.ok ? "ok" : "failing"
            health.storeError = storeHealth.lastError
            health.storePending = storeHealth.pending
            health.timezone = LocalTime.zoneName
            return try JSONResponse.ok(health)
        }
        routes.get("/v1/backup", .manage) { _, context in
            let actor = try context.who.actor
            // A shared store is PostgreSQL's to back up (pg_dump), not one daemon's.
            if case .postgres = store.location { throw ControlError.conflict(.backupIsPostgres) }
            let path = store.directory.appendingPathComponent("backup-\(UUID().uuidString.prefix(8)).sqlite.partial").path
            let size: Int64
            do {
                size = try await Self.offPool { try store.backup(to: path) }
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                logger.error("backup failed", metadata: ["actor": "\(actor)", "error": "\(error)"])
                if DiskFull.matches(error) { throw error } // 507, said by ErrorMiddleware
                throw ControlError.unavailable(.backupFailed(detail: "\(error)"))
            }
            guard let file = FileHandle(forReadingAtPath: path) else { throw ControlError.unavailable(.backupVanished) }
            // Unlinked now: the open handle keeps it readable, and nothing is left behind if
            // the client goes away half way.
            unlink(path)
            logger.notice("backup", metadata: ["actor": "\(actor)", "bytes": "\(size)"])
            let handle = SendableFileHandle(file)
            return Response(
                status: .ok,
                headers: [.contentType: "application/vnd.sqlite3", HTTPField.Name("Content-Disposition")!: "attachment; filename=\"gridwatch.sqlite\""],
                body: ResponseBody(contentLength: Int(size)) { writer in
                    defer { try? handle.file.close() }
                    while true {
                        let chunk = try handle.file.read(upToCount: 1 << 20) ?? Data()
                        if chunk.isEmpty { break }
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
        routes.get("/metrics", .readCameras) { _, _ in
            try await Self.metricsResponse(metrics)
        }
        routes.get("/v1/config", .manage) { _, _ in
            try JSONResponse.ok(reloader.current())
        }
        routes.post("/v1/config/check", .manage) { _, _ in
            let report = try await Self.offPool { reloader.check() }
            return try JSONResponse.ok(report, status: report.valid ? .ok : .unprocessableContent)
        }
        routes.post("/v1/reload", .manage) { _, context in
            let actor = try context.who.actor
            let report = try await Self.offPool { reloader.reload(actor: actor) }
            return try JSONResponse.ok(report, status: report.valid ? .ok : .unprocessableContent)
        }
        routes.get("/v1/people", .readCameras) { request, context in
            let grid = try Self.parameters(request, allowed: ["grid"])["grid"]
            let access = try context.who.access
            // A console user limited to grids sees the people of those grids only.
            let people = try store.people(gridID: grid).filter { access.sees(grid: $0.gridId) }.map { PersonInfo(id: $0.id, name: $0.name, gridId: $0.gridId, role: $0.role, phone: $0.phone) }
            return try JSONResponse.ok(PeopleList(people: people))
        }
    }
}

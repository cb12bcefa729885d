@testable import DaemonCore
import ControlProtocol
import Foundation
import Hummingbird
import Logging
import Storage
import Testing
import Tickets
import TestSupport
import Yams

/// The OpenAPI document in Docs/ref describes the routes the daemon serves, no more, no less,
/// and the fields its answers carry.
@Suite struct OpenAPITests {
    static var document: [String: Any] {
        get throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Docs/ref/openapi.yaml")
            return try #require(try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        }
    }

    /// "METHOD /path/{param}" for every route the daemon registers.
    static func servedRoutes() throws -> Set<String> {
        let harness = try ControlHarness()
        defer { harness.dir.remove() }
        let router = harness.router(uid: 0, gid: 0)
        return Set(router.routes.map { route in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) /\(path)"
        })
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteIsServed() throws {
        let paths = try #require(try Self.document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] where item[method] != nil {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let served = try Self.servedRoutes()
        #expect(served.count >= 17)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    /// The JSON keys of `value` (every optional set) against the schema's properties.
    static func keys<T: Encodable>(_ value: T) throws -> Set<String> {
        let data = try ControlAPI.encoder().encode(value)
        return Set(try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys)
    }

    static func schemaProperties(_ name: String) throws -> Set<String> {
        let components = try #require(try Self.document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let schema = try #require(schemas[name] as? [String: Any], "no schema \(name)")
        return Set(try #require(schema["properties"] as? [String: Any]).keys)
    }

    @Test func schemasNameTheFieldsTheAnswersCarry() throws {
        var camera = CameraStatus(
            id: "c", name: "n", gridId: "g", source: "s", state: "streaming", codec: "h264", width: 1, height: 1, inputFps: 1, analysedFps: 1,
            framesDecoded: 1, framesAnalysed: 1, framesDropped: 0, decodeErrors: 0, reconnects: 0, lastFrameAt: Date(), offlineSince: Date(),
            lastError: "e", record: nil)
        camera.disabledBy = "x"
        camera.disabledAt = Date()
        camera.disabledReason = "r"
        camera.zones = []
        camera.tripwires = []
        camera.sceneMode = "day"
        camera.tampered = []
        camera.decodeMode = "full"
        camera.framesSkipped = 0
        camera.node = "box-1"
        camera.leaseAge = 1
        // The record stream is described in the reference, not in the schema.
        #expect(try Self.keys(camera) == Self.schemaProperties("Camera"))

        let node = NodeStatus(id: "box-1", heartbeatAge: 1, live: true, draining: false, cameras: 2, cpu: 0.5, this: true)
        #expect(try Self.keys(node) == Self.schemaProperties("Node"))

        var health = HealthResponse(status: "ok", version: "v", startedAt: Date(), camerasTotal: 1, camerasStreaming: 1, ticketsTotal: 0)
        health.ticketsOverdue = 0
        health.store = "ok"
        health.storeError = "e"
        health.storePending = 0
        health.camerasDisabled = 0
        health.timezone = "Asia/Shanghai"
        #expect(try Self.keys(health) == Self.schemaProperties("Health"))

        let report = ConfigReport(file: "f", valid: true, applied: false, errors: [], changes: ConfigChanges(), loadedAt: Date(), loadedBy: "start", cameras: 0, grids: 1)
        #expect(try Self.keys(report) == Self.schemaProperties("ConfigReport"))

        let dead = DeadLetterInfo(eventId: 1, messageId: "m", ticketId: 1, sequence: 1, type: "ticket.created", at: Date(), attempts: 3, lastError: "e")
        #expect(try Self.keys(dead) == Self.schemaProperties("DeadLetter"))
        var destination = NotifyDestinationStatus(id: "d", type: "webhook", target: "t", pending: 0, due: 0, delivered: 0, deadLetters: 0, disabled: false, dead: [dead])
        destination.oldestPendingAt = Date()
        destination.lastSuccessAt = Date()
        destination.lastError = "e"
        destination.lastErrorAt = Date()
        destination.disabledReason = "r"
        destination.pausedUntil = Date()
        #expect(try Self.keys(destination) == Self.schemaProperties("NotifyDestination"))
    }
}

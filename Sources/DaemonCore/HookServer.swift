import Catalog
import ControlProtocol
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import HTTPTypes
import NIOSSL
import Logging
import Metrics
import Notify
import ServiceLifecycle
import Storage
import Tickets

/// Platforms' callbacks: `POST /hooks/{destination}` on `daemon.hooks_listen` (loopback),
/// signed as the destination's own webhooks are (Standard Webhooks, its `whsec_` secret,
/// 5 minutes of tolerance), each message id applied once, through the workflow, with the
/// platform as the actor.
enum HookServer {
    static let types: [String: TicketState] = ["case.dispatched": .dispatched, "case.resolved": .resolved, "case.closed": .closed]
    static let example = #"{"type": "case.dispatched", "data": {"ticket_id": 42, "case_number": "12345-2026-000123", "note": "..."}}"#

    static func service(_ listen: HostPort?, tls: TLSFiles?, notify: NotifyService, store: TicketStore, events: EventHub, logger: Logger)
        throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let listen else { return [] }
        var builder = HTTPServerBuilder.controlHTTP1(idleTimeout: .seconds(30))
        if let tls { builder = try .tls(builder, tlsConfiguration: try tls.serverConfiguration()) }
        let router = Router()
        router.post("/hooks/:id") { request, context in
            await handle(request, destination: context.parameters.get("id") ?? "", notify: notify, store: store, events: events, logger: logger)
        }
        let server = ControlHTTPService(
            responder: router.buildResponder(),
            server: builder,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "gridwatchd/\(Gridwatch.version)"),
            onServerRunning: { _ in
                logger.notice("callbacks listening", metadata: ["address": "\(listen.host):\(listen.port)", "tls": "\(tls != nil)"])
            },
            logger: Logger(label: "gridwatchd.hooks", factory: { _ in SwiftLogNoOpLogHandler() }))
        return [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)]
    }

    static func handle(_ request: Request, destination id: String, notify: NotifyService, store: TicketStore, events: EventHub, logger: Logger) async -> Response {
        let language = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        let known = notify.destinations.filter { $0.kind == .webhook && $0.inbound }
        // A label per configured destination only: a caller cannot grow the series by path.
        let label = known.contains(where: { $0.id == id }) ? id : "unknown"
        func refuse(_ status: HTTPResponse.Status, _ message: APIMessage, log: String? = nil) -> Response {
            if let log {
                logger.warning("callback refused: \(log)", metadata: ["destination": "\(label)", "reason": "\(message.en)"])
            }
            Counter(label: "gridwatch_notify_callbacks_total", dimensions: [("destination", label), ("result", "refused")]).increment()
            return JSONResponse.error(status, message, language: language)
        }
        guard let destination = known.first(where: { $0.id == id }), let key = destination.secret else {
            // Not the list of ids: the caller has proved nothing yet.
            return refuse(.notFound, .noSuchDestination(id: id, known: []), log: "unknown destination")
        }
        let body: [UInt8]
        do {
            body = Array(try await request.body.collect(upTo: 64 * 1024).readableBytesView)
        } catch {
            return refuse(.contentTooLarge, .bodyTooLarge(kib: 64), log: "too large")
        }
        let messageID = request.headers[HTTPField.Name(StandardWebhooks.idHeader)!]
        switch StandardWebhooks.verify(id: messageID, timestamp: request.headers[HTTPField.Name(StandardWebhooks.timestampHeader)!],
                                       signature: request.headers[HTTPField.Name(StandardWebhooks.signatureHeader)!], body: body, key: key, now: Date()) {
        case .success:
            break
        case let .failure(refusal):
            let (why, detail): (String, String) = switch refusal {
            case let .missingHeader(name): ("missing_header", name)
            case .badTimestamp: ("bad_timestamp", "")
            case let .outsideTolerance(seconds): ("outside_tolerance", "\(seconds)")
            case .badSignature: ("bad_signature", "")
            }
            return refuse(.unauthorized, .callbackNotVerified(why: why, detail: detail), log: why)
        }
        guard let callback = try? ControlAPI.decoder().decode(PlatformCallback.self, from: Data(body)) else {
            return refuse(.badRequest, .callbackBodyInvalid(example: example), log: "body")
        }
        guard let status = types[callback.type] else {
            return refuse(.badRequest, .unknownCallbackType(text: callback.type, known: types.keys.sorted()), log: "type")
        }
        for text in [callback.data.caseNumber, callback.data.note].compactMap({ $0 }) where text.count > 2000 {
            return refuse(.badRequest, .callbackBodyInvalid(example: example), log: "too long")
        }
        do {
            let ticket = try store.applyPlatformUpdate(
                ticketID: callback.data.ticketId, platform: id, messageID: messageID!, status: status,
                caseNumber: callback.data.caseNumber, note: callback.data.note, at: Date())
            logger.notice("callback applied", metadata: [
                "destination": "\(id)", "message_id": "\(messageID!)", "ticket": "\(callback.data.ticketId)", "type": "\(callback.type)",
                "state": "\(ticket.state.rawValue)",
            ])
            Counter(label: "gridwatch_notify_callbacks_total", dimensions: [("destination", id), ("result", "applied")]).increment()
            events.publishTicket(ticket, change: callback.type, actor: "platform:\(id)", at: Date())
            return (try? JSONResponse.ok(TicketSummary(ticket, language), language: language)) ?? Response(status: .ok)
        } catch let error as PlatformUpdateError {
            switch error {
            case let .replayed(messageID): return refuse(.conflict, .callbackReplayed(messageID: messageID), log: "replayed")
            case let .noSuchTicket(ticket): return refuse(.notFound, .noSuchTicket(id: ticket), log: "no such ticket")
            case let .notTheirs(ticket): return refuse(.notFound, .noSuchTicket(id: ticket), log: "ticket never sent to this platform")
            case let .notApplicable(state, status):
                return refuse(.conflict, .invalidTransition(action: status, state: state.rawValue, allowed: []), log: "not applicable")
            }
        } catch let error as TicketActionError {
            return refuse(.conflict, error.message, log: "workflow")
        } catch {
            logger.error("callback failed", metadata: ["destination": "\(id)", "error": "\(error)"])
            if DiskFull.matches(error) { return refuse(.init(code: 507, reasonPhrase: "Insufficient Storage"), .diskFull(directory: nil)) }
            return refuse(.internalServerError, .internalError)
        }
    }
}

extension TLSFiles {
    /// A server configuration from the PEM files: the chain (leaf first) and its key.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: self.key, format: .pem)
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        c.minimumTLSVersion = .tlsv12
        return c
    }

    /// Both files readable and what they should be; errors name the key and the path, never
    /// the contents.
    static func check(_ files: TLSFiles, certNode: ConfigNode, keyNode: ConfigNode) throws(ConfigError) {
        do {
            if try NIOSSLCertificate.fromPEMFile(files.certificate).isEmpty { throw certNode.error("\(files.certificate) holds no PEM certificate") }
        } catch let e as ConfigError {
            throw e
        } catch {
            throw certNode.error("\(files.certificate) is not a readable PEM certificate chain")
        }
        do {
            _ = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw keyNode.error("\(files.key) is not a readable PEM private key (unencrypted)")
        }
    }
}

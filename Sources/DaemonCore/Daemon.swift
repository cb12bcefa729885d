import Catalog
import Analysis
import Foundation
import Hummingbird
import Logging
import MediaIO
import ServiceLifecycle
import Storage
import Tickets

public enum Gridwatch {
    public static let version = "0.1.0"
}

/// Why the daemon could not start; `gridwatchd` maps each to an exit code.
public enum StartupError: Error, CustomStringConvertible {
    case config(ConfigError)
    case store(String)
    case socket(String)
    /// Another daemon holds the data folder's lock: its PID, when the lock file names it.
    case dataDirInUse(directory: String, lockFile: String, pid: Int32?)

    public var description: String {
        switch self {
        case let .config(e): "\(e)"
        case let .store(why): "cannot open the store: \(why)"
        case let .socket(why): "cannot listen on the control socket: \(why)"
        case let .dataDirInUse(directory, lockFile, pid):
            LogText.dataDirInUse(pid: pid, directory: directory).text(.log) + " (\(lockFile))"
        }
    }

    /// sysexits: 78 (EX_CONFIG) for a bad configuration, 73 (EX_CANTCREAT) for the store, 69 (EX_UNAVAILABLE) for the socket,
    /// 75 (EX_TEMPFAIL) when another daemon uses the data folder (not restarted by the unit: stop the other one).
    public var exitCode: Int32 {
        switch self {
        case .config: 78
        case .store: 73
        case .socket: 69
        case .dataDirInUse: 75
        }
    }
}

/// The running daemon: store, ticket service, cameras and control server under one service group.
public struct Daemon {
    public let config: GridwatchConfig
    let logger: Logger

    public init(config: GridwatchConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Run until SIGTERM or SIGINT. Throws `StartupError` if it cannot start.
    public func run() async throws {
        let logger = self.logger
        // SIGHUP means "reload" (handled by ReloadOnHangup once the services run); ignored
        // until then rather than ending the process, as its default action would.
        signal(SIGHUP, SIG_IGN)
        CameraManager.limitArenas(cameras: config.cameras.count)
        FFmpegLines.install(logger: logger)
        // Every human-facing time in one zone: logs, statistics cut at local midnight (SQLite's
        // 'localtime'), dates in filters, CSV exports.
        if let zone = config.daemon.timezone {
            setenv("TZ", zone, 1)
            tzset()
            NSTimeZone.resetSystemTimeZone()
        }

        // Before anything in the data folder is touched: one daemon per folder.
        let lock: DataDirLock
        do throws(DataDirLock.Failure) {
            lock = try DataDirLock(directory: config.daemon.dataDirectory)
        } catch {
            switch error {
            case let .held(path, pid): throw StartupError.dataDirInUse(directory: config.daemon.dataDirectory, lockFile: path, pid: pid)
            case let .cannotOpen(path, why): throw StartupError.store("\(path): \(why)")
            }
        }
        defer { withExtendedLifetime(lock) {} }

        let store: TicketStore
        let disabled: [String: CameraSwitchRecord]
        do {
            store = try TicketStore(directory: URL(fileURLWithPath: config.daemon.dataDirectory), location: config.store, policy: config.tickets.policy)
            try store.syncTopology(config)
            // Before any camera writes: files no row names are leftovers of a crash.
            let orphans = try store.removeOrphanEvidence()
            if orphans > 0 { logger.notice("orphan evidence files removed", metadata: ["files": "\(orphans)"]) }
            disabled = try store.disabledCameras()
        } catch {
            let place = if case let .postgres(settings) = config.store { settings.redacted } else { config.daemon.dataDirectory }
            throw StartupError.store("\(place): \(error)")
        }

        let socketPath = config.daemon.socketPath
        do {
            try UnixSocketPath.prepare(socketPath)
        } catch {
            throw StartupError.socket(error.description)
        }

        // Allocated now, while there is room: alerts the store cannot take are kept there.
        let spoolPath = URL(fileURLWithPath: config.daemon.dataDirectory).appendingPathComponent(AlertSpool.fileName).path
        let spool: AlertSpool?
        do {
            spool = try AlertSpool(path: spoolPath)
        } catch {
            spool = nil
            logger.error("\(LogText.spoolUnavailable.text(.log))", metadata: ["error": "\(error)"])
        }

        let (commands, continuation) = AsyncStream.makeStream(of: TicketCommand.self)
        let events = EventHub()
        let cameras = CameraManager(config: config, disabled: disabled, commands: continuation, events: events, logger: logger, ledger: store.ledger,
                                    clipTicket: { name in try? store.ticketID(clipName: name) })
        let jobs = JobGate()
        let tickets = TicketService(store: store, commands: commands, settings: config.tickets, events: events, logger: logger, spool: spool, jobs: jobs)
        let notify = NotifyService(store: store, destinations: config.notify, logger: logger, jobs: jobs)
        // With a shared store, this daemon is one node of several: cameras and jobs run here
        // under leases.
        var cluster: ClusterService?
        if case let .postgres(settings) = config.store {
            do {
                let node = try ClusterService(settings: settings, nodeID: config.daemon.nodeID, leaseTimeout: config.daemon.leaseTimeout, cameras: cameras,
                                              cameraIDs: config.cameras.map(\.id), jobs: jobs, logger: logger)
                cameras.runUnderLeases()
                jobs.runUnderLeases()
                cameras.stamper.stamp.withLock { $0 = { id in node.stamp(id) } }
                jobs.onGrant.withLock { $0 = { job in if job == "outbox" { notify.wakeAll() } } }
                cluster = node
            } catch {
                throw StartupError.store("\(settings.redacted): \(error)")
            }
        }

        let roles = RoleMap.resolve(config.daemon.roles, logger: logger)
        let roleHolder = RoleHolder(roles)
        let supervisor = ServiceSupervisor(notifier: SystemdNotifier(), store: store, cameras: cameras, tickets: tickets, logger: logger)
        cameras.onStarted.withLock { $0 = { supervisor.camerasStarted() } }
        let reloader = ConfigReloader(config: config, store: store, cameras: cameras, tickets: tickets, roles: roleHolder, logger: logger, notify: notify,
                                      cluster: cluster)
        var groupID: gid_t?
        if let name = config.daemon.socketGroup {
            guard let group = getgrnam(name) else { throw StartupError.socket("daemon.socket_group: no such group '\(name)'") }
            groupID = group.pointee.gr_gid
        }
        let socketGID = groupID
        let metrics = MetricsCollector(store: store, cameras: cameras, tickets: tickets, notify: notify, cluster: cluster)
        let controlRoutes = ControlRoutes(store: store, cameras: cameras, tickets: tickets, events: events, reloader: reloader, metrics: metrics,
                                          startedAt: Date(), version: Gridwatch.version, logger: logger, notify: notify, cluster: cluster)
        let router = Self.controlRouter(controlRoutes, roles: roleHolder, logger: logger)
        let mode = mode_t(config.daemon.socketMode)
        let app = ControlHTTPService(
            responder: router.buildResponder(),
            // A client that goes quiet (half-open, or too slow to send its request) is
            // closed after 30 s rather than holding a connection for ever.
            server: .controlHTTP1(idleTimeout: .seconds(30)),
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "gridwatchd/\(Gridwatch.version)"),
            onServerRunning: { _ in
                if let gid = socketGID { chown(socketPath, uid_t.max, gid) }
                chmod(socketPath, mode)
                logger.notice("control socket listening", metadata: ["socket.path": "\(socketPath)", "socket.mode": "\(String(mode, radix: 8))"])
                supervisor.socketListening()
            },
            logger: Logger(label: "gridwatchd.http", factory: { _ in SwiftLogNoOpLogHandler() }))

        let hooks: [ServiceGroupConfiguration.ServiceConfiguration]
        do {
            hooks = try HookServer.service(config.daemon.hooksListen, tls: config.daemon.hooksTLS, notify: notify, store: store, events: events, logger: logger)
        } catch {
            throw StartupError.socket("daemon.hooks_tls_cert/hooks_tls_key: \(error)")
        }
        let console: [ServiceGroupConfiguration.ServiceConfiguration]
        do {
            console = try ConsoleServer.service(config.console, routes: controlRoutes, logger: logger)
        } catch {
            throw StartupError.socket("console.tls_cert/tls_key: \(error)")
        }
        // Started in this order, stopped in reverse: live event streams end, the socket
        // closes, then the cameras stop, then the ticket service writes what they raised and
        // ends, and only then does a node of a cluster let its leases go: alerts written under
        // a lease already given up would be refused by the fence, and lost.
        let group = ServiceGroup(configuration: .init(
            services: (cluster.map { [.init(service: $0, successTerminationBehavior: .ignore)] } ?? []) + [
                .init(service: tickets, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                // After the tickets, so it stops before them: what they write at the end waits
                // in the outbox for the next start.
                .init(service: notify, successTerminationBehavior: .ignore),
                .init(service: cameras, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: ReloadOnHangup(reloader: reloader), successTerminationBehavior: .ignore),
                // Late, so it stops early: live event streams end before the server waits for them.
                .init(service: events, successTerminationBehavior: .ignore),
                // Last, so it stops first: systemd hears STOPPING=1 as shutdown begins.
                .init(service: supervisor, successTerminationBehavior: .ignore),
            ] + Self.metricsListener(config.daemon.metricsListen, metrics: metrics, logger: logger)
              + hooks + console,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.notice("gridwatchd started", metadata: [
            "version": "\(Gridwatch.version)", "cameras": "\(config.cameras.count)", "data_dir": "\(config.daemon.dataDirectory)",
        ])
        defer { unlink(socketPath) }
        do {
            try await group.run()
        } catch {
            throw StartupError.socket("\(error)")
        }
        logger.notice("gridwatchd stopped")
    }

    /// The control API as served on the socket: errors rendered as JSON (404 and 405 told
    /// apart), the caller identified and refused without a role, query strings checked, then
    /// the routes, each checking its own permission. `identify` finds the caller (the socket's
    /// peer credentials; the in-process tests pass one in).
    static func controlRouter(_ routes: ControlRoutes, roles: RoleHolder, logger: Logger,
                              identify: @escaping @Sendable (ControlContext) async throws -> CallerIdentity = { try await $0.identity() }) -> Router<ControlContext> {
        let router = Router(context: ControlContext.self)
        let routeTable = RouteTable()
        router.middlewares.add(ErrorMiddleware(logger: logger, routes: routeTable))
        router.middlewares.add(AuthorizationMiddleware(roles: roles, logger: logger, identify: identify))
        router.middlewares.add(QueryValidationMiddleware<ControlContext>())
        routes.add(to: router)
        routeTable.load(router.routes)
        return router
    }

    /// `GET /metrics` on a loopback TCP port, when `daemon.metrics_listen` asks for it: that
    /// server answers nothing else (there is no caller identity on TCP).
    static func metricsListener(_ listen: HostPort?, metrics: MetricsCollector, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let listen else { return [] }
        let router = Router()
        router.get("/metrics") { _, _ in try await ControlRoutes.metricsResponse(metrics) }
        let server = ControlHTTPService(
            responder: router.buildResponder(),
            server: .controlHTTP1(idleTimeout: .seconds(30)),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "gridwatchd/\(Gridwatch.version)"),
            onServerRunning: { _ in logger.notice("metrics listening", metadata: ["address": "\(listen.host):\(listen.port)"]) },
            logger: Logger(label: "gridwatchd.metrics", factory: { _ in SwiftLogNoOpLogHandler() }))
        return [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)]
    }

    static func json(_ points: [Point]) -> String {
        "[" + points.map { "[\($0.x),\($0.y)]" }.joined(separator: ",") + "]"
    }
}

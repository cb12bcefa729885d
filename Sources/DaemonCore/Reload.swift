import ControlProtocol
import Foundation
import Logging
import ServiceLifecycle
import Storage
import Synchronization
import UnixSignals

/// Checks and applies the configuration file while the daemon runs (`POST /v1/config/check`,
/// `POST /v1/reload`, SIGHUP). The file is validated first; a bad one changes nothing and the
/// running configuration goes on. Cameras, grids and people, roles and ticket settings are
/// applied; `daemon:` settings other than roles (socket, data directory, log level) need a
/// restart and are reported as such, keeping their running values.
final class ConfigReloader: Sendable {
    private struct Loaded {
        var config: GridwatchConfig
        var at: Date
        var by: String
    }

    let file: String
    private let loaded: Mutex<Loaded>
    /// Held for a whole check-and-apply, so two reloads do not interleave.
    private let applying = Mutex(())
    private let store: TicketStore
    private let cameras: CameraManager
    private let tickets: TicketService
    private let roles: RoleHolder
    private let logger: Logger
    /// Told of the new destinations on a reload.
    let notify: NotifyService?
    /// With a shared store: told of the cameras a reload adds or removes.
    let cluster: ClusterService?

    init(config: GridwatchConfig, store: TicketStore, cameras: CameraManager, tickets: TicketService, roles: RoleHolder, logger: Logger,
         notify: NotifyService? = nil, cluster: ClusterService? = nil) {
        self.notify = notify
        self.cluster = cluster
        file = URL(fileURLWithPath: config.file).standardizedFileURL.path
        loaded = Mutex(Loaded(config: config, at: Date(), by: "start"))
        self.store = store
        self.cameras = cameras
        self.tickets = tickets
        self.roles = roles
        self.logger = logger
    }

    var config: GridwatchConfig { loaded.withLock { $0.config } }

    /// The running configuration, as `GET /v1/config` shows it.
    func current() -> ConfigReport {
        let l = loaded.withLock { $0 }
        return ConfigReport(file: file, valid: true, applied: false, errors: [], changes: nil, loadedAt: l.at, loadedBy: l.by,
                            cameras: l.config.cameras.count, grids: l.config.grids.count)
    }

    /// Validate the file on disk and say what applying it would change.
    func check() -> ConfigReport {
        applying.withLock { _ in
            switch read() {
            case .failure(let error): refused(error)
            case .success(let new): report(changes: changes(to: new), applied: false)
            }
        }
    }

    /// Validate the file on disk and apply it. A bad file is refused and logged.
    func reload(actor: String) -> ConfigReport {
        applying.withLock { _ in
            let new: GridwatchConfig
            switch read() {
            case .failure(let error):
                logger.error("configuration reload refused; the running configuration is kept", metadata: [
                    "actor": "\(actor)", "error": "\(error)",
                ])
                return refused(error)
            case .success(let config):
                new = config
            }
            let changes = changes(to: new)
            do {
                try store.syncTopology(new)
                let disabled = try store.disabledCameras()
                var applied = new
                // Settings that need a restart keep their running values.
                let running = config.daemon
                applied.daemon = running
                applied.store = config.store
                applied.daemon.roles = new.daemon.roles
                if new.daemon.roles != running.roles {
                    roles.map = RoleMap.resolve(new.daemon.roles, logger: logger)
                }
                if new.tickets != config.tickets {
                    store.policy = new.tickets.policy
                    tickets.settings = new.tickets
                }
                if new.notify != config.notify { notify?.update(new.notify) }
                // Under the same lock as the plan in `changes`: nothing else replaces cameras.
                cameras.apply(new.cameras, disabled: disabled)
                // With a shared store: new cameras get lease rows, removed ones are let go.
                cluster?.cameraNode.setResources(new.cameras.map(\.id))
                loaded.withLock { $0 = Loaded(config: applied, at: Date(), by: actor) }
            } catch {
                logger.error("configuration reload failed writing the store; the running configuration is kept", metadata: [
                    "actor": "\(actor)", "error": "\(error)",
                ])
                return refused(ConfigError(file: file, line: nil, key: "", message: "cannot record the new grids and cameras in the store: \(error)"))
            }
            logger.notice("configuration reloaded", metadata: [
                "actor": "\(actor)", "added": "\(changes.added)", "removed": "\(changes.removed)", "restarted": "\(changes.restarted)",
                "rules_changed": "\(changes.rulesChanged)", "sections": "\(changes.sections)", "restart_required": "\(changes.restartRequired)",
            ])
            return report(changes: changes, applied: true)
        }
    }

    private func read() -> Result<GridwatchConfig, ConfigError> {
        do throws(ConfigError) {
            return .success(try GridwatchConfig.load(path: file))
        } catch {
            return .failure(error)
        }
    }

    private func refused(_ error: ConfigError) -> ConfigReport {
        var r = current()
        r.valid = false
        r.errors = [ConfigIssue(file: error.file, line: error.line, key: error.key, message: error.message)]
        return r
    }

    private func report(changes: ConfigChanges, applied: Bool) -> ConfigReport {
        var r = current()
        r.changes = changes
        r.applied = applied
        return r
    }

    /// What `new` changes against the running configuration.
    private func changes(to new: GridwatchConfig) -> ConfigChanges {
        let old = config
        var changes = cameras.plan(new.cameras)
        if new.grids != old.grids { changes.sections.append("grids") }
        if new.daemon.roles != old.daemon.roles { changes.sections.append("roles") }
        if new.tickets != old.tickets { changes.sections.append("tickets") }
        if new.notify != old.notify { changes.sections.append("notify") }
        let d = (old.daemon, new.daemon)
        for (key, differs) in [
            ("daemon.data_dir", d.0.dataDirectory != d.1.dataDirectory), ("daemon.socket", d.0.socketPath != d.1.socketPath),
            ("daemon.socket_mode", d.0.socketMode != d.1.socketMode), ("daemon.socket_group", d.0.socketGroup != d.1.socketGroup),
            ("daemon.log_level", d.0.logLevel != d.1.logLevel), ("daemon.metrics_listen", d.0.metricsListen != d.1.metricsListen),
            ("daemon.timezone", d.0.timezone != d.1.timezone), ("daemon.hooks_listen", d.0.hooksListen != d.1.hooksListen || d.0.hooksTLS != d.1.hooksTLS),
            ("console", old.console != new.console), ("store", old.store != new.store),
            ("daemon.node_id", d.0.nodeID != d.1.nodeID), ("daemon.lease_timeout", d.0.leaseTimeout != d.1.leaseTimeout),
        ] where differs {
            changes.restartRequired.append(key)
        }
        return changes
    }
}

/// SIGHUP reloads the configuration, as `systemctl reload` expects.
struct ReloadOnHangup: Service {
    let reloader: ConfigReloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            // Reading the file and writing the store block: not on the concurrency pool.
            let reloader = self.reloader
            _ = try? await ControlRoutes.offPool { reloader.reload(actor: "SIGHUP") }
        }
    }
}

extension TicketStore {
    /// Record the configuration's grids, people, cameras, zones and tripwires.
    func syncTopology(_ config: GridwatchConfig) throws {
        try syncTopology(
            grids: config.grids.map { GridRecord(id: $0.id, name: $0.name, parentId: $0.parent, level: $0.level.rawValue) },
            cameras: config.cameras.map { CameraRecord(id: $0.id, name: $0.name, gridId: $0.grid, sourceRedacted: $0.redactedSource) },
            zones: config.cameras.flatMap { camera in
                camera.zones.map { ZoneRecord(cameraId: camera.id, id: $0.id, name: $0.name, gridId: $0.grid, polygon: Daemon.json($0.polygon.vertices)) }
            },
            tripwires: config.cameras.flatMap { camera in
                camera.tripwires.map {
                    TripwireRecord(cameraId: camera.id, id: $0.id, name: $0.name, gridId: $0.grid, line: Daemon.json([$0.a, $0.b]), direction: $0.direction.rawValue)
                }
            },
            people: config.grids.flatMap { grid in
                grid.people.map { PersonRecord(id: $0.id, name: $0.name, gridId: grid.id, role: $0.role.rawValue, phone: $0.phone) }
            })
    }
}

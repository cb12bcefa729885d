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

/// The connecting process's credentials, from `SO_PEERCRED` (glibc's `struct ucred`,
/// declared here because Swift cannot see it).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Who is calling: the actor recorded in ticket history, and what they may do.
struct CallerIdentity: Sendable, Equatable {
    var uid: UInt32
    var gid: UInt32
    var user: String?
    var access = Access(roles: [])
    /// A web console user's name (then uid and gid mean nothing).
    var console: String? = nil

    /// "name (uid 1000)", "uid 1000" for a uid with no account, "name (console)" for a
    /// console user.
    var actor: String {
        if let console { return "\(console) (console)" }
        return user.map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
    }

    static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }
}

/// Unix groups → roles, resolved to group ids when the daemon starts. Root and the daemon's
/// own user are admins. A caller's groups are its primary group (from the kernel) and the
/// groups the group database lists for its user name.
public struct RoleMap: Sendable {
    let byGroup: [UInt32: Role]
    let daemonUID: UInt32

    init(byGroup: [UInt32: Role], daemonUID: UInt32 = getuid()) {
        self.byGroup = byGroup
        self.daemonUID = daemonUID
    }

    /// Resolve configured group names (at start and on reload); a name the machine does not
    /// know is logged and ignored.
    static func resolve(_ roles: [String: Role], logger: Logger) -> RoleMap {
        var byGroup: [UInt32: Role] = [:]
        var unknown: [String] = []
        for (name, role) in roles.sorted(by: { $0.key < $1.key }) {
            guard let group = getgrnam(name) else {
                unknown.append(name)
                continue
            }
            let gid = group.pointee.gr_gid
            // A group named twice keeps the stronger role.
            byGroup[gid] = max(byGroup[gid] ?? role, role)
        }
        for group in unknown {
            logger.warning("no such group for a control role; ignored", metadata: ["group": "\(group)"])
        }
        return RoleMap(byGroup: byGroup)
    }

    func access(uid: UInt32, gid: UInt32, user: String?) -> Access {
        if uid == 0 || uid == daemonUID { return Access(roles: [.admin]) }
        var groups: Set<UInt32> = [gid]
        if let user { groups.formUnion(Self.groups(of: user, primary: gid)) }
        return Access(roles: Set(groups.compactMap { byGroup[$0] }))
    }

    static func groups(of user: String, primary: UInt32) -> [UInt32] {
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, primary, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user, primary, &list, &count) >= 0 else { return [] }
        }
        return Array(list.prefix(Int(count)))
    }
}

/// The role map in force; a reload replaces it.
final class RoleHolder: Sendable {
    private let current: Mutex<RoleMap>
    init(_ map: RoleMap) { current = Mutex(map) }
    var map: RoleMap {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}

/// The control API's request context: Hummingbird's core plus the channel, so the
/// authorization middleware can ask the kernel who is on the other end of the Unix socket,
/// and the caller it found.
struct ControlContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// Set by `AuthorizationMiddleware` (or the console's) before any route runs.
    var caller: CallerIdentity?
    /// The console's logged-in session, on the console's listener.
    var session: ConsoleSession?
    /// For long answers (the event stream): whether the caller may still read; nil on the
    /// socket, where the peer's credentials cannot change.
    var stillAuthorized: (@Sendable () -> Bool)?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The caller, as the middleware established it.
    var who: CallerIdentity {
        get throws {
            guard let caller else { throw ControlError.forbidden(.callerUnknown(detail: nil)) }
            return caller
        }
    }

    /// The caller, or a 403 when the socket cannot say (no identity, no access).
    func identity() async throws -> CallerIdentity {
        guard let provider = channel as? SocketOptionProvider else {
            throw ControlError.forbidden(.callerUnknown(detail: "not a Unix socket peer"))
        }
        do {
            let cred: PeerCredentials = try await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
            return CallerIdentity(uid: cred.uid, gid: cred.gid, user: CallerIdentity.userName(cred.uid))
        } catch {
            throw ControlError.forbidden(.callerUnknown(detail: "\(error)"))
        }
    }
}

/// Who is calling, for every request: the caller's identity (SO_PEERCRED on the Unix socket)
/// and the roles their groups give. A caller with no role at all is refused here, whatever
/// the path; what each route needs is declared beside the route (`ControlRouter`) and checked
/// there. Every refusal is logged.
struct AuthorizationMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    let roles: RoleHolder
    let logger: Logger
    /// How the caller is found: the socket's peer credentials (tests pass a caller in).
    var identify: @Sendable (ControlContext) async throws -> CallerIdentity = { try await $0.identity() }

    func handle(_ request: Request, context: ControlContext, next: (Request, ControlContext) async throws -> Response) async throws -> Response {
        var context = context
        var caller = try await identify(context)
        caller.access = roles.map.access(uid: caller.uid, gid: caller.gid, user: caller.user)
        guard !caller.access.roles.isEmpty else {
            logger.warning("control request refused", metadata: [
                "actor": "\(caller.actor)", "method": "\(request.method)", "path": "\(request.uri.path)",
            ])
            throw ControlError.forbidden(.noRole(actor: caller.actor))
        }
        context.caller = caller
        return try await next(request, context)
    }
}

/// Registers the control API's routes, each with the permission it needs declared beside it:
/// the handler runs only for a caller whose roles allow it. The only way routes are added,
/// so no route goes without one; `permissions` lists them for the tests.
struct ControlRouter {
    let router: Router<ControlContext>
    let logger: Logger
    typealias Handler = @Sendable (Request, ControlContext) async throws -> Response

    func get(_ path: String, _ permission: Permission, _ handler: @escaping Handler) {
        router.get(RouterPath(path), use: guarded(permission, handler))
        ControlRouter.declared.withLock { $0["GET " + path] = permission }
    }

    func post(_ path: String, _ permission: Permission, _ handler: @escaping Handler) {
        router.post(RouterPath(path), use: guarded(permission, handler))
        ControlRouter.declared.withLock { $0["POST " + path] = permission }
    }

    func put(_ path: String, _ permission: Permission, _ handler: @escaping Handler) {
        router.put(RouterPath(path), use: guarded(permission, handler))
        ControlRouter.declared.withLock { $0["PUT " + path] = permission }
    }

    private func guarded(_ permission: Permission, _ handler: @escaping Handler) -> Handler {
        let logger = self.logger
        return { request, context in
            let caller = try context.who
            guard caller.access.allows(permission) else {
                logger.warning("control request refused", metadata: [
                    "actor": "\(caller.actor)", "method": "\(request.method)", "path": "\(request.uri.path)",
                ])
                throw ControlError.forbidden(.notPermitted(
                    actor: caller.actor, roles: caller.access.roles.map(\.rawValue).sorted(), method: request.method.rawValue, path: request.uri.path))
            }
            return try await handler(request, context)
        }
    }

    /// "METHOD /path/:param" → the permission declared for it (every route registered so far).
    static let declared = Mutex<[String: Permission]>([:])
}


/// What a caller of the control socket may do. Roles come from the caller's Unix groups
/// (configured); root and the daemon's own user are admins.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads cameras and tickets (not corrections tickets).
    case viewer
    /// Also acts on tickets (not corrections tickets).
    case `operator`
    /// Reads cameras; sees and acts on corrections tickets only.
    case corrections
    /// Everything, including corrections tickets and managing the daemon.
    case admin

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What a request needs.
public enum Permission: Sendable, Equatable {
    case readCameras
    case readTickets
    case actOnTickets
    case manage
}

/// A caller's roles and what follows from them: the one place permissions are decided.
public struct Access: Sendable, Equatable {
    public var roles: Set<Role>
    /// The grids whose tickets and cameras the caller sees, the grids below them included;
    /// nil: every grid (the socket's callers; console users not limited to grids).
    public var grids: Set<String>?

    public init(roles: Set<Role>, grids: Set<String>? = nil) {
        self.roles = roles
        self.grids = grids
    }

    /// Whether a ticket or camera of `grid` is within the caller's grids.
    public func sees(grid: String) -> Bool {
        grids.map { $0.contains(grid) } ?? true
    }

    public var isAdmin: Bool { roles.contains(.admin) }

    /// Whether the caller may make a request needing `permission` at all.
    public func allows(_ permission: Permission) -> Bool {
        if isAdmin { return true }
        switch permission {
        case .readCameras: return !roles.isEmpty
        case .readTickets: return !roles.isEmpty
        case .actOnTickets: return roles.contains(.operator) || roles.contains(.corrections)
        case .manage: return false
        }
    }

    /// Which ticket categories the caller sees; nil means all. Corrections tickets are seen
    /// by corrections officers and admins only, and nobody else even counts them.
    public var visibleCategories: Set<TicketCategory>? {
        if isAdmin { return nil }
        var visible: Set<TicketCategory> = []
        if roles.contains(.viewer) || roles.contains(.operator) {
            visible.formUnion(TicketCategory.allCases.filter { $0 != .corrections })
        }
        if roles.contains(.corrections) { visible.insert(.corrections) }
        return visible
    }

    public func sees(_ category: TicketCategory) -> Bool {
        visibleCategories.map { $0.contains(category) } ?? true
    }

    /// Whether the caller may act on a ticket of `category`.
    public func mayAct(on category: TicketCategory) -> Bool {
        if isAdmin { return true }
        return category == .corrections ? roles.contains(.corrections) : roles.contains(.operator)
    }
}

import Catalog
import Analysis
import MediaIO
import Tickets

/// Everything about a camera that it takes up while it runs, without reconnecting: its name
/// and grid, its zones and tripwires with what a ticket needs to know of each (name, purpose,
/// severity, grid, which events alert), and its masks. Built once from the configuration;
/// the analysis gets its geometric view, and an event is joined back to its rule here only.
public struct CameraRules: Sendable, Equatable {
    public var cameraName: String
    public var grid: String
    public var zones: [ZoneConfig]
    public var tripwires: [TripwireConfig]
    /// Never analysed.
    public var motionMasks: [Polygon]
    /// Never analysed, and blacked out in every picture.
    public var privacyMasks: [Polygon]

    public init(cameraName: String, grid: String, zones: [ZoneConfig] = [], tripwires: [TripwireConfig] = [],
                motionMasks: [Polygon] = [], privacyMasks: [Polygon] = []) {
        self.cameraName = cameraName
        self.grid = grid
        self.zones = zones
        self.tripwires = tripwires
        self.motionMasks = motionMasks
        self.privacyMasks = privacyMasks
    }

    /// The analysis's view: geometry and options only.
    public var analysisZones: [ZoneRule] { zones.map(\.rule) }
    public var analysisTripwires: [TripwireRule] { tripwires.map(\.rule) }
    /// Where smoke and fire are looked for: the zones that ask, and the whole picture
    /// (outside them) when `wholePicture`.
    public func fireSmokeAreas(wholePicture: Bool) -> [FireSmokeArea] {
        zones.filter(\.fireSmoke).map { FireSmokeArea(id: $0.id, polygon: $0.polygon) }
            + (wholePicture ? [FireSmokeArea(id: nil, polygon: nil)] : [])
    }

    /// Where nothing is analysed: the motion masks and the privacy masks.
    public var analysisMask: [Polygon] { motionMasks + privacyMasks }

    /// What a ticket needs of the rule that raised an event.
    public struct Alerting: Sendable, Equatable {
        public var zoneID: String?
        public var tripwireID: String?
        public var grid: String
        public var purpose: RulePurpose
        public var severity: Severity
        public var title: TicketText
        /// The rule drawn on the snapshot: the zone (yellow) or the line (red).
        public var shape: [(Double, Double)]
        public var closed: Bool

        public static func == (a: Alerting, b: Alerting) -> Bool {
            a.zoneID == b.zoneID && a.tripwireID == b.tripwireID && a.grid == b.grid && a.purpose == b.purpose
                && a.severity == b.severity && a.title == b.title && a.closed == b.closed
                && a.shape.map(\.0) == b.shape.map(\.0) && a.shape.map(\.1) == b.shape.map(\.1)
        }
    }

    /// The rule behind `event` if it raises a ticket: nil when the rule is gone (a reload
    /// removed it) or does not alert on this kind of event (`alert_on`).
    public func alerting(_ event: AnalysisEvent) -> Alerting? {
        if event.kind == .crossing {
            guard let line = tripwires.first(where: { $0.id == event.ruleID }) else { return nil }
            return Alerting(
                zoneID: nil, tripwireID: line.id, grid: line.grid ?? grid, purpose: line.purpose, severity: line.severity,
                title: TicketTitle.crossing(lineName: line.name, way: event.direction.flatMap { line.rule.line.screenWay($0) }, cameraName: cameraName),
                shape: [(line.a.x, line.a.y), (line.b.x, line.b.y)], closed: false)
        }
        guard let zone = zones.first(where: { $0.id == event.ruleID }) else { return nil }
        let wanted: ZoneAlert = switch event.kind {
        case .zoneEnter: .enter
        case .zoneExit: .exit
        case .loiter: .loiter
        default: .crowd
        }
        guard zone.alertOn.contains(wanted) else { return nil }
        let title = switch event.kind {
        case .zoneEnter: TicketTitle.zoneEntry(zoneName: zone.name, cameraName: cameraName)
        case .zoneExit: TicketTitle.zoneExit(zoneName: zone.name, cameraName: cameraName)
        case .loiter: TicketTitle.loitering(zoneName: zone.name, seconds: Int(event.dwell ?? 0), cameraName: cameraName)
        default: TicketTitle.crowding(zoneName: zone.name, count: event.count ?? 0, cameraName: cameraName)
        }
        return Alerting(
            zoneID: zone.id, tripwireID: nil, grid: zone.grid ?? grid, purpose: zone.purpose, severity: zone.severity, title: title,
            shape: zone.polygon.vertices.map { ($0.x, $0.y) }, closed: true)
    }

    /// What a smoke or fire ticket needs: its zone's grid, name and outline, or the
    /// camera's (the whole picture). Nil when the zone is gone or no longer asks (a reload).
    /// Always the highest severity: smoke in the fields spreads in minutes.
    public func alerting(_ event: FireSmokeEvent) -> (grid: String, title: TicketText, shape: [(Double, Double)])? {
        guard let id = event.area else {
            return (grid, TicketTitle.fireSmoke(event.kind, zoneName: nil, cameraName: cameraName), [])
        }
        guard let zone = zones.first(where: { $0.id == id && $0.fireSmoke }) else { return nil }
        return (zone.grid ?? grid, TicketTitle.fireSmoke(event.kind, zoneName: zone.name, cameraName: cameraName),
                zone.polygon.vertices.map { ($0.x, $0.y) })
    }
}

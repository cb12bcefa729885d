import Analysis
import Catalog
import ControlProtocol
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Yams

/// The editor's zones, lines and masks, written to `geometry.d/CAMERA.yml` next to the main
/// configuration (which is never rewritten): keys the editor does not draw (severity,
/// purpose, cooldown …) of a zone or line that already exists are kept; the candidate file
/// is checked with the whole configuration before it replaces the old one (temporary file,
/// fsync, rename), then applied through the reload path, without reconnecting the camera.
enum GeometryFiles {
    /// One save at a time: two admins saving at once apply one after the other.
    static let saving = Mutex(())

    static func current(_ camera: CameraConfig, configFile: String) -> CameraGeometry {
        func xy(_ p: Point) -> [Double] { [p.x, p.y] }
        let file = GridwatchConfig.geometryFile(camera: camera.id, configFile: configFile)
        return CameraGeometry(
            zones: camera.zones.map { .init(id: $0.id, name: $0.name, polygon: $0.polygon.vertices.map(xy)) },
            tripwires: camera.tripwires.map { .init(id: $0.id, name: $0.name, a: xy($0.a), b: xy($0.b), direction: $0.direction.rawValue) },
            masks: .init(motion: camera.motionMasks.map { $0.vertices.map(xy) }, privacy: camera.privacyMasks.map { $0.vertices.map(xy) }),
            file: FileManager.default.fileExists(atPath: file) ? file : configFile)
    }

    enum Failure: Error {
        case invalid(ConfigError)
        case io(String)
    }

    /// Writes and checks the file; returns its path. The caller reloads.
    static func save(_ geometry: CameraGeometry, camera id: String, configFile: String, actor: String) throws(Failure) -> String {
        let path = GridwatchConfig.geometryFile(camera: id, configFile: configFile)
        let folder = (path as NSString).deletingLastPathComponent
        let existing = existingRules(camera: id, path: path, configFile: configFile)
        let text: String
        do {
            text = "# Zones, lines and masks of camera \(id), drawn in the console by \(actor) at \(LocalTime.text(Date())).\n"
                + "# They replace the camera's zones, tripwires and masks in \((configFile as NSString).lastPathComponent).\n"
                + "# 由控制台编辑器生成；可在控制台或此处修改。\n"
                + (try Yams.serialize(node: node(geometry, existing: existing), width: 160, allowUnicode: true))
        } catch {
            throw .io("cannot write YAML: \(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw .io("cannot create \(folder): \((error as NSError).localizedDescription)")
        }
        let temporary = folder + "/." + id + ".yml.new"
        guard writeSynced(text, to: temporary) else { throw .io("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        do throws(ConfigError) {
            _ = try GridwatchConfig.load(path: configFile, geometry: [id: temporary])
        } catch {
            unlink(temporary)
            // Errors name the file the admin will look for, not the temporary one.
            var e = error
            if e.file == temporary { e.file = path }
            throw .invalid(e)
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .io("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        let dir = open(folder, O_RDONLY | O_DIRECTORY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return path
    }

    private static func writeSynced(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return false }
            written += n
        }
        return fsync(fd) == 0
    }

    /// The camera's zone and tripwire entries as they are written now (its geometry file, or
    /// its entry in the main file), by id, keeping every key.
    static func existingRules(camera id: String, path: String, configFile: String) -> [String: Node.Mapping] {
        var source: Node?
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            source = try? Yams.compose(yaml: text)
        } else if let text = try? String(contentsOfFile: configFile, encoding: .utf8), let root = try? Yams.compose(yaml: text) {
            source = root["cameras"]?.sequence?.first { $0["id"]?.string == id }
        }
        var rules: [String: Node.Mapping] = [:]
        for key in ["zones", "tripwires"] {
            for item in source?[key]?.sequence ?? [] {
                if let mapping = item.mapping, let ruleID = item["id"]?.string { rules[key + "/" + ruleID] = mapping }
            }
        }
        return rules
    }

    static func node(_ g: CameraGeometry, existing: [String: Node.Mapping]) -> Node {
        func number(_ x: Double) -> Node { Node.scalar(.init(String(format: "%.4f", x))) }
        func point(_ p: [Double]) -> Node { Node.sequence(.init(p.map(number), .implicit, .flow)) }
        func points(_ ps: [[Double]]) -> Node { Node.sequence(.init(ps.map(point), .implicit, .flow)) }
        func text(_ s: String) -> Node { Node.scalar(.init(s)) }
        /// The old entry with `drawn` replaced (in place, or added after the id).
        func merge(_ key: String, _ id: String, _ drawn: [(String, Node)]) -> Node {
            var pairs: [(Node, Node)] = []
            let replaced = Set(drawn.map(\.0))
            if let old = existing[key + "/" + id] {
                for (k, v) in old {
                    guard let name = k.string else { continue }
                    if let new = drawn.first(where: { $0.0 == name }) { pairs.append((k, new.1)) } else if !replaced.contains(name) { pairs.append((k, v)) }
                }
                for (name, value) in drawn where !pairs.contains(where: { $0.0.string == name }) { pairs.append((text(name), value)) }
            } else {
                pairs.append((text("id"), text(id)))
                for (name, value) in drawn { pairs.append((text(name), value)) }
            }
            return Node.mapping(.init(pairs))
        }
        let zones = g.zones.map { z in
            merge("zones", z.id, (z.name.map { [("name", text($0))] } ?? []) + [("polygon", points(z.polygon))])
        }
        let lines = g.tripwires.map { t in
            merge("tripwires", t.id, (t.name.map { [("name", text($0))] } ?? []) + [("a", point(t.a)), ("b", point(t.b)), ("direction", text(t.direction))])
        }
        var root: [(Node, Node)] = [(text("zones"), Node.sequence(.init(zones))), (text("tripwires"), Node.sequence(.init(lines)))]
        var masks: [(Node, Node)] = []
        if !g.masks.motion.isEmpty { masks.append((text("motion"), Node.sequence(.init(g.masks.motion.map(points))))) }
        if !g.masks.privacy.isEmpty { masks.append((text("privacy"), Node.sequence(.init(g.masks.privacy.map(points))))) }
        if !masks.isEmpty { root.append((text("masks"), Node.mapping(.init(masks)))) }
        return Node.mapping(.init(root))
    }
}

extension ControlRoutes {
    func addGeometry(to routes: ControlRouter) {
        routes.get("/v1/cameras/:id/geometry", .manage) { request, context in
            _ = try Self.parameters(request, allowed: [])
            let camera = try camera(context)
            return try JSONResponse.ok(GeometryFiles.current(camera.config, configFile: reloader.file))
        }
        routes.put("/v1/cameras/:id/geometry", .manage) { request, context in
            let camera = try camera(context)
            let id = camera.config.id
            let actor = try context.who.actor
            let example = #"{"zones": [{"id": "gate", "name": "门口", "polygon": [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9]]}], "tripwires": [], "masks": {"motion": [], "privacy": []}}"#
            let geometry: CameraGeometry = try await Self.decodeGeometry(request, example: example)
            try Self.checkShape(geometry)
            let file = reloader.file
            let report = try await Self.offPool { () throws -> ConfigReport in
                try GeometryFiles.saving.withLock { _ in
                    do throws(GeometryFiles.Failure) {
                        let path = try GeometryFiles.save(geometry, camera: id, configFile: file, actor: actor)
                        logger.notice("camera geometry saved", metadata: ["camera.id": "\(id)", "file": "\(path)", "actor": "\(actor)"])
                    } catch {
                        switch error {
                        // Well formed, but the configuration refuses it (a duplicate id, a
                        // polygon with no area, a main file that no longer reads): 409.
                        case let .invalid(e): throw ControlError.conflict(.geometryInvalid(detail: "\(e)"))
                        case let .io(why):
                            logger.error("camera geometry not saved", metadata: ["camera.id": "\(id)", "error": "\(why)"])
                            throw ControlError.unavailable(.geometryInvalid(detail: why))
                        }
                    }
                    return reloader.reload(actor: actor)
                }
            }
            guard report.valid else {
                throw ControlError.conflict(.geometryInvalid(detail: report.errors.map { "\($0.file):\($0.line.map(String.init) ?? "-"): \($0.key): \($0.message)" }.joined(separator: "; ")))
            }
            let now = cameras.camera(id)?.config ?? camera.config
            return try JSONResponse.ok(GeometryFiles.current(now, configFile: file))
        }
    }

    /// What the schema says of a geometry, checked before anything is written: ids of ASCII
    /// letters, digits, `.`, `_`, `-`; names without control characters; polygons of at least
    /// 3 points and points of 2 numbers in 0...1; a direction of a_to_b, b_to_a or both.
    static func checkShape(_ g: CameraGeometry) throws {
        func bad(_ what: String) -> ControlError { .badRequest(.geometryInvalid(detail: what)) }
        func point(_ p: [Double]) throws {
            guard p.count == 2, p.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw bad("a point is [x, y] with both in 0...1") }
        }
        func polygon(_ ps: [[Double]]) throws {
            guard ps.count >= 3 else { throw bad("a polygon needs at least 3 points") }
            for p in ps { try point(p) }
        }
        func id(_ text: String) throws {
            guard !text.isEmpty, text.count <= 64, text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }) else {
                throw bad("an id is 1 to 64 ASCII letters, digits, '.', '_' or '-'")
            }
        }
        for z in g.zones {
            try id(z.id)
            try PlainText.check(z.name, field: "name")
            try polygon(z.polygon)
        }
        for t in g.tripwires {
            try id(t.id)
            try PlainText.check(t.name, field: "name")
            try point(t.a)
            try point(t.b)
            guard ["a_to_b", "b_to_a", "both"].contains(t.direction) else { throw bad("direction is a_to_b, b_to_a or both") }
        }
        for m in g.masks.motion + g.masks.privacy { try polygon(m) }
    }

    static func decodeGeometry(_ request: Request, example: String) async throws -> CameraGeometry {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw ControlError.tooLarge(.bodyTooLarge(kib: maxBody / 1024))
        }
        try JSONMediaType.check(request.headers[.contentType])
        do {
            return try JSONDecoder().decode(CameraGeometry.self, from: Data(buffer.readableBytesView))
        } catch {
            throw ControlError.badRequest(.bodyNotObject(example: example))
        }
    }
}

import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// A request over the control socket as another Unix user (via `setpriv`), with Python as the
/// client because it is readable by everyone.
struct ClientAs {
    let script: String
    let socket: String

    static let source = """
        import socket, sys
        path, method, target = sys.argv[1], sys.argv[2], sys.argv[3]
        body = sys.argv[4].encode() if len(sys.argv) > 4 else b""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(f"{method} {target} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\nContent-Type: application/json\\r\\nContent-Length: {len(body)}\\r\\n\\r\\n".encode() + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\\r\\n\\r\\n")
        if b"chunked" in head.lower():
            out = b""
            while rest:
                size, _, rest = rest.partition(b"\\r\\n")
                n = int(size, 16)
                if n == 0:
                    break
                out += rest[:n]
                rest = rest[n + 2:]
            rest = out
        print(head.split(b" ")[1].decode())
        sys.stdout.write(rest.decode())
        """

    /// Status and body of `method path` sent as `user`.
    func call(_ user: String, _ method: String, _ path: String, _ body: String? = nil) throws -> (Int, String) {
        let out = try runCommand("/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "/usr/bin/python3", script, socket, method, path] + (body.map { [$0] } ?? []))
        let (status, rest) = out.split(separator: "\n", maxSplits: 1).map(String.init).splitFirst()
        return (Int(status) ?? -1, rest)
    }
}

extension Array where Element == String {
    func splitFirst() -> (String, String) { (first ?? "", count > 1 ? self[1] : "") }
}

@Suite(.serialized) struct RolesEndToEndTests {
    @Test func eachRoleGetsWhatItMayAndCorrectionsTicketsStayHidden() throws {
        #expect(getuid() == 0, "this test creates Unix users and groups: run it as root")
        guard getuid() == 0 else { return }
        let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        // One user per role, each with a primary group of its own name; roles come from
        // supplementary groups, as an administrator would set them up.
        let roles = ["viewer", "operator", "corrections"]
        let groups = roles.map { "gw\($0.prefix(3))\(tag)" }
        let users = ["viewer", "operator", "corrections", "nobody"].map { "gwu\($0.prefix(3))\(tag)" }
        for g in groups { _ = try runCommand("/usr/sbin/groupadd", [g]) }
        for (i, u) in users.enumerated() {
            var args = ["-M", "-U", "-s", "/usr/sbin/nologin"]
            if i < groups.count { args += ["-G", groups[i]] }
            _ = try runCommand("/usr/sbin/useradd", args + [u])
        }
        defer {
            for u in users { _ = try? runCommand("/usr/sbin/userdel", [u]) }
            for g in groups { _ = try? runCommand("/usr/sbin/groupdel", [g]) }
        }

        let dir = try TemporaryDirectory("gw-roles")
        defer { dir.remove() }
        chmod(dir.url.path, 0o755)
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        try ClientAs.source.write(toFile: dir.path("client.py"), atomically: true, encoding: .utf8)
        chmod(dir.path("client.py"), 0o644)
        let rolesYAML = zip(groups, roles).map { "    \($0): \($1)" }.joined(separator: "\n")
        let daemon = try DaemonHarness(dir: dir, body: """
            grids:
              - id: village
                workers:
                  - {id: li, name: 李娜}
            cameras:
              - id: walk
                grid: village
                source: \(dir.path("walk.mp4"))
                loop: true
                realtime: true
                zones:
                  - id: bank
                    purpose: hazard
                    polygon: [[0.3, 0.5], [0.9, 0.5], [0.9, 0.95], [0.3, 0.95]]
                  - id: home
                    purpose: corrections
                    polygon: [[0.3, 0.5], [0.9, 0.5], [0.9, 0.95], [0.3, 0.95]]
            """, daemonSection: "  socket_mode: \"0666\"\n  roles:\n\(rolesYAML)\n")
        defer { daemon.stop() }
        // Root is an admin and sees both kinds.
        #expect(waitUntil(timeout: 60) { Set(daemon.tickets().tickets.map(\.category)).isSuperset(of: [.hazard, .corrections]) }, "\(daemon.log)")
        let all = daemon.tickets().tickets
        let hazard = try #require(all.first { $0.category == .hazard }?.id)
        let corrections = try #require(all.first { $0.category == .corrections }?.id)

        let client = ClientAs(script: dir.path("client.py"), socket: dir.path("control.sock"))
        let (viewer, op, officer, nobody) = (users[0], users[1], users[2], users[3])
        func categories(_ body: String) throws -> Set<String> {
            let list = try ControlAPI.decoder().decode(TicketList.self, from: Data(body.utf8))
            return Set(list.tickets.map(\.category.rawValue))
        }

        // No role, no access.
        let (refused, why) = try client.call(nobody, "GET", "/v1/health")
        #expect(refused == 403 && why.contains("no role"), "\(why)")
        // Viewers read, do not act, and never see corrections tickets, not even counted.
        let (ok, list) = try client.call(viewer, "GET", "/v1/tickets")
        let viewerSees = try categories(list)
        #expect(ok == 200 && viewerSees == ["hazard"], "\(list)")
        #expect(try client.call(viewer, "GET", "/v1/tickets/\(corrections)").0 == 404)
        #expect(try client.call(viewer, "POST", "/v1/tickets/\(hazard)/acknowledge").0 == 403)
        let stats = try ControlAPI.decoder().decode(StatsResponse.self, from: Data(try client.call(viewer, "GET", "/v1/stats?period=day&by=category").1.utf8))
        #expect(stats.groups.map(\.key) == ["hazard"])
        // Operators act on what they see, and corrections tickets do not exist for them.
        let (acked, answer) = try client.call(op, "POST", "/v1/tickets/\(hazard)/acknowledge", #"{"note": "seen"}"#)
        #expect(acked == 200, "\(answer)")
        #expect(try client.call(op, "POST", "/v1/tickets/\(corrections)/acknowledge").0 == 404)
        // Corrections officers see and act on corrections tickets only.
        #expect(try categories(try client.call(officer, "GET", "/v1/tickets").1) == ["corrections"])
        #expect(try client.call(officer, "POST", "/v1/tickets/\(corrections)/acknowledge").0 == 200)
        #expect(try client.call(officer, "GET", "/v1/tickets/\(hazard)").0 == 404)
        // Nobody below admin manages the daemon.
        #expect(try client.call(op, "POST", "/v1/reload").0 == 403)
        #expect(try client.call(op, "GET", "/v1/config").0 == 403)
        let camera = try #require(daemon.cameras().first?.id)
        #expect(try client.call(op, "POST", "/v1/cameras/\(camera)/disable").0 == 403)
        #expect(try client.call(viewer, "POST", "/v1/cameras/\(camera)/disable").0 == 403)
        // Viewers do see cameras.
        #expect(try client.call(viewer, "GET", "/v1/cameras/\(camera)").0 == 200)
        #expect(daemon.camera(camera)?.enabled == true)
        // The history names each caller.
        let actors = try daemon.client.get("/v1/tickets/\(hazard)", as: TicketDetail.self).events.map(\.actor)
        #expect(actors.last?.hasPrefix("\(op) (uid ") == true, "\(actors)")
        let officerActs = try daemon.client.get("/v1/tickets/\(corrections)", as: TicketDetail.self).events.map(\.actor)
        #expect(officerActs.last?.hasPrefix("\(officer) (uid ") == true, "\(officerActs)")
        #expect(daemon.log.contains("control request refused"))
    }
}
